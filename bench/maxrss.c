/* hm: bench helper: run a command, report its wall time, CPU and peak RSS. */
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * usage: maxrss [-o FILE] COMMAND [ARG...]
 *
 * Runs COMMAND (no shell; stdin, stdout and stderr inherited) and appends
 * one line to FILE (default: stderr):
 *	WALL_NS CPU_NS MAXRSS_KB STATUS
 * WALL_NS is the time from fork to exit (CLOCK_MONOTONIC), CPU_NS its user
 * plus system time, MAXRSS_KB its peak resident set size (getrusage of the
 * only child, so exactly its own), STATUS its exit status or 128 + the
 * signal that ended it. maxrss exits with STATUS; 125 if it failed itself,
 * 127 if COMMAND could not be run.
 */

static void
usage(void)
{
	fprintf(stderr, "usage: maxrss [-o FILE] COMMAND [ARG...]\n");
	exit(125);
}

static long long
ns_of(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static long long
tv_ns(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000000LL +
	    (long long)tv->tv_usec * 1000LL;
}

int
main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	const char *outpath;
	FILE *out;
	pid_t pid;
	int c, st, status;

	outpath = NULL;
	while ((c = getopt(argc, argv, "+o:")) != -1) {
		switch (c) {
		case 'o':
			outpath = optarg;
			break;
		default:
			usage();
		}
	}
	argv += optind;
	if (!*argv)
		usage();

	if (clock_gettime(CLOCK_MONOTONIC, &t0) == -1) {
		perror("maxrss: clock_gettime");
		return 125;
	}
	pid = fork();
	if (pid == -1) {
		perror("maxrss: fork");
		return 125;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "maxrss: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1) {
		if (errno != EINTR) {
			perror("maxrss: waitpid");
			return 125;
		}
	}
	if (clock_gettime(CLOCK_MONOTONIC, &t1) == -1 ||
	    getrusage(RUSAGE_CHILDREN, &ru) == -1) {
		perror("maxrss: clock_gettime or getrusage");
		return 125;
	}
	if (WIFEXITED(st))
		status = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		status = 128 + WTERMSIG(st);
	else
		status = 125;

	out = stderr;
	if (outpath && !(out = fopen(outpath, "a"))) {
		fprintf(stderr, "maxrss: %s: %s\n", outpath, strerror(errno));
		return 125;
	}
	fprintf(out, "%lld %lld %ld %d\n", ns_of(&t1) - ns_of(&t0),
	    tv_ns(&ru.ru_utime) + tv_ns(&ru.ru_stime), ru.ru_maxrss, status);
	if (out != stderr && fclose(out) == EOF) {
		fprintf(stderr, "maxrss: %s: %s\n", outpath, strerror(errno));
		return 125;
	}
	return status;
}
