/* hm: unit tests for the diagnostics list: moving one list into another. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "diag.h"

static const struct srcpos at = { "f.yml", 3, 4 };

/* Items, counts and what was dropped all move; the source is empty. */
static void
test_move(void **state)
{
	struct diag_list dst = DIAG_LIST_INIT, src = DIAG_LIST_INIT;

	(void)state;
	diag_report(&dst, E_BAKE_MATRIX_VAR, at, "${{ a }}");
	diag_report(&src, E_BAKE_MATRIX_VAR, at, "${{ b }}");
	diag_report(&src, W_IR_WAIT_LEADING, at);
	diag_list_move(&dst, &src);
	assert_int_equal(dst.n, 3);
	assert_int_equal(dst.errors, 2);
	assert_int_equal(dst.warnings, 1);
	assert_int_equal(dst.dropped, 0);
	assert_string_equal(dst.items[1].msg,
	    "unknown matrix variable '${{ b }}'");
	assert_int_equal(dst.items[1].pos.line, 3);
	assert_int_equal(src.n, 0);
	assert_int_equal(src.errors, 0);
	assert_null(src.items);
	diag_list_release(&src);
	diag_list_release(&dst);
}

/* The destination's limit holds: what it cannot take is dropped. */
static void
test_move_limit(void **state)
{
	struct diag_list dst = DIAG_LIST_INIT, src = DIAG_LIST_INIT;
	int i;

	(void)state;
	dst.limit = 2;
	src.limit = 3;
	for (i = 0; i < 5; i++)
		diag_report(&src, E_BAKE_MATRIX_VAR, at, "x");
	assert_int_equal(src.n, 3);
	assert_int_equal(src.dropped, 2);
	diag_report(&dst, E_BAKE_MATRIX_VAR, at, "y");
	diag_list_move(&dst, &src);
	assert_int_equal(dst.n, 2);
	assert_int_equal(dst.errors, 6);
	assert_int_equal(dst.dropped, 4);
	diag_list_release(&dst);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_move),
		cmocka_unit_test(test_move_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
