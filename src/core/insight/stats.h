/*
 * stats.h: the metrics (docs/metrics.md), as the JSON the API serves and the
 * CLI and reports read. Volumes, Pareto, cross-tabs and the heatmap read the
 * daily rollups, or (but the heatmap) the stats cube when it is loaded and
 * !q->exact, which gives the same answers and a cross-tab of any pair of
 * dimensions without a scan (store_cube_rollup, store_cube_crosstab); handling, SLA and staff read
 * the case rollups for whole local days, and scan the cases received in the period otherwise or
 * when q->exact (each reply's "source" says which); satisfaction reads the surveys answered in the
 * period. The formulas are separate pure functions, tested on hand-computed data.
 */
#ifndef KESU_INSIGHT_STATS_H
#define KESU_INSIGHT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "store/db.h"

struct stats_query {
    const char *by;          /* a dimension (volume, pareto) */
    const char *bucket;      /* day, week, month */
    const char *rows, *cols; /* crosstab dimensions */
    int64_t t0, t1;          /* [t0, t1) in ms */
    int64_t day0, day1;      /* the same as local days, inclusive */
    const char *only_user;   /* staff: only this username's row (NULL: everyone) */
    int limit;               /* most series / items (0: default) */
    bool exact; /* handling, sla, staff: scan the records, not the rollups; others: no cube */
};

/*
 * Reads from/to (RFC 3339 or YYYY-MM-DD; a date-only `to` includes that day;
 * NULL: the last 30 days up to now) into q. Errors name "from" or "to".
 */
int stats_period(const char *from, const char *to, int64_t now_ms, struct stats_query *q,
                 struct kerr *err);
/* Sets q to the local days [day0, day1]. */
void stats_days(struct stats_query *q, int64_t day0, int64_t day1);

int stats_volume_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                      struct kerr *err);
int stats_pareto_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                      struct kerr *err);
int stats_crosstab_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                        struct kerr *err);
int stats_satisfaction_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                            struct kerr *err);
int stats_sla_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                   struct kerr *err);
int stats_handling_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                        struct kerr *err);
int stats_heatmap_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                       struct kerr *err);
int stats_staff_json(struct store *s, const struct stats_query *q, struct strbuf *out,
                     struct kerr *err);

/*
 * The case metrics (handling, SLA, staff) of one scan: feed stats_cases_add to
 * store_stats_cases, then write any of the three JSON documents (NULL skips).
 */
struct stats_cases;
struct stats_cases *stats_cases_new(void);
int stats_cases_add(void *acc, const struct store_case *k);
int stats_cases_json(struct store *s, struct stats_cases *c, const struct stats_query *q,
                     struct strbuf *handling, struct strbuf *sla, struct strbuf *staff,
                     struct kerr *err);
void stats_cases_free(struct stats_cases *c);

/* ---- formulas (pure) ----------------------------------------------------------- */

/* part / whole; NaN when whole is 0. */
double metric_share(int64_t part, int64_t whole);
/* (cur - prev) / prev; NaN when prev is 0. */
double metric_change(int64_t cur, int64_t prev);
/* 100 * (promoters - detractors) / answers; NaN without answers. */
double metric_nps(int64_t promoters, int64_t detractors, int64_t answers);
/* Lift of a cell: (cell / row_total) / (col_total / total); NaN when undefined. */
double metric_lift(int64_t cell, int64_t row_total, int64_t col_total, int64_t total);

struct metric_dist {
    int64_t n;
    double mean, median, p90; /* NaN when n is 0 */
};
/* Sorts v and fills out: median of the middle two for even n; p90 by nearest rank. */
void metric_dist(double *v, size_t n, struct metric_dist *out);
/*
 * The same from a histogram of ms values (count hn[b] and sum hs[b] per bucket,
 * nb buckets, n values summing to sum ms), in hours: each rank's value is the
 * mean of its bucket, so within the bucket's width of the exact value (see
 * STATS_HIST_BUCKETS in store/db.h), and exact when the bucket's values are
 * equal. The mean is exact.
 */
void metric_hist_dist(const int64_t *hn, const int64_t *hs, int nb, int64_t n, int64_t sum,
                      struct metric_dist *out);

struct pareto_item {
    const char *key;
    int64_t n;
    double share, cum_share;
};
/*
 * Sorts items by n (descending, then key), fills share and cumulative share of
 * the total (returned in *total) and returns how many items first reach 80 %.
 */
size_t metric_pareto(struct pareto_item *items, size_t n, int64_t *total);

/* The same calendar day a year earlier (29 Feb -> 28 Feb). */
int64_t stats_day_year_before(int64_t day);

#endif
