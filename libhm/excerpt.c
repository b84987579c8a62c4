/* hm: the part of a failed step's output that explains the failure. */
#include <stdlib.h>
#include <string.h>

#include "excerpt.h"

/*
 * Streaming: the current line is built in a fixed buffer; the last
 * lines are kept in a ring (the tail, and the context before an error
 * line); each error line found becomes a hit that owns copies of its
 * context, filled with the lines after it as they arrive. At most
 * max_hits hits are alive: a new one pushes out the oldest, or an older
 * one with the same text. The result merges the hits' lines and the
 * tail by line number.
 */

struct xline {
	char *text;		/* NULL: empty slot */
	size_t lineno;
};

struct hit {
	struct xline *lines;	/* before + 1 + after */
	size_t n;
	size_t after_left;
	size_t lineno;		/* of the error line */
};

struct excerpt {
	struct excerpt_opts o;
	char cur[EXCERPT_LINE_MAX];
	size_t ncur;
	bool cr;		/* a '\r' ended the last piece */
	bool any;		/* bytes of a line not ended yet */
	size_t lineno;		/* lines ended so far */

	struct xline *ring;	/* the last nring lines */
	size_t nring, rpos, rcount;

	struct hit *hits;	/* oldest first */
	size_t nhits;

	struct excerpt_line *out;
	size_t nout;
	bool done;
};

/* Whether s[0..k) is the ASCII lower-case lower in any case. */
static bool
eq_ci(const char *s, const char *lower, size_t k)
{
	size_t j;

	for (j = 0; j < k; j++) {
		char c = s[j];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lower[j])
			return false;
	}
	return true;
}

#define HAS(p, left, lit) \
	((left) >= sizeof(lit) - 1 && memcmp(p, lit, sizeof(lit) - 1) == 0)

/*
 * One pass over the line: every pattern starts with one of a few bytes,
 * and only there are the patterns compared (a line of a long build log
 * costs a few instructions a byte, not a search per pattern).
 */
bool
excerpt_is_error(const char *s, size_t n)
{
	size_t i, left;
	const char *p;

	for (i = 0; i < n; i++) {
		p = s + i;
		left = n - i;
		switch (*p) {
		case 'E':
			/* make's "*** [Makefile:3: all] Error 2" */
			if (left > 6 && memcmp(p, "Error ", 6) == 0 &&
			    p[6] >= '0' && p[6] <= '9')
				return true;
			/* FALLTHROUGH */
		case 'e':
			if (left >= 6 && eq_ci(p, "error:", 6))
				return true;
			break;
		case 'a':
		case 'A':
			if (left >= 9 && eq_ci(p, "assertion", 9))
				return true;
			break;
		case 'F':
			if (HAS(p, left, "FAILED") || HAS(p, left, "FAIL:"))
				return true;
			break;
		case 'T':
			if (HAS(p, left, "Traceback (most recent call last)"))
				return true;
			break;
		case 'p':
			if (HAS(p, left, "panic:") || HAS(p, left, "panicked at"))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

struct excerpt *
excerpt_new(const struct excerpt_opts *o)
{
	struct excerpt *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->o = *o;
	e->nring = o->tail > o->before ? o->tail : o->before;
	if (e->nring == 0)
		e->nring = 1;
	e->ring = calloc(e->nring, sizeof(*e->ring));
	e->hits = calloc(o->max_hits + 1, sizeof(*e->hits));
	if (!e->ring || !e->hits) {
		free(e->ring);
		free(e->hits);
		free(e);
		return NULL;
	}
	return e;
}

static char *
dup_line(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static void
hit_free(struct hit *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->lines[i].text);
	free(h->lines);
}

static void
hit_remove(struct excerpt *e, size_t i)
{
	hit_free(&e->hits[i]);
	memmove(e->hits + i, e->hits + i + 1, (e->nhits - i - 1) *
	    sizeof(*e->hits));
	e->nhits--;
}

/* The text of hit h's error line. */
static const char *
hit_text(const struct hit *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->lines[i].lineno == h->lineno)
			return h->lines[i].text;
	return "";
}

/* The line just ended (e->cur, number e->lineno) is an error line. */
static int
hit_add(struct excerpt *e)
{
	struct hit *h;
	size_t i, k, want = e->o.before + 1 + e->o.after;
	struct xline *lines = calloc(want, sizeof(*lines));

	if (!lines)
		return -1;
	/* the same message again: only its last place counts */
	for (i = 0; i < e->nhits; i++) {
		const char *t = hit_text(&e->hits[i]);

		if (strlen(t) == e->ncur && memcmp(t, e->cur, e->ncur) == 0) {
			hit_remove(e, i);
			break;
		}
	}
	if (e->o.max_hits == 0) {
		free(lines);
		return 0;
	}
	if (e->nhits == e->o.max_hits)
		hit_remove(e, 0);
	h = &e->hits[e->nhits++];
	h->lines = lines;
	h->n = 0;
	h->lineno = e->lineno;
	h->after_left = e->o.after;
	/* the context before, from the ring (the current line is not in it) */
	k = e->o.before < e->rcount ? e->o.before : e->rcount;
	for (i = k; i > 0; i--) {
		const struct xline *r = &e->ring[(e->rpos + e->nring - i) %
		    e->nring];

		if (!(h->lines[h->n].text = dup_line(r->text, strlen(r->text))))
			return -1;
		h->lines[h->n++].lineno = r->lineno;
	}
	if (!(h->lines[h->n].text = dup_line(e->cur, e->ncur)))
		return -1;
	h->lines[h->n++].lineno = e->lineno;
	return 0;
}

/* The current line is complete. */
static int
line_end(struct excerpt *e)
{
	struct xline *r;
	size_t i;
	char *t;

	e->lineno++;
	/* the context after the hits still collecting it */
	for (i = 0; i < e->nhits; i++) {
		struct hit *h = &e->hits[i];

		if (h->after_left == 0)
			continue;
		if (!(t = dup_line(e->cur, e->ncur)))
			return -1;
		h->lines[h->n].text = t;
		h->lines[h->n++].lineno = e->lineno;
		h->after_left--;
	}
	if (excerpt_is_error(e->cur, e->ncur) && hit_add(e) < 0)
		return -1;
	if (!(t = dup_line(e->cur, e->ncur)))
		return -1;
	r = &e->ring[e->rpos];
	free(r->text);
	r->text = t;
	r->lineno = e->lineno;
	e->rpos = (e->rpos + 1) % e->nring;
	if (e->rcount < e->nring)
		e->rcount++;
	e->ncur = 0;
	e->any = false;
	return 0;
}

int
excerpt_feed(struct excerpt *e, const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n, *stop, *q;
	size_t k;

	while (p < end) {
		if (e->cr) {
			e->cr = false;
			/* a lone '\r' redraws the line: keep what is drawn last */
			if (*p != '\n')
				e->ncur = 0;
		}
		/* the bytes up to the next '\n' or '\r' join the line */
		stop = memchr(p, '\n', (size_t)(end - p));
		if (!stop)
			stop = end;
		if ((q = memchr(p, '\r', (size_t)(stop - p))))
			stop = q;
		if (stop > p) {
			e->any = true;
			k = (size_t)(stop - p);
			if (k > EXCERPT_LINE_MAX - e->ncur)
				k = EXCERPT_LINE_MAX - e->ncur;
			memcpy(e->cur + e->ncur, p, k);
			e->ncur += k;
			p = stop;
			continue;
		}
		if (*p++ == '\n') {
			if (line_end(e) < 0)
				return -1;
		} else {
			e->cr = true;
		}
	}
	return 0;
}

static int
by_line(const void *a, const void *b)
{
	const struct excerpt_line *x = a, *y = b;

	if (x->lineno != y->lineno)
		return x->lineno < y->lineno ? -1 : 1;
	return x->hit == y->hit ? 0 : x->hit ? -1 : 1;
}

const struct excerpt_line *
excerpt_lines(struct excerpt *e, size_t *n)
{
	struct excerpt_line *v, *out;
	size_t i, j, k = 0, cap, tail, prev = 0;

	*n = 0;
	if (!e->done) {
		if (e->any && line_end(e) < 0)
			return NULL;
		e->done = true;
	}
	if (e->out) {
		*n = e->nout;
		return e->out;
	}
	tail = e->o.tail < e->rcount ? e->o.tail : e->rcount;
	cap = tail;
	for (i = 0; i < e->nhits; i++)
		cap += e->hits[i].n;
	if (cap == 0)
		return NULL;
	v = calloc(cap, sizeof(*v));
	out = calloc(2 * cap, sizeof(*out));	/* a gap before each line */
	if (!v || !out) {
		free(v);
		free(out);
		return NULL;
	}
	for (i = 0; i < e->nhits; i++)
		for (j = 0; j < e->hits[i].n; j++, k++) {
			v[k].text = e->hits[i].lines[j].text;
			v[k].lineno = e->hits[i].lines[j].lineno;
			v[k].hit = v[k].lineno == e->hits[i].lineno;
		}
	for (i = tail; i > 0; i--, k++) {
		const struct xline *r = &e->ring[(e->rpos + e->nring - i) %
		    e->nring];

		v[k].text = r->text;
		v[k].lineno = r->lineno;
		v[k].hit = false;
	}
	qsort(v, k, sizeof(*v), by_line);
	/* every line once (a hit sorts first, so its flag wins), gaps */
	for (i = 0; i < k; i++) {
		if (v[i].lineno == prev)
			continue;
		if (v[i].lineno != prev + 1)
			out[e->nout++] = (struct excerpt_line){ EXCERPT_GAP, 0,
			    false };
		out[e->nout++] = v[i];
		prev = v[i].lineno;
	}
	free(v);
	e->out = out;
	*n = e->nout;
	return out;
}

char *
excerpt_text(struct excerpt *e)
{
	const struct excerpt_line *v;
	size_t n, i, len = 0;
	char *s, *p;

	v = excerpt_lines(e, &n);
	for (i = 0; i < n; i++)
		len += strlen(v[i].text) + 1;
	if (!(s = malloc(len + 1)))
		return NULL;
	for (p = s, i = 0; i < n; i++) {
		size_t l = strlen(v[i].text);

		memcpy(p, v[i].text, l);
		p += l;
		*p++ = '\n';
	}
	if (p > s)
		p--;
	*p = '\0';
	return s;
}

void
excerpt_free(struct excerpt *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nring; i++)
		free(e->ring[i].text);
	for (i = 0; i < e->nhits; i++)
		hit_free(&e->hits[i]);
	free(e->ring);
	free(e->hits);
	free(e->out);
	free(e);
}

char *
excerpt_of(const char *text, size_t n, const struct excerpt_opts *o)
{
	struct excerpt *e = excerpt_new(o);
	char *s = NULL;

	if (e && excerpt_feed(e, text, n) == 0)
		s = excerpt_text(e);
	excerpt_free(e);
	return s;
}
