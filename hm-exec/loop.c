/* hm: the one poll loop: output, reaping, deadlines, signals as events. */
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
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
#include "run.h"
#include "tool.h"

/*
 * samurai's self-pipe rather than ninja's ppoll: poll(2) is POSIX, and the
 * handlers only write the signal number into a non-blocking pipe, so
 * every signal becomes an event read in the loop. SIGCHLD only wakes the
 * loop; reaping is waitpid(-1, WNOHANG) until nothing is left.
 *
 * A step is over when its process was reaped and its output pipe hit
 * EOF. Once the step's own process exits, what it left in its process
 * group gets SIGTERM, and SIGKILL after the grace period, whether or not
 * it still holds the pipe (a background process that keeps the pipe
 * open cannot stall the run: the pipe is closed at the KILL). hm-exec
 * is the subreaper of everything the steps start (main.c): what escaped
 * its group is killed and reaped at the end (loop_reap_left).
 */
static int sigpipe_fds[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (write(sigpipe_fds[1], &c, 1) < 0) {
		/* full pipe: the loop will wake anyway */
	}
	errno = saved;
}

int
loop_init(void)
{
	struct sigaction sa;

	if (proc_pipe(sigpipe_fds) != 0 ||
	    fcntl(sigpipe_fds[1], F_SETFL, O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) < 0 ||
	    sigaction(SIGTERM, &sa, NULL) < 0 ||
	    sigaction(SIGHUP, &sa, NULL) < 0 ||
	    sigaction(SIGCHLD, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

static int
job_signal(struct job *j, int sig)
{
	if (!j->runner || j->a.pid <= 0)
		return -1;
	return j->runner->ops->signal(j->runner, &j->a, sig);
}

/* Read fd until EAGAIN; -1 at EOF or an error (the caller closes). */
static int
drain(struct run *r, struct job *j, int fd)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			if (fd == j->a.out_fd)
				job_output(r, j, buf, (size_t)n);
			else
				job_fragment(j, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		return -1;
	}
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
reap(struct run *r)
{
	pid_t pid;
	int ws;
	long i;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		for (i = 0; i < r->o.jobs; i++) {
			struct job *j = &r->jobs[i];

			if (!j->step || j->reaped || j->a.pid != pid)
				continue;
			j->reaped = true;
			j->wstatus = ws;
			/*
			 * What the step left in its group is told to go,
			 * and killed after the grace period. While the pipe
			 * is open, the KILL also ends the wait for EOF.
			 */
			if ((job_signal(j, SIGTERM) == 0 || j->a.out_fd >= 0 ||
			    j->a.frag_fd >= 0) && !j->kill_at)
				j->kill_at = proc_now() + r->o.grace;
			break;
		}
		/* others: orphans we adopted as subreaper */
	}
}

static void
handle_signal(struct run *r, int sig)
{
	long i;

	if (sig == SIGCHLD)
		return;
	if (r->plan.interrupted) {
		/* a second signal: no more grace */
		for (i = 0; i < r->o.jobs; i++)
			if (r->jobs[i].step && !r->jobs[i].reaped)
				job_signal(&r->jobs[i], SIGKILL);
		return;
	}
	plan_interrupt(&r->plan, sig);
	r->sinks.run.interrupted = sig;
	for (i = 0; i < r->o.jobs; i++) {
		struct job *j = &r->jobs[i];

		if (!j->step)
			continue;
		job_signal(j, SIGTERM);
		if (!j->kill_at)
			j->kill_at = proc_now() + r->o.grace;
	}
}

static void
check_deadlines(struct run *r, double t)
{
	long i;

	for (i = 0; i < r->o.jobs; i++) {
		struct job *j = &r->jobs[i];

		if (!j->step)
			continue;
		if (j->deadline && t >= j->deadline && !j->reaped) {
			j->deadline = 0;
			j->timed_out = true;
			job_signal(j, SIGTERM);
			j->kill_at = t + r->o.grace;
		}
		if (j->kill_at && t >= j->kill_at) {
			j->kill_at = 0;
			job_signal(j, SIGKILL);
			if (j->reaped) {
				/*
				 * The leader is gone, so the pipe's holder
				 * may have left the group: stop waiting.
				 */
				if (j->a.out_fd >= 0)
					drain(r, j, j->a.out_fd);
				close_fd(&j->a.out_fd);
				close_fd(&j->a.frag_fd);
			}
		}
	}
}

#ifdef __linux__
/*
 * The state, parent and process group of the process named pid (a
 * /proc entry): 0, or -1 if it is gone or not a process.
 */
static int
proc_stat(const char *pid, char *state, long *ppid, long *pgrp)
{
	char path[300], buf[512], *p;
	ssize_t k;
	int fd;

	if (pid[0] < '0' || pid[0] > '9')
		return -1;
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	k = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (k <= 0)
		return -1;
	buf[k] = '\0';
	/* pid (comm) state ppid pgrp: comm may hold ')' */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 1, " %c %ld %ld", state, ppid, pgrp) != 3)
		return -1;
	return 0;
}
#endif

/* The processes of group pgid, counted in /proc (Linux); 0 elsewhere. */
static size_t
group_size(pid_t pgid)
{
	size_t n = 0;
#ifdef __linux__
	DIR *d = opendir("/proc");
	struct dirent *e;
	long ppid, pg;
	char state;

	while (d && (e = readdir(d)))
		if (proc_stat(e->d_name, &state, &ppid, &pg) == 0)
			n += pg == (long)pgid;
	if (d)
		closedir(d);
#else
	(void)pgid;
#endif
	return n;
}

static void
left_behind(struct run *r, const char *key, size_t n)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct srcpos none = { NULL, 0, 0 };

	diag_report(&dl, W_EXEC_LEFT_BEHIND, none, key, n);
	sinks_diags(&r->sinks, &dl);
	diag_list_release(&dl);
}

/*
 * Groups of finished steps that were still there after the TERM: gone
 * now (dropped), or due for the KILL (counted, killed, told). Returns
 * the next time one is due, or 0.
 */
static double
check_lingering(struct run *r, double t)
{
	double next = 0;
	size_t i = 0;

	while (i < r->nlinger) {
		struct lingering *l = &r->linger[i];
		bool drop = l->runner->ops->signal(l->runner, &l->a, 0) != 0;

		if (!drop && t >= l->kill_at) {
			size_t n = group_size(l->a.pid);

			if (l->runner->ops->signal(l->runner, &l->a,
			    SIGKILL) == 0 && n > 0)
				left_behind(r, l->key, n);
			drop = true;
		}
		if (drop) {
			free(l->key);
			r->linger[i] = r->linger[--r->nlinger];
			continue;
		}
		if (!next || l->kill_at < next)
			next = l->kill_at;
		i++;
	}
	return next;
}

int
loop_run(struct run *r)
{
	struct pollfd *fds = xcalloc(2 * (size_t)r->o.jobs + 2, sizeof(*fds));
	struct job **fd_job = xcalloc(2 * (size_t)r->o.jobs + 2,
	    sizeof(*fd_job));
	struct step *s;
	long i;
	int ret = 0;

	for (;;) {
		size_t np = 0;
		double t, next;
		int timeout;
		bool done = false, want_token = false;

		/* retire finished jobs first: their slots and their
		 * dependents are free to start in this same turn */
		for (i = 0; i < r->o.jobs; i++) {
			if (job_done(&r->jobs[i]))
				job_finish(r, &r->jobs[i]);
		}
		while (!r->plan.interrupted &&
		    r->nrunning < (size_t)r->o.jobs) {
			bool token = false;

			/* under make -jN, a job beyond the first takes a token */
			if (r->nrunning > 0 && jobserver_fd(&r->js) >= 0) {
				if (!(token = jobserver_take(&r->js))) {
					want_token = plan_has_queued(&r->plan);
					break;
				}
			}
			if (!(s = plan_next(&r->plan))) {
				if (token)
					jobserver_give(&r->js);
				break;
			}
			job_start(r, s);
		}
		if (r->nrunning == 0 && !r->plan.interrupted &&
		    plan_has_queued(&r->plan))
			continue;
		if (r->nrunning == 0)
			break;
		sinks_tick(&r->sinks);

		fds[np].fd = sigpipe_fds[0];
		fds[np].events = POLLIN;
		fd_job[np++] = NULL;
		if (want_token) {
			/* a token given back by anyone wakes us */
			fds[np].fd = jobserver_fd(&r->js);
			fds[np].events = POLLIN;
			fd_job[np++] = NULL;
		}
		next = check_lingering(r, proc_now());
		for (i = 0; i < r->o.jobs; i++) {
			struct job *j = &r->jobs[i];

			if (!j->step)
				continue;
			/* a job that failed as it started (a bake with no
			 * definition, a spawn error) has no child to wake
			 * the poll: retire it in the next turn */
			if (job_done(j))
				done = true;
			if (j->a.out_fd >= 0) {
				fds[np].fd = j->a.out_fd;
				fds[np].events = POLLIN;
				fd_job[np++] = j;
			}
			if (j->a.frag_fd >= 0) {
				fds[np].fd = j->a.frag_fd;
				fds[np].events = POLLIN;
				fd_job[np++] = j;
			}
			if (j->deadline && (!next || j->deadline < next))
				next = j->deadline;
			if (j->kill_at && (!next || j->kill_at < next))
				next = j->kill_at;
		}
		timeout = -1;
		if (done) {
			timeout = 0;
		} else if (next) {
			t = next - proc_now();
			timeout = t <= 0 ? 0 : (int)(t * 1000) + 1;
		}
		/* the status line's elapsed time moves once a second */
		if (r->nrunning > 0 && (timeout < 0 || timeout > 1000))
			timeout = 1000;
		if (poll(fds, np, timeout) < 0 && errno != EINTR) {
			ret = -1;
			break;
		}
		for (i = 1; i < (long)np; i++) {
			struct job *j = fd_job[i];

			if (!fds[i].revents || !j)
				continue;
			if (fds[i].fd == j->a.out_fd && drain(r, j,
			    j->a.out_fd) < 0)
				close_fd(&j->a.out_fd);
			else if (fds[i].fd == j->a.frag_fd && drain(r, j,
			    j->a.frag_fd) < 0)
				close_fd(&j->a.frag_fd);
		}
		if (fds[0].revents) {
			unsigned char c[64];
			ssize_t k, m;

			while ((k = read(sigpipe_fds[0], c, sizeof(c))) > 0)
				for (m = 0; m < k; m++)
					handle_signal(r, c[m]);
		}
		reap(r);
		check_deadlines(r, proc_now());
	}
	free(fds);
	free(fd_job);
	return ret;
}

#ifdef __linux__
/* An adopted process: its pid, and the step it came from (environ). */
struct adopted {
	pid_t pid;
	char key[256];
};

/* Our children now, all adopted: every step's own process was reaped. */
static size_t
adopted_list(struct adopted **out)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	struct adopted *v = NULL;
	size_t n = 0, cap = 0;
	long self = (long)getpid();
	siginfo_t si;

	/* no child at all, the usual case: no need to look */
	if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
	    errno == ECHILD) {
		if (d)
			closedir(d);
		*out = NULL;
		return 0;
	}
	while (d && (e = readdir(d))) {
		char path[300], buf[4096], *p;
		ssize_t k;
		int fd;
		long ppid, pgrp;
		char state;

		/* a zombie has ended already: reap() takes it */
		if (proc_stat(e->d_name, &state, &ppid, &pgrp) < 0 ||
		    ppid != self || state == 'Z')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n].pid = (pid_t)atol(e->d_name);
		strcpy(v[n].key, "?");
		/* HM_STEP_KEY in its environment names the step */
		snprintf(path, sizeof(path), "/proc/%s/environ", e->d_name);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			k = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			for (p = buf; k > 0 && p < buf + k; p += strlen(p) + 1) {
				buf[k] = '\0';
				if (strncmp(p, "HM_STEP_KEY=", 12) == 0) {
					snprintf(v[n].key, sizeof(v[n].key),
					    "%s", p + 12);
					break;
				}
			}
		}
		n++;
	}
	if (d)
		closedir(d);
	*out = v;
	return n;
}
#endif

void
loop_reap_left(struct run *r)
{
	double end;
	struct timespec slice = { 0, 10000000 };

	/* the groups of finished steps: gone, or killed at their time */
	while (r->nlinger > 0) {
		reap(r);
		if (check_lingering(r, proc_now()) == 0)
			break;
		nanosleep(&slice, NULL);
	}
	reap(r);
	(void)end;
#ifdef __linux__
	{
		struct adopted *v = NULL;
		size_t n = adopted_list(&v), i, k, alive;

		/* what escaped the groups: TERM, the grace, KILL */
		end = proc_now() + r->o.grace;
		for (i = 0; i < n; i++)
			kill(v[i].pid, SIGTERM);
		while (n > 0) {
			reap(r);
			for (i = 0, alive = 0; i < n; i++)
				alive += kill(v[i].pid, 0) == 0;
			if (!alive || proc_now() >= end)
				break;
			nanosleep(&slice, NULL);
		}
		for (i = 0; i < n; i++)
			kill(v[i].pid, SIGKILL);
		for (i = 0; i < n; i++)
			waitpid(v[i].pid, NULL, 0);
		/* one message per step */
		for (i = 0; i < n; i++) {
			if (!v[i].key[0])
				continue;
			for (k = i + 1, alive = 1; k < n; k++)
				if (strcmp(v[k].key, v[i].key) == 0) {
					alive++;
					v[k].key[0] = '\0';
				}
			left_behind(r, v[i].key, alive);
		}
		free(v);
	}
#endif
}
