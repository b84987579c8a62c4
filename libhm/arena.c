/* hm: arena allocation. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "mem.h"

#define ARENA_BLOCK (64 * 1024)
#define ARENA_BLOCK_MAX (8 * 1024 * 1024)
/*
 * What is kept in an arena: pointers, integers up to 64 bits, doubles.
 * Not max_align_t, whose 16 bytes (for long double) would round up every
 * step record and every short string.
 */
union arena_word {
	void *p;
	void (*f)(void);
	long long ll;
	double d;
};
#define ARENA_ALIGN (_Alignof(union arena_word))

struct block {
	struct block *next;
	size_t size, used;
	max_align_t data[];
};

struct arena {
	struct block *head;	/* current block; older ones follow */
	size_t total;
};

struct arena *
arena_new(void)
{
	return calloc(1, sizeof(struct arena));
}

void
arena_free(struct arena *a)
{
	struct block *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

static struct block *
block_new(size_t size)
{
	struct block *b;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	mem_advise_huge(b, sizeof(*b) + size);
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

/*
 * A new block is a quarter of what the arena holds, between 64 KiB and
 * 8 MiB: a large document takes a few hundred blocks, not thousands, and
 * its big blocks can be backed by huge pages.
 */
static size_t
block_size(const struct arena *a)
{
	size_t n = a->total / 4;

	if (n < ARENA_BLOCK)
		return ARENA_BLOCK;
	if (n > ARENA_BLOCK_MAX)
		return ARENA_BLOCK_MAX;
	return n;
}

void *
arena_alloc(struct arena *a, size_t size)
{
	struct block *b;
	size_t need;

	if (size > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	need = (size + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN;
	b = a->head;
	if (!b || b->size - b->used < need) {
		/* A large request gets its own block behind the current one,
		 * so the current block's free space is not wasted. */
		if (need > ARENA_BLOCK / 4) {
			b = block_new(need);
			if (!b)
				return NULL;
			if (a->head) {
				b->next = a->head->next;
				a->head->next = b;
			} else {
				a->head = b;
			}
			b->used = need;
			a->total += need;
			return b->data;
		}
		b = block_new(block_size(a));
		if (!b)
			return NULL;
		b->next = a->head;
		a->head = b;
	}
	b->used += need;
	a->total += need;
	return (char *)b->data + b->used - need;
}

void *
arena_calloc(struct arena *a, size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = arena_alloc(a, n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

int
arena_grow(struct arena *a, void *vp, size_t n, size_t size)
{
	void *old, *v;
	size_t cap;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return 0;	/* below the capacity, which is a power of 2 */
	cap = n ? 2 * n : 4;
	if (cap > SIZE_MAX / size || !(v = arena_alloc(a, cap * size)))
		return -1;
	memcpy(&old, vp, sizeof(old));
	if (n)
		memcpy(v, old, n * size);
	memcpy(vp, &v, sizeof(v));
	return 0;
}

void
arena_combine(struct arena *dst, struct arena *src)
{
	struct block *b;

	if (!src)
		return;
	if (src->head) {
		for (b = src->head; b->next; b = b->next)
			;
		/* src's blocks go behind dst's current block, which stays
		 * the one new allocations come from. */
		if (dst->head) {
			b->next = dst->head->next;
			dst->head->next = src->head;
		} else {
			dst->head = src->head;
		}
	}
	dst->total += src->total;
	free(src);
}

size_t
arena_used(const struct arena *a)
{
	return a->total;
}
