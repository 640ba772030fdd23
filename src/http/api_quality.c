/* api_quality.c: GET /api/v1/quality: the intake data-quality report (intake/quality.h). */
#include <string.h>

#include "base/clock.h"
#include "http/api.h"
#include "intake/quality.h"
#include "base/banned.h"

#define DAY_MS (24 * 3600 * 1000LL)

int api_quality(struct req *r)
{
    const char *since = req_query(r, "since"), *until = req_query(r, "until");
    const char *by = req_query(r, "by");
    int64_t t0, t1 = clock_now_ms();
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    int rc;

    if (until && clock_parse(until, strlen(until), &t1) < 0)
        return reply_error(r, 400, "invalid_time", "until", "until is an RFC 3339 time");
    t0 = t1 - 30 * DAY_MS;
    if (since && clock_parse(since, strlen(since), &t0) < 0)
        return reply_error(r, 400, "invalid_time", "since", "since is an RFC 3339 time");
    if (t0 >= t1)
        return reply_error(r, 400, "invalid_time", "since", "since must come before until");
    kerr_clear(&e);
    rc = quality_report_json(r->store, r->opts->channels, t0, t1, by ? by : "day", &sb, &e);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}
