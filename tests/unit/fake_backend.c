// SPDX-License-Identifier: GPL-2.0-only
/* The recording fake backend (see fake_backend.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_backend.h"

static struct fake_backend *fake_current;	/* receives grace period events */

static struct fake_backend *fb_of(struct kvm_memslot_vm *vm)
{
	return vm->arch;
}

static const char *ev_name(enum fake_ev_type t)
{
	static const char *const n[] = {
		"prepare", "flush", "commit", "free", "GP", "flush_all", "unmap",
	};
	return t < sizeof(n) / sizeof(n[0]) ? n[t] : "?";
}

static const char *change_name(enum kvm_memslot_change c)
{
	static const char *const n[] = { "CREATE", "DELETE", "MOVE", "FLAGS_ONLY" };
	return c < 4 ? n[c] : "?";
}

/* Called with slots_lock held (by the hooks) or from synchronize_srcu. */
static struct fake_event *record(struct fake_backend *fb, enum fake_ev_type type,
				 enum kvm_memslot_change change,
				 const struct kvm_memory_slot *old,
				 const struct kvm_memory_slot *new)
{
	struct kvm_memslot_vm *vm = fb->vm;
	struct fake_event *e;
	struct kvm_memslots *set;
	unsigned int i;
	int idx;

	if (!fb->record)
		return NULL;
	pthread_mutex_lock(&fb->lock);
	if (fb->nr_ev == fb->cap_ev) {
		fb->cap_ev = fb->cap_ev ? 2 * fb->cap_ev : 64;
		fb->ev = realloc(fb->ev, fb->cap_ev * sizeof(*fb->ev));
		if (!fb->ev)
			abort();
	}
	e = &fb->ev[fb->nr_ev++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->change = change;
	e->old = old;
	e->new = new;
	e->id = old ? old->id : new ? new->id : -1;
	e->as_id = old ? old->as_id : new ? new->as_id : 0;
	if (old) {
		e->old_base_gfn = old->base_gfn;
		e->old_flags = old->flags;
		e->old_arch = old->arch;
	}
	if (new) {
		e->new_base_gfn = new->base_gfn;
		e->new_flags = new->flags;
		e->new_arch = new->arch;
	}
	e->publishes = READ_ONCE(vm->stats.publishes);
	e->grace_periods = READ_ONCE(vm->stats.grace_periods);
	e->harness_gps = __atomic_load_n(&harness_grace_periods, __ATOMIC_SEQ_CST);
	e->vm_generation = READ_ONCE(vm->generation);

	/* The writer holds slots_lock; a read section keeps this valid anyway. */
	idx = srcu_read_lock(&vm->srcu);
	set = kvm_memslots_get(vm, e->as_id);
	if (set) {
		e->generation = set->generation;
		e->in_update = kvm_memslots_in_update(set);
		if (old) {
			/* The hooks run under slots_lock, as the index needs. */
			const struct kvm_memory_slot *s =
				kvm_memslot_find_id(vm, e->as_id, old->id);

			e->old_id_present = s != NULL;
			/* What faults see: only the gfn tree holds INVALID copies. */
			s = kvm_memslot_find_gfn(set, old->base_gfn);
			e->old_id_invalid = s && s->id == old->id &&
					    kvm_memslot_is_invalid(s);
		}
	}
	set = fb->nr_probes ? kvm_memslots_get(vm, fb->probe_as) : NULL;
	for (i = 0; set && i < fb->nr_probes; i++) {
		e->probe_in_transition[i] = kvm_memslot_gfn_in_transition(set, fb->probe_gfn[i]);
		e->probe_slot[i] = kvm_memslot_find_gfn(set, fb->probe_gfn[i]);
	}
	srcu_read_unlock(&vm->srcu, idx);
	pthread_mutex_unlock(&fb->lock);
	return e;
}

static int fake_prepare(struct kvm_memslot_vm *vm, const struct kvm_memory_slot *old,
			struct kvm_memory_slot *new, enum kvm_memslot_change change)
{
	struct fake_backend *fb = fb_of(vm);
	unsigned int call;

	record(fb, EV_PREPARE, change, old, new);
	call = ++fb->prepare_calls;
	if (fb->on_prepare)
		fb->on_prepare(fb, old, new, change);
	(void)call;
	if (fb->fail_prepare_nth && --fb->fail_prepare_nth == 0)
		return fb->fail_errno;
	/* As x86 does: new per-slot data for a create or a move. */
	if (change == KVM_MEMSLOT_CREATE || change == KVM_MEMSLOT_MOVE) {
		struct fake_arch *a = malloc(sizeof(*a));

		if (!a)
			return -ENOMEM;
		a->magic = FAKE_ARCH_MAGIC;
		a->id = new->id;
		a->base_gfn = new->base_gfn;
		new->arch = a;
		__atomic_add_fetch(&fb->arch_allocs, 1, __ATOMIC_SEQ_CST);
	}
	return 0;
}

static unsigned long fake_flush(struct kvm_memslot_vm *vm,
				const struct kvm_memory_slot *old)
{
	struct fake_backend *fb = fb_of(vm);

	record(fb, EV_FLUSH, KVM_MEMSLOT_DELETE, old, NULL);
	if (fb->on_flush)
		fb->on_flush(fb, old);
	/*
	 * Nothing is mapped here; report every page removed, so that tests
	 * can see the count reach the kvm_memslot_flush_memslot tracepoint.
	 */
	return old->npages;
}

static void fake_commit(struct kvm_memslot_vm *vm, struct kvm_memory_slot *old,
			const struct kvm_memory_slot *new, enum kvm_memslot_change change)
{
	record(fb_of(vm), EV_COMMIT, change, old, new);
}

static void fake_free(struct kvm_memslot_vm *vm, struct kvm_memory_slot *slot)
{
	struct fake_backend *fb = fb_of(vm);
	struct fake_arch *a = slot->arch;

	record(fb, EV_FREE, KVM_MEMSLOT_DELETE, slot, NULL);
	if (!a)
		return;
	if (a->magic != FAKE_ARCH_MAGIC) {
		fprintf(stderr, "fake backend: free_memslot of slot %u: bad arch data\n", slot->id);
		abort();
	}
	a->magic = 0;
	free(a);
	__atomic_add_fetch(&fb->arch_frees, 1, __ATOMIC_SEQ_CST);
}

static void fake_flush_all(struct kvm_memslot_vm *vm)
{
	record(fb_of(vm), EV_FLUSH_ALL, KVM_MEMSLOT_DELETE, NULL, NULL);
}

static unsigned long fake_unmap(struct kvm_memslot_vm *vm,
				const struct kvm_memslot_gfn_range *r)
{
	record(fb_of(vm), EV_UNMAP, KVM_MEMSLOT_DELETE, r->slot, NULL);
	return 0;
}

static void fake_gp_hook(struct srcu_struct *ssp)
{
	struct fake_backend *fb = __atomic_load_n(&fake_current, __ATOMIC_SEQ_CST);

	if (fb && fb->vm && ssp == &fb->vm->srcu)
		record(fb, EV_GP, KVM_MEMSLOT_DELETE, NULL, NULL);
}

struct kvm_memslot_vm *fake_vm_create(struct fake_backend *fb,
				      const struct kvm_memslot_ops *tmpl)
{
	memset(fb, 0, sizeof(*fb));
	fb->ops = *tmpl;
	fb->ops.name = "fake";
	fb->ops.prepare_memory_region = fake_prepare;
	fb->ops.flush_memslot = fake_flush;
	fb->ops.commit_memory_region = fake_commit;
	fb->ops.free_memslot = fake_free;
	fb->ops.flush_all = fake_flush_all;
	fb->ops.unmap_gfn_range = fake_unmap;
	fb->fail_errno = -ENOMEM;
	fb->record = true;
	pthread_mutex_init(&fb->lock, NULL);
	fb->vm = NULL;
	fb->vm = tvm_create(&fb->ops, fb);
	__atomic_store_n(&fake_current, fb, __ATOMIC_SEQ_CST);
	harness_synchronize_hook = fake_gp_hook;
	return fb->vm;
}

void fake_vm_destroy(struct fake_backend *fb)
{
	harness_synchronize_hook = NULL;
	__atomic_store_n(&fake_current, NULL, __ATOMIC_SEQ_CST);
	fb->record = false;
	tvm_destroy(fb->vm);
	fb->vm = NULL;
	if (fb->arch_allocs != fb->arch_frees)
		fail_msg("fake backend: %ld arch allocations, %ld frees",
			 fb->arch_allocs, fb->arch_frees);
	free(fb->ev);
	fb->ev = NULL;
	pthread_mutex_destroy(&fb->lock);
}

void fake_reset_events(struct fake_backend *fb)
{
	pthread_mutex_lock(&fb->lock);
	fb->nr_ev = 0;
	pthread_mutex_unlock(&fb->lock);
}

unsigned int fake_count(struct fake_backend *fb, enum fake_ev_type type)
{
	unsigned int i, n = 0;

	for (i = 0; i < fb->nr_ev; i++)
		n += fb->ev[i].type == type;
	return n;
}

int fake_find(struct fake_backend *fb, enum fake_ev_type type, unsigned int nth)
{
	unsigned int i;

	for (i = 0; i < fb->nr_ev; i++)
		if (fb->ev[i].type == type && nth-- == 0)
			return i;
	return -1;
}

int fake_find_id(struct fake_backend *fb, enum fake_ev_type type, int id)
{
	unsigned int i;

	for (i = 0; i < fb->nr_ev; i++)
		if (fb->ev[i].type == type && fb->ev[i].id == id)
			return i;
	return -1;
}

void fake_dump(struct fake_backend *fb)
{
	unsigned int i;

	for (i = 0; i < fb->nr_ev; i++) {
		const struct fake_event *e = &fb->ev[i];

		fprintf(stderr, "  #%u %-9s %-10s as=%d id=%d pub=%llu gp=%llu hgp=%llu gen=%llu%s%s\n",
			i, ev_name(e->type), change_name(e->change), e->as_id, e->id,
			(unsigned long long)e->publishes,
			(unsigned long long)e->grace_periods,
			(unsigned long long)e->harness_gps,
			(unsigned long long)e->generation,
			e->in_update ? " in-update" : "",
			e->old_id_invalid ? " old-INVALID" : "");
	}
}
