/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: a fake frame is mapped by the fake host mm that owns it
 * (unit/host_mm.c, the harness's memslot_host_mm.c), which gives each
 * frame a page of memory the first time it is mapped.
 */
#ifndef _SHIM_LINUX_HIGHMEM_H
#define _SHIM_LINUX_HIGHMEM_H

void *kmap_local_pfn(unsigned long pfn);
static inline void kunmap_local(const void *addr) { }

#endif
