/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-memslot: the host services a backend may call.
 *
 * A backend sees the VM only as its memslot state (struct kvm_memslot_vm,
 * with the slot lookups of <linux/kvm_memslot.h>); what it needs from the
 * host beyond that (asking every vCPU to drop its cached translations,
 * looking at the host pages behind a host virtual address) is declared
 * here.  The file-descriptor objects that implement them are private to
 * virt/kvm (virt/kvm/memslot_fd.h).
 */
#ifndef __LINUX_KVM_MEMSLOT_HOST_H
#define __LINUX_KVM_MEMSLOT_HOST_H

#include <linux/kvm_memslot.h>

/* virt/kvm/memslot_guest_mode.c */
void kvm_memslot_flush_remote_tlbs(struct kvm_memslot_vm *vm);

/* virt/kvm/memslot_host_mm.c */
int kvm_memslot_hva_to_pfn_peek(struct kvm_memslot_vm *vm, unsigned long hva,
				unsigned long *pfn);
int kvm_memslot_hva_to_pfn_peek_write(struct kvm_memslot_vm *vm,
				      unsigned long hva, unsigned long *pfn);

#endif /* __LINUX_KVM_MEMSLOT_HOST_H */
