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
int kvm_memslot_resolve_vm_page(const struct kvm_memory_slot *slot,
				kvm_memslot_gfn_t gfn, bool write,
				unsigned long *pfns, bool *writable);
void kvm_memslot_release_vm_page(const struct kvm_memory_slot *slot,
				 unsigned long *pfns, bool dirty);

/**
 * kvm_memslot_mmu_invalidate_retry() - whether a resolved pfn may be stale
 * @vm:      the VM; mmu_lock held
 * @mmu_seq: @vm->mmu_invalidate_seq, sampled before the slot and the pfn
 *           were looked up
 * @start:   first host virtual address the translation would map
 * @end:     one past the last
 *
 * Return: true if an MMU-notifier invalidation overlapping [@start, @end)
 * is in progress, or one ended since @mmu_seq was sampled: the pfn may
 * already be unmapped from the host, and installing it would outlive the
 * invalidation that was supposed to remove it.
 */
static inline bool kvm_memslot_mmu_invalidate_retry(struct kvm_memslot_vm *vm,
						    unsigned long mmu_seq,
						    unsigned long start,
						    unsigned long end)
{
	lockdep_assert_held(&vm->mmu_lock);

	if (vm->mmu_invalidate_in_progress &&
	    start < vm->mmu_invalidate_end &&
	    end > vm->mmu_invalidate_start)
		return true;
	return vm->mmu_invalidate_seq != mmu_seq;
}

#endif /* __LINUX_KVM_MEMSLOT_HOST_H */
