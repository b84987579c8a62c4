/* hm: what the libFuzzer harnesses share. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "esc.h"
#include "fuzz.h"

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
