// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_gpc_bench: what a gfn_to_pfn cache costs.
 *
 * Prints the cost of a check that hits and of a refresh, both timed in the
 * kernel (KVM_MEMSLOT_GPC_BENCH: no system call per operation), and, for
 * scale, of an 8-byte pread() through the cache fd that hits and of one
 * that has to refresh first.  Figures only: nothing is asserted about
 * time, and the TAP results only say that each measurement ran.
 *
 * Usage: memslot_gpc_bench [device]   (GPC_BENCH_ITERATIONS, default 20000)
 * Skips on /dev/kvm.
 */
#define _GNU_SOURCE
#include <time.h>

#include "memslot_gpc_util.h"

#define NTESTS		3
#define SLOT_GPA	0x100000ULL

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const char *env = getenv("GPC_BENCH_ITERATIONS");
	unsigned int n = env ? (unsigned int)atoi(env) : 20000, i;
	struct kvm_memslot_gpc_bench b;
	unsigned char *mem, buf[8];
	int vmfd, fd, skip, r;
	double t0, hit_ns, miss_ns;

	vmfd = gpc_open_vm(tap_device(argc, argv), &skip);
	if (skip)
		return 4;
	tap_plan(NTESTS);
	if (!n || n > KVM_MEMSLOT_GPC_BENCH_MAX)
		n = 20000;

	mem = tap_map(PAGE_SZ);
	fd = -1;
	if (mem && !tap_set(vmfd, 0, 0, 0, SLOT_GPA, PAGE_SZ, (uintptr_t)mem)) {
		memset(mem, 1, PAGE_SZ);
		fd = gpc_create(vmfd, SLOT_GPA, 64, KVM_MEMSLOT_GPC_WRITE);
	}
	if (fd < 0 || gpc_read(fd, buf, sizeof(buf), 0)) {
		tap_bail_rest("setup failed");
		return tap_finish();
	}

	memset(&b, 0, sizeof(b));
	b.iterations = n;
	r = (int)tap_ioctl(fd, KVM_MEMSLOT_GPC_BENCH, (unsigned long)&b);
	tap_result(!r && b.hits == n, "in-kernel check and refresh timed");
	if (!r)
		printf("# gpc bench, in kernel: check hit %.1f ns, refresh %.1f ns (x%u)\n",
		       b.check_ns / (double)n, b.refresh_ns / (double)n, n);

	r = 0;
	t0 = now_ns();
	for (i = 0; i < n && !r; i++)
		r = gpc_read(fd, buf, sizeof(buf), 0);
	hit_ns = (now_ns() - t0) / n;
	tap_result(!r, "pread through a valid cache timed");

	/* Every other operation invalidates the cache first. */
	t0 = now_ns();
	for (i = 0; i < n / 10 && !r; i++) {
		r = gpc_refresh(fd);
		r = r ? r : gpc_read(fd, buf, sizeof(buf), 0);
	}
	miss_ns = (now_ns() - t0) / (n / 10 ? n / 10 : 1);
	tap_result(!r, "refresh + pread timed");
	printf("# gpc bench, syscalls: pread hit %.0f ns, REFRESH + pread %.0f ns\n",
	       hit_ns, miss_ns);

	close(fd);
	close(vmfd);
	return tap_finish();
}
