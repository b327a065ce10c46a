// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: every access to the host mm behind a VM's guest memory.
 *
 * The fault path (memslot_access.c) and the gfn_to_pfn cache (pfncache.c)
 * resolve host virtual addresses to pages here, take and drop their page
 * references here, and peek at the host page tables here: the size of the
 * host's mapping, which decides whether a fault may install a larger
 * translation, and the frame mapped at an address, which a backend's audit
 * compares its translations with.  Nothing else in the module touches the
 * host mm, so the userspace harness replaces this one file with a fake mm.
 */
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/kvm_memslot_pfncache.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched.h>

#include "memslot_fd.h"
#include "memslot_host_mm.h"

/**
 * kvm_memslot_host_map_lookup() - what the host maps at an address
 * @vm:  memslot state of a VM created on /dev/kvm-memslot
 * @hva: host virtual address in the VM's mm
 * @map: receives the 4 KiB frame mapped at @hva, whether it may be written,
 *       and the size of the host's leaf that maps it
 *
 * Reads the host page tables of the VM's mm.  Lockless, like gup-fast:
 * only for the current mm (the caller checks), with interrupts off, which
 * keeps the table pages from being freed while they are read.  Each level
 * is read once into a local copy and the next level is found from the
 * copy, so a concurrent change can make the result stale but never wrong
 * to read.  Does not sleep.
 *
 * Return: true if a page is mapped accessibly at @hva.
 */
bool kvm_memslot_host_map_lookup(struct kvm_memslot_vm *vm, unsigned long hva,
				 struct kvm_memslot_host_map *map)
{
	struct mm_struct *mm = kvm_memslot_host_vm(vm)->mm;
	unsigned long flags, pfn;
	bool ok = false;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;
	pte_t *ptep, pte;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (pgd_none(pgd) || pgd_bad(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (p4d_none(p4d) || p4d_bad(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (pud_leaf(pud)) {
		if (!pud_access_permitted(pud, false))
			goto out;
		pfn = pud_pfn(pud) + ((hva & ~PUD_MASK) >> PAGE_SHIFT);
		map->writable = pud_write(pud);
		map->shift = PUD_SHIFT;
		ok = true;
		goto out_found;
	}
	if (pud_none(pud) || pud_bad(pud))
		goto out;
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (pmd_leaf(pmd)) {
		if (!pmd_access_permitted(pmd, false))
			goto out;
		pfn = pmd_pfn(pmd) + ((hva & ~PMD_MASK) >> PAGE_SHIFT);
		map->writable = pmd_write(pmd);
		map->shift = PMD_SHIFT;
		ok = true;
		goto out_found;
	}
	if (pmd_none(pmd) || pmd_bad(pmd))
		goto out;
	ptep = pte_offset_map(&pmd, hva);
	pte = ptep_get(ptep);
	pte_unmap(ptep);
	if (!pte_access_permitted(pte, false))
		goto out;
	pfn = pte_pfn(pte);
	map->writable = pte_write(pte);
	map->shift = PAGE_SHIFT;
	ok = true;
out_found:
	map->pfn = pfn;
out:
	local_irq_restore(flags);
	return ok;
}

static int hva_peek(struct kvm_memslot_vm *vm, unsigned long hva,
		    bool write, unsigned long *pfn)
{
	struct kvm_memslot_host_map map;

	/* The lockless walk is only safe on the mm this CPU runs. */
	if (current->mm != kvm_memslot_host_vm(vm)->mm)
		return -EINVAL;
	if (!kvm_memslot_host_map_lookup(vm, hva, &map) ||
	    (write && !map.writable))
		return -EFAULT;
	*pfn = map.pfn;
	return 0;
}

/**
 * kvm_memslot_hva_to_pfn_peek() - the frame the host maps at an address
 * @vm:    memslot state of a VM created on /dev/kvm-memslot
 * @hva:   host virtual address in the VM's mm
 * @pfn:   receives the 4 KiB frame mapped at @hva
 *
 * For audits: reads the host page tables without faulting anything in,
 * without sleeping and without taking a page reference, so it may be called
 * with mmu_lock held.  The answer is only stable while no MMU-notifier
 * invalidation covers @hva; with mmu_lock held and none in progress, a
 * translation made from @hva must map exactly *@pfn.  Only callable from a
 * task of the VM's mm (any VM or vCPU ioctl is).
 *
 * Return: 0, -EFAULT if no page is mapped accessibly at @hva, -EINVAL if
 * called from another mm.
 */
int kvm_memslot_hva_to_pfn_peek(struct kvm_memslot_vm *vm,
				unsigned long hva, unsigned long *pfn)
{
	return hva_peek(vm, hva, false, pfn);
}

/**
 * kvm_memslot_hva_to_pfn_peek_write() - the frame the host maps writable
 * @vm:    memslot state of a VM created on /dev/kvm-memslot
 * @hva:   host virtual address in the VM's mm
 * @pfn:   receives the 4 KiB frame mapped at @hva
 *
 * As kvm_memslot_hva_to_pfn_peek(), but only for a page the host maps
 * writable: a writable translation of @hva is legitimate only then (after
 * mprotect() to read-only, or a fork that made the page copy-on-write, the
 * host maps it read-only and the MMU notifier must have removed it).
 *
 * Return: 0, -EFAULT if no page is mapped writable at @hva, -EINVAL if
 * called from another mm.
 */
int kvm_memslot_hva_to_pfn_peek_write(struct kvm_memslot_vm *vm,
				      unsigned long hva, unsigned long *pfn)
{
	return hva_peek(vm, hva, true, pfn);
}

/**
 * kvm_memslot_hva_to_pfn_fast_writable() - a page the host maps writable
 * @hva: host virtual address in the current mm
 * @pfn: receives the page frame, with a reference taken on the page
 *
 * Only looks (gup-fast): nothing is faulted in, copy-on-write is not
 * broken, and nothing sleeps.  A fault that only reads uses it to map a
 * page writable when the host already does, rather than ask for write
 * access, which would break copy-on-write or allocate memory for a read.
 *
 * Return: true, with a reference to drop with kvm_memslot_release_pfn(), if
 * the host maps a page writable at @hva.
 */
bool kvm_memslot_hva_to_pfn_fast_writable(unsigned long hva,
					  unsigned long *pfn)
{
	struct page *page;

	if (!get_user_page_fast_only(hva, FOLL_WRITE, &page))
		return false;
	*pfn = page_to_pfn(page);
	return true;
}

/**
 * kvm_memslot_hva_to_pfn() - the page behind a host address, faulted in
 * @hva:   host virtual address in the current mm
 * @write: the page must be mapped writable (copy-on-write is broken)
 * @pfn:   receives the page frame, with a reference taken on the page
 *
 * May sleep.
 *
 * Return: 0, with a reference to drop with kvm_memslot_release_pfn(),
 * -EFAULT if the host maps no page allowing the access at @hva, or another
 * negative errno from get_user_pages.
 */
int kvm_memslot_hva_to_pfn(unsigned long hva, bool write, unsigned long *pfn)
{
	struct page *page;
	long n;

	n = get_user_pages_unlocked(hva, 1, &page, write ? FOLL_WRITE : 0);
	if (n != 1)
		return n < 0 ? n : -EFAULT;
	*pfn = page_to_pfn(page);
	return 0;
}

/**
 * kvm_memslot_release_pfn() - drop the reference a lookup took
 * @pfn:   a frame from kvm_memslot_hva_to_pfn() or
 *         kvm_memslot_hva_to_pfn_fast_writable()
 * @dirty: the page was written other than through the host page tables
 *         (a translation allowed writes): tell the host, or reclaim could
 *         drop a page it believes clean
 *
 * May sleep if @dirty.
 */
void kvm_memslot_release_pfn(unsigned long pfn, bool dirty)
{
	struct page *page = pfn_to_page(pfn);

	if (dirty)
		set_page_dirty_lock(page);
	put_page(page);
}

/**
 * kvm_memslot_resolve_vm_page() - the host pages behind one VM page
 * @slot:     the slot of @gfn
 * @gfn:      a VM page of @slot, of 1 << @slot->page_shift bytes
 * @write:    every host page must be mapped writable
 * @pfns:     receives the frame of each host page of @gfn, in order, with
 *            a reference taken on each
 * @writable: receives whether every one is mapped writable
 *
 * For a backend whose VM page is larger than the host's (PowerPC's 64 KiB
 * pages on a 4 KiB host): one translation maps all of them, so all are
 * resolved.  A read takes a page writable only if the host already maps
 * it so, as the fault path does.  May sleep.
 *
 * Return: 0, with the references to drop with
 * kvm_memslot_release_vm_page(), or the errno of the host page that could
 * not be resolved (-EFAULT if the host maps nothing usable), with no
 * reference left.
 */
int kvm_memslot_resolve_vm_page(const struct kvm_memory_slot *slot,
				kvm_memslot_gfn_t gfn, bool write,
				unsigned long *pfns, bool *writable)
{
	unsigned long hva = kvm_memslot_gfn_to_hva(slot, gfn);
	unsigned int i, n = 1U << (slot->page_shift - PAGE_SHIFT);
	int r;

	*writable = true;
	for (i = 0; i < n; i++, hva += PAGE_SIZE) {
		if (!write && kvm_memslot_hva_to_pfn_fast_writable(hva, &pfns[i]))
			continue;
		r = kvm_memslot_hva_to_pfn(hva, write, &pfns[i]);
		if (r) {
			while (i--)
				kvm_memslot_release_pfn(pfns[i], false);
			return r;
		}
		if (!write)
			*writable = false;
	}
	return 0;
}

/**
 * kvm_memslot_release_vm_page() - drop what kvm_memslot_resolve_vm_page() took
 * @slot:  the slot the page was resolved from
 * @pfns:  its frames
 * @dirty: as for kvm_memslot_release_pfn()
 *
 * May sleep if @dirty.
 */
void kvm_memslot_release_vm_page(const struct kvm_memory_slot *slot,
				 unsigned long *pfns, bool dirty)
{
	unsigned int i, n = 1U << (slot->page_shift - PAGE_SHIFT);

	for (i = 0; i < n; i++)
		kvm_memslot_release_pfn(pfns[i], dirty);
}

/**
 * kvm_memslot_gpc_pin() - take a reference on the page a host address maps
 * @vm:    memslot state of a VM created on /dev/kvm-memslot
 * @hva:   host virtual address in the VM's mm
 * @write: the page must be mapped writable: copy-on-write is broken, and
 *         the page is marked dirty, since writes through a cache bypass
 *         the host page tables
 * @pfn:   receives the page frame
 *
 * Faults the page in if needed, so it sleeps.  The reference is dropped
 * with kvm_memslot_gpc_unpin().
 *
 * Return: 0, -EIO from a task of another mm, -EFAULT if the host maps no
 * page allowing the access at @hva (or the mapping has no struct page),
 * or another negative errno from get_user_pages.
 */
int kvm_memslot_gpc_pin(struct kvm_memslot_vm *vm, unsigned long hva,
			bool write, unsigned long *pfn)
{
	int r;

	/* Guest memory is addressed in the VM's mm; gup works on ours. */
	if (current->mm != kvm_memslot_host_vm(vm)->mm)
		return -EIO;
	r = kvm_memslot_hva_to_pfn(hva, write, pfn);
	if (r)
		return r;
	/*
	 * Dirty now rather than at each write: cleaning the page for
	 * writeback write-protects it first, and that invalidation clears
	 * the cache, so every write lands while the page is still dirty.
	 */
	if (write)
		set_page_dirty_lock(pfn_to_page(*pfn));
	return 0;
}

/**
 * kvm_memslot_gpc_unpin() - drop the reference kvm_memslot_gpc_pin() took
 * @vm:    the VM
 * @pfn:   the page frame
 *
 * Does not sleep: caches are cleared from MMU-notifier invalidations.
 */
void kvm_memslot_gpc_unpin(struct kvm_memslot_vm *vm, unsigned long pfn)
{
	put_page(pfn_to_page(pfn));
}
