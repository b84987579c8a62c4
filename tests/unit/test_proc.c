/* hm: unit tests for the process API: a child's group and stdin. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

/* What the child reads on stdin, then its process group (from /proc). */
static const char *const argv[] = { "/bin/sh", "-c",
    "read -r x; echo \"${x:-none} $(cut -d' ' -f5 /proc/$$/stat)\"", NULL };

/* Run argv with "hello" waiting on our stdin; its output, from malloc. */
static char *
run(bool foreground, pid_t *pid)
{
	struct proc p = PROC_INIT;
	int fds[2], saved = dup(0);
	char *out = NULL;
	size_t len;
	bool too_big;

	assert_true(saved >= 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "hello\n", 6), 6);
	close(fds[1]);
	assert_true(dup2(fds[0], 0) == 0);
	close(fds[0]);
	p.argv = argv;
	p.out = PROC_PIPE;
	p.foreground = foreground;
	assert_int_equal(proc_wait(&p, -1, 4096, &out, &len, &too_big), 0);
	*pid = p.pid;
	proc_release(&p);
	assert_true(dup2(saved, 0) == 0);
	close(saved);
	assert_true(WIFEXITED(p.wstatus) && WEXITSTATUS(p.wstatus) == 0);
	return out;
}

/* An ordinary child: its own group, stdin /dev/null. */
static void
test_own_group(void **state)
{
	char want[64], *out;
	pid_t pid;

	(void)state;
	out = run(false, &pid);
	snprintf(want, sizeof(want), "none %ld\n", (long)pid);
	assert_string_equal(out, want);
	free(out);
}

/* A foreground child (hm-exec --shell): our group and our stdin. */
static void
test_foreground(void **state)
{
	char want[64], *out;
	pid_t pid;

	(void)state;
	out = run(true, &pid);
	snprintf(want, sizeof(want), "hello %ld\n", (long)getpgrp());
	assert_string_equal(out, want);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_group),
		cmocka_unit_test(test_foreground),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
