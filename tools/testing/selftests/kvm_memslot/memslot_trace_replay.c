// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_trace_replay: replay every memslot call trace embedded at build
 * time (the .trace files of shared/traces, see FORMAT.md there) on the given device,
 * with the memslot-only capability filter.
 *
 * The recorded results come from another kernel, so the TAP status of a
 * trace is only "it could be replayed"; what has to agree between
 * /dev/kvm-memslot and in-tree /dev/kvm is the hash of the sequence of
 * results, printed in a "[cmp]" description.  The ops whose result differs
 * from the file are listed as comments (MISMATCH ...) with their count.
 *
 * Usage: memslot_trace_replay [device]
 */
#include <string.h>
#include "tap.h"
#include "../../../memslot-trace/replay.h"

#include "embedded_traces.h"

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	struct replay_opts o = {
		.dev = dev,
		.vm_type = tap_vm_type,
		.memslot_caps_only = 1,
		.msg = stdout,
		.msg_prefix = "# ",
	};
	int fd;

	fd = tap_open_dev(dev);
	if (fd < 0)
		return tap_skip_all("device not available");
	close(fd);
	if (!n_embedded_traces)
		return tap_skip_all("no traces were embedded at build time");
	tap_plan(n_embedded_traces);
	tap_diag("device %s", dev);
	for (int i = 0; i < n_embedded_traces; i++) {
		const struct embedded_trace *t = &embedded_traces[i];
		struct replay_stats st;
		int r;

		fflush(stdout);
		r = replay_text(t->name, t->text, strlen(t->text), &o, &st);
		fflush(stdout);
		if (r) {
			tap_result(0, "%s could not be replayed", t->name);
			continue;
		}
		tap_diag("%s: %d of %d results differ from the recording, %d ops skipped",
			 t->name, st.failed, st.passed + st.failed, st.skipped);
		tap_result(1, "%s [cmp] results-hash=0x%016llx ops=%d", t->name,
			   (unsigned long long)st.hash, st.passed + st.failed);
	}
	return tap_finish();
}
