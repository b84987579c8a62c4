/* hm: IR validation: keys, references, groups, continuation, cycles. */
#ifndef HM_IR_CHECK_H
#define HM_IR_CHECK_H

#include "diag.h"
#include "ir.h"

enum ir_check_flags {
	IR_CHECK_LINT = 1 << 0		/* also warnings for --check */
};

/*
 * Validate doc as ir-spec/ says and build its key index (ir_find), resolve
 * every ir_ref's step, set parent and index of every step. Reports every
 * error found (up to the list's limit). Returns 0 if no error was
 * recorded, -1 otherwise. May be called again after the document changed
 * (a dynamic step was replaced by its expansion).
 */
int ir_check(struct ir_doc *doc, unsigned flags, struct diag_list *diags);

/*
 * The leaves of a group: its members (commands, groups) that no other
 * member follows (by builds_in, depends_on, or a wait after it). Fills
 * out (room for group->nsteps) and returns how many. After ir_check.
 */
size_t ir_group_leaves(const struct ir_step *group, struct ir_step **out);

/*
 * The member a step that builds in group continues in: the continue_in
 * member, the only leaf, or NULL for join (the group's own start state)
 * and each (per leaf). *ambiguous is set when several leaves and no
 * declared continuation make the question unanswerable.
 */
struct ir_step *ir_group_continuation(const struct ir_step *group,
    bool *ambiguous);

#endif
