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

#endif
