/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _SHIM_LINUX_GFP_H
#define _SHIM_LINUX_GFP_H
#include <linux/types.h>
#define __GFP_ZERO		0x1u
#define __GFP_NOWARN		0x2u
#define __GFP_ACCOUNT		0x4u
#define __GFP_NORETRY		0x8u
#define __GFP_RETRY_MAYFAIL	0x80u
#define GFP_KERNEL		0x10u
#define GFP_KERNEL_ACCOUNT	(GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT		0x20u
#define GFP_ATOMIC		0x40u
#endif
