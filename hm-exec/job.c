/* hm: a job: one attempt of a step in a slot, from its start to its status. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <stdint.h>

#include "proc.h"
#include "run.h"
#include "tool.h"

/*
 * The glue between the plan, a runner and the sinks: a job starts when
 * the plan gives a ready step and a slot is free, and ends when the
 * loop has reaped its process and read its output to the end. How the
 * attempt ended is the step's (exit code, signal, timeout, a reason),
 * and the plan turns it into a status.
 */

static void
job_reset(struct job *j)
{
	free(j->frag);
	mask_free(j->mask);
	free(j->ms.held);
	memset(j, 0, sizeof(*j));
	j->a.pid = 0;
	j->a.out_fd = j->a.frag_fd = -1;
}

/* A step that cannot start (no baker, spawn failed) fails like a command. */
static void
fail_now(struct run *r, struct job *j, char *why)
{
	struct step *s = j->step;

	free(s->reason);
	s->reason = why;
	sinks_step_note(&r->sinks, s, "hm-exec: %s", why ? why : "");
	j->reaped = true;
	j->wstatus = -1;
}

/* The per-step part of the environment: outputs, then HM_*. */
static void
step_env(struct run *r, struct step *s, struct step_env *e)
{
	char **extra = xcalloc(r->outputs.n + 6, sizeof(*extra)), buf[32];
	size_t i, n = 0;

	for (i = 0; i < r->outputs.n; i++)
		if (strlen(r->outputs.v[i].value) <= OUTPUT_ENV_MAX)
			extra[n++] = env_str(r->outputs.v[i].var,
			    r->outputs.v[i].value);
	extra[n++] = env_str("HM_RUN_ID", r->sinks.run.run_id);
	extra[n++] = env_str("HM_STEP_KEY", s->key);
	extra[n++] = env_str("HM_STEP_LABEL", s->label);
	snprintf(buf, sizeof(buf), "%d", s->attempt);
	extra[n++] = env_str("HM_ATTEMPT", buf);
	extra[n++] = env_str("HM_OUTPUT", s->out_path ? s->out_path : "");
	extra[n++] = env_str("HM_OUTPUTS", r->outputs_path);
	env_build(e, &r->env, s->ir ? &s->ir->env : NULL, extra, n);
	free(extra);
}

/*
 * The first output s consumes (its IR "consumes") that its producer did
 * not write, as a message; NULL when all were written. A replicated
 * producer's are by its replicas' keys (KEY@LEAF): any of them counts.
 */
static char *
unwritten(const struct run *r, const struct step *s)
{
	const struct ir_more *m = s->ir ? ir_more(s->ir) : NULL;
	uint32_t i;
	size_t k;

	for (i = 0; m && i < m->nconsumes; i++) {
		const struct ir_consume *c = &m->consumes[i];
		size_t kl = strlen(c->step.key);

		for (k = 0; k < r->outputs.n; k++) {
			const struct output_kv *o = &r->outputs.v[k];

			if (!strcmp(o->name, c->output) &&
			    !strncmp(o->key, c->step.key, kl) &&
			    (o->key[kl] == '\0' ||
			    o->key[kl] == IR_REPLICA_SEP))
				break;
		}
		if (k == r->outputs.n)
			return diag_msg(E_EXEC_OUTPUT_UNWRITTEN, c->output,
			    c->step.key);
	}
	return NULL;
}

/* The masker of s's secret_env values (mask.h), or NULL: none to mask. */
static struct mask *
mask_of(const struct step *s)
{
	const struct ir_strlist *l;
	const char **v;
	struct mask *m;
	uint32_t i, n = 0;

	if (!s->ir || !(l = &ir_more(s->ir)->secret_env)->n)
		return NULL;
	v = xcalloc(l->n, sizeof(*v));
	for (i = 0; i < l->n; i++)
		if (getenv(l->v[i]))
			v[n++] = getenv(l->v[i]);
	m = mask_new(v, n);
	free(v);
	if (!m)
		dief(EXIT_SOFTWARE, "out of memory");
	return m;
}

/* A step whose state is in the cache does not run: it is cached. */
static bool
job_cached(struct run *r, struct step *s)
{
	const struct ir_more *m;
	struct step_env env;
	bool hit;

	if (r->iso.mode == ISO_NONE || s->dynamic || !s->ir ||
	    !(m = ir_more(s->ir))->cache ||
	    (m->runner && strcmp(m->runner, "host") == 0))
		return false;
	step_env(r, s, &env);
	hit = isolate_cache_hit(&r->iso, s, env.envp);
	env_release(&env);
	if (hit)
		plan_cached(&r->plan, s);
	return hit;
}

bool
job_start(struct run *r, struct step *s)
{
	struct attempt_spec spec;
	struct step_env env;
	struct job *j = NULL;
	char **argv = NULL, *why = NULL;
	long i;
	int e, depth;

	for (i = 0; i < r->o.jobs && !j; i++)
		if (!r->jobs[i].step)
			j = &r->jobs[i];
	if (!j)
		return false;
	if (job_cached(r, s))
		return true;
	job_reset(j);
	j->step = s;
	s->slot = (unsigned)(j - r->jobs);
	plan_started(&r->plan, s);
	s->t_start = proc_now();
	r->nrunning++;
	sinks_step_started(&r->sinks, s);
	j->mask = mask_of(s);

	if (s->ir && s->ir->has_timeout)
		j->deadline = s->t_start + (double)s->ir->timeout_seconds;
	/* an output it reads and nobody wrote: never an empty value */
	if ((why = unwritten(r, s))) {
		fail_now(r, j, why);
		return true;
	}
	if (s->dynamic) {
		depth = step_bake_depth(s);
		if (depth > r->o.max_depth) {
			fail_now(r, j, diag_msg(E_EXEC_DEPTH, s->key, depth,
			    r->o.max_depth));
			return true;
		}
		if (!(argv = bake_argv(r, s, &why))) {
			fail_now(r, j, why);
			return true;
		}
	}
	/* a baker runs here, in a read-only view of the placeholder's start
	   state when steps are isolated */
	if (s->dynamic && r->runners.dflt &&
	    r->runners.dflt->ops == &runner_isolated)
		j->runner = r->runners.dflt;
	else
		j->runner = s->dynamic ? runners_local(&r->runners, &why) :
		    runners_for(&r->runners, s->ir, &why);
	if (!j->runner) {
		fail_now(r, j, why);
		goto out;
	}
	memset(&spec, 0, sizeof(spec));
	spec.key = s->key;
	spec.label = s->label;
	spec.step = s->ir;
	spec.state_from = s->state_from;
	spec.attempt = s->attempt;
	spec.cmd = !argv ? (s->ir && s->ir->cmd ? s->ir->cmd : "") : NULL;
	spec.argv = argv;
	spec.split_stdout = s->dynamic;
	spec.timeout = s->ir && s->ir->has_timeout ?
	    (double)s->ir->timeout_seconds : 0;
	step_env(r, s, &env);
	spec.envp = env.envp;
	e = j->runner->ops->start(j->runner, &spec, &j->a, &why);
	env_release(&env);
	if (e != 0) {
		if (!why)
			why = diag_msg(E_EXEC_SPAWN, s->key, argv ? argv[0] :
			    "/bin/sh", strerror(e));
		j->a.out_fd = j->a.frag_fd = -1;
		fail_now(r, j, why);
	}
out:
	if (argv) {
		free(argv[0]);
		free(argv);
	}
	return true;
}

struct masked {
	struct run *r;
	struct step *s;
};

static void
output_masked(void *ctx, const char *buf, size_t n)
{
	struct masked *c = ctx;

	sinks_step_output(&c->r->sinks, c->s, buf, n);
}

/*
 * A step's output: its secret values masked first (mask.h), before the
 * log, the terminal or any other sink sees it.
 */
void
job_output(struct run *r, struct job *j, const char *buf, size_t n)
{
	struct masked c = { r, j->step };

	if (j->mask)
		mask_write(j->mask, &j->ms, buf, n, output_masked, &c);
	else
		sinks_step_output(&r->sinks, j->step, buf, n);
}

void
job_fragment(struct job *j, const char *buf, size_t n)
{
	if (j->frag_too_big || j->nfrag + n > FRAG_MAX) {
		j->frag_too_big = true;
		return;
	}
	if (j->nfrag + n > j->capfrag) {
		j->capfrag = 2 * (j->nfrag + n);
		j->frag = xreallocarray(j->frag, j->capfrag, 1);
	}
	memcpy(j->frag + j->nfrag, buf, n);
	j->nfrag += n;
}

bool
job_done(const struct job *j)
{
	return j->step && j->reaped && j->a.out_fd < 0 && j->a.frag_fd < 0;
}

/* How a bake that did not succeed failed, when nothing said so yet. */
static void
bake_failed(struct run *r, struct job *j, struct step *s)
{
	if (j->timed_out)
		s->reason = diag_msg(E_EXEC_BAKE_TIMEOUT, s->key,
		    (long long)s->ir->timeout_seconds);
	else if (s->signo)
		s->reason = diag_msg(E_EXEC_BAKE_SIGNAL, s->key, s->signo);
	else
		s->reason = diag_msg(E_EXEC_BAKE_STATUS, s->key, s->exit_code);
	sinks_step_note(&r->sinks, s, "hm-exec: %s", s->reason ?
	    s->reason : "");
}

/* The process group outlived the step (TERM sent): KILL it later. */
static void
linger(struct run *r, struct job *j)
{
	struct lingering *l;

	if (r->nlinger == r->caplinger) {
		r->caplinger = r->caplinger ? 2 * r->caplinger : 8;
		r->linger = xreallocarray(r->linger, r->caplinger,
		    sizeof(*r->linger));
	}
	l = &r->linger[r->nlinger++];
	l->key = xstrdup(j->step->key);
	l->runner = j->runner;
	l->a = j->a;
	l->kill_at = j->kill_at;
}

void
job_finish(struct run *r, struct job *j)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct step *s = j->step;
	char *msg = NULL;
	bool ok;
	size_t i;
	int ws = j->wstatus;

	if (j->mask) {
		/* what the masker held back, a possible start of a secret */
		struct masked c = { r, s };

		mask_flush(j->mask, &j->ms, output_masked, &c);
	}

	if (ws != -1 && j->runner && j->runner->ops->finish) {
		ws = j->runner->ops->finish(j->runner, &j->a, ws, &msg);
		if (msg) {
			free(s->reason);
			s->reason = msg;
		}
	}
	s->t_end = proc_now();
	s->exit_code = -1;
	s->signo = 0;
	if (ws != -1 && WIFEXITED(ws))
		s->exit_code = WEXITSTATUS(ws);
	else if (ws != -1 && WIFSIGNALED(ws))
		s->signo = WTERMSIG(ws);
	s->timed_out = j->timed_out;
	ok = s->exit_code == 0 && !j->timed_out && !s->reason;
	if (j->timed_out && !s->dynamic)
		sinks_step_note(&r->sinks, s, "hm-exec: timed out after %llds",
		    (long long)s->ir->timeout_seconds);
	if (!ok && s->dynamic && !s->reason)
		bake_failed(r, j, s);
	if (ok && s->dynamic) {
		if (j->frag_too_big) {
			s->reason = diag_msg(E_EXEC_FRAGMENT_TOO_BIG, s->key,
			    FRAG_MAX);
			sinks_step_note(&r->sinks, s, "hm-exec: %s",
			    s->reason ? s->reason : "");
			ok = false;
		} else if (bake_expand(r, s, j) < 0) {
			ok = false;
		}
	}
	if (ok && !s->dynamic && s->out_path) {
		outputs_collect(&r->outputs, s->key, s->out_path, &dl);
		if (dl.n)
			sinks_diags(&r->sinks, &dl);
		for (i = 0; i < dl.n; i++) {
			/* an output clashing with another step's */
			if (dl.items[i].code != E_EXEC_OUTPUT_CLASH || s->reason)
				continue;
			s->reason = xstrdup(dl.items[i].msg ?
			    dl.items[i].msg : "");
			ok = false;
		}
		diag_list_release(&dl);
	}
	if (j->kill_at)
		linger(r, j);
	r->nrunning--;
	/* the first job runs on make's implicit token; the others hold one */
	while (jobserver_held(&r->js) > (r->nrunning ? r->nrunning - 1 : 0))
		jobserver_give(&r->js);
	job_reset(j);
	plan_attempt_done(&r->plan, s, ok);
}
