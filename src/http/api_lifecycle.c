/*
 * api_lifecycle.c: erasure of a customer's personal data on request (PIPL), and the
 * retention settings per data class with their schedule (GET/PUT /api/v1/retention, run
 * now): the settings are kesu serve's retention file, read and written through the
 * schedule that applies them (lifecycle.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/xmalloc.h"
#include "base/utf8.h"
#include "http/api.h"
#include "intake/record.h"
#include "lifecycle/lifecycle.h"
#include "base/banned.h"

/* POST /api/v1/customers/{id}/erase {"reason": "..."} -> 200 {"customer_id","records","archived"}
 */
int api_customer_erase(struct req *r)
{
    const char *customer = r->params[0];
    cJSON *j, *reason;
    struct lifecycle_erase_result res;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    char origin[64] = "";
    int rc;

    if (!customer || !*customer || strlen(customer) > RECORD_SHORT_MAX ||
        utf8_invalid_at(customer, strlen(customer)) >= 0)
        return reply_error(r, 400, "invalid_field", "id", "not a customer id");
    if (!(j = parse_body(r)))
        return REQ_DONE;
    reason = cJSON_GetObjectItemCaseSensitive(j, "reason");
    if (!cJSON_IsString(reason) || !*reason->valuestring || strlen(reason->valuestring) > 1000 ||
        utf8_invalid_at(reason->valuestring, strlen(reason->valuestring)) >= 0) {
        cJSON_Delete(j);
        return reply_error(r, 400, "missing_field", "reason",
                           "reason is required: why the data is erased (up to 1000 bytes)");
    }
    req_client_addr(r, origin, sizeof origin);
    struct lifecycle_actor who = {r->actor, origin};
    kerr_clear(&e);
    rc = lifecycle_erase_customer(r->store, customer, reason->valuestring, &who, &res, &e);
    cJSON_Delete(j);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kstr(&w, "customer_id", customer);
    jsonw_kint(&w, "records", res.records);
    jsonw_kint(&w, "archived", res.archived);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

/* ---- retention ---------------------------------------------------------------------------- */

static int no_schedule(struct req *r)
{
    return reply_error(r, 503, "unavailable", NULL, "this server runs no retention schedule");
}

static void write_time(struct jsonw *w, const char *key, int64_t ms)
{
    char ts[CLOCK_FMT_MAX];
    jsonw_kstr(w, key, ms ? clock_format(ms, ts) : NULL);
}

static void write_settings(struct jsonw *w, const struct lifecycle_conf *conf)
{
    struct lifecycle_conf c = *conf;
    jsonw_key(w, "settings");
    jsonw_obj(w);
    for (size_t i = 0; i < LIFECYCLE_NCLASSES; i++) {
        char d[LIFECYCLE_DURATION_MAX];
        lifecycle_duration_format(*lifecycle_conf_field(&c, &lifecycle_classes[i]), d);
        jsonw_kstr(w, lifecycle_classes[i].name, d[0] ? d : NULL);
    }
    jsonw_end(w);
}

static int reply_retention(struct req *r, unsigned status)
{
    struct lifecycle_status st;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;

    lifecycle_sched_status(r->opts->lifecycle, &st);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    write_settings(&w, &st.conf);
    jsonw_kbool(&w, "running", st.running);
    jsonw_kbool(&w, "queued", st.queued);
    write_time(&w, "next_run", st.next_at);
    jsonw_key(&w, "last_run");
    if (!st.last_at) {
        jsonw_null(&w);
    } else {
        jsonw_obj(&w);
        write_time(&w, "at", st.last_at);
        jsonw_kstr(&w, "actor", st.last_actor);
        jsonw_kbool(&w, "ok", st.last_ok);
        jsonw_kstr(&w, "error", st.last_ok ? NULL : st.last_error);
        jsonw_kint(&w, "pii_erased", st.last.pii_erased + st.last.pii_erased_archived);
        jsonw_kint(&w, "deleted", st.last.deleted + st.last.deleted_archived);
        jsonw_kint(&w, "kept", st.last.kept);
        jsonw_kint(&w, "archived", st.last.archive.moved);
        jsonw_kint(&w, "audit_pruned", st.last.audit_pruned);
        jsonw_end(&w);
    }
    jsonw_end(&w);
    return reply_json(r, status, &sb);
}

/* GET /api/v1/retention -> {"settings":{class: "3y"|null},"running","queued","next_run","last_run"}
 */
int api_retention_get(struct req *r)
{
    if (!r->opts->lifecycle)
        return no_schedule(r);
    return reply_retention(r, 200);
}

/* Reads {"settings":{...}} (or the settings object itself) into conf; -1 after replying 400. */
static int read_settings(struct req *r, const cJSON *j, struct lifecycle_conf *conf)
{
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(j, "settings"), *v;
    memset(conf, 0, sizeof *conf);
    if (!set)
        set = j;
    if (!cJSON_IsObject(set)) {
        reply_error(r, 400, "invalid_type", "settings", "settings is an object of durations");
        return -1;
    }
    cJSON_ArrayForEach(v, set)
    {
        const struct lifecycle_class *c = NULL;
        int64_t ms;
        for (size_t i = 0; i < LIFECYCLE_NCLASSES; i++)
            if (strcmp(v->string, lifecycle_classes[i].name) == 0)
                c = &lifecycle_classes[i];
        if (!c) {
            reply_error(r, 400, "unknown_field", v->string,
                        "\"%.48s\" is not a retention setting (closed_complaints, pii, audit, "
                        "archive_after, every)",
                        v->string);
            return -1;
        }
        if (cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
            continue; /* kept for ever (every: no schedule) */
        ms = cJSON_IsString(v) ? lifecycle_duration_ms(v->valuestring, c->hours) : -1;
        if (ms < 0) {
            reply_error(r, 400, "invalid_value", c->name,
                        "%s is a duration such as 30d, 2w, 6m or 3y%s, or null to keep for ever",
                        c->name, c->hours ? " (or 12h)" : "");
            return -1;
        }
        *lifecycle_conf_field(conf, c) = ms;
    }
    return 0;
}

struct retention_put {
    struct store_audit audit;
    char *detail;
};

static void retention_put_free(void *arg)
{
    struct retention_put *st = arg;
    free(st->detail);
    free(st);
}

static int retention_put_done(struct req *r)
{
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    return reply_retention(r, 200);
}

/*
 * PUT /api/v1/retention {"settings":{"closed_complaints":"3y","pii":"1y","audit":null,...}}:
 * replaces the settings (a class left out or null is kept for ever), writes the file, puts
 * it in force and answers once the audit entry retention.update (before and after) is
 * committed.
 */
int api_retention_put(struct req *r)
{
    struct lifecycle_status before;
    struct lifecycle_conf conf;
    struct retention_put *st;
    struct strbuf detail = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    cJSON *j;
    int rc;

    if (!r->opts->lifecycle)
        return no_schedule(r);
    if (!(j = parse_body(r)))
        return REQ_DONE;
    rc = read_settings(r, j, &conf);
    cJSON_Delete(j);
    if (rc < 0)
        return REQ_DONE;
    lifecycle_sched_status(r->opts->lifecycle, &before);
    kerr_clear(&e);
    if ((rc = lifecycle_sched_set(r->opts->lifecycle, &conf, &e)) < 0)
        return reply_kerr(r, rc, &e);
    jsonw_init(&w, &detail);
    jsonw_obj(&w);
    jsonw_key(&w, "before");
    jsonw_obj(&w);
    write_settings(&w, &before.conf);
    jsonw_end(&w);
    jsonw_key(&w, "after");
    jsonw_obj(&w);
    write_settings(&w, &conf);
    jsonw_end(&w);
    jsonw_end(&w);
    st = xcalloc(1, sizeof(*st));
    st->detail = strbuf_detach(&detail, NULL);
    st->audit =
        (struct store_audit){0, r->actor, r->client, "retention.update", "retention", st->detail};
    r->state = st;
    r->state_free = retention_put_free;
    memset(&r->job, 0, sizeof(r->job));
    r->job.kind = STORE_JOB_AUDIT;
    r->job.actor = r->actor;
    r->job.audit = &st->audit;
    return req_submit(r, retention_put_done);
}

/* POST /api/v1/retention/run: applies the settings now, on the schedule's thread -> 202. */
int api_retention_run(struct req *r)
{
    if (!r->opts->lifecycle)
        return no_schedule(r);
    lifecycle_sched_run_now(r->opts->lifecycle, r->actor);
    return reply_retention(r, 202);
}
