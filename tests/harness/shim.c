// SPDX-License-Identifier: GPL-2.0-only
/*
 * The out-of-line half of the kernel-API shims in tests/include: counters,
 * allocation fault injection, kernel-RCU grace periods, the work queue
 * (wait queues: wait.c; SRCU: srcu.c).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/cache.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "harness.h"

/* ---- WARN ---- */

unsigned long harness_warn_count;

void harness_warn(const char *file, int line, const char *what)
{
	__atomic_add_fetch(&harness_warn_count, 1, __ATOMIC_SEQ_CST);
	fprintf(stderr, "WARNING: %s:%d: %s\n", file, line, what);
}

/* ---- allocations ---- */

long harness_alloc_fail_nth;
long harness_alloc_live;
unsigned long harness_alloc_total;
unsigned long harness_alloc_failed;

/* What a fresh object holds where its allocation asked for no zeroes. */
#define HARNESS_POISON	0x6b

/*
 * Every allocation: counted, possibly failed on purpose, then from malloc,
 * or from posix_memalign when the caller needs more alignment than malloc
 * gives.  Either is released by free().
 */
void *harness_alloc_aligned(size_t size, size_t align, gfp_t flags)
{
	long nth = __atomic_load_n(&harness_alloc_fail_nth, __ATOMIC_SEQ_CST);
	void *p;

	__atomic_add_fetch(&harness_alloc_total, 1, __ATOMIC_SEQ_CST);
	if (nth > 0 && __atomic_sub_fetch(&harness_alloc_fail_nth, 1, __ATOMIC_SEQ_CST) == 0) {
		__atomic_add_fetch(&harness_alloc_failed, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	/* malloc(0) may return NULL; the kernel returns a non-NULL token. */
	if (!size)
		size = 1;
	if (align > __alignof__(max_align_t)) {
		if (posix_memalign(&p, align, size))
			p = NULL;
		else if (flags & __GFP_ZERO)
			memset(p, 0, size);
	} else {
		p = (flags & __GFP_ZERO) ? calloc(1, size) : malloc(size);
	}
	if (!p)
		return NULL;
	/*
	 * As the kernel's slab debugging does: what the code does not
	 * initialise reads as poison, never as zeroes or an older object.
	 */
	if (!(flags & __GFP_ZERO))
		memset(p, HARNESS_POISON, size);
	__atomic_add_fetch(&harness_alloc_live, 1, __ATOMIC_SEQ_CST);
	return p;
}

void *harness_alloc(size_t size, gfp_t flags)
{
	return harness_alloc_aligned(size, 0, flags);
}

void harness_free(const void *p)
{
	if (!p)
		return;
	__atomic_sub_fetch(&harness_alloc_live, 1, __ATOMIC_SEQ_CST);
	free((void *)p);
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *))
{
	struct kmem_cache *c = malloc(sizeof(*c));

	(void)name; (void)ctor;
	if (!c)
		return NULL;
	c->size = size;
	c->align = align;
	if ((flags & SLAB_HWCACHE_ALIGN) && c->align < L1_CACHE_BYTES)
		c->align = L1_CACHE_BYTES;
	return c;
}

void kmem_cache_destroy(struct kmem_cache *c)
{
	free(c);
}

/* ---- RCU / SRCU ---- */

unsigned long harness_grace_periods;
unsigned long harness_worker_grace_periods;
unsigned long harness_rcu_grace_periods;
void (*harness_synchronize_hook)(struct srcu_struct *ssp);

/* ---- tracepoints (tests/include/linux/tracepoint.h) ---- */

void (*harness_trace_hook)(const char *name, const void *entry, size_t size);
__thread int harness_rcu_registered;

void harness_rcu_unregistered_reader(void)
{
	fprintf(stderr, "harness: RCU/SRCU reader on a thread not registered with liburcu "
		"(call harness_rcu_register_thread())\n");
	abort();
}

void harness_rcu_register_thread(void)
{
	if (!harness_rcu_registered) {
		urcu_memb_register_thread();
		harness_srcu_register_thread();
		harness_rcu_registered = 1;
	}
}

void harness_rcu_unregister_thread(void)
{
	if (harness_rcu_registered) {
		harness_srcu_unregister_thread();
		urcu_memb_unregister_thread();
		harness_rcu_registered = 0;
	}
}

/* Set on the work-queue thread: its grace periods are not the caller's. */
__thread int harness_in_worker;

void synchronize_rcu(void)
{
	if (harness_rcu_registered && WARN_ON(urcu_memb_read_ongoing()))
		return;
	urcu_memb_synchronize_rcu();
	__atomic_add_fetch(&harness_rcu_grace_periods, 1, __ATOMIC_SEQ_CST);
}

/* Wait queues are in wait.c, SRCU in srcu.c. */

/* ---- work queue: one worker thread ---- */

struct workqueue_struct {
	int dummy;
};
static struct workqueue_struct shim_system_wq;
struct workqueue_struct *system_wq = &shim_system_wq;
struct workqueue_struct *system_unbound_wq = &shim_system_wq;

static pthread_mutex_t wq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wq_cond = PTHREAD_COND_INITIALIZER;	/* queue or state changed */
static struct work_struct *wq_head, *wq_tail;
static pthread_once_t wq_once = PTHREAD_ONCE_INIT;
static int wq_running;
static bool wq_held;	/* see harness_workqueue_hold() */

static void *wq_worker(void *arg)
{
	(void)arg;
	harness_in_worker = 1;
	harness_rcu_register_thread();
	pthread_mutex_lock(&wq_lock);
	for (;;) {
		struct work_struct *w;

		while (!wq_head || wq_held)
			pthread_cond_wait(&wq_cond, &wq_lock);
		w = wq_head;
		wq_head = w->next;
		if (!wq_head)
			wq_tail = NULL;
		w->next = NULL;
		w->state = WORK_SHIM_RUNNING;	/* pending cleared, as the kernel does */
		wq_running++;
		pthread_mutex_unlock(&wq_lock);
		w->func(w);
		pthread_mutex_lock(&wq_lock);
		w->state &= ~WORK_SHIM_RUNNING;
		wq_running--;
		pthread_cond_broadcast(&wq_cond);
	}
	return NULL;
}

static void wq_start(void)
{
	pthread_t t;
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&t, NULL, wq_worker, NULL))
		abort();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_detach(t);
}

bool queue_work(struct workqueue_struct *wq, struct work_struct *work)
{
	bool queued = false;

	(void)wq;
	pthread_once(&wq_once, wq_start);
	pthread_mutex_lock(&wq_lock);
	if (!(work->state & WORK_SHIM_PENDING)) {
		work->state |= WORK_SHIM_PENDING;
		work->next = NULL;
		if (wq_tail)
			wq_tail->next = work;
		else
			wq_head = work;
		wq_tail = work;
		queued = true;
		/* A held worker is woken when it is released. */
		if (!wq_held)
			pthread_cond_broadcast(&wq_cond);
	}
	pthread_mutex_unlock(&wq_lock);
	return queued;
}

bool work_pending(struct work_struct *work)
{
	return __atomic_load_n(&work->state, __ATOMIC_SEQ_CST) & WORK_SHIM_PENDING;
}

bool flush_work(struct work_struct *work)
{
	bool waited = false;

	pthread_mutex_lock(&wq_lock);
	while (work->state) {
		waited = true;
		pthread_cond_wait(&wq_cond, &wq_lock);
	}
	pthread_mutex_unlock(&wq_lock);
	return waited;
}

bool cancel_work_sync(struct work_struct *work)
{
	bool was_pending = false;

	pthread_mutex_lock(&wq_lock);
	if (work->state & WORK_SHIM_PENDING) {
		struct work_struct **pp, *prev = NULL;

		for (pp = &wq_head; *pp; prev = *pp, pp = &(*pp)->next) {
			if (*pp == work) {
				*pp = work->next;
				if (wq_tail == work)
					wq_tail = prev;
				break;
			}
		}
		work->next = NULL;
		work->state &= ~WORK_SHIM_PENDING;
		was_pending = true;
	}
	while (work->state & WORK_SHIM_RUNNING)
		pthread_cond_wait(&wq_cond, &wq_lock);
	pthread_mutex_unlock(&wq_lock);
	return was_pending;
}

void harness_workqueue_hold(bool hold)
{
	pthread_mutex_lock(&wq_lock);
	wq_held = hold;
	/* Only a release gives the worker something to do. */
	if (!hold)
		pthread_cond_broadcast(&wq_cond);
	pthread_mutex_unlock(&wq_lock);
}

void flush_workqueue(struct workqueue_struct *wq)
{
	(void)wq;
	pthread_mutex_lock(&wq_lock);
	while (wq_head || wq_running)
		pthread_cond_wait(&wq_cond, &wq_lock);
	pthread_mutex_unlock(&wq_lock);
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...)
{
	(void)fmt; (void)flags; (void)max_active;
	return system_wq;
}

void destroy_workqueue(struct workqueue_struct *wq)
{
	flush_workqueue(wq);
}
