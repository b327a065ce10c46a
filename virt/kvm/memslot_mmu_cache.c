// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: caches of zeroed pages for a backend's translation tables.
 *
 * map() runs under mmu_lock, a spinlock, where only atomic allocations are
 * possible: those draw on the atomic reserves and, in Linux 6.1, memcg
 * charges them past memory.max.  So the fault path fills a per-vCPU cache
 * with GFP_KERNEL_ACCOUNT pages before it takes the lock, as many as one
 * map() may need (ops->map_cache_pages), and map() takes its tables from
 * the cache.  A fill that fails is the access's -ENOMEM: the memory cgroup
 * of the caller, which is charged for every page, keeps its limit.
 */
#include <linux/gfp.h>
#include <linux/kvm_memslot.h>
#include <linux/mm.h>
#include <asm/page.h>

/**
 * kvm_memslot_mmu_cache_topup() - fill a cache where sleeping is allowed
 * @mc:  the cache; its owner's lock held (a vCPU's mutex)
 * @min: pages the cache must hold on success, at most
 *       KVM_MEMSLOT_MMU_CACHE_PAGES
 *
 * Return: 0, or -ENOMEM with the cache holding what it could get.
 */
int kvm_memslot_mmu_cache_topup(struct kvm_memslot_mmu_cache *mc,
				unsigned int min)
{
	min = min_t(unsigned int, min, KVM_MEMSLOT_MMU_CACHE_PAGES);
	while (mc->nr < min) {
		void *page = (void *)__get_free_page(GFP_KERNEL_ACCOUNT |
						     __GFP_ZERO);

		if (!page)
			return -ENOMEM;
		mc->pages[mc->nr++] = page;
	}
	return 0;
}

/**
 * kvm_memslot_mmu_cache_alloc() - take a zeroed page from a cache
 * @mc: the cache; may be called under a spinlock
 *
 * Return: the page's kernel address, or NULL if the cache is empty (the
 * caller topped it up with too small a @min).
 */
void *kvm_memslot_mmu_cache_alloc(struct kvm_memslot_mmu_cache *mc)
{
	if (!mc->nr)
		return NULL;
	mc->taken++;
	return mc->pages[--mc->nr];
}

/**
 * kvm_memslot_mmu_cache_free() - give back every page of a cache
 * @mc: the cache, no longer used
 */
void kvm_memslot_mmu_cache_free(struct kvm_memslot_mmu_cache *mc)
{
	while (mc->nr)
		free_page((unsigned long)mc->pages[--mc->nr]);
}
