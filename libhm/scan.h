/* hm: a block of bytes at a time: where a string's byte loop must stop. */
#ifndef HM_SCAN_H
#define HM_SCAN_H

#include <stdint.h>
#include <string.h>

#include "swar.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/*
 * The JSON reader and writer spend most of their time walking strings
 * whose bytes need no work. These find, in one block of SCAN_WIDTH bytes,
 * the offset of the first byte that does (SCAN_WIDTH if there is none):
 * sixteen bytes with SSE2 (every x86-64), else eight with the word tricks
 * of swar.h. The caller guarantees that all SCAN_WIDTH bytes at p are
 * readable; a block may run past the end of the string, since what ends
 * a string (its quote, or the caller's length) is checked by the caller.
 *
 *	scan_str_stop	'"', '\\', a control character, or a byte >= 0x80:
 *			what the reader must look at in a JSON string
 *	scan_esc_stop	'"', '\\' or a control character: what the writer
 *			must escape (UTF-8 is written as it is)
 *	scan_dec_stop	'"' or '\\': where decoding a checked string must
 *			stop copying
 */
#if defined(__SSE2__)
#define SCAN_WIDTH	16

static inline unsigned
scan_first(unsigned mask)
{
	return mask ? (unsigned)__builtin_ctz(mask) : SCAN_WIDTH;
}

static inline unsigned
scan_str_stop(const unsigned char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	/* signed: bytes >= 0x80 are negative, so below 0x20 too */
	__m128i m = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
	    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

	return scan_first((unsigned)_mm_movemask_epi8(m));
}

static inline unsigned
scan_esc_stop(const unsigned char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	/* unsigned v <= 0x1f: the minimum of v and 0x1f is v */
	__m128i lo = _mm_set1_epi8(0x1f);
	__m128i m = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, lo), v),
	    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

	return scan_first((unsigned)_mm_movemask_epi8(m));
}

/*
 * Decoding a string with escapes: the offset of the first '"' or '\\'
 * (SCAN_WIDTH if none), and in *chars the characters before it (the
 * bytes that are not UTF-8 continuation bytes).
 */
static inline unsigned
scan_dec_stop(const unsigned char *p, unsigned *chars)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	    _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
	unsigned c = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
	    _mm_and_si128(v, _mm_set1_epi8((char)0xc0)),
	    _mm_set1_epi8((char)0x80)));
	unsigned n = scan_first(m);

	if (n < SCAN_WIDTH)
		c &= (1u << n) - 1;
	/* the bits set in 16 (no popcnt instruction in the base x86-64) */
	c = c - ((c >> 1) & 0x5555);
	c = (c & 0x3333) + ((c >> 2) & 0x3333);
	c = (c + (c >> 4)) & 0x0f0f;
	*chars = n - ((c + (c >> 8)) & 0x1f);
	return n;
}

#else
#define SCAN_WIDTH	8

/*
 * The word tricks mark every true hit and may mark lanes above one (a
 * borrow), never below: on a little-endian machine the lowest marked
 * lane is the first hit. Elsewhere a marked word is searched byte by
 * byte.
 */
static inline unsigned
scan_first(uint64_t mask, const unsigned char *p, int esc)
{
	unsigned i;

	if (!mask)
		return SCAN_WIDTH;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	(void)p;
	(void)esc;
	i = (unsigned)__builtin_ctzll(mask) / 8;
#else
	for (i = 0; i < SCAN_WIDTH; i++)
		if (p[i] < 0x20 || p[i] == '"' || p[i] == '\\' ||
		    (!esc && p[i] >= 0x80))
			break;
#endif
	return i;
}

static inline unsigned
scan_str_stop(const unsigned char *p)
{
	uint64_t w = swar_load(p);

	return scan_first((w & SWAR_HIGHS) | swar_has_less(w, 0x20) |
	    swar_has_byte(w, '"') | swar_has_byte(w, '\\'), p, 0);
}

static inline unsigned
scan_esc_stop(const unsigned char *p)
{
	uint64_t w = swar_load(p);

	return scan_first(swar_has_less(w, 0x20) | swar_has_byte(w, '"') |
	    swar_has_byte(w, '\\'), p, 1);
}

static inline unsigned
scan_dec_stop(const unsigned char *p, unsigned *chars)
{
	unsigned i, c = 0;

	for (i = 0; i < SCAN_WIDTH && p[i] != '"' && p[i] != '\\'; i++)
		c += (p[i] & 0xc0) != 0x80;
	*chars = c;
	return i;
}
#endif

#endif
