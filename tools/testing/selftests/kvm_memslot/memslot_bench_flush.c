// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_bench_flush: what deleting a small slot costs, alone and with
 * 1 GiB of another slot fully mapped.  A per-slot flush zaps through the
 * deleted slot's own rmap, so the two figures should be about the same;
 * a flush that walked all of guest memory would grow with the other slot.
 *
 * A benchmark: it prints figures and asserts nothing about time.  The TAP
 * results only say that each phase ran (and that the audit stayed clean).
 * Extension ioctls: skips on /dev/kvm.
 *
 * Usage: memslot_bench_flush [device]
 */
#include <time.h>

#include "access_util.h"

#define NTESTS		5
#define BIG_SIZE	0x40000000ULL
#define BIG_GPA		(4ULL << 30)
#define SMALL_GPA	0x100000ULL
#define ROUNDS		200

static int vmfd, vcpufd;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Create a one-page slot, fault its page in, delete it; return the mean
 * cost of the delete in ns, or 0 if anything failed.
 */
static uint64_t time_small_deletes(void *page)
{
	uint64_t total = 0;
	char byte;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		uint64_t t0;

		if (tap_set(vmfd, 0, 2, 0, SMALL_GPA, PAGE_SZ, (uintptr_t)page) ||
		    acc_read(vcpufd, SMALL_GPA, &byte, 1))
			return 0;
		t0 = now_ns();
		if (tap_set(vmfd, 0, 2, 0, SMALL_GPA, 0, (uintptr_t)page))
			return 0;
		total += now_ns() - t0;
	}
	return total / ROUNDS;
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	uint64_t alone, loaded, off, t0;
	static char chunk[1 << 21];
	int devfd, r;
	void *page, *big;

	r = acc_setup(dev, &devfd, &vmfd, &vcpufd);
	if (r)
		return r;
	tap_plan(NTESTS);

	page = acc_map_aligned(PAGE_SZ, PAGE_SZ);
	big = acc_map_aligned(BIG_SIZE, 1 << 21);
	if (!page || !big) {
		tap_bail_rest("cannot map memory");
		return tap_finish();
	}
	memset(page, 1, PAGE_SZ);

	alone = time_small_deletes(page);
	tap_result(alone != 0, "delete of a mapped one-page slot, nothing else mapped");

	madvise(big, BIG_SIZE, MADV_HUGEPAGE);
	memset(big, 2, BIG_SIZE);
	r = (int)tap_set(vmfd, 0, 1, 0, BIG_GPA, BIG_SIZE, (uintptr_t)big);
	t0 = now_ns();
	for (off = 0; !r && off < BIG_SIZE; off += sizeof(chunk))
		r = (int)acc_read(vcpufd, BIG_GPA + off, chunk, sizeof(chunk));
	tap_result(!r, "1 GiB slot created and every page read through the tables");
	tap_diag("mapping 1 GiB took %.1f ms", (now_ns() - t0) / 1e6);

	loaded = time_small_deletes(page);
	tap_result(loaded != 0, "delete of a mapped one-page slot, 1 GiB mapped elsewhere");
	tap_expect(acc_audit(vmfd), 0, "audit finds no violation");
	tap_expect(acc_read(vcpufd, BIG_GPA + BIG_SIZE - PAGE_SZ, chunk, 1), 0,
		   "the 1 GiB slot is still mapped and readable");

	tap_diag("delete of a one-page slot: %.1f us alone, %.1f us with 1 GiB mapped elsewhere",
		 alone / 1e3, loaded / 1e3);
	if (alone)
		tap_diag("ratio with / without: %.2f", (double)loaded / alone);
	return tap_finish();
}
