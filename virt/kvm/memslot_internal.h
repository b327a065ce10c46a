/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private interface between the files of the memslot core.
 */
#ifndef __KVM_MEMSLOT_INTERNAL_H
#define __KVM_MEMSLOT_INTERNAL_H

#include <linux/kvm_memslot.h>

#include "memslot_tree.h"

/*
 * Test-only breakage for the debug-kernel lane (tests/debug-kernel/lane.sh
 * builds a second module with -DKVM_MEMSLOT_TEST_EARLY_FREE): never wait
 * for readers, neither before flushing a deleted or moved slot nor before
 * freeing what an update replaced.  A fault that found the old slot is
 * then still using it when it is freed, which KASAN must catch.
 */
#ifndef KVM_MEMSLOT_TEST_EARLY_FREE
#define KVM_MEMSLOT_TEST_EARLY_FREE	0
#endif

/**
 * struct kvm_memslot_retired_slot - a slot to free after a grace period
 * @slot:        the slot structure
 * @free_arch:   its arch data is not inherited by a successor
 * @free_bitmap: its dirty bitmap is not inherited by a successor
 */
struct kvm_memslot_retired_slot {
	struct kvm_memory_slot *slot;
	bool free_arch;
	bool free_bitmap;
};

/**
 * struct kvm_memslot_reclaim - memory an update replaced
 * @llnode:   on vm->reclaim_list until a grace period has elapsed
 * @vm:       the VM
 * @cookie:   SRCU grace-period state when the batch was retired
 * @nodes:    tree nodes chained through ->next
 * @nr_sets:  entries used in @sets
 * @sets:     set structures no longer published
 * @nr_slots: entries used in @slots
 * @slots:    slots no longer published
 */
struct kvm_memslot_reclaim {
	struct llist_node llnode;
	struct kvm_memslot_vm *vm;
	unsigned long cookie;
	struct kvm_memslot_node *nodes;
	unsigned int nr_sets;
	struct kvm_memslots *sets[2 * KVM_MEMSLOT_MAX_ADDRESS_SPACES];
	unsigned int nr_slots;
	struct kvm_memslot_retired_slot slots[];
};

/* memslot_vm.c */
struct kvm_memslot_reclaim *kvm_memslot_reclaim_alloc(unsigned int nr_slots);
void kvm_memslot_reclaim_add_nodes(struct kvm_memslot_reclaim *reclaim,
				   struct kvm_memslot_node *nodes);
void kvm_memslot_reclaim_add_slot(struct kvm_memslot_reclaim *reclaim,
				  struct kvm_memory_slot *slot,
				  bool free_arch, bool free_bitmap);
void kvm_memslot_reclaim_defer(struct kvm_memslot_vm *vm,
			       struct kvm_memslot_reclaim *reclaim);
void kvm_memslot_reclaim_pool_covered(struct kvm_memslot_vm *vm);
void kvm_memslot_free_slot(struct kvm_memslot_vm *vm,
			   struct kvm_memory_slot *slot,
			   bool free_arch, bool free_bitmap);
struct kvm_memslots *kvm_memslots_alloc(u16 as_id, unsigned int nr_transit);

/* memslot_ids.c */
int kvm_memslot_ids_reserve(struct kvm_memslot_vm *vm, u16 as_id, u16 id);
void kvm_memslot_ids_set(struct kvm_memslot_vm *vm, u16 as_id, u16 id,
			 struct kvm_memory_slot *slot);
void kvm_memslot_ids_destroy(struct kvm_memslot_vm *vm);

/* memslot_mn_sync.c */
void kvm_memslot_publish_begin(struct kvm_memslot_vm *vm);
void kvm_memslot_publish_end(struct kvm_memslot_vm *vm);

#endif /* __KVM_MEMSLOT_INTERNAL_H */
