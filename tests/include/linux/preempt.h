/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: threads cannot stop preemption; only the compiler
 * barrier is kept, so that guest-mode sections keep their order.
 */
#ifndef _SHIM_LINUX_PREEMPT_H
#define _SHIM_LINUX_PREEMPT_H

#include <linux/compiler.h>

#define preempt_disable()	barrier()
#define preempt_enable()	barrier()

#endif
