// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot PowerPC backend: taking HPTEs down.
 *
 * The host takes an HPTE down when the page behind it goes away (a slot
 * deleted or moved, an MMU-notifier invalidation, VM teardown): the entry
 * stays in the table as the guest entered it, but ABSENT, so that the
 * guest's view (H_READ) is unchanged and its next access faults into the
 * host, which resolves the page again.  The R and C bits the entry
 * gathered are harvested into the page's rmap word (or straight into the
 * slot's dirty bitmap) and into the guest's view.
 *
 * The "tlbie": simulated hardware uses an HPTE only while holding its lock
 * bit, so clearing VALID under that bit is a broadcast invalidation that
 * completes at once; no vCPU is asked or waited for.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

#include "memslot_ppc.h"

/**
 * ppc_hpte_take_down() - take one locked HPTE down
 * @hpt:          the table
 * @index:        the HPTE, locked by the caller; if VALID it is on an rmap
 *                chain
 * @dirty_bitmap: the dirty bitmap of its slot to put a C bit into, or NULL
 *                to keep the C bit in the rmap word until the next harvest
 *
 * Caller holds mmu_lock.  An entry the host made for real mode is removed
 * altogether; a guest's is left ABSENT.
 *
 * Return: the entry's new first doubleword, for ppc_hpte_unlock().
 */
u64 ppc_hpte_take_down(struct ppc_hpt *hpt, unsigned long index,
		       unsigned long *dirty_bitmap)
{
	u64 *hpte = ppc_hpte(hpt, index);
	struct ppc_rev *rev = &hpt->rev[index];
	u64 v = hpte[0], rc, *rmap;

	if (v & PPC_HPTE_V_VALID) {
		rc = hpte[1] & PPC_HPTE_R_RC;
		rmap = ppc_rmap_word(rev->slot, rev->offset);
		if (rc & PPC_HPTE_R_R)
			*rmap |= PPC_RMAP_R;
		if ((rc & PPC_HPTE_R_C) && dirty_bitmap)
			set_bit_le(rev->offset, dirty_bitmap);
		else if (rc & PPC_HPTE_R_C)
			*rmap |= PPC_RMAP_C;
		rev->guest_r |= rc;
		hpte[1] &= ~PPC_HPTE_R_RC;
		ppc_rmap_unlink(hpt, index);
		v = (v & ~PPC_HPTE_V_VALID) | PPC_HPTE_V_ABSENT;
	}
	if (rev->flags & PPC_REV_VRMA) {
		v = 0;
		rev->flags = 0;
		rev->gen++;
	}
	return v;
}

/**
 * ppc_hpte_invalidate() - take one HPTE down
 * @hpt:          the table
 * @index:        the HPTE
 * @dirty_bitmap: see ppc_hpte_take_down()
 *
 * Caller holds mmu_lock.
 */
void ppc_hpte_invalidate(struct ppc_hpt *hpt, unsigned long index,
			 unsigned long *dirty_bitmap)
{
	u64 *hpte = ppc_hpte(hpt, index);

	ppc_hpte_lock(hpte);
	ppc_hpte_unlock(hpte, ppc_hpte_take_down(hpt, index, dirty_bitmap));
}

/**
 * ppc_unmap_page() - take down every HPTE that maps a guest page
 * @hpt:          the table
 * @ps:           the page's slot data
 * @offset:       the page's index in the slot
 * @dirty_bitmap: see ppc_hpte_invalidate()
 *
 * Caller holds mmu_lock.
 *
 * Return: the number of HPTEs taken down.
 */
unsigned long ppc_unmap_page(struct ppc_hpt *hpt, struct ppc_slot *ps,
			     unsigned long offset, unsigned long *dirty_bitmap)
{
	u64 *rmap = ppc_rmap_word(ps, offset);
	unsigned long n = 0;

	if (!rmap)
		return 0;
	while (*rmap & PPC_RMAP_PRESENT) {
		ppc_hpte_invalidate(hpt, *rmap & PPC_RMAP_INDEX, dirty_bitmap);
		n++;
	}
	return n;
}

/**
 * ppc_unmap_slot_range() - take down the HPTEs of a range of a slot's pages
 * @vm:           the VM
 * @ps:           the slot's data
 * @start:        index in the slot of the first page
 * @end:          one past the last
 * @dirty_bitmap: see ppc_hpte_invalidate()
 *
 * Caller holds mmu_lock.  Leaves never allocated are skipped whole, so the
 * cost is in what the guest entered, not in the size of the range.
 *
 * Return: the number of HPTEs taken down.
 */
unsigned long ppc_unmap_slot_range(struct kvm_memslot_vm *vm,
				   struct ppc_slot *ps, unsigned long start,
				   unsigned long end, unsigned long *dirty_bitmap)
{
	struct ppc_hpt *hpt = &ppc_vm(vm)->hpt;
	unsigned long offset = start, n = 0;

	lockdep_assert_held(&vm->mmu_lock);
	if (!hpt->hptes)
		return 0;
	while (offset < end) {
		if (!ps->leaves[offset / PPC_LEAF_PAGES]) {
			offset = round_down(offset, PPC_LEAF_PAGES) +
				 PPC_LEAF_PAGES;
			continue;
		}
		n += ppc_unmap_page(hpt, ps, offset, dirty_bitmap);
		offset++;
	}
	return n;
}

/**
 * ppc_flush_memslot() - the flush_memslot hook: unmap a slot going away
 * @vm:  the VM
 * @old: the slot, published INVALID, a grace period ago
 *
 * Walks @old's rmap, not the table and not the slot set: the chains lead
 * to exactly the HPTEs of @old, whatever the set says about its gfns now.
 * This must run after the INVALID publish and its grace period, since
 * until then a fault may still enter a page of @old (after this walk, it
 * would stay mapped), and before the final publish, since after it a gfn
 * of @old may belong to another slot, and a guest removal would index
 * that slot's rmap with an HPTE linked to @old's.
 * mmu_lock is dropped between leaves, for a large slot.
 *
 * Return: the number of HPTEs taken down.
 */
unsigned long ppc_flush_memslot(struct kvm_memslot_vm *vm,
				const struct kvm_memory_slot *old)
{
	struct ppc_slot *ps = old->arch;
	unsigned long leaf, removed = 0;

	if (!ps)
		return 0;
	for (leaf = 0; leaf < ps->nr_leaves; leaf++) {
		unsigned long start = leaf * PPC_LEAF_PAGES;

		if (!READ_ONCE(ps->leaves[leaf]))
			continue;
		spin_lock(&vm->mmu_lock);
		removed += ppc_unmap_slot_range(vm, ps, start,
						min(start + PPC_LEAF_PAGES,
						    old->npages),
						old->dirty_bitmap);
		spin_unlock(&vm->mmu_lock);
		cond_resched();
	}
	return removed;
}

/**
 * ppc_unmap_gfn_range() - the unmap_gfn_range hook (MMU notifier)
 * @vm:    the VM; mmu_lock held
 * @range: gfns of one slot whose host pages are going away
 *
 * The invalidation is complete when this returns (the tlbie model needs
 * no vCPU to leave guest mode); the remote flush the core does when HPTEs
 * were taken down is only an extra wait.
 *
 * Return: the number of HPTEs taken down.
 */
unsigned long ppc_unmap_gfn_range(struct kvm_memslot_vm *vm,
				  const struct kvm_memslot_gfn_range *range)
{
	const struct kvm_memory_slot *slot = range->slot;

	if (!slot->arch)
		return 0;
	return ppc_unmap_slot_range(vm, slot->arch,
				    range->start - slot->base_gfn,
				    range->end - slot->base_gfn,
				    slot->dirty_bitmap);
}

/*
 * Whether any HPTE of @range, or an HPTE taken down since the last
 * aging, referenced its page; the R bits are cleared if @clear.
 */
static bool ppc_age(struct kvm_memslot_vm *vm,
		    const struct kvm_memslot_gfn_range *range, bool clear)
{
	struct ppc_hpt *hpt = &ppc_vm(vm)->hpt;
	struct ppc_slot *ps = range->slot->arch;
	kvm_memslot_gfn_t gfn;
	bool young = false;

	if (!ps || !hpt->hptes)
		return false;
	for (gfn = range->start; gfn < range->end; gfn++) {
		unsigned long offset = gfn - range->slot->base_gfn;
		u64 *rmap = ppc_rmap_word(ps, offset);
		u32 head, i;

		if (!rmap)
			continue;
		if (*rmap & PPC_RMAP_R) {
			young = true;
			if (clear)
				*rmap &= ~PPC_RMAP_R;
		}
		if (!(*rmap & PPC_RMAP_PRESENT))
			continue;
		head = *rmap & PPC_RMAP_INDEX;
		i = head;
		do {
			u64 *hpte = ppc_hpte(hpt, i);

			ppc_hpte_lock(hpte);
			if (hpte[1] & PPC_HPTE_R_R) {
				young = true;
				if (clear) {
					hpt->rev[i].guest_r |= PPC_HPTE_R_R;
					hpte[1] &= ~PPC_HPTE_R_R;
				}
			}
			ppc_hpte_unlock(hpte, hpte[0]);
			i = hpt->rev[i].next;
		} while (i != head);
	}
	return young;
}

/**
 * ppc_age_gfn_range() - the age_gfn_range hook
 * @vm:    the VM; mmu_lock held
 * @range: gfns of one slot
 *
 * Return: whether any page of @range was referenced since the last aging.
 */
bool ppc_age_gfn_range(struct kvm_memslot_vm *vm,
		       const struct kvm_memslot_gfn_range *range)
{
	return ppc_age(vm, range, true);
}

/**
 * ppc_test_age_gfn_range() - the test_age_gfn_range hook
 * @vm:    the VM; mmu_lock held
 * @range: gfns of one slot
 *
 * Return: as ppc_age_gfn_range(), clearing nothing.
 */
bool ppc_test_age_gfn_range(struct kvm_memslot_vm *vm,
			    const struct kvm_memslot_gfn_range *range)
{
	return ppc_age(vm, range, false);
}

/**
 * ppc_hpt_reset() - take every HPTE down and empty the table
 * @hpt: the table; caller holds mmu_lock
 *
 * What KVM_PPC_ALLOCATE_HTAB does to the table it keeps or replaces: the
 * chains become empty (their R and C bits harvested), and the guest's
 * entries are gone.
 */
void ppc_hpt_reset(struct ppc_hpt *hpt)
{
	unsigned long i;

	for (i = 0; i < hpt->npte; i++) {
		if (hpt->rev[i].slot)
			ppc_hpte_invalidate(hpt, i, NULL);
		hpt->hptes[2 * i] = 0;
		hpt->hptes[2 * i + 1] = 0;
		hpt->rev[i].guest_r = 0;
		hpt->rev[i].flags = 0;
		hpt->rev[i].gen++;
	}
}

/**
 * ppc_flush_all() - the flush_all hook: take every HPTE down
 * @vm: the VM; no vCPU runs
 *
 * The guest's entries stay, ABSENT, as after any unmap.
 */
void ppc_flush_all(struct kvm_memslot_vm *vm)
{
	struct ppc_hpt *hpt = &ppc_vm(vm)->hpt;
	unsigned long i;

	spin_lock(&vm->mmu_lock);
	for (i = 0; hpt->hptes && i < hpt->npte; i++)
		if (hpt->rev[i].slot)
			ppc_hpte_invalidate(hpt, i, NULL);
	spin_unlock(&vm->mmu_lock);
}
