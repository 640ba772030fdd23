/*
 * alerts.c: evaluation of alert rules (see alerts.h and docs/alerts.md).
 *
 * Each rule is measured over periods ending at "now" with one grouped query
 * (store_alert_group) that returns, per series and per day, the numbers
 * the rule needs. Spike rules run the detectors of spike.h over the last
 * 84 complete days (56 of history, 28 evaluated so the CUSUM carries) and
 * test the day so far against the full day's limit; threshold rules
 * compare the last window_days with the window before. What fires is
 * raised as an episode (store_alert_raise: once per rule and series);
 * episodes of the rule that no longer fire are resolved.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "insight/alerts.h"
#include "insight/spike.h"
#include "base/banned.h"

#define DAY_MS              (24 * 3600 * 1000LL)
#define SPIKE_DAYS          84 /* complete days read for a spike rule: history + evaluated */
#define SPIKE_EVAL          28 /* of which evaluated (CUSUM warm-up and the drawn series) */
#define SPIKE_WEEKS_HISTORY 26 /* weekly spike rules: weeks of history (level: half) */
#define SPIKE_WEEKS_EVAL    8  /* and weeks evaluated */
#define MAX_IDS             50 /* complaints listed with an alert */
#define MAX_RECV            64
/* An episode resolves only after its metric has been back this long (no flapping storms). */
#define RESOLVE_HOLD_MS (15 * 60 * 1000LL)

/* ---- series: per-rule accumulation of per-day numbers, keyed by the dimension values ---- */

struct series {
    char *key; /* {"channel":"web",...} */
    char *vals[STORE_ALERT_DIMS];
    double *num, *den; /* per day */
};

struct series_map {
    struct series *v;
    size_t n, cap;
    size_t *slots; /* open addressing: index + 1, 0 = empty */
    size_t nslots;
    int days;
    bool ratio; /* keep denominators too */
};

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void map_grow(struct series_map *m)
{
    size_t ns = m->nslots ? m->nslots * 2 : 64;
    free(m->slots);
    m->slots = xcalloc(ns, sizeof *m->slots);
    m->nslots = ns;
    for (size_t i = 0; i < m->n; i++) {
        size_t j = fnv(m->v[i].key) & (ns - 1);
        while (m->slots[j])
            j = (j + 1) & (ns - 1);
        m->slots[j] = i + 1;
    }
}

static void series_key(struct strbuf *sb, const struct store_alert_scope *sc,
                       const char *const *vals)
{
    struct jsonw w;
    jsonw_init(&w, sb);
    jsonw_obj(&w);
    for (size_t i = 0; i < sc->ndims; i++)
        jsonw_kstr(&w, sc->dims[i], vals[i]);
    jsonw_end(&w);
}

static struct series *map_get(struct series_map *m, const struct store_alert_scope *sc,
                              const char *const *vals)
{
    struct strbuf key = STRBUF_INIT;
    series_key(&key, sc, vals);
    if (2 * (m->n + 1) > m->nslots)
        map_grow(m);
    size_t j = fnv(key.buf) & (m->nslots - 1);
    while (m->slots[j]) {
        struct series *s = &m->v[m->slots[j] - 1];
        if (!strcmp(s->key, key.buf)) {
            strbuf_release(&key);
            return s;
        }
        j = (j + 1) & (m->nslots - 1);
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->v = xrealloc(m->v, m->cap * sizeof *m->v);
    }
    struct series *s = &m->v[m->n];
    memset(s, 0, sizeof *s);
    s->key = strbuf_detach(&key, NULL);
    for (size_t i = 0; i < sc->ndims; i++)
        s->vals[i] = vals[i] ? xstrdup(vals[i]) : NULL;
    s->num = xcalloc((size_t)m->days, sizeof *s->num);
    s->den = m->ratio ? xcalloc((size_t)m->days, sizeof *s->den) : NULL;
    m->slots[j] = ++m->n;
    return s;
}

static void map_free(struct series_map *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].key);
        for (int k = 0; k < STORE_ALERT_DIMS; k++)
            free(m->v[i].vals[k]);
        free(m->v[i].num);
        free(m->v[i].den);
    }
    free(m->v);
    free(m->slots);
}

struct group_arg {
    struct series_map *m;
    const struct store_alert_scope *sc;
};

static int on_group(void *arg, const char *const *vals, int64_t day, double num, double den)
{
    struct group_arg *g = arg;
    if (day < 0 || day >= g->m->days)
        return 0;
    struct series *s = map_get(g->m, g->sc, vals);
    s->num[day] += num;
    if (s->den)
        s->den[day] += den;
    return 0;
}

/* ---- one rule's evaluation ------------------------------------------------------------ */

struct rule_ctx {
    struct store *s;
    int64_t now;
    struct alerts_report *rep;
    const struct store_alert_rule *rule;
    cJSON *dims, *filter, *params;
    struct store_alert_scope sc;
    int64_t recv[MAX_RECV];
    size_t nrecv;
    char **fired;
    size_t nfired, capfired;
};

static double param(const struct rule_ctx *c, const char *name, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->params, name);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

struct recv_list {
    int64_t id[MAX_RECV];
    bool enabled[MAX_RECV];
    size_t n;
};

static int on_receiver(void *arg, const struct store_alert_receiver *r)
{
    struct recv_list *l = arg;
    if (l->n < MAX_RECV) {
        l->id[l->n] = r->id;
        l->enabled[l->n++] = r->enabled;
    }
    return 0;
}

static int rule_open(struct rule_ctx *c, const struct store_alert_rule *r,
                     const struct recv_list *all, struct kerr *err)
{
    const cJSON *e;
    memset(&c->sc, 0, sizeof c->sc);
    c->rule = r;
    c->dims = cJSON_Parse(r->dimensions);
    c->filter = cJSON_Parse(r->filter);
    c->params = cJSON_Parse(r->params);
    cJSON *recv = cJSON_Parse(r->receivers);
    cJSON_ArrayForEach(e, c->dims)
    {
        if (cJSON_IsString(e) && c->sc.ndims < STORE_ALERT_DIMS)
            c->sc.dims[c->sc.ndims++] = e->valuestring;
    }
    cJSON_ArrayForEach(e, c->filter)
    {
        if (cJSON_IsString(e) && c->sc.nfilter < STORE_ALERT_FILTERS) {
            c->sc.fcol[c->sc.nfilter] = e->string;
            c->sc.fval[c->sc.nfilter++] = e->valuestring;
        }
    }
    c->nrecv = 0;
    for (size_t i = 0; i < all->n; i++) {
        bool listed = cJSON_GetArraySize(recv) == 0;
        cJSON_ArrayForEach(e, recv) listed |= (int64_t)e->valuedouble == all->id[i];
        if (listed && all->enabled[i])
            c->recv[c->nrecv++] = all->id[i];
    }
    cJSON_Delete(recv);
    if (!c->dims || !c->filter || !c->params)
        return kerr_set(err, KERR_INTERNAL, "bad_rule", "", "rule %lld is not valid JSON",
                        (long long)r->id);
    return 0;
}

static void rule_close(struct rule_ctx *c)
{
    cJSON_Delete(c->dims);
    cJSON_Delete(c->filter);
    cJSON_Delete(c->params);
    for (size_t i = 0; i < c->nfired; i++)
        free(c->fired[i]);
    free(c->fired);
    c->fired = NULL;
    c->nfired = c->capfired = 0;
}

/* Local midnight of the day holding t (the configured zone). */
static int64_t day_start(int64_t t)
{
    time_t secs = (time_t)(t / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * 1000;
}

static void day_text(int64_t t, char out[16])
{
    time_t secs = (time_t)(t / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

/* A readable series name for titles: "web / 奶粉" or "全部". */
static void series_label(struct strbuf *sb, const struct store_alert_scope *sc, char *const *vals)
{
    if (!sc->ndims) {
        strbuf_addstr(sb, "全部");
        return;
    }
    for (size_t i = 0; i < sc->ndims; i++)
        strbuf_addf(sb, "%s%s", i ? " / " : "", vals[i] ? vals[i] : "(空)");
}

static int raise_alert(struct rule_ctx *c, const char *key, const char *title, double value,
                       double baseline, double threshold, const char *detail, const char *ids,
                       struct kerr *err)
{
    struct store_alert a = {0};
    int64_t id;
    bool opened;
    a.rule_id = c->rule->id;
    a.series = key;
    a.title = title;
    a.value = value;
    a.baseline = baseline;
    a.threshold = threshold;
    a.detail = detail;
    a.feedback_ids = ids;
    int rc = store_alert_raise(c->s, &a, c->recv, c->nrecv, c->now, &id, &opened, err);
    if (rc < 0)
        return rc;
    if (c->nfired == c->capfired) {
        c->capfired = c->capfired ? 2 * c->capfired : 8;
        c->fired = xrealloc(c->fired, c->capfired * sizeof *c->fired);
    }
    c->fired[c->nfired++] = xstrdup(key);
    c->rep->fired++;
    if (opened) {
        c->rep->opened++;
        log_info("alert %lld opened: %s", (long long)id, title);
    }
    return 0;
}

struct active {
    int64_t id[256], fired_at[256];
    char *series[256];
    size_t n;
};

static int on_active(void *arg, const struct store_alert *a)
{
    struct active *l = arg;
    if (l->n == 256)
        return 1;
    l->id[l->n] = a->id;
    l->fired_at[l->n] = a->fired_at;
    l->series[l->n++] = xstrdup(a->series);
    return 0;
}

static bool is_active(const struct active *l, const char *series)
{
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->series[i], series))
            return true;
    return false;
}

/* Resolves the rule's episodes whose series did not fire in this evaluation nor in the
 * RESOLVE_HOLD_MS before it. */
static int resolve_quiet(struct rule_ctx *c, struct kerr *err)
{
    struct active l = {.n = 0};
    struct store_alert_query q = {0, c->rule->id, "active", 0, 256};
    int rc = store_alerts(c->s, &q, on_active, &l, err);
    for (size_t i = 0; i < l.n; i++) {
        bool fired = false;
        for (size_t k = 0; k < c->nfired && !fired; k++)
            fired = !strcmp(c->fired[k], l.series[i]);
        if (!fired && c->now - l.fired_at[i] >= RESOLVE_HOLD_MS && rc == 0 &&
            (rc = store_alert_resolve(c->s, l.id[i], c->recv, c->nrecv, c->now, err)) == 0) {
            c->rep->resolved++;
            log_info("alert %lld resolved", (long long)l.id[i]);
        }
        free(l.series[i]);
    }
    return rc;
}

static void ids_json(struct strbuf *sb, const int64_t *ids, size_t n)
{
    strbuf_addch(sb, '[');
    for (size_t i = 0; i < n; i++)
        strbuf_addf(sb, "%s%lld", i ? "," : "", (long long)ids[i]);
    strbuf_addch(sb, ']');
}

static int series_ids(struct rule_ctx *c, const struct store_alert_scope *sc, char *const *vals,
                      int64_t from, int64_t to, struct strbuf *out, struct kerr *err)
{
    int64_t ids[MAX_IDS];
    size_t n = 0;
    int rc = store_alert_feedback_ids(c->s, sc, (const char *const *)vals, from, to, MAX_IDS, ids,
                                      &n, err);
    ids_json(out, ids, n);
    return rc;
}

/* ---- spike rules ------------------------------------------------------------------------ */

/* How a spike rule cuts time: days (seasonal by weekday) or weeks from Monday (no season). */
struct spike_period {
    bool week;
    int len;        /* days per period */
    int hist, eval; /* complete periods read: history, then evaluated */
    int64_t t0;     /* start of the current period */
};

static void spike_period(struct rule_ctx *c, struct spike_period *sp, struct spike_params *p)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->params, "period");
    sp->week = cJSON_IsString(v) && !strcmp(v->valuestring, "week");
    sp->len = sp->week ? 7 : 1;
    sp->hist = sp->week ? SPIKE_WEEKS_HISTORY : SPIKE_DAYS - SPIKE_EVAL;
    sp->eval = sp->week ? SPIKE_WEEKS_EVAL : SPIKE_EVAL;
    sp->t0 = day_start(c->now);
    if (sp->week) {
        time_t secs = (time_t)(sp->t0 / 1000);
        struct tm tm;
        localtime_r(&secs, &tm);
        sp->t0 = day_start(sp->t0 - ((tm.tm_wday + 6) % 7) * DAY_MS + DAY_MS / 2);
        p->history = SPIKE_WEEKS_HISTORY;
        p->level = SPIKE_WEEKS_HISTORY / 2;
        p->season = 1;
    }
}

static int eval_spike(struct rule_ctx *c, struct kerr *err)
{
    struct spike_params p;
    struct spike_period sp;
    spike_params_default(&p);
    spike_period(c, &sp, &p);
    int np = sp.hist + sp.eval; /* complete periods; period np is the current one */
    int64_t from = sp.t0 - (int64_t)np * sp.len * DAY_MS;
    struct series_map m = {.days = (np + 1) * sp.len};
    struct group_arg g = {&m, &c->sc};
    struct spike_point *pts = xcalloc((size_t)sp.eval, sizeof *pts), cur;
    double *x = xcalloc((size_t)np + 1, sizeof *x);
    time_t f = (time_t)((from + DAY_MS / 2) / 1000);
    struct tm tm;
    int rc;

    p.min_count = (int)param(c, "min_count", p.min_count);
    p.min_ratio = param(c, "min_ratio", p.min_ratio);
    p.alpha = param(c, "alpha", p.alpha);
    p.cusum_k = param(c, "cusum_k", p.cusum_k);
    p.cusum_h = param(c, "cusum_h", p.cusum_h);
    localtime_r(&f, &tm);
    struct active act = {.n = 0};
    struct store_alert_query q = {0, c->rule->id, "active", 0, 256};
    if ((rc = store_alerts(c->s, &q, on_active, &act, err)) < 0 ||
        (rc = store_alert_group(c->s, STORE_METRIC_COUNT, &c->sc, from, c->now, from, on_group, &g,
                                err)) < 0)
        goto out;
    for (size_t i = 0; i < m.n && rc == 0; i++) {
        struct series *s = &m.v[i];
        for (int k = 0; k <= np; k++) {
            x[k] = 0;
            for (int d = 0; d < sp.len; d++)
                x[k] += s->num[k * sp.len + d];
        }
        c->rep->series++;
        if (x[np - 1] < p.min_count && x[np] < p.min_count)
            continue;
        if (spike_scan(x, np, tm.tm_wday, sp.hist, &p, pts) < 0 ||
            spike_baseline(x, np, tm.tm_wday, &p, &cur) < 0)
            continue;
        cur.count = x[np];
        bool partial = cur.count >= cur.ucl && cur.count >= p.min_count &&
                       cur.count >= p.min_ratio * cur.expected;
        const struct spike_point *y = &pts[sp.eval - 1];
        /* an open episode holds while the last period stays above half-way to its limit */
        bool hold = !y->alarm && y->count >= p.min_count &&
                    y->count >= (y->expected + y->ucl) / 2 && is_active(&act, s->key);
        if (!y->alarm && !hold && !partial)
            continue;
        bool last = y->alarm || hold;
        const struct spike_point *hit = last ? y : &cur;
        int64_t plen = sp.len * DAY_MS;
        int64_t w0 = last ? sp.t0 - plen : sp.t0, w1 = last ? sp.t0 : c->now;
        struct strbuf title = STRBUF_INIT, detail = STRBUF_INIT, ids = STRBUF_INIT;
        struct jsonw w;
        char day[16];
        day_text(w0, day);
        strbuf_addstr(&title, "投诉量突增：");
        series_label(&title, &c->sc, s->vals);
        if (last)
            strbuf_addf(&title, "，%s%s %.0f 件（基线 %.1f）", day, sp.week ? " 当周" : "",
                        hit->count, hit->expected);
        else
            strbuf_addf(&title, "，%s截至目前 %.0f 件（基线 %.1f）", sp.week ? "本周" : "今日",
                        hit->count, hit->expected);
        jsonw_init(&w, &detail);
        jsonw_obj(&w);
        jsonw_kstr(&w, "method",
                   hold         ? "hold"
                   : !last      ? "poisson_current"
                   : y->poisson ? "poisson"
                                : "cusum");
        jsonw_kstr(&w, "period", sp.week ? "week" : "day");
        jsonw_kstr(&w, "day", day);
        jsonw_kdouble(&w, "p", hit->p);
        jsonw_kdouble(&w, "dispersion", hit->disp);
        jsonw_kdouble(&w, "cusum", y->cusum);
        jsonw_key(&w, "points");
        jsonw_arr(&w);
        for (int k = 0; k <= sp.eval; k++) {
            const struct spike_point *pt = k < sp.eval ? &pts[k] : &cur;
            day_text(sp.t0 - (int64_t)(sp.eval - k) * plen, day);
            jsonw_obj(&w);
            jsonw_kstr(&w, "t", day);
            jsonw_kdouble(&w, "n", pt->count);
            jsonw_kdouble(&w, "expected", round(pt->expected * 100) / 100);
            jsonw_kdouble(&w, "ucl", pt->ucl);
            jsonw_kbool(&w, "partial", k == sp.eval);
            jsonw_end(&w);
        }
        jsonw_end(&w);
        jsonw_end(&w);
        rc = series_ids(c, &c->sc, s->vals, w0, w1, &ids, err);
        if (rc == 0)
            rc = raise_alert(c, s->key, title.buf, hit->count, hit->expected, hit->ucl, detail.buf,
                             ids.buf, err);
        strbuf_release(&title);
        strbuf_release(&detail);
        strbuf_release(&ids);
    }
out:
    for (size_t i = 0; i < act.n; i++)
        free(act.series[i]);
    free(pts);
    free(x);
    map_free(&m);
    return rc;
}

/* ---- threshold rules -------------------------------------------------------------------- */

static const char *metric_name(const char *kind)
{
    return !strcmp(kind, "volume_change")    ? "投诉量环比上升"
           : !strcmp(kind, "negative_share") ? "负面情绪占比过高"
           : !strcmp(kind, "csat_drop")      ? "满意度下降"
                                             : "SLA 达成率过低";
}

static int eval_threshold(struct rule_ctx *c, struct kerr *err)
{
    const char *kind = c->rule->kind;
    int wd = (int)param(c, "window_days", 7);
    enum store_alert_metric metric = !strcmp(kind, "volume_change")    ? STORE_METRIC_COUNT
                                     : !strcmp(kind, "negative_share") ? STORE_METRIC_NEGATIVE
                                     : !strcmp(kind, "csat_drop")      ? STORE_METRIC_CSAT
                                                                       : STORE_METRIC_SLA;
    bool ratio = metric != STORE_METRIC_COUNT;
    struct series_map m = {.days = 2 * wd, .ratio = ratio};
    struct group_arg g = {&m, &c->sc};
    int64_t from = c->now - 2 * wd * DAY_MS;
    int rc;

    if ((rc = store_alert_group(c->s, metric, &c->sc, from, c->now, from, on_group, &g, err)) < 0)
        goto out;
    for (size_t i = 0; i < m.n && rc == 0; i++) {
        struct series *s = &m.v[i];
        double cn = 0, cd = 0, pn = 0, pd = 0, v, b, thr;
        bool fire;
        for (int d = 0; d < wd; d++) {
            pn += s->num[d];
            cn += s->num[wd + d];
            if (ratio) {
                pd += s->den[d];
                cd += s->den[wd + d];
            }
        }
        c->rep->series++;
        v = ratio ? (cd > 0 ? cn / cd : 0) : cn;
        b = ratio ? (pd > 0 ? pn / pd : 0) : pn;
        if (metric == STORE_METRIC_COUNT) {
            thr = pn * (1 + param(c, "threshold", 0.5));
            fire = cn >= param(c, "min_count", 10) && cn >= thr && cn > pn;
        } else if (metric == STORE_METRIC_CSAT) {
            double minr = param(c, "min_responses", 10);
            thr = b - param(c, "points", 5) / 100;
            fire = cd >= minr && pd >= minr && v <= thr + 1e-9;
        } else if (metric == STORE_METRIC_NEGATIVE) {
            thr = param(c, "threshold", 0.4);
            fire = cd >= param(c, "min_count", 10) && v > thr;
        } else {
            thr = param(c, "threshold", 0.9);
            fire = cd >= param(c, "min_count", 10) && v < thr;
        }
        if (!fire)
            continue;
        struct strbuf title = STRBUF_INIT, detail = STRBUF_INIT, ids = STRBUF_INIT;
        struct jsonw w;
        char day[16];
        strbuf_addf(&title, "%s：", metric_name(kind));
        series_label(&title, &c->sc, s->vals);
        if (ratio)
            strbuf_addf(&title, "，近 %d 天 %.1f%%（此前 %.1f%%，阈值 %.1f%%）", wd, 100 * v,
                        100 * b, 100 * thr);
        else
            strbuf_addf(&title, "，近 %d 天 %.0f 件（此前 %.0f 件）", wd, v, b);
        jsonw_init(&w, &detail);
        jsonw_obj(&w);
        jsonw_kstr(&w, "method", kind);
        jsonw_kint(&w, "window_days", wd);
        jsonw_kdouble(&w, "current_num", cn);
        jsonw_kdouble(&w, "current_den", cd);
        jsonw_kdouble(&w, "previous_num", pn);
        jsonw_kdouble(&w, "previous_den", pd);
        jsonw_key(&w, "points");
        jsonw_arr(&w);
        for (int d = 0; d < 2 * wd; d++) {
            day_text(from + d * DAY_MS, day);
            jsonw_obj(&w);
            jsonw_kstr(&w, "t", day);
            jsonw_kdouble(&w, "n", s->num[d]);
            if (ratio) {
                jsonw_kdouble(&w, "d", s->den[d]);
                jsonw_kdouble(&w, "value", s->den[d] > 0 ? s->num[d] / s->den[d] : 0);
            }
            jsonw_kdouble(&w, "expected", ratio ? b : pn / wd);
            jsonw_kbool(&w, "current", d >= wd);
            jsonw_end(&w);
        }
        jsonw_end(&w);
        jsonw_end(&w);
        if (metric == STORE_METRIC_COUNT || metric == STORE_METRIC_NEGATIVE) {
            struct store_alert_scope sc = c->sc;
            if (metric == STORE_METRIC_NEGATIVE && sc.nfilter < STORE_ALERT_FILTERS) {
                sc.fcol[sc.nfilter] = "sentiment";
                sc.fval[sc.nfilter++] = "negative";
            }
            rc = series_ids(c, &sc, s->vals, c->now - wd * DAY_MS, c->now, &ids, err);
        } else {
            strbuf_addstr(&ids, "[]");
        }
        if (rc == 0)
            rc = raise_alert(c, s->key, title.buf, v, b, thr, detail.buf, ids.buf, err);
        strbuf_release(&title);
        strbuf_release(&detail);
        strbuf_release(&ids);
    }
out:
    map_free(&m);
    return rc;
}

/* ---- severe complaints -------------------------------------------------------------------- */

struct severe_hits {
    int64_t id[512];
    size_t n;
};

static int on_severe(void *arg, int64_t id, const char *severity)
{
    struct severe_hits *h = arg;
    (void)severity;
    for (size_t i = 0; i < h->n; i++)
        if (h->id[i] == id)
            return 0;
    if (h->n == 512)
        return 1; /* the rest next time */
    h->id[h->n++] = id;
    return 0;
}

static bool in_list(const cJSON *arr, const char *s)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        if (cJSON_IsString(e) && s && !strcmp(e->valuestring, s))
            return true;
    }
    return false;
}

static bool case_settled(const char *status)
{
    return status && (!strcmp(status, "responded") || !strcmp(status, "closed") ||
                      !strcmp(status, "closed_unaccepted"));
}

static int raise_severe(struct rule_ctx *c, int64_t id, const cJSON *sevs, bool first,
                        struct kerr *err)
{
    struct record r;
    struct strbuf key = STRBUF_INIT, title = STRBUF_INIT, detail = STRBUF_INIT;
    struct jsonw w;
    char ids[32];
    int rc;
    record_init(&r);
    if ((rc = store_feedback_get(c->s, id, &r, err)) < 0)
        goto out;
    /* on a rule's first check, complaints from before the rule existed are history */
    if (!in_list(sevs, r.severity) || case_settled(r.status) ||
        (first && r.updated_at < c->rule->created_at))
        goto out;
    strbuf_addf(&key, "{\"feedback_id\":%lld}", (long long)id);
    const char *text = r.title ? r.title : r.text ? r.text : "";
    size_t n = strlen(text), cut = n > 90 ? 90 : n;
    while (cut > 0 && cut < n && ((unsigned char)text[cut] & 0xC0) == 0x80)
        cut--;
    strbuf_addf(&title, "严重投诉 #%lld（%s）：", (long long)id, r.severity);
    strbuf_add(&title, text, cut);
    if (cut < n)
        strbuf_addstr(&title, "…");
    jsonw_init(&w, &detail);
    jsonw_obj(&w);
    jsonw_kstr(&w, "method", "severe");
    jsonw_kstr(&w, "severity", r.severity);
    jsonw_kstr(&w, "channel", r.channel);
    jsonw_kstr(&w, "product", r.product);
    jsonw_kstr(&w, "status", r.status);
    jsonw_kstr(&w, "category_l1", r.category_l1);
    jsonw_end(&w);
    snprintf(ids, sizeof ids, "[%lld]", (long long)id);
    rc = raise_alert(c, key.buf, title.buf, 1, 0, 0, detail.buf, ids, err);
out:
    record_release(&r);
    strbuf_release(&key);
    strbuf_release(&title);
    strbuf_release(&detail);
    return rc == KERR_NOTFOUND ? 0 : rc;
}

static int eval_severe(struct rule_ctx *c, struct kerr *err)
{
    const cJSON *sevs = cJSON_GetObjectItemCaseSensitive(c->params, "severities"), *e;
    const char *names[8];
    size_t nsev = 0;
    char kf[48], ke[48];
    int64_t after_id = 0, after_ev = 0;
    struct severe_hits hits = {.n = 0};
    struct active l = {.n = 0};
    int rc;

    cJSON_ArrayForEach(e, sevs)
    {
        if (cJSON_IsString(e) && nsev < 8)
            names[nsev++] = e->valuestring;
    }
    snprintf(kf, sizeof kf, "severe:%lld:feedback", (long long)c->rule->id);
    snprintf(ke, sizeof ke, "severe:%lld:event", (long long)c->rule->id);
    bool first = store_alert_cursor(c->s, kf, &after_id) < 0;
    store_alert_cursor(c->s, ke, &after_ev);
    if ((rc = store_alert_severe(c->s, &c->sc, names, nsev, &after_id, &after_ev, on_severe, &hits,
                                 err)) < 0)
        return rc;
    for (size_t i = 0; i < hits.n && rc == 0; i++)
        rc = raise_severe(c, hits.id[i], sevs, first, err);
    if (rc == 0 && (rc = store_alert_cursor_set(c->s, kf, after_id, err)) == 0)
        rc = store_alert_cursor_set(c->s, ke, after_ev, err);
    /* an episode ends when its complaint is answered or no longer severe */
    struct store_alert_query q = {0, c->rule->id, "active", 0, 256};
    if (rc == 0)
        rc = store_alerts(c->s, &q, on_active, &l, err);
    for (size_t i = 0; i < l.n; i++) {
        cJSON *k = cJSON_Parse(l.series[i]);
        const cJSON *fid = cJSON_GetObjectItemCaseSensitive(k, "feedback_id");
        struct record r;
        record_init(&r);
        if (rc == 0 && cJSON_IsNumber(fid) &&
            store_feedback_get(c->s, (int64_t)fid->valuedouble, &r, NULL) == 0 &&
            (case_settled(r.status) || !in_list(sevs, r.severity)) &&
            (rc = store_alert_resolve(c->s, l.id[i], c->recv, c->nrecv, c->now, err)) == 0)
            c->rep->resolved++;
        record_release(&r);
        cJSON_Delete(k);
        free(l.series[i]);
    }
    return rc;
}

/* ---- all rules ---------------------------------------------------------------------------- */

struct rule_list {
    struct store_alert_rule *v;
    size_t n, cap;
};

static int on_rule(void *arg, const struct store_alert_rule *r)
{
    struct rule_list *l = arg;
    if (!r->enabled)
        return 0;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    struct store_alert_rule *c = &l->v[l->n++];
    *c = *r;
    c->name = xstrdup(r->name);
    c->kind = xstrdup(r->kind);
    c->dimensions = xstrdup(r->dimensions);
    c->filter = xstrdup(r->filter);
    c->params = xstrdup(r->params);
    c->receivers = xstrdup(r->receivers);
    return 0;
}

static void rules_free(struct rule_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->v[i].name);
        free((char *)l->v[i].kind);
        free((char *)l->v[i].dimensions);
        free((char *)l->v[i].filter);
        free((char *)l->v[i].params);
        free((char *)l->v[i].receivers);
    }
    free(l->v);
}

static int evaluate(struct store *s, int64_t now, bool severe_only, struct alerts_report *rep,
                    struct kerr *err)
{
    struct rule_list rules = {0};
    struct recv_list recv = {.n = 0};
    int rc, first_rc = 0;
    memset(rep, 0, sizeof *rep);
    if ((rc = store_alert_rules(s, 0, on_rule, &rules, err)) < 0 ||
        (rc = store_alert_receivers(s, 0, on_receiver, &recv, err)) < 0)
        goto out;
    for (size_t i = 0; i < rules.n; i++) {
        struct rule_ctx c = {.s = s, .now = now, .rep = rep};
        bool severe = !strcmp(rules.v[i].kind, "severe");
        struct kerr e;
        if (severe_only && !severe)
            continue;
        kerr_clear(&e);
        rep->rules++;
        rc = rule_open(&c, &rules.v[i], &recv, &e);
        if (rc == 0 && severe)
            rc = eval_severe(&c, &e);
        else if (rc == 0 && !strcmp(rules.v[i].kind, "spike"))
            rc = eval_spike(&c, &e);
        else if (rc == 0)
            rc = eval_threshold(&c, &e);
        if (rc == 0 && !severe)
            rc = resolve_quiet(&c, &e);
        rule_close(&c);
        if (rc < 0) { /* one broken rule does not stop the others */
            log_warn("alert rule %lld: %s", (long long)rules.v[i].id, e.message);
            if (!first_rc) {
                first_rc = rc;
                if (err)
                    *err = e;
            }
        }
    }
    rc = first_rc;
out:
    rules_free(&rules);
    return rc;
}

int alerts_evaluate(struct store *s, int64_t now, struct alerts_report *rep, struct kerr *err)
{
    return evaluate(s, now, false, rep, err);
}

int alerts_check_severe(struct store *s, int64_t now, struct alerts_report *rep, struct kerr *err)
{
    return evaluate(s, now, true, rep, err);
}

/* ---- an alert as JSON ------------------------------------------------------------------------ */

static int on_rule_name(void *arg, const struct store_alert_rule *r)
{
    struct strbuf *sb = arg;
    strbuf_addstr(sb, r->name);
    strbuf_addch(sb, '\0');
    strbuf_addstr(sb, r->kind);
    return 0;
}

static int on_delivery(void *arg, const struct store_alert_delivery *d)
{
    struct jsonw *w = arg;
    char t[40];
    jsonw_obj(w);
    jsonw_kint(w, "id", d->id);
    jsonw_kint(w, "receiver_id", d->receiver_id);
    jsonw_kstr(w, "event", d->event);
    jsonw_kstr(w, "state", d->state);
    jsonw_kint(w, "attempts", d->attempts);
    jsonw_kstr(w, "last_error", d->last_error);
    jsonw_kstr(w, "next_try_at",
               !strcmp(d->state, "pending") ? clock_format(d->next_try_at, t) : NULL);
    jsonw_kstr(w, "sent_at", d->sent_at ? clock_format(d->sent_at, t) : NULL);
    jsonw_end(w);
    return 0;
}

static void raw_member(struct jsonw *w, const char *key, const char *json)
{
    jsonw_key(w, key);
    jsonw_raw(w, json && *json ? json : "null", json && *json ? strlen(json) : 4);
}

int alerts_alert_json(struct store *s, const struct store_alert *a, bool with_series,
                      struct jsonw *w, struct kerr *err)
{
    struct strbuf rn = STRBUF_INIT;
    char t[40];
    int rc = 0;
    store_alert_rules(s, a->rule_id, on_rule_name, &rn, NULL);
    jsonw_obj(w);
    jsonw_kint(w, "id", a->id);
    jsonw_kint(w, "rule_id", a->rule_id);
    jsonw_kstr(w, "rule_name", rn.len ? rn.buf : NULL);
    jsonw_kstr(w, "kind", rn.len ? rn.buf + strlen(rn.buf) + 1 : NULL);
    raw_member(w, "series", a->series);
    jsonw_kstr(w, "state", a->state);
    jsonw_kstr(w, "title", a->title);
    jsonw_kdouble(w, "value", a->value);
    jsonw_kdouble(w, "baseline", a->baseline);
    jsonw_kdouble(w, "threshold", a->threshold);
    raw_member(w, "feedback_ids", a->feedback_ids);
    jsonw_kstr(w, "opened_at", clock_format(a->opened_at, t));
    jsonw_kstr(w, "updated_at", clock_format(a->updated_at, t));
    jsonw_kstr(w, "last_fired_at", clock_format(a->fired_at, t));
    jsonw_kstr(w, "acknowledged_at",
               a->acknowledged_at ? clock_format(a->acknowledged_at, t) : NULL);
    jsonw_kstr(w, "acknowledged_by", a->acknowledged_by);
    jsonw_kstr(w, "resolved_at", a->resolved_at ? clock_format(a->resolved_at, t) : NULL);
    if (with_series) {
        raw_member(w, "detail", a->detail);
        jsonw_key(w, "deliveries");
        jsonw_arr(w);
        rc = store_alert_deliveries(s, a->id, 0, 0, on_delivery, w, err);
        jsonw_end(w);
    }
    jsonw_end(w);
    strbuf_release(&rn);
    return rc;
}
