/* hm: the one poll loop: output, reaping, deadlines, signals as events. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "tool.h"

/*
 * samurai's self-pipe rather than ninja's ppoll: poll(2) is POSIX, and the
 * handlers only write the signal number into a non-blocking pipe, so
 * every signal becomes an event read in the loop. SIGCHLD only wakes the
 * loop; reaping is waitpid(-1, WNOHANG) until nothing is left.
 *
 * A step is over when its process was reaped and its output pipe hit
 * EOF. A background process that keeps the pipe open cannot stall the
 * run: once the step's own process exits, its process group gets
 * SIGTERM, and SIGKILL after the grace period if the pipe is still open.
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

double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
loop_init(void)
{
	struct sigaction sa;

	if (runner_pipe(sigpipe_fds) < 0 ||
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

static struct job *
job_slot(struct run *r)
{
	long i;

	for (i = 0; i < r->o.jobs; i++)
		if (!r->jobs[i].rec)
			return &r->jobs[i];
	return NULL;
}

static void
job_close(struct job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	if (j->frag_fd >= 0)
		close(j->frag_fd);
	if (j->logfd >= 0)
		close(j->logfd);
	free(j->frag);
	mask_free(j->mask);
	free(j->ms.held);
	memset(j, 0, sizeof(*j));
	j->fd = j->frag_fd = j->logfd = -1;
}

/* A step that cannot start (no baker, spawn failed) fails like a command. */
static void
job_fail_now(struct srec *rec, struct job *j, char *why)
{
	free(rec->reason);
	rec->reason = why;
	out_log_line(j, "hm-exec: %s", why);
	j->reaped = true;
	j->wstatus = -1;
	if (j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
}

int
job_start(struct run *r, struct srec *rec)
{
	struct job *j = job_slot(r);
	int out[2] = { -1, -1 }, frag[2] = { -1, -1 }, e, depth;
	char *argv_sh[4], **argv = NULL, **envp, *why = NULL;
	bool search = false;

	if (!j)
		return -1;
	job_close(j);
	j->rec = rec;
	rec->job = j;
	rec->attempt++;
	rec->status = ST_RUNNING;
	rec->timed_out = false;
	rec->exit_code = -1;
	rec->signo = 0;
	free(rec->reason);
	rec->reason = NULL;
	if (!rec->log_path) {
		rec->log_path = log_file(r, rec->key, ".log");
		rec->out_path = log_file(r, rec->key, ".out");
	}
	rec->t_start = now();
	r->nrunning++;
	events_step_started(r, rec);

	/*
	 * The log file is created with the step's first output, and the
	 * HM_OUTPUT file only by the step: thousands of silent steps then
	 * cost no file creations (which dominated a run of 5,000 'true').
	 */
	j->logfd = -1;
	j->log_pending = true;
	j->mask = out_mask_new(rec);
	if (rec->attempt > 1) {
		out_log_line(j, "hm-exec: attempt %d", rec->attempt);
		unlink(rec->out_path);	/* the failed attempt's outputs */
	}
	if (outputs_flush(r) < 0)
		warnf("cannot write '%s':", r->outputs_path);

	if (rec->step && rec->step->has_timeout)
		j->deadline = rec->t_start + (double)rec->step->timeout_seconds;
	if (rec->dynamic) {
		depth = bake_depth(rec);
		if (depth > r->o.max_depth) {
			job_fail_now(rec, j, exec_msg(E_EXEC_DEPTH, rec->key,
			    depth, r->o.max_depth));
			return 0;
		}
		argv = bake_argv(r, rec, &why);
		if (!argv) {
			job_fail_now(rec, j, why);
			return 0;
		}
		search = strchr(argv[0], '/') == NULL;
	} else {
		argv_sh[0] = "/bin/sh";
		argv_sh[1] = "-c";
		argv_sh[2] = (char *)(rec->step && rec->step->cmd ?
		    rec->step->cmd : "");
		argv_sh[3] = NULL;
	}
	if (runner_pipe(out) < 0 || (rec->dynamic && runner_pipe(frag) < 0)) {
		e = errno;
		goto fail;
	}
	envp = runner_env(r, rec);
	e = runner_spawn(&j->pid, argv ? argv : argv_sh, envp, search,
	    rec->dynamic ? frag[1] : out[1], out[1]);
	runner_env_free(envp);
	if (e != 0)
		goto fail;
	close(out[1]);
	j->fd = out[0];
	if (rec->dynamic) {
		close(frag[1]);
		j->frag_fd = frag[0];
	}
	if (argv) {
		free(argv[0]);
		free(argv);
	}
	return 0;
fail:
	job_fail_now(rec, j, exec_msg(E_EXEC_SPAWN, rec->key,
	    argv ? argv[0] : "/bin/sh", strerror(e)));
	if (out[0] >= 0) {
		close(out[0]);
		close(out[1]);
	}
	if (frag[0] >= 0) {
		close(frag[0]);
		close(frag[1]);
	}
	if (argv) {
		free(argv[0]);
		free(argv);
	}
	return 0;
}

static bool
job_done(const struct job *j)
{
	return j->rec && j->reaped && j->fd < 0 && j->frag_fd < 0;
}

static void
read_output(struct run *r, struct job *j)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(j->fd, buf, sizeof(buf));
		if (n > 0) {
			out_data(r, j, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(j->fd);
		j->fd = -1;
		return;
	}
}

static void
read_fragment(struct job *j)
{
	char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(j->frag_fd, buf, sizeof(buf));
		if (n > 0) {
			if (j->nfrag + (size_t)n > FRAG_MAX) {
				j->frag_too_big = true;
				continue;
			}
			if (j->nfrag + (size_t)n > j->capfrag) {
				j->capfrag = 2 * (j->nfrag + (size_t)n);
				j->frag = xreallocarray(j->frag, j->capfrag, 1);
			}
			memcpy(j->frag + j->nfrag, buf, (size_t)n);
			j->nfrag += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		close(j->frag_fd);
		j->frag_fd = -1;
		return;
	}
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

			if (j->rec && !j->reaped && j->pid == pid) {
				j->reaped = true;
				j->wstatus = ws;
				/*
				 * What the step left behind in its group is
				 * told to go; killed after the grace period
				 * if it still holds the pipe.
				 */
				runner_kill(pid, SIGTERM);
				if (!j->kill_at)
					j->kill_at = now() + r->o.grace;
				break;
			}
		}
		/* others: orphans we adopted as subreaper */
	}
}

static void
job_finish(struct run *r, struct job *j)
{
	struct srec *rec = j->rec;
	bool ok, retry;
	int ws = j->wstatus;

	rec->t_end = now();
	rec->exit_code = -1;
	rec->signo = 0;
	if (ws != -1 && WIFEXITED(ws))
		rec->exit_code = WEXITSTATUS(ws);
	else if (ws != -1 && WIFSIGNALED(ws))
		rec->signo = WTERMSIG(ws);
	rec->timed_out = j->timed_out;
	ok = rec->exit_code == 0 && !j->timed_out && !rec->reason;
	if (j->timed_out && !rec->dynamic) {
		char buf[64];

		snprintf(buf, sizeof(buf), "timed out after %llds",
		    (long long)rec->step->timeout_seconds);
		out_log_line(j, "hm-exec: %s", buf);
	}
	if (!ok && rec->dynamic && !rec->reason) {
		if (j->timed_out)
			rec->reason = exec_msg(E_EXEC_BAKE_TIMEOUT, rec->key,
			    (long long)rec->step->timeout_seconds);
		else if (rec->signo)
			rec->reason = exec_msg(E_EXEC_BAKE_SIGNAL, rec->key,
			    rec->signo);
		else
			rec->reason = exec_msg(E_EXEC_BAKE_STATUS, rec->key,
			    rec->exit_code);
		out_log_line(j, "hm-exec: %s", rec->reason);
	}
	if (ok && rec->dynamic) {
		if (j->frag_too_big) {
			rec->reason = exec_msg(E_EXEC_FRAGMENT_TOO_BIG,
			    rec->key, FRAG_MAX);
			out_log_line(j, "hm-exec: %s", rec->reason);
			ok = false;
		} else if (bake_expand(r, rec, j) < 0) {
			ok = false;
		}
	}
	rec->job = NULL;
	r->nrunning--;
	/* the first job runs on make's implicit token; the others hold one */
	while (jobserver_held(&r->js) > (r->nrunning ? r->nrunning - 1 : 0))
		jobserver_give(&r->js);
	retry = !ok && !r->interrupted && rec->step && rec->step->has_retry &&
	    rec->attempt <= rec->step->retry;
	if (ok) {
		rec->status = ST_PASSED;
		if (!rec->dynamic)
			outputs_collect(r, rec);
	} else if (r->interrupted) {
		rec->status = ST_CANCELED;
	} else if (rec->step && rec->step->soft_fail) {
		rec->status = ST_SOFT_FAILED;
	} else {
		rec->status = ST_FAILED;
	}
	if (retry) {
		/* Shown, then queued again; not final for the graph. */
		rec->status = ST_FAILED;
		rec->will_retry = true;
		out_finished(r, rec, j);
		events_step_finished(r, rec);
		rec->will_retry = false;
		rec->status = ST_READY;
		plan_queue(&r->plan, rec->node);
		job_close(j);
		return;
	}
	out_finished(r, rec, j);
	events_step_finished(r, rec);
	job_close(j);
	if (rec->status == ST_FAILED) {
		r->failed = true;
		if (!r->o.keep_going && !r->stopping) {
			r->stopping = true;
			plan_stop(r, false);
		}
	}
	if (rec->expanded) {
		/* the new graph already carries it over */
		return;
	}
	plan_finished(r, rec);
}

static void
handle_signal(struct run *r, int sig)
{
	long i;

	if (sig == SIGCHLD)
		return;
	if (r->interrupted) {
		/* a second signal: no more grace */
		for (i = 0; i < r->o.jobs; i++)
			if (r->jobs[i].rec && !r->jobs[i].reaped)
				runner_kill(r->jobs[i].pid, SIGKILL);
		return;
	}
	r->interrupted = sig;
	plan_stop(r, true);
	for (i = 0; i < r->o.jobs; i++) {
		struct job *j = &r->jobs[i];

		if (!j->rec)
			continue;
		runner_kill(j->pid, SIGTERM);
		j->termed = true;
		if (!j->kill_at)
			j->kill_at = now() + r->o.grace;
	}
}

static void
check_deadlines(struct run *r, double t)
{
	long i;

	for (i = 0; i < r->o.jobs; i++) {
		struct job *j = &r->jobs[i];

		if (!j->rec)
			continue;
		if (j->deadline && t >= j->deadline && !j->reaped) {
			j->deadline = 0;
			j->timed_out = true;
			j->termed = true;
			runner_kill(j->pid, SIGTERM);
			j->kill_at = t + r->o.grace;
		}
		if (j->kill_at && t >= j->kill_at) {
			j->kill_at = 0;
			runner_kill(j->pid, SIGKILL);
			if (j->reaped) {
				/*
				 * The leader is gone, so the pipe's holder
				 * may have left the group: stop waiting.
				 */
				if (j->fd >= 0) {
					read_output(r, j);
					if (j->fd >= 0) {
						close(j->fd);
						j->fd = -1;
					}
				}
				if (j->frag_fd >= 0) {
					close(j->frag_fd);
					j->frag_fd = -1;
				}
			}
		}
	}
}

void
loop_run(struct run *r)
{
	struct pollfd *pfd = xcalloc(2 * (size_t)r->o.jobs + 2, sizeof(*pfd));
	struct job **pj = xcalloc(2 * (size_t)r->o.jobs + 2, sizeof(*pj));
	uint32_t n;
	long i;

	for (;;) {
		size_t np = 0;
		double t, next = 0;
		int timeout;
		bool done = false, want_token = false;

		/* retire finished jobs first: their slots and their
		 * dependents are free to start in this same turn */
		for (i = 0; i < r->o.jobs; i++) {
			if (job_done(&r->jobs[i]))
				job_finish(r, &r->jobs[i]);
		}
		while (!r->interrupted && r->nrunning < (size_t)r->o.jobs) {
			bool token = false;

			/* under make -jN, a job beyond the first takes a token */
			if (r->nrunning > 0 && jobserver_fd(&r->js) >= 0) {
				if (!(token = jobserver_take(&r->js))) {
					want_token = r->plan.qhead <
					    r->plan.qtail;
					break;
				}
			}
			if ((n = plan_next(r)) == GRAPH_NONE) {
				if (token)
					jobserver_give(&r->js);
				break;
			}
			job_start(r, r->plan.rec[n]);
		}
		if (r->nrunning == 0 && !r->interrupted &&
		    r->plan.qhead < r->plan.qtail)
			continue;
		if (r->nrunning == 0)
			break;
		out_status(r);

		pfd[np].fd = sigpipe_fds[0];
		pfd[np].events = POLLIN;
		pj[np++] = NULL;
		if (want_token) {
			/* a token given back by anyone wakes us */
			pfd[np].fd = jobserver_fd(&r->js);
			pfd[np].events = POLLIN;
			pj[np++] = NULL;
		}
		for (i = 0; i < r->o.jobs; i++) {
			struct job *j = &r->jobs[i];

			if (!j->rec)
				continue;
			/* a job that failed as it started (a bake with no
			 * definition, a spawn error) has no child to wake
			 * the poll: retire it in the next turn */
			if (job_done(j))
				done = true;
			if (j->fd >= 0) {
				pfd[np].fd = j->fd;
				pfd[np].events = POLLIN;
				pj[np++] = j;
			}
			if (j->frag_fd >= 0) {
				pfd[np].fd = j->frag_fd;
				pfd[np].events = POLLIN;
				pj[np++] = j;
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
			t = next - now();
			timeout = t <= 0 ? 0 : (int)(t * 1000) + 1;
		}
		if (poll(pfd, np, timeout) < 0 && errno != EINTR)
			dief(EXIT_SOFTWARE, "poll:");
		for (i = 1; i < (long)np; i++) {
			if (!pfd[i].revents || !pj[i])
				continue;
			if (pfd[i].fd == pj[i]->fd)
				read_output(r, pj[i]);
			else if (pfd[i].fd == pj[i]->frag_fd)
				read_fragment(pj[i]);
		}
		if (pfd[0].revents) {
			unsigned char c[64];
			ssize_t k, m;

			while ((k = read(sigpipe_fds[0], c, sizeof(c))) > 0)
				for (m = 0; m < k; m++)
					handle_signal(r, c[m]);
		}
		reap(r);
		check_deadlines(r, now());
	}
	out_status_clear(r);
	free(pfd);
	free(pj);
}
