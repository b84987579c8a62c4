/* hm: libFuzzer harness: JSON -> load -> check -> canonical write, twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ir.h"
#include "ir_check.h"
#include "ir_load.h"
#include "ir_write.h"
#include "jsonw.h"
#include "fuzz.h"

/*
 * Any input: the reader, the loader and the checker never crash, leak or
 * hit undefined behaviour. A document that loads and checks is written
 * in canonical form, and that text must load, check and write again to
 * the same bytes (hm-lower x | hm-lower is byte-identical), with the
 * pipeline of an envelope picked the same way.
 */
static char *
lower(const char *buf, size_t len, const char *pipeline, size_t *outlen)
{
	struct ir_load_opts opts = { pipeline };
	struct diag_list dl = DIAG_LIST_INIT;
	struct ir_doc *doc = ir_load_buf(buf, len, "fuzz.json", &opts, &dl);
	struct jsonw w;
	char *out = NULL;

	if (doc && ir_check(doc, 0, &dl) == 0) {
		jsonw_init(&w, -1, 2);
		ir_write(doc, &w);
		if (jsonw_finish(&w, &out, outlen) < 0)
			fuzz_fail("the writer failed on a valid document");
	}
	ir_doc_free(doc);
	diag_list_release(&dl);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t n1, n2;
	char *a, *b;

	a = lower((const char *)data, size, NULL, &n1);
	if (!a)
		return 0;
	b = lower(a, n1, NULL, &n2);
	if (!b)
		fuzz_fail("canonical output does not load and check:\n%.*s",
		    (int)n1, a);
	if (n1 != n2 || memcmp(a, b, n1) != 0)
		fuzz_fail("not a fixed point:\n%.*s\n----\n%.*s", (int)n1, a,
		    (int)n2, b);
	fuzz_check_utf8("canonical output", a, n1);
	free(a);
	free(b);
	return 0;
}
