// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot PowerPC backend: simulated guest accesses and host faults.
 *
 * A guest access in virtual mode (KVM_MEMSLOT_ACCESS_PPC_VIRT) is
 * translated as the MMU does: the HPT is searched for the virtual address;
 * no entry is a storage interrupt the guest handles (reported to the
 * caller), a VALID one is used, holding its lock bit for the copy and
 * setting R and C.  An ABSENT one (the guest entered it, the host has not
 * mapped the page, or took it down) faults into the host, which looks the
 * guest real address up in the slots, resolves the host page and makes the
 * entry VALID; no slot there is emulated MMIO.  A real-mode access (no
 * flag) goes through the virtualized real mode area: entries the host
 * makes itself, on demand, in the same table.
 *
 * A fault that meets a gfn whose slot is being deleted or moved waits for
 * the update (kvm_memslot_fault_lookup()) and is never reported as MMIO:
 * in-tree KVM-HV treats an INVALID slot as emulated MMIO there.
 */
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/string.h>

#include "memslot_ppc.h"

/* Page sizes a guest's virtual access may be translated with. */
#define PPC_VIRT_SHIFTS		(BIT(12) | BIT(16) | BIT(24))
/* Real mode: 64 KiB pages in the VRMA's 1 TiB segment. */
#define PPC_VRMA_SHIFTS		BIT(PPC_PAGE_SHIFT)
#define PPC_VRMA_LP_64K		0x1000ULL

static u64 vrma_va(u64 gpa)
{
	return (PPC_VRMA_VSID << 40) | (gpa & ((1ULL << 40) - 1));
}

static void access_exit(struct kvm_memslot_access *acc, u32 reason,
			u64 gpa, u32 len, bool write)
{
	if (!acc)
		return;
	acc->exit_reason = reason;
	acc->exit_gpa = gpa;
	acc->exit_len = len;
	acc->exit_write = write;
}

/* Under mmu_lock: lock the entry at @index if it is free. */
static bool hpte_lock_free(struct ppc_hpt *hpt, unsigned long index)
{
	u64 *hpte = ppc_hpte(hpt, index);

	ppc_hpte_lock(hpte);
	if (!(hpte[0] & (PPC_HPTE_V_VALID | PPC_HPTE_V_ABSENT)))
		return true;
	ppc_hpte_unlock(hpte, hpte[0]);
	return false;
}

/*
 * Under mmu_lock: the entry the host makes for real-mode accesses to
 * @gpa, found or made (ABSENT), and locked; -ENOSPC if both groups are
 * full of guest entries.  A full primary group is made room in by
 * dropping one of the host's own entries, which it can make again.
 */
static long vrma_entry(struct ppc_hpt *hpt, u64 gpa)
{
	u64 va = vrma_va(gpa), hash = ppc_hpt_hash(va, PPC_PAGE_SHIFT, 1);
	long index = ppc_hpt_find(hpt, va, 1, PPC_VRMA_SHIFTS, true);
	unsigned long base;
	unsigned int g, i;

	if (index >= 0) {
		ppc_hpte_lock(ppc_hpte(hpt, index));
		return index;
	}
	for (g = 0; g < 2; g++) {
		base = ppc_hpt_group(hpt, hash, g);
		for (i = 0; i < PPC_HPTES_PER_GROUP; i++)
			if (hpte_lock_free(hpt, base + i))
				goto found;
	}
	g = 0;
	base = ppc_hpt_group(hpt, hash, false);
	for (i = 0; i < PPC_HPTES_PER_GROUP; i++) {
		if (!(hpt->rev[base + i].flags & PPC_REV_VRMA))
			continue;
		ppc_hpte_invalidate(hpt, base + i, NULL);
		if (hpte_lock_free(hpt, base + i))
			goto found;
	}
	return -ENOSPC;

found:
	index = base + i;
	hpt->rev[index].flags = PPC_REV_VRMA;
	hpt->rev[index].gen++;
	hpt->rev[index].guest_r = (gpa & ~(PPC_PAGE_SIZE - 1)) |
				  PPC_VRMA_LP_64K | PPC_HPTE_R_M | 0x2;
	ppc_hpte(hpt, index)[1] = hpt->rev[index].guest_r;
	ppc_hpte(hpt, index)[0] = ppc_hpte_avpn(va, PPC_PAGE_SHIFT, 1) |
				  PPC_HPTE_V_LARGE | PPC_HPTE_V_ABSENT |
				  PPC_HPTE_V_HVLOCK |
				  (g ? PPC_HPTE_V_SECONDARY : 0);
	return index;
}

/*
 * Under mmu_lock, with the entry locked: point HPTE @index at page
 * @offset of @ps, whose host frames are @pfns, and make it VALID.
 */
static void hpte_install(struct ppc_hpt *hpt, unsigned long index,
			 struct ppc_slot *ps, unsigned long offset,
			 const unsigned long *pfns, bool writable)
{
	struct ppc_rev *rev = &hpt->rev[index];
	u64 *hpte = ppc_hpte(hpt, index);
	u64 v = hpte[0], rc = 0, r, *rmap;

	if (v & PPC_HPTE_V_VALID)
		rc = hpte[1] & PPC_HPTE_R_RC;
	else
		ppc_rmap_link(hpt, ps, offset, index);

	/*
	 * A page whose chain was not empty keeps its frames: any change of
	 * the host page would have come with an invalidation, which empties
	 * the chain, and made this fault retry.  A write fault may only make
	 * them writable.
	 */
	rmap = ppc_rmap_word(ps, offset);
	if (!(*rmap & PPC_RMAP_FRAMES) ||
	    (writable && !(*rmap & PPC_RMAP_WRITABLE))) {
		memcpy(ppc_rmap_frames(ps, offset), pfns,
		       PPC_HOST_PAGES * sizeof(*pfns));
		*rmap |= PPC_RMAP_FRAMES;
		if (writable)
			*rmap |= PPC_RMAP_WRITABLE;
	}

	/*
	 * The host's R doubleword is the guest's, less the marks of an
	 * emulated-MMIO entry, read-only if the host page is.  Its RPN stays
	 * the guest real page: the host page behind it is the page's frames
	 * (on this host, 4 KiB pieces of what a 64 KiB host maps at once).
	 */
	r = (rev->guest_r & ~PPC_HPTE_R_RC) | rc;
	if (!(*rmap & PPC_RMAP_WRITABLE))
		r = ppc_hpte_make_readonly(r);
	hpte[1] = r;
	ppc_hpte_unlock(hpte, (v & ~PPC_HPTE_V_ABSENT) | PPC_HPTE_V_VALID);
}

/**
 * ppc_fault() - resolve a guest page for an HPTE and make the HPTE VALID
 * @vm:    the VM; the caller holds hpt_sem shared
 * @hint:  the vCPU's last-used slot
 * @index: the guest's HPTE, or -1 for the real-mode entry of @real
 * @gen:   the guest HPTE's generation when the caller read it
 * @real:  the guest real address accessed
 * @write: resolve the page for writing
 * @len:   bytes of the access, for an exit
 * @acc:   where an exit is reported, or NULL (H_ENTER: the entry stays
 *         ABSENT, as KVM leaves one whose host page is not mapped)
 *
 * Sleeps.  A gfn in transition is waited for, never reported as MMIO.
 *
 * Return: 0 (translate again: the entry may be usable now),
 * KVM_MEMSLOT_ACCESS_STOPPED with an exit in @acc (no slot: MMIO; no host
 * page: memory fault), or a negative errno.
 */
int ppc_fault(struct kvm_memslot_vm *vm, struct kvm_memslot_hint *hint,
	      long index, u32 gen, u64 real, bool write, u32 len,
	      struct kvm_memslot_access *acc)
{
	kvm_memslot_gfn_t gfn = real >> PPC_PAGE_SHIFT;
	unsigned long pfns[PPC_HOST_PAGES], mmu_seq, hva, offset;
	struct ppc_hpt *hpt = &ppc_vm(vm)->hpt;
	struct ppc_leaf *spare = NULL;
	struct kvm_memory_slot *slot;
	bool writable, installed = false;
	struct ppc_slot *ps;
	int idx, r;

	mmu_seq = READ_ONCE(vm->mmu_invalidate_seq);
	/* Sampled before the slot and the pages: pairs with the notifier's bump. */
	smp_rmb();

	slot = kvm_memslot_fault_lookup(vm, 0, gfn, hint, &idx);
	/* Tell sparse: the lookup returns with the SRCU read lock held. */
	__acquire(&vm->srcu);
	if (IS_ERR(slot)) {
		r = PTR_ERR(slot);
		goto out_srcu;
	}
	if (!slot) {
		access_exit(acc, KVM_MEMSLOT_EXIT_MMIO, real, len, write);
		r = acc ? KVM_MEMSLOT_ACCESS_STOPPED : 0;
		goto out_srcu;
	}

	r = kvm_memslot_resolve_vm_page(slot, gfn, write, pfns, &writable);
	if (r == -EFAULT) {
		access_exit(acc, KVM_MEMSLOT_EXIT_MEMORY_FAULT, real, len, write);
		r = acc ? KVM_MEMSLOT_ACCESS_STOPPED : 0;
		goto out_srcu;
	}
	if (r)
		goto out_srcu;

	ps = slot->arch;
	offset = gfn - slot->base_gfn;
	if (!READ_ONCE(ps->leaves[offset / PPC_LEAF_PAGES])) {
		spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
		if (!spare) {
			r = -ENOMEM;
			goto out_release;
		}
	}

	hva = kvm_memslot_gfn_to_hva(slot, gfn);
	spin_lock(&vm->mmu_lock);
	if (kvm_memslot_mmu_invalidate_retry(vm, mmu_seq, hva,
					     hva + PPC_PAGE_SIZE))
		goto out_unlock;
	/* A leaf is needed only if no fault installed one meanwhile. */
	ppc_slot_leaf_prepare(ps, offset, &spare);

	if (index < 0) {
		index = vrma_entry(hpt, real);
		if (index < 0) {
			r = index;
			goto out_unlock;
		}
	} else {
		u64 *hpte = ppc_hpte(hpt, index);

		ppc_hpte_lock(hpte);
		/* The guest replaced or removed the entry meanwhile. */
		if (hpt->rev[index].gen != gen ||
		    !(hpte[0] & (PPC_HPTE_V_VALID | PPC_HPTE_V_ABSENT))) {
			ppc_hpte_unlock(hpte, hpte[0]);
			goto out_unlock;
		}
	}
	hpte_install(hpt, index, ps, offset, pfns, writable);
	installed = true;
out_unlock:
	spin_unlock(&vm->mmu_lock);
	kfree(spare);
out_release:
	/*
	 * The translation, not a reference, keeps the page: the notifier
	 * takes it down before the host frees the page.  Writes through it
	 * bypass the host page tables, so the page is dirtied now.
	 */
	kvm_memslot_release_vm_page(slot, pfns, installed && writable);
out_srcu:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/*
 * Copy between the page an entry maps and @buf, with the entry locked
 * and VALID: the hardware's use of a translation, and its R and C update.
 */
static void hpte_copy(struct ppc_hpt *hpt, unsigned long index, u64 real,
		      u32 len, bool write, void *buf)
{
	struct ppc_rev *rev = &hpt->rev[index];
	unsigned long *frames = ppc_rmap_frames(rev->slot, rev->offset);
	unsigned long pfn = frames[(real & (PPC_PAGE_SIZE - 1)) >> PAGE_SHIFT];
	u64 *hpte = ppc_hpte(hpt, index);
	void *va = kmap_local_pfn(pfn);

	if (write)
		memcpy(va + offset_in_page(real), buf, len);
	else
		memcpy(buf, va + offset_in_page(real), len);
	kunmap_local(va);
	hpte[1] |= PPC_HPTE_R_R | (write ? PPC_HPTE_R_C : 0);
}

/*
 * One try at translating and accessing.  Return: 0 done, 1 retry,
 * KVM_MEMSLOT_ACCESS_STOPPED + 1 stopped, or a negative errno.
 */
static int access_once(struct kvm_memslot_vm *vm, struct kvm_memslot_hint *hint,
		       u64 gpa, u32 len, bool write, bool virt, void *buf,
		       struct kvm_memslot_access *acc)
{
	struct ppc_hpt *hpt = &ppc_vm(vm)->hpt;
	u64 va = virt ? gpa : vrma_va(gpa);
	unsigned long shifts = virt ? PPC_VIRT_SHIFTS : PPC_VRMA_SHIFTS;
	unsigned int ssize = !virt;
	u64 *hpte, v, guest_r, real;
	unsigned long shift;
	long index;
	u32 gen;
	int r;

	index = ppc_hpt_find(hpt, va, ssize, shifts, !virt);
	if (index < 0) {
		if (virt) {
			access_exit(acc, KVM_MEMSLOT_EXIT_GUEST_FAULT, gpa, len,
				    write);
			return KVM_MEMSLOT_ACCESS_STOPPED + 1;
		}
		r = ppc_fault(vm, hint, -1, 0, gpa, write, len, acc);
		return r ? (r < 0 ? r : r + 1) : 1;
	}

	hpte = ppc_hpte(hpt, index);
	ppc_hpte_lock(hpte);
	if (!ppc_hpte_translates(hpt, index, va, ssize, shifts)) {
		ppc_hpte_unlock(hpte, hpte[0]);
		return 1;
	}
	v = hpte[0];
	guest_r = hpt->rev[index].guest_r;
	gen = hpt->rev[index].gen;
	shift = ppc_hpte_page_shift(v, hpte[1]);
	real = ((guest_r & PPC_HPTE_R_RPN) & ~((1ULL << shift) - 1)) |
	       (va & ((1ULL << shift) - 1));

	/* The guest's own protection: a storage interrupt for the guest. */
	if (write && !ppc_hpte_writable(guest_r)) {
		ppc_hpte_unlock(hpte, v);
		access_exit(acc, KVM_MEMSLOT_EXIT_GUEST_FAULT, gpa, len, write);
		return KVM_MEMSLOT_ACCESS_STOPPED + 1;
	}
	if ((v & PPC_HPTE_V_VALID) && (!write || ppc_hpte_writable(hpte[1]))) {
		hpte_copy(hpt, index, real, len, write, buf);
		ppc_hpte_unlock(hpte, v);
		return 0;
	}
	ppc_hpte_unlock(hpte, v);

	/* ABSENT, or a write the host mapping does not allow yet. */
	r = ppc_fault(vm, hint, virt ? index : -1, gen, real, write, len, acc);
	return r ? (r < 0 ? r : r + 1) : 1;
}

/**
 * ppc_access() - the access hook: a guest access through the HPT
 * @vm:    the VM
 * @hint:  the vCPU's last-used slot
 * @gpa:   guest real address, or with KVM_MEMSLOT_ACCESS_PPC_VIRT a
 *         virtual address (VSID << 28 | offset in a 256 MiB segment)
 * @len:   bytes, within one host page
 * @flags: KVM_MEMSLOT_ACCESS_*
 * @buf:   the bytes to write, or room for those read
 * @acc:   where an exit is reported
 *
 * The HPT is allocated with KVM's default size if the VM has none yet, as
 * KVM-HV does when a vCPU first runs.
 *
 * Return: 0 when done, KVM_MEMSLOT_ACCESS_STOPPED with an exit in @acc, or
 * a negative errno.
 */
int ppc_access(struct kvm_memslot_vm *vm, struct kvm_memslot_hint *hint,
	       u64 gpa, u32 len, u16 flags, void *buf,
	       struct kvm_memslot_access *acc)
{
	bool write = flags & KVM_MEMSLOT_ACCESS_WRITE;
	bool virt = flags & KVM_MEMSLOT_ACCESS_PPC_VIRT;
	int r;

	r = ppc_hpt_get(vm);
	if (r)
		return r;
	do {
		r = access_once(vm, hint, gpa, len, write, virt, buf, acc);
		if (r == 1) {
			if (fatal_signal_pending(current)) {
				r = -EINTR;
				break;
			}
			cond_resched();
		}
	} while (r == 1);
	up_read(&ppc_vm(vm)->hpt_sem);
	if (r > 1)
		r -= 1;
	return r;
}
