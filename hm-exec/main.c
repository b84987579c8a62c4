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
static const char usage_text[] =
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
    "       hm-exec [--store DIR] --shell KEY | --apply KEY\n";

static _Noreturn void
usage(const char *why, const char *arg)
{
	if (why)
		fprintf(stderr, "hm-exec: %s%s%s%s\n", why, arg ? " '" : "",
		    arg ? arg : "", arg ? "'" : "");
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

static long
num_arg(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		fprintf(stderr, "hm-exec: %s needs a number from %ld to %ld, "
		    "found '%s'\n", opt, min, max, s);
		usage(NULL, NULL);
	}
	return v;
}

/* -e NAME=VALUE: in the environment of the bake and of every step. */
static void
set_var(const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name;

	if (!eq || eq == arg)
		usage("-e needs NAME=VALUE, found", arg);
	name = xstrdup(arg);
	name[eq - arg] = '\0';
	if (ir_env_name_problem(name, strlen(name)))
		usage("-e: invalid variable name in", arg);
	if (setenv(name, eq + 1, 1) < 0)
		dief(EXIT_SOFTWARE, "setenv:");
	free(name);
}

static const char *const isolate_words[] = { "auto", "overlay", "copy",
	"none", NULL };

/* One of words (NULL-terminated), as its index; else a usage error. */
static int
word_arg(const char *opt, const char *s, const char *const *words)
{
	int i;

	for (i = 0; words[i]; i++)
		if (strcmp(s, words[i]) == 0)
			return i;
	fprintf(stderr, "hm-exec: %s takes", opt);
	for (i = 0; words[i]; i++)
		fprintf(stderr, "%s '%s'", i ? (words[i + 1] ? "," : " or") :
		    "", words[i]);
	fprintf(stderr, ", not '%s'\n", s);
	usage(NULL, NULL);
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
	if (!*s || *s == '-' || *end || errno || v > (UINT64_MAX >> shift)) {
		fprintf(stderr, "hm-exec: %s needs a size in bytes (with K, M, "
		    "G or T), found '%s'\n", opt, s);
		usage(NULL, NULL);
	}
	return (uint64_t)v << shift;
}

static void
parse_args(struct run_opts *o, int argc, char **argv)
{
	int i, nfiles = 0;
	const char *val;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

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
	for (i = 1; i < argc; i++) {
		char *a = argv[i], *eq;
		const char *name = a;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		/* the file, before or among the options */
		if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (nfiles++)
				usage("too many arguments:", a);
			if (strcmp(a, "-") != 0)
				o->file = a;
			continue;
		}
		if (a[1] != '-') {
			/* clustered short options; -j takes a value */
			for (a++; *a; a++) {
				switch (*a) {
				case 'k': o->keep_going = true; break;
				case 'n': o->dry_run = true; break;
				case 'v': o->verbose = true; break;
				case 'h': fputs(usage_text, stdout); exit(0);
				case 'j':
					val = a[1] ? a + 1 : argv[++i];
					if (!val)
						usage("option needs a value:",
						    "-j");
					o->jobs = num_arg("-j", val, 1, 4096);
					o->jobs_given = true;
					a += strlen(a) - 1;
					break;
				case 'e':
					val = a[1] ? a + 1 : argv[++i];
					if (!val)
						usage("option needs a value:",
						    "-e");
					set_var(val);
					a += strlen(a) - 1;
					break;
				default: {
					char opt[3] = { '-', *a, '\0' };

					usage("unknown option", opt);
				}
				}
			}
			continue;
		}
		val = NULL;
		if ((eq = strchr(a, '=')) != NULL) {
			*eq = '\0';
			val = eq + 1;
		}
#define FLAG(n) (strcmp(name, n) == 0)
		if (FLAG("--no-cache")) {
			if (val)
				usage("option takes no value:", name);
			o->iso.no_cache = true;
			continue;
		}
		if (FLAG("--keep-going") || FLAG("--dry-run") ||
		    FLAG("--verbose") || FLAG("--help")) {
			if (val)
				usage("option takes no value:", name);
			if (FLAG("--help")) {
				fputs(usage_text, stdout);
				exit(0);
			}
			if (FLAG("--keep-going"))
				o->keep_going = true;
			else if (FLAG("--dry-run"))
				o->dry_run = true;
			else
				o->verbose = true;
			continue;
		}
		if (!val && !(val = argv[++i]))
			usage("option needs a value:", name);
		if (FLAG("--jobs")) {
			o->jobs = num_arg(name, val, 1, 4096);
			o->jobs_given = true;
		}
		else if (FLAG("--log-dir"))
			o->log_dir = val;
		else if (FLAG("--events"))
			o->events = val;
		else if (FLAG("--junit"))
			o->junit = val;
		else if (FLAG("--report"))
			o->report = val;
		else if (FLAG("--trace"))
			o->trace = val;
		else if (FLAG("--emit-ir"))
			o->emit_ir = val;
		else if (FLAG("--bake"))
			o->bake = val;
		else if (FLAG("--definition"))
			o->definition = val;
		else if (FLAG("--pipeline"))
			o->pipeline = val;
		else if (FLAG("--runner"))
			o->runner = val;
		else if (FLAG("--target"))
			o->target = val;
		else if (FLAG("--env"))
			set_var(val);
		else if (FLAG("--output"))
			o->output = strcmp(val, "failed") == 0 ?
			    TERM_OUTPUT_FAILED : strcmp(val, "all") == 0 ?
			    TERM_OUTPUT_ALL : strcmp(val, "none") == 0 ?
			    TERM_OUTPUT_NONE : (usage("--output takes all, "
			    "failed or none, not", val), 0);
		else if (FLAG("--keep-runs"))
			o->keep_runs = num_arg(name, val, 1, 100000);
		else if (FLAG("--tail"))
			o->tail = num_arg(name, val, 0, 10000);
		else if (FLAG("--isolate")) {
			o->iso.mode = (enum isolate_mode)word_arg(name, val,
			    isolate_words);
			o->iso.quiet = false;
		}
		else if (FLAG("--keep")) {
			static const char *const w[] = { "none", "failed",
			    "all", NULL };

			o->iso.keep = (enum isolate_keep)word_arg(name, val, w);
		} else if (FLAG("--store"))
			o->iso.store = val;
		else if (FLAG("--image-path"))
			o->iso.image_path = val;
		else if (FLAG("--shell"))
			o->shell = val;
		else if (FLAG("--apply"))
			o->apply = val;
		else if (FLAG("--cache-max-age"))
			o->iso.cache_max_age = (time_t)num_arg(name, val, 0,
			    100000) * 86400;
		else if (FLAG("--cache-max-size"))
			o->iso.cache_max_bytes = size_arg(name, val);
		else if (FLAG("--max-depth"))
			o->max_depth = num_arg(name, val, 0, 1000);
		else if (FLAG("--grace"))
			o->grace = (double)num_arg(name, val, 0, 3600);
		else
			usage("unknown option", name);
#undef FLAG
	}
	/* steps in flight on a cluster, not this machine's CPUs */
	if (!o->jobs_given && o->runner && strcmp(o->runner, "slurm") == 0)
		o->jobs = RUNNER_SLURM_JOBS;
	for (; i < argc; i++) {
		if (nfiles++)
			usage("too many arguments:", argv[i]);
		if (strcmp(argv[i], "-") != 0)
			o->file = argv[i];
	}
	if (o->target && ir_target_name_problem(o->target,
	    strlen(o->target)))
		usage("invalid target name", o->target);
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
