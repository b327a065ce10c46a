/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Replay engine for memslot call traces (format: shared/traces/FORMAT.md).
 * Used by memslot-replay and by the memslot_trace_replay selftest, which
 * embeds the traces.
 */
#ifndef MEMSLOT_REPLAY_H
#define MEMSLOT_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What one replayed op was, for replay_opts.op_done. */
struct replay_op_info {
	int is_set;		/* set or set2 (KVM_SET_USER_MEMORY_REGION[2]) */
	int is_newvm;		/* newvm: the VM was replaced, no slots */
	uint32_t slot;		/* set: (as << 16) | id */
	uint32_t flags;		/* set: KVM_MEM_* */
	uint64_t gpa, size;	/* set: guest_phys_addr, memory_size */
	long result;		/* what the ioctl returned: >= 0 or -errno */
	uint64_t ns;		/* how long the ioctl took */
};

struct replay_opts {
	const char *dev;		/* device to open */
	unsigned long vm_type;		/* KVM_CREATE_VM argument */
	int memslot_caps_only;		/* replay check/cap only for memslot caps */
	FILE *record;			/* non-NULL: write the trace back with our results */
	FILE *msg;			/* MISMATCH lines and errors */
	const char *msg_prefix;		/* printed before every message line */
	/*
	 * If set, called for every capture-step comment ("# [t=...") with
	 * the VM fd as it is at that point of the replay, and once more
	 * with a NULL line after the last op.
	 */
	void (*step)(void *ctx, int vm_fd, const char *line);
	void *step_ctx;
	/* If set, called after every replayed op (step_ctx is its ctx). */
	void (*op_done)(void *ctx, const struct replay_op_info *info);
};

struct replay_stats {
	int passed;		/* ops whose result equals the file's */
	int failed;		/* ops whose result (or pop=) differs */
	int skipped;		/* ops filtered out by options */
	uint64_t hash;		/* FNV-1a over (line, op, result, pop) of every replayed op */
};

/*
 * Replay one trace given as text.  Returns 0 when it could be replayed
 * (whatever the results), -1 on a parse or setup error (message printed).
 */
int replay_text(const char *name, const char *text, size_t len,
		const struct replay_opts *opts, struct replay_stats *st);

/* Errno name <-> number, for "-EINVAL" style results. */
int replay_errno_from_name(const char *name);
const char *replay_errno_name(int e);

#endif
