/* hm: the outputs sink: HM_OUTPUTS, the JSON file of every step's outputs. */
#include <stdlib.h>

#include "file.h"
#include "sink.h"
#include "tool.h"

/* Written, when changed, before a step starts, so that it sees the
 * outputs of every step finished before it. */
struct outputs_sink {
	struct outputs *o;
	const char *path;
};

void *
sink_outputs_new(struct outputs *o, const char *path)
{
	struct outputs_sink *os = xcalloc(1, sizeof(*os));

	os->o = o;
	os->path = path;
	return os;
}

static void
outputs_step_started(struct sink *k, struct step *s)
{
	struct outputs_sink *os = k->state;
	char *text;
	size_t len;

	(void)s;
	if (!os->o->dirty)
		return;
	if (outputs_json(os->o, &text, &len) < 0 ||
	    file_write_atomic(os->path, text, len) < 0)
		warnf("cannot write '%s':", os->path);
	free(text);
}

static void
outputs_release_sink(struct sink *k)
{
	free(k->state);
}

const struct sink_ops sink_outputs_ops = {
	.name = "outputs",
	.step_started = outputs_step_started,
	.release = outputs_release_sink,
};
