/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared helpers of the unit tests: backends that model x86 and PowerPC,
 * VM setup and teardown with leak and WARN checks, region helpers, and a
 * snapshot of both address spaces to prove that a failed update changed
 * nothing.
 */
#ifndef _TEST_COMMON_H
#define _TEST_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <linux/kvm_memslot.h>
#include "harness.h"

/* Host addresses: any page-aligned value below TASK_SIZE_MAX will do. */
#define TEST_HVA_BASE	0x100000000000UL
#define TEST_HVA(off)	(TEST_HVA_BASE + (unsigned long)(off))
/*
 * The VM's page size, in which gfns, slot sizes and alignment count.  A
 * test that runs on backends of several page sizes defines
 * TEST_PAGE_SIZE_FOLLOWS_VM first: then it is that of the backend of the
 * last VM tvm_create() made; else the host's, as constants.
 */
extern unsigned int test_page_shift;
#ifdef TEST_PAGE_SIZE_FOLLOWS_VM
#define PG		(1UL << test_page_shift)
#define GPA(gfn)	((u64)(gfn) << test_page_shift)
#else
#define PG		PAGE_SIZE
#define GPA(gfn)	((u64)(gfn) << PAGE_SHIFT)
#endif
#define SLOT(as, id)	(((u32)(as) << 16) | (u32)(id))

/* x86: 2 address spaces, 32764 user slots, READONLY. No-op hooks. */
extern const struct kvm_memslot_ops test_ops_x86;
/* PowerPC: 1 address space, 32767 user slots, no READONLY. */
extern const struct kvm_memslot_ops test_ops_ppc;
/* arm64: 1 address space, 32767 user slots, READONLY. */
extern const struct kvm_memslot_ops test_ops_arm64;
/*
 * The second fake backend: 64 KiB pages and 1 address space, otherwise as
 * test_ops_x86 (32764 user slots, READONLY), so that the same validation
 * and protocol tests run on it.
 */
extern const struct kvm_memslot_ops test_ops_64k;

/* What a test VM is held to when it is destroyed: the counts before it. */
struct tvm_baseline {
	long alloc_live;		/* harness_alloc_live */
	unsigned long warns;		/* harness_warn_count */
};

/*
 * Register the calling thread with the harness, let earlier tests'
 * deferred frees finish so they do not blur the count, and take it.
 */
void tvm_baseline_take(struct tvm_baseline *b);
/* Assert that nothing allocated since @b is live and no WARN fired. */
void tvm_baseline_check(const struct tvm_baseline *b, const char *what);

struct test_vm {
	struct kvm_memslot_vm vm;
	struct tvm_baseline base;
};

/* Create a VM (asserts success); register the calling thread with liburcu. */
struct kvm_memslot_vm *tvm_create(const struct kvm_memslot_ops *ops, void *arch);
/* Destroy it; assert no WARN fired and nothing allocated is left over. */
void tvm_destroy(struct kvm_memslot_vm *vm);

/* A region as a constant initializer. */
#define REGION_INIT(s, f, g, sz, h) { .slot = (s), .flags = (f), \
	.guest_phys_addr = (g), .memory_size = (sz), .userspace_addr = (h) }

/* KVM_SET_USER_MEMORY_REGION with these fields. */
int tvm_set(struct kvm_memslot_vm *vm, u32 slot, u32 flags, u64 gpa,
	    u64 size, u64 hva);
static inline struct kvm_userspace_memory_region
region(u32 slot, u32 flags, u64 gpa, u64 size, u64 hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = hva,
	};
	return r;
}

/* A published slot as a test sees it. */
struct snap_slot {
	const struct kvm_memory_slot *ptr;
	u64 base_gfn;
	unsigned long npages;
	unsigned long hva;
	u32 flags;
	u16 id;
	u16 as_id;
	void *arch;
	unsigned long *dirty_bitmap;
};

struct snapshot {
	u64 vm_generation;
	unsigned long nr_memslot_pages;
	u64 generation[KVM_MEMSLOT_MAX_ADDRESS_SPACES];
	const struct kvm_memslots *set[KVM_MEMSLOT_MAX_ADDRESS_SPACES];
	unsigned int nr[KVM_MEMSLOT_MAX_ADDRESS_SPACES];
	struct snap_slot *slots[KVM_MEMSLOT_MAX_ADDRESS_SPACES];	/* gfn order */
};

/*
 * Record every slot of every address space (under SRCU), after checking
 * the set's internal consistency: gfn order, no overlap, nr_slots, find_id
 * and find_gfn agree with the walk, even generation, no slot INVALID.
 */
void snap_take(struct kvm_memslot_vm *vm, struct snapshot *s);
void snap_free(struct snapshot *s);
/* Assert two snapshots are identical: same set objects, same slot objects. */
void snap_assert_same(const struct snapshot *a, const struct snapshot *b);
/* Assert @s holds exactly the slots of @exp (compared by fields only). */
void snap_assert_layout(const struct snapshot *s, int as_id,
			const struct kvm_userspace_memory_region *exp,
			unsigned int nr);

/* The slot with @id in address space @as_id of the published set, or NULL. */
const struct kvm_memory_slot *tvm_find_id(struct kvm_memslot_vm *vm, int as_id, u16 id);
const struct kvm_memory_slot *tvm_find_gfn(struct kvm_memslot_vm *vm, int as_id, u64 gfn);
u64 tvm_generation(struct kvm_memslot_vm *vm, int as_id);
unsigned int tvm_nr_slots(struct kvm_memslot_vm *vm, int as_id);
/* The backend's audit, run as the audit ioctl runs it: every lock held. */
unsigned long tvm_audit(struct kvm_memslot_vm *vm);

/* Assert the WARN counter has not moved since the VM was created. */
void tvm_assert_no_warn(struct kvm_memslot_vm *vm);

#endif
