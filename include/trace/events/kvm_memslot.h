/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Tracepoints of kvm-memslot: what the update protocol, the MMU notifier
 * and the gfn_to_pfn caches do, event by event.  Described in
 * Documentation/virt/kvm/memslots.rst, "Tracepoints".
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm_memslot

#if !defined(_TRACE_KVM_MEMSLOT_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_KVM_MEMSLOT_H

#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_pfncache.h>
#include <linux/tracepoint.h>

#ifndef _TRACE_KVM_MEMSLOT_ENUMS
#define _TRACE_KVM_MEMSLOT_ENUMS
/*
 * What an update changes, as kvm_memslot_publish reports it: the
 * enum kvm_memslot_change of its only change, or a batch of several.
 */
#define KVM_MEMSLOT_TRACE_BATCH		4

/**
 * enum kvm_memslot_trace_phase - which of an update's sets is published
 * @KVM_MEMSLOT_TRACE_INVALID: the one with the old slots in transition
 * @KVM_MEMSLOT_TRACE_FINAL:   the new layout
 * @KVM_MEMSLOT_TRACE_RESTORE: the old layout again, preparing failed
 */
enum kvm_memslot_trace_phase {
	KVM_MEMSLOT_TRACE_INVALID,
	KVM_MEMSLOT_TRACE_FINAL,
	KVM_MEMSLOT_TRACE_RESTORE,
};

/**
 * enum kvm_memslot_trace_wait - why an update waits for a grace period
 * @KVM_MEMSLOT_TRACE_WAIT_TRANSITION: a delete or move: no reader may map
 *                                     the old slots before they are flushed
 * @KVM_MEMSLOT_TRACE_WAIT_DIRTY_LOG:  logging switched on: no fault that
 *                                     saw it off may still map writable
 */
enum kvm_memslot_trace_wait {
	KVM_MEMSLOT_TRACE_WAIT_TRANSITION,
	KVM_MEMSLOT_TRACE_WAIT_DIRTY_LOG,
};
#endif /* _TRACE_KVM_MEMSLOT_ENUMS */

/*
 * The symbolic names below in the format files, for tools that read the
 * binary records.
 */
TRACE_DEFINE_ENUM(KVM_MEMSLOT_CREATE);
TRACE_DEFINE_ENUM(KVM_MEMSLOT_DELETE);
TRACE_DEFINE_ENUM(KVM_MEMSLOT_MOVE);
TRACE_DEFINE_ENUM(KVM_MEMSLOT_FLAGS_ONLY);
TRACE_DEFINE_ENUM(KVM_MEMSLOT_TRACE_INVALID);
TRACE_DEFINE_ENUM(KVM_MEMSLOT_TRACE_FINAL);
TRACE_DEFINE_ENUM(KVM_MEMSLOT_TRACE_RESTORE);
TRACE_DEFINE_ENUM(KVM_MEMSLOT_TRACE_WAIT_TRANSITION);
TRACE_DEFINE_ENUM(KVM_MEMSLOT_TRACE_WAIT_DIRTY_LOG);

TRACE_EVENT(kvm_memslot_publish,
	    TP_PROTO(const struct kvm_memslots *slots, unsigned int kind,
		     unsigned int phase),
	    TP_ARGS(slots, kind, phase),
	    TP_STRUCT__entry(__field(u64, generation)
			     __field(u16, as_id)
			     __field(unsigned int, nr_slots)
			     __field(unsigned int, kind)
			     __field(unsigned int, phase)),
	    TP_fast_assign(__entry->generation = slots->generation;
			   __entry->as_id = slots->as_id;
			   __entry->nr_slots = slots->nr_slots;
			   __entry->kind = kind;
			   __entry->phase = phase;),
	    TP_printk("as_id=%u generation=%llu kind=%s phase=%s slots=%u",
		      __entry->as_id, __entry->generation,
		      __print_symbolic(__entry->kind,
				       { KVM_MEMSLOT_CREATE, "create" },
				       { KVM_MEMSLOT_DELETE, "delete" },
				       { KVM_MEMSLOT_MOVE, "move" },
				       { KVM_MEMSLOT_FLAGS_ONLY, "flags" },
				       { KVM_MEMSLOT_TRACE_BATCH, "batch" }),
		      __print_symbolic(__entry->phase,
				       { KVM_MEMSLOT_TRACE_INVALID, "invalid" },
				       { KVM_MEMSLOT_TRACE_FINAL, "final" },
				       { KVM_MEMSLOT_TRACE_RESTORE, "restore" }),
		      __entry->nr_slots)
);

TRACE_EVENT(kvm_memslot_grace_period,
	    TP_PROTO(u64 generation, unsigned int why, u64 ns),
	    TP_ARGS(generation, why, ns),
	    TP_STRUCT__entry(__field(u64, generation)
			     __field(u64, ns)
			     __field(unsigned int, why)),
	    TP_fast_assign(__entry->generation = generation;
			   __entry->ns = ns;
			   __entry->why = why;),
	    TP_printk("generation=%llu why=%s ns=%llu", __entry->generation,
		      __print_symbolic(__entry->why,
				       { KVM_MEMSLOT_TRACE_WAIT_TRANSITION, "transition" },
				       { KVM_MEMSLOT_TRACE_WAIT_DIRTY_LOG, "dirty_log" }),
		      __entry->ns)
);

TRACE_EVENT(kvm_memslot_flush_memslot,
	    TP_PROTO(const struct kvm_memory_slot *slot, unsigned long removed),
	    TP_ARGS(slot, removed),
	    TP_STRUCT__entry(__field(u64, base_gfn)
			     __field(unsigned long, npages)
			     __field(unsigned long, removed)
			     __field(u16, id)
			     __field(u16, as_id)),
	    TP_fast_assign(__entry->base_gfn = slot->base_gfn;
			   __entry->npages = slot->npages;
			   __entry->removed = removed;
			   __entry->id = slot->id;
			   __entry->as_id = slot->as_id;),
	    TP_printk("as_id=%u slot=%u base_gfn=0x%llx npages=%lu removed=%lu",
		      __entry->as_id, __entry->id, __entry->base_gfn,
		      __entry->npages, __entry->removed)
);

TRACE_EVENT(kvm_memslot_fault_wait,
	    TP_PROTO(int as_id, kvm_memslot_gfn_t gfn, u64 generation),
	    TP_ARGS(as_id, gfn, generation),
	    TP_STRUCT__entry(__field(u64, gfn)
			     __field(u64, generation)
			     __field(int, as_id)),
	    TP_fast_assign(__entry->gfn = gfn;
			   __entry->generation = generation;
			   __entry->as_id = as_id;),
	    TP_printk("as_id=%d gfn=0x%llx generation=%llu", __entry->as_id,
		      __entry->gfn, __entry->generation)
);

TRACE_EVENT(kvm_memslot_unmap,
	    TP_PROTO(unsigned long hva_start, unsigned long hva_end,
		     const struct kvm_memslot_gfn_range *range,
		     unsigned long removed),
	    TP_ARGS(hva_start, hva_end, range, removed),
	    TP_STRUCT__entry(__field(unsigned long, hva_start)
			     __field(unsigned long, hva_end)
			     __field(u64, gfn_start)
			     __field(u64, gfn_end)
			     __field(unsigned long, removed)
			     __field(u16, id)
			     __field(u16, as_id)),
	    TP_fast_assign(__entry->hva_start = hva_start;
			   __entry->hva_end = hva_end;
			   __entry->gfn_start = range->start;
			   __entry->gfn_end = range->end;
			   __entry->removed = removed;
			   __entry->id = range->slot->id;
			   __entry->as_id = range->slot->as_id;),
	    TP_printk("hva=0x%lx-0x%lx as_id=%u slot=%u gfn=0x%llx-0x%llx removed=%lu",
		      __entry->hva_start, __entry->hva_end, __entry->as_id,
		      __entry->id, __entry->gfn_start, __entry->gfn_end,
		      __entry->removed)
);

TRACE_EVENT(kvm_memslot_gpc_refresh,
	    TP_PROTO(const struct kvm_memslot_gpc *gpc, int ret),
	    TP_ARGS(gpc, ret),
	    TP_STRUCT__entry(__field(u64, gpa)
			     __field(unsigned long, hva)
			     __field(unsigned int, len)
			     __field(int, ret)
			     __field(u16, as_id)
			     __field(bool, write)),
	    TP_fast_assign(__entry->gpa = gpc->gpa;
			   __entry->hva = gpc->hva;
			   __entry->len = gpc->len;
			   __entry->ret = ret;
			   __entry->as_id = gpc->as_id;
			   __entry->write = gpc->write;),
	    TP_printk("as_id=%u gpa=0x%llx len=%u write=%d hva=0x%lx ret=%d",
		      __entry->as_id, __entry->gpa, __entry->len,
		      __entry->write, __entry->hva, __entry->ret)
);

TRACE_EVENT(kvm_memslot_gpc_invalidate,
	    TP_PROTO(const struct kvm_memslot_gpc *gpc, unsigned long start,
		     unsigned long end),
	    TP_ARGS(gpc, start, end),
	    TP_STRUCT__entry(__field(u64, gpa)
			     __field(unsigned long, hva)
			     __field(unsigned long, start)
			     __field(unsigned long, end)
			     __field(u16, as_id)),
	    TP_fast_assign(__entry->gpa = gpc->gpa;
			   __entry->hva = gpc->hva;
			   __entry->start = start;
			   __entry->end = end;
			   __entry->as_id = gpc->as_id;),
	    TP_printk("as_id=%u gpa=0x%llx hva=0x%lx range=0x%lx-0x%lx",
		      __entry->as_id, __entry->gpa, __entry->hva,
		      __entry->start, __entry->end)
);

#endif /* _TRACE_KVM_MEMSLOT_H */

/*
 * The module is built outside the kernel tree (kbuild M=, DKMS), so this
 * header is not under the kernel's include/.  Without TRACE_INCLUDE_PATH,
 * define_trace.h includes <trace/events/TRACE_INCLUDE_FILE.h>, which the
 * compiler finds through the module's own -I$(src)/include (Kbuild)
 * wherever the tree was copied to; a path relative to define_trace.h, or
 * an absolute one, would break as soon as the tree moves.
 */
#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kvm_memslot

#include <trace/define_trace.h>
