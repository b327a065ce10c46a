/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: struct rw_semaphore is a pthread rwlock. */
#ifndef _SHIM_LINUX_RWSEM_H
#define _SHIM_LINUX_RWSEM_H
#include <pthread.h>
#include <linux/bug.h>

struct rw_semaphore {
	pthread_rwlock_t l;
};

static inline void init_rwsem(struct rw_semaphore *s) { pthread_rwlock_init(&s->l, NULL); }
static inline void down_read(struct rw_semaphore *s) { WARN_ON(pthread_rwlock_rdlock(&s->l)); }
static inline void up_read(struct rw_semaphore *s) { WARN_ON(pthread_rwlock_unlock(&s->l)); }
static inline void down_write(struct rw_semaphore *s) { WARN_ON(pthread_rwlock_wrlock(&s->l)); }
static inline void up_write(struct rw_semaphore *s) { WARN_ON(pthread_rwlock_unlock(&s->l)); }
static inline int down_read_killable(struct rw_semaphore *s) { down_read(s); return 0; }
static inline int down_write_killable(struct rw_semaphore *s) { down_write(s); return 0; }
#endif
