// SPDX-License-Identifier: GPL-2.0-only
/*
 * failslab-run TIMEOUT PROGRAM [ARGS...]
 *
 * Runs PROGRAM with slab fault injection limited to its own tasks: the
 * child is traced across its execve() only, so that the exec itself cannot
 * fail; once it stops after the exec, its /proc/<pid>/make-it-fail is set
 * (the failslab "task-filter" then fails its allocations with the
 * configured probability; threads it creates inherit the mark) and it is
 * let go.  The wrapper itself is never marked.
 *
 * Exit status: PROGRAM's, 128 + N if it was killed by signal N, 124 if it
 * ran longer than TIMEOUT seconds (then it is killed), 125 on a wrapper
 * error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;
static volatile sig_atomic_t timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	kill(child, SIGKILL);
}

static int mark_task(pid_t pid)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/%d/make-it-fail", (int)pid);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, "1", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	unsigned int timeout;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: %s TIMEOUT PROGRAM [ARGS...]\n", argv[0]);
		return 125;
	}
	timeout = strtoul(argv[1], NULL, 0);

	child = fork();
	if (child < 0) {
		perror("failslab-run: fork");
		return 125;
	}
	if (child == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL)) {
			perror("failslab-run: PTRACE_TRACEME");
			_exit(125);
		}
		execv(argv[2], &argv[2]);
		perror("failslab-run: execv");
		_exit(125);
	}

	/* The child stops with SIGTRAP once its new image is in place. */
	if (waitpid(child, &status, 0) != child) {
		perror("failslab-run: waitpid");
		return 125;
	}
	if (!WIFSTOPPED(status)) {
		fprintf(stderr, "failslab-run: %s did not start\n", argv[2]);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 125;
	}
	if (mark_task(child)) {
		perror("failslab-run: make-it-fail");
		kill(child, SIGKILL);
		return 125;
	}
	if (ptrace(PTRACE_DETACH, child, NULL, NULL)) {
		perror("failslab-run: PTRACE_DETACH");
		kill(child, SIGKILL);
		return 125;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	if (timeout)
		alarm(timeout);
	while (waitpid(child, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("failslab-run: waitpid");
			return 125;
		}
	}
	if (timed_out) {
		fprintf(stderr, "failslab-run: %s timed out after %us\n", argv[2], timeout);
		return 124;
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "failslab-run: %s killed by signal %d\n", argv[2], WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
