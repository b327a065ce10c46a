// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot arm64 backend: the invariant audit.
 *
 * Walks every descriptor of the VM's stage-2 tables and checks it against
 * the slot set as published now and against the host's page tables.  Each
 * violation is logged with pr_err(), never WARN: the audit is a test tool,
 * and test lanes treat a WARN splat as a failure of the kernel rather than
 * a count to report.
 *
 * The caller holds slots_lock, the VM's SRCU and mmu_lock (memslot_audit.c
 * does), so no update, fault or invalidation is half done: in particular
 * no break-before-make is in progress, and any invalid descriptor that is
 * not zero was left behind by one.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/lockdep.h>
#include <linux/printk.h>
#include <linux/spinlock.h>
#include <asm/page.h>

#include "stage2.h"

/* Bits a leaf made by this model may have besides the output address. */
#define S2_AUDIT_LEAF_BITS	(S2_DESC_VALID | S2_DESC_PAGE | \
				 S2_DESC_LEAF_ATTRS | S2_DESC_PERM_BITS)

struct s2_audit {
	struct kvm_memslot_vm *vm;
	struct kvm_memslots *slots;
	unsigned long tables;
	unsigned long violations;
	bool no_host;	/* the host page tables cannot be read from here */
};

static void s2_audit_fail(struct s2_audit *a, kvm_memslot_gfn_t gfn,
			  int level, u64 pte, const char *what)
{
	a->violations++;
	pr_err("kvm_memslot: audit: %s: ipa 0x%llx level %d descriptor 0x%llx: %s\n",
	       a->vm->ops->name, (unsigned long long)gfn << S2_PAGE_SHIFT,
	       level, (unsigned long long)pte, what);
}

/* Whether a writable leaf may cover the pages [@gfn, @gfn + @n) of @slot. */
static bool s2_audit_may_write(const struct kvm_memory_slot *slot,
			       kvm_memslot_gfn_t gfn, u64 n)
{
	u64 i;

	if (slot->flags & KVM_MEM_READONLY)
		return false;
	if (!slot->dirty_bitmap)
		return true;
	/* A write through the leaf must be in the next dirty log. */
	for (i = 0; i < n; i++)
		if (!test_bit_le(gfn - slot->base_gfn + i, slot->dirty_bitmap))
			return false;
	return true;
}

/*
 * A leaf must map the frames the host maps at the slot's addresses now
 * (the MMU notifier removes it before the host changes them), and may be
 * writable only where the host maps the page writable.
 */
static void s2_audit_host(struct s2_audit *a, const struct kvm_memory_slot *slot,
			  kvm_memslot_gfn_t gfn, int level, u64 pte)
{
	u64 i, n = s2_level_pages(level);
	unsigned long hva, pfn;
	int r;

	for (i = 0; i < n && !a->no_host; i++) {
		hva = kvm_memslot_gfn_to_hva(slot, gfn + i);
		if (pte & S2_DESC_S2AP_W)
			r = kvm_memslot_hva_to_pfn_peek_write(a->vm, hva, &pfn);
		else
			r = kvm_memslot_hva_to_pfn_peek(a->vm, hva, &pfn);
		if (r == -EINVAL) {
			/* Not in the VM's mm: skip the comparison. */
			a->no_host = true;
		} else if (r) {
			s2_audit_fail(a, gfn + i, level, pte,
				      pte & S2_DESC_S2AP_W ?
				      "host does not map the page writable" :
				      "host maps no page there");
			return;
		} else if (pfn != s2_pte_pfn(pte) + i) {
			s2_audit_fail(a, gfn + i, level, pte,
				      "maps another page than the host");
			return;
		}
	}
}

static void s2_audit_leaf(struct s2_audit *a, kvm_memslot_gfn_t gfn,
			  int level, u64 pte)
{
	u64 n = s2_level_pages(level);
	struct kvm_memory_slot *slot;

	if ((pte & ~(S2_DESC_OA_MASK | S2_AUDIT_LEAF_BITS)) ||
	    (pte & S2_DESC_LEAF_ATTRS) != S2_DESC_LEAF_ATTRS) {
		s2_audit_fail(a, gfn, level, pte,
			      "attributes are not normal WB, inner shareable, readable, XN");
		return;
	}
	if (s2_pte_pfn(pte) & (n - 1)) {
		s2_audit_fail(a, gfn, level, pte, "block output address misaligned");
		return;
	}
	slot = kvm_memslot_find_gfn(a->slots, gfn);
	if (!slot) {
		s2_audit_fail(a, gfn, level, pte, "no slot backs the IPA");
		return;
	}
	if (kvm_memslot_is_invalid(slot)) {
		s2_audit_fail(a, gfn, level, pte, "slot is INVALID");
		return;
	}
	if (gfn < slot->base_gfn || gfn + n > kvm_memslot_end(slot)) {
		s2_audit_fail(a, gfn, level, pte, "block crosses the slot's end");
		return;
	}
	if ((pte & S2_DESC_S2AP_W) && !s2_audit_may_write(slot, gfn, n))
		s2_audit_fail(a, gfn, level, pte,
			      slot->flags & KVM_MEM_READONLY ?
			      "writable on a read-only slot" :
			      "writable on a write-protected dirty-logged page");
	s2_audit_host(a, slot, gfn, level, pte);
}

static int s2_audit_visit(const struct arm64_s2_walk_ctx *ctx)
{
	struct s2_audit *a = ctx->arg;
	u64 pte = ctx->old;

	if (ctx->visit == S2_WALK_TABLE_PRE) {
		if (pte & ~(S2_DESC_OA_MASK | S2_DESC_VALID | S2_DESC_TABLE))
			s2_audit_fail(a, ctx->gfn, ctx->level, pte,
				      "table descriptor with stray bits");
		a->tables++;
		return 0;
	}
	if (!s2_pte_valid(pte))
		s2_audit_fail(a, ctx->gfn, ctx->level, pte,
			      "invalid but not zero: left half-made by break-before-make");
	else if (!s2_pte_is_leaf(pte, ctx->level))
		s2_audit_fail(a, ctx->gfn, ctx->level, pte,
			      "reserved encoding at this level");
	else
		s2_audit_leaf(a, ctx->gfn, ctx->level, pte);
	return 0;
}

/**
 * arm64_s2_audit() - the audit hook: count descriptors breaking invariants
 * @vm: the VM; slots_lock, its SRCU and mmu_lock held
 *
 * Checked for every descriptor: no invalid one that is not zero, no
 * reserved encoding; a table descriptor has no stray bits, and the tables
 * reachable are the tables allocated; a leaf has this model's attributes
 * and an aligned output address, lies in one live (not INVALID) slot, is
 * writable only on a slot that is not READONLY and only over pages whose
 * dirty bits are set if the slot logs, and maps the pages the host maps at
 * the slot's addresses now, writable only where the host's are.
 *
 * Return: the number of violations, each also logged with pr_err().
 */
unsigned long arm64_s2_audit(struct kvm_memslot_vm *vm)
{
	struct arm64_s2 *s2 = vm->arch;
	struct s2_audit a = { .vm = vm };
	struct arm64_s2_walker walker = {
		.cb = s2_audit_visit,
		.arg = &a,
		.flags = S2_WALK_LEAF | S2_WALK_TABLE_PRE,
	};

	lockdep_assert_held(&vm->slots_lock);
	lockdep_assert_held(&vm->mmu_lock);
	if (!s2)
		return 0;
	a.slots = kvm_memslots_get(vm, 0);
	arm64_s2_walk_range(s2, 0, s2_nr_gfns(s2), &walker);
	if (a.tables != s2->nr_tables) {
		a.violations++;
		pr_err("kvm_memslot: audit: %s: %lu tables reachable, %lu allocated\n",
		       vm->ops->name, a.tables, s2->nr_tables);
	}
	return a.violations;
}
