// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot-demo: replay a recorded QEMU memslot trace against
 * /dev/kvm-memslot and show, at every step of the recording (machine start,
 * a DIMM hot-plug, a BAR move, a migration...), the slot layout and what
 * the update protocol did to get there: hooks called, slot sets published,
 * grace periods waited for.  If /dev/kvm is there too, the same trace is
 * replayed on it and the results of every call are compared.
 *
 *   memslot-demo [--dev PATH] [--ref PATH] TRACE
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memslot_ext.h"
#include "replay.h"

struct demo {
	int stats_fd;
	int vm_fd;
	unsigned int step;
	int step_shown;
	struct memslot_ext_stats last;
};

static const char *const demo_counters[][2] = {
	{ "updates", "updates" },
	{ "publishes", "sets published" },
	{ "grace_periods", "grace periods waited" },
	{ "prepare_calls", "prepare" },
	{ "flush_memslot_calls", "flush_memslot" },
	{ "commit_calls", "commit" },
	{ "transit_waits", "faults waited" },
};

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		perror(path);
		exit(2);
	}
	buf = malloc(st.st_size + 1);
	if (!buf || read(fd, buf, st.st_size) != st.st_size) {
		perror(path);
		exit(2);
	}
	close(fd);
	*len = st.st_size;
	return buf;
}

static void print_size(uint64_t bytes)
{
	if (bytes >= (1ULL << 30) && !(bytes & ((1ULL << 30) - 1)))
		printf("%5llu GiB", (unsigned long long)(bytes >> 30));
	else if (bytes >= (1ULL << 20) && !(bytes & ((1ULL << 20) - 1)))
		printf("%5llu MiB", (unsigned long long)(bytes >> 20));
	else
		printf("%5llu KiB", (unsigned long long)(bytes >> 10));
}

static void print_layout(int vm_fd)
{
	struct kvm_memslot_slot_info *info = NULL;
	uint64_t gen = 0;
	int i, nr = memslot_ext_get_slots(vm_fd, 0, &info, &gen);

	if (nr < 0) {
		printf("    (layout unavailable: %s)\n", strerror(-nr));
		return;
	}
	printf("    layout, address space 0, generation %llu: %d slot(s)\n",
	       (unsigned long long)gen, nr);
	for (i = 0; i < nr; i++) {
		printf("      slot %5u  gpa 0x%010llx-0x%010llx ",
		       info[i].slot & 0xffff,
		       (unsigned long long)info[i].guest_phys_addr,
		       (unsigned long long)(info[i].guest_phys_addr +
					    info[i].memory_size - 1));
		print_size(info[i].memory_size);
		printf("  %s%s\n",
		       info[i].flags & KVM_MEM_LOG_DIRTY_PAGES ? " dirty-log" : "",
		       info[i].flags & KVM_MEM_READONLY ? " read-only" : "");
	}
	free(info);
}

static void demo_step(void *ctx, int vm_fd, const char *line)
{
	struct demo *d = ctx;
	struct memslot_ext_stats now;
	unsigned int i;

	if (vm_fd != d->vm_fd) {
		/* A "newvm" op replaced the VM: follow it. */
		if (d->stats_fd >= 0)
			close(d->stats_fd);
		d->vm_fd = vm_fd;
		d->stats_fd = ioctl(vm_fd, KVM_MEMSLOT_GET_STATS_FD, 0);
		memset(&d->last, 0, sizeof(d->last));
		d->step_shown = 0;
	}
	if (d->stats_fd < 0 || memslot_ext_read_stats(d->stats_fd, &now)) {
		fprintf(stderr, "memslot-demo: cannot read statistics: %s\n",
			strerror(errno));
		exit(2);
	}

	printf("\n[%u] %s\n", d->step++,
	       line ? line + 2 : "end of trace");
	printf("    protocol since the previous step:");
	for (i = 0; i < sizeof(demo_counters) / sizeof(demo_counters[0]); i++) {
		uint64_t v = memslot_ext_stat(&now, demo_counters[i][0]);
		uint64_t was = memslot_ext_stat(&d->last, demo_counters[i][0]);

		if (was == UINT64_MAX)
			was = 0;
		printf("%s %s %llu", i ? "," : "", demo_counters[i][1],
		       (unsigned long long)(v - was));
	}
	printf("\n");
	/* Show the layout only when something was published since. */
	if (memslot_ext_stat(&now, "generation") !=
	    memslot_ext_stat(&d->last, "generation") || !d->step_shown) {
		print_layout(vm_fd);
		d->step_shown = 1;
	} else {
		printf("    layout unchanged\n");
	}
	d->last = now;
}

static int replay_on(const char *dev, const char *name, const char *text,
		     size_t len, struct demo *d, struct replay_stats *st)
{
	struct replay_opts o = {
		.dev = dev,
		.memslot_caps_only = 1,
		.msg = d ? stdout : fopen("/dev/null", "w"),
		.msg_prefix = "    ",
		.step = d ? demo_step : NULL,
		.step_ctx = d,
	};

	return replay_text(name, text, len, &o, st);
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/kvm-memslot", *ref = "/dev/kvm", *path;
	struct replay_stats st, ref_st;
	struct demo d = { .stats_fd = -1, .vm_fd = -1 };
	size_t len;
	char *text;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--dev"))
			dev = argv[i + 1];
		else if (!strcmp(argv[i], "--ref"))
			ref = argv[i + 1];
		else
			break;
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: memslot-demo [--dev PATH] [--ref PATH] TRACE\n");
		return 2;
	}
	path = argv[i];
	text = slurp(path, &len);

	printf("memslot-demo: replaying %s on %s\n", path, dev);
	printf("(results written in the trace come from the recording host's KVM;\n"
	       " mismatches against them are listed, and the real reference is\n"
	       " in-tree KVM in this kernel, compared at the end)\n");
	if (replay_on(dev, path, text, len, &d, &st))
		return 2;
	printf("\n%s: %d calls replayed, %d as recorded, %d differ from the recording host\n",
	       dev, st.passed + st.failed, st.passed, st.failed);

	if (access(ref, R_OK | W_OK)) {
		printf("%s: not present, no comparison with in-tree KVM\n", ref);
		return 0;
	}
	if (replay_on(ref, path, text, len, NULL, &ref_st))
		return 2;
	printf("%s: %d calls replayed, results hash 0x%016llx\n", ref,
	       ref_st.passed + ref_st.failed, (unsigned long long)ref_st.hash);
	printf("%s: results hash 0x%016llx\n", dev, (unsigned long long)st.hash);
	if (st.hash != ref_st.hash) {
		printf("RESULT: the two devices answered differently\n");
		return 1;
	}
	printf("RESULT: every call gave the same result on %s and on in-tree KVM\n", dev);
	return 0;
}
