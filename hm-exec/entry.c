/* hm: hm-exec's input: IR, or a YAML definition it bakes first. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ir_check.h"
#include "ir_runner.h"
#include "ir_load.h"
#include "json.h"
#include "proc.h"
#include "run.h"
#include "tool.h"

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

/*
 * While the baker runs, a signal only wakes its wait through a
 * self-pipe (proc_wait stops the baker: TERM, KILL after the grace);
 * hm-exec then dies of the same signal.
 */
static int sig_fds[2] = { -1, -1 };
static volatile sig_atomic_t sig_caught;

static void
on_signal(int sig)
{
	unsigned char c = (unsigned char)sig;

	sig_caught = sig;
	if (write(sig_fds[1], &c, 1) < 0) {
		/* full: the wait wakes anyway */
	}
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

/* The largest IR a baker may print for a definition. */
#define BAKED_MAX	((size_t)1 << 30)

/* Run the baker on file; its stdout in *out. An exit status, or 0. */
static int
bake_definition(struct run *r, const char *file, char **out, size_t *len)
{
	char *bake = bake_program(r);
	const char *argv[8];
	struct proc p = PROC_INIT;
	struct sigaction sa, old[3];
	static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
	int e, k = 0, i, status = 0;
	bool too_big = false;
	char *buf = NULL;
	size_t n = 0;

	argv[k++] = bake;
	argv[k++] = file;
	if (r->o.pipeline) {
		argv[k++] = "--pipeline";
		argv[k++] = r->o.pipeline;
	}
	if (r->o.target) {
		argv[k++] = "--target";
		argv[k++] = r->o.target;
		argv[k++] = "--with-deps";
	}
	argv[k] = NULL;
	if (proc_pipe(sig_fds) != 0 ||
	    fcntl(sig_fds[1], F_SETFL, O_NONBLOCK) < 0)
		dief(EXIT_SOFTWARE, "cannot make a pipe:");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	p.argv = argv;
	p.search = strchr(bake, '/') == NULL;
	p.out = PROC_PIPE;
	p.grace = r->o.grace;
	e = proc_wait(&p, sig_fds[0], BAKED_MAX, &buf, &n, &too_big);
	proc_release(&p);
	for (i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	close(sig_fds[0]);
	close(sig_fds[1]);
	if (e == ECANCELED || sig_caught) {
		/* die of the signal, as the shell expects */
		fflush(NULL);
		signal(sig_caught, SIG_DFL);
		raise(sig_caught);
	}
	if (e) {
		errno = e;
		warnf("cannot run '%s' to bake %s:", bake, file);
		free(bake);
		return EXIT_NOINPUT;
	}
	if (too_big) {
		warnf("the baker '%s' printed more than %zu bytes for %s",
		    bake, BAKED_MAX, file);
		status = EXIT_DATAERR;
	} else if (WIFSIGNALED(p.wstatus)) {
		warnf("the baker '%s' was killed by signal %d baking %s", bake,
		    WTERMSIG(p.wstatus), file);
		status = EXIT_DATAERR;
	} else if (WEXITSTATUS(p.wstatus) != 0) {
		/* its own messages said why; its status says what kind */
		status = WEXITSTATUS(p.wstatus);
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
		r->baked_input = true;
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
	if (ir_check(r->doc, 0, &dl) < 0 ||
	    ir_runner_check(r->doc, r->o.runner, &dl) < 0 ||
	    plan_build(&r->plan, r->doc, &dl) < 0) {
		diag_print_all(&dl, stderr);
		diag_list_release(&dl);
		return EXIT_DATAERR;
	}
	diag_print_all(&dl, stderr);
	diag_list_release(&dl);
	return 0;
}
