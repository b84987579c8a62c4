/* hm: files hm writes, created so that nobody else can redirect or read them. */
#ifndef HM_FILE_H
#define HM_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Result files (hm-lower -o, hm-exec's --junit, --emit-ir, outputs.json,
 * fragment files) and logs. The dangers: a temporary file with a
 * predictable name that someone plants a symbolic link at; a result that
 * is written (or half written) while somebody reads it; a device named
 * as the output being replaced by a regular file (as root, `--junit
 * /dev/null` would destroy the device node); logs read by other users.
 *
 * A result file, by what its path names now:
 *
 *	nothing		a temporary file is made by mkstemp (O_EXCL: never
 *			through a link) in the same directory, mode 0600
 *			while it is written; when it is complete it gets
 *			0666 less the umask and is renamed over the path
 *	a regular file	the same, and the file's permission bits are kept
 *	a character device or a FIFO (/dev/null, /dev/tty, a pipe, also
 *			through a symbolic link such as /dev/stdout)
 *			written in place, never replaced
 *	a symbolic link to a regular file, or a dangling one
 *			refused: the link would be replaced, or followed to
 *			a file the user did not name
 *	anything else (a directory, a block device, a socket)
 *			refused
 *
 * A refusal is -1 with *why set to a phrase ("is a symbolic link") and
 * errno to ELOOP, EISDIR or EINVAL; a system error is -1 with errno set
 * and *why NULL. The library never prints: the tool says "cannot write
 * PATH: WHY" and exits 74.
 */
struct file_out {
	int fd;			/* write here */
	char *path;		/* owned copy */
	char *tmp;		/* the temporary file; NULL: in place */
	mode_t mode;		/* the mode it gets when renamed */
};

#define FILE_OUT_INIT { -1, NULL, NULL, 0 }

/* Open path for writing as above; 0, or -1 (errno, and *why). */
int file_out_open(struct file_out *f, const char *path, const char **why);
/* Finish: flush to disk, set the mode, rename; 0 or -1 and errno (the
 * temporary file is removed). Releases f either way. */
int file_out_commit(struct file_out *f);
/* Give up: close, remove the temporary file, release f. */
void file_out_abort(struct file_out *f);
/* The whole of data[0..n) as path, through file_out; 0 or -1. */
int file_write(const char *path, const void *data, size_t n,
    const char **why);
/* The same, errno only: write data to path whole, or not at all. */
int file_write_atomic(const char *path, const char *data, size_t n);
/* Write all of data[0..n) to fd (EINTR and short writes); 0 or -1. */
int file_write_fd(int fd, const void *data, size_t n);

/*
 * A directory only this user can write to, for logs: made 0700 (with its
 * missing parents, 0700 too) if it does not exist; refused if it is not a
 * directory (a symbolic link to one is followed only if it is this
 * user's), is owned by another user, or is writable by others. 0 or -1
 * (errno, or *why).
 */
int file_private_dir(const char *dir, const char **why);
/*
 * Open a log for appending: created 0600, never through a symbolic link
 * (O_NOFOLLOW), and refused unless it is a regular file. fd or -1 and
 * errno (ELOOP for a link, EINVAL for something else).
 */
int file_open_log(const char *path);

/*
 * Read all of fd (a file, pipe or terminal) into a malloc'd buffer with
 * 2 spare bytes after the text and a NUL right after it; more than max
 * bytes is EFBIG. The one whole-file reader: -1 and errno on failure.
 */
int file_read_fd(int fd, size_t max, char **text, size_t *size);

/*
 * The one directory walker: fn(dfd, name, arg) for each entry of the
 * open directory dfd but "." and "..", in readdir's order, from the
 * start whatever earlier reads of dfd did. The walk reads through a
 * close-on-exec copy of dfd: the caller keeps dfd, and fn works
 * relative to it. 0, or -1 when the directory cannot be read (errno)
 * or some fn returned < 0 (errno as the first such fn left it): the
 * walk stops there if stop_on_error, else it goes on to the end. An
 * error of readdir ends the walk as its end would.
 */
int file_each_entry(int dfd, int (*fn)(int dfd, const char *name,
    void *arg), void *arg, bool stop_on_error);

#endif
