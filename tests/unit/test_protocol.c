// SPDX-License-Identifier: GPL-2.0-only
/*
 * The update protocol, step by step, through a recording fake backend
 * (see DESIGN.md "Update protocol" and "Hook contract"):
 *
 *   CREATE:     prepare -> publish -> commit; no grace period
 *   DELETE/MOVE: publish INVALID (odd gen) -> grace period -> flush_memslot
 *               -> prepare -> publish final (even gen) -> commit; one GP
 *   FLAGS_ONLY: prepare -> publish -> [GP if enabling logging] -> commit
 *   batch:      one INVALID publish, one GP, all flushes, all prepares,
 *               one final publish, all commits (+1 GP if logging enabled)
 *
 * Each hook event records the protocol counters and the state of the
 * published set, so swapping prepare and flush_memslot, or publishing the
 * final set before the flush, fails these tests.  Also: failing prepares
 * change nothing, faults wait (never "no slot") for gfns in transition,
 * and replaced memory outlives the readers that can see it.  Updates
 * against MMU-notifier invalidations: test_mmu_notifier.c.
 */
#include <stdlib.h>
#include <string.h>

/* Runs on the 4 KiB and the 64 KiB fake backend. */
#define TEST_PAGE_SIZE_FOLLOWS_VM
#include "common.h"
#include "fake_backend.h"
#include "../../virt/kvm/memslot_tree.h"

#define HVA_A	TEST_HVA(0x000000)
#define HVA_B	TEST_HVA(0x100000)
#define HVA_C	TEST_HVA(0x200000)
#define HVA_D	TEST_HVA(0x300000)

struct pfix {
	struct fake_backend fb;
	struct kvm_memslot_vm *vm;
	/* protocol counters when the update under test started */
	u64 pub0, gp0, hgp0, gen0;
	/* filtered event sequence (no EV_FREE, which runs asynchronously) */
	struct fake_event ev[64];
	unsigned int nr;
};

/* The backend the tests run on: each group sets it. */
static const struct kvm_memslot_ops *protocol_ops = &test_ops_x86;

/*
 * Baseline: AS0 slot 0 gfn 0x100+16 (hva A), slot 1 gfn 0x200+16 (hva B),
 * slot 2 gfn 0x300+16 (hva C, dirty logging on).
 */
static int setup(void **state)
{
	struct pfix *f = calloc(1, sizeof(*f));

	f->vm = fake_vm_create(&f->fb, protocol_ops);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 0), 0, GPA(0x100), 16 * PG, HVA_A), 0);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 1), 0, GPA(0x200), 16 * PG, HVA_B), 0);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 2), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x300), 16 * PG, HVA_C), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct pfix *f = *state;

	/* A test that failed while it held the work must not hang the rest. */
	harness_workqueue_hold(false);
	fake_vm_destroy(&f->fb);
	free(f);
	return 0;
}

#define F(state) ((struct pfix *)*(state))

static void begin(struct pfix *f)
{
	/* let earlier deferred frees finish so they do not interleave */
	harness_quiesce();
	fake_reset_events(&f->fb);
	f->pub0 = f->vm->stats.publishes;
	f->gp0 = f->vm->stats.grace_periods;
	f->hgp0 = __atomic_load_n(&harness_grace_periods, __ATOMIC_SEQ_CST);
	f->gen0 = f->vm->generation;
}

static void end(struct pfix *f)
{
	unsigned int i;

	f->nr = 0;
	pthread_mutex_lock(&f->fb.lock);
	for (i = 0; i < f->fb.nr_ev; i++) {
		if (f->fb.ev[i].type == EV_FREE)
			continue;
		assert_true(f->nr < 64);
		f->ev[f->nr++] = f->fb.ev[i];
	}
	pthread_mutex_unlock(&f->fb.lock);
}

/* Assert the filtered sequence is exactly @types. */
static void expect_seq(struct pfix *f, const enum fake_ev_type *types, unsigned int n)
{
	static const char *const names[] = { "prepare", "flush", "commit", "free", "GP",
					     "flush_all", "unmap" };
	unsigned int i;

	if (f->nr != n)
		goto mismatch;
	for (i = 0; i < n; i++)
		if (f->ev[i].type != types[i])
			goto mismatch;
	return;
mismatch:
	fprintf(stderr, "expected:");
	for (i = 0; i < n; i++)
		fprintf(stderr, " %s", names[types[i]]);
	fprintf(stderr, "\nrecorded:\n");
	fake_dump(&f->fb);
	fail_msg("hook sequence differs from the protocol");
}
#define EXPECT_SEQ(f, ...) do {						\
	const enum fake_ev_type __t[] = { __VA_ARGS__ };		\
	expect_seq(f, __t, sizeof(__t) / sizeof(__t[0]));		\
} while (0)

static void expect_gps(struct pfix *f, unsigned int n)
{
	assert_int_equal(f->vm->stats.grace_periods - f->gp0, n);
	assert_int_equal(__atomic_load_n(&harness_grace_periods, __ATOMIC_SEQ_CST) - f->hgp0, n);
}

/* Event state: before any publish of this update. */
static void expect_unpublished(struct pfix *f, const struct fake_event *e)
{
	assert_int_equal(e->publishes, f->pub0);
	assert_int_equal(e->generation, f->gen0);
	assert_false(e->in_update);
}

/* Event state: the in-transition set is published, the final one not yet. */
static void expect_in_transition(struct pfix *f, const struct fake_event *e)
{
	assert_int_equal(e->publishes, f->pub0 + 1);
	assert_true(e->in_update);
	assert_true(e->generation & 1);
	assert_true(e->generation > f->gen0);
}

/* Event state: the final set is published. */
static void expect_final(struct pfix *f, const struct fake_event *e, unsigned int publishes)
{
	assert_int_equal(e->publishes, f->pub0 + publishes);
	assert_false(e->in_update);
	assert_false(e->generation & 1);
	assert_true(e->generation > f->gen0);
}

/* ---- single changes ---- */

static void create_protocol(void **state)
{
	struct pfix *f = F(state);

	begin(f);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 9), 0, GPA(0x1000), PG, HVA_D), 0);
	end(f);
	EXPECT_SEQ(f, EV_PREPARE, EV_COMMIT);
	assert_int_equal(f->ev[0].change, KVM_MEMSLOT_CREATE);
	assert_null(f->ev[0].old);
	expect_unpublished(f, &f->ev[0]);
	assert_int_equal(f->ev[0].grace_periods, f->gp0);
	assert_int_equal(f->ev[1].change, KVM_MEMSLOT_CREATE);
	expect_final(f, &f->ev[1], 1);
	assert_non_null(f->ev[1].new_arch);	/* what prepare allocated reaches commit */
	expect_gps(f, 0);
	assert_int_equal(f->vm->stats.publishes, f->pub0 + 1);
}

static void delete_protocol(void **state)
{
	struct pfix *f = F(state);

	f->fb.nr_probes = 2;
	f->fb.probe_gfn[0] = 0x205;	/* in the deleted slot */
	f->fb.probe_gfn[1] = 0x105;	/* in an untouched slot */
	begin(f);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 1), 0, 0, 0, 0), 0);
	end(f);
	EXPECT_SEQ(f, EV_GP, EV_FLUSH, EV_PREPARE, EV_COMMIT);
	/* the GP came after the INVALID publish */
	expect_in_transition(f, &f->ev[0]);
	/* flush: after INVALID publish + GP, before the final publish */
	expect_in_transition(f, &f->ev[1]);
	assert_int_equal(f->ev[1].id, 1);
	assert_int_equal(f->ev[1].old_base_gfn, 0x200);
	assert_true(f->ev[1].old_id_invalid);
	assert_int_equal(f->ev[1].grace_periods, f->gp0 + 1);
	assert_int_equal(f->ev[1].harness_gps, f->hgp0 + 1);
	assert_true(f->ev[1].probe_in_transition[0]);
	assert_false(f->ev[1].probe_in_transition[1]);
	/* prepare after the flush, still before the final publish */
	assert_int_equal(f->ev[2].change, KVM_MEMSLOT_DELETE);
	expect_in_transition(f, &f->ev[2]);
	/* commit after the final publish */
	assert_int_equal(f->ev[3].change, KVM_MEMSLOT_DELETE);
	assert_null(f->ev[3].new);
	expect_final(f, &f->ev[3], 2);
	assert_false(f->ev[3].old_id_present);
	assert_false(f->ev[3].probe_in_transition[0]);
	assert_null(f->ev[3].probe_slot[0]);
	expect_gps(f, 1);
	assert_int_equal(f->vm->stats.flushes, 1);
	/* the old slot's arch data is freed, asynchronously */
	harness_quiesce();
	assert_int_equal(fake_arch_live(&f->fb), 2);
}

static void move_protocol(void **state)
{
	struct pfix *f = F(state);

	f->fb.nr_probes = 3;
	f->fb.probe_gfn[0] = 0x205;	/* old place */
	f->fb.probe_gfn[1] = 0x805;	/* destination */
	f->fb.probe_gfn[2] = 0x305;	/* untouched slot */
	begin(f);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 1), 0, GPA(0x800), 16 * PG, HVA_B), 0);
	end(f);
	EXPECT_SEQ(f, EV_GP, EV_FLUSH, EV_PREPARE, EV_COMMIT);
	expect_in_transition(f, &f->ev[0]);
	expect_in_transition(f, &f->ev[1]);
	assert_int_equal(f->ev[1].old_base_gfn, 0x200);
	assert_true(f->ev[1].old_id_invalid);
	assert_true(f->ev[1].probe_in_transition[0]);
	assert_true(f->ev[1].probe_in_transition[1]);
	assert_false(f->ev[1].probe_in_transition[2]);
	assert_null(f->ev[1].probe_slot[1]);	/* not mapped yet */
	assert_int_equal(f->ev[2].change, KVM_MEMSLOT_MOVE);
	expect_in_transition(f, &f->ev[2]);
	assert_int_equal(f->ev[2].new_base_gfn, 0x800);
	assert_int_equal(f->ev[3].change, KVM_MEMSLOT_MOVE);
	expect_final(f, &f->ev[3], 2);
	assert_false(f->ev[3].probe_in_transition[0]);
	assert_false(f->ev[3].probe_in_transition[1]);
	assert_null(f->ev[3].probe_slot[0]);
	assert_non_null(f->ev[3].probe_slot[1]);
	assert_int_equal(f->ev[3].probe_slot[1]->id, 1);
	assert_true(f->ev[3].old_id_present && !f->ev[3].old_id_invalid);
	expect_gps(f, 1);
	harness_quiesce();
	assert_int_equal(fake_arch_live(&f->fb), 3);
}

static void flags_enable_dirty_log_protocol(void **state)
{
	struct pfix *f = F(state);

	begin(f);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 0), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x100), 16 * PG, HVA_A), 0);
	end(f);
	EXPECT_SEQ(f, EV_PREPARE, EV_GP, EV_COMMIT);
	assert_int_equal(f->ev[0].change, KVM_MEMSLOT_FLAGS_ONLY);
	expect_unpublished(f, &f->ev[0]);
	assert_ptr_equal(f->ev[0].new_arch, f->ev[0].old_arch);	/* arch data kept */
	expect_final(f, &f->ev[1], 1);			/* GP after the publish */
	assert_int_equal(f->ev[2].change, KVM_MEMSLOT_FLAGS_ONLY);
	expect_final(f, &f->ev[2], 1);
	assert_int_equal(f->ev[2].grace_periods, f->gp0 + 1);	/* commit after the GP */
	assert_int_equal(f->ev[2].new_flags, KVM_MEM_LOG_DIRTY_PAGES);
	expect_gps(f, 1);
	harness_quiesce();
	assert_int_equal(fake_arch_live(&f->fb), 3);
}

static void flags_disable_dirty_log_protocol(void **state)
{
	struct pfix *f = F(state);

	begin(f);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 2), 0, GPA(0x300), 16 * PG, HVA_C), 0);
	end(f);
	EXPECT_SEQ(f, EV_PREPARE, EV_COMMIT);
	expect_unpublished(f, &f->ev[0]);
	expect_final(f, &f->ev[1], 1);
	assert_int_equal(f->ev[1].new_flags, 0);
	expect_gps(f, 0);
}

static void noop_protocol(void **state)
{
	struct pfix *f = F(state);

	begin(f);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 2), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x300), 16 * PG, HVA_C), 0);
	end(f);
	assert_int_equal(f->nr, 0);
	expect_gps(f, 0);
	assert_int_equal(f->vm->stats.publishes, f->pub0);
}

/* ---- batches ---- */

static void batch_protocol(struct pfix *f, bool enable_log)
{
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 0), 0, 0, 0, 0),					/* delete */
		region(SLOT(0, 9), 0, GPA(0x100), 8 * PG, HVA_D),		/* create in its place */
		region(SLOT(0, 1), 0, GPA(0x800), 16 * PG, HVA_B),		/* move */
		enable_log ?
		region(SLOT(0, 9), 0, 0, 0, 0) :				/* placeholder, replaced */
		region(SLOT(0, 2), 0, GPA(0x300), 16 * PG, HVA_C),		/* logging off */
	};
	struct kvm_userspace_memory_region batch[4];
	unsigned int i, first_prepare, last_flush, first_commit, nflush = 0, nprep = 0, ncommit = 0;
	int gp_first = -1, gp_second = -1;

	memcpy(batch, b, sizeof(b));
	if (enable_log) {
		/* turn logging on for slot 2 requires it off first */
		assert_int_equal(tvm_set(f->vm, SLOT(0, 2), 0, GPA(0x300), 16 * PG, HVA_C), 0);
		batch[3] = region(SLOT(0, 2), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x300), 16 * PG, HVA_C);
	}
	f->fb.nr_probes = 3;
	f->fb.probe_gfn[0] = 0x105;	/* deleted, then re-created by slot 9 */
	f->fb.probe_gfn[1] = 0x205;	/* old place of the move */
	f->fb.probe_gfn[2] = 0x805;	/* destination of the move */
	begin(f);
	assert_int_equal(kvm_memslot_set_regions(f->vm, batch, 4, NULL), 0);
	end(f);

	first_prepare = last_flush = first_commit = ~0u;
	for (i = 0; i < f->nr; i++) {
		const struct fake_event *e = &f->ev[i];

		switch (e->type) {
		case EV_GP:
			if (gp_first < 0)
				gp_first = i;
			else if (gp_second < 0)
				gp_second = i;
			else
				fail_msg("more than two grace periods");
			break;
		case EV_FLUSH:
			nflush++;
			last_flush = i;
			expect_in_transition(f, e);
			assert_true(e->old_id_invalid);
			assert_true(e->probe_in_transition[0]);
			assert_true(e->probe_in_transition[1]);
			assert_true(e->probe_in_transition[2]);
			assert_int_equal(e->grace_periods, f->gp0 + 1);
			break;
		case EV_PREPARE:
			nprep++;
			if (first_prepare == ~0u)
				first_prepare = i;
			expect_in_transition(f, e);
			break;
		case EV_COMMIT:
			ncommit++;
			if (first_commit == ~0u)
				first_commit = i;
			expect_final(f, e, 2);
			assert_false(e->probe_in_transition[0]);
			assert_int_equal(e->probe_slot[0]->id, 9);
			assert_null(e->probe_slot[1]);
			assert_int_equal(e->probe_slot[2]->id, 1);
			assert_int_equal(e->grace_periods, f->gp0 + (enable_log ? 2 : 1));
			break;
		default:
			fail_msg("unexpected event %d", e->type);
		}
	}
	if (nflush != 2 || nprep != 4 || ncommit != 4)
		fake_dump(&f->fb);
	assert_int_equal(nflush, 2);	/* the delete and the move */
	assert_int_equal(nprep, 4);
	assert_int_equal(ncommit, 4);
	assert_true(gp_first >= 0 && (unsigned int)gp_first < f->nr);
	assert_true((unsigned int)gp_first < last_flush);
	assert_true(last_flush < first_prepare);
	assert_true(first_prepare < first_commit);
	if (enable_log) {
		assert_true(gp_second >= 0);
		assert_true((unsigned int)gp_second > first_prepare + 3);
		assert_true((unsigned int)gp_second < first_commit);
	} else {
		assert_true(gp_second < 0);
	}
	/* one INVALID publish + one final publish */
	assert_int_equal(f->vm->stats.publishes, f->pub0 + 2);
	expect_gps(f, enable_log ? 2 : 1);
}

static void batch_protocol_logging_off(void **state) { batch_protocol(F(state), false); }
static void batch_protocol_logging_on(void **state) { batch_protocol(F(state), true); }

static void batch_of_creates_needs_no_grace_period(void **state)
{
	struct pfix *f = F(state);
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_D),
		region(SLOT(0, 10), 0, GPA(0x2000), PG, HVA_D),
		/* A second address space if there is one, else one more slot. */
		region(protocol_ops->nr_address_spaces > 1 ? SLOT(1, 9) : SLOT(0, 11),
		       0, GPA(protocol_ops->nr_address_spaces > 1 ? 0x1000 : 0x3000),
		       PG, HVA_D),
	};

	begin(f);
	assert_int_equal(kvm_memslot_set_regions(f->vm, b, 3, NULL), 0);
	end(f);
	EXPECT_SEQ(f, EV_PREPARE, EV_PREPARE, EV_PREPARE, EV_COMMIT, EV_COMMIT, EV_COMMIT);
	expect_gps(f, 0);
	assert_int_equal(f->vm->stats.publishes, f->pub0 + 1);
}

/* ---- failing prepare changes nothing ---- */

static void expect_same_layout(const struct snapshot *a, const struct snapshot *b)
{
	unsigned int as, i;

	for (as = 0; as < KVM_MEMSLOT_MAX_ADDRESS_SPACES; as++) {
		assert_int_equal(a->nr[as], b->nr[as]);
		for (i = 0; i < a->nr[as]; i++)
			assert_memory_equal(&a->slots[as][i], &b->slots[as][i], sizeof(struct snap_slot));
	}
	assert_int_equal(a->nr_memslot_pages, b->nr_memslot_pages);
}

/*
 * @republishes: the failure comes after the in-transition set was
 * published (delete, move), so the old layout is published again under a
 * new generation; otherwise nothing at all may have been published.
 */
static void prepare_fails(struct pfix *f, const struct kvm_userspace_memory_region *b,
			  unsigned int nr, unsigned int fail_nth, bool republishes)
{
	struct snapshot before, after;
	long live;
	unsigned int failed = 99;

	harness_quiesce();
	live = fake_arch_live(&f->fb);
	snap_take(f->vm, &before);
	begin(f);
	f->fb.fail_errno = -ENOSPC;
	f->fb.fail_prepare_nth = fail_nth;
	f->fb.prepare_calls = 0;
	assert_int_equal(kvm_memslot_set_regions(f->vm, b, nr, &failed), -ENOSPC);
	assert_int_equal(f->fb.prepare_calls, fail_nth);
	end(f);
	snap_take(f->vm, &after);
	if (republishes) {
		expect_same_layout(&before, &after);
		assert_true(after.vm_generation > before.vm_generation);
		assert_int_equal(f->vm->stats.publishes, f->pub0 + 2);
	} else {
		snap_assert_same(&before, &after);
		assert_int_equal(f->vm->stats.publishes, f->pub0);
	}
	assert_int_equal(fake_count(&f->fb, EV_COMMIT), 0);
	harness_quiesce();
	/* whatever prepare allocated for the aborted update was freed */
	assert_int_equal(fake_arch_live(&f->fb), live);
	snap_free(&before);
	snap_free(&after);
	tvm_assert_no_warn(f->vm);
	/* and the VM still works: the same update succeeds now */
	assert_int_equal(kvm_memslot_set_regions(f->vm, b, nr, NULL), 0);
}

static void prepare_fails_create(void **state)
{
	const struct kvm_userspace_memory_region b = region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_D);

	prepare_fails(F(state), &b, 1, 1, false);
}

static void prepare_fails_delete(void **state)
{
	const struct kvm_userspace_memory_region b = region(SLOT(0, 0), 0, 0, 0, 0);

	prepare_fails(F(state), &b, 1, 1, true);
}

static void prepare_fails_move(void **state)
{
	const struct kvm_userspace_memory_region b = region(SLOT(0, 0), 0, GPA(0x900), 16 * PG, HVA_A);

	prepare_fails(F(state), &b, 1, 1, true);
}

static void prepare_fails_flags(void **state)
{
	const struct kvm_userspace_memory_region on = region(SLOT(0, 0), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x100), 16 * PG, HVA_A);
	const struct kvm_userspace_memory_region off = region(SLOT(0, 2), 0, GPA(0x300), 16 * PG, HVA_C);

	prepare_fails(F(state), &on, 1, 1, false);
	prepare_fails(F(state), &off, 1, 1, false);
}

static void prepare_fails_second_of_batch_creates(void **state)
{
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_D),		/* prepared: arch allocated */
		region(SLOT(0, 10), 0, GPA(0x2000), PG, HVA_D),		/* fails */
	};

	prepare_fails(F(state), b, 2, 2, false);
}

static void prepare_fails_second_of_batch_move(void **state)
{
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 1), 0, GPA(0x800), 16 * PG, HVA_B),	/* move: arch allocated */
		region(SLOT(0, 9), 0, GPA(0x1000), PG, HVA_D),		/* fails */
		region(SLOT(0, 0), 0, 0, 0, 0),
	};

	prepare_fails(F(state), b, 3, 2, true);
}

static void prepare_fails_last_of_batch(void **state)
{
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 0), 0, 0, 0, 0),
		region(SLOT(0, 9), KVM_MEM_LOG_DIRTY_PAGES, GPA(0x100), 16 * PG, HVA_D),
		region(SLOT(0, 2), 0, GPA(0x300), 16 * PG, HVA_C),
		region(SLOT(0, 1), 0, GPA(0x800), 16 * PG, HVA_B),
	};

	prepare_fails(F(state), b, 4, 4, true);
}

/* ---- readers meeting a transition ---- */

struct reader {
	struct kvm_memslot_vm *vm;
	int as_id;
	u64 gfn;
	pthread_t thread;
	int done;		/* set when fault_lookup returned */
	bool found;
	u16 id;
	u64 base_gfn;
	bool invalid;
};

static void *reader_fn(void *p)
{
	struct reader *r = p;
	struct kvm_memory_slot *slot;
	int idx;

	slot = kvm_memslot_fault_lookup(r->vm, r->as_id, r->gfn, NULL, &idx);
	if (slot) {
		r->found = true;
		r->id = slot->id;
		r->base_gfn = slot->base_gfn;
		r->invalid = kvm_memslot_is_invalid(slot);
	}
	srcu_read_unlock(&r->vm->srcu, idx);
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* How long the readers of a flush_probe may take to block, at most. */
#define READERS_WAIT_MS		10000

struct flush_probe {
	struct reader readers[3];
	unsigned int nr;
	int returned_early;	/* a reader returned while the update was mid-way */
	int started;
};

static void start_readers_in_flush(struct fake_backend *fb, const struct kvm_memory_slot *old)
{
	struct flush_probe *p = fb->data;
	unsigned int i, done, ms;

	if (p->started++)
		return;
	for (i = 0; i < p->nr; i++)
		if (harness_thread_start(&p->readers[i].thread, reader_fn, &p->readers[i]))
			abort();
	/*
	 * The update is stuck here: every reader must end up waiting.  Wait
	 * until each one sleeps or has returned (the bug this looks for),
	 * not for a fixed time that a loaded machine may not give them.
	 */
	for (ms = 0; ms < READERS_WAIT_MS; ms++) {
		for (i = 0, done = 0; i < p->nr; i++)
			done += __atomic_load_n(&p->readers[i].done, __ATOMIC_SEQ_CST);
		if (harness_nr_waiters() + done >= (int)p->nr)
			break;
		harness_sleep_ms(1);
	}
	for (i = 0; i < p->nr; i++)
		if (__atomic_load_n(&p->readers[i].done, __ATOMIC_SEQ_CST))
			p->returned_early++;
}

static void readers_wait_during(struct pfix *f, const struct kvm_userspace_memory_region *b,
				unsigned int nr, struct flush_probe *p)
{
	u64 waits0 = atomic64_read(&f->vm->transit_waits);
	unsigned int i;

	for (i = 0; i < p->nr; i++)
		p->readers[i].vm = f->vm;
	f->fb.data = p;
	f->fb.on_flush = start_readers_in_flush;
	assert_int_equal(kvm_memslot_set_regions(f->vm, b, nr, NULL), 0);
	f->fb.on_flush = NULL;
	for (i = 0; i < p->nr; i++)
		pthread_join(p->readers[i].thread, NULL);
	assert_int_equal(p->started, 1);
	if (p->returned_early)
		fail_msg("%d fault lookup(s) returned while their gfn was in transition "
			 "(must wait for the update)", p->returned_early);
	assert_true(atomic64_read(&f->vm->transit_waits) >= waits0 + p->nr);
	for (i = 0; i < p->nr; i++)
		assert_false(p->readers[i].invalid);
}

static void fault_waits_during_delete(void **state)
{
	struct pfix *f = F(state);
	const struct kvm_userspace_memory_region b = region(SLOT(0, 1), 0, 0, 0, 0);
	struct flush_probe p = { .nr = 1 };

	p.readers[0].gfn = 0x205;
	readers_wait_during(f, &b, 1, &p);
	assert_false(p.readers[0].found);	/* new layout: no slot */
}

static void fault_waits_during_move(void **state)
{
	struct pfix *f = F(state);
	const struct kvm_userspace_memory_region b = region(SLOT(0, 1), 0, GPA(0x800), 16 * PG, HVA_B);
	struct flush_probe p = { .nr = 2 };

	p.readers[0].gfn = 0x205;	/* old place */
	p.readers[1].gfn = 0x805;	/* destination */
	readers_wait_during(f, &b, 1, &p);
	assert_false(p.readers[0].found);
	assert_true(p.readers[1].found);
	assert_int_equal(p.readers[1].id, 1);
	assert_int_equal(p.readers[1].base_gfn, 0x800);
}

static void fault_waits_during_batch_create(void **state)
{
	struct pfix *f = F(state);
	const struct kvm_userspace_memory_region b[] = {
		region(SLOT(0, 0), 0, 0, 0, 0),
		region(SLOT(0, 9), 0, GPA(0x100), 8 * PG, HVA_D),	/* replaces slot 0's head */
		region(SLOT(0, 10), 0, GPA(0x5000), 8 * PG, HVA_D),	/* brand new range */
	};
	struct flush_probe p = { .nr = 3 };

	p.readers[0].gfn = 0x103;
	p.readers[1].gfn = 0x10c;	/* slot 0's tail: unbacked afterwards */
	p.readers[2].gfn = 0x5003;
	readers_wait_during(f, b, 3, &p);
	assert_true(p.readers[0].found);
	assert_int_equal(p.readers[0].id, 9);
	assert_false(p.readers[1].found);
	assert_true(p.readers[2].found);
	assert_int_equal(p.readers[2].id, 10);
}

static void run_reader_in_flush(struct fake_backend *fb, const struct kvm_memory_slot *old)
{
	struct reader *r = fb->data;
	int i;

	if (harness_thread_start(&r->thread, reader_fn, r))
		abort();
	/* the update is mid-way; a gfn it does not touch resolves at once */
	for (i = 0; i < 2000 && !__atomic_load_n(&r->done, __ATOMIC_SEQ_CST); i++)
		harness_sleep_ms(1);
	r->invalid = !__atomic_load_n(&r->done, __ATOMIC_SEQ_CST);	/* "still blocked" */
}

static void fault_on_untouched_slot_does_not_wait(void **state)
{
	struct pfix *f = F(state);
	struct reader r = { .vm = f->vm, .gfn = 0x305 };
	const struct kvm_userspace_memory_region b = region(SLOT(0, 1), 0, 0, 0, 0);

	f->fb.data = &r;
	f->fb.on_flush = run_reader_in_flush;
	assert_int_equal(kvm_memslot_set_user_region(f->vm, &b), 0);
	f->fb.on_flush = NULL;
	pthread_join(r.thread, NULL);
	if (r.invalid)
		fail_msg("a fault on a gfn outside the update blocked until the update ended");
	assert_true(r.found);
	assert_int_equal(r.id, 2);
}

/* ---- replaced memory outlives its readers ---- */

struct holder {
	struct kvm_memslot_vm *vm;
	pthread_t thread;
	int holding;
	int release;
	u64 base_gfn;
	u32 flags;
};

static void *holder_fn(void *p)
{
	struct holder *h = p;
	const struct kvm_memory_slot *slot;
	int idx = srcu_read_lock(&h->vm->srcu);

	/* slot 2 starts at gfn 0x300 */
	slot = kvm_memslot_find_gfn(kvm_memslots_get(h->vm, 0), 0x300);
	assert_true(slot && slot->id == 2);
	__atomic_store_n(&h->holding, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&h->release, __ATOMIC_SEQ_CST))
		harness_sleep_ms(1);
	/* still readable: ASan reports a use-after-free otherwise */
	h->base_gfn = slot->base_gfn;
	h->flags = slot->flags;
	if (slot->dirty_bitmap)
		h->flags |= (u32)(slot->dirty_bitmap[0] & 0) << 1;
	srcu_read_unlock(&h->vm->srcu, idx);
	return NULL;
}

static void old_slot_freed_only_after_readers_leave(void **state)
{
	struct pfix *f = F(state);
	struct holder h = { .vm = f->vm };
	u64 reclaimed0;

	harness_quiesce();
	reclaimed0 = READ_ONCE(f->vm->stats.reclaimed);
	assert_int_equal(harness_thread_start(&h.thread, holder_fn, &h), 0);
	while (!__atomic_load_n(&h.holding, __ATOMIC_SEQ_CST))
		harness_sleep_ms(1);
	/* logging off needs no grace period, so it returns while h reads */
	assert_int_equal(tvm_set(f->vm, SLOT(0, 2), 0, GPA(0x300), 16 * PG, HVA_C), 0);
	harness_sleep_ms(50);
	assert_int_equal(READ_ONCE(f->vm->stats.reclaimed), reclaimed0);
	__atomic_store_n(&h.release, 1, __ATOMIC_SEQ_CST);
	pthread_join(h.thread, NULL);
	assert_int_equal(h.base_gfn, 0x300);
	assert_int_equal(h.flags, KVM_MEM_LOG_DIRTY_PAGES);
	harness_quiesce();
	assert_true(READ_ONCE(f->vm->stats.reclaimed) > reclaimed0);
}

/*
 * The reclaim work waits for a grace period of its own only for memory
 * retired after the last grace period that ended: what a create retired
 * before a delete's (here: any) synchronous grace period is freed without
 * another.  The worker is held so that it cannot run in between.
 */
static void reclaim_reuses_a_later_grace_period(void **state)
{
	struct pfix *f = F(state);
	unsigned long worker_gps;
	u64 reclaimed0;

	harness_quiesce();
	reclaimed0 = READ_ONCE(f->vm->stats.reclaimed);
	worker_gps = __atomic_load_n(&harness_worker_grace_periods, __ATOMIC_SEQ_CST);
	harness_workqueue_hold(true);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 9), 0, GPA(0x1000), PG, HVA_D), 0);
	synchronize_srcu(&f->vm->srcu);
	harness_workqueue_hold(false);
	harness_quiesce();
	assert_true(READ_ONCE(f->vm->stats.reclaimed) > reclaimed0);
	assert_int_equal(__atomic_load_n(&harness_worker_grace_periods, __ATOMIC_SEQ_CST),
			 worker_gps);

	/* with no grace period in between, the work waits for one */
	harness_workqueue_hold(true);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 9), 0, 0, 0, HVA_D), 0);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 9), 0, GPA(0x1000), PG, HVA_D), 0);
	harness_workqueue_hold(false);
	harness_quiesce();
	assert_int_equal(__atomic_load_n(&harness_worker_grace_periods, __ATOMIC_SEQ_CST),
			 worker_gps + 1);
}

/* Nodes in the VM's pool, of every type. */
static unsigned int pool_nodes(struct kvm_memslot_vm *vm)
{
	unsigned int nr = 0;
	int type;

	spin_lock(&vm->node_pool.lock);
	for (type = 0; type < KVM_MEMSLOT_NR_NODE_TYPES; type++)
		nr += vm->node_pool.nr[type];
	spin_unlock(&vm->node_pool.lock);
	return nr;
}

/*
 * The nodes an update retires come back to the VM's pool after their grace
 * period, and the next update copies into them instead of allocating.  The
 * three slots make each tree a single leaf, so a flags change copies one
 * node per tree, each of a type of its own (a leaf by gfn, a node by hva).
 */
static void retired_nodes_are_reused(void **state)
{
	struct pfix *f = F(state);
	unsigned long a0, drained, pooled;

	harness_quiesce();
	kvm_memslot_node_pool_drain(&f->vm->node_pool);
	a0 = harness_alloc_total;
	assert_int_equal(tvm_set(f->vm, SLOT(0, 1), KVM_MEM_LOG_DIRTY_PAGES,
				 GPA(0x200), 16 * PG, HVA_B), 0);
	drained = harness_alloc_total - a0;
	harness_quiesce();
	assert_int_equal(pool_nodes(f->vm), KVM_MEMSLOT_NR_TREES);

	/* held, so that this update's own retired nodes do not come back yet */
	harness_workqueue_hold(true);
	a0 = harness_alloc_total;
	assert_int_equal(tvm_set(f->vm, SLOT(0, 0), KVM_MEM_LOG_DIRTY_PAGES,
				 GPA(0x100), 16 * PG, HVA_A), 0);
	pooled = harness_alloc_total - a0;
	assert_int_equal(pool_nodes(f->vm), 0);
	harness_workqueue_hold(false);
	assert_int_equal(pooled + KVM_MEMSLOT_NR_TREES, drained);
}

/*
 * The pool keeps at most KVM_MEMSLOT_NODE_POOL_MAX nodes of a type.  Creates
 * wait for no grace period, so the nodes they retire all come back when
 * the work runs: more than the pool takes of a leaf by gfn and of a node
 * by hva, a few internal nodes by gfn.
 */
static void node_pool_is_bounded(void **state)
{
	struct pfix *f = F(state);
	unsigned int i, total = 0;
	int type;

	harness_workqueue_hold(true);
	for (i = 0; i < KVM_MEMSLOT_NODE_POOL_MAX + 10; i++)
		assert_int_equal(tvm_set(f->vm, SLOT(0, 100 + i), 0,
					 GPA(0x10000 + 2 * i), PG, HVA_C), 0);
	harness_workqueue_hold(false);
	harness_quiesce();
	for (type = 0; type < KVM_MEMSLOT_NR_NODE_TYPES; type++) {
		assert_true(f->vm->node_pool.nr[type] <= KVM_MEMSLOT_NODE_POOL_MAX);
		total += f->vm->node_pool.nr[type];
	}
	assert_true(total >= KVM_MEMSLOT_NR_TREES * KVM_MEMSLOT_NODE_POOL_MAX);
}

/*
 * The grace period an update waits for covers what earlier updates retired:
 * their nodes are pooled when it ends, not when the work runs.  A create
 * copies one leaf per tree and waits for nothing; enabling dirty logging
 * copies its own nodes first, then waits, and then finds the create's.
 */
static void grace_period_pools_covered_nodes(void **state)
{
	struct pfix *f = F(state);
	u64 reclaimed0;

	harness_quiesce();
	kvm_memslot_node_pool_drain(&f->vm->node_pool);
	reclaimed0 = READ_ONCE(f->vm->stats.reclaimed);
	harness_workqueue_hold(true);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 9), 0, GPA(0x1000), PG, HVA_D), 0);
	assert_int_equal(pool_nodes(f->vm), 0);
	assert_int_equal(tvm_set(f->vm, SLOT(0, 9), KVM_MEM_LOG_DIRTY_PAGES,
				 GPA(0x1000), PG, HVA_D), 0);
	assert_int_equal(pool_nodes(f->vm), KVM_MEMSLOT_NR_TREES);
	assert_int_equal(READ_ONCE(f->vm->stats.reclaimed), reclaimed0);

	/* the work still frees the rest of both batches */
	harness_workqueue_hold(false);
	harness_quiesce();
	assert_int_equal(READ_ONCE(f->vm->stats.reclaimed), reclaimed0 + 2);
	assert_int_equal(pool_nodes(f->vm), 2 * KVM_MEMSLOT_NR_TREES);
}

static void generation_is_even_and_grows(void **state)
{
	struct pfix *f = F(state);
	u64 g = f->vm->generation;
	int i;

	assert_false(g & 1);
	for (i = 0; i < 20; i++) {
		assert_int_equal(tvm_set(f->vm, SLOT(0, 9), 0, (i % 3 == 2) ? 0 : GPA(0x1000 + i),
					 (i % 3 == 2) ? 0 : PG, HVA_D), 0);
		assert_false(f->vm->generation & 1);
		assert_true(f->vm->generation > g);
		assert_int_equal(tvm_generation(f->vm, 0), f->vm->generation);
		g = f->vm->generation;
	}
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(create_protocol),
		T(delete_protocol),
		T(move_protocol),
		T(flags_enable_dirty_log_protocol),
		T(flags_disable_dirty_log_protocol),
		T(noop_protocol),
		T(batch_protocol_logging_off),
		T(batch_protocol_logging_on),
		T(batch_of_creates_needs_no_grace_period),
		T(prepare_fails_create),
		T(prepare_fails_delete),
		T(prepare_fails_move),
		T(prepare_fails_flags),
		T(prepare_fails_second_of_batch_creates),
		T(prepare_fails_second_of_batch_move),
		T(prepare_fails_last_of_batch),
		T(fault_waits_during_delete),
		T(fault_waits_during_move),
		T(fault_waits_during_batch_create),
		T(fault_on_untouched_slot_does_not_wait),
		T(old_slot_freed_only_after_readers_leave),
		T(reclaim_reuses_a_later_grace_period),
		T(retired_nodes_are_reused),
		T(node_pool_is_bounded),
		T(grace_period_pools_covered_nodes),
		T(generation_is_even_and_grows),
	};

	int failed;

	failed = cmocka_run_group_tests_name("protocol", tests, NULL, NULL);
	/* The same protocol on the second fake backend. */
	protocol_ops = &test_ops_64k;
	failed += cmocka_run_group_tests_name("protocol (64 KiB pages, 1 address space)",
					      tests, NULL, NULL);
	return failed;
}
