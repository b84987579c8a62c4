/* hm: baking a definition into IR v1: the evaluator, placement and keys. */
#ifndef HM_BAKE_BAKE_H
#define HM_BAKE_BAKE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "def.h"
#include "diag.h"
#include "ir.h"
#include "strmap.h"

/*
 * A bake turns a checked definition into an ir_doc, evaluating
 * conditionals, generators and matrices on the way:
 *
 *	bake_pipeline: the static bake of one pipeline. Every target it
 *	needs becomes a top-level group keyed by the target's key (a dynamic
 *	one a placeholder step), placed at its first mention or just before
 *	the first target that needs it; waits stay where they are.
 *
 *	bake_target: the --target fragment of one target, every key under
 *	prefix/. References to other targets name their static keys (which
 *	depend on the definition only, never on evaluation), so nothing but
 *	this target is evaluated.
 *
 * Errors are recorded in diags; both return 0 or -1.
 */
#define BAKE_MAX_STEPS		1000000
#define BAKE_MAX_MATRIX		10000
#define BAKE_MAX_GEN_DEPTH	8
#define BAKE_MAX_OUTPUT		(16 * 1024 * 1024)

struct bnode;
struct pend;
struct bake_path;

struct bake {
	struct def *def;
	struct ir_doc *doc;
	struct diag_list *diags;
	const struct pipeline *pl;	/* static bake: its env counts */
	char **environ;			/* the bake's own environment */
	struct strmap keys;		/* full key -> struct bnode, while
					   keys_assign runs */
	struct bnode *root;
	const char *prefix;		/* a fragment's key prefix */
	struct pend *pend;		/* output references to resolve once
					   the keys are known (outref.c) */
	size_t npend, cappend;
	const char **standins;		/* keys of the targets that stand in
					   for what failed (bake.c) */
	size_t nstandins;
	size_t nsteps;
	size_t errors0;			/* errors reported before the bake */
	int gen_depth;
	bool generated;			/* a generator's steps were baked */
	bool fragment;
	bool stop;			/* a limit was hit: give up */
	/* a trial (bake_check_dynamic): a dynamic target baked as a run
	 * would, running nothing; a generator (whose steps are the run's)
	 * stops it and makes it inexact */
	bool trial, inexact;
	/* a trial's run-time values are symbolic (BAKE_SYM): an output
	 * is a fresh marker, and a matrix axis whose values come from an
	 * output, a command or a variable the target does not set has
	 * sym_n (1 or 2) distinct ones (sym_axis set) */
	unsigned sym_n;
	unsigned *sym_seq;		/* the trial's markers so far */
	bool sym_axis;
	/* a trial's path: what a predicate command or a condition on a
	 * run-time value decides (NULL: inexact) */
	struct bake_path *path;
	/* set by the tool: a command stops when cancel_fd becomes
	 * readable (a signal handler's self-pipe); *running is 1 while a
	 * command runs, *canceled non-zero once a signal came */
	int cancel_fd;			/* -1: none */
	volatile sig_atomic_t *running, *canceled;
};

/*
 * A symbolic value is BAKE_SYM and a number: it holds only characters a
 * key may hold, and a message that quotes it (or its slug, BAKE_SYM_SLUG)
 * speaks of no value a run has: such a message is not told.
 */
#define BAKE_SYM	"HMSYM:7f3e+"
#define BAKE_SYM_SLUG	"hmsym-7f3e-"
bool bake_sym_in(const char *s);

/*
 * A trial's conditions on run-time values, in the order it meets them:
 * the first `forced` take v[], the rest are false (and recorded); more
 * than BAKE_MAX_CHOICES make the trial inexact. bake_path_next moves to
 * the next path of the tree of outcomes (depth first), false after the
 * last: every path is tried, whatever the run-time values decide.
 */
#define BAKE_MAX_CHOICES	6
/* Steps a static check checks in place for targets with conditions. */
#define BAKE_MAX_IN_PLACE	500000
struct bake_path {
	unsigned n, forced;
	bool v[BAKE_MAX_CHOICES];
};
bool bake_path_next(struct bake_path *p);

/* Set up b for def and doc; environ is the process environment. */
void bake_init(struct bake *b, struct def *def, struct ir_doc *doc,
    struct diag_list *diags, char **environ);
void bake_release(struct bake *b);

/*
 * The static check of the dynamic targets of doc, a static bake of def
 * that passed ir_check: each dynamic target is baked in a trial with
 * symbolic run-time values (one per matrix axis, then two), spliced in
 * place of each of its placeholders (and theirs, recursively) as a run
 * would, and the whole checked; one with conditions on run-time values
 * is baked on every path of them, each checked as a fragment and in
 * place; one that no placeholder stands for is checked as a fragment;
 * what both trials (and every path) tell, naming no symbolic value, is
 * told.
 * doc is as it was afterwards (checked: it passed ir_check;
 * else its errors, the definition's, are told again, once more at the
 * same places). 0, or -1 after reporting the definition's errors
 * (dyncheck.c).
 */
int bake_check_dynamic(struct def *def, struct ir_doc *doc, bool checked,
    struct diag_list *diags);

/*
 * Check a fragment (bake_target's doc) as hm-exec will see it: spliced
 * in a group keyed prefix, next to the static steps it refers to
 * (dyncheck.c). 0 or -1 after reporting.
 */
int bake_check_fragment(struct ir_doc *doc, const char *prefix,
    struct diag_list *d);

/* The pipeline called name, or the only one; NULL after reporting. */
const struct pipeline *bake_pick(struct bake *b, const char *name);
int bake_pipeline(struct bake *b, const struct pipeline *pl);
int bake_target(struct bake *b, struct target *t, const char *prefix);

/*
 * The baked document's check (ir_check) finds what only the whole graph
 * shows: continuations through nested groups (ir_cont.h), replication,
 * an output read before its step runs. These are the definition's
 * errors, at its places; any other is hm-bake's.
 */
bool bake_definition_error(enum diag_code c);

/*
 * Helpers, exposed for the unit tests.
 */

/* Lowercase, runs outside [a-z0-9] become '-', trimmed; at most max bytes
 * (keys.c, where keys are made from labels). */
size_t bake_slugify(const char *s, char *out, size_t max);

/* One matrix binding: name = value. */
struct binding {
	const char *name, *value;
	const struct binding *next;
};

/*
 * An output reference, ${{ outputs.STEP.NAME }}: STEP and NAME point
 * into the text (steplen, namelen bytes); off and len place the
 * expression in a substituted string, pos where it was written.
 */
struct oref {
	const char *step, *name;
	size_t steplen, namelen;
	size_t off, len;
	struct srcpos pos;
};

/*
 * Parse the inside of ${{ }} (e, n bytes, trimmed) as outputs.STEP.NAME:
 * STEP a key, NAME [A-Za-z0-9_-]+ after the last dot. 0 or -1.
 */
int bake_oref_parse(const char *e, size_t n, struct oref *r);

/* What substitution does with an output reference (bake.c). */
struct subst_out {
	int (*fn)(void *arg, struct oref *r, const char **val);
	void *arg;
};

/*
 * s with every ${{ matrix.NAME }} replaced from m. Returns s itself when
 * there is nothing to replace, a string from a's arena otherwise, or NULL
 * with *bad pointing at the unknown expression (NUL-terminated, in a).
 */
const char *bake_subst(struct arena *a, const char *s,
    const struct binding *m, const char **bad);
/*
 * The same for a shell command: each value is one shell word, as it is
 * when the shell gives none of its bytes a meaning, else single-quoted.
 */
const char *bake_subst_sh(struct arena *a, const char *s,
    const struct binding *m, const char **bad);

/*
 * v as one shell word: as it is when the shell gives none of its bytes a
 * meaning, else single-quoted. out has room for 4 * strlen(v) + 3 bytes;
 * returns the length written (no NUL).
 */
size_t bake_sh_quote(const char *v, char *out);

/*
 * Split a list given as text (a matrix axis from a command or a variable):
 * a YAML/JSON flow list if it starts with '[', else words separated by
 * white space or commas. Returns the count, or -1 (not a list of scalars:
 * *why says what it found).
 */
long bake_split_values(struct arena *a, const char *file, const char *s,
    const char ***out, const char **why, struct diag_list *diags);

#endif
