// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_thp_split: splitting transparent huge pages behind a slot while
 * the slot is deleted and re-created.
 *
 * A slot is backed by 2 MiB-aligned anonymous memory the process asks to
 * have backed by THPs (MADV_HUGEPAGE).  For a few seconds, one thread
 * drops (MADV_DONTNEED) or write-protects (mprotect) single 4 KiB pieces
 * of those THPs, which splits them: the mm's invalidation of the piece
 * nests the split's invalidation of the whole 2 MiB inside it, in the same
 * task, with mmap_lock held.  It touches the pieces again and now and then
 * maps a whole 2 MiB frame anew so that it comes back as a THP.  Meanwhile
 * another thread deletes and re-creates the slot in a loop: each of those
 * updates waits for the invalidations in flight, so a nested invalidation
 * that waited for the update would deadlock both threads in D state (the
 * guest lane's watchdog and the debug kernel's hung-task detector report
 * it).  On /dev/kvm-memslot a vCPU thread also reads and writes the slot
 * through the extension access ioctl; afterwards every page must read as
 * the process sees it and the audit must find nothing stale.
 *
 * The slot changes are KVM's ABI and run on both devices; the vCPU parts
 * are an extension and skip on /dev/kvm.  The program reports how many
 * THPs it got (AnonHugePages in /proc/self/smaps) and skips the stress if
 * it got none.
 *
 * Usage: memslot_thp_split [device] [-t seconds]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include "access_util.h"

#define NTESTS		7
#define MB		0x100000UL
#define HUGE		(2 * MB)
#define NHUGE		4
#define SIZE		(NHUGE * HUGE)
#define NPAGES		(SIZE / PAGE_SZ)
#define GPA		(1024 * MB)

#ifndef MADV_HUGEPAGE
#define MADV_HUGEPAGE	14
#endif

static int devfd, vmfd, vcpufd = -1;
static uint8_t *mem;
static atomic_int stop;
static int seconds = 3;

static atomic_ulong splits, thp_refills, thp_back, split_errors;
static atomic_ulong updates, update_errors;
static atomic_ulong accesses, exits, access_errors;

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int set_slot(uint64_t size)
{
	struct kvm_userspace_memory_region r = {
		.slot = 0,
		.guest_phys_addr = GPA,
		.memory_size = size,
		.userspace_addr = (uintptr_t)mem,
	};

	return (int)tap_ioctl(vmfd, KVM_SET_USER_MEMORY_REGION,
			      (unsigned long)&r);
}

/* AnonHugePages of the mapping that holds @addr, in kB, or -1. */
static long anon_huge_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long lo, hi, kb;
	char line[256];
	int in = 0;
	long r = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1) {
			r = (long)kb;
			break;
		}
	}
	fclose(f);
	return r;
}

/* Write one byte in every page of [p, p + len): fault it all in. */
static void touch(uint8_t *p, size_t len, uint8_t v)
{
	for (size_t off = 0; off < len; off += PAGE_SZ)
		p[off] = v;
}

static void *splitter(void *arg)
{
	uint64_t seed = 0x243f6a8885a308d3ULL;
	unsigned long n = 0;

	while (!atomic_load(&stop)) {
		uint64_t x = rnd(&seed);
		uint8_t *huge = mem + (x % NHUGE) * HUGE;
		uint8_t *piece = huge + ((x >> 8) % (HUGE / PAGE_SZ)) * PAGE_SZ;
		int r;

		if (++n % 64 == 0) {
			/*
			 * A new mapping of the whole frame: unmapping it frees
			 * the page table a split left, so that the frame can
			 * come back as a THP and be split again.
			 */
			long before = anon_huge_kb(mem), after;

			r = mmap(huge, HUGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
				 MAP_NORESERVE, -1, 0) == huge ? 0 : -1;
			if (!r)
				r = madvise(huge, HUGE, MADV_HUGEPAGE);
			touch(huge, HUGE, (uint8_t)n);
			after = anon_huge_kb(mem);
			if (before >= 0 && after >= before + 2048)
				atomic_fetch_add(&thp_back, 1);
			atomic_fetch_add(&thp_refills, 1);
		} else if (x & (1ULL << 40)) {
			r = madvise(piece, PAGE_SZ, MADV_DONTNEED);
			touch(piece, PAGE_SZ, (uint8_t)n);
		} else {
			r = mprotect(piece, PAGE_SZ, PROT_READ);
			if (!r)
				r = mprotect(piece, PAGE_SZ,
					     PROT_READ | PROT_WRITE);
			touch(piece, PAGE_SZ, (uint8_t)n);
		}
		if (r)
			atomic_fetch_add(&split_errors, 1);
		atomic_fetch_add(&splits, 1);
	}
	return NULL;
}

static void *updater(void *arg)
{
	while (!atomic_load(&stop)) {
		if (set_slot(0) || set_slot(SIZE))
			atomic_fetch_add(&update_errors, 1);
		atomic_fetch_add(&updates, 1);
		sched_yield();
	}
	return NULL;
}

static void *vcpu(void *arg)
{
	uint64_t seed = 0x13198a2e03707344ULL;
	uint8_t buf[64];

	while (!atomic_load(&stop)) {
		uint64_t x = rnd(&seed);
		uint64_t gpa = GPA + (x % NPAGES) * PAGE_SZ + (x >> 32) % 64;
		long r = (x & 1) ? acc_write(vcpufd, gpa, buf, 8) :
				   acc_read(vcpufd, gpa, buf, 8);

		/*
		 * Between a delete and the create the gpa is unbacked (MMIO
		 * exit); a piece write-protected for the moment refuses a
		 * write (memory-fault exit).  Anything else is an error.
		 */
		if (r == ACC_MMIO || r == ACC_FAULT)
			atomic_fetch_add(&exits, 1);
		else if (r)
			atomic_fetch_add(&access_errors, 1);
		atomic_fetch_add(&accesses, 1);
	}
	return NULL;
}

/* Whether every page reads through the vCPU as the process sees it. */
static int coherent(void)
{
	static uint8_t page[PAGE_SZ_MAX];

	for (unsigned long i = 0; i < NPAGES; i++) {
		acc_fill(mem + i * PAGE_SZ, i, 7);
		if (acc_read(vcpufd, GPA + i * PAGE_SZ, page, PAGE_SZ))
			return 0;
		if (memcmp(page, mem + i * PAGE_SZ, PAGE_SZ)) {
			tap_diag("page %lu differs from the process's", i);
			return 0;
		}
	}
	return 1;
}

int main(int argc, char **argv)
{
	const char *dev = DEFAULT_DEVICE;
	pthread_t ts, tu, tv;
	char byte;
	int ext;
	long kb;
	int i;

	for (i = 1; i < argc; i++) {
		if (tap_option(argv[i]))
			continue;
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			seconds = atoi(argv[++i]);
		else
			dev = argv[i];
	}

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	vmfd = tap_create_vm(devfd);
	if (vmfd < 0)
		return tap_skip_all("KVM_CREATE_VM failed");
	vcpufd = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, 0);
	ext = vcpufd >= 0 && acc_read(vcpufd, 0, &byte, 1) == ACC_MMIO &&
	      acc_audit(vmfd) >= 0;
	mem = acc_map_aligned(SIZE, HUGE);
	if (!mem)
		return tap_skip_all("cannot map memory");

	tap_plan(NTESTS);
	if (madvise(mem, SIZE, MADV_HUGEPAGE))
		tap_diag("MADV_HUGEPAGE: %s", strerror(errno));
	touch(mem, SIZE, 1);
	tap_result(set_slot(SIZE) == 0,
		   "slot over 2 MiB-aligned, THP-advised memory created");
	kb = anon_huge_kb(mem);
	tap_diag("THPs backing the slot: %ld of %d (AnonHugePages %ld kB)",
		 kb > 0 ? kb / 2048 : 0, NHUGE, kb);
	if (kb <= 0) {
		tap_skip("no transparent huge pages: nothing to split");
		while (tap_count < NTESTS)
			tap_skip("no transparent huge pages");
		return 0;
	}
	tap_result(1, "the slot is backed by THPs");

	if (pthread_create(&ts, NULL, splitter, NULL) ||
	    pthread_create(&tu, NULL, updater, NULL) ||
	    (ext && pthread_create(&tv, NULL, vcpu, NULL))) {
		tap_bail_rest("pthread_create failed");
		return 1;
	}
	sleep(seconds);
	atomic_store(&stop, 1);
	pthread_join(ts, NULL);
	pthread_join(tu, NULL);
	if (ext)
		pthread_join(tv, NULL);

	tap_diag("%lu piece splits, %lu slot re-creations, %lu of %lu new frames were THPs",
		 atomic_load(&splits), atomic_load(&updates),
		 atomic_load(&thp_back), atomic_load(&thp_refills));
	tap_result(atomic_load(&split_errors) == 0 && atomic_load(&splits) > 0,
		   "splitting THPs behind the slot: every madvise/mprotect succeeded");
	tap_result(atomic_load(&update_errors) == 0 && atomic_load(&updates) > 0,
		   "deleting and re-creating the slot meanwhile: every ioctl succeeded");
	kb = anon_huge_kb(mem);
	tap_diag("THPs after the run: %ld (AnonHugePages %ld kB)",
		 kb > 0 ? kb / 2048 : 0, kb);

	if (!ext) {
		tap_skip("vCPU accesses are a kvm-memslot extension");
		tap_skip("vCPU accesses are a kvm-memslot extension");
		tap_skip("the audit is a kvm-memslot extension");
		return tap_failed ? 1 : 0;
	}
	tap_diag("%lu vCPU accesses, %lu exits", atomic_load(&accesses),
		 atomic_load(&exits));
	tap_result(atomic_load(&access_errors) == 0,
		   "vCPU accesses meanwhile only completed or exited");
	tap_result(coherent(), "afterwards every page reads as the process sees it");
	kb = acc_audit(vmfd);
	tap_result(kb == 0, "audit finds 0 violations");
	if (kb)
		tap_diag("audit returned %ld", kb);
	return tap_failed ? 1 : 0;
}
