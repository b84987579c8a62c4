/* hm: hm-bake's commands, stubbed for fuzzing: no process is started. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hm-bake/proc.h"	/* not libhm/proc.h */

/*
 * A command "prints" what follows its first line and fails if that line
 * is "false": a generator `sh: "gen\n- sh: x"` prints a step, a predicate
 * `sh: "false"` is false, and the fuzzer controls both from the YAML.
 */
int
proc_run(const char *cmd, char *const envp[], long long timeout_seconds,
    bool capture, size_t maxout, struct proc_result *r)
{
	const char *nl = strchr(cmd, '\n');
	size_t first = nl ? (size_t)(nl - cmd) : strlen(cmd);
	const char *out = nl ? nl + 1 : "";
	size_t n = strlen(out);

	(void)envp;
	(void)timeout_seconds;
	memset(r, 0, sizeof(*r));
	r->status = first == 5 && memcmp(cmd, "false", 5) == 0;
	if (!capture)
		return 0;
	if (n > maxout) {
		r->too_big = true;
		n = maxout;
	}
	r->out = malloc(n + 1);
	if (!r->out)
		return -1;
	memcpy(r->out, out, n);
	r->out[n] = '\0';
	r->outlen = n;
	return 0;
}

int
proc_ok(const struct proc_result *r)
{
	return !r->timed_out && !r->too_big && r->signo == 0 && r->status == 0;
}

const char *
proc_describe(const struct proc_result *r, long long timeout, char *buf,
    size_t size)
{
	(void)timeout;
	snprintf(buf, size, "exit status %d", r->status);
	return buf;
}

void
proc_signals_init(void)
{
}
