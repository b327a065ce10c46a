// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_dirty_ring: the dirty ring (KVM_CAP_DIRTY_LOG_RING) as Linux 6.1
 * offers it.
 *
 * The ABI part runs on /dev/kvm and /dev/kvm-memslot alike: the capability
 * values, the rules for enabling (a power of two between a page and 64K
 * entries, once, before any vCPU; the size taken as a u32), the ring
 * mapped from the vCPU fd (shared only, never executable), the bitmap
 * ioctls refused with ENXIO, KVM_RESET_DIRTY_RINGS without rings.  A VM
 * type whose architecture has no rings in 6.1 must refuse them.
 *
 * The rest drives the ring through kvm-memslot's vCPU accesses and skips on
 * /dev/kvm: one entry per newly dirtied page, none again until a reset
 * re-protects it, the soft-full exit and resuming after a reset, and a
 * harvest: vCPU threads write random pages while a collector reads the
 * rings and resets them; the pages harvested must be exactly the pages
 * written, and no page may have more entries than writes (and resets
 * that raced with one).
 *
 * Usage: memslot_dirty_ring [device] [--vm-type=N]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include "access_util.h"

#ifndef KVM_CAP_DIRTY_LOG_RING_ACQ_REL
#define KVM_CAP_DIRTY_LOG_RING_ACQ_REL 223
#endif
#ifndef KVM_DIRTY_LOG_PAGE_OFFSET
#define KVM_DIRTY_LOG_PAGE_OFFSET 64
#endif

#define NR_ABI		17
#define NR_EXT		8
#define NTESTS		(NR_ABI + NR_EXT)

/* KVM 6.1: 64K entries of 16 bytes at most, 64 kept free */
#define RING_MAX_BYTES	(65536UL * sizeof(struct kvm_dirty_gfn))
#define RING_RSVD	64

#define SLOT_GPA	0x10000000UL
#define SLOT_PAGES	512
#define HARVEST_VCPUS	2
#define HARVEST_WRITES	3000

static int enable_ring(int vmfd, uint32_t cap, uint64_t size)
{
	struct kvm_enable_cap c = { .cap = cap, .args = { size } };

	return (int)tap_ioctl(vmfd, KVM_ENABLE_CAP, (unsigned long)&c);
}

static struct kvm_dirty_gfn *map_ring(int vcpufd, size_t bytes, int prot,
				      int flags)
{
	void *p = mmap(NULL, bytes, prot, flags, vcpufd,
		       KVM_DIRTY_LOG_PAGE_OFFSET * PAGE_SZ);

	return p == MAP_FAILED ? NULL : p;
}

/* ---- collecting entries, as a VMM does ---- */

struct ring {
	struct kvm_dirty_gfn *gfns;
	uint32_t size;		/* entries */
	uint32_t next;		/* next entry to collect */
};

/*
 * Collect the entries the vCPU has published, mark them for reset and
 * call @fn(slot, offset) for each.  Return how many.
 */
static unsigned int ring_collect(struct ring *r,
				 void (*fn)(uint32_t slot, uint64_t offset,
					    void *arg), void *arg)
{
	unsigned int n = 0;

	for (;;) {
		struct kvm_dirty_gfn *e = &r->gfns[r->next & (r->size - 1)];
		uint32_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);

		if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (fn)
			fn(e->slot, e->offset, arg);
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET,
				 __ATOMIC_RELEASE);
		r->next++;
		n++;
	}
	return n;
}

/* ---- the harvest ---- */

struct harvest {
	int vmfd;
	int vcpufd[HARVEST_VCPUS];
	struct ring ring[HARVEST_VCPUS];
	/* Writes to each page started, and completed, by the writers */
	atomic_uint started[SLOT_PAGES];
	atomic_uint completed[SLOT_PAGES];
	/* Entries the collector found for each page */
	unsigned int harvested[SLOT_PAGES];
	/* Resets during which a write to the page was in flight */
	unsigned int inflight_resets[SLOT_PAGES];
	unsigned int completed_before[SLOT_PAGES];
	unsigned int bad_entries;
	atomic_int writers_left;
	atomic_int errors;
};

struct writer {
	struct harvest *h;
	int idx;
};

static void *writer_fn(void *arg)
{
	struct writer *w = arg;
	struct harvest *h = w->h;
	unsigned int seed = 7 + w->idx, i;
	uint64_t val;
	long r;

	for (i = 0; i < HARVEST_WRITES; i++) {
		unsigned int page = rand_r(&seed) % SLOT_PAGES;

		val = ((uint64_t)w->idx << 32) | i;
		/* Counted first: a harvest may see the entry before we return. */
		atomic_fetch_add(&h->started[page], 1);
		for (;;) {
			r = acc_write(h->vcpufd[w->idx],
				      SLOT_GPA + page * PAGE_SZ + 8 * w->idx,
				      &val, sizeof(val));
			if (r != ACC_ERR_EXIT + KVM_MEMSLOT_EXIT_DIRTY_RING_FULL)
				break;
			/* Wait for the collector to make room. */
			sched_yield();
		}
		if (r) {
			atomic_fetch_add(&h->errors, 1);
			break;
		}
		atomic_fetch_add(&h->completed[page], 1);
	}
	atomic_fetch_sub(&h->writers_left, 1);
	return NULL;
}

static void harvest_one(uint32_t slot, uint64_t offset, void *arg)
{
	struct harvest *h = arg;

	if (slot != 1 || offset >= SLOT_PAGES) {
		h->bad_entries++;
		return;
	}
	h->harvested[offset]++;
}

/*
 * Collect and reset.  A write whose fault pushed an entry and then lost
 * its translation to a reset before it landed faults and pushes again:
 * the second entry is what tells the collector that the page changed after
 * it read the first.  So a page may have one entry per write, plus one per
 * reset during which a write to it was in flight (started before the reset
 * ended and not completed before it began).
 */
static void harvest_round(struct harvest *h)
{
	unsigned int i, n = 0;

	for (i = 0; i < HARVEST_VCPUS; i++)
		n += ring_collect(&h->ring[i], harvest_one, h);
	if (!n)
		return;
	for (i = 0; i < SLOT_PAGES; i++)
		h->completed_before[i] = atomic_load(&h->completed[i]);
	if (tap_ioctl(h->vmfd, KVM_RESET_DIRTY_RINGS, 0) != n)
		atomic_fetch_add(&h->errors, 1);
	for (i = 0; i < SLOT_PAGES; i++)
		if (atomic_load(&h->started[i]) > h->completed_before[i])
			h->inflight_resets[i]++;
}

/* Returns 1 if the harvest saw exactly the pages written. */
static int run_harvest(int devfd, char *mem, uint32_t ring_bytes)
{
	static struct harvest h;
	struct writer w[HARVEST_VCPUS];
	pthread_t t[HARVEST_VCPUS];
	unsigned int i, lost = 0, spurious = 0;

	memset(&h, 0, sizeof(h));
	h.vmfd = tap_create_vm(devfd);
	if (h.vmfd < 0 || enable_ring(h.vmfd, KVM_CAP_DIRTY_LOG_RING,
				      ring_bytes))
		return 0;
	for (i = 0; i < HARVEST_VCPUS; i++) {
		h.vcpufd[i] = (int)tap_ioctl(h.vmfd, KVM_CREATE_VCPU, i);
		h.ring[i].size = ring_bytes / sizeof(struct kvm_dirty_gfn);
		h.ring[i].gfns = h.vcpufd[i] < 0 ? NULL :
			map_ring(h.vcpufd[i], ring_bytes,
				 PROT_READ | PROT_WRITE, MAP_SHARED);
		if (!h.ring[i].gfns)
			return 0;
	}
	if (tap_set(h.vmfd, 0, 1, KVM_MEM_LOG_DIRTY_PAGES, SLOT_GPA,
		    SLOT_PAGES * PAGE_SZ, (uint64_t)(uintptr_t)mem))
		return 0;

	atomic_store(&h.writers_left, HARVEST_VCPUS);
	for (i = 0; i < HARVEST_VCPUS; i++) {
		w[i].h = &h;
		w[i].idx = i;
		pthread_create(&t[i], NULL, writer_fn, &w[i]);
	}
	while (atomic_load(&h.writers_left))
		harvest_round(&h);
	for (i = 0; i < HARVEST_VCPUS; i++)
		pthread_join(t[i], NULL);
	harvest_round(&h);

	for (i = 0; i < SLOT_PAGES; i++) {
		unsigned int started = atomic_load(&h.started[i]);

		if (started && !h.harvested[i])
			lost++;
		if (h.harvested[i] > started + h.inflight_resets[i])
			spurious++;
	}
	if (lost || spurious || h.bad_entries || atomic_load(&h.errors))
		tap_diag("harvest: %u pages lost, %u with too many entries, %u bad, %d errors",
			 lost, spurious, h.bad_entries, atomic_load(&h.errors));
	for (i = 0; i < HARVEST_VCPUS; i++) {
		munmap(h.ring[i].gfns, ring_bytes);
		close(h.vcpufd[i]);
	}
	close(h.vmfd);
	return !lost && !spurious && !h.bad_entries && !atomic_load(&h.errors);
}

/* ---- single steps through one vCPU ---- */

static void count_one(uint32_t slot, uint64_t offset, void *arg)
{
	uint64_t *last = arg;

	last[0]++;
	last[1] = ((uint64_t)slot << 32) | offset;
}

static void ext_tests(int devfd, int vmfd, int vcpufd, struct kvm_dirty_gfn *gfns,
		      uint32_t ring_bytes, char *mem)
{
	struct ring r = { gfns, ring_bytes / sizeof(*gfns), 0 };
	uint32_t soft = r.size - RING_RSVD;
	struct kvm_memslot_access out;
	uint64_t seen[2] = { 0, 0 };
	static char buf[SLOT_PAGES * PAGE_SZ_MAX];
	int i, ok;

	memset(buf, 0x5a, sizeof(buf));
	/* Three pages written: three entries, in order. */
	ok = 1;
	for (i = 0; i < 3; i++)
		ok &= acc_write(vcpufd, SLOT_GPA + (10 + i) * PAGE_SZ, buf, 8) == 0;
	for (i = 0; i < 3; i++) {
		struct kvm_dirty_gfn *e = &gfns[i];

		ok &= e->flags == KVM_DIRTY_GFN_F_DIRTY && e->slot == 1 &&
		      e->offset == 10 + (uint64_t)i;
	}
	ok &= gfns[3].flags == 0;
	tap_result(ok, "a write to each of 3 pages pushes one entry each");

	ok = 1;
	for (i = 0; i < 3; i++)
		ok &= acc_write(vcpufd, SLOT_GPA + (10 + i) * PAGE_SZ, buf, 8) == 0;
	tap_result(ok && gfns[3].flags == 0,
		   "writing them again pushes nothing before a reset");

	tap_expect(ring_collect(&r, NULL, NULL), 3, "collector finds 3 entries");
	tap_expect(tap_ioctl(vmfd, KVM_RESET_DIRTY_RINGS, 0), 3,
		   "KVM_RESET_DIRTY_RINGS resets the 3 collected entries");

	ok = 1;
	for (i = 0; i < 3; i++)
		ok &= acc_write(vcpufd, SLOT_GPA + (10 + i) * PAGE_SZ, buf, 8) == 0;
	tap_expect(ring_collect(&r, count_one, seen), 3,
		   "after the reset, writes to them push again");
	tap_ioctl(vmfd, KVM_RESET_DIRTY_RINGS, 0);

	/* One access over every page: it stops at the soft limit. */
	acc_access(vcpufd, SLOT_GPA, buf, SLOT_PAGES * PAGE_SZ,
		   KVM_MEMSLOT_ACCESS_WRITE, &out);
	tap_result(out.exit_reason == KVM_MEMSLOT_EXIT_DIRTY_RING_FULL &&
		   out.done == (uint64_t)soft * PAGE_SZ,
		   "an access stops with DIRTY_RING_FULL at the soft limit");
	ring_collect(&r, NULL, NULL);
	tap_ioctl(vmfd, KVM_RESET_DIRTY_RINGS, 0);
	tap_expect(acc_access(vcpufd, SLOT_GPA + out.done, buf + out.done,
			      64 * PAGE_SZ, KVM_MEMSLOT_ACCESS_WRITE, NULL), 0,
		   "after a reset it goes on");

	tap_result(run_harvest(devfd, mem, ring_bytes),
		   "harvest by %d vCPU threads: exactly the pages written, no entry without a write",
		   HARVEST_VCPUS);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	int devfd, vmfd, vm2, vcpufd, i;
	struct kvm_dirty_gfn *gfns;
	long ring_max;
	uint32_t ring_bytes = 4096;
	char *mem;

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	vmfd = tap_create_vm(devfd);
	if (vmfd < 0)
		return tap_skip_all("KVM_CREATE_VM failed");

	tap_plan(NTESTS);
	ring_max = tap_cap(vmfd, KVM_CAP_DIRTY_LOG_RING);
	tap_result(ring_max == 0 || ring_max == (long)RING_MAX_BYTES,
		   "KVM_CAP_DIRTY_LOG_RING is 0 or 64K entries");
	tap_expect(tap_cap(vmfd, KVM_CAP_DIRTY_LOG_RING_ACQ_REL), ring_max,
		   "KVM_CAP_DIRTY_LOG_RING_ACQ_REL says the same");
	if (!ring_max) {
		/* An architecture without rings in 6.1 (arm64, PowerPC). */
		tap_expect(enable_ring(vmfd, KVM_CAP_DIRTY_LOG_RING, 4096),
			   -EINVAL, "no rings: enabling one fails");
		for (i = 3; i < NTESTS; i++)
			tap_skip("this VM type has no dirty ring");
		return tap_finish();
	}

	tap_expect(tap_ioctl(vmfd, KVM_RESET_DIRTY_RINGS, 0), -EINVAL,
		   "KVM_RESET_DIRTY_RINGS without rings");
	tap_expect(enable_ring(vmfd, KVM_CAP_DIRTY_LOG_RING, 0), -EINVAL,
		   "ring of size 0");
	tap_expect(enable_ring(vmfd, KVM_CAP_DIRTY_LOG_RING, 4096 + 16),
		   -EINVAL, "ring size not a power of two");
	tap_expect(enable_ring(vmfd, KVM_CAP_DIRTY_LOG_RING, 2048), -EINVAL,
		   "ring smaller than a page");
	tap_expect(enable_ring(vmfd, KVM_CAP_DIRTY_LOG_RING, 2 * RING_MAX_BYTES),
		   -E2BIG, "ring beyond 64K entries");
	/* The size is a u32 in KVM: bit 32 is dropped, 4096 remains. */
	tap_expect(enable_ring(vmfd, KVM_CAP_DIRTY_LOG_RING,
			       (1ULL << 32) | ring_bytes), 0,
		   "ring of one page (size taken as a u32)");
	tap_expect(enable_ring(vmfd, KVM_CAP_DIRTY_LOG_RING, ring_bytes),
		   -EINVAL, "a second enable");

	vm2 = tap_create_vm(devfd);
	tap_ioctl(vm2, KVM_CREATE_VCPU, 0);
	tap_expect(enable_ring(vm2, KVM_CAP_DIRTY_LOG_RING_ACQ_REL, ring_bytes),
		   -EINVAL, "enable after a vCPU exists");
	close(vm2);

	tap_expect(tap_ioctl(vmfd, KVM_GET_DIRTY_LOG,
			     (unsigned long)&(struct kvm_dirty_log){ .slot = 77 }),
		   -ENXIO, "KVM_GET_DIRTY_LOG with rings: ENXIO");
	tap_expect(tap_ioctl(vmfd, KVM_CLEAR_DIRTY_LOG,
			     (unsigned long)&(struct kvm_clear_dirty_log){ .slot = 77 }),
		   -ENXIO, "KVM_CLEAR_DIRTY_LOG with rings: ENXIO");
	tap_expect(tap_ioctl(vmfd, KVM_RESET_DIRTY_RINGS, 0), 0,
		   "KVM_RESET_DIRTY_RINGS with nothing collected");

	vcpufd = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, 0);
	tap_require(vcpufd >= 0, "KVM_CREATE_VCPU");
	tap_result(!map_ring(vcpufd, ring_bytes, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE) && errno == EINVAL,
		   "a private mapping of the ring: EINVAL");
	tap_result(!map_ring(vcpufd, ring_bytes, PROT_READ | PROT_EXEC,
			     MAP_SHARED) && errno == EINVAL,
		   "an executable mapping of the ring: EINVAL");
	gfns = map_ring(vcpufd, ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED);
	tap_result(gfns && !gfns[0].flags && !gfns[255].flags,
		   "the ring maps shared from the vCPU fd, empty");
	tap_require(!!gfns, "mmap of the ring");

	mem = tap_map(SLOT_PAGES * PAGE_SZ);
	tap_expect(tap_set(vmfd, 0, 1, KVM_MEM_LOG_DIRTY_PAGES, SLOT_GPA,
			   SLOT_PAGES * PAGE_SZ, (uint64_t)(uintptr_t)mem), 0,
		   "a dirty-logged slot with rings");

	if (tap_ioctl(vcpufd, KVM_MEMSLOT_VCPU_ACCESS, 0) == -EFAULT)
		ext_tests(devfd, vmfd, vcpufd, gfns, ring_bytes, mem);
	else
		for (i = 0; i < NR_EXT; i++)
			tap_skip("no kvm-memslot vCPU accesses on this device");
	return tap_finish();
}
