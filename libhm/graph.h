/* hm: the run graph: what waits for what, from a checked IR document. */
#ifndef HM_GRAPH_H
#define HM_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ir.h"

/*
 * The IR says what waits for what in several ways (builds_in, depends_on,
 * waits by position, groups and their continuation, 'each' replication).
 * graph_build turns all of them into one DAG of nodes with typed edges, in
 * O(steps + edges): the executor schedules it and hm-lower checks it for
 * cycles. Virtual nodes keep it linear: a wait is a node between the steps
 * before and after it, and a group is an ENTER node (its own builds_in and
 * depends_on; its member roots follow it) and an EXIT node (follows every
 * member; what depends on the group follows it).
 *
 * Replication: a step S that builds in a group G declaring continue: each
 * becomes one node per leaf L of G, keyed "S@L" (L the leaf's full key),
 * each waiting for its own leaf only; a step that builds in a replicated
 * step is replicated with it ("T@L" builds in "S@L"). A depends_on on a
 * replicated step waits for every replica.
 *
 * When a dynamic step is expanded, the caller replaces it in the IR by
 * its group and grows the graph with graph_splice, or (when that cannot
 * be done by parts) runs ir_check again and builds a new graph; node
 * keys are stable, so run state carries over by key.
 */
#define GRAPH_NONE UINT32_MAX

enum gnode_kind {
	GN_COMMAND,		/* a command to run */
	GN_DYNAMIC,		/* a dynamic placeholder: bake, then expand */
	GN_WAIT,
	GN_ENTER,		/* a group starts */
	GN_EXIT			/* a group has finished */
};

/*
 * How a node's outcome reaches its successor. A node runs when all its
 * predecessors have finished and every edge is satisfied: GE_STATE,
 * GE_ORDER and GE_BARRIER need the predecessor passed (soft failures
 * count as passed); GE_ANY needs it finished in any state (what stands
 * behind a wait with continue_on_failure). Otherwise it is skipped.
 */
enum gedge_kind {
	GE_STATE,		/* builds_in: continue in its state */
	GE_ORDER,		/* depends_on, group membership */
	GE_BARRIER,		/* wait */
	GE_ANY			/* wait with continue_on_failure */
};

struct gedge {
	uint32_t node;
	uint32_t kind;		/* enum gedge_kind */
};

struct gnode {
	enum gnode_kind kind;
	struct ir_step *step;	/* command, wait or group */
	const char *key;	/* unique among nodes of its kind; replicas
				   "S@L"; waits "#N" by position */
	uint32_t replica_of;	/* the leaf node a replica follows, or
				   GRAPH_NONE */
	uint32_t state_from;	/* node whose state this one continues in, or
				   GRAPH_NONE for a fresh root */
	struct gedge *preds;
	uint32_t npreds;
	uint32_t *succs;
	uint32_t nsuccs;
};

struct graph {
	struct arena *arena;
	struct gnode *nodes;
	uint32_t n, cap;
	struct ir_doc *doc;
	void *map;		/* key -> node (private) */
};

/*
 * Build the graph of a document that passed ir_check. Records cycles and
 * ambiguous continuations in diags. Returns 0 or -1; release with
 * graph_release either way.
 */
int graph_build(struct graph *g, struct ir_doc *doc, struct diag_list *diags);
void graph_release(struct graph *g);
/*
 * Build only as far as finding replication errors and, if cycles is
 * set, cycles (ir_check). 0, or -1 after recording errors.
 */
int graph_check(struct ir_doc *doc, bool cycles, struct diag_list *diags);

/*
 * What graph_splice changed: the placeholder's node became the group's
 * EXIT, the nodes from enter on are new, and the restated nodes
 * continue in another state than they did.
 */
struct graph_spliced {
	uint32_t node;		/* the placeholder's, now the group's EXIT */
	uint32_t enter;		/* the group's ENTER, the first new node */
	uint32_t *restated;	/* malloc'd */
	uint32_t nrestated;
};

/*
 * Grow g in place after ir_splice put group in place of a dynamic step
 * and ir_check_splice accepted it (so nothing outside the group refers
 * into it): the same graph as graph_build would make of the document,
 * but for the numbering of the new nodes, in proportion to the group
 * and to what stood next to the placeholder. Returns 0; 1 when this
 * is not such a splice (g unchanged: build it again with graph_build);
 * -1 when memory ran out on the way (g is only fit for graph_release).
 * Release sp with graph_spliced_release either way.
 */
int graph_splice(struct graph *g, struct ir_step *group,
    struct graph_spliced *sp);
void graph_spliced_release(struct graph_spliced *sp);

/*
 * For tests: NULL when a and b, graphs of one document, are the same but
 * for the numbering of their nodes (the same nodes by kind and key, each
 * with the same step, state, replica, and predecessors and successors in
 * the same order); else what differs, written in why (n bytes).
 */
const char *graph_diff(const struct graph *a, const struct graph *b,
    char *why, size_t n);

/* The COMMAND, DYNAMIC or EXIT node with this key, or GRAPH_NONE. */
uint32_t graph_find(const struct graph *g, const char *key);

#endif
