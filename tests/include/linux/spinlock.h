/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: spinlock_t and rwlock_t are pthread locks.  The irqsave
 * variants set flags to 0: there are no interrupts here.
 */
#ifndef _SHIM_LINUX_SPINLOCK_H
#define _SHIM_LINUX_SPINLOCK_H
#include <pthread.h>
#include <linux/types.h>
#include <linux/bug.h>
#include <linux/lockdep.h>

typedef struct {
	pthread_mutex_t m;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(name)	{ PTHREAD_MUTEX_INITIALIZER }
#define DEFINE_SPINLOCK(name)		spinlock_t name = __SPIN_LOCK_UNLOCKED(name)

static inline void spin_lock_init(spinlock_t *l) { pthread_mutex_init(&l->m, NULL); }
static inline void spin_lock(spinlock_t *l) { pthread_mutex_lock(&l->m); }
static inline void spin_unlock(spinlock_t *l) { pthread_mutex_unlock(&l->m); }
static inline int spin_trylock(spinlock_t *l) { return pthread_mutex_trylock(&l->m) == 0; }
#define spin_lock_irq(l)		spin_lock(l)
#define spin_unlock_irq(l)		spin_unlock(l)
#define spin_lock_bh(l)			spin_lock(l)
#define spin_unlock_bh(l)		spin_unlock(l)
#define spin_lock_irqsave(l, flags)	do { (flags) = 0; spin_lock(l); } while (0)
#define spin_unlock_irqrestore(l, flags) do { (void)(flags); spin_unlock(l); } while (0)
#define assert_spin_locked(l)		do { (void)(l); } while (0)

typedef struct {
	pthread_rwlock_t l;
} rwlock_t;

#define __RW_LOCK_UNLOCKED(name)	{ PTHREAD_RWLOCK_INITIALIZER }
#define DEFINE_RWLOCK(name)		rwlock_t name = __RW_LOCK_UNLOCKED(name)
static inline void rwlock_init(rwlock_t *l) { pthread_rwlock_init(&l->l, NULL); }
static inline void read_lock(rwlock_t *l) { pthread_rwlock_rdlock(&l->l); }
static inline void read_unlock(rwlock_t *l) { pthread_rwlock_unlock(&l->l); }
static inline void write_lock(rwlock_t *l) { pthread_rwlock_wrlock(&l->l); }
static inline void write_unlock(rwlock_t *l) { pthread_rwlock_unlock(&l->l); }

#endif
