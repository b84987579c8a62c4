/* hm: the Slurm runner: each attempt of a step is `srun ... /bin/sh -c CMD`. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ir_runner.h"
#include "json.h"
#include "proc.h"
#include "runner.h"
#include "tool.h"

/*
 * hm-exec stays the coordinator: the plan, bakes, outputs, logs and
 * events are where it runs; only "run this attempt" goes to the cluster,
 * through srun, which blocks until the job step ends and streams its
 * output back (0.3 s per no-op here; `sbatch --wait` polls, 2 s).
 *
 * - The task is `/bin/sh -c WRAP /bin/sh CMD`: WRAP sends the task's
 *   stderr into its stdout and execs `/bin/sh -c CMD`, so the command
 *   sees what a local step sees ($0 is /bin/sh, one stream in the order
 *   written) and the task's own wait status is the command's. srun's
 *   own messages go to its stderr, an unlinked file read at the end:
 *   they say how the task ended ("task 0: Exited with exit code 143"
 *   against "task 0: Terminated", which srun's exit status, 128 + N for
 *   both, cannot tell apart) or why srun failed.
 * - srun runs with exactly the step's environment and --export=ALL, so
 *   the task gets that environment (and Slurm's SLURM_* variables for
 *   the job), not whatever the invoking shell exported; srun's own input
 *   variables (SLURM_*, SRUN_*, SALLOC_*, SBATCH_*) are left out, but for
 *   SLURM_CONF, so that no default of the invoking shell slips in.
 * - The working directory is hm-exec's (--chdir, absolute), on the
 *   filesystem the cluster shares; HM_OUTPUT and HM_OUTPUTS live there.
 * - Stopping goes through the controller: the job is named
 *   hm-RUN_ID-N (N counts attempts), and SIGTERM is `scancel --signal
 *   TERM` for a running job (every process of the step gets it, as the
 *   process group does locally) and a plain cancel for a pending one
 *   (which cannot be signalled: scancel would retry until it runs).
 *   SIGKILL is the same with KILL, and srun itself is killed. scancel
 *   runs beside the loop; teardown waits for the ones still running.
 * - hm-exec's deadline decides a timeout; --time is only a backstop, a
 *   minute beyond timeout_seconds and the grace period.
 */

#define WRAP		"exec 2>&1 && exec /bin/sh -c \"$1\""
#define SRUN_ERR_MAX	65536	/* of srun's own messages, read */
#define PROBE_TIMEOUT	30	/* seconds for sinfo to answer */
#define SETTLE_TIMEOUT	30	/* seconds for cancelled jobs to go */

/* A NULL-terminated vector of strings from malloc. */
struct strv {
	char **v;
	size_t n, cap;
};

struct slurm {
	char *srun, *scancel, *sinfo;	/* found in PATH at init */
	char *cwd;
	unsigned long seq;		/* attempts started */
	pid_t *cancels;			/* scancel processes started */
	size_t ncancels, capcancels;
	struct strv cancelled;		/* the jobs' names, for squeue */
	char *squeue;			/* found in PATH at init */
};

struct slurm_attempt {
	char name[96];			/* the job's name */
	char *key;			/* the step's, for messages */
	int err_fd;			/* srun's stderr */
	pid_t pid;
	int sent;			/* the last signal sent, or 0 */
};

static void
strv_add(struct strv *b, char *s)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 32;
		b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
	}
	b->v[b->n++] = s;
}

static void
strv_printf(struct strv *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
strv_printf(struct strv *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	strv_add(b, s);
}

/* name in PATH as an executable file (malloc'd), or NULL. */
static char *
path_find(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[PATH_MAX];

	if (!path)
		path = "/usr/bin:/bin";
	for (p = path; ; p = end + 1) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if ((size_t)snprintf(buf, sizeof(buf), "%.*s/%s",
		    end == p ? 1 : (int)(end - p), end == p ? "." : p, name) <
		    sizeof(buf) && access(buf, X_OK) == 0)
			return xstrdup(buf);
		if (!*end)
			return NULL;
	}
}

/* Whether a step's runner_args are the Slurm runner's. */
static bool
args_apply(const struct ir_step *s)
{
	const char *r = ir_more(s)->runner;

	return !r || strcmp(r, "slurm") == 0;
}

/* Every partition a slurm step asks for, into *v (names point into the
 * documents). */
static void
partitions_used(struct ir_step **steps, uint32_t n, const char ***v,
    size_t *nv, size_t *cap)
{
	uint32_t i, p;
	size_t len;

	for (i = 0; i < n; i++) {
		const struct ir_any *a;

		if (steps[i]->type == IR_GROUP)
			partitions_used(steps[i]->steps, steps[i]->nsteps, v,
			    nv, cap);
		if (steps[i]->type != IR_COMMAND || !args_apply(steps[i]))
			continue;
		a = &ir_more(steps[i])->runner_args;
		if (!a->doc || json_type(a->doc, a->node) != JSON_OBJECT)
			continue;
		p = json_get(a->doc, a->node, "partition");
		if (!p || json_type(a->doc, p) != JSON_STRING)
			continue;
		if (*nv == *cap) {
			*cap = *cap ? 2 * *cap : 8;
			*v = xreallocarray(*v, *cap, sizeof(**v));
		}
		(*v)[(*nv)++] = json_str(a->doc, p, &len);
	}
}

/* The last line of text, without its newline, for a message. */
static char *
last_line(const char *text)
{
	size_t n = strlen(text);
	const char *s;

	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
		n--;
	for (s = text + n; s > text && s[-1] != '\n'; s--)
		;
	if (s == text + n)
		return xstrdup("no answer");
	return strndup(s, (size_t)(text + n - s));
}

/*
 * The probe: the programs are there, the controller answers, and every
 * partition the document names exists. 69 (EX_UNAVAILABLE) otherwise.
 */
static int
slurm_init(struct runner *rn, char **msg)
{
	struct slurm *S = xcalloc(1, sizeof(*S));
	struct proc p = PROC_INIT;
	const char *argv[4], **want = NULL, *missing = NULL;
	char *out = NULL, *line, *save, buf[PATH_MAX];
	size_t nout = 0, nwant = 0, capwant = 0, i;
	bool too_big = false;
	int e;

	rn->state = S;
	if (!(S->srun = path_find("srun")))
		missing = "srun";
	else if (!(S->scancel = path_find("scancel")))
		missing = "scancel";
	else if (!(S->sinfo = path_find("sinfo")))
		missing = "sinfo";
	else if (!(S->squeue = path_find("squeue")))
		missing = "squeue";
	if (missing) {
		*msg = diag_msg(E_EXEC_SLURM_MISSING, missing);
		return 69;
	}
	if (!getcwd(buf, sizeof(buf))) {
		*msg = diag_msg(E_EXEC_SLURM_DOWN, strerror(errno));
		return 69;
	}
	S->cwd = xstrdup(buf);

	argv[0] = S->sinfo;
	argv[1] = "--noheader";
	argv[2] = "--format=%R";
	argv[3] = NULL;
	p.argv = argv;
	p.out = PROC_PIPE;
	p.err = PROC_TO_OUT;
	p.timeout = PROBE_TIMEOUT;
	p.grace = 1;
	e = proc_wait(&p, -1, SRUN_ERR_MAX, &out, &nout, &too_big);
	proc_release(&p);
	if (e != 0 || p.timed_out || !WIFEXITED(p.wstatus) ||
	    WEXITSTATUS(p.wstatus) != 0) {
		char *why = e ? xstrdup(strerror(e)) : p.timed_out ?
		    xstrdup("sinfo timed out") : last_line(out ? out : "");

		*msg = diag_msg(E_EXEC_SLURM_DOWN, why);
		free(why);
		free(out);
		return 69;
	}

	partitions_used(rn->run->doc->steps, rn->run->doc->nsteps, &want,
	    &nwant, &capwant);
	for (i = 0; i < nwant; i++) {
		bool found = false;
		char *copy = xstrdup(out);

		for (line = strtok_r(copy, "\n", &save); line && !found;
		    line = strtok_r(NULL, "\n", &save))
			found = strcmp(line, want[i]) == 0;
		free(copy);
		if (!found) {
			for (char *c = out; *c; c++)
				if (*c == '\n' && c[1])
					*c = ' ';
			out[strcspn(out, "\n")] = '\0';
			*msg = diag_msg(E_EXEC_SLURM_PARTITION, want[i], out);
			free(want);
			free(out);
			return 69;
		}
	}
	free(want);
	free(out);
	return 0;
}

/*
 * The jobs cancelled leave the queue (a completing job may still have
 * processes on its node): squeue polled, 30 s at most; a squeue that
 * fails ends the wait.
 */
static void
wait_gone(struct slurm *S)
{
	struct strv names = { NULL, 0, 0 };
	size_t i, len = 0;
	const char *argv[5];
	char *list, *out;
	double end = proc_now() + SETTLE_TIMEOUT;

	for (i = 0; i < S->cancelled.n; i++)
		len += strlen(S->cancelled.v[i]) + 1;
	list = xmalloc(len + 1);
	list[0] = '\0';
	for (i = 0; i < S->cancelled.n; i++) {
		if (i)
			strcat(list, ",");
		strcat(list, S->cancelled.v[i]);
	}
	strv_printf(&names, "--name=%s", list);
	free(list);
	argv[0] = S->squeue;
	argv[1] = "--noheader";
	argv[2] = "--format=%j";
	argv[3] = names.v[0];
	argv[4] = NULL;
	for (;;) {
		struct proc p = PROC_INIT;
		size_t nout = 0;
		bool too_big = false, gone;
		int e;

		out = NULL;
		p.argv = argv;
		p.out = PROC_PIPE;
		p.err = PROC_NULL;
		p.timeout = PROBE_TIMEOUT;
		p.grace = 1;
		e = proc_wait(&p, -1, SRUN_ERR_MAX, &out, &nout, &too_big);
		proc_release(&p);
		gone = e != 0 || p.timed_out || !WIFEXITED(p.wstatus) ||
		    WEXITSTATUS(p.wstatus) != 0 || nout == 0;
		free(out);
		if (gone || proc_now() >= end)
			break;
		nanosleep(&(struct timespec){ 0, 200000000 }, NULL);
	}
	free(names.v[0]);
	free(names.v);
	for (i = 0; i < S->cancelled.n; i++)
		free(S->cancelled.v[i]);
	S->cancelled.n = 0;
}

/*
 * The cancellations still under way finish before the run ends (and
 * before hm-exec kills its remaining children as left behind by steps):
 * up to 10 s each, then they are killed.
 */
static void
slurm_settle(struct runner *rn)
{
	struct slurm *S = rn->state;
	size_t i;
	int tries;

	if (!S)
		return;
	for (i = 0; i < S->ncancels; i++) {
		for (tries = 0; tries < 200; tries++) {
			pid_t r = waitpid(S->cancels[i], NULL, WNOHANG);

			if (r != 0)	/* reaped, here or by the loop */
				break;
			nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		}
		if (tries == 200) {
			kill(S->cancels[i], SIGKILL);
			waitpid(S->cancels[i], NULL, 0);
		}
	}
	S->ncancels = 0;
	if (S->cancelled.n > 0)
		wait_gone(S);
}

static void
slurm_teardown(struct runner *rn)
{
	struct slurm *S = rn->state;

	if (!S)
		return;
	slurm_settle(rn);
	free(S->cancels);
	free(S->cancelled.v);
	free(S->squeue);
	free(S->srun);
	free(S->scancel);
	free(S->sinfo);
	free(S->cwd);
	free(S);
	rn->state = NULL;
}

/* The srun options a step's runner_args give (see ir_runner.c). */
static void
add_args(struct strv *av, const struct ir_step *s, bool *has_time)
{
	const struct ir_runner_opt *opts = NULL;
	const struct ir_any *a = &ir_more(s)->runner_args;
	uint32_t k;
	size_t nopts = 0, i, len;
	char buf[64];

	*has_time = false;
	if (!a->doc || !args_apply(s) ||
	    json_type(a->doc, a->node) != JSON_OBJECT)
		return;
	opts = ir_runner_opts("slurm", &nopts);
	for (k = json_first(a->doc, a->node); k;
	    k = json_next_member(a->doc, a->node, k)) {
		const char *name = json_str(a->doc, k, &len), *v;

		for (i = 0; i < nopts; i++)
			if (strcmp(opts[i].name, name) == 0)
				break;
		if (i == nopts)
			continue;	/* checked before the run */
		if (json_type(a->doc, k + 1) == JSON_NUMBER) {
			v = json_num(a->doc, k + 1, &len);
			snprintf(buf, sizeof(buf), "%.*s", (int)len, v);
			v = buf;
		} else {
			v = json_str(a->doc, k + 1, &len);
		}
		strv_printf(av, "%s=%s", opts[i].flag, v);
		if (strcmp(opts[i].flag, "--time") == 0)
			*has_time = true;
	}
}

/* The step's environment less srun's own input variables. */
static bool
srun_input_var(const char *s)
{
	return (strncmp(s, "SLURM_", 6) == 0 &&
	    strncmp(s, "SLURM_CONF=", 11) != 0) ||
	    strncmp(s, "SRUN_", 5) == 0 || strncmp(s, "SALLOC_", 7) == 0 ||
	    strncmp(s, "SBATCH_", 7) == 0;
}

static int
slurm_start(struct runner *rn, const struct attempt_spec *spec,
    struct attempt *a, char **msg)
{
	struct slurm *S = rn->state;
	struct slurm_attempt *sa;
	struct proc p = PROC_INIT;
	struct strv av = { NULL, 0, 0 }, ev = { NULL, 0, 0 };
	char tmpl[PATH_MAX];
	bool has_time = false;
	size_t i;
	int e;

	if (!spec->cmd) {
		*msg = xstrdup("the Slurm runner runs commands only");
		return EINVAL;
	}
	sa = xcalloc(1, sizeof(*sa));
	sa->key = xstrdup(spec->key);
	snprintf(tmpl, sizeof(tmpl), "%s/.srun-XXXXXX", rn->run->log_dir);
	if ((sa->err_fd = mkstemp(tmpl)) < 0) {
		e = errno;
		free(sa->key);
		free(sa);
		return e;
	}
	unlink(tmpl);
	fcntl(sa->err_fd, F_SETFD, FD_CLOEXEC);
	snprintf(sa->name, sizeof(sa->name), "hm-%s-%lu", rn->run->run_id,
	    ++S->seq);

	strv_add(&av, xstrdup(S->srun));
	strv_add(&av, xstrdup("--quiet"));
	strv_printf(&av, "--job-name=%s", sa->name);
	strv_printf(&av, "--chdir=%s", spec->cwd ? spec->cwd : S->cwd);
	strv_add(&av, xstrdup("--export=ALL"));
	strv_add(&av, xstrdup("--input=none"));
	strv_add(&av, xstrdup("--nodes=1"));
	strv_add(&av, xstrdup("--ntasks=1"));
	add_args(&av, spec->step, &has_time);
	if (!has_time && spec->timeout > 0)
		strv_printf(&av, "--time=%ld", (long)((spec->timeout +
		    rn->run->grace) / 60) + 2);
	strv_add(&av, xstrdup("/bin/sh"));
	strv_add(&av, xstrdup("-c"));
	strv_add(&av, xstrdup(WRAP));
	strv_add(&av, xstrdup("/bin/sh"));
	strv_add(&av, xstrdup(spec->cmd));
	strv_add(&av, NULL);

	for (i = 0; spec->envp[i]; i++)
		if (!srun_input_var(spec->envp[i]))
			strv_add(&ev, (char *)spec->envp[i]);
	strv_add(&ev, NULL);

	p.argv = (const char *const *)av.v;
	p.envp = ev.v;
	p.out = PROC_PIPE;
	p.err = sa->err_fd;
	e = proc_start(&p);
	for (i = 0; av.v[i]; i++)
		free(av.v[i]);
	free(av.v);
	free(ev.v);
	if (e != 0) {
		*msg = diag_msg(E_EXEC_SPAWN, spec->key, S->srun, strerror(e));
		close(sa->err_fd);
		free(sa->key);
		free(sa);
		return e;
	}
	sa->pid = p.pid;
	a->pid = p.pid;
	a->out_fd = p.out_fd;
	a->frag_fd = -1;
	a->data = sa;
	return 0;
}

/* Cancel the attempt's job through the controller, beside the loop. */
static void
cancel(struct slurm *S, const struct slurm_attempt *sa, int sig)
{
	struct proc p = PROC_INIT;
	const char *argv[8];

	argv[0] = "/bin/sh";
	argv[1] = "-c";
	/* a pending job cannot be signalled (scancel would retry until it
	   runs): it is cancelled */
	argv[2] = "\"$1\" --quiet --state=RUNNING --signal=\"$2\" "
	    "--name=\"$3\"; \"$1\" --quiet --state=PENDING --name=\"$3\"";
	argv[3] = "scancel";
	argv[4] = S->scancel;
	argv[5] = sig == SIGKILL ? "KILL" : "TERM";
	argv[6] = sa->name;
	argv[7] = NULL;
	p.argv = argv;
	p.out = PROC_NULL;
	p.err = PROC_NULL;
	if (proc_start(&p) != 0)
		return;
	if (S->ncancels == S->capcancels) {
		S->capcancels = S->capcancels ? 2 * S->capcancels : 16;
		S->cancels = xreallocarray(S->cancels, S->capcancels,
		    sizeof(*S->cancels));
	}
	S->cancels[S->ncancels++] = p.pid;
	proc_release(&p);
}

static int
slurm_signal(struct runner *rn, struct attempt *a, int sig)
{
	struct slurm_attempt *sa = a->data;

	if (!sa || kill(sa->pid, 0) < 0)
		return -1;
	cancel(rn->state, sa, sig);
	if (!sa->sent) {
		struct slurm *S = rn->state;

		strv_add(&S->cancelled, xstrdup(sa->name));
	}
	/*
	 * srun is told to go only with KILL (on TERM it would cancel the
	 * step at once, without the grace period): first with TERM, so
	 * that it still passes on the step's last output and how it ended,
	 * then, if KILL comes again (a second interrupt), with KILL.
	 */
	if (sig == SIGKILL)
		kill(-sa->pid, sa->sent == SIGKILL ? SIGKILL : SIGTERM);
	sa->sent = sig;
	return 0;
}

/* An exit status or a signal as waitpid reports it (the encoding of
 * Linux and the BSDs). */
#define WS_EXITED(c)	(((c) & 0xff) << 8)
#define WS_SIGNALED(s)	((s) & 0x7f)

/*
 * srun exits with the task's status, 128 + N for a signal: its messages
 * say which. Without a "task 0:" message srun itself failed (no such
 * partition, no resources, no controller), and its message says why.
 */
static int
slurm_finish(struct runner *rn, struct attempt *a, int ws, char **msg)
{
	struct slurm_attempt *sa = a->data;
	char *err = xmalloc(SRUN_ERR_MAX + 1), *t, *line, *save;
	const char *why = NULL;
	ssize_t n;
	int code, st = ws;

	(void)rn;
	n = pread(sa->err_fd, err, SRUN_ERR_MAX, 0);
	err[n > 0 ? n : 0] = '\0';
	close(sa->err_fd);
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) == 0)
		goto out;
	code = WEXITSTATUS(ws);
	if ((t = strstr(err, "task 0: Exited with exit code ")) != NULL) {
		st = WS_EXITED(atoi(t + 30));
		goto out;
	}
	if (strstr(err, "task 0: ") && code > 128) {
		st = WS_SIGNALED(code - 128);
		goto out;
	}
	/* a job cancelled before it ran, by the signal hm-exec sent: as a
	   local step killed by it */
	if (sa->sent) {
		st = WS_SIGNALED(sa->sent);
		goto out;
	}
	/* srun's own failure: its last error line says why */
	for (line = strtok_r(err, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, "srun: error: ", 13) == 0 ||
		    strncmp(line, "srun: fatal: ", 13) == 0 || !why)
			why = line;
	*msg = diag_msg(E_EXEC_SLURM_SRUN, sa->key, code,
	    why ? why : "no message");
out:
	free(err);
	free(sa->key);
	free(sa);
	a->data = NULL;
	return st;
}

const struct runner_ops runner_slurm = {
	.name = "slurm",
	.init = slurm_init,
	.teardown = slurm_teardown,
	.start = slurm_start,
	.signal = slurm_signal,
	.finish = slurm_finish,
	.settle = slurm_settle,
};
