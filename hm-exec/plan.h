/* hm: hm-exec's plan: the run state over the graph and the status algebra. */
#ifndef HM_EXEC_PLAN_H
#define HM_EXEC_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"
#include "graph.h"
#include "ir.h"

/*
 * ninja's Plan: what is ready, what is skipped or canceled, how an
 * attempt's end becomes a status (ir-spec/status.md), retries,
 * soft_fail, stopping after a failure (-k not given) and after a signal.
 * It never prints, writes a file or starts a process: it tells what
 * happened through a plan_listener, which hm-exec points at its sinks
 * (sink.h) and the unit tests at a recorder. Everything that runs goes
 * through the caller:
 *
 *	plan_init(&p, &listener, keep_going);
 *	plan_build(&p, doc, &diags);		the graph; steps by key
 *	while ((s = plan_next(&p)))		a ready step
 *		plan_started(&p, s);		... start an attempt ...
 *	... an attempt ended: fill s->exit_code, signo, timed_out, reason
 *	plan_attempt_done(&p, s, ok);		status, retry, propagate
 *	plan_splice(&p, group);			after a dynamic step became
 *						group in doc (ir_splice), or
 *	plan_build(&p, doc, &diags);		again: state by key
 *	plan_interrupt(&p, sig); plan_cancel_rest(&p); plan_release(&p);
 *
 * A struct step exists per node key of a command or dynamic node and
 * lives for the whole run: when a dynamic step is expanded the graph
 * grows in place (plan_splice), or is rebuilt and the steps are attached
 * again by key. Virtual nodes (waits, group enter and exit) keep their
 * status in the plan and are derived again after every rebuild.
 */

/* A step's status; everything from ST_PASSED on is final. */
enum step_status {
	ST_WAITING,		/* for predecessors */
	ST_READY,		/* queued */
	ST_RUNNING,
	ST_PASSED,
	ST_SOFT_FAILED,		/* failed with soft_fail: counts as passed */
	ST_CACHED,		/* not run: its state came from the cache;
				   counts as passed */
	ST_FAILED,
	ST_SKIPPED,		/* a predecessor edge was not satisfied */
	ST_CANCELED,		/* never started: the run was stopping */
	ST_RELEASED		/* waits only: a continue_on_failure wait that
				   lets what follows run although something
				   before it did not pass */
};
#define ST_FINAL(s)	((s) >= ST_PASSED)
#define ST_OK(s)	((s) == ST_PASSED || (s) == ST_SOFT_FAILED || \
			 (s) == ST_CACHED)
#define ST_NSTATUS	(ST_RELEASED + 1)

/* The run's record of a step. */
struct step {
	char *key;		/* node key (replicas "S@L") */
	char *label;		/* label, or key */
	struct ir_step *ir;	/* in the current document */
	bool dynamic;		/* a bake */
	enum step_status status;
	int attempt;		/* 1-based; 0 = never started */
	uint32_t node;		/* in the current graph, or GRAPH_NONE */
	const char *state_from;	/* the key it builds in, or NULL */

	/* how the last attempt ended: set by the caller before
	 * plan_attempt_done */
	bool timed_out;
	int exit_code;		/* -1: none */
	int signo;		/* 0: none */
	char *reason;		/* why it failed beyond its exit, or NULL */
	double t_start, t_end;	/* monotonic seconds */

	bool expanded;		/* a bake whose group replaced it */
	bool will_retry;	/* failed; queued again (in step_finished) */

	/* while running: the loop's job slot, 0 .. jobs-1, unique among
	 * running steps; sinks index their per-attempt state by it */
	unsigned slot;

	/* the step's files and output, kept by the log sink (sink_log.c,
	 * registered first) and read by the other sinks */
	char *log_path;		/* log file (created with the first output) */
	bool log_written;	/* log_path exists */
	char *out_path;		/* HM_OUTPUT */
	off_t log_start;	/* where this attempt's output begins */
	size_t nout;		/* bytes of output this attempt */
	char *tail;		/* last lines, for failures; at the end */

	struct step *hnext;	/* plan's table by key */
};

/*
 * What the plan tells: a step reached a final status, or failed with
 * will_retry set (it is queued again after the call). ran: an attempt
 * of it just ended (plan_attempt_done); false for a step skipped or
 * canceled without running (again).
 */
struct plan_listener {
	void *ctx;
	void (*step_finished)(void *ctx, struct step *s, bool ran);
};

struct plan {
	struct graph g;
	bool built;
	struct plan_listener listener;
	bool keep_going;	/* -k */
	bool stopping;		/* a hard failure without -k */
	int interrupted;	/* the signal, or 0 */
	bool failed;		/* a hard failure happened */

	unsigned long gen;	/* changes whenever the graph does */

	/* per node of the current graph (room for cap) */
	uint32_t cap;
	uint8_t *virt_status;	/* status of virtual nodes */
	uint32_t *pending;	/* predecessors not finished */
	struct step **step;	/* command and dynamic nodes, else NULL */
	uint8_t *survives_stop;	/* behind a continue_on_failure wait: runs
				   on after a failure without -k */
	uint32_t *topo;		/* a topological order */
	bool order_stale;	/* topo and survives_stop are to be made
				   again (the graph grew) */
	uint32_t *queue;	/* ready nodes (some maybe taken since) */
	size_t qhead, qtail;
	uint32_t *work;		/* finished nodes to propagate */
	size_t nwork;

	/* every step record, in creation order, and by key */
	struct step **steps;
	size_t nsteps, capsteps;
	struct step **htab;
	size_t hcap;

	/* counters for a status line without a scan */
	size_t ntotal;		/* in the graph, or final */
	size_t ndone;		/* final */
	size_t nrunning;
};

/* Set up an empty plan; listener is copied. */
void plan_init(struct plan *p, const struct plan_listener *listener,
    bool keep_going);
/*
 * Build (again) the graph of doc and attach the steps by key, keeping
 * their state; -1 with diags when the graph cannot be built (the plan
 * is then as before).
 */
int plan_build(struct plan *p, struct ir_doc *doc, struct diag_list *diags);
/*
 * After ir_splice put group in place of a dynamic step of the running
 * document and ir_check_splice accepted it: grow the graph in place
 * (graph_splice) and attach the new steps, as plan_build would have
 * done, every existing record as it is. -1 when the graph cannot grow
 * by parts (the plan is then as before): call plan_build.
 */
int plan_splice(struct plan *p, struct ir_step *group);
/* The next ready step (taken from the queue), or NULL. */
struct step *plan_next(struct plan *p);
/* Whether a step is queued that may be ready (the loop spins on it). */
bool plan_has_queued(const struct plan *p);
/* An attempt of s starts: attempt++, status running. */
void plan_started(struct plan *p, struct step *s);
/*
 * An attempt of s ended, ok or not (s->exit_code, signo, timed_out and
 * reason already set): passed, soft-failed, failed, a retry, or
 * canceled after an interrupt; tells the listener, stops the run on a
 * hard failure without -k, and lets the successors go.
 */
void plan_attempt_done(struct plan *p, struct step *s, bool ok);
/*
 * A ready step need not run: its state came from the cache. Status
 * cached (as passed for what follows); tells the listener (ran false).
 */
void plan_cached(struct plan *p, struct step *s);
/* A signal: cancel everything queued; nothing new becomes ready. */
void plan_interrupt(struct plan *p, int sig);
/* Mark every step neither final nor running canceled (the end). */
void plan_cancel_rest(struct plan *p);
/* The step of key, created (waiting, unattached) if create is set. */
struct step *plan_step(struct plan *p, const char *key, bool create);
/*
 * -n: each step's stage (1-based) in *stage, by node: steps of one stage
 * can run in parallel once the stages before have passed. O(nodes +
 * edges). Returns the number of stages; *stage is malloc'd. Only after
 * plan_build (not plan_splice: -n expands nothing).
 */
uint32_t plan_stages(const struct plan *p, uint32_t **stage);
/* The status name for events and reports ("released" for waits). */
const char *step_status_name(enum step_status s);
/* s's status name: step_status_name, or "timed_out" for a timed-out
 * failure. */
const char *step_status(const struct step *s);
/* How deep a dynamic step is nested in expansions (1: at the top). */
int step_bake_depth(const struct step *s);
/* Free the graph and every step. */
void plan_release(struct plan *p);

#endif
