/* hm: the definition model: targets, pipelines and steps, checked from YAML. */
#ifndef HM_BAKE_DEF_H
#define HM_BAKE_DEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ir.h"
#include "strmap.h"
#include "ytree.h"

/*
 * def_parse checks a whole definition (every target, every branch, every
 * template) against the schema in hm-pipeline(5) and builds this model.
 * Nothing runs here: predicates, generators and matrix commands are only
 * recorded. Text fields that may hold ${{ matrix.NAME }} stay as YAML
 * nodes and are substituted when baked. Everything lives in the arena.
 */
#define DEF_DEFAULT_TIMEOUT	60	/* predicates, generators, axes */

struct bnode;
struct item;
struct target;

/* A list of items that forms a chain: each builds in the one before. */
struct chain {
	struct item **v;
	size_t n;
};

/* A reference to a target by name. */
struct tref {
	const char *name;
	struct srcpos pos;
	struct target *t;
	bool call;		/* a target: step (a nested placeholder) */
};

/*
 * The fields steps, groups and targets share. A large definition is mostly
 * command steps with a label and a command, and memory touched for the
 * first time is what parsing one costs most: what few steps have is kept
 * apart (struct opts_more), made only for an owner that has one of them.
 */
struct opts {
	const struct ynode *label, *key, *sh;
	struct ir_cache *cache;
	struct opts_more *more;		/* NULL: none of those fields */
	int32_t timeout, retry;
	enum ir_cont cont;		/* IR_CONT_IN: more->cont_in names a
					   member */
	bool has_timeout, soft_fail, has_soft_fail, has_retry;
	bool allow_empty;		/* a matrix, a dynamic target */
};

struct opts_more {
	const struct ynode *cwd, *image;
	struct ir_env env;		/* values may hold ${{ }} */
	struct ir_strlist secret_env;
	struct tref *depends_on;
	size_t ndepends_on;
	struct tref from;		/* name NULL: none */
	const struct ynode *cont_in;
	struct srcpos cont_pos;
};

/* The rarely given fields of o, for reading: all absent if it has none. */
extern const struct opts_more opts_more_none;

static inline const struct opts_more *
opts_more(const struct opts *o)
{
	return o->more ? o->more : &opts_more_none;
}

enum item_kind {
	IT_CMD,
	IT_WAIT,
	IT_GROUP,
	IT_FORK,
	IT_IF,
	IT_GEN,
	IT_MATRIX,
	IT_CALL
};

enum pred_kind {
	PRED_EQ,
	PRED_NE,
	PRED_SET,
	PRED_UNSET,
	PRED_SH,
	PRED_ELSE
};

struct branch {
	enum pred_kind kind;
	struct srcpos pos;
	const char *name, *value;	/* env matches */
	const struct ynode *sh;		/* PRED_SH */
	long long timeout;
	struct chain then;
};

enum axis_kind {
	AXIS_LIST,
	AXIS_SH,
	AXIS_ENV,
	AXIS_OUTPUT
};

struct axis {
	const char *name;
	struct srcpos pos;
	enum axis_kind kind;
	const struct ynode *list;	/* AXIS_LIST */
	const struct ynode *sh;		/* AXIS_SH */
	const char *env;		/* AXIS_ENV */
	const struct ynode *output;	/* AXIS_OUTPUT: "STEP.NAME" */
	long long timeout;
};

/* One step of a chain; what each kind has apart from o shares a union. */
struct item {
	struct srcpos pos;
	struct opts o;
	enum item_kind kind;
	union {
		struct {			/* wait */
			bool continue_on_failure;
			bool has_continue_on_failure;
		};
		struct {			/* group, fork */
			struct chain *members;	/* one chain each */
			size_t nmembers;
		};
		struct {			/* if */
			struct branch *branches;
			size_t nbranches;
		};
		struct {			/* generate: the command */
			const struct ynode *gen;
			long long gen_timeout;
		};
		struct {			/* matrix */
			struct axis *axes;
			size_t naxes;
			struct chain steps;	/* the template */
		};
		struct tref callee;		/* target */
	};
};

struct target {
	const char *name;
	struct srcpos pos;
	const struct ynode *node;	/* its definition */
	const char *key;		/* explicit key:, else the name */
	struct srcpos key_pos;
	bool dynamic;
	struct opts o;
	struct chain body;
	/* syntactic references (all branches): from, depends_on, calls */
	struct tref **refs;
	size_t nrefs;
	int mark;			/* scratch for graph walks */
	bool bad;			/* def_parse or lint_def found errors
					   in it: a static bake makes it a
					   stand-in (bake.c) */
	/* static bake state */
	int state;			/* 0 unplaced, 1 baking, 2 placed */
	struct ir_step *step;		/* its group or placeholder */
	struct bnode *bn;		/* the bake's shadow of step */
};

/* One entry of a pipeline: a target, or a wait. */
struct pentry {
	struct tref t;			/* name NULL: a wait */
	struct srcpos pos;
	bool continue_on_failure, has_continue_on_failure;
};

struct pipeline {
	const char *name;
	struct srcpos pos;
	struct ir_env env;
	const char *default_image;
	struct pentry *v;
	size_t n;
};

struct def {
	struct arena *a;
	/* the document baked into: the places of the fields of IR types
	 * (env, secret_env, cache) are recorded in its table */
	struct ir_doc *doc;
	const char *file;
	struct target **targets;	/* definition order */
	size_t ntargets;
	struct pipeline *pipelines;
	size_t npipelines;
	const struct pipeline *default_pipeline;	/* default: NAME */
	size_t target_errors;		/* def_parse's errors in the bodies
					   of targets (then bad) */
	struct strmap byname;		/* name -> struct target */
};

/*
 * Check root and fill def. Returns 0, or -1 after recording every error
 * found. def->a, def->doc and def->file must be set (DEF_INIT); def_release frees
 * what is not in the arena.
 */
int def_parse(struct def *def, const struct ynode *root,
    struct diag_list *diags);

/*
 * Parse a generator's output (a list of steps, or one step) as a chain in
 * the context of def; file names it in diagnostics. Target references are
 * resolved against def. Returns 0 or -1.
 */
int def_parse_chain(struct def *def, const char *file, const struct ynode *n,
    struct chain *out, struct diag_list *diags);

void def_release(struct def *def);

/* The target called name, or NULL. */
struct target *def_target(const struct def *def, const char *name);
/* The target whose name is closest to a misspelt one, or NULL. */
const char *def_target_suggest(const struct def *def, const char *name);

/* The pipeline called name, or NULL. */
const struct pipeline *def_pipeline(const struct def *def, const char *name);

/* "a, b, c": the names of the pipelines, sorted, in def's arena. */
const char *def_pipeline_names(const struct def *def);

/*
 * Parse a duration: seconds, or a number followed by s, m, h or d.
 * Returns 0 and sets *out (1 .. 2^31-1 seconds), or -1.
 */
int def_duration(const char *s, long long *out);

#endif
