/* hm: libFuzzer harness: a YAML definition baked, commands stubbed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bake.h"
#include "def.h"
#include "diag.h"
#include "ir.h"
#include "ir_check.h"
#include "ir_load.h"
#include "ir_write.h"
#include "lint.h"
#include "jsonw.h"
#include "ytree.h"
#include "fuzz.h"

/*
 * The definition is baked as `hm-bake FILE` would (predicates, generators
 * and matrix commands answered by proc_stub.c), a definition whose
 * errors are all in some targets too (they stand in). No crash, leak, UB
 * or timeout; a bake that keyed passes ir_check unless a generator's
 * steps broke it or the definition is wrong (which hm-bake reports as
 * the definition's error); what is written is UTF-8 and reads back as a
 * valid document; the static check of the dynamic targets leaves it as
 * it was.
 */
static char *env[] = { "PATH=/usr/bin:/bin", "FOO=bar", "LATIN=caf\xe9",
    NULL };

/* doc as canonical JSON, from malloc. */
static char *
written(struct ir_doc *doc, size_t *len)
{
	struct jsonw w;
	char *s;

	jsonw_init(&w, -1, 0);
	ir_write(doc, &w);
	if (jsonw_finish(&w, &s, len))
		fuzz_fail("out of memory");
	return s;
}

/*
 * The static check of the dynamic targets (nothing runs in its trials)
 * leaves the document as it was, whatever it finds.
 */
static void
check_dynamic(struct def *def, struct ir_doc *doc)
{
	struct diag_list dl = DIAG_LIST_INIT;
	size_t n0, n1;
	char *before = written(doc, &n0), *after;

	bake_check_dynamic(def, doc, true, &dl);
	after = written(doc, &n1);
	if (n0 != n1 || memcmp(before, after, n0))
		fuzz_fail("the check of the dynamic targets changed the IR");
	free(before);
	free(after);
	diag_list_release(&dl);
}

/* Whether ir_check found only what is the definition's to find. */
static bool
definition_errors(const struct diag_list *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (diag_level(d->items[i].code) == DIAG_ERROR &&
		    !bake_definition_error(d->items[i].code))
			return false;
	return true;
}

/*
 * What a bake keyed: its check finds only the definition's errors (none
 * about a target standing in for one with errors, told already).
 */
static void
check_baked(struct def *def, struct bake *b, struct ir_doc *doc, bool clean)
{
	struct diag_list chk = DIAG_LIST_INIT;

	if (ir_check(doc, 0, &chk) == 0 && chk.errors == 0) {
		if (clean)
			fuzz_check_readback(doc, "the baked IR");
		check_dynamic(def, doc);
	} else if (!b->generated && !definition_errors(&chk)) {
		fuzz_fail("a bake without errors fails ir_check");
	}
	diag_list_release(&chk);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct ir_doc *doc = ir_doc_new("fuzz.yml");
	const struct ynode *root;
	const struct pipeline *pl;
	struct def def;
	struct bake b;

	if (!doc)
		return 0;
	memset(&def, 0, sizeof(def));
	def.a = doc->arena;
	def.doc = doc;
	def.file = "fuzz.yml";
	bake_init(&b, &def, doc, &dl, env);
	root = ytree_load(doc->arena, "fuzz.yml", (const char *)data, size,
	    &dl);
	/* as hm-bake does: a definition whose errors are all inside some
	   targets is baked with those standing in */
	if (root && (def_parse(&def, root, &dl) == 0 ||
	    (dl.errors == def.target_errors && !dl.dropped))) {
		lint_def(&def, dl.errors > 0, &dl);
		if ((pl = bake_pick(&b, NULL)) && bake_pipeline(&b, pl) == 0)
			check_baked(&def, &b, doc, dl.errors == 0);
	}
	bake_release(&b);
	def_release(&def);
	diag_list_release(&dl);
	ir_doc_free(doc);
	return 0;
}
