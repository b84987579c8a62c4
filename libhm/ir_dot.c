/* hm: the IR as a Graphviz DOT graph. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "ir_dot.h"

/*
 * Nodes are named by step key; waits, which have none, by their place
 * ("#3", "group#1"). A group is a cluster; an edge to a group ends at
 * its first member, one from a group starts at a leaf, both clipped at
 * the cluster's border (lhead, ltail), so that it reads as "the whole
 * group". Only an empty group has a node of its own, an invisible one.
 */

struct dot {
	FILE *out;
	const struct ir_dot_status *st;
};

/* Fill colours by status: light enough for black text. */
static const char *
status_colour(const struct dot *D, const char *key)
{
	static const struct {
		const char *status, *colour;
	} c[] = {
		{ "passed", "#b8e6b0" }, { "soft_failed", "#f3e08c" },
		{ "failed", "#f4a8a0" }, { "timed_out", "#f7bd7f" },
		{ "skipped", "#e4e4e4" }, { "canceled", "#d0d0d0" },
		{ "running", "#a9cdf2" },
	};
	const char *st;
	size_t i;

	if (!D->st || !D->st->lookup || !key ||
	    !(st = D->st->lookup(D->st->ctx, key)))
		return NULL;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		if (strcmp(st, c[i].status) == 0)
			return c[i].colour;
	return NULL;
}

static void
dot_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else if ((unsigned char)*s >= 0x20)
			fputc(*s, out);
	}
	fputc('"', out);
}

static void
wait_name(FILE *out, const struct ir_step *s)
{
	char buf[IR_WAIT_NAME_MAX];

	ir_wait_name(s, buf, sizeof(buf));
	dot_str(out, buf);
}

/* The node an edge into s ends at: s, or a group's first member. */
static const struct ir_step *
head_node(const struct ir_step *s)
{
	while (s->type == IR_GROUP && s->nsteps > 0)
		s = s->steps[0];
	return s;
}

/* The node an edge out of s starts at: s, or a group's last leaf. */
static const struct ir_step *
tail_node(const struct ir_step *s)
{
	size_t i;

	while (s->type == IR_GROUP && s->nsteps > 0) {
		const struct ir_step *pick = s->steps[s->nsteps - 1];

		for (i = s->nsteps; i-- > 0;)
			if (s->steps[i]->type != IR_WAIT &&
			    !s->steps[i]->followed) {
				pick = s->steps[i];
				break;
			}
		s = pick;
	}
	return s;
}

static void
node_name(FILE *out, const struct ir_step *s)
{
	if (s->type == IR_WAIT)
		wait_name(out, s);
	else
		dot_str(out, s->key);
}

static void
indent(FILE *out, int depth)
{
	while (depth-- > 0)
		fputs("  ", out);
}

/* The attributes a status gives: " style=..., fillcolor=..." or "". */
static void
fill(const struct dot *D, const char *key, bool dashed)
{
	const char *c = status_colour(D, key);

	if (c)
		fprintf(D->out, "style=\"%sfilled\", fillcolor=\"%s\", ",
		    dashed ? "dashed," : "", c);
	else if (dashed)
		fputs("style=dashed, ", D->out);
}

static void
dot_steps(const struct dot *D, struct ir_step *const *v, size_t n,
    int depth)
{
	FILE *out = D->out;
	size_t i;
	char buf[1024];

	for (i = 0; i < n; i++) {
		const struct ir_step *s = v[i];
		const struct ir_more *m = ir_more(s);
		const char *c;

		indent(out, depth);
		switch (s->type) {
		case IR_WAIT:
			wait_name(out, s);
			fprintf(out, " [shape=octagon, style=filled, "
			    "fillcolor=lightgrey, label=%s];\n",
			    s->continue_on_failure ?
			    "\"wait\\ncontinue_on_failure\"" : "\"wait\"");
			break;
		case IR_COMMAND:
			dot_str(out, s->key);
			fputs(" [", out);
			fill(D, s->key, s->eval == IR_EVAL_DYNAMIC);
			if (s->eval == IR_EVAL_DYNAMIC)
				snprintf(buf, sizeof(buf),
				    "%s\ndynamic: %s%s%s", s->label ?
				    s->label : s->key, m->target_name,
				    m->cont == IR_CONT_NONE ? "" :
				    "\ncontinue: ", m->cont == IR_CONT_IN ?
				    m->continue_in.key : m->cont ==
				    IR_CONT_NONE ? "" : ir_cont_name(m->cont));
			else
				snprintf(buf, sizeof(buf), "%s", s->label ?
				    s->label : s->key);
			fputs("label=", out);
			dot_str(out, buf);
			fputs("];\n", out);
			break;
		case IR_GROUP:
			fputs("subgraph ", out);
			snprintf(buf, sizeof(buf), "cluster_%s", s->key);
			dot_str(out, buf);
			fputs(" {\n", out);
			indent(out, depth + 1);
			if ((c = status_colour(D, s->key)))
				fprintf(out, "style=\"rounded,filled\"; "
				    "fillcolor=\"%s\"; label=", c);
			else
				fputs("style=rounded; label=", out);
			snprintf(buf, sizeof(buf), "%s%s%s%s%s",
			    s->label ? s->label : s->key,
			    m->target_name ? "\nbaked from " : "",
			    m->target_name ? m->target_name : "",
			    m->cont == IR_CONT_NONE ? "" : "\ncontinue: ",
			    m->cont == IR_CONT_IN ? m->continue_in.key :
			    m->cont == IR_CONT_NONE ? "" :
			    ir_cont_name(m->cont));
			dot_str(out, buf);
			fputs(";\n", out);
			if (s->nsteps == 0) {
				/* something for edges to end at */
				indent(out, depth + 1);
				dot_str(out, s->key);
				fputs(" [style=invis, shape=point, width=0];\n",
				    out);
			}
			dot_steps(D, s->steps, s->nsteps, depth + 1);
			indent(out, depth);
			fputs("}\n", out);
			break;
		}
	}
}

static void
edge(FILE *out, const struct ir_step *from, const struct ir_step *to,
    const char *style)
{
	char buf[IR_KEY_MAX + 16];
	int attrs = 0;

	fputs("  ", out);
	node_name(out, tail_node(from));
	fputs(" -> ", out);
	node_name(out, head_node(to));
	if (style) {
		fprintf(out, " [style=%s", style);
		attrs = 1;
	}
	if (from->type == IR_GROUP) {
		snprintf(buf, sizeof(buf), "cluster_%s", from->key);
		fputs(attrs ? ", ltail=" : " [ltail=", out);
		dot_str(out, buf);
		attrs = 1;
	}
	if (to->type == IR_GROUP) {
		snprintf(buf, sizeof(buf), "cluster_%s", to->key);
		fputs(attrs ? ", lhead=" : " [lhead=", out);
		dot_str(out, buf);
		attrs = 1;
	}
	fputs(attrs ? "];\n" : ";\n", out);
}

/* The step of list owner's members that holds r (r itself, or a group
 * r is in), or NULL if r is not under owner (NULL: the top level). */
static const struct ir_step *
member_holding(const struct ir_step *r, const struct ir_step *owner)
{
	while (r && r->parent != owner)
		r = r->parent;
	return r;
}

/*
 * Mark (in followed, by index in v) each member of v[a..b) that another
 * member of v[a..b), or a step inside one, builds in or depends on.
 */
static void
mark_followed(const struct ir_step *y, struct ir_step *const *v, size_t a,
    size_t b, const struct ir_step *owner, bool *followed)
{
	const struct ir_step *x;
	size_t d, i;

	if (y->builds_in_kind == IR_BUILDS_IN_KEY && (x = y->builds_in.step) &&
	    member_holding(x, owner) == x && x->index >= a && x->index < b &&
	    v[x->index] == x)
		followed[x->index] = true;
	for (d = 0; d < y->ndepends_on; d++)
		if ((x = y->depends_on[d].step) && member_holding(x, owner) == x &&
		    x->index >= a && x->index < b && v[x->index] == x)
			followed[x->index] = true;
	if (y->type == IR_GROUP)
		for (i = 0; i < y->nsteps; i++)
			mark_followed(y->steps[i], v, a, b, owner, followed);
}

/* Whether y builds in or depends on a member of v[a..b) (itself only). */
static bool
follows_range(const struct ir_step *y, size_t a, size_t b,
    const struct ir_step *owner)
{
	const struct ir_step *x;
	size_t d;

	if (y->builds_in_kind == IR_BUILDS_IN_KEY && y->builds_in.step &&
	    (x = member_holding(y->builds_in.step, owner)) &&
	    x->index >= a && x->index < b)
		return true;
	for (d = 0; d < y->ndepends_on; d++)
		if (y->depends_on[d].step &&
		    (x = member_holding(y->depends_on[d].step, owner)) &&
		    x->index >= a && x->index < b)
			return true;
	return false;
}

/*
 * A wait follows the members since the previous wait that nothing else
 * there follows, and goes before the members up to the next wait that
 * follow nothing else there: the other edges of the graph say the rest.
 */
static int
wait_edges(FILE *out, struct ir_step *const *v, size_t n, size_t i,
    bool *followed)
{
	const struct ir_step *owner = v[i]->parent;
	size_t a = i, b = i + 1, j;

	while (a > 0 && v[a - 1]->type != IR_WAIT)
		a--;
	while (b < n && v[b]->type != IR_WAIT)
		b++;
	for (j = a; j < i; j++)
		followed[j] = false;
	for (j = a; j < i; j++)
		mark_followed(v[j], v, a, i, owner, followed);
	for (j = a; j < i; j++)
		if (!followed[j])
			edge(out, v[j], v[i], "dotted");
	for (j = i + 1; j < b; j++)
		if (!follows_range(v[j], i + 1, b, owner))
			edge(out, v[i], v[j], "dotted");
	return 0;
}

static int
dot_edges(FILE *out, struct ir_step *const *v, size_t n)
{
	size_t i, d;
	bool *followed = NULL;

	for (i = 0; i < n; i++) {
		const struct ir_step *s = v[i];

		if (s->type == IR_WAIT) {
			if (!followed && !(followed = calloc(n, 1)))
				return -1;
			wait_edges(out, v, n, i, followed);
			continue;
		}
		if (s->builds_in_kind == IR_BUILDS_IN_KEY && s->builds_in.step)
			edge(out, s->builds_in.step, s, NULL);
		for (d = 0; d < s->ndepends_on; d++)
			if (s->depends_on[d].step)
				edge(out, s->depends_on[d].step, s, "dashed");
		if (s->type == IR_GROUP &&
		    dot_edges(out, s->steps, s->nsteps) < 0) {
			free(followed);
			return -1;
		}
	}
	free(followed);
	return 0;
}

int
ir_dot(const struct ir_doc *doc, const struct ir_dot_status *st, FILE *out)
{
	struct dot D = { out, st };

	/* one font for graph, cluster, node and edge labels */
	fputs("digraph hm {\n  rankdir=LR;\n  compound=true;\n"
	    "  graph [fontname=\"Helvetica\"];\n"
	    "  node [shape=box, fontname=\"Helvetica\"];\n"
	    "  edge [fontname=\"Helvetica\"];\n", out);
	dot_steps(&D, doc->steps, doc->nsteps, 1);
	if (dot_edges(out, doc->steps, doc->nsteps) < 0) {
		errno = ENOMEM;
		return -1;
	}
	fputs("}\n", out);
	if (fflush(out) != 0 || ferror(out)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
