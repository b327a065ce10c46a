// SPDX-License-Identifier: GPL-2.0-only
/*
 * failslab_sweep [DEVICE]: take every allocation failure path of the
 * memslot ioctls, one at a time, and check what each failure leaves behind.
 *
 * For each operation (VM creation, slot create / flags / move / delete in
 * both x86 address spaces, dirty-log harvest, vCPU creation) it arms
 * /proc/thread-self/fail-nth with n = 1, 2, ...: the n-th fault-injection
 * site the ioctl reaches fails (failslab must be armed with ignore-gfp-wait
 * off; the guest lane's /init does that).  After each attempt:
 *  - a failed ioctl must have failed because of the injected fault, with
 *    -1 and an errno (never another value, never a crash);
 *  - after a failed ioctl the slot layout is exactly what it was before
 *    (checked through KVM's own ABI, see verify()); after a successful one
 *    it is the new layout (a successful call that absorbed an injected
 *    fault is undone and the sweep goes on);
 * until an attempt reaches no n-th site: then every failure path of that
 * operation has been taken.  Leaks of the failure paths are left to
 * kmemleak (the lane scans after this program).
 *
 * Only KVM's ABI is used, so the same sweep runs against /dev/kvm (in-tree
 * KVM) and /dev/kvm-memslot.  Prints TAP; exit status 0 if all passed, 4 if
 * fail-nth is unavailable (skip), 1 otherwise.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#define PAGE		4096UL
#define MAX_NTH		5000
#define PROBE_ID	100
#define AS(n)		((uint32_t)(n) << 16)

struct slot {
	const char *name;
	uint32_t id;		/* with the address space in bits 16+ */
	uint32_t flags;
	uint64_t gpa, size;
	char *hva;
	int present;
};

static int kvm_fd = -1, vm_fd = -1, nth_fd = -1;
static char *mem, *probe_mem;
static unsigned long *bitmap;
static int test_no, failed;
static unsigned long total_faults;

/* Layout: gaps between the slots so that growing or shrinking shows. */
static struct slot slots[] = {
	{ "small",    0,          KVM_MEM_LOG_DIRTY_PAGES, 0x100000,  16 * PAGE, NULL, 0 },
	{ "large",    1,          0,                       0x400000, 512 * PAGE, NULL, 0 },
	{ "readonly", 2,          KVM_MEM_READONLY,        0x800000,  32 * PAGE, NULL, 0 },
	{ "smm",      AS(1) | 3,  0,                       0x100000,  64 * PAGE, NULL, 0 },
};
#define NR_SLOTS (sizeof(slots) / sizeof(slots[0]))

static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok ? "ok" : "not ok", ++test_no);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failed++;
}

static void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* --- fail-nth -------------------------------------------------------------- */

static void nth_write(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, len, 0) != len) {
		printf("Bail out! writing fail-nth: %s\n", strerror(errno));
		exit(1);
	}
}

/* Disarm and say whether the armed fault was injected. */
static int nth_disarm(void)
{
	char buf[16] = "";
	ssize_t len = pread(nth_fd, buf, sizeof(buf) - 1, 0);

	if (len <= 0) {
		printf("Bail out! reading fail-nth: %s\n", strerror(errno));
		exit(1);
	}
	nth_write(0);
	return strtoul(buf, NULL, 10) == 0;
}

/* --- KVM ABI helpers (return 0 or -errno) ---------------------------------- */

static int set_region(int fd, uint32_t id, uint32_t flags, uint64_t gpa,
		      uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = id, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	return ioctl(fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static int slot_apply(const struct slot *s)
{
	return set_region(vm_fd, s->id, s->flags, s->gpa, s->size, s->hva);
}

static int slot_delete(const struct slot *s)
{
	return set_region(vm_fd, s->id, 0, s->gpa, 0, s->hva);
}

static int get_dirty_log(uint32_t id)
{
	struct kvm_dirty_log log = { .slot = id, .dirty_bitmap = bitmap };

	return ioctl(vm_fd, KVM_GET_DIRTY_LOG, &log) ? -errno : 0;
}

/*
 * Is the layout exactly slots[]?  Non-destructive when it is:
 *  - the first and the last page of each present slot are taken (a probe
 *    slot there gets EEXIST);
 *  - re-setting a present slot with its own parameters is a no-op that
 *    succeeds (KVM returns EINVAL if the size, hva or READONLY differ);
 *  - KVM_GET_DIRTY_LOG works exactly on the dirty-logged slots;
 *  - deleting an absent slot fails with EINVAL (so it does not exist).
 */
static int verify(const char *when)
{
	int bad = 0, r;
	unsigned int i;

	for (i = 0; i < NR_SLOTS; i++) {
		struct slot *s = &slots[i];
		uint32_t probe = (s->id & ~0xffffu) | PROBE_ID;
		uint64_t ends[2] = { s->gpa, s->gpa + s->size - PAGE };
		int e;

		if (!s->present) {
			r = slot_delete(s);
			if (r != -EINVAL) {
				diag("%s: slot %s should not exist, delete gave %d", when, s->name, r);
				bad++;
			}
			continue;
		}
		for (e = 0; e < 2; e++) {
			r = set_region(vm_fd, probe, 0, ends[e], PAGE, probe_mem);
			if (r != -EEXIST) {
				diag("%s: gpa 0x%llx of slot %s is not covered (probe gave %d)",
				     when, (unsigned long long)ends[e], s->name, r);
				bad++;
				if (r == 0)
					set_region(vm_fd, probe, 0, ends[e], 0, probe_mem);
			}
		}
		r = slot_apply(s);
		if (r) {
			diag("%s: slot %s differs from its expected parameters (%d)", when, s->name, r);
			bad++;
		}
		r = get_dirty_log(s->id);
		if (r != ((s->flags & KVM_MEM_LOG_DIRTY_PAGES) ? 0 : -ENOENT)) {
			diag("%s: dirty log of slot %s: %d", when, s->name, r);
			bad++;
		}
	}
	return bad;
}

/* --- the sweep --------------------------------------------------------------- */

struct op {
	const char *name;
	int (*apply)(struct slot *s, void *arg);	/* the ioctl */
	void (*commit)(struct slot *s, void *arg);	/* expected layout after */
	int (*undo)(struct slot *s, void *arg);		/* back to before */
	void (*uncommit)(struct slot *s, void *arg);
};

static int op_create(struct slot *s, void *arg) { (void)arg; return slot_apply(s); }
static void op_create_commit(struct slot *s, void *arg) { (void)arg; s->present = 1; }
static int op_create_undo(struct slot *s, void *arg) { (void)arg; return slot_delete(s); }
static void op_create_uncommit(struct slot *s, void *arg) { (void)arg; s->present = 0; }

static int op_flags(struct slot *s, void *arg)
{
	return set_region(vm_fd, s->id, s->flags ^ (uint32_t)(uintptr_t)arg, s->gpa, s->size, s->hva);
}
static void op_flags_commit(struct slot *s, void *arg) { s->flags ^= (uint32_t)(uintptr_t)arg; }

static int op_move(struct slot *s, void *arg)
{
	return set_region(vm_fd, s->id, s->flags, s->gpa + (uint64_t)(uintptr_t)arg, s->size, s->hva);
}
static void op_move_commit(struct slot *s, void *arg) { s->gpa += (uint64_t)(uintptr_t)arg; }
static int op_move_undo(struct slot *s, void *arg)
{
	return set_region(vm_fd, s->id, s->flags, s->gpa - (uint64_t)(uintptr_t)arg, s->size, s->hva);
}
static void op_move_uncommit(struct slot *s, void *arg) { s->gpa -= (uint64_t)(uintptr_t)arg; }

static const struct op create = { "create", op_create, op_create_commit, op_create_undo, op_create_uncommit };
static const struct op delete = { "delete", op_create_undo, op_create_uncommit, op_create, op_create_commit };
static const struct op flags = { "flags", op_flags, op_flags_commit, op_flags, op_flags_commit };
static const struct op move = { "move", op_move, op_move_commit, op_move_undo, op_move_uncommit };

static int valid_errno(int r)
{
	return r < 0 && r > -4096;
}

static void sweep(const struct op *op, struct slot *s, void *arg, const char *what)
{
	unsigned long faults = 0, absorbed = 0, enomem = 0;
	unsigned int n;
	int r, inj;

	if (verify("before")) {
		tap(0, "%s: layout wrong before the sweep", what);
		return;
	}
	for (n = 1; n <= MAX_NTH; n++) {
		nth_write(n);
		r = op->apply(s, arg);
		inj = nth_disarm();
		if (inj)
			faults++;
		if (r == 0) {
			op->commit(s, arg);
			if (verify(what)) {
				tap(0, "%s: wrong layout after success (fault #%u %s)", what, n,
				    inj ? "injected" : "not reached");
				return;
			}
			if (!inj)
				break;
			/* A fallback absorbed the fault: undo, take the next site. */
			absorbed++;
			r = op->undo(s, arg);
			if (r) {
				tap(0, "%s: undo after an absorbed fault failed (%d)", what, r);
				return;
			}
			op->uncommit(s, arg);
			continue;
		}
		if (!valid_errno(r) || !inj) {
			tap(0, "%s: failed with %d %s", what, r,
			    inj ? "(not an errno)" : "without an injected fault");
			return;
		}
		if (r == -ENOMEM)
			enomem++;
		else
			diag("%s: fault #%u made it fail with errno %d", what, n, -r);
		if (verify(what)) {
			tap(0, "%s: layout changed by a call that failed (fault #%u, errno %d)",
			    what, n, -r);
			return;
		}
	}
	total_faults += faults;
	if (n > MAX_NTH) {
		tap(0, "%s: still reaching fault sites after %u attempts", what, MAX_NTH);
		return;
	}
	tap(1, "%s: %lu failure paths taken (%lu ENOMEM, %lu absorbed), layout intact",
	    what, faults, enomem, absorbed);
}

/*
 * The VM types to sweep: KVM's default, and on /dev/kvm-memslot every
 * backend's type (a backend's init_vm failing is a path of its own).  The
 * numbers are <linux/kvm_memslot.h>'s, spelled out so that this file builds
 * with the distribution's headers alone; a type the device refuses without
 * a fault is left out.
 */
static const struct {
	const char *name;
	unsigned long type;
} vm_types[] = {
	{ "default",		0 },
	{ "x86 NPT",		1 },
	{ "arm64",		1UL << 16 },
	{ "arm64 IPA 36",	(1UL << 16) | 36 },
	{ "PPC Book3S HV",	2UL << 16 },
};

static void sweep_create_vm(unsigned long type, const char *name)
{
	unsigned long faults = 0;
	unsigned int n;
	int fd, inj;

	fd = ioctl(kvm_fd, KVM_CREATE_VM, type);
	if (fd < 0) {
		tap(type != 0, "KVM_CREATE_VM (%s): %s%s", name, strerror(errno),
		    type ? " # SKIP not offered" : "");
		return;
	}
	close(fd);
	for (n = 1; n <= MAX_NTH; n++) {
		nth_write(n);
		fd = ioctl(kvm_fd, KVM_CREATE_VM, type);
		inj = nth_disarm();
		faults += inj;
		if (fd >= 0) {
			close(fd);
			if (!inj)
				break;
			continue;
		}
		if (!inj || errno <= 0 || errno >= 4096) {
			tap(0, "KVM_CREATE_VM (%s): failed with errno %d %s", name,
			    errno, inj ? "" : "without an injected fault");
			return;
		}
	}
	total_faults += faults;
	tap(n <= MAX_NTH, "KVM_CREATE_VM (%s): %lu failure paths taken", name,
	    faults);
}

static void sweep_dirty_log(struct slot *s)
{
	unsigned long faults = 0;
	unsigned int n;
	int r, inj;

	for (n = 1; n <= MAX_NTH; n++) {
		nth_write(n);
		r = get_dirty_log(s->id);
		inj = nth_disarm();
		faults += inj;
		if (r == 0 && !inj)
			break;
		if (r && (!inj || !valid_errno(r))) {
			tap(0, "KVM_GET_DIRTY_LOG %s: failed with %d", s->name, r);
			return;
		}
	}
	total_faults += faults;
	tap(n <= MAX_NTH && !verify("dirty log"), "KVM_GET_DIRTY_LOG %s: %lu failure paths taken, layout intact",
	    s->name, faults);
}

static void sweep_create_vcpu(void)
{
	unsigned long faults = 0;
	unsigned int n, id = 0;
	int fd, inj;

	for (n = 1; n <= MAX_NTH; n++) {
		nth_write(n);
		fd = ioctl(vm_fd, KVM_CREATE_VCPU, id);
		inj = nth_disarm();
		faults += inj;
		if (fd >= 0) {
			id++;		/* vCPUs live as long as the VM */
			if (!inj)
				break;
			continue;
		}
		if (!inj || errno <= 0 || errno >= 4096) {
			tap(0, "KVM_CREATE_VCPU: failed with errno %d %s", errno,
			    inj ? "" : "without an injected fault");
			return;
		}
	}
	total_faults += faults;
	tap(n <= MAX_NTH && !verify("vcpu"), "KVM_CREATE_VCPU: %lu failure paths taken, %u vCPUs created",
	    faults, id);
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/kvm-memslot";
	size_t off = 0;
	unsigned int i;

	printf("TAP version 13\n");
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0) {
		printf("1..0 # SKIP no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION): %s\n",
		       strerror(errno));
		return 4;
	}
	kvm_fd = open(dev, O_RDWR);
	if (kvm_fd < 0) {
		printf("1..0 # SKIP cannot open %s: %s\n", dev, strerror(errno));
		return 4;
	}
	mem = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	probe_mem = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bitmap = calloc(1, 64 << 10);
	if (mem == MAP_FAILED || probe_mem == MAP_FAILED || !bitmap) {
		printf("Bail out! out of memory\n");
		return 1;
	}
	for (i = 0; i < NR_SLOTS; i++) {
		slots[i].hva = mem + off;
		off += slots[i].size + (2 << 20);
	}

	printf("1..%zu\n", 13 + sizeof(vm_types) / sizeof(vm_types[0]));
	for (i = 0; i < sizeof(vm_types) / sizeof(vm_types[0]); i++)
		sweep_create_vm(vm_types[i].type, vm_types[i].name);
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0) {
		printf("Bail out! KVM_CREATE_VM: %s\n", strerror(errno));
		return 1;
	}

	sweep(&create, &slots[0], NULL, "create small dirty-logged slot");
	sweep(&create, &slots[1], NULL, "create large slot");
	sweep(&create, &slots[2], NULL, "create read-only slot");
	sweep(&create, &slots[3], NULL, "create slot in address space 1");
	sweep(&flags, &slots[1], (void *)(uintptr_t)KVM_MEM_LOG_DIRTY_PAGES,
	      "enable dirty logging");
	sweep_dirty_log(&slots[1]);
	sweep(&flags, &slots[0], (void *)(uintptr_t)KVM_MEM_LOG_DIRTY_PAGES,
	      "disable dirty logging");
	sweep(&move, &slots[2], (void *)(uintptr_t)(0x400000), "move read-only slot");
	sweep(&move, &slots[3], (void *)(uintptr_t)(0x200000), "move slot in address space 1");
	sweep(&delete, &slots[1], NULL, "delete large slot");
	sweep(&delete, &slots[3], NULL, "delete slot in address space 1");
	sweep_create_vcpu();
	/* All the rest, then the VM goes: kmemleak checks what is left. */
	sweep(&delete, &slots[0], NULL, "delete small slot");

	close(vm_fd);
	close(kvm_fd);
	diag("%lu faults injected in all", total_faults);
	return failed ? 1 : 0;
}
