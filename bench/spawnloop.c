/* hm: bench helper: the floor of an executor, spawning /bin/sh -c true. */
#include <sys/types.h>
#include <sys/wait.h>

#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * usage: spawnloop N J
 *
 * Runs /bin/sh -c true N times, J at a time, with posix_spawn and
 * waitpid: what any executor of N trivial shell commands must pay at
 * least (no graph, no output, no logs).
 */
extern char **environ;

int
main(int argc, char **argv)
{
	char *sh[] = { "/bin/sh", "-c", "true", NULL };
	long n, j, started = 0, running = 0;
	pid_t pid;
	int st;

	if (argc != 3 || (n = atol(argv[1])) < 0 || (j = atol(argv[2])) < 1) {
		fprintf(stderr, "usage: spawnloop N J\n");
		return 125;
	}
	while (started < n || running > 0) {
		while (started < n && running < j) {
			if (posix_spawn(&pid, sh[0], NULL, NULL, sh,
			    environ) != 0) {
				perror("spawnloop: posix_spawn");
				return 1;
			}
			started++;
			running++;
		}
		if (wait(&st) < 0) {
			perror("spawnloop: wait");
			return 1;
		}
		running--;
	}
	return 0;
}
