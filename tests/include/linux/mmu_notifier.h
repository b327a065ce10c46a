/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: struct mmu_notifier, so that structures embedding one compile. */
#ifndef _SHIM_LINUX_MMU_NOTIFIER_H
#define _SHIM_LINUX_MMU_NOTIFIER_H
#include <linux/list.h>

struct mmu_notifier_ops;

struct mmu_notifier {
	const struct mmu_notifier_ops *ops;
};
#endif
