// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: KVM_MEMSLOT_AUDIT, the backend's invariant audit on demand.
 */
#include <linux/kvm_memslot.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/uaccess.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_fd.h"

/**
 * kvm_memslot_audit() - KVM_MEMSLOT_AUDIT on a VM fd
 * @hvm:  the VM
 * @argp: user pointer to struct kvm_memslot_audit
 *
 * Runs the backend's audit with slots_lock held, so that no update is
 * half done (between the INVALID publish and the flush of a delete, stale
 * translations legitimately exist), and with mmu_lock held, so that no
 * fault or invalidation is half done either.
 *
 * Return: 0 with the violation count written out, or -EFAULT.
 */
long kvm_memslot_audit(struct kvm_memslot_host_vm *hvm, void __user *argp)
{
	struct kvm_memslot_vm *vm = &hvm->core;
	struct kvm_memslot_audit audit = {};
	int idx;

	if (vm->ops->audit) {
		mutex_lock(&vm->slots_lock);
		idx = srcu_read_lock(&vm->srcu);
		spin_lock(&vm->mmu_lock);
		audit.violations = vm->ops->audit(vm);
		spin_unlock(&vm->mmu_lock);
		srcu_read_unlock(&vm->srcu, idx);
		mutex_unlock(&vm->slots_lock);
	}

	if (copy_to_user(argp, &audit, sizeof(audit)))
		return -EFAULT;
	return 0;
}
