/* hm: hm-exec: OCI image layouts and archives, unpacked once into a root file system. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "file.h"
#include "json.h"
#include "oci.h"
#include "proc.h"
#include "sha256.h"
#include "store.h"
#include "tool.h"

#define LIST_MAX	((size_t)256 << 20)	/* tar -t of one layer */

static char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

int
oci_is_layout(const char *dir)
{
	char *p = fmt("%s/oci-layout", dir);
	struct stat st;
	int r = stat(p, &st) == 0 && S_ISREG(st.st_mode);

	free(p);
	return r;
}

/* Run argv; its output in *out (malloc'd) when out is given. 0 if it
   exited 0, else -1 with *msg. */
static int
run(const char **argv, char **out, char **msg)
{
	struct proc p = PROC_INIT;
	char *o = NULL;
	size_t len;
	bool big, ok;
	int e;

	p.argv = argv;
	p.search = true;
	p.out = PROC_PIPE;
	p.err = out ? PROC_NULL : PROC_TO_OUT;
	e = proc_wait(&p, -1, LIST_MAX, &o, &len, &big);
	ok = !e && WIFEXITED(p.wstatus) && !WEXITSTATUS(p.wstatus) && !big;
	proc_release(&p);
	if (!ok) {
		*msg = fmt("'%s %s' failed%s%s", argv[0], argv[1],
		    o && *o && !out ? ": " : "", o && !out ? o : "");
		free(o);
		return -1;
	}
	if (out)
		*out = o;
	else
		free(o);
	return 0;
}

/* A JSON file of the layout, parsed; -1 with *msg. */
static int
read_json(const char *path, struct json_doc *doc, char **msg)
{
	struct diag_list dl = DIAG_LIST_INIT;
	char *text;
	size_t size;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	memset(doc, 0, sizeof(*doc));
	if (fd < 0 || json_read_fd(fd, &text, &size) < 0) {
		*msg = fmt("cannot read '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	r = json_parse(doc, path, text, size, &dl);
	if (r < 0 || json_type(doc, 0) != JSON_OBJECT) {
		*msg = fmt("'%s' is not a JSON object%s%s", path,
		    dl.n && dl.items[0].msg ? ": " : "",
		    dl.n && dl.items[0].msg ? dl.items[0].msg : "");
		r = -1;
	}
	diag_list_release(&dl);
	return r;
}

/* The string member name of object obj, or NULL. */
static const char *
str_of(const struct json_doc *d, uint32_t obj, const char *name)
{
	uint32_t v;
	size_t n;

	if (!obj && json_type(d, 0) != JSON_OBJECT)
		return NULL;
	if (json_type(d, obj) != JSON_OBJECT || !(v = json_get(d, obj, name)) ||
	    json_type(d, v) != JSON_STRING)
		return NULL;
	return json_str(d, v, &n);
}

/* A blob's path from "sha256:HEX"; NULL if the digest is not one. */
static char *
blob_path(const char *layout, const char *digest)
{
	const char *h;
	size_t i;

	if (!digest || strncmp(digest, "sha256:", 7))
		return NULL;
	h = digest + 7;
	for (i = 0; h[i]; i++)
		if (!strchr("0123456789abcdef", h[i]))
			return NULL;
	if (i != 64)
		return NULL;
	return fmt("%s/blobs/sha256/%s", layout, h);
}

/*
 * Whether the blob at path holds what its descriptor says: size bytes
 * (size < 0: no size to check) whose sha256 is digest ("sha256:HEX").
 * 0, or -1 with *msg naming the blob.
 */
static int
blob_check(const char *path, const char *digest, long long size,
    char **msg)
{
	char buf[65536], hex[65];
	struct sha256 h;
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		*msg = fmt("cannot read blob '%s': %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*msg = fmt("blob '%s' is not a file", path);
		close(fd);
		return -1;
	}
	if (size >= 0 && (long long)st.st_size != size) {
		*msg = fmt("blob '%s' is %lld bytes, and its descriptor says "
		    "%lld", path, (long long)st.st_size, size);
		close(fd);
		return -1;
	}
	sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(&h, buf, (size_t)n);
	if (n < 0) {
		*msg = fmt("cannot read blob '%s': %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	sha256_hex(&h, hex);
	if (strcmp(hex, digest + 7)) {
		*msg = fmt("blob '%s' does not match its digest: its content "
		    "is sha256:%s", path, hex);
		return -1;
	}
	return 0;
}

/* A descriptor's size, or -1 with *msg when it has none. */
static long long
desc_size(const struct json_doc *d, uint32_t desc, const char *where,
    char **msg)
{
	uint32_t v = json_get(d, desc, "size");
	long long n;

	if (!v || json_type(d, v) != JSON_NUMBER ||
	    json_int(d, v, 0, INT64_MAX, &n) < 0) {
		*msg = fmt("%s: a descriptor without a size", where);
		return -1;
	}
	return n;
}

static const char *
host_arch(void)
{
	static struct utsname u;

	if (uname(&u) < 0)
		return "amd64";
	if (!strcmp(u.machine, "x86_64"))
		return "amd64";
	if (!strcmp(u.machine, "aarch64"))
		return "arm64";
	return u.machine;
}

/*
 * The manifest's digest: index.json's entry with ref name tag (or its
 * only one), through an image index to this machine's architecture; its
 * size in *size. A nested index is a blob, checked before it is read.
 * malloc'd, or NULL with *msg.
 */
static char *
pick_manifest(const char *layout, const char *tag, long long *size,
    char **msg)
{
	char *path = fmt("%s/index.json", layout), *found = NULL;
	struct json_doc d;
	uint32_t arr, e, ann;
	int depth;

	for (depth = 0; depth < 4; depth++) {
		const char *want = depth ? NULL : tag;
		uint32_t n = 0;
		bool index = false;

		if (read_json(path, &d, msg) < 0)
			goto out;
		if (!(arr = json_get(&d, 0, "manifests")) ||
		    json_type(&d, arr) != JSON_ARRAY) {
			*msg = fmt("'%s' has no manifests", path);
			json_doc_release(&d);
			goto out;
		}
		free(found);
		found = NULL;
		for (e = json_first(&d, arr); e; e = json_next_elem(&d, arr, e)) {
			const char *ref = NULL, *dg = str_of(&d, e, "digest");
			const char *mt;
			uint32_t plat;

			if ((ann = json_get(&d, e, "annotations")))
				ref = str_of(&d, ann,
				    "org.opencontainers.image.ref.name");
			if (want && (!ref || strcmp(ref, want)))
				continue;
			if (depth && (plat = json_get(&d, e, "platform")) &&
			    ((str_of(&d, plat, "architecture") &&
			    strcmp(str_of(&d, plat, "architecture"),
			    host_arch())) || (str_of(&d, plat, "os") &&
			    strcmp(str_of(&d, plat, "os"), "linux"))))
				continue;
			n++;
			if (found || !dg)
				continue;
			if ((*size = desc_size(&d, e, path, msg)) < 0) {
				json_doc_release(&d);
				goto out;
			}
			found = xstrdup(dg);
			mt = str_of(&d, e, "mediaType");
			if (mt && strstr(mt, "image.index")) {
				/* an index: follow it */
				index = true;
				break;
			}
		}
		json_doc_release(&d);
		if (found && index) {
			char *b = blob_path(layout, found);

			if (!b) {
				*msg = fmt("'%s': a digest that is not sha256",
				    path);
				goto out;
			}
			free(path);
			path = b;
			if (blob_check(path, found, *size, msg) < 0)
				goto out;
			continue;	/* read the nested index */
		}
		if (!found) {
			*msg = tag && !depth ? fmt("'%s' has no image tagged "
			    "'%s'", path, tag) : fmt("'%s' has no image for "
			    "linux/%s", path, host_arch());
			goto out;
		}
		if (n > 1 && !depth) {
			*msg = fmt("'%s' has %u images: name one as IMAGE:TAG",
			    path, n);
			free(found);
			found = NULL;
		}
		goto out;
	}
	*msg = fmt("'%s': image indexes nested too deep", layout);
out:
	if (*msg) {
		free(found);
		found = NULL;
	}
	free(path);
	return found;
}

/* Whether a member name stays inside the tree: not absolute, no "..". */
static bool
safe_name(const char *s)
{
	const char *p;

	if (*s == '/')
		return false;
	for (p = s; *p; p = strchr(p, '/') ? strchr(p, '/') + 1 : p + strlen(p))
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))
			return false;
	return true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names a layer lists, normalised ("./a/b/" is "a/b"), sorted, in
 * *v (pointing into list, which is changed); -1 with *msg for a name
 * that leaves the root (absolute, or with a ".." component).
 */
static int
list_names(char *list, const char *blob, char ***v, size_t *n, char **msg)
{
	char *line, *nl, *end = list + strlen(list);
	size_t cap = 0, len;

	*v = NULL;
	*n = 0;
	for (line = list; line < end; line = nl) {
		if ((nl = strchr(line, '\n')))
			*nl++ = '\0';
		else
			nl = end;
		if (!*line)
			continue;
		if (!safe_name(line)) {
			*msg = fmt("layer '%s': member '%s' lies outside the "
			    "root file system", blob, line);
			free(*v);
			*v = NULL;
			return -1;
		}
		while (!strncmp(line, "./", 2))
			line += 2;
		len = strlen(line);
		while (len && line[len - 1] == '/')
			line[--len] = '\0';
		if (*n == cap)
			*v = xreallocarray(*v, cap = cap ? 2 * cap : 256,
			    sizeof(**v));
		(*v)[(*n)++] = line;
	}
	if (*n)
		qsort(*v, *n, sizeof(**v), cmp_str);
	return 0;
}

struct merge {
	char **names;		/* the layer's members, sorted */
	size_t nnames;
	char path[4096];	/* of the directory being merged */
	size_t len;
	const char *blob;
	char **msg;
};

static bool
listed(const struct merge *m, const char *name)
{
	char buf[4096], *k = buf;

	if (snprintf(buf, sizeof(buf), "%s%s%s", m->path, m->len ? "/" : "",
	    name) >= (int)sizeof(buf))
		return false;
	return bsearch(&k, m->names, m->nnames, sizeof(*m->names),
	    cmp_str) != NULL;
}

static void
set_meta(int dfd, const char *name, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };

	if (geteuid() == 0)
		fchownat(dfd, name, st->st_uid, st->st_gid,
		    AT_SYMLINK_NOFOLLOW);
	fchmodat(dfd, name, st->st_mode & 07777, 0);
	utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW);
}

static int merge_layer(struct merge *m, int sfd, int dfd);

static int
empty_entry(int dfd, const char *name, void *arg)
{
	(void)arg;
	return store_rmtree_at(dfd, name);
}

/* Empty the directory dfd: an opaque whiteout hides what was below. */
static int
empty_dir(int dfd)
{
	return file_each_entry(dfd, empty_entry, NULL, false);
}

/* One entry of the layer onto the tree: a directory onto a directory
   merges, anything else replaces what was there. */
static int
merge_entry(struct merge *m, int sfd, int dfd, const char *name)
{
	struct stat st, dt;
	bool has = fstatat(dfd, name, &dt, AT_SYMLINK_NOFOLLOW) == 0;
	int s2, d2, r;
	size_t len = m->len;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		if (has && store_rmtree_at(dfd, name) < 0)
			return -1;
		return renameat(sfd, name, dfd, name);
	}
	if (has && !S_ISDIR(dt.st_mode)) {
		if (store_rmtree_at(dfd, name) < 0)
			return -1;
		has = false;
	}
	if (!has && mkdirat(dfd, name, 0700) < 0)
		return -1;
	if ((s2 = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return -1;
	if ((d2 = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		close(s2);
		return -1;
	}
	if (len + strlen(name) + 2 >= sizeof(m->path)) {
		close(s2), close(d2);
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(m->path + len, sizeof(m->path) - len, "%s%s", len ? "/" :
	    "", name);
	m->len = strlen(m->path);
	r = merge_layer(m, s2, d2);
	m->path[m->len = len] = '\0';
	close(s2);
	close(d2);
	/* a directory the layer names carries its own mode and times; one
	   made only as a parent leaves the lower one's as they were */
	if (r == 0 && (!has || listed(m, name)))
		set_meta(dfd, name, &st);
	return r;
}

struct layer_walk {
	struct merge *m;
	int dfd;		/* the tree */
	int pass;		/* 0: the whiteouts, 1: the other entries */
};

/* One entry of the layer sfd in this pass (see merge_layer). */
static int
layer_entry(int sfd, const char *name, void *arg)
{
	struct layer_walk *w = arg;
	bool wh = !strncmp(name, ".wh.", 4);

	if (wh != (w->pass == 0))
		return 0;
	if (!wh)
		return merge_entry(w->m, sfd, w->dfd, name);
	if (!strcmp(name, ".wh..wh..opq"))
		return empty_dir(w->dfd);
	if (!name[4] || !strcmp(name + 4, ".") || !strcmp(name + 4, "..")) {
		*w->m->msg = fmt("layer '%s': a whiteout '%s/%s' of no name",
		    w->m->blob, w->m->path, name);
		errno = EINVAL;
		return -1;
	}
	return store_rmtree_at(w->dfd, name + 4);
}

/*
 * Merge the extracted layer sfd into the tree dfd, the way the OCI
 * image spec applies a layer: first its whiteouts (".wh..wh..opq"
 * empties the directory, ".wh.NAME" deletes NAME), then its entries.
 * Everything goes through descriptors and nothing is followed, so a
 * symbolic link an earlier layer left cannot send a later one's file
 * outside the tree. 0, or -1 with errno (and *m->msg).
 */
static int
merge_layer(struct merge *m, int sfd, int dfd)
{
	struct layer_walk w = { m, dfd, 0 };

	for (w.pass = 0; w.pass < 2; w.pass++)
		if (file_each_entry(sfd, layer_entry, &w, true) < 0)
			return -1;
	return 0;
}

/*
 * One layer onto root: its member names checked, extracted into a
 * directory of its own beside root (tar never writes through a link it
 * did not make itself), then merged into root (merge_layer).
 */
static int
apply_layer(const char *root, const char *blob, char **msg)
{
	const char *lv[] = { "tar", "-tf", blob, NULL };
	const char *xv[] = { "tar", "-xf", blob, "-C", NULL,
	    "--no-same-owner", NULL };
	char *list = NULL, *tmp = fmt("%s.layer", root);
	struct merge *m = xcalloc(1, sizeof(*m));
	int sfd = -1, dfd = -1, r = -1;

	m->blob = blob;
	m->msg = msg;
	if (run(lv, &list, msg) < 0 ||
	    list_names(list, blob, &m->names, &m->nnames, msg) < 0)
		goto out;
	store_rmtree(tmp);
	if (mkdir(tmp, 0700) < 0) {
		*msg = fmt("cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	xv[4] = tmp;
	if (geteuid() == 0)
		xv[5] = NULL;	/* root keeps the owners */
	if (run(xv, NULL, msg) < 0)
		goto out;
	if ((sfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0 || (dfd = open(root, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) < 0 || merge_layer(m, sfd, dfd) < 0) {
		if (!*msg)
			*msg = fmt("cannot apply layer '%s' to '%s': %s", blob,
			    root, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	store_rmtree(tmp);
	free(tmp);
	free(list);
	free(m->names);
	free(m);
	return r;
}

/*
 * Unpack the manifest mf (checked against its digest and size) of
 * layout into dir/rootfs: every layer checked, then applied in order.
 */
static int
unpack(const char *layout, const char *mf, long long mf_size,
    const char *dir, char **msg)
{
	char *mpath = blob_path(layout, mf), *tmp = NULL, *rootfs = NULL;
	struct json_doc d;
	uint32_t arr, e;
	bool parsed = false;
	int r = -1, i = 0;

	if (!mpath) {
		*msg = fmt("'%s': manifest digest '%s' is not sha256", layout,
		    mf);
		goto out;
	}
	if (blob_check(mpath, mf, mf_size, msg) < 0 ||
	    read_json(mpath, &d, msg) < 0)
		goto out;
	parsed = true;
	if (!(arr = json_get(&d, 0, "layers")) ||
	    json_type(&d, arr) != JSON_ARRAY) {
		*msg = fmt("manifest '%s' has no layers", mpath);
		goto out;
	}
	/* every blob first: a bad one stops the run before any work */
	for (e = json_first(&d, arr); e; e = json_next_elem(&d, arr, e)) {
		const char *dg = str_of(&d, e, "digest");
		char *blob = blob_path(layout, dg);
		long long size;

		i++;
		if (!blob) {
			*msg = fmt("manifest '%s': layer %d has no sha256 "
			    "digest", mpath, i);
			goto out;
		}
		if ((size = desc_size(&d, e, mpath, msg)) < 0 ||
		    blob_check(blob, dg, size, msg) < 0) {
			free(blob);
			goto out;
		}
		free(blob);
	}
	tmp = fmt("%s/.rootfs.tmp-%ld", dir, (long)getpid());
	rootfs = fmt("%s/rootfs", dir);
	store_rmtree(tmp);
	if (mkdir(tmp, 0755) < 0) {
		*msg = fmt("cannot create '%s': %s", tmp, strerror(errno));
		goto out;
	}
	for (e = json_first(&d, arr); e; e = json_next_elem(&d, arr, e)) {
		char *blob = blob_path(layout, str_of(&d, e, "digest"));
		int a = apply_layer(tmp, blob, msg);

		free(blob);
		if (a < 0)
			goto out;
	}
	if (rename(tmp, rootfs) < 0 && errno != ENOTEMPTY && errno != EEXIST) {
		*msg = fmt("cannot rename '%s': %s", tmp, strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (tmp)
		store_rmtree(tmp);	/* another run was first, or failed */
	if (parsed)
		json_doc_release(&d);
	free(mpath), free(tmp), free(rootfs);
	return r;
}

int
oci_rootfs(const char *layout, const char *tag, const char *store,
    struct oci_image *img, char **msg)
{
	char *mf = NULL, *dir = NULL, *rootfs = NULL, *images;
	struct stat st;
	long long size = -1;
	int hold = -1, try;

	*msg = NULL;
	memset(img, 0, sizeof(*img));
	img->hold = -1;
	if (!(mf = pick_manifest(layout, tag, &size, msg)))
		return -1;
	images = fmt("%s/images", store);
	dir = fmt("%s/%s", images, mf + 7);
	rootfs = fmt("%s/rootfs", dir);
	mkdir(images, 0755);
	/* held while the run uses it: eviction passes it by; evicted
	   between the lookup and the hold, it is made again */
	for (try = 0; try < 3 && hold < 0; try++) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			*msg = fmt("cannot create '%s': %s", dir,
			    strerror(errno));
			goto fail;
		}
		hold = store_hold(dir);
	}
	if (hold < 0) {
		*msg = fmt("cannot use '%s': %s", dir, strerror(errno));
		goto fail;
	}
	if (stat(rootfs, &st) < 0 || !S_ISDIR(st.st_mode)) {
		if (unpack(layout, mf, size, dir, msg) < 0)
			goto fail;
		store_note_size(dir);
	}
	img->rootfs = rootfs;
	img->digest = mf;
	img->hold = hold;
	free(dir), free(images);
	return 0;
fail:
	if (hold >= 0)
		close(hold);
	free(mf), free(dir), free(rootfs), free(images);
	return -1;
}

char *
oci_extract(const char *archive, const char *store, int *hold, char **msg)
{
	struct stat st;
	struct sha256 h;
	char hex[65], *dir, *layout, *tmp, *images = fmt("%s/images", store);
	char *id, *list = NULL;
	const char *lv[] = { "tar", "-tf", archive, NULL };
	const char *xv[] = { "tar", "-xf", archive, "-C", NULL,
	    "--no-same-owner", NULL };
	char **names = NULL;
	size_t n;
	int try;

	*msg = NULL;
	*hold = -1;
	if (stat(archive, &st) < 0) {
		*msg = fmt("cannot read '%s': %s", archive, strerror(errno));
		free(images);
		return NULL;
	}
	id = fmt("%s\n%lld\n%lld", archive, (long long)st.st_size,
	    (long long)st.st_mtime);
	sha256_init(&h);
	sha256_update(&h, id, strlen(id));
	sha256_hex(&h, hex);
	free(id);
	dir = fmt("%s/archive-%.32s", images, hex);
	layout = fmt("%s/layout", dir);
	tmp = fmt("%s/.layout.tmp-%ld", dir, (long)getpid());
	mkdir(images, 0755);
	for (try = 0; try < 3 && *hold < 0; try++) {
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			*msg = fmt("cannot create '%s': %s", dir,
			    strerror(errno));
			goto fail;
		}
		*hold = store_hold(dir);
	}
	if (*hold < 0) {
		*msg = fmt("cannot use '%s': %s", dir, strerror(errno));
		goto fail;
	}
	if (oci_is_layout(layout))
		goto done;
	/* the names first: nothing is extracted outside the directory */
	if (run(lv, &list, msg) < 0 ||
	    list_names(list, archive, &names, &n, msg) < 0)
		goto fail;
	store_rmtree(tmp);
	xv[4] = tmp;
	if (mkdir(tmp, 0700) < 0) {
		*msg = fmt("cannot create '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	if (run(xv, NULL, msg) < 0)
		goto fail;
	if (!oci_is_layout(tmp)) {
		*msg = fmt("'%s' is not an archive of an OCI image layout (no "
		    "oci-layout in it)", archive);
		goto fail;
	}
	if (rename(tmp, layout) < 0 && errno != ENOTEMPTY && errno != EEXIST) {
		*msg = fmt("cannot rename '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	store_note_size(dir);
done:
	store_rmtree(tmp);
	free(tmp), free(images), free(dir), free(list), free(names);
	return layout;
fail:
	store_rmtree(tmp);
	if (*hold >= 0)
		close(*hold);
	*hold = -1;
	free(tmp), free(images), free(dir), free(layout), free(list);
	free(names);
	return NULL;
}

/* ---- the identity of a root file system ---- */

/* Hash what is under the directory dfd (path rel), names sorted. */
static int
id_walk(struct sha256 *h, int dfd, char *rel, size_t len, size_t cap)
{
	int fd = dup(dfd), r = 0;
	DIR *d;
	struct dirent *e;
	char **v = NULL;
	size_t n = 0, vcap = 0, i;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			if (n == vcap)
				v = xreallocarray(v, vcap = vcap ? 2 * vcap :
				    32, sizeof(*v));
			v[n++] = xstrdup(e->d_name);
		}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++) {
		struct stat st;
		char line[128];
		int sub;

		if (r == 0 && len + strlen(v[i]) + 2 < cap &&
		    fstatat(dfd, v[i], &st, AT_SYMLINK_NOFOLLOW) == 0) {
			snprintf(rel + len, cap - len, "/%s", v[i]);
			snprintf(line, sizeof(line), " %o %lu %lu %lld %lld.%09ld\n",
			    (unsigned)st.st_mode, (unsigned long)st.st_uid,
			    (unsigned long)st.st_gid, (long long)st.st_size,
			    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
			sha256_update(h, rel, strlen(rel));
			sha256_update(h, line, strlen(line));
			if (S_ISDIR(st.st_mode) && (sub = openat(dfd, v[i],
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC)) >= 0) {
				r = id_walk(h, sub, rel, strlen(rel), cap);
				close(sub);
			}
			rel[len] = '\0';
		} else if (r == 0 && len + strlen(v[i]) + 2 >= cap) {
			errno = ENAMETOOLONG;
			r = -1;
		}
		free(v[i]);
	}
	free(v);
	return r;
}

char *
oci_dir_id(const char *rootfs, char **msg)
{
	struct sha256 h;
	char hex[65], rel[4096] = "", real[4096];
	int fd;

	*msg = NULL;
	if (!realpath(rootfs, real) || (fd = open(real, O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) < 0) {
		*msg = fmt("cannot read '%s': %s", rootfs, strerror(errno));
		return NULL;
	}
	sha256_init(&h);
	sha256_update(&h, real, strlen(real) + 1);
	if (id_walk(&h, fd, rel, 0, sizeof(rel)) < 0) {
		*msg = fmt("cannot read '%s': %s", rootfs, strerror(errno));
		close(fd);
		return NULL;
	}
	close(fd);
	sha256_hex(&h, hex);
	return xstrdup(hex);
}
