/* hm: unit tests for the escaping of document text printed on a terminal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "esc.h"

static void
expect(const char *s, size_t len, const char *want)
{
	char *d = malloc(esc_len(s, len) + 1);

	assert_non_null(d);
	assert_int_equal(esc_len(s, len), strlen(want));
	assert_string_equal(esc_write(d, s, len), want);
	assert_int_equal(esc_needed(s, len), strcmp(s, want) != 0 ||
	    strlen(s) != len);
	free(d);
}

static void
test_plain(void **state)
{
	(void)state;
	expect("build", 5, "build");
	expect("C:\\x1b", 6, "C:\\x1b");	/* backslashes stay */
	expect("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", 14,
	    "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80");
	expect("\xc2\xa0", 2, "\xc2\xa0");	/* NBSP is printable */
}

/* a label that sets the title, clears the screen and forges a line */
static void
test_controls(void **state)
{
	(void)state;
	expect("\x1b]0;pwned\x07", 10, "\\x1b]0;pwned\\x07");
	expect("\x1b[2J\rok passed\n", 15, "\\x1b[2J\\rok passed\\n");
	expect("a\tb", 3, "a\\tb");
	expect("cmd\0", 4, "cmd\\x00");
	expect("\x7f", 1, "\\x7f");
	expect("\xc2\x9b" "31m", 5, "\\u009b31m");	/* C1 CSI */
	expect("\xc2\x85", 2, "\\u0085");
}

static void
test_invalid_utf8(void **state)
{
	(void)state;
	expect("\xe9t\xe9", 3, "\\xe9t\\xe9");		/* Latin-1 */
	expect("\xc0\xaf", 2, "\\xc0\\xaf");		/* overlong */
	expect("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");	/* surrogate */
	expect("\xe2\x9c", 2, "\\xe2\\x9c");		/* cut */
	expect("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80");
}

static void
test_utf8_valid(void **state)
{
	(void)state;
	assert_int_equal(esc_utf8_valid("caf\xc3\xa9", 5), 5);
	assert_int_equal(esc_utf8_valid("caf\xe9", 4), 3);
	assert_int_equal(esc_utf8_valid("a\xe2\x82", 3), 1);
	assert_int_equal(esc_utf8_valid("\xed\xa0\x80", 3), 0);
	assert_int_equal(esc_utf8_valid("", 0), 0);
}

static void
test_utf8_seq(void **state)
{
	(void)state;
	assert_int_equal(esc_utf8_seq("a", 1), 1);
	assert_int_equal(esc_utf8_seq("\xc3\xa9", 2), 2);
	assert_int_equal(esc_utf8_seq("\xe2\x80\xa6x", 4), 3);
	assert_int_equal(esc_utf8_seq("\xf0\x9f\x98\x80", 4), 4);
	assert_int_equal(esc_utf8_seq("\xe2\x80\xa6", 2), 0);	/* cut */
	assert_int_equal(esc_utf8_seq("\xc0\xaf", 2), 0);	/* overlong */
	assert_int_equal(esc_utf8_seq("\xe0\x80\xaf", 3), 0);
	assert_int_equal(esc_utf8_seq("\xed\xa0\x80", 3), 0);	/* surrogate */
	assert_int_equal(esc_utf8_seq("\xf4\x90\x80\x80", 4), 0);
	assert_int_equal(esc_utf8_seq("\x80", 1), 0);
	assert_int_equal(esc_utf8_seq("\xe9t", 2), 0);		/* Latin-1 */
	assert_int_equal(esc_utf8_seq("", 0), 0);
}

static void
test_arena_and_buf(void **state)
{
	struct arena *a = arena_new();
	const char *plain = "deploy", *s;
	char buf[16];

	(void)state;
	assert_non_null(a);
	assert_ptr_equal(esc_arena(a, plain, 6), plain);
	/* a prefix of a longer string is copied, to end where it should */
	s = esc_arena(a, plain, 3);
	assert_string_equal(s, "dep");
	assert_string_equal(esc_arena(a, "x\0y", 3), "x\\x00y");
	assert_string_equal(esc_buf(buf, sizeof(buf), "short", 5), "short");
	assert_string_equal(esc_buf(buf, sizeof(buf),
	    "\x1b\x1b\x1b\x1b\x1b", 5), "\\x1b\\x1b\\x1b...");
	assert_string_equal(esc_buf(buf, sizeof(buf), "abcdefghijklmnopq",
	    17), "abcdefghijkl...");
	arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_seq),
		cmocka_unit_test(test_arena_and_buf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
