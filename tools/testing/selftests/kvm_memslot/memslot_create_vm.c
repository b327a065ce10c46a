// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_create_vm: which error wins when KVM_CREATE_VM or
 * KVM_CREATE_VCPU breaks two rules at once, one of them "no fd left".
 *
 * Linux 6.1 reserves the VM fd before it looks at the type, so a caller
 * whose fd table is full gets EMFILE even for a type it would refuse with
 * EINVAL.  KVM_CREATE_VCPU is the other way round: the id and the limits
 * are checked and the vCPU is built before its fd is reserved, so an
 * invalid or taken id wins over EMFILE.  Every case is run with the fd
 * table filled up to a lowered RLIMIT_NOFILE, and each failure must leave
 * no fd and no vCPU behind: the free fd and the vCPU id are reused after.
 *
 * Usage: memslot_create_vm [device]
 */
#include <sys/resource.h>
#include "tap.h"

#define NTESTS 15

/* Head room for the fds the program holds before it fills the table. */
#define NOFILE_LIMIT 64

static int fillers[NOFILE_LIMIT];
static int nr_fillers;

/* Take every fd below the limit; return how many were taken. */
static int fill_fd_table(int src)
{
	int fd;

	while (nr_fillers < NOFILE_LIMIT) {
		fd = dup(src);
		if (fd < 0)
			break;
		fillers[nr_fillers++] = fd;
	}
	return errno == EMFILE;
}

/* Free the most recently taken fd and return its number. */
static int free_one_fd(void)
{
	int fd = fillers[--nr_fillers];

	close(fd);
	return fd;
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	struct rlimit rl = { NOFILE_LIMIT, NOFILE_LIMIT };
	int devfd, vmfd, vcpufd, hole, fd;
	long r, max_id;

	devfd = tap_open_dev(dev);
	if (devfd < 0) {
		printf("# cannot open %s: %s\n", dev, strerror(errno));
		return tap_skip_all("device not available");
	}
	tap_plan(NTESTS);
	tap_diag("device %s", dev);

	tap_require(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit(RLIMIT_NOFILE)");
	vmfd = tap_create_vm(devfd);
	tap_require(vmfd >= 0, "KVM_CREATE_VM");
	max_id = tap_cap(vmfd, KVM_CAP_MAX_VCPU_ID);
	tap_require(max_id > 1, "KVM_CAP_MAX_VCPU_ID");
	vcpufd = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, 0);
	tap_require(vcpufd >= 0, "KVM_CREATE_VCPU 0");

	tap_expect(fill_fd_table(devfd), 1, "fd table filled up to RLIMIT_NOFILE");

	/* ---- KVM_CREATE_VM: the fd is reserved first ---- */
	tap_expect(tap_ioctl(devfd, KVM_CREATE_VM, ~0UL), -EMFILE,
		   "KVM_CREATE_VM type ~0 with no fd left fails EMFILE");
	tap_expect(tap_ioctl(devfd, KVM_CREATE_VM, 0x80000000UL), -EMFILE,
		   "KVM_CREATE_VM type 0x80000000 with no fd left fails EMFILE");
	tap_expect(tap_ioctl(devfd, KVM_CREATE_VM, tap_vm_type), -EMFILE,
		   "KVM_CREATE_VM type 0 with no fd left fails EMFILE");
	tap_expect(tap_ioctl(devfd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 1,
		   "KVM_CHECK_EXTENSION needs no fd");

	/* One fd free: the type decides, and a refusal keeps no fd. */
	hole = free_one_fd();
	tap_expect(tap_ioctl(devfd, KVM_CREATE_VM, ~0UL), -EINVAL,
		   "KVM_CREATE_VM type ~0 with one fd free fails EINVAL");
	fd = dup(devfd);
	tap_expect(fd == hole, 1, "the refused KVM_CREATE_VM left its fd free");
	if (fd >= 0)
		close(fd);
	r = tap_ioctl(devfd, KVM_CREATE_VM, tap_vm_type);
	tap_expect(r == hole, 1, "KVM_CREATE_VM type 0 takes the one free fd");
	tap_expect(tap_ioctl(devfd, KVM_CREATE_VM, tap_vm_type), -EMFILE,
		   "KVM_CREATE_VM type 0 with the table full again fails EMFILE");
	if (r >= 0)
		close((int)r);

	/* ---- KVM_CREATE_VCPU: the id is checked before the fd ---- */
	fd = dup(devfd);
	tap_expect(fd == hole, 1, "the fd table is full again");
	tap_expect(tap_ioctl(vmfd, KVM_CREATE_VCPU, max_id), -EINVAL,
		   "KVM_CREATE_VCPU id KVM_CAP_MAX_VCPU_ID with no fd left fails EINVAL");
	tap_expect(tap_ioctl(vmfd, KVM_CREATE_VCPU, 0), -EEXIST,
		   "KVM_CREATE_VCPU of a taken id with no fd left fails EEXIST");
	tap_expect(tap_ioctl(vmfd, KVM_CREATE_VCPU, 1), -EMFILE,
		   "KVM_CREATE_VCPU of a free id with no fd left fails EMFILE");
	if (fd >= 0)
		close(fd);
	r = tap_ioctl(vmfd, KVM_CREATE_VCPU, 1);
	tap_expect(r == hole, 1,
		   "KVM_CREATE_VCPU of that id with one fd free succeeds (no vCPU left behind)");
	if (r >= 0)
		close((int)r);

	/* ---- everything released ---- */
	while (nr_fillers)
		free_one_fd();
	close(vcpufd);
	close(vmfd);
	vmfd = tap_create_vm(devfd);
	tap_expect(vmfd >= 0, 1, "KVM_CREATE_VM works again with the fds closed");
	if (vmfd >= 0)
		close(vmfd);
	close(devfd);
	return tap_finish();
}
