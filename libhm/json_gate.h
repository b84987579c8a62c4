/* hm: jsmn's pass over a JSON text, beside the reader's own (private). */
#ifndef HM_JSON_GATE_H
#define HM_JSON_GATE_H

#include <stddef.h>

/*
 * jsmn must accept every document the reader accepts. Its counting pass
 * only reads the text, so on a large text it runs on a thread of its own
 * while the reader parses; the reader decodes strings in place, so it
 * writes only behind the point jsmn has passed (json_gate_wait). On a
 * small text jsmn runs at once, and its count sizes the node array.
 */
struct json_gate;

/* json_gate_start's result while jsmn runs on its thread. */
#define JSON_GATE_RUNNING	(-100)

/*
 * Start jsmn over text[0..len), which must stay unchanged at and after
 * the offsets json_gate_wait has not yet passed. *gp gets the gate (NULL
 * if memory ran out: then -1). Returns jsmn's count or error if it ran
 * at once, JSON_GATE_RUNNING if it runs beside the caller.
 */
int json_gate_start(struct json_gate **gp, const char *text, size_t len);
/*
 * Wait until jsmn has read past offset off. Returns an offset up to which
 * (excluded) the caller may now write: above off, or SIZE_MAX.
 */
size_t json_gate_wait(struct json_gate *g, size_t off);
/*
 * Stop jsmn if cancel (the reader rejected the text), else let it
 * finish; free the gate. Returns jsmn's result (>= 0: accepted; nothing
 * if cancelled), and in *pos where it stopped.
 */
int json_gate_finish(struct json_gate *g, int cancel, size_t *pos);

#endif
