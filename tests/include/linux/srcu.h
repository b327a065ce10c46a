/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: every srcu_struct maps onto liburcu's single urcu-memb
 * domain.  That is stricter than SRCU (a grace period waits for readers
 * of every srcu_struct), never weaker.  synchronize_srcu() counts into
 * harness_grace_periods and then calls harness_synchronize_hook if set,
 * except on the work-queue thread: the grace periods the core's reclaim
 * work waits for are not those of the update the tests observe.
 */
#ifndef _SHIM_LINUX_SRCU_H
#define _SHIM_LINUX_SRCU_H

#include <linux/rcupdate.h>

struct srcu_struct {
	int initialized;
};

extern unsigned long harness_grace_periods;
extern void (*harness_synchronize_hook)(struct srcu_struct *ssp);

#define DEFINE_SRCU(name)		struct srcu_struct name = { 1 }
#define DEFINE_STATIC_SRCU(name)	static struct srcu_struct name = { 1 }

static inline int init_srcu_struct(struct srcu_struct *ssp)
{
	ssp->initialized = 1;
	return 0;
}
static inline void cleanup_srcu_struct(struct srcu_struct *ssp)
{
	WARN_ON(!ssp->initialized);
	ssp->initialized = 0;
}
static inline int srcu_read_lock(struct srcu_struct *ssp)
{
	(void)ssp;
	rcu_read_lock();
	return 0;
}
static inline void srcu_read_unlock(struct srcu_struct *ssp, int idx)
{
	(void)ssp;
	WARN_ON(idx != 0);
	rcu_read_unlock();
}
static inline int srcu_read_lock_held(const struct srcu_struct *ssp)
{
	(void)ssp;
	return urcu_memb_read_ongoing();
}
void synchronize_srcu(struct srcu_struct *ssp);
#define synchronize_srcu_expedited(ssp)	synchronize_srcu(ssp)
static inline void call_srcu(struct srcu_struct *ssp, struct rcu_head *head,
			     void (*func)(struct rcu_head *))
{
	(void)ssp;
	urcu_memb_call_rcu(head, func);
}
static inline void srcu_barrier(struct srcu_struct *ssp)
{
	(void)ssp;
	urcu_memb_barrier();
}

#define srcu_dereference(p, ssp)		rcu_dereference(p)
#define srcu_dereference_check(p, ssp, c)	rcu_dereference(p)

#endif
