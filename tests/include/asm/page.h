/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: the page allocator and the direct map, enough for
 * backends that keep page tables (arch/x86/kvm).
 *
 * The "direct map" is the identity: __pa(p) == p, so a table's pfn is its
 * address >> PAGE_SHIFT, as in a fake physical world.  __get_free_page()
 * carves a page-aligned page out of one counted harness_alloc() block
 * (so leaks, fault injection and ASan all apply), with its struct page in
 * the page that follows it, so virt_to_page() is arithmetic.
 */
#ifndef _SHIM_ASM_PAGE_H
#define _SHIM_ASM_PAGE_H

#include <linux/types.h>
#include <linux/gfp.h>
#include <linux/slab.h>

struct page {
	unsigned long private;
	void *block;		/* the harness_alloc() block holding the page */
};

#define __pa(x)			((unsigned long)(x))
#define __va(x)			((void *)(unsigned long)(x))

static inline struct page *virt_to_page(const void *addr)
{
	return (struct page *)(((unsigned long)addr & PAGE_MASK) + PAGE_SIZE);
}

static inline void *page_address(const struct page *page)
{
	return (void *)((unsigned long)page - PAGE_SIZE);
}

#define page_private(page)		((page)->private)
#define set_page_private(page, v)	((page)->private = (v))

static inline unsigned long __get_free_page(gfp_t gfp)
{
	void *block = harness_alloc(3 * PAGE_SIZE, gfp);
	unsigned long addr;
	struct page *page;

	if (!block)
		return 0;
	addr = ((unsigned long)block + PAGE_SIZE - 1) & PAGE_MASK;
	page = virt_to_page((void *)addr);
	page->private = 0;
	page->block = block;
	return addr;
}

static inline void free_page(unsigned long addr)
{
	if (addr)
		harness_free(virt_to_page((void *)addr)->block);
}

#endif
