/* hm: the --junit sink: one testcase per step, failures with their excerpt. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "file.h"
#include "proc.h"
#include "sink.h"
#include "tool.h"
#include "version.h"

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
			k = esc_utf8_seq((const char *)p, n);
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

/* An attempt that failed and was retried: a flaky or rerun failure. */
struct retried {
	const struct step *s;
	char *msg;
	bool timed_out;
};

struct junit {
	const char *path;	/* borrowed */
	struct retried *v;
	size_t n, cap;
};

void *
sink_junit_new(const char *path)
{
	struct junit *j = xcalloc(1, sizeof(*j));

	j->path = path;
	return j;
}

/* How s's last attempt ended, for a message. */
static void
how_ended(const struct step *s, char *msg, size_t len)
{
	if (s->timed_out)
		snprintf(msg, len, "timed out after %llds",
		    (long long)s->ir->timeout_seconds);
	else if (s->reason)
		snprintf(msg, len, "%s", s->reason);
	else if (s->signo)
		snprintf(msg, len, "killed by signal %d", s->signo);
	else
		snprintf(msg, len, "exit status %d", s->exit_code);
}

static void
junit_step_finished(struct sink *k, struct step *s, bool ran)
{
	struct junit *j = k->state;
	char msg[600], *m;
	size_t n;

	if (!ran || !s->will_retry)
		return;
	how_ended(s, msg, sizeof(msg));
	n = strlen(msg) + 32;
	m = xmalloc(n);
	snprintf(m, n, "attempt %d: %s", s->attempt, msg);
	if (j->n == j->cap) {
		j->cap = 2 * j->cap + 8;
		j->v = xreallocarray(j->v, j->cap, sizeof(*j->v));
	}
	j->v[j->n].s = s;
	j->v[j->n].msg = m;
	j->v[j->n++].timed_out = s->timed_out;
}

/*
 * Whether s is a test: every step that ran or was meant to, but not a
 * dynamic placeholder whose bake succeeded (its steps are the tests;
 * a bake that failed is one) nor one never baked.
 */
static bool
is_test(const struct step *s)
{
	if (!ST_FINAL(s->status))
		return false;
	if (s->dynamic)
		return s->status == ST_FAILED || s->status == ST_SOFT_FAILED;
	return true;
}

/* A step interrupted while it ran: canceled, with an attempt begun. */
static bool
interrupted(const struct sink_run *r, const struct step *s)
{
	return r->interrupted && s->status == ST_CANCELED && s->attempt > 0;
}

/*
 * The classname: the pipeline, then the groups the step is in, dotted
 * ("ci.checks.unit" for "checks/unit/a"), so that CI servers group the
 * steps as the pipeline does; a replica is in its step's groups.
 */
static void
classname(struct buf *b, const struct sink_run *r, const struct step *s)
{
	const char *at = strchr(s->key, '@'), *end, *p;
	char *c;

	buf_xml(b, r->doc && r->doc->source_pipeline ?
	    r->doc->source_pipeline : "hm");
	end = at ? at : s->key + strlen(s->key);
	for (p = end; p > s->key && p[-1] != '/'; p--)
		;
	if (p == s->key)
		return;
	c = xmalloc((size_t)(p - s->key) + 1);
	memcpy(c, s->key, (size_t)(p - s->key - 1));
	c[p - s->key - 1] = '\0';
	for (p = c; *p; p++)
		if (*p == '/')
			c[p - c] = '.';
	buf_add(b, ".", 1);
	buf_xml(b, c);
	free(c);
}

/* The earlier attempts of s that failed, as rerun elements. */
static void
reruns(struct buf *b, const struct junit *j, const struct step *s,
    const char *elem)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		if (j->v[i].s != s)
			continue;
		buf_printf(b, "      <%s type=\"%s\" message=\"", elem,
		    j->v[i].timed_out ? "timeout" : "failed");
		buf_xml(b, j->v[i].msg);
		buf_printf(b, "\"/>\n");
	}
}

static int
junit_write(const struct junit *j, const struct sink_run *r)
{
	struct buf b = { NULL, 0, 0 };
	size_t i, tests = 0, fail = 0, skip = 0, err = 0;
	double took = proc_now() - r->t0;
	int ret;

	for (i = 0; i < r->plan->nsteps; i++) {
		const struct step *s = r->plan->steps[i];

		if (!is_test(s))
			continue;
		tests++;
		fail += s->status == ST_FAILED;
		err += interrupted(r, s);
		skip += (s->status == ST_SKIPPED || s->status == ST_CANCELED) &&
		    !interrupted(r, s);
	}
	buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	/* skipped is the testsuite's: Jenkins' schema has none here */
	buf_printf(&b, "<testsuites name=\"hm-exec\" tests=\"%zu\" failures="
	    "\"%zu\" errors=\"%zu\" time=\"%.3f\">\n", tests, fail, err,
	    took);
	buf_printf(&b, "  <testsuite name=\"");
	buf_xml(&b, r->doc && r->doc->source_pipeline ?
	    r->doc->source_pipeline : "hm-exec");
	buf_printf(&b, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
	    "skipped=\"%zu\" time=\"%.3f\" timestamp=\"%s\">\n", tests, fail,
	    err, skip, took, r->started_at);
	/* the version that ran, where JUnit keeps such facts */
	buf_printf(&b, "    <properties>\n      <property name=\"hm.version\" "
	    "value=\"");
	buf_xml(&b, hm_version());
	buf_printf(&b, "\"/>\n    </properties>\n");
	for (i = 0; i < r->plan->nsteps; i++) {
		const struct step *s = r->plan->steps[i];
		double t = s->attempt ? s->t_end - s->t_start : 0;
		char msg[600];

		if (!is_test(s))
			continue;
		buf_printf(&b, "    <testcase classname=\"");
		classname(&b, r, s);
		buf_printf(&b, "\" name=\"");
		buf_xml(&b, s->label);
		buf_printf(&b, "\" time=\"%.3f\"", t);
		if (s->status == ST_PASSED && s->attempt <= 1) {
			buf_printf(&b, "/>\n");
			continue;
		}
		buf_printf(&b, ">\n");
		if (s->status == ST_PASSED) {
			/* passed after a retry: flaky */
			reruns(&b, j, s, "flakyFailure");
		} else if (s->status == ST_FAILED) {
			how_ended(s, msg, sizeof(msg));
			buf_printf(&b, "      <failure type=\"%s\" message=\"",
			    s->timed_out ? "timeout" : "failed");
			buf_xml(&b, msg);
			buf_printf(&b, "\">");
			buf_xml(&b, s->tail ? s->tail : "");
			if (s->log_written) {
				buf_printf(&b, "\nlog: ");
				buf_xml(&b, s->log_path);
			}
			buf_printf(&b, "</failure>\n");
			reruns(&b, j, s, "rerunFailure");
		} else if (s->status == ST_SOFT_FAILED) {
			/* a soft failure is not a failure of the run */
			how_ended(s, msg, sizeof(msg));
			buf_printf(&b, "      <system-out>soft-failed: ");
			buf_xml(&b, msg);
			buf_printf(&b, "\n");
			buf_xml(&b, s->tail ? s->tail : "");
			if (s->log_written) {
				buf_printf(&b, "\nlog: ");
				buf_xml(&b, s->log_path);
			}
			buf_printf(&b, "</system-out>\n");
		} else if (interrupted(r, s)) {
			buf_printf(&b, "      <error type=\"interrupted\" "
			    "message=\"interrupted by signal %d\"/>\n",
			    r->interrupted);
		} else {
			buf_printf(&b, "      <skipped message=\"%s\"/>\n",
			    s->status == ST_CACHED ? "cached: the state an "
			    "earlier run stored was reused" :
			    step_status_name(s->status));
		}
		buf_printf(&b, "    </testcase>\n");
	}
	buf_printf(&b, "  </testsuite>\n</testsuites>\n");
	ret = file_write_atomic(j->path, b.s, b.n);
	free(b.s);
	return ret;
}

/* The report is written at the end. */
static int
junit_run_finished(struct sink *k, int code)
{
	const struct junit *j = k->state;

	(void)code;
	if (junit_write(j, k->run) < 0) {
		warnf("cannot write '%s':", j->path);
		return EXIT_IOERR;
	}
	return 0;
}

static void
junit_release(struct sink *k)
{
	struct junit *j = k->state;
	size_t i;

	for (i = 0; i < j->n; i++)
		free(j->v[i].msg);
	free(j->v);
	free(j);
}

const struct sink_ops sink_junit_ops = {
	.name = "junit",
	.step_finished = junit_step_finished,
	.run_finished = junit_run_finished,
	.release = junit_release,
};
