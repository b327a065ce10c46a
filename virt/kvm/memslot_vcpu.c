// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: vCPU creation and the vCPU file descriptor.
 *
 * A vCPU exists so that guest accesses can be simulated from it.  Beyond
 * KVM's creation limits and errnos it offers what a KVM client expects of
 * any vCPU fd before it runs one: the kvm_run area to map, and
 * KVM_SET_SIGNAL_MASK.  The accesses themselves (KVM_MEMSLOT_VCPU_ACCESS)
 * are in memslot_access.c.
 */
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/kvm.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_fd.h"

static vm_fault_t kvm_memslot_vcpu_fault(struct vm_fault *vmf)
{
	struct kvm_memslot_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	page = kvm_memslot_dirty_ring_page(vcpu, vmf->pgoff);
	if (!page) {
		/* Beyond the mapped pages, as KVM does. */
		if (vmf->pgoff >= vcpu->vm->core.ops->vcpu_mmap_pages)
			return VM_FAULT_SIGBUS;
		page = vcpu->pages[vmf->pgoff];
	}
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct kvm_memslot_vcpu_vm_ops = {
	.fault = kvm_memslot_vcpu_fault,
};

static int kvm_memslot_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct kvm_memslot_vcpu *vcpu = filp->private_data;
	unsigned long last = vma->vm_pgoff + vma_pages(vma) - 1;

	/*
	 * The ring is the protocol between the vCPU and one collector: as in
	 * KVM, a mapping of it must be shared, and never executable.
	 */
	if ((kvm_memslot_dirty_ring_page(vcpu, vma->vm_pgoff) ||
	     kvm_memslot_dirty_ring_page(vcpu, last)) &&
	    ((vma->vm_flags & VM_EXEC) || !(vma->vm_flags & VM_SHARED)))
		return -EINVAL;
	vma->vm_ops = &kvm_memslot_vcpu_vm_ops;
	return 0;
}

static long kvm_memslot_vcpu_set_sigmask(struct kvm_memslot_vcpu *vcpu,
					 void __user *argp)
{
	struct kvm_signal_mask __user *umask = argp;
	struct kvm_signal_mask kmask;
	sigset_t sigset;

	/* NULL removes the mask. */
	if (!argp) {
		vcpu->sigset_active = false;
		return 0;
	}

	if (copy_from_user(&kmask, umask, sizeof(kmask)))
		return -EFAULT;
	if (kmask.len != sizeof(sigset))
		return -EINVAL;
	if (copy_from_user(&sigset, umask->sigset, sizeof(sigset)))
		return -EFAULT;

	/* A vCPU thread must stay killable and stoppable. */
	sigdelsetmask(&sigset, sigmask(SIGKILL) | sigmask(SIGSTOP));
	vcpu->sigset = sigset;
	vcpu->sigset_active = true;
	return 0;
}

static long kvm_memslot_vcpu_ioctl(struct file *filp, unsigned int ioctl,
				   unsigned long arg)
{
	struct kvm_memslot_vcpu *vcpu = filp->private_data;
	long r;

	/* As for the VM fd: guest memory is named in the creator's mm. */
	if (vcpu->vm->mm != current->mm)
		return -EIO;

	/* What x86 KVM answers for a vCPU ioctl it does not know. */
	if (_IOC_TYPE(ioctl) != KVMIO && _IOC_TYPE(ioctl) != KVM_MEMSLOT_IO)
		return -EINVAL;

	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;

	switch (ioctl) {
	case KVM_SET_SIGNAL_MASK:
		r = kvm_memslot_vcpu_set_sigmask(vcpu, (void __user *)arg);
		break;
	case KVM_MEMSLOT_VCPU_ACCESS:
		r = kvm_memslot_vcpu_access(vcpu, (void __user *)arg);
		break;
	case KVM_GET_STATS_FD:
		r = kvm_memslot_vcpu_stats_fd(vcpu);
		break;
	default:
		r = -ENOIOCTLCMD;
		/* The architecture's extensions (PowerPC's hypercalls). */
		if (vcpu->vm->core.ops->vcpu_ioctl)
			r = vcpu->vm->core.ops->vcpu_ioctl(&vcpu->vm->core,
							   &vcpu->hint, ioctl,
							   arg);
		if (r == -ENOIOCTLCMD)
			r = -EINVAL;
		break;
	}

	mutex_unlock(&vcpu->mutex);
	return r;
}

static int kvm_memslot_vcpu_release(struct inode *inode, struct file *filp)
{
	struct kvm_memslot_vcpu *vcpu = filp->private_data;

	/* The vCPU itself lives on until the VM is destroyed, as in KVM. */
	kvm_memslot_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations kvm_memslot_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= kvm_memslot_vcpu_release,
	.unlocked_ioctl	= kvm_memslot_vcpu_ioctl,
	/*
	 * kvm_signal_mask and kvm_memslot_access have the same layout for
	 * 32-bit callers.
	 */
	.compat_ioctl	= kvm_memslot_vcpu_ioctl,
	.mmap		= kvm_memslot_vcpu_mmap,
	.llseek		= noop_llseek,
};

static struct kvm_memslot_vcpu *kvm_memslot_vcpu_alloc(struct kvm_memslot_host_vm *vm,
						       u32 id)
{
	struct kvm_memslot_vcpu *vcpu;
	int i;

	vcpu = kzalloc(sizeof(*vcpu), GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = id;
	mutex_init(&vcpu->mutex);
	/* KVM names a vCPU's statistics after the task that created it. */
	snprintf(vcpu->stats_id, sizeof(vcpu->stats_id), "kvm-%d/vcpu-%u",
		 task_pid_nr(current), id);

	/*
	 * Separate zeroed pages, so that each offset of the vCPU fd maps
	 * exactly one and userspace sees only what is meant for it.  Past
	 * struct kvm_run they stay empty: whatever the architecture keeps
	 * there (x86: the port I/O page and the coalesced MMIO ring) is not
	 * offered.
	 */
	for (i = 0; i < vm->core.ops->vcpu_mmap_pages; i++) {
		vcpu->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!vcpu->pages[i]) {
			kvm_memslot_vcpu_free(vcpu);
			return NULL;
		}
	}
	vcpu->run = page_address(vcpu->pages[KVM_MEMSLOT_VCPU_RUN_PAGE]);

	/* Allocated once: a guest access must not fail for lack of memory. */
	vcpu->bounce = (void *)__get_free_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->bounce || kvm_memslot_dirty_ring_alloc(vcpu)) {
		kvm_memslot_vcpu_free(vcpu);
		return NULL;
	}
	return vcpu;
}

/**
 * kvm_memslot_create_vcpu() - KVM_CREATE_VCPU on a VM fd
 * @vm: the VM; the caller holds a reference (its VM fd)
 * @id: the vCPU id
 *
 * Checks in the order 6.1 x86 KVM does, so that a call that breaks two
 * rules gets the same errno from both.
 *
 * Return: the new vCPU fd, or a negative errno: EINVAL if @id is not
 * below the backend's max_vcpu_ids or the VM already has max_vcpus
 * vCPUs, EEXIST if @id is taken, ENOMEM.
 */
int kvm_memslot_create_vcpu(struct kvm_memslot_host_vm *vm, u32 id)
{
	struct kvm_memslot_vcpu *vcpu;
	char name[sizeof("kvm-vcpu:4294967295")];
	int r;

	if (id >= vm->core.ops->max_vcpu_ids ||
	    (vm->core.ops->max_vcpu_create_id &&
	     id >= vm->core.ops->max_vcpu_create_id))
		return -EINVAL;

	/*
	 * Count the vCPU before allocating it, so that concurrent creations
	 * cannot overshoot the limit while they allocate.
	 */
	mutex_lock(&vm->lock);
	if (vm->created_vcpus >= vm->core.ops->max_vcpus) {
		mutex_unlock(&vm->lock);
		return -EINVAL;
	}
	vm->created_vcpus++;
	mutex_unlock(&vm->lock);

	vcpu = kvm_memslot_vcpu_alloc(vm, id);
	if (!vcpu) {
		r = -ENOMEM;
		goto err_uncount;
	}

	mutex_lock(&vm->lock);
	r = xa_insert(&vm->vcpus, id, vcpu, GFP_KERNEL_ACCOUNT);
	if (r) {
		if (r == -EBUSY)
			r = vm->core.ops->vcpu_id_taken_einval ? -EINVAL : -EEXIST;
		goto err_unlock;
	}

	/*
	 * The reference must exist before the fd does: another thread may
	 * close the fd as soon as it is installed.
	 */
	kvm_memslot_vm_get(vm);
	snprintf(name, sizeof(name), "kvm-vcpu:%u", id);
	r = anon_inode_getfd(name, &kvm_memslot_vcpu_fops, vcpu,
			     O_RDWR | O_CLOEXEC);
	if (r < 0) {
		xa_erase(&vm->vcpus, id);
		mutex_unlock(&vm->lock);
		/* A remote TLB flush may still be reading it. */
		synchronize_rcu();
		/* Never the last reference: the caller still holds one. */
		kvm_memslot_vm_put(vm);
		kvm_memslot_vcpu_free(vcpu);
		goto err_uncount;
	}
	mutex_unlock(&vm->lock);
	return r;

err_unlock:
	mutex_unlock(&vm->lock);
	kvm_memslot_vcpu_free(vcpu);
err_uncount:
	mutex_lock(&vm->lock);
	vm->created_vcpus--;
	mutex_unlock(&vm->lock);
	return r;
}

/**
 * kvm_memslot_vcpu_free() - free a vCPU
 * @vcpu: the vCPU; its fd is closed (or was never created) and nothing
 *        else uses it
 *
 * A mapping of the vCPU fd holds the file, so no mapping is left either.
 */
void kvm_memslot_vcpu_free(struct kvm_memslot_vcpu *vcpu)
{
	int i;

	for (i = 0; i < KVM_MEMSLOT_VCPU_MAX_MMAP_PAGES; i++)
		if (vcpu->pages[i])
			__free_page(vcpu->pages[i]);
	free_page((unsigned long)vcpu->bounce);
	kvm_memslot_dirty_ring_free(vcpu);
	kvm_memslot_mmu_cache_free(&vcpu->mmu_cache);
	mutex_destroy(&vcpu->mutex);
	kfree(vcpu);
}
