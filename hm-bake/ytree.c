/* hm: a YAML document as a small tree with positions, read with libyaml. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "arena.h"
#include "diag.h"
#include "esc.h"
#include "hash.h"
#include "ytree.h"

/*
 * A node is built in the pending vector (or, while it is an open
 * container, in its frame) and copied into its parent's array of children
 * when the parent is complete: nodes sit side by side, with no pointer to
 * each, and children are read in order from one place.
 */
struct frame {
	struct ynode node;	/* its children are pending from start */
	size_t start;
	char *anchor;		/* malloc'd, registered when complete */
	uint64_t x, r;		/* expanded and real nodes so far */
};

/* An anchored node; an alias adds a copy of it (sharing its children). */
struct anchor {
	char *name;
	struct ynode node;
	uint64_t x;		/* its nodes when aliases are expanded */
};

/*
 * Where arrays of children and strings are cut from: chunks of the arena,
 * which would round each small allocation up to 16 bytes. Chunks double
 * from CHUNK_MIN to CHUNK_MAX, so that the tree of a short text (a matrix
 * axis's list) wastes little.
 */
#define CHUNK_MIN	1024
#define CHUNK_MAX	16384

struct chunk {
	char *p;
	size_t left, size;
};

/* An interned mapping key: keys repeat, each text is kept once. */
struct key {
	const char *s;
	uint32_t len, hash;
};

struct loader {
	struct arena *a;
	const char *file;
	const char *text;
	size_t len;
	struct diag_list *diags;
	struct frame *fr;
	size_t nfr, capfr;
	struct ynode *pend;	/* finished nodes of the open containers */
	size_t npend, cappend;
	struct anchor *anch;	/* open addressing, cap a power of two */
	size_t nanch, capanch;
	struct chunk kids;	/* arrays of children */
	struct chunk strs;
	struct key *keys;	/* open addressing, cap a power of two */
	size_t nkeys, capkeys;
	int failed;
	int badkeys;		/* a duplicate key, or one with a NUL */
};

struct srcpos
ynode_pos(const char *file, const struct ynode *n)
{
	struct srcpos p = { file, 0, 0 };

	if (n) {
		p.line = n->line;
		p.col = n->col;
	}
	return p;
}

static struct srcpos
mark_pos(const struct loader *L, yaml_mark_t m)
{
	struct srcpos p = { L->file, (unsigned)m.line + 1,
	    (unsigned)m.column + 1 };

	return p;
}

/* Line and column (characters) of byte offset off, for reader errors. */
static struct srcpos
offset_pos(const struct loader *L, size_t off)
{
	struct srcpos p = { L->file, 1, 1 };
	size_t i;

	if (off > L->len)
		off = L->len;
	for (i = 0; i < off; i++) {
		unsigned char c = (unsigned char)L->text[i];

		if (c == '\n') {
			p.line++;
			p.col = 1;
		} else if ((c & 0xc0) != 0x80) {
			p.col++;
		}
	}
	return p;
}

int
ynode_is_null(const struct ynode *n)
{
	const char *s;

	if (!n || n->type != Y_SCALAR || n->quoted)
		return 0;
	/* a plain scalar holds no NUL byte: n is its length */
	s = n->u.s;
	switch (n->n) {
	case 0:
		return 1;
	case 1:
		return s[0] == '~';
	case 4:
		return strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
		    strcmp(s, "NULL") == 0;
	default:
		return 0;
	}
}

const char *
ynode_kind(const struct ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case Y_SEQ:
		return "a list";
	case Y_MAP:
		return "a mapping";
	default:
		break;
	}
	if (ynode_is_null(n))
		return "null";
	return "a scalar";
}

struct ynode *
ynode_get(const struct ynode *m, const char *name)
{
	uint32_t i;

	if (!m || m->type != Y_MAP)
		return NULL;
	for (i = 0; i < m->n; i++) {
		const struct ynode *k = &m->u.v[2 * i];

		if (k->type == Y_SCALAR && strcmp(k->u.s, name) == 0)
			return &m->u.v[2 * i + 1];
	}
	return NULL;
}

/* size bytes aligned to align (a power of two) from c; NULL if no memory. */
static void *
chunk_take(struct loader *L, struct chunk *c, size_t size, size_t align)
{
	size_t pad = (align - (uintptr_t)c->p % align) % align;
	void *p;

	if (c->left < pad || c->left - pad < size) {
		size_t next = c->size ? 2 * c->size : CHUNK_MIN;

		if (next > CHUNK_MAX)
			next = CHUNK_MAX;
		if (size > next / 4)
			return arena_alloc(L->a, size);
		if (!(c->p = arena_alloc(L->a, next))) {
			c->left = 0;
			return NULL;
		}
		c->size = c->left = next;
		pad = 0;	/* the arena aligns for any object */
	}
	p = c->p + pad;
	c->p += pad + size;
	c->left -= pad + size;
	return p;
}

static char *
str_copy(struct loader *L, const char *s, size_t len)
{
	char *c = chunk_take(L, &L->strs, len + 1, 1);

	if (c) {
		memcpy(c, s, len);
		c[len] = '\0';
	}
	return c;
}

/* The one copy of mapping key s[0..len); NULL if memory ran out. */
static const char *
key_intern(struct loader *L, const char *s, uint32_t len)
{
	uint32_t h = (uint32_t)hash_mem(s, len);
	size_t i, mask;

	if (2 * (L->nkeys + 1) > L->capkeys) {
		size_t cap = L->capkeys ? 2 * L->capkeys : 256, j;
		struct key *t = calloc(cap, sizeof(*t));

		if (!t)
			return NULL;
		for (j = 0; j < L->capkeys; j++) {
			if (!L->keys[j].s)
				continue;
			i = L->keys[j].hash & (cap - 1);
			while (t[i].s)
				i = (i + 1) & (cap - 1);
			t[i] = L->keys[j];
		}
		free(L->keys);
		L->keys = t;
		L->capkeys = cap;
	}
	mask = L->capkeys - 1;
	for (i = h & mask; L->keys[i].s; i = (i + 1) & mask)
		if (L->keys[i].hash == h && L->keys[i].len == len &&
		    memcmp(L->keys[i].s, s, len) == 0)
			return L->keys[i].s;
	if (!(L->keys[i].s = str_copy(L, s, len)))
		return NULL;
	L->keys[i].len = len;
	L->keys[i].hash = h;
	L->nkeys++;
	return L->keys[i].s;
}

static int
anchor_put(struct loader *L, char *name, const struct ynode *node, uint64_t x)
{
	size_t i, mask;

	if (2 * (L->nanch + 1) > L->capanch) {
		size_t cap = L->capanch ? 2 * L->capanch : 16, j;
		struct anchor *t = calloc(cap, sizeof(*t));

		if (!t)
			return -1;
		for (j = 0; j < L->capanch; j++) {
			if (!L->anch[j].name)
				continue;
			i = hash_str(L->anch[j].name) & (cap - 1);
			while (t[i].name)
				i = (i + 1) & (cap - 1);
			t[i] = L->anch[j];
		}
		free(L->anch);
		L->anch = t;
		L->capanch = cap;
	}
	mask = L->capanch - 1;
	for (i = hash_str(name) & mask; L->anch[i].name; i = (i + 1) & mask) {
		if (strcmp(L->anch[i].name, name) == 0) {
			/* a redefined anchor: later aliases see the new node */
			free(L->anch[i].name);
			L->anch[i].name = name;
			L->anch[i].node = *node;
			L->anch[i].x = x;
			return 0;
		}
	}
	L->anch[i].name = name;
	L->anch[i].node = *node;
	L->anch[i].x = x;
	L->nanch++;
	return 0;
}

static const struct anchor *
anchor_get(const struct loader *L, const char *name)
{
	size_t i, mask;

	if (!L->capanch)
		return NULL;
	mask = L->capanch - 1;
	for (i = hash_str(name) & mask; L->anch[i].name; i = (i + 1) & mask)
		if (strcmp(L->anch[i].name, name) == 0)
			return &L->anch[i];
	return NULL;
}

static int
nomem(struct loader *L, struct srcpos p)
{
	L->failed = 1;
	return diag_report(L->diags, E_NOMEM, p);
}

static int
pend_push(struct loader *L, const struct ynode *n)
{
	if (L->npend == L->cappend) {
		size_t cap = L->cappend ? 2 * L->cappend : 256;
		struct ynode *v = realloc(L->pend, cap * sizeof(*v));

		if (!v)
			return -1;
		L->pend = v;
		L->cappend = cap;
	}
	L->pend[L->npend++] = *n;
	return 0;
}

/* Add a finished child (x expanded nodes, r real) to the open container. */
static int
add_child(struct loader *L, const struct ynode *n, uint64_t x, uint64_t r,
    struct srcpos p)
{
	struct frame *f;

	if (L->nfr == 0) {
		/* the root */
		return pend_push(L, n) ? nomem(L, p) : 0;
	}
	f = &L->fr[L->nfr - 1];
	f->x += x;
	f->r += r;
	if (f->x - f->r > YAML_MAX_ALIAS_NODES) {
		L->failed = 1;
		return diag_report(L->diags, E_BAKE_YAML_ALIAS_BOMB, p,
		    YAML_MAX_ALIAS_NODES);
	}
	return pend_push(L, n) ? nomem(L, p) : 0;
}

static int
scalar_is_str_tag(const yaml_char_t *tag)
{
	return tag && strcmp((const char *)tag, YAML_STR_TAG) == 0;
}

static char *
anchor_dup(const yaml_char_t *anchor)
{
	return anchor ? strdup((const char *)anchor) : NULL;
}

static int
node_register(struct loader *L, const yaml_char_t *anchor,
    const struct ynode *n, struct srcpos p)
{
	char *name;

	if (!anchor)
		return 0;
	name = anchor_dup(anchor);
	if (!name || anchor_put(L, name, n, 1)) {
		free(name);
		return nomem(L, p);
	}
	return 0;
}

static int
same_key(const struct ynode *a, const struct ynode *b)
{
	return a->n == b->n && (a->u.s == b->u.s ||
	    memcmp(a->u.s, b->u.s, a->n) == 0);
}

static void
report_dup(struct loader *L, const struct ynode *dup, const struct ynode *first)
{
	diag_report(L->diags, E_BAKE_YAML_DUPKEY, ynode_pos(L->file, dup),
	    dup->u.s, first->line, first->col);
}

/*
 * Check a finished mapping: scalar keys without NUL, no duplicates. Each
 * duplicate is reported in document order, against the first key like it.
 */
static int
map_check(struct loader *L, const struct ynode *m)
{
	const struct ynode *v = m->u.v;
	uint32_t i, j, *first;
	size_t cap, mask, h;
	int bad = 0;

	for (i = 0; i < m->n; i++) {
		if (v[2 * i].type != Y_SCALAR) {
			diag_report(L->diags, E_BAKE_YAML_KEY,
			    ynode_pos(L->file, &v[2 * i]),
			    ynode_kind(&v[2 * i]));
			bad = 1;
		}
	}
	if (bad) {
		L->failed = 1;	/* the tree would need non-scalar keys */
		return -1;
	}
	/* keys are names, which readers compare as C strings */
	for (i = 0; i < m->n; i++) {
		if (memchr(v[2 * i].u.s, '\0', v[2 * i].n)) {
			char shown[64];

			diag_report(L->diags, E_BAKE_YAML_KEY_NUL,
			    ynode_pos(L->file, &v[2 * i]), esc_buf(shown,
			    sizeof(shown), v[2 * i].u.s, v[2 * i].n));
			L->badkeys = 1;
			bad = 1;
		}
	}
	if (m->n <= 12) {
		for (i = 1; i < m->n; i++) {
			for (j = 0; j < i; j++) {
				if (same_key(&v[2 * i], &v[2 * j])) {
					report_dup(L, &v[2 * i], &v[2 * j]);
					L->badkeys = 1;
					bad = 1;
					break;
				}
			}
		}
		return bad ? -1 : 0;
	}
	/* a table of the first of each key: index + 1, 0 for empty */
	for (cap = 32; cap < 2 * (size_t)m->n; cap *= 2)
		;
	if (!(first = calloc(cap, sizeof(*first))))
		return nomem(L, ynode_pos(L->file, m));
	mask = cap - 1;
	for (i = 0; i < m->n; i++) {
		const struct ynode *k = &v[2 * i];

		for (h = (uint32_t)hash_mem(k->u.s, k->n) & mask; first[h];
		    h = (h + 1) & mask)
			if (same_key(k, &v[2 * (first[h] - 1)]))
				break;
		if (first[h]) {
			report_dup(L, k, &v[2 * (first[h] - 1)]);
			L->badkeys = 1;
			bad = 1;
		} else {
			first[h] = i + 1;
		}
	}
	free(first);
	return bad ? -1 : 0;
}

static int
open_node(struct loader *L, enum ynode_type type, const yaml_event_t *ev,
    const yaml_char_t *anchor)
{
	struct srcpos p = mark_pos(L, ev->start_mark);
	struct frame *f;

	if (L->nfr >= YAML_MAX_DEPTH) {
		L->failed = 1;
		return diag_report(L->diags, E_BAKE_YAML_DEPTH, p,
		    YAML_MAX_DEPTH);
	}
	if (L->nfr == L->capfr) {
		size_t cap = L->capfr ? 2 * L->capfr : 32;
		struct frame *v = realloc(L->fr, cap * sizeof(*v));

		if (!v)
			return nomem(L, p);
		L->fr = v;
		L->capfr = cap;
	}
	f = &L->fr[L->nfr++];
	memset(&f->node, 0, sizeof(f->node));
	f->node.type = (uint8_t)type;
	f->node.line = p.line;
	f->node.col = p.col;
	f->start = L->npend;
	f->anchor = NULL;
	f->x = f->r = 1;
	if (anchor && !(f->anchor = anchor_dup(anchor)))
		return nomem(L, p);
	return 0;
}

static int
close_node(struct loader *L)
{
	struct frame f = L->fr[--L->nfr];
	struct ynode *n = &f.node;
	size_t k = L->npend - f.start;
	struct srcpos p = ynode_pos(L->file, n);
	int ret = 0;

	if (k) {
		n->u.v = chunk_take(L, &L->kids, k * sizeof(*n->u.v),
		    _Alignof(struct ynode));
		if (!n->u.v) {
			free(f.anchor);
			return nomem(L, p);
		}
		memcpy(n->u.v, L->pend + f.start, k * sizeof(*n->u.v));
	}
	L->npend = f.start;
	n->n = (uint32_t)(n->type == Y_MAP ? k / 2 : k);
	if (n->type == Y_MAP && map_check(L, n))
		ret = -1;
	if (f.anchor) {
		if (anchor_put(L, f.anchor, n, f.x)) {
			free(f.anchor);
			return nomem(L, p);
		}
	}
	if (add_child(L, n, f.x, f.r, p))
		return -1;
	return ret;
}

static int
scalar_node(struct loader *L, const yaml_event_t *ev)
{
	struct srcpos p = mark_pos(L, ev->start_mark);
	const struct frame *top = L->nfr ? &L->fr[L->nfr - 1] : NULL;
	const char *value = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	struct ynode n;

	if (len > UINT32_MAX)
		return nomem(L, p);
	memset(&n, 0, sizeof(n));
	n.type = Y_SCALAR;
	n.line = p.line;
	n.col = p.col;
	if (top && top->node.type == Y_MAP &&
	    (L->npend - top->start) % 2 == 0)
		n.u.s = key_intern(L, value, (uint32_t)len);
	else
		n.u.s = str_copy(L, value, len);
	if (!n.u.s)
		return nomem(L, p);
	n.quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    scalar_is_str_tag(ev->data.scalar.tag);
	n.n = (uint32_t)len;
	if (node_register(L, ev->data.scalar.anchor, &n, p))
		return -1;
	return add_child(L, &n, 1, 1, p);
}

static int
alias_node(struct loader *L, const yaml_event_t *ev)
{
	struct srcpos p = mark_pos(L, ev->start_mark);
	const char *name = (const char *)ev->data.alias.anchor;
	const struct anchor *an = anchor_get(L, name);
	struct ynode n;

	if (!an) {
		L->failed = 1;
		return diag_report(L->diags, E_BAKE_YAML_ALIAS, p, name);
	}
	n = an->node;
	n.shared = 1;
	return add_child(L, &n, an->x, 1, p);
}

/* The byte at mark m (line and column in characters), or 0 past the end. */
static char
byte_at(const struct loader *L, yaml_mark_t m)
{
	size_t i = 0, line = 0, col = 0;

	while (i < L->len && line < m.line)
		if (L->text[i++] == '\n')
			line++;
	for (; i < L->len && L->text[i] != '\n'; i++) {
		if (((unsigned char)L->text[i] & 0xc0) == 0x80)
			continue;
		if (col++ == m.column)
			return L->text[i];
	}
	return 0;
}

static void
parser_error(struct loader *L, const yaml_parser_t *yp)
{
	const char *problem = yp->problem ? yp->problem : "unknown error";
	struct srcpos p;

	L->failed = 1;
	switch (yp->error) {
	case YAML_MEMORY_ERROR:
		diag_report(L->diags, E_NOMEM, offset_pos(L, 0));
		return;
	case YAML_READER_ERROR:
		p = offset_pos(L, yp->problem_offset);
		if (yp->problem_value != -1)
			diag_report(L->diags, E_BAKE_YAML_READER, p, problem,
			    yp->problem_value);
		else
			diag_report(L->diags, E_BAKE_YAML, p, problem);
		return;
	default:
		break;
	}
	p = mark_pos(L, yp->problem_mark);
	/* libyaml says "cannot start any token": say what people do */
	if (byte_at(L, yp->problem_mark) == '\t')
		diag_report(L->diags, E_BAKE_YAML_TAB, p);
	else if (yp->context)
		diag_report(L->diags, E_BAKE_YAML_CONTEXT, p, problem,
		    yp->context, (unsigned)yp->context_mark.line + 1,
		    (unsigned)yp->context_mark.column + 1);
	else
		diag_report(L->diags, E_BAKE_YAML, p, problem);
}

static void
loader_release(struct loader *L)
{
	size_t i;

	for (i = 0; i < L->nfr; i++)
		free(L->fr[i].anchor);
	for (i = 0; i < L->capanch; i++)
		free(L->anch[i].name);
	free(L->anch);
	free(L->keys);
	free(L->fr);
	free(L->pend);
}

struct ynode *
ytree_load(struct arena *a, const char *file, const char *text, size_t len,
    struct diag_list *diags)
{
	struct loader L;
	yaml_parser_t yp;
	yaml_event_t ev;
	struct ynode *root = NULL;
	int docs = 0, done = 0;

	memset(&L, 0, sizeof(L));
	L.a = a;
	L.file = file;
	L.text = text;
	L.len = len;
	L.diags = diags;
	if (!yaml_parser_initialize(&yp)) {
		diag_report(diags, E_NOMEM, offset_pos(&L, 0));
		return NULL;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	while (!done && !L.failed) {
		if (!yaml_parser_parse(&yp, &ev)) {
			parser_error(&L, &yp);
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				L.failed = 1;
				diag_report(diags, E_BAKE_YAML_MULTIDOC,
				    mark_pos(&L, ev.start_mark));
			}
			break;
		case YAML_SCALAR_EVENT:
			scalar_node(&L, &ev);
			break;
		case YAML_ALIAS_EVENT:
			alias_node(&L, &ev);
			break;
		case YAML_SEQUENCE_START_EVENT:
			open_node(&L, Y_SEQ, &ev, ev.data.sequence_start.anchor);
			break;
		case YAML_MAPPING_START_EVENT:
			open_node(&L, Y_MAP, &ev, ev.data.mapping_start.anchor);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			close_node(&L);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&yp);
	/*
	 * Duplicate keys are all reported (the parse goes on to the end), but
	 * no tree is returned: every reader of a mapping takes the first
	 * value of a key, and some would take a second one too.
	 */
	if (!L.failed && !L.badkeys) {
		if (L.npend == 0) {
			root = arena_calloc(a, 1, sizeof(*root));
			if (root) {
				root->type = Y_SCALAR;
				root->line = root->col = 1;
				root->u.s = "";
			} else {
				diag_report(diags, E_NOMEM, offset_pos(&L, 0));
			}
		} else if ((root = chunk_take(&L, &L.kids, sizeof(*root),
		    _Alignof(struct ynode)))) {
			*root = L.pend[0];
		} else {
			diag_report(diags, E_NOMEM, offset_pos(&L, 0));
		}
	}
	loader_release(&L);
	return root;
}
