/* hm: the outputs sink: HM_OUTPUTS, the JSON file of every step's outputs. */
#include <errno.h>
#include <stdlib.h>

#include "file.h"
#include "sink.h"
#include "tool.h"

/* Written, when changed, before a step starts, so that it sees the
 * outputs of every step finished before it, and at the end of the run,
 * so that it has the last steps' too. */
struct outputs_sink {
	struct outputs *o;
	const char *path;
	int err;		/* the first write error, or 0 */
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
outputs_flush(struct outputs_sink *os)
{
	char *text;
	size_t len;

	if (!os->o->dirty)
		return;
	if (outputs_json(os->o, &text, &len) < 0 ||
	    file_write_atomic(os->path, text, len) < 0) {
		if (!os->err)
			os->err = errno ? errno : EIO;
		warnf("cannot write '%s':", os->path);
	}
	free(text);
}

static void
outputs_step_started(struct sink *k, struct step *s)
{
	(void)s;
	outputs_flush(k->state);
}

static int
outputs_run_finished(struct sink *k, int code)
{
	struct outputs_sink *os = k->state;

	(void)code;
	outputs_flush(os);
	return os->err ? EXIT_IOERR : 0;
}

static void
outputs_release_sink(struct sink *k)
{
	free(k->state);
}

const struct sink_ops sink_outputs_ops = {
	.name = "outputs",
	.step_started = outputs_step_started,
	.run_finished = outputs_run_finished,
	.release = outputs_release_sink,
};
