/* hm: baking a definition into IR v1: the evaluator, placement and keys. */
#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "bake.h"
#include "bnode.h"
#include "def.h"
#include "diag.h"
#include "esc.h"
#include "ir.h"
#include "ir_cont.h"
#include "lint.h"
#include "proc.h"
#include "strmap.h"
#include "ytree.h"

/* What a chain continues from. */
enum tail_kind {
	TAIL_NONE,
	TAIL_STEP,
	TAIL_FORKED,
	TAIL_FROM		/* a target's roots build in its 'from' */
};

struct tail {
	enum tail_kind kind;
	struct bnode *bn;
	const struct tref *from;	/* TAIL_FROM */
};

/* Evaluation context: one per target, extended by groups and matrices. */
struct ctx {
	struct target *t;
	const char *file;		/* where the nodes being baked are:
					   the definition, or a generator's
					   output */
	const struct binding *m;
	struct ir_env env;		/* inherited by every command */
	struct ir_strlist secret_env;	/* the same, without duplicates */
	char ***envp;			/* the target's child environment */
	int depth;
	bool keep_outputs;		/* output references stay as written
					   (a placeholder's env, static) */
};

static int place(struct bake *b, struct target *t);
static int eval_chain(struct bake *b, const struct ctx *c,
    const struct chain *ch, struct bnode *scope, struct tail *tail);

void
bake_init(struct bake *b, struct def *def, struct ir_doc *doc,
    struct diag_list *diags, char **environ)
{
	memset(b, 0, sizeof(*b));
	b->def = def;
	b->doc = doc;
	b->diags = diags;
	b->environ = environ;
	b->cancel_fd = -1;
}

void
bake_release(struct bake *b)
{
	strmap_release(&b->keys);
}

/*
 * A value as one shell word: as it is when every byte is one the shell
 * gives no meaning to, else in single quotes (a quote inside as '\'').
 * Writes to out (room for 4 * strlen(v) + 3) and returns the length.
 */
size_t
bake_sh_quote(const char *v, char *out)
{
	size_t n = 0;
	const char *p;

	if (*v && v[strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_./:=+,@%-")] == '\0') {
		n = strlen(v);
		memcpy(out, v, n);
		return n;
	}
	out[n++] = '\'';
	for (p = v; *p; p++) {
		if (*p == '\'') {
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else {
			out[n++] = *p;
		}
	}
	out[n++] = '\'';
	return n;
}

/* A growing string for subst, in malloc'd memory. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool nomem;
};

static void
sbuf_add(struct sbuf *sb, const char *p, size_t n)
{
	if (sb->nomem)
		return;
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 64;
		char *q;

		while (cap < sb->len + n + 1)
			cap *= 2;
		if (!(q = realloc(sb->s, cap))) {
			sb->nomem = true;
			return;
		}
		sb->s = q;
		sb->cap = cap;
	}
	memcpy(sb->s + sb->len, p, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

static void
sbuf_quoted(struct sbuf *sb, const char *v)
{
	char *q = malloc(4 * strlen(v) + 3);

	if (!q) {
		sb->nomem = true;
		return;
	}
	sbuf_add(sb, q, bake_sh_quote(v, q));
	free(q);
}

int
bake_oref_parse(const char *e, size_t n, struct oref *r)
{
	const char *dot;
	size_t i;

	if (n < 8 || strncmp(e, "outputs.", 8))
		return -1;
	e += 8;
	n -= 8;
	for (dot = e + n; dot > e && dot[-1] != '.'; dot--)
		;
	if (dot == e || dot == e + n)
		return -1;
	for (i = 0; dot + i < e + n; i++)
		if (!((dot[i] >= 'a' && dot[i] <= 'z') ||
		    (dot[i] >= 'A' && dot[i] <= 'Z') ||
		    (dot[i] >= '0' && dot[i] <= '9') || dot[i] == '_' ||
		    dot[i] == '-'))
			return -1;
	if (ir_key_problem(e, (size_t)(dot - 1 - e)))
		return -1;
	r->step = e;
	r->steplen = (size_t)(dot - 1 - e);
	r->name = dot;
	r->namelen = (size_t)(e + n - dot);
	return 0;
}

/*
 * s with every ${{ matrix.NAME }} replaced from m (quote: as one shell
 * word) and every ${{ outputs.STEP.NAME }} as ofn says: its value (0),
 * kept as written for later (1, its place in the result recorded by
 * ofn), or an error ofn reported (-1). NULL on an error: *bad is the
 * unknown expression, or NULL if it was reported (or memory ran out:
 * *nomem).
 */
static const char *
subst_fn(struct arena *a, const char *s, const struct binding *m, bool quote,
    const struct subst_out *o, const char **bad, bool *nomem)
{
	const char *p = strstr(s, "${{"), *q, *name, *end;
	struct sbuf sb = { NULL, 0, 0, false };
	char *r;

	*bad = NULL;
	if (nomem)
		*nomem = false;
	if (!p)
		return s;
	while (p) {
		const struct binding *bi;
		const char *val;
		size_t nl;
		struct oref ref;

		sbuf_add(&sb, s, (size_t)(p - s));
		name = p + 3;
		while (*name == ' ')
			name++;
		end = strstr(name, "}}");
		if (!end)
			goto unknown;
		for (q = end; q > name && q[-1] == ' '; q--)
			;
		if (!bake_oref_parse(name, (size_t)(q - name), &ref)) {
			int rc;

			if (!o || !o->fn)
				goto unknown;
			ref.off = sb.len;
			ref.len = (size_t)(end + 2 - p);
			rc = o->fn(o->arg, &ref, &val);
			if (rc < 0) {
				free(sb.s);
				return NULL;
			}
			if (rc == 1)
				sbuf_add(&sb, p, ref.len);
			else if (quote)
				sbuf_quoted(&sb, val);
			else
				sbuf_add(&sb, val, strlen(val));
			s = end + 2;
			p = strstr(s, "${{");
			continue;
		}
		if (strncmp(name, "matrix.", 7) != 0)
			goto unknown;
		name += 7;
		for (nl = 0; (name[nl] >= 'a' && name[nl] <= 'z') ||
		    (name[nl] >= 'A' && name[nl] <= 'Z') ||
		    (name[nl] >= '0' && name[nl] <= '9') || name[nl] == '_';
		    nl++)
			;
		for (q = name + nl; *q == ' '; q++)
			;
		if (q != end || nl == 0)
			goto unknown;
		for (bi = m; bi; bi = bi->next)
			if (strlen(bi->name) == nl &&
			    !strncmp(bi->name, name, nl))
				break;
		if (!bi)
			goto unknown;
		if (quote)
			sbuf_quoted(&sb, bi->value);
		else
			sbuf_add(&sb, bi->value, strlen(bi->value));
		s = end + 2;
		p = strstr(s, "${{");
	}
	sbuf_add(&sb, s, strlen(s));
	r = sb.nomem ? NULL : arena_strndup(a, sb.s, sb.len);
	free(sb.s);
	if (!r && nomem)
		*nomem = true;
	return r;
unknown:
	free(sb.s);
	end = strstr(p, "}}");
	*bad = arena_strndup(a, p, end ? (size_t)(end + 2 - p) : strlen(p));
	if (!*bad && nomem)
		*nomem = true;
	return NULL;
}

static const char *
subst(struct arena *a, const char *s, const struct binding *m, bool quote,
    const char **bad)
{
	return subst_fn(a, s, m, quote, NULL, bad, NULL);
}

const char *
bake_subst(struct arena *a, const char *s, const struct binding *m,
    const char **bad)
{
	return subst(a, s, m, false, bad);
}

const char *
bake_subst_sh(struct arena *a, const char *s, const struct binding *m,
    const char **bad)
{
	return subst(a, s, m, true, bad);
}

/* A trial (bake.h) needs a run-time value: it stops, inexact. */
static void
runtime_value(struct bake *b)
{
	b->inexact = true;
	b->stop = true;
}

bool
bake_sym_in(const char *s)
{
	return s && (strstr(s, BAKE_SYM) || strstr(s, BAKE_SYM_SLUG));
}

/* A trial's fresh symbolic value (bake.h), or NULL (memory). */
static const char *
sym_value(struct bake *b)
{
	return arena_printf(b->doc->arena, BAKE_SYM "%u", (*b->sym_seq)++);
}

/* What a field does with ${{ outputs.STEP.NAME }} (subst_at). */
enum omode {
	OM_NOW,		/* a fragment: its value now; static: an error */
	OM_DEFER	/* a command's sh: resolved with the keys */
};

struct ofield {
	struct bake *b;
	const struct ctx *c;
	enum omode mode;
	struct srcpos pos;
	struct oref *refs;
	size_t n;
};

const char *
bake_environ(const struct bake *b, const char *name)
{
	size_t nl = strlen(name);
	char **e;

	for (e = b->environ; e && *e; e++)
		if (!strncmp(*e, name, nl) && (*e)[nl] == '=')
			return *e + nl + 1;
	return NULL;
}

static int
ofield_ref(void *arg, struct oref *r, const char **val)
{
	struct ofield *f = arg;
	struct bake *b = f->b;
	char *step, *name, *var;

	r->pos = f->pos;
	if (f->c->keep_outputs)
		return 1;
	if (f->mode == OM_DEFER) {
		if (arena_grow(b->doc->arena, &f->refs, f->n,
		    sizeof(*f->refs)) < 0)
			return bake_nomem(b, f->pos);
		f->refs[f->n++] = *r;
		return 1;
	}
	step = arena_strndup(b->doc->arena, r->step, r->steplen);
	name = arena_strndup(b->doc->arena, r->name, r->namelen);
	var = step && name ? arena_alloc(b->doc->arena,
	    ir_output_var_size(step, name)) : NULL;
	if (!var)
		return bake_nomem(b, f->pos);
	if (!b->fragment)
		return diag_report(b->diags, E_BAKE_OUTPUT_RUNTIME, f->pos,
		    name, step);
	if (b->trial) {
		/* a fresh marker: distinct values collide in nothing */
		if (!(*val = sym_value(b)))
			return bake_nomem(b, f->pos);
		return 0;
	}
	ir_output_var(step, name, var);
	if (!(*val = bake_environ(b, var)))
		return diag_report(b->diags, E_BAKE_OUTPUT_UNWRITTEN, f->pos,
		    name, step);
	return 0;
}

/*
 * Substitute a text field (a shell command's: quote) as f says; NULL
 * after an error.
 */
static const char *
subst_field(struct bake *b, const struct ctx *c, const char *s, bool quote,
    struct ofield *f)
{
	struct subst_out o = { ofield_ref, f };
	const char *bad = NULL, *r;
	bool nomem = false;

	r = subst_fn(b->doc->arena, s, c->m, quote, &o, &bad, &nomem);
	if (!r) {
		if (bad)
			diag_report(b->diags, E_BAKE_MATRIX_VAR, f->pos, bad);
		else if (nomem)
			bake_nomem(b, f->pos);
	}
	return r;
}

static const char *
subst_at(struct bake *b, const struct ctx *c, const char *s, bool quote,
    struct srcpos p)
{
	struct ofield f = { b, c, OM_NOW, p, NULL, 0 };

	return subst_field(b, c, s, quote, &f);
}

static const char *
text(struct bake *b, const struct ctx *c, const struct ynode *n)
{
	return n ? subst_at(b, c, n->u.s, false, ynode_pos(c->file, n)) : NULL;
}

/* A shell command: substituted values are quoted (hm-pipeline(5)). */
static const char *
text_sh(struct bake *b, const struct ctx *c, const struct ynode *n)
{
	return n ? subst_at(b, c, n->u.s, true, ynode_pos(c->file, n)) : NULL;
}

static const char *
text_at(struct bake *b, const struct ctx *c, const char *s, struct srcpos p)
{
	return subst_at(b, c, s, false, p);
}

/*
 * The environment: the target's env, then (static bake) the pipeline's,
 * then the bake's own.
 */
static const char *
env_lookup(const struct bake *b, const struct ctx *c, const char *name)
{
	size_t i, nl = strlen(name);
	char **e;

	for (i = c->env.n; i-- > 0;)
		if (!strcmp(c->env.names[i], name))
			return c->env.values[i];
	if (b->pl)
		for (i = b->pl->env.n; i-- > 0;)
			if (!strcmp(b->pl->env.names[i], name))
				return b->pl->env.values[i];
	for (e = b->environ; e && *e; e++)
		if (!strncmp(*e, name, nl) && (*e)[nl] == '=')
			return *e + nl + 1;
	return NULL;
}

/*
 * What a trial knows of a variable: what the target sets itself, unless
 * the value holds a symbolic one (an output's, a matrix value's). NULL:
 * a run-time value.
 */
static const char *
env_known(const struct ctx *c, const char *name)
{
	size_t i;

	for (i = c->env.n; i-- > 0;)
		if (!strcmp(c->env.names[i], name))
			return bake_sym_in(c->env.values[i]) ? NULL :
			    c->env.values[i];
	return NULL;
}

/* A variable's value; in a trial, only what the target sets is known. */
static const char *
env_value(struct bake *b, const struct ctx *c, const char *name)
{
	return b->trial ? env_known(c, name) : env_lookup(b, c, name);
}

/*
 * A trial's condition on a run-time value: its outcome on the trial's
 * path (bake.h); 1, 0, or -1 (inexact) past BAKE_MAX_CHOICES.
 */
static int
choose(struct bake *b)
{
	struct bake_path *p = b->path;
	bool v;

	if (!p || p->n == BAKE_MAX_CHOICES) {
		runtime_value(b);
		return -1;
	}
	v = p->n < p->forced && p->v[p->n];
	p->v[p->n++] = v;
	return v;
}

bool
bake_path_next(struct bake_path *p)
{
	unsigned i = p->n;

	while (i > 0 && p->v[i - 1])
		i--;
	if (i == 0)
		return false;
	p->v[i - 1] = true;
	p->forced = i;
	p->n = 0;
	return true;
}

/* NAME=VALUE strings for a child: the bake's env under the overlays. */
static char **
child_env(struct bake *b, const struct ctx *c)
{
	size_t n = 0, i, k = 0;
	char **e, **v;

	if (*c->envp)
		return *c->envp;
	for (e = b->environ; e && *e; e++)
		n++;
	n += c->env.n + (b->pl ? b->pl->env.n : 0);
	v = arena_calloc(b->doc->arena, n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (e = b->environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		char *name;

		if (!eq)
			continue;
		name = arena_strndup(b->doc->arena, *e, (size_t)(eq - *e));
		if (!name)
			return NULL;
		if (env_lookup(b, c, name) == eq + 1)
			v[k++] = *e;
	}
	/* names set by the overlays, each once, innermost value */
	for (i = 0; b->pl && i < b->pl->env.n; i++) {
		const char *name = b->pl->env.names[i];
		const char *val = env_lookup(b, c, name);
		size_t j;

		for (j = 0; j < c->env.n; j++)
			if (!strcmp(c->env.names[j], name))
				break;
		if (j < c->env.n || val != b->pl->env.values[i])
			continue;
		v[k++] = arena_printf(b->doc->arena, "%s=%s", name, val);
	}
	for (i = 0; i < c->env.n; i++) {
		const char *name = c->env.names[i];

		if (env_lookup(b, c, name) != c->env.values[i])
			continue;
		v[k++] = arena_printf(b->doc->arena, "%s=%s", name,
		    c->env.values[i]);
	}
	for (i = 0; i < k; i++)
		if (!v[i])
			return NULL;
	*c->envp = v;
	return v;
}

/* How a construct's command ended. */
struct cmd_result {
	int status;		/* exit status, when it exited */
	int signo;		/* the signal that ended it, or 0 */
	bool timed_out;
	bool too_big;		/* stdout beyond BAKE_MAX_OUTPUT */
	char *out;		/* captured stdout, NUL-terminated; free it */
	size_t outlen;
};

static int
cmd_ok(const struct cmd_result *r)
{
	return !r->timed_out && !r->too_big && !r->signo && r->status == 0;
}

/* "exit status 3", "killed by signal 9", "timed out after 60 s". */
static const char *
cmd_describe(const struct cmd_result *r, long long timeout, char *buf,
    size_t size)
{
	if (r->timed_out)
		snprintf(buf, size, "timed out after %lld s", timeout);
	else if (r->too_big)
		snprintf(buf, size, "printed too much");
	else if (r->signo)
		snprintf(buf, size, "killed by signal %d", r->signo);
	else if (r->status == 127)
		snprintf(buf, size, "exit status 127 (command not found)");
	else if (r->status == 126)
		snprintf(buf, size, "exit status 126 (cannot execute)");
	else
		snprintf(buf, size, "exit status %d", r->status);
	return buf;
}

/*
 * Run a construct's command as /bin/sh -c CMD (libhm/proc.h: its own
 * process group, stdin /dev/null, only 0, 1 and 2 of ours), stdout
 * captured or sent to stderr (predicates: stdout is the IR). Whatever it
 * leaves in its group is killed when it exits. 0 and r filled, or -1
 * after reporting; -1 with b->stop set when a signal canceled it.
 */
static int
run(struct bake *b, const struct ctx *c, const char *what, const char *cmd,
    long long timeout, bool capture, struct srcpos p, struct cmd_result *r)
{
	char **envp, buf[128];
	const char *argv[] = { "sh", "-c", cmd, NULL };
	struct proc pr = PROC_INIT;
	int e;

	memset(r, 0, sizeof(*r));
	if (b->trial) {
		runtime_value(b);
		return -1;
	}
	if (!(envp = child_env(b, c)))
		return bake_nomem(b, p);
	pr.argv = argv;
	pr.path = "/bin/sh";
	pr.envp = envp;
	pr.out = capture ? PROC_PIPE : 2;
	pr.timeout = (double)timeout;
	pr.grace = 1;
	if (b->running)
		*b->running = 1;
	e = proc_wait(&pr, b->cancel_fd, BAKE_MAX_OUTPUT, &r->out, &r->outlen,
	    &r->too_big);
	if (b->running)
		*b->running = 0;
	if (e == ECANCELED || (b->canceled && *b->canceled)) {
		free(r->out);
		b->stop = true;
		return -1;
	}
	if (e != 0) {
		snprintf(buf, sizeof(buf), "cannot run /bin/sh: %s",
		    strerror(e));
		return diag_report(b->diags, E_BAKE_RUN, p, what, c->t->name,
		    buf);
	}
	r->timed_out = pr.timed_out;
	if (WIFEXITED(pr.wstatus))
		r->status = WEXITSTATUS(pr.wstatus);
	else if (WIFSIGNALED(pr.wstatus))
		r->signo = WTERMSIG(pr.wstatus);
	if (r->too_big) {
		free(r->out);
		return diag_report(b->diags, E_BAKE_RUN_OUTPUT, p, what,
		    c->t->name, BAKE_MAX_OUTPUT);
	}
	return 0;
}

/* The place p in the document's table; 0 (none) for no place. */
static ir_loc
bake_loc(struct bake *b, struct srcpos p)
{
	return p.file ? ir_loc_new(b->doc, p) : 0;
}

static struct bnode *
bnode_new(struct bake *b, struct ir_step *st, struct srcpos p)
{
	struct bnode *n = arena_calloc(b->doc->arena, 1, sizeof(*n));

	if (!n) {
		bake_nomem(b, p);
		return NULL;
	}
	n->st = st;
	return n;
}

static int
bnode_add(struct bake *b, struct bnode *scope, struct bnode *kid)
{
	if (arena_grow(b->doc->arena, &scope->kids, scope->nkids,
	    sizeof(*scope->kids)) < 0)
		return bake_nomem(b, ir_pos(b->doc, kid->st->pos));
	scope->kids[scope->nkids++] = kid;
	if (scope->st)
		return ir_group_append(b->doc, scope->st, kid->st) ?
		    bake_nomem(b, ir_pos(b->doc, kid->st->pos)) : 0;
	return ir_doc_append(b->doc, kid->st) ?
	    bake_nomem(b, ir_pos(b->doc, kid->st->pos)) : 0;
}

static struct ir_step *
step_new(struct bake *b, enum ir_step_type type, struct srcpos p)
{
	struct ir_step *st;

	if (++b->nsteps > BAKE_MAX_STEPS) {
		if (!b->stop)
			diag_report(b->diags, E_BAKE_TOO_MANY_STEPS, p,
			    BAKE_MAX_STEPS);
		b->stop = true;
		return NULL;
	}
	st = ir_step_new(b->doc, type);
	if (!st) {
		bake_nomem(b, p);
		return NULL;
	}
	st->pos = ir_loc_new(b->doc, p);
	return st;
}

/*
 * env: inherited first, then own entries (an own value wins in place).
 * Without own entries, out shares inh's arrays: most steps have no env of
 * their own, and nothing changes an env once it is made.
 */
static int
env_merge(struct bake *b, const struct ctx *c, const struct ir_env *inh,
    const struct ir_env *own, struct ir_env *out)
{
	size_t i, j, n = inh->n + own->n;

	memset(out, 0, sizeof(*out));
	if (!own->present) {
		if (inh->present)
			*out = *inh;
		return 0;
	}
	out->names = arena_calloc(b->doc->arena, n ? n : 1, sizeof(char *));
	out->values = arena_calloc(b->doc->arena, n ? n : 1, sizeof(char *));
	out->pos = arena_calloc(b->doc->arena, n ? n : 1, sizeof(*out->pos));
	if (!out->names || !out->values || !out->pos)
		return bake_nomem(b, own->present && own->n ?
		    ir_pos(b->doc, own->pos[0]) :
		    (struct srcpos){ b->def->file, 0, 0 });
	out->present = true;
	for (i = 0; i < inh->n; i++) {
		out->names[out->n] = inh->names[i];
		out->values[out->n] = inh->values[i];
		out->pos[out->n++] = inh->pos[i];
	}
	for (i = 0; i < own->n; i++) {
		const char *v = text_at(b, c, own->values[i],
		    ir_pos(b->doc, own->pos[i]));

		if (!v)
			return -1;
		for (j = 0; j < out->n; j++)
			if (!strcmp(out->names[j], own->names[i]))
				break;
		if (j == out->n)
			out->names[out->n++] = own->names[i];
		out->values[j] = v;
		out->pos[j] = own->pos[i];
	}
	return 0;
}

/*
 * A list without duplicates: inh's, then own's; the first of each wins.
 * inh is a merge's result (a context's), so without own entries out
 * shares its arrays.
 */
static int
strlist_merge(struct bake *b, const struct ir_strlist *inh,
    const struct ir_strlist *own, struct ir_strlist *out)
{
	size_t i, j, n = inh->n + own->n;

	memset(out, 0, sizeof(*out));
	if (!own->present) {
		if (inh->present)
			*out = *inh;
		return 0;
	}
	out->v = arena_calloc(b->doc->arena, n ? n : 1, sizeof(char *));
	out->pos = arena_calloc(b->doc->arena, n ? n : 1, sizeof(*out->pos));
	if (!out->v || !out->pos)
		return bake_nomem(b, (struct srcpos){ b->def->file, 0, 0 });
	out->present = true;
	for (i = 0; i < n; i++) {
		const char *s = i < inh->n ? inh->v[i] : own->v[i - inh->n];

		for (j = 0; j < out->n; j++)
			if (!strcmp(out->v[j], s))
				break;
		if (j < out->n)
			continue;
		out->pos[out->n] = i < inh->n ? inh->pos[i] :
		    own->pos[i - inh->n];
		out->v[out->n++] = s;
	}
	return 0;
}

/* A step's rarely given fields, stored only if it has one of them. */
static int
set_more(struct bake *b, struct ir_step *st, const char *image,
    struct ir_cache *cache, const struct ir_strlist *secrets)
{
	struct ir_more *m;

	if (!image && !cache && !secrets->present)
		return 0;
	if (!(m = ir_step_more(b->doc, st)))
		return bake_nomem(b, (struct srcpos){ b->def->file, 0, 0 });
	m->image = image;
	m->cache = cache;
	m->secret_env = *secrets;
	return 0;
}

/* A group's or dynamic step's continuation, declared at p (if it is). */
static int
set_cont(struct bake *b, struct ir_step *st, enum ir_cont cont,
    struct srcpos p)
{
	struct ir_more *m;

	if (cont == IR_CONT_NONE)
		return 0;
	if (!(m = ir_step_more(b->doc, st)))
		return bake_nomem(b, p);
	m->cont = cont;
	m->cont_pos = bake_loc(b, p);
	return 0;
}

/* The static key of a referenced target; in a static bake, place it. */
static int
target_ref(struct bake *b, const struct tref *r, struct ir_ref *out)
{
	out->key = r->t->key;
	out->pos = ir_loc_new(b->doc, r->pos);
	out->step = NULL;
	if (!b->fragment) {
		if (place(b, r->t))
			return -1;
		out->step = r->t->step;
	}
	return 0;
}

static int
set_depends(struct bake *b, struct ir_step *st, const struct opts *opts1,
    const struct opts *opts2)
{
	const struct opts_more *o1 = opts_more(opts1);
	const struct opts_more *o2 = opts2 ? opts_more(opts2) : NULL;
	size_t n = o1->ndepends_on + (o2 ? o2->ndepends_on : 0), i, k = 0;

	if (!o1->ndepends_on && (!o2 || !o2->ndepends_on))
		return 0;
	st->depends_on = arena_calloc(b->doc->arena, n, sizeof(*st->depends_on));
	if (!st->depends_on)
		return bake_nomem(b, ir_pos(b->doc, st->pos));
	for (i = 0; i < n; i++) {
		const struct tref *r = i < o1->ndepends_on ? &o1->depends_on[i] :
		    &o2->depends_on[i - o1->ndepends_on];
		size_t j;

		for (j = 0; j < k; j++)
			if (st->depends_on[j].key == r->t->key)
				break;
		if (j < k)
			continue;
		if (target_ref(b, r, &st->depends_on[k]))
			return -1;
		k++;
	}
	st->ndepends_on = k;
	st->has_depends_on = true;
	return 0;
}

/* Only a command step can be replicated ('each'). */
static int
check_each(struct bake *b, const struct ir_step *st, const char *what,
    bool each)
{
	if (each && (st->type != IR_COMMAND || st->eval == IR_EVAL_DYNAMIC))
		return diag_report(b->diags, E_BAKE_EACH,
		    ir_pos(b->doc, st->pos),
		    st->type == IR_GROUP ? "a group" : "a dynamic step", what);
	return 0;
}

/*
 * Whether what builds in st is replicated: st continues 'each', declared
 * or through its single leaf, at any depth (ir_cont.h).
 */
static bool
continues_each(struct ir_step *st)
{
	if (st->type == IR_GROUP)
		ir_mark_followed(&st, 1);
	return ir_continuation(st).kind == IR_CK_EACH;
}

/* The same for a target: baked already, or as it declares. */
static bool
target_each(const struct target *t)
{
	return t->step ? continues_each(t->step) : t->o.cont == IR_CONT_EACH;
}

static int
from_target(struct bake *b, struct bnode *bn, const struct tref *from)
{
	struct ir_step *st = bn->st;

	if (check_each(b, st, from->name, target_each(from->t)))
		return -1;
	st->builds_in_kind = IR_BUILDS_IN_KEY;
	if (target_ref(b, from, &st->builds_in))
		return -1;
	bn->builds_in = b->fragment ? NULL : from->t->bn;
	return 0;
}

/* builds_in from the chain's tail, or from 'from' on a chain's first step. */
static int
set_builds_in(struct bake *b, struct bnode *bn, const struct opts *o,
    const struct tail *tail, bool group)
{
	const struct tref *from = &opts_more(o)->from;
	struct ir_step *st = bn->st;

	if (from->name) {
		if (tail->kind != TAIL_NONE && tail->kind != TAIL_FROM)
			return diag_report(b->diags, E_BAKE_FROM_NOT_FIRST,
			    from->pos);
		return from_target(b, bn, from);
	}
	switch (tail->kind) {
	case TAIL_NONE:
		st->builds_in_kind = group ? IR_BUILDS_IN_ABSENT :
		    IR_BUILDS_IN_NULL;
		return 0;
	case TAIL_FROM:
		return from_target(b, bn, tail->from);
	case TAIL_FORKED:
		return diag_report(b->diags, E_BAKE_AFTER_FORK,
		    ir_pos(b->doc, st->pos));
	default:
		if (check_each(b, st, tail->bn->st->key ? tail->bn->st->key :
		    "the step before", tail->bn->st->type == IR_GROUP &&
		    continues_each(tail->bn->st)))
			return -1;
		st->builds_in_kind = IR_BUILDS_IN_KEY;
		st->builds_in.step = tail->bn->st;
		st->builds_in.pos = st->pos;
		bn->builds_in = tail->bn;
		tail->bn->followed = true;
		return 0;
	}
}

/* bn's explicit key, from the text of n. */
static int
set_xkey(struct bake *b, const struct ctx *c, struct bnode *bn,
    const struct ynode *n)
{
	if (!(bn->xkey = text(b, c, n)))
		return -1;
	bn->st->key_pos = ir_loc_new(b->doc, ynode_pos(c->file, n));
	return 0;
}

static int
eval_cmd(struct bake *b, const struct ctx *c, const struct item *it,
    struct bnode *scope, struct tail *tail)
{
	const struct opts *o = &it->o;
	const struct opts_more *om = opts_more(o);
	struct ir_step *st = step_new(b, IR_COMMAND, it->pos);
	const char *cmd, *image = NULL;
	struct ir_strlist secrets;
	struct ofield of = { b, c, OM_DEFER, ynode_pos(c->file, o->sh), NULL,
	    0 };
	size_t shift = 0, i;
	struct bnode *bn;

	if (!st)
		return -1;
	/* output references are resolved once the keys are known */
	cmd = subst_field(b, c, o->sh->u.s, true, &of);
	if (!cmd)
		return -1;
	if (om->cwd) {
		/* IR v1 has no cwd: the command changes directory itself */
		const char *dir = text(b, c, om->cwd), *p;
		size_t extra = 0;
		char *q, *s;

		if (!dir)
			return -1;
		for (p = dir; *p; p++)
			extra += *p == '\'' ? 4 : 1;
		s = arena_alloc(b->doc->arena, extra + strlen(cmd) + 32);
		if (!s)
			return bake_nomem(b, it->pos);
		q = s + sprintf(s, "cd -- '");
		for (p = dir; *p; p++) {
			if (*p == '\'') {
				memcpy(q, "'\\''", 4);
				q += 4;
			} else {
				*q++ = *p;
			}
		}
		q += sprintf(q, "' || exit\n");
		shift = (size_t)(q - s);
		strcpy(q, cmd);
		cmd = s;
	}
	st->eval = IR_EVAL_CMD;
	st->cmd = cmd;
	if (o->label && !(st->label = text(b, c, o->label)))
		return -1;
	if (om->image && !(image = text(b, c, om->image)))
		return -1;
	if (env_merge(b, c, &c->env, &om->env, &st->env) ||
	    strlist_merge(b, &c->secret_env, &om->secret_env, &secrets) ||
	    set_more(b, st, image, o->cache, &secrets) < 0)
		return -1;
	st->timeout_seconds = o->timeout;
	st->has_timeout = o->has_timeout;
	st->soft_fail = o->soft_fail;
	st->has_soft_fail = o->has_soft_fail;
	st->retry = o->retry;
	st->has_retry = o->has_retry;
	bn = bnode_new(b, st, it->pos);
	if (!bn)
		return -1;
	if (set_builds_in(b, bn, o, tail, false) || set_depends(b, st, o, NULL))
		return -1;
	if (o->key && set_xkey(b, c, bn, o->key))
		return -1;
	bn->name = c->t->name;
	if (bnode_add(b, scope, bn))
		return -1;
	if (of.n) {
		struct pend p = { bn, b->fragment ? b->prefix : c->t->key,
		    of.refs, of.n, false, false };

		for (i = 0; i < of.n; i++)
			of.refs[i].off += shift;
		if (outref_defer(b, &p))
			return -1;
	}
	tail->kind = TAIL_STEP;
	tail->bn = bn;
	return 0;
}

/* A group-like step (group, matrix): the step and its scope. */
static struct bnode *
group_new(struct bake *b, const struct ctx *c, const struct item *it,
    const struct tail *tail)
{
	const struct opts *o = &it->o;
	const struct opts_more *om = opts_more(o);
	struct ir_step *st;
	struct bnode *bn;

	if (c->depth + 2 > IR_MAX_GROUP_DEPTH) {
		diag_report(b->diags, E_BAKE_DEPTH, it->pos, IR_MAX_GROUP_DEPTH);
		return NULL;
	}
	st = step_new(b, IR_GROUP, it->pos);
	if (!st)
		return NULL;
	if (o->label && !(st->label = text(b, c, o->label)))
		return NULL;
	if (set_cont(b, st, o->cont, om->cont_pos) < 0)
		return NULL;
	bn = bnode_new(b, st, it->pos);
	if (!bn)
		return NULL;
	if (set_builds_in(b, bn, o, tail, true) || set_depends(b, st, o, NULL))
		return NULL;
	if (o->key && set_xkey(b, c, bn, o->key))
		return NULL;
	if (o->cont == IR_CONT_IN) {
		if (!(bn->cont_in = text(b, c, om->cont_in)))
			return NULL;
		bn->check_members = true;
	}
	bn->name = c->t->name;
	return bn;
}

/* The group's members are in: add it to scope, or drop it if empty. */
static int
group_finish(struct bake *b, struct bnode *bn, struct bnode *scope,
    struct tail *tail)
{
	size_t i;

	for (i = 0; i < bn->nkids; i++)
		if (bn->kids[i]->st->type != IR_WAIT)
			break;
	if (i == bn->nkids)
		return 0;	/* an empty group disappears */
	if (bnode_add(b, scope, bn))
		return -1;
	tail->kind = TAIL_STEP;
	tail->bn = bn;
	return 0;
}

static int
sub_ctx(struct bake *b, const struct ctx *c, const struct opts *o,
    struct ctx *sub)
{
	*sub = *c;
	sub->depth = c->depth + 1;
	if (opts_more(o)->env.present &&
	    env_merge(b, c, &c->env, &opts_more(o)->env, &sub->env))
		return -1;
	return 0;
}

static int
eval_members(struct bake *b, const struct ctx *c, const struct item *it,
    struct bnode *scope, const struct tail *start)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < it->nmembers && !b->stop; i++) {
		const struct chain *ch = &it->members[i];
		struct tail t = *start;

		if (ch->n == 1 && ch->v[0]->kind == IT_WAIT) {
			const struct item *w = ch->v[0];
			struct ir_step *st = step_new(b, IR_WAIT, w->pos);
			struct bnode *bn;

			if (!st)
				return -1;
			st->continue_on_failure = w->continue_on_failure;
			st->has_continue_on_failure = w->has_continue_on_failure;
			bn = bnode_new(b, st, w->pos);
			if (!bn || bnode_add(b, scope, bn))
				return -1;
			continue;
		}
		if (eval_chain(b, c, ch, scope, &t))
			ret = -1;
	}
	return ret;
}

static int
eval_group(struct bake *b, const struct ctx *c, const struct item *it,
    struct bnode *scope, struct tail *tail)
{
	struct tail none = { TAIL_NONE, NULL, NULL };
	struct bnode *bn = group_new(b, c, it, tail);
	struct ctx sub;

	if (!bn || sub_ctx(b, c, &it->o, &sub))
		return -1;
	if (eval_members(b, &sub, it, bn, &none))
		return -1;
	return group_finish(b, bn, scope, tail);
}

static int
eval_fork(struct bake *b, const struct ctx *c, const struct item *it,
    struct bnode *scope, struct tail *tail)
{
	if (tail->kind == TAIL_FORKED)
		return diag_report(b->diags, E_BAKE_AFTER_FORK, it->pos);
	if (eval_members(b, c, it, scope, tail))
		return -1;
	tail->kind = TAIL_FORKED;
	tail->bn = NULL;
	return 0;
}

static int
branch_taken(struct bake *b, const struct ctx *c, const struct branch *br)
{
	const char *v;

	if (b->trial && br->kind != PRED_ELSE && br->kind != PRED_SH &&
	    !env_known(c, br->name))
		return choose(b);
	switch (br->kind) {
	case PRED_EQ:
	case PRED_NE:
		v = env_value(b, c, br->name);
		if (!v)
			v = "";
		return (strcmp(v, br->value) == 0) == (br->kind == PRED_EQ);
	case PRED_SET:
		return env_value(b, c, br->name) != NULL;
	case PRED_UNSET:
		return env_value(b, c, br->name) == NULL;
	case PRED_ELSE:
		return 1;
	case PRED_SH:
		break;
	}
	{
		struct cmd_result r;
		const char *cmd = subst_at(b, c, br->sh->u.s, true, br->pos);
		char buf[96];

		if (!cmd)
			return -1;
		if (b->trial)
			return choose(b);
		if (run(b, c, "predicate", cmd, br->timeout, false, br->pos, &r))
			return -1;
		free(r.out);
		if (r.timed_out || r.signo || r.status >= 126)
			return diag_report(b->diags, E_BAKE_RUN,
			    ynode_pos(c->file, br->sh), "predicate",
			    c->t->name, cmd_describe(&r, br->timeout, buf,
			    sizeof(buf)));
		return r.status == 0;
	}
}

static int
eval_if(struct bake *b, const struct ctx *c, const struct item *it,
    struct bnode *scope, struct tail *tail)
{
	size_t i;

	for (i = 0; i < it->nbranches; i++) {
		int taken = branch_taken(b, c, &it->branches[i]);

		if (taken < 0)
			return -1;
		if (taken)
			return eval_chain(b, c, &it->branches[i].then, scope,
			    tail);
	}
	return 0;
}

static int
eval_gen(struct bake *b, const struct ctx *c, const struct item *it,
    struct bnode *scope, struct tail *tail)
{
	struct srcpos p = ynode_pos(c->file, it->gen);
	struct cmd_result r;
	const struct ynode *root;
	struct chain ch = { NULL, 0 };
	const char *cmd, *file;
	struct ctx sub;
	size_t errors;
	char buf[96];
	int ret;

	if (b->gen_depth >= BAKE_MAX_GEN_DEPTH)
		return diag_report(b->diags, E_BAKE_DEPTH, it->pos,
		    BAKE_MAX_GEN_DEPTH);
	cmd = text_sh(b, c, it->gen);
	if (!cmd)
		return -1;
	if (run(b, c, "generator", cmd, it->gen_timeout, true, p, &r))
		return -1;
	if (!cmd_ok(&r)) {
		free(r.out);
		return diag_report(b->diags, E_BAKE_RUN, p, "generator",
		    c->t->name, cmd_describe(&r, it->gen_timeout, buf,
		    sizeof(buf)));
	}
	file = arena_printf(b->doc->arena, "<generator at %s:%u:%u>",
	    p.file, p.line, p.col);
	if (!file) {
		free(r.out);
		return bake_nomem(b, p);
	}
	errors = b->diags->errors;
	root = ytree_load(b->doc->arena, file, r.out, r.outlen, b->diags);
	free(r.out);
	if (!root || b->diags->errors > errors)
		return -1;
	if (ynode_is_null(root))
		return 0;	/* no output: no steps */
	if (root->type == Y_SCALAR)
		return diag_report(b->diags, E_BAKE_GEN_OUTPUT, p, c->t->name,
		    "a scalar");
	if (def_parse_chain(b->def, file, root, &ch, b->diags))
		return -1;
	/* the generated steps' places are in the output */
	sub = *c;
	sub.file = file;
	b->gen_depth++;
	b->generated = true;
	ret = eval_chain(b, &sub, &ch, scope, tail);
	b->gen_depth--;
	return ret;
}

long
bake_split_values(struct arena *a, const char *file, const char *s,
    const char ***out, const char **why, struct diag_list *diags)
{
	const char **v;
	size_t n = 0, cap = 8;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '[') {
		size_t errors = diags->errors;
		const struct ynode *root = ytree_load(a, file, s, strlen(s),
		    diags);
		uint32_t i;

		if (!root || diags->errors > errors)
			return -1;
		if (root->type != Y_SEQ) {
			*why = ynode_kind(root);
			return -1;
		}
		v = arena_calloc(a, root->n ? root->n : 1, sizeof(*v));
		if (!v)
			return -1;
		for (i = 0; i < root->n; i++) {
			const struct ynode *e = &root->u.v[i];

			if (e->type != Y_SCALAR || memchr(e->u.s, 0, e->n)) {
				*why = ynode_kind(e);
				return -1;
			}
			v[i] = e->u.s;
		}
		*out = v;
		return (long)root->n;
	}
	v = arena_calloc(a, cap, sizeof(*v));
	while (v && *s) {
		size_t len = strcspn(s, " \t\r\n,");

		if (len) {
			if (n == cap) {
				const char **w = arena_calloc(a, 2 * cap,
				    sizeof(*w));

				if (!w)
					return -1;
				memcpy(w, v, n * sizeof(*v));
				v = w;
				cap *= 2;
			}
			v[n] = arena_strndup(a, s, len);
			if (!v[n++])
				return -1;
		}
		s += len;
		if (*s)
			s++;
	}
	if (!v)
		return -1;
	*out = v;
	return (long)n;
}

/*
 * Values from a command's output or the environment become strings of
 * the IR, which is UTF-8: a Latin-1 value is an error here, at what
 * produced it, not a file that hm-lower rejects.
 */
static int
check_utf8(struct bake *b, const struct axis *ax, const char *src)
{
	size_t len = strlen(src), ok = esc_utf8_valid(src, len), i;
	unsigned line = 1, col = 1;
	char what[128];

	if (ok == len)
		return 0;
	for (i = 0; i < ok; i++) {
		if (src[i] == '\n')
			line++, col = 1;
		else if (((unsigned char)src[i] & 0xc0) != 0x80)
			col++;
	}
	if (ax->kind == AXIS_ENV)
		snprintf(what, sizeof(what), "the value of $%s", ax->env);
	else if (ax->kind == AXIS_OUTPUT)
		snprintf(what, sizeof(what), "the output %s", ax->output->u.s);
	else
		snprintf(what, sizeof(what), "the output of the command");
	return diag_report(b->diags, E_BAKE_AXIS_UTF8, ax->kind != AXIS_SH ?
	    ax->pos : ynode_pos(ax->pos.file, ax->sh), what, ax->name,
	    (unsigned char)src[ok], line, col);
}

/*
 * A trial's axis from a run-time value: sym_n distinct symbolic values,
 * after what the bake checks of the axis itself. 0, -1 after reporting,
 * or 1: the value is known (a variable the target sets).
 */
static int
sym_axis(struct bake *b, const struct ctx *c, const struct axis *ax,
    const char ***vals, size_t *n)
{
	struct oref ref;
	char obuf[IR_KEY_MAX + 300];
	unsigned i;

	switch (ax->kind) {
	case AXIS_ENV:
		if (env_known(c, ax->env))
			return 1;
		break;
	case AXIS_OUTPUT:
		snprintf(obuf, sizeof(obuf), "outputs.%s", ax->output->u.s);
		if (bake_oref_parse(obuf, strlen(obuf), &ref))
			return -1;
		break;
	case AXIS_SH:
		/* its expressions are checked; it does not run */
		if (!subst_at(b, c, ax->sh->u.s, true, ax->pos))
			return -1;
		break;
	default:
		return 1;
	}
	*vals = arena_calloc(b->doc->arena, b->sym_n, sizeof(**vals));
	if (!*vals)
		return bake_nomem(b, ax->pos);
	for (i = 0; i < b->sym_n; i++)
		if (!((*vals)[i] = sym_value(b)))
			return bake_nomem(b, ax->pos);
	*n = b->sym_n;
	b->sym_axis = true;
	return 0;
}

static int
axis_values(struct bake *b, const struct ctx *c, const struct axis *ax,
    const char ***vals, size_t *n)
{
	const char *why = NULL, *src, *file;
	struct cmd_result r;
	char buf[96];
	long got;
	uint32_t i;

	if (b->trial && ax->kind != AXIS_LIST)
		switch (sym_axis(b, c, ax, vals, n)) {
		case 0:
			return 0;
		case -1:
			return -1;
		default:
			break;		/* the target sets the variable */
		}
	switch (ax->kind) {
	case AXIS_LIST:
		*vals = arena_calloc(b->doc->arena, ax->list->n ? ax->list->n : 1,
		    sizeof(**vals));
		if (!*vals)
			return bake_nomem(b, ax->pos);
		for (i = 0; i < ax->list->n; i++)
			(*vals)[i] = ax->list->u.v[i].u.s;
		*n = ax->list->n;
		return 0;
	case AXIS_ENV:
		src = env_value(b, c, ax->env);
		if (!src)
			src = "";
		file = arena_printf(b->doc->arena, "<$%s>", ax->env);
		break;
	case AXIS_OUTPUT: {
		char obuf[IR_KEY_MAX + 300];
		struct oref ref;
		const char *v;

		snprintf(obuf, sizeof(obuf), "outputs.%s", ax->output->u.s);
		if (bake_oref_parse(obuf, strlen(obuf), &ref))
			return -1;
		if (!(v = arena_printf(b->doc->arena, "${{ %s }}", obuf)))
			return bake_nomem(b, ax->pos);
		if (!(v = subst_at(b, c, v, false,
		    ynode_pos(c->file, ax->output))))
			return -1;
		src = v;
		file = arena_printf(b->doc->arena, "<output '%.*s' of step "
		    "'%.*s'>", (int)ref.namelen, ref.name, (int)ref.steplen, ref.step);
		break;
	}
	case AXIS_SH:
	default:
		src = subst_at(b, c, ax->sh->u.s, true, ax->pos);
		if (!src)
			return -1;
		if (run(b, c, "matrix axis command", src, ax->timeout, true,
		    ynode_pos(c->file, ax->sh), &r))
			return -1;
		if (!cmd_ok(&r)) {
			free(r.out);
			return diag_report(b->diags, E_BAKE_RUN,
			    ynode_pos(c->file, ax->sh),
			    "matrix axis command", c->t->name,
			    cmd_describe(&r, ax->timeout, buf, sizeof(buf)));
		}
		src = arena_strndup(b->doc->arena, r.out, r.outlen);
		free(r.out);
		file = arena_printf(b->doc->arena, "<matrix axis '%s' at %s:%u:%u>",
		    ax->name, ax->pos.file, ax->pos.line, ax->pos.col);
		break;
	}
	if (!src || !file)
		return bake_nomem(b, ax->pos);
	if (check_utf8(b, ax, src))
		return -1;
	got = bake_split_values(b->doc->arena, file, src, vals, &why, b->diags);
	if (got < 0) {
		if (why)
			return diag_report(b->diags, E_BAKE_AXIS_VALUE, ax->pos,
			    ax->name, why);
		return -1;
	}
	*n = (size_t)got;
	return 0;
}

/*
 * inh and every value of one combination as HM_MATRIX_NAME (the axis
 * name in upper case): the commands of the chain get them, and a value
 * a shell must not see as code is used as "$HM_MATRIX_NAME".
 */
static int
matrix_env(struct bake *b, const struct ctx *c, const struct item *it,
    const struct binding *bind, struct ir_env *out)
{
	const struct ir_env *inh = &c->env;
	size_t i, j, n = inh->n + it->naxes;
	struct ir_env e;

	e.names = arena_calloc(b->doc->arena, n, sizeof(char *));
	e.values = arena_calloc(b->doc->arena, n, sizeof(char *));
	e.pos = arena_calloc(b->doc->arena, n, sizeof(*e.pos));
	if (!e.names || !e.values || !e.pos)
		return bake_nomem(b, it->pos);
	e.present = true;
	e.n = 0;
	for (i = 0; i < inh->n; i++) {
		e.names[e.n] = inh->names[i];
		e.values[e.n] = inh->values[i];
		e.pos[e.n++] = inh->pos[i];
	}
	for (i = 0; i < it->naxes; i++) {
		char *name = arena_printf(b->doc->arena, "HM_MATRIX_%s",
		    bind[i].name), *q;

		if (!name)
			return bake_nomem(b, it->pos);
		for (q = name; *q; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
		for (j = 0; j < e.n; j++)
			if (!strcmp(e.names[j], name))
				break;
		if (j == e.n)
			e.names[e.n++] = name;
		e.values[j] = bind[i].value;
		e.pos[j] = ir_loc_new(b->doc, it->axes[i].pos);
	}
	*out = e;
	return 0;
}

static int
eval_matrix(struct bake *b, const struct ctx *c, const struct item *it,
    struct bnode *scope, struct tail *tail)
{
	const char ***vals;
	size_t *nv, *idx, total = 1, i, k;
	struct binding *bind;
	struct bnode *bn;
	struct ctx sub;

	vals = arena_calloc(b->doc->arena, it->naxes, sizeof(*vals));
	nv = arena_calloc(b->doc->arena, it->naxes, sizeof(*nv));
	idx = arena_calloc(b->doc->arena, it->naxes, sizeof(*idx));
	if (!vals || !nv || !idx)
		return bake_nomem(b, it->pos);
	for (i = 0; i < it->naxes; i++) {
		if (axis_values(b, c, &it->axes[i], &vals[i], &nv[i]))
			return -1;
		if (nv[i] == 0 && !it->o.allow_empty)
			return diag_report(b->diags, E_BAKE_MATRIX_EMPTY,
			    it->axes[i].pos, it->axes[i].name);
		if (nv[i] == 0)
			return 0;	/* no combinations: nothing at all */
		if (total > BAKE_MAX_MATRIX / nv[i])
			return diag_report(b->diags, E_BAKE_MATRIX_SIZE, it->pos,
			    BAKE_MAX_MATRIX);
		total *= nv[i];
	}
	bn = group_new(b, c, it, tail);
	if (!bn)
		return -1;
	for (k = 0; k < total && !b->stop; k++) {
		struct tail t = { TAIL_NONE, NULL, NULL };
		const struct binding *m = c->m;
		size_t r = k;

		/* the first axis varies slowest */
		for (i = it->naxes; i-- > 0;) {
			idx[i] = r % nv[i];
			r /= nv[i];
		}
		bind = arena_calloc(b->doc->arena, it->naxes, sizeof(*bind));
		if (!bind)
			return bake_nomem(b, it->pos);
		for (i = 0; i < it->naxes; i++) {
			bind[i].name = it->axes[i].name;
			bind[i].value = vals[i][idx[i]];
			bind[i].next = m;
			m = &bind[i];
		}
		/* the values as HM_MATRIX_NAME, then the matrix's env,
		 * which may use them */
		sub = *c;
		sub.m = m;
		sub.depth = c->depth + 1;
		if (matrix_env(b, c, it, bind, &sub.env))
			return -1;
		if (opts_more(&it->o)->env.present &&
		    env_merge(b, &sub, &sub.env, &opts_more(&it->o)->env,
		    &sub.env))
			return -1;
		if (eval_chain(b, &sub, &it->steps, bn, &t))
			return -1;
	}
	return group_finish(b, bn, scope, tail);
}

/* A placeholder for a dynamic target (a call, or a top-level one). */
static struct ir_step *
placeholder(struct bake *b, const struct ctx *c, struct target *t,
    const struct opts *call, struct srcpos p, struct bnode **out)
{
	const struct opts_more *tm = opts_more(&t->o);
	const struct opts_more *cm = call ? opts_more(call) : NULL;
	struct ir_step *st = step_new(b, IR_COMMAND, p);
	struct ir_strlist secrets;
	struct ir_more *m;
	struct ir_env env;
	struct bnode *bn;
	struct pend pd;
	struct ctx pc;

	if (!st)
		return NULL;
	/* the target's outputs are read when it is baked, not here */
	pc = *c;
	pc.keep_outputs = true;
	c = &pc;
	st->eval = IR_EVAL_DYNAMIC;
	if (!(m = ir_step_more(b->doc, st))) {
		bake_nomem(b, p);
		return NULL;
	}
	m->target_name = t->name;
	m->target_pos = st->pos;
	st->eval_pos = st->pos;
	if (call && call->label)
		st->label = text(b, c, call->label);
	else if (t->o.label)
		st->label = t->o.label->u.s;
	if (t->bad) {
		/* its mistakes are told: it stands in, with nothing more */
		if (!(bn = bnode_new(b, st, p)))
			return NULL;
		bn->name = c && c->t ? c->t->name : t->name;
		*out = bn;
		return st;
	}
	if (env_merge(b, c, &c->env, &tm->env, &env))
		return NULL;
	if (cm && cm->env.present) {
		if (env_merge(b, c, &env, &cm->env, &st->env))
			return NULL;
	} else {
		st->env = env;
	}
	if (strlist_merge(b, &c->secret_env, &tm->secret_env, &secrets) ||
	    set_more(b, st, tm->image ? tm->image->u.s : NULL, NULL,
	    &secrets) < 0)
		return NULL;
	st->timeout_seconds = t->o.timeout;
	st->has_timeout = t->o.has_timeout;
	st->soft_fail = t->o.soft_fail;
	st->has_soft_fail = t->o.has_soft_fail;
	st->retry = t->o.retry;
	st->has_retry = t->o.has_retry;
	if (set_cont(b, st, t->o.cont, tm->cont_pos) < 0)
		return NULL;
	bn = bnode_new(b, st, p);
	if (!bn)
		return NULL;
	if (t->o.cont == IR_CONT_IN)
		bn->cont_in = tm->cont_in->u.s;
	bn->name = c && c->t ? c->t->name : t->name;
	/* what its bake reads: the outputs of other targets' steps */
	memset(&pd, 0, sizeof(pd));
	pd.bn = bn;
	pd.placeholder = true;
	if (lint_target_refs(b->def, t, &pd.refs, &pd.nrefs, &pd.loose)) {
		bake_nomem(b, p);
		return NULL;
	}
	if (pd.nrefs && outref_defer(b, &pd))
		return NULL;
	*out = bn;
	return st;
}

static int
eval_call(struct bake *b, const struct ctx *c, const struct item *it,
    struct bnode *scope, struct tail *tail)
{
	struct target *t = it->callee.t;
	struct bnode *bn;
	struct ir_step *st = placeholder(b, c, t, &it->o, it->pos, &bn);

	if (!st)
		return -1;
	if (set_builds_in(b, bn, &it->o, tail, false) ||
	    set_depends(b, st, &it->o, &t->o))
		return -1;
	if (it->o.key && set_xkey(b, c, bn, it->o.key))
		return -1;
	bn->name = t->name;
	bn->call = true;
	if (bnode_add(b, scope, bn))
		return -1;
	tail->kind = TAIL_STEP;
	tail->bn = bn;
	return 0;
}

static int
eval_chain(struct bake *b, const struct ctx *c, const struct chain *ch,
    struct bnode *scope, struct tail *tail)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < ch->n && !b->stop; i++) {
		const struct item *it = ch->v[i];
		int r = 0;

		if (tail->kind == TAIL_FORKED) {
			diag_report(b->diags, E_BAKE_AFTER_FORK, it->pos);
			return -1;
		}
		switch (it->kind) {
		case IT_CMD:
			r = eval_cmd(b, c, it, scope, tail);
			break;
		case IT_GROUP:
			r = eval_group(b, c, it, scope, tail);
			break;
		case IT_FORK:
			r = eval_fork(b, c, it, scope, tail);
			break;
		case IT_IF:
			r = eval_if(b, c, it, scope, tail);
			break;
		case IT_GEN:
			r = eval_gen(b, c, it, scope, tail);
			break;
		case IT_MATRIX:
			r = eval_matrix(b, c, it, scope, tail);
			break;
		case IT_CALL:
			r = eval_call(b, c, it, scope, tail);
			break;
		case IT_WAIT:
			/* def_parse allows waits only among group members */
			break;
		}
		if (r)
			ret = -1;
	}
	return ret;
}

/*
 * Evaluate t's body into scope; an empty body becomes one no-op step.
 * from: the body's roots build in it (a target that continues from an
 * 'each' target: a group cannot be replicated, its commands can).
 */
static int
eval_body(struct bake *b, struct target *t, struct bnode *scope,
    const struct tref *from)
{
	static const struct ir_strlist none;
	static const struct ir_env none_env;
	struct tail tail = { from ? TAIL_FROM : TAIL_NONE, NULL, from };
	char **envp = NULL;
	struct ctx c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.file = b->def->file;
	/* the target's env, its expressions substituted (a dynamic
	   target's outputs have their values now) */
	if (env_merge(b, &c, &none_env, &opts_more(&t->o)->env, &c.env))
		return -1;
	if (strlist_merge(b, &none, &opts_more(&t->o)->secret_env,
	    &c.secret_env))
		return -1;
	c.envp = &envp;
	c.depth = 1;
	if (eval_chain(b, &c, &t->body, scope, &tail))
		return -1;
	for (i = 0; i < scope->nkids; i++)
		if (scope->kids[i]->st->type != IR_WAIT)
			return 0;
	/* a dynamic target's expansion of nothing is a mistake, unless said */
	if (b->fragment && t->dynamic && !t->o.allow_empty)
		return diag_report(b->diags, E_BAKE_TARGET_EMPTY, t->pos, t->name);
	{
		struct ir_step *st = step_new(b, IR_COMMAND, t->pos);
		struct bnode *bn;

		if (!st)
			return -1;
		st->cmd = "true";
		if (b->fragment && t->dynamic)
			st->label = "(nothing to do)";
		bn = bnode_new(b, st, t->pos);
		if (!bn)
			return -1;
		bn->xkey = "noop";
		st->key_pos = ir_loc_new(b->doc, t->pos);
		return bnode_add(b, scope, bn);
	}
}

bool
bake_standin_key(const struct bake *b, const char *key)
{
	size_t i;

	for (i = 0; i < b->nstandins; i++)
		if (!strcmp(key, b->standins[i]) || ir_key_under(key,
		    b->standins[i], strlen(b->standins[i])))
			return true;
	return false;
}

/*
 * What stands at the top level for target t once its mistakes are told
 * (a definition with errors is still baked, to tell those of the other
 * targets in the same pass): a dynamic step with t's key, holding
 * nothing, continuing in one state, so that what refers to t is keyed
 * and checked without a word more about t.
 */
static int
standin(struct bake *b, struct target *t)
{
	struct ir_step *st = step_new(b, IR_COMMAND, t->pos);
	struct ir_more *m;
	struct bnode *bn;

	if (!st)
		return -1;
	if (!(m = ir_step_more(b->doc, st)))
		return bake_nomem(b, t->pos);
	st->eval = IR_EVAL_DYNAMIC;
	st->eval_pos = st->pos;
	m->target_name = t->name;
	m->target_pos = st->pos;
	st->builds_in_kind = IR_BUILDS_IN_NULL;
	st->key = t->key;
	st->key_pos = st->pos;
	if (!(bn = bnode_new(b, st, t->pos)))
		return -1;
	bn->fixed = true;
	t->bad = true;
	t->step = st;
	t->bn = bn;
	if (arena_grow(b->doc->arena, &b->standins, b->nstandins,
	    sizeof(*b->standins)) < 0)
		return bake_nomem(b, t->pos);
	b->standins[b->nstandins++] = t->key;
	return bnode_add(b, b->root, bn);
}

int
bake_demote(struct bake *b, const char *key)
{
	struct target *t = NULL;
	struct ir_step *st;
	struct ir_more *m;
	size_t i;

	for (i = 0; i < b->def->ntargets && !t; i++) {
		struct target *u = b->def->targets[i];

		if (u->step && u->bn && (!strcmp(u->key, key) ||
		    ir_key_under(key, u->key, strlen(u->key))))
			t = u;
	}
	if (!t || b->fragment)
		return -1;
	if (bake_standin_key(b, key))
		return 0;
	st = t->step;
	if (!(m = ir_step_more(b->doc, st)))
		return bake_nomem(b, t->pos);
	st->type = IR_COMMAND;
	st->eval = IR_EVAL_DYNAMIC;
	st->eval_pos = st->pos;
	st->cmd = NULL;
	st->steps = NULL;
	st->nsteps = 0;
	if (st->builds_in_kind == IR_BUILDS_IN_ABSENT)
		st->builds_in_kind = IR_BUILDS_IN_NULL;
	m->cont = IR_CONT_NONE;
	memset(&m->continue_in, 0, sizeof(m->continue_in));
	m->target_name = t->name;
	m->target_pos = st->pos;
	t->bn->kids = NULL;
	t->bn->nkids = 0;
	t->bn->cont_in = NULL;
	t->bn->check_members = false;
	t->bad = true;
	if (arena_grow(b->doc->arena, &b->standins, b->nstandins,
	    sizeof(*b->standins)) < 0)
		return bake_nomem(b, t->pos);
	b->standins[b->nstandins++] = t->key;
	return 0;
}

static int bake_top(struct bake *b, struct target *t);

/*
 * Bake t into the top level of a static bake; a target with errors
 * (told already, or now) becomes a stand-in.
 */
static int
bake_one(struct bake *b, struct target *t)
{
	size_t npend = b->npend;

	if (t->bad)
		return standin(b, t);
	if (bake_top(b, t) == 0)
		return 0;
	if (b->stop)
		return -1;
	/* the references its steps made go with them */
	b->npend = npend;
	return standin(b, t);
}

static int
bake_top(struct bake *b, struct target *t)
{
	const struct opts_more *tm = opts_more(&t->o);
	const struct tref *from = &tm->from;
	struct bnode *bn;
	struct ir_step *st;
	struct ctx c;
	char **envp = NULL;
	bool each;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.file = b->def->file;
	c.envp = &envp;
	if (t->dynamic) {
		st = placeholder(b, &c, t, NULL, t->pos, &bn);
		if (!st)
			return -1;
		st->builds_in_kind = IR_BUILDS_IN_NULL;
	} else {
		st = step_new(b, IR_GROUP, t->pos);
		if (!st)
			return -1;
		bn = bnode_new(b, st, t->pos);
		if (!bn)
			return -1;
		if (t->o.label)
			st->label = t->o.label->u.s;
		if (set_cont(b, st, t->o.cont, tm->cont_pos) < 0)
			return -1;
		if (t->o.cont == IR_CONT_IN) {
			bn->cont_in = tm->cont_in->u.s;
			bn->check_members = true;
		}
		st->builds_in_kind = IR_BUILDS_IN_ABSENT;
	}
	st->key = t->key;
	/* without a key of its own, a target's key is where its name is */
	st->key_pos = t->o.key ? ir_loc_new(b->doc, t->key_pos) : st->pos;
	bn->fixed = true;
	t->step = st;
	t->bn = bn;
	each = from->name && target_each(from->t);
	if (from->name && !(each && !t->dynamic)) {
		if (from_target(b, bn, from))
			return -1;
	}
	if (set_depends(b, st, &t->o, NULL))
		return -1;
	if (!t->dynamic && eval_body(b, t, bn, each ? from : NULL))
		return -1;
	return bnode_add(b, b->root, bn);
}

/*
 * Place t (static bake): first every target its body refers to (all
 * branches), in post-order, iteratively; then t itself. The callee of a
 * target: step is walked for its own references but not placed (it is a
 * nested placeholder), unless something else refers to it. Targets
 * already placed are skipped.
 */
static int
place(struct bake *b, struct target *t)
{
	struct {
		struct target *t;
		size_t next;
		bool bake;
	} *st;
	size_t sp = 0, cap = 16;
	int ret = 0;

	if (t->step || t->state == 1)
		return 0;	/* placed, or being placed (no cycles) */
	if (t->state == 2)
		return bake_one(b, t);	/* walked as a callee only */
	st = malloc(cap * sizeof(*st));
	if (!st)
		return bake_nomem(b, t->pos);
	st[0].t = t;
	st[0].next = 0;
	st[0].bake = true;
	t->state = 1;
	while (!b->stop) {
		struct target *u = st[sp].t;

		if (st[sp].next < u->nrefs) {
			const struct tref *r = u->refs[st[sp].next++];
			struct target *v = r->t;

			if (v->state == 2 && !r->call && !v->step &&
			    bake_one(b, v))
				ret = -1;
			if (v->state)
				continue;
			if (sp + 1 == cap) {
				void *n = realloc(st, 2 * cap * sizeof(*st));

				if (!n) {
					ret = bake_nomem(b, t->pos);
					break;
				}
				st = n;
				cap *= 2;
			}
			v->state = 1;
			st[++sp].t = v;
			st[sp].next = 0;
			st[sp].bake = !r->call;
			continue;
		}
		/* all its references are placed: bake u if it is needed */
		u->state = 2;
		if (st[sp].bake && !u->step && bake_one(b, u))
			ret = -1;
		if (sp == 0)
			break;
		sp--;
	}
	free(st);
	return ret;
}

static const char *
pipeline_names(struct bake *b)
{
	return def_pipeline_names(b->def);
}

/* Choose the pipeline: by name, the default, or the only one. */
static const struct pipeline *
pick(struct bake *b, const char *name)
{
	struct srcpos p = { b->def->file, 0, 0 };
	size_t i;

	if (b->def->npipelines == 0) {
		diag_report(b->diags, E_BAKE_NO_PIPELINES, p);
		return NULL;
	}
	if (!name) {
		if (b->def->default_pipeline)
			return b->def->default_pipeline;
		if (b->def->npipelines == 1)
			return &b->def->pipelines[0];
		diag_report(b->diags, E_BAKE_PIPELINE_PICK, p,
		    b->def->npipelines, pipeline_names(b));
		return NULL;
	}
	for (i = 0; i < b->def->npipelines; i++)
		if (!strcmp(b->def->pipelines[i].name, name))
			return &b->def->pipelines[i];
	diag_report(b->diags, E_BAKE_NO_PIPELINE, p, name, pipeline_names(b));
	return NULL;
}

int
bake_pipeline(struct bake *b, const struct pipeline *pl)
{
	struct ir_doc *doc = b->doc;
	size_t i;
	int ret = 0;

	b->pl = pl;
	b->errors0 = b->diags->errors;
	b->root = bnode_new(b, NULL, pl->pos);
	if (!b->root)
		return -1;
	doc->has_source = true;
	doc->source_definition = b->def->file;
	doc->source_pipeline = pl->name;
	doc->env = pl->env;
	doc->default_image = pl->default_image;
	for (i = 0; i < pl->n && !b->stop; i++) {
		const struct pentry *e = &pl->v[i];

		if (e->t.name) {
			if (place(b, e->t.t))
				ret = -1;
		} else {
			struct ir_step *st = step_new(b, IR_WAIT, e->pos);
			struct bnode *bn;

			if (!st)
				return -1;
			st->continue_on_failure = e->continue_on_failure;
			st->has_continue_on_failure = e->has_continue_on_failure;
			bn = bnode_new(b, st, e->pos);
			if (!bn || bnode_add(b, b->root, bn))
				return -1;
		}
	}
	if (ret)
		return -1;
	/* what went wrong so far has a stand-in: the rest is keyed */
	b->errors0 = b->diags->errors;
	return keys_assign(b, "");
}

int
bake_target(struct bake *b, struct target *t, const char *prefix)
{
	const struct opts_more *tm = opts_more(&t->o);
	struct ir_doc *doc = b->doc;
	size_t i;

	b->fragment = true;
	b->prefix = prefix;
	b->errors0 = b->diags->errors;
	b->root = bnode_new(b, NULL, t->pos);
	if (!b->root)
		return -1;
	if (eval_body(b, t, b->root, NULL))
		return -1;
	doc->cont = t->o.cont;
	doc->cont_pos = bake_loc(b, tm->cont_pos);
	if (keys_assign(b, prefix))
		return -1;
	if (t->o.cont == IR_CONT_IN) {
		const char *k = keys_join(b, prefix, tm->cont_in->u.s,
		    tm->cont_pos);

		if (!k)
			return -1;
		doc->continue_in.key = k;
		doc->continue_in.pos = doc->cont_pos;
		for (i = 0; i < b->root->nkids; i++)
			if (b->root->kids[i]->st->type != IR_WAIT &&
			    !strcmp(b->root->kids[i]->st->key, k))
				return 0;
		return diag_report(b->diags, E_BAKE_CONTINUE_IN, tm->cont_pos,
		    tm->cont_in->u.s, prefix);
	}
	return 0;
}

bool
bake_definition_error(enum diag_code c)
{
	switch (c) {
	case E_IR_AMBIGUOUS:
	case E_IR_AMBIGUOUS_NESTED:
	case E_IR_CONTINUE_IN_EACH:
	case E_IR_EACH_TARGET:
	case E_IR_EACH_NESTED:
	case E_IR_CONSUMES_ORDER:
	case E_IR_CONSUMES_KIND:
		return true;
	default:
		return false;
	}
}

const struct pipeline *
bake_pick(struct bake *b, const char *name)
{
	return pick(b, name);
}
