/* hm: a small string-keyed hash map (open addressing), for names and keys. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "strmap.h"

static size_t
hash(const char *s)
{
	return (size_t)hash_str(s) | 1;	/* 0 marks an empty slot */
}

/* The slot of key, or of the empty slot where it would go. */
static size_t
slot(const struct strmap *m, const char *key, size_t h)
{
	size_t mask = m->cap - 1, i;

	for (i = h & mask; m->hashes[i]; i = (i + 1) & mask)
		if (m->hashes[i] == h && strcmp(m->keys[i], key) == 0)
			break;
	return i;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = slot(m, key, hash(key));
	return m->hashes[i] ? m->vals[i] : NULL;
}

/* Move the entries into a table of cap slots (a power of two). */
static int
rehash(struct strmap *m, size_t cap)
{
	const char **keys = calloc(cap, sizeof(*keys));
	size_t i, j;
	void **vals = calloc(cap, sizeof(*vals));
	size_t *hashes = calloc(cap, sizeof(*hashes));

	if (!keys || !vals || !hashes) {
		free(keys);
		free(vals);
		free(hashes);
		return -1;
	}
	for (i = 0; i < m->cap; i++) {
		if (!m->hashes[i])
			continue;
		for (j = m->hashes[i] & (cap - 1); hashes[j];
		    j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
		hashes[j] = m->hashes[i];
	}
	free(m->keys);
	free(m->vals);
	free(m->hashes);
	m->keys = keys;
	m->vals = vals;
	m->hashes = hashes;
	m->cap = cap;
	return 0;
}

static int
grow(struct strmap *m)
{
	return rehash(m, m->cap ? 2 * m->cap : 64);
}

int
strmap_reserve(struct strmap *m, size_t n)
{
	size_t cap = m->cap ? m->cap : 64;

	/* at most half full, as strmap_add keeps it */
	while (cap / 2 < n) {
		if (cap > SIZE_MAX / 4)
			return -1;
		cap *= 2;
	}
	return cap > m->cap ? rehash(m, cap) : 0;
}

int
strmap_add(struct strmap *m, const char *key, void *val, void **old)
{
	size_t h = hash(key), i;

	if (2 * (m->n + 1) > m->cap && grow(m))
		return -1;
	i = slot(m, key, h);
	if (m->hashes[i]) {
		if (old)
			*old = m->vals[i];
		return 1;
	}
	m->keys[i] = key;
	m->vals[i] = val;
	m->hashes[i] = h;
	m->n++;
	return 0;
}

int
strmap_put(struct strmap *m, const char *key, void *val)
{
	size_t h = hash(key), i;

	if (2 * (m->n + 1) > m->cap && grow(m))
		return -1;
	i = slot(m, key, h);
	if (!m->hashes[i]) {
		m->keys[i] = key;
		m->hashes[i] = h;
		m->n++;
	}
	m->vals[i] = val;
	return 0;
}

void
strmap_release(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	free(m->hashes);
	m->keys = NULL;
	m->vals = NULL;
	m->hashes = NULL;
	m->n = m->cap = 0;
}
