/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Minimal TAP (version 13 style, as kselftest prints it) for the kvm_memslot
 * selftests, plus the few KVM helpers every program needs.
 *
 * Every program takes the device to test as its first non-option argument
 * (default /dev/kvm-memslot), and --vm-type=N for the KVM_CREATE_VM type of
 * its VMs (default 0, what a client of /dev/kvm gets; run_tests.sh runs
 * each program once per type the device offers).  It must print the same
 * TAP status for the same test number on /dev/kvm-memslot and on in-tree
 * /dev/kvm.  A missing requirement (no device, no permission, a VM type
 * the device does not offer) ends it with exit status KSFT_SKIP.  Errno values are
 * printed in descriptions only for failures, so passing runs are identical
 * line for line.  A description that contains "[cmp]" is meant to be
 * compared verbatim between the two devices by the guest lane.
 */
#ifndef KVM_MEMSLOT_TAP_H
#define KVM_MEMSLOT_TAP_H

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

#include "../../../../include/uapi/linux/kvm_memslot.h"

#define DEFAULT_DEVICE "/dev/kvm-memslot"
/*
 * The VM's page size: the unit of a gfn, of slot alignment and of a dirty
 * bit.  4 KiB unless --vm-type picks a type whose tap_arch_caps_table
 * entry says otherwise (PowerPC: 64 KiB).
 */
static unsigned long tap_page_sz = 4096;
#define PAGE_SZ tap_page_sz
/* The largest, for static buffers. */
#define PAGE_SZ_MAX 65536UL

/* kselftest exit codes (tools/testing/selftests/kselftest.h) */
#define KSFT_PASS	0
#define KSFT_FAIL	1
#define KSFT_SKIP	4

/* KVM_MEM_MAX_NR_PAGES of Linux 6.1, the same on every architecture */
#define MEM_MAX_NR_PAGES	((1UL << 31) - 1)

/*
 * What each VM type's capabilities must say: what in-tree KVM 6.1 of that
 * architecture reports (x86: KVM_USER_MEM_SLOTS, KVM_ADDRESS_SPACE_NUM,
 * KVM_MAX_VCPUS, KVM_MAX_VCPU_IDS).  Tests take the limits they work with
 * from KVM_CHECK_EXTENSION (tap_nr_slots(), tap_nr_address_spaces(), ...)
 * and check the capabilities themselves against this table only.  A new
 * backend adds its VM type here.
 */
struct tap_arch_caps {
	unsigned long vm_type;
	long nr_memslots;
	long address_spaces;
	long max_vcpus;
	long max_vcpu_id;
	unsigned long page_size;
	long max_create_id;	/* KVM_CREATE_VCPU accepts ids below this */
	int id_taken_errno;	/* KVM_CREATE_VCPU of an id in use */
};

static const struct tap_arch_caps tap_arch_caps_table[] = {
	{ KVM_MEMSLOT_VM_X86_EPT, 32764, 2, 1024, 4096, 4096, 4096, EEXIST },
	{ KVM_MEMSLOT_VM_X86_NPT, 32764, 2, 1024, 4096, 4096, 4096, EEXIST },
	/* arm64 6.1 (measured): no internal slots, GICv3's 512 vCPUs */
	{ KVM_MEMSLOT_VM_ARM64, 32767, 1, 512, 512, 4096, 512, EEXIST },
	/*
	 * Book3S HV on Debian's ppc64el: NR_CPUS 2048, 8 threads a core, but
	 * only ids below 2048 can be created (SMT mode 1), and an id in use
	 * is EINVAL.
	 */
	{ KVM_MEMSLOT_VM_PPC_BOOK3S_HV, 32767, 1, 2048, 16384, 65536, 2048, EINVAL },
};

/* The VM type under test (--vm-type=N). */
static unsigned long tap_vm_type;

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#ifndef KVM_DIRTY_LOG_INITIALLY_SET
#define KVM_DIRTY_LOG_INITIALLY_SET 0x2
#endif
#ifndef KVM_CAP_DIRTY_LOG_RING
#define KVM_CAP_DIRTY_LOG_RING 192
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234
#endif

/*
 * KVM_SET_USER_MEMORY_REGION2 appeared after 6.1.  The layout below is the
 * one later kernels define; 6.1 does not know the ioctl at all.
 */
struct tap_kvm_userspace_memory_region2 {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd;
	uint32_t pad1;
	uint64_t pad2[14];
};

#ifdef KVM_SET_USER_MEMORY_REGION2
#define TAP_SET_USER_MEMORY_REGION2 KVM_SET_USER_MEMORY_REGION2
#else
#define TAP_SET_USER_MEMORY_REGION2 \
	_IOW(KVMIO, 0x49, struct tap_kvm_userspace_memory_region2)
#endif

static int tap_planned, tap_count, tap_failed;

static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("TAP version 13\n1..%d\n", n);
	fflush(stdout);
}

static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void tap_result(int pass, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!pass)
		tap_failed++;
	printf("%s %d - ", pass ? "ok" : "not ok", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline void tap_skip(const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	printf("ok %d - # SKIP ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Skip @n results for one reason (a part the VM type does not have). */
static inline void tap_skip_n(int n, const char *why)
{
	while (n-- > 0)
		tap_skip("%s", why);
}

/* Skip the whole program (device missing, ...). */
static inline int tap_skip_all(const char *why)
{
	printf("TAP version 13\n1..0 # SKIP %s\n", why);
	return KSFT_SKIP;
}

/* Fill up the plan with "not ok" lines, e.g. after a fatal setup error. */
static inline void tap_bail_rest(const char *why)
{
	while (tap_count < tap_planned)
		tap_result(0, "%s", why);
}

/*
 * A host operation that the rest of the test depends on failed (memory
 * refused under slab fault injection, say): end the test with a failure
 * rather than go on and touch memory that is not mapped as it expects.
 */
static inline void tap_require(int ok, const char *what)
{
	if (ok)
		return;
	printf("Bail out! %s failed: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

static inline int tap_finish(void)
{
	if (tap_count != tap_planned)
		tap_diag("planned %d tests but ran %d", tap_planned, tap_count);
	tap_diag("Totals: pass:%d fail:%d", tap_count - tap_failed, tap_failed);
	return (tap_failed || tap_count != tap_planned) ? 1 : 0;
}

/* ---- errno names for messages ---- */

/* glibc's (2.32+), declared here whether or not _GNU_SOURCE is defined */
const char *strerrorname_np(int errnum);

static inline const char *tap_errname(int e)
{
	const char *name = e ? strerrorname_np(e) : "0";

	return name ? name : "E?";
}

/*
 * Result of an ioctl as the kernel returned it: >= 0 value, or -errno.
 * Both are plain numbers so tests can compare one int.
 */
static inline long tap_ioctl(int fd, unsigned long req, unsigned long arg)
{
	long r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

/*
 * Check one ioctl result against the expected one.  The description is the
 * same whatever happened; the actual value is appended only on failure.
 */
static inline int tap_expect(long got, long want, const char *fmt, ...)
{
	char desc[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	if (got == want) {
		tap_result(1, "%s", desc);
		return 1;
	}
	if (got < 0 && got > -4096)
		tap_result(0, "%s (got -%s, want %ld)", desc,
			   tap_errname((int)-got), want);
	else
		tap_result(0, "%s (got %ld, want %ld)", desc, got, want);
	return 0;
}

/* ---- KVM helpers ---- */

/*
 * The device to test: the first argument that is not an option.  Also
 * takes --vm-type=N (the type tap_create_vm() creates), which programs
 * with options of their own pass to tap_option() (1: it was one).
 */
static inline int tap_option(const char *arg)
{
	if (strncmp(arg, "--vm-type=", 10))
		return 0;
	tap_vm_type = strtoul(arg + 10, NULL, 0);
	for (size_t i = 0; i < ARRAY_SIZE(tap_arch_caps_table); i++)
		if (tap_arch_caps_table[i].vm_type == tap_vm_type)
			tap_page_sz = tap_arch_caps_table[i].page_size;
	return 1;
}

static inline const char *tap_device(int argc, char **argv)
{
	const char *dev = NULL;

	for (int i = 1; i < argc; i++)
		if (!tap_option(argv[i]) && argv[i][0] != '-' && !dev)
			dev = argv[i];
	return dev ? dev : DEFAULT_DEVICE;
}

/* Open the device; on failure, say why (errno is kept) and return -1. */
static inline int tap_open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int e = errno;

	if (fd < 0) {
		printf("# cannot open %s: %s%s\n", path, strerror(e),
		       e == EACCES || e == EPERM ? " (run as root)" : "");
		errno = e;
	}
	return fd;
}

/* A VM of the type under test; -errno on failure. */
static inline int tap_create_vm(int devfd)
{
	return (int)tap_ioctl(devfd, KVM_CREATE_VM, tap_vm_type);
}

/*
 * KVM_CHECK_EXTENSION on a device or VM fd: the value, or 0 if the fd
 * does not know the capability (as KVM answers for an unknown one).
 */
static inline long tap_cap(int fd, long cap)
{
	long r = tap_ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

/* User memslots per address space (KVM_CAP_NR_MEMSLOTS). */
static inline uint32_t tap_nr_slots(int fd)
{
	return (uint32_t)tap_cap(fd, KVM_CAP_NR_MEMSLOTS);
}

/* Address spaces (KVM_CAP_MULTI_ADDRESS_SPACE; 0 means one). */
static inline uint32_t tap_nr_address_spaces(int fd)
{
	long n = tap_cap(fd, KVM_CAP_MULTI_ADDRESS_SPACE);

	return n > 1 ? (uint32_t)n : 1;
}

/*
 * The module's VM type that @type stands for, with an arm64 type's IPA
 * size (its low byte) dropped: KVM_MEMSLOT_VM_ARM64 for every arm64 type.
 * Built for arm64, a program talks to in-tree arm64 KVM (the oracle lane,
 * tests/xarch/arm64.sh), whose types are the IPA size alone: those are
 * arm64 types too.  Use it wherever a test's expectation depends on the
 * architecture of the VM type.
 */
static inline unsigned long tap_vm_kind(unsigned long type)
{
#ifdef __aarch64__
	type |= KVM_MEMSLOT_VM_ARM64;
#endif
	if ((type & KVM_MEMSLOT_VM_FAMILY_MASK) == KVM_MEMSLOT_VM_ARM64)
		return KVM_MEMSLOT_VM_ARM64;
	return type;
}

/*
 * What the capabilities of VM type @type must say, or NULL.  The device fd
 * answers for tap_arch_caps_of(0): x86 on /dev/kvm-memslot and x86's
 * /dev/kvm, arm64 on arm64's /dev/kvm.
 */
static inline const struct tap_arch_caps *tap_arch_caps_of(unsigned long type)
{
	unsigned long kind = tap_vm_kind(type);

	for (size_t i = 0; i < ARRAY_SIZE(tap_arch_caps_table); i++)
		if (tap_arch_caps_table[i].vm_type == kind)
			return &tap_arch_caps_table[i];
	return NULL;
}

/* What the capabilities of the VM type under test must say, or NULL. */
static inline const struct tap_arch_caps *tap_arch_caps(void)
{
	return tap_arch_caps_of(tap_vm_type);
}

/* Whether the VM type under test is an arm64 one. */
static inline int tap_vm_is_arm64(void)
{
	return tap_vm_kind(tap_vm_type) == KVM_MEMSLOT_VM_ARM64;
}

/*
 * The errno of a slot beyond the VM's guest physical limit: EINVAL on x86
 * (MAXPHYADDR), EFAULT on arm64 (the IPA size).
 */
static inline long tap_gpa_limit_errno(void)
{
	return tap_vm_is_arm64() ? -EFAULT : -EINVAL;
}

/*
 * Whether the VM type under test is PowerPC Book3S HV, whose ABI answers
 * (memslot_ppc_abi checks them) the x86-written ABI tests do not know.
 */
static inline int tap_vm_is_ppc(void)
{
	return (tap_vm_type & KVM_MEMSLOT_VM_FAMILY_MASK) ==
	       KVM_MEMSLOT_VM_PPC_BOOK3S_HV;
}

static inline long tap_set(int vmfd, uint32_t as, uint32_t id, uint32_t flags,
			   uint64_t gpa, uint64_t size, uint64_t hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = (as << 16) | id,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	return tap_ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, (unsigned long)&r);
}

static inline long tap_get_dirty(int vmfd, uint32_t as, uint32_t id, void *bitmap)
{
	struct kvm_dirty_log log;

	memset(&log, 0, sizeof(log));
	log.slot = (as << 16) | id;
	log.dirty_bitmap = bitmap;
	return tap_ioctl(vmfd, KVM_GET_DIRTY_LOG, (unsigned long)&log);
}

static inline long tap_clear_dirty(int vmfd, uint32_t as, uint32_t id,
				   uint64_t first, uint32_t num, void *bitmap)
{
	struct kvm_clear_dirty_log log;

	memset(&log, 0, sizeof(log));
	log.slot = (as << 16) | id;
	log.first_page = first;
	log.num_pages = num;
	log.dirty_bitmap = bitmap;
	return tap_ioctl(vmfd, KVM_CLEAR_DIRTY_LOG, (unsigned long)&log);
}

static inline long tap_enable_cap(int vmfd, uint32_t cap, uint32_t flags,
				  uint64_t a0)
{
	struct kvm_enable_cap c;

	memset(&c, 0, sizeof(c));
	c.cap = cap;
	c.flags = flags;
	c.args[0] = a0;
	return tap_ioctl(vmfd, KVM_ENABLE_CAP, (unsigned long)&c);
}

/*
 * Anonymous, never touched, backing for slots, aligned to the VM's page
 * (a slot's host address must be).
 */
static inline void *tap_map(size_t size)
{
	size_t extra = PAGE_SZ > 4096 ? PAGE_SZ : 0;
	uint8_t *p = mmap(NULL, size + extra, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t start;

	if (p == MAP_FAILED)
		return NULL;
	if (!extra)
		return p;
	start = ((uintptr_t)p + PAGE_SZ - 1) & ~(uintptr_t)(PAGE_SZ - 1);
	if (start > (uintptr_t)p)
		munmap(p, start - (uintptr_t)p);
	if (start + size < (uintptr_t)p + size + extra)
		munmap((void *)(start + size),
		       (uintptr_t)p + size + extra - (start + size));
	return (void *)start;
}

/*
 * Highest end (exclusive) of a user range access_ok() accepts: TASK_SIZE_MAX,
 * which depends on whether the kernel runs with 5-level paging.  A mapping
 * above the 47-bit boundary is only possible with 5-level paging.  On
 * arm64 (the oracle lane's in-tree KVM) it is 1 << VA_BITS, with no page
 * kept back: 2^48, or 2^52 if a hint above 2^48 is honoured.
 */
static inline uint64_t tap_task_size_max(void)
{
#ifdef __powerpc64__
	/*
	 * The ppc64 oracle lane (tests/xarch/ppc64.sh): with 64 KiB pages
	 * user space ends at 4 PiB (TASK_SIZE_USER64), although a hint
	 * above the default 128 TiB window maps.
	 */
	return 1UL << 52;
#endif
	void *hint = (void *)(1UL << 50);
	void *p = mmap(hint, PAGE_SZ, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != MAP_FAILED)
		munmap(p, PAGE_SZ);
#ifdef __aarch64__
	return p == hint ? 1UL << 52 : 1UL << 48;
#else
	return p == hint ? (1UL << 56) - PAGE_SZ : (1UL << 47) - PAGE_SZ;
#endif
}

static inline int tap_popcount(const void *buf, size_t bytes)
{
	const unsigned char *b = buf;
	int n = 0;

	for (size_t i = 0; i < bytes; i++)
		n += __builtin_popcount(b[i]);
	return n;
}

#endif
