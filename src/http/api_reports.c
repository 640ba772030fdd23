/*
 * api_reports.c: the reports written (list, generate, one with its
 * deliveries, download) and the report schedules kesu serve runs, with their
 * recipients (insight/report.h, insight/schedule.h, insight/reportsend.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/xmalloc.h"
#include "http/api.h"
#include "insight/report.h"
#include "insight/reportsend.h"
#include "base/banned.h"

static void report_fields(struct jsonw *w, const struct store_report *rep)
{
    char d[16], at[CLOCK_FMT_MAX];
    const char *slash = strrchr(rep->path, '/');
    jsonw_kint(w, "id", rep->id);
    jsonw_kstr(w, "period", rep->period);
    jsonw_kstr(w, "from", clock_day_str(rep->day0, d));
    jsonw_kstr(w, "to", clock_day_str(rep->day1, d));
    jsonw_kstr(w, "format", rep->format);
    jsonw_kstr(w, "file", slash ? slash + 1 : rep->path);
    jsonw_kint(w, "bytes", rep->bytes);
    if (rep->schedule_id > 0)
        jsonw_kint(w, "schedule_id", rep->schedule_id);
    jsonw_kstr(w, "created_by", rep->created_by);
    jsonw_kstr(w, "created_at", clock_format(rep->created_at, at));
}

static void report_json(struct jsonw *w, const struct store_report *rep)
{
    jsonw_obj(w);
    report_fields(w, rep);
    jsonw_end(w);
}

static int list_cb(void *arg, const struct store_report *rep)
{
    report_json(arg, rep);
    return 0;
}

int api_reports_list(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    kerr_clear(&e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    if (store_report_list(r->store, 0, 200, list_cb, &w, &e) < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, KERR_IO, &e);
    }
    jsonw_end(&w);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The recipients of a body ("emails", "receivers"), checked; replies 400 naming the member. */
static int body_recipients(struct req *r, const cJSON *j, struct reportsend_to *to)
{
    struct kerr e;
    int rc;
    kerr_clear(&e);
    rc = reportsend_to_check(r->store, cJSON_GetObjectItemCaseSensitive(j, "emails"),
                             cJSON_GetObjectItemCaseSensitive(j, "receivers"), r->opts->report_mail,
                             to, &e);
    if (rc < 0)
        reply_kerr(r, rc, &e);
    return rc;
}

/* Replies 201 with report id as listed. */
static int reply_report(struct req *r, int64_t id)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    jsonw_init(&w, &sb);
    kerr_clear(&e);
    store_report_list(r->store, id, 1, list_cb, &w, &e);
    return reply_json(r, 201, &sb);
}

int api_reports_create(struct req *r)
{
    cJSON *j = parse_body(r);
    const char *period, *format, *date;
    struct reportsend_to to = {0};
    int64_t day, ms, id = 0;
    struct kerr e;
    int rc;
    if (!j)
        return REQ_DONE;
    period = jstr(j, "period");
    format = jstr(j, "format");
    date = jstr(j, "date");
    if (!period || (strcmp(period, "day") && strcmp(period, "week") && strcmp(period, "month")))
        rc = reply_error(r, 400, "invalid_field", "period", "period is day, week or month");
    else if (!format || (strcmp(format, "html") && strcmp(format, "xlsx")))
        rc = reply_error(r, 400, "invalid_field", "format", "format is html or xlsx");
    else if (date && clock_parse(date, strlen(date), &ms) < 0)
        rc = reply_error(r, 400, "invalid_time", "date", "date is YYYY-MM-DD");
    else if (body_recipients(r, j, &to) < 0)
        rc = REQ_DONE;
    else {
        day = date ? clock_local_day(ms, NULL) : report_default_day(period, clock_now_ms());
        kerr_clear(&e);
        if (report_generate(r->store, r->opts->reports_dir ? r->opts->reports_dir : "reports",
                            period, day, format, r->actor, 0, &to.to, &id, &e) < 0)
            rc = reply_kerr(r, KERR_IO, &e);
        else
            rc = reply_report(r, id);
    }
    reportsend_to_release(&to);
    cJSON_Delete(j);
    return rc;
}

/* ---- one report with its deliveries ------------------------------------------------------ */

struct attempts {
    struct store_report_attempt *v;
    size_t n, cap;
};

static int attempt_cb(void *arg, const struct store_report_attempt *a)
{
    struct attempts *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n] = *a;
    l->v[l->n++].error = a->error ? xstrdup(a->error) : NULL;
    return 0;
}

struct deliveries {
    struct jsonw *w;
    const struct attempts *att;
};

static int delivery_cb(void *arg, const struct store_report_delivery *d)
{
    struct deliveries *x = arg;
    struct jsonw *w = x->w;
    char at[CLOCK_FMT_MAX];
    jsonw_obj(w);
    jsonw_kint(w, "id", d->id);
    if (d->email)
        jsonw_kstr(w, "email", d->email);
    else
        jsonw_kint(w, "receiver_id", d->receiver_id);
    jsonw_kstr(w, "state", d->state);
    jsonw_kint(w, "attempts", d->attempts);
    jsonw_kstr(w, "last_error", d->last_error);
    if (!strcmp(d->state, "pending"))
        jsonw_kstr(w, "next_try_at", clock_format(d->next_try_at, at));
    jsonw_kstr(w, "sent_at", d->sent_at ? clock_format(d->sent_at, at) : NULL);
    jsonw_kstr(w, "created_at", clock_format(d->created_at, at));
    jsonw_key(w, "log");
    jsonw_arr(w);
    for (size_t i = 0; i < x->att->n; i++) {
        const struct store_report_attempt *a = &x->att->v[i];
        if (a->delivery_id != d->id)
            continue;
        jsonw_obj(w);
        jsonw_kstr(w, "at", clock_format(a->at, at));
        jsonw_kint(w, "ms", a->ms);
        jsonw_kbool(w, "ok", !a->error);
        jsonw_kstr(w, "error", a->error);
        jsonw_end(w);
    }
    jsonw_end(w);
    jsonw_end(w);
    return 0;
}

/* The report's members and its summary, into the object the caller opened. */
static int full_cb(void *arg, const struct store_report *rep)
{
    struct jsonw *w = arg;
    report_fields(w, rep);
    jsonw_key(w, "summary");
    if (rep->summary && *rep->summary)
        jsonw_raw(w, rep->summary, strlen(rep->summary));
    else
        jsonw_null(w);
    return 1;
}

int api_reports_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct strbuf sb = STRBUF_INIT;
    struct attempts att = {0};
    struct jsonw w;
    struct deliveries d = {&w, &att};
    struct kerr e;
    size_t empty;
    bool found = false;
    int rc;
    if (id <= 0)
        return reply_error(r, 400, "invalid_field", "id", "id is a positive number");
    kerr_clear(&e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    empty = sb.len;
    if ((rc = store_report_list(r->store, id, 1, full_cb, &w, &e)) == 0 &&
        (found = sb.len > empty) &&
        (rc = store_report_attempts(r->store, id, attempt_cb, &att, &e)) == 0) {
        jsonw_key(&w, "deliveries");
        jsonw_arr(&w);
        rc = store_report_deliveries(r->store, id, 0, 0, delivery_cb, &d, &e);
        jsonw_end(&w);
    }
    jsonw_end(&w);
    for (size_t i = 0; i < att.n; i++)
        free((char *)att.v[i].error);
    free(att.v);
    if (rc < 0 || !found) {
        strbuf_release(&sb);
        return rc < 0 ? reply_kerr(r, KERR_IO, &e)
                      : reply_error(r, 404, "not_found", "id", "no report %lld", (long long)id);
    }
    return reply_json(r, 200, &sb);
}

struct one {
    char path[4096], format[8];
    bool found;
};

static int one_cb(void *arg, const struct store_report *rep)
{
    struct one *o = arg;
    snprintf(o->path, sizeof o->path, "%s", rep->path);
    snprintf(o->format, sizeof o->format, "%s", rep->format);
    o->found = true;
    return 0;
}

int api_reports_file(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct one o = {0};
    struct kerr e;
    kerr_clear(&e);
    if (id <= 0)
        return reply_error(r, 400, "invalid_field", "id", "id is a positive number");
    if (store_report_list(r->store, id, 1, one_cb, &o, &e) < 0)
        return reply_kerr(r, KERR_IO, &e);
    if (!o.found)
        return reply_error(r, 404, "not_found", "id", "no report %lld", (long long)id);
    int fd = open(o.path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return reply_error(r, 410, "gone", "id", "the report's file is no longer there");
    return reply_fd(r, 200,
                    strcmp(o.format, "xlsx") == 0
                        ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                        : "text/html; charset=utf-8",
                    fd);
}

static int sched_cb(void *arg, const struct store_schedule *sc)
{
    struct jsonw *w = arg;
    char at[CLOCK_FMT_MAX];
    jsonw_obj(w);
    jsonw_kint(w, "id", sc->id);
    jsonw_kstr(w, "name", sc->name);
    jsonw_kstr(w, "cron", sc->cron);
    jsonw_kstr(w, "period", sc->period);
    jsonw_kstr(w, "format", sc->format);
    jsonw_kbool(w, "enabled", sc->enabled);
    jsonw_kstr(w, "last_due", sc->last_due ? clock_format(sc->last_due * 1000, at) : NULL);
    jsonw_key(w, "emails");
    jsonw_raw(w, sc->emails && *sc->emails ? sc->emails : "[]",
              sc->emails && *sc->emails ? strlen(sc->emails) : 2);
    jsonw_key(w, "receivers");
    jsonw_raw(w, sc->receivers && *sc->receivers ? sc->receivers : "[]",
              sc->receivers && *sc->receivers ? strlen(sc->receivers) : 2);
    jsonw_end(w);
    return 0;
}

int api_report_schedules_list(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    kerr_clear(&e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    if (store_schedule_list(r->store, sched_cb, &w, &e) < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, KERR_IO, &e);
    }
    jsonw_end(&w);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

int api_report_schedules_put(struct req *r)
{
    cJSON *j = parse_body(r);
    struct store_schedule sc = {0};
    struct reportsend_to to = {0};
    struct cron c;
    struct kerr e;
    int64_t id = 0;
    int rc;
    if (!j)
        return REQ_DONE;
    kerr_clear(&e);
    sc.name = jstr(j, "name");
    sc.cron = jstr(j, "cron");
    sc.period = jstr(j, "period");
    sc.format = jstr(j, "format");
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(j, "enabled");
    sc.enabled = !en || cJSON_IsTrue(en);
    sc.last_due = clock_now_ms() / 1000;
    if (!sc.name || !*sc.name || strlen(sc.name) > 60)
        rc = reply_error(r, 400, "invalid_field", "name", "name is 1..60 characters");
    else if (cron_parse(sc.cron, &c, &e) < 0)
        rc = reply_kerr(r, KERR_INVALID, &e);
    else if (!sc.period ||
             (strcmp(sc.period, "day") && strcmp(sc.period, "week") && strcmp(sc.period, "month")))
        rc = reply_error(r, 400, "invalid_field", "period", "period is day, week or month");
    else if (!sc.format || (strcmp(sc.format, "html") && strcmp(sc.format, "xlsx")))
        rc = reply_error(r, 400, "invalid_field", "format", "format is html or xlsx");
    else if (body_recipients(r, j, &to) < 0)
        rc = REQ_DONE;
    else {
        sc.emails = to.emails_json.buf;
        sc.receivers = to.receivers_json.buf;
        if (store_schedule_put(r->store, &sc, &id, &e) < 0)
            rc = reply_kerr(r, KERR_IO, &e);
        else
            rc = api_report_schedules_list(r);
    }
    reportsend_to_release(&to);
    cJSON_Delete(j);
    return rc;
}

/* A schedule copied out of the store's callback. */
struct sched_copy {
    int64_t id;
    bool found;
    char name[64], period[8], format[8];
    struct reportsend_to to;
};

static int sched_find(void *arg, const struct store_schedule *sc)
{
    struct sched_copy *x = arg;
    if (sc->id != x->id)
        return 0;
    x->found = true;
    snprintf(x->name, sizeof x->name, "%s", sc->name);
    snprintf(x->period, sizeof x->period, "%s", sc->period);
    snprintf(x->format, sizeof x->format, "%s", sc->format);
    reportsend_to_parse(sc->emails, sc->receivers, &x->to);
    return 1;
}

int api_report_schedules_run(struct req *r)
{
    struct sched_copy x = {.id = req_param_id(r, 0)};
    struct kerr e;
    int64_t id = 0;
    int rc;
    if (x.id <= 0)
        return reply_error(r, 400, "invalid_field", "id", "id is a positive number");
    kerr_clear(&e);
    if (store_schedule_list(r->store, sched_find, &x, &e) < 0)
        return reply_kerr(r, KERR_IO, &e);
    if (!x.found)
        return reply_error(r, 404, "not_found", "id", "no report schedule %lld", (long long)x.id);
    /* the period the schedule would write now; the deliveries go with it */
    if (report_generate(r->store, r->opts->reports_dir ? r->opts->reports_dir : "reports", x.period,
                        report_default_day(x.period, clock_now_ms()), x.format, r->actor, x.id,
                        &x.to.to, &id, &e) < 0)
        rc = reply_kerr(r, KERR_IO, &e);
    else
        rc = reply_report(r, id);
    reportsend_to_release(&x.to);
    return rc;
}
