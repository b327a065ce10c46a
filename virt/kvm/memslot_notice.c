// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: change notices for device models in other processes.
 *
 * A process that maps guest RAM itself (a vhost-user backend, a separate
 * device-model process) must drop its mapping when the RAM leaves the
 * guest, and the VMM must not reuse that memory before it has.  Such a
 * process opens a notice fd on the VM and reads one record per change of
 * guest RAM; in acknowledging mode, a delete or move waits, after the
 * guest lost the old RAM and before the update goes on, until the reader
 * has written back the generation of the records, bounded by the VM's
 * timeout and killable.  A reader that gives no answer in time makes the
 * update fail with ETIMEDOUT, and the core publishes the old layout again:
 * the VMM sees either the whole update or none of it.
 *
 * Readers are added and removed under slots_lock and notice_lock, so an
 * update in progress (which holds slots_lock) waits exactly for the
 * readers that got its records; a reader that closes, or dies, is no
 * longer waited for.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kvm.h>
#include <linux/kvm_memslot.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_fd.h"

/* Records a reader may have unread; more are dropped (EOVERFLOW). */
#define KVM_MEMSLOT_NOTICE_QUEUE	64
/* Records one read() copies out at most. */
#define KVM_MEMSLOT_NOTICE_READ_BATCH	8

#define KVM_MEMSLOT_NOTICE_DEFAULT_MS	1000
#define KVM_MEMSLOT_NOTICE_MAX_MS	600000

/**
 * struct kvm_memslot_notice_reader - one notice fd
 * @node:     on the VM's notice_readers
 * @vm:       the VM; the fd holds a reference on it
 * @ack:      updates wait for this reader's acknowledgment
 * @acked:    the highest generation it acknowledged
 * @overflow: records were dropped since its last read
 * @head:     index of its oldest unread record in @queue
 * @count:    unread records
 * @wq:       where its read() and poll() wait for records
 * @queue:    unread records, a ring
 *
 * All but @vm, @ack and @wq are protected by the VM's notice_lock.
 */
struct kvm_memslot_notice_reader {
	struct list_head node;
	struct kvm_memslot_host_vm *vm;
	bool ack;
	u64 acked;
	bool overflow;
	unsigned int head;
	unsigned int count;
	wait_queue_head_t wq;
	struct kvm_memslot_notice queue[KVM_MEMSLOT_NOTICE_QUEUE];
};

static u32 notice_kind(enum kvm_memslot_change change)
{
	switch (change) {
	case KVM_MEMSLOT_CREATE:
		return KVM_MEMSLOT_NOTICE_CREATE;
	case KVM_MEMSLOT_DELETE:
		return KVM_MEMSLOT_NOTICE_DELETE;
	case KVM_MEMSLOT_MOVE:
		return KVM_MEMSLOT_NOTICE_MOVE;
	default:
		return KVM_MEMSLOT_NOTICE_FLAGS;
	}
}

static void notice_notify(struct kvm_memslot_vm *vm,
			  const struct kvm_memory_slot *old,
			  const struct kvm_memory_slot *new,
			  enum kvm_memslot_change change)
{
	struct kvm_memslot_host_vm *hvm = kvm_memslot_host_vm(vm);
	const struct kvm_memory_slot *slot = old ? old : new;
	u32 user_flags = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;
	struct kvm_memslot_notice_reader *r;
	struct kvm_memslot_notice n = {
		.generation = vm->generation,
		.gpa = slot->base_gfn << slot->page_shift,
		.size = (u64)slot->npages << slot->page_shift,
		.userspace_addr = slot->userspace_addr,
		.kind = notice_kind(change),
		.as_id = slot->as_id,
		.slot = slot->id,
		.old_flags = old ? old->flags & user_flags : 0,
		.new_flags = new ? new->flags & user_flags : 0,
	};

	n.new_gpa = new ? new->base_gfn << new->page_shift : n.gpa;

	spin_lock(&hvm->notice_lock);
	list_for_each_entry(r, &hvm->notice_readers, node) {
		if (r->count == KVM_MEMSLOT_NOTICE_QUEUE) {
			r->overflow = true;
		} else {
			r->queue[(r->head + r->count) % KVM_MEMSLOT_NOTICE_QUEUE] = n;
			r->count++;
		}
		wake_up_interruptible(&r->wq);
	}
	spin_unlock(&hvm->notice_lock);
}

/* Has every acknowledging reader let go of the RAM of @generation? */
static bool notice_all_acked(struct kvm_memslot_host_vm *vm, u64 generation)
{
	struct kvm_memslot_notice_reader *r;
	bool done = true;

	spin_lock(&vm->notice_lock);
	list_for_each_entry(r, &vm->notice_readers, node)
		if (r->ack && r->acked < generation)
			done = false;
	spin_unlock(&vm->notice_lock);
	return done;
}

static int notice_sync(struct kvm_memslot_vm *vm)
{
	struct kvm_memslot_host_vm *hvm = kvm_memslot_host_vm(vm);
	u64 generation = vm->generation;
	long r;

	r = wait_event_killable_timeout(hvm->notice_ack_wq,
					notice_all_acked(hvm, generation),
					msecs_to_jiffies(READ_ONCE(hvm->notice_timeout_ms)));
	if (r > 0)
		return 0;
	return r ? -EINTR : -ETIMEDOUT;
}

static const struct kvm_memslot_listener kvm_memslot_notice_listener = {
	.notify = notice_notify,
	.sync = notice_sync,
};

static bool notice_pending(struct kvm_memslot_notice_reader *r)
{
	return READ_ONCE(r->count) || READ_ONCE(r->overflow);
}

static ssize_t notice_read(struct file *file, char __user *buf, size_t len,
			   loff_t *ppos)
{
	struct kvm_memslot_notice_reader *r = file->private_data;
	struct kvm_memslot_notice batch[KVM_MEMSLOT_NOTICE_READ_BATCH];
	struct kvm_memslot_host_vm *vm = r->vm;
	unsigned int n, i;

	n = min_t(size_t, len / sizeof(batch[0]), ARRAY_SIZE(batch));
	if (!n)
		return -EINVAL;

	for (;;) {
		spin_lock(&vm->notice_lock);
		if (r->overflow) {
			r->overflow = false;
			spin_unlock(&vm->notice_lock);
			return -EOVERFLOW;
		}
		if (r->count)
			break;
		spin_unlock(&vm->notice_lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		if (wait_event_interruptible(r->wq, notice_pending(r)))
			return -ERESTARTSYS;
	}
	n = min(n, r->count);
	for (i = 0; i < n; i++)
		batch[i] = r->queue[(r->head + i) % KVM_MEMSLOT_NOTICE_QUEUE];
	r->head = (r->head + n) % KVM_MEMSLOT_NOTICE_QUEUE;
	r->count -= n;
	spin_unlock(&vm->notice_lock);

	/* As for any queue read: records that fail to copy are lost. */
	if (copy_to_user(buf, batch, n * sizeof(batch[0])))
		return -EFAULT;
	return n * sizeof(batch[0]);
}

static ssize_t notice_write(struct file *file, const char __user *buf,
			    size_t len, loff_t *ppos)
{
	struct kvm_memslot_notice_reader *r = file->private_data;
	struct kvm_memslot_host_vm *vm = r->vm;
	u64 generation;

	if (len != sizeof(generation))
		return -EINVAL;
	if (copy_from_user(&generation, buf, sizeof(generation)))
		return -EFAULT;

	spin_lock(&vm->notice_lock);
	r->acked = max(r->acked, generation);
	spin_unlock(&vm->notice_lock);
	wake_up_all(&vm->notice_ack_wq);
	return sizeof(generation);
}

static __poll_t notice_poll(struct file *file, poll_table *wait)
{
	struct kvm_memslot_notice_reader *r = file->private_data;

	poll_wait(file, &r->wq, wait);
	return notice_pending(r) ? EPOLLIN | EPOLLRDNORM : 0;
}

static int notice_release(struct inode *inode, struct file *file)
{
	struct kvm_memslot_notice_reader *r = file->private_data;
	struct kvm_memslot_host_vm *vm = r->vm;

	spin_lock(&vm->notice_lock);
	if (!list_empty(&r->node)) {
		list_del(&r->node);
		vm->nr_notice_readers--;
	}
	spin_unlock(&vm->notice_lock);
	/* An update waiting for this reader need not any more. */
	wake_up_all(&vm->notice_ack_wq);
	kvm_memslot_vm_put(vm);
	kfree(r);
	return 0;
}

static const struct file_operations kvm_memslot_notice_fops = {
	.owner = THIS_MODULE,
	.read = notice_read,
	.write = notice_write,
	.poll = notice_poll,
	.release = notice_release,
	.llseek = noop_llseek,
};

/**
 * kvm_memslot_notice_init() - set up a new VM's notice state
 * @vm: the VM, not yet visible
 */
void kvm_memslot_notice_init(struct kvm_memslot_host_vm *vm)
{
	spin_lock_init(&vm->notice_lock);
	INIT_LIST_HEAD(&vm->notice_readers);
	init_waitqueue_head(&vm->notice_ack_wq);
	vm->notice_timeout_ms = KVM_MEMSLOT_NOTICE_DEFAULT_MS;
}

/**
 * kvm_memslot_notice_create_fd() - KVM_MEMSLOT_CREATE_NOTICE_FD
 * @vm:    the VM
 * @flags: KVM_MEMSLOT_NOTICE_F_*
 *
 * Return: the new fd, or -EINVAL for unknown flags, -ENOSPC if the VM has
 * KVM_MEMSLOT_MAX_NOTICE_FDS already, -ENOMEM, -EMFILE.
 */
int kvm_memslot_notice_create_fd(struct kvm_memslot_host_vm *vm,
				 unsigned long flags)
{
	struct kvm_memslot_notice_reader *r;
	struct file *file;
	int fd, err;

	if (flags & ~KVM_MEMSLOT_NOTICE_F_ACK)
		return -EINVAL;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r) {
		put_unused_fd(fd);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&r->node);
	init_waitqueue_head(&r->wq);
	r->vm = vm;
	r->ack = flags & KVM_MEMSLOT_NOTICE_F_ACK;

	kvm_memslot_vm_get(vm);
	/* Only an acknowledging reader writes to its fd. */
	file = anon_inode_getfile("kvm-memslot-notice", &kvm_memslot_notice_fops,
				  r, r->ack ? O_RDWR : O_RDONLY);
	if (IS_ERR(file)) {
		kvm_memslot_vm_put(vm);
		kfree(r);
		put_unused_fd(fd);
		return PTR_ERR(file);
	}

	/* Not in the middle of an update: it would wait for a stranger. */
	mutex_lock(&vm->core.slots_lock);
	spin_lock(&vm->notice_lock);
	err = vm->nr_notice_readers >= KVM_MEMSLOT_MAX_NOTICE_FDS ? -ENOSPC : 0;
	if (!err) {
		/* Everything published so far is known to the new reader. */
		r->acked = vm->core.generation;
		list_add_tail(&r->node, &vm->notice_readers);
		vm->nr_notice_readers++;
	}
	spin_unlock(&vm->notice_lock);
	if (!err)
		vm->core.listener = &kvm_memslot_notice_listener;
	mutex_unlock(&vm->core.slots_lock);

	if (err) {
		/* The release drops the reference and frees @r. */
		fput(file);
		put_unused_fd(fd);
		return err;
	}
	fd_install(fd, file);
	return fd;
}

/**
 * kvm_memslot_notice_set_timeout() - KVM_MEMSLOT_SET_NOTICE_TIMEOUT
 * @vm: the VM
 * @ms: how long a delete or move waits for acknowledgments
 *
 * Return: 0, or -EINVAL if @ms is 0 or above 600000.
 */
int kvm_memslot_notice_set_timeout(struct kvm_memslot_host_vm *vm,
				   unsigned long ms)
{
	if (!ms || ms > KVM_MEMSLOT_NOTICE_MAX_MS)
		return -EINVAL;
	WRITE_ONCE(vm->notice_timeout_ms, ms);
	return 0;
}
