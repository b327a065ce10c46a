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
#include <linux/math.h>
#include <linux/types.h>
#include <linux/kvm.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/list.h>
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
 * @page_shift:     log2 of the VM's page size, the size of one gfn
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
	u8 page_shift;
	unsigned long *dirty_bitmap;
	void *arch;
};

/* A node of a persistent (path-copying) B+tree; see memslot_tree.c. */
struct kvm_memslot_node;

/* Types of tree node, each with a slab cache of its own (memslot_tree.c). */
#define KVM_MEMSLOT_NR_NODE_TYPES	3

/**
 * struct kvm_memslot_node_pool - a VM's tree nodes kept for reuse
 * @lock: protects @free and @nr
 * @free: per node type, nodes that no reader can reach any more, chained
 *        through their ->next
 * @nr:   per node type, how many @free holds
 *
 * Every update allocates a copy of each tree node it changes, and retires
 * the originals, which the reclaim work frees after a grace period.  Under
 * that pattern, with objects of 0.8 to 1.7 KiB, the slab allocator keeps
 * emptying and refilling slabs; a node taken back from the reclaim work
 * costs an update a list pop instead (see "The third change" in
 * Documentation/virt/kvm/memslots.rst).
 */
struct kvm_memslot_node_pool {
	/* Protects free and nr: updates take nodes, the reclaim work gives. */
	spinlock_t lock;
	struct kvm_memslot_node *free[KVM_MEMSLOT_NR_NODE_TYPES];
	unsigned int nr[KVM_MEMSLOT_NR_NODE_TYPES];
};

/*
 * The orders a set keeps its slots in, one tree each.  The order by id is
 * not among them: only holders of slots_lock look slots up by id, in the
 * VM's struct kvm_memslot_id_index.
 */
enum kvm_memslot_tree_kind {
	KVM_MEMSLOT_BY_GFN,
	KVM_MEMSLOT_BY_HVA,
	KVM_MEMSLOT_NR_TREES,
};

/* Ids per chunk of the index by id: a 4 KiB chunk of slot pointers. */
#define KVM_MEMSLOT_ID_CHUNK		512
#define KVM_MEMSLOT_ID_CHUNKS		\
	DIV_ROUND_UP(KVM_MEMSLOT_MAX_SLOT_ID, KVM_MEMSLOT_ID_CHUNK)

/**
 * struct kvm_memslot_id_index - the published slots of an address space by id
 * @chunks: KVM_MEMSLOT_ID_CHUNK slot pointers each, for the ids from
 *          KVM_MEMSLOT_ID_CHUNK times the index on; NULL until a slot with
 *          one of those ids is first created
 *
 * Protected by the VM's slots_lock; see virt/kvm/memslot_ids.c.
 */
struct kvm_memslot_id_index {
	struct kvm_memory_slot **chunks[KVM_MEMSLOT_ID_CHUNKS];
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
 * @roots:       the slots by base gfn and by userspace_addr (the latter
 *               augmented with the largest end address of each subtree,
 *               which makes it an interval tree)
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
struct kvm_memslot_hint;
struct kvm_memslot_access;

/* Most table pages any backend's map() may need for one translation. */
#define KVM_MEMSLOT_MMU_CACHE_PAGES	4

/**
 * struct kvm_memslot_mmu_cache - zeroed pages for a backend's tables
 * @nr:    pages in @pages
 * @taken: pages map() has taken from the cache, for the statistics
 * @pages: zeroed pages, charged to the memory cgroup that filled the cache
 *
 * Filled (virt/kvm/memslot_mmu_cache.c) before mmu_lock is taken, emptied
 * by map() under it.  Owned by one vCPU and used under its mutex.
 */
struct kvm_memslot_mmu_cache {
	unsigned int nr;
	u64 taken;
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

/* Most pages a vCPU fd maps (KVM_GET_VCPU_MMAP_SIZE) for any backend. */
#define KVM_MEMSLOT_VCPU_MAX_MMAP_PAGES	4

/**
 * struct kvm_memslot_ops - an architecture backend: the whole contract
 * @name:               for logs and statistics
 * @vm_type:            the KVM_CREATE_VM type this backend implements ...
 * @vm_type_mask:       ... when (type & @vm_type_mask) == @vm_type; the
 *                      bits outside the mask are parameters of the type
 *                      that @init_vm reads (an IPA size, for example)
 * @vm_type_bit:        the KVM_MEMSLOT_VM_TYPE_BIT_* of @vm_type, which
 *                      KVM_MEMSLOT_CAP_VM_TYPES reports: a single bit, of
 *                      no other backend
 * @type_data:          constant data of the VM type, for the backend only
 *                      (a table entry format, for example)
 * @nr_address_spaces:  address spaces, at most KVM_MEMSLOT_MAX_ADDRESS_SPACES
 *                      (KVM_CAP_MULTI_ADDRESS_SPACE)
 * @nr_user_slots:      slot ids userspace may use (KVM_CAP_NR_MEMSLOTS)
 * @readonly_mem:       KVM_MEM_READONLY is accepted (KVM_CAP_READONLY_MEM)
 * @manual_dirty_log_protect: KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 is reported
 *                      and may be enabled
 * @clear_dirty_log:    the VM has the KVM_CLEAR_DIRTY_LOG ioctl
 * @dirty_ring:         the VM may log dirty pages in per-vCPU rings
 *                      (KVM_CAP_DIRTY_LOG_RING), as 6.1 x86 KVM can
 * @page_shift:         log2 of the VM's page size: the unit of a gfn, of
 *                      slot alignment and of a dirty bit; at least the
 *                      host's PAGE_SHIFT
 * @map_sizes:          bitmap of the sizes (BIT(log2 bytes)) map() installs;
 *                      includes BIT(@page_shift) if @map is set
 * @map_cache_pages:    table pages map() may take from its cache, at most
 *                      KVM_MEMSLOT_MMU_CACHE_PAGES
 * @max_vcpus:          vCPUs a VM may have (KVM_CAP_MAX_VCPUS)
 * @max_vcpu_ids:       vCPU ids are below this (KVM_CAP_MAX_VCPU_ID)
 * @max_vcpu_create_id: KVM_CREATE_VCPU accepts only ids below this, if
 *                      not 0 (Book3S HV: KVM_MAX_VCPUS times the SMT mode,
 *                      below what it reports)
 * @vcpu_id_taken_einval: KVM_CREATE_VCPU of an id in use fails with EINVAL
 *                      (Book3S HV refuses it before the generic EEXIST)
 * @vcpu_mmap_pages:    pages a vCPU fd maps, struct kvm_run first
 *                      (KVM_GET_VCPU_MMAP_SIZE), at most
 *                      KVM_MEMSLOT_VCPU_MAX_MMAP_PAGES
 * @unknown_vm_ioctl:   the errno of a KVM VM ioctl neither the core nor the
 *                      architecture knows (arm64: -EINVAL); 0 is x86's
 *                      -ENOTTY
 * @ext_caps:           the extensions only this architecture has (ioctls
 *                      of its @vm_ioctl or @vcpu_ioctl), as a bitmap of
 *                      BIT_ULL(KVM_MEMSLOT_CAP_*), each reported as 1 by
 *                      KVM_MEMSLOT_CHECK_EXTENSION; the core answers for
 *                      the others
 * @init_vm:            set up @vm->arch for a VM of @type, which matched
 *                      @vm_type; a non-zero errno fails KVM_CREATE_VM,
 *                      and no other hook is called for @vm.  Optional.
 * @destroy_vm:         release what @init_vm set up, after every slot and
 *                      translation is gone.  Optional.
 * @check_extension:    the value of a capability the core does not know
 *                      (one only this architecture has), 0 if unsupported.
 *                      Optional.
 * @prepare_memory_region: check and prepare a change; called with
 *                      slots_lock held, before the set carrying @new is
 *                      published.  A non-zero errno fails the update.
 *                      Required.
 * @flush_memslot:      remove every translation made from @old, which was
 *                      published INVALID, after a grace period, so that no
 *                      fault can map it again.  slots_lock held.  Returns
 *                      the number of translations removed (a large
 *                      mapping counts once), for the kvm_memslot_flush_memslot
 *                      tracepoint.
 * @commit_memory_region: after the set carrying @new (NULL for a delete)
 *                      was published; slots_lock held.
 * @free_memslot:       release @slot->arch; called once per arch
 *                      allocation, maybe after a grace period.
 * @flush_all:          remove every translation: VM teardown or the mm's
 *                      release; no vCPU runs.
 * @unmap_gfn_range:    MMU-notifier invalidation: remove the translations
 *                      of @range; mmu_lock held.  Returns the number of
 *                      translations removed (a large mapping counts once);
 *                      remote TLBs are flushed if it is not 0.
 * @age_gfn_range:      clear the accessed state of @range; mmu_lock held.
 *                      Returns true if any translation was accessed.
 * @test_age_gfn_range: whether any translation of @range was accessed,
 *                      clearing nothing; mmu_lock held.
 * @translate:          translate @gpa of address space @as_id through the
 *                      backend's tables as hardware would, for an access
 *                      (a write if @write).  Runs in simulated guest mode,
 *                      without mmu_lock, like a hardware walk: table pages
 *                      are freed only after kvm_memslot_flush_remote_tlbs().
 *                      Returns KVM_MEMSLOT_WALK_HIT with *@pfn set to the
 *                      host frame of @gpa's host page, KVM_MEMSLOT_WALK_MISS,
 *                      or KVM_MEMSLOT_WALK_MMIO for a "no slot" entry of
 *                      @generation.  Required, with @map, for vCPU accesses.
 * @map:                translate the 1 << @shift bytes at @gfn (aligned to
 *                      that size, @shift a bit of @map_sizes) of @slot to the
 *                      host frames from @pfn, writable if @writable, taking
 *                      table pages from @cache (filled with @map_cache_pages);
 *                      mmu_lock held.  Returns 0, -EAGAIN if @slot is
 *                      INVALID (the fault retries), or a negative errno.
 * @map_mmio:           remember that no slot backs @gfn of @as_id in the set
 *                      of @generation, so that the next access exits without
 *                      a fault; mmu_lock held.  Optional.
 * @protect_dirty_gfns: write-protect the pages of @slot whose bits are set
 *                      in @mask, bit 0 being @gfn_offset; mmu_lock held.
 *                      Returns true if remote TLBs must be flushed.
 * @audit:              count the translations that violate the invariants,
 *                      logging each; slots_lock, SRCU and mmu_lock held.
 * @sync_dirty_log:     move into @slot's dirty bitmap the writes the
 *                      backend's translations recorded by themselves (a
 *                      change bit), before KVM_GET_DIRTY_LOG reads the
 *                      bitmap; slots_lock held.  Optional.
 * @access_flags:       KVM_MEMSLOT_ACCESS_* flags beyond WRITE that @access
 *                      understands
 * @access:             simulate the guest access of @len bytes at @gpa
 *                      (within one host page) with KVM_MEMSLOT_ACCESS_*
 *                      @flags between guest memory and @buf, faulting as
 *                      the architecture does; replaces @translate and @map
 *                      for a backend whose translations are not a walk of
 *                      guest physical addresses (or whose page is larger
 *                      than the host's).  Sleeps.  Returns 0 when done,
 *                      KVM_MEMSLOT_ACCESS_STOPPED with @acc's exit fields
 *                      filled in, or a negative errno.  Optional.
 * @vm_ioctl:           an ioctl of the architecture on the VM fd; returns
 *                      -ENOIOCTLCMD for one it does not know.  Optional.
 * @vcpu_ioctl:         an extension ioctl of the architecture on a vCPU
 *                      fd, with the vCPU's mutex held and its last-used
 *                      slot @hint; returns -ENOIOCTLCMD for one it does not
 *                      know.  Optional.
 *
 * The rules every hook follows (when it runs, what it may assume, what it
 * must guarantee on return) are in Documentation/virt/kvm/memslots.rst.
 * Hooks not marked required or optional may be left NULL by a backend that
 * keeps no translations.
 */
struct kvm_memslot_ops {
	const char *name;
	unsigned long vm_type;
	unsigned long vm_type_mask;
	u32 vm_type_bit;
	const void *type_data;
	u16 nr_address_spaces;
	u16 nr_user_slots;
	bool readonly_mem;
	bool manual_dirty_log_protect;
	bool clear_dirty_log;
	bool dirty_ring;
	u8 page_shift;
	unsigned long map_sizes;
	u8 map_cache_pages;
	u32 max_vcpus;
	u32 max_vcpu_ids;
	u32 max_vcpu_create_id;
	bool vcpu_id_taken_einval;
	u8 vcpu_mmap_pages;
	int unknown_vm_ioctl;
	u64 ext_caps;

	int (*init_vm)(struct kvm_memslot_vm *vm, unsigned long type);
	void (*destroy_vm)(struct kvm_memslot_vm *vm);
	long (*check_extension)(const struct kvm_memslot_ops *ops, long cap);

	int (*prepare_memory_region)(struct kvm_memslot_vm *vm,
				     const struct kvm_memory_slot *old,
				     struct kvm_memory_slot *new,
				     enum kvm_memslot_change change);
	unsigned long (*flush_memslot)(struct kvm_memslot_vm *vm,
				       const struct kvm_memory_slot *old);
	void (*commit_memory_region)(struct kvm_memslot_vm *vm,
				     struct kvm_memory_slot *old,
				     const struct kvm_memory_slot *new,
				     enum kvm_memslot_change change);
	void (*free_memslot)(struct kvm_memslot_vm *vm,
			     struct kvm_memory_slot *slot);
	void (*flush_all)(struct kvm_memslot_vm *vm);
	unsigned long (*unmap_gfn_range)(struct kvm_memslot_vm *vm,
					 const struct kvm_memslot_gfn_range *range);
	bool (*age_gfn_range)(struct kvm_memslot_vm *vm,
			      const struct kvm_memslot_gfn_range *range);
	bool (*test_age_gfn_range)(struct kvm_memslot_vm *vm,
				   const struct kvm_memslot_gfn_range *range);
	enum kvm_memslot_walk_result (*translate)(struct kvm_memslot_vm *vm,
						  int as_id, u64 gpa, bool write,
						  u64 generation,
						  unsigned long *pfn);
	int (*map)(struct kvm_memslot_vm *vm, const struct kvm_memory_slot *slot,
		   kvm_memslot_gfn_t gfn, unsigned long pfn, bool writable,
		   unsigned int shift, struct kvm_memslot_mmu_cache *cache);
	int (*map_mmio)(struct kvm_memslot_vm *vm, int as_id,
			kvm_memslot_gfn_t gfn, u64 generation);
	bool (*protect_dirty_gfns)(struct kvm_memslot_vm *vm,
				   const struct kvm_memory_slot *slot,
				   kvm_memslot_gfn_t gfn_offset,
				   unsigned long mask);
	unsigned long (*audit)(struct kvm_memslot_vm *vm);
	void (*sync_dirty_log)(struct kvm_memslot_vm *vm,
			       const struct kvm_memory_slot *slot);
	u16 access_flags;
	int (*access)(struct kvm_memslot_vm *vm, struct kvm_memslot_hint *hint,
		      u64 gpa, u32 len, u16 flags, void *buf,
		      struct kvm_memslot_access *acc);
	long (*vm_ioctl)(struct kvm_memslot_vm *vm, unsigned int ioctl,
			 unsigned long arg);
	long (*vcpu_ioctl)(struct kvm_memslot_vm *vm,
			   struct kvm_memslot_hint *hint, unsigned int ioctl,
			   unsigned long arg);
};

/* What an @access hook returns when the access stopped with an exit. */
#define KVM_MEMSLOT_ACCESS_STOPPED	1

/**
 * struct kvm_memslot_listener - who hears of the changes of guest RAM
 * @notify: a change, called under slots_lock once per change of an
 *          update: for a delete or a move as soon as the guest can no
 *          longer reach the old RAM (the INVALID set is published and the
 *          slot's translations are flushed), before anything else is
 *          prepared; for a create or a flags change once the final set is
 *          published.  The VM's generation is that of the set just
 *          published.
 * @sync:   called under slots_lock after the deletes and moves of an
 *          update were notified, before it goes on; may sleep.  A negative
 *          errno undoes the update (the old layout is published again, and
 *          each slot it brings back is notified as a create) and is what
 *          it returns.
 *
 * The core knows nothing of who listens (virt/kvm/memslot_notice.c tells
 * device models in other processes); a VM without a listener pays a NULL
 * test per update.
 */
struct kvm_memslot_listener {
	void (*notify)(struct kvm_memslot_vm *vm,
		       const struct kvm_memory_slot *old,
		       const struct kvm_memory_slot *new,
		       enum kvm_memslot_change change);
	int (*sync)(struct kvm_memslot_vm *vm);
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
 * @ids:              the published slots of each address space by id;
 *                    protected by @slots_lock
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
 * @node_pool:        retired tree nodes kept for the next updates
 * @stats:            counters of protocol events
 * @transit_waits:    faults that met a gfn in transition and waited
 * @remote_tlb_flush_requests: kvm_memslot_flush_remote_tlbs() calls
 * @remote_tlb_flushes: of those, the ones that found a vCPU in guest mode
 *                    and waited for it (KVM counts the ones that sent IPIs)
 * @gpc_refreshes:    gfn_to_pfn cache fills; written under @mmu_lock
 * @gpc_invalidations: gfn_to_pfn caches cleared by the MMU notifier;
 *                    written under @mmu_lock
 * @mmu_lock:         protects the backend's translations
 * @mmu_invalidate_seq: bumped when an MMU-notifier invalidation ends; a
 *                    fault that resolved a pfn under an older value retries
 * @mmu_invalidate_in_progress: invalidations started and not ended
 * @mmu_invalidate_start: host range of the invalidations in progress
 * @mmu_invalidate_end: ditto, one past its end
 * @gpcs:             the active gfn_to_pfn caches (virt/kvm/pfncache.c),
 *                    which MMU-notifier invalidations clear; protected by
 *                    @mmu_lock
 * @listener:         told of changes of guest RAM, or NULL; set before the
 *                    first update
 */
struct kvm_memslot_vm {
	const struct kvm_memslot_ops *ops;
	void *arch;
	struct srcu_struct srcu;
	/* Serializes updates and what must not race with them. */
	struct mutex slots_lock;
	struct kvm_memslots __rcu *sets[KVM_MEMSLOT_MAX_ADDRESS_SPACES];
	struct kvm_memslot_id_index ids[KVM_MEMSLOT_MAX_ADDRESS_SPACES];
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
	struct kvm_memslot_node_pool node_pool;
	struct kvm_memslot_stats stats;
	atomic64_t transit_waits;
	atomic64_t remote_tlb_flush_requests;
	atomic64_t remote_tlb_flushes;
	u64 gpc_refreshes;
	u64 gpc_invalidations;
	/* Protects the backend's translations and the mmu_invalidate_* state. */
	spinlock_t mmu_lock;
	unsigned long mmu_invalidate_seq;
	long mmu_invalidate_in_progress;
	unsigned long mmu_invalidate_start;
	unsigned long mmu_invalidate_end;
	struct hlist_head gpcs;
	const struct kvm_memslot_listener *listener;
};

/* virt/kvm/memslot_tree.c: the caches of tree nodes, at module load and unload */
int kvm_memslot_tree_init(void);
void kvm_memslot_tree_exit(void);

/* virt/kvm/memslot_backends.c */
int kvm_memslot_register_backend(const struct kvm_memslot_ops *ops);
void kvm_memslot_unregister_backend(const struct kvm_memslot_ops *ops);
const struct kvm_memslot_ops *kvm_memslot_backend(unsigned long type);
const struct kvm_memslot_ops *kvm_memslot_backend_at(unsigned int i);

/*
 * The backends the module links: Kbuild defines KVM_MEMSLOT_BACKENDS(X) to
 * expand X(name) once per word of its kvm_memslot-backends list, for every
 * object, and each backend provides name_backend_init() (registers its VM
 * types) and name_backend_exit() (unregisters them).  Without the list
 * (the userspace harness registers its fakes itself) there are none.
 */
#ifndef KVM_MEMSLOT_BACKENDS
#define KVM_MEMSLOT_BACKENDS(X)
#endif

/*
 * The prototypes of the backends' init and exit functions: each X(name)
 * adds one function to a declaration by function type that the core's own
 * function (which calls them all) ends, so that neither macro carries a
 * semicolon.
 */
typedef int kvm_memslot_backend_init_fn(void);
typedef void kvm_memslot_backend_exit_fn(void);
#define KVM_MEMSLOT_BACKEND_INIT_DECL(name)	name##_backend_init,
#define KVM_MEMSLOT_BACKEND_EXIT_DECL(name)	name##_backend_exit,
#define KVM_MEMSLOT_BACKEND_INITS	KVM_MEMSLOT_BACKENDS(KVM_MEMSLOT_BACKEND_INIT_DECL)
#define KVM_MEMSLOT_BACKEND_EXITS	KVM_MEMSLOT_BACKENDS(KVM_MEMSLOT_BACKEND_EXIT_DECL)

kvm_memslot_backend_init_fn KVM_MEMSLOT_BACKEND_INITS kvm_memslot_backends_init;
kvm_memslot_backend_exit_fn KVM_MEMSLOT_BACKEND_EXITS kvm_memslot_backends_exit;

/* virt/kvm/memslot_vm.c */
int kvm_memslot_vm_init(struct kvm_memslot_vm *vm,
			const struct kvm_memslot_ops *ops, void *arch);
void kvm_memslot_vm_uninit(struct kvm_memslot_vm *vm);
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

/* virt/kvm/memslot_ids.c */
struct kvm_memory_slot *kvm_memslot_find_id(struct kvm_memslot_vm *vm,
					    u16 as_id, u16 id);

/* virt/kvm/memslot_lookup.c */
/* Visits a slot during a walk; a non-zero return ends the walk. */
typedef int (*kvm_memslot_visit_t)(struct kvm_memory_slot *slot, void *data);

struct kvm_memory_slot *kvm_memslot_find_gfn(struct kvm_memslots *slots,
					     kvm_memslot_gfn_t gfn);
bool kvm_memslot_gfn_in_transition(struct kvm_memslots *slots,
				   kvm_memslot_gfn_t gfn);
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
 * @base_gfn:   @slot's first gfn
 * @npages:     @slot's size in pages; 0 in a hint that was never filled
 * @generation: generation of the set @slot was found in
 * @as_id:      address space of that set
 *
 * Valid only while the set of that generation and address space is the
 * one being read (both address spaces' sets may share a generation).  The
 * hint keeps its own copy of the slot's range, so that a hit reads the
 * hint and the set's header and never waits for a load of the slot.
 */
struct kvm_memslot_hint {
	struct kvm_memory_slot *slot;
	kvm_memslot_gfn_t base_gfn;
	unsigned long npages;
	u64 generation;
	u16 as_id;
};

struct kvm_memory_slot *__kvm_memslot_find_gfn_hint(struct kvm_memslots *slots,
						    kvm_memslot_gfn_t gfn,
						    struct kvm_memslot_hint *hint);

/**
 * kvm_memslot_find_gfn_hint() - kvm_memslot_find_gfn() with a last-used slot
 * @slots: the set
 * @gfn:   guest frame number
 * @hint:  the caller's (a vCPU's) last-used slot, updated on a tree lookup
 *
 * The hit is inline: one branch on two comparisons, the set being the
 * hint's (same generation and address space) and @gfn being in the hinted
 * range.  A hint from another set may point to freed memory, so @slot is
 * returned only after both; a hint never filled has no range and misses.
 *
 * Return: as kvm_memslot_find_gfn().
 */
static __always_inline struct kvm_memory_slot *
kvm_memslot_find_gfn_hint(struct kvm_memslots *slots, kvm_memslot_gfn_t gfn,
			  struct kvm_memslot_hint *hint)
{
	u64 other_set = (hint->generation ^ slots->generation) |
			(hint->as_id ^ slots->as_id);

	/* Below the range, gfn - base_gfn wraps around to a large value. */
	if (likely(!other_set && gfn - hint->base_gfn < hint->npages))
		return hint->slot;
	return __kvm_memslot_find_gfn_hint(slots, gfn, hint);
}

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

/**
 * kvm_memslot_is_invalid() - whether a slot is being deleted or moved
 * @slot: the slot
 *
 * Return: true if faults must not create translations from @slot.
 */
static inline bool kvm_memslot_is_invalid(const struct kvm_memory_slot *slot)
{
	return slot->flags & KVM_MEMSLOT_INVALID;
}

/**
 * kvm_memslot_end() - one past a slot's last gfn
 * @slot: the slot
 *
 * Return: @slot->base_gfn + @slot->npages.
 */
static inline kvm_memslot_gfn_t kvm_memslot_end(const struct kvm_memory_slot *slot)
{
	return slot->base_gfn + slot->npages;
}

/**
 * kvm_memslot_gfn_to_hva() - the host address of a guest page
 * @slot: the slot
 * @gfn:  a gfn of @slot
 *
 * Return: the host virtual address of the first byte of @gfn.
 */
static inline unsigned long kvm_memslot_gfn_to_hva(const struct kvm_memory_slot *slot,
						   kvm_memslot_gfn_t gfn)
{
	return slot->userspace_addr +
	       ((unsigned long)(gfn - slot->base_gfn) << slot->page_shift);
}

/**
 * kvm_memslot_hva_end() - one past the last host address backing a slot
 * @slot: the slot
 *
 * Return: @slot->userspace_addr plus the slot's size in bytes.
 */
static inline unsigned long kvm_memslot_hva_end(const struct kvm_memory_slot *slot)
{
	return slot->userspace_addr + (slot->npages << slot->page_shift);
}

#endif /* __LINUX_KVM_MEMSLOT_H */
