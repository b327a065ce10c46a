// SPDX-License-Identifier: GPL-2.0-only
/*
 * VM fd extension ioctls about the slot layout and the update protocol:
 * the atomic batch of changes, a read-out of the layout, and statistics in
 * KVM's binary statistics format.
 */

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
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

/*
 * The statistics file.  Its layout is KVM's binary statistics: a header,
 * an id string, descriptors, then one u64 per descriptor, all at the
 * offsets the header gives; values are read afresh on every read().
 */
struct kvm_memslot_stat {
	const char *name;
	u32 flags;
	u64 (*value)(struct kvm_memslot_vm *vm);
};

#define KVM_MEMSLOT_STAT_COUNTER(field)					\
static u64 kvm_memslot_stat_##field(struct kvm_memslot_vm *vm)		\
{									\
	return READ_ONCE(vm->stats.field);				\
}

KVM_MEMSLOT_STAT_COUNTER(publishes)
KVM_MEMSLOT_STAT_COUNTER(grace_periods)
KVM_MEMSLOT_STAT_COUNTER(prepares)
KVM_MEMSLOT_STAT_COUNTER(flushes)
KVM_MEMSLOT_STAT_COUNTER(commits)
KVM_MEMSLOT_STAT_COUNTER(updates)
KVM_MEMSLOT_STAT_COUNTER(reclaimed)

static u64 kvm_memslot_stat_transit_waits(struct kvm_memslot_vm *vm)
{
	return atomic64_read(&vm->transit_waits);
}

static u64 kvm_memslot_stat_generation(struct kvm_memslot_vm *vm)
{
	return READ_ONCE(vm->generation);
}

static u64 kvm_memslot_stat_pages(struct kvm_memslot_vm *vm)
{
	return READ_ONCE(vm->nr_memslot_pages);
}

#define KVM_MEMSLOT_CUMULATIVE	(KVM_STATS_TYPE_CUMULATIVE | \
				 KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10)
#define KVM_MEMSLOT_INSTANT	(KVM_STATS_TYPE_INSTANT | \
				 KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10)

static const struct kvm_memslot_stat kvm_memslot_stats[] = {
	{ "updates", KVM_MEMSLOT_CUMULATIVE, kvm_memslot_stat_updates },
	{ "publishes", KVM_MEMSLOT_CUMULATIVE, kvm_memslot_stat_publishes },
	{ "grace_periods", KVM_MEMSLOT_CUMULATIVE, kvm_memslot_stat_grace_periods },
	{ "prepare_calls", KVM_MEMSLOT_CUMULATIVE, kvm_memslot_stat_prepares },
	{ "flush_memslot_calls", KVM_MEMSLOT_CUMULATIVE, kvm_memslot_stat_flushes },
	{ "commit_calls", KVM_MEMSLOT_CUMULATIVE, kvm_memslot_stat_commits },
	{ "reclaim_batches", KVM_MEMSLOT_CUMULATIVE, kvm_memslot_stat_reclaimed },
	{ "transit_waits", KVM_MEMSLOT_CUMULATIVE, kvm_memslot_stat_transit_waits },
	{ "generation", KVM_MEMSLOT_INSTANT, kvm_memslot_stat_generation },
	{ "memslot_pages", KVM_MEMSLOT_INSTANT, kvm_memslot_stat_pages },
};

#define KVM_MEMSLOT_STATS_ID		"kvm-memslot"
#define KVM_MEMSLOT_NR_STATS		ARRAY_SIZE(kvm_memslot_stats)
#define KVM_MEMSLOT_DESC_SIZE		(sizeof(struct kvm_stats_desc) + \
					 KVM_MEMSLOT_STATS_NAME_SIZE)
#define KVM_MEMSLOT_STATS_DESC_OFF	(sizeof(struct kvm_stats_header) + \
					 KVM_MEMSLOT_STATS_NAME_SIZE)
#define KVM_MEMSLOT_STATS_DATA_OFF	(KVM_MEMSLOT_STATS_DESC_OFF + \
					 KVM_MEMSLOT_NR_STATS * KVM_MEMSLOT_DESC_SIZE)
#define KVM_MEMSLOT_STATS_SIZE		(KVM_MEMSLOT_STATS_DATA_OFF + \
					 KVM_MEMSLOT_NR_STATS * sizeof(u64))

static void kvm_memslot_stats_fill(struct kvm_memslot_vm *vm, u8 *buf)
{
	struct kvm_stats_header *header = (void *)buf;
	u64 *data = (void *)(buf + KVM_MEMSLOT_STATS_DATA_OFF);
	unsigned int i;

	header->name_size = KVM_MEMSLOT_STATS_NAME_SIZE;
	header->num_desc = KVM_MEMSLOT_NR_STATS;
	header->id_offset = sizeof(*header);
	header->desc_offset = KVM_MEMSLOT_STATS_DESC_OFF;
	header->data_offset = KVM_MEMSLOT_STATS_DATA_OFF;
	strscpy(buf + header->id_offset, KVM_MEMSLOT_STATS_ID, KVM_MEMSLOT_STATS_NAME_SIZE);

	for (i = 0; i < KVM_MEMSLOT_NR_STATS; i++) {
		struct kvm_stats_desc *desc;

		desc = (void *)(buf + KVM_MEMSLOT_STATS_DESC_OFF +
				i * KVM_MEMSLOT_DESC_SIZE);
		desc->flags = kvm_memslot_stats[i].flags;
		desc->size = 1;
		desc->offset = i * sizeof(u64);
		strscpy(desc->name, kvm_memslot_stats[i].name, KVM_MEMSLOT_STATS_NAME_SIZE);
		data[i] = kvm_memslot_stats[i].value(vm);
	}
}

static ssize_t kvm_memslot_stats_read(struct file *file, char __user *ubuf,
				      size_t size, loff_t *ppos)
{
	struct kvm_memslot_host_vm *vm = file->private_data;
	ssize_t r;
	u8 *buf;

	buf = kzalloc(KVM_MEMSLOT_STATS_SIZE, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	kvm_memslot_stats_fill(&vm->core, buf);
	r = simple_read_from_buffer(ubuf, size, ppos, buf,
				    KVM_MEMSLOT_STATS_SIZE);
	kfree(buf);
	return r;
}

static int kvm_memslot_stats_release(struct inode *inode, struct file *file)
{
	kvm_memslot_vm_put(file->private_data);
	return 0;
}

static const struct file_operations kvm_memslot_stats_fops = {
	.owner = THIS_MODULE,
	.read = kvm_memslot_stats_read,
	.llseek = noop_llseek,
	.release = kvm_memslot_stats_release,
};

static long kvm_memslot_ioctl_get_stats_fd(struct kvm_memslot_host_vm *vm)
{
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	kvm_memslot_vm_get(vm);
	file = anon_inode_getfile("kvm-memslot-stats", &kvm_memslot_stats_fops,
				  vm, O_RDONLY);
	if (IS_ERR(file)) {
		kvm_memslot_vm_put(vm);
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	/* Readers pread() each part at the offset the header gives. */
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
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
	case KVM_MEMSLOT_GET_STATS_FD:
		return kvm_memslot_ioctl_get_stats_fd(vm);
	case KVM_MEMSLOT_GET_SLOTS:
		return kvm_memslot_ioctl_get_slots(&vm->core, argp);
	case KVM_MEMSLOT_SET_REGIONS:
		return kvm_memslot_ioctl_set_regions(&vm->core, argp);
	case KVM_MEMSLOT_CREATE_GPC:
		return kvm_memslot_gpc_create_fd(vm, argp);
	default:
		return -ENOTTY;
	}
}
