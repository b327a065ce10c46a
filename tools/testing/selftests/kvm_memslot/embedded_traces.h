/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The traces embed_traces.awk compiles into memslot_trace_replay
 * (build/traces_embedded.c).
 */
#ifndef KVM_MEMSLOT_EMBEDDED_TRACES_H
#define KVM_MEMSLOT_EMBEDDED_TRACES_H

struct embedded_trace {
	const char *name;
	const char *text;
};

extern const struct embedded_trace embedded_traces[];
extern const int n_embedded_traces;

#endif
