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
 * Before the race, one deterministic case that needs no luck: a vCPU
 * faults on a slot whose host page is registered with userfaultfd, so the
 * fault stops inside the kernel with the slot in hand and the SRCU read
 * lock held, until this program resolves it.  Meanwhile another thread
 * deletes the slot.  A correct module cannot finish the delete while the
 * fault is parked; a module that frees slots early finishes it, and the
 * fault then resumes on freed memory, which KASAN reports at once.  (A
 * fault that some host mm event sends back to the lookup never uses the
 * slot it parked with; the case is then tried again, a few times.)
 *
 * Only KVM's ABI is used, so it runs against /dev/kvm too (where the
 * vCPU access extension, and so the parked fault, is skipped).  Prints TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/kvm.h>
#include <linux/userfaultfd.h>

#include "../../include/uapi/linux/kvm_memslot.h"

#define PAGE		4096UL
#define RACE_SIZE	(2UL << 20)
#define NR_READERS	2
#define NR_VCPUS	2
/* Seconds beyond the race that the whole program may take. */
#define WATCHDOG_SLACK	200
#ifndef RACE_SECONDS
#define RACE_SECONDS	10
#endif

static int vm_fd;
static char *race_mem, *steady_mem;
static volatile int stop;
/* What the program is doing, for the watchdog's report. */
static const char *volatile phase = "setup";
static unsigned long cycles, zaps, harvests, accesses, errors;
static int first_error;
static bool parked_failed;

static int set_region_on(int fd, uint32_t id, uint32_t flags, uint64_t gpa,
			 uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = id, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)hva,
	};

	return ioctl(fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static int set_region(uint32_t id, uint32_t flags, uint64_t gpa, uint64_t size, void *hva)
{
	return set_region_on(vm_fd, id, flags, gpa, size, hva);
}

static void note_error(int err)
{
	int none = 0;

	__atomic_compare_exchange_n(&first_error, &none, err, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	__atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
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
			note_error(r);
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

/*
 * Whether the vCPU access extension is there: an access where no slot is
 * succeeds with an MMIO exit on /dev/kvm-memslot, while KVM refuses the
 * unknown ioctl (with EINVAL, as x86 answers unknown vCPU ioctls).
 */
static bool vcpu_access_supported(int vcpu_fd)
{
	char byte;
	struct kvm_memslot_access a = {
		.gpa = 0xfff00000, .len = 1, .buf = (uintptr_t)&byte,
	};

	return !ioctl(vcpu_fd, KVM_MEMSLOT_VCPU_ACCESS, &a);
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

		/* Missing slots end in exits, so an error is a failure. */
		if (ioctl(vcpu_fd, KVM_MEMSLOT_VCPU_ACCESS, &a)) {
			note_error(-errno);
			break;
		}
		__atomic_add_fetch(&accesses, 1, __ATOMIC_RELAXED);
		i++;
	}
	return NULL;
}

/* --- the parked fault ------------------------------------------------------ */

#define PARK_GPA	0x40000000UL
#define PARK_TIMEOUT_MS	60000
#define PARK_MAGIC	0x5a
/* A fault that retried never used its slot: park another, a few times. */
#define PARK_ATTEMPTS	4

struct parked {
	int vm_fd, vcpu_fd;
	char *mem;
	struct kvm_memslot_access acc;
	char buf[8];
	int access_ret, access_errno;
	int delete_ret;
	int deleted;
	int go[2];
};

static void *parked_vcpu(void *arg)
{
	struct parked *p = arg;

	p->acc = (struct kvm_memslot_access){
		.gpa = PARK_GPA, .len = sizeof(p->buf), .buf = (uintptr_t)p->buf,
	};
	p->access_ret = ioctl(p->vcpu_fd, KVM_MEMSLOT_VCPU_ACCESS, &p->acc);
	p->access_errno = errno;
	return NULL;
}

static void *parked_deleter(void *arg)
{
	struct parked *p = arg;
	char go;

	/* Nothing to delete if the fault could not be parked. */
	if (read(p->go[0], &go, 1) != 1)
		return NULL;
	p->delete_ret = set_region_on(p->vm_fd, 0, 0, PARK_GPA, 0, p->mem);
	__atomic_store_n(&p->deleted, 1, __ATOMIC_RELEASE);
	/*
	 * Exit only once the fault is over (the pipe is closed then): an
	 * exiting thread's stack is given back with MADV_DONTNEED, an
	 * MMU-notifier event too.
	 */
	while (read(p->go[0], &go, 1) > 0)
		;
	return NULL;
}

/* Wait for the vCPU's fault to reach userfaultfd; 0 once it has. */
static int parked_wait_fault(int uffd, const char *mem)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, PARK_TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -errno;
	if (msg.event != UFFD_EVENT_PAGEFAULT ||
	    (msg.arg.pagefault.address & ~(PAGE - 1)) != (uintptr_t)mem)
		return -EPROTO;
	return 0;
}

static int parked_resolve(int uffd, char *mem)
{
	static char page[PAGE];
	struct uffdio_copy copy = {
		.dst = (uintptr_t)mem, .src = (uintptr_t)page, .len = PAGE,
	};

	memset(page, PARK_MAGIC, sizeof(page));
	return ioctl(uffd, UFFDIO_COPY, &copy) ? -errno : 0;
}

/*
 * One parked fault: park the vCPU's fault, delete the slot under it,
 * release the fault.  Returns 0, or a negative errno if the fault could
 * not be parked; says whether the delete waited for the fault and whether
 * both ended as they may.
 */
static int parked_attempt(struct parked *p, int uffd, bool *waited,
			  bool *ended_ok)
{
	pthread_t vcpu, deleter;
	int fault, resolved;

	p->delete_ret = -1;
	p->deleted = 0;
	memset(p->buf, 0, sizeof(p->buf));
	if (pipe(p->go))
		return -errno;
	/*
	 * Both threads exist before the fault is parked, and live until it
	 * is over: creating a thread maps and protects its stack, an
	 * MMU-notifier event that would make the parked fault retry from the
	 * slot lookup and never touch the slot it found.
	 */
	pthread_create(&deleter, NULL, parked_deleter, p);
	pthread_create(&vcpu, NULL, parked_vcpu, p);
	fault = parked_wait_fault(uffd, p->mem);
	if (fault) {
		/* Filling the page lets the fault, if any, go on. */
		parked_resolve(uffd, p->mem);
		pthread_join(vcpu, NULL);
		close(p->go[1]);
		pthread_join(deleter, NULL);
		close(p->go[0]);
		return fault;
	}

	if (write(p->go[1], "", 1) != 1)
		perror("pipe");
	/*
	 * Not a timing assertion: while the fault is parked the delete cannot
	 * finish on a correct module however long we wait; the pause only
	 * gives a broken one the chance to finish it, and to free the slot.
	 */
	usleep(500 * 1000);
	*waited = !__atomic_load_n(&p->deleted, __ATOMIC_ACQUIRE);

	resolved = parked_resolve(uffd, p->mem);
	pthread_join(vcpu, NULL);
	close(p->go[1]);
	pthread_join(deleter, NULL);
	close(p->go[0]);
	*ended_ok = !resolved && !p->access_ret && !p->delete_ret &&
		    ((p->acc.exit_reason == KVM_MEMSLOT_EXIT_NONE &&
		      p->acc.done == sizeof(p->buf) && p->buf[0] == PARK_MAGIC &&
		      p->buf[7] == PARK_MAGIC) ||
		     (p->acc.exit_reason == KVM_MEMSLOT_EXIT_MMIO &&
		      p->acc.exit_gpa == PARK_GPA && p->acc.done == 0));
	return 0;
}

/* Tests 2-4 when the parked fault cannot be set up. */
static void parked_not_run(bool failed, const char *why)
{
	for (int i = 2; i <= 4; i++)
		printf(failed ? "not ok %d - parked fault: %s\n" :
				"ok %d - parked fault # SKIP %s\n", i, why);
	parked_failed |= failed;
}

/*
 * Tests 2-4: the delete waits for the parked fault, and the fault ends
 * with the data or with the exit of a missing slot, never anything else.
 */
static void parked_fault(int kvm_fd)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct parked p = { 0 };
	bool waited = false, ended_ok = false, all_waited = true, all_ended_ok = true;
	int uffd = -1, fault = 0, attempt;

	p.vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	p.vcpu_fd = p.vm_fd < 0 ? -1 : ioctl(p.vm_fd, KVM_CREATE_VCPU, 0);
	p.mem = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p.vcpu_fd < 0 || p.mem == MAP_FAILED ||
	    set_region_on(p.vm_fd, 0, 0, PARK_GPA, PAGE, p.mem)) {
		parked_not_run(true, strerror(errno));
		goto out;
	}
	/* Without the vCPU access extension there is no fault to park. */
	if (!vcpu_access_supported(p.vcpu_fd)) {
		parked_not_run(false, "no KVM_MEMSLOT_VCPU_ACCESS on this device");
		goto out;
	}
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 && errno == ENOSYS) {
		parked_not_run(false, "the kernel has no userfaultfd");
		goto out;
	}
	reg.range.start = (uintptr_t)p.mem;
	reg.range.len = PAGE;
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		parked_not_run(true, strerror(errno));
		goto out;
	}

	for (attempt = 1; attempt <= PARK_ATTEMPTS; attempt++) {
		/* After a retry: the slot and a missing page, once more. */
		if (attempt > 1 &&
		    (set_region_on(p.vm_fd, 0, 0, PARK_GPA, PAGE, p.mem) ||
		     madvise(p.mem, PAGE, MADV_DONTNEED))) {
			fault = -errno;
			break;
		}
		fault = parked_attempt(&p, uffd, &waited, &ended_ok);
		if (fault)
			break;
		all_waited &= waited;
		all_ended_ok &= ended_ok;
		printf("# attempt %d: access %d (errno %d, exit %u, done %llu), delete %d\n",
		       attempt, p.access_ret, p.access_errno, p.acc.exit_reason,
		       (unsigned long long)p.acc.done, p.delete_ret);
		/* Ended with the data: the fault used the slot it had parked with. */
		if (p.acc.exit_reason == KVM_MEMSLOT_EXIT_NONE)
			break;
	}
	if (attempt > PARK_ATTEMPTS)
		printf("# every parked fault retried from the lookup (host mm events?)\n");
	printf("%s 2 - the vCPU's fault is parked in userfaultfd%s%s\n",
	       fault ? "not ok" : "ok", fault ? ": " : "",
	       fault ? strerror(-fault) : "");
	printf("%s 3 - deleting the slot waits for the fault that holds it\n",
	       all_waited ? "ok" : "not ok");
	printf("%s 4 - the fault ends with the page's data or an MMIO exit, the delete succeeds\n",
	       all_ended_ok ? "ok" : "not ok");
	parked_failed = fault || !all_waited || !all_ended_ok;
out:
	if (uffd >= 0)
		close(uffd);
	if (p.mem && p.mem != MAP_FAILED)
		munmap(p.mem, PAGE);
	if (p.vcpu_fd >= 0)
		close(p.vcpu_fd);
	if (p.vm_fd >= 0)
		close(p.vm_fd);
}

/*
 * A hang here is a bug to report, not a reason to wait for the lane's
 * timeout: say where it happened and fail.
 */
static void watchdog(int sig)
{
	static const char msg[] = "Bail out! srcu_race: no progress, stuck in: ";
	const char *where = phase;

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0 ||
	    write(STDOUT_FILENO, where, strlen(where)) < 0 ||
	    write(STDOUT_FILENO, "\n", 1) < 0)
		_exit(2);
	_exit(1);
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/kvm-memslot";
	int seconds = argc > 2 ? atoi(argv[2]) : RACE_SECONDS;
	pthread_t w, r[NR_READERS], v[NR_VCPUS];
	int kvm_fd, i, nr_vcpus = 0;

	/* Line-buffered: what was printed survives the watchdog's _exit(). */
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	kvm_fd = open(dev, O_RDWR);
	if (kvm_fd < 0) {
		printf("1..0 # SKIP cannot open %s: %s\n", dev, strerror(errno));
		return 4;
	}
	printf("1..5\n");
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	race_mem = mmap(NULL, RACE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	steady_mem = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm_fd < 0 || race_mem == MAP_FAILED || steady_mem == MAP_FAILED) {
		printf("Bail out! setup: %s\n", strerror(errno));
		return 1;
	}
	i = set_region(0, KVM_MEM_LOG_DIRTY_PAGES, 0, 64 * PAGE, steady_mem);
	printf("%s 1 - steady dirty-logged slot created\n", i ? "not ok" : "ok");
	/* First, so that a broken module is caught before the race starts. */
	signal(SIGALRM, watchdog);
	alarm(seconds + WATCHDOG_SLACK);
	phase = "the parked fault";
	parked_fault(kvm_fd);
	phase = "the race";

	pthread_create(&w, NULL, writer, NULL);
	for (i = 0; i < NR_READERS; i++)
		pthread_create(&r[i], NULL, reader, (void *)(uintptr_t)(i * 1000));
	for (i = 0; i < NR_VCPUS; i++) {
		int vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, i);

		if (vcpu_fd < 0)
			break;
		/* /dev/kvm has no such ioctl: nothing to race there. */
		if (!vcpu_access_supported(vcpu_fd)) {
			close(vcpu_fd);
			break;
		}
		pthread_create(&v[nr_vcpus++], NULL, vcpu_reader,
			       (void *)(uintptr_t)vcpu_fd);
	}
	sleep(seconds);
	stop = 1;
	phase = "stopping the race";
	pthread_join(w, NULL);
	for (i = 0; i < NR_READERS; i++)
		pthread_join(r[i], NULL);
	for (i = 0; i < nr_vcpus; i++)
		pthread_join(v[i], NULL);

	printf("%s 5 - slot create/move/delete cycles against concurrent readers\n",
	       errors ? "not ok" : "ok");
	printf("# %lu cycles, %lu zaps, %lu dirty-log harvests, %lu vCPU accesses, %lu errors (first %d)\n",
	       cycles, zaps, harvests, accesses, errors, first_error);
	close(vm_fd);
	close(kvm_fd);
	return errors || parked_failed ? 1 : 0;
}
