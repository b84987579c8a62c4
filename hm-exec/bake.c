/* hm: dynamic steps: run the baker, read its fragment, splice it in. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "file.h"
#include "ir_check.h"
#include "ir_runner.h"
#include "ir_load.h"
#include "ir_splice.h"
#include "json.h"
#include "run.h"
#include "tool.h"

/*
 * The baker contract (hm-exec(1)): BAKE DEF --target NAME --key-prefix
 * KEY, run as an argument vector; stdout is an IR v1 fragment, stderr
 * goes to the step's log. The fragment is loaded and checked by the IR
 * core and spliced into the document in place of the placeholder (which
 * becomes a group). What the splice added is checked and the graph grown
 * by it (check_and_plan); when that cannot be done by parts, the whole
 * document is checked and its graph built again, run state carrying
 * over by key. Whatever goes wrong puts the placeholder back and fails
 * the step, with every diagnostic in its log.
 */

/* Whether s[0..n) is empty or only white space (s may be NULL). */
static bool
is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; s && i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r')
			return false;
	return true;
}

/* hm-bake beside our own binary, or NULL. */
static char *
bake_beside(void)
{
	char self[PATH_MAX], *slash, *s;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return NULL;
	self[n] = '\0';
	if (!(slash = strrchr(self, '/')))
		return NULL;
	slash[1] = '\0';
	s = xmalloc(strlen(self) + sizeof("hm-bake"));
	strcpy(s, self);
	strcat(s, "hm-bake");
	if (access(s, X_OK) == 0)
		return s;
	free(s);
	return NULL;
}

char *
bake_program(const struct run *r)
{
	const char *env = getenv("HM_BAKE");
	char *bake;

	if (r->o.bake)
		return xstrdup(r->o.bake);
	if (env && *env)
		return xstrdup(env);
	if ((bake = bake_beside()))
		return bake;
	return xstrdup("hm-bake");
}

/* The definition's path as recorded: relative to the IR file's directory. */
static char *
definition_path(const struct run *r, const char **whence)
{
	const char *d = r->doc->source_definition, *slash;
	char *p;

	if (r->o.definition) {
		*whence = "--definition";
		return xstrdup(r->o.definition);
	}
	if (r->baked_input) {
		*whence = "the definition given";
		return xstrdup(r->o.file);
	}
	*whence = "source.definition";
	if (!d)
		return NULL;
	if (d[0] == '/' || !r->o.file || !(slash = strrchr(r->o.file, '/')))
		return xstrdup(d);
	p = xmalloc((size_t)(slash - r->o.file) + 1 + strlen(d) + 1);
	memcpy(p, r->o.file, (size_t)(slash - r->o.file) + 1);
	strcpy(p + (slash - r->o.file) + 1, d);
	return p;
}

int
bake_definition_copy(struct run *r)
{
	const char *whence, *name;
	char *path, *text, *copy, *msg;
	size_t size, i;
	int fd;

	for (i = 0; i < r->doc->nall; i++)
		if (r->doc->all[i]->type == IR_COMMAND &&
		    r->doc->all[i]->eval == IR_EVAL_DYNAMIC)
			break;
	if (i == r->doc->nall)
		return 0;	/* nothing is baked: none needed */
	if (!(path = definition_path(r, &whence)))
		return 0;	/* the first dynamic step will say so */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || json_read_fd(fd, &text, &size) < 0) {
		msg = diag_msg(E_EXEC_DEFINITION, path, whence,
		    strerror(errno));
		warnf("%s", msg);
		free(msg);
		if (fd >= 0)
			close(fd);
		free(path);
		return EXIT_NOINPUT;
	}
	close(fd);
	/* the copy keeps the name's last component: messages name it */
	name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	copy = xmalloc(strlen(r->log_dir) + strlen(name) + 16);
	sprintf(copy, "%s/definition-%s", r->log_dir, name);
	if (file_write_atomic(copy, text, size) < 0) {
		warnf("cannot write %s:", copy);
		free(text);
		free(copy);
		free(path);
		return EXIT_IOERR;
	}
	free(text);
	free(path);
	r->definition = copy;
	return 0;
}

char **
bake_argv(struct run *r, struct step *rec, char **why)
{
	const char *def = r->definition;
	char **argv;

	if (strchr(rec->key, IR_REPLICA_SEP)) {
		*why = diag_msg(E_EXEC_REPLICA, rec->key);
		return NULL;
	}
	if (!def) {
		*why = diag_msg(E_EXEC_NO_DEFINITION, rec->key);
		return NULL;
	}
	argv = xcalloc(7, sizeof(*argv));
	argv[0] = bake_program(r);
	argv[1] = (char *)def;
	argv[2] = "--target";
	argv[3] = (char *)ir_more(rec->ir)->target_name;
	argv[4] = "--key-prefix";
	argv[5] = rec->key;
	argv[6] = NULL;
	return argv;
}

/* The diagnostics of a bake go to the step's log. */
static void
log_diags(struct run *r, struct step *s, const struct diag_list *dl)
{
	size_t i;
	char *line;

	for (i = 0; i < dl->n; i++) {
		if ((line = diag_string(&dl->items[i], tool_name))) {
			sinks_step_note(&r->sinks, s, "%s", line);
			free(line);
		}
	}
}

/* The nodes downstream of rec's (and it), marked by node. */
static uint8_t *
downstream(struct run *r, struct step *rec)
{
	uint8_t *down = xcalloc(r->plan.g.n + 1, 1);
	uint32_t *stack = xcalloc(r->plan.g.n + 1, sizeof(*stack));
	uint32_t n, sn = 0, k;

	if (rec->node != GRAPH_NONE) {
		stack[sn++] = rec->node;
		down[rec->node] = 1;
	}
	while (sn > 0) {
		n = stack[--sn];
		for (k = 0; k < r->plan.g.nodes[n].nsuccs; k++) {
			uint32_t s = r->plan.g.nodes[n].succs[k];

			if (!down[s]) {
				down[s] = 1;
				stack[sn++] = s;
			}
		}
	}
	free(stack);
	return down;
}

/*
 * Fragment steps may refer to existing steps, but not to one downstream
 * of the placeholder: that would be a cycle, and this says why. What is
 * downstream is found (in *down) only if a step refers out of KEY/.
 */
static void
check_refs(struct run *r, struct step *rec, const struct ir_doc *frag,
    struct ir_step **steps, size_t n, uint8_t **down,
    struct diag_list *dl)
{
	size_t i, k, plen = strlen(rec->key);
	uint32_t node;

	for (i = 0; i < n; i++) {
		struct ir_step *s = steps[i];

		if (s->type == IR_WAIT)
			continue;
		for (k = 0; k <= s->ndepends_on; k++) {
			const struct ir_ref *ref = k < s->ndepends_on ?
			    &s->depends_on[k] : &s->builds_in;

			if (k == s->ndepends_on &&
			    s->builds_in_kind != IR_BUILDS_IN_KEY)
				continue;
			if (!ref->key || ir_key_under(ref->key, rec->key, plen))
				continue;
			if (!*down)
				*down = downstream(r, rec);
			node = graph_find(&r->plan.g, ref->key);
			if (node != GRAPH_NONE && (*down)[node])
				diag_report(dl, E_IR_FRAGMENT_REF,
				    ir_pos(frag, ref->pos), s->key, ref->key,
				    rec->key);
		}
		if (s->type == IR_GROUP)
			check_refs(r, rec, frag, s->steps, s->nsteps, down, dl);
	}
}

static void
collect_keys(struct ir_step **steps, size_t n, const char ***keys,
    size_t *nkeys, size_t *cap)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (steps[i]->type == IR_WAIT)
			continue;
		if (*nkeys == *cap) {
			*cap = *cap ? 2 * *cap : 16;
			*keys = xreallocarray(*keys, *cap, sizeof(**keys));
		}
		(*keys)[(*nkeys)++] = steps[i]->key;
		if (steps[i]->type == IR_GROUP)
			collect_keys(steps[i]->steps, steps[i]->nsteps, keys,
			    nkeys, cap);
	}
}

/*
 * Check what the splice added and grow the plan by it; when that cannot
 * be done by parts (ir_check_splice, plan_splice), check the whole
 * document and build the plan again. The diagnostics are ir_check's
 * either way: the check by parts records none.
 */
static int
check_and_plan(struct run *r, const struct ir_splice *sp,
    struct diag_list *dl)
{
	struct diag_list scratch = DIAG_LIST_INIT;
	int parts;

	parts = ir_check_splice(r->doc, sp) == 0 &&
	    ir_runner_check_steps(sp->group->steps, sp->group->nsteps,
	    r->o.runner, &scratch) == 0 &&
	    plan_splice(&r->plan, sp->group) == 0;
	diag_list_release(&scratch);
	if (parts)
		return 0;
	if (ir_check(r->doc, 0, dl) < 0 ||
	    ir_runner_check(r->doc, r->o.runner, dl) < 0 ||
	    plan_build(&r->plan, r->doc, dl) < 0)
		return -1;
	return 0;
}

static int
bake_fail(struct run *r, struct step *rec, char *why)
{
	free(rec->reason);
	rec->reason = why;
	sinks_step_note(&r->sinks, rec, "hm-exec: %s", why ? why : "");
	return -1;
}

int
bake_expand(struct run *r, struct step *rec, struct job *j)
{
	struct diag_list dl = DIAG_LIST_INIT, scratch = DIAG_LIST_INIT;
	struct ir_splice sp;
	struct ir_doc *frag;
	char *name;
	uint8_t *down = NULL;
	const char **keys = NULL;
	size_t nkeys = 0, cap = 0, nerr;

	sinks_step_fragment(&r->sinks, rec, j->frag ? j->frag : "", j->nfrag);
	if (is_blank(j->frag, j->nfrag))
		return bake_fail(r, rec, diag_msg(E_EXEC_FRAGMENT_EMPTY,
		    rec->key));
	/* positions name it; it lives in the run's document */
	name = arena_printf(r->doc->arena, "%s (fragment)", rec->key);
	frag = ir_load_buf(j->frag ? j->frag : "", j->nfrag,
	    name ? name : rec->key, NULL, &dl);
	if (!frag) {
		log_diags(r, rec, &dl);
		nerr = dl.errors;
		diag_list_release(&dl);
		return bake_fail(r, rec, diag_msg(E_EXEC_FRAGMENT_INVALID,
		    rec->key, nerr, nerr == 1 ? "" : "s"));
	}

	check_refs(r, rec, frag, frag->steps, frag->nsteps, &down, &dl);
	free(down);
	if (dl.errors || ir_splice(r->doc, rec->ir, frag, &sp, &dl) < 0)
		goto fail;
	if (check_and_plan(r, &sp, &dl) < 0) {
		ir_splice_undo(&sp);
		if (ir_check(r->doc, 0, &scratch) < 0)
			dief(EXIT_SOFTWARE, "internal error: the document no "
			    "longer checks after undoing '%s'", rec->key);
		diag_list_release(&scratch);
		goto fail;
	}
	log_diags(r, rec, &dl);
	diag_list_release(&dl);
	rec->expanded = true;
	rec->ir = sp.placeholder;	/* what it was, out of the document */
	r->frags = xreallocarray(r->frags, r->nfrags + 1, sizeof(*r->frags));
	r->frags[r->nfrags++] = frag;
	collect_keys(sp.group->steps, sp.group->nsteps, &keys, &nkeys, &cap);
	sinks_step_note(&r->sinks, rec, "hm-exec: '%s' expanded into %zu "
	    "step%s", rec->key, nkeys, nkeys == 1 ? "" : "s");
	sinks_step_expanded(&r->sinks, rec, keys, nkeys);
	free(keys);
	return 0;
fail:
	log_diags(r, rec, &dl);
	nerr = dl.errors;
	diag_list_release(&dl);
	ir_doc_free(frag);
	return bake_fail(r, rec, diag_msg(E_EXEC_FRAGMENT_SPLICE, rec->key,
	    nerr, nerr == 1 ? "" : "s"));
}
