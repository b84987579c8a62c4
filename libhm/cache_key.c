/* hm: a step's cache key, by the rules of its cache policy (harmont's). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache_key.h"
#include "file.h"
#include "sha256.h"

struct kctx {
	const struct cache_key_in *in;
	char *err;
	size_t err_size;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
hash_fd(struct sha256 *h, int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(h, buf, (size_t)n);
	return n < 0 ? -1 : 0;
}

struct list_walk {
	const char *base, *rel;
	char ***v;
	size_t *n, *cap;
};

static int list_files(const char *base, const char *rel, char ***v,
    size_t *n, size_t *cap);

/* One entry of the directory rel: a file appended, a directory listed. */
static int
list_entry(int dfd, const char *name, void *arg)
{
	struct list_walk *l = arg;
	char *sub, *full;
	struct stat st;
	int r = 0;

	(void)dfd;
	if (asprintf(&sub, "%s%s%s", l->rel, *l->rel ? "/" : "", name) < 0)
		return -1;
	if (asprintf(&full, "%s/%s", l->base, sub) < 0) {
		free(sub);
		return -1;
	}
	if (stat(full, &st) < 0) {
		r = -1;
	} else if (S_ISDIR(st.st_mode)) {
		r = list_files(l->base, sub, l->v, l->n, l->cap);
	} else {
		if (*l->n == *l->cap) {
			size_t cap = *l->cap ? 2 * *l->cap : 32;
			char **w = realloc(*l->v, cap * sizeof(**l->v));

			if (!w) {
				r = -1;
			} else {
				*l->v = w;
				*l->cap = cap;
			}
		}
		if (r == 0) {
			(*l->v)[(*l->n)++] = sub;
			sub = NULL;
		}
	}
	free(full);
	free(sub);
	return r;
}

/* The files under dir (relative to base), appended to *v. */
static int
list_files(const char *base, const char *rel, char ***v, size_t *n,
    size_t *cap)
{
	struct list_walk l = { base, rel, v, n, cap };
	char *path = NULL;
	int fd, r;

	if (asprintf(&path, "%s%s%s", base, *rel ? "/" : "", rel) < 0)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -1;
	r = file_each_entry(fd, list_entry, &l, true);
	close(fd);
	return r;
}

/* hash(path), as hex, into out. */
static int
hash_path(struct kctx *k, const char *p, char out[65])
{
	struct sha256 h;
	struct stat st;
	char *path = NULL;
	int fd, r = -1;

	sha256_init(&h);
	if (p[0] == '/' ? !(path = strdup(p)) :
	    asprintf(&path, "%s/%s", k->in->dir, p) < 0)
		return -1;
	if (stat(path, &st) < 0)
		goto fail;
	if (!S_ISDIR(st.st_mode)) {
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			goto fail;
		r = hash_fd(&h, fd);
		close(fd);
		if (r < 0)
			goto fail;
	} else {
		char **v = NULL;
		size_t n = 0, cap = 0, i;

		r = list_files(path, "", &v, &n, &cap);
		if (r == 0)
			qsort(v, n, sizeof(*v), cmp_str);
		for (i = 0; i < n; i++) {
			char *f = NULL;

			if (r == 0) {
				sha256_update(&h, v[i], strlen(v[i]) + 1);
				if (asprintf(&f, "%s/%s", path, v[i]) < 0 ||
				    (fd = open(f, O_RDONLY | O_CLOEXEC)) < 0)
					r = -1;
				else {
					r = hash_fd(&h, fd);
					close(fd);
				}
				sha256_update(&h, "", 1);
			}
			free(f);
			free(v[i]);
		}
		free(v);
		if (r < 0)
			goto fail;
	}
	sha256_hex(&h, out);
	free(path);
	return 0;
fail:
	snprintf(k->err, k->err_size, "cache path '%s': %s", path,
	    strerror(errno));
	free(path);
	return -1;
}

/* sha256(cmd NUL env) as hex. */
static void
cmd_env(struct kctx *k, const struct ir_cache *c, char out[65])
{
	const char **names = malloc((c->env_keys.n + 1) * sizeof(*names));
	struct sha256 h;
	size_t i;

	sha256_init(&h);
	sha256_update(&h, k->in->cmd ? k->in->cmd : "",
	    strlen(k->in->cmd ? k->in->cmd : "") + 1);
	if (names) {
		for (i = 0; i < c->env_keys.n; i++)
			names[i] = c->env_keys.v[i];
		qsort(names, c->env_keys.n, sizeof(*names), cmp_str);
		for (i = 0; i < c->env_keys.n; i++) {
			const char *v = k->in->getenv ?
			    k->in->getenv(k->in->ctx, names[i]) : NULL;

			sha256_update(&h, names[i], strlen(names[i]));
			sha256_update(&h, "=", 1);
			sha256_update(&h, v ? v : "", strlen(v ? v : "") + 1);
		}
		free(names);
	}
	sha256_hex(&h, out);
}

/* policy_res of c, fed into h. */
static int
policy_res(struct kctx *k, const struct ir_cache *c, struct sha256 *h)
{
	char hex[65], buf[96];
	size_t i;

	switch (c->policy) {
	case IR_CACHE_NONE:
		sha256_update(h, "none", 4);
		return 0;
	case IR_CACHE_FOREVER:
		cmd_env(k, c, hex);
		sha256_update(h, "forever-", 8);
		sha256_update(h, hex, 64);
		return 0;
	case IR_CACHE_TTL: {
		long long d = c->duration_seconds ?
		    strtoll(c->duration_seconds, NULL, 10) : 1;

		cmd_env(k, c, hex);
		snprintf(buf, sizeof(buf), "ttl-%lld-", d > 0 ?
		    k->in->now / d : 0);
		sha256_update(h, buf, strlen(buf));
		sha256_update(h, hex, 64);
		return 0;
	}
	case IR_CACHE_ON_CHANGE: {
		const char **p = malloc((c->paths.n + 1) * sizeof(*p));
		struct sha256 s;
		int r = 0;

		if (!p)
			return -1;
		for (i = 0; i < c->paths.n; i++)
			p[i] = c->paths.v[i];
		qsort(p, c->paths.n, sizeof(*p), cmp_str);
		sha256_init(&s);
		for (i = 0; i < c->paths.n && r == 0; i++)
			if ((r = hash_path(k, p[i], hex)) == 0)
				sha256_update(&s, hex, 65);
		free(p);
		if (r < 0)
			return -1;
		sha256_hex(&s, hex);
		sha256_update(h, "sha-", 4);
		sha256_update(h, hex, 64);
		return 0;
	}
	case IR_CACHE_COMPOSE: {
		struct sha256 s;

		sha256_init(&s);
		for (i = 0; i < c->nsub; i++)
			if (policy_res(k, c->sub_policies[i], &s) < 0)
				return -1;
		sha256_hex(&s, hex);
		sha256_update(h, "compose-", 8);
		sha256_update(h, hex, 64);
		return 0;
	}
	}
	return -1;
}

int
cache_key(const struct ir_cache *c, const struct cache_key_in *in,
    char out[65], char *err, size_t err_size)
{
	struct kctx k = { in, err, err_size };
	const char *parts[4] = { in->org ? in->org : "default",
	    in->pipeline ? in->pipeline : "default", in->step,
	    in->parent ? in->parent : "scratch" };
	struct sha256 h;
	size_t i;

	if (!c || c->policy == IR_CACHE_NONE)
		return 0;
	sha256_init(&h);
	for (i = 0; i < 4; i++)
		sha256_update(&h, parts[i], strlen(parts[i]) + 1);
	if (policy_res(&k, c, &h) < 0)
		return -1;
	sha256_hex(&h, out);
	return 1;
}
