// SPDX-License-Identifier: GPL-2.0-only
/*
 * The harness's own shims are strict enough to see the bugs they exist
 * for:
 *
 *   - a wait returns only after a wake_up (a waker that forgets it leaves
 *     the waiter asleep, as in the kernel), never loses one, keeps
 *     wait_event_timeout()'s timeout, and a wait nobody ends trips the
 *     watchdog, which names the wait queue, call site and condition;
 *   - each srcu_struct is its own domain: its grace period waits for its
 *     readers only, and neither another srcu_struct's grace period nor
 *     synchronize_rcu() waits for them; srcu_read_lock_held() is per
 *     domain; call_srcu() runs after the readers of its domain;
 *   - in the core, memory an update replaces stays valid for a reader that
 *     holds the VM's SRCU across the update (reader_across_reclaim).  The
 *     negative control "neg-grace" (tests/Makefile) builds the core with
 *     the reclaim waiting for the wrong grace period and expects this test
 *     to die with an ASan use-after-free.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <linux/srcu.h>
#include <linux/wait.h>

#include "common.h"

/* ---- wait queues ---- */

struct waiter {
	wait_queue_head_t *wq;
	int *flag;
	int want;
	int returned;
};

static void *wait_fn(void *p)
{
	struct waiter *w = p;

	wait_event(*w->wq, __atomic_load_n(w->flag, __ATOMIC_SEQ_CST) == w->want);
	__atomic_store_n(&w->returned, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Wait until some thread is about to sleep (its first test failed). */
static void until_asleep(void)
{
	while (!harness_nr_waiters())
		harness_sleep_ms(1);
}

/*
 * Setting the condition without a wake-up does not end the wait; the
 * wake-up does.  (The old shim re-polled every millisecond.)
 */
static void wait_returns_only_on_wakeup(void **state)
{
	wait_queue_head_t wq;
	int flag = 0;
	struct waiter w = { &wq, &flag, 1, 0 };
	pthread_t t;

	(void)state;
	init_waitqueue_head(&wq);
	assert_int_equal(pthread_create(&t, NULL, wait_fn, &w), 0);
	until_asleep();
	__atomic_store_n(&flag, 1, __ATOMIC_SEQ_CST);
	/* However long we leave it, nothing but a wake-up may end the wait. */
	harness_sleep_ms(100);
	assert_int_equal(__atomic_load_n(&w.returned, __ATOMIC_SEQ_CST), 0);
	wake_up(&wq);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(w.returned, 1);
}

struct pingpong {
	wait_queue_head_t wq;
	int turn;
	int rounds;
};

static void *pong_fn(void *p)
{
	struct pingpong *pp = p;
	int i;

	for (i = 0; i < pp->rounds; i++) {
		wait_event(pp->wq, __atomic_load_n(&pp->turn, __ATOMIC_SEQ_CST) == 2 * i + 1);
		__atomic_store_n(&pp->turn, 2 * i + 2, __ATOMIC_SEQ_CST);
		wake_up_all(&pp->wq);
	}
	return NULL;
}

/* Thousands of hand-overs: a wake-up lost between test and sleep hangs. */
static void wait_loses_no_wakeup(void **state)
{
	struct pingpong pp = { .rounds = 5000 };
	pthread_t t;
	int i;

	(void)state;
	init_waitqueue_head(&pp.wq);
	assert_int_equal(pthread_create(&t, NULL, pong_fn, &pp), 0);
	for (i = 0; i < pp.rounds; i++) {
		__atomic_store_n(&pp.turn, 2 * i + 1, __ATOMIC_SEQ_CST);
		wake_up_all(&pp.wq);
		wait_event(pp.wq, __atomic_load_n(&pp.turn, __ATOMIC_SEQ_CST) == 2 * i + 2);
	}
	assert_int_equal(pthread_join(t, NULL), 0);
}

static void wait_timeout_keeps_its_semantics(void **state)
{
	wait_queue_head_t wq;
	int flag = 0;
	long r;

	(void)state;
	init_waitqueue_head(&wq);
	/* False throughout: 0 at the timeout. */
	r = wait_event_timeout(wq, flag, msecs_to_jiffies(20));
	assert_int_equal(r, 0);
	/* True at once: the time left, at least 1. */
	flag = 1;
	r = wait_event_timeout(wq, flag, msecs_to_jiffies(1000));
	assert_true(r >= 1 && r <= 1000);
	/* A statically initialized queue (realtime-clock condvar) times out too. */
	{
		DECLARE_WAIT_QUEUE_HEAD(swq);

		flag = 0;
		r = wait_event_timeout(swq, flag, msecs_to_jiffies(20));
		assert_int_equal(r, 0);
	}
}

static int never_true;

/*
 * A wait nobody ends: in a child, with a short watchdog, which must abort
 * it and say where it waited and for what.
 */
static void watchdog_reports_a_stuck_wait(void **state)
{
	char buf[4096];
	int pfd[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		wait_queue_head_t stuck_wq;

		dup2(pfd[1], 2);
		close(pfd[0]);
		harness_set_watchdog_ms(200);
		init_waitqueue_head(&stuck_wq);
		wait_event(stuck_wq, __atomic_load_n(&never_true, __ATOMIC_SEQ_CST));
		_exit(0);	/* not reached */
	}
	close(pfd[1]);
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(pfd[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += n;
	buf[len] = 0;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fail_msg("the stuck wait did not abort (status %#x): %s", status, buf);
	assert_non_null(strstr(buf, "WATCHDOG"));
	assert_non_null(strstr(buf, "stuck_wq"));
	assert_non_null(strstr(buf, "never_true"));
	assert_non_null(strstr(buf, "test_shims.c:"));
}

/* ---- SRCU domains ---- */

struct sreader {
	struct srcu_struct *ssp;
	int locked;		/* 1: holds the read lock */
	int release;		/* set by the test: unlock now */
	int held_own, held_other;
	struct srcu_struct *other;
};

static void *sreader_fn(void *p)
{
	struct sreader *r = p;
	int idx = srcu_read_lock(r->ssp);

	r->held_own = srcu_read_lock_held(r->ssp);
	r->held_other = srcu_read_lock_held(r->other);
	__atomic_store_n(&r->locked, 1, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&r->release, __ATOMIC_SEQ_CST))
		harness_sleep_ms(1);
	srcu_read_unlock(r->ssp, idx);
	return NULL;
}

static void sreader_start(struct sreader *r, pthread_t *t)
{
	assert_int_equal(harness_thread_start(t, sreader_fn, r), 0);
	while (!__atomic_load_n(&r->locked, __ATOMIC_SEQ_CST))
		harness_sleep_ms(1);
}

/*
 * A reader of one srcu_struct delays neither another srcu_struct's grace
 * period nor synchronize_rcu(): with one shared domain both would wait
 * for it, here forever (it leaves only when they return).
 */
static void srcu_domains_are_independent(void **state)
{
	struct srcu_struct s1, s2;
	struct sreader r = { .ssp = &s1, .other = &s2 };
	pthread_t t;

	(void)state;
	harness_rcu_register_thread();
	init_srcu_struct(&s1);
	init_srcu_struct(&s2);
	sreader_start(&r, &t);
	assert_int_equal(r.held_own, 1);
	assert_int_equal(r.held_other, 0);
	assert_int_equal(srcu_read_lock_held(&s1), 0);
	synchronize_srcu(&s2);
	synchronize_rcu();
	__atomic_store_n(&r.release, 1, __ATOMIC_SEQ_CST);
	assert_int_equal(pthread_join(t, NULL), 0);
	cleanup_srcu_struct(&s1);
	cleanup_srcu_struct(&s2);
}

struct syncer {
	struct srcu_struct *ssp;
	int done;
};

static void *sync_fn(void *p)
{
	struct syncer *s = p;

	synchronize_srcu(s->ssp);
	__atomic_store_n(&s->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int cb_ran;

static void count_cb(struct rcu_head *head)
{
	(void)head;
	__atomic_add_fetch(&cb_ran, 1, __ATOMIC_SEQ_CST);
}

/* A grace period, and call_srcu(), wait for the domain's own readers. */
static void srcu_grace_period_waits_for_its_readers(void **state)
{
	struct srcu_struct s1;
	struct sreader r = { .ssp = &s1, .other = &s1 };
	struct syncer sy = { .ssp = &s1 };
	struct rcu_head head;
	unsigned long waits0;
	pthread_t t, ts;

	(void)state;
	harness_rcu_register_thread();
	init_srcu_struct(&s1);
	sreader_start(&r, &t);
	cb_ran = 0;
	waits0 = __atomic_load_n(&harness_srcu_gp_waits, __ATOMIC_SEQ_CST);
	call_srcu(&s1, &head, count_cb);
	assert_int_equal(harness_thread_start(&ts, sync_fn, &sy), 0);
	/* Both the callback's and the synchronize's grace periods saw it. */
	while (__atomic_load_n(&harness_srcu_gp_waits, __ATOMIC_SEQ_CST) < waits0 + 2)
		harness_sleep_ms(1);
	harness_sleep_ms(20);
	assert_int_equal(__atomic_load_n(&sy.done, __ATOMIC_SEQ_CST), 0);
	assert_int_equal(__atomic_load_n(&cb_ran, __ATOMIC_SEQ_CST), 0);
	__atomic_store_n(&r.release, 1, __ATOMIC_SEQ_CST);
	assert_int_equal(pthread_join(ts, NULL), 0);
	assert_int_equal(sy.done, 1);
	srcu_barrier(&s1);
	assert_int_equal(cb_ran, 1);
	assert_int_equal(pthread_join(t, NULL), 0);
	cleanup_srcu_struct(&s1);
}

/* ---- the core: a reader across an update's reclaim ---- */

struct slot_reader {
	struct kvm_memslot_vm *vm;
	const struct kvm_memory_slot *slot;
	int have_slot;
	u64 reclaimed0;
	unsigned long gp_waits0;
	u64 base_gfn;
	unsigned long npages;
};

static void *slot_reader_fn(void *p)
{
	struct slot_reader *r = p;
	struct kvm_memslot_vm *vm = r->vm;
	int idx = srcu_read_lock(&vm->srcu);

	r->slot = kvm_memslot_find_gfn(kvm_memslots_get(vm, 0), 0x105);
	__atomic_store_n(&r->have_slot, 1, __ATOMIC_SEQ_CST);
	/*
	 * Hold on until the update's reclaim either freed what it replaced
	 * (only possible after the wrong grace period) or started a grace
	 * period that waits for this reader (the right one).  Either comes,
	 * so this needs no timeout, and the outcome does not depend on timing.
	 */
	while (READ_ONCE(vm->stats.reclaimed) == r->reclaimed0 &&
	       __atomic_load_n(&harness_srcu_gp_waits, __ATOMIC_SEQ_CST) == r->gp_waits0)
		harness_sleep_ms(1);
	/* Still ours to read: the old slot must outlive this section. */
	r->base_gfn = r->slot->base_gfn;
	r->npages = r->slot->npages;
	srcu_read_unlock(&vm->srcu, idx);
	return NULL;
}

static void reader_across_reclaim(void **state)
{
	struct kvm_memslot_vm *vm = tvm_create(&test_ops_x86, NULL);
	struct slot_reader r = { .vm = vm };
	pthread_t t;

	(void)state;
	assert_int_equal(tvm_set(vm, SLOT(0, 0), KVM_MEM_LOG_DIRTY_PAGES,
				 GPA(0x100), 16 * PG, TEST_HVA(0)), 0);
	harness_quiesce();
	r.reclaimed0 = READ_ONCE(vm->stats.reclaimed);
	r.gp_waits0 = __atomic_load_n(&harness_srcu_gp_waits, __ATOMIC_SEQ_CST);
	assert_int_equal(harness_thread_start(&t, slot_reader_fn, &r), 0);
	while (!__atomic_load_n(&r.have_slot, __ATOMIC_SEQ_CST))
		harness_sleep_ms(1);
	assert_non_null(r.slot);
	/*
	 * Logging off: a FLAGS_ONLY change that waits for no reader itself;
	 * the old slot goes to the deferred reclaim.
	 */
	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(0x100), 16 * PG, TEST_HVA(0)), 0);
	assert_ptr_not_equal(tvm_find_gfn(vm, 0, 0x105), r.slot);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.base_gfn, 0x100);
	assert_int_equal(r.npages, 16);
	harness_quiesce();
	tvm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wait_returns_only_on_wakeup),
		cmocka_unit_test(wait_loses_no_wakeup),
		cmocka_unit_test(wait_timeout_keeps_its_semantics),
		cmocka_unit_test(watchdog_reports_a_stuck_wait),
		cmocka_unit_test(srcu_domains_are_independent),
		cmocka_unit_test(srcu_grace_period_waits_for_its_readers),
		cmocka_unit_test(reader_across_reclaim),
	};

	return cmocka_run_group_tests_name("shims", tests, NULL, NULL);
}
