/* hm: hm-exec's internal interfaces: the run, its steps, jobs and sinks. */
#ifndef HM_EXEC_H
#define HM_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "diag.h"
#include "graph.h"
#include "ir.h"
#include "jobserver.h"
#include "mask.h"

/*
 * The executor in ninja's split: plan.c keeps the run state over the
 * graph (what is ready, what is skipped), runner.c starts processes,
 * loop.c is the one poll loop (output, reaping, deadlines, signals),
 * output.c is what people see, events.c and junit.c what machines read,
 * bake.c expands dynamic steps, outputs.c carries HM_OUTPUT values.
 *
 * A step record (struct srec) exists per node key of a command or
 * dynamic node and lives for the whole run: when a dynamic step is
 * expanded the graph is rebuilt and the records are attached again by
 * key. Virtual nodes (waits, group enter/exit) keep their status in the
 * plan and are derived again after every rebuild.
 */

/* A step's status; everything from ST_PASSED on is final. */
enum st {
	ST_WAITING,		/* for predecessors */
	ST_READY,		/* queued */
	ST_RUNNING,
	ST_PASSED,
	ST_SOFT_FAILED,		/* failed with soft_fail: counts as passed */
	ST_FAILED,
	ST_SKIPPED,		/* a predecessor edge was not satisfied */
	ST_CANCELED,		/* never started: the run was stopping */
	ST_DIRTY		/* waits only: a continue_on_failure wait that
				   lets what follows run although something
				   before it did not pass */
};
#define ST_FINAL(s)	((s) >= ST_PASSED)
#define ST_OK(s)	((s) == ST_PASSED || (s) == ST_SOFT_FAILED)

#define TAIL_SIZE	4096	/* bytes of output kept in memory per job */
#define TAIL_LINES	10	/* lines of a failure shown in the summary */
#define VLINE_SIZE	1024	/* -v: longest line kept before a flush */
#define FRAG_MAX	(64u << 20)	/* largest fragment read from a baker */

struct job;

struct srec {
	char *key;		/* node key (replicas "S@L") */
	char *label;		/* label, or key */
	struct ir_step *step;
	bool dynamic;		/* a bake */
	enum st status;
	bool timed_out;
	bool expanded;		/* a bake whose group replaced it */
	bool will_retry;	/* failed; queued again */
	int attempt;		/* 1-based; 0 = never started */
	int exit_code;		/* -1: none */
	int signo;		/* 0: none */
	double t_start, t_end;	/* monotonic seconds */
	struct job *job;
	char *log_path;
	bool log_written;	/* log_path exists: something was written */
	char *out_path;		/* HM_OUTPUT */
	char *tail;		/* last lines, for failures */
	char *reason;		/* why it failed beyond its exit, or NULL */
	uint32_t node;		/* in the current graph, or GRAPH_NONE */
	struct srec *hnext;
};

struct job {
	struct srec *rec;	/* NULL: a free slot */
	pid_t pid;		/* also the process group */
	int fd;			/* output pipe, -1 at EOF */
	int frag_fd;		/* a baker's stdout, -1 at EOF or none */
	char *frag;
	size_t nfrag, capfrag;
	bool frag_too_big;
	bool reaped;
	int wstatus;
	int logfd;
	bool log_pending;	/* the log opens with the first output */
	off_t log_start;	/* where this attempt's output begins */
	size_t nout;		/* bytes of output this attempt */
	double deadline;	/* timeout, 0 none */
	double kill_at;		/* SIGKILL the group then, 0 none */
	bool termed;		/* SIGTERM sent to the group */
	bool timed_out;
	char tail[TAIL_SIZE];	/* ring */
	size_t tpos;
	bool twrapped;
	char vline[VLINE_SIZE];	/* -v: the current partial line */
	size_t nvline;
	struct mask *mask;	/* the step's secret values, or NULL */
	struct mask_stream ms;	/* output held back by the masker */
};

struct run_opts {
	const char *file;	/* NULL: stdin */
	const char *pipeline;
	long jobs;
	bool jobs_given;	/* -j on the command line: no jobserver */
	bool keep_going, dry_run, verbose;
	const char *log_dir;
	const char *events, *junit, *emit_ir;
	const char *bake, *definition;
	const char *target;	/* --target: a definition's target and what
				   it needs */
	long max_depth;
	double grace;		/* seconds between TERM and KILL */
};

struct plan {
	struct graph g;
	bool built;
	uint8_t *vst;		/* status of virtual nodes */
	uint32_t *pending;	/* predecessors not finished */
	struct srec **rec;	/* command and dynamic nodes */
	uint8_t *prot;		/* behind a continue_on_failure wait */
	uint32_t *topo;		/* a topological order */
	uint32_t *queue;
	size_t qhead, qtail;
	uint32_t *work;
	size_t nwork;
};

struct output_kv {
	char *key, *name, *value;
};

struct run {
	struct run_opts o;
	char run_id[64];
	char *log_dir;
	char *outputs_path;	/* HM_OUTPUTS */
	bool outputs_dirty;
	struct output_kv *outs;
	size_t nouts, capouts;

	struct ir_doc *doc;
	struct ir_doc **frags;	/* kept alive: the doc points into them */
	size_t nfrags;
	size_t nexpanded;
	struct plan plan;

	struct srec **recs;	/* in creation order */
	size_t nrecs, caprecs;
	struct srec **htab;
	size_t hcap;

	struct job *jobs;	/* o.jobs slots */
	size_t nrunning;
	struct jobserver js;	/* make's: a token per job beyond one */

	bool stopping;		/* a failure without -k */
	int interrupted;	/* the signal, or 0 */
	bool failed;		/* a hard failure happened */

	FILE *out;		/* people's output: stdout, or stderr */
	bool smart;		/* status line */
	bool colour;
	int cols;
	bool status_shown;
	int events_fd;		/* -1: none */
	int events_errno;	/* the first write error on it, or 0 */
	int log_errno;		/* the first write error on a log, or 0 */
	double t0;
	char started_at[32];	/* ISO 8601, for junit */
};

/* plan.c */
/* Build the graph of r->doc and attach step records by key; -1 + diags. */
int plan_build(struct run *r, struct diag_list *diags);
/* Queue a ready node (again, for a retry). */
void plan_queue(struct plan *p, uint32_t n);
/* The next ready command or dynamic node, or GRAPH_NONE. */
uint32_t plan_next(struct run *r);
/* rec reached a final status: propagate to its successors. */
void plan_finished(struct run *r, struct srec *rec);
/* Cancel what is queued and not protected (all: also protected). */
void plan_stop(struct run *r, bool all);
/* Mark every step still waiting canceled (end of an interrupted run). */
void plan_cancel_rest(struct run *r);
/* Print the plan for -n. */
void plan_print(struct run *r, FILE *f);
void plan_release(struct plan *p);
/* The record of key, created if create is set. */
struct srec *rec_get(struct run *r, const char *key, bool create);
/* Counts over the current records: total (in the graph), done. */
void plan_counts(struct run *r, size_t *total, size_t *done);

/* runner.c */
/* A pipe whose ends are close-on-exec, the read end non-blocking. */
int runner_pipe(int fds[2]);
/*
 * Start argv[0] (searched in PATH if search) with envp in a new process
 * group, stdin from /dev/null, stdout to outfd, stderr to errfd. Returns
 * 0 and *pid, or an errno value.
 */
int runner_spawn(pid_t *pid, char *const argv[], char *const envp[],
    bool search, int outfd, int errfd);
/* Signal the process group pgid; ESRCH is not an error. */
void runner_kill(pid_t pgid, int sig);
/* Build the environment of rec: ours + pipeline + step + HM_* + outputs. */
char **runner_env(struct run *r, struct srec *rec);
void runner_env_free(char **envp);

/* loop.c */
/* Install the signal handlers and the self-pipe; -1 on failure. */
int loop_init(void);
/* Run until nothing is ready or running. */
void loop_run(struct run *r);
/* Monotonic seconds. */
double now(void);

/* jobs (loop.c): start rec as a command or a bake; -1 if it failed. */
int job_start(struct run *r, struct srec *rec);

/* output.c */
void out_init(struct run *r);
void out_data(struct run *r, struct job *j, const char *buf, size_t n);
/* The masker of rec's secret_env values (NULL: none to mask). */
struct mask *out_mask_new(const struct srec *rec);
/* rec finished (any final status); print its header and output. */
void out_finished(struct run *r, struct srec *rec, struct job *j);
void out_status(struct run *r);
void out_status_clear(struct run *r);
void out_summary(struct run *r);
/* Append a line of hm-exec's own to rec's log (bake messages). */
void out_log_line(struct job *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The status name for events and reports. */
const char *st_name(enum st s);
/* rec's status name: st_name, or "timed_out" for a timed-out failure. */
const char *rec_status(const struct srec *rec);
/* A new string: the log file name of key under dir, with suffix. */
char *log_file(const struct run *r, const char *key, const char *suffix);
/* Write data to path through a temporary file and rename; -1 + errno. */
int write_atomic(const char *path, const char *data, size_t n);

/* events.c */
void events_run_started(struct run *r);
void events_step_started(struct run *r, struct srec *rec);
void events_step_finished(struct run *r, struct srec *rec);
void events_expanded(struct run *r, struct srec *rec, const char **keys,
    size_t n);
void events_run_finished(struct run *r, int code);

/* junit.c */
/* Write the JUnit report to path; -1 with errno on failure. */
int junit_write(struct run *r, const char *path);

/* outputs.c */
/* Read rec's HM_OUTPUT file after it passed. */
void outputs_collect(struct run *r, struct srec *rec);
/* Write HM_OUTPUTS if it changed; -1 with errno on failure. */
int outputs_flush(struct run *r);
/* "HM_OUT_KEY_NAME" for key and name (malloc'd). */
char *outputs_var(const char *key, const char *name);

/* entry.c */
/*
 * Load r->doc from the input: IR (any version), or a YAML definition
 * that the baker bakes first. Returns 0, or the exit status after
 * printing why.
 */
int entry_load(struct run *r);

/* bake.c */
/* The baker's program: --bake, $HM_BAKE, hm-bake beside us, or on PATH. */
char *bake_program(const struct run *r);
/* The baker's argv for rec, or NULL with a message in *why. */
char **bake_argv(struct run *r, struct srec *rec, char **why);
/* How deep rec's dynamic step is nested in expansions (1 = top). */
int bake_depth(const struct srec *rec);
/* The catalogue's message for code, formatted (malloc'd). */
char *exec_msg(enum diag_code code, ...);
/* A bake finished successfully: load, check, splice; -1 + message. */
int bake_expand(struct run *r, struct srec *rec, struct job *j);

#endif
