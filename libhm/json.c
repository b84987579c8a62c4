/* hm: a strict JSON reader on jsmn, with positions. */

/*
 * jsmn must accept the text too: its counting pass runs first and its
 * count sizes the node array exactly. jsmn's token-filling pass is not
 * used: without
 * JSMN_PARENT_LINKS it scans back over the whole subtree at every ']',
 * '}' and member ',' (O(n * depth), quadratic on 100,000-deep nesting),
 * and every token it produces would have to be checked byte by byte
 * anyway, since even strict jsmn accepts [1,,2], {"a"}, [01], two roots
 * and invalid UTF-8. So one explicit-stack pass (no recursion) checks the
 * whole grammar of RFC 8259 and writes the nodes in preorder. The pass
 * stops at the first syntax error; duplicate keys are found as each
 * object closes, with a hash table.
 *
 * Strings are decoded in place. A string without escapes only has its
 * closing quote replaced by NUL, which keeps every source character where
 * it was; a string with escapes changes its bytes, so it is recorded as a
 * span that the line:column cursor steps over (its source had no
 * newline, and the span keeps its column count).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JSMN_STATIC
#include <jsmn.h>

#include "diag.h"
#include "file.h"
#include "hash.h"
#include "json.h"
#include "mem.h"

const unsigned char json_type_of[256] = {
	['"'] = JSON_STRING, ['['] = JSON_ARRAY, ['{'] = JSON_OBJECT,
	['t'] = JSON_TRUE, ['f'] = JSON_FALSE, ['n'] = JSON_NULL,
	['-'] = JSON_NUMBER, ['0'] = JSON_NUMBER, ['1'] = JSON_NUMBER,
	['2'] = JSON_NUMBER, ['3'] = JSON_NUMBER, ['4'] = JSON_NUMBER,
	['5'] = JSON_NUMBER, ['6'] = JSON_NUMBER, ['7'] = JSON_NUMBER,
	['8'] = JSON_NUMBER, ['9'] = JSON_NUMBER,
};

/* What the parser expects next. */
enum expect {
	EX_ROOT,		/* the root value */
	EX_ARR_FIRST,		/* a value or ']' */
	EX_ARR_VALUE,		/* a value (after ',') */
	EX_ARR_NEXT,		/* ',' or ']' */
	EX_OBJ_FIRST,		/* a key or '}' */
	EX_OBJ_KEY,		/* a key (after ',') */
	EX_OBJ_COLON,		/* ':' */
	EX_OBJ_VALUE,		/* a value (after ':') */
	EX_OBJ_NEXT,		/* ',' or '}' */
	EX_END			/* nothing but whitespace */
};

static const char *const expect_what[] = {
	[EX_ROOT] = "a value",
	[EX_ARR_FIRST] = "a value or ']'",
	[EX_ARR_VALUE] = "a value",
	[EX_ARR_NEXT] = "',' or ']'",
	[EX_OBJ_FIRST] = "a string key or '}'",
	[EX_OBJ_KEY] = "a string key",
	[EX_OBJ_COLON] = "':'",
	[EX_OBJ_VALUE] = "a value",
	[EX_OBJ_NEXT] = "',' or '}'",
	[EX_END] = "nothing",
};

struct frame {
	uint32_t node;		/* the container's node */
	uint32_t count;		/* elements or members so far */
};

/* The keys of an object, to find duplicates. */
struct keyset {
	uint32_t *slot;		/* node index + 1; 0 = empty */
	size_t cap;
};

struct reader {
	struct json_doc *doc;
	struct diag_list *diags;
	unsigned char *s;
	size_t size;
	uint32_t cap;		/* nodes allocated */
	struct frame stack[JSON_MAX_DEPTH];
	unsigned depth;
	struct keyset keys;
	int dups;		/* a duplicate key was reported */
};

/* Byte classes inside strings: 0 is an ordinary ASCII byte. */
enum { SC_PLAIN, SC_QUOTE, SC_BACKSLASH, SC_CONTROL, SC_HIGH };

static unsigned char
str_class(unsigned char c)
{
	if (c == '"')
		return SC_QUOTE;
	if (c == '\\')
		return SC_BACKSLASH;
	if (c < 0x20)
		return SC_CONTROL;
	if (c >= 0x80)
		return SC_HIGH;
	return SC_PLAIN;
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* A character that may continue a number or literal, for messages. */
static int
is_word(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    is_digit(c) || c == '.' || c == '+' || c == '-' || c == '_';
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0.
 * Rejects overlong forms, surrogates and code points above U+10FFFF
 * (Unicode table 3-7). The text ends in "\n\0", so a truncated sequence
 * stops at the sentinel without reading past the buffer.
 */
static int
utf8_len(const unsigned char *p, uint32_t *cp)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	int n, i;
	uint32_t v;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		v = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		v = v << 6 | (p[i] & 0x3f);
	}
	if (cp)
		*cp = v;
	return n;
}

static char *
utf8_put(char *d, uint32_t cp)
{
	if (cp < 0x80) {
		*d++ = (char)cp;
	} else if (cp < 0x800) {
		*d++ = (char)(0xc0 | cp >> 6);
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*d++ = (char)(0xe0 | cp >> 12);
		*d++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*d++ = (char)(0xf0 | cp >> 18);
		*d++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*d++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*d++ = (char)(0x80 | (cp & 0x3f));
	}
	return d;
}

/* --- positions -------------------------------------------------------- */

/* The index of the first span ending at or after off. */
static uint32_t
span_find(const struct json_doc *doc, size_t off)
{
	uint32_t lo = 0, hi = doc->nspans, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (doc->spans[mid].end < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Over source bytes s[a..stop) (no span inside): add the newlines to *nl
 * and the characters to *col, which a newline resets to 0.
 */
static void
count_run(const unsigned char *s, size_t a, size_t stop, size_t *nl,
    size_t *col)
{
	while (a < stop) {
		if (s[a] == '\n') {
			(*nl)++;
			*col = 0;
		} else {
			*col += (s[a] & 0xc0) != 0x80;
		}
		a++;
	}
}

/*
 * Count newlines and characters in [a, b), stepping over decoded spans.
 * *cols gets the characters after the last newline (all of them if
 * there is none).
 */
static size_t
span_count(const struct json_doc *doc, size_t a, size_t b, size_t *cols)
{
	const unsigned char *s = (const unsigned char *)doc->text;
	uint32_t k = span_find(doc, a);
	size_t nl = 0, col = 0, stop;

	while (a < b) {
		stop = b;
		if (k < doc->nspans && doc->spans[k].off < b)
			stop = doc->spans[k].off;
		count_run(s, a, stop, &nl, &col);
		a = stop;
		if (a < b) {
			/* a is the opening quote of span k */
			col += doc->spans[k].cols + 2;
			a = (size_t)doc->spans[k].end + 1;
			k++;
		}
	}
	*cols = col;
	return nl;
}

/*
 * Move the cursor forward to off: one pass over the bytes, spans stepped
 * over by the span cursor, so that asking for every node in order costs
 * one scan of the input and no search. An off inside a decoded string
 * stops at its opening quote (its source is gone).
 */
static void
cursor_forward(struct json_doc *doc, size_t off)
{
	const unsigned char *s = (const unsigned char *)doc->text;
	size_t a = doc->cur_off, stop, nl, c;
	unsigned line = doc->cur_line, col = doc->cur_col;
	uint32_t k = doc->cur_span;

	while (a < off) {
		stop = off;
		if (k < doc->nspans && doc->spans[k].off < stop)
			stop = doc->spans[k].off;
		nl = 0;
		c = col - 1;
		count_run(s, a, stop, &nl, &c);
		line += (unsigned)nl;
		col = (unsigned)c + 1;
		a = stop;
		if (a == off)
			break;
		/* a is the opening quote of span k */
		if ((size_t)doc->spans[k].end + 1 > off)
			break;
		col += doc->spans[k].cols + 2;
		a = (size_t)doc->spans[k].end + 1;
		k++;
	}
	doc->cur_off = a;
	doc->cur_line = line;
	doc->cur_col = col;
	doc->cur_span = k;
}

struct srcpos
json_pos_at(struct json_doc *doc, size_t off)
{
	struct srcpos pos;
	size_t nl, cols;
	uint32_t k;

	if (off > doc->size)
		off = doc->size;
	if (off < doc->cur_off) {
		/* inside a decoded string: its source is gone; use its quote */
		k = span_find(doc, off);
		if (k < doc->nspans && doc->spans[k].off < off)
			off = doc->spans[k].off;
		nl = span_count(doc, off, doc->cur_off, &cols);
		if (nl == 0) {
			/* back along the same line: subtract */
			doc->cur_col -= (unsigned)cols;
		} else {
			/* back across lines: count them, then the columns from
			 * the start of off's line; a decoded span can hold a
			 * newline ("a\nb"), so the scan back steps over it */
			size_t start = off;

			for (;;) {
				while (start > 0 && doc->text[start - 1] != '\n')
					start--;
				k = span_find(doc, start);
				if (start == 0 || k == doc->nspans ||
				    doc->spans[k].off >= start)
					break;
				start = doc->spans[k].off;
			}
			doc->cur_line -= (unsigned)nl;
			span_count(doc, start, off, &cols);
			doc->cur_col = 1 + (unsigned)cols;
		}
		doc->cur_off = off;
		doc->cur_span = span_find(doc, off);
	}
	if (off > doc->cur_off)
		cursor_forward(doc, off);
	pos.file = doc->file;
	pos.line = doc->cur_line;
	pos.col = doc->cur_col;
	return pos;
}

struct srcpos
json_pos(struct json_doc *doc, uint32_t i)
{
	return json_pos_at(doc, doc->nodes[i].off);
}

/* --- messages --------------------------------------------------------- */

/* Show s[0..n) in a message: printable, and at most about 40 bytes. */
static void
show(char *buf, size_t bufsz, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;
	int k;

	for (i = 0; i < n && o + 8 < bufsz; i++) {
		if (o >= 40) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (s[i] >= 0x80 && (k = utf8_len(s + i, NULL)) > 0 &&
		    i + (size_t)k <= n) {
			memcpy(buf + o, s + i, (size_t)k);
			o += (size_t)k;
			i += (size_t)k - 1;
		} else if (s[i] < 0x20 || s[i] >= 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[s[i] >> 4];
			buf[o++] = hex[s[i] & 15];
		} else
			buf[o++] = (char)s[i];
	}
	buf[o] = '\0';
}

/* Describe the character at s[p] for "found %s". */
static void
describe(struct reader *r, size_t p, char *buf, size_t bufsz)
{
	const unsigned char *s = r->s;
	uint32_t cp;
	size_t q;

	if (p >= r->size)
		snprintf(buf, bufsz, "end of input");
	else if (s[p] == '"')
		snprintf(buf, bufsz, "a string");
	else if (is_digit(s[p]) || s[p] == '-')
		snprintf(buf, bufsz, "a number");
	else if ((s[p] >= 'a' && s[p] <= 'z') || (s[p] >= 'A' && s[p] <= 'Z')) {
		for (q = p; q < r->size && is_word(s[q]); q++)
			;
		buf[0] = '\'';
		show(buf + 1, bufsz - 2, s + p, q - p);
		strcat(buf, "'");
	} else if (s[p] == '\'')
		snprintf(buf, bufsz, "\"'\"");
	else if (s[p] > 0x20 && s[p] < 0x7f)
		snprintf(buf, bufsz, "'%c'", s[p]);
	else if (s[p] >= 0x80 && utf8_len(s + p, &cp))
		snprintf(buf, bufsz, "U+%04X", (unsigned)cp);
	else
		snprintf(buf, bufsz, "U+%04X", (unsigned)s[p]);
}

static int
fail_at(struct reader *r, size_t p, enum diag_code code, const char *arg)
{
	return diag_report(r->diags, code, json_pos_at(r->doc, p), arg);
}

/*
 * The character at p is not what state ex allows: say what is wrong with
 * it, most specific message first.
 */
static int
fail_char(struct reader *r, size_t p, enum expect ex)
{
	const unsigned char *s = r->s;
	struct srcpos pos;
	char what[96];

	if (p < r->size && s[p] == '\0')
		return fail_at(r, p, E_JSON_NUL, NULL);
	if (p < r->size && s[p] >= 0x80 && !utf8_len(s + p, NULL))
		return fail_at(r, p, E_JSON_UTF8, NULL);
	describe(r, p, what, sizeof(what));
	pos = json_pos_at(r->doc, p);
	if (ex == EX_END)
		return diag_report(r->diags, E_JSON_TRAILING, pos, what);
	if (p < r->size && !strchr("{}[],:\"", s[p]) && !is_word(s[p]) &&
	    !is_ws(s[p]) && (ex == EX_ROOT || ex == EX_ARR_FIRST ||
	    ex == EX_ARR_VALUE || ex == EX_OBJ_VALUE))
		return diag_report(r->diags, E_JSON_CHAR, pos, what);
	return diag_report(r->diags, E_JSON_EXPECTED, pos, expect_what[ex],
	    what);
}

/* --- duplicate keys --------------------------------------------------- */

static int
key_eq(const struct json_doc *doc, uint32_t a, uint32_t b)
{
	return doc->nodes[a].len == doc->nodes[b].len &&
	    !memcmp(doc->text + doc->nodes[a].off + 1,
	    doc->text + doc->nodes[b].off + 1, doc->nodes[a].len);
}

static int
dup_report(struct json_doc *doc, struct diag_list *diags, uint32_t first,
    uint32_t dup)
{
	struct srcpos fp = json_pos(doc, first);
	char buf[64];

	show(buf, sizeof(buf),
	    (const unsigned char *)doc->text + doc->nodes[dup].off + 1,
	    doc->nodes[dup].len);
	return diag_report(diags, E_JSON_DUPKEY, json_pos(doc, dup), buf,
	    fp.line, fp.col);
}

/*
 * Report every key of object obj (m members) that an earlier key of it
 * repeats. Small objects compare pairwise; others use an open-addressing
 * table, so an object with a million keys costs a million probes.
 */
static int
dup_check(struct json_doc *doc, uint32_t obj, uint32_t m, struct keyset *ks,
    struct diag_list *diags)
{
	uint32_t end = doc->nodes[obj].next, k, j, e;
	size_t cap, h, i;
	uint32_t *slot;
	int ret = 0;

	if (m <= 8) {
		for (k = obj + 1; k < end; k = json_skip(doc, k + 1))
			for (j = obj + 1; j < k; j = json_skip(doc, j + 1))
				if (key_eq(doc, j, k)) {
					ret = dup_report(doc, diags, j, k);
					break;
				}
		return ret;
	}
	for (cap = 16; cap < 2 * (size_t)m; cap *= 2)
		;
	if (cap > ks->cap) {
		free(ks->slot);
		if (!(ks->slot = calloc(cap, sizeof(*slot)))) {
			ks->cap = 0;
			return diag_report(diags, E_NOMEM,
			    (struct srcpos){ doc->file, 0, 0 });
		}
		ks->cap = cap;
	} else
		memset(ks->slot, 0, cap * sizeof(*slot));
	slot = ks->slot;
	for (k = obj + 1; k < end; k = json_skip(doc, k + 1)) {
		h = (size_t)hash_mem(doc->text +
		    doc->nodes[k].off + 1, doc->nodes[k].len);
		for (i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
			if (!(e = slot[i])) {
				slot[i] = k + 1;
				break;
			}
			if (key_eq(doc, e - 1, k)) {
				ret = dup_report(doc, diags, e - 1, k);
				break;
			}
		}
	}
	return ret;
}

/* --- the parser ------------------------------------------------------- */

static int
node_add(struct reader *r, size_t off, uint32_t *idx)
{
	struct json_doc *doc = r->doc;
	struct json_node *nodes, *nd;
	uint32_t cap;

	if (doc->n == r->cap) {
		/* jsmn's count or the estimate did not fit */
		if (r->cap > UINT32_MAX / 2 - 8)
			return diag_report(r->diags, E_JSON_TOO_MANY,
			    json_pos_at(doc, off), "2^31");
		cap = r->cap ? 2 * r->cap : 64;
		nodes = realloc(doc->nodes, (size_t)cap * sizeof(*nodes));
		if (!nodes)
			return diag_report(r->diags, E_NOMEM,
			    (struct srcpos){ doc->file, 0, 0 });
		doc->nodes = nodes;
		r->cap = cap;
	}
	*idx = doc->n++;
	nd = &doc->nodes[*idx];
	nd->off = (uint32_t)off;
	nd->len = 0;
	return 0;
}

static int
span_add(struct reader *r, size_t off, size_t end, size_t cols)
{
	struct json_doc *doc = r->doc;
	struct json_span *sp;
	uint32_t cap;

	if (doc->nspans == doc->spancap) {
		cap = doc->spancap ? 2 * doc->spancap : 64;
		sp = realloc(doc->spans, (size_t)cap * sizeof(*sp));
		if (!sp)
			return diag_report(r->diags, E_NOMEM,
			    (struct srcpos){ doc->file, 0, 0 });
		doc->spans = sp;
		doc->spancap = cap;
	}
	sp = &doc->spans[doc->nspans++];
	sp->off = (uint32_t)off;
	sp->end = (uint32_t)end;
	sp->cols = (uint32_t)cols;
	return 0;
}

/* Read the 4 hex digits at p as a code unit; -1 if they are not. */
static long
hex4(const unsigned char *p)
{
	long v = 0;
	int i, h;

	for (i = 0; i < 4; i++) {
		if ((h = hexval(p[i])) < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* Quote the escape at p: the backslash and up to 4 more characters. */
static int
fail_at_show(struct reader *r, size_t p, enum diag_code code, size_t n)
{
	char buf[64];

	show(buf, sizeof(buf), r->s + p, n);
	return fail_at(r, p, code, buf);
}

static int
fail_escape(struct reader *r, size_t p, enum diag_code code, size_t n)
{
	char buf[64];
	size_t i;

	for (i = 1; i < n && p + i < r->size && is_word(r->s[p + i]); i++)
		;
	show(buf, sizeof(buf), r->s + p, i);
	return fail_at(r, p, code, buf);
}

/*
 * Reading a string has two phases: string_check walks it once, checking
 * each escape, control byte and UTF-8 sequence; then, only if it has
 * escapes, string_decode rewrites it in place. A string without escapes
 * (most of them) is left where it is.
 *
 * The byte loops are plain. Scanning 16 bytes at a time with SSE2 (8
 * with word tricks elsewhere) here and in jsonw.c cut hm-lower's
 * instructions by a fifth on `make bench`'s input (gen-ir 100000, 29 MB:
 * callgrind 1.579e9 against 1.959e9 plain) but not its time by the 10%
 * that would pay for two code paths and a second CI build: the plain
 * build's CPU time (user+sys, median of 30 interleaved hyperfine rounds)
 * was 1.10x the SSE2 build's, and level on the fastest runs.
 */

/* Where the run of plain bytes (printable ASCII but '"', '\\') at q ends. */
static size_t
plain_run(const unsigned char *s, size_t q)
{
	unsigned char c;

	while ((c = s[q]) >= 0x20 && c < 0x80 && c != '"' && c != '\\')
		q++;
	return q;
}

/*
 * The backslash at q, in the string whose opening quote is at p: what
 * follows it must be one of JSON's escapes, and a \u escape of a high
 * surrogate must be followed by one of a low surrogate. *next gets the
 * offset just past the escape (or the pair).
 */
static int
escape_check(struct reader *r, size_t p, size_t q, size_t *next)
{
	const unsigned char *s = r->s;
	unsigned char c = s[q + 1];
	long u, u2;
	int k;

	switch (c) {
	case '"': case '\\': case '/': case 'b': case 'f':
	case 'n': case 'r': case 't':
		*next = q + 2;
		return 0;
	case 'u':
		break;
	default:
		if (q + 1 >= r->size)
			return fail_at(r, p, E_JSON_UNTERMINATED, NULL);
		if (c == '\0')
			return fail_at(r, q + 1, E_JSON_NUL, NULL);
		if (c < 0x20)
			return diag_report(r->diags, E_JSON_CONTROL,
			    json_pos_at(r->doc, q + 1), (unsigned)c);
		if (c >= 0x80 && !utf8_len(s + q + 1, NULL))
			return fail_at(r, q + 1, E_JSON_UTF8, NULL);
		/* show a multibyte character whole */
		k = c >= 0x80 ? utf8_len(s + q + 1, NULL) : 1;
		return fail_at_show(r, q, E_JSON_ESCAPE, 1 + (size_t)k);
	}
	if ((u = hex4(s + q + 2)) < 0)
		return fail_escape(r, q, E_JSON_ESCAPE, 6);
	if (u >= 0xdc00 && u <= 0xdfff)
		return fail_escape(r, q, E_JSON_SURROGATE, 6);
	if (u >= 0xd800 && u <= 0xdbff) {
		if (s[q + 6] != '\\' || s[q + 7] != 'u' ||
		    (u2 = hex4(s + q + 8)) < 0xdc00 || u2 > 0xdfff)
			return fail_escape(r, q, E_JSON_SURROGATE, 6);
		q += 6;
	}
	*next = q + 6;
	return 0;
}

/*
 * Check the string whose opening quote is at p: *end gets the offset of
 * its closing quote, *escapes whether it has any.
 */
static int
string_check(struct reader *r, size_t p, size_t *end, bool *escapes)
{
	const unsigned char *s = r->s;
	size_t q = p + 1;
	unsigned char c;
	int k;

	*escapes = false;
	for (;;) {
		q = plain_run(s, q);
		c = s[q];
		switch (str_class(c)) {
		case SC_QUOTE:
			*end = q;
			return 0;
		case SC_BACKSLASH:
			*escapes = true;
			if (escape_check(r, p, q, &q) < 0)
				return -1;
			continue;
		case SC_CONTROL:
			if (q >= r->size)
				return fail_at(r, p, E_JSON_UNTERMINATED, NULL);
			if (c == '\0')
				return fail_at(r, q, E_JSON_NUL, NULL);
			return diag_report(r->diags, E_JSON_CONTROL,
			    json_pos_at(r->doc, q), (unsigned)c);
		default:
			if (!(k = utf8_len(s + q, NULL)))
				return fail_at(r, q, E_JSON_UTF8, NULL);
			q += (size_t)k;
			continue;
		}
	}
}

/*
 * Decode the checked escape at *q (a backslash) to *d; both move past
 * it, and *cols counts the source characters it took.
 */
static void
escape_decode(const unsigned char *s, size_t *q, char **d, size_t *cols)
{
	size_t i = *q + 1;
	uint32_t cp;

	*cols += 2;
	switch (s[i]) {
	case 'b': *(*d)++ = '\b'; break;
	case 'f': *(*d)++ = '\f'; break;
	case 'n': *(*d)++ = '\n'; break;
	case 'r': *(*d)++ = '\r'; break;
	case 't': *(*d)++ = '\t'; break;
	case 'u':
		cp = (uint32_t)hex4(s + i + 1);
		i += 4;
		*cols += 4;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) +
			    ((uint32_t)hex4(s + i + 3) - 0xdc00);
			i += 6;
			*cols += 6;
		}
		*d = utf8_put(*d, cp);
		break;
	default:
		*(*d)++ = (char)s[i];
	}
	*q = i + 1;
}

/*
 * Decode the checked string whose opening quote is at p in place, NUL
 * terminated; returns its decoded length. The source is read ahead of
 * where its decoding is written; its characters are counted in *cols for
 * the span that stands for it.
 */
static uint32_t
string_decode(struct reader *r, size_t p, size_t *cols)
{
	unsigned char *s = r->s;
	size_t q;
	char *d = (char *)s + p + 1;

	for (q = p + 1; s[q] != '"';) {
		if (s[q] != '\\') {
			*cols += (s[q] & 0xc0) != 0x80;
			*d++ = (char)s[q++];
			continue;
		}
		escape_decode(s, &q, &d, cols);
	}
	*d = '\0';
	return (uint32_t)(d - ((char *)s + p + 1));
}

/*
 * Check the string whose opening quote is at p, then decode it in place
 * and NUL-terminate it. *end gets the offset of its closing quote, *len
 * its decoded length.
 */
static int
string_read(struct reader *r, size_t p, size_t *end, uint32_t *len)
{
	size_t cols = 0;
	bool escapes;

	if (string_check(r, p, end, &escapes) < 0)
		return -1;
	if (!escapes) {
		r->s[*end] = '\0';
		*len = (uint32_t)(*end - p - 1);
		return 0;
	}
	*len = string_decode(r, p, &cols);
	return span_add(r, p, *end, cols);
}

/* Check the number at p; *end gets the offset just past it. */
static int
number_read(struct reader *r, size_t p, size_t *end)
{
	const unsigned char *s = r->s;
	size_t q = p;
	char buf[64];

	if (s[q] == '-')
		q++;
	if (s[q] == '0')
		q++;
	else if (s[q] >= '1' && s[q] <= '9')
		while (is_digit(s[q]))
			q++;
	else
		goto bad;
	if (s[q] == '.') {
		q++;
		if (!is_digit(s[q]))
			goto bad;
		while (is_digit(s[q]))
			q++;
	}
	if (s[q] == 'e' || s[q] == 'E') {
		q++;
		if (s[q] == '+' || s[q] == '-')
			q++;
		if (!is_digit(s[q]))
			goto bad;
		while (is_digit(s[q]))
			q++;
	}
	if (!is_word(s[q])) {
		*end = q;
		return 0;
	}
bad:
	for (q = p; q < r->size && is_word(s[q]); q++)
		;
	show(buf, sizeof(buf), s + p, q - p);
	return fail_at(r, p, E_JSON_NUMBER, buf);
}

/* Check the literal at p; *type and *end get what it is and its end. */
static int
literal_read(struct reader *r, size_t p, enum json_type *type, size_t *end)
{
	static const struct {
		const char *word;
		size_t len;
		enum json_type type;
	} lits[] = {
		{ "true", 4, JSON_TRUE },
		{ "false", 5, JSON_FALSE },
		{ "null", 4, JSON_NULL },
	};
	const unsigned char *s = r->s;
	size_t q, i;
	char buf[64];

	for (q = p; q < r->size && is_word(s[q]); q++)
		;
	for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++)
		if (q - p == lits[i].len && !memcmp(s + p, lits[i].word, q - p)) {
			*type = lits[i].type;
			*end = q;
			return 0;
		}
	show(buf, sizeof(buf), s + p, q - p);
	return fail_at(r, p, E_JSON_LITERAL, buf);
}

static int
bom_check(struct reader *r)
{
	const unsigned char *s = r->s;
	const char *what = NULL;

	if (r->size >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
		what = "UTF-8";
	else if (r->size >= 2 && s[0] == 0xfe && s[1] == 0xff)
		what = "UTF-16BE";
	else if (r->size >= 2 && s[0] == 0xff && s[1] == 0xfe)
		what = "UTF-16LE";
	if (what)
		return fail_at(r, 0, E_JSON_BOM, what);
	return 0;
}

/* The value that starts at p (not a container) ends at *end. */
static int
scalar_read(struct reader *r, size_t p, size_t *endp, enum expect ex)
{
	const unsigned char *s = r->s;
	enum json_type type = JSON_NULL;
	uint32_t idx, len;
	size_t end;

	if (s[p] == '"') {
		if (node_add(r, p, &idx) < 0 ||
		    string_read(r, p, &end, &len) < 0)
			return -1;
		r->doc->nodes[idx].len = len;
		*endp = end + 1;
		return 0;
	}
	if (is_digit(s[p]) || s[p] == '-' || s[p] == '.' || s[p] == '+') {
		if (number_read(r, p, &end) < 0 ||
		    node_add(r, p, &idx) < 0)
			return -1;
		r->doc->nodes[idx].len = (uint32_t)(end - p);
		*endp = end;
		return 0;
	}
	if ((s[p] >= 'a' && s[p] <= 'z') || (s[p] >= 'A' && s[p] <= 'Z') ||
	    s[p] == '_') {
		if (literal_read(r, p, &type, &end) < 0 ||
		    node_add(r, p, &idx) < 0)
			return -1;
		*endp = end;
		return 0;
	}
	return fail_char(r, p, ex);
}

static int
container_open(struct reader *r, size_t p)
{
	uint32_t idx;

	if (r->depth == JSON_MAX_DEPTH)
		return diag_report(r->diags, E_JSON_DEPTH,
		    json_pos_at(r->doc, p), JSON_MAX_DEPTH);
	if (node_add(r, p, &idx) < 0)
		return -1;
	r->stack[r->depth].node = idx;
	r->stack[r->depth].count = 0;
	r->depth++;
	return 0;
}

/* After a value: what comes next depends on where it stands. */
static enum expect
value_done(struct reader *r)
{
	struct frame *f;

	if (r->depth == 0)
		return EX_END;
	f = &r->stack[r->depth - 1];
	f->count++;
	return json_type(r->doc, f->node) == JSON_ARRAY ? EX_ARR_NEXT :
	    EX_OBJ_NEXT;
}

/*
 * An object's keys are checked for duplicates when it closes, while
 * they are still in the cache; an error there does not stop the parse.
 */
static enum expect
container_close(struct reader *r)
{
	struct frame *f = &r->stack[--r->depth];

	r->doc->nodes[f->node].next = r->doc->n;
	if (f->count > 1 && json_type(r->doc, f->node) == JSON_OBJECT &&
	    dup_check(r->doc, f->node, f->count, &r->keys, r->diags) < 0)
		r->dups = 1;
	return value_done(r);
}

static int
unclosed(struct reader *r)
{
	uint32_t i = r->stack[r->depth - 1].node;
	struct json_node *nd = &r->doc->nodes[i];
	int arr = json_type(r->doc, i) == JSON_ARRAY;

	return diag_report(r->diags, E_JSON_UNCLOSED,
	    json_pos_at(r->doc, nd->off), arr ? "array" : "object",
	    arr ? ']' : '}');
}

/* The grammar of RFC 8259, with an explicit stack. */
static int
parse_all(struct reader *r)
{
	const unsigned char *s = r->s;
	enum expect ex = EX_ROOT;
	size_t p = 0, end;
	uint32_t idx, len;
	unsigned char c;

	if (bom_check(r) < 0)
		return -1;
	for (;;) {
		/* the text ends in "\n\0": whitespace, then a stop */
		while (is_ws(s[p]))
			p++;
		if (p >= r->size) {
			p = r->size;
			if (ex == EX_END)
				return 0;
			/* cut inside a member or after a comma: say so there */
			if (ex == EX_ARR_VALUE || ex == EX_OBJ_KEY ||
			    ex == EX_OBJ_COLON || ex == EX_OBJ_VALUE)
				return diag_report(r->diags, E_JSON_EOF,
				    json_pos_at(r->doc, p), expect_what[ex]);
			if (r->depth)
				return unclosed(r);
			return diag_report(r->diags, E_JSON_EMPTY,
			    json_pos_at(r->doc, p));
		}
		c = s[p];
		switch (ex) {
		case EX_ARR_FIRST:
			if (c == ']') {
				ex = container_close(r);
				p++;
				break;
			}
			/* FALLTHROUGH */
		case EX_ROOT:
		case EX_ARR_VALUE:
		case EX_OBJ_VALUE:
			if (c == '[' || c == '{') {
				if (container_open(r, p) < 0)
					return -1;
				ex = c == '[' ? EX_ARR_FIRST : EX_OBJ_FIRST;
				p++;
				break;
			}
			if (scalar_read(r, p, &p, ex) < 0)
				return -1;
			ex = value_done(r);
			break;
		case EX_OBJ_FIRST:
			if (c == '}') {
				ex = container_close(r);
				p++;
				break;
			}
			/* FALLTHROUGH */
		case EX_OBJ_KEY:
			if (c != '"')
				return fail_char(r, p, ex);
			if (node_add(r, p, &idx) < 0 ||
			    string_read(r, p, &end, &len) < 0)
				return -1;
			r->doc->nodes[idx].len = len;
			p = end + 1;
			ex = EX_OBJ_COLON;
			break;
		case EX_OBJ_COLON:
			if (c != ':')
				return fail_char(r, p, ex);
			p++;
			ex = EX_OBJ_VALUE;
			break;
		case EX_ARR_NEXT:
		case EX_OBJ_NEXT:
			if (c == ',') {
				p++;
				ex = ex == EX_ARR_NEXT ? EX_ARR_VALUE :
				    EX_OBJ_KEY;
			} else if (c == (ex == EX_ARR_NEXT ? ']' : '}')) {
				p++;
				ex = container_close(r);
			} else
				return fail_char(r, p, ex);
			break;
		case EX_END:
			return fail_char(r, p, ex);
		}
	}
}

/* --- the interface ---------------------------------------------------- */

int
json_parse(struct json_doc *doc, const char *file, char *text, size_t size,
    struct diag_list *diags)
{
	struct reader *r;
	jsmn_parser jp;
	size_t cap;
	int count, ret;

	memset(doc, 0, sizeof(*doc));
	doc->file = file;
	doc->text = text;
	doc->size = size;
	doc->cur_line = doc->cur_col = 1;
	if (size > JSON_MAX_SIZE)
		return diag_report(diags, E_INPUT_TOO_LARGE,
		    (struct srcpos){ file, 0, 0 }, "2147483632");
	/*
	 * The sentinel newline ends a bare root number for jsmn, whose
	 * strict mode otherwise wants more input after it, and stops every
	 * scan below without a bounds check.
	 */
	text[size] = '\n';
	text[size + 1] = '\0';
	if (!(r = malloc(sizeof(*r))))
		return diag_report(diags, E_NOMEM,
		    (struct srcpos){ file, 0, 0 });
	/* jsmn's verdict, and its count of the nodes */
	jsmn_init(&jp);
	count = jsmn_parse(&jp, text, size + 1, NULL, 0);
	r->doc = doc;
	r->diags = diags;
	r->s = (unsigned char *)text;
	r->size = size;
	r->cap = 0;
	r->depth = 0;
	r->keys.slot = NULL;
	r->keys.cap = 0;
	r->dups = 0;
	cap = count > 0 ? (size_t)count : 0;
	if (cap > 0) {
		doc->nodes = malloc(cap * sizeof(*doc->nodes));
		if (doc->nodes) {
			mem_advise_huge(doc->nodes, cap * sizeof(*doc->nodes));
			r->cap = (uint32_t)cap;
		}
	}
	ret = parse_all(r);
	if (r->dups)
		ret = -1;
	free(r->keys.slot);
	free(r);
	if (ret < 0)
		return -1;
	/* Both must accept: jsmn has never been seen to reject valid JSON. */
	if (count < 0)
		return diag_report(diags, E_JSON_JSMN,
		    json_pos_at(doc, jp.pos), count);
	return 0;
}

void
json_doc_release(struct json_doc *doc)
{
	free(doc->text);
	free(doc->nodes);
	free(doc->spans);
	memset(doc, 0, sizeof(*doc));
}

int
json_read_fd(int fd, char **textp, size_t *sizep)
{
	return file_read_fd(fd, JSON_MAX_SIZE, textp, sizep);
}

const char *
json_str(const struct json_doc *doc, uint32_t i, size_t *len)
{
	if (len)
		*len = doc->nodes[i].len;
	return doc->text + doc->nodes[i].off + 1;
}

const char *
json_num(const struct json_doc *doc, uint32_t i, size_t *len)
{
	if (len)
		*len = doc->nodes[i].len;
	return doc->text + doc->nodes[i].off;
}

int
json_int(const struct json_doc *doc, uint32_t i, long long min,
    long long max, long long *out)
{
	const char *s = doc->text + doc->nodes[i].off;
	uint32_t n = doc->nodes[i].len, k = 0;
	unsigned long long v = 0, lim;
	int neg = 0;

	if (json_type(doc, i) != JSON_NUMBER)
		return -1;
	if (s[0] == '-') {
		neg = 1;
		k = 1;
	}
	lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
	for (; k < n; k++) {
		if (!is_digit((unsigned char)s[k]))
			return -1;	/* a fraction or an exponent */
		if (v > (lim - (unsigned)(s[k] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned)(s[k] - '0');
	}
	if (neg) {
		if (v == (unsigned long long)LLONG_MAX + 1) {
			if (min > LLONG_MIN)
				return -1;
			*out = LLONG_MIN;
			return 0;
		}
		if (-(long long)v < min || -(long long)v > max)
			return -1;
		*out = -(long long)v;
		return 0;
	}
	if ((long long)v < min || (long long)v > max)
		return -1;
	*out = (long long)v;
	return 0;
}

const char *
json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:
		return "null";
	case JSON_FALSE:
	case JSON_TRUE:
		return "a boolean";
	case JSON_NUMBER:
		return "a number";
	case JSON_STRING:
		return "a string";
	case JSON_ARRAY:
		return "an array";
	case JSON_OBJECT:
		return "an object";
	}
	return "a value";
}

uint32_t
json_first(const struct json_doc *doc, uint32_t container)
{
	return doc->nodes[container].next > container + 1 ? container + 1 : 0;
}

uint32_t
json_next_member(const struct json_doc *doc, uint32_t parent, uint32_t key)
{
	uint32_t next = json_skip(doc, key + 1);

	return next < doc->nodes[parent].next ? next : 0;
}

uint32_t
json_next_elem(const struct json_doc *doc, uint32_t parent, uint32_t elem)
{
	uint32_t next = json_skip(doc, elem);

	return next < doc->nodes[parent].next ? next : 0;
}

uint32_t
json_count(const struct json_doc *doc, uint32_t container)
{
	uint32_t end = doc->nodes[container].next, i, n = 0;
	int obj = json_type(doc, container) == JSON_OBJECT;

	for (i = container + 1; i < end; i = json_skip(doc, i + obj))
		n++;
	return n;
}

uint32_t
json_get(const struct json_doc *doc, uint32_t obj, const char *name)
{
	size_t n = strlen(name);
	uint32_t k;

	if (json_type(doc, obj) != JSON_OBJECT)
		return 0;
	for (k = json_first(doc, obj); k; k = json_next_member(doc, obj, k))
		if (doc->nodes[k].len == n &&
		    !memcmp(doc->text + doc->nodes[k].off + 1, name, n))
			return k + 1;
	return 0;
}
