/* hm: a hash index of keys to small numbers (private to the library). */
#ifndef HM_IR_INDEX_H
#define HM_IR_INDEX_H

#include <stddef.h>
#include <stdint.h>

/*
 * Maps keys to values below UINT32_MAX: step ids (a document's keys) or
 * node numbers (a run graph's). A slot is the key (not copied: it must
 * outlive the index), its hash and the value, 16 bytes: a lookup costs
 * the slot and, when the hash matches, the key's bytes.
 */
#define IR_INDEX_NONE	UINT32_MAX

struct ir_index;

/* An index with room for about n keys; NULL if memory ran out. */
struct ir_index *ir_index_new(size_t n);
void ir_index_free(struct ir_index *ix);
/*
 * Insert v under key. Returns 0, 1 if the key was already present (*old,
 * if not NULL, gets its value; nothing is changed), -1 if memory ran out.
 */
int ir_index_put(struct ir_index *ix, const char *key, uint32_t v,
    uint32_t *old);
/* The value of key, or IR_INDEX_NONE. */
uint32_t ir_index_get(const struct ir_index *ix, const char *key);

#endif
