/* hm: hm-exec's runners: how an attempt of a step is started, watched and stopped. */
#ifndef HM_EXEC_RUNNER_H
#define HM_EXEC_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ir.h"

/*
 * A runner is a backend that executes attempts of steps: the local
 * process runner (runner_local.c) is the first; isolated steps and a
 * cluster are further implementations of the same table. It is ninja's
 * CommandRunner, cut to what hm-exec's one poll loop (loop.c) needs.
 *
 * Life cycle, per run:
 *	runners_init()		the run's default backend (--runner NAME,
 *				"local" when not given) and every backend
 *				a step of the document names are probed
 *				(ops->init) before any step runs; a
 *				failure ends the run with its message and
 *				exit status (e.g. 69 for an unreachable
 *				cluster). A backend first named by a
 *				dynamic step's fragment is probed when that
 *				step starts, and its failure fails the step.
 *	runners_for(step)	the backend that runs a step: the one its
 *				IR "runner" field names, if a backend has
 *				that name; otherwise the run's default (a
 *				name that is no backend is recorded only,
 *				hm-exec(1)).
 *	ops->start ... ops->finish, per attempt (below)
 *	runners_settle()	ops->settle of every backend probed: the
 *				run is over, and what a backend started
 *				beside its attempts (a cancellation under
 *				way, say) ends before hm-exec kills what
 *				steps left behind, which is every child
 *				it still has.
 *	runners_release()	ops->teardown of every backend probed.
 *
 * An attempt, as the loop drives it:
 *	ops->start(spec)	starts it. Every attempt has a LOCAL process,
 *				a->pid: the command itself (local), or a
 *				helper wrapping it (an isolation helper in
 *				place of /bin/sh; `srun ... /bin/sh -c CMD`
 *				for a cluster). The loop learns that the
 *				attempt ended by reaping that pid
 *				(SIGCHLD, waitpid): a backend never blocks
 *				and needs no polling of its own.
 *				a->out_fd is read for the step's output
 *				(the combined stdout and stderr; -1 when
 *				the backend has none); a->frag_fd for a
 *				baker's stdout when spec->split_stdout.
 *	ops->signal(a, sig)	the loop's only way to stop an attempt:
 *				SIGTERM to ask (timeout, interrupt, or what
 *				is left after the process exited), SIGKILL
 *				after --grace. Local: the process group.
 *				Remote: scancel, say. Returns 0 if anything
 *				received it, -1 if nothing was left: the
 *				loop stops escalating then.
 *	ops->finish(a, ws)	the local process was reaped with waitpid
 *				status ws and its output is at EOF: return
 *				the attempt's own status (a helper may
 *				report the wrapped command's differently),
 *				and release a->data. May set *msg to why the
 *				attempt failed beyond its exit status
 *				(malloc'd, the reason shown for the step).
 *				Optional: NULL means ws as it is.
 *
 * Deadlines are the loop's, for every backend alike: spec->timeout only
 * informs the backend (a cluster may pass it on as a time limit); the
 * loop sends SIGTERM at the deadline and SIGKILL after the grace.
 *
 * Rules for a backend: never print, never exit, never block; messages
 * are returned (malloc'd) for hm-exec to show; descriptors it opens are
 * close-on-exec (proc_pipe); processes go through the one process API
 * (libhm/proc.h). To add one: write runner_NAME.c with its
 * struct runner_ops and add it to the table in runner.c.
 */

struct runner;

/* One attempt of one step: what to run. Borrowed for ops->start only. */
struct attempt_spec {
	const char *key;		/* the step's key ("S@L": a replica) */
	const char *label;		/* for people */
	const struct ir_step *step;	/* the IR step: runner, runner_args,
					   image through ir_more(step) */
	const char *state_from;		/* key of the step whose state this
					   one builds in, NULL: the start */
	int attempt;			/* 1-based */
	const char *cmd;		/* a command: /bin/sh -c cmd; NULL
					   when argv is set */
	char *const *argv;		/* a baker: argv[0] looked up in PATH
					   without a '/'; NULL for commands */
	char *const *envp;		/* the whole environment */
	const char *cwd;		/* NULL: hm-exec's own */
	bool split_stdout;		/* stdout to frag_fd, stderr to out_fd */
	double timeout;			/* seconds, 0: none (see above) */
};

/* A started attempt, as the loop sees it. */
struct attempt {
	pid_t pid;		/* the local process the loop reaps */
	int out_fd;		/* output, non-blocking; -1: none or EOF */
	int frag_fd;		/* split_stdout: stdout; -1: none or EOF */
	void *data;		/* the backend's own, released by finish */
};

struct isolation;

/* What a backend knows of the run. */
struct runner_run {
	const char *run_id;		/* HM_RUN_ID */
	const char *log_dir;		/* the run's log directory */
	const struct ir_doc *doc;	/* the document, as first loaded */
	double grace;			/* --grace: seconds from TERM to KILL */
	long jobs;			/* -j */
	struct isolation *isolation;	/* the isolated runner's (isolate.h) */
};

struct runner_ops {
	const char *name;	/* as in --runner NAME and IR "runner" */
	/*
	 * Probe and set up, once per run, before the backend's first
	 * attempt. Returns 0, or an exit status (sysexits: 69 when a
	 * service is unavailable) with *msg saying why (malloc'd).
	 * Optional.
	 */
	int (*init)(struct runner *rn, char **msg);
	/* The run is over: every attempt has finished. Optional. */
	void (*teardown)(struct runner *rn);
	/*
	 * Start an attempt: fill *a. Returns 0, or an errno value with
	 * *msg saying what could not be started (malloc'd, or NULL to use
	 * strerror); nothing is left running or open then.
	 */
	int (*start)(struct runner *rn, const struct attempt_spec *spec,
	    struct attempt *a, char **msg);
	/* Send sig (SIGTERM, SIGKILL) to the attempt; 0, or -1: nothing
	 * left to receive it. */
	int (*signal)(struct runner *rn, struct attempt *a, int sig);
	/* The attempt is over: its status (see above). Optional. */
	int (*finish)(struct runner *rn, struct attempt *a, int wstatus,
	    char **msg);
	/*
	 * Every attempt has finished: wait (bounded) for the processes the
	 * backend started beside them, which would otherwise count as left
	 * behind by steps. Optional.
	 */
	void (*settle)(struct runner *rn);
};

/* A backend in use by this run. */
struct runner {
	const struct runner_ops *ops;
	const struct runner_run *run;
	void *state;		/* the backend's own, from init */
	bool probed;		/* init ran (and succeeded) */
};

/* The backends of a run, probed ones first used. */
struct runners {
	struct runner *v;	/* one per backend in the table */
	size_t n;
	struct runner *dflt;	/* the run's default */
	struct runner_run run;
};

/* The backend called name, or NULL. */
const struct runner_ops *runner_lookup(const char *name);

/*
 * Set up rs with the default backend dflt (NULL: "local") and probe it
 * and every backend a step of run->doc names. Returns 0, or an exit
 * status with *msg (malloc'd): an unknown dflt is 64, a failed probe the
 * backend's status.
 */
int runners_init(struct runners *rs, const char *dflt,
    const struct runner_run *run, char **msg);

/*
 * The backend for step (probed now if it was not). NULL with *msg
 * (malloc'd) when its probe fails.
 */
struct runner *runners_for(struct runners *rs, const struct ir_step *step,
    char **msg);

/*
 * The local backend: bakers always run here (a dynamic step's runner
 * fields are recorded only, ir-spec/dynamic.md). NULL with *msg when its
 * probe fails.
 */
struct runner *runners_local(struct runners *rs, char **msg);

/* Let every probed backend settle (ops->settle). */
void runners_settle(struct runners *rs);

/* Tear down every probed backend. */
void runners_release(struct runners *rs);

/* The local process runner: /bin/sh -c CMD in a process group. */
extern const struct runner_ops runner_local;
/* The Slurm runner: each attempt as srun ... /bin/sh -c CMD
 * (runner_slurm.c). RUNNER_SLURM_JOBS is -j's default with --runner
 * slurm: steps in flight on the cluster, not this machine's CPUs. */
extern const struct runner_ops runner_slurm;
#define RUNNER_SLURM_JOBS	32

#endif
