/*
 * report.c: the periodic report (report.h). The figures come from the
 * metrics' JSON (insight/stats.c), so a report says exactly what the API
 * says for the same period.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <xlsxwriter.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "insight/report.h"
#include "insight/stats.h"
#include "base/banned.h"

#define MAX_BREACHES 200
#define TOP_KEYWORDS 20

int report_period(const char *period, int64_t day, int64_t *day0, int64_t *day1, struct kerr *err)
{
    int y, m, d;
    if (!period || strcmp(period, "day") == 0) {
        *day0 = *day1 = day;
    } else if (strcmp(period, "week") == 0) {
        *day0 = day - (clock_day_weekday(day) - 1);
        *day1 = *day0 + 6;
    } else if (strcmp(period, "month") == 0) {
        clock_day_ymd(day, &y, &m, &d);
        *day0 = clock_ymd_day(y, m, 1);
        *day1 = (m == 12 ? clock_ymd_day(y + 1, 1, 1) : clock_ymd_day(y, m + 1, 1)) - 1;
    } else {
        return kerr_set(err, KERR_INVALID, "invalid_field", "period",
                        "period is day, week or month");
    }
    return 0;
}

int64_t report_default_day(const char *period, int64_t now_ms)
{
    int64_t today = clock_local_day(now_ms, NULL), d0, d1;
    struct kerr e;
    if (report_period(period, today, &d0, &d1, &e) < 0)
        return today - 1;
    return d0 - 1; /* the period before the one running now */
}

/* ---- the data ------------------------------------------------------------------------- */

struct kw {
    char *word;
    int64_t n;
};

struct breach {
    int64_t id, received_at;
    char status[32], assignee[64], team[64];
    int bits;
};

struct ritem {
    int64_t id, at, due;
    char title[192], state[32], owner[64], verdict[32];
    double value, baseline;
};

/* Items read from another module's table: state 0 read, -1 table absent, -2 unreadable. */
struct ritems {
    int state;
    char msg[256];
    struct ritem *v;
    size_t n, cap;
};

static int ritem_cb(void *arg, const struct store_report_item *it)
{
    struct ritems *l = arg;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    struct ritem *r = &l->v[l->n++];
    r->id = it->id;
    r->at = it->at;
    r->due = it->due;
    r->value = it->value;
    r->baseline = it->baseline;
    snprintf(r->title, sizeof r->title, "%s", it->title);
    snprintf(r->state, sizeof r->state, "%s", it->state);
    snprintf(r->owner, sizeof r->owner, "%s", it->owner);
    snprintf(r->verdict, sizeof r->verdict, "%s", it->verdict);
    return 0;
}

static void ritems_read(struct ritems *l, int rc, const struct kerr *e)
{
    if (rc == KERR_NOTFOUND)
        l->state = -1;
    else if (rc < 0) {
        l->state = -2;
        snprintf(l->msg, sizeof l->msg, "%s", e->message);
    }
}

struct report {
    struct ritems alert_items, action_items;
    const char *period;
    int64_t day0, day1;
    cJSON *vol, *pareto, *hand, *hand_prev, *sat, *sat_prev, *sla, *staff, *trend;
    int64_t total, previous;
    struct kw *kws;
    size_t nkw, kwcap;
    struct breach *br;
    size_t nbr;
    int64_t breaches;
};

static cJSON *run(struct store *s,
                  int (*fn)(struct store *, const struct stats_query *, struct strbuf *,
                            struct kerr *),
                  const struct stats_query *q, struct kerr *err)
{
    struct strbuf sb = STRBUF_INIT;
    cJSON *doc = NULL;
    if (fn(s, q, &sb, err) == 0)
        doc = cJSON_Parse(sb.buf);
    strbuf_release(&sb);
    if (!doc && !err->message[0])
        kerr_set(err, KERR_IO, "report_error", "", "metrics could not be read");
    return doc;
}

static int kw_cmp(const void *a, const void *b)
{
    const struct kw *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->word, y->word);
}

static void kw_add(struct report *r, const char *w)
{
    if (!w || !*w)
        return;
    for (size_t i = 0; i < r->nkw; i++)
        if (strcmp(r->kws[i].word, w) == 0) {
            r->kws[i].n++;
            return;
        }
    if (r->nkw == r->kwcap) {
        r->kwcap = r->kwcap ? r->kwcap * 2 : 64;
        r->kws = xrealloc(r->kws, r->kwcap * sizeof(*r->kws));
    }
    r->kws[r->nkw++] = (struct kw){xstrdup(w), 1};
}

static int kw_cb(void *arg, const char *json)
{
    struct report *r = arg;
    cJSON *a = cJSON_Parse(json), *it;
    if (r->nkw > 50000) /* enough distinct words to rank the top */
        goto out;
    cJSON_ArrayForEach(it, a)
    {
        if (cJSON_IsString(it))
            kw_add(r, it->valuestring);
        else if (cJSON_IsObject(it)) {
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(it, "word");
            if (!cJSON_IsString(w))
                w = cJSON_GetObjectItemCaseSensitive(it, "keyword");
            if (cJSON_IsString(w))
                kw_add(r, w->valuestring);
        }
    }
out:
    cJSON_Delete(a);
    return 0;
}

struct scan {
    struct report *r;
    struct stats_cases *acc;
};

static int breach_cb(void *arg, const struct store_case *k)
{
    struct scan *sc = arg;
    struct report *r = sc->r;
    stats_cases_add(sc->acc, k);
    if (k->sla <= 0)
        return 0;
    r->breaches++;
    if (r->nbr < MAX_BREACHES) {
        struct breach *b = &r->br[r->nbr++];
        b->id = k->id;
        b->received_at = k->received_at;
        b->bits = k->sla;
        snprintf(b->status, sizeof b->status, "%s", k->status ? k->status : "");
        snprintf(b->assignee, sizeof b->assignee, "%s", k->assignee ? k->assignee : "");
        snprintf(b->team, sizeof b->team, "%s", k->team ? k->team : "");
    }
    return 0;
}

static void report_free(struct report *r)
{
    cJSON_Delete(r->vol);
    cJSON_Delete(r->pareto);
    cJSON_Delete(r->hand);
    cJSON_Delete(r->hand_prev);
    cJSON_Delete(r->sat);
    cJSON_Delete(r->sat_prev);
    cJSON_Delete(r->sla);
    cJSON_Delete(r->staff);
    cJSON_Delete(r->trend);
    for (size_t i = 0; i < r->nkw; i++)
        free(r->kws[i].word);
    free(r->kws);
    free(r->br);
    free(r->alert_items.v);
    free(r->action_items.v);
}

static int gather(struct store *s, struct report *r, struct kerr *err)
{
    struct stats_query q = {0}, p = {0}, t = {0};
    int64_t len = r->day1 - r->day0 + 1;

    stats_days(&q, r->day0, r->day1);
    stats_days(&p, r->day0 - len, r->day0 - 1);
    /* the trend: the period's days, at least the 14 days up to its end */
    stats_days(&t, len < 14 ? r->day1 - 13 : r->day0, r->day1);
    q.by = t.by = "channel";
    q.bucket = t.bucket = "day";
    q.limit = t.limit = 1000;
    if (!(r->vol = run(s, stats_volume_json, &q, err)) ||
        !(r->trend = run(s, stats_volume_json, &t, err)))
        return KERR_IO;
    q.by = "category_l1";
    if (!(r->pareto = run(s, stats_pareto_json, &q, err)) ||
        !(r->hand_prev = run(s, stats_handling_json, &p, err)) ||
        !(r->sat = run(s, stats_satisfaction_json, &q, err)) ||
        !(r->sat_prev = run(s, stats_satisfaction_json, &p, err)))
        return KERR_IO;
    r->total = (int64_t)cJSON_GetObjectItemCaseSensitive(r->vol, "total")->valuedouble;
    r->previous = (int64_t)cJSON_GetObjectItemCaseSensitive(r->vol, "previous")->valuedouble;
    int rc = store_stats_keywords(s, q.t0, q.t1, kw_cb, r, err);
    if (rc < 0)
        return rc;
    if (r->nkw > 1)
        qsort(r->kws, r->nkw, sizeof(*r->kws), kw_cmp);
    /* one scan of the period's cases: handling, SLA, staff and the breaches */
    struct scan sc = {r, stats_cases_new()};
    struct strbuf hb = STRBUF_INIT, sb = STRBUF_INIT, tb = STRBUF_INIT;
    r->br = xcalloc(MAX_BREACHES, sizeof(*r->br));
    rc = store_stats_cases(s, q.t0, q.t1, NULL, breach_cb, &sc, err);
    if (rc == 0)
        rc = stats_cases_json(s, sc.acc, &q, &hb, &sb, &tb, err);
    if (rc == 0) {
        r->hand = cJSON_Parse(hb.buf);
        r->sla = cJSON_Parse(sb.buf);
        r->staff = cJSON_Parse(tb.buf);
    }
    stats_cases_free(sc.acc);
    strbuf_release(&hb);
    strbuf_release(&sb);
    strbuf_release(&tb);
    if (rc < 0)
        return rc;
    if (!r->hand || !r->sla || !r->staff)
        return kerr_set(err, KERR_IO, "report_error", "", "metrics could not be read");
    struct kerr ie;
    kerr_clear(&ie);
    ritems_read(&r->alert_items, store_report_alerts(s, q.t0, q.t1, ritem_cb, &r->alert_items, &ie),
                &ie);
    kerr_clear(&ie);
    ritems_read(&r->action_items,
                store_report_actions(s, q.t0, q.t1, ritem_cb, &r->action_items, &ie), &ie);
    return 0;
}

/* ---- shared helpers ------------------------------------------------------------------ */

static double jnum(const cJSON *o, const char *path)
{
    /* "a.b" walks nested objects */
    char key[64];
    const char *dot;
    while ((dot = strchr(path, '.'))) {
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        o = cJSON_GetObjectItemCaseSensitive(o, key);
        path = dot + 1;
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, path);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Headline rows: label, unit kind (0 count, 1 share, 2 points, 3 hours, 4 per 10k), now, before. */
struct headline {
    const char *zh, *en;
    int kind;
    double now, before;
};

static size_t headlines(const struct report *r, struct headline *h)
{
    size_t n = 0;
    h[n++] = (struct headline){"投诉量", "complaints", 0, (double)r->total, (double)r->previous};
    h[n++] = (struct headline){"首次解决率", "first-contact resolution", 1, jnum(r->hand, "fcr"),
                               jnum(r->hand_prev, "fcr")};
    h[n++] = (struct headline){"SLA 达成率", "SLA compliance", 1, jnum(r->sla, "compliance"),
                               jnum(r->hand_prev, "sla_compliance")};
    h[n++] = (struct headline){"满意度 CSAT", "CSAT", 1, jnum(r->sat, "csat"),
                               jnum(r->sat_prev, "csat")};
    h[n++] = (struct headline){"NPS", "NPS", 2, jnum(r->sat, "nps"), jnum(r->sat_prev, "nps")};
    h[n++] = (struct headline){"处理满意度", "satisfaction with handling", 1,
                               jnum(r->sat, "handling"), jnum(r->sat_prev, "handling")};
    h[n++] = (struct headline){"重开率", "reopen rate", 1, jnum(r->hand, "reopen_rate"),
                               jnum(r->hand_prev, "reopen_rate")};
    h[n++] = (struct headline){"重复投诉率", "repeat-complaint rate", 1,
                               jnum(r->hand, "repeat_rate"), jnum(r->hand_prev, "repeat_rate")};
    h[n++] = (struct headline){"负面情绪占比", "negative share", 1, jnum(r->hand, "negative_share"),
                               jnum(r->hand_prev, "negative_share")};
    h[n++] = (struct headline){"重复件占比", "duplicate share", 1, jnum(r->hand, "duplicate_share"),
                               jnum(r->hand_prev, "duplicate_share")};
    h[n++] = (struct headline){"受理时长中位数 (小时)", "acknowledgement, median hours", 3,
                               jnum(r->hand, "ack_hours.median"),
                               jnum(r->hand_prev, "ack_hours.median")};
    h[n++] = (struct headline){"解决时长中位数 (小时)", "resolution, median hours", 3,
                               jnum(r->hand, "resolve_hours.median"),
                               jnum(r->hand_prev, "resolve_hours.median")};
    h[n++] =
        (struct headline){"万单投诉率", "per 10,000 orders", 4, jnum(r->hand, "per_10k_orders"),
                          jnum(r->hand_prev, "per_10k_orders")};
    return n;
}

static void fmt_value(char *out, size_t n, int kind, double v)
{
    if (isnan(v))
        snprintf(out, n, "–");
    else if (kind == 0)
        snprintf(out, n, "%.0f", v);
    else if (kind == 1)
        snprintf(out, n, "%.1f%%", 100 * v);
    else
        snprintf(out, n, "%.1f", v);
}

static void fmt_change(char *out, size_t n, int kind, double now, double before)
{
    if (isnan(now) || isnan(before))
        snprintf(out, n, "–");
    else if (kind == 0)
        before > 0 ? snprintf(out, n, "%+.1f%%", 100 * (now - before) / before)
                   : snprintf(out, n, "–");
    else if (kind == 1)
        snprintf(out, n, "%+.1f pt", 100 * (now - before));
    else
        snprintf(out, n, "%+.1f", now - before);
}

static const char *title_zh(const char *period)
{
    return strcmp(period, "day") == 0    ? "客诉质量日报"
           : strcmp(period, "week") == 0 ? "客诉质量周报"
                                         : "客诉质量月报";
}

/* trend points summed over the series: day labels and counts */
static size_t trend_points(const struct report *r, char (*labels)[16], double *n, size_t max)
{
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(r->trend, "series"), *s, *p;
    size_t np = 0;
    cJSON_ArrayForEach(s, series)
    {
        size_t i = 0;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(s, "points"))
        {
            if (i >= max)
                break;
            if (i >= np) {
                snprintf(labels[i], 16, "%s", jstr(p, "t"));
                n[i] = 0;
                np = i + 1;
            }
            n[i++] += jnum(p, "n");
        }
    }
    return np;
}

/* ---- HTML ------------------------------------------------------------------------------ */

static void svg_trend(struct strbuf *sb, char (*labels)[16], const double *n, size_t np)
{
    const double W = 720, Hh = 200, L = 40, B = 30, T = 10;
    double max = 1;
    for (size_t i = 0; i < np; i++)
        if (n[i] > max)
            max = n[i];
    strbuf_addf(sb,
                "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                "aria-label=\"trend\"><line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
                "stroke=\"#999\"/>",
                W, Hh, L, Hh - B, W - 5, Hh - B);
    strbuf_addf(sb, "<text x=\"2\" y=\"%.0f\" font-size=\"10\">%.0f</text>", T + 8, max);
    strbuf_addstr(sb, "<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\" points=\"");
    for (size_t i = 0; i < np; i++) {
        double x = L + (np > 1 ? (W - L - 10) * (double)i / (double)(np - 1) : 0);
        double y = Hh - B - (Hh - B - T) * n[i] / max;
        strbuf_addf(sb, "%.1f,%.1f ", x, y);
    }
    strbuf_addstr(sb, "\"/>");
    for (size_t i = 0; i < np; i++) {
        double x = L + (np > 1 ? (W - L - 10) * (double)i / (double)(np - 1) : 0);
        double y = Hh - B - (Hh - B - T) * n[i] / max;
        strbuf_addf(sb, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#c0392b\"><title>", x, y);
        strbuf_addhtml(sb, labels[i]);
        strbuf_addf(sb, ": %.0f</title></circle>", n[i]);
        if (np <= 16 || i % (np / 8 + 1) == 0) {
            strbuf_addf(sb, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"9\" text-anchor=\"middle\">",
                        x, Hh - B + 14);
            strbuf_addhtml(sb, labels[i] + 5); /* MM-DD */
            strbuf_addstr(sb, "</text>");
        }
    }
    strbuf_addstr(sb, "</svg>");
}

static void svg_pareto(struct strbuf *sb, const cJSON *items)
{
    const double W = 720, Hh = 220, L = 40, B = 40, T = 10;
    int n = cJSON_GetArraySize(items);
    if (n > 15)
        n = 15;
    if (n == 0)
        return;
    double max = jnum(cJSON_GetArrayItem(items, 0), "n");
    if (!(max > 0))
        max = 1;
    double bw = (W - L - 10) / n;
    strbuf_addf(sb,
                "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                "aria-label=\"pareto\">",
                W, Hh);
    for (int i = 0; i < n; i++) {
        const cJSON *it = cJSON_GetArrayItem(items, i);
        double h = (Hh - B - T) * jnum(it, "n") / max;
        strbuf_addf(sb,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
                    "<title>",
                    L + i * bw + 2, Hh - B - h, bw - 4, h,
                    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "vital")) ? "#2e86c1"
                                                                                : "#aed6f1");
        strbuf_addhtml(sb, jstr(it, "key"));
        strbuf_addf(sb, ": %.0f</title></rect>", jnum(it, "n"));
        strbuf_addf(sb, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" text-anchor=\"middle\">",
                    L + i * bw + bw / 2, Hh - B + 14);
        strbuf_addhtml(sb, jstr(it, "key"));
        strbuf_addstr(sb, "</text>");
    }
    strbuf_addstr(sb, "<polyline fill=\"none\" stroke=\"#e67e22\" stroke-width=\"2\" points=\"");
    for (int i = 0; i < n; i++)
        strbuf_addf(sb, "%.1f,%.1f ", L + i * bw + bw / 2,
                    Hh - B - (Hh - B - T) * jnum(cJSON_GetArrayItem(items, i), "cum_share"));
    strbuf_addstr(sb, "\"/>");
    double y80 = Hh - B - (Hh - B - T) * 0.8;
    strbuf_addf(sb,
                "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#e67e22\" "
                "stroke-dasharray=\"4 3\"/><text x=\"2\" y=\"%.1f\" font-size=\"10\">80%%</text>"
                "</svg>",
                L, y80, W - 5, y80, y80 + 3);
}

static void html_na(struct strbuf *sb, double v, int kind)
{
    char buf[32];
    fmt_value(buf, sizeof buf, kind, v);
    strbuf_addhtml(sb, buf);
}

static void html_items(struct strbuf *sb, const struct ritems *l, const char *table, bool alerts)
{
    char at[CLOCK_FMT_MAX], buf[32];
    if (l->state == -1) {
        strbuf_addf(sb,
                    "<p class=\"note\">Not available: this store has no table %s (%s not set "
                    "up).</p>",
                    table, alerts ? "alerting is" : "CAPA is");
        return;
    }
    if (l->state == -2) {
        strbuf_addf(sb, "<p class=\"note\">Table %s could not be read: ", table);
        strbuf_addhtml(sb, l->msg);
        strbuf_addstr(sb, "</p>");
        return;
    }
    if (l->n == 0) {
        strbuf_addstr(sb, alerts ? "<p>No alerts were raised in this period.</p>"
                                 : "<p>No open improvement actions.</p>");
        return;
    }
    if (alerts)
        strbuf_addstr(sb, "<table><tr><th>时间 opened</th><th>预警 alert</th><th>状态 state</th>"
                          "<th>数值 value</th><th>基线 baseline</th></tr>");
    else
        strbuf_addstr(sb, "<table><tr><th>编号 id</th><th>措施 action</th><th>状态 status</th>"
                          "<th>负责人 owner</th><th>期限 due</th><th>效果 verdict</th></tr>");
    for (size_t i = 0; i < l->n; i++) {
        const struct ritem *it = &l->v[i];
        strbuf_addstr(sb, "<tr><td>");
        if (alerts)
            strbuf_addstr(sb, it->at ? clock_format(it->at, at) : "");
        else
            strbuf_addf(sb, "%lld", (long long)it->id);
        strbuf_addstr(sb, "</td><td>");
        strbuf_addhtml(sb, it->title);
        strbuf_addstr(sb, "</td><td>");
        strbuf_addhtml(sb, it->state);
        if (alerts) {
            snprintf(buf, sizeof buf, "%.4g", it->value);
            strbuf_addstr(sb, "</td><td class=\"n\">");
            strbuf_addhtml(sb, isnan(it->value) ? "" : buf);
            snprintf(buf, sizeof buf, "%.4g", it->baseline);
            strbuf_addstr(sb, "</td><td class=\"n\">");
            strbuf_addhtml(sb, isnan(it->baseline) ? "" : buf);
        } else {
            strbuf_addstr(sb, "</td><td>");
            strbuf_addhtml(sb, it->owner);
            strbuf_addstr(sb, "</td><td>");
            strbuf_addstr(sb, it->due ? clock_format(it->due, at) : "");
            strbuf_addstr(sb, "</td><td>");
            strbuf_addhtml(sb, it->verdict);
        }
        strbuf_addstr(sb, "</td></tr>");
    }
    strbuf_addstr(sb, "</table>");
}

static void render_html(const struct report *r, struct strbuf *sb)
{
    char d0[16], d1[16], buf[64], now[CLOCK_FMT_MAX];
    struct headline h[16];
    size_t nh = headlines(r, h);
    clock_day_str(r->day0, d0);
    clock_day_str(r->day1, d1);

    strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    strbuf_addhtml(sb, title_zh(r->period));
    strbuf_addf(sb, " %s – %s</title><style>", d0, d1);
    strbuf_addstr(sb, "body{font-family:sans-serif;margin:2em auto;max-width:60em;color:#222}"
                      "h1{font-size:1.5em}h2{font-size:1.15em;border-bottom:1px solid #ccc;"
                      "margin-top:1.6em}table{border-collapse:collapse;width:100%;margin:.5em 0}"
                      "th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left}"
                      "td.n{text-align:right;font-variant-numeric:tabular-nums}"
                      "th{background:#f4f6f7}.chart{width:100%;height:auto}.note{color:#666}"
                      "@media print{body{margin:0;max-width:none}section{break-inside:avoid}}"
                      "</style></head><body>\n");
    strbuf_addstr(sb, "<h1>");
    strbuf_addhtml(sb, title_zh(r->period));
    strbuf_addf(sb, " <span class=\"period\">%s – %s</span></h1>\n", d0, d1);
    strbuf_addf(sb,
                "<p class=\"note\">kesu · generated %s · previous period: the %" PRId64
                " days before</p>\n",
                clock_format(clock_now_ms(), now), r->day1 - r->day0 + 1);

    strbuf_addstr(sb, "<section id=\"headline\"><h2>核心指标 Headline metrics</h2><table>"
                      "<tr><th>指标 metric</th><th>本期 this period</th><th>上期 previous</th>"
                      "<th>变化 change</th></tr>\n");
    for (size_t i = 0; i < nh; i++) {
        strbuf_addstr(sb, "<tr><td>");
        strbuf_addhtml(sb, h[i].zh);
        strbuf_addstr(sb, " <small>");
        strbuf_addhtml(sb, h[i].en);
        strbuf_addstr(sb, "</small></td><td class=\"n\">");
        html_na(sb, h[i].now, h[i].kind);
        strbuf_addstr(sb, "</td><td class=\"n\">");
        html_na(sb, h[i].before, h[i].kind);
        strbuf_addstr(sb, "</td><td class=\"n\">");
        fmt_change(buf, sizeof buf, h[i].kind, h[i].now, h[i].before);
        strbuf_addhtml(sb, buf);
        strbuf_addstr(sb, "</td></tr>\n");
    }
    strbuf_addstr(sb, "</table></section>\n");

    char labels[400][16];
    double n[400];
    size_t np = trend_points(r, labels, n, 400);
    strbuf_addstr(sb, "<section id=\"trend\"><h2>趋势 Trend (complaints per day)</h2>");
    svg_trend(sb, labels, n, np);
    strbuf_addstr(sb, "<table><tr><th>日期 day</th><th>投诉量 complaints</th></tr>");
    for (size_t i = 0; i < np; i++) {
        strbuf_addstr(sb, "<tr><td>");
        strbuf_addhtml(sb, labels[i]);
        strbuf_addf(sb, "</td><td class=\"n\">%.0f</td></tr>", n[i]);
    }
    strbuf_addstr(sb, "</table></section>\n");

    const cJSON *items = cJSON_GetObjectItemCaseSensitive(r->pareto, "items"), *it;
    strbuf_addf(sb,
                "<section id=\"pareto\"><h2>分类与帕累托 Top categories and Pareto</h2>"
                "<p>%.0f of %d categories make 80%% of %.0f classified complaints "
                "(%.0f not classified).</p>",
                jnum(r->pareto, "cut80"), cJSON_GetArraySize(items), jnum(r->pareto, "total"),
                jnum(r->pareto, "unset"));
    svg_pareto(sb, items);
    strbuf_addstr(sb, "<table><tr><th>分类 category</th><th>数量 n</th><th>占比 share</th>"
                      "<th>累计 cumulative</th></tr>");
    cJSON_ArrayForEach(it, items)
    {
        strbuf_addstr(sb, "<tr><td>");
        strbuf_addhtml(sb, jstr(it, "key"));
        strbuf_addf(sb,
                    "</td><td class=\"n\">%.0f</td><td class=\"n\">%.1f%%</td><td "
                    "class=\"n\">%.1f%%</td></tr>",
                    jnum(it, "n"), 100 * jnum(it, "share"), 100 * jnum(it, "cum_share"));
    }
    strbuf_addstr(sb, "</table></section>\n");

    strbuf_addstr(sb, "<section id=\"keywords\"><h2>热词 Top keywords</h2>");
    if (r->nkw == 0) {
        strbuf_addstr(sb, "<p class=\"note\">No keywords in this period (feedback.keywords is "
                          "empty until keyword extraction fills it).</p>");
    } else {
        strbuf_addstr(sb, "<table><tr><th>关键词 keyword</th><th>次数 records</th></tr>");
        for (size_t i = 0; i < r->nkw && i < TOP_KEYWORDS; i++) {
            strbuf_addstr(sb, "<tr><td>");
            strbuf_addhtml(sb, r->kws[i].word);
            strbuf_addf(sb, "</td><td class=\"n\">%" PRId64 "</td></tr>", r->kws[i].n);
        }
        strbuf_addstr(sb, "</table>");
    }
    strbuf_addstr(sb, "</section>\n");

    strbuf_addstr(sb, "<section id=\"alerts\"><h2>预警 Alerts</h2>");
    html_items(sb, &r->alert_items, "alerts", true);
    strbuf_addstr(sb, "</section>\n");

    strbuf_addf(sb,
                "<section id=\"sla\"><h2>SLA 超时 SLA breaches</h2><p>%" PRId64
                " of %.0f cases with an SLA breached a target (compliance ",
                r->breaches, jnum(r->sla, "cases"));
    html_na(sb, jnum(r->sla, "compliance"), 1);
    strbuf_addstr(sb, ").</p>");
    if (r->nbr) {
        strbuf_addstr(sb,
                      "<table><tr><th>编号 id</th><th>受理 received</th><th>状态 status</th>"
                      "<th>处理人 assignee</th><th>团队 team</th><th>超时项 breached</th></tr>");
        for (size_t i = 0; i < r->nbr; i++) {
            const struct breach *b = &r->br[i];
            strbuf_addf(sb, "<tr><td class=\"n\">%" PRId64 "</td><td>%s</td><td>", b->id,
                        clock_format(b->received_at, now));
            strbuf_addhtml(sb, b->status);
            strbuf_addstr(sb, "</td><td>");
            strbuf_addhtml(sb, b->assignee);
            strbuf_addstr(sb, "</td><td>");
            strbuf_addhtml(sb, b->team);
            strbuf_addf(sb, "</td><td>%s%s%s</td></tr>", b->bits & 1 ? "受理 " : "",
                        b->bits & 2 ? "响应 " : "", b->bits & 4 ? "解决" : "");
        }
        strbuf_addstr(sb, "</table>");
        if (r->breaches > (int64_t)r->nbr)
            strbuf_addf(sb, "<p class=\"note\">First %zu shown.</p>", r->nbr);
    }
    strbuf_addstr(sb, "</section>\n");

    strbuf_addstr(sb, "<section id=\"capa\"><h2>整改措施 Improvement actions</h2>");
    html_items(sb, &r->action_items, "actions", false);
    strbuf_addstr(sb, "</section>\n");

    strbuf_addstr(sb, "<section id=\"staff\"><h2>人员绩效 Staff</h2><table><tr><th>排名 rank</th>"
                      "<th>处理人 agent</th><th>团队 team</th><th>案件 cases</th><th>结案 "
                      "closed</th><th>处理时长 hours</th><th>SLA</th><th>CSAT</th>"
                      "<th>重开率 reopen</th></tr>");
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r->staff, "agents"))
    {
        strbuf_addf(sb, "<tr><td class=\"n\">%.0f</td><td>", jnum(it, "rank"));
        strbuf_addhtml(sb, jstr(it, "name"));
        strbuf_addstr(sb, "</td><td>");
        strbuf_addhtml(sb, jstr(it, "team"));
        strbuf_addf(sb, "</td><td class=\"n\">%.0f</td><td class=\"n\">%.0f</td><td class=\"n\">",
                    jnum(it, "cases"), jnum(it, "closed"));
        html_na(sb, jnum(it, "handling_hours"), 3);
        strbuf_addstr(sb, "</td><td class=\"n\">");
        html_na(sb, jnum(it, "sla_compliance"), 1);
        strbuf_addstr(sb, "</td><td class=\"n\">");
        html_na(sb, jnum(it, "csat"), 1);
        strbuf_addstr(sb, "</td><td class=\"n\">");
        html_na(sb, jnum(it, "reopen_rate"), 1);
        strbuf_addstr(sb, "</td></tr>\n");
    }
    strbuf_addstr(sb, "</table></section>\n</body></html>\n");
}

/* ---- xlsx ----------------------------------------------------------------------------- */

static lxw_datetime to_lxw(int64_t ms)
{
    int64_t day = clock_local_day(ms, NULL), secs = (ms - clock_day_start(day)) / 1000;
    int y, m, d;
    clock_day_ymd(day, &y, &m, &d);
    lxw_datetime t = {y, m, d, (int)(secs / 3600), (int)(secs / 60 % 60), (double)(secs % 60)};
    return t;
}

static void xnum(lxw_worksheet *ws, int row, int col, double v, lxw_format *f)
{
    if (isnan(v))
        worksheet_write_blank(ws, (lxw_row_t)row, (lxw_col_t)col, NULL);
    else
        worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, v, f);
}

static int render_xlsx(const struct report *r, const char *path, struct kerr *err)
{
    lxw_workbook *wb = workbook_new(path);
    if (!wb)
        return kerr_set(err, KERR_IO, "io_error", "out", "cannot create %s", path);
    lxw_format *bold = workbook_add_format(wb), *pct = workbook_add_format(wb),
               *date = workbook_add_format(wb), *dt = workbook_add_format(wb),
               *dec = workbook_add_format(wb);
    format_set_bold(bold);
    format_set_num_format(pct, "0.0%");
    format_set_num_format(date, "yyyy-mm-dd");
    format_set_num_format(dt, "yyyy-mm-dd hh:mm");
    format_set_num_format(dec, "0.0");
    char d0[16], d1[16];
    clock_day_str(r->day0, d0);
    clock_day_str(r->day1, d1);

    lxw_worksheet *ws = workbook_add_worksheet(wb, "Headline");
    worksheet_write_string(ws, 0, 0, title_zh(r->period), bold);
    lxw_datetime from_day = to_lxw(clock_day_start(r->day0)),
                 to_day = to_lxw(clock_day_start(r->day1));
    worksheet_write_datetime(ws, 0, 1, &from_day, date);
    worksheet_write_datetime(ws, 0, 2, &to_day, date);
    const char *hdr[] = {"metric", "this period", "previous", "change"};
    for (int c = 0; c < 4; c++)
        worksheet_write_string(ws, 2, (lxw_col_t)c, hdr[c], bold);
    struct headline h[16];
    size_t nh = headlines(r, h);
    for (size_t i = 0; i < nh; i++) {
        int row = 3 + (int)i;
        char label[128];
        snprintf(label, sizeof label, "%s %s", h[i].zh, h[i].en);
        worksheet_write_string(ws, (lxw_row_t)row, 0, label, NULL);
        lxw_format *f = h[i].kind == 1 ? pct : h[i].kind == 0 ? NULL : dec;
        xnum(ws, row, 1, h[i].now, f);
        xnum(ws, row, 2, h[i].before, f);
        double ch = h[i].kind == 0
                        ? (h[i].before > 0 ? (h[i].now - h[i].before) / h[i].before : NAN)
                        : h[i].now - h[i].before;
        xnum(ws, row, 3, ch, h[i].kind == 0 || h[i].kind == 1 ? pct : dec);
    }
    worksheet_set_column(ws, 0, 0, 36, NULL);
    worksheet_set_column(ws, 1, 3, 14, NULL);

    ws = workbook_add_worksheet(wb, "Trend");
    worksheet_write_string(ws, 0, 0, "day", bold);
    worksheet_write_string(ws, 0, 1, "complaints", bold);
    char labels[400][16];
    double n[400];
    size_t np = trend_points(r, labels, n, 400);
    for (size_t i = 0; i < np; i++) {
        int64_t ms;
        if (clock_parse(labels[i], strlen(labels[i]), &ms) == 0) {
            lxw_datetime t = to_lxw(ms);
            worksheet_write_datetime(ws, (lxw_row_t)(i + 1), 0, &t, date);
        }
        worksheet_write_number(ws, (lxw_row_t)(i + 1), 1, n[i], NULL);
    }
    worksheet_set_column(ws, 0, 0, 12, NULL);

    ws = workbook_add_worksheet(wb, "Categories");
    const char *ch[] = {"category", "n", "share", "cum_share", "vital"};
    for (int c = 0; c < 5; c++)
        worksheet_write_string(ws, 0, (lxw_col_t)c, ch[c], bold);
    const cJSON *it;
    int row = 1;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r->pareto, "items"))
    {
        worksheet_write_string(ws, (lxw_row_t)row, 0, jstr(it, "key"), NULL);
        worksheet_write_number(ws, (lxw_row_t)row, 1, jnum(it, "n"), NULL);
        worksheet_write_number(ws, (lxw_row_t)row, 2, jnum(it, "share"), pct);
        worksheet_write_number(ws, (lxw_row_t)row, 3, jnum(it, "cum_share"), pct);
        worksheet_write_boolean(ws, (lxw_row_t)row, 4,
                                cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "vital")), NULL);
        row++;
    }

    ws = workbook_add_worksheet(wb, "Keywords");
    worksheet_write_string(ws, 0, 0, "keyword", bold);
    worksheet_write_string(ws, 0, 1, "records", bold);
    for (size_t i = 0; i < r->nkw && i < TOP_KEYWORDS; i++) {
        worksheet_write_string(ws, (lxw_row_t)(i + 1), 0, r->kws[i].word, NULL);
        worksheet_write_number(ws, (lxw_row_t)(i + 1), 1, (double)r->kws[i].n, NULL);
    }

    ws = workbook_add_worksheet(wb, "SLA breaches");
    const char *bh[] = {"id", "received", "status", "assignee", "team", "breached bits"};
    for (int c = 0; c < 6; c++)
        worksheet_write_string(ws, 0, (lxw_col_t)c, bh[c], bold);
    for (size_t i = 0; i < r->nbr; i++) {
        const struct breach *b = &r->br[i];
        lxw_row_t rr = (lxw_row_t)(i + 1);
        worksheet_write_number(ws, rr, 0, (double)b->id, NULL);
        lxw_datetime t = to_lxw(b->received_at);
        worksheet_write_datetime(ws, rr, 1, &t, dt);
        worksheet_write_string(ws, rr, 2, b->status, NULL);
        worksheet_write_string(ws, rr, 3, b->assignee, NULL);
        worksheet_write_string(ws, rr, 4, b->team, NULL);
        worksheet_write_number(ws, rr, 5, b->bits, NULL);
    }
    worksheet_set_column(ws, 1, 1, 17, NULL);

    ws = workbook_add_worksheet(wb, "Staff");
    const char *sh[] = {"rank",           "agent", "team", "cases",       "closed",
                        "handling_hours", "sla",   "csat", "reopen_rate", "score"};
    for (int c = 0; c < 10; c++)
        worksheet_write_string(ws, 0, (lxw_col_t)c, sh[c], bold);
    row = 1;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r->staff, "agents"))
    {
        lxw_row_t rr = (lxw_row_t)row++;
        worksheet_write_number(ws, rr, 0, jnum(it, "rank"), NULL);
        worksheet_write_string(ws, rr, 1, jstr(it, "name"), NULL);
        worksheet_write_string(ws, rr, 2, jstr(it, "team"), NULL);
        worksheet_write_number(ws, rr, 3, jnum(it, "cases"), NULL);
        worksheet_write_number(ws, rr, 4, jnum(it, "closed"), NULL);
        xnum(ws, (int)rr, 5, jnum(it, "handling_hours"), dec);
        xnum(ws, (int)rr, 6, jnum(it, "sla_compliance"), pct);
        xnum(ws, (int)rr, 7, jnum(it, "csat"), pct);
        xnum(ws, (int)rr, 8, jnum(it, "reopen_rate"), pct);
        xnum(ws, (int)rr, 9, jnum(it, "score"), dec);
    }

    for (int k = 0; k < 2; k++) {
        const struct ritems *l = k ? &r->action_items : &r->alert_items;
        if (l->state < 0)
            continue; /* said in Notes */
        ws = workbook_add_worksheet(wb, k ? "Actions" : "Alerts");
        const char *ah[] = {"opened", "alert", "state", "value", "baseline"};
        const char *ch2[] = {"id", "action", "status", "owner", "due", "verdict"};
        for (int c = 0; c < (k ? 6 : 5); c++)
            worksheet_write_string(ws, 0, (lxw_col_t)c, k ? ch2[c] : ah[c], bold);
        for (size_t i = 0; i < l->n; i++) {
            const struct ritem *ri = &l->v[i];
            lxw_row_t rr = (lxw_row_t)(i + 1);
            if (k) {
                worksheet_write_number(ws, rr, 0, (double)ri->id, NULL);
                worksheet_write_string(ws, rr, 1, ri->title, NULL);
                worksheet_write_string(ws, rr, 2, ri->state, NULL);
                worksheet_write_string(ws, rr, 3, ri->owner, NULL);
                if (ri->due) {
                    lxw_datetime t = to_lxw(ri->due);
                    worksheet_write_datetime(ws, rr, 4, &t, dt);
                }
                worksheet_write_string(ws, rr, 5, ri->verdict, NULL);
            } else {
                if (ri->at) {
                    lxw_datetime t = to_lxw(ri->at);
                    worksheet_write_datetime(ws, rr, 0, &t, dt);
                }
                worksheet_write_string(ws, rr, 1, ri->title, NULL);
                worksheet_write_string(ws, rr, 2, ri->state, NULL);
                xnum(ws, (int)rr, 3, ri->value, NULL);
                xnum(ws, (int)rr, 4, ri->baseline, NULL);
            }
        }
    }

    ws = workbook_add_worksheet(wb, "Notes");
    char note[400];
    snprintf(note, sizeof note, "period %s to %s (%s)", d0, d1, r->period);
    worksheet_write_string(ws, 0, 0, note, NULL);
    if (r->alert_items.state == -1)
        snprintf(note, sizeof note, "alerts: not available (no table alerts)");
    else if (r->alert_items.state == -2)
        snprintf(note, sizeof note, "alerts: table alerts could not be read: %s",
                 r->alert_items.msg);
    else
        snprintf(note, sizeof note, "alerts: %zu raised in the period (sheet Alerts)",
                 r->alert_items.n);
    worksheet_write_string(ws, 1, 0, note, NULL);
    if (r->action_items.state == -1)
        snprintf(note, sizeof note, "improvement actions: not available (no table actions)");
    else if (r->action_items.state == -2)
        snprintf(note, sizeof note, "improvement actions: table actions could not be read: %s",
                 r->action_items.msg);
    else
        snprintf(note, sizeof note,
                 "improvement actions: %zu open or closed in the period (sheet Actions)",
                 r->action_items.n);
    worksheet_write_string(ws, 2, 0, note, NULL);

    lxw_error e = workbook_close(wb);
    if (e != LXW_NO_ERROR)
        return kerr_set(err, KERR_IO, "io_error", "out", "cannot write %s: %s", path,
                        lxw_strerror(e));
    return 0;
}

/* The headline figures as JSON (report.h). */
static void summary_json(const struct report *r, struct strbuf *sb)
{
    struct headline h[16];
    size_t n = headlines(r, h);
    char d[16], v[32], c[32];
    struct jsonw w;
    jsonw_init(&w, sb);
    jsonw_obj(&w);
    jsonw_kstr(&w, "title", title_zh(r->period));
    jsonw_kstr(&w, "period", r->period);
    jsonw_kstr(&w, "from", clock_day_str(r->day0, d));
    jsonw_kstr(&w, "to", clock_day_str(r->day1, d));
    jsonw_key(&w, "headlines");
    jsonw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        jsonw_obj(&w);
        jsonw_kstr(&w, "name", h[i].zh);
        jsonw_kstr(&w, "en", h[i].en);
        jsonw_key(&w, "value");
        isnan(h[i].now) ? jsonw_null(&w) : jsonw_double(&w, h[i].now);
        jsonw_key(&w, "previous");
        isnan(h[i].before) ? jsonw_null(&w) : jsonw_double(&w, h[i].before);
        fmt_value(v, sizeof v, h[i].kind, h[i].now);
        fmt_change(c, sizeof c, h[i].kind, h[i].now, h[i].before);
        jsonw_kstr(&w, "text", v);
        jsonw_kstr(&w, "change", c);
        jsonw_end(&w);
    }
    jsonw_end(&w);
    jsonw_end(&w);
}

int report_write(struct store *s, const char *period, int64_t day0, int64_t day1,
                 const char *format, const char *path, int64_t *bytes, struct strbuf *summary,
                 struct kerr *err)
{
    struct report r = {.period = period, .day0 = day0, .day1 = day1};
    struct stat stt;
    int rc;
    if (strcmp(format, "html") && strcmp(format, "xlsx"))
        return kerr_set(err, KERR_INVALID, "invalid_field", "format", "format is html or xlsx");
    if ((rc = gather(s, &r, err)) < 0)
        goto out;
    if (strcmp(format, "xlsx") == 0) {
        rc = render_xlsx(&r, path, err);
    } else {
        struct strbuf sb = STRBUF_INIT;
        char tmp[4096];
        FILE *f;
        render_html(&r, &sb);
        snprintf(tmp, sizeof tmp, "%s.tmp", path);
        if (!(f = fopen(tmp, "wb")) || fwrite(sb.buf, 1, sb.len, f) != sb.len || fflush(f) ||
            fclose(f)) {
            rc = kerr_set(err, KERR_IO, "io_error", "out", "cannot write %s: %s", path,
                          strerror(errno));
        } else if (rename(tmp, path) < 0) {
            rc = kerr_set(err, KERR_IO, "io_error", "out", "cannot write %s: %s", path,
                          strerror(errno));
        }
        strbuf_release(&sb);
    }
    if (rc == 0 && bytes)
        *bytes = stat(path, &stt) == 0 ? (int64_t)stt.st_size : 0;
    if (rc == 0 && summary)
        summary_json(&r, summary);
out:
    report_free(&r);
    return rc;
}

int report_generate(struct store *s, const char *dir, const char *period, int64_t day,
                    const char *format, const char *actor, int64_t schedule_id,
                    const struct store_report_to *to, int64_t *id, struct kerr *err)
{
    int64_t d0, d1, bytes = 0;
    char path[4096], ds[16];
    struct strbuf summary = STRBUF_INIT;
    int rc;
    if ((rc = report_period(period, day, &d0, &d1, err)) < 0)
        return rc;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return kerr_set(err, KERR_IO, "io_error", "", "cannot create %s: %s", dir, strerror(errno));
    snprintf(path, sizeof path, "%s/kesu-%s-%s.%s", dir, period, clock_day_str(d0, ds), format);
    if ((rc = report_write(s, period, d0, d1, format, path, &bytes, &summary, err)) == 0) {
        struct store_report rep = {.period = period,
                                   .day0 = d0,
                                   .day1 = d1,
                                   .format = format,
                                   .path = path,
                                   .bytes = bytes,
                                   .schedule_id = schedule_id,
                                   .created_by = actor,
                                   .summary = summary.buf,
                                   .to = to};
        rc = store_report_add(s, &rep, id, err);
    }
    strbuf_release(&summary);
    return rc;
}

/* ---- cron ------------------------------------------------------------------------------ */

static int cron_field(const char *f, int lo, int hi, uint64_t *bits, bool *any)
{
    char buf[64];
    char *save = NULL;
    snprintf(buf, sizeof buf, "%s", f);
    *bits = 0;
    *any = strcmp(f, "*") == 0;
    for (char *part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        long a = lo, b = hi, step = 1;
        char *slash = strchr(part, '/'), *end;
        if (slash) {
            *slash = 0;
            step = strtol(slash + 1, &end, 10);
            if (*end || step < 1)
                return -1;
        }
        if (strcmp(part, "*") != 0) {
            a = strtol(part, &end, 10);
            if (end == part)
                return -1;
            b = a;
            if (*end == '-') {
                b = strtol(end + 1, &end, 10);
            } else if (slash) {
                b = hi;
            }
            if (*end || a < lo || b > hi || a > b)
                return -1;
        }
        for (long v = a; v <= b; v += step)
            *bits |= 1ULL << v;
    }
    return *bits ? 0 : -1;
}

int cron_parse(const char *expr, struct cron *out, struct kerr *err)
{
    char buf[128], *f[6], *save = NULL;
    int n = 0;
    uint64_t b;
    bool any;
    snprintf(buf, sizeof buf, "%s", expr ? expr : "");
    for (char *t = strtok_r(buf, " \t", &save); t && n < 6; t = strtok_r(NULL, " \t", &save))
        f[n++] = t;
    if (n != 5)
        return kerr_set(err, KERR_INVALID, "invalid_field", "cron",
                        "cron is five fields: minute hour day-of-month month day-of-week");
    memset(out, 0, sizeof *out);
    static const int lo[] = {0, 0, 1, 1, 0}, hi[] = {59, 23, 31, 12, 7};
    for (int i = 0; i < 5; i++) {
        if (cron_field(f[i], lo[i], hi[i], &b, &any) < 0)
            return kerr_set(err, KERR_INVALID, "invalid_field", "cron",
                            "cron field %d ('%s') is not *, N, N-M, a list or */step", i + 1, f[i]);
        switch (i) {
        case 0:
            out->min = b;
            break;
        case 1:
            out->hour = (uint32_t)b;
            break;
        case 2:
            out->dom = (uint32_t)b;
            out->dom_any = any;
            break;
        case 3:
            out->mon = (uint16_t)b;
            break;
        default:
            out->dow = (uint8_t)((b | (b >> 7)) & 0x7f); /* 7 = Sunday = 0 */
            out->dow_any = any;
        }
    }
    return 0;
}

int64_t cron_next(const struct cron *c, int64_t after)
{
    /* walk minutes, skipping whole days and hours that cannot match */
    int64_t t = (after / 60 + 1) * 60, limit = after + 5LL * 366 * 86400;
    while (t < limit) {
        int64_t ms = t * 1000, day = clock_local_day(ms, NULL);
        int hour, y, m, d;
        clock_local_day(ms, &hour);
        clock_day_ymd(day, &y, &m, &d);
        int dow = clock_day_weekday(day) % 7; /* Sunday 0 */
        bool dom_ok = (c->dom >> d) & 1, dow_ok = (c->dow >> dow) & 1;
        bool day_ok = c->dom_any || c->dow_any ? dom_ok && dow_ok : dom_ok || dow_ok;
        if (!((c->mon >> m) & 1) || !day_ok) {
            t = clock_day_start(day + 1) / 1000;
            continue;
        }
        if (!((c->hour >> hour) & 1)) {
            t = (t / 3600 + 1) * 3600; /* zones off by whole hours; others re-check below */
            continue;
        }
        int64_t local = t + (clock_day_start(day) / 1000 - day * 86400) * -1;
        int minute = (int)((local / 60) % 60);
        if ((c->min >> minute) & 1)
            return t;
        t += 60;
    }
    return 0;
}
