// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot x86 backend: the translation tables.
 *
 * One 4-level table per address space, in EPT or NPT format, one kernel
 * page per table.  The roots are allocated when the first slot is
 * prepared; the tables below them by map(), under vm->mmu_lock (a
 * spinlock), from pages the fault path put in the vCPU's cache before it
 * took the lock (GFP_KERNEL_ACCOUNT, so that the memory cgroup of the VMM
 * pays for them and can refuse them).  map_mmio() never allocates: it
 * caches an MMIO entry only in a last-level table that exists already, so
 * accesses where no slot is cannot make the tables grow.
 *
 * walk() reads the tables without any lock, the way a hardware walker
 * does while the MMU changes them.  So a table that was reachable is freed
 * only after a remote TLB flush, which waits until every vCPU has left
 * simulated guest mode: no walk can still be inside it.  Entries a walker
 * may update (accessed and dirty flags) are changed with atomic operations
 * by everyone.
 */
#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <asm/page.h>

#include "mmu.h"

/* Generation bits stored in an MMIO entry, and the rest (the epoch). */
#define X86_MMIO_GEN_FIELD(gen)	(((gen) >> 1) & (BIT_ULL(X86_MMIO_GEN_BITS) - 1))
#define X86_MMIO_GEN_EPOCH(gen)	((gen) >> (X86_MMIO_GEN_BITS + 1))

/**
 * x86_mmu_flush_remote_tlbs() - the one place that asks for a remote flush
 * @vm: the VM; mmu_lock may be held
 *
 * After it returns, no vCPU is still walking with anything read before
 * the call: table pages detached before it may be freed, and so may the
 * pages removed translations mapped.
 */
void x86_mmu_flush_remote_tlbs(struct kvm_memslot_vm *vm)
{
	kvm_memslot_flush_remote_tlbs(vm);
}

static u64 *x86_mmu_alloc_root(struct x86_mmu *mmu)
{
	u64 *table = (u64 *)__get_free_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (table)
		mmu->nr_tables++;
	return table;
}

/**
 * x86_mmu_pte_table() - the table a non-leaf entry points to
 * @pte: a present, non-leaf entry
 *
 * Return: the table's kernel address.
 */
u64 *x86_mmu_pte_table(u64 pte)
{
	return (u64 *)__va(pte & X86_PTE_PFN_MASK);
}

static u64 x86_mmu_pte_of_table(const struct x86_mmu_fmt *fmt, u64 *table)
{
	return (__pa(table) & X86_PTE_PFN_MASK) | fmt->table;
}

/*
 * The walk itself.  It is iterative, with the table and the entry walked
 * through at each level above the current one on the stack, so that it is
 * reentrant (a visitor may start a walk of its own) and can be inlined
 * where it is on the vCPU's fast path (x86_mmu_walk()), turning the call
 * of a constant visitor into a direct one.  It reads entries with
 * READ_ONCE() and follows table pointers by their address dependency, so
 * it also serves walks without mmu_lock.
 */
static __always_inline int x86_walk(struct x86_mmu *mmu, int as_id,
				    kvm_memslot_gfn_t start,
				    kvm_memslot_gfn_t end, struct x86_walker *w)
{
	u64 *parent[X86_MMU_LEVELS + 1], walked[X86_MMU_LEVELS + 1];
	const struct x86_mmu_fmt *fmt = mmu->fmt;
	struct x86_walk_ctx ctx = {
		.mmu = mmu,
		.as_id = as_id,
		.arg = w->arg,
	};
	int level = X86_MMU_LEVELS, lowest = max(w->level, 1), r;
	kvm_memslot_gfn_t gfn = start, base;
	u64 *table, *sptep, pte, pages;

	end = min_t(u64, end, BIT_ULL(X86_MMU_GFN_BITS));
	if (start >= end)
		return 0;
	table = mmu->root[as_id];

	/* @gfn: the next gfn to walk, inside the entry at @level it selects. */
	for (;;) {
		if (w->budget && w->visited >= w->budget) {
			w->next = gfn;
			return -EAGAIN;
		}
		w->visited++;
		sptep = &table[x86_mmu_index(gfn, level)];
		pte = READ_ONCE(*sptep);
		if (!pte && !(w->flags & X86_WALK_EMPTY))
			goto next;

		ctx.gfn = ALIGN_DOWN(gfn, x86_mmu_level_pages(level));
		ctx.level = level;
		ctx.sptep = sptep;
		ctx.old = pte;
		if (level > lowest && x86_pte_is_table(fmt, pte, level)) {
			if (w->flags & X86_WALK_TABLE_PRE) {
				ctx.visit = X86_WALK_TABLE_PRE;
				r = w->cb(&ctx);
				if (r)
					return r;
				pte = READ_ONCE(*sptep);
			}
		} else if (w->flags & X86_WALK_LEAF) {
			ctx.visit = X86_WALK_LEAF;
			r = w->cb(&ctx);
			if (r)
				return r;
			pte = READ_ONCE(*sptep);
		}
		/* Visitors may have replaced the entry: walk what it is now. */
		if (level > lowest && x86_pte_is_table(fmt, pte, level)) {
			parent[level] = table;
			walked[level] = pte;
			level--;
			table = x86_mmu_pte_table(pte);
			continue;
		}
next:
		pages = x86_mmu_level_pages(level);
		gfn = ALIGN_DOWN(gfn, pages) + pages;
		/*
		 * Past the range, or past the last entry of this table: back
		 * up to the entries above, visiting them after their tables.
		 */
		while (gfn >= end || !x86_mmu_index(gfn, level)) {
			if (!(w->flags & X86_WALK_TABLE_POST) && gfn >= end)
				return 0;
			if (level == X86_MMU_LEVELS)
				return 0;
			level++;
			table = parent[level];
			pages = x86_mmu_level_pages(level);
			base = ALIGN_DOWN(gfn - 1, pages);
			gfn = base + pages;
			if (w->flags & X86_WALK_TABLE_POST) {
				ctx.gfn = base;
				ctx.level = level;
				ctx.sptep = &table[x86_mmu_index(base, level)];
				ctx.old = walked[level];
				ctx.visit = X86_WALK_TABLE_POST;
				r = w->cb(&ctx);
				if (r)
					return r;
			}
		}
	}
}

/**
 * x86_mmu_walk_range() - visit the entries that map a gfn range
 * @mmu:    the tables; mmu_lock held, or nothing can change them any more
 * @as_id:  address space
 * @start:  first gfn
 * @end:    one past the last gfn
 * @walker: the visitor, the visits it wants and the budget
 *
 * See X86_WALK_LEAF.  Entries are visited when they map any gfn of the
 * range, so a 2 MiB leaf is visited whole for one of its pages, and each
 * entry that points to a table before and after the walk of that table.
 *
 * Return: 0 once the range is walked; -EAGAIN if @walker's budget ran
 * out, with @walker->next the gfn to resume at; or what a visitor
 * returned to end the walk.
 */
int x86_mmu_walk_range(struct x86_mmu *mmu, int as_id, kvm_memslot_gfn_t start,
		       kvm_memslot_gfn_t end, struct x86_walker *walker)
{
	return x86_walk(mmu, as_id, start, end, walker);
}

/* A table page goes back clean: page_private() held its MMIO epoch. */
static void x86_mmu_free_table(u64 *table)
{
	set_page_private(virt_to_page(table), 0);
	free_page((unsigned long)table);
}

/* Frees each table after the walk of its entries; nothing walks them. */
static int x86_mmu_free_visit(const struct x86_walk_ctx *ctx)
{
	x86_mmu_free_table(x86_mmu_pte_table(ctx->old));
	return 0;
}

/**
 * x86_mmu_free_detached() - free tables a visitor detached
 * @mmu:   the tables
 * @chain: detached table pages, chained through page_private(); a remote
 *         TLB flush has happened since they were detached
 */
void x86_mmu_free_detached(struct x86_mmu *mmu, struct page *chain)
{
	while (chain) {
		struct page *next = (struct page *)page_private(chain);

		x86_mmu_free_table(page_address(chain));
		mmu->nr_tables--;
		chain = next;
	}
}

static void x86_mmu_destroy(struct x86_mmu *mmu)
{
	struct x86_walker free_all = {
		.cb = x86_mmu_free_visit,
		.flags = X86_WALK_TABLE_POST,
	};
	int as_id;

	for (as_id = 0; as_id < X86_NR_ADDRESS_SPACES; as_id++) {
		if (!mmu->root[as_id])
			continue;
		x86_mmu_walk_range(mmu, as_id, 0, BIT_ULL(X86_MMU_GFN_BITS),
				   &free_all);
		free_page((unsigned long)mmu->root[as_id]);
	}
	kfree(mmu);
}

static struct x86_mmu *x86_mmu_alloc(struct kvm_memslot_vm *vm)
{
	struct x86_mmu *mmu;
	int as_id;

	mmu = kzalloc(sizeof(*mmu), GFP_KERNEL_ACCOUNT);
	if (!mmu)
		return NULL;
	/* The VM type's entry format (memslot_x86.c). */
	mmu->fmt = vm->ops->type_data;
	for (as_id = 0; as_id < X86_NR_ADDRESS_SPACES; as_id++) {
		mmu->root[as_id] = x86_mmu_alloc_root(mmu);
		if (!mmu->root[as_id]) {
			x86_mmu_destroy(mmu);
			return NULL;
		}
	}
	return mmu;
}

/**
 * x86_mmu_create() - create the tables of a VM
 * @vm: the VM; mmu_lock not held
 *
 * Called when a slot is prepared, so that map() (which needs a slot) always
 * finds the roots.  The tables live until flush_all.
 *
 * Return: the tables, or NULL if out of memory.
 */
struct x86_mmu *x86_mmu_create(struct kvm_memslot_vm *vm)
{
	struct x86_mmu *mmu, *fresh;

	/* Only flush_all clears vm->arch, and no update runs with it. */
	mmu = READ_ONCE(vm->arch);
	if (mmu)
		return mmu;

	fresh = x86_mmu_alloc(vm);
	if (!fresh)
		return NULL;

	spin_lock(&vm->mmu_lock);
	mmu = vm->arch;
	if (!mmu) {
		/* Walkers that see the pointer see zeroed roots. */
		smp_store_release(&vm->arch, fresh);
		mmu = fresh;
		fresh = NULL;
	}
	spin_unlock(&vm->mmu_lock);

	if (fresh)
		x86_mmu_destroy(fresh);
	return mmu;
}

/* The entry at one level, for x86_mmu_lookup(). */
struct x86_lookup {
	int level;
	u64 *sptep;
};

/*
 * The walk goes down through tables to the entry at lookup->level, and
 * ends on the first other entry: a leaf or nothing above that level.
 */
static __always_inline int x86_lookup_visit(const struct x86_walk_ctx *ctx)
{
	struct x86_lookup *lookup = ctx->arg;

	if (ctx->level == lookup->level)
		lookup->sptep = ctx->sptep;
	return 1;
}

/**
 * x86_mmu_lookup() - the entry for a gfn at a level, without creating tables
 * @mmu:   the tables; mmu_lock held
 * @as_id: address space
 * @gfn:   guest frame number
 * @level: 1 (4 KiB) or 2 (2 MiB)
 *
 * Return: the entry, or NULL if a table on the way is missing or a leaf
 * above @level covers @gfn.
 */
u64 *x86_mmu_lookup(struct x86_mmu *mmu, int as_id, kvm_memslot_gfn_t gfn,
		    int level)
{
	struct x86_lookup lookup = { .level = level };
	struct x86_walker walker = {
		.cb = x86_lookup_visit,
		.arg = &lookup,
		.flags = X86_WALK_LEAF | X86_WALK_EMPTY,
		.level = level,
	};

	x86_walk(mmu, as_id, gfn, gfn + 1, &walker);
	return lookup.sptep;
}

/* The MMIO epoch of the last-level table that holds @sptep. */
static unsigned long *x86_mmio_epoch_of(const u64 *sptep)
{
	return &page_private(virt_to_page(sptep));
}

static bool x86_mmio_gen_matches(u64 pte, u64 generation, u64 epoch)
{
	/* An odd generation was never cached (see x86_mmu_map_mmio()). */
	if (generation & 1 || X86_MMIO_GEN_EPOCH(generation) != epoch)
		return false;
	return ((pte & X86_MMIO_GEN_MASK) >> X86_MMIO_GEN_SHIFT) ==
	       X86_MMIO_GEN_FIELD(generation);
}

/**
 * x86_mmu_mmio_is_current() - whether walk() would honour an MMIO entry
 * @sptep:      where the entry is (a last-level table); mmu_lock held
 * @pte:        an MMIO entry
 * @generation: generation of that address space's current slot set
 *
 * Return: true if a walk with @generation would report MMIO for @pte.
 */
bool x86_mmu_mmio_is_current(const u64 *sptep, u64 pte, u64 generation)
{
	return x86_mmio_gen_matches(pte, generation,
				    READ_ONCE(*x86_mmio_epoch_of(sptep)));
}

/* One simulated access, for x86_mmu_walk(). */
struct x86_translate {
	kvm_memslot_gfn_t gfn;
	bool write;
	u64 generation;
	unsigned long pfn;
	enum kvm_memslot_walk_result result;
};

/* What the visitor of a translation returns: it ends every walk. */
#define X86_TRANSLATE_DONE	1
#define X86_TRANSLATE_AGAIN	2

/*
 * An MMIO entry a translation ended on, without mmu_lock: it reports MMIO
 * only if the entry is of @t->generation and of its table's epoch.
 */
static int x86_translate_mmio(const struct x86_walk_ctx *ctx,
			      struct x86_translate *t)
{
	unsigned long *table_epoch = x86_mmio_epoch_of(ctx->sptep);
	unsigned long epoch = READ_ONCE(*table_epoch);

	/*
	 * Pairs with the first smp_wmb() of x86_mmio_visit(): entries of
	 * an older epoch are cleared before the table's epoch moves on, so
	 * the entry as read again here is not older than @epoch.
	 */
	smp_rmb();
	if (READ_ONCE(*ctx->sptep) != ctx->old)
		return X86_TRANSLATE_AGAIN;
	/*
	 * Pairs with the second smp_wmb() of x86_mmio_visit(): an entry
	 * of a newer epoch is written after the epoch, so reading it means
	 * reading that epoch here, and no match.
	 */
	smp_rmb();
	if (READ_ONCE(*table_epoch) == epoch &&
	    x86_mmio_gen_matches(ctx->old, t->generation, epoch))
		t->result = KVM_MEMSLOT_WALK_MMIO;
	return X86_TRANSLATE_DONE;
}

/*
 * The entry that ends the walk of one access: a leaf used as hardware
 * uses it (A set, and D on a write), or an MMIO entry, or a miss.
 */
static __always_inline int x86_translate_visit(const struct x86_walk_ctx *ctx)
{
	const struct x86_mmu_fmt *fmt = ctx->mmu->fmt;
	struct x86_translate *t = ctx->arg;
	u64 pte = ctx->old, new;

	t->result = KVM_MEMSLOT_WALK_MISS;
	if (x86_pte_is_mmio(fmt, pte))
		return ctx->level == 1 ? x86_translate_mmio(ctx, t) :
					 X86_TRANSLATE_DONE;
	if (!x86_pte_present(fmt, pte) || (t->write && !(pte & X86_PTE_WRITABLE)))
		return X86_TRANSLATE_DONE;

	/*
	 * Set A (and D) only on the entry as read: if the MMU changed it
	 * meanwhile, walk again rather than bring back permissions it just
	 * took away.
	 */
	new = pte | fmt->accessed | (t->write ? fmt->dirty : 0);
	if (new != pte && !try_cmpxchg(ctx->sptep, &pte, new))
		return X86_TRANSLATE_AGAIN;

	t->pfn = x86_pte_pfn(pte);
	if (ctx->level == 2)
		t->pfn += t->gfn & (X86_MMU_LARGE_PAGES - 1);
	t->result = KVM_MEMSLOT_WALK_HIT;
	return X86_TRANSLATE_DONE;
}

/**
 * x86_mmu_walk() - simulate the hardware walk of one guest access
 * @vm:         the VM
 * @as_id:      address space
 * @gpa:        guest physical address
 * @write:      whether the access writes
 * @generation: generation of the address space's current slot set
 * @pfn:        on a hit, the host frame (the byte offset is the caller's)
 *
 * Runs in simulated guest mode without mmu_lock: a one-gfn walk whose
 * visitor sees the entry that ends it.  Like hardware, sets the accessed
 * flag of the leaf it uses, and the dirty flag on a write.
 *
 * Return: HIT, MMIO for an MMIO entry of @generation, else MISS.
 */
enum kvm_memslot_walk_result x86_mmu_walk(struct kvm_memslot_vm *vm,
					  int as_id, u64 gpa, bool write,
					  u64 generation, unsigned long *pfn)
{
	/* Pairs with the release that published the tables. */
	struct x86_mmu *mmu = smp_load_acquire(&vm->arch);
	struct x86_translate t = {
		.gfn = gpa >> PAGE_SHIFT,
		.write = write,
		.generation = generation,
		.result = KVM_MEMSLOT_WALK_MISS,
	};
	struct x86_walker walker = {
		.cb = x86_translate_visit,
		.arg = &t,
		.flags = X86_WALK_LEAF,
	};
	int r;

	if (!mmu || as_id < 0 || as_id >= X86_NR_ADDRESS_SPACES)
		return KVM_MEMSLOT_WALK_MISS;
	/* A walk that ends on no entry (r == 0) is a miss. */
	do {
		r = x86_walk(mmu, as_id, t.gfn, t.gfn + 1, &walker);
	} while (r == X86_TRANSLATE_AGAIN);
	if (t.result == KVM_MEMSLOT_WALK_HIT)
		*pfn = t.pfn;
	return t.result;
}

/**
 * struct x86_map - a leaf to install, for x86_mmu_map()
 * @cache:    where missing tables come from
 * @level:    level of @pte
 * @pte:      the leaf
 * @flush:    a present entry was removed: flush before mmu_lock is dropped
 * @detached: a table of 4 KiB entries @pte replaced, to free after the flush
 */
struct x86_map {
	struct kvm_memslot_mmu_cache *cache;
	int level;
	u64 pte;
	bool flush;
	u64 *detached;
};

/*
 * The walk goes down through tables to the leaf's level and visits every
 * other entry on its way.  Above that level, an entry that is not a table
 * is replaced by a new table from the cache, which the walker then walks:
 * a 2 MiB leaf on the way is zapped (the other pages of its frame lose
 * their translation).  At the leaf's level, whatever is there is
 * replaced; a table of 4 KiB entries is detached whole, and its entries
 * (translations of this slot, or MMIO ones) go with it.
 */
static __always_inline int x86_map_visit(const struct x86_walk_ctx *ctx)
{
	struct x86_mmu *mmu = ctx->mmu;
	struct x86_map *map = ctx->arg;
	u64 *child;

	if (ctx->level == map->level) {
		if (x86_pte_is_table(mmu->fmt, ctx->old, ctx->level)) {
			map->detached = x86_mmu_pte_table(ctx->old);
			map->flush = true;
		}
		/*
		 * A walker setting A/D on the entry being replaced fails its
		 * cmpxchg and walks again.
		 */
		WRITE_ONCE(*ctx->sptep, map->pte);
		return 0;
	}

	if (x86_pte_present(mmu->fmt, ctx->old)) {
		WRITE_ONCE(*ctx->sptep, 0);
		map->flush = true;
	}
	/* Only an empty cache fails; tables made so far stay. */
	child = kvm_memslot_mmu_cache_alloc(map->cache);
	if (!child)
		return -ENOMEM;
	mmu->nr_tables++;
	/* A walker that finds the table finds it zeroed. */
	smp_store_release(ctx->sptep, x86_mmu_pte_of_table(mmu->fmt, child));
	return 0;
}

/*
 * Whether @gfn can be mapped by a 2 MiB leaf: @pfn at the same offset in
 * its 2 MiB frame, the whole frame inside @slot (so that the leaf belongs
 * to one slot and one rmap), and no per-page dirty logging.
 */
static bool x86_mmu_large_ok(const struct kvm_memory_slot *slot,
			     kvm_memslot_gfn_t gfn, unsigned long pfn)
{
	kvm_memslot_gfn_t frame = ALIGN_DOWN(gfn, X86_MMU_LARGE_PAGES);

	if ((gfn ^ pfn) & (X86_MMU_LARGE_PAGES - 1))
		return false;
	if (frame < slot->base_gfn ||
	    frame + X86_MMU_LARGE_PAGES > kvm_memslot_end(slot))
		return false;
	return !(slot->flags & KVM_MEM_LOG_DIRTY_PAGES);
}

/**
 * x86_mmu_map() - install a translation
 * @vm:       the VM; mmu_lock held
 * @slot:     the slot @gfn is in; not INVALID
 * @gfn:      guest frame number
 * @pfn:      host frame that backs @gfn
 * @writable: whether writes may go through
 * @level:    1 for 4 KiB; 2 asks for 2 MiB, which is used only if @gfn and
 *            @pfn sit at the same offset of their 2 MiB frames, the frame is
 *            inside @slot and @slot does not log dirty pages
 * @cache:    table pages, at least ops->map_cache_pages of them
 *
 * A translation of the other size for the same gfn is replaced.  Writable
 * is ignored for a read-only slot; on a dirty-logged slot the caller asks
 * for it only after setting the page's dirty bit.
 *
 * Replacing removes translations of other gfns too (the rest of a split
 * 2 MiB frame, the 4 KiB entries of a detached table), which a vCPU may
 * still be using and a later invalidation of those gfns will not find: so
 * map() flushes remote TLBs itself before it returns, and frees a
 * detached table only after that flush.
 *
 * Return: 0; -EAGAIN if @slot is INVALID (the caller drops mmu_lock and
 * retries the fault); -ENOMEM if @cache ran out, or the tables are gone
 * (flush_all at mm release); -EINVAL for a gfn the slot or the tables do
 * not cover.
 */
int x86_mmu_map(struct kvm_memslot_vm *vm, const struct kvm_memory_slot *slot,
		kvm_memslot_gfn_t gfn, unsigned long pfn, bool writable,
		int level, struct kvm_memslot_mmu_cache *cache)
{
	struct x86_map map = { .cache = cache };
	struct x86_walker walker = {
		.cb = x86_map_visit,
		.arg = &map,
		.flags = X86_WALK_LEAF | X86_WALK_EMPTY,
	};
	struct x86_mmu *mmu;
	int r;

	lockdep_assert_held(&vm->mmu_lock);
	if (kvm_memslot_is_invalid(slot))
		return -EAGAIN;
	if (gfn < slot->base_gfn || gfn >= kvm_memslot_end(slot) ||
	    gfn >> X86_MMU_GFN_BITS || ((u64)pfn << PAGE_SHIFT) & ~X86_PTE_PFN_MASK ||
	    level < 1 || level > 2)
		return -EINVAL;

	mmu = vm->arch;
	if (!mmu)
		return -ENOMEM;

	if (slot->flags & KVM_MEM_READONLY)
		writable = false;
	if (level == 2 && !x86_mmu_large_ok(slot, gfn, pfn))
		level = 1;
	if (level == 2) {
		gfn = ALIGN_DOWN(gfn, X86_MMU_LARGE_PAGES);
		pfn = ALIGN_DOWN(pfn, X86_MMU_LARGE_PAGES);
	}

	map.level = level;
	walker.level = level;
	map.pte = ((u64)pfn << PAGE_SHIFT) | mmu->fmt->leaf;
	if (writable)
		map.pte |= X86_PTE_WRITABLE;
	if (level == 2)
		map.pte |= X86_PTE_LARGE;
	r = x86_walk(mmu, slot->as_id, gfn, gfn + 1, &walker);

	/*
	 * Before mmu_lock is dropped, so that nothing the removed entries
	 * mapped can be unmapped from the host (an invalidation takes
	 * mmu_lock) while a vCPU still reaches it through them.
	 */
	if (map.flush)
		x86_mmu_flush_remote_tlbs(vm);
	if (map.detached) {
		x86_mmu_free_table(map.detached);
		mmu->nr_tables--;
	}
	return r;
}

/* Clears the MMIO entries of a table whose epoch is over. */
static int x86_mmio_clear_visit(const struct x86_walk_ctx *ctx)
{
	if (x86_pte_is_mmio(ctx->mmu->fmt, ctx->old))
		WRITE_ONCE(*ctx->sptep, 0);
	return 0;
}

/*
 * Down through existing tables only: any other entry above the last level
 * ends the walk, and so does the last-level entry, which gets the MMIO
 * entry (@ctx->arg) unless it translates.
 */
static int x86_mmio_visit(const struct x86_walk_ctx *ctx)
{
	u64 generation = *(u64 *)ctx->arg;
	u64 epoch = X86_MMIO_GEN_EPOCH(generation);
	struct x86_mmu *mmu = ctx->mmu;
	unsigned long *table_epoch;

	if (ctx->level != 1 || x86_pte_present(mmu->fmt, ctx->old))
		return 1;

	/*
	 * All MMIO entries of a table belong to the table's epoch, so the
	 * generation field never has to be compared across a wrap.  The
	 * first entry of a newer epoch (every 2^11 updates) clears the old
	 * ones of this one table first, with a walk of its gfns: bounded
	 * work, and tables nobody caches in again keep stale entries that no
	 * walk honours.  A late caller of an older epoch caches nothing.
	 */
	table_epoch = x86_mmio_epoch_of(ctx->sptep);
	if (epoch < *table_epoch)
		return 1;
	if (epoch > *table_epoch) {
		kvm_memslot_gfn_t frame = ALIGN_DOWN(ctx->gfn, X86_MMU_LARGE_PAGES);
		struct x86_walker clear = {
			.cb = x86_mmio_clear_visit,
			.flags = X86_WALK_LEAF,
		};

		x86_mmu_walk_range(mmu, ctx->as_id, frame,
				   frame + X86_MMU_LARGE_PAGES, &clear);
		/* Pairs with the first smp_rmb() of x86_translate_mmio(). */
		smp_wmb();
		WRITE_ONCE(*table_epoch, epoch);
		/* Pairs with the second smp_rmb() of x86_translate_mmio(). */
		smp_wmb();
	}

	WRITE_ONCE(*ctx->sptep, mmu->fmt->mmio_value |
		   (X86_MMIO_GEN_FIELD(generation) << X86_MMIO_GEN_SHIFT));
	return 1;
}

/**
 * x86_mmu_map_mmio() - cache that no slot backs a gfn
 * @vm:         the VM; mmu_lock held
 * @as_id:      address space
 * @gfn:        guest frame number with no slot in the set of @generation
 * @generation: generation of that set
 *
 * The entry is honoured by walk() only while the set's generation is
 * still @generation, so any slot update makes it stale without touching
 * it.  Nothing is cached for an odd generation (an update in progress may
 * be about to back @gfn), where a translation exists, or where the last
 * level table for @gfn does not exist: no table is ever made for an MMIO
 * entry, so a guest probing unbacked addresses costs no memory.
 *
 * Return: 0.
 */
int x86_mmu_map_mmio(struct kvm_memslot_vm *vm, int as_id,
		     kvm_memslot_gfn_t gfn, u64 generation)
{
	struct x86_walker walker = {
		.cb = x86_mmio_visit,
		.arg = &generation,
		.flags = X86_WALK_LEAF | X86_WALK_EMPTY,
	};
	struct x86_mmu *mmu;

	lockdep_assert_held(&vm->mmu_lock);
	if (generation & 1 || as_id < 0 || as_id >= X86_NR_ADDRESS_SPACES)
		return 0;

	mmu = vm->arch;
	if (mmu)
		x86_mmu_walk_range(mmu, as_id, gfn, gfn + 1, &walker);
	return 0;
}

/**
 * x86_mmu_flush_all() - tear down every translation of a VM
 * @vm: the VM; no vCPU runs (VM destruction or mm release)
 *
 * The tables are freed; slots keep no per-page data to forget.  With no
 * vCPU running there is no walker to flush out.
 */
void x86_mmu_flush_all(struct kvm_memslot_vm *vm)
{
	struct x86_mmu *mmu;

	spin_lock(&vm->mmu_lock);
	mmu = vm->arch;
	WRITE_ONCE(vm->arch, NULL);
	spin_unlock(&vm->mmu_lock);

	if (mmu)
		x86_mmu_destroy(mmu);
}
