/*
 * api_feedback.c: /api/v1/feedback: intake (one record or a batch), get
 * with timeline, list and search, patch. Input is checked here at the edge
 * (JSON, UTF-8, fields) by the same record functions the importers use;
 * writes go to the group commit and the reply is sent after the commit.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "base/log.h"
#include "http/api.h"
#include "lifecycle/lifecycle.h"
#include "intake/jsonrec.h"
#include "intake/channels.h"
#include "intake/pipeline.h"
#include "store/loop.h"
#include "base/banned.h"

static void intake_free(void *p)
{
    struct intake *in = p;
    for (size_t i = 0; i < in->n; i++)
        record_release(&in->recs[i]);
    free(in->recs);
    free(in->results);
    free(in);
}

struct intake *intake_new(struct req *r, size_t n)
{
    struct intake *in = xcalloc(1, sizeof(*in));
    in->recs = xcalloc(n ? n : 1, sizeof(*in->recs));
    in->results = xcalloc(n ? n : 1, sizeof(*in->results));
    in->n = n;
    for (size_t i = 0; i < n; i++)
        record_init(&in->recs[i]);
    r->state = in;
    r->state_free = intake_free;
    return in;
}

cJSON *parse_body(struct req *r)
{
    struct kerr e;
    cJSON *j;
    if (r->body.len == 0) {
        reply_error(r, 400, "missing_body", NULL, "the request needs a JSON body");
        return NULL;
    }
    kerr_clear(&e);
    if (!(j = json_parse_checked(r->body.buf, r->body.len, &e)))
        reply_kerr(r, KERR_INVALID, &e);
    return j;
}

int intake_clean(struct req *r, struct record *rec, struct kerr *e)
{
    channels_apply_rules(r->opts->channels, rec);
    return r->opts->pipeline ? pipeline_clean(r->opts->pipeline, rec, e) : 0;
}

void intake_rejected(struct req *r, const struct record *rec, const char *source,
                     const struct kerr *e)
{
    store_note_rejection(r->store, rec && rec->channel ? rec->channel : "", source, e->code,
                         e->field);
}

/* Reads and validates one record from obj into rec. */
static int read_record(const cJSON *obj, struct record *rec, int64_t now, struct kerr *e)
{
    int rc = record_from_json(rec, obj, e);
    return rc < 0 ? rc : record_validate(rec, now, e);
}

static void write_record(struct strbuf *sb, const struct record *rec)
{
    struct jsonw w;
    jsonw_init(&w, sb);
    record_to_json(rec, &w);
}

int reply_record(struct req *r, unsigned status, int64_t id)
{
    struct record rec;
    struct kerr e;
    struct strbuf sb = STRBUF_INIT;
    int rc;

    record_init(&rec);
    kerr_clear(&e);
    if ((rc = store_feedback_get(r->store, id, &rec, &e)) < 0)
        return reply_kerr(r, rc, &e);
    write_record(&sb, &rec);
    record_release(&rec);
    return reply_json(r, status, &sb);
}

static bool prefers_minimal(struct req *r)
{
    const char *p = req_header(r, "Prefer");
    return p && strstr(p, "return=minimal");
}

static int create_done(struct req *r)
{
    struct intake *in = r->state;
    struct strbuf sb = STRBUF_INIT;

    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    if (prefers_minimal(r)) {
        /* RFC 7240: the client needs the id only (bulk senders, gateways) */
        strbuf_addf(&sb, "{\"id\":%lld,\"created\":%s}", (long long)in->results[0].id,
                    in->results[0].created ? "true" : "false");
        reply_json(r, in->results[0].created ? 201 : 200, &sb);
        reply_with_header(r, "Preference-Applied", "return=minimal");
        return REQ_DONE;
    }
    if (!in->results[0].created)
        return reply_record(r, 200, in->results[0].id);
    write_record(&sb, &in->recs[0]);
    return reply_json(r, 201, &sb);
}

int api_feedback_create(struct req *r)
{
    struct intake *in = intake_new(r, 1);
    const char *key = req_header(r, "Idempotency-Key");
    struct kerr e;
    int rc;

    kerr_clear(&e);
    if (r->body.len && record_parse_json(&in->recs[0], r->body.buf, r->body.len, &e) == 0) {
        rc = record_validate(&in->recs[0], clock_now_ms(), &e);
    } else {
        /* the checked path: the exact error, or the few shapes the fast path leaves to it */
        cJSON *j;
        kerr_clear(&e);
        if (!r->body.len)
            kerr_set(&e, KERR_INVALID, "missing_body", "", "the request needs a JSON body");
        else if ((j = json_parse_checked(r->body.buf, r->body.len, &e)))
            goto parsed;
        intake_rejected(r, NULL, "api", &e);
        return reply_kerr(r, KERR_INVALID, &e);
    parsed:
        record_release(&in->recs[0]);
        record_init(&in->recs[0]);
        kerr_clear(&e);
        rc = read_record(j, &in->recs[0], clock_now_ms(), &e);
        cJSON_Delete(j);
    }
    if (rc == KERR_INVALID)
        intake_rejected(r, &in->recs[0], "api", &e);
    if (rc == 0)
        rc = intake_clean(r, &in->recs[0], &e);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    if (key) {
        size_t len = strlen(key);
        if (len == 0 || len > RECORD_SHORT_MAX || utf8_invalid_at(key, len) >= 0)
            return reply_error(r, 400, "invalid_header", "Idempotency-Key",
                               "Idempotency-Key must be 1 to %d bytes of UTF-8", RECORD_SHORT_MAX);
        in->recs[0].idempotency_key = xstrdup(key);
    }
    r->job.kind = STORE_JOB_INSERT;
    r->job.recs = in->recs;
    r->job.results = in->results;
    r->job.n = 1;
    return req_submit(r, create_done);
}

int intake_batch_done(struct req *r)
{
    struct intake *in = r->state;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    size_t created = 0;

    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    for (size_t i = 0; i < in->n; i++) {
        jsonw_obj(&w);
        jsonw_kint(&w, "index", (int64_t)i);
        jsonw_kint(&w, "id", in->results[i].id);
        jsonw_kbool(&w, "created", in->results[i].created);
        jsonw_end(&w);
        created += in->results[i].created;
    }
    jsonw_end(&w);
    jsonw_kint(&w, "created", (int64_t)created);
    jsonw_kint(&w, "existing", (int64_t)(in->n - created));
    jsonw_end(&w);
    return reply_json(r, created ? 201 : 200, &sb);
}

/* Replies 400 listing every bad item; nothing of the batch is stored. */
static int reply_bad_items(struct req *r, struct strbuf *items, size_t nbad, const char *first)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "{\"error\":{\"code\":\"invalid_items\",\"message\":");
    {
        char msg[160];
        snprintf(msg, sizeof(msg), "%zu item(s) are invalid; nothing from this batch was stored",
                 nbad);
        json_escape(&sb, msg, strlen(msg));
    }
    strbuf_addstr(&sb, ",\"field\":");
    json_escape(&sb, first, strlen(first));
    strbuf_addstr(&sb, ",\"items\":[");
    strbuf_add(&sb, items->buf, items->len);
    strbuf_addstr(&sb, "]}}");
    return reply_json(r, 400, &sb);
}

int api_feedback_batch(struct req *r)
{
    cJSON *j = parse_body(r), *arr, *it;
    struct intake *in;
    struct strbuf bad = STRBUF_INIT;
    char first[96] = "";
    size_t n, i = 0, nbad = 0;
    int64_t now = clock_now_ms();

    if (!j)
        return REQ_DONE;
    arr = cJSON_IsArray(j) ? j : cJSON_GetObjectItemCaseSensitive(j, "items");
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(j);
        return reply_error(r, 400, "invalid_type", "items",
                           "send a JSON array of records, or {\"items\": [...]}");
    }
    n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0 || n > (size_t)r->opts->batch_max) {
        cJSON_Delete(j);
        return reply_error(r, n ? 413 : 400, n ? "too_many_items" : "empty_batch", "items",
                           "a batch holds 1 to %d items (got %zu)", r->opts->batch_max, n);
    }
    in = intake_new(r, n);
    cJSON_ArrayForEach(it, arr)
    {
        struct kerr e;
        kerr_clear(&e);
        if (read_record(it, &in->recs[i], now, &e) < 0) {
            struct jsonw w;
            intake_rejected(r, &in->recs[i], "api", &e);
            if (nbad++ == 0)
                snprintf(first, sizeof(first), "items[%zu]%s%s", i, e.field[0] ? "." : "", e.field);
            if (bad.len)
                strbuf_addch(&bad, ',');
            jsonw_init(&w, &bad);
            jsonw_obj(&w);
            jsonw_kint(&w, "index", (int64_t)i);
            jsonw_kstr(&w, "code", e.code);
            jsonw_kstr(&w, "field", e.field[0] ? e.field : NULL);
            jsonw_kstr(&w, "message", e.message);
            jsonw_end(&w);
        }
        i++;
    }
    cJSON_Delete(j);
    if (nbad) {
        int rc = reply_bad_items(r, &bad, nbad, first);
        strbuf_release(&bad);
        return rc;
    }
    for (i = 0; i < n; i++) {
        struct kerr e;
        kerr_clear(&e);
        if (intake_clean(r, &in->recs[i], &e) < 0)
            return reply_kerr(r, KERR_INTERNAL, &e);
    }
    r->job.kind = STORE_JOB_INSERT;
    r->job.recs = in->recs;
    r->job.results = in->results;
    r->job.n = n;
    return req_submit(r, intake_batch_done);
}

/* ---- reads ---------------------------------------------------------------- */

int feedback_in_scope(struct req *r, int64_t id, const struct record *rec, struct kerr *e)
{
    if (store_scope_allows(req_scope(r), rec->assignee, rec->team))
        return 0;
    /* exactly the answer for a record that does not exist */
    return kerr_set(e, KERR_NOTFOUND, "not_found", "id", "no feedback with id %lld", (long long)id);
}

int feedback_load_scoped(struct req *r, int64_t id, struct record *rec, struct kerr *e)
{
    int rc = store_feedback_get(r->store, id, rec, e);
    return rc < 0 ? rc : feedback_in_scope(r, id, rec, e);
}

struct timeline {
    struct jsonw *w;
};

static int write_event(void *arg, const struct store_event *ev)
{
    struct jsonw *w = arg;
    char ts[CLOCK_FMT_MAX];
    jsonw_obj(w);
    jsonw_kint(w, "id", ev->id);
    jsonw_kstr(w, "at", clock_format(ev->at, ts));
    jsonw_kstr(w, "actor", ev->actor);
    jsonw_kstr(w, "kind", ev->kind);
    if (ev->field)
        jsonw_kstr(w, "field", ev->field);
    if (ev->before || ev->field)
        jsonw_kstr(w, "before", ev->before);
    if (ev->after)
        jsonw_kstr(w, "after", ev->after);
    if (ev->note)
        jsonw_kstr(w, "note", ev->note);
    jsonw_end(w);
    return 0;
}

int api_feedback_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct record rec;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    int rc;

    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    record_init(&rec);
    kerr_clear(&e);
    if ((rc = store_feedback_get(r->store, id, &rec, &e)) == KERR_NOTFOUND &&
        req_scope(r)->kind == STORE_SCOPE_ALL) {
        /* moved to the cold archive? (lifecycle.c; callers with a narrower scope see hot
         * records only: the server's scope check answers 404 before this handler) */
        record_release(&rec);
        kerr_clear(&e);
        if ((rc = lifecycle_archive_get(r->store, id, &sb, &e)) == 0)
            return reply_json(r, 200, &sb);
        strbuf_release(&sb);
        if (rc == KERR_NOTFOUND)
            return reply_kerr(r, rc, &e);
        log_error("archive read of record %lld: %s", (long long)id, e.message);
        return reply_error(r, 500, "archive_error", "id", "the archived record cannot be read");
    }
    if (rc < 0 || (rc = feedback_in_scope(r, id, &rec, &e)) < 0) {
        record_release(&rec);
        return reply_kerr(r, rc, &e);
    }
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    record_write_fields(&rec, &w);
    jsonw_key(&w, "timeline");
    jsonw_arr(&w);
    rc = store_feedback_events(r->store, id, write_event, &w, &e);
    jsonw_end(&w);
    jsonw_end(&w);
    record_release(&rec);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}

/* The list's page as it is written: the writer and, for with_sla=true, the page's ids. */
struct list_page {
    struct jsonw *w;
    int64_t *ids;
    size_t n, cap;
};

static int write_list_item(void *arg, const struct record *rec)
{
    struct list_page *lp = arg;
    record_to_json(rec, lp->w);
    if (lp->ids) {
        if (lp->n == lp->cap) {
            lp->cap *= 2;
            lp->ids = xrealloc(lp->ids, lp->cap * sizeof *lp->ids);
        }
        lp->ids[lp->n++] = rec->id;
    }
    return 0;
}

/* The page's clocks, in page order once the query has found them. */
struct page_sla {
    const int64_t *ids;
    size_t n;
    struct store_case_sla *sla;
    bool *found;
};

static int keep_sla(void *arg, int64_t id, const struct store_case_sla *sla)
{
    struct page_sla *ps = arg;
    for (size_t i = 0; i < ps->n; i++)
        if (ps->ids[i] == id) {
            ps->sla[i] = *sla;
            ps->found[i] = true;
        }
    return 0;
}

/* "sla": {"<id>": {clock} or null, ...} for the ids of the page, from one query. */
static int write_page_sla(struct req *r, struct jsonw *w, const int64_t *ids, size_t n,
                          struct kerr *e)
{
    struct page_sla ps = {ids, n, xcalloc(n ? n : 1, sizeof *ps.sla),
                          xcalloc(n ? n : 1, sizeof *ps.found)};
    int rc = store_case_sla_many(r->store, ids, n, keep_sla, &ps, e);
    if (rc == 0) {
        jsonw_key(w, "sla");
        jsonw_obj(w);
        for (size_t i = 0; i < n; i++) {
            char key[24];
            snprintf(key, sizeof key, "%" PRId64, ids[i]);
            jsonw_key(w, key);
            if (ps.found[i])
                api_write_sla(w, &ps.sla[i]);
            else
                jsonw_null(w);
        }
        jsonw_end(w);
    }
    free(ps.sla);
    free(ps.found);
    return rc;
}

/* Reads a time query parameter; returns -1 after replying 400. */
static int query_time(struct req *r, const char *name, int64_t *out)
{
    const char *v = req_query(r, name);
    *out = 0;
    if (!v || !*v)
        return 0;
    if (clock_parse(v, strlen(v), out) < 0) {
        reply_error(r, 400, "invalid_time", name, "%s is not an RFC 3339 time", name);
        return -1;
    }
    return 0;
}

static const char *const list_params[] = {
    "channel",  "status",   "category",  "product", "store", "region", "customer_id",
    "severity", "assignee", "team",      "since",   "until", "q",      "limit",
    "cursor",   "total",    "sentiment", "sla",     "sort",  NULL};

int feedback_filter_from_query(struct req *r, struct store_filter *f)
{
    const char *limit = req_query(r, "limit"), *total = req_query(r, "total");
    memset(f, 0, sizeof(*f));
    f->scope = req_scope(r);
    for (const char *const *p = list_params; *p; p++) {
        const char *v = req_query(r, *p);
        if (v && utf8_invalid_at(v, strlen(v)) >= 0) {
            reply_error(r, 400, "invalid_utf8", *p, "%s is not valid UTF-8", *p);
            return -1;
        }
    }
    f->channel = req_query(r, "channel");
    f->status = req_query(r, "status");
    f->category = req_query(r, "category");
    f->product = req_query(r, "product");
    f->store = req_query(r, "store");
    f->region = req_query(r, "region");
    f->customer_id = req_query(r, "customer_id");
    f->severity = req_query(r, "severity");
    f->sentiment = req_query(r, "sentiment");
    f->assignee = req_query(r, "assignee");
    f->team = req_query(r, "team");
    f->sla = req_query(r, "sla");
    f->sort = req_query(r, "sort");
    f->q = req_query(r, "q");
    {
        const char *m = req_query(r, "match");
        if (m && strcmp(m, "words") != 0 && strcmp(m, "substring") != 0) {
            reply_error(r, 400, "invalid_field", "match",
                        "match is words or substring (the default)");
            return -1;
        }
        f->q_words = m && strcmp(m, "words") == 0;
    }
    f->cursor = req_query(r, "cursor");
    f->want_total = total && (strcmp(total, "true") == 0 || strcmp(total, "1") == 0);
    f->limit = 50;
    if (limit) {
        char *end;
        long v = strtol(limit, &end, 10);
        if (*end || v < 1 || v > 1000) {
            reply_error(r, 400, "invalid_field", "limit", "limit must be 1 to 1000");
            return -1;
        }
        f->limit = (int)v;
    }
    if (query_time(r, "since", &f->since) < 0 || query_time(r, "until", &f->until) < 0)
        return -1;
    {
        struct kerr e;
        kerr_clear(&e);
        if (store_filter_check(f, &e) < 0) {
            reply_kerr(r, KERR_INVALID, &e);
            return -1;
        }
    }
    return 0;
}

int api_feedback_list(struct req *r)
{
    struct store_filter f;
    struct store_page page;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    struct list_page lp = {&w, NULL, 0, 0};
    const char *with_sla = req_query(r, "with_sla");
    int rc;

    /* true/false like the other switches (exact=); the clocks are read after the page */
    if (with_sla && strcmp(with_sla, "true") && strcmp(with_sla, "false") &&
        strcmp(with_sla, "1") && strcmp(with_sla, "0"))
        return reply_error(r, 400, "invalid_field", "with_sla", "with_sla is true or false");
    if (feedback_filter_from_query(r, &f) < 0)
        return REQ_DONE;
    if (with_sla && (strcmp(with_sla, "true") == 0 || strcmp(with_sla, "1") == 0)) {
        lp.cap = 64;
        lp.ids = xmalloc(lp.cap * sizeof *lp.ids);
    }

    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    kerr_clear(&e);
    /* the clocks of the page's records only: the ids the list (with the caller's scope) gave */
    rc = store_feedback_list(r->store, &f, write_list_item, &lp, &page, &e);
    jsonw_end(&w);
    if (rc == 0 && lp.ids)
        rc = write_page_sla(r, &w, lp.ids, lp.n, &e);
    free(lp.ids);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    jsonw_kint(&w, "count", (int64_t)page.count);
    jsonw_kstr(&w, "next_cursor", page.next_cursor[0] ? page.next_cursor : NULL);
    if (page.total >= 0)
        jsonw_kint(&w, "total", page.total);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

/* ---- patch ---------------------------------------------------------------- */

struct patch_state {
    struct store_patch p;
    char *note;
};

static void patch_free(void *arg)
{
    struct patch_state *ps = arg;
    record_release(&ps->p.values);
    free(ps->note);
    free(ps);
}

static int patch_done(struct req *r)
{
    if (r->job.rc == KERR_CONFLICT && strcmp(r->job.err.code, "illegal_transition") == 0) {
        struct patch_state *ps = r->state;
        return reply_illegal_transition(r, r->job.id, NULL, ps->p.values.status, &r->job.err);
    }
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    return reply_record(r, 200, r->job.id);
}

/*
 * The permission a change of one field needs beyond feedback:update, or NULL when the caller
 * has it: status moves need feedback:transition; assignee and team need feedback:assign,
 * except that a caller may take a case for themselves (assignee = their own name).
 */
static const char *patch_permission(struct req *r, const char *field, const struct record *v)
{
    if (strcmp(field, "status") == 0)
        return req_can(r, "feedback:transition") ? NULL : "feedback:transition";
    if (strcmp(field, "team") == 0)
        return req_can(r, "feedback:assign") ? NULL : "feedback:assign";
    if (strcmp(field, "assignee") == 0) {
        if (req_can(r, "feedback:assign") ||
            (r->who.kind == AUTH_SESSION && v->assignee && strcmp(v->assignee, r->who.name) == 0))
            return NULL;
        return "feedback:assign";
    }
    return NULL;
}

int api_feedback_patch(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct patch_state *ps;
    cJSON *j, *v;
    struct kerr e;

    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    {
        /* out of the caller's scope: the same 404 as a missing record, before anything else */
        struct record cur;
        int rc;
        record_init(&cur);
        kerr_clear(&e);
        rc = feedback_load_scoped(r, id, &cur, &e);
        record_release(&cur);
        if (rc < 0)
            return reply_kerr(r, rc, &e);
    }
    if (!(j = parse_body(r)))
        return REQ_DONE;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return reply_error(r, 400, "invalid_type", NULL, "send a JSON object of fields");
    }
    ps = xcalloc(1, sizeof(*ps));
    record_init(&ps->p.values);
    r->state = ps;
    r->state_free = patch_free;
    kerr_clear(&e);
    cJSON_ArrayForEach(v, j)
    {
        const struct record_field *f = record_field_by_name(v->string);
        if (strcmp(v->string, "note") == 0 && cJSON_IsString(v)) {
            free(ps->note);
            ps->note = xstrdup(v->valuestring);
            continue;
        }
        if (!f || !(f->flags & RF_PATCH)) {
            int rc = reply_error(r, 400, "not_patchable", v->string,
                                 "\"%.48s\" cannot be changed here (patchable: status, assignee, "
                                 "team, category_l1..3, severity, priority)",
                                 v->string);
            cJSON_Delete(j);
            return rc;
        }
        if (ps->p.n == STORE_PATCH_MAX)
            break;
        if (!cJSON_IsNull(v) && !cJSON_IsString(v)) {
            cJSON_Delete(j);
            return reply_error(r, 400, "invalid_type", f->name, "%s must be a string or null",
                               f->name);
        }
        if (cJSON_IsString(v) &&
            record_set(&ps->p.values, f, v->valuestring, strlen(v->valuestring), &e) < 0) {
            cJSON_Delete(j);
            return reply_kerr(r, KERR_INVALID, &e);
        }
        if (strcmp(f->name, "status") == 0 && !ps->p.values.status) {
            cJSON_Delete(j);
            return reply_error(r, 400, "invalid_value", "status", "status cannot be empty");
        }
        ps->p.fields[ps->p.n++] = f;
    }
    cJSON_Delete(j);
    if (ps->p.n == 0)
        return reply_error(r, 400, "missing_field", NULL, "nothing to change");
    for (size_t i = 0; i < ps->p.n; i++) {
        const char *need = patch_permission(r, ps->p.fields[i]->name, &ps->p.values);
        if (need)
            return reply_error(r, 403, "forbidden", ps->p.fields[i]->name,
                               "changing %s needs the permission %s", ps->p.fields[i]->name, need);
    }
    ps->p.note = ps->note;
    r->job.kind = STORE_JOB_PATCH;
    r->job.id = id;
    r->job.patch = &ps->p;
    return req_submit(r, patch_done);
}

/* ---- reveal --------------------------------------------------------------- */

struct reveal_state {
    struct store_audit audit;
    struct store_patch note; /* carries the reason to the timeline event */
    char object[40];
    char *detail, *reason;
    struct strbuf plain; /* the originals, sent only once the audit entry is committed */
};

static void reveal_free(void *arg)
{
    struct reveal_state *rs = arg;
    free(rs->detail);
    free(rs->reason);
    if (rs->plain.buf)
        sodium_memzero(rs->plain.buf, rs->plain.len);
    strbuf_release(&rs->plain);
    free(rs);
}

static int reveal_done(struct req *r)
{
    struct reveal_state *rs = r->state;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kint(&w, "id", r->job.id);
    jsonw_kstr(&w, "reason", rs->reason);
    jsonw_key(&w, "fields");
    jsonw_raw(&w, rs->plain.buf, rs->plain.len);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

/*
 * POST /api/v1/feedback/{id}/reveal {"reason"}: the personal data masked in
 * a record, as it arrived. Needs pii:reveal and the record in the caller's
 * scope; the audit entry (who, from where, why) and a pii_reveal timeline
 * event are committed before the answer is sent: nothing is shown that is
 * not on record.
 */
int api_feedback_reveal(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct reveal_state *rs;
    struct record rec;
    struct strbuf detail = STRBUF_INIT;
    struct jsonw w;
    const cJSON *reason;
    cJSON *j;
    struct kerr e;
    int rc;

    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    record_init(&rec);
    kerr_clear(&e);
    if ((rc = feedback_load_scoped(r, id, &rec, &e)) < 0) {
        record_release(&rec);
        return reply_kerr(r, rc, &e);
    }
    if (!(j = parse_body(r))) {
        record_release(&rec);
        return REQ_DONE;
    }
    reason = cJSON_GetObjectItemCaseSensitive(j, "reason");
    if (!cJSON_IsString(reason) || !*reason->valuestring || strlen(reason->valuestring) > 500) {
        rc = reply_error(r, 400,
                         reason && !cJSON_IsString(reason) ? "invalid_type" : "missing_field",
                         "reason", "say why, in reason (1 to 500 bytes): it goes to the audit log");
        cJSON_Delete(j);
        record_release(&rec);
        return rc;
    }
    if (!r->opts->pipeline) {
        cJSON_Delete(j);
        record_release(&rec);
        return reply_error(r, 503, "unavailable", NULL, "the field keyring is not loaded");
    }
    rs = xcalloc(1, sizeof(*rs));
    strbuf_init(&rs->plain, 0);
    r->state = rs;
    r->state_free = reveal_free;
    rs->reason = xstrdup(reason->valuestring);
    cJSON_Delete(j);
    rc = pipeline_reveal(r->opts->pipeline, &rec, &rs->plain, &e);
    record_release(&rec);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    jsonw_init(&w, &detail);
    jsonw_obj(&w);
    jsonw_kstr(&w, "reason", rs->reason);
    jsonw_end(&w);
    rs->detail = strbuf_detach(&detail, NULL);
    snprintf(rs->object, sizeof rs->object, "feedback:%lld", (long long)id);
    rs->audit = (struct store_audit){0, r->actor, r->client, "pii.reveal", rs->object, rs->detail};
    rs->note.note = rs->reason;
    r->job.kind = STORE_JOB_AUDIT;
    r->job.audit = &rs->audit;
    r->job.id = id;
    r->job.patch = &rs->note;
    return req_submit(r, reveal_done);
}
