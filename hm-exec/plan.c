/* hm: the run state over the graph: ready queue, skips, the status algebra. */
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "exec.h"
#include "tool.h"

/*
 * A node is evaluated once all its predecessors are final. Every edge
 * must be satisfied: GE_ANY by any final status, the others by passed
 * or soft-failed. A virtual node then passes at once (or is skipped); a
 * step becomes ready (or is skipped). While the run is stopping (a hard
 * failure without -k), a ready step is canceled unless it stands behind
 * a continue_on_failure wait (prot); after an interrupt, always.
 */

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
htab_grow(struct run *r)
{
	size_t i, cap = r->hcap ? 2 * r->hcap : 1024;
	struct srec **t = xcalloc(cap, sizeof(*t));

	for (i = 0; i < r->nrecs; i++) {
		struct srec *s = r->recs[i];
		size_t h = hash_str(s->key) & (cap - 1);

		s->hnext = t[h];
		t[h] = s;
	}
	free(r->htab);
	r->htab = t;
	r->hcap = cap;
}

struct srec *
rec_get(struct run *r, const char *key, bool create)
{
	struct srec *s;
	size_t h;

	if (r->hcap) {
		h = hash_str(key) & (r->hcap - 1);
		for (s = r->htab[h]; s; s = s->hnext)
			if (strcmp(s->key, key) == 0)
				return s;
	}
	if (!create)
		return NULL;
	if (r->nrecs + 1 > r->hcap / 2)
		htab_grow(r);
	if (r->nrecs == r->caprecs) {
		r->caprecs = r->caprecs ? 2 * r->caprecs : 256;
		r->recs = xreallocarray(r->recs, r->caprecs, sizeof(*r->recs));
	}
	s = xcalloc(1, sizeof(*s));
	s->key = xstrdup(key);
	s->exit_code = -1;
	s->node = GRAPH_NONE;
	r->recs[r->nrecs++] = s;
	h = hash_str(key) & (r->hcap - 1);
	s->hnext = r->htab[h];
	r->htab[h] = s;
	return s;
}

static bool
is_step(const struct gnode *n)
{
	return n->kind == GN_COMMAND || n->kind == GN_DYNAMIC;
}

static enum st
node_status(const struct plan *p, uint32_t n)
{
	return p->rec[n] ? p->rec[n]->status : (enum st)p->vst[n];
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
void
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

/* Report a step that reached a final status without running. */
static void
rec_final(struct run *r, struct srec *rec, enum st st)
{
	rec->status = st;
	out_finished(r, rec, NULL);
	events_step_finished(r, rec);
}

static void
evaluate(struct run *r, uint32_t n)
{
	struct plan *p = &r->plan;
	const struct gnode *gn = &p->g.nodes[n];
	bool sat = true, clean = true;
	uint32_t i, k;

	if (node_status(p, n) != ST_WAITING)
		return;
	for (i = 0; i < gn->npreds; i++) {
		enum st ps = node_status(p, gn->preds[i].node);

		k = gn->preds[i].kind;
		if (!ST_OK(ps))
			clean = false;
		/*
		 * A wait with continue_on_failure lets the steps after it
		 * run (GE_ORDER from the wait), but a later plain wait
		 * (GE_BARRIER) still sees that something failed.
		 */
		if (k != GE_ANY && !ST_OK(ps) &&
		    !(ps == ST_DIRTY && k == GE_ORDER))
			sat = false;
	}
	if (!p->rec[n]) {
		p->vst[n] = !sat ? ST_SKIPPED : gn->kind == GN_WAIT && !clean ?
		    ST_DIRTY : ST_PASSED;
		push_work(p, n);
		return;
	}
	if (!sat) {
		rec_final(r, p->rec[n], ST_SKIPPED);
		push_work(p, n);
	} else if (r->interrupted || (r->stopping && !p->prot[n])) {
		rec_final(r, p->rec[n], ST_CANCELED);
		push_work(p, n);
	} else {
		p->rec[n]->status = ST_READY;
		plan_queue(p, n);
	}
}

static void
propagate(struct run *r)
{
	struct plan *p = &r->plan;
	uint32_t n, i, s;

	while (p->nwork > 0) {
		n = p->work[--p->nwork];
		for (i = 0; i < p->g.nodes[n].nsuccs; i++) {
			s = p->g.nodes[n].succs[i];
			if (p->pending[s] > 0 && --p->pending[s] == 0)
				evaluate(r, s);
		}
	}
}

void
plan_release(struct plan *p)
{
	if (p->built)
		graph_release(&p->g);
	free(p->vst);
	free(p->pending);
	free(p->rec);
	free(p->prot);
	free(p->topo);
	free(p->queue);
	free(p->work);
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
			    p->prot[gn->preds[k].node])
				p->prot[p->topo[i]] = 1;
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

static char *
label_of(const struct gnode *gn)
{
	if (gn->step && gn->step->label && !strchr(gn->key, IR_REPLICA_SEP))
		return printable(gn->step->label);
	return xstrdup(gn->key);
}

int
plan_build(struct run *r, struct diag_list *diags)
{
	struct plan np, *p = &r->plan;
	uint32_t i, n;
	size_t k;

	memset(&np, 0, sizeof(np));
	if (graph_build(&np.g, r->doc, diags) < 0) {
		graph_release(&np.g);
		return -1;
	}
	np.built = true;
	plan_release(p);
	*p = np;
	n = p->g.n;
	p->vst = xcalloc(n + 1, 1);
	p->pending = xcalloc(n + 1, sizeof(*p->pending));
	p->rec = xcalloc(n + 1, sizeof(*p->rec));
	p->prot = xcalloc(n + 1, 1);
	p->topo = xcalloc(n + 1, sizeof(*p->topo));
	p->queue = xcalloc(n + 1, sizeof(*p->queue));
	p->work = xcalloc(n + 1, sizeof(*p->work));

	for (k = 0; k < r->nrecs; k++)
		r->recs[k]->node = GRAPH_NONE;
	for (i = 0; i < n; i++) {
		const struct gnode *gn = &p->g.nodes[i];
		struct srec *rec;

		p->pending[i] = gn->npreds;
		if (!is_step(gn))
			continue;
		rec = rec_get(r, gn->key, true);
		if (!rec->label)
			rec->label = label_of(gn);
		rec->step = gn->step;
		rec->dynamic = gn->kind == GN_DYNAMIC;
		rec->node = i;
		p->rec[i] = rec;
	}
	plan_order(p);
	/* Queue what was ready before the rebuild, in node order. */
	for (i = 0; i < n; i++)
		if (p->rec[i] && p->rec[i]->status == ST_READY)
			plan_queue(p, i);
	for (i = 0; i < n; i++)
		if (p->pending[i] == 0)
			evaluate(r, i);
	for (i = 0; i < n; i++)
		if (p->rec[i] && ST_FINAL(p->rec[i]->status))
			push_work(p, i);
	propagate(r);
	return 0;
}

uint32_t
plan_next(struct run *r)
{
	struct plan *p = &r->plan;
	uint32_t n;

	while (p->qhead < p->qtail) {
		n = p->queue[p->qhead++];
		if (p->rec[n] && p->rec[n]->status == ST_READY)
			return n;
	}
	return GRAPH_NONE;
}

void
plan_finished(struct run *r, struct srec *rec)
{
	struct plan *p = &r->plan;

	if (rec->node == GRAPH_NONE || p->rec[rec->node] != rec)
		return;
	push_work(p, rec->node);
	propagate(r);
}

void
plan_stop(struct run *r, bool all)
{
	struct plan *p = &r->plan;
	size_t i;
	uint32_t n;

	for (i = p->qhead; i < p->qtail; i++) {
		n = p->queue[i];
		if (!p->rec[n] || p->rec[n]->status != ST_READY)
			continue;
		if (!all && p->prot[n])
			continue;
		rec_final(r, p->rec[n], ST_CANCELED);
		push_work(p, n);
		propagate(r);
	}
}

void
plan_cancel_rest(struct run *r)
{
	struct plan *p = &r->plan;
	uint32_t i;

	plan_stop(r, true);
	for (i = 0; i < p->g.n; i++) {
		uint32_t n = p->topo[i];

		if (p->rec[n] && !ST_FINAL(p->rec[n]->status) &&
		    p->rec[n]->status != ST_RUNNING) {
			rec_final(r, p->rec[n], ST_CANCELED);
			push_work(p, n);
			propagate(r);
		}
	}
}

void
plan_counts(struct run *r, size_t *total, size_t *done)
{
	size_t i, t = 0, d = 0;

	for (i = 0; i < r->nrecs; i++) {
		const struct srec *s = r->recs[i];

		if (s->node == GRAPH_NONE && !ST_FINAL(s->status))
			continue;
		t++;
		if (ST_FINAL(s->status))
			d++;
	}
	*total = t;
	*done = d;
}

/*
 * -n: every step with its stage: steps of one stage can run in parallel
 * once the stages before have passed. A stage is the longest chain of
 * steps before a step; virtual nodes add nothing.
 */
void
plan_print(struct run *r, FILE *f)
{
	struct plan *p = &r->plan;
	uint32_t i, k, n = p->g.n, *level, maxl = 0, l;

	level = xcalloc(n + 1, sizeof(*level));
	for (i = 0; i < n; i++) {
		const struct gnode *gn = &p->g.nodes[p->topo[i]];

		l = 0;
		for (k = 0; k < gn->npreds; k++) {
			uint32_t q = gn->preds[k].node;
			uint32_t ql = level[q] + (is_step(&p->g.nodes[q]) ? 1 : 0);

			if (ql > l)
				l = ql;
		}
		level[p->topo[i]] = l;
		if (is_step(gn) && l > maxl)
			maxl = l;
	}
	for (l = 0; l <= maxl; l++) {
		bool any = false;

		for (i = 0; i < n; i++) {
			const struct gnode *gn = &p->g.nodes[i];

			if (!is_step(gn) || level[i] != l)
				continue;
			if (!any)
				fprintf(f, "stage %u:\n", l + 1);
			any = true;
			fprintf(f, "  %s", gn->key);
			if (gn->step && gn->step->label &&
			    strcmp(gn->step->label, gn->key) != 0) {
				char *pl = printable(gn->step->label);

				fprintf(f, " (%s)", pl);
				free(pl);
			}
			if (gn->kind == GN_DYNAMIC)
				fprintf(f, " [dynamic: bakes target '%s' when"
				    " reached]", ir_more(gn->step)->target_name);
			if (gn->state_from != GRAPH_NONE)
				fprintf(f, " builds in %s",
				    p->g.nodes[gn->state_from].key);
			fputc('\n', f);
		}
	}
	free(level);
}
