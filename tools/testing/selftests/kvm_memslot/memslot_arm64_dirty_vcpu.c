// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_arm64_dirty_vcpu: the dirty bitmap of chosen guest stores, from a
 * real arm64 vCPU on in-tree KVM and from kvm-memslot's vCPU accesses.
 *
 * A dirty-logged slot of NPAGES pages; in each of two rounds the guest
 * stores one doubleword to each page of a chosen list, then to an address
 * no slot backs (an MMIO exit ends the round), and KVM_GET_DIRTY_LOG must
 * give exactly the chosen pages.  The second round writes some pages of
 * the first again and some new ones, so it also checks that the first
 * KVM_GET_DIRTY_LOG write-protected what it reported.  A third round only
 * stores to a READONLY slot: that too must end in an MMIO exit for the
 * write, leave the slot's memory alone and dirty nothing.
 *
 * Built for arm64 and run against in-tree KVM's /dev/kvm (the oracle lane,
 * tests/xarch/arm64.sh), the stores are a hand-encoded arm64 program run
 * with KVM_RUN.  On a device with kvm-memslot's guest accesses (the module's
 * arm64 VM type in the x86 guest), the same stores are
 * KVM_MEMSLOT_VCPU_ACCESS writes.  The results carry the bitmap ("[cmp]"),
 * so the lane's comparison of the two runs checks that the bitmaps are the
 * same.  Elsewhere (x86 /dev/kvm) the program skips.
 *
 * Usage: memslot_arm64_dirty_vcpu [--vm-type=N] [device]
 */
#include "access_util.h"

#define NTESTS		(1 + NROUNDS * 5 + 1)
#define NPAGES		512
#define WORDS		(NPAGES / 64)
#define DATA_SLOT	1
#define DATA_GPA	0x40000000ULL
#define CODE_SLOT	0
#define CODE_GPA	0x10000000ULL
#define CODE_PAGES	4
#define END_GPA		0x20000000ULL	/* no slot: the MMIO exit ending a round */
#define RO_SLOT		2
#define RO_GPA		0x30000000ULL
#define RO_OFF		0x10
#define NROUNDS		3

static const uint32_t round_pages[NROUNDS][8] = {
	{ 0, 1, 7, 63, 64, 200, 511, NPAGES },
	{ 1, 2, 64, 300, 511, NPAGES },
	{ NPAGES },
};

/* Where round @round's last store, the one that must exit, goes. */
static uint64_t end_gpa(int round)
{
	return round == 2 ? RO_GPA + RO_OFF : END_GPA;
}

/* The doubleword of @page that round @round stores to, and its value. */
static uint64_t store_off(uint32_t page, int round)
{
	return (page * 24 + round * 8) & (PAGE_SZ - 8);
}

static uint64_t store_val(int round)
{
	return 0xa5a5 + round;
}

static int devfd, vmfd, vcpufd;
static uint8_t *data, *code, *rodata;

/* "pages a,b,c" of a bitmap, for the [cmp] descriptions. */
static const char *bitmap_str(const uint64_t *bm)
{
	static char s[NPAGES * 4 + 16];
	int n = snprintf(s, sizeof(s), "pages");
	const char *sep = " ";

	for (uint32_t p = 0; p < NPAGES; p++) {
		if (!(bm[p / 64] >> (p % 64) & 1))
			continue;
		n += snprintf(s + n, sizeof(s) - n, "%s%u", sep, p);
		sep = ",";
	}
	if (sep[0] == ' ')
		snprintf(s + n, sizeof(s) - n, " none");
	return s;
}

#ifdef __aarch64__
#include <stddef.h>

static struct kvm_run *run;

/* MOVZ/MOVK Xd, #imm16, LSL #(16 * hw) and STR Xt, [Xn]. */
static uint32_t a64_movz(int rd, uint16_t imm, int hw)
{
	return 0xd2800000u | hw << 21 | (uint32_t)imm << 5 | rd;
}

static uint32_t a64_movk(int rd, uint16_t imm, int hw)
{
	return 0xf2800000u | hw << 21 | (uint32_t)imm << 5 | rd;
}

static uint32_t a64_str(int rt, int rn)
{
	return 0xf9000000u | rn << 5 | rt;
}

/* Xd = a 48-bit value. */
static uint32_t *a64_mov48(uint32_t *p, int rd, uint64_t v)
{
	*p++ = a64_movz(rd, v & 0xffff, 0);
	*p++ = a64_movk(rd, v >> 16 & 0xffff, 1);
	*p++ = a64_movk(rd, v >> 32 & 0xffff, 2);
	return p;
}

/*
 * Round @round's program, at its own page of the code slot (never
 * rewritten once run): x1 = value; for each page, x0 = address, str x1,
 * [x0]; the store to END_GPA exits; then branch to self.
 */
static uint64_t write_program(int round)
{
	uint32_t *start = (uint32_t *)(code + round * PAGE_SZ), *p = start;

	p = a64_mov48(p, 1, store_val(round));
	for (int i = 0; round_pages[round][i] < NPAGES; i++) {
		uint32_t page = round_pages[round][i];

		p = a64_mov48(p, 0, DATA_GPA + page * PAGE_SZ +
			      store_off(page, round));
		*p++ = a64_str(1, 0);
	}
	p = a64_mov48(p, 0, end_gpa(round));
	*p++ = a64_str(1, 0);
	*p++ = 0x14000000u;	/* b . */
	return CODE_GPA + round * PAGE_SZ;
}

static long set_pc(uint64_t pc)
{
	struct kvm_one_reg reg = {
		.id = KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE |
		      KVM_REG_ARM_CORE_REG(regs.pc),
		.addr = (uintptr_t)&pc,
	};

	return tap_ioctl(vcpufd, KVM_SET_ONE_REG, (unsigned long)&reg);
}

/* Set up the real vCPU; 0 or -errno. */
static long real_setup(void)
{
	struct kvm_vcpu_init init;
	long r, sz;

	memset(&init, 0, sizeof(init));
	r = tap_ioctl(vmfd, KVM_ARM_PREFERRED_TARGET, (unsigned long)&init);
	if (!r)
		r = tap_ioctl(vcpufd, KVM_ARM_VCPU_INIT, (unsigned long)&init);
	if (r)
		return r;
	sz = tap_ioctl(devfd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < 0)
		return sz;
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpufd, 0);
	return run == MAP_FAILED ? -errno : 0;
}

/*
 * Run round @round's stores; the exit they end with, as a string.  After
 * an MMIO exit, KVM completes the access (and steps over the store) on the
 * next KVM_RUN: an immediate exit lets it do that before the new PC is set.
 */
static const char *real_round(int round)
{
	static char s[96];
	long r = 0;

	if (round) {
		run->immediate_exit = 1;
		r = tap_ioctl(vcpufd, KVM_RUN, 0);
		run->immediate_exit = 0;
		r = r == -EINTR ? 0 : r ? r : -EIO;
	}
	if (!r)
		r = set_pc(write_program(round));
	if (!r)
		r = tap_ioctl(vcpufd, KVM_RUN, 0);
	if (r)
		snprintf(s, sizeof(s), "KVM_RUN: -%s", tap_errname((int)-r));
	else if (run->exit_reason != KVM_EXIT_MMIO)
		snprintf(s, sizeof(s), "exit reason %u", run->exit_reason);
	else
		snprintf(s, sizeof(s), "MMIO exit: %s of %u bytes at 0x%llx",
			 run->mmio.is_write ? "write" : "read", run->mmio.len,
			 (unsigned long long)run->mmio.phys_addr);
	return s;
}
#endif

/* The same stores as KVM_MEMSLOT_VCPU_ACCESS writes; the exit, as a string. */
static const char *access_round(int round)
{
	static char s[96];
	struct kvm_memslot_access out;
	uint64_t v = store_val(round);
	long r;

	for (int i = 0; round_pages[round][i] < NPAGES; i++) {
		uint32_t page = round_pages[round][i];

		r = acc_write(vcpufd, DATA_GPA + page * PAGE_SZ +
			      store_off(page, round), &v, sizeof(v));
		if (r) {
			snprintf(s, sizeof(s), "store to page %u: %s", page,
				 acc_name(r));
			return s;
		}
	}
	r = acc_access(vcpufd, end_gpa(round), &v, sizeof(v),
		       KVM_MEMSLOT_ACCESS_WRITE, &out);
	if (r != ACC_MMIO)
		snprintf(s, sizeof(s), "store to 0x%llx: %s",
			 (unsigned long long)end_gpa(round), acc_name(r));
	else
		snprintf(s, sizeof(s), "MMIO exit: %s of %u bytes at 0x%llx",
			 out.exit_write ? "write" : "read", out.exit_len,
			 (unsigned long long)out.exit_gpa);
	return s;
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	int use_access, bad_mem = 0;
	uint64_t code_bm[1];
	char want[96], byte;
	long r;

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	vmfd = tap_create_vm(devfd);
	if (vmfd < 0)
		return tap_skip_all("KVM_CREATE_VM failed");
	vcpufd = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, 0);
	if (vcpufd < 0)
		return tap_skip_all("KVM_CREATE_VCPU failed");
	use_access = acc_read(vcpufd, END_GPA, &byte, 1) == ACC_MMIO;
#ifndef __aarch64__
	if (!use_access)
		return tap_skip_all("no arm64 vCPU and no kvm-memslot accesses");
#endif
	tap_plan(NTESTS);
	tap_diag("device %s, VM type %lu: stores by %s", dev, tap_vm_type,
		 use_access ? "KVM_MEMSLOT_VCPU_ACCESS" : "an arm64 vCPU (KVM_RUN)");

	data = tap_map(NPAGES * PAGE_SZ);
	code = tap_map(CODE_PAGES * PAGE_SZ);
	rodata = tap_map(PAGE_SZ);
	tap_require(data && code && rodata, "mmap");
	r = tap_set(vmfd, 0, CODE_SLOT, 0, CODE_GPA, CODE_PAGES * PAGE_SZ,
		    (uintptr_t)code);
	if (!r)
		r = tap_set(vmfd, 0, DATA_SLOT, KVM_MEM_LOG_DIRTY_PAGES,
			    DATA_GPA, NPAGES * PAGE_SZ, (uintptr_t)data);
	if (!r)
		r = tap_set(vmfd, 0, RO_SLOT, KVM_MEM_READONLY, RO_GPA, PAGE_SZ,
			    (uintptr_t)rodata);
#ifdef __aarch64__
	if (!r && !use_access)
		r = real_setup();
#endif
	if (!tap_expect(r, 0, "code slot, dirty-logged data slot of %d pages, READONLY slot, vCPU",
			NPAGES)) {
		tap_bail_rest("no VM");
		return tap_finish();
	}

	for (int round = 0; round < NROUNDS; round++) {
		uint64_t bm[WORDS], expect[WORDS], none[WORDS] = { 0 };
		const char *how;

		bad_mem = 0;
		memset(expect, 0, sizeof(expect));
		for (int i = 0; round_pages[round][i] < NPAGES; i++)
			expect[round_pages[round][i] / 64] |=
				1ULL << (round_pages[round][i] % 64);

#ifdef __aarch64__
		how = use_access ? access_round(round) : real_round(round);
#else
		how = access_round(round);
#endif
		snprintf(want, sizeof(want), "MMIO exit: write of 8 bytes at 0x%llx",
			 (unsigned long long)end_gpa(round));
		tap_result(!strcmp(how, want), "round %d: the stores end in %s [cmp]",
			   round, how);

		for (int i = 0; round_pages[round][i] < NPAGES; i++) {
			uint32_t page = round_pages[round][i];
			uint64_t got;

			memcpy(&got, data + page * PAGE_SZ + store_off(page, round),
			       sizeof(got));
			bad_mem += got != store_val(round);
		}
		/* The READONLY slot's page is never written. */
		bad_mem += !!memcmp(rodata, none, sizeof(none));
		tap_expect(bad_mem, 0,
			   "round %d: every store reached the data slot, none the READONLY one",
			   round);

		memset(bm, 0xff, sizeof(bm));
		tap_expect(tap_get_dirty(vmfd, 0, DATA_SLOT, bm), 0,
			   "round %d: KVM_GET_DIRTY_LOG", round);
		tap_result(!memcmp(bm, expect, sizeof(bm)),
			   "round %d: dirty %s [cmp]", round, bitmap_str(bm));
		memset(bm, 0xff, sizeof(bm));
		r = tap_get_dirty(vmfd, 0, DATA_SLOT, bm);
		tap_result(!r && !memcmp(bm, none, sizeof(bm)),
			   "round %d: a second KVM_GET_DIRTY_LOG: dirty %s [cmp]",
			   round, r ? tap_errname((int)-r) : bitmap_str(bm));
	}
	tap_expect(tap_get_dirty(vmfd, 0, CODE_SLOT, code_bm), -ENOENT,
		   "KVM_GET_DIRTY_LOG of the code slot (not logged) fails ENOENT");
	return tap_finish();
}
