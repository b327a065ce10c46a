// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot PowerPC backend: VM type KVM_MEMSLOT_VM_PPC_BOOK3S_HV.
 *
 * What Book3S HV KVM in HPT mode reports and accepts for memory slots on a
 * host of 64 KiB pages, and the memslot hooks of its hashed page table:
 * the table and its hash (hpt.c), the per-slot reverse map (rmap.c), the
 * guest's hypercalls (hcall.c), accesses and faults (access.c), taking
 * entries down (flush.c), change-bit dirty logging (dirty.c) and the
 * audit (audit.c).
 */
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_ppc.h"

/*
 * One address space, SHRT_MAX user slots (KVM_USER_MEM_SLOTS with no
 * internal slots), and the vCPU limits of Debian's ppc64el 6.1 kernel:
 * KVM_MAX_VCPUS = NR_CPUS = 2048, and vCPU ids reported up to
 * MAX_SMT_THREADS (8) times that, though only ids below KVM_MAX_VCPUS
 * times the VM's SMT mode (1 until set) can be created.
 */
#define PPC_NR_USER_SLOTS	KVM_MEMSLOT_MAX_SLOT_ID
#define PPC_MAX_VCPUS		2048
#define PPC_MAX_VCPU_IDS	(8 * PPC_MAX_VCPUS)
/* struct kvm_run and the coalesced MMIO page. */
#define PPC_VCPU_MMAP_PAGES	2

static int ppc_init_vm(struct kvm_memslot_vm *vm, unsigned long type)
{
	struct ppc_vm *pv = kzalloc(sizeof(*pv), GFP_KERNEL_ACCOUNT);

	if (!pv)
		return -ENOMEM;
	init_rwsem(&pv->hpt_sem);
	vm->arch = pv;
	return 0;
}

static void ppc_destroy_vm(struct kvm_memslot_vm *vm)
{
	struct ppc_vm *pv = vm->arch;

	if (!pv)
		return;
	ppc_hpt_free(&pv->hpt);
	kfree(pv);
	vm->arch = NULL;
}

static long ppc_check_extension(const struct kvm_memslot_ops *ops, long cap)
{
	switch (cap) {
	case KVM_CAP_PPC_ALLOC_HTAB:
		return 1;
	default:
		return 0;
	}
}

static int ppc_prepare_memory_region(struct kvm_memslot_vm *vm,
				     const struct kvm_memory_slot *old,
				     struct kvm_memory_slot *new,
				     enum kvm_memslot_change change)
{
	/*
	 * Logging is about to start: forget the writes recorded before, so
	 * that the first harvest reports only writes made since.  Before
	 * the publish, not after it: a write that lands in between is then
	 * reported (once too early) rather than lost.
	 */
	if (change == KVM_MEMSLOT_FLAGS_ONLY &&
	    (new->flags & ~old->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
		spin_lock(&vm->mmu_lock);
		ppc_harvest_dirty(&ppc_vm(vm)->hpt, old->arch, old->npages, NULL);
		spin_unlock(&vm->mmu_lock);
		return 0;
	}

	/*
	 * A create or a move gets fresh data: a moved slot's chains were
	 * emptied by the flush that ran before this, and its new pages are
	 * other gfns.  A flags change keeps its data (the core shares it).
	 */
	if (change != KVM_MEMSLOT_CREATE && change != KVM_MEMSLOT_MOVE)
		return 0;
	new->arch = ppc_slot_alloc(new->npages);
	return new->arch ? 0 : -ENOMEM;
}

/*
 * Free a slot's data.  Its chains are empty if the protocol was kept (the
 * flush took every HPTE down before the final publish); any HPTE still
 * linked is taken down now, so that nothing points into freed memory, and
 * counted for the audit.
 */
static void ppc_free_memslot(struct kvm_memslot_vm *vm,
			     struct kvm_memory_slot *slot)
{
	struct ppc_vm *pv = ppc_vm(vm);
	struct ppc_slot *ps = slot->arch;
	unsigned long offset;

	spin_lock(&vm->mmu_lock);
	for (offset = 0; pv->hpt.hptes && offset < slot->npages; offset++) {
		u64 *rmap;

		if (!ps->leaves[offset / PPC_LEAF_PAGES]) {
			offset = round_down(offset, PPC_LEAF_PAGES) +
				 PPC_LEAF_PAGES - 1;
			continue;
		}
		rmap = ppc_rmap_word(ps, offset);
		while (*rmap & PPC_RMAP_PRESENT) {
			pr_err("kvm_memslot: ppc: HPTE %llu still maps page %lu of freed slot %u\n",
			       *rmap & PPC_RMAP_INDEX, offset, slot->id);
			pv->orphans++;
			ppc_hpte_invalidate(&pv->hpt, *rmap & PPC_RMAP_INDEX,
					    NULL);
		}
	}
	spin_unlock(&vm->mmu_lock);
	ppc_slot_free(ps);
	slot->arch = NULL;
}

/* KVM_PPC_ALLOCATE_HTAB: a table of the order given, empty. */
static long ppc_allocate_htab(struct kvm_memslot_vm *vm, u32 __user *argp)
{
	struct ppc_vm *pv = ppc_vm(vm);
	struct ppc_hpt hpt = {}, old;
	u32 order;
	int r;

	if (get_user(order, argp))
		return -EFAULT;
	if (down_write_killable(&pv->hpt_sem))
		return -EINTR;

	/* The same order again only clears the table, as in KVM. */
	if (pv->hpt.hptes && pv->hpt.order == order) {
		spin_lock(&vm->mmu_lock);
		ppc_hpt_reset(&pv->hpt);
		spin_unlock(&vm->mmu_lock);
		up_write(&pv->hpt_sem);
		return 0;
	}

	r = ppc_hpt_alloc(&hpt, order);
	if (r) {
		up_write(&pv->hpt_sem);
		return r;
	}
	spin_lock(&vm->mmu_lock);
	old = pv->hpt;
	if (old.hptes)
		ppc_hpt_reset(&old);
	pv->hpt = hpt;
	spin_unlock(&vm->mmu_lock);
	up_write(&pv->hpt_sem);
	ppc_hpt_free(&old);
	return 0;
}

static long ppc_vm_ioctl(struct kvm_memslot_vm *vm, unsigned int ioctl,
			 unsigned long arg)
{
	switch (ioctl) {
	case KVM_PPC_ALLOCATE_HTAB:
		return ppc_allocate_htab(vm, (u32 __user *)arg);
	default:
		return -ENOIOCTLCMD;
	}
}

/* The backend of KVM_MEMSLOT_VM_PPC_BOOK3S_HV VMs. */
const struct kvm_memslot_ops kvm_memslot_ppc_ops = {
	.name			= "ppc-book3s-hv",
	.vm_type		= KVM_MEMSLOT_VM_PPC_BOOK3S_HV,
	.vm_type_mask		= ~0UL,
	.vm_type_bit		= KVM_MEMSLOT_VM_TYPE_BIT_PPC_BOOK3S_HV,
	.nr_address_spaces	= 1,
	.nr_user_slots		= PPC_NR_USER_SLOTS,
	.readonly_mem		= false,
	.manual_dirty_log_protect = false,
	.clear_dirty_log	= false,
	.page_shift		= PPC_PAGE_SHIFT,
	.max_vcpus		= PPC_MAX_VCPUS,
	.max_vcpu_ids		= PPC_MAX_VCPU_IDS,
	.max_vcpu_create_id	= PPC_MAX_VCPUS,
	.vcpu_id_taken_einval	= true,
	.vcpu_mmap_pages	= PPC_VCPU_MMAP_PAGES,
	.ext_caps		= BIT_ULL(KVM_MEMSLOT_CAP_PPC_HCALL),
	.init_vm		= ppc_init_vm,
	.destroy_vm		= ppc_destroy_vm,
	.check_extension	= ppc_check_extension,
	.prepare_memory_region	= ppc_prepare_memory_region,
	.flush_memslot		= ppc_flush_memslot,
	.free_memslot		= ppc_free_memslot,
	.flush_all		= ppc_flush_all,
	.unmap_gfn_range	= ppc_unmap_gfn_range,
	.age_gfn_range		= ppc_age_gfn_range,
	.test_age_gfn_range	= ppc_test_age_gfn_range,
	.audit			= ppc_audit,
	.sync_dirty_log		= ppc_sync_dirty_log,
	.access_flags		= KVM_MEMSLOT_ACCESS_PPC_VIRT,
	.access			= ppc_access,
	.vm_ioctl		= ppc_vm_ioctl,
	.vcpu_ioctl		= ppc_vcpu_ioctl,
};

/**
 * kvm_memslot_ppc_backend_init() - register the PowerPC VM type
 *
 * Called once at module load (virt/kvm/memslot_backends.c).
 *
 * Return: 0 or the registry's errno.
 */
int kvm_memslot_ppc_backend_init(void)
{
	return kvm_memslot_register_backend(&kvm_memslot_ppc_ops);
}

/**
 * kvm_memslot_ppc_backend_exit() - unregister the PowerPC VM type
 */
void kvm_memslot_ppc_backend_exit(void)
{
	kvm_memslot_unregister_backend(&kvm_memslot_ppc_ops);
}
