/* hm: the IR as a Graphviz DOT graph. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ir.h"
#include "ir_dot.h"

/*
 * Nodes are named by step key; waits, which have none, by their place
 * ("#3", "group#1"). A group is a cluster holding a small node of its own
 * that edges to and from the group attach to.
 */

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

static void
dot_steps(FILE *out, struct ir_step *const *v, size_t n, int depth)
{
	size_t i;
	char buf[1024];

	for (i = 0; i < n; i++) {
		const struct ir_step *s = v[i];
		const struct ir_more *m = ir_more(s);

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
			if (s->eval == IR_EVAL_DYNAMIC) {
				snprintf(buf, sizeof(buf),
				    "%s\ndynamic: %s%s%s", s->label ?
				    s->label : s->key, m->target_name,
				    m->cont == IR_CONT_NONE ? "" :
				    "\ncontinue: ", m->cont == IR_CONT_IN ?
				    m->continue_in.key : m->cont ==
				    IR_CONT_NONE ? "" : ir_cont_name(m->cont));
				fputs(" [style=dashed, label=", out);
			} else {
				snprintf(buf, sizeof(buf), "%s", s->label ?
				    s->label : s->key);
				fputs(" [label=", out);
			}
			dot_str(out, buf);
			fputs("];\n", out);
			break;
		case IR_GROUP:
			fputs("subgraph ", out);
			snprintf(buf, sizeof(buf), "cluster_%s", s->key);
			dot_str(out, buf);
			fputs(" {\n", out);
			indent(out, depth + 1);
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
			indent(out, depth + 1);
			dot_str(out, s->key);
			fputs(" [shape=point];\n", out);
			dot_steps(out, s->steps, s->nsteps, depth + 1);
			indent(out, depth);
			fputs("}\n", out);
			break;
		}
	}
}

/*
 * An edge to or from a group is clipped at its cluster's border (lhead,
 * ltail), so it reads as "the whole group", not as its anchor point.
 */
static void
edge(FILE *out, const struct ir_step *from, const struct ir_step *to,
    const char *style)
{
	char buf[IR_KEY_MAX + 16];
	int attrs = 0;

	fputs("  ", out);
	node_name(out, from);
	fputs(" -> ", out);
	node_name(out, to);
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

static void
dot_edges(FILE *out, struct ir_step *const *v, size_t n)
{
	size_t i, j, d;

	for (i = 0; i < n; i++) {
		const struct ir_step *s = v[i];

		if (s->type == IR_WAIT) {
			/* the barrier: what stands before it, and after it */
			for (j = i; j-- > 0 && v[j]->type != IR_WAIT;)
				edge(out, v[j], s, "dotted");
			for (j = i + 1; j < n && v[j]->type != IR_WAIT; j++)
				edge(out, s, v[j], "dotted");
			continue;
		}
		if (s->builds_in_kind == IR_BUILDS_IN_KEY && s->builds_in.step)
			edge(out, s->builds_in.step, s, NULL);
		for (d = 0; d < s->ndepends_on; d++)
			if (s->depends_on[d].step)
				edge(out, s->depends_on[d].step, s, "dashed");
		if (s->type == IR_GROUP)
			dot_edges(out, s->steps, s->nsteps);
	}
}

int
ir_dot(const struct ir_doc *doc, FILE *out)
{
	fputs("digraph hm {\n  rankdir=LR;\n  compound=true;\n"
	    "  node [shape=box, fontname=\"Helvetica\"];\n", out);
	dot_steps(out, doc->steps, doc->nsteps, 1);
	dot_edges(out, doc->steps, doc->nsteps);
	fputs("}\n", out);
	if (fflush(out) != 0 || ferror(out)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}
