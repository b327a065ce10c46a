// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_limits: every user slot id of every address space in use at
 * once (KVM_CAP_NR_MEMSLOTS one-page slots each, 32764 on x86, at distinct
 * gpas, all aliasing one host page range), the first id past the limit,
 * deleting them all and filling the space again.
 *
 * Usage: memslot_limits [--vm-type=N] [device]
 */
#include <time.h>

#include "tap.h"

/* results: 6, 7 per address space, 3 if there are two, 2 per space */
static int ntests(uint32_t nas)
{
	return 6 + 7 * nas + (nas > 1 ? 3 : 0) + 2 * nas;
}

#define ALIAS_PAGES 16

static uint64_t hva_base;
static uint32_t nslots;		/* KVM_CAP_NR_MEMSLOTS of the VM */

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
	const struct tap_arch_caps *ac = tap_arch_caps();
	uint32_t nas, dirty_id;
	int devfd, vmfd;
	void *mem;

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	/* The limits this VM type reports decide the plan. */
	vmfd = tap_create_vm(devfd);
	nslots = vmfd >= 0 ? tap_nr_slots(vmfd) : 0;
	nas = vmfd >= 0 ? tap_nr_address_spaces(vmfd) : 1;
	dirty_id = nslots - 100;
	tap_plan(ntests(nas));
	tap_diag("device %s, VM type %lu: %u address space(s) of %u slots",
		 dev, tap_vm_type, nas, nslots);

	if (ac)
		tap_expect(nslots, ac->nr_memslots, "KVM_CAP_NR_MEMSLOTS is %ld",
			   ac->nr_memslots);
	else
		tap_skip("KVM_CAP_NR_MEMSLOTS: no reference for VM type %lu",
			 tap_vm_type);
	mem = tap_map(ALIAS_PAGES * PAGE_SZ);
	if (!tap_expect(vmfd >= 0 && mem && nslots > 200, 1,
			"VM and backing memory")) {
		tap_bail_rest("no VM");
		return tap_finish();
	}
	hva_base = (uint64_t)mem;

	for (uint32_t as = 0; as < nas; as++) {
		fill(vmfd, as, 0, nslots, 0, "create");
		tap_expect(tap_set(vmfd, as, nslots, 0, slot_gpa(nslots), PAGE_SZ,
				   slot_hva(0)), -EINVAL,
			   "as %u: id %u with all user slots in use fails EINVAL",
			   as, nslots);
		tap_expect(tap_set(vmfd, as, nslots - 1, 0, slot_gpa(nslots - 1),
				   PAGE_SZ, slot_hva(nslots - 1)), 0,
			   "as %u: id %u again with the same parameters succeeds",
			   as, nslots - 1);
		tap_expect(tap_set(vmfd, as, 100, 0, slot_gpa(200), PAGE_SZ,
				   slot_hva(100)), -EEXIST,
			   "as %u: moving id 100 onto id 200 fails EEXIST", as);
		tap_expect(tap_set(vmfd, as, 100, 0, slot_gpa(100) + PAGE_SZ, PAGE_SZ,
				   slot_hva(100)), 0,
			   "as %u: moving id 100 into the hole after it succeeds", as);
		tap_expect(tap_set(vmfd, as, 100, KVM_MEM_LOG_DIRTY_PAGES,
				   slot_gpa(100), PAGE_SZ, slot_hva(100)), 0,
			   "as %u: moving it back with dirty logging on succeeds", as);
		tap_expect(tap_set(vmfd, as, dirty_id, KVM_MEM_LOG_DIRTY_PAGES,
				   slot_gpa(dirty_id), PAGE_SZ, slot_hva(dirty_id)), 0,
			   "as %u: enabling dirty logging on id %u succeeds", as,
			   dirty_id);
	}

	/* the first two address spaces are full now; they are independent */
	if (nas > 1) {
		tap_expect(tap_set(vmfd, 0, 5, 0, 0, 0, 0), 0,
			   "as 0: delete id 5 while both spaces are full");
		tap_expect(tap_set(vmfd, 1, 5, 0, slot_gpa(5), PAGE_SZ,
				   slot_hva(5)), 0,
			   "as 1: id 5 is still there (same parameters succeed)");
		tap_expect(tap_set(vmfd, 0, 5, 0, slot_gpa(5), PAGE_SZ,
				   slot_hva(5)), 0, "as 0: re-create id 5");
	}

	for (uint32_t as = 0; as < nas; as++) {
		fill(vmfd, as, 0, nslots, 1, "delete");
		tap_expect(tap_set(vmfd, as, 0, 0, 0, 0, 0), -EINVAL,
			   "as %u: deleting id 0 again fails EINVAL", as);
	}

	/* refill, in the reverse order of ids, to a different gpa layout */
	{
		uint32_t bad_id = 0;
		long bad = 0;

		for (uint32_t id = nslots; id-- > 0;) {
			long r = tap_set(vmfd, 0, id, 0,
					 slot_gpa(nslots - 1 - id), PAGE_SZ,
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
	tap_expect(tap_set(vmfd, 0, nslots, 0, 0, PAGE_SZ, slot_hva(0)), -EINVAL,
		   "as 0: id %u still fails EINVAL", nslots);

	close(vmfd);
	vmfd = tap_create_vm(devfd);
	tap_expect(vmfd >= 0, 1, "closing a VM with %u slots, then a new VM",
		   nslots);
	tap_expect(tap_set(vmfd, 0, nslots - 1, 0, 0, PAGE_SZ, slot_hva(0)), 0,
		   "new VM: id %u can be created first", nslots - 1);
	close(vmfd);
	close(devfd);
	return tap_finish();
}
