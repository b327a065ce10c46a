// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot arm64 backend: removing and aging translations by IPA range.
 *
 * arm64 KVM has no reverse map: a slot's translations are the leaves of
 * its IPA range, found by a walk that skips invalid descriptors, so
 * removing them costs what is mapped there and never depends on the rest
 * of guest memory or on the IPA size.
 *
 * Each leaf removed is made invalid and invalidated by IPA; the TLBIs are
 * completed (DSB) once per batch, before mmu_lock is dropped and before a
 * detached table is freed.  A slot's unmap (flush_memslot) drops the lock
 * every S2_UNMAP_BATCH descriptors, so a slot with much mapped never holds
 * it long, and frees the tables that mapped nothing but the slot.
 */
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <asm/page.h>

#include "stage2.h"

/* Descriptors a slot unmap reads per hold of mmu_lock. */
#define S2_UNMAP_BATCH		4096

/**
 * struct s2_unmap - what an unmap walk did and may do
 * @start:   first gfn whose tables may be freed
 * @end:     one past the last
 * @reclaim: free tables that map nothing but gfns of [@start, @end)
 * @flush:   a TLBI was issued: complete it before freeing or unlocking
 * @removed: leaves removed (a block counts once), for the hooks' callers
 * @freed:   tables detached, chained through page_private(), to free
 *           after the TLBIs completed
 */
struct s2_unmap {
	kvm_memslot_gfn_t start;
	kvm_memslot_gfn_t end;
	bool reclaim;
	bool flush;
	unsigned long removed;
	struct page *freed;
};

static int s2_unmap_visit(const struct arm64_s2_walk_ctx *ctx)
{
	struct s2_unmap *u = ctx->arg;
	struct page *page;

	if (ctx->visit == S2_WALK_LEAF) {
		if (s2_pte_is_leaf(ctx->old, ctx->level)) {
			arm64_s2_set(ctx->s2, ctx->ptep, 0);
			arm64_s2_tlbi_ipa(ctx->s2, ctx->gfn, ctx->level);
			u->flush = true;
			u->removed++;
		}
		return 0;
	}

	/*
	 * After its entries: a table that maps only gfns of the range maps
	 * nothing any more.  Detach it; the TLBI by IPA of its range also
	 * drops what walk caches hold of it.
	 */
	if (!u->reclaim || ctx->gfn < u->start ||
	    ctx->gfn + s2_level_pages(ctx->level) > u->end)
		return 0;
	arm64_s2_set(ctx->s2, ctx->ptep, 0);
	arm64_s2_tlbi_ipa(ctx->s2, ctx->gfn, ctx->level);
	page = virt_to_page(arm64_s2_table_of(ctx->old));
	set_page_private(page, (unsigned long)u->freed);
	u->freed = page;
	u->flush = true;
	return 0;
}

/* Complete the TLBIs of a batch, then free what it detached. */
static void s2_unmap_finish(struct arm64_s2 *s2, struct s2_unmap *u)
{
	struct page *page, *next;

	if (u->flush)
		arm64_s2_tlbi_sync(s2);
	for (page = u->freed; page; page = next) {
		next = (struct page *)page_private(page);
		set_page_private(page, 0);
		free_page((unsigned long)page_address(page));
		s2->nr_tables--;
	}
	u->flush = false;
	u->freed = NULL;
}

/**
 * arm64_s2_unmap_slot() - the flush_memslot hook's work
 * @vm:   the VM; mmu_lock not held (it is taken per batch)
 * @slot: the slot, published INVALID a grace period ago, so no fault can
 *        map it again
 *
 * Every leaf of the slot's IPA range is removed and invalidated; tables
 * that mapped only the slot are freed.  Each batch completes its TLBIs
 * before the lock is dropped: an invalidation that then finds a leaf gone
 * must not be able to return before the removal is complete.
 *
 * Return: the number of leaves removed (a block counts once).
 */
unsigned long arm64_s2_unmap_slot(struct kvm_memslot_vm *vm,
				  const struct kvm_memory_slot *slot)
{
	struct arm64_s2 *s2 = vm->arch;
	struct s2_unmap u = {
		.start = slot->base_gfn,
		.end = kvm_memslot_end(slot),
		.reclaim = true,
	};
	struct arm64_s2_walker walker = {
		.cb = s2_unmap_visit,
		.arg = &u,
		.flags = S2_WALK_LEAF | S2_WALK_TABLE_POST,
		.budget = S2_UNMAP_BATCH,
	};
	kvm_memslot_gfn_t next = u.start;
	int r;

	if (!s2)
		return 0;
	do {
		spin_lock(&vm->mmu_lock);
		walker.visited = 0;
		r = arm64_s2_walk_range(s2, next, u.end, &walker);
		s2_unmap_finish(s2, &u);
		spin_unlock(&vm->mmu_lock);
		next = walker.next;
		cond_resched();
	} while (r == -EAGAIN);
	return u.removed;
}

/*
 * Walk the part of @range inside its slot with @walker.  A block that
 * overlaps it is visited whole.
 */
static int s2_range_walk(struct kvm_memslot_vm *vm,
			 const struct kvm_memslot_gfn_range *range,
			 struct arm64_s2_walker *walker)
{
	const struct kvm_memory_slot *slot = range->slot;
	struct arm64_s2 *s2 = vm->arch;
	kvm_memslot_gfn_t start, end;

	lockdep_assert_held(&vm->mmu_lock);
	start = max(range->start, slot->base_gfn);
	end = min(range->end, kvm_memslot_end(slot));
	if (!s2 || start >= end)
		return 0;
	return arm64_s2_walk_range(s2, start, end, walker);
}

/**
 * arm64_s2_unmap_range() - the unmap_gfn_range hook
 * @vm:    the VM; mmu_lock held
 * @range: gfns of one slot (possibly INVALID)
 *
 * Tables stay; the slot's next unmap frees them.
 *
 * Return: the number of leaves removed (a block counts once); if not 0,
 * the caller completes the TLBIs (kvm_memslot_flush_remote_tlbs() is the
 * DSB) before the host may free the pages.
 */
unsigned long arm64_s2_unmap_range(struct kvm_memslot_vm *vm,
				   const struct kvm_memslot_gfn_range *range)
{
	struct s2_unmap u = {};
	struct arm64_s2_walker walker = {
		.cb = s2_unmap_visit,
		.arg = &u,
		.flags = S2_WALK_LEAF,
	};

	s2_range_walk(vm, range, &walker);
	return u.removed;
}

/*
 * Clearing the access flag is made in place without a TLBI, as arm64 KVM
 * ages: the next access that misses in the TLB takes an access flag fault
 * and sets it again.
 */
static int s2_age_visit(const struct arm64_s2_walk_ctx *ctx)
{
	bool *young = ctx->arg;

	if (s2_pte_is_leaf(ctx->old, ctx->level) && (ctx->old & S2_DESC_AF)) {
		arm64_s2_set(ctx->s2, ctx->ptep, ctx->old & ~S2_DESC_AF);
		*young = true;
	}
	return 0;
}

static int s2_test_age_visit(const struct arm64_s2_walk_ctx *ctx)
{
	/* The first young leaf answers; the walk ends there. */
	return s2_pte_is_leaf(ctx->old, ctx->level) && (ctx->old & S2_DESC_AF);
}

/**
 * arm64_s2_age_range() - the age_gfn_range hook: clear access flags
 * @vm:    the VM; mmu_lock held
 * @range: gfns of one slot
 *
 * Return: true if any leaf in the range had its access flag set.
 */
bool arm64_s2_age_range(struct kvm_memslot_vm *vm,
			const struct kvm_memslot_gfn_range *range)
{
	bool young = false;
	struct arm64_s2_walker walker = {
		.cb = s2_age_visit,
		.arg = &young,
		.flags = S2_WALK_LEAF,
	};

	s2_range_walk(vm, range, &walker);
	return young;
}

/**
 * arm64_s2_test_age_range() - the test_age_gfn_range hook
 * @vm:    the VM; mmu_lock held
 * @range: gfns of one slot
 *
 * Return: true if any leaf in the range has its access flag set; nothing
 * is cleared.
 */
bool arm64_s2_test_age_range(struct kvm_memslot_vm *vm,
			     const struct kvm_memslot_gfn_range *range)
{
	struct arm64_s2_walker walker = {
		.cb = s2_test_age_visit,
		.flags = S2_WALK_LEAF,
	};

	return s2_range_walk(vm, range, &walker) > 0;
}

/**
 * arm64_s2_flush_all() - the flush_all hook: remove every translation
 * @vm: the VM; no vCPU runs (VM destruction or mm release)
 *
 * Every table below the start level is freed; the start level stays until
 * the VM is destroyed.
 */
void arm64_s2_flush_all(struct kvm_memslot_vm *vm)
{
	struct arm64_s2 *s2 = vm->arch;
	struct s2_unmap u = {
		.end = s2 ? s2_nr_gfns(s2) : 0,
		.reclaim = true,
	};
	struct arm64_s2_walker walker = {
		.cb = s2_unmap_visit,
		.arg = &u,
		.flags = S2_WALK_LEAF | S2_WALK_TABLE_POST,
	};

	if (!s2)
		return;
	spin_lock(&vm->mmu_lock);
	arm64_s2_walk_range(s2, 0, u.end, &walker);
	s2_unmap_finish(s2, &u);
	spin_unlock(&vm->mmu_lock);
}
