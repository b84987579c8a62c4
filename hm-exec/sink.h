/* hm: hm-exec's sinks: everything the run tells people, files and machines. */
#ifndef HM_EXEC_SINK_H
#define HM_EXEC_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "outputs.h"
#include "plan.h"

/*
 * ninja's Status, widened: a sink subscribes to the run's events and is
 * the only kind of module in hm-exec that writes to the terminal or to a
 * file. The run calls sinks_* (below), which calls every registered sink
 * that has the operation, in registration order. The sinks of hm-exec:
 *
 *	sink_log.c	the step logs in --log-dir, the bounded tail kept
 *			for failures (registered FIRST: it fills a step's
 *			log_path, log_written, log_start, nout and tail,
 *			which the others read)
 *	sink_outputs.c	HM_OUTPUTS (outputs.json)
 *	sink_term.c	what people see: whole-step output when a step
 *			ends, -v lines, the status line, the summary
 *	sink_events.c	--events: JSON Lines
 *	sink_junit.c	--junit
 *	sink_ir.c	--emit-ir
 *	sink_report.c	--report (HTML) and --trace (Chrome trace JSON)
 *
 * To add one: write sink_NAME.c with a struct sink_ops and a
 * constructor, and register it in main.c's list. It touches nothing
 * else: what a sink knows of the run comes from its arguments (struct
 * sink_run, the steps), never from another module. Per-attempt state is
 * kept in an array of `jobs` entries indexed by step->slot.
 *
 * Rules: a sink never changes the plan or a step's status; it may fill
 * the fields of struct step documented as its own. Write errors are
 * remembered and reported by run_finished's return value (an exit
 * status such as 74), not by exiting.
 */

/* What every sink knows of the run. */
struct sink_run {
	char run_id[64];	/* HM_RUN_ID */
	const char *log_dir;
	long jobs;		/* -j: the number of job slots */
	bool verbose;		/* -v */
	double grace;		/* --grace */
	double t0;		/* monotonic start */
	char started_at[32];	/* ISO 8601 UTC, for reports */
	const struct plan *plan;	/* steps and counters (read only) */
	const struct ir_doc *doc;	/* the current document */
	int interrupted;	/* the signal that stopped the run, or 0 */
};

struct sink;

/* Every operation is optional (NULL: not interested). */
struct sink_ops {
	const char *name;
	/* Before any step starts. Returns 0 or an exit status (74: a file
	 * cannot be created), which ends the run before it starts. */
	int (*run_started)(struct sink *k, const struct sink_run *run);
	/* An attempt of s started (s->attempt, s->slot set). */
	void (*step_started)(struct sink *k, struct step *s);
	/* Output of s's running attempt, as it arrives. */
	void (*step_output)(struct sink *k, struct step *s, const char *buf,
	    size_t n);
	/* A line of hm-exec's own about s's running attempt ("attempt 2",
	 * a baker's diagnostics), without its newline: for the log. */
	void (*step_note)(struct sink *k, struct step *s, const char *line);
	/* A baker's fragment for s, whole (kept beside the log). */
	void (*step_fragment)(struct sink *k, struct step *s, const char *buf,
	    size_t n);
	/* s reached a final status, or failed with s->will_retry set (see
	 * plan_listener). ran: an attempt ended here (its output is
	 * complete), false for a step skipped or canceled. */
	void (*step_finished)(struct sink *k, struct step *s, bool ran);
	/* The dynamic step s was expanded into the steps keys[0..n). */
	void (*step_expanded)(struct sink *k, struct step *s,
	    const char *const *keys, size_t n);
	/* Diagnostics about the run (a bad HM_OUTPUT line): for people. */
	void (*diags)(struct sink *k, const struct diag_list *dl);
	/* The loop is about to wait: refresh what shows progress. */
	void (*tick)(struct sink *k);
	/* The run is over with exit status code: final reports. Returns 0
	 * or an exit status for a report that could not be written. */
	int (*run_finished)(struct sink *k, int code);
	/* Free the sink's state. */
	void (*release)(struct sink *k);
};

struct sink {
	const struct sink_ops *ops;
	const struct sink_run *run;
	void *state;		/* the sink's own */
};

#define SINK_MAX	16

struct sinks {
	struct sink v[SINK_MAX];
	size_t n;
	struct sink_run run;
};

/* Register a sink with its state (it owns it: ops->release frees it). */
void sinks_add(struct sinks *ks, const struct sink_ops *ops, void *state);

/* The events, sent to every sink in order. run_started stops at the
 * first failure and returns its status; run_finished returns the first
 * non-zero status of all. */
int sinks_run_started(struct sinks *ks);
void sinks_step_started(struct sinks *ks, struct step *s);
void sinks_step_output(struct sinks *ks, struct step *s, const char *buf,
    size_t n);
void sinks_step_note(struct sinks *ks, struct step *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sinks_step_fragment(struct sinks *ks, struct step *s, const char *buf,
    size_t n);
void sinks_step_finished(struct sinks *ks, struct step *s, bool ran);
void sinks_step_expanded(struct sinks *ks, struct step *s,
    const char *const *keys, size_t n);
void sinks_diags(struct sinks *ks, const struct diag_list *dl);
void sinks_tick(struct sinks *ks);
int sinks_run_finished(struct sinks *ks, int code);
void sinks_release(struct sinks *ks);

/*
 * The sinks of hm-exec, each in sink_NAME.c: its ops, and a constructor
 * of the state to pass to sinks_add (NULL with errno if a file cannot be
 * opened).
 */
extern const struct sink_ops sink_log_ops, sink_outputs_ops, sink_term_ops,
    sink_events_ops, sink_junit_ops, sink_ir_ops, sink_report_ops;
/* The step logs; jobs slots of per-attempt state. */
void *sink_log_new(long jobs, size_t tail);
/* HM_OUTPUTS at path, from o (borrowed). */
void *sink_outputs_new(struct outputs *o, const char *path);
/* People's output on out (stdout, or stderr when events go to stdout). */
/* --output: what of a step's output is printed when it ends. */
enum term_output {
	TERM_OUTPUT_FAILED,	/* a failure's excerpt (the default) */
	TERM_OUTPUT_ALL,	/* all of it */
	TERM_OUTPUT_NONE	/* nothing: the headers and the summary */
};
void *sink_term_new(FILE *out, long jobs, enum term_output output);
/* --events path ("-": stdout). */
void *sink_events_new(const char *path);
/* --junit path (borrowed). */
void *sink_junit_new(const char *path);
/* --emit-ir path: the document *doc at the end (both borrowed). */
void *sink_ir_new(const char *path, struct ir_doc *const *doc);
/* --report HTML and --trace JSON at the end (either NULL; borrowed). */
void *sink_report_new(const char *html, const char *trace);

#endif
