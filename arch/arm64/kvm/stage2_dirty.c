// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot arm64 backend: dirty logging by write protection.
 *
 * Stage 2 has no dirty state that software could harvest without
 * FEAT_HAFDBS, so, as arm64 KVM does, a slot that logs dirty pages has its
 * descriptors write-protected (S2AP write cleared): the first write to
 * each page takes a permission fault, the fault path sets the page's bit
 * and map() grants write permission to that page alone.  A block that is
 * written while logging is split first into a table of descriptors of the
 * next size with the block's permissions (break-before-make), so that one
 * page becomes writable and the rest of the block stays mapped, read-only.
 * Harvesting (GET_DIRTY_LOG, CLEAR_DIRTY_LOG) write-protects the pages
 * whose bits it takes.
 *
 * Removing write permission is made in place and followed by a TLBI of
 * the descriptor; the caller completes the TLBIs before the pages count
 * as protected.
 */
#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <asm/page.h>

#include "stage2.h"

/**
 * arm64_s2_split_block() - replace a block by a table of smaller leaves
 * @s2:    the tables; mmu_lock held
 * @ptep:  a block descriptor
 * @gfn:   first gfn it maps
 * @level: its level (1 or 2)
 * @cache: where the table comes from
 *
 * The new table maps the same memory with the same permissions and access
 * flag, in 512 descriptors of the next level; it replaces the block by
 * break-before-make.
 *
 * Return: 0, or -ENOMEM if @cache is empty (nothing changed).
 */
int arm64_s2_split_block(struct arm64_s2 *s2, u64 *ptep,
			 kvm_memslot_gfn_t gfn, int level,
			 struct kvm_memslot_mmu_cache *cache)
{
	u64 old = READ_ONCE(*ptep), pa = s2_pte_pa(old);
	u64 size = 1ULL << s2_level_shift(level + 1);
	u64 *child;
	int i;

	child = kvm_memslot_mmu_cache_alloc(cache);
	if (!child)
		return -ENOMEM;
	s2->nr_tables++;
	/* Not yet reachable: plain stores, published by the release below. */
	for (i = 0; i < S2_ENTRIES; i++)
		child[i] = s2_make_leaf(pa + i * size, level + 1,
					old & S2_DESC_S2AP_W, old & S2_DESC_AF);
	arm64_s2_bbm(s2, ptep, gfn, level, s2_make_table(__pa(child)));
	return 0;
}

/* Remove write permission from a leaf in place; TLBI it. */
static bool s2_wrprotect(const struct arm64_s2_walk_ctx *ctx)
{
	if (!s2_pte_is_leaf(ctx->old, ctx->level) ||
	    !(ctx->old & S2_DESC_S2AP_W))
		return false;
	arm64_s2_set(ctx->s2, ctx->ptep, ctx->old & ~S2_DESC_S2AP_W);
	arm64_s2_tlbi_ipa(ctx->s2, ctx->gfn, ctx->level);
	return true;
}

static int s2_protect_visit(const struct arm64_s2_walk_ctx *ctx)
{
	bool *flush = ctx->arg;

	if (s2_wrprotect(ctx))
		*flush = true;
	return 0;
}

/**
 * arm64_s2_protect_slot() - write-protect a slot that starts logging
 * @s2:   the tables; mmu_lock held
 * @slot: the slot
 *
 * Blocks stay blocks, read-only: one is split when a page of it is
 * written (arm64_s2_map()), so a slot that is only read keeps its blocks.
 *
 * Return: true if a descriptor changed; the caller completes the TLBIs.
 */
bool arm64_s2_protect_slot(struct arm64_s2 *s2,
			   const struct kvm_memory_slot *slot)
{
	bool flush = false;
	struct arm64_s2_walker walker = {
		.cb = s2_protect_visit,
		.arg = &flush,
		.flags = S2_WALK_LEAF,
	};

	arm64_s2_walk_range(s2, slot->base_gfn, kvm_memslot_end(slot), &walker);
	return flush;
}

/**
 * struct s2_protect_gfns - pages to write-protect again
 * @first: the gfn bit 0 of @mask stands for
 * @mask:  the pages, from @first on
 * @flush: a descriptor changed
 */
struct s2_protect_gfns {
	kvm_memslot_gfn_t first;
	unsigned long mask;
	bool flush;
};

static int s2_protect_gfns_visit(const struct arm64_s2_walk_ctx *ctx)
{
	struct s2_protect_gfns *p = ctx->arg;

	/*
	 * A writable block (logging was enabled with all bits initially
	 * set, so nothing was protected then) holds one of the pages: the
	 * whole block loses write permission, and its other pages fault
	 * once more on their next write.
	 */
	if (ctx->level == S2_LAST_LEVEL &&
	    !(p->mask & BIT(ctx->gfn - p->first)))
		return 0;
	if (s2_wrprotect(ctx))
		p->flush = true;
	return 0;
}

/**
 * arm64_s2_protect_gfns() - the protect_dirty_gfns hook
 * @vm:         the VM; mmu_lock held
 * @slot:       a dirty-logged slot
 * @gfn_offset: first page, relative to the slot, that @mask describes
 * @mask:       pages whose dirty bits were just harvested
 *
 * Return: true if a descriptor changed; the caller completes the TLBIs
 * (kvm_memslot_flush_remote_tlbs() is the DSB).
 */
bool arm64_s2_protect_gfns(struct kvm_memslot_vm *vm,
			   const struct kvm_memory_slot *slot,
			   kvm_memslot_gfn_t gfn_offset, unsigned long mask)
{
	struct s2_protect_gfns p = {
		.first = slot->base_gfn + gfn_offset,
		.mask = mask,
	};
	struct arm64_s2_walker walker = {
		.cb = s2_protect_gfns_visit,
		.arg = &p,
		.flags = S2_WALK_LEAF,
	};
	struct arm64_s2 *s2 = vm->arch;
	kvm_memslot_gfn_t start, end;

	lockdep_assert_held(&vm->mmu_lock);
	if (!s2 || !mask || gfn_offset >= slot->npages)
		return false;

	start = p.first + __ffs(mask);
	end = min(p.first + __fls(mask) + 1, kvm_memslot_end(slot));
	arm64_s2_walk_range(s2, start, end, &walker);
	return p.flush;
}
