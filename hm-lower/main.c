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

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s [--dot [--status EVENTS]] [--compact] "
	    "[--pipeline SLUG] [-o FILE] [FILE | -]\n"
	    "       %s --check [--pipeline SLUG] [FILE...]\n"
	    "       %s --diff [--pipeline SLUG] FILE1 FILE2\n",
	    tool_name, tool_name, tool_name);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: %s [--dot [--status EVENTS]] [--compact] "
	    "[--pipeline SLUG] [-o FILE] [FILE | -]\n"
	    "       %s --check [--pipeline SLUG] [FILE...]\n"
	    "       %s --diff [--pipeline SLUG] FILE1 FILE2\n\n"
	    "Read an IR document (v1, legacy v0, or an envelope), validate it\n"
	    "and write it as canonical IR v1.\n\n"
	    "  --check           validate only, any number of files; print\n"
	    "                    diagnostics; exit with the worst status\n"
	    "  --diff            the structural difference of two documents,\n"
	    "                    step by step; exit 1 if they differ\n"
	    "  --dot             write a Graphviz DOT graph\n"
	    "  --status EVENTS   colour it by status from hm-exec --events\n"
	    "  --compact         write the IR on one line\n"
	    "  -p, --pipeline SLUG  the envelope's pipeline to read\n"
	    "  -o FILE           write to FILE instead of standard output\n"
	    "  -h, --help        show this help\n\n"
	    "Exit status: 0 ok, 64 usage, 65 invalid input, 66 cannot open,\n"
	    "74 I/O error (--diff: 1 different). See hm-lower(1).\n",
	    tool_name, tool_name, tool_name);
}

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
check_files(char **files, int n, const struct ir_load_opts *opts)
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
diff_files(char **files, const struct ir_load_opts *opts)
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

int
main(int argc, char **argv)
{
	const char *file = NULL, *out = NULL, *status_file = NULL;
	struct run_status rs = { NULL, 0, 0, NULL };
	struct ir_dot_status st;
	struct ir_load_opts opts = { NULL };
	enum mode mode = MODE_LOWER;
	int compact = 0, fd, i, status = 0;
	struct ir_doc *doc;
	struct file_out of = FILE_OUT_INIT;
	const char *why;

	tool_init("hm-lower");
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || strcmp(a, "-") == 0)
			break;
		if (strcmp(a, "--check") == 0 || strcmp(a, "-c") == 0) {
			if (mode != MODE_LOWER && mode != MODE_CHECK)
				usage();
			mode = MODE_CHECK;
		} else if (strcmp(a, "--dot") == 0) {
			if (mode != MODE_LOWER && mode != MODE_DOT)
				usage();
			mode = MODE_DOT;
		} else if (strcmp(a, "--diff") == 0) {
			if (mode != MODE_LOWER && mode != MODE_DIFF)
				usage();
			mode = MODE_DIFF;
		} else if (tool_long_opt(a, "--status")) {
			status_file = tool_optarg(argv, &i, 8, usage);
		} else if (strcmp(a, "--compact") == 0) {
			compact = 1;
		} else if (tool_long_opt(a, "--pipeline")) {
			opts.pipeline = tool_optarg(argv, &i, 10, usage);
		} else if (strncmp(a, "-p", 2) == 0) {
			opts.pipeline = tool_optarg(argv, &i, 2, usage);
		} else if (strncmp(a, "-o", 2) == 0) {
			out = tool_optarg(argv, &i, 2, usage);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			help();
			return close_stdout();
		} else {
			warnf("unknown option '%s'", a);
			usage();
		}
	}
	if (status_file && mode != MODE_DOT) {
		warnf("--status needs --dot");
		usage();
	}
	/* a closed pipe is a write error to report, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	if (mode == MODE_CHECK)
		return check_files(argv + i, argc - i, &opts);
	if (mode == MODE_DIFF) {
		if (argc - i != 2) {
			warnf("--diff compares two documents");
			usage();
		}
		return diff_files(argv + i, &opts);
	}
	if (argc - i > 1) {
		warnf("too many arguments: one input file at most");
		usage();
	}
	if (i < argc)
		file = argv[i];

	doc = load_checked(file, &opts, 0, &status);
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
	if (write_output(doc, mode, compact, status_file ? &st : NULL,
	    fd) < 0) {
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
	if (status == 0)
		status = close_stdout();
	return status;
}
