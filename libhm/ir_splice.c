/* hm: replacing a dynamic step by the group its baked fragment became. */
#include <stdbool.h>
#include <string.h>

#include "arena.h"
#include "ir_splice.h"

static ir_loc
pos_of(const ir_loc *v, size_t i)
{
	return v ? v[i] : 0;
}

static bool
env_has(const struct ir_env *e, const char *name)
{
	size_t i;

	for (i = 0; e->present && i < e->n; i++)
		if (strcmp(e->names[i], name) == 0)
			return true;
	return false;
}

/* into = inherited entries (a, then b overriding) not in own, then own. */
static int
env_inherit(struct arena *ar, struct ir_env *own, const struct ir_env *a,
    const struct ir_env *b)
{
	size_t cap = own->n + (a->present ? a->n : 0) +
	    (b->present ? b->n : 0), n = 0, i, k;
	const struct ir_env *src[2] = { a, b };
	struct ir_env e;
	int s;

	if (cap == own->n)
		return 0;
	memset(&e, 0, sizeof(e));
	e.names = arena_calloc(ar, cap, sizeof(*e.names));
	e.values = arena_calloc(ar, cap, sizeof(*e.values));
	e.pos = arena_calloc(ar, cap, sizeof(*e.pos));
	if (!e.names || !e.values || !e.pos)
		return -1;
	for (s = 0; s < 2; s++) {
		for (i = 0; src[s]->present && i < src[s]->n; i++) {
			const char *name = src[s]->names[i];

			if (env_has(own, name))
				continue;
			for (k = 0; k < n; k++)
				if (strcmp(e.names[k], name) == 0)
					break;
			e.names[k] = name;
			e.values[k] = src[s]->values[i];
			e.pos[k] = pos_of(src[s]->pos, i);
			if (k == n)
				n++;
		}
	}
	for (i = 0; i < own->n; i++) {
		e.names[n] = own->names[i];
		e.values[n] = own->values[i];
		e.pos[n++] = pos_of(own->pos, i);
	}
	e.n = n;
	e.present = n > 0 || own->present;
	*own = e;
	return 0;
}

static int
secrets_inherit(struct arena *ar, struct ir_strlist *own,
    const struct ir_strlist *ph)
{
	size_t cap, n = 0, i, k;
	struct ir_strlist l;

	if (!ph->present || ph->n == 0)
		return 0;
	cap = own->n + ph->n;
	memset(&l, 0, sizeof(l));
	l.v = arena_calloc(ar, cap, sizeof(*l.v));
	l.pos = arena_calloc(ar, cap, sizeof(*l.pos));
	if (!l.v || !l.pos)
		return -1;
	for (i = 0; i < ph->n; i++) {
		for (k = 0; k < own->n; k++)
			if (strcmp(own->v[k], ph->v[i]) == 0)
				break;
		if (k < own->n)
			continue;
		l.v[n] = ph->v[i];
		l.pos[n++] = pos_of(ph->pos, i);
	}
	for (i = 0; i < own->n; i++) {
		l.v[n] = own->v[i];
		l.pos[n++] = pos_of(own->pos, i);
	}
	l.n = n;
	l.present = true;
	*own = l;
	return 0;
}

struct walk {
	struct ir_doc *doc;
	const struct ir_step *ph;
	const struct ir_doc *frag;
	struct diag_list *diags;
	size_t plen;
	int ret;
};

/* Every key of the fragment under KEY/ and new to the document. */
static void
check_keys(struct walk *w, struct ir_step **steps, size_t n, int depth)
{
	struct ir_step *s, *old;
	size_t i;

	for (i = 0; i < n; i++) {
		s = steps[i];
		if (s->type == IR_WAIT)
			continue;
		if (strncmp(s->key, w->ph->key, w->plen) != 0 ||
		    s->key[w->plen] != IR_KEY_SEP ||
		    s->key[w->plen + 1] == '\0') {
			w->ret = diag_report(w->diags, E_IR_FRAGMENT_KEY,
			    ir_pos(w->frag, s->key_pos), s->key, w->ph->key);
		} else if ((old = ir_find(w->doc, s->key)) != NULL) {
			struct srcpos o = ir_pos(w->doc, old->key_pos);

			w->ret = diag_report(w->diags, E_IR_DUP_KEY,
			    ir_pos(w->frag, s->key_pos), s->key, o.line, o.col);
		}
		if (s->type == IR_GROUP && depth < IR_MAX_GROUP_DEPTH)
			check_keys(w, s->steps, s->nsteps, depth + 1);
	}
}

/* What the fragment's commands inherit from the placeholder. */
static void
inherit(struct walk *w, struct ir_step **steps, size_t n)
{
	struct srcpos none = { NULL, 0, 0 };
	const struct ir_strlist *ph_secrets;
	struct ir_more *m;
	struct ir_step *s;
	size_t i;

	for (i = 0; i < n; i++) {
		s = steps[i];
		if (s->type == IR_GROUP)
			inherit(w, s->steps, s->nsteps);
		if (s->type != IR_COMMAND)
			continue;
		if (env_inherit(w->doc->arena, &s->env, &w->ph->env,
		    &w->frag->env) < 0)
			w->ret = diag_report(w->diags, E_NOMEM, none);
		ph_secrets = &ir_more(w->ph)->secret_env;
		if (ph_secrets->present && ph_secrets->n > 0 &&
		    (!(m = ir_step_more(w->doc, s)) ||
		    secrets_inherit(w->doc->arena, &m->secret_env,
		    ph_secrets) < 0))
			w->ret = diag_report(w->diags, E_NOMEM, none);
		if (!ir_more(s)->image && w->frag->default_image) {
			if ((m = ir_step_more(w->doc, s)))
				m->image = w->frag->default_image;
			else
				w->ret = diag_report(w->diags, E_NOMEM, none);
		}
		if (w->ph->soft_fail && !s->has_soft_fail) {
			s->soft_fail = true;
			s->has_soft_fail = true;
		}
	}
}

int
ir_splice(struct ir_doc *doc, struct ir_step *ph, struct ir_doc *frag,
    struct ir_splice *sp, struct diag_list *diags)
{
	struct srcpos none = { NULL, 0, 0 };
	struct ir_step **list, *g, *copy;
	struct ir_more *m;
	struct walk w;
	size_t n, i, k;

	memset(sp, 0, sizeof(*sp));
	list = ph->parent ? ph->parent->steps : doc->steps;
	n = ph->parent ? ph->parent->nsteps : doc->nsteps;
	for (i = 0; i < n && list[i] != ph; i++)
		;
	if (i == n)
		return diag_report(diags, E_IR_UNKNOWN_REF,
		    ir_pos(doc, ph->key_pos),
		    "key", ph->key, ph->key);
	w.doc = doc;
	w.ph = ph;
	w.frag = frag;
	w.diags = diags;
	w.plen = strlen(ph->key);
	w.ret = 0;
	check_keys(&w, frag->steps, frag->nsteps, 1);
	if (w.ret < 0)
		return -1;
	/* the fragment's places, now the document's (its text may go) */
	for (k = 0; k < frag->nsteps; k++)
		ir_step_move_locs(doc, frag, frag->steps[k]);
	for (k = 0; frag->env.pos && k < frag->env.n; k++)
		frag->env.pos[k] = ir_loc_move(doc, frag, frag->env.pos[k]);
	frag->continue_in.pos = ir_loc_move(doc, frag, frag->continue_in.pos);
	frag->cont_pos = ir_loc_move(doc, frag, frag->cont_pos);
	inherit(&w, frag->steps, frag->nsteps);
	if (w.ret < 0)
		return -1;
	if (!(g = ir_step_new(doc, IR_GROUP)))
		return diag_report(diags, E_NOMEM, none);
	g->pos = ph->pos;
	g->key = ph->key;
	g->key_pos = ph->key_pos;
	g->label = ph->label;
	g->builds_in_kind = ph->builds_in_kind;
	g->builds_in = ph->builds_in;
	g->builds_in.step = NULL;
	g->depends_on = ph->depends_on;
	g->ndepends_on = ph->ndepends_on;
	g->has_depends_on = ph->has_depends_on;
	if (!(m = ir_step_more(doc, g)))
		return diag_report(diags, E_NOMEM, none);
	m->target_name = ir_more(ph)->target_name;
	m->target_pos = ir_more(ph)->target_pos;
	if (frag->cont != IR_CONT_NONE) {
		m->cont = frag->cont;
		m->continue_in = frag->continue_in;
		m->cont_pos = frag->cont_pos;
	} else {
		m->cont = ir_more(ph)->cont;
		m->continue_in = ir_more(ph)->continue_in;
		m->cont_pos = ir_more(ph)->cont_pos;
	}
	m->continue_in.step = NULL;
	g->steps = frag->steps;
	g->nsteps = frag->nsteps;
	g->parent = ph->parent;
	g->index = i;
	g->id = ph->id;
	g->followed = ph->followed;
	if (!(copy = ir_step_new(doc, IR_WAIT)))
		return diag_report(diags, E_NOMEM, none);
	*copy = *ph;
	*ph = *g;
	sp->placeholder = copy;
	sp->group = ph;
	return 0;
}

void
ir_splice_undo(struct ir_splice *sp)
{
	if (sp->group)
		*sp->group = *sp->placeholder;
	sp->group = NULL;
}
