/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-memslot x86 backend: what it gives the rest of the module (the
 * backend registry, virt/kvm/memslot_backends.c) and the userspace harness.
 */
#ifndef __ARCH_X86_KVM_MEMSLOT_X86_H
#define __ARCH_X86_KVM_MEMSLOT_X86_H

#include <linux/kvm_memslot.h>

extern const struct kvm_memslot_ops kvm_memslot_x86_ept_ops;
extern const struct kvm_memslot_ops kvm_memslot_x86_npt_ops;

int kvm_memslot_x86_backend_init(void);
void kvm_memslot_x86_backend_exit(void);

#endif /* __ARCH_X86_KVM_MEMSLOT_X86_H */
