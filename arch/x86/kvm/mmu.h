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
 */
#ifndef __ARCH_X86_KVM_MEMSLOT_MMU_H
#define __ARCH_X86_KVM_MEMSLOT_MMU_H

#include <linux/bits.h>
#include <linux/kvm_memslot.h>
#include <linux/types.h>

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
 * above are kept per address space in struct x86_mmu (mmio_epoch), so the
 * field wrapping around cannot make an old entry look current.
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
 * @mmio_epoch: generation bits above the MMIO field, per address space,
 *              that every MMIO entry in that address space was created in
 * @nr_tables:  table pages allocated and not freed (roots included)
 *
 * Created on first use, freed by flush_all; protected by vm->mmu_lock,
 * except that walks read the tables without it.
 */
struct x86_mmu {
	const struct x86_mmu_fmt *fmt;
	u64 *root[X86_NR_ADDRESS_SPACES];
	u64 mmio_epoch[X86_NR_ADDRESS_SPACES];
	unsigned long nr_tables;
};

/**
 * struct x86_rmap_level - the entries mapping a slot at one level
 * @sptep: by index (gfn, or 2 MiB frame, relative to the slot), the entry
 *         that maps it, or NULL
 * @pos:   by index, its position in @list while @sptep is set
 * @list:  the indexes that have an entry, in no order
 * @nr:    length of @list
 *
 * @list makes removing everything a slot maps cost what it maps, not the
 * size of the slot.
 */
struct x86_rmap_level {
	u64 **sptep;
	u32 *pos;
	u32 *list;
	u32 nr;
};

/**
 * struct x86_rmap - per-slot data (slot->arch)
 * @level:     4 KiB entries (index: gfn - base_gfn), then 2 MiB entries
 *             (index: frame - first frame the slot touches)
 * @nr_frames: 2 MiB frames the slot touches, even partly
 */
struct x86_rmap {
	struct x86_rmap_level level[2];
	u32 nr_frames;
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

/* arch/x86/kvm/mmu_tables.c */
struct x86_mmu *x86_mmu_create(struct kvm_memslot_vm *vm);
u64 *x86_mmu_pte_table(u64 pte);
u64 *x86_mmu_lookup(struct x86_mmu *mmu, int as_id, kvm_memslot_gfn_t gfn,
		    int level);
bool x86_mmu_mmio_is_current(struct x86_mmu *mmu, int as_id, u64 pte,
			     u64 generation);
void x86_mmu_flush(struct kvm_memslot_vm *vm);
enum kvm_memslot_walk_result x86_mmu_walk(struct kvm_memslot_vm *vm,
					  int as_id, u64 gpa, bool write,
					  u64 generation, unsigned long *pfn);
int x86_mmu_map(struct kvm_memslot_vm *vm, const struct kvm_memory_slot *slot,
		kvm_memslot_gfn_t gfn, unsigned long pfn, bool writable,
		int level, struct kvm_memslot_mmu_cache *cache);
int x86_mmu_map_mmio(struct kvm_memslot_vm *vm, int as_id,
		     kvm_memslot_gfn_t gfn, u64 generation);
void x86_mmu_flush_all(struct kvm_memslot_vm *vm);

/*
 * Visits a leaf (or MMIO, or unrecognized non-zero) entry of the tables
 * during x86_mmu_for_each_entry().
 */
typedef void (*x86_mmu_visit_t)(struct x86_mmu *mmu, int as_id,
				kvm_memslot_gfn_t gfn, int level, u64 *sptep,
				void *data);
void x86_mmu_for_each_entry(struct x86_mmu *mmu, int as_id,
			    x86_mmu_visit_t fn, void *data);

/* arch/x86/kvm/mmu_rmap.c */
int x86_rmap_alloc(struct kvm_memory_slot *slot);
void x86_rmap_free(struct kvm_memory_slot *slot);
u32 x86_rmap_index(const struct kvm_memory_slot *slot, kvm_memslot_gfn_t gfn,
		   int level);
kvm_memslot_gfn_t x86_rmap_gfn(const struct kvm_memory_slot *slot, u32 index,
			       int level);
void x86_rmap_add(struct x86_rmap *rmap, int level, u32 index, u64 *sptep);
void x86_rmap_del(struct x86_rmap *rmap, int level, u32 index);
void x86_rmap_forget(struct x86_rmap *rmap);
bool x86_rmap_zap_slot(const struct kvm_memory_slot *slot);
bool x86_rmap_protect_slot(struct x86_mmu *mmu,
			   const struct kvm_memory_slot *slot);
bool x86_rmap_unmap_range(struct kvm_memslot_vm *vm,
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
