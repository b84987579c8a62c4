/* hm: hm-exec's sinks: the list, and each event sent to every sink. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sink.h"
#include "tool.h"

void
sinks_add(struct sinks *ks, const struct sink_ops *ops, void *state)
{
	if (ks->n == SINK_MAX)
		dief(EXIT_SOFTWARE, "internal error: more than %d sinks",
		    SINK_MAX);
	ks->v[ks->n].ops = ops;
	ks->v[ks->n].run = &ks->run;
	ks->v[ks->n].state = state;
	ks->n++;
}

/* Call op on every sink that has it. */
#define EACH(ks, op, ...) do {						\
	size_t i_;							\
	for (i_ = 0; i_ < (ks)->n; i_++)				\
		if ((ks)->v[i_].ops->op)				\
			(ks)->v[i_].ops->op(&(ks)->v[i_], __VA_ARGS__);	\
} while (0)

int
sinks_run_started(struct sinks *ks)
{
	size_t i;
	int code;

	for (i = 0; i < ks->n; i++)
		if (ks->v[i].ops->run_started &&
		    (code = ks->v[i].ops->run_started(&ks->v[i], &ks->run)))
			return code;
	return 0;
}

void
sinks_step_started(struct sinks *ks, struct step *s)
{
	EACH(ks, step_started, s);
}

void
sinks_step_output(struct sinks *ks, struct step *s, const char *buf, size_t n)
{
	EACH(ks, step_output, s, buf, n);
}

void
sinks_step_note(struct sinks *ks, struct step *s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	EACH(ks, step_note, s, buf);
}

void
sinks_step_fragment(struct sinks *ks, struct step *s, const char *buf,
    size_t n)
{
	EACH(ks, step_fragment, s, buf, n);
}

void
sinks_step_finished(struct sinks *ks, struct step *s, bool ran)
{
	EACH(ks, step_finished, s, ran);
}

void
sinks_step_expanded(struct sinks *ks, struct step *s,
    const char *const *keys, size_t n)
{
	EACH(ks, step_expanded, s, keys, n);
}

void
sinks_diags(struct sinks *ks, const struct diag_list *dl)
{
	EACH(ks, diags, dl);
}

void
sinks_tick(struct sinks *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (ks->v[i].ops->tick)
			ks->v[i].ops->tick(&ks->v[i]);
}

int
sinks_run_finished(struct sinks *ks, int code)
{
	size_t i;
	int c, first = 0;

	for (i = 0; i < ks->n; i++)
		if (ks->v[i].ops->run_finished &&
		    (c = ks->v[i].ops->run_finished(&ks->v[i], code)) &&
		    !first)
			first = c;
	return first;
}

void
sinks_release(struct sinks *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (ks->v[i].ops->release)
			ks->v[i].ops->release(&ks->v[i]);
	ks->n = 0;
}
