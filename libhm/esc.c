/* hm: text from a document made safe to print on a terminal. */
#include <string.h>

#include "arena.h"
#include "esc.h"

size_t
esc_utf8_seq(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned c;
	size_t n, i;
	unsigned long v;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, v = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, v = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, v = c & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))) ||
	    (n == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	return n;
}

/*
 * What s[0..len) starts with: *n bytes that are copied (return 0) or
 * one unit that is escaped, as the text it becomes in out[] (return its
 * length).
 */
static size_t
esc_unit(const unsigned char *s, size_t len, size_t *n, char out[8])
{
	static const char hex[] = "0123456789abcdef";
	size_t k;

	if (s[0] >= 0x20 && s[0] < 0x7f) {
		*n = 1;
		return 0;
	}
	if (s[0] == '\n' || s[0] == '\r' || s[0] == '\t') {
		out[0] = '\\';
		out[1] = s[0] == '\n' ? 'n' : s[0] == '\r' ? 'r' : 't';
		*n = 1;
		return 2;
	}
	k = esc_utf8_seq((const char *)s, len);
	if (k > 1 && !(s[0] == 0xc2 && s[1] < 0xa0)) {
		*n = k;
		return 0;
	}
	if (k == 2) {	/* a C1 control */
		memcpy(out, "\\u00", 4);
		out[4] = hex[s[1] >> 4];
		out[5] = hex[s[1] & 15];
		*n = 2;
		return 6;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[s[0] >> 4];
	out[3] = hex[s[0] & 15];
	*n = 1;
	return 4;
}

size_t
esc_utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len && (n = esc_utf8_seq(s + i, len - i)) > 0)
		i += n;
	return i;
}

int
esc_needed(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	char out[8];

	while (i < len) {
		if (esc_unit(p + i, len - i, &n, out))
			return 1;
		i += n;
	}
	return 0;
}

size_t
esc_len(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, total = 0, n, k;
	char out[8];

	while (i < len) {
		k = esc_unit(p + i, len - i, &n, out);
		total += k ? k : n;
		i += n;
	}
	return total;
}

char *
esc_write(char *dst, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, n, k;
	char out[8];

	while (i < len) {
		k = esc_unit(p + i, len - i, &n, out);
		if (k)
			memcpy(dst + o, out, k);
		else
			memcpy(dst + o, s + i, n);
		o += k ? k : n;
		i += n;
	}
	dst[o] = '\0';
	return dst;
}

const char *
esc_arena(struct arena *a, const char *s, size_t len)
{
	char *d;

	if (!esc_needed(s, len) && s[len] == '\0')
		return s;
	if (!(d = arena_alloc(a, esc_len(s, len) + 1)))
		return NULL;
	return esc_write(d, s, len);
}

char *
esc_buf(char *buf, size_t size, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, n, k;
	char out[8];

	while (i < len) {
		k = esc_unit(p + i, len - i, &n, out);
		if (o + (k ? k : n) > size - 4) {
			memcpy(buf + o, "...", 4);
			return buf;
		}
		memcpy(buf + o, k ? out : s + i, k ? k : n);
		o += k ? k : n;
		i += n;
	}
	buf[o] = '\0';
	return buf;
}
