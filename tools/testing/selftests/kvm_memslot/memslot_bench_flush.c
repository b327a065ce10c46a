// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_bench_flush: what deleting a small slot costs with 1 GiB of
 * another slot fully mapped, against the same layout with nothing mapped.
 * A per-slot flush zaps through the deleted slot's own rmap, so the two
 * figures should be about the same; a flush that walked all of guest
 * memory would grow with the mapped gigabyte.
 *
 * Two VMs with the same two slots take turns, round by round, alternating
 * which goes first, so that the slot trees are alike and whatever drifts
 * over the run (load, the guest's page cache and compaction after the
 * gigabyte was faulted in) lands on both series; the figures are medians.
 *
 * A benchmark: it prints figures and asserts nothing about time.  The TAP
 * results only say that each phase ran (and that the audit stayed clean).
 * Extension ioctls: skips on /dev/kvm.
 *
 * Usage: memslot_bench_flush [device]
 */
#include <stdlib.h>
#include <time.h>

#include "access_util.h"

#define NTESTS		5
#define BIG_SIZE	0x40000000ULL
#define BIG_GPA		(4ULL << 30)
#define SMALL_GPA	0x100000ULL
#define ROUNDS		200

/* [0]: nothing mapped but the small page; [1]: the 1 GiB mapped too. */
static int vmfd[2], vcpufd[2];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * Create a one-page slot in VM @k, fault its page in, delete it; return
 * the cost of the delete in ns, or 0 if anything failed.
 */
static uint64_t time_small_delete(int k, void *page)
{
	uint64_t t0, t1;
	char byte;

	if (tap_set(vmfd[k], 0, 2, 0, SMALL_GPA, PAGE_SZ, (uintptr_t)page) ||
	    acc_read(vcpufd[k], SMALL_GPA, &byte, 1))
		return 0;
	t0 = now_ns();
	if (tap_set(vmfd[k], 0, 2, 0, SMALL_GPA, 0, (uintptr_t)page))
		return 0;
	t1 = now_ns();
	return t1 > t0 ? t1 - t0 : 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	static uint64_t ns[2][ROUNDS];
	static char chunk[1 << 21];
	uint64_t alone, loaded, off, t0;
	int devfd, i, k, r;
	void *page, *big;

	r = acc_setup(dev, &devfd, &vmfd[0], &vcpufd[0]);
	if (r)
		return r;
	tap_plan(NTESTS);

	vmfd[1] = tap_create_vm(devfd);
	vcpufd[1] = vmfd[1] < 0 ? -1 : (int)tap_ioctl(vmfd[1], KVM_CREATE_VCPU, 0);
	page = acc_map_aligned(PAGE_SZ, PAGE_SZ);
	big = acc_map_aligned(BIG_SIZE, 1 << 21);
	if (vcpufd[1] < 0 || !page || !big) {
		tap_bail_rest("cannot create the second VM or map memory");
		return tap_finish();
	}
	memset(page, 1, PAGE_SZ);

	madvise(big, BIG_SIZE, MADV_HUGEPAGE);
	memset(big, 2, BIG_SIZE);
	r = 0;
	for (k = 0; k < 2 && !r; k++)
		r = (int)tap_set(vmfd[k], 0, 1, 0, BIG_GPA, BIG_SIZE, (uintptr_t)big);
	t0 = now_ns();
	for (off = 0; !r && off < BIG_SIZE; off += sizeof(chunk))
		r = (int)acc_read(vcpufd[1], BIG_GPA + off, chunk, sizeof(chunk));
	tap_result(!r, "1 GiB slot in both VMs, every page read through one's tables");
	tap_diag("mapping 1 GiB took %.1f ms", (now_ns() - t0) / 1e6);

	for (i = 0; !r && i < ROUNDS; i++) {
		for (k = 0; k < 2; k++) {
			int vm = (i + k) & 1;

			ns[vm][i] = time_small_delete(vm, page);
			if (!ns[vm][i])
				r = -1;
		}
	}
	alone = r ? 0 : median(ns[0], ROUNDS);
	loaded = r ? 0 : median(ns[1], ROUNDS);
	tap_result(alone != 0, "delete of a mapped one-page slot, nothing else mapped");
	tap_result(loaded != 0, "delete of a mapped one-page slot, 1 GiB mapped elsewhere");
	tap_expect(acc_audit(vmfd[1]), 0, "audit finds no violation");
	tap_expect(acc_read(vcpufd[1], BIG_GPA + BIG_SIZE - PAGE_SZ, chunk, 1), 0,
		   "the 1 GiB slot is still mapped and readable");

	tap_diag("delete of a one-page slot, median: %.1f us, %.1f us with 1 GiB mapped",
		 alone / 1e3, loaded / 1e3);
	if (alone)
		tap_diag("ratio with / without: %.2f", (double)loaded / alone);
	return tap_finish();
}
