/* hm: unit tests for the IR model: loading, lowering, validation, writing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "ir.h"
#include "ir_check.h"
#include "ir_cont.h"
#include "ir_load.h"
#include "ir_write.h"
#include "jsonw.h"

/* Single quotes stand for double quotes, to keep the cases readable. */
static char *
dq(const char *s)
{
	char *d = strdup(s), *p;

	for (p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static struct ir_doc *
load(const char *text, const char *pipeline, struct diag_list *d)
{
	char *t = dq(text);
	struct ir_load_opts o = { pipeline };
	struct ir_doc *doc = ir_load_buf(t, strlen(t), "t.json", &o, d);

	free(t);
	return doc;
}

/* Load, check and write compactly; the caller frees the result. */
static char *
lower(const char *text, struct diag_list *d)
{
	struct ir_doc *doc = load(text, NULL, d);
	struct jsonw w;
	char *out = NULL;
	size_t len;

	if (!doc)
		return NULL;
	if (ir_check(doc, 0, d) < 0) {
		ir_doc_free(doc);
		return NULL;
	}
	jsonw_init(&w, -1, 0);
	ir_write(doc, &w);
	assert_int_equal(jsonw_finish(&w, &out, &len), 0);
	ir_doc_free(doc);
	return out;
}

static void
assert_lowers_to(const char *in, const char *want)
{
	struct diag_list d = DIAG_LIST_INIT;
	char *out = lower(in, &d), *w = dq(want);

	assert_int_equal(d.errors, 0);
	assert_non_null(out);
	assert_string_equal(out, w);
	free(out);
	free(w);
	diag_list_release(&d);
}

/* The first diagnostic must have this code, at this line:col. */
static void
assert_first_diag(const char *in, enum diag_code code, unsigned line,
    unsigned col)
{
	struct diag_list d = DIAG_LIST_INIT;
	char *out = lower(in, &d);

	assert_null(out);
	assert_true(d.n > 0);
	assert_string_equal(diag_name(d.items[0].code), diag_name(code));
	assert_int_equal(d.items[0].pos.line, line);
	assert_int_equal(d.items[0].pos.col, col);
	diag_list_release(&d);
}

static void
test_v0_moves_cmd_into_eval(void **state)
{
	(void)state;
	assert_lowers_to("{'version':'0','env':{'A':'1'},'default_image':'x',"
	    "'steps':[{'type':'command','key':'k','cmd':'make','builds_in':"
	    "null,'label':'L','timeout_seconds':60,'image':'i','runner':'r',"
	    "'runner_args':{'n':1.50,'z':null}},{'type':'wait',"
	    "'continue_on_failure':true}]}",
	    "{'version':'1','env':{'A':'1'},'default_image':'x','steps':["
	    "{'type':'command','key':'k','label':'L','eval':{'type':'cmd',"
	    "'cmd':'make'},'builds_in':null,'timeout_seconds':60,'image':'i',"
	    "'runner':'r','runner_args':{'n':1.50,'z':null}},{'type':'wait',"
	    "'continue_on_failure':true}]}\n");
}

static void
test_v1_canonical_order(void **state)
{
	(void)state;
	/* fields given in any order come out in the contract's */
	assert_lowers_to("{'steps':[{'secret_env':['T'],'retry':2,"
	    "'soft_fail':true,'env':{},'depends_on':[],'builds_in':null,"
	    "'eval':{'cmd':'x','type':'cmd'},'label':'l','key':'a',"
	    "'type':'command'}],'version':'1'}",
	    "{'version':'1','steps':[{'type':'command','key':'a','label':'l',"
	    "'eval':{'type':'cmd','cmd':'x'},'builds_in':null,'depends_on':[],"
	    "'env':{},'soft_fail':true,'retry':2,'secret_env':['T']}]}\n");
}

static void
test_cache_policies_round_trip(void **state)
{
	(void)state;
	assert_lowers_to("{'version':'1','steps':[{'type':'command','key':'a',"
	    "'eval':{'type':'cmd','cmd':'x'},'builds_in':null,'cache':{"
	    "'policy':'compose','sub_policies':[{'policy':'ttl',"
	    "'duration_seconds':86400,'env_keys':['K']},{'policy':'on_change',"
	    "'paths':['b','a']},{'policy':'none'}],'key':'ab'}}]}",
	    "{'version':'1','steps':[{'type':'command','key':'a','eval':{"
	    "'type':'cmd','cmd':'x'},'builds_in':null,'cache':{'policy':"
	    "'compose','sub_policies':[{'policy':'ttl','duration_seconds':"
	    "86400,'env_keys':['K']},{'policy':'on_change','paths':['b','a']},"
	    "{'policy':'none'}],'key':'ab'}}]}\n");
}

static void
test_unknown_fields(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;

	(void)state;
	/* v0: a warning, and the field is dropped */
	doc = load("{'version':'0','steps':[{'type':'command','key':'a',"
	    "'cmd':'x','builds_in':null,'new_field':1}]}", NULL, &d);
	assert_non_null(doc);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 1);
	assert_int_equal(d.items[0].code, W_IR_UNKNOWN_FIELD_V0);
	ir_doc_free(doc);
	diag_list_release(&d);
	/* v1: an error at the field */
	assert_first_diag("{'version':'1','steps':[{'type':'command','key':"
	    "'a','eval':{'type':'cmd','cmd':'x'},'builds_in':null,"
	    "'new_field':1}]}", E_IR_UNKNOWN_FIELD, 1, 102);
}

static void
test_validation_errors(void **state)
{
	(void)state;
	assert_first_diag("{'version':'1','steps':[{'type':'command','key':"
	    "'a','eval':{'type':'cmd','cmd':'x'},'builds_in':'b'}]}",
	    E_IR_UNKNOWN_REF, 1, 97);
	assert_first_diag("{'version':'1','steps':[{'type':'command','key':"
	    "'a','eval':{'type':'cmd','cmd':'x'},'builds_in':null},{'type':"
	    "'command','key':'a','eval':{'type':'cmd','cmd':'y'},'builds_in':"
	    "null}]}", E_IR_DUP_KEY, 1, 127);
	assert_first_diag("{'version':'1','steps':[{'type':'command','key':"
	    "'a','eval':{'type':'cmd','cmd':'x'},'builds_in':'a'}]}",
	    E_IR_SELF_REF, 1, 97);
	assert_first_diag("{'version':'1','steps':[{'type':'command','key':"
	    "'a/','eval':{'type':'cmd','cmd':'x'},'builds_in':null}]}",
	    E_IR_BAD_KEY, 1, 49);
}

static void
test_ambiguous_names_leaves(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	char *out;

	(void)state;
	/* six leaves: all counted, the first four named */
	out = lower("{'version':'1','steps':[{'type':'group','key':'g','steps':["
	    "{'type':'command','key':'g/0','eval':{'type':'cmd','cmd':'x'},"
	    "'builds_in':null},{'type':'command','key':'g/1','eval':{'type':"
	    "'cmd','cmd':'x'},'builds_in':null},{'type':'command','key':'g/2',"
	    "'eval':{'type':'cmd','cmd':'x'},'builds_in':null},{'type':"
	    "'command','key':'g/3','eval':{'type':'cmd','cmd':'x'},'builds_in':"
	    "null},{'type':'command','key':'g/4','eval':{'type':'cmd','cmd':"
	    "'x'},'builds_in':null},{'type':'command','key':'g/5','eval':{"
	    "'type':'cmd','cmd':'x'},'builds_in':null}]},{'type':'command',"
	    "'key':'d','eval':{'type':'cmd','cmd':'x'},'builds_in':'g'}]}", &d);
	assert_null(out);
	assert_int_equal(d.items[0].code, E_IR_AMBIGUOUS);
	assert_non_null(strstr(d.items[0].msg, "which has 6 leaves ('g/0', "
	    "'g/1', 'g/2', 'g/3', ...)"));
	diag_list_release(&d);
}

static void
test_group_continuation(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;
	struct ir_step *g, *leaves[4];

	(void)state;
	doc = load("{'version':'1','steps':[{'type':'group','key':'g','steps':["
	    "{'type':'command','key':'g/a','eval':{'type':'cmd','cmd':'x'},"
	    "'builds_in':null},{'type':'command','key':'g/b','eval':{'type':"
	    "'cmd','cmd':'x'},'builds_in':'g/a'},{'type':'command','key':'g/c',"
	    "'eval':{'type':'cmd','cmd':'x'},'builds_in':null}]}]}", NULL, &d);
	assert_non_null(doc);
	assert_int_equal(ir_check(doc, 0, &d), 0);
	g = ir_find(doc, "g");
	assert_non_null(g);
	assert_int_equal(ir_group_leaves(g, leaves), 2);
	assert_string_equal(leaves[0]->key, "g/b");
	assert_string_equal(leaves[1]->key, "g/c");
	assert_int_equal(ir_continuation(g).kind, IR_CK_AMBIGUOUS);
	assert_ptr_equal(ir_continuation(g).step, g);
	assert_non_null(ir_step_more(doc, g));
	g->more->cont = IR_CONT_JOIN;
	assert_int_equal(ir_continuation(g).kind, IR_CK_START);
	ir_doc_free(doc);
	diag_list_release(&d);
}

static void
test_built_by_hand(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc = ir_doc_new("hand");
	struct ir_step *a, *g, *m;
	struct jsonw w;
	char *out;
	size_t len;

	(void)state;
	a = ir_step_new(doc, IR_COMMAND);
	a->key = "a";
	a->cmd = "make";
	g = ir_step_new(doc, IR_GROUP);
	g->key = "g";
	assert_non_null(ir_step_more(doc, g));
	g->more->cont = IR_CONT_EACH;
	m = ir_step_new(doc, IR_COMMAND);
	m->key = "g/x";
	m->eval = IR_EVAL_DYNAMIC;
	assert_non_null(ir_step_more(doc, m));
	m->more->target_name = "t";
	assert_int_equal(ir_doc_append(doc, a), 0);
	assert_int_equal(ir_doc_append(doc, g), 0);
	assert_int_equal(ir_group_append(doc, g, m), 0);
	g->builds_in_kind = IR_BUILDS_IN_KEY;
	g->builds_in.key = "a";
	assert_int_equal(ir_check(doc, 0, &d), 0);
	assert_ptr_equal(g->builds_in.step, a);
	jsonw_init(&w, -1, 0);
	ir_write(doc, &w);
	assert_int_equal(jsonw_finish(&w, &out, &len), 0);
	assert_string_equal(out, "{\"version\":\"1\",\"steps\":[{\"type\":"
	    "\"command\",\"key\":\"a\",\"eval\":{\"type\":\"cmd\",\"cmd\":"
	    "\"make\"},\"builds_in\":null},{\"type\":\"group\",\"key\":\"g\","
	    "\"builds_in\":\"a\",\"continue\":\"each\",\"steps\":[{\"type\":"
	    "\"command\",\"key\":\"g/x\",\"eval\":{\"type\":\"dynamic\","
	    "\"target_name\":\"t\"},\"builds_in\":null}]}]}\n");
	free(out);
	ir_doc_free(doc);
	diag_list_release(&d);
}

static void
test_envelope_pick(void **state)
{
	struct diag_list d = DIAG_LIST_INIT;
	struct ir_doc *doc;
	const char *env = "{'schema_version':'1','pipelines':[{'slug':'a',"
	    "'name':'A','allow_manual':true,'triggers':[],'definition':{"
	    "'version':'0','steps':[]}},{'slug':'b','name':'B','allow_manual':"
	    "false,'triggers':[],'definition':{'version':'0','steps':[{'type':"
	    "'wait'}]}}]}";

	(void)state;
	assert_null(load(env, NULL, &d));
	assert_int_equal(d.items[0].code, E_IR_ENVELOPE_PICK);
	diag_list_release(&d);
	doc = load(env, "b", &d);
	assert_non_null(doc);
	assert_string_equal(doc->source_pipeline, "b");
	assert_int_equal(doc->nsteps, 1);
	ir_doc_free(doc);
	assert_null(load(env, "c", &d));
	assert_int_equal(d.items[0].code, E_IR_ENVELOPE_NO_SLUG);
	diag_list_release(&d);
}

static void
test_names(void **state)
{
	(void)state;
	assert_null(ir_key_problem("a/b.c:d+e-f_g", 13));
	assert_non_null(ir_key_problem("", 0));
	assert_non_null(ir_key_problem("a//b", 4));
	assert_non_null(ir_key_problem("/a", 2));
	assert_non_null(ir_key_problem("a@b", 3));
	assert_non_null(ir_key_problem("a b", 3));
	assert_null(ir_env_name_problem("_A1", 3));
	assert_non_null(ir_env_name_problem("1A", 2));
	assert_non_null(ir_env_name_problem("A-B", 3));
	assert_null(ir_target_name_problem("notify.v2-x", 11));
	assert_non_null(ir_target_name_problem("-x", 2));
}

static void
test_arena(void **state)
{
	struct arena *a = arena_new(), *b = arena_new();
	char *big, *s;

	(void)state;
	big = arena_alloc(a, 1 << 20);
	assert_non_null(big);
	memset(big, 1, 1 << 20);
	s = arena_printf(b, "%s-%d", "x", 42);
	assert_string_equal(s, "x-42");
	assert_true(((uintptr_t)arena_alloc(a, 3) % _Alignof(max_align_t)) == 0);
	arena_combine(a, b);
	/* b's memory now belongs to a and lives until a is freed */
	assert_string_equal(s, "x-42");
	assert_null(arena_calloc(a, SIZE_MAX / 2, 4));
	assert_true(arena_used(a) >= (1 << 20));
	{
		/* a doubling array: every element survives each move */
		int *v = NULL;
		size_t i;

		for (i = 0; i < 1000; i++) {
			assert_int_equal(arena_grow(a, &v, i, sizeof(*v)), 0);
			v[i] = (int)i;
		}
		for (i = 0; i < 1000; i++)
			assert_int_equal(v[i], (int)i);
	}
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v0_moves_cmd_into_eval),
		cmocka_unit_test(test_v1_canonical_order),
		cmocka_unit_test(test_cache_policies_round_trip),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_validation_errors),
		cmocka_unit_test(test_ambiguous_names_leaves),
		cmocka_unit_test(test_group_continuation),
		cmocka_unit_test(test_built_by_hand),
		cmocka_unit_test(test_envelope_pick),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
