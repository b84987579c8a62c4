/* hm: a JSON writer with canonical escaping. */
#ifndef HM_JSONW_H
#define HM_JSONW_H

#include <stddef.h>

/*
 * Writes JSON to a file descriptor through a buffer, or into memory
 * (fd -1). Strings are escaped canonically: '"' and '\\' and the control
 * characters below U+0020 (short escapes \b \f \n \r \t where JSON has
 * them, \u00XX otherwise); everything else, DEL and non-ASCII included,
 * is copied as UTF-8. Numbers are written as the text given.
 *
 * indent 0 writes one line with no spaces; indent 2 writes one member or
 * element per line, "key": value, and empty containers as {} and [].
 * The first write error sticks: later calls do nothing, and
 * jsonw_finish returns -1 with errno set (EPIPE, ENOSPC, ...).
 */
struct jsonw {
	int fd;
	int indent;
	char *buf;
	size_t len, cap;
	int err;		/* errno of the first failure, 0 if none */
	unsigned depth;
	int first;		/* nothing written yet in this container */
	int after_key;		/* a key was written; the value follows */
};

void jsonw_init(struct jsonw *w, int fd, int indent);
void jsonw_obj_begin(struct jsonw *w);
void jsonw_obj_end(struct jsonw *w);
void jsonw_arr_begin(struct jsonw *w);
void jsonw_arr_end(struct jsonw *w);
/* A key: a C string, or n bytes (which may hold NUL, written \u0000). */
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_keyn(struct jsonw *w, const char *key, size_t n);
/*
 * A key that needs no escape (a field name of a format: printable ASCII
 * without '"' or '\\'), n bytes, written without a scan; JSONW_FIELD
 * takes a string literal.
 */
void jsonw_field(struct jsonw *w, const char *name, size_t n);
#define JSONW_FIELD(w, lit)	jsonw_field((w), "" lit, sizeof(lit) - 1)
void jsonw_str(struct jsonw *w, const char *s);
void jsonw_strn(struct jsonw *w, const char *s, size_t n);
void jsonw_num(struct jsonw *w, const char *text, size_t n);
void jsonw_int(struct jsonw *w, long long v);
void jsonw_bool(struct jsonw *w, int v);
void jsonw_null(struct jsonw *w);
/* Write a raw newline after a top-level value (not inside containers). */
void jsonw_newline(struct jsonw *w);

/*
 * Flush and return 0, or -1 with errno for the first error. For a memory
 * writer, *out (if not NULL) gets the malloc'd NUL-terminated text and
 * *outlen its length; the caller frees it. The writer is released.
 */
int jsonw_finish(struct jsonw *w, char **out, size_t *outlen);

/* Append the canonical escaped form of s[0..n), quotes included. */
void jsonw_escape(struct jsonw *w, const char *s, size_t n);

#endif
