// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_flush_race: vCPU accesses against a slot that is moved, deleted
 * and re-created under them, checking that no access ever goes through a
 * stale translation.
 *
 * The race it looks for: a fault finds the slot live, resolves the host
 * page, and installs a translation after the backend's flush of that slot
 * already ran.  On arm64 the flush's TLB invalidation is a broadcast that
 * does not wait for vCPUs, which makes it tempting to flush before the
 * slot is published INVALID; this test is what fails if anyone does.
 *
 * The updating thread publishes the layout it is about to make under a
 * sequence count (odd while an update runs).  A vCPU thread reads the
 * count, accesses a page, and reads the count again: if nothing changed,
 * the access ran entirely under one layout, and it must have read that
 * layout's buffer (each page carries its buffer's tag) or exited to MMIO
 * where no slot is.  Anything else went through a stale translation.  The
 * updater also runs the audit every few updates and at the end, and
 * leaves each layout in place until the vCPU threads have checked a few
 * accesses under it.
 *
 * To see it fail, load the module and set its test-only parameter
 * test_flush_before_invalid (/sys/module/kvm_memslot/parameters/), which
 * moves the flush before the INVALID publish, as memslot_ppc_race does.
 *
 * Guest accesses are a kvm-memslot extension: on /dev/kvm the program skips.
 *
 * Usage: memslot_flush_race [device] [--vm-type=N] [-i updates]
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include "access_util.h"

#define NTESTS		6
#define NVCPUS		2
#define NPAGES		16
#define SLOT_SIZE	(NPAGES * PAGE_SZ)
#define MB		0x100000UL
/* Two places the slot moves between, in every VM type's IPA space. */
static const uint64_t place[2] = { 16 * MB, 48 * MB };

static int devfd, vmfd;
static int vcpufd[NVCPUS];
static uint8_t *buf[2];
static int updates = 1500;

/* Sequence count of the layout (odd: an update is running). */
static atomic_ulong seq;
/* The layout while @seq is even: the slot's place, or -1, and buffer. */
static atomic_int cur_place, cur_buf;
static atomic_int done;
/* Accesses checked (or failed) so far, over all vCPU threads. */
static atomic_ulong checked_total;

struct vcpu_result {
	unsigned long checked, hits, mmio, stale, errors;
};

static struct vcpu_result results[NVCPUS];

static uint64_t tag(int b, uint64_t page)
{
	return 0x5ab0000000000000ULL | ((uint64_t)b << 32) | page;
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
	long idx = (long)arg;
	struct vcpu_result *res = &results[idx];
	uint64_t s = 0x9e3779b97f4a7c15ULL * (idx + 1), val, page;
	unsigned long s1, s2;
	int p, lay_place, lay_buf;
	long r;

	while (!atomic_load(&done)) {
		/*
		 * Accesses while an update runs are what races the flush;
		 * they are only not checked.
		 */
		s1 = atomic_load_explicit(&seq, memory_order_acquire);
		lay_place = atomic_load_explicit(&cur_place, memory_order_relaxed);
		lay_buf = atomic_load_explicit(&cur_buf, memory_order_relaxed);
		p = rnd(&s) & 1;
		page = rnd(&s) % NPAGES;
		val = 0;
		r = acc_read(vcpufd[idx], place[p] + page * PAGE_SZ, &val,
			     sizeof(val));
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&seq, memory_order_relaxed);
		if (r != 0 && r != ACC_MMIO) {
			/* Counted as progress too: the updater never waits for ever. */
			res->errors++;
			atomic_fetch_add(&checked_total, 1);
			continue;
		}
		if ((s1 & 1) || s1 != s2)
			continue;
		/* The whole access ran under one layout: check it. */
		res->checked++;
		atomic_fetch_add(&checked_total, 1);
		if (lay_place == p) {
			if (r == 0 && val == tag(lay_buf, page))
				res->hits++;
			else
				res->stale++;
		} else if (r == ACC_MMIO) {
			res->mmio++;
		} else {
			res->stale++;
		}
	}
	return NULL;
}

static long set_slot(int p, int b)
{
	return tap_set(vmfd, 0, 0, 0, p < 0 ? 0 : place[p],
		       p < 0 ? 0 : SLOT_SIZE, (uint64_t)buf[b]);
}

/* Change the layout to (@p, @b) with @calls, under the sequence count. */
static long update(int p, int b, int how)
{
	long r;

	atomic_fetch_add_explicit(&seq, 1, memory_order_acq_rel);
	if (how == 0) {
		/* A move: the same slot at the other place. */
		r = set_slot(p, b);
	} else {
		/* A delete, then a create with the other buffer. */
		r = set_slot(-1, 0);
		if (!r)
			r = set_slot(p, b);
	}
	atomic_store_explicit(&cur_place, p, memory_order_relaxed);
	atomic_store_explicit(&cur_buf, b, memory_order_relaxed);
	atomic_fetch_add_explicit(&seq, 1, memory_order_release);
	return r;
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	struct vcpu_result sum = {};
	long audit = 0, a, r = 0;
	unsigned long target;
	pthread_t th[NVCPUS];
	int i, p = 0, b = 0, vcpu0, rc;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-i") && i + 1 < argc)
			updates = atoi(argv[++i]);

	rc = acc_setup(dev, &devfd, &vmfd, &vcpu0);
	if (rc)
		return rc;
	tap_plan(NTESTS);
	tap_diag("device %s, VM type %lu, %d updates, %d vCPU threads",
		 dev, tap_vm_type, updates, NVCPUS);

	vcpufd[0] = vcpu0;
	for (i = 1; i < NVCPUS; i++)
		vcpufd[i] = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, i);
	for (i = 0; i < 2; i++) {
		buf[i] = tap_map(SLOT_SIZE);
		tap_require(!!buf[i], "mmap");
		for (uint64_t pg = 0; pg < NPAGES; pg++)
			memcpy(buf[i] + pg * PAGE_SZ, &(uint64_t){ tag(i, pg) }, 8);
	}
	atomic_store(&cur_place, 0);
	atomic_store(&cur_buf, 0);
	if (!tap_expect(set_slot(0, 0), 0, "slot created") || vcpufd[1] < 0) {
		tap_bail_rest("no slot or vCPU");
		return tap_finish();
	}

	for (i = 0; i < NVCPUS; i++)
		pthread_create(&th[i], NULL, vcpu_thread, (void *)(long)i);
	for (i = 0; i < updates && !r; i++) {
		int how = i % 3 == 2;

		p ^= 1;
		if (how)
			b ^= 1;
		r = update(p, b, how);
		/*
		 * Let the layout stand until the vCPU threads checked a few
		 * accesses under it: that is when a stale translation shows.
		 */
		target = atomic_load(&checked_total) + NVCPUS;
		while (atomic_load(&checked_total) < target)
			sched_yield();
		if (i % 8 == 7) {
			a = acc_audit(vmfd);
			audit += a < 0 ? 1 : a;
		}
	}
	atomic_store(&done, 1);
	for (i = 0; i < NVCPUS; i++) {
		pthread_join(th[i], NULL);
		sum.checked += results[i].checked;
		sum.hits += results[i].hits;
		sum.mmio += results[i].mmio;
		sum.stale += results[i].stale;
		sum.errors += results[i].errors;
	}
	a = acc_audit(vmfd);
	audit += a < 0 ? 1 : a;
	tap_diag("%lu accesses checked: %lu hits, %lu MMIO exits, %lu stale; %lu errors",
		 sum.checked, sum.hits, sum.mmio, sum.stale, sum.errors);

	tap_expect(r, 0, "every move, delete and create succeeded");
	tap_result(sum.errors == 0, "accesses only hit or exit to MMIO");
	tap_result(sum.hits && sum.mmio,
		   "accesses under a stable layout both hit and exited");
	tap_result(sum.stale == 0,
		   "no access went through a stale translation (generation check)");
	tap_result(audit == 0, "the audit found no stale translation (%ld)", audit);
	return tap_finish();
}
