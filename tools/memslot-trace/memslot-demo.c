// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot-demo: what `make demo` shows in the guest.
 *
 * 1. Recorded QEMU memslot traces replayed on /dev/kvm-memslot, once per
 *    VM type (backend) it offers, and on in-tree KVM (/dev/kvm) in the same
 *    boot.  For every step of the recording: the calls, what the update
 *    protocol did (statistics ioctl), the SRCU grace periods in-tree KVM 6.1
 *    waits for the same calls, the wall time on both devices, the layout.
 * 2. A BAR moved while a vCPU reads it: a real vCPU on /dev/kvm running
 *    real-mode code, the BAR moved with two KVM_SET_USER_MEMORY_REGION
 *    calls; then KVM_MEMSLOT_VCPU_ACCESS on /dev/kvm-memslot with the same
 *    two calls and with one KVM_MEMSLOT_SET_REGIONS batch.  The MMIO exits
 *    taken for an address that is RAM before and after the move are
 *    counted.
 * 3. A summary.
 *
 *   memslot-demo [--dev PATH] [--ref PATH] [--moves N] TRACE...
 *
 * Exit status: 0, 1 if a result differed between the devices or the batch
 * left a hole, 2 on a setup error.  Times are printed, never judged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "memslot_ext.h"
#include "replay.h"

#define MAX_VM_TYPES	8
#define MAX_TRACES	8
#define MAX_STEPS	512
#define MAX_SLOTS	1024

/* How KVM_SET_USER_MEMORY_REGION classifies a call (enum kvm_mr_change). */
enum call_kind { CALL_FAILED, CALL_NOP, CALL_CREATE, CALL_DELETE, CALL_MOVE,
		 CALL_FLAGS, NR_CALL_KINDS };

static const char *const call_kind_name[NR_CALL_KINDS] = {
	"failed", "no change", "create", "delete", "move", "flags"
};

/*
 * SRCU grace periods Linux 6.1's kvm_set_memslot() waits for, by kind.
 * Each kvm_swap_active_memslots() ends in synchronize_srcu_expedited();
 * a create (kvm_create_memslot) and a flags change
 * (kvm_update_flags_memslot) swap once, in kvm_activate_memslot(); a
 * delete or a move swaps twice: kvm_invalidate_memslot() first publishes
 * the slot marked invalid, then kvm_delete_memslot() / kvm_move_memslot()
 * activate the result.  A call that changes nothing, or fails validation
 * in __kvm_set_memory_region(), swaps nothing.
 */
static const unsigned int kvm61_grace_periods[NR_CALL_KINDS] = {
	0, 0, 1, 2, 2, 1
};

struct mirror_slot {
	uint32_t slot;
	uint32_t flags;
	uint64_t gpa;
};

/* Per-step figures of one replay. */
struct step_acct {
	unsigned int calls;		/* set/set2 ops */
	unsigned int kind[NR_CALL_KINDS];
	unsigned int kvm_gp;		/* what in-tree KVM 6.1 waits for */
	uint64_t ns;			/* wall time of every op of the step */
};

struct replay_acct {
	struct mirror_slot slots[MAX_SLOTS];
	unsigned int nslots;
	int step;			/* -1: ops before the first step line */
	struct step_acct steps[MAX_STEPS + 1];	/* [0]: before the first */
	struct step_acct total;
};

struct trace_result {
	const char *name;
	unsigned long vm_type;
	int calls;			/* ops replayed on the device */
	int identical;			/* every result as in-tree KVM's */
	uint64_t publishes, grace_periods, flushes;
	unsigned int kvm_gp;
	uint64_t ns, ref_ns;
};

struct demo {
	struct replay_acct acct, ref;
	int stats_fd;
	int vm_fd;
	struct memslot_ext_stats last;
	uint64_t last_generation;
	const char *step_line;		/* header of the step being collected */
	struct trace_result *res;
};

static double ms(uint64_t ns)
{
	return ns / 1e6;
}

static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		perror(path);
		exit(2);
	}
	buf = malloc(st.st_size + 1);
	if (!buf || read(fd, buf, st.st_size) != st.st_size) {
		perror(path);
		exit(2);
	}
	close(fd);
	*len = st.st_size;
	return buf;
}

/* ---- classifying the calls as in-tree KVM does ---- */

static struct mirror_slot *mirror_find(struct replay_acct *a, uint32_t slot)
{
	unsigned int i;

	for (i = 0; i < a->nslots; i++)
		if (a->slots[i].slot == slot)
			return &a->slots[i];
	return NULL;
}

static enum call_kind classify(struct replay_acct *a,
			       const struct replay_op_info *op)
{
	struct mirror_slot *m = mirror_find(a, op->slot);

	if (op->result)
		return CALL_FAILED;
	if (!op->size) {
		if (m)
			*m = a->slots[--a->nslots];
		return CALL_DELETE;
	}
	if (!m) {
		if (a->nslots == MAX_SLOTS) {
			fprintf(stderr, "memslot-demo: more than %d slots\n",
				MAX_SLOTS);
			exit(2);
		}
		m = &a->slots[a->nslots++];
		m->slot = op->slot;
		m->flags = op->flags;
		m->gpa = op->gpa;
		return CALL_CREATE;
	}
	if (m->gpa != op->gpa) {
		m->gpa = op->gpa;
		m->flags = op->flags;
		return CALL_MOVE;
	}
	if (m->flags != op->flags) {
		m->flags = op->flags;
		return CALL_FLAGS;
	}
	return CALL_NOP;
}

static void acct_op(struct replay_acct *a, const struct replay_op_info *op)
{
	struct step_acct *s = &a->steps[a->step + 1];
	enum call_kind k;

	if (op->is_newvm) {
		a->nslots = 0;
		return;
	}
	s->ns += op->ns;
	a->total.ns += op->ns;
	if (!op->is_set)
		return;
	k = classify(a, op);
	s->calls++;
	s->kind[k]++;
	s->kvm_gp += kvm61_grace_periods[k];
	a->total.calls++;
	a->total.kind[k]++;
	a->total.kvm_gp += kvm61_grace_periods[k];
}

static void acct_step(struct replay_acct *a)
{
	if (a->step < MAX_STEPS - 1)
		a->step++;
}

/* ---- the reference replay: in-tree KVM, quiet ---- */

static void ref_op_done(void *ctx, const struct replay_op_info *op)
{
	acct_op(ctx, op);
}

static void ref_step(void *ctx, int vm_fd, const char *line)
{
	if (line)
		acct_step(ctx);
}

/* ---- the replay shown: /dev/kvm-memslot ---- */

static void print_size(uint64_t bytes)
{
	if (bytes >= (1ULL << 30) && !(bytes & ((1ULL << 30) - 1)))
		printf("%5llu GiB", (unsigned long long)(bytes >> 30));
	else if (bytes >= (1ULL << 20) && !(bytes & ((1ULL << 20) - 1)))
		printf("%5llu MiB", (unsigned long long)(bytes >> 20));
	else
		printf("%5llu KiB", (unsigned long long)(bytes >> 10));
}

static void print_layout(int vm_fd)
{
	struct kvm_memslot_slot_info *info = NULL;
	uint64_t gen = 0;
	int i, nr = memslot_ext_get_slots(vm_fd, 0, &info, &gen);

	if (nr < 0) {
		printf("    (layout unavailable: %s)\n", strerror(-nr));
		return;
	}
	printf("    layout of address space 0 (generation %llu), %d slot(s):\n",
	       (unsigned long long)gen, nr);
	for (i = 0; i < nr; i++) {
		printf("      slot %5u  gpa 0x%010llx-0x%010llx ",
		       info[i].slot & 0xffff,
		       (unsigned long long)info[i].guest_phys_addr,
		       (unsigned long long)(info[i].guest_phys_addr +
					    info[i].memory_size - 1));
		print_size(info[i].memory_size);
		printf("%s%s\n",
		       info[i].flags & KVM_MEM_LOG_DIRTY_PAGES ? "  dirty-log" : "",
		       info[i].flags & KVM_MEM_READONLY ? "  read-only" : "");
	}
	free(info);
}

static uint64_t stat_delta(const struct memslot_ext_stats *now,
			   const struct memslot_ext_stats *was,
			   const char *name)
{
	uint64_t v = memslot_ext_stat(now, name);
	uint64_t w = memslot_ext_stat(was, name);

	if (v == UINT64_MAX)
		return 0;
	return v - (w == UINT64_MAX ? 0 : w);
}

static void read_stats(struct demo *d, struct memslot_ext_stats *st)
{
	if (d->stats_fd < 0 || memslot_ext_read_stats(d->stats_fd, st)) {
		fprintf(stderr, "memslot-demo: cannot read statistics: %s\n",
			strerror(errno));
		exit(2);
	}
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Print the step that just ended (index d->acct.step). */
static void show_step(struct demo *d)
{
	int i = d->acct.step;
	const struct step_acct *s = &d->acct.steps[i + 1];
	const struct step_acct *r = &d->ref.steps[i + 1];
	struct memslot_ext_stats now;
	uint64_t pub, gp, fl, gen;
	unsigned int k, sep = 0;

	read_stats(d, &now);
	pub = stat_delta(&now, &d->last, "publishes");
	gp = stat_delta(&now, &d->last, "grace_periods");
	fl = stat_delta(&now, &d->last, "flush_memslot_calls");
	gen = memslot_ext_stat(&now, "generation");
	d->res->publishes += pub;
	d->res->grace_periods += gp;
	d->res->flushes += fl;
	d->last = now;
	if (i < 0 && !s->calls)
		return;

	printf("\n[%d] %s\n", i, i < 0 ? "(before the first step)" :
	       d->step_line + 2);
	if (!s->calls) {
		printf("    no memslot call\n");
		return;
	}
	printf("    %u %s:", s->calls, plural(s->calls, "call", "calls"));
	for (k = 0; k < NR_CALL_KINDS; k++) {
		if (!s->kind[k])
			continue;
		printf("%s %u %s", sep++ ? "," : "", s->kind[k],
		       call_kind_name[k]);
	}
	printf("\n");
	printf("    kvm-memslot : %3llu %-14s %3llu %-19s %3llu flush_memslot  %8.3f ms\n",
	       (unsigned long long)pub,
	       plural(pub, "set published", "sets published"),
	       (unsigned long long)gp,
	       plural(gp, "grace period", "grace periods"),
	       (unsigned long long)fl, ms(s->ns));
	printf("    in-tree KVM : %3u %-14s %3u %-19s                %8.3f ms\n",
	       r->kvm_gp, plural(r->kvm_gp, "set published", "sets published"),
	       r->kvm_gp, plural(r->kvm_gp, "grace period", "grace periods"),
	       ms(r->ns));
	if (gen != d->last_generation) {
		print_layout(d->vm_fd);
		d->last_generation = gen;
	} else {
		printf("    layout unchanged\n");
	}
}

static void demo_step(void *ctx, int vm_fd, const char *line)
{
	struct demo *d = ctx;

	if (vm_fd != d->vm_fd) {
		/* A "newvm" op replaced the VM: follow it. */
		if (d->stats_fd >= 0)
			close(d->stats_fd);
		d->vm_fd = vm_fd;
		d->stats_fd = ioctl(vm_fd, KVM_MEMSLOT_GET_STATS_FD, 0);
		memset(&d->last, 0, sizeof(d->last));
		d->last_generation = UINT64_MAX;
	}
	show_step(d);
	if (line) {
		acct_step(&d->acct);
		d->step_line = line;
	}
}

static void demo_op_done(void *ctx, const struct replay_op_info *op)
{
	struct demo *d = ctx;

	acct_op(&d->acct, op);
}

/*
 * Replay one trace on in-tree KVM (quietly) and then on the device with a
 * report per step.  Returns 0, or 2 on a setup error.
 */
static int demo_trace(const char *dev, const char *ref, unsigned long type,
		      const char *path, struct trace_result *res)
{
	struct demo *d = calloc(1, sizeof(*d));
	struct replay_stats st, ref_st;
	FILE *devnull = fopen("/dev/null", "w");
	struct replay_opts o = {
		.dev = ref,
		.memslot_caps_only = 1,
		.msg = devnull,
		.step = ref_step,
		.op_done = ref_op_done,
	};
	size_t len;
	char *text = slurp(path, &len);
	int have_ref = !access(ref, R_OK | W_OK);

	if (!d || !devnull)
		exit(2);
	d->stats_fd = -1;
	d->vm_fd = -1;
	d->res = res;
	d->ref.step = -1;
	d->acct.step = -1;
	res->name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	res->vm_type = type;

	printf("\n================================================================\n");
	printf("%s on /dev/kvm-memslot, VM type %lu (%s)\n", res->name, type,
	       memslot_ext_vm_type_name(type));
	printf("================================================================\n");
	if (have_ref) {
		o.step_ctx = &d->ref;
		if (replay_text(path, text, len, &o, &ref_st))
			return 2;
	}

	/*
	 * The results written in the trace are the recording host's (a newer
	 * KVM); the reference is in-tree KVM here, compared by hash below.
	 */
	o.dev = dev;
	o.vm_type = type;
	o.step = demo_step;
	o.op_done = demo_op_done;
	o.step_ctx = d;
	if (replay_text(path, text, len, &o, &st))
		return 2;

	res->calls = st.passed + st.failed;
	res->kvm_gp = d->ref.total.kvm_gp;
	res->ns = d->acct.total.ns;
	res->ref_ns = d->ref.total.ns;
	res->identical = have_ref && st.hash == ref_st.hash;
	printf("\n%s: %d calls replayed (%u slot changes), %s\n", res->name,
	       res->calls, d->acct.total.calls, !have_ref ?
	       "no /dev/kvm to compare with" : res->identical ?
	       "every result identical to in-tree KVM's" :
	       "RESULTS DIFFER from in-tree KVM's");
	printf("    grace periods: %llu here, %u in in-tree KVM;",
	       (unsigned long long)res->grace_periods, res->kvm_gp);
	printf(" time: %.3f ms here, %.3f ms in in-tree KVM\n",
	       ms(res->ns), ms(res->ref_ns));
	if (d->stats_fd >= 0)
		close(d->stats_fd);
	fclose(devnull);
	free(d);
	free(text);
	return 0;
}

/* ---- the BAR move ---- */

/*
 * Guest physical layout of the BAR-move VMs: RAM with the code at 0, and a
 * two-page BAR that moves by one page between BAR_A and BAR_B, so that
 * HOLE_GPA is RAM in both places: an access to it has no reason to exit.
 * These are the x86 values (4 KiB pages), which the real vCPU's code is
 * built for; a VM type with larger pages scales them (struct bar_geom).
 */
#define RAM_SIZE	0x10000ULL
#define CODE_GPA	0x1000ULL
#define BAR_SIZE	0x2000ULL
#define BAR_A		0x20000ULL
#define BAR_B		0x21000ULL
#define HOLE_GPA	0x21000ULL
#define BAR_SLOT	1
#define READS_PER_EXIT	64

/*
 * Real-mode code: ds = HOLE_GPA >> 4, then forever: READS_PER_EXIT reads
 * of ds:0, one "out" to port 0x10 (an exit that lets the host count the
 * reads and stop the vCPU).
 */
static const unsigned char guest_code[] = {
	0xb8, HOLE_GPA >> 4 & 0xff, HOLE_GPA >> 12 & 0xff, /* mov ax, seg */
	0x8e, 0xd8,			/* mov ds, ax */
	0xb9, READS_PER_EXIT, 0x00,	/* 1: mov cx, READS_PER_EXIT */
	0xa1, 0x00, 0x00,		/* 2: mov ax, [0] */
	0xe2, 0xfb,			/* loop 2b */
	0xe6, 0x10,			/* out 0x10, al */
	0xeb, 0xf4,			/* jmp 1b */
};

/* The BAR-move layout of one VM type, in units of its page. */
struct bar_geom {
	uint64_t page;
	uint64_t ram_size;
	uint64_t bar_size;
	uint64_t bar_a;
	uint64_t bar_b;
	uint64_t hole;
};

/* The BAR-move layout for VM @type: 64 KiB pages for Book3S HV, else 4 KiB. */
static struct bar_geom bar_geom(unsigned long type)
{
	uint64_t scale = (type & KVM_MEMSLOT_VM_FAMILY_MASK) ==
			 KVM_MEMSLOT_VM_PPC_BOOK3S_HV ? 16 : 1;

	return (struct bar_geom){
		.page = 0x1000 * scale,
		.ram_size = RAM_SIZE * scale,
		.bar_size = BAR_SIZE * scale,
		.bar_a = BAR_A * scale,
		.bar_b = BAR_B * scale,
		.hole = HOLE_GPA * scale,
	};
}

struct mover {
	int vmfd;
	struct bar_geom g;
	void *bar;
	int batch;			/* move with KVM_MEMSLOT_SET_REGIONS */
	unsigned int moves;
	int error;
};

struct reader {
	int vcpufd;
	uint64_t hole;			/* the address it reads */
	struct kvm_run *run;		/* real vCPU: /dev/kvm */
	atomic_int started;		/* the vCPU is reading */
	atomic_int stop;		/* set by the mover when it is done */
	uint64_t reads;
	uint64_t hole_exits;		/* MMIO exits at HOLE_GPA */
	int error;
};

struct move_result {
	const char *what;
	uint64_t hole;
	unsigned int moves;
	uint64_t reads;
	uint64_t hole_exits;
	int ran;
};

static void set_region(struct kvm_userspace_memory_region *r, uint32_t slot,
		       uint64_t gpa, uint64_t size, void *hva)
{
	memset(r, 0, sizeof(*r));
	r->slot = slot;
	r->guest_phys_addr = gpa;
	r->memory_size = size;
	r->userspace_addr = (uintptr_t)hva;
}

static int move_bar(struct mover *m)
{
	struct kvm_userspace_memory_region r[2];
	struct kvm_memslot_regions batch = { .nr = 2 };
	unsigned int i;

	for (i = 0; i < m->moves; i++) {
		uint64_t to = i & 1 ? m->g.bar_a : m->g.bar_b;

		set_region(&r[0], BAR_SLOT, 0, 0, m->bar);
		set_region(&r[1], BAR_SLOT, to, m->g.bar_size, m->bar);
		if (m->batch) {
			batch.regions = (uintptr_t)r;
			if (ioctl(m->vmfd, KVM_MEMSLOT_SET_REGIONS, &batch))
				return -errno;
		} else if (ioctl(m->vmfd, KVM_SET_USER_MEMORY_REGION, &r[0]) ||
			   ioctl(m->vmfd, KVM_SET_USER_MEMORY_REGION, &r[1])) {
			return -errno;
		}
	}
	return 0;
}

/* A real vCPU: KVM_RUN until stopped, counting reads and hole exits. */
static void *run_vcpu(void *arg)
{
	struct reader *rd = arg;

	for (;;) {
		if (ioctl(rd->vcpufd, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			rd->error = errno;
			break;
		}
		if (rd->run->exit_reason == KVM_EXIT_IO) {
			rd->reads += READS_PER_EXIT;
			rd->started = 1;
			if (rd->stop)
				break;
		} else if (rd->run->exit_reason == KVM_EXIT_MMIO) {
			if (rd->run->mmio.phys_addr == HOLE_GPA)
				rd->hole_exits++;
			memset(rd->run->mmio.data, 0, sizeof(rd->run->mmio.data));
		} else {
			fprintf(stderr, "memslot-demo: unexpected exit %u\n",
				rd->run->exit_reason);
			rd->error = EIO;
			break;
		}
	}
	rd->started = 1;
	return NULL;
}

/* The simulated vCPU of /dev/kvm-memslot: the same reads. */
static void *access_vcpu(void *arg)
{
	struct reader *rd = arg;
	struct kvm_memslot_access a;
	uint16_t val;
	unsigned int i;

	while (!rd->stop) {
		for (i = 0; i < READS_PER_EXIT; i++) {
			memset(&a, 0, sizeof(a));
			a.gpa = rd->hole;
			a.len = sizeof(val);
			a.buf = (uintptr_t)&val;
			if (ioctl(rd->vcpufd, KVM_MEMSLOT_VCPU_ACCESS, &a)) {
				rd->error = errno;
				rd->started = 1;
				return NULL;
			}
			if (a.exit_reason == KVM_MEMSLOT_EXIT_MMIO &&
			    a.exit_gpa == rd->hole)
				rd->hole_exits++;
			rd->reads++;
		}
		rd->started = 1;
	}
	return NULL;
}

/* @size bytes of zeroed memory at a multiple of @align (a power of two). */
static void *map_anon(size_t size, size_t align)
{
	char *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t head;

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	/* Keep only the aligned part: munmap(p, size) frees it whole. */
	head = -(uintptr_t)p & (align - 1);
	if (head)
		munmap(p, head);
	munmap(p + head + size, align - head);
	memset(p + head, 0, size);
	return p + head;
}

/*
 * Move the BAR @moves times on @dev while a vCPU reads HOLE_GPA: a real
 * one (KVM_RUN) if @real, else KVM_MEMSLOT_VCPU_ACCESS; with two calls per
 * move, or one batch if @batch.
 */
static int bar_move(const char *dev, unsigned long type, int real, int batch,
		    unsigned int moves, struct move_result *res)
{
	struct kvm_userspace_memory_region r;
	struct mover mv = { .g = bar_geom(type), .batch = batch,
			    .moves = moves };
	struct reader rd = { .vcpufd = -1, .hole = mv.g.hole };
	void *ram = map_anon(mv.g.ram_size, mv.g.page);
	pthread_t t;
	int devfd, vmfd, ret = 2;

	mv.bar = map_anon(mv.g.bar_size, mv.g.page);
	res->hole = mv.g.hole;
	devfd = open(dev, O_RDWR | O_CLOEXEC);
	vmfd = devfd < 0 ? -1 : ioctl(devfd, KVM_CREATE_VM, type);
	if (vmfd < 0) {
		fprintf(stderr, "memslot-demo: %s: %s\n", dev, strerror(errno));
		goto out;
	}
	mv.vmfd = vmfd;
	memcpy((char *)ram + CODE_GPA, guest_code, sizeof(guest_code));
	set_region(&r, 0, 0, mv.g.ram_size, ram);
	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &r))
		goto err;
	set_region(&r, BAR_SLOT, mv.g.bar_a, mv.g.bar_size, mv.bar);
	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &r))
		goto err;
	rd.vcpufd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	if (rd.vcpufd < 0)
		goto err;
	if (real) {
		struct kvm_sregs sregs;
		struct kvm_regs regs;
		int size = ioctl(devfd, KVM_GET_VCPU_MMAP_SIZE, 0);

		if (size < 0)
			goto err;
		rd.run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			      rd.vcpufd, 0);
		if (rd.run == MAP_FAILED)
			goto err;
		if (ioctl(rd.vcpufd, KVM_GET_SREGS, &sregs))
			goto err;
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		if (ioctl(rd.vcpufd, KVM_SET_SREGS, &sregs))
			goto err;
		memset(&regs, 0, sizeof(regs));
		regs.rip = CODE_GPA;
		regs.rflags = 2;
		if (ioctl(rd.vcpufd, KVM_SET_REGS, &regs))
			goto err;
	}
	if (pthread_create(&t, NULL, real ? run_vcpu : access_vcpu, &rd)) {
		errno = EAGAIN;
		goto err;
	}
	while (!rd.started)
		usleep(1000);
	mv.error = rd.error ? 0 : move_bar(&mv);
	rd.stop = 1;
	pthread_join(t, NULL);
	if (rd.error || mv.error) {
		fprintf(stderr, "memslot-demo: %s: %s\n", rd.error ?
			"vCPU" : "moving the BAR",
			strerror(rd.error ? rd.error : -mv.error));
		goto out;
	}
	res->moves = moves;
	res->reads = rd.reads;
	res->hole_exits = rd.hole_exits;
	res->ran = 1;
	ret = 0;
	goto out;
err:
	fprintf(stderr, "memslot-demo: %s: setting up the VM: %s\n", dev,
		strerror(errno));
out:
	if (rd.vcpufd >= 0)
		close(rd.vcpufd);
	if (vmfd >= 0)
		close(vmfd);
	if (devfd >= 0)
		close(devfd);
	munmap(ram, mv.g.ram_size);
	munmap(mv.bar, mv.g.bar_size);
	return ret;
}

static void show_move(const struct move_result *m)
{
	if (!m->ran) {
		printf("  %-58s not run\n", m->what);
		return;
	}
	printf("  %-58s %5u moves, %8llu reads, %5llu MMIO exits at 0x%llx\n",
	       m->what, m->moves, (unsigned long long)m->reads,
	       (unsigned long long)m->hole_exits,
	       (unsigned long long)m->hole);
}

/* ---- main ---- */

static void intro(const char *dev, const char *ref, int ntraces)
{
	printf("kvm-memslot demo\n"
	       "\n"
	       "kvm-memslot implements KVM's guest memory slots in a module of its own,\n"
	       "on %s, with KVM's ABI.  What follows replays %d recorded QEMU\n"
	       "run(s) call by call on it and on in-tree KVM (%s) in this same\n"
	       "boot.  For each step of a recording it shows the calls, what the update\n"
	       "protocol did for them (slot sets published, SRCU grace periods waited\n"
	       "for, per-slot flushes), the grace periods in-tree KVM 6.1 waits for the\n"
	       "same calls (one per create or flags change, two per delete or move),\n"
	       "the wall time on both devices, and the layout.  Then a BAR is moved\n"
	       "while a vCPU reads it: with KVM's two calls (delete, create) the vCPU\n"
	       "can find no memory where there is RAM before and after the move, and\n"
	       "takes an MMIO exit; kvm-memslot's one-call batch leaves no such hole.\n"
	       "A summary ends it.  Each backend (VM type) of the module is shown.\n",
	       dev, ntraces, ref);
}

int main(int argc, char **argv)
{
	const char *dev = "/dev/kvm-memslot", *ref = "/dev/kvm";
	const char *traces[MAX_TRACES];
	unsigned long types[MAX_VM_TYPES];
	struct trace_result res[MAX_VM_TYPES * MAX_TRACES];
	struct move_result kvm_move = {
		.what = "in-tree KVM, real vCPU, 2 calls per move",
	};
	struct move_result two[MAX_VM_TYPES], one[MAX_VM_TYPES];
	unsigned int moves = 1000;
	int ntraces = 0, ntypes, nres = 0, i, j, devfd, rc = 0;
	int have_ref;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dev") && i + 1 < argc)
			dev = argv[++i];
		else if (!strcmp(argv[i], "--ref") && i + 1 < argc)
			ref = argv[++i];
		else if (!strcmp(argv[i], "--moves") && i + 1 < argc)
			moves = strtoul(argv[++i], NULL, 0);
		else if (argv[i][0] != '-' && ntraces < MAX_TRACES)
			traces[ntraces++] = argv[i];
		else
			goto usage;
	}
	if (!moves)
		goto usage;
	have_ref = !access(ref, R_OK | W_OK);
	devfd = open(dev, O_RDWR | O_CLOEXEC);
	if (devfd < 0) {
		perror(dev);
		return 2;
	}
	ntypes = memslot_ext_vm_types(devfd, types, MAX_VM_TYPES);
	close(devfd);
	if (!ntypes) {
		fprintf(stderr, "memslot-demo: %s creates no VM of a known type\n",
			dev);
		return 2;
	}

	intro(dev, ref, ntraces);
	printf("\nVM types (backends) of %s:", dev);
	for (i = 0; i < ntypes; i++)
		printf(" %lu (%s)", types[i], memslot_ext_vm_type_name(types[i]));
	printf("\n");

	for (i = 0; i < ntypes; i++)
		for (j = 0; j < ntraces; j++) {
			/*
			 * The recordings are of x86 QEMU, the reference is
			 * x86 KVM: the other backends are held to their own
			 * in-tree KVM by make xarch-arm64 and xarch-ppc64.
			 */
			if (types[i] & KVM_MEMSLOT_VM_FAMILY_MASK)
				continue;
			memset(&res[nres], 0, sizeof(res[nres]));
			if (demo_trace(dev, ref, types[i], traces[j], &res[nres]))
				return 2;
			if (have_ref && !res[nres].identical)
				rc = 1;
			nres++;
		}

	printf("\nThe recordings are x86 QEMU runs, replayed on the x86 types; the\n"
	       "arm64 and PowerPC types are compared with their own in-tree KVM by\n"
	       "make xarch-arm64 and make xarch-ppc64, and appear below.\n");
	printf("\n================================================================\n");
	printf("Moving a BAR (slot %d, two pages) by one page, between 0x%llx and\n"
	       "0x%llx (x86 and arm64; 16 times that with PowerPC's 64 KiB pages),\n"
	       "while a vCPU reads 0x%llx, RAM in both places, %u times\n",
	       BAR_SLOT, BAR_A, BAR_B, HOLE_GPA, moves);
	printf("================================================================\n");
	kvm_move.hole = HOLE_GPA;
	if (have_ref && bar_move(ref, 0, 1, 0, moves, &kvm_move))
		return 2;
	show_move(&kvm_move);
	for (i = 0; i < ntypes; i++) {
		static char what2[MAX_VM_TYPES][64], what1[MAX_VM_TYPES][64];

		memset(&two[i], 0, sizeof(two[i]));
		memset(&one[i], 0, sizeof(one[i]));
		snprintf(what2[i], sizeof(what2[i]),
			 "kvm-memslot %s, vCPU access, 2 calls per move",
			 memslot_ext_vm_type_name(types[i]));
		snprintf(what1[i], sizeof(what1[i]),
			 "kvm-memslot %s, vCPU access, 1 batch per move",
			 memslot_ext_vm_type_name(types[i]));
		two[i].what = what2[i];
		one[i].what = what1[i];
		if (bar_move(dev, types[i], 0, 0, moves, &two[i]) ||
		    bar_move(dev, types[i], 0, 1, moves, &one[i]))
			return 2;
		show_move(&two[i]);
		show_move(&one[i]);
		if (one[i].hole_exits)
			rc = 1;
	}

	printf("\n================================================================\n");
	printf("Summary\n");
	printf("================================================================\n");
	printf("  %-28s %-8s %5s %-9s %15s %19s\n", "trace", "VM type",
	       "calls", "results", "grace periods", "time (ms)");
	printf("  %-28s %-8s %5s %-9s %7s %7s %9s %9s\n", "", "", "",
	       "vs KVM", "here", "KVM", "here", "KVM");
	for (i = 0; i < nres; i++)
		printf("  %-28.28s %-8s %5d %-9s %7llu %7u %9.2f %9.2f\n",
		       res[i].name, memslot_ext_vm_type_name(res[i].vm_type),
		       res[i].calls, !have_ref ? "n/a" :
		       res[i].identical ? "identical" : "DIFFER",
		       (unsigned long long)res[i].grace_periods, res[i].kvm_gp,
		       ms(res[i].ns), ms(res[i].ref_ns));
	printf("\n  MMIO exits for RAM while a BAR moved (%u moves each):\n",
	       moves);
	show_move(&kvm_move);
	for (i = 0; i < ntypes; i++) {
		show_move(&two[i]);
		show_move(&one[i]);
	}
	printf("\nRESULT: %s\n", rc ? "FAILED (see above)" :
	       "every call as in-tree KVM answered it, and no hole in a batch");
	return rc;

usage:
	fprintf(stderr, "usage: memslot-demo [--dev PATH] [--ref PATH] [--moves N] TRACE...\n");
	return 2;
}
