/*
 * api_stats.c: GET /api/v1/stats/...: metrics (insight/stats.h). Every
 * endpoint takes from/to (RFC 3339 or YYYY-MM-DD; default the last 30 days).
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "http/api.h"
#include "insight/stats.h"
#include "base/banned.h"

typedef int (*stats_fn)(struct store *, const struct stats_query *, struct strbuf *, struct kerr *);

/* The caller's username ("user:NAME..." actors), into out; false when not a user. */
static bool caller_user(struct req *r, char *out, size_t n)
{
    const char *a = r->actor;
    if (strncmp(a, "user:", 5) != 0)
        return false;
    a += 5;
    size_t len = strcspn(a, ":");
    if (len == 0 || len >= n)
        return false;
    memcpy(out, a, len);
    out[len] = 0;
    return true;
}

static int run(struct req *r, stats_fn fn, struct stats_query *q)
{
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    int rc;
    const char *lim = req_query(r, "limit"), *ex;

    kerr_clear(&e);
    if (stats_period(req_query(r, "from"), req_query(r, "to"), clock_now_ms(), q, &e) < 0)
        return reply_kerr(r, KERR_INVALID, &e);
    if ((ex = req_query(r, "exact"))) {
        if (strcmp(ex, "true") && strcmp(ex, "false") && strcmp(ex, "1") && strcmp(ex, "0"))
            return reply_error(r, 400, "invalid_field", "exact", "exact is true or false");
        q->exact = strcmp(ex, "true") == 0 || strcmp(ex, "1") == 0;
    }
    if (lim) {
        char *end;
        long v = strtol(lim, &end, 10);
        if (*end || v < 1 || v > 1000)
            return reply_error(r, 400, "invalid_field", "limit", "limit is 1..1000");
        q->limit = (int)v;
    }
    if ((rc = fn(r->store, q, &sb, &e)) < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}

int api_stats_volume(struct req *r)
{
    struct stats_query q = {0};
    q.by = req_query(r, "by");
    if (!q.by)
        q.by = "channel";
    q.bucket = req_query(r, "bucket");
    return run(r, stats_volume_json, &q);
}

int api_stats_pareto(struct req *r)
{
    struct stats_query q = {0};
    q.by = req_query(r, "by");
    return run(r, stats_pareto_json, &q);
}

int api_stats_crosstab(struct req *r)
{
    struct stats_query q = {0};
    q.rows = req_query(r, "rows");
    q.cols = req_query(r, "cols");
    return run(r, stats_crosstab_json, &q);
}

int api_stats_satisfaction(struct req *r)
{
    struct stats_query q = {0};
    return run(r, stats_satisfaction_json, &q);
}

int api_stats_sla(struct req *r)
{
    struct stats_query q = {0};
    return run(r, stats_sla_json, &q);
}

int api_stats_handling(struct req *r)
{
    struct stats_query q = {0};
    return run(r, stats_handling_json, &q);
}

int api_stats_heatmap(struct req *r)
{
    struct stats_query q = {0};
    return run(r, stats_heatmap_json, &q);
}

int api_stats_staff(struct req *r)
{
    struct stats_query q = {0};
    char me[96];
    if (!req_can(r, "stats:staff")) {
        /* one's own row only; a caller who is not a user (an API key) has none */
        if (!caller_user(r, me, sizeof me))
            me[0] = 0;
        q.only_user = me;
    }
    return run(r, stats_staff_json, &q);
}
