/* hm: a step's cache key, by the rules of its cache policy (harmont's). */
#ifndef HM_CACHE_KEY_H
#define HM_CACHE_KEY_H

#include <stddef.h>

#include "ir.h"

/*
 * harmont's key, computed when the step is about to run rather than when
 * the document was written:
 *
 *   key = sha256(org NUL pipeline NUL step NUL parent NUL policy_res)
 *
 * parent is "scratch" for a step that starts fresh, else the parent's
 * key (a step whose parent has none has none either). policy_res:
 *   forever    "forever-" sha256(cmd NUL env)
 *   ttl        "ttl-" (now / duration_seconds) "-" sha256(cmd NUL env)
 *   on_change  "sha-" sha256(over the paths, sorted: hash(path) NUL)
 *   compose    "compose-" sha256(the sub-policies' results, "none" for
 *              none, one after the other)
 * env is NAME "=" value NUL over the sorted env_keys (an unset variable
 * has the value ""); a file's hash is the sha256 of its bytes, a
 * directory's one sha256 over its files (recursively, sorted by path
 * relative to it) as relpath NUL bytes NUL. All digests in lowercase hex.
 */
struct cache_key_in {
	const char *org, *pipeline;	/* "default" when NULL */
	const char *step;		/* the step's key */
	const char *parent;		/* the parent's key; NULL: scratch */
	const char *cmd;
	/* the step's environment; NULL result: unset */
	const char *(*getenv)(void *ctx, const char *name);
	void *ctx;
	const char *dir;		/* on_change paths are relative to it */
	long long now;			/* seconds since the epoch */
};

/*
 * Write the key of a step with policy c into out. Returns 1, 0 when the
 * policy yields no key (none), -1 with a message in err when a path of
 * on_change cannot be read.
 */
int cache_key(const struct ir_cache *c, const struct cache_key_in *in,
    char out[65], char *err, size_t err_size);

#endif
