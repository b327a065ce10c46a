/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: WARN_ON and friends are recorded in harness_warn_count,
 * which every test asserts stays 0; BUG_ON aborts.
 */
#ifndef _SHIM_LINUX_BUG_H
#define _SHIM_LINUX_BUG_H

#include <stdio.h>
#include <stdlib.h>
#include <linux/compiler.h>

extern unsigned long harness_warn_count;
void harness_warn(const char *file, int line, const char *what);

#define WARN_ON(cond) ({						\
	int __w = !!(cond);						\
	if (unlikely(__w))						\
		harness_warn(__FILE__, __LINE__, #cond);		\
	unlikely(__w);							\
})

/* Recorded every time (not once): a test wants to know about each. */
#define WARN_ON_ONCE(cond)	WARN_ON(cond)

#define WARN(cond, fmt...) ({						\
	int __w = !!(cond);						\
	if (unlikely(__w)) {						\
		fprintf(stderr, fmt);					\
		harness_warn(__FILE__, __LINE__, #cond);		\
	}								\
	unlikely(__w);							\
})
#define WARN_ONCE(cond, fmt...)	WARN(cond, fmt)

#define BUG() do {							\
	fprintf(stderr, "BUG at %s:%d\n", __FILE__, __LINE__);		\
	abort();							\
} while (0)
#define BUG_ON(cond) do { if (unlikely(cond)) BUG(); } while (0)

#endif
