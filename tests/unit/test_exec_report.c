/* hm: unit tests for the HTML report and the Chrome trace writers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "json.h"
#include "report.h"

/*
 * A made-up run of the shape a real one has: a build, a dynamic step
 * whose bake expanded into two shards, a replicated report per shard
 * (one failed after a retry with a compiler's error in its excerpt),
 * a skipped upload and a canceled step.
 */
static const struct report_attempt a_build[] = {
	{ 0.0, 2.5, 0, 1, "passed" } };
static const struct report_attempt a_bake[] = {
	{ 2.5, 2.9, 0, 1, "passed" } };
static const struct report_attempt a_s1[] = {
	{ 2.9, 6.0, 0, 1, "passed" } };
static const struct report_attempt a_s2[] = {
	{ 2.9, 5.0, 1, 1, "failed" }, { 5.0, 7.5, 1, 2, "passed" } };
static const struct report_attempt a_r1[] = {
	{ 6.0, 6.4, 0, 1, "passed" } };
static const struct report_attempt a_r2[] = {
	{ 7.5, 8.0, 1, 1, "failed" } };
static const uint32_t p_bake[] = { 0 }, p_s[] = { 1 }, p_r1[] = { 2 },
    p_r2[] = { 3 }, p_up[] = { 4, 5 };

static const struct report_step steps[] = {
	{ "build", "build", false, "passed", NULL, a_build, 1, NULL, NULL,
	    NULL, 0 },
	{ "shards", "shards", true, "passed", NULL, a_bake, 1, NULL, NULL,
	    p_bake, 1 },
	{ "shards/1", "shard 1", false, "passed", NULL, a_s1, 1, NULL, NULL,
	    p_s, 1 },
	{ "shards/2", "shard 2", false, "passed", NULL, a_s2, 2,
	    "FAILED test_net (flaky)", ".hm/logs/r/shards%2.log", p_s, 1 },
	{ "report@shards/1", "report (shard 1)", false, "passed", NULL, a_r1,
	    1, NULL, NULL, p_r1, 1 },
	{ "report@shards/2", "report (shard 2)", false, "failed",
	    "exit status 2", a_r2, 1,
	    "[...]\nr.c:3:5: error: expected ';' <before> \"return\" & \033[1mbold"
	    "\033[0m\nmake: *** [Makefile:2: r.o] Error 1",
	    ".hm/logs/r/report@shards%2.log", p_r2, 1 },
	{ "upload", "upload", false, "skipped", NULL, NULL, 0, NULL, NULL,
	    p_up, 2 },
	{ "notify", "notify", false, "canceled", NULL, NULL, 0, NULL, NULL,
	    NULL, 0 },
};

static const struct report run = {
	"ci", "20261205T080000Z-42", "2026-12-05T08:00:00Z", "failed", 8.1, 2,
	steps, sizeof(steps) / sizeof(steps[0])
};

/* The text between the first `from` after `start` and the next `to`. */
static char *
between(const char *s, const char *from, const char *to)
{
	const char *a = strstr(s, from), *b;
	char *r;

	assert_non_null(a);
	a += strlen(from);
	b = strstr(a, to);
	assert_non_null(b);
	r = malloc((size_t)(b - a) + 1);
	memcpy(r, a, (size_t)(b - a));
	r[b - a] = '\0';
	return r;
}

static void
test_html(void **state)
{
	size_t len, i;
	char *html = report_html(&run, &len), *tl, *want, *graph, path[512];
	FILE *f;

	(void)state;
	assert_non_null(html);
	assert_int_equal(strlen(html), len);
	/* self-contained: no script, nothing fetched */
	assert_null(strstr(html, "<script"));
	for (want = html; (want = strstr(want, "http")); want++)
		assert_memory_equal(want, "http://www.w3.org/2000/svg", 26);
	assert_null(strstr(html, "<link"));
	assert_null(strstr(html, "<img"));
	/* every step in the timeline and in the graph, with its status */
	tl = between(html, "<section id=\"timeline\">", "</section>");
	graph = between(html, "<section id=\"graph\">", "</section>");
	for (i = 0; i < run.nsteps; i++) {
		want = malloc(256);
		snprintf(want, 256, "data-key=\"%s\" data-status=\"%s\"",
		    steps[i].key, steps[i].status);
		assert_non_null(strstr(tl, want));
		assert_non_null(strstr(graph, want));
		free(want);
	}
	/* a bar per attempt: 7 attempts, the bake's hatched */
	for (i = 0, want = tl; (want = strstr(want, "<rect class=\"bar"));
	    want++)
		i++;
	assert_int_equal(i, 7);
	assert_non_null(strstr(tl, "<rect class=\"bar bake\""));
	assert_non_null(strstr(tl, "fill=\"url(#hatch)\""));
	/* an edge per predecessor */
	for (i = 0, want = graph; (want = strstr(want, "class=\"edge\""));
	    want++)
		i++;
	assert_int_equal(i, 7);
	/* the excerpt escaped, its colour codes gone, collapsed */
	assert_non_null(strstr(html, "error: expected &#39;;&#39; &lt;before&gt;"
	    " &quot;return&quot; &amp; bold\nmake: *** [Makefile:2: r.o] "
	    "Error 1</pre>"));
	assert_null(strstr(html, "\033"));
	assert_null(strstr(html, "<details open"));
	/* failures first among the steps */
	assert_true(strstr(html, "<details class=\"step\" data-key=\""
	    "report@shards/2\"") < strstr(html, "<details class=\"step\" "
	    "data-key=\"build\""));
	/* the summary counts */
	assert_non_null(strstr(html, "5 passed</li>"));
	assert_non_null(strstr(html, "1 failed</li>"));
	assert_non_null(strstr(html, "1 skipped</li>"));
	assert_non_null(strstr(html, "1 canceled</li>"));
	/* a sample for the browser test and people */
	snprintf(path, sizeof(path), "%s/tests/report-sample.html",
	    getenv("O") ? getenv("O") : "build");
	f = fopen(path, "w");
	if (f) {
		fwrite(html, 1, len, f);
		fclose(f);
	}
	free(tl);
	free(graph);
	free(html);
}

/* Columns follow the graph: a step right of everything it follows. */
static void
test_layout(void **state)
{
	size_t len, i, j;
	char *html = report_html(&run, &len), *graph, key[300];
	double x[8];

	(void)state;
	graph = between(html, "<section id=\"graph\">", "</section>");
	for (i = 0; i < run.nsteps; i++) {
		const char *p;

		snprintf(key, sizeof(key), "data-key=\"%s\"", steps[i].key);
		p = strstr(graph, key);
		assert_non_null(p);
		p = strstr(p, "<rect x=\"");
		assert_non_null(p);
		x[i] = atof(p + 9);
	}
	for (i = 0; i < run.nsteps; i++)
		for (j = 0; j < steps[i].npreds; j++)
			assert_true(x[steps[i].preds[j]] < x[i]);
	free(graph);
	free(html);
}

static const char *
member_str(struct json_doc *doc, uint32_t obj, const char *name)
{
	uint32_t k;
	size_t n;

	for (k = json_first(doc, obj); k; k = json_next_member(doc, obj, k))
		if (strcmp(json_str(doc, k, &n), name) == 0)
			return json_type(doc, k + 1) == JSON_STRING ?
			    json_str(doc, k + 1, &n) : json_num(doc, k + 1, &n);
	return NULL;
}

static void
test_trace(void **state)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct json_doc doc;
	size_t len, n = 0, bakes = 0, meta = 0;
	char *t = report_trace(&run, &len), *text;
	uint32_t ev, k;

	(void)state;
	assert_non_null(t);
	text = malloc(len + 2);
	memcpy(text, t, len);
	assert_int_equal(json_parse(&doc, "trace", text, len, &diags), 0);
	k = json_first(&doc, 0);
	assert_string_equal(json_str(&doc, k, &len), "traceEvents");
	for (ev = json_first(&doc, k + 1); ev;
	    ev = json_next_elem(&doc, k + 1, ev)) {
		const char *ph = member_str(&doc, ev, "ph");

		assert_non_null(ph);
		assert_non_null(member_str(&doc, ev, "name"));
		assert_non_null(member_str(&doc, ev, "pid"));
		assert_non_null(member_str(&doc, ev, "tid"));
		if (strcmp(ph, "M") == 0) {
			meta++;
			continue;
		}
		assert_string_equal(ph, "X");
		assert_non_null(member_str(&doc, ev, "ts"));
		assert_non_null(member_str(&doc, ev, "dur"));
		assert_true(atoi(member_str(&doc, ev, "tid")) >= 1);
		assert_true(atoi(member_str(&doc, ev, "tid")) <= 2);
		bakes += strcmp(member_str(&doc, ev, "cat"), "bake") == 0;
		n++;
	}
	assert_int_equal(n, 7);		/* an event per attempt */
	assert_int_equal(bakes, 1);
	assert_int_equal(meta, 3);	/* the process and two lanes */
	assert_non_null(strstr(t, "\"ts\":5000000,\"dur\":2500000"));
	json_doc_release(&doc);
	diag_list_release(&diags);
	free(t);
}

/* A run shorter than a second: every tick of the axis says another time. */
static void
test_short_axis(void **state)
{
	static const struct report_attempt a[] = {
		{ 0.0, 0.31, 0, 1, "passed" } };
	static const struct report_step one[] = {
		{ "build", "build", false, "passed", NULL, a, 1, NULL, NULL,
		    NULL, 0 } };
	static const struct report r = {
		"ci", "20261205T080000Z-42", "2026-12-05T08:00:00Z", "passed",
		0.31, 1, one, 1
	};
	size_t len, n = 0, i, j;
	char *html = report_html(&r, &len), *axis, *p, *q, label[8][16];

	(void)state;
	assert_non_null(html);
	axis = between(html, "<g class=\"axis\">", "</g>");
	for (p = axis; (p = strstr(p, "<text")) && n < 8; p = q) {
		p = strchr(p, '>') + 1;
		q = strstr(p, "</text>");
		assert_non_null(q);
		assert_true(q - p < 16);
		memcpy(label[n], p, (size_t)(q - p));
		label[n++][q - p] = '\0';
	}
	assert_true(n >= 4);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			assert_string_not_equal(label[i], label[j]);
	free(axis);
	free(html);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_short_axis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
