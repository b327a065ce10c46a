/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: the allocators are malloc/calloc/free, counted, with a
 * fault-injection knob.  harness_alloc_fail_nth = N (N >= 1) makes the Nth
 * allocation from now fail (returns NULL) and then disarms itself;
 * 0 means never fail.  harness_alloc_live counts allocations not yet freed.
 */
#ifndef _SHIM_LINUX_SLAB_H
#define _SHIM_LINUX_SLAB_H

#include <stddef.h>
#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/errno.h>
#include <linux/overflow.h>

extern long harness_alloc_fail_nth;
extern long harness_alloc_live;
extern unsigned long harness_alloc_total;
extern unsigned long harness_alloc_failed;

void *harness_alloc(size_t size, gfp_t flags);
void *harness_alloc_aligned(size_t size, size_t align, gfp_t flags);
void harness_free(const void *p);

static inline void *kmalloc(size_t size, gfp_t flags) { return harness_alloc(size, flags); }
static inline void *kzalloc(size_t size, gfp_t flags) { return harness_alloc(size, flags | __GFP_ZERO); }
static inline void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return harness_alloc(bytes, flags);
}
static inline void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags | __GFP_ZERO);
}
static inline void kfree(const void *p) { harness_free(p); }
static inline void *kvmalloc(size_t size, gfp_t flags) { return harness_alloc(size, flags); }
static inline void *kvzalloc(size_t size, gfp_t flags) { return harness_alloc(size, flags | __GFP_ZERO); }
static inline void *kvmalloc_array(size_t n, size_t size, gfp_t flags) { return kmalloc_array(n, size, flags); }
static inline void *kvcalloc(size_t n, size_t size, gfp_t flags) { return kcalloc(n, size, flags); }
static inline void kvfree(const void *p) { harness_free(p); }

/*
 * kmem_cache: a size and an alignment remembered, nothing more.  Objects
 * are aligned as the kernel's slab aligns them (the align argument, and a
 * cache line for SLAB_HWCACHE_ALIGN), so that a structure laid out by
 * cache lines has the same lines here.
 */
struct kmem_cache {
	size_t size;
	size_t align;
};
#define SLAB_ACCOUNT		0x1u
#define SLAB_HWCACHE_ALIGN	0x2u
#define SLAB_PANIC		0x4u
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
				     unsigned int align, unsigned int flags,
				     void (*ctor)(void *));
void kmem_cache_destroy(struct kmem_cache *c);
#define KMEM_CACHE(s, f)	kmem_cache_create(#s, sizeof(struct s), 0, (f), NULL)
static inline void *kmem_cache_alloc(struct kmem_cache *c, gfp_t flags)
{
	return harness_alloc_aligned(c->size, c->align, flags);
}

static inline void *kmem_cache_zalloc(struct kmem_cache *c, gfp_t flags)
{
	return harness_alloc_aligned(c->size, c->align, flags | __GFP_ZERO);
}

static inline void kmem_cache_free(struct kmem_cache *c, void *p) { (void)c; harness_free(p); }

#endif
