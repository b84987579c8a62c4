/* hm: hm-bake's commands, stubbed for fuzzing: no process is started. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc.h"

/*
 * Stands in for libhm/proc.c's proc_wait, the only process call of
 * hm-bake's modules (the linker takes this definition, so proc.o is not
 * pulled from libhm.a). A command `sh -c CMD` "prints" what follows the
 * first line of CMD and fails if that line is "false": a generator
 * `sh: "gen\n- sh: x"` prints a step, a predicate `sh: "false"` is false,
 * and the fuzzer controls both from the YAML.
 */
int
proc_wait(struct proc *p, int cancel_fd, size_t maxout, char **out,
    size_t *outlen, bool *too_big)
{
	const char *cmd = p->argv[2] ? p->argv[2] : "";
	const char *nl = strchr(cmd, '\n');
	size_t first = nl ? (size_t)(nl - cmd) : strlen(cmd);
	const char *text = nl ? nl + 1 : "";
	size_t n = strlen(text);

	(void)cancel_fd;
	p->reaped = true;
	p->timed_out = false;
	/* exit status 1 for "false", as waitpid reports it */
	p->wstatus = (first == 5 && memcmp(cmd, "false", 5) == 0) << 8;
	*too_big = false;
	if (out)
		*out = NULL;
	if (p->out != PROC_PIPE)
		return 0;
	if (n > maxout) {
		*too_big = true;
		n = maxout;
	}
	if (!(*out = malloc(n + 1)))
		return 12;	/* ENOMEM */
	memcpy(*out, text, n);
	(*out)[n] = '\0';
	*outlen = n;
	return 0;
}
