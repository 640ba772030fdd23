/* quality: the intake data-quality report (see quality.h). */
#include "intake/quality.h"

#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/banned.h"

struct acc {
    struct jsonw *w;
    int64_t delivered[32]; /* per record_channels index */
};

static int channel_index(const char *ch)
{
    for (int i = 0; record_channels[i]; i++)
        if (strcmp(record_channels[i], ch) == 0)
            return i;
    return -1;
}

static void share(struct jsonw *w, const char *name, int64_t n, int64_t total)
{
    jsonw_kdouble(w, name, total ? (double)n / (double)total : 0);
}

static int on_row(void *arg, const struct store_quality_row *r)
{
    struct acc *a = arg;
    struct jsonw *w = a->w;
    int ci = channel_index(r->channel);
    if (ci >= 0)
        a->delivered[ci] += r->records;
    jsonw_obj(w);
    jsonw_kstr(w, "channel", r->channel);
    jsonw_kstr(w, "period", r->period);
    jsonw_kint(w, "records", r->records);
    jsonw_kint(w, "missing_required", r->missing);
    jsonw_kint(w, "corrected", r->corrected);
    jsonw_kint(w, "pii_masked", r->masked);
    jsonw_kint(w, "t2s", r->t2s);
    jsonw_kint(w, "duplicates_exact", r->dup_exact);
    jsonw_kint(w, "duplicates_near", r->dup_near);
    jsonw_key(w, "share");
    jsonw_obj(w);
    share(w, "missing_required", r->missing, r->records);
    share(w, "corrected", r->corrected, r->records);
    share(w, "pii_masked", r->masked, r->records);
    share(w, "t2s", r->t2s, r->records);
    share(w, "duplicates", r->dup_exact + r->dup_near, r->records);
    jsonw_end(w);
    jsonw_end(w);
    return 0;
}

static int on_rejection(void *arg, const struct store_rejection_row *r)
{
    struct jsonw *w = ((struct acc *)arg)->w;
    jsonw_obj(w);
    jsonw_kstr(w, "channel", r->channel);
    jsonw_kstr(w, "period", r->period);
    jsonw_kstr(w, "source", r->source);
    jsonw_kstr(w, "code", r->code);
    jsonw_kstr(w, "field", r->field);
    jsonw_kint(w, "count", r->n);
    jsonw_end(w);
    return 0;
}

struct rows_then_rejections {
    struct acc *a;
    bool in_rejections;
};

static int rows_cb(void *arg, const struct store_quality_row *r)
{
    return on_row(((struct rows_then_rejections *)arg)->a, r);
}

static int rej_cb(void *arg, const struct store_rejection_row *r)
{
    struct rows_then_rejections *rr = arg;
    if (!rr->in_rejections) { /* the first rejection closes the rows */
        jsonw_end(rr->a->w);
        jsonw_key(rr->a->w, "rejections");
        jsonw_arr(rr->a->w);
        rr->in_rejections = true;
    }
    return on_rejection(rr->a, r);
}

int quality_report_json(struct store *s, const struct channels_conf *c, int64_t since,
                        int64_t until, const char *by, struct strbuf *out, struct kerr *err)
{
    struct jsonw w;
    struct acc a = {&w, {0}};
    struct rows_then_rejections rr = {&a, false};
    char t0[CLOCK_FMT_MAX], t1[CLOCK_FMT_MAX];
    int rc;

    jsonw_init(&w, out);
    jsonw_obj(&w);
    jsonw_kstr(&w, "by", by);
    jsonw_kstr(&w, "since", clock_format(since, t0));
    jsonw_kstr(&w, "until", clock_format(until, t1));
    jsonw_key(&w, "rows");
    jsonw_arr(&w);
    if ((rc = store_quality(s, since, until, by, rows_cb, rej_cb, &rr, err)) < 0)
        return rc;
    if (!rr.in_rejections) {
        jsonw_end(&w);
        jsonw_key(&w, "rejections");
        jsonw_arr(&w);
    }
    jsonw_end(&w);
    jsonw_key(&w, "coverage");
    jsonw_obj(&w);
    jsonw_key(&w, "expected");
    jsonw_arr(&w);
    for (size_t i = 0; c && i < c->nexpected; i++)
        jsonw_str(&w, c->expected[i]);
    jsonw_end(&w);
    jsonw_key(&w, "delivered");
    jsonw_obj(&w);
    for (int i = 0; record_channels[i]; i++)
        if (a.delivered[i])
            jsonw_kint(&w, record_channels[i], a.delivered[i]);
    jsonw_end(&w);
    jsonw_key(&w, "silent");
    jsonw_arr(&w);
    for (size_t i = 0; c && i < c->nexpected; i++) {
        int ci = channel_index(c->expected[i]);
        if (ci >= 0 && !a.delivered[ci])
            jsonw_str(&w, c->expected[i]);
    }
    jsonw_end(&w);
    jsonw_end(&w);
    jsonw_end(&w);
    return 0;
}
