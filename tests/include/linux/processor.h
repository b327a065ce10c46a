/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: cpu_relax() and friends come from the asm shim. */
#ifndef _SHIM_LINUX_PROCESSOR_H
#define _SHIM_LINUX_PROCESSOR_H
#include <asm/processor.h>
#endif
