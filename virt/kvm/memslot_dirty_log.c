// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG.
 *
 * The core allocates a slot's dirty bitmap when dirty logging is enabled
 * on it (already all ones with KVM_DIRTY_LOG_INITIALLY_SET), and backends
 * set bits in it as the guest writes.  This file hands the bitmap to
 * userspace with the checks, errnos and harvesting rules of Linux 6.1:
 *
 * - without manual protection, GET_DIRTY_LOG atomically takes and clears
 *   the bits, then the pages they stand for must be write-protected again;
 * - with KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE, GET_DIRTY_LOG only copies the
 *   bitmap, and CLEAR_DIRTY_LOG clears the bits userspace names and
 *   re-protects just those pages.
 *
 * Both run under slots_lock, so the slot found stays published (and its
 * bitmap allocated) until they return, and they never run concurrently
 * with each other.
 *
 * The snapshot GET_DIRTY_LOG copies out and the mask CLEAR_DIRTY_LOG
 * copies in live in the second half of the bitmap allocation, which
 * slots_lock keeps to one user at a time: neither ioctl allocates, so
 * neither can fail for lack of memory, as in KVM.
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/err.h>
#include <linux/kvm.h>
#include <linux/kvm_memslot.h>
#include <linux/math.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "memslot_fd.h"

static unsigned long dirty_bitmap_bytes(const struct kvm_memory_slot *slot)
{
	return ALIGN(slot->npages, BITS_PER_LONG) / 8;
}

/* Find the slot a dirty log ioctl names; EINVAL and ENOENT as in 6.1. */
static struct kvm_memory_slot *dirty_log_slot(struct kvm_memslot_vm *vm,
					      u32 log_slot)
{
	unsigned int as_id = log_slot >> 16;
	u16 id = (u16)log_slot;
	struct kvm_memory_slot *slot;

	lockdep_assert_held(&vm->slots_lock);

	if (as_id >= vm->ops->nr_address_spaces || id >= vm->ops->nr_user_slots)
		return ERR_PTR(-EINVAL);

	slot = kvm_memslot_find_id(vm, as_id, id);
	if (!slot || !slot->dirty_bitmap)
		return ERR_PTR(-ENOENT);
	return slot;
}

/*
 * Write-protect again the pages of @slot whose bits are set in @mask, the
 * word of the dirty bitmap that starts at page @offset, so that the next
 * guest write to them is logged.  Return whether translations changed and
 * TLBs must be flushed.
 *
 * Under mmu_lock, because a write fault logs its page and installs the
 * writable translation in one mmu_lock section (memslot_access.c): a bit
 * taken here was set before that section ended, so the translation is
 * already there to be protected, and a bit set after it was taken stays in
 * the bitmap for the next harvest.
 */
static bool dirty_log_protect_masked(struct kvm_memslot_vm *vm,
				     const struct kvm_memory_slot *slot,
				     kvm_memslot_gfn_t offset,
				     unsigned long mask)
{
	bool flush;

	if (!vm->ops->protect_dirty_gfns)
		return false;

	spin_lock(&vm->mmu_lock);
	flush = vm->ops->protect_dirty_gfns(vm, slot, offset, mask);
	spin_unlock(&vm->mmu_lock);
	return flush;
}

/*
 * Wait until no vCPU can still write to pages of @slot through a
 * translation that was writable before dirty_log_protect_masked(): such a
 * write would land after the harvest without being logged.  Only then may
 * userspace be told which pages to copy.
 */
static void dirty_log_flush_tlbs(struct kvm_memslot_vm *vm,
				 const struct kvm_memory_slot *slot)
{
	kvm_memslot_flush_remote_tlbs(vm);
}

/**
 * kvm_memslot_get_dirty_log() - KVM_GET_DIRTY_LOG
 * @vm:  the VM
 * @log: slot (as_id << 16 | id) and the user buffer for its bitmap
 *
 * Without manual protection the bits are taken before their pages are
 * protected again, and the snapshot is copied out only after the TLB
 * flush: a write that races with the harvest is either in this snapshot
 * or faults and lands in the next one.  As in KVM, bits already taken are
 * lost if the copy faults.
 *
 * Return: 0, or -EINVAL for an address space or slot id out of range,
 * -ENOENT if the slot does not exist or does not log, -EFAULT.
 */
int kvm_memslot_get_dirty_log(struct kvm_memslot_vm *vm,
			      const struct kvm_dirty_log *log)
{
	struct kvm_memory_slot *slot;
	unsigned long *bitmap, *snapshot;
	unsigned long i, n;
	bool flush = false;
	int r = 0;

	mutex_lock(&vm->slots_lock);

	slot = dirty_log_slot(vm, log->slot);
	if (IS_ERR(slot)) {
		r = PTR_ERR(slot);
		goto out;
	}

	/* Writes the translations recorded themselves (PowerPC's C bits). */
	if (vm->ops->sync_dirty_log)
		vm->ops->sync_dirty_log(vm, slot);

	bitmap = slot->dirty_bitmap;
	n = dirty_bitmap_bytes(slot);

	if (!vm->manual_dirty_log_protect) {
		/* slots_lock keeps the scratch half ours until the copy is done. */
		snapshot = bitmap + n / sizeof(long);
		memset(snapshot, 0, n);

		for (i = 0; i < n / sizeof(long); i++) {
			unsigned long mask;

			if (!READ_ONCE(bitmap[i]))
				continue;

			mask = xchg(&bitmap[i], 0);
			snapshot[i] = mask;
			flush |= dirty_log_protect_masked(vm, slot,
							  i * BITS_PER_LONG,
							  mask);
		}
		if (flush)
			dirty_log_flush_tlbs(vm, slot);
		bitmap = snapshot;
	}

	if (copy_to_user(log->dirty_bitmap, bitmap, n))
		r = -EFAULT;
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}

/**
 * kvm_memslot_clear_dirty_log() - KVM_CLEAR_DIRTY_LOG
 * @vm:  the VM
 * @log: slot, range of pages (first_page, num_pages) and the user bitmap
 *       of the pages to clear within it
 *
 * The range must start on a multiple of 64 pages, and end on one or at the
 * end of the slot, so that every bitmap word is cleared whole or not at
 * all.  Only bits that were set are re-protected: a bit userspace names
 * that the guest has not dirtied again costs nothing.  As in 6.1, this
 * works whether or not manual protection is enabled.
 *
 * Return: 0, or -EINVAL for an address space, slot id or range out of
 * bounds or misaligned, -ENOENT if the slot does not exist or does not
 * log, -EFAULT.
 */
int kvm_memslot_clear_dirty_log(struct kvm_memslot_vm *vm,
				const struct kvm_clear_dirty_log *log)
{
	struct kvm_memory_slot *slot;
	unsigned long *bitmap, *mask_buf;
	unsigned long i, nr_words;
	bool flush = false;
	int r = 0;

	mutex_lock(&vm->slots_lock);

	slot = dirty_log_slot(vm, log->slot);
	if (IS_ERR(slot) && PTR_ERR(slot) == -EINVAL) {
		r = -EINVAL;
		goto out;
	}
	/* 6.1 rejects a misaligned start before it looks for the slot. */
	if (log->first_page & 63) {
		r = -EINVAL;
		goto out;
	}
	if (IS_ERR(slot)) {
		r = PTR_ERR(slot);
		goto out;
	}

	if (log->first_page > slot->npages ||
	    log->num_pages > slot->npages - log->first_page ||
	    (log->num_pages < slot->npages - log->first_page &&
	     (log->num_pages & 63))) {
		r = -EINVAL;
		goto out;
	}

	nr_words = DIV_ROUND_UP(log->num_pages, BITS_PER_LONG);
	if (!nr_words)
		goto out;

	/* slots_lock keeps the scratch half of the bitmap ours. */
	mask_buf = slot->dirty_bitmap + dirty_bitmap_bytes(slot) / sizeof(long);
	if (copy_from_user(mask_buf, log->dirty_bitmap,
			   nr_words * sizeof(long))) {
		r = -EFAULT;
		goto out;
	}

	bitmap = slot->dirty_bitmap + log->first_page / BITS_PER_LONG;
	for (i = 0; i < nr_words; i++) {
		unsigned long mask = mask_buf[i];

		if (!mask)
			continue;

		/*
		 * Keep only the bits that were set: bits past the end of the
		 * slot are never set, so userspace may pass anything there.
		 */
		mask &= atomic_long_fetch_andnot(mask,
						 (atomic_long_t *)&bitmap[i]);
		if (mask)
			flush |= dirty_log_protect_masked(vm, slot,
							  log->first_page +
							  i * BITS_PER_LONG,
							  mask);
	}
	if (flush)
		dirty_log_flush_tlbs(vm, slot);
out:
	mutex_unlock(&vm->slots_lock);
	return r;
}
