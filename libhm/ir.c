/* hm: the IR model: construction, names, and lookup by key. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "ir.h"
#include "ir_index.h"
#include "json.h"

struct ir_doc *
ir_doc_new(const char *file)
{
	struct arena *a = arena_new();
	struct ir_doc *doc;

	if (!a)
		return NULL;
	doc = arena_calloc(a, 1, sizeof(*doc));
	if (!doc) {
		arena_free(a);
		return NULL;
	}
	doc->arena = a;
	doc->file = file ? arena_strdup(a, file) : NULL;
	if (file && !doc->file) {
		arena_free(a);
		return NULL;
	}
	doc->format = IR_FORMAT_V1;
	return doc;
}

void
ir_doc_free(struct ir_doc *doc)
{
	if (!doc)
		return;
	ir_index_free(doc->index);
	if (doc->json) {
		json_doc_release(doc->json);
		free(doc->json);
	}
	arena_free(doc->arena);
}

struct srcpos
ir_pos(const struct ir_doc *doc, ir_loc loc)
{
	struct srcpos none = { NULL, 0, 0 };

	if (loc == 0)
		return none;
	if (loc & IR_LOC_TABLE) {
		loc &= ~IR_LOC_TABLE;
		return loc < doc->nlocs ? doc->locs[loc] : none;
	}
	return doc->json ? json_pos_at(doc->json, loc - 1) : none;
}

ir_loc
ir_loc_new(struct ir_doc *doc, struct srcpos pos)
{
	if (doc->nlocs >= IR_LOC_TABLE - 1 ||
	    arena_grow(doc->arena, &doc->locs, doc->nlocs,
	    sizeof(*doc->locs)) < 0)
		return 0;
	doc->locs[doc->nlocs] = pos;
	return IR_LOC_TABLE | doc->nlocs++;
}

/* A table place is already dst's: an array two steps share moves once. */
ir_loc
ir_loc_move(struct ir_doc *dst, const struct ir_doc *src, ir_loc loc)
{
	if (loc == 0 || (loc & IR_LOC_TABLE))
		return loc;
	return ir_loc_new(dst, ir_pos(src, loc));
}

static void
locs_move(struct ir_doc *dst, const struct ir_doc *src, ir_loc *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		v[i] = ir_loc_move(dst, src, v[i]);
}

static void
cache_move_locs(struct ir_doc *dst, const struct ir_doc *src,
    struct ir_cache *c)
{
	size_t i;

	c->pos = ir_loc_move(dst, src, c->pos);
	locs_move(dst, src, c->env_keys.pos, c->env_keys.n);
	locs_move(dst, src, c->paths.pos, c->paths.n);
	for (i = 0; i < c->nsub; i++)
		cache_move_locs(dst, src, c->sub_policies[i]);
}

void
ir_step_move_locs(struct ir_doc *dst, const struct ir_doc *src,
    struct ir_step *s)
{
	size_t i;

	s->pos = ir_loc_move(dst, src, s->pos);
	s->key_pos = ir_loc_move(dst, src, s->key_pos);
	s->builds_in.pos = ir_loc_move(dst, src, s->builds_in.pos);
	for (i = 0; i < s->ndepends_on; i++)
		s->depends_on[i].pos = ir_loc_move(dst, src,
		    s->depends_on[i].pos);
	s->eval_pos = ir_loc_move(dst, src, s->eval_pos);
	locs_move(dst, src, s->env.pos, s->env.n);
	if (s->more) {
		struct ir_more *m = s->more;

		if (m->cache)
			cache_move_locs(dst, src, m->cache);
		locs_move(dst, src, m->secret_env.pos, m->secret_env.n);
		m->target_pos = ir_loc_move(dst, src, m->target_pos);
		m->continue_in.pos = ir_loc_move(dst, src,
		    m->continue_in.pos);
		m->cont_pos = ir_loc_move(dst, src, m->cont_pos);
		for (i = 0; i < m->nconsumes; i++) {
			m->consumes[i].step.pos = ir_loc_move(dst, src,
			    m->consumes[i].step.pos);
			m->consumes[i].output_pos = ir_loc_move(dst, src,
			    m->consumes[i].output_pos);
		}
	}
	for (i = 0; i < s->nsteps; i++)
		ir_step_move_locs(dst, src, s->steps[i]);
}

struct ir_step *
ir_step_new(struct ir_doc *doc, enum ir_step_type type)
{
	struct ir_step *s = arena_calloc(doc->arena, 1, sizeof(*s));

	if (!s)
		return NULL;
	s->type = type;
	s->builds_in_kind = type == IR_GROUP ? IR_BUILDS_IN_ABSENT :
	    IR_BUILDS_IN_NULL;
	return s;
}

const struct ir_more ir_more_none;

struct ir_more *
ir_step_more(struct ir_doc *doc, struct ir_step *s)
{
	if (!s->more)
		s->more = arena_calloc(doc->arena, 1, sizeof(*s->more));
	return s->more;
}

int
ir_doc_append(struct ir_doc *doc, struct ir_step *step)
{
	if (doc->nsteps >= UINT32_MAX ||
	    arena_grow(doc->arena, &doc->steps, doc->nsteps,
	    sizeof(*doc->steps)) < 0)
		return -1;
	step->parent = NULL;
	step->index = (uint32_t)doc->nsteps;
	doc->steps[doc->nsteps++] = step;
	return 0;
}

int
ir_group_append(struct ir_doc *doc, struct ir_step *group,
    struct ir_step *step)
{
	if (group->nsteps >= UINT32_MAX ||
	    arena_grow(doc->arena, &group->steps, group->nsteps,
	    sizeof(*group->steps)) < 0)
		return -1;
	step->parent = group;
	step->index = group->nsteps;
	group->steps[group->nsteps++] = step;
	return 0;
}

static int
key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
	    c == '+' || c == '-';
}

bool
ir_key_under(const char *key, const char *prefix, size_t plen)
{
	return strncmp(key, prefix, plen) == 0 && key[plen] == IR_KEY_SEP &&
	    key[plen + 1] != '\0';
}

const char *
ir_key_problem(const char *key, size_t len)
{
	size_t i;

	if (len == 0)
		return "a key must not be empty";
	if (len > IR_KEY_MAX)
		return "a key is at most 255 bytes long";
	if (key[0] == IR_KEY_SEP || key[len - 1] == IR_KEY_SEP)
		return "a key must not begin or end with '/'";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];

		if (c == IR_KEY_SEP) {
			if (key[i + 1] == IR_KEY_SEP)
				return "a key must not contain '//'";
			continue;
		}
		if (c == IR_REPLICA_SEP)
			return "'@' is reserved for replicated steps";
		if (!key_char(c))
			return "only letters, digits, '_', '.', ':', '+', '-' "
			    "and '/' between segments are allowed";
	}
	return NULL;
}

const char *
ir_env_name_problem(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return "a name must not be empty";
	if (s[0] >= '0' && s[0] <= '9')
		return "a name must not begin with a digit";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_'))
			return "only letters, digits and '_' are allowed";
	}
	return NULL;
}

const char *
ir_target_name_problem(const char *s, size_t len)
{
	if (len > 0 && len <= IR_KEY_MAX && (s[0] == '.' || s[0] == '-'))
		return "a name must begin with a letter, digit or '_'";
	/* otherwise the rules of an output's name */
	return ir_output_name_problem(s, len);
}

const char *
ir_output_name_problem(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return "a name must not be empty";
	if (len > IR_KEY_MAX)
		return "a name is at most 255 bytes long";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return "only letters, digits, '_', '.' and '-' are "
			    "allowed";
	}
	return NULL;
}

size_t
ir_output_var_size(const char *key, const char *name)
{
	return 7 + strlen(key) + 1 + strlen(name) + 1;
}

/* s upper-cased, every byte but a letter or digit an underscore */
static char *
output_var_part(char *dst, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'a' && c <= 'z')
			*dst++ = (char)(c - 'a' + 'A');
		else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			*dst++ = (char)c;
		else
			*dst++ = '_';
	}
	return dst;
}

void
ir_output_var(const char *key, const char *name, char *out)
{
	memcpy(out, "HM_OUT_", 7);
	out = output_var_part(out + 7, key);
	*out++ = '_';
	*output_var_part(out, name) = '\0';
}

const char *
ir_cache_policy_name(enum ir_cache_policy p)
{
	switch (p) {
	case IR_CACHE_NONE:
		return "none";
	case IR_CACHE_FOREVER:
		return "forever";
	case IR_CACHE_TTL:
		return "ttl";
	case IR_CACHE_ON_CHANGE:
		return "on_change";
	case IR_CACHE_COMPOSE:
		return "compose";
	}
	return "none";
}

int
ir_cache_policy_parse(const char *name, enum ir_cache_policy *p)
{
	int i;

	for (i = IR_CACHE_NONE; i <= IR_CACHE_COMPOSE; i++)
		if (strcmp(name, ir_cache_policy_name(i)) == 0) {
			*p = (enum ir_cache_policy)i;
			return 0;
		}
	return -1;
}

bool
ir_cache_takes(enum ir_cache_policy p, enum ir_cache_field f)
{
	switch (f) {
	case IR_CACHE_FIELD_POLICY:
		return true;
	case IR_CACHE_FIELD_DURATION:
		return p == IR_CACHE_TTL;
	case IR_CACHE_FIELD_ENV_KEYS:
		return p == IR_CACHE_FOREVER || p == IR_CACHE_TTL;
	case IR_CACHE_FIELD_PATHS:
		return p == IR_CACHE_ON_CHANGE;
	case IR_CACHE_FIELD_SUB_POLICIES:
		return p == IR_CACHE_COMPOSE;
	case IR_CACHE_FIELD_KEY:
		return p != IR_CACHE_NONE;
	case IR_CACHE_NFIELDS:
		break;
	}
	return false;
}

const char *
ir_cont_name(enum ir_cont c)
{
	switch (c) {
	case IR_CONT_JOIN:
		return "join";
	case IR_CONT_EACH:
		return "each";
	default:
		return NULL;
	}
}

void
ir_wait_name(const struct ir_step *wait, char *buf, size_t size)
{
	snprintf(buf, size, "%s#%" PRIu32 "", wait->parent ? wait->parent->key : "",
	    wait->index);
}

struct ir_step *
ir_find(const struct ir_doc *doc, const char *key)
{
	uint32_t id;

	if (!doc->index ||
	    (id = ir_index_get(doc->index, key)) == IR_INDEX_NONE)
		return NULL;
	return doc->all[id];
}
