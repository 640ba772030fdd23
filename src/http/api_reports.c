/*
 * api_reports.c: the reports written (list, generate, download) and the
 * report schedules kesu serve runs (insight/report.h, insight/schedule.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "http/api.h"
#include "insight/report.h"
#include "base/banned.h"

static void report_json(struct jsonw *w, const struct store_report *rep)
{
    char d[16], at[CLOCK_FMT_MAX];
    const char *slash = strrchr(rep->path, '/');
    jsonw_obj(w);
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

int api_reports_create(struct req *r)
{
    cJSON *j = parse_body(r);
    const char *period, *format, *date;
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
    else {
        day = date ? clock_local_day(ms, NULL) : report_default_day(period, clock_now_ms());
        kerr_clear(&e);
        if (report_generate(r->store, r->opts->reports_dir ? r->opts->reports_dir : "reports",
                            period, day, format, r->actor, 0, &id, &e) < 0)
            rc = reply_kerr(r, KERR_IO, &e);
        else {
            struct strbuf sb = STRBUF_INIT;
            struct jsonw w;
            jsonw_init(&w, &sb);
            kerr_clear(&e);
            store_report_list(r->store, id, 1, list_cb, &w, &e);
            rc = reply_json(r, 201, &sb);
        }
    }
    cJSON_Delete(j);
    return rc;
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
    else if (store_schedule_put(r->store, &sc, &id, &e) < 0)
        rc = reply_kerr(r, KERR_IO, &e);
    else
        rc = api_report_schedules_list(r);
    cJSON_Delete(j);
    return rc;
}
