/* hm: the terminal sink: whole-step output, -v lines, the status line, the summary. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "proc.h"
#include "sink.h"
#include "tool.h"

/*
 * A step that passed is one line; one that failed is its header and the
 * excerpt of its output that explains it (sink_log.c keeps it), so that
 * a CI log shows what went wrong and nothing else (--output=failed, the
 * default, on a terminal or not). --output=all prints a step's whole
 * output when it ends, copied back from its log, so parallel steps never
 * interleave and a step printing 100 MB costs a fixed amount of memory;
 * -v streams it line by line. The status line follows ninja's smart
 * terminal: only on a terminal with TERM set and not "dumb", and neither
 * NO_COLOR nor CI set; "\r", elided to the width, then "ESC[K"; drawn
 * again only when its text changes, which the elapsed time of the
 * longest-running step, in whole seconds, does at most once a second.
 */
#define VLINE_SIZE	1024	/* -v: longest line kept before a flush */

struct term_slot {
	struct step *step;	/* running in this job slot, or NULL */
	char vline[VLINE_SIZE];	/* -v: the current partial line */
	size_t nvline;
};

struct term {
	FILE *out;		/* stdout, or stderr */
	bool smart;		/* status line */
	bool colour;
	int cols;
	bool status_shown;
	char shown[1024];	/* the status line as drawn last */
	enum term_output output;
	bool verbose;
	struct term_slot *slot;
	long jobs;
};
#define C_RED	"\033[31m"
#define C_GREEN	"\033[32m"
#define C_YEL	"\033[33m"
#define C_DIM	"\033[2m"
#define C_OFF	"\033[0m"

void *
sink_term_new(FILE *out, long jobs, enum term_output output)
{
	struct term *r = xcalloc(1, sizeof(*r));
	const char *term = getenv("TERM");
	int fd = fileno(out);
	struct winsize ws;

	r->out = out;
	r->jobs = jobs;
	r->output = output;
	r->slot = xcalloc((size_t)jobs, sizeof(*r->slot));
	r->smart = isatty(fd) && term && *term && strcmp(term, "dumb") != 0 &&
	    !getenv("NO_COLOR") && !getenv("CI");
	r->colour = isatty(fd) && !getenv("NO_COLOR");
	r->cols = 80;
	if (r->smart && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		r->cols = ws.ws_col;
	return r;
}

static void
status_clear(struct term *r)
{
	if (r->smart && r->status_shown) {
		fputs("\r\033[K", r->out);
		r->status_shown = false;
	}
}

/* -v: a whole line (or a piece of a very long one) with its label. */
static void
vline_flush(struct term *r, struct term_slot *j)
{
	status_clear(r);
	if (r->colour)
		fprintf(r->out, C_DIM "%s|" C_OFF " %.*s\n", j->step->label,
		    (int)j->nvline, j->vline);
	else
		fprintf(r->out, "%s| %.*s\n", j->step->label, (int)j->nvline,
		    j->vline);
	j->nvline = 0;
}

static void
term_step_started(struct sink *k, struct step *s)
{
	struct term *r = k->state;

	r->slot[s->slot].step = s;
	r->slot[s->slot].nvline = 0;
}

static void
term_step_output(struct sink *k, struct step *s, const char *buf, size_t n)
{
	struct term *r = k->state;
	struct term_slot *j = &r->slot[s->slot];
	size_t i;

	if (!k->run->verbose)
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

/* "12.3s", "1m12s", "2h05m": a duration as people read it. */
static void
dur_text(double t, char *buf, size_t len)
{
	long s = (long)t;

	if (t < 60)
		snprintf(buf, len, "%.1fs", t);
	else if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(buf, len, "%ldh%02ldm", s / 3600, s % 3600 / 60);
}

/* "exit status 2", "signal KILL", "timed out after 5s": how it ended. */
static void
how_ended(const struct step *rec, char *buf, size_t len)
{
	const char *sn;

	if (rec->timed_out)
		snprintf(buf, len, "timed out after %llds",
		    (long long)rec->ir->timeout_seconds);
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
copy_log(struct term *r, const struct step *rec, off_t from)
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

static void
term_step_finished(struct sink *k, struct step *rec, bool j)
{
	struct term *r = k->state;
	const char *col = "", *off = r->colour ? C_OFF : "";
	char how[600], dur[32] = "";
	const char *what = step_status(rec);

	if (j) {
		struct term_slot *sl = &r->slot[rec->slot];

		if (k->run->verbose && sl->nvline)
			vline_flush(r, sl);
		sl->step = NULL;
	}
	status_clear(r);
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
	if (j) {
		dur[0] = ' ';
		dur_text(rec->t_end - rec->t_start, dur + 1, sizeof(dur) - 1);
	}
	fprintf(r->out, "%s---%s %s%s: %s%s%s%s%s", col, off, rec->label,
	    rec->dynamic ? " [bake]" : "", col, what, off, dur, how);
	if (rec->attempt > 1)
		fprintf(r->out, " [attempt %d]", rec->attempt);
	fputc('\n', r->out);
	if (j && !k->run->verbose && rec->nout > 0) {
		if (r->output == TERM_OUTPUT_ALL)
			copy_log(r, rec, rec->log_start);
		else if (r->output == TERM_OUTPUT_FAILED &&
		    rec->status != ST_PASSED && rec->tail && *rec->tail)
			fprintf(r->out, "%s\n", rec->tail);
	}
	fflush(r->out);
}

/*
 * The status line, from the plan's counters and the running steps:
 * "[3/11] 2 running: configure gcc 1m12s", the longest-running one named.
 */
static void
term_tick(struct sink *k)
{
	struct term *r = k->state;
	const struct step *oldest = NULL;
	char line[1024], el[32];
	size_t len, n = 0;
	long i;

	if (!r->smart)
		return;
	for (i = 0; i < r->jobs; i++) {
		const struct step *s = r->slot[i].step;

		if (!s)
			continue;
		n++;
		if (!oldest || s->t_start < oldest->t_start)
			oldest = s;
	}
	len = (size_t)snprintf(line, sizeof(line), "[%zu/%zu]",
	    k->run->plan->ndone, k->run->plan->ntotal);
	if (oldest) {
		double t = proc_now() - oldest->t_start;

		if (t < 60)
			snprintf(el, sizeof(el), "%lds", (long)t);
		else
			dur_text(t, el, sizeof(el));
		len += (size_t)snprintf(line + len, sizeof(line) - len,
		    " %zu running: %s %s", n, oldest->label, el);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
	}
	/* elide to the width; the last column stays free (no wrap) */
	if (r->cols > 4 && len > (size_t)r->cols - 1) {
		len = (size_t)r->cols - 4;
		memcpy(line + len, "...", 4);
		len += 3;
	}
	line[len] = '\0';
	if (r->status_shown && strcmp(line, r->shown) == 0)
		return;		/* nothing new to show */
	memcpy(r->shown, line, len + 1);
	fprintf(r->out, "\r%s\033[K", line);
	fflush(r->out);
	r->status_shown = true;
}

static int
slower(const void *a, const void *b)
{
	const struct step *x = *(const struct step *const *)a;
	const struct step *y = *(const struct step *const *)b;
	double dx = x->t_end - x->t_start, dy = y->t_end - y->t_start;

	return dx < dy ? 1 : dx > dy ? -1 : 0;
}

static int
term_run_finished(struct sink *k, int code)
{
	struct term *r = k->state;
	const struct plan *pl = k->run->plan;
	size_t i, n = 0, c[ST_NSTATUS] = { 0 };
	struct step **ran = xcalloc(pl->nsteps + 1, sizeof(*ran));
	FILE *f = r->out;

	(void)code;
	status_clear(r);
	for (i = 0; i < pl->nsteps; i++) {
		struct step *s = pl->steps[i];

		if (!ST_FINAL(s->status))
			continue;
		c[s->status]++;
		if (s->attempt > 0)
			ran[n++] = s;
	}
	fprintf(f, "hm-exec: %zu passed, %zu failed, %zu soft-failed, "
	    "%zu skipped", c[ST_PASSED], c[ST_FAILED], c[ST_SOFT_FAILED],
	    c[ST_SKIPPED]);
	if (c[ST_CACHED])
		fprintf(f, ", %zu cached", c[ST_CACHED]);
	if (c[ST_CANCELED])
		fprintf(f, ", %zu canceled", c[ST_CANCELED]);
	fprintf(f, " in %.2fs\n", proc_now() - k->run->t0);
	if (n > 0) {
		qsort(ran, n, sizeof(*ran), slower);
		fprintf(f, "slowest:");
		for (i = 0; i < n && i < 5; i++)
			fprintf(f, "%s %s %.2fs", i ? "," : "", ran[i]->label,
			    ran[i]->t_end - ran[i]->t_start);
		fputc('\n', f);
	}
	for (i = 0; i < pl->nsteps; i++) {
		struct step *s = pl->steps[i];
		char how[512];
		const char *p, *q;

		if (s->status != ST_FAILED && s->status != ST_SOFT_FAILED)
			continue;
		how_ended(s, how, sizeof(how));
		fprintf(f, "%s %s: %s, log %s\n", s->status == ST_FAILED ?
		    "failed:" : "soft-failed:", s->label, how, s->log_path ?
		    s->log_path : "-");
		/* the excerpt again, unless it was printed when it ended */
		if (r->output == TERM_OUTPUT_FAILED && !k->run->verbose)
			continue;
		for (p = s->tail; p && *p; p = q) {
			q = strchr(p, '\n');
			q = q ? q + 1 : p + strlen(p);
			fprintf(f, "    %.*s\n", (int)(q - p - (q[-1] == '\n')),
			    p);
		}
	}
	if (k->run->interrupted)
		fprintf(f, "hm-exec: interrupted by SIG%s\n",
		    sig_name(k->run->interrupted) ?
		    sig_name(k->run->interrupted) : "?");
	free(ran);
	fflush(f);
	return 0;
}

/* Diagnostics about the run, on stderr, below the status line. */
static void
term_diags(struct sink *k, const struct diag_list *dl)
{
	struct term *r = k->state;

	status_clear(r);
	fflush(r->out);
	diag_print_all(dl, stderr);
}

static void
term_release(struct sink *k)
{
	struct term *r = k->state;

	free(r->slot);
	free(r);
}

const struct sink_ops sink_term_ops = {
	.name = "term",
	.step_started = term_step_started,
	.step_output = term_step_output,
	.step_finished = term_step_finished,
	.diags = term_diags,
	.tick = term_tick,
	.run_finished = term_run_finished,
	.release = term_release,
};
