/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-memslot x86 backend: private interface between the files of the
 * software MMU (translation tables, per-slot rmap, audit, entry formats).
 *
 * Translations are kept in 4-level tables in the format the hardware
 * would walk (EPT, or x86-64 page table entries for NPT), one table per
 * kernel page, one root per address space.  They are never loaded into
 * hardware: vCPU accesses are simulated by x86_mmu_walk(), which reads the
 * tables locklessly, as a hardware walker would.  Everything that changes
 * the tables holds vm->mmu_lock.
 *
 * There is no per-slot reverse map.  A gfn has at most one leaf per address
 * space, at a place the gfn alone determines, so the tables are their own
 * reverse map: the translations of a slot are found by walking its gfn
 * range in its address space's tables, skipping entries that point
 * nowhere (x86_mmu_walk_range()).  That costs what is mapped in the range,
 * never the slot's size, and a slot carries no per-page metadata at all.
 */
#ifndef __ARCH_X86_KVM_MEMSLOT_MMU_H
#define __ARCH_X86_KVM_MEMSLOT_MMU_H

#include <linux/bits.h>
#include <linux/kvm_memslot.h>
#include <linux/types.h>

struct page;

/* Normal and SMM, as in x86 KVM. */
#define X86_NR_ADDRESS_SPACES	2

/* 4-level tables of 512 entries: 48 bits of guest physical address. */
#define X86_MMU_LEVELS		4
#define X86_MMU_ENTRIES		512
#define X86_MMU_LEVEL_BITS	9
#define X86_MMU_GFN_BITS	(X86_MMU_LEVELS * X86_MMU_LEVEL_BITS)
/* Pages of 4 KiB in a 2 MiB page. */
#define X86_MMU_LARGE_PAGES	BIT(X86_MMU_LEVEL_BITS)

/* Physical frame number of a table or leaf, in every format. */
#define X86_PTE_PFN_MASK	GENMASK_ULL(51, 12)
/* Bit 7 is "large page" in a level 2 entry of both formats. */
#define X86_PTE_LARGE		BIT_ULL(7)
/* Bit 1 is "writable" in both formats. */
#define X86_PTE_WRITABLE	BIT_ULL(1)

/*
 * MMIO entries carry bits 1..11 of the generation of the slot set they
 * were created from in bits 52..62, which both formats ignore (bit 63 is
 * EPT's suppress-#VE and NPT's NX, so it stays clear).  Bit 0 of the
 * generation is not stored: an odd generation is never cached.  The bits
 * above (the epoch) are kept per last-level table, in page_private() of
 * its page: every MMIO entry of a table belongs to the table's epoch, so
 * the field wrapping around cannot make an old entry look current, and a
 * new epoch costs nothing until an entry is cached in a table of an older
 * one, which then clears that one table (see x86_mmu_map_mmio()).
 */
#define X86_MMIO_GEN_SHIFT	52
#define X86_MMIO_GEN_BITS	11
#define X86_MMIO_GEN_MASK	GENMASK_ULL(X86_MMIO_GEN_SHIFT + X86_MMIO_GEN_BITS - 1, \
					    X86_MMIO_GEN_SHIFT)

/**
 * struct x86_mmu_fmt - an entry format, as bit masks
 * @name:       "ept" or "npt"
 * @present:    bit that makes an entry translate (EPT: read; NPT: present)
 * @accessed:   set by a walk that uses a leaf
 * @dirty:      set by a walk that writes through a leaf
 * @leaf:       bits of every leaf besides the pfn, @writable and large
 * @table:      bits of an entry pointing to a table, besides its pfn
 * @mmio_mask:  bits that identify an MMIO entry...
 * @mmio_value: ...when they have this value
 */
struct x86_mmu_fmt {
	const char *name;
	u64 present;
	u64 accessed;
	u64 dirty;
	u64 leaf;
	u64 table;
	u64 mmio_mask;
	u64 mmio_value;
};

/* arch/x86/kvm/mmu_ept.c and mmu_npt.c */
extern const struct x86_mmu_fmt x86_ept_fmt;
extern const struct x86_mmu_fmt x86_npt_fmt;

/**
 * struct x86_mmu - the translation tables of one VM (vm->arch)
 * @fmt:        entry format
 * @root:       top-level table of each address space
 * @nr_tables:  table pages allocated and not freed (roots included)
 *
 * Created on first use, freed by flush_all; protected by vm->mmu_lock,
 * except that walks read the tables without it.
 */
struct x86_mmu {
	const struct x86_mmu_fmt *fmt;
	u64 *root[X86_NR_ADDRESS_SPACES];
	unsigned long nr_tables;
};

static inline unsigned int x86_mmu_index(kvm_memslot_gfn_t gfn, int level)
{
	return (gfn >> ((level - 1) * X86_MMU_LEVEL_BITS)) & (X86_MMU_ENTRIES - 1);
}

static inline bool x86_pte_is_mmio(const struct x86_mmu_fmt *fmt, u64 pte)
{
	return (pte & fmt->mmio_mask) == fmt->mmio_value;
}

/* Whether @pte translates: a table pointer or a leaf. */
static inline bool x86_pte_present(const struct x86_mmu_fmt *fmt, u64 pte)
{
	return (pte & fmt->present) && !x86_pte_is_mmio(fmt, pte);
}

/* Whether a present entry at @level is a leaf. */
static inline bool x86_pte_is_leaf(u64 pte, int level)
{
	return level == 1 || (level == 2 && (pte & X86_PTE_LARGE));
}

static inline unsigned long x86_pte_pfn(u64 pte)
{
	return (pte & X86_PTE_PFN_MASK) >> PAGE_SHIFT;
}

/* Gfns one entry at @level maps. */
static inline u64 x86_mmu_level_pages(int level)
{
	return 1ULL << ((level - 1) * X86_MMU_LEVEL_BITS);
}

/* Whether a non-zero @pte at @level points to a table. */
static inline bool x86_pte_is_table(const struct x86_mmu_fmt *fmt, u64 pte,
				    int level)
{
	return x86_pte_present(fmt, pte) && !x86_pte_is_leaf(pte, level);
}

/*
 * The one table walker: every operation on the tables is a walk of a gfn
 * range by x86_mmu_walk_range() with a visitor (struct x86_walker), from
 * a one-gfn walk (translate, lookup, map, map_mmio) to a walk of all of an
 * address space (audit, teardown).  Entries are visited in gfn order:
 *
 * X86_WALK_LEAF:       an entry that does not point to a table (a leaf,
 *                      an MMIO entry, garbage; with X86_WALK_EMPTY a zero
 *                      entry too), or any entry at the walker's lowest
 *                      level (struct x86_walker's @level).  The walker
 *                      reads the entry again after the visit: if the
 *                      visitor made it point to a table, that table is
 *                      walked (so a visitor can install missing tables on
 *                      its way down).
 * X86_WALK_TABLE_PRE:  an entry that points to a table, before the walk of
 *                      that table.  The walker reads the entry again after
 *                      the visit and walks only what it points to then
 *                      (nothing if it is no longer a table).
 * X86_WALK_TABLE_POST: the same entry after the walk of its table, with
 *                      ctx->old the value that was walked.
 * X86_WALK_EMPTY:      zero entries are visited (as leaves) too.  Without
 *                      it they cost one read and are skipped, so a range
 *                      walk costs what is mapped in the range, not its size.
 *
 * A visitor stops the walk, at any level, by returning non-zero.
 */
#define X86_WALK_LEAF		BIT(0)
#define X86_WALK_TABLE_PRE	BIT(1)
#define X86_WALK_TABLE_POST	BIT(2)
#define X86_WALK_EMPTY		BIT(3)

/**
 * struct x86_walk_ctx - what a visitor is shown
 * @mmu:   the tables
 * @as_id: address space walked
 * @gfn:   first gfn the entry maps (aligned to its level)
 * @level: level of the entry (4: root table ... 1: 4 KiB)
 * @sptep: the entry
 * @old:   its value when the walker read it
 * @visit: X86_WALK_LEAF, X86_WALK_TABLE_PRE or X86_WALK_TABLE_POST
 * @arg:   the walker's @arg
 */
struct x86_walk_ctx {
	struct x86_mmu *mmu;
	int as_id;
	kvm_memslot_gfn_t gfn;
	int level;
	u64 *sptep;
	u64 old;
	unsigned int visit;
	void *arg;
};

/*
 * A visitor.  It may change the entry it is shown (see X86_WALK_LEAF for
 * what the walker does next).  A non-zero return ends the walk, which
 * returns it.
 */
typedef int (*x86_walk_fn_t)(const struct x86_walk_ctx *ctx);

/**
 * struct x86_walker - a visitor and how to walk
 * @cb:      the visitor
 * @arg:     passed in the context
 * @flags:   which visits @cb wants (X86_WALK_*)
 * @level:   lowest level walked: an entry at @level is visited as a leaf
 *           even when it points to a table, which is not walked; 0 walks
 *           down to the last level (1)
 * @budget:  entries (zero ones included) to read before the walk stops
 *           with -EAGAIN; 0 for no limit.  A resumed walk reads from the
 *           root again: more than X86_MMU_LEVELS, or it cannot progress
 * @visited: entries read so far; the caller zeroes it per budget
 * @next:    after -EAGAIN, the gfn to resume the walk at
 */
struct x86_walker {
	x86_walk_fn_t cb;
	void *arg;
	unsigned int flags;
	int level;
	unsigned long budget;
	unsigned long visited;
	kvm_memslot_gfn_t next;
};

/* arch/x86/kvm/mmu_tables.c */
struct x86_mmu *x86_mmu_create(struct kvm_memslot_vm *vm);
u64 *x86_mmu_pte_table(u64 pte);
int x86_mmu_walk_range(struct x86_mmu *mmu, int as_id, kvm_memslot_gfn_t start,
		       kvm_memslot_gfn_t end, struct x86_walker *walker);
u64 *x86_mmu_lookup(struct x86_mmu *mmu, int as_id, kvm_memslot_gfn_t gfn,
		    int level);
bool x86_mmu_mmio_is_current(const u64 *sptep, u64 pte, u64 generation);
void x86_mmu_flush_remote_tlbs(struct kvm_memslot_vm *vm);
void x86_mmu_free_detached(struct x86_mmu *mmu, struct page *chain);
enum kvm_memslot_walk_result x86_mmu_walk(struct kvm_memslot_vm *vm,
					  int as_id, u64 gpa, bool write,
					  u64 generation, unsigned long *pfn);
int x86_mmu_map(struct kvm_memslot_vm *vm, const struct kvm_memory_slot *slot,
		kvm_memslot_gfn_t gfn, unsigned long pfn, bool writable,
		int level, struct kvm_memslot_mmu_cache *cache);
int x86_mmu_map_mmio(struct kvm_memslot_vm *vm, int as_id,
		     kvm_memslot_gfn_t gfn, u64 generation);
void x86_mmu_flush_all(struct kvm_memslot_vm *vm);

/* arch/x86/kvm/mmu_rmap.c: a slot's translations, found through the tables */
unsigned long x86_rmap_zap_slot(struct kvm_memslot_vm *vm,
				const struct kvm_memory_slot *slot);
bool x86_rmap_protect_slot(struct x86_mmu *mmu,
			   const struct kvm_memory_slot *slot);
unsigned long x86_rmap_unmap_range(struct kvm_memslot_vm *vm,
				   const struct kvm_memslot_gfn_range *range);
bool x86_rmap_age_range(struct kvm_memslot_vm *vm,
			const struct kvm_memslot_gfn_range *range);
bool x86_rmap_test_age_range(struct kvm_memslot_vm *vm,
			     const struct kvm_memslot_gfn_range *range);
bool x86_rmap_protect_gfns(struct kvm_memslot_vm *vm,
			   const struct kvm_memory_slot *slot,
			   kvm_memslot_gfn_t gfn_offset, unsigned long mask);

/* arch/x86/kvm/mmu_audit.c */
unsigned long x86_mmu_audit(struct kvm_memslot_vm *vm);

#endif /* __ARCH_X86_KVM_MEMSLOT_MMU_H */
