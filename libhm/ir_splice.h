/* hm: replacing a dynamic step by the group its baked fragment became. */
#ifndef HM_IR_SPLICE_H
#define HM_IR_SPLICE_H

#include "diag.h"
#include "ir.h"

/* What ir_splice changed, for ir_splice_undo. */
struct ir_splice {
	struct ir_step *group;		/* the placeholder's step, now the
					   group */
	struct ir_step *placeholder;	/* a copy of what it was, in doc's
					   arena */
};

/*
 * Replace the dynamic step ph of doc (after ir_check) by a group with
 * ph's key, label, builds_in, depends_on and target name, whose members
 * are frag's steps; the continuation is frag's top-level one if given,
 * else ph's. Every key in frag must be under "KEY/" and new to doc.
 * ph's env and secret_env are inherited by every command of the
 * expansion (a member's own entries win), and so is soft_fail unless
 * the member sets its own; frag's top-level env sits between the two,
 * and its default_image becomes the image of members that have none.
 * The group takes ph's place in memory (sp->group == ph), so that every
 * reference to ph now names it; sp->placeholder keeps what ph was. The
 * group points into frag, which must outlive doc. Run ir_check (or
 * ir_check_splice) on doc afterwards. Returns 0, or -1 after recording
 * errors (doc is then unchanged).
 */
int ir_splice(struct ir_doc *doc, struct ir_step *ph, struct ir_doc *frag,
    struct ir_splice *sp, struct diag_list *diags);
/* Put the placeholder back (after a failed ir_check or graph_build). */
void ir_splice_undo(struct ir_splice *sp);

#endif
