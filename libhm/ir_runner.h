/* hm: the runners hm knows by name, and the options (runner_args) each takes. */
#ifndef HM_IR_RUNNER_H
#define HM_IR_RUNNER_H

#include <stddef.h>

#include "diag.h"
#include "ir.h"

/*
 * A step's "runner" names the backend that runs it. hm-exec has two:
 * "local" (no options: its runner_args are recorded and ignored, as any
 * other runner's) and "slurm", whose runner_args must be an object of the
 * options below, each becoming one option of srun. Any other name is
 * recorded only: such a step runs on the run's default runner, and its
 * runner_args, which are that other runner's, are not applied.
 */
enum ir_runner_opt_type {
	IR_ROPT_STRING,		/* a non-empty string */
	IR_ROPT_INT,		/* an integer in [min, max] */
	IR_ROPT_SIZE		/* a string: digits and a K, M, G or T */
};

struct ir_runner_opt {
	const char *name;		/* in runner_args */
	enum ir_runner_opt_type type;
	long long min, max;		/* IR_ROPT_INT */
	const char *flag;		/* the backend's: "--partition" */
};

/*
 * The options of the backend called runner: a table of *n entries, or
 * NULL when hm does not check that runner's arguments (local, or a name
 * that is no backend).
 */
const struct ir_runner_opt *ir_runner_opts(const char *runner, size_t *n);

/*
 * Check the runner_args of command steps (at any depth) for a backend
 * with options: with dflt NULL, of every step whose "runner" names one
 * (ir_check does this); otherwise of every step that names no runner, as
 * dflt's (hm-exec --runner). Positioned errors for an unknown option or a
 * bad value. Returns 0, or -1 if it recorded an error.
 */
int ir_runner_check(struct ir_doc *doc, const char *dflt,
    struct diag_list *diags);
/* The same for the steps in v (n of them, and their members). */
int ir_runner_check_steps(struct ir_step **v, size_t n, const char *dflt,
    struct diag_list *diags);

#endif
