// SPDX-License-Identifier: GPL-2.0-only
/*
 * KVM's binary statistics (KVM_GET_STATS_FD) for VM and vCPU fds.
 *
 * The file has KVM's layout: a struct kvm_stats_header, an id string, one
 * struct kvm_stats_desc (with its name) per statistic, then the values,
 * all at the offsets the header gives, so a reader written for KVM reads
 * it unchanged.  The descriptors never change while the file is open; the
 * values are read afresh on every read(), without locks: each counter is
 * written by one context at a time and read with READ_ONCE, as KVM does.
 *
 * Statistics that KVM's generic code has keep its names where they mean
 * the same here (remote_tlb_flush, remote_tlb_flush_requests); the others
 * are this module's: what the update protocol did, the gfn_to_pfn caches,
 * and per vCPU its accesses and their faults.
 */

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/kvm_memslot.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_fd.h"

/* How a statistic's counter is stored in its object. */
enum kvm_memslot_stat_kind {
	KVM_MEMSLOT_STAT_U64,
	KVM_MEMSLOT_STAT_ULONG,
	KVM_MEMSLOT_STAT_ATOMIC64,
};

/**
 * struct kvm_memslot_stat - one statistic of a VM or a vCPU
 * @name:   its name, as the descriptor carries it
 * @flags:  KVM_STATS_TYPE_*, KVM_STATS_UNIT_* and KVM_STATS_BASE_*
 * @kind:   how the counter is stored
 * @offset: where, from the start of the object (the VM's memslot state or
 *          the vCPU)
 */
struct kvm_memslot_stat {
	const char *name;
	u32 flags;
	enum kvm_memslot_stat_kind kind;
	size_t offset;
};

#define KVM_MEMSLOT_CUMULATIVE	(KVM_STATS_TYPE_CUMULATIVE | \
				 KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10)
#define KVM_MEMSLOT_INSTANT	(KVM_STATS_TYPE_INSTANT | \
				 KVM_STATS_UNIT_NONE | KVM_STATS_BASE_POW10)

#define VM_STAT(_name, _flags, _kind, _field)				\
	{ .name = _name, .flags = _flags, .kind = _kind,		\
	  .offset = offsetof(struct kvm_memslot_vm, _field) }
#define VCPU_STAT(_name, _field)					\
	{ .name = _name, .flags = KVM_MEMSLOT_CUMULATIVE,		\
	  .kind = KVM_MEMSLOT_STAT_U64,					\
	  .offset = offsetof(struct kvm_memslot_vcpu, _field) }

static const struct kvm_memslot_stat kvm_memslot_vm_stats[] = {
	VM_STAT("remote_tlb_flush", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_ATOMIC64, remote_tlb_flushes),
	VM_STAT("remote_tlb_flush_requests", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_ATOMIC64, remote_tlb_flush_requests),
	VM_STAT("updates", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_U64, stats.updates),
	VM_STAT("publishes", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_U64, stats.publishes),
	VM_STAT("grace_periods", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_U64, stats.grace_periods),
	VM_STAT("prepare_calls", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_U64, stats.prepares),
	VM_STAT("flush_memslot_calls", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_U64, stats.flushes),
	VM_STAT("commit_calls", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_U64, stats.commits),
	VM_STAT("reclaim_batches", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_U64, stats.reclaimed),
	VM_STAT("transit_waits", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_ATOMIC64, transit_waits),
	VM_STAT("gpc_refreshes", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_U64, gpc_refreshes),
	VM_STAT("gpc_invalidations", KVM_MEMSLOT_CUMULATIVE,
		KVM_MEMSLOT_STAT_U64, gpc_invalidations),
	VM_STAT("generation", KVM_MEMSLOT_INSTANT,
		KVM_MEMSLOT_STAT_U64, generation),
	VM_STAT("memslot_pages", KVM_MEMSLOT_INSTANT,
		KVM_MEMSLOT_STAT_ULONG, nr_memslot_pages),
};

static const struct kvm_memslot_stat kvm_memslot_vcpu_stats[] = {
	VCPU_STAT("access_calls", stats.accesses),
	VCPU_STAT("host_faults", stats.host_faults),
	VCPU_STAT("mmio_exits", stats.mmio_exits),
	VCPU_STAT("memory_fault_exits", stats.memory_fault_exits),
	VCPU_STAT("table_pages", mmu_cache.taken),
};

/**
 * struct kvm_memslot_stats_file - what one statistics fd reads
 * @vm:    the VM; the file holds a reference on it (and so on its vCPUs)
 * @obj:   the object the offsets of @stats start from
 * @stats: the statistics
 * @nr:    how many
 * @id:    the id string: KVM's "kvm-<pid>" or "kvm-<pid>/vcpu-<id>"
 */
struct kvm_memslot_stats_file {
	struct kvm_memslot_host_vm *vm;
	const void *obj;
	const struct kvm_memslot_stat *stats;
	unsigned int nr;
	char id[KVM_MEMSLOT_STATS_NAME_SIZE];
};

#define KVM_MEMSLOT_DESC_SIZE	(sizeof(struct kvm_stats_desc) + \
				 KVM_MEMSLOT_STATS_NAME_SIZE)
#define KVM_MEMSLOT_DESC_OFF	(sizeof(struct kvm_stats_header) + \
				 KVM_MEMSLOT_STATS_NAME_SIZE)

static size_t stats_data_offset(const struct kvm_memslot_stats_file *sf)
{
	return KVM_MEMSLOT_DESC_OFF + sf->nr * KVM_MEMSLOT_DESC_SIZE;
}

static size_t stats_size(const struct kvm_memslot_stats_file *sf)
{
	return stats_data_offset(sf) + sf->nr * sizeof(u64);
}

static u64 stat_value(const void *obj, const struct kvm_memslot_stat *stat)
{
	const void *p = obj + stat->offset;

	switch (stat->kind) {
	case KVM_MEMSLOT_STAT_ATOMIC64:
		return atomic64_read(p);
	case KVM_MEMSLOT_STAT_ULONG:
		return READ_ONCE(*(const unsigned long *)p);
	default:
		return READ_ONCE(*(const u64 *)p);
	}
}

static void stats_fill(const struct kvm_memslot_stats_file *sf, u8 *buf)
{
	struct kvm_stats_header *header = (void *)buf;
	u64 *data = (void *)(buf + stats_data_offset(sf));
	unsigned int i;

	header->name_size = KVM_MEMSLOT_STATS_NAME_SIZE;
	header->num_desc = sf->nr;
	header->id_offset = sizeof(*header);
	header->desc_offset = KVM_MEMSLOT_DESC_OFF;
	header->data_offset = stats_data_offset(sf);
	memcpy(buf + header->id_offset, sf->id, KVM_MEMSLOT_STATS_NAME_SIZE);

	for (i = 0; i < sf->nr; i++) {
		struct kvm_stats_desc *desc;

		desc = (void *)(buf + KVM_MEMSLOT_DESC_OFF +
				i * KVM_MEMSLOT_DESC_SIZE);
		desc->flags = sf->stats[i].flags;
		desc->size = 1;
		desc->offset = i * sizeof(u64);
		strscpy(desc->name, sf->stats[i].name, KVM_MEMSLOT_STATS_NAME_SIZE);
		data[i] = stat_value(sf->obj, &sf->stats[i]);
	}
}

static ssize_t kvm_memslot_stats_read(struct file *file, char __user *ubuf,
				      size_t size, loff_t *ppos)
{
	struct kvm_memslot_stats_file *sf = file->private_data;
	size_t len = stats_size(sf);
	ssize_t r;
	u8 *buf;

	/* Built whole for every read: the file is a few hundred bytes. */
	buf = kzalloc(len, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	stats_fill(sf, buf);
	r = simple_read_from_buffer(ubuf, size, ppos, buf, len);
	kfree(buf);
	return r;
}

static int kvm_memslot_stats_release(struct inode *inode, struct file *file)
{
	struct kvm_memslot_stats_file *sf = file->private_data;

	kvm_memslot_vm_put(sf->vm);
	kfree(sf);
	return 0;
}

static const struct file_operations kvm_memslot_stats_fops = {
	.owner = THIS_MODULE,
	.read = kvm_memslot_stats_read,
	.llseek = noop_llseek,
	.release = kvm_memslot_stats_release,
};

static int stats_fd_create(struct kvm_memslot_host_vm *vm, const void *obj,
			   const struct kvm_memslot_stat *stats,
			   unsigned int nr, const char *id, const char *name)
{
	struct kvm_memslot_stats_file *sf;
	struct file *file;
	int fd;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf) {
		put_unused_fd(fd);
		return -ENOMEM;
	}
	sf->vm = vm;
	sf->obj = obj;
	sf->stats = stats;
	sf->nr = nr;
	strscpy(sf->id, id, sizeof(sf->id));

	kvm_memslot_vm_get(vm);
	file = anon_inode_getfile(name, &kvm_memslot_stats_fops, sf, O_RDONLY);
	if (IS_ERR(file)) {
		kvm_memslot_vm_put(vm);
		kfree(sf);
		put_unused_fd(fd);
		return PTR_ERR(file);
	}
	/* Readers pread() each part at the offset the header gives. */
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
}

/**
 * kvm_memslot_vm_stats_fd() - KVM_GET_STATS_FD on a VM fd
 * @vm: the VM; the caller holds a reference (its VM fd)
 *
 * Return: a new read-only fd with the VM's statistics, or a negative errno.
 */
int kvm_memslot_vm_stats_fd(struct kvm_memslot_host_vm *vm)
{
	return stats_fd_create(vm, &vm->core, kvm_memslot_vm_stats,
			       ARRAY_SIZE(kvm_memslot_vm_stats), vm->stats_id,
			       "kvm-vm-stats");
}

/**
 * kvm_memslot_vcpu_stats_fd() - KVM_GET_STATS_FD on a vCPU fd
 * @vcpu: the vCPU; it lives as long as its VM, on which the fd holds a
 *        reference
 *
 * Return: a new read-only fd with the vCPU's statistics, or a negative
 * errno.
 */
int kvm_memslot_vcpu_stats_fd(struct kvm_memslot_vcpu *vcpu)
{
	return stats_fd_create(vcpu->vm, vcpu, kvm_memslot_vcpu_stats,
			       ARRAY_SIZE(kvm_memslot_vcpu_stats),
			       vcpu->stats_id, "kvm-vcpu-stats");
}
