// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_memcg: guest accesses where no slot is stay inside the caller's
 * memory cgroup.
 *
 * A child process in a cgroup v2 memory cgroup with a small memory.max
 * makes a vCPU access unbacked guest physical addresses spread over
 * several TiB, one per GiB, through the extension access ioctl.  Each must
 * exit to MMIO or fail with ENOMEM; the cgroup's limit must hold (table
 * pages charged past memory.max, as GFP_ATOMIC charges are, would show in
 * memory.current), memory.current must stop growing unless accesses fail
 * with ENOMEM, and nothing may be OOM-killed.
 *
 * cgroup2 is mounted if it is not; without the memory controller the
 * program skips.  Guest accesses are a kvm-memslot extension: on /dev/kvm
 * the program skips.
 *
 * Usage: memslot_memcg [device]
 */
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "access_util.h"

#define NTESTS		6
#define GB		(1024ULL * 1024 * 1024)
#define NACCESSES	8192
/* Room above the child's own use at the start. */
#define HEADROOM	(4ULL << 20)
/* What the second half of the loop may add without failing (noise). */
#define GROWTH_SLACK	(256ULL << 10)

struct child_report {
	long mmio, enomem, other, first_other;
	long long max, start, half, end;
};

static char cg_root[256], cg_dir[300];
static int mounted;

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[400];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -errno;
}

/* A number from a cgroup file, or a "key value" line of one; -1 if none. */
static long long read_num(const char *dir, const char *file, const char *key)
{
	char path[400], name[64];
	long long v, r = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!key) {
		if (fscanf(f, "%lld", &v) == 1)
			r = v;
	} else {
		while (fscanf(f, "%63s %lld", name, &v) == 2)
			if (!strcmp(name, key)) {
				r = v;
				break;
			}
	}
	fclose(f);
	return r;
}

/* Find or mount cgroup2 and make a child cgroup with memory control. */
static const char *cg_setup(void)
{
	char controllers[256] = "";
	char path[300];
	FILE *f;

	snprintf(cg_root, sizeof(cg_root), "/sys/fs/cgroup");
	snprintf(path, sizeof(path), "%s/cgroup.controllers", cg_root);
	if (access(path, F_OK)) {
		snprintf(cg_root, sizeof(cg_root), "/tmp/memslot_memcg.%d",
			 (int)getpid());
		if (mkdir(cg_root, 0700))
			return "cannot make a cgroup2 mount point";
		if (mount("none", cg_root, "cgroup2", 0, NULL)) {
			rmdir(cg_root);
			return "cgroup2 not available";
		}
		mounted = 1;
		snprintf(path, sizeof(path), "%s/cgroup.controllers", cg_root);
	}
	f = fopen(path, "r");
	if (!f || !fgets(controllers, sizeof(controllers), f)) {
		if (f)
			fclose(f);
		return "cannot read cgroup.controllers";
	}
	fclose(f);
	if (!strstr(controllers, "memory"))
		return "no memory controller in cgroup v2";
	if (write_file(cg_root, "cgroup.subtree_control", "+memory"))
		return "cannot enable the memory controller";
	snprintf(cg_dir, sizeof(cg_dir), "%s/memslot_memcg.%d", cg_root,
		 (int)getpid());
	if (mkdir(cg_dir, 0700) && errno != EEXIST)
		return "cannot create a cgroup";
	return NULL;
}

static void cg_cleanup(void)
{
	if (cg_dir[0])
		rmdir(cg_dir);
	if (mounted) {
		umount(cg_root);
		rmdir(cg_root);
	}
}

/* In the cgroup: the accesses.  Reports through @fd; exits 0. */
static void child(const char *dev, int fd)
{
	struct child_report rep = { .first_other = 0 };
	int devfd, vmfd, vcpufd;
	char buf[32], byte;
	long i, r;

	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	if (write_file(cg_dir, "cgroup.procs", buf))
		_exit(2);
	if (acc_setup(dev, &devfd, &vmfd, &vcpufd))
		_exit(3);

	rep.start = read_num(cg_dir, "memory.current", NULL);
	rep.max = rep.start + HEADROOM;
	snprintf(buf, sizeof(buf), "%lld", rep.max);
	if (rep.start < 0 || write_file(cg_dir, "memory.max", buf))
		_exit(4);

	for (i = 0; i < NACCESSES; i++) {
		/* A new GiB each time, and a new 512 GiB every 512. */
		uint64_t gpa = (uint64_t)i * GB + (uint64_t)(i & 511) * (2 << 20);

		r = acc_read(vcpufd, gpa, &byte, 1);
		if (r == ACC_MMIO) {
			rep.mmio++;
		} else if (r == -ENOMEM) {
			rep.enomem++;
		} else {
			if (!rep.other++)
				rep.first_other = r;
		}
		if (i == NACCESSES / 2)
			rep.half = read_num(cg_dir, "memory.current", NULL);
	}
	/* Before the VM goes, and its memory with it. */
	rep.end = read_num(cg_dir, "memory.current", NULL);
	if (write(fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(5);
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	struct child_report rep;
	int devfd, vmfd, vcpufd, status, pfd[2];
	long long oom_kill;
	const char *why;
	ssize_t n;
	pid_t pid;

	if (acc_setup(dev, &devfd, &vmfd, &vcpufd))
		return 4;
	close(vcpufd);
	close(vmfd);
	close(devfd);
	why = cg_setup();
	if (why) {
		cg_cleanup();
		return tap_skip_all(why);
	}

	tap_plan(NTESTS);
	tap_diag("device %s, cgroup %s, %d accesses", dev, cg_dir, NACCESSES);
	tap_require(!pipe(pfd), "pipe");
	fflush(stdout);
	pid = fork();
	tap_require(pid >= 0, "fork");
	if (!pid) {
		close(pfd[0]);
		child(dev, pfd[1]);
	}
	close(pfd[1]);
	memset(&rep, 0, sizeof(rep));
	n = read(pfd[0], &rep, sizeof(rep));
	close(pfd[0]);
	tap_require(waitpid(pid, &status, 0) == pid, "waitpid");

	tap_result(WIFEXITED(status) && !WEXITSTATUS(status) && n == sizeof(rep),
		   "the accessing process ran to the end (status 0x%x%s)", status,
		   WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ?
		   ", killed: OOM?" : "");
	tap_diag("memory.current: %lld at start, %lld half-way, %lld at the end; memory.max %lld",
		 rep.start, rep.half, rep.end, rep.max);
	tap_diag("%ld MMIO exits, %ld ENOMEM, %ld other", rep.mmio, rep.enomem,
		 rep.other);
	tap_result(n == sizeof(rep) && !rep.other,
		   "every access exits to MMIO or fails with ENOMEM%s",
		   rep.other ? " (other results seen)" : "");
	if (rep.other)
		tap_diag("first other result: %s", acc_name(rep.first_other));
	tap_result(n == sizeof(rep) && rep.mmio + rep.enomem == NACCESSES,
		   "%d accesses accounted for", NACCESSES);
	tap_result(n == sizeof(rep) && rep.half >= 0 && rep.end >= 0 &&
		   rep.half <= rep.max && rep.end <= rep.max,
		   "memory.current stays within memory.max");
	tap_result(n == sizeof(rep) &&
		   (rep.enomem || rep.end <= rep.half + (long long)GROWTH_SLACK),
		   "memory.current stops growing (or accesses fail with ENOMEM)");
	oom_kill = read_num(cg_dir, "memory.events", "oom_kill");
	tap_result(oom_kill == 0, "no OOM kill in the cgroup (memory.events oom_kill %lld)",
		   oom_kill);
	cg_cleanup();
	return tap_finish();
}
