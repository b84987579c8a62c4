/* hm: hm-exec: run an IR graph in parallel, baking dynamic steps on the way. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "file.h"
#include "ir_check.h"
#include "ir_runner.h"
#include "ir_load.h"
#include "proc.h"
#include "run.h"
#include "runs.h"
#include "tool.h"

/*
 * Design: load and check the IR (any version: lowering is in-process),
 * build the run graph, then one poll loop starts ready steps up to -j,
 * collects their output and reaps them. A dynamic step is baked when it
 * becomes ready; its fragment replaces it in the document and the graph
 * is built again, carrying the run state over by key. At the end: the
 * summary, events, JUnit and the expanded IR, and the exit status. An
 * interrupted run cleans up the same way and then dies by its signal.
 */
enum option_id {
	OPT_BAKE = 256,
	OPT_DEFINITION,
	OPT_EMIT_IR,
	OPT_EVENTS,
	OPT_GRACE,
	OPT_JUNIT,
	OPT_KEEP_RUNS,
	OPT_LOG_DIR,
	OPT_MAX_DEPTH,
	OPT_OUTPUT,
	OPT_PIPELINE,
	OPT_REPORT,
	OPT_RUNNER,
	OPT_TAIL,
	OPT_TARGET,
	OPT_TRACE,
	OPT_ISOLATE,
	OPT_KEEP,
	OPT_NO_CACHE,
	OPT_STORE,
	OPT_CACHE_MAX_AGE,
	OPT_CACHE_MAX_SIZE,
	OPT_IMAGE_PATH,
	OPT_SHELL,
	OPT_APPLY
};

static const struct tool_option options[] = {
	{ 'e', 'e', "env", "NAME=VALUE",
	    "set NAME in the environment of the bake and every step" },
	{ 'j', 'j', "jobs", "N",
	    "run up to N steps at a time (default: the CPUs online)" },
	{ 'k', 'k', "keep-going", NULL,
	    "after a failure, run everything not downstream of it" },
	{ 'n', 'n', "dry-run", NULL,
	    "print the plan by stage and run nothing" },
	{ 'v', 'v', "verbose", NULL,
	    "stream output live, each line prefixed by its step" },
	{ OPT_OUTPUT, 0, "output", "WHAT", "what of a step's output is "
	    "printed when it ends: all, none, or failed (a failure's excerpt, "
	    "the default)" },
	{ OPT_TAIL, 0, "tail", "N",
	    "the number of last lines in an excerpt (default 10)" },
	{ OPT_BAKE, 0, "bake", "PATH",
	    "the baker of dynamic steps (default $HM_BAKE, hm-bake)" },
	{ OPT_DEFINITION, 0, "definition", "PATH",
	    "bake from PATH, not the document's source.definition" },
	{ OPT_EMIT_IR, 0, "emit-ir", "FILE",
	    "at the end, write the expanded graph as IR v1 to FILE" },
	{ OPT_EVENTS, 0, "events", "FILE",
	    "write JSON Lines events to FILE ('-': standard output)" },
	{ OPT_GRACE, 0, "grace", "SECONDS",
	    "between SIGTERM and SIGKILL (default 5)" },
	{ OPT_JUNIT, 0, "junit", "FILE",
	    "at the end, write a JUnit XML report to FILE" },
	{ OPT_KEEP_RUNS, 0, "keep-runs", "N", "with the default log "
	    "directory, keep the logs of the last N runs (default 10)" },
	{ OPT_LOG_DIR, 0, "log-dir", "DIR",
	    "where the logs go (default .hm/logs/RUN)" },
	{ OPT_MAX_DEPTH, 0, "max-depth", "N",
	    "how deeply dynamic steps may nest (default 16)" },
	{ OPT_PIPELINE, 0, "pipeline", "SLUG",
	    "the pipeline to run (an envelope's, or a definition's)" },
	{ OPT_REPORT, 0, "report", "FILE",
	    "at the end, write the run as one HTML page to FILE" },
	{ OPT_RUNNER, 0, "runner", "NAME",
	    "the runner of steps that name none (default local)" },
	{ OPT_TARGET, 0, "target", "NAME",
	    "run only target NAME and what it needs (a definition)" },
	{ OPT_TRACE, 0, "trace", "FILE",
	    "at the end, write the run as Chrome trace-event JSON to FILE" },
	{ OPT_ISOLATE, 0, "isolate", "auto|overlay|copy|none", "how each "
	    "step gets the state it continues in (default auto, or "
	    "$HM_ISOLATE)" },
	{ OPT_KEEP, 0, "keep", "none|failed|all",
	    "the states kept after the run (default failed)" },
	{ OPT_NO_CACHE, 0, "no-cache", NULL,
	    "neither reuse nor record cached states" },
	{ OPT_STORE, 0, "store", "DIR",
	    "where states and the cache live (default ~/.cache/hm)" },
	{ OPT_CACHE_MAX_AGE, 0, "cache-max-age", "DAYS",
	    "drop cached states unused for DAYS (default 30, 0: never)" },
	{ OPT_CACHE_MAX_SIZE, 0, "cache-max-size", "BYTES",
	    "keep the cache under BYTES (K, M, G or T)" },
	{ OPT_IMAGE_PATH, 0, "image-path", "DIRS",
	    "where images are looked up (':'-separated)" },
	{ OPT_SHELL, 0, "shell", "KEY",
	    "open a shell in the kept state of step KEY, run nothing" },
	{ OPT_APPLY, 0, "apply", "KEY",
	    "copy the kept state of step KEY into the work tree, run nothing" },
	{ 0, 0, NULL, NULL, NULL }
};

static const struct tool_cli cli = {
	"usage: hm-exec [-knv] [-j N] [-e NAME=VALUE] [--bake PATH]\n"
	"               [--definition PATH] [--emit-ir FILE] [--events FILE|-]\n"
	"               [--grace SECONDS] [--junit FILE] [--keep-runs N]\n"
	"               [--log-dir DIR] [--max-depth N]\n"
	"               [--output all|failed|none] [--pipeline SLUG]\n"
	"               [--report FILE] [--runner NAME] [--tail N]\n"
	"               [--target NAME] [--trace FILE] [--isolate MODE]\n"
	"               [--keep WHAT] [--no-cache] [--store DIR]\n"
	"               [--cache-max-age DAYS] [--cache-max-size BYTES]\n"
	"               [--image-path DIRS]\n"
	"               [FILE | DEFINITION.yml]\n"
	"       hm-exec [--store DIR] --shell KEY | --apply KEY\n",
	"Run an IR document's steps in parallel, in dependency order, baking\n"
	"dynamic steps when they become ready. FILE (default: the standard\n"
	"input) is IR v1, legacy v0 or an envelope; a YAML definition is\n"
	"baked first.\n",
	options,
	"Exit status: 0 every step passed, 1 a step failed, 64 usage,\n"
	"65 invalid input, 66 cannot open, 74 I/O error, 128+N interrupted\n"
	"by signal N. See hm-exec(1).\n"
};

/* -e NAME=VALUE: in the environment of the bake and of every step. */
static void
set_var(const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name;

	if (!eq || eq == arg)
		tool_usage(&cli, "-e needs NAME=VALUE, found '%s'", arg);
	name = xstrdup(arg);
	name[eq - arg] = '\0';
	if (ir_env_name_problem(name, strlen(name)))
		tool_usage(&cli, "-e: invalid variable name in '%s'", arg);
	if (setenv(name, eq + 1, 1) < 0)
		dief(EXIT_SOFTWARE, "setenv:");
	free(name);
}

/* --output: all, failed or none. */
static int
output_mode(const char *val)
{
	if (strcmp(val, "failed") == 0)
		return TERM_OUTPUT_FAILED;
	if (strcmp(val, "all") == 0)
		return TERM_OUTPUT_ALL;
	if (strcmp(val, "none") != 0)
		tool_usage(&cli, "--output takes all, failed or none, not '%s'",
		    val);
	return TERM_OUTPUT_NONE;
}

static const char *const isolate_words[] = { "auto", "overlay", "copy",
	"none", NULL };

/* One of words (NULL-terminated), as its index; else a usage error. */
static int
word_arg(const char *opt, const char *s, const char *const *words)
{
	char list[128] = "";
	size_t n = 0;
	int i;

	for (i = 0; words[i]; i++) {
		if (strcmp(s, words[i]) == 0)
			return i;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s'%s'",
		    i ? (words[i + 1] ? ", " : " or ") : "", words[i]);
		if (n >= sizeof(list))
			n = sizeof(list) - 1;
	}
	tool_usage(&cli, "%s takes %s, not '%s'", opt, list, s);
}

/* A size in bytes, with an optional K, M, G or T suffix (powers of 1024). */
static uint64_t
size_arg(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	}
	if (!*s || *s == '-' || *end || errno || v > (UINT64_MAX >> shift))
		tool_usage(&cli, "%s needs a size in bytes (with K, M, G or T),"
		    " found '%s'", opt, s);
	return (uint64_t)v << shift;
}

static void
parse_args(struct run_opts *o, int argc, char **argv)
{
	struct tool_args args;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int id, operands = 0;
	const char *val;

	o->jobs = cpus > 0 ? cpus : 1;
	o->max_depth = 16;
	o->tail = 10;
	o->keep_runs = 10;
	o->grace = 5;
	o->iso.mode = ISO_AUTO;
	if ((val = getenv("HM_ISOLATE")) && *val)
		o->iso.mode = (enum isolate_mode)word_arg("HM_ISOLATE", val,
		    isolate_words);
	o->iso.quiet = o->iso.mode == ISO_NONE;
	o->iso.keep = KEEP_FAILED;
	o->iso.cache_max_age = 30 * 86400;
	tool_args_init(&args, &cli, argc, argv);
	while ((id = tool_getopt(&args)) != TOOL_END) {
		switch (id) {
		case TOOL_OPERAND:
			if (operands++)
				tool_usage(&cli, "too many arguments: '%s'",
				    args.arg);
			if (strcmp(args.arg, "-") != 0)
				o->file = args.arg;	/* else stdin */
			break;
		case 'e': set_var(args.arg); break;
		case 'j':
			o->jobs = tool_optnum(&args, 1, 4096);
			o->jobs_given = true;
			break;
		case 'k': o->keep_going = true; break;
		case 'n': o->dry_run = true; break;
		case 'v': o->verbose = true; break;
		case OPT_BAKE: o->bake = args.arg; break;
		case OPT_DEFINITION: o->definition = args.arg; break;
		case OPT_EMIT_IR: o->emit_ir = args.arg; break;
		case OPT_EVENTS: o->events = args.arg; break;
		case OPT_GRACE:
			o->grace = (double)tool_optnum(&args, 0, 3600);
			break;
		case OPT_JUNIT: o->junit = args.arg; break;
		case OPT_REPORT: o->report = args.arg; break;
		case OPT_TRACE: o->trace = args.arg; break;
		case OPT_OUTPUT: o->output = output_mode(args.arg); break;
		case OPT_KEEP_RUNS:
			o->keep_runs = tool_optnum(&args, 1, 100000);
			break;
		case OPT_TAIL: o->tail = tool_optnum(&args, 0, 10000); break;
		case OPT_LOG_DIR: o->log_dir = args.arg; break;
		case OPT_MAX_DEPTH:
			o->max_depth = tool_optnum(&args, 0, 1000);
			break;
		case OPT_PIPELINE: o->pipeline = args.arg; break;
		case OPT_RUNNER: o->runner = args.arg; break;
		case OPT_TARGET: o->target = args.arg; break;
		case OPT_ISOLATE:
			o->iso.mode = (enum isolate_mode)word_arg("--isolate",
			    args.arg, isolate_words);
			o->iso.quiet = false;
			break;
		case OPT_KEEP: {
			static const char *const w[] = { "none", "failed",
			    "all", NULL };

			o->iso.keep = (enum isolate_keep)word_arg("--keep",
			    args.arg, w);
			break;
		}
		case OPT_NO_CACHE: o->iso.no_cache = true; break;
		case OPT_STORE: o->iso.store = args.arg; break;
		case OPT_IMAGE_PATH: o->iso.image_path = args.arg; break;
		case OPT_SHELL: o->shell = args.arg; break;
		case OPT_APPLY: o->apply = args.arg; break;
		case OPT_CACHE_MAX_AGE:
			o->iso.cache_max_age = (time_t)tool_optnum(&args, 0,
			    100000) * 86400;
			break;
		case OPT_CACHE_MAX_SIZE:
			o->iso.cache_max_bytes = size_arg("--cache-max-size",
			    args.arg);
			break;
		}
	}
	/* steps in flight on a cluster, not this machine's CPUs */
	if (!o->jobs_given && o->runner && strcmp(o->runner, "slurm") == 0)
		o->jobs = RUNNER_SLURM_JOBS;
	if (o->target && ir_target_name_problem(o->target,
	    strlen(o->target)))
		tool_usage(&cli, "invalid target name '%s'", o->target);
}

/* The log directory, HM_RUN_ID and HM_OUTPUTS. */
static void
run_setup(struct run *r)
{
	struct sink_run *sr = &r->sinks.run;
	time_t t = time(NULL);
	struct tm tm;
	char stamp[32];
	const char *why;
	long i;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strftime(sr->started_at, sizeof(sr->started_at), "%Y-%m-%dT%H:%M:%S",
	    &tm);
	snprintf(sr->run_id, sizeof(sr->run_id), "%s-%ld", stamp,
	    (long)getpid());
	if (r->o.log_dir) {
		r->log_dir = xstrdup(r->o.log_dir);
	} else {
		r->log_dir = xmalloc(strlen(sr->run_id) + 16);
		sprintf(r->log_dir, ".hm/logs/%s", sr->run_id);
	}
	/* made 0700; refused if another user can write to it (file.h) */
	if (file_private_dir(r->log_dir, &why) < 0) {
		if (why)
			dief(EXIT_IOERR, "cannot use log directory '%s': it %s",
			    r->log_dir, why);
		dief(EXIT_IOERR, "cannot create log directory '%s':",
		    r->log_dir);
	}
	if (!r->o.log_dir) {
		runs_gitignore(".hm");
		runs_prune(".hm/logs", r->o.keep_runs);
		/* .hm/logs/latest names the newest run; best effort */
		unlink(".hm/logs/latest");
		if (symlink(sr->run_id, ".hm/logs/latest") < 0) {
			/* not worth failing the run for */
		}
	}
	r->outputs_path = xmalloc(strlen(r->log_dir) + 16);
	sprintf(r->outputs_path, "%s/outputs.json", r->log_dir);
	r->outputs.dirty = true;
	r->jobs = xcalloc((size_t)r->o.jobs, sizeof(*r->jobs));
	for (i = 0; i < r->o.jobs; i++)
		r->jobs[i].a.out_fd = r->jobs[i].a.frag_fd = -1;
	sr->log_dir = r->log_dir;
	sr->jobs = r->o.jobs;
	sr->verbose = r->o.verbose;
	sr->grace = r->o.grace;
	sr->plan = &r->plan;
	sr->doc = r->doc;
}

/*
 * Under make -jN (MAKEFLAGS names a jobserver) and without -j: up to N
 * at a time, each step beyond the first with a token of make's. A
 * jobserver that cannot be used (a recipe not marked '+') means one at
 * a time, as for make itself.
 */
static void
jobserver_setup(struct run *r)
{
	const char *why;
	int st;

	if (r->o.jobs_given) {
		r->js.rfd = r->js.wfd = -1;
		return;
	}
	st = jobserver_open(&r->js, getenv("MAKEFLAGS"), &why);
	if (st > 0 && r->js.make_jobs > 0)
		r->o.jobs = r->js.make_jobs;
	if (st < 0) {
		warnf("warning: jobserver unavailable (%s): using -j1. "
		    "Add '+' to the parent make rule.", why);
		r->o.jobs = 1;
	}
}

/* The sinks, in order: the log first (the others read what it fills). */
static void
sinks_setup(struct run *r)
{
	FILE *out = stdout;
	void *ev = NULL;

	if (r->o.events) {
		if (!(ev = sink_events_new(r->o.events)))
			dief(EXIT_IOERR, "cannot open '%s':", r->o.events);
		if (strcmp(r->o.events, "-") == 0)
			out = stderr;	/* stdout is the events' */
	}
	sinks_add(&r->sinks, &sink_log_ops, sink_log_new(r->o.jobs,
	    (size_t)r->o.tail));
	sinks_add(&r->sinks, &sink_state_ops, &r->iso);
	sinks_add(&r->sinks, &sink_outputs_ops, sink_outputs_new(&r->outputs,
	    r->outputs_path));
	sinks_add(&r->sinks, &sink_term_ops, sink_term_new(out, r->o.jobs,
	    (enum term_output)r->o.output));
	if (ev)
		sinks_add(&r->sinks, &sink_events_ops, ev);
	if (r->o.junit)
		sinks_add(&r->sinks, &sink_junit_ops,
		    sink_junit_new(r->o.junit));
	if (r->o.emit_ir)
		sinks_add(&r->sinks, &sink_ir_ops, sink_ir_new(r->o.emit_ir,
		    &r->doc));
	if (r->o.report || r->o.trace)
		sinks_add(&r->sinks, &sink_report_ops,
		    sink_report_new(r->o.report, r->o.trace));
}

/* The plan tells the sinks. */
static void
tell_sinks(void *ctx, struct step *s, bool ran)
{
	sinks_step_finished(ctx, s, ran);
}

/* -n: every step with its stage, stage by stage. */
static void
print_stages(const struct plan *p, FILE *f)
{
	uint32_t *stage, nstages = plan_stages(p, &stage), i, l;
	uint32_t *first = xcalloc((size_t)nstages + 2, sizeof(*first));
	uint32_t *order = xcalloc((size_t)p->g.n + 1, sizeof(*order));

	/* a counting sort by stage keeps node order within a stage */
	for (i = 0; i < p->g.n; i++)
		if (p->step[i])
			first[stage[i]]++;
	for (l = 1; l <= nstages + 1; l++)
		first[l] += first[l - 1];
	for (i = p->g.n; i-- > 0;)
		if (p->step[i])
			order[--first[stage[i]]] = i;
	for (l = 1; l <= nstages; l++) {
		uint32_t k;

		for (k = first[l]; k < first[l + 1]; k++) {
			const struct gnode *gn = &p->g.nodes[order[k]];

			if (k == first[l])
				fprintf(f, "stage %u:\n", l);
			fprintf(f, "  %s", gn->key);
			/* the plan's label: a replica's names its leaf, control
			   characters escaped (plan.c) */
			if (p->step[order[k]]->label &&
			    strcmp(p->step[order[k]]->label, gn->key) != 0)
				fprintf(f, ": %s", p->step[order[k]]->label);
			if (gn->kind == GN_DYNAMIC)
				fprintf(f, " [dynamic: bakes target '%s' when"
				    " reached]", ir_more(gn->step)->target_name);
			if (gn->state_from != GRAPH_NONE)
				fprintf(f, " builds in %s",
				    p->g.nodes[gn->state_from].key);
			fputc('\n', f);
		}
	}
	free(stage);
	free(first);
	free(order);
}

/* Keep 0, 1 and 2 open, so that no pipe of ours ever lands on them. */
static void
std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

extern char **environ;

int
main(int argc, char **argv)
{
	struct plan_listener pl = { NULL, tell_sinks };
	struct runner_run rr;
	static struct run r;	/* static: reachable to the end, for LSan */
	int code, c;
	char *msg, *note;

	tool_init("hm-exec");
	std_fds();
	memset(&r, 0, sizeof(r));
	parse_args(&r.o, argc, argv);
	if (r.o.shell)
		return isolate_shell(r.o.iso.store, r.o.shell);
	if (r.o.apply)
		return isolate_apply(r.o.iso.store, r.o.apply);
	r.sinks.run.t0 = proc_now();
	pl.ctx = &r.sinks;
	plan_init(&r.plan, &pl, r.o.keep_going);

	if ((code = entry_load(&r)) != 0)
		return code;
	if (r.o.dry_run) {
		print_stages(&r.plan, stdout);
		return close_stdout();
	}

	jobserver_setup(&r);
	run_setup(&r);
	/* what dynamic steps bake from, taken before anything runs */
	if ((code = bake_definition_copy(&r)) != 0)
		return code;
	r.o.iso.pipeline = r.doc->source_pipeline;
	r.o.iso.default_image = r.doc->default_image;
	if ((code = isolate_setup(&r.iso, &r.o.iso, r.sinks.run.run_id,
	    r.log_dir, &r.plan, &msg, &note)) != 0) {
		warnf("%s", msg);
		free(msg);
		free(note);
		return code;
	}
	if (note) {
		fprintf(stderr, "hm-exec: %s\n", note);
		free(note);
	}
	if (r.iso.mode == ISO_NONE && !r.o.iso.quiet)
		isolate_warn_shared(&r.plan, stderr);
	sinks_setup(&r);
	memset(&rr, 0, sizeof(rr));
	rr.run_id = r.sinks.run.run_id;
	rr.log_dir = r.log_dir;
	rr.doc = r.doc;
	rr.grace = r.o.grace;
	rr.jobs = r.o.jobs;
	rr.isolation = &r.iso;
	if ((code = runners_init(&r.runners, r.o.runner ? r.o.runner :
	    r.iso.mode != ISO_NONE ? "isolated" : NULL, &rr, &msg)) != 0) {
		warnf("%s", msg ? msg : "cannot set up the runner");
		free(msg);
		return code;
	}
	env_base_init(&r.env, environ, &r.doc->env);
	if (loop_init() < 0)
		dief(EXIT_SOFTWARE, "cannot set up signal handling:");
#ifdef __linux__
	/* adopt what steps leave behind, so that orphans are reaped here */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
#endif
	if ((code = sinks_run_started(&r.sinks)) != 0)
		return code;
	if (loop_run(&r) < 0)
		dief(EXIT_SOFTWARE, "poll:");
	jobserver_close(&r.js);
	plan_cancel_rest(&r.plan);
	runners_settle(&r.runners);
	loop_reap_left(&r);
	runners_release(&r.runners);
	if (isolate_release(&r.iso, &msg) < 0 && msg) {
		warnf("%s", msg);
		free(msg);
	}

	code = r.plan.failed ? 1 : 0;
	if (r.plan.interrupted)
		code = 128 + r.plan.interrupted;
	r.sinks.run.interrupted = r.plan.interrupted;
	if ((c = sinks_run_finished(&r.sinks, code)) != 0 && code == 0)
		code = c;
	sinks_release(&r.sinks);
	if (r.plan.interrupted) {
		/* die by the signal, so that a shell running us stops too */
		fflush(NULL);
		signal(r.plan.interrupted, SIG_DFL);
		raise(r.plan.interrupted);
		return code;
	}
	if (close_stdout() != 0 && code == 0)
		code = EXIT_IOERR;
	return code;
}
