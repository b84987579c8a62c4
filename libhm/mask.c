/* hm: secret values replaced by *** in a stream of bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"

struct secret {
	char *v;
	size_t len;
};

struct mask {
	struct secret *v;	/* longest first */
	size_t n;
	size_t maxlen;
	unsigned char first[256];	/* some secret starts with this byte */
};

static int
by_length(const void *a, const void *b)
{
	const struct secret *x = a, *y = b;

	return x->len < y->len ? 1 : x->len > y->len ? -1 :
	    memcmp(x->v, y->v, x->len);
}

/* Add s[0..len) unless it is short or already there. */
static int
add(struct mask *m, const char *s, size_t len)
{
	size_t i;

	if (len < MASK_MIN)
		return 0;
	for (i = 0; i < m->n; i++)
		if (m->v[i].len == len && memcmp(m->v[i].v, s, len) == 0)
			return 0;
	if (!(m->v[m->n].v = malloc(len)))
		return -1;
	memcpy(m->v[m->n].v, s, len);
	m->v[m->n++].len = len;
	m->first[(unsigned char)s[0]] = 1;
	if (len > m->maxlen)
		m->maxlen = len;
	return 0;
}

struct mask *
mask_new(const char *const *v, size_t n)
{
	struct mask *m = calloc(1, sizeof(*m));
	size_t i, total = 0, len;
	const char *p, *nl;

	if (!m)
		return NULL;
	for (i = 0; i < n; i++)		/* a value, and each of its lines */
		for (total++, p = v[i]; (nl = strchr(p, '\n')); p = nl + 1)
			total += 2;
	if (total && !(m->v = calloc(total + n, sizeof(*m->v))))
		goto fail;
	for (i = 0; i < n; i++) {
		if (add(m, v[i], strlen(v[i])) < 0)
			goto fail;
		if (!strchr(v[i], '\n'))
			continue;
		for (p = v[i];; p = nl + 1) {
			nl = strchr(p, '\n');
			len = nl ? (size_t)(nl - p) : strlen(p);
			if (len && p[len - 1] == '\r')
				len--;
			if (add(m, p, len) < 0)
				goto fail;
			if (!nl)
				break;
		}
	}
	if (m->n)
		qsort(m->v, m->n, sizeof(*m->v), by_length);
	return m;
fail:
	mask_free(m);
	return NULL;
}

void
mask_free(struct mask *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++)
		free(m->v[i].v);
	free(m->v);
	free(m);
}

int
mask_active(const struct mask *m)
{
	return m && m->n > 0;
}

/*
 * At p[0..n): the length of the secret that starts there (0: none), or
 * SIZE_MAX if p[0..n) is a proper prefix of one (more bytes may decide).
 */
static size_t
match_at(const struct mask *m, const char *p, size_t n)
{
	size_t i, partial = 0;

	if (!m->first[(unsigned char)p[0]])
		return 0;
	for (i = 0; i < m->n; i++) {
		const struct secret *s = &m->v[i];

		if (s->len <= n) {
			if (memcmp(s->v, p, s->len) == 0)
				return partial ? SIZE_MAX : s->len;
		} else if (memcmp(s->v, p, n) == 0) {
			partial = 1;	/* a longer one may match yet */
		}
	}
	return partial ? SIZE_MAX : 0;
}

/*
 * Mask w[0..n) into emit; with more to come (!final), stop at a proper
 * prefix of a secret and return where it starts (n if none).
 */
static size_t
scan(const struct mask *m, const char *w, size_t n, int final,
    mask_emit_fn *emit, void *ctx)
{
	size_t i = 0, start = 0, k;

	while (i < n) {
		k = match_at(m, w + i, n - i);
		if (k == SIZE_MAX && !final)
			break;
		if (k == SIZE_MAX) {
			/* the end: the longest full match, if any */
			size_t j;

			k = 0;
			for (j = 0; j < m->n; j++)
				if (m->v[j].len <= n - i &&
				    memcmp(m->v[j].v, w + i, m->v[j].len) == 0) {
					k = m->v[j].len;
					break;
				}
		}
		if (k == 0) {
			i++;
			continue;
		}
		if (i > start)
			emit(ctx, w + start, i - start);
		emit(ctx, MASK_TEXT, sizeof(MASK_TEXT) - 1);
		i += k;
		start = i;
	}
	if (i > start)
		emit(ctx, w + start, i - start);
	return i;
}

static int
hold(struct mask_stream *s, const char *p, size_t n)
{
	if (n > s->cap) {
		char *h = realloc(s->held, n);

		if (!h)
			return -1;
		s->held = h;
		s->cap = n;
	}
	if (n)
		memmove(s->held, p, n);
	s->nheld = n;
	return 0;
}

int
mask_write(const struct mask *m, struct mask_stream *s, const char *buf,
    size_t n, mask_emit_fn *emit, void *ctx)
{
	size_t used, len;
	char *joined;
	int ret;

	if (!mask_active(m)) {
		if (n)
			emit(ctx, buf, n);
		return 0;
	}
	if (s->nheld == 0) {
		used = scan(m, buf, n, 0, emit, ctx);
		return hold(s, buf + used, n - used);
	}
	/* rare: the last write ended with what may begin a secret */
	len = s->nheld + n;
	if (!(joined = malloc(len))) {
		scan(m, s->held, s->nheld, 1, emit, ctx);
		s->nheld = 0;
		scan(m, buf, n, 1, emit, ctx);
		return -1;
	}
	memcpy(joined, s->held, s->nheld);
	memcpy(joined + s->nheld, buf, n);
	used = scan(m, joined, len, 0, emit, ctx);
	ret = hold(s, joined + used, len - used);
	free(joined);
	return ret;
}

void
mask_flush(const struct mask *m, struct mask_stream *s, mask_emit_fn *emit,
    void *ctx)
{
	if (s->nheld)
		scan(m, s->held, s->nheld, 1, emit, ctx);
	free(s->held);
	s->held = NULL;
	s->nheld = s->cap = 0;
}

struct strbuf {
	char *p;
	size_t n, cap;
	int err;
};

static void
to_strbuf(void *ctx, const char *p, size_t n)
{
	struct strbuf *b = ctx;

	if (b->err)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = 2 * (b->n + n + 1);
		char *q = realloc(b->p, cap);

		if (!q) {
			b->err = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

char *
mask_string(const struct mask *m, const char *s, size_t n, size_t *outlen)
{
	struct strbuf b = { NULL, 0, 0, 0 };

	to_strbuf(&b, "", 0);
	if (mask_active(m))
		scan(m, s, n, 1, to_strbuf, &b);
	else
		to_strbuf(&b, s, n);
	if (b.err) {
		free(b.p);
		return NULL;
	}
	b.p[b.n] = '\0';
	if (outlen)
		*outlen = b.n;
	return b.p;
}
