/* hm: the IR as a Graphviz DOT graph. */
#ifndef HM_IR_DOT_H
#define HM_IR_DOT_H

#include <stdio.h>

#include "ir.h"

/*
 * Write a checked document as DOT: one cluster per group, dashed nodes
 * for dynamic placeholders labelled with their target and continuation,
 * waits as visible barrier nodes, solid edges for builds_in, dashed for
 * depends_on. Returns 0, or -1 with errno after a write error.
 */
int ir_dot(const struct ir_doc *doc, FILE *out);

#endif
