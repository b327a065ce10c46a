// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot arm64 backend: guest accesses through stage 2, and the
 * descriptors the fault path installs.
 *
 * A simulated access walks the tables as the hardware walker does, without
 * a lock, and ends in one of the stage-2 faults ESR_EL2 would report: a
 * translation fault (no valid descriptor), an access flag fault (AF clear:
 * VTCR_EL2.HA is off, so software manages the flag, as arm64 KVM does on a
 * CPU without FEAT_HAFDBS), or a permission fault (a write without S2AP
 * write, which is how dirty logging and read-only slots are enforced).
 * Every fault goes to the generic fault path, which resolves the slot and
 * the host page and calls map(); map() fixes an access flag or permission
 * fault in place and everything else by break-before-make.
 */
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <asm/page.h>

#include "stage2.h"

/* One simulated access, for arm64_s2_walk_access(). */
struct s2_access {
	kvm_memslot_gfn_t gfn;
	bool write;
	int fault;
	unsigned long pfn;
};

/* The descriptor that ends the walk of one access decides it. */
static __always_inline int s2_access_visit(const struct arm64_s2_walk_ctx *ctx)
{
	struct s2_access *a = ctx->arg;
	u64 pte = ctx->old;

	if (!s2_pte_is_leaf(pte, ctx->level))
		a->fault = S2_FAULT_TRANSLATION;
	else if (!(pte & S2_DESC_AF))
		a->fault = S2_FAULT_ACCESS_FLAG;
	else if (!(pte & S2_DESC_S2AP_R) ||
		 (a->write && !(pte & S2_DESC_S2AP_W)))
		a->fault = S2_FAULT_PERMISSION;
	else
		a->fault = S2_FAULT_NONE;
	a->pfn = s2_pte_pfn(pte) + (a->gfn & (s2_level_pages(ctx->level) - 1));
	return 1;
}

/**
 * arm64_s2_walk_access() - simulate the hardware walk of one access
 * @s2:    the tables; no lock needed
 * @ipa:   guest physical address
 * @write: whether the access writes
 * @pfn:   on success, the host frame of @ipa's page
 *
 * The hardware sets neither the access flag nor a dirty state here, so the
 * walk only reads the tables.
 *
 * Return: S2_FAULT_NONE, or the fault the access takes.
 */
int arm64_s2_walk_access(struct arm64_s2 *s2, u64 ipa, bool write,
			 unsigned long *pfn)
{
	struct s2_access a = {
		.gfn = ipa >> S2_PAGE_SHIFT,
		.write = write,
		.fault = S2_FAULT_TRANSLATION,
	};
	struct arm64_s2_walker walker = {
		.cb = s2_access_visit,
		.arg = &a,
		.flags = S2_WALK_LEAF | S2_WALK_EMPTY,
	};

	/* Beyond T0SZ: a translation fault at the start level. */
	if (a.gfn >= s2_nr_gfns(s2))
		return S2_FAULT_TRANSLATION;
	arm64_s2_walk_range(s2, a.gfn, a.gfn + 1, &walker);
	if (a.fault == S2_FAULT_NONE)
		*pfn = a.pfn;
	return a.fault;
}

/**
 * arm64_s2_translate() - the translate hook
 * @vm:         the VM
 * @as_id:      address space; arm64 has only 0
 * @gpa:        guest physical address
 * @write:      whether the access writes
 * @generation: unused: arm64 caches no "no slot" entries
 * @pfn:        on a hit, the host frame
 *
 * Runs in simulated guest mode, without mmu_lock.
 *
 * Return: KVM_MEMSLOT_WALK_HIT, or KVM_MEMSLOT_WALK_MISS on any fault.
 */
enum kvm_memslot_walk_result arm64_s2_translate(struct kvm_memslot_vm *vm,
						int as_id, u64 gpa, bool write,
						u64 generation,
						unsigned long *pfn)
{
	struct arm64_s2 *s2 = READ_ONCE(vm->arch);

	if (!s2 || as_id)
		return KVM_MEMSLOT_WALK_MISS;
	return arm64_s2_walk_access(s2, gpa, write, pfn) == S2_FAULT_NONE ?
	       KVM_MEMSLOT_WALK_HIT : KVM_MEMSLOT_WALK_MISS;
}

/**
 * struct s2_map - a leaf to install, for arm64_s2_map()
 * @cache: where missing tables come from
 * @level: level of @pte
 * @pte:   the leaf
 */
struct s2_map {
	struct kvm_memslot_mmu_cache *cache;
	int level;
	u64 pte;
};

/* A new, empty next-level table in place of an invalid descriptor. */
static int s2_map_new_table(const struct arm64_s2_walk_ctx *ctx,
			    struct kvm_memslot_mmu_cache *cache)
{
	u64 *child = kvm_memslot_mmu_cache_alloc(cache);

	if (!child)
		return -ENOMEM;
	ctx->s2->nr_tables++;
	arm64_s2_set(ctx->s2, ctx->ptep, s2_make_table(__pa(child)));
	return 0;
}

/*
 * The walk goes down to the leaf's level.  Above it, an invalid descriptor
 * becomes a new table and a block is split into a table of the next size
 * (arm64_s2_split_block()), which the walker then walks.  At the leaf's
 * level, a leaf of the same output address only gains the access flag and
 * write permission, in place; anything else is replaced by
 * break-before-make, and a table replaced by a block is freed once the
 * invalidation completed.
 */
static int s2_map_visit(const struct arm64_s2_walk_ctx *ctx)
{
	struct arm64_s2 *s2 = ctx->s2;
	struct s2_map *map = ctx->arg;
	u64 old = ctx->old;

	if (ctx->level < map->level) {
		if (s2_pte_is_leaf(old, ctx->level))
			return arm64_s2_split_block(s2, ctx->ptep, ctx->gfn,
						    ctx->level, map->cache);
		return s2_map_new_table(ctx, map->cache);
	}

	if (s2_pte_is_leaf(old, ctx->level) &&
	    s2_pte_pa(old) == s2_pte_pa(map->pte)) {
		/* Never takes a permission away: a dirty page stays writable. */
		arm64_s2_set(s2, ctx->ptep,
			     old | (map->pte & S2_DESC_PERM_BITS));
		return 0;
	}
	arm64_s2_bbm(s2, ctx->ptep, ctx->gfn, ctx->level, map->pte);
	if (s2_pte_is_table(old, ctx->level))
		arm64_s2_free_tables(s2, old, ctx->level);
	return 0;
}

/*
 * Whether @gfn may be mapped by a block at @level: the block lies inside
 * @slot (so it belongs to one slot, and deleting another slot never has
 * to split it), @pfn sits at the same offset of an aligned block of host
 * memory, and the slot does not log dirty pages.
 */
static bool s2_block_ok(const struct kvm_memory_slot *slot,
			kvm_memslot_gfn_t gfn, unsigned long pfn, int level)
{
	u64 pages = s2_level_pages(level);
	kvm_memslot_gfn_t base = ALIGN_DOWN(gfn, pages);

	if ((gfn ^ pfn) & (pages - 1))
		return false;
	if (base < slot->base_gfn || base + pages > kvm_memslot_end(slot))
		return false;
	return !slot->dirty_bitmap;
}

/**
 * arm64_s2_map() - the map hook: install a translation
 * @vm:       the VM; mmu_lock held
 * @slot:     the slot @gfn is in
 * @gfn:      guest frame number, aligned to 1 << @shift bytes
 * @pfn:      host frame that backs @gfn
 * @writable: whether writes may go through (never on a READONLY slot)
 * @shift:    12 for a page, 21 for a 2 MiB block (used only where
 *            s2_block_ok() agrees)
 * @cache:    table pages, at least ops->map_cache_pages of them
 *
 * New leaves are made with the access flag set, as arm64 KVM makes them.
 *
 * Return: 0; -EAGAIN if @slot is INVALID (the fault retries); -ENOMEM if
 * @cache ran out; -EINVAL for a gfn, pfn or size the tables cannot map.
 */
int arm64_s2_map(struct kvm_memslot_vm *vm, const struct kvm_memory_slot *slot,
		 kvm_memslot_gfn_t gfn, unsigned long pfn, bool writable,
		 unsigned int shift, struct kvm_memslot_mmu_cache *cache)
{
	struct arm64_s2 *s2 = vm->arch;
	struct s2_map map = { .cache = cache };
	struct arm64_s2_walker walker = {
		.cb = s2_map_visit,
		.arg = &map,
		.flags = S2_WALK_LEAF | S2_WALK_EMPTY,
	};
	int level;

	lockdep_assert_held(&vm->mmu_lock);
	if (kvm_memslot_is_invalid(slot))
		return -EAGAIN;
	if (shift == s2_level_shift(S2_LAST_LEVEL))
		level = S2_LAST_LEVEL;
	else if (shift == s2_level_shift(2))
		level = 2;
	else
		return -EINVAL;
	if (!s2 || gfn < slot->base_gfn || gfn >= kvm_memslot_end(slot) ||
	    gfn >= s2_nr_gfns(s2) || gfn & (s2_level_pages(level) - 1) ||
	    ((u64)pfn << S2_PAGE_SHIFT) & ~S2_DESC_OA_MASK)
		return -EINVAL;

	if (slot->flags & KVM_MEM_READONLY)
		writable = false;
	if (level < S2_LAST_LEVEL && !s2_block_ok(slot, gfn, pfn, level))
		level = S2_LAST_LEVEL;

	map.level = level;
	map.pte = s2_make_leaf((u64)pfn << S2_PAGE_SHIFT, level, writable, true);
	walker.depth = level;
	return arm64_s2_walk_range(s2, gfn, gfn + 1, &walker);
}
