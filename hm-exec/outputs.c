/* hm: step outputs: HM_OUTPUT files, HM_OUT_<KEY>_<NAME>, HM_OUTPUTS. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonw.h"
#include "ir.h"
#include "outputs.h"
#include "tool.h"

#define OUTPUT_MAX	(1u << 20)	/* bytes read from one HM_OUTPUT */

/* The variable is the IR's (ir_output_var): hm-bake writes its name. */
char *
outputs_var(const char *key, const char *name)
{
	char *s = xmalloc(ir_output_var_size(key, name));

	ir_output_var(key, name, s);
	return s;
}

static bool
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-' && s[i] != '.')
			return false;
	return true;
}

/*
 * Set key's output name to value. A new name whose variable another
 * step's output already has (step 'b' output 'c_d' and step 'b_c'
 * output 'd' are both HM_OUT_B_C_D) is refused: -1, with that output
 * in *clash. Otherwise 0.
 */
static int
outputs_set(struct outputs *o, const char *key, const char *name, size_t nl,
    const char *value, size_t vl, const struct output_kv **clash)
{
	struct output_kv *kv;
	char *nm, *var;
	size_t i;

	for (i = 0; i < o->n; i++) {
		kv = &o->v[i];
		if (strcmp(kv->key, key) == 0 && strlen(kv->name) == nl &&
		    memcmp(kv->name, name, nl) == 0) {
			free(kv->value);
			kv->value = xmalloc(vl + 1);
			memcpy(kv->value, value, vl);
			kv->value[vl] = '\0';
			return 0;
		}
	}
	nm = xmalloc(nl + 1);
	memcpy(nm, name, nl);
	nm[nl] = '\0';
	var = outputs_var(key, nm);
	for (i = 0; i < o->n; i++) {
		if (strcmp(o->v[i].var, var) == 0) {
			*clash = &o->v[i];
			free(nm);
			free(var);
			return -1;
		}
	}
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 16;
		o->v = xreallocarray(o->v, o->cap, sizeof(*o->v));
	}
	kv = &o->v[o->n++];
	kv->key = xstrdup(key);
	kv->name = nm;
	kv->var = var;
	kv->value = xmalloc(vl + 1);
	memcpy(kv->value, value, vl);
	kv->value[vl] = '\0';
	return 0;
}

void
outputs_collect(struct outputs *o, const char *key, const char *path,
    struct diag_list *dl)
{
	const struct output_kv *clash;
	char *buf, *p, *end, *nl, *eq;
	unsigned line = 0;
	size_t n = 0;
	ssize_t k;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	buf = xmalloc(OUTPUT_MAX + 1);
	while (n < OUTPUT_MAX && (k = read(fd, buf + n, OUTPUT_MAX - n)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (n == OUTPUT_MAX) {
		struct srcpos pos = { path, 0, 0 };

		diag_report(dl, W_EXEC_OUTPUT_SIZE, pos, OUTPUT_MAX);
	}
	buf[n] = '\0';
	end = buf + n;
	for (p = buf; p < end; p = nl + 1) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nl == p)
			continue;
		eq = memchr(p, '=', (size_t)(nl - p));
		if (!eq || !name_ok(p, (size_t)(eq - p)) ||
		    memchr(p, '\0', (size_t)(nl - p))) {
			struct srcpos pos = { path, line, 1 };

			diag_report(dl, W_EXEC_OUTPUT_LINE, pos);
			continue;
		}
		if (outputs_set(o, key, p, (size_t)(eq - p), eq + 1,
		    (size_t)(nl - eq - 1), &clash) < 0) {
			struct srcpos pos = { path, line, 1 };

			diag_report(dl, E_EXEC_OUTPUT_CLASH, pos,
			    (int)(eq - p), p, key, clash->var, clash->name,
			    clash->key);
			continue;
		}
		if ((size_t)(nl - eq - 1) > OUTPUT_ENV_MAX) {
			struct srcpos pos = { path, line, 1 };

			diag_report(dl, W_EXEC_OUTPUT_ENV, pos, (int)(eq - p),
			    p, key, (size_t)(nl - eq - 1), OUTPUT_ENV_MAX);
		}
		o->dirty = true;
	}
	free(buf);
}

int
outputs_json(struct outputs *o, char **s, size_t *len)
{
	struct jsonw w;
	size_t i;

	o->dirty = false;
	jsonw_init(&w, -1, 2);
	jsonw_obj_begin(&w);
	for (i = 0; i < o->n; i++) {
		if (i == 0 || strcmp(o->v[i - 1].key, o->v[i].key) != 0) {
			if (i > 0)
				jsonw_obj_end(&w);
			jsonw_key(&w, o->v[i].key);
			jsonw_obj_begin(&w);
		}
		jsonw_key(&w, o->v[i].name);
		jsonw_str(&w, o->v[i].value);
	}
	if (o->n)
		jsonw_obj_end(&w);
	jsonw_obj_end(&w);
	jsonw_newline(&w);
	*s = NULL;
	*len = 0;
	if (jsonw_finish(&w, s, len) < 0) {
		free(*s);
		*s = NULL;
		return -1;
	}
	return 0;
}

void
outputs_release(struct outputs *o)
{
	size_t i;

	for (i = 0; i < o->n; i++) {
		free(o->v[i].key);
		free(o->v[i].name);
		free(o->v[i].var);
		free(o->v[i].value);
	}
	free(o->v);
	memset(o, 0, sizeof(*o));
}
