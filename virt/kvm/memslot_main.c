// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: module entry points and the /dev/kvm-memslot device.
 *
 * The device answers the system ioctls of KVM's ABI that a memslot client
 * needs, with KVM's numbers and the semantics Linux 6.1 gives them for the
 * architecture the default VM type (0) models, so a program written for
 * /dev/kvm runs unchanged by opening /dev/kvm-memslot instead.
 */
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <uapi/linux/kvm_memslot.h>

/* The one file that instantiates the tracepoints the core fires. */
#define CREATE_TRACE_POINTS
#include <trace/events/kvm_memslot.h>

#include "memslot_fd.h"

static long kvm_memslot_dev_ioctl(struct file *filp, unsigned int ioctl,
				  unsigned long arg)
{
	const struct kvm_memslot_ops *ops;

	switch (ioctl) {
	case KVM_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return KVM_API_VERSION;
	case KVM_CREATE_VM:
		return kvm_memslot_create_vm(arg);
	case KVM_CHECK_EXTENSION:
		/*
		 * Before a VM exists there is no backend to ask; answer for
		 * the default type, which is what a /dev/kvm client gets.
		 */
		return kvm_memslot_check_extension(kvm_memslot_backend(0), arg);
	case KVM_MEMSLOT_CHECK_EXTENSION:
		/* Unlike KVM's, this one answers for every VM type. */
		return kvm_memslot_dev_ext_cap(arg);
	case KVM_GET_VCPU_MMAP_SIZE:
		ops = kvm_memslot_backend(0);
		if (arg || !ops)
			return -EINVAL;
		return ops->vcpu_mmap_pages * PAGE_SIZE;
	case KVM_TRACE_ENABLE:
	case KVM_TRACE_PAUSE:
	case KVM_TRACE_DISABLE:
		/* Long gone, but 6.1 KVM still tells them apart from EINVAL. */
		return -EOPNOTSUPP;
	default:
		/* x86 KVM's answer to a system ioctl it does not know. */
		return -EINVAL;
	}
}

static const struct file_operations kvm_memslot_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= kvm_memslot_dev_ioctl,
	/* Every system ioctl takes a scalar, so 32-bit callers need no help. */
	.compat_ioctl	= kvm_memslot_dev_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice kvm_memslot_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kvm-memslot",
	/*
	 * No .mode: as for /dev/kvm, who may open the node is policy, set by
	 * udev (udev/65-kvm-memslot.rules gives it /dev/kvm's root:kvm 0660).
	 * Without udev, devtmpfs makes it 0600.
	 */
	.fops	= &kvm_memslot_dev_fops,
};

static int __init kvm_memslot_init(void)
{
	int r;

	r = kvm_memslot_tree_init();
	if (r)
		return r;
	r = kvm_memslot_backends_init();
	if (r)
		goto err_tree;
	r = misc_register(&kvm_memslot_dev);
	if (r)
		goto err_backends;
	return 0;

err_backends:
	kvm_memslot_backends_exit();
err_tree:
	kvm_memslot_tree_exit();
	return r;
}

/*
 * Every VM and vCPU file pins the module through its f_op->owner, so by
 * the time this runs no VM is left and nothing but the device to remove.
 */
static void __exit kvm_memslot_exit(void)
{
	misc_deregister(&kvm_memslot_dev);
	kvm_memslot_backends_exit();
	kvm_memslot_tree_exit();
}

module_init(kvm_memslot_init);
module_exit(kvm_memslot_exit);

MODULE_DESCRIPTION("KVM guest memory slots on /dev/kvm-memslot");
MODULE_LICENSE("GPL");
