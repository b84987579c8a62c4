/* hm: the IR as a Graphviz DOT graph. */
#ifndef HM_IR_DOT_H
#define HM_IR_DOT_H

#include <stdio.h>

#include "ir.h"

/*
 * A step's status in a run, for colouring: "passed", "failed",
 * "soft_failed", "timed_out", "skipped", "canceled" or NULL (not known).
 * For a step that ran as several replicas, the worst of theirs.
 */
struct ir_dot_status {
	const char *(*lookup)(void *ctx, const char *key);
	void *ctx;
};

/*
 * Write a checked document as DOT: one cluster per group (edges to and
 * from a group end at its border), dashed nodes for dynamic placeholders
 * labelled with their target and continuation, waits as visible barrier
 * nodes with edges from what they follow (not from what another step
 * before them already follows), solid edges for builds_in, dashed for
 * depends_on, one font. With st, each command and group is filled with
 * the colour of its status. Returns 0, or -1 with errno after a write
 * error.
 */
int ir_dot(const struct ir_doc *doc, const struct ir_dot_status *st,
    FILE *out);

#endif
