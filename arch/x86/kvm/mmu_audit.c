// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot x86 backend: the invariant audit.
 *
 * Walks every entry of the VM's tables and checks it against the slot
 * sets as published now.  (The tables are also the reverse map, so there
 * is no second structure to check them against.)  Each violation is
 * logged with pr_err(), never WARN: the audit is a test tool, and test
 * lanes treat a WARN splat as a failure of the kernel rather than a count
 * to report.
 *
 * Entries a slot update has not flushed yet are legitimately stale, and a
 * fault or an invalidation may be half done, so the caller holds
 * slots_lock, the VM's SRCU and mmu_lock (memslot_access.c does).
 */
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/lockdep.h>
#include <linux/printk.h>
#include <linux/spinlock.h>
#include <asm/page.h>

#include "mmu.h"

struct x86_audit {
	struct kvm_memslot_vm *vm;
	struct kvm_memslots *slots;
	struct x86_mmu *mmu;
	unsigned long violations;
	bool no_host;	/* the host page tables cannot be read from here */
};

static void x86_audit_fail(struct x86_audit *a, int as_id,
			   kvm_memslot_gfn_t gfn, int level, u64 pte,
			   const char *what)
{
	a->violations++;
	pr_err("kvm_memslot: audit: %s: as %d gfn 0x%llx level %d entry 0x%llx: %s\n",
	       a->vm->ops->name, as_id, (unsigned long long)gfn, level,
	       (unsigned long long)pte, what);
}

/* Whether a writable leaf may cover the pages [@gfn, @gfn + @n) of @slot. */
static bool x86_audit_may_write(const struct kvm_memory_slot *slot,
				kvm_memslot_gfn_t gfn, unsigned long n)
{
	unsigned long i;

	if (slot->flags & KVM_MEM_READONLY)
		return false;
	if (!(slot->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return true;
	/* A write through the leaf must be in the next dirty log. */
	for (i = 0; i < n; i++)
		if (!test_bit(gfn - slot->base_gfn + i, slot->dirty_bitmap))
			return false;
	return true;
}

/*
 * A leaf must map the frames the host maps at the slot's addresses now
 * (the MMU notifier removes it before the host changes them), and may be
 * writable only where the host maps the page writable.
 */
static void x86_audit_host(struct x86_audit *a,
			   const struct kvm_memory_slot *slot,
			   kvm_memslot_gfn_t gfn, int level, u64 pte)
{
	unsigned long n = level == 2 ? X86_MMU_LARGE_PAGES : 1;
	unsigned long i, hva, pfn;
	int r;

	for (i = 0; i < n && !a->no_host; i++) {
		hva = kvm_memslot_gfn_to_hva(slot, gfn + i);
		if (pte & X86_PTE_WRITABLE)
			r = kvm_memslot_hva_to_pfn_peek_write(a->vm, hva, &pfn);
		else
			r = kvm_memslot_hva_to_pfn_peek(a->vm, hva, &pfn);
		if (r == -EINVAL) {
			/* Not in the VM's mm: skip the comparison. */
			a->no_host = true;
		} else if (r) {
			x86_audit_fail(a, slot->as_id, gfn + i, level, pte,
				       pte & X86_PTE_WRITABLE ?
				       "host does not map the page writable" :
				       "host maps no page there");
			return;
		} else if (pfn != x86_pte_pfn(pte) + i) {
			x86_audit_fail(a, slot->as_id, gfn + i, level, pte,
				       "maps another page than the host");
			return;
		}
	}
}

static void x86_audit_leaf(struct x86_audit *a, int as_id,
			   kvm_memslot_gfn_t gfn, int level, u64 *sptep,
			   u64 pte)
{
	unsigned long n = level == 2 ? X86_MMU_LARGE_PAGES : 1;
	struct kvm_memory_slot *slot;

	slot = kvm_memslot_find_gfn(a->slots, gfn);
	if (!slot) {
		x86_audit_fail(a, as_id, gfn, level, pte, "no slot backs the gfn");
		return;
	}
	if (kvm_memslot_is_invalid(slot)) {
		x86_audit_fail(a, as_id, gfn, level, pte, "slot is INVALID");
		return;
	}
	if (gfn + n > kvm_memslot_end(slot)) {
		x86_audit_fail(a, as_id, gfn, level, pte, "2 MiB leaf crosses the slot's end");
		return;
	}
	if ((pte & X86_PTE_WRITABLE) && !x86_audit_may_write(slot, gfn, n))
		x86_audit_fail(a, as_id, gfn, level, pte,
			       slot->flags & KVM_MEM_READONLY ?
			       "writable on a read-only slot" :
			       "writable on a write-protected dirty-logged page");
	x86_audit_host(a, slot, gfn, level, pte);
}

static int x86_audit_entry(const struct x86_walk_ctx *ctx)
{
	struct x86_audit *a = ctx->arg;
	kvm_memslot_gfn_t gfn = ctx->gfn;
	int as_id = ctx->as_id, level = ctx->level;
	struct x86_mmu *mmu = ctx->mmu;
	u64 pte = READ_ONCE(*ctx->sptep);
	struct kvm_memory_slot *slot;

	if (x86_pte_is_mmio(mmu->fmt, pte)) {
		if (level != 1) {
			x86_audit_fail(a, as_id, gfn, level, pte, "MMIO entry above level 1");
			return 0;
		}
		if (!x86_mmu_mmio_is_current(ctx->sptep, pte, a->slots->generation))
			return 0;
		slot = kvm_memslot_find_gfn(a->slots, gfn);
		if (slot && !kvm_memslot_is_invalid(slot))
			x86_audit_fail(a, as_id, gfn, level, pte,
				       "current MMIO entry for a gfn a slot backs");
		return 0;
	}
	if (!x86_pte_present(mmu->fmt, pte)) {
		x86_audit_fail(a, as_id, gfn, level, pte, "unrecognized non-present entry");
		return 0;
	}
	x86_audit_leaf(a, as_id, gfn, level, ctx->sptep, pte);
	return 0;
}

/**
 * x86_mmu_audit() - the audit hook: count translations breaking invariants
 * @vm: the VM; slots_lock, its SRCU and mmu_lock held
 *
 * Checked: every leaf is backed by a live slot that covers it whole; no
 * writable leaf on a read-only slot or on a dirty-logged page whose dirty
 * bit is clear; no MMIO entry that a walk would honour for a gfn a slot
 * backs, and none above the last level; no unrecognized entry; every leaf
 * maps the page the host maps at the slot's address, writable only if the
 * host's is.
 *
 * Return: the number of violations, each also logged with pr_err().
 */
unsigned long x86_mmu_audit(struct kvm_memslot_vm *vm)
{
	struct x86_audit a = { .vm = vm };
	struct x86_walker walker = {
		.cb = x86_audit_entry,
		.arg = &a,
		.flags = X86_WALK_LEAF,
	};
	int as_id;

	lockdep_assert_held(&vm->slots_lock);
	lockdep_assert_held(&vm->mmu_lock);
	a.mmu = vm->arch;
	for (as_id = 0; as_id < vm->ops->nr_address_spaces; as_id++) {
		a.slots = kvm_memslots_get(vm, as_id);
		if (a.mmu)
			x86_mmu_walk_range(a.mmu, as_id, 0,
					   BIT_ULL(X86_MMU_GFN_BITS), &walker);
	}
	return a.violations;
}
