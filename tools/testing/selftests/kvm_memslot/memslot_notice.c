// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_notice: change notices for device models in other processes
 * (KVM_MEMSLOT_CREATE_NOTICE_FD, a kvm-memslot extension: skips on
 * /dev/kvm).
 *
 * - A reader gets one record per create, flags change, move and delete,
 *   with the ranges, flags and generation of each.
 * - A device-model process that maps guest RAM itself (from the memfd)
 *   and drops its mapping on each delete before acknowledging: after
 *   every delete returns, it has already dropped it.
 * - A reader that never acknowledges makes a delete fail with ETIMEDOUT
 *   after the VM's timeout, the slot still there as before (and notified
 *   as created again); closing it, or its process dying while a delete
 *   waits, lets deletes go on.
 *
 * Usage: memslot_notice [device] [--vm-type=N]
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include "tap.h"

#define NTESTS		27
#define SLOT_GPA	0x40000000UL
#define SLOT_SIZE	(16 * PAGE_SZ)
#define ROUNDS		20

static int vmfd;
static uint64_t hva;

static int notice_fd(unsigned long flags)
{
	return (int)tap_ioctl(vmfd, KVM_MEMSLOT_CREATE_NOTICE_FD, flags);
}

static int read_one(int fd, struct kvm_memslot_notice *n)
{
	return read(fd, n, sizeof(*n)) == sizeof(*n) ? 0 : -errno;
}

static long set_slot(uint32_t flags, uint64_t gpa, uint64_t size)
{
	return tap_set(vmfd, 0, 1, flags, gpa, size, hva);
}

/* The guest physical address of slot 1, or 0 if it is not there. */
static uint64_t slot1_gpa(void)
{
	struct kvm_memslot_slot_info info[8];
	struct kvm_memslot_layout l = {
		.as_id = 0, .nr = 8, .slots = (uintptr_t)info,
	};
	uint32_t i;

	if (ioctl(vmfd, KVM_MEMSLOT_GET_SLOTS, &l))
		return 0;
	for (i = 0; i < l.nr; i++)
		if (info[i].slot == 1)
			return info[i].guest_phys_addr;
	return 0;
}

/* ---- a device model in another process ---- */

/* Shared between the test and the device model, read and written whole. */
struct shared {
	int mapped;		/* the device model maps slot 1's RAM now */
	int touched_removed;	/* it used RAM after its delete */
	int events;		/* records it read */
};

#define SH_GET(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define SH_SET(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

static void device_model(int fd, int memfd, struct shared *sh)
{
	struct kvm_memslot_notice n;
	char *ram = NULL;

	while (!read_one(fd, &n)) {
		SH_SET(&sh->events, SH_GET(&sh->events) + 1);
		if (n.kind == KVM_MEMSLOT_NOTICE_CREATE) {
			ram = mmap(NULL, n.size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, memfd, 0);
			if (ram == MAP_FAILED)
				_exit(2);
			SH_SET(&sh->mapped, 1);
			/* It uses the RAM while the slot exists. */
			ram[0]++;
		} else if (n.kind == KVM_MEMSLOT_NOTICE_DELETE) {
			if (ram && !SH_GET(&sh->mapped))
				SH_SET(&sh->touched_removed, 1);
			munmap(ram, n.size);
			ram = NULL;
			SH_SET(&sh->mapped, 0);
			/* Only now may the VMM reuse the memory. */
			if (write(fd, &n.generation, sizeof(n.generation)) !=
			    sizeof(n.generation))
				_exit(3);
		}
	}
	_exit(0);
}

/* Wait (at most 10 s) until the device model maps slot 1, or has died. */
static int wait_mapped(struct shared *sh)
{
	int i;

	for (i = 0; i < 100000 && !SH_GET(&sh->mapped); i++)
		usleep(100);
	return SH_GET(&sh->mapped);
}

static void *kill_later(void *arg)
{
	usleep(200 * 1000);
	kill(*(pid_t *)arg, SIGKILL);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	struct kvm_memslot_notice n;
	struct pollfd pfd;
	struct shared *sh;
	int devfd, fd, afd, memfd, i, ok, fds[KVM_MEMSLOT_MAX_NOTICE_FDS];
	uint64_t gen;
	pthread_t t;
	pid_t pid;
	long r;

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	vmfd = tap_create_vm(devfd);
	if (vmfd < 0)
		return tap_skip_all("KVM_CREATE_VM failed");
	fd = notice_fd(0);
	if (fd < 0)
		return tap_skip_all("no kvm-memslot notice fds on this device");

	tap_plan(NTESTS);
	memfd = memfd_create("guest-ram", 0);
	tap_require(memfd >= 0 && !ftruncate(memfd, SLOT_SIZE), "memfd");
	/* At an address aligned to the VM's page, as a slot's must be. */
	hva = (uintptr_t)tap_map(SLOT_SIZE);
	tap_require(hva && mmap((void *)hva, SLOT_SIZE, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_FIXED, memfd, 0) != MAP_FAILED,
		    "mmap of guest RAM");

	/* ---- records ---- */
	tap_expect(notice_fd(2), -EINVAL, "unknown flags: EINVAL");
	errno = 0;
	tap_result(write(fd, &gen, sizeof(gen)) == -1 && errno == EBADF,
		   "a reader that does not acknowledge cannot write (EBADF)");
	fcntl(fd, F_SETFL, O_NONBLOCK);
	tap_expect(read_one(fd, &n), -EAGAIN, "nothing to read: EAGAIN");

	tap_expect(set_slot(0, SLOT_GPA, SLOT_SIZE), 0, "create slot 1");
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	tap_result(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN),
		   "poll says a record is there");
	tap_expect(read(fd, &n, sizeof(n) - 1), -1, "a short buffer: EINVAL");
	ok = !read_one(fd, &n) && n.kind == KVM_MEMSLOT_NOTICE_CREATE &&
	     n.gpa == SLOT_GPA && n.new_gpa == SLOT_GPA &&
	     n.size == SLOT_SIZE && n.userspace_addr == hva && n.slot == 1 &&
	     !n.as_id && !n.old_flags && !n.new_flags;
	tap_result(ok, "create: one record with its range");
	gen = n.generation;

	set_slot(KVM_MEM_LOG_DIRTY_PAGES, SLOT_GPA, SLOT_SIZE);
	ok = !read_one(fd, &n) && n.kind == KVM_MEMSLOT_NOTICE_FLAGS &&
	     n.old_flags == 0 && n.new_flags == KVM_MEM_LOG_DIRTY_PAGES &&
	     n.generation > gen;
	tap_result(ok, "flags change: old and new flags, a later generation");

	set_slot(0, 2 * SLOT_GPA, SLOT_SIZE);
	ok = !read_one(fd, &n) && n.kind == KVM_MEMSLOT_NOTICE_MOVE &&
	     n.gpa == SLOT_GPA && n.new_gpa == 2 * SLOT_GPA;
	ok &= read_one(fd, &n) == -EAGAIN;
	tap_result(ok, "move: one record, old and new address");

	set_slot(0, 2 * SLOT_GPA, 0);
	ok = !read_one(fd, &n) && n.kind == KVM_MEMSLOT_NOTICE_DELETE &&
	     n.gpa == 2 * SLOT_GPA && n.size == SLOT_SIZE;
	tap_result(ok, "delete: one record");

	/* Overflow: 64 records are kept, the 65th is dropped. */
	for (i = 0; i < 33; i++) {
		set_slot(0, SLOT_GPA, SLOT_SIZE);
		set_slot(0, SLOT_GPA, 0);
	}
	tap_expect(read_one(fd, &n), -EOVERFLOW,
		   "a reader too far behind gets EOVERFLOW once");
	ok = !read_one(fd, &n) && n.kind == KVM_MEMSLOT_NOTICE_CREATE;
	for (i = 1; i < 64 && !read_one(fd, &n); i++)
		;
	tap_result(ok && i == 64, "then the 64 records it kept");
	close(fd);

	/* ---- a device model that acknowledges ---- */
	sh = mmap(NULL, PAGE_SZ, PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	afd = notice_fd(KVM_MEMSLOT_NOTICE_F_ACK);
	tap_result(afd >= 0, "an acknowledging reader");
	pid = fork();
	tap_require(pid >= 0, "fork");
	if (!pid)
		device_model(afd, memfd, sh);
	close(afd);
	ok = 1;
	for (i = 0; i < ROUNDS && ok; i++) {
		ok &= set_slot(0, SLOT_GPA, SLOT_SIZE) == 0;
		/* A create does not wait: let the device model map it. */
		ok &= wait_mapped(sh);
		r = set_slot(0, SLOT_GPA, 0);
		ok &= !r && !SH_GET(&sh->mapped);
		if (!ok)
			tap_diag("round %d: delete %ld, device model still mapped %d",
				 i, r, SH_GET(&sh->mapped));
	}
	tap_result(ok, "%d deletes: each returned after the device model dropped the RAM",
		   ROUNDS);
	tap_result(!SH_GET(&sh->touched_removed) && SH_GET(&sh->events) == 2 * ROUNDS,
		   "the device model saw every change and used no removed RAM");

	/* It dies while a delete waits for it: the delete goes on. */
	tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_SET_NOTICE_TIMEOUT, 20000), 0,
		   "timeout of 20 s");
	set_slot(0, SLOT_GPA, SLOT_SIZE);
	wait_mapped(sh);
	kill(pid, SIGSTOP);
	pthread_create(&t, NULL, kill_later, &pid);
	tap_expect(set_slot(0, SLOT_GPA, 0), 0,
		   "a delete whose reader dies meanwhile succeeds");
	pthread_join(t, NULL);
	waitpid(pid, NULL, 0);

	/* ---- a reader that never acknowledges ---- */
	tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_SET_NOTICE_TIMEOUT, 0), -EINVAL,
		   "timeout 0: EINVAL");
	tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_SET_NOTICE_TIMEOUT, 300), 0,
		   "timeout of 300 ms");
	tap_expect(set_slot(0, SLOT_GPA, SLOT_SIZE), 0, "create slot 1 again");
	afd = notice_fd(KVM_MEMSLOT_NOTICE_F_ACK);
	tap_expect(set_slot(0, SLOT_GPA, 0), -ETIMEDOUT,
		   "a delete nobody acknowledges: ETIMEDOUT");
	tap_result(slot1_gpa() == SLOT_GPA, "and the slot is there as before");
	tap_expect(set_slot(0, 2 * SLOT_GPA, SLOT_SIZE), -ETIMEDOUT,
		   "a move nobody acknowledges: ETIMEDOUT");
	tap_result(slot1_gpa() == SLOT_GPA, "and the slot has not moved");
	fcntl(afd, F_SETFL, O_NONBLOCK);
	ok = !read_one(afd, &n) && n.kind == KVM_MEMSLOT_NOTICE_DELETE;
	ok &= !read_one(afd, &n) && n.kind == KVM_MEMSLOT_NOTICE_CREATE &&
	      n.gpa == SLOT_GPA;
	tap_result(ok, "its reader read the delete, then the slot coming back");
	close(afd);
	tap_expect(set_slot(0, SLOT_GPA, 0), 0,
		   "with the reader closed, the delete succeeds");

	for (i = 0; i < KVM_MEMSLOT_MAX_NOTICE_FDS; i++)
		fds[i] = notice_fd(0);
	tap_expect(notice_fd(0), -ENOSPC, "one reader too many: ENOSPC");
	for (i = 0; i < KVM_MEMSLOT_MAX_NOTICE_FDS; i++)
		close(fds[i]);
	return tap_finish();
}
