/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: one worker thread (started on first use, registered
 * with liburcu) runs queued work items in FIFO order, as system_wq would.
 * Work is never run inline by schedule_work(): the caller may hold locks
 * the work function takes.  flush_work() waits until the item is neither
 * pending nor running; cancel_work_sync() dequeues it if pending and
 * waits if running.
 */
#ifndef _SHIM_LINUX_WORKQUEUE_H
#define _SHIM_LINUX_WORKQUEUE_H
#include <linux/types.h>
#include <linux/container_of.h>

struct work_struct;
typedef void (*work_func_t)(struct work_struct *work);

struct work_struct {
	work_func_t func;
	unsigned int state;		/* WORK_SHIM_PENDING | WORK_SHIM_RUNNING */
	struct work_struct *next;
};
#define WORK_SHIM_PENDING	1u
#define WORK_SHIM_RUNNING	2u

struct workqueue_struct;
extern struct workqueue_struct *system_wq;
extern struct workqueue_struct *system_unbound_wq;

#define __WORK_INITIALIZER(n, f)	{ (f), 0, NULL }
#define DECLARE_WORK(n, f)	struct work_struct n = __WORK_INITIALIZER(n, f)
#define INIT_WORK(w, f) do {						\
	(w)->func = (f);						\
	(w)->state = 0;							\
	(w)->next = NULL;						\
} while (0)

bool queue_work(struct workqueue_struct *wq, struct work_struct *work);
static inline bool schedule_work(struct work_struct *work)
{
	return queue_work(system_wq, work);
}
bool flush_work(struct work_struct *work);
bool cancel_work_sync(struct work_struct *work);
bool work_pending(struct work_struct *work);
void flush_workqueue(struct workqueue_struct *wq);
#define flush_scheduled_work()	flush_workqueue(system_wq)
#define WQ_UNBOUND	0x2u
#define WQ_MEM_RECLAIM	0x8u
/*
 * Delayed work is queued at once: the kernel would run it a delay later,
 * but no result of the core may depend on when deferred work runs.
 */
struct delayed_work {
	struct work_struct work;
};

#define INIT_DELAYED_WORK(dw, f)	INIT_WORK(&(dw)->work, (f))

static inline struct delayed_work *to_delayed_work(struct work_struct *work)
{
	return container_of(work, struct delayed_work, work);
}

static inline bool schedule_delayed_work(struct delayed_work *dw,
					 unsigned long delay)
{
	(void)delay;
	return queue_work(system_wq, &dw->work);
}

static inline bool mod_delayed_work(struct workqueue_struct *wq,
				    struct delayed_work *dw, unsigned long delay)
{
	(void)delay;
	return queue_work(wq, &dw->work);
}

static inline bool flush_delayed_work(struct delayed_work *dw)
{
	return flush_work(&dw->work);
}

struct workqueue_struct *alloc_workqueue(const char *fmt, unsigned int flags, int max_active, ...);
void destroy_workqueue(struct workqueue_struct *wq);

#endif
