// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot x86 backend: VM types KVM_MEMSLOT_VM_X86_EPT and
 * KVM_MEMSLOT_VM_X86_NPT.
 *
 * What x86 KVM reports and accepts for memory slots, and the memslot
 * hooks of the software MMU: translations in EPT or NPT format
 * (mmu_tables.c), reached from each slot by walking its gfn range in
 * those tables (mmu_rmap.c): a slot has no per-page metadata.
 * The two types differ only in the entry format.
 */
#include <linux/build_bug.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/types.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_x86.h"
#include "mmu.h"

/*
 * Two address spaces (the second is SMM, X86_NR_ADDRESS_SPACES) and
 * SHRT_MAX slot ids less the three KVM keeps for itself (APIC access page,
 * identity map, TSS): the numbers 6.1 x86 KVM reports, so that clients
 * size themselves the same.
 */
#define X86_NR_USER_SLOTS	(KVM_MEMSLOT_MAX_SLOT_ID - 3)

/*
 * vCPU limits of in-tree x86 KVM in Linux 6.1: KVM_MAX_VCPUS, and vCPU
 * ids (APIC ids) up to four times that, since an APIC id also encodes the
 * topology.
 */
#define X86_MAX_VCPUS		1024
#define X86_MAX_VCPU_IDS	(4 * X86_MAX_VCPUS)

/*
 * The vCPU fd maps what x86 KVM's does, page by page: struct kvm_run, the
 * port I/O data page and the coalesced MMIO ring, so that a client sizes
 * and maps it unchanged (KVM_GET_VCPU_MMAP_SIZE).
 */
#define X86_VCPU_PIO_PAGE	1
#define X86_VCPU_MMIO_RING_PAGE	2
#define X86_VCPU_MMAP_PAGES	3

/*
 * Translations of 4 KiB, and of 2 MiB (a leaf one level up) where the host
 * maps that much.
 */
#define X86_2M_SHIFT		(PAGE_SHIFT + X86_MMU_LEVEL_BITS)
#define X86_MAP_SIZES		(BIT(PAGE_SHIFT) | BIT(X86_2M_SHIFT))

/* Largest gfn a slot may cover; set once by kvm_memslot_x86_backend_init(). */
static kvm_memslot_gfn_t x86_max_gfn __read_mostly;

/*
 * The guest physical limit of x86 VMs.
 *
 * Two-dimensional paging cannot translate a guest physical address wider
 * than the host's MAXPHYADDR, so x86 KVM with TDP refuses slots that end
 * above it.  Like KVM, take the width from CPUID rather than from
 * boot_cpu_data, which SME or MKTME may have reduced by the key id bits
 * that paging still treats as address bits.  CPUID may exit to a
 * hypervisor, hence once at module load rather than per slot.
 */
static void x86_init_max_gfn(void)
{
	unsigned int bits;

	/* map() may make a table at every level below the root. */
	BUILD_BUG_ON(X86_MMU_LEVELS - 1 > KVM_MEMSLOT_MMU_CACHE_PAGES);

	if (boot_cpu_data.extended_cpuid_level >= 0x80000008)
		bits = cpuid_eax(0x80000008) & 0xff;
	else
		bits = boot_cpu_data.x86_phys_bits;

	x86_max_gfn = (1ULL << (bits - PAGE_SHIFT)) - 1;
}

static int x86_prepare_memory_region(struct kvm_memslot_vm *vm,
				     const struct kvm_memory_slot *old,
				     struct kvm_memory_slot *new,
				     enum kvm_memslot_change change)
{
	/*
	 * Only a create or a move gives a slot new gfns.  The core has
	 * already refused ranges that wrap, so the last gfn is exact.  What
	 * the slot costs the backend does not depend on its size: its
	 * translations are found through the tables, and those are made as
	 * pages are mapped.
	 */
	if (change != KVM_MEMSLOT_CREATE && change != KVM_MEMSLOT_MOVE)
		return 0;
	if (kvm_memslot_end(new) - 1 > x86_max_gfn)
		return -EINVAL;
	/* The roots, so that map() always finds them. */
	if (!x86_mmu_create(vm))
		return -ENOMEM;
	return 0;
}

/*
 * After the grace period that followed @old's INVALID publish: no fault
 * can map @old again, so zapping what the tables map in its gfn range
 * removes every translation of it, at a cost proportional to what it
 * mapped, and frees the tables that served only it.  What it removed is
 * reported to the core, for the kvm_memslot_flush_memslot tracepoint.
 */
static unsigned long x86_flush_memslot(struct kvm_memslot_vm *vm,
				       const struct kvm_memory_slot *old)
{
	return x86_rmap_zap_slot(vm, old);
}

static void x86_commit_memory_region(struct kvm_memslot_vm *vm,
				     struct kvm_memory_slot *old,
				     const struct kvm_memory_slot *new,
				     enum kvm_memslot_change change)
{
	struct x86_mmu *mmu;
	bool flush = false;

	if (change != KVM_MEMSLOT_FLAGS_ONLY ||
	    !(new->flags & ~old->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return;

	/*
	 * Logging was switched on, and the core waited for every fault that
	 * saw it off: write-protect what is mapped, so that each first write
	 * faults and is logged.  Switching it off needs nothing: faults map
	 * writable (and large) again as they come.
	 */
	spin_lock(&vm->mmu_lock);
	mmu = vm->arch;
	if (mmu)
		flush = x86_rmap_protect_slot(mmu, new);
	spin_unlock(&vm->mmu_lock);

	if (flush)
		x86_mmu_flush_remote_tlbs(vm);
}

/*
 * The core speaks of mapping sizes, the tables of levels: level 1 maps
 * 4 KiB, and each level up maps X86_MMU_LEVEL_BITS more bits.  A size no
 * level has becomes level 0, which x86_mmu_map() refuses.
 */
static int x86_map(struct kvm_memslot_vm *vm, const struct kvm_memory_slot *slot,
		   kvm_memslot_gfn_t gfn, unsigned long pfn, bool writable,
		   unsigned int shift, struct kvm_memslot_mmu_cache *cache)
{
	int level = 0;

	if (shift >= PAGE_SHIFT &&
	    !((shift - PAGE_SHIFT) % X86_MMU_LEVEL_BITS))
		level = (shift - PAGE_SHIFT) / X86_MMU_LEVEL_BITS + 1;
	return x86_mmu_map(vm, slot, gfn, pfn, writable, level, cache);
}

/*
 * The two VM types differ only in the entry format of their tables, which
 * the MMU code finds in the type's data.
 */
#define X86_MEMSLOT_OPS(type, type_bit, format) {			\
	.name			= "x86-" #format,			\
	.vm_type		= type,					\
	.vm_type_mask		= ~0UL,					\
	.vm_type_bit		= type_bit,				\
	.type_data		= &x86_##format##_fmt,			\
	.nr_address_spaces	= X86_NR_ADDRESS_SPACES,		\
	.nr_user_slots		= X86_NR_USER_SLOTS,			\
	.readonly_mem		= true,					\
	.manual_dirty_log_protect = true,				\
	.clear_dirty_log	= true,					\
	.dirty_ring		= true,					\
	.page_shift		= PAGE_SHIFT,				\
	.map_sizes		= X86_MAP_SIZES,			\
	.map_cache_pages	= X86_MMU_LEVELS - 1,			\
	.max_vcpus		= X86_MAX_VCPUS,			\
	.max_vcpu_ids		= X86_MAX_VCPU_IDS,			\
	.vcpu_mmap_pages	= X86_VCPU_MMAP_PAGES,			\
	.prepare_memory_region	= x86_prepare_memory_region,		\
	.flush_memslot		= x86_flush_memslot,			\
	.commit_memory_region	= x86_commit_memory_region,		\
	.flush_all		= x86_mmu_flush_all,			\
	.unmap_gfn_range	= x86_rmap_unmap_range,			\
	.age_gfn_range		= x86_rmap_age_range,			\
	.test_age_gfn_range	= x86_rmap_test_age_range,		\
	.translate		= x86_mmu_walk,				\
	.map			= x86_map,				\
	.map_mmio		= x86_mmu_map_mmio,			\
	.protect_dirty_gfns	= x86_rmap_protect_gfns,		\
	.audit			= x86_mmu_audit,			\
}

/* The backend of KVM_MEMSLOT_VM_X86_EPT VMs. */
const struct kvm_memslot_ops kvm_memslot_x86_ept_ops =
	X86_MEMSLOT_OPS(KVM_MEMSLOT_VM_X86_EPT, KVM_MEMSLOT_VM_TYPE_BIT_X86_EPT,
			ept);

/* The backend of KVM_MEMSLOT_VM_X86_NPT VMs: the same, in NPT format. */
const struct kvm_memslot_ops kvm_memslot_x86_npt_ops =
	X86_MEMSLOT_OPS(KVM_MEMSLOT_VM_X86_NPT, KVM_MEMSLOT_VM_TYPE_BIT_X86_NPT,
			npt);

/**
 * kvm_memslot_x86_backend_init() - register the x86 VM types
 *
 * Called once at module load (virt/kvm/memslot_backends.c).
 *
 * Return: 0 or the registry's errno.
 */
int kvm_memslot_x86_backend_init(void)
{
	int r;

	x86_init_max_gfn();
	r = kvm_memslot_register_backend(&kvm_memslot_x86_ept_ops);
	if (r)
		return r;
	r = kvm_memslot_register_backend(&kvm_memslot_x86_npt_ops);
	if (r)
		kvm_memslot_unregister_backend(&kvm_memslot_x86_ept_ops);
	return r;
}

/**
 * kvm_memslot_x86_backend_exit() - unregister the x86 VM types
 */
void kvm_memslot_x86_backend_exit(void)
{
	kvm_memslot_unregister_backend(&kvm_memslot_x86_npt_ops);
	kvm_memslot_unregister_backend(&kvm_memslot_x86_ept_ops);
}
