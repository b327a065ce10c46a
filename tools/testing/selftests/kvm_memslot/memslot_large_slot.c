// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_large_slot: slots of 128 GiB, 1 TiB - 4 KiB and 1 TiB at gpa 0.
 *
 * In-tree KVM with two-dimensional paging keeps no per-page metadata for a
 * slot until shadow paging needs it, so it accepts such slots in a guest
 * with a few GiB of RAM and deletes them at once; a slot that ends above
 * the guest physical width (MAXPHYADDR) gets EINVAL.  Each slot is created
 * on both devices with the same result, a few pages are written and read
 * through it (on /dev/kvm-memslot, with the extension access ioctl) and it
 * is deleted.  Memory the kernel took for the slot is printed after each
 * create; an OOM kill (which a per-page rmap of 1 TiB caused) fails the
 * test, and the guest lane fails on any WARN.
 *
 * The host memory is a sparse anonymous mapping of the slot's size
 * (MAP_NORESERVE): only the pages written are ever allocated.
 *
 * Usage: memslot_large_slot [device]
 */
#include "access_util.h"

#define GB		(1024ULL * 1024 * 1024)
#define NSIZES		3
#define NPROBES		3
/* Per size: create, accesses, data, audit, delete. */
#define NTESTS		(NSIZES * 5 + 1)

/* 128 GiB, 1 TiB less a VM page, 1 TiB. */
static uint64_t slot_size(int i)
{
	return i == 0 ? 128 * GB : i == 1 ? 1024 * GB - PAGE_SZ : 1024 * GB;
}

/* Guest physical address bits, as /proc/cpuinfo reports them. */
static int phys_bits(void)
{
	char line[256];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int bits = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "address sizes : %d bits physical", &bits) == 1)
			break;
	fclose(f);
	return bits;
}

/* A /proc/meminfo field in KiB, or -1. */
static long read_meminfo(const char *field)
{
	char line[256], name[64];
	FILE *f = fopen("/proc/meminfo", "r");
	long kb = -1, v;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63[^:]: %ld", name, &v) == 2 &&
		    !strcmp(name, field)) {
			kb = v;
			break;
		}
	fclose(f);
	return kb;
}

static long read_vmstat(const char *field)
{
	char name[64];
	FILE *f = fopen("/proc/vmstat", "r");
	long v, r = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2)
		if (!strcmp(name, field)) {
			r = v;
			break;
		}
	fclose(f);
	return r;
}

struct mem_snap {
	long free, slab, vmalloc, pagetables;
};

static void mem_snap(struct mem_snap *s)
{
	s->free = read_meminfo("MemFree");
	s->slab = read_meminfo("Slab");
	s->vmalloc = read_meminfo("VmallocUsed");
	s->pagetables = read_meminfo("PageTables");
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	long oom_before = read_vmstat("oom_kill");
	int devfd, vmfd, vcpufd, bits, i, p;
	int access;
	char byte;

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	vmfd = tap_create_vm(devfd);
	if (vmfd < 0)
		return tap_skip_all("KVM_CREATE_VM failed");
	vcpufd = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, 0);
	if (vcpufd < 0)
		return tap_skip_all("KVM_CREATE_VCPU failed");
	/* Where no slot is, an extension access exits to MMIO. */
	access = acc_read(vcpufd, 0, &byte, 1) == ACC_MMIO;
	bits = phys_bits();
	if (bits < 36 || bits > 52)
		return tap_skip_all("no physical address width in /proc/cpuinfo");

	tap_plan(NTESTS);
	tap_diag("device %s, %d physical address bits, extension accesses: %s",
		 dev, bits, access ? "yes" : "no");

	for (i = 0; i < NSIZES; i++) {
		uint64_t size = slot_size(i), npages = size / PAGE_SZ;
		uint64_t probe[NPROBES] = { 0, npages / 2, npages - 1 };
		long want = size <= (1ULL << bits) ? 0 : -EINVAL;
		struct mem_snap before, after;
		uint8_t *mem = tap_map(size);
		int ok = 1;
		long r;

		tap_require(!!mem, "mmap of the slot's host memory");
		mem_snap(&before);
		r = tap_set(vmfd, 0, 0, 0, 0, size, (uintptr_t)mem);
		mem_snap(&after);
		tap_expect(r, want, "[cmp] create %llu KiB slot at gpa 0: %s",
			   (unsigned long long)(size >> 10),
			   r ? tap_errname((int)-r) : "0");
		tap_diag("after create (KiB): MemFree %+ld Slab %+ld Vmalloc %+ld PageTables %+ld",
			 after.free - before.free, after.slab - before.slab,
			 after.vmalloc - before.vmalloc,
			 after.pagetables - before.pagetables);

		if (r || !access) {
			const char *why = r ? "slot not created" :
				"no extension accesses on this device";

			tap_skip("%s", why);
			tap_skip("%s", why);
			tap_skip("%s", why);
		} else {
			/* Write through the vCPU, read back through both. */
			for (p = 0; p < NPROBES; p++) {
				uint8_t buf[PAGE_SZ];

				acc_fill(buf, probe[p], i);
				if (acc_write(vcpufd, probe[p] * PAGE_SZ, buf, PAGE_SZ) ||
				    acc_read(vcpufd, probe[p] * PAGE_SZ, buf, PAGE_SZ))
					ok = 0;
			}
			tap_result(ok, "write and read pages 0, middle, last through the vCPU");
			for (p = 0; p < NPROBES; p++)
				if (mem[probe[p] * PAGE_SZ + 7] != acc_pattern(probe[p], 7, i))
					ok = 0;
			tap_result(ok, "the process sees what the vCPU wrote");
			r = acc_audit(vmfd);
			tap_result(r == 0, "audit: 0 violations%s", r ? " (see dmesg)" : "");
			mem_snap(&after);
			tap_diag("3 pages mapped (KiB): MemFree %+ld Slab %+ld Vmalloc %+ld",
				 after.free - before.free, after.slab - before.slab,
				 after.vmalloc - before.vmalloc);
		}

		r = tap_set(vmfd, 0, 0, 0, 0, 0, 0);
		tap_expect(r, 0, "[cmp] delete it: %s", r ? tap_errname((int)-r) : "0");
		if (!r && access && !want) {
			r = acc_read(vcpufd, probe[1] * PAGE_SZ, &byte, 1);
			if (r != ACC_MMIO)
				tap_diag("after delete, read exits: %s", acc_name(r));
		}
		munmap(mem, size);
	}

	tap_expect(read_vmstat("oom_kill") - oom_before, 0,
		   "no OOM kill while the slots existed");
	close(vcpufd);
	close(vmfd);
	close(devfd);
	return tap_finish();
}
