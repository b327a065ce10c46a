/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: struct kref, so that structures embedding one compile. */
#ifndef _SHIM_LINUX_KREF_H
#define _SHIM_LINUX_KREF_H
#include <linux/atomic.h>

struct kref {
	atomic_t refcount;
};
#endif
