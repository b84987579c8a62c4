/* hm: the one process API: start a command in a process group of its own, stop it. */
#ifndef HM_PROC_H
#define HM_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Every process hm starts goes through here (hm-bake's predicates,
 * generators and matrix commands, hm-exec's steps and bakers), modelled
 * on git's run-command:
 *
 *	struct proc p = PROC_INIT;
 *	p.argv = argv;		// and envp, out, err as needed
 *	if ((e = proc_start(&p)) != 0)
 *		... strerror(e) ...
 *	... read p.out_fd, reap with proc_reaped() or proc_wait() ...
 *	proc_release(&p);
 *
 * The rules, the same for every child (but the one interactive shell of
 * `hm-exec --shell`, p->foreground, which keeps our stdin and group):
 * - It leads a process group of its own (pgid == pid), so a signal sent
 *   with proc_signal() reaches everything it started that did not leave
 *   the group.
 * - stdin is /dev/null. Every descriptor hm opens is close-on-exec, so
 *   the child holds 0, 1, 2 and only what hm itself inherited (a make
 *   jobserver's descriptors pass through, as through sh).
 * - The signal dispositions hm changes (PROC_SIGNALS) are back to their
 *   defaults and the signal mask is empty.
 * - argv and envp are built before the spawn; the spawn (posix_spawn)
 *   reports an exec failure as its return value.
 * - Stopping is TERM to the group, then KILL once `grace` has passed
 *   (proc_stop, then proc_tick), the same for a timeout, an interrupt, or
 *   what is left in the group after its leader exited.
 *
 * The library never prints, never exits and keeps no global state:
 * functions return 0 or an errno value. Reaping is the caller's (a tool
 * with many children reaps with waitpid(-1) and hands the status to
 * proc_reaped); proc_wait does it all for one child at a time.
 */

/* The signals whose dispositions hm changes; a child gets them back. */
#define PROC_SIGNALS	{ SIGINT, SIGTERM, SIGHUP, SIGCHLD, SIGPIPE, SIGQUIT }

/* Where a child's stdout or stderr goes, besides a descriptor >= 0. */
#define PROC_INHERIT	(-1)	/* the same as this process's */
#define PROC_NULL	(-2)	/* /dev/null */
#define PROC_PIPE	(-3)	/* a new pipe; its read end is out_fd/err_fd */
#define PROC_TO_OUT	(-4)	/* stderr only: wherever stdout goes */

struct proc {
	/* set before proc_start */
	const char *const *argv;	/* argv[0] is the program, and $0 */
	const char *path;		/* the program, when not argv[0] */
	char *const *envp;		/* NULL: this process's environment */
	bool search;			/* argv[0] without '/': look it up in
					   this process's PATH */
	int out, err;			/* a descriptor or a PROC_ value */
	double timeout;			/* seconds from the start, 0: none */
	double grace;			/* seconds between TERM and KILL */
	bool foreground;		/* an interactive child (a shell): it
					   keeps this process's stdin and
					   process group, so the terminal and
					   its signals reach it; signals from
					   here go to it alone */

	/* set by proc_start and what follows */
	pid_t pid;			/* also the process group; 0: none */
	int out_fd, err_fd;		/* PROC_PIPE read ends (non-blocking,
					   close-on-exec), -1: none or EOF */
	double started;			/* proc_now() at the start */
	double deadline;		/* timeout: started + timeout, 0: none */
	double kill_at;			/* KILL the group then, 0: not due */
	bool reaped;
	int wstatus;			/* waitpid's, once reaped */
	bool timed_out;			/* the deadline passed */
	bool stopping;			/* TERM was sent (proc_stop) */
};

#define PROC_INIT { .out = PROC_INHERIT, .err = PROC_INHERIT, .grace = 5, \
	.out_fd = -1, .err_fd = -1 }

/* Monotonic seconds: the clock of every deadline. */
double proc_now(void);

/*
 * A pipe with both ends close-on-exec and the read end non-blocking.
 * Returns 0 or an errno value.
 */
int proc_pipe(int fds[2]);

/*
 * Start p->argv as described at the top. Returns 0 (p->pid set, pipes
 * open) or an errno value (nothing left open; ENOENT and EACCES are the
 * program's own).
 */
int proc_start(struct proc *p);

/*
 * Send sig to p's process group (p alone if p->foreground); a group
 * already empty is not an error.
 */
void proc_signal(const struct proc *p, int sig);

/*
 * Ask p to stop: TERM to the group now and KILL once p->grace has passed
 * (proc_tick sends it). Repeated calls do not move the KILL later.
 */
void proc_stop(struct proc *p, double now);

/*
 * Act on what is due at now: the deadline (sets timed_out, then
 * proc_stop) and the KILL. Returns the next time something is due, or 0.
 */
double proc_tick(struct proc *p, double now);

/*
 * p's leader was reaped with wstatus. What it left in its group is told
 * to go: TERM now, KILL after the grace (proc_tick). Returns true if the
 * group still had members.
 */
bool proc_reaped(struct proc *p, int wstatus, double now);

/*
 * Run p to the end, for a tool with one child at a time: start it, read
 * p->out_fd (PROC_PIPE) into *out up to maxout bytes (more: KILL, and
 * *too_big), enforce the deadline, reap. A descriptor cancel_fd >= 0 that
 * becomes readable stops the child at once (TERM, KILL after the grace)
 * and makes proc_wait return ECANCELED once it is reaped: a signal
 * handler that writes to a self-pipe cancels without touching the child
 * itself. Returns 0 (p->wstatus, p->timed_out set; *out NUL-terminated,
 * malloc'd), or an errno value.
 */
int proc_wait(struct proc *p, int cancel_fd, size_t maxout, char **out,
    size_t *outlen, bool *too_big);

/* Close what p still holds open (not the process: it is reaped or not). */
void proc_release(struct proc *p);

#endif
