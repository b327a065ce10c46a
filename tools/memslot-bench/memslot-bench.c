// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot-bench: slot-update latency of /dev/kvm-memslot against in-tree
 * KVM's /dev/kvm, measured by one program in one boot.
 *
 * Every figure is taken on both devices in alternating rounds (round r
 * runs device r % 2 first), so that whatever else the machine does (a
 * TCG guest on a shared host) lands on both about equally; the figures
 * are medians (p50) and p99 of the per-call latency, or medians of whole
 * streams.  Nothing here asserts anything about time: it prints a table,
 * and with --json writes the figures for the plot.
 *
 * What it measures:
 *  - create, delete, move, dirty logging on and off of a one-page slot,
 *    with 1, 64, 512, 4096 and 32764 slots in the VM (the other slots are
 *    one-page slots far away, all aliasing 16 host pages);
 *  - populating 32764 slots (the sum of every create that grew the VM);
 *  - a stream of 1000 creates and one of 1000 deletes, each timed as a
 *    whole, so that work an update defers to later calls is counted;
 *  - creating and deleting a 1 TiB slot (MAP_NORESERVE) against a
 *    one-page slot, in a child process, so a failure is a row, not a crash;
 *  - deleting a one-page slot with 1 GiB mapped elsewhere against the same
 *    layout with nothing mapped: on /dev/kvm-memslot only, whose extension
 *    vCPU access faults the 1 GiB in (on /dev/kvm that needs a running
 *    guest: not comparable);
 *  - a QEMU-style relayout: a PAM flip of 13 regions (each a delete and a
 *    create) and a BAR move, as single calls on both devices and as one
 *    KVM_MEMSLOT_SET_REGIONS batch on /dev/kvm-memslot.
 *
 * --profile OP traces OP (create, delete, move, dirty-on, dirty-off) with
 * ftrace's function_graph tracer, restricted to this task's ioctls, on
 * both devices, and prints where the time went, aggregated by call path.
 * With --profile-functions LIST (comma-separated) only the ioctl and the
 * listed functions are traced, whatever calls them: a few traced calls
 * inflate an op by a few microseconds, not by one per function called, so
 * the figures are close to untraced ones.  Names the kernel does not have
 * (inlined, or of the other device) are skipped.  With --profile-events
 * LIST (comma-separated tracefs event names, such as sched:sched_switch)
 * those events are recorded too, the functions are traced in every task
 * (the kworkers that run an SRCU grace period, say), and the raw trace of
 * each device, with absolute timestamps, is printed before its summary.
 *
 * --parts LIST runs only the listed parts (comma-separated: streams,
 * relayout, latency, huge, flush; all by default), to look again at one of
 * them without the whole run; the others are reported as n/a.
 *
 * Usage: memslot-bench [--json FILE] [--samples N] [--budget SECONDS]
 *                      [--parts LIST]
 *                      [--profile OP [--profile-slots N] [--profile-ops N]
 *                       [--profile-depth N] [--profile-functions LIST]
 *                       [--profile-events LIST]]
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>

#include "../testing/selftests/kvm_memslot/access_util.h"

#define NDEV		2	/* 0: /dev/kvm, 1: /dev/kvm-memslot */
#define DEV_KVM		0
#define DEV_MS		1

#define MAX_SAMPLES	1000
#define MIN_SAMPLES	20
/*
 * User slots per address space on every device measured (the smallest
 * KVM_CAP_NR_MEMSLOTS); the test slot takes the last id, never a
 * background one.
 */
static uint32_t nr_user_slots;
#define TEST_ID		(nr_user_slots - 1)
#define TEST_GPA	0x100000ULL
#define MOVE_GPA	0x200000ULL
#define BG_GPA		0x100000000ULL
#define ALIAS_PAGES	16
#define GROW_CHUNK	512
#define STREAM_OPS	1000
#define STREAM_ROUNDS	3
#define HUGE_SIZE	0x10000000000ULL	/* 1 TiB */
#define HUGE_ROUNDS	10
#define BIG_SIZE	0x40000000ULL		/* 1 GiB */
#define BIG_GPA		(4ULL << 30)
#define FLUSH_ROUNDS	100

static const char *const dev_path[NDEV] = { "/dev/kvm", "/dev/kvm-memslot" };
static const char *const dev_name[NDEV] = { "kvm", "memslot" };

enum op { OP_CREATE, OP_DELETE, OP_MOVE, OP_DIRTY_ON, OP_DIRTY_OFF, NR_OPS };
static const char *const op_name[NR_OPS] = {
	"create", "delete", "move", "dirty-on", "dirty-off"
};

static const unsigned int slot_counts[] = { 1, 64, 512, 4096, 32764 };
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_COUNTS	ARRAY_SIZE(slot_counts)

static int samples = 200;
static double budget_s = 25;	/* per (op, slot count), both devices */

struct dev {
	int fd, vm;
	int present;
	unsigned int bg;	/* background slots: ids 0 .. bg - 1 */
	uint64_t test_gpa;	/* where the test slot is (move alternates) */
	double grow_ns;		/* every background create, summed */
};

static struct dev devs[NDEV];
static uint64_t alias_hva, test_hva;

/* One figure: samples of one device, in microseconds. */
struct series {
	double v[MAX_SAMPLES];
	int n;
	long err;		/* first failure (-errno), 0 if none */
};

struct op_result {
	struct series s[NDEV];
};

static struct op_result results[NR_COUNTS][NR_OPS];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of @n values (sorted in place); NaN if none. */
static double pct(double *v, int n, double p)
{
	int k;

	if (n <= 0)
		return __builtin_nan("");
	qsort(v, n, sizeof(*v), cmp_double);
	k = (int)(p / 100.0 * n + 0.999999) - 1;
	if (k < 0)
		k = 0;
	if (k >= n)
		k = n - 1;
	return v[k];
}

/* ---- ftrace (--profile) ---------------------------------------------- */

static int trace_on_fd = -1;	/* tracing_on, while a profile is armed */
static const char *tracefs;

/* Write @val to the tracefs file @file, opened with @flags. */
static int tracefs_put(const char *file, const char *val, int flags)
{
	char path[256];
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", tracefs, file);
	fd = open(path, O_WRONLY | O_CLOEXEC | flags);
	if (fd < 0)
		return -errno;
	r = write(fd, val, strlen(val)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int tracefs_write(const char *file, const char *val)
{
	return tracefs_put(file, val, O_TRUNC);
}

/* Add @func to set_ftrace_filter; 0, or -errno if the kernel has no such function. */
static int tracefs_filter_add(const char *func)
{
	return tracefs_put("set_ftrace_filter", func, O_APPEND);
}

/* The ioctl under test, with the tracer on around it if a profile is armed. */
static long set_region(int vm, uint32_t id, uint32_t flags, uint64_t gpa,
		       uint64_t size, uint64_t hva, double *us)
{
	uint64_t t0, t1;
	long r;

	if (us && trace_on_fd >= 0)
		(void)!write(trace_on_fd, "1", 1);
	t0 = now_ns();
	r = tap_set(vm, 0, id, flags, gpa, size, hva);
	t1 = now_ns();
	if (us && trace_on_fd >= 0)
		(void)!write(trace_on_fd, "0", 1);
	if (us)
		*us = (t1 - t0) / 1e3;
	return r;
}

/* ---- devices and background slots ------------------------------------ */

static uint64_t bg_gpa(unsigned int id)
{
	/* a hole after every slot, so no two slots ever touch */
	return BG_GPA + (uint64_t)id * 2 * PAGE_SZ;
}

static uint64_t bg_hva(unsigned int id)
{
	return alias_hva + (id % ALIAS_PAGES) * PAGE_SZ;
}

static int open_vm(int d)
{
	devs[d].vm = tap_create_vm(devs[d].fd);
	devs[d].bg = 0;
	devs[d].test_gpa = TEST_GPA;
	return devs[d].vm;
}

/* Grow the background of both devices to @n slots, in alternating chunks. */
static int grow(unsigned int n)
{
	int more = 1;

	while (more) {
		more = 0;
		for (int d = 0; d < NDEV; d++) {
			struct dev *v = &devs[d];
			unsigned int to = v->bg + GROW_CHUNK;
			uint64_t t0;

			if (!v->present || v->bg >= n)
				continue;
			if (to > n)
				to = n;
			t0 = now_ns();
			for (; v->bg < to; v->bg++) {
				long r = set_region(v->vm, v->bg, 0, bg_gpa(v->bg),
						    PAGE_SZ, bg_hva(v->bg), NULL);
				if (r) {
					fprintf(stderr, "%s: creating background slot %u: %s\n",
						dev_name[d], v->bg, tap_errname((int)-r));
					return -1;
				}
			}
			v->grow_ns += now_ns() - t0;
			more |= v->bg < n;
		}
	}
	return 0;
}

/*
 * One sample of @op on device @d: the untimed call that sets the state
 * up (or restores it), and the timed one.
 */
static long sample(int d, enum op op, double *us)
{
	struct dev *v = &devs[d];
	uint64_t page = PAGE_SZ, hva = test_hva;
	long r = 0;

	switch (op) {
	case OP_CREATE:
		r = set_region(v->vm, TEST_ID, 0, TEST_GPA, page, hva, us);
		if (!r)
			r = set_region(v->vm, TEST_ID, 0, TEST_GPA, 0, hva, NULL);
		break;
	case OP_DELETE:
		r = set_region(v->vm, TEST_ID, 0, TEST_GPA, page, hva, NULL);
		if (!r)
			r = set_region(v->vm, TEST_ID, 0, TEST_GPA, 0, hva, us);
		break;
	case OP_MOVE:
		v->test_gpa = v->test_gpa == TEST_GPA ? MOVE_GPA : TEST_GPA;
		r = set_region(v->vm, TEST_ID, 0, v->test_gpa, page, hva, us);
		break;
	case OP_DIRTY_ON:
		r = set_region(v->vm, TEST_ID, KVM_MEM_LOG_DIRTY_PAGES,
			       v->test_gpa, page, hva, us);
		if (!r)
			r = set_region(v->vm, TEST_ID, 0, v->test_gpa, page, hva, NULL);
		break;
	case OP_DIRTY_OFF:
		r = set_region(v->vm, TEST_ID, KVM_MEM_LOG_DIRTY_PAGES,
			       v->test_gpa, page, hva, NULL);
		if (!r)
			r = set_region(v->vm, TEST_ID, 0, v->test_gpa, page, hva, us);
		break;
	default:
		break;
	}
	return r;
}

/* Ops other than create and delete work on a test slot that exists. */
static long op_setup(int d, enum op op, int teardown)
{
	struct dev *v = &devs[d];

	if (op == OP_CREATE || op == OP_DELETE)
		return 0;
	if (teardown)
		return set_region(v->vm, TEST_ID, 0, v->test_gpa, 0, test_hva, NULL);
	v->test_gpa = TEST_GPA;
	return set_region(v->vm, TEST_ID, 0, TEST_GPA, PAGE_SZ, test_hva, NULL);
}

/*
 * Up to @n samples of @op on every device present, alternating which
 * device goes first; fewer (but at least MIN_SAMPLES) if the rounds
 * outlast the time budget.
 */
static void measure(enum op op, int n, struct op_result *res)
{
	uint64_t start = now_ns();
	int d, k, i;

	for (d = 0; d < NDEV; d++) {
		res->s[d].n = 0;
		res->s[d].err = 0;
		if (devs[d].present)
			res->s[d].err = op_setup(d, op, 0);
	}
	for (i = 0; i < n && i < MAX_SAMPLES; i++) {
		for (k = 0; k < NDEV; k++) {
			struct series *s;
			double us;
			long r;

			d = (i + k) % NDEV;
			s = &res->s[d];
			if (!devs[d].present || s->err)
				continue;
			r = sample(d, op, &us);
			if (r)
				s->err = r;
			else
				s->v[s->n++] = us;
		}
		if (i + 1 >= MIN_SAMPLES && (now_ns() - start) / 1e9 > budget_s)
			break;
	}
	for (d = 0; d < NDEV; d++)
		if (devs[d].present && !res->s[d].err)
			res->s[d].err = op_setup(d, op, 1);
}

/* ---- the other figures ------------------------------------------------ */

struct pair {			/* one figure on each device, in us */
	double v[NDEV];
	long err[NDEV];
	int n[NDEV];
};

static struct pair populate, stream_create, stream_delete;

/* Medians of whole streams of STREAM_OPS creates, then deletes. */
static void streams(void)
{
	double c[NDEV][STREAM_ROUNDS], del[NDEV][STREAM_ROUNDS];
	int round, k, d;

	memset(&stream_create, 0, sizeof(stream_create));
	memset(&stream_delete, 0, sizeof(stream_delete));
	for (round = 0; round < STREAM_ROUNDS; round++) {
		for (int phase = 0; phase < 2; phase++) {
			struct pair *p = phase ? &stream_delete : &stream_create;

			for (k = 0; k < NDEV; k++) {
				uint64_t t0;
				long r = 0;

				d = (round + k) % NDEV;
				if (!devs[d].present || p->err[d])
					continue;
				/* let the previous stream's deferred work drain */
				usleep(20000);
				t0 = now_ns();
				for (unsigned int id = 0; id < STREAM_OPS && !r; id++)
					r = set_region(devs[d].vm, id, 0, bg_gpa(id),
						       phase ? 0 : PAGE_SZ, bg_hva(id), NULL);
				if (r) {
					p->err[d] = r;
					continue;
				}
				(phase ? del : c)[d][p->n[d]++] = (now_ns() - t0) / 1e3;
			}
		}
	}
	for (d = 0; d < NDEV; d++) {
		stream_create.v[d] = pct(c[d], stream_create.n[d], 50);
		stream_delete.v[d] = pct(del[d], stream_delete.n[d], 50);
	}
}

/* The QEMU-style relayout: 13 PAM regions flipped, one BAR moved. */
#define PAM_REGIONS	13
#define PAM_ID		100
#define BAR_ID		120
#define BAR_SIZE	(16ULL << 20)
#define BAR_GPA0	0xfd000000ULL
#define BAR_GPA1	0xfe000000ULL
#define RELAYOUT_ROUNDS	50
#define RELAYOUT_CALLS	(2 * PAM_REGIONS + 1)

struct relayout_res {
	struct series single[NDEV];	/* the changes as single calls */
	struct series batch;		/* one KVM_MEMSLOT_SET_REGIONS */
};

static struct relayout_res relayout;
static uint64_t ram_hva, rom_hva, bar_hva;

static void pam_region(int i, uint64_t *gpa, uint64_t *size)
{
	*gpa = i < 12 ? 0xc0000ULL + i * 0x4000ULL : 0xf0000ULL;
	*size = i < 12 ? 0x4000ULL : 0x10000ULL;
}

/* The calls that flip every PAM region to @rom and put the BAR at @bar. */
static void relayout_calls(struct kvm_userspace_memory_region *c, int rom,
			   uint64_t bar)
{
	int n = 0;

	for (int i = 0; i < PAM_REGIONS; i++) {
		uint64_t gpa, size;

		pam_region(i, &gpa, &size);
		c[n++] = (struct kvm_userspace_memory_region) {
			.slot = PAM_ID + i,
			.flags = rom ? 0 : KVM_MEM_READONLY,
			.guest_phys_addr = gpa,
			.memory_size = 0,
			.userspace_addr = (rom ? ram_hva : rom_hva) + gpa,
		};
		c[n++] = (struct kvm_userspace_memory_region) {
			.slot = PAM_ID + i,
			.flags = rom ? KVM_MEM_READONLY : 0,
			.guest_phys_addr = gpa,
			.memory_size = size,
			.userspace_addr = (rom ? rom_hva : ram_hva) + gpa,
		};
	}
	c[n++] = (struct kvm_userspace_memory_region) {
		.slot = BAR_ID, .guest_phys_addr = bar, .memory_size = BAR_SIZE,
		.userspace_addr = bar_hva,
	};
}

static long run_singles(int vm, struct kvm_userspace_memory_region *c)
{
	for (int i = 0; i < RELAYOUT_CALLS; i++) {
		long r = tap_ioctl(vm, KVM_SET_USER_MEMORY_REGION, (unsigned long)&c[i]);

		if (r)
			return r;
	}
	return 0;
}

static long run_batch(int vm, struct kvm_userspace_memory_region *c)
{
	struct kvm_memslot_regions b = {
		.nr = RELAYOUT_CALLS, .regions = (uintptr_t)c,
	};

	return tap_ioctl(vm, KVM_MEMSLOT_SET_REGIONS, (unsigned long)&b);
}

static void measure_relayout(void)
{
	struct kvm_userspace_memory_region c[RELAYOUT_CALLS];
	int rom[NDEV] = { 0, 0 };
	int d, k, round;

	memset(&relayout, 0, sizeof(relayout));
	ram_hva = (uintptr_t)tap_map(1 << 20);
	rom_hva = (uintptr_t)tap_map(1 << 20);
	bar_hva = (uintptr_t)acc_map_aligned(BAR_SIZE, 1 << 21);
	if (!ram_hva || !rom_hva || !bar_hva) {
		for (d = 0; d < NDEV; d++)
			relayout.single[d].err = -ENOMEM;
		relayout.batch.err = -ENOMEM;
		return;
	}
	/* the starting layout: PAM as RAM, the BAR at its first address */
	for (d = 0; d < NDEV; d++) {
		if (!devs[d].present)
			continue;
		relayout_calls(c, 0, BAR_GPA0);
		for (int i = 0; i < RELAYOUT_CALLS; i++)
			if (c[i].memory_size)
				relayout.single[d].err |=
					tap_ioctl(devs[d].vm, KVM_SET_USER_MEMORY_REGION,
						  (unsigned long)&c[i]);
	}
	relayout.batch.err = relayout.single[DEV_MS].err;
	for (round = 0; round < RELAYOUT_ROUNDS; round++) {
		for (k = 0; k < NDEV; k++) {
			d = (round + k) % NDEV;
			if (!devs[d].present)
				continue;
			/* on the module, singles and batch in alternating order */
			for (int b = 0; b < (d == DEV_MS ? 2 : 1); b++) {
				int batch = d == DEV_MS && ((round + b) & 1);
				struct series *s = batch ? &relayout.batch : &relayout.single[d];
				uint64_t t0;
				long r;

				if (s->err)
					continue;
				rom[d] = !rom[d];
				relayout_calls(c, rom[d], rom[d] ? BAR_GPA1 : BAR_GPA0);
				t0 = now_ns();
				r = batch ? run_batch(devs[d].vm, c) : run_singles(devs[d].vm, c);
				if (r)
					s->err = r;
				else
					s->v[s->n++] = (now_ns() - t0) / 1e3;
			}
		}
	}
	/* back to an empty VM */
	for (d = 0; d < NDEV; d++) {
		if (!devs[d].present)
			continue;
		for (int i = 0; i < PAM_REGIONS; i++)
			tap_set(devs[d].vm, 0, PAM_ID + i, 0, 0, 0, 0);
		tap_set(devs[d].vm, 0, BAR_ID, 0, 0, 0, 0);
	}
}

/*
 * Figures measured in a child process, so that a failure (or the OOM
 * killer) costs a row, not the run: results go back through shared memory.
 */
struct huge_res {
	int dev;					/* the child's device */
	struct series create[NDEV], delete[NDEV];	/* 1 TiB slot */
	struct series pcreate[NDEV], pdelete[NDEV];	/* one-page slot */
};

struct flush_res {
	struct series alone, mapped;	/* /dev/kvm-memslot only */
	double map_ms;
};

static int in_child(void (*fn)(void *), void *shared, const char *what)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (!pid) {
		int fd = open("/proc/self/oom_score_adj", O_WRONLY);

		/* if memory runs out, this child is the one to go */
		if (fd >= 0) {
			(void)!write(fd, "1000", 4);
			close(fd);
		}
		fn(shared);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "%s: child killed by signal %d\n", what, WTERMSIG(status));
		return -EINTR;
	}
	return 0;
}

/*
 * One round of the 1 TiB figures on one device (h->dev), in its own child:
 * a device that runs out of memory for it is killed alone (the OOM killer
 * picks the child, see in_child()), and the figures so far are kept.
 */
static void huge_child(void *p)
{
	struct huge_res *h = p;
	int d = h->dev;
	void *huge = mmap(NULL, HUGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int vm = tap_create_vm(devs[d].fd);

	if (huge == MAP_FAILED || vm < 0) {
		h->create[d].err = vm < 0 ? vm : -ENOMEM;
		h->pcreate[d].err = h->create[d].err;
		return;
	}
	for (int big = 0; big < 2; big++) {
		struct series *c = big ? &h->create[d] : &h->pcreate[d];
		struct series *x = big ? &h->delete[d] : &h->pdelete[d];
		uint64_t size = big ? HUGE_SIZE : PAGE_SZ;
		uint64_t hva = big ? (uintptr_t)huge : test_hva;
		double us;
		long r;

		if (c->err || x->err)
			continue;
		/* a killed child leaves this error behind */
		c->err = -EINTR;
		r = set_region(vm, TEST_ID, 0, 0, size, hva, &us);
		c->err = r;
		if (r)
			continue;
		c->v[c->n++] = us;
		r = set_region(vm, TEST_ID, 0, 0, 0, hva, &us);
		if (r)
			x->err = r;
		else
			x->v[x->n++] = us;
	}
}

static void huge_rounds(struct huge_res *h)
{
	for (int round = 0; round < HUGE_ROUNDS; round++) {
		for (int k = 0; k < NDEV; k++) {
			h->dev = (round + k) % NDEV;
			if (devs[h->dev].present)
				in_child(huge_child, h, "1 TiB slot");
		}
	}
}

/* One timed delete of a one-page slot whose page is mapped. */
static long flush_round(int vm, int vcpu, struct series *s)
{
	char byte;
	double us;
	long r;

	r = set_region(vm, TEST_ID, 0, TEST_GPA, PAGE_SZ, test_hva, NULL);
	if (!r)
		r = acc_read(vcpu, TEST_GPA, &byte, 1);
	if (!r)
		r = set_region(vm, TEST_ID, 0, TEST_GPA, 0, test_hva, &us);
	if (r)
		return s->err = r;
	s->v[s->n++] = us;
	return 0;
}

/*
 * Two VMs, one with 1 GiB mapped and one with nothing else mapped, take
 * turns (FLUSH_ROUNDS each), so that whatever drifts in the guest and the
 * host over the run (load, page cache, compaction after the 1 GiB was
 * faulted in) lands on both series alike.  Both have the same 1 GiB slot,
 * so that they differ in what is mapped only, not in their slot layout
 * (one slot more makes every update of the slot trees a little dearer).
 */
static void flush_child(void *p)
{
	struct flush_res *f = p;
	static char chunk[1 << 21];
	int vm[2], vcpu[2];
	void *big = acc_map_aligned(BIG_SIZE, 1 << 21);
	uint64_t t0, off;
	long r = big ? 0 : -ENOMEM;

	for (int k = 0; k < 2 && !r; k++) {
		vm[k] = tap_create_vm(devs[DEV_MS].fd);
		vcpu[k] = vm[k] < 0 ? vm[k] : (int)tap_ioctl(vm[k], KVM_CREATE_VCPU, 0);
		r = vcpu[k] < 0 ? vcpu[k] : 0;
	}
	if (r) {
		f->alone.err = r;
		f->mapped.err = r;
		return;
	}
	madvise(big, BIG_SIZE, MADV_HUGEPAGE);
	memset(big, 2, BIG_SIZE);
	for (int k = 0; k < 2 && !r; k++)
		r = set_region(vm[k], 1, 0, BIG_GPA, BIG_SIZE, (uintptr_t)big, NULL);
	t0 = now_ns();
	for (off = 0; !r && off < BIG_SIZE; off += sizeof(chunk))
		r = acc_read(vcpu[1], BIG_GPA + off, chunk, sizeof(chunk));
	f->map_ms = (now_ns() - t0) / 1e6;
	if (r) {
		f->mapped.err = r < 0 ? r : -EFAULT;
		return;
	}
	for (int i = 0; i < FLUSH_ROUNDS; i++) {
		if (flush_round(vm[i & 1], vcpu[i & 1], i & 1 ? &f->mapped : &f->alone) ||
		    flush_round(vm[!(i & 1)], vcpu[!(i & 1)],
				i & 1 ? &f->alone : &f->mapped))
			return;
	}
}

/* ---- output ------------------------------------------------------------ */

/* EINTR here means the child doing the call was killed (OOM). */
static const char *ename(long err)
{
	const char *n = err == -EINTR ? "killed" : strerrorname_np((int)-err);

	return n ? n : "unknown";
}

static const char *errstr(long err)
{
	static char buf[4][32];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "error:%s", ename(err));
	return buf[i];
}

static void summarize(struct series *s, double *p50, double *p99)
{
	double tmp[MAX_SAMPLES];

	memcpy(tmp, s->v, s->n * sizeof(double));
	*p50 = pct(tmp, s->n, 50);
	*p99 = pct(tmp, s->n, 99);
}

/* "12.3" or "error:ENOMEM" or "-" (device absent). */
static const char *fig(int present, long err, double v)
{
	static char buf[8][32];
	static int i;

	i = (i + 1) % 8;
	if (!present)
		return "-";
	if (err)
		return errstr(err);
	if (v != v)
		return "n/a";
	snprintf(buf[i], sizeof(buf[i]), "%.1f", v);
	return buf[i];
}

static void json_series(FILE *f, const char *key, int present, struct series *s,
			const char *tail)
{
	double p50, p99;

	if (!present) {
		fprintf(f, "\"%s\": null%s", key, tail);
		return;
	}
	summarize(s, &p50, &p99);
	fprintf(f, "\"%s\": {\"n\": %d", key, s->n);
	if (s->err)
		fprintf(f, ", \"error\": \"%s\"", ename(s->err));
	if (s->n)
		fprintf(f, ", \"p50_us\": %.2f, \"p99_us\": %.2f", p50, p99);
	fprintf(f, "}%s", tail);
}

static double ratio(double a, double b)
{
	return (a == a && b == b && b > 0) ? a / b : __builtin_nan("");
}

static void json_num(FILE *f, const char *key, double v, const char *tail)
{
	if (v == v)
		fprintf(f, "\"%s\": %.4g%s", key, v, tail);
	else
		fprintf(f, "\"%s\": null%s", key, tail);
}

static void json_pair(FILE *f, const char *key, struct pair *p, double scale,
		      const char *tail)
{
	fprintf(f, "  \"%s\": {", key);
	for (int d = 0; d < NDEV; d++) {
		char name[32];

		snprintf(name, sizeof(name), "%s_ms", dev_name[d]);
		if (!devs[d].present || p->err[d])
			fprintf(f, "\"%s\": null, ", name);
		else
			json_num(f, name, p->v[d] * scale, ", ");
		if (p->err[d])
			fprintf(f, "\"%s_error\": \"%s\", ", dev_name[d],
				ename(p->err[d]));
	}
	json_num(f, "ratio", p->err[0] || p->err[1] ? __builtin_nan("") :
		 ratio(p->v[DEV_MS], p->v[DEV_KVM]), "");
	fprintf(f, "}%s\n", tail);
}

static void print_pair(const char *what, struct pair *p, double scale)
{
	printf("%-34s %14s %14s %8.2f\n", what,
	       fig(devs[DEV_KVM].present, p->err[DEV_KVM], p->v[DEV_KVM] * scale),
	       fig(devs[DEV_MS].present, p->err[DEV_MS], p->v[DEV_MS] * scale),
	       p->err[0] || p->err[1] ? __builtin_nan("") :
	       ratio(p->v[DEV_MS], p->v[DEV_KVM]));
}

static void report(const char *json, struct huge_res *h,
		   struct flush_res *fl, long ferr)
{
	double p50[NDEV], p99[NDEV], rp[4];
	struct utsname u;
	FILE *f = NULL;

	uname(&u);
	printf("\nmemslot-bench: %s, %ld guest CPUs, p50/p99 in us,\n"
	       "ratio = memslot p50 / kvm p50\n", u.release,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-10s %6s %5s %10s %10s %5s %10s %10s %7s\n", "op", "slots",
	       "n", "kvm p50", "kvm p99", "n", "ms p50", "ms p99", "ratio");
	for (unsigned int c = 0; c < NR_COUNTS; c++) {
		for (int o = 0; o < NR_OPS; o++) {
			struct op_result *r = &results[c][o];

			for (int d = 0; d < NDEV; d++)
				summarize(&r->s[d], &p50[d], &p99[d]);
			printf("%-10s %6u %5d %10s %10s %5d %10s %10s %7.2f\n",
			       op_name[o], slot_counts[c],
			       r->s[0].n, fig(devs[0].present, r->s[0].err, p50[0]),
			       fig(devs[0].present, r->s[0].err, p99[0]),
			       r->s[1].n, fig(devs[1].present, r->s[1].err, p50[1]),
			       fig(devs[1].present, r->s[1].err, p99[1]),
			       r->s[0].err || r->s[1].err ? __builtin_nan("") :
			       ratio(p50[1], p50[0]));
		}
	}
	printf("\n%-34s %14s %14s %8s\n", "whole operations (ms)", "kvm", "memslot", "ratio");
	print_pair("populate 32764 slots", &populate, 0.001);
	print_pair("stream of 1000 creates", &stream_create, 0.001);
	print_pair("stream of 1000 deletes", &stream_delete, 0.001);

	printf("\n%-34s %14s %14s\n", "1 TiB slot vs one page (p50 us)", "kvm", "memslot");
	for (int i = 0; i < 4; i++) {
		static const char *const what[] = {
			"create 1 TiB slot", "delete 1 TiB slot",
			"create one-page slot", "delete one-page slot",
		};
		struct series *s[] = { h->create, h->delete, h->pcreate, h->pdelete };

		for (int d = 0; d < NDEV; d++) {
			double x;

			summarize(&s[i][d], &p50[d], &x);
		}
		printf("%-34s %14s %14s\n", what[i],
		       fig(devs[0].present, s[i][0].err ? s[i][0].err :
			   s[i & 2][0].err, p50[0]),
		       fig(devs[1].present, s[i][1].err ? s[i][1].err :
			   s[i & 2][1].err, p50[1]));
	}

	summarize(&fl->alone, &rp[0], &rp[1]);
	summarize(&fl->mapped, &rp[2], &rp[3]);
	printf("\ndelete of a mapped one-page slot beside a 1 GiB slot (memslot only;\n"
	       "/dev/kvm needs a running guest to map memory)\n");
	printf("  nothing else mapped:  p50 %s us, p99 %s us\n",
	       fig(devs[1].present, ferr ? ferr : fl->alone.err, rp[0]),
	       fig(devs[1].present, ferr ? ferr : fl->alone.err, rp[1]));
	printf("  1 GiB mapped (%.0f ms to fault in): p50 %s us, p99 %s us, ratio %.2f\n",
	       fl->map_ms, fig(devs[1].present, ferr ? ferr : fl->mapped.err, rp[2]),
	       fig(devs[1].present, ferr ? ferr : fl->mapped.err, rp[3]),
	       ratio(rp[2], rp[0]));

	{
		double k50, k99, s50, s99, b50, b99;

		summarize(&relayout.single[DEV_KVM], &k50, &k99);
		summarize(&relayout.single[DEV_MS], &s50, &s99);
		summarize(&relayout.batch, &b50, &b99);
		printf("\nrelayout: 13 PAM regions flipped + BAR move (27 changes), p50/p99 us\n");
		printf("  kvm, single calls:      %s / %s\n",
		       fig(devs[0].present, relayout.single[0].err, k50),
		       fig(devs[0].present, relayout.single[0].err, k99));
		printf("  memslot, single calls:  %s / %s\n",
		       fig(devs[1].present, relayout.single[1].err, s50),
		       fig(devs[1].present, relayout.single[1].err, s99));
		printf("  memslot, one batch:     %s / %s   (ratio to kvm single calls %.2f)\n",
		       fig(devs[1].present, relayout.batch.err, b50),
		       fig(devs[1].present, relayout.batch.err, b99), ratio(b50, k50));
	}

	if (!json)
		return;
	f = fopen(json, "w");
	if (!f) {
		perror(json);
		return;
	}
	fprintf(f, "{\n  \"kernel\": \"%s\",\n  \"guest_cpus\": %ld,\n", u.release,
		sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(f, "  \"samples\": %d,\n  \"budget_s\": %.0f,\n  \"ops\": [\n",
		samples, budget_s);
	for (unsigned int c = 0; c < NR_COUNTS; c++) {
		for (int o = 0; o < NR_OPS; o++) {
			struct op_result *r = &results[c][o];

			for (int d = 0; d < NDEV; d++)
				summarize(&r->s[d], &p50[d], &p99[d]);
			fprintf(f, "    {\"op\": \"%s\", \"slots\": %u, ", op_name[o],
				slot_counts[c]);
			for (int d = 0; d < NDEV; d++)
				json_series(f, dev_name[d], devs[d].present, &r->s[d], ", ");
			json_num(f, "ratio_p50", r->s[0].err || r->s[1].err ?
				 __builtin_nan("") : ratio(p50[1], p50[0]), "");
			fprintf(f, "}%s\n", c + 1 == NR_COUNTS && o + 1 == NR_OPS ? "" : ",");
		}
	}
	fprintf(f, "  ],\n");
	json_pair(f, "populate_32764", &populate, 0.001, ",");
	json_pair(f, "stream_create_1000", &stream_create, 0.001, ",");
	json_pair(f, "stream_delete_1000", &stream_delete, 0.001, ",");
	fprintf(f, "  \"slot_1tib\": {");
	{
		static const char *const key[] = {
			"create_1tib", "delete_1tib", "create_page", "delete_page",
		};
		struct series *s[] = { h->create, h->delete, h->pcreate, h->pdelete };

		for (int i = 0; i < 4; i++) {
			fprintf(f, "\"%s\": {", key[i]);
			for (int d = 0; d < NDEV; d++)
				json_series(f, dev_name[d], devs[d].present, &s[i][d],
					    d + 1 < NDEV ? ", " : "");
			fprintf(f, "}%s", i < 3 ? ", " : "");
		}
	}
	fprintf(f, "},\n  \"delete_with_1gib_mapped\": {\"kvm\": %s, ",
		"\"not comparable: mapping needs a running guest\"");
	if (ferr)
		fprintf(f, "\"error\": \"%s\", ", ename(ferr));
	json_series(f, "memslot_alone", devs[1].present, &fl->alone, ", ");
	json_series(f, "memslot_mapped", devs[1].present, &fl->mapped, ", ");
	json_num(f, "map_ms", fl->map_ms, ", ");
	json_num(f, "ratio", ratio(rp[2], rp[0]), "},\n");
	fprintf(f, "  \"relayout_13pam_bar\": {");
	json_series(f, "kvm_single", devs[0].present, &relayout.single[0], ", ");
	json_series(f, "memslot_single", devs[1].present, &relayout.single[1], ", ");
	json_series(f, "memslot_batch", devs[1].present, &relayout.batch, ", ");
	{
		double k50, k99, b50, b99;

		summarize(&relayout.single[DEV_KVM], &k50, &k99);
		summarize(&relayout.batch, &b50, &b99);
		json_num(f, "ratio_batch_to_kvm", ratio(b50, k50), "}\n}\n");
	}
	fclose(f);
}

/* ---- --profile ------------------------------------------------------- */

/* Record the tracefs events of @events (comma-separated), and only them. */
static void profile_events(const char *events)
{
	char list[1024], *save, *e;

	tracefs_write("set_event", "");
	snprintf(list, sizeof(list), "%s", events);
	for (e = strtok_r(list, ",", &save); e; e = strtok_r(NULL, ",", &save))
		if (tracefs_put("set_event", e, O_APPEND))
			fprintf(stderr, "no event %s\n", e);
}

/* Copy the trace, as tracefs prints it, to stdout. */
static void profile_print_raw(FILE *in, const char *dev)
{
	char line[512];

	printf("==== raw trace, %s ====\n", dev);
	while (fgets(line, sizeof(line), in))
		fputs(line, stdout);
	rewind(in);
}

#define PROF_MAX_PATHS	4096
#define PROF_MAX_DEPTH	32

struct prof_path {
	char key[512];
	int depth;
	double us;
	long calls;
};

static struct prof_path prof[PROF_MAX_PATHS];
static int nprof;

static void prof_add(char stack[][96], int depth, double us)
{
	char key[512] = "";
	int i, len = 0;

	for (i = 0; i < depth && len < (int)sizeof(key) - 100; i++)
		len += snprintf(key + len, sizeof(key) - len, "%s%s",
				i ? " > " : "", stack[i]);
	for (i = 0; i < nprof; i++)
		if (!strcmp(prof[i].key, key))
			break;
	if (i == nprof) {
		if (nprof == PROF_MAX_PATHS)
			return;
		strcpy(prof[nprof].key, key);
		prof[nprof].depth = depth;
		prof[nprof].us = 0;
		prof[nprof].calls = 0;
		nprof++;
	}
	prof[i].us += us;
	prof[i].calls++;
}

/*
 * Aggregate a function_graph trace by call path.  The lines look like
 *   " 1)               |    foo() {"
 *   " 1)   0.701 us    |      bar();"
 *   " 1) + 15.23 us    |    } /- foo -/"   (funcgraph-tail; - is *)
 * The depth is the indentation after the '|'.
 */
static void prof_parse(FILE *in)
{
	char stack[PROF_MAX_DEPTH][96];
	char line[1024];
	int base = -1;

	nprof = 0;
	while (fgets(line, sizeof(line), in)) {
		char *bar = strchr(line, '|'), *p, *q, *us;
		double dur = -1;
		int ind, depth;

		if (line[0] == '#' || !bar || !strchr(line, ')'))
			continue;
		us = strstr(line, " us ");
		if (us && us < bar) {
			p = us;
			while (p > line && p[-1] != ' ')
				p--;
			dur = strtod(p, NULL);
		}
		for (p = bar + 1, ind = 0; *p == ' '; p++)
			ind++;
		if (base < 0)
			base = ind;
		depth = (ind - base) / 2;
		if (depth < 0 || depth >= PROF_MAX_DEPTH)
			continue;
		if (*p == '}') {
			if (dur >= 0)
				prof_add(stack, depth + 1, dur);
			continue;
		}
		q = strchr(p, '(');
		if (!q)
			continue;
		*q = 0;
		snprintf(stack[depth], sizeof(stack[depth]), "%s", p);
		if (strstr(q + 1, ");") && dur >= 0)
			prof_add(stack, depth + 1, dur);
	}
}

static int cmp_prof(const void *a, const void *b)
{
	const struct prof_path *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/*
 * Trace only the ioctl and the functions of @funcs (comma-separated);
 * returns how many of them the kernel has.
 */
static int profile_filter(const char *funcs)
{
	char list[1024], *save, *f;
	int n = 0;

	tracefs_write("set_ftrace_filter", "");
	if (tracefs_filter_add("__x64_sys_ioctl"))
		return 0;
	snprintf(list, sizeof(list), "%s", funcs);
	for (f = strtok_r(list, ",", &save); f; f = strtok_r(NULL, ",", &save))
		if (!tracefs_filter_add(f))
			n++;
	return n;
}

static int profile(const char *opname, unsigned int nslots, int nops, int depth,
		   const char *funcs, const char *events)
{
	static const char *const roots[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	enum op op;
	char buf[64];

	for (op = 0; op < NR_OPS; op++)
		if (!strcmp(op_name[op], opname))
			break;
	if (op == NR_OPS) {
		fprintf(stderr, "unknown op %s\n", opname);
		return 2;
	}
	for (unsigned int i = 0; i < 2 && !tracefs; i++) {
		char p[128];

		snprintf(p, sizeof(p), "%s/tracing_on", roots[i]);
		if (!access(p, W_OK))
			tracefs = roots[i];
	}
	if (!tracefs) {
		fprintf(stderr, "no tracefs (mount -t tracefs nodev /sys/kernel/tracing)\n");
		return 1;
	}
	if (grow(nslots > 1 ? nslots - 1 : 0))
		return 1;
	tracefs_write("tracing_on", "0");
	tracefs_write("current_tracer", "nop");
	tracefs_write("buffer_size_kb", "16384");
	if (funcs) {
		tracefs_write("set_graph_function", "");
		depth = 0;
		printf("tracing the ioctl and %d of the functions %s\n",
		       profile_filter(funcs), funcs);
	} else {
		tracefs_write("set_graph_function", "__x64_sys_ioctl");
	}
	/* Events show other tasks at work: trace the functions in them too. */
	snprintf(buf, sizeof(buf), "%d", getpid());
	tracefs_write("set_ftrace_pid", events ? "" : buf);
	tracefs_write("options/funcgraph-abstime", events ? "1" : "0");
	snprintf(buf, sizeof(buf), "%d", depth);
	tracefs_write("max_graph_depth", buf);
	tracefs_write("options/funcgraph-tail", "1");
	tracefs_write("options/funcgraph-irqs", "0");
	tracefs_write("options/sleep-time", "1");
	if (tracefs_write("current_tracer", "function_graph")) {
		fprintf(stderr, "cannot select the function_graph tracer\n");
		return 1;
	}
	for (int d = 0; d < NDEV; d++) {
		char path[256];
		double total = 0;
		FILE *in;

		if (!devs[d].present)
			continue;
		tracefs_write("trace", "");
		if (events)
			profile_events(events);
		snprintf(path, sizeof(path), "%s/tracing_on", tracefs);
		trace_on_fd = open(path, O_WRONLY | O_CLOEXEC);
		op_setup(d, op, 0);
		for (int i = 0; i < nops; i++) {
			double us;
			long r = sample(d, op, &us);

			if (r) {
				fprintf(stderr, "%s: %s: %s\n", dev_name[d], opname,
					tap_errname((int)-r));
				break;
			}
		}
		close(trace_on_fd);
		trace_on_fd = -1;
		op_setup(d, op, 1);
		snprintf(path, sizeof(path), "%s/trace", tracefs);
		in = fopen(path, "r");
		if (!in)
			continue;
		if (events)
			profile_print_raw(in, dev_path[d]);
		prof_parse(in);
		fclose(in);
		qsort(prof, nprof, sizeof(prof[0]), cmp_prof);
		for (int i = 0; i < nprof; i++)
			if (prof[i].depth == 1)
				total += prof[i].us;
		printf("\n==== %s on %s, %u slots, %d traced ops, depth <= %d ====\n",
		       opname, dev_path[d], nslots, nops, funcs ? PROF_MAX_DEPTH : depth);
		printf("per op: %.1f us in the ioctl, traced (tracing inflates every traced call;\n"
		       "sleeps such as grace periods are not inflated)\n",
		       total / nops);
		printf("%10s %8s %7s  %s\n", "us/op", "calls/op", "%", "call path");
		for (int i = 0; i < nprof; i++) {
			const char *leaf = strrchr(prof[i].key, '>');
			size_t len = strlen(prof[i].key);
			double self = prof[i].us;

			/* own time: what no traced callee accounts for */
			for (int j = i + 1; j < nprof; j++)
				if (prof[j].depth == prof[i].depth + 1 &&
				    !strncmp(prof[j].key, prof[i].key, len) &&
				    prof[j].key[len] == ' ')
					self -= prof[j].us;
			if (total <= 0 || prof[i].us / total < 0.01)
				continue;
			printf("%10.1f %8.1f %6.1f%%  %*s%s\n", prof[i].us / nops,
			       (double)prof[i].calls / nops, 100 * prof[i].us / total,
			       2 * (prof[i].depth - 1), "", leaf ? leaf + 2 : prof[i].key);
			if (self / total >= 0.02 && self < prof[i].us * 0.98)
				printf("%10.1f %8s %6.1f%%  %*s[self and untraced callees]\n",
				       self / nops, "", 100 * self / total,
				       2 * prof[i].depth, "");
		}
	}
	tracefs_write("current_tracer", "nop");
	tracefs_write("set_event", "");
	tracefs_write("options/funcgraph-abstime", "0");
	tracefs_write("set_ftrace_pid", "");
	tracefs_write("set_graph_function", "");
	tracefs_write("set_ftrace_filter", "");
	return 0;
}

/* ---- main ---------------------------------------------------------------- */

static const char *parts = "streams,relayout,latency,huge,flush";

/* Is @part in the --parts list? */
static bool want(const char *part)
{
	size_t len = strlen(part);

	for (const char *p = parts; (p = strstr(p, part)); p += len)
		if ((p == parts || p[-1] == ',') && (!p[len] || p[len] == ','))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	const char *json = NULL, *prof_op = NULL, *prof_funcs = NULL;
	const char *prof_events = NULL;
	unsigned int prof_slots = 4096;
	int prof_ops = 20, prof_depth = 6;
	static struct huge_res *h;
	static struct flush_res *fl;
	long ferr = 0;
	void *alias;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v) {
			fprintf(stderr, "usage: see the head of memslot-bench.c\n");
			return 2;
		}
		if (!strcmp(a, "--json"))
			json = v;
		else if (!strcmp(a, "--samples"))
			samples = atoi(v);
		else if (!strcmp(a, "--budget"))
			budget_s = atof(v);
		else if (!strcmp(a, "--parts"))
			parts = v;
		else if (!strcmp(a, "--profile"))
			prof_op = v;
		else if (!strcmp(a, "--profile-slots"))
			prof_slots = atoi(v);
		else if (!strcmp(a, "--profile-ops"))
			prof_ops = atoi(v);
		else if (!strcmp(a, "--profile-depth"))
			prof_depth = atoi(v);
		else if (!strcmp(a, "--profile-functions"))
			prof_funcs = v;
		else if (!strcmp(a, "--profile-events"))
			prof_events = v;
		else
			return fprintf(stderr, "unknown option %s\n", a), 2;
		i++;
	}
	if (samples < 1 || samples > MAX_SAMPLES)
		samples = MAX_SAMPLES;
	setvbuf(stdout, NULL, _IOLBF, 0);

	alias = tap_map(ALIAS_PAGES * PAGE_SZ);
	test_hva = (uintptr_t)tap_map(PAGE_SZ);
	if (!alias || !test_hva) {
		fprintf(stderr, "cannot map memory\n");
		return 1;
	}
	memset((void *)test_hva, 1, PAGE_SZ);
	alias_hva = (uintptr_t)alias;
	for (int d = 0; d < NDEV; d++) {
		devs[d].fd = tap_open_dev(dev_path[d]);
		devs[d].present = devs[d].fd >= 0 && open_vm(d) >= 0;
		if (!devs[d].present)
			fprintf(stderr, "%s: not available, its columns stay empty\n",
				dev_path[d]);
		else if (!nr_user_slots || tap_nr_slots(devs[d].fd) < nr_user_slots)
			nr_user_slots = tap_nr_slots(devs[d].fd);
	}
	if (!nr_user_slots) {
		fprintf(stderr, "no device to measure\n");
		return 1;
	}
	if (prof_slots < 1 || prof_slots > nr_user_slots)
		prof_slots = nr_user_slots;
	if (prof_op)
		return profile(prof_op, prof_slots, prof_ops, prof_depth,
			       prof_funcs, prof_events);

	if (want("streams")) {
		fprintf(stderr, "memslot-bench: streams of %d creates and deletes\n",
			STREAM_OPS);
		streams();
	}
	if (want("relayout")) {
		fprintf(stderr, "memslot-bench: relayout\n");
		measure_relayout();
	}
	for (unsigned int c = 0; want("latency") && c < NR_COUNTS; c++) {
		fprintf(stderr, "memslot-bench: %u slots\n", slot_counts[c]);
		if (grow(slot_counts[c] - 1))
			break;
		for (int o = 0; o < NR_OPS; o++)
			measure(o, samples, &results[c][o]);
	}
	/* populating: every background create, and the last slot */
	for (int d = 0; d < NDEV; d++) {
		double us = 0;

		if (!devs[d].present)
			continue;
		populate.err[d] = devs[d].bg == nr_user_slots - 1 ?
			set_region(devs[d].vm, TEST_ID, 0, TEST_GPA, PAGE_SZ,
				   test_hva, &us) : -EAGAIN;
		populate.v[d] = devs[d].grow_ns / 1e3 + us;
		close(devs[d].vm);
	}

	h = mmap(NULL, sizeof(*h) + sizeof(*fl), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		return 1;
	fl = (struct flush_res *)(h + 1);
	if (want("huge")) {
		fprintf(stderr, "memslot-bench: 1 TiB slot\n");
		huge_rounds(h);
	}
	if (devs[DEV_MS].present && want("flush")) {
		fprintf(stderr, "memslot-bench: delete with 1 GiB mapped\n");
		ferr = in_child(flush_child, fl, "1 GiB mapped");
	}
	report(json, h, fl, ferr);
	return 0;
}
