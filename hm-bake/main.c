/* hm: hm-bake: a YAML definition baked to IR v1, or one target's fragment. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "bake.h"
#include "def.h"
#include "diag.h"
#include "file.h"
#include "ir.h"
#include "ir_check.h"
#include "ir_load.h"
#include "ir_write.h"
#include "jsonw.h"
#include "lint.h"
#include "proc.h"
#include "tool.h"
#include "ytree.h"

extern char **environ;

/*
 * Read the definition, check all of it (def_parse), bake the pipeline or
 * the one --target, check the result with the library's own validator,
 * and write it through the canonical writer. Diagnostics are printed
 * once, after the stage that found them.
 */

#define MAX_DEFINITION	(256u * 1024 * 1024)

enum option_id {
	OPT_COMPACT = 256,
	OPT_CHECK,
	OPT_FRESH,
	OPT_WITH_DEPS
};

static const struct tool_option options[] = {
	{ 'p', 'p', "pipeline", "SLUG", "the pipeline to bake (optional if "
	    "only one, or if the definition names a default:)" },
	{ 't', 't', "target", "NAME", "bake only target NAME, as a fragment" },
	{ 'k', 'k', "key-prefix", "KEY",
	    "the fragment's keys go under KEY/ (default NAME)" },
	{ OPT_WITH_DEPS, 0, "with-deps", NULL, "with --target: bake NAME and "
	    "every target it builds in or depends on, as a pipeline" },
	{ OPT_CHECK, 0, "check", NULL, "bake each FILE (every pipeline), "
	    "write nothing; exit with the worst status" },
	{ OPT_FRESH, 0, "fresh", NULL, "the IR beside each definition "
	    "(ci.yml: ci.hm.json) is what baking it gives now" },
	{ OPT_COMPACT, 0, "compact", NULL, "write the IR on one line" },
	{ 0, 0, NULL, NULL, NULL }
};

static const struct tool_cli cli = {
	"usage: hm-bake [--compact] [--pipeline SLUG]\n"
	"               [--target NAME [--key-prefix KEY | --with-deps]] FILE\n"
	"       hm-bake --check [--pipeline SLUG] FILE...\n"
	"       hm-bake --fresh FILE...\n",
	"Bake a YAML pipeline definition into canonical IR v1. FILE - reads\n"
	"the standard input.\n",
	options,
	"Exit status: 0 ok, 1 not up to date (--fresh), 64 usage, 65 invalid\n"
	"definition, 66 cannot open, 74 I/O error. See hm-bake(1) and\n"
	"hm-pipeline(5).\n"
};

static bool
all_definition_errors(const struct diag_list *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (diag_level(d->items[i].code) == DIAG_ERROR &&
		    !bake_definition_error(d->items[i].code))
			return false;
	return d->dropped == 0;
}

/*
 * Signals: the handler only records the signal and wakes a running
 * command's wait through a self-pipe; the command is stopped there
 * (libhm/proc.h) and hm-bake then dies of the same signal. With no
 * command running, it dies at once.
 */
static int sig_fds[2] = { -1, -1 };
static volatile sig_atomic_t sig_caught, cmd_running;

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;

	sig_caught = sig;
	if (!cmd_running) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	if (write(sig_fds[1], &c, 1) < 0) {
		/* full: the wait wakes anyway */
	}
}

static void
signals_init(void)
{
	struct sigaction sa;

	if (proc_pipe(sig_fds) == 0)
		fcntl(sig_fds[1], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* A signal stopped a command: die of it, as the shell expects. */
static void
die_if_signalled(void)
{
	int sig = sig_caught;

	if (!sig)
		return;
	fflush(NULL);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A bake's commands stop when a signal comes (bake.h). */
static void
signals_watch(struct bake *b)
{
	b->cancel_fd = sig_fds[0];
	b->running = &cmd_running;
	b->canceled = &sig_caught;
}

/* What to bake, and what to do with it. */
enum bake_mode {
	BAKE_WRITE,		/* the IR on the standard output */
	BAKE_CHECK,		/* --check: nothing */
	BAKE_FRESH		/* --fresh: into memory, to compare */
};

struct request {
	const char *pipeline, *target, *prefix;
	enum bake_mode mode;
	int compact;
	int with_deps;		/* --with-deps: target and what it needs */
	int all;		/* --check: every pipeline */
};

/* What bake_text gives back beside its status. */
struct baked {
	char *text;		/* BAKE_FRESH: the canonical IR */
	size_t len;
	char **more;		/* req->all: the other pipelines to bake */
	size_t nmore;
	size_t npipelines;
	const char *source_definition;	/* BAKE_FRESH: override */
	struct diag_list *all;		/* req->all: the diagnostics of every
					   pipeline, told once at the end */
};

/* Tell d's diagnostics now, or with the file's others (--check). */
static void
report(struct diag_list *d, struct baked *out)
{
	if (out->all)
		diag_list_move(out->all, d);
	else
		diag_print_all(d, stderr);
}

/*
 * --target NAME --with-deps: a pipeline of that one target, which places
 * every target it builds in or depends on before it. Its env and
 * default image are those of the pipeline a plain bake would pick, if
 * it can pick one; it names no pipeline in the IR's source.
 */
static const struct pipeline *
with_deps_pipeline(struct bake *b, struct def *def, struct target *t,
    const char *name, struct pipeline *pl, struct pentry *e)
{
	struct diag_list quiet = DIAG_LIST_INIT;
	struct diag_list *saved = b->diags;
	const struct pipeline *base;

	memset(pl, 0, sizeof(*pl));
	memset(e, 0, sizeof(*e));
	b->diags = &quiet;
	base = def->npipelines ? bake_pick(b, name) : NULL;
	b->diags = saved;
	diag_list_release(&quiet);
	if (!base && name) {
		bake_pick(b, name);	/* --pipeline names none: say so */
		return NULL;
	}
	if (base) {
		pl->env = base->env;
		pl->default_image = base->default_image;
		pl->pos = base->pos;
	}
	pl->name = t->name;
	e->t.name = t->name;
	e->t.t = t;
	e->t.pos = t->pos;
	e->pos = t->pos;
	pl->v = e;
	pl->n = 1;
	return pl;
}

/* Write doc per req's mode; 0 or an exit status. */
static int
emit(const struct request *req, struct ir_doc *doc, struct baked *out)
{
	struct jsonw w;

	if (req->mode == BAKE_CHECK)
		return 0;
	if (req->mode == BAKE_FRESH) {
		if (out->source_definition)
			doc->source_definition = out->source_definition;
		jsonw_init(&w, -1, 2);
		ir_write(doc, &w);
		if (jsonw_finish(&w, &out->text, &out->len))
			dief(EXIT_SOFTWARE, "out of memory");
		return 0;
	}
	jsonw_init(&w, 1, req->compact ? 0 : 2);
	ir_write(doc, &w);
	if (jsonw_finish(&w, NULL, NULL)) {
		warnf("write error:");
		return EXIT_IOERR;
	}
	return 0;
}

/*
 * Bake the definition text (named file) as req and pipeline say: check
 * all of it, bake, check the result, emit it. Returns the exit status.
 * The text is freed once read, unless req->all keeps it for the next
 * pipeline.
 */
static int
bake_text(const struct request *req, const char *file, char *text,
    size_t len, const char *pipeline, struct baked *out)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct def def;
	struct bake b;
	struct ir_doc *doc;
	const struct ynode *root;
	const char *target = req->target, *prefix = req->prefix;
	struct diag_list chk = DIAG_LIST_INIT;
	struct pipeline deps_pl;
	struct pentry deps_e;
	int status = 0, baked = -1;
	bool parsed, checked;
	size_t i;

	doc = ir_doc_new(file);
	if (!doc)
		dief(EXIT_SOFTWARE, "out of memory");
	memset(&def, 0, sizeof(def));
	def.a = doc->arena;
	def.doc = doc;
	def.file = file;
	bake_init(&b, &def, doc, &diags, environ);
	signals_watch(&b);
	root = ytree_load(doc->arena, file, text, len, &diags);
	if (!req->all)
		free(text);
	/*
	 * Every error of the file in one pass. When the schema's errors are
	 * all in the bodies of some targets, a static bake goes on, those
	 * targets standing in (bake.c), and tells the mistakes of the
	 * others; the expressions of every target are checked then (the
	 * bake may not reach them all). Else, the expressions of the
	 * targets that the bake will not evaluate: the dynamic ones.
	 */
	parsed = root && def_parse(&def, root, &diags) == 0 && !diags.errors;
	if (!parsed && (!root || (target && !req->with_deps) ||
	    diags.errors != def.target_errors || diags.dropped)) {
		if (root)
			lint_def(&def, true, &diags);
		report(&diags, out);
		status = EXIT_DATAERR;
		goto out;
	}
	if (!parsed)
		lint_def(&def, true, &diags);
	else if (!target || req->with_deps)
		lint_def(&def, false, &diags);
	out->npipelines = def.npipelines;
	/* --check of a definition with several pipelines: each of them */
	if (req->all && !pipeline && !target && def.npipelines > 1) {
		out->more = xreallocarray(NULL, def.npipelines - 1,
		    sizeof(*out->more));
		for (i = 1; i < def.npipelines; i++)
			out->more[out->nmore++] =
			    xstrdup(def.pipelines[i].name);
		pipeline = def.pipelines[0].name;
	}
	if (target) {
		struct target *t = def_target(&def, target);

		if (!t) {
			struct srcpos p = { file, 0, 0 };
			const char *hint = def_target_suggest(&def, target);

			if (hint)
				diag_report(&diags, E_BAKE_NO_TARGET_HINT, p,
				    target, hint);
			else
				diag_report(&diags, E_BAKE_NO_TARGET, p,
				    target);
		} else if (req->with_deps) {
			const struct pipeline *pl = with_deps_pipeline(&b,
			    &def, t, pipeline, &deps_pl, &deps_e);

			if (pl && (baked = bake_pipeline(&b, pl)) == 0)
				doc->source_pipeline = NULL;
		} else {
			baked = bake_target(&b, t, prefix);
		}
	} else {
		const struct pipeline *pl = bake_pick(&b, pipeline);

		if (pl)
			baked = bake_pipeline(&b, pl);
	}
	die_if_signalled();
	/* not baked, or not all of it keyed: nothing more to check */
	if (baked || (diags.errors && target && !req->with_deps)) {
		report(&diags, out);
		status = EXIT_DATAERR;
		goto out;
	}

	/*
	 * The output must always pass hm-lower --check. What a generator
	 * printed was checked only as steps, each on its own: references
	 * that close a loop through it, or that lead into the group that
	 * holds it, are found here, and are the definition's errors, as
	 * are continuations through nested groups. Any other failure is
	 * hm-bake's.
	 */
	checked = (target && !req->with_deps ? bake_check_fragment(doc,
	    prefix, &chk) : ir_check(doc, 0, &chk)) == 0 && chk.errors == 0;
	if (checked || all_definition_errors(&chk)) {
		/* what the run would find in the dynamic targets without a
		   run-time value */
		if (!target || req->with_deps)
			bake_check_dynamic(&def, doc, checked, &chk);
	} else {
		struct srcpos p = { NULL, 0, 0 };
		struct diag_list first = DIAG_LIST_INIT;

		diag_report(&first, b.generated ? E_BAKE_GEN_CHECK :
		    E_BAKE_SELF_CHECK, p);
		diag_print_all(&first, stderr);
		diag_list_release(&first);
		diag_list_move(&diags, &chk);
		diag_print_all(&diags, stderr);
		status = b.generated ? EXIT_DATAERR : EXIT_SOFTWARE;
		goto out;
	}
	diag_list_move(&diags, &chk);
	if (diags.errors) {
		report(&diags, out);
		status = EXIT_DATAERR;
		goto out;
	}
	if (diags.n)
		report(&diags, out);	/* warnings */
	status = emit(req, doc, out);
out:
	bake_release(&b);
	def_release(&def);
	diag_list_release(&chk);
	diag_list_release(&diags);
	ir_doc_free(doc);
	return status;
}

/* Read file ("-": the standard input); an exit status, or 0. */
static int
read_definition(const char *file, char **text, size_t *len)
{
	int fd;

	if (strcmp(file, "-") == 0) {
		fd = 0;
	} else if ((fd = open(file, O_RDONLY)) < 0) {
		warnf("cannot open %s:", file);
		return EXIT_NOINPUT;
	}
	if (file_read_fd(fd, MAX_DEFINITION, text, len)) {
		warnf("cannot read %s:", file);
		if (fd != 0)
			close(fd);
		return errno == EFBIG ? EXIT_DATAERR : EXIT_IOERR;
	}
	if (fd != 0)
		close(fd);
	return 0;
}

static void
baked_release(struct baked *o)
{
	size_t i;

	for (i = 0; i < o->nmore; i++)
		free(o->more[i]);
	free(o->more);
	free(o->text);
	memset(o, 0, sizeof(*o));
}

/* Bake one file as req says (--check: every pipeline); exit status. */
static int
bake_file(const struct request *req, const char *file, struct baked *out)
{
	char *text;
	size_t len, i;
	int status, st;

	struct diag_list all = DIAG_LIST_INIT;

	if ((status = read_definition(file, &text, &len)))
		return status;
	/* every pipeline's: what the definition has wrong is told once */
	if (req->all)
		out->all = &all;
	status = bake_text(req, file, text, len, req->pipeline, out);
	for (i = 0; i < out->nmore; i++) {
		st = bake_text(req, file, text, len, out->more[i], out);
		if (st > status)
			status = st;
	}
	if (req->all) {
		diag_print_all(&all, stderr);
		diag_list_release(&all);
		out->all = NULL;
		free(text);
	}
	return status;
}

/* Whether path names a file that exists. */
static int
exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* s without suffix, in a new string, or NULL if s does not end in it. */
static char *
strip(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	char *r;

	if (n <= k || strcmp(s + n - k, suffix))
		return NULL;
	r = xstrdup(s);
	r[n - k] = '\0';
	return r;
}

static char *
concat(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *r = xmalloc(n);

	snprintf(r, n, "%s%s", a, b);
	return r;
}

/*
 * The pair of a definition and the IR baked from it, from either name:
 * ci.yml, ci.yaml, ci.hm.yml and ci.hm.yaml bake to ci.hm.json. 0 if
 * path has no partner that exists (nothing to compare).
 */
static int
pair_of(const char *path, char **def, char **ir)
{
	static const char *const defs[] = {
		".yml", ".yaml", ".hm.yml", ".hm.yaml"
	};
	char *base, *b2;
	size_t i;

	*def = *ir = NULL;
	if ((base = strip(path, ".hm.json")) || (base = strip(path, ".json"))) {
		for (i = 0; i < 4 && !*def; i++) {
			char *d = concat(base, defs[i]);

			if (exists(d))
				*def = d;
			else
				free(d);
		}
		free(base);
		if (!*def)
			return 0;
		*ir = xstrdup(path);
		return 1;
	}
	if (!(base = strip(path, ".yml")) && !(base = strip(path, ".yaml")))
		return 0;
	if ((b2 = strip(base, ".hm"))) {
		free(base);
		base = b2;
	}
	*ir = concat(base, ".hm.json");
	free(base);
	if (!exists(*ir)) {
		free(*ir);
		*ir = NULL;
		return 0;
	}
	*def = xstrdup(path);
	return 1;
}

/*
 * --fresh: the IR committed beside a definition is what baking it gives
 * now, compared in canonical form (so a compact file is fine). The bake
 * takes the pipeline, and the definition's name, recorded in the IR.
 */
static int
fresh_one(const struct request *base, const char *def, const char *ir)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct request req = *base;
	struct baked got = { 0 };
	struct ir_doc *have;
	struct jsonw w;
	char *want;
	size_t wlen;
	int fd, io_error, status;

	if ((fd = open(ir, O_RDONLY)) < 0) {
		warnf("cannot open %s:", ir);
		return EXIT_NOINPUT;
	}
	have = ir_load_fd(fd, ir, NULL, &diags, &io_error);
	close(fd);
	if (!have) {
		diag_print_all(&diags, stderr);
		diag_list_release(&diags);
		return io_error ? EXIT_IOERR : EXIT_DATAERR;
	}
	diag_list_release(&diags);
	jsonw_init(&w, -1, 2);
	ir_write(have, &w);
	if (jsonw_finish(&w, &want, &wlen))
		dief(EXIT_SOFTWARE, "out of memory");
	if (!req.pipeline && have->source_pipeline)
		req.pipeline = have->source_pipeline;
	got.source_definition = have->source_definition;
	status = bake_file(&req, def, &got);
	if (status == 0 && (got.len != wlen || memcmp(got.text, want, wlen))) {
		if (got.npipelines > 1 && req.pipeline)
			warnf("%s is not up to date with %s: bake it again "
			    "(hm-bake --pipeline %s %s > %s)", ir, def,
			    req.pipeline, def, ir);
		else
			warnf("%s is not up to date with %s: bake it again "
			    "(hm-bake %s > %s)", ir, def, def, ir);
		status = 1;
	}
	free(want);
	baked_release(&got);
	ir_doc_free(have);
	return status;
}

/* --fresh over every argument, each pair once; the worst status. */
static int
fresh_files(const struct request *req, const char **files, int n)
{
	char **done = xreallocarray(NULL, (size_t)n + 1, sizeof(*done));
	int i, k, ndone = 0, st, worst = 0;
	char *def, *ir;

	for (i = 0; i < n; i++) {
		if (!pair_of(files[i], &def, &ir))
			continue;
		for (k = 0; k < ndone && strcmp(done[k], ir); k++)
			;
		if (k == ndone) {
			done[ndone++] = ir;
			st = fresh_one(req, def, ir);
			if (st > worst)
				worst = st;
		} else {
			free(ir);
		}
		free(def);
	}
	for (k = 0; k < ndone; k++)
		free(done[k]);
	free(done);
	return worst;
}

/* The command line into req and files (allocated); exits on a bad one. */
static int
parse_args(int argc, char **argv, struct request *req, const char ***filesp)
{
	const char **files = xreallocarray(NULL, (size_t)argc, sizeof(*files));
	struct tool_args args;
	const char *why;
	int id, nfiles = 0;

	/* options and the files in any order, as in hm-exec's baker call */
	tool_args_init(&args, &cli, argc, argv);
	while ((id = tool_getopt(&args)) != TOOL_END) {
		switch (id) {
		case TOOL_OPERAND: files[nfiles++] = args.arg; break;
		case 'p': req->pipeline = args.arg; break;
		case 't': req->target = args.arg; break;
		case 'k': req->prefix = args.arg; break;
		case OPT_COMPACT: req->compact = 1; break;
		case OPT_CHECK: req->mode = BAKE_CHECK; break;
		case OPT_FRESH: req->mode = BAKE_FRESH; break;
		case OPT_WITH_DEPS: req->with_deps = 1; break;
		}
	}
	if (nfiles == 0)
		tool_usage(&cli, "no definition file given");
	if (nfiles > 1 && req->mode == BAKE_WRITE)
		tool_usage(&cli, "too many arguments: one definition file");
	if (req->prefix && !req->target)
		tool_usage(&cli, "--key-prefix needs --target");
	if (req->with_deps && !req->target)
		tool_usage(&cli, "--with-deps needs --target");
	if (req->with_deps && req->prefix)
		tool_usage(&cli, "--with-deps bakes a pipeline, not a fragment: "
		    "it takes no --key-prefix");
	if (req->target && req->pipeline && !req->with_deps)
		tool_usage(&cli, "--pipeline and --target exclude each other");
	if (req->mode == BAKE_FRESH && req->target)
		tool_usage(&cli, "--fresh compares whole pipelines: "
		    "it takes no --target");
	if (req->target &&
	    (why = ir_target_name_problem(req->target, strlen(req->target))))
		tool_usage(&cli, "invalid target name '%s': %s", req->target,
		    why);
	if (req->target && !req->prefix && !req->with_deps)
		req->prefix = req->target;
	if (req->prefix &&
	    (why = ir_key_problem(req->prefix, strlen(req->prefix))))
		tool_usage(&cli, "invalid key prefix '%s': %s", req->prefix,
		    why);
	*filesp = files;
	return nfiles;
}

int
main(int argc, char **argv)
{
	struct request req = { NULL, NULL, NULL, BAKE_WRITE, 0, 0, 0 };
	struct baked out = { 0 };
	const char **files;
	int i, nfiles, status = 0, st;

	tool_init("hm-bake");
	nfiles = parse_args(argc, argv, &req, &files);
	signals_init();

	if (req.mode == BAKE_FRESH) {
		status = fresh_files(&req, files, nfiles);
		free(files);
		return status;
	}
	/* --check: each file on its own, every pipeline; the worst status */
	req.all = req.mode == BAKE_CHECK && !req.pipeline;
	for (i = 0; i < nfiles; i++) {
		st = bake_file(&req, files[i], &out);
		baked_release(&out);
		if (st > status)
			status = st;
	}
	free(files);
	if (close_stdout() && !status)
		status = EXIT_IOERR;
	return status;
}
