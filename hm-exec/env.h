/* hm: a step's environment: the run's base built once, the step's part added. */
#ifndef HM_EXEC_ENV_H
#define HM_EXEC_ENV_H

#include <stddef.h>

#include "ir.h"

/*
 * NAME=VALUE strings sorted by name, the last of a name winning, in this
 * order: hm-exec's own environment, the document's env (the base, built
 * once per run), then the step's env and the extra strings (outputs and
 * HM_* variables). A step's environment shares the base's strings: only
 * its own part is copied and sorted, not the ~50 inherited variables.
 */
struct env_base {
	char **v;		/* sorted by name, one per name */
	size_t n;
};

struct step_env {
	char **envp;		/* NULL-terminated, for the spawn */
	char **own;		/* the strings envp owns (not the base's) */
	size_t nown;
};

/* The base of environ and the document's env. */
void env_base_init(struct env_base *b, char *const *environ,
    const struct ir_env *doc_env);
void env_base_release(struct env_base *b);

/*
 * The environment of an attempt: b, then step_env (may be NULL), then
 * extra[0..nextra) ("NAME=VALUE", malloc'd: e takes them).
 */
void env_build(struct step_env *e, const struct env_base *b,
    const struct ir_env *step_env, char **extra, size_t nextra);
void env_release(struct step_env *e);

/* "NAME=VALUE" (malloc'd). */
char *env_str(const char *name, const char *value);

#endif
