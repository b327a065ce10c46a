// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot arm64 backend: the stage-2 tables, their one walker, and the
 * TLB maintenance every change of them goes through.
 *
 * The start level's tables (up to 16, concatenated) are allocated with the
 * VM, since the VM type fixes the IPA size; the tables below them by map(),
 * under vm->mmu_lock, from pages the fault path put in the vCPU's cache
 * before it took the lock.
 *
 * The TLB model.  arm64 invalidates TLBs with a broadcast instruction
 * (TLBI IPAS2E1IS by IPA, VMALLS12E1IS for the whole VMID) that every PE
 * in the inner shareable domain obeys without taking an interrupt, and a
 * DSB ISH that completes once the invalidation, and every walk and access
 * that used the entries it removed, have completed.  No vCPU is asked to
 * exit, unlike x86's IPI-based flush.  Here a TLBI is recorded (and shown
 * to a test's observer), and the DSB is kvm_memslot_flush_remote_tlbs():
 * it waits only for the simulated accesses in flight, each of which is one
 * walk and one copy, which is what the DSB's completion rule asks for.
 *
 * Break-before-make: a valid descriptor is never replaced by another
 * valid one that differs in output address or size (arm64_s2_bbm()): it
 * is made invalid, the TLB entries are invalidated and the invalidation
 * completed, and only then is the new descriptor stored, so no PE can hold
 * two translations of one IPA at once.  Only permission and access-flag
 * changes are made in place, which the architecture allows.
 */
#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <asm/page.h>

#include "stage2.h"

/* Index of @gfn's entry at @level in a table of @mask + 1 entries. */
static inline unsigned int s2_index(kvm_memslot_gfn_t gfn, int level, u64 mask)
{
	return (gfn >> ((S2_LAST_LEVEL - level) * S2_LEVEL_BITS)) & mask;
}

/* Entries of the start level: its concatenated tables are one array. */
static inline u64 s2_root_mask(const struct arm64_s2 *s2)
{
	return (u64)s2->geom.nr_concat * S2_ENTRIES - 1;
}

/**
 * arm64_s2_table_of() - the table a table descriptor points to
 * @pte: a valid table descriptor
 *
 * Return: the table's kernel address.
 */
u64 *arm64_s2_table_of(u64 pte)
{
	return (u64 *)__va(s2_pte_pa(pte));
}

/*
 * The walk itself, from a table @root at @root_level whose entries are
 * indexed by @root_mask.  Iterative, with the table and the descriptor
 * walked through at each level above the current one on the stack, so
 * that a visitor may start a walk of its own, and inlined where a constant
 * visitor is on the vCPU's path.  It reads descriptors with READ_ONCE()
 * and follows table descriptors by their address dependency, so it also
 * serves walks without mmu_lock.
 */
static __always_inline int s2_walk(struct arm64_s2 *s2, u64 *root,
				   int root_level, u64 root_mask,
				   kvm_memslot_gfn_t start,
				   kvm_memslot_gfn_t end,
				   struct arm64_s2_walker *w)
{
	u64 *parent[S2_LEVELS], walked[S2_LEVELS];
	struct arm64_s2_walk_ctx ctx = {
		.s2 = s2,
		.arg = w->arg,
	};
	int deepest = w->depth ? w->depth : S2_LAST_LEVEL;
	int level = root_level, r;
	kvm_memslot_gfn_t gfn = start, base;
	u64 *table = root, *ptep, pte, pages, mask;

	if (start >= end)
		return 0;

	/* @gfn: the next gfn to walk, inside the entry at @level it selects. */
	for (;;) {
		if (w->budget && w->visited >= w->budget) {
			w->next = gfn;
			return -EAGAIN;
		}
		w->visited++;
		mask = level == root_level ? root_mask : S2_ENTRIES - 1;
		ptep = &table[s2_index(gfn, level, mask)];
		pte = READ_ONCE(*ptep);
		if (!pte && !(w->flags & S2_WALK_EMPTY))
			goto next;

		ctx.gfn = ALIGN_DOWN(gfn, s2_level_pages(level));
		ctx.level = level;
		ctx.ptep = ptep;
		ctx.old = pte;
		if (level < deepest && s2_pte_is_table(pte, level)) {
			if (w->flags & S2_WALK_TABLE_PRE) {
				ctx.visit = S2_WALK_TABLE_PRE;
				r = w->cb(&ctx);
				if (r)
					return r;
				pte = READ_ONCE(*ptep);
			}
		} else if (w->flags & S2_WALK_LEAF) {
			ctx.visit = S2_WALK_LEAF;
			r = w->cb(&ctx);
			if (r)
				return r;
			pte = READ_ONCE(*ptep);
		}
		/* Visitors may have replaced the entry: walk what it is now. */
		if (level < deepest && s2_pte_is_table(pte, level)) {
			parent[level] = table;
			walked[level] = pte;
			level++;
			table = arm64_s2_table_of(pte);
			continue;
		}
next:
		pages = s2_level_pages(level);
		gfn = ALIGN_DOWN(gfn, pages) + pages;
		/*
		 * Past the range, or past the last entry of this table: back
		 * up to the entries above, visiting them after their tables.
		 */
		for (;;) {
			mask = level == root_level ? root_mask : S2_ENTRIES - 1;
			if (gfn < end && s2_index(gfn, level, mask))
				break;
			if (!(w->flags & S2_WALK_TABLE_POST) && gfn >= end)
				return 0;
			if (level == root_level)
				return 0;
			level--;
			table = parent[level];
			pages = s2_level_pages(level);
			base = ALIGN_DOWN(gfn - 1, pages);
			gfn = base + pages;
			if (w->flags & S2_WALK_TABLE_POST) {
				mask = level == root_level ? root_mask : S2_ENTRIES - 1;
				ctx.gfn = base;
				ctx.level = level;
				ctx.ptep = &table[s2_index(base, level, mask)];
				ctx.old = walked[level];
				ctx.visit = S2_WALK_TABLE_POST;
				r = w->cb(&ctx);
				if (r)
					return r;
			}
		}
	}
}

/**
 * arm64_s2_walk_range() - visit the descriptors that map a gfn range
 * @s2:     the tables; mmu_lock held, or nothing can change them any more
 * @start:  first gfn
 * @end:    one past the last gfn; clipped to the IPA space
 * @walker: the visitor, the visits it wants and the budget
 *
 * See S2_WALK_LEAF.  A descriptor is visited when it maps any gfn of the
 * range, so a block is visited whole for one of its pages.
 *
 * Return: 0 once the range is walked; -EAGAIN if @walker's budget ran out,
 * with @walker->next the gfn to resume at; or what a visitor returned to
 * end the walk.
 */
int arm64_s2_walk_range(struct arm64_s2 *s2, kvm_memslot_gfn_t start,
			kvm_memslot_gfn_t end, struct arm64_s2_walker *walker)
{
	end = min_t(u64, end, s2_nr_gfns(s2));
	return s2_walk(s2, s2->pgd, s2->geom.start_level, s2_root_mask(s2),
		       start, end, walker);
}

/**
 * arm64_s2_set() - store a descriptor
 * @s2:   the tables; mmu_lock held
 * @ptep: where
 * @val:  the new descriptor
 *
 * A release: a table it points to is seen initialized by any walker that
 * sees the descriptor (the walker's READ_ONCE() and address dependency are
 * the other side).  Changing one valid descriptor into another is only
 * allowed through arm64_s2_bbm() or for S2_DESC_PERM_BITS.
 */
void arm64_s2_set(struct arm64_s2 *s2, u64 *ptep, u64 val)
{
	/* Before the store, so that an observer can read what it replaces. */
	if (s2->observer)
		s2->observer->fn(s2->observer->arg, S2_EV_STORE, ptep, val, 0, 0);
	/* Pairs with the READ_ONCE() and address dependency of s2_walk(). */
	smp_store_release(ptep, val);
}

/**
 * arm64_s2_tlbi_ipa() - broadcast invalidation of one IPA's TLB entries
 * @s2:    the tables; mmu_lock held
 * @gfn:   first gfn of the entry removed or changed
 * @level: its level (the TTL hint of TLBI IPAS2E1IS)
 *
 * Not complete until arm64_s2_tlbi_sync() (or the core's remote flush,
 * which is the same DSB) returns.
 */
void arm64_s2_tlbi_ipa(struct arm64_s2 *s2, kvm_memslot_gfn_t gfn, int level)
{
	s2->tlbis++;
	if (s2->observer)
		s2->observer->fn(s2->observer->arg, S2_EV_TLBI_IPA, NULL, 0,
				 gfn << S2_PAGE_SHIFT, level);
}

/**
 * arm64_s2_tlbi_vmid() - broadcast invalidation of all of the VM's entries
 * @s2: the tables; mmu_lock held
 *
 * Needed when a table descriptor is removed: the walk caches of every PE
 * may hold any descriptor below it.
 */
void arm64_s2_tlbi_vmid(struct arm64_s2 *s2)
{
	s2->tlbis++;
	if (s2->observer)
		s2->observer->fn(s2->observer->arg, S2_EV_TLBI_VMID, NULL, 0,
				 0, 0);
}

/**
 * arm64_s2_tlbi_sync() - complete the TLBIs issued so far (DSB ISH)
 * @s2: the tables; mmu_lock may be held
 *
 * When it returns, no walk or access that may have used a removed entry
 * is still in flight: the pages those entries mapped, and the tables
 * detached, may be freed.
 */
void arm64_s2_tlbi_sync(struct arm64_s2 *s2)
{
	kvm_memslot_flush_remote_tlbs(s2->vm);
}

/**
 * arm64_s2_bbm() - replace a descriptor by break-before-make
 * @s2:    the tables; mmu_lock held
 * @ptep:  the descriptor
 * @gfn:   first gfn it maps
 * @level: its level
 * @val:   the new descriptor (0 to just remove the old one)
 *
 * A valid old descriptor is made invalid and its TLB entries invalidated,
 * by IPA for a block or page and for the whole VMID for a table, and the
 * invalidation completed, before @val is stored.  A table the old
 * descriptor pointed to is the caller's to free.
 */
void arm64_s2_bbm(struct arm64_s2 *s2, u64 *ptep, kvm_memslot_gfn_t gfn,
		  int level, u64 val)
{
	u64 old = READ_ONCE(*ptep);

	if (s2_pte_valid(old)) {
		arm64_s2_set(s2, ptep, 0);
		if (s2_pte_is_table(old, level))
			arm64_s2_tlbi_vmid(s2);
		else
			arm64_s2_tlbi_ipa(s2, gfn, level);
		arm64_s2_tlbi_sync(s2);
	}
	if (val)
		arm64_s2_set(s2, ptep, val);
}

/* Frees each table after the walk of its entries; nothing walks them. */
static int s2_free_visit(const struct arm64_s2_walk_ctx *ctx)
{
	free_page((unsigned long)arm64_s2_table_of(ctx->old));
	ctx->s2->nr_tables--;
	return 0;
}

/**
 * arm64_s2_free_tables() - free a detached table and every table below it
 * @s2:    the tables
 * @pte:   the table descriptor that pointed to it, at @level; no walker
 *         can reach it any more (it was removed and the removal synced)
 * @level: level of @pte
 */
void arm64_s2_free_tables(struct arm64_s2 *s2, u64 pte, int level)
{
	struct arm64_s2_walker free_all = {
		.cb = s2_free_visit,
		.flags = S2_WALK_TABLE_POST,
	};
	u64 *table = arm64_s2_table_of(pte);

	/* Its entries, as if it were a root covering one entry at @level. */
	s2_walk(s2, table, level + 1, S2_ENTRIES - 1, 0,
		s2_level_pages(level), &free_all);
	free_page((unsigned long)table);
	s2->nr_tables--;
}

/**
 * arm64_s2_create() - the stage-2 tables of a new VM
 * @vm:       the VM
 * @ipa_bits: its IPA size
 *
 * Return: the tables, with an empty start level, or NULL if out of memory.
 */
struct arm64_s2 *arm64_s2_create(struct kvm_memslot_vm *vm,
				 unsigned int ipa_bits)
{
	struct arm64_s2 *s2;

	s2 = kzalloc(sizeof(*s2), GFP_KERNEL_ACCOUNT);
	if (!s2)
		return NULL;
	if (arm64_s2_geom(ipa_bits, &s2->geom)) {
		kfree(s2);
		return NULL;
	}
	s2->vm = vm;
	/*
	 * VTTBR_EL2 wants the concatenated tables contiguous and aligned to
	 * their size: kmalloc() aligns power-of-two sizes naturally.
	 */
	s2->pgd = kzalloc(s2->geom.nr_concat * PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!s2->pgd) {
		kfree(s2);
		return NULL;
	}
	return s2;
}

/**
 * arm64_s2_destroy() - free the tables of a VM
 * @s2: the tables; nothing walks them any more
 */
void arm64_s2_destroy(struct arm64_s2 *s2)
{
	struct arm64_s2_walker free_all = {
		.cb = s2_free_visit,
		.flags = S2_WALK_TABLE_POST,
	};

	arm64_s2_walk_range(s2, 0, s2_nr_gfns(s2), &free_all);
	kfree(s2->pgd);
	kfree(s2);
}

/* The entry at one level, for arm64_s2_lookup(). */
struct s2_lookup {
	int level;
	u64 *ptep;
};

static int s2_lookup_visit(const struct arm64_s2_walk_ctx *ctx)
{
	struct s2_lookup *lookup = ctx->arg;

	if (ctx->level == lookup->level)
		lookup->ptep = ctx->ptep;
	return 1;
}

/**
 * arm64_s2_lookup() - the descriptor for a gfn at a level
 * @s2:    the tables; mmu_lock held
 * @gfn:   guest frame number
 * @level: start level .. 3
 *
 * Return: the descriptor, or NULL if a table on the way is missing or a
 * block above @level covers @gfn.
 */
u64 *arm64_s2_lookup(struct arm64_s2 *s2, kvm_memslot_gfn_t gfn, int level)
{
	struct s2_lookup lookup = { .level = level };
	struct arm64_s2_walker walker = {
		.cb = s2_lookup_visit,
		.arg = &lookup,
		.flags = S2_WALK_LEAF | S2_WALK_EMPTY,
		.depth = level,
	};

	arm64_s2_walk_range(s2, gfn, gfn + 1, &walker);
	return lookup.ptep;
}
