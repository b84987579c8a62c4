/* hm: unit tests for the files hm writes: logs and their directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

static char dir[64];

static int
setup(void **state)
{
	(void)state;
	umask(022);
	snprintf(dir, sizeof(dir), "/tmp/hm-test-file.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *
at(const char *name)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* made 0700 with its parents; an existing private one is fine */
static void
test_private_dir_made(void **state)
{
	const char *why = "x";

	(void)state;
	assert_int_equal(file_private_dir(at("a/b/logs"), &why), 0);
	assert_int_equal(mode_of(at("a")), 0700);
	assert_int_equal(mode_of(at("a/b/logs")), 0700);
	assert_int_equal(file_private_dir(at("a/b/logs"), &why), 0);
	assert_null(why);
	mkdir(at("shared"), 0755);
	assert_int_equal(file_private_dir(at("shared"), &why), 0);
}

/* writable by others, owned by another user, or not a directory */
static void
test_private_dir_refused(void **state)
{
	const char *why = NULL;
	int fd;

	(void)state;
	assert_int_equal(mkdir(at("open"), 0700), 0);
	assert_int_equal(chmod(at("open"), 0777), 0);
	assert_int_equal(file_private_dir(at("open"), &why), -1);
	assert_string_equal(why, "is writable by others");
	fd = open(at("plain"), O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(file_private_dir(at("plain"), &why), -1);
	assert_string_equal(why, "is not a directory");
	if (geteuid() == 0) {
		assert_int_equal(mkdir(at("theirs"), 0700), 0);
		assert_int_equal(chown(at("theirs"), 65534, 65534), 0);
		assert_int_equal(file_private_dir(at("theirs"), &why), -1);
		assert_string_equal(why, "is owned by another user");
	}
}

/* a log is 0600 and never opened through a symbolic link */
static void
test_open_log(void **state)
{
	int fd;

	(void)state;
	fd = file_open_log(at("step.log"));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "x\n", 2), 2);
	close(fd);
	assert_int_equal(mode_of(at("step.log")), 0600);
	assert_int_equal(symlink("/etc/passwd-nope", at("planted.log")), 0);
	assert_int_equal(file_open_log(at("planted.log")), -1);
	assert_int_equal(errno, ELOOP);
	assert_int_equal(access("/etc/passwd-nope", F_OK), -1);
	mkdir(at("dir.log"), 0700);
	assert_int_equal(file_open_log(at("dir.log")), -1);
}

/* a result file: complete, with its mode, and no temporary file left */
static void
test_write(void **state)
{
	const char *why = NULL;
	struct file_out f = FILE_OUT_INIT;

	(void)state;
	assert_int_equal(file_write(at("r.json"), "{}\n", 3, &why), 0);
	assert_int_equal(mode_of(at("r.json")), 0644);
	assert_int_equal(chmod(at("r.json"), 0600), 0);
	assert_int_equal(file_write(at("r.json"), "[]\n", 3, &why), 0);
	assert_int_equal(mode_of(at("r.json")), 0600);
	/* while it is written, the temporary file is 0600 */
	assert_int_equal(file_out_open(&f, at("s.json"), &why), 0);
	assert_non_null(f.tmp);
	assert_int_equal(mode_of(f.tmp), 0600);
	file_out_abort(&f);
	assert_int_equal(access(at("s.json"), F_OK), -1);
	assert_int_equal(symlink("r.json", at("l.json")), 0);
	assert_int_equal(file_write(at("l.json"), "x", 1, &why), -1);
	assert_non_null(why);
	assert_int_equal(file_write("/dev/null", "x", 1, &why), 0);
}

/* what the walker's fn saw */
struct seen {
	int dfd;		/* the descriptor fn must get */
	char names[8][16];
	int n;
	int fail;		/* fn fails from the fail-th call on (0: never) */
};

static int
note(int dfd, const char *name, void *arg)
{
	struct seen *s = arg;

	assert_int_equal(dfd, s->dfd);
	assert_true(s->n < 8);
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
	if (s->fail && ++s->n >= s->fail) {
		/* the first failure's errno is the one reported */
		errno = s->n == s->fail ? EXDEV : EPERM;
		return -1;
	}
	if (!s->fail)
		s->n++;
	errno = ENOENT;		/* a success may leave errno as it likes */
	return 0;
}

static int
times_seen(const struct seen *s, const char *name)
{
	int i, k = 0;

	for (i = 0; i < s->n; i++)
		k += !strcmp(s->names[i], name);
	return k;
}

/* a directory "walk" with the entries a, b, .c and sub */
static int
walk_dir(void)
{
	int fd;

	assert_int_equal(mkdir(at("walk"), 0700), 0);
	assert_int_equal(mkdir(at("walk/sub"), 0700), 0);
	assert_true((fd = open(at("walk/a"), O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	assert_true((fd = open(at("walk/b"), O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	assert_true((fd = open(at("walk/.c"), O_WRONLY | O_CREAT, 0600)) >= 0);
	close(fd);
	fd = open(at("walk"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void
assert_all_once(const struct seen *s)
{
	assert_int_equal(s->n, 4);
	assert_int_equal(times_seen(s, "a"), 1);
	assert_int_equal(times_seen(s, "b"), 1);
	assert_int_equal(times_seen(s, ".c"), 1);
	assert_int_equal(times_seen(s, "sub"), 1);
	assert_int_equal(times_seen(s, "."), 0);
	assert_int_equal(times_seen(s, ".."), 0);
}

/* the lowest free descriptor: the one the walker's copy gets */
static int
free_fd(void)
{
	int fd = dup(0);

	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/* each entry once, not . and ..; the walk's copy of the descriptor is
   closed after it; the caller's stays open and usable, and a second
   walk of it sees everything again */
static void
test_each_entry(void **state)
{
	struct seen s = { 0 };
	struct stat st;
	int fd = walk_dir(), copy = free_fd();

	(void)state;
	s.dfd = fd;
	assert_int_equal(file_each_entry(fd, note, &s, true), 0);
	assert_all_once(&s);
	assert_int_equal(free_fd(), copy);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(faccessat(fd, "sub", F_OK, 0), 0);
	memset(&s, 0, sizeof(s));
	s.dfd = fd;
	assert_int_equal(file_each_entry(fd, note, &s, false), 0);
	assert_all_once(&s);
	close(fd);
}

/* stop_on_error stops at the first failure; without it the walk goes
   on to the end; either way -1 and the first failure's errno */
static void
test_each_entry_error(void **state)
{
	struct seen s = { 0 };
	int fd;

	(void)state;
	fd = open(at("walk"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	s.dfd = fd;
	s.fail = 2;
	errno = 0;
	assert_int_equal(file_each_entry(fd, note, &s, true), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(s.n, 2);
	memset(&s, 0, sizeof(s));
	s.dfd = fd;
	s.fail = 2;
	errno = 0;
	assert_int_equal(file_each_entry(fd, note, &s, false), -1);
	assert_int_equal(errno, EXDEV);
	assert_all_once(&s);
	close(fd);
}

/* not a directory, or no descriptor: -1 and errno, fn never called */
static void
test_each_entry_not_dir(void **state)
{
	struct seen s = { 0 };
	int fd, copy;

	(void)state;
	fd = open(at("walk/a"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	copy = free_fd();
	s.dfd = fd;
	errno = 0;
	assert_int_equal(file_each_entry(fd, note, &s, false), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(s.n, 0);
	assert_int_equal(free_fd(), copy);	/* its copy is closed too */
	close(fd);
	errno = 0;
	assert_int_equal(file_each_entry(fd, note, &s, false), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(s.n, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_dir_made),
		cmocka_unit_test(test_private_dir_refused),
		cmocka_unit_test(test_open_log),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_each_entry),
		cmocka_unit_test(test_each_entry_error),
		cmocka_unit_test(test_each_entry_not_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
