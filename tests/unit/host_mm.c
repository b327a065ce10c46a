// SPDX-License-Identifier: GPL-2.0-only
/*
 * The harness's replacement of ../../virt/kvm/memslot_host_mm.c: a fake
 * host mm of NR_HOST_PAGES pages from TEST_HVA_BASE, each mapping a frame
 * (writable or not) that tests replace, unmap or write-protect at will,
 * with a reference count per frame.  The tests that link the gfn_to_pfn
 * cache (../../virt/kvm/pfncache.c) take their page references here, as
 * the module's cache takes them from the host mm (see host_mm.h), and so
 * does the fault path (../../virt/kvm/memslot_access.c), which also reads
 * and writes the frames' memory through kmap_local_pfn().
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "host_mm.h"

#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/highmem.h>
#include <linux/kvm_memslot_host.h>
#include <linux/kvm_memslot_pfncache.h>

#include "../../virt/kvm/memslot_host_mm.h"

#define NR_PFNS		BIT(20)

static struct fake_pte fake_mm[NR_HOST_PAGES];
static int fake_refs[NR_PFNS];
static unsigned long next_pfn;
/* A page of memory per frame, allocated when it is first mapped. */
static void *frame_mem[NR_PFNS];
unsigned long pins;
unsigned long page_pins[NR_HOST_PAGES];
void (*pin_hook)(unsigned long hva);

struct fake_pte *fake_pte(unsigned long hva)
{
	unsigned long i = (hva - TEST_HVA_BASE) >> PAGE_SHIFT;

	assert_true(hva >= TEST_HVA_BASE && i < NR_HOST_PAGES);
	return &fake_mm[i];
}

unsigned long fake_new_pfn(void)
{
	unsigned long pfn = __atomic_add_fetch(&next_pfn, 1, __ATOMIC_SEQ_CST);

	assert_true(pfn < PFN_BASE + NR_PFNS);
	return pfn;
}

/* Map every page of the fake mm, writable. */
void fake_mm_reset(void)
{
	unsigned long i;

	memset(fake_refs, 0, sizeof(fake_refs));
	for (i = 0; i < NR_PFNS; i++) {
		free(frame_mem[i]);
		frame_mem[i] = NULL;
	}
	next_pfn = PFN_BASE;
	pins = 0;
	memset(page_pins, 0, sizeof(page_pins));
	pin_hook = NULL;
	for (i = 0; i < NR_HOST_PAGES; i++) {
		fake_mm[i].pfn = fake_new_pfn();
		fake_mm[i].writable = true;
	}
}

unsigned long fake_pfn(unsigned long hva)
{
	return __atomic_load_n(&fake_pte(hva)->pfn, __ATOMIC_SEQ_CST);
}

int fake_ref(unsigned long pfn)
{
	return __atomic_load_n(&fake_refs[pfn - PFN_BASE], __ATOMIC_SEQ_CST);
}

int fake_total_refs(void)
{
	unsigned long pfn;
	int n = 0;

	for (pfn = PFN_BASE; pfn <= next_pfn; pfn++)
		n += fake_ref(pfn);
	return n;
}

int kvm_memslot_gpc_pin(struct kvm_memslot_vm *vm, unsigned long hva,
			bool write, unsigned long *pfn)
{
	struct fake_pte *pte;
	unsigned long p;

	__atomic_add_fetch(&pins, 1, __ATOMIC_SEQ_CST);
	pte = fake_pte(hva);
	__atomic_add_fetch(&page_pins[pte - fake_mm], 1, __ATOMIC_SEQ_CST);
	if (pin_hook)
		pin_hook(hva);
	p = __atomic_load_n(&pte->pfn, __ATOMIC_SEQ_CST);
	if (!p || (write && !__atomic_load_n(&pte->writable, __ATOMIC_SEQ_CST)))
		return -EFAULT;
	__atomic_add_fetch(&fake_refs[p - PFN_BASE], 1, __ATOMIC_SEQ_CST);
	*pfn = p;
	return 0;
}

void kvm_memslot_gpc_unpin(struct kvm_memslot_vm *vm, unsigned long pfn)
{
	int left = __atomic_sub_fetch(&fake_refs[pfn - PFN_BASE], 1,
				      __ATOMIC_SEQ_CST);

	/* An unbalanced put would free a page someone still maps. */
	if (left < 0)
		fail_msg("pfn %#lx released more often than taken", pfn);
}

/* The page of the fake mm at @hva, NULL if @hva is outside it. */
static struct fake_pte *fake_pte_or_null(unsigned long hva)
{
	unsigned long i = (hva - TEST_HVA_BASE) >> PAGE_SHIFT;

	return hva >= TEST_HVA_BASE && i < NR_HOST_PAGES ? &fake_mm[i] : NULL;
}

void *kmap_local_pfn(unsigned long pfn)
{
	void *mem, *old = NULL;

	assert_true(pfn >= PFN_BASE && pfn < PFN_BASE + NR_PFNS);
	mem = __atomic_load_n(&frame_mem[pfn - PFN_BASE], __ATOMIC_ACQUIRE);
	if (mem)
		return mem;
	mem = calloc(1, PAGE_SIZE);
	assert_non_null(mem);
	if (__atomic_compare_exchange_n(&frame_mem[pfn - PFN_BASE], &old, mem,
					false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return mem;
	free(mem);
	return old;
}

/* Look up @hva, and take a reference on its frame if @take. */
static int fake_lookup(unsigned long hva, bool write, bool take,
		       unsigned long *pfn)
{
	struct fake_pte *pte = fake_pte_or_null(hva);
	unsigned long p;

	if (!pte)
		return -EFAULT;
	p = __atomic_load_n(&pte->pfn, __ATOMIC_SEQ_CST);
	if (!p || (write && !__atomic_load_n(&pte->writable, __ATOMIC_SEQ_CST)))
		return -EFAULT;
	if (take)
		__atomic_add_fetch(&fake_refs[p - PFN_BASE], 1, __ATOMIC_SEQ_CST);
	*pfn = p;
	return 0;
}

bool kvm_memslot_host_map_lookup(struct kvm_memslot_vm *vm, unsigned long hva,
				 struct kvm_memslot_host_map *map)
{
	struct fake_pte *pte = fake_pte_or_null(hva);
	unsigned long p;

	if (fake_lookup(hva, false, false, &p))
		return false;
	map->pfn = p;
	map->writable = __atomic_load_n(&pte->writable, __ATOMIC_SEQ_CST);
	/* The fake mm maps with 4 KiB leaves only. */
	map->shift = PAGE_SHIFT;
	return true;
}

bool kvm_memslot_hva_to_pfn_fast_writable(unsigned long hva,
					  unsigned long *pfn)
{
	return !fake_lookup(hva, true, true, pfn);
}

int kvm_memslot_hva_to_pfn(unsigned long hva, bool write, unsigned long *pfn)
{
	return fake_lookup(hva, write, true, pfn);
}

void kvm_memslot_release_pfn(unsigned long pfn, bool dirty)
{
	kvm_memslot_gpc_unpin(NULL, pfn);
}

int kvm_memslot_hva_to_pfn_peek(struct kvm_memslot_vm *vm, unsigned long hva,
				unsigned long *pfn)
{
	return fake_lookup(hva, false, false, pfn);
}

int kvm_memslot_hva_to_pfn_peek_write(struct kvm_memslot_vm *vm,
				      unsigned long hva, unsigned long *pfn)
{
	return fake_lookup(hva, true, false, pfn);
}
