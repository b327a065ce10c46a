/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-memslot: guest memory slots, their slot sets and the update protocol.
 *
 * This is the interface between the generic core (virt/kvm/) and its users:
 * the device and VM file operations, and the architecture backends that
 * plug in through struct kvm_memslot_ops.  The protocol itself is described
 * in Documentation/virt/kvm/memslots.rst.
 */
#ifndef __LINUX_KVM_MEMSLOT_H
#define __LINUX_KVM_MEMSLOT_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/llist.h>
#include <linux/atomic.h>

typedef u64 kvm_memslot_gfn_t;

/* Largest address space count any backend models (x86: normal + SMM). */
#define KVM_MEMSLOT_MAX_ADDRESS_SPACES	2
/* Slot ids are u16 and in-tree KVM caps them at SHRT_MAX. */
#define KVM_MEMSLOT_MAX_SLOT_ID		32767
/* Same bound as in-tree KVM: npages must fit in an int-sized rmap index. */
#define KVM_MEMSLOT_MAX_NR_PAGES	((1UL << 31) - 1)

/*
 * Internal slot flag, above the range userspace may pass: the slot is being
 * deleted or moved.  Faults must not create translations from it; existing
 * translations can still be found (and removed) through it.
 */
#define KVM_MEMSLOT_INVALID		BIT(16)

enum kvm_memslot_change {
	KVM_MEMSLOT_CREATE,
	KVM_MEMSLOT_DELETE,
	KVM_MEMSLOT_MOVE,
	KVM_MEMSLOT_FLAGS_ONLY,
};

/**
 * struct kvm_memory_slot - one guest memory slot, immutable once published
 * @base_gfn:       first guest frame number
 * @npages:         number of guest pages
 * @userspace_addr: host virtual address backing @base_gfn
 * @flags:          KVM_MEM_* flags, plus KVM_MEMSLOT_INVALID
 * @id:             slot id within its address space
 * @as_id:          address space
 * @dirty_bitmap:   one bit per page while KVM_MEM_LOG_DIRTY_PAGES is set,
 *                  followed by as many bits of scratch space for the
 *                  snapshot KVM_GET_DIRTY_LOG copies out
 * @arch:           backend per-slot data (rmap, ...); an INVALID copy of a
 *                  slot and a FLAGS_ONLY successor share it with the original
 *
 * A published slot is never modified: a change publishes a new one.  The
 * exception is @dirty_bitmap's contents, which are updated atomically.
 */
struct kvm_memory_slot {
	kvm_memslot_gfn_t base_gfn;
	unsigned long npages;
	unsigned long userspace_addr;
	u32 flags;
	u16 id;
	u16 as_id;
	unsigned long *dirty_bitmap;
	void *arch;
};

/* A node of a persistent (path-copying) B+tree; see memslot_tree.c. */
struct kvm_memslot_node;

/* The orders a set keeps its slots in, one tree each. */
enum kvm_memslot_tree_kind {
	KVM_MEMSLOT_BY_GFN,
	KVM_MEMSLOT_BY_ID,
	KVM_MEMSLOT_BY_HVA,
	KVM_MEMSLOT_NR_TREES,
};

/**
 * struct kvm_memslot_range - a gfn range whose mapping is being changed
 * @start: first gfn
 * @end:   one past the last gfn
 */
struct kvm_memslot_range {
	kvm_memslot_gfn_t start;
	kvm_memslot_gfn_t end;
};

/**
 * struct kvm_memslots - the slot set of one address space
 * @generation:  bumped by every publish; odd while an update is in progress
 * @as_id:       address space
 * @nr_slots:    number of slots in the set (INVALID ones included)
 * @roots:       the slots by base gfn, by id, and by userspace_addr (the
 *               last augmented with the largest end address of each
 *               subtree, which makes it an interval tree)
 * @nr_transit:  number of entries in @transit
 * @transit:     gfn ranges, other than INVALID slots, that are in transition
 *               (the destination of a move, the creates of a batch that
 *               also deletes or moves); only in an odd-generation set
 *
 * A set is immutable once published.  Readers find it with
 * kvm_memslots_get() under the VM's SRCU.
 */
struct kvm_memslots {
	u64 generation;
	u16 as_id;
	unsigned int nr_slots;
	struct kvm_memslot_node *roots[KVM_MEMSLOT_NR_TREES];
	unsigned int nr_transit;
	struct kvm_memslot_range transit[];
};

struct kvm_memslot_vm;

/* Most table pages any backend's map() may need for one translation. */
#define KVM_MEMSLOT_MMU_CACHE_PAGES	4

/**
 * struct kvm_memslot_mmu_cache - zeroed pages for a backend's tables
 * @nr:    pages in @pages
 * @pages: zeroed pages, charged to the memory cgroup that filled the cache
 *
 * Filled (virt/kvm/memslot_mmu_cache.c) before mmu_lock is taken, emptied
 * by map() under it.  Owned by one vCPU and used under its mutex.
 */
struct kvm_memslot_mmu_cache {
	unsigned int nr;
	void *pages[KVM_MEMSLOT_MMU_CACHE_PAGES];
};

/**
 * enum kvm_memslot_walk_result - what a simulated hardware walk found
 * @KVM_MEMSLOT_WALK_HIT:  a present translation permitting the access
 * @KVM_MEMSLOT_WALK_MISS: no usable translation: the access faults
 * @KVM_MEMSLOT_WALK_MMIO: a cached "no slot here" entry of the current
 *                         generation: the access exits to userspace
 */
enum kvm_memslot_walk_result {
	KVM_MEMSLOT_WALK_HIT,
	KVM_MEMSLOT_WALK_MISS,
	KVM_MEMSLOT_WALK_MMIO,
};

/**
 * struct kvm_memslot_gfn_range - a gfn range of one slot, for the MMU hooks
 * @slot:  the slot; may be INVALID
 * @start: first gfn
 * @end:   one past the last gfn
 */
struct kvm_memslot_gfn_range {
	const struct kvm_memory_slot *slot;
	kvm_memslot_gfn_t start;
	kvm_memslot_gfn_t end;
};

/**
 * struct kvm_memslot_ops - an architecture backend
 *
 * See the hook contract in Documentation/virt/kvm/memslots.rst.  Every
 * hook but prepare_memory_region is optional.
 */
struct kvm_memslot_ops {
	const char *name;
	/* What the VM reports and accepts, as the modelled architecture. */
	u16 nr_address_spaces;
	u16 nr_user_slots;
	bool readonly_mem;
	/* Pages map() may take from its cache; at most KVM_MEMSLOT_MMU_CACHE_PAGES. */
	u8 map_cache_pages;

	/* Called with slots_lock held, before the set carrying @new is published. */
	int (*prepare_memory_region)(struct kvm_memslot_vm *vm,
				     const struct kvm_memory_slot *old,
				     struct kvm_memory_slot *new,
				     enum kvm_memslot_change change);
	/* After @old was published INVALID and a grace period elapsed. */
	void (*flush_memslot)(struct kvm_memslot_vm *vm,
			      const struct kvm_memory_slot *old);
	/* After the set carrying @new (NULL for a delete) was published. */
	void (*commit_memory_region)(struct kvm_memslot_vm *vm,
				     struct kvm_memory_slot *old,
				     const struct kvm_memory_slot *new,
				     enum kvm_memslot_change change);
	/* Release @slot->arch; called once per arch allocation, maybe late. */
	void (*free_memslot)(struct kvm_memslot_vm *vm,
			     struct kvm_memory_slot *slot);
	/* VM teardown or mm release: no vCPU runs. */
	void (*flush_all)(struct kvm_memslot_vm *vm);
	/* MMU notifier hooks; return true if a TLB flush is needed. */
	bool (*unmap_gfn_range)(struct kvm_memslot_vm *vm,
				const struct kvm_memslot_gfn_range *range);
	bool (*age_gfn_range)(struct kvm_memslot_vm *vm,
			      const struct kvm_memslot_gfn_range *range);
	bool (*test_age_gfn_range)(struct kvm_memslot_vm *vm,
				   const struct kvm_memslot_gfn_range *range);

	/*
	 * The vCPU access path (virt/kvm/memslot_access.c).  walk runs in
	 * simulated guest mode, without mmu_lock, like a hardware walk: table
	 * pages are freed only after a remote TLB flush, which waits for
	 * every vCPU to leave guest mode.  On a hit it returns the host pfn
	 * and the byte offset is the caller's.  The other hooks run with
	 * mmu_lock held.
	 */
	enum kvm_memslot_walk_result (*walk)(struct kvm_memslot_vm *vm,
					     int as_id, u64 gpa, bool write,
					     u64 generation, unsigned long *pfn);
	/*
	 * Map @gfn of @slot to @pfn at @level (1: 4 KiB, 2: 2 MiB), taking
	 * table pages from @cache, which holds ops->map_cache_pages.
	 */
	int (*map)(struct kvm_memslot_vm *vm, const struct kvm_memory_slot *slot,
		   kvm_memslot_gfn_t gfn, unsigned long pfn, bool writable,
		   int level, struct kvm_memslot_mmu_cache *cache);
	/* Cache that no slot backs @gfn in the set of @generation. */
	int (*map_mmio)(struct kvm_memslot_vm *vm, int as_id,
			kvm_memslot_gfn_t gfn, u64 generation);
	/* Write-protect the pages of @mask at @gfn_offset; true if a flush is needed. */
	bool (*protect_dirty_gfns)(struct kvm_memslot_vm *vm,
				   const struct kvm_memory_slot *slot,
				   kvm_memslot_gfn_t gfn_offset,
				   unsigned long mask);
	/* Count translations violating the invariants; log each one. */
	unsigned long (*audit)(struct kvm_memslot_vm *vm);
};

/**
 * struct kvm_memslot_stats - what the update protocol did, for users and tests
 * @publishes:     slot sets published
 * @grace_periods: synchronous SRCU grace periods waited for
 * @prepares:      prepare_memory_region calls
 * @flushes:       flush_memslot calls
 * @commits:       commit_memory_region calls
 * @updates:       successful updates (a batch counts once)
 * @reclaimed:     deferred reclaim batches freed
 *
 * Written under slots_lock (@reclaimed by the reclaim work); read racily.
 */
struct kvm_memslot_stats {
	u64 publishes;
	u64 grace_periods;
	u64 prepares;
	u64 flushes;
	u64 commits;
	u64 updates;
	u64 reclaimed;
};

/*
 * MMU-notifier invalidations a VM tracks one by one (more in flight at once
 * are only counted); at most 32, the bits of kvm_memslot_vm.mn_used.
 */
#define KVM_MEMSLOT_MN_TRACKED		32

/**
 * struct kvm_memslot_mn_inval - an MMU-notifier invalidation in flight
 * @key:   the struct mmu_notifier_range the mm passes to both its start
 *         and its end, which identifies it
 * @start: first host virtual address of its range
 * @end:   one past the last
 * @epoch: the VM's mn_epoch when it started
 */
struct kvm_memslot_mn_inval {
	const void *key;
	unsigned long start;
	unsigned long end;
	unsigned int epoch;
};

/**
 * struct kvm_memslot_vm - the memslot state of one VM
 * @ops:              the backend
 * @arch:             backend per-VM data
 * @srcu:             protects @sets and everything reachable from them
 * @slots_lock:       serializes updates
 * @sets:             the published set of each address space
 * @generation:       generation of the newest published set, any address space
 * @nr_memslot_pages: pages in all slots, for KVM's overflow check
 * @manual_dirty_log_protect: KVM_DIRTY_LOG_* flags enabled by ENABLE_CAP
 * @update_wq:        woken by every publish (faults waiting on a transition)
 * @mn_lock:          protects the mn_* fields below (not @mn_wq)
 * @mn_epoch:         epoch (0 or 1) new invalidations are counted in; each
 *                    publish flips it, then waits for the other to drain
 * @mn_inflight:      invalidations started and not ended, per epoch
 * @mn_overflow:      of those, the ones @mn_inval had no room for
 * @mn_overflow_start: union of the host ranges of the overflow ones, valid
 *                    while any is in flight
 * @mn_overflow_end:  ditto, one past its end
 * @mn_used:          bitmap of the entries of @mn_inval in use
 * @mn_waiters:       tasks waiting for an invalidation to end
 * @mn_end_seq:       bumped by every end; what those tasks wait on
 * @mn_wq:            where they wait
 * @mn_inval:         the invalidations in flight, one by one
 * @reclaim_list:     retired memory waiting for a grace period
 * @reclaim_work:     frees @reclaim_list once a grace period has elapsed
 * @reclaim_pending:  retired batches not yet freed
 * @stats:            counters of protocol events
 * @transit_waits:    faults that met a gfn in transition and waited
 * @mmu_lock:         protects the backend's translations
 * @mmu_invalidate_seq: bumped when an MMU-notifier invalidation ends; a
 *                    fault that resolved a pfn under an older value retries
 * @mmu_invalidate_in_progress: invalidations started and not ended
 * @mmu_invalidate_start: host range of the invalidations in progress
 * @mmu_invalidate_end: ditto, one past its end
 */
struct kvm_memslot_vm {
	const struct kvm_memslot_ops *ops;
	void *arch;
	struct srcu_struct srcu;
	/* Serializes updates and what must not race with them. */
	struct mutex slots_lock;
	struct kvm_memslots __rcu *sets[KVM_MEMSLOT_MAX_ADDRESS_SPACES];
	u64 generation;
	unsigned long nr_memslot_pages;
	u64 manual_dirty_log_protect;
	wait_queue_head_t update_wq;
	/* Protects the invalidations in flight, mn_* below. */
	spinlock_t mn_lock;
	unsigned int mn_epoch;
	unsigned int mn_inflight[2];
	unsigned int mn_overflow[2];
	unsigned long mn_overflow_start;
	unsigned long mn_overflow_end;
	u32 mn_used;
	unsigned int mn_waiters;
	unsigned long mn_end_seq;
	wait_queue_head_t mn_wq;
	struct kvm_memslot_mn_inval mn_inval[KVM_MEMSLOT_MN_TRACKED];
	struct llist_head reclaim_list;
	struct delayed_work reclaim_work;
	atomic_t reclaim_pending;
	struct kvm_memslot_stats stats;
	atomic64_t transit_waits;
	/* Protects the backend's translations and the mmu_invalidate_* state. */
	spinlock_t mmu_lock;
	unsigned long mmu_invalidate_seq;
	long mmu_invalidate_in_progress;
	unsigned long mmu_invalidate_start;
	unsigned long mmu_invalidate_end;
};

/* virt/kvm/memslot_tree.c: the caches of tree nodes, at module load and unload */
int kvm_memslot_tree_init(void);
void kvm_memslot_tree_exit(void);

/* virt/kvm/memslot_vm.c */
int kvm_memslot_vm_init(struct kvm_memslot_vm *vm,
			const struct kvm_memslot_ops *ops, void *arch);
void kvm_memslot_vm_destroy(struct kvm_memslot_vm *vm);

/* virt/kvm/memslot_mmu_cache.c */
int kvm_memslot_mmu_cache_topup(struct kvm_memslot_mmu_cache *mc,
				unsigned int min);
void *kvm_memslot_mmu_cache_alloc(struct kvm_memslot_mmu_cache *mc);
void kvm_memslot_mmu_cache_free(struct kvm_memslot_mmu_cache *mc);

/* virt/kvm/memslot_update.c */
int kvm_memslot_set_user_region(struct kvm_memslot_vm *vm,
				const struct kvm_userspace_memory_region *mem);
int kvm_memslot_set_regions(struct kvm_memslot_vm *vm,
			    const struct kvm_userspace_memory_region *mems,
			    unsigned int nr, unsigned int *failed);

/* virt/kvm/memslot_lookup.c */
/* Visits a slot during a walk; a non-zero return ends the walk. */
typedef int (*kvm_memslot_visit_t)(struct kvm_memory_slot *slot, void *data);

struct kvm_memory_slot *kvm_memslot_find_gfn(struct kvm_memslots *slots,
					     kvm_memslot_gfn_t gfn);
bool kvm_memslot_gfn_in_transition(struct kvm_memslots *slots,
				   kvm_memslot_gfn_t gfn);
struct kvm_memory_slot *kvm_memslot_find_id(struct kvm_memslots *slots,
					    u16 id);
int kvm_memslot_visit_hva(struct kvm_memslots *slots,
			  unsigned long start, unsigned long end,
			  kvm_memslot_visit_t fn,
			  void *data);
int kvm_memslot_visit_all(struct kvm_memslots *slots,
			  kvm_memslot_visit_t fn,
			  void *data);

/**
 * struct kvm_memslot_hint - a vCPU's last-used slot
 * @slot:       the slot last found
 * @generation: generation of the set @slot was found in
 * @as_id:      address space of that set
 *
 * Valid only while the set of that generation and address space is the
 * one being read (both address spaces' sets may share a generation).
 */
struct kvm_memslot_hint {
	struct kvm_memory_slot *slot;
	u64 generation;
	u16 as_id;
};

struct kvm_memory_slot *kvm_memslot_find_gfn_hint(struct kvm_memslots *slots,
						  kvm_memslot_gfn_t gfn,
						  struct kvm_memslot_hint *hint);
struct kvm_memory_slot *kvm_memslot_fault_lookup(struct kvm_memslot_vm *vm,
						 int as_id,
						 kvm_memslot_gfn_t gfn,
						 struct kvm_memslot_hint *hint,
						 int *srcu_idx);

/* virt/kvm/memslot_mn_sync.c: the core side of invalidations */
void kvm_memslot_invalidate_begin(struct kvm_memslot_vm *vm, const void *key,
				  unsigned long start, unsigned long end);
void kvm_memslot_invalidate_end(struct kvm_memslot_vm *vm, const void *key);
bool kvm_memslot_invalidate_busy(struct kvm_memslot_vm *vm,
				 unsigned long start, unsigned long end,
				 unsigned long *seq);
int kvm_memslot_invalidate_wait(struct kvm_memslot_vm *vm, unsigned long seq);

/**
 * kvm_memslots_get() - the published set of an address space
 * @vm:    the VM
 * @as_id: address space, below ops->nr_address_spaces
 *
 * Return: the set; valid until the caller's SRCU read section ends (or,
 * with slots_lock held, until the caller's next update).
 */
static inline struct kvm_memslots *kvm_memslots_get(struct kvm_memslot_vm *vm,
						    int as_id)
{
	return srcu_dereference_check(vm->sets[as_id], &vm->srcu,
				      lockdep_is_held(&vm->slots_lock));
}

/**
 * kvm_memslots_in_update() - whether a set was published mid-update
 * @slots: the set
 *
 * Return: true for the INVALID set published between the two publishes of
 * a delete, move or batch; caches keyed by generation must not be filled
 * from it.
 */
static inline bool kvm_memslots_in_update(const struct kvm_memslots *slots)
{
	return slots->generation & 1;
}

static inline bool kvm_memslot_is_invalid(const struct kvm_memory_slot *slot)
{
	return slot->flags & KVM_MEMSLOT_INVALID;
}

static inline kvm_memslot_gfn_t kvm_memslot_end(const struct kvm_memory_slot *slot)
{
	return slot->base_gfn + slot->npages;
}

static inline unsigned long kvm_memslot_gfn_to_hva(const struct kvm_memory_slot *slot,
						   kvm_memslot_gfn_t gfn)
{
	return slot->userspace_addr + ((gfn - slot->base_gfn) << PAGE_SHIFT);
}

#endif /* __LINUX_KVM_MEMSLOT_H */
