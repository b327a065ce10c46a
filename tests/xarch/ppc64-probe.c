// SPDX-License-Identifier: GPL-2.0-only
/*
 * ppc64-probe: ask in-tree KVM-HV (Linux 6.1, 64 KiB pages) the memslot
 * questions the Book3S HV backend must answer the same way, and print one
 * table row per call: "| call | args | result |".  It runs in the ppc64
 * guest of the oracle lane (tests/xarch/ppc64.sh) against /dev/kvm; the
 * answers are the reference the backend is built to, so the probe prints
 * what it sees and judges nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KIB 1024UL
#define MIB (1024 * KIB)

static void row(const char *call, const char *args, long r)
{
	if (r < 0)
		printf("| %s | %s | -1 %s |\n", call, args, strerrorname_np(errno) ?
		       strerrorname_np(errno) : "?");
	else
		printf("| %s | %s | %ld |\n", call, args, r);
	fflush(stdout);
}

struct cap { const char *name; long nr; };

static const struct cap caps[] = {
	{ "NR_MEMSLOTS", KVM_CAP_NR_MEMSLOTS },
	{ "MULTI_ADDRESS_SPACE", KVM_CAP_MULTI_ADDRESS_SPACE },
	{ "READONLY_MEM", KVM_CAP_READONLY_MEM },
	{ "MANUAL_DIRTY_LOG_PROTECT2", KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 },
	{ "DIRTY_LOG_RING", KVM_CAP_DIRTY_LOG_RING },
	{ "DIRTY_LOG_RING_ACQ_REL", KVM_CAP_DIRTY_LOG_RING_ACQ_REL },
	{ "USER_MEMORY", KVM_CAP_USER_MEMORY },
	{ "SYNC_MMU", KVM_CAP_SYNC_MMU },
	{ "NR_VCPUS", KVM_CAP_NR_VCPUS },
	{ "MAX_VCPUS", KVM_CAP_MAX_VCPUS },
	{ "MAX_VCPU_ID", KVM_CAP_MAX_VCPU_ID },
	{ "PPC_HTAB_FD", KVM_CAP_PPC_HTAB_FD },
	{ "PPC_ALLOC_HTAB", KVM_CAP_PPC_ALLOC_HTAB },
	{ "PPC_MMU_HASH_V3", KVM_CAP_PPC_MMU_HASH_V3 },
	{ "PPC_MMU_RADIX", KVM_CAP_PPC_MMU_RADIX },
	{ "PPC_RMA", KVM_CAP_PPC_RMA },
	{ "PPC_SMT", KVM_CAP_PPC_SMT },
	{ "PPC_ENABLE_HCALL", KVM_CAP_PPC_ENABLE_HCALL },
	{ "SPAPR_RESIZE_HPT", KVM_CAP_SPAPR_RESIZE_HPT },
	{ "PPC_GET_SMMU_INFO", KVM_CAP_PPC_GET_SMMU_INFO },
	{ "SPAPR_TCE", KVM_CAP_SPAPR_TCE },
	{ "IOEVENTFD", KVM_CAP_IOEVENTFD },
	{ "COALESCED_MMIO", KVM_CAP_COALESCED_MMIO },
	{ "BINARY_STATS_FD", KVM_CAP_BINARY_STATS_FD },
	{ "HALT_POLL", KVM_CAP_HALT_POLL },
	{ "IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT },
	{ "MEMORY_ATTRIBUTES(232)", 232 },
	{ "USER_MEMORY2(231)", 231 },
	{ "GUEST_MEMFD(234)", 234 },
	{ "PPC_NESTED_HV", KVM_CAP_PPC_NESTED_HV },
};

static int kvm, vm;
static char *mem;

static long set(int fd, __u32 slot, __u32 flags, __u64 gpa,
		__u64 size, __u64 hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = hva,
	};

	return ioctl(fd, KVM_SET_USER_MEMORY_REGION, &r);
}

static void slotrow(const char *what, __u32 slot, __u32 flags,
		    __u64 gpa, __u64 size, __u64 hvaoff)
{
	char a[200];

	snprintf(a, sizeof(a), "%s: slot=%#x flags=%#x gpa=%#lx size=%#lx hva=mem+%#lx",
		 what, slot, flags, (unsigned long)gpa, (unsigned long)size,
		 (unsigned long)hvaoff);
	row("SET_USER_MEMORY_REGION", a,
	    set(vm, slot, flags, gpa, size, (__u64)(uintptr_t)mem + hvaoff));
}

static int newvm(const char *label, unsigned long type)
{
	char a[64];
	int fd;

	fd = ioctl(kvm, KVM_CREATE_VM, type);
	snprintf(a, sizeof(a), "%s type=%lu", label, type);
	row("CREATE_VM", a, fd);
	return fd;
}

static void dirty(const char *what, __u32 slot, void *bm)
{
	struct kvm_dirty_log d = { .slot = slot, .dirty_bitmap = bm };
	char a[120];

	snprintf(a, sizeof(a), "%s: slot=%#x", what, slot);
	row("GET_DIRTY_LOG", a, ioctl(vm, KVM_GET_DIRTY_LOG, &d));
}

static void clear(const char *what, __u32 slot, __u64 first,
		  __u32 n, void *bm)
{
	struct kvm_clear_dirty_log c = {
		.slot = slot, .first_page = first, .num_pages = n,
		.dirty_bitmap = bm,
	};
	char a[120];

	snprintf(a, sizeof(a), "%s: slot=%#x first=%lu num=%u", what, slot,
		 (unsigned long)first, n);
	row("CLEAR_DIRTY_LOG", a, ioctl(vm, KVM_CLEAR_DIRTY_LOG, &c));
}

static void htab(int fd, const char *what, __u32 order)
{
	__u32 o = order;
	char a[120];
	long r;

	r = ioctl(fd, KVM_PPC_ALLOCATE_HTAB, &o);
	snprintf(a, sizeof(a), "%s: order=%u (out %u)", what, order, o);
	row("PPC_ALLOCATE_HTAB", a, r);
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/kvm";
	unsigned long bm[64];
	unsigned int i;
	long ps = sysconf(_SC_PAGESIZE);
	int vm2;

	printf("| call | args | result |\n|---|---|---|\n");
	printf("| sysconf | PAGESIZE | %ld |\n", ps);
	kvm = open(dev, O_RDWR);
	row("open", dev, kvm);
	if (kvm < 0)
		return 1;
	row("GET_API_VERSION", "", ioctl(kvm, KVM_GET_API_VERSION, 0));
	row("GET_VCPU_MMAP_SIZE", "", ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0));
	for (i = 0; i < ARRAY_SIZE(caps); i++)
		row("CHECK_EXTENSION(/dev/kvm)", caps[i].name,
		    ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].nr));

	vm = newvm("default", 0);
	newvm("KVM_VM_PPC_HV", 1);
	newvm("KVM_VM_PPC_PR", 2);
	newvm("bad", 3);
	newvm("bad", 0x100);
	for (i = 0; i < ARRAY_SIZE(caps); i++)
		row("CHECK_EXTENSION(vm, fresh)", caps[i].name,
		    ioctl(vm, KVM_CHECK_EXTENSION, caps[i].nr));

	/* HPT order limits, on a throwaway VM each so order stays clean. */
	vm2 = newvm("htab", 0);
	htab(vm2, "below min", 17);
	htab(vm2, "min", 18);
	htab(vm2, "same again", 18);
	htab(vm2, "24", 24);
	htab(vm2, "above max", 47);
	htab(vm2, "huge", 0xffffffffu);
	/*
	 * Not asked: order 0 after a failed allocation (or on a fresh radix
	 * VM, whose hpt.order is 0) makes 6.1 memset a NULL HPT: an oops.
	 */
	row("PPC_ALLOCATE_HTAB", "NULL argp", ioctl(vm2, KVM_PPC_ALLOCATE_HTAB, NULL));
	close(vm2);

	/* Force the probe VM into HPT mode, the mode the backend models. */
	htab(vm, "probe vm", 24);
	for (i = 0; i < ARRAY_SIZE(caps); i++)
		row("CHECK_EXTENSION(vm, HPT)", caps[i].name,
		    ioctl(vm, KVM_CHECK_EXTENSION, caps[i].nr));
	{
		struct kvm_ppc_mmuv3_cfg c = { .flags = 0, .process_table = 0 };

		row("PPC_CONFIGURE_V3_MMU", "hash flags=0 (on a fresh vm)",
		    ioctl(vm2 = newvm("v3mmu", 0), KVM_PPC_CONFIGURE_V3_MMU, &c));
		c.flags = 4;
		row("PPC_CONFIGURE_V3_MMU", "flags=4 (unknown)",
		    ioctl(vm2, KVM_PPC_CONFIGURE_V3_MMU, &c));
		close(vm2);
	}

	mem = mmap(NULL, 64 * MIB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	/* align to 2 MiB so offsets below are the only misalignment */
	mem = (char *)(((uintptr_t)mem + 2 * MIB - 1) & ~(2 * MIB - 1));

	slotrow("ok 64K", 0, 0, 0, 64 * KIB, 0);
	slotrow("delete", 0, 0, 0, 0, 0);
	slotrow("size 4K", 1, 0, 0, 4 * KIB, 0);
	slotrow("size 68K", 1, 0, 0, 68 * KIB, 0);
	slotrow("gpa 4K", 1, 0, 4 * KIB, 64 * KIB, 0);
	slotrow("gpa 32K", 1, 0, 32 * KIB, 64 * KIB, 0);
	slotrow("hva +4K", 1, 0, 0, 64 * KIB, 4 * KIB);
	slotrow("hva +32K", 1, 0, 0, 64 * KIB, 32 * KIB);
	slotrow("size 0 create", 1, 0, 0, 0, 0);
	slotrow("READONLY", 1, KVM_MEM_READONLY, 0, 64 * KIB, 0);
	slotrow("flags 0x4", 1, 4, 0, 64 * KIB, 0);
	slotrow("flags 0x8", 1, 8, 0, 64 * KIB, 0);
	slotrow("flags 0x80000000", 1, 0x80000000u, 0, 64 * KIB, 0);
	slotrow("as_id 1", 0x10001, 0, 0, 64 * KIB, 0);
	slotrow("as_id 2", 0x20001, 0, 0, 64 * KIB, 0);
	slotrow("slot 32767", 32767, 0, 1 * MIB, 64 * KIB, 1 * MIB);
	slotrow("delete 32767", 32767, 0, 1 * MIB, 0, 1 * MIB);
	slotrow("slot 32768", 32768, 0, 1 * MIB, 64 * KIB, 1 * MIB);
	slotrow("slot 32764", 32764, 0, 1 * MIB, 64 * KIB, 1 * MIB);
	slotrow("delete 32764", 32764, 0, 1 * MIB, 0, 1 * MIB);
	slotrow("slot 2 at gpa 0", 2, 0, 0, 64 * KIB, 0);
	row("SET_USER_MEMORY_REGION", "hva=1<<62",
	    set(vm, 2, 0, 0, 64 * KIB, 1UL << 62));
	slotrow("delete 2", 2, 0, 0, 0, 0);
	slotrow("base 1M, 1M, LOG_DIRTY", 3, KVM_MEM_LOG_DIRTY_PAGES, 1 * MIB, 1 * MIB, 0);
	slotrow("overlap", 4, 0, 1 * MIB + 64 * KIB, 64 * KIB, 4 * MIB);
	slotrow("flags change to 0", 3, 0, 1 * MIB, 1 * MIB, 0);
	slotrow("flags change to LOG", 3, KVM_MEM_LOG_DIRTY_PAGES, 1 * MIB, 1 * MIB, 0);
	slotrow("flags change to RO", 3, KVM_MEM_READONLY, 1 * MIB, 1 * MIB, 0);
	slotrow("size change", 3, KVM_MEM_LOG_DIRTY_PAGES, 1 * MIB, 2 * MIB, 0);
	slotrow("hva change", 3, KVM_MEM_LOG_DIRTY_PAGES, 1 * MIB, 1 * MIB, 64 * KIB);
	slotrow("move gpa", 3, KVM_MEM_LOG_DIRTY_PAGES, 8 * MIB, 1 * MIB, 0);

	memset(bm, 0xa5, sizeof(bm));
	dirty("logged slot (16 64K pages)", 3, bm);
	printf("| GET_DIRTY_LOG | bitmap word 0 after | %#lx |\n", bm[0]);
	dirty("slot without log", 0, bm);
	dirty("no such slot", 5, bm);
	dirty("slot 32768", 32768, bm);
	dirty("as_id 1", 0x10003, bm);
	row("GET_DIRTY_LOG", "bitmap NULL slot 3",
	    ioctl(vm, KVM_GET_DIRTY_LOG, &(struct kvm_dirty_log){ .slot = 3 }));
	clear("before enable", 3, 0, 16, bm);
	{
		struct kvm_enable_cap c = {
			.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, .args = { 3 }
		};
		row("ENABLE_CAP", "MANUAL_DIRTY_LOG_PROTECT2 args0=3",
		    ioctl(vm, KVM_ENABLE_CAP, &c));
		c.args[0] = 1;
		row("ENABLE_CAP", "MANUAL_DIRTY_LOG_PROTECT2 args0=1",
		    ioctl(vm, KVM_ENABLE_CAP, &c));
		c.args[0] = 4;
		row("ENABLE_CAP", "MANUAL_DIRTY_LOG_PROTECT2 args0=4",
		    ioctl(vm, KVM_ENABLE_CAP, &c));
		c.cap = KVM_CAP_DIRTY_LOG_RING;
		c.args[0] = 4096;
		row("ENABLE_CAP", "DIRTY_LOG_RING 4096",
		    ioctl(vm, KVM_ENABLE_CAP, &c));
	}
	clear("after enable", 3, 0, 16, bm);
	clear("first unaligned", 3, 1, 16, bm);
	clear("num beyond", 3, 0, 17, bm);
	clear("first 64 num 0", 3, 64, 0, bm);
	clear("no log slot", 0, 0, 1, bm);
	clear("no slot", 5, 0, 1, bm);
	dirty("after manual enable", 3, bm);

	{
		int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);

		row("CREATE_VCPU", "id 0", vcpu);
		row("CREATE_VCPU", "id 0 again", ioctl(vm, KVM_CREATE_VCPU, 0));
		row("CREATE_VCPU", "id 2048", ioctl(vm, KVM_CREATE_VCPU, 2048));
		row("CREATE_VCPU", "id 16384", ioctl(vm, KVM_CREATE_VCPU, 16384));
	}
	htab(vm, "after vcpu (not running)", 24);
	return 0;
}
