/* hm: IR validation: keys, references, groups, continuation, cycles. */
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "graph.h"
#include "ir.h"
#include "ir_check.h"
#include "ir_cont.h"
#include "ir_runner.h"
#include "ir_index.h"
#include "ir_splice.h"

/*
 * Three passes: number every step and index the keys (duplicates), resolve
 * every reference and mark which group members are followed (leaves),
 * then the continuation rules; last, graph_build finds cycles through
 * every kind of edge, waits and groups included.
 */
struct checker {
	struct ir_doc *doc;
	struct diag_list *diags;
	unsigned flags;
	size_t errors;
	bool forward;		/* a step refers to one after it */
};

static int
fail(struct checker *C)
{
	C->errors++;
	return -1;
}

/* Count steps so the arrays can be sized once. */
static uint32_t
count_steps(struct ir_step **v, size_t n)
{
	uint32_t total = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		total++;
		if (v[i]->type == IR_GROUP)
			total += count_steps(v[i]->steps, v[i]->nsteps);
	}
	return total;
}

static void
number_steps(struct checker *C, struct ir_step **v, size_t n,
    struct ir_step *parent, uint32_t *next)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct ir_step *s = v[i];

		s->parent = parent;
		s->index = i;
		s->id = (*next)++;
		s->followed = false;
		C->doc->all[s->id] = s;
		if (s->type == IR_GROUP)
			number_steps(C, s->steps, s->nsteps, s, next);
	}
}

static const char *
step_key(const struct ir_step *s)
{
	return s->type == IR_WAIT ? NULL : s->key;
}

/* Index the keys of steps from .. to-1 of doc->all (duplicates). */
static void
index_keys(struct checker *C, uint32_t from, uint32_t to)
{
	uint32_t i;

	for (i = from; i < to; i++) {
		struct ir_step *s = C->doc->all[i];
		uint32_t old = 0;
		int r;

		if (!step_key(s))
			continue;
		r = ir_index_put(C->doc->index, s->key, i, &old);
		if (r == 1) {
			struct srcpos o = ir_pos(C->doc,
			    C->doc->all[old]->key_pos);

			diag_report(C->diags, E_IR_DUP_KEY,
			    ir_pos(C->doc, s->key_pos), s->key, o.line, o.col);
			fail(C);
		} else if (r < 0) {
			diag_report(C->diags, E_NOMEM, ir_pos(C->doc, s->pos));
			fail(C);
		}
	}
}

static bool
is_ancestor(const struct ir_step *a, const struct ir_step *s)
{
	for (; s; s = s->parent)
		if (s == a)
			return true;
	return false;
}

static int
resolve(struct checker *C, struct ir_step *s, struct ir_ref *ref,
    const char *field)
{
	struct ir_step *t = ir_find(C->doc, ref->key);

	ref->step = NULL;
	if (!t) {
		diag_report(C->diags, E_IR_UNKNOWN_REF,
		    ir_pos(C->doc, ref->pos), field, s->key, ref->key);
		return fail(C);
	}
	if (t == s) {
		diag_report(C->diags, E_IR_SELF_REF, ir_pos(C->doc, ref->pos),
		    s->key, field);
		return fail(C);
	}
	if (is_ancestor(t, s)) {
		diag_report(C->diags, E_IR_MEMBER_REF_GROUP,
		    ir_pos(C->doc, ref->pos), s->key, t->key, field);
		return fail(C);
	}
	ref->step = t;
	if (t->id > s->id)
		C->forward = true;
	return 0;
}

/* A consumed output's producer: a command that runs commands. */
static void
resolve_consumes(struct checker *C, struct ir_step *s)
{
	struct ir_more *m = s->more;
	uint32_t i;

	for (i = 0; i < m->nconsumes; i++) {
		struct ir_consume *c = &m->consumes[i];
		struct ir_step *t;

		if (resolve(C, s, &c->step, "consumes") < 0)
			continue;
		t = c->step.step;
		if (t->type == IR_GROUP || t->eval == IR_EVAL_DYNAMIC) {
			diag_report(C->diags, E_IR_CONSUMES_KIND,
			    ir_pos(C->doc, c->step.pos), s->key, c->output,
			    t->key, t->type == IR_GROUP ? "a group" :
			    "a dynamic step");
			c->step.step = NULL;
			fail(C);
		}
	}
}

/* Resolve what step s refers to. */
static void
resolve_step(struct checker *C, struct ir_step *s)
{
	size_t d;

	if (!step_key(s))
		return;
	if (s->builds_in_kind == IR_BUILDS_IN_KEY)
		resolve(C, s, &s->builds_in, "builds_in");
	for (d = 0; d < s->ndepends_on; d++)
		resolve(C, s, &s->depends_on[d], "depends_on");
	if (s->more && s->more->nconsumes)
		resolve_consumes(C, s);
}

/*
 * Whether a consumed output's producer runs before its consumer: the
 * steps that have finished when a step starts are found backwards from
 * it. A step starts after its builds_in and depends_on, after every step
 * before a wait that stands before it in its list, and after what each
 * group holding it waits for in the same way; a finished group has
 * finished every member. Walked with marks, once per consumer.
 */
struct before {
	struct ir_doc *doc;
	uint32_t *done, *up;	/* epoch marks, by step id */
	uint32_t epoch;
	uint32_t *stack;
	size_t n;
};

static void
before_push(struct before *B, const struct ir_step *s)
{
	if (!s || B->done[s->id] == B->epoch)
		return;
	B->done[s->id] = B->epoch;
	B->stack[B->n++] = s->id;
}

/* What s and every group holding it waited for before s started. */
static void
before_up(struct before *B, const struct ir_step *s)
{
	for (; s && B->up[s->id] != B->epoch; s = s->parent) {
		struct ir_step *const *list = s->parent ? s->parent->steps :
		    B->doc->steps;
		uint32_t i, w = 0, d;

		B->up[s->id] = B->epoch;
		if (s->type != IR_WAIT) {
			if (s->builds_in_kind == IR_BUILDS_IN_KEY)
				before_push(B, s->builds_in.step);
			for (d = 0; d < s->ndepends_on; d++)
				before_push(B, s->depends_on[d].step);
		}
		for (i = 0; i < s->index; i++)
			if (list[i]->type == IR_WAIT)
				w = i;
		for (i = 0; i < w; i++)
			if (list[i]->type != IR_WAIT)
				before_push(B, list[i]);
	}
}

static bool
runs_before(struct before *B, const struct ir_step *p,
    const struct ir_step *c)
{
	B->epoch++;
	B->n = 0;
	before_up(B, c);
	while (B->n) {
		const struct ir_step *s = B->doc->all[B->stack[--B->n]];
		uint32_t i;

		if (s == p)
			return true;
		before_up(B, s);
		for (i = 0; s->type == IR_GROUP && i < s->nsteps; i++)
			if (s->steps[i]->type != IR_WAIT)
				before_push(B, s->steps[i]);
	}
	return false;
}

static void
check_consumes(struct checker *C)
{
	struct before B = { C->doc, NULL, NULL, 0, NULL, 0 };
	uint32_t i, k, n = C->doc->nall;

	for (i = 0; i < n; i++) {
		struct ir_step *s = C->doc->all[i];
		const struct ir_more *m = ir_more(s);

		if (s->type != IR_COMMAND || !m->nconsumes)
			continue;
		if (!B.done) {
			B.done = arena_calloc(C->doc->arena, n, sizeof(*B.done));
			B.up = arena_calloc(C->doc->arena, n, sizeof(*B.up));
			B.stack = arena_calloc(C->doc->arena, n, sizeof(*B.stack));
			if (!B.done || !B.up || !B.stack) {
				diag_report(C->diags, E_NOMEM,
				    ir_pos(C->doc, s->pos));
				fail(C);
				return;
			}
		}
		for (k = 0; k < m->nconsumes; k++) {
			const struct ir_consume *c = &m->consumes[k];

			if (!c->step.step || runs_before(&B, c->step.step, s))
				continue;
			diag_report(C->diags, E_IR_CONSUMES_ORDER,
			    ir_pos(C->doc, c->step.pos), s->key, c->output,
			    c->step.key);
			fail(C);
		}
	}
}

static bool
has_command(const struct ir_step *g)
{
	size_t i;

	for (i = 0; i < g->nsteps; i++) {
		if (g->steps[i]->type == IR_COMMAND)
			return true;
		if (g->steps[i]->type == IR_GROUP && has_command(g->steps[i]))
			return true;
	}
	return false;
}

/* The leaves of g quoted for a message (the first four); returns how many. */
static size_t
leaf_names(struct checker *C, const struct ir_step *g, char **out)
{
	size_t i, n = 0;
	char *s = "";

	for (i = 0; i < g->nsteps; i++) {
		struct ir_step *m = g->steps[i];

		if (m->type == IR_WAIT || m->followed)
			continue;
		if (n < 4)
			s = arena_printf(C->doc->arena, "%s%s'%s'", s,
			    n ? ", " : "", m->key);
		else if (n == 4)
			s = arena_printf(C->doc->arena, "%s, ...", s);
		if (!s)
			s = "";
		n++;
	}
	*out = s;
	return n;
}

/* A group's members and continue_in; a placeholder's continue_in. */
static void
check_group(struct checker *C, struct ir_step *s)
{
	/* continue_in is declared in more: writable when it is */
	struct ir_more *m = s->more;

	if (s->type == IR_GROUP) {
		if (!has_command(s)) {
			diag_report(C->diags, E_IR_GROUP_EMPTY,
			    ir_pos(C->doc, s->pos), s->key);
			fail(C);
		}
		if (m && m->cont == IR_CONT_IN) {
			struct ir_step *k = ir_find(C->doc,
			    m->continue_in.key);

			if (!k || k->parent != s) {
				diag_report(C->diags,
				    E_IR_CONTINUE_IN_MEMBER,
				    ir_pos(C->doc, m->continue_in.pos),
				    s->key,
				    m->continue_in.key);
				fail(C);
			}
			m->continue_in.step = k && k->parent == s ?
			    k : NULL;
		}
	}
	if (s->type == IR_COMMAND && s->eval == IR_EVAL_DYNAMIC &&
	    m && m->cont == IR_CONT_IN && s->key &&
	    !ir_key_under(m->continue_in.key, s->key,
	    strlen(s->key))) {
		diag_report(C->diags, E_IR_PLACEHOLDER_CONTINUE_IN,
		    ir_pos(C->doc, m->continue_in.pos), s->key,
		    m->continue_in.key,
		    s->key);
		fail(C);
	}
}

static void
check_groups(struct checker *C)
{
	uint32_t i;

	for (i = 0; i < C->doc->nall; i++)
		check_group(C, C->doc->all[i]);
	if (C->doc->cont == IR_CONT_IN) {
		struct ir_step *k = ir_find(C->doc, C->doc->continue_in.key);

		if (!k || k->parent) {
			diag_report(C->diags, E_IR_DOC_CONTINUE_IN,
			    ir_pos(C->doc, C->doc->continue_in.pos),
			    C->doc->continue_in.key);
			fail(C);
		}
		C->doc->continue_in.step = k && !k->parent ? k : NULL;
	}
}

/*
 * What continuing from group g (whose continuation c is not one state)
 * is wrong with, reported at s's builds_in: several leaves and nothing
 * declared, or a continue_in member that continues 'each'.
 */
static void
report_cont(struct checker *C, const struct ir_step *s,
    const struct ir_step *b, struct ir_cont_at c)
{
	struct srcpos at = ir_pos(C->doc, s->builds_in.pos);
	struct srcpos gp = ir_pos(C->doc, c.step->pos);
	char *names;
	size_t n;

	if (c.kind == IR_CK_IN_EACH) {
		diag_report(C->diags, E_IR_CONTINUE_IN_EACH, at, s->key, b->key,
		    c.step->key, ir_more(c.step)->continue_in.key, gp.line,
		    gp.col);
	} else if (c.step == b) {
		n = leaf_names(C, b, &names);
		diag_report(C->diags, E_IR_AMBIGUOUS, at, s->key, b->key, n,
		    names, gp.line, gp.col);
	} else {
		n = leaf_names(C, c.step, &names);
		diag_report(C->diags, E_IR_AMBIGUOUS_NESTED, at, s->key,
		    b->key, c.step->key, n, names, gp.line, gp.col);
	}
	fail(C);
}

/*
 * What builds in a step must know in which state it continues
 * (ir_cont.h): one state, or one per leaf of an 'each' group, each leaf
 * with one state of its own. leaves is scratch room for the leaves of
 * 'each' groups (*cap of them), grown as needed. -1 if memory ran out.
 */
static int
check_continuation(struct checker *C, struct ir_step *s,
    struct ir_step ***leaves, size_t *cap)
{
	struct ir_step *b;
	struct ir_cont_at c;
	size_t k, nl;

	if (s->type == IR_WAIT || s->builds_in_kind != IR_BUILDS_IN_KEY)
		return 0;
	b = s->builds_in.step;
	if (!b)
		return 0;
	c = ir_continuation(b);
	switch (c.kind) {
	case IR_CK_AMBIGUOUS:
	case IR_CK_IN_EACH:
		report_cont(C, s, b, c);
		break;
	case IR_CK_EACH:
		if (s->type != IR_COMMAND || s->eval == IR_EVAL_DYNAMIC) {
			diag_report(C->diags, E_IR_EACH_TARGET,
			    ir_pos(C->doc, s->builds_in.pos),
			    s->type == IR_GROUP ?
			    "group" : "dynamic step", s->key, b->key);
			fail(C);
		}
		if (c.step->type != IR_GROUP)
			break;
		/* every leaf a replica continues in has one state */
		nl = ir_each_leaves(c.step, NULL);
		if (nl > *cap) {
			*cap = nl;
			*leaves = arena_calloc(C->doc->arena, *cap,
			    sizeof(**leaves));
			if (!*leaves) {
				diag_report(C->diags, E_NOMEM,
				    ir_pos(C->doc, s->pos));
				fail(C);
				return -1;
			}
		}
		ir_each_leaves(c.step, *leaves);
		for (k = 0; k < nl; k++) {
			struct ir_cont_at lc = ir_continuation((*leaves)[k]);

			if (lc.kind == IR_CK_AMBIGUOUS ||
			    lc.kind == IR_CK_IN_EACH) {
				report_cont(C, s, b, lc);
				break;
			}
		}
		break;
	case IR_CK_STATE:
		if (c.step->type == IR_COMMAND &&
		    c.step->eval == IR_EVAL_DYNAMIC &&
		    ir_more(c.step)->cont == IR_CONT_NONE &&
		    (C->flags & IR_CHECK_LINT)) {
			struct srcpos bp = ir_pos(C->doc, c.step->pos);

			diag_report(C->diags, W_IR_DYNAMIC_NO_CONTINUE,
			    ir_pos(C->doc, s->builds_in.pos), s->key,
			    c.step->key, bp.line, bp.col);
		}
		break;
	default:
		break;
	}
	return 0;
}

static void
check_continuations(struct checker *C)
{
	struct ir_step **leaves = NULL;
	size_t cap = 0;
	uint32_t i;

	for (i = 0; i < C->doc->nall; i++)
		if (check_continuation(C, C->doc->all[i], &leaves, &cap) < 0)
			return;
}

static void
lint_waits(struct checker *C, struct ir_step **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i]->type == IR_GROUP)
			lint_waits(C, v[i]->steps, v[i]->nsteps);
		if (v[i]->type != IR_WAIT)
			continue;
		if (i == 0)
			diag_report(C->diags, W_IR_WAIT_LEADING,
			    ir_pos(C->doc, v[i]->pos));
		else if (i == n - 1)
			diag_report(C->diags, W_IR_WAIT_TRAILING,
			    ir_pos(C->doc, v[i]->pos));
	}
}

int
ir_check(struct ir_doc *doc, unsigned flags, struct diag_list *diags)
{
	struct checker C = { doc, diags, flags, 0, false };
	uint32_t n, next = 0, i;
	bool each = false;

	n = count_steps(doc->steps, doc->nsteps);
	doc->all = arena_calloc(doc->arena, (size_t)n + 1, sizeof(*doc->all));
	ir_index_free(doc->index);
	doc->index = ir_index_new(n);
	if (!doc->all || !doc->index) {
		diag_report(diags, E_NOMEM, (struct srcpos){ doc->file, 0, 0 });
		return -1;
	}
	doc->nall = n;
	doc->capall = n + 1;
	number_steps(&C, doc->steps, doc->nsteps, NULL, &next);
	index_keys(&C, 0, n);
	for (i = 0; i < n; i++)
		resolve_step(&C, doc->all[i]);
	ir_mark_followed(doc->steps, doc->nsteps);
	for (i = 0; i < n; i++)
		each |= doc->all[i]->type == IR_GROUP &&
		    ir_more(doc->all[i])->cont == IR_CONT_EACH;
	check_groups(&C);
	check_continuations(&C);
	check_consumes(&C);
	/* the options of a runner the document names (hm-exec checks a
	   run's default runner itself) */
	if (ir_runner_check(doc, NULL, diags) < 0)
		C.errors++;
	if (flags & IR_CHECK_LINT)
		lint_waits(&C, doc->steps, doc->nsteps);
	if (C.errors)
		return -1;
	/*
	 * Cycles, through every edge kind, so only on a resolved graph.
	 * When every step refers only to steps before it (and never to a
	 * group holding it, an error above), every edge of the run graph
	 * goes forward in document order (waits, groups' ENTER and EXIT
	 * included) and there can be none: most documents are written
	 * that way and need no search. 'each' replication has checks of its
	 * own.
	 */
	if ((C.forward || each) && graph_check(doc, C.forward, diags) < 0)
		C.errors++;
	return C.errors ? -1 : 0;
}

/* Room in doc->all for n steps, doubled as it grows (the arena keeps
 * the old array). */
static int
all_reserve(struct ir_doc *doc, uint32_t n)
{
	struct ir_step **v;
	uint32_t cap;

	if (n < doc->capall)
		return 0;
	cap = doc->capall > n / 2 ? 2 * doc->capall : n + 1;
	if (!(v = arena_calloc(doc->arena, cap, sizeof(*v))))
		return -1;
	memcpy(v, doc->all, (size_t)doc->nall * sizeof(*v));
	doc->all = v;
	doc->capall = cap;
	return 0;
}

/* t is a new step (from base on) before s. */
static bool
new_before(const struct ir_step *t, const struct ir_step *s, uint32_t base)
{
	return t && t->id >= base && t->id < s->id;
}

/*
 * Whether the new steps (base on) are such that nothing outside them
 * needs a second look: each refers only to new steps before it (no
 * cycle, no step of the document gains a successor), consumes nothing
 * (the order of producers is a walk of the document) and declares no
 * 'each' (replication is a property of the whole graph).
 */
static bool
splice_closed(const struct ir_doc *doc, uint32_t base)
{
	uint32_t i, d;

	for (i = base; i < doc->nall; i++) {
		const struct ir_step *s = doc->all[i];

		if (!step_key(s))
			continue;
		if (ir_more(s)->has_consumes || ir_more(s)->cont == IR_CONT_EACH)
			return false;
		if (s->builds_in_kind == IR_BUILDS_IN_KEY &&
		    !new_before(s->builds_in.step, s, base))
			return false;
		for (d = 0; d < s->ndepends_on; d++)
			if (!new_before(s->depends_on[d].step, s, base))
				return false;
	}
	return true;
}

int
ir_check_splice(struct ir_doc *doc, const struct ir_splice *sp)
{
	struct diag_list scratch = DIAG_LIST_INIT;
	struct checker C = { doc, &scratch, 0, 0, false };
	struct ir_step *g = sp->group, **leaves = NULL;
	uint32_t base = doc->nall, next = base, i;
	struct ir_cont_at c;
	size_t cap = 0;
	int ret = 1;

	if (!doc->index || !doc->all || g->id >= doc->nall ||
	    doc->all[g->id] != g || all_reserve(doc, base +
	    count_steps(g->steps, g->nsteps)) < 0)
		return 1;
	/* number and index the new steps after the others */
	number_steps(&C, g->steps, g->nsteps, g, &next);
	doc->nall = next;
	index_keys(&C, base, next);
	resolve_step(&C, g);	/* the placeholder's references, again */
	for (i = base; i < next; i++)
		resolve_step(&C, doc->all[i]);
	if (C.errors || !splice_closed(doc, base) ||
	    ir_more(g)->cont == IR_CONT_EACH)
		goto out;
	ir_mark_followed(g->steps, g->nsteps);
	check_group(&C, g);
	for (i = base; i < next && !C.errors; i++) {
		check_group(&C, doc->all[i]);
		check_continuation(&C, doc->all[i], &leaves, &cap);
	}
	/* what builds in the group continues in one state, as it did in
	   the placeholder's: nothing that builds in it needs a look */
	c = ir_continuation(g);
	if (C.errors || (c.kind != IR_CK_STATE && c.kind != IR_CK_START) ||
	    ir_runner_check_steps(g->steps, g->nsteps, NULL, &scratch) < 0)
		goto out;
	ret = 0;
out:
	diag_list_release(&scratch);
	return ret;
}
