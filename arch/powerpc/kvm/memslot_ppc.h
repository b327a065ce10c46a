/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-memslot PowerPC Book3S HV backend: what its files share.
 *
 * The guest enters its own translations in a hashed page table (HPT)
 * through hypercalls; the host keeps, per guest page, a reverse map (rmap)
 * chain of the HPTEs that point at it, so that a host-side change (a slot
 * going away, an MMU-notifier invalidation) finds every HPTE to take down
 * without searching the table.  Entries are kept in the pre-ISA-3.0 HPTE
 * format a PAPR guest uses.  See Documentation/virt/kvm/ppc-hpt.rst.
 *
 * Locking: mmu_lock protects the rmap words, the chains, the per-HPTE host
 * data (struct ppc_rev) and every change of an HPTE; within it, the
 * software lock bit of an HPTE (PPC_HPTE_V_HVLOCK) also keeps simulated
 * hardware, which takes only that bit, from using the entry while it
 * changes.  ppc_vm.hpt_sem keeps the table itself in place: hypercalls and
 * accesses read it shared, KVM_PPC_ALLOCATE_HTAB replaces it exclusive.
 */
#ifndef __ARCH_POWERPC_KVM_MEMSLOT_PPC_H
#define __ARCH_POWERPC_KVM_MEMSLOT_PPC_H

#include <linux/bits.h>
#include <linux/kvm_memslot.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <asm/page.h>
#include <uapi/linux/kvm_memslot.h>

/* A gfn is 64 KiB, the page of a ppc64el distribution host. */
#define PPC_PAGE_SHIFT		16
#define PPC_PAGE_SIZE		BIT(PPC_PAGE_SHIFT)
/* Host (this machine's) pages per guest page. */
#define PPC_HOST_PAGES		(1U << (PPC_PAGE_SHIFT - PAGE_SHIFT))

/* HPT sizes KVM_PPC_ALLOCATE_HTAB accepts, and KVM's default. */
#define PPC_HPT_MIN_ORDER	18
#define PPC_HPT_MAX_ORDER	46
#define PPC_HPT_DEFAULT_ORDER	24
/*
 * Above this the table could not be allocated here anyway; refuse it
 * before asking for gigabytes (KVM fails the same orders with ENOMEM).
 */
#define PPC_HPT_ALLOC_MAX_ORDER	30
#define PPC_HPTES_PER_GROUP	8

/* First doubleword (V) of an HPTE. */
#define PPC_HPTE_V_SSIZE_SHIFT	62
#define PPC_HPTE_V_1TB_SEG	BIT_ULL(PPC_HPTE_V_SSIZE_SHIFT)
#define PPC_HPTE_V_AVPN_SHIFT	7
#define PPC_HPTE_V_AVPN		0x3fffffffffffff80ULL
#define PPC_HPTE_V_HVLOCK_BIT	6
#define PPC_HPTE_V_HVLOCK	BIT_ULL(PPC_HPTE_V_HVLOCK_BIT)
#define PPC_HPTE_V_ABSENT	0x20ULL
#define PPC_HPTE_V_LARGE	0x4ULL
#define PPC_HPTE_V_SECONDARY	0x2ULL
#define PPC_HPTE_V_VALID	0x1ULL

/* Second doubleword (R). */
#define PPC_HPTE_R_PP0		0x8000000000000000ULL
#define PPC_HPTE_R_GR_RESERVED	0x4000000000000000ULL
#define PPC_HPTE_R_KEY_HI	0x3000000000000000ULL
#define PPC_HPTE_R_RPN		0x0ffffffffffff000ULL
#define PPC_HPTE_R_RPN_SHIFT	12
#define PPC_HPTE_R_KEY_LO	0x0000000000000e00ULL
#define PPC_HPTE_R_R		0x0000000000000100ULL
#define PPC_HPTE_R_C		0x0000000000000080ULL
#define PPC_HPTE_R_M		0x0000000000000010ULL
#define PPC_HPTE_R_N		0x0000000000000004ULL
#define PPC_HPTE_R_PP		0x0000000000000003ULL
#define PPC_HPTE_R_KEY		(PPC_HPTE_R_KEY_HI | PPC_HPTE_R_KEY_LO)
#define PPC_HPTE_R_RC		(PPC_HPTE_R_R | PPC_HPTE_R_C)
/* PP values that forbid writes with MSR[PR] = 0. */
#define PPC_PP_RXRX		0x3ULL
#define PPC_PP_RXXX		(PPC_HPTE_R_PP0 | 0x2ULL)

/*
 * The VSID of the virtualized real mode area's 1 TiB segment.  KVM uses
 * 0x1ffffff; virtual addresses here are 64 bits, so one bit less.
 */
#define PPC_VRMA_VSID		0xffffffULL

/*
 * An rmap word, one per guest page: the head of the chain of HPTE indices
 * that map the page, whether the chain is non-empty, the R and C bits
 * harvested from HPTEs taken down, and whether the host frames of the
 * page are resolved (and writable).
 */
#define PPC_RMAP_INDEX		0xffffffffULL
#define PPC_RMAP_PRESENT	BIT_ULL(32)
#define PPC_RMAP_R		BIT_ULL(33)
#define PPC_RMAP_C		BIT_ULL(34)
#define PPC_RMAP_FRAMES		BIT_ULL(35)
#define PPC_RMAP_WRITABLE	BIT_ULL(36)

/* Guest pages per leaf of a slot's page data. */
#define PPC_LEAF_PAGES		16

/**
 * struct ppc_leaf - rmap words and host frames of PPC_LEAF_PAGES guest pages
 * @rmap:   the rmap word of each page
 * @frames: the host frames of each page, while PPC_RMAP_FRAMES is set:
 *          what a 64 KiB host page is on a host of 4 KiB pages
 */
struct ppc_leaf {
	u64 rmap[PPC_LEAF_PAGES];
	unsigned long frames[PPC_LEAF_PAGES][PPC_HOST_PAGES];
};

/**
 * struct ppc_slot - the backend data of a slot
 * @nr_leaves: entries of @leaves
 * @leaves:    per PPC_LEAF_PAGES guest pages, their leaf; allocated when a
 *             page is first entered, so a slot costs a pointer per 16
 *             pages until the guest uses it
 */
struct ppc_slot {
	unsigned long nr_leaves;
	struct ppc_leaf **leaves;
};

/* struct ppc_rev.flags */
#define PPC_REV_VRMA		BIT(0)	/* made by the host for real mode */

/**
 * struct ppc_rev - what the host keeps about one HPTE
 * @guest_r: the guest's view of the second doubleword: the guest real
 *           address it entered, its protection, and the R and C bits
 *           harvested so far (H_READ returns it)
 * @next:    next HPTE in the rmap chain (circular), while linked
 * @prev:    previous one
 * @slot:    the slot data whose rmap chain holds this HPTE, while linked
 * @offset:  the guest page's index in that slot
 * @gen:     bumped whenever the guest replaces or removes the entry, so
 *           that a fault can tell it still maps what it resolved
 * @flags:   PPC_REV_*
 */
struct ppc_rev {
	u64 guest_r;
	u32 next;
	u32 prev;
	struct ppc_slot *slot;
	unsigned long offset;
	u32 gen;
	u32 flags;
};

/**
 * struct ppc_hpt - a hashed page table
 * @order: log2 of its size in bytes
 * @npte:  HPTEs in it
 * @hptes: the entries, two doublewords each (the host's view)
 * @rev:   per HPTE, the host's data
 */
struct ppc_hpt {
	unsigned int order;
	unsigned long npte;
	u64 *hptes;
	struct ppc_rev *rev;
};

/**
 * struct ppc_vm - the backend data of a VM
 * @hpt_sem: keeps @hpt in place (see above)
 * @hpt:     the table; @hpt.hptes is NULL until allocated
 * @orphans: HPTEs found still linked to a slot whose data was freed, and
 *           taken down then; each is an audit violation
 */
struct ppc_vm {
	struct rw_semaphore hpt_sem;
	struct ppc_hpt hpt;
	unsigned long orphans;
};

/* memslot_ppc.c: the backend of KVM_MEMSLOT_VM_PPC_BOOK3S_HV VMs */
extern const struct kvm_memslot_ops kvm_memslot_ppc_ops;

/**
 * ppc_vm() - the backend data of a VM
 * @vm: a VM of the PowerPC type
 *
 * Return: what ppc_init_vm() set up.
 */
static inline struct ppc_vm *ppc_vm(struct kvm_memslot_vm *vm)
{
	return vm->arch;
}

/* hpt.c: the table's format and hash */
unsigned long ppc_hpte_page_shift(u64 v, u64 r);
u64 ppc_hpte_avpn(u64 va, unsigned int shift, unsigned int ssize);
u64 ppc_hpt_hash(u64 va, unsigned int shift, unsigned int ssize);
unsigned long ppc_hpt_group(const struct ppc_hpt *hpt, u64 hash,
			    bool secondary);
long ppc_hpt_find(const struct ppc_hpt *hpt, u64 va, unsigned int ssize,
		  unsigned long shifts, bool vrma);
bool ppc_hpte_translates(const struct ppc_hpt *hpt, unsigned long index,
			 u64 va, unsigned int ssize, unsigned long shifts);
bool ppc_hpte_writable(u64 r);
u64 ppc_hpte_make_readonly(u64 r);
int ppc_hpt_alloc(struct ppc_hpt *hpt, unsigned int order);
void ppc_hpt_free(struct ppc_hpt *hpt);
void ppc_hpte_lock(u64 *hpte);
void ppc_hpte_unlock(u64 *hpte, u64 v);

/**
 * ppc_hpte() - an HPTE of a table
 * @hpt:   the table
 * @index: the HPTE's index, below @hpt->npte
 *
 * Return: its first doubleword; the second follows it.
 */
static inline u64 *ppc_hpte(const struct ppc_hpt *hpt, unsigned long index)
{
	return &hpt->hptes[2 * index];
}

/* rmap.c: the reverse map */
u64 *ppc_rmap_word(struct ppc_slot *ps, unsigned long offset);
unsigned long *ppc_rmap_frames(struct ppc_slot *ps, unsigned long offset);
int ppc_slot_leaf_prepare(struct ppc_slot *ps, unsigned long offset,
			  struct ppc_leaf **spare);
void ppc_rmap_link(struct ppc_hpt *hpt, struct ppc_slot *ps,
		   unsigned long offset, unsigned long index);
void ppc_rmap_unlink(struct ppc_hpt *hpt, unsigned long index);
struct ppc_slot *ppc_slot_alloc(unsigned long npages);
void ppc_slot_free(struct ppc_slot *ps);

/* flush.c: taking HPTEs down */
u64 ppc_hpte_take_down(struct ppc_hpt *hpt, unsigned long index,
		       unsigned long *dirty_bitmap);
void ppc_hpte_invalidate(struct ppc_hpt *hpt, unsigned long index,
			 unsigned long *dirty_bitmap);
unsigned long ppc_unmap_page(struct ppc_hpt *hpt, struct ppc_slot *ps,
			     unsigned long offset, unsigned long *dirty_bitmap);
unsigned long ppc_unmap_slot_range(struct kvm_memslot_vm *vm,
				   struct ppc_slot *ps, unsigned long start,
				   unsigned long end, unsigned long *dirty_bitmap);
unsigned long ppc_flush_memslot(struct kvm_memslot_vm *vm,
				const struct kvm_memory_slot *old);
unsigned long ppc_unmap_gfn_range(struct kvm_memslot_vm *vm,
				  const struct kvm_memslot_gfn_range *range);
bool ppc_age_gfn_range(struct kvm_memslot_vm *vm,
		       const struct kvm_memslot_gfn_range *range);
bool ppc_test_age_gfn_range(struct kvm_memslot_vm *vm,
			    const struct kvm_memslot_gfn_range *range);
void ppc_flush_all(struct kvm_memslot_vm *vm);
void ppc_hpt_reset(struct ppc_hpt *hpt);

/* dirty.c: C-bit harvest */
unsigned long ppc_harvest_dirty(struct ppc_hpt *hpt, struct ppc_slot *ps,
				unsigned long npages, unsigned long *bitmap);
void ppc_sync_dirty_log(struct kvm_memslot_vm *vm,
			const struct kvm_memory_slot *slot);

/* hcall.c: the guest's hypercalls */
long ppc_hcall_run(struct kvm_memslot_vm *vm, struct kvm_memslot_hint *hint,
		   struct kvm_memslot_ppc_hcall *hc);
long ppc_vcpu_ioctl(struct kvm_memslot_vm *vm, struct kvm_memslot_hint *hint,
		    unsigned int ioctl, unsigned long arg);
int ppc_hpt_get(struct kvm_memslot_vm *vm);

/* access.c: simulated guest accesses and faults */
int ppc_fault(struct kvm_memslot_vm *vm, struct kvm_memslot_hint *hint,
	      long index, u32 gen, u64 real, bool write, u32 len,
	      struct kvm_memslot_access *acc);
int ppc_access(struct kvm_memslot_vm *vm, struct kvm_memslot_hint *hint,
	       u64 gpa, u32 len, u16 flags, void *buf,
	       struct kvm_memslot_access *acc);

/* audit.c */
unsigned long ppc_audit(struct kvm_memslot_vm *vm);

#endif /* __ARCH_POWERPC_KVM_MEMSLOT_PPC_H */
