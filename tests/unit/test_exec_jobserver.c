/* hm: unit tests for hm-exec's jobserver client: MAKEFLAGS, pipe, fifo. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobserver.h"

/* A pipe holding n tokens, as make -j(n+1) makes it. */
static void
make_pipe(int p[2], int n)
{
	assert_int_equal(pipe(p), 0);
	while (n-- > 0)
		assert_int_equal(write(p[1], "+", 1), 1);
}

static size_t
pending(int fd)
{
	char buf[64];
	ssize_t got;
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	got = read(fd, buf, sizeof(buf));
	fcntl(fd, F_SETFL, fl);
	return got > 0 ? (size_t)got : 0;
}

static void
test_none(void **state)
{
	struct jobserver js;
	const char *why;

	(void)state;
	assert_int_equal(jobserver_open(&js, NULL, &why), 0);
	assert_int_equal(jobserver_open(&js, "", &why), 0);
	assert_int_equal(jobserver_open(&js, "k -j4", &why), 0);
	assert_int_equal(js.make_jobs, 4);
	assert_int_equal(jobserver_take(&js), 0);
	assert_int_equal(jobserver_fd(&js), -1);
	jobserver_close(&js);
}

static void
test_pipe(void **state)
{
	struct jobserver js;
	const char *why;
	char flags[128];
	int p[2], i;

	(void)state;
	make_pipe(p, 3);
	snprintf(flags, sizeof(flags), "k -j4 --jobserver-auth=%d,%d", p[0],
	    p[1]);
	assert_int_equal(jobserver_open(&js, flags, &why), 1);
	assert_int_equal(js.make_jobs, 4);
	for (i = 0; i < 3; i++)
		assert_int_equal(jobserver_take(&js), 1);
	/* the pool is empty: no token, and no blocking */
	assert_int_equal(jobserver_take(&js), 0);
	assert_int_equal(jobserver_held(&js), 3);
	jobserver_give(&js);
	assert_int_equal(jobserver_held(&js), 2);
	assert_int_equal(jobserver_take(&js), 1);
	/* closing gives every token back, and leaves make's pipe open */
	jobserver_close(&js);
	assert_true(fcntl(p[0], F_GETFD) >= 0);
	assert_int_equal(pending(p[0]), 3);
	/* make's descriptor itself stays blocking when it could be
	 * reopened */
	assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	close(p[0]);
	close(p[1]);
}

static void
test_old_fds_form(void **state)
{
	struct jobserver js;
	const char *why;
	char flags[128];
	int p[2];

	(void)state;
	make_pipe(p, 1);
	snprintf(flags, sizeof(flags), " -j2 --jobserver-fds=%d,%d", p[0],
	    p[1]);
	assert_int_equal(jobserver_open(&js, flags, &why), 1);
	assert_int_equal(jobserver_take(&js), 1);
	assert_int_equal(jobserver_take(&js), 0);
	jobserver_close(&js);
	assert_int_equal(pending(p[0]), 1);
	close(p[0]);
	close(p[1]);
}

static void
test_fifo(void **state)
{
	struct jobserver js;
	const char *why;
	char dir[] = "/tmp/hm-js.XXXXXX", path[64], flags[128];
	int w;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	w = open(path, O_RDWR);
	assert_true(w >= 0);
	assert_int_equal(write(w, "++", 2), 2);
	snprintf(flags, sizeof(flags), "-j3 --jobserver-auth=fifo:%s", path);
	assert_int_equal(jobserver_open(&js, flags, &why), 1);
	assert_int_equal(jobserver_take(&js), 1);
	assert_int_equal(jobserver_take(&js), 1);
	assert_int_equal(jobserver_take(&js), 0);
	jobserver_close(&js);
	assert_int_equal(pending(w), 2);
	close(w);
	unlink(path);
	rmdir(dir);
}

static void
test_unusable(void **state)
{
	struct jobserver js;
	const char *why;
	int p[2];
	char flags[128];

	(void)state;
	/* a recipe not marked '+': make closed the descriptors */
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	close(p[1]);
	snprintf(flags, sizeof(flags), "-j4 --jobserver-auth=%d,%d", p[0],
	    p[1]);
	assert_int_equal(jobserver_open(&js, flags, &why), -1);
	assert_non_null(strstr(why, "closed"));
	assert_int_equal(jobserver_open(&js,
	    "-j4 --jobserver-auth=fifo:/nonexistent/fifo", &why), -1);
	assert_int_equal(jobserver_open(&js, "--jobserver-auth=x", &why), -1);
	assert_int_equal(jobserver_open(&js, "--jobserver-auth=3", &why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_old_fds_form),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_unusable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
