/* hm: what the libFuzzer harnesses share. */
#ifndef HM_FUZZ_H
#define HM_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct ir_doc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Print the message and abort: libFuzzer saves the input as a crash. */
_Noreturn void fuzz_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Fail unless s[0..n) is valid UTF-8. */
void fuzz_check_utf8(const char *what, const char *s, size_t n);
/* Fail unless doc, written, is UTF-8 and reads back as a valid document. */
void fuzz_check_readback(const struct ir_doc *doc, const char *what);

#endif
