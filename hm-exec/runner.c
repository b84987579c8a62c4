/* hm: hm-exec's runners: the table of backends and the ones a run uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isolate.h"
#include "runner.h"
#include "tool.h"

/* Every backend; add a new one here. */
static const struct runner_ops *const table[] = {
	&runner_local,
	&runner_slurm,
	&runner_isolated,
	&runner_host,
};
#define NTABLE	(sizeof(table) / sizeof(table[0]))

const struct runner_ops *
runner_lookup(const char *name)
{
	size_t i;

	for (i = 0; name && i < NTABLE; i++)
		if (strcmp(table[i]->name, name) == 0)
			return table[i];
	return NULL;
}

static int
probe(struct runner *rn, char **msg)
{
	int code;

	if (rn->probed)
		return 0;
	*msg = NULL;
	if (rn->ops->init && (code = rn->ops->init(rn, msg)) != 0)
		return code;
	rn->probed = true;
	return 0;
}

static struct runner *
by_ops(struct runners *rs, const struct runner_ops *ops)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->v[i].ops == ops)
			return &rs->v[i];
	return NULL;
}

static int
probe_named(struct runners *rs, struct ir_step **steps, size_t n, char **msg)
{
	struct runner *rn;
	size_t i;
	int code;

	for (i = 0; i < n; i++) {
		const char *name = ir_more(steps[i])->runner;

		if (name && (rn = by_ops(rs, runner_lookup(name))) &&
		    (code = probe(rn, msg)) != 0)
			return code;
		if (steps[i]->nsteps && (code = probe_named(rs,
		    steps[i]->steps, steps[i]->nsteps, msg)) != 0)
			return code;
	}
	return 0;
}

int
runners_init(struct runners *rs, const char *dflt,
    const struct runner_run *run, char **msg)
{
	const struct runner_ops *ops = runner_lookup(dflt ? dflt : "local");
	size_t i;
	int code;

	memset(rs, 0, sizeof(*rs));
	*msg = NULL;
	rs->run = *run;
	rs->v = xcalloc(NTABLE, sizeof(*rs->v));
	rs->n = NTABLE;
	for (i = 0; i < NTABLE; i++) {
		rs->v[i].ops = table[i];
		rs->v[i].run = &rs->run;
	}
	if (!ops) {
		size_t len = strlen(dflt) + 32;

		*msg = xmalloc(len);
		snprintf(*msg, len, "unknown runner '%s'", dflt);
		return EXIT_USAGE;
	}
	rs->dflt = by_ops(rs, ops);
	if ((code = probe(rs->dflt, msg)) != 0)
		return code;
	return run->doc ? probe_named(rs, run->doc->steps, run->doc->nsteps,
	    msg) : 0;
}

struct runner *
runners_for(struct runners *rs, const struct ir_step *step, char **msg)
{
	const char *name = step ? ir_more(step)->runner : NULL;
	struct runner *rn = NULL;

	*msg = NULL;
	if (name)
		rn = by_ops(rs, runner_lookup(name));
	if (!rn)
		rn = rs->dflt;
	if (probe(rn, msg) != 0)
		return NULL;
	return rn;
}

struct runner *
runners_local(struct runners *rs, char **msg)
{
	struct runner *rn = by_ops(rs, &runner_local);

	*msg = NULL;
	if (!rn || probe(rn, msg) != 0)
		return NULL;
	return rn;
}

void
runners_settle(struct runners *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->v[i].probed && rs->v[i].ops->settle)
			rs->v[i].ops->settle(&rs->v[i]);
}

void
runners_release(struct runners *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->v[i].probed && rs->v[i].ops->teardown)
			rs->v[i].ops->teardown(&rs->v[i]);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}
