/*
 * api_devices.c: device fault events. POST /api/v1/devices/events takes one
 * event or an array; the store folds repeated faults of one device within
 * the configured window into one complaint (store/device.c).
 * GET /api/v1/devices/{id}/events lists a device's recent events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "http/api.h"
#include "intake/channels.h"
#include "base/banned.h"

#define DEVICE_BATCH_MAX 100

struct dev_state {
    size_t n;
    struct store_device_event ev[DEVICE_BATCH_MAX];
    struct store_device_result res[DEVICE_BATCH_MAX];
    struct store_device_rule rule;
    char *strings[DEVICE_BATCH_MAX][5];
};

static void dev_free(void *p)
{
    struct dev_state *d = p;
    for (size_t i = 0; i < d->n; i++)
        for (int k = 0; k < 5; k++)
            free(d->strings[i][k]);
    free(d);
}

static int take_str(const cJSON *o, const char *name, bool required, size_t max, char **out,
                    struct kerr *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    char num[32];
    const char *s;
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return kerr_set(e, KERR_INVALID, "missing_field", name, "%s is required", name);
        return 0;
    }
    if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble) {
        snprintf(num, sizeof num, "%lld", (long long)v->valuedouble);
        s = num;
    } else if (cJSON_IsString(v)) {
        s = v->valuestring;
    } else {
        return kerr_set(e, KERR_INVALID, "invalid_type", name, "%s must be a string", name);
    }
    size_t len = strlen(s);
    if (len == 0 && required)
        return kerr_set(e, KERR_INVALID, "missing_field", name, "%s is required", name);
    if (len > max)
        return kerr_set(e, KERR_INVALID, "too_long", name, "%s is longer than %zu bytes", name,
                        max);
    if (utf8_invalid_at(s, len) >= 0)
        return kerr_set(e, KERR_INVALID, "invalid_utf8", name, "%s is not valid UTF-8", name);
    *out = len ? xstrdup(s) : NULL;
    return 0;
}

static int read_event(const cJSON *o, struct dev_state *d, size_t i, int64_t now, struct kerr *e)
{
    char **s = d->strings[i];
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "at");
    int rc;
    if (!cJSON_IsObject(o))
        return kerr_set(e, KERR_INVALID, "invalid_type", "", "an event is a JSON object");
    if ((rc = take_str(o, "device_id", true, 128, &s[0], e)) < 0 ||
        (rc = take_str(o, "fault_code", true, 64, &s[1], e)) < 0 ||
        (rc = take_str(o, "model", false, 128, &s[2], e)) < 0 ||
        (rc = take_str(o, "message", false, 1024, &s[3], e)) < 0 ||
        (rc = take_str(o, "event_id", false, 128, &s[4], e)) < 0)
        return rc;
    d->ev[i].device_id = s[0];
    d->ev[i].fault_code = s[1];
    d->ev[i].model = s[2];
    d->ev[i].message = s[3];
    d->ev[i].event_id = s[4];
    d->ev[i].at = now;
    if (at && !cJSON_IsNull(at)) {
        int64_t t;
        if (cJSON_IsNumber(at))
            t = at->valuedouble < 1e11 ? (int64_t)(at->valuedouble * 1000)
                                       : (int64_t)at->valuedouble;
        else if (!cJSON_IsString(at) ||
                 clock_parse(at->valuestring, strlen(at->valuestring), &t) < 0)
            return kerr_set(e, KERR_INVALID, "invalid_time", "at",
                            "at is an RFC 3339 time or Unix seconds/milliseconds");
        if (t < RECORD_TIME_MIN || t > now + 24 * 3600 * 1000LL)
            return kerr_set(e, KERR_INVALID, "invalid_time", "at",
                            "at lies before 2000 or more than a day ahead");
        d->ev[i].at = t;
    }
    return 0;
}

static int events_done(struct req *r)
{
    struct dev_state *d = r->state;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    bool created = false;

    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    for (size_t i = 0; i < d->n; i++) {
        const struct store_device_result *res = &d->res[i];
        jsonw_obj(&w);
        jsonw_kint(&w, "index", (int64_t)i);
        jsonw_kint(&w, "event_id", res->event_id);
        if (res->feedback_id)
            jsonw_kint(&w, "feedback_id", res->feedback_id);
        else
            jsonw_kstr(&w, "feedback_id", NULL);
        jsonw_kbool(&w, "opened", res->opened);
        jsonw_kbool(&w, "duplicate", res->duplicate);
        jsonw_kint(&w, "faults_in_window", res->in_window);
        jsonw_end(&w);
        created |= !res->duplicate;
    }
    jsonw_end(&w);
    jsonw_end(&w);
    return reply_json(r, created ? 201 : 200, &sb);
}

int api_device_events_post(struct req *r)
{
    cJSON *j = parse_body(r);
    const cJSON *arr, *it;
    struct dev_state *d;
    int64_t now = clock_now_ms();
    size_t n, i = 0;

    if (!j)
        return REQ_DONE;
    arr = cJSON_IsArray(j) ? j : NULL;
    n = arr ? (size_t)cJSON_GetArraySize(arr) : 1;
    if (n == 0 || n > DEVICE_BATCH_MAX) {
        cJSON_Delete(j);
        return reply_error(r, n ? 413 : 400, n ? "too_many_items" : "empty_batch", "items",
                           "send 1 to %d events", DEVICE_BATCH_MAX);
    }
    d = xcalloc(1, sizeof(*d));
    r->state = d;
    r->state_free = dev_free;
    d->n = n;
    d->rule.threshold = r->opts->channels ? r->opts->channels->device_threshold : 3;
    d->rule.window_ms = r->opts->channels ? r->opts->channels->device_window_ms : 3600000;
    for (it = arr ? arr->child : j; it && i < n; it = it->next, i++) {
        struct kerr e;
        kerr_clear(&e);
        if (read_event(it, d, i, now, &e) < 0) {
            char field[96];
            cJSON_Delete(j);
            snprintf(field, sizeof field, "%s%zu%s%.40s", arr ? "items[" : "", i, arr ? "]." : "",
                     e.field);
            return reply_error(r, 400, e.code, arr ? field : e.field, "%s", e.message);
        }
    }
    cJSON_Delete(j);
    /* one job, events in order: each sees the ones before it */
    r->job.kind = STORE_JOB_DEVICE;
    r->job.dev = d->ev;
    r->job.rule = &d->rule;
    r->job.dres = d->res;
    r->job.n = n;
    return req_submit(r, events_done);
}

struct dev_list {
    struct jsonw *w;
    struct req *r;
};

/* Is the complaint an event belongs to one the caller may see? (data scopes, security) */
static bool dev_case_visible(struct req *r, int64_t feedback_id)
{
    struct record rec;
    struct kerr e;
    bool ok;
    if (!feedback_id || req_scope(r)->kind == STORE_SCOPE_ALL)
        return true;
    record_init(&rec);
    kerr_clear(&e);
    ok = feedback_load_scoped(r, feedback_id, &rec, &e) == 0;
    record_release(&rec);
    return ok;
}

static int write_dev_event(void *arg, int64_t id, const struct store_device_event *ev,
                           int64_t feedback_id)
{
    struct dev_list *dl = arg;
    struct jsonw *w = dl->w;
    char ts[CLOCK_FMT_MAX];
    if (!dev_case_visible(dl->r, feedback_id))
        return 0;
    jsonw_obj(w);
    jsonw_kint(w, "id", id);
    jsonw_kstr(w, "device_id", ev->device_id);
    if (ev->event_id)
        jsonw_kstr(w, "event_id", ev->event_id);
    if (ev->model)
        jsonw_kstr(w, "model", ev->model);
    jsonw_kstr(w, "fault_code", ev->fault_code);
    if (ev->message)
        jsonw_kstr(w, "message", ev->message);
    jsonw_kstr(w, "at", clock_format(ev->at, ts));
    if (feedback_id)
        jsonw_kint(w, "feedback_id", feedback_id);
    jsonw_end(w);
    return 0;
}

int api_device_events_get(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct dev_list dl = {&w, r};
    struct kerr e;
    int rc;

    kerr_clear(&e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kstr(&w, "device_id", r->params[0]);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    rc = store_device_events(r->store, r->params[0], 200, write_dev_event, &dl, &e);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    jsonw_end(&w);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}
