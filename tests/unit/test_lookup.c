// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lookups on a published set with a few thousand slots: find_gfn, find_id,
 * the last-used-slot hint, visit_hva (must report exactly the slots whose
 * host range overlaps, host ranges may alias) and visit_all, compared with
 * brute-force scans, before and after a few hundred random updates (which
 * exercise rebalancing and the interval augmentation of the trees).
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define NR	4000
#define HVA_PAGES	(1UL << 16)

struct ref {
	bool present;
	u64 gfn, npages;
	unsigned long hva;
};

struct lfix {
	struct kvm_memslot_vm *vm;
	struct ref ref[NR];
	uint64_t seed;
};

static bool ref_hva_overlaps(const struct ref *r, unsigned long start, unsigned long end)
{
	return r->present && start < end && r->hva < end && r->hva + (r->npages << PAGE_SHIFT) > start;
}

/* Slot i lives in gfn window [i * 128, i * 128 + 128). */
static void place(struct lfix *f, unsigned int i)
{
	struct ref *r = &f->ref[i];

	r->npages = 1 + harness_rand(&f->seed) % 64;
	r->gfn = (u64)i * 128 + harness_rand(&f->seed) % (128 - r->npages + 1);
	/* aliasing: many slots share a small host window */
	if (harness_rand(&f->seed) % 4 == 0)
		r->hva = TEST_HVA((harness_rand(&f->seed) % 256) * PG);
	else
		r->hva = TEST_HVA((harness_rand(&f->seed) % HVA_PAGES) * PG);
	assert_int_equal(tvm_set(f->vm, SLOT(0, i), 0, GPA(r->gfn), r->npages * PG, r->hva), 0);
	r->present = true;
}

static int setup(void **state)
{
	struct lfix *f = calloc(1, sizeof(*f));
	unsigned int i;

	f->seed = 7;
	f->vm = tvm_create(&test_ops_x86, NULL);
	for (i = 0; i < NR; i++)
		place(f, i);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct lfix *f = *state;

	tvm_destroy(f->vm);
	free(f);
	return 0;
}

#define F(state) ((struct lfix *)*(state))

static int ref_find_gfn(struct lfix *f, u64 gfn)
{
	unsigned int i;

	for (i = 0; i < NR; i++)
		if (f->ref[i].present && gfn >= f->ref[i].gfn && gfn < f->ref[i].gfn + f->ref[i].npages)
			return i;
	return -1;
}

static void check_find_gfn(struct lfix *f, unsigned int nr_probes)
{
	struct kvm_memslots *set;
	unsigned int i;
	int idx = srcu_read_lock(&f->vm->srcu);

	set = kvm_memslots_get(f->vm, 0);
	for (i = 0; i < nr_probes; i++) {
		u64 gfn = harness_rand(&f->seed) % (NR * 128 + 256);
		struct kvm_memory_slot *s = kvm_memslot_find_gfn(set, gfn);
		int want = ref_find_gfn(f, gfn);

		if (want < 0) {
			assert_null(s);
		} else {
			assert_non_null(s);
			assert_int_equal(s->id, want);
		}
		assert_false(kvm_memslot_gfn_in_transition(set, gfn));
	}
	/* both ends of every slot, and just outside */
	for (i = 0; i < NR; i++) {
		const struct ref *r = &f->ref[i];
		struct kvm_memory_slot *s;

		if (!r->present)
			continue;
		s = kvm_memslot_find_gfn(set, r->gfn);
		assert_non_null(s);
		assert_int_equal(s->id, i);
		assert_ptr_equal(kvm_memslot_find_gfn(set, r->gfn + r->npages - 1), s);
		s = kvm_memslot_find_gfn(set, r->gfn + r->npages);
		assert_true(!s || s->id != i);
		if (r->gfn) {
			s = kvm_memslot_find_gfn(set, r->gfn - 1);
			assert_true(!s || s->id != i);
		}
	}
	srcu_read_unlock(&f->vm->srcu, idx);
}

static void check_find_id(struct lfix *f)
{
	unsigned int i;

	for (i = 0; i < 32767; i++) {
		const struct kvm_memory_slot *s = tvm_find_id(f->vm, 0, i);

		if (i < NR && f->ref[i].present) {
			assert_non_null(s);
			assert_int_equal(s->id, i);
			assert_int_equal(s->base_gfn, f->ref[i].gfn);
			assert_int_equal(s->npages, f->ref[i].npages);
			assert_int_equal(s->userspace_addr, f->ref[i].hva);
		} else {
			assert_null(s);
		}
	}
	assert_null(tvm_find_id(f->vm, 0, 0xffff));
	assert_null(tvm_find_id(f->vm, 1, 0));
}

struct visit {
	unsigned char seen[NR];
	unsigned int count;
	unsigned long last_hva;
	bool order_ok;
	unsigned int stop_after;
};

static int visit_cb(struct kvm_memory_slot *s, void *data)
{
	struct visit *v = data;

	if (s->id < NR)
		v->seen[s->id]++;
	if (v->count && s->userspace_addr < v->last_hva)
		v->order_ok = false;
	v->last_hva = s->userspace_addr;
	v->count++;
	return v->stop_after && v->count >= v->stop_after ? 42 : 0;
}

static void check_hva_range(struct lfix *f, struct kvm_memslots *set, unsigned long start,
			    unsigned long end)
{
	struct visit *v = calloc(1, sizeof(*v));
	unsigned int i, want = 0;

	v->order_ok = true;
	assert_int_equal(kvm_memslot_visit_hva(set, start, end, visit_cb, v), 0);
	for (i = 0; i < NR; i++) {
		bool in = ref_hva_overlaps(&f->ref[i], start, end);

		want += in;
		if (v->seen[i] != in)
			fail_msg("hva [%#lx, %#lx): slot %u (hva %#lx, %llu pages) %s",
				 start, end, i, f->ref[i].hva, (unsigned long long)f->ref[i].npages,
				 in ? "overlaps but was not visited (once)" : "was visited but does not overlap");
	}
	assert_int_equal(v->count, want);
	assert_true(v->order_ok);	/* documented: in address order */
	free(v);
}

static void check_visit_hva(struct lfix *f, unsigned int nr_ranges)
{
	struct kvm_memslots *set;
	unsigned int i;
	int idx = srcu_read_lock(&f->vm->srcu);

	set = kvm_memslots_get(f->vm, 0);
	for (i = 0; i < nr_ranges; i++) {
		unsigned long start = TEST_HVA((harness_rand(&f->seed) % (HVA_PAGES + 64)) * PG);
		unsigned long len = (harness_rand(&f->seed) % 4 == 0) ?
				    1 + harness_rand(&f->seed) % PG :		/* sub-page */
				    (1 + harness_rand(&f->seed) % 512) * PG;

		check_hva_range(f, set, start, start + len);
	}
	/* the aliased window, everything, nothing, and exact slot bounds */
	check_hva_range(f, set, TEST_HVA(0), TEST_HVA(256 * PG));
	check_hva_range(f, set, 0, ~0UL);
	check_hva_range(f, set, TEST_HVA(5 * PG), TEST_HVA(5 * PG));
	for (i = 0; i < NR; i += 97) {
		const struct ref *r = &f->ref[i];

		if (!r->present)
			continue;
		check_hva_range(f, set, r->hva, r->hva + 1);
		check_hva_range(f, set, r->hva + (r->npages << PAGE_SHIFT) - 1,
				r->hva + (r->npages << PAGE_SHIFT));
		check_hva_range(f, set, r->hva + (r->npages << PAGE_SHIFT),
				r->hva + (r->npages << PAGE_SHIFT) + PG);
		check_hva_range(f, set, r->hva - PG, r->hva);
	}
	srcu_read_unlock(&f->vm->srcu, idx);
}

static void find_gfn_matches_brute_force(void **state)
{
	check_find_gfn(F(state), 20000);
}

static void find_id_matches_brute_force(void **state)
{
	check_find_id(F(state));
}

static void visit_hva_reports_exactly_the_overlapping_slots(void **state)
{
	check_visit_hva(F(state), 2000);
}

static void visit_hva_stops_on_nonzero(void **state)
{
	struct lfix *f = F(state);
	struct visit *v = calloc(1, sizeof(*v));
	int idx = srcu_read_lock(&f->vm->srcu);

	v->stop_after = 3;
	assert_int_equal(kvm_memslot_visit_hva(kvm_memslots_get(f->vm, 0), 0, ~0UL, visit_cb, v), 42);
	assert_int_equal(v->count, 3);
	memset(v, 0, sizeof(*v));
	v->stop_after = 5;
	assert_int_equal(kvm_memslot_visit_all(kvm_memslots_get(f->vm, 0), visit_cb, v), 42);
	assert_int_equal(v->count, 5);
	srcu_read_unlock(&f->vm->srcu, idx);
	free(v);
}

struct all_walk {
	unsigned int count;
	u64 last_end;
	bool ok;
};

static int all_cb(struct kvm_memory_slot *s, void *data)
{
	struct all_walk *w = data;

	if (s->base_gfn < w->last_end)
		w->ok = false;
	w->last_end = s->base_gfn + s->npages;
	w->count++;
	return 0;
}

static void visit_all_in_gfn_order(void **state)
{
	struct lfix *f = F(state);
	struct all_walk w = { .ok = true };
	int idx = srcu_read_lock(&f->vm->srcu);

	assert_int_equal(kvm_memslot_visit_all(kvm_memslots_get(f->vm, 0), all_cb, &w), 0);
	srcu_read_unlock(&f->vm->srcu, idx);
	assert_int_equal(w.count, NR);
	assert_true(w.ok);
}

static void hint_hits_and_misses(void **state)
{
	struct lfix *f = F(state);
	struct kvm_memslot_hint hint = { 0 };
	struct kvm_memory_slot fake;
	struct kvm_memslots *set;
	struct kvm_memory_slot *s;
	const struct ref *r = &f->ref[123];
	int idx = srcu_read_lock(&f->vm->srcu);

	set = kvm_memslots_get(f->vm, 0);
	/* a miss fills the hint */
	s = kvm_memslot_find_gfn_hint(set, r->gfn, &hint);
	assert_non_null(s);
	assert_int_equal(s->id, 123);
	assert_ptr_equal(hint.slot, s);
	assert_int_equal(hint.generation, set->generation);
	/* a hit returns the hint without a tree walk: prove it with a decoy */
	fake = *s;
	hint.slot = &fake;
	assert_ptr_equal(kvm_memslot_find_gfn_hint(set, r->gfn + r->npages - 1, &hint), &fake);
	/* outside the hinted slot: a tree lookup, and the hint moves */
	s = kvm_memslot_find_gfn_hint(set, f->ref[124].gfn, &hint);
	assert_int_equal(s->id, 124);
	assert_ptr_equal(hint.slot, s);
	/* a gfn no slot holds: NULL, and the hint is not pointed at nothing */
	s = kvm_memslot_find_gfn_hint(set, (u64)NR * 128 + 1000, &hint);
	assert_null(s);
	assert_non_null(hint.slot);
	/* a hint from another generation is never used */
	hint.slot = &fake;
	hint.generation = set->generation - 2;
	s = kvm_memslot_find_gfn_hint(set, r->gfn, &hint);
	assert_ptr_not_equal(s, &fake);
	assert_int_equal(s->id, 123);
	srcu_read_unlock(&f->vm->srcu, idx);
}

static void hint_stale_after_update(void **state)
{
	struct lfix *f = F(state);
	struct kvm_memslot_hint hint = { 0 };
	struct kvm_memory_slot *s;
	int idx;
	u64 gfn = f->ref[10].gfn;

	idx = srcu_read_lock(&f->vm->srcu);
	s = kvm_memslot_find_gfn_hint(kvm_memslots_get(f->vm, 0), gfn, &hint);
	assert_int_equal(s->id, 10);
	srcu_read_unlock(&f->vm->srcu, idx);
	/* delete slot 10 and map another slot over its gfns */
	assert_int_equal(tvm_set(f->vm, SLOT(0, 10), 0, 0, 0, 0), 0);
	f->ref[10].present = false;
	assert_int_equal(tvm_set(f->vm, SLOT(0, 5000), 0, GPA(gfn), PG, TEST_HVA(0)), 0);
	s = kvm_memslot_fault_lookup(f->vm, 0, gfn, &hint, &idx);
	assert_non_null(s);
	assert_int_equal(s->id, 5000);
	srcu_read_unlock(&f->vm->srcu, idx);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 5000), 0, 0, 0, 0), 0);
}

/*
 * A vCPU keeps one last-used slot but looks up gfns in both address spaces
 * (x86 SMM).  A batch that touches both spaces publishes both sets; a hint
 * taken in one space must never answer a lookup in the other.
 */
static void hint_from_other_address_space_not_used(void **state)
{
	struct lfix *f = F(state);
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(1, 1), 0, GPA(f->ref[0].gfn), f->ref[0].npages * PG, TEST_HVA(0x1000 * PG)),
		region(SLOT(0, 0), 0, 0, 0, 0),
		region(SLOT(0, 0), 0, GPA(f->ref[0].gfn), f->ref[0].npages * PG, TEST_HVA(0x2000 * PG)),
	};
	struct kvm_memslot_hint hint = { 0 };
	struct kvm_memory_slot *s;
	int idx;

	assert_int_equal(kvm_memslot_set_regions(f->vm, b, 3, NULL), 0);
	s = kvm_memslot_fault_lookup(f->vm, 0, f->ref[0].gfn, &hint, &idx);
	assert_int_equal(s->as_id, 0);
	assert_int_equal(s->id, 0);
	srcu_read_unlock(&f->vm->srcu, idx);
	s = kvm_memslot_fault_lookup(f->vm, 1, f->ref[0].gfn, &hint, &idx);
	assert_non_null(s);
	if (s->as_id != 1)
		fail_msg("lookup in address space 1 returned slot %u of address space %u "
			 "(the hint from address space 0 has the same generation %llu)",
			 s->id, s->as_id, (unsigned long long)hint.generation);
	assert_int_equal(s->id, 1);
	srcu_read_unlock(&f->vm->srcu, idx);
}

static void lookups_after_random_updates(void **state)
{
	struct lfix *f = F(state);
	unsigned int step;

	for (step = 0; step < 600; step++) {
		unsigned int i = harness_rand(&f->seed) % NR;

		if (f->ref[i].present && harness_rand(&f->seed) % 3) {
			assert_int_equal(tvm_set(f->vm, SLOT(0, i), 0, 0, 0, 0), 0);
			f->ref[i].present = false;
		} else if (f->ref[i].present) {
			/* move inside its window */
			struct ref *r = &f->ref[i];
			u64 gfn = (u64)i * 128 + harness_rand(&f->seed) % (128 - r->npages + 1);

			assert_int_equal(tvm_set(f->vm, SLOT(0, i), 0, GPA(gfn), r->npages * PG, r->hva), 0);
			r->gfn = gfn;
		} else {
			place(f, i);
		}
	}
	check_find_gfn(f, 5000);
	check_find_id(f);
	check_visit_hva(f, 1000);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(find_gfn_matches_brute_force),
		T(find_id_matches_brute_force),
		T(visit_hva_reports_exactly_the_overlapping_slots),
		T(visit_hva_stops_on_nonzero),
		T(visit_all_in_gfn_order),
		T(hint_hits_and_misses),
		T(hint_stale_after_update),
		T(hint_from_other_address_space_not_used),
		T(lookups_after_random_updates),
	};

	return cmocka_run_group_tests_name("lookup", tests, NULL, NULL);
}
