/* hm: a finished run as pictures: the HTML report and the Chrome trace. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "jsonw.h"
#include "report.h"

/*
 * The page is laid out here, not in the browser: SVG with coordinates,
 * no script, so that it reads the same in any browser, in a CI server's
 * artifact viewer, and in ten years. The graph is layered by longest
 * path from the roots (ranks are columns, as in `hm-lower --dot`'s
 * left-to-right drawing), each column ordered by the mean row of what
 * its steps follow, which keeps most edges short and uncrossed.
 */

struct sb {
	char *s;
	size_t n, cap;
	bool oom;
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		cap = 2 * (b->n + n + 1) + 4096;
		if (!(p = realloc(b->s, cap))) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void
sb_puts(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[512], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		sb_add(b, tmp, (size_t)n);
		return;
	}
	/* longer: format again into a buffer of its size, never cut */
	if (!(big = malloc((size_t)n + 1))) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_add(b, big, (size_t)n);
	free(big);
}

/*
 * Text for HTML and SVG: escaped, terminal colour sequences dropped,
 * other control characters and bad UTF-8 as U+FFFD; at most max
 * characters (0: all), then an ellipsis.
 */
static void
sb_text(struct sb *b, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p), k, chars = 0;

	while (n > 0) {
		if (max && chars == max) {
			sb_puts(b, "\xe2\x80\xa6");
			return;
		}
		chars++;
		k = 1;
		switch (*p) {
		case '&': sb_puts(b, "&amp;"); break;
		case '<': sb_puts(b, "&lt;"); break;
		case '>': sb_puts(b, "&gt;"); break;
		case '"': sb_puts(b, "&quot;"); break;
		case '\'': sb_puts(b, "&#39;"); break;
		case '\033':
			/* CSI: ESC [ parameters final byte */
			if (n > 1 && p[1] == '[') {
				for (k = 2; k < n && !(p[k] >= 0x40 &&
				    p[k] <= 0x7e); k++)
					;
				k = k < n ? k + 1 : n;
			}
			chars--;
			break;
		default:
			k = esc_utf8_seq((const char *)p, n);
			if (k == 0 || (*p < 0x20 && *p != '\t' && *p != '\n') ||
			    *p == 0x7f) {
				sb_puts(b, "\xef\xbf\xbd");
				k = 1;
			} else {
				sb_add(b, (const char *)p, k);
			}
		}
		p += k;
		n -= k;
	}
}

static const char *
colour(const char *status)
{
	static const struct {
		const char *status, *fill;
	} c[] = {
		{ "passed", "#b8e6b0" }, { "soft_failed", "#f3e08c" },
		{ "failed", "#f4a8a0" }, { "timed_out", "#f7bd7f" },
		{ "skipped", "#e4e4e4" }, { "canceled", "#d0d0d0" },
	};
	size_t i;

	for (i = 0; status && i < sizeof(c) / sizeof(c[0]); i++)
		if (strcmp(status, c[i].status) == 0)
			return c[i].fill;
	return "#ffffff";
}

/* "soft-failed" for "soft_failed": how a status reads. */
static const char *
status_words(const char *status)
{
	if (!status)
		return "not run";
	if (strcmp(status, "soft_failed") == 0)
		return "soft-failed";
	if (strcmp(status, "timed_out") == 0)
		return "timed out";
	return status;
}

static void
duration(struct sb *b, double s)
{
	if (s < 60)
		sb_printf(b, "%.1fs", s);
	else if (s < 3600)
		sb_printf(b, "%dm%02ds", (int)s / 60, (int)s % 60);
	else
		sb_printf(b, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.4em;margin:0 0 .3em}h2{font-size:1.1em;margin:1.5em 0 .5em}"
    "header{padding:.8em 1em;border-radius:6px;border:1px solid #ccc}"
    "header.passed{background:#eaf7e7}header.failed,header.interrupted"
    "{background:#fbe9e7}"
    ".counts{list-style:none;padding:0;margin:.4em 0 0;display:flex;gap:.6em}"
    ".counts li{padding:.1em .6em;border-radius:1em;border:1px solid #aaa}"
    "svg{display:block;max-width:100%;height:auto}"
    "svg text{font:12px system-ui,sans-serif;fill:#222}"
    ".axis line{stroke:#ddd}.axis text{fill:#777;font-size:11px}"
    ".bar{stroke:#555;stroke-width:.5}.bake{stroke-dasharray:3 2;stroke-width:1}"
    ".node rect{stroke:#555}.node.bakes rect{stroke-dasharray:4 3}"
    ".edge{fill:none;stroke:#888;marker-end:url(#arrow)}"
    "details{border:1px solid #ddd;border-radius:4px;margin:.3em 0;"
    "padding:.2em .6em}"
    "summary{cursor:pointer}.st{display:inline-block;min-width:7em;"
    "padding:0 .4em;border-radius:3px;margin-right:.5em;text-align:center}"
    "pre{background:#f6f6f6;padding:.6em;overflow:auto;font-size:12px}"
    ".legend span{display:inline-block;padding:0 .5em;margin-right:.3em;"
    "border:1px solid #999;border-radius:3px}";

static void
summary(struct sb *b, const struct report *r)
{
	static const char *const order[] = {
		"passed", "soft_failed", "failed", "timed_out", "skipped",
		"canceled"
	};
	size_t i, j, c;

	sb_printf(b, "<header class=\"%s\"><h1>", r->status);
	sb_text(b, r->title, 0);
	sb_puts(b, ": ");
	sb_text(b, r->status, 0);
	sb_puts(b, "</h1>\n<p>run <code>");
	sb_text(b, r->run_id, 0);
	sb_puts(b, "</code>, started ");
	sb_text(b, r->started_at, 0);
	sb_puts(b, ", took ");
	duration(b, r->duration);
	sb_printf(b, ", %zu steps, %ld job slot%s</p>\n<ul class=\"counts\">",
	    r->nsteps, r->jobs, r->jobs == 1 ? "" : "s");
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		for (j = 0, c = 0; j < r->nsteps; j++)
			c += r->steps[j].status &&
			    strcmp(r->steps[j].status, order[i]) == 0;
		if (c)
			sb_printf(b, "<li class=\"%s\" style=\"background:%s\">"
			    "%zu %s</li>", order[i], colour(order[i]), c,
			    status_words(order[i]));
	}
	sb_puts(b, "</ul></header>\n");
}

/* A round step for an axis of about 8 ticks over t seconds. */
static double
tick_step(double t)
{
	static const double steps[] = {
		0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120,
		300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400
	};
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (t / steps[i] <= 8)
			return steps[i];
	return steps[i - 1];
}

static int
by_start(const void *a, const void *b)
{
	const struct report_step *x = *(const struct report_step *const *)a;
	const struct report_step *y = *(const struct report_step *const *)b;
	double tx = x->natt ? x->att[0].t0 : 1e300;
	double ty = y->natt ? y->att[0].t0 : 1e300;

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return x < y ? -1 : x > y;
}

#define LABEL_W	260.0
#define CHART_W	820.0
#define ROW_H	22.0

static void
step_label(struct sb *b, const struct report_step *s, size_t max)
{
	sb_text(b, s->label ? s->label : s->key, max);
	if (s->bake)
		sb_puts(b, " [bake]");
}

/* The waterfall: a row per step, a bar per attempt, by start time. */
static void
timeline(struct sb *b, const struct report *r)
{
	const struct report_step **v = calloc(r->nsteps + 1, sizeof(*v));
	double T = r->duration, step, t, x, w, y;
	size_t i, j;

	if (!v) {
		b->oom = true;
		return;
	}
	for (i = 0; i < r->nsteps; i++) {
		v[i] = &r->steps[i];
		for (j = 0; j < v[i]->natt; j++)
			if (v[i]->att[j].t1 > T)
				T = v[i]->att[j].t1;
	}
	if (T <= 0)
		T = 0.001;
	qsort(v, r->nsteps, sizeof(*v), by_start);
	sb_printf(b, "<section id=\"timeline\"><h2>Timeline</h2>\n<svg "
	    "xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
	    "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n<defs><pattern "
	    "id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
	    "patternTransform=\"rotate(45)\"><line x1=\"0\" y1=\"0\" x2=\"0\" "
	    "y2=\"6\" stroke=\"#0004\" stroke-width=\"2\"/></pattern></defs>\n"
	    "<g class=\"axis\">", LABEL_W + CHART_W + 70, (r->nsteps + 1) *
	    ROW_H + 10, LABEL_W + CHART_W + 70, (r->nsteps + 1) * ROW_H + 10);
	step = tick_step(T);
	for (t = 0; t <= T + step / 2; t += step) {
		x = LABEL_W + t / T * CHART_W;
		sb_printf(b, "<line x1=\"%.1f\" y1=\"16\" x2=\"%.1f\" "
		    "y2=\"%.0f\"/><text x=\"%.1f\" y=\"12\">", x, x,
		    (r->nsteps + 1) * ROW_H + 4, x - 6);
		/* ticks closer than 0.1s need the hundredths to differ */
		if (step < 0.1)
			sb_printf(b, "%.2fs", t);
		else
			duration(b, t);
		sb_puts(b, "</text>");
	}
	sb_puts(b, "</g>\n");
	for (i = 0; i < r->nsteps; i++) {
		const struct report_step *s = v[i];

		y = (i + 1) * ROW_H;
		sb_puts(b, "<g class=\"row\" data-key=\"");
		sb_text(b, s->key, 0);
		sb_printf(b, "\" data-status=\"%s\"><text x=\"4\" y=\"%.0f\">",
		    s->status ? s->status : "", y + 15);
		step_label(b, s, 34);
		sb_puts(b, "</text>");
		for (j = 0; j < s->natt; j++) {
			const struct report_attempt *a = &s->att[j];

			x = LABEL_W + a->t0 / T * CHART_W;
			w = (a->t1 - a->t0) / T * CHART_W;
			if (w < 2)
				w = 2;
			sb_printf(b, "<rect class=\"bar%s\" x=\"%.1f\" y=\"%.0f\" "
			    "width=\"%.1f\" height=\"%.0f\" fill=\"%s\"><title>",
			    s->bake ? " bake" : "", x, y + 3, w, ROW_H - 6,
			    colour(a->status));
			step_label(b, s, 0);
			sb_printf(b, ", attempt %d: %s, ", a->attempt,
			    status_words(a->status));
			duration(b, a->t1 - a->t0);
			sb_printf(b, " from ");
			duration(b, a->t0);
			sb_printf(b, ", slot %u</title></rect>", a->slot + 1);
			if (s->bake)
				sb_printf(b, "<rect x=\"%.1f\" y=\"%.0f\" "
				    "width=\"%.1f\" height=\"%.0f\" "
				    "fill=\"url(#hatch)\"/>", x, y + 3, w,
				    ROW_H - 6);
		}
		x = s->natt ? LABEL_W + s->att[s->natt - 1].t1 / T * CHART_W +
		    6 : LABEL_W + 4;
		sb_printf(b, "<text class=\"status\" x=\"%.1f\" y=\"%.0f\">%s",
		    x, y + 15, status_words(s->status));
		if (s->natt > 1)
			sb_printf(b, " (%zu attempts)", s->natt);
		sb_puts(b, "</text></g>\n");
	}
	sb_puts(b, "</svg>\n<p class=\"legend\">");
	for (i = 0; i < 6; i++) {
		static const char *const st[] = { "passed", "soft_failed",
		    "failed", "timed_out", "skipped", "canceled" };

		sb_printf(b, "<span style=\"background:%s\">%s</span>",
		    colour(st[i]), status_words(st[i]));
	}
	sb_puts(b, " hatched bars are bakes</p></section>\n");
	free(v);
}

#define NODE_W	180.0
#define NODE_H	34.0
#define COL_GAP	60.0
#define ROW_GAP	14.0

struct layout {
	uint32_t *rank, *row;
	uint32_t nranks, nrows;
};

struct placed {
	double key;		/* the mean row of its predecessors */
	uint32_t i;
};

static int
by_key(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* A topological order of the steps in order[] (Kahn's, through the
 * successors); steps on a cycle, which a run cannot have, at the end. */
static int
topo_order(const struct report *r, uint32_t *order)
{
	size_t n = r->nsteps, i, j, head = 0, tail = 0, ne = 0;
	uint32_t *indeg = calloc(n + 1, sizeof(*indeg));
	uint32_t *start = calloc(n + 2, sizeof(*start)), *succ = NULL;

	if (!indeg || !start)
		goto fail;
	for (i = 0; i < n; i++)
		for (j = 0; j < r->steps[i].npreds; j++)
			if (r->steps[i].preds[j] < n) {
				start[r->steps[i].preds[j] + 1]++;
				indeg[i]++;
				ne++;
			}
	for (i = 0; i < n; i++)
		start[i + 1] += start[i];
	if (!(succ = calloc(ne + 1, sizeof(*succ))))
		goto fail;
	for (i = 0; i < n; i++)
		for (j = 0; j < r->steps[i].npreds; j++)
			if (r->steps[i].preds[j] < n)
				succ[start[r->steps[i].preds[j]]++] =
				    (uint32_t)i;
	/* filling moved each start[u] to u's end: shift them back */
	for (i = n; i > 0; i--)
		start[i] = start[i - 1];
	start[0] = 0;
	for (i = 0; i < n; i++)
		if (indeg[i] == 0)
			order[tail++] = (uint32_t)i;
	while (head < tail) {
		uint32_t u = order[head++];

		for (j = start[u]; j < start[u + 1]; j++)
			if (--indeg[succ[j]] == 0)
				order[tail++] = succ[j];
	}
	for (i = 0; i < n; i++)
		if (indeg[i] > 0)
			order[tail++] = (uint32_t)i;
	free(indeg);
	free(start);
	free(succ);
	return 0;
fail:
	free(indeg);
	free(start);
	free(succ);
	return -1;
}

/* Columns by longest path, rows by the mean row of the predecessors. */
static int
layout(const struct report *r, struct layout *L)
{
	size_t n = r->nsteps, i, j, k, m, *first = NULL;
	uint32_t *order = calloc(n + 1, sizeof(*order));
	struct placed *col = calloc(n + 1, sizeof(*col));
	int ret = -1;

	L->rank = calloc(n + 1, sizeof(*L->rank));
	L->row = calloc(n + 1, sizeof(*L->row));
	if (!order || !col || !L->rank || !L->row || topo_order(r, order) < 0)
		goto out;
	L->nranks = 0;
	for (k = 0; k < n; k++) {
		const struct report_step *s = &r->steps[order[k]];

		for (j = 0; j < s->npreds; j++)
			if (s->preds[j] < n && L->rank[s->preds[j]] + 1 >
			    L->rank[order[k]])
				L->rank[order[k]] = L->rank[s->preds[j]] + 1;
		if (L->rank[order[k]] + 1 > L->nranks)
			L->nranks = L->rank[order[k]] + 1;
	}
	/* the steps by column, in topological order within each */
	if (!(first = calloc(L->nranks + 2, sizeof(*first))))
		goto out;
	for (i = 0; i < n; i++)
		first[L->rank[i] + 1]++;
	for (k = 0; k < L->nranks; k++)
		first[k + 1] += first[k];
	for (i = 0; i < n; i++)
		col[first[L->rank[order[i]]]++].i = order[i];
	/* rows, a column at a time: first[k] is now where column k ends */
	L->nrows = 0;
	for (k = 0, i = 0; k < L->nranks; k++) {
		size_t end = first[k];

		for (m = i; m < end; m++) {
			const struct report_step *s = &r->steps[col[m].i];
			double sum = 0;
			size_t np = 0;

			for (j = 0; j < s->npreds; j++)
				if (s->preds[j] < n &&
				    L->rank[s->preds[j]] < k) {
					sum += L->row[s->preds[j]];
					np++;
				}
			col[m].key = np ? sum / (double)np : (double)(m - i);
		}
		qsort(col + i, end - i, sizeof(*col), by_key);
		for (m = i; m < end; m++)
			L->row[col[m].i] = (uint32_t)(m - i);
		if (end - i > L->nrows)
			L->nrows = (uint32_t)(end - i);
		i = end;
	}
	ret = 0;
out:
	free(order);
	free(col);
	free(first);
	return ret;
}

static void
graph(struct sb *b, const struct report *r)
{
	struct layout L = { NULL, NULL, 0, 0 };
	double W, H, x, y, x0, y0;
	size_t i, j;

	if (layout(r, &L) < 0) {
		b->oom = true;
		goto out;
	}
	W = L.nranks * (NODE_W + COL_GAP) + 20;
	H = L.nrows * (NODE_H + ROW_GAP) + 20;
	sb_printf(b, "<section id=\"graph\"><h2>Graph</h2>\n<svg xmlns="
	    "\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	    "viewBox=\"0 0 %.0f %.0f\">\n<defs><marker id=\"arrow\" "
	    "viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
	    "markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0L10,5L0,10z\" "
	    "fill=\"#888\"/></marker></defs>\n", W, H, W, H);
	for (i = 0; i < r->nsteps; i++)
		for (j = 0; j < r->steps[i].npreds; j++) {
			uint32_t p = r->steps[i].preds[j];

			if (p >= r->nsteps)
				continue;
			x0 = 10 + L.rank[p] * (NODE_W + COL_GAP) + NODE_W;
			y0 = 10 + L.row[p] * (NODE_H + ROW_GAP) + NODE_H / 2;
			x = 10 + L.rank[i] * (NODE_W + COL_GAP);
			y = 10 + L.row[i] * (NODE_H + ROW_GAP) + NODE_H / 2;
			sb_printf(b, "<path class=\"edge\" d=\"M%.0f,%.0f "
			    "C%.0f,%.0f %.0f,%.0f %.0f,%.0f\"/>\n", x0, y0,
			    x0 + COL_GAP / 2, y0, x - COL_GAP / 2, y, x - 1, y);
		}
	for (i = 0; i < r->nsteps; i++) {
		const struct report_step *s = &r->steps[i];

		x = 10 + L.rank[i] * (NODE_W + COL_GAP);
		y = 10 + L.row[i] * (NODE_H + ROW_GAP);
		sb_printf(b, "<g class=\"node%s\" data-key=\"", s->bake ?
		    " bakes" : "");
		sb_text(b, s->key, 0);
		sb_printf(b, "\" data-status=\"%s\"><title>", s->status ?
		    s->status : "");
		sb_text(b, s->key, 0);
		sb_printf(b, ": %s</title><rect x=\"%.0f\" y=\"%.0f\" "
		    "width=\"%.0f\" height=\"%.0f\" rx=\"4\" fill=\"%s\"/>"
		    "<text x=\"%.0f\" y=\"%.0f\">", status_words(s->status),
		    x, y, NODE_W, NODE_H, colour(s->status), x + 8,
		    y + NODE_H / 2 + 4);
		step_label(b, s, 22);
		sb_puts(b, "</text></g>\n");
	}
	sb_puts(b, "</svg></section>\n");
out:
	free(L.rank);
	free(L.row);
}

/* Each step's excerpt, collapsed; the failures first. */
static void
details(struct sb *b, const struct report *r)
{
	size_t i, pass;

	sb_puts(b, "<section id=\"steps\"><h2>Steps</h2>\n");
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < r->nsteps; i++) {
			const struct report_step *s = &r->steps[i];
			bool bad = s->how != NULL;
			double d = 0;
			size_t j;

			if (bad != (pass == 0))
				continue;
			for (j = 0; j < s->natt; j++)
				d += s->att[j].t1 - s->att[j].t0;
			sb_puts(b, "<details class=\"step\" data-key=\"");
			sb_text(b, s->key, 0);
			sb_printf(b, "\"><summary><span class=\"st\" style=\""
			    "background:%s\">%s</span>", colour(s->status),
			    status_words(s->status));
			step_label(b, s, 0);
			if (s->how) {
				sb_puts(b, " (");
				sb_text(b, s->how, 0);
				sb_puts(b, ")");
			}
			if (s->natt) {
				sb_puts(b, ", ");
				duration(b, d);
			}
			if (s->natt > 1)
				sb_printf(b, ", %zu attempts", s->natt);
			sb_puts(b, "</summary>\n");
			if (s->excerpt && *s->excerpt) {
				sb_puts(b, "<pre>");
				sb_text(b, s->excerpt, 0);
				sb_puts(b, "</pre>\n");
			} else {
				sb_puts(b, "<p>no output</p>\n");
			}
			if (s->log) {
				sb_puts(b, "<p>log: <code>");
				sb_text(b, s->log, 0);
				sb_puts(b, "</code></p>\n");
			}
			sb_puts(b, "</details>\n");
		}
	sb_puts(b, "</section>\n");
}

char *
report_html(const struct report *r, size_t *len)
{
	struct sb b = { NULL, 0, 0, false };

	sb_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	    "charset=\"utf-8\">\n<meta name=\"viewport\" content=\""
	    "width=device-width\">\n<title>");
	sb_text(&b, r->title, 0);
	sb_puts(&b, ": ");
	sb_text(&b, r->status, 0);
	sb_puts(&b, "</title>\n<style>");
	sb_puts(&b, css);
	sb_puts(&b, "</style></head>\n<body>\n");
	summary(&b, r);
	timeline(&b, r);
	graph(&b, r);
	details(&b, r);
	sb_puts(&b, "</body></html>\n");
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	*len = b.n;
	return b.s;
}

static void
num(struct jsonw *w, const char *fmt, double v)
{
	char t[64];
	int n = snprintf(t, sizeof(t), fmt, v);

	jsonw_num(w, t, (size_t)n);
}

static void
meta(struct jsonw *w, const char *what, long tid, const char *name)
{
	jsonw_obj_begin(w);
	JSONW_FIELD(w, "name");
	jsonw_str(w, what);
	JSONW_FIELD(w, "ph");
	jsonw_str(w, "M");
	JSONW_FIELD(w, "pid");
	jsonw_int(w, 1);
	JSONW_FIELD(w, "tid");
	jsonw_int(w, tid);
	JSONW_FIELD(w, "args");
	jsonw_obj_begin(w);
	JSONW_FIELD(w, "name");
	jsonw_str(w, name);
	jsonw_obj_end(w);
	jsonw_obj_end(w);
}

char *
report_trace(const struct report *r, size_t *len)
{
	struct jsonw w;
	char *out = NULL, name[64];
	size_t i, j;
	long slot;

	jsonw_init(&w, -1, 0);
	jsonw_obj_begin(&w);
	JSONW_FIELD(&w, "traceEvents");
	jsonw_arr_begin(&w);
	snprintf(name, sizeof(name), "hm-exec %s", r->run_id ? r->run_id : "");
	meta(&w, "process_name", 0, name);
	for (slot = 0; slot < r->jobs; slot++) {
		snprintf(name, sizeof(name), "slot %ld", slot + 1);
		meta(&w, "thread_name", slot + 1, name);
	}
	for (i = 0; i < r->nsteps; i++) {
		const struct report_step *s = &r->steps[i];

		for (j = 0; j < s->natt; j++) {
			const struct report_attempt *a = &s->att[j];

			jsonw_obj_begin(&w);
			JSONW_FIELD(&w, "name");
			jsonw_str(&w, s->label ? s->label : s->key);
			JSONW_FIELD(&w, "cat");
			jsonw_str(&w, s->bake ? "bake" : "command");
			JSONW_FIELD(&w, "ph");
			jsonw_str(&w, "X");
			JSONW_FIELD(&w, "ts");
			num(&w, "%.0f", a->t0 * 1e6);
			JSONW_FIELD(&w, "dur");
			num(&w, "%.0f", (a->t1 - a->t0) * 1e6);
			JSONW_FIELD(&w, "pid");
			jsonw_int(&w, 1);
			JSONW_FIELD(&w, "tid");
			jsonw_int(&w, (long long)a->slot + 1);
			JSONW_FIELD(&w, "args");
			jsonw_obj_begin(&w);
			JSONW_FIELD(&w, "key");
			jsonw_str(&w, s->key);
			JSONW_FIELD(&w, "attempt");
			jsonw_int(&w, a->attempt);
			JSONW_FIELD(&w, "status");
			jsonw_str(&w, a->status ? a->status : "");
			jsonw_obj_end(&w);
			jsonw_obj_end(&w);
		}
	}
	jsonw_arr_end(&w);
	JSONW_FIELD(&w, "displayTimeUnit");
	jsonw_str(&w, "ms");
	JSONW_FIELD(&w, "otherData");
	jsonw_obj_begin(&w);
	JSONW_FIELD(&w, "run_id");
	jsonw_str(&w, r->run_id ? r->run_id : "");
	JSONW_FIELD(&w, "status");
	jsonw_str(&w, r->status ? r->status : "");
	jsonw_obj_end(&w);
	jsonw_obj_end(&w);
	jsonw_newline(&w);
	if (jsonw_finish(&w, &out, len) < 0) {
		free(out);
		return NULL;
	}
	return out;
}
