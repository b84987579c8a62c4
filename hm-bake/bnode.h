/* hm: hm-bake's shadow of a baked step, shared by the evaluator and keying. */
#ifndef HM_BNODE_H
#define HM_BNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ir.h"

struct bake;

/*
 * Steps are built first and keyed afterwards, scope by scope (a target, a
 * group, a fragment): a bnode shadows each step with what keying needs.
 * References between steps hold the step (ir_ref.step) until the keys
 * are known. The label a key is made from is st->label. Each step has
 * one, so a bnode holds no more than keying needs.
 */
struct bnode {
	struct ir_step *st;
	struct bnode **kids;		/* a scope's members, in order */
	const char *xkey;		/* explicit local key, at st->key_pos */
	const char *name;		/* a call's callee, its key's base;
					   else the target it is in, for
					   NAME-INDEX if it has no label */
	const char *cont_in;		/* local member name, at st->cont_pos */
	struct bnode *builds_in;	/* the step it builds in, if ours */
	uint32_t nkids;
	bool followed;			/* a member builds in it */
	bool fixed;			/* st->key is set already */
	bool check_members;		/* cont_in must name a kid */
	bool call;			/* a target: step */
};

/*
 * The output references of one consumer, resolved once every key is
 * known (outref.c): a command's (its cmd has each at off, len), or
 * those a dynamic target's body makes, recorded on its placeholder.
 */
struct pend {
	struct bnode *bn;
	const char *scope;		/* relative references start here */
	struct oref *refs;
	size_t nrefs;
	bool placeholder;
	bool loose;			/* a placeholder's: an unknown step may
					   be its own target's */
};

/*
 * Whether key is a stand-in's or under one (bake.c): a target whose
 * mistakes are told, whose steps are not baked.
 */
bool bake_standin_key(const struct bake *b, const char *key);

/*
 * Make the target keyed key, or whose steps key is under (a static
 * bake's top-level step), a stand-in once its mistakes are told: it
 * holds nothing from now on (bake.c). 0, or -1 (memory; no such target).
 */
int bake_demote(struct bake *b, const char *key);

/* Queue p (copied); 0 or -1 after reporting (outref.c). */
int outref_defer(struct bake *b, const struct pend *p);
/*
 * Resolve the queued references against b->keys (every key known):
 * each names a step, the consumer records it in "consumes", and a
 * command's reference becomes "$HM_OUT_KEY_NAME". 0 or -1 (outref.c).
 */
int outref_resolve(struct bake *b);
/* The value of variable name in the bake's environment, or NULL. */
const char *bake_environ(const struct bake *b, const char *name);

/*
 * Give every step under b->root its key (prefix: a fragment's key
 * prefix, or NULL) and resolve the references between steps; the
 * continuations are checked with the document (ir_check). Returns 0, or
 * -1 after reporting (keys.c).
 */
int keys_assign(struct bake *b, const char *prefix);
/* prefix/local as a checked key; NULL after reporting (keys.c). */
char *keys_join(struct bake *b, const char *prefix, const char *local,
    struct srcpos p);
/* Report out of memory at p; returns -1 (keys.c). */
int bake_nomem(struct bake *b, struct srcpos p);

#endif
