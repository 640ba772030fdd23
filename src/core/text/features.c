/*
 * features.c: hashed character and word n-grams with sublinear tf, IDF
 * weighting and L2 normalisation (see features.h). The text is first copied
 * into scratch with ASCII lower-cased and whitespace collapsed, with the
 * byte offset of every code point; n-grams are then slices of that copy.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "text/features.h"
#include "base/banned.h"

#define SEED_CHAR 0x9e3779b1u
#define SEED_WORD 0x85ebca6bu
#define SEED_PAIR 0xc2b2ae35u

void feat_config_default(struct feat_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->char_min = 1;
    cfg->char_max = 3;
    cfg->bits = FEAT_DEFAULT_BITS;
}

int feat_config_check(const struct feat_config *cfg, struct kerr *err)
{
    if (cfg->bits < FEAT_MIN_BITS || cfg->bits > FEAT_MAX_BITS)
        return kerr_set(err, KERR_INVALID, "bad_bits", "bits", "bits must be %d to %d",
                        FEAT_MIN_BITS, FEAT_MAX_BITS);
    if (cfg->char_min > cfg->char_max || cfg->char_max > FEAT_MAX_N ||
        (cfg->char_max && !cfg->char_min))
        return kerr_set(err, KERR_INVALID, "bad_ngrams", "ngrams",
                        "character n-gram range must be within 1-%d", FEAT_MAX_N);
    if (cfg->word_min > cfg->word_max || cfg->word_max > FEAT_MAX_N ||
        (cfg->word_max && !cfg->word_min))
        return kerr_set(err, KERR_INVALID, "bad_ngrams", "word_ngrams",
                        "word n-gram range must be within 1-%d", FEAT_MAX_N);
    if (!cfg->char_max && !cfg->word_max)
        return kerr_set(err, KERR_INVALID, "bad_ngrams", "ngrams", "no features configured");
    return 0;
}

static inline uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

uint32_t feat_hash(const char *s, size_t len, uint32_t seed)
{
    uint32_t h = 2166136261u ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return fmix32(h ^ (uint32_t)len);
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    *cap = c;
    return xrealloc(p, c * elem);
}

static inline void push_id(struct feat_scratch *sc, uint32_t id)
{
    if (sc->nids == sc->cap_ids)
        sc->ids = grow(sc->ids, &sc->cap_ids, sc->nids + 1, sizeof *sc->ids);
    sc->ids[sc->nids++] = id;
}

static inline void push_word(struct feat_scratch *sc, uint32_t h)
{
    if (sc->nwords == sc->cap_words)
        sc->words = grow(sc->words, &sc->cap_words, sc->nwords + 1, sizeof *sc->words);
    sc->words[sc->nwords++] = h;
}

static bool is_space(int32_t cp)
{
    return cp == ' ' || (cp >= 9 && cp <= 13) || cp == 0xA0 || cp == 0x3000 ||
           (cp >= 0x2000 && cp <= 0x200A);
}

/* Copies s into sc->low (ASCII lower-cased, whitespace runs -> one space) with offsets. */
static size_t normalise(const char *s, size_t len, struct feat_scratch *sc)
{
    size_t i = 0, o = 0, nc = 0;
    bool space = true; /* drop leading whitespace */
    sc->low = grow(sc->low, &sc->cap_low, len + 1, 1);
    sc->off = grow(sc->off, &sc->cap_off, len + 2, sizeof *sc->off);
    while (i < len) {
        int32_t cp;
        int n = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (is_space(cp)) {
            if (!space) {
                sc->off[nc++] = (uint32_t)o;
                sc->low[o++] = ' ';
            }
            space = true;
            i += (size_t)n;
            continue;
        }
        space = false;
        sc->off[nc++] = (uint32_t)o;
        if (cp >= 'A' && cp <= 'Z')
            sc->low[o++] = (char)(cp + 32);
        else
            for (int k = 0; k < n; k++)
                sc->low[o++] = s[i + (size_t)k];
        i += (size_t)n;
    }
    if (nc && sc->low[sc->off[nc - 1]] == ' ') /* trailing space */
        o = sc->off[--nc];
    sc->off[nc] = (uint32_t)o;
    sc->low[o] = '\0';
    return nc;
}

#define MARK_START '\x02'
#define MARK_END   '\x03'

/* Frames the normalised text of nc code points as MARK_START text MARK_END; returns nc + 2. */
static size_t add_bounds(struct feat_scratch *sc, size_t nc)
{
    size_t o = sc->off[nc];
    sc->low = grow(sc->low, &sc->cap_low, o + 3, 1);
    sc->off = grow(sc->off, &sc->cap_off, nc + 4, sizeof *sc->off);
    memmove(sc->low + 1, sc->low, o);
    sc->low[0] = MARK_START;
    sc->low[o + 1] = MARK_END;
    sc->low[o + 2] = '\0';
    memmove(sc->off + 1, sc->off, (nc + 1) * sizeof *sc->off);
    sc->off[0] = 0;
    for (size_t k = 1; k <= nc + 1; k++)
        sc->off[k]++;
    sc->off[nc + 2] = (uint32_t)o + 2;
    return nc + 2;
}

static void char_ngrams(const struct feat_config *cfg, struct feat_scratch *sc, size_t nc,
                        uint32_t mask)
{
    for (unsigned n = cfg->char_min; n && n <= cfg->char_max; n++) {
        uint32_t seed = SEED_CHAR + n;
        for (size_t i = 0; i + n <= nc; i++) {
            const char *p = sc->low + sc->off[i];
            size_t blen = sc->off[i + n] - sc->off[i];
            if (n == 1 && (*p == ' ' || (cfg->bounds && (i == 0 || i + 1 == nc))))
                continue;
            push_id(sc, feat_hash(p, blen, seed) & mask);
        }
    }
}

static bool latin_letter(int32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') ||
           (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7);
}

/* Lower-cases Latin-1 capitals (the copy has ASCII lower-cased already). */
static int32_t latin_lower(int32_t cp)
{
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
        return cp + 32;
    return cp;
}

/* Splits the normalised text into Latin words (two characters or more), hashing each. */
static void latin_words(struct feat_scratch *sc, size_t nc)
{
    char buf[256];
    size_t blen = 0, chars = 0;
    for (size_t i = 0; i <= nc; i++) {
        int32_t cp = -1;
        if (i < nc)
            utf8_decode((const unsigned char *)sc->low + sc->off[i], sc->off[i + 1] - sc->off[i],
                        &cp);
        if (i < nc && latin_letter(cp)) {
            char enc[4];
            int n = utf8_encode(latin_lower(cp), enc);
            if (blen + (size_t)n <= sizeof buf) {
                memcpy(buf + blen, enc, (size_t)n);
                blen += (size_t)n;
            }
            chars++;
            continue;
        }
        if (chars >= 2)
            push_word(sc, feat_hash(buf, blen, SEED_WORD));
        blen = chars = 0;
    }
}

static void tok_emit(void *arg, const char *tok, size_t len)
{
    struct feat_scratch *sc = arg;
    char buf[256];
    bool content = false;
    if (len > sizeof buf)
        len = sizeof buf;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)tok[i];
        buf[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z'))
            content = true;
    }
    if (content)
        push_word(sc, feat_hash(buf, len, SEED_WORD));
}

static void word_ngrams(const struct feat_config *cfg, struct feat_scratch *sc, uint32_t mask)
{
    for (unsigned n = cfg->word_min; n && n <= cfg->word_max; n++)
        for (size_t i = 0; i + n <= sc->nwords; i++) {
            uint32_t h = sc->words[i];
            for (unsigned k = 1; k < n; k++)
                h = fmix32(h * SEED_PAIR + sc->words[i + k] + k);
            push_id(sc, h & mask);
        }
}

/*
 * Sorts the hashed ids: insertion sort for a few, else an LSD radix sort over
 * the id's bits, 8 at a time (ids are below 2^bits, bits <= 24), through the
 * scratch's second buffer; a few times faster than qsort for a review's
 * hundreds of ids.
 */
static void sort_ids(struct feat_scratch *sc, unsigned bits)
{
    uint32_t *a = sc->ids, *b;
    size_t n = sc->nids;
    if (n <= 48) {
        for (size_t i = 1; i < n; i++) {
            uint32_t v = a[i];
            size_t j = i;
            while (j > 0 && a[j - 1] > v) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
        return;
    }
    if (sc->cap_tmp < n)
        sc->tmp = grow(sc->tmp, &sc->cap_tmp, n, sizeof *sc->tmp);
    b = sc->tmp;
    for (unsigned shift = 0; shift < bits; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 0xFF) + 1]++;
        for (int k = 0; k < 256; k++)
            count[k + 1] += count[k];
        for (size_t i = 0; i < n; i++)
            b[count[(a[i] >> shift) & 0xFF]++] = a[i];
        uint32_t *t = a;
        a = b;
        b = t;
    }
    if (a != sc->ids) { /* an odd number of passes: the result is in tmp */
        sc->tmp = sc->ids;
        sc->ids = a;
        size_t c = sc->cap_tmp;
        sc->cap_tmp = sc->cap_ids;
        sc->cap_ids = c;
    }
}

void feat_extract(const struct feat_extractor *fx, const char *s, size_t len,
                  struct feat_scratch *sc, struct feat_vec *out)
{
    const struct feat_config *cfg = &fx->cfg;
    uint32_t mask = (uint32_t)((1u << cfg->bits) - 1);
    size_t nc = normalise(s, len, sc);

    sc->nids = sc->nwords = 0;
    if (cfg->bounds && cfg->char_max && nc) {
        char_ngrams(cfg, sc, add_bounds(sc, nc), mask);
        nc += 2; /* the marks are neither letters nor digits: Latin words are unchanged */
    } else
        char_ngrams(cfg, sc, nc, mask);
    if (cfg->word_max) {
        if (fx->tok)
            fx->tok(fx->tok_ctx, s, len, tok_emit, sc);
        else
            latin_words(sc, nc);
        word_ngrams(cfg, sc, mask);
    }
    sort_ids(sc, cfg->bits);
    out->n = 0;
    if (out->cap < sc->nids) {
        size_t c = out->cap;
        out->id = grow(out->id, &c, sc->nids, sizeof *out->id);
        out->val = xrealloc(out->val, c * sizeof *out->val);
        out->cap = c;
    }
    for (size_t i = 0; i < sc->nids;) {
        size_t j = i + 1;
        while (j < sc->nids && sc->ids[j] == sc->ids[i])
            j++;
        out->id[out->n] = sc->ids[i];
        out->val[out->n++] = 1.0f + logf((float)(j - i));
        i = j;
    }
}

void feat_weigh(struct feat_vec *v, const float *idf)
{
    double ss = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (idf)
            v->val[i] *= idf[v->id[i]];
        ss += (double)v->val[i] * v->val[i];
    }
    if (ss > 0) {
        float inv = (float)(1.0 / sqrt(ss));
        for (size_t i = 0; i < v->n; i++)
            v->val[i] *= inv;
    }
}

void feat_vec_release(struct feat_vec *v)
{
    free(v->id);
    free(v->val);
    memset(v, 0, sizeof *v);
}

void feat_scratch_release(struct feat_scratch *sc)
{
    free(sc->ids);
    free(sc->low);
    free(sc->off);
    free(sc->words);
    free(sc->tmp);
    memset(sc, 0, sizeof *sc);
}
