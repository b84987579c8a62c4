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

struct ir_splice;
/*
 * After ir_splice put a group in place of a dynamic step of a document
 * that passed ir_check: check only what the splice added, by the rules
 * of ir_check, and index it as ir_check would (keys, ids after the
 * others, parents, references, followed members). Returns 0 when the
 * document now passes ir_check as a whole; 1 when that cannot be told
 * from the new steps alone (an error in them, or a reference out of the
 * expansion or forward in it, consumes, 'each', or a group that does
 * not continue in one state): then run ir_check, which says what is
 * wrong if anything is. Records nothing.
 */
int ir_check_splice(struct ir_doc *doc, const struct ir_splice *sp);

#endif
