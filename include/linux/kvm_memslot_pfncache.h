/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * kvm-memslot: the gfn_to_pfn cache.
 *
 * A cache maps a few bytes of guest physical memory, never more than one
 * page, for kernel code that must reach them from atomic context (a shared
 * info page, a clock, a steal-time record).  It is resolved once, with
 * sleeping allowed, and then used with a read lock and no lookup:
 *
 *	read_lock(&gpc->lock);
 *	while (!kvm_memslot_gpc_check(gpc)) {
 *		read_unlock(&gpc->lock);
 *		if (kvm_memslot_gpc_refresh(gpc))
 *			return ...;
 *		read_lock(&gpc->lock);
 *	}
 *	va = kmap_local_pfn(gpc->pfn);
 *	... access va + offset_in_page(gpc->gpa) ...
 *	kunmap_local(va);
 *	read_unlock(&gpc->lock);
 *
 * A cache stops hitting the moment what it maps may have changed: an
 * MMU-notifier invalidation of its host page (of any kind, a protection
 * downgrade included) clears it, and any new slot set (any publish bumps
 * the VM's generation) makes the check fail.  A user that must be done
 * with the page before a slot update flushes the old slot holds the VM's
 * SRCU read lock across check and access: the update's grace period then
 * waits for it.  See virt/kvm/pfncache.c.
 */
#ifndef __LINUX_KVM_MEMSLOT_PFNCACHE_H
#define __LINUX_KVM_MEMSLOT_PFNCACHE_H

#include <linux/compiler.h>
#include <linux/kvm_memslot.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>

/**
 * struct kvm_memslot_gpc - a gfn_to_pfn cache
 * @lock:          read-held by users across check and access; write-held
 *                 (with the VM's mmu_lock) by whatever fills or clears the
 *                 cache
 * @refresh_lock:  serializes activate, refresh and deactivate, which may
 *                 sleep
 * @vm:            the VM whose slots and host mm the cache follows
 * @node:          on the VM's list of active caches (@vm->gpcs, which
 *                 invalidations walk) while active; under the VM's mmu_lock
 * @as_id:         address space the gpa is in
 * @write:         the cache is used for writing: it maps only a page the
 *                 host maps writable
 * @active:        between activate and deactivate
 * @valid:         @pfn may be used, if the generation still matches
 * @gpa:           first guest physical address cached
 * @len:           bytes cached from @gpa, all in @gpa's page
 * @slot:          the slot @gpa was found in; may be dereferenced only
 *                 under the VM's SRCU read lock, after a check that hit
 * @hva:           host virtual address of @gpa's page, while @valid
 * @pfn:           host page frame of @gpa, while @valid; the cache holds a
 *                 reference on the page from the fill until it is cleared
 * @generation:    the VM generation the cache was filled under
 * @refresh_hva:   host address of the page a refresh is resolving
 * @refresh_ok:    set by a refresh before it resolves @refresh_hva, with no
 *                 invalidation of that page in flight; cleared by any
 *                 invalidation of the page that starts meanwhile, which
 *                 makes the refresh resolve it again
 * @fills:         successful refreshes (the pfn generation)
 * @invalidations: MMU-notifier invalidations that cleared the cache
 * @retries:       refresh attempts thrown away because an invalidation
 *                 of the page started meanwhile or the slot layout
 *                 changed
 * @last_error:    0, or the negative errno of the last failed refresh
 *
 * @valid, @slot, @hva, @pfn and @generation change only with both
 * @lock (for writing) and the VM's mmu_lock held, so an invalidation may
 * read them under mmu_lock alone.  @refresh_hva and @refresh_ok are
 * protected by the VM's mmu_lock.
 */
struct kvm_memslot_gpc {
	rwlock_t lock;			/* see above */
	struct mutex refresh_lock;	/* see above */
	struct kvm_memslot_vm *vm;
	struct hlist_node node;
	u16 as_id;
	bool write;
	bool active;
	bool valid;
	u64 gpa;
	unsigned int len;
	const struct kvm_memory_slot *slot;
	unsigned long hva;
	unsigned long pfn;
	u64 generation;
	unsigned long refresh_hva;
	bool refresh_ok;
	u64 fills;
	u64 invalidations;
	u64 retries;
	int last_error;
};

void kvm_memslot_gpc_init(struct kvm_memslot_gpc *gpc,
			  struct kvm_memslot_vm *vm, int as_id, bool write);
int kvm_memslot_gpc_activate(struct kvm_memslot_gpc *gpc, u64 gpa,
			     unsigned int len);

/**
 * kvm_memslot_gpc_check() - whether a cache may be used as it is
 * @gpc: the cache; the caller holds @gpc->lock for reading
 *
 * The fast path, safe in atomic context and inline: it neither sleeps nor
 * looks anything up.  While the caller keeps holding @gpc->lock, @gpc->pfn
 * stays mapped by the host as it was when the cache was filled: an
 * invalidation has to take the lock for writing to clear it.
 *
 * The VM's generation is read once, with no barrier: a publish stores the
 * new sets before it bumps the generation, and the grace period that a
 * delete or move waits for before its flush separates the two, so a user
 * inside the VM's SRCU read section either sees the new generation here
 * or is waited for before the flush.  A user outside that section is told
 * only that the cache was current when checked.  @valid and @generation
 * are stable under @gpc->lock, so both tests are folded into one branch.
 *
 * Return: true if @gpc->pfn backs @gpc->gpa in the current slot layout and
 * is what the host maps there (writable, for a write cache).
 */
static inline bool kvm_memslot_gpc_check(struct kvm_memslot_gpc *gpc)
{
	lockdep_assert_held(&gpc->lock);

	return gpc->valid & (gpc->generation == READ_ONCE(gpc->vm->generation));
}

int kvm_memslot_gpc_refresh(struct kvm_memslot_gpc *gpc);
void kvm_memslot_gpc_mark_dirty(struct kvm_memslot_gpc *gpc);
void kvm_memslot_gpc_deactivate(struct kvm_memslot_gpc *gpc);
void kvm_memslot_gpc_invalidate(struct kvm_memslot_vm *vm,
				unsigned long start, unsigned long end);

/*
 * The host side of a fill, provided by the module (memslot_host_mm.c) and
 * by the userspace harness's tests.
 */
int kvm_memslot_gpc_pin(struct kvm_memslot_vm *vm, unsigned long hva,
			bool write, unsigned long *pfn);
void kvm_memslot_gpc_unpin(struct kvm_memslot_vm *vm, unsigned long pfn);

#endif /* __LINUX_KVM_MEMSLOT_PFNCACHE_H */
