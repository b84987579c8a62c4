/* hm: hm-exec's input: IR, or a YAML definition it bakes first. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "ir_check.h"
#include "ir_load.h"
#include "json.h"
#include "tool.h"

extern char **environ;

/*
 * `hm-exec ci.yml` is `hm-bake ci.yml | hm-exec` in one command: a
 * definition is baked by the same baker that bakes dynamic steps (with
 * --pipeline, and --target NAME --with-deps), its standard error passed
 * through, and the IR it prints is run. A definition is a file whose
 * name ends in .yml or .yaml, or whose text does not begin like JSON.
 * An empty standard input means the command before hm-exec in a pipe
 * failed: that is said, instead of a JSON error about nothing.
 */

/* The name of a baked definition's IR in messages (reachable to the end). */
static char *baked_name;

/* The baker's process group, while it runs: a signal goes to it too. */
static volatile sig_atomic_t baker_pgid;

static void
on_signal(int sig)
{
	if (baker_pgid > 0)
		kill(-(pid_t)baker_pgid, sig);
	signal(sig, SIG_DFL);
	raise(sig);
}

static const char *
first_byte(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return s + i;
	return NULL;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
is_definition(const char *file, const char *text, size_t n)
{
	const char *c;

	if (ends_with(file, ".yml") || ends_with(file, ".yaml"))
		return 1;
	if (ends_with(file, ".json"))
		return 0;
	c = first_byte(text, n);
	/* JSON begins with a value; a YAML definition with a key or a
	 * comment (or "---") */
	return c && *c != '{' && *c != '[' && *c != '"';
}

/* Run the baker on file; its stdout in *out. An exit status, or 0. */
static int
bake_definition(struct run *r, const char *file, char **out, size_t *len)
{
	char *argv[8], *bake = bake_program(r);
	struct sigaction sa, old[3];
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	size_t cap = 65536, n = 0;
	int fds[2], e, ws, k = 0, i, status = 0;
	char *buf;
	ssize_t got;
	pid_t pid;

	argv[k++] = bake;
	argv[k++] = (char *)file;
	if (r->o.pipeline) {
		argv[k++] = "--pipeline";
		argv[k++] = (char *)r->o.pipeline;
	}
	if (r->o.target) {
		argv[k++] = "--target";
		argv[k++] = (char *)r->o.target;
		argv[k++] = "--with-deps";
	}
	argv[k] = NULL;
	if (runner_pipe(fds) < 0)
		dief(EXIT_SOFTWARE, "cannot make a pipe:");
	/* read it blocking: nothing else happens until the bake is done */
	fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) & ~O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	e = runner_spawn(&pid, argv, environ, strchr(bake, '/') == NULL,
	    fds[1], 2);
	close(fds[1]);
	if (e) {
		errno = e;
		warnf("cannot run '%s' to bake %s:", bake, file);
		close(fds[0]);
		free(bake);
		return EXIT_NOINPUT;
	}
	baker_pgid = pid;
	buf = xmalloc(cap);
	for (;;) {
		if (cap - n < 2)
			buf = xreallocarray(buf, cap *= 2, 1);
		got = read(fds[0], buf + n, cap - n - 2);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fds[0]);
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	baker_pgid = 0;
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (WIFSIGNALED(ws)) {
		warnf("the baker '%s' was killed by signal %d baking %s", bake,
		    WTERMSIG(ws), file);
		status = EXIT_DATAERR;
	} else if (WEXITSTATUS(ws) != 0) {
		/* its own messages said why; its status says what kind */
		status = WEXITSTATUS(ws);
		if (status != EXIT_DATAERR && status != EXIT_NOINPUT &&
		    status != EXIT_IOERR)
			status = EXIT_DATAERR;
	} else if (!first_byte(buf, n)) {
		warnf("the baker '%s' printed nothing for %s", bake, file);
		status = EXIT_DATAERR;
	}
	free(bake);
	if (status) {
		free(buf);
		return status;
	}
	*out = buf;
	*len = n;
	return 0;
}

int
entry_load(struct run *r)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct ir_load_opts lo = { NULL };
	const char *name = r->o.file ? r->o.file : "<stdin>";
	char *text, *baked;
	size_t size, blen;
	int fd, st;

	fd = r->o.file ? open(r->o.file, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0)
		dief(EXIT_NOINPUT, "cannot open '%s':", r->o.file);
	if (json_read_fd(fd, &text, &size) < 0) {
		warnf("cannot read %s:", name);
		return errno == EFBIG ? EXIT_DATAERR : EXIT_IOERR;
	}
	if (fd > 0)
		close(fd);
	if (!r->o.file && !first_byte(text, size)) {
		free(text);
		warnf("no input (the command writing to hm-exec's standard "
		    "input printed nothing)");
		return EXIT_NOINPUT;
	}
	if (r->o.file && is_definition(r->o.file, text, size)) {
		free(text);
		if ((st = bake_definition(r, r->o.file, &baked, &blen)))
			return st;
		text = baked;
		size = blen;
		/* positions in it are the baked IR's: say so */
		baked_name = xmalloc(strlen(r->o.file) + 16);
		sprintf(baked_name, "%s (baked)", r->o.file);
		name = baked_name;
	} else if (!r->o.file && is_definition(name, text, size)) {
		free(text);
		warnf("the standard input is not IR but a YAML definition: "
		    "give its file (hm-exec ci.yml), or bake it first "
		    "(hm-bake ci.yml | hm-exec)");
		return EXIT_DATAERR;
	} else if (r->o.target) {
		free(text);
		warnf("--target needs a YAML definition: bake IR's target "
		    "with 'hm-bake --target NAME --with-deps'");
		return EXIT_USAGE;
	} else {
		lo.pipeline = r->o.pipeline;
	}
	r->doc = ir_load_text(text, size, name, &lo, &dl);
	if (!r->doc) {
		diag_print_all(&dl, stderr);
		diag_list_release(&dl);
		return EXIT_DATAERR;
	}
	if (ir_check(r->doc, 0, &dl) < 0 || plan_build(r, &dl) < 0) {
		diag_print_all(&dl, stderr);
		diag_list_release(&dl);
		return EXIT_DATAERR;
	}
	diag_print_all(&dl, stderr);
	diag_list_release(&dl);
	return 0;
}
