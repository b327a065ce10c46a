/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: BUILD_BUG_ON() and friends live in compiler.h. */
#ifndef _SHIM_LINUX_BUILD_BUG_H
#define _SHIM_LINUX_BUILD_BUG_H
#include <linux/compiler.h>
#endif
