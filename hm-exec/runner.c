/* hm: starting steps: process groups, pipes, environments. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec.h"
#include "tool.h"

extern char **environ;

int
runner_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fds[1], F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
}

/*
 * posix_spawn rather than fork: glibc spawns with CLONE_VFORK and reports
 * exec failures as a return value, which is git's CLOEXEC-pipe discipline
 * done by libc. The child gets its own process group (the spawned pid),
 * default dispositions for what we catch or ignore, and an empty mask.
 */
int
runner_spawn(pid_t *pid, char *const argv[], char *const envp[], bool search,
    int outfd, int errfd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t def, empty;
	int e;

	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		return e;
	if ((e = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return e;
	}
	sigemptyset(&empty);
	sigemptyset(&def);
	sigaddset(&def, SIGINT);
	sigaddset(&def, SIGTERM);
	sigaddset(&def, SIGHUP);
	sigaddset(&def, SIGCHLD);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGQUIT);
	if ((e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
	    O_RDONLY, 0)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, outfd, 1)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, errfd, 2)) != 0 ||
	    (e = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (e = posix_spawnattr_setpgroup(&at, 0)) != 0 ||
	    (e = posix_spawnattr_setsigmask(&at, &empty)) != 0 ||
	    (e = posix_spawnattr_setsigdefault(&at, &def)) != 0)
		goto out;
	if (search)
		e = posix_spawnp(pid, argv[0], &fa, &at, argv, envp);
	else
		e = posix_spawn(pid, argv[0], &fa, &at, argv, envp);
out:
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	return e;
}

void
runner_kill(pid_t pgid, int sig)
{
	if (pgid > 0)
		kill(-pgid, sig);
}

/* Environment building: NAME=VALUE strings, the last of a name wins. */
struct envb {
	char **v;
	size_t n, cap;
};

static void
envb_add(struct envb *b, char *s)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->v = xreallocarray(b->v, b->cap, sizeof(*b->v));
	}
	b->v[b->n++] = s;
}

static void
envb_set(struct envb *b, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	char *s = xmalloc(nl + vl + 2);

	memcpy(s, name, nl);
	s[nl] = '=';
	memcpy(s + nl + 1, value, vl + 1);
	envb_add(b, s);
}

static size_t
env_namelen(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq ? (size_t)(eq - s) : strlen(s);
}

/* Sort by name, then by position, so the last of each name wins. */
struct envsort {
	char *s;
	size_t i;
};

static int
envsort_cmp(const void *a, const void *b)
{
	const struct envsort *x = a, *y = b;
	size_t lx = env_namelen(x->s), ly = env_namelen(y->s);
	int c = memcmp(x->s, y->s, lx < ly ? lx : ly);

	if (c)
		return c;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

static void
env_merge(struct envb *b, const struct ir_env *e)
{
	size_t i;

	if (!e || !e->present)
		return;
	for (i = 0; i < e->n; i++)
		envb_set(b, e->names[i], e->values[i]);
}

char **
runner_env(struct run *r, struct srec *rec)
{
	struct envb b = { NULL, 0, 0 };
	struct envsort *es;
	char **out, buf[32];
	size_t i, n, k;

	for (i = 0; environ[i]; i++)
		envb_add(&b, xstrdup(environ[i]));
	env_merge(&b, &r->doc->env);
	if (rec->step)
		env_merge(&b, &rec->step->env);
	for (i = 0; i < r->nouts; i++) {
		char *var = outputs_var(r->outs[i].key, r->outs[i].name);

		envb_set(&b, var, r->outs[i].value);
		free(var);
	}
	envb_set(&b, "HM_RUN_ID", r->run_id);
	envb_set(&b, "HM_STEP_KEY", rec->key);
	envb_set(&b, "HM_STEP_LABEL", rec->label);
	snprintf(buf, sizeof(buf), "%d", rec->attempt);
	envb_set(&b, "HM_ATTEMPT", buf);
	envb_set(&b, "HM_OUTPUT", rec->out_path);
	envb_set(&b, "HM_OUTPUTS", r->outputs_path);

	n = b.n;
	es = xcalloc(n, sizeof(*es));
	for (i = 0; i < n; i++) {
		es[i].s = b.v[i];
		es[i].i = i;
	}
	qsort(es, n, sizeof(*es), envsort_cmp);
	out = xcalloc(n + 1, sizeof(*out));
	for (i = 0, k = 0; i < n; i++) {
		if (i + 1 < n && env_namelen(es[i].s) ==
		    env_namelen(es[i + 1].s) && memcmp(es[i].s, es[i + 1].s,
		    env_namelen(es[i].s)) == 0) {
			free(es[i].s);
			continue;
		}
		out[k++] = es[i].s;
	}
	out[k] = NULL;
	free(es);
	free(b.v);
	return out;
}

void
runner_env_free(char **envp)
{
	size_t i;

	if (!envp)
		return;
	for (i = 0; envp[i]; i++)
		free(envp[i]);
	free(envp);
}
