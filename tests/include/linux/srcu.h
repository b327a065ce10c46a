/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: sleepable RCU with one read-side domain per srcu_struct
 * (tests/harness/srcu.c).
 *
 * A grace period of one srcu_struct waits for the readers of that
 * srcu_struct only, as in the kernel: neither kernel-RCU readers
 * (rcu_read_lock, liburcu) nor readers of another srcu_struct delay it,
 * and synchronize_rcu() does not wait for SRCU readers.  So code that
 * protects an object with one domain and frees it after another's grace
 * period frees it under a reader, which ASan reports.
 *
 * synchronize_srcu() counts into harness_grace_periods and then calls
 * harness_synchronize_hook if set, except on the work-queue thread: the
 * grace periods the core's reclaim work waits for are not those of the
 * update the tests observe (they count into harness_worker_grace_periods).
 * Grace periods of each srcu_struct are numbered, for the cookies of
 * get_state_synchronize_srcu().
 */
#ifndef _SHIM_LINUX_SRCU_H
#define _SHIM_LINUX_SRCU_H

#include <linux/rcupdate.h>

struct srcu_struct {
	int initialized;
	unsigned long gp_started;	/* grace periods begun */
	unsigned long gp_ended;		/* highest number of one that ended */
};

extern unsigned long harness_grace_periods;
extern unsigned long harness_worker_grace_periods;
extern void (*harness_synchronize_hook)(struct srcu_struct *ssp);

#define DEFINE_SRCU(name)		struct srcu_struct name = { 1 }
#define DEFINE_STATIC_SRCU(name)	static struct srcu_struct name = { 1 }

int init_srcu_struct(struct srcu_struct *ssp);
void cleanup_srcu_struct(struct srcu_struct *ssp);
int srcu_read_lock(struct srcu_struct *ssp);
void srcu_read_unlock(struct srcu_struct *ssp, int idx);
/* True iff the calling thread is inside a read section of @ssp. */
int srcu_read_lock_held(const struct srcu_struct *ssp);
void synchronize_srcu(struct srcu_struct *ssp);
#define synchronize_srcu_expedited(ssp)	synchronize_srcu(ssp)
void call_srcu(struct srcu_struct *ssp, struct rcu_head *head,
	       void (*func)(struct rcu_head *head));
void srcu_barrier(struct srcu_struct *ssp);
/*
 * Grace-period cookies: the number of grace periods of @ssp started so
 * far; one has elapsed since when a grace period numbered above it has
 * ended.
 */
unsigned long get_state_synchronize_srcu(struct srcu_struct *ssp);
bool poll_state_synchronize_srcu(struct srcu_struct *ssp, unsigned long cookie);

#define srcu_dereference(p, ssp)		rcu_dereference(p)
#define srcu_dereference_check(p, ssp, c)	rcu_dereference(p)

#endif
