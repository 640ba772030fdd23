/*
 * api_nlp.c: the text-analysis resources: the taxonomy (GET/PUT
 * /api/v1/taxonomy, intake/nlp.h) and keyword statistics (GET
 * /api/v1/keywords, text/kwtrend.h over store_keyword_counts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/xmalloc.h"
#include "http/api.h"
#include "intake/nlp.h"
#include "intake/pipeline.h"
#include "text/kwtrend.h"
#include "base/banned.h"

#define DAY_MS (24 * 3600 * 1000LL)

static struct nlp *nlp_of(struct req *r)
{
    return r->opts->pipeline ? pipeline_nlp(r->opts->pipeline) : NULL;
}

static int no_nlp(struct req *r)
{
    return reply_error(r, 503, "unavailable", NULL,
                       "text analysis is off on this server (setting nlp = off)");
}

int api_taxonomy_get(struct req *r)
{
    struct nlp *n = nlp_of(r);
    struct strbuf sb = STRBUF_INIT;
    if (!n)
        return no_nlp(r);
    nlp_taxonomy_get(n, &sb);
    return reply_json(r, 200, &sb);
}

/* The category tree alone (names and children, no rules), for whoever files and finds cases. */
static void category_names(struct jsonw *w, const cJSON *list)
{
    const cJSON *c;
    jsonw_arr(w);
    cJSON_ArrayForEach(c, list)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *kids = cJSON_GetObjectItemCaseSensitive(c, "children");
        if (!cJSON_IsString(name))
            continue;
        jsonw_obj(w);
        jsonw_kstr(w, "name", name->valuestring);
        if (cJSON_IsArray(kids) && cJSON_GetArraySize(kids) > 0) {
            jsonw_key(w, "children");
            category_names(w, kids);
        }
        jsonw_end(w);
    }
    jsonw_end(w);
}

int api_categories_get(struct req *r)
{
    struct nlp *n = nlp_of(r);
    struct strbuf doc = STRBUF_INIT, sb = STRBUF_INIT;
    struct jsonw w;
    cJSON *root;
    if (!n)
        return no_nlp(r);
    nlp_taxonomy_get(n, &doc);
    root = cJSON_Parse(doc.buf);
    strbuf_release(&doc);
    if (!root)
        return reply_error(r, 500, "internal", NULL, "the taxonomy in force cannot be read");
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "categories");
    category_names(&w, cJSON_GetObjectItemCaseSensitive(root, "categories"));
    jsonw_end(&w);
    cJSON_Delete(root);
    return reply_json(r, 200, &sb);
}

struct tax_put {
    struct store_audit audit;
    char detail[128];
};

static int taxonomy_put_done(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    nlp_taxonomy_get(nlp_of(r), &sb);
    return reply_json(r, 200, &sb);
}

int api_taxonomy_put(struct req *r)
{
    struct nlp *n = nlp_of(r);
    struct tax_put *st;
    struct kerr e;
    int rc;
    if (!n)
        return no_nlp(r);
    kerr_clear(&e);
    if ((rc = nlp_taxonomy_set(n, r->body.buf, r->body.len, &e)) < 0)
        return reply_kerr(r, rc, &e);
    /* in force now; the reply waits for the audit entry to be durable */
    st = xcalloc(1, sizeof(*st));
    snprintf(st->detail, sizeof st->detail, "{\"bytes\":%zu}", r->body.len);
    st->audit = (struct store_audit){0, r->actor, NULL, "taxonomy.update", "taxonomy", st->detail};
    r->state = st;
    r->state_free = free;
    memset(&r->job, 0, sizeof(r->job));
    r->job.kind = STORE_JOB_AUDIT;
    r->job.actor = r->actor;
    r->job.audit = &st->audit;
    return req_submit(r, taxonomy_put_done);
}

/* ---- keywords ---------------------------------------------------------------- */

static int add_cur(void *arg, const char *word, int64_t n)
{
    kw_counts_add(arg, word, n);
    return 0;
}

static int add_base(void *arg, const char *word, int64_t n)
{
    kw_counts_add_base(arg, word, n);
    return 0;
}

static int query_int(struct req *r, const char *name, long def, long lo, long hi, long *out)
{
    const char *v = req_query(r, name);
    char *end;
    *out = def;
    if (!v)
        return 0;
    *out = strtol(v, &end, 10);
    if (!*v || *end || *out < lo || *out > hi)
        return reply_error(r, 400, "invalid_field", name, "%s must be an integer in [%ld, %ld]",
                           name, lo, hi),
               -1;
    return 0;
}

static void write_item(struct jsonw *w, const struct kw_count *k, bool trend)
{
    jsonw_obj(w);
    jsonw_kstr(w, "word", k->word);
    jsonw_kint(w, "n", k->n);
    jsonw_kdouble(w, "share", k->share);
    if (trend) {
        jsonw_kint(w, "baseline_n", k->base_n);
        jsonw_kdouble(w, "baseline_share", k->base_share);
        jsonw_kdouble(w, "growth", k->growth);
        jsonw_kdouble(w, "z", k->z);
    }
    jsonw_end(w);
}

int api_keywords(struct req *r)
{
    const char *from = req_query(r, "from"), *to = req_query(r, "to");
    struct store_kw_filter f = {0};
    struct kw_counts c = {0};
    const struct kw_count **out = NULL;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    char t0[CLOCK_FMT_MAX], t1[CLOCK_FMT_MAX], b0[CLOCK_FMT_MAX];
    long limit, baseline, min_count;
    int64_t len, brecords = 0;
    size_t n;
    int rc;

    f.until = clock_now_ms();
    if (to && clock_parse(to, strlen(to), &f.until) < 0)
        return reply_error(r, 400, "invalid_time", "to", "to is an RFC 3339 time or YYYY-MM-DD");
    f.since = f.until - 7 * DAY_MS;
    if (from && clock_parse(from, strlen(from), &f.since) < 0)
        return reply_error(r, 400, "invalid_time", "from",
                           "from is an RFC 3339 time or YYYY-MM-DD");
    if (f.since >= f.until)
        return reply_error(r, 400, "invalid_time", "from", "from must come before to");
    if (query_int(r, "limit", 50, 1, 500, &limit) < 0 ||
        query_int(r, "baseline", 4, 0, 52, &baseline) < 0 ||
        query_int(r, "min_count", 3, 1, 1000000, &min_count) < 0)
        return REQ_DONE;
    f.category = req_query(r, "category");
    f.channel = req_query(r, "channel");
    kerr_clear(&e);
    if ((rc = store_keyword_counts(r->store, &f, add_cur, &c, &c.records, &e)) < 0)
        goto fail;
    len = f.until - f.since;
    struct store_kw_filter bf = f;
    bf.until = f.since;
    bf.since = f.since - baseline * len;
    if (baseline > 0 && (rc = store_keyword_counts(r->store, &bf, add_base, &c, &brecords, &e)) < 0)
        goto fail;
    c.base_records = brecords;
    kw_counts_finish(&c);

    out = xmalloc((size_t)limit * sizeof(*out));
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kstr(&w, "from", clock_format(f.since, t0));
    jsonw_kstr(&w, "to", clock_format(f.until, t1));
    jsonw_kint(&w, "records", c.records);
    jsonw_key(&w, "baseline");
    jsonw_obj(&w);
    jsonw_kstr(&w, "from", clock_format(bf.since, b0));
    jsonw_kstr(&w, "to", t0);
    jsonw_kint(&w, "records", brecords);
    jsonw_end(&w);
    jsonw_key(&w, "keywords");
    jsonw_arr(&w);
    n = kw_counts_top(&c, out, (size_t)limit);
    for (size_t i = 0; i < n; i++)
        write_item(&w, out[i], false);
    jsonw_end(&w);
    jsonw_key(&w, "emerging");
    jsonw_arr(&w);
    n = kw_counts_emerging(&c, min_count, out, (size_t)limit);
    for (size_t i = 0; i < n; i++)
        write_item(&w, out[i], true);
    jsonw_end(&w);
    jsonw_end(&w);
    free(out);
    kw_counts_release(&c);
    return reply_json(r, 200, &sb);
fail:
    kw_counts_release(&c);
    return reply_kerr(r, rc, &e);
}
