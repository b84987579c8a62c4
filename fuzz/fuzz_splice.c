/* hm: libFuzzer harness: a baked fragment spliced into a running document. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "graph.h"
#include "ir.h"
#include "ir_check.h"
#include "ir_load.h"
#include "ir_splice.h"
#include "fuzz.h"

/*
 * The running document has a dynamic step 'variants' with steps before,
 * after and under it, and env to inherit. The input is what a baker
 * printed for it. Whatever it is: no crash, leak or UB; a fragment that
 * loads either splices or is refused with the document unchanged (it
 * still checks, as hm-exec insists); a spliced document that checks
 * writes canonical IR that loads and checks again. When the splice can
 * be checked by parts (ir_check_splice), the whole document must check
 * too, and the run graph grown by parts (graph_splice) must be the one
 * graph_build makes.
 */
static const char running[] =
    "{\"version\":\"1\",\"env\":{\"CI\":\"1\"},\"steps\":["
    "{\"type\":\"command\",\"key\":\"build\",\"eval\":{\"type\":\"cmd\","
    "\"cmd\":\"make\"},\"builds_in\":null},"
    "{\"type\":\"command\",\"key\":\"variants\",\"eval\":{\"type\":"
    "\"dynamic\",\"target_name\":\"variants\"},\"builds_in\":\"build\","
    "\"env\":{\"JOBS\":\"4\"},\"secret_env\":[\"TOKEN\"]},"
    "{\"type\":\"command\",\"key\":\"test\",\"eval\":{\"type\":\"cmd\","
    "\"cmd\":\"make test\"},\"builds_in\":\"variants\"},"
    "{\"type\":\"group\",\"key\":\"g\",\"steps\":[{\"type\":\"command\","
    "\"key\":\"g/a\",\"eval\":{\"type\":\"cmd\",\"cmd\":\"a\"},"
    "\"builds_in\":null}]},"
    "{\"type\":\"command\",\"key\":\"after\",\"eval\":{\"type\":\"cmd\","
    "\"cmd\":\"x\"},\"builds_in\":null,\"depends_on\":[\"test\",\"g\"]}"
    "]}";

/* g, the graph of doc before sp, grown by parts as hm-exec does. */
static void
check_by_parts(struct ir_doc *doc, struct graph *g, struct ir_splice *sp)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct graph_spliced gs;
	struct graph built;
	const char *d;
	char why[512];

	if (graph_splice(g, sp->group, &gs) != 0)
		fuzz_fail("a splice checked by parts does not grow the graph");
	graph_spliced_release(&gs);
	if (graph_build(&built, doc, &dl) < 0)
		fuzz_fail("a splice checked by parts has no graph");
	if ((d = graph_diff(g, &built, why, sizeof(why))))
		fuzz_fail("the graph grown by parts is not the one built: %s",
		    d);
	graph_release(&built);
	if (ir_check(doc, 0, &dl) < 0)
		fuzz_fail("a splice checked by parts fails ir_check: %s",
		    dl.n ? dl.items[0].msg : "");
	diag_list_release(&dl);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag_list dl = DIAG_LIST_INIT, scratch = DIAG_LIST_INIT;
	struct ir_doc *doc, *frag;
	struct ir_step *ph;
	struct ir_splice sp;
	struct graph g;

	doc = ir_load_buf(running, sizeof(running) - 1, "run.json", NULL, &dl);
	if (!doc || ir_check(doc, 0, &dl) < 0 || !(ph = ir_find(doc,
	    "variants")))
		fuzz_fail("the running document does not load");
	if (graph_build(&g, doc, &dl) < 0)
		fuzz_fail("the running document has no graph");
	frag = ir_load_buf((const char *)data, size, "variants (fragment)",
	    NULL, &dl);
	if (frag && ir_splice(doc, ph, frag, &sp, &dl) == 0) {
		if (ir_check_splice(doc, &sp) == 0)
			check_by_parts(doc, &g, &sp);
		if (ir_check(doc, 0, &dl) < 0) {
			ir_splice_undo(&sp);
			if (ir_check(doc, 0, &scratch) < 0)
				fuzz_fail("the document no longer checks "
				    "after an undo");
		} else {
			fuzz_check_readback(doc, "the spliced document");
		}
	} else if (ir_check(doc, 0, &scratch) < 0) {
		fuzz_fail("a refused splice changed the document");
	}
	graph_release(&g);
	ir_doc_free(doc);
	ir_doc_free(frag);
	diag_list_release(&dl);
	diag_list_release(&scratch);
	return 0;
}
