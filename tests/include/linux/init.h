/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _SHIM_LINUX_INIT_H
#define _SHIM_LINUX_INIT_H
#include <linux/compiler.h>
#define module_init(f)
#define module_exit(f)
#endif
