/* hm: unit tests for SHA-256 and cache keys, against harmont's own keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache_key.h"
#include "diag.h"
#include "ir.h"
#include "ir_check.h"
#include "ir_load.h"
#include "sha256.h"

static void
hex_of(const char *s, size_t n, char out[65])
{
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, s, n);
	sha256_hex(&h, out);
}

static void
test_sha256(void **state)
{
	char out[65], big[1001];
	struct sha256 h;
	int i;

	(void)state;
	hex_of("", 0, out);
	assert_string_equal(out, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    out);
	assert_string_equal(out, "248d6a61d20638b8e5c026930c3e6039"
	    "a33ce45964ff2167f6ecedd419db06c1");
	/* a million 'a's, fed in uneven pieces */
	memset(big, 'a', sizeof(big));
	sha256_init(&h);
	for (i = 0; i < 1000; i++)
		sha256_update(&h, big, i % 2 ? 999 : 1001);
	sha256_hex(&h, out);
	assert_string_equal(out, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0");
}

/*
 * Every cached step of harmont's corpus: the key hm computes is the one
 * harmont wrote (rendered with now=0, an empty environment, and the
 * on_change paths read from its workspace).
 */
static void
check_corpus(const char *name)
{
	char path[256], key[65], err[256];
	char *keys[64] = { 0 };
	struct diag_list diags = DIAG_LIST_INIT;
	struct ir_doc *doc;
	FILE *f;
	char *buf;
	long len;
	uint32_t i, j, ncached = 0;

	snprintf(path, sizeof(path), "testdata/lower/harmont/%s.json", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len);
	assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	doc = ir_load_buf(buf, (size_t)len, path, NULL, &diags);
	assert_non_null(doc);
	assert_int_equal(ir_check(doc, 0, &diags), 0);
	assert_true(doc->nall < 64);
	for (i = 0; i < doc->nall; i++) {
		struct ir_step *s = doc->all[i];
		struct ir_cache *c = s->more ? s->more->cache : NULL;
		struct cache_key_in in = { 0 };
		const char *parent = NULL;

		if (s->type != IR_COMMAND || !c || !c->key)
			continue;
		if (s->builds_in_kind == IR_BUILDS_IN_KEY)
			for (j = 0; j < i; j++)
				if (doc->all[j] == s->builds_in.step)
					parent = keys[j];
		in.step = s->key;
		in.parent = parent;
		in.cmd = s->cmd;
		in.dir = "testdata/cache/workspace";
		assert_int_equal(cache_key(c, &in, key, err, sizeof(err)), 1);
		assert_string_equal(key, c->key);
		keys[i] = (char *)c->key;
		ncached++;
	}
	assert_true(ncached > 0);
	ir_doc_free(doc);
	diag_list_release(&diags);
	free(buf);
}

static void
test_harmont_keys(void **state)
{
	static const char *const names[] = { "cache_forever", "cache_ttl",
	    "cache_on_change", "cache_compose", "cache_chain_mixed", "tc_rust",
	    "tc_python", "tc_npm", "tc_haskell", "tc_compose_base" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_corpus(names[i]);
}

static const char *
env_of(void *ctx, const char *name)
{
	(void)ctx;
	return strcmp(name, "K") ? NULL : "v";
}

static void
test_inputs(void **state)
{
	struct ir_cache forever = { .policy = IR_CACHE_FOREVER };
	struct ir_cache ttl = { .policy = IR_CACHE_TTL,
	    .duration_seconds = "100" };
	struct ir_cache none = { .policy = IR_CACHE_NONE };
	struct ir_cache missing = { .policy = IR_CACHE_ON_CHANGE };
	const char *k[] = { "K" }, *p[] = { "no/such/file" };
	struct cache_key_in in = { .step = "s", .cmd = "make" };
	char a[65], b[65], err[256];

	(void)state;
	assert_int_equal(cache_key(&none, &in, a, err, sizeof(err)), 0);
	assert_int_equal(cache_key(&forever, &in, a, err, sizeof(err)), 1);
	forever.env_keys.v = k;
	forever.env_keys.n = 1;
	assert_int_equal(cache_key(&forever, &in, b, err, sizeof(err)), 1);
	assert_string_not_equal(a, b);	/* the names count */
	assert_int_equal(cache_key(&forever, &in, a, err, sizeof(err)), 1);
	in.getenv = env_of;
	assert_int_equal(cache_key(&forever, &in, b, err, sizeof(err)), 1);
	assert_string_not_equal(a, b);	/* the variable counts */
	in.now = 99;
	assert_int_equal(cache_key(&ttl, &in, a, err, sizeof(err)), 1);
	in.now = 0;
	assert_int_equal(cache_key(&ttl, &in, b, err, sizeof(err)), 1);
	assert_string_equal(a, b);	/* the same bucket */
	in.now = 100;
	assert_int_equal(cache_key(&ttl, &in, b, err, sizeof(err)), 1);
	assert_string_not_equal(a, b);
	in.parent = b;
	assert_int_equal(cache_key(&ttl, &in, a, err, sizeof(err)), 1);
	assert_string_not_equal(a, b);
	missing.paths.v = p;
	missing.paths.n = 1;
	in.dir = "testdata";
	assert_int_equal(cache_key(&missing, &in, a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no/such/file"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_harmont_keys),
		cmocka_unit_test(test_inputs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
