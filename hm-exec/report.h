/* hm: a finished run as pictures: the HTML report and the Chrome trace. */
#ifndef HM_EXEC_REPORT_H
#define HM_EXEC_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What a run was, as the report writers need it and nothing more: its
 * steps (every replica its own, each with every attempt it made, bakes
 * marked) and the graph as it ran (each node's predecessors, through
 * waits and groups). The writers never read hm-exec's run state, so
 * they are tested on runs made up in the tests, and a run could as well
 * be read back from its events.
 *
 * Times are seconds since the run started. Statuses are the events'
 * names: passed, soft_failed, failed, timed_out, skipped, canceled.
 */
struct report_attempt {
	double t0, t1;
	unsigned slot;		/* the job slot it ran in, from 0 */
	int attempt;		/* 1-based */
	const char *status;	/* how this attempt ended */
};

struct report_step {
	const char *key;
	const char *label;	/* as people see it */
	bool bake;		/* a dynamic step's bake */
	const char *status;	/* final */
	const char *how;	/* "exit status 2", ...; NULL if it passed
				   or never ran */
	const struct report_attempt *att;
	size_t natt;
	const char *excerpt;	/* of its log, or NULL */
	const char *log;	/* its log's path, or NULL */
	const uint32_t *preds;	/* indexes of the steps it follows */
	size_t npreds;
};

struct report {
	const char *title;	/* the pipeline */
	const char *run_id;
	const char *started_at;	/* ISO 8601 */
	const char *status;	/* passed, failed, interrupted */
	double duration;
	long jobs;
	const struct report_step *steps;
	size_t nsteps;
};

/*
 * One self-contained HTML page (no script, no network, nothing outside
 * it): the summary, a waterfall of every attempt, the graph coloured by
 * status, each step's excerpt collapsed. Returns the malloc'd text and
 * its length in *len, or NULL if memory ran out.
 */
char *report_html(const struct report *r, size_t *len);

/*
 * Chrome trace-event JSON (the format of chrome://tracing and Perfetto):
 * a complete event ("ph": "X") per attempt, in the lane ("tid") of its
 * job slot, category "command" or "bake"; a name for the process and
 * each lane. NULL if memory ran out.
 */
char *report_trace(const struct report *r, size_t *len);

#endif
