/* hm: advice to the kernel about large buffers. */
#ifndef HM_MEM_H
#define HM_MEM_H

#include <stddef.h>

/*
 * Ask for transparent huge pages over the 2 MiB-aligned part of the fresh
 * buffer p[0..n), before it is touched: a 30 MB document otherwise costs
 * tens of thousands of page faults, a fifth of hm-lower's time. Advice
 * only: ignored where the kernel has no such pages or the buffer is
 * small, and never an error.
 */
void mem_advise_huge(void *p, size_t n);

#endif
