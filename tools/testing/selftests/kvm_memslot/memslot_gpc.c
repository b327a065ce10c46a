// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_gpc: gfn_to_pfn caches (KVM_MEMSLOT_CREATE_GPC) against the real
 * host mm and real slot changes.
 *
 * A cache fd reads and writes guest memory the way an in-kernel user does
 * (check, access, refresh on a miss), so each test changes the host mm or
 * the slot layout under a cache and then checks that the next access
 * reaches exactly what the process sees at that moment:
 *
 * - basics: a miss, then hits without new refreshes; validation of the
 *   ioctl; a read cache's fd is read-only;
 * - mprotect RW -> R: a write cache goes invalid and cannot be refreshed
 *   (EFAULT, nothing written), a read cache stays usable; PROT_NONE;
 * - munmap and a new mapping, madvise(MADV_DONTNEED), fork with copy-on-
 *   write (the parent's writes never reach the child's pages), mremap onto
 *   and away from the slot's address;
 * - a shared-memory mapping replaced under a write cache: nothing written
 *   lands in the page the process no longer maps (seen through an alias);
 * - slot create, dirty logging, move and delete: the cache goes invalid,
 *   a refresh reports ENOENT where no slot is left, and the new layout
 *   where one is.
 *
 * Skips on /dev/kvm (no such ioctl there).
 *
 * Usage: memslot_gpc [device]
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/wait.h>

#include "memslot_gpc_util.h"

#define NTESTS		46
#define NPAGES		16
#define SLOT_GPA	0x100000ULL
#define MOVED_GPA	0x800000ULL
#define SHM_GPA		0x400000ULL

static int vmfd;
static unsigned char *mem;

static uint64_t page_gpa(int i)
{
	return SLOT_GPA + (uint64_t)i * PAGE_SZ;
}

static unsigned char *page_hva(int i)
{
	return mem + (size_t)i * PAGE_SZ;
}

static int set_main_slot(uint32_t flags, uint64_t gpa, uint64_t size)
{
	return (int)tap_set(vmfd, 0, 0, flags, gpa, size, (uintptr_t)mem);
}

/* Whether @fd reads exactly the @len bytes the process sees at @hva. */
static int reads_as_process(int fd, const unsigned char *hva, size_t len,
			    off_t off)
{
	unsigned char buf[PAGE_SZ];
	int r = gpc_read(fd, buf, len, off);

	if (r) {
		tap_diag("read through the cache: %s", tap_errname(-r));
		return 0;
	}
	return !memcmp(buf, hva, len);
}

static void test_basics(void)
{
	struct kvm_memslot_gpc_state st;
	unsigned char buf[64], pat[PAGE_SZ];
	int fd, wfd, r;

	fd = gpc_create(vmfd, page_gpa(1) + 0x100, 64, 0);
	tap_result(fd >= 0, "create a read cache of 64 bytes");
	r = gpc_state(fd, &st);
	tap_result(!r && !st.valid && !st.pfn_generation &&
		   st.gpa == page_gpa(1) + 0x100 && st.len == 64 && !st.flags,
		   "a new cache is not valid and was never filled");

	tap_result(reads_as_process(fd, page_hva(1) + 0x100, 64, 0) &&
		   !gpc_state(fd, &st) && st.valid && st.pfn_generation == 1,
		   "the first read refreshes it and reads guest memory");

	memset(page_hva(1) + 0x100, 0x5a, 64);
	tap_result(reads_as_process(fd, page_hva(1) + 0x100, 64, 0) &&
		   reads_as_process(fd, page_hva(1) + 0x100, 64, 0) &&
		   !gpc_state(fd, &st) && st.valid && st.pfn_generation == 1,
		   "later reads hit: same page, no refresh, fresh data");

	tap_result(pread(fd, buf, 8, 60) == 4 && pread(fd, buf, 8, 64) == 0,
		   "reads stop at the end of the cached range");
	tap_result(write(fd, buf, 8) < 0 && errno == EBADF,
		   "a read cache cannot be written (EBADF)");
	close(fd);

	wfd = gpc_create(vmfd, page_gpa(2), PAGE_SZ, KVM_MEMSLOT_GPC_WRITE);
	memset(pat, 0xc3, sizeof(pat));
	r = wfd < 0 ? wfd : gpc_write(wfd, pat, PAGE_SZ, 0);
	tap_result(!r && !memcmp(page_hva(2), pat, PAGE_SZ) &&
		   gpc_valid(wfd) == 1,
		   "a write cache of a whole page writes guest memory");
	close(wfd);

	tap_expect(gpc_create(vmfd, page_gpa(1), 0, 0), -EINVAL,
		   "an empty range is refused");
	tap_expect(gpc_create(vmfd, page_gpa(1) + 0xff8, 16, 0), -EINVAL,
		   "a range across a page boundary is refused");
	tap_expect(gpc_create(vmfd, page_gpa(1), PAGE_SZ + 1, 0), -EINVAL,
		   "a range longer than a page is refused");
	tap_expect(gpc_create(vmfd, page_gpa(1), 8, 1u << 7), -EINVAL,
		   "unknown flags are refused");
	{
		struct kvm_memslot_gpc_create c = {
			.gpa = page_gpa(1), .len = 8, .reserved = { 1 },
		};

		tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_CREATE_GPC,
				     (unsigned long)&c), -EINVAL,
			   "non-zero reserved fields are refused");
	}
	fd = gpc_create(vmfd, page_gpa(1) + 0xff8, 8, 0);
	tap_result(fd >= 0 && reads_as_process(fd, page_hva(1) + 0xff8, 8, 0),
		   "a range ending at the page's last byte works");
	if (fd >= 0)
		close(fd);

	/* Address space 1 (SMM) has no slot at all; arm64 has no such space. */
	fd = gpc_create_as(vmfd, 1, page_gpa(1), 8, 0);
	if (tap_nr_address_spaces(vmfd) < 2)
		tap_result(fd == -EINVAL,
			   "a cache in an address space without slots reports ENOENT");
	else
		tap_result(fd >= 0 && gpc_read(fd, buf, 8, 0) == -ENOENT &&
			   gpc_refresh(fd) == -ENOENT && !gpc_state(fd, &st) &&
			   st.last_error == -ENOENT && !st.valid,
			   "a cache in an address space without slots reports ENOENT");
	if (fd >= 0)
		close(fd);
}

static void test_mprotect(void)
{
	unsigned char *hva = page_hva(3), before[64], v = 0x77;
	int w = gpc_create(vmfd, page_gpa(3), 64, KVM_MEMSLOT_GPC_WRITE);
	int r = gpc_create(vmfd, page_gpa(3), 64, 0);
	unsigned char buf[64];

	memset(hva, 0x33, 64);
	tap_result(w >= 0 && r >= 0 && !gpc_write(w, &v, 1, 0) &&
		   hva[0] == v && reads_as_process(r, hva, 64, 0) &&
		   gpc_valid(w) == 1 && gpc_valid(r) == 1,
		   "mprotect: read and write caches valid on a RW page");

	mprotect(hva, PAGE_SZ, PROT_READ);
	tap_result(gpc_valid(w) == 0,
		   "mprotect RW -> R: the write cache is invalid");
	memcpy(before, hva, 64);
	v = 0x78;
	tap_result(gpc_refresh(w) == -EFAULT && gpc_write(w, &v, 1, 0) == -EFAULT &&
		   gpc_valid(w) == 0 && !memcmp(before, hva, 64),
		   "mprotect RW -> R: refreshing for write fails with EFAULT, nothing is written");
	tap_result(reads_as_process(r, hva, 64, 0) && gpc_valid(r) == 1,
		   "mprotect RW -> R: the read cache stays usable");

	mprotect(hva, PAGE_SZ, PROT_READ | PROT_WRITE);
	tap_result(!gpc_write(w, &v, 1, 0) && hva[0] == v &&
		   reads_as_process(r, hva, 64, 0),
		   "mprotect R -> RW: the write cache works again");

	mprotect(hva, PAGE_SZ, PROT_NONE);
	tap_result(gpc_read(r, buf, 64, 0) == -EFAULT &&
		   gpc_read(w, buf, 64, 0) == -EFAULT,
		   "mprotect PROT_NONE: nothing is readable through either cache");
	mprotect(hva, PAGE_SZ, PROT_READ | PROT_WRITE);
	close(w);
	close(r);
}

static void test_munmap_madvise(void)
{
	unsigned char *hva = page_hva(4), buf[64], v;
	int w = gpc_create(vmfd, page_gpa(4), 64, KVM_MEMSLOT_GPC_WRITE);
	int r = gpc_create(vmfd, page_gpa(4), 64, 0);
	void *p;

	memset(hva, 0x44, 64);
	reads_as_process(r, hva, 64, 0);
	gpc_read(w, buf, 64, 0);
	munmap(hva, PAGE_SZ);
	tap_result(gpc_valid(w) == 0 && gpc_valid(r) == 0 &&
		   gpc_read(r, buf, 64, 0) == -EFAULT &&
		   gpc_write(w, buf, 64, 0) == -EFAULT,
		   "munmap: both caches invalid, and nothing to reach (EFAULT)");

	p = mmap(hva, PAGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == hva)
		memset(hva, 0x45, 64);
	v = 0x46;
	tap_result(p == hva && reads_as_process(r, hva, 64, 0) &&
		   !gpc_write(w, &v, 1, 0) && hva[0] == v &&
		   reads_as_process(r, hva, 64, 0),
		   "a new mapping at the address is what both caches reach");

	hva = page_hva(5);
	close(w);
	close(r);
	w = gpc_create(vmfd, page_gpa(5), 64, KVM_MEMSLOT_GPC_WRITE);
	r = gpc_create(vmfd, page_gpa(5), 64, 0);
	memset(hva, 0x55, 64);
	gpc_read(w, buf, 64, 0);
	reads_as_process(r, hva, 64, 0);
	madvise(hva, PAGE_SZ, MADV_DONTNEED);
	tap_result(gpc_valid(w) == 0 && gpc_valid(r) == 0,
		   "madvise(MADV_DONTNEED): both caches invalid");
	memset(buf, 0xff, sizeof(buf));
	tap_result(!gpc_read(r, buf, 64, 0) && !buf[0] && !memcmp(buf, hva, 64),
		   "madvise(MADV_DONTNEED): the next read sees the zero-filled page");
	v = 0x56;
	tap_result(!gpc_write(w, &v, 1, 0) && hva[0] == v &&
		   reads_as_process(r, hva, 64, 0),
		   "madvise(MADV_DONTNEED): a write lands in the page the process maps now");
	close(w);
	close(r);
}

/*
 * fork() write-protects the parent's private pages; a write cache must go
 * invalid, and its next write must break copy-on-write for the parent,
 * never reach the page the child keeps.
 */
static void test_fork_cow(void)
{
	unsigned char *h6 = page_hva(6), *h7 = page_hva(7), v;
	int w6 = gpc_create(vmfd, page_gpa(6), 64, KVM_MEMSLOT_GPC_WRITE);
	int w7 = gpc_create(vmfd, page_gpa(7), 64, KVM_MEMSLOT_GPC_WRITE);
	int r7 = gpc_create(vmfd, page_gpa(7), 64, 0);
	int to_child[2], to_parent[2], status = -1;
	char c = 0;
	pid_t pid;

	memset(h6, 0x66, 64);
	memset(h7, 0x67, 64);
	v = 0x66;
	gpc_write(w6, &v, 1, 0);
	v = 0x67;
	gpc_write(w7, &v, 1, 0);
	reads_as_process(r7, h7, 64, 0);
	tap_result(gpc_valid(w6) == 1 && gpc_valid(w7) == 1 &&
		   gpc_valid(r7) == 1, "fork: caches valid before the fork");

	if (pipe(to_child) || pipe(to_parent)) {
		tap_bail_rest("pipe failed");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* The child's pages must still hold what was there at fork. */
		int ok;

		if (read(to_child[0], &c, 1) != 1)
			_exit(2);
		ok = h6[0] == 0x66 && h6[1] == 0x66 && h7[0] == 0x67 &&
		     h7[1] == 0x67;
		_exit(ok ? 0 : 1);
	}
	tap_result(pid > 0 && gpc_valid(w6) == 0 && gpc_valid(w7) == 0,
		   "fork: the parent's write caches are invalid (copy-on-write)");

	/* The cache breaks COW itself. */
	v = 0x16;
	tap_result(!gpc_write(w6, &v, 1, 0) && h6[0] == 0x16 && h6[1] == 0x66,
		   "fork: a write through the cache reaches the parent's page");
	/* The process breaks COW, then the caches follow. */
	h7[1] = 0x17;
	tap_result(gpc_valid(r7) == 0 && reads_as_process(r7, h7, 64, 0),
		   "fork: after the parent writes, the read cache sees the parent's copy");
	v = 0x27;
	tap_result(!gpc_write(w7, &v, 1, 0) && h7[0] == 0x27 &&
		   reads_as_process(r7, h7, 64, 0),
		   "fork: the write cache follows the parent's copy too");

	if (pid > 0) {
		if (write(to_child[1], &c, 1) != 1)
			kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	tap_result(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "fork: the child's pages kept their contents");
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	close(w6);
	close(w7);
	close(r7);
}

static void test_mremap(void)
{
	unsigned char *hva = page_hva(8), v;
	int w = gpc_create(vmfd, page_gpa(8), 64, KVM_MEMSLOT_GPC_WRITE);
	int r = gpc_create(vmfd, page_gpa(8), 64, 0);
	unsigned char *other = tap_map(2 * PAGE_SZ);
	void *p;

	memset(hva, 0x88, 64);
	reads_as_process(r, hva, 64, 0);
	v = 0x88;
	gpc_write(w, &v, 1, 0);
	memset(other, 0x89, 64);

	/* Another page moved onto the slot's address. */
	p = mremap(other, PAGE_SZ, PAGE_SZ, MREMAP_MAYMOVE | MREMAP_FIXED, hva);
	tap_result(p == hva && gpc_valid(w) == 0 && gpc_valid(r) == 0 &&
		   hva[0] == 0x89 && reads_as_process(r, hva, 64, 0),
		   "mremap onto the slot's address: the caches reach the moved-in page");
	v = 0x8a;
	tap_result(!gpc_write(w, &v, 1, 0) && hva[0] == 0x8a,
		   "mremap onto the slot's address: writes land in the moved-in page");

	/* The slot's page moved away: nothing is mapped there any more. */
	p = mremap(hva, PAGE_SZ, PAGE_SZ, MREMAP_MAYMOVE | MREMAP_FIXED,
		   other + PAGE_SZ);
	tap_result(p == other + PAGE_SZ && gpc_write(w, &v, 1, 0) == -EFAULT &&
		   gpc_read(r, &v, 1, 0) == -EFAULT &&
		   ((unsigned char *)p)[0] == 0x8a,
		   "mremap away from the slot's address: EFAULT, and the moved page is intact");
	p = mmap(hva, PAGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p != hva)
		tap_diag("cannot map the slot's page again");
	munmap(other, 2 * PAGE_SZ);
	close(w);
	close(r);
}

/*
 * Shared memory, seen through an alias mapping: when the slot's address is
 * mapped to another page, a write cache must write that one and never the
 * page the process no longer maps there.
 */
static void test_shared_replace(void)
{
	int mfd = (int)syscall(SYS_memfd_create, "gpc", 0);
	unsigned char *alias = NULL, *hva = NULL, v;
	void *p;
	int w = -1;

	if (mfd >= 0 && !ftruncate(mfd, 2 * PAGE_SZ)) {
		alias = mmap(NULL, 2 * PAGE_SZ, PROT_READ | PROT_WRITE,
			     MAP_SHARED, mfd, 0);
		hva = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED,
			   mfd, 0);
	}
	if (!alias || alias == MAP_FAILED || !hva || hva == MAP_FAILED ||
	    tap_set(vmfd, 0, 1, 0, SHM_GPA, PAGE_SZ, (uintptr_t)hva)) {
		tap_diag("shared memory setup failed: %s", strerror(errno));
		for (int i = 0; i < 3; i++)
			tap_result(0, "shared memory replaced under a write cache");
		return;
	}
	w = gpc_create(vmfd, SHM_GPA, 64, KVM_MEMSLOT_GPC_WRITE);
	v = 0xa0;
	tap_result(!gpc_write(w, &v, 1, 0) && alias[0] == 0xa0,
		   "shared: a write through the cache is seen through the alias");

	p = mmap(hva, PAGE_SZ, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 mfd, PAGE_SZ);
	v = 0xa1;
	tap_result(p == hva && !gpc_write(w, &v, 1, 0) &&
		   alias[PAGE_SZ] == 0xa1 && alias[0] == 0xa0,
		   "shared: after a remap, writes reach the new page, never the old one");

	munmap(hva, PAGE_SZ);
	v = 0xa2;
	tap_result(gpc_write(w, &v, 1, 0) == -EFAULT && alias[0] == 0xa0 &&
		   alias[PAGE_SZ] == 0xa1,
		   "shared: after munmap, a write fails and reaches neither page");
	close(w);
	tap_set(vmfd, 0, 1, 0, SHM_GPA, 0, 0);
	munmap(alias, 2 * PAGE_SZ);
	close(mfd);
}

static void test_slots(void)
{
	struct kvm_memslot_gpc_state st;
	unsigned char *hva = page_hva(9), v;
	uint64_t bitmap[NPAGES / 64 + 1] = { 0 };
	int w = gpc_create(vmfd, page_gpa(9), 64, KVM_MEMSLOT_GPC_WRITE);
	int r = gpc_create(vmfd, page_gpa(9), 64, 0);
	unsigned char *other = tap_map(PAGE_SZ);
	uint64_t fills;
	int moved;

	memset(hva, 0x99, 64);
	reads_as_process(r, hva, 64, 0);
	v = 0x99;
	gpc_write(w, &v, 1, 0);
	gpc_state(r, &st);
	fills = st.pfn_generation;

	tap_result(!tap_set(vmfd, 0, 2, 0, 0x40000000, PAGE_SZ, (uintptr_t)other) &&
		   gpc_valid(w) == 0 && gpc_valid(r) == 0,
		   "slots: creating another slot invalidates the caches (new generation)");
	tap_result(reads_as_process(r, hva, 64, 0) && !gpc_state(r, &st) &&
		   st.valid && st.pfn_generation == fills + 1,
		   "slots: the next read refreshes once and works");

	tap_result(!set_main_slot(KVM_MEM_LOG_DIRTY_PAGES, SLOT_GPA,
				  NPAGES * PAGE_SZ) && gpc_valid(w) == 0,
		   "slots: enabling dirty logging invalidates the caches");
	tap_get_dirty(vmfd, 0, 0, bitmap);
	memset(bitmap, 0, sizeof(bitmap));
	v = 0x9a;
	tap_result(!gpc_write(w, &v, 1, 0) && hva[0] == 0x9a &&
		   !tap_get_dirty(vmfd, 0, 0, bitmap) &&
		   (bitmap[0] >> 9 & 1) && tap_popcount(bitmap, sizeof(bitmap)) == 1,
		   "slots: a write through the cache is in the dirty log");
	set_main_slot(0, SLOT_GPA, NPAGES * PAGE_SZ);

	moved = !set_main_slot(0, MOVED_GPA, NPAGES * PAGE_SZ);
	tap_result(moved && gpc_valid(w) == 0 && gpc_valid(r) == 0 &&
		   gpc_refresh(r) == -ENOENT && gpc_write(w, &v, 1, 0) == -ENOENT &&
		   !gpc_state(w, &st) && st.last_error == -ENOENT,
		   "slots: after a move the old gpa has no slot (ENOENT)");
	{
		int r2 = gpc_create(vmfd, MOVED_GPA + 9 * PAGE_SZ, 64, 0);

		tap_result(r2 >= 0 && reads_as_process(r2, hva, 64, 0),
			   "slots: a cache of the new gpa reaches the same memory");
		if (r2 >= 0)
			close(r2);
	}

	tap_result(!set_main_slot(0, MOVED_GPA, 0) &&
		   gpc_refresh(r) == -ENOENT && gpc_valid(r) == 0,
		   "slots: after a delete, the cache is invalid and refresh reports ENOENT");
	tap_result(!set_main_slot(0, SLOT_GPA, NPAGES * PAGE_SZ) &&
		   reads_as_process(r, hva, 64, 0) && !gpc_write(w, &v, 1, 0),
		   "slots: recreating the slot makes the cache work again");
	tap_set(vmfd, 0, 2, 0, 0x40000000, 0, 0);
	munmap(other, PAGE_SZ);
	close(w);
	close(r);
}

static void test_lifetime(void)
{
	int fd = gpc_create(vmfd, page_gpa(10), 16, 0);

	memset(page_hva(10), 0xaa, 16);
	close(vmfd);
	tap_result(fd >= 0 && reads_as_process(fd, page_hva(10), 16, 0),
		   "a cache keeps the VM alive after the VM fd is closed");
	close(fd);
}

int main(int argc, char **argv)
{
	int skip;

	vmfd = gpc_open_vm(tap_device(argc, argv), &skip);
	if (skip)
		return 4;

	mem = tap_map(NPAGES * PAGE_SZ);
	if (!mem || set_main_slot(0, SLOT_GPA, NPAGES * PAGE_SZ)) {
		tap_plan(NTESTS);
		tap_bail_rest("setup failed");
		return tap_finish();
	}
	for (int i = 0; i < NPAGES; i++)
		memset(page_hva(i), 0x10 + i, PAGE_SZ);

	tap_plan(NTESTS);
	test_basics();
	test_mprotect();
	test_munmap_madvise();
	test_fork_cow();
	test_mremap();
	test_shared_replace();
	test_slots();
	test_lifetime();
	return tap_finish();
}
