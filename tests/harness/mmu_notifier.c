// SPDX-License-Identifier: GPL-2.0-only
/*
 * The mm side of MMU notifiers for the harness (see the shim
 * <linux/mmu_notifier.h>): a subscriber list per fake mm, and calls into
 * the subscribers the way Linux 6.1's mm/mmu_notifier.c makes them.
 *
 * Subscribers are called without any lock held, like 6.1 calls them under
 * SRCU only: an invalidation may run in several threads at once and nest
 * in one.  Registration takes harness_mm_lock; tests register before they
 * invalidate and unregister after, as a VM does within its mm's life.
 */
#include <pthread.h>

#include <linux/mmu_notifier.h>

static pthread_mutex_t harness_mm_lock = PTHREAD_MUTEX_INITIALIZER;

void harness_mm_init(struct mm_struct *mm)
{
	INIT_HLIST_HEAD(&mm->notifiers);
}

int mmu_notifier_register(struct mmu_notifier *subscription,
			  struct mm_struct *mm)
{
	pthread_mutex_lock(&harness_mm_lock);
	subscription->mm = mm;
	hlist_add_head(&subscription->hlist, &mm->notifiers);
	pthread_mutex_unlock(&harness_mm_lock);
	return 0;
}

void mmu_notifier_unregister(struct mmu_notifier *subscription,
			     struct mm_struct *mm)
{
	if (subscription->ops->release)
		subscription->ops->release(subscription, mm);
	pthread_mutex_lock(&harness_mm_lock);
	hlist_del_init(&subscription->hlist);
	pthread_mutex_unlock(&harness_mm_lock);
}

int harness_mm_invalidate_start(struct mmu_notifier_range *range,
				struct mm_struct *mm, unsigned long start,
				unsigned long end, bool blockable)
{
	struct mmu_notifier *sub;
	int ret = 0, r;

	range->mm = mm;
	range->start = start;
	range->end = end;
	range->event = MMU_NOTIFY_CLEAR;
	range->flags = blockable ? MMU_NOTIFIER_RANGE_BLOCKABLE : 0;
	hlist_for_each_entry(sub, &mm->notifiers, hlist) {
		if (!sub->ops->invalidate_range_start)
			continue;
		r = sub->ops->invalidate_range_start(sub, range);
		if (r && !ret)
			ret = r;
	}
	if (ret)
		harness_mm_invalidate_end(range);
	return ret;
}

void harness_mm_invalidate_end(struct mmu_notifier_range *range)
{
	struct mmu_notifier *sub;

	hlist_for_each_entry(sub, &range->mm->notifiers, hlist)
		if (sub->ops->invalidate_range_end)
			sub->ops->invalidate_range_end(sub, range);
}

int harness_mm_clear_flush_young(struct mm_struct *mm, unsigned long start,
				 unsigned long end)
{
	struct mmu_notifier *sub;
	int young = 0;

	hlist_for_each_entry(sub, &mm->notifiers, hlist)
		if (sub->ops->clear_flush_young)
			young |= sub->ops->clear_flush_young(sub, mm, start,
							     end);
	return young;
}

int harness_mm_test_young(struct mm_struct *mm, unsigned long address)
{
	struct mmu_notifier *sub;

	hlist_for_each_entry(sub, &mm->notifiers, hlist)
		if (sub->ops->test_young &&
		    sub->ops->test_young(sub, mm, address))
			return 1;
	return 0;
}
