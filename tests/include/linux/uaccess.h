/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: access_ok() as on x86-64 Linux 6.1 (4-level paging):
 * true iff the range [addr, addr + size) lies below TASK_SIZE_MAX.
 */
#ifndef _SHIM_LINUX_UACCESS_H
#define _SHIM_LINUX_UACCESS_H
#include <string.h>
#include <linux/types.h>
#include <linux/errno.h>

#define TASK_SIZE_MAX	((1UL << 47) - PAGE_SIZE)

static inline bool __shim_access_ok(unsigned long addr, unsigned long size)
{
	return size <= TASK_SIZE_MAX && addr <= TASK_SIZE_MAX - size;
}
#define access_ok(addr, size)	__shim_access_ok((unsigned long)(addr), (unsigned long)(size))
#define untagged_addr(addr)	(addr)

static inline unsigned long copy_from_user(void *to, const void *from, unsigned long n)
{
	memcpy(to, from, n);
	return 0;
}
static inline unsigned long copy_to_user(void *to, const void *from, unsigned long n)
{
	memcpy(to, from, n);
	return 0;
}

/* A NULL user pointer faults; anything else is ordinary memory here. */
#define get_user(x, ptr)					\
({								\
	__typeof__(ptr) __gu_p = (ptr);				\
	int __gu_e = __gu_p ? 0 : -EFAULT;			\
								\
	if (!__gu_e)						\
		(x) = *__gu_p;					\
	__gu_e;							\
})
#endif
