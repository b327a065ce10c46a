// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-hold DEVICE READY_FILE: create a VM with one vCPU on DEVICE, create
 * READY_FILE, and keep both until killed.
 *
 * The guest lane runs it on /dev/kvm for the whole test run.  While any VM
 * exists, creating and destroying others does not change the kernel's
 * code: the first VM of in-tree KVM turns on static keys (the preempt
 * notifiers that __schedule() tests, KVM's "vCPU without in-kernel APIC")
 * and enables virtualization on every CPU by IPI, and the last one turns
 * them off again.  Under QEMU TCG with two vCPUs, patching __schedule()
 * while both CPUs run through it has left the guest stuck with both CPUs
 * in the int3 handler of the patch site, a hang of the emulator that
 * otherwise struck about one run of the suite in ten here, always in a test's
 * run on /dev/kvm.  Each test still creates and destroys its own VMs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

int main(int argc, char **argv)
{
	int kvm, vm, vcpu, ready;

	if (argc != 3) {
		fprintf(stderr, "usage: kvm-hold DEVICE READY_FILE\n");
		return 2;
	}
	kvm = open(argv[1], O_RDWR | O_CLOEXEC);
	vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	vcpu = vm < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		fprintf(stderr, "kvm-hold: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	ready = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (ready < 0) {
		fprintf(stderr, "kvm-hold: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	close(ready);
	for (;;)
		pause();
}
