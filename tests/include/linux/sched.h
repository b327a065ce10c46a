/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: scheduling points are no-ops (threads are preemptive). */
#ifndef _SHIM_LINUX_SCHED_H
#define _SHIM_LINUX_SCHED_H
#include <sched.h>
#define cond_resched()		do { } while (0)
#define might_sleep()		do { } while (0)
#define cpu_relax()		__builtin_ia32_pause()
#define signal_pending(t)	0
/* A test sets it to make this thread's fatal_signal_pending() true. */
extern __thread int harness_fatal_signal;
#define fatal_signal_pending(t)	(harness_fatal_signal != 0)
#endif
