/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _SHIM_LINUX_MM_H
#define _SHIM_LINUX_MM_H
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/bitops.h>

/* x86-64's: the largest leaf a host page table has maps 1 GiB. */
#define PUD_SHIFT		30
#define offset_in_page(p)	((unsigned long)(p) & ~PAGE_MASK)
#endif
