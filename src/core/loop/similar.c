/*
 * similar.c: similar resolved cases for an agent opening a case.
 *
 * Candidates: the full-text index (store_feedback_list with a query) for a
 * few character pairs of the case's cleaned text, and the latest resolved
 * cases of the same first-level category and of the same product. Score:
 *   0.65 * Jaccard of the texts' character-bigram sets
 * + 0.20 * SimHash similarity (1 - distance/32, floored at 0)
 * + 0.10 * same category + 0.05 * same product.
 * Resolved means responded, closed or closed_unaccepted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "loop/capa.h"
#include "base/banned.h"

#define MAX_CANDIDATES 400
#define MAX_BIGRAMS    4096
#define RESOLVED       "responded,closed,closed_unaccepted"

struct cand {
    struct record r;
    double score, text_sim, hash_sim;
};

struct collect {
    struct cand *c;
    size_t n;
    int64_t self;
};

static int collect_cb(void *arg, const struct record *r)
{
    struct collect *col = arg;
    if (r->id == col->self || col->n >= MAX_CANDIDATES)
        return 0;
    for (size_t i = 0; i < col->n; i++)
        if (col->c[i].r.id == r->id)
            return 0;
    record_copy(&col->c[col->n].r, r);
    col->c[col->n].score = 0;
    col->n++;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool is_word_cp(int32_t cp)
{
    return cp >= 0x2E80 || (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
           (cp >= 'A' && cp <= 'Z');
}

/* Sorted unique bigrams of the word characters of text; returns the count. */
static size_t bigrams(const char *text, uint64_t *out)
{
    size_t n = 0, len = text ? strlen(text) : 0;
    int32_t prev = -1;
    for (size_t i = 0; i < len && n < MAX_BIGRAMS;) {
        int32_t cp;
        i += (size_t)utf8_decode((const unsigned char *)text + i, len - i, &cp);
        if (cp >= 'A' && cp <= 'Z')
            cp += 32;
        if (!is_word_cp(cp)) {
            prev = -1;
            continue;
        }
        if (prev >= 0)
            out[n++] = ((uint64_t)(uint32_t)prev << 32) | (uint32_t)cp;
        prev = cp;
    }
    qsort(out, n, sizeof *out, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || out[u - 1] != out[i])
            out[u++] = out[i];
    return u;
}

static double jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, j = 0, inter = 0;
    while (i < na && j < nb) {
        if (a[i] == b[j]) {
            inter++;
            i++;
            j++;
        } else if (a[i] < b[j]) {
            i++;
        } else {
            j++;
        }
    }
    return na + nb - inter ? (double)inter / (double)(na + nb - inter) : 0;
}

static const char *text_of(const struct record *r)
{
    return r->clean_text ? r->clean_text : r->text;
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static int cmp_cand(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;
    return x->score < y->score   ? 1
           : x->score > y->score ? -1
                                 : (x->r.id < y->r.id) - (x->r.id > y->r.id);
}

/* Adds candidates: full-text hits for up to 6 bigrams spread over the text, then the
 * latest resolved cases of the same category and product. */
static void gather(struct store *s, const struct record *self, const uint64_t *bg, size_t nbg,
                   struct collect *col)
{
    struct store_filter f;
    struct store_page page;
    struct kerr e;
    size_t step = nbg > 6 ? nbg / 6 : 1;
    for (size_t i = 0; i < nbg && i / step < 6; i += step) {
        char q[16];
        int l = utf8_encode((int32_t)(bg[i] >> 32), q);
        l += utf8_encode((int32_t)(bg[i] & 0xffffffff), q + l);
        q[l] = 0;
        memset(&f, 0, sizeof f);
        f.status = RESOLVED;
        f.q = q;
        f.limit = 40;
        kerr_clear(&e);
        store_feedback_list(s, &f, collect_cb, col, &page, &e);
    }
    if (self->category_l1) {
        memset(&f, 0, sizeof f);
        f.status = RESOLVED;
        f.category = self->category_l1;
        f.limit = 100;
        store_feedback_list(s, &f, collect_cb, col, &page, &e);
    }
    if (self->product) {
        memset(&f, 0, sizeof f);
        f.status = RESOLVED;
        f.product = self->product;
        f.limit = 100;
        store_feedback_list(s, &f, collect_cb, col, &page, &e);
    }
}

int capa_similar_json(struct store *s, int64_t feedback_id, int limit, struct strbuf *out,
                      struct kerr *err)
{
    struct record self;
    struct collect col = {0};
    uint64_t *a = xmalloc(MAX_BIGRAMS * sizeof *a), *b = xmalloc(MAX_BIGRAMS * sizeof *b);
    size_t na;
    struct jsonw w;
    int rc;

    record_init(&self);
    if ((rc = store_feedback_get(s, feedback_id, &self, err)) < 0)
        goto out;
    col.c = xcalloc(MAX_CANDIDATES, sizeof *col.c);
    col.self = feedback_id;
    na = bigrams(text_of(&self), a);
    gather(s, &self, a, na, &col);
    for (size_t i = 0; i < col.n; i++) {
        struct cand *c = &col.c[i];
        size_t nb = bigrams(text_of(&c->r), b);
        int dist = __builtin_popcountll((uint64_t)(self.simhash ^ c->r.simhash));
        c->text_sim = jaccard(a, na, b, nb);
        c->hash_sim = self.simhash && c->r.simhash && dist < 32 ? 1 - dist / 32.0 : 0;
        c->score = 0.65 * c->text_sim + 0.20 * c->hash_sim +
                   0.10 * same(self.category_l1, c->r.category_l1) +
                   0.05 * same(self.product, c->r.product);
    }
    qsort(col.c, col.n, sizeof *col.c, cmp_cand);

    jsonw_init(&w, out);
    jsonw_obj(&w);
    jsonw_kint(&w, "feedback_id", feedback_id);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    for (size_t i = 0; i < col.n && (int)i < limit; i++) {
        struct cand *c = &col.c[i];
        char *resolution = NULL;
        struct kerr e;
        if (c->score <= 0.05)
            break;
        kerr_clear(&e);
        store_case_resolution(s, c->r.id, &resolution, &e);
        jsonw_obj(&w);
        jsonw_kint(&w, "id", c->r.id);
        jsonw_kdouble(&w, "score", c->score);
        jsonw_kdouble(&w, "text_similarity", c->text_sim);
        jsonw_kdouble(&w, "simhash_similarity", c->hash_sim);
        jsonw_kstr(&w, "title", c->r.title);
        jsonw_kstr(&w, "text", text_of(&c->r));
        jsonw_kstr(&w, "status", c->r.status);
        jsonw_kstr(&w, "category_l1", c->r.category_l1);
        jsonw_kstr(&w, "product", c->r.product);
        jsonw_kstr(&w, "resolution", resolution);
        jsonw_end(&w);
        free(resolution);
    }
    jsonw_end(&w);
    jsonw_key(&w, "articles");
    {
        struct strbuf kb = STRBUF_INIT;
        struct kerr e;
        kerr_clear(&e);
        if (self.category_l1 && store_kb_json(s, self.category_l1, NULL, 10, &kb, &e) == 0) {
            /* {"items":[...]} → the array */
            const char *p = strchr(kb.buf, '[');
            jsonw_raw(&w, p, kb.len - (size_t)(p - kb.buf) - 1);
        } else {
            jsonw_arr(&w);
            jsonw_end(&w);
        }
        strbuf_release(&kb);
    }
    jsonw_end(&w);
out:
    for (size_t i = 0; i < col.n; i++)
        record_release(&col.c[i].r);
    free(col.c);
    free(a);
    free(b);
    record_release(&self);
    return rc;
}
