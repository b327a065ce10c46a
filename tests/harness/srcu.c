// SPDX-License-Identifier: GPL-2.0-only
/*
 * SRCU for the userspace harness: one read-side domain per srcu_struct.
 *
 * Every registered thread owns a record with a few reader slots; a slot
 * says which srcu_struct the thread is reading, how deeply nested, and how
 * many outermost read sections of it the thread has left.  A grace period
 * of one srcu_struct scans the records for slots that read it, then waits
 * for each of those to leave the section it was in.  Readers of other
 * srcu_structs and kernel-RCU readers (liburcu) are not waited for, as in
 * the kernel, so freeing after the wrong grace period is caught.
 *
 * Ordering: a reader publishes its slot (srcu_struct, then nesting) and
 * then issues a full fence before it loads anything the section protects;
 * the updater has unpublished what it will free and issues a full fence
 * before it scans.  So either the scan sees the reader, or the reader sees
 * the new pointers (store buffering forbidden by the two fences).  The
 * reader's exit count is stored with release after its last protected
 * load and read with acquire by the updater, which frees only after that.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sched.h>

#include <linux/kernel.h>
#include <linux/srcu.h>

#include "harness.h"

#define SRCU_SLOTS	16

struct srcu_slot {
	const struct srcu_struct *ssp;	/* the domain read, or NULL */
	unsigned long nesting;		/* read-lock depth; owner writes */
	unsigned long exits;		/* outermost unlocks so far */
};

struct srcu_reader {
	struct srcu_reader *next;	/* registry: never unlinked */
	int in_use;			/* owned by a registered thread */
	int tid;
	struct srcu_slot slot[SRCU_SLOTS];
};

/* Protects the registry list and the records' in_use. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct srcu_reader *registry;
unsigned long harness_srcu_gp_waits;
static __thread struct srcu_reader *self;

void harness_srcu_register_thread(void)
{
	struct srcu_reader *r;

	if (self)
		return;
	pthread_mutex_lock(&registry_lock);
	for (r = registry; r; r = r->next)
		if (!r->in_use)
			break;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			abort();
		r->next = registry;
		registry = r;
	}
	r->in_use = 1;
	r->tid = gettid();
	pthread_mutex_unlock(&registry_lock);
	self = r;
}

void harness_srcu_unregister_thread(void)
{
	int i;

	if (!self)
		return;
	for (i = 0; i < SRCU_SLOTS; i++) {
		if (self->slot[i].nesting) {
			fprintf(stderr, "harness: thread %d exits inside an SRCU read section of %p\n",
				self->tid, (void *)self->slot[i].ssp);
			abort();
		}
	}
	pthread_mutex_lock(&registry_lock);
	self->in_use = 0;
	pthread_mutex_unlock(&registry_lock);
	self = NULL;
}

static struct srcu_slot *find_slot(const struct srcu_struct *ssp)
{
	int i;

	if (!self)
		return NULL;
	for (i = 0; i < SRCU_SLOTS; i++)
		if (self->slot[i].ssp == ssp)
			return &self->slot[i];
	return NULL;
}

int init_srcu_struct(struct srcu_struct *ssp)
{
	ssp->initialized = 1;
	return 0;
}

/* Threads reading @ssp now; registry_lock held. */
static int count_readers(const struct srcu_struct *ssp)
{
	struct srcu_reader *r;
	int i, n = 0;

	for (r = registry; r; r = r->next)
		for (i = 0; i < SRCU_SLOTS; i++)
			if (__atomic_load_n(&r->slot[i].ssp, __ATOMIC_ACQUIRE) == ssp &&
			    __atomic_load_n(&r->slot[i].nesting, __ATOMIC_ACQUIRE))
				n++;
	return n;
}

static pthread_mutex_t cb_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cb_cond = PTHREAD_COND_INITIALIZER;	/* queue or counts changed */

void cleanup_srcu_struct(struct srcu_struct *ssp)
{
	int readers;

	WARN_ON(!ssp->initialized);
	pthread_mutex_lock(&registry_lock);
	readers = count_readers(ssp);
	pthread_mutex_unlock(&registry_lock);
	/* The kernel warns too: a reader would use a dead domain. */
	WARN_ON(readers);
	srcu_barrier(ssp);
	ssp->initialized = 0;
}

int srcu_read_lock(struct srcu_struct *ssp)
{
	struct srcu_slot *s;
	int i;

	if (unlikely(!self))
		harness_rcu_unregistered_reader();
	WARN_ON(!ssp->initialized);
	s = find_slot(ssp);
	if (!s) {
		for (i = 0; i < SRCU_SLOTS && self->slot[i].ssp; i++)
			;
		if (i == SRCU_SLOTS) {
			fprintf(stderr, "harness: thread %d reads more than %d srcu_structs at once\n",
				self->tid, SRCU_SLOTS);
			abort();
		}
		s = &self->slot[i];
		__atomic_store_n(&s->ssp, ssp, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&s->nesting, s->nesting + 1, __ATOMIC_RELAXED);
	/* Pairs with the fence in srcu_grace_period() before its scan. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

void srcu_read_unlock(struct srcu_struct *ssp, int idx)
{
	struct srcu_slot *s = find_slot(ssp);

	WARN_ON(idx != 0);
	if (WARN_ON(!s || !s->nesting))
		return;
	if (s->nesting > 1) {
		__atomic_store_n(&s->nesting, s->nesting - 1, __ATOMIC_RELEASE);
		return;
	}
	__atomic_store_n(&s->nesting, 0, __ATOMIC_RELEASE);
	/* Pairs with the acquire in srcu_grace_period(): the section is over. */
	__atomic_store_n(&s->exits, s->exits + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&s->ssp, NULL, __ATOMIC_RELEASE);
}

int srcu_read_lock_held(const struct srcu_struct *ssp)
{
	struct srcu_slot *s = find_slot(ssp);

	return s && s->nesting;
}

void harness_srcu_reset_reader(void)
{
	int i, n = 0;

	if (!self)
		return;
	for (i = 0; i < SRCU_SLOTS; i++) {
		struct srcu_slot *s = &self->slot[i];

		if (!s->nesting)
			continue;
		n++;
		__atomic_store_n(&s->nesting, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&s->exits, s->exits + 1, __ATOMIC_RELEASE);
		__atomic_store_n(&s->ssp, NULL, __ATOMIC_RELEASE);
	}
	if (n)
		fprintf(stderr, "harness: left %d SRCU read section(s) abandoned by a failed assertion\n", n);
}

void harness_srcu_report(void)
{
	struct srcu_reader *r;
	int i;

	/* Called from the watchdog: a stuck holder must not silence it. */
	if (pthread_mutex_trylock(&registry_lock)) {
		fprintf(stderr, "harness: (SRCU registry busy, readers not listed)\n");
		return;
	}
	fprintf(stderr, "harness: SRCU readers:\n");
	for (r = registry; r; r = r->next)
		for (i = 0; i < SRCU_SLOTS; i++)
			if (__atomic_load_n(&r->slot[i].nesting, __ATOMIC_ACQUIRE))
				fprintf(stderr, "harness:   thread %d reads srcu_struct %p (depth %lu)\n",
					r->tid,
					(void *)__atomic_load_n(&r->slot[i].ssp, __ATOMIC_ACQUIRE),
					__atomic_load_n(&r->slot[i].nesting, __ATOMIC_ACQUIRE));
	pthread_mutex_unlock(&registry_lock);
}

struct srcu_wait {
	struct srcu_slot *slot;
	unsigned long exits;
	int tid;
};

/* Wait until every reader of @ssp that is in a section now has left it. */
static void srcu_grace_period(struct srcu_struct *ssp)
{
	struct srcu_wait *w = NULL;
	unsigned long long start = harness_now_ns();
	unsigned int watchdog = harness_watchdog_ms();
	struct srcu_reader *r;
	int i, n = 0, cap = 0, spins;

	/* Pairs with the fence in srcu_read_lock(). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_lock(&registry_lock);
	for (r = registry; r; r = r->next) {
		for (i = 0; i < SRCU_SLOTS; i++) {
			struct srcu_slot *s = &r->slot[i];
			unsigned long exits;

			/* Exits first: a later section of another domain moved it. */
			exits = __atomic_load_n(&s->exits, __ATOMIC_ACQUIRE);
			if (__atomic_load_n(&s->ssp, __ATOMIC_ACQUIRE) != ssp ||
			    !__atomic_load_n(&s->nesting, __ATOMIC_ACQUIRE))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				w = realloc(w, cap * sizeof(*w));
				if (!w)
					abort();
			}
			w[n].slot = s;
			w[n].exits = exits;
			w[n].tid = r->tid;
			n++;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (n)
		__atomic_add_fetch(&harness_srcu_gp_waits, 1, __ATOMIC_SEQ_CST);

	for (i = 0; i < n; i++) {
		for (spins = 0;
		     __atomic_load_n(&w[i].slot->exits, __ATOMIC_ACQUIRE) == w[i].exits;
		     spins++) {
			if (spins < 100) {
				sched_yield();
				continue;
			}
			harness_sleep_ms(1);
			if (harness_now_ns() - start > watchdog * 1000000ull) {
				fprintf(stderr,
					"harness: WATCHDOG: an SRCU grace period of %p waited more than %u ms for thread %d to leave its read section\n",
					(void *)ssp, watchdog, w[i].tid);
				harness_watchdog_report();
				fflush(stderr);
				abort();
			}
		}
	}
	free(w);
	/* What the caller frees next is ordered after the readers' exits. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Set on the work-queue thread: its grace periods are not the caller's. */
extern __thread int harness_in_worker;

unsigned long get_state_synchronize_srcu(struct srcu_struct *ssp)
{
	/* What the caller unpublished is ordered before the cookie. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&ssp->gp_started, __ATOMIC_SEQ_CST);
}

bool poll_state_synchronize_srcu(struct srcu_struct *ssp, unsigned long cookie)
{
	/* A grace period numbered above @cookie began its scan after it. */
	return __atomic_load_n(&ssp->gp_ended, __ATOMIC_SEQ_CST) > cookie;
}

void synchronize_srcu(struct srcu_struct *ssp)
{
	void (*hook)(struct srcu_struct *ssp);
	unsigned long n, ended;

	WARN_ON(!ssp->initialized);
	/* Waiting inside its own read section would deadlock: a kernel bug too. */
	if (WARN_ON(srcu_read_lock_held(ssp)))
		return;
	/* Sleeping in an RCU read section is a bug as well. */
	if (harness_rcu_registered && WARN_ON(urcu_memb_read_ongoing()))
		return;
	n = __atomic_add_fetch(&ssp->gp_started, 1, __ATOMIC_SEQ_CST);
	srcu_grace_period(ssp);
	ended = __atomic_load_n(&ssp->gp_ended, __ATOMIC_SEQ_CST);
	while (ended < n &&
	       !__atomic_compare_exchange_n(&ssp->gp_ended, &ended, n, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	if (harness_in_worker) {
		__atomic_add_fetch(&harness_worker_grace_periods, 1,
				   __ATOMIC_SEQ_CST);
		return;
	}
	__atomic_add_fetch(&harness_grace_periods, 1, __ATOMIC_SEQ_CST);
	hook = __atomic_load_n(&harness_synchronize_hook, __ATOMIC_SEQ_CST);
	if (hook)
		hook(ssp);
}

/* ---- call_srcu: one callback thread, in queue order ---- */

struct srcu_cb {
	struct srcu_cb *next;
	struct srcu_struct *ssp;
	struct rcu_head *head;
	void (*func)(struct rcu_head *head);
};

/* Protected by cb_lock: */
static struct srcu_cb *cb_head, **cb_tail = &cb_head;
static unsigned long cb_queued, cb_done;
static pthread_once_t cb_once = PTHREAD_ONCE_INIT;

static void *srcu_cb_thread(void *arg)
{
	(void)arg;
	harness_rcu_register_thread();
	pthread_mutex_lock(&cb_lock);
	for (;;) {
		struct srcu_cb *list, *c, *next;

		while (!cb_head)
			pthread_cond_wait(&cb_cond, &cb_lock);
		list = cb_head;
		cb_head = NULL;
		cb_tail = &cb_head;
		pthread_mutex_unlock(&cb_lock);

		/* Each callback after a grace period of its own domain. */
		for (c = list; c; c = next) {
			next = c->next;
			srcu_grace_period(c->ssp);
			c->func(c->head);
			free(c);
			pthread_mutex_lock(&cb_lock);
			cb_done++;
			pthread_cond_broadcast(&cb_cond);
			pthread_mutex_unlock(&cb_lock);
		}
		pthread_mutex_lock(&cb_lock);
	}
	return NULL;
}

static void srcu_cb_start(void)
{
	sigset_t all, old;
	pthread_t t;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, NULL, srcu_cb_thread, NULL))
		abort();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_detach(t);
}

void call_srcu(struct srcu_struct *ssp, struct rcu_head *head,
	       void (*func)(struct rcu_head *))
{
	struct srcu_cb *c = malloc(sizeof(*c));

	if (!c)
		abort();
	WARN_ON(!ssp->initialized);
	c->next = NULL;
	c->ssp = ssp;
	c->head = head;
	c->func = func;
	pthread_once(&cb_once, srcu_cb_start);
	pthread_mutex_lock(&cb_lock);
	*cb_tail = c;
	cb_tail = &c->next;
	cb_queued++;
	pthread_cond_broadcast(&cb_cond);
	pthread_mutex_unlock(&cb_lock);
}

/* Waits for every callback queued so far, whatever its domain. */
void srcu_barrier(struct srcu_struct *ssp)
{
	unsigned long target;

	(void)ssp;
	pthread_mutex_lock(&cb_lock);
	target = cb_queued;
	while ((long)(cb_done - target) < 0)
		pthread_cond_wait(&cb_cond, &cb_lock);
	pthread_mutex_unlock(&cb_lock);
}
