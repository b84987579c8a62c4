/* hm: hm-exec's isolation: every step in a snapshot of the state it continues. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache_key.h"
#include "diag.h"
#include "file.h"
#include "isolate.h"
#include "oci.h"
#include "proc.h"
#include "tool.h"

/*
 * The state of a step: its layer once it finished well (its snapshot,
 * held while a step may still continue in it), the layer its running
 * attempt writes, and how many unfinished steps continue in it. Counts
 * come from the graph (recounted when a dynamic step changed it); while
 * a placeholder may still bake, no state is deleted, since its fragment
 * may build in any step that is not downstream of it.
 */
struct state_ent {
	char *key;
	struct layer *layer;	/* the finished state; owner's reference */
	struct layer *attempt;	/* the running attempt's */
	uint32_t consumers;
	bool final;
	bool released;		/* its state was deleted: nobody needed it */
	bool has_key;		/* a cache key, for itself and its children */
	struct iso_image *image; /* the image its chain runs in, or NULL:
				   the workspace */
	char ckey[65];
	struct state_ent *next;
};

/* The workspace's directory in an image's root (hm-sandbox's IMAGE_WS). */
#define IMAGE_WS_NAME	"workspace"
/* How many layers a view may stack before its parents are flattened. */
#define FLATTEN_DEPTH	64
#define PROBE_OUT_MAX	4096

static uint32_t
hash_key(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct state_ent *
ent(struct isolation *iso, const char *key, bool create)
{
	struct state_ent *e;
	uint32_t h;

	if (!iso->cap) {
		if (!create)
			return NULL;
		iso->cap = 256;
		iso->tab = xcalloc(iso->cap, sizeof(*iso->tab));
	}
	h = hash_key(key) & (iso->cap - 1);
	for (e = iso->tab[h]; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	if (!create)
		return NULL;
	if (iso->n >= iso->cap) {
		/* grow: rehash every entry */
		size_t cap = iso->cap * 2, i;
		struct state_ent **t = xcalloc(cap, sizeof(*t)), *nx;

		for (i = 0; i < iso->cap; i++)
			for (e = iso->tab[i]; e; e = nx) {
				uint32_t j = hash_key(e->key) & (cap - 1);

				nx = e->next;
				e->next = t[j];
				t[j] = e;
			}
		free(iso->tab);
		iso->tab = t;
		iso->cap = cap;
		h = hash_key(key) & (iso->cap - 1);
	}
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->next = iso->tab[h];
	iso->tab[h] = e;
	iso->n++;
	return e;
}

/*
 * The node whose state node n continues in, through group exits and
 * starts and placeholders that were never expanded (a soft-failed bake:
 * its start state); GRAPH_NONE for the start.
 */
static uint32_t
source_node(const struct graph *g, uint32_t n)
{
	uint32_t s = g->nodes[n].state_from, guard = 0;

	while (s != GRAPH_NONE && g->nodes[s].kind != GN_COMMAND &&
	    guard++ < g->n)
		s = g->nodes[s].state_from;
	return s;
}

static struct state_ent *
source_ent(struct isolation *iso, const char *key)
{
	const struct graph *g = &iso->plan->g;
	uint32_t n = graph_find(g, key), s;

	if (n == GRAPH_NONE || (s = source_node(g, n)) == GRAPH_NONE)
		return NULL;
	return ent(iso, g->nodes[s].key, true);
}

/* Whether key is still an unexpanded placeholder in the graph. */
static bool
placeholder_here(const struct isolation *iso, const char *key)
{
	uint32_t n = graph_find(&iso->plan->g, key);

	return n != GRAPH_NONE && iso->plan->g.nodes[n].kind == GN_DYNAMIC;
}

static void
maybe_release(struct isolation *iso, struct state_ent *e)
{
	if (!e->final || e->consumers || iso->dynamic_pending || !e->layer)
		return;
	store_unref(iso->store, e->layer);
	e->layer = NULL;
	e->released = true;
}

/* Count again who continues in what (the graph is new). */
static void
recount(struct isolation *iso)
{
	const struct plan *p = iso->plan;
	const struct graph *g = &p->g;
	size_t i;
	uint32_t n;

	for (i = 0; i < iso->cap; i++) {
		struct state_ent *e;

		for (e = iso->tab[i]; e; e = e->next)
			e->consumers = 0;
	}
	iso->dynamic_pending = false;
	for (n = 0; n < g->n; n++) {
		const struct step *s = p->step ? p->step[n] : NULL;
		uint32_t src;

		if (!s || (g->nodes[n].kind != GN_COMMAND &&
		    g->nodes[n].kind != GN_DYNAMIC) || ST_FINAL(s->status))
			continue;
		if (g->nodes[n].kind == GN_DYNAMIC && !s->expanded)
			iso->dynamic_pending = true;
		if ((src = source_node(g, n)) != GRAPH_NONE)
			ent(iso, g->nodes[src].key, true)->consumers++;
	}
	iso->seen = p->gen;
	for (i = 0; i < iso->cap; i++) {
		struct state_ent *e;

		for (e = iso->tab[i]; e; e = e->next)
			maybe_release(iso, e);
	}
}

static void
fresh_counts(struct isolation *iso)
{
	if (iso->seen != iso->plan->gen)
		recount(iso);
}

static int images_check(struct isolation *iso, char **msg);

/* ---- setup ---- */

/* hm-sandbox beside our own binary, else from PATH. */
static char *
sandbox_path(void)
{
	char self[PATH_MAX], *slash, *s;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			slash[1] = '\0';
			s = xmalloc(strlen(self) + sizeof("hm-sandbox"));
			strcpy(s, self);
			strcat(s, "hm-sandbox");
			if (access(s, X_OK) == 0)
				return s;
			free(s);
		}
	}
	return xstrdup("hm-sandbox");
}

/* Whether path is dir or below it (both real paths). */
static bool
is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0' ||
	    (n == 1 && dir[0] == '/'));
}

/* A line "WAY ok" or "WAY no: REASON" of the probe's output, or NULL. */
static char *
probe_line(const char *out, const char *way, bool *ok)
{
	const char *p = out;
	size_t n = strlen(way);

	for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, way, n) && p[n] == ' ') {
			const char *end = strchr(p, '\n');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			char *line = xmalloc(len + 1);

			memcpy(line, p, len);
			line[len] = '\0';
			*ok = !strncmp(p + n, " ok", 3);
			return line;
		}
	*ok = false;
	return NULL;
}

/* Run hm-sandbox --probe in a scratch directory of the store. */
static char *
run_probe(struct isolation *iso, char **msg)
{
	char *scratch, *out = NULL;
	const char *argv[6];
	struct proc p = PROC_INIT;
	size_t len;
	bool big;
	int e;

	if (asprintf(&scratch, "%s/probe-%ld", iso->root, (long)getpid()) < 0)
		abort();
	/* a leftover (or anything planted) goes first: never through it */
	store_rmtree(scratch);
	if (mkdir(scratch, 0755) < 0) {
		if (asprintf(msg, "cannot create '%s': %s", scratch,
		    strerror(errno)) < 0)
			abort();
		free(scratch);
		return NULL;
	}
	argv[0] = iso->sandbox;
	argv[1] = "-C";
	argv[2] = iso->ws;
	argv[3] = "--probe";
	argv[4] = scratch;
	argv[5] = NULL;
	p.argv = argv;
	p.search = !strchr(iso->sandbox, '/');
	p.out = PROC_PIPE;
	p.err = PROC_TO_OUT;
	p.timeout = 30;
	if ((e = proc_wait(&p, -1, PROBE_OUT_MAX, &out, &len, &big)) != 0) {
		if (asprintf(msg, "cannot run '%s': %s", iso->sandbox,
		    strerror(e)) < 0)
			abort();
		out = NULL;
	}
	proc_release(&p);
	store_rmtree(scratch);
	free(scratch);
	return out;
}

static int
choose_mode(struct isolation *iso, char **msg, char **note)
{
	char *out, *ov = NULL, *cp = NULL, *why = NULL;
	bool ov_ok = false, cp_ok = false;

	if (!(out = run_probe(iso, &why))) {
		if (iso->o.mode != ISO_AUTO) {
			*msg = why;
			return 69;
		}
		iso->mode = ISO_NONE;
		if (asprintf(note, "isolation: none (%s)", why) < 0)
			abort();
		free(why);
		return 0;
	}
	ov = probe_line(out, "overlay", &ov_ok);
	cp = probe_line(out, "copy", &cp_ok);
	iso->copy_ns = cp_ok;
	if (iso->o.mode == ISO_OVERLAY && !ov_ok) {
		if (asprintf(msg, "--isolate=overlay: %s", ov ? ov : out) < 0)
			abort();
		free(out), free(ov), free(cp);
		return 69;
	}
	if (iso->o.mode == ISO_AUTO)
		iso->mode = ov_ok ? ISO_OVERLAY : ISO_COPY;
	else
		iso->mode = iso->o.mode;
	if (iso->mode == ISO_COPY && asprintf(note, "isolation: copy%s%s%s%s",
	    ov_ok ? "" : " (", ov_ok ? "" : (ov ? ov : "overlay no"),
	    ov_ok ? "" : ")", cp_ok ? "" : "; no namespaces: a step runs in "
	    "its copy's own directory") < 0)
		abort();
	iso->why = xstrdup(out);
	free(out), free(ov), free(cp);
	return 0;
}

struct foreign {
	char path[PATH_MAX];	/* of the directory walked, from ws */
	size_t len;
	const char *skip;	/* the log directory, or NULL */
	char first[PATH_MAX];	/* the first file of another user */
	unsigned long uid;	/* its owner */
	unsigned long count;
};

static void foreign_walk(struct foreign *f, int dfd);

/* One entry of the directory dfd (f->path): counted when another user
   owns it, walked when it is a directory. */
static int
foreign_entry(int dfd, const char *name, void *arg)
{
	struct foreign *f = arg;
	struct stat st;
	size_t len = f->len;
	int sub;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    len + strlen(name) + 2 >= sizeof(f->path))
		return 0;
	snprintf(f->path + len, sizeof(f->path) - len, "%s%s", len ? "/" : "",
	    name);
	if (st.st_uid != geteuid() && !f->count++) {
		memcpy(f->first, f->path, sizeof(f->first));
		f->uid = (unsigned long)st.st_uid;
	}
	if (S_ISDIR(st.st_mode) && !(f->skip && !strcmp(f->path, f->skip)) &&
	    (sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) >= 0) {
		f->len = strlen(f->path);
		foreign_walk(f, sub);
		close(sub);
	}
	f->path[f->len = len] = '\0';
	return 0;
}

/* Files under the directory dfd (f->path) owned by another user. */
static void
foreign_walk(struct foreign *f, int dfd)
{
	file_each_entry(dfd, foreign_entry, f, false);
}

/*
 * Not run as root, a step's user namespace maps only this user: a file
 * of another user in the workspace appears owned by nobody in an
 * overlay's view and cannot be changed there, and a copy of it is this
 * user's. Say so before the run, naming the first such file; nothing is
 * changed silently.
 */
static void
foreign_warning(struct isolation *iso, char **note)
{
	struct foreign *f = xcalloc(1, sizeof(*f));
	char *w, *t;
	int fd;

	if (iso->bind && strlen(iso->bind) > strlen(iso->ws))
		f->skip = iso->bind + strlen(iso->ws) + 1;
	if ((fd = open(iso->ws, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		foreign_walk(f, fd);
		close(fd);
	}
	if (!f->count) {
		free(f);
		return;
	}
	if (asprintf(&w, "warning: '%s' in the workspace belongs to uid %lu"
	    "%s%.0lu%s: %s", f->first, f->uid, f->count > 1 ? " (and " : "",
	    f->count - 1, f->count > 2 ? " more files of other users)" :
	    f->count > 1 ? " more file of another user)" : "",
	    iso->mode == ISO_COPY ? "an isolated step's copy belongs to "
	    "this user instead, and --apply makes it this user's (without "
	    "root, owners cannot be kept)" : "in an isolated step's view it "
	    "is owned by nobody and cannot be changed (without root, a "
	    "step's user namespace maps only this user)") < 0)
		abort();
	if (*note) {
		if (asprintf(&t, "%s\nhm-exec: %s", *note, w) < 0)
			abort();
		free(*note);
		free(w);
		*note = t;
	} else
		*note = w;
	free(f);
}

int
isolate_setup(struct isolation *iso, const struct isolate_opts *o,
    const char *run_id, const char *log_dir, const struct plan *plan,
    char **msg, char **note)
{
	char buf[PATH_MAX];
	int r;

	memset(iso, 0, sizeof(*iso));
	iso->o = *o;
	iso->plan = plan;
	iso->mode = o->mode;
	iso->now = (long long)time(NULL);
	*msg = *note = NULL;
	if (o->mode == ISO_NONE)
		return 0;
	if (!getcwd(buf, sizeof(buf))) {
		if (asprintf(msg, "cannot find the current directory: %s",
		    strerror(errno)) < 0)
			abort();
		return EXIT_SOFTWARE;
	}
	iso->ws = xstrdup(buf);
	iso->root = o->store ? xstrdup(o->store) :
	    store_default_root(getenv("XDG_CACHE_HOME"), getenv("HOME"));
	if (!iso->root) {
		*msg = xstrdup("no store: set HOME or XDG_CACHE_HOME, or give "
		    "--store");
		return EXIT_USAGE;
	}
	/* the store's root is this user's and no other can write to it:
	   nothing planted there can redirect what the store writes */
	{
		const char *why = NULL;

		if (file_private_dir(iso->root, &why) < 0) {
			if (asprintf(msg, why ? "the store '%s' %s" :
			    "cannot create the store '%s': %s", iso->root,
			    why ? why : strerror(errno)) < 0)
				abort();
			return EXIT_IOERR;
		}
	}
	iso->sandbox = sandbox_path();
	if ((r = choose_mode(iso, msg, note)) != 0 || iso->mode == ISO_NONE)
		return r;
	/* the store must be outside the workspace: the view would hide it */
	if (realpath(iso->root, buf) && is_under(buf, iso->ws)) {
		if (asprintf(msg, "the store '%s' is inside the workspace "
		    "'%s': give --store a directory outside it", iso->root,
		    iso->ws) < 0)
			abort();
		return EXIT_USAGE;
	}
	if (log_dir && realpath(log_dir, buf)) {
		iso->logs = xstrdup(buf);
		if (is_under(buf, iso->ws))
			iso->bind = xstrdup(buf);
	}
	if (store_open(&iso->store, iso->root, run_id, iso->mode == ISO_COPY ?
	    STORE_COPY : STORE_OVERLAY, buf, sizeof(buf)) < 0) {
		*msg = xstrdup(buf);
		return EXIT_IOERR;
	}
	if ((r = images_check(iso, msg)) != 0)
		return r;
	if (geteuid() != 0)
		foreign_warning(iso, note);
	return 0;
}

int
isolate_release(struct isolation *iso, char **msg)
{
	char err[512];
	size_t i;
	int r = 0;

	*msg = NULL;
	if (iso->store) {
		for (i = 0; i < iso->cap; i++) {
			struct state_ent *e;

			for (e = iso->tab[i]; e; e = e->next) {
				if (e->attempt)
					store_unref(iso->store, e->attempt);
				if (e->layer)
					store_unref(iso->store, e->layer);
				e->attempt = e->layer = NULL;
			}
		}
		if (store_close(iso->store) < 0)
			r = -1;
		iso->store = NULL;
		if (store_evict(iso->root, iso->o.cache_max_age,
		    iso->o.cache_max_bytes, time(NULL), err, sizeof(err)) < 0) {
			*msg = xstrdup(err);
			r = -1;
		}
	}
	for (i = 0; i < iso->cap; i++) {
		struct state_ent *e, *nx;

		for (e = iso->tab[i]; e; e = nx) {
			nx = e->next;
			free(e->key);
			free(e);
		}
	}
	free(iso->tab);
	free(iso->why);
	free(iso->sandbox);
	free(iso->ws);
	free(iso->bind);
	free(iso->root);
	free(iso->logs);
	free(iso->image_ws);
	free(iso->image_mnt);
	free(iso->image_err);
	for (i = 0; i < iso->nimages; i++) {
		struct iso_image *im = iso->images[i];

		if (im->hold >= 0)
			close(im->hold);
		free(im->name);
		free(im->rootfs);
		free(im->id);
		free(im->key);
		free(im);
	}
	free(iso->images);
	iso->tab = NULL;
	iso->cap = iso->n = 0;
	return r;
}

/* ---- the warning without isolation ---- */

int
isolate_warn_shared(const struct plan *plan, FILE *f)
{
	const struct graph *g = &plan->g;
	uint32_t *first, n, src;
	int count = 0, shown = 0;

#define WARN(...) do { \
	if (shown++ < 5) { \
		fprintf(f, "hm-exec: warning: " __VA_ARGS__); \
		fputc('\n', f); \
	} \
	count++; \
} while (0)
	first = xmalloc((g->n + 1) * sizeof(*first));
	for (n = 0; n < g->n; n++)
		first[n] = GRAPH_NONE;
	for (n = 0; n < g->n; n++) {
		const struct gnode *gn = &g->nodes[n];
		const struct ir_more *m;

		if (gn->kind == GN_ENTER && (m = ir_more(gn->step)) &&
		    m->cont != IR_CONT_NONE && gn->step->nsteps > 1)
			WARN("group '%s' declares '%s', but without isolation "
			    "what continues in it sees every member's changes",
			    gn->key, m->cont == IR_CONT_JOIN ? "continue: join" :
			    m->cont == IR_CONT_EACH ? "continue: each" :
			    "continue_in");
		if (gn->kind != GN_COMMAND)
			continue;
		src = source_node(g, n);
		if (gn->step->retry > 0 && src != GRAPH_NONE)
			WARN("step '%s' retries, and without isolation a "
			    "retry starts from what the failed attempt left",
			    gn->key);
		if (src == GRAPH_NONE)
			continue;
		if (first[src] == GRAPH_NONE)
			first[src] = n;
		else if (first[src] != UINT32_MAX - 1) {
			WARN("steps '%s' and '%s' both continue in '%s': "
			    "without isolation they share one workspace and "
			    "see each other's changes", g->nodes[first[src]].key,
			    gn->key, g->nodes[src].key);
			first[src] = UINT32_MAX - 1;
		}
	}
	if (count > shown)
		fprintf(f, "hm-exec: warning: and %d more ways the graph "
		    "depends on state (--isolate=auto makes each step's state "
		    "its own)\n", count - shown);
#undef WARN
	free(first);
	return count;
}

/* ---- images ---- */

/* The image a step that starts fresh runs in: its own, or the default. */
static const char *
image_name(const struct isolation *iso, const struct ir_step *st)
{
	const struct ir_more *m;

	if (!st || !(m = ir_more(st)) || (m->runner &&
	    !strcmp(m->runner, "host")))
		return NULL;
	return m->image ? m->image : iso->o.default_image;
}

/* Whether root (a directory) holds a system: bin/sh at least. */
static bool
is_rootfs(const char *root)
{
	char *sh;
	struct stat st;
	bool ok;

	if (asprintf(&sh, "%s/bin/sh", root) < 0)
		abort();
	ok = lstat(sh, &st) == 0;
	free(sh);
	return ok;
}

/* Remember name's image. */
static struct iso_image *
image_add(struct isolation *iso, const char *name, struct oci_image *oi)
{
	struct iso_image *im = xcalloc(1, sizeof(*im));

	im->name = xstrdup(name);
	im->rootfs = oi->rootfs;
	im->id = oi->digest;
	im->hold = oi->hold;
	iso->images = xreallocarray(iso->images, iso->nimages + 1,
	    sizeof(*iso->images));
	iso->images[iso->nimages++] = im;
	return im;
}

/*
 * In directory d (of length dn) of --image-path: name as a root file
 * system, an OCI layout or an archive of one (NAME.tar); NAME:TAG also
 * as the layout NAME (or NAME.tar) with that tag. 1 found (*oi), 0
 * not there, -1 found but unusable (*msg).
 */
static int
image_in(struct isolation *iso, const char *d, int dn, const char *name,
    struct oci_image *oi, char **msg)
{
	const char *colon = strrchr(name, ':');
	char *cand, *base = NULL, *layout = NULL;
	struct stat st;
	int r = 0, hold = -1;

	memset(oi, 0, sizeof(*oi));
	oi->hold = -1;
	if (colon && strchr(colon, '/'))
		colon = NULL;
	if (asprintf(&cand, "%.*s/%s", dn, d, name) < 0 || (colon &&
	    asprintf(&base, "%.*s/%.*s", dn, d, (int)(colon - name),
	    name) < 0))
		abort();
	if (is_rootfs(cand)) {
		oi->rootfs = cand;
		free(base);
		return 1;
	}
	if (oci_is_layout(cand))
		r = oci_rootfs(cand, NULL, iso->root, oi, msg) < 0 ? -1 : 1;
	else if (base && oci_is_layout(base))
		r = oci_rootfs(base, colon + 1, iso->root, oi, msg) < 0 ? -1 :
		    1;
	else {
		/* archives: NAME.tar, or NAME.tar of NAME:TAG */
		char *a;
		const char *tag = NULL;

		if (asprintf(&a, "%s.tar", cand) < 0)
			abort();
		if (stat(a, &st) < 0 && base) {
			free(a);
			if (asprintf(&a, "%s.tar", base) < 0)
				abort();
			tag = colon + 1;
		}
		if (stat(a, &st) == 0 && S_ISREG(st.st_mode)) {
			r = -1;
			if ((layout = oci_extract(a, iso->root, &hold, msg)) &&
			    oci_rootfs(layout, tag, iso->root, oi, msg) == 0)
				r = 1;
			/* the layout is needed no more: its root is held */
			if (hold >= 0)
				close(hold);
		}
		free(a);
	}
	free(cand);
	free(base);
	free(layout);
	return r;
}

/*
 * The image name, found on --image-path (see image_in). NULL with *msg
 * (naming every place looked at) if none.
 */
static struct iso_image *
image_find(struct isolation *iso, const char *name, char **msg)
{
	const char *p = iso->o.image_path, *colon;
	char *looked = NULL, *t;
	struct oci_image oi;
	size_t i;

	for (i = 0; i < iso->nimages; i++)
		if (!strcmp(iso->images[i]->name, name))
			return iso->images[i];
	if (!*name || name[0] == '/' || !strncmp(name, "../", 3) ||
	    strstr(name, "/../") || (strlen(name) >= 3 &&
	    !strcmp(name + strlen(name) - 3, "/..")) || !strcmp(name, "..")) {
		if (asprintf(msg, "image '%s': not a name to look up on "
		    "--image-path", name) < 0)
			abort();
		return NULL;
	}
	for (; p && *p; p = colon ? colon + 1 : NULL) {
		int dn, r;
		char *err = NULL;

		colon = strchr(p, ':');
		dn = colon ? (int)(colon - p) : (int)strlen(p);
		if ((r = image_in(iso, p, dn, name, &oi, &err)) > 0) {
			free(looked);
			return image_add(iso, name, &oi);
		}
		if (r < 0) {
			if (asprintf(msg, "image '%s': %s", name, err) < 0)
				abort();
			free(err);
			free(looked);
			return NULL;
		}
		if (asprintf(&t, "%s%s'%.*s/%s'", looked ? looked : "",
		    looked ? ", " : "", dn, p, name) < 0)
			abort();
		free(looked);
		looked = t;
	}
	if (asprintf(msg, "image '%s' is not available here: %s%s (a root "
	    "filesystem with bin/sh, an OCI layout, or an archive of one "
	    "named .tar; hm-exec pulls no images)", name, looked ?
	    "nothing at " : "no --image-path given", looked ? looked : "") < 0)
		abort();
	free(looked);
	return NULL;
}

/*
 * Before the run: every step that starts fresh finds its image, and the
 * mode can run images (overlay). 0, or an exit status with *msg.
 */
static int
images_check(struct isolation *iso, char **msg)
{
	const struct graph *g = &iso->plan->g;
	const char *name;
	uint32_t n;

	for (n = 0; n < g->n; n++) {
		if (g->nodes[n].kind != GN_COMMAND ||
		    source_node(g, n) != GRAPH_NONE ||
		    !(name = image_name(iso, g->nodes[n].step)))
			continue;
		if (iso->mode != ISO_OVERLAY) {
			if (asprintf(msg, "step '%s' runs in image '%s', and "
			    "images need --isolate=overlay (here: %s)",
			    g->nodes[n].key, name, iso->mode == ISO_COPY ?
			    "copy" : "none") < 0)
				abort();
			return 69;
		}
		if (!image_find(iso, name, msg))
			return EXIT_NOINPUT;
	}
	return 0;
}

/*
 * The workspace as it was when the run started, under IMAGE_WS, made once
 * (hard links where the store shares the workspace's file system: overlay
 * never writes a lower layer). 0, or -1 with *msg.
 */
static int
image_ws(struct isolation *iso, char **msg)
{
	char *dir, *src;
	const char *argv[8];
	struct proc p = PROC_INIT;
	size_t len;
	bool big;
	char *out = NULL;
	int e, try;
	bool ok;

	if (iso->image_ws)
		return 0;
	if (asprintf(&dir, "%s/image-ws", store_run_dir(iso->store)) < 0 ||
	    asprintf(&iso->image_mnt, "%s/image-mnt",
	    store_run_dir(iso->store)) < 0 ||
	    asprintf(&src, "%s/.", iso->ws) < 0)
		abort();
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(iso->image_mnt, 0755) < 0 && errno != EEXIST)) {
		if (asprintf(msg, "cannot create '%s': %s", dir,
		    strerror(errno)) < 0)
			abort();
		free(dir), free(src);
		return -1;
	}
	iso->image_ws = dir;
	if (asprintf(&dir, "%s/" IMAGE_WS_NAME, iso->image_ws) < 0)
		abort();
	for (try = 0; try < 2; try++) {
		store_rmtree(dir);
		argv[0] = "cp";
		argv[1] = "-a";
		argv[2] = try ? "--reflink=auto" : "-l";
		argv[3] = src;
		argv[4] = dir;
		argv[5] = NULL;
		p = (struct proc)PROC_INIT;
		p.argv = argv;
		p.search = true;
		p.out = PROC_PIPE;
		p.err = PROC_TO_OUT;
		e = proc_wait(&p, -1, PROBE_OUT_MAX, &out, &len, &big);
		ok = !e && WIFEXITED(p.wstatus) && !WEXITSTATUS(p.wstatus);
		proc_release(&p);
		if (ok) {
			free(out), free(dir), free(src);
			return 0;
		}
		if (try && asprintf(msg, "cannot copy the workspace for "
		    "images to '%s': %s", dir, out && *out ? out :
		    strerror(e ? e : EIO)) < 0)
			abort();
		free(out);
		out = NULL;
	}
	free(dir), free(src);
	return -1;
}

/*
 * The image e's chain runs in: its parent's, or for a step that starts
 * fresh its own (found on --image-path); in e->image (NULL: none).
 * false when it cannot be found (iso->image_err says why).
 */
static bool
image_of(struct isolation *iso, struct state_ent *e,
    const struct state_ent *src, const struct ir_step *st)
{
	const char *name;

	if (iso->mode != ISO_OVERLAY)
		return true;
	if (src) {
		e->image = src->image;
		return true;
	}
	if (!st || !(name = image_name(iso, st)))
		return true;
	free(iso->image_err);
	iso->image_err = NULL;
	return (e->image = image_find(iso, name, &iso->image_err)) != NULL;
}

/*
 * What the image is, for the cache key of a chain's start: "image:" and
 * the manifest's digest, or for a root file system "image:dir:" and its
 * fingerprint (oci_dir_id), computed once. NULL if it cannot be.
 */
static const char *
image_key(struct iso_image *im)
{
	char *id, *err = NULL;

	if (!im->id) {
		if (!(id = oci_dir_id(im->rootfs, &err))) {
			free(err);
			return NULL;
		}
		if (asprintf(&im->id, "dir:%s", id) < 0)
			abort();
		free(id);
	}
	if (!im->key && asprintf(&im->key, "image:%s", im->id) < 0)
		abort();
	return im->key;
}

/* ---- the cache ---- */

static const char *
env_lookup(void *ctx, const char *name)
{
	char *const *e = ctx;
	size_t n = strlen(name);

	for (; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

bool
isolate_cache_hit(struct isolation *iso, const struct step *s,
    char *const *envp)
{
	const struct ir_cache *c;
	struct state_ent *e, *src;
	struct cache_key_in in = { 0 };
	struct layer *l;
	const char *parent = NULL;
	char err[512];

	if (iso->mode == ISO_NONE || !iso->store || s->dynamic || !s->ir ||
	    !(c = ir_more(s->ir)->cache) || c->policy == IR_CACHE_NONE)
		return false;
	fresh_counts(iso);
	e = ent(iso, s->key, true);
	src = source_ent(iso, s->key);
	/* harmont's rule: a cached step's parent is cached too, or none */
	if (src && !src->has_key)
		return false;
	/* a chain in an image: the image is the start's parent, so that
	   its identity is in every key of the chain */
	if (!image_of(iso, e, src, s->ir) || (!src && e->image &&
	    !(parent = image_key(e->image))))
		return false;
	in.pipeline = iso->o.pipeline;
	in.step = s->key;
	in.parent = src ? src->ckey : parent;
	in.cmd = s->ir->cmd;
	in.getenv = env_lookup;
	in.ctx = (void *)envp;
	in.dir = iso->ws;
	in.now = iso->now;
	if (cache_key(c, &in, e->ckey, err, sizeof(err)) != 1)
		return false;
	e->has_key = true;
	if (iso->o.no_cache)
		return false;
	if (!(l = store_cache_get(iso->store, e->ckey,
	    iso->mode == ISO_OVERLAY && src ? src->layer : NULL)))
		return false;
	e->layer = l;
	iso->cached++;
	return true;
}

/* ---- the runner ---- */

struct iso_attempt {
	struct proc p;
	const char **argv;
	struct state_ent *e;
	char *key;
};

static const char **
sandbox_argv(struct isolation *iso, const struct attempt_spec *spec,
    struct layer *below, struct layer *own, const char *from, bool move,
    bool volatile_ok, const char *image)
{
	const char *dirs[512];
	size_t n = 0, i, k = 0, cap;
	const char **v;

	if (iso->mode == ISO_OVERLAY)
		n = store_chain(below, dirs, 512);
	cap = 2 * n + 32;
	v = xcalloc(cap, sizeof(*v));
	v[k++] = iso->sandbox;
	v[k++] = "-C";
	v[k++] = iso->ws;
	if (iso->mode == ISO_OVERLAY) {
		for (i = 0; i < n && i < 512; i++) {
			v[k++] = "--lower";
			v[k++] = dirs[i];
		}
		if (image) {
			/* the workspace, then the image at the bottom */
			v[k++] = "--lower";
			v[k++] = iso->image_ws;
			v[k++] = "--image";
			v[k++] = image;
			v[k++] = "--root";
			v[k++] = iso->image_mnt;
		}
		if (own) {
			v[k++] = "--upper";
			v[k++] = own->dir;
			v[k++] = "--work";
			v[k++] = own->work;
			/* no sync of the whole file system at unmount; only a
			   state that goes into the cache must survive a crash */
			if (volatile_ok)
				v[k++] = "--volatile";
		}
	} else if (own || below) {
		v[k++] = "--copy";
		v[k++] = own ? own->dir : below->dir;
		if (own) {
			v[k++] = "--from";
			v[k++] = from;
			if (move)
				v[k++] = "--move";
		} else
			v[k++] = "--read-only";
		if (!iso->copy_ns)
			v[k++] = "--no-ns";
	}
	if (image && iso->logs) {
		/* a root of its own: the log directory wherever it is */
		v[k++] = "--bind";
		v[k++] = iso->logs;
	} else if (iso->bind && (iso->mode == ISO_OVERLAY || iso->copy_ns)) {
		v[k++] = "--bind";
		v[k++] = iso->bind;
	}
	v[k++] = "--";
	if (spec->argv) {
		for (i = 0; spec->argv[i] && k < cap - 1; i++)
			v[k++] = spec->argv[i];
	} else {
		v[k++] = "/bin/sh";
		v[k++] = "-c";
		v[k++] = spec->cmd;
	}
	v[k] = NULL;
	return v;
}

static int
iso_start(struct runner *rn, const struct attempt_spec *spec,
    struct attempt *a, char **msg)
{
	struct isolation *iso = rn->run->isolation;
	struct state_ent *e, *src;
	struct layer *below = NULL, *own = NULL;
	struct iso_attempt *t;
	const char *from = NULL;
	bool move = false;
	int r;

	if (iso->mode == ISO_NONE)
		return runner_local.start(rn, spec, a, msg);
	fresh_counts(iso);
	e = ent(iso, spec->key, true);
	src = source_ent(iso, spec->key);
	if (src && src->released) {
		*msg = diag_msg(E_EXEC_STATE_GONE, spec->key, src->key);
		return ENOENT;
	}
	below = src ? src->layer : NULL;
	if (!spec->argv && iso->mode == ISO_OVERLAY) {
		if (!image_of(iso, e, src, spec->step)) {
			*msg = xstrdup(iso->image_err ? iso->image_err : "");
			return ENOENT;
		}
		if (e->image && image_ws(iso, msg) < 0)
			return EIO;
	} else if (spec->argv && src && src->image)
		/* a baker reads a workspace, not a system: the start one */
		below = NULL;
	/* copies without namespaces: a baker of the start state reads the
	   workspace itself, as without isolation */
	if (spec->argv && !below && iso->mode == ISO_COPY && !iso->copy_ns)
		return runner_local.start(rn, spec, a, msg);
	if (!spec->argv) {
		/* a command: a new layer over its parent's state */
		own = store_layer_new(iso->store,
		    iso->mode == ISO_OVERLAY ? below : NULL);
		if (!own) {
			*msg = xstrdup(store_error(iso->store));
			return errno ? errno : EIO;
		}
		if (iso->mode == ISO_OVERLAY && own->depth > FLATTEN_DEPTH &&
		    store_flatten(iso->store, own) < 0) {
			*msg = xstrdup(store_error(iso->store));
			store_unref(iso->store, own);
			return EIO;
		}
		if (iso->mode == ISO_COPY) {
			from = below ? below->dir : iso->ws;
			/* the only step to continue in it, and nothing to go
			   back to: take the directory instead of a copy */
			move = below && !below->cached && !below->kept &&
			    below->refs == 1 && src->consumers == 1 &&
			    !iso->dynamic_pending && spec->step &&
			    spec->step->retry == 0;
		}
		if (e->attempt)
			store_unref(iso->store, e->attempt);
		e->attempt = own;
	}
	t = xcalloc(1, sizeof(*t));
	t->p = (struct proc)PROC_INIT;
	t->e = e;
	t->key = xstrdup(spec->key);
	t->argv = sandbox_argv(iso, spec, below, own, from, move,
	    !e->has_key || iso->o.no_cache, spec->argv || !e->image ? NULL :
	    e->image->rootfs);
	t->p.argv = t->argv;
	t->p.envp = spec->envp;
	t->p.search = true;
	t->p.grace = rn->run->grace;
	if (spec->split_stdout) {
		t->p.out = PROC_PIPE;
		t->p.err = PROC_PIPE;
	} else {
		t->p.out = PROC_PIPE;
		t->p.err = PROC_TO_OUT;
	}
	if ((r = proc_start(&t->p)) != 0) {
		if (asprintf(msg, "cannot run '%s': %s", iso->sandbox,
		    strerror(r)) < 0)
			abort();
		free(t->argv);
		free(t->key);
		free(t);
		return r;
	}
	/* moved: src's directory is the step's now; src's empty home goes
	   when its last consumer, this step, has finished */
	a->pid = t->p.pid;
	if (spec->split_stdout) {
		a->frag_fd = t->p.out_fd;
		a->out_fd = t->p.err_fd;
	} else {
		a->out_fd = t->p.out_fd;
		a->frag_fd = -1;
	}
	a->data = t;
	return 0;
}

static int
iso_signal(struct runner *rn, struct attempt *a, int sig)
{
	(void)rn;
	/* also after finish, for what the step left in its group */
	if (a->pid <= 0)
		return -1;
	return kill(-a->pid, sig) < 0 && errno == ESRCH ? -1 : 0;
}

static int
iso_finish(struct runner *rn, struct attempt *a, int ws, char **msg)
{
	struct isolation *iso = rn->run->isolation;
	struct iso_attempt *t = a->data;

	if (iso->mode == ISO_NONE || !t)	/* started as local */
		return runner_local.finish ? runner_local.finish(rn, a, ws, msg)
		    : ws;
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == 125)
		*msg = diag_msg(E_EXEC_SANDBOX, t->key);
	/* the proc's descriptors are the loop's: it closed them at EOF */
	free(t->argv);
	free(t->key);
	free(t);
	a->data = NULL;
	return ws;
}

const struct runner_ops runner_isolated = {
	.name = "isolated",
	.start = iso_start,
	.signal = iso_signal,
	.finish = iso_finish,
};

static int
host_start(struct runner *rn, const struct attempt_spec *spec,
    struct attempt *a, char **msg)
{
	return runner_local.start(rn, spec, a, msg);
}

static int
host_signal(struct runner *rn, struct attempt *a, int sig)
{
	return runner_local.signal(rn, a, sig);
}

static int
host_finish(struct runner *rn, struct attempt *a, int ws, char **msg)
{
	return runner_local.finish ? runner_local.finish(rn, a, ws, msg) : ws;
}

const struct runner_ops runner_host = {
	.name = "host",
	.start = host_start,
	.signal = host_signal,
	.finish = host_finish,
};

/* ---- the state sink ---- */

/* Keep l, e's state, for --shell and --apply (with its image's parts). */
static void
keep(struct isolation *iso, const struct state_ent *e, struct layer *l,
    const char *key)
{
	store_keep(iso->store, l, key, e->image ? e->image->rootfs : NULL,
	    e->image ? iso->image_ws : NULL);
}

static void
state_finished(struct sink *k, struct step *s, bool ran)
{
	struct isolation *iso = k->state;
	struct state_ent *e, *src;
	struct layer *l;

	if (iso->mode == ISO_NONE || !iso->store)
		return;
	fresh_counts(iso);
	e = ent(iso, s->key, true);
	if (s->will_retry) {
		/* the next attempt starts from the parent's state again */
		if (e->attempt)
			store_unref(iso->store, e->attempt);
		e->attempt = NULL;
		return;
	}
	e->final = true;
	/* an expanded placeholder is a group now: the count of its start
	   state was redone without it when the graph changed */
	if ((!s->dynamic || placeholder_here(iso, s->key)) &&
	    (src = source_ent(iso, s->key)) && src->consumers) {
		src->consumers--;
		maybe_release(iso, src);
	}
	if (!ran || !(l = e->attempt)) {
		maybe_release(iso, e);
		return;
	}
	e->attempt = NULL;
	if (!ST_OK(s->status)) {
		if (iso->o.keep != KEEP_NONE)
			keep(iso, e, l, s->key);
		store_unref(iso->store, l);
		return;
	}
	if (e->has_key && s->status == ST_PASSED && !iso->o.no_cache)
		store_cache_put(iso->store, l, e->ckey);
	else
		store_fold(iso->store, l);
	if (iso->o.keep == KEEP_ALL)
		keep(iso, e, l, s->key);
	e->layer = l;
	maybe_release(iso, e);
}

static void
state_expanded(struct sink *k, struct step *s, const char *const *keys,
    size_t n)
{
	struct isolation *iso = k->state;

	(void)s, (void)keys, (void)n;
	if (iso->mode != ISO_NONE && iso->store)
		recount(iso);
}

static int
state_started(struct sink *k, const struct sink_run *run)
{
	struct isolation *iso = k->state;

	(void)run;
	if (iso->mode != ISO_NONE && iso->store)
		recount(iso);
	return 0;
}

const struct sink_ops sink_state_ops = {
	.name = "state",
	.run_started = state_started,
	.step_finished = state_finished,
	.step_expanded = state_expanded,
};

/* ---- --shell and --apply ---- */

static int
find_kept(const char *store, const char *key, struct store_kept *k,
    char **root)
{
	char err[512];

	*root = store ? xstrdup(store) : store_default_root(
	    getenv("XDG_CACHE_HOME"), getenv("HOME"));
	if (!*root) {
		warnf("no store: set HOME or XDG_CACHE_HOME, or give --store");
		return EXIT_USAGE;
	}
	if (store_find_kept(*root, key, k, STORE_KEPT_MAX, err,
	    sizeof(err)) < 0) {
		warnf("%s", err);
		return EXIT_NOINPUT;
	}
	if (k->image && !is_rootfs(k->image)) {
		warnf("the image of the kept state '%s' is gone from '%s' "
		    "(evicted): a run that uses the image unpacks it again",
		    key, k->image);
		store_kept_release(k);
		return EXIT_NOINPUT;
	}
	return 0;
}

int
isolate_apply(const char *store, const char *key)
{
	struct store_kept k;
	char *root, err[512];
	int r;

	if ((r = find_kept(store, key, &k, &root)) != 0) {
		free(root);
		return r;
	}
	/* of a state in an image, only what it did to the workspace */
	if (store_apply((const char *const *)k.dirs, k.n, k.mode, k.image ?
	    IMAGE_WS_NAME : NULL, ".", err, sizeof(err)) < 0) {
		warnf("%s", err);
		r = EXIT_IOERR;
	}
	store_kept_release(&k);
	free(root);
	return r;
}

/*
 * Run the sandbox's shell in the foreground (proc.h): it has the
 * terminal, and an interrupt is the shell's, not ours. Its exit status
 * (128 + N when signal N ended it), or 126.
 */
static int
run_shell(const char **v)
{
	struct proc p = PROC_INIT;
	struct sigaction ign, oint, oquit;
	char *sb = sandbox_path();
	int e, ws = 0;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	v[0] = sb;
	p.argv = v;
	p.search = true;
	p.foreground = true;
	/* no deadline, nothing to read: wait as long as the user works */
	if ((e = proc_start(&p)) == 0) {
		while (waitpid(p.pid, &ws, 0) < 0 && errno == EINTR)
			;
		proc_reaped(&p, ws, proc_now());
	}
	proc_release(&p);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	if (e != 0) {
		errno = e;
		warnf("cannot run '%s':", sb);
		free(sb);
		return 126;
	}
	free(sb);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return WEXITSTATUS(ws);
}

int
isolate_shell(const char *store, const char *key)
{
	struct store_kept k;
	char *root, *scratch, *upper, *work, *mnt, cwd[PATH_MAX];
	const char **v;
	const char *sh = getenv("SHELL");
	size_t i, j = 0;
	int r, hold = -1;

	if ((r = find_kept(store, key, &k, &root)) != 0) {
		free(root);
		return r;
	}
	if (!getcwd(cwd, sizeof(cwd)))
		dief(EXIT_SOFTWARE, "cannot find the current directory:");
	/* a throwaway layer: the kept state stays as it was */
	if (asprintf(&scratch, "%s/runs/shell-%ld", root, (long)getpid()) < 0 ||
	    asprintf(&upper, "%s/upper", scratch) < 0 ||
	    asprintf(&work, "%s/work", scratch) < 0 ||
	    asprintf(&mnt, "%s/mnt", scratch) < 0)
		abort();
	if (mkdir(scratch, 0755) < 0 || (k.mode == STORE_OVERLAY &&
	    (mkdir(upper, 0755) < 0 || mkdir(work, 0755) < 0)) ||
	    (k.image && mkdir(mnt, 0755) < 0))
		dief(EXIT_IOERR, "cannot create '%s':", scratch);
	if (k.image) {
		/* no eviction takes the image while the shell runs */
		char *dir = xstrdup(k.image), *slash = strrchr(dir, '/');

		if (slash) {
			*slash = '\0';
			hold = store_hold(dir);
		}
		free(dir);
	}
	v = xcalloc(2 * k.n + 24, sizeof(*v));
	v[j++] = "hm-sandbox";
	v[j++] = "-C";
	v[j++] = cwd;
	if (k.mode == STORE_OVERLAY) {
		for (i = 0; i < k.n; i++) {
			v[j++] = "--lower";
			v[j++] = k.dirs[i];
		}
		if (k.image) {
			v[j++] = "--lower";
			v[j++] = k.base;
			v[j++] = "--image";
			v[j++] = k.image;
			v[j++] = "--root";
			v[j++] = mnt;
		}
		v[j++] = "--upper";
		v[j++] = upper;
		v[j++] = "--work";
		v[j++] = work;
	} else {
		v[j++] = "--copy";
		v[j++] = upper;
		v[j++] = "--from";
		v[j++] = k.dirs[0];
	}
	v[j++] = "--";
	/* in an image, the user's shell may not exist */
	v[j++] = k.image || !sh || !*sh ? "/bin/sh" : sh;
	v[j] = NULL;
	fprintf(stderr, "hm-exec: a shell in the state of '%s'%s (changes are "
	    "thrown away)\n", key, k.image ? ", in its image" : "");
	r = run_shell(v);
	if (store_rmtree(scratch) < 0)
		warnf("cannot remove '%s':", scratch);
	if (hold >= 0)
		close(hold);
	free(v);
	free(scratch);
	free(upper);
	free(work);
	free(mnt);
	store_kept_release(&k);
	free(root);
	return r;
}
