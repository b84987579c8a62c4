/* hm: what the libFuzzer harnesses share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "esc.h"
#include "fuzz.h"
#include "ir_check.h"
#include "ir_load.h"
#include "ir_write.h"
#include "jsonw.h"

void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

void
fuzz_check_utf8(const char *what, const char *s, size_t n)
{
	size_t ok = esc_utf8_valid(s, n);

	if (ok != n)
		fuzz_fail("%s is not UTF-8 at byte %zu", what, ok);
}

void
fuzz_check_readback(const struct ir_doc *doc, const char *what)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct ir_doc *again;
	struct jsonw w;
	char *out;
	size_t n;

	jsonw_init(&w, -1, 0);
	ir_write(doc, &w);
	if (jsonw_finish(&w, &out, &n) < 0)
		fuzz_fail("the writer failed on %s", what);
	fuzz_check_utf8(what, out, n);
	again = ir_load_buf(out, n, "again.json", NULL, &dl);
	if (!again || ir_check(again, 0, &dl) < 0)
		fuzz_fail("%s does not read back:\n%.*s", what, (int)n, out);
	ir_doc_free(again);
	diag_list_release(&dl);
	free(out);
}
