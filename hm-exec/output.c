/* hm: what people see: whole-step output, -v lines, status line, summary. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "esc.h"
#include "exec.h"
#include "file.h"
#include "tool.h"

/*
 * Output is spilled to the step's log as it arrives and only a bounded
 * tail stays in memory; the whole output is printed when the step ends
 * by copying it back from the log, so a step printing 100 MB costs a
 * fixed amount of memory and parallel steps never interleave. The status
 * line follows ninja's smart terminal: only on a terminal with TERM set
 * and not "dumb", "\r", elided to the width, then "ESC[K".
 */
#define C_RED	"\033[31m"
#define C_GREEN	"\033[32m"
#define C_YEL	"\033[33m"
#define C_DIM	"\033[2m"
#define C_OFF	"\033[0m"

const char *
st_name(enum st s)
{
	switch (s) {
	case ST_WAITING:	return "waiting";
	case ST_READY:		return "ready";
	case ST_RUNNING:	return "running";
	case ST_PASSED:		return "passed";
	case ST_SOFT_FAILED:	return "soft_failed";
	case ST_FAILED:		return "failed";
	case ST_SKIPPED:	return "skipped";
	case ST_CANCELED:	return "canceled";
	case ST_DIRTY:		return "released";
	}
	return "?";
}

const char *
rec_status(const struct srec *rec)
{
	if (rec->status == ST_FAILED && rec->timed_out)
		return "timed_out";
	return st_name(rec->status);
}

char *
log_file(const struct run *r, const char *key, const char *suffix)
{
	size_t dl = strlen(r->log_dir), kl = strlen(key), sl = strlen(suffix);
	char *s = xmalloc(dl + kl + sl + 2), *p;

	memcpy(s, r->log_dir, dl);
	s[dl] = '/';
	memcpy(s + dl + 1, key, kl);
	memcpy(s + dl + 1 + kl, suffix, sl + 1);
	/* '/' never reaches the file system: keys may hold ".." segments */
	for (p = s + dl + 1; p < s + dl + 1 + kl; p++)
		if (*p == '/')
			*p = '%';
	return s;
}

int
write_atomic(const char *path, const char *data, size_t n)
{
	return file_write_atomic(path, data, n);	/* file.h */
}

void
out_init(struct run *r)
{
	const char *term = getenv("TERM");
	int fd = fileno(r->out);
	struct winsize ws;

	r->smart = isatty(fd) && term && *term && strcmp(term, "dumb") != 0;
	r->colour = isatty(fd) && !getenv("NO_COLOR");
	r->cols = 80;
	if (r->smart && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		r->cols = ws.ws_col;
}

/*
 * A write error on a log (a full disk) keeps the output flowing to the
 * terminal and fails the run with 74 at the end; the log is closed.
 */
static void
log_write(struct run *r, struct job *j, const char *buf, size_t n)
{
	if (j->logfd < 0 || file_write_fd(j->logfd, buf, n) == 0)
		return;
	if (!r->log_errno) {
		r->log_errno = errno;
		warnf("cannot write log '%s':", j->rec->log_path);
	}
	close(j->logfd);
	j->logfd = -1;
}

static void
tail_add(struct job *j, const char *buf, size_t n)
{
	size_t k;

	if (n >= TAIL_SIZE) {
		memcpy(j->tail, buf + n - TAIL_SIZE, TAIL_SIZE);
		j->tpos = 0;
		j->twrapped = true;
		return;
	}
	while (n > 0) {
		k = TAIL_SIZE - j->tpos;
		if (k > n)
			k = n;
		memcpy(j->tail + j->tpos, buf, k);
		j->tpos += k;
		buf += k;
		n -= k;
		if (j->tpos == TAIL_SIZE) {
			j->tpos = 0;
			j->twrapped = true;
		}
	}
}

void
out_status_clear(struct run *r)
{
	if (r->smart && r->status_shown) {
		fputs("\r\033[K", r->out);
		r->status_shown = false;
	}
}

/* -v: a whole line (or a piece of a very long one) with its label. */
static void
vline_flush(struct run *r, struct job *j)
{
	out_status_clear(r);
	if (r->colour)
		fprintf(r->out, C_DIM "%s|" C_OFF " %.*s\n", j->rec->label,
		    (int)j->nvline, j->vline);
	else
		fprintf(r->out, "%s| %.*s\n", j->rec->label, (int)j->nvline,
		    j->vline);
	j->nvline = 0;
}

/* Open (create) the step's log at its first output. */
static void
log_open(struct job *j)
{
	if (!j->log_pending)
		return;
	j->log_pending = false;
	/* 0600, never through a symbolic link (file.h) */
	j->logfd = file_open_log(j->rec->log_path);
	if (j->logfd < 0) {
		warnf("cannot open log '%s':", j->rec->log_path);
		return;
	}
	j->rec->log_written = true;
	j->log_start = lseek(j->logfd, 0, SEEK_END);
}

struct mask *
out_mask_new(const struct srec *rec)
{
	const struct ir_strlist *l = &ir_more(rec->step)->secret_env;
	const char **v;
	struct mask *m;
	uint32_t i, n = 0;

	if (!l->n)
		return NULL;
	v = xcalloc(l->n, sizeof(*v));
	for (i = 0; i < l->n; i++)
		if (getenv(l->v[i]))
			v[n++] = getenv(l->v[i]);
	m = mask_new(v, n);
	free(v);
	if (!m)
		dief(EXIT_SOFTWARE, "out of memory");
	return m;
}

struct masked {
	struct run *r;
	struct job *j;
};

static void out_data_masked(void *ctx, const char *buf, size_t n);

/*
 * A step's output: its secret values masked first (mask.h), before the
 * log, the tail, -v lines or anything else sees it.
 */
void
out_data(struct run *r, struct job *j, const char *buf, size_t n)
{
	struct masked c = { r, j };

	if (j->mask)
		mask_write(j->mask, &j->ms, buf, n, out_data_masked, &c);
	else
		out_data_masked(&c, buf, n);
}

static void
out_data_masked(void *ctx, const char *buf, size_t n)
{
	struct run *r = ((struct masked *)ctx)->r;
	struct job *j = ((struct masked *)ctx)->j;
	size_t i;

	log_open(j);
	log_write(r, j, buf, n);
	j->nout += n;
	tail_add(j, buf, n);
	if (!r->o.verbose)
		return;
	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			vline_flush(r, j);
			continue;
		}
		if (j->nvline == VLINE_SIZE)
			vline_flush(r, j);
		j->vline[j->nvline++] = buf[i];
	}
	fflush(r->out);
}

void
out_log_line(struct job *j, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	log_open(j);
	if (j->logfd >= 0)
		file_write_fd(j->logfd, buf, (size_t)n);
	j->nout += (size_t)n;
	tail_add(j, buf, (size_t)n);
}

/* The last TAIL_LINES lines of the ring, as a new string. */
static char *
tail_lines(const struct job *j)
{
	size_t n = j->twrapped ? TAIL_SIZE : j->tpos, i, lines = 0;
	char *s = xmalloc(n + 1);

	if (j->twrapped) {
		memcpy(s, j->tail + j->tpos, TAIL_SIZE - j->tpos);
		memcpy(s + TAIL_SIZE - j->tpos, j->tail, j->tpos);
	} else {
		memcpy(s, j->tail, n);
	}
	s[n] = '\0';
	while (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	for (i = n; i > 0; i--) {
		if (s[i - 1] == '\n' && ++lines == TAIL_LINES) {
			memmove(s, s + i, n - i + 1);
			break;
		}
	}
	return s;
}

static const char *
sig_name(int sig)
{
	switch (sig) {
	case SIGHUP:	return "HUP";
	case SIGINT:	return "INT";
	case SIGQUIT:	return "QUIT";
	case SIGABRT:	return "ABRT";
	case SIGKILL:	return "KILL";
	case SIGSEGV:	return "SEGV";
	case SIGPIPE:	return "PIPE";
	case SIGTERM:	return "TERM";
	}
	return NULL;
}

/* "exit status 2", "signal KILL", "timed out after 5s": how it ended. */
static void
how_ended(const struct srec *rec, char *buf, size_t len)
{
	const char *sn;

	if (rec->timed_out)
		snprintf(buf, len, "timed out after %llds",
		    (long long)rec->step->timeout_seconds);
	else if (rec->reason)
		snprintf(buf, len, "%s", rec->reason);
	else if (rec->signo && (sn = sig_name(rec->signo)))
		snprintf(buf, len, "signal %s", sn);
	else if (rec->signo)
		snprintf(buf, len, "signal %d", rec->signo);
	else
		snprintf(buf, len, "exit status %d", rec->exit_code);
}

static void
copy_log(struct run *r, const struct srec *rec, off_t from)
{
	char buf[65536];
	ssize_t n;
	bool nl = true;
	int fd = open(rec->log_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (lseek(fd, from, SEEK_SET) < 0) {
		close(fd);
		return;
	}
	fflush(r->out);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)n, r->out);
		nl = buf[n - 1] == '\n';
	}
	if (!nl)
		fputc('\n', r->out);
	close(fd);
}

void
out_finished(struct run *r, struct srec *rec, struct job *j)
{
	const char *col = "", *off = r->colour ? C_OFF : "";
	char how[600], dur[32] = "";
	const char *what = rec_status(rec);

	if (j && j->mask) {
		struct masked c = { r, j };

		mask_flush(j->mask, &j->ms, out_data_masked, &c);
		mask_free(j->mask);
		j->mask = NULL;
	}
	if (j) {
		/* a failure names its log: make sure there is one */
		if (rec->status != ST_PASSED)
			log_open(j);
		free(rec->tail);
		rec->tail = tail_lines(j);
		if (r->o.verbose && j->nvline)
			vline_flush(r, j);
	}
	out_status_clear(r);
	if (r->colour)
		col = rec->status == ST_PASSED ? C_GREEN :
		    rec->status == ST_SOFT_FAILED ? C_YEL :
		    rec->status == ST_FAILED ? C_RED : C_DIM;
	if (rec->status == ST_SOFT_FAILED)
		what = "soft-failed";
	else if (rec->status == ST_FAILED && rec->timed_out)
		what = "timed-out";
	how[0] = '\0';
	if (j && rec->status != ST_PASSED) {
		char h[512];

		how_ended(rec, h, sizeof(h));
		snprintf(how, sizeof(how), " (%s%s)", h, rec->will_retry ?
		    ", will retry" : "");
	}
	if (j)
		snprintf(dur, sizeof(dur), ", %.2fs", rec->t_end - rec->t_start);
	fprintf(r->out, "%s---%s %s%s: %s%s%s%s%s", col, off, rec->label,
	    rec->dynamic ? " [bake]" : "", col, what, off, how, dur);
	if (rec->attempt > 1)
		fprintf(r->out, " [attempt %d]", rec->attempt);
	fputc('\n', r->out);
	if (j && !r->o.verbose && j->nout > 0)
		copy_log(r, rec, j->log_start);
	fflush(r->out);
}

void
out_status(struct run *r)
{
	char line[1024];
	size_t total, done, len;
	long i;
	bool first = true;

	if (!r->smart)
		return;
	plan_counts(r, &total, &done);
	len = (size_t)snprintf(line, sizeof(line), "[%zu/%zu] running:", done,
	    total);
	for (i = 0; i < r->o.jobs && len < sizeof(line) - 1; i++) {
		if (!r->jobs[i].rec)
			continue;
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s %s",
		    first ? "" : ",", r->jobs[i].rec->label);
		first = false;
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
	}
	/* elide to the width; the last column stays free (no wrap) */
	if (r->cols > 4 && len > (size_t)r->cols - 1) {
		len = (size_t)r->cols - 4;
		memcpy(line + len, "...", 4);
		len += 3;
	}
	fprintf(r->out, "\r%.*s\033[K", (int)len, line);
	fflush(r->out);
	r->status_shown = true;
}

static int
slower(const void *a, const void *b)
{
	const struct srec *x = *(const struct srec *const *)a;
	const struct srec *y = *(const struct srec *const *)b;
	double dx = x->t_end - x->t_start, dy = y->t_end - y->t_start;

	return dx < dy ? 1 : dx > dy ? -1 : 0;
}

void
out_summary(struct run *r)
{
	size_t i, n = 0, c[ST_CANCELED + 1] = { 0 };
	struct srec **ran = xcalloc(r->nrecs + 1, sizeof(*ran));
	FILE *f = r->out;

	for (i = 0; i < r->nrecs; i++) {
		struct srec *s = r->recs[i];

		if (!ST_FINAL(s->status))
			continue;
		c[s->status]++;
		if (s->attempt > 0)
			ran[n++] = s;
	}
	fprintf(f, "hm-exec: %zu passed, %zu failed, %zu soft-failed, "
	    "%zu skipped", c[ST_PASSED], c[ST_FAILED], c[ST_SOFT_FAILED],
	    c[ST_SKIPPED]);
	if (c[ST_CANCELED])
		fprintf(f, ", %zu canceled", c[ST_CANCELED]);
	fprintf(f, " in %.2fs\n", now() - r->t0);
	if (n > 0) {
		qsort(ran, n, sizeof(*ran), slower);
		fprintf(f, "slowest:");
		for (i = 0; i < n && i < 5; i++)
			fprintf(f, "%s %s %.2fs", i ? "," : "", ran[i]->label,
			    ran[i]->t_end - ran[i]->t_start);
		fputc('\n', f);
	}
	for (i = 0; i < r->nrecs; i++) {
		struct srec *s = r->recs[i];
		char how[512];
		const char *p, *q;

		if (s->status != ST_FAILED && s->status != ST_SOFT_FAILED)
			continue;
		how_ended(s, how, sizeof(how));
		fprintf(f, "%s %s (%s), log %s\n", s->status == ST_FAILED ?
		    "failed:" : "soft-failed:", s->key, how, s->log_path ?
		    s->log_path : "-");
		for (p = s->tail; p && *p; p = q) {
			q = strchr(p, '\n');
			q = q ? q + 1 : p + strlen(p);
			fprintf(f, "    %.*s\n", (int)(q - p - (q[-1] == '\n')),
			    p);
		}
	}
	if (r->interrupted)
		fprintf(f, "hm-exec: interrupted by SIG%s\n",
		    sig_name(r->interrupted) ? sig_name(r->interrupted) : "?");
	free(ran);
	fflush(f);
}
