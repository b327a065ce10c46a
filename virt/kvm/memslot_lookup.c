// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lookups in a published slot set: by gfn, by id, by host address range.
 *
 * All of them run on an immutable set, under the VM's SRCU or slots_lock,
 * and take O(log n) (plus the number of slots reported, for range walks).
 */

#include <linux/err.h>
#include <linux/sched.h>

#include <trace/events/kvm_memslot.h>

#include "memslot_tree.h"

/**
 * kvm_memslot_find_gfn() - the slot containing a gfn
 * @slots: the set
 * @gfn:   guest frame number
 *
 * Return: the slot, which may be INVALID, or NULL if no slot contains @gfn.
 */
struct kvm_memory_slot *kvm_memslot_find_gfn(struct kvm_memslots *slots,
					     kvm_memslot_gfn_t gfn)
{
	return kvm_memslot_tree_find_gfn(slots->roots[KVM_MEMSLOT_BY_GFN], gfn);
}

/**
 * kvm_memslot_gfn_in_transition() - whether an update is changing a gfn
 * @slots: the set
 * @gfn:   guest frame number
 *
 * Return: true if @gfn is in an INVALID slot or in a range that an update
 * in progress is about to map; a fault on it must wait and retry, never
 * treat it as unbacked.
 */
bool kvm_memslot_gfn_in_transition(struct kvm_memslots *slots,
				   kvm_memslot_gfn_t gfn)
{
	struct kvm_memory_slot *slot;
	unsigned int i;

	if (!kvm_memslots_in_update(slots))
		return false;

	slot = kvm_memslot_find_gfn(slots, gfn);
	if (slot && kvm_memslot_is_invalid(slot))
		return true;

	for (i = 0; i < slots->nr_transit; i++)
		if (gfn >= slots->transit[i].start && gfn < slots->transit[i].end)
			return true;
	return false;
}

/**
 * __kvm_memslot_find_gfn_hint() - the miss path of kvm_memslot_find_gfn_hint()
 * @slots: the set
 * @gfn:   guest frame number
 * @hint:  the caller's last-used slot, which missed
 *
 * Looks @gfn up in the tree and, if a slot holds it, points @hint there.
 *
 * Return: as kvm_memslot_find_gfn().
 */
struct kvm_memory_slot *__kvm_memslot_find_gfn_hint(struct kvm_memslots *slots,
						    kvm_memslot_gfn_t gfn,
						    struct kvm_memslot_hint *hint)
{
	struct kvm_memory_slot *slot = kvm_memslot_find_gfn(slots, gfn);

	if (slot) {
		hint->slot = slot;
		hint->base_gfn = slot->base_gfn;
		hint->npages = slot->npages;
		hint->generation = slots->generation;
		hint->as_id = slots->as_id;
	}
	return slot;
}

/**
 * kvm_memslot_fault_lookup() - find the slot a fault may map a gfn from
 * @vm:       the VM
 * @as_id:    address space
 * @gfn:      guest frame number
 * @hint:     the vCPU's last-used slot, or NULL
 * @srcu_idx: receives the SRCU read-lock index; the caller unlocks
 *
 * A gfn in transition is waited for with the SRCU read lock dropped (the
 * update's grace period would otherwise wait for this reader forever), then
 * looked up again in the set that ends the transition.  The wait is
 * killable: the update may itself wait for MMU-notifier invalidations.
 *
 * Return: a valid (never INVALID) slot, NULL if no slot backs @gfn, or
 * ERR_PTR(-EINTR) if a fatal signal interrupted the wait.  In every case
 * the SRCU read lock is held on return.
 */
struct kvm_memory_slot *kvm_memslot_fault_lookup(struct kvm_memslot_vm *vm,
						 int as_id,
						 kvm_memslot_gfn_t gfn,
						 struct kvm_memslot_hint *hint,
						 int *srcu_idx)
	__acquires(&vm->srcu)
{
	struct kvm_memslot_hint no_hint = {};
	struct kvm_memory_slot *slot;
	struct kvm_memslots *slots;
	u64 generation;

	if (!hint)
		hint = &no_hint;

	for (;;) {
		*srcu_idx = srcu_read_lock(&vm->srcu);
		slots = kvm_memslots_get(vm, as_id);
		slot = kvm_memslot_find_gfn_hint(slots, gfn, hint);
		if (!kvm_memslot_gfn_in_transition(slots, gfn))
			return slot;

		generation = slots->generation;
		srcu_read_unlock(&vm->srcu, *srcu_idx);
		atomic64_inc(&vm->transit_waits);
		trace_kvm_memslot_fault_wait(as_id, gfn, generation);
		if (wait_event_killable(vm->update_wq,
					READ_ONCE(vm->generation) != generation)) {
			*srcu_idx = srcu_read_lock(&vm->srcu);
			return ERR_PTR(-EINTR);
		}
	}
}

struct kvm_memslot_walk {
	kvm_memslot_visit_t fn;
	void *data;
	unsigned long start;
	unsigned long end;
};

/*
 * Entries are in address order, and the prefix maxima of their end
 * addresses tell where the first one that ends after the range starts is:
 * the walk begins there, skips entries whose slot or subtree ends before
 * the range starts, and stops at the first one that starts at or after the
 * range end.  A child it enters either holds a slot that overlaps (all its
 * slots start before the next entry's key, which is below the range end,
 * and one ends after the range starts), or is the last child entered from
 * its node: besides the paths to the slots it reports, the walk follows
 * at most one fruitless path down from each node it visits.
 */
static int walk_hva(const struct kvm_memslot_node *node,
		    const struct kvm_memslot_walk *walk)
{
	const struct kvm_memslot_hva_node *hnode = kvm_memslot_hva_node(node);
	unsigned int i;
	int ret;

	/* walk->start < walk->end, so it is below KVM_MEMSLOT_KEY_NONE. */
	for (i = kvm_memslot_rank(hnode->prefix_end, walk->start);
	     i < node->nr && node->keys[i] < walk->end; i++) {
		if (hnode->max_end[i] <= walk->start)
			continue;
		if (node->height)
			ret = walk_hva(node->children[i], walk);
		else
			ret = walk->fn(node->slots[i], walk->data);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * kvm_memslot_visit_hva() - visit the slots overlapping a host range
 * @slots: the set
 * @start: first host address
 * @end:   one past the last host address
 * @fn:    called for each slot, INVALID ones included, in address order;
 *         a non-zero return stops the walk
 * @data:  passed to @fn
 *
 * Costs O(log n + k) for k slots visited.
 *
 * Return: the first non-zero value returned by @fn, else 0.
 */
int kvm_memslot_visit_hva(struct kvm_memslots *slots,
			  unsigned long start, unsigned long end,
			  kvm_memslot_visit_t fn,
			  void *data)
{
	struct kvm_memslot_walk walk = {
		.fn = fn,
		.data = data,
		.start = start,
		.end = end,
	};

	if (start >= end || !slots->roots[KVM_MEMSLOT_BY_HVA])
		return 0;
	return walk_hva(slots->roots[KVM_MEMSLOT_BY_HVA], &walk);
}

static int walk_all(const struct kvm_memslot_node *node,
		    kvm_memslot_visit_t fn,
		    void *data)
{
	unsigned int i;
	int ret;

	if (!node)
		return 0;
	for (i = 0; i < node->nr; i++) {
		if (node->height)
			ret = walk_all(node->children[i], fn, data);
		else
			ret = fn(node->slots[i], data);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * kvm_memslot_visit_all() - visit every slot of a set in gfn order
 * @slots: the set
 * @fn:    called for each slot, INVALID ones included; a non-zero return
 *         stops the walk
 * @data:  passed to @fn
 *
 * Return: the first non-zero value returned by @fn, else 0.
 */
int kvm_memslot_visit_all(struct kvm_memslots *slots,
			  kvm_memslot_visit_t fn,
			  void *data)
{
	return walk_all(slots->roots[KVM_MEMSLOT_BY_GFN], fn, data);
}
