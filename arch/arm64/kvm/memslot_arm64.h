/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-memslot arm64 backend: what it gives the rest of the module (the
 * backend registry, virt/kvm/memslot_backends.c) and the userspace harness.
 */
#ifndef __ARCH_ARM64_KVM_MEMSLOT_ARM64_H
#define __ARCH_ARM64_KVM_MEMSLOT_ARM64_H

#include <linux/kvm_memslot.h>

extern const struct kvm_memslot_ops kvm_memslot_arm64_ops;

int kvm_memslot_arm64_backend_init(void);
void kvm_memslot_arm64_backend_exit(void);

#endif /* __ARCH_ARM64_KVM_MEMSLOT_ARM64_H */
