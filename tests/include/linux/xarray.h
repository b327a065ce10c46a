/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: struct xarray, so that structures embedding one compile. */
#ifndef _SHIM_LINUX_XARRAY_H
#define _SHIM_LINUX_XARRAY_H

struct xarray {
	void *head;
};

/*
 * Iteration only, for memslot_guest_mode.c's walk of a VM's vCPUs: a test
 * that links it points @head at a NULL-terminated array of entries (an
 * index is the entry's position in it).
 */
#define xa_for_each(xa, index, entry)					\
	for ((index) = 0;						\
	     (xa)->head &&						\
	     ((entry) = ((void **)(xa)->head)[(index)]) != NULL;	\
	     (index)++)
#endif
