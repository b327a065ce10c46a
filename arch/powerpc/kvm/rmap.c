// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot PowerPC backend: the reverse map.
 *
 * Each guest page of a slot has an rmap word: the index of the first HPTE
 * of a circular, doubly linked chain of the HPTEs that map the page (the
 * links are in struct ppc_rev, one per HPTE), PRESENT while the chain is
 * not empty, and the R and C bits harvested from HPTEs taken down.  An
 * HPTE remembers which slot's chain it is on (ppc_rev.slot and .offset),
 * not the gfn: unlinking it never looks the gfn up in the slot set, so it
 * works the same while the slot is INVALID, or after a move gave the gfn
 * to another slot.
 *
 * The words and the host frames of each page live in leaves of
 * PPC_LEAF_PAGES pages, allocated when a page is first entered.
 * Everything here runs under mmu_lock, except ppc_slot_alloc() and
 * ppc_slot_free().
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "memslot_ppc.h"

/**
 * ppc_rmap_word() - the rmap word of a guest page
 * @ps:     the slot's data
 * @offset: the page's index in the slot
 *
 * Return: the word, or NULL if its leaf was never allocated (nothing was
 * ever entered for the page or its neighbours).
 */
u64 *ppc_rmap_word(struct ppc_slot *ps, unsigned long offset)
{
	struct ppc_leaf *leaf = ps->leaves[offset / PPC_LEAF_PAGES];

	return leaf ? &leaf->rmap[offset % PPC_LEAF_PAGES] : NULL;
}

/**
 * ppc_rmap_frames() - the host frames of a guest page
 * @ps:     the slot's data
 * @offset: the page's index in the slot; its leaf exists
 *
 * Return: PPC_HOST_PAGES frames, meaningful while the page's rmap word has
 * PPC_RMAP_FRAMES.
 */
unsigned long *ppc_rmap_frames(struct ppc_slot *ps, unsigned long offset)
{
	return ps->leaves[offset / PPC_LEAF_PAGES]->frames[offset % PPC_LEAF_PAGES];
}

/**
 * ppc_slot_leaf_prepare() - make sure a page's leaf exists
 * @ps:     the slot's data
 * @offset: the page's index in the slot
 * @spare:  a zeroed leaf the caller allocated before taking mmu_lock; taken
 *          (set to NULL) if it was needed
 *
 * Return: 0, or -ENOMEM if a leaf was needed and @spare was NULL.
 */
int ppc_slot_leaf_prepare(struct ppc_slot *ps, unsigned long offset,
			  struct ppc_leaf **spare)
{
	struct ppc_leaf **slot = &ps->leaves[offset / PPC_LEAF_PAGES];

	if (*slot)
		return 0;
	if (!*spare)
		return -ENOMEM;
	*slot = *spare;
	*spare = NULL;
	return 0;
}

/**
 * ppc_rmap_link() - put an HPTE on a guest page's chain
 * @hpt:    the table
 * @ps:     the slot's data
 * @offset: the page's index in the slot; its leaf exists
 * @index:  the HPTE, on no chain
 *
 * The HPTE joins at the tail, so that a walk from the head meets the
 * entries in the order they were linked.
 */
void ppc_rmap_link(struct ppc_hpt *hpt, struct ppc_slot *ps,
		   unsigned long offset, unsigned long index)
{
	u64 *rmap = ppc_rmap_word(ps, offset);
	struct ppc_rev *rev = &hpt->rev[index];

	rev->slot = ps;
	rev->offset = offset;
	if (!(*rmap & PPC_RMAP_PRESENT)) {
		rev->next = index;
		rev->prev = index;
		*rmap = (*rmap & ~PPC_RMAP_INDEX) | PPC_RMAP_PRESENT | index;
	} else {
		u32 head = *rmap & PPC_RMAP_INDEX;
		u32 tail = hpt->rev[head].prev;

		rev->next = head;
		rev->prev = tail;
		hpt->rev[tail].next = index;
		hpt->rev[head].prev = index;
	}
}

/**
 * ppc_rmap_unlink() - take an HPTE off the chain it is on
 * @hpt:   the table
 * @index: the HPTE, linked
 *
 * When the chain becomes empty, the page's host frames are forgotten: no
 * HPTE uses them any more, and the next one to be entered resolves them
 * again.  The harvested R and C bits stay.
 */
void ppc_rmap_unlink(struct ppc_hpt *hpt, unsigned long index)
{
	struct ppc_rev *rev = &hpt->rev[index];
	u64 *rmap = ppc_rmap_word(rev->slot, rev->offset);

	if (rev->next == index) {
		*rmap &= ~(PPC_RMAP_INDEX | PPC_RMAP_PRESENT |
			   PPC_RMAP_FRAMES | PPC_RMAP_WRITABLE);
	} else {
		hpt->rev[rev->prev].next = rev->next;
		hpt->rev[rev->next].prev = rev->prev;
		if ((*rmap & PPC_RMAP_INDEX) == index)
			*rmap = (*rmap & ~PPC_RMAP_INDEX) | rev->next;
	}
	rev->slot = NULL;
	rev->offset = 0;
}

/**
 * ppc_slot_alloc() - the backend data of a new slot
 * @npages: its size in guest pages
 *
 * Return: the data, or NULL if it could not be allocated.
 */
struct ppc_slot *ppc_slot_alloc(unsigned long npages)
{
	struct ppc_slot *ps = kzalloc(sizeof(*ps), GFP_KERNEL_ACCOUNT);

	if (!ps)
		return NULL;
	ps->nr_leaves = DIV_ROUND_UP(npages, PPC_LEAF_PAGES);
	ps->leaves = kvcalloc(ps->nr_leaves, sizeof(*ps->leaves),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!ps->leaves) {
		kfree(ps);
		return NULL;
	}
	return ps;
}

/**
 * ppc_slot_free() - free a slot's data
 * @ps: the data; no HPTE is linked to it any more
 */
void ppc_slot_free(struct ppc_slot *ps)
{
	unsigned long i;

	for (i = 0; i < ps->nr_leaves; i++)
		kfree(ps->leaves[i]);
	kvfree(ps->leaves);
	kfree(ps);
}
