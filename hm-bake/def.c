/* hm: the definition model: targets, pipelines and steps, checked from YAML. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bake.h"
#include "def.h"
#include "diag.h"
#include "ir.h"
#include "suggest.h"
#include "ytree.h"

/* Every field name the schema knows, one bit each. */
enum field {
	F_SH = 1u << 0,
	F_LABEL = 1u << 1,
	F_KEY = 1u << 2,
	F_ENV = 1u << 3,
	F_CWD = 1u << 4,
	F_TIMEOUT = 1u << 5,
	F_SOFT_FAIL = 1u << 6,
	F_RETRY = 1u << 7,
	F_CACHE = 1u << 8,
	F_IMAGE = 1u << 9,
	F_SECRET_ENV = 1u << 10,
	F_DEPENDS_ON = 1u << 11,
	F_FROM = 1u << 12,
	F_CONTINUE = 1u << 13,
	F_CONTINUE_IN = 1u << 14,
	F_STEPS = 1u << 15,
	F_DYNAMIC = 1u << 16,
	F_GROUP = 1u << 17,
	F_FORK = 1u << 18,
	F_IF = 1u << 19,
	F_GENERATE = 1u << 20,
	F_MATRIX = 1u << 21,
	F_TARGET = 1u << 22,
	F_WAIT = 1u << 23,
	F_CONTINUE_ON_FAILURE = 1u << 24,
	F_ALLOW_EMPTY = 1u << 25
};

/*
 * The field names by first letter: every key of every step is looked up
 * (three times), so a lookup compares with few names.
 */
static const struct field_name {
	const char *name;
	unsigned bit;
} fields[26][6] = {
	['a' - 'a'] = { { "allow_empty", F_ALLOW_EMPTY } },
	['c' - 'a'] = { { "cwd", F_CWD }, { "cache", F_CACHE },
	    { "continue", F_CONTINUE }, { "continue_in", F_CONTINUE_IN },
	    { "continue_on_failure", F_CONTINUE_ON_FAILURE } },
	['d' - 'a'] = { { "depends_on", F_DEPENDS_ON },
	    { "dynamic", F_DYNAMIC } },
	['e' - 'a'] = { { "env", F_ENV } },
	['f' - 'a'] = { { "from", F_FROM }, { "fork", F_FORK } },
	['g' - 'a'] = { { "group", F_GROUP }, { "generate", F_GENERATE } },
	['i' - 'a'] = { { "image", F_IMAGE }, { "if", F_IF } },
	['k' - 'a'] = { { "key", F_KEY } },
	['l' - 'a'] = { { "label", F_LABEL } },
	['m' - 'a'] = { { "matrix", F_MATRIX } },
	['r' - 'a'] = { { "retry", F_RETRY } },
	['s' - 'a'] = { { "sh", F_SH }, { "steps", F_STEPS },
	    { "soft_fail", F_SOFT_FAIL }, { "secret_env", F_SECRET_ENV } },
	['t' - 'a'] = { { "timeout", F_TIMEOUT }, { "target", F_TARGET } },
	['w' - 'a'] = { { "wait", F_WAIT } },
};

/* The fields each kind of mapping takes. */
#define K_CMD	(F_SH | F_LABEL | F_KEY | F_ENV | F_CWD | F_TIMEOUT | \
	F_SOFT_FAIL | F_RETRY | F_CACHE | F_IMAGE | F_SECRET_ENV | \
	F_DEPENDS_ON | F_FROM)
#define K_GROUP	(F_GROUP | F_LABEL | F_KEY | F_ENV | F_DEPENDS_ON | F_FROM | \
	F_CONTINUE | F_CONTINUE_IN)
#define K_FORK	(F_FORK)
#define K_IF	(F_IF)
#define K_GEN	(F_GENERATE | F_TIMEOUT)
#define K_MATRIX (F_MATRIX | F_STEPS | F_LABEL | F_KEY | F_ENV | \
	F_DEPENDS_ON | F_FROM | F_CONTINUE | F_CONTINUE_IN | F_ALLOW_EMPTY)
#define K_CALL	(F_TARGET | F_LABEL | F_KEY | F_ENV | F_DEPENDS_ON)
#define K_WAIT	(F_WAIT | F_CONTINUE_ON_FAILURE)
#define K_STATIC_TARGET (F_STEPS | F_FROM | F_DEPENDS_ON | F_DYNAMIC | \
	F_LABEL | F_KEY | F_ENV | F_SECRET_ENV | F_CONTINUE | F_CONTINUE_IN)
#define K_DYNAMIC_TARGET (K_STATIC_TARGET | F_TIMEOUT | F_RETRY | \
	F_SOFT_FAIL | F_IMAGE | F_ALLOW_EMPTY)
/* The fields kept in struct opts_more. */
#define MORE_FIELDS (F_CWD | F_IMAGE | F_ENV | F_SECRET_ENV | F_DEPENDS_ON | \
	F_FROM | F_CONTINUE | F_CONTINUE_IN)
#define KIND_FIELDS (F_SH | F_GROUP | F_FORK | F_IF | F_GENERATE | \
	F_MATRIX | F_TARGET | F_WAIT)

const struct opts_more opts_more_none;

/*
 * The caches of steps made from aliases of one node (a cache defined once
 * and used by every step, as in 'cache: *cache'), by what the aliases
 * share (ynode_body): each is parsed once and its steps share the result.
 * Open addressing.
 */
struct memo {
	const void **bodies;
	struct ir_cache **caches;
	size_t n, cap;
};

struct parser {
	struct def *def;
	const char *file;
	struct diag_list *diags;
	struct target *cur;	/* collects syntactic references */
	struct memo memo;
};

static struct srcpos
pos_of(const struct parser *P, const struct ynode *n)
{
	return ynode_pos(P->file, n);
}

/* The place of n, for a field of an IR type. */
static ir_loc
loc_of(const struct parser *P, const struct ynode *n)
{
	return ir_loc_new(P->def->doc, ynode_pos(P->file, n));
}

/* The field's bit, or 0. */
static unsigned
field_bit(const char *name)
{
	const struct field_name *f;

	if (name[0] < 'a' || name[0] > 'z')
		return 0;
	for (f = fields[name[0] - 'a']; f->name; f++)
		if (strcmp(f->name + 1, name + 1) == 0)
			return f->bit;
	return 0;
}

/*
 * What other CI systems call fields that hm spells otherwise: the field
 * to suggest for an unknown one, if the mapping takes it (allowed).
 */
static const char *
field_hint(const char *name, unsigned allowed)
{
	static const struct {
		const char *theirs, *ours;
	} habits[] = {
		{ "run", "sh" }, { "script", "sh" }, { "command", "sh" },
		{ "commands", "sh" }, { "name", "label" },
		{ "needs", "depends_on" }, { "id", "key" },
		{ "timeout-minutes", "timeout" },
		{ "timeout_in_minutes", "timeout" },
		{ "continue-on-error", "soft_fail" },
		{ "allow_failure", "soft_fail" },
		{ "working-directory", "cwd" }, { "variables", "env" },
		{ "strategy", "matrix" }, { "parallel", "matrix" },
	};
	size_t i;

	const struct field_name *f;
	struct suggest sg;

	for (i = 0; i < sizeof(habits) / sizeof(habits[0]); i++)
		if (!strcmp(name, habits[i].theirs) &&
		    (field_bit(habits[i].ours) & allowed))
			return habits[i].ours;
	/* else a misspelling of a field the mapping takes */
	suggest_init(&sg, name, strlen(name));
	for (i = 0; i < 26; i++)
		for (f = fields[i]; f->name; f++)
			if (f->bit & allowed)
				suggest_consider(&sg, f->name,
				    strlen(f->name));
	return suggest_best(&sg, NULL);
}

static size_t
memo_slot(const struct memo *m, const void *body)
{
	size_t mask = m->cap - 1, i;

	/* bodies are at least 8 bytes apart */
	for (i = ((uintptr_t)body >> 3) * 0x9e3779b1u & mask;
	    m->bodies[i] && m->bodies[i] != body; i = (i + 1) & mask)
		;
	return i;
}

static struct ir_cache *
memo_get(const struct memo *m, const void *body)
{
	return m->cap ? m->caches[memo_slot(m, body)] : NULL;
}

/* Remember c for body; -1 if memory ran out. */
static int
memo_put(struct memo *m, const void *body, struct ir_cache *c)
{
	size_t i;

	if (2 * (m->n + 1) > m->cap) {
		struct memo g = { NULL, NULL, 0, m->cap ? 2 * m->cap : 16 };

		g.bodies = calloc(g.cap, sizeof(*g.bodies));
		g.caches = calloc(g.cap, sizeof(*g.caches));
		if (!g.bodies || !g.caches) {
			free(g.bodies);
			free(g.caches);
			return -1;
		}
		for (i = 0; i < m->cap; i++) {
			if (m->bodies[i]) {
				size_t j = memo_slot(&g, m->bodies[i]);

				g.bodies[j] = m->bodies[i];
				g.caches[j] = m->caches[i];
			}
		}
		g.n = m->n;
		free(m->bodies);
		free(m->caches);
		*m = g;
	}
	i = memo_slot(m, body);
	m->bodies[i] = body;
	m->caches[i] = c;
	m->n++;
	return 0;
}

static void
memo_release(struct memo *m)
{
	free(m->bodies);
	free(m->caches);
}

static void *
alloc_n(struct parser *P, size_t n, size_t size, const struct ynode *at)
{
	void *p = arena_calloc(P->def->a, n ? n : 1, size);

	if (!p)
		diag_report(P->diags, E_NOMEM, pos_of(P, at));
	return p;
}

/*
 * The field bits of the keys of a step or target, looked up once: they
 * are gone through three times (its kind, unknown fields, options). A
 * larger mapping (NULL bits) has them looked up each time.
 */
#define KEY_BITS_MAX	16

static const unsigned *
key_bits(const struct ynode *m, unsigned *bits)
{
	uint32_t i;

	if (m->n > KEY_BITS_MAX)
		return NULL;
	for (i = 0; i < m->n; i++)
		bits[i] = field_bit(m->u.v[2 * i].u.s);
	return bits;
}

/* The field bit of key i of m. */
static unsigned
key_bit(const struct ynode *m, uint32_t i, const unsigned *bits)
{
	return bits ? bits[i] : field_bit(m->u.v[2 * i].u.s);
}

/* Report every field of m outside allowed; 0 if none. */
static int
check_fields(struct parser *P, const struct ynode *m, const unsigned *bits,
    unsigned allowed, const char *what)
{
	uint32_t i;
	int ret = 0;

	for (i = 0; i < m->n; i++) {
		const struct ynode *k = &m->u.v[2 * i];

		if (!(key_bit(m, i, bits) & allowed)) {
			const char *hint = field_hint(k->u.s, allowed);

			if (hint)
				diag_report(P->diags, E_BAKE_UNKNOWN_FIELD_HINT,
				    pos_of(P, k), k->u.s, hint);
			else
				diag_report(P->diags, E_BAKE_UNKNOWN_FIELD,
				    pos_of(P, k), k->u.s, what);
			ret = -1;
		}
	}
	return ret;
}

static int
type_error(struct parser *P, const struct ynode *n, const char *field,
    const char *want)
{
	return diag_report(P->diags, E_BAKE_TYPE, pos_of(P, n), field, want,
	    ynode_kind(n));
}

/* A string field: a scalar, not null, no NUL byte. */
static int
check_str(struct parser *P, const struct ynode *n, const char *field)
{
	if (!n || n->type != Y_SCALAR || ynode_is_null(n))
		return type_error(P, n, field, "a string");
	if (memchr(n->u.s, '\0', n->n))
		return diag_report(P->diags, E_BAKE_NUL, pos_of(P, n), field);
	return 0;
}

static int
get_str(struct parser *P, const struct ynode *n, const char *field,
    const char **out)
{
	if (check_str(P, n, field))
		return -1;
	*out = n->u.s;
	return 0;
}

static int
get_bool(struct parser *P, const struct ynode *n, const char *field,
    bool *out)
{
	const char *s = n->type == Y_SCALAR && !n->quoted ? n->u.s : "";

	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
		*out = true;
		return 0;
	}
	if (!strcmp(s, "false") || !strcmp(s, "False") ||
	    !strcmp(s, "FALSE")) {
		*out = false;
		return 0;
	}
	return type_error(P, n, field, "true or false");
}

static int
parse_int(const char *s, long long min, long long max, long long *out)
{
	long long v = 0;

	if (*s == '+')
		s++;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v < min)
		return -1;
	*out = v;
	return 0;
}

int
def_duration(const char *s, long long *out)
{
	char buf[32];
	size_t len = strlen(s);
	long long mult = 1, v;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len + 1);
	switch (buf[len - 1]) {
	case 's':
		mult = 1;
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		mult = 0;
		break;
	}
	if (mult)
		buf[--len] = '\0';
	else
		mult = 1;
	if (parse_int(buf, 1, INT32_MAX, &v) || v > INT32_MAX / mult)
		return -1;
	*out = v * mult;
	return 0;
}

static int
get_int(struct parser *P, const struct ynode *n, const char *field,
    long long min, long long max, long long *out)
{
	if (n->type != Y_SCALAR || n->quoted ||
	    parse_int(n->u.s, min, max, out))
		return diag_report(P->diags, E_BAKE_INT, pos_of(P, n), field,
		    min, max, n->type == Y_SCALAR ? n->u.s : ynode_kind(n));
	return 0;
}

static int
get_duration(struct parser *P, const struct ynode *n, const char *field,
    long long *out)
{
	if (n->type != Y_SCALAR || def_duration(n->u.s, out))
		return diag_report(P->diags, E_BAKE_DURATION, pos_of(P, n),
		    field, (long long)INT32_MAX,
		    n->type == Y_SCALAR ? n->u.s : ynode_kind(n));
	return 0;
}

static int
check_name(struct parser *P, const struct ynode *n, const char *what,
    const char *(*problem)(const char *, size_t))
{
	const char *why = problem(n->u.s, n->n);

	if (why)
		return diag_report(P->diags, E_BAKE_BAD_NAME, pos_of(P, n),
		    what, n->u.s, why);
	return 0;
}

static int
get_env(struct parser *P, const struct ynode *n, struct ir_env *env)
{
	uint32_t i;
	int ret = 0;

	if (n->type != Y_MAP)
		return type_error(P, n, "env", "a mapping of names to strings");
	env->names = alloc_n(P, n->n, sizeof(*env->names), n);
	env->values = alloc_n(P, n->n, sizeof(*env->values), n);
	env->pos = alloc_n(P, n->n, sizeof(*env->pos), n);
	if (!env->names || !env->values || !env->pos)
		return -1;
	for (i = 0; i < n->n; i++) {
		const struct ynode *k = &n->u.v[2 * i], *v = &n->u.v[2 * i + 1];

		if (check_name(P, k, "environment variable name",
		    ir_env_name_problem)) {
			ret = -1;
			continue;
		}
		if (v->type != Y_SCALAR) {
			ret = type_error(P, v, k->u.s, "a string");
			continue;
		}
		if (memchr(v->u.s, '\0', v->n)) {
			ret = diag_report(P->diags, E_BAKE_NUL, pos_of(P, v),
			    k->u.s);
			continue;
		}
		env->names[env->n] = k->u.s;
		/* null means the empty string, as in a shell */
		env->values[env->n] = ynode_is_null(v) ? "" : v->u.s;
		env->pos[env->n] = loc_of(P, k);
		env->n++;
	}
	env->present = true;
	return ret;
}

/* A list of strings (or one string); names: check each as an env name. */
static int
get_strlist(struct parser *P, const struct ynode *n, const char *field,
    bool names, struct ir_strlist *out)
{
	const struct ynode *v;
	uint32_t i, cnt;
	int ret = 0;

	if (n->type == Y_SEQ) {
		v = n->u.v;
		cnt = n->n;
	} else if (n->type == Y_SCALAR && !ynode_is_null(n)) {
		v = n;
		cnt = 1;
	} else {
		return type_error(P, n, field, "a list of strings");
	}
	out->v = alloc_n(P, cnt, sizeof(*out->v), n);
	out->pos = alloc_n(P, cnt, sizeof(*out->pos), n);
	if (!out->v || !out->pos)
		return -1;
	for (i = 0; i < cnt; i++) {
		if (check_str(P, &v[i], field)) {
			ret = -1;
			continue;
		}
		if (names && check_name(P, &v[i], "environment variable name",
		    ir_env_name_problem)) {
			ret = -1;
			continue;
		}
		out->v[out->n] = v[i].u.s;
		out->pos[out->n] = loc_of(P, &v[i]);
		out->n++;
	}
	out->present = true;
	return ret;
}

struct target *
def_target(const struct def *def, const char *name)
{
	return strmap_get(&def->byname, name);
}

const char *
def_target_suggest(const struct def *def, const char *name)
{
	struct suggest sg;
	size_t i;

	suggest_init(&sg, name, strlen(name));
	for (i = 0; i < def->ntargets; i++)
		suggest_consider(&sg, def->targets[i]->name,
		    strlen(def->targets[i]->name));
	return suggest_best(&sg, NULL);
}

const struct pipeline *
def_pipeline(const struct def *def, const char *name)
{
	size_t i;

	for (i = 0; i < def->npipelines; i++)
		if (!strcmp(def->pipelines[i].name, name))
			return &def->pipelines[i];
	return NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *
def_pipeline_names(const struct def *def)
{
	const char **v = arena_calloc(def->a, def->npipelines + 1,
	    sizeof(*v));
	size_t i, len = 0;
	char *s;

	if (!v)
		return "?";
	for (i = 0; i < def->npipelines; i++) {
		v[i] = def->pipelines[i].name;
		len += strlen(v[i]) + 2;
	}
	qsort(v, def->npipelines, sizeof(*v), cmp_str);
	s = arena_alloc(def->a, len + 1);
	if (!s)
		return "?";
	s[0] = '\0';
	for (i = 0; i < def->npipelines; i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, v[i]);
	}
	return s;
}

void
def_release(struct def *def)
{
	strmap_release(&def->byname);
}

static int
add_ref(struct parser *P, struct tref *r)
{
	struct target *t = P->cur;
	if (!t)
		return 0;
	if (arena_grow(P->def->a, &t->refs, t->nrefs, sizeof(*t->refs)) < 0)
		return diag_report(P->diags, E_NOMEM, r->pos);
	t->refs[t->nrefs++] = r;
	return 0;
}

static int
get_tref(struct parser *P, const struct ynode *n, const char *field,
    struct tref *r)
{
	if (check_str(P, n, field))
		return -1;
	r->name = n->u.s;
	r->pos = pos_of(P, n);
	r->t = def_target(P->def, n->u.s);
	if (!r->t) {
		const char *hint = def_target_suggest(P->def, n->u.s);

		if (hint)
			return diag_report(P->diags,
			    E_BAKE_UNKNOWN_TARGET_HINT, r->pos, n->u.s, hint);
		return diag_report(P->diags, E_BAKE_UNKNOWN_TARGET, r->pos,
		    n->u.s);
	}
	return add_ref(P, r);
}

static int
get_depends(struct parser *P, const struct ynode *n, struct opts_more *o)
{
	const struct ynode *v;
	uint32_t i, cnt;
	int ret = 0;

	if (n->type == Y_SEQ) {
		v = n->u.v;
		cnt = n->n;
	} else if (n->type == Y_SCALAR && !ynode_is_null(n)) {
		v = n;
		cnt = 1;
	} else {
		return type_error(P, n, "depends_on", "a list of target names");
	}
	o->depends_on = alloc_n(P, cnt, sizeof(*o->depends_on), n);
	if (!o->depends_on)
		return -1;
	for (i = 0; i < cnt; i++) {
		if (get_tref(P, &v[i], "depends_on",
		    &o->depends_on[o->ndepends_on]))
			ret = -1;
		else
			o->ndepends_on++;
	}
	return ret;
}

static int
is_hex64(const char *s, size_t n)
{
	size_t i;

	if (n != 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return 1;
}

static struct ir_cache *get_cache(struct parser *P, const struct ynode *n,
    int depth);

static int
cache_fields(struct parser *P, const struct ynode *n, struct ir_cache *c,
    int depth)
{
	/* the YAML names of enum ir_cache_field, in its order */
	static const char *const names[IR_CACHE_NFIELDS] = {
		"policy", "duration", "env_keys", "paths", "policies", "key"
	};
	int ret = 0;
	uint32_t i;

	for (i = 0; i < n->n; i++) {
		const struct ynode *k = &n->u.v[2 * i], *v = &n->u.v[2 * i + 1];
		const char *f = k->u.s;
		int field;

		for (field = 0; field < IR_CACHE_NFIELDS; field++)
			if (!strcmp(f, names[field]))
				break;
		if (field == IR_CACHE_NFIELDS ||
		    !ir_cache_takes(c->policy, field)) {
			ret = diag_report(P->diags, E_BAKE_CACHE_FIELD,
			    pos_of(P, k), ir_cache_policy_name(c->policy), f);
			continue;
		}
		switch ((enum ir_cache_field)field) {
		case IR_CACHE_FIELD_ENV_KEYS:
			if (get_strlist(P, v, f, true, &c->env_keys))
				ret = -1;
			break;
		case IR_CACHE_FIELD_PATHS:
			if (get_strlist(P, v, f, false, &c->paths))
				ret = -1;
			break;
		case IR_CACHE_FIELD_KEY:
			if (check_str(P, v, f))
				ret = -1;
			else if (!is_hex64(v->u.s, v->n))
				ret = diag_report(P->diags, E_BAKE_CACHE_KEY,
				    pos_of(P, v), v->u.s);
			else
				c->key = v->u.s;
			break;
		case IR_CACHE_FIELD_DURATION: {
			long long d;

			if (get_duration(P, v, f, &d))
				ret = -1;
			else
				c->duration_seconds = arena_printf(P->def->a,
				    "%lld", d);
			break;
		}
		case IR_CACHE_FIELD_SUB_POLICIES: {
			uint32_t j;

			if (v->type != Y_SEQ) {
				ret = type_error(P, v, f, "a list of policies");
				continue;
			}
			c->sub_policies = alloc_n(P, v->n,
			    sizeof(*c->sub_policies), v);
			if (!c->sub_policies)
				return -1;
			for (j = 0; j < v->n; j++) {
				struct ir_cache *s = get_cache(P, &v->u.v[j],
				    depth + 1);

				if (!s)
					ret = -1;
				else
					c->sub_policies[c->nsub++] = s;
			}
			c->has_sub_policies = true;
			break;
		}
		case IR_CACHE_FIELD_POLICY:	/* read by get_cache */
		case IR_CACHE_NFIELDS:
			break;
		}
	}
	if (ret)
		return ret;
	if (c->policy == IR_CACHE_TTL && !c->duration_seconds)
		ret = diag_report(P->diags, E_BAKE_MISSING, pos_of(P, n),
		    "cache policy 'ttl'", "duration");
	if (c->policy == IR_CACHE_ON_CHANGE && !c->paths.present)
		ret = diag_report(P->diags, E_BAKE_MISSING, pos_of(P, n),
		    "cache policy 'on_change'", "paths");
	if (c->policy == IR_CACHE_COMPOSE && !c->has_sub_policies)
		ret = diag_report(P->diags, E_BAKE_MISSING, pos_of(P, n),
		    "cache policy 'compose'", "policies");
	/* IR v1 carries env_keys on forever and ttl, paths on on_change */
	if (c->policy == IR_CACHE_FOREVER || c->policy == IR_CACHE_TTL)
		c->env_keys.present = true;
	return ret;
}

static struct ir_cache *
get_cache(struct parser *P, const struct ynode *n, int depth)
{
	const struct ynode *pol = n;
	struct ir_cache *c;
	enum ir_cache_policy policy;

	if (depth > 16) {
		diag_report(P->diags, E_BAKE_DEPTH, pos_of(P, n), 16);
		return NULL;
	}
	if (n->type == Y_MAP) {
		pol = ynode_get(n, "policy");
		if (!pol) {
			diag_report(P->diags, E_BAKE_MISSING, pos_of(P, n),
			    "a cache policy", "policy");
			return NULL;
		}
	} else if (n->type != Y_SCALAR) {
		type_error(P, n, "cache", "a policy name or a mapping");
		return NULL;
	}
	if (check_str(P, pol, "policy"))
		return NULL;
	if (ir_cache_policy_parse(pol->u.s, &policy) < 0) {
		diag_report(P->diags, E_BAKE_CACHE_POLICY, pos_of(P, pol),
		    pol->u.s);
		return NULL;
	}
	c = alloc_n(P, 1, sizeof(*c), n);
	if (!c)
		return NULL;
	c->policy = policy;
	c->pos = loc_of(P, n);
	if (n->type == Y_MAP) {
		if (cache_fields(P, n, c, depth))
			return NULL;
	} else if (policy != IR_CACHE_NONE && policy != IR_CACHE_FOREVER) {
		diag_report(P->diags, E_BAKE_MISSING, pos_of(P, n),
		    "this cache policy", policy == IR_CACHE_TTL ? "duration" :
		    policy == IR_CACHE_ON_CHANGE ? "paths" : "policies");
		return NULL;
	} else if (policy == IR_CACHE_FOREVER) {
		c->env_keys.present = true;
	}
	return c;
}

/*
 * A step's cache: parsed once for all the aliases of one node. Only
 * successes are kept, so a bad cache is reported at each use, as a cache
 * written out would be.
 */
static struct ir_cache *
step_cache(struct parser *P, const struct ynode *n)
{
	const void *body = n->shared ? ynode_body(n) : NULL;
	struct ir_cache *c;

	if (body && (c = memo_get(&P->memo, body)))
		return c;
	c = get_cache(P, n, 0);
	if (c && body && memo_put(&P->memo, body, c)) {
		diag_report(P->diags, E_NOMEM, pos_of(P, n));
		return NULL;
	}
	return c;
}

static int
get_cont(struct parser *P, const struct ynode *n, struct opts *o,
    struct opts_more *m)
{
	if (check_str(P, n, "continue"))
		return -1;
	if (!strcmp(n->u.s, "join"))
		o->cont = IR_CONT_JOIN;
	else if (!strcmp(n->u.s, "each"))
		o->cont = IR_CONT_EACH;
	else
		return diag_report(P->diags, E_BAKE_ENUM, pos_of(P, n),
		    "continue", "'join' or 'each'", n->u.s);
	m->cont_pos = pos_of(P, n);
	return 0;
}

/* o's rarely given fields, made when the first of them is found. */
static struct opts_more *
more_of(struct parser *P, struct opts *o, const struct ynode *at)
{
	if (!o->more)
		o->more = alloc_n(P, 1, sizeof(*o->more), at);
	return o->more;
}

/* The option fields of m allowed by mask into o; kind fields skipped. */
static int
parse_opts(struct parser *P, const struct ynode *m, const unsigned *bits,
    unsigned mask, struct opts *o)
{
	const struct ynode *cont = NULL, *cont_in = NULL;
	struct opts_more *more = o->more;
	long long num;
	uint32_t i;
	int ret = 0;

	for (i = 0; i < m->n; i++) {
		const struct ynode *k = &m->u.v[2 * i], *v = &m->u.v[2 * i + 1];
		unsigned bit = key_bit(m, i, bits) & mask;
		const char *f = k->u.s;

		if ((bit & MORE_FIELDS) && !(more = more_of(P, o, k))) {
			ret = -1;
			continue;
		}
		switch (bit) {
		case F_LABEL:
			ret |= check_str(P, v, f);
			o->label = v;
			break;
		case F_KEY:
			ret |= check_str(P, v, f);
			o->key = v;
			break;
		case F_CWD:
			ret |= check_str(P, v, f);
			more->cwd = v;
			break;
		case F_IMAGE:
			ret |= check_str(P, v, f);
			more->image = v;
			break;
		case F_SH:
			ret |= check_str(P, v, f);
			o->sh = v;
			break;
		case F_ENV:
			ret |= get_env(P, v, &more->env);
			break;
		case F_TIMEOUT:
			if (get_duration(P, v, f, &num))
				ret = -1;
			else
				o->timeout = (int32_t)num;
			o->has_timeout = true;
			break;
		case F_ALLOW_EMPTY:
			ret |= get_bool(P, v, f, &o->allow_empty);
			break;
		case F_SOFT_FAIL:
			ret |= get_bool(P, v, f, &o->soft_fail);
			o->has_soft_fail = true;
			break;
		case F_RETRY:
			if (get_int(P, v, f, 0, 100, &num))
				ret = -1;
			else
				o->retry = (int32_t)num;
			o->has_retry = true;
			break;
		case F_CACHE:
			o->cache = step_cache(P, v);
			if (!o->cache)
				ret = -1;
			break;
		case F_SECRET_ENV:
			ret |= get_strlist(P, v, f, true, &more->secret_env);
			break;
		case F_DEPENDS_ON:
			ret |= get_depends(P, v, more);
			break;
		case F_FROM:
			ret |= get_tref(P, v, f, &more->from);
			break;
		case F_CONTINUE:
			cont = v;
			ret |= get_cont(P, v, o, more);
			break;
		case F_CONTINUE_IN:
			cont_in = v;
			if (check_str(P, v, f)) {
				ret = -1;
				break;
			}
			o->cont = IR_CONT_IN;
			more->cont_in = v;
			more->cont_pos = pos_of(P, v);
			break;
		default:
			break;
		}
	}
	if (cont && cont_in)
		ret = diag_report(P->diags, E_BAKE_BOTH, pos_of(P, cont_in),
		    "this step", "continue", "continue_in");
	return ret ? -1 : 0;
}

static int parse_chain(struct parser *P, const struct ynode *n,
    const char *field, struct chain *out, int depth);
static int parse_item(struct parser *P, const struct ynode *n,
    struct item **out, int in_group, int depth);

/* A chain of the one item it; 0 or -1. */
static int
chain_one(struct parser *P, struct chain *c, struct item *it,
    const struct ynode *n)
{
	if (!(c->v = alloc_n(P, 1, sizeof(*c->v), n)))
		return -1;
	c->v[0] = it;
	c->n = 1;
	return 0;
}

static int
depth_check(struct parser *P, const struct ynode *n, int depth)
{
	if (depth > IR_MAX_GROUP_DEPTH)
		return diag_report(P->diags, E_BAKE_DEPTH, pos_of(P, n),
		    IR_MAX_GROUP_DEPTH);
	return 0;
}

/* The items of list n, its nested lists spliced in: at most a chain's. */
static size_t
chain_len(const struct ynode *n)
{
	size_t len = 0;
	uint32_t i;

	for (i = 0; i < n->n; i++)
		len += n->u.v[i].type == Y_SEQ ? chain_len(&n->u.v[i]) : 1;
	return len;
}

/* Parse list n into out, which has room for it. */
static int
chain_fill(struct parser *P, const struct ynode *n, struct chain *out,
    int depth)
{
	uint32_t i;
	int ret = 0;

	if (depth_check(P, n, depth))
		return -1;
	for (i = 0; i < n->n; i++) {
		const struct ynode *e = &n->u.v[i];
		struct item *it;

		if (e->type == Y_SEQ) {
			ret |= chain_fill(P, e, out, depth + 1);
			continue;
		}
		if (parse_item(P, e, &it, 0, depth)) {
			ret = -1;
			continue;
		}
		out->v[out->n++] = it;
	}
	return ret ? -1 : 0;
}

/* A chain (out, empty): a list of steps; nested lists are spliced in. */
static int
chain_add(struct parser *P, const struct ynode *n, struct chain *out,
    int depth)
{
	/* sized once: a definition has a chain for every target and group */
	if (!(out->v = alloc_n(P, chain_len(n), sizeof(*out->v), n)))
		return -1;
	return chain_fill(P, n, out, depth);
}

static int
parse_chain(struct parser *P, const struct ynode *n, const char *field,
    struct chain *out, int depth)
{
	if (n->type == Y_MAP) {
		/* one step is a chain of one */
		struct item *it;

		if (parse_item(P, n, &it, 0, depth))
			return -1;
		return chain_one(P, out, it, n);
	}
	if (n->type != Y_SEQ)
		return type_error(P, n, field, "a list of steps");
	return chain_add(P, n, out, depth);
}

/* Members of a group or fork: each a step, a list (a chain), or a wait. */
static int
parse_members(struct parser *P, const struct ynode *n, const char *field,
    struct item *it, int allow_wait, int depth)
{
	uint32_t i;
	int ret = 0;

	if (n->type != Y_SEQ)
		return type_error(P, n, field, "a list of steps");
	it->members = alloc_n(P, n->n, sizeof(*it->members), n);
	if (!it->members)
		return -1;
	for (i = 0; i < n->n; i++) {
		const struct ynode *e = &n->u.v[i];
		struct chain *c = &it->members[it->nmembers];
		struct item *m;

		if (e->type == Y_SEQ) {
			if (chain_add(P, e, c, depth + 1))
				ret = -1;
			else
				it->nmembers++;
			continue;
		}
		if (parse_item(P, e, &m, allow_wait ? 1 : 2, depth + 1) ||
		    chain_one(P, c, m, e)) {
			ret = -1;
			continue;
		}
		it->nmembers++;
	}
	return ret;
}

static int
parse_env_match(struct parser *P, const struct ynode *n, struct branch *b)
{
	const char *s = n->u.s, *op = strstr(s, "=="), *ne = strstr(s, "!=");
	const char *name_end, *v;
	size_t vl;

	if (!op || (ne && ne < op)) {
		op = ne;
		b->kind = PRED_NE;
	} else {
		b->kind = PRED_EQ;
	}
	if (!op)
		return diag_report(P->diags, E_BAKE_ENV_MATCH, pos_of(P, n), s);
	for (name_end = op; name_end > s && name_end[-1] == ' '; name_end--)
		;
	while (*s == ' ')
		s++;
	b->name = arena_strndup(P->def->a, s, (size_t)(name_end - s));
	if (!b->name || ir_env_name_problem(b->name, strlen(b->name)))
		return diag_report(P->diags, E_BAKE_ENV_MATCH, pos_of(P, n),
		    n->u.s);
	for (v = op + 2; *v == ' '; v++)
		;
	vl = strlen(v);
	while (vl && v[vl - 1] == ' ')
		vl--;
	if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
		v++;
		vl -= 2;
	}
	b->value = arena_strndup(P->def->a, v, vl);
	return b->value ? 0 : diag_report(P->diags, E_NOMEM, pos_of(P, n));
}

static int
parse_branch(struct parser *P, const struct ynode *n, struct branch *b,
    int last, int depth)
{
	static const char *const preds[] = {
		"env", "set", "unset", "sh", "else"
	};
	const struct ynode *pred = NULL, *then = NULL, *timeout = NULL;
	const char *pname = NULL;
	uint32_t i;
	size_t j;
	int ret = 0;

	if (n->type != Y_MAP)
		return type_error(P, n, "if", "a list of branches (mappings)");
	b->pos = pos_of(P, n);
	b->timeout = DEF_DEFAULT_TIMEOUT;
	for (i = 0; i < n->n; i++) {
		const struct ynode *k = &n->u.v[2 * i], *v = &n->u.v[2 * i + 1];

		for (j = 0; j < 5; j++)
			if (!strcmp(k->u.s, preds[j]))
				break;
		if (j < 5) {
			if (pred) {
				ret = diag_report(P->diags, E_BAKE_BOTH,
				    pos_of(P, k), "a branch", pname, k->u.s);
				continue;
			}
			pred = v;
			pname = k->u.s;
			b->kind = j == 0 ? PRED_EQ : j == 1 ? PRED_SET :
			    j == 2 ? PRED_UNSET : j == 3 ? PRED_SH : PRED_ELSE;
		} else if (!strcmp(k->u.s, "then")) {
			then = v;
		} else if (!strcmp(k->u.s, "timeout")) {
			timeout = v;
		} else {
			ret = diag_report(P->diags, E_BAKE_UNKNOWN_FIELD,
			    pos_of(P, k), k->u.s, "a branch");
		}
	}
	if (!pred)
		return diag_report(P->diags, E_BAKE_BRANCH, b->pos);
	if (b->kind == PRED_ELSE) {
		if (!last)
			ret = diag_report(P->diags, E_BAKE_ELSE_LAST, b->pos);
		if (then)
			ret = diag_report(P->diags, E_BAKE_UNKNOWN_FIELD,
			    pos_of(P, then), "then", "an else branch");
		then = pred;
	} else if (!then) {
		return diag_report(P->diags, E_BAKE_MISSING, b->pos, "a branch",
		    "then");
	}
	if (timeout && b->kind != PRED_SH)
		ret = diag_report(P->diags, E_BAKE_UNKNOWN_FIELD,
		    pos_of(P, timeout), "timeout", "a branch without 'sh'");
	else if (timeout && get_duration(P, timeout, "timeout", &b->timeout))
		ret = -1;
	switch (b->kind) {
	case PRED_EQ:
		if (check_str(P, pred, "env") || parse_env_match(P, pred, b))
			ret = -1;
		break;
	case PRED_SET:
	case PRED_UNSET:
		if (check_str(P, pred, pname) || check_name(P, pred,
		    "environment variable name", ir_env_name_problem))
			ret = -1;
		else
			b->name = pred->u.s;
		break;
	case PRED_SH:
		if (check_str(P, pred, "sh"))
			ret = -1;
		b->sh = pred;
		break;
	default:
		break;
	}
	if (parse_chain(P, then, b->kind == PRED_ELSE ? "else" : "then",
	    &b->then, depth + 1))
		ret = -1;
	return ret;
}

static int
parse_if(struct parser *P, const struct ynode *n, struct item *it, int depth)
{
	uint32_t i;
	int ret = 0;

	if (n->type != Y_SEQ)
		return type_error(P, n, "if", "a list of branches");
	it->branches = alloc_n(P, n->n, sizeof(*it->branches), n);
	if (!it->branches)
		return -1;
	for (i = 0; i < n->n; i++) {
		if (parse_branch(P, &n->u.v[i], &it->branches[it->nbranches],
		    i + 1 == n->n, depth))
			ret = -1;
		else
			it->nbranches++;
	}
	return ret;
}

static int
parse_axis(struct parser *P, const struct ynode *k, const struct ynode *v,
    struct axis *ax)
{
	const struct ynode *c;
	uint32_t i;

	if (check_name(P, k, "matrix axis name", ir_env_name_problem))
		return -1;
	ax->name = k->u.s;
	ax->pos = pos_of(P, k);
	ax->timeout = DEF_DEFAULT_TIMEOUT;
	if (v->type == Y_SEQ) {
		ax->kind = AXIS_LIST;
		ax->list = v;
		for (i = 0; i < v->n; i++) {
			if (v->u.v[i].type != Y_SCALAR ||
			    memchr(v->u.v[i].u.s, '\0', v->u.v[i].n))
				return diag_report(P->diags, E_BAKE_AXIS_VALUE,
				    pos_of(P, &v->u.v[i]), ax->name,
				    ynode_kind(&v->u.v[i]));
		}
		return 0;
	}
	if (v->type != Y_MAP)
		return diag_report(P->diags, E_BAKE_AXIS, pos_of(P, v),
		    ax->name, ynode_kind(v));
	if ((c = ynode_get(v, "sh"))) {
		const struct ynode *t = ynode_get(v, "timeout");
		int ret = 0;

		ax->kind = AXIS_SH;
		ax->sh = c;
		for (i = 0; i < v->n; i++) {
			const char *f = v->u.v[2 * i].u.s;

			if (strcmp(f, "sh") && strcmp(f, "timeout"))
				ret = diag_report(P->diags,
				    E_BAKE_UNKNOWN_FIELD,
				    pos_of(P, &v->u.v[2 * i]), f, "a matrix axis");
		}
		if (check_str(P, c, "sh"))
			ret = -1;
		if (t && get_duration(P, t, "timeout", &ax->timeout))
			ret = -1;
		return ret;
	}
	if ((c = ynode_get(v, "output")) && v->n == 1) {
		char buf[IR_KEY_MAX + 300];
		struct oref r;

		ax->kind = AXIS_OUTPUT;
		ax->output = c;
		if (check_str(P, c, "output"))
			return -1;
		snprintf(buf, sizeof(buf), "outputs.%s", c->u.s);
		if (c->n > IR_KEY_MAX + 256 ||
		    bake_oref_parse(buf, strlen(buf), &r))
			return diag_report(P->diags, E_BAKE_AXIS_OUTPUT,
			    pos_of(P, c), ax->name, c->u.s);
		return 0;
	}
	if ((c = ynode_get(v, "env")) && v->n == 1) {
		ax->kind = AXIS_ENV;
		if (check_str(P, c, "env") || check_name(P, c,
		    "environment variable name", ir_env_name_problem))
			return -1;
		ax->env = c->u.s;
		return 0;
	}
	return diag_report(P->diags, E_BAKE_AXIS, pos_of(P, v), ax->name,
	    ynode_kind(v));
}

static int
parse_matrix(struct parser *P, const struct ynode *m, struct item *it,
    int depth)
{
	const struct ynode *axes = ynode_get(m, "matrix");
	const struct ynode *steps = ynode_get(m, "steps");
	uint32_t i;
	int ret = 0;

	if (axes->type != Y_MAP || axes->n == 0)
		return type_error(P, axes, "matrix",
		    "a mapping of axis names to values");
	it->axes = alloc_n(P, axes->n, sizeof(*it->axes), axes);
	if (!it->axes)
		return -1;
	for (i = 0; i < axes->n; i++) {
		if (parse_axis(P, &axes->u.v[2 * i], &axes->u.v[2 * i + 1],
		    &it->axes[it->naxes]))
			ret = -1;
		else
			it->naxes++;
	}
	if (!steps)
		return diag_report(P->diags, E_BAKE_MISSING, it->pos,
		    "a matrix", "steps");
	if (parse_chain(P, steps, "steps", &it->steps, depth + 1))
		ret = -1;
	return ret;
}

static const char *
kind_what(enum item_kind k)
{
	static const char *const what[] = {
		"a command step", "a wait", "a group", "a fork",
		"a conditional", "a generator", "a matrix", "a target call"
	};

	return what[k];
}

/*
 * One step. in_group: 0 in a chain (no wait), 1 a group member (wait
 * allowed), 2 a fork member (no wait).
 */
static int
parse_item(struct parser *P, const struct ynode *n, struct item **out,
    int in_group, int depth)
{
	static const unsigned kinds[] = {
		K_CMD, K_WAIT, K_GROUP, K_FORK, K_IF, K_GEN, K_MATRIX, K_CALL
	};
	const struct ynode *kn = NULL, *kv = NULL;
	unsigned bit, found = 0, bitbuf[KEY_BITS_MAX];
	const unsigned *bits;
	struct item *it;
	uint32_t i;
	int ret = 0;

	if (depth_check(P, n, depth))
		return -1;
	it = alloc_n(P, 1, sizeof(*it), n);
	if (!it)
		return -1;
	it->pos = pos_of(P, n);
	*out = it;
	if (n->type == Y_SCALAR && !n->quoted && !strcmp(n->u.s, "wait")) {
		it->kind = IT_WAIT;
		if (!in_group || in_group == 2)
			return diag_report(P->diags, E_BAKE_WAIT_IN_CHAIN,
			    it->pos);
		return 0;
	}
	if (n->type != Y_MAP)
		return type_error(P, n, "step", "a mapping");
	bits = key_bits(n, bitbuf);
	for (i = 0; i < n->n; i++) {
		const struct ynode *k = &n->u.v[2 * i];

		bit = key_bit(n, i, bits) & KIND_FIELDS;
		if (!bit)
			continue;
		if (found && !strcmp(kn->u.s, k->u.s))
			continue;	/* a duplicate key: reported already */
		if (found && (bit == F_IF || found == F_IF))
			return diag_report(P->diags, E_BAKE_IF_ON_STEP,
			    pos_of(P, bit == F_IF ? k : kn),
			    bit == F_IF ? kn->u.s : k->u.s);
		if (found) {
			return diag_report(P->diags, E_BAKE_BOTH, pos_of(P, k),
			    "a step", kn->u.s, k->u.s);
		}
		found = bit;
		kn = k;
		kv = &n->u.v[2 * i + 1];
	}
	switch (found) {
	case F_SH: it->kind = IT_CMD; break;
	case F_WAIT: it->kind = IT_WAIT; break;
	case F_GROUP: it->kind = IT_GROUP; break;
	case F_FORK: it->kind = IT_FORK; break;
	case F_IF: it->kind = IT_IF; break;
	case F_GENERATE: it->kind = IT_GEN; break;
	case F_MATRIX: it->kind = IT_MATRIX; break;
	case F_TARGET: it->kind = IT_CALL; break;
	default:
		/* run:, script:, command: say what to write instead */
		for (i = 0; i < n->n; i++) {
			const char *k = n->u.v[2 * i].u.s, *hint;

			if ((hint = field_hint(k, KIND_FIELDS)))
				return diag_report(P->diags,
				    E_BAKE_UNKNOWN_FIELD_HINT,
				    pos_of(P, &n->u.v[2 * i]), k, hint);
		}
		return diag_report(P->diags, E_BAKE_STEP_KIND, it->pos);
	}
	if (check_fields(P, n, bits, kinds[it->kind], kind_what(it->kind)))
		ret = -1;
	if (parse_opts(P, n, bits, kinds[it->kind], &it->o))
		ret = -1;
	kn = kv;	/* the kind field's value */
	switch (it->kind) {
	case IT_WAIT:
		if (!in_group || in_group == 2)
			return diag_report(P->diags, E_BAKE_WAIT_IN_CHAIN,
			    it->pos);
		if (!ynode_is_null(kn))
			ret = type_error(P, kn, "wait", "null (~)");
		if ((kn = ynode_get(n, "continue_on_failure"))) {
			it->has_continue_on_failure = true;
			if (get_bool(P, kn, "continue_on_failure",
			    &it->continue_on_failure))
				ret = -1;
		}
		break;
	case IT_GROUP:
		if (parse_members(P, kn, "group", it, 1, depth))
			ret = -1;
		break;
	case IT_FORK:
		if (parse_members(P, kn, "fork", it, 0, depth))
			ret = -1;
		break;
	case IT_IF:
		if (parse_if(P, kn, it, depth))
			ret = -1;
		break;
	case IT_GEN:
		if (check_str(P, kn, "generate"))
			ret = -1;
		it->gen = kn;
		it->gen_timeout = it->o.has_timeout ? it->o.timeout :
		    DEF_DEFAULT_TIMEOUT;
		break;
	case IT_MATRIX:
		if (parse_matrix(P, n, it, depth))
			ret = -1;
		break;
	case IT_CALL:
		it->callee.call = true;
		if (get_tref(P, kn, "target", &it->callee)) {
			ret = -1;
		} else if (!it->callee.t->dynamic) {
			ret = diag_report(P->diags, E_BAKE_CALL_STATIC,
			    it->callee.pos, it->callee.name);
		}
		break;
	default:
		break;
	}
	return ret;
}

static int
parse_target(struct parser *P, struct target *t, const struct ynode *v)
{
	const struct ynode *dyn, *steps;
	unsigned bitbuf[KEY_BITS_MAX];
	const unsigned *bits;
	int ret = 0;

	P->cur = t;
	if (v->type == Y_SEQ) {
		ret = chain_add(P, v, &t->body, 1);
		P->cur = NULL;
		return ret;
	}
	if (v->type != Y_MAP) {
		P->cur = NULL;
		return type_error(P, v, t->name,
		    "a target (a mapping, or a list of steps)");
	}
	if ((dyn = ynode_get(v, "dynamic")) &&
	    get_bool(P, dyn, "dynamic", &t->dynamic))
		ret = -1;
	bits = key_bits(v, bitbuf);
	if (check_fields(P, v, bits, K_DYNAMIC_TARGET, "a target"))
		ret = -1;
	if (!t->dynamic) {
		uint32_t i;

		for (i = 0; i < v->n; i++) {
			const struct ynode *k = &v->u.v[2 * i];
			unsigned bit = key_bit(v, i, bits);

			if (bit & (K_DYNAMIC_TARGET & ~K_STATIC_TARGET))
				ret = diag_report(P->diags, E_BAKE_DYNAMIC_ONLY,
				    pos_of(P, k), k->u.s);
		}
	}
	if (parse_opts(P, v, bits, K_DYNAMIC_TARGET, &t->o))
		ret = -1;
	if (t->o.key) {
		const char *why = ir_key_problem(t->o.key->u.s, t->o.key->n);

		if (why)
			ret = diag_report(P->diags, E_BAKE_BAD_KEY,
			    pos_of(P, t->o.key), t->o.key->u.s, why);
		t->key = t->o.key->u.s;
		t->key_pos = pos_of(P, t->o.key);
	}
	steps = ynode_get(v, "steps");
	if (!steps)
		ret = diag_report(P->diags, E_BAKE_MISSING, t->pos, "target",
		    "steps");
	else if (parse_chain(P, steps, "steps", &t->body, 1))
		ret = -1;
	P->cur = NULL;
	return ret;
}

static int
parse_pentry(struct parser *P, const struct ynode *e, struct pentry *pe)
{
	pe->pos = pos_of(P, e);
	if (e->type == Y_SCALAR && !ynode_is_null(e)) {
		if (!e->quoted && !strcmp(e->u.s, "wait"))
			return 0;
		return get_tref(P, e, "pipeline", &pe->t);
	}
	if (e->type == Y_MAP && ynode_get(e, "wait")) {
		const struct ynode *w = ynode_get(e, "wait"), *c;
		int ret = check_fields(P, e, NULL, K_WAIT, "a wait");

		if (!ynode_is_null(w))
			ret = type_error(P, w, "wait", "null (~)");
		if ((c = ynode_get(e, "continue_on_failure"))) {
			pe->has_continue_on_failure = true;
			if (get_bool(P, c, "continue_on_failure",
			    &pe->continue_on_failure))
				ret = -1;
		}
		return ret;
	}
	return type_error(P, e, "pipeline entry", "a target name or a wait");
}

static int
parse_pipeline(struct parser *P, const struct ynode *k, const struct ynode *v,
    struct pipeline *pl)
{
	const struct ynode *list = v, *e;
	uint32_t i;
	int ret = 0;

	pl->name = k->u.s;
	pl->pos = pos_of(P, k);
	if (check_name(P, k, "pipeline name", ir_target_name_problem))
		ret = -1;
	if (v->type == Y_MAP) {
		for (i = 0; i < v->n; i++) {
			const char *f = v->u.v[2 * i].u.s;

			if (strcmp(f, "env") && strcmp(f, "default_image") &&
			    strcmp(f, "targets"))
				ret = diag_report(P->diags, E_BAKE_UNKNOWN_FIELD,
				    pos_of(P, &v->u.v[2 * i]), f, "a pipeline");
		}
		if ((e = ynode_get(v, "env")) && get_env(P, e, &pl->env))
			ret = -1;
		if ((e = ynode_get(v, "default_image")) &&
		    get_str(P, e, "default_image", &pl->default_image))
			ret = -1;
		list = ynode_get(v, "targets");
		if (!list)
			return diag_report(P->diags, E_BAKE_MISSING, pl->pos,
			    "pipeline", "targets");
	}
	if (list->type != Y_SEQ)
		return type_error(P, list, pl->name,
		    "a list of targets and waits");
	pl->v = alloc_n(P, list->n, sizeof(*pl->v), list);
	if (!pl->v)
		return -1;
	for (i = 0; i < list->n; i++) {
		if (parse_pentry(P, &list->u.v[i], &pl->v[pl->n]))
			ret = -1;
		else
			pl->n++;
	}
	return ret;
}

/* Depth-first search for a cycle, iteratively; report each cycle once. */
static int
check_cycles(struct parser *P)
{
	struct def *def = P->def;
	struct {
		struct target *t;
		size_t next;
	} *st;
	size_t i, sp;
	int ret = 0;

	st = malloc((def->ntargets + 1) * sizeof(*st));
	if (!st)
		return diag_report(P->diags, E_NOMEM, def->targets[0]->pos);
	for (i = 0; i < def->ntargets; i++)
		def->targets[i]->mark = 0;
	for (i = 0; i < def->ntargets; i++) {
		if (def->targets[i]->mark)
			continue;
		sp = 0;
		st[sp].t = def->targets[i];
		st[sp].next = 0;
		def->targets[i]->mark = 1;
		while (1) {
			struct target *t = st[sp].t, *u;
			struct tref *r;

			if (st[sp].next == t->nrefs) {
				t->mark = 2;
				if (sp == 0)
					break;
				sp--;
				continue;
			}
			r = t->refs[st[sp].next++];
			u = r->t;
			if (u->mark == 0) {
				u->mark = 1;
				sp++;
				st[sp].t = u;
				st[sp].next = 0;
			} else if (u->mark == 1) {
				/* a cycle: the stack from u to t, then u */
				size_t j = sp, len = 0, q;
				char *path, *p;

				while (st[j].t != u)
					j--;
				for (q = j; q <= sp; q++)
					len += strlen(st[q].t->name) + 4;
				len += strlen(u->name) + 1;
				path = malloc(len);
				if (path) {
					p = path;
					for (q = j; q <= sp; q++)
						p += sprintf(p, "%s -> ",
						    st[q].t->name);
					strcpy(p, u->name);
					diag_report(P->diags, E_BAKE_CYCLE,
					    r->pos, path);
					free(path);
				}
				ret = -1;
				/* mark the edge so the cycle is told once */
				u->mark = 3;
			}
		}
	}
	free(st);
	return ret;
}

/* default: NAME, the pipeline baked when none is chosen. */
static int
parse_default(struct parser *P, const struct ynode *n)
{
	struct def *def = P->def;

	if (!n)
		return 0;
	if (check_str(P, n, "default"))
		return -1;
	def->default_pipeline = def_pipeline(def, n->u.s);
	if (!def->default_pipeline)
		return diag_report(P->diags, E_BAKE_NO_PIPELINE, pos_of(P, n),
		    n->u.s, def->npipelines ? def_pipeline_names(def) :
		    "none");
	return 0;
}

/* def_parse, with its parser set up. */
static int
parse_root(struct parser *P, const struct ynode *root)
{
	struct def *def = P->def;
	struct diag_list *diags = P->diags;
	const struct ynode *targets, *pipelines;
	struct strmap keys = STRMAP_INIT;
	struct target *t, *o;
	uint32_t i;
	int ret = 0;

	if (root->type != Y_MAP)
		return diag_report(diags, E_BAKE_ROOT, pos_of(P, root),
		    ynode_kind(root));
	for (i = 0; i < root->n; i++) {
		const struct ynode *k = &root->u.v[2 * i];

		/* x-NAME and .NAME hold anchors for aliases, and are ignored */
		if (strcmp(k->u.s, "targets") && strcmp(k->u.s, "pipelines") &&
		    strcmp(k->u.s, "default") &&
		    strncmp(k->u.s, "x-", 2) && k->u.s[0] != '.')
			ret = diag_report(diags, E_BAKE_UNKNOWN_FIELD,
			    pos_of(P, k), k->u.s, "the definition");
	}
	targets = ynode_get(root, "targets");
	pipelines = ynode_get(root, "pipelines");
	if (!targets)
		return diag_report(diags, E_BAKE_MISSING, pos_of(P, root),
		    "the definition", "targets");
	if (targets->type != Y_MAP)
		return type_error(P, targets, "targets",
		    "a mapping of target names to targets");
	def->targets = alloc_n(P, targets->n, sizeof(*def->targets), targets);
	if (!def->targets)
		return -1;
	if (strmap_reserve(&def->byname, targets->n))
		return diag_report(diags, E_NOMEM, pos_of(P, targets));
	/* first the names, so that references may point forward */
	for (i = 0; i < targets->n; i++) {
		const struct ynode *k = &targets->u.v[2 * i];
		const struct ynode *v = &targets->u.v[2 * i + 1], *d;

		if (check_name(P, k, "target name", ir_target_name_problem)) {
			ret = -1;
			continue;
		}
		if (!strcmp(k->u.s, "wait")) {
			ret = diag_report(diags, E_BAKE_BAD_NAME, pos_of(P, k),
			    "target name", k->u.s,
			    "'wait' stands for a wait in pipelines");
			continue;
		}
		if (def_target(def, k->u.s))
			continue;	/* a duplicate key: reported already */
		t = alloc_n(P, 1, sizeof(*t), k);
		if (!t)
			return -1;
		t->name = k->u.s;
		t->pos = pos_of(P, k);
		t->node = v;
		t->key = t->name;
		t->key_pos = t->pos;
		/* known before any body: calls need their callee's kind */
		if (v->type == Y_MAP && (d = ynode_get(v, "dynamic")) &&
		    d->type == Y_SCALAR && !d->quoted &&
		    (!strcmp(d->u.s, "true") || !strcmp(d->u.s, "True") ||
		    !strcmp(d->u.s, "TRUE")))
			t->dynamic = true;
		if (strmap_put(&def->byname, t->name, t))
			return diag_report(diags, E_NOMEM, t->pos);
		def->targets[def->ntargets++] = t;
	}
	for (i = 0; i < def->ntargets; i++) {
		size_t before = diags->errors;

		t = def->targets[i];
		if (parse_target(P, t, t->node) || diags->errors > before) {
			t->bad = true;
			def->target_errors += diags->errors - before;
			ret = -1;
		}
	}
	/* target keys must differ */
	if (strmap_reserve(&keys, def->ntargets))
		return diag_report(diags, E_NOMEM, pos_of(P, targets));
	for (i = 0; i < def->ntargets; i++) {
		t = def->targets[i];
		if ((o = strmap_get(&keys, t->key))) {
			ret = diag_report(diags, E_BAKE_DUP_TARGET_KEY,
			    t->key_pos, t->key, o->name, o->key_pos.line,
			    o->key_pos.col);
			continue;
		}
		if (strmap_put(&keys, t->key, t)) {
			strmap_release(&keys);
			return diag_report(diags, E_NOMEM, t->pos);
		}
	}
	strmap_release(&keys);
	if (def->ntargets && check_cycles(P))
		ret = -1;
	if (pipelines) {
		if (pipelines->type != Y_MAP)
			return type_error(P, pipelines, "pipelines",
			    "a mapping of pipeline names to pipelines");
		def->pipelines = alloc_n(P, pipelines->n,
		    sizeof(*def->pipelines), pipelines);
		if (!def->pipelines)
			return -1;
		for (i = 0; i < pipelines->n; i++) {
			if (parse_pipeline(P, &pipelines->u.v[2 * i],
			    &pipelines->u.v[2 * i + 1],
			    &def->pipelines[def->npipelines]))
				ret = -1;
			else
				def->npipelines++;
		}
	}
	if (parse_default(P, ynode_get(root, "default")))
		ret = -1;
	return ret;
}

int
def_parse(struct def *def, const struct ynode *root, struct diag_list *diags)
{
	struct parser P = { def, def->file, diags, NULL, { NULL, NULL, 0, 0 } };
	int ret = parse_root(&P, root);

	memo_release(&P.memo);
	return ret;
}

int
def_parse_chain(struct def *def, const char *file, const struct ynode *n,
    struct chain *out, struct diag_list *diags)
{
	struct parser P = { def, file, diags, NULL, { NULL, NULL, 0, 0 } };
	int ret = parse_chain(&P, n, "generator output", out, 1);

	memo_release(&P.memo);
	return ret;
}
