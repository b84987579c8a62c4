/* hm: unit tests for suggest: edit distance and "did you mean" choices. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "suggest.h"

static unsigned
dist(const char *a, const char *b)
{
	return suggest_distance(a, strlen(a), b, strlen(b));
}

/* The closest of a NULL-ended list to word, or NULL. */
static const char *
best(const char *word, const char *const *cands)
{
	struct suggest s;

	suggest_init(&s, word, strlen(word));
	for (; *cands; cands++)
		suggest_consider(&s, *cands, strlen(*cands));
	return suggest_best(&s, NULL);
}

static void
test_distance(void **state)
{
	(void)state;
	assert_int_equal(dist("", ""), 0);
	assert_int_equal(dist("check", "check"), 0);
	assert_int_equal(dist("", "abc"), 3);
	assert_int_equal(dist("abc", ""), 3);
	assert_int_equal(dist("chek", "check"), 1);	/* deletion */
	assert_int_equal(dist("checkk", "check"), 1);	/* insertion */
	assert_int_equal(dist("chack", "check"), 1);	/* substitution */
	assert_int_equal(dist("lable", "label"), 1);	/* transposition */
	assert_int_equal(dist("kitten", "sitting"), 3);
	assert_int_equal(dist("ca", "abc"), 3);	/* OSA, not full Damerau */
}

static void
test_distance_long(void **state)
{
	char a[SUGGEST_MAX_LEN + 2], b[SUGGEST_MAX_LEN + 2];

	(void)state;
	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memset(b, 'a', sizeof(b) - 1);
	b[sizeof(b) - 1] = '\0';
	/* the longest compared: exact */
	assert_int_equal(suggest_distance(a, SUGGEST_MAX_LEN, b,
	    SUGGEST_MAX_LEN - 1), 1);
	/* one longer: never compared */
	assert_int_equal(suggest_distance(a, SUGGEST_MAX_LEN + 1, b,
	    SUGGEST_MAX_LEN), SUGGEST_MAX_LEN + 1);
}

static void
test_best(void **state)
{
	static const char *const opts[] = {
		"check", "dot", "compact", "pipeline", "help", "version", NULL
	};
	static const char *const fields[] = {
		"label", "key", "depends_on", "sh", "env", NULL
	};

	(void)state;
	assert_string_equal(best("chek", opts), "check");
	assert_string_equal(best("compcat", opts), "compact");
	assert_string_equal(best("pipline", opts), "pipeline");
	assert_string_equal(best("verison", opts), "version");
	assert_string_equal(best("lable", fields), "label");
	assert_string_equal(best("depend_on", fields), "depends_on");
	/* nothing close: no suggestion */
	assert_null(best("frobnicate", opts));
	assert_null(best("jobs", opts));
	assert_null(best("xyz", fields));
	/* a single letter is never "close" to another */
	assert_null(best("q", fields));
	/* the word itself is not a suggestion */
	assert_null(best("check", opts));
}

static void
test_first_wins(void **state)
{
	static const char *const cands[] = { "abd", "abe", NULL };

	(void)state;
	assert_string_equal(best("abc", cands), "abd");
}

static void
test_len(void **state)
{
	struct suggest s;
	size_t len = 0;
	const char *b;

	(void)state;
	suggest_init(&s, "pipline", 7);
	/* candidates need not be NUL-terminated where they end */
	suggest_consider(&s, "pipeline=x", 8);
	b = suggest_best(&s, &len);
	assert_non_null(b);
	assert_int_equal(len, 8);
	assert_memory_equal(b, "pipeline", 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_distance_long),
		cmocka_unit_test(test_best),
		cmocka_unit_test(test_first_wins),
		cmocka_unit_test(test_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
