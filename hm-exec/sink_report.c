/* hm: the report sink: --report (HTML) and --trace (Chrome trace) at the end. */
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "proc.h"
#include "report.h"
#include "sink.h"
#include "tool.h"

/*
 * Every attempt is recorded as it ends (with the job slot it ran in);
 * at the end the run becomes a struct report: the steps in the order
 * the plan made them, and the graph as it ran. Its edges are the run
 * graph's with the virtual nodes (waits, group enter and exit) walked
 * through, so that each step points at the steps it really waited for;
 * a dynamic step that was expanded stands where its group starts, so
 * the group's steps follow the bake.
 */

struct rstep {
	struct step *s;
	struct report_attempt *att;
	size_t natt, cap;
	unsigned slot;		/* of the running attempt */
};

struct rsink {
	const char *html, *trace;
	struct rstep *v;	/* by first attempt or first sight */
	size_t n, cap;
	size_t *tab;		/* by step pointer: index in v + 1, 0 free */
	size_t tcap;
};

void *
sink_report_new(const char *html, const char *trace)
{
	struct rsink *r = xcalloc(1, sizeof(*r));

	r->html = html;
	r->trace = trace;
	return r;
}

static size_t
ptr_hash(const void *p, size_t cap)
{
	uintptr_t x = (uintptr_t)p;

	x ^= x >> 17;
	x *= 0x9e3779b97f4a7c15u;
	return (size_t)(x >> 7) & (cap - 1);
}

/* The record of s, made if new. */
static struct rstep *
rec(struct rsink *r, struct step *s)
{
	size_t i, j;

	if (2 * (r->n + 1) > r->tcap) {
		size_t cap = r->tcap ? 2 * r->tcap : 64;

		free(r->tab);
		r->tab = xcalloc(cap, sizeof(*r->tab));
		r->tcap = cap;
		for (j = 0; j < r->n; j++) {
			for (i = ptr_hash(r->v[j].s, cap); r->tab[i];
			    i = (i + 1) & (cap - 1))
				;
			r->tab[i] = j + 1;
		}
	}
	for (i = ptr_hash(s, r->tcap); r->tab[i]; i = (i + 1) & (r->tcap - 1))
		if (r->v[r->tab[i] - 1].s == s)
			return &r->v[r->tab[i] - 1];
	if (r->n == r->cap) {
		r->cap = 2 * r->cap + 32;
		r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
	}
	memset(&r->v[r->n], 0, sizeof(r->v[r->n]));
	r->v[r->n].s = s;
	r->tab[i] = ++r->n;
	return &r->v[r->n - 1];
}

static void
report_step_started(struct sink *k, struct step *s)
{
	rec(k->state, s)->slot = s->slot;
}

static void
report_step_finished(struct sink *k, struct step *s, bool ran)
{
	struct rstep *x = rec(k->state, s);
	struct report_attempt *a;

	if (!ran)
		return;
	if (x->natt == x->cap) {
		x->cap = 2 * x->cap + 2;
		x->att = xreallocarray(x->att, x->cap, sizeof(*x->att));
	}
	a = &x->att[x->natt++];
	a->t0 = s->t_start - k->run->t0;
	a->t1 = s->t_end - k->run->t0;
	a->slot = x->slot;
	a->attempt = s->attempt;
	a->status = step_status(s);
}

/* How a step ended, for the report ("exit status 2"); NULL if it passed. */
static char *
how(const struct step *s)
{
	char buf[600];

	if (s->status != ST_FAILED && s->status != ST_SOFT_FAILED)
		return NULL;
	if (s->timed_out)
		snprintf(buf, sizeof(buf), "timed out after %llds",
		    (long long)s->ir->timeout_seconds);
	else if (s->reason)
		snprintf(buf, sizeof(buf), "%s", s->reason);
	else if (s->signo)
		snprintf(buf, sizeof(buf), "signal %d", s->signo);
	else
		snprintf(buf, sizeof(buf), "exit status %d", s->exit_code);
	return xstrdup(buf);
}

/*
 * The steps node n waited for: its predecessors, walked through virtual
 * nodes. idx maps a node to its report step (UINT32_MAX: none);
 * bake_at maps a group's enter node to the bake it stands for. seen is
 * a stamp per node (this walk's is stamp).
 */
static void
preds_of(const struct graph *g, uint32_t n, const uint32_t *idx,
    const uint32_t *bake_at, uint32_t *seen, uint32_t stamp,
    uint32_t **out, size_t *nout, size_t *cap, uint32_t *stack)
{
	size_t sp = 0, i;

	for (i = 0; i < g->nodes[n].npreds; i++)
		stack[sp++] = g->nodes[n].preds[i].node;
	while (sp > 0) {
		uint32_t u = stack[--sp], got = UINT32_MAX;

		if (seen[u] == stamp)
			continue;
		seen[u] = stamp;
		if (idx[u] != UINT32_MAX)
			got = idx[u];
		else if (bake_at[u] != UINT32_MAX)
			got = bake_at[u];
		if (got != UINT32_MAX) {
			if (*nout == *cap) {
				*cap = 2 * *cap + 4;
				*out = xreallocarray(*out, *cap, sizeof(**out));
			}
			(*out)[(*nout)++] = got;
			continue;
		}
		for (i = 0; i < g->nodes[u].npreds; i++)
			if (seen[g->nodes[u].preds[i].node] != stamp)
				stack[sp++] = g->nodes[u].preds[i].node;
	}
}

/* The report's graph: each step's predecessors, in rs[i].preds. */
static void
edges(const struct plan *p, struct rsink *r, struct report_step *rs)
{
	const struct graph *g = &p->g;
	uint32_t *idx = xcalloc(g->n + 1, sizeof(*idx));
	uint32_t *bake_at = xcalloc(g->n + 1, sizeof(*bake_at));
	uint32_t *seen = xcalloc(g->n + 1, sizeof(*seen));
	uint32_t *stack, n, *out;
	size_t i, nedges = 0, nout, cap;

	for (n = 0; n < g->n; n++) {
		idx[n] = bake_at[n] = UINT32_MAX;
		nedges += g->nodes[n].npreds;
	}
	stack = xcalloc(2 * nedges + g->n + 1, sizeof(*stack));
	for (i = 0; i < r->n; i++) {
		const struct step *s = r->v[i].s;

		if (s->node != GRAPH_NONE && s->node < g->n && !s->expanded)
			idx[s->node] = (uint32_t)i;
	}
	/* an expanded bake stands at its group's start (bakes are few) */
	for (i = 0; i < r->n; i++) {
		if (!r->v[i].s->expanded)
			continue;
		for (n = 0; n < g->n; n++)
			if (g->nodes[n].kind == GN_ENTER && g->nodes[n].step &&
			    strcmp(r->v[i].s->key, g->nodes[n].step->key) == 0)
				bake_at[n] = (uint32_t)i;
	}
	for (i = 0; i < r->n; i++) {
		const struct step *s = r->v[i].s;

		out = NULL;
		nout = cap = 0;
		if (s->node != GRAPH_NONE && s->node < g->n && !s->expanded) {
			preds_of(g, s->node, idx, bake_at, seen, (uint32_t)(2 *
			    i + 1), &out, &nout, &cap, stack);
		} else if (s->expanded) {
			for (n = 0; n < g->n; n++)
				if (bake_at[n] == i)
					preds_of(g, n, idx, bake_at, seen,
					    (uint32_t)(2 * i + 2), &out, &nout,
					    &cap, stack);
		}
		rs[i].preds = out;
		rs[i].npreds = nout;
	}
	free(idx);
	free(bake_at);
	free(seen);
	free(stack);
}

static int
write_one(const char *path, char *text, size_t len)
{
	int ret = 0;

	if (!text)
		dief(EXIT_SOFTWARE, "out of memory");
	if (file_write_atomic(path, text, len) < 0) {
		warnf("cannot write '%s':", path);
		ret = EXIT_IOERR;
	}
	free(text);
	return ret;
}

static int
report_run_finished(struct sink *k, int code)
{
	struct rsink *r = k->state;
	const struct plan *p = k->run->plan;
	struct report rep;
	struct report_step *rs;
	char *text;
	size_t i, len = 0;
	int ret = 0, e;

	/* every step, the ones that never started too */
	for (i = 0; i < p->nsteps; i++)
		if (ST_FINAL(p->steps[i]->status) || p->steps[i]->expanded)
			rec(r, p->steps[i]);
	rs = xcalloc(r->n + 1, sizeof(*rs));
	for (i = 0; i < r->n; i++) {
		const struct step *s = r->v[i].s;

		rs[i].key = s->key;
		rs[i].label = s->label;
		rs[i].bake = s->dynamic;
		rs[i].status = ST_FINAL(s->status) ? step_status(s) : NULL;
		rs[i].how = how(s);
		rs[i].att = r->v[i].att;
		rs[i].natt = r->v[i].natt;
		rs[i].excerpt = s->tail;
		rs[i].log = s->log_written ? s->log_path : NULL;
	}
	edges(p, r, rs);
	rep.title = k->run->doc && k->run->doc->source_pipeline ?
	    k->run->doc->source_pipeline : "hm-exec";
	rep.run_id = k->run->run_id;
	rep.started_at = k->run->started_at;
	rep.status = k->run->interrupted ? "interrupted" : code == 0 ?
	    "passed" : "failed";
	rep.duration = proc_now() - k->run->t0;
	rep.jobs = k->run->jobs;
	rep.steps = rs;
	rep.nsteps = r->n;
	if (r->html) {
		text = report_html(&rep, &len);
		if ((e = write_one(r->html, text, len)) != 0)
			ret = e;
	}
	if (r->trace) {
		text = report_trace(&rep, &len);
		if ((e = write_one(r->trace, text, len)) != 0)
			ret = e;
	}
	for (i = 0; i < r->n; i++) {
		free((char *)rs[i].how);
		free((uint32_t *)rs[i].preds);
	}
	free(rs);
	return ret;
}

static void
report_release(struct sink *k)
{
	struct rsink *r = k->state;
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].att);
	free(r->v);
	free(r->tab);
	free(r);
}

const struct sink_ops sink_report_ops = {
	.name = "report",
	.step_started = report_step_started,
	.step_finished = report_step_finished,
	.run_finished = report_run_finished,
	.release = report_release,
};
