/* hm: the one string hash of the tree (FNV-1a, 64 bits), for hash tables. */
#ifndef HM_HASH_H
#define HM_HASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * FNV-1a: a byte at a time, good enough spread for keys and names in the
 * low bits a table masks, and short enough to inline in the loops that
 * index every key of a document. Not for anything an attacker could
 * collide on purpose to any gain: the tables probe linearly and stay
 * correct, only slower.
 */
#define HASH_FNV_OFFSET	0xcbf29ce484222325u
#define HASH_FNV_PRIME	0x100000001b3u

/* The hash of the n bytes at p. */
static inline uint64_t
hash_mem(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = HASH_FNV_OFFSET;

	while (n--)
		h = (h ^ *s++) * HASH_FNV_PRIME;
	return h;
}

/* The hash of the string s (its bytes up to the NUL). */
static inline uint64_t
hash_str(const char *s)
{
	uint64_t h = HASH_FNV_OFFSET;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * HASH_FNV_PRIME;
	return h;
}

#endif
