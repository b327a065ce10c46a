// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_validation: argument validation of KVM_SET_USER_MEMORY_REGION and
 * the device/VM level queries, with the errno Linux 6.1's x86 KVM returns.
 *
 * The order of the checks matters only where two failing checks would give
 * different errnos; those combinations are tested explicitly (modification
 * of an existing slot is refused with EINVAL before any overlap check, the
 * KVM_MEM_MAX_NR_PAGES boundary is shown with an overlap so that the largest
 * legal slot is never allocated, ...).
 *
 * Usage: memslot_validation [device]
 */
#include "tap.h"

#define NTESTS 91

#define GB 0x40000000UL
#define MB 0x100000UL

/* A capability against its value (want -1: no reference for this VM type). */
static void check_cap(int fd, const char *where, long cap, long want,
		      const char *name)
{
	if (want < 0)
		tap_skip("%s KVM_CHECK_EXTENSION(%s): no reference for VM type %lu",
			 where, name, tap_vm_type);
	else
		tap_expect(tap_ioctl(fd, KVM_CHECK_EXTENSION, cap), want,
			   "%s KVM_CHECK_EXTENSION(%s) = %ld", where, name, want);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	long unknown_vm_ioctl = tap_vm_is_arm64() ? -EINVAL : -ENOTTY;
	struct tap_kvm_userspace_memory_region2 r2;
	uint64_t tmax, hva, rohva;
	uint32_t nslots;
	int devfd, vmfd, maxbits, small_ipa;
	long r;
	char *mem, *ro;

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

	/* ---- device fd ---- */
	tap_expect(tap_ioctl(devfd, KVM_GET_API_VERSION, 0), KVM_API_VERSION,
		   "KVM_GET_API_VERSION is 12");
	tap_expect(tap_ioctl(devfd, KVM_GET_API_VERSION, 1), -EINVAL,
		   "KVM_GET_API_VERSION with a nonzero argument fails EINVAL");

	/*
	 * want -1: the VM type's reference value (tap_arch_caps()).  The
	 * device fd answers for the type KVM_CREATE_VM(0) makes, the VM fd
	 * for the type under test.
	 */
	const struct tap_arch_caps *ac = tap_arch_caps(), *sys = tap_arch_caps_of(0);
	const struct { long cap; long want; long sys; const char *name; } caps[] = {
		{ KVM_CAP_USER_MEMORY, 1, 1, "USER_MEMORY" },
		{ KVM_CAP_NR_MEMSLOTS, ac ? ac->nr_memslots : -1,
		  sys ? sys->nr_memslots : -1, "NR_MEMSLOTS" },
		{ KVM_CAP_SYNC_MMU, 1, 1, "SYNC_MMU" },
		{ KVM_CAP_READONLY_MEM, 1, 1, "READONLY_MEM" },
		/* KVM leaves it 0 with one address space. */
		{ KVM_CAP_MULTI_ADDRESS_SPACE,
		  ac ? (ac->address_spaces > 1 ? ac->address_spaces : 0) : -1,
		  sys ? (sys->address_spaces > 1 ? sys->address_spaces : 0) : -1,
		  "MULTI_ADDRESS_SPACE" },
		{ KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
		  KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET,
		  "MANUAL_DIRTY_LOG_PROTECT2" },
		{ KVM_CAP_USER_MEMORY2, 0, 0, "USER_MEMORY2 (not in 6.1)" },
		{ KVM_CAP_GUEST_MEMFD, 0, 0, "GUEST_MEMFD (not in 6.1)" },
		{ 0x7fffffff, 0, 0, "unknown capability" },
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(caps); i++)
		check_cap(devfd, "system", caps[i].cap, caps[i].sys,
			  caps[i].name);

	tap_expect(tap_ioctl(devfd, KVM_CREATE_VM, ~0UL), -EINVAL,
		   "KVM_CREATE_VM with type ~0 fails EINVAL");
	tap_expect(tap_ioctl(devfd, KVM_CREATE_VM, 0x80000000UL), -EINVAL,
		   "KVM_CREATE_VM with type 0x80000000 fails EINVAL");

	vmfd = tap_create_vm(devfd);
	if (!tap_expect(vmfd >= 0, 1, "KVM_CREATE_VM type %lu succeeds",
			tap_vm_type)) {
		tap_bail_rest("no VM");
		return tap_finish();
	}

	for (unsigned int i = 0; i < ARRAY_SIZE(caps); i++)
		check_cap(vmfd, "VM", caps[i].cap, caps[i].want, caps[i].name);
	nslots = tap_nr_slots(vmfd);

	/* x86 KVM: ENOTTY; arm64's kvm_arch_vm_ioctl(): EINVAL */
	tap_expect(tap_ioctl(vmfd, _IO(KVMIO, 0xfe), 0), unknown_vm_ioctl,
		   "unknown VM ioctl fails ENOTTY (EINVAL on arm64)");

	mem = tap_map(4 * MB);
	ro = mmap(NULL, 64 * 1024, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!mem || ro == MAP_FAILED) {
		tap_bail_rest("mmap failed");
		return tap_finish();
	}
	hva = (uint64_t)mem;
	rohva = (uint64_t)ro;

	/* ---- the arguments themselves ---- */
	tap_expect(tap_ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, 0), -EFAULT,
		   "SET_USER_MEMORY_REGION with a NULL argument fails EFAULT");
	tap_expect(tap_set(vmfd, 0, nslots, 0, 0, PAGE_SZ, hva), -EINVAL,
		   "slot id %u (first past the user slots) fails EINVAL", nslots);
	tap_expect(tap_set(vmfd, 0, 32767, 0, 0, PAGE_SZ, hva), -EINVAL,
		   "slot id 32767 fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0xffff, 0, 0, PAGE_SZ, hva), -EINVAL,
		   "slot id 65535 fails EINVAL");
	tap_expect(tap_set(vmfd, 1, nslots, 0, 0, PAGE_SZ, hva), -EINVAL,
		   "as 1, slot id %u fails EINVAL", nslots);
	tap_expect(tap_set(vmfd, 0, nslots, 0, 0, 0, hva), -EINVAL,
		   "delete of slot id %u fails EINVAL", nslots);

	tap_expect(tap_set(vmfd, 0, 0, KVM_MEM_READONLY << 1, 0, PAGE_SZ, hva), -EINVAL,
		   "flag bit 2 (guest_memfd in later kernels) fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0x8, 0, PAGE_SZ, hva), -EINVAL,
		   "undefined flag bit 3 fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0x10000, 0, PAGE_SZ, hva), -EINVAL,
		   "flag bit 16 (kernel-internal range) fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0x80000000, 0, PAGE_SZ, hva), -EINVAL,
		   "flag bit 31 fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0x8, 0, 0, hva), -EINVAL,
		   "delete with an undefined flag fails EINVAL (flags first)");

	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100000, 0x1001, hva), -EINVAL,
		   "size not a page multiple fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100000, 0x800, hva), -EINVAL,
		   "size of half a page fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100800, PAGE_SZ, hva), -EINVAL,
		   "gpa not page aligned fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100000, PAGE_SZ, hva + 0x800), -EINVAL,
		   "hva not page aligned fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100001, 0, hva), -EINVAL,
		   "delete with an unaligned gpa fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100000, 0, hva + 1), -EINVAL,
		   "delete with an unaligned hva fails EINVAL");

	tmax = tap_task_size_max();
	tap_diag("user address limit (TASK_SIZE_MAX) 0x%llx", (unsigned long long)tmax);
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, 2 * PAGE_SZ, 0xfffffffffffff000UL), -EINVAL,
		   "hva + size wraps past 2^64 fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, PAGE_SZ, 0xffff888000000000UL), -EINVAL,
		   "kernel hva fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, PAGE_SZ, tmax), -EINVAL,
		   "hva at the user address limit fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, 2 * PAGE_SZ, tmax - PAGE_SZ), -EINVAL,
		   "range crossing the user address limit fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, PAGE_SZ, tmax - PAGE_SZ), 0,
		   "last user page (unmapped) is accepted");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, 0, tmax - PAGE_SZ), 0,
		   "  and deleted");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, PAGE_SZ, 0), 0,
		   "NULL hva is accepted");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, 0, 0), 0, "  and deleted");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, 1 * MB, 0x100000000000UL), 0,
		   "unmapped user range is accepted");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, 0, 0), 0,
		   "  and deleted with a different (aligned) gpa/hva");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, 64 * 1024, rohva), 0,
		   "read-only user mapping backing a writable slot is accepted");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, 0, rohva), 0, "  and deleted");

	tap_expect(tap_set(vmfd, 2, 0, 0, 0, PAGE_SZ, hva), -EINVAL,
		   "address space 2 fails EINVAL");
	tap_expect(tap_set(vmfd, 0xffff, 0, 0, 0, PAGE_SZ, hva), -EINVAL,
		   "address space 65535 fails EINVAL");
	tap_expect(tap_set(vmfd, 2, 0, 0, 0, 0, hva), -EINVAL,
		   "delete in address space 2 fails EINVAL");

	tap_expect(tap_set(vmfd, 0, 1, 0, 0xfffffffffffff000UL, 2 * PAGE_SZ, hva), -EINVAL,
		   "gpa + size wraps past 2^64 fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 1, 0, 0xfffffffffffff000UL, PAGE_SZ, hva), -EINVAL,
		   "gpa + size == 2^64 fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 1, 0, 0, (MEM_MAX_NR_PAGES + 1) * PAGE_SZ,
			   0x100000000000UL), -EINVAL,
		   "2^31 pages (> KVM_MEM_MAX_NR_PAGES) fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 1, 0, 0, 1UL << 63, PAGE_SZ), -EINVAL,
		   "size 2^63 fails EINVAL");

	/*
	 * gfn limit of the VM, checked by arch prepare: x86's
	 * kvm_mmu_max_gfn() (EINVAL), arm64's IPA size (EFAULT)
	 */
	tap_expect(tap_set(vmfd, 0, 1, 0, 1UL << 52, PAGE_SZ, hva),
		   tap_gpa_limit_errno(),
		   "gpa 2^52 (beyond any x86 MAXPHYADDR or arm64 IPA size) fails");
	/* 64 GiB needs 37 bits: an arm64 VM asked for fewer refuses it. */
	small_ipa = tap_vm_is_arm64() && (tap_vm_type & 0xff) &&
		    (tap_vm_type & 0xff) < 37;
	tap_expect(tap_set(vmfd, 0, 1, 0, 64 * GB, PAGE_SZ, hva),
		   small_ipa ? -EFAULT : 0,
		   "gpa 64 GiB is accepted (EFAULT beyond a smaller arm64 IPA)");
	tap_expect(tap_set(vmfd, 0, 1, 0, 64 * GB, 0, hva),
		   small_ipa ? -EINVAL : 0, "  and deleted (EINVAL: not created)");
	maxbits = 0;
	for (int b = 52; b >= 32; b--) {
		r = tap_set(vmfd, 0, 1, 0, (1UL << b) - PAGE_SZ, PAGE_SZ, hva);
		if (r == 0) {
			tap_set(vmfd, 0, 1, 0, 0, 0, hva);
			maxbits = b;
			break;
		}
	}
	tap_result(maxbits != 0,
		   "highest accepted guest physical address bit [cmp] gpa-bits=%d",
		   maxbits);

	/* ---- create / modify of existing slots ---- */
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100000, 0, hva), -EINVAL,
		   "delete of a slot that does not exist fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100000, 0x10000, hva), 0,
		   "create slot 0 (gpa 1M, 64K)");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100000, 0x10000, hva), 0,
		   "same parameters again succeed");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100000, 0x20000, hva), -EINVAL,
		   "changing the size fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x100000, 0x10000, hva + 0x10000), -EINVAL,
		   "changing the hva fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, KVM_MEM_READONLY, 0x100000, 0x10000, hva), -EINVAL,
		   "setting READONLY on an existing slot fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 1, 0, 0x108000, 0x10000, hva + 0x10000), -EEXIST,
		   "create overlapping slot 0 fails EEXIST");
	tap_expect(tap_set(vmfd, 0, 1, 0, 0x0f8000, 0x10000, hva + 0x10000), -EEXIST,
		   "create overlapping the start of slot 0 fails EEXIST");
	tap_expect(tap_set(vmfd, 0, 1, 0, 0x0c0000, 0x80000, hva + 0x10000), -EEXIST,
		   "create covering slot 0 fails EEXIST");
	tap_expect(tap_set(vmfd, 0, 1, 0, 0x110000, 0x10000, hva + 0x10000), 0,
		   "create slot 1 touching the end of slot 0");
	tap_expect(tap_set(vmfd, 0, 2, 0, 0x0f0000, 0x10000, hva + 0x20000), 0,
		   "create slot 2 touching the start of slot 0");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x118000, 0x10000, hva), -EEXIST,
		   "move slot 0 onto slot 1 fails EEXIST");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x118000, 0x20000, hva), -EINVAL,
		   "move + resize onto slot 1 fails EINVAL (modify check before overlap)");
	tap_expect(tap_set(vmfd, 0, 0, 0x8, 0x118000, 0x10000, hva), -EINVAL,
		   "move onto slot 1 with an undefined flag fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x200000, 0x10000, hva), 0,
		   "move slot 0 to 2M");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x208000, 0x10000, hva), 0,
		   "move slot 0 overlapping its own old range");
	tap_expect(tap_set(vmfd, 0, 3, 0, 0x100000, 0x10000, hva + 0x30000), 0,
		   "create slot 3 in the range slot 0 left");
	/* With one address space (arm64), every as 1 call fails EINVAL. */
	tap_expect(tap_set(vmfd, 1, 0, 0, 0x208000, 0x10000, hva),
		   tap_nr_address_spaces(vmfd) > 1 ? 0 : -EINVAL,
		   "as 1: create slot 0 at the gpa of slot 0 of as 0");
	tap_expect(tap_set(vmfd, 1, 1, 0, 0x210000, 0x10000, hva),
		   tap_nr_address_spaces(vmfd) > 1 ? -EEXIST : -EINVAL,
		   "as 1: overlapping slot fails EEXIST");
	tap_expect(tap_set(vmfd, 1, 5, 0, 0, 0, hva), -EINVAL,
		   "as 1: delete of a slot that exists only in as 0 fails EINVAL");

	/* maximum page count at the boundary, shown through the overlap errno */
	tap_expect(tap_set(vmfd, 0, 4, 0, 0, MEM_MAX_NR_PAGES * PAGE_SZ,
			   0x100000000000UL), -EEXIST,
		   "KVM_MEM_MAX_NR_PAGES pages passes the size check (then EEXIST)");
	tap_expect(tap_set(vmfd, 0, 4, 0, 0, (MEM_MAX_NR_PAGES + 1) * PAGE_SZ,
			   0x100000000000UL), -EINVAL,
		   "one page more fails EINVAL before the overlap check");

	/* ---- KVM_SET_USER_MEMORY_REGION2 does not exist in 6.1 ---- */
	memset(&r2, 0, sizeof(r2));
	r2.slot = 7;
	r2.guest_phys_addr = 0x800000;
	r2.memory_size = 0x10000;
	r2.userspace_addr = hva;
	r2.guest_memfd = (uint32_t)-1;
	tap_expect(tap_ioctl(vmfd, TAP_SET_USER_MEMORY_REGION2, (unsigned long)&r2),
		   unknown_vm_ioctl,
		   "KVM_SET_USER_MEMORY_REGION2 fails ENOTTY (6.1; EINVAL on arm64)");
	tap_expect(tap_ioctl(vmfd, TAP_SET_USER_MEMORY_REGION2, 0), unknown_vm_ioctl,
		   "KVM_SET_USER_MEMORY_REGION2 with NULL fails ENOTTY (EINVAL on arm64)");
	tap_expect(tap_set(vmfd, 0, 7, 0, 0x800000, PAGE_SZ, hva), 0,
		   "slot 7 was not created by it");

	tap_expect(tap_set(vmfd, 0, 0, 0, 0x208000, 0, 0), 0, "delete slot 0");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0x208000, 0, 0), -EINVAL,
		   "delete slot 0 again fails EINVAL");

	close(vmfd);
	close(devfd);
	return tap_finish();
}
