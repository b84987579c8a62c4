/* hm: the --events sink: one JSON object per line for every run and step event. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "jsonw.h"
#include "proc.h"
#include "sink.h"
#include "tool.h"
#include "version.h"

/*
 * Each event is built in memory and written with one write(2), so a
 * reader following the file never sees half a line. Every event has
 * "event" and "t" (seconds since the run started, 3 decimals).
 */
/* The state: the descriptor written to. */
struct events {
	int fd;
	const char *path;	/* borrowed, for the message */
	int err;		/* the first write error, or 0 */
};

static void
ev_begin(const struct sink_run *r, struct jsonw *w, const char *name)
{
	char t[32];
	int n;

	jsonw_init(w, -1, 0);
	jsonw_obj_begin(w);
	jsonw_key(w, "event");
	jsonw_str(w, name);
	jsonw_key(w, "t");
	n = snprintf(t, sizeof(t), "%.3f", proc_now() - r->t0);
	jsonw_num(w, t, (size_t)n);
}

static void
ev_end(struct sink *k, struct jsonw *w)
{
	struct events *e = k->state;
	char *s = NULL;
	size_t len = 0, off = 0;
	ssize_t n;

	jsonw_obj_end(w);
	jsonw_newline(w);
	if (jsonw_finish(w, &s, &len) < 0) {
		free(s);
		return;
	}
	while (off < len) {
		n = write(e->fd, s + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!e->err)
				e->err = n < 0 ? errno : EIO;
			break;
		}
		off += (size_t)n;
	}
	free(s);
}

static void
ev_step(struct jsonw *w, const struct step *rec)
{
	jsonw_key(w, "key");
	jsonw_str(w, rec->key);
	jsonw_key(w, "label");
	jsonw_str(w, rec->label);
	jsonw_key(w, "kind");
	jsonw_str(w, rec->dynamic ? "bake" : "command");
}

static int
events_run_started(struct sink *k, const struct sink_run *r)
{
	struct jsonw w;

	ev_begin(r, &w, "run_started");
	jsonw_key(&w, "run_id");
	jsonw_str(&w, r->run_id);
	jsonw_key(&w, "version");
	jsonw_str(&w, hm_version());
	jsonw_key(&w, "steps");
	jsonw_int(&w, (long long)r->plan->ntotal);
	jsonw_key(&w, "jobs");
	jsonw_int(&w, r->jobs);
	jsonw_key(&w, "log_dir");
	jsonw_str(&w, r->log_dir);
	ev_end(k, &w);
	return 0;
}

static void
events_step_started(struct sink *k, struct step *rec)
{
	struct jsonw w;

	ev_begin(k->run, &w, "step_started");
	ev_step(&w, rec);
	jsonw_key(&w, "attempt");
	jsonw_int(&w, rec->attempt);
	ev_end(k, &w);
}

static void
events_step_finished(struct sink *k, struct step *rec, bool ran)
{
	struct jsonw w;
	char d[32];
	int n;

	(void)ran;
	ev_begin(k->run, &w, "step_finished");
	ev_step(&w, rec);
	jsonw_key(&w, "status");
	jsonw_str(&w, step_status(rec));
	if (rec->attempt > 0) {
		jsonw_key(&w, "attempt");
		jsonw_int(&w, rec->attempt);
		jsonw_key(&w, "will_retry");
		jsonw_bool(&w, rec->will_retry);
		jsonw_key(&w, "timed_out");
		jsonw_bool(&w, rec->timed_out);
		if (rec->exit_code >= 0) {
			jsonw_key(&w, "exit_code");
			jsonw_int(&w, rec->exit_code);
		}
		if (rec->signo) {
			jsonw_key(&w, "signal");
			jsonw_int(&w, rec->signo);
		}
		if (rec->reason) {
			jsonw_key(&w, "message");
			jsonw_str(&w, rec->reason);
		}
		jsonw_key(&w, "duration");
		n = snprintf(d, sizeof(d), "%.3f", rec->t_end - rec->t_start);
		jsonw_num(&w, d, (size_t)n);
		jsonw_key(&w, "log");
		if (rec->log_written)
			jsonw_str(&w, rec->log_path);
		else
			jsonw_null(&w);	/* the step printed nothing */
	}
	ev_end(k, &w);
}

static void
events_expanded(struct sink *k, struct step *rec, const char *const *keys,
    size_t n)
{
	struct jsonw w;
	size_t i;

	ev_begin(k->run, &w, "dynamic_expanded");
	jsonw_key(&w, "key");
	jsonw_str(&w, rec->key);
	jsonw_key(&w, "target");
	jsonw_str(&w, ir_more(rec->ir)->target_name);
	jsonw_key(&w, "depth");
	jsonw_int(&w, step_bake_depth(rec));
	jsonw_key(&w, "keys");
	jsonw_arr_begin(&w);
	for (i = 0; i < n; i++)
		jsonw_str(&w, keys[i]);
	jsonw_arr_end(&w);
	ev_end(k, &w);
}

static int events_close(struct events *e);

static int
events_run_finished(struct sink *k, int code)
{
	const struct sink_run *r = k->run;
	struct jsonw w;
	struct rusage ru;
	size_t i, c[ST_NSTATUS] = { 0 };
	char d[32];
	int n;

	for (i = 0; i < r->plan->nsteps; i++)
		if (ST_FINAL(r->plan->steps[i]->status))
			c[r->plan->steps[i]->status]++;
	ev_begin(r, &w, "run_finished");
	jsonw_key(&w, "status");
	jsonw_str(&w, r->interrupted ? "interrupted" : code == 0 ? "passed" :
	    "failed");
	jsonw_key(&w, "exit_code");
	jsonw_int(&w, code);
	if (r->interrupted) {
		jsonw_key(&w, "signal");
		jsonw_int(&w, r->interrupted);
	}
	jsonw_key(&w, "counts");
	jsonw_obj_begin(&w);
	for (i = ST_PASSED; i <= ST_CANCELED; i++) {
		if (i == ST_CACHED && !c[i])
			continue;	/* only with isolation's cache */
		jsonw_key(&w, step_status_name((enum step_status)i));
		jsonw_int(&w, (long long)c[i]);
	}
	jsonw_obj_end(&w);
	jsonw_key(&w, "duration");
	n = snprintf(d, sizeof(d), "%.3f", proc_now() - r->t0);
	jsonw_num(&w, d, (size_t)n);
	/* hm-exec's own CPU time, not its children's: the scheduler's cost */
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		jsonw_key(&w, "cpu_self");
		n = snprintf(d, sizeof(d), "%.3f", ru.ru_utime.tv_sec +
		    ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec +
		    ru.ru_stime.tv_usec) / 1e6);
		jsonw_num(&w, d, (size_t)n);
	}
	ev_end(k, &w);
	return events_close(k->state);
}

/* A write error (a full disk) is said once, at the end: 74. */
static int
events_close(struct events *e)
{
	if (e->fd > 1 && close(e->fd) < 0 && !e->err)
		e->err = errno;
	e->fd = -1;
	if (!e->err)
		return 0;
	errno = e->err;
	warnf("cannot write events to '%s':", e->path);
	return EXIT_IOERR;
}

static void
events_release(struct sink *k)
{
	struct events *e = k->state;

	if (e->fd > 1)
		close(e->fd);
	free(e);
}

/* The sink for --events FILE or "-" (stdout); NULL with errno. */
void *
sink_events_new(const char *path)
{
	struct events *e = xcalloc(1, sizeof(*e));

	e->path = path;
	if (strcmp(path, "-") == 0) {
		e->fd = 1;
		return e;
	}
	e->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (e->fd < 0) {
		free(e);
		return NULL;
	}
	return e;
}

const struct sink_ops sink_events_ops = {
	.name = "events",
	.run_started = events_run_started,
	.step_started = events_step_started,
	.step_finished = events_step_finished,
	.step_expanded = events_expanded,
	.run_finished = events_run_finished,
	.release = events_release,
};
