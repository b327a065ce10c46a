/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-memslot: the objects behind /dev/kvm-memslot's file descriptors,
 * private to virt/kvm.
 *
 * A VM wraps the generic memslot state (struct kvm_memslot_vm) with what
 * the file operations need: the owning mm, a reference count shared by the
 * VM fd and every vCPU fd, and the vCPUs.  Neither the memslot core nor a
 * backend sees these objects: a backend calls the services of
 * <linux/kvm_memslot_host.h>, which reach them from the memslot state.
 */
#ifndef __KVM_MEMSLOT_FD_H
#define __KVM_MEMSLOT_FD_H

#include <linux/kref.h>
#include <linux/kvm.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/signal_types.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>
#include <uapi/linux/kvm_memslot.h>

struct mm_struct;

/* The first page a vCPU fd maps is struct kvm_run. */
#define KVM_MEMSLOT_VCPU_RUN_PAGE	0

/**
 * struct kvm_memslot_host_vm - a VM created on /dev/kvm-memslot
 * @core:          the memslot state the core works on
 * @type:          the KVM_CREATE_VM type, which picked @core.ops
 * @mm:            the creating process's mm; ioctls from any other mm fail
 *                 with EIO, as in KVM, because guest memory is addressed by
 *                 host virtual addresses of this mm
 * @refcount:      one reference for the VM fd and one per vCPU fd; the VM
 *                 is destroyed when the last one is closed
 * @lock:          protects @created_vcpus and insertion into @vcpus
 * @created_vcpus: vCPUs being created or created, against the limit
 * @vcpus:         the vCPUs, indexed by vCPU id; they live as long as the VM
 * @mmu_notifier:  registered on @mm from creation to destruction, so that
 *                 translations follow the host mappings they came from
 * @stats_id:      the id string of its statistics, "kvm-<creator's pid>"
 * @dirty_ring_size: bytes of each vCPU's dirty ring, 0 without; set once,
 *                 under @lock and before the first vCPU
 * @notice_lock:   protects @notice_readers, @nr_notice_readers and the
 *                 readers' queues and acknowledgments (memslot_notice.c)
 * @notice_readers: the notice fds; changed under slots_lock too
 * @nr_notice_readers: how many
 * @notice_ack_wq: updates waiting for acknowledgments
 * @notice_timeout_ms: how long they wait
 */
struct kvm_memslot_host_vm {
	struct kvm_memslot_vm core;
	unsigned long type;
	struct mm_struct *mm;
	struct kref refcount;
	struct mutex lock;	/* vCPU creation; see above */
	unsigned int created_vcpus;
	struct xarray vcpus;
	struct mmu_notifier mmu_notifier;
	char stats_id[KVM_MEMSLOT_STATS_NAME_SIZE];
	u32 dirty_ring_size;
	spinlock_t notice_lock;	/* see above */
	struct list_head notice_readers;
	unsigned int nr_notice_readers;
	wait_queue_head_t notice_ack_wq;
	u32 notice_timeout_ms;
};

/**
 * struct kvm_memslot_dirty_ring - a vCPU's ring of dirtied pages
 * @gfns:        the entries, shared with userspace through the vCPU fd
 *               at KVM_DIRTY_LOG_PAGE_OFFSET; NULL without a ring
 * @size:        number of entries, a power of two
 * @soft_limit:  entries in use at which accesses stop until a reset
 * @dirty_index: entries pushed so far; written by the vCPU under its
 *               mutex and mmu_lock
 * @reset_index: entries reset so far; written under slots_lock
 *
 * KVM's protocol: the vCPU fills an entry's slot and offset and then sets
 * KVM_DIRTY_GFN_F_DIRTY; userspace collects it and sets
 * KVM_DIRTY_GFN_F_RESET; KVM_RESET_DIRTY_RINGS write-protects its page
 * again and clears the flags.
 */
struct kvm_memslot_dirty_ring {
	struct kvm_dirty_gfn *gfns;
	u32 size;
	u32 soft_limit;
	u32 dirty_index;
	u32 reset_index;
};

/**
 * struct kvm_memslot_vcpu_stats - counters of a vCPU's guest accesses
 * @accesses:           KVM_MEMSLOT_VCPU_ACCESS calls
 * @host_faults:        faults resolved in the host (a translation was
 *                      installed, or the walk is to be retried)
 * @mmio_exits:         accesses that ended in a KVM_MEMSLOT_EXIT_MMIO
 * @memory_fault_exits: accesses that ended in a
 *                      KVM_MEMSLOT_EXIT_MEMORY_FAULT
 *
 * Written under the vCPU's mutex, read racily by its statistics fd.
 */
struct kvm_memslot_vcpu_stats {
	u64 accesses;
	u64 host_faults;
	u64 mmio_exits;
	u64 memory_fault_exits;
};

/**
 * struct kvm_memslot_vcpu - a vCPU of a kvm-memslot VM
 * @vm:            the VM; the vCPU fd holds a reference on it
 * @id:            the vCPU id given to KVM_CREATE_VCPU
 * @mutex:         serializes the vCPU's ioctls, as in KVM
 * @run:           struct kvm_run, shared with userspace
 * @pages:         the pages userspace maps from the vCPU fd (the backend's
 *                 vcpu_mmap_pages of them); @run is the first
 * @sigset_active: KVM_SET_SIGNAL_MASK installed @sigset
 * @sigset:        signals blocked while the vCPU executes guest accesses
 * @hint:          the last slot this vCPU's accesses found, for the lookup
 *                 fast path
 * @guest_mode_seq: odd while the vCPU is in simulated guest mode (walking
 *                 translations and copying through one); a remote TLB
 *                 flush waits for it to move on
 * @bounce:        one page of kernel memory that guest accesses copy
 *                 through, so that no user copy (which may fault and
 *                 sleep) happens in guest mode
 * @mmu_cache:     table pages for the backend's map(), filled before each
 *                 fault takes mmu_lock
 * @dirty_ring:    its dirty ring, if the VM has them
 * @stats:         counters of its accesses
 * @stats_id:      the id string of its statistics, as KVM's
 *                 "kvm-<pid>/vcpu-<id>"
 */
struct kvm_memslot_vcpu {
	struct kvm_memslot_host_vm *vm;
	u32 id;
	struct mutex mutex;	/* see above */
	struct kvm_run *run;
	struct page *pages[KVM_MEMSLOT_VCPU_MAX_MMAP_PAGES];
	bool sigset_active;
	sigset_t sigset;
	struct kvm_memslot_hint hint;
	unsigned long guest_mode_seq;
	void *bounce;
	struct kvm_memslot_mmu_cache mmu_cache;
	struct kvm_memslot_dirty_ring dirty_ring;
	struct kvm_memslot_vcpu_stats stats;
	char stats_id[KVM_MEMSLOT_STATS_NAME_SIZE];
};

/**
 * kvm_memslot_host_vm() - the VM that owns some memslot state
 * @vm:    memslot state embedded in a struct kvm_memslot_host_vm
 *
 * Return: the enclosing VM.
 */
static inline struct kvm_memslot_host_vm *
kvm_memslot_host_vm(struct kvm_memslot_vm *vm)
{
	return container_of(vm, struct kvm_memslot_host_vm, core);
}

/* virt/kvm/memslot_vm_fd.c */
long kvm_memslot_check_extension(const struct kvm_memslot_ops *ops, long cap);
int kvm_memslot_create_vm(unsigned long type);
void kvm_memslot_vm_get(struct kvm_memslot_host_vm *vm);
void kvm_memslot_vm_put(struct kvm_memslot_host_vm *vm);

/* virt/kvm/memslot_dirty_ring.c */
long kvm_memslot_dirty_ring_check(const struct kvm_memslot_ops *ops,
				  long cap);
int kvm_memslot_dirty_ring_enable(struct kvm_memslot_host_vm *vm, u32 size);
int kvm_memslot_dirty_ring_alloc(struct kvm_memslot_vcpu *vcpu);
void kvm_memslot_dirty_ring_free(struct kvm_memslot_vcpu *vcpu);
struct page *kvm_memslot_dirty_ring_page(struct kvm_memslot_vcpu *vcpu,
					 unsigned long pgoff);
int kvm_memslot_reset_dirty_rings(struct kvm_memslot_host_vm *vm);

/**
 * kvm_memslot_dirty_ring_soft_full() - may the vCPU not dirty more pages?
 * @vcpu: the vCPU; its mutex held
 *
 * Return: true if the vCPU has a dirty ring with no room left beyond the
 * reserve, so that its accesses must stop until a reset.
 */
static inline bool kvm_memslot_dirty_ring_soft_full(struct kvm_memslot_vcpu *vcpu)
{
	struct kvm_memslot_dirty_ring *ring = &vcpu->dirty_ring;

	return ring->gfns && READ_ONCE(ring->dirty_index) -
			     READ_ONCE(ring->reset_index) >= ring->soft_limit;
}

/**
 * kvm_memslot_dirty_ring_push() - log a newly dirtied page in the ring
 * @vcpu:   the vCPU whose write dirtied it; its mutex and mmu_lock held,
 *          and its ring not soft-full when its access started the page
 * @slot:   the page's slot
 * @offset: the page's index in @slot
 */
static inline void kvm_memslot_dirty_ring_push(struct kvm_memslot_vcpu *vcpu,
					       const struct kvm_memory_slot *slot,
					       u64 offset)
{
	struct kvm_memslot_dirty_ring *ring = &vcpu->dirty_ring;
	struct kvm_dirty_gfn *entry;

	entry = &ring->gfns[ring->dirty_index & (ring->size - 1)];
	WRITE_ONCE(entry->slot, ((u32)slot->as_id << 16) | slot->id);
	WRITE_ONCE(entry->offset, offset);
	/* Pairs with userspace's acquire of the flags before the fields. */
	smp_store_release(&entry->flags, KVM_DIRTY_GFN_F_DIRTY);
	/* Pairs with the READ_ONCE in kvm_memslot_dirty_ring_soft_full(). */
	WRITE_ONCE(ring->dirty_index, ring->dirty_index + 1);
}

/* virt/kvm/memslot_notice.c */
void kvm_memslot_notice_init(struct kvm_memslot_host_vm *vm);
int kvm_memslot_notice_create_fd(struct kvm_memslot_host_vm *vm,
				 unsigned long flags);
int kvm_memslot_notice_set_timeout(struct kvm_memslot_host_vm *vm,
				   unsigned long ms);

/* virt/kvm/memslot_stats.c */
int kvm_memslot_vm_stats_fd(struct kvm_memslot_host_vm *vm);
int kvm_memslot_vcpu_stats_fd(struct kvm_memslot_vcpu *vcpu);

/* virt/kvm/memslot_caps.c */
long kvm_memslot_vm_ext_cap(const struct kvm_memslot_ops *ops,
			    unsigned long cap);
long kvm_memslot_dev_ext_cap(unsigned long cap);

/* virt/kvm/memslot_ext.c */
long kvm_memslot_ext_vm_ioctl(struct kvm_memslot_host_vm *vm,
			      unsigned int ioctl, unsigned long arg);

/* virt/kvm/memslot_access.c */
bool kvm_memslot_vcpu_access_supported(const struct kvm_memslot_ops *ops);
long kvm_memslot_vcpu_access(struct kvm_memslot_vcpu *vcpu, void __user *argp);

/* virt/kvm/memslot_guest_mode.c */
void kvm_memslot_guest_mode_enter(struct kvm_memslot_vcpu *vcpu);
void kvm_memslot_guest_mode_exit(struct kvm_memslot_vcpu *vcpu);

/* virt/kvm/memslot_audit.c */
long kvm_memslot_audit(struct kvm_memslot_host_vm *vm, void __user *argp);

/* virt/kvm/mmu_notifier.c */
int kvm_memslot_mmu_notifier_register(struct kvm_memslot_host_vm *vm);
void kvm_memslot_mmu_notifier_unregister(struct kvm_memslot_host_vm *vm);

/* virt/kvm/memslot_gpc_fd.c */
long kvm_memslot_gpc_create_fd(struct kvm_memslot_host_vm *vm,
			       void __user *argp);

/* virt/kvm/memslot_vcpu.c */
int kvm_memslot_create_vcpu(struct kvm_memslot_host_vm *vm, u32 id);
void kvm_memslot_vcpu_free(struct kvm_memslot_vcpu *vcpu);

/* virt/kvm/memslot_dirty_log.c */
int kvm_memslot_get_dirty_log(struct kvm_memslot_vm *vm,
			      const struct kvm_dirty_log *log);
int kvm_memslot_clear_dirty_log(struct kvm_memslot_vm *vm,
				const struct kvm_clear_dirty_log *log);

#endif /* __KVM_MEMSLOT_FD_H */
