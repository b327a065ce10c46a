/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-memslot: host-mm access for the fault path, private to virt/kvm
 * (memslot_host_mm.c; the services a backend may call are in
 * <linux/kvm_memslot_host.h>, the gfn_to_pfn cache's pin and unpin in
 * <linux/kvm_memslot_pfncache.h>).
 */
#ifndef __KVM_MEMSLOT_HOST_MM_H
#define __KVM_MEMSLOT_HOST_MM_H

#include <linux/kvm_memslot.h>
#include <linux/types.h>

/**
 * struct kvm_memslot_host_map - what the host maps at an address
 * @pfn:      the 4 KiB frame mapped at the address
 * @writable: the host maps it writable
 * @shift:    log2 of the size of the host's leaf that maps it
 */
struct kvm_memslot_host_map {
	unsigned long pfn;
	bool writable;
	unsigned int shift;
};

bool kvm_memslot_host_map_lookup(struct kvm_memslot_vm *vm, unsigned long hva,
				 struct kvm_memslot_host_map *map);
bool kvm_memslot_hva_to_pfn_fast_writable(unsigned long hva,
					  unsigned long *pfn);
int kvm_memslot_hva_to_pfn(unsigned long hva, bool write, unsigned long *pfn);
void kvm_memslot_release_pfn(unsigned long pfn, bool dirty);

#endif /* __KVM_MEMSLOT_HOST_MM_H */
