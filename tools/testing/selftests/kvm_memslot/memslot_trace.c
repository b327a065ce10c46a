// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_trace: the kvm_memslot tracepoints, read back through tracefs.
 *
 * The program enables every event of the kvm_memslot system in a tracing
 * instance of its own, and for each step (a create; a delete and a move of
 * a slot the vCPU mapped; dirty logging switched on and off; a batch; a
 * slot of the second address space; a move the backend refuses; a host
 * unmap under a slot and under a gfn_to_pfn cache; a fault that meets a
 * move in progress) checks that the step produced exactly the events it
 * must, in order, with the fields it must (slot, address space,
 * generation, kind, gfn ranges, translations removed), and nothing else
 * from the system.  Durations (the grace period's ns) are only checked to
 * be there.
 *
 * Extension-only: skips on /dev/kvm (no guest accesses there), and when no
 * tracefs is mounted (/sys/kernel/tracing, /sys/kernel/debug/tracing).
 *
 * Usage: memslot_trace [device] [--vm-type=N]
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/userfaultfd.h>

#include "access_util.h"
#include "memslot_gpc_util.h"

#define NTESTS		14
#define MAX_EVENTS	32
#define LINE		512
/* Memory for every slot, one after the other, 2 MiB aligned. */
#define AREA		(16UL << 20)
#define SLOT_SIZE	(1024UL * 1024)
/* A stride that is one VM page on every backend (4 KiB or 64 KiB pages). */
#define STRIDE		(64UL << 10)
#define GPA_BASE	0x10000000ULL

static char inst[256];
static int vmfd, vcpufd, vcpu1fd;
static unsigned char *area;
static unsigned int vm_page_shift = 12;
static uint64_t gen;
/* Slots in each address space's set, as publish events report them. */
static unsigned int nr_slots[2];

/* ---- tracefs ---- */

static int write_file(const char *name, const char *val)
{
	char path[512];
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", inst, name);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Make a tracing instance with the kvm_memslot events on; 0, or a skip. */
static int trace_setup(void)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[512];
	struct stat st;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(roots); i++) {
		snprintf(path, sizeof(path), "%s/instances", roots[i]);
		if (!stat(path, &st))
			break;
	}
	if (i == ARRAY_SIZE(roots))
		return tap_skip_all("no tracefs (mount -t tracefs nodev /sys/kernel/tracing)");
	snprintf(inst, sizeof(inst), "%s/instances/memslot_trace.%d", roots[i],
		 (int)getpid());
	if (mkdir(inst, 0700))
		return tap_skip_all("cannot make a tracing instance");
	/* The module is loaded: its events must be there. */
	if (write_file("events/kvm_memslot/enable", "1")) {
		rmdir(inst);
		tap_plan(NTESTS);
		tap_bail_rest("no kvm_memslot events in tracefs");
		return 1;
	}
	return 0;
}

static void trace_teardown(void)
{
	write_file("events/kvm_memslot/enable", "0");
	rmdir(inst);
}

static void trace_clear(void)
{
	write_file("trace", "");
}

struct event {
	char name[64];
	char fields[LINE];
};

/* The kvm_memslot events in the buffer, in order; at most @max. */
static int trace_read(struct event *ev, int max)
{
	char path[512], line[LINE];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/trace", inst);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p, *colon;

		if (line[0] == '#')
			continue;
		p = strstr(line, ": kvm_memslot_");
		if (!p)
			continue;
		p += 2;
		colon = strchr(p, ':');
		if (!colon)
			continue;
		*colon = 0;
		line[strcspn(line, "\n")] = 0;
		colon[strcspn(colon + 1, "\n") + 1] = 0;
		if (n < max) {
			snprintf(ev[n].name, sizeof(ev[n].name), "%s", p);
			snprintf(ev[n].fields, sizeof(ev[n].fields), "%s",
				 colon[1] == ' ' ? colon + 2 : colon + 1);
		}
		n++;
	}
	fclose(f);
	return n;
}

/*
 * Whether @fields (key=value words) has every key=value of @want, and
 * for a key written "key=*" some decimal value.
 */
static int fields_match(const char *fields, const char *want)
{
	char w[LINE], *save, *tok;

	snprintf(w, sizeof(w), "%s", want);
	for (tok = strtok_r(w, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char key[64], *star = strstr(tok, "=*");
		const char *p;
		size_t klen;

		if (!star) {
			size_t len = strlen(tok);

			p = strstr(fields, tok);
			/* Whole words only. */
			while (p && ((p != fields && p[-1] != ' ') ||
				     (p[len] && p[len] != ' ')))
				p = strstr(p + 1, tok);
			if (!p)
				return 0;
			continue;
		}
		klen = (size_t)(star - tok) + 1;
		snprintf(key, sizeof(key), "%.*s", (int)klen, tok);
		p = strstr(fields, key);
		while (p && p != fields && p[-1] != ' ')
			p = strstr(p + 1, key);
		if (!p || p[klen] < '0' || p[klen] > '9')
			return 0;
	}
	return 1;
}

/*
 * Compare the buffer with @want (a NULL-terminated list of "name fields"
 * strings), report one TAP result, and clear the buffer.
 */
static void expect_events(const char *what, const char *const *want)
{
	struct event ev[MAX_EVENTS];
	int n = trace_read(ev, MAX_EVENTS), nwant = 0, i, ok;

	while (want[nwant])
		nwant++;
	ok = n == nwant;
	for (i = 0; ok && i < n; i++) {
		size_t len = strcspn(want[i], " ");

		ok = strlen(ev[i].name) == len &&
		     !strncmp(ev[i].name, want[i], len) &&
		     fields_match(ev[i].fields, want[i] + len);
	}
	if (!ok) {
		tap_diag("%s: %d event(s), %d expected", what, n, nwant);
		for (i = 0; i < nwant; i++)
			tap_diag("  want %s", want[i]);
		for (i = 0; i < n && i < MAX_EVENTS; i++)
			tap_diag("  got  %s: %s", ev[i].name, ev[i].fields);
	}
	tap_result(ok, "%s: exactly its events", what);
	trace_clear();
}

/* ---- what the steps expect ---- */

static char wbuf[16][LINE];
static const char *wlist[17];
static int nw;

static void want_reset(void)
{
	nw = 0;
	wlist[0] = NULL;
}

static void want(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(wbuf[nw], LINE, fmt, ap);
	va_end(ap);
	wlist[nw] = wbuf[nw];
	wlist[++nw] = NULL;
}

/* A publish in @as of @phase ("invalid" gets the next odd generation). */
static void want_publish(unsigned int as, const char *kind, const char *phase)
{
	gen = !strcmp(phase, "invalid") ? gen + 1 : (gen | 1) + 1;
	want("kvm_memslot_publish as_id=%u generation=%llu kind=%s phase=%s slots=%u",
	     as, (unsigned long long)gen, kind, phase, nr_slots[as]);
}

static void want_grace(const char *why)
{
	want("kvm_memslot_grace_period generation=%llu why=%s ns=*",
	     (unsigned long long)gen, why);
}

static void want_flush(unsigned int as, unsigned int id, uint64_t gpa,
		       uint64_t size, unsigned long removed)
{
	want("kvm_memslot_flush_memslot as_id=%u slot=%u base_gfn=0x%llx npages=%llu removed=%lu",
	     as, id, (unsigned long long)(gpa >> vm_page_shift),
	     (unsigned long long)(size >> vm_page_shift), removed);
}

/* ---- the VM ---- */

static unsigned char *slot_mem(int n)
{
	return area + (size_t)n * SLOT_SIZE;
}

static uint64_t slot_gpa(int n)
{
	return GPA_BASE + (uint64_t)n * 2 * SLOT_SIZE;
}

static long set(uint32_t as, uint32_t id, uint32_t flags, uint64_t gpa,
		uint64_t size, int mem)
{
	return tap_set(vmfd, as, id, flags, gpa, size, (uintptr_t)slot_mem(mem));
}

/* Map @n VM pages of the slot at @gpa, one per STRIDE; 0 or the error. */
static long touch(int fd, uint32_t as, uint64_t gpa, int n)
{
	unsigned char byte;
	long r = 0;
	int i;

	for (i = 0; i < n && !r; i++)
		r = acc_access_as(fd, as, gpa + (uint64_t)i * STRIDE, &byte, 1,
				  0, NULL);
	return r;
}

static void step_create_delete(void)
{
	long r;

	r = set(0, 1, 0, slot_gpa(0), SLOT_SIZE, 0);
	nr_slots[0]++;
	want_reset();
	want_publish(0, "create", "final");
	tap_expect(r, 0, "create slot 1");
	expect_events("create", wlist);

	r = touch(vcpufd, 0, slot_gpa(0), 4);
	if (r)
		tap_diag("vCPU access: %s", acc_name(r));
	want_reset();
	expect_events("4 vCPU faults", wlist);

	r = set(0, 1, 0, slot_gpa(0), 0, 0);
	want_reset();
	want_publish(0, "delete", "invalid");
	want_grace("transition");
	want_flush(0, 1, slot_gpa(0), SLOT_SIZE, 4);
	nr_slots[0]--;
	want_publish(0, "delete", "final");
	if (r)
		tap_diag("delete: %s", tap_errname((int)-r));
	expect_events("delete of a slot with 4 pages mapped", wlist);
}

static void step_move_flags(void)
{
	long r;

	r = set(0, 2, 0, slot_gpa(1), SLOT_SIZE, 1);
	nr_slots[0]++;
	want_reset();
	want_publish(0, "create", "final");
	r = r ?: touch(vcpufd, 0, slot_gpa(1), 3);
	r = r ?: set(0, 2, 0, slot_gpa(2), SLOT_SIZE, 1);
	want_publish(0, "move", "invalid");
	want_grace("transition");
	want_flush(0, 2, slot_gpa(1), SLOT_SIZE, 3);
	want_publish(0, "move", "final");
	if (r)
		tap_diag("create, access, move: %s", acc_name(r));
	expect_events("create, 3 faults, move", wlist);

	r = set(0, 2, KVM_MEM_LOG_DIRTY_PAGES, slot_gpa(2), SLOT_SIZE, 1);
	want_reset();
	want_publish(0, "flags", "final");
	want_grace("dirty_log");
	if (r)
		tap_diag("dirty logging on: %s", tap_errname((int)-r));
	expect_events("dirty logging on", wlist);

	r = set(0, 2, 0, slot_gpa(2), SLOT_SIZE, 1);
	want_reset();
	want_publish(0, "flags", "final");
	if (r)
		tap_diag("dirty logging off: %s", tap_errname((int)-r));
	expect_events("dirty logging off", wlist);
}

static void step_batch(void)
{
	struct kvm_userspace_memory_region regions[3] = {
		{ .slot = 2, .guest_phys_addr = slot_gpa(2) },
		{ .slot = 3, .guest_phys_addr = slot_gpa(3),
		  .memory_size = SLOT_SIZE, .userspace_addr = (uintptr_t)slot_mem(3) },
		{ .slot = 4, .guest_phys_addr = slot_gpa(4),
		  .memory_size = SLOT_SIZE, .userspace_addr = (uintptr_t)slot_mem(4) },
	};
	struct kvm_memslot_regions b = {
		.nr = 3, .regions = (uintptr_t)regions,
	};
	long r;

	r = touch(vcpufd, 0, slot_gpa(2), 2);
	r = r ?: tap_ioctl(vmfd, KVM_MEMSLOT_SET_REGIONS, (unsigned long)&b);
	want_reset();
	want_publish(0, "batch", "invalid");
	want_grace("transition");
	want_flush(0, 2, slot_gpa(2), SLOT_SIZE, 2);
	nr_slots[0] += 1;
	want_publish(0, "batch", "final");
	if (r)
		tap_diag("batch: %s", acc_name(r));
	expect_events("batch: delete of a slot with 2 pages mapped, 2 creates", wlist);
}

static void step_second_as(void)
{
	long r;

	if (tap_nr_address_spaces(vmfd) < 2) {
		tap_skip("one address space: no second one to trace");
		return;
	}
	r = set(1, 1, 0, slot_gpa(5), SLOT_SIZE, 5);
	nr_slots[1]++;
	want_reset();
	want_publish(1, "create", "final");
	r = r ?: touch(vcpufd, 1, slot_gpa(5), 1);
	r = r ?: set(1, 1, 0, slot_gpa(5), 0, 5);
	want_publish(1, "delete", "invalid");
	want_grace("transition");
	want_flush(1, 1, slot_gpa(5), SLOT_SIZE, 1);
	nr_slots[1]--;
	want_publish(1, "delete", "final");
	if (r)
		tap_diag("address space 1: %s", acc_name(r));
	expect_events("create, fault, delete in address space 1", wlist);
}

/*
 * x86 refuses, in prepare_memory_region, a slot beyond the host's
 * physical address width, which only a move can meet after the old slot
 * went INVALID: the old layout is published again.
 */
static void step_restore(void)
{
	long r;

	if ((tap_vm_type & KVM_MEMSLOT_VM_FAMILY_MASK) !=
	    (KVM_MEMSLOT_VM_X86_EPT & KVM_MEMSLOT_VM_FAMILY_MASK)) {
		tap_skip("only x86 refuses a move after the INVALID publish");
		return;
	}
	r = set(0, 3, 0, 1ULL << 52, SLOT_SIZE, 3);
	want_reset();
	want_publish(0, "move", "invalid");
	want_grace("transition");
	want_flush(0, 3, slot_gpa(3), SLOT_SIZE, 0);
	want_publish(0, "move", "restore");
	if (r != -EINVAL)
		tap_diag("move beyond the physical address width: %s",
			 r ? tap_errname((int)-r) : "done");
	expect_events("a move that preparing refuses", wlist);
}

/* A host unmap under a mapped page, and under a gfn_to_pfn cache. */
static void step_unmap_gpc(void)
{
	uint64_t gpa = slot_gpa(3) + 5 * STRIDE, cgpa = slot_gpa(4) + 7 * STRIDE;
	unsigned long hva = (uintptr_t)slot_mem(3) + 5 * STRIDE;
	unsigned long chva = (uintptr_t)slot_mem(4) + 7 * STRIDE;
	long r;
	int fd;

	r = touch(vcpufd, 0, gpa, 1);
	if (r)
		tap_diag("vCPU access: %s", acc_name(r));
	madvise((void *)hva, PAGE_SZ, MADV_DONTNEED);
	want_reset();
	want("kvm_memslot_unmap hva=0x%lx-0x%lx as_id=0 slot=3 gfn=0x%llx-0x%llx removed=1",
	     hva, hva + PAGE_SZ, (unsigned long long)(gpa >> vm_page_shift),
	     (unsigned long long)(gpa >> vm_page_shift) + 1);
	expect_events("MADV_DONTNEED of a mapped page", wlist);

	fd = gpc_create(vmfd, cgpa + 0x40, 64, 0);
	r = fd < 0 ? fd : gpc_refresh(fd);
	want_reset();
	want("kvm_memslot_gpc_refresh as_id=0 gpa=0x%llx len=64 write=0 hva=0x%lx ret=0",
	     (unsigned long long)cgpa + 0x40, chva);
	if (r)
		tap_diag("gfn_to_pfn cache: %s", tap_errname((int)-r));
	expect_events("gfn_to_pfn cache refresh", wlist);

	madvise((void *)chva, PAGE_SZ, MADV_DONTNEED);
	want_reset();
	want("kvm_memslot_unmap hva=0x%lx-0x%lx as_id=0 slot=4 gfn=0x%llx-0x%llx removed=0",
	     chva, chva + PAGE_SZ, (unsigned long long)(cgpa >> vm_page_shift),
	     (unsigned long long)(cgpa >> vm_page_shift) + 1);
	want("kvm_memslot_gpc_invalidate as_id=0 gpa=0x%llx hva=0x%lx range=0x%lx-0x%lx",
	     (unsigned long long)cgpa + 0x40, chva, chva, chva + PAGE_SZ);
	expect_events("MADV_DONTNEED under a gfn_to_pfn cache", wlist);
	if (fd >= 0)
		close(fd);
}

/* ---- a fault that meets a move in progress ---- */

struct bg {
	pthread_t thread;
	long ret;
	int fd;
	uint64_t gpa;
	int move;
};

static void *bg_run(void *arg)
{
	struct bg *b = arg;

	if (b->move)
		b->ret = set(0, 6, 0, b->gpa, SLOT_SIZE, 6);
	else
		b->ret = touch(b->fd, 0, b->gpa, 1);
	return NULL;
}

/* Poll the buffer until it holds @n events (bounded); their number. */
static int wait_events(int n)
{
	struct event ev[MAX_EVENTS];
	int i, got = 0;

	for (i = 0; i < 2000; i++) {
		got = trace_read(ev, MAX_EVENTS);
		if (got >= n)
			break;
		usleep(5000);
	}
	return got;
}

/*
 * vCPU 0 faults on slot 5's page, which userfaultfd holds, so the fault
 * stays inside the VM's SRCU read section.  A move of slot 6 then
 * publishes its INVALID set and waits for that reader; vCPU 1 faults on
 * the move's destination, which is in transition, and must wait for it.
 * Resolving the userfault lets it all finish.
 */
static void step_fault_wait(void)
{
	unsigned char *page = slot_mem(7);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)page, .len = SLOT_SIZE },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct bg parked = { .fd = vcpufd, .gpa = slot_gpa(7) };
	struct bg move = { .move = 1, .gpa = slot_gpa(8) };
	struct bg waiter = { .fd = vcpu1fd, .gpa = slot_gpa(8) + STRIDE };
	struct uffd_msg msg;
	struct pollfd pfd;
	int uffd, n;
	long r;

	munmap(page, SLOT_SIZE);
	page = mmap(page, SLOT_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC);
	if (page == MAP_FAILED || uffd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		tap_skip("no userfaultfd: cannot hold a fault");
		return;
	}
	r = set(0, 5, 0, slot_gpa(7), SLOT_SIZE, 7);
	r = r ?: set(0, 6, 0, slot_gpa(6), SLOT_SIZE, 6);
	nr_slots[0] += 2;
	if (r) {
		tap_diag("slots 5 and 6: %s", tap_errname((int)-r));
		tap_result(0, "a fault waits for a move");
		return;
	}
	trace_clear();
	gen += 4;	/* the two creates */

	pthread_create(&parked.thread, NULL, bg_run, &parked);
	pfd.fd = uffd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 10000) != 1 || read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		tap_diag("the vCPU fault did not reach userfaultfd");
	pthread_create(&move.thread, NULL, bg_run, &move);
	n = wait_events(1);
	pthread_create(&waiter.thread, NULL, bg_run, &waiter);
	n = wait_events(2);
	if (n != 2)
		tap_diag("%d event(s) while the move waits for the parked fault", n);

	/* Let the parked fault go: it maps a zero page and leaves SRCU. */
	{
		struct uffdio_zeropage z = {
			.range = { .start = (uintptr_t)page, .len = PAGE_SZ },
		};

		if (ioctl(uffd, UFFDIO_ZEROPAGE, &z))
			tap_diag("UFFDIO_ZEROPAGE: %s", tap_errname(errno));
	}
	pthread_join(parked.thread, NULL);
	pthread_join(move.thread, NULL);
	pthread_join(waiter.thread, NULL);
	close(uffd);
	if (parked.ret || move.ret || waiter.ret)
		tap_diag("parked fault: %s, move: %s, waiting fault: %s",
			 acc_name(parked.ret), acc_name(move.ret),
			 acc_name(waiter.ret));

	want_reset();
	want_publish(0, "move", "invalid");
	want("kvm_memslot_fault_wait as_id=0 gfn=0x%llx generation=%llu",
	     (unsigned long long)(waiter.gpa >> vm_page_shift),
	     (unsigned long long)gen);
	want_grace("transition");
	want_flush(0, 6, slot_gpa(6), SLOT_SIZE, 0);
	want_publish(0, "move", "final");
	expect_events("a fault waits for a move", wlist);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	int devfd, r;

	r = acc_setup(dev, &devfd, &vmfd, &vcpufd);
	if (r)
		return r;
	r = trace_setup();
	if (r)
		return r == 1 ? tap_finish() : r;
	if ((tap_vm_type & KVM_MEMSLOT_VM_FAMILY_MASK) ==
	    (KVM_MEMSLOT_VM_PPC_BOOK3S_HV & KVM_MEMSLOT_VM_FAMILY_MASK))
		vm_page_shift = 16;
	tap_plan(NTESTS);

	vcpu1fd = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, 1);
	area = acc_map_aligned(AREA, 2UL << 20);
	tap_require(area && vcpu1fd >= 0, "memory and a second vCPU");
	/*
	 * Small pages only, all populated: no THP collapse or zero-page
	 * copy-on-write may invalidate a range behind the test's back.
	 */
	madvise(area, AREA, MADV_NOHUGEPAGE);
	memset(area, 1, AREA);
	trace_clear();

	step_create_delete();
	step_move_flags();
	step_batch();
	step_second_as();
	step_restore();
	step_unmap_gpc();
	step_fault_wait();

	trace_teardown();
	return tap_finish();
}
