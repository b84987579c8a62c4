/* hm: hm-lower: any IR in, canonical IR v1 out; --check lints, --dot draws. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "diff.h"
#include "file.h"
#include "ir.h"
#include "ir_check.h"
#include "ir_dot.h"
#include "ir_load.h"
#include "ir_write.h"
#include "json.h"
#include "jsonw.h"
#include "status.h"
#include "tool.h"

/*
 * Reads the whole input, builds the IR model (migrating v0), validates it,
 * and writes one of: nothing (--check), DOT (--dot), canonical IR v1.
 * Diagnostics go to stderr once, at the end of each stage; output is
 * written only for a valid document, to a temporary file renamed over
 * -o FILE so that a failed run never leaves half a file behind (file.h: a
 * device or a FIFO is written in place, a symbolic link is refused).
 */

enum mode {
	MODE_LOWER,
	MODE_CHECK,
	MODE_DOT,
	MODE_DIFF
};

enum option_id {
	OPT_CHECK = 'c',
	OPT_PIPELINE = 'p',
	OPT_OUTPUT = 'o',
	OPT_DIFF = 256,
	OPT_DOT,
	OPT_STATUS,
	OPT_COMPACT
};

static const struct tool_option options[] = {
	{ OPT_CHECK, 'c', "check", NULL, "validate only, any number of files; "
	    "print diagnostics; exit with the worst status" },
	{ OPT_DIFF, 0, "diff", NULL, "the structural difference of two "
	    "documents, step by step; exit 1 if they differ" },
	{ OPT_DOT, 0, "dot", NULL, "write a Graphviz DOT graph" },
	{ OPT_STATUS, 0, "status", "EVENTS",
	    "with --dot: colour it by status from hm-exec --events" },
	{ OPT_COMPACT, 0, "compact", NULL, "write the IR on one line" },
	{ OPT_PIPELINE, 'p', "pipeline", "SLUG",
	    "the envelope's pipeline to read" },
	{ OPT_OUTPUT, 'o', NULL, "FILE",
	    "write to FILE instead of standard output" },
	{ 0, 0, NULL, NULL, NULL }
};

static const struct tool_cli cli = {
	"usage: hm-lower [--dot [--status EVENTS]] [--compact] "
	"[--pipeline SLUG]\n"
	"                [-o FILE] [FILE | -]\n"
	"       hm-lower --check [--pipeline SLUG] [FILE...]\n"
	"       hm-lower --diff [--pipeline SLUG] FILE1 FILE2\n",
	"Read an IR document (v1, legacy v0, or an envelope), validate it\n"
	"and write it as canonical IR v1.\n",
	options,
	"Exit status: 0 ok, 64 usage, 65 invalid input, 66 cannot open,\n"
	"74 I/O error (--diff: 1 different). See hm-lower(1).\n"
};

static int
write_output(const struct ir_doc *doc, enum mode mode, int compact,
    const struct ir_dot_status *st, int fd)
{
	struct jsonw w;
	FILE *f;

	if (mode == MODE_DOT) {
		f = fdopen(dup(fd), "w");
		if (!f)
			return -1;
		if (ir_dot(doc, st, f) < 0) {
			int e = errno;

			fclose(f);
			errno = e;
			return -1;
		}
		return fclose(f) == 0 ? 0 : -1;
	}
	jsonw_init(&w, fd, compact ? 0 : 2);
	ir_write(doc, &w);
	return jsonw_finish(&w, NULL, NULL);
}

/*
 * Read, load and check one input (NULL or "-": the standard input),
 * printing its diagnostics. NULL with *status set to the exit status
 * (65, 66 or 74) if it cannot be used.
 */
static struct ir_doc *
load_checked(const char *file, const struct ir_load_opts *opts, int lint,
    int *status)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct ir_doc *doc;
	const char *name;
	int fd, io_error;

	if (!file || strcmp(file, "-") == 0) {
		fd = STDIN_FILENO;
		name = "<stdin>";
	} else {
		fd = open(file, O_RDONLY);
		if (fd < 0) {
			warnf("cannot open %s:", file);
			*status = EXIT_NOINPUT;
			return NULL;
		}
		name = file;
	}
	doc = ir_load_fd(fd, name, opts, &diags, &io_error);
	if (fd != STDIN_FILENO)
		close(fd);
	if (!doc) {
		diag_print_all(&diags, stderr);
		diag_list_release(&diags);
		*status = io_error ? EXIT_IOERR : EXIT_DATAERR;
		return NULL;
	}
	if (ir_check(doc, lint ? IR_CHECK_LINT : 0, &diags) < 0) {
		diag_print_all(&diags, stderr);
		diag_list_release(&diags);
		ir_doc_free(doc);
		*status = EXIT_DATAERR;
		return NULL;
	}
	diag_print_all(&diags, stderr);	/* warnings */
	diag_list_release(&diags);
	*status = 0;
	return doc;
}

/*
 * --check: every file on its own, each message naming its file; the
 * exit status is the worst (highest) of theirs: 65 invalid, 66 cannot
 * open, 74 cannot read.
 */
static int
check_files(const char **files, int n, const struct ir_load_opts *opts)
{
	struct ir_doc *doc;
	int i, st, worst = 0;

	if (n == 0)
		files = NULL;
	for (i = 0; i < (n ? n : 1); i++) {
		doc = load_checked(files ? files[i] : NULL, opts, 1, &st);
		ir_doc_free(doc);
		if (st > worst)
			worst = st;
	}
	return worst ? worst : close_stdout();
}

/* --diff A B: 0 the same, 1 different, or A's or B's error status. */
static int
diff_files(const char **files, const struct ir_load_opts *opts)
{
	struct ir_doc *a, *b;
	int sa, sb, status;

	a = load_checked(files[0], opts, 0, &sa);
	b = load_checked(files[1], opts, 0, &sb);
	if (!a || !b) {
		ir_doc_free(a);
		ir_doc_free(b);
		return sa > sb ? sa : sb;
	}
	status = ir_diff(a, b, a->file, b->file, stdout) ? 1 : 0;
	ir_doc_free(a);
	ir_doc_free(b);
	if (close_stdout())
		return EXIT_IOERR;
	return status;
}

/* --status FILE: read the events; 0, or the exit status. */
static int
read_status(const char *path, struct run_status *rs)
{
	struct diag_list diags = DIAG_LIST_INIT;
	char *text;
	size_t size;
	int fd = open(path, O_RDONLY), ret;

	if (fd < 0) {
		warnf("cannot open %s:", path);
		return EXIT_NOINPUT;
	}
	ret = json_read_fd(fd, &text, &size);
	close(fd);
	if (ret < 0) {
		warnf("cannot read %s:", path);
		return EXIT_IOERR;
	}
	ret = run_status_read(rs, path, text, size, &diags);
	diag_print_all(&diags, stderr);
	diag_list_release(&diags);
	if (ret < 0) {
		run_status_release(rs);
		return EXIT_DATAERR;
	}
	return 0;
}

/* What the command line asks for. */
struct request {
	enum mode mode;
	int compact;
	const char *out, *status_file;
	struct ir_load_opts opts;
	const char **files;	/* the operands (allocated) */
	int nfiles;
};

static void
set_mode(struct request *req, enum mode mode)
{
	if (req->mode != MODE_LOWER && req->mode != mode)
		tool_usage(&cli, "--check, --diff and --dot exclude each other");
	req->mode = mode;
}

/* The command line into req; exits on a bad one. */
static void
parse_args(int argc, char **argv, struct request *req)
{
	struct tool_args args;
	int id;

	req->files = xreallocarray(NULL, (size_t)argc, sizeof(*req->files));
	tool_args_init(&args, &cli, argc, argv);
	while ((id = tool_getopt(&args)) != TOOL_END) {
		switch (id) {
		case TOOL_OPERAND: req->files[req->nfiles++] = args.arg; break;
		case OPT_CHECK: set_mode(req, MODE_CHECK); break;
		case OPT_DIFF: set_mode(req, MODE_DIFF); break;
		case OPT_DOT: set_mode(req, MODE_DOT); break;
		case OPT_STATUS: req->status_file = args.arg; break;
		case OPT_COMPACT: req->compact = 1; break;
		case OPT_PIPELINE: req->opts.pipeline = args.arg; break;
		case OPT_OUTPUT: req->out = args.arg; break;
		}
	}
	if (req->status_file && req->mode != MODE_DOT)
		tool_usage(&cli, "--status needs --dot");
	if (req->mode == MODE_DIFF && req->nfiles != 2)
		tool_usage(&cli, "--diff compares two documents");
	if (req->mode != MODE_CHECK && req->mode != MODE_DIFF &&
	    req->nfiles > 1)
		tool_usage(&cli, "too many arguments: one input file at most");
}

/* Load, check and write one document as req says; the exit status. */
static int
lower_one(const struct request *req)
{
	const char *file = req->nfiles ? req->files[0] : NULL;
	const char *out = req->out, *status_file = req->status_file;
	struct run_status rs = { NULL, 0, 0, NULL };
	struct file_out of = FILE_OUT_INIT;
	struct ir_dot_status st;
	struct ir_doc *doc;
	int fd, status = 0;
	const char *why;

	doc = load_checked(file, &req->opts, 0, &status);
	if (!doc)
		return status;
	if (status_file && (status = read_status(status_file, &rs)) != 0) {
		ir_doc_free(doc);
		return status;
	}
	st = run_status_dot(&rs);

	if (out) {
		if (file_out_open(&of, out, &why) < 0) {
			if (why)
				warnf("cannot write %s: it %s", out, why);
			else
				warnf("cannot write %s:", out);
			ir_doc_free(doc);
			return EXIT_IOERR;
		}
		fd = of.fd;
	} else {
		fd = STDOUT_FILENO;
	}
	if (write_output(doc, req->mode, req->compact,
	    status_file ? &st : NULL, fd) < 0) {
		warnf("write error%s%s:", out ? " on " : "", out ? out : "");
		status = EXIT_IOERR;
	}
	if (out) {
		if (status != 0)
			file_out_abort(&of);
		else if (file_out_commit(&of) < 0) {
			warnf("write error on %s:", out);
			status = EXIT_IOERR;
		}
	}
	run_status_release(&rs);
	ir_doc_free(doc);
	return status;
}

int
main(int argc, char **argv)
{
	struct request req = { MODE_LOWER, 0, NULL, NULL, { NULL }, NULL, 0 };
	int status;

	tool_init("hm-lower");
	parse_args(argc, argv, &req);
	/* a closed pipe is a write error to report, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	if (req.mode == MODE_CHECK)
		status = check_files(req.files, req.nfiles, &req.opts);
	else if (req.mode == MODE_DIFF)
		status = diff_files(req.files, &req.opts);
	else if ((status = lower_one(&req)) == 0)
		status = close_stdout();
	free(req.files);
	return status;
}
