/* hm: the --junit sink: one testcase per step, failures with the tail of their log. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "proc.h"
#include "sink.h"
#include "tool.h"

struct buf {
	char *s;
	size_t n, cap;
};

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = 2 * (b->n + n + 1) + 4096;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void
buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n :
		    sizeof(tmp) - 1);
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned min, cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2; cp = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3; cp = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4; cp = s[0] & 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* XML 1.0 text: escaped, control characters and bad UTF-8 as '?'. */
static void
buf_xml(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), k;

	while (n > 0) {
		switch (*p) {
		case '&': buf_add(b, "&amp;", 5); k = 1; break;
		case '<': buf_add(b, "&lt;", 4); k = 1; break;
		case '>': buf_add(b, "&gt;", 4); k = 1; break;
		case '"': buf_add(b, "&quot;", 6); k = 1; break;
		case '\'': buf_add(b, "&apos;", 6); k = 1; break;
		default:
			k = utf8_len(p, n);
			if (k == 0 || (*p < 0x20 && *p != '\t' && *p != '\n' &&
			    *p != '\r')) {
				buf_add(b, "?", 1);
				k = 1;
			} else {
				buf_add(b, (const char *)p, k);
			}
		}
		p += k;
		n -= k;
	}
}

static int
junit_write(const struct sink_run *r, const char *path)
{
	struct buf b = { NULL, 0, 0 };
	size_t i, tests = 0, fail = 0, skip = 0;
	int ret;

	for (i = 0; i < r->plan->nsteps; i++) {
		const struct step *s = r->plan->steps[i];

		if (!ST_FINAL(s->status))
			continue;
		tests++;
		fail += s->status == ST_FAILED;
		skip += s->status == ST_SKIPPED || s->status == ST_CANCELED;
	}
	buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	buf_printf(&b, "<testsuites name=\"hm-exec\" tests=\"%zu\" failures="
	    "\"%zu\" errors=\"0\" skipped=\"%zu\" time=\"%.3f\">\n", tests,
	    fail, skip, proc_now() - r->t0);
	buf_printf(&b, "  <testsuite name=\"");
	buf_xml(&b, r->doc && r->doc->source_pipeline ?
	    r->doc->source_pipeline : "hm-exec");
	buf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
	    "skipped=\"%zu\" time=\"%.3f\" timestamp=\"%s\">\n", tests, fail,
	    skip, proc_now() - r->t0, r->started_at);
	for (i = 0; i < r->plan->nsteps; i++) {
		const struct step *s = r->plan->steps[i];
		double t = s->attempt ? s->t_end - s->t_start : 0;

		if (!ST_FINAL(s->status))
			continue;
		buf_printf(&b, "    <testcase classname=\"hm\" name=\"");
		buf_xml(&b, s->key);
		buf_printf(&b, "\" time=\"%.3f\"", t);
		if (s->status == ST_PASSED) {
			buf_printf(&b, "/>\n");
			continue;
		}
		buf_printf(&b, ">\n");
		if (s->status == ST_FAILED || s->status == ST_SOFT_FAILED) {
			char msg[600];

			if (s->timed_out)
				snprintf(msg, sizeof(msg), "timed out after "
				    "%llds", (long long)s->ir->timeout_seconds);
			else if (s->reason)
				snprintf(msg, sizeof(msg), "%s", s->reason);
			else if (s->signo)
				snprintf(msg, sizeof(msg), "killed by signal %d",
				    s->signo);
			else
				snprintf(msg, sizeof(msg), "exit status %d",
				    s->exit_code);
			/* a soft failure is not a failure of the run */
			if (s->status == ST_SOFT_FAILED)
				buf_printf(&b, "      <system-out>soft-failed: ");
			else
				buf_printf(&b, "      <failure type=\"%s\" "
				    "message=\"", s->timed_out ? "timeout" :
				    "failed");
			buf_xml(&b, msg);
			buf_printf(&b, s->status == ST_SOFT_FAILED ? "\n" :
			    "\">");
			buf_xml(&b, s->tail ? s->tail : "");
			if (s->log_written) {
				buf_printf(&b, "\nlog: ");
				buf_xml(&b, s->log_path);
			}
			buf_printf(&b, s->status == ST_SOFT_FAILED ?
			    "</system-out>\n" : "</failure>\n");
		} else {
			buf_printf(&b, "      <skipped message=\"%s\"/>\n",
			    step_status_name(s->status));
		}
		buf_printf(&b, "    </testcase>\n");
	}
	buf_printf(&b, "  </testsuite>\n</testsuites>\n");
	ret = file_write_atomic(path, b.s, b.n);
	free(b.s);
	return ret;
}

/* The report is written at the end; the state is its path. */
static int
junit_run_finished(struct sink *k, int code)
{
	const char *path = k->state;

	(void)code;
	if (junit_write(k->run, path) < 0) {
		warnf("cannot write '%s':", path);
		return EXIT_IOERR;
	}
	return 0;
}

const struct sink_ops sink_junit_ops = {
	.name = "junit",
	.run_finished = junit_run_finished,
};
