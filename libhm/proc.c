/* hm: the one process API: start a command in a process group of its own, stop it. */
#ifdef __linux__
#define _DEFAULT_SOURCE		/* vfork */
#endif
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

extern char **environ;

double
proc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
proc_pipe(int fds[2])
{
	int e;

	if (pipe(fds) < 0)
		return errno;
	if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		e = errno;
		close(fds[0]);
		close(fds[1]);
		return e;
	}
	return 0;
}

/* Where fd `to` of the child comes from: a file action, or none. */
static int
route(posix_spawn_file_actions_t *fa, int how, int to, int pipe_w, int out)
{
	switch (how) {
	case PROC_INHERIT:
		return 0;
	case PROC_NULL:
		return posix_spawn_file_actions_addopen(fa, to, "/dev/null",
		    O_WRONLY, 0);
	case PROC_PIPE:
		return posix_spawn_file_actions_adddup2(fa, pipe_w, to);
	case PROC_TO_OUT:
		return posix_spawn_file_actions_adddup2(fa, out, to);
	default:
		return posix_spawn_file_actions_adddup2(fa, how, to);
	}
}

/*
 * posix_spawn rather than fork: glibc spawns with CLONE_VFORK and reports
 * exec failures as a return value, which is git's CLOEXEC-pipe discipline
 * done by libc. Our own descriptors are all close-on-exec; dup2 onto
 * 0, 1 and 2 clears the flag on those alone.
 */
static int
spawn(struct proc *p, int out_w, int err_w)
{
	static const int sigs[] = PROC_SIGNALS;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def, empty;
	const char *path;
	size_t i;
	int e;

	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		return e;
	if ((e = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return e;
	}
	sigemptyset(&empty);
	sigemptyset(&def);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&def, sigs[i]);
	if ((!p->foreground && (e = posix_spawn_file_actions_addopen(&fa, 0,
	    "/dev/null", O_RDONLY, 0)) != 0) ||
	    (e = route(&fa, p->out, 1, out_w, 1)) != 0 ||
	    (e = route(&fa, p->err, 2, err_w, 1)) != 0 ||
	    (e = posix_spawnattr_setflags(&at, (p->foreground ? 0 :
	    POSIX_SPAWN_SETPGROUP) | POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (e = posix_spawnattr_setpgroup(&at, 0)) != 0 ||
	    (e = posix_spawnattr_setsigmask(&at, &empty)) != 0 ||
	    (e = posix_spawnattr_setsigdefault(&at, &def)) != 0)
		goto out;
	path = p->path ? p->path : p->argv[0];
	if (p->search && !strchr(path, '/'))
		e = posix_spawnp(&p->pid, path, &fa, &at,
		    (char *const *)p->argv, p->envp ? p->envp : environ);
	else
		e = posix_spawn(&p->pid, path, &fa, &at,
		    (char *const *)p->argv, p->envp ? p->envp : environ);
out:
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return e;
}

#ifdef __linux__
/* In the child of vfork: fd `to` from how; -1 if that failed. */
static int
child_route(int how, int to, int pipe_w)
{
	int fd;

	switch (how) {
	case PROC_INHERIT:
		return 0;
	case PROC_NULL:
		if ((fd = open("/dev/null", O_WRONLY)) < 0)
			return -1;
		if (fd != to && (dup2(fd, to) < 0 || close(fd) < 0))
			return -1;
		return 0;
	case PROC_PIPE:
		return dup2(pipe_w, to) < 0 ? -1 : 0;
	case PROC_TO_OUT:
		return dup2(1, to) < 0 ? -1 : 0;
	default:
		return dup2(how, to) < 0 ? -1 : 0;
	}
}

/* In the child of vfork: stdin from /dev/null; -1 if that failed. */
static int
child_stdin_null(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0)
		return -1;
	if (fd != 0 && (dup2(fd, 0) < 0 || close(fd) < 0))
		return -1;
	return 0;
}

/*
 * glibc's posix_spawn resets all 64 signal dispositions in the child
 * (two system calls each), whatever POSIX_SPAWN_SETSIGDEF names: about
 * 120 of a step's 200 system calls. This does what posix_spawn does for
 * a path (vfork, with every signal blocked so that no handler of ours
 * runs in the child) but resets only the dispositions hm changes
 * (PROC_SIGNALS). An exec failure comes back through the memory vfork
 * shares, as in glibc.
 */
static int
spawn_vfork(struct proc *p, const char *path, int out_w, int err_w)
{
	static const int sigs[] = PROC_SIGNALS;
	char *const *envp = p->envp ? p->envp : environ;
	volatile int err = 0;
	struct sigaction dfl;
	sigset_t all, old, empty;
	size_t i;
	pid_t pid;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigemptyset(&empty);
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = vfork();
	if (pid == 0) {
		/* the child: system calls only, then exec or _exit */
		if (!p->foreground && (setpgid(0, 0) < 0 ||
		    child_stdin_null() < 0))
			goto fail;
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			sigaction(sigs[i], &dfl, NULL);
		if (child_route(p->out, 1, out_w) < 0 ||
		    child_route(p->err, 2, err_w) < 0)
			goto fail;
		sigprocmask(SIG_SETMASK, &empty, NULL);
		execve(path, (char *const *)p->argv, envp);
fail:
		err = errno ? errno : ENOEXEC;
		_exit(127);
	}
	i = (size_t)errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return (int)i;
	if (err != 0) {
		int ws;

		while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
			;
		return err;
	}
	p->pid = pid;
	return 0;
}
#endif

int
proc_start(struct proc *p)
{
	int out[2] = { -1, -1 }, err[2] = { -1, -1 }, e;

	p->pid = 0;
	p->out_fd = p->err_fd = -1;
	p->reaped = p->timed_out = p->stopping = false;
	p->wstatus = 0;
	p->kill_at = 0;
	if ((p->out == PROC_PIPE && (e = proc_pipe(out)) != 0) ||
	    (p->err == PROC_PIPE && (e = proc_pipe(err)) != 0))
		goto fail;
#ifdef __linux__
	if (!p->search || strchr(p->path ? p->path : p->argv[0], '/'))
		e = spawn_vfork(p, p->path ? p->path : p->argv[0], out[1],
		    err[1]);
	else
#endif
		e = spawn(p, out[1], p->err == PROC_TO_OUT ? out[1] : err[1]);
	if (e != 0)
		goto fail;
	p->started = proc_now();
	p->deadline = p->timeout > 0 ? p->started + p->timeout : 0;
	if (out[1] >= 0)
		close(out[1]);
	if (err[1] >= 0)
		close(err[1]);
	p->out_fd = out[0];
	p->err_fd = err[0];
	return 0;
fail:
	if (out[0] >= 0) {
		close(out[0]);
		close(out[1]);
	}
	if (err[0] >= 0) {
		close(err[0]);
		close(err[1]);
	}
	p->pid = 0;
	return e;
}

/* Whom a signal from here reaches: p's group, or p alone. */
static pid_t
signaled(const struct proc *p)
{
	return p->foreground ? p->pid : -p->pid;
}

void
proc_signal(const struct proc *p, int sig)
{
	if (p->pid > 0)
		kill(signaled(p), sig);
}

void
proc_stop(struct proc *p, double now)
{
	if (p->pid <= 0)
		return;
	if (!p->stopping) {
		p->stopping = true;
		kill(signaled(p), SIGTERM);
	}
	if (!p->kill_at)
		p->kill_at = now + p->grace;
}

double
proc_tick(struct proc *p, double now)
{
	if (p->deadline && now >= p->deadline && !p->reaped) {
		p->deadline = 0;
		p->timed_out = true;
		proc_stop(p, now);
	}
	if (p->kill_at && now >= p->kill_at) {
		p->kill_at = 0;
		proc_signal(p, SIGKILL);
	}
	if (p->deadline && (!p->kill_at || p->deadline < p->kill_at))
		return p->deadline;
	return p->kill_at;
}

bool
proc_reaped(struct proc *p, int wstatus, double now)
{
	p->reaped = true;
	p->wstatus = wstatus;
	p->deadline = 0;
	if (p->foreground || kill(-p->pid, SIGTERM) < 0)
		return false;	/* the group is empty, or not its own */
	p->stopping = true;
	if (!p->kill_at)
		p->kill_at = now + p->grace;
	return true;
}

static int
append(char **out, size_t *len, size_t *cap, const char *buf, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 4096;
		char *q;

		while (c < *len + n + 1)
			c *= 2;
		if (!(q = realloc(*out, c)))
			return ENOMEM;
		*out = q;
		*cap = c;
	}
	memcpy(*out + *len, buf, n);
	*len += n;
	(*out)[*len] = '\0';
	return 0;
}

/* Drain p->out_fd; returns -1 at EOF. */
static int
drain(struct proc *p, size_t maxout, char **out, size_t *len, size_t *cap,
    bool *too_big)
{
	char buf[8192];
	ssize_t n;

	for (;;) {
		n = read(p->out_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		if (*too_big)
			continue;
		if (*len + (size_t)n > maxout ||
		    append(out, len, cap, buf, (size_t)n) != 0) {
			*too_big = true;
			p->kill_at = proc_now();	/* KILL at once */
			proc_tick(p, p->kill_at);
		}
	}
}

int
proc_wait(struct proc *p, int cancel_fd, size_t maxout, char **out,
    size_t *outlen, bool *too_big)
{
	size_t len = 0, cap = 0;
	bool canceled = false;
	double deadline;
	int e, ws;

	*out = NULL;
	*outlen = 0;
	*too_big = false;
	if ((e = proc_start(p)) != 0)
		return e;
	deadline = p->deadline;
	while (!(p->reaped && p->out_fd < 0)) {
		struct pollfd pfd[2];
		double t = proc_now(), next;
		int timeout, np = 0, ci = -1;
		pid_t w;

		if (p->reaped && deadline && t >= deadline) {
			/* something that left the group holds the pipe */
			p->timed_out = true;
			break;
		}
		next = proc_tick(p, t);
		/* short slices until the leader is reaped (no SIGCHLD
		 * here), then until the deadline */
		timeout = p->reaped ? 1000 : 10;
		if (p->reaped)
			next = deadline;
		if (next && (next - t) * 1000 < timeout)
			timeout = next <= t ? 0 : (int)((next - t) * 1000) + 1;
		if (p->out_fd >= 0) {
			pfd[np].fd = p->out_fd;
			pfd[np++].events = POLLIN;
		}
		if (cancel_fd >= 0 && !canceled) {
			ci = np;
			pfd[np].fd = cancel_fd;
			pfd[np++].events = POLLIN;
		}
		if (np == 0) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
		} else if (poll(pfd, (nfds_t)np, timeout) > 0) {
			if (p->out_fd >= 0 && pfd[0].revents &&
			    drain(p, maxout, out, &len, &cap, too_big) < 0) {
				close(p->out_fd);
				p->out_fd = -1;
			}
			if (ci >= 0 && pfd[ci].revents) {
				canceled = true;
				proc_stop(p, proc_now());
			}
		}
		if (!p->reaped) {
			w = waitpid(p->pid, &ws, WNOHANG);
			if (w == p->pid || (w < 0 && errno == ECHILD)) {
				p->reaped = true;
				p->wstatus = w == p->pid ? ws : 0;
				/* whatever it left in its group goes too,
				 * which closes the pipe if a background
				 * job of it held it */
				proc_signal(p, SIGKILL);
				p->kill_at = 0;
			}
		}
	}
	if (p->out_fd >= 0) {
		close(p->out_fd);
		p->out_fd = -1;
	}
	if (!*out && (*out = malloc(1)))
		(*out)[0] = '\0';
	*outlen = len;
	return canceled ? ECANCELED : 0;
}

void
proc_release(struct proc *p)
{
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->out_fd = p->err_fd = -1;
}
