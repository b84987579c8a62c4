/* hm: what the three tools share outside the library: messages, exits. */
#ifndef HM_TOOL_H
#define HM_TOOL_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"

/*
 * Tool code only: these print and exit, which the library never does.
 * Exit statuses follow sysexits(3).
 */
#define EXIT_USAGE	64	/* EX_USAGE: bad command line */
#define EXIT_DATAERR	65	/* EX_DATAERR: invalid input */
#define EXIT_NOINPUT	66	/* EX_NOINPUT: cannot open input */
#define EXIT_SOFTWARE	70	/* EX_SOFTWARE: internal error */
#define EXIT_IOERR	74	/* EX_IOERR: read or write error */

extern const char *tool_name;	/* set once by main: "hm-lower", ... */

/* Set tool_name, and how the process keeps the memory it frees. */
void tool_init(const char *name);

/* "tool: message" on stderr; a format ending in ':' appends strerror(errno). */
void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* warnf, then exit with status. */
_Noreturn void dief(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Command lines. Each tool describes its options once, in a table that
 * both the parser and --help read. Options and operands come in any
 * order; "--" ends the options; "-" is an operand. Short options cluster
 * ("-kn", "-j4"); a value follows a long option as "--name=VALUE" or as
 * the next argument, a short one glued ("-j4") or as the next argument.
 * Every tool has -h/--help and --version; the parser answers them itself
 * (on stdout, then exits 0). A bad command line is a message, the usage
 * lines on stderr and exit status 64: "unknown option '--chek' (did you
 * mean '--check'?)", "option '--jobs' needs a value", "option '--dot'
 * takes no value".
 */
struct tool_option {
	int id;			/* what tool_getopt returns: > 0 */
	char short_name;	/* 'j' for -j, or 0 */
	const char *long_name;	/* "jobs" for --jobs, or NULL */
	const char *arg;	/* the value's name in --help ("N"), NULL: none */
	const char *help;	/* one line for --help */
};

struct tool_cli {
	const char *usage;	/* "usage: ...\n" lines, as in the man page */
	const char *about;	/* --help: what the tool does (paragraphs) */
	const struct tool_option *options;	/* ended by an id of 0 */
	const char *epilogue;	/* --help: after the options, or NULL */
};

#define TOOL_END	(-1)	/* no more arguments */
#define TOOL_OPERAND	(-2)	/* an operand, in arg */

/* The parser's state: tool_args_init, then tool_getopt until TOOL_END. */
struct tool_args {
	const struct tool_cli *cli;
	char **argv;		/* main's */
	int argc, i;		/* its length; the next element to read */
	const char *cluster;	/* the rest of a "-kn" being read */
	int only_operands;	/* after "--" */
	const struct tool_option *opt;	/* the option just returned */
	int long_form;		/* whether it was spelt --name */
	const char *arg;	/* its value, or the operand */
};

void tool_args_init(struct tool_args *a, const struct tool_cli *cli,
    int argc, char **argv);
/*
 * The next option's id (its value in a->arg), TOOL_OPERAND (the operand in
 * a->arg), or TOOL_END. Exits on --help, --version and on errors.
 */
int tool_getopt(struct tool_args *a);
/*
 * The value of the option just returned as a number from min to max, or
 * "option '-j' needs a number from 1 to 4096, found 'x'" and exit 64.
 */
long tool_optnum(const struct tool_args *a, long min, long max);
/* "tool: message" (if fmt is not NULL), the usage lines, exit 64. */
_Noreturn void tool_usage(const struct tool_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

/*
 * Print every diagnostic in l to f as "tool: FILE:LINE:COL: LEVEL: MSG",
 * then a line saying how many were left out beyond the limit. Returns the
 * number of errors.
 */
size_t diag_print_all(const struct diag_list *l, FILE *f);

/*
 * Close stdout and report a write error (EPIPE, ENOSPC) as
 * "tool: write error: ...". Returns 0 or EXIT_IOERR.
 */
int close_stdout(void);

#endif
