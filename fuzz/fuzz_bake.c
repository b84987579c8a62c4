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
#include "jsonw.h"
#include "ytree.h"
#include "fuzz.h"

/*
 * The definition is baked as `hm-bake FILE` would (predicates, generators
 * and matrix commands answered by proc_stub.c). No crash, leak, UB or
 * timeout; a bake without errors passes ir_check unless a generator's
 * steps broke it (which hm-bake reports as the definition's error); what
 * is written is UTF-8 and reads back as a valid document.
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

	bake_check_dynamic(def, doc, &dl);
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
	if (root && def_parse(&def, root, &dl) == 0 && dl.errors == 0 &&
	    (pl = bake_pick(&b, NULL)) && bake_pipeline(&b, pl) == 0 &&
	    dl.errors == 0) {
		if (ir_check(doc, 0, &dl) == 0 && dl.errors == 0) {
			fuzz_check_readback(doc, "the baked IR");
			check_dynamic(&def, doc);
		}
		else if (!b.generated && !definition_errors(&dl))
			fuzz_fail("a bake without errors fails ir_check");
	}
	bake_release(&b);
	def_release(&def);
	diag_list_release(&dl);
	ir_doc_free(doc);
	return 0;
}
