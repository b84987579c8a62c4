/* hm: hm-lower --status: each step's status in a run, from its events. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "status.h"
#include "tool.h"

struct run_status_ent {
	char *key;		/* malloc'd */
	const char *status;	/* static */
	size_t order;		/* of its event: the last one wins */
};

static const char *const statuses[] = {
	/* from best to worst: a replicated step shows its worst replica */
	"passed", "skipped", "canceled", "soft_failed", "timed_out", "failed",
};

static int
rank(const char *s)
{
	int i;

	for (i = 0; i < (int)(sizeof(statuses) / sizeof(statuses[0])); i++)
		if (strcmp(s, statuses[i]) == 0)
			return i;
	return -1;
}

static void
add(struct run_status *rs, const char *key, size_t len, const char *status,
    size_t order)
{
	struct run_status_ent *e;

	if (rs->n == rs->cap) {
		rs->cap = 2 * rs->cap + 64;
		rs->v = xreallocarray(rs->v, rs->cap, sizeof(*rs->v));
	}
	e = &rs->v[rs->n++];
	e->key = xmalloc(len + 1);
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	e->status = status;
	e->order = order;
}

static int
by_key(const void *a, const void *b)
{
	const struct run_status_ent *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

/* The string member name of object obj in doc, or NULL. */
static const char *
member(const struct json_doc *doc, uint32_t obj, const char *name,
    size_t *len)
{
	uint32_t k;
	size_t n;

	for (k = json_first(doc, obj); k; k = json_next_member(doc, obj, k))
		if (strcmp(json_str(doc, k, &n), name) == 0)
			return json_type(doc, k + 1) == JSON_STRING ?
			    json_str(doc, k + 1, len) : NULL;
	return NULL;
}

/* One line: a step_finished event adds its key and status. */
static int
read_line(struct run_status *rs, const char *file, unsigned lineno,
    const char *line, size_t len, struct diag_list *diags)
{
	struct json_doc doc;
	char *text = xmalloc(len + 2);
	const char *ev, *key, *st;
	size_t klen, n, i, before = diags->n;
	int r;

	memcpy(text, line, len);
	if (json_parse(&doc, file, text, len, diags) < 0) {
		/* each line was parsed alone: its errors are on line 1 */
		for (i = before; i < diags->n; i++)
			diags->items[i].pos.line = lineno;
		json_doc_release(&doc);
		return -1;
	}
	if (json_type(&doc, 0) == JSON_OBJECT &&
	    (ev = member(&doc, 0, "event", &n)) &&
	    strcmp(ev, "step_finished") == 0 &&
	    (key = member(&doc, 0, "key", &klen)) &&
	    (st = member(&doc, 0, "status", &n)) && (r = rank(st)) >= 0)
		add(rs, key, klen, statuses[r], rs->n);
	json_doc_release(&doc);
	return 0;
}

/* Each replica S@L also counts for S, at its worst. */
static void
fold_replicas(struct run_status *rs)
{
	size_t i, n = rs->n;
	const char *at;

	for (i = 0; i < n; i++)
		if ((at = strchr(rs->v[i].key, '@')))
			add(rs, rs->v[i].key, (size_t)(at - rs->v[i].key),
			    rs->v[i].status, rs->v[i].order);
}

int
run_status_read(struct run_status *rs, const char *file, char *text,
    size_t size, struct diag_list *diags)
{
	size_t i, j, k, w;
	const char *p = text, *end = text + size, *nl;
	unsigned lineno = 0;
	int ret = 0;

	memset(rs, 0, sizeof(*rs));
	rs->text = text;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		lineno++;
		if (nl > p && read_line(rs, file, lineno, p, (size_t)(nl - p),
		    diags) < 0)
			ret = -1;
	}
	/* the last event of a key; then the worst over replicas */
	qsort(rs->v, rs->n, sizeof(*rs->v), by_key);
	for (i = 0, w = 0; i < rs->n; i = j) {
		for (j = i + 1; j < rs->n &&
		    strcmp(rs->v[j].key, rs->v[i].key) == 0; j++)
			;
		for (k = i; k + 1 < j; k++)
			free(rs->v[k].key);
		rs->v[w++] = rs->v[j - 1];
	}
	rs->n = w;
	fold_replicas(rs);
	qsort(rs->v, rs->n, sizeof(*rs->v), by_key);
	for (i = 0, w = 0; i < rs->n; i = j) {
		struct run_status_ent best = rs->v[i];

		for (j = i + 1; j < rs->n &&
		    strcmp(rs->v[j].key, rs->v[i].key) == 0; j++) {
			if (rank(rs->v[j].status) > rank(best.status))
				best.status = rs->v[j].status;
			free(rs->v[j].key);
		}
		rs->v[w++] = best;
	}
	rs->n = w;
	return ret;
}

static const char *
lookup(void *ctx, const char *key)
{
	struct run_status *rs = ctx;
	const struct run_status_ent *e;
	size_t lo = 0, hi = rs->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		e = &rs->v[mid];
		c = strcmp(key, e->key);
		if (c == 0)
			return e->status;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

struct ir_dot_status
run_status_dot(struct run_status *rs)
{
	struct ir_dot_status st = { lookup, rs };

	return st;
}

void
run_status_release(struct run_status *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		free(rs->v[i].key);
	free(rs->v);
	free(rs->text);
	memset(rs, 0, sizeof(*rs));
}
