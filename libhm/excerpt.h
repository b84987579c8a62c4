/* hm: the part of a failed step's output that explains the failure. */
#ifndef HM_EXCERPT_H
#define HM_EXCERPT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A failed step's last lines often do not say why it failed: make prints
 * "Leaving directory" after the compiler's error, a test runner its
 * totals after the failed assertion. The excerpt is the tail of the
 * output plus the last lines that look like errors, each with a few
 * lines of context, in their order in the output, every line at most
 * once, "[...]" where lines were left out. It is bounded whatever the
 * input: at most max_hits error lines (an error line repeated word for
 * word counts once, at its last place), lines cut at EXCERPT_LINE_MAX
 * bytes.
 *
 * An error line holds one of (case as written unless noted):
 *   "error:" (any case: "error:", "Error:", "fatal error:",
 *   "AssertionError:"), "Error " before a digit (make's "Error 2"),
 *   "FAILED", "FAIL:", "Traceback (most recent call last)", "panic:",
 *   "panicked at", "assertion" (any case: glibc's "Assertion `x'
 *   failed", "assertion failed").
 *
 * The text is fed in pieces of any size (a log read in blocks); the
 * state holds only the lines it may still show. Nothing here prints or
 * exits: functions that allocate return NULL or -1 when memory runs out.
 */
#define EXCERPT_LINE_MAX	512	/* bytes of one line kept */
#define EXCERPT_GAP		"[...]"

struct excerpt_opts {
	size_t tail;		/* last lines, always shown */
	size_t before, after;	/* context of an error line */
	size_t max_hits;	/* error lines shown, the last ones */
};
#define EXCERPT_OPTS_INIT	{ 10, 2, 3, 5 }

/* One line of the result; gap lines stand for lines left out. */
struct excerpt_line {
	const char *text;	/* without its newline */
	size_t lineno;		/* 1-based; 0 for a gap */
	bool hit;		/* looks like an error */
};

struct excerpt;

/* A new excerpt; NULL if memory ran out. */
struct excerpt *excerpt_new(const struct excerpt_opts *o);
/* Feed n bytes of output; -1 if memory ran out (the state stays valid). */
int excerpt_feed(struct excerpt *e, const char *buf, size_t n);
/*
 * End the input and return the lines in *n (owned by e, valid until
 * excerpt_free); NULL with *n 0 for an empty output, or if memory ran out.
 */
const struct excerpt_line *excerpt_lines(struct excerpt *e, size_t *n);
/* The lines joined with '\n' (no final newline), malloc'd; NULL: no memory. */
char *excerpt_text(struct excerpt *e);
void excerpt_free(struct excerpt *e);

/* Whether a line (n bytes, no newline) looks like an error. */
bool excerpt_is_error(const char *s, size_t n);

/* The whole thing for text in memory; malloc'd, NULL if memory ran out. */
char *excerpt_of(const char *text, size_t n, const struct excerpt_opts *o);

#endif
