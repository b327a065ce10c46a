// SPDX-License-Identifier: GPL-2.0-only
/*
 * Validation of KVM_SET_USER_MEMORY_REGION: one named test per check of
 * Linux 6.1's kvm_vm_ioctl_set_memory_region() and __kvm_set_memory_region(),
 * cases where two checks fail (the one 6.1 makes first must win), the
 * successful changes, and batch validation.
 *
 * Every failing call must leave the slot sets exactly as they were: the
 * same set objects, the same slot objects, the same generation.
 *
 * Not testable: 6.1's "memory_size != (unsigned long)memory_size" (never
 * true with a 64-bit unsigned long), and the nr_memslot_pages overflow with
 * real slots (at most 2 * 32764 slots of 2^31 - 1 pages each cannot reach
 * 2^64 pages); the overflow check is exercised by presetting the VM's
 * page counter instead.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Runs on the 4 KiB and the 64 KiB fake backend. */
#define TEST_PAGE_SIZE_FOLLOWS_VM
#include "common.h"
#include "fake_backend.h"
#include "../../virt/kvm/memslot_tree.h"
#include <linux/bitops.h>

#define TASK_SIZE_MAX_T	((1UL << 47) - PAGE_SIZE)	/* x86-64, 4-level */
#define MAX_NR_PAGES	((1UL << 31) - 1)

/*
 * Baseline layout of every test:
 *   AS0 slot 0: gfn 0x100, 16 pages, hva A
 *   AS0 slot 1: gfn 0x200, 16 pages, hva B, dirty logging on
 *   AS1 slot 5: gfn 0x100, 16 pages, hva C (x86 SMM space)
 */
#define HVA_A	TEST_HVA(0x000000)
#define HVA_B	TEST_HVA(0x100000)
#define HVA_C	TEST_HVA(0x200000)
#define HVA_FREE TEST_HVA(0x800000)

struct vfix {
	struct fake_backend fb;
	struct kvm_memslot_vm *vm;
};

static int setup_common(void **state, const struct kvm_memslot_ops *ops)
{
	struct vfix *f = calloc(1, sizeof(*f));

	f->vm = fake_vm_create(&f->fb, ops);
	f->fb.record = false;
	assert_int_equal(tvm_set(f->vm, SLOT(0, 0), 0, GPA(0x100), 16 * PG, HVA_A), 0);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 1), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x200), 16 * PG, HVA_B), 0);
	if (ops->nr_address_spaces > 1)
		assert_int_equal(tvm_set(f->vm, SLOT(1, 5), 0, GPA(0x100), 16 * PG, HVA_C), 0);
	*state = f;
	return 0;
}

static int setup_x86(void **state) { return setup_common(state, &test_ops_x86); }
static int setup_ppc(void **state) { return setup_common(state, &test_ops_ppc); }
static int setup_64k(void **state) { return setup_common(state, &test_ops_64k); }

static int teardown(void **state)
{
	struct vfix *f = *state;

	fake_vm_destroy(&f->fb);
	free(f);
	return 0;
}

/* Call with @r; assert @err and that nothing changed. */
static void expect_fail(struct vfix *f, struct kvm_userspace_memory_region r, int err)
{
	struct snapshot before, after;
	long arch_live;

	/* Reclaim of earlier updates runs asynchronously: let it finish. */
	harness_quiesce();
	arch_live = fake_arch_live(&f->fb);
	snap_take(f->vm, &before);
	assert_int_equal(kvm_memslot_set_user_region(f->vm, &r), err);
	snap_take(f->vm, &after);
	snap_assert_same(&before, &after);
	assert_int_equal(fake_arch_live(&f->fb), arch_live);
	tvm_assert_no_warn(f->vm);
	snap_free(&before);
	snap_free(&after);
}

static void expect_ok(struct vfix *f, struct kvm_userspace_memory_region r)
{
	assert_int_equal(kvm_memslot_set_user_region(f->vm, &r), 0);
	tvm_assert_no_warn(f->vm);
}

#define F(state) ((struct vfix *)*(state))

/* ---- kvm_vm_ioctl_set_memory_region: (u16)slot >= KVM_USER_MEM_SLOTS ---- */

static void slot_id_ge_nr_user_slots(void **state)
{
	expect_fail(F(state), region(SLOT(0, 32764), 0, GPA(0x1000), PG, HVA_FREE), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 32766), 0, GPA(0x1000), PG, HVA_FREE), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 32767), 0, GPA(0x1000), PG, HVA_FREE), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 0xffff), 0, GPA(0x1000), PG, HVA_FREE), -EINVAL);
	expect_fail(F(state), region(SLOT(1, 32764), 0, GPA(0x1000), PG, HVA_FREE), -EINVAL);
	/* the id check is on the low 16 bits only, whatever the as_id */
	expect_fail(F(state), region(SLOT(0x7fff, 40000), 0, GPA(0x1000), PG, HVA_FREE), -EINVAL);
}

static void slot_id_check_wins_over_bad_flags(void **state)
{
	expect_fail(F(state), region(SLOT(0, 32764), 0x80, GPA(0x1000), PG, HVA_FREE), -EINVAL);
}

/* Slot ids 32764..32766 are user slots where there are no internal ones. */
static void ppc_highest_user_slot_accepted(void **state)
{
	expect_ok(F(state), region(SLOT(0, 32766), 0, GPA(0x1000), PG, HVA_FREE));
	expect_fail(F(state), region(SLOT(0, 32767), 0, GPA(0x2000), PG, HVA_FREE), -EINVAL);
	expect_ok(F(state), region(SLOT(0, 32766), 0, 0, 0, 0));
}

static void last_user_slot_accepted(void **state)
{
	expect_ok(F(state), region(SLOT(0, 32763), 0, GPA(0x1000), PG, HVA_FREE));
	expect_ok(F(state), region(SLOT(1, 32763), 0, GPA(0x1000), PG, HVA_FREE));
}

/* ---- check_memory_region_flags ---- */

static void undefined_flags(void **state)
{
	static const u32 bad[] = { 1u << 2, 1u << 3, 1u << 15, 1u << 31,
				   KVM_MEMSLOT_INVALID, 1u << 17 };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_fail(F(state), region(SLOT(0, 9), bad[i], GPA(0x1000), PG, HVA_FREE), -EINVAL);
		expect_fail(F(state), region(SLOT(0, 0), bad[i], GPA(0x100), 16 * PG, HVA_A), -EINVAL);
	}
}

static void readonly_without_readonly_mem(void **state)
{
	expect_fail(F(state), region(SLOT(0, 9), KVM_MEM_READONLY, GPA(0x1000), PG, HVA_FREE), -EINVAL);
}

static void readonly_with_readonly_mem(void **state)
{
	expect_ok(F(state), region(SLOT(0, 9), KVM_MEM_READONLY, GPA(0x1000), PG, HVA_FREE));
	assert_int_equal(tvm_find_id(F(state)->vm, 0, 9)->flags, KVM_MEM_READONLY);
}

/* ---- general sanity checks ---- */

static void size_not_page_aligned(void **state)
{
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x1000), PG + 1, HVA_FREE), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x1000), PG / 2, HVA_FREE), -EINVAL);
	/* also when it would be a delete or a no-op otherwise */
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x100), 16 * PG + 8, HVA_A), -EINVAL);
}

static void gpa_not_aligned(void **state)
{
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x1000) + 0x800, PG, HVA_FREE), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 9), 0, 1, PG, HVA_FREE), -EINVAL);
}

static void hva_not_aligned(void **state)
{
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_FREE + 0x10), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_FREE + PG - 1), -EINVAL);
}

/* The last VM-page boundary below TASK_SIZE_MAX. */
#define TASK_END_T	(TASK_SIZE_MAX_T & ~(PG - 1))

static void hva_end_past_task_size_max(void **state)
{
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x1000), 16 * PG,
				     TASK_END_T - 15 * PG), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x1000), PG, TASK_SIZE_MAX_T), -EINVAL);
	/* a kernel address */
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x1000), PG, 0xffff888000000000UL), -EINVAL);
	/* memory_size alone beyond TASK_SIZE_MAX */
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x1000), TASK_SIZE_MAX_T + PG, 0), -EINVAL);
}

static void hva_end_at_task_size_max_accepted(void **state)
{
	expect_ok(F(state), region(SLOT(0, 9), 0, GPA(0x1000), 16 * PG,
				   TASK_END_T - 16 * PG));
	expect_ok(F(state), region(SLOT(0, 10), 0, GPA(0x2000), PG, 0));
}

static void hva_plus_size_wraps(void **state)
{
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x1000), 2 * PG, 0UL - PG), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x1000), 0UL - PG, 2 * PG), -EINVAL);
}

static void as_id_ge_nr_address_spaces(void **state)
{
	expect_fail(F(state), region(SLOT(2, 9), 0, GPA(0x1000), PG, HVA_FREE), -EINVAL);
	expect_fail(F(state), region(SLOT(0xffff, 9), 0, GPA(0x1000), PG, HVA_FREE), -EINVAL);
	/* a delete in a missing address space, of an id that exists in AS0 */
	expect_fail(F(state), region(SLOT(2, 0), 0, 0, 0, 0), -EINVAL);
}

static void ppc_as_id_1_rejected(void **state)
{
	expect_fail(F(state), region(SLOT(1, 9), 0, GPA(0x1000), PG, HVA_FREE), -EINVAL);
}

static void gpa_plus_size_wraps(void **state)
{
	expect_fail(F(state), region(SLOT(0, 9), 0, 0ULL - PG, 2 * PG, HVA_FREE), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 9), 0, 0ULL - 16 * PG, 32 * PG, HVA_FREE), -EINVAL);
}

static void gpa_end_at_top(void **state)
{
	/* ends exactly at 2^64: gpa + size == 0 < gpa, which 6.1 rejects too */
	expect_fail(F(state), region(SLOT(0, 9), 0, 0ULL - PG, PG, HVA_FREE), -EINVAL);
	/* one page below */
	expect_ok(F(state), region(SLOT(0, 9), 0, 0ULL - 2 * PG, PG, HVA_FREE));
}

static void npages_gt_max(void **state)
{
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(1UL << 32), (MAX_NR_PAGES + 1) * PG, 0), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(1UL << 32), (MAX_NR_PAGES + 2) * PG, 0), -EINVAL);
}

static void npages_max_accepted(void **state)
{
	expect_ok(F(state), region(SLOT(0, 9), 0, GPA(1UL << 32), MAX_NR_PAGES * PG, 0));
	assert_int_equal(tvm_find_id(F(state)->vm, 0, 9)->npages, MAX_NR_PAGES);
	expect_ok(F(state), region(SLOT(0, 9), 0, 0, 0, 0));
}

/* ---- delete ---- */

static void delete_nonexistent(void **state)
{
	expect_fail(F(state), region(SLOT(0, 7), 0, 0, 0, 0), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 5), 0, 0, 0, 0), -EINVAL);	/* exists in AS1 only */
	expect_fail(F(state), region(SLOT(1, 0), 0, 0, 0, 0), -EINVAL);	/* exists in AS0 only */
}

static void delete_twice(void **state)
{
	expect_ok(F(state), region(SLOT(0, 0), 0, 0, 0, 0));
	expect_fail(F(state), region(SLOT(0, 0), 0, 0, 0, 0), -EINVAL);
}

/* 6.1 checks alignment and flags before it knows the call is a delete. */
static void delete_with_misaligned_gpa(void **state)
{
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x100) + 8, 0, HVA_A), -EINVAL);
}

static void delete_with_misaligned_hva(void **state)
{
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x100), 0, HVA_A + 8), -EINVAL);
}

static void delete_with_bad_flags(void **state)
{
	expect_fail(F(state), region(SLOT(0, 0), 0x4, 0, 0, 0), -EINVAL);
}

static void delete_ignores_gpa_hva_and_flags(void **state)
{
	struct vfix *f = F(state);

	/* any aligned gpa/hva, any valid flags: it is still a delete */
	expect_ok(f, region(SLOT(0, 0), KVM_MEM_READONLY, GPA(0x9999), 0, HVA_FREE));
	assert_null(tvm_find_id(f->vm, 0, 0));
	expect_ok(f, region(SLOT(0, 1), 0, 0, 0, TASK_SIZE_MAX_T));
	assert_null(tvm_find_id(f->vm, 0, 1));
	assert_int_equal(f->vm->nr_memslot_pages, 16);
}

/* ---- changing an existing slot ---- */

static void change_hva(void **state)
{
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x100), 16 * PG, HVA_A + PG), -EINVAL);
	/* also together with a move */
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x900), 16 * PG, HVA_FREE), -EINVAL);
}

static void change_npages(void **state)
{
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x100), 17 * PG, HVA_A), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x100), 15 * PG, HVA_A), -EINVAL);
}

static void change_readonly(void **state)
{
	struct vfix *f = F(state);

	expect_fail(f, region(SLOT(0, 0), KVM_MEM_READONLY, GPA(0x100), 16 * PG, HVA_A), -EINVAL);
	expect_ok(f, region(SLOT(0, 9), KVM_MEM_READONLY, GPA(0x1000), PG, HVA_FREE));
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_FREE), -EINVAL);
	/* with a move, too */
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0x2000), PG, HVA_FREE), -EINVAL);
}

static void noop_change(void **state)
{
	struct vfix *f = F(state);
	struct snapshot before, after;

	snap_take(f->vm, &before);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 0), 0, GPA(0x100), 16 * PG, HVA_A), 0);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 1), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x200), 16 * PG, HVA_B), 0);
	assert_int_equal(tvm_set(f->vm, SLOT(1, 5), 0, GPA(0x100), 16 * PG, HVA_C), 0);
	snap_take(f->vm, &after);
	/* nothing published: same sets, same generation */
	snap_assert_same(&before, &after);
	snap_free(&before);
	snap_free(&after);
}

/* ---- overlaps ---- */

static void overlap_on_create(void **state)
{
	struct vfix *f = F(state);

	/* same range, head, tail, inside, around, last page, first page */
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0x100), 16 * PG, HVA_FREE), -EEXIST);
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0xf8), 16 * PG, HVA_FREE), -EEXIST);
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0x108), 16 * PG, HVA_FREE), -EEXIST);
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0x104), 2 * PG, HVA_FREE), -EEXIST);
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0x80), 0x200 * PG, HVA_FREE), -EEXIST);
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0x10f), PG, HVA_FREE), -EEXIST);
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0xff), 2 * PG, HVA_FREE), -EEXIST);
	/* spanning the gap between two slots */
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0x10f), 0xf2 * PG, HVA_FREE), -EEXIST);
}

static void adjacent_create_accepted(void **state)
{
	struct vfix *f = F(state);

	expect_ok(f, region(SLOT(0, 9), 0, GPA(0xf0), 16 * PG, HVA_FREE));
	expect_ok(f, region(SLOT(0, 10), 0, GPA(0x110), 0xf0 * PG, HVA_FREE));
	/* a different address space does not overlap */
	expect_ok(f, region(SLOT(1, 9), 0, GPA(0x200), 16 * PG, HVA_FREE));
	/* hvas may alias */
	expect_ok(f, region(SLOT(0, 11), 0, GPA(0x1000), 16 * PG, HVA_A));
}

static void overlap_on_move(void **state)
{
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x1f8), 16 * PG, HVA_A), -EEXIST);
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x20f), 16 * PG, HVA_A), -EEXIST);
}

static void move_overlapping_own_range(void **state)
{
	struct vfix *f = F(state);
	const struct kvm_memory_slot *s;

	expect_ok(f, region(SLOT(0, 0), 0, GPA(0x108), 16 * PG, HVA_A));
	s = tvm_find_id(f->vm, 0, 0);
	assert_int_equal(s->base_gfn, 0x108);
	assert_ptr_equal(tvm_find_gfn(f->vm, 0, 0x117), s);
	assert_null(tvm_find_gfn(f->vm, 0, 0x107));
	expect_ok(f, region(SLOT(0, 0), 0, GPA(0xf9), 16 * PG, HVA_A));
	assert_int_equal(tvm_find_id(f->vm, 0, 0)->base_gfn, 0xf9);
}

/* ---- nr_memslot_pages overflow (preset counter) ---- */

static void nr_memslot_pages_overflow_on_create(void **state)
{
	struct vfix *f = F(state);
	unsigned long saved = f->vm->nr_memslot_pages;

	f->vm->nr_memslot_pages = ULONG_MAX - 4;
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0x1000), 8 * PG, HVA_FREE), -EINVAL);
	/* exactly reaching ULONG_MAX does not overflow */
	expect_ok(f, region(SLOT(0, 9), 0, GPA(0x1000), 4 * PG, HVA_FREE));
	assert_int_equal(f->vm->nr_memslot_pages, ULONG_MAX);
	/* a move or a flags change adds nothing */
	expect_ok(f, region(SLOT(0, 9), 0, GPA(0x2000), 4 * PG, HVA_FREE));
	expect_ok(f, region(SLOT(0, 9), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x2000), 4 * PG, HVA_FREE));
	expect_ok(f, region(SLOT(0, 9), 0, 0, 0, 0));
	assert_int_equal(f->vm->nr_memslot_pages, ULONG_MAX - 4);
	f->vm->nr_memslot_pages = saved;
}

/* ---- backend and allocation failures ---- */

static void prepare_failure_errno(struct vfix *f, int err)
{
	f->fb.fail_errno = err;
	f->fb.fail_prepare_nth = 1;
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_FREE), err);
	assert_int_equal(f->fb.fail_prepare_nth, 0);	/* it was called */
	f->fb.fail_prepare_nth = 1;
	expect_fail(f, region(SLOT(0, 1), 0, GPA(0x200), 16 * PG, HVA_B), err);	/* flags off */
	f->fb.fail_prepare_nth = 1;
	expect_fail(f, region(SLOT(0, 0), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x100), 16 * PG, HVA_A), err);
}

static void prepare_failure_enomem(void **state) { prepare_failure_errno(F(state), -ENOMEM); }
static void prepare_failure_einval(void **state) { prepare_failure_errno(F(state), -EINVAL); }
static void prepare_failure_efault(void **state) { prepare_failure_errno(F(state), -EFAULT); }

/*
 * Empty the VM's node pool, so that the next update allocates every node
 * it copies and each of those allocations can be failed.
 */
static void empty_node_pool(struct vfix *f)
{
	harness_quiesce();
	kvm_memslot_node_pool_drain(&f->vm->node_pool);
}

/*
 * Fail each allocation of an update in turn.  Before anything is published
 * a failure must change nothing at all; an update that had already
 * published its in-transition set (delete, move) must have re-published
 * the very same slots.
 */
static void alloc_failure_each_site(struct vfix *f, struct kvm_userspace_memory_region r,
				    bool may_republish)
{
	long nth;

	for (nth = 1; nth < 1000; nth++) {
		struct snapshot before, after;
		unsigned int as;
		int ret;

		empty_node_pool(f);
		snap_take(f->vm, &before);
		harness_fail_alloc(nth);
		ret = kvm_memslot_set_user_region(f->vm, &r);
		if (ret == 0) {
			/* fewer allocations than nth: the knob is still armed */
			assert_true(__atomic_load_n(&harness_alloc_fail_nth, __ATOMIC_SEQ_CST) > 0);
			harness_fail_alloc(0);
			snap_free(&before);
			tvm_assert_no_warn(f->vm);
			return;
		}
		harness_fail_alloc(0);
		assert_int_equal(ret, -ENOMEM);
		snap_take(f->vm, &after);
		if (!may_republish || after.vm_generation == before.vm_generation) {
			snap_assert_same(&before, &after);
		} else {
			assert_true(after.vm_generation > before.vm_generation);
			for (as = 0; as < KVM_MEMSLOT_MAX_ADDRESS_SPACES; as++) {
				unsigned int i;

				assert_int_equal(before.nr[as], after.nr[as]);
				for (i = 0; i < before.nr[as]; i++)
					assert_memory_equal(&before.slots[as][i], &after.slots[as][i],
							    sizeof(struct snap_slot));
			}
			assert_int_equal(before.nr_memslot_pages, after.nr_memslot_pages);
		}
		tvm_assert_no_warn(f->vm);
		snap_free(&before);
		snap_free(&after);
	}
	fail_msg("update still failing after 1000 injected allocation failures");
}

static void alloc_failure_create(void **state)
{
	alloc_failure_each_site(F(state), region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_FREE), false);
}

static void alloc_failure_create_dirty_logged(void **state)
{
	alloc_failure_each_site(F(state), region(SLOT(0, 9), KVM_MEM_LOG_DIRTY_PAGES,
						 GPA(0x1000), 64 * PG, HVA_FREE), false);
}

static void alloc_failure_delete(void **state)
{
	alloc_failure_each_site(F(state), region(SLOT(0, 0), 0, 0, 0, 0), true);
}

static void alloc_failure_move(void **state)
{
	alloc_failure_each_site(F(state), region(SLOT(0, 0), 0, GPA(0x800), 16 * PG, HVA_A), true);
}

static void alloc_failure_move_enabling_dirty_log(void **state)
{
	alloc_failure_each_site(F(state), region(SLOT(0, 0), KVM_MEM_LOG_DIRTY_PAGES,
						 GPA(0x800), 16 * PG, HVA_A), true);
}

static void alloc_failure_flags(void **state)
{
	alloc_failure_each_site(F(state), region(SLOT(0, 0), KVM_MEM_LOG_DIRTY_PAGES,
						 GPA(0x100), 16 * PG, HVA_A), false);
	alloc_failure_each_site(F(state), region(SLOT(0, 1), 0, GPA(0x200), 16 * PG, HVA_B), false);
}

/* ---- two failing checks: the one 6.1 makes first wins ---- */

static void bad_flags_wins_over_overlap(void **state)
{
	expect_fail(F(state), region(SLOT(0, 9), 0x4, GPA(0x100), 16 * PG, HVA_FREE), -EINVAL);
}

static void bad_slot_id_wins_over_overlap(void **state)
{
	expect_fail(F(state), region(SLOT(0, 32764), 0, GPA(0x100), 16 * PG, HVA_FREE), -EINVAL);
}

static void bad_hva_wins_over_overlap(void **state)
{
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x100), 16 * PG, HVA_FREE + 1), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 9), 0, GPA(0x100), 16 * PG, 0UL - PG), -EINVAL);
}

static void npages_gt_max_wins_over_overlap(void **state)
{
	expect_fail(F(state), region(SLOT(0, 9), 0, 0, (MAX_NR_PAGES + 1) * PG, 0), -EINVAL);
}

static void gpa_wrap_wins_over_overlap(void **state)
{
	/* wraps around and would cover slot 0's range */
	expect_fail(F(state), region(SLOT(0, 9), 0, 0ULL - PG, 0x200 * PG, HVA_FREE), -EINVAL);
}

static void modify_check_wins_over_overlap(void **state)
{
	/* a move onto slot 1 that also changes npages / hva / readonly */
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x200), 8 * PG, HVA_A), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x200), 16 * PG, HVA_B), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 0), KVM_MEM_READONLY, GPA(0x200), 16 * PG, HVA_A), -EINVAL);
}

static void general_checks_win_over_noop(void **state)
{
	/* would be a no-op of slot 0 but for one bad field */
	expect_fail(F(state), region(SLOT(0, 0), 0x4, GPA(0x100), 16 * PG, HVA_A), -EINVAL);
	expect_fail(F(state), region(SLOT(0, 0), 0, GPA(0x100) + 1, 16 * PG, HVA_A), -EINVAL);
	expect_fail(F(state), region(SLOT(2, 0), 0, GPA(0x100), 16 * PG, HVA_A), -EINVAL);
}

static void overflow_check_wins_over_overlap(void **state)
{
	struct vfix *f = F(state);
	unsigned long saved = f->vm->nr_memslot_pages;

	f->vm->nr_memslot_pages = ULONG_MAX - 4;
	expect_fail(f, region(SLOT(0, 9), 0, GPA(0x100), 16 * PG, HVA_FREE), -EINVAL);
	f->vm->nr_memslot_pages = saved;
}

static void readonly_flag_check_wins_over_modify_check(void **state)
{
	/* ppc: READONLY is an undefined flag, even combined with a bad change */
	expect_fail(F(state), region(SLOT(0, 0), KVM_MEM_READONLY, GPA(0x100), 8 * PG, HVA_A), -EINVAL);
}

/*
 * In 6.1 an invalid call fails its check before the ioctl allocates
 * anything, so memory pressure cannot turn EEXIST into ENOMEM.
 */
static void overlap_wins_over_alloc_failure(void **state)
{
	struct vfix *f = F(state);
	long nth;

	for (nth = 1; nth <= 4; nth++) {
		struct snapshot before, after;
		int ret;

		snap_take(f->vm, &before);
		harness_fail_alloc(nth);
		ret = tvm_set(f->vm, SLOT(0, 9), 0, GPA(0x100), 16 * PG, HVA_FREE);
		harness_fail_alloc(0);
		snap_take(f->vm, &after);
		snap_assert_same(&before, &after);
		snap_free(&before);
		snap_free(&after);
		if (ret != -EEXIST)
			fail_msg("overlapping create with allocation #%ld failing: expected %d (EEXIST), got %d",
				 nth, -EEXIST, ret);
	}
}

static void delete_nonexistent_wins_over_alloc_failure(void **state)
{
	struct vfix *f = F(state);
	int ret;

	harness_fail_alloc(1);
	ret = tvm_set(f->vm, SLOT(0, 7), 0, 0, 0, 0);
	harness_fail_alloc(0);
	if (ret != -EINVAL)
		fail_msg("delete of a missing slot with the 1st allocation failing: expected %d (EINVAL), got %d",
			 -EINVAL, ret);
}

/* ---- successful changes ---- */

static void create_delete_recreate(void **state)
{
	struct vfix *f = F(state);
	const struct kvm_memory_slot *s;
	struct snapshot snap;
	u64 gen = f->vm->generation;

	expect_ok(f, region(SLOT(0, 9), 0, GPA(0x1000), 4 * PG, HVA_FREE));
	s = tvm_find_id(f->vm, 0, 9);
	assert_non_null(s);
	assert_int_equal(s->base_gfn, 0x1000);
	assert_int_equal(s->npages, 4);
	assert_int_equal(s->userspace_addr, HVA_FREE);
	assert_int_equal(s->id, 9);
	assert_int_equal(s->as_id, 0);
	assert_ptr_equal(tvm_find_gfn(f->vm, 0, 0x1003), s);
	assert_null(tvm_find_gfn(f->vm, 0, 0x1004));
	assert_int_equal(f->vm->nr_memslot_pages, 16 + 16 + 16 + 4);
	assert_true(f->vm->generation > gen && !(f->vm->generation & 1));

	expect_ok(f, region(SLOT(0, 9), 0, 0, 0, 0));
	assert_null(tvm_find_id(f->vm, 0, 9));
	assert_null(tvm_find_gfn(f->vm, 0, 0x1000));
	assert_int_equal(f->vm->nr_memslot_pages, 48);

	/* re-create with another size, place and hva */
	expect_ok(f, region(SLOT(0, 9), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x3000), 8 * PG, HVA_FREE + 64 * PG));
	s = tvm_find_id(f->vm, 0, 9);
	assert_int_equal(s->base_gfn, 0x3000);
	assert_int_equal(s->npages, 8);
	assert_non_null(s->dirty_bitmap);

	snap_take(f->vm, &snap);
	{
		const struct kvm_userspace_memory_region exp[] = {
			region(SLOT(0, 0), 0, GPA(0x100), 16 * PG, HVA_A),
			region(SLOT(0, 1), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x200), 16 * PG, HVA_B),
			region(SLOT(0, 9), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x3000), 8 * PG, HVA_FREE + 64 * PG),
		};
		snap_assert_layout(&snap, 0, exp, 3);
	}
	snap_free(&snap);
}

static void move_slot(void **state)
{
	struct vfix *f = F(state);
	const struct kvm_memory_slot *s;

	unsigned long *bitmap = tvm_find_id(f->vm, 0, 1)->dirty_bitmap;

	assert_non_null(bitmap);
	expect_ok(f, region(SLOT(0, 1), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x5000), 16 * PG, HVA_B));
	s = tvm_find_id(f->vm, 0, 1);
	/* as in 6.1, logging on before and after: the bitmap is kept */
	assert_ptr_equal(s->dirty_bitmap, bitmap);
	assert_int_equal(s->base_gfn, 0x5000);
	assert_int_equal(s->userspace_addr, HVA_B);
	assert_int_equal(s->flags, KVM_MEM_LOG_DIRTY_PAGES);
	assert_null(tvm_find_gfn(f->vm, 0, 0x200));
	assert_ptr_equal(tvm_find_gfn(f->vm, 0, 0x500f), s);
	assert_int_equal(f->vm->nr_memslot_pages, 48);
	/* a move may change the dirty-logging flag at the same time */
	expect_ok(f, region(SLOT(0, 1), 0, GPA(0x6000), 16 * PG, HVA_B));
	s = tvm_find_id(f->vm, 0, 1);
	assert_int_equal(s->base_gfn, 0x6000);
	assert_int_equal(s->flags, 0);
	assert_null(s->dirty_bitmap);
}

static void flags_on_off(void **state)
{
	struct vfix *f = F(state);
	const struct kvm_memory_slot *s;

	expect_ok(f, region(SLOT(0, 0), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x100), 16 * PG, HVA_A));
	s = tvm_find_id(f->vm, 0, 0);
	assert_int_equal(s->flags, KVM_MEM_LOG_DIRTY_PAGES);
	assert_non_null(s->dirty_bitmap);
	expect_ok(f, region(SLOT(0, 0), 0, GPA(0x100), 16 * PG, HVA_A));
	s = tvm_find_id(f->vm, 0, 0);
	assert_int_equal(s->flags, 0);
	assert_null(s->dirty_bitmap);
	/* READONLY slots may toggle logging too */
	expect_ok(f, region(SLOT(0, 9), KVM_MEM_READONLY, GPA(0x1000), PG, HVA_FREE));
	expect_ok(f, region(SLOT(0, 9), KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES, GPA(0x1000), PG, HVA_FREE));
	assert_int_equal(tvm_find_id(f->vm, 0, 9)->flags, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES);
	assert_int_equal(f->vm->nr_memslot_pages, 49);
}

static void dirty_bitmap_initially_set(void **state)
{
	struct vfix *f = F(state);
	const struct kvm_memory_slot *s;
	unsigned int i;

	f->vm->manual_dirty_log_protect = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
					  KVM_DIRTY_LOG_INITIALLY_SET;
	expect_ok(f, region(SLOT(0, 9), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x1000), 100 * PG, HVA_FREE));
	s = tvm_find_id(f->vm, 0, 9);
	for (i = 0; i < 100; i++)
		assert_true(test_bit(i, s->dirty_bitmap));
	f->vm->manual_dirty_log_protect = 0;
	expect_ok(f, region(SLOT(0, 0), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x100), 16 * PG, HVA_A));
	s = tvm_find_id(f->vm, 0, 0);
	for (i = 0; i < 16; i++)
		assert_false(test_bit(i, s->dirty_bitmap));
}

static void both_address_spaces(void **state)
{
	struct vfix *f = F(state);
	struct snapshot s;

	/* the same id and range in both spaces are distinct slots */
	expect_ok(f, region(SLOT(0, 5), 0, GPA(0x100000), 4 * PG, HVA_FREE));
	expect_ok(f, region(SLOT(1, 0), 0, GPA(0x200), 16 * PG, HVA_FREE));
	snap_take(f->vm, &s);
	{
		const struct kvm_userspace_memory_region as0[] = {
			region(SLOT(0, 0), 0, GPA(0x100), 16 * PG, HVA_A),
			region(SLOT(0, 1), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x200), 16 * PG, HVA_B),
			region(SLOT(0, 5), 0, GPA(0x100000), 4 * PG, HVA_FREE),
		};
		const struct kvm_userspace_memory_region as1[] = {
			region(SLOT(1, 5), 0, GPA(0x100), 16 * PG, HVA_C),
			region(SLOT(1, 0), 0, GPA(0x200), 16 * PG, HVA_FREE),
		};
		snap_assert_layout(&s, 0, as0, 3);
		snap_assert_layout(&s, 1, as1, 2);
	}
	snap_free(&s);
	expect_ok(f, region(SLOT(1, 5), 0, 0, 0, 0));
	assert_non_null(tvm_find_id(f->vm, 0, 5));
	assert_null(tvm_find_id(f->vm, 1, 5));
	assert_int_equal(f->vm->nr_memslot_pages, 16 + 16 + 4 + 16);
}

static void max_slots_both_address_spaces(void **state)
{
	struct vfix *f = F(state);
	struct snapshot s;
	unsigned int as, id;

	/* clear the baseline, then fill both spaces to the limit */
	expect_ok(f, region(SLOT(0, 0), 0, 0, 0, 0));
	expect_ok(f, region(SLOT(0, 1), 0, 0, 0, 0));
	expect_ok(f, region(SLOT(1, 5), 0, 0, 0, 0));
	for (as = 0; as < 2; as++)
		for (id = 0; id < 32764; id++)
			assert_int_equal(tvm_set(f->vm, SLOT(as, id), 0, GPA(2 * id), PG,
						 TEST_HVA((u64)id * PG)), 0);
	assert_int_equal(tvm_nr_slots(f->vm, 0), 32764);
	assert_int_equal(tvm_nr_slots(f->vm, 1), 32764);
	assert_int_equal(f->vm->nr_memslot_pages, 2 * 32764);
	expect_fail(f, region(SLOT(0, 32764), 0, GPA(0x100000), PG, HVA_FREE), -EINVAL);
	snap_take(f->vm, &s);	/* checks order, find_id and find_gfn of every slot */
	assert_int_equal(s.nr[0], 32764);
	assert_int_equal(s.nr[1], 32764);
	snap_free(&s);
	/* a few updates in the middle of a full set */
	expect_ok(f, region(SLOT(0, 16000), 0, GPA(0x10000000), PG, TEST_HVA(16000 * PG)));
	expect_ok(f, region(SLOT(1, 20000), KVM_MEM_LOG_DIRTY_PAGES, GPA(40000), PG, TEST_HVA(20000 * PG)));
	expect_ok(f, region(SLOT(0, 3), 0, 0, 0, 0));
	expect_ok(f, region(SLOT(0, 3), 0, GPA(1), PG, TEST_HVA(3 * PG)));
	assert_int_equal(tvm_find_gfn(f->vm, 0, 1)->id, 3);
	assert_int_equal(tvm_find_gfn(f->vm, 0, 0x10000000)->id, 16000);
	assert_null(tvm_find_gfn(f->vm, 0, 32000));
	snap_take(f->vm, &s);
	assert_int_equal(s.nr[0], 32764);
	snap_free(&s);
}

/* ---- batches (kvm_memslot_set_regions) ---- */

static void batch_failure_reports_index_and_changes_nothing(void **state)
{
	struct vfix *f = F(state);
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_FREE),
		region(SLOT(0, 0), 0, 0, 0, 0),
		region(SLOT(0, 10), 0, GPA(0x1000), PG, HVA_FREE),	/* overlaps [0] */
		region(SLOT(0, 11), 0, GPA(0x2000), PG, HVA_FREE),
	};
	struct snapshot before, after;
	unsigned int failed = 99;

	snap_take(f->vm, &before);
	assert_int_equal(kvm_memslot_set_regions(f->vm, b, 4, &failed), -EEXIST);
	assert_int_equal(failed, 2);
	snap_take(f->vm, &after);
	snap_assert_same(&before, &after);
	snap_free(&before);
	snap_free(&after);
	assert_int_equal(fake_arch_live(&f->fb), 3);
}

static void batch_each_entry_validated_like_the_ioctl(void **state)
{
	struct vfix *f = F(state);
	struct snapshot before, after;
	unsigned int failed;
	const struct kvm_userspace_memory_region bad[] = {
		region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_FREE),
		region(SLOT(0, 32764), 0, GPA(0x2000), PG, HVA_FREE),
	};
	const struct kvm_userspace_memory_region bad2[] = {
		region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_FREE),
		region(SLOT(0, 7), 0, 0, 0, 0),
	};

	snap_take(f->vm, &before);
	failed = 99;
	assert_int_equal(kvm_memslot_set_regions(f->vm, bad, 2, &failed), -EINVAL);
	assert_int_equal(failed, 1);
	failed = 99;
	assert_int_equal(kvm_memslot_set_regions(f->vm, bad2, 2, &failed), -EINVAL);
	assert_int_equal(failed, 1);
	snap_take(f->vm, &after);
	snap_assert_same(&before, &after);
	snap_free(&before);
	snap_free(&after);
}

static void batch_validated_against_earlier_entries(void **state)
{
	struct vfix *f = F(state);
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 0), 0, 0, 0, 0),				/* free 0x100.. */
		region(SLOT(0, 9), 0, GPA(0x100), 16 * PG, HVA_FREE),	/* reuse it */
		region(SLOT(0, 1), 0, GPA(0x300), 16 * PG, HVA_B),	/* move + log off */
		region(SLOT(0, 10), 0, GPA(0x200), 16 * PG, HVA_FREE),	/* where 1 was */
		region(SLOT(1, 5), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x100), 16 * PG, HVA_C),
	};
	struct snapshot s;
	unsigned int failed = 99;

	assert_int_equal(kvm_memslot_set_regions(f->vm, b, 5, &failed), 0);
	assert_int_equal(failed, 99);
	snap_take(f->vm, &s);
	{
		const struct kvm_userspace_memory_region as0[] = { b[1], b[2], b[3] };
		const struct kvm_userspace_memory_region as1[] = { b[4] };

		snap_assert_layout(&s, 0, as0, 3);
		snap_assert_layout(&s, 1, as1, 1);
	}
	assert_int_equal(s.nr_memslot_pages, 64);
	snap_free(&s);
	tvm_assert_no_warn(f->vm);
}

static void batch_delete_then_recreate_same_id(void **state)
{
	struct vfix *f = F(state);
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 0), 0, 0, 0, 0),
		region(SLOT(0, 0), 0, GPA(0x400), 32 * PG, HVA_FREE),
	};

	assert_int_equal(kvm_memslot_set_regions(f->vm, b, 2, NULL), 0);
	assert_int_equal(tvm_find_id(f->vm, 0, 0)->base_gfn, 0x400);
	assert_int_equal(tvm_find_id(f->vm, 0, 0)->npages, 32);
	assert_null(tvm_find_gfn(f->vm, 0, 0x100));
}

/*
 * The index by id is changed in place while a batch is validated: a batch
 * that fails, in validation or in a prepare hook after its in-transition
 * set was published, leaves every id as it was, including one it deleted
 * and created again and one whose chunk of the index it allocated.
 */
static void batch_failure_restores_ids(void **state)
{
	struct vfix *f = F(state);
	struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 0), 0, 0, 0, 0),
		region(SLOT(0, 0), 0, GPA(0x400), 32 * PG, HVA_FREE),
		region(SLOT(0, 700), 0, GPA(0x800), PG, HVA_FREE + 32 * PG),
		region(SLOT(0, 11), 0, GPA(0x800), PG, HVA_FREE),	/* overlaps [2] */
	};
	const struct kvm_memory_slot *slot0 = tvm_find_id(f->vm, 0, 0);
	struct snapshot before, after;
	unsigned int failed = 99;

	harness_quiesce();
	snap_take(f->vm, &before);
	assert_int_equal(kvm_memslot_set_regions(f->vm, b, 4, &failed), -EEXIST);
	assert_int_equal(failed, 3);
	assert_ptr_equal(tvm_find_id(f->vm, 0, 0), slot0);
	assert_null(tvm_find_id(f->vm, 0, 700));
	assert_null(tvm_find_id(f->vm, 0, 11));
	snap_take(f->vm, &after);
	snap_assert_same(&before, &after);
	snap_free(&after);

	/* The third prepare fails, after the delete's INVALID publish. */
	f->fb.fail_errno = -ENOMEM;
	f->fb.fail_prepare_nth = 3;
	assert_int_equal(kvm_memslot_set_regions(f->vm, b, 3, &failed), -ENOMEM);
	assert_int_equal(failed, 2);
	assert_ptr_equal(tvm_find_id(f->vm, 0, 0), slot0);
	assert_null(tvm_find_id(f->vm, 0, 700));
	snap_take(f->vm, &after);
	assert_int_equal(before.nr[0], after.nr[0]);
	snap_free(&before);
	snap_free(&after);

	/* And the same batch, unhindered, takes effect. */
	assert_int_equal(kvm_memslot_set_regions(f->vm, b, 3, NULL), 0);
	assert_int_equal(tvm_find_id(f->vm, 0, 0)->base_gfn, 0x400);
	assert_int_equal(tvm_find_id(f->vm, 0, 700)->base_gfn, 0x800);
	tvm_assert_no_warn(f->vm);
}

static void batch_second_change_of_a_slot_rejected(void **state)
{
	struct vfix *f = F(state);
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 0), 0, GPA(0x400), 16 * PG, HVA_A),
		region(SLOT(0, 0), 0, GPA(0x500), 16 * PG, HVA_A),
	};
	struct snapshot before, after;
	unsigned int failed = 99;

	snap_take(f->vm, &before);
	assert_int_equal(kvm_memslot_set_regions(f->vm, b, 2, &failed), -EINVAL);
	assert_int_equal(failed, 1);
	snap_take(f->vm, &after);
	snap_assert_same(&before, &after);
	snap_free(&before);
	snap_free(&after);
}

static void batch_empty_and_noop(void **state)
{
	struct vfix *f = F(state);
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 0), 0, GPA(0x100), 16 * PG, HVA_A),
		region(SLOT(1, 5), 0, GPA(0x100), 16 * PG, HVA_C),
	};
	struct snapshot before, after;

	snap_take(f->vm, &before);
	assert_int_equal(kvm_memslot_set_regions(f->vm, b, 0, NULL), 0);
	assert_int_equal(kvm_memslot_set_regions(f->vm, b, 2, NULL), 0);
	snap_take(f->vm, &after);
	snap_assert_same(&before, &after);
	snap_free(&before);
	snap_free(&after);
}

static void batch_alloc_failure_changes_nothing(void **state)
{
	struct vfix *f = F(state);
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_FREE),
		region(SLOT(0, 0), 0, 0, 0, 0),
		region(SLOT(0, 1), 0, GPA(0x300), 16 * PG, HVA_B),
		region(SLOT(1, 5), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x100), 16 * PG, HVA_C),
	};
	long nth;

	for (nth = 1; nth < 1000; nth++) {
		struct snapshot before, after;
		unsigned int as, i;
		int ret;

		empty_node_pool(f);
		snap_take(f->vm, &before);
		harness_fail_alloc(nth);
		ret = kvm_memslot_set_regions(f->vm, b, 4, NULL);
		harness_fail_alloc(0);
		if (ret == 0) {
			snap_free(&before);
			return;
		}
		assert_int_equal(ret, -ENOMEM);
		snap_take(f->vm, &after);
		for (as = 0; as < 2; as++) {
			assert_int_equal(before.nr[as], after.nr[as]);
			for (i = 0; i < before.nr[as]; i++)
				assert_memory_equal(&before.slots[as][i], &after.slots[as][i],
						    sizeof(struct snap_slot));
		}
		assert_int_equal(fake_arch_live(&f->fb), 3);
		snap_free(&before);
		snap_free(&after);
		tvm_assert_no_warn(f->vm);
	}
	fail_msg("batch still failing after 1000 injected allocation failures");
}

#define X86(t)	cmocka_unit_test_setup_teardown(t, setup_x86, teardown)
#define PPC(t)	cmocka_unit_test_setup_teardown(t, setup_ppc, teardown)
#define K64(t)	cmocka_unit_test_setup_teardown(t, setup_64k, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		X86(slot_id_ge_nr_user_slots),
		X86(slot_id_check_wins_over_bad_flags),
		X86(last_user_slot_accepted),
		PPC(ppc_highest_user_slot_accepted),
		X86(undefined_flags),
		PPC(readonly_without_readonly_mem),
		X86(readonly_with_readonly_mem),
		X86(size_not_page_aligned),
		X86(gpa_not_aligned),
		X86(hva_not_aligned),
		X86(hva_end_past_task_size_max),
		X86(hva_end_at_task_size_max_accepted),
		X86(hva_plus_size_wraps),
		X86(as_id_ge_nr_address_spaces),
		PPC(ppc_as_id_1_rejected),
		X86(gpa_plus_size_wraps),
		X86(gpa_end_at_top),
		X86(npages_gt_max),
		X86(npages_max_accepted),
		X86(delete_nonexistent),
		X86(delete_twice),
		X86(delete_with_misaligned_gpa),
		X86(delete_with_misaligned_hva),
		X86(delete_with_bad_flags),
		X86(delete_ignores_gpa_hva_and_flags),
		X86(change_hva),
		X86(change_npages),
		X86(change_readonly),
		X86(noop_change),
		X86(overlap_on_create),
		X86(adjacent_create_accepted),
		X86(overlap_on_move),
		X86(move_overlapping_own_range),
		X86(nr_memslot_pages_overflow_on_create),
		X86(prepare_failure_enomem),
		X86(prepare_failure_einval),
		X86(prepare_failure_efault),
		X86(alloc_failure_create),
		X86(alloc_failure_create_dirty_logged),
		X86(alloc_failure_delete),
		X86(alloc_failure_move),
		X86(alloc_failure_move_enabling_dirty_log),
		X86(alloc_failure_flags),
		X86(bad_flags_wins_over_overlap),
		X86(bad_slot_id_wins_over_overlap),
		X86(bad_hva_wins_over_overlap),
		X86(npages_gt_max_wins_over_overlap),
		X86(gpa_wrap_wins_over_overlap),
		X86(modify_check_wins_over_overlap),
		X86(general_checks_win_over_noop),
		X86(overflow_check_wins_over_overlap),
		PPC(readonly_flag_check_wins_over_modify_check),
		X86(overlap_wins_over_alloc_failure),
		X86(delete_nonexistent_wins_over_alloc_failure),
		X86(create_delete_recreate),
		X86(move_slot),
		X86(flags_on_off),
		X86(dirty_bitmap_initially_set),
		X86(both_address_spaces),
		X86(max_slots_both_address_spaces),
		X86(batch_failure_reports_index_and_changes_nothing),
		X86(batch_each_entry_validated_like_the_ioctl),
		X86(batch_validated_against_earlier_entries),
		X86(batch_delete_then_recreate_same_id),
		X86(batch_failure_restores_ids),
		X86(batch_second_change_of_a_slot_rejected),
		X86(batch_empty_and_noop),
		X86(batch_alloc_failure_changes_nothing),
	};

	/*
	 * The second fake backend: 64 KiB pages, 1 address space.  Sizes,
	 * alignment and dirty bits count in its pages.  The tests that use a
	 * second address space, or count the baseline's slot in it (pages,
	 * arch data), are the 4 KiB backend's only.
	 */
	const struct CMUnitTest tests_64k[] = {
		K64(slot_id_ge_nr_user_slots),
		K64(slot_id_check_wins_over_bad_flags),
		K64(undefined_flags),
		K64(readonly_with_readonly_mem),
		K64(size_not_page_aligned),
		K64(gpa_not_aligned),
		K64(hva_not_aligned),
		K64(hva_end_past_task_size_max),
		K64(hva_end_at_task_size_max_accepted),
		K64(hva_plus_size_wraps),
		K64(gpa_plus_size_wraps),
		K64(gpa_end_at_top),
		K64(npages_gt_max),
		K64(npages_max_accepted),
		K64(delete_nonexistent),
		K64(delete_twice),
		K64(delete_with_misaligned_gpa),
		K64(delete_with_misaligned_hva),
		K64(delete_with_bad_flags),
		K64(change_hva),
		K64(change_npages),
		K64(change_readonly),
		K64(overlap_on_create),
		K64(overlap_on_move),
		K64(move_overlapping_own_range),
		K64(nr_memslot_pages_overflow_on_create),
		K64(prepare_failure_enomem),
		K64(prepare_failure_einval),
		K64(prepare_failure_efault),
		K64(alloc_failure_create),
		K64(alloc_failure_create_dirty_logged),
		K64(alloc_failure_delete),
		K64(alloc_failure_move),
		K64(alloc_failure_move_enabling_dirty_log),
		K64(alloc_failure_flags),
		K64(bad_flags_wins_over_overlap),
		K64(bad_slot_id_wins_over_overlap),
		K64(bad_hva_wins_over_overlap),
		K64(npages_gt_max_wins_over_overlap),
		K64(gpa_wrap_wins_over_overlap),
		K64(modify_check_wins_over_overlap),
		K64(general_checks_win_over_noop),
		K64(overflow_check_wins_over_overlap),
		K64(overlap_wins_over_alloc_failure),
		K64(delete_nonexistent_wins_over_alloc_failure),
		K64(dirty_bitmap_initially_set),
		K64(batch_each_entry_validated_like_the_ioctl),
		K64(batch_delete_then_recreate_same_id),
		K64(batch_second_change_of_a_slot_rejected),
		PPC(ppc_as_id_1_rejected),
	};
	int failed;

	failed = cmocka_run_group_tests_name("validation", tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("validation (64 KiB pages, 1 address space)",
					      tests_64k, NULL, NULL);
	return failed;
}
