// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: KVM_MEMSLOT_CHECK_EXTENSION, which extensions a VM has and
 * which the module offers.
 *
 * A VM's answers come from its backend's ops: the core answers for the
 * extensions it implements, according to what the backend provides (a
 * backend that keeps no translations has no vCPU accesses), and the
 * backend's @ext_caps say which of its own ioctls it has.  The device's
 * answer combines those of every registered backend, so a module built
 * without a backend reports neither its VM type nor what only it has.
 */
#include <linux/bitops.h>
#include <linux/kvm_memslot.h>
#include <linux/minmax.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_fd.h"

/**
 * kvm_memslot_vm_ext_cap() - KVM_MEMSLOT_CHECK_EXTENSION on a VM fd
 * @ops: the VM's backend
 * @cap: a KVM_MEMSLOT_CAP_* number
 *
 * Return: the capability's value for a VM of @ops, as the uapi header
 * describes it; 0 if the VM does not have it or @cap is unknown.
 */
long kvm_memslot_vm_ext_cap(const struct kvm_memslot_ops *ops,
			    unsigned long cap)
{
	switch (cap) {
	case KVM_MEMSLOT_CAP_SET_REGIONS:
		return KVM_MEMSLOT_MAX_BATCH;
	case KVM_MEMSLOT_CAP_GET_SLOTS:
	case KVM_MEMSLOT_CAP_GPC:
	case KVM_MEMSLOT_CAP_AUDIT:
	case KVM_MEMSLOT_CAP_STATS_FD:
		return 1;
	case KVM_MEMSLOT_CAP_VCPU_ACCESS:
		if (!kvm_memslot_vcpu_access_supported(ops))
			return 0;
		return KVM_MEMSLOT_ACCESS_WRITE | ops->access_flags;
	case KVM_MEMSLOT_CAP_NOTICE_FD:
		return KVM_MEMSLOT_MAX_NOTICE_FDS;
	case KVM_MEMSLOT_CAP_VM_TYPES:
		return ops->vm_type_bit;
	default:
		/* The architecture's own extension ioctls. */
		if (cap >= BITS_PER_TYPE(ops->ext_caps))
			return 0;
		return !!(ops->ext_caps & BIT_ULL(cap));
	}
}

/**
 * kvm_memslot_dev_ext_cap() - KVM_MEMSLOT_CHECK_EXTENSION on /dev/kvm-memslot
 * @cap: a KVM_MEMSLOT_CAP_* number
 *
 * What a VM of some type the device creates has: the union of the VMs'
 * values for a capability whose value is a set of bits (the VM types, the
 * access flags), the largest for the others.
 *
 * Return: the capability's value, 0 if no VM type has it or @cap is
 * unknown.
 */
long kvm_memslot_dev_ext_cap(unsigned long cap)
{
	const struct kvm_memslot_ops *ops;
	unsigned int i;
	long v, r = 0;

	for (i = 0; (ops = kvm_memslot_backend_at(i)); i++) {
		v = kvm_memslot_vm_ext_cap(ops, cap);
		if (cap == KVM_MEMSLOT_CAP_VM_TYPES ||
		    cap == KVM_MEMSLOT_CAP_VCPU_ACCESS)
			r |= v;
		else
			r = max(r, v);
	}
	return r;
}
