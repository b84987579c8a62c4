/* hm: what can be checked in a definition's expressions before any bake. */
#ifndef HM_BAKE_LINT_H
#define HM_BAKE_LINT_H

#include <stdbool.h>
#include <stddef.h>

#include "bake.h"
#include "def.h"
#include "diag.h"

/*
 * Check the ${{ }} expressions of the targets def_parse found no error
 * in (all: every one; else the dynamic ones, which a static bake does
 * not evaluate): matrix variables in scope, output references where
 * their value can be had. A target with errors is marked bad. 0, or -1
 * after reporting (lint.c).
 */
int lint_def(struct def *def, bool all, struct diag_list *diags);

/*
 * The output references dynamic target t makes to steps outside it
 * (refs, in def's arena); *loose: some of its keys are made only when it
 * is baked, so a reference that names none of the steps of the pipeline
 * may name one of its own. Returns 0 or -1 (memory).
 */
int lint_target_refs(struct def *def, const struct target *t,
    struct oref **refs, size_t *nrefs, bool *loose);

#endif
