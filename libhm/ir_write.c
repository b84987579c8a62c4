/* hm: canonical IR v1 output. */
#include <string.h>

#include "ir.h"
#include "ir_write.h"
#include "json.h"
#include "jsonw.h"

/*
 * The field order here is the contract's (ir-spec/README.md); changing it
 * changes every golden file. Optional fields are written exactly when the
 * input had them, so lowering twice gives the same bytes.
 */

void
ir_write_json(const struct json_doc *j, uint32_t i, struct jsonw *w)
{
	uint32_t k;
	size_t len;
	const char *s;

	switch (json_type(j, i)) {
	case JSON_NULL:
		jsonw_null(w);
		break;
	case JSON_FALSE:
		jsonw_bool(w, 0);
		break;
	case JSON_TRUE:
		jsonw_bool(w, 1);
		break;
	case JSON_NUMBER:
		s = json_num(j, i, &len);
		jsonw_num(w, s, len);
		break;
	case JSON_STRING:
		s = json_str(j, i, &len);
		jsonw_strn(w, s, len);
		break;
	case JSON_ARRAY:
		jsonw_arr_begin(w);
		for (k = json_first(j, i); k; k = json_next_elem(j, i, k))
			ir_write_json(j, k, w);
		jsonw_arr_end(w);
		break;
	case JSON_OBJECT:
		jsonw_obj_begin(w);
		for (k = json_first(j, i); k; k = json_next_member(j, i, k)) {
			s = json_str(j, k, &len);
			jsonw_keyn(w, s, len);	/* "a\u0000b" is a key */
			ir_write_json(j, k + 1, w);
		}
		jsonw_obj_end(w);
		break;
	}
}

/* A string field that is written only when it was given. */
static void
opt_str(struct jsonw *w, const char *name, size_t n, const char *v)
{
	if (!v)
		return;
	jsonw_field(w, name, n);
	jsonw_str(w, v);
}
#define OPT_STR(w, lit, v)	opt_str((w), "" lit, sizeof(lit) - 1, (v))

static void
write_env(const struct ir_env *env, struct jsonw *w)
{
	size_t i;

	JSONW_FIELD(w, "env");
	jsonw_obj_begin(w);
	for (i = 0; i < env->n; i++) {
		jsonw_key(w, env->names[i]);
		jsonw_str(w, env->values[i]);
	}
	jsonw_obj_end(w);
}

static void
write_strlist(const char *name, const struct ir_strlist *l, struct jsonw *w)
{
	size_t i;

	jsonw_field(w, name, strlen(name));
	jsonw_arr_begin(w);
	for (i = 0; i < l->n; i++)
		jsonw_str(w, l->v[i]);
	jsonw_arr_end(w);
}

static void
write_cache(const struct ir_cache *c, struct jsonw *w)
{
	size_t i;

	jsonw_obj_begin(w);
	JSONW_FIELD(w, "policy");
	jsonw_str(w, ir_cache_policy_name(c->policy));
	if (c->duration_seconds) {
		JSONW_FIELD(w, "duration_seconds");
		jsonw_num(w, c->duration_seconds, strlen(c->duration_seconds));
	}
	if (c->env_keys.present)
		write_strlist("env_keys", &c->env_keys, w);
	if (c->paths.present)
		write_strlist("paths", &c->paths, w);
	if (c->has_sub_policies) {
		JSONW_FIELD(w, "sub_policies");
		jsonw_arr_begin(w);
		for (i = 0; i < c->nsub; i++)
			write_cache(c->sub_policies[i], w);
		jsonw_arr_end(w);
	}
	OPT_STR(w, "key", c->key);
	jsonw_obj_end(w);
}

static void
write_cont(enum ir_cont cont, const struct ir_ref *in, struct jsonw *w)
{
	if (cont == IR_CONT_JOIN || cont == IR_CONT_EACH) {
		JSONW_FIELD(w, "continue");
		jsonw_str(w, ir_cont_name(cont));
	} else if (cont == IR_CONT_IN) {
		JSONW_FIELD(w, "continue_in");
		jsonw_str(w, in->key);
	}
}

static void
write_edges(const struct ir_step *s, struct jsonw *w)
{
	size_t i;

	if (s->builds_in_kind != IR_BUILDS_IN_ABSENT) {
		JSONW_FIELD(w, "builds_in");
		if (s->builds_in_kind == IR_BUILDS_IN_KEY)
			jsonw_str(w, s->builds_in.key);
		else
			jsonw_null(w);
	}
	if (s->has_depends_on) {
		JSONW_FIELD(w, "depends_on");
		jsonw_arr_begin(w);
		for (i = 0; i < s->ndepends_on; i++)
			jsonw_str(w, s->depends_on[i].key);
		jsonw_arr_end(w);
	}
}

static void
write_consumes(const struct ir_more *m, struct jsonw *w)
{
	size_t i;

	JSONW_FIELD(w, "consumes");
	jsonw_arr_begin(w);
	for (i = 0; i < m->nconsumes; i++) {
		jsonw_obj_begin(w);
		JSONW_FIELD(w, "step");
		jsonw_str(w, m->consumes[i].step.key);
		JSONW_FIELD(w, "output");
		jsonw_str(w, m->consumes[i].output);
		jsonw_obj_end(w);
	}
	jsonw_arr_end(w);
}

static void
write_steps(struct ir_step *const *v, size_t n, struct jsonw *w)
{
	size_t i;

	JSONW_FIELD(w, "steps");
	jsonw_arr_begin(w);
	for (i = 0; i < n; i++)
		ir_write_step(v[i], w);
	jsonw_arr_end(w);
}

void
ir_write_step(const struct ir_step *s, struct jsonw *w)
{
	const struct ir_more *m = ir_more(s);

	jsonw_obj_begin(w);
	JSONW_FIELD(w, "type");
	switch (s->type) {
	case IR_WAIT:
		jsonw_str(w, "wait");
		if (s->has_continue_on_failure) {
			JSONW_FIELD(w, "continue_on_failure");
			jsonw_bool(w, s->continue_on_failure);
		}
		break;
	case IR_GROUP:
		jsonw_str(w, "group");
		JSONW_FIELD(w, "key");
		jsonw_str(w, s->key);
		OPT_STR(w, "label", s->label);
		OPT_STR(w, "target_name", m->target_name);
		write_edges(s, w);
		write_cont(m->cont, &m->continue_in, w);
		write_steps(s->steps, s->nsteps, w);
		break;
	case IR_COMMAND:
		jsonw_str(w, "command");
		JSONW_FIELD(w, "key");
		jsonw_str(w, s->key);
		OPT_STR(w, "label", s->label);
		JSONW_FIELD(w, "eval");
		jsonw_obj_begin(w);
		JSONW_FIELD(w, "type");
		if (s->eval == IR_EVAL_CMD) {
			jsonw_str(w, "cmd");
			JSONW_FIELD(w, "cmd");
			jsonw_str(w, s->cmd);
		} else {
			jsonw_str(w, "dynamic");
			JSONW_FIELD(w, "target_name");
			jsonw_str(w, m->target_name);
			write_cont(m->cont, &m->continue_in, w);
		}
		jsonw_obj_end(w);
		write_edges(s, w);
		if (m->has_consumes)
			write_consumes(m, w);
		if (s->env.present)
			write_env(&s->env, w);
		if (s->has_timeout) {
			JSONW_FIELD(w, "timeout_seconds");
			jsonw_int(w, s->timeout_seconds);
		}
		if (s->has_soft_fail) {
			JSONW_FIELD(w, "soft_fail");
			jsonw_bool(w, s->soft_fail);
		}
		if (s->has_retry) {
			JSONW_FIELD(w, "retry");
			jsonw_int(w, s->retry);
		}
		if (m->cache) {
			JSONW_FIELD(w, "cache");
			write_cache(m->cache, w);
		}
		OPT_STR(w, "image", m->image);
		OPT_STR(w, "runner", m->runner);
		if (m->runner_args.doc) {
			JSONW_FIELD(w, "runner_args");
			ir_write_json(m->runner_args.doc, m->runner_args.node, w);
		}
		if (m->secret_env.present)
			write_strlist("secret_env", &m->secret_env, w);
		break;
	}
	jsonw_obj_end(w);
}

void
ir_write(const struct ir_doc *doc, struct jsonw *w)
{
	jsonw_obj_begin(w);
	JSONW_FIELD(w, "version");
	jsonw_str(w, "1");
	if (doc->has_source) {
		JSONW_FIELD(w, "source");
		jsonw_obj_begin(w);
		OPT_STR(w, "definition", doc->source_definition);
		OPT_STR(w, "pipeline", doc->source_pipeline);
		jsonw_obj_end(w);
	}
	if (doc->env.present)
		write_env(&doc->env, w);
	OPT_STR(w, "default_image", doc->default_image);
	write_cont(doc->cont, &doc->continue_in, w);
	write_steps(doc->steps, doc->nsteps, w);
	jsonw_obj_end(w);
	jsonw_newline(w);
}
