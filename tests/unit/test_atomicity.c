// SPDX-License-Identifier: GPL-2.0-only
/*
 * Batch atomicity: while a writer flips the layout between A and B with
 * batches (delete + create elsewhere, one slot split into three, three
 * merged into one, a move, a same-range replacement with other backing),
 * readers check that every slot set they see shows, for each group of
 * probe gfns, entirely layout A or entirely layout B.  Layouts are told
 * apart by the host address each probe gfn maps to (A and B use disjoint
 * host ranges).  Probes in transition (mid-update sets) are skipped by the
 * set readers and waited upon by fault readers, which must then see a
 * complete layout and never "no slot" for a gfn both layouts back.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define HA(off)	TEST_HVA(0x10000000UL + (off) * PG)	/* layout A's host range */
#define HB(off)	TEST_HVA(0x20000000UL + (off) * PG)	/* layout B's host range */

struct scenario {
	const char *name;
	unsigned int nr_a, nr_b;
	struct kvm_userspace_memory_region a[4], b[4];
	unsigned int nr_probes;
	u64 probes[6];
};

/* Every scenario lives in its own gfn window and uses its own slot ids. */
static const struct scenario scenarios[] = {
	{
		.name = "delete+create elsewhere",
		.nr_a = 1, .a = { REGION_INIT(SLOT(0, 10), 0, GPA(0x1000), 16 * PG, HA(0)) },
		.nr_b = 1, .b = { REGION_INIT(SLOT(0, 11), 0, GPA(0x1800), 16 * PG, HB(0)) },
		.nr_probes = 4, .probes = { 0x1000, 0x100f, 0x1800, 0x180f },
	},
	{
		.name = "split one into three / merge three into one",
		.nr_a = 1, .a = { REGION_INIT(SLOT(0, 20), 0, GPA(0x2000), 48 * PG, HA(100)) },
		.nr_b = 3, .b = { REGION_INIT(SLOT(0, 21), 0, GPA(0x2000), 16 * PG, HB(100)),
				  REGION_INIT(SLOT(0, 22), 0, GPA(0x2010), 16 * PG, HB(116)),
				  REGION_INIT(SLOT(0, 23), 0, GPA(0x2020), 16 * PG, HB(132)) },
		.nr_probes = 6, .probes = { 0x2000, 0x200f, 0x2010, 0x201f, 0x2020, 0x202f },
	},
	{
		.name = "replace with other backing (PAM flip)",
		.nr_a = 1, .a = { REGION_INIT(SLOT(0, 30), 0, GPA(0x3000), 16 * PG, HA(200)) },
		.nr_b = 1, .b = { REGION_INIT(SLOT(0, 31), 0, GPA(0x3000), 16 * PG, HB(200)) },
		.nr_probes = 2, .probes = { 0x3000, 0x300f },
	},
	{
		.name = "BAR move plus neighbour",
		.nr_a = 2, .a = { REGION_INIT(SLOT(0, 40), 0, GPA(0x4000), 8 * PG, HA(300)),
				  REGION_INIT(SLOT(0, 41), 0, GPA(0x4100), 8 * PG, HA(308)) },
		.nr_b = 2, .b = { REGION_INIT(SLOT(0, 42), 0, GPA(0x4080), 8 * PG, HB(300)),
				  REGION_INIT(SLOT(0, 43), 0, GPA(0x4100), 8 * PG, HB(308)) },
		.nr_probes = 4, .probes = { 0x4000, 0x4080, 0x4100, 0x4107 },
	},
};
#define NR_SCEN	(sizeof(scenarios) / sizeof(scenarios[0]))
#define MAX_PROBES 32

/* Expected host address of a probe in a layout (0: unbacked). */
static unsigned long expected_hva(const struct kvm_userspace_memory_region *r, unsigned int n, u64 gfn)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		u64 base = r[i].guest_phys_addr >> PAGE_SHIFT;

		if (gfn >= base && gfn < base + (r[i].memory_size >> PAGE_SHIFT))
			return r[i].userspace_addr + ((gfn - base) << PAGE_SHIFT);
	}
	return 0;
}

struct probe {
	u64 gfn;
	unsigned int group;
	unsigned long exp[2];	/* layout A, layout B */
};

struct ctx {
	struct kvm_memslot_vm *vm;
	struct probe probes[MAX_PROBES];
	unsigned int nr_probes;
	unsigned int nr_groups;		/* 1: all scenarios flip together */
	int stop;
	/* results */
	unsigned long sets_seen, mixed, transit_seen, odd_sets_seen;
	unsigned long bad_even_transit, bad_invalid;
	unsigned long faults, fault_null_both_backed, fault_wrong, fault_invalid;
	unsigned long seen_layout[2];
	char first_error[256];
};

static void note_error(struct ctx *c, const char *fmt, unsigned long a, unsigned long b)
{
	if (!c->first_error[0])
		snprintf(c->first_error, sizeof(c->first_error), fmt, a, b);
}

static void build_probes(struct ctx *c, unsigned int nr_groups)
{
	unsigned int s, p;

	c->nr_probes = 0;
	c->nr_groups = nr_groups;
	for (s = 0; s < NR_SCEN; s++) {
		const struct scenario *sc = &scenarios[s];

		for (p = 0; p < sc->nr_probes; p++) {
			struct probe *pr = &c->probes[c->nr_probes++];

			pr->gfn = sc->probes[p];
			pr->group = nr_groups == 1 ? 0 : s;
			pr->exp[0] = expected_hva(sc->a, sc->nr_a, pr->gfn);
			pr->exp[1] = expected_hva(sc->b, sc->nr_b, pr->gfn);
		}
	}
}

/* Reader 1: look up every probe in one set pointer, check consistency. */
static void *set_reader(void *p)
{
	struct ctx *c = p;

	while (!__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST)) {
		unsigned long obs[MAX_PROBES];
		bool transit[MAX_PROBES];
		struct kvm_memslots *set;
		unsigned int i, g;
		bool odd;
		int idx;

		idx = srcu_read_lock(&c->vm->srcu);
		set = kvm_memslots_get(c->vm, 0);
		odd = kvm_memslots_in_update(set);
		for (i = 0; i < c->nr_probes; i++) {
			struct kvm_memory_slot *slot = kvm_memslot_find_gfn(set, c->probes[i].gfn);

			transit[i] = kvm_memslot_gfn_in_transition(set, c->probes[i].gfn);
			obs[i] = slot ? kvm_memslot_gfn_to_hva(slot, c->probes[i].gfn) : 0;
			if (slot && kvm_memslot_is_invalid(slot) && !transit[i]) {
				c->bad_invalid++;
				note_error(c, "INVALID slot at gfn %#lx not reported in transition (gen %lu)",
					   c->probes[i].gfn, set->generation);
			}
		}
		srcu_read_unlock(&c->vm->srcu, idx);

		c->sets_seen++;
		c->odd_sets_seen += odd;
		for (g = 0; g < c->nr_groups; g++) {
			bool can[2] = { true, true };
			unsigned int checked = 0;

			for (i = 0; i < c->nr_probes; i++) {
				if (c->probes[i].group != g)
					continue;
				if (transit[i]) {
					c->transit_seen++;
					if (!odd) {
						c->bad_even_transit++;
						note_error(c, "gfn %#lx in transition in an even set (%lu)",
							   c->probes[i].gfn, 0);
					}
					continue;
				}
				checked++;
				can[0] &= obs[i] == c->probes[i].exp[0];
				can[1] &= obs[i] == c->probes[i].exp[1];
			}
			if (!checked)
				continue;
			if (!can[0] && !can[1]) {
				c->mixed++;
				note_error(c, "mixed layout in group %lu (set generation parity %lu)", g, odd);
			} else if (can[0] != can[1]) {
				c->seen_layout[can[1]]++;
			}
		}
	}
	return NULL;
}

/* Reader 2: fault lookups on every probe; must never see a half layout. */
static void *fault_reader(void *p)
{
	struct ctx *c = p;
	struct kvm_memslot_hint hint = { 0 };
	unsigned int i = 0;

	while (!__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST)) {
		const struct probe *pr = &c->probes[i++ % c->nr_probes];
		struct kvm_memory_slot *slot;
		unsigned long hva;
		int idx;

		slot = kvm_memslot_fault_lookup(c->vm, 0, pr->gfn, &hint, &idx);
		hva = slot ? kvm_memslot_gfn_to_hva(slot, pr->gfn) : 0;
		if (slot && kvm_memslot_is_invalid(slot))
			c->fault_invalid++;
		srcu_read_unlock(&c->vm->srcu, idx);
		c->faults++;
		if (!slot && pr->exp[0] && pr->exp[1]) {
			c->fault_null_both_backed++;
			note_error(c, "fault lookup reported no slot for gfn %#lx, backed in both layouts (%lu)",
				   pr->gfn, 0);
		} else if (hva != pr->exp[0] && hva != pr->exp[1]) {
			c->fault_wrong++;
			note_error(c, "fault lookup for gfn %#lx gave hva %#lx, in neither layout",
				   pr->gfn, hva);
		}
	}
	return NULL;
}

/* The batch that turns scenario @s from layout @from into the other one. */
static unsigned int flip_batch(unsigned int s, int from, struct kvm_userspace_memory_region *out)
{
	const struct scenario *sc = &scenarios[s];
	const struct kvm_userspace_memory_region *del = from ? sc->b : sc->a;
	const struct kvm_userspace_memory_region *add = from ? sc->a : sc->b;
	unsigned int nd = from ? sc->nr_b : sc->nr_a, na = from ? sc->nr_a : sc->nr_b;
	unsigned int i, n = 0;

	for (i = 0; i < nd; i++) {
		out[n] = del[i];
		out[n].memory_size = 0;
		n++;
	}
	for (i = 0; i < na; i++)
		out[n++] = add[i];
	return n;
}

static void run(unsigned int nr_groups, unsigned int flips)
{
	struct ctx *c = calloc(1, sizeof(*c));
	int layout[NR_SCEN] = { 0 };
	pthread_t readers[3];
	unsigned int s, i, n;
	uint64_t seed = 0x1234 + nr_groups;

	c->vm = tvm_create(&test_ops_x86, NULL);
	for (s = 0; s < NR_SCEN; s++)
		for (i = 0; i < scenarios[s].nr_a; i++)
			assert_int_equal(kvm_memslot_set_user_region(c->vm, &scenarios[s].a[i]), 0);
	build_probes(c, nr_groups);

	assert_int_equal(harness_thread_start(&readers[0], set_reader, c), 0);
	assert_int_equal(harness_thread_start(&readers[1], set_reader, c), 0);
	assert_int_equal(harness_thread_start(&readers[2], fault_reader, c), 0);

	for (i = 0; i < flips; i++) {
		struct kvm_userspace_memory_region batch[4 * 8 * NR_SCEN];
		unsigned int failed = 0;
		int r;

		n = 0;
		if (nr_groups == 1) {
			/* everything flips in one batch */
			for (s = 0; s < NR_SCEN; s++) {
				n += flip_batch(s, layout[s], batch + n);
				layout[s] ^= 1;
			}
		} else {
			s = harness_rand(&seed) % NR_SCEN;
			n = flip_batch(s, layout[s], batch);
			layout[s] ^= 1;
		}
		r = kvm_memslot_set_regions(c->vm, batch, n, &failed);
		if (r) {
			__atomic_store_n(&c->stop, 1, __ATOMIC_SEQ_CST);
			fail_msg("flip %u failed: %d at entry %u", i, r, failed);
		}
	}
	__atomic_store_n(&c->stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 3; i++)
		pthread_join(readers[i], NULL);

	print_message("flips %u: %lu sets seen (%lu mid-update), %lu probes in transition, "
		      "layout A %lu / B %lu, %lu fault lookups, %lu transition waits\n",
		      flips, c->sets_seen, c->odd_sets_seen, c->transit_seen,
		      c->seen_layout[0], c->seen_layout[1], c->faults,
		      (unsigned long)atomic64_read(&c->vm->transit_waits));
	if (c->first_error[0])
		print_message("first error: %s\n", c->first_error);
	assert_int_equal(c->mixed, 0);
	assert_int_equal(c->bad_invalid, 0);
	assert_int_equal(c->bad_even_transit, 0);
	assert_int_equal(c->fault_null_both_backed, 0);
	assert_int_equal(c->fault_wrong, 0);
	assert_int_equal(c->fault_invalid, 0);
	assert_true(c->sets_seen > 0);
	assert_true(c->faults > 0);
	tvm_destroy(c->vm);
	free(c);
}

static unsigned int nr_flips(void)
{
	const char *e = getenv("ATOMICITY_FLIPS");

	return e ? (unsigned int)atoi(e) : 2000;
}

static void all_scenarios_flip_in_one_batch(void **state) { run(1, nr_flips()); }
static void scenarios_flip_independently(void **state) { run(NR_SCEN, nr_flips()); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_scenarios_flip_in_one_batch),
		cmocka_unit_test(scenarios_flip_independently),
	};

	return cmocka_run_group_tests_name("atomicity", tests, NULL, NULL);
}
