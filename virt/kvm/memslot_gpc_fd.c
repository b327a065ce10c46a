// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: gfn_to_pfn caches as file descriptors.
 *
 * pfncache.c is the cache (its host pages come from memslot_host_mm.c, its
 * invalidations from the VM's MMU notifier); this file gives userspace a
 * cache to drive: KVM_MEMSLOT_CREATE_GPC returns a file whose
 * read() and write() use the cache exactly as an in-kernel user of guest
 * memory does (check under the read lock, access through the page,
 * refresh on a miss), so that tests can change the host mm and the slot
 * layout under it and see what it reaches.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_pfncache.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_fd.h"

/*
 * Misses a read() or write() refreshes before it gives up with -EAGAIN:
 * each refresh succeeded, so only a host that changes the page between a
 * refresh and the very next check, over and over, gets there.
 */
#define GPC_FD_MAX_MISSES	10

/* A cache as a file. */
struct gpc_file {
	struct kvm_memslot_host_vm *vm;
	struct kvm_memslot_gpc gpc;
	u32 flags;
	/* Serializes users of @bounce. */
	struct mutex io_lock;
	/* User data is copied here outside the cache's lock, which spins. */
	void *bounce;
};

/*
 * Copy between the cached range at @off and @gf->bounce, as an in-kernel
 * user would: check, access, and on a miss refresh and check again.  The
 * VM's SRCU read lock is held across check and access so that a slot
 * update that made the check stale waits for the access before it flushes
 * the old slot.
 */
static int gpc_file_access(struct gpc_file *gf, unsigned int off,
			   unsigned int len, bool write)
{
	struct kvm_memslot_gpc *gpc = &gf->gpc;
	struct kvm_memslot_vm *vm = &gf->vm->core;
	int misses, idx, r;
	bool hit;
	void *va;

	for (misses = 0; misses < GPC_FD_MAX_MISSES; misses++) {
		idx = srcu_read_lock(&vm->srcu);
		read_lock(&gpc->lock);
		hit = kvm_memslot_gpc_check(gpc);
		if (hit) {
			va = kmap_local_pfn(gpc->pfn);
			va += offset_in_page(gpc->gpa) + off;
			if (write) {
				memcpy(va, gf->bounce, len);
				kvm_memslot_gpc_mark_dirty(gpc);
			} else {
				memcpy(gf->bounce, va, len);
			}
			kunmap_local(va);
		}
		read_unlock(&gpc->lock);
		srcu_read_unlock(&vm->srcu, idx);
		if (hit)
			return 0;

		r = kvm_memslot_gpc_refresh(gpc);
		if (r)
			return r;
	}
	return -EAGAIN;
}

/*
 * The part of [@pos, @pos + @count) inside the cached range, or 0 at or
 * beyond its end.
 */
static size_t gpc_file_clamp(struct gpc_file *gf, loff_t pos, size_t count)
{
	if (pos < 0 || pos >= gf->gpc.len)
		return 0;
	return min_t(size_t, count, gf->gpc.len - pos);
}

static ssize_t gpc_file_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct gpc_file *gf = file->private_data;
	size_t len = gpc_file_clamp(gf, *ppos, count);
	int r;

	if (current->mm != gf->vm->mm)
		return -EIO;
	if (!len)
		return 0;

	mutex_lock(&gf->io_lock);
	r = gpc_file_access(gf, *ppos, len, false);
	if (!r && copy_to_user(buf, gf->bounce, len))
		r = -EFAULT;
	mutex_unlock(&gf->io_lock);
	if (r)
		return r;
	*ppos += len;
	return len;
}

static ssize_t gpc_file_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct gpc_file *gf = file->private_data;
	size_t len = gpc_file_clamp(gf, *ppos, count);
	int r;

	if (current->mm != gf->vm->mm)
		return -EIO;
	if (!len)
		return count ? -ENOSPC : 0;

	mutex_lock(&gf->io_lock);
	r = copy_from_user(gf->bounce, buf, len) ? -EFAULT : 0;
	if (!r)
		r = gpc_file_access(gf, *ppos, len, true);
	mutex_unlock(&gf->io_lock);
	if (r)
		return r;
	*ppos += len;
	return len;
}

static long gpc_file_get_state(struct gpc_file *gf, void __user *argp)
{
	struct kvm_memslot_gpc *gpc = &gf->gpc;
	struct kvm_memslot_gpc_state state = {
		.gpa = gpc->gpa,
		.len = gpc->len,
		.flags = gf->flags,
	};

	/* The counters change under refresh_lock; a snapshot of all of them. */
	mutex_lock(&gpc->refresh_lock);
	read_lock(&gpc->lock);
	state.valid = kvm_memslot_gpc_check(gpc);
	state.generation = gpc->generation;
	state.pfn_generation = gpc->fills;
	state.invalidations = gpc->invalidations;
	read_unlock(&gpc->lock);
	state.retries = gpc->retries;
	state.as_id = gpc->as_id;
	state.last_error = gpc->last_error;
	mutex_unlock(&gpc->refresh_lock);

	return copy_to_user(argp, &state, sizeof(state)) ? -EFAULT : 0;
}

static long gpc_file_bench(struct gpc_file *gf, void __user *argp)
{
	struct kvm_memslot_gpc *gpc = &gf->gpc;
	struct kvm_memslot_gpc_bench bench;
	u32 i, hits = 0;
	u64 t0, check_ns = 0;
	int r;

	if (copy_from_user(&bench, argp, sizeof(bench)))
		return -EFAULT;
	if (bench.iterations > KVM_MEMSLOT_GPC_BENCH_MAX)
		return -EINVAL;
	bench.refresh_ns = 0;

	t0 = ktime_get_ns();
	for (i = 0; i < bench.iterations; i++) {
		read_lock(&gpc->lock);
		hits += kvm_memslot_gpc_check(gpc);
		read_unlock(&gpc->lock);
		/* Between chunks, off the clock: a long run stays preemptible. */
		if (!((i + 1) % 4096)) {
			check_ns += ktime_get_ns() - t0;
			cond_resched();
			t0 = ktime_get_ns();
		}
	}
	check_ns += ktime_get_ns() - t0;

	for (i = 0; i < bench.iterations; i++) {
		t0 = ktime_get_ns();
		r = kvm_memslot_gpc_refresh(gpc);
		bench.refresh_ns += ktime_get_ns() - t0;
		if (r)
			return r;
		/* A million refreshes take seconds: stay preemptible and killable. */
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	bench.check_ns = check_ns;
	bench.hits = hits;
	memset(bench.reserved, 0, sizeof(bench.reserved));

	return copy_to_user(argp, &bench, sizeof(bench)) ? -EFAULT : 0;
}

static long gpc_file_ioctl(struct file *file, unsigned int ioctl,
			   unsigned long arg)
{
	struct gpc_file *gf = file->private_data;
	void __user *argp = (void __user *)arg;

	if (current->mm != gf->vm->mm)
		return -EIO;

	switch (ioctl) {
	case KVM_MEMSLOT_GPC_GET_STATE:
		return gpc_file_get_state(gf, argp);
	case KVM_MEMSLOT_GPC_REFRESH:
		return kvm_memslot_gpc_refresh(&gf->gpc);
	case KVM_MEMSLOT_GPC_BENCH:
		return gpc_file_bench(gf, argp);
	default:
		return -ENOTTY;
	}
}

static int gpc_file_release(struct inode *inode, struct file *file)
{
	struct gpc_file *gf = file->private_data;

	kvm_memslot_gpc_deactivate(&gf->gpc);
	mutex_destroy(&gf->gpc.refresh_lock);
	mutex_destroy(&gf->io_lock);
	kvm_memslot_vm_put(gf->vm);
	kfree(gf->bounce);
	kfree(gf);
	return 0;
}

static const struct file_operations gpc_file_fops = {
	.owner		= THIS_MODULE,
	.read		= gpc_file_read,
	.write		= gpc_file_write,
	.unlocked_ioctl	= gpc_file_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= gpc_file_release,
	.llseek		= default_llseek,
};

/**
 * kvm_memslot_gpc_create_fd() - KVM_MEMSLOT_CREATE_GPC on a VM fd
 * @hvm:  the VM, owned by the caller's mm
 * @argp: user pointer to struct kvm_memslot_gpc_create
 *
 * Return: the new cache's file descriptor, or -EFAULT, -EINVAL (unknown
 * flags, non-zero reserved fields, an address space the VM lacks, an
 * empty range or one crossing a page boundary), -ENOMEM, -EMFILE.
 */
long kvm_memslot_gpc_create_fd(struct kvm_memslot_host_vm *hvm,
			       void __user *argp)
{
	struct kvm_memslot_gpc_create args;
	struct gpc_file *gf;
	struct file *file;
	int as_id, fd, r;

	if (copy_from_user(&args, argp, sizeof(args)))
		return -EFAULT;
	if (args.flags & ~KVM_MEMSLOT_GPC_WRITE || args.pad ||
	    args.reserved[0] || args.reserved[1] || args.reserved[2])
		return -EINVAL;
	as_id = args.as_id;
	if (as_id >= hvm->core.ops->nr_address_spaces)
		return -EINVAL;
	/* activate() checks the same; failing before allocating is cheaper. */
	if (!args.len || args.len > PAGE_SIZE - offset_in_page(args.gpa))
		return -EINVAL;

	gf = kzalloc(sizeof(*gf), GFP_KERNEL_ACCOUNT);
	if (!gf)
		return -ENOMEM;
	gf->bounce = kmalloc(args.len, GFP_KERNEL_ACCOUNT);
	if (!gf->bounce) {
		r = -ENOMEM;
		goto err_free;
	}
	gf->vm = hvm;
	gf->flags = args.flags;
	mutex_init(&gf->io_lock);
	kvm_memslot_gpc_init(&gf->gpc, &hvm->core, as_id,
			     args.flags & KVM_MEMSLOT_GPC_WRITE);
	r = kvm_memslot_gpc_activate(&gf->gpc, args.gpa, args.len);
	if (r)
		goto err_destroy;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_deactivate;
	}
	/* A read cache's file cannot be written: the VFS says EBADF. */
	file = anon_inode_getfile("kvm-memslot-gpc", &gpc_file_fops, gf,
				  args.flags & KVM_MEMSLOT_GPC_WRITE ?
				  O_RDWR : O_RDONLY);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		goto err_put_fd;
	}
	file->f_mode |= FMODE_PREAD | FMODE_PWRITE | FMODE_LSEEK;
	/* From here on, only the file's release frees @gf. */
	kvm_memslot_vm_get(hvm);
	fd_install(fd, file);
	return fd;

err_put_fd:
	put_unused_fd(fd);
err_deactivate:
	kvm_memslot_gpc_deactivate(&gf->gpc);
err_destroy:
	mutex_destroy(&gf->gpc.refresh_lock);
	mutex_destroy(&gf->io_lock);
err_free:
	kfree(gf->bounce);
	kfree(gf);
	return r;
}
