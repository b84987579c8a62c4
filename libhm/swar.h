/* hm: eight bytes at a time: the fast paths of the byte loops. */
#ifndef HM_SWAR_H
#define HM_SWAR_H

#include <stdint.h>
#include <string.h>

/*
 * The classic bit tricks on a 64-bit word (one byte per lane). Each
 * answers "is there any such byte" exactly, which is all the callers ask:
 * a word with none is skipped whole; a word with some goes through the
 * byte loop. Only the question of which byte may be off (a borrow marks
 * lanes above a true hit), and nobody asks it.
 */
#define SWAR_ONES	0x0101010101010101ull
#define SWAR_HIGHS	0x8080808080808080ull

static inline uint64_t
swar_load(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* Nonzero if some byte of w equals c. */
static inline uint64_t
swar_has_byte(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (SWAR_ONES * c);

	return (x - SWAR_ONES) & ~x & SWAR_HIGHS;
}

/* Nonzero if some byte of w is below n (n <= 128). */
static inline uint64_t
swar_has_less(uint64_t w, unsigned char n)
{
	return (w - SWAR_ONES * n) & ~w & SWAR_HIGHS;
}

/* How many bytes of w are UTF-8 continuation bytes (10xxxxxx). */
static inline unsigned
swar_count_cont(uint64_t w)
{
	uint64_t m = (w & ~(w << 1) & SWAR_HIGHS) >> 7;

	/* one 0 or 1 per lane; the multiply sums the lanes into the top */
	return (unsigned)((m * SWAR_ONES) >> 56);
}

#endif
