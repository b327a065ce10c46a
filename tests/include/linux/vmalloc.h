/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _SHIM_LINUX_VMALLOC_H
#define _SHIM_LINUX_VMALLOC_H
#include <linux/slab.h>
static inline void *vmalloc(size_t size) { return harness_alloc(size, GFP_KERNEL); }
static inline void *vzalloc(size_t size) { return harness_alloc(size, GFP_KERNEL | __GFP_ZERO); }
static inline void vfree(const void *p) { harness_free(p); }
#endif
