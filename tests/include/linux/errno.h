/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: glibc's <errno.h> reaches this file too, so it must stay
 * the uapi errno list plus the kernel-internal codes.
 */
#ifndef _SHIM_LINUX_ERRNO_H
#define _SHIM_LINUX_ERRNO_H
#include_next <linux/errno.h>
#define ERESTARTSYS	512
#define ENOIOCTLCMD	515
#define ENOTSUPP	524
#endif
