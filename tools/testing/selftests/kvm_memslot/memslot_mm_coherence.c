// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_mm_coherence: guest accesses stay coherent with the host mm.
 *
 * Translations map host pages without pinning them; the MMU notifier must
 * remove them whenever the host changes what a slot's addresses map.  For
 * each kind of change - munmap, mprotect to read-only, MADV_DONTNEED, fork
 * with copy-on-write, mremap, splitting a transparent huge page - a vCPU
 * first maps the pages (reads and writes them), the process changes them,
 * and then a vCPU read must return exactly what the process sees at the
 * slot's address (or exit where nothing is mapped any more), a vCPU write
 * must be what the process sees, and the audit must find nothing stale.
 *
 * Guest accesses are a kvm-memslot extension: on /dev/kvm the program skips.
 *
 * Usage: memslot_mm_coherence [device]
 */
#define _GNU_SOURCE	/* mremap() */
#include <sys/wait.h>
#include "access_util.h"

#define NTESTS	41
#define MB	0x100000UL
#define HUGE	(2 * MB)
#define NPAGES	(2 * HUGE / PAGE_SZ)	/* two 2 MiB frames */
#define GPA	(64 * MB)

static int vmfd, vcpufd;
static uint8_t *mem;
static uint8_t page[PAGE_SZ_MAX];

static uint64_t gpa_of(int i)
{
	return GPA + (uint64_t)i * PAGE_SZ;
}

/* Map every page of the slot into the vCPU's translations, writable. */
static int touch_all(void)
{
	for (int i = 0; i < NPAGES; i++) {
		if (acc_read(vcpufd, gpa_of(i), page, 8))
			return 0;
		if (acc_write(vcpufd, gpa_of(i) + 8, page, 8))
			return 0;
	}
	return 1;
}

/* Whether the vCPU reads exactly the process's bytes in pages [lo, hi). */
static int coherent(int lo, int hi)
{
	for (int i = lo; i < hi; i++) {
		if (acc_read(vcpufd, gpa_of(i), page, PAGE_SZ))
			return 0;
		if (memcmp(page, mem + (uint64_t)i * PAGE_SZ, PAGE_SZ)) {
			tap_diag("page %d differs from the process's", i);
			return 0;
		}
	}
	return 1;
}

static void expect_audit(const char *when)
{
	long v = acc_audit(vmfd);

	tap_result(v == 0, "%s: audit finds 0 violations", when);
	if (v)
		tap_diag("audit returned %ld", v);
}

static void refill(unsigned int round)
{
	for (int i = 0; i < NPAGES; i++)
		acc_fill(mem + (uint64_t)i * PAGE_SZ, i, round);
}

static void test_munmap(void)
{
	long a;

	refill(1);
	tap_result(touch_all() && coherent(0, NPAGES), "munmap: vCPU maps the slot");
	munmap(mem + 5 * PAGE_SZ, 3 * PAGE_SZ);
	a = acc_read(vcpufd, gpa_of(6), page, 8);
	tap_result(a == ACC_FAULT,
		   "munmap: reading an unmapped page exits (memory fault), not stale data (%s)",
		   acc_name(a));
	tap_result(coherent(0, 5) && coherent(8, NPAGES),
		   "munmap: the pages around it still read right");
	expect_audit("munmap");
	tap_require(mmap(mem + 5 * PAGE_SZ, 3 * PAGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED,
		    "mmap MAP_FIXED");
	memset(mem + 5 * PAGE_SZ, 0xab, 3 * PAGE_SZ);
	tap_result(coherent(0, NPAGES),
		   "munmap: new memory mapped at the same address is what the vCPU reads");
}

static void test_mprotect(void)
{
	uint8_t v = 0x99;
	long a;

	refill(2);
	tap_result(touch_all() && coherent(0, NPAGES),
		   "mprotect: vCPU maps the slot writable");
	mprotect(mem, 4 * PAGE_SZ, PROT_READ);
	a = acc_write(vcpufd, gpa_of(1), &v, 1);
	tap_result(a == ACC_FAULT && mem[PAGE_SZ] == acc_pattern(1, 0, 2),
		   "mprotect RW->R: vCPU write exits and does not reach the page (%s)",
		   acc_name(a));
	tap_result(coherent(0, NPAGES), "mprotect RW->R: vCPU reads are still right");
	expect_audit("mprotect RW->R");
	tap_require(!mprotect(mem, 4 * PAGE_SZ, PROT_READ | PROT_WRITE),
		    "mprotect R->RW");
	a = acc_write(vcpufd, gpa_of(1), &v, 1);
	tap_result(a == 0 && mem[PAGE_SZ] == v,
		   "mprotect R->RW: vCPU write reaches the process again");
	mprotect(mem + 2 * PAGE_SZ, PAGE_SZ, PROT_NONE);
	a = acc_read(vcpufd, gpa_of(2), page, 8);
	tap_result(a == ACC_FAULT, "mprotect PROT_NONE: vCPU read exits (%s)",
		   acc_name(a));
	tap_require(!mprotect(mem + 2 * PAGE_SZ, PAGE_SZ, PROT_READ | PROT_WRITE),
		    "mprotect PROT_NONE->RW");
	expect_audit("mprotect");
}

static void test_dontneed(void)
{
	static const uint8_t zero[PAGE_SZ_MAX];
	uint8_t v = 0x5e;

	refill(3);
	tap_result(touch_all() && coherent(0, NPAGES),
		   "MADV_DONTNEED: vCPU maps the slot");
	madvise(mem + 10 * PAGE_SZ, 4 * PAGE_SZ, MADV_DONTNEED);
	tap_result(!memcmp(mem + 10 * PAGE_SZ, zero, PAGE_SZ) && coherent(0, NPAGES),
		   "MADV_DONTNEED: the vCPU reads the zeroes the process sees");
	acc_write(vcpufd, gpa_of(11) + 3, &v, 1);
	tap_result(mem[11 * PAGE_SZ + 3] == v,
		   "MADV_DONTNEED: a vCPU write reaches the process's new page");
	expect_audit("MADV_DONTNEED");
}

static void test_fork(void)
{
	int to_child[2], from_child[2], status;
	uint8_t v, child_saw[3];
	pid_t pid;
	long a;

	refill(4);
	tap_result(touch_all() && coherent(0, NPAGES), "fork: vCPU maps the slot writable");
	tap_require(!pipe(to_child) && !pipe(from_child), "pipe");
	fflush(stdout);
	pid = fork();
	tap_require(pid >= 0, "fork");
	if (pid == 0) {
		/* Child: wait until the parent wrote, then report its copy. */
		if (read(to_child[0], &v, 1) != 1)
			_exit(1);
		child_saw[0] = mem[0];
		child_saw[1] = mem[PAGE_SZ];
		child_saw[2] = mem[2 * PAGE_SZ];
		if (write(from_child[1], child_saw, 3) != 3)
			_exit(1);
		_exit(0);
	}
	/* With only the child holding them, a dead child means EOF, not a hang. */
	close(to_child[0]);
	close(from_child[1]);
	/* Page 0: the process writes first; page 1: the vCPU writes first. */
	mem[0] = 0xc0;
	tap_result(coherent(0, 1),
		   "fork: after the parent's COW write the vCPU reads the parent's page");
	v = 0xc1;
	a = acc_write(vcpufd, gpa_of(1), &v, 1);
	tap_result(a == 0 && mem[PAGE_SZ] == 0xc1,
		   "fork: a vCPU write breaks COW into the parent's page");
	v = 0xc2;
	a = acc_write(vcpufd, gpa_of(0), &v, 1);
	tap_result(a == 0 && mem[0] == 0xc2,
		   "fork: a vCPU write after the parent's write reaches the parent's page");
	if (write(to_child[1], &v, 1) != 1 ||
	    read(from_child[0], child_saw, 3) != 3)
		memset(child_saw, 0, 3);
	waitpid(pid, &status, 0);
	tap_result(child_saw[0] == acc_pattern(0, 0, 4) &&
		   child_saw[1] == acc_pattern(1, 0, 4) &&
		   child_saw[2] == acc_pattern(2, 0, 4),
		   "fork: the child's copy never saw the vCPU's or the parent's writes");
	tap_result(coherent(0, NPAGES), "fork: the whole slot reads what the parent sees");
	expect_audit("fork");
	close(to_child[0]);
	close(to_child[1]);
	close(from_child[0]);
	close(from_child[1]);
}

static void test_mremap(void)
{
	uint8_t *dst, *moved;
	long a;

	refill(5);
	tap_result(touch_all() && coherent(0, NPAGES), "mremap: vCPU maps the slot");
	dst = mmap(NULL, 4 * PAGE_SZ, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	moved = mremap(mem + 20 * PAGE_SZ, 4 * PAGE_SZ, 4 * PAGE_SZ,
		       MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	tap_result(moved != MAP_FAILED && moved[0] == acc_pattern(20, 0, 5),
		   "mremap: the process moved 4 pages away");
	tap_require(dst != MAP_FAILED && moved != MAP_FAILED, "mmap or mremap");
	a = acc_read(vcpufd, gpa_of(21), page, 8);
	tap_result(a == ACC_FAULT,
		   "mremap: the vCPU no longer reaches the moved pages at the slot's address (%s)",
		   acc_name(a));
	/* Move them back: the slot's address maps the same data again. */
	moved = mremap(moved, 4 * PAGE_SZ, 4 * PAGE_SZ,
		       MREMAP_MAYMOVE | MREMAP_FIXED, mem + 20 * PAGE_SZ);
	tap_require(moved != MAP_FAILED, "mremap back");
	mem[21 * PAGE_SZ] ^= 0xff;
	tap_result(moved == mem + 20 * PAGE_SZ && coherent(0, NPAGES),
		   "mremap back: the vCPU reads the pages at the slot's address again");
	expect_audit("mremap");
}

static int thp_pages(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	int kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %d kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void test_thp_split(void)
{
	uint8_t v = 0x17;
	long a;

	/* Start over with huge pages: a fresh mapping, populated by writes. */
	munmap(mem, NPAGES * PAGE_SZ);
	tap_require(mmap(mem, NPAGES * PAGE_SZ, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED,
		    "mmap MAP_FIXED");
	madvise(mem, NPAGES * PAGE_SZ, MADV_HUGEPAGE);
	refill(6);
	tap_diag("anonymous huge pages: %d kB", thp_pages());
	tap_result(touch_all() && coherent(0, NPAGES),
		   "THP: vCPU maps the huge-page-backed slot");
	/* Splitting the PMD: one 4 KiB page of the first frame read-only. */
	mprotect(mem + 3 * PAGE_SZ, PAGE_SZ, PROT_READ);
	a = acc_write(vcpufd, gpa_of(3), &v, 1);
	tap_result(a == ACC_FAULT && mem[3 * PAGE_SZ] == acc_pattern(3, 0, 6),
		   "THP split by mprotect: the read-only 4 KiB page is not writable (%s)",
		   acc_name(a));
	a = acc_write(vcpufd, gpa_of(4), &v, 1);
	tap_result(a == 0 && mem[4 * PAGE_SZ] == v,
		   "THP split by mprotect: its neighbour still is");
	tap_require(!mprotect(mem + 3 * PAGE_SZ, PAGE_SZ, PROT_READ | PROT_WRITE),
		    "mprotect R->RW");
	/* MADV_NOHUGEPAGE, then a partial munmap in the second frame. */
	madvise(mem, NPAGES * PAGE_SZ, MADV_NOHUGEPAGE);
	munmap(mem + (NPAGES / 2 + 7) * PAGE_SZ, PAGE_SZ);
	a = acc_read(vcpufd, gpa_of(NPAGES / 2 + 7), page, 8);
	tap_result(a == ACC_FAULT, "THP split by munmap: the hole exits (%s)",
		   acc_name(a));
	tap_result(coherent(0, NPAGES / 2 + 7) && coherent(NPAGES / 2 + 8, NPAGES),
		   "THP split by munmap: the rest of both frames reads right");
	/* MADV_DONTNEED of 4 KiB inside the first (split) frame. */
	madvise(mem + 9 * PAGE_SZ, PAGE_SZ, MADV_DONTNEED);
	tap_result(mem[9 * PAGE_SZ] == 0 && coherent(0, NPAGES / 2),
		   "THP: MADV_DONTNEED of one 4 KiB page zeroes exactly that page");
	expect_audit("THP split");
	tap_require(mmap(mem + (NPAGES / 2 + 7) * PAGE_SZ, PAGE_SZ,
			 PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED,
		    "mmap MAP_FIXED");
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	int devfd, r;

	r = acc_setup(dev, &devfd, &vmfd, &vcpufd);
	if (r)
		return r;
	tap_plan(NTESTS);
	tap_diag("device %s", dev);

	mem = acc_map_aligned(NPAGES * PAGE_SZ, HUGE);
	if (!mem) {
		tap_bail_rest("no memory");
		return tap_finish();
	}
	/* 4 KiB pages first: the huge page case has its own test. */
	madvise(mem, NPAGES * PAGE_SZ, MADV_NOHUGEPAGE);
	tap_expect(tap_set(vmfd, 0, 0, 0, GPA, NPAGES * PAGE_SZ, (uintptr_t)mem),
		   0, "create a 4 MiB slot");

	test_munmap();
	test_mprotect();
	test_dontneed();
	test_fork();
	test_mremap();
	test_thp_split();

	/* The same checks hold with the slot deleted and re-created. */
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, 0, 0), 0, "delete the slot");
	tap_expect(acc_read(vcpufd, gpa_of(0), page, 8), ACC_MMIO,
		   "the deleted slot's gpa exits to MMIO");
	tap_expect(tap_set(vmfd, 0, 0, 0, GPA, NPAGES * PAGE_SZ, (uintptr_t)mem),
		   0, "re-create the slot");
	tap_result(coherent(0, NPAGES / 2 + 7), "the re-created slot reads what the process sees");
	expect_audit("the end");

	close(vcpufd);
	close(vmfd);
	close(devfd);
	return tap_finish();
}
