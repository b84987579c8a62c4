/* hm: the closest of a few names to a misspelt one (edit distance). */
#include <string.h>

#include "suggest.h"

unsigned
suggest_distance(const char *a, size_t alen, const char *b, size_t blen)
{
	/* three rows of the distance matrix: two back, one back, this */
	unsigned rows[3][SUGGEST_MAX_LEN + 1];
	unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;
	size_t i, j;

	if (alen > SUGGEST_MAX_LEN || blen > SUGGEST_MAX_LEN)
		return SUGGEST_MAX_LEN + 1;
	for (j = 0; j <= blen; j++)
		prev[j] = (unsigned)j;
	for (i = 1; i <= alen; i++) {
		cur[0] = (unsigned)i;
		for (j = 1; j <= blen; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned d = prev[j - 1] + cost;

			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[blen];
}

void
suggest_init(struct suggest *s, const char *word, size_t len)
{
	s->word = word;
	s->len = len;
	s->best = NULL;
	s->best_len = 0;
	s->best_dist = SUGGEST_MAX_LEN + 1;
}

void
suggest_consider(struct suggest *s, const char *cand, size_t len)
{
	unsigned d;

	/* more than the threshold apart in length alone: not close */
	if ((len > s->len ? len - s->len : s->len - len) > s->len / 3 + 1)
		return;
	d = suggest_distance(s->word, s->len, cand, len);
	if (d < s->best_dist) {
		s->best = cand;
		s->best_len = len;
		s->best_dist = d;
	}
}

const char *
suggest_best(const struct suggest *s, size_t *len)
{
	/*
	 * A third of the word: "chek" -> "check" (1 of 4), "lable" ->
	 * "label" (1 of 5, a transposition), but "x" is not "k". A short
	 * word must be nearly right; a long one may have several slips.
	 */
	unsigned limit = (unsigned)(s->len / 3);

	if (limit < 1 && s->len >= 2)
		limit = 1;
	if (!s->best || s->best_dist == 0 || s->best_dist > limit)
		return NULL;
	if (len)
		*len = s->best_len;
	return s->best;
}
