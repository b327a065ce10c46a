// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_access: guest accesses through slots (KVM_MEMSLOT_VCPU_ACCESS).
 *
 * A vCPU read returns what the process sees at the slot's host address, a
 * vCPU write is what the process then sees; accesses where no slot is, and
 * writes to read-only slots, exit to MMIO; the SMM address space is
 * separate; creating, deleting and moving slots changes what accesses
 * reach at once (including gfns a cached MMIO translation covered); writes
 * are logged in the dirty bitmap; and the audit finds no stale
 * translation.
 *
 * Guest accesses are a kvm-memslot extension: on /dev/kvm the program skips.
 *
 * Usage: memslot_access [device]
 */
#include "access_util.h"

#define NTESTS	40
#define MB	0x100000UL
#define NPAGES	64

static int vmfd, vcpufd;

/* Compare @len bytes read by the vCPU at @gpa with @want. */
static int read_matches(uint64_t gpa, const void *want, size_t len)
{
	static uint8_t got[4 * PAGE_SZ_MAX];

	memset(got, 0x5a, len);
	return acc_read(vcpufd, gpa, got, len) == 0 && !memcmp(got, want, len);
}

static void expect_audit(const char *when)
{
	long v = acc_audit(vmfd);

	tap_result(v == 0, "audit after %s: 0 violations%s", when,
		   v == 0 ? "" : " (got some, see dmesg)");
	if (v)
		tap_diag("audit returned %ld", v);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	struct kvm_memslot_access out;
	uint8_t *mem, *rom, *smm, *buf;
	uint64_t gpa = 1 * MB, bitmap[2];
	int devfd, r, ok;
	long a;

	r = acc_setup(dev, &devfd, &vmfd, &vcpufd);
	if (r)
		return r;
	tap_plan(NTESTS);
	tap_diag("device %s", dev);

	mem = tap_map(NPAGES * PAGE_SZ);
	rom = tap_map(NPAGES * PAGE_SZ);
	smm = tap_map(NPAGES * PAGE_SZ);
	buf = malloc(4 * PAGE_SZ);
	if (!mem || !rom || !smm || !buf) {
		tap_bail_rest("no memory");
		return tap_finish();
	}
	for (int i = 0; i < NPAGES; i++) {
		acc_fill(mem + i * PAGE_SZ, i, 0);
		acc_fill(rom + i * PAGE_SZ, i, 1);
		acc_fill(smm + i * PAGE_SZ, i, 2);
	}

	/* ---- a plain slot ---- */
	tap_expect(tap_set(vmfd, 0, 0, 0, gpa, NPAGES * PAGE_SZ, (uintptr_t)mem),
		   0, "create slot 0 (64 pages at 1 MiB)");
	tap_result(read_matches(gpa, mem, PAGE_SZ),
		   "vCPU read of page 0 returns the process's bytes");
	tap_result(read_matches(gpa + 5 * PAGE_SZ + 100, mem + 5 * PAGE_SZ + 100,
				2 * PAGE_SZ + 1000),
		   "unaligned vCPU read across three pages");
	for (int i = 0; i < 3 * (int)PAGE_SZ; i++)
		buf[i] = (uint8_t)(i * 13 + 5);
	a = acc_write(vcpufd, gpa + 9 * PAGE_SZ + 17, buf, 3 * PAGE_SZ);
	tap_result(a == 0 && !memcmp(mem + 9 * PAGE_SZ + 17, buf, 3 * PAGE_SZ),
		   "unaligned vCPU write across four pages is what the process sees (%s)",
		   acc_name(a));
	mem[20 * PAGE_SZ] = 0x77;
	tap_result(read_matches(gpa + 20 * PAGE_SZ, mem + 20 * PAGE_SZ, 1),
		   "a process write after the vCPU mapped the page is seen by the vCPU");
	a = acc_access(vcpufd, gpa, buf, 0, 0, &out);
	tap_result(a == 0 && out.done == 0, "zero-length access does nothing");

	/* ---- no slot: MMIO ---- */
	a = acc_access(vcpufd, 64 * MB + 8, buf, 4, 0, &out);
	tap_result(a == ACC_MMIO && out.exit_gpa == 64 * MB + 8 &&
		   out.exit_len == 4 && !out.exit_write && out.done == 0,
		   "read where no slot is exits to MMIO with gpa, length, direction (%s)",
		   acc_name(a));
	a = acc_access(vcpufd, 64 * MB + 8, buf, 4, KVM_MEMSLOT_ACCESS_WRITE, &out);
	tap_result(a == ACC_MMIO && out.exit_write == 1,
		   "write there exits to MMIO as a write (cached no-slot entry)");
	a = acc_access(vcpufd, gpa + (NPAGES - 1) * PAGE_SZ, buf, 2 * PAGE_SZ, 0,
		       &out);
	tap_result(a == ACC_MMIO && out.done == PAGE_SZ &&
		   out.exit_gpa == gpa + NPAGES * PAGE_SZ,
		   "read running past the slot's end stops there: done = 1 page");

	/* ---- a slot created where an MMIO entry was cached ---- */
	tap_expect(tap_set(vmfd, 0, 1, 0, 64 * MB, NPAGES * PAGE_SZ,
			   (uintptr_t)rom), 0,
		   "create slot 1 over the gfn just cached as MMIO");
	tap_result(read_matches(64 * MB + 8, rom + 8, 4),
		   "the vCPU now reads the new slot, not the cached MMIO");
	tap_expect(tap_set(vmfd, 0, 1, 0, 0, 0, 0), 0, "delete slot 1");

	/* ---- read-only slot (a plain one where the VM type has none) ---- */
	if (tap_cap(vmfd, KVM_CAP_READONLY_MEM)) {
		tap_expect(tap_set(vmfd, 0, 2, KVM_MEM_READONLY, 16 * MB,
				   NPAGES * PAGE_SZ, (uintptr_t)rom), 0,
			   "create read-only slot 2");
		tap_result(read_matches(16 * MB + 3 * PAGE_SZ, rom + 3 * PAGE_SZ, PAGE_SZ),
			   "vCPU read of the read-only slot");
		memset(buf, 0xee, 16);
		a = acc_access(vcpufd, 16 * MB + 3 * PAGE_SZ, buf, 16,
			       KVM_MEMSLOT_ACCESS_WRITE, &out);
		tap_result(a == ACC_MMIO && out.exit_write == 1 &&
			   rom[3 * PAGE_SZ] == acc_pattern(3, 0, 1),
			   "vCPU write to the read-only slot exits to MMIO, memory unchanged");
		tap_result(read_matches(16 * MB + 3 * PAGE_SZ, rom + 3 * PAGE_SZ, 16),
			   "the read-only slot still reads after the write exit");
	} else {
		tap_expect(tap_set(vmfd, 0, 2, KVM_MEM_READONLY, 16 * MB,
				   NPAGES * PAGE_SZ, (uintptr_t)rom), -EINVAL,
			   "no KVM_CAP_READONLY_MEM: a read-only slot fails EINVAL");
		tap_expect(tap_set(vmfd, 0, 2, 0, 16 * MB, NPAGES * PAGE_SZ,
				   (uintptr_t)rom), 0, "create slot 2 writable instead");
		tap_result(read_matches(16 * MB + 3 * PAGE_SZ, rom + 3 * PAGE_SZ, PAGE_SZ),
			   "vCPU read of slot 2");
		tap_skip("no read-only slots: write exit");
	}

	/* ---- SMM address space (x86's second) ---- */
	if (tap_nr_address_spaces(vmfd) > 1) {
		tap_expect(tap_set(vmfd, 1, 0, 0, gpa, NPAGES * PAGE_SZ, (uintptr_t)smm),
			   0, "create SMM slot 0 at the same gpa, other memory");
		memset(buf, 0, PAGE_SZ);
		a = acc_access_as(vcpufd, 1, gpa + 2 * PAGE_SZ, buf, PAGE_SZ, 0, NULL);
		tap_result(a == 0 && !memcmp(buf, smm + 2 * PAGE_SZ, PAGE_SZ),
			   "SMM read reaches the SMM slot");
	} else {
		tap_expect(tap_set(vmfd, 1, 0, 0, gpa, NPAGES * PAGE_SZ, (uintptr_t)smm),
			   -EINVAL, "one address space: a slot in as 1 fails EINVAL");
		tap_expect(acc_access_as(vcpufd, 1, gpa, buf, 8, 0, NULL), -EINVAL,
			   "one address space: an access to as 1 fails EINVAL");
	}
	tap_result(read_matches(gpa + 2 * PAGE_SZ, mem + 2 * PAGE_SZ, PAGE_SZ),
		   "normal read at the same gpa still reaches slot 0");
	if (tap_nr_address_spaces(vmfd) > 1) {
		memset(buf, 0x3c, 8);
		a = acc_access_as(vcpufd, 1, gpa + 4 * PAGE_SZ, buf, 8,
				  KVM_MEMSLOT_ACCESS_WRITE, NULL);
		tap_result(a == 0 && smm[4 * PAGE_SZ] == 0x3c &&
			   mem[4 * PAGE_SZ] == acc_pattern(4, 0, 0),
			   "SMM write lands in SMM memory only");
		a = acc_access_as(vcpufd, 1, 16 * MB, buf, 8, 0, NULL);
		tap_result(a == ACC_MMIO,
			   "SMM read where only address space 0 has a slot exits");
	} else {
		tap_skip("one address space: SMM write");
		tap_skip("one address space: SMM read without a slot");
	}

	/* ---- flags and ranges ---- */
	tap_expect(acc_access(vcpufd, gpa, buf, 1, 1U << 7, NULL), -EINVAL,
		   "unknown access flag fails EINVAL");
	tap_expect(acc_access(vcpufd, ~0ULL - 2, buf, 8, 0, NULL), -EINVAL,
		   "range that wraps fails EINVAL");
	tap_expect(acc_access(vcpufd, gpa, NULL, 8, 0, NULL), -EFAULT,
		   "read into a NULL buffer fails EFAULT");
	expect_audit("accesses to three slots");

	/* ---- delete and move ---- */
	tap_expect(tap_set(vmfd, 0, 0, 0, 32 * MB, NPAGES * PAGE_SZ,
			   (uintptr_t)mem), 0, "move slot 0 to 32 MiB");
	tap_result(read_matches(32 * MB + 7 * PAGE_SZ, mem + 7 * PAGE_SZ, PAGE_SZ),
		   "the vCPU reads the slot at its new gpa");
	a = acc_read(vcpufd, gpa + 7 * PAGE_SZ, buf, 8);
	tap_result(a == ACC_MMIO, "the old gpa exits to MMIO after the move (%s)",
		   acc_name(a));
	expect_audit("a move");
	tap_expect(tap_set(vmfd, 0, 2, 0, 0, 0, 0), 0, "delete read-only slot 2");
	a = acc_read(vcpufd, 16 * MB + 3 * PAGE_SZ, buf, 8);
	tap_result(a == ACC_MMIO, "the deleted slot's gpa exits to MMIO (%s)",
		   acc_name(a));
	expect_audit("a delete");

	/* ---- never-touched memory ---- */
	{
		uint8_t *fresh = tap_map(NPAGES * PAGE_SZ), zero[64] = { 0 };

		tap_expect(fresh && !tap_set(vmfd, 0, 3, 0, 48 * MB,
					     NPAGES * PAGE_SZ, (uintptr_t)fresh),
			   1, "create slot 3 over never-touched memory");
		tap_result(fresh && read_matches(48 * MB, zero, sizeof(zero)),
			   "vCPU read of never-touched memory returns zeroes");
		memset(buf, 0x42, 64);
		a = acc_write(vcpufd, 48 * MB, buf, 64);
		tap_result(fresh && a == 0 && !memcmp(fresh, buf, 64),
			   "vCPU write after the read (zero page replaced) is what the process sees");
	}

	/* ---- dirty logging ---- */
	tap_expect(tap_set(vmfd, 0, 0, KVM_MEM_LOG_DIRTY_PAGES, 32 * MB,
			   NPAGES * PAGE_SZ, (uintptr_t)mem), 0,
		   "enable dirty logging on slot 0");
	memset(bitmap, 0, sizeof(bitmap));
	tap_get_dirty(vmfd, 0, 0, bitmap);
	ok = 1;
	for (int i = 0; i < NPAGES; i++)
		if (acc_read(vcpufd, 32 * MB + i * PAGE_SZ, buf, 8))
			ok = 0;
	memset(bitmap, 0, sizeof(bitmap));
	tap_result(ok && !tap_get_dirty(vmfd, 0, 0, bitmap) && !bitmap[0],
		   "vCPU reads dirty nothing");
	acc_write(vcpufd, 32 * MB + 1 * PAGE_SZ, buf, 1);
	/* 200 bytes that cross from page 40 into page 41. */
	acc_write(vcpufd, 32 * MB + 41 * PAGE_SZ - 96, buf, 200);
	memset(bitmap, 0, sizeof(bitmap));
	tap_result(!tap_get_dirty(vmfd, 0, 0, bitmap) &&
		   bitmap[0] == ((1ULL << 1) | (1ULL << 40) | (1ULL << 41)),
		   "vCPU writes dirty exactly their pages (1, 40, 41)");
	acc_write(vcpufd, 32 * MB + 40 * PAGE_SZ, buf, 1);
	memset(bitmap, 0, sizeof(bitmap));
	tap_result(!tap_get_dirty(vmfd, 0, 0, bitmap) && bitmap[0] == 1ULL << 40,
		   "a write after the harvest, through a translation that existed, is logged again");
	expect_audit("dirty logging");

	close(vcpufd);
	close(vmfd);
	close(devfd);
	return tap_finish();
}
