/* hm: hm-bake's output references: resolved to keys, recorded as "consumes". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bake.h"
#include "bnode.h"
#include "diag.h"
#include "ir.h"
#include "strmap.h"

/*
 * ${{ outputs.STEP.NAME }} names the step keyed SCOPE/STEP, where SCOPE
 * is the key of the target the reference is written in (a dynamic
 * target's: its placeholder's), else the step keyed STEP. Steps are
 * keyed only once the whole bake is evaluated, so a command's references
 * wait in b->pend until then (its cmd keeps them as written, each at its
 * place), and so do those a dynamic target's body makes on another
 * target's step, recorded on its placeholder.
 */

int
outref_defer(struct bake *b, const struct pend *p)
{
	if (arena_grow(b->doc->arena, &b->pend, b->npend,
	    sizeof(*b->pend)) < 0)
		return bake_nomem(b, p->nrefs ? p->refs[0].pos :
		    (struct srcpos){ b->def->file, 0, 0 });
	b->pend[b->npend++] = *p;
	return 0;
}

/* Add step key's output name to st's consumes, once. */
static int
consume(struct bake *b, struct ir_step *st, const char *key,
    const char *name, struct srcpos p)
{
	struct ir_more *m = ir_step_more(b->doc, st);
	const char *why = ir_output_name_problem(name, strlen(name));
	uint32_t i;

	/* what the IR could not hold (a name over 255 bytes) */
	if (why)
		return diag_report(b->diags, E_BAKE_BAD_NAME, p, "output name",
		    name, why);
	if (!m)
		return bake_nomem(b, p);
	if (!strcmp(st->key, key))
		return diag_report(b->diags, E_BAKE_OUTPUT_SELF, p, key, name);
	if (ir_key_under(st->key, key, strlen(key)))
		return diag_report(b->diags, E_BAKE_OUTPUT_GROUP_OWN, p,
		    st->key, name, key);
	for (i = 0; i < m->nconsumes; i++)
		if (!strcmp(m->consumes[i].step.key, key) &&
		    !strcmp(m->consumes[i].output, name))
			return 0;
	if (arena_grow(b->doc->arena, &m->consumes, m->nconsumes,
	    sizeof(*m->consumes)) < 0)
		return bake_nomem(b, p);
	m->consumes[m->nconsumes].step.key = key;
	m->consumes[m->nconsumes].step.pos = ir_loc_new(b->doc, p);
	m->consumes[m->nconsumes].step.step = NULL;
	m->consumes[m->nconsumes].output = name;
	m->consumes[m->nconsumes].output_pos =
	    m->consumes[m->nconsumes].step.pos;
	m->nconsumes++;
	m->has_consumes = true;
	return 0;
}

/*
 * The key r names among the bake's steps: SCOPE/STEP, then STEP. NULL if
 * neither is one (*rel: the first was looked for).
 */
static const char *
lookup(struct bake *b, const char *scope, const char *step, bool *rel)
{
	char *k;

	*rel = false;
	if (scope && *scope) {
		k = arena_printf(b->doc->arena, "%s/%s", scope, step);
		*rel = true;
		if (k && strmap_get(&b->keys, k))
			return k;
	}
	return strmap_get(&b->keys, step) ? step : NULL;
}

/* One command's references: its cmd rebuilt, its consumes recorded. */
static int
resolve_cmd(struct bake *b, const struct pend *p)
{
	struct ir_step *st = p->bn->st;
	const char *cmd = st->cmd;
	size_t i, at = 0, len = 0, cap = strlen(cmd) + 1;
	char *out;
	int ret = 0;

	/* room for each reference's "$VAR", or its value quoted */
	for (i = 0; i < p->nrefs; i++) {
		const struct oref *r = &p->refs[i];
		char *step = arena_strndup(b->doc->arena, r->step, r->steplen);
		char *name = arena_strndup(b->doc->arena, r->name, r->namelen);
		char *var = step && name ? arena_alloc(b->doc->arena,
		    ir_output_var_size(step, name)) : NULL;
		const char *v;

		if (!var)
			return bake_nomem(b, r->pos);
		cap += (p->scope ? strlen(p->scope) + 1 : 0) + r->steplen +
		    r->namelen + 16;
		ir_output_var(step, name, var);
		if (b->fragment && (v = bake_environ(b, var)))
			cap += 4 * strlen(v) + 3;
	}
	out = arena_alloc(b->doc->arena, cap);
	if (!out)
		return bake_nomem(b, p->refs[0].pos);
	for (i = 0; i < p->nrefs; i++) {
		const struct oref *r = &p->refs[i];
		char *step = arena_strndup(b->doc->arena, r->step, r->steplen);
		char *name = arena_strndup(b->doc->arena, r->name, r->namelen);
		const char *key, *v, *sk;
		bool rel;

		if (!step || !name)
			return bake_nomem(b, r->pos);
		memcpy(out + len, cmd + at, r->off - at);
		len += r->off - at;
		at = r->off + r->len;
		key = lookup(b, p->scope, step, &rel);
		if (b->fragment && (!key || !rel)) {
			/* a step outside the fragment: it ran before the
			   bake, its value is in the environment */
			char *var = arena_alloc(b->doc->arena,
			    ir_output_var_size(step, name));

			if (!var)
				return bake_nomem(b, r->pos);
			ir_output_var(step, name, var);
			/* a trial runs nothing: any value will do */
			if (!(v = b->trial ? "" : bake_environ(b, var))) {
				ret = diag_report(b->diags,
				    E_BAKE_OUTPUT_UNWRITTEN, r->pos, name,
				    step);
				continue;
			}
			len += bake_sh_quote(v, out + len);
			continue;
		}
		if (b->nstandins && (key ? bake_standin_key(b, key) :
		    bake_standin_key(b, step) || (rel && (sk =
		    arena_printf(b->doc->arena, "%s/%s", p->scope, step)) &&
		    bake_standin_key(b, sk)))) {
			/* a step of a target whose mistakes are told */
			memcpy(out + len, cmd + r->off, r->len);
			len += r->len;
			continue;
		}
		if (!key) {
			ret = rel ? diag_report(b->diags, E_BAKE_OUTPUT_STEP,
			    r->pos, name, step, arena_printf(b->doc->arena,
			    "%s/%s", p->scope, step), step) :
			    diag_report(b->diags, E_BAKE_OUTPUT_STEP1, r->pos,
			    name, step);
			continue;
		}
		/* the value at run time, as one word */
		out[len++] = '"';
		out[len++] = '$';
		ir_output_var(key, name, out + len);
		len += strlen(out + len);
		out[len++] = '"';
		if (consume(b, st, key, name, r->pos) && (ret = -1) && b->stop)
			return -1;
	}
	strcpy(out + len, cmd + at);
	st->cmd = out;
	return ret;
}

/* A placeholder's references to steps outside its target. */
static int
resolve_placeholder(struct bake *b, const struct pend *p)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < p->nrefs; i++) {
		const struct oref *r = &p->refs[i];
		char *step = arena_strndup(b->doc->arena, r->step, r->steplen);
		char *name = arena_strndup(b->doc->arena, r->name, r->namelen);

		if (!step || !name)
			return bake_nomem(b, r->pos);
		/* a fragment does not know the keys outside it */
		if (bake_standin_key(b, step))
			continue;
		if (!b->fragment && !strmap_get(&b->keys, step)) {
			if (p->loose)
				continue;
			ret = diag_report(b->diags, E_BAKE_OUTPUT_STEP1, r->pos,
			    name, step);
			continue;
		}
		if (consume(b, p->bn->st, step, name, r->pos) &&
		    (ret = -1) && b->stop)
			return -1;
	}
	return ret;
}

/*
 * st's references to the steps of targets that stand in go: a target
 * demoted after st was resolved stands in as if from the start.
 */
static void
drop_standins(struct bake *b, struct ir_step *st)
{
	struct ir_more *m = st->more;
	uint32_t i, k = 0;

	for (i = 0; m && i < m->nconsumes; i++)
		if (!bake_standin_key(b, m->consumes[i].step.key))
			m->consumes[k++] = m->consumes[i];
	if (m)
		m->nconsumes = k;
}

int
outref_resolve(struct bake *b)
{
	size_t i, nstandins = b->nstandins;
	int ret = 0;

	for (i = 0; i < b->npend && !b->stop; i++) {
		const struct pend *p = &b->pend[i];
		const char *key = p->bn->st->key;
		size_t e = b->diags->errors;

		/* a target that stands in has no steps to resolve */
		if (!key || bake_standin_key(b, key))
			continue;
		if (!(p->placeholder ? resolve_placeholder(b, p) :
		    resolve_cmd(b, p)))
			continue;
		/* a static bake goes on without the consumer's target */
		if (b->fragment || b->stop || b->diags->errors == e ||
		    bake_demote(b, key))
			ret = -1;
	}
	for (i = 0; b->nstandins > nstandins && i < b->npend; i++)
		drop_standins(b, b->pend[i].bn->st);
	return ret;
}
