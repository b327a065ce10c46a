/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim of the tracepoint machinery, for the core's own trace
 * header (include/trace/events/kvm_memslot.h, compiled unchanged).
 *
 * Each TRACE_EVENT() becomes the record type the kernel would write,
 * struct trace_event_raw_<name> (its TP_STRUCT__entry fields, without the
 * common header), and an inline trace_<name>() that fills one with the
 * event's TP_fast_assign and hands it to harness_trace_hook, if a test
 * set one (tests/harness/harness.h).  TP_printk is dropped.
 */
#ifndef _SHIM_LINUX_TRACEPOINT_H
#define _SHIM_LINUX_TRACEPOINT_H

#include <stddef.h>
#include <string.h>
#include <linux/types.h>

/* Called with each event's name and record; NULL: events are dropped. */
extern void (*harness_trace_hook)(const char *name, const void *entry,
				  size_t size);

#define TP_PROTO(args...)	args
#define TP_ARGS(args...)	args
#define TP_STRUCT__entry(args...) args
#define TP_fast_assign(args...)	args
#define TP_printk(fmt, args...)

/*
 * A member of the record: the semicolon is part of the expansion, as the
 * fields of TP_STRUCT__entry follow each other without separators.
 */
#define __field(type, item)	type item;

#define TRACE_DEFINE_ENUM(a)

#define TRACE_EVENT(name, proto, args, tstruct, assign, print)		\
	struct trace_event_raw_##name {					\
		tstruct							\
	};								\
	static inline bool trace_##name##_enabled(void)			\
	{								\
		return harness_trace_hook;				\
	}								\
	static inline void trace_##name(proto)				\
	{								\
		struct trace_event_raw_##name __rec, *__entry = &__rec;	\
									\
		if (!harness_trace_hook)				\
			return;						\
		memset(&__rec, 0, sizeof(__rec));			\
		assign							\
		harness_trace_hook(#name, __entry, sizeof(__rec));	\
	}

#endif /* _SHIM_LINUX_TRACEPOINT_H */
