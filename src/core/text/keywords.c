/*
 * keywords: TF-IDF and TextRank keyword extraction (see keywords.h). The
 * IDF table and the stop words are open-addressing hash tables over one
 * byte arena; extraction hashes each candidate token into a per-call table
 * held in the scratch, so nothing is allocated per token.
 */
#include "text/keywords.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "text/seg.h"
#include "base/banned.h"

#define TR_MAX_WORDS 300 /* TextRank graph size cap (the first distinct candidates) */
#define TR_SPAN      5
#define TR_DAMPING   0.85
#define TR_ROUNDS    10

struct wtab {
    char *keys;
    size_t nkeys, capkeys;
    uint32_t *off, *len; /* per entry */
    double *val;
    size_t n, cap;
    uint32_t *slot; /* entry + 1, 0 = empty */
    size_t nslot;   /* power of two */
};

struct kw_idf {
    struct wtab idf, stop;
    double median;
};

struct kw_tok {
    const char *p;
    uint32_t len;
    int32_t cand; /* candidate index, -1 when not a candidate */
};

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static long wtab_find(const struct wtab *t, const char *w, size_t n)
{
    if (!t->nslot)
        return -1;
    for (size_t i = hash(w, n) & (t->nslot - 1);; i = (i + 1) & (t->nslot - 1)) {
        uint32_t e = t->slot[i];
        if (!e)
            return -1;
        e--;
        if (t->len[e] == n && memcmp(t->keys + t->off[e], w, n) == 0)
            return (long)e;
    }
}

static void wtab_rehash(struct wtab *t, size_t nslot)
{
    free(t->slot);
    t->nslot = nslot;
    t->slot = xcalloc(nslot, sizeof(uint32_t));
    for (size_t e = 0; e < t->n; e++) {
        size_t i = hash(t->keys + t->off[e], t->len[e]) & (nslot - 1);
        while (t->slot[i])
            i = (i + 1) & (nslot - 1);
        t->slot[i] = (uint32_t)e + 1;
    }
}

static void wtab_set(struct wtab *t, const char *w, size_t n, double v)
{
    long e = wtab_find(t, w, n);
    if (e >= 0) {
        t->val[e] = v;
        return;
    }
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->off = xrealloc(t->off, t->cap * sizeof(uint32_t));
        t->len = xrealloc(t->len, t->cap * sizeof(uint32_t));
        t->val = xrealloc(t->val, t->cap * sizeof(double));
    }
    while (t->nkeys + n > t->capkeys) {
        t->capkeys = t->capkeys ? 2 * t->capkeys : 4096;
        t->keys = xrealloc(t->keys, t->capkeys);
    }
    memcpy(t->keys + t->nkeys, w, n);
    t->off[t->n] = (uint32_t)t->nkeys;
    t->len[t->n] = (uint32_t)n;
    t->val[t->n] = v;
    t->nkeys += n;
    t->n++;
    if (2 * t->n >= t->nslot)
        wtab_rehash(t, t->nslot ? 2 * t->nslot : 512);
    else {
        size_t i = hash(w, n) & (t->nslot - 1);
        while (t->slot[i])
            i = (i + 1) & (t->nslot - 1);
        t->slot[i] = (uint32_t)t->n;
    }
}

static void wtab_release(struct wtab *t)
{
    free(t->keys);
    free(t->off);
    free(t->len);
    free(t->val);
    free(t->slot);
}

struct kw_idf *kw_idf_new(void)
{
    struct kw_idf *t = xcalloc(1, sizeof(*t));
    t->median = 1;
    return t;
}

void kw_idf_set(struct kw_idf *t, const char *w, size_t len, double idf)
{
    wtab_set(&t->idf, w, len, idf);
}

/* The k-th smallest of v[0..n) (v is reordered): quickselect, expected linear time. */
static double kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            break;
    }
    return v[k];
}

void kw_idf_finish(struct kw_idf *t)
{
    double *v;
    if (!t->idf.n)
        return;
    v = xmalloc(t->idf.n * sizeof(double));
    memcpy(v, t->idf.val, t->idf.n * sizeof(double));
    t->median = kth(v, t->idf.n, t->idf.n / 2); /* as jieba: sorted(values)[len // 2] */
    free(v);
}

int kw_idf_parse(const char *buf, size_t len, struct kw_idf **out, struct kerr *err)
{
    struct kw_idf *t = kw_idf_new();
    size_t pos = 0;
    long line = 0;
    while (pos < len) {
        const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl != NULL);
        line++;
        while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
            n--;
        if (!n)
            continue;
        const char *sp = memchr(s, ' ', n);
        char num[64], *end;
        size_t nn = sp ? n - (size_t)(sp - s) - 1 : 0;
        if (!sp || sp == s || nn == 0 || nn >= sizeof num) {
            kw_idf_free(t);
            kerr_set(err, KERR_INVALID, "invalid_line", "idf", "line %ld: want \"word idf\"", line);
            if (err)
                err->line = line;
            return KERR_INVALID;
        }
        memcpy(num, sp + 1, nn);
        num[nn] = 0;
        double v = strtod(num, &end);
        if (*end || !isfinite(v)) {
            kw_idf_free(t);
            kerr_set(err, KERR_INVALID, "invalid_line", "idf", "line %ld: bad idf", line);
            if (err)
                err->line = line;
            return KERR_INVALID;
        }
        wtab_set(&t->idf, s, (size_t)(sp - s), v);
    }
    kw_idf_finish(t);
    *out = t;
    return 0;
}

static void lower_into(char *dst, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
}

void kw_idf_stopwords(struct kw_idf *t, const char *buf, size_t len)
{
    size_t pos = 0;
    char low[256];
    while (pos < len) {
        const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl != NULL);
        while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (!n || s[0] == '#' || n > sizeof low)
            continue;
        lower_into(low, s, n);
        wtab_set(&t->stop, low, n, 1);
    }
}

void kw_idf_free(struct kw_idf *t)
{
    if (!t)
        return;
    wtab_release(&t->idf);
    wtab_release(&t->stop);
    free(t);
}

double kw_idf_get(const struct kw_idf *t, const char *w, size_t len)
{
    long e = wtab_find(&t->idf, w, len);
    return e >= 0 ? t->idf.val[e] : t->median;
}

double kw_idf_median(const struct kw_idf *t)
{
    return t->median;
}

size_t kw_idf_size(const struct kw_idf *t)
{
    return t->idf.n;
}

int kw_is_stopword(const struct kw_idf *t, const char *w, size_t len)
{
    char low[256];
    if (len > sizeof low)
        return 0;
    lower_into(low, w, len);
    return wtab_find(&t->stop, low, len) >= 0;
}

void kw_scratch_release(struct kw_scratch *s)
{
    free(s->tok);
    free(s->uniq);
    free(s->m);
    memset(s, 0, sizeof(*s));
}

/* ---- extraction ------------------------------------------------------------- */

static bool is_space(const char *p, size_t n)
{
    return (n == 1 &&
            (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')) ||
           (n == 3 && memcmp(p, "\xe3\x80\x80", 3) == 0);
}

/* Characters of a token once leading and trailing white space are stripped. */
static size_t stripped_chars(const char *p, size_t n)
{
    while (n && is_space(p, 1))
        p++, n--;
    while (n && is_space(p + n - 1, 1))
        n--;
    return utf8_count(p, n);
}

/* Digits with '.', ',' or '%': amounts, order and phone fragments, not what a text is about. */
static bool is_number(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '.' || p[i] == ',' || p[i] == '%'))
            return false;
    return true;
}

static int collect(void *arg, const char *tok, size_t len)
{
    struct kw_scratch *s = arg;
    if (s->ntok >= KW_MAX_TOKENS)
        return 1;
    if (s->ntok == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->tok = xrealloc(s->tok, s->cap * sizeof(*s->tok));
    }
    s->tok[s->ntok++] = (struct kw_tok){tok, (uint32_t)len, -1};
    return 0;
}

int kw_scratch_replay(const struct kw_scratch *s,
                      void (*emit)(void *arg, const char *tok, size_t len), void *arg)
{
    if (s->ntok >= KW_MAX_TOKENS)
        return -1;
    for (size_t i = 0; i < s->ntok; i++)
        emit(arg, s->tok[i].p, s->tok[i].len);
    return 0;
}

/*
 * Cuts the text and numbers the distinct candidates in order of first
 * appearance: tok[i].cand, and uniq[c] = the first token of candidate c.
 * Returns the number of candidates.
 */
static size_t candidates(const struct kw_idf *t, const struct segdict *d, const char *text,
                         size_t len, struct kw_scratch *s)
{
    size_t nc = 0, nslot = 16;
    uint32_t *slot;
    s->ntok = 0;
    seg_cut(d, text, len, SEG_HMM, collect, s);
    while (nslot < 2 * s->ntok)
        nslot *= 2;
    if (s->capu < s->ntok + nslot) {
        s->capu = s->ntok + nslot;
        s->uniq = xrealloc(s->uniq, s->capu * sizeof(uint32_t));
    }
    slot = s->uniq + s->ntok;
    memset(slot, 0, nslot * sizeof(uint32_t));
    for (size_t i = 0; i < s->ntok; i++) {
        struct kw_tok *k = &s->tok[i];
        if (stripped_chars(k->p, k->len) < 2 || is_number(k->p, k->len) ||
            kw_is_stopword(t, k->p, k->len))
            continue;
        size_t h = hash(k->p, k->len) & (nslot - 1);
        for (;; h = (h + 1) & (nslot - 1)) {
            if (!slot[h]) {
                slot[h] = (uint32_t)nc + 1;
                s->uniq[nc] = (uint32_t)i;
                k->cand = (int32_t)nc++;
                break;
            }
            const struct kw_tok *o = &s->tok[s->uniq[slot[h] - 1]];
            if (o->len == k->len && memcmp(o->p, k->p, k->len) == 0) {
                k->cand = (int32_t)(slot[h] - 1);
                break;
            }
        }
    }
    return nc;
}

/* Picks the k best of score[0..n) (ties: lower index first) into top. */
static int best_k(const struct kw_scratch *s, const double *score, size_t n, struct kw_item *top,
                  int k)
{
    int got = 0;
    for (size_t c = 0; c < n; c++) {
        int at = got;
        if (score[c] < 0)
            continue;
        while (at > 0 && score[c] > top[at - 1].score)
            at--;
        if (at >= k)
            continue;
        if (got < k)
            got++;
        memmove(top + at + 1, top + at, (size_t)(got - 1 - at) * sizeof(*top));
        const struct kw_tok *tk = &s->tok[s->uniq[c]];
        top[at] = (struct kw_item){tk->p, tk->len, score[c]};
    }
    return got;
}

static double *scores(struct kw_scratch *s, size_t n)
{
    if (s->capm < n) {
        s->capm = n;
        s->m = xrealloc(s->m, n * sizeof(double));
    }
    memset(s->m, 0, n * sizeof(double));
    return s->m;
}

int kw_tfidf(const struct kw_idf *t, const struct segdict *d, const char *text, size_t len,
             struct kw_item *top, int k, struct kw_scratch *s)
{
    size_t nc = candidates(t, d, text, len, s), total = 0;
    double *sc;
    if (!nc || k <= 0)
        return 0;
    sc = scores(s, nc);
    for (size_t i = 0; i < s->ntok; i++)
        if (s->tok[i].cand >= 0) {
            sc[s->tok[i].cand] += 1;
            total++;
        }
    for (size_t c = 0; c < nc; c++) {
        const struct kw_tok *tk = &s->tok[s->uniq[c]];
        sc[c] = sc[c] * kw_idf_get(t, tk->p, tk->len) / (double)total;
    }
    return best_k(s, sc, nc, top, k);
}

static int cmp_cand(const void *a, const void *b, void *arg)
{
    const struct kw_scratch *s = arg;
    const struct kw_tok *x = &s->tok[s->uniq[*(const uint32_t *)a]],
                        *y = &s->tok[s->uniq[*(const uint32_t *)b]];
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

int kw_textrank(const struct kw_idf *t, const struct segdict *d, const char *text, size_t len,
                struct kw_item *top, int k, struct kw_scratch *s)
{
    size_t nc = candidates(t, d, text, len, s), n, i;
    double *m, *ws, *out, lo = 1e300, hi = -1e300;
    uint32_t order[TR_MAX_WORDS];
    if (!nc || k <= 0)
        return 0;
    n = nc < TR_MAX_WORDS ? nc : TR_MAX_WORDS;
    m = scores(s, n * n + 2 * n);
    ws = m + n * n;
    out = ws + n;
    for (i = 0; i < s->ntok; i++) {
        int32_t a = s->tok[i].cand;
        if (a < 0 || (size_t)a >= n)
            continue;
        for (size_t j = i + 1; j < i + TR_SPAN && j < s->ntok; j++) {
            int32_t b = s->tok[j].cand;
            if (b < 0 || (size_t)b >= n)
                continue;
            m[(size_t)a * n + (size_t)b] += 1;
            m[(size_t)b * n + (size_t)a] += 1;
        }
    }
    /* only words with an edge are in jieba's graph */
    size_t nodes = 0;
    for (i = 0; i < n; i++) {
        out[i] = 0;
        for (size_t j = 0; j < n; j++)
            out[i] += m[i * n + j];
        if (out[i] > 0)
            order[nodes++] = (uint32_t)i;
    }
    if (!nodes)
        return 0;
    for (i = 0; i < n; i++)
        ws[i] = out[i] > 0 ? 1.0 / (double)nodes : 0;
    /* jieba updates in place, in the sorted order of the words */
    qsort_r(order, nodes, sizeof(uint32_t), cmp_cand, s);
    for (int round = 0; round < TR_ROUNDS; round++)
        for (size_t oi = 0; oi < nodes; oi++) {
            size_t a = order[oi];
            double sum = 0;
            for (size_t b = 0; b < n; b++)
                if (m[a * n + b] > 0)
                    sum += m[a * n + b] / out[b] * ws[b];
            ws[a] = (1 - TR_DAMPING) + TR_DAMPING * sum;
        }
    for (size_t oi = 0; oi < nodes; oi++) {
        double w = ws[order[oi]];
        lo = w < lo ? w : lo;
        hi = w > hi ? w : hi;
    }
    for (i = 0; i < n; i++)
        ws[i] = out[i] > 0 ? (ws[i] - lo / 10.0) / (hi - lo / 10.0) : -1;
    return best_k(s, ws, n, top, k);
}

/* ---- document frequencies --------------------------------------------------- */

void kw_df_add(struct kw_idf *t, const struct segdict *d, const char *text, size_t len,
               struct kw_scratch *s)
{
    size_t nc = candidates(t, d, text, len, s);
    for (size_t c = 0; c < nc; c++) {
        const struct kw_tok *k = &s->tok[s->uniq[c]];
        long e = wtab_find(&t->idf, k->p, k->len);
        if (e >= 0)
            t->idf.val[e] += 1;
        else
            wtab_set(&t->idf, k->p, k->len, 1);
    }
}

void kw_df_finish(struct kw_idf *t, long ndocs, long min_df)
{
    struct wtab old = t->idf;
    memset(&t->idf, 0, sizeof t->idf);
    for (size_t e = 0; e < old.n; e++)
        if (old.val[e] >= (double)min_df && ndocs > 0)
            wtab_set(&t->idf, old.keys + old.off[e], old.len[e], log((double)ndocs / old.val[e]));
    wtab_release(&old);
    kw_idf_finish(t);
}

void kw_idf_write(const struct kw_idf *t, struct strbuf *out)
{
    for (size_t e = 0; e < t->idf.n; e++) {
        strbuf_add(out, t->idf.keys + t->idf.off[e], t->idf.len[e]);
        strbuf_addf(out, " %.9f\n", t->idf.val[e]);
    }
}
