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

#include "exec.h"
#include "file.h"
#include "ir_check.h"
#include "ir_load.h"
#include "ir_write.h"
#include "jsonw.h"
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
    "               [--grace SECONDS] [--junit FILE] [--log-dir DIR]\n"
    "               [--max-depth N] [--pipeline SLUG] [--target NAME]\n"
    "               [FILE | DEFINITION.yml]\n";

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

static void
parse_args(struct run_opts *o, int argc, char **argv)
{
	int i, nfiles = 0;
	const char *val;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	o->jobs = cpus > 0 ? cpus : 1;
	o->max_depth = 16;
	o->grace = 5;
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
		else if (FLAG("--emit-ir"))
			o->emit_ir = val;
		else if (FLAG("--bake"))
			o->bake = val;
		else if (FLAG("--definition"))
			o->definition = val;
		else if (FLAG("--pipeline"))
			o->pipeline = val;
		else if (FLAG("--target"))
			o->target = val;
		else if (FLAG("--env"))
			set_var(val);
		else if (FLAG("--max-depth"))
			o->max_depth = num_arg(name, val, 0, 1000);
		else if (FLAG("--grace"))
			o->grace = (double)num_arg(name, val, 0, 3600);
		else
			usage("unknown option", name);
#undef FLAG
	}
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

static void
run_setup(struct run *r)
{
	time_t t = time(NULL);
	struct tm tm;
	char stamp[32];
	const char *why;
	long i;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	strftime(r->started_at, sizeof(r->started_at), "%Y-%m-%dT%H:%M:%S",
	    &tm);
	snprintf(r->run_id, sizeof(r->run_id), "%s-%ld", stamp,
	    (long)getpid());
	if (r->o.log_dir) {
		r->log_dir = xstrdup(r->o.log_dir);
	} else {
		r->log_dir = xmalloc(strlen(r->run_id) + 16);
		sprintf(r->log_dir, ".hm/logs/%s", r->run_id);
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
		/* .hm/logs/latest names the newest run; best effort */
		unlink(".hm/logs/latest");
		if (symlink(r->run_id, ".hm/logs/latest") < 0) {
			/* not worth failing the run for */
		}
	}
	r->outputs_path = xmalloc(strlen(r->log_dir) + 16);
	sprintf(r->outputs_path, "%s/outputs.json", r->log_dir);
	r->outputs_dirty = true;
	r->jobs = xcalloc((size_t)r->o.jobs, sizeof(*r->jobs));
	for (i = 0; i < r->o.jobs; i++)
		r->jobs[i].fd = r->jobs[i].frag_fd = r->jobs[i].logfd = -1;
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

static int
emit_ir(struct run *r, const char *path)
{
	struct jsonw w;
	char *s = NULL;
	size_t len = 0;
	int ret;

	jsonw_init(&w, -1, 2);
	ir_write(r->doc, &w);
	if (jsonw_finish(&w, &s, &len) < 0) {
		free(s);
		return -1;
	}
	ret = write_atomic(path, s, len);
	free(s);
	return ret;
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

int
main(int argc, char **argv)
{
	static struct run r;	/* static: reachable to the end, for LSan */
	int code;

	tool_init("hm-exec");
	std_fds();
	memset(&r, 0, sizeof(r));
	parse_args(&r.o, argc, argv);
	r.t0 = now();
	r.out = stdout;
	r.events_fd = -1;

	if ((code = entry_load(&r)) != 0)
		return code;
	if (r.o.dry_run) {
		plan_print(&r, stdout);
		return close_stdout();
	}

	if (r.o.events && strcmp(r.o.events, "-") == 0) {
		r.events_fd = 1;
		r.out = stderr;
	} else if (r.o.events) {
		r.events_fd = open(r.o.events, O_WRONLY | O_CREAT | O_TRUNC |
		    O_CLOEXEC, 0666);
		if (r.events_fd < 0)
			dief(EXIT_IOERR, "cannot open '%s':", r.o.events);
	}
	jobserver_setup(&r);
	run_setup(&r);
	out_init(&r);
	if (loop_init() < 0)
		dief(EXIT_SOFTWARE, "cannot set up signal handling:");
#ifdef __linux__
	/* adopt what steps leave behind, so that orphans are reaped here */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
#endif
	events_run_started(&r);
	loop_run(&r);
	jobserver_close(&r.js);
	plan_cancel_rest(&r);

	code = r.failed ? 1 : 0;
	if (r.interrupted)
		code = 128 + r.interrupted;
	out_summary(&r);
	events_run_finished(&r, code);
	if (r.o.junit && junit_write(&r, r.o.junit) < 0) {
		warnf("cannot write '%s':", r.o.junit);
		code = code ? code : EXIT_IOERR;
	}
	if (r.o.emit_ir && emit_ir(&r, r.o.emit_ir) < 0) {
		warnf("cannot write '%s':", r.o.emit_ir);
		code = code ? code : EXIT_IOERR;
	}
	if (r.events_fd > 1 && close(r.events_fd) < 0 && !r.events_errno)
		r.events_errno = errno;
	if (r.events_errno) {
		errno = r.events_errno;
		warnf("cannot write events to '%s':", r.o.events);
		code = code ? code : EXIT_IOERR;
	}
	if (r.log_errno)
		code = code ? code : EXIT_IOERR;
	if (r.interrupted) {
		/* die by the signal, so that a shell running us stops too */
		fflush(NULL);
		signal(r.interrupted, SIG_DFL);
		raise(r.interrupted);
		return code;
	}
	if (close_stdout() != 0 && code == 0)
		code = EXIT_IOERR;
	return code;
}
