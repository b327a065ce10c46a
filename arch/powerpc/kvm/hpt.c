// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot PowerPC backend: the hashed page table's format and hash.
 *
 * An HPT is an array of page table entry groups (PTEGs) of 8 HPTEs of two
 * doublewords.  A virtual address hashes to a primary group, and the
 * one's complement of the hash to a secondary one; an HPTE in the
 * secondary group says so with its H bit, so that the hardware compares
 * it only on the secondary search.  The first doubleword (V) holds the
 * abbreviated virtual page number (AVPN), the segment size, the large-page
 * bit and VALID; the second (R) the real page number, R and C, and the
 * protection.  Two software bits of V are the hypervisor's: ABSENT (the
 * guest entered it, the host has not mapped it) and HVLOCK.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/processor.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "memslot_ppc.h"

/**
 * ppc_hpte_page_shift() - the page size an HPTE maps
 * @v: its first doubleword
 * @r: its second doubleword
 *
 * Without L the page is 4 KiB; with L, the low bits of the real page
 * number (LP) say which large size: 0001 for 64 KiB, all zero for 16 MiB.
 * The base page size is the actual size (no mixed page sizes in a
 * segment).
 *
 * Return: log2 of the size, or 0 for an encoding the VM does not have.
 */
unsigned long ppc_hpte_page_shift(u64 v, u64 r)
{
	unsigned int lp = (r >> 12) & 0xf, lphi = (r >> 16) & 0xf;

	if (!(v & PPC_HPTE_V_LARGE))
		return 12;
	if (lp == 1)
		return 16;
	if (lp == 0 && !lphi)
		return 24;
	return 0;
}

/**
 * ppc_hpte_avpn() - the AVPN and segment size bits of V for an address
 * @va:    virtual address
 * @shift: log2 of the page size
 * @ssize: 0 for 256 MiB segments, 1 for 1 TiB
 *
 * The AVPN is the virtual address from bit 23 up; bits within the page
 * (a 16 MiB page spans two AVPN values) are not compared.
 *
 * Return: V's AVPN and B fields.
 */
u64 ppc_hpte_avpn(u64 va, unsigned int shift, unsigned int ssize)
{
	u64 avpn = (va >> 23) << PPC_HPTE_V_AVPN_SHIFT;

	if (shift > 23)
		avpn &= ~((1ULL << (shift - 23 + PPC_HPTE_V_AVPN_SHIFT)) - 1);
	return (avpn & PPC_HPTE_V_AVPN) | ((u64)ssize << PPC_HPTE_V_SSIZE_SHIFT);
}

/**
 * ppc_hpt_hash() - the primary hash of a virtual address
 * @va:    virtual address
 * @shift: log2 of the page size
 * @ssize: 0 for 256 MiB segments, 1 for 1 TiB
 *
 * Return: the VSID hashed with the page number within the segment; the
 * secondary hash is its complement.
 */
u64 ppc_hpt_hash(u64 va, unsigned int shift, unsigned int ssize)
{
	u64 vsid;

	if (!ssize) {
		vsid = va >> 28;
		return (vsid & 0x7fffffffffULL) ^ ((va & 0x0fffffffULL) >> shift);
	}
	vsid = va >> 40;
	return vsid ^ (vsid << 25) ^ ((va & 0xffffffffffULL) >> shift);
}

/**
 * ppc_hpt_group() - the first HPTE index of a hash's group
 * @hpt:       the table
 * @hash:      a primary hash
 * @secondary: the secondary group instead
 *
 * Return: index of the group's first HPTE.
 */
unsigned long ppc_hpt_group(const struct ppc_hpt *hpt, u64 hash,
			    bool secondary)
{
	unsigned long mask = hpt->npte / PPC_HPTES_PER_GROUP - 1;

	if (secondary)
		hash = ~hash;
	return (hash & mask) * PPC_HPTES_PER_GROUP;
}

/*
 * Whether the entry at @index translates @va with a page of 1 << @shift:
 * in use (VALID, or ABSENT: the guest's entry stands), the AVPN and B
 * match, L and the page size match, and H says which group it is in.
 */
static bool hpte_matches(const struct ppc_hpt *hpt, unsigned long index,
			 u64 va, unsigned int shift, unsigned int ssize,
			 bool secondary)
{
	const u64 *hpte = ppc_hpte(hpt, index);
	u64 v = READ_ONCE(hpte[0]), r = READ_ONCE(hpte[1]);
	u64 want = ppc_hpte_avpn(va, shift, ssize);

	if (!(v & (PPC_HPTE_V_VALID | PPC_HPTE_V_ABSENT)))
		return false;
	if ((v & (PPC_HPTE_V_AVPN | (3ULL << PPC_HPTE_V_SSIZE_SHIFT))) != want)
		return false;
	if (!!(v & PPC_HPTE_V_SECONDARY) != secondary)
		return false;
	return ppc_hpte_page_shift(v, r) == shift;
}

/**
 * ppc_hpt_find() - search the table for the HPTE translating an address
 * @hpt:    the table
 * @va:     virtual address
 * @ssize:  segment size, 0 (256 MiB) or 1 (1 TiB)
 * @shifts: bitmap of the page sizes (BIT(log2)) to try, smallest first
 * @vrma:   only entries the host made for real mode, or only others
 *
 * As the MMU searches: for each page size, the primary group and then the
 * secondary one.  Lockless, like the hardware: the caller locks the entry
 * it found and checks it again.
 *
 * Return: the index, or -1 if no entry translates @va.
 */
long ppc_hpt_find(const struct ppc_hpt *hpt, u64 va, unsigned int ssize,
		  unsigned long shifts, bool vrma)
{
	unsigned int shift, g, i;

	for_each_set_bit(shift, &shifts, BITS_PER_LONG) {
		u64 hash = ppc_hpt_hash(va, shift, ssize);

		for (g = 0; g < 2; g++) {
			unsigned long base = ppc_hpt_group(hpt, hash, g);

			for (i = 0; i < PPC_HPTES_PER_GROUP; i++) {
				if (!!(READ_ONCE(hpt->rev[base + i].flags) &
				       PPC_REV_VRMA) != vrma)
					continue;
				if (hpte_matches(hpt, base + i, va, shift,
						 ssize, g))
					return base + i;
			}
		}
	}
	return -1;
}

/**
 * ppc_hpte_translates() - whether an entry still translates an address
 * @hpt:    the table
 * @index:  the entry ppc_hpt_find() returned, now locked by the caller
 * @va:     the address searched for
 * @ssize:  its segment size
 * @shifts: the page sizes searched for
 *
 * Return: true if the entry, as it is now, is one the search could find
 * for @va.
 */
bool ppc_hpte_translates(const struct ppc_hpt *hpt, unsigned long index,
			 u64 va, unsigned int ssize, unsigned long shifts)
{
	unsigned int shift;

	for_each_set_bit(shift, &shifts, BITS_PER_LONG) {
		u64 hash = ppc_hpt_hash(va, shift, ssize);
		unsigned int g;

		for (g = 0; g < 2; g++)
			if (round_down(index, PPC_HPTES_PER_GROUP) ==
			    ppc_hpt_group(hpt, hash, g) &&
			    hpte_matches(hpt, index, va, shift, ssize, g))
				return true;
	}
	return false;
}

/**
 * ppc_hpte_writable() - whether an R doubleword allows writes
 * @r: the doubleword
 *
 * Return: false for the two read-only PP encodings of MSR[PR] = 0.
 */
bool ppc_hpte_writable(u64 r)
{
	u64 pp = r & (PPC_HPTE_R_PP0 | PPC_HPTE_R_PP);

	return pp != PPC_PP_RXRX && pp != PPC_PP_RXXX;
}

/**
 * ppc_hpte_make_readonly() - the same R doubleword, read-only
 * @r: the doubleword
 *
 * Return: @r with a read-only PP encoding that keeps its read access.
 */
u64 ppc_hpte_make_readonly(u64 r)
{
	if (!ppc_hpte_writable(r))
		return r;
	return (r & ~(PPC_HPTE_R_PP0 | PPC_HPTE_R_PP)) | PPC_PP_RXRX;
}

/**
 * ppc_hpte_lock() - take an HPTE's software lock bit
 * @hpte: the entry
 *
 * Spins: every holder (simulated hardware, or a host path under mmu_lock)
 * keeps it for a bounded, non-sleeping time.  Pairs with the release in
 * ppc_hpte_unlock().
 */
void ppc_hpte_lock(u64 *hpte)
{
	while (test_and_set_bit_lock(PPC_HPTE_V_HVLOCK_BIT,
				     (unsigned long *)&hpte[0]))
		cpu_relax();
}

/**
 * ppc_hpte_unlock() - write V and release the lock bit in one store
 * @hpte: the entry, locked by the caller
 * @v:    its new first doubleword (HVLOCK is cleared from it)
 *
 * The release orders every write to the entry (and to its host data)
 * before the lock is seen free, pairing with the acquire of
 * ppc_hpte_lock().
 */
void ppc_hpte_unlock(u64 *hpte, u64 v)
{
	/* Pairs with the acquire of test_and_set_bit_lock() in ppc_hpte_lock(). */
	smp_store_release(&hpte[0], v & ~PPC_HPTE_V_HVLOCK);
}

/**
 * ppc_hpt_alloc() - allocate an empty table
 * @hpt:   receives it
 * @order: log2 of its size in bytes
 *
 * Return: 0, -EINVAL for an order KVM_PPC_ALLOCATE_HTAB refuses, -ENOMEM.
 */
int ppc_hpt_alloc(struct ppc_hpt *hpt, unsigned int order)
{
	unsigned long npte;

	if (order < PPC_HPT_MIN_ORDER || order > PPC_HPT_MAX_ORDER)
		return -EINVAL;
	if (order > PPC_HPT_ALLOC_MAX_ORDER)
		return -ENOMEM;

	/*
	 * A table the guest asked for must not make the OOM killer pick a
	 * victim: fail with ENOMEM instead, as KVM's allocation does.
	 */
	npte = 1UL << (order - 4);
	hpt->hptes = kvzalloc(1UL << order, GFP_KERNEL_ACCOUNT | __GFP_NOWARN |
			      __GFP_RETRY_MAYFAIL);
	if (!hpt->hptes)
		return -ENOMEM;
	hpt->rev = kvcalloc(npte, sizeof(*hpt->rev), GFP_KERNEL_ACCOUNT |
			    __GFP_NOWARN | __GFP_RETRY_MAYFAIL);
	if (!hpt->rev) {
		kvfree(hpt->hptes);
		hpt->hptes = NULL;
		return -ENOMEM;
	}
	hpt->order = order;
	hpt->npte = npte;
	return 0;
}

/**
 * ppc_hpt_free() - free a table no HPTE of which is linked any more
 * @hpt: the table
 */
void ppc_hpt_free(struct ppc_hpt *hpt)
{
	kvfree(hpt->rev);
	kvfree(hpt->hptes);
	hpt->rev = NULL;
	hpt->hptes = NULL;
	hpt->npte = 0;
	hpt->order = 0;
}
