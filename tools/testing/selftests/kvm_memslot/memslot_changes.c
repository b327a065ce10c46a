// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_changes: the four kinds of change (create, delete, move, flags)
 * and what they leave behind, observed only through the ABI: which gpa
 * ranges are free (a create there succeeds or fails EEXIST), whether a slot
 * exists (a delete succeeds or fails EINVAL) and whether it logs dirty pages
 * (KVM_GET_DIRTY_LOG succeeds or fails ENOENT).  Both address spaces,
 * read-only slots included.
 *
 * Usage: memslot_changes [device]
 */
#include "tap.h"

#define NTESTS 74
#define MB 0x100000UL

static int vmfd;
static uint64_t hva;
static unsigned long bitmap[1024];

/* Is [gpa, gpa + size) free in address space as?  Probe with slot 999. */
static long probe_free(uint32_t as, uint64_t gpa, uint64_t size)
{
	long r = tap_set(vmfd, as, 999, 0, gpa, size, hva + 2 * MB);

	if (r == 0)
		tap_set(vmfd, as, 999, 0, gpa, 0, hva + 2 * MB);
	return r;
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	int devfd, first, per_as = 0;
	uint32_t nas;
	void *mem;

	/*
	 * The expectations below are x86's (READONLY, two address spaces,
	 * manual protection, 4 KiB pages); memslot_ppc_abi checks what the
	 * PowerPC type answers instead.
	 */
	if (tap_vm_is_ppc())
		return tap_skip_all("x86 expectations: memslot_ppc_abi covers this VM type");

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	tap_plan(NTESTS);
	tap_diag("device %s", dev);

	vmfd = tap_create_vm(devfd);
	mem = tap_map(4 * MB);
	if (!tap_expect(vmfd >= 0 && mem, 1, "VM and backing memory")) {
		tap_bail_rest("no VM");
		return tap_finish();
	}
	hva = (uint64_t)mem;

	/* Results of one address space's pass: skipped for one it lacks. */
	nas = tap_nr_address_spaces(vmfd);
	for (uint32_t as = 0; as < 2; as++) {
		if (as >= nas) {
			tap_skip_n(per_as, "the VM has one address space");
			continue;
		}
		first = tap_count;
		tap_diag("address space %u", as);
		/* create */
		tap_expect(tap_set(vmfd, as, 0, 0, 0x100000, 0x40000, hva), 0,
			   "as %u: create slot 0 at 1M (256K)", as);
		tap_expect(probe_free(as, 0x13f000, PAGE_SZ), -EEXIST,
			   "as %u: its last page is taken", as);
		tap_expect(probe_free(as, 0x140000, PAGE_SZ), 0,
			   "as %u: the page after it is free", as);
		tap_expect(tap_get_dirty(vmfd, as, 0, bitmap), -ENOENT,
			   "as %u: no dirty log without LOG_DIRTY_PAGES (ENOENT)", as);

		/* flags only */
		tap_expect(tap_set(vmfd, as, 0, KVM_MEM_LOG_DIRTY_PAGES, 0x100000,
				   0x40000, hva), 0,
			   "as %u: enable dirty logging", as);
		tap_expect(tap_get_dirty(vmfd, as, 0, bitmap), 0,
			   "as %u: dirty log now readable", as);
		tap_expect(tap_set(vmfd, as, 0, KVM_MEM_LOG_DIRTY_PAGES, 0x100000,
				   0x40000, hva), 0,
			   "as %u: enabling it again is a no-op", as);
		tap_expect(tap_set(vmfd, as, 0, 0, 0x100000, 0x40000, hva), 0,
			   "as %u: disable dirty logging", as);
		tap_expect(tap_get_dirty(vmfd, as, 0, bitmap), -ENOENT,
			   "as %u: dirty log gone again (ENOENT)", as);

		/* move */
		tap_expect(tap_set(vmfd, as, 0, 0, 0x400000, 0x40000, hva), 0,
			   "as %u: move slot 0 to 4M", as);
		tap_expect(probe_free(as, 0x100000, 0x40000), 0,
			   "as %u: the old range is free", as);
		tap_expect(probe_free(as, 0x43f000, PAGE_SZ), -EEXIST,
			   "as %u: the new range is taken", as);
		tap_expect(tap_set(vmfd, as, 0, KVM_MEM_LOG_DIRTY_PAGES, 0x420000,
				   0x40000, hva), 0,
			   "as %u: move overlapping itself and enable logging at once", as);
		tap_expect(tap_get_dirty(vmfd, as, 0, bitmap), 0,
			   "as %u: the moved slot logs dirty pages", as);
		tap_expect(probe_free(as, 0x400000, 0x20000), 0,
			   "as %u: the part it left is free", as);
		tap_expect(tap_set(vmfd, as, 1, 0, 0x460000, 0x20000, hva + 0x40000), 0,
			   "as %u: create slot 1 right after it", as);
		tap_expect(tap_set(vmfd, as, 0, KVM_MEM_LOG_DIRTY_PAGES, 0x440000,
				   0x40000, hva), -EEXIST,
			   "as %u: moving slot 0 onto slot 1 fails EEXIST", as);
		tap_expect(tap_set(vmfd, as, 0, KVM_MEM_LOG_DIRTY_PAGES, 0x420000,
				   0x40000, hva), 0,
			   "as %u: slot 0 is unchanged by the failed move", as);

		/* delete and re-create */
		tap_expect(tap_set(vmfd, as, 0, 0, 0, 0, 0), 0,
			   "as %u: delete slot 0 (gpa/hva of the delete ignored)", as);
		tap_expect(tap_get_dirty(vmfd, as, 0, bitmap), -ENOENT,
			   "as %u: deleted slot has no dirty log (ENOENT)", as);
		tap_expect(tap_set(vmfd, as, 0, 0, 0, 0, 0), -EINVAL,
			   "as %u: deleting it again fails EINVAL", as);
		tap_expect(tap_set(vmfd, as, 0, KVM_MEM_READONLY, 0x420000, 0x80000,
				   hva + 0x100000), -EEXIST,
			   "as %u: re-create id 0 over slot 1 fails EEXIST", as);
		tap_expect(tap_set(vmfd, as, 0, KVM_MEM_READONLY, 0x500000, 0x80000,
				   hva + 0x100000), 0,
			   "as %u: re-create id 0 read-only with another size/hva", as);
		tap_expect(tap_set(vmfd, as, 0, 0, 0x500000, 0x80000, hva + 0x100000),
			   -EINVAL, "as %u: clearing READONLY fails EINVAL", as);
		tap_expect(tap_set(vmfd, as, 0, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES,
				   0x500000, 0x80000, hva + 0x100000), 0,
			   "as %u: dirty logging on a read-only slot", as);
		tap_expect(tap_get_dirty(vmfd, as, 0, bitmap), 0,
			   "as %u: its dirty log is readable", as);
		tap_expect(tap_set(vmfd, as, 0, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES,
				   0x600000, 0x80000, hva + 0x100000), 0,
			   "as %u: move the read-only slot", as);
		tap_expect(tap_set(vmfd, as, 0, KVM_MEM_LOG_DIRTY_PAGES,
				   0x700000, 0x80000, hva + 0x100000), -EINVAL,
			   "as %u: move that drops READONLY fails EINVAL", as);
		tap_expect(probe_free(as, 0x500000, 0x80000), 0,
			   "as %u: the read-only slot's old range is free", as);
		tap_expect(tap_set(vmfd, as, 1, 0, 0x460000, 0, 0), 0,
			   "as %u: delete slot 1", as);
		tap_expect(tap_set(vmfd, as, 1, KVM_MEM_READONLY, 0x460000, 0x20000,
				   hva + 0x40000), 0,
			   "as %u: re-create slot 1 read-only at the same place", as);
		per_as = tap_count - first;
	}

	/* the address spaces are independent: 11 results, with two of them */
	if (nas < 2) {
		tap_skip_n(11, "the VM has one address space");
		goto out;
	}
	tap_expect(tap_set(vmfd, 0, 1, 0, 0, 0, 0), 0, "as 0: delete slot 1");
	tap_expect(tap_set(vmfd, 1, 1, KVM_MEM_READONLY, 0x460000, 0x20000,
			   hva + 0x40000), 0, "as 1: slot 1 is still there");
	tap_expect(probe_free(0, 0x460000, 0x20000), 0, "as 0: its range is free");
	tap_expect(probe_free(1, 0x460000, 0x20000), -EEXIST,
		   "as 1: its range is still taken");
	tap_expect(tap_set(vmfd, 0, 2, 0, 0x460000, 0x20000, hva), 0,
		   "as 0: another id can take the same range");
	tap_expect(tap_set(vmfd, 1, 0, 0, 0, 0, 0), 0, "as 1: delete slot 0");
	tap_expect(tap_set(vmfd, 1, 1, 0, 0, 0, 0), 0, "as 1: delete slot 1");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, 0, 0), 0, "as 0: delete slot 0");
	tap_expect(tap_set(vmfd, 0, 2, 0, 0, 0, 0), 0, "as 0: delete slot 2");
	tap_expect(probe_free(0, 0, 0x1000000), 0, "as 0: the first 16M are free");
	tap_expect(probe_free(1, 0, 0x1000000), 0, "as 1: the first 16M are free");

out:
	close(vmfd);
	close(devfd);
	return tap_finish();
}
