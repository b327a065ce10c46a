// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stress: one writer applies thousands of random updates, valid and
 * invalid, single and batched, with injected backend and allocation
 * failures, while reader threads fault and walk.  After every step the
 * errno and the complete layout are compared with a deliberately simple
 * reference model (arrays and linear scans) that implements Linux 6.1's
 * rules on its own, plus this module's batch rule: a batch applies its
 * entries in order, each validated against the layout the earlier ones
 * left; a slot may be changed once per batch, except that a delete may be
 * followed by a create of the same id; on failure nothing changes.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fake_backend.h"

#define NR_AS		2
#define NR_IDS		32767		/* model covers every id */
#define USER_SLOTS	32764
#define TASK_SIZE_MAX_T	((1UL << 47) - PAGE_SIZE)
#define MAX_NPAGES	((1UL << 31) - 1)
#define GFN_SPACE	4096
#define HVA_SPACE_PAGES	(1UL << 18)
#define MAX_BATCH	6

struct mslot {
	bool present;
	bool changed;		/* created/moved/flag-changed in the current batch */
	u64 base_gfn, npages;
	unsigned long hva;
	u32 flags;
};

struct model {
	struct mslot s[NR_AS][NR_IDS];
	unsigned long nr_pages;
};

static struct model cur, tmp;	/* big: keep off the stack */

/*
 * The ids the generator can make present (it also produces ids >= 32764,
 * which are always rejected): scans of the model visit only these.
 */
#define NR_GEN_IDS	48
static const u16 candidate_ids[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
	21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
	40, 41, 42, 43, 44, 45, 46, 47, 32763,
};
#define NR_CAND	(sizeof(candidate_ids) / sizeof(candidate_ids[0]))

/* ---- the reference model ---- */

static bool m_access_ok(unsigned long addr, unsigned long size)
{
	return size <= TASK_SIZE_MAX_T && addr <= TASK_SIZE_MAX_T - size;
}

/* Apply one region to @m; returns 0/-errno; *nonop set when it changes something. */
static int m_apply(struct model *m, const struct kvm_userspace_memory_region *r, bool *nonop)
{
	unsigned int as = r->slot >> 16, id = (u16)r->slot, i;
	u64 gfn = r->guest_phys_addr >> PAGE_SHIFT, npages = r->memory_size >> PAGE_SHIFT;
	struct mslot *o;

	*nonop = false;
	if (id >= USER_SLOTS)
		return -EINVAL;
	if (r->flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY))
		return -EINVAL;
	if (r->memory_size % PAGE_SIZE)
		return -EINVAL;
	if (r->guest_phys_addr % PAGE_SIZE)
		return -EINVAL;
	if (r->userspace_addr % PAGE_SIZE || !m_access_ok(r->userspace_addr, r->memory_size))
		return -EINVAL;
	if (as >= NR_AS)
		return -EINVAL;
	if (r->guest_phys_addr + r->memory_size < r->guest_phys_addr)
		return -EINVAL;
	if (npages > MAX_NPAGES)
		return -EINVAL;
	o = &m->s[as][id];
	if (o->present && o->changed)
		return -EINVAL;		/* second change in one batch */
	if (npages == 0) {
		if (!o->present)
			return -EINVAL;
		m->nr_pages -= o->npages;
		o->present = false;
		*nonop = true;
		return 0;
	}
	if (o->present) {
		if (r->userspace_addr != o->hva || npages != o->npages ||
		    ((r->flags ^ o->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (gfn == o->base_gfn && r->flags == o->flags)
			return 0;
	} else if (m->nr_pages + npages < m->nr_pages) {
		return -EINVAL;
	}
	if (!o->present || gfn != o->base_gfn) {
		for (i = 0; i < NR_CAND; i++) {
			const struct mslot *x = &m->s[as][candidate_ids[i]];

			if (candidate_ids[i] == id)
				continue;
			if (x->present && x->base_gfn < gfn + npages &&
			    gfn < x->base_gfn + x->npages)
				return -EEXIST;
		}
	}
	if (!o->present)
		m->nr_pages += npages;
	o->present = true;
	o->changed = true;
	o->base_gfn = gfn;
	o->npages = npages;
	o->hva = r->userspace_addr;
	o->flags = r->flags;
	*nonop = true;
	return 0;
}

/* A batch: returns 0 or the first error (and its index); @m unchanged on error. */
static int m_batch(const struct kvm_userspace_memory_region *b, unsigned int n,
		   unsigned int *failed, unsigned int *nr_changes)
{
	unsigned int i, as, id;
	int r = 0;

	memcpy(&tmp, &cur, sizeof(tmp));
	*nr_changes = 0;
	for (i = 0; i < n; i++) {
		bool nonop;

		r = m_apply(&tmp, &b[i], &nonop);
		if (r) {
			*failed = i;
			return r;
		}
		*nr_changes += nonop;
	}
	for (as = 0; as < NR_AS; as++)
		for (id = 0; id < NR_CAND; id++)
			tmp.s[as][candidate_ids[id]].changed = false;
	return 0;
}

/* ---- comparing the core with the model ---- */

struct cmp {
	const struct model *m;
	unsigned int as;
	unsigned int seen;
	u64 last_end;
	unsigned long mismatches;
};

static int cmp_slot(struct kvm_memory_slot *s, void *data)
{
	struct cmp *c = data;
	const struct mslot *x = s->id < NR_IDS ? &c->m->s[c->as][s->id] : NULL;

	c->seen++;
	if (!x || !x->present || x->base_gfn != s->base_gfn || x->npages != s->npages ||
	    x->hva != s->userspace_addr || x->flags != s->flags || s->as_id != c->as ||
	    s->base_gfn < c->last_end ||
	    !!(s->flags & KVM_MEM_LOG_DIRTY_PAGES) != !!s->dirty_bitmap) {
		if (!c->mismatches)
			print_error("slot %u/%u: core gfn %#llx+%lu hva %#lx flags %#x, model %s gfn %#llx+%llu hva %#lx flags %#x\n",
				    c->as, s->id, (unsigned long long)s->base_gfn, s->npages,
				    s->userspace_addr, s->flags, x && x->present ? "has" : "lacks",
				    x ? (unsigned long long)x->base_gfn : 0ULL,
				    x ? (unsigned long long)x->npages : 0ULL, x ? x->hva : 0UL,
				    x ? x->flags : 0u);
		c->mismatches++;
	}
	c->last_end = s->base_gfn + s->npages;
	return 0;
}

static unsigned long compare(struct kvm_memslot_vm *vm, uint64_t *seed)
{
	unsigned long mismatches = 0;
	unsigned int as, id, i;
	int idx;

	/* Between updates, by the only writer: nothing waits for the lock. */
	mutex_lock(&vm->slots_lock);
	idx = srcu_read_lock(&vm->srcu);
	for (as = 0; as < NR_AS; as++) {
		struct kvm_memslots *set = kvm_memslots_get(vm, as);
		struct cmp c = { .m = &cur, .as = as };
		unsigned int present = 0;

		if (kvm_memslots_in_update(set))
			mismatches++;
		kvm_memslot_visit_all(set, cmp_slot, &c);
		mismatches += c.mismatches;
		for (i = 0; i < NR_CAND + 8; i++) {
			const struct mslot *x;
			struct kvm_memory_slot *s;

			/* every candidate id, and a few random others */
			id = i < NR_CAND ? candidate_ids[i] : harness_rand(seed) % NR_IDS;
			if (i >= NR_CAND && cur.s[as][id].present)
				continue;
			x = &cur.s[as][id];
			s = kvm_memslot_find_id(vm, as, id);

			present += x->present;
			if (!!s != x->present || (s && s->base_gfn != x->base_gfn))
				mismatches++;
		}
		if (present != c.seen || present != set->nr_slots)
			mismatches++;
		for (i = 0; i < 64; i++) {
			u64 gfn = harness_rand(seed) % (GFN_SPACE + 64);
			struct kvm_memory_slot *s = kvm_memslot_find_gfn(set, gfn);
			int want = -1;

			for (id = 0; id < NR_CAND && want < 0; id++) {
				const struct mslot *x = &cur.s[as][candidate_ids[id]];

				if (x->present && gfn >= x->base_gfn && gfn < x->base_gfn + x->npages)
					want = candidate_ids[id];
			}
			if ((want < 0) != !s || (s && s->id != want))
				mismatches++;
		}
	}
	srcu_read_unlock(&vm->srcu, idx);
	mutex_unlock(&vm->slots_lock);
	if (vm->nr_memslot_pages != cur.nr_pages)
		mismatches++;
	return mismatches;
}

/* ---- random updates ---- */

static u16 rand_id(uint64_t *s)
{
	static const u16 odd[] = { 32763, 32764, 32766, 32767, 40000 };
	uint64_t r = harness_rand(s) % 100;

	if (r < 3)
		return odd[harness_rand(s) % 5];
	return harness_rand(s) % NR_GEN_IDS;
}

static struct kvm_userspace_memory_region rand_region(uint64_t *s)
{
	struct kvm_userspace_memory_region r;
	unsigned int as = harness_rand(s) % 100 < 97 ? harness_rand(s) % 2 : 2;
	u16 id = rand_id(s);
	const struct mslot *x = as < NR_AS && id < NR_IDS ? &cur.s[as][id] : NULL;
	uint64_t k = harness_rand(s) % 100;

	r.slot = SLOT(as, id);
	r.flags = harness_rand(s) % 3 == 0 ? KVM_MEM_LOG_DIRTY_PAGES : 0;
	if (harness_rand(s) % 8 == 0)
		r.flags |= KVM_MEM_READONLY;
	r.guest_phys_addr = GPA(harness_rand(s) % GFN_SPACE);
	r.memory_size = (1 + harness_rand(s) % 64) * PG;
	r.userspace_addr = TEST_HVA((harness_rand(s) % HVA_SPACE_PAGES) * PG);

	if (x && x->present && k < 55) {
		/* change an existing slot: delete, move, flags, no-op */
		r.userspace_addr = x->hva;
		r.memory_size = x->npages * PG;
		r.flags = (r.flags & ~KVM_MEM_READONLY) | (x->flags & KVM_MEM_READONLY);
		switch (k % 4) {
		case 0:
			r.memory_size = 0;
			break;
		case 1:
			break;			/* move (or overlap) */
		case 2:
			r.guest_phys_addr = GPA(x->base_gfn);
			r.flags ^= KVM_MEM_LOG_DIRTY_PAGES;
			break;
		case 3:
			r.guest_phys_addr = GPA(x->base_gfn);
			r.flags = x->flags;
			break;
		}
		if (k < 10)
			r.guest_phys_addr = GPA(x->base_gfn + harness_rand(s) % 4);	/* overlap own range */
	}
	/* now and then, break one rule */
	switch (harness_rand(s) % 120) {
	case 0: r.flags |= 1u << (2 + harness_rand(s) % 30); break;
	case 1: r.memory_size += 1 + harness_rand(s) % (PG - 1); break;
	case 2: r.guest_phys_addr |= 1 + harness_rand(s) % (PG - 1); break;
	case 3: r.userspace_addr |= 8; break;
	case 4: r.userspace_addr = TASK_SIZE_MAX_T - PG * (harness_rand(s) % 4); break;
	case 5: r.guest_phys_addr = 0ULL - PG * (1 + harness_rand(s) % 4); break;
	case 6: r.memory_size = (MAX_NPAGES + 1) * PG; r.userspace_addr = 0; break;
	case 7: if (x && x->present) r.userspace_addr = x->hva + PG; break;
	case 8: if (x && x->present) r.memory_size = (x->npages + 1) * PG; break;
	case 9: if (x && x->present) r.flags ^= KVM_MEM_READONLY; break;
	}
	return r;
}

/* ---- concurrent readers ---- */

struct readers {
	struct kvm_memslot_vm *vm;
	int stop;
	unsigned long lookups, walks, errors, fault_errors, walk_errors;
};

static int check_hva_cb(struct kvm_memory_slot *s, void *data)
{
	unsigned long *range = data;

	if (!(s->userspace_addr < range[1] && s->userspace_addr + (s->npages << PAGE_SHIFT) > range[0]))
		range[2]++;
	return 0;
}

static void *reader_fn(void *p)
{
	struct readers *rd = p;
	/*
	 * One hint per address space: sharing one across address spaces is
	 * covered (and currently fails) in test_lookup's
	 * hint_from_other_address_space_not_used.
	 */
	struct kvm_memslot_hint hint[NR_AS] = { 0 };
	uint64_t seed = (uintptr_t)&hint;

	while (!__atomic_load_n(&rd->stop, __ATOMIC_SEQ_CST)) {
		unsigned int as = harness_rand(&seed) % NR_AS;
		u64 gfn = harness_rand(&seed) % GFN_SPACE;
		struct kvm_memory_slot *s;
		int idx;

		s = kvm_memslot_fault_lookup(rd->vm, as, gfn, &hint[as], &idx);
		if (s && (kvm_memslot_is_invalid(s) || gfn < s->base_gfn ||
			  gfn >= s->base_gfn + s->npages || s->as_id != as)) {
			if (!__atomic_fetch_add(&rd->fault_errors, 1, __ATOMIC_RELAXED))
				print_error("fault lookup of %u/%#llx gave slot %u/%u gfn %#llx+%lu flags %#x\n",
					    as, (unsigned long long)gfn, s->as_id, s->id,
					    (unsigned long long)s->base_gfn, s->npages, s->flags);
			__atomic_add_fetch(&rd->errors, 1, __ATOMIC_RELAXED);
		}
		srcu_read_unlock(&rd->vm->srcu, idx);
		rd->lookups++;

		if (harness_rand(&seed) % 8 == 0) {
			unsigned long range[3];

			range[0] = TEST_HVA((harness_rand(&seed) % HVA_SPACE_PAGES) * PG);
			range[1] = range[0] + (1 + harness_rand(&seed) % 4096) * PG;
			range[2] = 0;
			idx = srcu_read_lock(&rd->vm->srcu);
			kvm_memslot_visit_hva(kvm_memslots_get(rd->vm, as), range[0], range[1],
						 check_hva_cb, range);
			srcu_read_unlock(&rd->vm->srcu, idx);
			if (range[2]) {
				if (!__atomic_fetch_add(&rd->walk_errors, 1, __ATOMIC_RELAXED))
					print_error("hva walk [%#lx, %#lx) visited %lu slot(s) outside it\n",
						    range[0], range[1], range[2]);
				__atomic_add_fetch(&rd->errors, 1, __ATOMIC_RELAXED);
			}
			rd->walks++;
		}
	}
	return NULL;
}

static unsigned int nr_steps(void)
{
	const char *e = getenv("STRESS_STEPS");

	return e ? (unsigned int)atoi(e) : 5000;
}

static void random_updates_match_reference_model(void **state)
{
	struct fake_backend *fb = calloc(1, sizeof(*fb));
	struct kvm_memslot_vm *vm = fake_vm_create(fb, &test_ops_x86);
	struct readers rd = { .vm = vm };
	unsigned long mismatches = 0, counts[8] = { 0 };
	unsigned int step, steps = nr_steps();
	uint64_t seed = 0xc0ffee, cseed = 42;
	pthread_t th[2];
	int i;

	fb->record = false;
	memset(&cur, 0, sizeof(cur));
	for (i = 0; i < 2; i++)
		assert_int_equal(harness_thread_start(&th[i], reader_fn, &rd), 0);

	for (step = 0; step < steps; step++) {
		struct kvm_userspace_memory_region b[MAX_BATCH];
		unsigned int n = harness_rand(&seed) % 4 == 0 ? 2 + harness_rand(&seed) % (MAX_BATCH - 1) : 1;
		unsigned int mfailed = ~0u, cfailed = ~0u, nr_changes, j;
		int want, got, inject = harness_rand(&seed) % 20;

		for (j = 0; j < n; j++)
			b[j] = rand_region(&seed);
		want = m_batch(b, n, &mfailed, &nr_changes);

		if (inject == 0 && !want && nr_changes) {
			/* the backend refuses one of the prepares */
			fb->fail_prepare_nth = 1 + harness_rand(&seed) % nr_changes;
			fb->fail_errno = harness_rand(&seed) % 2 ? -ENOMEM : -EINVAL;
			want = fb->fail_errno;
			mfailed = ~0u;	/* index not checked for backend failures */
		} else if (inject == 1 && !want && nr_changes) {
			/* an allocation fails: -ENOMEM and no change, or success */
			harness_fail_alloc(1 + harness_rand(&seed) % 12);
		}

		got = n == 1 && harness_rand(&seed) % 2 ?
		      kvm_memslot_set_user_region(vm, &b[0]) :
		      kvm_memslot_set_regions(vm, b, n, &cfailed);
		if (inject == 1 && want == 0 && got == -ENOMEM &&
		    __atomic_load_n(&harness_alloc_fail_nth, __ATOMIC_SEQ_CST) == 0)
			want = -ENOMEM;	/* the injected failure hit: the model stays */
		harness_fail_alloc(0);
		fb->fail_prepare_nth = 0;

		if (got != want || (want && mfailed != ~0u && n > 1 && cfailed != ~0u && cfailed != mfailed)) {
			if (mismatches < 5) {
				print_error("step %u: batch of %u: core %d (entry %d), model %d (entry %d)\n",
					    step, n, got, (int)cfailed, want, (int)mfailed);
				for (j = 0; j < n; j++)
					print_error("   [%u] slot %u/%u flags %#x gpa %#llx size %#llx hva %#llx\n",
						    j, b[j].slot >> 16, b[j].slot & 0xffff, b[j].flags,
						    (unsigned long long)b[j].guest_phys_addr,
						    (unsigned long long)b[j].memory_size,
						    (unsigned long long)b[j].userspace_addr);
			}
			mismatches++;
		}
		if (want == 0 && got == 0)
			memcpy(&cur, &tmp, sizeof(cur));
		else if (got == 0)
			break;	/* the model can no longer follow */
		counts[got == 0 ? 0 : got == -EINVAL ? 1 : got == -EEXIST ? 2 : got == -ENOMEM ? 3 : 4]++;

		mismatches += compare(vm, &cseed);
		if (__atomic_load_n(&harness_warn_count, __ATOMIC_SEQ_CST))
			break;
		if (mismatches > 20)
			break;
	}
	__atomic_store_n(&rd.stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	print_message("%u steps: %lu ok, %lu EINVAL, %lu EEXIST, %lu ENOMEM, %lu other; "
		      "readers: %lu faults, %lu hva walks; %llu grace periods\n",
		      step, counts[0], counts[1], counts[2], counts[3], counts[4],
		      rd.lookups, rd.walks, (unsigned long long)vm->stats.grace_periods);
	assert_int_equal(mismatches, 0);
	assert_int_equal(rd.errors, 0);
	assert_int_equal(step, steps);
	tvm_assert_no_warn(vm);
	fake_vm_destroy(fb);
	free(fb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_updates_match_reference_model),
	};

	return cmocka_run_group_tests_name("stress", tests, NULL, NULL);
}
