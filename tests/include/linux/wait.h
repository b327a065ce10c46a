/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: a wait queue is a pthread mutex + condvar + a wakeup
 * sequence.  wait_event() samples the sequence, tests the condition, and
 * sleeps until the sequence moves or a short timeout (1 ms) passes, then
 * re-tests: a wakeup cannot be lost, and even a waker that forgot to call
 * wake_up costs only a millisecond per round, never a hang.
 */
#ifndef _SHIM_LINUX_WAIT_H
#define _SHIM_LINUX_WAIT_H
#include <pthread.h>
#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/jiffies.h>

typedef struct wait_queue_head {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned long seq;
} wait_queue_head_t;

#define __WAIT_QUEUE_HEAD_INITIALIZER(name) \
	{ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 }
#define DECLARE_WAIT_QUEUE_HEAD(name) \
	wait_queue_head_t name = __WAIT_QUEUE_HEAD_INITIALIZER(name)

void init_waitqueue_head(wait_queue_head_t *wq);
void wake_up_all(wait_queue_head_t *wq);
#define wake_up(wq)			wake_up_all(wq)
#define wake_up_interruptible(wq)	wake_up_all(wq)
#define wake_up_interruptible_all(wq)	wake_up_all(wq)
static inline unsigned long __shim_wait_seq(wait_queue_head_t *wq)
{
	return __atomic_load_n(&wq->seq, __ATOMIC_SEQ_CST);
}
/* Sleep until wq's sequence differs from @seq or about 1 ms elapsed. */
void __shim_wait_step(wait_queue_head_t *wq, unsigned long seq);
/* No cheap way to know: report possible waiters, so wakers never skip. */
static inline int waitqueue_active(wait_queue_head_t *wq) { (void)wq; return 1; }
static inline bool wq_has_sleeper(wait_queue_head_t *wq) { (void)wq; return true; }

#define wait_event(wq, cond) do {					\
	for (;;) {							\
		unsigned long __seq = __shim_wait_seq(&(wq));		\
		if (cond)						\
			break;						\
		__shim_wait_step(&(wq), __seq);				\
	}								\
} while (0)

/* No signals here: the interruptible/killable waits always succeed. */
#define wait_event_interruptible(wq, cond) ({ wait_event(wq, cond); 0; })
#define wait_event_killable(wq, cond)	   ({ wait_event(wq, cond); 0; })

/* Returns 0 on timeout with @cond false, else the jiffies left (>= 1). */
#define wait_event_timeout(wq, cond, timeout) ({			\
	unsigned long __end = jiffies + (timeout);			\
	long __ret = 0;							\
	for (;;) {							\
		unsigned long __seq = __shim_wait_seq(&(wq));		\
		if (cond) {						\
			long __left = (long)(__end - jiffies);		\
			__ret = __left > 0 ? __left : 1;		\
			break;						\
		}							\
		if ((long)(jiffies - __end) >= 0)			\
			break;						\
		__shim_wait_step(&(wq), __seq);				\
	}								\
	__ret; })
#define wait_event_interruptible_timeout(wq, cond, t) wait_event_timeout(wq, cond, t)

#endif
