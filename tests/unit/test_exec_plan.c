/* hm: unit tests of hm-exec's plan: the status algebra, with no process started. */
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir_check.h"
#include "ir_load.h"
#include "ir_splice.h"
#include "plan.h"
#include "run.h"

/*
 * As ninja's build tests: a fake runner decides how each attempt ends
 * (by key and attempt, from a table) and a recording listener keeps what
 * the plan told, in order. Every row of the truth tables of
 * ir-spec/status.md has a case here.
 */

#define CMD(k) "{\"type\":\"command\",\"key\":\"" k "\",\"eval\":" \
	"{\"type\":\"cmd\",\"cmd\":\"true\"},\"builds_in\":null}"
#define CMDX(k, x) "{\"type\":\"command\",\"key\":\"" k "\",\"eval\":" \
	"{\"type\":\"cmd\",\"cmd\":\"true\"}," x "}"
#define WAIT "{\"type\":\"wait\"}"
#define WAITC "{\"type\":\"wait\",\"continue_on_failure\":true}"
#define DOC(s) "{\"version\":\"1\",\"steps\":[" s "]}"

/* How attempts end: "key=pass|fail|timeout|signal[,...]" words, one per
 * attempt; a key not named passes. */
struct world {
	struct ir_doc *doc;
	struct run r;		/* plan, and empty sinks for bake_expand */
	const char *outcomes;
	char told[8192];	/* "key:status " per event */
	size_t ntold;
};

static void
on_finished(void *ctx, struct step *s, bool ran)
{
	struct world *w = ctx;

	w->ntold += (size_t)snprintf(w->told + w->ntold,
	    sizeof(w->told) - w->ntold, "%s:%s%s%s ", s->key, step_status(s),
	    s->will_retry ? "+retry" : "", ran ? "" : "!");
}

static struct world *
load(const char *json, bool keep_going, const char *outcomes)
{
	struct world *w = calloc(1, sizeof(*w));
	struct diag_list dl = DIAG_LIST_INIT;
	struct plan_listener l = { NULL, on_finished };

	assert_non_null(w);
	w->doc = ir_load_buf(json, strlen(json), "t.json", NULL, &dl);
	if (!w->doc || ir_check(w->doc, 0, &dl) < 0) {
		size_t i;

		for (i = 0; i < dl.n; i++)
			fprintf(stderr, "%s\n", dl.items[i].msg);
		fail_msg("document does not load: %s", json);
	}
	l.ctx = w;
	w->r.doc = w->doc;
	w->outcomes = outcomes;
	plan_init(&w->r.plan, &l, keep_going);
	assert_int_equal(plan_build(&w->r.plan, w->doc, &dl), 0);
	diag_list_release(&dl);
	return w;
}

static void
unload(struct world *w)
{
	size_t i;

	plan_release(&w->r.plan);
	ir_doc_free(w->doc);
	for (i = 0; i < w->r.nfrags; i++)
		ir_doc_free(w->r.frags[i]);
	free(w->r.frags);
	free(w);
}

/* The fake runner: the outcome of attempt n of key ("pass" if none). */
static const char *
outcome(const struct world *w, const char *key, int n)
{
	static char word[32];
	const char *p = w->outcomes ? w->outcomes : "";
	size_t kl = strlen(key), len;
	int i;

	for (; *p; p += strcspn(p, " "), p += strspn(p, " ")) {
		if (strncmp(p, key, kl) != 0 || p[kl] != '=')
			continue;
		p += kl + 1;
		for (i = 1; i < n; i++) {
			len = strcspn(p, ", ");
			if (p[len] != ',')
				break;	/* the last one repeats */
			p += len + 1;
		}
		snprintf(word, sizeof(word), "%.*s", (int)strcspn(p, ", "), p);
		return word;
	}
	return "pass";
}

/* End s's running attempt as the fake runner says. */
static void
finish(struct world *w, struct step *s)
{
	const char *o = outcome(w, s->key, s->attempt);

	s->exit_code = strcmp(o, "pass") == 0 ? 0 :
	    strcmp(o, "fail") == 0 ? 1 : -1;
	s->signo = strcmp(o, "timeout") == 0 || strcmp(o, "signal") == 0 ?
	    SIGTERM : 0;
	s->timed_out = strcmp(o, "timeout") == 0;
	plan_attempt_done(&w->r.plan, s, s->exit_code == 0);
}

/* Run everything at -j1, in the plan's order, then cancel the rest. */
static void
run_all(struct world *w)
{
	struct step *s;

	while ((s = plan_next(&w->r.plan))) {
		plan_started(&w->r.plan, s);
		finish(w, s);
	}
	plan_cancel_rest(&w->r.plan);
}

/* The status of key: a step's, or a group's (its exit node). */
static const char *
status(struct world *w, const char *key)
{
	struct step *s = plan_step(&w->r.plan, key, false);
	uint32_t n;

	if (s)
		return step_status(s);
	n = graph_find(&w->r.plan.g, key);
	if (n == GRAPH_NONE)
		return "(none)";
	return step_status_name((enum step_status)
	    w->r.plan.virt_status[n]);
}

/* ir-spec/status.md, the first truth table: D after P, by edge kind. */
static void
test_truth_table_edges(void **state)
{
	/* how P ended: the steps before D, and the outcomes */
	static const struct {
		const char *name, *before, *outcomes, *p_status;
	} ended[] = {
		{ "passed", CMD("P"), "", "passed" },
		{ "soft-failed", CMDX("P", "\"builds_in\":null,"
		    "\"soft_fail\":true"), "P=fail", "soft_failed" },
		{ "failed", CMD("P"), "P=fail", "failed" },
		{ "timed-out", CMD("P"), "P=timeout", "timed_out" },
		{ "skipped", CMD("Q") "," CMDX("P", "\"builds_in\":\"Q\""),
		    "Q=fail", "skipped" },
	};
	/* how D follows P; the expected column of the table */
	static const struct {
		const char *name, *fmt;
		const char *expect[5];
	} edge[] = {
		{ "builds in P", DOC("%s," CMDX("D", "\"builds_in\":\"P\"")),
		    { "passed", "passed", "skipped", "skipped", "skipped" } },
		{ "depends on P", DOC("%s," CMDX("D", "\"builds_in\":null,"
		    "\"depends_on\":[\"P\"]")),
		    { "passed", "passed", "skipped", "skipped", "skipped" } },
		{ "after a wait", DOC("%s," WAIT "," CMD("D")),
		    { "passed", "passed", "skipped", "skipped", "skipped" } },
		{ "after a continue_on_failure wait", DOC("%s," WAITC ","
		    CMD("D")),
		    { "passed", "passed", "passed", "passed", "passed" } },
	};
	size_t e, k;

	(void)state;
	for (k = 0; k < sizeof(edge) / sizeof(edge[0]); k++) {
		for (e = 0; e < sizeof(ended) / sizeof(ended[0]); e++) {
			char json[2048];
			struct world *w;

			snprintf(json, sizeof(json), edge[k].fmt,
			    ended[e].before);
			w = load(json, true, ended[e].outcomes);
			run_all(w);
			if (strcmp(status(w, "P"), ended[e].p_status) != 0 ||
			    strcmp(status(w, "D"), edge[k].expect[e]) != 0)
				fail_msg("P %s, D %s: P %s, D %s (expected "
				    "%s)", ended[e].name, edge[k].name,
				    status(w, "P"), status(w, "D"),
				    edge[k].expect[e]);
			unload(w);
		}
	}
}

/* "With several edges": a plain wait covers every earlier step. */
static void
test_several_edges(void **state)
{
	struct world *w = load(DOC(CMD("a") "," WAITC "," CMD("b") "," WAIT
	    "," CMD("c")), true, "a=fail");

	(void)state;
	run_all(w);
	assert_string_equal(status(w, "a"), "failed");
	assert_string_equal(status(w, "b"), "passed");
	assert_string_equal(status(w, "c"), "skipped");
	unload(w);
	/* every edge must be satisfied */
	w = load(DOC(CMD("a") "," CMD("b") "," CMDX("d", "\"builds_in\":\"a\","
	    "\"depends_on\":[\"b\"]")), true, "b=fail");
	run_all(w);
	assert_string_equal(status(w, "d"), "skipped");
	unload(w);
}

#define GROUP(k, x, members) "{\"type\":\"group\",\"key\":\"" k "\"" x \
	",\"steps\":[" members "]}"

/* The group table: a group's status from its members', seen by D. */
static void
test_truth_table_groups(void **state)
{
	static const struct {
		const char *name, *json, *outcomes, *g, *d;
	} row[] = {
		{ "all skipped", DOC(CMD("X") "," WAIT "," GROUP("G",
		    ",\"depends_on\":[\"X\"]", CMD("G/a") "," CMD("G/b")) ","
		    CMDX("D", "\"builds_in\":null,\"depends_on\":[\"G\"]")),
		    "X=fail", "skipped", "skipped" },
		{ "any failed", DOC(GROUP("G", "", CMD("G/a") "," CMD("G/b"))
		    "," CMDX("D", "\"builds_in\":null,\"depends_on\":[\"G\"]")),
		    "G/a=fail", "failed", "skipped" },
		{ "any timed-out", DOC(GROUP("G", "", CMD("G/a") ","
		    CMD("G/b")) "," CMDX("D", "\"builds_in\":null,"
		    "\"depends_on\":[\"G\"]")),
		    "G/b=timeout", "failed", "skipped" },
		{ "otherwise any skipped", DOC(CMD("X") "," GROUP("G", "",
		    CMDX("G/a", "\"builds_in\":null,\"depends_on\":[\"X\"]")
		    "," CMD("G/b")) "," CMDX("D", "\"builds_in\":null,"
		    "\"depends_on\":[\"G\"]")),
		    "X=fail", "skipped", "skipped" },
		{ "otherwise any soft-failed", DOC(GROUP("G", "",
		    CMDX("G/a", "\"builds_in\":null,\"soft_fail\":true") ","
		    CMD("G/b")) "," CMDX("D", "\"builds_in\":null,"
		    "\"depends_on\":[\"G\"]")),
		    "G/a=fail", "soft_failed", "passed" },
		{ "all passed", DOC(GROUP("G", "", CMD("G/a") "," CMD("G/b"))
		    "," CMDX("D", "\"builds_in\":null,\"depends_on\":[\"G\"]")),
		    "", "passed", "passed" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(row) / sizeof(row[0]); i++) {
		struct world *w = load(row[i].json, true, row[i].outcomes);

		run_all(w);
		if (strcmp(status(w, "G"), row[i].g) != 0 ||
		    strcmp(status(w, "D"), row[i].d) != 0)
			fail_msg("%s: G %s, D %s (expected %s, %s)",
			    row[i].name, status(w, "G"), status(w, "D"),
			    row[i].g, row[i].d);
		unload(w);
	}
}

/* builds_in a group, by continuation: when D runs and in whose state. */
static void
test_truth_table_continuations(void **state)
{
	static const struct {
		const char *name, *cont, *members, *state_from;
	} row[] = {
		{ "continue_in K", ",\"continue_in\":\"G/k\"",
		    CMD("G/k") "," CMD("G/b"), "G/k" },
		{ "continue: join", ",\"continue\":\"join\"",
		    CMD("G/a") "," CMD("G/b"), NULL },
		{ "one leaf", "", CMD("G/a") "," CMDX("G/l",
		    "\"builds_in\":\"G/a\""), "G/l" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(row) / sizeof(row[0]); i++) {
		char json[2048];
		struct world *w;
		struct step *d;

		snprintf(json, sizeof(json), DOC(GROUP("G", "%s", "%s") ","
		    CMDX("D", "\"builds_in\":\"G\"")), row[i].cont,
		    row[i].members);
		/* D waits for every member and runs when the group passed */
		w = load(json, true, "");
		d = plan_step(&w->r.plan, "D", false);
		assert_non_null(d);
		if (row[i].state_from)
			assert_string_equal(d->state_from, row[i].state_from);
		run_all(w);
		assert_string_equal(status(w, "D"), "passed");
		unload(w);
		/* and is skipped when it failed */
		w = load(json, true, "G/b=fail G/l=fail G/k=fail");
		run_all(w);
		if (strcmp(status(w, "D"), "skipped") != 0)
			fail_msg("%s: D %s when the group failed", row[i].name,
			    status(w, "D"));
		unload(w);
	}
}

/* The `each` table: replicas per leaf, and what depends on them all. */
static void
test_truth_table_each(void **state)
{
	static const struct {
		const char *outcomes;
		const char *d1, *d2, *t1, *t2, *u, *g;
	} row[] = {
		{ "", "passed", "passed", "passed", "passed", "passed",
		    "passed" },
		{ "G/L2=fail", "passed", "skipped", "passed", "skipped",
		    "skipped", "failed" },
		{ "G/L1=fail G/L2=fail", "skipped", "passed", "skipped",
		    "passed", "skipped", "failed" },
		{ "X=fail", "skipped", "passed", "skipped", "passed",
		    "skipped", "skipped" },
	};
	const char *json = DOC(CMD("X") "," GROUP("G",
	    ",\"continue\":\"each\"", CMDX("G/L1", "\"builds_in\":null,"
	    "\"depends_on\":[\"X\"]") "," CMDX("G/L2", "\"builds_in\":null,"
	    "\"soft_fail\":true")) "," CMDX("D", "\"builds_in\":\"G\"") ","
	    CMDX("T", "\"builds_in\":\"D\"") "," CMDX("U", "\"builds_in\":null,"
	    "\"depends_on\":[\"D\"]"));
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(row) / sizeof(row[0]); i++) {
		struct world *w = load(json, true, row[i].outcomes);

		/* L2 has soft_fail; in row 2 it fails hard */
		if (i == 1)
			w->doc->steps[1]->steps[1]->soft_fail = false;
		run_all(w);
		if (strcmp(status(w, "D@G/L1"), row[i].d1) ||
		    strcmp(status(w, "D@G/L2"), row[i].d2) ||
		    strcmp(status(w, "T@G/L1"), row[i].t1) ||
		    strcmp(status(w, "T@G/L2"), row[i].t2) ||
		    strcmp(status(w, "U"), row[i].u) ||
		    strcmp(status(w, "G"), row[i].g))
			fail_msg("row %zu: D@L1 %s D@L2 %s T@L1 %s T@L2 %s U %s "
			    "G %s", i + 1, status(w, "D@G/L1"),
			    status(w, "D@G/L2"), status(w, "T@G/L1"),
			    status(w, "T@G/L2"), status(w, "U"),
			    status(w, "G"));
		unload(w);
	}
}

static void
test_retry(void **state)
{
	struct world *w = load(DOC(CMDX("a", "\"builds_in\":null,\"retry\":2")
	    "," CMDX("b", "\"builds_in\":\"a\"")), true, "a=fail,timeout,pass");

	(void)state;
	run_all(w);
	assert_string_equal(w->told, "a:failed+retry a:timed_out+retry "
	    "a:passed b:passed ");
	assert_int_equal(plan_step(&w->r.plan, "a", false)->attempt, 3);
	unload(w);
	/* retries exhausted: failed, and a dependent sees the last only */
	w = load(DOC(CMDX("a", "\"builds_in\":null,\"retry\":1") ","
	    CMDX("b", "\"builds_in\":\"a\"")), true, "a=fail,fail");
	run_all(w);
	assert_string_equal(w->told, "a:failed+retry a:failed b:skipped! ");
	unload(w);
	/* soft_fail applies to the last attempt */
	w = load(DOC(CMDX("a", "\"builds_in\":null,\"retry\":1,"
	    "\"soft_fail\":true") "," CMDX("b", "\"builds_in\":\"a\"")), false,
	    "a=timeout,timeout");
	run_all(w);
	assert_string_equal(w->told, "a:timed_out+retry a:soft_failed "
	    "b:passed ");
	assert_false(w->r.plan.failed);
	unload(w);
}

static void
test_timeout(void **state)
{
	struct world *w = load(DOC(CMD("a") "," CMDX("b",
	    "\"builds_in\":\"a\"")), true, "a=timeout");
	struct step *a;

	(void)state;
	run_all(w);
	a = plan_step(&w->r.plan, "a", false);
	assert_int_equal(a->status, ST_FAILED);
	assert_true(a->timed_out);
	assert_string_equal(w->told, "a:timed_out b:skipped! ");
	assert_true(w->r.plan.failed);
	unload(w);
}

/* Without -k a hard failure cancels what has not started, except what
 * stands behind a continue_on_failure wait; with -k all runs. */
static void
test_keep_going(void **state)
{
	const char *json = DOC(CMD("a") "," CMD("b") "," WAITC "," CMD("c"));
	struct world *w = load(json, false, "a=fail");

	(void)state;
	run_all(w);
	assert_string_equal(w->told, "a:failed b:canceled! c:passed ");
	unload(w);
	w = load(json, true, "a=fail");
	run_all(w);
	assert_string_equal(w->told, "a:failed b:passed c:passed ");
	unload(w);
	/* a soft failure does not stop the run */
	w = load(DOC(CMDX("a", "\"builds_in\":null,\"soft_fail\":true") ","
	    CMD("b")), false, "a=fail");
	run_all(w);
	assert_string_equal(w->told, "a:soft_failed b:passed ");
	assert_false(w->r.plan.failed);
	unload(w);
}

/* SIGINT: the queue is canceled, running attempts end canceled (no
 * retry), and nothing new starts. */
static void
test_interrupt(void **state)
{
	struct world *w = load(DOC(CMDX("a", "\"builds_in\":null,\"retry\":3")
	    "," CMD("b") "," CMD("c") "," WAITC "," CMD("d")), true,
	    "a=fail b=pass");
	struct step *a, *b;

	(void)state;
	a = plan_next(&w->r.plan);
	plan_started(&w->r.plan, a);
	b = plan_next(&w->r.plan);
	plan_started(&w->r.plan, b);
	plan_interrupt(&w->r.plan, SIGINT);
	assert_string_equal(w->told, "c:canceled! ");
	assert_null(plan_next(&w->r.plan));
	finish(w, a);
	finish(w, b);
	plan_cancel_rest(&w->r.plan);
	assert_string_equal(status(w, "a"), "canceled");
	assert_string_equal(status(w, "b"), "passed");
	assert_string_equal(status(w, "d"), "canceled");
	assert_int_equal(a->attempt, 1);
	assert_int_equal(w->r.plan.interrupted, SIGINT);
	unload(w);
}

/*
 * The queue walk of a stop: canceling a queued step can make a step
 * behind a continue_on_failure wait ready, and queueing it can move the
 * queue (when its tail reached the end). A walk by index then skipped
 * the entry after, which ran although the run was stopping.
 */
static void
test_stop_queue_walk(void **state)
{
	struct world *w = load(DOC(CMDX("R", "\"builds_in\":null,"
	    "\"retry\":50") "," CMD("S") "," CMD("F") "," GROUP("G", "",
	    CMDX("G/x", "\"builds_in\":null,\"depends_on\":[\"S\"]") "," WAITC
	    "," CMD("G/y")) "," CMDX("Z", "\"builds_in\":null,"
	    "\"depends_on\":[\"S\"]")), false, "R=fail F=fail");
	struct plan *p = &w->r.plan;
	struct step *r, *s, *f;

	(void)state;
	r = plan_next(p);
	s = plan_next(p);
	f = plan_next(p);
	assert_string_equal(r->key, "R");
	assert_string_equal(s->key, "S");
	assert_string_equal(f->key, "F");
	plan_started(p, s);
	plan_started(p, f);
	/* R's retries push the queue's tail towards its end */
	plan_started(p, r);
	finish(w, r);
	while (p->qtail != (size_t)p->g.n - 1) {
		assert_ptr_equal(plan_next(p), r);
		plan_started(p, r);
		finish(w, r);
	}
	/* S passes: G/x and Z are queued, the tail is at the end */
	finish(w, s);
	assert_int_equal(p->qtail, p->g.n + 1);
	/* F fails: the stop cancels R, G/x (which queues G/y) and Z */
	finish(w, f);
	assert_int_equal(p->qhead, 0);	/* the queue moved */
	assert_string_equal(status(w, "G/x"), "canceled");
	assert_string_equal(status(w, "Z"), "canceled");
	assert_ptr_equal(plan_next(p), plan_step(p, "G/y", false));
	assert_null(plan_next(p));
	unload(w);
}

/* A dynamic step: judged as a command before its bake; its expansion
 * rebuilds the graph and the state carries over by key. */
static void
test_dynamic(void **state)
{
	const char *json = DOC(CMD("build") ",{\"type\":\"command\",\"key\":"
	    "\"dyn\",\"eval\":{\"type\":\"dynamic\",\"target_name\":\"t\"},"
	    "\"builds_in\":\"build\"}," CMDX("test", "\"builds_in\":\"dyn\"")
	    "," CMDX("after", "\"builds_in\":null,\"depends_on\":[\"test\"]"));
	const char *frag = DOC(CMD("dyn/one") "," CMDX("dyn/two",
	    "\"builds_in\":\"dyn/one\""));
	struct world *w = load(json, true, "");
	struct step *s, *build;
	struct job j;

	(void)state;
	build = plan_next(&w->r.plan);
	plan_started(&w->r.plan, build);
	finish(w, build);
	s = plan_next(&w->r.plan);
	assert_string_equal(s->key, "dyn");
	assert_true(s->dynamic);
	plan_started(&w->r.plan, s);
	memset(&j, 0, sizeof(j));
	j.frag = (char *)frag;
	j.nfrag = strlen(frag);
	assert_int_equal(bake_expand(&w->r, s, &j), 0);
	assert_true(s->expanded);
	s->exit_code = 0;
	plan_attempt_done(&w->r.plan, s, true);
	run_all(w);
	assert_string_equal(w->told, "build:passed dyn:passed dyn/one:passed "
	    "dyn/two:passed test:passed after:passed ");
	/* carried over by key: build ran once, and test built in dyn/two */
	assert_int_equal(build->attempt, 1);
	assert_string_equal(plan_step(&w->r.plan, "test", false)->state_from,
	    "dyn/two");
	assert_int_equal(w->r.plan.ndone, 6);
	assert_int_equal(w->r.plan.ntotal, 6);
	unload(w);

	/* a failed bake fails the placeholder, with soft_fail soft */
	w = load(json, true, "dyn=fail");
	run_all(w);
	assert_string_equal(w->told, "build:passed dyn:failed test:skipped! "
	    "after:skipped! ");
	unload(w);
}

/* The counters of the status line follow every change. */
static void
test_counters(void **state)
{
	struct world *w = load(DOC(CMD("a") "," CMD("b") "," CMDX("c",
	    "\"builds_in\":\"a\"")), true, "a=fail");
	struct step *a;

	(void)state;
	assert_int_equal(w->r.plan.ntotal, 3);
	assert_int_equal(w->r.plan.ndone, 0);
	a = plan_next(&w->r.plan);
	plan_started(&w->r.plan, a);
	assert_int_equal(w->r.plan.nrunning, 1);
	finish(w, a);
	assert_int_equal(w->r.plan.nrunning, 0);
	assert_int_equal(w->r.plan.ndone, 2);	/* a failed, c skipped */
	run_all(w);
	assert_int_equal(w->r.plan.ndone, 3);
	unload(w);
}

/* -n's stages: linear in the graph, the longest chain of steps. */
static void
test_stages(void **state)
{
	struct world *w = load(DOC(CMD("a") "," CMD("b") "," WAIT ","
	    CMDX("c", "\"builds_in\":null,\"depends_on\":[\"a\"]") ","
	    CMDX("d", "\"builds_in\":\"c\"")), true, "");
	uint32_t *stage, n = plan_stages(&w->r.plan, &stage);
	const struct graph *g = &w->r.plan.g;

	(void)state;
	assert_int_equal(n, 3);
	assert_int_equal(stage[graph_find(g, "a")], 1);
	assert_int_equal(stage[graph_find(g, "b")], 1);
	assert_int_equal(stage[graph_find(g, "c")], 2);
	assert_int_equal(stage[graph_find(g, "d")], 3);
	free(stage);
	unload(w);
}

/*
 * Growing the plan by parts (ir_check_splice, plan_splice) against
 * building it again (ir_check, plan_build), as bake_expand does one or
 * the other: each case runs at -j1 up to its placeholder, expands it
 * both ways and compares. The grown graph must be the one graph_build
 * makes of the same document (numbering aside), and the document must
 * pass ir_check as it stands; then both plans must hold the same steps
 * in the same states, queued in the same order, and tell the same story
 * to the end.
 */
#define DYN(k, x) "{\"type\":\"command\",\"key\":\"" k "\",\"eval\":" \
	"{\"type\":\"dynamic\",\"target_name\":\"t\"" x "}," \
	"\"builds_in\":null}"
#define DYNB(k, x, b) "{\"type\":\"command\",\"key\":\"" k "\",\"eval\":" \
	"{\"type\":\"dynamic\",\"target_name\":\"t\"" x "}," b "}"
#define FRAG(x, s) "{\"version\":\"1\"" x ",\"steps\":[" s "]}"

/* Run w at -j1 until ph is taken; ph is started and left running. */
static struct step *
run_to(struct world *w, const char *ph)
{
	struct step *s;

	while ((s = plan_next(&w->r.plan))) {
		plan_started(&w->r.plan, s);
		if (strcmp(s->key, ph) == 0)
			return s;
		finish(w, s);
	}
	fail_msg("placeholder '%s' never became ready", ph);
	return NULL;
}

/* Expand rec by frag; by parts if parts, which must be possible if
 * want_parts. */
static void
expand(struct world *w, struct step *rec, const char *frag, bool parts,
    bool want_parts)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct ir_doc *f = ir_load_buf(frag, strlen(frag), "f.json", NULL,
	    &dl);
	struct ir_splice sp;
	bool by_parts;

	assert_non_null(f);
	assert_int_equal(ir_splice(w->doc, rec->ir, f, &sp, &dl), 0);
	by_parts = parts && ir_check_splice(w->doc, &sp) == 0 &&
	    plan_splice(&w->r.plan, sp.group) == 0;
	if (parts)
		assert_int_equal(by_parts, want_parts);
	if (!by_parts && (ir_check(w->doc, 0, &dl) < 0 ||
	    plan_build(&w->r.plan, w->doc, &dl) < 0))
		fail_msg("does not expand: %s", dl.n ? dl.items[0].msg : "");
	assert_int_equal(dl.n, 0);
	rec->expanded = true;
	rec->ir = sp.placeholder;
	w->r.frags = realloc(w->r.frags, (w->r.nfrags + 1) *
	    sizeof(*w->r.frags));
	assert_non_null(w->r.frags);
	w->r.frags[w->r.nfrags++] = f;
	diag_list_release(&dl);
}

/* The grown graph is graph_build's, before and after ir_check. */
static void
same_as_built(struct world *w, const char *name)
{
	struct diag_list dl = DIAG_LIST_INIT;
	const char *d;
	struct graph g;
	char why[256];
	int pass;

	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			assert_int_equal(ir_check(w->doc, 0, &dl), 0);
		assert_int_equal(graph_build(&g, w->doc, &dl), 0);
		if ((d = graph_diff(&w->r.plan.g, &g, why, sizeof(why))))
			fail_msg("%s: grown and built graphs differ%s: %s",
			    name, pass ? " after ir_check" : "", d);
		graph_release(&g);
	}
	diag_list_release(&dl);
}

/* The ready steps in the order they are queued: "a b c ". */
static void
queued(struct world *w, char *out, size_t n)
{
	const struct plan *p = &w->r.plan;
	size_t i, len = 0;

	out[0] = '\0';
	for (i = p->qhead; i < p->qtail && len < n; i++) {
		const struct step *s = p->step[p->queue[i]];

		if (s && s->status == ST_READY)
			len += (size_t)snprintf(out + len, n - len, "%s ",
			    s->key);
	}
}

/* Both plans have the same records in the same states and places. */
static void
same_plans(struct world *a, struct world *b, const char *name)
{
	const struct plan *p = &a->r.plan, *q = &b->r.plan;
	char qa[1024], qb[1024];
	size_t i;

	assert_int_equal(p->nsteps, q->nsteps);
	for (i = 0; i < p->nsteps; i++) {
		const struct step *s = p->steps[i];
		const struct step *t = plan_step(&b->r.plan, s->key, false);

		if (!t)
			fail_msg("%s: no step '%s' by parts", name, s->key);
		assert_int_equal(s->status, t->status);
		assert_int_equal(s->attempt, t->attempt);
		assert_int_equal(s->node == GRAPH_NONE, t->node == GRAPH_NONE);
		assert_string_equal(s->label, t->label);
		if (s->node != GRAPH_NONE)
			assert_int_equal(p->g.nodes[s->node].kind,
			    q->g.nodes[t->node].kind);
		if (!s->state_from || !t->state_from)
			assert_ptr_equal(s->state_from, t->state_from);
		else
			assert_string_equal(s->state_from, t->state_from);
		assert_string_equal(s->ir->key, t->ir->key);
		assert_int_equal(s->ir->type, t->ir->type);
	}
	assert_int_equal(p->ntotal, q->ntotal);
	assert_int_equal(p->ndone, q->ndone);
	assert_int_equal(p->nrunning, q->nrunning);
	queued(a, qa, sizeof(qa));
	queued(b, qb, sizeof(qb));
	if (strcmp(qa, qb) != 0)
		fail_msg("%s: queued '%s' rebuilt, '%s' by parts", name, qa,
		    qb);
}

static void
test_splice_by_parts(void **state)
{
	static const struct {
		const char *name, *doc, *ph, *frag, *outcomes;
		bool parts;	/* expected by parts */
	} cases[] = {
		{ "one leaf", DOC(CMD("build") "," DYNB("v", "",
		    "\"builds_in\":\"build\"") "," CMDX("test",
		    "\"builds_in\":\"v\"") "," CMDX("after",
		    "\"builds_in\":null,\"depends_on\":[\"test\"]")), "v",
		    FRAG("", CMD("v/only")), "", true },
		{ "join", DOC(CMD("build") "," DYNB("v",
		    ",\"continue\":\"join\"", "\"builds_in\":\"build\"") ","
		    CMDX("test", "\"builds_in\":\"v\"")), "v",
		    FRAG("", CMD("v/a") "," CMD("v/b") "," CMD("v/c")), "",
		    true },
		{ "each", DOC(CMD("build") "," DYNB("v",
		    ",\"continue\":\"each\"", "\"builds_in\":\"build\"") ","
		    CMDX("test", "\"builds_in\":\"v\"")), "v",
		    FRAG("", CMD("v/a") "," CMD("v/b")), "", false },
		{ "continue_in", DOC(CMD("build") "," DYNB("v", "",
		    "\"builds_in\":\"build\"") "," CMDX("test",
		    "\"builds_in\":\"v\"")), "v",
		    FRAG(",\"continue_in\":\"v/b\"", CMD("v/a") "," CMD("v/b")),
		    "", true },
		{ "nested placeholder", DOC(DYNB("v", ",\"continue\":\"join\"",
		    "\"builds_in\":null") "," CMDX("test",
		    "\"builds_in\":\"v\"")), "v", FRAG("", CMD("v/unit") ","
		    DYN("v/inner", ",\"continue\":\"join\"")), "", true },
		{ "in a group, waits around", DOC(GROUP("G", "", CMD("G/a") ","
		    DYN("G/v", "") "," WAIT "," CMDX("G/b",
		    "\"builds_in\":\"G/v\"")) "," CMDX("c",
		    "\"builds_in\":null,\"depends_on\":[\"G\"]")), "G/v",
		    FRAG("", CMD("G/v/x") "," WAITC "," CMDX("G/v/y",
		    "\"builds_in\":\"G/v/x\"")), "", true },
		{ "groups start in it", DOC(DYN("v", "") "," CMD("o") ","
		    GROUP("H", ",\"builds_in\":\"v\",\"continue\":\"join\"",
		    CMDX("H/y", "\"builds_in\":\"o\"") "," GROUP("H/n", "",
		    CMDX("H/n/z", "\"builds_in\":\"o\""))) "," CMDX("t",
		    "\"builds_in\":\"H\"")), "v",
		    FRAG(",\"continue_in\":\"v/b\"", CMD("v/a") "," CMD("v/b")),
		    "", true },
		{ "a leaf of an each group", DOC(GROUP("E",
		    ",\"continue\":\"each\"", CMD("E/e") "," DYN("E/v", ""))
		    "," CMDX("r", "\"builds_in\":\"E\"") "," CMDX("r2",
		    "\"builds_in\":\"r\"")), "E/v",
		    FRAG("", CMD("E/v/a") "," CMDX("E/v/b",
		    "\"builds_in\":\"E/v/a\"")), "", true },
		{ "inside: refs, waits, groups", DOC(DYN("v", "") "," CMDX("t",
		    "\"builds_in\":\"v\"")), "v", FRAG(",\"continue_in\":"
		    "\"v/g\"", CMD("v/a") "," CMDX("v/b", "\"builds_in\":"
		    "\"v/a\",\"depends_on\":[\"v/a\"]") "," WAIT ","
		    GROUP("v/g", ",\"builds_in\":\"v/b\",\"continue\":"
		    "\"join\"", CMD("v/g/c") "," WAIT "," CMD("v/g/d"))), "",
		    true },
		{ "a reference out", DOC(CMD("build") "," DYN("v", "") ","
		    CMDX("t", "\"builds_in\":\"v\"")), "v",
		    FRAG("", CMDX("v/a", "\"builds_in\":\"build\"")), "",
		    false },
		{ "queue out of order", DOC(CMDX("q1", "\"builds_in\":null,"
		    "\"retry\":1") "," CMD("q2") "," DYN("v",
		    ",\"continue\":\"join\"") "," CMD("q3")
		    "," CMDX("t", "\"builds_in\":\"v\"")), "v",
		    FRAG("", CMD("v/a") "," CMD("v/b")), "q1=fail,pass", true },
		{ "stopping", DOC(CMD("f") "," DYN("v", "") "," WAITC ","
		    CMDX("t", "\"builds_in\":\"v\"")), "v",
		    FRAG("", CMD("v/a") "," WAIT "," CMD("v/b")), "f=fail v/a=fail",
		    true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct world *a = load(cases[i].doc, true, cases[i].outcomes);
		struct world *b = load(cases[i].doc, true, cases[i].outcomes);
		struct step *ra = run_to(a, cases[i].ph);
		struct step *rb = run_to(b, cases[i].ph);

		expand(a, ra, cases[i].frag, false, false);
		expand(b, rb, cases[i].frag, true, cases[i].parts);
		same_plans(a, b, cases[i].name);
		ra->exit_code = rb->exit_code = 0;
		plan_attempt_done(&a->r.plan, ra, true);
		plan_attempt_done(&b->r.plan, rb, true);
		same_plans(a, b, cases[i].name);
		run_all(a);
		run_all(b);
		if (strcmp(a->told, b->told) != 0)
			fail_msg("%s: told\n%s\nrebuilt, and\n%s\nby parts",
			    cases[i].name, a->told, b->told);
		same_as_built(b, cases[i].name);
		unload(a);
		unload(b);
	}
}

/* An expansion inside an expansion, both by parts, against rebuilding. */
static void
test_splice_nested(void **state)
{
	const char *doc = DOC(CMD("build") "," DYNB("v",
	    ",\"continue\":\"join\"", "\"builds_in\":\"build\"") ","
	    CMDX("test", "\"builds_in\":\"v\""));
	const char *outer = FRAG("", CMD("v/unit") "," CMD("v/x") ","
	    DYNB("v/inner", ",\"continue\":\"join\"",
	    "\"builds_in\":\"v/unit\""));
	const char *inner = FRAG("", CMD("v/inner/a") "," WAIT ","
	    CMD("v/inner/b"));
	struct world *a = load(doc, true, ""), *b = load(doc, true, "");
	struct step *ra = run_to(a, "v"), *rb = run_to(b, "v");

	(void)state;
	expand(a, ra, outer, false, false);
	expand(b, rb, outer, true, true);
	ra->exit_code = rb->exit_code = 0;
	plan_attempt_done(&a->r.plan, ra, true);
	plan_attempt_done(&b->r.plan, rb, true);
	ra = run_to(a, "v/inner");
	rb = run_to(b, "v/inner");
	expand(a, ra, inner, false, false);
	expand(b, rb, inner, true, true);
	same_plans(a, b, "nested");
	same_as_built(b, "nested");
	ra->exit_code = rb->exit_code = 0;
	plan_attempt_done(&a->r.plan, ra, true);
	plan_attempt_done(&b->r.plan, rb, true);
	run_all(a);
	run_all(b);
	assert_string_equal(a->told, b->told);
	unload(a);
	unload(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_truth_table_edges),
		cmocka_unit_test(test_several_edges),
		cmocka_unit_test(test_truth_table_groups),
		cmocka_unit_test(test_truth_table_continuations),
		cmocka_unit_test(test_truth_table_each),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_keep_going),
		cmocka_unit_test(test_interrupt),
		cmocka_unit_test(test_stop_queue_walk),
		cmocka_unit_test(test_dynamic),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_stages),
		cmocka_unit_test(test_splice_by_parts),
		cmocka_unit_test(test_splice_nested),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
