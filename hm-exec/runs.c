/* hm: the runs kept under .hm/: the .gitignore, and pruning old runs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "runs.h"
#include "tool.h"

/*
 * A run's logs are in .hm/logs/RUN, RUN its id (YYYYMMDDTHHMMSSZ-PID), so
 * that names sort as the runs started. Pruning removes the oldest beyond
 * the number kept, and only directories named like a run, holding only
 * files (what hm-exec writes there): anything else is left alone.
 */

void
runs_gitignore(const char *hm_dir)
{
	size_t n = strlen(hm_dir) + 16;
	char *path = xmalloc(n);
	int fd;

	snprintf(path, n, "%s/.gitignore", hm_dir);
	/* O_EXCL: a .gitignore someone wrote stays as it is */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd >= 0) {
		if (write(fd, "*\n", 2) != 2)
			warnf("cannot write '%s':", path);
		close(fd);
	}
	free(path);
}

/* Whether name looks like a run id: 8 digits, T, 6 digits, Z-, digits. */
static int
is_run(const char *s)
{
	int i;

	for (i = 0; i < 8; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (s[8] != 'T')
		return 0;
	for (i = 9; i < 15; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	if (s[15] != 'Z' || s[16] != '-' || !s[17])
		return 0;
	for (i = 17; s[i]; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file of a run: what cannot be removed stays (and so does the run). */
static int
remove_file(int dfd, const char *name, void *arg)
{
	(void)arg;
	unlinkat(dfd, name, 0);
	return 0;
}

/* Remove dir/name and the files in it; leave it if it holds more. */
static void
remove_run(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return;
	r = file_each_entry(fd, remove_file, NULL, false);
	close(fd);
	if (r == 0)
		unlinkat(dfd, name, AT_REMOVEDIR);
}

void
runs_prune(const char *logs, long keep)
{
	DIR *d = opendir(logs);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, cap = 0, i;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!is_run(e->d_name))
			continue;
		if (n == cap) {
			cap = 2 * cap + 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n++] = xstrdup(e->d_name);
	}
	qsort(v, n, sizeof(*v), by_name);
	for (i = 0; keep >= 0 && i + (size_t)keep < n; i++)
		remove_run(dirfd(d), v[i]);
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	closedir(d);
}
