/* hm: a hash index of IR steps by key, open addressing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"
#include "ir_index.h"
#include "mem.h"

struct slot {
	const char *key;
	struct ir_step *step;
	size_t hash;		/* compared before the key: most probes miss */
};

struct ir_index {
	struct slot *slots;
	size_t mask, n;
};

size_t
hm_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return (size_t)h;
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

int
ir_index_put(struct ir_index *ix, const char *key, struct ir_step *step,
    struct ir_step **old)
{
	size_t i, h = hm_hash(key);

	if (2 * (ix->n + 1) > ix->mask + 1 && grow(ix) < 0)
		return -1;
	for (i = h & ix->mask; ix->slots[i].key; i = (i + 1) & ix->mask) {
		if (ix->slots[i].hash == h &&
		    strcmp(ix->slots[i].key, key) == 0) {
			if (old)
				*old = ix->slots[i].step;
			return 1;
		}
	}
	ix->slots[i].key = key;
	ix->slots[i].step = step;
	ix->slots[i].hash = h;
	ix->n++;
	return 0;
}

struct ir_step *
ir_index_get(const struct ir_index *ix, const char *key)
{
	size_t i, h = hm_hash(key);

	for (i = h & ix->mask; ix->slots[i].key; i = (i + 1) & ix->mask)
		if (ix->slots[i].hash == h &&
		    strcmp(ix->slots[i].key, key) == 0)
			return ix->slots[i].step;
	return NULL;
}
