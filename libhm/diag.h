/* hm: diagnostics, one catalogue of every message with its level. */
#ifndef HM_DIAG_H
#define HM_DIAG_H

#include <stddef.h>

/*
 * The library never prints. It records diagnostics in a diag_list; each
 * tool's main prints them once, as
 *	prog: FILE:LINE:COL: LEVEL: MESSAGE
 * and takes its exit status from the worst level. Every message is one
 * entry of diag.def: its code, level and printf format, nothing else.
 */
enum diag_level {
	DIAG_WARNING,
	DIAG_ERROR
};

enum diag_code {
#define DIAG(code, level, fmt) code,
#include "diag.def"
#undef DIAG
	DIAG__COUNT
};

/* A place in an input: 1-based line and column (characters), 0 = none. */
struct srcpos {
	const char *file;
	unsigned line, col;
};

struct diag {
	enum diag_code code;
	struct srcpos pos;
	char *msg;		/* formatted; NULL only if memory ran out */
};

struct diag_list {
	struct diag *items;
	size_t n, cap;
	size_t errors, warnings;
	size_t limit;		/* record at most this many; 0 = no limit */
	size_t dropped;		/* reported beyond the limit */
};

#define DIAG_LIST_INIT { NULL, 0, 0, 0, 0, 100, 0 }

void diag_list_release(struct diag_list *l);
/*
 * Append src's diagnostics to dst (counted, and within dst's limit, as
 * if reported there); src is left empty.
 */
void diag_list_move(struct diag_list *dst, struct diag_list *src);

/*
 * Record one diagnostic; the varargs fill the catalogue's format, and the
 * control characters of the result are escaped (esc.h), so that a name
 * quoted from a document cannot drive the terminal. A %s argument ends at
 * its first NUL: quote a name that may hold one with esc_buf. Returns
 * -1 for an error and 0 for a warning, so that library code can write
 * `return diag_report(...)`.
 */
int diag_report(struct diag_list *l, enum diag_code code, struct srcpos pos,
    ...);

enum diag_level diag_level(enum diag_code code);
const char *diag_level_name(enum diag_level level);
/* The catalogue's format string for code (for the man pages' lists). */
const char *diag_format(enum diag_code code);
/* The symbolic name of code, e.g. "E_JSON_SYNTAX". */
const char *diag_name(enum diag_code code);

/*
 * The catalogue's message for code with the varargs filled in, as a
 * string from malloc (at most 1023 bytes); NULL if memory ran out.
 */
char *diag_msg(enum diag_code code, ...);

/*
 * Format d as "prog: FILE:LINE:COL: LEVEL: MESSAGE" (position parts left
 * out when unknown) into a string from malloc; NULL if memory ran out.
 */
char *diag_string(const struct diag *d, const char *prog);

#endif
