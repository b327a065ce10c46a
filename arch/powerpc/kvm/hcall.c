// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot PowerPC backend: the guest's hypercalls on the HPT.
 *
 * KVM_MEMSLOT_PPC_HCALL runs H_ENTER, H_REMOVE, H_PROTECT, H_READ and
 * H_BULK_REMOVE with PAPR's semantics and return codes, as Book3S HV KVM
 * runs them for a guest in HPT mode.  The guest's entries are in the
 * pre-ISA-3.0 format; the host keeps its own view of each (VALID or
 * ABSENT, host protection) apart from the guest's (struct ppc_rev), which
 * H_READ and H_REMOVE return.
 */
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/srcu.h>
#include <linux/uaccess.h>

#include "memslot_ppc.h"

/* PAPR return codes and flags. */
#define H_SUCCESS		0
#define H_FUNCTION		-2
#define H_PARAMETER		-4
#define H_PTEG_FULL		-6
#define H_NOT_FOUND		-7
#define H_EXACT			(1ULL << (63 - 24))
#define H_READ_4		(1ULL << (63 - 26))
#define H_AVPN			(1ULL << (63 - 32))
#define H_ANDCOND		(1ULL << (63 - 33))

/* H_BULK_REMOVE translation specifier high word. */
#define BULK_TYPE_SHIFT		62
#define BULK_REQUEST		1
#define BULK_END		3
#define BULK_FLAGS_SHIFT	56
#define BULK_PTEX		((1ULL << 56) - 1)
#define BULK_RESPONSE		0x80ULL
#define BULK_NOT_FOUND		0x90ULL
#define BULK_PARM		0xa0ULL
#define BULK_RC_SHIFT		(56 - 5)

/**
 * ppc_hpt_get() - take the VM's HPT, allocating KVM's default if none
 * @vm: the VM
 *
 * As KVM-HV does when a vCPU first runs without KVM_PPC_ALLOCATE_HTAB:
 * the default order, smaller ones if memory is short.
 *
 * Return: 0 with hpt_sem held shared, -EINTR, or -ENOMEM.
 */
int ppc_hpt_get(struct kvm_memslot_vm *vm)
{
	struct ppc_vm *pv = ppc_vm(vm);
	struct ppc_hpt hpt = {};
	unsigned int order;
	int r;

	for (;;) {
		if (down_read_killable(&pv->hpt_sem))
			return -EINTR;
		if (pv->hpt.hptes)
			return 0;
		up_read(&pv->hpt_sem);

		if (down_write_killable(&pv->hpt_sem))
			return -EINTR;
		r = 0;
		if (!pv->hpt.hptes) {
			order = PPC_HPT_DEFAULT_ORDER;
			do {
				r = ppc_hpt_alloc(&hpt, order);
			} while (r == -ENOMEM && --order >= PPC_HPT_MIN_ORDER);
			if (!r) {
				spin_lock(&vm->mmu_lock);
				pv->hpt = hpt;
				spin_unlock(&vm->mmu_lock);
			}
		}
		up_write(&pv->hpt_sem);
		if (r)
			return r;
	}
}

/*
 * Under mmu_lock, with the entry locked: take the guest's entry out.  A
 * VALID entry comes off its rmap chain with its R and C harvested into
 * the guest's view first.
 */
static void hpte_remove(struct ppc_hpt *hpt, unsigned long index)
{
	ppc_hpte_take_down(hpt, index, NULL);
	hpt->rev[index].gen++;
	hpt->rev[index].flags = 0;
	ppc_hpte_unlock(ppc_hpte(hpt, index), 0);
}

/* The guest's view of V: an ABSENT entry is VALID to it. */
static u64 guest_v(u64 v)
{
	v &= ~PPC_HPTE_V_HVLOCK;
	if (v & PPC_HPTE_V_ABSENT)
		v = (v & ~PPC_HPTE_V_ABSENT) | PPC_HPTE_V_VALID;
	return v;
}

/*
 * Under mmu_lock: a free entry for H_ENTER, locked.  The host's own
 * real-mode entries give way to the guest's.
 */
static long enter_slot(struct ppc_hpt *hpt, unsigned long pte_index, bool exact)
{
	unsigned long first = exact ? pte_index : round_down(pte_index, 8);
	unsigned long n = exact ? 1 : PPC_HPTES_PER_GROUP, i;
	u64 *hpte;

	for (i = first; i < first + n; i++) {
		if (hpt->rev[i].flags & PPC_REV_VRMA)
			ppc_hpte_invalidate(hpt, i, NULL);
		hpte = ppc_hpte(hpt, i);
		ppc_hpte_lock(hpte);
		if (!(hpte[0] & (PPC_HPTE_V_VALID | PPC_HPTE_V_ABSENT)))
			return i;
		ppc_hpte_unlock(hpte, hpte[0]);
	}
	return -1;
}

/*
 * H_ENTER.  Return: the hypercall's return code, or ppc_hcall_run()'s
 * -EINTR (as *@err, since H_PARAMETER has the same value).
 */
static long h_enter(struct kvm_memslot_vm *vm, struct kvm_memslot_hint *hint,
		    struct kvm_memslot_ppc_hcall *hc, int *err)
{
	struct ppc_hpt *hpt = &ppc_vm(vm)->hpt;
	u64 pteh = hc->args[0], ptel = hc->args[1], host_r, gpa;
	struct kvm_memory_slot *slot;
	unsigned long shift;
	long index;
	bool mmio;
	int idx;
	u32 gen;

	/* B = 0b1x is reserved. */
	if ((pteh >> PPC_HPTE_V_SSIZE_SHIFT) & 2)
		return H_PARAMETER;
	shift = ppc_hpte_page_shift(pteh, ptel);
	if (!shift)
		return H_PARAMETER;
	pteh &= ~(PPC_HPTE_V_HVLOCK | PPC_HPTE_V_ABSENT | PPC_HPTE_V_VALID);
	ptel &= ~PPC_HPTE_R_GR_RESERVED;
	gpa = (ptel & PPC_HPTE_R_RPN) & ~((1ULL << shift) - 1);

	/*
	 * KVM-HV enters an HPTE for a gfn whose slot is INVALID as emulated
	 * MMIO; the lookup here waits for the update instead.
	 */
	slot = kvm_memslot_fault_lookup(vm, 0, gpa >> PPC_PAGE_SHIFT, hint,
					&idx);
	__acquire(&vm->srcu);
	if (IS_ERR(slot)) {
		srcu_read_unlock(&vm->srcu, idx);
		*err = PTR_ERR(slot);
		return H_SUCCESS;
	}
	mmio = !slot;
	/*
	 * A page larger than the host's 64 KiB pages cannot be mapped from
	 * a slot (KVM-HV: larger than the host page behind it).
	 */
	if (slot && shift > PPC_PAGE_SHIFT) {
		srcu_read_unlock(&vm->srcu, idx);
		return H_PARAMETER;
	}
	srcu_read_unlock(&vm->srcu, idx);

	if (hc->pte_index >= hpt->npte)
		return H_PARAMETER;

	/* Emulated MMIO is marked by key 31 in the host's view. */
	host_r = mmio ? ptel | PPC_HPTE_R_KEY : ptel;

	spin_lock(&vm->mmu_lock);
	index = enter_slot(hpt, hc->pte_index, hc->flags & H_EXACT);
	if (index < 0) {
		spin_unlock(&vm->mmu_lock);
		return H_PTEG_FULL;
	}
	hpt->rev[index].guest_r = ptel;
	hpt->rev[index].flags = 0;
	gen = ++hpt->rev[index].gen;
	ppc_hpte(hpt, index)[1] = host_r;
	ppc_hpte_unlock(ppc_hpte(hpt, index), pteh | PPC_HPTE_V_ABSENT);
	spin_unlock(&vm->mmu_lock);
	hc->rets[0] = index;

	/*
	 * Resolve the page now, as KVM-HV does for a page the host maps;
	 * if that fails, the entry stays ABSENT and the first access
	 * faults, which the guest cannot tell apart.
	 */
	if (!mmio)
		ppc_fault(vm, hint, index, gen, gpa, false, 0, NULL);
	return H_SUCCESS;
}

static long h_remove(struct kvm_memslot_vm *vm, struct kvm_memslot_ppc_hcall *hc)
{
	struct ppc_hpt *hpt = &ppc_vm(vm)->hpt;
	u64 avpn = hc->args[0], v, *hpte;

	if (hc->pte_index >= hpt->npte)
		return H_PARAMETER;
	spin_lock(&vm->mmu_lock);
	hpte = ppc_hpte(hpt, hc->pte_index);
	ppc_hpte_lock(hpte);
	v = hpte[0] & ~PPC_HPTE_V_HVLOCK;
	if (!(v & (PPC_HPTE_V_VALID | PPC_HPTE_V_ABSENT)) ||
	    (hpt->rev[hc->pte_index].flags & PPC_REV_VRMA) ||
	    ((hc->flags & H_AVPN) && (v & ~0x7fULL) != avpn) ||
	    ((hc->flags & H_ANDCOND) && (v & avpn))) {
		ppc_hpte_unlock(hpte, hpte[0]);
		spin_unlock(&vm->mmu_lock);
		return H_NOT_FOUND;
	}
	hpte_remove(hpt, hc->pte_index);
	hc->rets[0] = guest_v(v);
	hc->rets[1] = hpt->rev[hc->pte_index].guest_r & ~PPC_HPTE_R_GR_RESERVED;
	spin_unlock(&vm->mmu_lock);
	return H_SUCCESS;
}

static long h_bulk_remove(struct kvm_memslot_vm *vm,
			  struct kvm_memslot_ppc_hcall *hc)
{
	struct ppc_hpt *hpt = &ppc_vm(vm)->hpt;
	long ret = H_SUCCESS;
	unsigned int i;

	memcpy(hc->rets, hc->args, sizeof(hc->rets));
	spin_lock(&vm->mmu_lock);
	for (i = 0; i < 4; i++) {
		u64 tsh = hc->args[2 * i], tsl = hc->args[2 * i + 1];
		u64 flags = (tsh >> BULK_FLAGS_SHIFT) & 3;
		u64 req = tsh >> BULK_TYPE_SHIFT, index = tsh & BULK_PTEX;
		bool found = false;
		u64 *hpte, v;

		if (req == BULK_END)
			break;
		if (req != BULK_REQUEST || flags == 3 || index >= hpt->npte) {
			hc->rets[2 * i] = ((BULK_PARM | flags) << BULK_FLAGS_SHIFT) |
					  index;
			ret = H_PARAMETER;
			break;
		}
		hpte = ppc_hpte(hpt, index);
		ppc_hpte_lock(hpte);
		v = hpte[0] & ~PPC_HPTE_V_HVLOCK;
		if ((v & (PPC_HPTE_V_VALID | PPC_HPTE_V_ABSENT)) &&
		    !(hpt->rev[index].flags & PPC_REV_VRMA)) {
			switch (flags) {
			case 0:
				found = true;
				break;
			case 1:
				found = !(v & tsl);
				break;
			case 2:
				found = (v & ~0x7fULL) == tsl;
				break;
			}
		}
		if (!found) {
			ppc_hpte_unlock(hpte, hpte[0]);
			hc->rets[2 * i] = ((BULK_NOT_FOUND | flags) <<
					   BULK_FLAGS_SHIFT) | index;
			continue;
		}
		hpte_remove(hpt, index);
		hc->rets[2 * i] = ((BULK_RESPONSE | flags) << BULK_FLAGS_SHIFT) |
				  index |
				  ((hpt->rev[index].guest_r & PPC_HPTE_R_RC) <<
				   BULK_RC_SHIFT);
	}
	spin_unlock(&vm->mmu_lock);
	return ret;
}

static long h_protect(struct kvm_memslot_vm *vm, struct kvm_memslot_ppc_hcall *hc)
{
	const u64 mask = PPC_HPTE_R_PP0 | PPC_HPTE_R_PP | PPC_HPTE_R_N |
			 PPC_HPTE_R_KEY_HI | PPC_HPTE_R_KEY_LO;
	struct ppc_hpt *hpt = &ppc_vm(vm)->hpt;
	u64 avpn = hc->args[0], flags = hc->flags, bits, v, r, *hpte;
	struct ppc_rev *rev;

	if (hc->pte_index >= hpt->npte)
		return H_PARAMETER;
	spin_lock(&vm->mmu_lock);
	hpte = ppc_hpte(hpt, hc->pte_index);
	rev = &hpt->rev[hc->pte_index];
	ppc_hpte_lock(hpte);
	v = hpte[0];
	if (!(v & (PPC_HPTE_V_VALID | PPC_HPTE_V_ABSENT)) ||
	    (rev->flags & PPC_REV_VRMA) ||
	    ((flags & H_AVPN) && (v & ~0x7fULL) != avpn)) {
		ppc_hpte_unlock(hpte, v);
		spin_unlock(&vm->mmu_lock);
		return H_NOT_FOUND;
	}
	bits = (flags << 55) & PPC_HPTE_R_PP0;
	bits |= (flags << 48) & PPC_HPTE_R_KEY_HI;
	bits |= flags & (PPC_HPTE_R_PP | PPC_HPTE_R_N | PPC_HPTE_R_KEY_LO);
	rev->guest_r = (rev->guest_r & ~mask) | bits;

	/*
	 * A VALID entry changes at once, under its lock bit, so no access
	 * uses the old protection after this; it never becomes writable
	 * here: if the host page allows it, the next write faults and the
	 * fault makes it so.
	 */
	if (v & PPC_HPTE_V_VALID) {
		r = (hpte[1] & ~mask) | bits;
		if (ppc_hpte_writable(r) && !ppc_hpte_writable(hpte[1]))
			r = ppc_hpte_make_readonly(r);
		hpte[1] = r;
	}
	ppc_hpte_unlock(hpte, v);
	spin_unlock(&vm->mmu_lock);
	return H_SUCCESS;
}

static long h_read(struct kvm_memslot_vm *vm, struct kvm_memslot_ppc_hcall *hc)
{
	struct ppc_hpt *hpt = &ppc_vm(vm)->hpt;
	unsigned long index = hc->pte_index, i, n = 1;

	if (index >= hpt->npte)
		return H_PARAMETER;
	if (hc->flags & H_READ_4) {
		index &= ~3UL;
		n = 4;
	}
	spin_lock(&vm->mmu_lock);
	for (i = 0; i < n; i++, index++) {
		u64 *hpte = ppc_hpte(hpt, index);
		u64 v = READ_ONCE(hpte[0]), r = READ_ONCE(hpte[1]);

		/* The host's real-mode entries are the hypervisor's own. */
		if (hpt->rev[index].flags & PPC_REV_VRMA)
			v = 0;
		v = guest_v(v);
		if (v & PPC_HPTE_V_VALID)
			r = (hpt->rev[index].guest_r | (r & PPC_HPTE_R_RC)) &
			    ~PPC_HPTE_R_GR_RESERVED;
		hc->rets[2 * i] = v;
		hc->rets[2 * i + 1] = r;
	}
	spin_unlock(&vm->mmu_lock);
	return H_SUCCESS;
}

/**
 * ppc_hcall_run() - run one hypercall
 * @vm:   the VM; hpt_sem held shared, the HPT allocated
 * @hint: the vCPU's last-used slot
 * @hc:   the hypercall; @hc->ret and @hc->rets are filled in
 *
 * Return: 0 when the hypercall ran (whatever @hc->ret says), -EINTR if a
 * signal came while H_ENTER waited for a slot update.
 */
long ppc_hcall_run(struct kvm_memslot_vm *vm, struct kvm_memslot_hint *hint,
		   struct kvm_memslot_ppc_hcall *hc)
{
	int err = 0;
	long ret;

	memset(hc->rets, 0, sizeof(hc->rets));
	switch (hc->nr) {
	case KVM_MEMSLOT_PPC_H_ENTER:
		ret = h_enter(vm, hint, hc, &err);
		if (err)
			return err;
		break;
	case KVM_MEMSLOT_PPC_H_REMOVE:
		ret = h_remove(vm, hc);
		break;
	case KVM_MEMSLOT_PPC_H_PROTECT:
		ret = h_protect(vm, hc);
		break;
	case KVM_MEMSLOT_PPC_H_READ:
		ret = h_read(vm, hc);
		break;
	case KVM_MEMSLOT_PPC_H_BULK_REMOVE:
		ret = h_bulk_remove(vm, hc);
		break;
	default:
		ret = H_FUNCTION;
		break;
	}
	hc->ret = ret;
	return 0;
}

/**
 * ppc_vcpu_ioctl() - the vcpu_ioctl hook: KVM_MEMSLOT_PPC_HCALL
 * @vm:    the VM
 * @hint:  the vCPU's last-used slot
 * @ioctl: the ioctl
 * @arg:   user pointer to struct kvm_memslot_ppc_hcall
 *
 * Return: 0, -EINVAL for non-zero reserved fields, -EFAULT, -EINTR,
 * -ENOMEM, or -ENOIOCTLCMD for another ioctl.
 */
long ppc_vcpu_ioctl(struct kvm_memslot_vm *vm, struct kvm_memslot_hint *hint,
		    unsigned int ioctl, unsigned long arg)
{
	struct kvm_memslot_ppc_hcall __user *uhc = (void __user *)arg;
	struct kvm_memslot_ppc_hcall hc;
	unsigned int i;
	long r;

	if (ioctl != KVM_MEMSLOT_PPC_HCALL)
		return -ENOIOCTLCMD;
	if (copy_from_user(&hc, uhc, sizeof(hc)))
		return -EFAULT;
	for (i = 0; i < ARRAY_SIZE(hc.reserved); i++)
		if (hc.reserved[i])
			return -EINVAL;

	r = ppc_hpt_get(vm);
	if (r)
		return r;
	r = ppc_hcall_run(vm, hint, &hc);
	up_read(&ppc_vm(vm)->hpt_sem);
	if (r)
		return r;
	if (copy_to_user(uhc, &hc, sizeof(hc)))
		return -EFAULT;
	return 0;
}
