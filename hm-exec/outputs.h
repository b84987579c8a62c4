/* hm: step outputs: HM_OUTPUT files read, HM_OUT_<KEY>_<NAME> values kept. */
#ifndef HM_EXEC_OUTPUTS_H
#define HM_EXEC_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/*
 * The values steps wrote to their HM_OUTPUT file, by step key and name,
 * in the order first set. Later steps see them as HM_OUT_<KEY>_<NAME>
 * (env.c) and in the JSON file HM_OUTPUTS (sink_outputs.c writes it).
 */
struct output_kv {
	char *key, *name, *value;
	char *var;		/* HM_OUT_<KEY>_<NAME> */
};

/*
 * The longest value put in a step's environment: Linux refuses an
 * environment string over 128 KiB (MAX_ARG_STRLEN), and every later
 * step would fail to start. A longer value is left out of the
 * environment, with a warning; HM_OUTPUTS has it whole.
 */
#define OUTPUT_ENV_MAX	(64u << 10)

struct outputs {
	struct output_kv *v;
	size_t n, cap;
	bool dirty;		/* changed since outputs_json was last asked */
};

/*
 * Read the HM_OUTPUT file at path of the step key after it passed:
 * NAME=VALUE lines. Bad lines, a file too large and a value too long for
 * the environment are reported in dl (warnings); a missing file is no
 * output. An output whose variable is another step's output's is an
 * error in dl (the step fails): it is not kept.
 */
void outputs_collect(struct outputs *o, const char *key, const char *path,
    struct diag_list *dl);
/* "HM_OUT_KEY_NAME" for key and name (malloc'd). */
char *outputs_var(const char *key, const char *name);
/* The values as the JSON text of HM_OUTPUTS (malloc'd); -1 on failure. */
int outputs_json(struct outputs *o, char **s, size_t *len);
void outputs_release(struct outputs *o);

#endif
