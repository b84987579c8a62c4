/* hm: a JSON writer with canonical escaping. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonw.h"

#define JSONW_BUF (64 * 1024)

/* Write all of p[0..n) to fd, through EINTR and partial writes. */
static void
fd_write(struct jsonw *w, const char *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		k = write(w->fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			w->err = errno;
			return;
		}
		if (k == 0) {
			w->err = EIO;
			return;
		}
		p += k;
		n -= (size_t)k;
	}
}

static void
flush(struct jsonw *w)
{
	if (w->fd >= 0 && w->len > 0 && !w->err)
		fd_write(w, w->buf, w->len);
	if (w->fd >= 0)
		w->len = 0;
}

/* Make room for n more bytes; 0, or -1 with the error recorded. */
static int reserve_slow(struct jsonw *w, size_t n);

/* Room for n more bytes; the common case stays inline. */
static inline int
reserve(struct jsonw *w, size_t n)
{
	if (!w->err && w->cap - w->len > n)	/* keep one byte for a NUL */
		return 0;
	return reserve_slow(w, n);
}

static int
reserve_slow(struct jsonw *w, size_t n)
{
	size_t cap;
	char *b;

	if (w->err)
		return -1;
	if (w->cap - w->len > n)
		return 0;
	if (w->fd >= 0) {
		flush(w);
		if (w->err)
			return -1;
		if (w->cap - w->len > n)
			return 0;
	}
	cap = w->cap ? w->cap : JSONW_BUF;
	while (cap - w->len <= n) {
		if (cap > SIZE_MAX / 2) {
			w->err = ENOMEM;
			return -1;
		}
		cap *= 2;
	}
	if (!(b = realloc(w->buf, cap))) {
		w->err = ENOMEM;
		return -1;
	}
	w->buf = b;
	w->cap = cap;
	return 0;
}

static void
put(struct jsonw *w, const char *p, size_t n)
{
	if (w->fd >= 0 && n >= JSONW_BUF) {
		/* a long run goes straight out, not through the buffer */
		flush(w);
		if (!w->err)
			fd_write(w, p, n);
		return;
	}
	if (reserve(w, n) < 0)
		return;
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static void
put_char(struct jsonw *w, char c)
{
	if (reserve(w, 1) < 0)
		return;
	w->buf[w->len++] = c;
}

/*
 * A newline and the indent of the current depth, at d; the room (the
 * indent rounded up to eight, and one) was reserved by the caller.
 * Spaces go eight at a time: an indent is a few dozen bytes at most.
 */
static char *
indent_at(const struct jsonw *w, char *d)
{
	size_t n = (size_t)w->indent * w->depth, i;

	*d++ = '\n';
	for (i = 0; i < n; i += 8)
		memcpy(d + i, "        ", 8);
	return d + n;
}

static void
newline_indent(struct jsonw *w)
{
	if (reserve(w, (size_t)w->indent * w->depth + 9) < 0)
		return;
	w->len = (size_t)(indent_at(w, w->buf + w->len) - w->buf);
}

/*
 * Separate the value about to be written from what came before it, and
 * make room for the n bytes the caller writes next, in one reservation.
 * 0, or -1 after an error.
 */
static int
value_begin(struct jsonw *w, size_t n)
{
	char *d;

	if (w->after_key || w->depth == 0) {
		w->after_key = 0;
		return reserve(w, n);
	}
	if (reserve(w, (size_t)w->indent * w->depth + 10 + n) < 0)
		return -1;
	d = w->buf + w->len;
	if (!w->first)
		*d++ = ',';
	if (w->indent)
		d = indent_at(w, d);
	w->len = (size_t)(d - w->buf);
	w->first = 0;
	return 0;
}

void
jsonw_init(struct jsonw *w, int fd, int indent)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->indent = indent < 0 ? 0 : indent;
}

static void
container_open(struct jsonw *w, char c)
{
	if (w->err || value_begin(w, 1) < 0)
		return;
	w->buf[w->len++] = c;
	w->depth++;
	w->first = 1;
}

static void
container_close(struct jsonw *w, char c)
{
	if (w->err || w->depth == 0)
		return;
	w->depth--;
	if (!w->first && w->indent)
		newline_indent(w);
	put_char(w, c);
	w->first = 0;
}

void
jsonw_obj_begin(struct jsonw *w)
{
	container_open(w, '{');
}

void
jsonw_obj_end(struct jsonw *w)
{
	container_close(w, '}');
}

void
jsonw_arr_begin(struct jsonw *w)
{
	container_open(w, '[');
}

void
jsonw_arr_end(struct jsonw *w)
{
	container_close(w, ']');
}

/* Bytes the writer escapes: '"', '\\' and the control characters. */
static int
needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/* How many bytes at the start of p[0..n) need no escape. */
static size_t
clean_run(const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n && !needs_escape(p[i]))
		i++;
	return i;
}

/* The escape of c (a byte clean_run stopped at) at d; returns its end. */
static char *
escape_char(char *d, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	*d++ = '\\';
	switch (c) {
	case '"': *d++ = '"'; break;
	case '\\': *d++ = '\\'; break;
	case '\b': *d++ = 'b'; break;
	case '\f': *d++ = 'f'; break;
	case '\n': *d++ = 'n'; break;
	case '\r': *d++ = 'r'; break;
	case '\t': *d++ = 't'; break;
	default:
		*d++ = 'u';
		*d++ = '0';
		*d++ = '0';
		*d++ = hex[c >> 4];
		*d++ = hex[c & 15];
	}
	return d;
}

void
jsonw_escape(struct jsonw *w, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t i, k;

	/*
	 * Most strings are short (keys, field names): with room for the
	 * worst case (every byte a \u00XX) write straight into the buffer.
	 */
	if (n <= 256 && reserve(w, 6 * n + 2) == 0) {
		char *d = w->buf + w->len;

		*d++ = '"';
		for (i = 0;;) {
			while (i < n && !needs_escape(p[i]))
				*d++ = (char)p[i++];
			if (i >= n)
				break;
			d = escape_char(d, p[i++]);
		}
		*d++ = '"';
		w->len = (size_t)(d - w->buf);
		return;
	}
	put_char(w, '"');
	for (i = 0;;) {
		k = clean_run(p + i, n - i);
		put(w, s + i, k);
		i += k;
		if (i >= n)
			break;
		put(w, esc, (size_t)(escape_char(esc, p[i++]) - esc));
	}
	put_char(w, '"');
}

void
jsonw_key(struct jsonw *w, const char *key)
{
	jsonw_keyn(w, key, strlen(key));
}

void
jsonw_keyn(struct jsonw *w, const char *key, size_t n)
{
	if (w->err || value_begin(w, 0) < 0)
		return;
	jsonw_escape(w, key, n);
	if (w->indent)
		put(w, ": ", 2);
	else
		put_char(w, ':');
	w->after_key = 1;
}

void
jsonw_field(struct jsonw *w, const char *name, size_t n)
{
	char *d;

	if (w->err || value_begin(w, n + 4) < 0)
		return;
	d = w->buf + w->len;
	*d++ = '"';
	memcpy(d, name, n);
	d += n;
	*d++ = '"';
	*d++ = ':';
	if (w->indent)
		*d++ = ' ';
	w->len = (size_t)(d - w->buf);
	w->after_key = 1;
}

void
jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
	if (w->err || value_begin(w, 0) < 0)
		return;
	jsonw_escape(w, s, n);
}

void
jsonw_str(struct jsonw *w, const char *s)
{
	jsonw_strn(w, s, strlen(s));
}

void
jsonw_num(struct jsonw *w, const char *text, size_t n)
{
	if (w->err || value_begin(w, 0) < 0)
		return;
	put(w, text, n);
}

void
jsonw_int(struct jsonw *w, long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld", v);

	jsonw_num(w, buf, (size_t)n);
}

void
jsonw_bool(struct jsonw *w, int v)
{
	if (v)
		jsonw_num(w, "true", 4);
	else
		jsonw_num(w, "false", 5);
}

void
jsonw_null(struct jsonw *w)
{
	jsonw_num(w, "null", 4);
}

void
jsonw_newline(struct jsonw *w)
{
	if (w->err || w->depth > 0)
		return;
	put_char(w, '\n');
}

int
jsonw_finish(struct jsonw *w, char **out, size_t *outlen)
{
	int err;

	if (out)
		*out = NULL;
	if (outlen)
		*outlen = 0;
	if (w->fd >= 0) {
		flush(w);
		free(w->buf);
	} else if (!w->err && reserve(w, 0) == 0) {
		w->buf[w->len] = '\0';
		if (out) {
			*out = w->buf;
			w->buf = NULL;
		}
		if (outlen)
			*outlen = w->len;
	}
	if (w->fd < 0)
		free(w->buf);
	err = w->err;
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
