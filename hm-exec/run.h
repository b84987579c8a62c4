/* hm: hm-exec's run: the plan, the runners and the sinks, wired by the jobs. */
#ifndef HM_EXEC_RUN_H
#define HM_EXEC_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "env.h"
#include "isolate.h"
#include "ir.h"
#include "jobserver.h"
#include "mask.h"
#include "outputs.h"
#include "plan.h"
#include "runner.h"
#include "sink.h"

/*
 * The modules and who calls whom (no circle):
 *
 *	main.c	options, the sinks registered, the end
 *	entry.c	the input: IR, or a definition baked first
 *	jobserver.c  GNU make's job slots, under make -jN
 *	loop.c	the one poll loop: output, reaping, deadlines, signals
 *	job.c	an attempt in a job slot: start it (environment, runner),
 *		take its output, finish it (status, bake, outputs)
 *	bake.c	a dynamic step: the baker's argv, then splice its fragment
 *	plan.c	the run state and the status algebra (plan.h)
 *	runner*.c  the backends that run attempts (runner.h)
 *	sink*.c	everything written to the terminal or to files (sink.h)
 *	env.c, outputs.c  a step's environment, the outputs of steps
 *
 * main -> entry, loop; entry -> bake; loop -> job -> bake, plan, runner,
 * sink, env, outputs; loop, job -> jobserver.
 */

#define FRAG_MAX	(64u << 20)	/* largest fragment read from a baker */

struct run_opts {
	const char *file;	/* NULL: stdin */
	const char *pipeline;
	long jobs;
	bool jobs_given;	/* -j on the command line: no jobserver */
	bool keep_going, dry_run, verbose;
	const char *log_dir;
	const char *events, *junit, *emit_ir;
	const char *report, *trace;	/* --report HTML, --trace JSON */
	const char *bake, *definition;
	const char *runner;	/* --runner: the default backend */
	const char *target;	/* --target: a definition's target and what
				   it needs */
	struct isolate_opts iso;	/* --isolate, --keep, --store, cache */
	const char *shell, *apply;	/* --shell KEY, --apply KEY */
	long max_depth;
	long tail;		/* --tail: last lines of a failure shown */
	int output;		/* --output: enum term_output */
	long keep_runs;		/* --keep-runs: runs kept under .hm/logs */
	double grace;		/* seconds between TERM and KILL */
};

/* A job slot: one running attempt, or free. */
struct job {
	struct step *step;	/* NULL: a free slot */
	struct runner *runner;
	struct attempt a;
	bool reaped;
	int wstatus;		/* -1: it never ran */
	double deadline;	/* timeout, 0: none */
	double kill_at;		/* SIGKILL then, 0: none */
	bool timed_out;
	char *frag;		/* a baker's stdout */
	size_t nfrag, capfrag;
	bool frag_too_big;
	struct mask *mask;	/* the step's secret values, or NULL */
	struct mask_stream ms;	/* output held back by the masker */
};

/* A process group left behind by a finished step, killed at kill_at. */
struct lingering {
	char *key;
	struct runner *runner;
	struct attempt a;
	double kill_at;
};

struct run {
	struct run_opts o;
	char *log_dir;
	char *outputs_path;	/* HM_OUTPUTS */
	bool baked_input;	/* o.file is a definition hm-exec baked */
	char *definition;	/* the copy dynamic steps bake from, in
				   log_dir; NULL: none needed */

	struct ir_doc *doc;
	struct ir_doc **frags;	/* kept alive: the doc points into them */
	size_t nfrags;
	struct plan plan;
	struct runners runners;
	struct isolation iso;
	struct sinks sinks;
	struct outputs outputs;
	struct env_base env;

	struct job *jobs;	/* o.jobs slots */
	size_t nrunning;
	struct jobserver js;	/* make's: a token per job beyond one */
	struct lingering *linger;
	size_t nlinger, caplinger;
};

/* job.c */
/* Start s in a free slot; false if no slot is free. */
bool job_start(struct run *r, struct step *s);
/* Output of j arrived. */
void job_output(struct run *r, struct job *j, const char *buf, size_t n);
/* A baker's fragment data arrived. */
void job_fragment(struct job *j, const char *buf, size_t n);
/* Whether j is over: reaped and its pipes at EOF. */
bool job_done(const struct job *j);
/* j is over: its status to the plan, the slot free again. */
void job_finish(struct run *r, struct job *j);

/* entry.c */
/*
 * Load r->doc from the input: IR (any version), or a YAML definition
 * that the baker bakes first. Returns 0, or the exit status after
 * printing why.
 */
int entry_load(struct run *r);

/* bake.c */
/*
 * When the document has dynamic steps: copy the definition they bake
 * from (--definition; source.definition, relative to the IR file's
 * directory unless absolute; the definition hm-exec baked) into the log
 * directory, so that every bake of the run reads the file as it was at
 * the start. Returns 0, or the exit status (66) after printing why.
 */
int bake_definition_copy(struct run *r);
/* The baker's program: --bake, $HM_BAKE, hm-bake beside us, or on PATH. */
char *bake_program(const struct run *r);
/* The baker's argv for s (argv[0] malloc'd), or NULL with *why. */
char **bake_argv(struct run *r, struct step *s, char **why);
/* A bake finished successfully: load, check, splice; -1 + s->reason. */
int bake_expand(struct run *r, struct step *s, struct job *j);

/* loop.c */
/* Install the signal handlers and the self-pipe; -1 on failure. */
int loop_init(void);
/* Run until nothing is ready or running; -1 with errno if poll failed. */
int loop_run(struct run *r);
/* Kill and reap what steps left behind (as subreaper), telling the
 * sinks; waits at most the grace period. */
void loop_reap_left(struct run *r);

#endif
