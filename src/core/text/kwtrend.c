/* kwtrend: top and emerging keywords of a period (see kwtrend.h). */
#include "text/kwtrend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "base/banned.h"

void kw_counts_add(struct kw_counts *c, const char *word, int64_t n)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 256;
        c->v = xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    c->v[c->n++] = (struct kw_count){xstrdup(word), n, 0, 0, 0, 0, 0};
    c->sorted = 0;
}

static int by_word(const void *a, const void *b)
{
    return strcmp(((const struct kw_count *)a)->word, ((const struct kw_count *)b)->word);
}

void kw_counts_add_base(struct kw_counts *c, const char *word, int64_t n)
{
    struct kw_count key = {0}, *hit;
    if (!c->sorted) {
        qsort(c->v, c->n, sizeof(*c->v), by_word);
        c->sorted = 1;
    }
    key.word = (char *)word;
    if ((hit = bsearch(&key, c->v, c->n, sizeof(*c->v), by_word)))
        hit->base_n += n;
}

void kw_counts_finish(struct kw_counts *c)
{
    double n1 = (double)c->records, n0 = (double)c->base_records;
    if (!c->sorted) {
        qsort(c->v, c->n, sizeof(*c->v), by_word);
        c->sorted = 1;
    }
    for (size_t i = 0; i < c->n; i++) {
        struct kw_count *k = &c->v[i];
        double p1 = n1 > 0 ? (double)k->n / n1 : 0, p0 = n0 > 0 ? (double)k->base_n / n0 : 0;
        k->share = p1;
        k->base_share = p0;
        k->growth = n0 > 0 ? p1 / (k->base_n ? p0 : 0.5 / n0) : 0;
        if (n1 > 0 && n0 > 0) {
            double p = (double)(k->n + k->base_n) / (n1 + n0);
            double se = sqrt(p * (1 - p) * (1 / n1 + 1 / n0));
            k->z = se > 0 ? (p1 - p0) / se : 0;
        }
    }
}

static int by_count(const void *a, const void *b)
{
    const struct kw_count *x = *(const struct kw_count *const *)a,
                          *y = *(const struct kw_count *const *)b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->word, y->word);
}

static int by_z(const void *a, const void *b)
{
    const struct kw_count *x = *(const struct kw_count *const *)a,
                          *y = *(const struct kw_count *const *)b;
    if (x->z != y->z)
        return x->z < y->z ? 1 : -1;
    return by_count(a, b);
}

static size_t pick(struct kw_counts *c, const struct kw_count **out, size_t k, int64_t min_count,
                   int (*cmp)(const void *, const void *), int emerging)
{
    const struct kw_count **all = xmalloc((c->n + 1) * sizeof(*all));
    size_t m = 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct kw_count *w = &c->v[i];
        if (!emerging || (w->n >= min_count && w->share > w->base_share && w->z > 0))
            all[m++] = w;
    }
    qsort(all, m, sizeof(*all), cmp);
    if (m > k)
        m = k;
    memcpy(out, all, m * sizeof(*all));
    free(all);
    return m;
}

size_t kw_counts_top(struct kw_counts *c, const struct kw_count **out, size_t k)
{
    return pick(c, out, k, 0, by_count, 0);
}

size_t kw_counts_emerging(struct kw_counts *c, int64_t min_count, const struct kw_count **out,
                          size_t k)
{
    if (c->base_records <= 0)
        return 0;
    return pick(c, out, k, min_count, by_z, 1);
}

void kw_counts_release(struct kw_counts *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].word);
    free(c->v);
    memset(c, 0, sizeof(*c));
}
