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

/*
 * The one place that asks the generic side for a remote TLB flush; after
 * it returns, no vCPU is still walking with anything read before the call.
 */
static void x86_mmu_flush_remote_tlbs(struct kvm_memslot_vm *vm)
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

/* Frees @table and every table below it; nothing may walk them any more. */
static void x86_mmu_free_tables(const struct x86_mmu_fmt *fmt, u64 *table,
				int level)
{
	unsigned int i;

	for (i = 0; level > 1 && i < X86_MMU_ENTRIES; i++) {
		u64 pte = table[i];

		if (x86_pte_present(fmt, pte) && !x86_pte_is_leaf(pte, level))
			x86_mmu_free_tables(fmt, x86_mmu_pte_table(pte), level - 1);
	}
	free_page((unsigned long)table);
}

static void x86_mmu_destroy(struct x86_mmu *mmu)
{
	int as_id;

	for (as_id = 0; as_id < X86_NR_ADDRESS_SPACES; as_id++)
		if (mmu->root[as_id])
			x86_mmu_free_tables(mmu->fmt, mmu->root[as_id],
					    X86_MMU_LEVELS);
	kfree(mmu);
}

static struct x86_mmu *x86_mmu_alloc(struct kvm_memslot_vm *vm)
{
	struct x86_mmu *mmu;
	int as_id;

	mmu = kzalloc(sizeof(*mmu), GFP_KERNEL_ACCOUNT);
	if (!mmu)
		return NULL;
	mmu->fmt = vm->ops == &kvm_memslot_x86_npt_ops ? &x86_npt_fmt :
							 &x86_ept_fmt;
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
	u64 *table = mmu->root[as_id];
	int lvl;

	if (gfn >> X86_MMU_GFN_BITS)
		return NULL;
	for (lvl = X86_MMU_LEVELS; lvl > level; lvl--) {
		u64 pte = READ_ONCE(table[x86_mmu_index(gfn, lvl)]);

		if (!x86_pte_present(mmu->fmt, pte) || x86_pte_is_leaf(pte, lvl))
			return NULL;
		table = x86_mmu_pte_table(pte);
	}
	return &table[x86_mmu_index(gfn, level)];
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
 * @mmu:        the tables; mmu_lock held
 * @as_id:      address space of the entry
 * @pte:        an MMIO entry
 * @generation: generation of that address space's current slot set
 *
 * Return: true if a walk with @generation would report MMIO for @pte.
 */
bool x86_mmu_mmio_is_current(struct x86_mmu *mmu, int as_id, u64 pte,
			     u64 generation)
{
	return x86_mmio_gen_matches(pte, generation, mmu->mmio_epoch[as_id]);
}

static void x86_mmu_visit_table(struct x86_mmu *mmu, int as_id, u64 *table,
				int level, kvm_memslot_gfn_t base,
				x86_mmu_visit_t fn, void *data)
{
	unsigned int shift = (level - 1) * X86_MMU_LEVEL_BITS;
	unsigned int i;

	for (i = 0; i < X86_MMU_ENTRIES; i++) {
		kvm_memslot_gfn_t gfn = base | ((kvm_memslot_gfn_t)i << shift);
		u64 pte = READ_ONCE(table[i]);

		if (!pte)
			continue;
		if (x86_pte_present(mmu->fmt, pte) && !x86_pte_is_leaf(pte, level))
			x86_mmu_visit_table(mmu, as_id, x86_mmu_pte_table(pte),
					    level - 1, gfn, fn, data);
		else
			fn(mmu, as_id, gfn, level, &table[i], data);
	}
}

/**
 * x86_mmu_for_each_entry() - visit every non-zero entry that is not a table
 * @mmu:   the tables; mmu_lock held
 * @as_id: address space
 * @fn:    called for each leaf, MMIO entry, or unrecognized entry
 * @data:  passed to @fn
 *
 * Costs the size of the tables: for the audit and for the rare zap of
 * every MMIO entry, never for a per-slot operation.
 */
void x86_mmu_for_each_entry(struct x86_mmu *mmu, int as_id,
			    x86_mmu_visit_t fn, void *data)
{
	x86_mmu_visit_table(mmu, as_id, mmu->root[as_id], X86_MMU_LEVELS, 0,
			    fn, data);
}

static void x86_mmu_zap_mmio_entry(struct x86_mmu *mmu, int as_id,
				   kvm_memslot_gfn_t gfn, int level,
				   u64 *sptep, void *data)
{
	if (x86_pte_is_mmio(mmu->fmt, READ_ONCE(*sptep)))
		WRITE_ONCE(*sptep, 0);
}

/**
 * x86_mmu_flush() - remote TLB flush
 * @vm: the VM
 *
 * After it, no vCPU uses a translation removed before the call.
 */
void x86_mmu_flush(struct kvm_memslot_vm *vm)
{
	x86_mmu_flush_remote_tlbs(vm);
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
 * Runs in simulated guest mode without mmu_lock.  Like hardware, sets the
 * accessed flag of the leaf it uses, and the dirty flag on a write.
 *
 * Return: HIT, MMIO for an MMIO entry of @generation, else MISS.
 */
enum kvm_memslot_walk_result x86_mmu_walk(struct kvm_memslot_vm *vm,
					  int as_id, u64 gpa, bool write,
					  u64 generation, unsigned long *pfn)
{
	/* Pairs with the release that published the tables. */
	struct x86_mmu *mmu = smp_load_acquire(&vm->arch);
	kvm_memslot_gfn_t gfn = gpa >> PAGE_SHIFT;
	const struct x86_mmu_fmt *fmt;
	int level = X86_MMU_LEVELS;
	u64 *table, epoch;

	if (!mmu || as_id < 0 || as_id >= X86_NR_ADDRESS_SPACES ||
	    gfn >> X86_MMU_GFN_BITS)
		return KVM_MEMSLOT_WALK_MISS;
	fmt = mmu->fmt;

	epoch = READ_ONCE(mmu->mmio_epoch[as_id]);
	/* Pairs with x86_mmu_map_mmio(): the epoch before the entries. */
	smp_rmb();

	table = mmu->root[as_id];
	for (;;) {
		u64 *sptep = &table[x86_mmu_index(gfn, level)];
		u64 pte = READ_ONCE(*sptep);
		u64 new;

		if (x86_pte_is_mmio(fmt, pte))
			return x86_mmio_gen_matches(pte, generation, epoch) ?
			       KVM_MEMSLOT_WALK_MMIO : KVM_MEMSLOT_WALK_MISS;
		if (!x86_pte_present(fmt, pte))
			return KVM_MEMSLOT_WALK_MISS;
		if (!x86_pte_is_leaf(pte, level)) {
			table = x86_mmu_pte_table(pte);
			level--;
			continue;
		}
		if (write && !(pte & X86_PTE_WRITABLE))
			return KVM_MEMSLOT_WALK_MISS;

		/*
		 * Set A (and D) only on the entry as read: if the MMU changed
		 * it meanwhile, read it again rather than bring back
		 * permissions it just took away.
		 */
		new = pte | fmt->accessed | (write ? fmt->dirty : 0);
		if (new != pte && !try_cmpxchg(sptep, &pte, new))
			continue;

		*pfn = x86_pte_pfn(pte);
		if (level == 2)
			*pfn += gfn & (X86_MMU_LARGE_PAGES - 1);
		return KVM_MEMSLOT_WALK_HIT;
	}
}

/*
 * The entry for @gfn at @level, creating the tables above it from
 * @cache.  A 2 MiB leaf on the way is zapped (through @slot's rmap) to
 * make room for a table, and *@flush set: the other pages of its frame
 * lose their translation.
 */
static u64 *x86_mmu_descend(struct x86_mmu *mmu,
			    const struct kvm_memory_slot *slot,
			    kvm_memslot_gfn_t gfn, int level,
			    struct kvm_memslot_mmu_cache *cache, bool *flush)
{
	const struct x86_mmu_fmt *fmt = mmu->fmt;
	u64 *table = mmu->root[slot->as_id];
	int lvl;

	for (lvl = X86_MMU_LEVELS; lvl > level; lvl--) {
		u64 *sptep = &table[x86_mmu_index(gfn, lvl)];
		u64 pte = READ_ONCE(*sptep);
		u64 *child;

		if (x86_pte_present(fmt, pte) && x86_pte_is_leaf(pte, lvl)) {
			/* Only a leaf inside @slot can cover a gfn of @slot. */
			x86_rmap_del(slot->arch, lvl, x86_rmap_index(slot, gfn, lvl));
			WRITE_ONCE(*sptep, 0);
			*flush = true;
			pte = 0;
		}
		if (!x86_pte_present(fmt, pte)) {
			child = kvm_memslot_mmu_cache_alloc(cache);
			if (!child)
				return ERR_PTR(-ENOMEM);
			mmu->nr_tables++;
			pte = x86_mmu_pte_of_table(fmt, child);
			/* A walker that finds the table finds it zeroed. */
			smp_store_release(sptep, pte);
		}
		table = x86_mmu_pte_table(pte);
	}
	return &table[x86_mmu_index(gfn, level)];
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

/*
 * Replace the table under the level 2 entry @sptep by nothing, dropping
 * the 4 KiB translations it held from @slot's rmap.  Return the table,
 * which the caller frees after a remote TLB flush.
 */
static u64 *x86_mmu_detach_table(struct x86_mmu *mmu,
				 const struct kvm_memory_slot *slot,
				 u64 *sptep, kvm_memslot_gfn_t frame)
{
	u64 *child = x86_mmu_pte_table(READ_ONCE(*sptep));
	unsigned int i;

	for (i = 0; i < X86_MMU_ENTRIES; i++) {
		u64 pte = READ_ONCE(child[i]);

		if (!pte)
			continue;
		/* MMIO entries are in no rmap; translations are in @slot's. */
		if (x86_pte_present(mmu->fmt, pte))
			x86_rmap_del(slot->arch, 1,
				     x86_rmap_index(slot, frame + i, 1));
		WRITE_ONCE(child[i], 0);
	}
	WRITE_ONCE(*sptep, 0);
	return child;
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
	struct x86_rmap *rmap = slot->arch;
	const struct x86_mmu_fmt *fmt;
	u64 *sptep, pte, *detached = NULL;
	struct x86_mmu *mmu;
	bool flush = false;

	lockdep_assert_held(&vm->mmu_lock);
	if (kvm_memslot_is_invalid(slot))
		return -EAGAIN;
	if (!rmap || gfn < slot->base_gfn || gfn >= kvm_memslot_end(slot) ||
	    gfn >> X86_MMU_GFN_BITS || ((u64)pfn << PAGE_SHIFT) & ~X86_PTE_PFN_MASK ||
	    level < 1 || level > 2)
		return -EINVAL;

	mmu = vm->arch;
	if (!mmu)
		return -ENOMEM;
	fmt = mmu->fmt;

	if (slot->flags & KVM_MEM_READONLY)
		writable = false;
	if (level == 2 && !x86_mmu_large_ok(slot, gfn, pfn))
		level = 1;
	if (level == 2) {
		gfn = ALIGN_DOWN(gfn, X86_MMU_LARGE_PAGES);
		pfn = ALIGN_DOWN(pfn, X86_MMU_LARGE_PAGES);
	}

	/* Only an empty cache fails; tables made so far stay. */
	sptep = x86_mmu_descend(mmu, slot, gfn, level, cache, &flush);
	if (IS_ERR(sptep)) {
		if (flush)
			x86_mmu_flush_remote_tlbs(vm);
		return PTR_ERR(sptep);
	}

	pte = READ_ONCE(*sptep);
	if (level == 2 && x86_pte_present(fmt, pte) && !(pte & X86_PTE_LARGE)) {
		detached = x86_mmu_detach_table(mmu, slot, sptep, gfn);
		flush = true;
	}

	pte = ((u64)pfn << PAGE_SHIFT) | fmt->leaf;
	if (writable)
		pte |= X86_PTE_WRITABLE;
	if (level == 2)
		pte |= X86_PTE_LARGE;
	/*
	 * A walker setting A/D on the entry being replaced fails its cmpxchg
	 * and reads this one.
	 */
	WRITE_ONCE(*sptep, pte);
	x86_rmap_add(rmap, level, x86_rmap_index(slot, gfn, level), sptep);

	/*
	 * Before mmu_lock is dropped, so that nothing the removed entries
	 * mapped can be unmapped from the host (an invalidation takes
	 * mmu_lock) while a vCPU still reaches it through them.
	 */
	if (flush)
		x86_mmu_flush_remote_tlbs(vm);
	if (detached) {
		free_page((unsigned long)detached);
		mmu->nr_tables--;
	}
	return 0;
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
	u64 epoch = X86_MMIO_GEN_EPOCH(generation);
	struct x86_mmu *mmu;
	u64 *sptep;

	lockdep_assert_held(&vm->mmu_lock);
	if (generation & 1 || as_id < 0 || as_id >= X86_NR_ADDRESS_SPACES ||
	    gfn >> X86_MMU_GFN_BITS)
		return 0;

	mmu = vm->arch;
	if (!mmu)
		return 0;

	/*
	 * All MMIO entries of an address space belong to one epoch, so the
	 * generation field never has to be compared across a wrap.  Moving
	 * to a new epoch (every 2^11 updates) zaps the old ones first; a
	 * walker that reads the new epoch then sees them zapped.
	 */
	if (epoch < mmu->mmio_epoch[as_id])
		return 0;
	if (epoch > mmu->mmio_epoch[as_id]) {
		x86_mmu_for_each_entry(mmu, as_id, x86_mmu_zap_mmio_entry, NULL);
		/* Pairs with x86_mmu_walk(): the zaps before the epoch. */
		smp_wmb();
		WRITE_ONCE(mmu->mmio_epoch[as_id], epoch);
	}

	sptep = x86_mmu_lookup(mmu, as_id, gfn, 1);
	if (!sptep || x86_pte_present(mmu->fmt, READ_ONCE(*sptep)))
		return 0;
	WRITE_ONCE(*sptep, mmu->fmt->mmio_value |
		   (X86_MMIO_GEN_FIELD(generation) << X86_MMIO_GEN_SHIFT));
	return 0;
}

static int x86_mmu_forget_slot(struct kvm_memory_slot *slot, void *data)
{
	if (slot->arch)
		x86_rmap_forget(slot->arch);
	return 0;
}

/**
 * x86_mmu_flush_all() - tear down every translation of a VM
 * @vm: the VM; no vCPU runs (VM destruction or mm release)
 *
 * The rmaps of the slots are emptied without touching entries, and the
 * tables freed.  Only published slots can have translations: a deleted
 * or moved slot was flushed through its rmap before it was retired.
 * With no vCPU running there is no walker to flush out.
 */
void x86_mmu_flush_all(struct kvm_memslot_vm *vm)
{
	struct x86_mmu *mmu;
	int as_id, idx;

	idx = srcu_read_lock(&vm->srcu);
	spin_lock(&vm->mmu_lock);
	mmu = vm->arch;
	if (mmu) {
		for (as_id = 0; as_id < vm->ops->nr_address_spaces; as_id++) {
			struct kvm_memslots *slots = kvm_memslots_get(vm, as_id);

			if (slots)
				kvm_memslot_visit_all(slots, x86_mmu_forget_slot,
						      NULL);
		}
		WRITE_ONCE(vm->arch, NULL);
	}
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);

	if (mmu)
		x86_mmu_destroy(mmu);
}
