/* hm: hm-exec as a client of GNU make's jobserver (make -jN). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobserver.h"

/*
 * MAKEFLAGS holds make's flags as words separated by spaces, the single
 * letters first without a dash ("k -j4 --jobserver-auth=3,4"); a
 * backslash escapes a space in a value. The last --jobserver-auth (or
 * --jobserver-fds) wins, as in make.
 */
static const char *
word_value(const char *w, size_t n, const char *opt)
{
	size_t k = strlen(opt);

	return n > k && strncmp(w, opt, k) == 0 ? w + k : NULL;
}

static int
parse_fds(const char *s, size_t n, int *r, int *w)
{
	char buf[64], *end;
	long a, b;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	a = strtol(buf, &end, 10);
	if (errno || end == buf || *end != ',' || a < 0 || a > INT_MAX)
		return -1;
	b = strtol(end + 1, &end, 10);
	if (errno || *end || b < 0 || b > INT_MAX)
		return -1;
	*r = (int)a;
	*w = (int)b;
	return 0;
}

/* A descriptor of our own on the pipe behind fd, non-blocking. */
static int
reopen_nonblocking(int fd, int flags, int *own)
{
	char path[64];
	int nfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
	if (nfd >= 0) {
		*own = 1;
		return nfd;
	}
	*own = 0;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -1;
	return fd;
}

int
jobserver_open(struct jobserver *js, const char *makeflags, const char **why)
{
	const char *p = makeflags, *auth = NULL, *v;
	size_t authlen = 0, n;
	int r, w, own;

	memset(js, 0, sizeof(*js));
	js->rfd = js->wfd = -1;
	*why = NULL;
	if (!p)
		return 0;
	/* the words; the first may be single letters without a dash */
	while (*p) {
		while (*p == ' ')
			p++;
		for (n = 0; p[n] && p[n] != ' '; n++)
			if (p[n] == '\\' && p[n + 1])
				n++;
		if ((v = word_value(p, n, "--jobserver-auth=")) ||
		    (v = word_value(p, n, "--jobserver-fds="))) {
			auth = v;
			authlen = n - (size_t)(v - p);
		} else if (n > 2 && p[0] == '-' && p[1] == 'j' &&
		    p[2] >= '0' && p[2] <= '9') {
			js->make_jobs = strtol(p + 2, NULL, 10);
		}
		p += n;
	}
	if (!auth)
		return 0;
	if (authlen > 5 && strncmp(auth, "fifo:", 5) == 0) {
		char *path = strndup(auth + 5, authlen - 5);

		if (!path) {
			*why = "out of memory";
			return -1;
		}
		/* read and write on one descriptor of our own */
		r = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		free(path);
		if (r < 0) {
			*why = "its fifo cannot be opened";
			return -1;
		}
		js->rfd = js->wfd = r;
		js->own_r = 1;
		return 1;
	}
	if (parse_fds(auth, authlen, &r, &w) < 0) {
		*why = "MAKEFLAGS has a --jobserver-auth hm-exec does not "
		    "understand";
		return -1;
	}
	if (fcntl(r, F_GETFD) < 0 || fcntl(w, F_GETFD) < 0) {
		*why = "make closed its pipe";
		return -1;
	}
	js->rfd = reopen_nonblocking(r, O_RDONLY, &own);
	if (js->rfd < 0) {
		*why = "its pipe cannot be read without blocking";
		return -1;
	}
	js->own_r = own;
	js->wfd = w;
	return 1;
}

int
jobserver_take(struct jobserver *js)
{
	char c;
	ssize_t got;

	if (js->rfd < 0)
		return 0;
	do
		got = read(js->rfd, &c, 1);
	while (got < 0 && errno == EINTR);
	if (got != 1)
		return 0;
	if (js->nheld == js->cap) {
		size_t cap = js->cap ? 2 * js->cap : 16;
		char *h = realloc(js->held, cap);

		if (!h) {
			/* cannot remember it: give it back at once */
			while (write(js->wfd, &c, 1) < 0 && errno == EINTR)
				;
			return 0;
		}
		js->held = h;
		js->cap = cap;
	}
	js->held[js->nheld++] = c;
	return 1;
}

void
jobserver_give(struct jobserver *js)
{
	char c;

	if (js->nheld == 0)
		return;
	c = js->held[--js->nheld];
	/* a token lost is a job slot make never gets back: retry EINTR */
	while (write(js->wfd, &c, 1) < 0 && errno == EINTR)
		;
}

size_t
jobserver_held(const struct jobserver *js)
{
	return js->nheld;
}

int
jobserver_fd(const struct jobserver *js)
{
	return js->rfd;
}

void
jobserver_close(struct jobserver *js)
{
	while (js->nheld)
		jobserver_give(js);
	if (js->own_r && js->rfd >= 0)
		close(js->rfd);
	free(js->held);
	js->held = NULL;
	js->cap = 0;
	js->rfd = js->wfd = -1;
	js->own_r = 0;
}
