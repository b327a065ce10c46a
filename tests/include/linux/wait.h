/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: a wait queue is a pthread mutex + condvar + a wake-up
 * sequence (tests/harness/wait.c).
 *
 * wait_event() samples the sequence, tests the condition, and sleeps until
 * the sequence moves, i.e. until a wake_up*() on that queue; then it tests
 * again.  A wake-up that comes between the test and the sleep moves the
 * sequence first, so it is never lost; and nothing but a wake-up ends the
 * sleep, so a waker that forgot its wake_up leaves the waiter asleep, as
 * in the kernel.  A watchdog turns that hang into a loud failure: a wait
 * that lasts longer than HARNESS_WATCHDOG_MS (default 10000 ms) prints
 * every thread that is waiting, with the wait queue, the call site and the
 * condition it waits for, and every SRCU reader, then aborts the test.
 *
 * wait_event_timeout() also ends at its timeout, as in the kernel; the
 * watchdog applies to it only beyond its timeout's reach.
 */
#ifndef _SHIM_LINUX_WAIT_H
#define _SHIM_LINUX_WAIT_H
#include <pthread.h>
#include <time.h>
#include <linux/types.h>
#include <linux/spinlock.h>
#include <linux/jiffies.h>

typedef struct wait_queue_head {
	pthread_mutex_t lock;	/* protects the condvar's sleepers */
	pthread_cond_t cond;	/* broadcast by every wake_up*() */
	unsigned long seq;	/* wake-ups so far; written under lock */
	clockid_t clock;	/* the clock cond's deadlines are on */
} wait_queue_head_t;

/* A statically initialized condvar uses the realtime clock. */
#define __WAIT_QUEUE_HEAD_INITIALIZER(name) \
	{ PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, CLOCK_REALTIME }
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
/* No cheap way to know: report possible waiters, so wakers never skip. */
static inline int waitqueue_active(wait_queue_head_t *wq) { (void)wq; return 1; }
static inline bool wq_has_sleeper(wait_queue_head_t *wq) { (void)wq; return true; }

/*
 * One thread's wait, for the watchdog's report: where it waits and for
 * what.  Listed while the wait lasts (from its first sleep).
 */
struct __shim_waiter {
	struct __shim_waiter *prev, *next;
	wait_queue_head_t *wq;
	const char *wq_name;
	const char *cond;
	const char *file;
	int line;
	int tid;
	unsigned long long start_ns;	/* 0 until the first sleep */
	unsigned long wakeups;		/* wake-ups seen that left cond false */
};

#define __SHIM_WAITER(q, c) {						\
	.wq = &(q), .wq_name = #q, .cond = #c,				\
	.file = __FILE__, .line = __LINE__,				\
}

/*
 * Sleep until wq's sequence differs from @seq (a wake-up), or until
 * @end_ns on the monotonic clock if it is not 0.  Return: false if @end_ns
 * passed first.  Aborts the test if the watchdog's bound passes first.
 */
bool __shim_wait_sleep(struct __shim_waiter *w, unsigned long seq,
		       unsigned long long end_ns);
/* The wait is over: drop it from the watchdog's list. */
void __shim_wait_done(struct __shim_waiter *w);
unsigned long long __shim_wait_now_ns(void);

#define wait_event(wq, cond) do {					\
	struct __shim_waiter __w = __SHIM_WAITER(wq, cond);		\
	for (;;) {							\
		unsigned long __seq = __shim_wait_seq(&(wq));		\
		if (cond)						\
			break;						\
		__shim_wait_sleep(&__w, __seq, 0);			\
	}								\
	__shim_wait_done(&__w);						\
} while (0)

/* No signals here: the interruptible/killable waits always succeed. */
#define wait_event_interruptible(wq, cond) ({ wait_event(wq, cond); 0; })
#define wait_event_killable(wq, cond)	   ({ wait_event(wq, cond); 0; })

/*
 * Returns 0 on timeout with @cond false, else the jiffies left (>= 1).
 * jiffies are milliseconds here (HZ = 1000).
 */
#define wait_event_timeout(wq, cond, timeout) ({			\
	struct __shim_waiter __w = __SHIM_WAITER(wq, cond);		\
	unsigned long long __end = __shim_wait_now_ns() +		\
		(unsigned long long)(timeout) * 1000000ull;		\
	long __ret = 0;							\
	for (;;) {							\
		unsigned long __seq = __shim_wait_seq(&(wq));		\
		if (cond) {						\
			long long __left = (long long)(__end -		\
				__shim_wait_now_ns()) / 1000000;	\
			__ret = __left > 0 ? (long)__left : 1;		\
			break;						\
		}							\
		if (!__shim_wait_sleep(&__w, __seq, __end)) {		\
			/* Timed out: the condition has the last word. */ \
			if (cond)					\
				__ret = 1;				\
			break;						\
		}							\
	}								\
	__shim_wait_done(&__w);						\
	__ret; })
#define wait_event_interruptible_timeout(wq, cond, t) wait_event_timeout(wq, cond, t)

#endif
