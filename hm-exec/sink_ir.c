/* hm: the --emit-ir sink: the document as expanded, written at the end. */
#include <stdlib.h>

#include "file.h"
#include "ir_write.h"
#include "jsonw.h"
#include "sink.h"
#include "tool.h"

struct ir_sink {
	const char *path;
	struct ir_doc *const *doc;	/* the run's, as it is at the end */
};

void *
sink_ir_new(const char *path, struct ir_doc *const *doc)
{
	struct ir_sink *is = xcalloc(1, sizeof(*is));

	is->path = path;
	is->doc = doc;
	return is;
}

static int
ir_run_finished(struct sink *k, int code)
{
	struct ir_sink *is = k->state;
	struct jsonw w;
	char *s = NULL;
	size_t len = 0;
	int ret;

	(void)code;
	jsonw_init(&w, -1, 2);
	ir_write(*is->doc, &w);
	ret = jsonw_finish(&w, &s, &len);
	if (ret == 0)
		ret = file_write_atomic(is->path, s, len);
	free(s);
	if (ret < 0) {
		warnf("cannot write '%s':", is->path);
		return EXIT_IOERR;
	}
	return 0;
}

static void
ir_release(struct sink *k)
{
	free(k->state);
}

const struct sink_ops sink_ir_ops = {
	.name = "ir",
	.run_finished = ir_run_finished,
	.release = ir_release,
};
