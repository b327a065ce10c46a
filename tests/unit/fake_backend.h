/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A recording fake backend: every hook appends an event carrying what the
 * protocol tests assert on (protocol counters, the generation and state of
 * the published set, whether the old slot is INVALID there, which probe
 * gfns are in transition), and per-slot arch data is allocated and freed
 * so that allocations can be matched against frees.
 */
#ifndef _TEST_FAKE_BACKEND_H
#define _TEST_FAKE_BACKEND_H

#include <pthread.h>
#include "common.h"

enum fake_ev_type {
	EV_PREPARE,
	EV_FLUSH,
	EV_COMMIT,
	EV_FREE,
	EV_GP,		/* a synchronize_srcu() of this VM completed */
	EV_FLUSH_ALL,
	EV_UNMAP,
};

#define FAKE_MAX_PROBES	8

struct fake_event {
	enum fake_ev_type type;
	enum kvm_memslot_change change;
	int as_id;			/* address space of the slot */
	int id;				/* id of old, else new, else -1 */
	const struct kvm_memory_slot *old, *new;
	u64 old_base_gfn, new_base_gfn;
	u32 old_flags, new_flags;
	void *old_arch, *new_arch;
	/* protocol state when the hook ran */
	u64 publishes;
	u64 grace_periods;		/* vm->stats.grace_periods */
	u64 harness_gps;		/* harness_grace_periods */
	u64 generation;			/* of the slot's address space's published set */
	u64 vm_generation;
	bool in_update;			/* that set is the mid-update (odd) one */
	bool old_id_invalid;		/* old's base gfn is in its INVALID copy there */
	bool old_id_present;		/* old->id maps to any slot there */
	bool probe_in_transition[FAKE_MAX_PROBES];
	const struct kvm_memory_slot *probe_slot[FAKE_MAX_PROBES];
};

struct fake_arch {
	u32 magic;
	u16 id;
	u64 base_gfn;
};
#define FAKE_ARCH_MAGIC	0xfa4eda7a

struct fake_backend {
	struct kvm_memslot_ops ops;	/* copy of a template; vm->ops points here */
	struct kvm_memslot_vm *vm;
	pthread_mutex_t lock;
	struct fake_event *ev;
	unsigned int nr_ev, cap_ev;
	bool record;			/* record events (default on) */

	/* prepare fault injection: the Nth prepare call from now fails */
	unsigned int fail_prepare_nth;
	int fail_errno;
	unsigned int prepare_calls;

	/* arch data accounting */
	long arch_allocs;
	long arch_frees;

	/* probe gfns (in the address space probe_as) recorded at each hook */
	unsigned int nr_probes;
	int probe_as;
	u64 probe_gfn[FAKE_MAX_PROBES];

	/* optional test callbacks, run inside the hook after recording */
	void (*on_flush)(struct fake_backend *fb, const struct kvm_memory_slot *old);
	void (*on_prepare)(struct fake_backend *fb, const struct kvm_memory_slot *old,
			   struct kvm_memory_slot *new, enum kvm_memslot_change change);
	void *data;
};

/* Set up @fb from @tmpl's limits, create the VM and hook grace periods. */
struct kvm_memslot_vm *fake_vm_create(struct fake_backend *fb,
				      const struct kvm_memslot_ops *tmpl);
/* Destroy the VM; assert every arch allocation was freed exactly once. */
void fake_vm_destroy(struct fake_backend *fb);

void fake_reset_events(struct fake_backend *fb);
/* Events of one type, in order; returns how many were found. */
unsigned int fake_count(struct fake_backend *fb, enum fake_ev_type type);
/* Index of the @nth (0-based) event of @type, or -1. */
int fake_find(struct fake_backend *fb, enum fake_ev_type type, unsigned int nth);
/* Index of the first event of @type for slot @id, or -1. */
int fake_find_id(struct fake_backend *fb, enum fake_ev_type type, int id);
void fake_dump(struct fake_backend *fb);
/* Arch allocations currently live. */
static inline long fake_arch_live(struct fake_backend *fb)
{
	return fb->arch_allocs - fb->arch_frees;
}

#endif
