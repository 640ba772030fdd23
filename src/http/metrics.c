/*
 * metrics.c: counters for GET /metrics in Prometheus text format: requests
 * and latency histograms per route, records per channel, the writer's queue
 * and commits, and how far the search index lags behind intake.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "http/http.h"
#include "store/alertdb.h"
#include "base/banned.h"

#define MAX_ROUTES 64
#define NBUCKETS   10

static const double bucket_le[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                           0.025,  0.05,  0.1,    0.5,   2.5};

struct route_metrics {
    atomic_uint_fast64_t by_class[6]; /* 1xx..5xx; [0] unused */
    atomic_uint_fast64_t buckets[NBUCKETS + 1];
    atomic_uint_fast64_t sum_us;
};

static struct route_metrics per_route[MAX_ROUTES + 1]; /* last: unmatched */

void metrics_observe(const struct route *route, unsigned status, int64_t micros)
{
    size_t i = route ? (size_t)(route - routes) : MAX_ROUTES;
    struct route_metrics *m = &per_route[i < MAX_ROUTES ? i : MAX_ROUTES];
    unsigned cls = status / 100;
    double sec = (double)micros / 1e6;
    int b = 0;

    atomic_fetch_add(&m->by_class[cls >= 1 && cls <= 5 ? cls : 5], 1);
    while (b < NBUCKETS && sec > bucket_le[b])
        b++;
    atomic_fetch_add(&m->buckets[b], 1);
    atomic_fetch_add(&m->sum_us, (uint64_t)(micros > 0 ? micros : 0));
}

static int add_channel(void *arg, const char *channel, int64_t n)
{
    strbuf_addf(arg, "kesu_feedback_records{channel=\"%s\"} %lld\n", channel, (long long)n);
    return 0;
}

static void route_label(struct strbuf *out, size_t i)
{
    if (i < nroutes)
        strbuf_addf(out, "route=\"%s %s\"", routes[i].method, routes[i].pattern);
    else
        strbuf_addstr(out, "route=\"unmatched\"");
}

struct alert_gauges {
    int64_t open, acknowledged, pending, failed;
};

static int add_alert_count(void *arg, const char *what, const char *state, int64_t n)
{
    struct alert_gauges *g = arg;
    bool alerts = !strcmp(what, "alerts");
    if (alerts && !strcmp(state, "open"))
        g->open = n;
    else if (alerts && !strcmp(state, "acknowledged"))
        g->acknowledged = n;
    else if (!alerts && !strcmp(state, "pending"))
        g->pending = n;
    else if (!alerts && !strcmp(state, "failed"))
        g->failed = n;
    return 0;
}

/* Alerts not yet resolved and deliveries not sent (insight/alerts.h). */
static void alert_metrics(struct store *s, struct strbuf *out)
{
    struct alert_gauges g = {0, 0, 0, 0};
    store_alert_counts(s, add_alert_count, &g);
    strbuf_addf(out,
                "# HELP kesu_alerts Alerts not yet resolved, by state.\n"
                "# TYPE kesu_alerts gauge\n"
                "kesu_alerts{state=\"open\"} %lld\nkesu_alerts{state=\"acknowledged\"} %lld\n"
                "# HELP kesu_alert_deliveries Alert deliveries waiting for a retry or given up.\n"
                "# TYPE kesu_alert_deliveries gauge\n"
                "kesu_alert_deliveries{state=\"pending\"} %lld\n"
                "kesu_alert_deliveries{state=\"failed\"} %lld\n",
                (long long)g.open, (long long)g.acknowledged, (long long)g.pending,
                (long long)g.failed);
}

void metrics_render(struct store *s, struct strbuf *out)
{
    struct store_stats st;

    strbuf_addstr(out, "# HELP kesu_http_requests_total HTTP requests by route and status class.\n"
                       "# TYPE kesu_http_requests_total counter\n");
    for (size_t i = 0; i <= MAX_ROUTES; i++) {
        if (i >= nroutes && i != MAX_ROUTES)
            continue;
        for (int c = 1; c <= 5; c++) {
            uint64_t n = atomic_load(&per_route[i].by_class[c]);
            if (!n)
                continue;
            strbuf_addstr(out, "kesu_http_requests_total{");
            route_label(out, i);
            strbuf_addf(out, ",code=\"%dxx\"} %llu\n", c, (unsigned long long)n);
        }
    }
    strbuf_addstr(out, "# HELP kesu_http_request_duration_seconds Time to answer, by route.\n"
                       "# TYPE kesu_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i < nroutes && i < MAX_ROUTES; i++) {
        uint64_t cum = 0;
        for (int b = 0; b <= NBUCKETS; b++) {
            cum += atomic_load(&per_route[i].buckets[b]);
            strbuf_addstr(out, "kesu_http_request_duration_seconds_bucket{");
            route_label(out, i);
            if (b < NBUCKETS)
                strbuf_addf(out, ",le=\"%g\"} %llu\n", bucket_le[b], (unsigned long long)cum);
            else
                strbuf_addf(out, ",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
        }
        strbuf_addstr(out, "kesu_http_request_duration_seconds_sum{");
        route_label(out, i);
        strbuf_addf(out, "} %.6f\n", (double)atomic_load(&per_route[i].sum_us) / 1e6);
        strbuf_addstr(out, "kesu_http_request_duration_seconds_count{");
        route_label(out, i);
        strbuf_addf(out, "} %llu\n", (unsigned long long)cum);
    }
    strbuf_addstr(out, "# HELP kesu_feedback_records Records stored, by channel.\n"
                       "# TYPE kesu_feedback_records gauge\n");
    store_feedback_channel_counts(s, add_channel, out);
    store_stats(s, &st);
    strbuf_addf(out,
                "# HELP kesu_writer_queue_depth Write jobs waiting for the group commit.\n"
                "# TYPE kesu_writer_queue_depth gauge\n"
                "kesu_writer_queue_depth %lld\n"
                "# HELP kesu_writer_commits_total Transactions committed by the group commit.\n"
                "# TYPE kesu_writer_commits_total counter\n"
                "kesu_writer_commits_total %llu\n"
                "# HELP kesu_writer_syncs_total fdatasync calls making commits durable.\n"
                "# TYPE kesu_writer_syncs_total counter\n"
                "kesu_writer_syncs_total %llu\n"
                "# HELP kesu_writer_jobs_total Write jobs completed.\n"
                "# TYPE kesu_writer_jobs_total counter\n"
                "kesu_writer_jobs_total %llu\n"
                "# HELP kesu_search_lag_records Records stored but not yet searchable.\n"
                "# TYPE kesu_search_lag_records gauge\n"
                "kesu_search_lag_records %lld\n"
                "# HELP kesu_search_indexed_total Records added to the search index.\n"
                "# TYPE kesu_search_indexed_total counter\n"
                "kesu_search_indexed_total %llu\n",
                (long long)st.queue_depth, (unsigned long long)st.commits,
                (unsigned long long)st.syncs, (unsigned long long)st.jobs, (long long)st.search_lag,
                (unsigned long long)st.search_indexed);
    alert_metrics(s, out);
}
