/* hm: the IR model: construction, names, and lookup by key. */
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

static int
list_append(struct ir_doc *doc, struct ir_step ***v, size_t *n,
    struct ir_step *step)
{
	if (arena_grow(doc->arena, v, *n, sizeof(**v)) < 0)
		return -1;
	(*v)[(*n)++] = step;
	return 0;
}

int
ir_doc_append(struct ir_doc *doc, struct ir_step *step)
{
	step->parent = NULL;
	step->index = doc->nsteps;
	return list_append(doc, &doc->steps, &doc->nsteps, step);
}

int
ir_group_append(struct ir_doc *doc, struct ir_step *group,
    struct ir_step *step)
{
	step->parent = group;
	step->index = group->nsteps;
	return list_append(doc, &group->steps, &group->nsteps, step);
}

static int
key_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == ':' ||
	    c == '+' || c == '-';
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
	size_t i;

	if (len == 0)
		return "a name must not be empty";
	if (len > IR_KEY_MAX)
		return "a name is at most 255 bytes long";
	if (s[0] == '.' || s[0] == '-')
		return "a name must begin with a letter, digit or '_'";
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
	snprintf(buf, size, "%s#%zu", wait->parent ? wait->parent->key : "",
	    wait->index);
}

struct ir_step *
ir_find(const struct ir_doc *doc, const char *key)
{
	if (!doc->index)
		return NULL;
	return ir_index_get(doc->index, key);
}
