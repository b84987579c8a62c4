/* hm: hm-lower --diff: what changed between two IR documents, step by step. */
#ifndef HM_LOWER_DIFF_H
#define HM_LOWER_DIFF_H

#include <stdio.h>

#include "ir.h"

/*
 * Write to out the structural difference from a to b (both checked):
 * the document's own fields, then each step by key (a wait by the step
 * before it): removed, changed field by field, added. names are the
 * documents' names for the header. Returns the number of steps and
 * document fields that differ, 0 when the documents mean the same.
 */
size_t ir_diff(const struct ir_doc *a, const struct ir_doc *b,
    const char *name_a, const char *name_b, FILE *out);

#endif
