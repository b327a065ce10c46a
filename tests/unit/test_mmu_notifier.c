// SPDX-License-Identifier: GPL-2.0-only
/*
 * Slot updates against MMU-notifier invalidations, through the VM's real
 * notifier (../virt/kvm/mmu_notifier.c) called by the harness's
 * fake mm the way Linux 6.1's mm calls it (see DESIGN.md "Slot sets" and
 * Documentation/virt/kvm/memslots.rst, "MMU notifiers and slot updates"):
 *
 * - an update waits for the invalidations in flight when it started
 *   waiting, blockable or not;
 * - an invalidation started inside another one of the same task while an
 *   update waits for the outer one (a THP split inside a zap) completes at
 *   once: a start never waits for an update, or the two deadlock;
 * - a stream of invalidations started after the update began waiting, never
 *   all ended at once, does not keep it waiting;
 * - with more invalidations in flight than the VM tracks one by one, an
 *   update may wait longer, never shorter;
 * - the start resolves its host range to the gfns of every slot that maps
 *   it and has the backend unmap them.
 *
 * Waits that a bug would make endless are bounded (HANG_MS): the test then
 * fails, breaks the deadlock from outside and reports it.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "host_vm.h"

#include <linux/kvm_memslot_pfncache.h>
#include <trace/events/kvm_memslot.h>

#define HVA_A		TEST_HVA(0x000000)
#define HVA_B		TEST_HVA(0x200000)
/* Long enough to be sure something that should return never will. */
#define HANG_MS		5000

/* ---- the host side the notifier glue calls ---- */

static unsigned long tlb_flushes;

void kvm_memslot_flush_remote_tlbs(struct kvm_memslot_vm *vm)
{
	__atomic_add_fetch(&tlb_flushes, 1, __ATOMIC_SEQ_CST);
}

/* A backend whose unmap records what it was asked to remove. */
static struct {
	unsigned int nr;
	struct kvm_memslot_gfn_range ranges[8];
} unmaps;

static unsigned long rec_unmap(struct kvm_memslot_vm *vm,
			       const struct kvm_memslot_gfn_range *range)
{
	if (unmaps.nr < sizeof(unmaps.ranges) / sizeof(unmaps.ranges[0]))
		unmaps.ranges[unmaps.nr] = *range;
	unmaps.nr++;
	return 1;
}

static int nop_prepare(struct kvm_memslot_vm *vm,
		       const struct kvm_memory_slot *old,
		       struct kvm_memory_slot *new,
		       enum kvm_memslot_change change)
{
	return 0;
}

static const struct kvm_memslot_ops rec_ops = {
	.name = "test-mn",
	.nr_address_spaces = 2,
	.nr_user_slots = 32764,
	.readonly_mem = true,
	.page_shift = PAGE_SHIFT,
	.prepare_memory_region = nop_prepare,
	.unmap_gfn_range = rec_unmap,
};

/* ---- fixture: slot 0 maps 512 pages at gfn 0x100 from HVA_A ---- */

struct mfix {
	struct kvm_memslot_host_vm *hvm;
	struct kvm_memslot_vm *vm;
	struct mm_struct *mm;
};

static int setup(void **state)
{
	struct mfix *f = calloc(1, sizeof(*f));

	f->hvm = thvm_create(&rec_ops, NULL);
	f->vm = &f->hvm->core;
	f->mm = thvm_mm(f->hvm);
	assert_int_equal(tvm_set(f->vm, 0, 0, GPA(0x100), 512 * PG, HVA_A), 0);
	memset(&unmaps, 0, sizeof(unmaps));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct mfix *f = *state;

	assert_int_equal(f->vm->mn_inflight[0], 0);
	assert_int_equal(f->vm->mn_inflight[1], 0);
	assert_int_equal(f->vm->mmu_invalidate_in_progress, 0);
	thvm_destroy(f->hvm);
	free(f);
	return 0;
}

#define F(state) ((struct mfix *)*(state))

static void start(struct mfix *f, struct mmu_notifier_range *r,
		  unsigned long s, unsigned long e, bool blockable)
{
	assert_int_equal(harness_mm_invalidate_start(r, f->mm, s, e, blockable),
			 0);
}

static bool flag(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void set_flag(int *p)
{
	__atomic_store_n(p, 1, __ATOMIC_SEQ_CST);
}

/* Wait up to HANG_MS for *@p; false if it never came. */
static bool wait_flag(int *p)
{
	int ms;

	for (ms = 0; ms < HANG_MS; ms++) {
		if (flag(p))
			return true;
		harness_sleep_ms(1);
	}
	return flag(p);
}

/* A slot update in its own thread: create slot 9, one publish. */
struct writer {
	struct kvm_memslot_vm *vm;
	pthread_t thread;
	int done;
	int ret;
};

static void *writer_fn(void *p)
{
	struct writer *w = p;

	w->ret = tvm_set(w->vm, 9, 0, GPA(0x1000), 16 * PG, HVA_B);
	set_flag(&w->done);
	return NULL;
}

/* Start the update; return once it waits for invalidations in flight. */
static void writer_start_and_wait(struct writer *w, struct kvm_memslot_vm *vm)
{
	int ms;

	memset(w, 0, sizeof(*w));
	w->vm = vm;
	assert_int_equal(harness_thread_start(&w->thread, writer_fn, w), 0);
	for (ms = 0; !READ_ONCE(vm->mn_waiters); ms++) {
		if (ms > HANG_MS)
			fail_msg("the update never waited for the invalidation in flight");
		harness_sleep_ms(1);
	}
}

/* ---- tests ---- */

static void update_waits_for_invalidations_in_flight(void **state)
{
	struct mfix *f = F(state);
	struct mmu_notifier_range r1, r2;
	u64 pub0 = f->vm->stats.publishes;
	struct writer w;

	/* One that may sleep, one that may not (the OOM reaper). */
	start(f, &r1, HVA_A, HVA_A + PG, true);
	start(f, &r2, HVA_A + 8 * PG, HVA_A + 9 * PG, false);
	writer_start_and_wait(&w, f->vm);
	harness_mm_invalidate_end(&r1);
	harness_sleep_ms(20);
	/* r2 is still in flight: nothing is published. */
	assert_false(flag(&w.done));
	assert_int_equal(READ_ONCE(f->vm->stats.publishes), pub0);
	harness_mm_invalidate_end(&r2);
	pthread_join(w.thread, NULL);
	assert_int_equal(w.ret, 0);
	assert_int_equal(f->vm->stats.publishes, pub0 + 1);
}

/*
 * Task A zaps part of a THP: the outer invalidation, then, while an update
 * waits for it, the split's nested invalidation in the same task.  The
 * nested start must return; A then ends both and the update publishes.
 */
struct task_a {
	struct mfix *f;
	struct mmu_notifier_range outer, nested;
	pthread_t thread;
	int outer_started, go_nested, nested_started, go_end, outer_ended;
};

static void *task_a_fn(void *p)
{
	struct task_a *a = p;

	start(a->f, &a->outer, HVA_A, HVA_A + 512 * PG, true);
	set_flag(&a->outer_started);
	while (!flag(&a->go_nested))
		harness_sleep_ms(1);
	start(a->f, &a->nested, HVA_A + 4 * PG, HVA_A + 5 * PG, true);
	set_flag(&a->nested_started);
	while (!flag(&a->go_end))
		harness_sleep_ms(1);
	harness_mm_invalidate_end(&a->nested);
	/* Unless the test had to end it to break a deadlock. */
	if (!flag(&a->outer_ended))
		harness_mm_invalidate_end(&a->outer);
	return NULL;
}

static void nested_invalidation_while_update_waits(void **state)
{
	struct mfix *f = F(state);
	struct task_a a = { .f = f };
	u64 pub0 = f->vm->stats.publishes;
	struct writer w;
	bool nested_ok;

	assert_int_equal(harness_thread_start(&a.thread, task_a_fn, &a), 0);
	assert_true(wait_flag(&a.outer_started));
	writer_start_and_wait(&w, f->vm);
	set_flag(&a.go_nested);
	nested_ok = wait_flag(&a.nested_started);
	if (!nested_ok) {
		/* Deadlocked: end the outer range for A to get out. */
		set_flag(&a.outer_ended);
		harness_mm_invalidate_end(&a.outer);
		set_flag(&a.go_end);
		pthread_join(a.thread, NULL);
		pthread_join(w.thread, NULL);
		fail_msg("a nested invalidation start waited for the update that waits for the outer one: deadlock");
	}
	/* The update still waits for the outer invalidation. */
	assert_false(flag(&w.done));
	assert_int_equal(READ_ONCE(f->vm->stats.publishes), pub0);
	/* Both started before it published: every gfn of the slot unmapped. */
	assert_int_equal(unmaps.nr, 2);
	assert_int_equal(unmaps.ranges[0].start, 0x100);
	assert_int_equal(unmaps.ranges[0].end, 0x300);
	assert_int_equal(unmaps.ranges[1].start, 0x104);
	assert_int_equal(unmaps.ranges[1].end, 0x105);
	set_flag(&a.go_end);
	pthread_join(a.thread, NULL);
	pthread_join(w.thread, NULL);
	assert_int_equal(w.ret, 0);
	assert_int_equal(f->vm->stats.publishes, pub0 + 1);
	assert_non_null(tvm_find_id(f->vm, 0, 9));
}

/*
 * Invalidations keep starting after the update began waiting, each before
 * the previous one ends, so one is always in flight.  The update must
 * publish while the stream runs.
 */
struct stream {
	struct mfix *f;
	struct writer *w;
	pthread_t thread;
	int started;
	int published_during_stream;
	unsigned long n;
};

static void *stream_fn(void *p)
{
	struct stream *st = p;
	struct mmu_notifier_range r[2];
	u64 deadline = harness_now_ns() + HANG_MS * 1000000ULL;
	unsigned long i = 0;

	start(st->f, &r[0], HVA_A + PG, HVA_A + 2 * PG, true);
	set_flag(&st->started);
	while (!flag(&st->w->done) && harness_now_ns() < deadline) {
		start(st->f, &r[(i + 1) % 2], HVA_A + PG, HVA_A + 2 * PG, true);
		harness_mm_invalidate_end(&r[i % 2]);
		i++;
		sched_yield();
	}
	st->published_during_stream = flag(&st->w->done);
	st->n = i;
	harness_mm_invalidate_end(&r[i % 2]);
	return NULL;
}

static void update_not_starved_by_later_invalidations(void **state)
{
	struct mfix *f = F(state);
	struct mmu_notifier_range r0;
	struct stream st = { .f = f };
	struct writer w;

	start(f, &r0, HVA_A, HVA_A + PG, true);
	writer_start_and_wait(&w, f->vm);
	st.w = &w;
	assert_int_equal(harness_thread_start(&st.thread, stream_fn, &st), 0);
	assert_true(wait_flag(&st.started));
	harness_mm_invalidate_end(&r0);
	pthread_join(st.thread, NULL);
	pthread_join(w.thread, NULL);
	print_message("stream: %lu invalidations before the update published\n",
		      st.n);
	assert_int_equal(w.ret, 0);
	if (!st.published_during_stream)
		fail_msg("the update waited for invalidations that started after it");
}

/*
 * 40 invalidations in flight, 8 more than the VM tracks one by one, then
 * an update, then 5 more (which overflow too).  Whatever order they end
 * in, the update must not publish before the last of the first 40 ends.
 */
#define NR_OLD	40
#define NR_LATE	5

static void overflow_never_shortens_the_wait(void **state)
{
	struct mfix *f = F(state);
	struct mmu_notifier_range *old = calloc(NR_OLD, sizeof(*old));
	struct mmu_notifier_range late[NR_LATE];
	u64 pub0 = f->vm->stats.publishes;
	struct writer w;
	int i;

	assert_non_null(old);
	for (i = 0; i < NR_OLD; i++)
		start(f, &old[i], HVA_A + i * PG, HVA_A + (i + 1) * PG, true);
	assert_int_equal(f->vm->mn_overflow[f->vm->mn_epoch],
			 NR_OLD - KVM_MEMSLOT_MN_TRACKED);
	writer_start_and_wait(&w, f->vm);
	for (i = 0; i < NR_LATE; i++)
		start(f, &late[i], HVA_A, HVA_A + PG, true);

	/* Mixed order: later ones, tracked old ones, overflowed old ones. */
	for (i = 0; i < 3; i++)
		harness_mm_invalidate_end(&late[i]);
	for (i = 0; i < 20; i++)
		harness_mm_invalidate_end(&old[i]);
	for (i = KVM_MEMSLOT_MN_TRACKED; i < KVM_MEMSLOT_MN_TRACKED + 4; i++)
		harness_mm_invalidate_end(&old[i]);
	harness_sleep_ms(10);
	assert_false(flag(&w.done));
	for (i = 20; i < NR_OLD - 1; i++)
		if (i < KVM_MEMSLOT_MN_TRACKED || i >= KVM_MEMSLOT_MN_TRACKED + 4)
			harness_mm_invalidate_end(&old[i]);
	harness_sleep_ms(10);
	/* One of the first 40 is still in flight. */
	assert_false(flag(&w.done));
	assert_int_equal(READ_ONCE(f->vm->stats.publishes), pub0);
	harness_mm_invalidate_end(&old[NR_OLD - 1]);
	for (i = 3; i < NR_LATE; i++)
		harness_mm_invalidate_end(&late[i]);
	pthread_join(w.thread, NULL);
	assert_int_equal(w.ret, 0);
	assert_int_equal(f->vm->stats.publishes, pub0 + 1);
	free(old);
}

/* The kvm_memslot_unmap events fired, in order. */
static struct {
	unsigned int nr;
	struct trace_event_raw_kvm_memslot_unmap ev[4];
} unmap_events;

static void record_unmap(const char *name, const void *entry, size_t size)
{
	if (strcmp(name, "kvm_memslot_unmap"))
		return;
	assert_int_equal(size, sizeof(unmap_events.ev[0]));
	if (unmap_events.nr < 4)
		memcpy(&unmap_events.ev[unmap_events.nr], entry, size);
	unmap_events.nr++;
}

static void assert_unmap_event(unsigned int i, u16 as_id, u16 id, u64 start,
			       u64 end, unsigned long hva_start,
			       unsigned long hva_end)
{
	const struct trace_event_raw_kvm_memslot_unmap *e = &unmap_events.ev[i];

	assert_int_equal(e->as_id, as_id);
	assert_int_equal(e->id, id);
	assert_int_equal(e->gfn_start, start);
	assert_int_equal(e->gfn_end, end);
	assert_int_equal(e->hva_start, hva_start);
	assert_int_equal(e->hva_end, hva_end);
	/* What the backend's hook returned. */
	assert_int_equal(e->removed, 1);
}

/*
 * The glue: a start resolves its host range through every set to the gfns
 * it backs (partial pages included), counts the invalidation in progress
 * with its range, and flushes; the end bumps the sequence.  Each gfn range
 * unmapped is one kvm_memslot_unmap event.
 */
static void invalidation_unmaps_what_the_range_backs(void **state)
{
	struct mfix *f = F(state);
	struct kvm_memslot_vm *vm = f->vm;
	struct mmu_notifier_range r;
	unsigned long seq = vm->mmu_invalidate_seq;
	unsigned long flushes = tlb_flushes;

	/* Slot 3 in SMM aliases the last 2 pages of slot 0's host range. */
	assert_int_equal(tvm_set(vm, SLOT(1, 3), 0, GPA(0x5000), 2 * PG,
				 HVA_A + 510 * PG), 0);
	memset(&unmap_events, 0, sizeof(unmap_events));
	harness_trace_hook = record_unmap;
	start(f, &r, HVA_A + 509 * PG + 1, HVA_A + 511 * PG + 1, true);
	assert_int_equal(unmaps.nr, 2);
	assert_int_equal(unmap_events.nr, 2);
	assert_unmap_event(0, 0, 0, 0x100 + 509, 0x100 + 512,
			   HVA_A + 509 * PG + 1, HVA_A + 511 * PG + 1);
	assert_unmap_event(1, 1, 3, 0x5000, 0x5002,
			   HVA_A + 509 * PG + 1, HVA_A + 511 * PG + 1);
	assert_int_equal(unmaps.ranges[0].slot->id, 0);
	assert_int_equal(unmaps.ranges[0].start, 0x100 + 509);
	assert_int_equal(unmaps.ranges[0].end, 0x100 + 512);
	assert_int_equal(unmaps.ranges[1].slot->id, 3);
	assert_int_equal(unmaps.ranges[1].start, 0x5000);
	assert_int_equal(unmaps.ranges[1].end, 0x5002);
	assert_int_equal(tlb_flushes, flushes + 1);
	assert_int_equal(vm->mmu_invalidate_in_progress, 1);
	assert_true(vm->mmu_invalidate_start <= HVA_A + 509 * PG + 1);
	assert_true(vm->mmu_invalidate_end >= HVA_A + 511 * PG + 1);
	/* Outside the VM's slots: nothing to unmap, still counted. */
	{
		struct mmu_notifier_range far;

		start(f, &far, TEST_HVA(0x40000000), TEST_HVA(0x40001000), true);
		harness_trace_hook = NULL;
		assert_int_equal(unmaps.nr, 2);
		assert_int_equal(unmap_events.nr, 2);
		assert_int_equal(vm->mmu_invalidate_in_progress, 2);
		harness_mm_invalidate_end(&far);
	}
	harness_mm_invalidate_end(&r);
	assert_int_equal(vm->mmu_invalidate_in_progress, 0);
	assert_int_equal(vm->mmu_invalidate_seq, seq + 2);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(update_waits_for_invalidations_in_flight),
		T(nested_invalidation_while_update_waits),
		T(update_not_starved_by_later_invalidations),
		T(overflow_never_shortens_the_wait),
		T(invalidation_unmaps_what_the_range_backs),
	};

	return cmocka_run_group_tests_name("mmu_notifier", tests, NULL, NULL);
}
