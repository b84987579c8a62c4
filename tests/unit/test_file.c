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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_dir_made),
		cmocka_unit_test(test_private_dir_refused),
		cmocka_unit_test(test_open_log),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
