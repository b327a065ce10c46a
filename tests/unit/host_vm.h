/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A VM as the module makes it, for the tests that link the MMU-notifier
 * glue (../virt/kvm/mmu_notifier.c) and the gfn_to_pfn cache: the
 * memslot state inside a struct kvm_memslot_host_vm whose notifier is
 * registered on a fake mm of the harness (tests/harness/mmu_notifier.c).
 * Invalidations are made with harness_mm_invalidate_start() / _end() on
 * thvm_mm(), exactly as the mm calls the notifier.
 */
#ifndef _TEST_HOST_VM_H
#define _TEST_HOST_VM_H

#include "../../virt/kvm/memslot_fd.h"
#include <linux/mmu_notifier.h>

#include "common.h"

/* Create a VM and register its notifier (asserts success). */
struct kvm_memslot_host_vm *thvm_create(const struct kvm_memslot_ops *ops,
					void *arch);
/* Unregister, destroy; assert no WARN fired and nothing leaked. */
void thvm_destroy(struct kvm_memslot_host_vm *vm);
/* The fake mm the VM follows. */
struct mm_struct *thvm_mm(struct kvm_memslot_host_vm *vm);

#endif
