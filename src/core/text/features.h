/*
 * features: hashed sparse feature vectors for the linear text classifier
 * (text/linear.h).
 *
 * A text becomes a bag of features, each hashed into one of 2^bits buckets:
 *   - character n-grams, n in [char_min, char_max] (default 1-3), counted in
 *     code points (UTF-8 aware), over the text with ASCII letters lower-cased
 *     and every run of whitespace collapsed into one space; a 1-gram that is
 *     a space is not a feature; with `bounds`, the text is framed by a start
 *     and an end mark first, so n-grams that begin or end the text (阿姨,
 *     太慢了 at the end) are features of their own (the marks alone are not);
 *   - word n-grams, n in [word_min, word_max] (0 = none; 1-2 is usual for
 *     English): words are runs of letters and digits of Latin script (ASCII,
 *     Latin-1, Latin Extended-A/B), lower-cased, two characters or more;
 *     with a tokenizer callback (struct feat_extractor.tok), the words are
 *     instead the tokens it emits (any script) that hold at least one letter,
 *     digit or non-ASCII character.
 * Each kind of feature has its own hash seed, so a word and a char n-gram
 * with the same bytes are different features. The hash is FNV-1a with a
 * murmur3 finaliser: stable across platforms and versions (models depend on
 * it; tests pin a few values).
 *
 * Weighting: term frequency is sublinear (1 + ln count); the trainer learns
 * an IDF per bucket (ln((1 + N) / (1 + df)) + 1, as scikit-learn's smooth
 * IDF) and the vector is then scaled to unit L2 norm (feat_weigh).
 *
 * No allocation per feature: the hashed ids of one text go into a scratch
 * array that is sorted and merged into (id, tf) pairs. A feat_scratch is for
 * one thread at a time; the extractor itself is read-only and shared.
 */
#ifndef KESU_FEATURES_H
#define KESU_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#define FEAT_DEFAULT_BITS 20
#define FEAT_MIN_BITS     10
#define FEAT_MAX_BITS     24
#define FEAT_MAX_N        8 /* longest n-gram, characters or words */

/* What is extracted; stored in model files. */
struct feat_config {
    uint8_t char_min, char_max; /* character n-gram range; 0,0 = none */
    uint8_t word_min, word_max; /* word n-gram range; 0,0 = none */
    uint8_t bits;               /* 2^bits buckets */
    uint8_t use_tok;            /* words come from the tokenizer callback */
    uint8_t bounds;             /* start and end marks around the text for char n-grams */
};
/* The one config byte of the model file that holds use_tok (bit 0) and bounds (bit 1). */
#define FEAT_FLAG_TOK    1u
#define FEAT_FLAG_BOUNDS 2u

/* Emits one token: len bytes at tok (UTF-8, need not be NUL-terminated). */
typedef void (*feat_emit_fn)(void *arg, const char *tok, size_t len);
/*
 * A word segmenter: calls emit(arg, ...) for each token of s[0..len), in
 * order. Must be thread-safe when the extractor is shared between threads.
 */
typedef void (*feat_tok_fn)(void *ctx, const char *s, size_t len, feat_emit_fn emit, void *arg);

struct feat_extractor {
    struct feat_config cfg;
    feat_tok_fn tok; /* NULL: built-in Latin word splitter */
    void *tok_ctx;
};

/* A sparse vector: n (bucket id, value) pairs in increasing id order. */
struct feat_vec {
    uint32_t *id;
    float *val;
    size_t n, cap;
};

/* Per-thread working memory for feat_extract(); zero-initialise, then reuse. */
struct feat_scratch {
    uint32_t *ids; /* hashed ids before merging */
    size_t nids, cap_ids;
    char *low; /* lower-cased, whitespace-collapsed text */
    size_t cap_low;
    uint32_t *off; /* byte offset of each code point in low, plus the end */
    size_t cap_off;
    uint32_t *words; /* hash of each word, in order */
    size_t nwords, cap_words;
    uint32_t *tmp; /* radix sort buffer */
    size_t cap_tmp;
};

/* The default config: char 1-3, no words, 2^20 buckets. */
void feat_config_default(struct feat_config *cfg);
/* Checks ranges and bits; returns 0 or KERR_INVALID with a message in err. */
struct kerr;
int feat_config_check(const struct feat_config *cfg, struct kerr *err);

/*
 * Extracts the features of s[0..len) (UTF-8; invalid bytes count as one
 * character each) into out: sorted bucket ids with sublinear tf values.
 * out is grown as needed (free with feat_vec_release).
 */
void feat_extract(const struct feat_extractor *fx, const char *s, size_t len,
                  struct feat_scratch *sc, struct feat_vec *out);

/* Multiplies each value by idf[id] (when idf is not NULL), then scales v to unit L2 norm. */
void feat_weigh(struct feat_vec *v, const float *idf);

/* The hash of s[0..len) with a seed; exported for tests. */
uint32_t feat_hash(const char *s, size_t len, uint32_t seed);

void feat_vec_release(struct feat_vec *v);
void feat_scratch_release(struct feat_scratch *sc);

#endif
