// SPDX-License-Identifier: GPL-2.0-only
/*
 * srcu_race [DEVICE] [SECONDS]: readers of a slot set against its writer.
 *
 * One thread creates and deletes (and moves) a slot over and over; the
 * other threads keep the kernel reading the slot set at the same time:
 * they touch the slot's host memory and zap it with MADV_DONTNEED, so that
 * every zap is an MMU-notifier invalidation that resolves the host range to
 * slots under the VM's SRCU, and they harvest the dirty log of a second,
 * steady slot.  On /dev/kvm-memslot, vCPU threads also read the slot
 * through KVM_MEMSLOT_VCPU_ACCESS: a fault holds the SRCU read lock from
 * the slot lookup until its translation is installed, across the host
 * page lookup, which widens the window a premature free needs.  On a
 * correct module nothing happens; on a build that frees
 * a slot before the grace period, or skips the grace period of a delete,
 * the readers touch freed memory and KASAN (or lockdep/PROVE_RCU) reports
 * it in the guest log: the debug-kernel lane runs this program against
 * such a build and passes only if the report appears.
 *
 * Only KVM's ABI is used, so it runs against /dev/kvm too.  Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "../../include/uapi/linux/kvm_memslot.h"

#define PAGE		4096UL
#define RACE_SIZE	(2UL << 20)
#define NR_READERS	2
#define NR_VCPUS	2
#ifndef RACE_SECONDS
#define RACE_SECONDS	10
#endif

static int vm_fd;
static char *race_mem, *steady_mem;
static volatile int stop;
static unsigned long cycles, zaps, harvests, accesses, errors;
static int first_error;

static int set_region(uint32_t id, uint32_t flags, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = id, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static void *writer(void *arg)
{
	int r;

	(void)arg;
	while (!stop) {
		r = set_region(1, 0, 0x10000000, RACE_SIZE, race_mem);
		if (!r)
			r = set_region(1, 0, 0x20000000, RACE_SIZE, race_mem);	/* move */
		if (!r)
			r = set_region(1, 0, 0x20000000, 0, race_mem);		/* delete */
		if (r) {
			if (!first_error)
				first_error = r;
			__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
			set_region(1, 0, 0, 0, race_mem);
		}
		__atomic_add_fetch(&cycles, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void *reader(void *arg)
{
	unsigned long i = (uintptr_t)arg;
	static unsigned long bitmap[1024];
	struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = bitmap };

	while (!stop) {
		size_t off = (i++ * 7 * PAGE) % RACE_SIZE;

		race_mem[off] = 1;
		madvise(race_mem + (off & ~(64 * PAGE - 1)), 64 * PAGE, MADV_DONTNEED);
		__atomic_add_fetch(&zaps, 1, __ATOMIC_RELAXED);
		if (!(i & 7)) {
			ioctl(vm_fd, KVM_GET_DIRTY_LOG, &log);
			__atomic_add_fetch(&harvests, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

/* A vCPU reading the racing slot at both of its guest addresses. */
static void *vcpu_reader(void *arg)
{
	int vcpu_fd = (int)(uintptr_t)arg;
	unsigned long i = 0;
	char buf[64];

	while (!stop) {
		struct kvm_memslot_access a = {
			.gpa = ((i & 1) ? 0x20000000 : 0x10000000) +
			       (i * 13 * PAGE) % RACE_SIZE,
			.len = sizeof(buf),
			.buf = (uintptr_t)buf,
		};

		/* /dev/kvm has no such ioctl: nothing to race there. */
		if (ioctl(vcpu_fd, KVM_MEMSLOT_VCPU_ACCESS, &a) && errno == ENOTTY)
			break;
		__atomic_add_fetch(&accesses, 1, __ATOMIC_RELAXED);
		i++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/kvm-memslot";
	int seconds = argc > 2 ? atoi(argv[2]) : RACE_SECONDS;
	pthread_t w, r[NR_READERS], v[NR_VCPUS];
	int kvm_fd, i, nr_vcpus = 0;

	printf("TAP version 13\n");
	kvm_fd = open(dev, O_RDWR);
	if (kvm_fd < 0) {
		printf("1..0 # SKIP cannot open %s: %s\n", dev, strerror(errno));
		return 4;
	}
	printf("1..2\n");
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	race_mem = mmap(NULL, RACE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	steady_mem = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm_fd < 0 || race_mem == MAP_FAILED || steady_mem == MAP_FAILED) {
		printf("Bail out! setup: %s\n", strerror(errno));
		return 1;
	}
	i = set_region(0, KVM_MEM_LOG_DIRTY_PAGES, 0, 64 * PAGE, steady_mem);
	printf("%s 1 - steady dirty-logged slot created\n", i ? "not ok" : "ok");

	pthread_create(&w, NULL, writer, NULL);
	for (i = 0; i < NR_READERS; i++)
		pthread_create(&r[i], NULL, reader, (void *)(uintptr_t)(i * 1000));
	for (i = 0; i < NR_VCPUS; i++) {
		int vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, i);

		if (vcpu_fd < 0)
			break;
		pthread_create(&v[nr_vcpus++], NULL, vcpu_reader,
			       (void *)(uintptr_t)vcpu_fd);
	}
	sleep(seconds);
	stop = 1;
	pthread_join(w, NULL);
	for (i = 0; i < NR_READERS; i++)
		pthread_join(r[i], NULL);
	for (i = 0; i < nr_vcpus; i++)
		pthread_join(v[i], NULL);

	printf("%s 2 - slot create/move/delete cycles against concurrent readers\n",
	       errors ? "not ok" : "ok");
	printf("# %lu cycles, %lu zaps, %lu dirty-log harvests, %lu vCPU accesses, %lu errors (first %d)\n",
	       cycles, zaps, harvests, accesses, errors, first_error);
	close(vm_fd);
	close(kvm_fd);
	return errors ? 1 : 0;
}
