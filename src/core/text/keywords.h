/*
 * keywords: the words a text is about, by TF-IDF (as jieba.analyse's
 * extract_tags) or TextRank (as jieba.analyse's textrank, without its
 * part-of-speech filter), over the segmenter's tokens (text/seg.h).
 *
 *     struct kw_idf *idf;  kw_idf_parse(idf_txt, len, &idf, &err);
 *     kw_idf_stopwords(idf, stopwords_txt, len);
 *     struct kw_item top[8];
 *     int n = kw_tfidf(idf, dict, text, len, top, 8, &scratch);
 *
 * Candidates are tokens of two characters or more that are not numbers
 * (digits with . , %) nor stop words (compared with ASCII letters
 * lower-cased); jieba keeps numbers, kesu does not. TF-IDF: count(w) * idf(w) /
 * (candidate tokens), idf from the table (jieba's idf.txt format, "word
 * idf" per line), words missing from it get the table's median. TextRank:
 * an undirected graph joining candidates that occur within 5 tokens of each
 * other (edge weight = co-occurrences), 10 rounds of weighted PageRank with
 * damping 0.85, scores divided by the largest. Ties keep first-seen order.
 *
 * The table is read-only after loading and shared by all threads; a
 * kw_scratch is per thread.
 */
#ifndef KESU_KEYWORDS_H
#define KESU_KEYWORDS_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

struct segdict;
struct kw_idf;

#define KW_MAX_TOKENS 4096 /* a longer text is analysed on its first tokens */

/* Parses an IDF table ("word idf" lines; bad lines are errors naming their number). */
int kw_idf_parse(const char *buf, size_t len, struct kw_idf **out, struct kerr *err);
/* An empty table: every word gets idf 1 (until kw_idf_set is used). */
struct kw_idf *kw_idf_new(void);
/* Adds or replaces one word's idf (before sharing the table). */
void kw_idf_set(struct kw_idf *t, const char *w, size_t len, double idf);
/* Recomputes the median after kw_idf_set calls. */
void kw_idf_finish(struct kw_idf *t);
/* Adds stop words: one per line, '#' comments. */
void kw_idf_stopwords(struct kw_idf *t, const char *buf, size_t len);
void kw_idf_free(struct kw_idf *t);

/* idf of a word, or the median when it is not in the table. */
double kw_idf_get(const struct kw_idf *t, const char *w, size_t len);
double kw_idf_median(const struct kw_idf *t);
size_t kw_idf_size(const struct kw_idf *t);
int kw_is_stopword(const struct kw_idf *t, const char *w, size_t len);

/*
 * Document frequencies, for an IDF table of one's own records: kw_df_add
 * counts each distinct candidate word of a text once (in a table made with
 * kw_idf_new), kw_df_finish turns the counts of ndocs texts into
 * idf = ln(ndocs / df) (as jieba's idf.txt), dropping words seen in fewer
 * than min_df texts, and kw_idf_write appends the table as "word idf" lines.
 */
struct kw_scratch;
void kw_df_add(struct kw_idf *t, const struct segdict *d, const char *text, size_t len,
               struct kw_scratch *s);
void kw_df_finish(struct kw_idf *t, long ndocs, long min_df);
struct strbuf;
void kw_idf_write(const struct kw_idf *t, struct strbuf *out);

struct kw_item {
    const char *w; /* a slice of the text given */
    size_t len;
    double score;
};

/* Per-thread working memory; zero-initialise, release when done. */
struct kw_scratch {
    struct kw_tok *tok;
    size_t ntok, cap;
    uint32_t *uniq; /* token index -> candidate index */
    size_t capu;
    double *m;
    size_t capm;
};
void kw_scratch_release(struct kw_scratch *s);

/*
 * Replays the tokens the last kw_tfidf() or kw_textrank() with s cut (the
 * segmenter's, in order, HMM on: what seg_feat_tok gives) to emit, so that a
 * classifier over the same text need not cut it again. Returns 0, or -1 (and
 * emits nothing) when the text held more than KW_MAX_TOKENS tokens, so that
 * only its first ones were kept.
 */
int kw_scratch_replay(const struct kw_scratch *s,
                      void (*emit)(void *arg, const char *tok, size_t len), void *arg);

/* Fills top[0..k) with the best keywords, best first; returns how many. */
int kw_tfidf(const struct kw_idf *t, const struct segdict *d, const char *text, size_t len,
             struct kw_item *top, int k, struct kw_scratch *s);
int kw_textrank(const struct kw_idf *t, const struct segdict *d, const char *text, size_t len,
                struct kw_item *top, int k, struct kw_scratch *s);

#endif
