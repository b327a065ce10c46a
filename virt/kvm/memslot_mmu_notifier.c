// SPDX-License-Identifier: GPL-2.0-only
/*
 * The core's side of MMU-notifier invalidations: slot updates and
 * invalidations must not see each other half done.
 *
 * An invalidation resolves its host range to slots when it starts and
 * unmaps through them; if a new set were published before it ended, a slot
 * created meanwhile over the same host pages could be faulted in from pages
 * that are still being torn down.  So an update publishes only while no
 * invalidation is in flight.  To keep a steady stream of invalidations from
 * starving the update, an update that is waiting closes a gate: invalidations
 * that may sleep wait at the gate until the publish is done; those that may
 * not (the OOM reaper) still go through, and the update waits them out.
 */

#include <linux/sched.h>

#include "memslot_internal.h"

/**
 * kvm_memslot_invalidate_begin() - an MMU-notifier invalidation starts
 * @vm:        the VM
 * @blockable: whether the caller may sleep
 *
 * Must be paired with kvm_memslot_invalidate_end().
 */
void kvm_memslot_invalidate_begin(struct kvm_memslot_vm *vm, bool blockable)
{
	spin_lock(&vm->mn_lock);
	while (blockable && vm->mn_update_waiting) {
		spin_unlock(&vm->mn_lock);
		wait_event(vm->mn_wq, !READ_ONCE(vm->mn_update_waiting));
		spin_lock(&vm->mn_lock);
	}
	vm->mn_active++;
	spin_unlock(&vm->mn_lock);
}

/**
 * kvm_memslot_invalidate_end() - an MMU-notifier invalidation ended
 * @vm: the VM
 */
void kvm_memslot_invalidate_end(struct kvm_memslot_vm *vm)
{
	bool wake;

	spin_lock(&vm->mn_lock);
	wake = !--vm->mn_active;
	spin_unlock(&vm->mn_lock);
	if (wake)
		wake_up_all(&vm->mn_wq);
}

/**
 * kvm_memslot_publish_begin() - wait until a slot set may be published
 * @vm: the VM, slots_lock held
 *
 * Returns with vm->mn_lock held and no invalidation in flight; the caller
 * publishes, then calls kvm_memslot_publish_end().
 */
void kvm_memslot_publish_begin(struct kvm_memslot_vm *vm)
	__acquires(&vm->mn_lock)
{
	lockdep_assert_held(&vm->slots_lock);

	spin_lock(&vm->mn_lock);
	vm->mn_update_waiting = true;
	while (vm->mn_active) {
		spin_unlock(&vm->mn_lock);
		wait_event(vm->mn_wq, !READ_ONCE(vm->mn_active));
		spin_lock(&vm->mn_lock);
	}
}

/**
 * kvm_memslot_publish_end() - reopen the gate closed by publish_begin
 * @vm: the VM
 */
void kvm_memslot_publish_end(struct kvm_memslot_vm *vm)
	__releases(&vm->mn_lock)
{
	vm->mn_update_waiting = false;
	spin_unlock(&vm->mn_lock);
	wake_up_all(&vm->mn_wq);
	/* Faults waiting for a transition to end look again. */
	wake_up_all(&vm->update_wq);
}
