/* hm: the static check of dynamic targets, baked in a trial as a run would bake them. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bake.h"
#include "def.h"
#include "diag.h"
#include "ir.h"
#include "ir_check.h"
#include "ir_splice.h"
#include "strmap.h"

/*
 * A static bake leaves each dynamic target a placeholder, baked when a
 * run reaches it (hm-exec runs hm-bake --target, splices the fragment in
 * its place and checks the document again). Whatever that bake and that
 * check would reject whatever the run-time values are is the
 * definition's mistake, and the static bake reports it here: each
 * dynamic target is baked in a trial (bake.h: nothing runs; outputs and
 * variables the target does not set are symbolic values, a matrix axis
 * from one or from a command has one symbolic value, then two; a
 * generator makes it inexact, and an inexact trial tells nothing),
 * spliced in place of its placeholder, the placeholders its fragment
 * holds in turn, and the document so expanded is checked as the run
 * would check it. What the trials with one value and with two both
 * tell, naming no symbolic value, is told (bake_check_dynamic). A
 * target with conditions on run-time values (a predicate command, a
 * condition on a symbolic value) is baked on every path of them
 * instead, each checked as a fragment, and what every path tells is its
 * verdict (trial_bake); it is not spliced with the others, each path
 * baking another fragment, but each path is put in its place in turn at
 * the end when something builds in it (check_in_place). A target no
 * placeholder stands for (in no pipeline baked, or called only from a
 * target that is not spliced) is checked as a fragment, as
 * `hm-bake --target` would.
 *
 * Fragments are baked into documents of their own, whose table of
 * places (ir.h) extends the static document's: the definition's places
 * are recorded there (def.h). The document's table, its steps and its
 * check are restored at the end.
 */

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
	size_t i, j, plen = strlen(prefix);

	for (i = 0; i < n; i++) {
		struct ir_step *st = v[i];

		if (st->type == IR_WAIT)
			continue;
		if (st->builds_in_kind == IR_BUILDS_IN_KEY &&
		    !ir_key_under(st->builds_in.key, prefix, plen) &&
		    add_stub(chk, seen, st->builds_in.key))
			return -1;
		for (j = 0; j < st->ndepends_on; j++)
			if (!ir_key_under(st->depends_on[j].key, prefix,
			    plen) && add_stub(chk, seen, st->depends_on[j].key))
				return -1;
		/* a nested placeholder's outputs of steps outside */
		for (j = 0; j < ir_more(st)->nconsumes; j++)
			if (!ir_key_under(ir_more(st)->consumes[j].step.key,
			    prefix, plen) && add_stub(chk, seen,
			    ir_more(st)->consumes[j].step.key))
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
int
bake_check_fragment(struct ir_doc *doc, const char *prefix,
    struct diag_list *d)
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
	/* what the fragment refers to ran before it was baked */
	if (chk->nsteps) {
		g->depends_on = arena_calloc(chk->arena, chk->nsteps,
		    sizeof(*g->depends_on));
		if (!g->depends_on)
			goto out;
		for (i = 0; i < chk->nsteps; i++)
			g->depends_on[i].key = chk->steps[i]->key;
		g->ndepends_on = (uint32_t)chk->nsteps;
	}
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

struct trial {
	struct def *def;
	struct ir_doc *doc;
	struct diag_list *diags;
	struct ir_doc **frags;		/* baked and spliced */
	struct ir_splice *sp;
	size_t nfrags, cap;
	struct ir_step **ph;		/* placeholders of this round */
	size_t nph, capph;
	struct ir_step **later;		/* placeholders of targets with
					   conditions, checked in place at
					   the end (check_in_place) */
	size_t nlater, caplater;
	size_t in_place;		/* steps checked in place so far */
	size_t nsteps;			/* baked in trials so far */
	unsigned sym_n;			/* values of a symbolic axis */
	unsigned sym_seq;		/* symbolic values so far */
	bool sym_axis;			/* a trial had a symbolic axis */
	int ret;
};

enum { TARGET_SEEN = 1, TARGET_FAILED = 2 };

static int
trial_nomem(struct trial *T)
{
	T->ret = diag_report(T->diags, E_NOMEM,
	    (struct srcpos){ T->def->file, 0, 0 });
	return -1;
}

/* Append s to the list *v of *n (room for *cap); 0 or -1 (memory). */
static int
push_step(struct trial *T, struct ir_step ***v, size_t *n, size_t *cap,
    struct ir_step *s)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 16;
		struct ir_step **p = realloc(*v, c * sizeof(*p));

		if (!p)
			return trial_nomem(T);
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = s;
	return 0;
}

/* The dynamic steps (placeholders) among v, at any depth. */
static int
collect(struct trial *T, struct ir_step **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct ir_step *s = v[i];

		if (s->type == IR_GROUP && collect(T, s->steps, s->nsteps))
			return -1;
		if (s->type == IR_COMMAND && s->eval == IR_EVAL_DYNAMIC &&
		    push_step(T, &T->ph, &T->nph, &T->capph, s))
			return -1;
	}
	return 0;
}

static bool
same_diag(const struct diag *a, const struct diag *b)
{
	return a->code == b->code && a->pos.line == b->pos.line &&
	    a->pos.col == b->pos.col && (a->pos.file == b->pos.file ||
	    (a->pos.file && b->pos.file && !strcmp(a->pos.file,
	    b->pos.file))) && a->msg && b->msg && !strcmp(a->msg, b->msg);
}

/* Whether l tells d: the same message at the same place. */
static bool
tells(const struct diag_list *l, const struct diag *d)
{
	size_t i;

	for (i = 0; l && i < l->n; i++)
		if (same_diag(d, &l->items[i]))
			return true;
	return false;
}

/* Keep in l the messages keep() takes, the counts with them. */
static void
keep_if(struct diag_list *l, bool (*keep)(const struct diag *,
    const struct diag_list *), const struct diag_list *other)
{
	size_t i, k = 0;

	for (i = 0; i < l->n; i++) {
		struct diag *d = &l->items[i];

		if (keep(d, other)) {
			l->items[k++] = *d;
			continue;
		}
		if (diag_level(d->code) == DIAG_ERROR)
			l->errors--;
		else
			l->warnings--;
		free(d->msg);
	}
	l->n = k;
}

static bool
for_every_value(const struct diag *d, const struct diag_list *other)
{
	return !bake_sym_in(d->msg) && (!other || tells(other, d));
}

static bool
untold(const struct diag *d, const struct diag_list *told)
{
	return !tells(told, d);
}

/*
 * Keep in l what holds for every run-time value: no message that speaks
 * of a symbolic value, and (other not NULL) only one other tells too.
 */
static void
keep_sure(struct diag_list *l, const struct diag_list *other)
{
	keep_if(l, for_every_value, other);
}

/*
 * What every path tells, in sure: the first path's messages (*first
 * set), then those a later path's dl tells too. dl is left empty.
 */
static void
every_path(struct diag_list *sure, struct diag_list *dl, bool *first)
{
	if (*first)
		diag_list_move(sure, dl);
	else
		keep_sure(sure, dl);
	diag_list_release(dl);
	*first = false;
}

/*
 * Bake t under prefix on one path of its conditions, as `hm-bake
 * --target` would (its fragment's check included). The fragment, or
 * NULL: inexact (*inexact set), or it failed (its errors in *dl).
 */
static struct ir_doc *
trial_path(struct trial *T, struct target *t, const char *prefix,
    struct bake_path *path, struct diag_list *dl, bool *inexact)
{
	static char *no_environ[] = { NULL };
	struct ir_doc *frag = ir_doc_new(T->def->file);
	struct bake b;
	int r;

	if (!frag) {
		trial_nomem(T);
		return NULL;
	}
	frag->locs = T->doc->locs;
	frag->nlocs = T->doc->nlocs;
	bake_init(&b, T->def, frag, dl, no_environ);
	b.trial = true;
	b.sym_n = T->sym_n;
	b.sym_seq = &T->sym_seq;
	b.path = path;
	r = bake_target(&b, t, prefix);
	if (r == 0 && !b.inexact && dl->errors == 0)
		r = bake_check_fragment(frag, prefix, dl);
	T->nsteps += b.nsteps;
	T->sym_axis |= b.sym_axis;
	bake_release(&b);
	*inexact = b.inexact;
	if (!b.inexact && r == 0 && dl->errors == 0)
		return frag;
	ir_doc_free(frag);
	return NULL;
}

/*
 * Bake t under prefix in a trial: on every path of its conditions on
 * run-time values (bake.h), if it has any, and what every path finds is
 * its verdict. The fragment (t's only path), or NULL: it has
 * conditions (*clean set if every path baked without a mistake), it is
 * inexact, or it failed (its errors reported, t marked).
 */
static struct ir_doc *
trial_bake(struct trial *T, struct target *t, const char *prefix,
    bool *clean)
{
	struct bake_path path;
	struct diag_list sure = DIAG_LIST_INIT, dl;
	struct ir_doc *frag;
	bool inexact = false, first = true;

	*clean = true;
	memset(&path, 0, sizeof(path));
	sure.limit = 0;
	do {
		dl = (struct diag_list)DIAG_LIST_INIT;
		dl.limit = 0;	/* every path's every message, to compare */
		frag = trial_path(T, t, prefix, &path, &dl, &inexact);
		every_path(&sure, &dl, &first);
		if (frag && path.n == 0) {
			diag_list_release(&sure);
			return frag;	/* no condition: one path */
		}
		*clean = *clean && frag;
		ir_doc_free(frag);
	} while (!inexact && (sure.errors || *clean) && bake_path_next(&path));
	*clean = *clean && !inexact;
	if (inexact || !sure.errors) {
		diag_list_release(&sure);
		return NULL;
	}
	t->mark = TARGET_FAILED;
	T->ret = -1;
	diag_list_move(T->diags, &sure);
	return NULL;
}

/*
 * Keep frag until the end (its places are the document's from now on):
 * its slot in T->frags and T->sp, or NULL (memory).
 */
static struct ir_splice *
add_frag(struct trial *T, struct ir_doc *frag)
{
	if (T->nfrags == T->cap) {
		size_t cap = T->cap ? 2 * T->cap : 8;
		struct ir_doc **f = realloc(T->frags, cap * sizeof(*f));
		struct ir_splice *s;

		if (f)
			T->frags = f;
		s = f ? realloc(T->sp, cap * sizeof(*s)) : NULL;
		if (!s) {
			ir_doc_free(frag);
			trial_nomem(T);
			return NULL;
		}
		T->sp = s;
		T->cap = cap;
	}
	T->doc->locs = frag->locs;
	T->doc->nlocs = frag->nlocs;
	T->frags[T->nfrags] = frag;
	T->sp[T->nfrags].group = NULL;
	return &T->sp[T->nfrags++];
}

/* Splice frag in place of ph; kept until the end. 0 or -1 (memory). */
static int
keep(struct trial *T, struct ir_step *ph, struct ir_doc *frag)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct ir_splice *sp = add_frag(T, frag);

	if (!sp)
		return -1;
	if (ir_splice(T->doc, ph, frag, sp, &dl) < 0) {
		T->ret = -1;
		diag_list_move(T->diags, &dl);
		sp->group = NULL;
	}
	diag_list_release(&dl);
	return 0;
}


/* The steps of v, at any depth. */
static size_t
count_steps(struct ir_step **v, size_t n)
{
	size_t i, k = n;

	for (i = 0; i < n; i++)
		if (v[i]->type == IR_GROUP)
			k += count_steps(v[i]->steps, v[i]->nsteps);
	return k;
}

/* Whether a step of v builds in ph or in a group ph is in. */
static bool
builds_in_it(struct ir_step **v, size_t n, const struct ir_step *ph)
{
	const struct ir_step *a;
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i]->type == IR_GROUP &&
		    builds_in_it(v[i]->steps, v[i]->nsteps, ph))
			return true;
		if (v[i]->type == IR_WAIT ||
		    v[i]->builds_in_kind != IR_BUILDS_IN_KEY)
			continue;
		for (a = ph; a; a = a->parent)
			if (v[i]->builds_in.step == a)
				return true;
	}
	return false;
}

/*
 * The target of placeholder ph, whose paths all baked without a
 * mistake, in place as the run would check it: the document (the exact
 * targets spliced) with each path's fragment in ph's place, checked;
 * what every path reports that is not told already is told. Only what
 * continues from ph can hold a mistake its fragment's own check did not
 * find: a placeholder nothing builds in, or that continues 'join' (one
 * state, whatever it bakes to), is passed by, and so is every one once
 * BAKE_MAX_IN_PLACE steps have been checked in place (a check of the
 * whole document per path).
 */
static void
check_in_place(struct trial *T, struct ir_step *ph)
{
	struct target *t = def_target(T->def, ir_more(ph)->target_name);
	struct diag_list sure = DIAG_LIST_INIT, dl;
	struct bake_path path;
	struct ir_splice *sp;
	struct ir_doc *frag;
	size_t size = count_steps(T->doc->steps, T->doc->nsteps);
	bool first = true, inexact = false;

	/* joined, it continues in one state whatever it bakes to */
	if (ir_more(ph)->cont == IR_CONT_JOIN ||
	    !builds_in_it(T->doc->steps, T->doc->nsteps, ph))
		return;
	memset(&path, 0, sizeof(path));
	sure.limit = 0;
	do {
		if (T->in_place + 2 * size > BAKE_MAX_IN_PLACE) {
			diag_list_release(&sure);	/* no verdict */
			return;
		}
		T->in_place += 2 * size;
		dl = (struct diag_list)DIAG_LIST_INIT;
		dl.limit = 0;
		frag = trial_path(T, t, ph->key, &path, &dl, &inexact);
		diag_list_release(&dl);		/* none: it was clean */
		if (!frag || !(sp = add_frag(T, frag))) {
			diag_list_release(&sure);
			return;
		}
		dl = (struct diag_list)DIAG_LIST_INIT;
		dl.limit = 0;
		if (ir_splice(T->doc, ph, frag, sp, &dl) == 0) {
			struct diag_list again = DIAG_LIST_INIT;

			ir_check(T->doc, 0, &dl);
			ir_splice_undo(sp);
			/* its index, as it was (ir_splice looks keys up) */
			ir_check(T->doc, 0, &again);
			diag_list_release(&again);
		}
		every_path(&sure, &dl, &first);
	} while (sure.errors && bake_path_next(&path));
	keep_if(&sure, untold, T->diags);
	if (sure.errors)
		T->ret = -1;
	diag_list_move(T->diags, &sure);
	diag_list_release(&sure);
}

/* Members know their group, as ir_check would set it (ir_splice needs). */
static void
set_parents(struct ir_step *g)
{
	size_t i;

	for (i = 0; i < g->nsteps; i++) {
		g->steps[i]->parent = g;
		g->steps[i]->index = i;
		if (g->steps[i]->type == IR_GROUP)
			set_parents(g->steps[i]);
	}
}

/*
 * One round: bake the targets of the placeholders collected, splice
 * them, and collect the placeholders their fragments hold.
 */
static int
round_once(struct trial *T)
{
	size_t i, first = T->nfrags, nph = T->nph;
	struct ir_step **ph = T->ph;
	bool clean;

	T->ph = NULL;
	T->nph = T->capph = 0;
	for (i = 0; i < nph && T->nsteps <= BAKE_MAX_STEPS; i++) {
		const char *name = ir_more(ph[i])->target_name;
		struct target *t = name ? def_target(T->def, name) : NULL;
		struct ir_doc *frag;

		if (!t || t->bad || !t->dynamic || t->mark == TARGET_FAILED)
			continue;
		t->mark = TARGET_SEEN;
		frag = trial_bake(T, t, ph[i]->key, &clean);
		if ((frag && keep(T, ph[i], frag)) ||
		    (!frag && clean && push_step(T, &T->later, &T->nlater,
		    &T->caplater, ph[i]))) {
			free(ph);
			return -1;
		}
	}
	free(ph);
	for (i = first; i < T->nfrags; i++) {
		if (!T->sp[i].group)
			continue;
		set_parents(T->sp[i].group);
		if (collect(T, T->sp[i].group->steps, T->sp[i].group->nsteps))
			return -1;
	}
	return 0;
}

/*
 * Every dynamic target tried once, its symbolic axes with sym_n values
 * each; what it tells in diags (no limit), whether an axis was symbolic
 * in *sym_axis.
 */
static void
trial_all(struct def *def, struct ir_doc *doc, bool checked, unsigned sym_n,
    struct diag_list *diags, bool *sym_axis)
{
	struct trial T;
	struct diag_list dl = DIAG_LIST_INIT;
	struct srcpos *locs = doc->locs;
	uint32_t nlocs = doc->nlocs;
	size_t i, round, spliced = 0;

	memset(&T, 0, sizeof(T));
	T.def = def;
	T.doc = doc;
	T.diags = diags;
	T.sym_n = sym_n;
	for (i = 0; i < def->ntargets; i++)
		def->targets[i]->mark = 0;
	/* nested placeholders come from calls, which form no cycle: a
	   round per target at most */
	if (collect(&T, doc->steps, doc->nsteps) == 0)
		for (round = 0; round <= def->ntargets && T.nph; round++)
			if (round_once(&T))
				break;
	free(T.ph);
	for (i = 0; i < T.nfrags; i++)
		spliced += T.sp[i].group != NULL;
	/* the expanded document, checked as the run checks it */
	if (spliced && ir_check(doc, 0, &dl) < 0) {
		T.ret = -1;
		diag_list_move(diags, &dl);
	}
	diag_list_release(&dl);
	/* the targets with conditions, each path in place */
	for (i = 0; i < T.nlater && T.nsteps <= BAKE_MAX_STEPS; i++)
		check_in_place(&T, T.later[i]);
	free(T.later);
	/* the targets no placeholder stood for: each as a fragment */
	for (i = 0; i < def->ntargets && T.nsteps <= BAKE_MAX_STEPS; i++) {
		struct target *t = def->targets[i];
		struct ir_doc *frag;
		bool clean;

		if (!t->dynamic || t->bad || t->mark)
			continue;
		if ((frag = trial_bake(&T, t, t->key, &clean)))
			ir_doc_free(frag);
	}
	/* the document as it was */
	for (i = T.nfrags; i-- > 0;)
		ir_splice_undo(&T.sp[i]);
	doc->locs = locs;
	doc->nlocs = nlocs;
	if (spliced && ir_check(doc, 0, &dl) < 0 && checked) {
		diag_list_release(&dl);
		T.ret = diag_report(diags, E_BAKE_SELF_CHECK,
		    (struct srcpos){ NULL, 0, 0 });
	}
	diag_list_release(&dl);
	for (i = 0; i < T.nfrags; i++)
		ir_doc_free(T.frags[i]);
	free(T.frags);
	free(T.sp);
	*sym_axis = T.sym_axis;
}

/*
 * The trials are symbolic (bake.h): a target whose matrix takes its
 * values at run time is tried with one combination per symbolic axis and
 * with two, and only what both tell, at the same place, is told: a
 * mistake of the definition's structure, not one that a number of
 * values the run may not have makes.
 */
int
bake_check_dynamic(struct def *def, struct ir_doc *doc, bool checked,
    struct diag_list *diags)
{
	struct diag_list one = DIAG_LIST_INIT, two = DIAG_LIST_INIT;
	bool sym_axis = false, unused;

	one.limit = two.limit = 0;
	trial_all(def, doc, checked, 1, &one, &sym_axis);
	if (sym_axis) {
		trial_all(def, doc, checked, 2, &two, &unused);
		keep_sure(&one, &two);
	} else {
		keep_sure(&one, NULL);
	}
	diag_list_release(&two);
	if (!one.errors) {
		diag_list_move(diags, &one);
		return 0;
	}
	diag_list_move(diags, &one);
	return -1;
}
