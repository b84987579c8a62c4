/* hm: a strict JSON reader on jsmn, with positions. */
#ifndef HM_JSON_H
#define HM_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/*
 * jsmn tokenizes; this module checks everything jsmn does not (RFC 8259:
 * the bytes between tokens, one root value, the number grammar, escapes,
 * UTF-8, control characters, duplicate keys, a nesting limit) and turns
 * the tokens, in place, into a tree of json_node in preorder:
 *
 *	node i's first child, if it has one, is node i + 1; a container's
 *	subtree ends at node[i].next, which is its next sibling, if it has
 *	one; a scalar's next sibling is i + 1. An object's children
 *	alternate key (a string), value.
 *
 * A node is eight bytes: where its source starts, and a length or the
 * end of its subtree. Its type is not stored: the first byte of a
 * value's source says what it is, and parsing never changes that byte.
 *
 * Strings are decoded in place in the document's text and NUL-terminated
 * there; a string may contain NUL bytes (\u0000), so use its length.
 * Numbers keep their source text, so 1E400 and -0 survive a round trip.
 * Inputs up to JSON_MAX_SIZE bytes are accepted (jsmn counts in int).
 */
#define JSON_MAX_SIZE	0x7ffffff0u
#define JSON_MAX_DEPTH	1000

enum json_type {
	JSON_NULL = 1,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

struct json_node {
	uint32_t off;		/* first byte of the value in the text */
	union {
		uint32_t len;	/* string: decoded bytes; number: text
				   bytes; true, false, null: 0 */
		uint32_t next;	/* array, object: the index just past
				   its subtree */
	};
};

/* The type of a value by the first byte of its source; 0: not a value. */
extern const unsigned char json_type_of[256];

/*
 * A string whose escapes were decoded in place: its bytes no longer show
 * its source, so the line:column cursor steps from its opening quote at
 * off to its closing quote at end, counting cols characters between them
 * (a string's source never contains a newline).
 */
struct json_span {
	uint32_t off, end, cols;
};

struct json_doc {
	const char *file;	/* name used in diagnostics */
	char *text;		/* owned; decoded strings live here */
	size_t size;
	struct json_node *nodes;	/* owned */
	uint32_t n;
	/* line:column cursor, so that positions asked for in increasing
	 * order cost O(input) in all (a one-line 30 MB document has
	 * millions of values on line 1) */
	size_t cur_off;
	unsigned cur_line, cur_col;
	uint32_t cur_span;	/* the first span that ends at or after
				   cur_off */
	struct json_span *spans;	/* owned, in increasing order */
	uint32_t nspans, spancap;
};

/*
 * Parse text[0..size) into doc. Takes ownership of text, which must have
 * been allocated with malloc with room for at least size + 2 bytes.
 * Returns 0, or -1 after recording every error found in diags (a syntax
 * error stops the parse; duplicate keys are all reported). doc must be
 * released with json_doc_release in either case.
 */
int json_parse(struct json_doc *doc, const char *file, char *text, size_t size,
    struct diag_list *diags);
void json_doc_release(struct json_doc *doc);

/* Read all of fd into a malloc'd buffer with 2 spare bytes; -1 and errno. */
int json_read_fd(int fd, char **text, size_t *size);

/* The position of node i (its first byte). */
struct srcpos json_pos(struct json_doc *doc, uint32_t i);
/*
 * The position of byte offset off. Offsets asked for in increasing order
 * cost O(input) in all; a smaller offset costs the distance back on the
 * same line, or a rescan from the start across lines. An offset inside a
 * string that had escapes maps to its opening quote (its bytes are gone).
 */
struct srcpos json_pos_at(struct json_doc *doc, size_t off);

static inline enum json_type
json_type(const struct json_doc *doc, uint32_t i)
{
	return (enum json_type)json_type_of[(unsigned char)
	    doc->text[doc->nodes[i].off]];
}

/* Whether node i is an array or an object. */
static inline int
json_is_container(const struct json_doc *doc, uint32_t i)
{
	return json_type(doc, i) >= JSON_ARRAY;
}

/* The index just past node i's subtree: its next sibling, if any. */
static inline uint32_t
json_skip(const struct json_doc *doc, uint32_t i)
{
	return json_is_container(doc, i) ? doc->nodes[i].next : i + 1;
}

/* The number of elements of an array, or members of an object. */
uint32_t json_count(const struct json_doc *doc, uint32_t container);

/* A string node's decoded, NUL-terminated bytes; *len gets the length. */
const char *json_str(const struct json_doc *doc, uint32_t i, size_t *len);
/* A number node's source text (not NUL-terminated), *len its length. */
const char *json_num(const struct json_doc *doc, uint32_t i, size_t *len);
/*
 * A number node as an integer: 0, or -1 if it has a fraction or exponent
 * or lies outside [min, max].
 */
int json_int(const struct json_doc *doc, uint32_t i, long long min,
    long long max, long long *out);

/* "an object", "a string", ... for messages. */
const char *json_type_name(enum json_type t);

/*
 * Iterate over an object: for (k = json_first(doc, obj); k; k =
 * json_next_member(doc, k)) with key k and value k + 1. Arrays:
 * for (e = json_first(doc, arr); e; e = json_next_elem(doc, arr, e)).
 * 0 ends the iteration (node 0 is always the root, never a child).
 */
uint32_t json_first(const struct json_doc *doc, uint32_t container);
uint32_t json_next_member(const struct json_doc *doc, uint32_t parent,
    uint32_t key);
uint32_t json_next_elem(const struct json_doc *doc, uint32_t parent,
    uint32_t elem);
/* The value of member name in object obj, or 0. */
uint32_t json_get(const struct json_doc *doc, uint32_t obj, const char *name);

#endif
