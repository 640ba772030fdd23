/*
 * capa_suggest.c: problem candidates from SimHash clusters. Intake links a
 * near duplicate to its first copy only for one customer; the same text
 * from many customers is many complaints, and often one cause. Here records
 * whose SimHashes lie within 3 bits are joined (union-find), found without
 * comparing all pairs: split the 64 bits into four 16-bit bands; two hashes
 * within 3 bits agree on at least one band (pigeonhole), so only records
 * sharing a band value are compared.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/xmalloc.h"
#include "loop/capa.h"
#include "base/banned.h"

#define MAX_ROWS  200000
#define NEAR_BITS 3
#define RUN_CMP   32 /* comparisons back within one band value (identical texts are one run) */

struct row {
    int64_t id;
    uint64_t h;
    char *snippet, *category, *product;
};

struct rows {
    struct row *r;
    size_t n, cap;
};

static int add_row(void *arg, int64_t id, int64_t simhash, const char *snippet,
                   const char *category, const char *product)
{
    struct rows *rs = arg;
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 1024;
        rs->r = xrealloc(rs->r, rs->cap * sizeof *rs->r);
    }
    rs->r[rs->n++] =
        (struct row){id, (uint64_t)simhash, xstrdup(snippet ? snippet : ""),
                     category ? xstrdup(category) : NULL, product ? xstrdup(product) : NULL};
    return 0;
}

static size_t find(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

struct keyed {
    uint32_t key;
    uint32_t idx;
};

static int cmp_keyed(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    return x->key != y->key ? (x->key < y->key ? -1 : 1) : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

struct cluster {
    size_t root, n;
};

static int cmp_cluster(const void *a, const void *b)
{
    const struct cluster *x = a, *y = b;
    return x->n != y->n ? (x->n < y->n ? 1 : -1) : (x->root > y->root) - (x->root < y->root);
}

int capa_simhash_clusters_json(struct store *s, int64_t since, int64_t until, int min_cases,
                               int limit, struct strbuf *out, struct kerr *err)
{
    struct rows rs = {0};
    struct keyed *k = NULL;
    size_t *parent = NULL, *size = NULL, nc = 0;
    struct cluster *cl = NULL;
    struct jsonw w;
    int rc;

    if ((rc = store_simhash_window(s, since, until, MAX_ROWS, add_row, &rs, err)) < 0)
        goto out;
    parent = xmalloc((rs.n + 1) * sizeof *parent);
    size = xcalloc(rs.n + 1, sizeof *size);
    k = xmalloc((rs.n + 1) * sizeof *k);
    for (size_t i = 0; i < rs.n; i++)
        parent[i] = i;
    for (int band = 0; band < 4; band++) {
        for (size_t i = 0; i < rs.n; i++)
            k[i] = (struct keyed){(uint32_t)((rs.r[i].h >> (16 * band)) & 0xffff), (uint32_t)i};
        qsort(k, rs.n, sizeof *k, cmp_keyed);
        for (size_t i = 1; i < rs.n; i++) {
            for (size_t j = i; j-- > 0 && i - j <= RUN_CMP && k[j].key == k[i].key;) {
                const struct row *a = &rs.r[k[i].idx], *b = &rs.r[k[j].idx];
                if (__builtin_popcountll(a->h ^ b->h) <= NEAR_BITS) {
                    size_t x = find(parent, k[i].idx), y = find(parent, k[j].idx);
                    if (x != y)
                        parent[x > y ? x : y] = x < y ? x : y; /* the oldest is the root */
                }
            }
        }
    }
    for (size_t i = 0; i < rs.n; i++)
        size[find(parent, i)]++;
    cl = xmalloc((rs.n + 1) * sizeof *cl);
    for (size_t i = 0; i < rs.n; i++)
        if (parent[i] == i && size[i] >= (size_t)min_cases)
            cl[nc++] = (struct cluster){i, size[i]};
    qsort(cl, nc, sizeof *cl, cmp_cluster);

    jsonw_init(&w, out);
    jsonw_arr(&w);
    for (size_t c = 0; c < nc && (int)c < limit; c++) {
        const struct row *root = &rs.r[cl[c].root];
        int listed = 0;
        jsonw_obj(&w);
        jsonw_kstr(&w, "basis", "simhash");
        jsonw_kint(&w, "n", (int64_t)cl[c].n);
        jsonw_kstr(&w, "sample", root->snippet);
        jsonw_kstr(&w, "category", root->category);
        jsonw_kstr(&w, "product", root->product);
        jsonw_key(&w, "cases");
        jsonw_arr(&w);
        for (size_t i = cl[c].root; i < rs.n && listed < 50; i++)
            if (find(parent, i) == cl[c].root) {
                jsonw_int(&w, rs.r[i].id);
                listed++;
            }
        jsonw_end(&w);
        jsonw_end(&w);
    }
    jsonw_end(&w);
out:
    for (size_t i = 0; i < rs.n; i++) {
        free(rs.r[i].snippet);
        free(rs.r[i].category);
        free(rs.r[i].product);
    }
    free(rs.r);
    free(k);
    free(parent);
    free(size);
    free(cl);
    return rc;
}
