// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: VM creation and the VM file descriptor.
 *
 * Validation order and errnos follow Linux 6.1's x86 KVM, so that a test
 * can point the same call at /dev/kvm and /dev/kvm-memslot and expect the
 * same result.
 */
#include <linux/anon_inodes.h>
#include <linux/compat.h>
#include <linux/cpumask.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/kvm_memslot.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_fd.h"

/**
 * kvm_memslot_check_extension() - answer KVM_CHECK_EXTENSION
 * @ops: the backend of the VM asked, or of the default type for the device;
 *       NULL if there is none, which supports nothing
 * @cap: a KVM_CAP_* number
 *
 * Only capabilities this module implements are reported, with the values
 * in-tree KVM gives for the architecture @ops models; everything else is
 * 0, because a client that sees a capability will use it.
 *
 * Return: the capability's value, 0 if it is not supported.
 */
long kvm_memslot_check_extension(const struct kvm_memslot_ops *ops, long cap)
{
	if (!ops)
		return 0;
	switch (cap) {
	case KVM_CAP_USER_MEMORY:
	case KVM_CAP_DESTROY_MEMORY_REGION_WORKS:
	case KVM_CAP_JOIN_MEMORY_REGIONS_WORKS:
	case KVM_CAP_SYNC_MMU:
	case KVM_CAP_CHECK_EXTENSION_VM:
	case KVM_CAP_ENABLE_CAP_VM:
	case KVM_CAP_BINARY_STATS_FD:
		return 1;
	case KVM_CAP_READONLY_MEM:
		return ops->readonly_mem;
	case KVM_CAP_NR_MEMSLOTS:
		return ops->nr_user_slots;
	case KVM_CAP_MULTI_ADDRESS_SPACE:
		/* KVM leaves it unanswered (0) with a single address space. */
		return ops->nr_address_spaces > 1 ? ops->nr_address_spaces : 0;
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		if (!ops->manual_dirty_log_protect)
			return 0;
		return KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
		       KVM_DIRTY_LOG_INITIALLY_SET;
	case KVM_CAP_NR_VCPUS:
		return min_t(unsigned int, num_online_cpus(), ops->max_vcpus);
	case KVM_CAP_MAX_VCPUS:
		return ops->max_vcpus;
	case KVM_CAP_MAX_VCPU_ID:
		return ops->max_vcpu_ids;
	case KVM_CAP_DIRTY_LOG_RING:
	case KVM_CAP_DIRTY_LOG_RING_ACQ_REL:
		return kvm_memslot_dirty_ring_check(ops, cap);
	default:
		/* The architecture's own capabilities (an IPA limit, ...). */
		return ops->check_extension ? ops->check_extension(ops, cap) : 0;
	}
}

/**
 * kvm_memslot_vm_get() - take a reference on a VM
 * @vm: the VM; the caller must already hold a reference
 */
void kvm_memslot_vm_get(struct kvm_memslot_host_vm *vm)
{
	kref_get(&vm->refcount);
}

static void kvm_memslot_vm_free(struct kref *kref)
{
	struct kvm_memslot_host_vm *vm =
		container_of(kref, struct kvm_memslot_host_vm, refcount);
	struct kvm_memslot_vcpu *vcpu;
	unsigned long id;

	/*
	 * First, so that no notifier callback runs on the VM any more: they
	 * use the slot sets and, to flush remote TLBs, the vCPUs.  This also
	 * removes every translation if the mm is still alive.
	 */
	kvm_memslot_mmu_notifier_unregister(vm);

	/* vCPUs may still point into the slot sets (their lookup hint). */
	xa_for_each(&vm->vcpus, id, vcpu)
		kvm_memslot_vcpu_free(vcpu);
	xa_destroy(&vm->vcpus);

	kvm_memslot_vm_destroy(&vm->core);
	/* After the slots: free_memslot may still use the backend's data. */
	if (vm->core.ops->destroy_vm)
		vm->core.ops->destroy_vm(&vm->core);
	mutex_destroy(&vm->lock);
	/* Only now: the core's MMU notifier needed the mm until destroy. */
	mmdrop(vm->mm);
	kfree(vm);
}

/**
 * kvm_memslot_vm_put() - drop a reference on a VM
 * @vm: the VM
 *
 * Dropping the last reference destroys the VM, its vCPUs and its slots,
 * so this may sleep.
 */
void kvm_memslot_vm_put(struct kvm_memslot_host_vm *vm)
{
	kref_put(&vm->refcount, kvm_memslot_vm_free);
}

static int kvm_memslot_vm_enable_cap(struct kvm_memslot_host_vm *vm,
				     const struct kvm_enable_cap *cap)
{
	u64 allowed;

	switch (cap->cap) {
	case KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2:
		if (!vm->core.ops->manual_dirty_log_protect)
			return -EINVAL;
		/* INITIALLY_SET only makes sense with manual protection. */
		allowed = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE;
		if (cap->args[0] & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE)
			allowed |= KVM_DIRTY_LOG_INITIALLY_SET;
		if (cap->flags || (cap->args[0] & ~allowed))
			return -EINVAL;

		/*
		 * Slot creation (INITIALLY_SET) and the dirty log ioctls read
		 * the mode under slots_lock; changing it there keeps each of
		 * them on one mode from start to end.
		 */
		mutex_lock(&vm->core.slots_lock);
		vm->core.manual_dirty_log_protect = cap->args[0];
		mutex_unlock(&vm->core.slots_lock);
		return 0;
	case KVM_CAP_DIRTY_LOG_RING:
	case KVM_CAP_DIRTY_LOG_RING_ACQ_REL:
		/* KVM takes the size as a u32: the upper bits are ignored. */
		return kvm_memslot_dirty_ring_enable(vm, (u32)cap->args[0]);
	default:
		/* What x86 KVM answers for every VM capability it lacks. */
		return -EINVAL;
	}
}

static long kvm_memslot_vm_ioctl(struct file *filp, unsigned int ioctl,
				 unsigned long arg)
{
	struct kvm_memslot_host_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	/*
	 * Slots hold host virtual addresses of the creator's mm; from any
	 * other mm they would name different memory.
	 */
	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_CREATE_VCPU:
		/* KVM takes the id as a u32 and ignores the upper bits. */
		return kvm_memslot_create_vcpu(vm, (u32)arg);
	case KVM_ENABLE_CAP: {
		struct kvm_enable_cap cap;

		if (copy_from_user(&cap, argp, sizeof(cap)))
			return -EFAULT;
		return kvm_memslot_vm_enable_cap(vm, &cap);
	}
	case KVM_SET_USER_MEMORY_REGION: {
		struct kvm_userspace_memory_region mem;

		if (copy_from_user(&mem, argp, sizeof(mem)))
			return -EFAULT;
		return kvm_memslot_set_user_region(&vm->core, &mem);
	}
	case KVM_GET_DIRTY_LOG: {
		struct kvm_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		/* The rings replace the bitmaps, after the copy as in KVM. */
		if (READ_ONCE(vm->dirty_ring_size))
			return -ENXIO;
		return kvm_memslot_get_dirty_log(&vm->core, &log);
	}
	case KVM_CLEAR_DIRTY_LOG: {
		struct kvm_clear_dirty_log log;

		/* Not an ioctl of the architecture: as unknown to it. */
		if (!vm->core.ops->clear_dirty_log)
			return -ENOTTY;
		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		if (READ_ONCE(vm->dirty_ring_size))
			return -ENXIO;
		return kvm_memslot_clear_dirty_log(&vm->core, &log);
	}
	case KVM_RESET_DIRTY_RINGS:
		return kvm_memslot_reset_dirty_rings(vm);
	case KVM_CHECK_EXTENSION:
		return kvm_memslot_check_extension(vm->core.ops, arg);
	case KVM_GET_STATS_FD:
		return kvm_memslot_vm_stats_fd(vm);
	case KVM_MEMSLOT_AUDIT:
		return kvm_memslot_audit(vm, argp);
	default:
		break;
	}

	/* The architecture's own VM ioctls (PowerPC's HTAB allocation). */
	if (vm->core.ops->vm_ioctl) {
		r = vm->core.ops->vm_ioctl(&vm->core, ioctl, arg);
		if (r != -ENOIOCTLCMD)
			return r;
	}
	/*
	 * Anything else gets x86 KVM's answer to a VM ioctl it does not
	 * know, which includes KVM_SET_USER_MEMORY_REGION2 (not in 6.1):
	 * -ENOTTY; or the backend's, for KVM's own ioctls (arm64's
	 * kvm_arch_vm_ioctl() answers -EINVAL).
	 */
	r = kvm_memslot_ext_vm_ioctl(vm, ioctl, arg);
	if (r == -ENOTTY && _IOC_TYPE(ioctl) != KVM_MEMSLOT_IO &&
	    vm->core.ops->unknown_vm_ioctl)
		r = vm->core.ops->unknown_vm_ioctl;
	return r;
}

#ifdef CONFIG_COMPAT
/*
 * The dirty log structures carry a user pointer in a 64-bit union; a
 * 32-bit caller fills only its low half, so rebuild the native structure.
 */
struct kvm_memslot_compat_dirty_log {
	__u32 slot;
	__u32 padding1;
	union {
		compat_uptr_t dirty_bitmap;
		__u64 padding2;
	};
};

struct kvm_memslot_compat_clear_dirty_log {
	__u32 slot;
	__u32 num_pages;
	__u64 first_page;
	union {
		compat_uptr_t dirty_bitmap;
		__u64 padding2;
	};
};

static long kvm_memslot_vm_compat_ioctl(struct file *filp, unsigned int ioctl,
					unsigned long arg)
{
	struct kvm_memslot_host_vm *vm = filp->private_data;
	void __user *argp = compat_ptr(arg);

	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_GET_DIRTY_LOG: {
		struct kvm_memslot_compat_dirty_log clog;
		struct kvm_dirty_log log = {};

		if (copy_from_user(&clog, argp, sizeof(clog)))
			return -EFAULT;
		log.slot = clog.slot;
		log.dirty_bitmap = compat_ptr(clog.dirty_bitmap);
		if (READ_ONCE(vm->dirty_ring_size))
			return -ENXIO;
		return kvm_memslot_get_dirty_log(&vm->core, &log);
	}
	case KVM_CLEAR_DIRTY_LOG: {
		struct kvm_memslot_compat_clear_dirty_log clog;
		struct kvm_clear_dirty_log log = {};

		if (!vm->core.ops->clear_dirty_log)
			return -ENOTTY;
		if (copy_from_user(&clog, argp, sizeof(clog)))
			return -EFAULT;
		log.slot = clog.slot;
		log.num_pages = clog.num_pages;
		log.first_page = clog.first_page;
		log.dirty_bitmap = compat_ptr(clog.dirty_bitmap);
		if (READ_ONCE(vm->dirty_ring_size))
			return -ENXIO;
		return kvm_memslot_clear_dirty_log(&vm->core, &log);
	}
	default:
		/* The other structures have the same layout in both ABIs. */
		return kvm_memslot_vm_ioctl(filp, ioctl, arg);
	}
}
#endif

static int kvm_memslot_vm_release(struct inode *inode, struct file *filp)
{
	kvm_memslot_vm_put(filp->private_data);
	return 0;
}

static const struct file_operations kvm_memslot_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= kvm_memslot_vm_release,
	.unlocked_ioctl	= kvm_memslot_vm_ioctl,
#ifdef CONFIG_COMPAT
	.compat_ioctl	= kvm_memslot_vm_compat_ioctl,
#endif
	.llseek		= noop_llseek,
};

/**
 * kvm_memslot_create_vm() - KVM_CREATE_VM on /dev/kvm-memslot
 * @type: the VM type, which selects the backend
 *
 * The VM belongs to the calling process's mm.  It lives until its VM fd
 * and all of its vCPU fds are closed.
 *
 * The fd is reserved before anything else, as in-tree KVM does: a caller
 * whose fd table is full gets EMFILE whatever the type, before the type is
 * looked at.
 *
 * Return: the new VM fd, or a negative errno: EMFILE (or ENFILE) when no
 * fd is free, then EINVAL for an unknown type, as in-tree x86 KVM.
 */
int kvm_memslot_create_vm(unsigned long type)
{
	const struct kvm_memslot_ops *ops;
	struct kvm_memslot_host_vm *vm;
	struct file *file;
	int fd, r;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	ops = kvm_memslot_backend(type);
	r = -EINVAL;
	if (!ops)
		goto err_put_fd;

	r = -ENOMEM;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		goto err_put_fd;

	vm->type = type;
	kref_init(&vm->refcount);
	mutex_init(&vm->lock);
	xa_init(&vm->vcpus);
	vm->mm = current->mm;
	mmgrab(vm->mm);
	snprintf(vm->stats_id, sizeof(vm->stats_id), "kvm-%d",
		 task_pid_nr(current));
	kvm_memslot_notice_init(vm);

	r = kvm_memslot_vm_init(&vm->core, ops, NULL);
	if (r)
		goto err_free;
	/* The backend's per-VM data, and the parameters in @type. */
	if (ops->init_vm) {
		r = ops->init_vm(&vm->core, type);
		if (r) {
			/* The backend has nothing of this VM to flush. */
			kvm_memslot_vm_uninit(&vm->core);
			goto err_free;
		}
	}

	/* Translations are coherent with the host mm from the start. */
	r = kvm_memslot_mmu_notifier_register(vm);
	if (r)
		goto err_destroy;

	/* Once the file exists, only its release may free the VM. */
	file = anon_inode_getfile("kvm-vm", &kvm_memslot_vm_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		goto err_unregister;
	}
	fd_install(fd, file);
	return fd;

err_unregister:
	kvm_memslot_mmu_notifier_unregister(vm);
err_destroy:
	kvm_memslot_vm_destroy(&vm->core);
	if (ops->destroy_vm)
		ops->destroy_vm(&vm->core);
err_free:
	mutex_destroy(&vm->lock);
	mmdrop(vm->mm);
	kfree(vm);
err_put_fd:
	put_unused_fd(fd);
	return r;
}
