// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: simulated guest mode, and the remote TLB flush it makes
 * necessary.
 *
 * A hardware walk of the translation structures takes no lock, so neither
 * does a simulated one (memslot_access.c): the walk and the copy run in
 * "guest mode", with preemption off, and a backend that removes
 * translations (or frees the table pages they live in) then calls
 * kvm_memslot_flush_remote_tlbs(), which waits until no vCPU that may have
 * walked the old tables is still in guest mode.  This is what lets an
 * MMU-notifier invalidation guarantee that, once it returns, no vCPU still
 * writes to the pages it is taking away.
 */
#include <linux/compiler.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/preempt.h>
#include <linux/processor.h>
#include <linux/rcupdate.h>
#include <linux/xarray.h>

#include "memslot_fd.h"

/**
 * kvm_memslot_guest_mode_enter() - enter simulated guest mode
 * @vcpu: the vCPU, about to walk the backend's translations and copy
 *        through one
 *
 * Preemption stays off until kvm_memslot_guest_mode_exit(), so that a
 * flusher spinning for this vCPU waits for a bounded walk and copy, never
 * for a vCPU that was scheduled out in the middle of one.
 */
void kvm_memslot_guest_mode_enter(struct kvm_memslot_vcpu *vcpu)
{
	preempt_disable();
	WRITE_ONCE(vcpu->guest_mode_seq, vcpu->guest_mode_seq + 1);
	/*
	 * Pairs with the barrier in kvm_memslot_flush_remote_tlbs(): either
	 * the flusher sees this vCPU in guest mode and waits for it, or the
	 * walk that follows sees the translations the flusher removed gone.
	 */
	smp_mb();
}

/**
 * kvm_memslot_guest_mode_exit() - leave simulated guest mode
 * @vcpu: the vCPU, done with the translation it walked to
 */
void kvm_memslot_guest_mode_exit(struct kvm_memslot_vcpu *vcpu)
{
	/* The copy is complete before a flusher may free the page. */
	smp_store_release(&vcpu->guest_mode_seq, vcpu->guest_mode_seq + 1);
	preempt_enable();
}

/**
 * kvm_memslot_flush_remote_tlbs() - wait until no vCPU uses old translations
 * @vm:    memslot state of a VM created on /dev/kvm-memslot
 *
 * Translations the caller removed (or write-protected) before this call are
 * no longer in use by any vCPU when it returns: every vCPU that was in
 * simulated guest mode, and so may have walked the old tables, has left
 * it.  A vCPU that enters guest mode afterwards walks the new tables, so it
 * is not waited for.  This is the TLB flush of the hook contract; only after
 * it may a backend free table pages or the host free the pages they mapped.
 *
 * The wait is a spin: guest mode is short and never sleeps, so this may be
 * called with mmu_lock held, and from MMU notifiers that must not block.
 * It must not be called from guest mode.
 */
void kvm_memslot_flush_remote_tlbs(struct kvm_memslot_vm *vm)
{
	struct kvm_memslot_host_vm *hvm = kvm_memslot_host_vm(vm);
	struct kvm_memslot_vcpu *vcpu;
	unsigned long id, seq;
	bool waited = false;

	atomic64_inc(&vm->remote_tlb_flush_requests);
	/* Order the caller's removals before the reads of guest mode. */
	smp_mb();
	/*
	 * A vCPU whose creation fails is taken out of the array and freed
	 * while the VM lives: the RCU read side keeps it readable here.
	 */
	rcu_read_lock();
	xa_for_each(&hvm->vcpus, id, vcpu) {
		seq = READ_ONCE(vcpu->guest_mode_seq);
		if (!(seq & 1))
			continue;
		/* Any change means that this guest-mode section ended. */
		while (smp_load_acquire(&vcpu->guest_mode_seq) == seq)
			cpu_relax();
		waited = true;
	}
	rcu_read_unlock();
	if (waited)
		atomic64_inc(&vm->remote_tlb_flushes);
}
