/* hm: unit tests for the store: layers, folding, flattening, apply, cache. */
#define _GNU_SOURCE
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
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "store.h"

static char root[256];

static int
setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/hm-test-store-%d", (int)getpid());
	store_rmtree(root);
	return mkdir(root, 0755);
}

static int
teardown(void **state)
{
	(void)state;
	return store_rmtree(root);
}

static void
put(const char *dir, const char *name, const char *text)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

/* The text of dir/name, or "" if there is none. */
static const char *
get(const char *dir, const char *name)
{
	static char buf[256];
	char p[1024];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (!(f = fopen(p, "r")))
		return "";
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool
exists(const char *dir, const char *name)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return lstat(p, &st) == 0;
}

/* A deletion as overlay writes it; false where we may not make one. */
static bool
whiteout(const char *dir, const char *name)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return mknod(p, S_IFCHR | 0, makedev(0, 0)) == 0;
}

static void
subdir(const char *dir, const char *name, bool opaque)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(mkdir(p, 0755), 0);
	if (opaque)
		assert_int_equal(setxattr(p, "user.overlay.opaque", "y", 1, 0),
		    0);
}

static struct store *
open_store(const char *run, enum store_mode mode)
{
	struct store *s;
	char err[256];

	assert_int_equal(store_open(&s, root, run, mode, err, sizeof(err)), 0);
	return s;
}

static void
test_life(void **state)
{
	struct store *s = open_store("r1", STORE_OVERLAY);
	struct layer *a, *b, *c;
	const char *dirs[8];
	char *adir;

	(void)state;
	a = store_layer_new(s, NULL);
	b = store_layer_new(s, a);
	c = store_layer_new(s, b);
	assert_int_equal(c->depth, 3);
	assert_int_equal(store_chain(c, dirs, 8), 3);
	assert_ptr_equal(dirs[0], c->dir);
	assert_ptr_equal(dirs[2], a->dir);
	adir = strdup(a->dir);
	assert_true(exists(adir, "."));
	/* the owners let go; c holds b holds a */
	store_unref(s, a);
	store_unref(s, b);
	assert_true(exists(adir, "."));
	store_unref(s, c);
	assert_false(exists(adir, "."));
	free(adir);
	assert_int_equal(store_close(s), 0);
	assert_false(exists(root, "runs/r1"));
}

static void
test_fold(void **state)
{
	struct store *s = open_store("r2", STORE_OVERLAY);
	struct layer *a, *b, *c;
	bool wo;

	(void)state;
	a = store_layer_new(s, NULL);
	put(a->dir, "keep", "a");
	put(a->dir, "over", "a");
	put(a->dir, "gone", "a");
	subdir(a->dir, "d", false);
	put(a->dir, "d/x", "a");
	subdir(a->dir, "o", false);
	put(a->dir, "o/old", "a");
	b = store_layer_new(s, a);
	put(b->dir, "over", "b");
	wo = whiteout(b->dir, "gone");
	subdir(b->dir, "d", false);
	put(b->dir, "d/y", "b");
	subdir(b->dir, "o", true);
	put(b->dir, "o/new", "b");
	/* a fork holds a: no fold */
	c = store_layer_new(s, a);
	store_unref(s, a);
	assert_int_equal(store_fold(s, b), 0);
	store_unref(s, c);
	/* now only b holds a */
	assert_int_equal(store_fold(s, b), 1);
	assert_int_equal(b->depth, 1);
	assert_null(b->below);
	assert_string_equal(get(b->dir, "keep"), "a");
	assert_string_equal(get(b->dir, "over"), "b");
	assert_string_equal(get(b->dir, "d/x"), "a");
	assert_string_equal(get(b->dir, "d/y"), "b");
	assert_false(exists(b->dir, "o/old"));
	assert_string_equal(get(b->dir, "o/new"), "b");
	if (wo) {
		struct stat st;
		char p[1024];

		/* the deletion stays a whiteout: the workspace is below */
		snprintf(p, sizeof(p), "%s/gone", b->dir);
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
	} else
		print_message("no whiteouts here (mknod needs root)\n");
	store_unref(s, b);
	assert_int_equal(store_close(s), 0);
}

static void
test_flatten_apply(void **state)
{
	struct store *s = open_store("r3", STORE_OVERLAY);
	struct layer *a, *b, *c;
	const char *dirs[8];
	char ws[512], err[256];
	size_t n;
	bool wo;

	(void)state;
	a = store_layer_new(s, NULL);
	put(a->dir, "f", "a");
	put(a->dir, "g", "a");
	subdir(a->dir, "d", false);
	put(a->dir, "d/x", "a");
	b = store_layer_new(s, a);
	put(b->dir, "f", "b");
	wo = whiteout(b->dir, "g");
	subdir(b->dir, "d", true);
	put(b->dir, "d/y", "b");
	c = store_layer_new(s, b);
	assert_int_equal(c->depth, 3);
	assert_int_equal(store_flatten(s, c), 1);
	assert_int_equal(c->depth, 2);
	assert_int_equal(c->below->depth, 1);
	assert_string_equal(get(c->below->dir, "f"), "b");
	assert_false(exists(c->below->dir, "d/x"));
	assert_string_equal(get(c->below->dir, "d/y"), "b");
	assert_int_equal(store_chain(c, dirs, 8), 2);
	/* apply a, b onto a workspace with its own files */
	snprintf(ws, sizeof(ws), "%s/ws", root);
	mkdir(ws, 0755);
	put(ws, "g", "w");
	put(ws, "w", "w");
	subdir(ws, "d", false);
	put(ws, "d/z", "w");
	put(c->dir, "new", "c");
	n = store_chain(c, dirs, 8);
	assert_int_equal(store_apply(dirs, n, STORE_OVERLAY, NULL, ws, err,
	    sizeof(err)), 0);
	assert_string_equal(get(ws, "f"), "b");
	assert_string_equal(get(ws, "w"), "w");
	assert_string_equal(get(ws, "new"), "c");
	assert_false(exists(ws, "d/z"));	/* b's d is opaque */
	assert_string_equal(get(ws, "d/y"), "b");
	if (wo)
		assert_false(exists(ws, "g"));
	store_unref(s, a);
	store_unref(s, b);
	store_unref(s, c);
	assert_int_equal(store_close(s), 0);
}

static void
test_keep(void **state)
{
	struct store *s = open_store("20260101T000000Z-1", STORE_OVERLAY);
	struct layer *a, *b;
	struct store_kept k;
	char err[256];

	(void)state;
	a = store_layer_new(s, NULL);
	b = store_layer_new(s, a);
	store_unref(s, a);
	assert_int_equal(store_keep(s, b, "t/step", NULL, NULL), 0);
	/* a state in an image names it, and the workspace below */
	assert_int_equal(store_keep(s, a, "t/img", "/img/rootfs", "/run/ws"),
	    0);
	store_unref(s, b);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(store_find_kept(root, "t/step", &k, 8, err,
	    sizeof(err)), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(k.mode, STORE_OVERLAY);
	assert_null(k.image);
	assert_true(exists(k.dirs[0], "."));
	assert_true(exists(k.dirs[1], "."));
	store_kept_release(&k);
	assert_int_equal(store_find_kept(root, "20260101T000000Z-1/t/step",
	    &k, 8, err, sizeof(err)), 0);
	store_kept_release(&k);
	assert_int_equal(store_find_kept(root, "t/img", &k, 8, err,
	    sizeof(err)), 0);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.image, "/img/rootfs");
	assert_string_equal(k.base, "/run/ws");
	store_kept_release(&k);
	assert_int_equal(store_find_kept(root, "nope", &k, 8, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "'nope'"));
}

/* A state in an image: only its workspace part is applied. */
static void
test_apply_sub(void **state)
{
	struct store *s = open_store("r9", STORE_OVERLAY);
	struct layer *a, *b;
	const char *dirs[4];
	char ws[512], err[256];
	size_t n;

	(void)state;
	a = store_layer_new(s, NULL);
	b = store_layer_new(s, a);
	subdir(a->dir, "etc", false);
	put(a->dir, "etc/pkg", "p");
	subdir(a->dir, "workspace", false);
	put(a->dir, "workspace/f", "a");
	put(a->dir, "workspace/gone", "a");
	subdir(b->dir, "workspace", false);
	put(b->dir, "workspace/g", "b");
	assert_int_equal(mknod(strcat(strcpy(ws, b->dir), "/workspace/gone"),
	    S_IFCHR | 0600, makedev(0, 0)) == 0 || errno == EPERM, 1);
	snprintf(ws, sizeof(ws), "%s/ws-sub", root);
	mkdir(ws, 0755);
	put(ws, "old", "w");
	n = store_chain(b, dirs, 4);
	assert_int_equal(store_apply(dirs, n, STORE_OVERLAY, "workspace", ws,
	    err, sizeof(err)), 0);
	assert_string_equal(get(ws, "f"), "a");
	assert_string_equal(get(ws, "g"), "b");
	assert_string_equal(get(ws, "old"), "w");
	assert_false(exists(ws, "etc"));
	assert_false(exists(ws, "pkg"));
	/* the workspace made again (opaque): what was there goes */
	assert_int_equal(setxattr(strcat(strcpy(err, b->dir), "/workspace"),
	    "user.overlay.opaque", "y", 1, 0), 0);
	assert_int_equal(store_apply(dirs, n, STORE_OVERLAY, "workspace", ws,
	    err, sizeof(err)), 0);
	assert_false(exists(ws, "old"));
	assert_string_equal(get(ws, "g"), "b");
	store_unref(s, b);
	store_unref(s, a);
	assert_int_equal(store_close(s), 0);
}

static void
test_cache(void **state)
{
	struct store *s = open_store("r5", STORE_OVERLAY);
	const char *key = "0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef";
	struct layer *a, *b;
	char err[256];

	(void)state;
	assert_null(store_cache_get(s, key, NULL));
	a = store_layer_new(s, NULL);
	put(a->dir, "f", "cached");
	assert_int_equal(store_cache_put(s, a, key), 0);
	assert_true(a->cached);
	/* a cached layer is never folded into */
	b = store_layer_new(s, a);
	store_unref(s, a);
	assert_int_equal(store_fold(s, b), 0);
	store_unref(s, b);
	assert_int_equal(store_close(s), 0);

	s = open_store("r6", STORE_OVERLAY);
	assert_non_null(a = store_cache_get(s, key, NULL));
	assert_string_equal(get(a->dir, "f"), "cached");
	store_unref(s, a);
	assert_int_equal(store_close(s), 0);
	/* young enough, small enough: kept */
	assert_int_equal(store_evict(root, 3600, 0, time(NULL), err,
	    sizeof(err)), 0);
	s = open_store("r7", STORE_OVERLAY);
	assert_non_null(a = store_cache_get(s, key, NULL));
	store_unref(s, a);
	assert_int_equal(store_close(s), 0);
	/* over the size limit: gone */
	assert_int_equal(store_evict(root, 0, 1, time(NULL), err,
	    sizeof(err)), 0);
	s = open_store("r8", STORE_OVERLAY);
	assert_null(store_cache_get(s, key, NULL));
	assert_int_equal(store_close(s), 0);
}

/*
 * A cache entry an open run stored or looked up is not evicted (USES in
 * store.c), whatever the limits; nor is an open run's directory, however
 * old; once the runs are closed, both go.
 */
static void
test_evict_used(void **state)
{
	const char *key = "fedcba9876543210fedcba9876543210"
	    "fedcba9876543210fedcba9876543210";
	struct store *s1 = open_store("u1", STORE_OVERLAY), *s2;
	struct layer *a, *b;
	char entry[512], run[512], err[256];
	struct timespec old[2] = { { 1, 0 }, { 1, 0 } };

	(void)state;
	snprintf(entry, sizeof(entry), "%s/cache/overlay/%s", root, key);
	a = store_layer_new(s1, NULL);
	put(a->dir, "f", "mine");
	assert_int_equal(store_cache_put(s1, a, key), 0);
	/* u1 stored it and is open */
	assert_int_equal(store_evict(root, 1, 1, time(NULL) + 3600, err,
	    sizeof(err)), 0);
	assert_int_equal(access(entry, F_OK), 0);
	/* u2 looked it up; u1 closes */
	s2 = open_store("u2", STORE_OVERLAY);
	assert_non_null(b = store_cache_get(s2, key, NULL));
	store_unref(s1, a);
	assert_int_equal(store_close(s1), 0);
	snprintf(run, sizeof(run), "%s/runs/u2", root);
	assert_int_equal(utimensat(AT_FDCWD, run, old, 0), 0);
	assert_int_equal(store_evict(root, 1, 1, time(NULL) + 3600, err,
	    sizeof(err)), 0);
	assert_int_equal(access(entry, F_OK), 0);
	assert_string_equal(get(b->dir, "f"), "mine");
	assert_int_equal(access(run, F_OK), 0);
	store_unref(s2, b);
	assert_int_equal(store_close(s2), 0);
	assert_int_equal(store_evict(root, 1, 1, time(NULL) + 3600, err,
	    sizeof(err)), 0);
	assert_int_equal(access(entry, F_OK), -1);
}

/* An unpacked image is evicted like a cache entry, unless a run holds it. */
static void
test_evict_held(void **state)
{
	char img[512], rootfs[600], err[512];
	int fd;

	(void)state;
	snprintf(img, sizeof(img), "%s/images/abc", root);
	snprintf(rootfs, sizeof(rootfs), "%s/images", root);
	mkdir(rootfs, 0755);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", img);
	assert_int_equal(mkdir(img, 0755), 0);
	assert_int_equal(mkdir(rootfs, 0755), 0);
	put(rootfs, "f", "x");
	assert_int_equal(store_note_size(img), 0);
	assert_true((fd = store_hold(img)) >= 0);
	assert_int_equal(store_evict(root, 0, 1, time(NULL), err,
	    sizeof(err)), 0);
	assert_string_equal(get(rootfs, "f"), "x");
	close(fd);
	assert_int_equal(store_evict(root, 0, 1, time(NULL), err,
	    sizeof(err)), 0);
	assert_int_equal(access(img, F_OK), -1);
	/* gone: a hold says so, and the caller makes it again */
	assert_int_equal(store_hold(img), -1);
}

static void
test_default_root(void **state)
{
	char *p;

	(void)state;
	p = store_default_root("/x", "/home/u");
	assert_string_equal(p, "/x/hm");
	free(p);
	p = store_default_root("", "/home/u");
	assert_string_equal(p, "/home/u/.cache/hm");
	free(p);
	assert_null(store_default_root(NULL, NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_life),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_flatten_apply),
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_apply_sub),
		cmocka_unit_test(test_evict_held),
		cmocka_unit_test(test_evict_used),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_default_root),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
