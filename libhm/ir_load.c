/* hm: JSON tree to IR model: documents and steps of v1 and legacy v0. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "esc.h"
#include "ir.h"
#include "ir_load.h"
#include "ir_load_priv.h"
#include "json.h"
#include "suggest.h"

/*
 * Every field is looked up in the table of its object kind; v1 rejects
 * what it does not know, v0 warns and drops it (harmont adds optional
 * fields over time). harmont's graph form and envelope: ir_legacy.c.
 */
static const struct fieldset doc_v1_fields = { "document", {
	"version", "source", "env", "default_image", "continue",
	"continue_in", "steps" }, false };
static const struct fieldset doc_v0_fields = { "document", {
	"version", "env", "default_image", "steps", "graph" }, false };
static const struct fieldset source_fields = { "source", {
	"definition", "pipeline" }, false };
static const struct fieldset command_v1_fields = { "command step", {
	"type", "key", "label", "eval", "builds_in", "depends_on", "env",
	"timeout_seconds", "soft_fail", "retry", "cache", "image", "runner",
	"runner_args", "secret_env", "cmd", "consumes" }, true };
static const struct fieldset command_v0_fields = { "command step", {
	"type", "key", "cmd", "builds_in", "label", "cache", "env",
	"timeout_seconds", "image", "runner", "runner_args", "eval" }, true };
static const struct fieldset wait_fields = { "wait step", {
	"type", "continue_on_failure" }, false };
static const struct fieldset group_fields = { "group", {
	"type", "key", "label", "target_name", "builds_in", "depends_on",
	"continue", "continue_in", "steps" }, false };
static const struct fieldset eval_fields = { "eval", {
	"type", "cmd", "target_name", "continue", "continue_in" }, false };
static const struct fieldset consume_fields = { "consumes entry", {
	"step", "output" }, false };
static const struct fieldset cache_fields = { "cache", {
	"policy", "duration_seconds", "env_keys", "paths", "sub_policies",
	"key" }, false };

enum {
	F_TYPE, F_KEY, F_LABEL, F_EVAL, F_BUILDS_IN, F_DEPENDS_ON, F_ENV,
	F_TIMEOUT, F_SOFT_FAIL, F_RETRY, F_CACHE, F_IMAGE, F_RUNNER,
	F_RUNNER_ARGS, F_SECRET_ENV, F_CMD, F_CONSUMES
};

struct srcpos
ld_pos(struct loader *L, uint32_t node)
{
	return json_pos(L->j, node);
}

ir_loc
ld_loc(struct loader *L, uint32_t node)
{
	return L->j->nodes[node].off + 1;
}

int
ld_err(struct loader *L)
{
	L->errors++;
	return -1;
}

int
ld_type_error(struct loader *L, uint32_t node, const char *field,
    const char *expected)
{
	diag_report(L->diags, E_IR_TYPE, ld_pos(L, node), field, expected,
	    json_type_name(json_type(L->j, node)));
	return ld_err(L);
}

/*
 * How a message names obj: "step 'KEY'" if fs names objects by their
 * key and obj has a usable one, else fs->what. Only called for a
 * message: most documents need none.
 */
static const char *
object_name(struct loader *L, uint32_t obj, const struct fieldset *fs,
    char *buf, size_t size)
{
	uint32_t k = fs->by_key ? json_get(L->j, obj, "key") : 0;
	const char *key;

	if (!k || json_type(L->j, k) != JSON_STRING)
		return fs->what;
	key = json_str(L->j, k, NULL);
	if (strlen(key) > IR_KEY_MAX)
		return fs->what;
	snprintf(buf, size, "step '%s'", key);
	return buf;
}

/* The field of fs closest to an unknown name, or NULL. */
static const char *
field_suggest(const struct fieldset *fs, const char *name, size_t len)
{
	struct suggest sg;
	size_t i;

	suggest_init(&sg, name, len);
	for (i = 0; i < MAXFIELDS && fs->names[i]; i++)
		suggest_consider(&sg, fs->names[i], strlen(fs->names[i]));
	return suggest_best(&sg, NULL);
}

int
ld_fields(struct loader *L, uint32_t obj, const struct fieldset *fs,
    uint32_t vals[MAXFIELDS])
{
	char what[IR_KEY_MAX + 16];
	uint32_t k;
	size_t i;
	int ret = 0;

	memset(vals, 0, MAXFIELDS * sizeof(vals[0]));
	for (k = json_first(L->j, obj); k; k = json_next_member(L->j, obj, k)) {
		size_t len;
		const char *name = json_str(L->j, k, &len);
		char shown[64];

		/* by length and bytes: "cmd\u0000" is not "cmd" */
		for (i = 0; i < MAXFIELDS && fs->names[i]; i++)
			if (name[0] == fs->names[i][0] &&
			    strcmp(name, fs->names[i]) == 0 &&
			    strlen(fs->names[i]) == len)
				break;
		if (i < MAXFIELDS && fs->names[i]) {
			vals[i] = k + 1;
			continue;
		}
		esc_buf(shown, sizeof(shown), name, len);
		if (L->v0 && strlen(name) == len) {
			diag_report(L->diags, W_IR_UNKNOWN_FIELD_V0,
			    ld_pos(L, k), shown,
			    object_name(L, obj, fs, what, sizeof(what)));
		} else {
			/* a name with a NUL is an error in v0 too: other
			   readers would see a field hm drops */
			const char *hint = strlen(name) == len ?
			    field_suggest(fs, name, len) : NULL;

			const char *in = object_name(L, obj, fs, what,
			    sizeof(what));

			if (hint)
				diag_report(L->diags, E_IR_UNKNOWN_FIELD_HINT,
				    ld_pos(L, k), shown, in, hint);
			else
				diag_report(L->diags, E_IR_UNKNOWN_FIELD,
				    ld_pos(L, k), shown, in);
			ret = ld_err(L);
		}
	}
	return ret;
}

/* A string value without NUL bytes, or -1 after reporting. */
int
ld_get_str(struct loader *L, uint32_t node, const char *field, const char **out)
{
	size_t len;
	const char *s;

	if (json_type(L->j, node) != JSON_STRING)
		return ld_type_error(L, node, field, "a string");
	s = json_str(L->j, node, &len);
	if (strlen(s) != len) {
		diag_report(L->diags, E_IR_NUL_IN_STRING, ld_pos(L, node), field);
		return ld_err(L);
	}
	*out = s;
	return 0;
}

static int
ld_get_key(struct loader *L, uint32_t node, const char *field, const char **out)
{
	const char *why;

	if (ld_get_str(L, node, field, out) < 0)
		return -1;
	why = ir_key_problem(*out, strlen(*out));
	if (why) {
		diag_report(L->diags, E_IR_BAD_KEY, ld_pos(L, node), *out, why);
		return ld_err(L);
	}
	return 0;
}

static int
ld_get_bool(struct loader *L, uint32_t node, const char *field, bool *out)
{
	enum json_type t = json_type(L->j, node);

	if (t != JSON_TRUE && t != JSON_FALSE)
		return ld_type_error(L, node, field, "true or false");
	*out = t == JSON_TRUE;
	return 0;
}

int
ld_get_int(struct loader *L, uint32_t node, const char *field, long long min,
    long long max, long long *out)
{
	size_t len;
	const char *text;
	char buf[64];

	if (json_type(L->j, node) != JSON_NUMBER)
		return ld_type_error(L, node, field, "an integer");
	text = json_num(L->j, node, &len);
	/* -0 is refused: the writer would make it 0, and a document must
	   lower to itself */
	if (json_int(L->j, node, min, max, out) == 0 &&
	    !(len == 2 && text[0] == '-' && text[1] == '0'))
		return 0;
	if (len >= sizeof(buf))
		len = sizeof(buf) - 4;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (len == sizeof(buf) - 4)
		strcat(buf, "...");
	diag_report(L->diags, E_IR_INT_RANGE, ld_pos(L, node), field, min, max,
	    buf);
	return ld_err(L);
}

static int
ld_get_ref(struct loader *L, uint32_t node, const char *field,
    struct ir_ref *ref)
{
	ref->pos = ld_loc(L, node);
	ref->step = NULL;
	return ld_get_key(L, node, field, &ref->key);
}

static int
ld_get_strlist(struct loader *L, uint32_t node, const char *field,
    bool names, struct ir_strlist *out)
{
	uint32_t e;
	size_t n = 0;
	int ret = 0;

	if (json_type(L->j, node) != JSON_ARRAY)
		return ld_type_error(L, node, field, "an array of strings");
	out->present = true;
	out->n = 0;
	out->v = arena_calloc(L->doc->arena, json_count(L->j, node) + 1,
	    sizeof(*out->v));
	out->pos = arena_calloc(L->doc->arena, json_count(L->j, node) + 1,
	    sizeof(*out->pos));
	if (!out->v || !out->pos)
		return -1;
	for (e = json_first(L->j, node); e; e = json_next_elem(L->j, node, e)) {
		const char *s;

		if (ld_get_str(L, e, field, &s) < 0) {
			ret = -1;
			continue;
		}
		if (names) {
			const char *why = ir_env_name_problem(s, strlen(s));

			if (why) {
				diag_report(L->diags, E_IR_BAD_NAME,
				    ld_pos(L, e), "variable name", s, why);
				ret = ld_err(L);
				continue;
			}
		}
		out->pos[n] = ld_loc(L, e);
		out->v[n++] = s;
	}
	out->n = n;
	return ret;
}

static int
ld_get_refs(struct loader *L, uint32_t node, const char *field,
    struct ir_ref **out, uint32_t *nout)
{
	uint32_t e;
	size_t n = 0;
	int ret = 0;

	if (json_type(L->j, node) != JSON_ARRAY)
		return ld_type_error(L, node, field, "an array of step keys");
	*out = arena_calloc(L->doc->arena, json_count(L->j, node) + 1,
	    sizeof(**out));
	if (!*out)
		return -1;
	for (e = json_first(L->j, node); e; e = json_next_elem(L->j, node, e)) {
		if (ld_get_ref(L, e, field, &(*out)[n]) < 0) {
			ret = -1;
			continue;
		}
		n++;
	}
	*nout = n;
	return ret;
}

/* "consumes": [{"step": KEY, "output": NAME}...] into m. */
static int
ld_get_consumes(struct loader *L, uint32_t node, struct ir_more *m)
{
	uint32_t e, v[MAXFIELDS];
	size_t n = 0;
	int ret = 0;

	m->has_consumes = true;
	if (json_type(L->j, node) != JSON_ARRAY)
		return ld_type_error(L, node, "consumes",
		    "an array of {\"step\", \"output\"} objects");
	m->consumes = arena_calloc(L->doc->arena, json_count(L->j, node) + 1,
	    sizeof(*m->consumes));
	if (!m->consumes)
		return -1;
	for (e = json_first(L->j, node); e; e = json_next_elem(L->j, node, e)) {
		struct ir_consume *c = &m->consumes[n];
		const char *why;
		int bad = 0;

		if (json_type(L->j, e) != JSON_OBJECT) {
			ret = ld_type_error(L, e, "consumes",
			    "an array of {\"step\", \"output\"} objects");
			continue;
		}
		if (ld_fields(L, e, &consume_fields, v) < 0)
			bad = 1;
		if (!v[0] || !v[1]) {
			diag_report(L->diags, E_IR_MISSING, ld_pos(L, e),
			    "a consumes entry", v[0] ? "output" : "step");
			ret = ld_err(L);
			continue;
		}
		if (ld_get_ref(L, v[0], "step", &c->step) < 0 ||
		    ld_get_str(L, v[1], "output", &c->output) < 0) {
			ret = -1;
			continue;
		}
		c->output_pos = ld_loc(L, v[1]);
		if ((why = ir_output_name_problem(c->output,
		    strlen(c->output)))) {
			diag_report(L->diags, E_IR_BAD_NAME, ld_pos(L, v[1]),
			    "output name", c->output, why);
			ret = ld_err(L);
			continue;
		}
		if (bad) {
			ret = -1;
			continue;
		}
		n++;
	}
	m->nconsumes = (uint32_t)n;
	return ret;
}

/* Merge object node into env; later names replace earlier ones. */
int
ld_get_env(struct loader *L, uint32_t node, struct ir_env *env)
{
	uint32_t k;
	size_t cap, i;
	int ret = 0;

	if (json_type(L->j, node) != JSON_OBJECT)
		return ld_type_error(L, node, "env",
		    "an object of string values");
	cap = env->n + json_count(L->j, node) + 1;
	{
		const char **names = arena_calloc(L->doc->arena, cap,
		    sizeof(*names));
		const char **values = arena_calloc(L->doc->arena, cap,
		    sizeof(*values));
		ir_loc *p = arena_calloc(L->doc->arena, cap,
		    sizeof(*p));

		if (!names || !values || !p)
			return -1;
		for (i = 0; i < env->n; i++) {
			names[i] = env->names[i];
			values[i] = env->values[i];
			p[i] = env->pos[i];
		}
		env->names = names;
		env->values = values;
		env->pos = p;
	}
	env->present = true;
	for (k = json_first(L->j, node); k; k = json_next_member(L->j, node, k)) {
		size_t len;
		const char *name = json_str(L->j, k, &len);
		const char *why = strlen(name) != len ?
		    "a name must not contain NUL" :
		    ir_env_name_problem(name, len);
		const char *value;

		if (why) {
			char shown[64];

			diag_report(L->diags, E_IR_BAD_NAME, ld_pos(L, k),
			    "variable name", esc_buf(shown, sizeof(shown),
			    name, len), why);
			ret = ld_err(L);
			continue;
		}
		if (ld_get_str(L, k + 1, name, &value) < 0) {
			ret = -1;
			continue;
		}
		for (i = 0; i < env->n; i++)
			if (strcmp(env->names[i], name) == 0)
				break;
		env->names[i] = name;
		env->values[i] = value;
		env->pos[i] = ld_loc(L, k);
		if (i == env->n)
			env->n++;
	}
	return ret;
}

static int
ld_get_cont(struct loader *L, uint32_t cont, uint32_t cont_in, const char *what,
    enum ir_cont *c, struct ir_ref *ref, ir_loc *cpos)
{
	const char *s;

	*c = IR_CONT_NONE;
	if (cont && cont_in) {
		diag_report(L->diags, E_IR_BOTH_CONTINUE, ld_pos(L, cont), what);
		return ld_err(L);
	}
	if (cont) {
		if (ld_get_str(L, cont, "continue", &s) < 0)
			return -1;
		if (strcmp(s, "join") == 0)
			*c = IR_CONT_JOIN;
		else if (strcmp(s, "each") == 0)
			*c = IR_CONT_EACH;
		else {
			diag_report(L->diags, E_IR_ENUM, ld_pos(L, cont),
			    "continue", "'join' or 'each'", s);
			return ld_err(L);
		}
		*cpos = ld_loc(L, cont);
	}
	if (cont_in) {
		if (ld_get_ref(L, cont_in, "continue_in", ref) < 0)
			return -1;
		*c = IR_CONT_IN;
		*cpos = ref->pos;
	}
	return 0;
}

static struct ir_cache *
ld_get_cache(struct loader *L, uint32_t node, int depth)
{
	uint32_t v[MAXFIELDS];
	struct ir_cache *c;
	const char *policy;
	int f;

	if (json_type(L->j, node) != JSON_OBJECT) {
		ld_type_error(L, node, "cache", "an object");
		return NULL;
	}
	if (depth > IR_MAX_GROUP_DEPTH) {
		diag_report(L->diags, E_IR_NESTING, ld_pos(L, node),
		    IR_MAX_GROUP_DEPTH);
		ld_err(L);
		return NULL;
	}
	/* cache_fields lists the fields in enum ir_cache_field's order */
	if (ld_fields(L, node, &cache_fields, v) < 0)
		return NULL;
	c = arena_calloc(L->doc->arena, 1, sizeof(*c));
	if (!c)
		return NULL;
	c->pos = ld_loc(L, node);
	if (!v[IR_CACHE_FIELD_POLICY]) {
		diag_report(L->diags, E_IR_MISSING, ld_pos(L, node), "cache",
		    "policy");
		ld_err(L);
		return NULL;
	}
	if (ld_get_str(L, v[IR_CACHE_FIELD_POLICY], "policy", &policy) < 0)
		return NULL;
	if (ir_cache_policy_parse(policy, &c->policy) < 0) {
		diag_report(L->diags, E_IR_CACHE_POLICY,
		    ld_pos(L, v[IR_CACHE_FIELD_POLICY]), policy);
		ld_err(L);
		return NULL;
	}
	for (f = 0; f < IR_CACHE_NFIELDS; f++) {
		if (v[f] && !ir_cache_takes(c->policy, f)) {
			diag_report(L->diags, E_IR_CACHE_FIELD,
			    ld_pos(L, v[f] - 1), policy, cache_fields.names[f]);
			ld_err(L);
			return NULL;
		}
	}
	if (v[IR_CACHE_FIELD_DURATION]) {
		uint32_t d = v[IR_CACHE_FIELD_DURATION];
		long long secs;
		size_t len;

		if (ld_get_int(L, d, "duration_seconds", 1, LLONG_MAX,
		    &secs) < 0)
			return NULL;
		c->duration_seconds = json_num(L->j, d, &len);
		c->duration_seconds = arena_strndup(L->doc->arena,
		    c->duration_seconds, len);
	} else if (c->policy == IR_CACHE_TTL) {
		diag_report(L->diags, E_IR_MISSING, ld_pos(L, node),
		    "ttl cache", "duration_seconds");
		ld_err(L);
		return NULL;
	}
	if (v[IR_CACHE_FIELD_ENV_KEYS] && ld_get_strlist(L,
	    v[IR_CACHE_FIELD_ENV_KEYS], "env_keys", false, &c->env_keys) < 0)
		return NULL;
	if (v[IR_CACHE_FIELD_PATHS] && ld_get_strlist(L,
	    v[IR_CACHE_FIELD_PATHS], "paths", false, &c->paths) < 0)
		return NULL;
	if (v[IR_CACHE_FIELD_SUB_POLICIES]) {
		uint32_t subs = v[IR_CACHE_FIELD_SUB_POLICIES], e;
		size_t n = 0;

		if (json_type(L->j, subs) != JSON_ARRAY) {
			ld_type_error(L, subs, "sub_policies", "an array");
			return NULL;
		}
		c->has_sub_policies = true;
		c->sub_policies = arena_calloc(L->doc->arena,
		    json_count(L->j, subs) + 1, sizeof(*c->sub_policies));
		if (!c->sub_policies)
			return NULL;
		for (e = json_first(L->j, subs); e;
		    e = json_next_elem(L->j, subs, e)) {
			struct ir_cache *sub = ld_get_cache(L, e, depth + 1);

			if (!sub)
				return NULL;
			c->sub_policies[n++] = sub;
		}
		c->nsub = n;
	}
	if (v[IR_CACHE_FIELD_KEY] &&
	    ld_get_str(L, v[IR_CACHE_FIELD_KEY], "key", &c->key) < 0)
		return NULL;
	return c;
}

/* A dynamic target's name: a dynamic step's, or a group's. */
static int
ld_get_target(struct loader *L, uint32_t node, struct ir_more *m)
{
	const char *why;

	if (ld_get_str(L, node, "target_name", &m->target_name) < 0)
		return -1;
	m->target_pos = ld_loc(L, node);
	why = ir_target_name_problem(m->target_name, strlen(m->target_name));
	if (why) {
		diag_report(L->diags, E_IR_BAD_NAME, ir_pos(L->doc,
		    m->target_pos), "target name", m->target_name, why);
		return ld_err(L);
	}
	return 0;
}

static int
ld_load_eval(struct loader *L, uint32_t node, struct ir_step *s)
{
	uint32_t v[MAXFIELDS];
	struct ir_more *m;
	const char *type;

	s->eval_pos = ld_loc(L, node);
	if (json_type(L->j, node) != JSON_OBJECT)
		return ld_type_error(L, node, "eval", "an object");
	if (ld_fields(L, node, &eval_fields, v) < 0)
		return -1;
	if (!v[0]) {
		diag_report(L->diags, E_IR_MISSING, ld_pos(L, node), "eval",
		    "type");
		return ld_err(L);
	}
	if (ld_get_str(L, v[0], "type", &type) < 0)
		return -1;
	if (strcmp(type, "cmd") == 0) {
		s->eval = IR_EVAL_CMD;
		if (v[2] || v[3] || v[4]) {
			uint32_t bad = v[2] ? v[2] : v[3] ? v[3] : v[4];

			diag_report(L->diags, E_IR_UNKNOWN_FIELD,
			    ld_pos(L, bad - 1), json_str(L->j, bad - 1, NULL),
			    "eval of type 'cmd'");
			return ld_err(L);
		}
		if (!v[1]) {
			diag_report(L->diags, E_IR_MISSING, ld_pos(L, node),
			    "eval of type 'cmd'", "cmd");
			return ld_err(L);
		}
		return ld_get_str(L, v[1], "cmd", &s->cmd);
	}
	if (strcmp(type, "dynamic") != 0) {
		diag_report(L->diags, E_IR_EVAL_TYPE, ld_pos(L, v[0]), type);
		return ld_err(L);
	}
	s->eval = IR_EVAL_DYNAMIC;
	if (v[1]) {
		diag_report(L->diags, E_IR_UNKNOWN_FIELD, ld_pos(L, v[1] - 1),
		    "cmd", "eval of type 'dynamic'");
		return ld_err(L);
	}
	if (!v[2]) {
		diag_report(L->diags, E_IR_MISSING, ld_pos(L, node),
		    "eval of type 'dynamic'", "target_name");
		return ld_err(L);
	}
	if (!(m = ir_step_more(L->doc, s)))
		return -1;
	if (ld_get_target(L, v[2], m) < 0)
		return -1;
	return ld_get_cont(L, v[3], v[4], "dynamic step", &m->cont,
	    &m->continue_in, &m->cont_pos);
}

static int
ld_get_builds_in(struct loader *L, uint32_t node, struct ir_step *s)
{
	if (json_type(L->j, node) == JSON_NULL) {
		s->builds_in_kind = IR_BUILDS_IN_NULL;
		s->builds_in.pos = ld_loc(L, node);
		return 0;
	}
	if (json_type(L->j, node) != JSON_STRING)
		return ld_type_error(L, node, "builds_in", "a step key or null");
	s->builds_in_kind = IR_BUILDS_IN_KEY;
	return ld_get_ref(L, node, "builds_in", &s->builds_in);
}

static int ld_load_steps(struct loader *L, uint32_t arr,
    struct ir_step *group, int depth);

static int
ld_load_command_fields(struct loader *L, struct ir_step *s,
    const uint32_t *v)
{
	struct ir_more *m;
	long long n;
	int ret = 0;

	if (!v[F_KEY]) {
		diag_report(L->diags, E_IR_MISSING, ir_pos(L->doc, s->pos), "command step",
		    "key");
		ret = ld_err(L);
	} else if (ld_get_key(L, v[F_KEY], "key", &s->key) < 0) {
		ret = -1;
	} else {
		s->key_pos = ld_loc(L, v[F_KEY]);
	}
	if (v[F_LABEL] && ld_get_str(L, v[F_LABEL], "label", &s->label) < 0)
		ret = -1;
	if (v[F_CMD] && v[F_EVAL]) {
		diag_report(L->diags, E_IR_CMD_AND_EVAL, ld_pos(L, v[F_CMD] - 1));
		ret = ld_err(L);
	} else if (v[F_CMD]) {
		if (!L->v0) {
			diag_report(L->diags, E_IR_V0_FIELD_IN_V1,
			    ld_pos(L, v[F_CMD] - 1));
			ret = ld_err(L);
		} else if (ld_get_str(L, v[F_CMD], "cmd", &s->cmd) < 0) {
			ret = -1;
		}
		s->eval = IR_EVAL_CMD;
		s->eval_pos = ld_loc(L, v[F_CMD]);
	} else if (v[F_EVAL]) {
		if (ld_load_eval(L, v[F_EVAL], s) < 0)
			ret = -1;
	} else {
		diag_report(L->diags, L->v0 ? E_IR_NO_CMD : E_IR_MISSING,
		    ir_pos(L->doc, s->pos), "command step", "eval");
		ret = ld_err(L);
	}
	if (v[F_BUILDS_IN]) {
		if (ld_get_builds_in(L, v[F_BUILDS_IN], s) < 0)
			ret = -1;
	} else if (!L->graph_form) {
		diag_report(L->diags, E_IR_MISSING, ir_pos(L->doc, s->pos), "command step",
		    "builds_in");
		ret = ld_err(L);
	}
	if (v[F_DEPENDS_ON]) {
		s->has_depends_on = true;
		if (ld_get_refs(L, v[F_DEPENDS_ON], "depends_on",
		    &s->depends_on, &s->ndepends_on) < 0)
			ret = -1;
	}
	if (v[F_ENV] && ld_get_env(L, v[F_ENV], &s->env) < 0)
		ret = -1;
	if (v[F_TIMEOUT]) {
		s->has_timeout = true;
		if (ld_get_int(L, v[F_TIMEOUT], "timeout_seconds", 1, INT32_MAX,
		    &n) < 0)
			ret = -1;
		s->timeout_seconds = (int32_t)n;
	}
	if (v[F_SOFT_FAIL]) {
		s->has_soft_fail = true;
		if (ld_get_bool(L, v[F_SOFT_FAIL], "soft_fail",
		    &s->soft_fail) < 0)
			ret = -1;
	}
	if (v[F_RETRY]) {
		s->has_retry = true;
		if (ld_get_int(L, v[F_RETRY], "retry", 0, 100, &n) < 0)
			ret = -1;
		s->retry = (int32_t)n;
	}
	if (!v[F_CACHE] && !v[F_IMAGE] && !v[F_RUNNER] && !v[F_RUNNER_ARGS] &&
	    !v[F_SECRET_ENV] && !v[F_CONSUMES])
		return ret;
	if (!(m = ir_step_more(L->doc, s)))
		return -1;
	if (v[F_CACHE] && !(m->cache = ld_get_cache(L, v[F_CACHE], 0)))
		ret = -1;
	if (v[F_IMAGE] && ld_get_str(L, v[F_IMAGE], "image", &m->image) < 0)
		ret = -1;
	if (v[F_RUNNER] && ld_get_str(L, v[F_RUNNER], "runner", &m->runner) < 0)
		ret = -1;
	if (v[F_RUNNER_ARGS]) {
		m->runner_args.doc = L->j;
		m->runner_args.node = v[F_RUNNER_ARGS];
	}
	if (v[F_SECRET_ENV] && ld_get_strlist(L, v[F_SECRET_ENV], "secret_env",
	    true, &m->secret_env) < 0)
		ret = -1;
	if (v[F_CONSUMES] && ld_get_consumes(L, v[F_CONSUMES], m) < 0)
		ret = -1;
	return ret;
}

static int
ld_load_group(struct loader *L, uint32_t node, struct ir_step *s, int depth)
{
	uint32_t v[MAXFIELDS];
	struct ir_more *m = NULL;
	int ret = 0;

	if (ld_fields(L, node, &group_fields, v) < 0)
		ret = -1;
	if (!v[1]) {
		diag_report(L->diags, E_IR_MISSING, ir_pos(L->doc, s->pos), "group", "key");
		ret = ld_err(L);
	} else if (ld_get_key(L, v[1], "key", &s->key) < 0) {
		ret = -1;
	} else {
		s->key_pos = ld_loc(L, v[1]);
	}
	if (v[2] && ld_get_str(L, v[2], "label", &s->label) < 0)
		ret = -1;
	if ((v[3] || v[6] || v[7]) && !(m = ir_step_more(L->doc, s)))
		return -1;
	if (v[3] && ld_get_target(L, v[3], m) < 0)
		ret = -1;
	if (v[4] && ld_get_builds_in(L, v[4], s) < 0)
		ret = -1;
	if (v[5]) {
		s->has_depends_on = true;
		if (ld_get_refs(L, v[5], "depends_on", &s->depends_on,
		    &s->ndepends_on) < 0)
			ret = -1;
	}
	if ((v[6] || v[7]) && ld_get_cont(L, v[6], v[7], "group", &m->cont,
	    &m->continue_in, &m->cont_pos) < 0)
		ret = -1;
	if (!v[8]) {
		diag_report(L->diags, E_IR_MISSING, ir_pos(L->doc, s->pos), "group", "steps");
		return ld_err(L);
	}
	if (depth >= IR_MAX_GROUP_DEPTH) {
		diag_report(L->diags, E_IR_NESTING, ir_pos(L->doc, s->pos),
		    IR_MAX_GROUP_DEPTH);
		return ld_err(L);
	}
	if (ld_load_steps(L, v[8], s, depth + 1) < 0)
		ret = -1;
	return ret;
}

struct ir_step *
ld_load_step(struct loader *L, uint32_t node, int depth)
{
	uint32_t v[MAXFIELDS], t;
	const char *type;
	struct ir_step *s;

	if (json_type(L->j, node) != JSON_OBJECT) {
		ld_type_error(L, node, "step", "an object");
		return NULL;
	}
	t = json_get(L->j, node, "type");
	if (!t && L->graph_form) {
		/* a graph node's step is a command whether it says so or not */
		type = "command";
	} else if (!t) {
		diag_report(L->diags, E_IR_MISSING, ld_pos(L, node), "step",
		    "type");
		ld_err(L);
		return NULL;
	} else if (ld_get_str(L, t, "type", &type) < 0) {
		return NULL;
	}
	if (strcmp(type, "command") == 0) {
		s = ir_step_new(L->doc, IR_COMMAND);
	} else if (strcmp(type, "wait") == 0) {
		s = ir_step_new(L->doc, IR_WAIT);
	} else if (strcmp(type, "group") == 0 && !L->v0) {
		s = ir_step_new(L->doc, IR_GROUP);
	} else {
		diag_report(L->diags, E_IR_STEP_TYPE, ld_pos(L, t ? t : node), type,
		    L->v0 ? "'command' or 'wait'" :
		    "'command', 'wait' or 'group'");
		ld_err(L);
		return NULL;
	}
	if (!s)
		return NULL;
	s->pos = ld_loc(L, node);
	if (s->type == IR_WAIT) {
		if (ld_fields(L, node, &wait_fields, v) < 0)
			return NULL;
		if (v[1]) {
			s->has_continue_on_failure = true;
			if (ld_get_bool(L, v[1], "continue_on_failure",
			    &s->continue_on_failure) < 0)
				return NULL;
		}
		return s;
	}
	if (s->type == IR_GROUP)
		return ld_load_group(L, node, s, depth) < 0 ? NULL : s;

	if (ld_fields(L, node, L->v0 ? &command_v0_fields : &command_v1_fields,
	    v) < 0)
		return NULL;
	if (L->v0) {
		static const int map[] = { F_TYPE, F_KEY, F_CMD, F_BUILDS_IN,
		    F_LABEL, F_CACHE, F_ENV, F_TIMEOUT, F_IMAGE, F_RUNNER,
		    F_RUNNER_ARGS, F_EVAL };
		uint32_t w[MAXFIELDS] = { 0 };
		size_t i;

		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			w[map[i]] = v[i];
		memcpy(v, w, sizeof(w));
	}
	return ld_load_command_fields(L, s, v) < 0 ? NULL : s;
}

static int
ld_load_steps(struct loader *L, uint32_t arr, struct ir_step *group, int depth)
{
	uint32_t e;
	int ret = 0;

	if (json_type(L->j, arr) != JSON_ARRAY)
		return ld_type_error(L, arr, "steps", "an array");
	for (e = json_first(L->j, arr); e; e = json_next_elem(L->j, arr, e)) {
		struct ir_step *s = ld_load_step(L, e, depth);

		if (!s) {
			ret = -1;
			continue;
		}
		if ((group ? ir_group_append(L->doc, group, s) :
		    ir_doc_append(L->doc, s)) < 0)
			return -1;
	}
	return ret;
}

int
ld_load_document(struct loader *L, uint32_t root)
{
	uint32_t v[MAXFIELDS], ver;
	const char *version;
	size_t len;

	if (json_type(L->j, root) != JSON_OBJECT) {
		diag_report(L->diags, E_IR_ROOT, ld_pos(L, root),
		    json_type_name(json_type(L->j, root)));
		return ld_err(L);
	}
	ver = json_get(L->j, root, "version");
	if (!ver) {
		diag_report(L->diags, E_IR_NO_VERSION, ld_pos(L, root));
		return ld_err(L);
	}
	if (json_type(L->j, ver) != JSON_STRING) {
		const char *t = json_type(L->j, ver) == JSON_NUMBER ?
		    json_num(L->j, ver, &len) : NULL;

		diag_report(L->diags, E_IR_VERSION, ld_pos(L, ver),
		    t ? arena_strndup(L->doc->arena, t, len) :
		    json_type_name(json_type(L->j, ver)));
		return ld_err(L);
	}
	version = json_str(L->j, ver, &len);
	if (len == 1 && version[0] == '0') {
		L->v0 = true;
		if (L->doc->format == IR_FORMAT_V1)
			L->doc->format = IR_FORMAT_V0;
	} else if (len != 1 || version[0] != '1') {
		const char *e = esc_arena(L->doc->arena, version, len);
		char *q = e ? arena_printf(L->doc->arena, "\"%s\"", e) : NULL;

		diag_report(L->diags, E_IR_VERSION, ld_pos(L, ver),
		    q ? q : version);
		return ld_err(L);
	}
	if (L->v0) {
		int ret = ld_fields(L, root, &doc_v0_fields, v);

		if (v[1] && ld_get_env(L, v[1], &L->doc->env) < 0)
			ret = -1;
		if (v[2] && ld_get_str(L, v[2], "default_image",
		    &L->doc->default_image) < 0)
			ret = -1;
		if (v[3] && v[4]) {
			diag_report(L->diags, E_IR_UNKNOWN_FIELD,
			    ld_pos(L, v[4] - 1), "graph",
			    "a document that has 'steps'");
			return ld_err(L);
		}
		if (v[4]) {
			L->graph_form = true;
			if (L->doc->format == IR_FORMAT_V0)
				L->doc->format = IR_FORMAT_V0_GRAPH;
			return ld_load_graph(L, v[4]) < 0 ? -1 : ret;
		}
		if (!v[3]) {
			diag_report(L->diags, E_IR_MISSING, ld_pos(L, root),
			    "document", "steps");
			return ld_err(L);
		}
		return ld_load_steps(L, v[3], NULL, 0) < 0 ? -1 : ret;
	}
	{
		int ret = ld_fields(L, root, &doc_v1_fields, v);

		if (v[1]) {
			uint32_t sv[MAXFIELDS];

			if (json_type(L->j, v[1]) != JSON_OBJECT) {
				ret = ld_type_error(L, v[1], "source",
				    "an object");
			} else {
				if (ld_fields(L, v[1], &source_fields, sv) < 0)
					ret = -1;
				L->doc->has_source = true;
				if (sv[0] && ld_get_str(L, sv[0], "definition",
				    &L->doc->source_definition) < 0)
					ret = -1;
				if (sv[1] && ld_get_str(L, sv[1], "pipeline",
				    &L->doc->source_pipeline) < 0)
					ret = -1;
			}
		}
		if (v[2] && ld_get_env(L, v[2], &L->doc->env) < 0)
			ret = -1;
		if (v[3] && ld_get_str(L, v[3], "default_image",
		    &L->doc->default_image) < 0)
			ret = -1;
		if (ld_get_cont(L, v[4], v[5], "document", &L->doc->cont,
		    &L->doc->continue_in, &L->doc->cont_pos) < 0)
			ret = -1;
		if (!v[6]) {
			diag_report(L->diags, E_IR_MISSING, ld_pos(L, root),
			    "document", "steps");
			return ld_err(L);
		}
		return ld_load_steps(L, v[6], NULL, 0) < 0 ? -1 : ret;
	}
}

/*
 * A copy of the subtree at node i, as a document of its own sharing the
 * text: free-form values (runner_args) outlive the token array, which is
 * freed after loading because it is as large as the input.
 */
static struct json_doc *
subtree_copy(struct arena *a, const struct json_doc *j, uint32_t i)
{
	struct json_doc *sub = arena_calloc(a, 1, sizeof(*sub));
	uint32_t n = json_skip(j, i) - i, k;

	if (!sub)
		return NULL;
	sub->nodes = arena_calloc(a, n, sizeof(*sub->nodes));
	if (!sub->nodes)
		return NULL;
	for (k = 0; k < n; k++) {
		sub->nodes[k] = j->nodes[i + k];
		if (json_is_container(j, i + k))
			sub->nodes[k].next -= i;
	}
	sub->n = n;
	sub->file = j->file;
	sub->text = j->text;
	sub->size = j->size;
	/* positions, for the runner's checks: the cursor starts as
	   json_parse starts it, and the strings' spans are borrowed */
	sub->cur_line = sub->cur_col = 1;
	sub->spans = j->spans;
	sub->nspans = j->nspans;
	return sub;
}

static int
detach_any(struct ir_doc *doc, struct ir_step **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct ir_step *s = v[i];

		if (s->type == IR_GROUP && detach_any(doc, s->steps,
		    s->nsteps) < 0)
			return -1;
		if (s->more && s->more->runner_args.doc == doc->json) {
			struct ir_any *a = &s->more->runner_args;

			a->doc = subtree_copy(doc->arena, doc->json, a->node);
			a->node = 0;
			if (!a->doc)
				return -1;
		}
	}
	return 0;
}

struct ir_doc *
ir_load(struct json_doc *json, const struct ir_load_opts *opts,
    struct diag_list *diags)
{
	struct loader L = { 0 };
	struct ir_doc *doc = ir_doc_new(json->file);
	uint32_t root = 0;
	int ret;

	if (!doc) {
		diag_report(diags, E_NOMEM, (struct srcpos){ json->file, 0, 0 });
		json_doc_release(json);
		free(json);
		return NULL;
	}
	doc->json = json;
	L.doc = doc;
	L.j = json;
	L.diags = diags;
	if (json_type(json, root) == JSON_OBJECT &&
	    json_get(json, root, "schema_version"))
		ret = ld_load_envelope(&L, root, opts ? opts->pipeline : NULL);
	else
		ret = ld_load_document(&L, root);
	if (ret < 0 || L.errors) {
		if (!L.errors && !diags->errors)
			diag_report(diags, E_NOMEM,
			    (struct srcpos){ json->file, 0, 0 });
		ir_doc_free(doc);
		return NULL;
	}
	if (detach_any(doc, doc->steps, doc->nsteps) < 0) {
		diag_report(diags, E_NOMEM, (struct srcpos){ json->file, 0, 0 });
		ir_doc_free(doc);
		return NULL;
	}
	free(json->nodes);
	json->nodes = NULL;
	json->n = 0;
	return doc;
}

static struct ir_doc *
load_text(char *text, size_t size, const char *file,
    const struct ir_load_opts *opts, struct diag_list *diags)
{
	struct json_doc *j = calloc(1, sizeof(*j));

	if (!j) {
		free(text);
		diag_report(diags, E_NOMEM, (struct srcpos){ file, 0, 0 });
		return NULL;
	}
	if (json_parse(j, file, text, size, diags) < 0) {
		json_doc_release(j);
		free(j);
		return NULL;
	}
	return ir_load(j, opts, diags);
}

struct ir_doc *
ir_load_fd(int fd, const char *file, const struct ir_load_opts *opts,
    struct diag_list *diags, int *io_error)
{
	char *text;
	size_t size;

	*io_error = 0;
	if (json_read_fd(fd, &text, &size) < 0) {
		*io_error = errno;
		if (errno == EFBIG)
			diag_report(diags, E_INPUT_TOO_LARGE,
			    (struct srcpos){ file, 0, 0 }, "2147483632");
		else
			diag_report(diags, E_IO_READ,
			    (struct srcpos){ file, 0, 0 }, strerror(errno));
		return NULL;
	}
	return load_text(text, size, file, opts, diags);
}

struct ir_doc *
ir_load_text(char *text, size_t size, const char *file,
    const struct ir_load_opts *opts, struct diag_list *diags)
{
	return load_text(text, size, file, opts, diags);
}

struct ir_doc *
ir_load_buf(const char *buf, size_t len, const char *file,
    const struct ir_load_opts *opts, struct diag_list *diags)
{
	char *text = malloc(len + 2);

	if (!text) {
		diag_report(diags, E_NOMEM, (struct srcpos){ file, 0, 0 });
		return NULL;
	}
	memcpy(text, buf, len);
	return load_text(text, len, file, opts, diags);
}
