// SPDX-License-Identifier: GPL-2.0-only
/*
 * Wait queues of the userspace harness (see tests/include/linux/wait.h)
 * and the watchdog that turns a wait nobody ends into a test failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <linux/wait.h>

#include "harness.h"

/* Waits in progress, for the watchdog's report. */
static pthread_mutex_t waiters_lock = PTHREAD_MUTEX_INITIALIZER;
static struct __shim_waiter waiters = { &waiters, &waiters };

unsigned long long __shim_wait_now_ns(void)
{
	return harness_now_ns();
}

static unsigned int watchdog_ms;

void harness_set_watchdog_ms(unsigned int ms)
{
	__atomic_store_n(&watchdog_ms, ms, __ATOMIC_RELAXED);
}

unsigned int harness_watchdog_ms(void)
{
	unsigned int ms = __atomic_load_n(&watchdog_ms, __ATOMIC_RELAXED);
	const char *s;

	if (ms)
		return ms;
	s = getenv("HARNESS_WATCHDOG_MS");
	ms = s && atoi(s) > 0 ? (unsigned int)atoi(s) : 10000;
	harness_set_watchdog_ms(ms);
	return ms;
}

void init_waitqueue_head(wait_queue_head_t *wq)
{
	pthread_condattr_t a;

	pthread_mutex_init(&wq->lock, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&wq->cond, &a);
	pthread_condattr_destroy(&a);
	wq->seq = 0;
	wq->clock = CLOCK_MONOTONIC;
}

void wake_up_all(wait_queue_head_t *wq)
{
	pthread_mutex_lock(&wq->lock);
	__atomic_add_fetch(&wq->seq, 1, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&wq->cond);
	pthread_mutex_unlock(&wq->lock);
}

/* Print every wait in progress; waiters_lock held. */
static void report_waiters(unsigned long long now)
{
	struct __shim_waiter *w;

	for (w = waiters.next; w != &waiters; w = w->next)
		fprintf(stderr,
			"harness:   thread %d waits on %s (%p) at %s:%d for \"%s\": %llu ms, %lu wake-up(s) so far, queue sequence %lu\n",
			w->tid, w->wq_name, (void *)w->wq, w->file, w->line,
			w->cond, (now - w->start_ns) / 1000000, w->wakeups,
			__atomic_load_n(&w->wq->seq, __ATOMIC_SEQ_CST));
}

int harness_nr_waiters(void)
{
	struct __shim_waiter *w;
	int n = 0;

	pthread_mutex_lock(&waiters_lock);
	for (w = waiters.next; w != &waiters; w = w->next)
		n++;
	pthread_mutex_unlock(&waiters_lock);
	return n;
}

void harness_watchdog_report(void)
{
	pthread_mutex_lock(&waiters_lock);
	fprintf(stderr, "harness: threads waiting on wait queues:\n");
	report_waiters(harness_now_ns());
	pthread_mutex_unlock(&waiters_lock);
	harness_srcu_report();
}

static void watchdog_fire(struct __shim_waiter *w)
{
	fprintf(stderr,
		"harness: WATCHDOG: thread %d waited more than %u ms on %s (%p) at %s:%d for \"%s\" (a missing wake_up?)\n",
		w->tid, harness_watchdog_ms(), w->wq_name, (void *)w->wq,
		w->file, w->line, w->cond);
	harness_watchdog_report();
	fflush(stderr);
	abort();
}

static void to_timespec(struct timespec *ts, clockid_t clock,
			unsigned long long mono_end)
{
	unsigned long long now = harness_now_ns(), t;
	struct timespec c;

	clock_gettime(clock, &c);
	t = (unsigned long long)c.tv_sec * 1000000000ull + c.tv_nsec;
	if (mono_end > now)
		t += mono_end - now;
	ts->tv_sec = t / 1000000000ull;
	ts->tv_nsec = t % 1000000000ull;
}

bool __shim_wait_sleep(struct __shim_waiter *w, unsigned long seq,
		       unsigned long long end_ns)
{
	wait_queue_head_t *wq = w->wq;
	unsigned long long watchdog_end, end;
	bool woken = true, timed;
	struct timespec ts;

	if (!w->start_ns) {
		w->start_ns = harness_now_ns();
		w->tid = gettid();
		pthread_mutex_lock(&waiters_lock);
		w->next = &waiters;
		w->prev = waiters.prev;
		waiters.prev->next = w;
		waiters.prev = w;
		pthread_mutex_unlock(&waiters_lock);
	}
	watchdog_end = w->start_ns + harness_watchdog_ms() * 1000000ull;
	/* A timed wait ends at its timeout if that comes first. */
	timed = end_ns && end_ns <= watchdog_end;
	end = timed ? end_ns : watchdog_end;
	to_timespec(&ts, wq->clock, end);

	pthread_mutex_lock(&wq->lock);
	while (__atomic_load_n(&wq->seq, __ATOMIC_SEQ_CST) == seq) {
		int r = pthread_cond_timedwait(&wq->cond, &wq->lock, &ts);

		if (r != ETIMEDOUT)
			continue;
		/* The condvar's clock and ours may disagree by a little. */
		if (harness_now_ns() < end) {
			to_timespec(&ts, wq->clock, end);
			continue;
		}
		if (timed) {
			woken = false;
			break;
		}
		pthread_mutex_unlock(&wq->lock);
		watchdog_fire(w);
	}
	pthread_mutex_unlock(&wq->lock);
	if (woken)
		w->wakeups++;
	return woken;
}

void __shim_wait_done(struct __shim_waiter *w)
{
	if (!w->start_ns)
		return;
	pthread_mutex_lock(&waiters_lock);
	w->prev->next = w->next;
	w->next->prev = w->prev;
	pthread_mutex_unlock(&waiters_lock);
}
