/* hm: a small string-keyed hash map (open addressing), for names and keys. */
#ifndef HM_BAKE_STRMAP_H
#define HM_BAKE_STRMAP_H

#include <stddef.h>

/*
 * Keys are not copied: they must outlive the map (they live in the
 * bake's arena). The table itself is malloc'd; strmap_release frees it.
 */
struct strmap {
	const char **keys;
	void **vals;
	size_t *hashes;
	size_t n, cap;
};

#define STRMAP_INIT { NULL, NULL, NULL, 0, 0 }

/* The value stored under key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);
/* Store val under key (replacing); -1 if memory ran out. */
int strmap_put(struct strmap *m, const char *key, void *val);
/*
 * Store val under key unless key is there: 0 if stored, 1 if present
 * (*old gets its value), -1 if memory ran out.
 */
int strmap_add(struct strmap *m, const char *key, void *val, void **old);
/* Make room for n keys in all, so that adding them never grows the table;
 * -1 if memory ran out. */
int strmap_reserve(struct strmap *m, size_t n);
void strmap_release(struct strmap *m);

#endif
