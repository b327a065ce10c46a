// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: the gfn_to_pfn cache.
 *
 * A cache resolves one guest physical range, within one page, to the host
 * page that backs it, so that kernel code can then reach that page from
 * atomic context with nothing but a read lock and two comparisons.  What it
 * must never do is outlive the mapping it was made from.  Two things can
 * change that mapping:
 *
 * - the host mm: munmap, mremap, madvise(DONTNEED), reclaim, migration,
 *   copy-on-write, and protection changes (mprotect to read-only, the
 *   write protection fork applies).  Each of these calls the VM's MMU
 *   notifier first; its invalidate_range_start calls
 *   kvm_memslot_gpc_invalidate(), which clears every cache whose host page
 *   overlaps the range, whatever the event.  A protection downgrade clears
 *   read caches too: telling them apart would need the event type, and the
 *   refresh that follows costs one page-table walk.
 *
 * - the slot layout: every publish of a slot set bumps the VM's
 *   generation, and a check fails unless the cache was filled under the
 *   current one.  That is also what "flush_memslot drops the caches the
 *   slot backs" means here: nothing needs to find the caches of a slot,
 *   because the INVALID publish that precedes the flush already made them
 *   all miss.  Their page references go at the next refresh, invalidation
 *   of their host page, or deactivation.
 *
 * A refresh resolves gpa -> slot -> hva -> page again, sleeping as it
 * needs to.  It must not install a page that an invalidation was taking
 * away meanwhile, and it must not be held up by invalidations of other
 * pages.  So, under mmu_lock, it first waits until no invalidation of its
 * page is in flight (the core tracks each one with its range), then marks
 * the cache as resolving that page (refresh_ok); an invalidation of the
 * page that starts from then on clears the mark under mmu_lock, whether or
 * not the cache is valid yet.  After resolving the page, the refresh
 * installs it under mmu_lock if the mark survived and the slot layout did
 * not change, and otherwise starts over.  Every invalidation of the page
 * that could have changed it under the refresh either was in flight at
 * the mark (none was) or started after it (the mark is gone); one that
 * ended before the mark had changed the host page tables already.  So a
 * refresh waits only for invalidations of its own page, never retries
 * because an unrelated one ended, and the only thing that makes it try
 * again and again is a host that keeps changing that very page, which a
 * fatal signal interrupts.

 * A cache is never filled from a set published in the middle of an update
 * (odd generation): the final publish would replace it at once, and its
 * slot may be INVALID.  The refresh waits for the update to finish.
 *
 * Locking: refresh_lock, then the VM's SRCU, then mmu_lock, then
 * gpc->lock.  Users take only gpc->lock, for reading, and optionally the
 * VM's SRCU around it.  The VM's list of active caches is protected by
 * mmu_lock, which the invalidation already holds.
 *
 * The cache holds a reference on its page while it is filled.  The MMU
 * notifier alone would keep it coherent, but the reference makes a missed
 * invalidation a stale read rather than a use-after-free.
 */
#include <linux/bitops.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_pfncache.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/srcu.h>
#include <linux/wait.h>

#include <trace/events/kvm_memslot.h>

/**
 * kvm_memslot_gpc_init() - prepare a cache for use
 * @gpc:    the cache, zeroed by the caller
 * @vm:     the VM whose guest memory it maps; while active the cache is
 *          on the VM's list, which its MMU notifier walks
 * @as_id:  address space of the guest addresses it will map
 * @write:  whether users write through it; then it maps only a page the
 *          host maps writable
 *
 * The cache starts inactive: kvm_memslot_gpc_activate() sets its range.
 */
void kvm_memslot_gpc_init(struct kvm_memslot_gpc *gpc,
			  struct kvm_memslot_vm *vm, int as_id, bool write)
{
	rwlock_init(&gpc->lock);
	mutex_init(&gpc->refresh_lock);
	gpc->vm = vm;
	INIT_HLIST_NODE(&gpc->node);
	gpc->as_id = as_id;
	gpc->write = write;
}

/*
 * Forget the page.  Both locks are held, so neither a user nor an
 * invalidation sees the cache half cleared.
 */
static void gpc_clear(struct kvm_memslot_gpc *gpc)
{
	lockdep_assert_held(&gpc->vm->mmu_lock);
	lockdep_assert_held_write(&gpc->lock);

	if (!gpc->valid)
		return;
	kvm_memslot_gpc_unpin(gpc->vm, gpc->pfn);
	gpc->valid = false;
	gpc->slot = NULL;
	gpc->hva = 0;
	gpc->pfn = 0;
}

static void gpc_clear_locked(struct kvm_memslot_gpc *gpc)
{
	struct kvm_memslot_vm *vm = gpc->vm;

	spin_lock(&vm->mmu_lock);
	write_lock(&gpc->lock);
	gpc_clear(gpc);
	write_unlock(&gpc->lock);
	spin_unlock(&vm->mmu_lock);
}

/**
 * kvm_memslot_gpc_activate() - start caching a guest range
 * @gpc: an initialized cache
 * @gpa: first guest physical address
 * @len: bytes from @gpa; the range must not cross a page boundary
 *
 * Puts the cache on the VM's list, so that invalidations find it, without
 * resolving anything: the first check misses and the refresh it leads to
 * maps the page.  Activating an active cache moves it to the new range.
 * May sleep.
 *
 * Return: 0, or -EINVAL if @len is 0 or the range crosses a page boundary.
 */
int kvm_memslot_gpc_activate(struct kvm_memslot_gpc *gpc, u64 gpa,
			     unsigned int len)
{
	struct kvm_memslot_vm *vm = gpc->vm;

	/* One page, one pfn: a range across two would need two of each. */
	if (!len || len > PAGE_SIZE - (gpa & ~PAGE_MASK))
		return -EINVAL;

	mutex_lock(&gpc->refresh_lock);
	spin_lock(&vm->mmu_lock);
	write_lock(&gpc->lock);
	gpc_clear(gpc);
	gpc->gpa = gpa;
	gpc->len = len;
	if (!gpc->active)
		hlist_add_head(&gpc->node, &vm->gpcs);
	gpc->active = true;
	write_unlock(&gpc->lock);
	spin_unlock(&vm->mmu_lock);
	gpc->last_error = 0;
	mutex_unlock(&gpc->refresh_lock);
	return 0;
}

/**
 * kvm_memslot_gpc_mark_dirty() - log a write made through a cache
 * @gpc: the cache; the caller holds @gpc->lock for reading and the VM's
 *       SRCU read lock, and a check made under both hit
 *
 * Call after the write: a harvest of the dirty log that takes the bit
 * before it is set leaves it for the next one, and one that takes it after
 * sees the written page.
 */
void kvm_memslot_gpc_mark_dirty(struct kvm_memslot_gpc *gpc)
{
	const struct kvm_memory_slot *slot = gpc->slot;

	if (!slot->dirty_bitmap)
		return;
	/* The data is in the page before the bit says it changed. */
	smp_mb__before_atomic();
	set_bit_le((gpc->gpa >> slot->page_shift) - slot->base_gfn,
		   slot->dirty_bitmap);
}

/*
 * One attempt to fill @gpc, which is clear.
 *
 * Return: 0, -EAGAIN to try again (something changed under the attempt,
 * and was waited for), or the error to report.
 */
static int gpc_fill(struct kvm_memslot_gpc *gpc)
{
	struct kvm_memslot_vm *vm = gpc->vm;
	kvm_memslot_gfn_t gfn = gpc->gpa >> vm->ops->page_shift;
	u64 page_offset = gpc->gpa & ((1ULL << vm->ops->page_shift) - 1);
	const struct kvm_memory_slot *slot;
	unsigned long hva = 0, pfn, seq;
	struct kvm_memslots *slots;
	bool in_update, ok;
	u64 generation;
	int idx, r = 0;

	generation = READ_ONCE(vm->generation);
	/*
	 * The generation first, then the set: a publish stores them in the
	 * other order, so the set found is no older than the generation
	 * recorded, and a cache filled from a newer set only misses once
	 * more than it had to.
	 */
	smp_rmb();

	idx = srcu_read_lock(&vm->srcu);
	slots = kvm_memslots_get(vm, gpc->as_id);
	in_update = (generation & 1) || kvm_memslots_in_update(slots);
	slot = in_update ? NULL : kvm_memslot_find_gfn(slots, gfn);
	if (in_update)
		r = -EAGAIN;
	else if (!slot || kvm_memslot_is_invalid(slot))
		r = -ENOENT;
	else if (gpc->write && (slot->flags & KVM_MEM_READONLY))
		r = -EROFS;
	else
		/* The host page holding @gpa, if a VM page spans several. */
		hva = kvm_memslot_gfn_to_hva(slot, gfn) +
		      (page_offset & PAGE_MASK);
	srcu_read_unlock(&vm->srcu, idx);

	if (in_update) {
		/* Outside SRCU: the update's grace period waits for readers. */
		if (wait_event_killable(vm->update_wq,
					!(READ_ONCE(vm->generation) & 1)))
			return -EINTR;
		gpc->retries++;
		return -EAGAIN;
	}
	if (r)
		return r;

	/*
	 * Resolve the page only while no invalidation of it is in flight:
	 * one that started earlier may still be changing the host page
	 * tables, and would not clear the mark set below.
	 */
	spin_lock(&vm->mmu_lock);
	if (kvm_memslot_invalidate_busy(vm, hva, hva + PAGE_SIZE, &seq)) {
		spin_unlock(&vm->mmu_lock);
		/* The layout may change while waiting: look it up again. */
		return kvm_memslot_invalidate_wait(vm, seq) ?: -EAGAIN;
	}
	gpc->refresh_hva = hva;
	gpc->refresh_ok = true;
	spin_unlock(&vm->mmu_lock);

	r = kvm_memslot_gpc_pin(vm, hva, gpc->write, &pfn);
	if (r)
		return r;

	spin_lock(&vm->mmu_lock);
	ok = gpc->refresh_ok && READ_ONCE(vm->generation) == generation;
	gpc->refresh_ok = false;
	if (!ok) {
		spin_unlock(&vm->mmu_lock);
		kvm_memslot_gpc_unpin(vm, pfn);
		gpc->retries++;
		return -EAGAIN;
	}
	write_lock(&gpc->lock);
	gpc->slot = slot;
	gpc->hva = hva;
	gpc->pfn = pfn;
	gpc->generation = generation;
	gpc->valid = true;
	gpc->fills++;
	WRITE_ONCE(vm->gpc_refreshes, vm->gpc_refreshes + 1);
	write_unlock(&gpc->lock);
	spin_unlock(&vm->mmu_lock);
	return 0;
}

/**
 * kvm_memslot_gpc_refresh() - resolve a cache's range again
 * @gpc: an active cache; the caller holds none of its locks
 *
 * Drops whatever the cache mapped, then looks the gpa up in the current
 * slot layout and the page up in the host mm (faulting it in, and for a
 * write cache breaking copy-on-write), and maps it.  It first waits for
 * invalidations of that page in flight (only those), and resolves the page
 * again if one started meanwhile or the slot layout changed.  Sleeps; must
 * run in a task of the VM's mm.
 *
 * Return: 0 with the cache filled, or a negative errno with the cache
 * empty: -EINVAL if the cache is not active, -ENOENT if no slot backs the
 * gpa, -EROFS for a write cache on a read-only slot, -EFAULT if the host
 * maps no page there allowing the access (nothing, or read-only for a
 * write cache), -EINTR if a fatal signal interrupted a wait or a host that
 * kept changing the page.
 */
int kvm_memslot_gpc_refresh(struct kvm_memslot_gpc *gpc)
{
	int r;

	might_sleep();
	mutex_lock(&gpc->refresh_lock);
	if (!gpc->active) {
		r = -EINVAL;
		goto out;
	}
	gpc_clear_locked(gpc);
	for (;;) {
		r = gpc_fill(gpc);
		if (r != -EAGAIN)
			break;
		/* Only the host changing this very page gets here repeatedly. */
		if (fatal_signal_pending(current)) {
			r = -EINTR;
			break;
		}
		cond_resched();
	}
	gpc->last_error = r;
	trace_kvm_memslot_gpc_refresh(gpc, r);
out:
	mutex_unlock(&gpc->refresh_lock);
	return r;
}

/**
 * kvm_memslot_gpc_deactivate() - stop caching
 * @gpc: the cache
 *
 * Takes the cache off the VM's list and drops its page.  It may be
 * activated again, or freed once this returns.  May sleep.
 */
void kvm_memslot_gpc_deactivate(struct kvm_memslot_gpc *gpc)
{
	struct kvm_memslot_vm *vm = gpc->vm;

	mutex_lock(&gpc->refresh_lock);
	if (gpc->active) {
		spin_lock(&vm->mmu_lock);
		hlist_del_init(&gpc->node);
		write_lock(&gpc->lock);
		gpc_clear(gpc);
		gpc->active = false;
		write_unlock(&gpc->lock);
		spin_unlock(&vm->mmu_lock);
	}
	mutex_unlock(&gpc->refresh_lock);
}

/**
 * kvm_memslot_gpc_invalidate() - clear the caches of a host range
 * @vm:     the VM; the caller holds its mmu_lock and has recorded the
 *          invalidation with kvm_memslot_invalidate_begin()
 * @start:  first host virtual address of the range
 * @end:    one past its last
 *
 * Called from invalidate_range_start, for every event: after an unmap, a
 * migration or a protection downgrade the page a cache holds may no longer
 * be the one the host maps, or no longer writable.  A refresh resolving a
 * page of the range is told to resolve it again.  Does not sleep; a cache
 * whose user is in the middle of an access is waited for.
 */
void kvm_memslot_gpc_invalidate(struct kvm_memslot_vm *vm,
				unsigned long start, unsigned long end)
{
	struct kvm_memslot_gpc *gpc;

	lockdep_assert_held(&vm->mmu_lock);

	/* valid and hva only change under mmu_lock, so peeking is exact. */
	hlist_for_each_entry(gpc, &vm->gpcs, node) {
		if (gpc->refresh_ok && gpc->refresh_hva < end &&
		    gpc->refresh_hva + PAGE_SIZE > start)
			gpc->refresh_ok = false;
		if (!gpc->valid || gpc->hva >= end ||
		    gpc->hva + PAGE_SIZE <= start)
			continue;
		trace_kvm_memslot_gpc_invalidate(gpc, start, end);
		write_lock(&gpc->lock);
		gpc_clear(gpc);
		gpc->invalidations++;
		write_unlock(&gpc->lock);
		WRITE_ONCE(vm->gpc_invalidations, vm->gpc_invalidations + 1);
	}
}
