// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: the dirty ring (KVM_CAP_DIRTY_LOG_RING), with Linux 6.1's
 * ABI and errnos.
 *
 * Instead of a bitmap per slot, each vCPU logs the pages its writes dirty
 * in a ring of struct kvm_dirty_gfn that userspace maps from the vCPU fd
 * at KVM_DIRTY_LOG_PAGE_OFFSET.  A write fault on a dirty-logged slot
 * pushes the page when it installs the writable translation, in the same
 * mmu_lock section (memslot_access.c); userspace collects entries and
 * marks them reset; KVM_RESET_DIRTY_RINGS write-protects their pages again
 * under mmu_lock, so that the next write faults and is pushed anew.  A page
 * is thus in a ring once per write-protected period, never lost: a push
 * either precedes the reset's protection, or follows it through a new
 * fault.
 *
 * A vCPU never starts dirtying a page while its ring is soft-full (at most
 * the reserve below the end), so a push always finds a free entry: a
 * simulated access dirties at most one page per page it starts.  The
 * bitmap ioctls are refused once the rings are on, as in KVM.
 */
#include <linux/bitops.h>
#include <linux/kvm.h>
#include <linux/kvm_memslot.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/vmalloc.h>

#include "memslot_fd.h"

/* KVM's bounds: entries kept free at the end, and the most a ring has. */
#define KVM_MEMSLOT_DIRTY_RING_RSVD_ENTRIES	64
#define KVM_MEMSLOT_DIRTY_RING_MAX_ENTRIES	65536

/**
 * kvm_memslot_dirty_ring_check() - answer the dirty ring capabilities
 * @ops: the backend
 * @cap: KVM_CAP_DIRTY_LOG_RING or KVM_CAP_DIRTY_LOG_RING_ACQ_REL
 *
 * The architecture a backend models has rings (x86 in 6.1, with both
 * orderings) or not (arm64 and PowerPC in 6.1); the host must offer the
 * vCPU fd page they are mapped at.
 *
 * Return: the largest ring in bytes, or 0 without rings.
 */
long kvm_memslot_dirty_ring_check(const struct kvm_memslot_ops *ops, long cap)
{
	if (!KVM_DIRTY_LOG_PAGE_OFFSET || !ops->dirty_ring)
		return 0;
	return KVM_MEMSLOT_DIRTY_RING_MAX_ENTRIES *
	       sizeof(struct kvm_dirty_gfn);
}

/**
 * kvm_memslot_dirty_ring_enable() - KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING)
 * @vm:   the VM
 * @size: bytes of each vCPU's ring
 *
 * Return: 0, or -EINVAL if the VM has no rings, @size is not a power of
 * two or smaller than a page (or than the reserve), the rings are already
 * on, or a vCPU exists; -E2BIG if @size is beyond the largest ring.
 */
int kvm_memslot_dirty_ring_enable(struct kvm_memslot_host_vm *vm, u32 size)
{
	int r = 0;

	if (!kvm_memslot_dirty_ring_check(vm->core.ops, KVM_CAP_DIRTY_LOG_RING))
		return -EINVAL;
	if (!size || (size & (size - 1)))
		return -EINVAL;
	if (size < KVM_MEMSLOT_DIRTY_RING_RSVD_ENTRIES *
		   sizeof(struct kvm_dirty_gfn) || size < PAGE_SIZE)
		return -EINVAL;
	if (size > KVM_MEMSLOT_DIRTY_RING_MAX_ENTRIES *
		   sizeof(struct kvm_dirty_gfn))
		return -E2BIG;
	if (READ_ONCE(vm->dirty_ring_size))
		return -EINVAL;

	/* vCPU creation allocates the rings: fix the size before any. */
	mutex_lock(&vm->lock);
	if (vm->created_vcpus || vm->dirty_ring_size)
		r = -EINVAL;
	else
		WRITE_ONCE(vm->dirty_ring_size, size);
	mutex_unlock(&vm->lock);
	return r;
}

/**
 * kvm_memslot_dirty_ring_alloc() - give a new vCPU its ring
 * @vcpu: the vCPU being created, not yet visible
 *
 * Return: 0 (also without rings), or -ENOMEM.
 */
int kvm_memslot_dirty_ring_alloc(struct kvm_memslot_vcpu *vcpu)
{
	struct kvm_memslot_dirty_ring *ring = &vcpu->dirty_ring;
	u32 size = vcpu->vm->dirty_ring_size;

	if (!size)
		return 0;
	/* Charged to the VMM, as the rest of the vCPU. */
	ring->gfns = __vmalloc(size, GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!ring->gfns)
		return -ENOMEM;
	ring->size = size / sizeof(struct kvm_dirty_gfn);
	ring->soft_limit = ring->size - KVM_MEMSLOT_DIRTY_RING_RSVD_ENTRIES;
	return 0;
}

/**
 * kvm_memslot_dirty_ring_free() - free a vCPU's ring
 * @vcpu: the vCPU, no longer used; a mapping of the ring holds the vCPU
 *        fd, so none is left
 */
void kvm_memslot_dirty_ring_free(struct kvm_memslot_vcpu *vcpu)
{
	vfree(vcpu->dirty_ring.gfns);
	vcpu->dirty_ring.gfns = NULL;
}

/**
 * kvm_memslot_dirty_ring_page() - the ring page at an offset of the vCPU fd
 * @vcpu:  the vCPU
 * @pgoff: page offset into the vCPU fd
 *
 * Return: the page, or NULL if @pgoff is not one of the ring's.
 */
struct page *kvm_memslot_dirty_ring_page(struct kvm_memslot_vcpu *vcpu,
					 unsigned long pgoff)
{
	u32 pages = vcpu->vm->dirty_ring_size >> PAGE_SHIFT;

	if (!vcpu->dirty_ring.gfns || pgoff < KVM_DIRTY_LOG_PAGE_OFFSET ||
	    pgoff - KVM_DIRTY_LOG_PAGE_OFFSET >= pages)
		return NULL;
	return vmalloc_to_page((void *)vcpu->dirty_ring.gfns +
			       (pgoff - KVM_DIRTY_LOG_PAGE_OFFSET) * PAGE_SIZE);
}

/*
 * Write-protect again the pages of slot @slot_field (as userspace's entry
 * names it) in @mask, the 64 pages from @offset.  An entry naming a slot
 * deleted since, or pages beyond its end, is ignored, as KVM does.
 */
static void dirty_ring_protect(struct kvm_memslot_vm *vm, u32 slot_field,
			       u64 offset, unsigned long mask, bool *flush)
{
	unsigned int as_id = slot_field >> 16;
	u16 id = (u16)slot_field;
	struct kvm_memory_slot *slot;

	if (!mask || as_id >= vm->ops->nr_address_spaces ||
	    id >= vm->ops->nr_user_slots || !vm->ops->protect_dirty_gfns)
		return;
	slot = kvm_memslot_find_id(vm, as_id, id);
	if (!slot || offset >= slot->npages ||
	    offset + __fls(mask) >= slot->npages)
		return;

	spin_lock(&vm->mmu_lock);
	if (vm->ops->protect_dirty_gfns(vm, slot, offset, mask))
		*flush = true;
	spin_unlock(&vm->mmu_lock);
}

/*
 * Reset the entries of @ring that userspace has collected, in order, up to
 * the first it has not; their pages are protected in runs of one slot and
 * 64 consecutive pages, as userspace tends to find them.
 */
static u32 dirty_ring_reset(struct kvm_memslot_vm *vm,
			    struct kvm_memslot_dirty_ring *ring, bool *flush)
{
	u32 run_slot = 0, count = 0;
	u64 run_offset = 0;
	unsigned long mask = 0;

	while (ring->gfns) {
		struct kvm_dirty_gfn *entry =
			&ring->gfns[ring->reset_index & (ring->size - 1)];
		u32 slot_field;
		u64 offset;

		/* Pairs with userspace's release when it marks it reset. */
		if (!(smp_load_acquire(&entry->flags) & KVM_DIRTY_GFN_F_RESET))
			break;
		slot_field = READ_ONCE(entry->slot);
		offset = READ_ONCE(entry->offset);
		/* The entry is free for the vCPU once reset_index passes it. */
		smp_store_release(&entry->flags, 0);
		WRITE_ONCE(ring->reset_index, ring->reset_index + 1);
		count++;

		if (mask && slot_field == run_slot && offset >= run_offset &&
		    offset - run_offset < BITS_PER_LONG) {
			mask |= BIT(offset - run_offset);
			continue;
		}
		dirty_ring_protect(vm, run_slot, run_offset, mask, flush);
		run_slot = slot_field;
		run_offset = offset;
		mask = 1;
	}
	dirty_ring_protect(vm, run_slot, run_offset, mask, flush);
	return count;
}

/**
 * kvm_memslot_reset_dirty_rings() - KVM_RESET_DIRTY_RINGS
 * @vm: the VM
 *
 * Under slots_lock, so that the slots the entries name stay published
 * while their pages are protected, and under the VM's lock, so that a vCPU
 * whose creation fails cannot be freed under the walk.  The TLB flush comes
 * before the return: after it, every write to a reset page faults and is
 * pushed again.
 *
 * Return: the number of entries reset, or -EINVAL without rings.
 */
int kvm_memslot_reset_dirty_rings(struct kvm_memslot_host_vm *vm)
{
	struct kvm_memslot_vcpu *vcpu;
	bool flush = false;
	unsigned long i;
	int cleared = 0;

	if (!READ_ONCE(vm->dirty_ring_size))
		return -EINVAL;

	mutex_lock(&vm->lock);
	mutex_lock(&vm->core.slots_lock);
	xa_for_each(&vm->vcpus, i, vcpu)
		cleared += dirty_ring_reset(&vm->core, &vcpu->dirty_ring,
					    &flush);
	mutex_unlock(&vm->core.slots_lock);
	mutex_unlock(&vm->lock);

	if (flush)
		kvm_memslot_flush_remote_tlbs(&vm->core);
	return cleared;
}
