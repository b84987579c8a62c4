/* hm: unit tests for the JSON writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "json.h"
#include "jsonw.h"

/* Finish a memory writer and compare its text with want. */
static void
expect_text(struct jsonw *w, const char *want)
{
	char *out;
	size_t len;

	assert_int_equal(jsonw_finish(w, &out, &len), 0);
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(len, strlen(want));
	free(out);
}

/* {"a": 1, "b": [1, 2], "c": {}, "d": [], "e": [{}]} */
static void
sample(struct jsonw *w)
{
	jsonw_obj_begin(w);
	jsonw_key(w, "a");
	jsonw_int(w, 1);
	jsonw_key(w, "b");
	jsonw_arr_begin(w);
	jsonw_int(w, 1);
	jsonw_num(w, "2", 1);
	jsonw_arr_end(w);
	jsonw_key(w, "c");
	jsonw_obj_begin(w);
	jsonw_obj_end(w);
	jsonw_key(w, "d");
	jsonw_arr_begin(w);
	jsonw_arr_end(w);
	jsonw_key(w, "e");
	jsonw_arr_begin(w);
	jsonw_obj_begin(w);
	jsonw_obj_end(w);
	jsonw_null(w);
	jsonw_bool(w, 1);
	jsonw_bool(w, 0);
	jsonw_arr_end(w);
	jsonw_obj_end(w);
	jsonw_newline(w);
}

static void
test_pretty(void **state)
{
	struct jsonw w;

	(void)state;
	jsonw_init(&w, -1, 2);
	sample(&w);
	expect_text(&w,
	    "{\n"
	    "  \"a\": 1,\n"
	    "  \"b\": [\n"
	    "    1,\n"
	    "    2\n"
	    "  ],\n"
	    "  \"c\": {},\n"
	    "  \"d\": [],\n"
	    "  \"e\": [\n"
	    "    {},\n"
	    "    null,\n"
	    "    true,\n"
	    "    false\n"
	    "  ]\n"
	    "}\n");
}

static void
test_compact(void **state)
{
	struct jsonw w;

	(void)state;
	jsonw_init(&w, -1, 0);
	sample(&w);
	expect_text(&w, "{\"a\":1,\"b\":[1,2],\"c\":{},\"d\":[],"
	    "\"e\":[{},null,true,false]}\n");
	/* top-level scalars, one per line */
	jsonw_init(&w, -1, 2);
	jsonw_str(&w, "x");
	jsonw_newline(&w);
	jsonw_int(&w, LLONG_MIN);
	jsonw_newline(&w);
	jsonw_num(&w, "1E400", 5);
	jsonw_newline(&w);
	expect_text(&w, "\"x\"\n-9223372036854775808\n1E400\n");
	/* nothing written: an empty text, not NULL */
	jsonw_init(&w, -1, 0);
	expect_text(&w, "");
}

static void
test_escape(void **state)
{
	static const char *const ctl[32] = {
		"\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004",
		"\\u0005", "\\u0006", "\\u0007", "\\b", "\\t", "\\n",
		"\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010",
		"\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015",
		"\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a",
		"\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
	};
	struct jsonw w;
	char in[2], want[16];
	int c;

	(void)state;
	for (c = 0; c < 32; c++) {
		in[0] = (char)c;
		in[1] = 'z';
		jsonw_init(&w, -1, 0);
		jsonw_strn(&w, in, 2);
		snprintf(want, sizeof(want), "\"%sz\"", ctl[c]);
		expect_text(&w, want);
	}
	jsonw_init(&w, -1, 0);
	jsonw_arr_begin(&w);
	jsonw_str(&w, "q\"b\\s/ \x7f \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* bytes are copied as they are, even invalid UTF-8 */
	jsonw_strn(&w, "\xff", 1);
	jsonw_arr_end(&w);
	expect_text(&w, "[\"q\\\"b\\\\s/ \x7f \xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80\",\"\xff\"]");
	/* keys are escaped the same way */
	jsonw_init(&w, -1, 2);
	jsonw_obj_begin(&w);
	jsonw_key(&w, "a\nb");
	jsonw_str(&w, "");
	jsonw_obj_end(&w);
	expect_text(&w, "{\n  \"a\\nb\": \"\"\n}");
}

/* The escaped form of s[0..n), one byte at a time: the reference. */
static size_t
escape_ref(const unsigned char *s, size_t n, char *out)
{
	size_t i, o = 0;

	out[o++] = '"';
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			o += (size_t)sprintf(out + o, "\\%c", s[i]);
		else if (s[i] == '\n')
			o += (size_t)sprintf(out + o, "\\n");
		else if (s[i] == '\t')
			o += (size_t)sprintf(out + o, "\\t");
		else if (s[i] < 0x20 && s[i] != '\b' && s[i] != '\f' &&
		    s[i] != '\r')
			o += (size_t)sprintf(out + o, "\\u%04x", s[i]);
		else if (s[i] < 0x20)
			o += (size_t)sprintf(out + o, "\\%c",
			    s[i] == '\b' ? 'b' : s[i] == '\f' ? 'f' : 'r');
		else
			out[o++] = (char)s[i];
	}
	out[o++] = '"';
	out[o] = '\0';
	return o;
}

/*
 * Every byte that needs an escape, and bytes that must not get one (DEL,
 * UTF-8), at every offset of strings of every length up to 40 bytes and
 * from 300 to 340, through the
 * short-string path and the long one (over 256 bytes), and at the end of
 * an allocation of exactly the string's size (ASan sees a read past it).
 */
/* a key is written by its length: NUL is a byte of it, not its end */
static void
test_key_with_nul(void **state)
{
	struct jsonw w;

	(void)state;
	jsonw_init(&w, -1, 0);
	jsonw_obj_begin(&w);
	jsonw_keyn(&w, "foo\0bar", 7);
	jsonw_int(&w, 42);
	jsonw_obj_end(&w);
	expect_text(&w, "{\"foo\\u0000bar\":42}");
}

static void
test_escape_blocks(void **state)
{
	static const unsigned char kinds[] = { '"', '\\', '\n', 0x00, 0x01,
	    0x1f, 0x7f, 0xc3, 0xff, ' ' };
	char want[6 * 400 + 8];
	size_t len, at, k, base, n;
	unsigned char *in;
	struct jsonw w;
	char *out;

	(void)state;
	for (base = 0; base <= 300; base += 300)
	for (len = base; len <= base + 40; len++)
	for (at = 0; at < len; at++)
	for (k = 0; k < sizeof(kinds); k++) {
		in = malloc(len);
		assert_non_null(in);
		memset(in, 'x', len);
		in[at] = kinds[k];
		escape_ref(in, len, want);
		jsonw_init(&w, -1, 0);
		jsonw_strn(&w, (const char *)in, len);
		assert_int_equal(jsonw_finish(&w, &out, &n), 0);
		assert_string_equal(out, want);
		free(out);
		free(in);
	}
}

/* Parse what the writer wrote: the same values come back. */
static void
test_round_trip(void **state)
{
	struct diag_list l = DIAG_LIST_INIT;
	struct json_doc doc;
	struct jsonw w;
	char all[256], *out;
	size_t len, n;
	int i;

	(void)state;
	for (i = 0; i < 255; i++)
		all[i] = (char)(i + 1 < 0x80 ? i + 1 : 'x');
	all[255] = '\0';
	jsonw_init(&w, -1, 0);
	jsonw_arr_begin(&w);
	jsonw_strn(&w, all, 255);
	jsonw_strn(&w, "\0a", 2);
	jsonw_arr_end(&w);
	assert_int_equal(jsonw_finish(&w, &out, &len), 0);
	/* json_parse wants 2 spare bytes */
	out = realloc(out, len + 2);
	assert_non_null(out);
	assert_int_equal(json_parse(&doc, "rt", out, len, &l), 0);
	assert_memory_equal(json_str(&doc, 1, &n), all, 255);
	assert_int_equal(n, 255);
	assert_memory_equal(json_str(&doc, 2, &n), "\0a", 2);
	assert_int_equal(n, 2);
	json_doc_release(&doc);
	assert_int_equal(l.n, 0);
}

static void
test_fd_large(void **state)
{
	char path[] = "/tmp/hm-jsonw-XXXXXX";
	struct jsonw w;
	char *big, *back;
	size_t n = 300000, i;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	big = malloc(n);
	back = malloc(n + 64);
	assert_non_null(big);
	assert_non_null(back);
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	jsonw_init(&w, fd, 2);
	jsonw_arr_begin(&w);
	for (i = 0; i < 3000; i++)
		jsonw_int(&w, (long long)i);
	jsonw_strn(&w, big, n);
	jsonw_arr_end(&w);
	jsonw_newline(&w);
	assert_int_equal(jsonw_finish(&w, NULL, NULL), 0);
	/* the tail of the file is the long string, the bracket, newline */
	assert_int_equal(lseek(fd, -(off_t)(n + 5), SEEK_END) > 0, 1);
	assert_int_equal(read(fd, back, n + 5), (ssize_t)(n + 5));
	assert_int_equal(back[0], '"');
	assert_memory_equal(back + 1, big, n);
	assert_memory_equal(back + n + 1, "\"\n]\n", 4);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(read(fd, back, 12), 12);
	assert_memory_equal(back, "[\n  0,\n  1,\n", 12);
	close(fd);
	free(big);
	free(back);
}

static void
test_dev_full(void **state)
{
	struct jsonw w;
	int fd, i;

	(void)state;
	fd = open("/dev/full", O_WRONLY);
	assert_true(fd >= 0);
	jsonw_init(&w, fd, 0);
	jsonw_arr_begin(&w);
	for (i = 0; i < 100000; i++)	/* more than the buffer */
		jsonw_str(&w, "0123456789");
	jsonw_arr_end(&w);
	errno = 0;
	assert_int_equal(jsonw_finish(&w, NULL, NULL), -1);
	assert_int_equal(errno, ENOSPC);
	/* a small document fails at the final flush */
	jsonw_init(&w, fd, 0);
	jsonw_null(&w);
	errno = 0;
	assert_int_equal(jsonw_finish(&w, NULL, NULL), -1);
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

static void
test_epipe(void **state)
{
	struct jsonw w;
	int p[2], i;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	jsonw_init(&w, p[1], 2);
	jsonw_arr_begin(&w);
	for (i = 0; i < 100000; i++)
		jsonw_int(&w, i);
	/* the error sticks: nothing after it is attempted */
	assert_int_equal(w.err, EPIPE);
	jsonw_arr_end(&w);
	errno = 0;
	assert_int_equal(jsonw_finish(&w, NULL, NULL), -1);
	assert_int_equal(errno, EPIPE);
	close(p[1]);
}

static void
test_bad_fd(void **state)
{
	struct jsonw w;

	(void)state;
	jsonw_init(&w, 1000, 0);
	jsonw_str(&w, "x");
	errno = 0;
	assert_int_equal(jsonw_finish(&w, NULL, NULL), -1);
	assert_int_equal(errno, EBADF);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_key_with_nul),
		cmocka_unit_test(test_escape_blocks),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_fd_large),
		cmocka_unit_test(test_dev_full),
		cmocka_unit_test(test_epipe),
		cmocka_unit_test(test_bad_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
