/* hm: the run graph: what waits for what, from a checked IR document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "graph.h"
#include "ir.h"
#include "ir_cont.h"
#include "ir_index.h"
#include "mem.h"

/*
 * Nodes are laid out in document order: a wait, a command (or its
 * replicas, consecutive), a group's ENTER, its members, its EXIT. Edges
 * are listed by one walk of the document, made twice: the first counts
 * each node's predecessors and successors, which sizes one pool for each
 * kind, and the second fills them. Building is linear in steps + edges
 * and holds nothing per edge but the pools. A check for cycles needs
 * only the successors and the counts; the predecessors are filled when
 * a cycle is to be printed.
 */
enum {
	FILL_SUCCS = 1 << 0,
	FILL_PREDS = 1 << 1
};

struct builder {
	struct graph *g;
	struct ir_doc *doc;
	struct diag_list *diags;
	size_t errors;
	/* per step id */
	uint32_t *first;	/* command/dynamic/wait node; group ENTER */
	uint32_t *count;	/* nodes of a command: 1, or its replicas */
	uint32_t *exit;		/* group EXIT */
	unsigned char *sdone;	/* a group's start state is known */
	/* graph_splice: the arrays above are by ix(), not by step id */
	const struct ir_step *top;	/* the new group */
	uint32_t base;			/* the id of its first member */
	/* only if the document has an 'each' group (NULL otherwise): */
	struct ir_step **rep_group;	/* the 'each' group a replicated step
					   follows (directly or by chain) */
	struct ir_step ***eleaves;	/* an 'each' group's leaves, memoized */
	uint32_t *neleaves;
	unsigned fill;		/* FILL_*: 0 counts the edges */
	size_t nedges;
};

/*
 * Where a step's entries are in first, count, exit and sdone: by its id,
 * except in graph_splice, where they are for the new group (0) and its
 * members (ids base on) only.
 */
static uint32_t
ix(const struct builder *B, const struct ir_step *s)
{
	if (!B->top)
		return s->id;
	return s == B->top ? 0 : s->id - B->base + 1;
}

/* The 'each' group step id follows, or NULL. */
static struct ir_step *
rep_of(const struct builder *B, uint32_t id)
{
	return B->rep_group ? B->rep_group[id] : NULL;
}

/* The edge from -> to: counted, or written in the pools being filled. */
static void
add_edge(struct builder *B, uint32_t to, uint32_t from, enum gedge_kind k)
{
	struct gnode *t = &B->g->nodes[to], *f = &B->g->nodes[from];

	if (B->fill & FILL_PREDS) {
		t->preds[t->npreds].node = from;
		t->preds[t->npreds].kind = k;
	}
	if (B->fill & FILL_SUCCS)
		f->succs[f->nsuccs] = to;
	t->npreds++;
	f->nsuccs++;
	B->nedges++;
}

static uint32_t
new_node(struct builder *B, enum gnode_kind kind, struct ir_step *s,
    const char *key)
{
	struct gnode *n;

	if (B->g->n == B->g->cap) {
		uint32_t cap = B->g->cap ? 2 * B->g->cap : 64;
		struct gnode *v = realloc(B->g->nodes, cap * sizeof(*v));

		if (!v)
			return GRAPH_NONE;
		B->g->nodes = v;
		B->g->cap = cap;
	}
	n = &B->g->nodes[B->g->n];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->step = s;
	n->key = key;
	n->replica_of = GRAPH_NONE;
	n->state_from = GRAPH_NONE;
	return B->g->n++;
}

/* The node that stands for a finished step (a group's EXIT). */
static uint32_t
done_node(struct builder *B, const struct ir_step *s)
{
	return s->type == IR_GROUP ? B->exit[ix(B, s)] : B->first[ix(B, s)];
}

/* Edges from every node of step s (all replicas) to node 'to'. */
static void
edges_from_step(struct builder *B, uint32_t to, const struct ir_step *s,
    enum gedge_kind k)
{
	uint32_t i, first = done_node(B, s);
	uint32_t n = s->type == IR_GROUP ? 1 : B->count[ix(B, s)];

	for (i = 0; i < n; i++)
		add_edge(B, to, first + i, k);
}

/*
 * The 'each' group a step that builds in b is replicated over (the group
 * declaring it, perhaps nested in b: ir_cont.h), or NULL.
 */
static struct ir_step *
each_group_of(const struct ir_step *b)
{
	struct ir_cont_at c;

	if (!b || b->type != IR_GROUP)
		return NULL;
	c = ir_continuation(b);
	return c.kind == IR_CK_EACH && c.step->type == IR_GROUP ?
	    (struct ir_step *)c.step : NULL;
}

/* The leaves of 'each' group t, or NULL if memory ran out. */
static struct ir_step **
each_leaves(struct builder *B, const struct ir_step *t, uint32_t *n)
{
	if (!B->eleaves[t->id]) {
		size_t c = ir_each_leaves(t, NULL);
		struct ir_step **v = arena_calloc(B->g->arena, c + 1,
		    sizeof(*v));

		if (!v)
			return NULL;
		B->neleaves[t->id] = (uint32_t)ir_each_leaves(t, v);
		B->eleaves[t->id] = v;
	}
	*n = B->neleaves[t->id];
	return B->eleaves[t->id];
}

/*
 * Which steps are replicated: those that build in an 'each' group, and
 * everything that builds in a replicated step, transitively. Chains are
 * walked with an explicit stack, never recursion: they can be 100,000
 * steps long.
 */
static int
find_replicas(struct builder *B)
{
	struct ir_doc *doc = B->doc;
	struct ir_step **stack;
	unsigned char *known;
	uint32_t i, n;

	stack = calloc((size_t)doc->nall + 1, sizeof(*stack));
	known = calloc((size_t)doc->nall + 1, 1);
	if (!stack || !known) {
		free(stack);
		free(known);
		return -1;
	}
	for (i = 0; i < doc->nall; i++) {
		struct ir_step *c = doc->all[i], *b, *val = NULL;

		for (n = 0; c && !known[c->id]; c = b) {
			known[c->id] = 2;	/* on the stack */
			stack[n++] = c;
			b = c->type != IR_WAIT &&
			    c->builds_in_kind == IR_BUILDS_IN_KEY ?
			    c->builds_in.step : NULL;
			if (b && b->type == IR_GROUP) {
				val = each_group_of(b);
				b = NULL;
			}
		}
		/* stopped at a known step: inherit; on a cycle: nothing */
		if (c && known[c->id] == 1)
			val = B->rep_group[c->id];
		while (n > 0) {
			c = stack[--n];
			B->rep_group[c->id] = val;
			known[c->id] = 1;
		}
	}
	free(stack);
	free(known);
	for (i = 0; i < doc->nall; i++) {
		struct ir_step *s = doc->all[i], *t = B->rep_group[i];
		struct ir_step **leaves;
		uint32_t k, nl;

		if (!t)
			continue;
		if (s->type != IR_COMMAND || s->eval == IR_EVAL_DYNAMIC) {
			diag_report(B->diags, E_IR_EACH_TARGET,
			    ir_pos(doc, s->builds_in.pos),
			    s->type == IR_GROUP ? "group" : "dynamic step",
			    s->key, s->builds_in.key);
			B->errors++;
			continue;
		}
		if (each_group_of(s->builds_in.step) != t)
			continue;
		/* the leaves of an 'each' group must not be replicas */
		leaves = each_leaves(B, t, &nl);
		if (!leaves)
			return -1;
		for (k = 0; k < nl; k++) {
			if (B->rep_group[leaves[k]->id]) {
				diag_report(B->diags, E_IR_EACH_NESTED,
				    ir_pos(doc, s->builds_in.pos), s->key,
				    t->key);
				B->errors++;
				break;
			}
		}
	}
	return B->errors ? -1 : 0;
}

static int
make_nodes(struct builder *B, struct ir_step **v, size_t n)
{
	struct arena *a = B->g->arena;
	struct ir_step **leaves;
	uint32_t k, nl;
	size_t i;

	for (i = 0; i < n; i++) {
		struct ir_step *s = v[i];
		uint32_t id = ix(B, s);

		switch (s->type) {
		case IR_WAIT: {
			char buf[IR_WAIT_NAME_MAX];
			const char *key;

			ir_wait_name(s, buf, sizeof(buf));
			key = arena_strdup(a, buf);
			B->first[id] = new_node(B, GN_WAIT, s, key);
			B->count[id] = 1;
			break;
		}
		case IR_COMMAND: {
			enum gnode_kind kind = s->eval == IR_EVAL_DYNAMIC ?
			    GN_DYNAMIC : GN_COMMAND;
			struct ir_step *t = rep_of(B, s->id);

			if (!t) {
				B->first[id] = new_node(B, kind, s, s->key);
				B->count[id] = 1;
				break;
			}
			leaves = each_leaves(B, t, &nl);
			if (!leaves)
				return -1;
			B->first[id] = B->g->n;
			B->count[id] = 0;
			for (k = 0; k < nl; k++) {
				if (new_node(B, kind, s, arena_printf(a,
				    "%s%c%s", s->key, IR_REPLICA_SEP,
				    leaves[k]->key)) == GRAPH_NONE)
					return -1;
				B->count[id]++;
			}
			break;
		}
		case IR_GROUP:
			B->first[id] = new_node(B, GN_ENTER, s, s->key);
			B->count[id] = 1;
			if (make_nodes(B, s->steps, s->nsteps) < 0)
				return -1;
			B->exit[id] = new_node(B, GN_EXIT, s, s->key);
			break;
		}
		if (B->first[id] == GRAPH_NONE)
			return -1;
	}
	return 0;
}

/* Edges into step s's nodes from what it names and where it stands. */
static void
step_edges(struct builder *B, struct ir_step *s, uint32_t wait_before)
{
	uint32_t first = B->first[ix(B, s)], n = B->count[ix(B, s)], r, to;
	struct ir_step *rep = rep_of(B, s->id);
	size_t d;

	for (r = 0; r < n; r++) {
		to = first + r;
		if (s->builds_in_kind == IR_BUILDS_IN_KEY && s->builds_in.step) {
			struct ir_step *b = s->builds_in.step;

			if (rep && b->type == IR_GROUP)
				/* replica r follows leaf r only */
				add_edge(B, to, B->g->nodes[to].replica_of,
				    GE_STATE);
			else if (rep)
				/* a replica of a chain: the same replica */
				add_edge(B, to, done_node(B, b) + r, GE_STATE);
			else
				edges_from_step(B, to, b, GE_STATE);
		}
		for (d = 0; d < s->ndepends_on; d++)
			if (s->depends_on[d].step)
				edges_from_step(B, to, s->depends_on[d].step,
				    GE_ORDER);
		if (s->parent)
			add_edge(B, to, B->first[ix(B, s->parent)], GE_ORDER);
		if (wait_before != GRAPH_NONE)
			add_edge(B, to, wait_before, GE_ORDER);
	}
}

static void member_edges(struct builder *B, const struct ir_step *s);

static void
list_edges(struct builder *B, struct ir_step **v, size_t n)
{
	uint32_t wait_before = GRAPH_NONE;
	size_t i, j;

	for (i = 0; i < n; i++) {
		struct ir_step *s = v[i];

		if (s->type == IR_WAIT) {
			uint32_t w = B->first[ix(B, s)];
			enum gedge_kind k = s->continue_on_failure ? GE_ANY :
			    GE_BARRIER;

			/* everything since the previous wait, and that wait */
			for (j = i; j-- > 0 && v[j]->type != IR_WAIT;)
				edges_from_step(B, w, v[j], k);
			if (wait_before != GRAPH_NONE)
				add_edge(B, w, wait_before, k);
			if (s->parent)
				add_edge(B, w, B->first[ix(B, s->parent)],
				    GE_ORDER);
			wait_before = w;
			continue;
		}
		step_edges(B, s, wait_before);
		if (s->type == IR_GROUP)
			member_edges(B, s);
	}
}

/* The edges of group s's members, and into its EXIT from them. */
static void
member_edges(struct builder *B, const struct ir_step *s)
{
	size_t j;

	list_edges(B, s->steps, s->nsteps);
	for (j = 0; j < s->nsteps; j++)
		if (s->steps[j]->type != IR_WAIT)
			edges_from_step(B, B->exit[ix(B, s)], s->steps[j],
			    GE_ORDER);
}

/*
 * Walk the document's edges once more to fill what fill asks for (the
 * successors, the predecessors, or both) in pools sized by the count.
 */
static int
fill_edges(struct builder *B, unsigned fill)
{
	struct graph *g = B->g;
	struct gedge *pool = NULL;
	uint32_t *spool = NULL, i;

	if ((fill & FILL_PREDS) &&
	    !(pool = arena_calloc(g->arena, B->nedges + 1, sizeof(*pool))))
		return -1;
	if ((fill & FILL_SUCCS) &&
	    !(spool = arena_calloc(g->arena, B->nedges + 1, sizeof(*spool))))
		return -1;
	for (i = 0; i < g->n; i++) {
		if (pool) {
			g->nodes[i].preds = pool;
			pool += g->nodes[i].npreds;
		}
		if (spool) {
			g->nodes[i].succs = spool;
			spool += g->nodes[i].nsuccs;
		}
		g->nodes[i].npreds = 0;
		g->nodes[i].nsuccs = 0;
	}
	B->nedges = 0;
	B->fill = fill;
	list_edges(B, B->doc->steps, B->doc->nsteps);
	return 0;
}

static uint32_t builds_state(struct builder *B, const struct ir_step *s,
    uint32_t r);

/*
 * The state group g's members start in (section 6): what its builds_in
 * gives, else its enclosing group's start state, else a fresh root.
 * Memoized in the ENTER node; a group that builds in a later one asks
 * ahead of document order.
 */
static uint32_t
start_state(struct builder *B, const struct ir_step *g)
{
	struct gnode *enter = &B->g->nodes[B->first[ix(B, g)]];

	if (!B->sdone[ix(B, g)]) {
		B->sdone[ix(B, g)] = 1;
		enter->state_from = g->builds_in_kind == IR_BUILDS_IN_KEY &&
		    g->builds_in.step ? builds_state(B, g, 0) :
		    g->parent ? start_state(B, g->parent) : GRAPH_NONE;
	}
	return enter->state_from;
}

/* The command node a continuation c stands for, or GRAPH_NONE. */
static uint32_t
cont_state(struct builder *B, struct ir_cont_at c)
{
	switch (c.kind) {
	case IR_CK_STATE:
		return done_node(B, c.step);
	case IR_CK_START:
		return start_state(B, c.step);
	case IR_CK_EACH:
		/* a dynamic step declaring each, not yet baked */
		return c.step->type == IR_GROUP ? GRAPH_NONE :
		    done_node(B, c.step);
	default:
		return GRAPH_NONE;
	}
}

/* The node whose state replica r of s continues in. */
static uint32_t
builds_state(struct builder *B, const struct ir_step *s, uint32_t r)
{
	const struct ir_step *b = s->builds_in.step;
	uint32_t leaf;

	if (s->builds_in_kind != IR_BUILDS_IN_KEY || !b)
		/* a root: the enclosing group's start state */
		return s->parent ? start_state(B, s->parent) : GRAPH_NONE;
	if (rep_of(B, s->id) && b->type == IR_GROUP) {
		/* a replica: its leaf's state */
		leaf = B->g->nodes[B->first[ix(B, s)] + r].replica_of;
		return B->g->nodes[leaf].kind == GN_EXIT ? cont_state(B,
		    ir_continuation(B->g->nodes[leaf].step)) : leaf;
	}
	if (b->type != IR_GROUP)
		return done_node(B, b) + (rep_of(B, s->id) ? r : 0);
	return cont_state(B, ir_continuation(b));
}

/* The states step s's nodes continue in. */
static void
set_state(struct builder *B, struct ir_step *s)
{
	uint32_t r, k = ix(B, s);

	if (s->type == IR_GROUP) {
		start_state(B, s);
		/* its EXIT: the state its dependents continue in */
		B->g->nodes[B->exit[k]].state_from = cont_state(B,
		    ir_continuation(s));
		return;
	}
	if (s->type == IR_WAIT)
		return;
	for (r = 0; r < B->count[k]; r++)
		B->g->nodes[B->first[k] + r].state_from = builds_state(B, s, r);
}

static void
set_states(struct builder *B)
{
	uint32_t i;

	for (i = 0; i < B->doc->nall; i++)
		set_state(B, B->doc->all[i]);
}

static const char *
node_name(struct graph *g, uint32_t i)
{
	struct gnode *n = &g->nodes[i];
	struct srcpos p = ir_pos(g->doc, n->kind == GN_WAIT ? n->step->pos :
	    n->step->key_pos);

	if (n->kind == GN_WAIT)
		return arena_printf(g->arena, "wait (%u:%u)", p.line, p.col);
	return arena_printf(g->arena, "%s'%s' (%u:%u)",
	    n->kind == GN_EXIT ? "group " : "", n->key, p.line, p.col);
}

/* The first predecessor of node i that Kahn's algorithm left over. */
static uint32_t
left_pred(struct graph *g, const uint32_t *indeg, uint32_t i)
{
	uint32_t k;

	for (k = 0; k < g->nodes[i].npreds; k++)
		if (indeg[g->nodes[i].preds[k].node])
			return g->nodes[i].preds[k].node;
	return GRAPH_NONE;
}

/*
 * Kahn's algorithm; every node left over has a left-over predecessor.
 * Walking back through them must repeat a node: the walk from there back
 * to itself is a cycle, printed forwards (in the order things run).
 */
static int
find_cycle(struct builder *B)
{
	struct graph *g = B->g;
	uint32_t *indeg, *queue, *mark, head = 0, tail = 0, i, k, cur, nloop;
	char *path = "";
	struct srcpos p = { NULL, 0, 0 };
	int ret = -1;

	indeg = malloc(((size_t)g->n + 1) * sizeof(*indeg));
	queue = malloc(((size_t)g->n + 1) * sizeof(*queue));
	mark = NULL;
	if (!indeg || !queue)
		goto out;
	for (i = 0; i < g->n; i++) {
		indeg[i] = g->nodes[i].npreds;
		if (!indeg[i])
			queue[tail++] = i;
	}
	while (head < tail) {
		struct gnode *n = &g->nodes[queue[head++]];

		for (k = 0; k < n->nsuccs; k++)
			if (--indeg[n->succs[k]] == 0)
				queue[tail++] = n->succs[k];
	}
	if (tail == g->n) {
		ret = 0;
		goto out;
	}
	/* a cycle: walking it back needs the predecessors */
	if (!(B->fill & FILL_PREDS) &&
	    fill_edges(B, FILL_SUCCS | FILL_PREDS) < 0)
		goto out;
	if (!(mark = calloc((size_t)g->n + 1, sizeof(*mark))))
		goto out;
	for (cur = 0; !indeg[cur]; cur++)
		;
	while (!mark[cur]) {
		mark[cur] = 1;
		cur = left_pred(g, indeg, cur);
	}
	nloop = 0;
	i = cur;
	do {
		queue[nloop++] = i;
		i = left_pred(g, indeg, i);
	} while (i != cur && nloop < g->n);
	/* queue[] holds the loop backwards; ENTER nodes say nothing new */
	for (k = nloop; k-- > 0 && path;) {
		struct gnode *n = &g->nodes[queue[k]];

		if (n->kind == GN_ENTER)
			continue;
		if (!p.line) {
			p = ir_pos(g->doc, n->kind == GN_WAIT ?
			    n->step->pos : n->step->key_pos);
			mark[0] = queue[k];
		}
		path = arena_printf(g->arena, "%s%s -> ", path,
		    node_name(g, queue[k]));
	}
	if (path && p.line)
		path = arena_printf(g->arena, "%s%s", path,
		    node_name(g, mark[0]));
	diag_report(B->diags, E_IR_CYCLE, p, path ? path : "?");
	B->errors++;
out:
	free(indeg);
	free(queue);
	free(mark);
	return ret;
}

/* How much of the graph build makes. */
enum build_mode {
	BUILD_REPLICAS,		/* only the checks of 'each' replication */
	BUILD_CYCLES,		/* those, and a search for cycles */
	BUILD_FULL		/* the graph hm-exec runs */
};

static int
build(struct graph *g, struct ir_doc *doc, struct diag_list *diags,
    enum build_mode mode)
{
	bool full = mode == BUILD_FULL;
	struct builder B = { 0 };
	size_t n = (size_t)doc->nall + 1;
	uint32_t i, ngroups = 0;
	struct ir_index *map;
	bool each = false;
	int ret = -1;

	memset(g, 0, sizeof(*g));
	g->doc = doc;
	g->arena = arena_new();
	B.g = g;
	B.doc = doc;
	B.diags = diags;
	for (i = 0; i < doc->nall; i++) {
		if (doc->all[i]->type != IR_GROUP)
			continue;
		ngroups++;
		each |= ir_more(doc->all[i])->cont == IR_CONT_EACH;
	}
	B.first = malloc(n * sizeof(*B.first));
	B.count = malloc(n * sizeof(*B.count));
	B.exit = malloc(n * sizeof(*B.exit));
	if (!g->arena || !B.first || !B.count || !B.exit)
		goto nomem;
	/* without an 'each' group nothing is replicated */
	if (each) {
		B.rep_group = calloc(n, sizeof(*B.rep_group));
		B.eleaves = calloc(n, sizeof(*B.eleaves));
		B.neleaves = calloc(n, sizeof(*B.neleaves));
		if (!B.rep_group || !B.eleaves || !B.neleaves)
			goto nomem;
	}
	if (each && find_replicas(&B) < 0)
		goto out;
	if (mode == BUILD_REPLICAS) {
		ret = 0;
		goto out;
	}
	/* a node per step and a group's EXIT, and one per replica */
	g->cap = doc->nall + ngroups + 16;
	for (i = 0; each && i < doc->nall; i++) {
		struct ir_step *t = rep_of(&B, i);
		uint32_t nl;

		if (t && each_leaves(&B, t, &nl) && nl > 1)
			g->cap += nl - 1;
	}
	g->nodes = malloc((size_t)g->cap * sizeof(*g->nodes));
	if (!g->nodes)
		goto nomem;
	mem_advise_huge(g->nodes, (size_t)g->cap * sizeof(*g->nodes));
	if (make_nodes(&B, doc->steps, doc->nsteps) < 0)
		goto nomem;
	for (i = 0; each && i < doc->nall; i++) {
		struct ir_step *t = rep_of(&B, i), **leaves;
		uint32_t r, nl;

		if (!t)
			continue;
		if (!(leaves = each_leaves(&B, t, &nl)))
			goto nomem;
		for (r = 0; r < B.count[i] && r < nl; r++)
			g->nodes[B.first[i] + r].replica_of =
			    done_node(&B, leaves[r]);
	}
	list_edges(&B, doc->steps, doc->nsteps);
	if (fill_edges(&B, full ? FILL_SUCCS | FILL_PREDS : FILL_SUCCS) < 0)
		goto nomem;
	if (!full) {
		ret = find_cycle(&B);
		goto out;
	}
	/* the key map: commands, replicas and group EXITs */
	map = ir_index_new(g->n);
	if (!map)
		goto nomem;
	g->map = map;
	for (i = 0; i < g->n; i++) {
		struct gnode *nd = &g->nodes[i];

		if (nd->kind == GN_COMMAND || nd->kind == GN_DYNAMIC ||
		    nd->kind == GN_EXIT)
			if (ir_index_put(map, nd->key, i, NULL) < 0)
				goto nomem;
	}
	if (find_cycle(&B) < 0)
		goto out;
	if (!(B.sdone = calloc(n, 1)))
		goto nomem;
	set_states(&B);
	ret = 0;
	goto out;
nomem:
	diag_report(diags, E_NOMEM, (struct srcpos){ doc->file, 0, 0 });
out:
	free(B.first);
	free(B.count);
	free(B.exit);
	free(B.sdone);
	free(B.rep_group);
	free(B.eleaves);
	free(B.neleaves);
	return ret;
}

int
graph_build(struct graph *g, struct ir_doc *doc, struct diag_list *diags)
{
	return build(g, doc, diags, BUILD_FULL);
}

int
graph_check(struct ir_doc *doc, bool cycles, struct diag_list *diags)
{
	struct graph g;
	int ret = build(&g, doc, diags, cycles ? BUILD_CYCLES :
	    BUILD_REPLICAS);

	graph_release(&g);
	return ret;
}

void
graph_release(struct graph *g)
{
	ir_index_free(g->map);
	free(g->nodes);
	arena_free(g->arena);
	memset(g, 0, sizeof(*g));
}

uint32_t
graph_find(const struct graph *g, const char *key)
{
	uint32_t v;

	if (!g->map)
		return GRAPH_NONE;
	v = ir_index_get(g->map, key);
	return v == IR_INDEX_NONE ? GRAPH_NONE : v;
}

/* Steps under group g, at any depth. */
static uint32_t
subtree_size(const struct ir_step *g)
{
	uint32_t n = 0, i;

	for (i = 0; i < g->nsteps; i++)
		n += 1 + (g->steps[i]->type == IR_GROUP ?
		    subtree_size(g->steps[i]) : 0);
	return n;
}

/*
 * The placeholder's node p becomes the group's EXIT: what followed it
 * still does. A new ENTER takes its predecessors, in their order, and
 * stands where p stood in their successors. Returns the ENTER.
 */
static uint32_t
enter_for(struct builder *B, uint32_t p)
{
	struct graph *g = B->g;
	uint32_t e = new_node(B, GN_ENTER, (struct ir_step *)B->top,
	    B->top->key), i, k, q;

	if (e == GRAPH_NONE)
		return e;
	g->nodes[e].preds = g->nodes[p].preds;
	g->nodes[e].npreds = g->nodes[p].npreds;
	g->nodes[e].state_from = g->nodes[p].state_from;
	g->nodes[p].preds = NULL;
	g->nodes[p].npreds = 0;
	g->nodes[p].kind = GN_EXIT;
	for (i = 0; i < g->nodes[e].npreds; i++) {
		q = g->nodes[e].preds[i].node;
		for (k = 0; k < g->nodes[q].nsuccs; k++)
			if (g->nodes[q].succs[k] == p) {
				g->nodes[q].succs[k] = e;
				break;
			}
	}
	return e;
}

/*
 * The edges of the new members, counted, then filled in pools of their
 * own: the nodes from e on, and the predecessors of p (the EXIT). The
 * ENTER keeps the predecessors it took over, p its successors.
 */
static int
splice_edges(struct builder *B, uint32_t e, uint32_t p)
{
	struct graph *g = B->g;
	struct gedge *pool;
	uint32_t *spool, i;

	B->fill = 0;
	B->nedges = 0;
	member_edges(B, B->top);
	pool = arena_calloc(g->arena, B->nedges + 1, sizeof(*pool));
	spool = arena_calloc(g->arena, B->nedges + 1, sizeof(*spool));
	if (!pool || !spool)
		return -1;
	for (i = e; i < g->n; i++) {
		if (i != e) {
			g->nodes[i].preds = pool;
			pool += g->nodes[i].npreds;
			g->nodes[i].npreds = 0;
		}
		g->nodes[i].succs = spool;
		spool += g->nodes[i].nsuccs;
		g->nodes[i].nsuccs = 0;
	}
	g->nodes[p].preds = pool;
	g->nodes[p].npreds = 0;
	B->fill = FILL_SUCCS | FILL_PREDS;
	member_edges(B, B->top);
	return 0;
}

/*
 * What continued in the placeholder (state_from p) continues in what
 * the group yields (p's state now): the steps that build in it or in a
 * group whose continuation passed to it, the groups that start in that
 * state, their roots and EXITs. Each stands after another of them (a
 * group's EXIT after its ENTER), from p on, so a walk from p through
 * them alone finds them all. Appends each to sp->restated.
 */
static int
restate(struct graph *g, uint32_t p, struct graph_spliced *sp)
{
	uint32_t to = g->nodes[p].state_from, u = p, k, y, next = 0, room = 0;
	uint32_t *v;

	for (;;) {
		for (k = 0; k <= g->nodes[u].nsuccs; k++) {
			y = k < g->nodes[u].nsuccs ? g->nodes[u].succs[k] :
			    g->nodes[u].kind == GN_ENTER ?
			    graph_find(g, g->nodes[u].key) : GRAPH_NONE;
			if (y == GRAPH_NONE || g->nodes[y].state_from != p)
				continue;
			if (sp->nrestated == room) {
				room = 2 * room + 16;
				v = realloc(sp->restated, room * sizeof(*v));
				if (!v)
					return -1;
				sp->restated = v;
			}
			g->nodes[y].state_from = to;
			sp->restated[sp->nrestated++] = y;
		}
		if (next == sp->nrestated)
			return 0;
		u = sp->restated[next++];
	}
}

int
graph_splice(struct graph *g, struct ir_step *grp, struct graph_spliced *sp)
{
	struct builder B = { 0 };
	uint32_t p = graph_find(g, grp->key), e, n, i;
	int ret;

	memset(sp, 0, sizeof(*sp));
	if (p == GRAPH_NONE || g->nodes[p].kind != GN_DYNAMIC ||
	    g->nodes[p].step != grp || grp->type != IR_GROUP || !grp->nsteps)
		return 1;
	n = subtree_size(grp) + 1;
	B.g = g;
	B.doc = g->doc;
	B.diags = NULL;
	B.top = grp;
	B.base = grp->steps[0]->id;
	B.first = malloc(n * sizeof(*B.first));
	B.count = malloc(n * sizeof(*B.count));
	B.exit = malloc(n * sizeof(*B.exit));
	B.sdone = calloc(n, 1);
	ret = 1;	/* nothing changed yet */
	if (!B.first || !B.count || !B.exit || !B.sdone)
		goto out;
	ret = -1;
	/* the group: an ENTER, its members, and p as its EXIT */
	sp->node = p;
	sp->enter = e = enter_for(&B, p);
	if (e == GRAPH_NONE)
		goto out;
	B.first[0] = e;
	B.count[0] = 1;
	B.exit[0] = p;
	B.sdone[0] = 1;		/* it starts where the placeholder did */
	if (make_nodes(&B, grp->steps, grp->nsteps) < 0 ||
	    splice_edges(&B, e, p) < 0)
		goto out;
	for (i = e; i < g->n; i++) {
		struct gnode *nd = &g->nodes[i];

		if ((nd->kind == GN_COMMAND || nd->kind == GN_DYNAMIC ||
		    nd->kind == GN_EXIT) &&
		    ir_index_put(g->map, nd->key, i, NULL) < 0)
			goto out;
	}
	for (i = 0; i < n - 1; i++)
		set_state(&B, B.doc->all[B.base + i]);
	set_state(&B, grp);
	ret = restate(g, p, sp);
out:
	free(B.first);
	free(B.count);
	free(B.exit);
	free(B.sdone);
	return ret;
}

void
graph_spliced_release(struct graph_spliced *sp)
{
	free(sp->restated);
	memset(sp, 0, sizeof(*sp));
}

static uint32_t
mapped(const uint32_t *m, uint32_t n)
{
	return n == GRAPH_NONE ? GRAPH_NONE : m[n];
}

/* Whether node i of a is node m[i] of b, edges and all. */
static bool
same_node(const struct graph *a, const struct graph *b, const uint32_t *m,
    uint32_t i)
{
	const struct gnode *x = &a->nodes[i], *y = &b->nodes[m[i]];
	uint32_t k;

	if (x->step != y->step || x->npreds != y->npreds ||
	    x->nsuccs != y->nsuccs ||
	    mapped(m, x->state_from) != y->state_from ||
	    mapped(m, x->replica_of) != y->replica_of)
		return false;
	for (k = 0; k < x->npreds; k++)
		if (m[x->preds[k].node] != y->preds[k].node ||
		    x->preds[k].kind != y->preds[k].kind)
			return false;
	for (k = 0; k < x->nsuccs; k++)
		if (m[x->succs[k]] != y->succs[k])
			return false;
	return true;
}

const char *
graph_diff(const struct graph *a, const struct graph *b, char *why,
    size_t n)
{
	struct arena *ar = arena_new();
	struct ir_index *ix = ir_index_new(b->n);
	uint32_t *m = calloc((size_t)a->n + 1, sizeof(*m)), i;
	const char *ret = why;

	snprintf(why, n, "out of memory");
	if (!ar || !ix || !m)
		goto out;
	if (a->n != b->n) {
		snprintf(why, n, "%u nodes, and %u", a->n, b->n);
		goto out;
	}
	for (i = 0; i < b->n; i++) {
		const char *k = arena_printf(ar, "%d %s", b->nodes[i].kind,
		    b->nodes[i].key);

		if (!k || ir_index_put(ix, k, i, NULL) != 0)
			goto out;
	}
	for (i = 0; i < a->n; i++) {
		const char *k = arena_printf(ar, "%d %s", a->nodes[i].kind,
		    a->nodes[i].key);

		if (!k)
			goto out;
		if ((m[i] = ir_index_get(ix, k)) == IR_INDEX_NONE) {
			snprintf(why, n, "node '%s' (kind %d) only in the "
			    "first", a->nodes[i].key, a->nodes[i].kind);
			goto out;
		}
	}
	for (i = 0; i < a->n; i++) {
		if (!same_node(a, b, m, i)) {
			snprintf(why, n, "node '%s' (kind %d) differs",
			    a->nodes[i].key, a->nodes[i].kind);
			goto out;
		}
	}
	ret = NULL;
out:
	arena_free(ar);
	ir_index_free(ix);
	free(m);
	return ret;
}
