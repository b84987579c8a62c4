/* hm: hm-exec's plan: the run state over the graph and the status algebra. */
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "hash.h"
#include "plan.h"
#include "tool.h"

/*
 * A node is evaluated once all its predecessors are final. Every edge
 * must be satisfied: GE_ANY by any final status, the others by passed
 * or soft-failed. A virtual node then passes at once (or is skipped); a
 * step becomes ready (or is skipped). While the run is stopping (a hard
 * failure without -k), a ready step is canceled unless it stands behind
 * a continue_on_failure wait (survives_stop); after an interrupt,
 * always.
 */

static void
htab_grow(struct plan *p)
{
	size_t i, cap = p->hcap ? 2 * p->hcap : 1024;
	struct step **t = xcalloc(cap, sizeof(*t));

	for (i = 0; i < p->nsteps; i++) {
		struct step *s = p->steps[i];
		size_t h = hash_str(s->key) & (cap - 1);

		s->hnext = t[h];
		t[h] = s;
	}
	free(p->htab);
	p->htab = t;
	p->hcap = cap;
}

struct step *
plan_step(struct plan *p, const char *key, bool create)
{
	struct step *s;
	size_t h;

	if (p->hcap) {
		h = hash_str(key) & (p->hcap - 1);
		for (s = p->htab[h]; s; s = s->hnext)
			if (strcmp(s->key, key) == 0)
				return s;
	}
	if (!create)
		return NULL;
	if (p->nsteps + 1 > p->hcap / 2)
		htab_grow(p);
	if (p->nsteps == p->capsteps) {
		p->capsteps = p->capsteps ? 2 * p->capsteps : 256;
		p->steps = xreallocarray(p->steps, p->capsteps,
		    sizeof(*p->steps));
	}
	s = xcalloc(1, sizeof(*s));
	s->key = xstrdup(key);
	s->exit_code = -1;
	s->node = GRAPH_NONE;
	p->steps[p->nsteps++] = s;
	h = hash_str(key) & (p->hcap - 1);
	s->hnext = p->htab[h];
	p->htab[h] = s;
	return s;
}

const char *
step_status_name(enum step_status s)
{
	switch (s) {
	case ST_WAITING:	return "waiting";
	case ST_READY:		return "ready";
	case ST_RUNNING:	return "running";
	case ST_PASSED:		return "passed";
	case ST_SOFT_FAILED:	return "soft_failed";
	case ST_CACHED:		return "cached";
	case ST_FAILED:		return "failed";
	case ST_SKIPPED:	return "skipped";
	case ST_CANCELED:	return "canceled";
	case ST_RELEASED:	return "released";
	}
	return "?";
}

const char *
step_status(const struct step *s)
{
	if (s->status == ST_FAILED && s->timed_out)
		return "timed_out";
	return step_status_name(s->status);
}

/* Whether the status line counts s: in the graph, or finished. */
static bool
counted(const struct step *s, enum step_status st)
{
	return s->node != GRAPH_NONE || ST_FINAL(st);
}

/* Every status change of a step goes through here: the counters. */
static void
set_status(struct plan *p, struct step *s, enum step_status st)
{
	p->ntotal += counted(s, st) - counted(s, s->status);
	p->ndone += ST_FINAL(st) - ST_FINAL(s->status);
	p->nrunning += (st == ST_RUNNING) - (s->status == ST_RUNNING);
	s->status = st;
}

static void
recount(struct plan *p)
{
	size_t i;

	p->ntotal = p->ndone = p->nrunning = 0;
	for (i = 0; i < p->nsteps; i++) {
		const struct step *s = p->steps[i];

		p->ntotal += counted(s, s->status);
		p->ndone += ST_FINAL(s->status);
		p->nrunning += s->status == ST_RUNNING;
	}
}

static bool
is_step(const struct gnode *n)
{
	return n->kind == GN_COMMAND || n->kind == GN_DYNAMIC;
}

static enum step_status
node_status(const struct plan *p, uint32_t n)
{
	return p->step[n] ? p->step[n]->status :
	    (enum step_status)p->virt_status[n];
}

static void
push_work(struct plan *p, uint32_t n)
{
	p->work[p->nwork++] = n;
}

/*
 * Queue node n. A node is queued at most once at a time (a retry queues
 * it again only after it was taken), so n slots always suffice once the
 * taken ones are dropped.
 */
static void
plan_queue(struct plan *p, uint32_t n)
{
	if (p->qtail == (size_t)p->g.n + 1) {
		memmove(p->queue, p->queue + p->qhead,
		    (p->qtail - p->qhead) * sizeof(*p->queue));
		p->qtail -= p->qhead;
		p->qhead = 0;
	}
	p->queue[p->qtail++] = n;
}

/* A step reached a final status without running. */
static void
step_final(struct plan *p, struct step *s, enum step_status st)
{
	set_status(p, s, st);
	if (p->listener.step_finished)
		p->listener.step_finished(p->listener.ctx, s, false);
}

/*
 * A group's status from its members' (ir-spec/status.md, "Groups"): any
 * failed (or timed out) makes it failed; otherwise any skipped (or
 * canceled) skipped; otherwise any soft-failed soft-failed; else passed.
 * Its dependents see no difference between failed and skipped, but
 * reports of groups do.
 */
static enum step_status
group_status(const struct plan *p, const struct gnode *gn)
{
	bool failed = false, skipped = false, soft = false;
	uint32_t i;

	for (i = 0; i < gn->npreds; i++) {
		const struct gnode *m = &p->g.nodes[gn->preds[i].node];
		enum step_status ms = node_status(p, gn->preds[i].node);

		if (m->kind == GN_WAIT || m->kind == GN_ENTER)
			continue;
		failed |= ms == ST_FAILED;
		skipped |= ms == ST_SKIPPED || ms == ST_CANCELED;
		soft |= ms == ST_SOFT_FAILED;
	}
	return failed ? ST_FAILED : skipped ? ST_SKIPPED : soft ?
	    ST_SOFT_FAILED : ST_PASSED;
}

static void plan_order(struct plan *p);

/* Whether node n runs on after a failure without -k (plan_order). */
static bool
survives(struct plan *p, uint32_t n)
{
	if (p->order_stale) {
		memset(p->survives_stop, 0, p->g.n);
		plan_order(p);
		p->order_stale = false;
	}
	return p->survives_stop[n];
}

static void
evaluate(struct plan *p, uint32_t n)
{
	const struct gnode *gn = &p->g.nodes[n];
	bool sat = true, clean = true;
	uint32_t i, k;

	if (node_status(p, n) != ST_WAITING)
		return;
	for (i = 0; i < gn->npreds; i++) {
		enum step_status ps = node_status(p, gn->preds[i].node);

		k = gn->preds[i].kind;
		if (!ST_OK(ps))
			clean = false;
		/*
		 * A wait with continue_on_failure lets the steps after it
		 * run (GE_ORDER from the wait), but a later plain wait
		 * (GE_BARRIER) still sees that something failed.
		 */
		if (k != GE_ANY && !ST_OK(ps) &&
		    !(ps == ST_RELEASED && k == GE_ORDER))
			sat = false;
	}
	if (!p->step[n]) {
		if (gn->kind == GN_EXIT)
			p->virt_status[n] = group_status(p, gn);
		else
			p->virt_status[n] = !sat ? ST_SKIPPED :
			    gn->kind == GN_WAIT && !clean ? ST_RELEASED :
			    ST_PASSED;
		push_work(p, n);
		return;
	}
	if (!sat) {
		step_final(p, p->step[n], ST_SKIPPED);
		push_work(p, n);
	} else if (p->interrupted || (p->stopping && !survives(p, n))) {
		step_final(p, p->step[n], ST_CANCELED);
		push_work(p, n);
	} else {
		set_status(p, p->step[n], ST_READY);
		plan_queue(p, n);
	}
}

static void
propagate(struct plan *p)
{
	uint32_t n, i, s;

	while (p->nwork > 0) {
		n = p->work[--p->nwork];
		for (i = 0; i < p->g.nodes[n].nsuccs; i++) {
			s = p->g.nodes[n].succs[i];
			if (p->pending[s] > 0 && --p->pending[s] == 0)
				evaluate(p, s);
		}
	}
}

void
plan_init(struct plan *p, const struct plan_listener *listener,
    bool keep_going)
{
	memset(p, 0, sizeof(*p));
	if (listener)
		p->listener = *listener;
	p->keep_going = keep_going;
}

/* The per-node arrays and the graph. */
static void
nodes_release(struct plan *p)
{
	if (p->built)
		graph_release(&p->g);
	p->built = false;
	free(p->virt_status);
	free(p->pending);
	free(p->step);
	free(p->survives_stop);
	free(p->topo);
	free(p->queue);
	free(p->work);
	p->virt_status = p->survives_stop = NULL;
	p->pending = p->topo = p->queue = p->work = NULL;
	p->step = NULL;
	p->qhead = p->qtail = p->nwork = 0;
	p->cap = 0;
	p->order_stale = false;
}

void
plan_release(struct plan *p)
{
	size_t i;

	nodes_release(p);
	for (i = 0; i < p->nsteps; i++) {
		struct step *s = p->steps[i];

		free(s->key);
		free(s->label);
		free(s->reason);
		free(s->log_path);
		free(s->out_path);
		free(s->tail);
		free(s);
	}
	free(p->steps);
	free(p->htab);
	memset(p, 0, sizeof(*p));
}

/* Kahn's order; also marks what stands behind a GE_ANY edge. */
static void
plan_order(struct plan *p)
{
	uint32_t n = p->g.n, *deg = xcalloc(n ? n : 1, sizeof(*deg));
	uint32_t i, k, head = 0, tail = 0;

	for (i = 0; i < n; i++) {
		deg[i] = p->g.nodes[i].npreds;
		if (deg[i] == 0)
			p->topo[tail++] = i;
	}
	while (head < tail) {
		const struct gnode *gn = &p->g.nodes[p->topo[head++]];

		for (k = 0; k < gn->nsuccs; k++)
			if (--deg[gn->succs[k]] == 0)
				p->topo[tail++] = gn->succs[k];
	}
	free(deg);
	for (i = 0; i < tail; i++) {
		const struct gnode *gn = &p->g.nodes[p->topo[i]];

		for (k = 0; k < gn->npreds; k++)
			if (gn->preds[k].kind == GE_ANY ||
			    p->survives_stop[gn->preds[k].node])
				p->survives_stop[p->topo[i]] = 1;
	}
}

/* A label as printed: its control characters escaped (esc.h). */
static char *
printable(const char *s)
{
	size_t n = strlen(s);
	char *e = xmalloc(esc_len(s, n) + 1);

	return esc_write(e, s, n);
}

/*
 * A step's label, or its key; a replica's is its step's with the leaf it
 * follows, by the leaf's label: "report (shard 3)" for "report@shards/3".
 * Control characters escaped.
 */
static char *
label_of(const struct graph *g, const struct gnode *gn)
{
	const struct gnode *leaf;
	const char *at = strchr(gn->key, IR_REPLICA_SEP), *ll;
	char *s, *e;
	size_t n;
	int bl;

	if (!at || gn->replica_of == GRAPH_NONE)
		return printable(gn->step && gn->step->label ? gn->step->label :
		    gn->key);
	leaf = &g->nodes[gn->replica_of];
	ll = leaf->step && leaf->step->label ? leaf->step->label : leaf->key;
	bl = gn->step && gn->step->label ? (int)strlen(gn->step->label) :
	    (int)(at - gn->key);
	n = (size_t)bl + strlen(ll) + 4;
	s = xmalloc(n);
	snprintf(s, n, "%.*s (%s)", bl, gn->step && gn->step->label ?
	    gn->step->label : gn->key, ll);
	e = printable(s);
	free(s);
	return e;
}

/* Step s is at node (GRAPH_NONE: none): the counters follow. */
static void
place(struct plan *p, struct step *s, uint32_t node)
{
	p->ntotal -= counted(s, s->status);
	s->node = node;
	p->ntotal += counted(s, s->status);
}

/* The record of command or dynamic node i, created if new. */
static void
attach(struct plan *p, uint32_t i)
{
	const struct gnode *gn = &p->g.nodes[i];
	struct step *s = plan_step(p, gn->key, true);

	if (!s->label)
		s->label = label_of(&p->g, gn);
	s->ir = gn->step;
	s->dynamic = gn->kind == GN_DYNAMIC;
	place(p, s, i);
	if (gn->state_from != GRAPH_NONE)
		s->state_from = p->g.nodes[gn->state_from].key;
	p->step[i] = s;
}

int
plan_build(struct plan *p, struct ir_doc *doc, struct diag_list *diags)
{
	struct graph g;
	uint32_t i, n;
	size_t k;

	memset(&g, 0, sizeof(g));
	if (graph_build(&g, doc, diags) < 0) {
		graph_release(&g);
		return -1;
	}
	nodes_release(p);
	p->g = g;
	p->built = true;
	p->gen++;
	n = p->g.n;
	p->cap = n + 1;
	p->virt_status = xcalloc(n + 1, 1);
	p->pending = xcalloc(n + 1, sizeof(*p->pending));
	p->step = xcalloc(n + 1, sizeof(*p->step));
	p->survives_stop = xcalloc(n + 1, 1);
	p->topo = xcalloc(n + 1, sizeof(*p->topo));
	p->queue = xcalloc(n + 1, sizeof(*p->queue));
	p->work = xcalloc(n + 1, sizeof(*p->work));

	for (k = 0; k < p->nsteps; k++) {
		p->steps[k]->node = GRAPH_NONE;
		p->steps[k]->state_from = NULL;
	}
	for (i = 0; i < n; i++) {
		p->pending[i] = p->g.nodes[i].npreds;
		if (is_step(&p->g.nodes[i]))
			attach(p, i);
	}
	recount(p);
	plan_order(p);
	/* Queue what was ready before the rebuild, in node order. */
	for (i = 0; i < n; i++)
		if (p->step[i] && p->step[i]->status == ST_READY)
			plan_queue(p, i);
	for (i = 0; i < n; i++)
		if (p->pending[i] == 0)
			evaluate(p, i);
	for (i = 0; i < n; i++)
		if (p->step[i] && ST_FINAL(p->step[i]->status))
			push_work(p, i);
	propagate(p);
	return 0;
}

/* v (old entries of size) with room for cap, the new ones zero. */
static void *
grow(void *v, size_t old, size_t cap, size_t size)
{
	char *w = xreallocarray(v, cap, size);

	memset(w + old * size, 0, (cap - old) * size);
	return w;
}

/* Room in the per-node arrays for the graph's nodes, doubled as it
 * grows. */
static void
nodes_reserve(struct plan *p)
{
	size_t old = p->cap, cap = 2 * (size_t)p->cap;

	if (p->g.n + 1 <= p->cap)
		return;
	if (cap < (size_t)p->g.n + 1)
		cap = (size_t)p->g.n + 1;
	p->virt_status = grow(p->virt_status, old, cap, 1);
	p->pending = grow(p->pending, old, cap, sizeof(*p->pending));
	p->step = grow(p->step, old, cap, sizeof(*p->step));
	p->survives_stop = grow(p->survives_stop, old, cap, 1);
	p->topo = grow(p->topo, old, cap, sizeof(*p->topo));
	p->queue = grow(p->queue, old, cap, sizeof(*p->queue));
	p->work = grow(p->work, old, cap, sizeof(*p->work));
	p->cap = (uint32_t)cap;
}

/* Predecessors of node n not yet final. */
static uint32_t
unfinished(const struct plan *p, uint32_t n)
{
	const struct gnode *gn = &p->g.nodes[n];
	uint32_t k, c = 0;

	for (k = 0; k < gn->npreds; k++)
		c += !ST_FINAL(node_status(p, gn->preds[k].node));
	return c;
}

static int
cmp_node(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The queue as plan_build leaves it: the ready steps, once each, in
 * node order (which the new nodes, all after, do not change).
 */
static void
queue_ready(struct plan *p)
{
	size_t i, n = 0, k = 0;

	for (i = p->qhead; i < p->qtail; i++) {
		uint32_t q = p->queue[i];

		if (p->step[q] && p->step[q]->status == ST_READY)
			p->queue[n++] = q;
	}
	qsort(p->queue, n, sizeof(*p->queue), cmp_node);
	for (i = 0; i < n; i++)
		if (k == 0 || p->queue[k - 1] != p->queue[i])
			p->queue[k++] = p->queue[i];
	p->qhead = 0;
	p->qtail = k;
}

int
plan_splice(struct plan *p, struct ir_step *group)
{
	struct graph_spliced gs;
	struct step *ph;
	uint32_t i, k, y, enter;
	int r;

	if (!p->built || (r = graph_splice(&p->g, group, &gs)) > 0) {
		graph_spliced_release(&gs);
		return -1;
	}
	if (r < 0)
		dief(EXIT_SOFTWARE, "out of memory");
	nodes_reserve(p);
	p->gen++;
	p->order_stale = true;
	/* the placeholder's node is the group's EXIT now */
	if ((ph = p->step[gs.node])) {
		place(p, ph, GRAPH_NONE);
		ph->state_from = NULL;
		p->step[gs.node] = NULL;
	}
	p->virt_status[gs.node] = ST_WAITING;
	p->pending[gs.node] = unfinished(p, gs.node);
	for (i = gs.enter; i < p->g.n; i++) {
		p->virt_status[i] = ST_WAITING;
		if (is_step(&p->g.nodes[i]))
			attach(p, i);
	}
	for (i = gs.enter; i < p->g.n; i++)
		p->pending[i] = unfinished(p, i);
	for (k = 0; k < gs.nrestated; k++) {
		y = gs.restated[k];
		if (p->step[y])
			p->step[y]->state_from =
			    p->g.nodes[y].state_from == GRAPH_NONE ? NULL :
			    p->g.nodes[p->g.nodes[y].state_from].key;
	}
	enter = gs.enter;
	graph_spliced_release(&gs);
	queue_ready(p);
	if (p->pending[enter] == 0)
		evaluate(p, enter);
	propagate(p);
	return 0;
}

struct step *
plan_next(struct plan *p)
{
	uint32_t n;

	while (p->qhead < p->qtail) {
		n = p->queue[p->qhead++];
		if (p->step[n] && p->step[n]->status == ST_READY)
			return p->step[n];
	}
	return NULL;
}

bool
plan_has_queued(const struct plan *p)
{
	return p->qhead < p->qtail;
}

void
plan_started(struct plan *p, struct step *s)
{
	s->attempt++;
	set_status(p, s, ST_RUNNING);
	s->timed_out = false;
	s->exit_code = -1;
	s->signo = 0;
	free(s->reason);
	s->reason = NULL;
}

/*
 * Cancel what is queued and does not survive a stop (all: everything).
 * The queue is copied first: canceling propagates, and what becomes
 * ready on the way is queued, which may move the queue under a walk by
 * index and skip entries.
 */
static void
plan_stop(struct plan *p, bool all)
{
	size_t i, nq = p->qtail - p->qhead;
	uint32_t n, *q;

	if (nq == 0)
		return;
	q = xcalloc(nq, sizeof(*q));
	memcpy(q, p->queue + p->qhead, nq * sizeof(*q));
	for (i = 0; i < nq; i++) {
		n = q[i];
		if (!p->step[n] || p->step[n]->status != ST_READY)
			continue;
		if (!all && survives(p, n))
			continue;
		step_final(p, p->step[n], ST_CANCELED);
		push_work(p, n);
		propagate(p);
	}
	free(q);
}

void
plan_attempt_done(struct plan *p, struct step *s, bool ok)
{
	bool retry;

	retry = !ok && !p->interrupted && s->ir && s->ir->has_retry &&
	    s->attempt <= s->ir->retry;
	if (retry) {
		/* told as failed, then queued again: not final for the
		 * graph */
		set_status(p, s, ST_FAILED);
		s->will_retry = true;
		if (p->listener.step_finished)
			p->listener.step_finished(p->listener.ctx, s, true);
		s->will_retry = false;
		set_status(p, s, ST_READY);
		if (s->node != GRAPH_NONE && p->step[s->node] == s)
			plan_queue(p, s->node);
		return;
	}
	if (ok)
		set_status(p, s, ST_PASSED);
	else if (p->interrupted)
		set_status(p, s, ST_CANCELED);
	else if (s->ir && s->ir->soft_fail)
		set_status(p, s, ST_SOFT_FAILED);
	else
		set_status(p, s, ST_FAILED);
	if (p->listener.step_finished)
		p->listener.step_finished(p->listener.ctx, s, true);
	if (s->status == ST_FAILED) {
		p->failed = true;
		if (!p->keep_going && !p->stopping) {
			p->stopping = true;
			plan_stop(p, false);
		}
	}
	/* an expanded bake: the new graph already carries it over */
	if (s->node == GRAPH_NONE || p->step[s->node] != s)
		return;
	push_work(p, s->node);
	propagate(p);
}

void
plan_cached(struct plan *p, struct step *s)
{
	set_status(p, s, ST_CACHED);
	if (p->listener.step_finished)
		p->listener.step_finished(p->listener.ctx, s, false);
	if (s->node == GRAPH_NONE || p->step[s->node] != s)
		return;
	push_work(p, s->node);
	propagate(p);
}

void
plan_interrupt(struct plan *p, int sig)
{
	if (p->interrupted)
		return;
	p->interrupted = sig;
	plan_stop(p, true);
}

void
plan_cancel_rest(struct plan *p)
{
	uint32_t i;

	plan_stop(p, true);
	if (p->order_stale)
		survives(p, 0);		/* makes the order again */
	for (i = 0; i < p->g.n; i++) {
		uint32_t n = p->topo[i];

		if (p->step[n] && !ST_FINAL(p->step[n]->status) &&
		    p->step[n]->status != ST_RUNNING) {
			step_final(p, p->step[n], ST_CANCELED);
			push_work(p, n);
			propagate(p);
		}
	}
}

/*
 * A stage is the longest chain of steps before a step; virtual nodes add
 * nothing. One pass in topological order.
 */
uint32_t
plan_stages(const struct plan *p, uint32_t **stage)
{
	uint32_t i, k, n = p->g.n, *level, nstages = 0, l;

	level = xcalloc(n + 1, sizeof(*level));
	for (i = 0; i < n; i++) {
		const struct gnode *gn = &p->g.nodes[p->topo[i]];

		l = 0;
		for (k = 0; k < gn->npreds; k++) {
			uint32_t q = gn->preds[k].node;
			uint32_t ql = level[q] + (is_step(&p->g.nodes[q]) ?
			    1 : 0);

			if (ql > l)
				l = ql;
		}
		level[p->topo[i]] = l;
		if (is_step(gn) && l + 1 > nstages)
			nstages = l + 1;
	}
	for (i = 0; i < n; i++)
		level[i]++;
	*stage = level;
	return nstages;
}

int
step_bake_depth(const struct step *s)
{
	const struct ir_step *p;
	int d = 1;

	for (p = s->ir ? s->ir->parent : NULL; p; p = p->parent)
		if (p->type == IR_GROUP && ir_more(p)->target_name)
			d++;
	return d;
}
