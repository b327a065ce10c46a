// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_dirty_log: KVM_GET_DIRTY_LOG, KVM_CLEAR_DIRTY_LOG and
 * KVM_ENABLE_CAP(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) as Linux 6.1 checks them.
 *
 * No vCPU runs, so the only dirty bits are the ones KVM_DIRTY_LOG_INITIALLY_SET
 * puts in a bitmap when logging is enabled on a slot; they make the bitmap
 * contents, the copy size and the effect of KVM_CLEAR_DIRTY_LOG observable.
 *
 * Usage: memslot_dirty_log [device]
 */
#include "tap.h"

#define NTESTS 88
#define MB 0x100000UL
#define LOG KVM_MEM_LOG_DIRTY_PAGES
#define MANUAL KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE
#define INITSET KVM_DIRTY_LOG_INITIALLY_SET

static int vmfd;
static unsigned char buf[64 * 1024 + 64];
static unsigned char ones[64 * 1024];

/* Get the log of a slot of npages into a canary-filled buffer. */
static long get_pop(uint32_t as, uint32_t id, unsigned long npages, int *pop,
		    int *canary_ok)
{
	size_t n = ((npages + 63) / 64) * 8;
	long r;

	memset(buf, 0xa5, sizeof(buf));
	memset(buf, 0, n);
	r = tap_get_dirty(vmfd, as, id, buf);
	*pop = tap_popcount(buf, n);
	*canary_ok = 1;
	for (size_t i = n; i < n + 64; i++)
		if (buf[i] != 0xa5)
			*canary_ok = 0;
	return r;
}

static void expect_pop(uint32_t as, uint32_t id, unsigned long npages, int want,
		       const char *what)
{
	int pop, canary;
	long r = get_pop(as, id, npages, &pop, &canary);

	if (r == 0 && pop == want && canary)
		tap_result(1, "%s: GET_DIRTY_LOG reports %d dirty pages", what, want);
	else
		tap_result(0, "%s: GET_DIRTY_LOG reports %d dirty pages (r=%ld pop=%d canary %s)",
			   what, want, r, pop, canary ? "ok" : "overwritten");
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	struct kvm_dirty_log dl;
	struct kvm_enable_cap cap;
	uint64_t hva;
	uint32_t nslots;
	int devfd;
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
	memset(ones, 0xff, sizeof(ones));

	vmfd = tap_create_vm(devfd);
	mem = tap_map(8 * MB);
	if (!tap_expect(vmfd >= 0 && mem, 1, "VM and backing memory")) {
		tap_bail_rest("no VM");
		return tap_finish();
	}
	hva = (uint64_t)mem;
	nslots = tap_nr_slots(vmfd);

	tap_expect(tap_ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2),
		   MANUAL | INITSET, "MANUAL_DIRTY_LOG_PROTECT2 = 3");

	/* ---- GET_DIRTY_LOG argument checks ---- */
	tap_expect(tap_ioctl(vmfd, KVM_GET_DIRTY_LOG, 0), -EFAULT,
		   "GET_DIRTY_LOG with a NULL argument fails EFAULT");
	tap_expect(tap_get_dirty(vmfd, 0, 0, buf), -ENOENT,
		   "GET_DIRTY_LOG on a slot that does not exist fails ENOENT");
	tap_expect(tap_get_dirty(vmfd, 0, nslots - 1, buf), -ENOENT,
		   "GET_DIRTY_LOG on id %u (last, absent) fails ENOENT",
		   nslots - 1);
	tap_expect(tap_get_dirty(vmfd, 0, nslots, buf), -EINVAL,
		   "GET_DIRTY_LOG on id %u (first past the user slots) fails EINVAL",
		   nslots);
	tap_expect(tap_get_dirty(vmfd, 0, 0xffff, buf), -EINVAL,
		   "GET_DIRTY_LOG on id 65535 fails EINVAL");
	tap_expect(tap_get_dirty(vmfd, 2, 0, buf), -EINVAL,
		   "GET_DIRTY_LOG in address space 2 fails EINVAL");
	/* Absent slot: ENOENT; an address space the VM lacks: EINVAL. */
	tap_expect(tap_get_dirty(vmfd, 1, 0, buf),
		   tap_nr_address_spaces(vmfd) > 1 ? -ENOENT : -EINVAL,
		   "GET_DIRTY_LOG in address space 1 (absent) fails ENOENT");

	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100000, 0x100000, hva), 0,
		   "create slot 0 (256 pages) without logging");
	tap_expect(tap_get_dirty(vmfd, 0, 0, buf), -ENOENT,
		   "GET_DIRTY_LOG on a slot without logging fails ENOENT");
	tap_expect(tap_set(vmfd, 0, 0, LOG, 0x100000, 0x100000, hva), 0,
		   "enable logging on slot 0");
	expect_pop(0, 0, 256, 0, "slot 0 (no manual protect)");
	tap_expect(tap_get_dirty(vmfd, 0, 0, NULL), -EFAULT,
		   "GET_DIRTY_LOG into a NULL bitmap fails EFAULT");
	tap_expect(tap_get_dirty(vmfd, 0, 0, (void *)0xffff888000000000UL), -EFAULT,
		   "GET_DIRTY_LOG into a kernel address fails EFAULT");
	tap_expect(tap_get_dirty(vmfd, 0, 0, (void *)0x100000000000UL), -EFAULT,
		   "GET_DIRTY_LOG into unmapped memory fails EFAULT");
	memset(&dl, 0, sizeof(dl));
	dl.slot = 0;
	dl.padding1 = 0xdeadbeef;
	dl.dirty_bitmap = buf;
	tap_expect(tap_ioctl(vmfd, KVM_GET_DIRTY_LOG, (unsigned long)&dl), 0,
		   "GET_DIRTY_LOG ignores padding1");

	/* ---- ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2) ---- */
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, INITSET),
		   -EINVAL, "manual protect: INITIALLY_SET without ENABLE fails EINVAL");
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 4),
		   -EINVAL, "manual protect: undefined bit 2 fails EINVAL");
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
				  MANUAL | INITSET | 4),
		   -EINVAL, "manual protect: ENABLE|INITIALLY_SET|bit 2 fails EINVAL");
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
				  1UL << 63),
		   -EINVAL, "manual protect: bit 63 fails EINVAL");
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 1, MANUAL),
		   -EINVAL, "manual protect: nonzero cap flags fail EINVAL");
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2;
	cap.args[0] = MANUAL;
	cap.args[1] = 0x1234;
	cap.pad[0] = 0xff;
	tap_expect(tap_ioctl(vmfd, KVM_ENABLE_CAP, (unsigned long)&cap), 0,
		   "manual protect: args[1..3] and pad are ignored");
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 0),
		   0, "manual protect: 0 disables it");
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, MANUAL),
		   0, "manual protect: ENABLE alone");
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
				  MANUAL | INITSET),
		   0, "manual protect: ENABLE|INITIALLY_SET");
	tap_expect(tap_ioctl(vmfd, KVM_ENABLE_CAP, 0), -EFAULT,
		   "ENABLE_CAP with a NULL argument fails EFAULT");
	tap_expect(tap_enable_cap(vmfd, 0x7fffffff, 0, 0), -EINVAL,
		   "ENABLE_CAP of an unknown capability fails EINVAL");
	tap_expect(tap_ioctl(devfd, KVM_ENABLE_CAP, 0), -EINVAL,
		   "ENABLE_CAP on the system fd fails EINVAL");

	/* ---- INITIALLY_SET: bits appear when logging is enabled ---- */
	expect_pop(0, 0, 256, 0, "slot 0 (logging enabled before INITIALLY_SET)");
	tap_expect(tap_set(vmfd, 0, 1, LOG, 0x400000, 100 * PAGE_SZ, hva), 0,
		   "create slot 1 (100 pages) with logging");
	expect_pop(0, 1, 100, 100, "slot 1, INITIALLY_SET");
	expect_pop(0, 1, 100, 100, "slot 1, manual protect: GET does not clear");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100000, 0x100000, hva), 0,
		   "disable logging on slot 0");
	tap_expect(tap_set(vmfd, 0, 0, LOG, 0x100000, 0x100000, hva), 0,
		   "enable logging on slot 0 again");
	expect_pop(0, 0, 256, 256, "slot 0, re-enabled under INITIALLY_SET");

	/* ---- CLEAR_DIRTY_LOG checks, in 6.1's order ---- */
	tap_expect(tap_ioctl(vmfd, KVM_CLEAR_DIRTY_LOG, 0), -EFAULT,
		   "CLEAR_DIRTY_LOG with a NULL argument fails EFAULT");
	tap_expect(tap_clear_dirty(vmfd, 2, 0, 0, 64, ones), -EINVAL,
		   "CLEAR in address space 2 fails EINVAL");
	tap_expect(tap_clear_dirty(vmfd, 0, nslots, 0, 64, ones), -EINVAL,
		   "CLEAR on id %u fails EINVAL", nslots);
	tap_expect(tap_clear_dirty(vmfd, 0, 5, 1, 64, ones), -EINVAL,
		   "CLEAR on an absent slot with first_page 1 fails EINVAL (alignment first)");
	tap_expect(tap_clear_dirty(vmfd, 0, 5, 0, 64, ones), -ENOENT,
		   "CLEAR on an absent slot fails ENOENT");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 32, 64, ones), -EINVAL,
		   "CLEAR with first_page 32 fails EINVAL");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 0, 32, ones), -EINVAL,
		   "CLEAR of 32 pages not reaching the end fails EINVAL");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 0, 320, ones), -EINVAL,
		   "CLEAR of 320 pages of a 256-page slot fails EINVAL");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 256, 64, ones), -EINVAL,
		   "CLEAR starting at the end with 64 pages fails EINVAL");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 320, 0, ones), -EINVAL,
		   "CLEAR starting past the end fails EINVAL");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 1UL << 40, 64, ones), -EINVAL,
		   "CLEAR with a huge first_page fails EINVAL");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 256, 0, NULL), 0,
		   "CLEAR of 0 pages at the end (NULL bitmap, nothing read) succeeds");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 0, 0, NULL), 0,
		   "CLEAR of 0 pages at 0 succeeds");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 0, 64, NULL), -EFAULT,
		   "CLEAR of 64 pages from a NULL bitmap fails EFAULT");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 0, 64, (void *)0x100000000000UL), -EFAULT,
		   "CLEAR from unmapped memory fails EFAULT");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 64, 64, ones), 0,
		   "CLEAR pages 64..127 of slot 0");
	expect_pop(0, 0, 256, 192, "slot 0 after clearing 64 pages");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 192, 64, ones), 0,
		   "CLEAR the last 64 pages of slot 0");
	expect_pop(0, 0, 256, 128, "slot 0 after clearing 128 pages");
	{
		unsigned char half[8] = { 0x0f, 0, 0, 0, 0, 0, 0, 0x80 };

		tap_expect(tap_clear_dirty(vmfd, 0, 0, 0, 64, half), 0,
			   "CLEAR with a partial mask (5 bits)");
	}
	expect_pop(0, 0, 256, 123, "slot 0 after a partial-mask clear");

	/* slot 1: 100 pages; the range may end at the end of the slot */
	tap_expect(tap_clear_dirty(vmfd, 0, 1, 64, 36, ones), 0,
		   "CLEAR pages 64..99 of slot 1 (36 pages reaching the end)");
	expect_pop(0, 1, 100, 64, "slot 1 after clearing its tail");
	tap_expect(tap_clear_dirty(vmfd, 0, 1, 64, 64, ones), -EINVAL,
		   "CLEAR 64 pages from page 64 of a 100-page slot fails EINVAL");
	tap_expect(tap_clear_dirty(vmfd, 0, 1, 0, 100, ones), 0,
		   "CLEAR all 100 pages of slot 1");
	expect_pop(0, 1, 100, 0, "slot 1 after clearing all");
	tap_expect(tap_set(vmfd, 0, 1, 0, 0x400000, 100 * PAGE_SZ, hva), 0,
		   "disable logging on slot 1");
	tap_expect(tap_clear_dirty(vmfd, 0, 1, 0, 64, ones), -ENOENT,
		   "CLEAR on a slot without logging fails ENOENT");
	tap_expect(tap_set(vmfd, 0, 1, LOG, 0x400000, 100 * PAGE_SZ, hva), 0,
		   "enable logging on slot 1 again");
	expect_pop(0, 1, 100, 100, "slot 1 re-enabled");

	/* leaving manual mode: GET harvests (and clears) what is set */
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 0),
		   0, "manual protect disabled");
	expect_pop(0, 1, 100, 100, "slot 1, first GET without manual protect");
	expect_pop(0, 1, 100, 0, "slot 1, second GET (bits were harvested)");
	tap_expect(tap_clear_dirty(vmfd, 0, 0, 0, 64, ones), 0,
		   "CLEAR without manual protect still succeeds in 6.1");
	expect_pop(0, 0, 256, 64, "slot 0 after that clear and the harvest");
	expect_pop(0, 0, 256, 0, "slot 0, harvested");
	tap_expect(tap_set(vmfd, 0, 2, LOG, 0x800000, 64 * PAGE_SZ, hva), 0,
		   "create slot 2 with logging, INITIALLY_SET no longer in force");
	expect_pop(0, 2, 64, 0, "slot 2");

	/* address space 1: 14 results, if the VM has it */
	if (tap_nr_address_spaces(vmfd) < 2) {
		tap_skip_n(14, "address space 1: the VM has one address space");
		goto out;
	}
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
				  MANUAL | INITSET), 0, "manual protect ENABLE|INITIALLY_SET");
	tap_expect(tap_set(vmfd, 1, 0, LOG, 0x100000, 128 * PAGE_SZ, hva), 0,
		   "as 1: create slot 0 with logging");
	expect_pop(1, 0, 128, 128, "as 1 slot 0");
	tap_expect(tap_clear_dirty(vmfd, 1, 0, 0, 128, ones), 0,
		   "as 1: CLEAR all of slot 0");
	expect_pop(1, 0, 128, 0, "as 1 slot 0 after clear");
	expect_pop(0, 0, 256, 0, "as 0 slot 0 unaffected");
	tap_expect(tap_set(vmfd, 1, 0, LOG, 0x200000, 128 * PAGE_SZ, hva), 0,
		   "as 1: move slot 0, logging stays on");
	expect_pop(1, 0, 128, 0, "as 1 slot 0 after the move (bitmap carried over)");
	tap_expect(tap_set(vmfd, 1, 0, 0, 0x300000, 128 * PAGE_SZ, hva), 0,
		   "as 1: move slot 0 and turn logging off");
	tap_expect(tap_set(vmfd, 1, 0, LOG, 0x100000, 128 * PAGE_SZ, hva), 0,
		   "as 1: move slot 0 back and turn logging on");
	expect_pop(1, 0, 128, 128, "as 1 slot 0 with a new bitmap");
	tap_expect(tap_set(vmfd, 1, 0, 0, 0, 0, 0), 0, "as 1: delete slot 0");
	tap_expect(tap_get_dirty(vmfd, 1, 0, buf), -ENOENT,
		   "as 1: GET_DIRTY_LOG on the deleted slot fails ENOENT");
	tap_expect(tap_clear_dirty(vmfd, 1, 0, 0, 64, ones), -ENOENT,
		   "as 1: CLEAR on the deleted slot fails ENOENT");

out:
	close(vmfd);
	close(devfd);
	return tap_finish();
}
