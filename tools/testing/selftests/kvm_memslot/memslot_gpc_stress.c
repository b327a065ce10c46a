// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_gpc_stress: threads use gfn_to_pfn caches while others change
 * the host mappings under them and change the slot layout.
 *
 * Guest memory is NPAGES pages of a memfd, mapped shared at the slot's
 * host address; the whole memfd is also mapped at an alias, so that pages
 * the slot no longer maps can still be inspected.  Every page carries a
 * tag (which guest page it is, and a version) at offset 0.
 *
 * - readers read tags through read caches: once a page's replacement has
 *   returned to the mutator, no read that starts later may see an older
 *   version (no stale read);
 * - writers write stamps through write caches;
 * - the mutator replaces pages (mmap MAP_FIXED of a fresh memfd page with
 *   the next version), write-protects them for a moment, and zaps them
 *   (MADV_DONTNEED).  A replaced page is retired: its contents are
 *   recorded once the mmap returns and must never change again (no write
 *   lands in a page the process no longer maps); a write-protected page
 *   must not change while it is read-only;
 * - the slot changer deletes and recreates the slot, moves it away and
 *   back, and toggles dirty logging; caches must follow each layout.
 *
 * Bounded by GPC_STRESS_SECONDS (default 3) and a cap on replacements.
 * Skips on /dev/kvm.
 *
 * Usage: memslot_gpc_stress [device]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

#include "memslot_gpc_util.h"

#define NTESTS		7
#define NPAGES		4
#define POOL_PAGES	2048
#define SLOT_GPA	0x100000ULL
#define AWAY_GPA	0x10000000ULL
#define NREADERS	2
#define NWRITERS	2
#define STAMP_OFF	64

struct tag {
	uint32_t page;
	uint32_t version;
};

static int vmfd, memfd;
static unsigned char *alias, *slot_mem;
static atomic_uint cur_version[NPAGES];
static unsigned int cur_pool[NPAGES];	/* mutator only */
static unsigned int next_pool = NPAGES;
static unsigned char *retired_copy[POOL_PAGES];
static atomic_int stop;

static atomic_ulong reads_ok, writes_ok, stale_reads, bad_errors;
static atomic_ulong replaced, protected_windows, ro_violations, slot_changes;
static atomic_ulong efault_reads, enoent, eagain;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void count_error(int r, int reader)
{
	switch (r) {
	case -ENOENT:
		atomic_fetch_add(&enoent, 1);
		break;
	case -EAGAIN:
		atomic_fetch_add(&eagain, 1);
		break;
	case -EFAULT:
		/* A writer meets read-only pages; a reader never should. */
		if (reader) {
			atomic_fetch_add(&efault_reads, 1);
			atomic_fetch_add(&bad_errors, 1);
		}
		break;
	default:
		atomic_fetch_add(&bad_errors, 1);
		fprintf(stderr, "# unexpected error %s\n", tap_errname(-r));
		break;
	}
}

struct worker {
	pthread_t thread;
	int id;
	int fds[NPAGES];
};

static void *reader_fn(void *arg)
{
	struct worker *w = arg;
	uint64_t seed = 0x1234567ULL * (w->id + 1);

	while (!atomic_load(&stop)) {
		unsigned int i = xorshift(&seed) % NPAGES;
		unsigned int v0 = atomic_load(&cur_version[i]);
		struct tag t;
		int r = gpc_read(w->fds[i], &t, sizeof(t), 0);

		if (r) {
			count_error(r, 1);
			continue;
		}
		atomic_fetch_add(&reads_ok, 1);
		/* Report the first few; the count says the rest. */
		if ((t.page != i || t.version < v0) &&
		    atomic_fetch_add(&stale_reads, 1) < 5)
			fprintf(stderr, "# stale read: page %u tag (%u, %u), version %u\n",
				i, t.page, t.version, v0);
	}
	return NULL;
}

static void *writer_fn(void *arg)
{
	struct worker *w = arg;
	uint64_t seed = 0x7654321ULL * (w->id + 1), seq = 0;

	while (!atomic_load(&stop)) {
		unsigned int i = xorshift(&seed) % NPAGES;
		uint64_t stamp = (uint64_t)(w->id + 1) << 48 | ++seq;
		int r = gpc_write(w->fds[i], &stamp, sizeof(stamp),
				  STAMP_OFF + 8 * w->id);

		if (r)
			count_error(r, 0);
		else
			atomic_fetch_add(&writes_ok, 1);
	}
	return NULL;
}

/* Map pool page @k at guest page @i's host address, with a new version. */
static int replace_page(unsigned int i)
{
	unsigned int k = next_pool, old = cur_pool[i];
	unsigned int v = atomic_load(&cur_version[i]) + 1;
	struct tag t = { .page = i, .version = v };
	void *p;

	if (k >= POOL_PAGES)
		return 0;
	next_pool++;
	memcpy(alias + (size_t)k * PAGE_SZ, &t, sizeof(t));
	p = mmap(slot_mem + (size_t)i * PAGE_SZ, PAGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, memfd, (off_t)k * PAGE_SZ);
	if (p == MAP_FAILED) {
		atomic_fetch_add(&bad_errors, 1);
		return 0;
	}
	cur_pool[i] = k;
	atomic_store(&cur_version[i], v);
	/* The mmap returned: nothing may write the old page any more. */
	retired_copy[old] = malloc(PAGE_SZ);
	if (retired_copy[old])
		memcpy(retired_copy[old], alias + (size_t)old * PAGE_SZ, PAGE_SZ);
	atomic_fetch_add(&replaced, 1);
	return 1;
}

static void protect_window(unsigned int i)
{
	unsigned char *hva = slot_mem + (size_t)i * PAGE_SZ;
	unsigned char before[PAGE_SZ];

	if (mprotect(hva, PAGE_SZ, PROT_READ)) {
		atomic_fetch_add(&bad_errors, 1);
		return;
	}
	memcpy(before, alias + (size_t)cur_pool[i] * PAGE_SZ, PAGE_SZ);
	sched_yield();
	usleep(200);
	if (memcmp(before, alias + (size_t)cur_pool[i] * PAGE_SZ, PAGE_SZ))
		atomic_fetch_add(&ro_violations, 1);
	mprotect(hva, PAGE_SZ, PROT_READ | PROT_WRITE);
	atomic_fetch_add(&protected_windows, 1);
}

static void *mutator_fn(void *arg)
{
	uint64_t seed = 0xfeedULL;

	while (!atomic_load(&stop)) {
		unsigned int i = xorshift(&seed) % NPAGES;

		switch (xorshift(&seed) % 4) {
		case 0:
		case 1:
			replace_page(i);
			break;
		case 2:
			protect_window(i);
			break;
		default:
			madvise(slot_mem + (size_t)i * PAGE_SZ, PAGE_SZ,
				MADV_DONTNEED);
			break;
		}
		usleep(100);
	}
	return NULL;
}

static int set_slot(uint32_t flags, uint64_t gpa, uint64_t size)
{
	return (int)tap_set(vmfd, 0, 0, flags, gpa, size, (uintptr_t)slot_mem);
}

static void *slot_fn(void *arg)
{
	uint64_t seed = 0xabcdULL;
	int r = 0;

	while (!atomic_load(&stop)) {
		switch (xorshift(&seed) % 3) {
		case 0:
			r |= set_slot(0, SLOT_GPA, 0);
			r |= set_slot(0, SLOT_GPA, NPAGES * PAGE_SZ);
			break;
		case 1:
			r |= set_slot(0, AWAY_GPA, NPAGES * PAGE_SZ);
			usleep(100);
			r |= set_slot(0, SLOT_GPA, NPAGES * PAGE_SZ);
			break;
		default:
			r |= set_slot(KVM_MEM_LOG_DIRTY_PAGES, SLOT_GPA,
				      NPAGES * PAGE_SZ);
			r |= set_slot(0, SLOT_GPA, NPAGES * PAGE_SZ);
			break;
		}
		if (r) {
			atomic_fetch_add(&bad_errors, 1);
			fprintf(stderr, "# slot change failed: %s\n", strerror(errno));
			r = 0;
		}
		atomic_fetch_add(&slot_changes, 1);
		usleep(500);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct worker readers[NREADERS], writers[NWRITERS];
	pthread_t mutator, slotter;
	const char *env = getenv("GPC_STRESS_SECONDS");
	double seconds = env ? atof(env) : 3.0, t0;
	unsigned long retired_changed = 0, nretired = 0;
	int skip, ok = 1;
	unsigned int i, k;

	vmfd = gpc_open_vm(tap_device(argc, argv), &skip);
	if (skip)
		return 4;
	tap_plan(NTESTS);

	memfd = (int)syscall(SYS_memfd_create, "gpc-stress", 0);
	if (memfd < 0 || ftruncate(memfd, (off_t)POOL_PAGES * PAGE_SZ))
		ok = 0;
	if (ok) {
		alias = mmap(NULL, POOL_PAGES * PAGE_SZ, PROT_READ | PROT_WRITE,
			     MAP_SHARED, memfd, 0);
		slot_mem = mmap(NULL, NPAGES * PAGE_SZ, PROT_READ | PROT_WRITE,
				MAP_SHARED, memfd, 0);
		ok = alias != MAP_FAILED && slot_mem != MAP_FAILED;
	}
	for (i = 0; ok && i < NPAGES; i++) {
		struct tag t = { .page = i, .version = 0 };

		memcpy(alias + (size_t)i * PAGE_SZ, &t, sizeof(t));
		cur_pool[i] = i;
	}
	ok = ok && !set_slot(0, SLOT_GPA, NPAGES * PAGE_SZ);
	for (k = 0; ok && k < NREADERS + NWRITERS; k++) {
		struct worker *w = k < NREADERS ? &readers[k] :
					&writers[k - NREADERS];

		w->id = k < NREADERS ? (int)k : (int)(k - NREADERS);
		for (i = 0; i < NPAGES; i++) {
			w->fds[i] = gpc_create(vmfd, SLOT_GPA + i * PAGE_SZ, 128,
					       k < NREADERS ? 0 : KVM_MEMSLOT_GPC_WRITE);
			ok = ok && w->fds[i] >= 0;
		}
	}
	tap_result(ok, "setup: shared memory, slot and %d caches",
		   (NREADERS + NWRITERS) * NPAGES);
	if (!ok) {
		tap_bail_rest("setup failed");
		return tap_finish();
	}

	for (k = 0; k < NREADERS; k++)
		pthread_create(&readers[k].thread, NULL, reader_fn, &readers[k]);
	for (k = 0; k < NWRITERS; k++)
		pthread_create(&writers[k].thread, NULL, writer_fn, &writers[k]);
	pthread_create(&mutator, NULL, mutator_fn, NULL);
	pthread_create(&slotter, NULL, slot_fn, NULL);

	t0 = now_s();
	while (now_s() - t0 < seconds && next_pool < POOL_PAGES)
		usleep(10000);
	atomic_store(&stop, 1);
	for (k = 0; k < NREADERS; k++)
		pthread_join(readers[k].thread, NULL);
	for (k = 0; k < NWRITERS; k++)
		pthread_join(writers[k].thread, NULL);
	pthread_join(mutator, NULL);
	pthread_join(slotter, NULL);

	for (k = 0; k < POOL_PAGES; k++) {
		if (!retired_copy[k])
			continue;
		nretired++;
		if (memcmp(retired_copy[k], alias + (size_t)k * PAGE_SZ, PAGE_SZ))
			retired_changed++;
		free(retired_copy[k]);
	}

	tap_diag("%.1f s: %lu reads, %lu writes, %lu replaced, %lu read-only, %lu slot changes",
		 now_s() - t0, atomic_load(&reads_ok), atomic_load(&writes_ok),
		 atomic_load(&replaced), atomic_load(&protected_windows),
		 atomic_load(&slot_changes));
	tap_diag("transient errors: %lu ENOENT, %lu EAGAIN",
		 atomic_load(&enoent), atomic_load(&eagain));

	tap_result(!atomic_load(&stale_reads),
		   "no read saw a page older than the one mapped when it started");
	tap_result(!retired_changed,
		   "no write landed in a page after it was unmapped (%lu checked)",
		   nretired);
	tap_result(!atomic_load(&ro_violations),
		   "no write landed in a page while it was read-only");
	tap_result(!atomic_load(&bad_errors),
		   "no unexpected error (reads never EFAULT, slot changes succeed)");
	tap_result(atomic_load(&reads_ok) && atomic_load(&writes_ok) &&
		   atomic_load(&replaced) && atomic_load(&protected_windows) &&
		   atomic_load(&slot_changes),
		   "every thread made progress");

	/* Quiet now: every cache reaches exactly what the process maps. */
	ok = 1;
	for (k = 0; k < NREADERS + NWRITERS; k++) {
		struct worker *w = k < NREADERS ? &readers[k] :
					&writers[k - NREADERS];

		for (i = 0; i < NPAGES; i++) {
			unsigned char buf[128];

			if (gpc_read(w->fds[i], buf, sizeof(buf), 0) ||
			    memcmp(buf, slot_mem + (size_t)i * PAGE_SZ, sizeof(buf)))
				ok = 0;
			close(w->fds[i]);
		}
	}
	tap_result(ok, "afterwards every cache reads what the process maps");
	close(vmfd);
	return tap_finish();
}
