/* hm: a YAML document as a small tree with positions, read with libyaml. */
#ifndef HM_BAKE_YTREE_H
#define HM_BAKE_YTREE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/*
 * ytree_load reads one YAML document into a tree of ynode allocated from
 * an arena (the caller's; the tree dies with it). libyaml 0.2.5 enforces
 * no limits, so this module does:
 *
 *	nesting deeper than YAML_MAX_DEPTH is an error;
 *	aliases share the anchored node's subtree (no deep copy), and the
 *	nodes they add when the tree is expanded are counted: more than
 *	YAML_MAX_ALIAS_NODES is an error at the alias (a billion-laughs
 *	file fails at once);
 *	an alias to a node that is not complete yet is an error (no cycles);
 *	duplicate mapping keys are errors naming both positions;
 *	mapping keys must be scalars without NUL bytes (every key of a
 *	definition is a name, and names are compared as C strings).
 *
 * Positions are 1-based line and column (characters), from libyaml's marks.
 */
#define YAML_MAX_DEPTH		200
#define YAML_MAX_ALIAS_NODES	1000000

struct arena;

enum ynode_type {
	Y_SCALAR = 1,
	Y_SEQ,
	Y_MAP
};

/*
 * A large definition is hundreds of thousands of these: a container holds
 * its children side by side, strings are packed in chunks of the arena,
 * and mapping keys, which repeat ("sh", "label"), share one copy of each
 * text. Strings are never written through.
 *
 * An alias is a copy of the anchored node that shares its children (or
 * its text), so it has the anchor's position.
 */
struct ynode {
	uint8_t type;		/* enum ynode_type */
	uint8_t quoted;		/* scalar: not plain (quoted, block, !!str) */
	uint8_t shared;		/* an alias's copy */
	uint32_t line, col;
	uint32_t n;		/* scalar: bytes; seq: items; map: pairs */
	union {
		const char *s;		/* scalar, NUL-terminated */
		struct ynode *v;	/* seq: n items; map: 2n, key, value */
	} u;
};

/*
 * Parse text[0..len) as one YAML document. file names it in diagnostics.
 * Returns the root (an empty document gives a null scalar), or NULL after
 * a syntax error, a limit, a non-scalar mapping key, a key with a NUL or
 * duplicate mapping keys (every duplicate in the document is recorded first: no caller ever
 * sees a mapping with a key twice).
 */
struct ynode *ytree_load(struct arena *a, const char *file, const char *text,
    size_t len, struct diag_list *diags);

/* The position of n in file. */
struct srcpos ynode_pos(const char *file, const struct ynode *n);
/* A plain null: ~, null, Null, NULL, or nothing. */
int ynode_is_null(const struct ynode *n);
/* "a mapping", "a list", "a string", "null" for messages. */
const char *ynode_kind(const struct ynode *n);
/*
 * What n shares with the other copies of its anchored node, if it is an
 * alias: its text or its children (NULL for none).
 */
static inline const void *
ynode_body(const struct ynode *n)
{
	if (n->type == Y_SCALAR)
		return n->u.s;
	return n->u.v;
}
/* The value of key name in mapping m, or NULL. */
struct ynode *ynode_get(const struct ynode *m, const char *name);

#endif
