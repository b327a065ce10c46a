// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM fd extension ioctls about the slot layout and the update protocol:
 * the atomic batch of changes and a read-out of the layout.
 */

#include <linux/kvm.h>
#include <linux/kvm_memslot.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_fd.h"

static long kvm_memslot_ioctl_set_regions(struct kvm_memslot_vm *vm,
					  void __user *argp)
{
	struct kvm_memslot_regions __user *uarg = argp;
	struct kvm_userspace_memory_region *mems;
	struct kvm_memslot_regions batch;
	unsigned int failed = 0;
	long r;

	if (copy_from_user(&batch, uarg, sizeof(batch)))
		return -EFAULT;
	if (batch.nr > KVM_MEMSLOT_MAX_BATCH)
		return -E2BIG;
	if (!batch.nr)
		return 0;

	mems = vmemdup_user(u64_to_user_ptr(batch.regions),
			    array_size(batch.nr, sizeof(*mems)));
	if (IS_ERR(mems))
		return PTR_ERR(mems);

	r = kvm_memslot_set_regions(vm, mems, batch.nr, &failed);
	kvfree(mems);
	if (r && put_user(failed, &uarg->failed))
		return -EFAULT;
	return r;
}

struct kvm_memslot_layout_fill {
	struct kvm_memslot_slot_info *info;
	unsigned int nr;
};

static int kvm_memslot_layout_one(struct kvm_memory_slot *slot, void *data)
{
	struct kvm_memslot_layout_fill *fill = data;
	struct kvm_memslot_slot_info *info = &fill->info[fill->nr++];

	info->slot = (u32)slot->as_id << 16 | slot->id;
	info->flags = slot->flags & (KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY);
	info->guest_phys_addr = slot->base_gfn << slot->page_shift;
	info->memory_size = (u64)slot->npages << slot->page_shift;
	info->userspace_addr = slot->userspace_addr;
	return 0;
}

static long kvm_memslot_ioctl_get_slots(struct kvm_memslot_vm *vm,
					void __user *argp)
{
	struct kvm_memslot_layout_fill fill = {};
	struct kvm_memslot_layout layout;
	struct kvm_memslots *slots;
	long r = 0;

	if (copy_from_user(&layout, argp, sizeof(layout)))
		return -EFAULT;
	if (layout.as_id >= vm->ops->nr_address_spaces)
		return -EINVAL;

	/* slots_lock holds the layout still while it is read. */
	mutex_lock(&vm->slots_lock);
	slots = kvm_memslots_get(vm, layout.as_id);
	if (slots->nr_slots > layout.nr) {
		layout.nr = slots->nr_slots;
		r = -E2BIG;
		goto out;
	}
	fill.info = kvcalloc(slots->nr_slots, sizeof(*fill.info),
			     GFP_KERNEL_ACCOUNT);
	if (slots->nr_slots && !fill.info) {
		r = -ENOMEM;
		goto out;
	}
	kvm_memslot_visit_all(slots, kvm_memslot_layout_one, &fill);
	layout.nr = fill.nr;
	layout.generation = slots->generation;
out:
	mutex_unlock(&vm->slots_lock);
	if (!r && copy_to_user(u64_to_user_ptr(layout.slots), fill.info,
			       array_size(fill.nr, sizeof(*fill.info))))
		r = -EFAULT;
	kvfree(fill.info);
	if (r != -EFAULT && r != -ENOMEM &&
	    copy_to_user(argp, &layout, sizeof(layout)))
		r = -EFAULT;
	return r;
}

/**
 * kvm_memslot_ext_vm_ioctl() - the memslot extension ioctls of a VM fd
 * @vm:   the VM, owned by the caller's mm
 * @ioctl: the ioctl number
 * @arg:  its argument
 *
 * Return: the ioctl's result, or -ENOTTY if @ioctl is not one of them.
 */
long kvm_memslot_ext_vm_ioctl(struct kvm_memslot_host_vm *vm,
			      unsigned int ioctl, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case KVM_MEMSLOT_CHECK_EXTENSION:
		return kvm_memslot_vm_ext_cap(vm->core.ops, arg);
	case KVM_MEMSLOT_GET_STATS_FD:
		/* The name this module gave KVM_GET_STATS_FD before it had it. */
		return kvm_memslot_vm_stats_fd(vm);
	case KVM_MEMSLOT_GET_SLOTS:
		return kvm_memslot_ioctl_get_slots(&vm->core, argp);
	case KVM_MEMSLOT_SET_REGIONS:
		return kvm_memslot_ioctl_set_regions(&vm->core, argp);
	case KVM_MEMSLOT_CREATE_NOTICE_FD:
		return kvm_memslot_notice_create_fd(vm, arg);
	case KVM_MEMSLOT_SET_NOTICE_TIMEOUT:
		return kvm_memslot_notice_set_timeout(vm, arg);
	case KVM_MEMSLOT_CREATE_GPC:
		return kvm_memslot_gpc_create_fd(vm, argp);
	default:
		return -ENOTTY;
	}
}
