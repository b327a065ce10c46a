// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_ppc_abi: what the PowerPC Book3S HV VM type answers, call by
 * call, against what in-tree KVM-HV 6.1 answered on Debian's ppc64el
 * kernel (64 KiB pages) in the oracle lane: capabilities of the VM fd,
 * KVM_PPC_ALLOCATE_HTAB's orders, 64 KiB alignment of a slot's size, gpa
 * and host address, no READONLY, the dirty log without manual protection
 * or KVM_CLEAR_DIRTY_LOG, and vCPU ids.  The x86-written ABI tests
 * (memslot_validation, memslot_changes, memslot_dirty_log) skip this type.
 *
 * Skips for another --vm-type; on KVM-HV's /dev/kvm (the oracle lane,
 * tests/xarch/ppc64.sh) all but the hypercall ioctl's results run.
 *
 * Usage: memslot_ppc_abi [device]
 */
#include "tap.h"

#define PG	0x10000UL
#define MB	0x100000UL
#define NTESTS	70

static int vmfd;
static void *mem;

static long set(uint32_t slot, uint32_t flags, uint64_t gpa, uint64_t size,
		uint64_t off)
{
	return tap_set(vmfd, slot >> 16, slot & 0xffff, flags, gpa, size,
		       (uintptr_t)mem + off);
}

static long htab(uint32_t order)
{
	return tap_ioctl(vmfd, KVM_PPC_ALLOCATE_HTAB, (unsigned long)&order);
}

static long get_log(uint32_t slot, void *bitmap)
{
	struct kvm_dirty_log l = { .slot = slot, .dirty_bitmap = bitmap };

	return tap_ioctl(vmfd, KVM_GET_DIRTY_LOG, (unsigned long)&l);
}

static long clear_log(uint32_t slot, uint64_t first, uint32_t num, void *bitmap)
{
	struct kvm_clear_dirty_log l = {
		.slot = slot, .first_page = first, .num_pages = num,
		.dirty_bitmap = bitmap,
	};

	return tap_ioctl(vmfd, KVM_CLEAR_DIRTY_LOG, (unsigned long)&l);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	static const struct { long cap, want; const char *name; } caps[] = {
		{ KVM_CAP_NR_MEMSLOTS, 32767, "NR_MEMSLOTS" },
		{ KVM_CAP_MULTI_ADDRESS_SPACE, 0, "MULTI_ADDRESS_SPACE" },
		{ KVM_CAP_READONLY_MEM, 0, "READONLY_MEM" },
		{ KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, "MANUAL_DIRTY_LOG_PROTECT2" },
		{ KVM_CAP_USER_MEMORY, 1, "USER_MEMORY" },
		{ KVM_CAP_SYNC_MMU, 1, "SYNC_MMU" },
		{ KVM_CAP_MAX_VCPUS, 2048, "MAX_VCPUS" },
		{ KVM_CAP_MAX_VCPU_ID, 16384, "MAX_VCPU_ID" },
		{ KVM_CAP_PPC_ALLOC_HTAB, 1, "PPC_ALLOC_HTAB" },
		{ KVM_CAP_USER_MEMORY2, 0, "USER_MEMORY2" },
	};
	uint64_t bitmap[4] = { 0 };
	int devfd, vcpu, ext_fd;

	if (tap_vm_type && !tap_vm_is_ppc())
		return tap_skip_all("a PowerPC Book3S HV test");
	tap_option("--vm-type=0x20000");
	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("cannot open the device");
	vmfd = tap_create_vm(devfd);
	if (vmfd < 0)
		return tap_skip_all("no PowerPC Book3S HV VM type on this device");
	mem = tap_map(64 * MB);
	tap_plan(NTESTS);
	tap_diag("device %s, answers of KVM-HV 6.1 on a 64 KiB-page host", dev);

	for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
		tap_expect(tap_cap(vmfd, caps[i].cap), caps[i].want,
			   "VM KVM_CHECK_EXTENSION(%s) = %ld", caps[i].name, caps[i].want);

	/* KVM_PPC_ALLOCATE_HTAB: orders 18 to 46. */
	tap_expect(htab(17), -EINVAL, "ALLOCATE_HTAB order 17 fails EINVAL");
	tap_expect(htab(18), 0, "ALLOCATE_HTAB order 18");
	tap_expect(htab(18), 0, "ALLOCATE_HTAB order 18 again (clears it)");
	tap_expect(htab(24), 0, "ALLOCATE_HTAB order 24");
	tap_expect(htab(47), -EINVAL, "ALLOCATE_HTAB order 47 fails EINVAL");
	tap_expect(htab(0xffffffff), -EINVAL, "ALLOCATE_HTAB order 2^32-1 fails EINVAL");
	tap_expect(tap_ioctl(vmfd, KVM_PPC_ALLOCATE_HTAB, 0), -EFAULT,
		   "ALLOCATE_HTAB with a NULL argument fails EFAULT");

	/* Slots: everything in 64 KiB pages. */
	tap_expect(set(0, 0, 0, PG, 0), 0, "a 64 KiB slot");
	tap_expect(set(0, 0, 0, 0, 0), 0, "  deleted");
	tap_expect(set(1, 0, 0, 0x1000, 0), -EINVAL, "size 4 KiB fails EINVAL");
	tap_expect(set(1, 0, 0, 0x11000, 0), -EINVAL, "size 68 KiB fails EINVAL");
	tap_expect(set(1, 0, 0x1000, PG, 0), -EINVAL, "gpa 4 KiB fails EINVAL");
	tap_expect(set(1, 0, 0x8000, PG, 0), -EINVAL, "gpa 32 KiB fails EINVAL");
	tap_expect(set(1, 0, 0, PG, 0x1000), -EINVAL, "hva + 4 KiB fails EINVAL");
	tap_expect(set(1, 0, 0, PG, 0x8000), -EINVAL, "hva + 32 KiB fails EINVAL");
	tap_expect(set(1, 0, 0, 0, 0), -EINVAL, "deleting an absent slot fails EINVAL");
	tap_expect(set(1, KVM_MEM_READONLY, 0, PG, 0), -EINVAL, "READONLY fails EINVAL");
	tap_expect(set(1, 0x4, 0, PG, 0), -EINVAL, "flags 0x4 fail EINVAL");
	tap_expect(set(1, 0x80000000, 0, PG, 0), -EINVAL, "flags 0x80000000 fail EINVAL");
	tap_expect(set(0x10001, 0, 0, PG, 0), -EINVAL, "address space 1 fails EINVAL");
	tap_expect(set(0x20001, 0, 0, PG, 0), -EINVAL, "address space 2 fails EINVAL");
	tap_expect(set(32767, 0, MB, PG, MB), -EINVAL, "slot 32767 fails EINVAL");
	tap_expect(set(32767, 0, MB, 0, MB), -EINVAL, "deleting slot 32767 fails EINVAL");
	tap_expect(set(32768, 0, MB, PG, MB), -EINVAL, "slot 32768 fails EINVAL");
	tap_expect(set(32766, 0, MB, PG, MB), 0, "slot 32766");
	tap_expect(set(32766, 0, MB, 0, MB), 0, "  deleted");
	tap_expect(tap_set(vmfd, 0, 2, 0, 0, PG, 1ULL << 62), -EINVAL,
		   "hva 2^62 fails EINVAL");
	tap_expect(set(3, KVM_MEM_LOG_DIRTY_PAGES, MB, MB, 0), 0,
		   "slot 3: 1 MiB at 1 MiB, logging dirty pages");
	tap_expect(set(4, 0, MB + PG, PG, 4 * MB), -EEXIST, "an overlapping slot fails EEXIST");
	tap_expect(set(3, 0, MB, MB, 0), 0, "slot 3: logging off");
	tap_expect(set(3, KVM_MEM_LOG_DIRTY_PAGES, MB, MB, 0), 0, "slot 3: logging on");
	tap_expect(set(3, KVM_MEM_READONLY, MB, MB, 0), -EINVAL,
		   "slot 3: flags to READONLY fail EINVAL");
	tap_expect(set(3, KVM_MEM_LOG_DIRTY_PAGES, MB, 2 * MB, 0), -EINVAL,
		   "slot 3: a size change fails EINVAL");
	tap_expect(set(3, KVM_MEM_LOG_DIRTY_PAGES, MB, MB, PG), -EINVAL,
		   "slot 3: an hva change fails EINVAL");
	tap_expect(set(3, KVM_MEM_LOG_DIRTY_PAGES, 8 * MB, MB, 0), 0, "slot 3: moved to 8 MiB");

	/* The dirty log: a bit per 64 KiB, no manual protection, no CLEAR. */
	tap_expect(get_log(3, bitmap), 0, "GET_DIRTY_LOG of slot 3 (16 pages)");
	tap_expect(bitmap[0], 0, "  nothing dirty");
	tap_expect(set(0, 0, 0, PG, 0), 0, "slot 0 without logging");
	tap_expect(get_log(0, bitmap), -ENOENT, "GET_DIRTY_LOG of a slot without log: ENOENT");
	tap_expect(get_log(5, bitmap), -ENOENT, "GET_DIRTY_LOG of no slot: ENOENT");
	tap_expect(get_log(32768, bitmap), -EINVAL, "GET_DIRTY_LOG of slot 32768: EINVAL");
	tap_expect(get_log(0x10003, bitmap), -EINVAL, "GET_DIRTY_LOG in as 1: EINVAL");
	tap_expect(get_log(3, NULL), -EFAULT, "GET_DIRTY_LOG to NULL: EFAULT");
	tap_expect(clear_log(3, 0, 16, bitmap), -ENOTTY, "CLEAR_DIRTY_LOG: ENOTTY");
	tap_expect(clear_log(5, 0, 1, bitmap), -ENOTTY, "CLEAR_DIRTY_LOG of no slot: ENOTTY");
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 3), -EINVAL,
		   "ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2, 3) fails EINVAL");
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0, 1), -EINVAL,
		   "ENABLE_CAP(MANUAL_DIRTY_LOG_PROTECT2, 1) fails EINVAL");
	tap_expect(tap_enable_cap(vmfd, KVM_CAP_DIRTY_LOG_RING, 0, 4096), -EINVAL,
		   "ENABLE_CAP(DIRTY_LOG_RING) fails EINVAL");
	tap_expect(get_log(3, bitmap), 0, "GET_DIRTY_LOG after the failed enables");

	/* vCPUs: ids below 2048 (SMT mode 1); an id in use is EINVAL. */
	vcpu = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, 0);
	tap_expect(vcpu >= 0, 1, "create vCPU 0");
	tap_expect(tap_ioctl(vmfd, KVM_CREATE_VCPU, 0), -EINVAL, "vCPU 0 again fails EINVAL");
	tap_expect(tap_ioctl(vmfd, KVM_CREATE_VCPU, 2048), -EINVAL, "vCPU 2048 fails EINVAL");
	tap_expect(tap_ioctl(vmfd, KVM_CREATE_VCPU, 16384), -EINVAL, "vCPU 16384 fails EINVAL");
	tap_expect(htab(24), 0, "ALLOCATE_HTAB with a vCPU (not running)");

	/*
	 * The hypercall ioctl (an extension: in-tree KVM-HV takes hypercalls
	 * from the guest only): reserved fields, unknown hypercalls.
	 */
	ext_fd = (int)tap_ioctl(vmfd, KVM_MEMSLOT_GET_STATS_FD, 0);
	if (ext_fd < 0) {
		for (int i = 0; i < 6; i++)
			tap_skip("no kvm-memslot hypercall ioctl on this device");
	} else {
		struct kvm_memslot_ppc_hcall hc = { .nr = 0x1234 };

		close(ext_fd);

		tap_expect(tap_ioctl(vcpu, KVM_MEMSLOT_PPC_HCALL, (unsigned long)&hc), 0,
			   "an unknown hypercall runs");
		tap_expect(hc.ret, -2, "  and returns H_FUNCTION");
		hc.reserved[0] = 1;
		tap_expect(tap_ioctl(vcpu, KVM_MEMSLOT_PPC_HCALL, (unsigned long)&hc),
			   -EINVAL, "a non-zero reserved field fails EINVAL");
		hc = (struct kvm_memslot_ppc_hcall){ .nr = KVM_MEMSLOT_PPC_H_READ,
						     .pte_index = 1UL << 20 };
		tap_expect(tap_ioctl(vcpu, KVM_MEMSLOT_PPC_HCALL, (unsigned long)&hc), 0,
			   "H_READ beyond the table runs");
		tap_expect(hc.ret, -4, "  and returns H_PARAMETER");
		tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_PPC_HCALL, 0), -ENOTTY,
			   "the hypercall ioctl on the VM fd fails ENOTTY");
	}
	close(vcpu);
	close(vmfd);
	close(devfd);
	return tap_finish();
}
