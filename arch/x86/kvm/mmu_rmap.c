// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot x86 backend: the per-slot reverse map.
 *
 * With one table per address space, a gfn has at most one entry per level,
 * so the rmap of a slot is an array of entry pointers per level, indexed by
 * the gfn (or 2 MiB frame) relative to the slot.  Next to it, a compact
 * list of the indexes that have an entry: removing or aging everything a
 * slot maps walks that list, so it costs what the slot maps, never its
 * size nor the rest of guest memory.  A range is walked by index or by the
 * list, whichever is shorter.
 *
 * Everything here runs with vm->mmu_lock held, except allocation and
 * freeing, which happen while no entry can refer to the rmap.
 */
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/kvm_memslot.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <asm/page.h>
#include <asm/processor.h>

#include "mmu.h"

/* What x86_rmap_range() does to each entry it finds. */
enum x86_rmap_op {
	X86_RMAP_ZAP,
	X86_RMAP_AGE,
	X86_RMAP_TEST_AGE,
};

/**
 * x86_rmap_index() - where a gfn is in a slot's rmap
 * @slot:  the slot, which contains @gfn
 * @gfn:   guest frame number
 * @level: 1 (4 KiB) or 2 (2 MiB frame)
 *
 * Return: the index into @slot's rmap at @level.
 */
u32 x86_rmap_index(const struct kvm_memory_slot *slot, kvm_memslot_gfn_t gfn,
		   int level)
{
	if (level == 1)
		return gfn - slot->base_gfn;
	return (gfn >> X86_MMU_LEVEL_BITS) - (slot->base_gfn >> X86_MMU_LEVEL_BITS);
}

/**
 * x86_rmap_gfn() - the first gfn of an rmap index
 * @slot:  the slot
 * @index: index into @slot's rmap at @level
 * @level: 1 (4 KiB) or 2 (2 MiB frame)
 *
 * Return: the gfn (for level 2, the first gfn of the frame).
 */
kvm_memslot_gfn_t x86_rmap_gfn(const struct kvm_memory_slot *slot, u32 index,
			       int level)
{
	if (level == 1)
		return slot->base_gfn + index;
	return ((slot->base_gfn >> X86_MMU_LEVEL_BITS) + index) << X86_MMU_LEVEL_BITS;
}

static void x86_rmap_free_level(struct x86_rmap_level *l)
{
	kvfree(l->sptep);
	kvfree(l->pos);
	kvfree(l->list);
}

/**
 * x86_rmap_alloc() - allocate the rmap of a new slot into slot->arch
 * @slot: the slot being created or moved; slots_lock held
 *
 * Return: 0 or -ENOMEM.
 */
int x86_rmap_alloc(struct kvm_memory_slot *slot)
{
	kvm_memslot_gfn_t last = kvm_memslot_end(slot) - 1;
	struct x86_rmap *rmap;
	int level;

	rmap = kzalloc(sizeof(*rmap), GFP_KERNEL_ACCOUNT);
	if (!rmap)
		return -ENOMEM;
	rmap->nr_frames = x86_rmap_index(slot, last, 2) + 1;

	for (level = 1; level <= 2; level++) {
		struct x86_rmap_level *l = &rmap->level[level - 1];
		unsigned long n = level == 1 ? slot->npages : rmap->nr_frames;

		/* @pos and @list are only read where @sptep says they are set. */
		l->sptep = kvcalloc(n, sizeof(*l->sptep), GFP_KERNEL_ACCOUNT);
		l->pos = kvmalloc_array(n, sizeof(*l->pos), GFP_KERNEL_ACCOUNT);
		l->list = kvmalloc_array(n, sizeof(*l->list), GFP_KERNEL_ACCOUNT);
		if (!l->sptep || !l->pos || !l->list)
			goto err;
	}
	slot->arch = rmap;
	return 0;

err:
	for (level = 1; level <= 2; level++)
		x86_rmap_free_level(&rmap->level[level - 1]);
	kfree(rmap);
	return -ENOMEM;
}

/**
 * x86_rmap_free() - free slot->arch
 * @slot: the slot; none of its entries may remain in the tables
 */
void x86_rmap_free(struct kvm_memory_slot *slot)
{
	struct x86_rmap *rmap = slot->arch;

	if (!rmap)
		return;
	/* A bug, but the entries' tables may be gone: only report it. */
	if (rmap->level[0].nr || rmap->level[1].nr)
		pr_err("kvm_memslot: x86: slot %u freed with %u + %u translations\n",
		       slot->id, rmap->level[0].nr, rmap->level[1].nr);
	x86_rmap_free_level(&rmap->level[0]);
	x86_rmap_free_level(&rmap->level[1]);
	kfree(rmap);
	slot->arch = NULL;
}

/**
 * x86_rmap_add() - record the entry that maps an index
 * @rmap:  the slot's rmap; mmu_lock held
 * @level: 1 or 2
 * @index: see x86_rmap_index()
 * @sptep: the entry
 */
void x86_rmap_add(struct x86_rmap *rmap, int level, u32 index, u64 *sptep)
{
	struct x86_rmap_level *l = &rmap->level[level - 1];

	if (!l->sptep[index]) {
		l->pos[index] = l->nr;
		l->list[l->nr++] = index;
	}
	l->sptep[index] = sptep;
}

/**
 * x86_rmap_del() - forget the entry of an index, if any
 * @rmap:  the slot's rmap; mmu_lock held
 * @level: 1 or 2
 * @index: see x86_rmap_index()
 *
 * The entry itself is the caller's to clear.  The last index of the list
 * takes the removed one's place, so a walk of the list from its end may
 * remove the index it is at.
 */
void x86_rmap_del(struct x86_rmap *rmap, int level, u32 index)
{
	struct x86_rmap_level *l = &rmap->level[level - 1];
	u32 pos, last;

	if (!l->sptep[index])
		return;
	l->sptep[index] = NULL;
	pos = l->pos[index];
	last = l->list[--l->nr];
	l->list[pos] = last;
	l->pos[last] = pos;
}

/**
 * x86_rmap_forget() - empty an rmap without touching the entries
 * @rmap: the rmap; mmu_lock held; the tables are being torn down
 */
void x86_rmap_forget(struct x86_rmap *rmap)
{
	int level;
	u32 i;

	for (level = 1; level <= 2; level++) {
		struct x86_rmap_level *l = &rmap->level[level - 1];

		for (i = 0; i < l->nr; i++)
			l->sptep[l->list[i]] = NULL;
		l->nr = 0;
	}
}

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

/* Zap the entry of @index; the caller flushes before anything relies on it. */
static void x86_rmap_zap(struct x86_rmap *rmap, int level, u32 index)
{
	WRITE_ONCE(*rmap->level[level - 1].sptep[index], 0);
	x86_rmap_del(rmap, level, index);
}

/**
 * x86_rmap_zap_slot() - zap every translation of a slot
 * @slot: the slot (possibly INVALID); mmu_lock held
 *
 * Return: true if anything was zapped (a remote TLB flush is needed).
 */
bool x86_rmap_zap_slot(const struct kvm_memory_slot *slot)
{
	struct x86_rmap *rmap = slot->arch;
	bool zapped = false;
	int level;

	if (!rmap)
		return false;
	for (level = 1; level <= 2; level++) {
		struct x86_rmap_level *l = &rmap->level[level - 1];

		while (l->nr) {
			x86_rmap_zap(rmap, level, l->list[l->nr - 1]);
			zapped = true;
		}
	}
	return zapped;
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
	struct x86_rmap *rmap = slot->arch;
	struct x86_rmap_level *l;
	bool flush;
	u32 i;

	if (!rmap)
		return false;
	flush = rmap->level[0].nr || rmap->level[1].nr;
	l = &rmap->level[1];
	while (l->nr)
		x86_rmap_zap(rmap, 2, l->list[l->nr - 1]);

	l = &rmap->level[0];
	for (i = 0; i < l->nr; i++)
		x86_pte_clear(l->sptep[l->list[i]], X86_PTE_WRITABLE);
	return flush;
}

/* Apply @op to one entry; true if it zapped, or found the entry young. */
static bool x86_rmap_apply(struct x86_mmu *mmu, struct x86_rmap *rmap,
			   int level, u32 index, enum x86_rmap_op op)
{
	u64 *sptep = rmap->level[level - 1].sptep[index];

	switch (op) {
	case X86_RMAP_ZAP:
		x86_rmap_zap(rmap, level, index);
		return true;
	case X86_RMAP_AGE:
		return x86_pte_clear(sptep, mmu->fmt->accessed) & mmu->fmt->accessed;
	case X86_RMAP_TEST_AGE:
		return READ_ONCE(*sptep) & mmu->fmt->accessed;
	}
	return false;
}

/*
 * Apply @op to the entries of indexes [@first, @end) at @level: by index
 * if the range is shorter than the list, else by the list, from its end
 * (see x86_rmap_del()).
 */
static bool x86_rmap_range_level(struct x86_mmu *mmu, struct x86_rmap *rmap,
				 int level, u32 first, u32 end,
				 enum x86_rmap_op op)
{
	struct x86_rmap_level *l = &rmap->level[level - 1];
	bool ret = false;
	u32 i;

	if (end - first <= l->nr) {
		for (i = first; i < end; i++) {
			if (!l->sptep[i])
				continue;
			ret |= x86_rmap_apply(mmu, rmap, level, i, op);
			if (ret && op == X86_RMAP_TEST_AGE)
				break;
		}
		return ret;
	}

	for (i = l->nr; i-- > 0;) {
		u32 index = l->list[i];

		if (index < first || index >= end)
			continue;
		ret |= x86_rmap_apply(mmu, rmap, level, index, op);
		if (ret && op == X86_RMAP_TEST_AGE)
			break;
	}
	return ret;
}

static bool x86_rmap_range(struct kvm_memslot_vm *vm,
			   const struct kvm_memslot_gfn_range *range,
			   enum x86_rmap_op op)
{
	const struct kvm_memory_slot *slot = range->slot;
	struct x86_rmap *rmap = slot->arch;
	struct x86_mmu *mmu = vm->arch;
	kvm_memslot_gfn_t start, end;
	bool ret;

	lockdep_assert_held(&vm->mmu_lock);
	start = max(range->start, slot->base_gfn);
	end = min(range->end, kvm_memslot_end(slot));
	if (!mmu || !rmap || start >= end)
		return false;

	ret = x86_rmap_range_level(mmu, rmap, 1, x86_rmap_index(slot, start, 1),
				   x86_rmap_index(slot, end - 1, 1) + 1, op);
	if (ret && op == X86_RMAP_TEST_AGE)
		return true;
	/* A 2 MiB leaf overlapping the range at all goes (or ages) whole. */
	ret |= x86_rmap_range_level(mmu, rmap, 2, x86_rmap_index(slot, start, 2),
				    x86_rmap_index(slot, end - 1, 2) + 1, op);
	return ret;
}

/**
 * x86_rmap_unmap_range() - the unmap_gfn_range hook
 * @vm:    the VM; mmu_lock held
 * @range: gfns of one slot (possibly INVALID)
 *
 * Return: true if anything was zapped; the caller flushes remote TLBs.
 */
bool x86_rmap_unmap_range(struct kvm_memslot_vm *vm,
			  const struct kvm_memslot_gfn_range *range)
{
	return x86_rmap_range(vm, range, X86_RMAP_ZAP);
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
	return x86_rmap_range(vm, range, X86_RMAP_AGE);
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
	return x86_rmap_range(vm, range, X86_RMAP_TEST_AGE);
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
	struct x86_rmap *rmap = slot->arch;
	bool flush = false;

	lockdep_assert_held(&vm->mmu_lock);
	if (!vm->arch || !rmap)
		return false;

	while (mask) {
		kvm_memslot_gfn_t offset = gfn_offset + __ffs(mask);
		u64 *sptep;
		u32 frame;

		mask &= mask - 1;
		if (offset >= slot->npages)
			break;
		sptep = rmap->level[0].sptep[offset];
		if (sptep && (x86_pte_clear(sptep, X86_PTE_WRITABLE) & X86_PTE_WRITABLE))
			flush = true;
		frame = x86_rmap_index(slot, slot->base_gfn + offset, 2);
		if (rmap->level[1].sptep[frame]) {
			x86_rmap_zap(rmap, 2, frame);
			flush = true;
		}
	}
	return flush;
}
