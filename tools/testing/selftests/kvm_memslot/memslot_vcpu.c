// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_vcpu: KVM_CREATE_VCPU ids and file lifetimes as Linux 6.1 x86
 * handles them, and the "one mm per VM" rule: every VM and vCPU ioctl from
 * a process other than the VM's creator fails EIO, while the system fd
 * has no such restriction.
 *
 * Usage: memslot_vcpu [device]
 */
#include <signal.h>
#include <sys/wait.h>
#include "tap.h"

#define NTESTS 40

#define NCHILD 9

static long child_results[NCHILD];
static const long child_want[NCHILD] = {
	-EIO, -EIO, -EIO, -EIO, -EIO, -EIO, KVM_API_VERSION, 1, 0,
};

static const char *const child_desc[NCHILD] = {
	"child: KVM_CHECK_EXTENSION on the parent's VM fd fails EIO",
	"child: SET_USER_MEMORY_REGION on the parent's VM fd fails EIO",
	"child: KVM_CREATE_VCPU on the parent's VM fd fails EIO",
	"child: GET_DIRTY_LOG on the parent's VM fd fails EIO",
	"child: KVM_SET_SIGNAL_MASK on the parent's vCPU fd fails EIO",
	"child: non-KVM ioctl on the parent's vCPU fd fails EIO (mm check first)",
	"child: KVM_GET_API_VERSION on the inherited system fd works",
	"child: KVM_CREATE_VM on the inherited system fd works",
	"child: SET_USER_MEMORY_REGION on its own VM works",
};

static void run_child(int devfd, int vmfd, int vcpufd, uint64_t hva, int wfd)
{
	unsigned long bitmap[4];
	long r[NCHILD];
	int own;

	r[0] = tap_ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	r[1] = tap_set(vmfd, 0, 1, 0, 0x200000, PAGE_SZ, hva);
	r[2] = tap_ioctl(vmfd, KVM_CREATE_VCPU, 9);
	r[3] = tap_get_dirty(vmfd, 0, 0, bitmap);
	r[4] = tap_ioctl(vcpufd, KVM_SET_SIGNAL_MASK, 0);
	r[5] = tap_ioctl(vcpufd, _IO('x', 1), 0);
	r[6] = tap_ioctl(devfd, KVM_GET_API_VERSION, 0);
	own = tap_create_vm(devfd);
	r[7] = own >= 0;
	r[8] = own >= 0 ? tap_set(own, 0, 0, 0, 0x100000, PAGE_SZ, hva) : -1000;
	if (write(wfd, r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	/* The device fd answers for the type KVM_CREATE_VM(0) makes. */
	const struct tap_arch_caps *ac = tap_arch_caps(), *sys = tap_arch_caps_of(0);
	int devfd, vmfd, vcpu0, vcpu1, vcpu4095, vcpu7, vmfd2, pfd[2], status;
	long max_id, nslots;
	int taken;
	pid_t pid;
	void *mem;
	long r;

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	tap_plan(NTESTS);
	tap_diag("device %s", dev);

	if (ac && sys) {
		tap_expect(tap_ioctl(devfd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS),
			   sys->max_vcpus, "KVM_CAP_MAX_VCPUS is %ld", sys->max_vcpus);
		tap_expect(tap_ioctl(devfd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPU_ID),
			   sys->max_vcpu_id, "KVM_CAP_MAX_VCPU_ID is %ld",
			   sys->max_vcpu_id);
	} else {
		tap_skip("KVM_CAP_MAX_VCPUS: no reference for VM type %lu",
			 tap_vm_type);
		tap_skip("KVM_CAP_MAX_VCPU_ID: no reference for VM type %lu",
			 tap_vm_type);
	}
	/* The device's default type: x86 3 pages, arm64 2 (kvm_run, MMIO ring). */
	tap_expect(tap_ioctl(devfd, KVM_GET_VCPU_MMAP_SIZE, 0),
		   (tap_vm_kind(0) == KVM_MEMSLOT_VM_ARM64 ? 2 : 3) * 4096,
		   "KVM_GET_VCPU_MMAP_SIZE is 3 pages (x86), 2 (arm64)");
	tap_expect(tap_ioctl(devfd, KVM_GET_VCPU_MMAP_SIZE, 1), -EINVAL,
		   "KVM_GET_VCPU_MMAP_SIZE with a nonzero argument fails EINVAL");
	tap_expect(tap_ioctl(devfd, KVM_CREATE_VCPU, 0), -EINVAL,
		   "KVM_CREATE_VCPU on the system fd fails EINVAL");

	vmfd = tap_create_vm(devfd);
	mem = tap_map(1 << 20);
	if (!tap_expect(vmfd >= 0 && mem, 1, "VM and backing memory")) {
		tap_bail_rest("no VM");
		return tap_finish();
	}
	nslots = tap_cap(vmfd, KVM_CAP_NR_MEMSLOTS);
	max_id = tap_cap(vmfd, KVM_CAP_MAX_VCPU_ID);
	if (ac)
		tap_expect(max_id, ac->max_vcpu_id,
			   "VM KVM_CAP_MAX_VCPU_ID is %ld", ac->max_vcpu_id);
	else
		tap_skip("VM KVM_CAP_MAX_VCPU_ID: no reference for VM type %lu",
			 tap_vm_type);

	/* The highest id KVM_CREATE_VCPU takes, and what an id in use gets. */
	if (ac && ac->max_create_id < max_id)
		max_id = ac->max_create_id;
	taken = ac ? ac->id_taken_errno : EEXIST;

	vcpu0 = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, 0);
	tap_expect(vcpu0 >= 0, 1, "create vCPU 0");
	tap_expect(tap_ioctl(vmfd, KVM_CREATE_VCPU, 0), -taken,
		   "create vCPU 0 again fails %s", tap_errname(taken));
	vcpu1 = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, 1);
	tap_expect(vcpu1 >= 0, 1, "create vCPU 1");
	vcpu4095 = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, max_id - 1);
	tap_expect(vcpu4095 >= 0, 1, "create vCPU %ld (highest id)", max_id - 1);
	tap_expect(tap_ioctl(vmfd, KVM_CREATE_VCPU, max_id), -EINVAL,
		   "create vCPU %ld fails EINVAL", max_id);
	tap_expect(tap_ioctl(vmfd, KVM_CREATE_VCPU, 0xffffffffUL), -EINVAL,
		   "create vCPU 0xffffffff fails EINVAL");
	tap_expect(tap_ioctl(vmfd, KVM_CREATE_VCPU, 1UL << 32), -taken,
		   "create vCPU 2^32 is id 0 (upper bits dropped): %s",
		   tap_errname(taken));
	vcpu7 = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, (1UL << 32) | 7);
	tap_expect(vcpu7 >= 0, 1, "create vCPU 2^32+7 creates id 7");
	tap_expect(tap_ioctl(vmfd, KVM_CREATE_VCPU, 7), -taken,
		   "create vCPU 7 again fails %s", tap_errname(taken));

	tap_expect(tap_ioctl(vcpu0, KVM_SET_SIGNAL_MASK, 0), 0,
		   "vCPU 0: KVM_SET_SIGNAL_MASK(NULL) succeeds");
	tap_expect(tap_ioctl(vcpu0, _IO('x', 1), 0), -EINVAL,
		   "vCPU 0: a non-KVM ioctl fails EINVAL");
	tap_expect(tap_set(vmfd, 0, 0, 0, 0, 0x10000, (uint64_t)mem), 0,
		   "memslots can be created after vCPUs");

	/* ---- another process using the fds ---- */
	if (pipe(pfd)) {
		tap_bail_rest("pipe failed");
		return tap_finish();
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		run_child(devfd, vmfd, vcpu0, (uint64_t)mem, pfd[1]);
	}
	close(pfd[1]);
	memset(child_results, 0, sizeof(child_results));
	r = read(pfd[0], child_results, sizeof(child_results));
	close(pfd[0]);
	waitpid(pid, &status, 0);
	tap_expect(r == (long)sizeof(child_results) && WIFEXITED(status) &&
		   WEXITSTATUS(status) == 0, 1, "forked child ran");
	for (int i = 0; i < NCHILD; i++)
		tap_expect(child_results[i], child_want[i], "%s", child_desc[i]);

	tap_expect(tap_ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS),
		   nslots, "parent: VM fd still works after the child");
	tap_expect(tap_set(vmfd, 0, 1, 0, 0x200000, PAGE_SZ, (uint64_t)mem), 0,
		   "parent: the child's slot 1 was never created");

	/* ---- lifetime: the VM outlives its fd while a vCPU fd is open ---- */
	tap_expect(close(vmfd), 0, "close the VM fd with vCPU fds open");
	tap_expect(tap_ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS), -EBADF,
		   "the closed VM fd fails EBADF");
	tap_expect(tap_ioctl(vcpu0, KVM_SET_SIGNAL_MASK, 0), 0,
		   "vCPU 0 still works after the VM fd is closed");
	tap_expect(close(vcpu0) | close(vcpu1) | close(vcpu4095), 0,
		   "close three vCPU fds");
	tap_expect(tap_ioctl(vcpu7, KVM_SET_SIGNAL_MASK, 0), 0,
		   "the last vCPU fd still works");
	tap_expect(close(vcpu7), 0, "close the last vCPU fd (VM destroyed)");

	vmfd2 = tap_create_vm(devfd);
	tap_expect(vmfd2 >= 0, 1, "a new VM can be created afterwards");
	vcpu0 = (int)tap_ioctl(vmfd2, KVM_CREATE_VCPU, 0);
	tap_expect(vcpu0 >= 0, 1, "  with a vCPU 0");
	close(vcpu0);
	tap_expect(tap_set(vmfd2, 0, 0, 0, 0, 0x10000, (uint64_t)mem), 0,
		   "  and a memslot after its vCPU fd was closed");
	close(vmfd2);
	close(devfd);
	return tap_finish();
}
