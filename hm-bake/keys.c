/* hm: hm-bake's keys: derived, de-duplicated and checked, scope by scope. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bake.h"
#include "bnode.h"
#include "diag.h"
#include "ir.h"
#include "strmap.h"

int
bake_nomem(struct bake *b, struct srcpos p)
{
	b->stop = true;
	return diag_report(b->diags, E_NOMEM, p);
}

size_t
bake_slugify(const char *s, char *out, size_t max)
{
	size_t n = 0;
	int dash = 0;

	for (; *s && n < max; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			if (dash && n > 0) {
				if (n + 1 >= max)
					break;	/* no room for "-x" */
				out[n++] = '-';
			}
			dash = 0;
			out[n++] = (char)c;
		} else {
			dash = 1;
		}
	}
	out[n] = '\0';
	return n;
}

static int
register_key(struct bake *b, struct bnode *bn, struct srcpos p)
{
	void *old = NULL;
	struct bnode *o;
	struct srcpos op;
	int r = strmap_add(&b->keys, bn->st->key, bn, &old);

	if (r < 0)
		return bake_nomem(b, p);
	if (r == 0)
		return 0;
	o = old;
	op = ir_pos(b->doc, o->xkey ? o->st->key_pos : o->st->pos);
	return diag_report(b->diags, E_BAKE_DUP_KEY, p, bn->st->key,
	    op.line, op.col);
}

/* prefix/local in the arena, without printf. */
static char *
concat_key(struct bake *b, const char *prefix, const char *local,
    size_t ll, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	char *k = arena_alloc(b->doc->arena, pl + 1 + ll + sl + 1), *q = k;

	if (!k)
		return NULL;
	if (pl) {
		memcpy(q, prefix, pl);
		q += pl;
		*q++ = IR_KEY_SEP;
	}
	memcpy(q, local, ll);
	q += ll;
	memcpy(q, suffix, sl + 1);
	return k;
}

/* prefix/local as a key, checked; NULL after an error. */
char *
keys_join(struct bake *b, const char *prefix, const char *local,
    struct srcpos p)
{
	char *k = concat_key(b, prefix, local, strlen(local), "");
	const char *why;

	if (!k) {
		bake_nomem(b, p);
		return NULL;
	}
	if ((why = ir_key_problem(k, strlen(k)))) {
		diag_report(b->diags, E_BAKE_BAD_KEY, p, k, why);
		return NULL;
	}
	return k;
}

/* A derived key: prefix/base, truncated to fit, then -2, -3... if taken. */
static int
derive_key(struct bake *b, struct bnode *bn, const char *prefix,
    const char *base)
{
	size_t pl = *prefix ? strlen(prefix) + 1 : 0, room, bl;
	unsigned n;

	if (pl + 8 > IR_KEY_MAX)
		return diag_report(b->diags, E_BAKE_KEY_TOO_LONG,
		    ir_pos(b->doc, bn->st->pos), prefix, IR_KEY_MAX);
	room = IR_KEY_MAX - pl;
	bl = strlen(base);
	for (n = 1;; n++) {
		char suffix[16] = "";
		size_t sl = 0, take;
		int r;

		if (n > 1)
			sl = (size_t)snprintf(suffix, sizeof(suffix), "-%u", n);
		take = bl + sl > room ? room - sl : bl;
		bn->st->key = concat_key(b, prefix, base, take, suffix);
		if (!bn->st->key)
			return bake_nomem(b, ir_pos(b->doc, bn->st->pos));
		r = strmap_add(&b->keys, bn->st->key, bn, NULL);
		if (r < 0)
			return bake_nomem(b, ir_pos(b->doc, bn->st->pos));
		if (r == 0)
			return 0;
	}
}

static int
key_scope(struct bake *b, struct bnode *scope, const char *prefix)
{
	char slug[IR_KEY_MAX + 1];
	size_t i;
	int ret = 0;

	/* explicit keys first: they never yield to derived ones */
	for (i = 0; i < scope->nkids; i++) {
		struct bnode *k = scope->kids[i];
		struct srcpos p;

		if (k->st->type == IR_WAIT || k->fixed || !k->xkey)
			continue;
		p = ir_pos(b->doc, k->st->key_pos);
		k->st->key = keys_join(b, prefix, k->xkey, p);
		if (!k->st->key || register_key(b, k, p))
			ret = -1;
	}
	for (i = 0; i < scope->nkids; i++) {
		struct bnode *k = scope->kids[i];
		const char *base = NULL;

		if (k->st->type == IR_WAIT || k->fixed || k->xkey)
			continue;
		if (k->call) {
			base = k->name;
		} else if (k->st->label && bake_slugify(k->st->label, slug,
		    IR_KEY_MAX) > 0) {
			base = slug;
		} else {
			char num[32];

			bake_slugify(k->name, slug, IR_KEY_MAX - 32);
			snprintf(num, sizeof(num), "%s%zu", *slug ? "-" : "step-",
			    i + 1);
			strcat(slug, num);
			base = slug;
		}
		if (derive_key(b, k, prefix, base))
			ret = -1;
		k->st->key_pos = k->st->pos;
	}
	if (ret)
		return ret;
	for (i = 0; i < scope->nkids; i++) {
		struct bnode *k = scope->kids[i];

		if (k->st->type == IR_GROUP && key_scope(b, k, k->st->key))
			ret = -1;
	}
	return ret;
}

static int resolve(struct bake *b, struct bnode *scope);

/* Continuations and references of k, once every key is known. */
static int
resolve_one(struct bake *b, struct bnode *k)
{
	struct ir_step *st = k->st;
	size_t j;
	int ret = 0;

	if (st->type == IR_WAIT)
		return 0;
	if (st->builds_in_kind == IR_BUILDS_IN_KEY && !st->builds_in.key)
		st->builds_in.key = st->builds_in.step->key;
	if (k->cont_in) {
		/* continue_in was declared: the step has more */
		struct ir_more *m = st->more;
		struct srcpos p = ir_pos(b->doc, m->cont_pos);

		m->continue_in.key = keys_join(b, st->key, k->cont_in, p);
		m->continue_in.pos = m->cont_pos;
		if (!m->continue_in.key)
			return -1;
		if (k->check_members) {
			for (j = 0; j < k->nkids; j++)
				if (k->kids[j]->st->type != IR_WAIT &&
				    !strcmp(k->kids[j]->st->key,
				    m->continue_in.key))
					break;
			if (j == k->nkids)
				ret = diag_report(b->diags, E_BAKE_CONTINUE_IN,
				    p, k->cont_in, st->key);
		}
	}
	if (st->type == IR_GROUP && resolve(b, k))
		ret = -1;
	return ret;
}

/* Continuations and references, once every key is known. */
static int
resolve(struct bake *b, struct bnode *scope)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < scope->nkids; i++)
		if (resolve_one(b, scope->kids[i]))
			ret = -1;
	return ret;
}

/*
 * A static bake keys each target on its own: one whose keys or
 * continuations are wrong is told, and stands in (bake_demote) while
 * the others are keyed and checked.
 */
static int
keys_targets(struct bake *b)
{
	size_t i, e;

	for (i = 0; i < b->root->nkids && !b->stop; i++) {
		struct bnode *k = b->root->kids[i];

		e = b->diags->errors;
		if (k->st->type == IR_GROUP)
			key_scope(b, k, k->st->key);
		if (b->diags->errors > e && bake_demote(b, k->st->key))
			return -1;
	}
	for (i = 0; i < b->root->nkids && !b->stop; i++) {
		struct bnode *k = b->root->kids[i];

		e = b->diags->errors;
		resolve_one(b, k);
		if (b->diags->errors > e && bake_demote(b, k->st->key))
			return -1;
	}
	return b->stop ? -1 : 0;
}

int
keys_assign(struct bake *b, const char *prefix)
{
	size_t i;
	int ret;

	if (b->diags->errors > b->errors0 || b->stop)
		return -1;
	/* every step gets one key (waits too, counted but keyless) */
	if (strmap_reserve(&b->keys, b->nsteps))
		return bake_nomem(b, (struct srcpos){ b->def->file, 0, 0 });
	/* fixed keys (targets) first */
	for (i = 0; i < b->root->nkids; i++) {
		struct bnode *k = b->root->kids[i];

		if (k->fixed && register_key(b, k,
		    ir_pos(b->doc, k->st->key_pos)))
			return -1;
	}
	if (!b->fragment) {
		ret = keys_targets(b);
	} else {
		if (key_scope(b, b->root, prefix))
			return -1;
		ret = resolve(b, b->root);
	}
	if (!ret)
		ret = outref_resolve(b);
	/* the map is keying's own: the check of the document reuses its
	 * memory */
	strmap_release(&b->keys);
	return ret;
}

