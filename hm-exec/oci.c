/* hm: hm-exec: OCI image layouts and archives, unpacked once into a root file system. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

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
 * only one), through an image index to this machine's architecture.
 * malloc'd, or NULL with *msg.
 */
static char *
pick_manifest(const char *layout, const char *tag, char **msg)
{
	char *path = fmt("%s/index.json", layout), *found = NULL;
	struct json_doc d;
	uint32_t arr, e, ann;
	int depth;

	for (depth = 0; depth < 4; depth++) {
		const char *want = depth ? NULL : tag;
		uint32_t n = 0;

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
			if (!found && dg) {
				const char *mt = str_of(&d, e, "mediaType");

				found = xstrdup(dg);
				/* an index: follow it */
				if (mt && strstr(mt, "image.index")) {
					char *b = blob_path(layout, dg);

					free(found);
					found = NULL;
					if (!b) {
						*msg = fmt("'%s': a digest that "
						    "is not sha256", path);
						json_doc_release(&d);
						goto out;
					}
					free(path);
					path = b;
					n = 0;
					found = xstrdup("");
					break;
				}
			}
		}
		json_doc_release(&d);
		if (found && !*found) {
			free(found);
			found = NULL;
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
	free(path);
	return found;
}

/* Delete what a whiteout entry stands for, before its layer goes on. */
static void
whiteout(const char *root, const char *entry)
{
	const char *base = strrchr(entry, '/');
	size_t dirlen = base ? (size_t)(base - entry) : 0;
	char *p;

	base = base ? base + 1 : entry;
	if (strncmp(base, ".wh.", 4))
		return;
	if (!strcmp(base, ".wh..wh..opq")) {
		/* the directory's lower contents go; its own stay */
		char *d = fmt("%s/%.*s", root, (int)dirlen, entry);
		char *t = fmt("%s.opq-%ld", d, (long)getpid());

		if (rename(d, t) == 0) {
			mkdir(d, 0755);
			store_rmtree(t);
		}
		free(d);
		free(t);
		return;
	}
	p = fmt("%s/%.*s%s%s", root, (int)dirlen, entry, dirlen ? "/" : "",
	    base + 4);
	store_rmtree(p);
	free(p);
}

/* Whether a member name stays inside the tree. */
static bool
safe_name(const char *s)
{
	return strncmp(s, "../", 3) && !strstr(s, "/../") && strcmp(s, "..") &&
	    (strlen(s) < 3 || strcmp(s + strlen(s) - 3, "/.."));
}

/* One layer onto root: whiteouts, then its files, then no .wh. files. */
static int
apply_layer(const char *root, const char *blob, char **msg)
{
	const char *lv[] = { "tar", "-tf", blob, NULL };
	const char *xv[] = { "tar", "-xf", blob, "-C", root,
	    "--no-same-owner", NULL };
	char *list = NULL, *line, *end, *nl, *p;
	const char *b;

	if (run(lv, &list, msg) < 0)
		return -1;
	end = list + strlen(list);
	for (line = list; line < end; line = nl) {
		if ((nl = strchr(line, '\n')))
			*nl++ = '\0';
		else
			nl = end;
		while (!strncmp(line, "./", 2))
			line += 2;
		if (*line && safe_name(line))
			whiteout(root, line);
	}
	if (geteuid() == 0)
		xv[5] = NULL;	/* root keeps the owners */
	if (run(xv, NULL, msg) < 0) {
		free(list);
		return -1;
	}
	for (line = list; line < end; line += strlen(line) + 1) {
		char *name = line;

		while (!strncmp(name, "./", 2))
			name += 2;
		b = strrchr(name, '/');
		b = b ? b + 1 : name;
		if (!strncmp(b, ".wh.", 4) && safe_name(name)) {
			p = fmt("%s/%s", root, name);
			unlink(p);
			free(p);
		}
	}
	free(list);
	return 0;
}

char *
oci_rootfs(const char *layout, const char *tag, const char *cache,
    char **msg)
{
	char *mf = NULL, *mpath = NULL, *dir = NULL, *rootfs = NULL;
	char *tmp = NULL, *images = fmt("%s/images", cache);
	struct json_doc d;
	struct stat st;
	uint32_t arr, e;
	bool parsed = false;

	*msg = NULL;
	if (!(mf = pick_manifest(layout, tag, msg)))
		goto fail;
	if (!(mpath = blob_path(layout, mf))) {
		*msg = fmt("'%s': manifest digest '%s' is not sha256", layout,
		    mf);
		goto fail;
	}
	dir = fmt("%s/%s", images, mf + 7);
	rootfs = fmt("%s/rootfs", dir);
	if (stat(rootfs, &st) == 0 && S_ISDIR(st.st_mode))
		goto done;	/* unpacked by an earlier run */
	if (read_json(mpath, &d, msg) < 0)
		goto fail;
	parsed = true;
	if (!(arr = json_get(&d, 0, "layers")) ||
	    json_type(&d, arr) != JSON_ARRAY) {
		*msg = fmt("manifest '%s' has no layers", mpath);
		goto fail;
	}
	mkdir(cache, 0755);
	mkdir(images, 0755);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		*msg = fmt("cannot create '%s': %s", dir, strerror(errno));
		goto fail;
	}
	tmp = fmt("%s/rootfs.tmp-%ld", dir, (long)getpid());
	store_rmtree(tmp);
	if (mkdir(tmp, 0755) < 0) {
		*msg = fmt("cannot create '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	for (e = json_first(&d, arr); e; e = json_next_elem(&d, arr, e)) {
		char *blob = blob_path(layout, str_of(&d, e, "digest"));

		if (!blob) {
			*msg = fmt("manifest '%s': a layer without a sha256 "
			    "digest", mpath);
			goto fail;
		}
		if (apply_layer(tmp, blob, msg) < 0) {
			free(blob);
			goto fail;
		}
		free(blob);
	}
	if (rename(tmp, rootfs) < 0 && errno != ENOTEMPTY && errno != EEXIST) {
		*msg = fmt("cannot rename '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	store_rmtree(tmp);	/* another run was first */
done:
	if (parsed)
		json_doc_release(&d);
	free(mf), free(mpath), free(dir), free(tmp), free(images);
	return rootfs;
fail:
	if (tmp)
		store_rmtree(tmp);
	if (parsed)
		json_doc_release(&d);
	free(mf), free(mpath), free(dir), free(tmp), free(images);
	free(rootfs);
	return NULL;
}

char *
oci_extract(const char *archive, const char *cache, char **msg)
{
	struct stat st;
	struct sha256 h;
	char hex[65], *dir, *tmp, *images = fmt("%s/images", cache);
	char *id;
	const char *xv[] = { "tar", "-xf", archive, "-C", NULL,
	    "--no-same-owner", NULL };

	*msg = NULL;
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
	if (oci_is_layout(dir)) {
		free(images);
		return dir;
	}
	mkdir(cache, 0755);
	mkdir(images, 0755);
	tmp = fmt("%s.tmp-%ld", dir, (long)getpid());
	store_rmtree(tmp);
	xv[4] = tmp;
	if (mkdir(tmp, 0755) < 0) {
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
	if (rename(tmp, dir) < 0 && errno != ENOTEMPTY && errno != EEXIST) {
		*msg = fmt("cannot rename '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	store_rmtree(tmp);
	free(tmp), free(images);
	return dir;
fail:
	store_rmtree(tmp);
	free(tmp), free(images), free(dir);
	return NULL;
}
