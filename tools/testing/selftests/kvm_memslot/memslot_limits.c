// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_limits: every user slot id of both x86 address spaces in use at
 * once (32764 one-page slots each, at distinct gpas, all aliasing one host
 * page range), the first id past the limit, deleting them all and filling
 * the space again.
 *
 * Usage: memslot_limits [device]
 */
#include <time.h>

#include "tap.h"

#define NTESTS 27
#define NSLOTS X86_USER_MEM_SLOTS
#define ALIAS_PAGES 16

static uint64_t hva_base;

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t slot_gpa(uint32_t id)
{
	/* leave a hole between slots so that no two ever touch */
	return 0x100000000UL + (uint64_t)id * 2 * PAGE_SZ;
}

static uint64_t slot_hva(uint32_t id)
{
	return hva_base + (id % ALIAS_PAGES) * PAGE_SZ;
}

/* Create (or delete) ids [from, to); report the first unexpected result. */
static void fill(int vmfd, uint32_t as, uint32_t from, uint32_t to, int del,
		 const char *what)
{
	double start = now_seconds();
	uint32_t bad_id = 0;
	long bad = 0;

	for (uint32_t id = from; id < to; id++) {
		long r = tap_set(vmfd, as, id, 0, slot_gpa(id),
				 del ? 0 : PAGE_SZ, slot_hva(id));
		if (r && !bad) {
			bad = r;
			bad_id = id;
		}
	}
	/* A figure for the debug-kernel lane, where this is the slow test. */
	tap_diag("as %u: %s of %u slots took %.1f s", as, what, to - from,
		 now_seconds() - start);
	if (!bad)
		tap_result(1, "as %u: %s ids %u..%u", as, what, from, to - 1);
	else
		tap_result(0, "as %u: %s ids %u..%u (id %u: -%s)", as, what,
			   from, to - 1, bad_id, tap_errname((int)-bad));
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	int devfd, vmfd;
	void *mem;

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	tap_plan(NTESTS);
	tap_diag("device %s", dev);

	tap_expect(tap_ioctl(devfd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS),
		   NSLOTS, "KVM_CAP_NR_MEMSLOTS is 32764");
	vmfd = tap_create_vm(devfd);
	mem = tap_map(ALIAS_PAGES * PAGE_SZ);
	if (!tap_expect(vmfd >= 0 && mem, 1, "VM and backing memory")) {
		tap_bail_rest("no VM");
		return tap_finish();
	}
	hva_base = (uint64_t)mem;

	for (uint32_t as = 0; as < 2; as++) {
		fill(vmfd, as, 0, NSLOTS, 0, "create");
		tap_expect(tap_set(vmfd, as, NSLOTS, 0, slot_gpa(NSLOTS), PAGE_SZ,
				   slot_hva(0)), -EINVAL,
			   "as %u: id 32764 with all user slots in use fails EINVAL", as);
		tap_expect(tap_set(vmfd, as, NSLOTS - 1, 0, slot_gpa(NSLOTS - 1),
				   PAGE_SZ, slot_hva(NSLOTS - 1)), 0,
			   "as %u: id 32763 again with the same parameters succeeds", as);
		tap_expect(tap_set(vmfd, as, 100, 0, slot_gpa(200), PAGE_SZ,
				   slot_hva(100)), -EEXIST,
			   "as %u: moving id 100 onto id 200 fails EEXIST", as);
		tap_expect(tap_set(vmfd, as, 100, 0, slot_gpa(100) + PAGE_SZ, PAGE_SZ,
				   slot_hva(100)), 0,
			   "as %u: moving id 100 into the hole after it succeeds", as);
		tap_expect(tap_set(vmfd, as, 100, KVM_MEM_LOG_DIRTY_PAGES,
				   slot_gpa(100), PAGE_SZ, slot_hva(100)), 0,
			   "as %u: moving it back with dirty logging on succeeds", as);
		tap_expect(tap_set(vmfd, as, 30000, KVM_MEM_LOG_DIRTY_PAGES,
				   slot_gpa(30000), PAGE_SZ, slot_hva(30000)), 0,
			   "as %u: enabling dirty logging on id 30000 succeeds", as);
	}

	/* both address spaces are full now; they are independent */
	tap_expect(tap_set(vmfd, 0, 5, 0, 0, 0, 0), 0,
		   "as 0: delete id 5 while both spaces are full");
	tap_expect(tap_set(vmfd, 1, 5, 0, slot_gpa(5), PAGE_SZ, slot_hva(5)), 0,
		   "as 1: id 5 is still there (same parameters succeed)");
	tap_expect(tap_set(vmfd, 0, 5, 0, slot_gpa(5), PAGE_SZ, slot_hva(5)), 0,
		   "as 0: re-create id 5");

	for (uint32_t as = 0; as < 2; as++) {
		fill(vmfd, as, 0, NSLOTS, 1, "delete");
		tap_expect(tap_set(vmfd, as, 0, 0, 0, 0, 0), -EINVAL,
			   "as %u: deleting id 0 again fails EINVAL", as);
	}

	/* refill, in the reverse order of ids, to a different gpa layout */
	{
		uint32_t bad_id = 0;
		long bad = 0;

		for (uint32_t id = NSLOTS; id-- > 0;) {
			long r = tap_set(vmfd, 0, id, 0,
					 slot_gpa(NSLOTS - 1 - id), PAGE_SZ,
					 slot_hva(id));
			if (r && !bad) {
				bad = r;
				bad_id = id;
			}
		}
		if (!bad)
			tap_result(1, "as 0: re-create all ids in reverse order");
		else
			tap_result(0, "as 0: re-create all ids in reverse order (id %u: -%s)",
				   bad_id, tap_errname((int)-bad));
	}
	tap_expect(tap_set(vmfd, 0, NSLOTS, 0, 0, PAGE_SZ, slot_hva(0)), -EINVAL,
		   "as 0: id 32764 still fails EINVAL");

	close(vmfd);
	vmfd = tap_create_vm(devfd);
	tap_expect(vmfd >= 0, 1, "closing a VM with 32764 slots, then a new VM");
	tap_expect(tap_set(vmfd, 0, NSLOTS - 1, 0, 0, PAGE_SZ, slot_hva(0)), 0,
		   "new VM: id 32763 can be created first");
	close(vmfd);
	close(devfd);
	return tap_finish();
}
