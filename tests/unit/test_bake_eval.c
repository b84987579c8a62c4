/* hm: unit tests for hm-bake's evaluator: slugs, substitution, values, keys, conditionals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "bake.h"
#include "def.h"
#include "diag.h"
#include "ir.h"
#include "ir_check.h"
#include "ytree.h"

/* Bake text (a definition) statically, or --target when target is set. */
static struct ir_doc *
bake_text(const char *text, const char *target, char **env,
    struct diag_list *d)
{
	struct ir_doc *doc = ir_doc_new("t.yml");
	const struct ynode *root;
	struct def def;
	struct bake b;
	int ret;

	assert_non_null(doc);
	memset(&def, 0, sizeof(def));
	def.a = doc->arena;
	def.doc = doc;
	def.file = "t.yml";
	root = ytree_load(doc->arena, "t.yml", text, strlen(text), d);
	if (!root || def_parse(&def, root, d) || d->errors) {
		def_release(&def);
		ir_doc_free(doc);
		return NULL;
	}
	bake_init(&b, &def, doc, d, env);
	if (target)
		ret = bake_target(&b, def_target(&def, target), target);
	else
		ret = bake_pipeline(&b, bake_pick(&b, NULL));
	bake_release(&b);
	def_release(&def);
	if (ret || d->errors) {
		ir_doc_free(doc);
		return NULL;
	}
	return doc;
}

static void
test_slugify(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(bake_slugify("Build & Test!", buf, 63), 10);
	assert_string_equal(buf, "build-test");
	bake_slugify("  --A--b--  ", buf, 63);
	assert_string_equal(buf, "a-b");
	assert_int_equal(bake_slugify("!!!", buf, 63), 0);
	bake_slugify("abcdef", buf, 3);
	assert_string_equal(buf, "abc");
	bake_slugify("ab cd", buf, 3);
	assert_string_equal(buf, "ab");	/* no trailing dash */
}

static void
test_subst(void **state)
{
	struct arena *a = arena_new();
	struct binding y = { "y", "2", NULL }, x = { "x", "one", &y };
	const char *bad = NULL, *s;

	(void)state;
	s = "no expressions";
	assert_ptr_equal(bake_subst(a, s, &x, &bad), s);
	assert_string_equal(bake_subst(a, "a ${{ matrix.x }} b ${{matrix.y}}",
	    &x, &bad), "a one b 2");
	assert_string_equal(bake_subst(a, "${{ matrix.x }}${{ matrix.x }}", &x,
	    &bad), "oneone");
	assert_null(bake_subst(a, "${{ matrix.z }}", &x, &bad));
	assert_string_equal(bad, "${{ matrix.z }}");
	assert_null(bake_subst(a, "${{ env.HOME }}", &x, &bad));
	assert_null(bake_subst(a, "x ${{ matrix.x", &x, &bad));
	assert_null(bake_subst(a, "${{ matrix.x }}", NULL, &bad));
	/* a shell's ${VAR} is left alone */
	s = "echo ${HOME} $((1 + 2))";
	assert_ptr_equal(bake_subst(a, s, &x, &bad), s);
	arena_free(a);
}

static void
test_oref_parse(void **state)
{
	struct oref r;
	const char *e;

	(void)state;
	e = "outputs.checks/detect.shards";
	assert_int_equal(bake_oref_parse(e, strlen(e), &r), 0);
	assert_int_equal(r.steplen, strlen("checks/detect"));
	assert_memory_equal(r.step, "checks/detect", r.steplen);
	assert_int_equal(r.namelen, 6);
	assert_memory_equal(r.name, "shards", 6);
	/* a key may hold dots: the name is after the last one */
	e = "outputs.py3.12.n";
	assert_int_equal(bake_oref_parse(e, strlen(e), &r), 0);
	assert_int_equal(r.steplen, 6);
	e = "outputs.detect";
	assert_int_equal(bake_oref_parse(e, strlen(e), &r), -1);
	e = "outputs.a//b.x";
	assert_int_equal(bake_oref_parse(e, strlen(e), &r), -1);
	e = "outputs.a.";
	assert_int_equal(bake_oref_parse(e, strlen(e), &r), -1);
	e = "outputs.a.x y";
	assert_int_equal(bake_oref_parse(e, strlen(e), &r), -1);
	e = "matrix.x";
	assert_int_equal(bake_oref_parse(e, strlen(e), &r), -1);
}

static void
test_sh_quote(void **state)
{
	char buf[64];

	(void)state;
	buf[bake_sh_quote("a-b_1.2", buf)] = '\0';
	assert_string_equal(buf, "a-b_1.2");
	buf[bake_sh_quote("1;rm -rf ~", buf)] = '\0';
	assert_string_equal(buf, "'1;rm -rf ~'");
	buf[bake_sh_quote("it's", buf)] = '\0';
	assert_string_equal(buf, "'it'\\''s'");
	buf[bake_sh_quote("", buf)] = '\0';
	assert_string_equal(buf, "''");
}

static void
test_split_values(void **state)
{
	struct arena *a = arena_new();
	struct diag_list d = DIAG_LIST_INIT;
	const char **v, *why = NULL;

	(void)state;
	assert_int_equal(bake_split_values(a, "f", " 1 2,3\n4 ", &v, &why, &d),
	    4);
	assert_string_equal(v[0], "1");
	assert_string_equal(v[2], "3");
	assert_string_equal(v[3], "4");
	assert_int_equal(bake_split_values(a, "f", "", &v, &why, &d), 0);
	assert_int_equal(bake_split_values(a, "f", "[a, \"b c\"]", &v, &why,
	    &d), 2);
	assert_string_equal(v[1], "b c");
	assert_int_equal(bake_split_values(a, "f", "[[1]]", &v, &why, &d), -1);
	assert_string_equal(why, "a list");
	assert_int_equal(d.errors, 0);
	assert_int_equal(bake_split_values(a, "f", "[1,", &v, &why, &d), -1);
	assert_true(d.errors > 0);
	diag_list_release(&d);
	arena_free(a);
}

static void
test_duration(void **state)
{
	long long v;

	(void)state;
	assert_int_equal(def_duration("90", &v), 0);
	assert_int_equal(v, 90);
	assert_int_equal(def_duration("5m", &v), 0);
	assert_int_equal(v, 300);
	assert_int_equal(def_duration("2h", &v), 0);
	assert_int_equal(v, 7200);
	assert_int_equal(def_duration("1d", &v), 0);
	assert_int_equal(v, 86400);
	assert_int_equal(def_duration("0", &v), -1);
	assert_int_equal(def_duration("-1", &v), -1);
	assert_int_equal(def_duration("5x", &v), -1);
	assert_int_equal(def_duration("", &v), -1);
	assert_int_equal(def_duration("2147483647", &v), 0);
	assert_int_equal(def_duration("2147483648", &v), -1);
	assert_int_equal(def_duration("24856d", &v), -1);
}

static char *env_bar[] = { "FOO=bar", "PATH=/usr/bin:/bin", NULL };
static char *env_none[] = { "PATH=/usr/bin:/bin", NULL };

static const char switch_def[] =
    "targets:\n"
    "  s:\n"
    "    steps:\n"
    "      - if:\n"
    "          - {env: FOO == \"bar\", then: [{sh: xyz}]}\n"
    "          - {else: [{sh: abc}]}\n"
    "pipelines: {ci: [s]}\n";

static void
test_env_switch(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;

	(void)state;
	doc = bake_text(switch_def, NULL, env_bar, &d);
	assert_non_null(doc);
	assert_int_equal(doc->nsteps, 1);
	assert_int_equal(doc->steps[0]->nsteps, 1);
	assert_string_equal(doc->steps[0]->steps[0]->cmd, "xyz");
	ir_doc_free(doc);
	doc = bake_text(switch_def, NULL, env_none, &d);
	assert_non_null(doc);
	assert_string_equal(doc->steps[0]->steps[0]->cmd, "abc");
	ir_doc_free(doc);
	/* the same as a fragment */
	doc = bake_text(switch_def, "s", env_bar, &d);
	assert_non_null(doc);
	assert_int_equal(doc->nsteps, 1);
	assert_string_equal(doc->steps[0]->key, "s/s-1");
	assert_string_equal(doc->steps[0]->cmd, "xyz");
	ir_doc_free(doc);
	diag_list_release(&d);
}

static void
test_first_match_wins(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;

	(void)state;
	doc = bake_text("targets:\n  t:\n    steps:\n      - if:\n"
	    "          - {set: FOO, then: [{sh: one}]}\n"
	    "          - {sh: 'true', then: [{sh: two}]}\n"
	    "          - {else: [{sh: three}]}\n"
	    "      - if:\n          - {unset: FOO, then: [{sh: never}]}\n"
	    "pipelines: {ci: [t]}\n", "t", env_bar, &d);
	assert_non_null(doc);
	assert_int_equal(doc->nsteps, 1);
	assert_string_equal(doc->steps[0]->cmd, "one");
	ir_doc_free(doc);
	diag_list_release(&d);
}

static void
test_keys_dedup(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;

	(void)state;
	doc = bake_text("targets:\n  t:\n    steps:\n"
	    "      - {sh: a, label: Same}\n"
	    "      - {sh: b, label: same}\n"
	    "      - {sh: c, key: same-2}\n"
	    "      - {sh: d}\n"
	    "pipelines: {ci: [t]}\n", NULL, env_none, &d);
	assert_non_null(doc);
	assert_string_equal(doc->steps[0]->steps[0]->key, "t/same");
	/* explicit keys are taken first: same-2 is not free */
	assert_string_equal(doc->steps[0]->steps[1]->key, "t/same-3");
	assert_string_equal(doc->steps[0]->steps[2]->key, "t/same-2");
	assert_string_equal(doc->steps[0]->steps[3]->key, "t/t-4");
	assert_string_equal(doc->steps[0]->steps[1]->builds_in.key, "t/same");
	ir_doc_free(doc);
	diag_list_release(&d);
}

static void
test_matrix(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;
	struct ir_step *g;

	(void)state;
	doc = bake_text("targets:\n  t:\n    steps:\n"
	    "      - matrix: {a: [x, y], b: {env: BS}}\n"
	    "        steps: [{sh: 'run ${{ matrix.a }}${{ matrix.b }}'}]\n"
	    "pipelines: {ci: [t]}\n", "t",
	    (char *[]){ "BS=1 2 3", NULL }, &d);
	assert_non_null(doc);
	g = doc->steps[0];
	assert_int_equal(g->type, IR_GROUP);
	assert_int_equal(g->nsteps, 6);
	assert_string_equal(g->steps[0]->cmd, "run x1");
	assert_string_equal(g->steps[2]->cmd, "run x3");
	assert_string_equal(g->steps[3]->cmd, "run y1");
	/* every value is the command's as one word, and HM_MATRIX_NAME */
	assert_string_equal(g->steps[0]->env.names[0], "HM_MATRIX_A");
	assert_string_equal(g->steps[0]->env.values[0], "x");
	assert_string_equal(g->steps[0]->env.names[1], "HM_MATRIX_B");
	assert_string_equal(g->steps[0]->env.values[1], "1");
	ir_doc_free(doc);
	doc = bake_text("targets:\n  t:\n    steps:\n"
	    "      - matrix: {a: ['1;rm -rf ~', \"it's\", '']}\n"
	    "        steps: [{sh: 'echo ${{ matrix.a }}', label: '${{ matrix.a }}'}]\n"
	    "pipelines: {ci: [t]}\n", "t", env_none, &d);
	assert_non_null(doc);
	g = doc->steps[0];
	assert_string_equal(g->steps[0]->cmd, "echo '1;rm -rf ~'");
	assert_string_equal(g->steps[0]->label, "1;rm -rf ~");
	assert_string_equal(g->steps[1]->cmd, "echo 'it'\\''s'");
	assert_string_equal(g->steps[2]->cmd, "echo ''");
	ir_doc_free(doc);
	/* an empty axis: an error, unless the matrix allows it */
	assert_null(bake_text("targets:\n  t:\n    steps:\n"
	    "      - matrix: {b: {env: BS}}\n"
	    "        steps: [{sh: x}]\n"
	    "pipelines: {ci: [t]}\n", "t", env_none, &d));
	assert_int_equal(d.items[0].code, E_BAKE_MATRIX_EMPTY);
	assert_int_equal(d.items[0].pos.line, 4);
	diag_list_release(&d);
	memset(&d, 0, sizeof(d));
	doc = bake_text("targets:\n  t:\n    steps:\n"
	    "      - {sh: before}\n"
	    "      - matrix: {b: {env: BS}}\n"
	    "        allow_empty: true\n"
	    "        steps: [{sh: x}]\n"
	    "      - {sh: after}\n"
	    "pipelines: {ci: [t]}\n", "t", env_none, &d);
	assert_non_null(doc);
	assert_int_equal(doc->nsteps, 2);
	assert_string_equal(doc->steps[1]->builds_in.key, doc->steps[0]->key);
	ir_doc_free(doc);
	diag_list_release(&d);
}

static void
test_memoized(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;

	(void)state;
	doc = bake_text("targets:\n"
	    "  deps: [{sh: deps}]\n"
	    "  a: {from: deps, steps: [{sh: a}]}\n"
	    "  b: {from: deps, steps: [{sh: b}]}\n"
	    "pipelines: {ci: [a, b]}\n", NULL, env_none, &d);
	assert_non_null(doc);
	/* deps once, placed before its first user */
	assert_int_equal(doc->nsteps, 3);
	assert_string_equal(doc->steps[0]->key, "deps");
	assert_string_equal(doc->steps[1]->builds_in.key, "deps");
	assert_string_equal(doc->steps[2]->builds_in.key, "deps");
	ir_doc_free(doc);
	diag_list_release(&d);
}

static void
test_call_not_placed(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;
	struct ir_step *ph;

	(void)state;
	doc = bake_text("targets:\n"
	    "  base: [{sh: base}]\n"
	    "  inner: {dynamic: true, steps: [{sh: x, from: base}]}\n"
	    "  outer: [{sh: o}, {target: inner}]\n"
	    "pipelines: {ci: [outer]}\n", NULL, env_none, &d);
	assert_non_null(doc);
	/* base (needed by inner's body), then outer; inner only nested */
	assert_int_equal(doc->nsteps, 2);
	assert_string_equal(doc->steps[0]->key, "base");
	assert_string_equal(doc->steps[1]->key, "outer");
	ph = doc->steps[1]->steps[1];
	assert_int_equal(ph->eval, IR_EVAL_DYNAMIC);
	assert_string_equal(ph->key, "outer/inner");
	assert_string_equal(ir_more(ph)->target_name, "inner");
	assert_string_equal(ph->builds_in.key, "outer/outer-1");
	ir_doc_free(doc);
	diag_list_release(&d);
}

static void
test_each_from(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;

	(void)state;
	doc = bake_text("targets:\n"
	    "  checks: {dynamic: true, continue: each, steps: [{sh: c}]}\n"
	    "  report: {from: checks, steps: [{sh: r}, {sh: s}]}\n"
	    "pipelines: {ci: [report]}\n", NULL, env_none, &d);
	assert_non_null(doc);
	/* a group cannot be replicated: the from goes on its first command */
	assert_int_equal(doc->steps[1]->builds_in_kind, IR_BUILDS_IN_ABSENT);
	assert_string_equal(doc->steps[1]->steps[0]->builds_in.key, "checks");
	ir_doc_free(doc);
	diag_list_release(&d);
}

static void
test_errors(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;

	(void)state;
	/* continuations are the document's check, at the definition's places */
	doc = bake_text("targets:\n  t:\n    steps:\n"
	    "      - group: [{sh: a}, {sh: b}]\n      - {sh: c}\n"
	    "pipelines: {ci: [t]}\n", NULL, env_none, &d);
	assert_non_null(doc);
	assert_int_equal(ir_check(doc, 0, &d), -1);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].code, E_IR_AMBIGUOUS);
	assert_string_equal(d.items[0].pos.file, "t.yml");
	assert_int_equal(d.items[0].pos.line, 5);
	ir_doc_free(doc);
	diag_list_release(&d);
	memset(&d, 0, sizeof(d));
	assert_null(bake_text("targets:\n  t:\n    steps:\n"
	    "      - fork: [{sh: a}, {sh: b}]\n      - {sh: c}\n"
	    "pipelines: {ci: [t]}\n", NULL, env_none, &d));
	assert_int_equal(d.items[0].code, E_BAKE_AFTER_FORK);
	diag_list_release(&d);
	memset(&d, 0, sizeof(d));
	assert_null(bake_text("targets:\n  t:\n    steps:\n"
	    "      - {sh: a, key: k}\n      - {sh: b, key: k}\n"
	    "pipelines: {ci: [t]}\n", NULL, env_none, &d));
	assert_int_equal(d.items[0].code, E_BAKE_DUP_KEY);
	assert_int_equal(d.items[0].pos.line, 5);
	diag_list_release(&d);
}

static void
test_yaml_limits(void **state)
{
	struct arena *a = arena_new();
	struct diag_list d = DIAG_LIST_INIT;
	char *deep = malloc(2 * 1000 + 1);
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		deep[i] = '[';
		deep[1000 + i] = ']';
	}
	deep[2000] = '\0';
	assert_null(ytree_load(a, "f", deep, 2000, &d));
	assert_int_equal(d.items[0].code, E_BAKE_YAML_DEPTH);
	diag_list_release(&d);
	memset(&d, 0, sizeof(d));
	assert_null(ytree_load(a, "f", "{a: 1, b: 2, a: 3}", 18, &d));
	assert_int_equal(d.items[0].code, E_BAKE_YAML_DUPKEY);
	assert_int_equal(d.items[0].pos.col, 14);
	diag_list_release(&d);
	free(deep);
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slugify),
		cmocka_unit_test(test_subst),
		cmocka_unit_test(test_oref_parse),
		cmocka_unit_test(test_sh_quote),
		cmocka_unit_test(test_split_values),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_env_switch),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_keys_dedup),
		cmocka_unit_test(test_matrix),
		cmocka_unit_test(test_memoized),
		cmocka_unit_test(test_call_not_placed),
		cmocka_unit_test(test_each_from),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_yaml_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
