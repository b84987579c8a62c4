/* hm: leaves and continuations: the state a step that builds in another continues in. */
#include <stdbool.h>
#include <stddef.h>

#include "ir.h"
#include "ir_cont.h"

/*
 * X refers to Y: at their lowest common group, the member holding Y is
 * followed by the member holding X, so it is not a leaf there.
 */
static void
mark_one(const struct ir_step *x, const struct ir_step *y)
{
	struct ir_step *ya;
	const struct ir_step *xa;

	for (ya = (struct ir_step *)y; ya; ya = ya->parent) {
		for (xa = x; xa; xa = xa->parent)
			if (xa->parent == ya->parent)
				break;
		if (xa && xa->parent == ya->parent) {
			if (xa != ya)
				ya->followed = true;
			return;
		}
	}
}

/* Members before a wait that has a member after it are followed. */
static void
mark_waits(struct ir_step **v, size_t n)
{
	size_t i, last_wait = 0;

	for (i = n; i-- > 0;) {
		if (v[i]->type == IR_WAIT) {
			/* a wait counts only if something stands after it */
			size_t j;

			for (j = i + 1; j < n; j++)
				if (v[j]->type != IR_WAIT)
					break;
			if (j < n) {
				last_wait = i;
				break;
			}
		}
	}
	for (i = 0; i < last_wait && i < n; i++)
		if (v[i]->type != IR_WAIT)
			v[i]->followed = true;
}

static void
clear_followed(struct ir_step **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		v[i]->followed = false;
		if (v[i]->type == IR_GROUP)
			clear_followed(v[i]->steps, v[i]->nsteps);
	}
}

static void
mark_refs(struct ir_step **v, size_t n, bool in_group)
{
	size_t i, d;

	for (i = 0; i < n; i++) {
		struct ir_step *s = v[i];

		if (s->type == IR_WAIT)
			continue;
		if (s->builds_in_kind == IR_BUILDS_IN_KEY && s->builds_in.step)
			mark_one(s, s->builds_in.step);
		for (d = 0; d < s->ndepends_on; d++)
			if (s->depends_on[d].step)
				mark_one(s, s->depends_on[d].step);
		if (s->type == IR_GROUP)
			mark_refs(s->steps, s->nsteps, true);
	}
	if (in_group)
		mark_waits(v, n);
}

void
ir_mark_followed(struct ir_step **v, size_t n)
{
	clear_followed(v, n);
	mark_refs(v, n, v && n && v[0]->parent);
}

size_t
ir_group_leaves(const struct ir_step *group, struct ir_step **out)
{
	size_t i, n = 0;

	for (i = 0; i < group->nsteps; i++) {
		struct ir_step *m = group->steps[i];

		if (m->type != IR_WAIT && !m->followed)
			out[n++] = m;
	}
	return n;
}

/*
 * Recursion goes down the nesting (a member, or the continue_in member),
 * so it is at most IR_MAX_GROUP_DEPTH deep.
 */
struct ir_cont_at
ir_continuation(const struct ir_step *s)
{
	struct ir_cont_at r = { IR_CK_STATE, s };
	const struct ir_step *leaf = NULL, *k;
	size_t i, n = 0;

	if (s->type != IR_GROUP) {
		if (s->type == IR_COMMAND && s->eval == IR_EVAL_DYNAMIC &&
		    ir_more(s)->cont == IR_CONT_EACH)
			r.kind = IR_CK_EACH;
		return r;
	}
	switch (ir_more(s)->cont) {
	case IR_CONT_JOIN:
		r.kind = IR_CK_START;
		return r;
	case IR_CONT_EACH:
		r.kind = IR_CK_EACH;
		return r;
	case IR_CONT_IN:
		k = ir_more(s)->continue_in.step;
		if (!k || k->parent != s) {
			r.kind = IR_CK_UNKNOWN;
			return r;
		}
		r = ir_continuation(k);
		if (r.kind == IR_CK_EACH) {
			r.kind = IR_CK_IN_EACH;
			r.step = s;
		}
		return r;
	case IR_CONT_NONE:
		break;
	}
	for (i = 0; i < s->nsteps; i++) {
		const struct ir_step *m = s->steps[i];

		if (m->type != IR_WAIT && !m->followed) {
			leaf = m;
			n++;
		}
	}
	if (n == 1)
		return ir_continuation(leaf);
	r.kind = n ? IR_CK_AMBIGUOUS : IR_CK_START;
	return r;
}

size_t
ir_each_leaves(const struct ir_step *g, struct ir_step **out)
{
	size_t i, n = 0;

	for (i = 0; i < g->nsteps; i++) {
		struct ir_step *m = g->steps[i];
		struct ir_cont_at c;

		if (m->type == IR_WAIT || m->followed)
			continue;
		c = ir_continuation(m);
		if (m->type == IR_GROUP && c.kind == IR_CK_EACH &&
		    c.step->type == IR_GROUP) {
			n += ir_each_leaves(c.step, out ? out + n : NULL);
			continue;
		}
		if (out)
			out[n] = m;
		n++;
	}
	return n;
}
