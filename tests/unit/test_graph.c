/* hm: unit tests for the run graph: edges, waits, groups, replicas, cycles. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "graph.h"
#include "ir.h"
#include "ir_check.h"
#include "ir_cont.h"
#include "ir_load.h"

struct fixture {
	struct ir_doc *doc;
	struct graph g;
	struct diag_list diags;
	int ret;
};

static struct fixture F;

/* Load, check and build; the document is written in single quotes. */
static int
build(const char *text)
{
	char buf[8192];
	size_t i;

	for (i = 0; text[i] && i < sizeof(buf) - 1; i++)
		buf[i] = text[i] == '\'' ? '"' : text[i];
	buf[i] = '\0';
	memset(&F, 0, sizeof(F));
	F.diags = (struct diag_list)DIAG_LIST_INIT;
	F.doc = ir_load_buf(buf, strlen(buf), "t.json", NULL, &F.diags);
	if (!F.doc)
		return F.ret = -2;
	if (ir_check(F.doc, 0, &F.diags) < 0)
		return F.ret = -1;
	return F.ret = graph_build(&F.g, F.doc, &F.diags);
}

static int
teardown(void **state)
{
	(void)state;
	if (F.ret >= 0)
		graph_release(&F.g);
	ir_doc_free(F.doc);
	diag_list_release(&F.diags);
	memset(&F, 0, sizeof(F));
	return 0;
}

static uint32_t
node(const char *key)
{
	uint32_t n = graph_find(&F.g, key);

	if (n == GRAPH_NONE)
		fail_msg("no node '%s'", key);
	return n;
}

/* The kind of the edge from -> to, or -1 if there is none. */
static int
edge(uint32_t from, uint32_t to)
{
	uint32_t k;

	for (k = 0; k < F.g.nodes[to].npreds; k++)
		if (F.g.nodes[to].preds[k].node == from)
			return (int)F.g.nodes[to].preds[k].kind;
	return -1;
}

static uint32_t
wait_node(const char *key)
{
	uint32_t i;

	for (i = 0; i < F.g.n; i++)
		if (F.g.nodes[i].kind == GN_WAIT &&
		    strcmp(F.g.nodes[i].key, key) == 0)
			return i;
	fail_msg("no wait '%s'", key);
	return GRAPH_NONE;
}

static uint32_t
enter_node(const char *key)
{
	uint32_t i;

	for (i = 0; i < F.g.n; i++)
		if (F.g.nodes[i].kind == GN_ENTER &&
		    strcmp(F.g.nodes[i].key, key) == 0)
			return i;
	fail_msg("no group '%s'", key);
	return GRAPH_NONE;
}

#define CMD(k, b) "{'type':'command','key':'" k "','eval':{'type':'cmd','cmd':'true'},'builds_in':" b "}"

static void
test_chain(void **state)
{
	(void)state;
	assert_int_equal(build("{'version':'1','steps':[" CMD("a", "null") ","
	    CMD("b", "'a'") "]}"), 0);
	assert_int_equal(F.g.n, 2);
	assert_int_equal(edge(node("a"), node("b")), GE_STATE);
	assert_int_equal(edge(node("b"), node("a")), -1);
	assert_int_equal(F.g.nodes[node("b")].state_from, node("a"));
	assert_int_equal(F.g.nodes[node("a")].state_from, GRAPH_NONE);
	assert_int_equal(F.g.nodes[node("a")].nsuccs, 1);
}

static void
test_wait_barrier(void **state)
{
	uint32_t w, w2;

	(void)state;
	assert_int_equal(build("{'version':'1','steps':[" CMD("a", "null") ","
	    CMD("b", "null") ",{'type':'wait'}," CMD("c", "null") ","
	    "{'type':'wait','continue_on_failure':true}," CMD("d", "null")
	    "]}"), 0);
	w = wait_node("#2");
	w2 = wait_node("#4");
	assert_int_equal(edge(node("a"), w), GE_BARRIER);
	assert_int_equal(edge(node("b"), w), GE_BARRIER);
	assert_int_equal(edge(w, node("c")), GE_ORDER);
	/* the second wait covers everything earlier through the first */
	assert_int_equal(edge(node("c"), w2), GE_ANY);
	assert_int_equal(edge(w, w2), GE_ANY);
	assert_int_equal(edge(node("a"), w2), -1);
	assert_int_equal(edge(w2, node("d")), GE_ORDER);
	assert_int_equal(edge(w, node("d")), -1);
}

static void
test_group_continue_in(void **state)
{
	uint32_t enter, exit;

	(void)state;
	assert_int_equal(build("{'version':'1','steps':[" CMD("deps", "null")
	    ",{'type':'group','key':'g','builds_in':'deps','continue_in':"
	    "'g/x','steps':[" CMD("g/x", "null") "," CMD("g/y", "null") "]},"
	    CMD("after", "'g'") "]}"), 0);
	enter = enter_node("g");
	exit = node("g");
	assert_int_equal(F.g.nodes[exit].kind, GN_EXIT);
	assert_int_equal(edge(node("deps"), enter), GE_STATE);
	assert_int_equal(edge(enter, node("g/x")), GE_ORDER);
	assert_int_equal(edge(enter, node("g/y")), GE_ORDER);
	assert_int_equal(edge(node("g/x"), exit), GE_ORDER);
	assert_int_equal(edge(node("g/y"), exit), GE_ORDER);
	/* waits for the whole group, continues in the named member */
	assert_int_equal(edge(exit, node("after")), GE_STATE);
	assert_int_equal(F.g.nodes[node("after")].state_from, node("g/x"));
	/* members with builds_in null start from the group's state */
	assert_int_equal(F.g.nodes[node("g/y")].state_from, node("deps"));
}

static void
test_group_join_and_one_leaf(void **state)
{
	(void)state;
	assert_int_equal(build("{'version':'1','steps':[" CMD("deps", "null")
	    ",{'type':'group','key':'g','builds_in':'deps','continue':'join',"
	    "'steps':[" CMD("g/x", "null") "," CMD("g/y", "null") "]},"
	    CMD("after", "'g'") ",{'type':'group','key':'h','steps':["
	    CMD("h/a", "null") "," CMD("h/b", "'h/a'") "]}," CMD("last", "'h'")
	    "]}"), 0);
	/* join: the state the group started from */
	assert_int_equal(F.g.nodes[node("after")].state_from, node("deps"));
	/* one leaf (h/b follows h/a): continue in it */
	assert_int_equal(F.g.nodes[node("last")].state_from, node("h/b"));
}

static void
test_each_replicas(void **state)
{
	uint32_t sx, sy, tx, ty, u;

	(void)state;
	assert_int_equal(build("{'version':'1','steps':["
	    "{'type':'group','key':'g','continue':'each','steps':["
	    CMD("g/x", "null") "," CMD("g/y", "null") "]},"
	    CMD("s", "'g'") "," CMD("t", "'s'") ","
	    "{'type':'command','key':'u','eval':{'type':'cmd','cmd':'true'},"
	    "'builds_in':null,'depends_on':['t']}]}"), 0);
	assert_int_equal(graph_find(&F.g, "s"), GRAPH_NONE);
	sx = node("s@g/x");
	sy = node("s@g/y");
	tx = node("t@g/x");
	ty = node("t@g/y");
	u = node("u");
	/* each replica waits for its own leaf only */
	assert_int_equal(edge(node("g/x"), sx), GE_STATE);
	assert_int_equal(edge(node("g/y"), sx), -1);
	assert_int_equal(edge(node("g/y"), sy), GE_STATE);
	assert_int_equal(edge(node("g"), sx), -1);
	/* and the chain after it is replicated with it */
	assert_int_equal(edge(sx, tx), GE_STATE);
	assert_int_equal(edge(sy, ty), GE_STATE);
	assert_int_equal(edge(sx, ty), -1);
	/* depends_on a replicated step waits for every replica */
	assert_int_equal(edge(tx, u), GE_ORDER);
	assert_int_equal(edge(ty, u), GE_ORDER);
	assert_int_equal(F.g.nodes[sx].replica_of, node("g/x"));
	assert_int_equal(F.g.nodes[tx].replica_of, node("g/x"));
	assert_int_equal(F.g.nodes[tx].state_from, sx);
}

static void
test_each_through_each_groups(void **state)
{
	(void)state;
	/* an 'each' group whose leaf is an 'each' group (a dynamic target
	 * returning a matrix): one replica per inner leaf */
	assert_int_equal(build("{'version':'1','steps':["
	    "{'type':'group','key':'t','continue':'each','steps':["
	    "{'type':'group','key':'t/m','continue':'each','steps':["
	    CMD("t/m/1", "null") "," CMD("t/m/3", "null") "]},"
	    CMD("t/other", "null") "]}," CMD("r", "'t'") "]}"), 0);
	assert_int_equal(edge(node("t/m/1"), node("r@t/m/1")), GE_STATE);
	assert_int_equal(edge(node("t/m/3"), node("r@t/m/3")), GE_STATE);
	assert_int_equal(edge(node("t/other"), node("r@t/other")), GE_STATE);
	assert_int_equal(graph_find(&F.g, "r@t/m"), GRAPH_NONE);
	assert_int_equal(F.g.nodes[node("r@t/m/3")].state_from,
	    node("t/m/3"));
}

static void
test_wait_in_group_orders_group_only(void **state)
{
	uint32_t w;

	(void)state;
	assert_int_equal(build("{'version':'1','steps':[" CMD("out", "null")
	    ",{'type':'group','key':'g','continue':'join','steps':["
	    CMD("g/a", "null") ",{'type':'wait'}," CMD("g/b", "null") "]}]}"),
	    0);
	w = wait_node("g#1");
	assert_int_equal(edge(node("g/a"), w), GE_BARRIER);
	assert_int_equal(edge(w, node("g/b")), GE_ORDER);
	assert_int_equal(edge(node("out"), w), -1);
	/* and g/a is not a leaf: it is followed through the wait */
	{
		struct ir_step *leaves[4];
		struct ir_step *g = ir_find(F.doc, "g");

		assert_int_equal(ir_group_leaves(g, leaves), 1);
		assert_string_equal(leaves[0]->key, "g/b");
	}
}

static void
test_cycle_reported(void **state)
{
	(void)state;
	assert_int_equal(build("{'version':'1','steps':[" CMD("a", "'c'") ","
	    CMD("b", "'a'") "," CMD("c", "'b'") "]}"), -1);
	assert_int_equal(F.diags.errors, 1);
	assert_int_equal(F.diags.items[0].code, E_IR_CYCLE);
	assert_non_null(strstr(F.diags.items[0].msg, "'a'"));
	assert_non_null(strstr(F.diags.items[0].msg, "'b'"));
	assert_non_null(strstr(F.diags.items[0].msg, "'c'"));
	assert_non_null(strstr(F.diags.items[0].msg, " -> "));
}

static void
test_long_chain_no_recursion(void **state)
{
	/* 20,000 steps in one builds_in chain after an 'each' group */
	enum { N = 20000 };
	static char buf[N * 96 + 1024];
	size_t len = 0;
	int i;
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;
	struct graph g;

	(void)state;
	len += (size_t)snprintf(buf + len, sizeof(buf) - len,
	    "{\"version\":\"1\",\"steps\":[{\"type\":\"group\",\"key\":\"g\","
	    "\"continue\":\"each\",\"steps\":[{\"type\":\"command\",\"key\":"
	    "\"g/a\",\"eval\":{\"type\":\"cmd\",\"cmd\":\"x\"},\"builds_in\":"
	    "null},{\"type\":\"command\",\"key\":\"g/b\",\"eval\":{\"type\":"
	    "\"cmd\",\"cmd\":\"x\"},\"builds_in\":null}]}");
	for (i = 0; i < N; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
		    ",{\"type\":\"command\",\"key\":\"s%d\",\"eval\":{\"type\":"
		    "\"cmd\",\"cmd\":\"x\"},\"builds_in\":\"%s%d\"}", i,
		    i ? "s" : "g", i ? i - 1 : 0);
	/* the first builds in the group */
	memcpy(strstr(buf, "\"g0\""), "\"g\" ", 4);
	len += (size_t)snprintf(buf + len, sizeof(buf) - len, "]}");
	doc = ir_load_buf(buf, len, "chain.json", NULL, &d);
	assert_non_null(doc);
	assert_int_equal(ir_check(doc, 0, &d), 0);
	assert_int_equal(graph_build(&g, doc, &d), 0);
	/* 2 members + ENTER + EXIT + 2 replicas of each chain step */
	assert_int_equal(g.n, 4 + 2 * N);
	assert_int_not_equal(graph_find(&g, "s19999@g/b"), GRAPH_NONE);
	graph_release(&g);
	ir_doc_free(doc);
	diag_list_release(&d);
}

/*
 * ir_check looks for cycles only when some step refers to a later one:
 * when every reference goes back in document order, every edge of the
 * run graph goes forward, waits and groups included. Random documents
 * of commands, waits and nested groups whose references all go back
 * must pass ir_check and have an acyclic run graph (graph_build always
 * searches); and one reference forward to a step that follows from the
 * referrer must be found as a cycle.
 */
struct gen {
	char *buf;
	size_t len, cap;
	unsigned seed;
	int nkeys;
	int anc[8], nanc;		/* ids of the groups being written */
	int cycle;			/* s0 builds in "zz", written last */
	int cur;			/* the step being written */
};

static unsigned
gen_rand(struct gen *G, unsigned n)
{
	G->seed = G->seed * 1103515245u + 12345u;
	return (G->seed >> 16) % n;
}

static void
gen_out(struct gen *G, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	G->len += (size_t)vsnprintf(G->buf + G->len, G->cap - G->len, fmt, ap);
	va_end(ap);
	assert_true(G->len < G->cap);
}

/* A step before the current one that does not hold it, or -1. */
static int
gen_back(struct gen *G)
{
	int k, i, tries;

	for (tries = 0; tries < 8 && G->cur > 0; tries++) {
		k = (int)gen_rand(G, (unsigned)G->cur);
		for (i = 0; i < G->nanc && G->anc[i] != k; i++)
			;
		if (i == G->nanc)
			return k;
	}
	return -1;
}

static void
gen_edges(struct gen *G)
{
	int b = gen_rand(G, 3) ? gen_back(G) : -1, d1, d2;

	if (G->cycle && G->cur == 0) {
		gen_out(G, ",\"builds_in\":\"zz\"");
		return;
	}
	if (b >= 0)
		gen_out(G, ",\"builds_in\":\"s%d\"", b);
	else
		gen_out(G, ",\"builds_in\":null");
	if (gen_rand(G, 3) == 0 && (d1 = gen_back(G)) >= 0) {
		d2 = gen_back(G);
		if (d2 >= 0 && d2 != d1)
			gen_out(G, ",\"depends_on\":[\"s%d\",\"s%d\"]", d1, d2);
		else
			gen_out(G, ",\"depends_on\":[\"s%d\"]", d1);
	}
}

static void
gen_steps(struct gen *G, int n, int depth)
{
	int i, first = 1;

	for (i = 0; i < n; i++) {
		unsigned kind = gen_rand(G, 10);
		int id;

		gen_out(G, "%s", first ? "" : ",");
		first = 0;
		if (kind == 0 && i > 0 && i < n - 1) {
			gen_out(G, "{\"type\":\"wait\"}");
			continue;
		}
		id = G->cur = G->nkeys++;
		if (kind <= 2 && depth < 3) {
			gen_out(G, "{\"type\":\"group\",\"key\":\"s%d\","
			    "\"continue\":\"join\"", id);
			gen_edges(G);
			gen_out(G, ",\"steps\":[");
			G->anc[G->nanc++] = id;
			/* a command first: a group must hold one */
			G->cur = G->nkeys++;
			gen_out(G, "{\"type\":\"command\",\"key\":\"s%d\","
			    "\"eval\":{\"type\":\"cmd\",\"cmd\":\"x\"}",
			    G->cur);
			gen_edges(G);
			gen_out(G, "},");
			gen_steps(G, 1 + (int)gen_rand(G, 4), depth + 1);
			G->nanc--;
			gen_out(G, "]}");
			continue;
		}
		gen_out(G, "{\"type\":\"command\",\"key\":\"s%d\",\"eval\":"
		    "{\"type\":\"cmd\",\"cmd\":\"x\"}", id);
		gen_edges(G);
		gen_out(G, "}");
	}
}

static void
test_backward_refs_acyclic(void **state)
{
	static char buf[1 << 20];
	struct gen G;
	int round;

	(void)state;
	memset(&G, 0, sizeof(G));
	G.buf = buf;
	G.cap = sizeof(buf);
	G.seed = 7;
	for (round = 0; round < 300; round++) {
		struct diag_list d = DIAG_LIST_INIT;
		struct ir_doc *doc;
		struct graph g;
		unsigned saved;
		int r;

		G.len = 0;
		G.nkeys = 0;
		saved = G.seed;
		gen_out(&G, "{\"version\":\"1\",\"steps\":[");
		gen_steps(&G, 1 + (int)gen_rand(&G, 40), 0);
		gen_out(&G, "]}");
		doc = ir_load_buf(buf, G.len, "rand.json", NULL, &d);
		assert_non_null(doc);
		r = ir_check(doc, 0, &d);
		if (r != 0)
			fail_msg("%s: %s", buf, d.items[0].msg);
		assert_int_equal(graph_build(&g, doc, &d), 0);
		graph_release(&g);
		ir_doc_free(doc);
		diag_list_release(&d);
		/* the same document with a cycle through a forward
		 * reference: s0 builds in a last step that builds in s0 */
		G.len = 0;
		G.nkeys = 0;
		G.seed = saved;
		G.cycle = 1;
		gen_out(&G, "{\"version\":\"1\",\"steps\":[");
		gen_steps(&G, 1 + (int)gen_rand(&G, 40), 0);
		gen_out(&G, ",{\"type\":\"command\",\"key\":\"zz\",\"eval\":"
		    "{\"type\":\"cmd\",\"cmd\":\"x\"},\"builds_in\":\"s0\"}]}");
		G.cycle = 0;
		doc = ir_load_buf(buf, G.len, "rand.json", NULL, &d);
		assert_non_null(doc);
		assert_int_equal(ir_check(doc, 0, &d), -1);
		assert_int_equal(d.n, 1);
		assert_int_equal(d.items[0].code, E_IR_CYCLE);
		ir_doc_free(doc);
		diag_list_release(&d);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_chain, teardown),
		cmocka_unit_test_teardown(test_wait_barrier, teardown),
		cmocka_unit_test_teardown(test_group_continue_in, teardown),
		cmocka_unit_test_teardown(test_group_join_and_one_leaf,
		    teardown),
		cmocka_unit_test_teardown(test_each_replicas, teardown),
		cmocka_unit_test_teardown(test_each_through_each_groups,
		    teardown),
		cmocka_unit_test_teardown(test_wait_in_group_orders_group_only,
		    teardown),
		cmocka_unit_test_teardown(test_cycle_reported, teardown),
		cmocka_unit_test(test_backward_refs_acyclic),
		cmocka_unit_test(test_long_chain_no_recursion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
