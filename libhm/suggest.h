/* hm: "did you mean ...?": the closest of a few names to a misspelt one. */
#ifndef HM_SUGGEST_H
#define HM_SUGGEST_H

#include <stddef.h>

/*
 * Offer each candidate name in turn to suggest_consider, then ask
 * suggest_best for the closest one, or NULL when none is close enough to
 * be worth suggesting. Candidates may live anywhere (an option table, a
 * map of target names): the struct holds only pointers to them, which
 * must outlive it. Nothing is allocated.
 *
 *	struct suggest s;
 *	suggest_init(&s, "lable", 5);
 *	for (each field f) suggest_consider(&s, f, strlen(f));
 *	if ((best = suggest_best(&s))) ... "(did you mean '%s'?)"
 */
struct suggest {
	const char *word;
	size_t len;
	const char *best;	/* the closest candidate so far, or NULL */
	size_t best_len;
	unsigned best_dist;
};

/* Names longer than this are never compared: no suggestion for them. */
#define SUGGEST_MAX_LEN	64

void suggest_init(struct suggest *s, const char *word, size_t len);
/* Consider cand[0..len); the first of equally close candidates wins. */
void suggest_consider(struct suggest *s, const char *cand, size_t len);
/*
 * The closest candidate if it is within a third of the word's length in
 * edits (one edit for a word of 2 to 5 bytes, none for a single byte) and
 * not the word itself; NULL otherwise. Its length goes to *len when len
 * is not NULL.
 */
const char *suggest_best(const struct suggest *s, size_t *len);

/*
 * The edit distance of a and b: insertions, deletions, substitutions and
 * transpositions of two neighbouring bytes (Damerau-Levenshtein, optimal
 * string alignment), or SUGGEST_MAX_LEN + 1 when either is longer than
 * SUGGEST_MAX_LEN.
 */
unsigned suggest_distance(const char *a, size_t alen, const char *b,
    size_t blen);

#endif
