// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot-replay: replay memslot call traces (shared/traces/FORMAT.md)
 * against /dev/kvm-memslot or /dev/kvm and compare the results.
 *
 *   memslot-replay [--dev PATH] [--vm-type N] [--memslot-caps] [--record]
 *                  FILE...
 *
 * --dev PATH       device to open (default /dev/kvm-memslot)
 * --vm-type N      KVM_CREATE_VM type (default 0)
 * --memslot-caps   replay check/cap lines only for the memslot-related
 *                  capabilities (USER_MEMORY, NR_MEMSLOTS, SYNC_MMU,
 *                  READONLY_MEM, MULTI_ADDRESS_SPACE,
 *                  MANUAL_DIRTY_LOG_PROTECT2, DIRTY_LOG_RING, USER_MEMORY2,
 *                  GUEST_MEMFD); the others are counted as skipped
 * --record         write each trace back to stdout with the results (and
 *                  pop= counts) this device returned; MISMATCH and summary
 *                  lines then go to stderr
 *
 * Output: one MISMATCH line per differing op, a per-file summary when
 * several files are given, and as the last line "N passed, N failed".
 * Exit status: 0 no mismatch, 1 mismatches, 2 usage, parse or setup error.
 * With --record the status is 0 unless there was an error (2).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "replay.h"

static void print_usage(void)
{
	fprintf(stderr,
		"usage: memslot-replay [--dev PATH] [--vm-type N] [--memslot-caps] [--record] FILE...\n");
	exit(2);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap);
			if (!buf) {
				fclose(f);
				return NULL;
			}
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	struct replay_opts o = { .dev = "/dev/kvm-memslot" };
	int record = 0, nfiles, err = 0, passed = 0, failed = 0, first;
	FILE *out;

	for (first = 1; first < argc; first++) {
		const char *a = argv[first];

		if (!strcmp(a, "--dev") && first + 1 < argc) {
			o.dev = argv[++first];
		} else if (!strncmp(a, "--dev=", 6)) {
			o.dev = a + 6;
		} else if (!strcmp(a, "--vm-type") && first + 1 < argc) {
			char *end;

			o.vm_type = strtoul(argv[++first], &end, 0);
			if (*end)
				print_usage();
		} else if (!strncmp(a, "--vm-type=", 10)) {
			char *end;

			o.vm_type = strtoul(a + 10, &end, 0);
			if (*end)
				print_usage();
		} else if (!strcmp(a, "--memslot-caps") || !strcmp(a, "--memslot-only")) {
			o.memslot_caps_only = 1;
		} else if (!strcmp(a, "--record")) {
			record = 1;
		} else if (!strcmp(a, "--")) {
			first++;
			break;
		} else if (a[0] == '-' && a[1]) {
			print_usage();
		} else {
			break;
		}
	}
	nfiles = argc - first;
	if (nfiles < 1)
		print_usage();
	out = record ? stderr : stdout;
	o.msg = out;
	o.record = record ? stdout : NULL;

	for (int i = first; i < argc; i++) {
		struct replay_stats st;
		size_t len;
		char *text = slurp(argv[i], &len);

		if (!text) {
			fprintf(out, "%s: cannot read: %s\n", argv[i], strerror(errno));
			err = 1;
			continue;
		}
		fflush(out);
		if (replay_text(argv[i], text, len, &o, &st)) {
			err = 1;
			fprintf(out, "%s: not replayed (error)\n", argv[i]);
			free(text);
			continue;
		}
		free(text);
		passed += st.passed;
		failed += st.failed;
		if (st.skipped)
			fprintf(out, "%s: %d ops skipped by options\n", argv[i], st.skipped);
		if (nfiles > 1)
			fprintf(out, "%s: %d passed, %d failed\n", argv[i], st.passed, st.failed);
		fflush(stdout);
	}
	fprintf(out, "%d passed, %d failed\n", passed, failed);
	if (err)
		return 2;
	if (record)
		return 0;
	return failed ? 1 : 0;
}
