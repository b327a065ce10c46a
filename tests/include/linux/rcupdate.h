/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: RCU on liburcu's urcu-memb flavour (link -lurcu-memb).
 * Every thread that enters a read-side section must be registered first
 * (harness_rcu_register_thread()); an unregistered reader would not be
 * waited for by a grace period, so the shim aborts on one.
 *
 * struct rcu_head is liburcu's own, so call_rcu()/call_srcu() hand it
 * straight to urcu_memb_call_rcu(); callbacks run on liburcu's call_rcu
 * thread.
 */
#ifndef _SHIM_LINUX_RCUPDATE_H
#define _SHIM_LINUX_RCUPDATE_H

#include <urcu/urcu-memb.h>
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/bug.h>
#include <linux/lockdep.h>

/* Grace periods waited for by synchronize_rcu (kernel-RCU domain). */
extern unsigned long harness_rcu_grace_periods;
extern __thread int harness_rcu_registered;
void harness_rcu_unregistered_reader(void);

static inline void rcu_read_lock(void)
{
	if (unlikely(!harness_rcu_registered))
		harness_rcu_unregistered_reader();
	urcu_memb_read_lock();
}
static inline void rcu_read_unlock(void) { urcu_memb_read_unlock(); }
static inline int rcu_read_lock_held(void) { return urcu_memb_read_ongoing(); }
void synchronize_rcu(void);
static inline void call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *))
{
	urcu_memb_call_rcu(head, func);
}
static inline void rcu_barrier(void) { urcu_memb_barrier(); }

/* liburcu's <urcu/pointer.h> has its own versions of these; use ours. */
#undef rcu_dereference
#undef rcu_assign_pointer
#define RCU_INITIALIZER(v)		(v)
#define rcu_dereference(p)		__atomic_load_n(&(p), __ATOMIC_CONSUME)
#define rcu_dereference_check(p, c)	rcu_dereference(p)
#define rcu_dereference_raw(p)		rcu_dereference(p)
#define rcu_dereference_protected(p, c)	(p)
#define rcu_access_pointer(p)		READ_ONCE(p)
#define rcu_assign_pointer(p, v)					\
	__atomic_store_n(&(p), (__typeof__(p))(v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v)		WRITE_ONCE(p, v)
#define rcu_replace_pointer(p, v, c) ({					\
	__typeof__(p) __old = (p);					\
	rcu_assign_pointer(p, v);					\
	__old; })

#endif
