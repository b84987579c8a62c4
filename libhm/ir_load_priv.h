/* hm: the IR loader's internals, shared by ir_load.c and ir_legacy.c. */
#ifndef HM_IR_LOAD_PRIV_H
#define HM_IR_LOAD_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "ir.h"

struct json_doc;

/*
 * One pass over the JSON tree builds the model. Errors are collected, not
 * fatal: loading goes on to the next step so that one run shows them all.
 *
 * Names: ld_ marks the loader's functions that read the JSON tree,
 * static or shared (those ir_legacy.c uses are declared here).
 * ld_get_NAME(L, node, [field,] ..., out) reads one field's value into
 * out, ld_load_NAME an object into the model. Each returns 0, or -1
 * (NULL for one that returns the thing it made) after reporting the
 * error from the catalogue (a wrong type through ld_type_error) and
 * counting it (ld_err); running out of memory is a bare -1, which
 * ir_load reports once. hm-bake's def.c reads its YAML tree with get_NAME
 * functions of the same shape.
 */
struct loader {
	struct ir_doc *doc;
	struct json_doc *j;
	struct diag_list *diags;
	bool v0;
	bool graph_form;
	size_t errors;
};

#define MAXFIELDS 18

struct fieldset {
	const char *what;	/* "command step", ... for messages */
	const char *names[MAXFIELDS];
	bool by_key;		/* messages name an object by its key */
};

/* Node's line and column, for a message now. */
struct srcpos ld_pos(struct loader *L, uint32_t node);
/* Node's place, for the model (ir_pos resolves it when needed). */
ir_loc ld_loc(struct loader *L, uint32_t node);
/* Count an error; returns -1. */
int ld_err(struct loader *L);
/* "'field' must be EXPECTED, found TYPE"; returns -1. */
int ld_type_error(struct loader *L, uint32_t node, const char *field,
    const char *expected);
/*
 * Look every member of obj up in fs; vals[i] gets the value node of
 * fs->names[i] or 0. Unknown members: an error in v1, a warning in v0.
 */
int ld_fields(struct loader *L, uint32_t obj, const struct fieldset *fs,
    uint32_t vals[MAXFIELDS]);
/* A string without NUL bytes, or -1 after reporting. */
int ld_get_str(struct loader *L, uint32_t node, const char *field,
    const char **out);
int ld_get_int(struct loader *L, uint32_t node, const char *field,
    long long min, long long max, long long *out);
/* Merge an object of strings into env; later names replace earlier ones. */
int ld_get_env(struct loader *L, uint32_t node, struct ir_env *env);
struct ir_step *ld_load_step(struct loader *L, uint32_t node, int depth);
int ld_load_document(struct loader *L, uint32_t root);
/* The graph form's steps and edges (ir_legacy.c). */
int ld_load_graph(struct loader *L, uint32_t gnode);
/* Pick a pipeline of an envelope and load its definition (ir_legacy.c). */
int ld_load_envelope(struct loader *L, uint32_t root, const char *want);

#endif
