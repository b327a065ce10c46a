// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_dirty_harvest: no guest write escapes the dirty log.
 *
 * Writer threads write random pages of a dirty-logged slot through vCPU
 * accesses while another thread harvests the log over and over.  Checked:
 * - the union of all harvested bitmaps is exactly the set of pages written
 *   (nothing lost, nothing invented);
 * - every single write is in a harvest that was not finished before the
 *   write started, and no later than the first harvest that started after
 *   the write returned (invariant 4: every write is in the next
 *   KVM_GET_DIRTY_LOG);
 * - the audit finds no writable translation of a page whose bit is clear.
 * Three rounds: KVM_GET_DIRTY_LOG alone; with manual protection
 * (KVM_GET_DIRTY_LOG then KVM_CLEAR_DIRTY_LOG); and with logging enabled
 * only after the writers had mapped every page writable.
 *
 * Guest accesses are a kvm-memslot extension: on /dev/kvm the program skips.
 *
 * Usage: memslot_dirty_harvest [device] [-i writes per thread]
 */
#include <pthread.h>
#include <stdatomic.h>
#include "access_util.h"

#define NROUNDS		3
#define NTESTS		(1 + NROUNDS * 5)
#define NWRITERS	3
#define NPAGES		1024
#define WORDS		(NPAGES / 64)
#define GPA		0x40000000ULL
#define MAX_HARVESTS	20000

struct write_rec {
	uint32_t page;
	uint32_t done_before;	/* harvests finished before the write started */
	uint32_t started_after;	/* harvests started when the write returned */
};

static int vmfd, vcpufd[NWRITERS];
static uint8_t *mem;
static int writes_per_thread = 3000;
static int round_nr;
static struct write_rec *recs[NWRITERS];
static uint64_t written[WORDS];
static uint64_t (*harvests)[WORDS];
static atomic_uint h_started, h_done;
static atomic_int writers_left;
static int manual;
static atomic_int errors;

static void *writer(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t s = 0x2545f4914f6cdd1dULL * (id + 3 + 8 * round_nr);
	uint8_t v = id + 1;

	for (int i = 0; i < writes_per_thread; i++) {
		struct write_rec *w = &recs[id][i];
		long a;

		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		w->page = s % NPAGES;
		w->done_before = atomic_load(&h_done);
		a = acc_write(vcpufd[id], GPA + (uint64_t)w->page * PAGE_SZ +
			      (s >> 32) % PAGE_SZ, &v, 1);
		w->started_after = atomic_load(&h_started);
		if (a) {
			errors++;
			tap_diag("vCPU %d write: %s", id, acc_name(a));
		}
	}
	atomic_fetch_sub(&writers_left, 1);
	return NULL;
}

/* One harvest, stored as number h_started (1-based). */
static int harvest(void)
{
	unsigned int n = atomic_fetch_add(&h_started, 1);
	uint64_t *b = harvests[n];
	long r;

	memset(b, 0, sizeof(harvests[0]));
	r = tap_get_dirty(vmfd, 0, 0, b);
	if (!r && manual)
		r = tap_clear_dirty(vmfd, 0, 0, 0, NPAGES, b);
	atomic_fetch_add(&h_done, 1);
	if (r) {
		errors++;
		tap_diag("dirty log ioctl: %s", tap_errname((int)-r));
	}
	return n + 1 < MAX_HARVESTS - 1;
}

static void *harvester(void *arg)
{
	while (atomic_load(&writers_left) && harvest())
		;
	return NULL;
}

static void run_round(const char *name, int manual_protect, int premap)
{
	pthread_t wt[NWRITERS], ht;
	uint64_t uni[WORDS] = { 0 };
	unsigned int nh;
	int late = 0, exact = 1;
	long r;

	/* A VM type without manual protection (PowerPC) has no such round. */
	if (manual_protect && !tap_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2)) {
		for (int i = 0; i < 5; i++)
			tap_skip("%s: no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2", name);
		return;
	}
	manual = manual_protect;
	errors = 0;
	memset(written, 0, sizeof(written));
	atomic_store(&h_started, 0);
	atomic_store(&h_done, 0);
	atomic_store(&writers_left, NWRITERS);

	round_nr++;
	/* Start from no slot (the first round has none to delete). */
	tap_set(vmfd, 0, 0, 0, 0, 0, 0);
	r = 0;
	if (tap_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2))
		r = tap_enable_cap(vmfd, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, 0,
				   manual_protect ? KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE : 0);
	r |= tap_set(vmfd, 0, 0, premap ? 0 : KVM_MEM_LOG_DIRTY_PAGES, GPA,
		     NPAGES * PAGE_SZ, (uintptr_t)mem);
	if (premap) {
		uint8_t v = 0;

		/* Writable translations for every page, then logging on. */
		for (int p = 0; p < NPAGES; p++)
			r |= acc_write(vcpufd[0], GPA + (uint64_t)p * PAGE_SZ, &v, 1);
		r |= tap_set(vmfd, 0, 0, KVM_MEM_LOG_DIRTY_PAGES, GPA,
			     NPAGES * PAGE_SZ, (uintptr_t)mem);
	}
	tap_expect(r, 0, "%s: slot of %d pages logging dirty pages", name, NPAGES);

	for (int i = 0; i < NWRITERS; i++)
		pthread_create(&wt[i], NULL, writer, (void *)(intptr_t)i);
	pthread_create(&ht, NULL, harvester, NULL);
	for (int i = 0; i < NWRITERS; i++)
		pthread_join(wt[i], NULL);
	pthread_join(ht, NULL);
	harvest();	/* the final harvest, after every write returned */
	nh = atomic_load(&h_started);

	for (unsigned int h = 0; h < nh; h++)
		for (int w = 0; w < WORDS; w++)
			uni[w] |= harvests[h][w];
	for (int t = 0; t < NWRITERS; t++) {
		for (int i = 0; i < writes_per_thread; i++) {
			struct write_rec *w = &recs[t][i];
			unsigned int lo = w->done_before, hi = w->started_after;
			int found = 0;

			written[w->page / 64] |= 1ULL << (w->page % 64);
			/* Harvests lo .. hi (0-based) may hold this write. */
			for (unsigned int h = lo; h <= hi && h < nh; h++)
				if (harvests[h][w->page / 64] & (1ULL << (w->page % 64)))
					found = 1;
			if (!found && late++ < 5)
				tap_diag("write to page %u not in harvests %u..%u",
					 w->page, lo, hi);
		}
	}
	for (int w = 0; w < WORDS; w++)
		if (uni[w] != written[w])
			exact = 0;
	tap_diag("%s: %u harvests, %d pages written", name, nh,
		 tap_popcount(written, sizeof(written)));
	tap_result(!errors, "%s: every write and harvest succeeded", name);
	tap_result(exact, "%s: the union of the harvests is exactly the pages written", name);
	tap_result(!late, "%s: every write is in the next harvest", name);
	tap_result(acc_audit(vmfd) == 0, "%s: audit 0", name);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	int devfd, r;

	for (int i = 1; i < argc - 1; i++)
		if (!strcmp(argv[i], "-i"))
			writes_per_thread = atoi(argv[i + 1]);
	r = acc_setup(dev, &devfd, &vmfd, &vcpufd[0]);
	if (r)
		return r;
	tap_plan(NTESTS);
	tap_diag("device %s, %d writes per thread", dev, writes_per_thread);

	for (int i = 1; i < NWRITERS; i++)
		vcpufd[i] = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, i);
	for (int i = 0; i < NWRITERS; i++)
		recs[i] = calloc(writes_per_thread, sizeof(*recs[i]));
	harvests = calloc(MAX_HARVESTS, sizeof(*harvests));
	mem = tap_map(NPAGES * PAGE_SZ);
	tap_expect(mem && harvests && recs[NWRITERS - 1] && vcpufd[NWRITERS - 1] >= 0,
		   1, "setup: %d vCPUs, memory", NWRITERS);
	if (tap_failed) {
		tap_bail_rest("setup failed");
		return tap_finish();
	}

	run_round("GET_DIRTY_LOG", 0, 0);
	run_round("manual protect (GET + CLEAR)", 1, 0);
	run_round("logging enabled over writable translations", 0, 1);

	close(devfd);
	return tap_finish();
}
