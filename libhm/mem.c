/* hm: advice to the kernel about large buffers. */
#define _DEFAULT_SOURCE		/* MADV_HUGEPAGE */
#include <sys/mman.h>

#include <stdint.h>

#include "mem.h"

#define HUGE_PAGE	((uintptr_t)2 << 20)

void
mem_advise_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t b = ((uintptr_t)p + n) & ~(HUGE_PAGE - 1);

	if (b > a)
		(void)madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
	(void)p;
	(void)n;
#endif
}
