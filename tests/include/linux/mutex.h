/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: struct mutex is a pthread mutex (error-checking). */
#ifndef _SHIM_LINUX_MUTEX_H
#define _SHIM_LINUX_MUTEX_H
#include <pthread.h>
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/bug.h>
#include <linux/lockdep.h>

struct mutex {
	pthread_mutex_t m;
};

#define DEFINE_MUTEX(name) \
	struct mutex name = { PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP }

static inline void mutex_init(struct mutex *m)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m->m, &a);
	pthread_mutexattr_destroy(&a);
}
static inline void mutex_destroy(struct mutex *m) { pthread_mutex_destroy(&m->m); }
/* A relock or a foreign unlock is a kernel bug: count it as a WARN. */
static inline void mutex_lock(struct mutex *m) { WARN_ON(pthread_mutex_lock(&m->m)); }
static inline void mutex_unlock(struct mutex *m) { WARN_ON(pthread_mutex_unlock(&m->m)); }
static inline int mutex_trylock(struct mutex *m) { return pthread_mutex_trylock(&m->m) == 0; }
static inline int mutex_lock_killable(struct mutex *m) { mutex_lock(m); return 0; }
static inline int mutex_lock_interruptible(struct mutex *m) { mutex_lock(m); return 0; }
static inline bool mutex_is_locked(struct mutex *m)
{
	if (pthread_mutex_trylock(&m->m) == 0) {
		pthread_mutex_unlock(&m->m);
		return false;
	}
	return true;
}
#endif
