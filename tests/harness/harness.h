/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test-side interface of the userspace harness: thread registration with
 * liburcu, the counters the shims keep, and a few helpers.
 */
#ifndef _HARNESS_H
#define _HARNESS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct srcu_struct;

/* Counters kept by the shims (tests/include/linux). */
extern unsigned long harness_warn_count;	/* WARN_ON* that fired */
extern long harness_alloc_fail_nth;		/* fail the Nth allocation from now; 0 = off */
extern long harness_alloc_live;			/* allocations not yet freed */
extern unsigned long harness_alloc_total;	/* allocation attempts */
extern unsigned long harness_alloc_failed;	/* allocations failed by injection */
extern unsigned long harness_grace_periods;	/* synchronize_srcu() calls completed */
extern unsigned long harness_rcu_grace_periods;	/* synchronize_rcu() calls completed */
/* Called after each synchronize_srcu() grace period, if set. */
extern void (*harness_synchronize_hook)(struct srcu_struct *ssp);
/*
 * Called with each tracepoint the core fires (its name and its record,
 * struct trace_event_raw_<name> of <trace/events/kvm_memslot.h>), if set.
 */
extern void (*harness_trace_hook)(const char *name, const void *entry,
				  size_t size);

/*
 * Every thread that takes an SRCU/RCU read lock must be registered with
 * liburcu first; the shims abort on an unregistered reader.
 */
void harness_rcu_register_thread(void);
void harness_rcu_unregister_thread(void);

/*
 * Leave any read-side section the calling thread is still in: a cmocka
 * assertion that fails inside one jumps out without unlocking.
 */
void harness_rcu_reset_reader(void);

/*
 * The calling thread's SRCU reader record (part of the two calls above;
 * the SRCU shim keeps its own readers, one domain per srcu_struct).
 */
void harness_srcu_register_thread(void);
void harness_srcu_unregister_thread(void);
void harness_srcu_reset_reader(void);

/*
 * Watchdog of waits that never end (wait queues, SRCU grace periods):
 * its bound in ms (HARNESS_WATCHDOG_MS, default 10000), and the report it
 * prints before it aborts: every thread waiting on a wait queue, where
 * and for what, and every SRCU reader.
 */
unsigned int harness_watchdog_ms(void);
void harness_set_watchdog_ms(unsigned int ms);
/* Threads in a wait_event*() that have slept at least once and not returned. */
int harness_nr_waiters(void);
void harness_watchdog_report(void);
void harness_srcu_report(void);
/* SRCU grace periods that found a reader to wait for. */
extern unsigned long harness_srcu_gp_waits;

/* Start a thread that is registered with liburcu while @fn runs. */
int harness_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* Wait for queued call_srcu() callbacks and the work they schedule. */
void harness_quiesce(void);

/*
 * Hold (true) or release (false) the work queue's worker: held, queued
 * work waits.  Lets a benchmark time an update without the deferred
 * reclaim it queues running meanwhile; harness_quiesce() must not be
 * called while the worker is held.
 */
void harness_workqueue_hold(bool hold);

/* Arm allocation fault injection: the @nth allocation from now fails. */
void harness_fail_alloc(long nth);

/* Monotonic clock in nanoseconds. */
uint64_t harness_now_ns(void);
void harness_sleep_ms(unsigned int ms);

/* Deterministic PRNG (xorshift64*), seeded per test. */
uint64_t harness_rand(uint64_t *state);

#endif
