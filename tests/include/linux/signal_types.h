/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: sigset_t is glibc's. */
#ifndef _SHIM_LINUX_SIGNAL_TYPES_H
#define _SHIM_LINUX_SIGNAL_TYPES_H
#include <signal.h>
#endif
