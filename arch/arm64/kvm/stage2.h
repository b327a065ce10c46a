/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-memslot arm64 backend: private interface between the files of the
 * stage-2 model (geometry, descriptors, the walker, faults, dirty logging,
 * audit).
 *
 * Translations are kept in VMSAv8-64 stage-2 tables with a 4 KiB granule,
 * in the format a CPU would walk from VTTBR_EL2, one table per kernel page
 * (the start level's tables concatenated).  They are never loaded into
 * hardware: vCPU accesses are simulated by arm64_s2_translate(), which
 * reads the tables locklessly as the hardware walker does.  Everything that
 * changes the tables holds vm->mmu_lock.
 *
 * arm64 has no reverse map: the translations of a slot are found by walking
 * its IPA range, skipping invalid entries, so the cost of a walk is what is
 * mapped in the range, never the size of the IPA space.
 */
#ifndef __ARCH_ARM64_KVM_MEMSLOT_STAGE2_H
#define __ARCH_ARM64_KVM_MEMSLOT_STAGE2_H

#include <linux/bits.h>
#include <linux/kvm_memslot.h>
#include <linux/types.h>

/* Levels 0..3 of a 4 KiB granule, 512 eight-byte descriptors per table. */
#define S2_LEVELS		4
#define S2_LAST_LEVEL		3
#define S2_LEVEL_BITS		9
#define S2_ENTRIES		512
#define S2_PAGE_SHIFT		12
/* At most 16 tables are concatenated at the start level (VTCR_EL2.SL0). */
#define S2_MAX_CONCAT		16
/* IPA sizes KVM_VM_TYPE_ARM_IPA_SIZE may ask for (ARM64_MIN_PARANGE_BITS). */
#define S2_MIN_IPA_BITS		32
/* Without a type, a VM gets 40 bits (KVM_PHYS_SHIFT). */
#define S2_DEFAULT_IPA_BITS	40
/*
 * The host's limit, KVM_CAP_ARM_VM_IPA_SIZE: what arm64 KVM 6.1 reports on
 * a 4 KiB-page host whose CPU has 52-bit PARange (QEMU's -cpu max, measured
 * by the oracle lane): 48, since 52-bit IPAs need 64 KiB pages or LPA2.
 */
#define S2_MAX_IPA_BITS		48

/*
 * Descriptor bits (Arm ARM D8.3, "Translation table descriptor formats").
 * Bit 0: valid.  Bit 1: at levels 0-2, 1 is a table and 0 a block; at level
 * 3, 1 is a page and 0 is reserved (walks it as invalid).
 */
#define S2_DESC_VALID		BIT_ULL(0)
#define S2_DESC_TABLE		BIT_ULL(1)
#define S2_DESC_PAGE		BIT_ULL(1)
/* Output address, bits 47:12 (no 52-bit PA with a 4 KiB granule here). */
#define S2_DESC_OA_MASK		GENMASK_ULL(47, 12)
/* Stage-2 MemAttr[3:0]: 0b1111, Normal, inner and outer write-back. */
#define S2_DESC_MEMATTR_MASK	GENMASK_ULL(5, 2)
#define S2_DESC_MEMATTR_NORMAL	(0xfULL << 2)
/* S2AP[1:0]: bit 6 grants reads, bit 7 writes. */
#define S2_DESC_S2AP_R		BIT_ULL(6)
#define S2_DESC_S2AP_W		BIT_ULL(7)
/* SH[1:0]: 0b11, inner shareable. */
#define S2_DESC_SH_MASK		GENMASK_ULL(9, 8)
#define S2_DESC_SH_INNER	(3ULL << 8)
/* Access flag: clear, an access takes an access flag fault (no VTCR.HA). */
#define S2_DESC_AF		BIT_ULL(10)
/* Stage-2 XN[1:0], bits 54:53: 0b10 is execute-never at EL1 and EL0. */
#define S2_DESC_XN_MASK		GENMASK_ULL(54, 53)
#define S2_DESC_XN		BIT_ULL(54)
/* Attribute bits every leaf this model makes carries, besides S2AP_W/AF. */
#define S2_DESC_LEAF_ATTRS	(S2_DESC_MEMATTR_NORMAL | S2_DESC_S2AP_R | \
				 S2_DESC_SH_INNER | S2_DESC_XN)
/* Bits a permission or access-flag change may touch without BBM. */
#define S2_DESC_PERM_BITS	(S2_DESC_S2AP_W | S2_DESC_AF)

/**
 * struct arm64_s2_geom - the shape of the tables, from the IPA size
 * @ipa_bits:    guest physical address bits (VTCR_EL2.T0SZ = 64 - this)
 * @start_level: first level walked (VTCR_EL2.SL0 with a 4 KiB granule)
 * @nr_concat:   tables concatenated at the start level, 1 to 16
 */
struct arm64_s2_geom {
	u8 ipa_bits;
	u8 start_level;
	u8 nr_concat;
};

/* Gfns one descriptor at @level maps: 512^(3 - level) pages. */
static inline u64 s2_level_pages(int level)
{
	return 1ULL << ((S2_LAST_LEVEL - level) * S2_LEVEL_BITS);
}

/* Bytes one descriptor at @level maps, as a shift. */
static inline unsigned int s2_level_shift(int level)
{
	return S2_PAGE_SHIFT + (S2_LAST_LEVEL - level) * S2_LEVEL_BITS;
}

/* Whether @pte is valid. */
static inline bool s2_pte_valid(u64 pte)
{
	return pte & S2_DESC_VALID;
}

/* Whether a descriptor at @level points to a next-level table. */
static inline bool s2_pte_is_table(u64 pte, int level)
{
	return level < S2_LAST_LEVEL &&
	       (pte & (S2_DESC_VALID | S2_DESC_TABLE)) ==
	       (S2_DESC_VALID | S2_DESC_TABLE);
}

/*
 * Whether a descriptor at @level is a block or page mapping.  With a 4 KiB
 * granule there are no level 0 blocks, and a level 3 descriptor with bit
 * 1 clear is reserved: a hardware walk faults on both.
 */
static inline bool s2_pte_is_leaf(u64 pte, int level)
{
	if (!s2_pte_valid(pte))
		return false;
	if (level == S2_LAST_LEVEL)
		return pte & S2_DESC_PAGE;
	return level > 0 && !(pte & S2_DESC_TABLE);
}

static inline u64 s2_pte_pa(u64 pte)
{
	return pte & S2_DESC_OA_MASK;
}

static inline unsigned long s2_pte_pfn(u64 pte)
{
	return s2_pte_pa(pte) >> S2_PAGE_SHIFT;
}

/**
 * s2_make_leaf() - encode a block or page descriptor
 * @pa:       output address, aligned to what @level maps
 * @level:    1 (1 GiB block), 2 (2 MiB block) or 3 (4 KiB page)
 * @writable: grant S2AP write
 * @young:    set the access flag
 *
 * Return: the descriptor: Normal write-back memory, inner shareable,
 * readable, execute-never.
 */
static inline u64 s2_make_leaf(u64 pa, int level, bool writable, bool young)
{
	u64 pte = (pa & S2_DESC_OA_MASK) | S2_DESC_VALID | S2_DESC_LEAF_ATTRS;

	if (level == S2_LAST_LEVEL)
		pte |= S2_DESC_PAGE;
	if (writable)
		pte |= S2_DESC_S2AP_W;
	if (young)
		pte |= S2_DESC_AF;
	return pte;
}

/* A table descriptor for the next-level table at physical address @pa. */
static inline u64 s2_make_table(u64 pa)
{
	return (pa & S2_DESC_OA_MASK) | S2_DESC_VALID | S2_DESC_TABLE;
}

/*
 * Events the TLB model reports (struct arm64_s2_observer): a descriptor
 * store, a TLBI by IPA (IPAS2E1IS, with the level of the entry removed),
 * and a TLBI of the whole VMID (VMALLS12E1IS).
 */
enum arm64_s2_event {
	S2_EV_STORE,
	S2_EV_TLBI_IPA,
	S2_EV_TLBI_VMID,
};

/**
 * struct arm64_s2_observer - sees every descriptor store and TLBI
 * @fn:  called with mmu_lock held: the event, the descriptor's address and
 *       new value (stores, reported just before the store is made), the
 *       IPA and level (TLBI by IPA)
 * @arg: passed to @fn
 *
 * For tests that check the order of break-before-make.  The completion of
 * TLBIs (DSB ISH) is kvm_memslot_flush_remote_tlbs(), which tests see
 * separately.
 */
struct arm64_s2_observer {
	void (*fn)(void *arg, enum arm64_s2_event ev, u64 *ptep, u64 val,
		   u64 ipa, int level);
	void *arg;
};

/**
 * struct arm64_s2 - the stage-2 tables of one VM (vm->arch)
 * @vm:        the VM
 * @geom:      shape, from the VM type's IPA size
 * @pgd:       the concatenated start-level tables (what VTTBR_EL2 holds)
 * @nr_tables: table pages below @pgd allocated and not freed
 * @tlbis:     TLBIs issued (by IPA or VMID)
 * @observer:  NULL, or a test's recorder of stores and TLBIs
 *
 * Created by init_vm, freed by destroy_vm; protected by vm->mmu_lock,
 * except that walks read the tables without it.
 */
struct arm64_s2 {
	struct kvm_memslot_vm *vm;
	struct arm64_s2_geom geom;
	u64 *pgd;
	unsigned long nr_tables;
	unsigned long tlbis;
	const struct arm64_s2_observer *observer;
};

/* Gfns the VM's IPA space holds. */
static inline u64 s2_nr_gfns(const struct arm64_s2 *s2)
{
	return 1ULL << (s2->geom.ipa_bits - S2_PAGE_SHIFT);
}

/*
 * The one table walker: every operation on the tables is a walk of a gfn
 * range by arm64_s2_walk_range() with a visitor (struct arm64_s2_walker),
 * from a one-gfn walk (translate, map) to a walk of the whole IPA space
 * (audit, teardown).  Entries are visited in gfn order:
 *
 * S2_WALK_LEAF:       an entry that is not a table descriptor (a block, a
 *                     page, an invalid entry that is not zero; with
 *                     S2_WALK_EMPTY zero ones too), or any entry at the
 *                     walker's deepest level.  The walker reads the entry
 *                     again after the visit: if the visitor made it a
 *                     table, that table is walked.
 * S2_WALK_TABLE_PRE:  a table descriptor, before the walk of its table;
 *                     the entry is read again after the visit.
 * S2_WALK_TABLE_POST: the same entry after the walk of its table, with
 *                     ctx->old the value that was walked.
 * S2_WALK_EMPTY:      zero entries are visited (as leaves) too.  Without
 *                     it they cost one read and are skipped, so a range
 *                     walk costs what is mapped in the range.
 *
 * A visitor stops the walk, at any level, by returning non-zero.
 */
#define S2_WALK_LEAF		BIT(0)
#define S2_WALK_TABLE_PRE	BIT(1)
#define S2_WALK_TABLE_POST	BIT(2)
#define S2_WALK_EMPTY		BIT(3)

/**
 * struct arm64_s2_walk_ctx - what a visitor is shown
 * @s2:    the tables
 * @gfn:   first gfn the entry maps (aligned to its level)
 * @level: level of the entry (start level .. 3)
 * @ptep:  the entry
 * @old:   its value when the walker read it
 * @visit: S2_WALK_LEAF, S2_WALK_TABLE_PRE or S2_WALK_TABLE_POST
 * @arg:   the walker's @arg
 */
struct arm64_s2_walk_ctx {
	struct arm64_s2 *s2;
	kvm_memslot_gfn_t gfn;
	int level;
	u64 *ptep;
	u64 old;
	unsigned int visit;
	void *arg;
};

typedef int (*arm64_s2_walk_fn_t)(const struct arm64_s2_walk_ctx *ctx);

/**
 * struct arm64_s2_walker - a visitor and how to walk
 * @cb:      the visitor
 * @arg:     passed in the context
 * @flags:   which visits @cb wants (S2_WALK_*)
 * @depth:   deepest level walked: an entry there is visited as a leaf even
 *           if it is a table, which is not walked; 0 walks down to level 3
 *           (level 0 holds only tables, so it is never a useful depth)
 * @budget:  entries to read before the walk stops with -EAGAIN; 0 for no
 *           limit.  A resumed walk reads from the start level again, so
 *           a budget must exceed S2_LEVELS
 * @visited: entries read so far; the caller zeroes it per budget
 * @next:    after -EAGAIN, the gfn to resume the walk at
 */
struct arm64_s2_walker {
	arm64_s2_walk_fn_t cb;
	void *arg;
	unsigned int flags;
	int depth;
	unsigned long budget;
	unsigned long visited;
	kvm_memslot_gfn_t next;
};

/* arch/arm64/kvm/stage2_geom.c */
int arm64_s2_geom(unsigned int ipa_bits, struct arm64_s2_geom *geom);

/* arch/arm64/kvm/stage2_walk.c */
struct arm64_s2 *arm64_s2_create(struct kvm_memslot_vm *vm,
				 unsigned int ipa_bits);
void arm64_s2_destroy(struct arm64_s2 *s2);
u64 *arm64_s2_table_of(u64 pte);
int arm64_s2_walk_range(struct arm64_s2 *s2, kvm_memslot_gfn_t start,
			kvm_memslot_gfn_t end, struct arm64_s2_walker *walker);
void arm64_s2_set(struct arm64_s2 *s2, u64 *ptep, u64 val);
void arm64_s2_tlbi_ipa(struct arm64_s2 *s2, kvm_memslot_gfn_t gfn, int level);
void arm64_s2_tlbi_vmid(struct arm64_s2 *s2);
void arm64_s2_tlbi_sync(struct arm64_s2 *s2);
void arm64_s2_bbm(struct arm64_s2 *s2, u64 *ptep, kvm_memslot_gfn_t gfn,
		  int level, u64 val);
void arm64_s2_free_tables(struct arm64_s2 *s2, u64 pte, int level);
u64 *arm64_s2_lookup(struct arm64_s2 *s2, kvm_memslot_gfn_t gfn, int level);

/* arch/arm64/kvm/stage2_fault.c */
int arm64_s2_walk_access(struct arm64_s2 *s2, u64 ipa, bool write,
			 unsigned long *pfn);
enum kvm_memslot_walk_result arm64_s2_translate(struct kvm_memslot_vm *vm,
						int as_id, u64 gpa, bool write,
						u64 generation,
						unsigned long *pfn);
int arm64_s2_map(struct kvm_memslot_vm *vm, const struct kvm_memory_slot *slot,
		 kvm_memslot_gfn_t gfn, unsigned long pfn, bool writable,
		 unsigned int shift, struct kvm_memslot_mmu_cache *cache);

/*
 * What a simulated walk of one access ends in, as the fault status code
 * of ESR_EL2 would say (arm64_s2_walk_access()).
 */
#define S2_FAULT_NONE		0
#define S2_FAULT_TRANSLATION	1
#define S2_FAULT_ACCESS_FLAG	2
#define S2_FAULT_PERMISSION	3

/* arch/arm64/kvm/stage2_unmap.c */
unsigned long arm64_s2_unmap_slot(struct kvm_memslot_vm *vm,
				  const struct kvm_memory_slot *slot);
unsigned long arm64_s2_unmap_range(struct kvm_memslot_vm *vm,
				   const struct kvm_memslot_gfn_range *range);
bool arm64_s2_age_range(struct kvm_memslot_vm *vm,
			const struct kvm_memslot_gfn_range *range);
bool arm64_s2_test_age_range(struct kvm_memslot_vm *vm,
			     const struct kvm_memslot_gfn_range *range);
void arm64_s2_flush_all(struct kvm_memslot_vm *vm);

/* arch/arm64/kvm/stage2_dirty.c */
bool arm64_s2_protect_slot(struct arm64_s2 *s2,
			   const struct kvm_memory_slot *slot);
bool arm64_s2_protect_gfns(struct kvm_memslot_vm *vm,
			   const struct kvm_memory_slot *slot,
			   kvm_memslot_gfn_t gfn_offset, unsigned long mask);
int arm64_s2_split_block(struct arm64_s2 *s2, u64 *ptep,
			 kvm_memslot_gfn_t gfn, int level,
			 struct kvm_memslot_mmu_cache *cache);

/* arch/arm64/kvm/stage2_audit.c */
unsigned long arm64_s2_audit(struct kvm_memslot_vm *vm);

#endif /* __ARCH_ARM64_KVM_MEMSLOT_STAGE2_H */
