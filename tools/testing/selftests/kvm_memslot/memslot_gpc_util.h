/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the gfn_to_pfn cache selftests (memslot_gpc*.c).
 *
 * KVM_MEMSLOT_CREATE_GPC is a kvm-memslot extension: on /dev/kvm, or on
 * anything else that is not a kvm-memslot device, the ioctl fails with
 * ENOTTY and the programs skip as a whole.
 */
#ifndef KVM_MEMSLOT_GPC_UTIL_H
#define KVM_MEMSLOT_GPC_UTIL_H

#include "tap.h"
#include "../../../../include/uapi/linux/kvm_memslot.h"

/* A cache fd for [@gpa, @gpa + @len), or -errno. */
static inline int gpc_create_as(int vmfd, uint16_t as_id, uint64_t gpa,
				uint32_t len, uint32_t flags)
{
	struct kvm_memslot_gpc_create c;

	memset(&c, 0, sizeof(c));
	c.gpa = gpa;
	c.len = len;
	c.flags = flags;
	c.as_id = as_id;
	return (int)tap_ioctl(vmfd, KVM_MEMSLOT_CREATE_GPC, (unsigned long)&c);
}

/* A cache of address space 0. */
static inline int gpc_create(int vmfd, uint64_t gpa, uint32_t len,
			     uint32_t flags)
{
	return gpc_create_as(vmfd, 0, gpa, len, flags);
}

static inline int gpc_state(int fd, struct kvm_memslot_gpc_state *st)
{
	memset(st, 0, sizeof(*st));
	return (int)tap_ioctl(fd, KVM_MEMSLOT_GPC_GET_STATE, (unsigned long)st);
}

/* 1 if a check made now would hit, 0 if not, -errno. */
static inline int gpc_valid(int fd)
{
	struct kvm_memslot_gpc_state st;
	int r = gpc_state(fd, &st);

	return r ? r : (int)st.valid;
}

static inline int gpc_refresh(int fd)
{
	return (int)tap_ioctl(fd, KVM_MEMSLOT_GPC_REFRESH, 0);
}

/* pread/pwrite of the whole of @len at @off: 0 or -errno. */
static inline int gpc_read(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -ERANGE;
}

static inline int gpc_write(int fd, const void *buf, size_t len, off_t off)
{
	ssize_t n = pwrite(fd, buf, len, off);

	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -ERANGE;
}

/*
 * Open @dev and create a VM whose device knows gfn_to_pfn caches.
 * Returns the VM fd; on a device without them (or no device at all),
 * prints the skip plan and returns -1 with *@skip set.
 */
static inline int gpc_open_vm(const char *dev, int *skip)
{
	int devfd, vmfd, fd;

	*skip = 0;
	devfd = tap_open_dev(dev);
	if (devfd < 0) {
		*skip = 1;
		tap_skip_all("cannot open the device");
		return -1;
	}
	vmfd = tap_create_vm(devfd);
	close(devfd);
	if (vmfd < 0) {
		*skip = 1;
		tap_skip_all("KVM_CREATE_VM failed");
		return -1;
	}
	/* An empty range is refused before anything else is looked at. */
	fd = gpc_create(vmfd, 0, 0, 0);
	if (fd == -ENOTTY) {
		close(vmfd);
		*skip = 1;
		tap_skip_all("not a kvm-memslot device (no KVM_MEMSLOT_CREATE_GPC)");
		return -1;
	}
	if (fd >= 0)
		close(fd);
	return vmfd;
}

#endif
