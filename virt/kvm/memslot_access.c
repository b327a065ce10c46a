// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: simulated guest accesses and the fault path.
 *
 * KVM_MEMSLOT_VCPU_ACCESS makes a vCPU read or write guest physical memory
 * the way hardware does: a walk of the backend's translation structures,
 * then a copy through the translation found.  A walk that finds nothing
 * usable faults: the fault resolves gfn -> slot -> hva -> pfn and installs
 * a translation, which the next walk uses.  The fault is the generic half
 * of what in-tree KVM's page fault handlers do; the backend only stores and
 * finds translations.
 *
 * The walk and the copy run in simulated guest mode (memslot_guest_mode.c),
 * which is what a remote TLB flush waits for; the host pages come from
 * memslot_host_mm.c.
 *
 * Lock order: slots_lock, then the VM's SRCU, then mmu_lock.
 */
#include <linux/highmem.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <uapi/linux/kvm_memslot.h>

#include "memslot_fd.h"
#include "memslot_host_mm.h"

/* What a fault leaves the access to do next. */
enum access_next {
	ACCESS_RETRY,	/* walk again: a translation may exist now */
	/* stop: the exit fields are filled in; what an access hook returns */
	ACCESS_EXIT = KVM_MEMSLOT_ACCESS_STOPPED,
};

/*
 * Whether @gfn may be mapped by a translation of 1 << @shift bytes: the
 * host maps its page with a leaf at least that large, the aligned block
 * holding @gfn lies inside the slot and lines up with an aligned block of
 * host memory, and the slot does not log dirty pages (a write must be
 * logged per VM page).  The caller holds mmu_lock and has checked that no
 * invalidation covers the block, so the host mapping cannot change before
 * the translation is installed without an invalidation removing it again.
 */
static bool fault_block_ok(struct kvm_memslot_vm *vm,
			   const struct kvm_memory_slot *slot,
			   kvm_memslot_gfn_t gfn, unsigned long hva,
			   unsigned long pfn, unsigned long mmu_seq,
			   unsigned int shift)
{
	unsigned long nr_pages = 1UL << (shift - slot->page_shift);
	kvm_memslot_gfn_t base = ALIGN_DOWN(gfn, nr_pages);
	unsigned long hva_base = ALIGN_DOWN(hva, 1UL << shift);
	struct kvm_memslot_host_map map;

	if (slot->dirty_bitmap)
		return false;
	if (base < slot->base_gfn || base + nr_pages > kvm_memslot_end(slot))
		return false;
	if ((gfn ^ (hva >> slot->page_shift)) & (nr_pages - 1))
		return false;
	if (kvm_memslot_mmu_invalidate_retry(vm, mmu_seq, hva_base,
					     hva_base + (1UL << shift)))
		return false;
	/* The leaf must still map the very page the fault resolved. */
	return kvm_memslot_host_map_lookup(vm, hva, &map) &&
	       map.shift >= shift && map.pfn == pfn;
}

/*
 * The largest size the backend installs that @gfn may be mapped with
 * (fault_block_ok()), the VM's page size if no larger one fits.
 */
static unsigned int fault_map_shift(struct kvm_memslot_vm *vm,
				    const struct kvm_memory_slot *slot,
				    kvm_memslot_gfn_t gfn, unsigned long hva,
				    unsigned long pfn, unsigned long mmu_seq)
{
	unsigned long larger = vm->ops->map_sizes &
			       ~GENMASK(slot->page_shift, 0);
	unsigned int shift;

	while (larger) {
		shift = __fls(larger);
		/* No leaf of the host's is larger than a PUD's. */
		if (shift <= PUD_SHIFT &&
		    fault_block_ok(vm, slot, gfn, hva, pfn, mmu_seq, shift))
			return shift;
		larger &= ~BIT(shift);
	}
	return slot->page_shift;
}

static void access_exit(struct kvm_memslot_access *acc, u32 reason,
			u64 gpa, u32 len, bool write)
{
	acc->exit_reason = reason;
	acc->exit_gpa = gpa;
	acc->exit_len = len;
	acc->exit_write = write;
}

/*
 * Resolve @gfn of @slot to a host page and install a translation for it,
 * for an access of @vcpu.  Called with the SRCU read lock that found @slot
 * held; may sleep.
 *
 * Table pages the backend may need come from the vCPU's cache, filled before
 * mmu_lock is taken, so that they are allocated where sleeping and memcg
 * reclaim are allowed and charged to the caller's memory cgroup.
 *
 * Return: 0 (walk again, whether or not a translation was installed),
 * -EFAULT if the host maps nothing usable at the slot's address, -ENOMEM
 * if no table page could be had, or another negative errno.
 */
static int fault_map(struct kvm_memslot_vcpu *vcpu,
		     const struct kvm_memory_slot *slot,
		     kvm_memslot_gfn_t gfn, bool write, unsigned long mmu_seq)
{
	struct kvm_memslot_mmu_cache *cache = &vcpu->mmu_cache;
	struct kvm_memslot_vm *vm = &vcpu->vm->core;
	unsigned long hva = kvm_memslot_gfn_to_hva(slot, gfn);
	bool logging = slot->dirty_bitmap;
	bool ring = vcpu->dirty_ring.gfns;
	kvm_memslot_gfn_t map_gfn = gfn;
	unsigned int shift = slot->page_shift;
	unsigned long pfn, map_pfn;
	bool writable = write, installed = false;
	int r;

	/*
	 * A read maps the page writable only if the host already maps it
	 * writable: asking for write access would break copy-on-write or
	 * allocate memory for a mere read.  On a dirty-logged slot a read
	 * always maps read-only, so that the first write faults and is
	 * logged.
	 */
	if (!write && !logging && !(slot->flags & KVM_MEM_READONLY) &&
	    kvm_memslot_hva_to_pfn_fast_writable(hva, &pfn)) {
		writable = true;
	} else {
		r = kvm_memslot_hva_to_pfn(hva, write, &pfn);
		if (r)
			return r;
	}
	map_pfn = pfn;

	r = kvm_memslot_mmu_cache_topup(cache, vm->ops->map_cache_pages);
	if (r) {
		kvm_memslot_release_pfn(pfn, false);
		return r;
	}

	spin_lock(&vm->mmu_lock);
	if (kvm_memslot_mmu_invalidate_retry(vm, mmu_seq, hva, hva + PAGE_SIZE)) {
		r = 0;
		goto out_unlock;
	}
	shift = fault_map_shift(vm, slot, gfn, hva, pfn, mmu_seq);
	if (shift > slot->page_shift) {
		map_gfn = ALIGN_DOWN(gfn, 1ULL << (shift - slot->page_shift));
		map_pfn = pfn - ((gfn - map_gfn) << (slot->page_shift - PAGE_SHIFT));
	}
	/*
	 * Log the write before the translation that allows it exists, and
	 * under mmu_lock: a harvest takes the bit and then write-protects
	 * under mmu_lock, so either it sees this bit, or it runs after the
	 * translation is installed and removes it again, and the write that
	 * follows faults and is logged anew.
	 */
	if (write && logging && !ring)
		set_bit_le(gfn - slot->base_gfn, slot->dirty_bitmap);
	r = vm->ops->map(vm, slot, map_gfn, map_pfn, writable, shift, cache);
	installed = !r;
	/*
	 * With rings, the entry goes in with the translation, in this
	 * mmu_lock section: a reset protects the page under mmu_lock, so it
	 * either finds the translation to protect, or runs first and the
	 * write lands in an entry that a later reset handles.
	 */
	if (installed && write && logging && ring)
		kvm_memslot_dirty_ring_push(vcpu, slot, gfn - slot->base_gfn);
out_unlock:
	spin_unlock(&vm->mmu_lock);

	/* An INVALID slot: the backend asks for a retry. */
	if (r == -EAGAIN)
		r = 0;
	/*
	 * Writes through the translation bypass the host page tables, so
	 * the host never sees the page dirtied; tell it now, or reclaim
	 * could drop a page it believes clean.  The notifier, not a pin,
	 * keeps the translation coherent, so the reference goes now.
	 */
	kvm_memslot_release_pfn(pfn, installed && writable);
	return r;
}

/*
 * A walk of @gpa missed: find the slot and fault a translation in, or
 * decide the access exits.
 *
 * Return: ACCESS_RETRY, ACCESS_EXIT, or a negative errno.
 */
static int access_fault(struct kvm_memslot_vcpu *vcpu, int as_id, u64 gpa,
			u32 len, bool write, struct kvm_memslot_access *acc)
{
	struct kvm_memslot_vm *vm = &vcpu->vm->core;
	kvm_memslot_gfn_t gfn = gpa >> vm->ops->page_shift;
	struct kvm_memory_slot *slot;
	unsigned long mmu_seq;
	u64 generation;
	int idx, r;

	/*
	 * The generation of a set no newer than the one the lookup below
	 * uses.  A "no slot" entry tagged with it can only match (a walk
	 * passes the current generation) if the lookup's set is still
	 * current, so a slot created meanwhile is never hidden.
	 */
	idx = srcu_read_lock(&vm->srcu);
	generation = kvm_memslots_get(vm, as_id)->generation;
	srcu_read_unlock(&vm->srcu, idx);

	mmu_seq = READ_ONCE(vm->mmu_invalidate_seq);
	/*
	 * Sample the sequence before resolving anything (the slot, then the
	 * pfn): an invalidation that ends after this point makes the install
	 * retry.
	 */
	smp_rmb();

	slot = kvm_memslot_fault_lookup(vm, as_id, gfn, &vcpu->hint, &idx);
	/* Tell sparse: the lookup returns with the SRCU read lock held. */
	__acquire(&vm->srcu);
	if (IS_ERR(slot)) {
		srcu_read_unlock(&vm->srcu, idx);
		return PTR_ERR(slot);
	}
	if (!slot) {
		/*
		 * Cache the miss, as x86 caches MMIO translations, unless the
		 * set is mid-update (its gfns in transition were waited for,
		 * but its generation is about to be replaced anyway).
		 */
		if (vm->ops->map_mmio && !(generation & 1)) {
			spin_lock(&vm->mmu_lock);
			/* Failing to cache only costs the next access a fault. */
			vm->ops->map_mmio(vm, as_id, gfn, generation);
			spin_unlock(&vm->mmu_lock);
		}
		srcu_read_unlock(&vm->srcu, idx);
		access_exit(acc, KVM_MEMSLOT_EXIT_MMIO, gpa, len, write);
		return ACCESS_EXIT;
	}
	if (write && (slot->flags & KVM_MEM_READONLY)) {
		/*
		 * Reads of the slot still hit, so nothing is cached: this
		 * exits every time, as a write to ROM does on x86.
		 */
		srcu_read_unlock(&vm->srcu, idx);
		access_exit(acc, KVM_MEMSLOT_EXIT_MMIO, gpa, len, write);
		return ACCESS_EXIT;
	}

	r = fault_map(vcpu, slot, gfn, write, mmu_seq);
	srcu_read_unlock(&vm->srcu, idx);
	if (!r)
		WRITE_ONCE(vcpu->stats.host_faults, vcpu->stats.host_faults + 1);
	if (r == -EFAULT) {
		/* The slot is there, but its host memory is not. */
		access_exit(acc, KVM_MEMSLOT_EXIT_MEMORY_FAULT, gpa, len, write);
		return ACCESS_EXIT;
	}
	return r ? r : ACCESS_RETRY;
}

/*
 * Access [@gpa, @gpa + @len), all within one page, between guest memory
 * and the vCPU's bounce buffer.
 *
 * Return: 0 when done, ACCESS_EXIT, or a negative errno.
 */
static int access_page(struct kvm_memslot_vcpu *vcpu, int as_id, u64 gpa,
		       u32 len, bool write, struct kvm_memslot_access *acc)
{
	struct kvm_memslot_vm *vm = &vcpu->vm->core;
	enum kvm_memslot_walk_result res;
	unsigned long pfn;
	u64 generation;
	void *va;
	int idx, r;

	for (;;) {
		idx = srcu_read_lock(&vm->srcu);
		generation = kvm_memslots_get(vm, as_id)->generation;

		kvm_memslot_guest_mode_enter(vcpu);
		res = vm->ops->translate(vm, as_id, gpa, write, generation,
					 &pfn);
		if (res == KVM_MEMSLOT_WALK_HIT) {
			va = kmap_local_pfn(pfn);
			if (write)
				memcpy(va + offset_in_page(gpa), vcpu->bounce,
				       len);
			else
				memcpy(vcpu->bounce, va + offset_in_page(gpa),
				       len);
			kunmap_local(va);
		}
		kvm_memslot_guest_mode_exit(vcpu);
		srcu_read_unlock(&vm->srcu, idx);

		if (res == KVM_MEMSLOT_WALK_HIT)
			return 0;
		if (res == KVM_MEMSLOT_WALK_MMIO) {
			access_exit(acc, KVM_MEMSLOT_EXIT_MMIO, gpa, len, write);
			return ACCESS_EXIT;
		}

		r = access_fault(vcpu, as_id, gpa, len, write, acc);
		if (r != ACCESS_RETRY)
			return r;
		/* A retry may wait out an invalidation: stay killable. */
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
}

/**
 * kvm_memslot_vcpu_access_supported() - can vCPUs of a VM access its memory?
 * @ops: the VM's backend
 *
 * Accesses go through the backend's own @ops->access; without one, host
 * page by host page through the translations the backend keeps
 * (@ops->translate and @ops->map), which needs the VM's page to be the
 * host's.
 *
 * Return: true if KVM_MEMSLOT_VCPU_ACCESS works on the VM's vCPUs.
 */
bool kvm_memslot_vcpu_access_supported(const struct kvm_memslot_ops *ops)
{
	return ops->access ||
	       (ops->translate && ops->map && ops->page_shift == PAGE_SHIFT);
}

/**
 * kvm_memslot_vcpu_access() - KVM_MEMSLOT_VCPU_ACCESS on a vCPU fd
 * @vcpu: the vCPU; the caller holds its mutex
 * @argp: user pointer to struct kvm_memslot_access
 *
 * Accesses page by page; user memory is only touched outside guest mode,
 * through the vCPU's bounce buffer.  A pending signal stops a multi-page
 * access between two pages.
 *
 * Return: 0 with the structure updated (also after an exit), -EINTR with
 * the structure updated if a signal stopped the access, or -EINVAL for
 * unknown flags, an address space the VM lacks or a range that wraps,
 * -ENOTTY if the backend keeps no translations, -EFAULT, -ENOMEM.
 */
long kvm_memslot_vcpu_access(struct kvm_memslot_vcpu *vcpu, void __user *argp)
{
	struct kvm_memslot_vm *vm = &vcpu->vm->core;
	struct kvm_memslot_access acc;
	bool write;
	int as_id;
	long r = 0;

	if (copy_from_user(&acc, argp, sizeof(acc)))
		return -EFAULT;
	if (acc.flags & ~(KVM_MEMSLOT_ACCESS_WRITE | vm->ops->access_flags))
		return -EINVAL;
	as_id = acc.as_id;
	if (as_id >= vm->ops->nr_address_spaces)
		return -EINVAL;
	if (acc.gpa + acc.len < acc.gpa)
		return -EINVAL;
	if (!kvm_memslot_vcpu_access_supported(vm->ops))
		return -ENOTTY;

	write = acc.flags & KVM_MEMSLOT_ACCESS_WRITE;
	access_exit(&acc, KVM_MEMSLOT_EXIT_NONE, 0, 0, false);
	WRITE_ONCE(vcpu->stats.accesses, vcpu->stats.accesses + 1);
	acc.done = 0;

	while (acc.done < acc.len) {
		u64 gpa = acc.gpa + acc.done;
		void __user *ubuf = u64_to_user_ptr(acc.buf + acc.done);
		u32 len = min_t(u64, acc.len - acc.done,
				PAGE_SIZE - offset_in_page(gpa));

		/* As KVM_RUN does not enter the guest with a soft-full ring. */
		if (kvm_memslot_dirty_ring_soft_full(vcpu)) {
			access_exit(&acc, KVM_MEMSLOT_EXIT_DIRTY_RING_FULL, gpa,
				    len, write);
			r = 0;
			break;
		}
		if (write && copy_from_user(vcpu->bounce, ubuf, len))
			return -EFAULT;
		if (vm->ops->access)
			r = vm->ops->access(vm, &vcpu->hint, gpa, len, acc.flags,
					    vcpu->bounce, &acc);
		else
			r = access_page(vcpu, as_id, gpa, len, write, &acc);
		if (r < 0)
			return r;
		if (r == ACCESS_EXIT) {
			r = 0;
			break;
		}
		if (!write && copy_to_user(ubuf, vcpu->bounce, len))
			return -EFAULT;
		acc.done += len;

		if (acc.done < acc.len && signal_pending(current)) {
			r = -EINTR;
			break;
		}
		cond_resched();
	}

	if (acc.exit_reason == KVM_MEMSLOT_EXIT_MMIO)
		WRITE_ONCE(vcpu->stats.mmio_exits, vcpu->stats.mmio_exits + 1);
	else if (acc.exit_reason == KVM_MEMSLOT_EXIT_MEMORY_FAULT)
		WRITE_ONCE(vcpu->stats.memory_fault_exits,
			   vcpu->stats.memory_fault_exits + 1);
	if (copy_to_user(argp, &acc, sizeof(acc)))
		return -EFAULT;
	return r;
}

