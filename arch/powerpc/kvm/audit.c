// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot PowerPC backend: the invariant audit.
 *
 * Every VALID HPTE must be on exactly the rmap chain of the page it maps,
 * that page must belong to a live (not INVALID) slot of the current set,
 * and the frames behind it must be the ones the host maps there now
 * (writable only if the host's are).  Every chain must be well formed and
 * hold only VALID entries, and the chains of the current slots must hold
 * every linked HPTE: an HPTE linked to a slot that is gone is one that a
 * delete or move failed to take down.
 */
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/printk.h>

#include "memslot_ppc.h"

struct ppc_audit {
	struct kvm_memslot_vm *vm;
	struct ppc_hpt *hpt;
	struct kvm_memslots *slots;
	unsigned long violations;
	unsigned long chained;
	bool no_host;
};

static void audit_fail(struct ppc_audit *a, unsigned long index,
		       const char *what)
{
	u64 *hpte = ppc_hpte(a->hpt, index);

	a->violations++;
	pr_err("kvm_memslot: ppc audit: HPTE %lu (%016llx %016llx, guest r %016llx): %s\n",
	       index, hpte[0], hpte[1], a->hpt->rev[index].guest_r, what);
}

/* The frames behind a page are the host's, writable only if the host's are. */
static void audit_frames(struct ppc_audit *a, unsigned long index,
			 const struct kvm_memory_slot *slot,
			 unsigned long offset, bool writable)
{
	unsigned long *frames = ppc_rmap_frames(slot->arch, offset);
	unsigned long hva = kvm_memslot_gfn_to_hva(slot, slot->base_gfn + offset);
	unsigned long i, pfn;
	int r;

	for (i = 0; i < PPC_HOST_PAGES && !a->no_host; i++) {
		if (writable)
			r = kvm_memslot_hva_to_pfn_peek_write(a->vm,
							      hva + i * PAGE_SIZE,
							      &pfn);
		else
			r = kvm_memslot_hva_to_pfn_peek(a->vm, hva + i * PAGE_SIZE,
							&pfn);
		if (r == -EINVAL) {
			a->no_host = true;
		} else if (r) {
			audit_fail(a, index, writable ?
				   "host does not map the page writable" :
				   "host maps no page there");
			return;
		} else if (pfn != frames[i]) {
			audit_fail(a, index, "maps another page than the host");
			return;
		}
	}
}

static void audit_valid(struct ppc_audit *a, unsigned long index)
{
	struct ppc_rev *rev = &a->hpt->rev[index];
	u64 *hpte = ppc_hpte(a->hpt, index);
	unsigned long shift = ppc_hpte_page_shift(hpte[0], hpte[1]);
	kvm_memslot_gfn_t gfn;
	struct kvm_memory_slot *slot;
	u64 *rmap;

	if (!rev->slot) {
		audit_fail(a, index, "VALID but on no rmap chain");
		return;
	}
	gfn = ((rev->guest_r & PPC_HPTE_R_RPN) & ~((1ULL << shift) - 1)) >>
	      PPC_PAGE_SHIFT;
	slot = kvm_memslot_find_gfn(a->slots, gfn);
	if (!slot) {
		audit_fail(a, index, "no slot backs the gfn");
		return;
	}
	if (kvm_memslot_is_invalid(slot)) {
		audit_fail(a, index, "slot is INVALID");
		return;
	}
	if (slot->arch != rev->slot || gfn - slot->base_gfn != rev->offset) {
		audit_fail(a, index, "on the rmap chain of another page or slot");
		return;
	}
	rmap = ppc_rmap_word(rev->slot, rev->offset);
	if (!rmap || !(*rmap & PPC_RMAP_FRAMES)) {
		audit_fail(a, index, "page has no host frames");
		return;
	}
	if (ppc_hpte_writable(hpte[1]) && !(*rmap & PPC_RMAP_WRITABLE))
		audit_fail(a, index, "writable on a read-only host page");
	audit_frames(a, index, slot, rev->offset,
		     ppc_hpte_writable(hpte[1]));
}

/* Each chain of a live slot: well formed, VALID entries of its own page. */
static int audit_slot(struct kvm_memory_slot *slot, void *data)
{
	struct ppc_audit *a = data;
	struct ppc_slot *ps = slot->arch;
	unsigned long offset, n;

	if (!ps)
		return 0;
	for (offset = 0; offset < slot->npages; offset++) {
		u64 *rmap;
		u32 head, i;

		if (!ps->leaves[offset / PPC_LEAF_PAGES]) {
			offset = round_down(offset, PPC_LEAF_PAGES) +
				 PPC_LEAF_PAGES - 1;
			continue;
		}
		rmap = ppc_rmap_word(ps, offset);
		if (!(*rmap & PPC_RMAP_PRESENT))
			continue;
		head = *rmap & PPC_RMAP_INDEX;
		i = head;
		n = 0;
		do {
			struct ppc_rev *rev;

			if (i >= a->hpt->npte || n++ > a->hpt->npte) {
				a->violations++;
				pr_err("kvm_memslot: ppc audit: slot %u page %lu: corrupt rmap chain\n",
				       slot->id, offset);
				break;
			}
			rev = &a->hpt->rev[i];
			if (rev->slot != ps || rev->offset != offset ||
			    !(ppc_hpte(a->hpt, i)[0] & PPC_HPTE_V_VALID) ||
			    a->hpt->rev[rev->next].prev != i)
				audit_fail(a, i, "rmap chain entry does not belong");
			a->chained++;
			i = rev->next;
		} while (i != head);
	}
	return 0;
}

/**
 * ppc_audit() - the audit hook
 * @vm: the VM; slots_lock, its SRCU and mmu_lock held
 *
 * Return: the number of violations, each logged with pr_err(), plus the
 * HPTEs found still linked to a slot when its data was freed.
 */
unsigned long ppc_audit(struct kvm_memslot_vm *vm)
{
	struct ppc_vm *pv = ppc_vm(vm);
	struct ppc_audit a = { .vm = vm, .hpt = &pv->hpt };
	unsigned long i, linked = 0;

	lockdep_assert_held(&vm->slots_lock);
	lockdep_assert_held(&vm->mmu_lock);
	a.violations = pv->orphans;
	if (!a.hpt->hptes)
		return a.violations;
	a.slots = kvm_memslots_get(vm, 0);
	for (i = 0; i < a.hpt->npte; i++) {
		u64 v = READ_ONCE(ppc_hpte(a.hpt, i)[0]);

		if (a.hpt->rev[i].slot)
			linked++;
		if (v & PPC_HPTE_V_VALID)
			audit_valid(&a, i);
		else if (a.hpt->rev[i].slot)
			audit_fail(&a, i, "on an rmap chain but not VALID");
	}
	kvm_memslot_visit_all(a.slots, audit_slot, &a);
	if (a.chained != linked) {
		a.violations++;
		pr_err("kvm_memslot: ppc audit: %lu HPTEs linked, %lu on the chains of live slots\n",
		       linked, a.chained);
	}
	return a.violations;
}
