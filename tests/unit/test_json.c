/* hm: unit tests for the JSON reader; also a driver for the shell tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "json.h"
#define JSMN_HEADER
#include <jsmn.h>

/* Parse s[0..n) (n = -1: strlen) into doc; returns json_parse's result. */
static int
parse(const char *s, size_t n, struct json_doc *doc, struct diag_list *l)
{
	char *text;

	if (n == (size_t)-1)
		n = strlen(s);
	text = malloc(n + 2);
	assert_non_null(text);
	memcpy(text, s, n);
	return json_parse(doc, "t.json", text, n, l);
}

/* The n-th diagnostic as "LINE:COL: MESSAGE". */
static const char *
diag_at(const struct diag_list *l, size_t i)
{
	static char buf[512];

	assert_true(i < l->n);
	snprintf(buf, sizeof(buf), "%u:%u: %s", l->items[i].pos.line,
	    l->items[i].pos.col, l->items[i].msg);
	return buf;
}

/* s must be rejected with exactly one error, want. */
static void
reject(const char *s, size_t n, const char *want)
{
	struct diag_list l = DIAG_LIST_INIT;
	struct json_doc doc;

	assert_int_equal(parse(s, n, &doc, &l), -1);
	assert_int_equal(l.n, 1);
	assert_string_equal(diag_at(&l, 0), want);
	json_doc_release(&doc);
	diag_list_release(&l);
}

static void
accept(const char *s, size_t n)
{
	struct diag_list l = DIAG_LIST_INIT;
	struct json_doc doc;
	int r = parse(s, n, &doc, &l);

	if (r != 0)
		fail_msg("rejected %s: %s", s, diag_at(&l, 0));
	assert_int_equal(l.n, 0);
	json_doc_release(&doc);
	diag_list_release(&l);
}

/* Every input that strict jsmn accepts although it is not JSON. */
static void
test_jsmn_false_accepts(void **state)
{
	(void)state;
	reject("[1,,3]", -1, "1:4: expected a value, found ','");
	reject("{\"a\":1,}", -1, "1:8: expected a string key, found '}'");
	reject("{,}", -1, "1:2: expected a string key or '}', found ','");
	reject("{\"a\"}", -1, "1:5: expected ':', found '}'");
	reject("{\"a\": 1, \"b\"}", -1, "1:13: expected ':', found '}'");
	reject("[\"a\": 1]", -1, "1:5: expected ',' or ']', found ':'");
	reject("{\"a\":\"b\":\"c\"}", -1,
	    "1:9: expected ',' or '}', found ':'");
	reject("[01]", -1, "1:2: invalid number '01'");
	reject("[1.2.3]", -1, "1:2: invalid number '1.2.3'");
	reject("[tru]", -1, "1:2: invalid literal 'tru'");
	reject("[1 2]", -1, "1:4: expected ',' or ']', found a number");
	reject("{\"a\":1}{\"b\":2}", -1,
	    "1:8: expected the end of input after the JSON value, found '{'");
	reject("[\"\xff\"]", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[1,]", -1, "1:4: expected a value, found ']'");
	/* and the two that jsmn does reject, with a better message */
	reject("[10}", -1, "1:4: expected ',' or ']', found '}'");
	reject("\"\\x\"", -1, "1:2: invalid escape sequence '\\x' in string");
}

static void
test_structure_errors(void **state)
{
	(void)state;
	reject("", 0, "1:1: empty input: expected a JSON value");
	reject(" \n\t\r\n ", -1, "3:2: empty input: expected a JSON value");
	reject("{\"a\": [1, 2", -1,
	    "1:7: unclosed array: expected ']' before the end of input");
	reject("[{\"a\": 1}, {", -1,
	    "1:12: unclosed object: expected '}' before the end of input");
	reject("[\"abc", -1, "1:2: unterminated string");
	reject("[1,", -1, "1:4: unexpected end of input: expected a value");
	reject("{\"a\"", -1, "1:5: unexpected end of input: expected ':'");
	reject("{\"a\":1,\n", -1,
	    "2:1: unexpected end of input: expected a string key");
	reject("\"a\\", -1, "1:1: unterminated string");
	reject("]", -1, "1:1: expected a value, found ']'");
	reject("[1]]", -1,
	    "1:4: expected the end of input after the JSON value, found ']'");
	reject("{\"a\" 1}", -1, "1:6: expected ':', found a number");
	reject("{1:2}", -1, "1:2: expected a string key or '}', found a number");
	reject("{\"a\":}", -1, "1:6: expected a value, found '}'");
	reject("[#]", -1, "1:2: unexpected character '#'");
	reject("['a']", -1, "1:2: unexpected character \"'\"");
	reject("[True]", -1, "1:2: invalid literal 'True'");
	reject("[nulls]", -1, "1:2: invalid literal 'nulls'");
	reject("[-]", -1, "1:2: invalid number '-'");
	reject("[1.]", -1, "1:2: invalid number '1.'");
	reject("[.5]", -1, "1:2: invalid number '.5'");
	reject("[1e]", -1, "1:2: invalid number '1e'");
	reject("[+1]", -1, "1:2: invalid number '+1'");
	reject("[1\"a\"]", -1, "1:3: expected ',' or ']', found a string");
	reject("[\x0c]", -1, "1:2: unexpected character U+000C");
	reject("[1]\x0b", -1,
	    "1:4: expected the end of input after the JSON value, found U+000B");
	reject("\xef\xbb\xbf{}", -1,
	    "1:1: UTF-8 byte order mark: JSON text must be UTF-8 without one");
	reject("\xff\xfe[\0]\0", 6,
	    "1:1: UTF-16LE byte order mark: JSON text must be UTF-8 without one");
	reject("[1,\n  2,\n  x]", -1, "3:3: invalid literal 'x'");
	reject("[\xc3\xa9]", -1, "1:2: unexpected character U+00E9");
	reject("[1]\xff", -1, "1:4: invalid UTF-8 byte sequence");
}

static void
test_nul(void **state)
{
	(void)state;
	reject("[1,\0 2]", 7, "1:4: NUL byte in input");
	reject("[\"a\0\"]", 6, "1:4: NUL byte in input");
	reject("\0", 1, "1:1: NUL byte in input");
	reject("{}\0", 3, "1:3: NUL byte in input");
	reject("[\"\\\0\"]", 6, "1:4: NUL byte in input");
}

/*
 * Put each kind of byte that stops the string scan at every offset of
 * strings of every length up to 40 bytes, at the start of a document and
 * at its very end, and check the decoded bytes, the rejections, and the
 * column of a character after the string (which counts the source's
 * characters).
 */
static void
test_string_blocks(void **state)
{
	static const struct {
		const char *src, *dec;	/* dec NULL: rejected */
		unsigned cols;		/* characters in src */
	} kinds[] = {
		{ "\\n", "\n", 2 },
		{ "\\u00e9", "\xc3\xa9", 6 },
		{ "\\ud83d\\ude80", "\xf0\x9f\x9a\x80", 12 },
		{ "\\\"", "\"", 2 },
		{ "\xc3\xa9", "\xc3\xa9", 1 },
		{ "\xe2\x82\xac", "\xe2\x82\xac", 1 },
		{ "\x7f", "\x7f", 1 },
		{ "\xff", NULL, 0 },
		{ "\x01", NULL, 0 },
		{ "\xc0\xaf", NULL, 0 },
	};
	char src[128], dec[128], doc_text[256];
	size_t len, at, kind, n, dn, sn;
	int tail;

	(void)state;
	for (kind = 0; kind < sizeof(kinds) / sizeof(kinds[0]); kind++)
	for (len = 0; len <= 40; len++)
	for (at = 0; at <= len; at++)
	for (tail = 0; tail < 2; tail++) {
		struct diag_list l = DIAG_LIST_INIT;
		struct json_doc doc;
		const char *got;
		int r;

		/* len plain characters with the kind's bytes at offset at */
		memset(src, 'a', at);
		sn = strlen(kinds[kind].src);
		memcpy(src + at, kinds[kind].src, sn);
		memset(src + at + sn, 'b', len - at);
		src[len + sn] = '\0';
		/* tail: the string ends the document, so its last block
		 * reaches the sentinel; else a syntax error follows it */
		n = (size_t)snprintf(doc_text, sizeof(doc_text),
		    tail ? "\"%s\"" : "[\"%s\" x]", src);
		r = parse(doc_text, n, &doc, &l);
		if (!kinds[kind].dec) {
			assert_int_equal(r, -1);
			assert_int_equal(l.n, 1);
			/* the bad byte's column */
			assert_int_equal(l.items[0].pos.col,
			    (tail ? 2 : 3) + at);
		} else if (tail) {
			assert_int_equal(r, 0);
			dn = strlen(kinds[kind].dec);
			memset(dec, 'a', at);
			memcpy(dec + at, kinds[kind].dec, dn);
			memset(dec + at + dn, 'b', len - at);
			got = json_str(&doc, 0, &n);
			assert_int_equal(n, len + dn);
			assert_memory_equal(got, dec, n);
			assert_int_equal(got[n], '\0');
		} else {
			assert_int_equal(r, -1);
			assert_int_equal(l.n, 1);
			assert_int_equal(l.items[0].pos.col,
			    5 + len + kinds[kind].cols);
		}
		json_doc_release(&doc);
		diag_list_release(&l);
	}
}

/*
 * Strings of random pieces (plain ASCII, UTF-8, every kind of escape) of
 * random lengths, so that runs, escapes and block edges fall everywhere:
 * the decoded bytes, and the column of what follows (the characters of
 * the source, counted while decoding).
 */
static void
test_string_random(void **state)
{
	static const struct {
		const char *src, *dec;
		unsigned cols;
	} piece[] = {
		{ "a", "a", 1 }, { "xyzxyzxyzxyzxyzxyzq", "xyzxyzxyzxyzxyzxyzq", 19 },
		{ "\xc3\xa9", "\xc3\xa9", 1 }, { "\xf0\x9f\x9a\x80", "\xf0\x9f\x9a\x80", 1 },
		{ "\\n", "\n", 2 }, { "\\\"", "\"", 2 }, { "\\/", "/", 2 },
		{ "\\u00e9", "\xc3\xa9", 6 }, { "\\u0000", "\0", 6 },
		{ "\\ud83d\\ude80", "\xf0\x9f\x9a\x80", 12 },
	};
	char src[1024], dec[1024], text[1100];
	size_t sn, dn, n, i, k;
	unsigned cols, seed = 1;
	int round;

	(void)state;
	for (round = 0; round < 3000; round++) {
		struct diag_list l = DIAG_LIST_INIT;
		struct json_doc doc;
		const char *got;

		sn = dn = 0;
		cols = 0;
		k = (seed = seed * 1103515245u + 12345u) >> 16 & 31;
		for (i = 0; i < k; i++) {
			size_t j = ((seed = seed * 1103515245u + 12345u) >> 16) %
			    (sizeof(piece) / sizeof(piece[0]));

			memcpy(src + sn, piece[j].src, strlen(piece[j].src));
			sn += strlen(piece[j].src);
			n = piece[j].dec[0] ? strlen(piece[j].dec) : 1;
			memcpy(dec + dn, piece[j].dec, n);
			dn += n;
			cols += piece[j].cols;
		}
		src[sn] = '\0';
		n = (size_t)snprintf(text, sizeof(text), "[\"%s\", \"%s\" x]",
		    src, src);
		assert_int_equal(parse(text, n, &doc, &l), -1);
		assert_int_equal(l.n, 1);
		/* [" src ", " src " x] */
		assert_int_equal(l.items[0].pos.col, 2 * cols + 9);
		got = json_str(&doc, 2, &n);
		assert_int_equal(n, dn);
		assert_memory_equal(got, dec, dn);
		json_doc_release(&doc);
		diag_list_release(&l);
	}
}

static void
test_scalars_and_roots(void **state)
{
	struct diag_list l = DIAG_LIST_INIT;
	struct json_doc doc;
	size_t n;

	(void)state;
	/* a bare root primitive at the end of input, jsmn's PART quirk */
	accept("1", -1);
	accept("-0", -1);
	accept("true", -1);
	accept("null", -1);
	accept(" \"x\" ", -1);
	accept("[]", -1);
	accept("{}", -1);
	accept(" \t\r\n[ ]\r\n", -1);
	assert_int_equal(parse("1E400", -1, &doc, &l), 0);
	assert_int_equal(json_type(&doc, 0), JSON_NUMBER);
	assert_memory_equal(json_num(&doc, 0, &n), "1E400", 5);
	assert_int_equal(n, 5);
	json_doc_release(&doc);
	assert_int_equal(parse("[-0, 0.5e-7, 123456789012345678901234567890]",
	    -1, &doc, &l), 0);
	assert_memory_equal(json_num(&doc, 1, &n), "-0", 2);
	assert_int_equal(n, 2);
	assert_memory_equal(json_num(&doc, 2, &n), "0.5e-7", 6);
	assert_int_equal(n, 6);
	assert_int_equal(doc.nodes[3].len, 30);
	json_doc_release(&doc);
	assert_int_equal(l.n, 0);
}

static void
test_escapes(void **state)
{
	static const char want[] = "\"\\/\b\f\n\r\tA\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80\xef\xbf\xbf";
	struct diag_list l = DIAG_LIST_INIT;
	struct json_doc doc;
	const char *s;
	size_t n;

	(void)state;
	assert_int_equal(parse("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9"
	    "\\u20AC\\ud83d\\uDE00\\uffff\", \"plain\", \"\\u0000x\"]", -1,
	    &doc, &l), 0);
	s = json_str(&doc, 1, &n);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(s, want, n);
	assert_int_equal(s[n], '\0');
	s = json_str(&doc, 2, &n);
	assert_int_equal(n, 5);
	assert_string_equal(s, "plain");
	s = json_str(&doc, 3, &n);
	assert_int_equal(n, 2);
	assert_memory_equal(s, "\0x", 3);
	json_doc_release(&doc);
	reject("[\"\\a\"]", -1, "1:3: invalid escape sequence '\\a' in string");
	reject("[\"\\u12\"]", -1,
	    "1:3: invalid escape sequence '\\u12' in string");
	reject("[\"\\u12G4\"]", -1,
	    "1:3: invalid escape sequence '\\u12G4' in string");
	reject("[\"\\U0041\"]", -1,
	    "1:3: invalid escape sequence '\\U' in string");
	reject("[\"\\\xc3\xa9\"]", -1,
	    "1:3: invalid escape sequence '\\\xc3\xa9' in string");
	reject("[\"\\\t\"]", -1,
	    "1:4: unescaped control character U+0009 in string");
}

static void
test_surrogates(void **state)
{
	(void)state;
	reject("[\"\\ud800\"]", -1,
	    "1:3: unpaired UTF-16 surrogate '\\ud800' in string");
	reject("[\"\\uDC00\"]", -1,
	    "1:3: unpaired UTF-16 surrogate '\\uDC00' in string");
	reject("[\"ab\\ud800\\u0041\"]", -1,
	    "1:5: unpaired UTF-16 surrogate '\\ud800' in string");
	reject("[\"\\udc00\\ud800\"]", -1,
	    "1:3: unpaired UTF-16 surrogate '\\udc00' in string");
	reject("[\"\\ud800\\ud800\"]", -1,
	    "1:3: unpaired UTF-16 surrogate '\\ud800' in string");
	reject("[\"\\ud800\\n\"]", -1,
	    "1:3: unpaired UTF-16 surrogate '\\ud800' in string");
	reject("[\"\\ud800", -1,
	    "1:3: unpaired UTF-16 surrogate '\\ud800' in string");
	accept("[\"\\udbff\\udfff\"]", -1);
}

static void
test_utf8(void **state)
{
	(void)state;
	/* overlong forms, surrogates, beyond U+10FFFF, stray bytes */
	reject("[\"\xc0\x80\"]", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"\xc1\xbf\"]", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"\xe0\x80\x80\"]", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"\xe0\x9f\xbf\"]", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"\xed\xa0\x80\"]", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"\xed\xbf\xbf\"]", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"\xf0\x80\x80\x80\"]", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"\xf4\x90\x80\x80\"]", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"\xf5\x80\x80\x80\"]", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"\x80\"]", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"ab\xe2\x82\"]", -1, "1:5: invalid UTF-8 byte sequence");
	reject("[\"\xe2\x82", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"\xf0\x9f\x98", -1, "1:3: invalid UTF-8 byte sequence");
	reject("[\"\xfc\x83\xbf\xbf\xbf\xbf\"]", -1,
	    "1:3: invalid UTF-8 byte sequence");
	reject("[\"\xc3\xa9\xff\"]", -1, "1:4: invalid UTF-8 byte sequence");
	/* the edges that are valid */
	accept("[\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
	    "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\x7f\"]", -1);
	/* raw control characters */
	reject("[\"a\tb\"]", -1,
	    "1:4: unescaped control character U+0009 in string");
	reject("[\"a\nb\"]", -1,
	    "1:4: unescaped control character U+000A in string");
	reject("[\"\x1f\"]", -1,
	    "1:3: unescaped control character U+001F in string");
}

static void
test_dupkeys(void **state)
{
	struct diag_list l = DIAG_LIST_INIT;
	struct json_doc doc;
	char *big, *p;
	int i;

	(void)state;
	assert_int_equal(parse("{\"a\":1,\"b\":2,\"a\":3,\n\"a\":4}", -1, &doc,
	    &l), -1);
	assert_int_equal(l.n, 2);
	assert_string_equal(diag_at(&l, 0),
	    "1:14: duplicate object key 'a' (first at 1:2)");
	assert_string_equal(diag_at(&l, 1),
	    "2:1: duplicate object key 'a' (first at 1:2)");
	json_doc_release(&doc);
	diag_list_release(&l);
	/* equal after decoding; nested objects are separate scopes */
	reject("{\"a\":1,\"\\u0061\":2}", -1,
	    "1:8: duplicate object key 'a' (first at 1:2)");
	accept("{\"a\":{\"a\":1},\"b\":{\"a\":2}}", -1);
	reject("{\"\\u0000\":1,\"\\u0000\":2}", -1,
	    "1:13: duplicate object key '\\x00' (first at 1:2)");
	accept("{\"a\":1,\"a\\u0000\":2,\"A\":3}", -1);
	/* a big object goes through the hash table: two duplicates */
	big = malloc(20000 * 16);
	assert_non_null(big);
	p = big;
	*p++ = '{';
	for (i = 0; i < 20000; i++)
		p += sprintf(p, "%s\"k%d\":%d", i ? "," : "", i % 19999 == 0 &&
		    i ? 0 : i, i);
	p += sprintf(p, ",\"k7\":0}");
	assert_int_equal(parse(big, (size_t)(p - big), &doc, &l), -1);
	assert_int_equal(l.n, 2);
	assert_string_equal(diag_at(&l, 0) + strcspn(diag_at(&l, 0), " "),
	    " duplicate object key 'k0' (first at 1:2)");
	assert_string_equal(diag_at(&l, 1) + strcspn(diag_at(&l, 1), " "),
	    " duplicate object key 'k7' (first at 1:51)");
	json_doc_release(&doc);
	diag_list_release(&l);
	free(big);
}

static char *
nested(int depth, size_t *n)
{
	char *s = malloc(2 * (size_t)depth + 1);
	int i;

	assert_non_null(s);
	for (i = 0; i < depth; i++) {
		s[i] = '[';
		s[2 * depth - 1 - i] = ']';
	}
	*n = 2 * (size_t)depth;
	return s;
}

static void
test_depth(void **state)
{
	char *s;
	size_t n;

	(void)state;
	s = nested(JSON_MAX_DEPTH, &n);
	accept(s, n);
	free(s);
	s = nested(JSON_MAX_DEPTH + 1, &n);
	reject(s, n, "1:1001: nesting deeper than 1000 levels");
	free(s);
	/* deep enough to crash anything recursive, both closed and not */
	s = nested(100000, &n);
	reject(s, n, "1:1001: nesting deeper than 1000 levels");
	reject(s, n / 2, "1:1001: nesting deeper than 1000 levels");
	memset(s, '{', n / 2);
	reject(s, 1, "1:1: unclosed object: expected '}' before the end of input");
	reject(s, 2, "1:2: expected a string key or '}', found '{'");
	free(s);
}

static void
test_positions(void **state)
{
	struct diag_list l = DIAG_LIST_INIT;
	struct json_doc doc;
	struct srcpos p;
	const char *in =
	    "{\r\n"
	    "  \"\xc3\xa9t\xc3\xa9\": [\"\xe2\x82\xac\", 1],\r\n"
	    "\t\"b\\n\\u00e9\": \"x\", \"c\": true\n"
	    "}";

	(void)state;
	assert_int_equal(parse(in, -1, &doc, &l), 0);
	assert_int_equal(doc.n, 9);
	/* 0 { 1 "été" 2 [ 3 "€" 4 1 5 "b\né" 6 "x" 7 "c" 8 true */
	p = json_pos(&doc, 0);
	assert_string_equal(p.file, "t.json");
	assert_int_equal(p.line, 1);
	assert_int_equal(p.col, 1);
	p = json_pos(&doc, 1);
	assert_int_equal(p.line, 2);
	assert_int_equal(p.col, 3);
	p = json_pos(&doc, 2);
	assert_int_equal(p.col, 10);
	p = json_pos(&doc, 4);
	assert_int_equal(p.col, 16);
	/* after a string whose escapes were decoded in place */
	p = json_pos(&doc, 6);
	assert_int_equal(p.line, 3);
	assert_int_equal(p.col, 15);
	p = json_pos(&doc, 8);
	assert_int_equal(p.line, 3);
	assert_int_equal(p.col, 25);
	/* out of order: back on the same line, then across lines */
	p = json_pos(&doc, 5);
	assert_int_equal(p.line, 3);
	assert_int_equal(p.col, 2);
	p = json_pos(&doc, 3);
	assert_int_equal(p.line, 2);
	assert_int_equal(p.col, 11);
	p = json_pos(&doc, 8);
	assert_int_equal(p.line, 3);
	assert_int_equal(p.col, 25);
	/* the end, and an offset inside the decoded string */
	p = json_pos_at(&doc, doc.size);
	assert_int_equal(p.line, 4);
	assert_int_equal(p.col, 2);
	p = json_pos_at(&doc, doc.nodes[5].off + 3);
	assert_int_equal(p.line, 3);
	assert_int_equal(p.col, 2);
	json_doc_release(&doc);
	/* an error after an escaped string on the same line */
	reject("[\"\\u00e9\\n\", \"\xc3\xa9\", x]", -1,
	    "1:19: invalid literal 'x'");
	reject("[\"\\u00e9\", \"\\ud800\"]", -1,
	    "1:13: unpaired UTF-16 surrogate '\\ud800' in string");
	assert_int_equal(l.n, 0);
}

/* The line:column of byte off of src, counted the slow way. */
static void
naive_pos(const char *src, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (src[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)src[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

/*
 * Arrays of strings with escapes (some decoding to a newline), raw UTF-8
 * and numbers over several lines; every node's position, asked for in a
 * random order, must be its byte's line and character column.
 */
static void
test_positions_random(void **state)
{
	static const char *const parts[] = {
		"\"a\\nb\"", "\"\\n\\n\"", "\"\\u00e9\\t\"", "\"\xc3\xa9\"",
		"\"\\ud83d\\ude00x\"", "\"plain\"", "12", "-0.5", "\"\\\"\\/\"",
	};
	static const char *const seps[] = { ", ", ",\n", ",\n  ", ",\r\n\t" };
	char src[4096];
	uint32_t order[512];
	unsigned seed = 12345, round, line, col;
	size_t len, i, n;

	(void)state;
	for (round = 0; round < 300; round++) {
		struct diag_list l = DIAG_LIST_INIT;
		struct json_doc doc;

		len = 0;
		src[len++] = '[';
		n = 1 + (seed = seed * 1103515245 + 12345) % 40;
		for (i = 0; i < n; i++) {
			const char *p = parts[(seed = seed * 1103515245 + 12345)
			    / 7 % (sizeof(parts) / sizeof(parts[0]))];

			if (i) {
				const char *q = seps[(seed = seed * 1103515245 +
				    12345) / 7 % 4];

				memcpy(src + len, q, strlen(q));
				len += strlen(q);
			}
			memcpy(src + len, p, strlen(p));
			len += strlen(p);
		}
		src[len++] = ']';
		assert_int_equal(parse(src, len, &doc, &l), 0);
		for (i = 0; i < doc.n; i++)
			order[i] = (uint32_t)i;
		for (i = doc.n; i > 1; i--) {
			size_t j = (seed = seed * 1103515245 + 12345) / 7 % i;
			uint32_t t = order[i - 1];

			order[i - 1] = order[j];
			order[j] = t;
		}
		for (i = 0; i < doc.n; i++) {
			struct srcpos p = json_pos(&doc, order[i]);

			naive_pos(src, doc.nodes[order[i]].off, &line, &col);
			assert_int_equal(p.line, line);
			assert_int_equal(p.col, col);
		}
		json_doc_release(&doc);
	}
}

static void
test_tree(void **state)
{
	struct diag_list l = DIAG_LIST_INIT;
	struct json_doc doc;
	uint32_t k, e, v;
	size_t n;
	int i;

	(void)state;
	assert_int_equal(parse("{\"a\": [1, [2, 3], {}], \"b\": {\"c\": null},"
	    " \"d\": []}", -1, &doc, &l), 0);
	assert_int_equal(doc.n, 14);
	assert_int_equal(json_type(&doc, 0), JSON_OBJECT);
	assert_int_equal(json_count(&doc, 0), 3);
	assert_int_equal(doc.nodes[0].next, 14);
	assert_int_equal(json_skip(&doc, 0), 14);
	/* members */
	k = json_first(&doc, 0);
	assert_int_equal(k, 1);
	assert_string_equal(json_str(&doc, k, NULL), "a");
	k = json_next_member(&doc, 0, k);
	assert_string_equal(json_str(&doc, k, NULL), "b");
	k = json_next_member(&doc, 0, k);
	assert_string_equal(json_str(&doc, k, &n), "d");
	assert_int_equal(n, 1);
	assert_int_equal(json_next_member(&doc, 0, k), 0);
	/* elements of "a" */
	v = json_get(&doc, 0, "a");
	assert_int_equal(v, 2);
	assert_int_equal(json_count(&doc, v), 3);
	/* a scalar's subtree is itself */
	assert_int_equal(json_skip(&doc, v + 1), v + 2);
	i = 0;
	for (e = json_first(&doc, v); e; e = json_next_elem(&doc, v, e))
		i++;
	assert_int_equal(i, 3);
	e = json_next_elem(&doc, v, json_first(&doc, v));
	assert_int_equal(json_type(&doc, e), JSON_ARRAY);
	assert_int_equal(doc.nodes[e].next, 7);
	v = json_get(&doc, 0, "b");
	assert_int_equal(json_type(&doc, json_get(&doc, v, "c")), JSON_NULL);
	assert_int_equal(json_get(&doc, 0, "zz"), 0);
	assert_int_equal(json_get(&doc, 0, ""), 0);
	v = json_get(&doc, 0, "d");
	assert_int_equal(json_first(&doc, v), 0);
	assert_int_equal(json_count(&doc, v), 0);
	assert_int_equal(json_get(&doc, 2, "a"), 0);
	assert_string_equal(json_type_name(JSON_OBJECT), "an object");
	assert_string_equal(json_type_name(JSON_TRUE), "a boolean");
	assert_string_equal(json_type_name(JSON_NULL), "null");
	json_doc_release(&doc);
	/* nodes are 8 bytes: the type is the source's first byte */
	assert_int_equal(sizeof(struct json_node), 8);
}

static void
test_int(void **state)
{
	struct diag_list l = DIAG_LIST_INIT;
	struct json_doc doc;
	long long v = 7;

	(void)state;
	assert_int_equal(parse("[42, -1, 1.0, 1e2, 9223372036854775807,"
	    " -9223372036854775808, 9223372036854775808,"
	    " -9223372036854775809, -0, \"5\", 100000000000000000000]", -1,
	    &doc, &l), 0);
	assert_int_equal(json_int(&doc, 1, 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(json_int(&doc, 1, 0, 41, &v), -1);
	assert_int_equal(json_int(&doc, 1, 43, 100, &v), -1);
	assert_int_equal(json_int(&doc, 2, 0, 100, &v), -1);
	assert_int_equal(json_int(&doc, 2, -1, 100, &v), 0);
	assert_int_equal(v, -1);
	assert_int_equal(json_int(&doc, 3, 0, 100, &v), -1);
	assert_int_equal(json_int(&doc, 4, 0, 1000, &v), -1);
	assert_int_equal(json_int(&doc, 5, 0, LLONG_MAX, &v), 0);
	assert_true(v == LLONG_MAX);
	assert_int_equal(json_int(&doc, 6, LLONG_MIN, 0, &v), 0);
	assert_true(v == LLONG_MIN);
	assert_int_equal(json_int(&doc, 6, LLONG_MIN + 1, 0, &v), -1);
	assert_int_equal(json_int(&doc, 7, LLONG_MIN, LLONG_MAX, &v), -1);
	assert_int_equal(json_int(&doc, 8, LLONG_MIN, LLONG_MAX, &v), -1);
	assert_int_equal(json_int(&doc, 9, 0, 0, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(json_int(&doc, 10, LLONG_MIN, LLONG_MAX, &v), -1);
	assert_int_equal(json_int(&doc, 11, LLONG_MIN, LLONG_MAX, &v), -1);
	json_doc_release(&doc);
}

static void
test_read_fd(void **state)
{
	char path[] = "/tmp/hm-json-XXXXXX";
	struct diag_list l = DIAG_LIST_INIT;
	struct json_doc doc;
	char *text, *big;
	size_t n, i;
	int fd, p[2];

	(void)state;
	/* a regular file bigger than the first guess */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	n = 300001;
	big = malloc(n);
	assert_non_null(big);
	big[0] = '[';
	for (i = 1; i < n - 1; i += 2) {
		big[i] = '0';
		big[i + 1] = ',';
	}
	big[n - 1] = ']';
	assert_int_equal(write(fd, big, n), (ssize_t)n);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(json_read_fd(fd, &text, &n), 0);
	assert_int_equal(n, 300001);
	assert_memory_equal(text, big, n);
	assert_int_equal(json_parse(&doc, "big", text, n, &l), 0);
	assert_int_equal(json_count(&doc, 0), 150000);
	json_doc_release(&doc);
	close(fd);
	free(big);
	/* a pipe */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "{\"x\": 1}\n", 9), 9);
	close(p[1]);
	assert_int_equal(json_read_fd(p[0], &text, &n), 0);
	close(p[0]);
	assert_int_equal(n, 9);
	assert_int_equal(json_parse(&doc, "-", text, n, &l), 0);
	json_doc_release(&doc);
	/* a bad descriptor */
	assert_int_equal(json_read_fd(-1, &text, &n), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(l.n, 0);
}

/* The large document of test_large; object dup (if >= 0) repeats a key. */
static size_t
large_doc(char *s, int dup, int *count, size_t *dup_off)
{
	char *p = s;
	size_t i;
	int c;

	p += sprintf(p, "[");
	for (c = 0; (size_t)(p - s) < (4u << 20); c++) {
		p += sprintf(p, "%s{", c ? ",\n" : "");
		if (c == dup)
			p += sprintf(p, "\"n\":0,");
		p += sprintf(p, "\"k%d\":\"a\\u00e9\\n\\\"%d\",", c, c);
		if (c == dup)
			*dup_off = (size_t)(p - s);
		p += sprintf(p, "\"n\":[0,1]}");
	}
	/* single digits: more nodes than the length suggests */
	for (i = 0; i < 300000; i++)
		p += sprintf(p, ",%d", (int)(i % 10));
	p += sprintf(p, "]");
	*count = c;
	return (size_t)(p - s);
}

/*
 * A large document: every escaped string decoded, positions and
 * duplicate keys right, and errors found anywhere in it.
 */
static void
test_large(void **state)
{
	struct diag_list l = DIAG_LIST_INIT;
	struct json_doc doc;
	char *s = malloc(6u << 20), want[80];
	size_t len, i, off = 0, vn, line0;
	int count;
	uint32_t e, k;

	(void)state;
	assert_non_null(s);
	len = large_doc(s, -1, &count, &off);
	assert_int_equal(parse(s, len, &doc, &l), 0);
	assert_int_equal(l.n, 0);
	assert_int_equal(json_count(&doc, 0), (uint32_t)count + 300000);
	for (i = 0, e = json_first(&doc, 0); i < (size_t)count;
	    i++, e = json_next_elem(&doc, 0, e)) {
		k = json_first(&doc, e);
		snprintf(want, sizeof(want), "k%zu", i);
		assert_string_equal(json_str(&doc, k, &vn), want);
		snprintf(want, sizeof(want), "a\xc3\xa9\n\"%zu", i);
		assert_string_equal(json_str(&doc, k + 1, &vn), want);
		assert_int_equal(vn, strlen(want));
		assert_int_equal(json_pos(&doc, k + 2).line, i + 1);
	}
	json_doc_release(&doc);
	/* a duplicate key near the end: both places */
	len = large_doc(s, count - 3, &count, &off);
	for (line0 = off; s[line0 - 1] != '\n'; line0--)
		;
	assert_int_equal(parse(s, len, &doc, &l), -1);
	assert_int_equal(l.n, 1);
	snprintf(want, sizeof(want), "%d:%zu: duplicate object key 'n' "
	    "(first at %d:2)", count - 2, off - line0 + 1, count - 2);
	assert_string_equal(diag_at(&l, 0), want);
	json_doc_release(&doc);
	diag_list_release(&l);
	/* a syntax error at the end */
	len = large_doc(s, -1, &count, &off);
	s[len - 1] = ',';
	assert_int_equal(parse(s, len, &doc, &l), -1);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.items[0].msg,
	    "unexpected end of input: expected a value");
	json_doc_release(&doc);
	diag_list_release(&l);
	/* ... and at the start */
	s[len - 1] = ']';
	s[1] = ']';
	assert_int_equal(parse(s, len, &doc, &l), -1);
	assert_int_equal(l.n, 1);
	assert_string_equal(diag_at(&l, 0), "1:3: expected the end of input "
	    "after the JSON value, found a string");
	json_doc_release(&doc);
	diag_list_release(&l);
	free(s);
}

/*
 * The driver for tests/t-json-suite.sh: --parse FILE... prints "accept
 * NAME" or "reject NAME" per file; --errors FILE prints each diagnostic
 * as "LINE:COL: LEVEL: MESSAGE". The exit status is 0 unless a file
 * cannot be read (2).
 */
static int
drive(int argc, char **argv)
{
	int errors = strcmp(argv[1], "--errors") == 0, i, fd, r;
	struct json_doc doc;
	size_t n, k;
	char *text;

	for (i = 2; i < argc; i++) {
		struct diag_list l = DIAG_LIST_INIT;

		if ((fd = open(argv[i], O_RDONLY)) < 0 ||
		    json_read_fd(fd, &text, &n) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		close(fd);
		r = json_parse(&doc, argv[i], text, n, &l);
		if (!errors)
			printf("%s %s\n", r == 0 ? "accept" : "reject",
			    argv[i]);
		for (k = 0; errors && k < l.n; k++)
			printf("%u:%u: %s: %s\n", l.items[k].pos.line,
			    l.items[k].pos.col, diag_level_name(
			    diag_level(l.items[k].code)), l.items[k].msg);
		json_doc_release(&doc);
		diag_list_release(&l);
	}
	return fflush(stdout) == 0 ? 0 : 2;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsmn_false_accepts),
		cmocka_unit_test(test_structure_errors),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_scalars_and_roots),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_string_blocks),
		cmocka_unit_test(test_string_random),
		cmocka_unit_test(test_surrogates),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_dupkeys),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_positions_random),
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_read_fd),
		cmocka_unit_test(test_large),
	};

	if (argc > 1 && (!strcmp(argv[1], "--parse") ||
	    !strcmp(argv[1], "--errors")))
		return drive(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
