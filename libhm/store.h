/* hm: the store of step snapshots: layers, their life, folding, the cache. */
#ifndef HM_STORE_H
#define HM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * A step's state is a chain of layers over the workspace as it was when
 * the run started. With overlays a layer is a directory of what the step
 * changed (the overlay's upper directory: new and changed files,
 * whiteouts for deletions, opaque directories); the view of a step is its
 * parent's chain, newest first, over the workspace. With copies a layer is
 * a whole copy of the workspace and the chain is that one directory.
 *
 * Layout under the root (default ${XDG_CACHE_HOME:-~/.cache}/hm):
 *   runs/RUN/N/upper, runs/RUN/N/work	a layer of the run (overlay)
 *   runs/RUN/N/state			a layer of the run (copy)
 *   runs/RUN/kept/KEY			a kept state: its chain, one
 *					directory a line, newest first
 *   cache/MODE/KEY/{upper|state}	a cached layer, and its 'size'
 *   images/DIGEST/rootfs		an unpacked OCI image, its 'size'
 *   images/archive-HASH/layout		an extracted archive of a layout
 *   trash/RUN/				what the run is deleting
 *
 * Life cycle: a layer is created with one reference, its owner's (the
 * step that writes it); a layer stacked on another holds a reference to
 * it; the executor adds a reference per step that will continue in it and
 * drops them as those steps finish. A layer whose last reference goes is
 * deleted, and its parent loses one. A layer of the cache is never
 * deleted or changed by a run.
 *
 * Everything returns 0 or -1 with errno set and store_error() saying
 * what failed; nothing prints.
 */

enum store_mode {
	STORE_OVERLAY,
	STORE_COPY
};

struct store;

struct layer {
	struct layer *below;	/* the parent's layer, NULL: the workspace */
	char *dir;		/* upper (overlay) or state (copy) */
	char *work;		/* overlay's work directory, else NULL */
	unsigned refs;
	unsigned depth;		/* layers in the chain, this one included */
	bool cached;		/* in the cache: read-only, never deleted */
	bool kept;		/* part of a kept state: survives the run */
	uint32_t id;
};

/*
 * Open the store at root for run_id (creating what is missing); *sp is
 * NULL on failure, with the reason in err (err_size bytes).
 */
int store_open(struct store **sp, const char *root, const char *run_id,
    enum store_mode mode, char *err, size_t err_size);
/*
 * Delete every layer of the run that no kept state needs, empty the
 * trash, free s. Returns -1 if something could not be deleted.
 */
int store_close(struct store *s);
/* What the last failure was about ("cannot create '...': ..."). */
const char *store_error(const struct store *s);
/* The run's directory. */
const char *store_run_dir(const struct store *s);
enum store_mode store_mode(const struct store *s);

/*
 * A new, empty layer over below (NULL: over the workspace), with one
 * reference. For copies its directory does not exist yet: the sandbox
 * makes it from below's (or the workspace) when the step starts.
 */
struct layer *store_layer_new(struct store *s, struct layer *below);
void layer_ref(struct layer *l);
/* Drop a reference; at 0 the layer is deleted and below loses one. */
void store_unref(struct store *s, struct layer *l);
/*
 * The chain of l, newest first, into dirs (up to max); returns its
 * length. NULL l: the empty chain.
 */
size_t store_chain(const struct layer *l, const char **dirs, size_t max);

/*
 * Overlay mode: l's step has finished; if nothing but l holds its
 * parent (and the parent is the run's own), move l's changes into the
 * parent's directory and let l be that merged layer: a linear chain stays
 * one layer deep. Returns 1 if it folded, 0 if not, -1 on error.
 */
int store_fold(struct store *s, struct layer *l);
/*
 * Overlay mode: replace l's parent chain by one layer holding the same
 * view (hard links: nothing is copied). For chains deeper than the depth
 * that costs more to mount than to flatten.
 */
int store_flatten(struct store *s, struct layer *l);

/*
 * Keep the state of l for hm-exec --shell and --apply under name (a step
 * key): write its chain, and hold a reference that store_close keeps.
 * A state in an image also names the image's root file system and base,
 * the layer of the workspace below the chain (NULL, NULL: none).
 */
int store_keep(struct store *s, struct layer *l, const char *name,
    const char *image, const char *base);

/* A kept state, as store_find_kept reads it (strings malloc'd). */
#define STORE_KEPT_MAX	500
struct store_kept {
	enum store_mode mode;
	char *dirs[STORE_KEPT_MAX];	/* its chain, newest first */
	size_t n;
	char *image;		/* a state in an image: its root file
				   system, else NULL */
	char *base;		/* and the workspace below the chain */
};

/*
 * Find a kept state: name is KEY (the newest run that kept it) or
 * RUN/KEY. Fills *k (at most max of its chain); release it with
 * store_kept_release. 0, or -1 (ENOENT: no such state) with err.
 */
int store_find_kept(const char *root, const char *name, struct store_kept *k,
    size_t max, char *err, size_t err_size);
void store_kept_release(struct store_kept *k);

/*
 * Write a chain (newest first) into dir as its final state: files copied,
 * deletions and replaced directories applied. sub: only that part of
 * each layer (a state in an image: "workspace"); NULL: all of it.
 */
int store_apply(const char *const *chain, size_t n, enum store_mode mode,
    const char *sub, const char *dir, char *err, size_t err_size);

/*
 * The cache of layers: a layer found under key (64 hex digits) whose
 * parent is parent (the key of the layer below, NULL for the workspace);
 * NULL if there is none (touches it: eviction goes by last use).
 */
struct layer *store_cache_get(struct store *s, const char *key,
    struct layer *below);
/*
 * l's step passed and its state goes into the cache under key: its
 * directory moves there, and l becomes that read-only layer.
 */
int store_cache_put(struct store *s, struct layer *l, const char *key);
/*
 * Delete cache entries and unpacked images not used for max_age seconds,
 * then the least recently used ones until at most max_bytes remain (0:
 * no limit; the cache and the images count together); also runs left
 * behind older than max_age. An entry a run holds (store_hold), a cache
 * entry an open store looked up or stored, and an open store's run are
 * passed by.
 */
int store_evict(const char *root, time_t max_age, uint64_t max_bytes,
    time_t now, char *err, size_t err_size);

/*
 * A run uses dir, an entry of the cache or of images/: a shared lock on
 * it, held until the descriptor returned is closed, makes store_evict
 * pass it by; its time of last use becomes now. The descriptor, or -1
 * with errno (ENOENT: it is gone, evicted just now: make it again).
 */
int store_hold(const char *dir);
/* Write dir/size (the bytes dir takes), which eviction goes by. */
int store_note_size(const char *dir);

/* Delete a tree, even directories without permissions (overlay's work). */
int store_rmtree(const char *path);
/* The same, for name under the directory dfd; nothing is followed. */
int store_rmtree_at(int dfd, const char *name);
/*
 * The default root: $XDG_CACHE_HOME/hm, else $HOME/.cache/hm (malloc'd),
 * from the given variables; NULL if neither is set.
 */
char *store_default_root(const char *xdg_cache_home, const char *home);

#endif
