// SPDX-License-Identifier: GPL-2.0-only
/*
 * arm64-probe: ask arm64 KVM (or the module's arm64 VM type) the
 * memslot-relevant questions and print one "call | args | result" row
 * each, so the answers of in-tree arm64 KVM 6.1 can be written down and
 * compared.  tests/xarch/arm64.sh builds it statically twice: for arm64
 * (in-tree KVM in the arm64 guest) and for x86 (the module).
 *
 *   arm64-probe [--vm-type=BASE] [device]
 *
 * BASE is or'ed into every KVM_CREATE_VM type: 0 for in-tree arm64 KVM,
 * KVM_MEMSLOT_VM_ARM64 for the module, whose low byte is the IPA size as
 * on arm64.  File descriptors are printed as "fd", so that the rows of the
 * two devices compare verbatim (tests/xarch/tap-compare.awk).  Rows marked
 * "[info]" are recorded, not compared: answers of the system fd, which the
 * module gives for all its VM types alike, and capabilities that are not
 * the module's business.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef KVM_CAP_DIRTY_LOG_RING_ACQ_REL
#define KVM_CAP_DIRTY_LOG_RING_ACQ_REL 223
#endif

static unsigned long vm_base;

static void row(const char *call, const char *args, long r)
{
	int e = errno;

	if (r >= 0 && strstr(call, "CREATE_V"))
		printf("| %s | %s | fd |\n", call, args);
	else if (r < 0)
		printf("| %s | %s | -1 %s |\n", call, args,
		       strerrorname_np(e) ? strerrorname_np(e) : "?");
	else
		printf("| %s | %s | %ld |\n", call, args, r);
	fflush(stdout);
}

/*
 * The capabilities asked.  info: recorded, not compared: not about memory
 * slots or vCPU limits, so the module leaves them to KVM (it has no
 * KVM_RUN, irqfd or MMIO of its own) and answers 0.
 */
static const struct { int cap; const char *name; int info; } caps[] = {
#define C(x) { KVM_CAP_##x, #x, 0 }
#define I(x) { KVM_CAP_##x, #x, 1 }
	C(NR_MEMSLOTS), C(MULTI_ADDRESS_SPACE), C(READONLY_MEM),
	C(MANUAL_DIRTY_LOG_PROTECT2), C(ARM_VM_IPA_SIZE), C(DIRTY_LOG_RING),
	C(DIRTY_LOG_RING_ACQ_REL), C(NR_VCPUS), C(MAX_VCPUS), C(MAX_VCPU_ID),
	C(SYNC_MMU), C(USER_MEMORY), C(JOIN_MEMORY_REGIONS_WORKS),
	C(CHECK_EXTENSION_VM), C(ENABLE_CAP_VM), C(DESTROY_MEMORY_REGION_WORKS),
	{ 231, "USER_MEMORY2", 0 }, { 234, "GUEST_MEMFD", 0 },
	I(INTERNAL_ERROR_DATA), I(COALESCED_MMIO), I(IOEVENTFD), I(IRQFD),
	I(SET_GUEST_DEBUG), I(ONE_REG), I(ARM_PSCI_0_2), I(HALT_POLL),
	I(BINARY_STATS_FD), I(ARM_NISV_TO_USER), I(ARM_MTE), I(IMMEDIATE_EXIT),
#undef C
#undef I
};

static int create_vm(int kvm, unsigned long type)
{
	char a[64];
	int fd = ioctl(kvm, KVM_CREATE_VM, vm_base | type);

	snprintf(a, sizeof(a), "type=%lu", type);
	row("KVM_CREATE_VM", a, fd);
	return fd;
}

static int setmem(int vm, unsigned int slot, unsigned int flags,
		  unsigned long gpa, unsigned long size, void *hva,
		  const char *what)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (unsigned long)hva,
	};
	char a[200];
	int ret = ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r);

	snprintf(a, sizeof(a), "%s: slot=0x%x flags=0x%x gpa=0x%lx size=0x%lx",
		 what, slot, flags, gpa, size);
	row("KVM_SET_USER_MEMORY_REGION", a, ret);
	return ret;
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/kvm";
	static const int ipas[] = { 0, 1, 16, 31, 32, 36, 39, 40, 41, 44, 47,
				    48, 49, 52, 53, 255 };
	int kvm, vm, ipamax, i, nslots;
	unsigned long sz = 1UL << 20;
	char *mem, a[160];

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--vm-type=", 10))
			vm_base = strtoul(argv[i] + 10, NULL, 0);
		else
			dev = argv[i];
	}
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		perror(dev);
		return 1;
	}
	printf("| call | arguments | result/errno |\n|---|---|---|\n");
	row("KVM_GET_API_VERSION", "system fd", ioctl(kvm, KVM_GET_API_VERSION, 0));
	for (i = 0; i < (int)ARRAY_SIZE(caps); i++) {
		snprintf(a, sizeof(a), "system fd %s (%d) [info]", caps[i].name,
			 caps[i].cap);
		row("KVM_CHECK_EXTENSION", a, ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].cap));
	}
	/* The IPA limit as a VM of the type under test sees it. */
	vm = ioctl(kvm, KVM_CREATE_VM, vm_base);
	ipamax = ioctl(vm >= 0 ? vm : kvm, KVM_CHECK_EXTENSION,
		       KVM_CAP_ARM_VM_IPA_SIZE);
	if (vm >= 0)
		close(vm);
	for (i = 0; i < (int)ARRAY_SIZE(ipas); i++) {
		vm = create_vm(kvm, ipas[i]);
		if (vm >= 0)
			close(vm);
	}
	snprintf(a, sizeof(a), "type=KVM_CAP_ARM_VM_IPA_SIZE of a VM (%d)", ipamax);
	vm = ioctl(kvm, KVM_CREATE_VM, vm_base | ipamax);
	row("KVM_CREATE_VM", a, vm);
	if (vm >= 0)
		close(vm);
	vm = create_vm(kvm, 0x100);
	if (vm >= 0)
		close(vm);
	vm = create_vm(kvm, 0x120);
	if (vm >= 0)
		close(vm);

	/* Capabilities on a VM fd, for the default and a 32-bit IPA VM. */
	vm = create_vm(kvm, 32);
	for (i = 0; vm >= 0 && i < (int)ARRAY_SIZE(caps); i++) {
		snprintf(a, sizeof(a), "vm(ipa32) %s (%d)%s", caps[i].name,
			 caps[i].cap, caps[i].info ? " [info]" : "");
		row("KVM_CHECK_EXTENSION", a, ioctl(vm, KVM_CHECK_EXTENSION, caps[i].cap));
	}
	mem = mmap(NULL, 4 * sz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* IPA limit for a 32-bit VM: 4 GiB. */
	setmem(vm, 0, 0, (1UL << 32) - sz, sz, mem, "ipa32 ends at limit");
	setmem(vm, 0, 0, 0, 0, mem, "delete");
	setmem(vm, 1, 0, (1UL << 32) - sz / 2, sz, mem, "ipa32 straddles limit");
	setmem(vm, 1, 0, 1UL << 32, sz, mem, "ipa32 starts at limit");
	setmem(vm, 1, 0, 1UL << 40, sz, mem, "ipa32 at 1T");
	close(vm);

	vm = create_vm(kvm, 0);
	for (i = 0; vm >= 0 && i < (int)ARRAY_SIZE(caps); i++) {
		snprintf(a, sizeof(a), "vm(default) %s (%d)%s", caps[i].name,
			 caps[i].cap, caps[i].info ? " [info]" : "");
		row("KVM_CHECK_EXTENSION", a, ioctl(vm, KVM_CHECK_EXTENSION, caps[i].cap));
	}
	nslots = ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	setmem(vm, 0, 0, (1UL << 40) - sz, sz, mem, "default(40) ends at limit");
	setmem(vm, 0, 0, 0, 0, mem, "delete");
	setmem(vm, 1, 0, 1UL << 40, sz, mem, "default(40) at limit");
	setmem(vm, 1, 0, (1UL << 40) - sz / 2, sz, mem, "default straddles limit");
	setmem(vm, 1 << 16, 0, 0, sz, mem, "as_id 1");
	setmem(vm, 2 << 16, 0, 0, sz, mem, "as_id 2");
	setmem(vm, nslots, 0, 0, sz, mem, "slot == NR_MEMSLOTS");
	setmem(vm, nslots - 1, 0, 0x10000000, sz, mem, "slot == NR_MEMSLOTS-1");
	setmem(vm, 2, 4, 0x20000000, sz, mem, "bad flag 4");
	setmem(vm, 2, 8, 0x20000000, sz, mem, "bad flag 8");
	setmem(vm, 2, 0x80000000, 0x20000000, sz, mem, "bad flag 1<<31");
	setmem(vm, 2, 0, 0x20000100, sz, mem, "gpa unaligned");
	setmem(vm, 2, 0, 0x20000000, sz + 0x100, mem, "size unaligned");
	setmem(vm, 2, 0, 0x20000000, sz, mem + 0x100, "hva unaligned");
	setmem(vm, 2, KVM_MEM_READONLY, 0x20000000, sz, mem, "READONLY");
	setmem(vm, 3, KVM_MEM_READONLY | KVM_MEM_LOG_DIRTY_PAGES, 0x30000000,
	       sz, mem + sz, "READONLY|LOG_DIRTY");
	setmem(vm, 4, KVM_MEM_LOG_DIRTY_PAGES, 0x40000000, sz, mem + 2 * sz,
	       "LOG_DIRTY");
	setmem(vm, 5, 0, 0x50000000, sz, mem + 3 * sz, "plain");
	setmem(vm, 5, KVM_MEM_READONLY, 0x50000000, sz, mem + 3 * sz,
	       "toggle READONLY on existing");
	setmem(vm, 5, 0, 0x50000000 + sz, sz, mem + 3 * sz, "move");
	setmem(vm, 6, 0, 0x50100000, sz, mem, "overlap other slot");

	{
		unsigned long bm[8] = { 0 };
		struct kvm_dirty_log dl = { .slot = 4, .dirty_bitmap = bm };
		struct kvm_clear_dirty_log cl = { .slot = 4, .first_page = 0,
						  .num_pages = 64, .dirty_bitmap = bm };
		struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 };

		row("KVM_GET_DIRTY_LOG", "slot 4 (logging)", ioctl(vm, KVM_GET_DIRTY_LOG, &dl));
		dl.slot = 5;
		row("KVM_GET_DIRTY_LOG", "slot 5 (no logging)", ioctl(vm, KVM_GET_DIRTY_LOG, &dl));
		dl.slot = 7;
		row("KVM_GET_DIRTY_LOG", "slot 7 (absent)", ioctl(vm, KVM_GET_DIRTY_LOG, &dl));
		dl.slot = 1 << 16 | 4;
		row("KVM_GET_DIRTY_LOG", "as_id 1 slot 4", ioctl(vm, KVM_GET_DIRTY_LOG, &dl));
		dl.slot = nslots;
		row("KVM_GET_DIRTY_LOG", "slot NR_MEMSLOTS", ioctl(vm, KVM_GET_DIRTY_LOG, &dl));
		row("KVM_CLEAR_DIRTY_LOG", "slot 4 before enabling cap",
		    ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
		cap.args[0] = 4;
		row("KVM_ENABLE_CAP", "MANUAL_DIRTY_LOG_PROTECT2 args0=4 (bad)",
		    ioctl(vm, KVM_ENABLE_CAP, &cap));
		cap.args[0] = 0;
		row("KVM_ENABLE_CAP", "MANUAL_DIRTY_LOG_PROTECT2 args0=0",
		    ioctl(vm, KVM_ENABLE_CAP, &cap));
		cap.args[0] = 3;
		row("KVM_ENABLE_CAP", "MANUAL_DIRTY_LOG_PROTECT2 args0=3",
		    ioctl(vm, KVM_ENABLE_CAP, &cap));
		row("KVM_CLEAR_DIRTY_LOG", "slot 4 first=0 num=64",
		    ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
		cl.first_page = 1;
		row("KVM_CLEAR_DIRTY_LOG", "slot 4 first=1 num=64",
		    ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
		cl.first_page = 0; cl.num_pages = 63;
		row("KVM_CLEAR_DIRTY_LOG", "slot 4 first=0 num=63",
		    ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
		cl.first_page = 192; cl.num_pages = 64;
		row("KVM_CLEAR_DIRTY_LOG", "slot 4 first=192 num=64 (end)",
		    ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
		cl.first_page = 192; cl.num_pages = 65;
		row("KVM_CLEAR_DIRTY_LOG", "slot 4 first=192 num=65 (past end)",
		    ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
		cl.first_page = 256; cl.num_pages = 0;
		row("KVM_CLEAR_DIRTY_LOG", "slot 4 first=256 num=0",
		    ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
		cl.first_page = 0; cl.num_pages = 64; cl.slot = 5;
		row("KVM_CLEAR_DIRTY_LOG", "slot 5 (no logging)",
		    ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
		cl.slot = 7;
		row("KVM_CLEAR_DIRTY_LOG", "slot 7 (absent)",
		    ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
		cl.slot = 1 << 16 | 4;
		row("KVM_CLEAR_DIRTY_LOG", "as_id 1 slot 4",
		    ioctl(vm, KVM_CLEAR_DIRTY_LOG, &cl));
		row("KVM_GET_DIRTY_LOG", "slot 4 after MANUAL_PROTECT",
		    (dl.slot = 4, ioctl(vm, KVM_GET_DIRTY_LOG, &dl)));
	}
	{
		struct kvm_enable_cap cap = { .cap = KVM_CAP_DIRTY_LOG_RING, .args = { 4096 } };

		row("KVM_ENABLE_CAP", "DIRTY_LOG_RING 4096", ioctl(vm, KVM_ENABLE_CAP, &cap));
	}
	row("KVM_CREATE_VCPU", "id 0", ioctl(vm, KVM_CREATE_VCPU, 0));
	row("KVM_CREATE_VCPU", "id 512", ioctl(vm, KVM_CREATE_VCPU, 512));
	row("KVM_GET_VCPU_MMAP_SIZE", "system fd [info]",
	    ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	close(vm);
	return 0;
}
