/* hm: the diagnostics catalogue and list. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "esc.h"

static const struct {
	const char *name;
	enum diag_level level;
	const char *fmt;
} catalogue[] = {
#define DIAG(code, level, fmt) { #code, level, fmt },
#include "diag.def"
#undef DIAG
};

enum diag_level
diag_level(enum diag_code code)
{
	return catalogue[code].level;
}

const char *
diag_format(enum diag_code code)
{
	return catalogue[code].fmt;
}

char *
diag_msg(enum diag_code code, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, code);
	vsnprintf(buf, sizeof(buf), catalogue[code].fmt, ap);
	va_end(ap);
	return strdup(buf);
}

const char *
diag_name(enum diag_code code)
{
	return catalogue[code].name;
}

const char *
diag_level_name(enum diag_level level)
{
	return level == DIAG_ERROR ? "error" : "warning";
}

void
diag_list_release(struct diag_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i].msg);
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

void
diag_list_move(struct diag_list *dst, struct diag_list *src)
{
	struct diag *items;
	size_t i;

	/* src's counts include what it dropped */
	dst->errors += src->errors;
	dst->warnings += src->warnings;
	dst->dropped += src->dropped;
	for (i = 0; i < src->n; i++) {
		if (dst->limit && dst->n >= dst->limit) {
			dst->dropped++;
			free(src->items[i].msg);
			continue;
		}
		if (dst->n == dst->cap) {
			size_t cap = dst->cap ? 2 * dst->cap : 16;

			items = realloc(dst->items, cap * sizeof(*items));
			if (!items) {
				dst->dropped++;
				free(src->items[i].msg);
				continue;
			}
			dst->items = items;
			dst->cap = cap;
		}
		dst->items[dst->n++] = src->items[i];
	}
	free(src->items);
	src->items = NULL;
	src->n = src->cap = src->errors = src->warnings = src->dropped = 0;
}

int
diag_report(struct diag_list *l, enum diag_code code, struct srcpos pos, ...)
{
	enum diag_level level = catalogue[code].level;
	int ret = level == DIAG_ERROR ? -1 : 0;
	struct diag *d, *items;
	va_list ap;
	char *msg;
	int n;

	if (level == DIAG_ERROR)
		l->errors++;
	else
		l->warnings++;
	if (l->limit && l->n >= l->limit) {
		l->dropped++;
		return ret;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;

		items = realloc(l->items, cap * sizeof(*items));
		if (!items) {
			l->dropped++;
			return ret;
		}
		l->items = items;
		l->cap = cap;
	}
	/* The format comes from the catalogue, never from input. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	va_start(ap, pos);
	n = vsnprintf(NULL, 0, catalogue[code].fmt, ap);
	va_end(ap);
	msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (msg) {
		va_start(ap, pos);
		vsnprintf(msg, (size_t)n + 1, catalogue[code].fmt, ap);
		va_end(ap);
	}
#pragma GCC diagnostic pop
	/* names quoted from a document can hold control characters */
	if (msg && esc_needed(msg, (size_t)n)) {
		char *e = malloc(esc_len(msg, (size_t)n) + 1);

		if (e)
			esc_write(e, msg, (size_t)n);
		free(msg);
		msg = e;
	}
	d = &l->items[l->n++];
	d->code = code;
	d->pos = pos;
	d->msg = msg;
	return ret;
}

char *
diag_string(const struct diag *d, const char *prog)
{
	const char *level = diag_level_name(catalogue[d->code].level);
	const char *msg = d->msg ? d->msg : catalogue[d->code].fmt;
	char where[64] = "";
	const char *file = d->pos.file;
	size_t len;
	char *s;

	if (d->pos.line)
		snprintf(where, sizeof(where), ":%u:%u", d->pos.line,
		    d->pos.col);
	len = strlen(prog) + (file ? strlen(file) : 0) + strlen(where) +
	    strlen(level) + strlen(msg) + 8;
	s = malloc(len);
	if (!s)
		return NULL;
	if (file)
		snprintf(s, len, "%s: %s%s: %s: %s", prog, file, where, level,
		    msg);
	else
		snprintf(s, len, "%s: %s: %s", prog, level, msg);
	return s;
}
