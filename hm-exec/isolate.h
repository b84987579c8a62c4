/* hm: hm-exec's isolation: every step in a snapshot of the state it continues. */
#ifndef HM_EXEC_ISOLATE_H
#define HM_EXEC_ISOLATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "plan.h"
#include "runner.h"
#include "sink.h"
#include "store.h"

/*
 * With isolation, a step does not run in the workspace W itself but in a
 * view of it: the state of the step it continues in (the run graph says
 * which: builds_in, a group's continue_in through nested groups, join =
 * the group's start state, an each replica = its leaf, null = the start
 * state), which is a chain of layers (libhm/store.h) over W as it was when
 * the run started. hm-sandbox makes the view; what the step changes
 * becomes its own layer, which is its snapshot for the steps that
 * continue in it. W itself is never changed.
 *
 * The pieces: isolate_setup() probes (--isolate=auto) and opens the
 * store; runner_isolated starts attempts through hm-sandbox; the state
 * sink follows the plan (a retry drops its attempt's layer, a finished
 * step's layer becomes its state, is folded into its parent when nothing
 * else needs the parent, kept with --keep, stored in the cache; a state
 * nobody will continue in is deleted). A step with runner: host runs as
 * without isolation, in W.
 *
 * Images: a step that starts fresh (it continues in no other) and names
 * an image (or the document's default_image) runs in that image, an
 * unpacked root filesystem found on --image-path. Its view is a whole
 * system: the layers of the chain, then the workspace at /workspace (a
 * linked copy made once per run), then the image; its layer covers both,
 * so what it installs is there for the steps that continue in it. Such
 * states are cached (the image's identity stands for the start's parent
 * key) and kept as any other; --shell opens one in its image, --apply
 * writes only its workspace part.
 */

enum isolate_mode {
	ISO_AUTO,		/* probe: overlay, else copy, else none */
	ISO_OVERLAY,
	ISO_COPY,
	ISO_NONE		/* one shared workspace */
};

enum isolate_keep {
	KEEP_NONE,
	KEEP_FAILED,		/* the default */
	KEEP_ALL
};

struct isolate_opts {
	enum isolate_mode mode;
	enum isolate_keep keep;
	bool no_cache;
	bool quiet;			/* HM_ISOLATE=none: shared on purpose,
					   no warnings about state */
	const char *store;		/* NULL: the default root */
	const char *pipeline;		/* for cache keys; NULL: "default" */
	const char *image_path;		/* --image-path: DIR[:DIR]... */
	const char *default_image;	/* the document's */
	time_t cache_max_age;		/* seconds; 0: no limit */
	uint64_t cache_max_bytes;	/* 0: no limit */
};

struct state_ent;

/* An image steps run in (see oci.h). */
struct iso_image {
	char *name;
	char *rootfs;			/* its root file system */
	char *id;			/* what it is, for cache keys:
					   "sha256:HEX" of an OCI manifest,
					   or "dir:" + a fingerprint; NULL
					   until needed */
	char *key;			/* "image:" + id, the parent key of
					   its chains' starts */
	int hold;			/* store_hold, or -1 */
};

struct isolation {
	struct isolate_opts o;
	enum isolate_mode mode;		/* chosen: overlay, copy or none */
	bool copy_ns;			/* copy: namespaces work (bind) */
	char *why;			/* what the probe said (malloc'd) */
	char *sandbox;			/* hm-sandbox's path */
	char *ws;			/* the workspace: the directory we
					   run in */
	char *bind;			/* the log directory, when it is
					   inside ws; else NULL */
	char *root;			/* the store's root */
	char *logs;			/* the log directory (real path) */
	char *image_ws;			/* a run's workspace under IMAGE_WS,
					   the layer below an image's */
	char *image_mnt;		/* where hm-sandbox mounts a root */
	char *image_err;		/* why the last image_find failed */
	struct iso_image **images;
	size_t nimages;
	struct store *store;
	const struct plan *plan;
	unsigned long seen;		/* the graph (plan gen) the counts
					   are for */
	bool dynamic_pending;		/* a placeholder may still bake */
	struct state_ent **tab;
	size_t cap, n;
	long long now;
	int cached;			/* cache hits so far */
};

/*
 * Choose the mode (probing for auto, overlay and copy) and open the store
 * for run_id. Returns 0, or an exit status with *msg (malloc'd). *note is
 * what to tell people about the choice (malloc'd, or NULL).
 */
int isolate_setup(struct isolation *iso, const struct isolate_opts *o,
    const char *run_id, const char *log_dir, const struct plan *plan,
    char **msg, char **note);
/*
 * Without isolation: a warning for each way the graph depends on state
 * (forks, each, join, continue_in, a retry of a step that builds in
 * another), at most a few, printed to f. Returns how many.
 */
int isolate_warn_shared(const struct plan *plan, FILE *f);
/*
 * A ready command step with a cache policy: look its state up. Returns
 * true on a hit (the step need not run: its state is the cached one).
 * envp is the step's environment (for env_keys).
 */
bool isolate_cache_hit(struct isolation *iso, const struct step *s,
    char *const *envp);
/* The end of the run: delete what is not kept, evict; -1 with *msg. */
int isolate_release(struct isolation *iso, char **msg);

/* hm-exec --shell KEY: a shell in a kept state; the exit status. */
int isolate_shell(const char *store, const char *key);
/* hm-exec --apply KEY: write a kept state into the current directory. */
int isolate_apply(const char *store, const char *key);

/* Runs attempts in views; its runner_run carries the isolation. */
extern const struct runner_ops runner_isolated;
/* runner: host, and everything under --isolate=none: the plain runner. */
extern const struct runner_ops runner_host;
/* Follows the plan to keep the layers right (state: the isolation). */
extern const struct sink_ops sink_state_ops;

#endif
