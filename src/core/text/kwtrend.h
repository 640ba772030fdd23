/*
 * kwtrend: keyword counts over a period against a baseline (GET
 * /api/v1/keywords): the top keywords by count, and the emerging ones,
 * whose share of records rose most against the baseline.
 *
 * Share = records holding the word / records in the window. Emerging words
 * have at least min_count records in the window and a share above the
 * baseline's; their significance is the two-proportion z score
 *     z = (p1 - p0) / sqrt(p (1 - p) (1/N1 + 1/N0)),  p = (n1 + n0) / (N1 + N0)
 * (z >= 1.96: unlikely by chance at the 5% level), growth = p1 / p0 (p0 of a
 * word the baseline never saw is taken as 0.5 / N0, so growth stays finite).
 * They are ordered by z, best first.
 */
#ifndef KESU_KWTREND_H
#define KESU_KWTREND_H

#include <stddef.h>
#include <stdint.h>

struct kw_count {
    char *word;
    int64_t n, base_n;
    double share, base_share, growth, z;
};

struct kw_counts {
    struct kw_count *v;
    size_t n, cap;
    int64_t records, base_records;
    int sorted;
};

/* Adds a word's count in the window (words are copied). */
void kw_counts_add(struct kw_counts *c, const char *word, int64_t n);
/* Sets a word's baseline count (ignored for words not in the window). */
void kw_counts_add_base(struct kw_counts *c, const char *word, int64_t n);
/* Computes shares, growth and z; then top/emerging can be read. */
void kw_counts_finish(struct kw_counts *c);
/* Fills out[0..k) with pointers to the top words by count (ties: by word); returns how many. */
size_t kw_counts_top(struct kw_counts *c, const struct kw_count **out, size_t k);
/* The emerging words (see above), best first; returns how many. */
size_t kw_counts_emerging(struct kw_counts *c, int64_t min_count, const struct kw_count **out,
                          size_t k);
void kw_counts_release(struct kw_counts *c);

#endif
