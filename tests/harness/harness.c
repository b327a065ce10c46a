// SPDX-License-Identifier: GPL-2.0-only
/* Test-side helpers of the userspace harness (see harness.h). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <urcu/urcu-memb.h>

#include <linux/srcu.h>
#include <linux/workqueue.h>

#include "harness.h"

__thread int harness_fatal_signal;

struct thread_start {
	void *(*fn)(void *);
	void *arg;
};

static void *thread_trampoline(void *p)
{
	struct thread_start ts = *(struct thread_start *)p;
	void *ret;

	free(p);
	harness_rcu_register_thread();
	ret = ts.fn(ts.arg);
	harness_rcu_unregister_thread();
	return ret;
}

int harness_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	struct thread_start *ts = malloc(sizeof(*ts));

	if (!ts)
		return -1;
	ts->fn = fn;
	ts->arg = arg;
	if (pthread_create(t, NULL, thread_trampoline, ts)) {
		free(ts);
		return -1;
	}
	return 0;
}

void harness_rcu_reset_reader(void)
{
	int n = 0;

	while (urcu_memb_read_ongoing()) {
		urcu_memb_read_unlock();
		n++;
	}
	if (n)
		fprintf(stderr, "harness: left %d read-side section(s) abandoned by a failed assertion\n", n);
	harness_srcu_reset_reader();
}

void harness_quiesce(void)
{
	int i;

	/* A callback may schedule work that queues more callbacks: twice. */
	for (i = 0; i < 2; i++) {
		urcu_memb_barrier();
		srcu_barrier(NULL);
		flush_workqueue(system_wq);
	}
}

void harness_fail_alloc(long nth)
{
	__atomic_store_n(&harness_alloc_fail_nth, nth, __ATOMIC_SEQ_CST);
}

uint64_t harness_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void harness_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

uint64_t harness_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}
