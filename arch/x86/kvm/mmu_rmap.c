// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot x86 backend: from a slot's gfns to its translations.
 *
 * With one set of tables per address space, a gfn has at most one leaf,
 * at a place the gfn determines, and a 2 MiB leaf is only made inside one
 * slot.  So the tables are the reverse map: the translations of a slot
 * (or of a range of it) are the leaves x86_mmu_walk_range() finds in its
 * gfn range, and the walk skips every entry that points nowhere.  That
 * costs what is mapped in the range, not the size of the slot, and a slot
 * needs no per-page metadata: a 1 TiB slot costs nothing until it is used.
 *
 * Everything here runs with vm->mmu_lock held.  The zap of a whole slot
 * (x86_rmap_zap_slot()) drops it every X86_RMAP_ZAP_BATCH entries, after a
 * remote TLB flush, so a slot with TiBs mapped never holds the lock long.
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/kvm_memslot.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <asm/page.h>
#include <asm/processor.h>

#include "mmu.h"

/* Entries a slot zap reads per hold of mmu_lock. */
#define X86_RMAP_ZAP_BATCH	4096

/*
 * Clear @bits of an entry and return its old value.  A walker sets A and D
 * with a cmpxchg, so neither side can lose the other's update.
 */
static u64 x86_pte_clear(u64 *sptep, u64 bits)
{
	u64 old = READ_ONCE(*sptep);

	while ((old & bits) && !try_cmpxchg(sptep, &old, old & ~bits))
		cpu_relax();
	return old;
}

static bool x86_visit_is_leaf(const struct x86_walk_ctx *ctx)
{
	return ctx->visit == X86_WALK_LEAF &&
	       x86_pte_present(ctx->mmu->fmt, ctx->old);
}

/**
 * struct x86_zap - what a zap walk did and may do
 * @start:   first gfn whose tables may be freed
 * @end:     one past the last
 * @reclaim: free tables that map nothing but gfns of [@start, @end)
 * @flush:   a present entry was removed: flush before freeing anything
 * @removed: present leaves removed, for the hooks' callers
 * @freed:   tables detached, chained through page_private(), to free
 *           after the flush
 */
struct x86_zap {
	kvm_memslot_gfn_t start;
	kvm_memslot_gfn_t end;
	bool reclaim;
	bool flush;
	unsigned long removed;
	struct page *freed;
};

static int x86_zap_visit(const struct x86_walk_ctx *ctx)
{
	struct x86_zap *zap = ctx->arg;
	struct page *page;

	if (ctx->visit == X86_WALK_LEAF) {
		/* MMIO entries stay: they are a cache, valid or not. */
		if (x86_pte_present(ctx->mmu->fmt, ctx->old)) {
			WRITE_ONCE(*ctx->sptep, 0);
			zap->flush = true;
			zap->removed++;
		}
		return 0;
	}

	/*
	 * After its entries: a table that only maps gfns of the range maps
	 * nothing any more (its leaves are zapped, its tables detached) but
	 * MMIO entries, which may go too.  Free it once no walker can be
	 * inside it.
	 */
	if (!zap->reclaim || ctx->gfn < zap->start ||
	    ctx->gfn + x86_mmu_level_pages(ctx->level) > zap->end)
		return 0;
	WRITE_ONCE(*ctx->sptep, 0);
	page = virt_to_page(x86_mmu_pte_table(ctx->old));
	set_page_private(page, (unsigned long)zap->freed);
	zap->freed = page;
	zap->flush = true;
	return 0;
}

/**
 * x86_rmap_zap_slot() - zap every translation of a slot, free its tables
 * @vm:   the VM; mmu_lock not held (it is taken in batches)
 * @slot: the slot (possibly INVALID), from which no fault can map any more
 *
 * Tables that map nothing but gfns of @slot are freed too, so deleting a
 * slot gives back the memory its translations took.  Between two batches
 * the lock is dropped, after a remote TLB flush if anything was removed:
 * a concurrent invalidation that finds an entry already gone must not be
 * able to skip the flush its pages need.
 *
 * Return: the number of translations removed (a 2 MiB one counts once).
 */
unsigned long x86_rmap_zap_slot(struct kvm_memslot_vm *vm,
				const struct kvm_memory_slot *slot)
{
	struct x86_zap zap = {
		.start = slot->base_gfn,
		.end = kvm_memslot_end(slot),
		.reclaim = true,
	};
	struct x86_walker walker = {
		.cb = x86_zap_visit,
		.arg = &zap,
		.flags = X86_WALK_LEAF | X86_WALK_TABLE_POST,
		.budget = X86_RMAP_ZAP_BATCH,
	};
	kvm_memslot_gfn_t next = zap.start;
	struct x86_mmu *mmu;
	int r;

	do {
		spin_lock(&vm->mmu_lock);
		mmu = vm->arch;
		if (!mmu) {
			spin_unlock(&vm->mmu_lock);
			break;
		}
		walker.visited = 0;
		r = x86_mmu_walk_range(mmu, slot->as_id, next, zap.end, &walker);
		if (zap.flush)
			x86_mmu_flush_remote_tlbs(vm);
		x86_mmu_free_detached(mmu, zap.freed);
		spin_unlock(&vm->mmu_lock);

		zap.flush = false;
		zap.freed = NULL;
		next = walker.next;
		cond_resched();
	} while (r == -EAGAIN);
	return zap.removed;
}

static int x86_protect_visit(const struct x86_walk_ctx *ctx)
{
	bool *flush = ctx->arg;

	if (!x86_visit_is_leaf(ctx))
		return 0;
	if (ctx->level == 2)
		WRITE_ONCE(*ctx->sptep, 0);
	else
		x86_pte_clear(ctx->sptep, X86_PTE_WRITABLE);
	*flush = true;
	return 0;
}

/**
 * x86_rmap_protect_slot() - prepare a slot's translations for dirty logging
 * @mmu:  the tables
 * @slot: the slot that now logs dirty pages; mmu_lock held
 *
 * 4 KiB translations lose write permission; 2 MiB ones are zapped, so that
 * writes fault, and are logged, page by page.
 *
 * Return: true if the slot had translations; the caller flushes.
 */
bool x86_rmap_protect_slot(struct x86_mmu *mmu,
			   const struct kvm_memory_slot *slot)
{
	bool flush = false;
	struct x86_walker walker = {
		.cb = x86_protect_visit,
		.arg = &flush,
		.flags = X86_WALK_LEAF,
	};

	x86_mmu_walk_range(mmu, slot->as_id, slot->base_gfn,
			   kvm_memslot_end(slot), &walker);
	return flush;
}

static int x86_age_visit(const struct x86_walk_ctx *ctx)
{
	bool *young = ctx->arg;
	u64 accessed = ctx->mmu->fmt->accessed;

	if (x86_visit_is_leaf(ctx) &&
	    (x86_pte_clear(ctx->sptep, accessed) & accessed))
		*young = true;
	return 0;
}

static int x86_test_age_visit(const struct x86_walk_ctx *ctx)
{
	/* The first young entry answers; the walk ends there. */
	return x86_visit_is_leaf(ctx) &&
	       (READ_ONCE(*ctx->sptep) & ctx->mmu->fmt->accessed);
}

/*
 * Walk the part of @range inside its slot with @walker.  A 2 MiB leaf
 * overlapping it at all is visited (zapped, aged) whole.
 */
static int x86_rmap_range(struct kvm_memslot_vm *vm,
			  const struct kvm_memslot_gfn_range *range,
			  struct x86_walker *walker)
{
	const struct kvm_memory_slot *slot = range->slot;
	struct x86_mmu *mmu = vm->arch;
	kvm_memslot_gfn_t start, end;

	lockdep_assert_held(&vm->mmu_lock);
	start = max(range->start, slot->base_gfn);
	end = min(range->end, kvm_memslot_end(slot));
	if (!mmu || start >= end)
		return 0;
	return x86_mmu_walk_range(mmu, slot->as_id, start, end, walker);
}

/**
 * x86_rmap_unmap_range() - the unmap_gfn_range hook
 * @vm:    the VM; mmu_lock held
 * @range: gfns of one slot (possibly INVALID)
 *
 * Tables stay (the caller flushes after this returns, too late to free
 * them here); the next delete of the slot frees them.
 *
 * Return: the number of translations zapped (a 2 MiB one counts once);
 * if not 0, the caller flushes remote TLBs.
 */
unsigned long x86_rmap_unmap_range(struct kvm_memslot_vm *vm,
				   const struct kvm_memslot_gfn_range *range)
{
	struct x86_zap zap = {};
	struct x86_walker walker = {
		.cb = x86_zap_visit,
		.arg = &zap,
		.flags = X86_WALK_LEAF,
	};

	x86_rmap_range(vm, range, &walker);
	return zap.removed;
}

/**
 * x86_rmap_age_range() - the age_gfn_range hook: clear accessed flags
 * @vm:    the VM; mmu_lock held
 * @range: gfns of one slot
 *
 * Return: true if any translation in the range had been accessed.
 */
bool x86_rmap_age_range(struct kvm_memslot_vm *vm,
			const struct kvm_memslot_gfn_range *range)
{
	bool young = false;
	struct x86_walker walker = {
		.cb = x86_age_visit,
		.arg = &young,
		.flags = X86_WALK_LEAF,
	};

	x86_rmap_range(vm, range, &walker);
	return young;
}

/**
 * x86_rmap_test_age_range() - the test_age_gfn_range hook
 * @vm:    the VM; mmu_lock held
 * @range: gfns of one slot
 *
 * Return: true if any translation in the range has been accessed since it
 * was last aged; nothing is cleared.
 */
bool x86_rmap_test_age_range(struct kvm_memslot_vm *vm,
			     const struct kvm_memslot_gfn_range *range)
{
	struct x86_walker walker = {
		.cb = x86_test_age_visit,
		.flags = X86_WALK_LEAF,
	};

	return x86_rmap_range(vm, range, &walker) > 0;
}

/**
 * struct x86_protect_gfns - pages to write-protect again
 * @first: the gfn bit 0 of @mask stands for
 * @mask:  the pages, from @first on
 * @flush: a translation changed
 */
struct x86_protect_gfns {
	kvm_memslot_gfn_t first;
	unsigned long mask;
	bool flush;
};

static int x86_protect_gfns_visit(const struct x86_walk_ctx *ctx)
{
	struct x86_protect_gfns *p = ctx->arg;

	if (!x86_visit_is_leaf(ctx))
		return 0;
	/*
	 * The walk spans from the first page of the mask to the last, at
	 * most BITS_PER_LONG pages: a 2 MiB leaf it meets holds one of them.
	 */
	if (ctx->level == 2) {
		WRITE_ONCE(*ctx->sptep, 0);
		p->flush = true;
	} else if ((p->mask & BIT(ctx->gfn - p->first)) &&
		   (x86_pte_clear(ctx->sptep, X86_PTE_WRITABLE) & X86_PTE_WRITABLE)) {
		p->flush = true;
	}
	return 0;
}

/**
 * x86_rmap_protect_gfns() - the protect_dirty_gfns hook
 * @vm:         the VM; mmu_lock held
 * @slot:       a dirty-logged slot
 * @gfn_offset: first page, relative to the slot, that @mask describes
 * @mask:       pages whose dirty bits were just harvested
 *
 * Write-protects the 4 KiB translations of those pages, so that the next
 * write to each faults and is logged again.  A 2 MiB translation covering
 * one of them (none should exist while logging) is zapped.
 *
 * Return: true if a translation changed; the caller flushes remote TLBs.
 */
bool x86_rmap_protect_gfns(struct kvm_memslot_vm *vm,
			   const struct kvm_memory_slot *slot,
			   kvm_memslot_gfn_t gfn_offset, unsigned long mask)
{
	struct x86_protect_gfns p = {
		.first = slot->base_gfn + gfn_offset,
		.mask = mask,
	};
	struct x86_walker walker = {
		.cb = x86_protect_gfns_visit,
		.arg = &p,
		.flags = X86_WALK_LEAF,
	};
	struct x86_mmu *mmu = vm->arch;
	kvm_memslot_gfn_t start, end;

	lockdep_assert_held(&vm->mmu_lock);
	if (!mmu || !mask || gfn_offset >= slot->npages)
		return false;

	start = p.first + __ffs(mask);
	end = min(p.first + __fls(mask) + 1, kvm_memslot_end(slot));
	x86_mmu_walk_range(mmu, slot->as_id, start, end, &walker);
	return p.flush;
}
