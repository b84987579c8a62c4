/* hm: a small string-keyed hash map (open addressing), for names and keys. */
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

static size_t
hash(const char *s)
{
	size_t h = 14695981039346656037u;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211u;
	}
	return h;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	size_t i, mask;

	if (!m->cap)
		return NULL;
	mask = m->cap - 1;
	for (i = hash(key) & mask; m->keys[i]; i = (i + 1) & mask)
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	return NULL;
}

static int
grow(struct strmap *m)
{
	size_t cap = m->cap ? 2 * m->cap : 64, i, j;
	const char **keys = calloc(cap, sizeof(*keys));
	void **vals = calloc(cap, sizeof(*vals));

	if (!keys || !vals) {
		free(keys);
		free(vals);
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		for (j = hash(m->keys[i]) & (cap - 1); keys[j];
		    j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return 0;
}

int
strmap_put(struct strmap *m, const char *key, void *val)
{
	size_t i, mask;

	if (2 * (m->n + 1) > m->cap && grow(m))
		return -1;
	mask = m->cap - 1;
	for (i = hash(key) & mask; m->keys[i]; i = (i + 1) & mask) {
		if (strcmp(m->keys[i], key) == 0) {
			m->vals[i] = val;
			return 0;
		}
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 0;
}

void
strmap_release(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->n = m->cap = 0;
}
