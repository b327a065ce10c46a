/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: the grab bag of <linux/kernel.h>. */
#ifndef _SHIM_LINUX_KERNEL_H
#define _SHIM_LINUX_KERNEL_H

#include <stddef.h>
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/compiler.h>
#include <linux/stringify.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/bug.h>
#include <linux/printk.h>
#include <linux/err.h>
#include <linux/math.h>
#include <linux/log2.h>
#include <linux/container_of.h>
#include <linux/sched.h>

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define ALIGN(x, a)		(((x) + ((__typeof__(x))(a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)	((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)	(((x) & ((__typeof__(x))(a) - 1)) == 0)
#define PAGE_ALIGNED(x)		IS_ALIGNED((unsigned long)(x), PAGE_SIZE)

#define u64_to_user_ptr(x)	((void __user *)(uintptr_t)(x))

#define lower_32_bits(n)	((u32)((n) & 0xffffffff))
#define upper_32_bits(n)	((u32)(((n) >> 16) >> 16))

#endif
