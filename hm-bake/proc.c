/* hm: running predicates, generators and matrix commands through /bin/sh. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

/* The running command's process group, for the signal handler. */
static volatile sig_atomic_t child_pgid;

static void
on_signal(int sig)
{
	pid_t pg = (pid_t)child_pgid;

	if (pg > 0)
		kill(-pg, SIGKILL);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
proc_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
child(const char *cmd, char *const envp[], int out_fd, const sigset_t *old)
{
	char *argv[4];
	int devnull;

	/* async-signal-safe calls only from here on */
	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, old, NULL);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out_fd, 1) < 0)
		_exit(126);
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = (char *)cmd;
	argv[3] = NULL;
	execve("/bin/sh", argv, envp);
	_exit(127);
}

static int
append(struct proc_result *r, size_t *cap, const char *buf, size_t n,
    size_t maxout)
{
	if (r->outlen + n > maxout) {
		r->too_big = true;
		return -1;
	}
	if (r->outlen + n + 1 > *cap) {
		size_t c = *cap ? *cap : 4096;
		char *p;

		while (c < r->outlen + n + 1)
			c *= 2;
		p = realloc(r->out, c);
		if (!p)
			return -1;
		r->out = p;
		*cap = c;
	}
	memcpy(r->out + r->outlen, buf, n);
	r->outlen += n;
	r->out[r->outlen] = '\0';
	return 0;
}

int
proc_run(const char *cmd, char *const envp[], long long timeout_seconds,
    bool capture, size_t maxout, struct proc_result *r)
{
	int fds[2], status = 0, eof = 0, reaped = 0, killed = 0;
	long long deadline = now_ms() + timeout_seconds * 1000, kill_at = 0;
	sigset_t block, old;
	size_t cap = 0;
	char buf[8192];
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(fds) < 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		child(cmd, envp, capture ? fds[1] : 2, &old);
	if (pid > 0) {
		setpgid(pid, pid);
		child_pgid = pid;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[1]);
	if (pid < 0) {
		int e = errno;

		close(fds[0]);
		errno = e;
		return -1;
	}
	while (!(eof && reaped)) {
		long long now = now_ms(), wait_ms;
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		pid_t w;

		if (reaped && now >= deadline) {
			/* something outside the group holds the pipe */
			r->timed_out = true;
			break;
		}
		if (!killed && now >= deadline) {
			r->timed_out = true;
			kill(-pid, SIGTERM);
			killed = 1;
			kill_at = now + 1000;
		}
		if (killed == 1 && now >= kill_at) {
			kill(-pid, SIGKILL);
			killed = 2;
		}
		/* poll in short slices until the shell is reaped */
		wait_ms = reaped ? 1000 : 10;
		if (!killed && deadline - now < wait_ms)
			wait_ms = deadline - now;
		if (wait_ms < 0)
			wait_ms = 0;
		if (!eof) {
			int n = poll(&pfd, 1, (int)wait_ms);

			if (n > 0) {
				ssize_t got = read(fds[0], buf, sizeof(buf));

				if (got > 0) {
					if (append(r, &cap, buf, (size_t)got,
					    maxout) && !killed) {
						kill(-pid, SIGKILL);
						killed = 2;
					}
				} else if (got == 0 || errno != EINTR) {
					eof = 1;
				}
			}
		} else if (!reaped) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
		}
		if (!reaped) {
			w = waitpid(pid, &status, WNOHANG);
			if (w == pid || (w < 0 && errno == ECHILD)) {
				reaped = 1;
				/* whatever it left behind goes too; this also
				 * closes the pipe if a background job held it */
				kill(-pid, SIGKILL);
			}
		}
	}
	child_pgid = 0;
	close(fds[0]);
	if (WIFEXITED(status))
		r->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->signo = WTERMSIG(status);
	if (!r->out) {
		r->out = malloc(1);
		if (r->out)
			r->out[0] = '\0';
	}
	return 0;
}

int
proc_ok(const struct proc_result *r)
{
	return !r->timed_out && !r->too_big && !r->signo && r->status == 0;
}

const char *
proc_describe(const struct proc_result *r, long long timeout, char *buf,
    size_t size)
{
	if (r->timed_out)
		snprintf(buf, size, "timed out after %lld s", timeout);
	else if (r->too_big)
		snprintf(buf, size, "printed too much");
	else if (r->signo)
		snprintf(buf, size, "killed by signal %d", r->signo);
	else if (r->status == 127)
		snprintf(buf, size, "exit status 127 (command not found)");
	else if (r->status == 126)
		snprintf(buf, size, "exit status 126 (cannot execute)");
	else
		snprintf(buf, size, "exit status %d", r->status);
	return buf;
}
