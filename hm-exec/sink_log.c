/* hm: the log sink: each step's output in its log file, and its excerpt. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "excerpt.h"
#include "file.h"
#include "sha256.h"
#include "sink.h"
#include "tool.h"

/*
 * Output is spilled to the step's log as it arrives and only a bounded
 * excerpt stays in memory (its tail and the last lines that look like
 * errors, excerpt.h), so a step printing 100 MB costs a fixed amount of
 * memory. The log is created with the step's first
 * output, and the HM_OUTPUT file only by the step: thousands of silent
 * steps then cost no file creations (which dominated a run of 5,000
 * 'true'). Registered first: the other sinks read the fields of struct
 * step this one fills (log_path, log_written, out_path, log_start,
 * nout, tail).
 */
struct log_slot {
	int fd;			/* -1: not open */
	bool pending;		/* the log opens with the first output */
	struct excerpt *ex;	/* of this attempt's output */
};

struct log_sink {
	struct log_slot *slot;	/* per job slot */
	long jobs;
	int err;		/* the first write error on a log, or 0 */
	struct excerpt_opts eo;
};

void *
sink_log_new(long jobs, size_t tail)
{
	struct log_sink *l = xcalloc(1, sizeof(*l));
	struct excerpt_opts eo = EXCERPT_OPTS_INIT;
	long i;

	eo.tail = tail;
	l->eo = eo;
	l->jobs = jobs;
	l->slot = xcalloc((size_t)jobs, sizeof(*l->slot));
	for (i = 0; i < jobs; i++)
		l->slot[i].fd = -1;
	return l;
}

/* The longest file name a log gets: NAME_MAX of every common system. */
#define LOG_NAME_MAX	255

/*
 * A new string: the file name of key under the log directory, KEY.SUFFIX
 * with '/' as '%'. A key too long for that to fit in a file name (keys
 * go up to 255 bytes) is cut and followed by '~' and 16 hex digits of
 * its SHA-256, so that two long keys still get two files.
 */
static char *
log_file(const struct sink_run *r, const char *key, const char *suffix)
{
	size_t dl = strlen(r->log_dir), kl = strlen(key), sl = strlen(suffix);
	char *s = xmalloc(dl + kl + sl + 2), *p, hex[65];
	struct sha256 h;

	memcpy(s, r->log_dir, dl);
	s[dl] = '/';
	if (kl + sl > LOG_NAME_MAX) {
		sha256_init(&h);
		sha256_update(&h, key, kl);
		sha256_hex(&h, hex);
		kl = LOG_NAME_MAX - sl - 17;
		memcpy(s + dl + 1, key, kl);
		s[dl + 1 + kl] = '~';
		memcpy(s + dl + 2 + kl, hex, 16);
		memcpy(s + dl + 18 + kl, suffix, sl + 1);
	} else {
		memcpy(s + dl + 1, key, kl);
		memcpy(s + dl + 1 + kl, suffix, sl + 1);
	}
	/* '/' never reaches the file system: keys may hold ".." segments */
	for (p = s + dl + 1; p < s + dl + 1 + kl; p++)
		if (*p == '/')
			*p = '%';
	return s;
}

static struct log_slot *
slot_of(struct sink *k, const struct step *s)
{
	return &((struct log_sink *)k->state)->slot[s->slot];
}

/* Open (create) the step's log at its first output. */
static void
log_open(struct log_slot *j, struct step *s)
{
	if (!j->pending)
		return;
	j->pending = false;
	/* 0600, never through a symbolic link (file.h) */
	j->fd = file_open_log(s->log_path);
	if (j->fd < 0) {
		warnf("cannot open log '%s':", s->log_path);
		return;
	}
	s->log_written = true;
	s->log_start = lseek(j->fd, 0, SEEK_END);
}

/*
 * A write error on a log (a full disk) keeps the output flowing to the
 * other sinks and fails the run with 74 at the end; the log is closed.
 */
static void
log_add(struct sink *k, struct step *s, const char *buf, size_t n)
{
	struct log_sink *l = k->state;
	struct log_slot *j = &l->slot[s->slot];

	log_open(j, s);
	if (j->fd >= 0 && file_write_fd(j->fd, buf, n) < 0) {
		if (!l->err) {
			l->err = errno;
			warnf("cannot write log '%s':", s->log_path);
		}
		close(j->fd);
		j->fd = -1;
	}
	s->nout += n;
	if (j->ex && excerpt_feed(j->ex, buf, n) < 0)
		dief(EXIT_SOFTWARE, "out of memory");
}

static void
log_note(struct sink *k, struct step *s, const char *line)
{
	char buf[1024];
	size_t n = strlen(line);

	if (n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	memcpy(buf, line, n);
	buf[n++] = '\n';
	log_add(k, s, buf, n);
}

static void
log_step_started(struct sink *k, struct step *s)
{
	struct log_slot *j = slot_of(k, s);
	char line[64];

	if (!s->log_path) {
		s->log_path = log_file(k->run, s->key, ".log");
		s->out_path = log_file(k->run, s->key, ".out");
	}
	j->fd = -1;
	j->pending = true;
	excerpt_free(j->ex);
	if (!(j->ex = excerpt_new(&((struct log_sink *)k->state)->eo)))
		dief(EXIT_SOFTWARE, "out of memory");
	s->nout = 0;
	s->log_start = 0;
	if (s->attempt > 1) {
		snprintf(line, sizeof(line), "hm-exec: attempt %d", s->attempt);
		log_note(k, s, line);
		unlink(s->out_path);	/* the failed attempt's outputs */
	}
}

static void
log_step_output(struct sink *k, struct step *s, const char *buf, size_t n)
{
	log_add(k, s, buf, n);
}

/* The fragment is kept beside the log, and named in diagnostics. */
static void
log_step_fragment(struct sink *k, struct step *s, const char *buf, size_t n)
{
	char *path = log_file(k->run, s->key, ".fragment.json");

	if (file_write_atomic(path, buf, n) < 0)
		warnf("cannot write '%s':", path);
	free(path);
}

static void
log_step_finished(struct sink *k, struct step *s, bool ran)
{
	struct log_slot *j;

	if (!ran)
		return;
	j = slot_of(k, s);
	/* a failure names its log: make sure there is one */
	if (s->status != ST_PASSED)
		log_open(j, s);
	free(s->tail);
	s->tail = j->ex ? excerpt_text(j->ex) : NULL;
	if (j->ex && !s->tail)
		dief(EXIT_SOFTWARE, "out of memory");
	excerpt_free(j->ex);
	j->ex = NULL;
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
	j->pending = false;
}

static int
log_run_finished(struct sink *k, int code)
{
	(void)code;
	return ((struct log_sink *)k->state)->err ? EXIT_IOERR : 0;
}

static void
log_release(struct sink *k)
{
	struct log_sink *l = k->state;
	long i;

	for (i = 0; i < l->jobs; i++)
		excerpt_free(l->slot[i].ex);
	free(l->slot);
	free(l);
}

const struct sink_ops sink_log_ops = {
	.name = "log",
	.step_started = log_step_started,
	.step_output = log_step_output,
	.step_note = log_note,
	.step_fragment = log_step_fragment,
	.step_finished = log_step_finished,
	.run_finished = log_run_finished,
	.release = log_release,
};
