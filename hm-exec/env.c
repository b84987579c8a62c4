/* hm: a step's environment: the run's base built once, the step's part added. */
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "tool.h"

char *
env_str(const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	char *s = xmalloc(nl + vl + 2);

	memcpy(s, name, nl);
	s[nl] = '=';
	memcpy(s + nl + 1, value, vl + 1);
	return s;
}

static size_t
namelen(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq ? (size_t)(eq - s) : strlen(s);
}

static int
name_cmp(const char *x, const char *y)
{
	size_t lx = namelen(x), ly = namelen(y);
	int c = memcmp(x, y, lx < ly ? lx : ly);

	if (c)
		return c;
	return lx < ly ? -1 : lx > ly;
}

/* Sort by name, then by position, so the last of each name wins. */
struct envsort {
	char *s;
	size_t i;
};

static int
envsort_cmp(const void *a, const void *b)
{
	const struct envsort *x = a, *y = b;
	int c = name_cmp(x->s, y->s);

	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Sort v[0..n) by name and keep the last of each name: returns the
 * count kept (in v); what is dropped is freed if owned.
 */
static size_t
sort_unique(char **v, size_t n, bool owned)
{
	struct envsort *es = xcalloc(n ? n : 1, sizeof(*es));
	size_t i, k;

	for (i = 0; i < n; i++) {
		es[i].s = v[i];
		es[i].i = i;
	}
	qsort(es, n, sizeof(*es), envsort_cmp);
	for (i = 0, k = 0; i < n; i++) {
		if (i + 1 < n && name_cmp(es[i].s, es[i + 1].s) == 0) {
			if (owned)
				free(es[i].s);
			continue;
		}
		v[k++] = es[i].s;
	}
	free(es);
	return k;
}

static size_t
env_count(const struct ir_env *e)
{
	return e && e->present ? e->n : 0;
}

void
env_base_init(struct env_base *b, char *const *environ,
    const struct ir_env *doc_env)
{
	size_t i, n = 0, k = 0;

	while (environ[n])
		n++;
	b->v = xcalloc(n + env_count(doc_env) + 1, sizeof(*b->v));
	for (i = 0; i < n; i++)
		b->v[k++] = xstrdup(environ[i]);
	for (i = 0; i < env_count(doc_env); i++)
		b->v[k++] = env_str(doc_env->names[i], doc_env->values[i]);
	b->n = sort_unique(b->v, k, true);
}

void
env_base_release(struct env_base *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->v[i]);
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

void
env_build(struct step_env *e, const struct env_base *b,
    const struct ir_env *step_env, char **extra, size_t nextra)
{
	size_t i, j, k, n = env_count(step_env) + nextra;

	e->own = xcalloc(n + 1, sizeof(*e->own));
	k = 0;
	for (i = 0; i < env_count(step_env); i++)
		e->own[k++] = env_str(step_env->names[i], step_env->values[i]);
	for (i = 0; i < nextra; i++)
		e->own[k++] = extra[i];
	e->nown = sort_unique(e->own, k, true);

	/* merge the two sorted lists; the step's part wins */
	e->envp = xcalloc(b->n + e->nown + 1, sizeof(*e->envp));
	for (i = j = k = 0; i < b->n || j < e->nown;) {
		int c = i == b->n ? 1 : j == e->nown ? -1 :
		    name_cmp(b->v[i], e->own[j]);

		if (c < 0) {
			e->envp[k++] = b->v[i++];
		} else {
			if (c == 0)
				i++;
			e->envp[k++] = e->own[j++];
		}
	}
	e->envp[k] = NULL;
}

void
env_release(struct step_env *e)
{
	size_t i;

	for (i = 0; i < e->nown; i++)
		free(e->own[i]);
	free(e->own);
	free(e->envp);
	e->own = e->envp = NULL;
	e->nown = 0;
}
