/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: no lockdep; every "is held" claim is taken as true. */
#ifndef _SHIM_LINUX_LOCKDEP_H
#define _SHIM_LINUX_LOCKDEP_H
#define lockdep_is_held(l)		1
#define lockdep_assert_held(l)		do { (void)(l); } while (0)
#define lockdep_assert_held_write(l)	do { (void)(l); } while (0)
#define lockdep_assert_not_held(l)	do { (void)(l); } while (0)
#define lockdep_assert_irqs_enabled()	do { } while (0)
#endif
