/* hm: unit tests for the masking of secret values in a stream. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "mask.h"

struct sink {
	char buf[8192];
	size_t n;
};

static void
collect(void *ctx, const char *p, size_t n)
{
	struct sink *k = ctx;

	assert_true(k->n + n < sizeof(k->buf));
	memcpy(k->buf + k->n, p, n);
	k->n += n;
	k->buf[k->n] = '\0';
}

/* in, written in pieces cut at cuts[0..ncuts), must come out as want */
static void
expect_stream(const struct mask *m, const char *in, const size_t *cuts,
    size_t ncuts, const char *want)
{
	struct mask_stream s = MASK_STREAM_INIT;
	struct sink k = { "", 0 };
	size_t i, at = 0, len = strlen(in);

	for (i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;

		assert_int_equal(mask_write(m, &s, in + at, end - at, collect,
		    &k), 0);
		at = end;
	}
	mask_flush(m, &s, collect, &k);
	assert_string_equal(k.buf, want);
}

static void
expect_masked(const struct mask *m, const char *in, const char *want)
{
	size_t n;
	char *out = mask_string(m, in, strlen(in), &n);

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	free(out);
	expect_stream(m, in, NULL, 0, want);
}

static void
test_basic(void **state)
{
	const char *v[] = { "s3cr3t-token", "abc", "" };
	struct mask *m = mask_new(v, 3);

	(void)state;
	assert_non_null(m);
	assert_true(mask_active(m));
	expect_masked(m, "token=s3cr3t-token!", "token=***!");
	expect_masked(m, "s3cr3t-tokens3cr3t-token", "******");
	expect_masked(m, "abc is too short to mask", "abc is too short to mask");
	expect_masked(m, "s3cr3t-toke", "s3cr3t-toke");	/* a prefix */
	expect_masked(m, "", "");
	mask_free(m);
	/* nothing to mask: bytes pass through */
	m = mask_new(v + 1, 2);
	assert_false(mask_active(m));
	expect_masked(m, "abc", "abc");
	mask_free(m);
}

/* a secret split across two writes, at every point */
static void
test_split_writes(void **state)
{
	const char *v[] = { "hunter2-hunter2" };
	struct mask *m = mask_new(v, 1);
	const char *in = "login: hunter2-hunter2\nok hunter2-hunter\n";
	const char *want = "login: ***\nok hunter2-hunter\n";
	size_t cut, cuts[2];

	(void)state;
	for (cut = 0; cut <= strlen(in); cut++)
		expect_stream(m, in, &cut, 1, want);
	/* three pieces: the secret cut twice */
	for (cuts[0] = 7; cuts[0] < 22; cuts[0]++)
		for (cuts[1] = cuts[0]; cuts[1] < 23; cuts[1]++)
			expect_stream(m, in, cuts, 2, want);
	mask_free(m);
}

/* one byte at a time, several secrets, overlaps, the longest wins */
static void
test_bytewise_and_overlaps(void **state)
{
	const char *v[] = { "abcdefgh", "defghijk", "passwd12", "passwd1234" };
	struct mask *m = mask_new(v, 4);
	const char *in = "x abcdefghijk passwd1234 passwd12x passwd123";
	const char *want = "x ***ijk *** ***x ***3";
	size_t cuts[64], i;

	(void)state;
	expect_masked(m, in, want);
	for (i = 0; i + 1 < strlen(in); i++)
		cuts[i] = i + 1;
	expect_stream(m, in, cuts, strlen(in) - 1, want);
	mask_free(m);
}

/*
 * A multi-line secret (a key file): masked whole, and line by line when a
 * tool prints its lines apart or with \r\n. The stream goes through the
 * masker before the tail's ring of lines: a secret that straddles a line
 * boundary never reaches the ring.
 */
static void
test_lines(void **state)
{
	const char *v[] = { "-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA\n-----END KEY-----" };
	struct mask *m = mask_new(v, 1);
	const char *in = "key:\n-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA\n"
	    "-----END KEY-----\nagain: MIIEpAIBAAKCAQEA\r\n";
	size_t cut;

	(void)state;
	expect_masked(m, in, "key:\n***\nagain: ***\r\n");
	for (cut = 0; cut <= strlen(in); cut++)
		expect_stream(m, in, &cut, 1, "key:\n***\nagain: ***\r\n");
	mask_free(m);
}

/* random chunks against the one-shot answer */
static void
test_random(void **state)
{
	const char *v[] = { "aaaaab", "aabaab", "baaaaa", "ab\nab\nab" };
	struct mask *m = mask_new(v, 4);
	char in[400], *want;
	size_t cuts[400], nc, i, round;
	unsigned seed = 7;

	(void)state;
	for (round = 0; round < 2000; round++) {
		for (i = 0; i < sizeof(in) - 1; i++) {
			seed = seed * 1103515245 + 12345;
			in[i] = "ab\n"[(seed >> 16) % 3 == 2 && i % 7 ? 0 :
			    (seed >> 16) % 3];
		}
		in[sizeof(in) - 1] = '\0';
		want = mask_string(m, in, strlen(in), NULL);
		assert_non_null(want);
		for (nc = 0, i = 1; i < strlen(in); i++) {
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 5 == 0)
				cuts[nc++] = i;
		}
		expect_stream(m, in, cuts, nc, want);
		free(want);
	}
	mask_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_split_writes),
		cmocka_unit_test(test_bytewise_and_overlaps),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
