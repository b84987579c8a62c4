/* hm: the store of step snapshots: layers, their life, folding, the cache. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "file.h"
#include "store.h"

/*
 * Overlay's on-disk format (with 'userxattr', which hm always uses): a
 * deletion is a whiteout, a character device 0:0; a directory that hides
 * everything below it carries user.overlay.opaque = "y". Merging layers
 * (fold, flatten, apply) follows the same rules the overlay does when it
 * looks a name up, oldest layer first.
 */
#define OPAQUE_XATTR	"user.overlay.opaque"

struct store {
	char *root, *run, *run_dir, *cache_dir, *trash;
	int uses;		/* run_dir/uses (see USES) */
	enum store_mode mode;
	uint32_t next_id;
	unsigned trashed;
	struct layer **all;	/* every layer made in this run */
	size_t nall, capall;
	char err[512];
};

static int
seterr(struct store *s, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(s->err, sizeof(s->err), fmt, ap);
	va_end(ap);
	n = strlen(s->err);
	if (n && s->err[n - 1] == ':')
		snprintf(s->err + n, sizeof(s->err) - n, " %s",
		    strerror(saved));
	errno = saved;
	return -1;
}

static char *
pathf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : p;
}

static int
mkdir_p(const char *path)
{
	char *p = strdup(path), *q;
	int r = 0;

	if (!p)
		return -1;
	for (q = p + 1; ; q++) {
		if (*q == '/' || !*q) {
			char c = *q;

			*q = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST) {
				r = -1;
				break;
			}
			*q = c;
			if (!c)
				break;
		}
	}
	free(p);
	return r;
}

/* ---- deleting trees ---- */

static int rmtree_at(int dfd, const char *name);

/* file_each_entry's fn: a failure is noted in *arg, and the walk goes
   on, so that the walk fails only when the directory cannot be read. */
static int
rmtree_entry(int dfd, const char *name, void *arg)
{
	if (rmtree_at(dfd, name) < 0)
		*(int *)arg = -1;
	return 0;
}

static int
rmtree_at(int dfd, const char *name)
{
	struct stat st;
	int fd, r = 0;

	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return -1;
	/* overlay leaves work/work without permissions */
	if ((st.st_mode & 0700) != 0700)
		fchmodat(dfd, name, 0700, 0);
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return -1;
	if (file_each_entry(fd, rmtree_entry, &r, false) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -1;
	return r;
}

int
store_rmtree(const char *path)
{
	return rmtree_at(AT_FDCWD, path);
}

int
store_rmtree_at(int dfd, const char *name)
{
	return rmtree_at(dfd, name);
}

/* Move path into the trash (deleted at store_close). */
static void
trash(struct store *s, const char *path)
{
	char *t = pathf("%s/%u", s->trash, s->trashed++);

	if (!t || rename(path, t) < 0)
		store_rmtree(path);
	free(t);
}

/* ---- merging layers ---- */

enum merge_how {
	MERGE_MOVE,	/* fold: rename entries into the target */
	MERGE_LINK,	/* flatten: hard links, the source stays */
	MERGE_APPLY	/* apply: copies; deletions done, not recorded */
};

static bool
is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

static bool
is_opaque(int dfd, const char *name)
{
	char v[4];
	ssize_t n;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);

	if (fd < 0)
		return false;
	n = fgetxattr(fd, OPAQUE_XATTR, v, sizeof(v));
	close(fd);
	return n == 1 && v[0] == 'y';
}

static int
set_opaque(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = fsetxattr(fd, OPAQUE_XATTR, "y", 1, 0);
	close(fd);
	return r;
}

static void
copy_meta(int dfd, const char *name, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (!S_ISLNK(st->st_mode))
		fchmodat(dfd, name, st->st_mode & 07777, 0);
	if (geteuid() == 0)
		fchownat(dfd, name, st->st_uid, st->st_gid,
		    AT_SYMLINK_NOFOLLOW);
	utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int
copy_file(int sfd, int dfd, const char *name, const struct stat *st)
{
	char buf[65536];
	ssize_t n;
	int in, out, r = 0;

	if (S_ISLNK(st->st_mode)) {
		char target[4096];

		if ((n = readlinkat(sfd, name, target, sizeof(target) - 1)) < 0)
			return -1;
		target[n] = '\0';
		return symlinkat(target, dfd, name);
	}
	if (!S_ISREG(st->st_mode))
		return mknodat(dfd, name, st->st_mode, st->st_rdev);
	if ((in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if ((out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			r = -1;
			break;
		}
	if (n < 0)
		r = -1;
	close(in);
	if (close(out) < 0)
		r = -1;
	return r;
}

static int merge_dir(int sfd, int dfd, enum merge_how how);

/* Open name under dfd as a directory and merge src's into it. */
static int
merge_into(int sfd, const char *name, int dfd, enum merge_how how)
{
	int s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC), d2, r;

	if (s2 < 0)
		return -1;
	if ((d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		close(s2);
		return -1;
	}
	r = merge_dir(s2, d2, how);
	close(s2);
	close(d2);
	return r;
}

/* One entry of a newer layer onto the target, as overlay would see it. */
static int
merge_entry(int sfd, int dfd, const char *name, enum merge_how how)
{
	struct stat st, dt;
	bool has = fstatat(dfd, name, &dt, AT_SYMLINK_NOFOLLOW) == 0;
	bool opaque;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (S_ISDIR(st.st_mode) && has && S_ISDIR(dt.st_mode) &&
	    !(opaque = is_opaque(sfd, name))) {
		/* a directory on a directory: the two merge */
		if (merge_into(sfd, name, dfd, how) < 0)
			return -1;
		copy_meta(dfd, name, &st);
		return 0;
	}
	opaque = S_ISDIR(st.st_mode) && is_opaque(sfd, name);
	if (has && rmtree_at(dfd, name) < 0)
		return -1;
	if (is_whiteout(&st)) {
		if (how == MERGE_APPLY)
			return 0;
		return how == MERGE_MOVE ? renameat(sfd, name, dfd, name) :
		    linkat(sfd, name, dfd, name, 0);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (how == MERGE_MOVE)
			return renameat(sfd, name, dfd, name);
		if (how == MERGE_LINK)
			return linkat(sfd, name, dfd, name, 0);
		if (copy_file(sfd, dfd, name, &st) < 0)
			return -1;
		copy_meta(dfd, name, &st);
		return 0;
	}
	/* a directory that replaces what was there, or is new */
	if (how == MERGE_MOVE) {
		if (renameat(sfd, name, dfd, name) < 0)
			return -1;
	} else {
		if (mkdirat(dfd, name, 0700) < 0 ||
		    merge_into(sfd, name, dfd, how) < 0)
			return -1;
		copy_meta(dfd, name, &st);
	}
	/* what it replaced may have hidden a directory further down */
	if (how != MERGE_APPLY && (opaque || has))
		return set_opaque(dfd, name);
	return 0;
}

struct merge_walk {
	int dfd;
	enum merge_how how;
};

static int
merge_dir_entry(int sfd, const char *name, void *arg)
{
	struct merge_walk *w = arg;

	return merge_entry(sfd, w->dfd, name, w->how);
}

static int
merge_dir(int sfd, int dfd, enum merge_how how)
{
	struct merge_walk w = { dfd, how };

	return file_each_entry(sfd, merge_dir_entry, &w, true);
}

static int
merge_path(const char *src, const char *dst, enum merge_how how)
{
	int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC), d, r, saved;

	if (s < 0)
		return -1;
	if ((d = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		saved = errno;
		close(s);
		errno = saved;
		return -1;
	}
	r = merge_dir(s, d, how);
	saved = errno;
	close(s);
	close(d);
	errno = saved;
	return r;
}

/* ---- the store ---- */

char *
store_default_root(const char *xdg_cache_home, const char *home)
{
	if (xdg_cache_home && xdg_cache_home[0] == '/')
		return pathf("%s/hm", xdg_cache_home);
	if (home && home[0])
		return pathf("%s/.cache/hm", home);
	return NULL;
}

static const char *
mode_name(enum store_mode m)
{
	return m == STORE_COPY ? "copy" : "overlay";
}

/*
 * USES: while a run is open, runs/RUN/uses names the cache entries it
 * uses ("overlay/KEY", a line each), and the run holds a shared lock on
 * the file. An eviction takes an entry under an exclusive lock, then
 * looks for it in the uses of the runs that are open (the lock taken
 * from it); a run writes the line before it holds the entry
 * (store_hold), so either the eviction sees the line or the run sees the
 * entry gone. A run keeps one descriptor, however many entries it uses.
 */
static int
uses_open(struct store *s)
{
	char *path = pathf("%s/uses", s->run_dir);

	if (!path)
		return -1;
	s->uses = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	free(path);
	if (s->uses < 0)
		return -1;
	while (flock(s->uses, LOCK_SH) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

/* Say that the run uses the cache entry key; -1 if it cannot. */
static int
uses_add(struct store *s, const char *key)
{
	char *line = pathf("%s/%s\n", mode_name(s->mode), key);
	size_t n = line ? strlen(line) : 0;
	int r = line && write(s->uses, line, n) == (ssize_t)n ? 0 : -1;

	free(line);
	return r;
}

/* The uses file of an open run, for reading; -1: no run holds it. */
static int
uses_of_open_run(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 || errno != EWOULDBLOCK) {
		close(fd);	/* no run has it open */
		return -1;
	}
	return fd;
}

/* Whether an open run uses the cache entry rel ("overlay/KEY"). */
static bool
entry_in_use(const char *root, const char *rel)
{
	char *runs = pathf("%s/runs", root), *path, line[512];
	DIR *d = runs ? opendir(runs) : NULL;
	struct dirent *e;
	bool used = false;
	FILE *f;
	int fd;

	while (d && !used && (e = readdir(d))) {
		if (e->d_name[0] == '.' ||
		    !(path = pathf("%s/%s/uses", runs, e->d_name)))
			continue;
		fd = uses_of_open_run(path);
		free(path);
		if (fd < 0 || !(f = fdopen(fd, "r"))) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		while (!used && fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			used = !strcmp(line, rel);
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	free(runs);
	return used;
}

int
store_open(struct store **sp, const char *root, const char *run_id,
    enum store_mode mode, char *err, size_t err_size)
{
	struct store *s = calloc(1, sizeof(*s));
	const char *bad = NULL, *why = NULL;

	*sp = NULL;
	if (!s)
		goto nomem;
	s->mode = mode;
	s->uses = -1;
	s->root = strdup(root);
	s->run = strdup(run_id);
	s->run_dir = pathf("%s/runs/%s", root, run_id);
	s->cache_dir = pathf("%s/cache/%s", root, mode_name(mode));
	s->trash = pathf("%s/trash/%s", root, run_id);
	if (!s->root || !s->run || !s->run_dir || !s->cache_dir || !s->trash)
		goto nomem;
	/* the root is this user's and no other can write to it, so no
	   one else can plant a link where the store writes */
	if (file_private_dir(root, &why) < 0) {
		snprintf(err, err_size, why ? "the store '%s' %s" :
		    "cannot create the store '%s': %s", root, why ? why :
		    strerror(errno));
		s->nall = 0;
		store_close(s);
		return -1;
	}
	if (mkdir_p(s->run_dir) < 0)
		bad = s->run_dir;
	else if (mkdir_p(s->cache_dir) < 0)
		bad = s->cache_dir;
	else if (mkdir_p(s->trash) < 0)
		bad = s->trash;
	else if (uses_open(s) < 0)
		bad = s->run_dir;
	if (bad) {
		snprintf(err, err_size, "cannot create '%s': %s", bad,
		    strerror(errno));
		s->nall = 0;
		store_close(s);
		return -1;
	}
	*sp = s;
	return 0;
nomem:
	snprintf(err, err_size, "out of memory");
	if (s)
		store_close(s);
	return -1;
}

const char *
store_error(const struct store *s)
{
	return s->err;
}

const char *
store_run_dir(const struct store *s)
{
	return s->run_dir;
}

enum store_mode
store_mode(const struct store *s)
{
	return s->mode;
}

static struct layer *
layer_alloc(struct store *s, struct layer *below)
{
	struct layer *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	if (s->nall == s->capall) {
		size_t cap = s->capall ? 2 * s->capall : 64;
		struct layer **a = realloc(s->all, cap * sizeof(*a));

		if (!a) {
			free(l);
			return NULL;
		}
		s->all = a;
		s->capall = cap;
	}
	s->all[s->nall++] = l;
	l->id = s->next_id++;
	l->refs = 1;
	l->below = below;
	l->depth = below ? below->depth + 1 : 1;
	if (below)
		layer_ref(below);
	return l;
}

/* The directory that holds all of a run's layer l. */
static char *
layer_home(const struct store *s, const struct layer *l)
{
	return pathf("%s/%u", s->run_dir, l->id);
}

struct layer *
store_layer_new(struct store *s, struct layer *below)
{
	struct layer *l = layer_alloc(s, below);
	char *home;

	if (!l) {
		seterr(s, "out of memory");
		return NULL;
	}
	home = layer_home(s, l);
	if (s->mode == STORE_COPY) {
		l->dir = pathf("%s/state", home);
		if (mkdir(home, 0755) < 0)
			goto fail;
	} else {
		l->dir = pathf("%s/upper", home);
		l->work = pathf("%s/work", home);
		if (mkdir(home, 0755) < 0 || mkdir(l->dir, 0755) < 0 ||
		    mkdir(l->work, 0755) < 0)
			goto fail;
	}
	free(home);
	return l;
fail:
	seterr(s, "cannot create '%s':", home);
	free(home);
	store_unref(s, l);
	return NULL;
}

void
layer_ref(struct layer *l)
{
	l->refs++;
}

static void
layer_drop(struct store *s, struct layer *l)
{
	char *home = layer_home(s, l);

	/* a cached layer's directory is in the cache: only leftovers here */
	if (home)
		trash(s, home);
	free(home);
	free(l->dir);
	free(l->work);
	l->dir = l->work = NULL;
}

void
store_unref(struct store *s, struct layer *l)
{
	while (l && l->refs && --l->refs == 0) {
		struct layer *below = l->below;

		layer_drop(s, l);
		l = below;
	}
}

size_t
store_chain(const struct layer *l, const char **dirs, size_t max)
{
	size_t n = 0;

	for (; l; l = l->below) {
		if (n < max)
			dirs[n] = l->dir;
		n++;
		if (!l->work && !l->cached)
			break;	/* a copy is the whole state */
	}
	return n;
}

int
store_fold(struct store *s, struct layer *l)
{
	struct layer *p = l->below;
	char *old;

	if (s->mode != STORE_OVERLAY || !p || p->cached || l->cached ||
	    p->refs != 1)
		return 0;
	if (merge_path(l->dir, p->dir, MERGE_MOVE) < 0)
		return seterr(s, "cannot fold '%s' into '%s':", l->dir, p->dir);
	/* l takes over p's directory, and p's place in the chain */
	old = layer_home(s, l);
	if (old)
		trash(s, old);
	free(old);
	free(l->dir);
	free(l->work);
	l->dir = p->dir;
	l->work = p->work;
	l->id = p->id;
	l->below = p->below;
	l->depth = p->depth;
	p->dir = p->work = NULL;
	p->below = NULL;
	p->refs = 0;
	return 1;
}

int
store_flatten(struct store *s, struct layer *l)
{
	const struct layer *chain[1024], *q;
	struct layer *f;
	size_t n = 0;

	if (s->mode != STORE_OVERLAY || !l->below || l->below->depth < 2)
		return 0;
	for (q = l->below; q && n < 1024; q = q->below)
		chain[n++] = q;
	if (!(f = store_layer_new(s, NULL)))
		return -1;
	while (n-- > 0)
		if (merge_path(chain[n]->dir, f->dir, MERGE_LINK) < 0) {
			seterr(s, "cannot flatten '%s' into '%s':",
			    chain[n]->dir, f->dir);
			store_unref(s, f);
			return -1;
		}
	store_unref(s, l->below);
	l->below = f;	/* takes f's reference */
	l->depth = 2;
	return 1;
}

/* A key as one file name: '/' becomes '%', as for logs. */
static char *
key_file(const char *key)
{
	char *k = strdup(key), *p;

	if (k)
		for (p = k; *p; p++)
			if (*p == '/')
				*p = '%';
	return k;
}

int
store_keep(struct store *s, struct layer *l, const char *name,
    const char *image, const char *base)
{
	char *dir = pathf("%s/kept", s->run_dir), *k = key_file(name);
	char *path = NULL;
	const struct layer *q;
	FILE *f = NULL;
	int r = -1, fd;

	if (!dir || !k || !(path = pathf("%s/%s", dir, k))) {
		seterr(s, "out of memory");
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		seterr(s, "cannot create '%s':", dir);
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) < 0 || !(f = fdopen(fd, "w"))) {
		seterr(s, "cannot create '%s':", path);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (image)
		fprintf(f, "%s image\n%s\n%s\n", mode_name(s->mode), image,
		    base);
	else
		fprintf(f, "%s\n", mode_name(s->mode));
	for (q = l; q; q = q->below)
		fprintf(f, "%s\n", q->dir);
	if (fclose(f) != 0) {
		seterr(s, "cannot write '%s':", path);
		goto out;
	}
	layer_ref(l);
	for (q = l; q; q = q->below)
		((struct layer *)q)->kept = true;
	r = 0;
out:
	free(dir);
	free(k);
	free(path);
	return r;
}

static int
cmp_desc(const void *a, const void *b)
{
	return -strcmp(*(char *const *)a, *(char *const *)b);
}

/* The run directories, newest first (run ids sort by time). */
static char **
list_runs(const char *root, size_t *n)
{
	char *dir = pathf("%s/runs", root);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	free(dir);
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			char **w = realloc(v, (cap = cap ? 2 * cap : 16) *
			    sizeof(*v));

			if (!w)
				break;
			v = w;
		}
		if (!(v[*n] = strdup(e->d_name)))
			break;
		(*n)++;
	}
	closedir(d);
	if (v)
		qsort(v, *n, sizeof(*v), cmp_desc);
	return v;
}

/* One line of a kept file, without its newline (malloc'd), or NULL. */
static char *
kept_line(FILE *f)
{
	char line[4096];
	size_t len;

	if (!fgets(line, sizeof(line), f))
		return NULL;
	len = strlen(line);
	if (len && line[len - 1] == '\n')
		line[--len] = '\0';
	return strdup(line);
}

static int
read_kept(const char *path, struct store_kept *k, size_t max)
{
	FILE *f = fopen(path, "r");
	char *line;

	if (!f)
		return -1;
	k->n = 0;
	k->image = k->base = NULL;
	if (!(line = kept_line(f))) {
		fclose(f);
		errno = EINVAL;
		return -1;
	}
	k->mode = strncmp(line, "copy", 4) ? STORE_OVERLAY : STORE_COPY;
	if (strstr(line, " image")) {
		k->image = kept_line(f);
		k->base = kept_line(f);
	}
	free(line);
	while (k->n < max && (line = kept_line(f)))
		k->dirs[k->n++] = line;
	fclose(f);
	return 0;
}

static int
find_in_run(const char *root, const char *run, const char *key,
    struct store_kept *k, size_t max)
{
	char *kf = key_file(key), *path = NULL;
	int r = -1;

	if (kf && (path = pathf("%s/runs/%s/kept/%s", root, run, kf)))
		r = read_kept(path, k, max);
	free(kf);
	free(path);
	return r;
}

int
store_find_kept(const char *root, const char *name, struct store_kept *k,
    size_t max, char *err, size_t err_size)
{
	size_t nruns, i, rl;
	char **runs = list_runs(root, &nruns);
	const char *slash = strchr(name, '/');
	int r = -1;

	/* RUN/KEY: only that run */
	for (i = 0; slash && i < nruns; i++) {
		rl = strlen(runs[i]);
		if ((size_t)(slash - name) == rl && !strncmp(name, runs[i], rl))
			break;
	}
	if (slash && i < nruns)
		r = find_in_run(root, runs[i], slash + 1, k, max);
	else
		for (i = 0; i < nruns && r < 0; i++)
			r = find_in_run(root, runs[i], name, k, max);
	for (i = 0; i < nruns; i++)
		free(runs[i]);
	free(runs);
	if (r < 0) {
		snprintf(err, err_size, "no kept state '%s' in '%s/runs' "
		    "(a run keeps the states of failed steps, or of every "
		    "step with --keep=all)", name, root);
		errno = ENOENT;
	}
	return r;
}

void
store_kept_release(struct store_kept *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->dirs[i]);
	free(k->image);
	free(k->base);
	k->n = 0;
	k->image = k->base = NULL;
}

struct prune_walk {
	int sfd;
	bool top;
};

static int prune(int sfd, int dfd, bool top);

/* One entry of dir: deleted, or pruned further when both have it as a
   directory. */
static int
prune_entry(int dfd, const char *name, void *arg)
{
	struct prune_walk *w = arg;
	struct stat st, dt;
	int r = 0;

	if (w->top && !strcmp(name, ".hm"))
		return 0;
	if (fstatat(w->sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return rmtree_at(dfd, name);
	if (fstatat(dfd, name, &dt, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode) && S_ISDIR(dt.st_mode)) {
		int s2 = openat(w->sfd, name, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
		int d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (s2 < 0 || d2 < 0 || prune(s2, d2, false) < 0)
			r = -1;
		if (s2 >= 0)
			close(s2);
		if (d2 >= 0)
			close(d2);
		return r;
	}
	return rmtree_at(dfd, name);
}

/* Delete what is in dir and not in state (copy mode's apply). */
static int
prune(int sfd, int dfd, bool top)
{
	struct prune_walk w = { sfd, top };

	return file_each_entry(dfd, prune_entry, &w, false);
}

static int
clear_entry(int dfd, const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, ".hm") ? rmtree_at(dfd, name) : 0;
}

/* Empty dir, all but its .hm (the logs). */
static int
clear_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = file_each_entry(fd, clear_entry, NULL, false);
	close(fd);
	return r;
}

/*
 * Of a layer of an image's state: what it did to the workspace, sub. 1
 * a directory to merge (*path), 0 nothing, 2 the workspace was deleted
 * or replaced (empty it first; *path to merge when it is a directory).
 */
static int
sub_of(const char *layer, const char *sub, char **path)
{
	struct stat st;
	int fd, r;

	if (!(*path = pathf("%s/%s", layer, sub)))
		return -1;
	if (lstat(*path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode)) {
		free(*path);
		*path = NULL;
		return 2;
	}
	if ((fd = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	r = is_opaque(fd, sub) ? 2 : 1;
	close(fd);
	return r;
}

int
store_apply(const char *const *chain, size_t n, enum store_mode mode,
    const char *sub, const char *dir, char *err, size_t err_size)
{
	size_t i;

	if (mode == STORE_COPY && n) {
		int s = open(chain[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

		r = s < 0 || d < 0 ? -1 : prune(s, d, true);
		if (s >= 0)
			close(s);
		if (d >= 0)
			close(d);
		if (r < 0 || merge_path(chain[0], dir, MERGE_APPLY) < 0)
			goto fail;
		return 0;
	}
	for (i = n; i-- > 0;) {
		char *p = NULL;
		int k = sub ? sub_of(chain[i], sub, &p) : 1;

		/* the state deleted the workspace, maybe made it again:
		   what was there goes (but the logs) */
		if (k == 2 && clear_dir(dir) < 0) {
			free(p);
			goto fail;
		}
		if (k < 0 || (k > 0 && (p || !sub) &&
		    merge_path(sub ? p : chain[i], dir, MERGE_APPLY) < 0)) {
			free(p);
			goto fail;
		}
		free(p);
	}
	return 0;
fail:
	snprintf(err, err_size, "cannot apply the state to '%s': %s", dir,
	    strerror(errno));
	return -1;
}

/* ---- the cache ---- */

struct layer *
store_cache_get(struct store *s, const char *key, struct layer *below)
{
	char *entry = pathf("%s/%s", s->cache_dir, key), *dir;
	struct layer *l;
	struct stat st;
	int fd;

	if (!entry)
		return NULL;
	dir = pathf("%s/%s", entry, s->mode == STORE_COPY ? "state" :
	    "upper");
	/* said before it is held: no eviction takes it from now on */
	if (!dir || uses_add(s, key) < 0 || (fd = store_hold(entry)) < 0) {
		free(entry);
		free(dir);
		return NULL;
	}
	close(fd);
	if (stat(dir, &st) < 0 || !(l = layer_alloc(s, below))) {
		free(entry);
		free(dir);
		return NULL;
	}
	free(entry);
	l->dir = dir;
	l->cached = true;
	return l;
}

static uint64_t tree_size(int dfd, const char *name);

static int
tree_size_entry(int dfd, const char *name, void *arg)
{
	*(uint64_t *)arg += tree_size(dfd, name);
	return 0;
}

/* Bytes a tree takes (blocks), for eviction. */
static uint64_t
tree_size(int dfd, const char *name)
{
	struct stat st;
	uint64_t n;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	n = (uint64_t)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode))
		return n;
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return n;
	file_each_entry(fd, tree_size_entry, &n, false);
	close(fd);
	return n;
}

int
store_note_size(const char *dir)
{
	char *p = pathf("%s/size", dir);
	FILE *f;
	int fd, r;

	if (!p)
		return -1;
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0644);
	free(p);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "%llu\n", (unsigned long long)tree_size(AT_FDCWD, dir));
	r = fclose(f) == 0 ? 0 : -1;
	return r;
}

int
store_hold(const char *dir)
{
	struct stat a, b;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_SH) < 0)
		if (errno != EINTR)
			goto fail;
	/* an eviction renames what it takes before it lets go of it */
	if (fstat(fd, &a) < 0 || lstat(dir, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino) {
		errno = ENOENT;
		goto fail;
	}
	futimens(fd, NULL);
	return fd;
fail:
	{
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

int
store_cache_put(struct store *s, struct layer *l, const char *key)
{
	char *tmp = pathf("%s/.%s.%s-%u", s->cache_dir, key, s->run, l->id);
	char *entry = pathf("%s/%s", s->cache_dir, key);
	char *dir = NULL;
	int r = -1;

	if (!tmp || !entry || !(dir = pathf("%s/%s", tmp, s->mode ==
	    STORE_COPY ? "state" : "upper"))) {
		seterr(s, "out of memory");
		goto out;
	}
	/* the run uses the entry (its own, or another run's stored
	   meanwhile) before it is there to evict */
	if (uses_add(s, key) < 0) {
		seterr(s, "cannot write '%s/uses':", s->run_dir);
		goto out;
	}
	if (mkdir(tmp, 0755) < 0 || rename(l->dir, dir) < 0) {
		seterr(s, "cannot store '%s' in the cache:", l->dir);
		goto out;
	}
	store_note_size(tmp);
	free(l->dir);
	l->dir = NULL;
	if (rename(tmp, entry) < 0) {
		/* stored meanwhile by another run: use that one */
		store_rmtree(tmp);
	}
	l->dir = pathf("%s/%s", entry, s->mode == STORE_COPY ? "state" :
	    "upper");
	l->cached = true;
	r = l->dir ? 0 : seterr(s, "out of memory");
out:
	free(tmp);
	free(entry);
	free(dir);
	return r;
}

struct centry {
	char *path;
	time_t used;
	uint64_t size;
};

static int
centry_cmp(const void *a, const void *b)
{
	const struct centry *x = a, *y = b;

	return x->used < y->used ? -1 : x->used > y->used;
}

static int
evict_dir(const char *dir, struct centry **v, size_t *n, size_t *cap)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;

	if (!d)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d))) {
		char *p, *sz;
		FILE *f;
		unsigned long long size = 0;

		if (e->d_name[0] == '.')
			continue;
		if (!(p = pathf("%s/%s", dir, e->d_name)))
			break;
		if (stat(p, &st) < 0) {
			free(p);
			continue;
		}
		if ((sz = pathf("%s/size", p)) && (f = fopen(sz, "r"))) {
			if (fscanf(f, "%llu", &size) != 1)
				size = 0;
			fclose(f);
		}
		free(sz);
		if (*n == *cap) {
			size_t c = *cap ? 2 * *cap : 32;
			struct centry *w = realloc(*v, c * sizeof(**v));

			if (!w) {
				free(p);
				break;
			}
			*v = w;
			*cap = c;
		}
		(*v)[(*n)++] = (struct centry){ p, st.st_mtime, size };
	}
	closedir(d);
	return 0;
}

/*
 * Delete an entry unless a run holds it or uses it (USES): take it
 * under an exclusive lock and rename it away first, so that a run that
 * looked it up just before sees it gone (store_hold). 1 deleted, 0 held,
 * -1 error.
 */
static int
evict_one(const char *root, const char *path, unsigned n)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char *cache = pathf("%s/cache/", root), *t;
	size_t cl = cache ? strlen(cache) : 0;
	bool used;
	int r;

	if (fd < 0) {
		free(cache);
		return errno == ENOENT ? 1 : -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		free(cache);
		close(fd);
		return errno == EWOULDBLOCK ? 0 : -1;
	}
	used = cache && !strncmp(path, cache, cl) &&
	    entry_in_use(root, path + cl);
	free(cache);
	if (used) {
		close(fd);
		return 0;
	}
	t = pathf("%s/trash/evict-%ld-%u", root, (long)getpid(), n);
	if (!t || rename(path, t) < 0) {
		close(fd);
		free(t);
		return -1;
	}
	close(fd);
	r = store_rmtree(t);
	free(t);
	return r < 0 ? -1 : 1;
}

int
store_evict(const char *root, time_t max_age, uint64_t max_bytes,
    time_t now, char *err, size_t err_size)
{
	struct centry *v = NULL;
	size_t n = 0, cap = 0, i;
	uint64_t total = 0;
	char *dirs[4] = { pathf("%s/cache/overlay", root),
	    pathf("%s/cache/copy", root), pathf("%s/images", root),
	    pathf("%s/runs", root) };
	char *tr = pathf("%s/trash", root);
	int r = 0, e;

	if (tr)
		mkdir(tr, 0755);
	free(tr);
	for (i = 0; i < 3; i++)
		if (dirs[i] && evict_dir(dirs[i], &v, &n, &cap) < 0)
			r = -1;
	if (n)
		qsort(v, n, sizeof(*v), centry_cmp);
	for (i = 0; i < n; i++)
		total += v[i].size;
	for (i = 0; i < n; i++) {
		bool old = max_age > 0 && now - v[i].used > max_age;
		bool big = max_bytes > 0 && total > max_bytes;

		if (!old && !big)
			continue;
		if ((e = evict_one(root, v[i].path, (unsigned)i)) < 0)
			r = -1;
		else if (e > 0)
			total -= v[i].size;
	}
	for (i = 0; i < n; i++)
		free(v[i].path);
	n = 0;
	/* runs left behind (kept states, crashed runs) */
	if (dirs[3] && max_age > 0 && evict_dir(dirs[3], &v, &n, &cap) == 0)
		for (i = 0; i < n; i++) {
			char *u = pathf("%s/uses", v[i].path);
			int fd = u ? uses_of_open_run(u) : -1;

			free(u);
			if (fd >= 0) {
				close(fd);	/* still running */
				continue;
			}
			if (now - v[i].used > max_age &&
			    store_rmtree(v[i].path) < 0)
				r = -1;
		}
	for (i = 0; i < n; i++)
		free(v[i].path);
	free(v);
	for (i = 0; i < 4; i++)
		free(dirs[i]);
	if (r < 0)
		snprintf(err, err_size, "cannot evict from '%s': %s", root,
		    strerror(errno));
	return r;
}

int
store_close(struct store *s)
{
	size_t i;
	bool kept = false;
	int r = 0;

	if (!s)
		return 0;
	for (i = 0; i < s->nall; i++) {
		struct layer *l = s->all[i];

		if (!l->refs || !l->dir)
			continue;
		if (l->kept)
			kept = true;
		else
			layer_drop(s, l);	/* an interrupted run's */
	}
	if (!kept && s->run_dir && store_rmtree(s->run_dir) < 0)
		r = -1;
	if (s->trash && store_rmtree(s->trash) < 0)
		r = -1;
	for (i = 0; i < s->nall; i++) {
		free(s->all[i]->dir);
		free(s->all[i]->work);
		free(s->all[i]);
	}
	free(s->all);
	free(s->root);
	free(s->run);
	free(s->run_dir);
	free(s->cache_dir);
	free(s->trash);
	if (s->uses >= 0)
		close(s->uses);
	free(s);
	return r;
}
