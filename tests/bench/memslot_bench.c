// SPDX-License-Identifier: GPL-2.0-only
/*
 * Memslot benchmark (userspace harness): update latency (create, delete,
 * move, dirty logging on and off) and lookup latency (find_gfn random,
 * find_gfn with a hint, find_id, hva range walk) against the number of
 * slots.  Prints ns/op and the cost ratio between 32764 and 64 slots;
 * never asserts on time.
 *
 *   memslot_bench [--short]
 *   memslot_bench --lookups [ROUNDS]
 *
 * Updates run against a backend whose hooks do nothing, so the figures are
 * the core's own cost, grace periods (delete, move) included.
 *
 * Lookups (by gfn, by id, by host range) are timed twice.  "hot" draws
 * the targets from 64 slots spread over the whole set, the working set of a
 * real guest, and measures the tree walk itself.  "all" draws them from
 * every slot, so at 32764 slots most tree levels miss the CPU caches and
 * the figure measures the memory hierarchy as much as the tree.  Each
 * lookup figure is the fastest of LOOKUP_REPS rounds.
 *
 * --lookups times the lookups of a 32764-slot set only, in many short
 * rounds (SHORT_ROUND lookups, about a millisecond): on a shared host a
 * round of the full run lasts tens of milliseconds and is rarely left
 * alone, so its fastest round still includes other tasks.  It prints the
 * fastest round, the tenth percentile and the median of each column.
 *
 * A second table counts the allocations and frees of each kind of update
 * (everything it allocates, and everything it replaced, freed after its
 * grace period): under KASAN and kmemleak their number, more than their
 * size, is what an update costs.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include "harness.h"

#define PG		PAGE_SIZE
#define SLOT_PAGES	16
#define SLOT_STRIDE	32		/* gfns between slot starts */
#define HVA_BASE	0x100000000000UL
#define FAR_GFN		BIT_ULL(30)	/* where moved slots go */

static int nop_prepare(struct kvm_memslot_vm *vm, const struct kvm_memory_slot *old,
		       struct kvm_memory_slot *new, enum kvm_memslot_change change)
{
	return 0;
}

static const struct kvm_memslot_ops bench_ops = {
	.name = "bench",
	.nr_address_spaces = 2,
	.nr_user_slots = 32764,
	.readonly_mem = true,
	.page_shift = PAGE_SHIFT,
	.prepare_memory_region = nop_prepare,
};

enum {
	C_CREATE, C_DELETE, C_MOVE, C_LOG_ON, C_LOG_OFF,
	C_GFN_HOT, C_ID_HOT, C_HVA_HOT, C_HINT,
	C_GFN_ALL, C_ID_ALL, C_HVA_ALL,
	NR_COLS
};

static const char *const col_names[NR_COLS] = {
	"create", "delete", "move", "log on", "log off",
	"gfn/hot", "id/hot", "hva/hot", "gfn+hint",
	"gfn/all", "id/all", "hva/all",
};

/* Allocations and frees per update, for the update columns above. */
enum { A_CREATE, A_DELETE, A_MOVE, A_FLAGS, NR_ACOLS };
static const char *const acol_names[NR_ACOLS] = {
	"create", "delete", "move", "flags",
};
struct alloc_count {
	double allocs[NR_ACOLS];
	double frees[NR_ACOLS];
};

static int set(struct kvm_memslot_vm *vm, u32 slot, u32 flags, u64 gfn, u64 npages)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gfn << PAGE_SHIFT,
		.memory_size = npages * PG,
		.userspace_addr = HVA_BASE + (u64)(slot & 0xffff) * SLOT_PAGES * PG,
	};
	int ret = kvm_memslot_set_user_region(vm, &r);

	if (ret) {
		fprintf(stderr, "bench: update of slot %u failed: %d\n", slot, ret);
		exit(1);
	}
	return ret;
}

static int count_cb(struct kvm_memory_slot *s, void *data)
{
	(*(unsigned long *)data)++;
	return 0;
}

static unsigned long sink;

/*
 * Lookups are timed in LOOKUP_REPS rounds and the fastest round counts:
 * the machine may be shared, and a round that was preempted or shared its
 * core measures the neighbour, not the tree.
 */
#define LOOKUP_REPS	5

static void keep_min(double *out, unsigned int rep, double v)
{
	if (!rep || v < *out)
		*out = v;
}

/*
 * Count what @iters updates of one kind allocate, and what is freed once
 * their deferred reclaim has run; the work queue is drained around each
 * update so that no other update's reclaim is counted.
 */
static void count_updates(struct kvm_memslot_vm *vm, int col, unsigned int iters,
			  unsigned int spare, unsigned int mid, struct alloc_count *ac)
{
	unsigned long allocs = 0, frees = 0, a0;
	unsigned int i;
	long l0;

	for (i = 0; i < iters; i++) {
		/* Undo the previous step first, uncounted. */
		if (col == A_DELETE)
			set(vm, spare, 0, (u64)spare * SLOT_STRIDE, SLOT_PAGES);
		if (col == A_CREATE)
			set(vm, spare, 0, 0, 0);
		harness_quiesce();
		a0 = harness_alloc_total;
		l0 = harness_alloc_live;
		switch (col) {
		case A_CREATE:
			set(vm, spare, 0, (u64)spare * SLOT_STRIDE, SLOT_PAGES);
			break;
		case A_DELETE:
			set(vm, spare, 0, 0, 0);
			break;
		case A_MOVE:
			set(vm, mid, 0, (i & 1) ? (u64)mid * SLOT_STRIDE : FAR_GFN, SLOT_PAGES);
			break;
		case A_FLAGS:
			set(vm, mid, (i & 1) ? 0 : KVM_MEM_LOG_DIRTY_PAGES,
			    (u64)mid * SLOT_STRIDE, SLOT_PAGES);
			break;
		}
		harness_quiesce();
		allocs += harness_alloc_total - a0;
		frees += (harness_alloc_total - a0) - (harness_alloc_live - l0);
	}
	ac->allocs[col] = (double)allocs / iters;
	ac->frees[col] = (double)frees / iters;
}

/*
 * One update, as long as its caller waits: its synchronous grace periods
 * included, the deferred reclaim of this and earlier updates not.  That
 * reclaim runs on the work queue's thread, which would otherwise share
 * the core (or the allocator's lock) with the update, or interrupt it
 * with the barrier of its grace period, so that a random part of the
 * times measured the reclaim instead of the update.
 */
static double timed_set(struct kvm_memslot_vm *vm, u16 id, u32 flags,
			u64 gfn, u64 npages)
{
	unsigned long t0, t1;

	harness_quiesce();
	harness_workqueue_hold(true);
	t0 = harness_now_ns();
	set(vm, id, flags, gfn, npages);
	t1 = harness_now_ns();
	harness_workqueue_hold(false);
	return t1 - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The median of per-update times: on a shared machine an update now and
 * then waits for an interrupt or an unrelated task, and a mean would
 * report those waits more than the update.
 */
static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void bench_one(unsigned int n, unsigned int upd_iters, unsigned int lookup_iters,
		      double *out, struct alloc_count *ac)
{
	struct kvm_memslot_vm *vm = calloc(1, sizeof(*vm));
	struct kvm_memslot_hint hint = { 0 };
	double *t[C_LOG_OFF + 1];
	unsigned int i, spare = n - 1, mid = (n - 1) / 2;
	unsigned long seed = n, t0;
	unsigned long acc = 0;
	int idx;

	if (kvm_memslot_vm_init(vm, &bench_ops, NULL))
		exit(1);
	for (i = C_CREATE; i <= C_LOG_OFF; i++) {
		t[i] = calloc(upd_iters, sizeof(*t[i]));
		if (!t[i])
			exit(1);
	}
	/* n - 1 resident slots; slot n - 1 is created and deleted to time updates */
	for (i = 0; i + 1 < n; i++)
		set(vm, i, 0, (u64)i * SLOT_STRIDE, SLOT_PAGES);

	/* create / delete of the spare id: the set size alternates n-1 / n */
	for (i = 0; i < upd_iters; i++) {
		t[C_CREATE][i] = timed_set(vm, spare, 0, (u64)spare * SLOT_STRIDE,
					   SLOT_PAGES);
		t[C_DELETE][i] = timed_set(vm, spare, 0, 0, 0);
	}
	set(vm, spare, 0, (u64)spare * SLOT_STRIDE, SLOT_PAGES);

	/* move a slot from the middle out and back */
	for (i = 0; i < upd_iters; i++)
		t[C_MOVE][i] = timed_set(vm, mid, 0,
					 (i & 1) ? (u64)mid * SLOT_STRIDE : FAR_GFN,
					 SLOT_PAGES);
	if (upd_iters & 1)
		set(vm, mid, 0, (u64)mid * SLOT_STRIDE, SLOT_PAGES);

	/*
	 * Dirty logging on, which waits for a grace period, and off, which
	 * does not: timed apart, since the median of a mix of the two would
	 * fall on either side from one run to the next.
	 */
	for (i = 0; i < upd_iters / 2; i++) {
		t[C_LOG_ON][i] = timed_set(vm, mid, KVM_MEM_LOG_DIRTY_PAGES,
					   (u64)mid * SLOT_STRIDE, SLOT_PAGES);
		t[C_LOG_OFF][i] = timed_set(vm, mid, 0, (u64)mid * SLOT_STRIDE,
					    SLOT_PAGES);
	}
	for (i = C_CREATE; i <= C_MOVE; i++)
		out[i] = median(t[i], upd_iters);
	out[C_LOG_ON] = median(t[C_LOG_ON], upd_iters / 2);
	out[C_LOG_OFF] = median(t[C_LOG_OFF], upd_iters / 2);

	/* Even counts: every slot is back where it was afterwards. */
	count_updates(vm, A_CREATE, 16, spare, mid, ac);
	count_updates(vm, A_MOVE, 16, spare, mid, ac);
	count_updates(vm, A_FLAGS, 16, spare, mid, ac);
	count_updates(vm, A_DELETE, 16, spare, mid, ac);
	set(vm, spare, 0, (u64)spare * SLOT_STRIDE, SLOT_PAGES);

	idx = srcu_read_lock(&vm->srcu);
	{
		struct kvm_memslots *slots = kvm_memslots_get(vm, 0);
		u64 *gfns = malloc(sizeof(*gfns) * 4096);
		u16 *ids = malloc(sizeof(*ids) * 4096);
		unsigned long *hvas = malloc(sizeof(*hvas) * 4096);
		unsigned int rep, reps_iters = lookup_iters / LOOKUP_REPS;
		int hot;

		for (hot = 1; hot >= 0; hot--) {
			/* Every slot, or 64 slots spread evenly over the set. */
			unsigned int stride = hot && n >= 64 ? n / 64 : 1;
			unsigned int nr = hot && n >= 64 ? 64 : n;

			for (i = 0; i < 4096; i++) {
				u64 s = harness_rand(&seed) % nr * stride;

				gfns[i] = s * SLOT_STRIDE + harness_rand(&seed) % SLOT_PAGES;
				ids[i] = s;
				hvas[i] = HVA_BASE + (s * SLOT_PAGES +
						      harness_rand(&seed) % SLOT_PAGES) * PG;
			}

			for (rep = 0; rep < LOOKUP_REPS; rep++) {
				t0 = harness_now_ns();
				for (i = 0; i < reps_iters; i++)
					acc += (unsigned long)kvm_memslot_find_gfn(slots,
										   gfns[i & 4095]);
				keep_min(&out[hot ? C_GFN_HOT : C_GFN_ALL], rep,
					 (double)(harness_now_ns() - t0) / reps_iters);

				t0 = harness_now_ns();
				for (i = 0; i < reps_iters; i++)
					acc += (unsigned long)kvm_memslot_find_id(vm, 0,
										  ids[i & 4095]);
				keep_min(&out[hot ? C_ID_HOT : C_ID_ALL], rep,
					 (double)(harness_now_ns() - t0) / reps_iters);

				/* 16-page host ranges: one or two slots each */
				t0 = harness_now_ns();
				for (i = 0; i < reps_iters / 4; i++)
					kvm_memslot_visit_hva(slots, hvas[i & 4095],
							      hvas[i & 4095] + 16 * PG,
							      count_cb, &acc);
				keep_min(&out[hot ? C_HVA_HOT : C_HVA_ALL], rep,
					 (double)(harness_now_ns() - t0) / (reps_iters / 4));
			}
		}

		/* a vCPU touching consecutive pages: mostly hint hits */
		for (rep = 0; rep < LOOKUP_REPS; rep++) {
			t0 = harness_now_ns();
			for (i = 0; i < reps_iters; i++)
				acc += (unsigned long)kvm_memslot_find_gfn_hint(slots,
						gfns[(i / 64) & 4095] / SLOT_STRIDE * SLOT_STRIDE +
						(i % SLOT_PAGES), &hint);
			keep_min(&out[C_HINT], rep,
				 (double)(harness_now_ns() - t0) / reps_iters);
		}

		free(gfns);
		free(ids);
		free(hvas);
	}
	srcu_read_unlock(&vm->srcu, idx);
	WRITE_ONCE(sink, acc);

	kvm_memslot_vm_destroy(vm);
	free(vm);
	for (i = C_CREATE; i <= C_LOG_OFF; i++)
		free(t[i]);
}

#define SHORT_ROUND	40000
#define SHORT_SLOTS	32764

enum { L_GFN_ALL, L_GFN_HOT, L_HINT, L_ID_ALL, NR_LCOLS };
static const char *const lcol_names[NR_LCOLS] = {
	"gfn/all", "gfn/hot", "gfn+hint", "id/all",
};

/* The lookup loops of bench_one(), SHORT_ROUND lookups a round. */
static void lookup_rounds(unsigned int rounds)
{
	struct kvm_memslot_vm *vm = calloc(1, sizeof(*vm));
	static const char *const row[] = { "fastest", "p10", "median" };
	const unsigned int at[] = { 0, rounds / 10, rounds / 2 };
	struct kvm_memslot_hint hint = { 0 };
	unsigned long seed = SHORT_SLOTS, acc = 0, t0;
	u64 *gfns = malloc(sizeof(*gfns) * 4096);
	u16 *ids = malloc(sizeof(*ids) * 4096);
	double *t[NR_LCOLS];
	struct kvm_memslots *slots;
	unsigned int i, r, c, hot;
	int idx;

	if (!vm || !gfns || !ids || kvm_memslot_vm_init(vm, &bench_ops, NULL))
		exit(1);
	for (c = 0; c < NR_LCOLS; c++) {
		t[c] = calloc(rounds, sizeof(*t[c]));
		if (!t[c])
			exit(1);
	}
	for (i = 0; i < SHORT_SLOTS; i++)
		set(vm, i, 0, (u64)i * SLOT_STRIDE, SLOT_PAGES);
	harness_quiesce();

	idx = srcu_read_lock(&vm->srcu);
	slots = kvm_memslots_get(vm, 0);
	for (r = 0; r < rounds; r++) {
		for (hot = 0; hot < 2; hot++) {
			unsigned int stride = hot ? SHORT_SLOTS / 64 : 1;
			unsigned int nr = hot ? 64 : SHORT_SLOTS;

			for (i = 0; i < 4096; i++) {
				u64 s = harness_rand(&seed) % nr * stride;

				gfns[i] = s * SLOT_STRIDE + harness_rand(&seed) % SLOT_PAGES;
				ids[i] = s;
			}
			t0 = harness_now_ns();
			for (i = 0; i < SHORT_ROUND; i++)
				acc += (unsigned long)kvm_memslot_find_gfn(slots,
									   gfns[i & 4095]);
			t[hot ? L_GFN_HOT : L_GFN_ALL][r] =
				(double)(harness_now_ns() - t0) / SHORT_ROUND;
			if (hot)
				continue;
			t0 = harness_now_ns();
			for (i = 0; i < SHORT_ROUND; i++)
				acc += (unsigned long)kvm_memslot_find_id(vm, 0,
									  ids[i & 4095]);
			t[L_ID_ALL][r] = (double)(harness_now_ns() - t0) / SHORT_ROUND;
		}
		/* as in bench_one(): runs of 64 lookups in one slot */
		t0 = harness_now_ns();
		for (i = 0; i < SHORT_ROUND; i++)
			acc += (unsigned long)kvm_memslot_find_gfn_hint(slots,
					gfns[(i / 64) & 4095] / SLOT_STRIDE * SLOT_STRIDE +
					(i % SLOT_PAGES), &hint);
		t[L_HINT][r] = (double)(harness_now_ns() - t0) / SHORT_ROUND;
	}
	srcu_read_unlock(&vm->srcu, idx);
	WRITE_ONCE(sink, acc);

	for (c = 0; c < NR_LCOLS; c++)
		qsort(t[c], rounds, sizeof(*t[c]), cmp_double);
	printf("memslot lookups, %u slots: ns per lookup over %u rounds of %u\n",
	       SHORT_SLOTS, rounds, SHORT_ROUND);
	printf("%8s", "");
	for (c = 0; c < NR_LCOLS; c++)
		printf(" %9s", lcol_names[c]);
	printf("\n");
	for (i = 0; i < ARRAY_SIZE(row); i++) {
		printf("%8s", row[i]);
		for (c = 0; c < NR_LCOLS; c++)
			printf(" %9.1f", t[c][at[i]]);
		printf("\n");
	}

	kvm_memslot_vm_destroy(vm);
	free(vm);
	free(gfns);
	free(ids);
	for (c = 0; c < NR_LCOLS; c++)
		free(t[c]);
}

int main(int argc, char **argv)
{
	static const unsigned int sizes[] = { 1, 64, 512, 4096, 32764 };
	const unsigned int nr_sizes = ARRAY_SIZE(sizes);
	bool short_mode = argc > 1 && !strcmp(argv[1], "--short");
	unsigned int upd_iters = short_mode ? 40 : 400;
	unsigned int lookup_iters = short_mode ? 200000 : 4000000;
	double res[5][NR_COLS];
	struct alloc_count ac[5];
	unsigned int s, c;

	/*
	 * Slab caches keep their pages when objects are freed; glibc would
	 * give the top of the heap back on a free and take it again, page
	 * fault by page fault, in a later update's allocations.
	 */
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 64 << 20);
	harness_rcu_register_thread();
	if (argc > 1 && !strcmp(argv[1], "--lookups")) {
		lookup_rounds(argc > 2 ? max(atoi(argv[2]), 10) : 150);
		harness_quiesce();
		harness_rcu_unregister_thread();
		return 0;
	}
	printf("memslot benchmark (%s): ns per operation; updates: medians, with grace periods\n",
	       short_mode ? "short" : "full");
	printf("%8s", "slots");
	for (c = 0; c < NR_COLS; c++)
		printf(" %9s", col_names[c]);
	printf("\n");
	for (s = 0; s < nr_sizes; s++) {
		bench_one(sizes[s], upd_iters, lookup_iters, res[s], &ac[s]);
		printf("%8u", sizes[s]);
		/* Lookups take a few ns: whole ns would hide a third of one. */
		for (c = 0; c < NR_COLS; c++)
			printf(c < C_GFN_HOT ? " %9.0f" : " %9.1f", res[s][c]);
		printf("\n");
		fflush(stdout);
	}
	printf("%8s", "32764/64");
	for (c = 0; c < NR_COLS; c++)
		printf(" %8.2fx", res[1][c] > 0 ? res[4][c] / res[1][c] : 0.0);
	printf("\n");

	printf("\nallocations / frees per update (frees after the grace period)\n");
	printf("%8s", "slots");
	for (c = 0; c < NR_ACOLS; c++)
		printf(" %13s", acol_names[c]);
	printf("\n");
	for (s = 0; s < nr_sizes; s++) {
		printf("%8u", sizes[s]);
		for (c = 0; c < NR_ACOLS; c++)
			printf(" %6.1f/%6.1f", ac[s].allocs[c], ac[s].frees[c]);
		printf("\n");
	}
	harness_quiesce();
	harness_rcu_unregister_thread();
	return 0;
}
