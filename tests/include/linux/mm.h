/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _SHIM_LINUX_MM_H
#define _SHIM_LINUX_MM_H
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#endif
