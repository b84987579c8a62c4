/* hm: a hash index of keys to small numbers, open addressing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "ir_index.h"
#include "mem.h"

struct slot {
	const char *key;	/* NULL: empty */
	uint32_t hash;		/* compared before the key: most probes miss */
	uint32_t v;
};

struct ir_index {
	struct slot *slots;
	size_t mask, n;
};

/* The slot's copy of the hash: its low 32 bits. */
static uint32_t
key_hash(const char *s)
{
	return (uint32_t)hash_str(s);
}

struct ir_index *
ir_index_new(size_t n)
{
	struct ir_index *ix = calloc(1, sizeof(*ix));
	size_t cap = 16;

	if (!ix)
		return NULL;
	while (cap < 2 * n + 1)
		cap *= 2;
	ix->slots = calloc(cap, sizeof(*ix->slots));
	if (!ix->slots) {
		free(ix);
		return NULL;
	}
	mem_advise_huge(ix->slots, cap * sizeof(*ix->slots));
	ix->mask = cap - 1;
	return ix;
}

void
ir_index_free(struct ir_index *ix)
{
	if (!ix)
		return;
	free(ix->slots);
	free(ix);
}

static int
grow(struct ir_index *ix)
{
	size_t cap = 2 * (ix->mask + 1), i, j;
	struct slot *s = calloc(cap, sizeof(*s));

	if (!s)
		return -1;
	for (i = 0; i <= ix->mask; i++) {
		if (!ix->slots[i].key)
			continue;
		for (j = ix->slots[i].hash & (cap - 1); s[j].key;
		    j = (j + 1) & (cap - 1))
			;
		s[j] = ix->slots[i];
	}
	free(ix->slots);
	ix->slots = s;
	ix->mask = cap - 1;
	return 0;
}

/* The slot of key (hash h): where it is, or the empty one it would take. */
static size_t
find(const struct ir_index *ix, const char *key, uint32_t h)
{
	size_t i;

	for (i = h & ix->mask; ix->slots[i].key; i = (i + 1) & ix->mask)
		if (ix->slots[i].hash == h && strcmp(ix->slots[i].key, key) == 0)
			break;
	return i;
}

int
ir_index_put(struct ir_index *ix, const char *key, uint32_t v,
    uint32_t *old)
{
	uint32_t h = key_hash(key);
	size_t i;

	if (v >= IR_INDEX_NONE)
		return -1;
	if (2 * (ix->n + 1) > ix->mask + 1 && grow(ix) < 0)
		return -1;
	i = find(ix, key, h);
	if (ix->slots[i].key) {
		if (old)
			*old = ix->slots[i].v;
		return 1;
	}
	ix->slots[i].key = key;
	ix->slots[i].hash = h;
	ix->slots[i].v = v;
	ix->n++;
	return 0;
}

uint32_t
ir_index_get(const struct ir_index *ix, const char *key)
{
	size_t i = find(ix, key, key_hash(key));

	return ix->slots[i].key ? ix->slots[i].v : IR_INDEX_NONE;
}
