/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: the subscriber side of Linux 6.1's MMU notifiers, and a
 * fake mm that the harness drives (tests/harness/mmu_notifier.c), so that
 * virt/kvm/mmu_notifier.c compiles and runs unchanged.
 *
 * As in 6.1, an invalidation is a struct mmu_notifier_range owned by the
 * caller; the very same pointer is passed to every subscriber's
 * invalidate_range_start and, later, invalidate_range_end.  A caller may
 * start another invalidation before ending the first (nesting), from the
 * same thread, as the mm does.
 */
#ifndef _SHIM_LINUX_MMU_NOTIFIER_H
#define _SHIM_LINUX_MMU_NOTIFIER_H
#include <linux/list.h>
#include <linux/types.h>

struct mmu_notifier;
struct mmu_notifier_ops;

/* The fake mm: its subscribers, under harness_mm_lock in the harness. */
struct mm_struct {
	struct hlist_head notifiers;
};

enum mmu_notifier_event {
	MMU_NOTIFY_UNMAP = 0,
	MMU_NOTIFY_CLEAR,
	MMU_NOTIFY_PROTECTION_VMA,
	MMU_NOTIFY_PROTECTION_PAGE,
	MMU_NOTIFY_SOFT_DIRTY,
	MMU_NOTIFY_RELEASE,
	MMU_NOTIFY_MIGRATE,
	MMU_NOTIFY_EXCLUSIVE,
};

#define MMU_NOTIFIER_RANGE_BLOCKABLE	(1 << 0)

struct mmu_notifier_range {
	struct mm_struct *mm;
	unsigned long start;
	unsigned long end;
	unsigned int flags;
	enum mmu_notifier_event event;
};

struct mmu_notifier_ops {
	void (*release)(struct mmu_notifier *subscription,
			struct mm_struct *mm);
	int (*clear_flush_young)(struct mmu_notifier *subscription,
				 struct mm_struct *mm,
				 unsigned long start, unsigned long end);
	int (*clear_young)(struct mmu_notifier *subscription,
			   struct mm_struct *mm,
			   unsigned long start, unsigned long end);
	int (*test_young)(struct mmu_notifier *subscription,
			  struct mm_struct *mm, unsigned long address);
	int (*invalidate_range_start)(struct mmu_notifier *subscription,
				      const struct mmu_notifier_range *range);
	void (*invalidate_range_end)(struct mmu_notifier *subscription,
				     const struct mmu_notifier_range *range);
};

struct mmu_notifier {
	struct hlist_node hlist;
	const struct mmu_notifier_ops *ops;
	struct mm_struct *mm;
};

static inline bool
mmu_notifier_range_blockable(const struct mmu_notifier_range *range)
{
	return range->flags & MMU_NOTIFIER_RANGE_BLOCKABLE;
}

int mmu_notifier_register(struct mmu_notifier *subscription,
			  struct mm_struct *mm);
/* Runs ->release, as 6.1 does when the mm is still alive. */
void mmu_notifier_unregister(struct mmu_notifier *subscription,
			     struct mm_struct *mm);

/* ---- the mm's side, for tests ---- */

/* An empty mm. */
void harness_mm_init(struct mm_struct *mm);
/*
 * Fill @range and call every subscriber's invalidate_range_start with it,
 * blockable or not.  Returns the first error, after ending the
 * subscribers that succeeded (6.1's rule for a failed non-blockable start).
 */
int harness_mm_invalidate_start(struct mmu_notifier_range *range,
				struct mm_struct *mm, unsigned long start,
				unsigned long end, bool blockable);
/* Call every subscriber's invalidate_range_end with @range. */
void harness_mm_invalidate_end(struct mmu_notifier_range *range);
/* Aging, as the mm's reclaim and idle-page tracking call it. */
int harness_mm_clear_flush_young(struct mm_struct *mm, unsigned long start,
				 unsigned long end);
int harness_mm_test_young(struct mm_struct *mm, unsigned long address);

#endif
