// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-VM memslot state: creation, teardown, and the deferred reclaim of
 * memory that updates replaced.
 *
 * Replaced sets, tree nodes and slots go to a work item that frees them
 * after an SRCU grace period, so an update never waits for readers just to
 * free memory.  Each batch records a grace-period cookie when it is
 * retired; the work item runs a few milliseconds after the first batch of
 * a backlog and waits for an expedited grace period only if some batch's
 * cookie has not completed yet.  So a stream of updates pays one wakeup
 * and at most one grace period per backlog instead of one each, and the
 * grace period a delete or move waits for anyway frees everything retired
 * before it at no cost; its updater takes their tree nodes back into the
 * pool at once (kvm_memslot_reclaim_pool_covered()).  call_srcu() would
 * start a normal grace period per update, and an expedited one requested
 * meanwhile (the next delete's) queues behind it: deleting 32764 slots
 * would then take jiffies each.
 */

#include <linux/slab.h>
#include <linux/overflow.h>

#include "memslot_internal.h"

/*
 * How long a retired batch may wait for others to share its wakeup and
 * grace period, and how many may pile up before the work runs at once.
 * A batch of one change retires up to four nodes of a type, so a backlog
 * of a quarter of the node pool gives back nodes it can hold whole: a
 * stream of single updates that outruns the delay (creates, which wait
 * for no grace period of their own) then takes its nodes from the pool,
 * not the slab.  It also bounds the memory such a stream keeps.
 */
#define KVM_MEMSLOT_RECLAIM_DELAY_MS	10
#define KVM_MEMSLOT_RECLAIM_BACKLOG	(KVM_MEMSLOT_NODE_POOL_MAX / 4)

static void kvm_memslot_reclaim_work(struct work_struct *work);

/**
 * kvm_memslots_alloc() - allocate an empty set structure
 * @as_id:      its address space
 * @nr_transit: room for that many ranges in transition
 *
 * Return: the set, or NULL.
 */
struct kvm_memslots *kvm_memslots_alloc(u16 as_id, unsigned int nr_transit)
{
	struct kvm_memslots *slots;

	slots = kzalloc(struct_size(slots, transit, nr_transit),
			GFP_KERNEL_ACCOUNT);
	if (slots)
		slots->as_id = as_id;
	return slots;
}

/**
 * kvm_memslot_vm_init() - set up the memslot state of a new VM
 * @vm:   the state, zeroed by the caller
 * @ops:  the backend
 * @arch: backend per-VM data, stored in @vm->arch
 *
 * Return: 0 or -ENOMEM.
 */
int kvm_memslot_vm_init(struct kvm_memslot_vm *vm,
			const struct kvm_memslot_ops *ops, void *arch)
{
	int as_id, r;

	if (WARN_ON_ONCE(!ops->nr_address_spaces ||
			 ops->nr_address_spaces > KVM_MEMSLOT_MAX_ADDRESS_SPACES ||
			 ops->nr_user_slots > KVM_MEMSLOT_MAX_SLOT_ID ||
			 ops->page_shift < PAGE_SHIFT ||
			 ops->page_shift >= BITS_PER_LONG))
		return -EINVAL;

	vm->ops = ops;
	vm->arch = arch;
	mutex_init(&vm->slots_lock);
	spin_lock_init(&vm->mn_lock);
	spin_lock_init(&vm->mmu_lock);
	INIT_HLIST_HEAD(&vm->gpcs);
	init_waitqueue_head(&vm->update_wq);
	init_waitqueue_head(&vm->mn_wq);
	init_llist_head(&vm->reclaim_list);
	INIT_DELAYED_WORK(&vm->reclaim_work, kvm_memslot_reclaim_work);
	atomic_set(&vm->reclaim_pending, 0);
	kvm_memslot_node_pool_init(&vm->node_pool);
	atomic64_set(&vm->transit_waits, 0);
	vm->listener = NULL;
	atomic64_set(&vm->remote_tlb_flush_requests, 0);
	atomic64_set(&vm->remote_tlb_flushes, 0);
	vm->gpc_refreshes = 0;
	vm->gpc_invalidations = 0;

	r = init_srcu_struct(&vm->srcu);
	if (r)
		return r;

	for (as_id = 0; as_id < ops->nr_address_spaces; as_id++) {
		struct kvm_memslots *slots = kvm_memslots_alloc(as_id, 0);

		if (!slots)
			goto out_free;
		RCU_INIT_POINTER(vm->sets[as_id], slots);
	}
	return 0;

out_free:
	while (--as_id >= 0)
		kfree(rcu_dereference_protected(vm->sets[as_id], 1));
	cleanup_srcu_struct(&vm->srcu);
	return -ENOMEM;
}

/**
 * kvm_memslot_free_slot() - free a slot no reader can see any more
 * @vm:          the VM
 * @slot:        the slot
 * @free_arch:   release @slot->arch through the backend
 * @free_bitmap: free @slot->dirty_bitmap
 */
void kvm_memslot_free_slot(struct kvm_memslot_vm *vm,
			   struct kvm_memory_slot *slot,
			   bool free_arch, bool free_bitmap)
{
	if (free_arch && slot->arch && vm->ops->free_memslot)
		vm->ops->free_memslot(vm, slot);
	if (free_bitmap)
		kvfree(slot->dirty_bitmap);
	kfree(slot);
}

static int kvm_memslot_free_live_slot(struct kvm_memory_slot *slot, void *data)
{
	kvm_memslot_free_slot(data, slot, true, true);
	return 0;
}

/**
 * kvm_memslot_vm_uninit() - undo kvm_memslot_vm_init()
 * @vm: the VM; no reader, update or invalidation may run any more
 *
 * Frees the slot sets and what hangs off them without calling the backend's
 * flush_all: for a VM whose backend never set up (its init_vm failed) and
 * so has nothing to flush, and as the last step of kvm_memslot_vm_destroy().
 */
void kvm_memslot_vm_uninit(struct kvm_memslot_vm *vm)
{
	int as_id, kind;

	/* Let every deferred reclaim run before the state it frees into goes. */
	flush_delayed_work(&vm->reclaim_work);
	WARN_ON_ONCE(atomic_read(&vm->reclaim_pending));

	for (as_id = 0; as_id < vm->ops->nr_address_spaces; as_id++) {
		struct kvm_memslots *slots;

		slots = rcu_dereference_protected(vm->sets[as_id], 1);
		/* Only the published set is left: no node is shared. */
		kvm_memslot_visit_all(slots, kvm_memslot_free_live_slot, vm);
		for (kind = 0; kind < KVM_MEMSLOT_NR_TREES; kind++)
			kvm_memslot_tree_destroy(slots->roots[kind]);
		kfree(slots);
		RCU_INIT_POINTER(vm->sets[as_id], NULL);
	}
	kvm_memslot_ids_destroy(vm);
	kvm_memslot_node_pool_drain(&vm->node_pool);
	cleanup_srcu_struct(&vm->srcu);
}

/**
 * kvm_memslot_vm_destroy() - free all memslot state of a VM
 * @vm: the VM; no reader, update or invalidation may run any more
 */
void kvm_memslot_vm_destroy(struct kvm_memslot_vm *vm)
{
	if (vm->ops->flush_all)
		vm->ops->flush_all(vm);
	kvm_memslot_vm_uninit(vm);
}

/**
 * kvm_memslot_reclaim_alloc() - allocate an empty reclaim batch
 * @nr_slots: room for that many slots
 *
 * Return: the batch, or NULL.
 */
struct kvm_memslot_reclaim *kvm_memslot_reclaim_alloc(unsigned int nr_slots)
{
	struct kvm_memslot_reclaim *reclaim;

	return kzalloc(struct_size(reclaim, slots, nr_slots),
		       GFP_KERNEL_ACCOUNT);
}

/**
 * kvm_memslot_reclaim_add_nodes() - append a chain of tree nodes
 * @reclaim: the batch
 * @nodes:   nodes chained through ->next, or NULL
 */
void kvm_memslot_reclaim_add_nodes(struct kvm_memslot_reclaim *reclaim,
				   struct kvm_memslot_node *nodes)
{
	struct kvm_memslot_node *tail;

	if (!nodes)
		return;
	for (tail = nodes; tail->next; tail = tail->next)
		;
	tail->next = reclaim->nodes;
	reclaim->nodes = nodes;
}

/**
 * kvm_memslot_reclaim_add_slot() - add a slot to a reclaim batch
 * @reclaim:     the batch, allocated with room for the slot
 * @slot:        the slot
 * @free_arch:   see kvm_memslot_free_slot()
 * @free_bitmap: see kvm_memslot_free_slot()
 */
void kvm_memslot_reclaim_add_slot(struct kvm_memslot_reclaim *reclaim,
				  struct kvm_memory_slot *slot,
				  bool free_arch, bool free_bitmap)
{
	struct kvm_memslot_retired_slot *retired;

	retired = &reclaim->slots[reclaim->nr_slots++];
	retired->slot = slot;
	retired->free_arch = free_arch;
	retired->free_bitmap = free_bitmap;
}

static void kvm_memslot_reclaim_free(struct kvm_memslot_vm *vm,
				     struct kvm_memslot_reclaim *reclaim)
{
	unsigned int i;

	kvm_memslot_nodes_recycle(&vm->node_pool, reclaim->nodes);
	for (i = 0; i < reclaim->nr_sets; i++)
		kfree(reclaim->sets[i]);
	for (i = 0; i < reclaim->nr_slots; i++)
		kvm_memslot_free_slot(vm, reclaim->slots[i].slot,
				      reclaim->slots[i].free_arch,
				      reclaim->slots[i].free_bitmap);
	kfree(reclaim);
}

static void kvm_memslot_reclaim_work(struct work_struct *work)
{
	struct kvm_memslot_vm *vm = container_of(to_delayed_work(work),
						 struct kvm_memslot_vm,
						 reclaim_work);
	struct kvm_memslot_reclaim *reclaim, *next;
	struct llist_node *list;
	bool covered = true;

	list = llist_del_all(&vm->reclaim_list);
	if (!list)
		return;
	/*
	 * Each batch was unpublished before its cookie was taken; a grace
	 * period that completed since (an update's own, usually) has let
	 * every reader that could still see it go.
	 */
	llist_for_each_entry(reclaim, list, llnode)
		if (!poll_state_synchronize_srcu(&vm->srcu, reclaim->cookie))
			covered = false;
#ifndef KVM_MEMSLOT_TEST_WRONG_GRACE_PERIOD
	if (!covered)
		synchronize_srcu_expedited(&vm->srcu);
#else
	/* The harness's negative control (tests/Makefile, neg-grace). */
	synchronize_rcu();
#endif
	llist_for_each_entry_safe(reclaim, next, list, llnode) {
		kvm_memslot_reclaim_free(vm, reclaim);
		WRITE_ONCE(vm->stats.reclaimed, vm->stats.reclaimed + 1);
		atomic_dec(&vm->reclaim_pending);
	}
}

/**
 * kvm_memslot_reclaim_pool_covered() - pool the nodes of batches already safe
 * @vm: the VM, whose updater has just waited for an SRCU grace period
 *
 * The grace period an update waits for anyway (a delete's, a move's, that
 * of dirty logging switched on) covers every batch retired before it, so
 * their nodes may go back to the pool now instead of when the reclaim work
 * runs, some milliseconds later: updates that follow in that time, and
 * copy a path of nodes each, then take pooled nodes, not slab ones.  The
 * rest of each batch (sets, slots, the nodes the pool has no room for) is
 * left to the work, so that the update does not do its frees.
 *
 * Context: slots_lock held, so no batch is added meanwhile.
 */
void kvm_memslot_reclaim_pool_covered(struct kvm_memslot_vm *vm)
{
	struct kvm_memslot_reclaim *reclaim;
	struct llist_node *list, *last = NULL;

	list = llist_del_all(&vm->reclaim_list);
	if (!list)
		return;
	llist_for_each_entry(reclaim, list, llnode) {
		/* The partner of the cookie's barrier in _defer(), as in the work. */
		if (reclaim->nodes &&
		    poll_state_synchronize_srcu(&vm->srcu, reclaim->cookie))
			reclaim->nodes = kvm_memslot_nodes_pool_fill(&vm->node_pool,
								     reclaim->nodes);
		last = &reclaim->llnode;
	}
	llist_add_batch(list, last, &vm->reclaim_list);
	/*
	 * The work may have run, and found nothing, while the batches were
	 * off the list: make sure it runs again for them.
	 */
	schedule_delayed_work(&vm->reclaim_work,
			      msecs_to_jiffies(KVM_MEMSLOT_RECLAIM_DELAY_MS));
}

/**
 * kvm_memslot_reclaim_defer() - free a batch after an SRCU grace period
 * @vm:      the VM whose readers may still see the batch's memory
 * @reclaim: the batch, no longer reachable from any published set
 */
void kvm_memslot_reclaim_defer(struct kvm_memslot_vm *vm,
			       struct kvm_memslot_reclaim *reclaim)
{
	int pending;

	reclaim->vm = vm;
	if (KVM_MEMSLOT_TEST_EARLY_FREE) {
		kvm_memslot_reclaim_free(vm, reclaim);
		return;
	}
	pending = atomic_inc_return(&vm->reclaim_pending);
	/*
	 * The cookie orders the unpublishing before it (it implies a full
	 * barrier); the work's poll_state_synchronize_srcu() is its partner.
	 */
	reclaim->cookie = get_state_synchronize_srcu(&vm->srcu);
	llist_add(&reclaim->llnode, &vm->reclaim_list);
	if (pending >= KVM_MEMSLOT_RECLAIM_BACKLOG)
		mod_delayed_work(system_wq, &vm->reclaim_work, 0);
	else
		schedule_delayed_work(&vm->reclaim_work,
				      msecs_to_jiffies(KVM_MEMSLOT_RECLAIM_DELAY_MS));
}
