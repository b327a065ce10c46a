/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _SHIM_LINUX_MODULE_H
#define _SHIM_LINUX_MODULE_H
#include <linux/export.h>
#include <linux/init.h>
#define MODULE_LICENSE(x)
#define MODULE_AUTHOR(x)
#define MODULE_DESCRIPTION(x)
#define MODULE_VERSION(x)
#define MODULE_ALIAS(x)
#define MODULE_ALIAS_MISCDEV(x)
#define module_param(n, t, p)
#define MODULE_PARM_DESC(n, d)
#define THIS_MODULE		((void *)0)
#endif
