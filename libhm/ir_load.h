/* hm: JSON tree to IR model, for v1, legacy v0 (both shapes) and envelopes. */
#ifndef HM_IR_LOAD_H
#define HM_IR_LOAD_H

#include "diag.h"
#include "ir.h"

struct json_doc;

struct ir_load_opts {
	const char *pipeline;	/* envelope pipeline slug, or NULL */
};

/*
 * Build the IR model of a parsed JSON document, migrating v0 to v1.
 * Takes ownership of json in every case (the new document keeps it, or
 * it is released). Checks the type and shape of every field, unknown
 * fields (an error in v1, a warning in v0) and the well-formedness of
 * keys and names; the graph rules are ir_check's. Returns the document,
 * or NULL after recording errors.
 */
struct ir_doc *ir_load(struct json_doc *json, const struct ir_load_opts *opts,
    struct diag_list *diags);

/*
 * Read, parse and load a whole file descriptor. file names it in
 * diagnostics. NULL after recording errors; *io_error is set to errno if
 * reading failed (exit 74 rather than 65).
 */
struct ir_doc *ir_load_fd(int fd, const char *file,
    const struct ir_load_opts *opts, struct diag_list *diags, int *io_error);

/*
 * The same, from text read by json_read_fd (or malloc'd with 2 spare
 * bytes), which it takes over.
 */
struct ir_doc *ir_load_text(char *text, size_t size, const char *file,
    const struct ir_load_opts *opts, struct diag_list *diags);

/* The same, from memory (copied): for fragments read from a baker. */
struct ir_doc *ir_load_buf(const char *buf, size_t len, const char *file,
    const struct ir_load_opts *opts, struct diag_list *diags);

#endif
