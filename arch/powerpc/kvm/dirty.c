// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot PowerPC backend: dirty logging by change bits.
 *
 * Book3S hardware sets an HPTE's C bit on the first write through it, so
 * the backend never write-protects for dirty logging: a harvest collects
 * the C bits of the live HPTEs of each page and the C bit its rmap word
 * kept from HPTEs already taken down, and clears both.  A write races with
 * a harvest only through an HPTE's lock bit: it set C before the harvest
 * took the entry (and is in this harvest) or after (and is in the next).
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

#include "memslot_ppc.h"

/*
 * Whether the page's HPTEs or rmap word record a write since the last
 * harvest; clears the record.  The guest's view keeps its C bit.
 */
static bool harvest_page(struct ppc_hpt *hpt, u64 *rmap)
{
	bool dirty = *rmap & PPC_RMAP_C;
	u32 head, i;

	*rmap &= ~PPC_RMAP_C;
	if (!(*rmap & PPC_RMAP_PRESENT) || !hpt->hptes)
		return dirty;
	head = *rmap & PPC_RMAP_INDEX;
	i = head;
	do {
		u64 *hpte = ppc_hpte(hpt, i);

		ppc_hpte_lock(hpte);
		if (hpte[1] & PPC_HPTE_R_C) {
			dirty = true;
			hpt->rev[i].guest_r |= PPC_HPTE_R_C;
			hpte[1] &= ~PPC_HPTE_R_C;
		}
		ppc_hpte_unlock(hpte, hpte[0]);
		i = hpt->rev[i].next;
	} while (i != head);
	return dirty;
}

/**
 * ppc_harvest_dirty() - collect and clear the writes to a slot's pages
 * @hpt:    the table
 * @ps:     the slot's data
 * @npages: the slot's size
 * @bitmap: receives a bit per written page, or NULL to only clear
 *
 * Caller holds mmu_lock.
 *
 * Return: the number of written pages.
 */
unsigned long ppc_harvest_dirty(struct ppc_hpt *hpt, struct ppc_slot *ps,
				unsigned long npages, unsigned long *bitmap)
{
	unsigned long leaf, i, n = 0;

	for (leaf = 0; leaf < ps->nr_leaves; leaf++) {
		if (!ps->leaves[leaf])
			continue;
		for (i = 0; i < PPC_LEAF_PAGES; i++) {
			unsigned long offset = leaf * PPC_LEAF_PAGES + i;

			if (offset >= npages)
				break;
			if (!harvest_page(hpt, &ps->leaves[leaf]->rmap[i]))
				continue;
			n++;
			if (bitmap)
				set_bit_le(offset, bitmap);
		}
	}
	return n;
}

/**
 * ppc_sync_dirty_log() - the sync_dirty_log hook
 * @vm:   the VM; slots_lock held
 * @slot: a slot that logs dirty pages
 *
 * Moves the C bits of @slot's pages into its dirty bitmap, before
 * KVM_GET_DIRTY_LOG takes the bitmap.
 */
void ppc_sync_dirty_log(struct kvm_memslot_vm *vm,
			const struct kvm_memory_slot *slot)
{
	if (!slot->arch || !slot->dirty_bitmap)
		return;
	spin_lock(&vm->mmu_lock);
	ppc_harvest_dirty(&ppc_vm(vm)->hpt, slot->arch, slot->npages,
			  slot->dirty_bitmap);
	spin_unlock(&vm->mmu_lock);
}
