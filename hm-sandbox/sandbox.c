/* hm: hm-sandbox: run a command in a snapshot of the workspace (overlay or copy). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "tool.h"

/*
 * Design: hm-exec starts this program in place of /bin/sh, in the step's
 * process group, with the step's output pipe. It enters new namespaces
 * (as root: mount and PID; otherwise user, mount and PID, the user mapped
 * to itself), mounts the step's view over the workspace W (an overlay of
 * the given layers over W, or a copy of a state bound over W), binds the
 * run's log directory back at its own path, and runs the command in W.
 * The mounts live in the namespace and vanish with it, so nothing leaks
 * if hm-exec is killed.
 *
 * Three processes: this one (outside the PID namespace: hm-exec's child,
 * which relays the command's status), the namespace's init (reaps, and
 * when the command ends, exits, which makes the kernel kill everything
 * the step left behind, setsid daemons included), and the command. A
 * signal to the process group reaches the command; the init of a PID
 * namespace ignores signals it does not handle, and this process ignores
 * them while it waits for the status, then dies the way the command did.
 *
 * With --image ROOT (an unpacked root filesystem) the view is a whole
 * system instead: an overlay of the given layers over ROOT, mounted on
 * --root MNT, with /dev, /sys, a fresh /proc and /tmp, the host's
 * resolv.conf, and the run's log directory; then pivot_root into it and
 * run the command in IMAGE_WS, where the layers hold the workspace. The
 * user (when not root) is mapped to uid 0, so that package managers work.
 *
 * Exit status: the command's, or 125 when the sandbox itself could not be
 * set up (the reason on the standard error, which is the step's log).
 */
#define EXIT_SANDBOX	125
#define MAX_LOWER	500		/* the kernel's own limit */
#define IMAGE_WS	"/workspace"	/* the workspace in an image */

struct opts {
	const char *ws;			/* -C: the workspace W */
	const char *lower[MAX_LOWER];	/* newest first; W comes last */
	int nlower;
	const char *upper, *work;	/* overlay; no upper: read-only */
	const char *copy, *from;	/* copy mode: the state, its source */
	bool move;			/* rename from, do not copy it */
	bool volatil;			/* overlay 'volatile' */
	bool no_ns, no_pid;
	bool read_only;			/* the whole view */
	const char *image, *root;	/* --image ROOT, mounted on --root */
	const char *bind[16];		/* bound at the same path */
	int nbind;
	const char *probe;
	char **argv;
};

/* Setup errors: a message, then the sandbox's own status. */
static _Noreturn void
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
fail(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t len = strlen(fmt);

	fputs("hm-sandbox: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (len && fmt[len - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
	_exit(EXIT_SANDBOX);
}

enum option_id {
	OPT_BIND = 256,
	OPT_COPY,
	OPT_FROM,
	OPT_IMAGE,
	OPT_LOWER,
	OPT_MOVE,
	OPT_NO_NS,
	OPT_NO_PID,
	OPT_PROBE,
	OPT_READ_ONLY,
	OPT_ROOT,
	OPT_UPPER,
	OPT_VOLATILE,
	OPT_WORK
};

static const struct tool_option options[] = {
	{ 'C', 'C', NULL, "DIR", "the workspace (an absolute path)" },
	{ OPT_LOWER, 0, "lower", "DIR", "an overlay layer, newest first" },
	{ OPT_UPPER, 0, "upper", "DIR", "the overlay's writable layer" },
	{ OPT_WORK, 0, "work", "DIR", "the overlay's work directory" },
	{ OPT_VOLATILE, 0, "volatile", NULL, "the overlay's volatile option (no syncs)" },
	{ OPT_COPY, 0, "copy", "STATE", "bind the directory STATE over DIR" },
	{ OPT_FROM, 0, "from", "DIR", "first make STATE from DIR (a copy)" },
	{ OPT_MOVE, 0, "move", NULL, "rename --from's DIR, do not copy it" },
	{ OPT_NO_NS, 0, "no-ns", NULL, "no namespaces: run in STATE itself" },
	{ OPT_READ_ONLY, 0, "read-only", NULL, "the whole view read-only" },
	{ OPT_IMAGE, 0, "image", "ROOT", "a system: the layers over the root file system ROOT" },
	{ OPT_ROOT, 0, "root", "MNT", "where --image's view is mounted" },
	{ OPT_BIND, 0, "bind", "DIR", "bind DIR back at its own path" },
	{ OPT_NO_PID, 0, "no-pid", NULL, "no PID namespace of its own" },
	{ OPT_PROBE, 0, "probe", "SCRATCH",
	    "say which ways work, trying them in SCRATCH" },
	{ 0, 0, NULL, NULL, NULL }
};

static const struct tool_cli cli = {
	"usage: hm-sandbox -C DIR [--lower DIR]... [--upper DIR --work DIR]\n"
	"                  [--volatile] [--bind DIR]... [--no-pid] -- COMMAND...\n"
	"       hm-sandbox -C DIR --copy STATE [--from DIR [--move]] [--no-ns]\n"
	"                  [--read-only] [--bind DIR]... [--no-pid] -- COMMAND...\n"
	"       hm-sandbox -C DIR --image ROOT --root MNT [--lower DIR]...\n"
	"                  --upper DIR --work DIR [--bind DIR]... -- COMMAND...\n"
	"       hm-sandbox -C DIR --probe SCRATCH\n",
	"Run COMMAND in a snapshot of the workspace DIR: an overlay of layers\n"
	"over it, or a copy bound over it, in namespaces of its own.\n",
	options,
	"Exit status: the command's, 64 usage, 125 the sandbox could not be\n"
	"set up. See hm-sandbox(1).\n"
};

static void
parse(struct opts *o, int argc, char **argv)
{
	struct tool_args args;
	int id, i = argc;

	tool_args_init(&args, &cli, argc, argv);
	while ((id = tool_getopt(&args)) != TOOL_END) {
		switch (id) {
		case TOOL_OPERAND:
			/* the command: the rest is its own */
			i = args.i - 1;
			break;
		case 'C': o->ws = args.arg; break;
		case OPT_LOWER:
			if (o->nlower == MAX_LOWER - 1)
				dief(EXIT_USAGE, "more than %d layers",
				    MAX_LOWER - 1);
			o->lower[o->nlower++] = args.arg;
			break;
		case OPT_UPPER: o->upper = args.arg; break;
		case OPT_WORK: o->work = args.arg; break;
		case OPT_COPY: o->copy = args.arg; break;
		case OPT_FROM: o->from = args.arg; break;
		case OPT_IMAGE: o->image = args.arg; break;
		case OPT_ROOT: o->root = args.arg; break;
		case OPT_BIND:
			if (o->nbind == 16)
				dief(EXIT_USAGE, "more than 16 binds");
			o->bind[o->nbind++] = args.arg;
			break;
		case OPT_PROBE: o->probe = args.arg; break;
		case OPT_MOVE: o->move = true; break;
		case OPT_VOLATILE: o->volatil = true; break;
		case OPT_NO_NS: o->no_ns = true; break;
		case OPT_NO_PID: o->no_pid = true; break;
		case OPT_READ_ONLY: o->read_only = true; break;
		}
		if (id == TOOL_OPERAND)
			break;
	}
	o->argv = argv + i;
	if (!o->ws || o->ws[0] != '/')
		dief(EXIT_USAGE, "-C needs the workspace as an absolute path");
	if (o->probe)
		return;
	if (!o->argv[0])
		tool_usage(&cli, "no command given");
	if (!o->upper != !o->work)
		dief(EXIT_USAGE, "--upper and --work go together");
	if (o->copy && (o->upper || o->nlower))
		dief(EXIT_USAGE, "--copy excludes --lower and --upper");
	if ((o->move || o->from) && !o->copy)
		dief(EXIT_USAGE, "--from and --move need --copy");
	if (!o->image != !o->root)
		dief(EXIT_USAGE, "--image and --root go together");
	if (o->image && !o->upper)
		dief(EXIT_USAGE, "--image needs --upper and --work");
	if (o->image && (o->copy || o->no_pid || o->read_only))
		dief(EXIT_USAGE, "--image excludes --copy, --no-pid and "
		    "--read-only");
	if (o->no_ns && !o->copy)
		dief(EXIT_USAGE, "--no-ns works only with --copy");
}

/* ---- namespaces ---- */

static int
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * New mount (and PID) namespaces, through a user namespace unless we are
 * root. The mounts below propagate nowhere. 0, or -1 with a reason.
 */
static int
enter_ns(bool pid, bool as_root, const char **why)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	int flags = CLONE_NEWNS | (pid ? CLONE_NEWPID : 0);
	char map[64];

	if (uid != 0)
		flags |= CLONE_NEWUSER;
	if (unshare(flags) < 0) {
		*why = "unshare";
		return -1;
	}
	if (uid != 0) {
		snprintf(map, sizeof(map), "%lu %lu 1\n", as_root ? 0ul :
		    (unsigned long)uid, (unsigned long)uid);
		if (write_file("/proc/self/uid_map", map) < 0) {
			*why = "uid_map";
			return -1;
		}
		if (write_file("/proc/self/setgroups", "deny") < 0 &&
		    errno != ENOENT) {
			*why = "setgroups";
			return -1;
		}
		snprintf(map, sizeof(map), "%lu %lu 1\n", as_root ? 0ul :
		    (unsigned long)gid, (unsigned long)gid);
		if (write_file("/proc/self/gid_map", map) < 0) {
			*why = "gid_map";
			return -1;
		}
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		*why = "making / private";
		return -1;
	}
	return 0;
}

/* ---- overlay ---- */

#ifdef FSOPEN_CLOEXEC
/* The kernel's explanation of a failed fsconfig, appended to buf. */
static void
fs_log(int fd, char *buf, size_t size)
{
	char line[512];
	ssize_t n;
	size_t len = strlen(buf);

	while ((n = read(fd, line, sizeof(line) - 1)) > 0) {
		line[n] = '\0';
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (len + 4 < size)
			len += (size_t)snprintf(buf + len, size - len, "%s(%s)",
			    len ? " " : "", line);
	}
}
#endif

/*
 * The new mount API: every lower layer by its own 'lowerdir+' (no limit
 * on their number but the kernel's 500). Returns 0, -1 with errno and
 * the kernel's words in kmsg, or -2 when the kernel lacks 'lowerdir+'.
 */
static int
overlay_fsmount(const struct opts *o, char *kmsg, size_t ksize)
{
#ifdef FSOPEN_CLOEXEC
	int fd, mfd, i, saved;

	if ((fd = fsopen("overlay", FSOPEN_CLOEXEC)) < 0)
		return errno == ENOSYS ? -2 : -1;
#define CFG(cmd, k, v)	fsconfig(fd, (cmd), (k), (v), 0)
	if (CFG(FSCONFIG_SET_STRING, "source", "hm") < 0)
		goto fail;
	for (i = 0; i < o->nlower; i++)
		if (CFG(FSCONFIG_SET_STRING, "lowerdir+", o->lower[i]) < 0) {
			if (i == 0 && errno == EINVAL) {
				close(fd);
				return -2;
			}
			goto fail;
		}
	if (CFG(FSCONFIG_SET_STRING, "lowerdir+", o->image ? o->image :
	    o->ws) < 0)
		goto fail;
	if (o->upper && (CFG(FSCONFIG_SET_STRING, "upperdir", o->upper) < 0 ||
	    CFG(FSCONFIG_SET_STRING, "workdir", o->work) < 0))
		goto fail;
	if (CFG(FSCONFIG_SET_FLAG, "userxattr", NULL) < 0 ||
	    (o->volatil && o->upper &&
	    CFG(FSCONFIG_SET_FLAG, "volatile", NULL) < 0) ||
	    CFG(FSCONFIG_CMD_CREATE, NULL, NULL) < 0)
		goto fail;
#undef CFG
	if ((mfd = fsmount(fd, FSMOUNT_CLOEXEC, 0)) < 0)
		goto fail;
	close(fd);
	if (move_mount(mfd, "", AT_FDCWD, o->image ? o->root : o->ws,
	    MOVE_MOUNT_F_EMPTY_PATH) < 0) {
		saved = errno;
		close(mfd);
		errno = saved;
		return -1;
	}
	close(mfd);
	return 0;
fail:
	saved = errno;
	fs_log(fd, kmsg, ksize);
	close(fd);
	errno = saved;
	return -1;
#else
	(void)o, (void)kmsg, (void)ksize;
	return -2;
#endif
}

/* The classic mount(2): one option string, cut by the kernel at a page. */
static int
overlay_mount2(const struct opts *o, char *kmsg, size_t ksize)
{
	size_t cap = 4096, len = 0;
	char *opt = malloc(cap);
	int i, r;

#define PUT(...) do { \
	int n_ = snprintf(opt + len, cap - len, __VA_ARGS__); \
	if (n_ < 0 || (size_t)n_ >= cap - len) \
		goto toolong; \
	len += (size_t)n_; \
} while (0)
	if (!opt)
		return -1;
	PUT("lowerdir=");
	for (i = 0; i < o->nlower; i++)
		PUT("%s:", o->lower[i]);
	PUT("%s", o->image ? o->image : o->ws);
	if (o->upper)
		PUT(",upperdir=%s,workdir=%s%s", o->upper, o->work,
		    o->volatil ? ",volatile" : "");
	PUT(",userxattr");
#undef PUT
	r = mount("hm", o->image ? o->root : o->ws, "overlay", 0, opt);
	free(opt);
	return r;
toolong:
	free(opt);
	snprintf(kmsg, ksize, "%d layers do not fit the one page of "
	    "mount(2)'s options, and this kernel lacks 'lowerdir+'",
	    o->nlower + 1);
	errno = E2BIG;
	return -1;
}

static int
mount_overlay(const struct opts *o, char *kmsg, size_t ksize)
{
	int r = overlay_fsmount(o, kmsg, ksize);

	if (r == -2 || (r < 0 && errno == ENOSYS))
		r = overlay_mount2(o, kmsg, ksize);
	return r;
}

/* ---- copies ---- */

/* Run argv and wait; 0 if it exited 0. */
static int
run_wait(char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/*
 * Make the state directory: the source moved (its only consumer), or
 * copied with reflinks where the filesystem has them. An existing state
 * (a kept one, for a shell) is used as it is.
 */
static void
make_copy(const struct opts *o)
{
	char *src;
	size_t n;

	if (!o->from)
		return;
	if (o->move) {
		if (rename(o->from, o->copy) < 0)
			fail("cannot move '%s' to '%s':", o->from, o->copy);
		return;
	}
	if (mkdir(o->copy, 0755) < 0 && errno != EEXIST)
		fail("cannot create '%s':", o->copy);
	n = strlen(o->from);
	if (!(src = malloc(n + 3)))
		fail("out of memory");
	memcpy(src, o->from, n);
	memcpy(src + n, "/.", 3);
	{
		char *cp[] = { "cp", "-a", "--reflink=auto", src,
		    (char *)o->copy, NULL };

		if (run_wait(cp) < 0)
			fail("cannot copy '%s' to '%s'", o->from, o->copy);
	}
	free(src);
}

/* ---- the view ---- */

/*
 * Open the directories to bind before the view hides them (a log
 * directory inside the workspace would be covered by the overlay).
 */
static void
open_binds(const struct opts *o, int *fds)
{
	int i;

	for (i = 0; i < o->nbind; i++)
		if ((fds[i] = open(o->bind[i], O_PATH | O_DIRECTORY |
		    O_CLOEXEC)) < 0)
			fail("cannot open '%s':", o->bind[i]);
}

static int
mkdir_p(const char *path)
{
	char p[4096], *q;

	if (strlen(path) >= sizeof(p)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(p, path);
	for (q = p + 1; *q; q++)
		if (*q == '/') {
			*q = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -1;
			*q = '/';
		}
	return mkdir(p, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

/*
 * Where a bound directory goes: its own path; in an image, a directory
 * of the workspace goes to the same place under IMAGE_WS (relative paths
 * such as $HM_OUTPUT keep working), any other to its path in the root.
 */
static void
bind_target(const struct opts *o, const char *dir, char *buf, size_t size)
{
	size_t n = strlen(o->ws);

	if (!o->image)
		snprintf(buf, size, "%s", dir);
	else if (!strncmp(dir, o->ws, n) && (dir[n] == '/' || !dir[n]))
		snprintf(buf, size, "%s%s%s", o->root, IMAGE_WS, dir + n);
	else
		snprintf(buf, size, "%s%s", o->root, dir);
}

static void
do_binds(const struct opts *o, const int *fds)
{
	char src[64], dst[4096];
	int i;

	for (i = 0; i < o->nbind; i++) {
		snprintf(src, sizeof(src), "/proc/self/fd/%d", fds[i]);
		bind_target(o, o->bind[i], dst, sizeof(dst));
		/* a state from an earlier run lacks this run's directory */
		if (mount(src, dst, NULL, MS_BIND, NULL) < 0 &&
		    (errno != ENOENT || mkdir_p(dst) < 0 ||
		    mount(src, dst, NULL, MS_BIND, NULL) < 0))
			fail("cannot bind '%s' into the view:", o->bind[i]);
		close(fds[i]);
	}
}

/*
 * An image's view, mounted on o->root: the system's directories, then
 * pivot_root into it. The new /proc comes with the PID namespace's init.
 */
static void
enter_image(const struct opts *o)
{
	char p[4096];
	struct stat st;

#define AT(sub) (snprintf(p, sizeof(p), "%s%s", o->root, (sub)), p)
	if (mkdir_p(AT("/dev")) < 0 ||
	    mount("/dev", AT("/dev"), NULL, MS_BIND | MS_REC, NULL) < 0)
		fail("cannot bind /dev into the image:");
	if (mkdir_p(AT("/sys")) < 0 ||
	    mount("/sys", AT("/sys"), NULL, MS_BIND | MS_REC, NULL) < 0)
		fail("cannot bind /sys into the image:");
	if (mkdir_p(AT("/tmp")) < 0 || mount("tmpfs", AT("/tmp"), "tmpfs",
	    MS_NOSUID | MS_NODEV, "mode=1777") < 0)
		fail("cannot mount a tmpfs on the image's /tmp:");
	if (mkdir_p(AT("/proc")) < 0)
		fail("cannot create the image's /proc:");
	/* the host's name servers, where the image has the file */
	if (stat("/etc/resolv.conf", &st) == 0 &&
	    stat(AT("/etc/resolv.conf"), &st) == 0)
		mount("/etc/resolv.conf", p, NULL, MS_BIND, NULL);
	if (mkdir_p(AT(IMAGE_WS)) < 0)
		fail("cannot create '%s' in the image:", IMAGE_WS);
#undef AT
	if (chdir(o->root) < 0)
		fail("cannot enter '%s':", o->root);
	/* the old root stacks under the new one; detach it */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		fail("pivot_root:");
	if (umount2(".", MNT_DETACH) < 0)
		fail("cannot detach the old root:");
	if (chdir("/") < 0)
		fail("chdir /:");
}

static void
mount_view(const struct opts *o)
{
	char kmsg[1024] = "";

	if (o->copy) {
		if (mount(o->copy, o->ws, NULL, MS_BIND, NULL) < 0)
			fail("cannot bind '%s' over '%s':", o->copy, o->ws);
		if (o->read_only && mount(NULL, o->ws, NULL, MS_BIND |
		    MS_REMOUNT | MS_RDONLY, NULL) < 0)
			fail("cannot make '%s' read-only:", o->ws);
		return;
	}
	if (o->read_only && o->upper)
		dief(EXIT_USAGE, "--read-only excludes --upper");
	if (!o->upper && !o->nlower) {
		/* the workspace alone, read-only (overlay needs two layers
		   when it has no upper one) */
		if (mount(o->ws, o->ws, NULL, MS_BIND, NULL) < 0 ||
		    mount(NULL, o->ws, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY,
		    NULL) < 0)
			fail("cannot bind '%s' read-only:", o->ws);
		return;
	}
	if (mount_overlay(o, kmsg, sizeof(kmsg)) < 0)
		fail("cannot mount the overlay over '%s' (%d layers)%s%s:",
		    o->image ? o->image : o->ws, o->nlower + 1,
		    kmsg[0] ? ": " : "", kmsg);
}

/* ---- processes ---- */

static void
default_signals(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT,
	    SIGPIPE };
	sigset_t none;
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static _Noreturn void
exec_command(const struct opts *o, const char *dir)
{
	default_signals();
	if (chdir(dir) < 0)
		fail("cannot enter '%s':", dir);
	execvp(o->argv[0], o->argv);
	{
		int e = errno;

		fprintf(stderr, "hm-sandbox: cannot run '%s': %s\n",
		    o->argv[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
}

/*
 * The PID namespace's init: mount its /proc, start the command, reap
 * whatever is orphaned to it, and when the command is gone send its
 * status up the pipe and exit, which kills everything left inside.
 */
static _Noreturn void
ns_init(const struct opts *o, int status_fd)
{
	pid_t cmd, p;
	int st = 0, cst = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* best effort: a container may forbid it, and /proc then shows
	   the host's processes */
	mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	    NULL);
	if ((cmd = fork()) < 0)
		fail("fork:");
	if (cmd == 0) {
		close(status_fd);
		exec_command(o, o->image ? IMAGE_WS : o->ws);
	}
	for (;;) {
		p = waitpid(-1, &st, 0);
		if (p == cmd) {
			cst = st;
			break;
		}
		if (p < 0 && errno != EINTR)
			break;
	}
	if (write(status_fd, &cst, sizeof(cst)) != sizeof(cst))
		_exit(EXIT_SANDBOX);
	_exit(0);
}

/* Wait for the namespace's init and end as the command ended. */
static _Noreturn void
relay(pid_t init, int status_fd)
{
	int st, cst;
	ssize_t n;

	do
		n = read(status_fd, &cst, sizeof(cst));
	while (n < 0 && errno == EINTR);
	while (waitpid(init, &st, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(cst)) {
		/* init was killed (SIGKILL to the group) or failed */
		if (WIFSIGNALED(st)) {
			default_signals();
			raise(WTERMSIG(st));
		}
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_SANDBOX);
	}
	if (WIFSIGNALED(cst)) {
		default_signals();
		signal(WTERMSIG(cst), SIG_DFL);
		raise(WTERMSIG(cst));
	}
	_exit(WIFEXITED(cst) ? WEXITSTATUS(cst) : EXIT_SANDBOX);
}

static _Noreturn void
run(const struct opts *o)
{
	int fds[16], sp[2];
	const char *why;
	pid_t init;

	make_copy(o);
	if (o->no_ns)
		exec_command(o, o->copy);
	/* the command's group is ours: hm-exec signals it; we wait */
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	if (enter_ns(!o->no_pid, o->image != NULL, &why) < 0)
		fail("cannot create namespaces (%s):", why);
	/* in the new namespace: a mount from another cannot be bound */
	open_binds(o, fds);
	mount_view(o);
	do_binds(o, fds);
	if (o->image)
		enter_image(o);
	if (o->no_pid)
		exec_command(o, o->ws);
	if (pipe2(sp, O_CLOEXEC) < 0)
		fail("pipe:");
	if ((init = fork()) < 0)
		fail("fork:");
	if (init == 0) {
		close(sp[0]);
		ns_init(o, sp[1]);
	}
	close(sp[1]);
	relay(init, sp[0]);
}

/* ---- the probe ---- */

/*
 * Try each way in a child of its own, in a scratch directory: a view
 * that reads a lower file, deletes a lower directory (which fails with
 * EIO where the overlay cannot write whiteouts) and writes a new file.
 * Prints one line per way: "overlay ok", or "overlay no: REASON".
 */
static int
probe_child(struct opts *o, const char *scratch, bool copy)
{
	char lower[4096], upper[4096], work[4096], view[4096];
	int p[2], st;
	pid_t pid;
	char why[1024];
	ssize_t n;

	snprintf(lower, sizeof(lower), "%s/lower", scratch);
	snprintf(upper, sizeof(upper), "%s/upper", scratch);
	snprintf(work, sizeof(work), "%s/work", scratch);
	snprintf(view, sizeof(view), "%s/view", scratch);
	if (mkdir(lower, 0755) < 0 || mkdir(upper, 0755) < 0 ||
	    mkdir(work, 0755) < 0 || mkdir(view, 0755) < 0 ||
	    mkdir(strcat(strcpy(why, view), "/d"), 0755) < 0) {
		printf("%s no: cannot create '%s': %s\n",
		    copy ? "copy" : "overlay", scratch, strerror(errno));
		return -1;
	}
	if (pipe(p) < 0)
		return -1;
	if ((pid = fork()) == 0) {
		const char *w = "";
		char kmsg[1024] = "";

		close(p[0]);
		dup2(p[1], 2);
		o->ws = view;
		o->nlower = 1;
		o->lower[0] = lower;
		o->upper = copy ? NULL : upper;
		o->work = copy ? NULL : work;
		o->copy = copy ? upper : NULL;
		if (enter_ns(true, false, &w) < 0) {
			fprintf(stderr, "namespaces: %s: %s", w,
			    strerror(errno));
			_exit(1);
		}
		if (copy) {
			if (mount(upper, view, NULL, MS_BIND, NULL) < 0) {
				fprintf(stderr, "bind mount: %s",
				    strerror(errno));
				_exit(1);
			}
			_exit(0);
		}
		if (mount_overlay(o, kmsg, sizeof(kmsg)) < 0) {
			fprintf(stderr, "mount: %s%s%s", strerror(errno),
			    kmsg[0] ? ": " : "", kmsg);
			_exit(1);
		}
		if (rmdir(strcat(strcpy(kmsg, view), "/d")) < 0) {
			fprintf(stderr, "deleting a lower directory: %s",
			    strerror(errno));
			_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], why, sizeof(why) - 1);
	why[n > 0 ? n : 0] = '\0';
	close(p[0]);
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st)) {
		printf("%s no: %s\n", copy ? "copy" : "overlay",
		    why[0] ? why : "the probe died");
		return -1;
	}
	printf("%s ok\n", copy ? "copy" : "overlay");
	return 0;
}

static int
probe(struct opts *o)
{
	char a[4096], b[4096];
	int r;

	snprintf(a, sizeof(a), "%s/overlay", o->probe);
	snprintf(b, sizeof(b), "%s/copy", o->probe);
	if ((mkdir(a, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(b, 0755) < 0 && errno != EEXIST)) {
		printf("overlay no: cannot create '%s': %s\n", a,
		    strerror(errno));
		return 1;
	}
	r = probe_child(o, a, false);
	probe_child(o, b, true);
	store_rmtree(a);
	store_rmtree(b);
	return r < 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };

	tool_init("hm-sandbox");
	parse(&o, argc, argv);
	if (o.probe)
		return probe(&o) ? 1 : close_stdout();
	run(&o);
}
