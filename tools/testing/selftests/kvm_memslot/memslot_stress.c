// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_stress: guest accesses, slot updates and host mm changes, all at
 * once.
 *
 * Several vCPU threads read and write random pages; one thread deletes,
 * moves and re-creates slots; one thread changes the host mappings behind
 * the slots (munmap and re-mmap, mprotect, MADV_DONTNEED, fork, mremap, huge
 * page splits).  Iterations are bounded.  After every phase the threads
 * stop and the layout is put back, and then every page must read through a
 * vCPU exactly as the process sees it, and the audit must find no
 * translation that is stale.  During a phase, an access may only succeed
 * or exit; any error fails.
 *
 * Guest accesses are a kvm-memslot extension: on /dev/kvm the program skips.
 *
 * Usage: memslot_stress [device] [-i iterations per thread and phase]
 */
#define _GNU_SOURCE	/* mremap() */
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <sys/wait.h>
#include "access_util.h"

#define NPHASES		4
#define NTESTS		(2 + NPHASES * 4 + 1)
#define NVCPUS		3
#define NSLOTS		4
#define MB		0x100000UL
#define SLOT_PAGES	(2 * MB / PAGE_SZ)
#define SLOT_GPA(i)	((uint64_t)(i) * 8 * MB)
#define MOVED_GPA(i)	(64 * MB + (uint64_t)(i) * 8 * MB)

static int devfd, vmfd;
static int vcpufd[NVCPUS];
static uint8_t *mem[NSLOTS];
static atomic_int stop;
static int iterations = 6000;
static int phase_errors;
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;

static void report_error(const char *who, long r)
{
	pthread_mutex_lock(&err_lock);
	if (phase_errors++ < 10)
		tap_diag("%s: unexpected result %s", who, acc_name(r));
	pthread_mutex_unlock(&err_lock);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *vcpu_thread(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t seed = 0x9e3779b97f4a7c15ULL * (id + 1);
	uint8_t buf[PAGE_SZ];

	for (int it = 0; it < iterations && !stop; it++) {
		uint64_t r = rnd(&seed);
		int slot = r % NSLOTS, pg = (r >> 8) % SLOT_PAGES;
		uint64_t gpa = ((r >> 20) & 1 ? MOVED_GPA(slot) : SLOT_GPA(slot)) +
			       pg * PAGE_SZ;
		uint32_t len = 1 + (r >> 24) % PAGE_SZ;
		uint32_t flags = (r >> 40) & 1 ? KVM_MEMSLOT_ACCESS_WRITE : 0;
		long a;

		gpa += (r >> 44) % (PAGE_SZ - len + 1);
		memset(buf, id + 1, len);
		a = acc_access(vcpufd[id], gpa, buf, len, flags, NULL);
		/* Mid-change, anything may exit; nothing may fail. */
		if (a != 0 && a != ACC_MMIO && a != ACC_FAULT)
			report_error("vcpu", a);
	}
	return NULL;
}

static void *slot_thread(void *arg)
{
	uint64_t seed = 0xdeadbeefcafeULL;

	for (int it = 0; it < iterations / 4 && !stop; it++) {
		int slot = rnd(&seed) % NSLOTS;
		uint64_t size = SLOT_PAGES * PAGE_SZ;
		long r;

		switch (rnd(&seed) % 3) {
		case 0:	/* delete and re-create */
			r = tap_set(vmfd, 0, slot, 0, 0, 0, 0);
			if (!r)
				r = tap_set(vmfd, 0, slot, 0, SLOT_GPA(slot), size,
					    (uintptr_t)mem[slot]);
			break;
		case 1:	/* move away and back */
			r = tap_set(vmfd, 0, slot, 0, MOVED_GPA(slot), size,
				    (uintptr_t)mem[slot]);
			if (!r)
				r = tap_set(vmfd, 0, slot, 0, SLOT_GPA(slot),
					    size, (uintptr_t)mem[slot]);
			break;
		default:	/* dirty logging on and off */
			r = tap_set(vmfd, 0, slot, KVM_MEM_LOG_DIRTY_PAGES,
				    SLOT_GPA(slot), size, (uintptr_t)mem[slot]);
			if (!r)
				r = tap_set(vmfd, 0, slot, 0, SLOT_GPA(slot),
					    size, (uintptr_t)mem[slot]);
			break;
		}
		if (r)
			report_error("slot update", r);
	}
	return NULL;
}

/* The checks read every page of the slots: a hole would kill the test. */
static void remap(uint8_t *p, size_t len)
{
	tap_require(mmap(p, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED,
		    "mmap MAP_FIXED");
}

static void *mm_thread(void *arg)
{
	uint64_t seed = 0x1234567ULL;
	uint8_t *tmp = mmap(NULL, 16 * PAGE_SZ, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	for (int it = 0; it < iterations / 4 && !stop; it++) {
		uint64_t r = rnd(&seed);
		int slot = r % NSLOTS, pg = (r >> 8) % (SLOT_PAGES - 16);
		uint8_t *p = mem[slot] + (uint64_t)pg * PAGE_SZ;
		pid_t pid;

		switch ((r >> 32) % 7) {
		case 0:
			munmap(p, 4 * PAGE_SZ);
			sched_yield();
			remap(p, 4 * PAGE_SZ);
			break;
		case 1:
			mprotect(p, 8 * PAGE_SZ, PROT_READ);
			sched_yield();
			tap_require(!mprotect(p, 8 * PAGE_SZ, PROT_READ | PROT_WRITE),
				    "mprotect R->RW");
			break;
		case 2:
			madvise(p, 8 * PAGE_SZ, MADV_DONTNEED);
			break;
		case 3:
			fflush(stdout);
			pid = fork();
			if (pid == 0)
				_exit(0);
			p[0]++;	/* break copy-on-write in the parent */
			waitpid(pid, NULL, 0);
			break;
		case 4:
			if (mremap(p, 4 * PAGE_SZ, 4 * PAGE_SZ,
				   MREMAP_MAYMOVE | MREMAP_FIXED, tmp) != MAP_FAILED) {
				sched_yield();
				tap_require(mremap(tmp, 4 * PAGE_SZ, 4 * PAGE_SZ,
						   MREMAP_MAYMOVE | MREMAP_FIXED,
						   p) != MAP_FAILED, "mremap back");
				tap_require(mmap(tmp, 16 * PAGE_SZ, PROT_NONE,
						 MAP_PRIVATE | MAP_ANONYMOUS |
						 MAP_FIXED, -1, 0) != MAP_FAILED,
					    "mmap MAP_FIXED");
			}
			break;
		case 5:	/* huge pages back, then split one */
			madvise(mem[slot], SLOT_PAGES * PAGE_SZ, MADV_HUGEPAGE);
			memset(mem[slot] + (r >> 16) % SLOT_PAGES * PAGE_SZ, 1, 64);
			mprotect(p, PAGE_SZ, PROT_READ);
			tap_require(!mprotect(p, PAGE_SZ, PROT_READ | PROT_WRITE),
				    "mprotect R->RW");
			break;
		default:
			memset(p, (int)r, 64);
			break;
		}
	}
	return NULL;
}

/* Every slot back where it belongs, then compare every page. */
static int check_coherent(void)
{
	static uint8_t buf[PAGE_SZ_MAX];
	int bad = 0;

	for (int s = 0; s < NSLOTS; s++) {
		if (tap_set(vmfd, 0, s, 0, SLOT_GPA(s), SLOT_PAGES * PAGE_SZ,
			    (uintptr_t)mem[s]))
			return 0;
		for (int i = 0; i < SLOT_PAGES; i++) {
			long a = acc_read(vcpufd[0], SLOT_GPA(s) + i * PAGE_SZ,
					  buf, PAGE_SZ);

			if (a || memcmp(buf, mem[s] + (uint64_t)i * PAGE_SZ,
					PAGE_SZ)) {
				if (bad++ < 5)
					tap_diag("slot %d page %d: %s%s", s, i,
						 acc_name(a), a ? "" : ", bytes differ");
			}
		}
	}
	return !bad;
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	pthread_t vt[NVCPUS], st, mt;
	int r;

	for (int i = 1; i < argc - 1; i++)
		if (!strcmp(argv[i], "-i"))
			iterations = atoi(argv[i + 1]);
	r = acc_setup(dev, &devfd, &vmfd, &vcpufd[0]);
	if (r)
		return r;
	tap_plan(NTESTS);
	tap_diag("device %s, %d iterations per thread and phase", dev, iterations);

	for (int i = 1; i < NVCPUS; i++)
		vcpufd[i] = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, i);
	r = 0;
	for (int s = 0; s < NSLOTS; s++) {
		mem[s] = acc_map_aligned(SLOT_PAGES * PAGE_SZ, 2 * MB);
		if (!mem[s])
			r = -ENOMEM;
		else
			r |= tap_set(vmfd, 0, s, 0, SLOT_GPA(s),
				     SLOT_PAGES * PAGE_SZ, (uintptr_t)mem[s]);
	}
	if (!tap_expect(r, 0, "%d slots of 2 MiB, %d vCPUs", NSLOTS, NVCPUS)) {
		tap_bail_rest("setup failed");
		return tap_finish();
	}
	tap_result(check_coherent() && acc_audit(vmfd) == 0,
		   "before the first phase: coherent, audit 0");

	for (int ph = 0; ph < NPHASES; ph++) {
		phase_errors = 0;
		stop = 0;
		for (int i = 0; i < NVCPUS; i++)
			pthread_create(&vt[i], NULL, vcpu_thread, (void *)(intptr_t)i);
		if (ph & 1)
			pthread_create(&st, NULL, slot_thread, NULL);
		if (ph >= 1)
			pthread_create(&mt, NULL, mm_thread, NULL);
		for (int i = 0; i < NVCPUS; i++)
			pthread_join(vt[i], NULL);
		stop = 1;
		if (ph & 1)
			pthread_join(st, NULL);
		if (ph >= 1)
			pthread_join(mt, NULL);

		tap_result(phase_errors == 0,
			   "phase %d (%s): no access or update failed", ph,
			   ph == 0 ? "vCPUs only" : ph & 1 ?
			   "vCPUs, slot updates, mm changes" : "vCPUs, mm changes");
		tap_result(acc_audit(vmfd) == 0, "phase %d: audit 0 right after the phase", ph);
		tap_result(check_coherent(),
			   "phase %d: every page reads what the process sees", ph);
		tap_result(acc_audit(vmfd) == 0, "phase %d: audit 0 after the full read", ph);
	}

	for (int i = 0; i < NVCPUS; i++)
		close(vcpufd[i]);
	tap_expect(close(vmfd), 0, "close the VM");
	close(devfd);
	return tap_finish();
}
