/* hm: harmont's other shapes: the v0 graph form and the envelope. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ir.h"
#include "ir_load_priv.h"
#include "json.h"

static const struct fieldset envelope_fields = { "envelope", {
	"schema_version", "pipelines" }, false };
static const struct fieldset pipeline_fields = { "pipeline", {
	"slug", "name", "allow_manual", "triggers", "definition" }, false };
static const struct fieldset graph_fields = { "graph", {
	"nodes", "node_holes", "edge_property", "edges" }, false };
static const struct fieldset node_fields = { "graph node", {
	"step", "env" }, false };

static int
cmp_size(const void *x, const void *y)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	return a < b ? -1 : a > b;
}

/*
 * node_holes: a stable graph's node index counts the holes left by
 * removed nodes, and nodes[] holds the live ones in index order. Read
 * into *holes, sorted, so that the nodes can step over them in one pass.
 */
static int
graph_holes(struct loader *L, uint32_t arr, size_t **holes, size_t *nholes)
{
	uint32_t h;
	long long idx;

	*nholes = 0;
	*holes = NULL;
	if (!arr)
		return 0;
	if (json_type(L->j, arr) != JSON_ARRAY)
		return ld_type_error(L, arr, "node_holes",
		    "an array of integers");
	*holes = arena_calloc(L->doc->arena, json_count(L->j, arr) + 1,
	    sizeof(**holes));
	if (!*holes)
		return -1;
	for (h = json_first(L->j, arr); h; h = json_next_elem(L->j, arr, h)) {
		if (ld_get_int(L, h, "node_holes", 0, INT_MAX, &idx) < 0)
			return -1;
		(*holes)[(*nholes)++] = (size_t)idx;
	}
	qsort(*holes, *nholes, sizeof(**holes), cmp_size);
	return 0;
}

/*
 * One element of nodes[]: its step in *out (the node's env under the
 * step's own), appended to the document. Returns 0; -1 after reporting
 * (*out is still set if only the env was wrong); -2 if memory ran out.
 */
static int
graph_node(struct loader *L, uint32_t e, struct ir_step **out)
{
	uint32_t nv[MAXFIELDS];
	struct ir_step *s;
	int ret = 0;

	*out = NULL;
	if (json_type(L->j, e) != JSON_OBJECT)
		return ld_type_error(L, e, "graph node", "an object");
	if (ld_fields(L, e, &node_fields, nv) < 0 || !nv[0]) {
		if (!nv[0]) {
			diag_report(L->diags, E_IR_MISSING, ld_pos(L, e),
			    "graph node", "step");
			ld_err(L);
		}
		return -1;
	}
	s = ld_load_step(L, nv[0], 0);
	if (!s)
		return -1;
	if (nv[1] && s->type == IR_COMMAND) {
		/*
		 * The node's env lies under the step's own: read it first,
		 * then the step's again over it (the step loaded without
		 * error, so this reports nothing new).
		 */
		uint32_t own = json_get(L->j, nv[0], "env");

		memset(&s->env, 0, sizeof(s->env));
		if (ld_get_env(L, nv[1], &s->env) < 0 ||
		    (own && ld_get_env(L, own, &s->env) < 0))
			ret = -1;
	}
	if (ir_doc_append(L->doc, s) < 0)
		return -2;
	*out = s;
	return ret;
}

/*
 * nodes[]: each node's step, at its index in bynode (room for nidx),
 * stepping over the indices that are holes. Returns 0, -1 after
 * reporting, -2 if memory ran out.
 */
static int
graph_nodes(struct loader *L, uint32_t arr, const size_t *holes,
    size_t nholes, struct ir_step **bynode, size_t nidx)
{
	size_t i = 0, next_hole = 0;
	uint32_t e;
	int ret = 0, r;

	for (e = json_first(L->j, arr); e; e = json_next_elem(L->j, arr, e)) {
		struct ir_step *s;

		/* holes is sorted: one pass over it for all the nodes */
		for (;;) {
			while (next_hole < nholes && holes[next_hole] < i)
				next_hole++;
			if (next_hole == nholes || holes[next_hole] != i)
				break;
			i++;
		}
		if ((r = graph_node(L, e, &s)) == -2)
			return -2;
		if (r < 0)
			ret = -1;
		if (s && i < nidx)
			bynode[i] = s;
		i++;
	}
	return ret;
}

/* A depends_on edge from sf to st, each key once. */
static int
graph_depends_on(struct loader *L, struct ir_step *st,
    const struct ir_step *sf, uint32_t e)
{
	struct ir_ref *d;
	size_t q;

	for (q = 0; q < st->ndepends_on; q++)
		if (strcmp(st->depends_on[q].key, sf->key) == 0)
			return 0;
	d = arena_calloc(L->doc->arena, st->ndepends_on + 1, sizeof(*d));
	if (!d)
		return -1;
	if (st->ndepends_on)
		memcpy(d, st->depends_on, st->ndepends_on * sizeof(*d));
	d[st->ndepends_on].key = sf->key;
	d[st->ndepends_on].pos = ld_loc(L, e);
	st->depends_on = d;
	st->ndepends_on++;
	st->has_depends_on = true;
	return 0;
}

/*
 * One edge [FROM, TO, KIND] between the nodes in bynode. Returns 0, -1
 * after reporting, or -2 when memory ran out.
 */
static int
graph_edge(struct loader *L, uint32_t e, struct ir_step **bynode, size_t nidx)
{
	uint32_t a, b, k;
	long long from, to;
	const char *kind;
	struct ir_step *sf, *st;

	if (json_type(L->j, e) != JSON_ARRAY || json_count(L->j, e) != 3) {
		diag_report(L->diags, E_IR_GRAPH_EDGE, ld_pos(L, e),
		    "expected [FROM, TO, \"builds_in\" or \"depends_on\"]");
		return ld_err(L);
	}
	a = json_first(L->j, e);
	b = json_next_elem(L->j, e, a);
	k = json_next_elem(L->j, e, b);
	if (ld_get_int(L, a, "edge", 0, INT_MAX, &from) < 0 ||
	    ld_get_int(L, b, "edge", 0, INT_MAX, &to) < 0 ||
	    ld_get_str(L, k, "edge", &kind) < 0)
		return -1;
	if ((size_t)from >= nidx || !bynode[from]) {
		diag_report(L->diags, E_IR_GRAPH_NODE, ld_pos(L, a), from);
		return ld_err(L);
	}
	if ((size_t)to >= nidx || !bynode[to]) {
		diag_report(L->diags, E_IR_GRAPH_NODE, ld_pos(L, b), to);
		return ld_err(L);
	}
	sf = bynode[from];
	st = bynode[to];
	if (sf->type != IR_COMMAND || st->type != IR_COMMAND || !sf->key ||
	    !st->key) {
		diag_report(L->diags, E_IR_GRAPH_EDGE, ld_pos(L, e),
		    "an edge joins two command steps");
		return ld_err(L);
	}
	if (strcmp(kind, "builds_in") == 0) {
		if (st->builds_in_kind == IR_BUILDS_IN_KEY &&
		    strcmp(st->builds_in.key, sf->key) != 0) {
			diag_report(L->diags, E_IR_GRAPH_CONFLICT,
			    ld_pos(L, e), st->key, st->builds_in.key,
			    sf->key);
			return ld_err(L);
		}
		st->builds_in_kind = IR_BUILDS_IN_KEY;
		st->builds_in.key = sf->key;
		st->builds_in.pos = ld_loc(L, e);
		return 0;
	}
	if (strcmp(kind, "depends_on") == 0)
		return graph_depends_on(L, st, sf, e) < 0 ? -2 : 0;
	diag_report(L->diags, E_IR_ENUM, ld_pos(L, k), "edge kind",
	    "'builds_in' or 'depends_on'", kind);
	return ld_err(L);
}

/*
 * The graph form: steps from nodes (around the holes), then builds_in
 * and depends_on from edges.
 */
int
ld_load_graph(struct loader *L, uint32_t gnode)
{
	uint32_t v[MAXFIELDS], e;
	struct ir_step **bynode;
	size_t nholes, nidx, *holes;
	int ret;

	if (json_type(L->j, gnode) != JSON_OBJECT)
		return ld_type_error(L, gnode, "graph", "an object");
	if (ld_fields(L, gnode, &graph_fields, v) < 0)
		return -1;
	if (!v[0]) {
		diag_report(L->diags, E_IR_MISSING, ld_pos(L, gnode), "graph",
		    "nodes");
		return ld_err(L);
	}
	if (json_type(L->j, v[0]) != JSON_ARRAY)
		return ld_type_error(L, v[0], "nodes", "an array");
	if (graph_holes(L, v[1], &holes, &nholes) < 0)
		return -1;
	if (v[2]) {
		const char *prop;

		if (ld_get_str(L, v[2], "edge_property", &prop) < 0)
			return -1;
		if (strcmp(prop, "directed") != 0) {
			diag_report(L->diags, E_IR_ENUM, ld_pos(L, v[2]),
			    "edge_property", "'directed'", prop);
			return ld_err(L);
		}
	}
	nidx = json_count(L->j, v[0]) + nholes;
	bynode = arena_calloc(L->doc->arena, nidx + 1, sizeof(*bynode));
	if (!bynode)
		return -1;
	if ((ret = graph_nodes(L, v[0], holes, nholes, bynode, nidx)) == -2)
		return -1;
	if (!v[3])
		return ret;
	if (json_type(L->j, v[3]) != JSON_ARRAY)
		return ld_type_error(L, v[3], "edges", "an array");
	for (e = json_first(L->j, v[3]); e; e = json_next_elem(L->j, v[3], e)) {
		int r = graph_edge(L, e, bynode, nidx);

		if (r == -2)
			return -1;
		if (r < 0)
			ret = -1;
	}
	return ret;
}

/* Append ", 'slug'" for every pipeline to a message. */
static char *
slug_list(struct loader *L, uint32_t arr)
{
	uint32_t e, s;
	char *out = "";

	for (e = json_first(L->j, arr); e; e = json_next_elem(L->j, arr, e)) {
		if (json_type(L->j, e) != JSON_OBJECT)
			continue;
		s = json_get(L->j, e, "slug");
		if (!s || json_type(L->j, s) != JSON_STRING)
			continue;
		out = arena_printf(L->doc->arena, "%s%s'%s'", out,
		    *out ? ", " : "", json_str(L->j, s, NULL));
		if (!out)
			return "";
	}
	return out;
}

int
ld_load_envelope(struct loader *L, uint32_t root, const char *want)
{
	uint32_t v[MAXFIELDS], pv[MAXFIELDS], e, pick = 0;
	const char *sv, *slug = NULL;
	size_t n;

	L->v0 = true;	/* harmont's own envelope: unknown fields warn */
	L->doc->format = IR_FORMAT_ENVELOPE;
	ld_fields(L, root, &envelope_fields, v);
	if (ld_get_str(L, v[0], "schema_version", &sv) < 0)
		return -1;
	if (strcmp(sv, "1") != 0) {
		char *q = arena_printf(L->doc->arena, "\"%s\"", sv);

		diag_report(L->diags, E_IR_SCHEMA_VERSION, ld_pos(L, v[0]),
		    q ? q : sv);
		return ld_err(L);
	}
	if (!v[1]) {
		diag_report(L->diags, E_IR_MISSING, ld_pos(L, root), "envelope",
		    "pipelines");
		return ld_err(L);
	}
	if (json_type(L->j, v[1]) != JSON_ARRAY)
		return ld_type_error(L, v[1], "pipelines", "an array");
	n = json_count(L->j, v[1]);
	if (n == 0) {
		diag_report(L->diags, E_IR_ENVELOPE_EMPTY, ld_pos(L, v[1]));
		return ld_err(L);
	}
	for (e = json_first(L->j, v[1]); e; e = json_next_elem(L->j, v[1], e)) {
		const char *s;
		uint32_t sn, e2;

		if (json_type(L->j, e) != JSON_OBJECT)
			return ld_type_error(L, e, "pipeline", "an object");
		sn = json_get(L->j, e, "slug");
		if (!sn) {
			diag_report(L->diags, E_IR_MISSING, ld_pos(L, e),
			    "pipeline", "slug");
			return ld_err(L);
		}
		if (ld_get_str(L, sn, "slug", &s) < 0)
			return -1;
		/* a slug picks one pipeline: two with the same are an error
		   whichever is picked (the earlier ones are valid) */
		for (e2 = json_first(L->j, v[1]); e2 != e;
		    e2 = json_next_elem(L->j, v[1], e2)) {
			uint32_t s2 = json_get(L->j, e2, "slug");

			if (strcmp(json_str(L->j, s2, NULL), s) == 0) {
				struct srcpos fp = ld_pos(L, s2);

				diag_report(L->diags, E_IR_ENVELOPE_DUP_SLUG,
				    ld_pos(L, sn), s, fp.line, fp.col);
				return ld_err(L);
			}
		}
		if (want ? strcmp(s, want) == 0 : n == 1) {
			pick = e;
			slug = s;
		}
	}
	if (!pick) {
		if (want)
			diag_report(L->diags, E_IR_ENVELOPE_NO_SLUG,
			    ld_pos(L, v[1]), want, slug_list(L, v[1]));
		else
			diag_report(L->diags, E_IR_ENVELOPE_PICK,
			    ld_pos(L, v[1]), n, slug_list(L, v[1]));
		return ld_err(L);
	}
	ld_fields(L, pick, &pipeline_fields, pv);
	if (!pv[4]) {
		diag_report(L->diags, E_IR_MISSING, ld_pos(L, pick), "pipeline",
		    "definition");
		return ld_err(L);
	}
	L->v0 = false;
	L->doc->has_source = true;
	L->doc->source_pipeline = slug;
	return ld_load_document(L, pv[4]);
}

