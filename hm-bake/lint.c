/* hm: what can be checked in a definition's expressions before any bake. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "bake.h"
#include "bnode.h"
#include "def.h"
#include "diag.h"
#include "ir.h"
#include "lint.h"
#include "ytree.h"

/*
 * Every target's text fields are walked once, every branch and matrix
 * template included, with the matrix variables in scope at each place:
 * a ${{ matrix.NAME }} outside a matrix that has NAME, an expression
 * that is neither that nor ${{ outputs.STEP.NAME }}, and an output used
 * where its value cannot be had are errors here, in every target, the
 * dynamic ones too (which are otherwise baked only when a run reaches
 * them). What needs the baked keys (which step an output names, whether
 * it runs first) is checked when the pipeline is baked.
 */

/* Where a text is used. */
enum tfield {
	TF_SH,			/* a command's sh: run when the step runs */
	TF_OTHER		/* anything used when the target is baked */
};

struct scope {
	const struct item *matrix;	/* its axes are in scope */
	const struct scope *up;
};

struct walk {
	const struct def *def;
	const struct target *t;
	struct diag_list *diags;	/* NULL: collect only */
	struct arena *a;
	/* a dynamic target's local key names (the first segment of a key
	   under its placeholder), to tell its own steps from others' */
	const char **local;
	size_t nlocal;
	bool loose;			/* keys made at bake time: any name
					   may be local */
	struct oref *refs;		/* collected references to steps
					   outside the target */
	size_t nrefs;
	int ret;
};

static void
report_bad(struct walk *w, struct srcpos p, const char *e, size_t n)
{
	char *s;

	if (!w->diags)
		return;
	s = arena_strndup(w->a, e, n);
	diag_report(w->diags, E_BAKE_MATRIX_VAR, p, s ? s : "${{");
	w->ret = -1;
}

static bool
in_scope(const struct scope *sc, const char *name, size_t nl)
{
	size_t i;

	for (; sc; sc = sc->up)
		for (i = 0; i < sc->matrix->naxes; i++)
			if (strlen(sc->matrix->axes[i].name) == nl &&
			    !strncmp(sc->matrix->axes[i].name, name, nl))
				return true;
	return false;
}

/* Whether the first segment of step names one of the target's steps. */
static bool
is_local(const struct walk *w, const char *step, size_t sl)
{
	size_t i, seg, tl = strlen(w->t->name);
	char slug[IR_KEY_MAX + 1];

	if (w->loose)
		return true;
	for (seg = 0; seg < sl && step[seg] != '/'; seg++)
		;
	for (i = 0; i < w->nlocal; i++)
		if (strlen(w->local[i]) == seg &&
		    !strncmp(w->local[i], step, seg))
			return true;
	/* an unnamed step's key: the target's name, '-', its position */
	bake_slugify(w->t->name, slug, IR_KEY_MAX);
	tl = strlen(slug);
	return seg > tl + 1 && !strncmp(step, slug, tl) && step[tl] == '-';
}

static void
output_ref(struct walk *w, struct oref *r, enum tfield f, struct srcpos p)
{
	char *step = arena_strndup(w->a, r->step, r->steplen);
	char *name = arena_strndup(w->a, r->name, r->namelen);

	if (!step || !name)
		return;
	/* the text may be gone when the references are resolved */
	r->step = step;
	r->name = name;
	r->pos = p;
	if (!w->t->dynamic) {
		/* a static target: only a command's sh reads it, when it
		   runs */
		if (f != TF_SH && w->diags) {
			diag_report(w->diags, E_BAKE_OUTPUT_RUNTIME, p, name,
			    step);
			w->ret = -1;
		}
		return;
	}
	if (is_local(w, step, r->steplen)) {
		if (f != TF_SH && !w->loose && w->diags) {
			diag_report(w->diags, E_BAKE_OUTPUT_OWN, p, name, step);
			w->ret = -1;
		}
		return;
	}
	if (arena_grow(w->a, &w->refs, w->nrefs, sizeof(*w->refs)) < 0) {
		w->ret = -1;
		return;
	}
	w->refs[w->nrefs++] = *r;
}

/* Every ${{ }} of s, used as f with the matrices sc in scope. */
static void
text(struct walk *w, const char *s, enum tfield f, const struct scope *sc,
    struct srcpos p)
{
	const char *q = s;

	while ((q = strstr(q, "${{"))) {
		const char *e = q + 3, *end = strstr(e, "}}"), *z;
		struct oref r;

		if (!end) {
			report_bad(w, p, q, strlen(q));
			return;
		}
		while (*e == ' ')
			e++;
		for (z = end; z > e && z[-1] == ' '; z--)
			;
		if (!bake_oref_parse(e, (size_t)(z - e), &r)) {
			output_ref(w, &r, f, p);
		} else if ((size_t)(z - e) <= 7 || strncmp(e, "matrix.", 7) ||
		    !in_scope(sc, e + 7, (size_t)(z - e - 7)) ||
		    ir_env_name_problem(e + 7, (size_t)(z - e - 7))) {
			report_bad(w, p, q, (size_t)(end + 2 - q));
		}
		q = end + 2;
	}
}

static void
ytext(struct walk *w, const struct ynode *n, enum tfield f,
    const struct scope *sc)
{
	if (n && n->type == Y_SCALAR && n->u.s)
		text(w, n->u.s, f, sc, ynode_pos(w->def->file, n));
}

static void
env_texts(struct walk *w, const struct ir_env *env, const struct scope *sc)
{
	uint32_t i;

	for (i = 0; i < env->n; i++)
		text(w, env->values[i], TF_OTHER, sc,
		    ir_pos(w->def->doc, env->pos[i]));
}

static void walk_chain(struct walk *w, const struct chain *ch,
    const struct scope *sc);

/*
 * Whether name is the local key of a step a scope made of the chains v
 * (n of them) can have: an explicit key, a call's target, a label's
 * slug, through the chains that conditionals and forks splice in. *loose
 * when keys are made at bake time (a generator, an expression).
 */
static bool
member_named(const struct chain *v, size_t n, const char *name, bool *loose)
{
	char slug[IR_KEY_MAX + 1];
	size_t i, k, j;

	for (k = 0; k < n; k++) {
		for (i = 0; i < v[k].n; i++) {
			const struct item *it = v[k].v[i];
			const char *local = NULL;

			if (it->o.key)
				local = it->o.key->u.s;
			else if (it->kind == IT_CALL)
				local = it->callee.name;
			else if (it->o.label &&
			    bake_slugify(it->o.label->u.s, slug, IR_KEY_MAX))
				local = slug;
			if ((it->o.key && strstr(it->o.key->u.s, "${{")) ||
			    (it->o.label && strstr(it->o.label->u.s, "${{")) ||
			    it->kind == IT_GEN || (!local && it->kind != IT_IF &&
			    it->kind != IT_FORK && it->kind != IT_WAIT))
				*loose = true;
			if (local && !strcmp(local, name))
				return true;
			if (it->kind == IT_FORK &&
			    member_named(it->members, it->nmembers, name, loose))
				return true;
			for (j = 0; it->kind == IT_IF && j < it->nbranches; j++)
				if (member_named(&it->branches[j].then, 1, name,
				    loose))
					return true;
		}
	}
	return false;
}

/* A dynamic target's continue_in names a member it can have. */
static void
check_cont_in(struct walk *w, const struct ynode *cont_in,
    const struct chain *v, size_t n, const char *of)
{
	bool loose = false;

	if (!w->diags || !w->t->dynamic || !cont_in ||
	    strstr(cont_in->u.s, "${{"))
		return;
	if (member_named(v, n, cont_in->u.s, &loose) || loose)
		return;
	diag_report(w->diags, E_BAKE_CONTINUE_IN,
	    ynode_pos(w->def->file, cont_in), cont_in->u.s, of);
	w->ret = -1;
}

static void
walk_item(struct walk *w, const struct item *it, const struct scope *sc)
{
	const struct opts_more *om = opts_more(&it->o);
	struct scope in;
	size_t i;

	ytext(w, it->o.label, TF_OTHER, sc);
	ytext(w, it->o.key, TF_OTHER, sc);
	ytext(w, om->cwd, TF_OTHER, sc);
	ytext(w, om->image, TF_OTHER, sc);
	ytext(w, om->cont_in, TF_OTHER, sc);
	ytext(w, it->o.sh, it->kind == IT_CMD ? TF_SH : TF_OTHER, sc);
	switch (it->kind) {
	case IT_GROUP:
	case IT_FORK:
		env_texts(w, &om->env, sc);
		for (i = 0; i < it->nmembers; i++)
			walk_chain(w, &it->members[i], sc);
		if (it->kind == IT_GROUP)
			check_cont_in(w, om->cont_in, it->members,
			    it->nmembers, it->o.label ? it->o.label->u.s :
			    "its group");
		break;
	case IT_IF:
		for (i = 0; i < it->nbranches; i++) {
			ytext(w, it->branches[i].sh, TF_OTHER, sc);
			walk_chain(w, &it->branches[i].then, sc);
		}
		break;
	case IT_GEN:
		ytext(w, it->gen, TF_OTHER, sc);
		break;
	case IT_MATRIX:
		for (i = 0; i < it->naxes; i++) {
			const struct axis *ax = &it->axes[i];

			ytext(w, ax->sh, TF_OTHER, sc);
			if (ax->kind == AXIS_OUTPUT) {
				char buf[IR_KEY_MAX + 300];
				struct oref r;

				snprintf(buf, sizeof(buf), "outputs.%s",
				    ax->output->u.s);
				if (!bake_oref_parse(buf, strlen(buf), &r))
					output_ref(w, &r, TF_OTHER,
					    ynode_pos(w->def->file,
					    ax->output));
			}
		}
		check_cont_in(w, om->cont_in, &it->steps, 1,
		    it->o.label ? it->o.label->u.s : "its matrix");
		in.matrix = it;
		in.up = sc;
		env_texts(w, &om->env, &in);
		walk_chain(w, &it->steps, &in);
		break;
	default:
		env_texts(w, &om->env, sc);
		break;
	}
}

static void
walk_chain(struct walk *w, const struct chain *ch, const struct scope *sc)
{
	size_t i;

	for (i = 0; i < ch->n; i++)
		walk_item(w, ch->v[i], sc);
}

static void
add_local(struct walk *w, const char *s)
{
	if (arena_grow(w->a, &w->local, w->nlocal, sizeof(*w->local)) < 0)
		w->loose = true;
	else
		w->local[w->nlocal++] = s;
}

/* The names a dynamic target's steps may be keyed by (locals). */
static void
locals(struct walk *w, const struct chain *ch)
{
	size_t i, j;

	for (i = 0; i < ch->n; i++) {
		const struct item *it = ch->v[i];
		char slug[IR_KEY_MAX + 1];

		if (it->o.key) {
			if (strstr(it->o.key->u.s, "${{"))
				w->loose = true;
			add_local(w, it->o.key->u.s);
		} else if (it->kind == IT_CALL) {
			add_local(w, it->callee.name);
		} else if (it->o.label) {
			if (strstr(it->o.label->u.s, "${{"))
				w->loose = true;
			if (bake_slugify(it->o.label->u.s, slug, IR_KEY_MAX))
				add_local(w, arena_strdup(w->a, slug));
		}
		switch (it->kind) {
		case IT_GROUP:
		case IT_FORK:
			for (j = 0; j < it->nmembers; j++)
				locals(w, &it->members[j]);
			break;
		case IT_IF:
			for (j = 0; j < it->nbranches; j++)
				locals(w, &it->branches[j].then);
			break;
		case IT_GEN:
			w->loose = true;
			break;
		default:
			break;
		}
	}
}

static void
walk_target(struct walk *w, const struct target *t)
{
	const struct opts_more *tm = opts_more(&t->o);

	w->t = t;
	if (t->dynamic)
		locals(w, &t->body);
	env_texts(w, &tm->env, NULL);
	ytext(w, tm->cont_in, TF_OTHER, NULL);
	check_cont_in(w, tm->cont_in, &t->body, 1, t->name);
	walk_chain(w, &t->body, NULL);
}

int
lint_def(struct def *def, bool all, struct diag_list *diags)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < def->ntargets; i++) {
		struct walk w;

		if (def->targets[i]->bad || (!all && !def->targets[i]->dynamic))
			continue;
		memset(&w, 0, sizeof(w));
		w.def = def;
		w.diags = diags;
		w.a = def->a;
		walk_target(&w, def->targets[i]);
		/* not baked then: what is wrong is told */
		if (w.ret)
			def->targets[i]->bad = true;
		ret |= w.ret;
	}
	return ret ? -1 : 0;
}

int
lint_target_refs(struct def *def, const struct target *t,
    struct oref **refs, size_t *nrefs, bool *loose)
{
	struct walk w;

	memset(&w, 0, sizeof(w));
	w.def = def;
	w.a = def->a;
	walk_target(&w, t);
	*refs = w.refs;
	*nrefs = w.nrefs;
	*loose = w.loose;
	return w.ret;
}
