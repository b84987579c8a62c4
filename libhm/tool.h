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
 * The argument of option argv[*i], whose name is the first namelen bytes
 * of argv[*i]: from "--opt=ARG", "-oARG", or the next argument (then *i
 * advances). If there is none: a message, then usage(), which exits.
 */
const char *tool_optarg(char **argv, int *i, size_t namelen,
    void (*usage)(void));
/* Whether argv element a is the long option name, alone or "name=...". */
int tool_long_opt(const char *a, const char *name);

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
