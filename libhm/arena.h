/* hm: arena allocation, one arena per document. */
#ifndef HM_ARENA_H
#define HM_ARENA_H

#include <stddef.h>

/*
 * An arena owns every allocation made from it; arena_free releases them all
 * at once. Nothing is freed individually. All functions return NULL when
 * memory runs out and leave the arena usable. Large requests get a block of
 * their own, so a 300 MB input buffer costs no more than its size.
 */
struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);

/* Memory aligned for pointers, integers and doubles (not long double);
 * NULL on failure. */
void *arena_alloc(struct arena *a, size_t size);
/* Zeroed memory for n objects of size bytes; NULL on overflow or failure. */
void *arena_calloc(struct arena *a, size_t n, size_t size);
/* A NUL-terminated copy of s[0..n). */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* A formatted string. */
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Make room for element n of the array *vp (elements of size bytes) that
 * grows by doubling inside the arena: a new array is taken when n reaches
 * the capacity (4, 8, 16, ...; the old one is abandoned to the arena).
 * Returns 0, or -1 if memory ran out (*vp is unchanged).
 */
int arena_grow(struct arena *a, void *vp, size_t n, size_t size);
/* Move every block of src into dst and free src (splicing a fragment). */
void arena_combine(struct arena *dst, struct arena *src);
/* Bytes handed out so far (for tests and benchmarks). */
size_t arena_used(const struct arena *a);

#endif
