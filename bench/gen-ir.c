/* hm: bench input generator: a large, valid, deterministic IR document. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * usage: gen-ir [--v0] [STEPS [SEED]]
 *
 * Writes one IR document of exactly STEPS step objects (commands, waits,
 * groups and group members all count) to stdout, on one line with the
 * separators of Python's json.dumps (", " and ": "), as harmont does.
 * The same arguments always give the same bytes.
 *
 * v1 (default): chains (each step builds_in the previous one), fan-out
 * (many steps builds_in one), groups (members with their own chains,
 * waits and a nested group; continue_in, continue join or each, and steps
 * that builds_in the group), top-level waits, depends_on, env objects,
 * labels with escapes and non-ASCII, timeouts, caches, and now and then
 * soft_fail, retry, image, runner, runner_args and secret_env. Fields
 * come in the spec's canonical order.
 *
 * --v0: harmont's legacy form: cmd at top level, no groups, no depends_on.
 *
 * Validity by construction: every key is unique (it carries a serial
 * number), references only point back to steps already written (so no
 * cycle can form), a member refers only to earlier members of its own
 * group, every group that something builds_in declares a continuation,
 * a group never ends with a wait, and nothing builds_in a step that a
 * continue:"each" group replicates. As harmont requires, a cached step
 * builds_in a root or a step with a cache key.
 */

#define STEPS_DEFAULT	100000UL
#define SEED_DEFAULT	1UL
#define RECENT		512	/* references mostly point this far back */
#define KEY_LEN		64

struct ref {
	char key[KEY_LEN];
	unsigned char buildable;	/* may be a builds_in target */
	unsigned char cached;		/* has a cache key */
};

struct pool {
	struct ref *v;
	size_t n, cap;
};

struct gen {
	FILE *out;
	uint64_t rng;
	int v0;
	unsigned long left;	/* step objects still to write */
	unsigned long serial;	/* numbers keys */
	struct pool top;	/* top-level commands and groups */
};

/* A command to write: its key and its edges; the rest is drawn. */
struct cmd {
	const char *key;
	const char *builds_in;	/* NULL: null */
	int cache_ok;		/* builds_in a root or a cached step */
	const char *deps[3];
	size_t ndeps;
};

static const char *labels[] = {
	"build %lu",
	"test \"%lu\" (quoted)",
	":rust: clippy %lu",
	"héllo wörld — ünïcode %lu ✓",
	"deploy 🚀 %lu",
	"tab\there %lu",
	"two\nlines %lu",
	"back\\slash %lu",
	"ctrl \001\037 %lu",
	"日本語のラベル %lu",
	"𝄞 music %lu",
	"lint: src/**/*.c %lu",
};

static const char *cmds[] = {
	"make -C src/module%lu -j4 all && make -C src/module%lu test "
	    "TESTS='unit integration' V=1",
	"cargo build --release --locked --target x86_64-unknown-linux-gnu "
	    "--features bench-%lu",
	"set -e\nfor f in src/*.c; do\n\tcc -O2 -c \"$f\" -o \"obj/$(basename "
	    "\"$f\" .c).o\"\ndone\necho step %lu\n",
	"echo \"double \\\"quoted\\\"\" 'single' && printf 'a\\tb\\n' | "
	    "sed -e 's/\\\\t/ /' # %lu",
	"npm ci --no-audit --no-fund && npm run test -- --shard=%lu/64 "
	    "--reporter=dot --ci",
	"echo '{\"k\": [1, 2], \"n\": %lu}' | jq .k > out.json && "
	    "test -s out.json",
	"python3 -m pytest -q tests/ -k 'not slow' --junitxml=report-%lu.xml "
	    "--maxfail=5 -p no:cacheprovider",
	"echo 'héllo wörld — ünïcode 🚀 𝄞' > greeting-%lu.txt && "
	    "wc -c greeting-%lu.txt",
	"go test ./... -run 'Test.*' -count=1 -timeout 10m -coverprofile="
	    "cover-%lu.out",
	"docker build -t registry.example.com/app:%lu --build-arg "
	    "VERSION=1.2.3 --cache-from type=local,src=/cache .",
	"set -eu\ncd services/api-%lu\n./configure --prefix=/opt/app "
	    "--enable-static --disable-shared\nmake -j\"$(nproc)\" && "
	    "make check VERBOSE=1\nfind . -name '*.log' -newer Makefile "
	    "-exec tail -n 20 {} \\;\ntar -czf artifacts.tar.gz build/ "
	    "logs/ && sha256sum artifacts.tar.gz > artifacts.sha256\n",
	"kubectl --context staging-%lu apply -f deploy/k8s/ && kubectl "
	    "--context staging rollout status deployment/api --timeout=300s "
	    "&& curl -fsS https://staging.example.com/healthz | "
	    "jq -e '.status == \"ok\" and .checks.db == \"up\"'",
};

static const char *env_names[] = {
	"CC", "CFLAGS", "SHARD", "JSON", "PATHS", "EMPTY", "NL", "GREETING",
};

static const char *env_values[] = {
	"gcc", "-O2 -g -Wall", "7/64", "{\"a\":1,\"b\":[true,null]}",
	"/usr/local/bin:/usr/bin:/bin", "", "x\ny", "grüß dich ✓",
};

static const char *timeouts[] = {
	"1", "60", "600", "3600", "86400", "2147483647",
};

static const char *images[] = {
	"debian:bookworm", "rust:1.79-slim",
	("ghcr.io/example/builder@sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
};

static void
die(const char *msg)
{
	fprintf(stderr, "gen-ir: %s\n", msg);
	exit(74);
}

/* splitmix64: small, fast, and the same everywhere. */
static uint64_t
rng_next(struct gen *g)
{
	uint64_t z;

	z = (g->rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number in [0, n). */
static unsigned long
rnd(struct gen *g, unsigned long n)
{
	return (unsigned long)(rng_next(g) % n);
}

/* True with probability pct percent. */
static int
chance(struct gen *g, unsigned pct)
{
	return rnd(g, 100) < pct;
}

static void
out(struct gen *g, const char *s)
{
	fputs(s, g->out);
}

static void
outf(struct gen *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(g->out, fmt, ap);
	va_end(ap);
}

/* A JSON string, escaped like json.dumps(ensure_ascii=False). */
static void
str_write(struct gen *g, const char *s)
{
	const unsigned char *p;

	putc('"', g->out);
	for (p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':	out(g, "\\\""); break;
		case '\\':	out(g, "\\\\"); break;
		case '\b':	out(g, "\\b"); break;
		case '\f':	out(g, "\\f"); break;
		case '\n':	out(g, "\\n"); break;
		case '\r':	out(g, "\\r"); break;
		case '\t':	out(g, "\\t"); break;
		default:
			if (*p < 0x20)
				outf(g, "\\u%04x", *p);
			else
				putc(*p, g->out);
		}
	}
	putc('"', g->out);
}

/* A string from a template with every %lu replaced by n. */
static void
strf_write(struct gen *g, const char *tmpl, unsigned long n)
{
	char buf[512], num[32];
	const char *p;
	size_t len, nlen;

	nlen = (size_t)snprintf(num, sizeof(num), "%lu", n);
	len = 0;
	for (p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == 'l' && p[2] == 'u') {
			if (len + nlen < sizeof(buf))
				memcpy(buf + len, num, nlen);
			len += nlen;
			p += 2;
		} else {
			if (len + 1 < sizeof(buf))
				buf[len] = *p;
			len++;
		}
	}
	if (len >= sizeof(buf))
		die("template too long");
	buf[len] = '\0';
	str_write(g, buf);
}

static void
pool_add(struct pool *p, const char *key, int buildable, int cached)
{
	struct ref *r;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		p->v = realloc(p->v, p->cap * sizeof(*p->v));
		if (!p->v)
			die("out of memory");
	}
	r = &p->v[p->n++];
	snprintf(r->key, sizeof(r->key), "%s", key);
	r->buildable = (unsigned char)buildable;
	r->cached = (unsigned char)cached;
}

/* A reference back into the pool: mostly recent, sometimes anywhere. */
static struct ref *
pool_pick(struct gen *g, struct pool *p, int buildable)
{
	struct ref *r;
	size_t i, lo;
	int tries;

	if (p->n == 0)
		return NULL;
	for (tries = 0; tries < 8; tries++) {
		lo = p->n > RECENT && chance(g, 90) ? p->n - RECENT : 0;
		i = lo + rnd(g, p->n - lo);
		r = &p->v[i];
		if (r->buildable || !buildable)
			return r;
	}
	return NULL;
}

/* A fresh top-level key; the serial number makes it unique. */
static void
key_make(struct gen *g, char *buf, size_t len)
{
	static const char *forms[] = {
		"c%lu", "build.%lu", "test:%lu", "x86_64+%lu", "lint-%lu",
		"pkg_%lu",
	};
	unsigned long n;

	n = g->serial++;
	snprintf(buf, len, forms[n % 6], n);
}

static void
sep(int *first, struct gen *g)
{
	if (!*first)
		out(g, ", ");
	*first = 0;
}

static void
env_write(struct gen *g, unsigned long n)
{
	size_t i, start, count;
	int first;

	start = rnd(g, 8);
	count = 1 + rnd(g, n);
	first = 1;
	putc('{', g->out);
	for (i = 0; i < count; i++) {
		sep(&first, g);
		str_write(g, env_names[(start + i) % 8]);
		out(g, ": ");
		str_write(g, env_values[(start + i) % 8]);
	}
	putc('}', g->out);
}

static void
hex_write(struct gen *g)
{
	uint64_t w;
	int i;

	putc('"', g->out);
	for (i = 0; i < 4; i++) {
		w = rng_next(g);
		outf(g, "%08lx%08lx", (unsigned long)(w >> 32),
		    (unsigned long)(w & 0xffffffffUL));
	}
	putc('"', g->out);
}

/*
 * One cache policy; only the top-level object of a step has a key.
 * Returns whether it wrote one (policy "none" has none).
 */
static int
cache_write(struct gen *g, int depth, int top)
{
	unsigned long pol, i, n;

	pol = depth < 2 ? rnd(g, 5) : rnd(g, 4);
	switch (pol) {
	case 0:
		out(g, "{\"policy\": \"none\"}");
		return 0;
	case 1:
		out(g, "{\"policy\": \"forever\", \"env_keys\": []");
		break;
	case 2:
		out(g, "{\"policy\": \"ttl\", \"duration_seconds\": 86400, "
		    "\"env_keys\": [\"CC\", \"CFLAGS\"]");
		break;
	case 3:
		out(g, "{\"policy\": \"on_change\", \"paths\": "
		    "[\"Cargo.lock\", \"src/\"]");
		break;
	default:
		out(g, "{\"policy\": \"compose\", \"sub_policies\": [");
		n = rnd(g, 3);
		for (i = 0; i < n; i++) {
			if (i)
				out(g, ", ");
			cache_write(g, depth + 1, 0);
		}
		putc(']', g->out);
	}
	if (top) {
		out(g, ", \"key\": ");
		hex_write(g);
	}
	putc('}', g->out);
	return top;
}

/* One command step, in v1 or v0 field order. Returns whether it got a
 * cache key. */
static int
cmd_write(struct gen *g, const struct cmd *c)
{
	unsigned long n, t;
	size_t i;
	int cached, has_label, has_cache;

	n = g->serial++;
	t = rnd(g, sizeof(cmds) / sizeof(cmds[0]));
	has_label = chance(g, 85);
	has_cache = c->cache_ok && chance(g, 15);
	cached = 0;
	g->left--;

	out(g, "{\"type\": \"command\", \"key\": ");
	str_write(g, c->key);
	if (g->v0) {
		out(g, ", \"cmd\": ");
		strf_write(g, cmds[t], n);
	} else {
		if (has_label) {
			out(g, ", \"label\": ");
			strf_write(g, labels[n % 12], n);
		}
		out(g, ", \"eval\": {\"type\": \"cmd\", \"cmd\": ");
		strf_write(g, cmds[t], n);
		putc('}', g->out);
	}
	out(g, ", \"builds_in\": ");
	if (c->builds_in)
		str_write(g, c->builds_in);
	else
		out(g, "null");
	if (g->v0 && has_label) {
		out(g, ", \"label\": ");
		strf_write(g, labels[n % 12], n);
	}
	if (c->ndeps) {
		out(g, ", \"depends_on\": [");
		for (i = 0; i < c->ndeps; i++) {
			if (i)
				out(g, ", ");
			str_write(g, c->deps[i]);
		}
		putc(']', g->out);
	}
	if (g->v0 && has_cache) {
		out(g, ", \"cache\": ");
		cached = cache_write(g, 0, 1);
	}
	if (chance(g, 50)) {
		out(g, ", \"env\": ");
		env_write(g, 4);
	}
	if (chance(g, 20)) {
		out(g, ", \"timeout_seconds\": ");
		out(g, timeouts[rnd(g, 6)]);
	}
	if (!g->v0) {
		if (chance(g, 3))
			out(g, chance(g, 50) ? ", \"soft_fail\": true" :
			    ", \"soft_fail\": false");
		if (chance(g, 3))
			outf(g, ", \"retry\": %lu", rnd(g, 4));
		if (has_cache) {
			out(g, ", \"cache\": ");
			cached = cache_write(g, 0, 1);
		}
	}
	if (chance(g, 5)) {
		out(g, ", \"image\": ");
		str_write(g, images[rnd(g, 3)]);
	}
	if (chance(g, 2))
		out(g, ", \"runner\": \"linux-arm64\"");
	if (chance(g, 2))
		out(g, ", \"runner_args\": {\"cpus\": 4, \"memory\": \"8G\", "
		    "\"labels\": [\"spot\", \"ssd\"], \"ratio\": 0.5, "
		    "\"preemptible\": true, \"zone\": null}");
	if (!g->v0 && chance(g, 2))
		out(g, ", \"secret_env\": [\"NPM_TOKEN\", \"AWS_SECRET\"]");
	putc('}', g->out);
	return cached;
}

static void
wait_write(struct gen *g)
{
	g->left--;
	if (chance(g, 30))
		out(g, "{\"type\": \"wait\", \"continue_on_failure\": true}");
	else
		out(g, "{\"type\": \"wait\"}");
}

/* Adds d to c's depends_on unless it is already an edge of c. */
static void
dep_add(struct cmd *c, const char *d)
{
	size_t i;

	if (c->builds_in && strcmp(c->builds_in, d) == 0)
		return;
	for (i = 0; i < c->ndeps; i++)
		if (strcmp(c->deps[i], d) == 0)
			return;
	c->deps[c->ndeps++] = d;
}

/* A top-level command building in parent (NULL: a root). */
static void
top_cmd(struct gen *g, int *first, const struct ref *parent, int ndeps)
{
	struct cmd c;
	struct ref *d;
	char key[KEY_LEN];
	int cached, i;

	key_make(g, key, sizeof(key));
	memset(&c, 0, sizeof(c));
	c.key = key;
	c.builds_in = parent ? parent->key : NULL;
	c.cache_ok = !parent || parent->cached;
	for (i = 0; i < ndeps && !g->v0; i++)
		if ((d = pool_pick(g, &g->top, 0)) != NULL)
			dep_add(&c, d->key);
	sep(first, g);
	cached = cmd_write(g, &c);
	pool_add(&g->top, key, 1, cached);
}

static struct ref *
parent_pick(struct gen *g)
{
	if (chance(g, 30))
		return NULL;
	return pool_pick(g, &g->top, 1);
}

/* A chain: each step builds_in the one before. */
static void
block_chain(struct gen *g, int *first)
{
	unsigned long len, i;

	len = 2 + rnd(g, 15);
	top_cmd(g, first, parent_pick(g), 0);
	for (i = 1; i < len && g->left > 0; i++)
		top_cmd(g, first, &g->top.v[g->top.n - 1], 0);
}

/* Fan-out: one base, many steps building in it. */
static void
block_fanout(struct gen *g, int *first)
{
	unsigned long len, i;
	size_t base;

	len = 5 + rnd(g, 40);
	top_cmd(g, first, parent_pick(g), 0);
	base = g->top.n - 1;
	for (i = 0; i < len && g->left > 0; i++)
		top_cmd(g, first, &g->top.v[base], 0);
}

enum cont {
	CONT_NONE,
	CONT_JOIN,
	CONT_EACH,
	CONT_IN
};

static enum cont group_write(struct gen *, const char *, unsigned long, int,
    const struct ref *, int, int);

/*
 * The nmem members of group gkey ("gkey/mI"): commands, roots or building
 * in an earlier member, now and then a wait (never first or last), and a
 * nested group "gkey/nI" of nest members at position nest_at (none if
 * nest is 0), which counts 1 + nest against nmem. The last member is
 * always the command "gkey/m(nmem - nest - 1)" (continue_in names it).
 * cache_ok: a root member continues in a root or a cached step.
 */
static void
members_write(struct gen *g, const char *gkey, unsigned long nmem,
    unsigned long nest_at, unsigned long nest, int depth, int cache_ok)
{
	struct pool mem;
	struct ref *r;
	struct cmd c;
	char key[KEY_LEN];
	unsigned long i, ndirect;
	int first, prev_wait, cached;

	memset(&mem, 0, sizeof(mem));
	ndirect = nmem - nest;
	first = 1;
	prev_wait = 1;
	for (i = 0; i < ndirect; i++) {
		sep(&first, g);
		r = chance(g, 50) ? pool_pick(g, &mem, 1) : NULL;
		if (nest && i == nest_at) {
			snprintf(key, sizeof(key), "%s/n%lu", gkey, i);
			group_write(g, key, nest, depth + 1, r, 1,
			    r ? r->cached : cache_ok);
			pool_add(&mem, key, 1, 0);
			prev_wait = 0;
			continue;
		}
		if (i + 1 < ndirect && !prev_wait && chance(g, 12)) {
			wait_write(g);
			prev_wait = 1;
			continue;
		}
		prev_wait = 0;
		snprintf(key, sizeof(key), "%s/m%lu", gkey, i);
		memset(&c, 0, sizeof(c));
		c.key = key;
		c.builds_in = r ? r->key : NULL;
		c.cache_ok = r ? r->cached : cache_ok;
		cached = cmd_write(g, &c);
		pool_add(&mem, key, 1, cached);
	}
	free(mem.v);
}

/*
 * A group of nmem members. need_cont: something will build in it, so it
 * declares a continuation (drawn; never "each" below the top level, so
 * that replicas never nest). Returns the continuation written.
 */
static enum cont
group_write(struct gen *g, const char *gkey, unsigned long nmem, int depth,
    const struct ref *parent, int need_cont, int cache_ok)
{
	static const enum cont draw[] = { CONT_JOIN, CONT_IN, CONT_EACH };
	struct ref *d;
	unsigned long nest, nest_at;
	enum cont kind;

	nest = 0;
	nest_at = 0;
	if (depth == 0 && nmem >= 6 && chance(g, 25)) {
		nest = 2 + rnd(g, 3);
		nest_at = rnd(g, nmem - nest - 1);
	}
	g->left--;
	out(g, "{\"type\": \"group\", \"key\": ");
	str_write(g, gkey);
	if (chance(g, 80)) {
		out(g, ", \"label\": ");
		strf_write(g, labels[rnd(g, 12)], g->serial++);
	}
	if (parent) {
		out(g, ", \"builds_in\": ");
		str_write(g, parent->key);
	} else if (chance(g, 50)) {
		out(g, ", \"builds_in\": null");
	}
	if (depth == 0 && chance(g, 20)) {
		d = pool_pick(g, &g->top, 0);
		if (d && (!parent || strcmp(d->key, parent->key) != 0)) {
			out(g, ", \"depends_on\": [");
			str_write(g, d->key);
			putc(']', g->out);
		}
	}
	kind = CONT_NONE;
	if (need_cont || chance(g, 30))
		kind = draw[rnd(g, depth ? 2 : 3)];
	switch (kind) {
	case CONT_JOIN:
		out(g, ", \"continue\": \"join\"");
		break;
	case CONT_EACH:
		out(g, ", \"continue\": \"each\"");
		break;
	case CONT_IN:
		outf(g, ", \"continue_in\": \"%s/m%lu\"", gkey,
		    nmem - nest - 1);
		break;
	case CONT_NONE:
		break;
	}
	out(g, ", \"steps\": [");
	members_write(g, gkey, nmem, nest_at, nest, depth,
	    parent ? parent->cached : cache_ok);
	out(g, "]}");
	return kind;
}

/* A group, then steps that builds_in it. */
static void
block_group(struct gen *g, int *first)
{
	struct ref *parent;
	char gkey[KEY_LEN];
	unsigned long n, ndep, i;
	enum cont kind;
	size_t gi;

	n = 3 + rnd(g, 18);	/* the group and its members */
	ndep = chance(g, 60) ? 1 + rnd(g, 3) : 0;
	if (n + ndep > g->left) {
		ndep = 0;
		n = g->left;
	}
	if (n < 3) {
		top_cmd(g, first, NULL, 0);
		return;
	}
	snprintf(gkey, sizeof(gkey), "g%lu", g->serial++);
	parent = chance(g, 50) ? parent_pick(g) : NULL;
	sep(first, g);
	kind = group_write(g, gkey, n - 1, 0, parent, ndep > 0, 1);
	/* continue:"each" replicates its dependents: build nothing on them */
	pool_add(&g->top, gkey, kind == CONT_JOIN || kind == CONT_IN, 0);
	gi = g->top.n - 1;
	for (i = 0; i < ndep; i++) {
		top_cmd(g, first, &g->top.v[gi], 0);
		if (kind == CONT_EACH)
			g->top.v[g->top.n - 1].buildable = 0;
	}
}

static void
doc_write(struct gen *g)
{
	struct ref *parent;
	unsigned long r;
	int first, prev_wait, ndeps;

	if (g->v0) {
		out(g, "{\"version\": \"0\"");
	} else {
		out(g, "{\"version\": \"1\", \"source\": {\"definition\": "
		    "\"bench/pipeline.py\", \"pipeline\": \"bench\"}");
	}
	out(g, ", \"env\": ");
	env_write(g, 3);
	out(g, ", \"default_image\": \"debian:bookworm-slim\", \"steps\": [");
	first = 1;
	prev_wait = 1;
	while (g->left > 0) {
		r = rnd(g, 1000);
		if (r < 4 && !prev_wait) {
			sep(&first, g);
			wait_write(g);
			prev_wait = 1;
			continue;
		}
		prev_wait = 0;
		if (r < 350)
			block_chain(g, &first);
		else if (r < 550)
			block_fanout(g, &first);
		else if (r < 850 && !g->v0)
			block_group(g, &first);
		else {
			/* two draws: keep their order fixed */
			parent = parent_pick(g);
			ndeps = chance(g, 50) ? 1 + (int)rnd(g, 3) : 0;
			top_cmd(g, &first, parent, ndeps);
		}
	}
	out(g, "]}\n");
}

static unsigned long
num_parse(const char *s, const char *what)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "gen-ir: bad %s: %s\n", what, s);
		exit(64);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static char buf[1 << 16];
	struct gen g;
	int i;

	memset(&g, 0, sizeof(g));
	g.out = stdout;
	g.left = STEPS_DEFAULT;
	g.rng = SEED_DEFAULT;
	i = 1;
	if (i < argc && strcmp(argv[i], "--v0") == 0) {
		g.v0 = 1;
		i++;
	}
	if (argc - i > 2 || (i < argc && argv[i][0] == '-')) {
		fprintf(stderr, "usage: gen-ir [--v0] [STEPS [SEED]]\n");
		return 64;
	}
	if (i < argc)
		g.left = num_parse(argv[i++], "step count");
	if (i < argc)
		g.rng = num_parse(argv[i++], "seed");
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	doc_write(&g);
	free(g.top.v);
	if (fflush(stdout) == EOF || ferror(stdout))
		die(strerror(errno));
	return 0;
}
