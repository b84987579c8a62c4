/* hm: shared tool helpers: messages, exits, memory that dies on failure. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "suggest.h"
#include "tool.h"
#include "version.h"

const char *tool_name = "hm";

void
tool_init(const char *name)
{
	tool_name = name;
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD)
	/*
	 * A tool's stages free big buffers (a document's token array is a
	 * fifth of its input) and then allocate as much again. Served from
	 * the heap and kept there, that memory is reused; given back to
	 * the kernel at each free, it comes back as fresh pages, which the
	 * kernel must clear: on a 30 MB document, a tenth of hm-lower's
	 * time. 32 MB is the largest threshold glibc takes.
	 */
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
#endif
}

static void
vwarnf(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t len = strlen(fmt);

	fprintf(stderr, "%s: ", tool_name);
	vfprintf(stderr, fmt, ap);
	if (len > 0 && fmt[len - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
}

void
warnf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnf(fmt, ap);
	va_end(ap);
}

void
dief(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnf(fmt, ap);
	va_end(ap);
	exit(status);
}

static const struct tool_option help_option = {
	'h', 'h', "help", NULL, "show this help and exit"
};
static const struct tool_option version_option = {
	'V', 0, "version", NULL, "show the version and exit"
};

void
tool_usage(const struct tool_cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vwarnf(fmt, ap);
		va_end(ap);
	}
	fputs(cli->usage, stderr);
	exit(EXIT_USAGE);
}

/* "-j" or "--jobs", as the user spelt the option just read. */
static void
opt_spelling(const struct tool_args *a, char *buf, size_t n)
{
	if (a->long_form)
		snprintf(buf, n, "--%s", a->opt->long_name);
	else
		snprintf(buf, n, "-%c", a->opt->short_name);
}

/* An option's left column in --help: "-j, --jobs N", "    --dot", "-o FILE". */
static int
option_synopsis(const struct tool_option *o, char *buf, size_t n)
{
	char sh[3] = { '-', o->short_name, '\0' };
	int w = snprintf(buf, n, "%s%s%s%s%s%s",
	    o->short_name ? sh : "  ",
	    o->long_name ? (o->short_name ? ", " : "  ") : "",
	    o->long_name ? "--" : "", o->long_name ? o->long_name : "",
	    o->arg ? " " : "", o->arg ? o->arg : "");

	return w < (int)n ? w : (int)n - 1;
}

/*
 * "  LEFT  help", the help folded at spaces to fit 79 columns, each
 * further line indented to the help's column.
 */
static void
print_option(const char *left, int width, const char *help)
{
	int col = 2 + width + 2, room = 79 - col;
	const char *p = help, *end, *brk;

	printf("  %-*s  ", width, left);
	if (room < 20)
		room = 20;
	for (;;) {
		end = p + strlen(p);
		if (end - p > room) {
			for (brk = p + room; brk > p && *brk != ' '; brk--)
				;
			if (brk > p)
				end = brk;
		}
		printf("%.*s\n", (int)(end - p), p);
		if (!*end)
			break;
		p = end + (*end == ' ');
		printf("%*s", col, "");
	}
}

static _Noreturn void
show_help(const struct tool_cli *cli)
{
	const struct tool_option *o, *builtin[] = {
		&help_option, &version_option
	};
	int width = 0, w;
	size_t i;
	char left[80];

	for (o = cli->options; o->id; o++)
		if ((w = option_synopsis(o, left, sizeof(left))) > width)
			width = w;
	for (i = 0; i < 2; i++)
		if ((w = option_synopsis(builtin[i], left, sizeof(left))) >
		    width)
			width = w;
	printf("%s\n%s\nOptions:\n", cli->usage, cli->about);
	for (o = cli->options; o->id; o++) {
		option_synopsis(o, left, sizeof(left));
		print_option(left, width, o->help);
	}
	for (i = 0; i < 2; i++) {
		option_synopsis(builtin[i], left, sizeof(left));
		print_option(left, width, builtin[i]->help);
	}
	if (cli->epilogue)
		printf("\n%s", cli->epilogue);
	exit(close_stdout());
}

static _Noreturn void
show_version(void)
{
	printf("%s %s\n", tool_name, hm_version());
	exit(close_stdout());
}

void
tool_args_init(struct tool_args *a, const struct tool_cli *cli, int argc,
    char **argv)
{
	memset(a, 0, sizeof(*a));
	a->cli = cli;
	a->argc = argc;
	a->argv = argv;
	a->i = argc > 0 ? 1 : 0;
}

/* The option's value: the rest of its word or the next argument. */
static int
take_value(struct tool_args *a, const char *glued)
{
	char name[80];

	if (!a->opt->arg) {
		if (glued) {
			opt_spelling(a, name, sizeof(name));
			tool_usage(a->cli, "option '%s' takes no value", name);
		}
		a->arg = NULL;
		return a->opt->id;
	}
	if (glued) {
		a->arg = glued;
	} else if (a->i < a->argc) {
		a->arg = a->argv[a->i++];
	} else {
		opt_spelling(a, name, sizeof(name));
		tool_usage(a->cli, "option '%s' needs a value", name);
	}
	return a->opt->id;
}

static int
found(struct tool_args *a, const struct tool_option *o, const char *glued)
{
	int id;

	a->opt = o;
	id = take_value(a, glued);
	if (o == &help_option)
		show_help(a->cli);
	if (o == &version_option)
		show_version();
	return id;
}

static int
short_option(struct tool_args *a)
{
	const struct tool_option *o;
	char c = *a->cluster++;

	a->long_form = 0;
	for (o = a->cli->options; o->id; o++)
		if (o->short_name == c)
			break;
	if (!o->id && c == help_option.short_name)
		o = &help_option;
	if (!o->id)
		tool_usage(a->cli, "unknown option '-%c'", c);
	if (o->arg) {
		const char *glued = *a->cluster ? a->cluster : NULL;

		a->cluster = NULL;
		return found(a, o, glued);
	}
	return found(a, o, NULL);
}

static int
long_option(struct tool_args *a, const char *word)
{
	const struct tool_option *o, *builtin[] = {
		&help_option, &version_option
	};
	const char *eq = strchr(word, '='), *best;
	size_t len = eq ? (size_t)(eq - word) : strlen(word), i, best_len;
	struct suggest s;

	a->long_form = 1;
	for (o = a->cli->options; o->id; o++)
		if (o->long_name && strlen(o->long_name) == len &&
		    memcmp(o->long_name, word, len) == 0)
			return found(a, o, eq ? eq + 1 : NULL);
	for (i = 0; i < 2; i++)
		if (strlen(builtin[i]->long_name) == len &&
		    memcmp(builtin[i]->long_name, word, len) == 0)
			return found(a, builtin[i], eq ? eq + 1 : NULL);
	suggest_init(&s, word, len);
	for (o = a->cli->options; o->id; o++)
		if (o->long_name)
			suggest_consider(&s, o->long_name,
			    strlen(o->long_name));
	for (i = 0; i < 2; i++)
		suggest_consider(&s, builtin[i]->long_name,
		    strlen(builtin[i]->long_name));
	if ((best = suggest_best(&s, &best_len)) != NULL)
		tool_usage(a->cli, "unknown option '--%.*s' "
		    "(did you mean '--%.*s'?)", (int)len, word, (int)best_len,
		    best);
	tool_usage(a->cli, "unknown option '--%.*s'", (int)len, word);
}

int
tool_getopt(struct tool_args *a)
{
	const char *s;

	if (a->cluster && *a->cluster)
		return short_option(a);
	a->cluster = NULL;
	a->opt = NULL;
	for (;;) {
		if (a->i >= a->argc)
			return TOOL_END;
		s = a->argv[a->i++];
		if (a->only_operands || s[0] != '-' || s[1] == '\0') {
			a->arg = s;
			return TOOL_OPERAND;
		}
		if (strcmp(s, "--") != 0)
			break;
		a->only_operands = 1;
	}
	if (s[1] == '-')
		return long_option(a, s + 2);
	a->cluster = s + 1;
	return short_option(a);
}

long
tool_optnum(const struct tool_args *a, long min, long max)
{
	const char *s = a->arg;
	char name[80], *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max) {
		opt_spelling(a, name, sizeof(name));
		tool_usage(a->cli, "option '%s' needs a number from %ld to "
		    "%ld, found '%s'", name, min, max, s);
	}
	return v;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		dief(EXIT_SOFTWARE, "out of memory");
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		dief(EXIT_SOFTWARE, "out of memory");
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		dief(EXIT_SOFTWARE, "out of memory");
	p = realloc(p, n * size > 0 ? n * size : 1);
	if (!p)
		dief(EXIT_SOFTWARE, "out of memory");
	return p;
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/*
 * A message's place in the order of output: its file's rank (the order
 * in which files were first named; a message with no file is a rank of
 * its own), then line and column, then the order it was found in.
 */
struct diag_order {
	const struct diag *d;
	size_t rank, i;
};

static int
diag_cmp(const void *a, const void *b)
{
	const struct diag_order *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->d->pos.line != y->d->pos.line)
		return x->d->pos.line < y->d->pos.line ? -1 : 1;
	if (x->d->pos.col != y->d->pos.col)
		return x->d->pos.col < y->d->pos.col ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Whether order[i] says what one before it at the same place says. */
static int
diag_repeats(const struct diag_order *order, size_t i)
{
	const struct diag *d = order[i].d;
	size_t k;

	for (k = i; k-- > 0;) {
		const struct diag *e = order[k].d;

		if (order[k].rank != order[i].rank ||
		    e->pos.line != d->pos.line || e->pos.col != d->pos.col)
			return 0;
		if (e->code == d->code && e->msg && d->msg &&
		    !strcmp(e->msg, d->msg))
			return 1;
	}
	return 0;
}

size_t
diag_print_all(const struct diag_list *l, FILE *f)
{
	struct diag_order *order;
	const char **files;
	size_t i, k, nfiles = 0;
	char *s;

	/* Messages come out in input order, as a reader goes through the
	 * file, whatever order the checks found them in. A run names a
	 * file or two: a linear search finds a file's rank. */
	order = xcalloc(l->n + 1, sizeof(*order));
	files = xcalloc(l->n + 1, sizeof(*files));
	for (i = 0; i < l->n; i++) {
		const char *file = l->items[i].pos.file;

		for (k = 0; file && k < nfiles; k++)
			if (files[k] && strcmp(files[k], file) == 0)
				break;
		if (!file || k == nfiles)
			files[nfiles++] = file;
		order[i].d = &l->items[i];
		order[i].rank = k;
		order[i].i = i;
	}
	qsort(order, l->n, sizeof(*order), diag_cmp);
	free(files);
	for (i = 0; i < l->n; i++) {
		/* a mistake two checks found (a target's expressions, then
		 * its bake) is told once */
		if (diag_repeats(order, i))
			continue;
		s = diag_string(order[i].d, tool_name);
		if (s) {
			fprintf(f, "%s\n", s);
			free(s);
		} else {
			fprintf(f, "%s: error: out of memory\n", tool_name);
		}
	}
	free(order);
	if (l->dropped)
		fprintf(f, "%s: note: %zu more diagnostic%s not shown\n",
		    tool_name, l->dropped, l->dropped == 1 ? "" : "s");
	return l->errors;
}

int
close_stdout(void)
{
	int bad = ferror(stdout);

	if (fclose(stdout) != 0 || bad) {
		if (bad && errno == 0)
			errno = EIO;
		warnf("write error:");
		return EXIT_IOERR;
	}
	return 0;
}
