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

#include "tool.h"

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

const char *
tool_optarg(char **argv, int *i, size_t namelen,
    void (*usage)(void))
{
	const char *arg = argv[*i];

	if (arg[namelen] == '=')
		return arg + namelen + 1;
	if (arg[namelen] != '\0')
		return arg + namelen;
	if (!argv[*i + 1]) {
		warnf("option '%.*s' needs an argument", (int)namelen, arg);
		usage();
		exit(EXIT_USAGE);	/* usage() exits; this is for the compiler */
	}
	return argv[++*i];
}

int
tool_long_opt(const char *a, const char *name)
{
	size_t n = strlen(name);

	return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
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
