/*
 * stats.c: metrics as JSON. See stats.h and docs/metrics.md for definitions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/xmalloc.h"
#include "insight/stats.h"
#include "base/banned.h"

#define DAY_MS (86400 * 1000LL)

/* ---- formulas -------------------------------------------------------------------- */

double metric_share(int64_t part, int64_t whole)
{
    return whole > 0 ? (double)part / (double)whole : NAN;
}

double metric_change(int64_t cur, int64_t prev)
{
    return prev > 0 ? (double)(cur - prev) / (double)prev : NAN;
}

double metric_nps(int64_t promoters, int64_t detractors, int64_t answers)
{
    return answers > 0 ? 100.0 * (double)(promoters - detractors) / (double)answers : NAN;
}

double metric_lift(int64_t cell, int64_t row_total, int64_t col_total, int64_t total)
{
    if (row_total <= 0 || col_total <= 0 || total <= 0)
        return NAN;
    return ((double)cell / (double)row_total) / ((double)col_total / (double)total);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void metric_dist(double *v, size_t n, struct metric_dist *out)
{
    double sum = 0;
    out->n = (int64_t)n;
    if (n == 0) {
        out->mean = out->median = out->p90 = NAN;
        return;
    }
    qsort(v, n, sizeof(*v), cmp_double);
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    out->mean = sum / (double)n;
    out->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    /* nearest rank: the smallest value with at least 90 % of values at or below it */
    size_t rank = (size_t)ceil(0.9 * (double)n);
    out->p90 = v[(rank ? rank : 1) - 1];
}

static int cmp_pareto(const void *a, const void *b)
{
    const struct pareto_item *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->key, y->key);
}

size_t metric_pareto(struct pareto_item *items, size_t n, int64_t *total)
{
    int64_t t = 0, cum = 0;
    size_t cut = 0;
    if (n > 1)
        qsort(items, n, sizeof(*items), cmp_pareto);
    for (size_t i = 0; i < n; i++)
        t += items[i].n;
    for (size_t i = 0; i < n; i++) {
        cum += items[i].n;
        items[i].share = metric_share(items[i].n, t);
        items[i].cum_share = metric_share(cum, t);
        /* exact integer test: cum / t >= 0.8 */
        if (!cut && cum * 5 >= t * 4)
            cut = i + 1;
    }
    *total = t;
    return cut;
}

int64_t stats_day_year_before(int64_t day)
{
    int y, m, d;
    clock_day_ymd(day, &y, &m, &d);
    if (m == 2 && d == 29)
        d = 28;
    return clock_ymd_day(y - 1, m, d);
}

/* ---- periods ---------------------------------------------------------------------- */

void stats_days(struct stats_query *q, int64_t day0, int64_t day1)
{
    q->day0 = day0;
    q->day1 = day1;
    q->t0 = clock_day_start(day0);
    q->t1 = clock_day_start(day1 + 1);
}

static bool date_only(const char *s)
{
    return strlen(s) == 10 && s[4] == '-' && s[7] == '-';
}

int stats_period(const char *from, const char *to, int64_t now_ms, struct stats_query *q,
                 struct kerr *err)
{
    int64_t t0, t1;
    if (to && *to) {
        if (clock_parse(to, strlen(to), &t1) < 0)
            return kerr_set(err, KERR_INVALID, "invalid_time", "to",
                            "to is an RFC 3339 time or a date YYYY-MM-DD");
        if (date_only(to))
            t1 = clock_day_start(clock_local_day(t1, NULL) + 1);
    } else {
        t1 = clock_day_start(clock_local_day(now_ms, NULL) + 1);
    }
    if (from && *from) {
        if (clock_parse(from, strlen(from), &t0) < 0)
            return kerr_set(err, KERR_INVALID, "invalid_time", "from",
                            "from is an RFC 3339 time or a date YYYY-MM-DD");
    } else {
        t0 = clock_day_start(clock_local_day(t1 - 1, NULL) - 29);
    }
    if (t0 >= t1)
        return kerr_set(err, KERR_INVALID, "invalid_time", "from", "from must come before to");
    if (t1 - t0 > 3700 * DAY_MS)
        return kerr_set(err, KERR_INVALID, "invalid_time", "from",
                        "the period is at most ten years");
    q->t0 = t0;
    q->t1 = t1;
    q->day0 = clock_local_day(t0, NULL);
    q->day1 = clock_local_day(t1 - 1, NULL);
    return 0;
}

/* ---- a small string -> index map ---------------------------------------------------- */

struct keymap {
    char **keys;
    size_t n, cap;
    size_t *slots; /* index + 1, 0 empty */
    size_t nslots;
};

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static size_t keymap_get(struct keymap *m, const char *key)
{
    if ((m->n + 1) * 2 > m->nslots) {
        size_t ns = m->nslots ? m->nslots * 2 : 64;
        size_t *sl = xcalloc(ns, sizeof(*sl));
        for (size_t i = 0; i < m->n; i++) {
            size_t j = str_hash(m->keys[i]) & (ns - 1);
            while (sl[j])
                j = (j + 1) & (ns - 1);
            sl[j] = i + 1;
        }
        free(m->slots);
        m->slots = sl;
        m->nslots = ns;
    }
    size_t j = str_hash(key) & (m->nslots - 1);
    while (m->slots[j]) {
        if (strcmp(m->keys[m->slots[j] - 1], key) == 0)
            return m->slots[j] - 1;
        j = (j + 1) & (m->nslots - 1);
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 16;
        m->keys = xrealloc(m->keys, m->cap * sizeof(*m->keys));
    }
    m->keys[m->n] = xstrdup(key);
    m->slots[j] = m->n + 1;
    return m->n++;
}

static void keymap_free(struct keymap *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->slots);
}

/* int64 arrays grown to index i */
static void grow_to(int64_t **a, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc *= 2;
    *a = xrealloc(*a, nc * sizeof(**a));
    memset(*a + *cap, 0, (nc - *cap) * sizeof(**a));
    *cap = nc;
}

static const char *show_key(const char *k)
{
    return *k ? k : "(none)";
}

/* ---- sums over the rollups ---------------------------------------------------------- */

struct sums {
    int64_t n, neg, dup;
};

static int sum_cb(void *arg, const struct store_stats_cell *c)
{
    struct sums *s = arg;
    s->n += c->n;
    s->neg += c->neg;
    s->dup += c->dup;
    return 0;
}

/*
 * Rollup rows of a dimension or "all" from the stats cube when it is loaded (the same
 * counts; one row per day and value when per_day, else per value), else from SQLite;
 * q->exact always reads SQLite.
 */
static int rollup_read(struct store *s, const struct stats_query *q, const char *dim, int64_t day0,
                       int64_t day1, bool per_day, store_stats_cb cb, void *arg, struct kerr *err)
{
    if (!q->exact && store_cube_rollup(s, dim, day0, day1, per_day, cb, arg) == 0)
        return 0;
    return store_stats_rollup(s, dim, day0, day1, cb, arg, err);
}

static int total_of(struct store *s, const struct stats_query *q, int64_t day0, int64_t day1,
                    struct sums *out, struct kerr *err)
{
    memset(out, 0, sizeof(*out));
    return rollup_read(s, q, "all", day0, day1, false, sum_cb, out, err);
}

static int check_dim(const char *dim, const char *field, struct kerr *err)
{
    if (!dim || !store_stats_dim_ok(dim))
        return kerr_set(err, KERR_INVALID, "invalid_field", field,
                        "%s is one of channel, category_l1, category_l2, category_l3, product, "
                        "store, region, severity, customer_segment, sentiment, team, assignee",
                        field);
    return 0;
}

/* ---- volume ------------------------------------------------------------------------- */

/* The bucket start (a local day) of day, and its label. */
static int64_t bucket_of(const char *bucket, int64_t day, char label[16])
{
    int y, m, d;
    if (bucket[0] == 'w') {
        day -= clock_day_weekday(day) - 1;
        clock_day_str(day, label);
    } else if (bucket[0] == 'm') {
        clock_day_ymd(day, &y, &m, &d);
        day -= d - 1;
        snprintf(label, 16, "%04d-%02d", y % 10000, m % 100);
    } else {
        clock_day_str(day, label);
    }
    return day;
}

struct volume {
    const struct stats_query *q;
    struct keymap keys;
    int64_t nb;       /* buckets */
    int64_t *bstart;  /* bucket start days */
    int64_t **counts; /* per key, per bucket */
    int64_t *totals;  /* per key */
    size_t cap, tcap;
};

static int64_t bucket_index(struct volume *v, int64_t day)
{
    int64_t lo = 0, hi = v->nb - 1;
    while (lo < hi) { /* last bucket starting at or before day */
        int64_t mid = (lo + hi + 1) / 2;
        if (v->bstart[mid] <= day)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static int volume_cb(void *arg, const struct store_stats_cell *c)
{
    struct volume *v = arg;
    size_t k = keymap_get(&v->keys, c->key);
    if (k >= v->cap) {
        size_t old = v->cap, nc = old ? old * 2 : 16;
        v->counts = xrealloc(v->counts, nc * sizeof(*v->counts));
        for (size_t i = old; i < nc; i++)
            v->counts[i] = xcalloc((size_t)v->nb, sizeof(int64_t));
        v->cap = nc;
    }
    grow_to(&v->totals, &v->tcap, k + 1);
    v->counts[k][bucket_index(v, c->day)] += c->n;
    v->totals[k] += c->n;
    return 0;
}

static int cmp_keys_by_total(const void *a, const void *b, void *ctx)
{
    const struct volume *sort_ctx = ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (sort_ctx->totals[x] != sort_ctx->totals[y])
        return sort_ctx->totals[x] > sort_ctx->totals[y] ? -1 : 1;
    return strcmp(sort_ctx->keys.keys[x], sort_ctx->keys.keys[y]);
}

int stats_volume_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                      struct kerr *err)
{
    const char *bucket = q->bucket ? q->bucket : "day";
    struct volume v = {.q = q};
    struct sums cur, prev, yoy;
    struct jsonw w;
    char label[16];
    int rc;
    size_t *order = NULL;
    int limit = q->limit > 0 ? q->limit : 50;

    if ((rc = check_dim(q->by, "by", err)) < 0)
        return rc;
    if (strcmp(bucket, "day") && strcmp(bucket, "week") && strcmp(bucket, "month"))
        return kerr_set(err, KERR_INVALID, "invalid_field", "bucket",
                        "bucket is day, week or month");
    /* buckets covering [day0, day1] */
    {
        int64_t cap = 0;
        for (int64_t d = q->day0; d <= q->day1; d++) {
            int64_t b = bucket_of(bucket, d, label);
            if (v.nb == 0 || v.bstart[v.nb - 1] != b) {
                if (v.nb == cap) {
                    cap = cap ? cap * 2 : 64;
                    v.bstart = xrealloc(v.bstart, (size_t)cap * sizeof(int64_t));
                }
                v.bstart[v.nb++] = b;
            }
        }
    }
    if ((rc = rollup_read(s, q, q->by, q->day0, q->day1, true, volume_cb, &v, err)) < 0)
        goto out;
    int64_t len = q->day1 - q->day0 + 1;
    if ((rc = total_of(s, q, q->day0, q->day1, &cur, err)) < 0 ||
        (rc = total_of(s, q, q->day0 - len, q->day0 - 1, &prev, err)) < 0 ||
        (rc = total_of(s, q, stats_day_year_before(q->day0), stats_day_year_before(q->day1), &yoy,
                       err)) < 0)
        goto out;

    order = xcalloc(v.keys.n + 1, sizeof(*order));
    for (size_t i = 0; i < v.keys.n; i++)
        order[i] = i;
    if (v.keys.n > 1)
        qsort_r(order, v.keys.n, sizeof(*order), cmp_keys_by_total, &v);

    jsonw_init(&w, out);
    jsonw_obj(&w);
    jsonw_kstr(&w, "by", q->by);
    jsonw_kstr(&w, "bucket", bucket);
    jsonw_kstr(&w, "from", clock_day_str(q->day0, label));
    jsonw_kstr(&w, "to", clock_day_str(q->day1, label));
    jsonw_key(&w, "series");
    jsonw_arr(&w);
    int64_t other_total = 0;
    int64_t *other = xcalloc((size_t)v.nb + 1, sizeof(int64_t));
    for (size_t oi = 0; oi < v.keys.n; oi++) {
        size_t k = order[oi];
        if ((int)oi >= limit) {
            for (int64_t b = 0; b < v.nb; b++)
                other[b] += v.counts[k][b];
            other_total += v.totals[k];
            continue;
        }
        jsonw_obj(&w);
        jsonw_kstr(&w, "key", show_key(v.keys.keys[k]));
        jsonw_kint(&w, "total", v.totals[k]);
        jsonw_key(&w, "points");
        jsonw_arr(&w);
        for (int64_t b = 0; b < v.nb; b++) {
            jsonw_obj(&w);
            bucket_of(bucket, v.bstart[b], label);
            jsonw_kstr(&w, "t", label);
            jsonw_kint(&w, "n", v.counts[k][b]);
            jsonw_end(&w);
        }
        jsonw_end(&w);
        jsonw_end(&w);
    }
    if (other_total > 0) {
        jsonw_obj(&w);
        jsonw_kstr(&w, "key", "(other)");
        jsonw_kint(&w, "total", other_total);
        jsonw_key(&w, "points");
        jsonw_arr(&w);
        for (int64_t b = 0; b < v.nb; b++) {
            bucket_of(bucket, v.bstart[b], label);
            jsonw_obj(&w);
            jsonw_kstr(&w, "t", label);
            jsonw_kint(&w, "n", other[b]);
            jsonw_end(&w);
        }
        jsonw_end(&w);
        jsonw_end(&w);
    }
    free(other);
    jsonw_end(&w);
    jsonw_kint(&w, "total", cur.n);
    jsonw_kint(&w, "previous", prev.n);
    jsonw_kint(&w, "year_before", yoy.n);
    jsonw_key(&w, "change");
    jsonw_obj(&w);
    jsonw_kdouble(&w, "pop", metric_change(cur.n, prev.n));
    jsonw_kdouble(&w, "yoy", metric_change(cur.n, yoy.n));
    jsonw_end(&w);
    jsonw_end(&w);
out:
    free(order);
    for (size_t i = 0; i < v.cap; i++)
        free(v.counts[i]);
    free(v.counts);
    free(v.totals);
    free(v.bstart);
    keymap_free(&v.keys);
    return rc;
}

/* ---- per-key totals (pareto, heatmap) -------------------------------------------------- */

struct keysum {
    struct keymap keys;
    int64_t *n;
    size_t cap;
};

static int keysum_cb(void *arg, const struct store_stats_cell *c)
{
    struct keysum *ks = arg;
    size_t k = keymap_get(&ks->keys, c->key);
    grow_to(&ks->n, &ks->cap, k + 1);
    ks->n[k] += c->n;
    return 0;
}

int stats_pareto_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                      struct kerr *err)
{
    const char *by = q->by ? q->by : "category_l1";
    struct keysum ks = {0};
    struct pareto_item *items = NULL;
    size_t ni = 0, cut;
    int64_t total, none = 0;
    struct jsonw w;
    char label[16];
    int rc;

    if ((rc = check_dim(by, "by", err)) < 0)
        return rc;
    if ((rc = rollup_read(s, q, by, q->day0, q->day1, false, keysum_cb, &ks, err)) < 0)
        goto out;
    items = xcalloc(ks.keys.n + 1, sizeof(*items));
    for (size_t i = 0; i < ks.keys.n; i++) {
        if (!*ks.keys.keys[i]) {
            none += ks.n[i];
            continue;
        }
        if (ks.n[i] > 0)
            items[ni++] = (struct pareto_item){ks.keys.keys[i], ks.n[i], 0, 0};
    }
    cut = metric_pareto(items, ni, &total);
    jsonw_init(&w, out);
    jsonw_obj(&w);
    jsonw_kstr(&w, "by", by);
    jsonw_kstr(&w, "from", clock_day_str(q->day0, label));
    jsonw_kstr(&w, "to", clock_day_str(q->day1, label));
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    for (size_t i = 0; i < ni; i++) {
        jsonw_obj(&w);
        jsonw_kstr(&w, "key", items[i].key);
        jsonw_kint(&w, "n", items[i].n);
        jsonw_kdouble(&w, "share", items[i].share);
        jsonw_kdouble(&w, "cum_share", items[i].cum_share);
        jsonw_kbool(&w, "vital", i < cut);
        jsonw_end(&w);
    }
    jsonw_end(&w);
    jsonw_kint(&w, "total", total);
    jsonw_kint(&w, "cut80", (int64_t)cut);
    jsonw_kint(&w, "unset", none);
    jsonw_end(&w);
out:
    free(items);
    free(ks.n);
    keymap_free(&ks.keys);
    return rc;
}

/* ---- crosstab ------------------------------------------------------------------------- */

struct xtab {
    bool swapped;
    struct keymap rows, cols;
    int64_t *rt, *ct;
    size_t rcap, ccap;
    struct keymap cells; /* "row\x1fcol" */
    int64_t *cn;
    size_t cncap;
    int64_t total;
};

static int xtab_cb(void *arg, const struct store_stats_cell *c)
{
    struct xtab *x = arg;
    const char *r = x->swapped ? c->key2 : c->key, *co = x->swapped ? c->key : c->key2;
    size_t ri = keymap_get(&x->rows, r), ci = keymap_get(&x->cols, co);
    size_t cl = strlen(r) + strlen(co) + 2;
    char *ck = xmalloc(cl);
    snprintf(ck, cl, "%s\x1f%s", r, co);
    size_t k = keymap_get(&x->cells, ck);
    free(ck);
    grow_to(&x->rt, &x->rcap, ri + 1);
    grow_to(&x->ct, &x->ccap, ci + 1);
    grow_to(&x->cn, &x->cncap, k + 1);
    x->rt[ri] += c->n;
    x->ct[ci] += c->n;
    x->cn[k] += c->n;
    x->total += c->n;
    return 0;
}

int stats_crosstab_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                        struct kerr *err)
{
    const char *rows = q->rows ? q->rows : "customer_segment";
    const char *cols = q->cols ? q->cols : "category_l1";
    struct xtab x = {0};
    const char *pair, *source;
    struct jsonw w;
    char label[16];
    int rc;

    if ((rc = check_dim(rows, "rows", err)) < 0 || (rc = check_dim(cols, "cols", err)) < 0)
        return rc;
    if (strcmp(rows, cols) == 0)
        return kerr_set(err, KERR_INVALID, "invalid_field", "cols",
                        "rows and cols must be two different dimensions");
    pair = store_stats_pair(rows, cols, &x.swapped);
    source = pair ? "rollup" : "scan";
    rc = 1;
    /* the cube counts whole local days, as the rollups do; the scan takes any period */
    if (!q->exact &&
        (pair || (q->t0 == clock_day_start(q->day0) && q->t1 == clock_day_start(q->day1 + 1)))) {
        char a[64] = "", *b = a;
        if (pair) { /* in the rollup's order of the pair ("a|b"), which its rows follow */
            snprintf(a, sizeof a, "%s", pair);
            b = strchr(a, '|');
            *b++ = 0;
        }
        rc = store_cube_crosstab(s, pair ? a : rows, pair ? b : cols, q->day0, q->day1,
                                 pair != NULL, xtab_cb, &x);
        if (rc == 0)
            source = "cube";
    }
    if (rc == 1 && pair)
        rc = store_stats_rollup(s, pair, q->day0, q->day1, xtab_cb, &x, err);
    else if (rc == 1)
        rc = store_stats_crosstab_scan(s, rows, cols, q->t0, q->t1, xtab_cb, &x, err);
    if (rc < 0)
        goto out;
    jsonw_init(&w, out);
    jsonw_obj(&w);
    jsonw_kstr(&w, "rows", rows);
    jsonw_kstr(&w, "cols", cols);
    jsonw_kstr(&w, "from", clock_day_str(q->day0, label));
    jsonw_kstr(&w, "to", clock_day_str(q->day1, label));
    jsonw_kstr(&w, "source", source);
    jsonw_kint(&w, "total", x.total);
    jsonw_key(&w, "row_totals");
    jsonw_arr(&w);
    for (size_t i = 0; i < x.rows.n; i++) {
        jsonw_obj(&w);
        jsonw_kstr(&w, "key", show_key(x.rows.keys[i]));
        jsonw_kint(&w, "n", x.rt[i]);
        jsonw_kdouble(&w, "share", metric_share(x.rt[i], x.total));
        jsonw_end(&w);
    }
    jsonw_end(&w);
    jsonw_key(&w, "col_totals");
    jsonw_arr(&w);
    for (size_t i = 0; i < x.cols.n; i++) {
        jsonw_obj(&w);
        jsonw_kstr(&w, "key", show_key(x.cols.keys[i]));
        jsonw_kint(&w, "n", x.ct[i]);
        jsonw_kdouble(&w, "share", metric_share(x.ct[i], x.total));
        jsonw_end(&w);
    }
    jsonw_end(&w);
    jsonw_key(&w, "cells");
    jsonw_arr(&w);
    for (size_t k = 0; k < x.cells.n; k++) {
        if (x.cn[k] == 0)
            continue;
        const char *ck = x.cells.keys[k], *us = strchr(ck, '\x1f');
        char *rk = xstrndup(ck, (size_t)(us - ck));
        size_t ri = keymap_get(&x.rows, rk), ci = keymap_get(&x.cols, us + 1);
        jsonw_obj(&w);
        jsonw_kstr(&w, "row", show_key(rk));
        jsonw_kstr(&w, "col", show_key(us + 1));
        jsonw_kint(&w, "n", x.cn[k]);
        jsonw_kdouble(&w, "share", metric_share(x.cn[k], x.total));
        jsonw_kdouble(&w, "row_share", metric_share(x.cn[k], x.rt[ri]));
        jsonw_kdouble(&w, "lift", metric_lift(x.cn[k], x.rt[ri], x.ct[ci], x.total));
        jsonw_end(&w);
        free(rk);
    }
    jsonw_end(&w);
    jsonw_end(&w);
out:
    keymap_free(&x.rows);
    keymap_free(&x.cols);
    keymap_free(&x.cells);
    free(x.rt);
    free(x.ct);
    free(x.cn);
    return rc;
}

/* ---- heatmap -------------------------------------------------------------------------- */

struct heat {
    int64_t n[8][24];
};

static int heat_cb(void *arg, const struct store_stats_cell *c)
{
    struct heat *h = arg;
    int hour = (int)strtol(c->key, NULL, 10);
    if (hour >= 0 && hour < 24)
        h->n[clock_day_weekday(c->day)][hour] += c->n;
    return 0;
}

int stats_heatmap_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                       struct kerr *err)
{
    struct heat h;
    struct jsonw w;
    char label[16];
    int64_t total = 0;
    int rc;
    memset(&h, 0, sizeof h);
    if ((rc = store_stats_rollup(s, "hour", q->day0, q->day1, heat_cb, &h, err)) < 0)
        return rc;
    jsonw_init(&w, out);
    jsonw_obj(&w);
    jsonw_kstr(&w, "from", clock_day_str(q->day0, label));
    jsonw_kstr(&w, "to", clock_day_str(q->day1, label));
    jsonw_key(&w, "cells");
    jsonw_arr(&w);
    for (int d = 1; d <= 7; d++)
        for (int hr = 0; hr < 24; hr++) {
            total += h.n[d][hr];
            jsonw_obj(&w);
            jsonw_kint(&w, "weekday", d);
            jsonw_kint(&w, "hour", hr);
            jsonw_kint(&w, "n", h.n[d][hr]);
            jsonw_end(&w);
        }
    jsonw_end(&w);
    jsonw_kint(&w, "total", total);
    jsonw_end(&w);
    return 0;
}

/* ---- satisfaction --------------------------------------------------------------------- */

struct sat {
    int64_t responses, csat_n, csat_ok, nps_n, promoters, detractors, hand_n, hand_ok;
};

static int sat_cb(void *arg, const struct store_survey *sv)
{
    struct sat *t = arg;
    t->responses++;
    if (sv->csat >= 1) {
        t->csat_n++;
        t->csat_ok += sv->csat >= 4;
    }
    if (sv->nps >= 0) {
        t->nps_n++;
        t->promoters += sv->nps >= 9;
        t->detractors += sv->nps <= 6;
    }
    if (sv->handling >= 1) {
        t->hand_n++;
        t->hand_ok += sv->handling >= 4;
    }
    return 0;
}

int stats_satisfaction_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                            struct kerr *err)
{
    struct sat t = {0}, p = {0};
    struct jsonw w;
    char label[16];
    int64_t len = q->t1 - q->t0;
    int rc;
    if ((rc = store_stats_surveys(s, q->t0, q->t1, sat_cb, &t, err)) < 0 ||
        (rc = store_stats_surveys(s, q->t0 - len, q->t0, sat_cb, &p, err)) < 0)
        return rc;
    double csat = metric_share(t.csat_ok, t.csat_n), pcsat = metric_share(p.csat_ok, p.csat_n);
    double nps = metric_nps(t.promoters, t.detractors, t.nps_n);
    double pnps = metric_nps(p.promoters, p.detractors, p.nps_n);
    jsonw_init(&w, out);
    jsonw_obj(&w);
    jsonw_kstr(&w, "from", clock_day_str(q->day0, label));
    jsonw_kstr(&w, "to", clock_day_str(q->day1, label));
    jsonw_kdouble(&w, "csat", csat);
    jsonw_kdouble(&w, "nps", nps);
    jsonw_kdouble(&w, "handling", metric_share(t.hand_ok, t.hand_n));
    jsonw_kint(&w, "responses", t.responses);
    jsonw_kint(&w, "csat_answers", t.csat_n);
    jsonw_kint(&w, "nps_answers", t.nps_n);
    jsonw_kint(&w, "promoters", t.promoters);
    jsonw_kint(&w, "detractors", t.detractors);
    jsonw_kint(&w, "handling_answers", t.hand_n);
    jsonw_key(&w, "change");
    jsonw_obj(&w);
    jsonw_kdouble(&w, "csat_points", 100 * (csat - pcsat));
    jsonw_kdouble(&w, "nps_points", nps - pnps);
    jsonw_end(&w);
    jsonw_end(&w);
    return 0;
}

/* ---- cases: SLA, handling, staff ---------------------------------------------------------- */

/*
 * Both paths fill the same counters, indexed by case metric (STATS_CM_*,
 * store/db.h): the rollups (stats_cases) when they can answer the query,
 * else a scan of the records through store_case_view_of, the one definition
 * of what a case counts.
 */
#define CM(flag) (__builtin_ctz(flag) + 1)
#define HOUR_MS  3600000.0

struct dvec {
    double *v;
    size_t n, cap;
};

static void dvec_push(struct dvec *d, double x)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 256;
        d->v = xrealloc(d->v, d->cap * sizeof(double));
    }
    d->v[d->n++] = x;
}

struct handling {
    int64_t m[STATS_CM_COUNT], ms[STATS_CM_COUNT];
    struct dvec ack, resolve; /* the scan: every value, in hours */
    bool hist;                /* the rollups: histograms */
    int64_t ack_hn[STATS_HIST_BUCKETS], ack_hs[STATS_HIST_BUCKETS];
    int64_t res_hn[STATS_HIST_BUCKETS], res_hs[STATS_HIST_BUCKETS];
};

/* Adds what view v counts to m and ms. */
static void counters_add(int64_t *m, int64_t *ms, const struct store_case_view *v)
{
    m[STATS_CM_RECORDS]++;
    for (int b = 0; b < STATS_CF_COUNT; b++)
        m[b + 1] += (v->flags >> b) & 1;
    if (v->ack >= 0) {
        m[STATS_CM_ACK]++;
        ms[STATS_CM_ACK] += v->ack;
    }
    if (v->res >= 0) {
        m[STATS_CM_RESOLVE]++;
        ms[STATS_CM_RESOLVE] += v->res;
    }
    if (v->hand >= 0) {
        m[STATS_CM_HANDLING]++;
        ms[STATS_CM_HANDLING] += v->hand;
    }
}

static void handling_add(struct handling *h, const struct store_case_view *v)
{
    counters_add(h->m, h->ms, v);
    if (v->ack >= 0)
        dvec_push(&h->ack, (double)v->ack / HOUR_MS);
    if (v->res >= 0)
        dvec_push(&h->resolve, (double)v->res / HOUR_MS);
}

static int handling_rollup_cb(void *arg, const char *key, int metric, int64_t n, int64_t sum)
{
    struct handling *h = arg;
    (void)key;
    if (metric >= 0 && metric < STATS_CM_COUNT) {
        h->m[metric] += n;
        h->ms[metric] += sum;
    } else if (metric >= STATS_CM_ACK_HIST && metric < STATS_CM_ACK_HIST + STATS_HIST_BUCKETS) {
        h->ack_hn[metric - STATS_CM_ACK_HIST] += n;
        h->ack_hs[metric - STATS_CM_ACK_HIST] += sum;
    } else if (metric >= STATS_CM_RESOLVE_HIST &&
               metric < STATS_CM_RESOLVE_HIST + STATS_HIST_BUCKETS) {
        h->res_hn[metric - STATS_CM_RESOLVE_HIST] += n;
        h->res_hs[metric - STATS_CM_RESOLVE_HIST] += sum;
    }
    return 0;
}

static double hist_value(const int64_t *hn, const int64_t *hs, int nb, int64_t rank)
{
    int64_t cum = 0;
    for (int b = 0; b < nb; b++) {
        cum += hn[b];
        if (cum >= rank && hn[b] > 0)
            return (double)hs[b] / (double)hn[b] / HOUR_MS;
    }
    return NAN;
}

void metric_hist_dist(const int64_t *hn, const int64_t *hs, int nb, int64_t n, int64_t sum,
                      struct metric_dist *out)
{
    out->n = n;
    if (n <= 0) {
        out->mean = out->median = out->p90 = NAN;
        return;
    }
    out->mean = (double)sum / (double)n / HOUR_MS;
    out->median = n % 2 ? hist_value(hn, hs, nb, n / 2 + 1)
                        : (hist_value(hn, hs, nb, n / 2) + hist_value(hn, hs, nb, n / 2 + 1)) / 2;
    int64_t rank = (int64_t)ceil(0.9 * (double)n);
    out->p90 = hist_value(hn, hs, nb, rank ? rank : 1);
}

static void dist_json(struct jsonw *w, const char *key, const struct handling *h, int metric)
{
    struct metric_dist m;
    bool ack = metric == STATS_CM_ACK;
    if (h->hist) {
        metric_hist_dist(ack ? h->ack_hn : h->res_hn, ack ? h->ack_hs : h->res_hs,
                         STATS_HIST_BUCKETS, h->m[metric], h->ms[metric], &m);
    } else {
        const struct dvec *d = ack ? &h->ack : &h->resolve;
        metric_dist(d->v, d->n, &m);
        /* the mean from the sum of ms, as the rollups keep it */
        if (m.n > 0)
            m.mean = (double)h->ms[metric] / (double)h->m[metric] / HOUR_MS;
    }
    jsonw_key(w, key);
    jsonw_obj(w);
    jsonw_kint(w, "n", m.n);
    jsonw_kdouble(w, "mean", m.mean);
    jsonw_kdouble(w, "median", m.median);
    jsonw_kdouble(w, "p90", m.p90);
    jsonw_end(w);
}

static void sla_write(const struct handling *h, const struct stats_query *q, const char *source,
                      struct strbuf *out)
{
    const int64_t *m = h->m;
    int64_t cases = m[CM(STATS_CF_SLA)], breached = m[CM(STATS_CF_SLA_BREACHED)];
    struct jsonw w;
    char label[16];
    jsonw_init(&w, out);
    jsonw_obj(&w);
    jsonw_kstr(&w, "from", clock_day_str(q->day0, label));
    jsonw_kstr(&w, "to", clock_day_str(q->day1, label));
    jsonw_kstr(&w, "source", source);
    jsonw_kdouble(&w, "compliance", metric_share(cases - breached, cases));
    jsonw_kint(&w, "breached", breached);
    jsonw_kint(&w, "cases", cases);
    jsonw_key(&w, "breached_by_target");
    jsonw_obj(&w);
    jsonw_kint(&w, "acknowledgement", m[CM(STATS_CF_SLA_ACK)]);
    jsonw_kint(&w, "response", m[CM(STATS_CF_SLA_RESPONSE)]);
    jsonw_kint(&w, "resolution", m[CM(STATS_CF_SLA_RESOLUTION)]);
    jsonw_end(&w);
    jsonw_key(&w, "met_by_target");
    jsonw_obj(&w);
    jsonw_kint(&w, "acknowledgement", cases - m[CM(STATS_CF_SLA_ACK)]);
    jsonw_kint(&w, "response", cases - m[CM(STATS_CF_SLA_RESPONSE)]);
    jsonw_kint(&w, "resolution", cases - m[CM(STATS_CF_SLA_RESOLUTION)]);
    jsonw_end(&w);
    jsonw_end(&w);
}

static void handling_write(const struct handling *h, const struct stats_query *q,
                           const char *source, int64_t orders, int64_t odays, struct strbuf *out)
{
    const int64_t *m = h->m;
    int64_t records = m[STATS_CM_RECORDS], closed = m[CM(STATS_CF_CLOSED)];
    int64_t sla = m[CM(STATS_CF_SLA)];
    struct jsonw w;
    char label[16];
    jsonw_init(&w, out);
    jsonw_obj(&w);
    jsonw_kstr(&w, "from", clock_day_str(q->day0, label));
    jsonw_kstr(&w, "to", clock_day_str(q->day1, label));
    jsonw_kstr(&w, "source", source);
    jsonw_kint(&w, "records", records);
    jsonw_kint(&w, "closed", closed);
    jsonw_kdouble(&w, "fcr", metric_share(m[CM(STATS_CF_FCR)], closed));
    dist_json(&w, "ack_hours", h, STATS_CM_ACK);
    dist_json(&w, "resolve_hours", h, STATS_CM_RESOLVE);
    jsonw_kdouble(&w, "reopen_rate",
                  metric_share(m[CM(STATS_CF_REOPENED)], m[CM(STATS_CF_EVER_CLOSED)]));
    jsonw_kdouble(&w, "repeat_rate",
                  metric_share(m[CM(STATS_CF_REPEATED)], m[CM(STATS_CF_ORIGINAL)]));
    jsonw_kdouble(&w, "negative_share",
                  metric_share(m[CM(STATS_CF_NEGATIVE)], m[CM(STATS_CF_SENTIMENT)]));
    jsonw_kdouble(&w, "duplicate_share", metric_share(m[CM(STATS_CF_DUPLICATE)], records));
    jsonw_kdouble(&w, "sla_compliance", metric_share(sla - m[CM(STATS_CF_SLA_BREACHED)], sla));
    if (odays > 0) {
        jsonw_kint(&w, "orders", orders);
        jsonw_kint(&w, "order_days", odays);
        jsonw_kdouble(&w, "per_10k_orders",
                      orders > 0 ? 10000.0 * (double)records / (double)orders : NAN);
    } else {
        jsonw_key(&w, "orders");
        jsonw_null(&w);
        jsonw_key(&w, "per_10k_orders");
        jsonw_null(&w);
    }
    jsonw_end(&w);
}

/* ---- staff --------------------------------------------------------------------------- */

struct staff_row {
    char *name;
    const char *team; /* the team with most of the agent's cases (then by name) */
    int64_t m[STATS_CM_COUNT], ms[STATS_CM_COUNT];
    int64_t team_n;
    double score;
};

struct staff {
    struct keymap users, teams;
    struct staff_row *u, *t;
    size_t ucap, tcap;
};

static struct staff_row *staff_row(struct keymap *m, struct staff_row **rows, size_t *cap,
                                   const char *key)
{
    size_t i = keymap_get(m, key);
    if (i >= *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        *rows = xrealloc(*rows, nc * sizeof(**rows));
        memset(*rows + *cap, 0, (nc - *cap) * sizeof(**rows));
        *cap = nc;
    }
    if (!(*rows)[i].name)
        (*rows)[i].name = xstrdup(key);
    return &(*rows)[i];
}

/* n of the agent's cases are in team: keep the team with most */
static void staff_team(struct staff *st, const char *user, const char *team, int64_t n)
{
    struct staff_row *u = staff_row(&st->users, &st->u, &st->ucap, user);
    struct staff_row *t = staff_row(&st->teams, &st->t, &st->tcap, team);
    /* u->team points at the team row's name, which lives as long as st */
    if (n > u->team_n || (n == u->team_n && u->team && strcmp(t->name, u->team) < 0)) {
        u->team = t->name;
        u->team_n = n;
    }
}

struct staff_pair {
    struct keymap keys; /* "user<US>team" */
    int64_t *n;
    size_t cap;
};

static void pair_add(struct staff_pair *p, const char *key, int64_t n)
{
    size_t i = keymap_get(&p->keys, key);
    grow_to(&p->n, &p->cap, i + 1);
    p->n[i] += n;
}

static void pairs_apply(struct staff *st, struct staff_pair *p)
{
    for (size_t i = 0; i < p->keys.n; i++) {
        char *k = p->keys.keys[i], *us = strchr(k, '\x1f');
        if (!us || p->n[i] <= 0)
            continue;
        *us = 0;
        staff_team(st, k, us + 1, p->n[i]);
        *us = '\x1f';
    }
    keymap_free(&p->keys);
    free(p->n);
}

static void staff_add(struct staff *st, struct staff_pair *p, const struct store_case_view *v)
{
    struct staff_row *u;
    if (!v->assignee)
        return;
    u = staff_row(&st->users, &st->u, &st->ucap, v->assignee);
    counters_add(u->m, u->ms, v);
    if (v->team) {
        struct strbuf k = STRBUF_INIT;
        counters_add(staff_row(&st->teams, &st->t, &st->tcap, v->team)->m,
                     staff_row(&st->teams, &st->t, &st->tcap, v->team)->ms, v);
        strbuf_addf(&k, "%s\x1f%s", v->assignee, v->team);
        pair_add(p, k.buf, 1);
        strbuf_release(&k);
    }
}

struct staff_read {
    struct staff *st;
    struct staff_pair *p;
    bool teams;
};

static int staff_rollup_cb(void *arg, const char *key, int metric, int64_t n, int64_t sum)
{
    struct staff_read *r = arg;
    struct staff_row *row;
    if (metric < 0 || metric >= STATS_CM_COUNT)
        return 0;
    if (!r->st) {
        if (metric == STATS_CM_RECORDS)
            pair_add(r->p, key, n);
        return 0;
    }
    row = r->teams ? staff_row(&r->st->teams, &r->st->t, &r->st->tcap, key)
                   : staff_row(&r->st->users, &r->st->u, &r->st->ucap, key);
    row->m[metric] += n;
    row->ms[metric] += sum;
    return 0;
}

static double row_sla(const struct staff_row *r)
{
    int64_t cases = r->m[CM(STATS_CF_SLA)];
    return metric_share(cases - r->m[CM(STATS_CF_SLA_BREACHED)], cases);
}

static double row_csat(const struct staff_row *r)
{
    return metric_share(r->m[CM(STATS_CF_SATISFIED)], r->m[CM(STATS_CF_SURVEYED)]);
}

static double row_reopen(const struct staff_row *r)
{
    return metric_share(r->m[CM(STATS_CF_REOPENED)], r->m[CM(STATS_CF_EVER_CLOSED)]);
}

/* Ranking score: the mean of SLA compliance, CSAT share and 1 - reopen rate, over those
 * defined; rows without any rank last. */
static void score(struct staff_row *r)
{
    double parts[3] = {row_sla(r), row_csat(r), 1 - row_reopen(r)};
    double sum = 0;
    int n = 0;
    for (int i = 0; i < 3; i++)
        if (!isnan(parts[i])) {
            sum += parts[i];
            n++;
        }
    r->score = n ? sum / n : -1;
}

static int cmp_staff(const void *a, const void *b)
{
    const struct staff_row *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->m[0] != y->m[0])
        return x->m[0] > y->m[0] ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void staff_rows_json(struct jsonw *w, const char *key, struct staff_row *rows, size_t n,
                            const char *only)
{
    for (size_t i = 0; i < n; i++)
        score(&rows[i]);
    if (n > 1)
        qsort(rows, n, sizeof(*rows), cmp_staff);
    if (key)
        jsonw_key(w, key);
    jsonw_arr(w);
    for (size_t i = 0; i < n; i++) {
        struct staff_row *r = &rows[i];
        int64_t hn = r->m[STATS_CM_HANDLING];
        if (only && strcmp(r->name, only) != 0)
            continue;
        jsonw_obj(w);
        jsonw_kstr(w, "name", r->name);
        if (r->team)
            jsonw_kstr(w, "team", r->team);
        jsonw_kint(w, "rank", (int64_t)i + 1);
        jsonw_kint(w, "cases", r->m[STATS_CM_RECORDS]);
        jsonw_kint(w, "closed", r->m[CM(STATS_CF_CLOSED)]);
        jsonw_kdouble(w, "handling_hours",
                      hn ? (double)r->ms[STATS_CM_HANDLING] / (double)hn / HOUR_MS : NAN);
        jsonw_kdouble(w, "sla_compliance", row_sla(r));
        jsonw_kdouble(w, "csat", row_csat(r));
        jsonw_kdouble(w, "reopen_rate", row_reopen(r));
        jsonw_kdouble(w, "score", r->score >= 0 ? r->score : NAN);
        jsonw_end(w);
    }
    jsonw_end(w);
}

static void staff_write(struct staff *st, const struct stats_query *q, const char *source,
                        struct strbuf *out)
{
    struct jsonw w;
    char label[16];
    /* teams are sorted last: agents' team pointers are names owned by the team rows */
    size_t nt = st->teams.n;
    struct staff_row *teams = xcalloc(nt + 1, sizeof(*teams));
    if (nt)
        memcpy(teams, st->t, nt * sizeof(*teams));
    jsonw_init(&w, out);
    jsonw_obj(&w);
    jsonw_kstr(&w, "from", clock_day_str(q->day0, label));
    jsonw_kstr(&w, "to", clock_day_str(q->day1, label));
    jsonw_kstr(&w, "source", source);
    jsonw_kbool(&w, "all", q->only_user == NULL);
    staff_rows_json(&w, "agents", st->u, st->users.n, q->only_user);
    jsonw_key(&w, "teams");
    if (!q->only_user) {
        /* rows with no case of an assigned agent are not teams of the board */
        size_t k = 0;
        for (size_t i = 0; i < nt; i++)
            if (teams[i].m[STATS_CM_RECORDS] > 0)
                teams[k++] = teams[i];
        staff_rows_json(&w, NULL, teams, k, NULL);
    } else {
        jsonw_arr(&w);
        jsonw_end(&w);
    }
    jsonw_end(&w);
    free(teams);
}

static void staff_release(struct staff *st)
{
    for (size_t i = 0; i < st->users.n; i++)
        free(st->u[i].name);
    for (size_t i = 0; i < st->teams.n; i++)
        free(st->t[i].name);
    free(st->u);
    free(st->t);
    keymap_free(&st->users);
    keymap_free(&st->teams);
}

/* ---- one scan, every case metric ------------------------------------------------------ */

struct stats_cases {
    struct handling h;
    struct staff st;
    struct staff_pair pairs;
    const char *source;
};

struct stats_cases *stats_cases_new(void)
{
    struct stats_cases *c = xcalloc(1, sizeof(struct stats_cases));
    c->source = "scan";
    return c;
}

int stats_cases_add(void *arg, const struct store_case *k)
{
    struct stats_cases *c = arg;
    struct store_case_view v;
    store_case_view_of(k, &v);
    handling_add(&c->h, &v);
    staff_add(&c->st, &c->pairs, &v);
    return 0;
}

void stats_cases_free(struct stats_cases *c)
{
    if (!c)
        return;
    free(c->h.ack.v);
    free(c->h.resolve.v);
    staff_release(&c->st);
    keymap_free(&c->pairs.keys);
    free(c->pairs.n);
    free(c);
}

int stats_cases_json(struct store *s, struct stats_cases *c, const struct stats_query *q,
                     struct strbuf *handling, struct strbuf *sla, struct strbuf *staff,
                     struct kerr *err)
{
    int64_t orders = 0, odays = 0;
    int rc;
    if (handling) {
        if ((rc = store_stats_orders(s, q->day0, q->day1, "", "", &orders, &odays, err)) < 0)
            return rc;
        handling_write(&c->h, q, c->source, orders, odays, handling);
    }
    if (sla)
        sla_write(&c->h, q, c->source, sla);
    if (staff) {
        pairs_apply(&c->st, &c->pairs);
        memset(&c->pairs, 0, sizeof c->pairs);
        staff_write(&c->st, q, c->source, staff);
    }
    return 0;
}

/* Whether the case rollups answer q: whole local days, no exact=true, rollups built. */
static bool rollups_answer(struct store *s, const struct stats_query *q)
{
    return !q->exact && q->t0 == clock_day_start(q->day0) &&
           q->t1 == clock_day_start(q->day1 + 1) && store_stats_cases_built(s);
}

static int cases_from_rollups(struct store *s, struct stats_cases *c, const struct stats_query *q,
                              int which, struct kerr *err)
{
    struct staff_read rd = {&c->st, &c->pairs, false};
    int rc;
    c->source = "rollup";
    if (which != 2) {
        c->h.hist = true;
        return store_stats_case_rollup(s, "all", q->day0, q->day1, handling_rollup_cb, &c->h, err);
    }
    if ((rc = store_stats_case_rollup(s, "assignee", q->day0, q->day1, staff_rollup_cb, &rd, err)) <
        0)
        return rc;
    rd.teams = true;
    if ((rc = store_stats_case_rollup(s, "team", q->day0, q->day1, staff_rollup_cb, &rd, err)) < 0)
        return rc;
    rd.st = NULL;
    return store_stats_case_rollup(s, "assignee_team", q->day0, q->day1, staff_rollup_cb, &rd, err);
}

static int cases_endpoint(struct store *s, const struct stats_query *q, struct strbuf *out,
                          int which, struct kerr *err)
{
    struct stats_cases *c = stats_cases_new();
    int rc = rollups_answer(s, q)
                 ? cases_from_rollups(s, c, q, which, err)
                 : store_stats_cases(s, q->t0, q->t1, NULL, stats_cases_add, c, err);
    if (rc == 0)
        rc = stats_cases_json(s, c, q, which == 0 ? out : NULL, which == 1 ? out : NULL,
                              which == 2 ? out : NULL, err);
    stats_cases_free(c);
    return rc;
}

int stats_handling_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                        struct kerr *err)
{
    return cases_endpoint(s, q, out, 0, err);
}

int stats_sla_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                   struct kerr *err)
{
    return cases_endpoint(s, q, out, 1, err);
}

int stats_staff_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                     struct kerr *err)
{
    return cases_endpoint(s, q, out, 2, err);
}
