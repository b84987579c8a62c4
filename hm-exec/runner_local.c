/* hm: the local runner: a step as /bin/sh -c CMD in a process group of its own. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "proc.h"
#include "runner.h"

/*
 * The step's process group is the attempt: stdout and stderr into one
 * pipe (a baker's stdout into a second), stdin /dev/null (libhm/proc.h).
 * A signal goes to the whole group.
 */
static int
local_start(struct runner *rn, const struct attempt_spec *spec,
    struct attempt *a, char **msg)
{
	const char *sh[] = { "/bin/sh", "-c", spec->cmd, NULL };
	struct proc p = PROC_INIT;
	int e;

	(void)rn;
	*msg = NULL;
	p.argv = spec->argv ? (const char *const *)spec->argv : sh;
	p.search = spec->argv != NULL;
	p.envp = spec->envp;
	p.out = PROC_PIPE;
	p.err = spec->split_stdout ? PROC_PIPE : PROC_TO_OUT;
	if ((e = proc_start(&p)) != 0)
		return e;
	a->pid = p.pid;
	/* a baker: its stderr is the step's output, stdout the fragment */
	a->out_fd = spec->split_stdout ? p.err_fd : p.out_fd;
	a->frag_fd = spec->split_stdout ? p.out_fd : -1;
	a->data = NULL;
	return 0;
}

static int
local_signal(struct runner *rn, struct attempt *a, int sig)
{
	(void)rn;
	if (a->pid <= 0)
		return -1;
	return kill(-a->pid, sig) < 0 && errno == ESRCH ? -1 : 0;
}

const struct runner_ops runner_local = {
	.name = "local",
	.start = local_start,
	.signal = local_signal,
};
