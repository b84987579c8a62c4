/* hm: files hm writes, created so that nobody else can redirect or read them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "mem.h"

int
file_write_fd(int fd, const void *data, size_t n)
{
	const char *p = data;
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
file_out_release(struct file_out *f)
{
	free(f->path);
	free(f->tmp);
	f->path = f->tmp = NULL;
	f->fd = -1;
}

/* Written in place: a character device or a FIFO, checked once open. */
static int
open_in_place(struct file_out *f, const char **why)
{
	struct stat st;
	int fd = open(f->path, O_WRONLY | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !(S_ISCHR(st.st_mode) ||
	    S_ISFIFO(st.st_mode))) {
		close(fd);
		*why = "changed while it was opened";
		errno = EINVAL;
		return -1;
	}
	f->fd = fd;
	return 0;
}

/* A temporary file beside the path: "DIR/.NAME.XXXXXX". */
static int
open_temp(struct file_out *f)
{
	const char *slash = strrchr(f->path, '/');
	size_t dl = slash ? (size_t)(slash - f->path) + 1 : 0;
	size_t len = strlen(f->path);

	f->tmp = malloc(len + 10);
	if (!f->tmp)
		return -1;
	memcpy(f->tmp, f->path, dl);
	f->tmp[dl] = '.';
	memcpy(f->tmp + dl + 1, f->path + dl, len - dl);
	memcpy(f->tmp + len + 1, ".XXXXXX", 8);
	f->fd = mkstemp(f->tmp);	/* O_EXCL, 0600 */
	if (f->fd < 0)
		return -1;
	fcntl(f->fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

/*
 * 0666 less the umask. umask(2) cannot read it without setting it (a
 * process-wide change the library does not make); Linux shows it in
 * /proc/self/status since 4.7. Elsewhere: 0644.
 */
static mode_t
new_file_mode(void)
{
	char line[128];
	unsigned um = 022;
	FILE *f = fopen("/proc/self/status", "r");

	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Umask: %o", &um) == 1)
				break;
		fclose(f);
	}
	return 0666 & ~(mode_t)um;
}

int
file_out_open(struct file_out *f, const char *path, const char **why)
{
	struct stat ls, st;
	int e;

	*why = NULL;
	f->fd = -1;
	f->tmp = NULL;
	f->mode = 0;
	if (!(f->path = strdup(path)))
		return -1;
	if (lstat(path, &ls) < 0) {
		if (errno != ENOENT)
			goto fail;
		f->mode = new_file_mode();
		if (open_temp(f) < 0)
			goto fail;
		return 0;
	}
	if (stat(path, &st) < 0) {
		if (errno == ENOENT && S_ISLNK(ls.st_mode)) {
			*why = "is a dangling symbolic link";
			errno = ELOOP;
		}
		goto fail;
	}
	if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
		if (open_in_place(f, why) < 0)
			goto fail;
		return 0;
	}
	if (S_ISLNK(ls.st_mode)) {
		*why = S_ISREG(st.st_mode) ? "is a symbolic link to a file "
		    "(name the file itself)" : "is a symbolic link";
		errno = ELOOP;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		*why = S_ISDIR(st.st_mode) ? "is a directory" :
		    "is not a regular file, a character device or a FIFO";
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	f->mode = st.st_mode & 07777;
	if (open_temp(f) < 0)
		goto fail;
	return 0;
fail:
	e = errno;
	if (f->tmp && f->fd >= 0)
		unlink(f->tmp);
	if (f->fd >= 0)
		close(f->fd);
	file_out_release(f);
	errno = e;
	return -1;
}

int
file_out_commit(struct file_out *f)
{
	int e;

	if (!f->tmp) {
		if (close(f->fd) < 0 && errno != EINTR) {
			e = errno;
			file_out_release(f);
			errno = e;
			return -1;
		}
		file_out_release(f);
		return 0;
	}
	if (fchmod(f->fd, f->mode) < 0 || fsync(f->fd) < 0)
		goto fail;
	if (close(f->fd) < 0) {
		f->fd = -1;
		goto fail;
	}
	f->fd = -1;
	if (rename(f->tmp, f->path) < 0)
		goto fail;
	file_out_release(f);
	return 0;
fail:
	e = errno;
	file_out_abort(f);
	errno = e;
	return -1;
}

void
file_out_abort(struct file_out *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlink(f->tmp);
	file_out_release(f);
}

int
file_write(const char *path, const void *data, size_t n, const char **why)
{
	struct file_out f = FILE_OUT_INIT;
	int e;

	if (file_out_open(&f, path, why) < 0)
		return -1;
	if (file_write_fd(f.fd, data, n) < 0) {
		e = errno;
		file_out_abort(&f);
		errno = e;
		return -1;
	}
	return file_out_commit(&f);
}

int
file_write_atomic(const char *path, const char *data, size_t n)
{
	const char *why;

	return file_write(path, data, n, &why);
}

/* Check an existing directory: a directory, this user's, not o+w. */
static int
dir_check(const char *dir, const char **why)
{
	struct stat ls, st;

	if (lstat(dir, &ls) < 0 || stat(dir, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		*why = "is not a directory";
		return -1;
	}
	if (S_ISLNK(ls.st_mode) && ls.st_uid != geteuid()) {
		*why = "is a symbolic link owned by another user";
		return -1;
	}
	if (st.st_uid != geteuid()) {
		*why = "is owned by another user";
		return -1;
	}
	if (st.st_mode & S_IWOTH) {
		*why = "is writable by others";
		return -1;
	}
	return 0;
}

int
file_private_dir(const char *dir, const char **why)
{
	char *p, *s;
	int e;

	*why = NULL;
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno == EEXIST)
		return dir_check(dir, why);
	if (errno != ENOENT)
		return -1;
	/* missing parents: make each, 0700 */
	if (!(p = strdup(dir)))
		return -1;
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			e = errno;
			free(p);
			errno = e;
			return -1;
		}
		*s = '/';
	}
	free(p);
	if (mkdir(dir, 0700) == 0)
		return 0;
	if (errno == EEXIST)
		return dir_check(dir, why);
	return -1;
}

int
file_open_log(const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_NOCTTY | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

int
file_read_fd(int fd, size_t max, char **textp, size_t *sizep)
{
	size_t cap = 64 * 1024, len = 0;
	struct stat st;
	char *text, *t;
	ssize_t n;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uintmax_t)st.st_size > max) {
			errno = EFBIG;
			return -1;
		}
		/* one byte more, so that the read that sees EOF has room */
		cap = (size_t)st.st_size + 1;
	}
	if (!(text = malloc(cap + 2)))
		return -1;
	mem_advise_huge(text, cap + 2);
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				free(text);
				errno = EFBIG;
				return -1;
			}
			cap *= 2;
			if (!(t = realloc(text, cap + 2))) {
				free(text);
				return -1;
			}
			text = t;
			mem_advise_huge(text + len, cap + 2 - len);
		}
		n = read(fd, text + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(text);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(text);
		errno = EFBIG;
		return -1;
	}
	text[len] = '\0';
	*textp = text;
	*sizep = len;
	return 0;
}

int
file_each_entry(int dfd, int (*fn)(int dfd, const char *name, void *arg),
    void *arg, bool stop_on_error)
{
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0), r = 0, err = 0;
	DIR *d;
	struct dirent *e;

	if (fd < 0)
		return -1;
	if (!(d = fdopendir(fd))) {
		err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	/* the copy shares dfd's offset, which an earlier walk moved */
	rewinddir(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fn(dfd, e->d_name, arg) < 0) {
			if (r == 0)
				err = errno;
			r = -1;
			if (stop_on_error)
				break;
		}
	}
	closedir(d);
	if (r < 0)
		errno = err;
	return r;
}
