// SPDX-License-Identifier: GPL-2.0-only
/*
 * The slots of each address space by id: an index beside the published
 * sets, changed in place and read under slots_lock only.
 *
 * Nothing looks a slot up by id without slots_lock: an update, to find the
 * slot a region names, and the dirty log and dirty ring ioctls, which take
 * the lock to keep that slot published while they use it.  A tree by id in
 * every set would cost each update one more path copy, for readers that
 * never come; an index written by the update that holds the lock costs a
 * store, and a lookup an array access.
 *
 * The index is two levels: a fixed array of chunk pointers in the VM, and
 * chunks of KVM_MEMSLOT_ID_CHUNK slot pointers allocated when the first
 * slot with an id in their range is created.  A chunk stays until the VM
 * is destroyed, so that a stream of deletes and creates allocates nothing
 * here; at most KVM_MEMSLOT_ID_CHUNKS pages per address space.
 */

#include <linux/slab.h>

#include "memslot_internal.h"

static struct kvm_memory_slot **
kvm_memslot_id_entry(struct kvm_memslot_vm *vm, u16 as_id, u16 id)
{
	struct kvm_memory_slot **chunk;

	chunk = vm->ids[as_id].chunks[id / KVM_MEMSLOT_ID_CHUNK];
	return chunk ? &chunk[id % KVM_MEMSLOT_ID_CHUNK] : NULL;
}

/**
 * kvm_memslot_find_id() - the published slot with a given id
 * @vm:    the VM; slots_lock held, so that the answer stays published
 * @as_id: address space
 * @id:    slot id
 *
 * During an update, the lock holder sees the slots its changes so far
 * made; no one else can look then.
 *
 * Return: the slot, or NULL if there is none (or @as_id or @id is out of
 * range).
 */
struct kvm_memory_slot *kvm_memslot_find_id(struct kvm_memslot_vm *vm,
					    u16 as_id, u16 id)
{
	struct kvm_memory_slot **entry;

	lockdep_assert_held(&vm->slots_lock);

	if (as_id >= vm->ops->nr_address_spaces || id >= KVM_MEMSLOT_MAX_SLOT_ID)
		return NULL;
	entry = kvm_memslot_id_entry(vm, as_id, id);
	return entry ? *entry : NULL;
}

/**
 * kvm_memslot_ids_reserve() - make room in the index for an id
 * @vm:    the VM, slots_lock held
 * @as_id: address space, below the backend's count
 * @id:    slot id, below KVM_MEMSLOT_MAX_SLOT_ID
 *
 * Return: 0, or -ENOMEM if the id's chunk could not be allocated.
 */
int kvm_memslot_ids_reserve(struct kvm_memslot_vm *vm, u16 as_id, u16 id)
{
	struct kvm_memory_slot ***chunk;

	lockdep_assert_held(&vm->slots_lock);

	chunk = &vm->ids[as_id].chunks[id / KVM_MEMSLOT_ID_CHUNK];
	if (!*chunk)
		*chunk = kcalloc(KVM_MEMSLOT_ID_CHUNK, sizeof(**chunk),
				 GFP_KERNEL_ACCOUNT);
	return *chunk ? 0 : -ENOMEM;
}

/**
 * kvm_memslot_ids_set() - point an id at a slot
 * @vm:    the VM, slots_lock held
 * @as_id: address space
 * @id:    slot id; kvm_memslot_ids_reserve() succeeded for it, unless
 *         @slot is NULL
 * @slot:  the slot, or NULL to remove the id
 */
void kvm_memslot_ids_set(struct kvm_memslot_vm *vm, u16 as_id, u16 id,
			 struct kvm_memory_slot *slot)
{
	struct kvm_memory_slot **entry;

	lockdep_assert_held(&vm->slots_lock);

	entry = kvm_memslot_id_entry(vm, as_id, id);
	if (entry)
		*entry = slot;
	else
		WARN_ON_ONCE(slot);
}

/**
 * kvm_memslot_ids_destroy() - free the index of a VM
 * @vm: the VM, being destroyed
 */
void kvm_memslot_ids_destroy(struct kvm_memslot_vm *vm)
{
	unsigned int as_id, i;

	for (as_id = 0; as_id < KVM_MEMSLOT_MAX_ADDRESS_SPACES; as_id++) {
		for (i = 0; i < KVM_MEMSLOT_ID_CHUNKS; i++) {
			kfree(vm->ids[as_id].chunks[i]);
			vm->ids[as_id].chunks[i] = NULL;
		}
	}
}
