/* hm: hm-lower --diff: what changed between two IR documents, step by step. */
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "ir_write.h"
#include "json.h"
#include "jsonw.h"
#include "tool.h"

/*
 * Both documents are written in canonical form and read back as JSON
 * trees, so that every field the writer knows is compared without a
 * list of fields here. A step is found by its key; a wait, which has
 * none, by the step before it in its list ("wait after 'build'"). Steps
 * that moved to another group say so; the order of members, which means
 * nothing apart from waits, is not compared.
 */

struct ent {
	const char *id;		/* key, or a wait's name */
	const char *parent;	/* enclosing group's key, NULL: top level */
	uint32_t node;		/* the step's object */
	int wait;
};

struct side {
	struct json_doc j;
	struct ent *v;
	size_t n, cap;
};

static const char *
str_of(const struct json_doc *j, uint32_t obj, const char *name)
{
	uint32_t v = json_get(j, obj, name);

	return v && json_type(j, v) == JSON_STRING ? json_str(j, v, NULL) :
	    NULL;
}

static void
add(struct side *s, const char *id, const char *parent, uint32_t node,
    int wait)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = xreallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n].id = id;
	s->v[s->n].parent = parent;
	s->v[s->n].node = node;
	s->v[s->n].wait = wait;
	s->n++;
}

/* Every step of list arr, members after their group. */
static void
collect(struct side *s, uint32_t arr, const char *parent)
{
	const struct json_doc *j = &s->j;
	const char *prev = NULL, *type, *key;
	uint32_t e, members;
	int again = 0;
	char *id;

	for (e = json_first(j, arr); e; e = json_next_elem(j, arr, e)) {
		type = str_of(j, e, "type");
		if (type && strcmp(type, "wait") == 0) {
			size_t n = (prev ? strlen(prev) : 0) +
			    (parent ? strlen(parent) : 0) + 64;

			id = xmalloc(n);
			if (prev)
				snprintf(id, n, "wait after '%s'", prev);
			else if (parent)
				snprintf(id, n, "wait at the start of '%s'",
				    parent);
			else
				snprintf(id, n, "wait at the start");
			if (again++)
				snprintf(id + strlen(id), 16, " (%d)", again);
			add(s, id, parent, e, 1);
			continue;
		}
		key = str_of(j, e, "key");
		if (!key)
			continue;	/* checked documents have one */
		add(s, key, parent, e, 0);
		prev = key;
		again = 0;
		members = json_get(j, e, "steps");
		if (members && json_type(j, members) == JSON_ARRAY)
			collect(s, members, key);
	}
}

/* Write doc canonically on one line and read it back into s. */
static void
load_side(struct side *s, const struct ir_doc *doc, const char *name)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct jsonw w;
	char *text;
	size_t len;
	uint32_t steps;

	memset(s, 0, sizeof(*s));
	jsonw_init(&w, -1, 0);
	ir_write(doc, &w);
	if (jsonw_finish(&w, &text, &len))
		dief(EXIT_SOFTWARE, "out of memory");
	text = xreallocarray(text, len + 2, 1);
	if (json_parse(&s->j, name, text, len, &diags))
		dief(EXIT_SOFTWARE, "internal error: canonical IR of %s "
		    "does not read back", name);
	diag_list_release(&diags);
	steps = json_get(&s->j, 0, "steps");
	if (steps)
		collect(s, steps, NULL);
}

static void
release_side(struct side *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].wait)
			free((char *)s->v[i].id);
	free(s->v);
	json_doc_release(&s->j);
}

static int
ent_cmp(const void *x, const void *y)
{
	return strcmp(((const struct ent *)x)->id,
	    ((const struct ent *)y)->id);
}

/* The entry of s (sorted copy) named id, or NULL. */
static const struct ent *
find(const struct ent *sorted, size_t n, const char *id)
{
	struct ent k = { id, NULL, 0, 0 };

	return n ? bsearch(&k, sorted, n, sizeof(k), ent_cmp) : NULL;
}

static int
same_value(const struct json_doc *a, uint32_t x, const struct json_doc *b,
    uint32_t y)
{
	enum json_type t = json_type(a, x);
	size_t la, lb;
	uint32_t k, e, f;

	if (t != json_type(b, y))
		return 0;
	switch (t) {
	case JSON_STRING: {
		const char *sa = json_str(a, x, &la), *sb = json_str(b, y, &lb);

		return la == lb && memcmp(sa, sb, la) == 0;
	}
	case JSON_NUMBER: {
		const char *na = json_num(a, x, &la), *nb = json_num(b, y, &lb);

		return la == lb && memcmp(na, nb, la) == 0;
	}
	case JSON_OBJECT:
		if (json_count(a, x) != json_count(b, y))
			return 0;
		for (k = json_first(a, x); k; k = json_next_member(a, x, k)) {
			f = json_get(b, y, json_str(a, k, NULL));
			if (!f || !same_value(a, k + 1, b, f))
				return 0;
		}
		return 1;
	case JSON_ARRAY:
		if (json_count(a, x) != json_count(b, y))
			return 0;
		for (e = json_first(a, x), f = json_first(b, y); e && f;
		    e = json_next_elem(a, x, e), f = json_next_elem(b, y, f))
			if (!same_value(a, e, b, f))
				return 0;
		return 1;
	default:
		return 1;
	}
}

/* node i as JSON on one line */
static void
print_value(const struct json_doc *j, uint32_t i, FILE *out)
{
	struct jsonw w;
	char *text;
	size_t len;

	jsonw_init(&w, -1, 0);
	ir_write_json(j, i, &w);
	if (jsonw_finish(&w, &text, &len))
		dief(EXIT_SOFTWARE, "out of memory");
	fputs(text, out);
	free(text);
}

static void
print_field(FILE *out, char sign, const char *path, const char *name,
    const struct json_doc *j, uint32_t v)
{
	fprintf(out, "    %c %s%s%s: ", sign, path, *path ? "." : "", name);
	print_value(j, v, out);
	fputc('\n', out);
}

/* The header line of a step or the document, once, before its first field. */
struct head {
	char sign;
	const char *what;
	int done;
};

static void
head(FILE *out, struct head *h)
{
	if (!h->done)
		fprintf(out, "%c %s\n", h->sign, h->what);
	h->done = 1;
}

/* Fields of object x (a) and y (b) that differ, objects member by member. */
static void
diff_obj(const struct json_doc *a, uint32_t x, const struct json_doc *b,
    uint32_t y, const char *path, int top, struct head *h, FILE *out)
{
	uint32_t k, f;
	const char *name;
	char *sub;

	for (k = json_first(a, x); k; k = json_next_member(a, x, k)) {
		name = json_str(a, k, NULL);
		if (top && (!strcmp(name, "steps") || !strcmp(name, "key")))
			continue;
		f = json_get(b, y, name);
		if (!f) {
			head(out, h);
			print_field(out, '-', path, name, a, k + 1);
		} else if (json_type(a, k + 1) == JSON_OBJECT &&
		    json_type(b, f) == JSON_OBJECT) {
			size_t n = strlen(path) + strlen(name) + 2;

			sub = xmalloc(n);
			snprintf(sub, n, "%s%s%s", path, *path ? "." : "", name);
			diff_obj(a, k + 1, b, f, sub, 0, h, out);
			free(sub);
		} else if (!same_value(a, k + 1, b, f)) {
			head(out, h);
			fprintf(out, "    ~ %s%s%s: ", path, *path ? "." : "",
			    name);
			print_value(a, k + 1, out);
			fputs(" -> ", out);
			print_value(b, f, out);
			fputc('\n', out);
		}
	}
	for (k = json_first(b, y); k; k = json_next_member(b, y, k)) {
		name = json_str(b, k, NULL);
		if (top && (!strcmp(name, "steps") || !strcmp(name, "key")))
			continue;
		if (!json_get(a, x, name)) {
			head(out, h);
			print_field(out, '+', path, name, b, k + 1);
		}
	}
}

/* An added or removed step: its header and every field but members. */
static void
print_whole(const struct json_doc *j, const struct ent *e, char sign,
    FILE *out)
{
	uint32_t k;
	const char *name;

	const char *type = str_of(j, e->node, "type");

	if (e->wait)
		fprintf(out, "%c %s\n", sign, e->id);
	else
		fprintf(out, "%c %s '%s'\n", sign, type &&
		    !strcmp(type, "group") ? "group" : "step", e->id);
	if (e->parent)
		fprintf(out, "    %c in group '%s'\n", sign, e->parent);
	for (k = json_first(j, e->node); k;
	    k = json_next_member(j, e->node, k)) {
		name = json_str(j, k, NULL);
		if (strcmp(name, "steps") && strcmp(name, "key") &&
		    strcmp(name, "type"))
			print_field(out, sign, "", name, j, k + 1);
	}
}

static size_t
diff_step(const struct side *a, const struct ent *ea, const struct side *b,
    const struct ent *eb, FILE *out)
{
	size_t n = strlen(ea->id) + 16;
	char *what = xmalloc(n);
	struct head h = { '~', what, 0 };

	const char *type = str_of(&b->j, eb->node, "type");

	if (ea->wait)
		snprintf(what, n, "%s", ea->id);
	else
		snprintf(what, n, "%s '%s'", type && !strcmp(type, "group") ?
		    "group" : "step", ea->id);
	if ((ea->parent == NULL) != (eb->parent == NULL) ||
	    (ea->parent && strcmp(ea->parent, eb->parent))) {
		head(out, &h);
		fprintf(out, "    ~ in group: %s%s%s -> %s%s%s\n",
		    ea->parent ? "'" : "", ea->parent ? ea->parent : "top level",
		    ea->parent ? "'" : "", eb->parent ? "'" : "",
		    eb->parent ? eb->parent : "top level", eb->parent ? "'" : "");
	}
	diff_obj(&a->j, ea->node, &b->j, eb->node, "", 1, &h, out);
	free(what);
	return h.done;
}

size_t
ir_diff(const struct ir_doc *da, const struct ir_doc *db, const char *name_a,
    const char *name_b, FILE *out)
{
	struct side a, b;
	struct ent *sa, *sb;
	struct head h = { '~', "document", 0 };
	const struct ent *e;
	size_t i, changes = 0, len;
	FILE *real = out;
	char *text;

	load_side(&a, da, name_a);
	load_side(&b, db, name_b);
	sa = xreallocarray(NULL, a.n, sizeof(*sa));
	sb = xreallocarray(NULL, b.n, sizeof(*sb));
	if (a.n)
		memcpy(sa, a.v, a.n * sizeof(*sa));
	if (b.n)
		memcpy(sb, b.v, b.n * sizeof(*sb));
	qsort(sa, a.n, sizeof(*sa), ent_cmp);
	qsort(sb, b.n, sizeof(*sb), ent_cmp);

	/* into memory: the header only if something differs, as diff(1) */
	out = open_memstream(&text, &len);
	if (!out)
		dief(EXIT_SOFTWARE, "out of memory");
	/* the document's own fields; steps are compared one by one */
	diff_obj(&a.j, 0, &b.j, 0, "", 1, &h, out);
	changes += h.done;
	/* in a's order: removed or changed; then what b adds, in its order */
	for (i = 0; i < a.n; i++) {
		e = find(sb, b.n, a.v[i].id);
		if (!e) {
			print_whole(&a.j, &a.v[i], '-', out);
			changes++;
		} else {
			changes += diff_step(&a, &a.v[i], &b, e, out);
		}
	}
	for (i = 0; i < b.n; i++)
		if (!find(sa, a.n, b.v[i].id)) {
			print_whole(&b.j, &b.v[i], '+', out);
			changes++;
		}
	if (fclose(out))
		dief(EXIT_SOFTWARE, "out of memory");
	if (changes) {
		fprintf(real, "--- %s\n+++ %s\n", name_a, name_b);
		fwrite(text, 1, len, real);
	}
	free(text);
	free(sa);
	free(sb);
	release_side(&a);
	release_side(&b);
	return changes;
}
