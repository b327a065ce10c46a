// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lookups in a published slot set: by gfn, by id, by host address range.
 *
 * All of them run on an immutable set, under the VM's SRCU or slots_lock,
 * and take O(log n) (plus the number of slots reported, for range walks).
 */

#include <linux/err.h>
#include <linux/sched.h>

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
	struct kvm_memory_slot *slot;

	/* Slots of a set never overlap: only the floor can contain @gfn. */
	slot = kvm_memslot_tree_floor(slots->roots[KVM_MEMSLOT_BY_GFN], gfn);

	if (slot && gfn < kvm_memslot_end(slot))
		return slot;
	return NULL;
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
 * kvm_memslot_find_id() - the slot with a given id
 * @slots: the set
 * @id:    slot id
 *
 * Return: the slot, which may be INVALID, or NULL.
 */
struct kvm_memory_slot *kvm_memslot_find_id(struct kvm_memslots *slots, u16 id)
{
	return kvm_memslot_tree_find_id(slots->roots[KVM_MEMSLOT_BY_ID], id);
}

/**
 * kvm_memslot_find_gfn_hint() - kvm_memslot_find_gfn() with a last-used slot
 * @slots: the set
 * @gfn:   guest frame number
 * @hint:  the caller's (a vCPU's) last-used slot, updated on a tree lookup
 *
 * Return: as kvm_memslot_find_gfn().
 */
struct kvm_memory_slot *kvm_memslot_find_gfn_hint(struct kvm_memslots *slots,
						  kvm_memslot_gfn_t gfn,
						  struct kvm_memslot_hint *hint)
{
	struct kvm_memory_slot *slot = hint->slot;

	/*
	 * A hint from another generation may point to freed memory; sets of
	 * two address spaces published together share a generation.
	 */
	if (slot && hint->generation == slots->generation &&
	    hint->as_id == slots->as_id &&
	    gfn >= slot->base_gfn && gfn < kvm_memslot_end(slot))
		return slot;

	slot = kvm_memslot_find_gfn(slots, gfn);
	if (slot) {
		hint->slot = slot;
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
 * looked up again in the set that ends the transition.
 *
 * Return: a valid (never INVALID) slot, or NULL if no slot backs @gfn.
 * Either way the SRCU read lock is held on return.
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
		wait_event(vm->update_wq,
			   READ_ONCE(vm->generation) != generation);
	}
}

struct kvm_memslot_walk {
	kvm_memslot_visit_t fn;
	void *data;
	unsigned long start;
	unsigned long end;
};

static int walk_hva(struct kvm_memslot_node *node, struct kvm_memslot_walk *walk)
{
	unsigned long slot_end;
	int ret;

	/* Nothing in this subtree ends after the range starts. */
	if (!node || node->max_hva_end <= walk->start)
		return 0;

	ret = walk_hva(node->left, walk);
	if (ret)
		return ret;

	/* This node and its right subtree start at or after the range end. */
	if (node->key >= walk->end)
		return 0;

	slot_end = node->slot->userspace_addr + (node->slot->npages << PAGE_SHIFT);
	if (slot_end > walk->start) {
		ret = walk->fn(node->slot, walk->data);
		if (ret)
			return ret;
	}
	return walk_hva(node->right, walk);
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

	if (start >= end)
		return 0;
	return walk_hva(slots->roots[KVM_MEMSLOT_BY_HVA], &walk);
}

static int walk_all(struct kvm_memslot_node *node,
		    kvm_memslot_visit_t fn,
		    void *data)
{
	int ret;

	if (!node)
		return 0;
	ret = walk_all(node->left, fn, data);
	if (!ret)
		ret = fn(node->slot, data);
	if (!ret)
		ret = walk_all(node->right, fn, data);
	return ret;
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
