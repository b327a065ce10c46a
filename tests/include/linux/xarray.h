/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: struct xarray, so that structures embedding one compile. */
#ifndef _SHIM_LINUX_XARRAY_H
#define _SHIM_LINUX_XARRAY_H

struct xarray {
	void *head;
};
#endif
