// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot arm64 backend: VM type KVM_MEMSLOT_VM_ARM64.
 *
 * What arm64 KVM 6.1 reports and accepts for memory slots, as measured on
 * Debian's arm64 kernel under QEMU (the oracle lane), and the memslot
 * hooks of a stage-2 MMU: translations in VMSAv8-64 stage-2 tables
 * (stage2_*.c), found from a slot by walking its IPA range.
 */
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <asm/page.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_arm64.h"
#include "stage2.h"

/*
 * One address space and SHRT_MAX user slots: arm64 keeps no internal slots
 * (KVM_CAP_NR_MEMSLOTS is 32767).
 */
#define ARM64_NR_ADDRESS_SPACES	1
#define ARM64_NR_USER_SLOTS	KVM_MEMSLOT_MAX_SLOT_ID

/*
 * vCPUs: KVM_MAX_VCPUS is the GICv3 limit, 512, and vCPU ids are below it
 * (KVM_CAP_MAX_VCPUS and KVM_CAP_MAX_VCPU_ID both say 512).
 */
#define ARM64_MAX_VCPUS		512

/*
 * The vCPU fd maps struct kvm_run and the coalesced MMIO ring, the page
 * after it (KVM_COALESCED_MMIO_PAGE_OFFSET is 1 on arm64): 8 KiB.
 */
#define ARM64_VCPU_MMAP_PAGES	2

/* Pages and 2 MiB blocks (level 2 exists whatever the IPA size). */
#define ARM64_MAP_SIZES		(BIT(S2_PAGE_SHIFT) | BIT(S2_PAGE_SHIFT + S2_LEVEL_BITS))

/*
 * A map may need a table at every level below the start level (three at
 * most, from level 0), and a split of a block met on the way only ever
 * replaces one of those.
 */
#define ARM64_MAP_CACHE_PAGES	3

/* Not in 6.1's <linux/kvm.h> of every distribution: arm64's own number. */
#ifndef KVM_CAP_ARM_VM_IPA_SIZE
#define KVM_CAP_ARM_VM_IPA_SIZE	165
#endif

/*
 * The IPA size in the VM type, as kvm_arm_setup_stage2() reads it: 0 means
 * the default 40 bits, anything else must be a size the host offers.
 * Bits above the low byte do not reach here: they select another backend
 * or none.
 */
static int arm64_init_vm(struct kvm_memslot_vm *vm, unsigned long type)
{
	unsigned int ipa_bits = type & KVM_MEMSLOT_VM_ARM64_IPA_SIZE_MASK;
	struct arm64_s2 *s2;

	if (!ipa_bits)
		ipa_bits = S2_DEFAULT_IPA_BITS;
	if (ipa_bits < S2_MIN_IPA_BITS || ipa_bits > S2_MAX_IPA_BITS)
		return -EINVAL;
	s2 = arm64_s2_create(vm, ipa_bits);
	if (!s2)
		return -ENOMEM;
	vm->arch = s2;
	return 0;
}

static void arm64_destroy_vm(struct kvm_memslot_vm *vm)
{
	struct arm64_s2 *s2 = vm->arch;

	vm->arch = NULL;
	if (s2)
		arm64_s2_destroy(s2);
}

/* The host's IPA limit, on the device and on every VM alike. */
static long arm64_check_extension(const struct kvm_memslot_ops *ops, long cap)
{
	return cap == KVM_CAP_ARM_VM_IPA_SIZE ? S2_MAX_IPA_BITS : 0;
}

static int arm64_prepare_memory_region(struct kvm_memslot_vm *vm,
				       const struct kvm_memory_slot *old,
				       struct kvm_memory_slot *new,
				       enum kvm_memslot_change change)
{
	struct arm64_s2 *s2 = vm->arch;

	if (change == KVM_MEMSLOT_DELETE)
		return 0;
	/*
	 * arm64 refuses a slot that ends beyond the VM's IPA space with
	 * EFAULT, not EINVAL.  What the slot costs the backend does not
	 * depend on its size: tables are made as pages are mapped.
	 */
	if (kvm_memslot_end(new) > s2_nr_gfns(s2))
		return -EFAULT;
	return 0;
}

/*
 * After the grace period that followed @old's INVALID publish: no fault
 * can map @old again, so unmapping its IPA range removes every translation
 * of it.  The order matters although a TLBI reaches every PE at once: see
 * Documentation/virt/kvm/arm64-stage2.rst, "Why the flush comes after
 * the INVALID publish".
 */
static unsigned long arm64_flush_memslot(struct kvm_memslot_vm *vm,
					 const struct kvm_memory_slot *old)
{
	return arm64_s2_unmap_slot(vm, old);
}

static void arm64_commit_memory_region(struct kvm_memslot_vm *vm,
				       struct kvm_memory_slot *old,
				       const struct kvm_memory_slot *new,
				       enum kvm_memslot_change change)
{
	struct arm64_s2 *s2 = vm->arch;
	bool flush;

	if (change != KVM_MEMSLOT_FLAGS_ONLY ||
	    !(new->flags & ~old->flags & KVM_MEM_LOG_DIRTY_PAGES))
		return;
	/*
	 * Logging was switched on, and the core waited for every fault that
	 * saw it off.  As arm64 KVM does, protect nothing now if userspace
	 * asked for all bits initially set: every page counts as dirty, and
	 * each CLEAR_DIRTY_LOG write-protects the pages it clears.
	 */
	if (vm->manual_dirty_log_protect & KVM_DIRTY_LOG_INITIALLY_SET)
		return;

	spin_lock(&vm->mmu_lock);
	flush = arm64_s2_protect_slot(s2, new);
	if (flush)
		arm64_s2_tlbi_sync(s2);
	spin_unlock(&vm->mmu_lock);
}

/* The backend of KVM_MEMSLOT_VM_ARM64 VMs, whatever their IPA size. */
const struct kvm_memslot_ops kvm_memslot_arm64_ops = {
	.name			= "arm64-stage2",
	.vm_type		= KVM_MEMSLOT_VM_ARM64,
	.vm_type_mask		= ~KVM_MEMSLOT_VM_ARM64_IPA_SIZE_MASK,
	.vm_type_bit		= KVM_MEMSLOT_VM_TYPE_BIT_ARM64,
	.nr_address_spaces	= ARM64_NR_ADDRESS_SPACES,
	.nr_user_slots		= ARM64_NR_USER_SLOTS,
	.readonly_mem		= true,
	.manual_dirty_log_protect = true,
	.clear_dirty_log	= true,
	.page_shift		= S2_PAGE_SHIFT,
	.map_sizes		= ARM64_MAP_SIZES,
	.map_cache_pages	= ARM64_MAP_CACHE_PAGES,
	.max_vcpus		= ARM64_MAX_VCPUS,
	.max_vcpu_ids		= ARM64_MAX_VCPUS,
	.vcpu_mmap_pages	= ARM64_VCPU_MMAP_PAGES,
	/* kvm_arch_vm_ioctl()'s default: KVM_SET_USER_MEMORY_REGION2 too. */
	.unknown_vm_ioctl	= -EINVAL,
	.init_vm		= arm64_init_vm,
	.destroy_vm		= arm64_destroy_vm,
	.check_extension	= arm64_check_extension,
	.prepare_memory_region	= arm64_prepare_memory_region,
	.flush_memslot		= arm64_flush_memslot,
	.commit_memory_region	= arm64_commit_memory_region,
	.flush_all		= arm64_s2_flush_all,
	.unmap_gfn_range	= arm64_s2_unmap_range,
	.age_gfn_range		= arm64_s2_age_range,
	.test_age_gfn_range	= arm64_s2_test_age_range,
	.translate		= arm64_s2_translate,
	.map			= arm64_s2_map,
	.protect_dirty_gfns	= arm64_s2_protect_gfns,
	.audit			= arm64_s2_audit,
};

/**
 * kvm_memslot_arm64_backend_init() - register the arm64 VM type
 *
 * Called once at module load (virt/kvm/memslot_backends.c).
 *
 * Return: 0 or the registry's errno.
 */
int kvm_memslot_arm64_backend_init(void)
{
	/* The stage-2 model is written for 4 KiB host pages. */
	BUILD_BUG_ON(PAGE_SHIFT != S2_PAGE_SHIFT);
	BUILD_BUG_ON(ARM64_MAP_CACHE_PAGES > KVM_MEMSLOT_MMU_CACHE_PAGES);
	return kvm_memslot_register_backend(&kvm_memslot_arm64_ops);
}

/**
 * kvm_memslot_arm64_backend_exit() - unregister the arm64 VM type
 */
void kvm_memslot_arm64_backend_exit(void)
{
	kvm_memslot_unregister_backend(&kvm_memslot_arm64_ops);
}
