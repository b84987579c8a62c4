/* hm: secret values replaced by *** in a stream of bytes. */
#ifndef HM_MASK_H
#define HM_MASK_H

#include <stddef.h>

/*
 * The values of a step's secret_env are masked wherever hm writes what
 * the step printed or what is known about it. Values shorter than
 * MASK_MIN bytes are not masked: "1", "true" or "yes" would turn half of
 * every log into ***. A value with several lines is masked whole, and
 * each of its lines of MASK_MIN bytes or more on its own too (a tool may
 * print it line by line, or with \r\n).
 *
 * Masking is done on the stream as it arrives, before anything stores or
 * prints it (terminal, log, failure tail, events, JUnit), so a secret is
 * caught when it is split across two writes of the step, or across the
 * lines of the tail's ring buffer: a stream holds back the few bytes at
 * the end of a write that may begin a secret (fewer than the longest
 * secret) until the next write or the end of the stream says.
 *
 * Matches are leftmost, and the longest secret wins at one position.
 */
#define MASK_MIN	6
#define MASK_TEXT	"***"

struct mask;

/* A stream's state: the bytes held back. MASK_STREAM_INIT on the stack. */
struct mask_stream {
	char *held;
	size_t nheld, cap;
};

#define MASK_STREAM_INIT { NULL, 0, 0 }

/* Where masked bytes go. */
typedef void mask_emit_fn(void *ctx, const char *p, size_t n);

/*
 * A masker for the values v[0..n) (copied; short ones and duplicates
 * are dropped). NULL if memory ran out. A masker with no value passes
 * everything through unchanged.
 */
struct mask *mask_new(const char *const *v, size_t n);
void mask_free(struct mask *m);
/* Whether m masks anything. */
int mask_active(const struct mask *m);

/* Mask buf[0..n), the next bytes of stream s, into emit. 0, or -1 if
 * memory ran out (then buf was emitted masked as far as known). */
int mask_write(const struct mask *m, struct mask_stream *s, const char *buf,
    size_t n, mask_emit_fn *emit, void *ctx);
/* The stream ended: emit what was held back, release s. */
void mask_flush(const struct mask *m, struct mask_stream *s,
    mask_emit_fn *emit, void *ctx);

/*
 * A masked copy of s[0..n), NUL-terminated, from malloc (*outlen gets
 * its length; may be NULL): for labels, messages, reports. NULL if
 * memory ran out.
 */
char *mask_string(const struct mask *m, const char *s, size_t n,
    size_t *outlen);

#endif
