/* hm: the IR model: documents, steps, groups, and their lifetime. */
#ifndef HM_IR_H
#define HM_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/*
 * One ir_doc owns everything it points to through its arena: steps,
 * strings, and the JSON document it was loaded from (strings may point
 * into its text). ir_doc_free releases all of it. A tool that builds a
 * document by hand (hm-bake) allocates from doc->arena.
 *
 * The model is IR v1 whatever the input was: loading v0 moves 'cmd' into
 * an eval of type cmd. Optional fields remember whether they were given
 * ("has_" flags) so that the writer emits exactly what was there and
 * lowering is idempotent.
 *
 * Keys: 1 to 255 bytes of [A-Za-z0-9_.:+-] segments separated by '/'
 * (IR_KEY_SEP); '@' never appears in a step key and is reserved for the
 * keys of replicated steps (see graph.h).
 */
#define IR_KEY_MAX	255
#define IR_KEY_SEP	'/'
#define IR_REPLICA_SEP	'@'
#define IR_MAX_GROUP_DEPTH	64

struct arena;
struct json_doc;

enum ir_format {
	IR_FORMAT_V1,
	IR_FORMAT_V0,		/* {"version":"0","steps":[...]} */
	IR_FORMAT_V0_GRAPH,	/* {"version":"0","graph":{...}} */
	IR_FORMAT_ENVELOPE	/* {"schema_version":"1","pipelines":[...]} */
};

enum ir_step_type {
	IR_COMMAND,
	IR_WAIT,
	IR_GROUP
};

enum ir_eval_type {
	IR_EVAL_CMD,
	IR_EVAL_DYNAMIC
};

/* A group's or dynamic step's declared continuation. */
enum ir_cont {
	IR_CONT_NONE,		/* not declared */
	IR_CONT_JOIN,		/* "continue": "join" */
	IR_CONT_EACH,		/* "continue": "each" */
	IR_CONT_IN		/* "continue_in": KEY */
};

enum ir_builds_in {
	IR_BUILDS_IN_ABSENT,	/* field left out (groups only) */
	IR_BUILDS_IN_NULL,	/* null: a fresh root */
	IR_BUILDS_IN_KEY
};

enum ir_cache_policy {
	IR_CACHE_NONE,
	IR_CACHE_FOREVER,
	IR_CACHE_TTL,
	IR_CACHE_ON_CHANGE,
	IR_CACHE_COMPOSE
};

struct ir_step;

/*
 * A place in the source of a document, for messages; 0 for none. Loading
 * JSON records a byte offset, which ir_pos turns into a line and column
 * only when a message needs it: a 30 MB document has millions of places
 * and a run that succeeds prints none of them. A document built by hand
 * (hm-bake) records each srcpos in a table of the document instead
 * (ir_loc_new), and so does a fragment's step moved into another
 * document (ir_step_move_locs).
 */
typedef uint32_t ir_loc;
#define IR_LOC_TABLE	0x80000000u	/* set: an index in doc->locs */

/* A reference to a step by key, resolved by ir_check. */
struct ir_ref {
	const char *key;
	ir_loc pos;
	struct ir_step *step;	/* NULL until resolved */
};

struct ir_strlist {
	const char **v;
	ir_loc *pos;
	uint32_t n;
	bool present;
};

/* An env object; order is kept as given. */
struct ir_env {
	const char **names;
	const char **values;
	ir_loc *pos;
	uint32_t n;
	bool present;
};

struct ir_cache {
	enum ir_cache_policy policy;
	ir_loc pos;
	const char *duration_seconds;	/* number text (ttl), or NULL */
	struct ir_strlist env_keys;	/* forever, ttl */
	struct ir_strlist paths;	/* on_change */
	struct ir_cache **sub_policies;	/* compose */
	size_t nsub;
	bool has_sub_policies;
	const char *key;		/* 64 hex digits, or NULL */
};

/* Free-form JSON (runner_args): a subtree of a loaded document. */
struct ir_any {
	const struct json_doc *doc;	/* NULL: absent */
	uint32_t node;
};

/*
 * An output of another step that a command (or a dynamic step's bake)
 * reads: the producer's key (resolved like depends_on) and the output's
 * name. The producer must run before the consumer (ir_check).
 */
struct ir_consume {
	struct ir_ref step;
	const char *output;
	ir_loc output_pos;
};

/*
 * The fields few steps have: a command's cache, image, runner and
 * secrets, and a dynamic step's or a group's target and continuation. A
 * step points to them only when it has one (ir_step_more makes them);
 * ir_more reads a step that has none as if all were absent. Steps are
 * most of a large document's model, and memory that is touched for the
 * first time is what loading one costs most.
 */
struct ir_more {
	struct ir_cache *cache;		/* NULL: none */
	const char *image;
	const char *runner;
	struct ir_any runner_args;
	struct ir_strlist secret_env;

	const char *target_name;	/* a dynamic step's; on a group: the
					   dynamic target it was baked from */
	ir_loc target_pos;
	/* a dynamic step's or a group's continuation */
	enum ir_cont cont;
	ir_loc cont_pos;
	struct ir_ref continue_in;	/* IR_CONT_IN */
	/* a command's (or dynamic step's) "consumes" */
	struct ir_consume *consumes;
	uint32_t nconsumes;
	bool has_consumes;
};

/*
 * Fields are ordered to leave no holes: the model of 100,000 steps is
 * 100,000 of these.
 */
struct ir_step {
	enum ir_step_type type;
	ir_loc pos;			/* the step object */
	struct ir_step *parent;		/* enclosing group, or NULL */
	uint32_t index;			/* position in its list */
	uint32_t id;			/* set by ir_check: preorder number,
					   doc->all[id] */

	/* command and group */
	const char *key;
	const char *label;		/* NULL: none */
	ir_loc key_pos;
	enum ir_builds_in builds_in_kind;
	struct ir_ref builds_in;
	struct ir_ref *depends_on;
	uint32_t ndepends_on;

	/* command (a dynamic one's target is in more) */
	enum ir_eval_type eval;
	const char *cmd;		/* IR_EVAL_CMD */
	ir_loc eval_pos;
	int32_t timeout_seconds;
	struct ir_env env;

	/* group */
	struct ir_step **steps;
	uint32_t nsteps;

	int32_t retry;			/* command */

	bool has_depends_on;
	bool has_timeout, soft_fail, has_soft_fail, has_retry;
	/* wait */
	bool continue_on_failure, has_continue_on_failure;
	/* set by ir_check: another member of its group follows it */
	bool followed;

	struct ir_more *more;		/* NULL: none of those fields */
};

struct ir_doc {
	struct arena *arena;
	struct json_doc *json;		/* owned; NULL if built by hand */
	const char *file;
	enum ir_format format;		/* what was read */

	bool has_source;
	const char *source_definition;
	const char *source_pipeline;
	struct ir_env env;
	const char *default_image;
	struct ir_step **steps;
	size_t nsteps;

	/* a fragment's top-level continuation (overrides the placeholder's) */
	enum ir_cont cont;
	struct ir_ref continue_in;
	ir_loc cont_pos;

	/* built by ir_check: every command and group step by key, and
	 * every step in preorder */
	struct ir_index *index;
	struct ir_step **all;
	uint32_t nall;
	uint32_t capall;	/* room in all (ir_check_splice grows it) */

	/* the places that are not offsets in json (IR_LOC_TABLE) */
	struct srcpos *locs;
	uint32_t nlocs;
};

/* A new empty v1 document with its own arena; NULL if memory ran out. */
struct ir_doc *ir_doc_new(const char *file);
void ir_doc_free(struct ir_doc *doc);

/* Where loc is, as a line and column ({ NULL, 0, 0 } for 0). */
struct srcpos ir_pos(const struct ir_doc *doc, ir_loc loc);
/* Record pos in doc's table; 0 if memory ran out (the place is lost). */
ir_loc ir_loc_new(struct ir_doc *doc, struct srcpos pos);
/*
 * Re-record in dst's table every place of step (and of its members),
 * which src loaded from JSON: for a fragment's steps moved into the
 * running document. Places already in a table are left as they are.
 */
void ir_step_move_locs(struct ir_doc *dst, const struct ir_doc *src,
    struct ir_step *step);
/* The same for one place. */
ir_loc ir_loc_move(struct ir_doc *dst, const struct ir_doc *src, ir_loc loc);

/* A zeroed step of the given type from doc's arena (builds_in: null). */
struct ir_step *ir_step_new(struct ir_doc *doc, enum ir_step_type type);
/* Step s's rarely given fields, made (zeroed) if it has none yet; NULL if
 * memory ran out. */
struct ir_more *ir_step_more(struct ir_doc *doc, struct ir_step *s);

/* Step s's rarely given fields, for reading: all absent if it has none. */
extern const struct ir_more ir_more_none;

static inline const struct ir_more *
ir_more(const struct ir_step *s)
{
	return s->more ? s->more : &ir_more_none;
}
/*
 * Append step to a list (the document's, or a group's); -1 if no memory.
 * Step lists grow only through these two (arena_grow's capacities): a
 * list may be moved whole to another owner, never replaced by an array
 * allocated some other way.
 */
int ir_doc_append(struct ir_doc *doc, struct ir_step *step);
int ir_group_append(struct ir_doc *doc, struct ir_step *group,
    struct ir_step *step);

/*
 * Whether key is below the key prefix[0..plen): "a/b" is under "a", and
 * "a" itself and "ab/c" are not.
 */
bool ir_key_under(const char *key, const char *prefix, size_t plen);
/* NULL if key is well-formed, else why not (for E_IR_BAD_KEY). */
const char *ir_key_problem(const char *key, size_t len);
/* NULL if s is a valid environment variable name, else why not. */
const char *ir_env_name_problem(const char *s, size_t len);
/* NULL if s is a valid output name ([A-Za-z0-9_.-]+), else why not. */
const char *ir_output_name_problem(const char *s, size_t len);
/*
 * The environment variable that carries output name of step key to later
 * steps and bakes: HM_OUT_KEY_NAME, every byte outside [A-Za-z0-9] of
 * key and name an underscore, letters in upper case. out has room for
 * ir_output_var_size(key, name) bytes.
 */
size_t ir_output_var_size(const char *key, const char *name);
void ir_output_var(const char *key, const char *name, char *out);
/* NULL if s is a valid target name ([A-Za-z0-9_][A-Za-z0-9_.-]*), else why. */
const char *ir_target_name_problem(const char *s, size_t len);

const char *ir_cache_policy_name(enum ir_cache_policy p);
/* The policy named name ("none" ... "compose"): 0, or -1 for none such. */
int ir_cache_policy_parse(const char *name, enum ir_cache_policy *p);

/*
 * The fields of a cache object, in the IR's canonical order (hm-bake's
 * YAML spells duration_seconds "duration" and sub_policies "policies").
 */
enum ir_cache_field {
	IR_CACHE_FIELD_POLICY,
	IR_CACHE_FIELD_DURATION,
	IR_CACHE_FIELD_ENV_KEYS,
	IR_CACHE_FIELD_PATHS,
	IR_CACHE_FIELD_SUB_POLICIES,
	IR_CACHE_FIELD_KEY,
	IR_CACHE_NFIELDS
};
/*
 * Whether a cache of policy p may have field f (ir-spec/README.md section
 * 2): every policy its own fields and a key, except none, which takes
 * nothing but its policy. The one rule for the IR loader and hm-bake.
 */
bool ir_cache_takes(enum ir_cache_policy p, enum ir_cache_field f);
const char *ir_cont_name(enum ir_cont c);	/* "join", "each", NULL */

/*
 * A wait's name, which it has instead of a key: "GROUP#INDEX" inside a
 * group, "#INDEX" at the top (its place in its list); size IR_WAIT_NAME_MAX.
 */
#define IR_WAIT_NAME_MAX	(IR_KEY_MAX + 24)
void ir_wait_name(const struct ir_step *wait, char *buf, size_t size);

/* Lookup by key after ir_check: a command or group step, or NULL. */
struct ir_step *ir_find(const struct ir_doc *doc, const char *key);

#endif
