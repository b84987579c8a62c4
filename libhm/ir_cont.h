/* hm: leaves and continuations: the state a step that builds in another continues in. */
#ifndef HM_IR_CONT_H
#define HM_IR_CONT_H

#include <stddef.h>

#include "ir.h"

/*
 * The one place that answers "a step D builds in X: in which state does
 * it continue?" (ir-spec/README.md, section 6). hm-lower's check, the run
 * graph (hm-exec) and hm-bake all ask here.
 *
 * The leaves of a group are its members that no other member follows.
 * What a group yields to a step that builds in it:
 *	continue_in K	what K yields, which must be one state
 *	join		one state: the group's start state
 *	each		its leaves, each in its own state; a leaf whose own
 *			continuation is 'each' stands for its leaves
 *	nothing		with one leaf, what that leaf yields (passed through,
 *			at any depth); with several, ambiguous
 * A command yields its own state; so does a dynamic step not yet baked,
 * except that one declaring 'each' yields 'each' (its leaves are known
 * once it is baked).
 */
enum ir_cont_kind {
	IR_CK_STATE,		/* the state of 'step', a command */
	IR_CK_START,		/* the start state of group 'step' */
	IR_CK_EACH,		/* per leaf of 'step' (a group, or a dynamic
				   step declaring each) */
	IR_CK_AMBIGUOUS,	/* 'step', a group, has several leaves and
				   declares nothing */
	IR_CK_IN_EACH,		/* 'step', a group, declares continue_in a
				   member that yields 'each' */
	IR_CK_UNKNOWN		/* continue_in not resolved (an error found
				   elsewhere) */
};

struct ir_cont_at {
	enum ir_cont_kind kind;
	const struct ir_step *step;
};

/*
 * Which members of the groups in v (n steps, at every depth) are
 * followed, from the steps' resolved references (ir_ref.step) and their
 * waits: sets ir_step.followed. ir_check does it for a whole document;
 * a tool that builds one (hm-bake) may ask before that.
 */
void ir_mark_followed(struct ir_step **v, size_t n);

/*
 * The leaves of a group: its members (commands, groups) that no other
 * member follows (by builds_in, depends_on, or a wait after it). Fills
 * out (room for group->nsteps) and returns how many.
 */
size_t ir_group_leaves(const struct ir_step *group, struct ir_step **out);

/* What a step that builds in s continues in (followed marked). */
struct ir_cont_at ir_continuation(const struct ir_step *s);

/*
 * The leaves an 'each' continuation of group g runs over: its leaves,
 * where a leaf whose own continuation is 'each' stands for its leaves,
 * recursively. With out NULL, only counts.
 */
size_t ir_each_leaves(const struct ir_step *g, struct ir_step **out);

#endif
