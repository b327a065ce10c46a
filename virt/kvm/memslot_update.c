// SPDX-License-Identifier: GPL-2.0-only
/*
 * Slot updates: validation with in-tree KVM's rules and errnos, and the
 * update protocol that publishes new slot sets while readers run.
 *
 * Every update, a single KVM_SET_USER_MEMORY_REGION or a batch, goes the
 * same way:
 *
 *  1. Each change is validated against the layout left by the changes
 *     before it and applied to a private build of the final sets.
 *  2. If anything is deleted or moved, a set in which every gfn whose
 *     mapping changes is in transition is published, and one grace period
 *     later no reader can create a translation from the old slots: they are
 *     flushed through the backend.
 *  3. Every change is prepared (dirty bitmaps, backend data).
 *  4. The final sets are published; if dirty logging was switched on for a
 *     live slot, one more grace period makes sure no fault that read the
 *     old flags is still running when the backend write-protects.
 *  5. Every change is committed, and everything replaced is freed after a
 *     grace period, asynchronously.
 *
 * Creating a slot needs no grace period at all: a reader still on the old
 * set misses the slot exactly as it would have an instant earlier.
 */

#include <linux/bitmap.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <trace/events/kvm_memslot.h>

#include "memslot_internal.h"

/*
 * Marks, during validation only, a slot created by the update being built:
 * a batch may change a slot once (a delete may be followed by a create).
 */
#define KVM_MEMSLOT_UPDATE_NEW		BIT(17)

/**
 * struct kvm_memslot_change_rec - one change of an update
 * @change:     what it does
 * @old:        the published slot it replaces, NULL for a create
 * @new:        the slot it publishes, NULL for a delete
 * @invalid:    INVALID copy of @old published while a delete or move runs
 * @new_bitmap: @new->dirty_bitmap was allocated for @new
 * @prepared:   prepare_memory_region succeeded
 * @index:      position of the change in the caller's array
 */
struct kvm_memslot_change_rec {
	enum kvm_memslot_change change;
	unsigned int index;
	struct kvm_memory_slot *old;
	struct kvm_memory_slot *new;
	struct kvm_memory_slot *invalid;
	bool new_bitmap;
	bool prepared;
};

/**
 * struct kvm_memslot_as_build - an update's view of one address space
 * @base:       the set published when the update began
 * @invalid:    the set published while old slots are in transition
 * @final:      the set published when the update succeeds, or, if
 *              preparing fails after @invalid was published, the one that
 *              publishes @base's layout again
 * @roots:      the final set's trees, built privately
 * @nr_slots:   slots in the final set
 * @nr_transit: ranges in transition in @invalid
 * @touched:    the update changes this address space
 */
struct kvm_memslot_as_build {
	struct kvm_memslots *base;
	struct kvm_memslots *invalid;
	struct kvm_memslots *final;
	struct kvm_memslot_node *roots[KVM_MEMSLOT_NR_TREES];
	unsigned int nr_slots;
	unsigned int nr_transit;
	bool touched;
};

/**
 * struct kvm_memslot_update - an update in progress
 * @vm:                the VM, slots_lock held
 * @nr:                changes recorded in @changes
 * @changes:           the changes, in the caller's order
 * @as:                per address space state
 * @txn:               the build of the final sets
 * @invalid_txn:       the build of the INVALID sets
 * @nr_memslot_pages:  vm->nr_memslot_pages after the update
 * @needs_invalid:     something is deleted or moved
 * @enables_dirty_log: dirty logging is switched on for a live slot
 * @reclaim:           what to free after the update
 * @failed:            index in the caller's array of the failing change
 */
struct kvm_memslot_update {
	struct kvm_memslot_vm *vm;
	unsigned int nr;
	struct kvm_memslot_change_rec *changes;
	struct kvm_memslot_as_build as[KVM_MEMSLOT_MAX_ADDRESS_SPACES];
	struct kvm_memslot_txn txn;
	struct kvm_memslot_txn invalid_txn;
	unsigned long nr_memslot_pages;
	bool needs_invalid;
	bool enables_dirty_log;
	struct kvm_memslot_reclaim *reclaim;
	unsigned int failed;
};

/* Named as the kvm_memslot_publish tracepoint names them. */
enum kvm_memslot_publish_kind {
	KVM_MEMSLOT_PUBLISH_INVALID = KVM_MEMSLOT_TRACE_INVALID,
	KVM_MEMSLOT_PUBLISH_FINAL = KVM_MEMSLOT_TRACE_FINAL,
	KVM_MEMSLOT_PUBLISH_RESTORE = KVM_MEMSLOT_TRACE_RESTORE,
};

static bool kvm_memslot_overlaps(struct kvm_memslot_node *gfn_root, u16 id,
				 kvm_memslot_gfn_t start, kvm_memslot_gfn_t end)
{
	struct kvm_memory_slot *slot;
	kvm_memslot_gfn_t gfn = start;

	slot = kvm_memslot_tree_floor(gfn_root, start);
	if (slot && kvm_memslot_end(slot) > start && slot->id != id)
		return true;

	/* The slot being moved may overlap its own destination: skip it. */
	while ((slot = kvm_memslot_tree_ceil(gfn_root, gfn)) &&
	       slot->base_gfn < end) {
		if (slot->id != id)
			return true;
		gfn = kvm_memslot_end(slot);
	}
	return false;
}

static void kvm_memslot_trees_insert(struct kvm_memslot_txn *txn,
				     struct kvm_memslot_node **roots,
				     struct kvm_memory_slot *slot)
{
	int kind;

	for (kind = 0; kind < KVM_MEMSLOT_NR_TREES; kind++)
		roots[kind] = kvm_memslot_tree_insert(txn, kind, roots[kind], slot);
}

static void kvm_memslot_trees_erase(struct kvm_memslot_txn *txn,
				    struct kvm_memslot_node **roots,
				    struct kvm_memory_slot *slot)
{
	int kind;

	for (kind = 0; kind < KVM_MEMSLOT_NR_TREES; kind++)
		roots[kind] = kvm_memslot_tree_erase(txn, kind, roots[kind], slot);
}

/* Replace @old by @new, whose key is the same in every tree from @first on. */
static void kvm_memslot_trees_replace(struct kvm_memslot_txn *txn,
				      struct kvm_memslot_node **roots,
				      enum kvm_memslot_tree_kind first,
				      struct kvm_memory_slot *old,
				      struct kvm_memory_slot *new)
{
	int kind;

	for (kind = first; kind < KVM_MEMSLOT_NR_TREES; kind++)
		roots[kind] = kvm_memslot_tree_replace(txn, kind, roots[kind],
						       old, new);
}

static void kvm_memslot_build_apply(struct kvm_memslot_update *u,
				    struct kvm_memslot_change_rec *rec,
				    struct kvm_memslot_as_build *b)
{
	struct kvm_memslot_node **roots = b->roots;
	struct kvm_memslot_txn *txn = &u->txn;
	struct kvm_memory_slot *slot = rec->new ?: rec->old;

	/* kvm_memslot_discard_new() undoes this if the update fails. */
	kvm_memslot_ids_set(u->vm, slot->as_id, slot->id, rec->new);

	switch (rec->change) {
	case KVM_MEMSLOT_CREATE:
		kvm_memslot_trees_insert(txn, roots, rec->new);
		b->nr_slots++;
		u->nr_memslot_pages += rec->new->npages;
		break;
	case KVM_MEMSLOT_DELETE:
		kvm_memslot_trees_erase(txn, roots, rec->old);
		b->nr_slots--;
		u->nr_memslot_pages -= rec->old->npages;
		break;
	case KVM_MEMSLOT_MOVE:
		/* Only the gfn order changes. */
		roots[KVM_MEMSLOT_BY_GFN] =
			kvm_memslot_tree_erase(txn, KVM_MEMSLOT_BY_GFN,
					       roots[KVM_MEMSLOT_BY_GFN], rec->old);
		roots[KVM_MEMSLOT_BY_GFN] =
			kvm_memslot_tree_insert(txn, KVM_MEMSLOT_BY_GFN,
						roots[KVM_MEMSLOT_BY_GFN], rec->new);
		kvm_memslot_trees_replace(txn, roots, KVM_MEMSLOT_BY_HVA,
					  rec->old, rec->new);
		break;
	case KVM_MEMSLOT_FLAGS_ONLY:
		kvm_memslot_trees_replace(txn, roots, KVM_MEMSLOT_BY_GFN,
					  rec->old, rec->new);
		break;
	}
}

/*
 * Validate one region against the layout the update has built so far, in
 * the order of Linux 6.1's kvm_vm_ioctl_set_memory_region() and
 * __kvm_set_memory_region(), so that when several checks fail the same
 * errno wins.  Return 0 and leave @rec->new and @rec->old NULL for a call
 * that changes nothing.
 */
static int kvm_memslot_check_region(struct kvm_memslot_update *u,
				    const struct kvm_userspace_memory_region *mem,
				    struct kvm_memslot_change_rec *rec)
{
	const struct kvm_memslot_ops *ops = u->vm->ops;
	u64 page_size = 1ULL << ops->page_shift;
	u32 valid_flags = KVM_MEM_LOG_DIRTY_PAGES;
	u16 as_id = mem->slot >> 16, id = (u16)mem->slot;
	struct kvm_memory_slot *old, *new;
	struct kvm_memslot_as_build *b;
	kvm_memslot_gfn_t base_gfn;
	unsigned long npages;
	/* Reads the sets last published, which only an update replaces. */
	lockdep_assert_held(&u->vm->slots_lock);

	if (ops->readonly_mem)
		valid_flags |= KVM_MEM_READONLY;

	if (id >= ops->nr_user_slots)
		return -EINVAL;
	if (mem->flags & ~valid_flags)
		return -EINVAL;
	/*
	 * Sizes and addresses are in whole VM pages (host pages in in-tree
	 * KVM, whose VM page is the host's): a gfn, a dirty bit and a
	 * translation all cover one.
	 */
	if ((mem->memory_size & (page_size - 1)) ||
	    mem->memory_size != (unsigned long)mem->memory_size)
		return -EINVAL;
	if (mem->guest_phys_addr & (page_size - 1))
		return -EINVAL;
	if ((mem->userspace_addr & (page_size - 1)) ||
	    mem->userspace_addr != untagged_addr(mem->userspace_addr) ||
	    !access_ok(u64_to_user_ptr(mem->userspace_addr), mem->memory_size))
		return -EINVAL;
	if (as_id >= ops->nr_address_spaces || id >= KVM_MEMSLOT_MAX_SLOT_ID)
		return -EINVAL;
	if (mem->guest_phys_addr + mem->memory_size < mem->guest_phys_addr)
		return -EINVAL;
	if ((mem->memory_size >> ops->page_shift) > KVM_MEMSLOT_MAX_NR_PAGES)
		return -EINVAL;

	b = &u->as[as_id];
	old = kvm_memslot_find_id(u->vm, as_id, id);
	if (old && (old->flags & KVM_MEMSLOT_UPDATE_NEW))
		return -EINVAL;

	if (!mem->memory_size) {
		if (!old)
			return -EINVAL;
		rec->change = KVM_MEMSLOT_DELETE;
		rec->old = old;
		goto apply;
	}

	base_gfn = mem->guest_phys_addr >> ops->page_shift;
	npages = mem->memory_size >> ops->page_shift;

	if (!old) {
		rec->change = KVM_MEMSLOT_CREATE;
		/* The total must fit in an unsigned long, as in KVM. */
		if (u->nr_memslot_pages + npages < u->nr_memslot_pages)
			return -EINVAL;
	} else {
		if (mem->userspace_addr != old->userspace_addr ||
		    npages != old->npages ||
		    ((mem->flags ^ old->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (base_gfn != old->base_gfn)
			rec->change = KVM_MEMSLOT_MOVE;
		else if (mem->flags != old->flags)
			rec->change = KVM_MEMSLOT_FLAGS_ONLY;
		else
			return 0;
	}

	if ((rec->change == KVM_MEMSLOT_CREATE || rec->change == KVM_MEMSLOT_MOVE) &&
	    kvm_memslot_overlaps(b->roots[KVM_MEMSLOT_BY_GFN], id, base_gfn,
				 base_gfn + npages))
		return -EEXIST;

	if (!old) {
		int r = kvm_memslot_ids_reserve(u->vm, as_id, id);

		if (r)
			return r;
	}
	new = kzalloc(sizeof(*new), GFP_KERNEL_ACCOUNT);
	if (!new)
		return -ENOMEM;
	new->as_id = as_id;
	new->id = id;
	new->base_gfn = base_gfn;
	new->npages = npages;
	new->page_shift = ops->page_shift;
	new->flags = mem->flags | KVM_MEMSLOT_UPDATE_NEW;
	new->userspace_addr = mem->userspace_addr;
	/* A flags change keeps the backend data (rmap, ...) of the slot. */
	if (rec->change == KVM_MEMSLOT_FLAGS_ONLY)
		new->arch = old->arch;
	rec->old = old;
	rec->new = new;

	if (rec->change == KVM_MEMSLOT_FLAGS_ONLY &&
	    (new->flags & ~old->flags & KVM_MEM_LOG_DIRTY_PAGES))
		u->enables_dirty_log = true;

apply:
	if (rec->change == KVM_MEMSLOT_DELETE || rec->change == KVM_MEMSLOT_MOVE)
		u->needs_invalid = true;
	b->touched = true;
	kvm_memslot_build_apply(u, rec, b);
	return u->txn.err;
}

/* Allocate the INVALID copies and sets published while old slots are in transition. */
static int kvm_memslot_build_invalid(struct kvm_memslot_update *u)
{
	struct kvm_memslot_txn *txn = &u->invalid_txn;
	const struct kvm_memslot_ops *ops = u->vm->ops;
	unsigned int i, as_id;

	lockdep_assert_held(&u->vm->slots_lock);

	for (i = 0; i < u->nr; i++) {
		struct kvm_memslot_change_rec *rec = &u->changes[i];

		if (rec->change == KVM_MEMSLOT_CREATE || rec->change == KVM_MEMSLOT_MOVE)
			u->as[rec->new->as_id].nr_transit++;
	}

	for (as_id = 0; as_id < ops->nr_address_spaces; as_id++) {
		struct kvm_memslot_as_build *b = &u->as[as_id];

		if (!b->touched)
			continue;
		b->invalid = kvm_memslots_alloc(as_id, b->nr_transit);
		if (!b->invalid)
			return -ENOMEM;
		memcpy(b->invalid->roots, b->base->roots, sizeof(b->invalid->roots));
		b->invalid->nr_slots = b->base->nr_slots;
	}

	for (i = 0; i < u->nr; i++) {
		struct kvm_memslot_change_rec *rec = &u->changes[i];
		struct kvm_memslots *set;

		if (rec->change == KVM_MEMSLOT_CREATE ||
		    rec->change == KVM_MEMSLOT_MOVE) {
			set = u->as[rec->new->as_id].invalid;
			set->transit[set->nr_transit].start = rec->new->base_gfn;
			set->transit[set->nr_transit].end = kvm_memslot_end(rec->new);
			set->nr_transit++;
		}
		if (rec->change != KVM_MEMSLOT_DELETE &&
		    rec->change != KVM_MEMSLOT_MOVE)
			continue;

		/* The copy shares the rmap: translations stay removable through it. */
		rec->invalid = kmemdup(rec->old, sizeof(*rec->old), GFP_KERNEL_ACCOUNT);
		if (!rec->invalid)
			return -ENOMEM;
		rec->invalid->flags |= KVM_MEMSLOT_INVALID;

		/*
		 * Only the gfn tree gets the copy.  Faults, caches and audits
		 * find slots by gfn, and must see it INVALID; the hva tree
		 * serves MMU-notifier unmaps, which work the same through the
		 * original (same range, same backend data), and the id tree is
		 * read under slots_lock only, which never sees this set.  That
		 * spares two of the three path copies.
		 */
		set = u->as[rec->old->as_id].invalid;
		set->roots[KVM_MEMSLOT_BY_GFN] =
			kvm_memslot_tree_replace(txn, KVM_MEMSLOT_BY_GFN,
						 set->roots[KVM_MEMSLOT_BY_GFN],
						 rec->old, rec->invalid);
		if (txn->err)
			return txn->err;
	}
	return 0;
}

/* Allocate everything the protocol needs, so nothing fails once it runs. */
static int kvm_memslot_update_alloc(struct kvm_memslot_update *u)
{
	const struct kvm_memslot_ops *ops = u->vm->ops;
	unsigned int as_id;

	for (as_id = 0; as_id < ops->nr_address_spaces; as_id++) {
		struct kvm_memslot_as_build *b = &u->as[as_id];

		if (!b->touched)
			continue;
		b->final = kvm_memslots_alloc(as_id, 0);
		if (!b->final)
			return -ENOMEM;
		memcpy(b->final->roots, b->roots, sizeof(b->roots));
		b->final->nr_slots = b->nr_slots;
	}

	/* Each change retires at most its old slot and that slot's INVALID copy. */
	u->reclaim = kvm_memslot_reclaim_alloc(2 * u->nr);
	if (!u->reclaim)
		return -ENOMEM;

	if (u->needs_invalid)
		return kvm_memslot_build_invalid(u);
	return 0;
}

static struct kvm_memslots *kvm_memslot_build_set(struct kvm_memslot_as_build *b,
						  enum kvm_memslot_publish_kind kind)
{
	return kind == KVM_MEMSLOT_PUBLISH_INVALID ? b->invalid : b->final;
}

/*
 * Publish the update's sets of one kind in every address space it changes.
 * INVALID sets get an odd generation, the others the next even one.
 */
static void kvm_memslot_publish(struct kvm_memslot_update *u,
				enum kvm_memslot_publish_kind kind)
{
	struct kvm_memslot_vm *vm = u->vm;
	const struct kvm_memslot_ops *ops = vm->ops;
	unsigned int as_id;
	u64 generation;
	/* Publishers are serialized: generations and sets go up in step. */
	lockdep_assert_held(&vm->slots_lock);

	if (kind == KVM_MEMSLOT_PUBLISH_INVALID)
		generation = vm->generation + 1;
	else
		generation = (vm->generation | 1) + 1;

	kvm_memslot_publish_begin(vm);
	for (as_id = 0; as_id < ops->nr_address_spaces; as_id++) {
		struct kvm_memslots *slots;

		if (!u->as[as_id].touched)
			continue;
		slots = kvm_memslot_build_set(&u->as[as_id], kind);
		slots->generation = generation;
		rcu_assign_pointer(vm->sets[as_id], slots);
		trace_kvm_memslot_publish(slots, u->nr == 1 ? u->changes[0].change :
					  KVM_MEMSLOT_TRACE_BATCH, kind);
	}
	WRITE_ONCE(vm->generation, generation);
	vm->stats.publishes++;
	kvm_memslot_publish_end(vm);
	/*
	 * Faults waiting for a transition to end (kvm_memslot_fault_lookup)
	 * look again.  The harness's negative control of lost wake-ups
	 * (tests/Makefile, neg-wakeup) builds the core without it.
	 */
#ifndef KVM_MEMSLOT_TEST_DROP_WAKEUP
	wake_up_all(&vm->update_wq);
#endif
}

/*
 * Readers are short (a lookup, a fault), so an expedited grace period costs
 * little and keeps a stream of deletes from taking jiffies each.
 */
static void kvm_memslot_wait_readers(struct kvm_memslot_vm *vm,
				     enum kvm_memslot_trace_wait why)
{
	u64 start;

	if (KVM_MEMSLOT_TEST_EARLY_FREE)
		return;
	start = ktime_get_ns();
	synchronize_srcu_expedited(&vm->srcu);
	vm->stats.grace_periods++;
	trace_kvm_memslot_grace_period(vm->generation, why,
				       ktime_get_ns() - start);
	kvm_memslot_reclaim_pool_covered(vm);
}

static int kvm_memslot_prepare_one(struct kvm_memslot_update *u,
				   struct kvm_memslot_change_rec *rec)
{
	struct kvm_memslot_vm *vm = u->vm;
	struct kvm_memory_slot *old = rec->old, *new = rec->new;
	int r;
	/* The hook contract: prepare runs with slots_lock held. */
	lockdep_assert_held(&vm->slots_lock);

	/* Logging on in both: keep the bitmap; newly on: a fresh one. */
	if (new && (new->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
		if (old && old->dirty_bitmap) {
			new->dirty_bitmap = old->dirty_bitmap;
		} else {
			/* The second half is GET_DIRTY_LOG's snapshot buffer. */
			new->dirty_bitmap = kvcalloc(2 * BITS_TO_LONGS(new->npages),
						     sizeof(long), GFP_KERNEL_ACCOUNT);
			if (!new->dirty_bitmap)
				return -ENOMEM;
			rec->new_bitmap = true;
			if (vm->manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET)
				bitmap_set(new->dirty_bitmap, 0, new->npages);
		}
	}

	vm->stats.prepares++;
	r = vm->ops->prepare_memory_region(vm, old, new, rec->change);
	if (r) {
		if (rec->new_bitmap) {
			kvfree(new->dirty_bitmap);
			new->dirty_bitmap = NULL;
			rec->new_bitmap = false;
		}
		return r;
	}
	rec->prepared = true;
	return 0;
}

/*
 * Free the slots an update created but never published, and point their
 * ids back at the published slots.  The changes are undone last to first:
 * a batch may delete a slot and create another with its id.
 */
static void kvm_memslot_discard_new(struct kvm_memslot_update *u)
{
	unsigned int i;

	for (i = u->nr; i--; ) {
		struct kvm_memslot_change_rec *rec = &u->changes[i];
		struct kvm_memory_slot *slot = rec->new ?: rec->old;

		kvm_memslot_ids_set(u->vm, slot->as_id, slot->id, rec->old);
	}

	for (i = 0; i < u->nr; i++) {
		struct kvm_memslot_change_rec *rec = &u->changes[i];
		struct kvm_memory_slot *new = rec->new;
		void *old_arch = rec->old ? rec->old->arch : NULL;

		if (new)
			kvm_memslot_free_slot(u->vm, new,
					      rec->prepared && new->arch != old_arch,
					      rec->new_bitmap);
	}
}

static void kvm_memslot_retire_invalid(struct kvm_memslot_update *u)
{
	struct kvm_memslot_reclaim *reclaim = u->reclaim;
	unsigned int i, as_id;

	for (as_id = 0; as_id < u->vm->ops->nr_address_spaces; as_id++) {
		struct kvm_memslot_as_build *b = &u->as[as_id];

		if (!b->touched)
			continue;
		reclaim->sets[reclaim->nr_sets++] = b->base;
		if (b->invalid)
			reclaim->sets[reclaim->nr_sets++] = b->invalid;
	}
	kvm_memslot_reclaim_add_nodes(reclaim, u->invalid_txn.fresh);
	for (i = 0; i < u->nr; i++)
		if (u->changes[i].invalid)
			kvm_memslot_reclaim_add_slot(reclaim, u->changes[i].invalid,
						     false, false);
}

/* Retire, for freeing after a grace period, what a published update replaced. */
static void kvm_memslot_retire_replaced(struct kvm_memslot_update *u)
{
	struct kvm_memslot_reclaim *reclaim = u->reclaim;
	unsigned int i;

	kvm_memslot_retire_invalid(u);
	kvm_memslot_reclaim_add_nodes(reclaim, u->txn.retired);
	for (i = 0; i < u->nr; i++) {
		struct kvm_memory_slot *old = u->changes[i].old;
		struct kvm_memory_slot *new = u->changes[i].new;

		if (!old)
			continue;
		/* A successor may inherit the backend data and the bitmap. */
		kvm_memslot_reclaim_add_slot(reclaim, old,
					     !new || new->arch != old->arch,
					     !new || new->dirty_bitmap != old->dirty_bitmap);
	}
	kvm_memslot_reclaim_defer(u->vm, reclaim);
}

/*
 * Preparing failed after the INVALID sets were published: publish the old
 * layout again, in new set structures whose generation tells caches that
 * something happened, and retire what was tried.  The final sets were
 * never published, and their trees were discarded with the build: they
 * carry the old layout instead, so that nothing is allocated here.
 */
static void kvm_memslot_restore(struct kvm_memslot_update *u)
{
	unsigned int as_id;

	lockdep_assert_held(&u->vm->slots_lock);

	for (as_id = 0; as_id < u->vm->ops->nr_address_spaces; as_id++) {
		struct kvm_memslot_as_build *b = &u->as[as_id];

		if (b->touched)
			*b->final = *b->base;
	}
	kvm_memslot_publish(u, KVM_MEMSLOT_PUBLISH_RESTORE);
	kvm_memslot_retire_invalid(u);
	kvm_memslot_reclaim_defer(u->vm, u->reclaim);
}

/* Undo an update of which nothing was published. */
static void kvm_memslot_update_abort(struct kvm_memslot_update *u)
{
	unsigned int i, as_id;

	kvm_memslot_discard_new(u);
	for (i = 0; i < u->nr; i++)
		kfree(u->changes[i].invalid);
	for (as_id = 0; as_id < u->vm->ops->nr_address_spaces; as_id++) {
		kfree(u->as[as_id].final);
		kfree(u->as[as_id].invalid);
	}
	kvm_memslot_txn_abort(&u->invalid_txn);
	kvm_memslot_txn_abort(&u->txn);
	kfree(u->reclaim);
}

/*
 * Test only: flush the old slots before the INVALID publish instead of
 * after it and its grace period.  A fault that looked a slot up before the
 * publish can then map it after the flush, and that translation outlives
 * the slot; selftests/kvm_memslot/memslot_ppc_race and memslot_flush_race
 * turn this on to show the audit and their checks catching it.  Never set
 * outside those tests.
 */
static bool test_flush_before_invalid;
module_param(test_flush_before_invalid, bool, 0644);
MODULE_PARM_DESC(test_flush_before_invalid,
		 "test only: flush deleted and moved slots too early (breaks invariant 1)");

/* flush_memslot for every slot the update deletes or moves. */
static void kvm_memslot_flush_old(struct kvm_memslot_update *u)
{
	struct kvm_memslot_vm *vm = u->vm;
	unsigned long removed;
	unsigned int i;

	for (i = 0; i < u->nr; i++) {
		struct kvm_memslot_change_rec *rec = &u->changes[i];

		if (rec->change != KVM_MEMSLOT_DELETE &&
		    rec->change != KVM_MEMSLOT_MOVE)
			continue;
		vm->stats.flushes++;
		removed = vm->ops->flush_memslot ?
			  vm->ops->flush_memslot(vm, rec->old) : 0;
		trace_kvm_memslot_flush_memslot(rec->old, removed);
		if (vm->listener)
			vm->listener->notify(vm, rec->old, rec->new,
					     rec->change);
	}
}

static int kvm_memslot_update_run(struct kvm_memslot_update *u)
{
	struct kvm_memslot_vm *vm = u->vm;
	const struct kvm_memslot_ops *ops = vm->ops;
	unsigned int i;
	int r;
	/* Flush and commit hooks, like prepare, run under slots_lock. */
	lockdep_assert_held(&vm->slots_lock);

	if (u->needs_invalid) {
		bool early = READ_ONCE(test_flush_before_invalid);

		if (unlikely(early))
			kvm_memslot_flush_old(u);
		kvm_memslot_publish(u, KVM_MEMSLOT_PUBLISH_INVALID);
		/* After this no reader can create a translation from an old slot. */
		kvm_memslot_wait_readers(vm, KVM_MEMSLOT_TRACE_WAIT_TRANSITION);
		if (likely(!early))
			kvm_memslot_flush_old(u);
		/*
		 * Listeners may wait until whoever mapped the old RAM has let
		 * go of it; if they give up, the old layout comes back.
		 */
		if (vm->listener) {
			r = vm->listener->sync(vm);
			if (r) {
				u->failed = u->changes[0].index;
				goto fail;
			}
		}
	}

	for (i = 0; i < u->nr; i++) {
		r = kvm_memslot_prepare_one(u, &u->changes[i]);
		if (r) {
			u->failed = u->changes[i].index;
			goto fail;
		}
	}

	kvm_memslot_txn_seal(&u->txn);
	kvm_memslot_publish(u, KVM_MEMSLOT_PUBLISH_FINAL);
	/* No fault that saw logging off may still install a writable entry. */
	if (u->enables_dirty_log)
		kvm_memslot_wait_readers(vm, KVM_MEMSLOT_TRACE_WAIT_DIRTY_LOG);

	for (i = 0; i < u->nr; i++) {
		struct kvm_memslot_change_rec *rec = &u->changes[i];

		vm->stats.commits++;
		if (ops->commit_memory_region)
			ops->commit_memory_region(vm, rec->old, rec->new, rec->change);
		if (vm->listener && (rec->change == KVM_MEMSLOT_CREATE ||
				     rec->change == KVM_MEMSLOT_FLAGS_ONLY))
			vm->listener->notify(vm, rec->old, rec->new, rec->change);
	}

	vm->nr_memslot_pages = u->nr_memslot_pages;
	vm->stats.updates++;
	kvm_memslot_retire_replaced(u);
	return 0;

fail:
	if (!u->needs_invalid) {
		kvm_memslot_update_abort(u);
		return r;
	}
	kvm_memslot_discard_new(u);
	kvm_memslot_txn_abort(&u->txn);
	kvm_memslot_restore(u);
	/* Listeners heard that the old RAM went: it is back. */
	for (i = 0; vm->listener && i < u->nr; i++) {
		struct kvm_memslot_change_rec *rec = &u->changes[i];

		if (rec->change == KVM_MEMSLOT_DELETE ||
		    rec->change == KVM_MEMSLOT_MOVE)
			vm->listener->notify(vm, NULL, rec->old,
					     KVM_MEMSLOT_CREATE);
	}
	return r;
}

/**
 * kvm_memslot_set_regions() - apply several slot changes atomically
 * @vm:     the VM
 * @mems:   the changes, each with KVM_SET_USER_MEMORY_REGION's meaning,
 *          validated against the layout left by the ones before it
 * @nr:     number of changes
 * @failed: if not NULL, receives the index of the change that failed
 *
 * Readers see the whole old layout or the whole new one.  A batch may
 * change each slot once, except that a delete may be followed by a create
 * with the same id; a second change gets -EINVAL.
 *
 * Return: 0, or the errno in-tree KVM gives for the failing change; on
 * failure nothing changed.
 */
int kvm_memslot_set_regions(struct kvm_memslot_vm *vm,
			    const struct kvm_userspace_memory_region *mems,
			    unsigned int nr, unsigned int *failed)
{
	struct kvm_memslot_update u = { .vm = vm };
	struct kvm_memslot_change_rec single = {};
	unsigned int i, as_id;
	int r = 0;

	if (!nr)
		return 0;

	/*
	 * In-tree KVM allocates nothing before its checks: neither may a
	 * single change, or -ENOMEM could win over the errno of a check.
	 */
	if (nr == 1)
		u.changes = &single;
	else
		u.changes = kvcalloc(nr, sizeof(*u.changes), GFP_KERNEL_ACCOUNT);
	if (!u.changes) {
		u.failed = 0;
		r = -ENOMEM;
		goto out;
	}

	mutex_lock(&vm->slots_lock);
	kvm_memslot_txn_begin(&u.txn, true, &vm->node_pool);
	kvm_memslot_txn_begin(&u.invalid_txn, false, &vm->node_pool);
	u.nr_memslot_pages = vm->nr_memslot_pages;
	for (as_id = 0; as_id < vm->ops->nr_address_spaces; as_id++) {
		struct kvm_memslot_as_build *b = &u.as[as_id];

		b->base = kvm_memslots_get(vm, as_id);
		memcpy(b->roots, b->base->roots, sizeof(b->roots));
		b->nr_slots = b->base->nr_slots;
	}

	for (i = 0; i < nr; i++) {
		struct kvm_memslot_change_rec *rec = &u.changes[u.nr];

		rec->index = i;
		r = kvm_memslot_check_region(&u, &mems[i], rec);
		if (rec->old || rec->new)
			u.nr++;
		if (r) {
			u.failed = i;
			break;
		}
	}
	for (i = 0; i < u.nr; i++)
		if (u.changes[i].new)
			u.changes[i].new->flags &= ~KVM_MEMSLOT_UPDATE_NEW;

	if (!r && u.nr)
		r = kvm_memslot_update_alloc(&u);
	if (r || !u.nr) {
		kvm_memslot_update_abort(&u);
		goto out_unlock;
	}

	r = kvm_memslot_update_run(&u);

out_unlock:
	mutex_unlock(&vm->slots_lock);
	if (u.changes != &single)
		kvfree(u.changes);
out:
	if (r && failed)
		*failed = u.failed;
	return r;
}

/**
 * kvm_memslot_set_user_region() - KVM_SET_USER_MEMORY_REGION
 * @vm:  the VM
 * @mem: the region, as userspace passed it
 *
 * Return: 0, or the errno in-tree KVM gives for the same call.
 */
int kvm_memslot_set_user_region(struct kvm_memslot_vm *vm,
				const struct kvm_userspace_memory_region *mem)
{
	return kvm_memslot_set_regions(vm, mem, 1, NULL);
}
