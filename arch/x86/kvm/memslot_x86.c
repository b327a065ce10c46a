// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot x86 backend (VM type KVM_MEMSLOT_VM_X86_EPT).
 *
 * So far this backend only models what x86 KVM reports and accepts for
 * memory slots; it keeps no translations yet, so it has nothing to flush,
 * write-protect or free, and only prepare_memory_region does any work.
 */
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/types.h>
#include <asm/page.h>
#include <asm/processor.h>

/*
 * Two address spaces (the second is SMM) and SHRT_MAX slot ids less the
 * three KVM keeps for itself (APIC access page, identity map, TSS): the
 * numbers 6.1 x86 KVM reports, so that clients size themselves the same.
 */
#define X86_NR_ADDRESS_SPACES	2
#define X86_NR_USER_SLOTS	(KVM_MEMSLOT_MAX_SLOT_ID - 3)

/* Largest gfn a slot may cover; set once by kvm_memslot_x86_init(). */
static kvm_memslot_gfn_t x86_max_gfn __read_mostly;

/**
 * kvm_memslot_x86_init() - compute the guest physical limit of x86 VMs
 *
 * Two-dimensional paging cannot translate a guest physical address wider
 * than the host's MAXPHYADDR, so x86 KVM with TDP refuses slots that end
 * above it.  Like KVM, take the width from CPUID rather than from
 * boot_cpu_data, which SME or MKTME may have reduced by the key id bits
 * that paging still treats as address bits.  CPUID may exit to a
 * hypervisor, hence once at module load rather than per slot.
 */
void kvm_memslot_x86_init(void)
{
	unsigned int bits;

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
	 * already refused ranges that wrap, so the last gfn is exact.
	 */
	if (change == KVM_MEMSLOT_CREATE || change == KVM_MEMSLOT_MOVE) {
		if (kvm_memslot_end(new) - 1 > x86_max_gfn)
			return -EINVAL;
	}
	return 0;
}

/* The backend of KVM_MEMSLOT_VM_X86_EPT VMs. */
const struct kvm_memslot_ops kvm_memslot_x86_ept_ops = {
	.name			= "x86-ept",
	.nr_address_spaces	= X86_NR_ADDRESS_SPACES,
	.nr_user_slots		= X86_NR_USER_SLOTS,
	.readonly_mem		= true,
	.prepare_memory_region	= x86_prepare_memory_region,
};
