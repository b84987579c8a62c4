/* hm: a hash index of IR steps by key (private to the library). */
#ifndef HM_IR_INDEX_H
#define HM_IR_INDEX_H

#include <stddef.h>

struct ir_step;
struct ir_index;

/* An index with room for about n keys; NULL if memory ran out. */
struct ir_index *ir_index_new(size_t n);
void ir_index_free(struct ir_index *ix);
/*
 * Insert step under key. Returns 0, 1 if the key was already present
 * (*old gets the step that has it; nothing is changed), -1 if memory ran
 * out.
 */
int ir_index_put(struct ir_index *ix, const char *key, struct ir_step *step,
    struct ir_step **old);
struct ir_step *ir_index_get(const struct ir_index *ix, const char *key);

/* FNV-1a, for this index and the graph's. */
size_t hm_hash(const char *s);

#endif
