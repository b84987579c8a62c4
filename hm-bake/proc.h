/* hm: running predicates, generators and matrix commands through /bin/sh. */
#ifndef HM_BAKE_PROC_H
#define HM_BAKE_PROC_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A command runs as /bin/sh -c CMD in a process group of its own, with
 * the environment envp, stdin from /dev/null and stderr passed through.
 * Its stdout is captured (generators, matrix axes) or sent to stderr
 * (predicates: stdout is the IR). When the shell exits, or the timeout
 * passes (SIGTERM, then SIGKILL a second later), the whole group is
 * killed, so nothing it started outlives the bake.
 */
struct proc_result {
	int status;		/* exit status, when it exited */
	int signo;		/* the signal that ended it, or 0 */
	bool timed_out;
	bool too_big;		/* stdout beyond maxout (the group was killed) */
	char *out;		/* captured stdout, NUL-terminated; free it */
	size_t outlen;
};

/*
 * Run cmd. Returns 0 when it ran (see r), or -1 with errno when it could
 * not be started.
 */
int proc_run(const char *cmd, char *const envp[], long long timeout_seconds,
    bool capture, size_t maxout, struct proc_result *r);

/* 1 if r is a clean exit with status 0. */
int proc_ok(const struct proc_result *r);

/*
 * What went wrong, in words: "exit status 3", "killed by signal 9",
 * "timed out after 60 s". buf holds the text.
 */
const char *proc_describe(const struct proc_result *r, long long timeout,
    char *buf, size_t size);

/*
 * Make SIGINT, SIGTERM and SIGHUP kill the running command's group before
 * hm-bake dies of the same signal; ignore SIGPIPE (write errors are
 * reported as such). Tool code: call once from main.
 */
void proc_signals_init(void);

#endif
