/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the selftests of simulated guest accesses
 * (KVM_MEMSLOT_VCPU_ACCESS) and the invariant audit (KVM_MEMSLOT_AUDIT):
 * kvm-memslot extension ioctls, which /dev/kvm does not have, so every
 * program using them skips there as a whole.
 */
#ifndef KVM_MEMSLOT_ACCESS_UTIL_H
#define KVM_MEMSLOT_ACCESS_UTIL_H

#include "tap.h"
#include "../../../../include/uapi/linux/kvm_memslot.h"

#define ACC_ERR_EXIT	1000	/* acc_read/acc_write: base of exit codes */

/*
 * One guest access.  Returns 0 if all @len bytes were accessed, -errno if
 * the ioctl failed, or ACC_ERR_EXIT + exit reason if the access exited;
 * *@out (if given) receives the structure the kernel wrote back.
 */
static inline long acc_access_as(int vcpufd, uint16_t as_id, uint64_t gpa,
				 void *buf, uint64_t len, uint32_t flags,
				 struct kvm_memslot_access *out)
{
	struct kvm_memslot_access a;
	long r;

	memset(&a, 0, sizeof(a));
	a.gpa = gpa;
	a.len = len;
	a.buf = (uintptr_t)buf;
	a.flags = (uint16_t)flags;
	a.as_id = as_id;
	r = tap_ioctl(vcpufd, KVM_MEMSLOT_VCPU_ACCESS, (unsigned long)&a);
	if (out)
		*out = a;
	if (r)
		return r;
	if (a.exit_reason != KVM_MEMSLOT_EXIT_NONE)
		return ACC_ERR_EXIT + a.exit_reason;
	return a.done == len ? 0 : -ERANGE;
}

/* An access to address space 0. */
static inline long acc_access(int vcpufd, uint64_t gpa, void *buf,
			      uint64_t len, uint32_t flags,
			      struct kvm_memslot_access *out)
{
	return acc_access_as(vcpufd, 0, gpa, buf, len, flags, out);
}

static inline long acc_read(int vcpufd, uint64_t gpa, void *buf, uint64_t len)
{
	return acc_access(vcpufd, gpa, buf, len, 0, NULL);
}

static inline long acc_write(int vcpufd, uint64_t gpa, const void *buf,
			     uint64_t len)
{
	return acc_access(vcpufd, gpa, (void *)buf, len,
			  KVM_MEMSLOT_ACCESS_WRITE, NULL);
}

#define ACC_MMIO	(ACC_ERR_EXIT + KVM_MEMSLOT_EXIT_MMIO)
#define ACC_FAULT	(ACC_ERR_EXIT + KVM_MEMSLOT_EXIT_MEMORY_FAULT)

/* Violations the audit found, or -errno. */
static inline long acc_audit(int vmfd)
{
	struct kvm_memslot_audit a;
	long r;

	memset(&a, 0xff, sizeof(a));
	r = tap_ioctl(vmfd, KVM_MEMSLOT_AUDIT, (unsigned long)&a);
	return r ? r : (long)a.violations;
}

static inline const char *acc_name(long r)
{
	static char s[32];

	if (r == 0)
		return "done";
	if (r == ACC_MMIO)
		return "MMIO exit";
	if (r == ACC_FAULT)
		return "memory-fault exit";
	if (r < 0 && r > -4096)
		return tap_errname((int)-r);
	snprintf(s, sizeof(s), "%ld", r);
	return s;
}

/*
 * Open @dev, create a VM and vCPU 0, and check that the device has guest
 * accesses: an access where no slot exists must exit to MMIO.  Returns 0,
 * or prints the whole-program skip and returns its exit status (4).
 */
static inline int acc_setup(const char *dev, int *devfd, int *vmfd,
			    int *vcpufd)
{
	char byte;

	*devfd = tap_open_dev(dev);
	if (*devfd < 0)
		return tap_skip_all("device not available");
	*vmfd = tap_create_vm(*devfd);
	if (*vmfd < 0)
		return tap_skip_all("KVM_CREATE_VM failed");
	*vcpufd = (int)tap_ioctl(*vmfd, KVM_CREATE_VCPU, 0);
	if (*vcpufd < 0)
		return tap_skip_all("KVM_CREATE_VCPU failed");
	if (acc_read(*vcpufd, 0, &byte, 1) != ACC_MMIO || acc_audit(*vmfd) < 0)
		return tap_skip_all("no kvm-memslot guest accesses on this device");
	return 0;
}

/* Anonymous memory aligned to @align (a power of two), or NULL. */
static inline void *acc_map_aligned(size_t size, size_t align)
{
	uint8_t *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t start, end;

	if (p == MAP_FAILED)
		return NULL;
	start = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	end = start + size;
	if (start > (uintptr_t)p)
		munmap(p, start - (uintptr_t)p);
	if ((uintptr_t)p + size + align > end)
		munmap((void *)end, (uintptr_t)p + size + align - end);
	return (void *)start;
}

/* A deterministic pattern byte for page @page, offset @off, round @round. */
static inline uint8_t acc_pattern(uint64_t page, uint64_t off, unsigned int round)
{
	return (uint8_t)(page * 131 + off * 7 + round * 29 + 1);
}

static inline void acc_fill(void *p, uint64_t page, unsigned int round)
{
	uint8_t *b = p;

	for (uint64_t off = 0; off < PAGE_SZ; off++)
		b[off] = acc_pattern(page, off, round);
}

#endif
