/* hm: canonical IR v1 output. */
#ifndef HM_IR_WRITE_H
#define HM_IR_WRITE_H

#include "ir.h"
#include "jsonw.h"

/*
 * Write doc as canonical IR v1: fields in the order of ir-spec/, optional
 * fields exactly when present, a newline at the end. Errors stick in w
 * (see jsonw_finish).
 */
void ir_write(const struct ir_doc *doc, struct jsonw *w);
/* One step (and its members) as a JSON object. */
void ir_write_step(const struct ir_step *step, struct jsonw *w);
/*
 * Free-form JSON (node i of j), copied node by node: numbers keep their
 * text, keys their every byte ("a\u0000b" is a key).
 */
void ir_write_json(const struct json_doc *j, uint32_t i, struct jsonw *w);

#endif
