// SPDX-License-Identifier: GPL-2.0-only
/*
 * The core's side of MMU-notifier invalidations: which ones are in flight,
 * so that a slot update can wait for those that began before it, and a
 * gfn_to_pfn cache refresh for those that touch its page.
 *
 * invalidate_range_start must never wait for an update.  The mm nests
 * invalidations within one task (a THP split inside a zap, reclaim inside
 * an open range) and holds locks across a start (mmap_lock, i_mmap_rwsem,
 * page locks); a start that slept until an update published, while the
 * update waited for the task's outer invalidation to end, would deadlock.
 *
 * So an update does not close a gate; it opens a new epoch.  Every
 * invalidation is counted in the epoch current when it starts.  An update
 * flips the epoch and waits until no invalidation of the previous one is
 * left: those are the ones that were in flight when it began waiting, a
 * finite set, so a stream of later invalidations (counted in the new
 * epoch) cannot starve it, and a nested start simply counts in the new
 * epoch and goes on.  Updates are serialized by slots_lock and each one
 * drains the epoch it leaves, so the epoch it flips to is always empty.
 *
 * The mm passes the same struct mmu_notifier_range to the start and the
 * end of one invalidation (it lives on the invalidating task's stack, or in
 * a structure that outlives the end), so its address identifies the
 * invalidation.  Up to KVM_MEMSLOT_MN_TRACKED are kept in a table with
 * their host range and epoch; a start must not allocate (it may be
 * non-blockable).  Any more are only counted, per epoch, with the union of
 * their ranges.  An end whose key is not in the table is one of those; it
 * cannot tell which epoch it was counted in, so it is taken from the
 * current epoch's count while that is not zero, else from the previous
 * one's: the previous epoch's count then never drops below the number of
 * its own invalidations still in flight, so an update may wait longer than
 * it had to, never less.  See "MMU notifiers and slot updates" in
 * Documentation/virt/kvm/memslots.rst.
 */

#include <linux/bitops.h>
#include <linux/minmax.h>
#include <linux/sched.h>

#include "memslot_internal.h"

/* The table entry of @key, or -1.  Called with mn_lock held. */
static int mn_find(struct kvm_memslot_vm *vm, const void *key)
{
	unsigned long used = vm->mn_used;
	int i;

	lockdep_assert_held(&vm->mn_lock);

	for (; used; used &= used - 1) {
		i = __ffs(used);
		if (vm->mn_inval[i].key == key)
			return i;
	}
	return -1;
}

/**
 * kvm_memslot_invalidate_begin() - an MMU-notifier invalidation starts
 * @vm:    the VM
 * @key:   identifies the invalidation: the same pointer must be passed to
 *         kvm_memslot_invalidate_end(), and no other invalidation in flight
 *         may use it
 * @start: first host virtual address of its range
 * @end:   one past the last
 *
 * Never sleeps and never waits for a slot update, so it may be called from
 * a non-blockable invalidation and within another invalidation of the same
 * task.
 */
void kvm_memslot_invalidate_begin(struct kvm_memslot_vm *vm, const void *key,
				  unsigned long start, unsigned long end)
{
	struct kvm_memslot_mn_inval *inv;
	unsigned int epoch;
	u32 free;
	int i = -1;

	/* One bit of mn_used per entry. */
	BUILD_BUG_ON(KVM_MEMSLOT_MN_TRACKED != 32);

	spin_lock(&vm->mn_lock);
	epoch = vm->mn_epoch;
	WRITE_ONCE(vm->mn_inflight[epoch], vm->mn_inflight[epoch] + 1);
	free = ~vm->mn_used;
	/* A key already in the table would make its end ambiguous. */
	if (free && mn_find(vm, key) < 0)
		i = __ffs(free);
	if (i >= 0) {
		inv = &vm->mn_inval[i];
		inv->key = key;
		inv->start = start;
		inv->end = end;
		inv->epoch = epoch;
		vm->mn_used |= BIT(i);
	} else {
		if (!vm->mn_overflow[0] && !vm->mn_overflow[1]) {
			vm->mn_overflow_start = start;
			vm->mn_overflow_end = end;
		} else {
			vm->mn_overflow_start = min(vm->mn_overflow_start,
						    start);
			vm->mn_overflow_end = max(vm->mn_overflow_end, end);
		}
		vm->mn_overflow[epoch]++;
	}
	spin_unlock(&vm->mn_lock);
}

/**
 * kvm_memslot_invalidate_end() - an MMU-notifier invalidation ended
 * @vm:  the VM
 * @key: what was passed to kvm_memslot_invalidate_begin()
 *
 * Wakes an update waiting for it, and refreshes waiting for its range.
 * Never sleeps.
 */
void kvm_memslot_invalidate_end(struct kvm_memslot_vm *vm, const void *key)
{
	unsigned int epoch;
	bool wake;
	int i;

	spin_lock(&vm->mn_lock);
	epoch = vm->mn_epoch;
	i = mn_find(vm, key);
	if (i >= 0) {
		epoch = vm->mn_inval[i].epoch;
		vm->mn_used &= ~BIT(i);
		vm->mn_inval[i].key = NULL;
	} else if (vm->mn_overflow[epoch]) {
		vm->mn_overflow[epoch]--;
	} else if (vm->mn_overflow[!epoch]) {
		epoch = !epoch;
		vm->mn_overflow[epoch]--;
	} else {
		/* An end without a start: the mm excludes registration. */
		WARN_ON_ONCE(1);
		spin_unlock(&vm->mn_lock);
		return;
	}
	WRITE_ONCE(vm->mn_inflight[epoch], vm->mn_inflight[epoch] - 1);
	/* Pairs with the READ_ONCE in kvm_memslot_invalidate_wait(). */
	WRITE_ONCE(vm->mn_end_seq, vm->mn_end_seq + 1);
	wake = vm->mn_waiters;
	spin_unlock(&vm->mn_lock);
	if (wake)
		wake_up_all(&vm->mn_wq);
}

/**
 * kvm_memslot_invalidate_busy() - whether an invalidation of a range is in
 *                                 flight
 * @vm:    the VM
 * @start: first host virtual address
 * @end:   one past the last
 * @seq:   on true, receives what to pass to kvm_memslot_invalidate_wait()
 *
 * Exact for the invalidations in the table; any of those that overflowed
 * it counts as covering the union of their ranges.  May be called with
 * mmu_lock held (mn_lock nests inside it); then the answer covers every
 * invalidation whose start already took mmu_lock, since starts enter the
 * table before that and leave it only after their end took mmu_lock.
 *
 * Return: false, or true and the caller is counted as a waiter: it must
 * call kvm_memslot_invalidate_wait() (after dropping mmu_lock).
 */
bool kvm_memslot_invalidate_busy(struct kvm_memslot_vm *vm,
				 unsigned long start, unsigned long end,
				 unsigned long *seq)
{
	unsigned long used;
	bool busy = false;
	int i;

	spin_lock(&vm->mn_lock);
	if ((vm->mn_overflow[0] || vm->mn_overflow[1]) &&
	    start < vm->mn_overflow_end && end > vm->mn_overflow_start)
		busy = true;
	for (used = vm->mn_used; used && !busy; used &= used - 1) {
		i = __ffs(used);
		busy = start < vm->mn_inval[i].end &&
		       end > vm->mn_inval[i].start;
	}
	if (busy) {
		vm->mn_waiters++;
		*seq = vm->mn_end_seq;
	}
	spin_unlock(&vm->mn_lock);
	return busy;
}

/**
 * kvm_memslot_invalidate_wait() - wait for an invalidation to end
 * @vm:  the VM
 * @seq: what kvm_memslot_invalidate_busy() returned it
 *
 * Sleeps until some invalidation ended after the busy check, killably;
 * the caller checks again what it waits for.
 *
 * Return: 0, or -EINTR if a fatal signal is pending.
 */
int kvm_memslot_invalidate_wait(struct kvm_memslot_vm *vm, unsigned long seq)
{
	int r;

	r = wait_event_killable(vm->mn_wq, READ_ONCE(vm->mn_end_seq) != seq);
	spin_lock(&vm->mn_lock);
	vm->mn_waiters--;
	spin_unlock(&vm->mn_lock);
	return r ? -EINTR : 0;
}

/**
 * kvm_memslot_publish_begin() - wait until a slot set may be published
 * @vm: the VM, slots_lock held
 *
 * Opens a new epoch and waits for every invalidation counted in the
 * previous one, i.e. in flight when the update got here; later ones do
 * not hold it up.  Not killable: the wait is bounded by invalidations
 * already running, none of which waits for the update.  Returns with
 * vm->mn_lock held; the caller publishes, then calls
 * kvm_memslot_publish_end().
 */
void kvm_memslot_publish_begin(struct kvm_memslot_vm *vm)
	__acquires(&vm->mn_lock)
{
	unsigned int old;

	lockdep_assert_held(&vm->slots_lock);

	spin_lock(&vm->mn_lock);
	old = vm->mn_epoch;
	/* The previous update drained it, and nothing has joined it since. */
	WARN_ON_ONCE(vm->mn_inflight[!old]);
	vm->mn_epoch = !old;
	while (vm->mn_inflight[old]) {
		vm->mn_waiters++;
		spin_unlock(&vm->mn_lock);
		wait_event(vm->mn_wq, !READ_ONCE(vm->mn_inflight[old]));
		spin_lock(&vm->mn_lock);
		vm->mn_waiters--;
	}
}

/**
 * kvm_memslot_publish_end() - the set is published
 * @vm: the VM
 */
void kvm_memslot_publish_end(struct kvm_memslot_vm *vm)
	__releases(&vm->mn_lock)
{
	spin_unlock(&vm->mn_lock);
}
