/* hm: text from a document made safe to print on a terminal. */
#ifndef HM_ESC_H
#define HM_ESC_H

#include <stddef.h>

struct arena;

/*
 * Labels, keys, names and headers come from the IR or the definition, and
 * a terminal obeys the control characters in them (set the title, clear
 * the screen, move the cursor back over a line and forge a 'passed'). So
 * everything hm prints from a document, not the output of steps, goes
 * through here first:
 *
 *	\n \r \t			as those two characters
 *	other C0 controls, DEL, NUL	\xHH
 *	C1 controls (U+0080..U+009F)	\u00HH
 *	a byte that is not UTF-8	\xHH
 *
 * Everything else is copied, backslashes too (a label 'C:\x' stays as
 * it is): the rendering is for eyes, the document keeps the bytes.
 */

/*
 * The length of the UTF-8 sequence at s[0..len), or 0 if it is not one
 * (overlong forms, surrogates, values beyond U+10FFFF, a sequence cut
 * by len, and len 0 are not). For every writer of a format that wants
 * UTF-8 (XML, HTML, JSON).
 */
size_t esc_utf8_seq(const char *s, size_t len);
/* The length of the longest prefix of s[0..len) that is valid UTF-8. */
size_t esc_utf8_valid(const char *s, size_t len);
/* Whether s[0..len) has anything to escape. */
int esc_needed(const char *s, size_t len);
/* The length of the escaped form of s[0..len), without a NUL. */
size_t esc_len(const char *s, size_t len);
/* Write the escaped form and a NUL to dst (esc_len + 1 bytes); dst. */
char *esc_write(char *dst, const char *s, size_t len);
/*
 * s[0..len) as a NUL-terminated string that is safe to print: s itself
 * if it has nothing to escape and no NUL terminates it anywhere else,
 * else a copy from the arena. NULL if memory ran out.
 */
const char *esc_arena(struct arena *a, const char *s, size_t len);
/*
 * Into buf[0..size) (size >= 4): the escaped form, cut to fit and ended
 * with "..." if it did not. Returns buf. For messages that quote a name.
 */
char *esc_buf(char *buf, size_t size, const char *s, size_t len);

#endif
