/* hm: --events: one JSON object per line for every run and step event. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "exec.h"
#include "jsonw.h"
#include "tool.h"

/*
 * Each event is built in memory and written with one write(2), so a
 * reader following the file never sees half a line. Every event has
 * "event" and "t" (seconds since the run started, 3 decimals).
 */
static void
ev_begin(struct run *r, struct jsonw *w, const char *name)
{
	char t[32];
	int n;

	jsonw_init(w, -1, 0);
	jsonw_obj_begin(w);
	jsonw_key(w, "event");
	jsonw_str(w, name);
	jsonw_key(w, "t");
	n = snprintf(t, sizeof(t), "%.3f", now() - r->t0);
	jsonw_num(w, t, (size_t)n);
}

static void
ev_end(struct run *r, struct jsonw *w)
{
	char *s = NULL;
	size_t len = 0, off = 0;
	ssize_t k;

	jsonw_obj_end(w);
	jsonw_newline(w);
	if (jsonw_finish(w, &s, &len) < 0) {
		free(s);
		return;
	}
	while (off < len) {
		k = write(r->events_fd, s + off, len - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (!r->events_errno)
				r->events_errno = k < 0 ? errno : EIO;
			break;
		}
		off += (size_t)k;
	}
	free(s);
}

static void
ev_step(struct jsonw *w, struct srec *rec)
{
	jsonw_key(w, "key");
	jsonw_str(w, rec->key);
	jsonw_key(w, "label");
	jsonw_str(w, rec->label);
	jsonw_key(w, "kind");
	jsonw_str(w, rec->dynamic ? "bake" : "command");
}

void
events_run_started(struct run *r)
{
	struct jsonw w;
	size_t total, done;

	if (r->events_fd < 0)
		return;
	plan_counts(r, &total, &done);
	ev_begin(r, &w, "run_started");
	jsonw_key(&w, "run_id");
	jsonw_str(&w, r->run_id);
	jsonw_key(&w, "steps");
	jsonw_int(&w, (long long)total);
	jsonw_key(&w, "jobs");
	jsonw_int(&w, r->o.jobs);
	jsonw_key(&w, "log_dir");
	jsonw_str(&w, r->log_dir);
	ev_end(r, &w);
}

void
events_step_started(struct run *r, struct srec *rec)
{
	struct jsonw w;

	if (r->events_fd < 0)
		return;
	ev_begin(r, &w, "step_started");
	ev_step(&w, rec);
	jsonw_key(&w, "attempt");
	jsonw_int(&w, rec->attempt);
	ev_end(r, &w);
}

void
events_step_finished(struct run *r, struct srec *rec)
{
	struct jsonw w;
	char d[32];
	int n;

	if (r->events_fd < 0)
		return;
	ev_begin(r, &w, "step_finished");
	ev_step(&w, rec);
	jsonw_key(&w, "status");
	jsonw_str(&w, rec_status(rec));
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
	ev_end(r, &w);
}

void
events_expanded(struct run *r, struct srec *rec, const char **keys, size_t n)
{
	struct jsonw w;
	size_t i;

	if (r->events_fd < 0)
		return;
	ev_begin(r, &w, "dynamic_expanded");
	jsonw_key(&w, "key");
	jsonw_str(&w, rec->key);
	jsonw_key(&w, "target");
	jsonw_str(&w, ir_more(rec->step)->target_name);
	jsonw_key(&w, "depth");
	jsonw_int(&w, bake_depth(rec));
	jsonw_key(&w, "keys");
	jsonw_arr_begin(&w);
	for (i = 0; i < n; i++)
		jsonw_str(&w, keys[i]);
	jsonw_arr_end(&w);
	ev_end(r, &w);
}

void
events_run_finished(struct run *r, int code)
{
	struct jsonw w;
	struct rusage ru;
	size_t i, c[ST_CANCELED + 1] = { 0 };
	char d[32];
	int n;

	if (r->events_fd < 0)
		return;
	for (i = 0; i < r->nrecs; i++)
		if (ST_FINAL(r->recs[i]->status))
			c[r->recs[i]->status]++;
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
		jsonw_key(&w, st_name((enum st)i));
		jsonw_int(&w, (long long)c[i]);
	}
	jsonw_obj_end(&w);
	jsonw_key(&w, "duration");
	n = snprintf(d, sizeof(d), "%.3f", now() - r->t0);
	jsonw_num(&w, d, (size_t)n);
	/* hm-exec's own CPU time, not its children's: the scheduler's cost */
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		jsonw_key(&w, "cpu_self");
		n = snprintf(d, sizeof(d), "%.3f", ru.ru_utime.tv_sec +
		    ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec +
		    ru.ru_stime.tv_usec) / 1e6);
		jsonw_num(&w, d, (size_t)n);
	}
	ev_end(r, &w);
}
