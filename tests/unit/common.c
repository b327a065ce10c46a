// SPDX-License-Identifier: GPL-2.0-only
/* Shared helpers of the unit tests (see common.h). */
#include <stdlib.h>
#include <string.h>

#include "common.h"

/*
 * HARNESS_TEST_FILTER=pattern runs only the matching tests of a unit test
 * binary (cmocka's glob), e.g. for the negative controls in the Makefile.
 */
__attribute__((constructor)) static void test_filter_from_env(void)
{
	const char *f = getenv("HARNESS_TEST_FILTER");

	if (f && *f)
		cmocka_set_test_filter(f);
}

static int nop_prepare(struct kvm_memslot_vm *vm, const struct kvm_memory_slot *old,
		       struct kvm_memory_slot *new, enum kvm_memslot_change change)
{
	return 0;
}

/* What every test backend has alike: KVM's vCPU limits, ... */
#define TEST_OPS_COMMON					\
	.manual_dirty_log_protect = true,		\
	.clear_dirty_log = true,			\
	.max_vcpus = 1024,				\
	.max_vcpu_ids = 4096,				\
	.vcpu_mmap_pages = 1

const struct kvm_memslot_ops test_ops_x86 = {
	.name = "test-x86",
	.nr_address_spaces = 2,
	.nr_user_slots = 32764,
	.readonly_mem = true,
	.prepare_memory_region = nop_prepare,
	.page_shift = PAGE_SHIFT,
	TEST_OPS_COMMON,
};

const struct kvm_memslot_ops test_ops_ppc = {
	.name = "test-ppc",
	.nr_address_spaces = 1,
	.nr_user_slots = 32767,
	.readonly_mem = false,
	.prepare_memory_region = nop_prepare,
	.page_shift = PAGE_SHIFT,
	TEST_OPS_COMMON,
};

const struct kvm_memslot_ops test_ops_arm64 = {
	.name = "test-arm64",
	.nr_address_spaces = 1,
	.nr_user_slots = 32767,
	.readonly_mem = true,
	.prepare_memory_region = nop_prepare,
	.page_shift = PAGE_SHIFT,
	TEST_OPS_COMMON,
};

const struct kvm_memslot_ops test_ops_64k = {
	.name = "test-64k",
	.nr_address_spaces = 1,
	.nr_user_slots = 32764,
	.readonly_mem = true,
	.prepare_memory_region = nop_prepare,
	.page_shift = 16,
	TEST_OPS_COMMON,
};

unsigned int test_page_shift = PAGE_SHIFT;

void tvm_baseline_take(struct tvm_baseline *b)
{
	harness_rcu_register_thread();
	harness_rcu_reset_reader();
	harness_quiesce();
	b->alloc_live = __atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST);
	b->warns = __atomic_load_n(&harness_warn_count, __ATOMIC_SEQ_CST);
}

void tvm_baseline_check(const struct tvm_baseline *b, const char *what)
{
	long live = __atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST);

	if (live != b->alloc_live)
		fail_msg("leak: %ld allocation(s) still live after %s",
			 live - b->alloc_live, what);
	assert_int_equal(__atomic_load_n(&harness_warn_count, __ATOMIC_SEQ_CST),
			 b->warns);
}

struct kvm_memslot_vm *tvm_create(const struct kvm_memslot_ops *ops, void *arch)
{
	struct tvm_baseline base;
	struct test_vm *t;

	tvm_baseline_take(&base);
	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->base = base;
	assert_int_equal(kvm_memslot_vm_init(&t->vm, ops, arch), 0);
	test_page_shift = ops->page_shift;
	return &t->vm;
}

void tvm_assert_no_warn(struct kvm_memslot_vm *vm)
{
	struct test_vm *t = container_of(vm, struct test_vm, vm);

	assert_int_equal(__atomic_load_n(&harness_warn_count, __ATOMIC_SEQ_CST),
			 t->base.warns);
}

void tvm_destroy(struct kvm_memslot_vm *vm)
{
	struct test_vm *t = container_of(vm, struct test_vm, vm);

	harness_rcu_reset_reader();
	kvm_memslot_vm_destroy(vm);
	/*
	 * Checked before any extra quiescing of ours: vm_destroy itself must
	 * have waited for every deferred free of this VM.
	 */
	tvm_baseline_check(&t->base, "kvm_memslot_vm_destroy");
	harness_quiesce();
	free(t);
}

int tvm_set(struct kvm_memslot_vm *vm, u32 slot, u32 flags, u64 gpa,
	    u64 size, u64 hva)
{
	struct kvm_userspace_memory_region r = region(slot, flags, gpa, size, hva);

	return kvm_memslot_set_user_region(vm, &r);
}

struct snap_walk {
	struct snap_slot *slots;
	unsigned int nr, cap;
};

static int snap_one(struct kvm_memory_slot *slot, void *data)
{
	struct snap_walk *w = data;
	struct snap_slot *s;

	if (w->nr == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->slots = realloc(w->slots, w->cap * sizeof(*w->slots));
		assert_non_null(w->slots);
	}
	s = &w->slots[w->nr++];
	s->ptr = slot;
	s->base_gfn = slot->base_gfn;
	s->npages = slot->npages;
	s->hva = slot->userspace_addr;
	s->flags = slot->flags;
	s->id = slot->id;
	s->as_id = slot->as_id;
	s->arch = slot->arch;
	s->dirty_bitmap = slot->dirty_bitmap;
	return 0;
}

void snap_take(struct kvm_memslot_vm *vm, struct snapshot *s)
{
	int as_id, idx;

	memset(s, 0, sizeof(*s));
	idx = srcu_read_lock(&vm->srcu);
	s->vm_generation = READ_ONCE(vm->generation);
	s->nr_memslot_pages = READ_ONCE(vm->nr_memslot_pages);
	for (as_id = 0; as_id < vm->ops->nr_address_spaces; as_id++) {
		struct kvm_memslots *set = kvm_memslots_get(vm, as_id);
		struct snap_walk w = { 0 };
		unsigned int i;

		assert_non_null(set);
		s->set[as_id] = set;
		s->generation[as_id] = set->generation;
		assert_int_equal(set->as_id, as_id);
		assert_false(kvm_memslots_in_update(set));
		kvm_memslot_visit_all(set, snap_one, &w);
		s->nr[as_id] = w.nr;
		s->slots[as_id] = w.slots;
		assert_int_equal(set->nr_slots, w.nr);
		for (i = 0; i < w.nr; i++) {
			const struct snap_slot *p = &w.slots[i];

			assert_int_equal(p->as_id, as_id);
			assert_false(p->flags & KVM_MEMSLOT_INVALID);
			assert_true(p->npages > 0);
			if (i)
				assert_true(w.slots[i - 1].base_gfn + w.slots[i - 1].npages <= p->base_gfn);
			assert_ptr_equal(kvm_memslot_find_gfn(set, p->base_gfn), p->ptr);
			assert_ptr_equal(kvm_memslot_find_gfn(set, p->base_gfn + p->npages - 1), p->ptr);
		}
	}
	srcu_read_unlock(&vm->srcu, idx);

	/*
	 * The index by id holds the same slots, and nothing else.  Read
	 * outside the read section: tvm_find_id() takes slots_lock.
	 */
	for (as_id = 0; as_id < vm->ops->nr_address_spaces; as_id++) {
		unsigned int i, nr_ids = 0;

		for (i = 0; i < s->nr[as_id]; i++)
			assert_ptr_equal(tvm_find_id(vm, as_id, s->slots[as_id][i].id),
					 s->slots[as_id][i].ptr);
		for (i = 0; i < KVM_MEMSLOT_MAX_SLOT_ID; i++)
			nr_ids += !!tvm_find_id(vm, as_id, i);
		assert_int_equal(nr_ids, s->nr[as_id]);
	}
}

void snap_free(struct snapshot *s)
{
	int i;

	for (i = 0; i < KVM_MEMSLOT_MAX_ADDRESS_SPACES; i++) {
		free(s->slots[i]);
		s->slots[i] = NULL;
	}
}

void snap_assert_same(const struct snapshot *a, const struct snapshot *b)
{
	int as_id;
	unsigned int i;

	assert_int_equal(a->vm_generation, b->vm_generation);
	assert_int_equal(a->nr_memslot_pages, b->nr_memslot_pages);
	for (as_id = 0; as_id < KVM_MEMSLOT_MAX_ADDRESS_SPACES; as_id++) {
		assert_int_equal(a->generation[as_id], b->generation[as_id]);
		assert_ptr_equal(a->set[as_id], b->set[as_id]);
		assert_int_equal(a->nr[as_id], b->nr[as_id]);
		for (i = 0; i < a->nr[as_id]; i++)
			assert_memory_equal(&a->slots[as_id][i], &b->slots[as_id][i],
					    sizeof(struct snap_slot));
	}
}

static int cmp_region_gpa(const void *x, const void *y)
{
	const struct kvm_userspace_memory_region *a = x, *b = y;

	return a->guest_phys_addr < b->guest_phys_addr ? -1 :
	       a->guest_phys_addr > b->guest_phys_addr;
}

void snap_assert_layout(const struct snapshot *s, int as_id,
			const struct kvm_userspace_memory_region *exp,
			unsigned int nr)
{
	struct kvm_userspace_memory_region *sorted;
	unsigned int i;

	sorted = malloc((nr ? nr : 1) * sizeof(*sorted));
	assert_non_null(sorted);
	memcpy(sorted, exp, nr * sizeof(*sorted));
	qsort(sorted, nr, sizeof(*sorted), cmp_region_gpa);
	assert_int_equal(s->nr[as_id], nr);
	for (i = 0; i < nr; i++) {
		const struct snap_slot *p = &s->slots[as_id][i];

		assert_int_equal(p->id, (u16)sorted[i].slot);
		assert_int_equal(p->base_gfn, sorted[i].guest_phys_addr >> PAGE_SHIFT);
		assert_int_equal(p->npages, sorted[i].memory_size >> PAGE_SHIFT);
		assert_int_equal(p->hva, sorted[i].userspace_addr);
		assert_int_equal(p->flags, sorted[i].flags);
	}
	free(sorted);
}

const struct kvm_memory_slot *tvm_find_id(struct kvm_memslot_vm *vm, int as_id, u16 id)
{
	const struct kvm_memory_slot *slot;

	mutex_lock(&vm->slots_lock);
	slot = kvm_memslot_find_id(vm, as_id, id);
	mutex_unlock(&vm->slots_lock);
	return slot;
}

const struct kvm_memory_slot *tvm_find_gfn(struct kvm_memslot_vm *vm, int as_id, u64 gfn)
{
	const struct kvm_memory_slot *slot;
	int idx = srcu_read_lock(&vm->srcu);

	slot = kvm_memslot_find_gfn(kvm_memslots_get(vm, as_id), gfn);
	srcu_read_unlock(&vm->srcu, idx);
	return slot;
}

u64 tvm_generation(struct kvm_memslot_vm *vm, int as_id)
{
	u64 gen;
	int idx = srcu_read_lock(&vm->srcu);

	gen = kvm_memslots_get(vm, as_id)->generation;
	srcu_read_unlock(&vm->srcu, idx);
	return gen;
}

unsigned int tvm_nr_slots(struct kvm_memslot_vm *vm, int as_id)
{
	unsigned int n;
	int idx = srcu_read_lock(&vm->srcu);

	n = kvm_memslots_get(vm, as_id)->nr_slots;
	srcu_read_unlock(&vm->srcu, idx);
	return n;
}

unsigned long tvm_audit(struct kvm_memslot_vm *vm)
{
	unsigned long n;
	int idx;

	mutex_lock(&vm->slots_lock);
	idx = srcu_read_lock(&vm->srcu);
	spin_lock(&vm->mmu_lock);
	n = vm->ops->audit(vm);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);
	mutex_unlock(&vm->slots_lock);
	return n;
}
