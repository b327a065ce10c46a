// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: the MMU notifier that keeps translations coherent with the
 * host mm.
 *
 * Translations map host pages without pinning them, so whenever the host
 * changes what a range of its address space maps, the translations made
 * from that range must go first.  invalidate_range_start resolves the host
 * range to gfn ranges through every address space's published set and has
 * the backend remove them, then flushes remote TLBs before it returns: after
 * that no vCPU reaches the old pages, and the mm may free or change them.
 *
 * Every invalidation unmaps, whatever its event: one that only downgrades
 * protection (mprotect() to read-only, the write-protection fork() applies
 * for copy-on-write, page cleaning for writeback) must at least remove
 * write access, and removing the translation is the simplest way that is
 * always right.  The next access faults it back in with what the host maps
 * then.
 *
 * Faults run concurrently: mmu_invalidate_in_progress and the pending range
 * keep them from installing a translation for the range until the
 * invalidation ends, and mmu_invalidate_seq, bumped at the end, makes a
 * fault that resolved its pfn before the end retry (see memslot_access.c).
 *
 * The core's side (kvm_memslot_invalidate_begin/end, memslot_mn_sync.c)
 * records each invalidation in flight, keyed by its range: a slot update
 * waits for those that began before it, and a gfn_to_pfn cache refresh
 * for those that touch its page.  Neither the start nor the end ever
 * waits for an update: the mm nests invalidations within one task.
 */
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_pfncache.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>

#include <trace/events/kvm_memslot.h>

#include "memslot_fd.h"

typedef bool (*mn_hook_t)(struct kvm_memslot_vm *vm,
			  const struct kvm_memslot_gfn_range *range);

/*
 * A walk of the slots of a host range calls @hook (an aging hook) on
 * each, or the backend's unmap_gfn_range if @hook is NULL; @ret sums what
 * the calls returned.
 */
struct mn_walk {
	struct kvm_memslot_vm *vm;
	mn_hook_t hook;
	unsigned long start;
	unsigned long end;
	unsigned long ret;
};

static struct kvm_memslot_vm *mn_to_vm(struct mmu_notifier *mn)
{
	return &container_of(mn, struct kvm_memslot_host_vm, mmu_notifier)->core;
}

static int mn_visit(struct kvm_memory_slot *slot, void *data)
{
	struct mn_walk *walk = data;
	unsigned long start = max(walk->start, slot->userspace_addr);
	unsigned long end = min(walk->end, kvm_memslot_hva_end(slot));
	unsigned long page_mask = (1UL << slot->page_shift) - 1;
	struct kvm_memslot_gfn_range range = {
		.slot = slot,
		/* Every gfn whose page the host range touches, even in part. */
		.start = slot->base_gfn +
			 ((start - slot->userspace_addr) >> slot->page_shift),
		.end = slot->base_gfn +
		       ((end - slot->userspace_addr + page_mask) >>
			slot->page_shift),
	};
	unsigned long removed;

	if (walk->hook) {
		walk->ret += walk->hook(walk->vm, &range);
		return 0;
	}
	removed = walk->vm->ops->unmap_gfn_range(walk->vm, &range);
	trace_kvm_memslot_unmap(walk->start, walk->end, &range, removed);
	walk->ret += removed;
	return 0;
}

/*
 * Call @hook (NULL: the backend's unmap_gfn_range) for every gfn range
 * that [@start, @end) backs, in every address space, INVALID slots
 * included: their translations may still exist (a delete removes them
 * only after its grace period).  Called with the SRCU read lock and
 * mmu_lock held.
 *
 * Return: how many calls returned true, or translations were unmapped.
 */
static unsigned long mn_handle_range(struct kvm_memslot_vm *vm,
				     unsigned long start, unsigned long end,
				     mn_hook_t hook)
{
	struct mn_walk walk = {
		.vm = vm,
		.hook = hook,
		.start = start,
		.end = end,
	};
	int as_id;

	lockdep_assert_held(&vm->mmu_lock);

	if (!hook && !vm->ops->unmap_gfn_range)
		return 0;
	for (as_id = 0; as_id < vm->ops->nr_address_spaces; as_id++)
		kvm_memslot_visit_hva(kvm_memslots_get(vm, as_id), start, end,
				      mn_visit, &walk);
	return walk.ret;
}

static int mn_invalidate_range_start(struct mmu_notifier *mn,
				     const struct mmu_notifier_range *range)
{
	struct kvm_memslot_vm *vm = mn_to_vm(mn);
	int idx;

	/* Never waits: the caller may be inside another invalidation. */
	kvm_memslot_invalidate_begin(vm, range, range->start, range->end);

	idx = srcu_read_lock(&vm->srcu);
	spin_lock(&vm->mmu_lock);
	/*
	 * One pending range covers every invalidation in progress: faults
	 * only need to know whether their address may be changing.
	 */
	if (!vm->mmu_invalidate_in_progress++) {
		vm->mmu_invalidate_start = range->start;
		vm->mmu_invalidate_end = range->end;
	} else {
		vm->mmu_invalidate_start = min(vm->mmu_invalidate_start,
					       range->start);
		vm->mmu_invalidate_end = max(vm->mmu_invalidate_end,
					     range->end);
	}
	if (mn_handle_range(vm, range->start, range->end, NULL))
		kvm_memslot_flush_remote_tlbs(vm);
	kvm_memslot_gpc_invalidate(vm, range->start, range->end);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);

	/* Nothing above sleeps, so even a non-blockable caller succeeds. */
	return 0;
}

static void mn_invalidate_range_end(struct mmu_notifier *mn,
				    const struct mmu_notifier_range *range)
{
	struct kvm_memslot_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	/*
	 * The sequence moves before the count drops, so that a fault that
	 * no longer sees the invalidation in progress sees that it happened.
	 */
	vm->mmu_invalidate_seq++;
	vm->mmu_invalidate_in_progress--;
	WARN_ON_ONCE(vm->mmu_invalidate_in_progress < 0);
	spin_unlock(&vm->mmu_lock);

	/* Only now: a refresh that finds it gone may resolve the range. */
	kvm_memslot_invalidate_end(vm, range);
}

static bool mn_age(struct mmu_notifier *mn, unsigned long start,
		   unsigned long end, mn_hook_t hook, bool flush)
{
	struct kvm_memslot_vm *vm = mn_to_vm(mn);
	bool young;
	int idx;

	if (!hook)
		return false;

	idx = srcu_read_lock(&vm->srcu);
	spin_lock(&vm->mmu_lock);
	young = mn_handle_range(vm, start, end, hook);
	/* A vCPU must not keep using an accessed bit that was cleared. */
	if (young && flush)
		kvm_memslot_flush_remote_tlbs(vm);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);
	return young;
}

static int mn_clear_flush_young(struct mmu_notifier *mn, struct mm_struct *mm,
				unsigned long start, unsigned long end)
{
	return mn_age(mn, start, end, mn_to_vm(mn)->ops->age_gfn_range,
		      true);
}

static int mn_clear_young(struct mmu_notifier *mn, struct mm_struct *mm,
			  unsigned long start, unsigned long end)
{
	/*
	 * Like KVM, no flush: a vCPU that keeps a stale accessed bit only
	 * makes the page look idle a little longer.
	 */
	return mn_age(mn, start, end, mn_to_vm(mn)->ops->age_gfn_range,
		      false);
}

static int mn_test_young(struct mmu_notifier *mn, struct mm_struct *mm,
			 unsigned long address)
{
	return mn_age(mn, address, address + 1,
		      mn_to_vm(mn)->ops->test_age_gfn_range, false);
}

/*
 * The mm is going away (its last user exited), or the VM unregisters while
 * it lives on.  Either way no vCPU ioctl can run any more: they all need the
 * VM's mm to be the caller's.  Remove every translation now, rather than at
 * VM destruction, because the pages they map are about to be freed and the
 * VM fd may outlive the mm.  The backend takes mmu_lock itself if it must
 * exclude concurrent hooks (the OOM reaper may invalidate meanwhile).
 */
static void mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct kvm_memslot_vm *vm = mn_to_vm(mn);
	int idx;

	if (!vm->ops->flush_all)
		return;
	idx = srcu_read_lock(&vm->srcu);
	vm->ops->flush_all(vm);
	srcu_read_unlock(&vm->srcu, idx);
}

static const struct mmu_notifier_ops kvm_memslot_mmu_notifier_ops = {
	.invalidate_range_start	= mn_invalidate_range_start,
	.invalidate_range_end	= mn_invalidate_range_end,
	.clear_flush_young	= mn_clear_flush_young,
	.clear_young		= mn_clear_young,
	.test_young		= mn_test_young,
	.release		= mn_release,
};

/**
 * kvm_memslot_mmu_notifier_register() - follow the VM's mm
 * @vm: a VM being created; @vm->mm is the caller's mm, and @vm->core is
 *      initialized
 *
 * Return: 0 or a negative errno (-ENOMEM, -EINTR).
 */
int kvm_memslot_mmu_notifier_register(struct kvm_memslot_host_vm *vm)
{
	vm->mmu_notifier.ops = &kvm_memslot_mmu_notifier_ops;
	return mmu_notifier_register(&vm->mmu_notifier, vm->mm);
}

/**
 * kvm_memslot_mmu_notifier_unregister() - stop following the VM's mm
 * @vm: the VM being destroyed; the caller still holds its mm (mmgrab)
 *
 * Runs the release hook if the mm is still alive, and returns only when no
 * notifier callback is running on @vm any more, so that the VM (its vCPUs
 * included, which remote TLB flushes visit) can be freed afterwards.
 */
void kvm_memslot_mmu_notifier_unregister(struct kvm_memslot_host_vm *vm)
{
	mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
}
