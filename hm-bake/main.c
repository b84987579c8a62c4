/* hm: hm-bake: a YAML definition baked to IR v1, or one target's fragment. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "bake.h"
#include "def.h"
#include "diag.h"
#include "ir.h"
#include "ir_check.h"
#include "ir_write.h"
#include "jsonw.h"
#include "mem.h"
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

static _Noreturn void
usage(void)
{
	fprintf(stderr, "usage: %s [--compact] [--pipeline SLUG] "
	    "[--target NAME [--key-prefix KEY]] FILE\n", tool_name);
	exit(EXIT_USAGE);
}

static void
help(void)
{
	printf("usage: %s [--compact] [--pipeline SLUG] "
	    "[--target NAME [--key-prefix KEY]] FILE\n\n"
	    "Bake a YAML pipeline definition into canonical IR v1.\n\n"
	    "  -p, --pipeline SLUG   the pipeline to bake (optional if only one)\n"
	    "  -t, --target NAME     bake only target NAME, as a fragment\n"
	    "  -k, --key-prefix KEY  the fragment's keys go under KEY/ "
	    "(default NAME)\n"
	    "  --compact             write the IR on one line\n"
	    "  -h, --help            show this help\n\n"
	    "FILE - reads the standard input. Exit status: 0 ok, 64 usage,\n"
	    "65 invalid definition, 66 cannot open, 74 I/O error.\n"
	    "See hm-bake(1) and hm-pipeline(5).\n", tool_name);
}


/* Read all of fd; -1 with errno. */
static int
read_all(int fd, char **text, size_t *len)
{
	size_t cap = 65536, n = 0;
	struct stat sb;
	char *buf, *p;
	ssize_t got;

	/* a regular file: one buffer of its size (+1 to see the end) */
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 &&
	    (unsigned long long)sb.st_size < MAX_DEFINITION)
		cap = (size_t)sb.st_size + 1;
	buf = malloc(cap);
	if (!buf)
		return -1;
	/* the arena reuses it once the tree is built */
	mem_advise_huge(buf, cap);
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_DEFINITION) {
				free(buf);
				errno = EFBIG;
				return -1;
			}
			p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				return -1;
			}
			buf = p;
			cap *= 2;
		}
		got = read(fd, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;

			free(buf);
			errno = e;
			return -1;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*text = buf;
	*len = n;
	return 0;
}

static int
is_under(const char *key, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(key, prefix, n) == 0 && key[n] == '/';
}

static int
add_stub(struct ir_doc *chk, struct strmap *seen, const char *key)
{
	struct ir_step *st;

	if (strmap_get(seen, key))
		return 0;
	st = ir_step_new(chk, IR_COMMAND);
	if (!st || strmap_put(seen, key, st))
		return -1;
	st->key = key;
	st->cmd = "true";
	return ir_doc_append(chk, st);
}

static int
stub_refs(struct ir_doc *chk, struct strmap *seen, struct ir_step **v,
    size_t n, const char *prefix)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		struct ir_step *st = v[i];

		if (st->type == IR_WAIT)
			continue;
		if (st->builds_in_kind == IR_BUILDS_IN_KEY &&
		    !is_under(st->builds_in.key, prefix) &&
		    add_stub(chk, seen, st->builds_in.key))
			return -1;
		for (j = 0; j < st->ndepends_on; j++)
			if (!is_under(st->depends_on[j].key, prefix) &&
			    add_stub(chk, seen, st->depends_on[j].key))
				return -1;
		if (st->type == IR_GROUP && stub_refs(chk, seen, st->steps,
		    st->nsteps, prefix))
			return -1;
	}
	return 0;
}

/*
 * Check a fragment as hm-exec will see it: spliced in a group with the
 * prefix's key, next to the static steps it refers to (stubs here).
 */
static int
check_fragment(struct ir_doc *doc, const char *prefix, struct diag_list *d)
{
	struct ir_doc *chk = ir_doc_new(doc->file);
	struct strmap seen = STRMAP_INIT;
	struct ir_step *g;
	size_t i;
	int ret = -1;

	if (!chk)
		return diag_report(d, E_NOMEM, (struct srcpos){ NULL, 0, 0 });
	if (stub_refs(chk, &seen, doc->steps, doc->nsteps, prefix))
		goto out;
	g = ir_step_new(chk, IR_GROUP);
	if (!g)
		goto out;
	g->key = prefix;
	g->builds_in_kind = IR_BUILDS_IN_ABSENT;
	if (doc->cont != IR_CONT_NONE) {
		struct ir_more *m = ir_step_more(chk, g);

		if (!m)
			goto out;
		m->cont = doc->cont;
		m->continue_in = doc->continue_in;
		m->cont_pos = doc->cont_pos;
	}
	for (i = 0; i < doc->nsteps; i++)
		if (ir_group_append(chk, g, doc->steps[i]))
			goto out;
	if (ir_doc_append(chk, g))
		goto out;
	/* the fragment's places are in the definition: read them there */
	chk->locs = doc->locs;
	chk->nlocs = doc->nlocs;
	ret = ir_check(chk, 0, d);
	chk->locs = NULL;
	chk->nlocs = 0;
out:
	strmap_release(&seen);
	ir_doc_free(chk);
	return ret;
}

/*
 * The document's check finds what only the whole baked graph shows:
 * continuations through nested groups (ir_cont.h), replication, and
 * cycles or references into a group made by what generators printed.
 * These are the definition's errors, at its places; any other is
 * hm-bake's.
 */
static bool
definition_error(enum diag_code c)
{
	switch (c) {
	case E_IR_AMBIGUOUS:
	case E_IR_AMBIGUOUS_NESTED:
	case E_IR_CONTINUE_IN_EACH:
	case E_IR_EACH_TARGET:
	case E_IR_EACH_NESTED:
		return true;
	default:
		return false;
	}
}

static bool
all_definition_errors(const struct diag_list *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (diag_level(d->items[i].code) == DIAG_ERROR &&
		    !definition_error(d->items[i].code))
			return false;
	return d->dropped == 0;
}

int
main(int argc, char **argv)
{
	const char *file = NULL, *pipeline = NULL, *target = NULL;
	const char *prefix = NULL, *why;
	struct diag_list diags = DIAG_LIST_INIT;
	struct def def;
	struct bake b;
	struct ir_doc *doc;
	const struct ynode *root;
	int compact = 0, fd, i, nfiles = 0, status = 0;
	struct jsonw w;
	size_t len;
	char *text;

	tool_init("hm-bake");
	/* options and the file in any order, as in hm-exec's baker call */
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			if (i + 1 < argc) {
				nfiles += argc - i - 1;
				file = argv[i + 1];
			}
			break;
		}
		if (a[0] != '-' || strcmp(a, "-") == 0) {
			if (!nfiles++)
				file = a;
		} else if (strcmp(a, "--compact") == 0) {
			compact = 1;
		} else if (tool_long_opt(a, "--pipeline")) {
			pipeline = tool_optarg(argv, &i, 10, usage);
		} else if (tool_long_opt(a, "--target")) {
			target = tool_optarg(argv, &i, 8, usage);
		} else if (tool_long_opt(a, "--key-prefix")) {
			prefix = tool_optarg(argv, &i, 12, usage);
		} else if (strncmp(a, "-p", 2) == 0) {
			pipeline = tool_optarg(argv, &i, 2, usage);
		} else if (strncmp(a, "-t", 2) == 0) {
			target = tool_optarg(argv, &i, 2, usage);
		} else if (strncmp(a, "-k", 2) == 0) {
			prefix = tool_optarg(argv, &i, 2, usage);
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			help();
			return close_stdout();
		} else {
			warnf("unknown option '%s'", a);
			usage();
		}
	}
	if (nfiles != 1) {
		warnf(nfiles ? "too many arguments: one definition file" :
		    "no definition file given");
		usage();
	}
	if (prefix && !target) {
		warnf("--key-prefix needs --target");
		usage();
	}
	if (target && pipeline) {
		warnf("--pipeline and --target exclude each other");
		usage();
	}
	if (target && (why = ir_target_name_problem(target, strlen(target)))) {
		warnf("invalid target name '%s': %s", target, why);
		usage();
	}
	if (target && !prefix)
		prefix = target;
	if (prefix && (why = ir_key_problem(prefix, strlen(prefix)))) {
		warnf("invalid key prefix '%s': %s", prefix, why);
		usage();
	}
	proc_signals_init();

	if (strcmp(file, "-") == 0) {
		fd = 0;
	} else if ((fd = open(file, O_RDONLY)) < 0) {
		warnf("cannot open %s:", file);
		return EXIT_NOINPUT;
	}
	if (read_all(fd, &text, &len)) {
		warnf("cannot read %s:", file);
		return errno == EFBIG ? EXIT_DATAERR : EXIT_IOERR;
	}
	if (fd != 0)
		close(fd);

	doc = ir_doc_new(file);
	if (!doc)
		dief(EXIT_SOFTWARE, "out of memory");
	memset(&def, 0, sizeof(def));
	def.a = doc->arena;
	def.doc = doc;
	def.file = file;
	bake_init(&b, &def, doc, &diags, environ);
	root = ytree_load(doc->arena, file, text, len, &diags);
	free(text);
	if (!root || def_parse(&def, root, &diags) || diags.errors) {
		diag_print_all(&diags, stderr);
		status = EXIT_DATAERR;
		goto out;
	}
	if (target) {
		struct target *t = def_target(&def, target);

		if (!t) {
			struct srcpos p = { file, 0, 0 };

			diag_report(&diags, E_BAKE_NO_TARGET, p, target);
		} else {
			bake_target(&b, t, prefix);
		}
	} else {
		const struct pipeline *pl = bake_pick(&b, pipeline);

		if (pl)
			bake_pipeline(&b, pl);
	}
	if (diags.errors) {
		diag_print_all(&diags, stderr);
		status = EXIT_DATAERR;
		goto out;
	}

	/*
	 * The output must always pass hm-lower --check. What a generator
	 * printed was checked only as steps, each on its own: references
	 * that close a loop through it, or that lead into the group that
	 * holds it, are found here, and are the definition's errors. Any
	 * other failure is hm-bake's.
	 */
	if (((target ? check_fragment(doc, prefix, &diags) :
	    ir_check(doc, 0, &diags)) || diags.errors) &&
	    all_definition_errors(&diags)) {
		diag_print_all(&diags, stderr);
		status = EXIT_DATAERR;
		goto out;
	}
	if (diags.errors) {
		struct srcpos p = { NULL, 0, 0 };
		struct diag_list first = DIAG_LIST_INIT;

		diag_report(&first, b.generated ? E_BAKE_GEN_CHECK :
		    E_BAKE_SELF_CHECK, p);
		diag_print_all(&first, stderr);
		diag_list_release(&first);
		diag_print_all(&diags, stderr);
		status = b.generated ? EXIT_DATAERR : EXIT_SOFTWARE;
		goto out;
	}
	if (diags.n)
		diag_print_all(&diags, stderr);	/* warnings */

	jsonw_init(&w, 1, compact ? 0 : 2);
	ir_write(doc, &w);
	if (jsonw_finish(&w, NULL, NULL)) {
		warnf("write error:");
		status = EXIT_IOERR;
	}
	if (close_stdout())
		status = EXIT_IOERR;
out:
	bake_release(&b);
	def_release(&def);
	diag_list_release(&diags);
	ir_doc_free(doc);
	return status;
}
