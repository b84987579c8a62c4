/* hm: hm-exec as a client of GNU make's jobserver (make -jN). */
#ifndef HM_EXEC_JOBSERVER_H
#define HM_EXEC_JOBSERVER_H

#include <stddef.h>

/*
 * Under `make -jN`, make hands its children a pool of N-1 tokens, one
 * byte each, in a pipe (--jobserver-auth=R,W: GNU make 4.2 and later,
 * and the fd form --jobserver-fds of older ones) or a named fifo
 * (--jobserver-auth=fifo:PATH: GNU make 4.4 and later) given in
 * MAKEFLAGS. Every process of the build owns one implicit job; each job
 * beyond it takes a token first and writes it back when it ends, so
 * that all of them together never run more than N jobs. ninja (1.13)
 * and cargo do the same.
 *
 * Reads never block: a fifo is opened on a descriptor of our own, and
 * make's pipe is reopened through /proc/self/fd so that O_NONBLOCK is
 * ours alone (failing that, the shared descriptor is made non-blocking;
 * make 4.x copes). Never prints, never exits.
 */
struct jobserver {
	int rfd, wfd;		/* -1: no jobserver */
	int own_r;		/* rfd (and wfd, if the same) is ours */
	char *held;		/* the bytes of the tokens taken */
	size_t nheld, cap;
	long make_jobs;		/* -jN in MAKEFLAGS, 0 if absent */
};

/*
 * Find the jobserver in makeflags (MAKEFLAGS; NULL: none). Returns 1 if
 * there is one and it can be used, 0 if there is none, -1 if MAKEFLAGS
 * names one that cannot be used (its descriptors are closed, as for a
 * recipe not marked '+', or the fifo cannot be opened): *why says which.
 * js->make_jobs is set in every case.
 */
int jobserver_open(struct jobserver *js, const char *makeflags,
    const char **why);

/* Take a token without blocking: 1 taken, 0 none free now. */
int jobserver_take(struct jobserver *js);

/* Give back the last token taken (if any is held). */
void jobserver_give(struct jobserver *js);

/* How many tokens are held. */
size_t jobserver_held(const struct jobserver *js);

/* The descriptor to poll for a token, or -1. */
int jobserver_fd(const struct jobserver *js);

/* Give every token back and close what was opened. */
void jobserver_close(struct jobserver *js);

#endif
