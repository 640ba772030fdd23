/*
 * alertsd.c: the alert threads of `kesu serve`. The evaluator runs every
 * rule each interval and the severe-complaint rules every few seconds; the
 * sender takes due deliveries from the store, composes the message,
 * sends it (insight/notify.h) and records the outcome: sent, or the error
 * and the next attempt after an exponentially growing wait, or failed
 * after the last attempt. Both only read and write the store, so intake
 * never waits for them, and a delivery queued before a restart is sent
 * after it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sodium.h>

#include "base/nap.h"
#include "base/clock.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "insight/alerts.h"
#include "insight/notify.h"
#include "base/banned.h"

#define DUE_BATCH 32

void alerts_opts_default(struct alerts_opts *o)
{
    o->interval_ms = 60 * 1000;
    o->fast_ms = 2000;
    o->retry_base_ms = 30 * 1000;
    o->retry_max_ms = 3600 * 1000;
    o->max_attempts = 8;
    o->timeout_ms = 10 * 1000;
    o->base_url = NULL;
}

/* ---- composing a message ---------------------------------------------------------------- */

/* What a message is made of, read from the store. */
struct msg_parts {
    struct store *s;
    bool found;
    int64_t rule_id, opened_at;
    double value, baseline, threshold;
    struct strbuf alert_json, title, series, ids, rule;
};

static int on_alert(void *arg, const struct store_alert *a)
{
    struct msg_parts *m = arg;
    struct jsonw w;
    m->found = true;
    m->rule_id = a->rule_id;
    m->opened_at = a->opened_at;
    m->value = a->value;
    m->baseline = a->baseline;
    m->threshold = a->threshold;
    strbuf_addstr(&m->title, a->title);
    strbuf_addstr(&m->series, a->series);
    strbuf_addstr(&m->ids, a->feedback_ids);
    jsonw_init(&w, &m->alert_json);
    alerts_alert_json(m->s, a, false, &w, NULL);
    return 0;
}

static int on_rule(void *arg, const struct store_alert_rule *r)
{
    strbuf_addf(arg, "%s（%s）", r->name, r->kind);
    return 0;
}

static void parts_release(struct msg_parts *m)
{
    strbuf_release(&m->alert_json);
    strbuf_release(&m->title);
    strbuf_release(&m->series);
    strbuf_release(&m->ids);
    strbuf_release(&m->rule);
}

/* The message's forms, all owned by the caller's strbufs. */
struct msg_text {
    struct strbuf title, md, text, html, json, link;
};

static void msg_release(struct msg_text *t)
{
    strbuf_release(&t->title);
    strbuf_release(&t->md);
    strbuf_release(&t->text);
    strbuf_release(&t->html);
    strbuf_release(&t->json);
    strbuf_release(&t->link);
}

static void compose(const struct alerts_opts *o, const struct msg_parts *m, int64_t alert_id,
                    bool resolved, int64_t now, struct msg_text *t)
{
    const char *labels[5] = {"规则", "序列", "当前值", resolved ? "恢复时间" : "开始时间",
                             "相关投诉"};
    char values[5][600], tm[40];
    struct jsonw w;

    strbuf_addstr(&t->title, resolved ? "【kesu 已恢复】" : "【kesu 预警】");
    strbuf_addstr(&t->title, m->title.buf ? m->title.buf : "");
    if (o->base_url && *o->base_url)
        strbuf_addf(&t->link, "%s/api/v1/alerts/%lld", o->base_url, (long long)alert_id);
    snprintf(values[0], sizeof values[0], "%s", m->rule.len ? m->rule.buf : "(已删除)");
    snprintf(values[1], sizeof values[1], "%s", m->series.len ? m->series.buf : "{}");
    snprintf(values[2], sizeof values[2], "%.4g（基线 %.4g，阈值 %.4g）", m->value, m->baseline,
             m->threshold);
    snprintf(values[3], sizeof values[3], "%s", clock_format(resolved ? now : m->opened_at, tm));
    snprintf(values[4], sizeof values[4], "%s", m->ids.len ? m->ids.buf : "[]");

    strbuf_addf(&t->md, "### %s\n\n", t->title.buf);
    strbuf_addf(&t->text, "%s\n", t->title.buf);
    strbuf_addstr(&t->html, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body><h3>");
    strbuf_addhtml(&t->html, t->title.buf);
    strbuf_addstr(&t->html, "</h3><ul>");
    for (int i = 0; i < 5; i++) {
        strbuf_addf(&t->md, "- %s：%s\n", labels[i], values[i]);
        strbuf_addf(&t->text, "%s：%s\n", labels[i], values[i]);
        strbuf_addstr(&t->html, "<li>");
        strbuf_addhtml(&t->html, labels[i]);
        strbuf_addstr(&t->html, "：");
        strbuf_addhtml(&t->html, values[i]);
        strbuf_addstr(&t->html, "</li>");
    }
    strbuf_addstr(&t->html, "</ul>");
    if (t->link.len) {
        strbuf_addf(&t->md, "\n[查看预警](%s)\n", t->link.buf);
        strbuf_addf(&t->text, "查看：%s\n", t->link.buf);
        strbuf_addstr(&t->html, "<p><a href=\"");
        strbuf_addhtml(&t->html, t->link.buf);
        strbuf_addstr(&t->html, "\">查看预警</a></p>");
    }
    strbuf_addstr(&t->html, "</body></html>");

    jsonw_init(&w, &t->json);
    jsonw_obj(&w);
    jsonw_kstr(&w, "event", resolved ? "alert.resolved" : "alert.opened");
    jsonw_kstr(&w, "sent_at", clock_format(now, tm));
    jsonw_kstr(&w, "title", t->title.buf);
    jsonw_kstr(&w, "text", t->text.buf);
    jsonw_kstr(&w, "link", t->link.len ? t->link.buf : NULL);
    jsonw_key(&w, "alert");
    jsonw_raw(&w, m->alert_json.len ? m->alert_json.buf : "null",
              m->alert_json.len ? m->alert_json.len : 4);
    jsonw_end(&w);
}

/* ---- sending ------------------------------------------------------------------------------ */

struct due {
    int64_t id, alert_id, receiver_id;
    int attempts;
    char event[16];
};

struct due_list {
    struct due v[DUE_BATCH];
    int n;
};

static int on_due(void *arg, const struct store_alert_delivery *d)
{
    struct due_list *l = arg;
    if (l->n == DUE_BATCH)
        return 1;
    struct due *x = &l->v[l->n++];
    x->id = d->id;
    x->alert_id = d->alert_id;
    x->receiver_id = d->receiver_id;
    x->attempts = d->attempts;
    snprintf(x->event, sizeof x->event, "%s", d->event);
    return 0;
}

static int on_target(void *arg, const struct store_alert_receiver *r)
{
    struct alerts_target *t = arg;
    t->found = true;
    t->enabled = r->enabled;
    strbuf_addstr(&t->kind, r->kind);
    strbuf_addstr(&t->url, r->url);
    strbuf_addstr(&t->secret, r->secret ? r->secret : "");
    strbuf_addstr(&t->config, r->config ? r->config : "{}");
    return 0;
}

/* Replaces the sealed secret and e-mail password of a receiver by their plain values. */
static int open_secrets(struct alerts_target *t, char *err, size_t errlen)
{
    struct strbuf plain = STRBUF_INIT;
    struct kerr e;
    int rc = 0;
    kerr_clear(&e);
    if (t->secret.len &&
        (rc = alerts_unseal(t->secret.buf, "alert_receiver.secret", &plain, &e)) == 0) {
        strbuf_reset(&t->secret);
        strbuf_addstr(&t->secret, plain.buf ? plain.buf : "");
    }
    cJSON *cfg = rc == 0 ? cJSON_Parse(t->config.buf) : NULL;
    const cJSON *pw = cJSON_GetObjectItemCaseSensitive(cfg, "password");
    if (cJSON_IsString(pw)) {
        strbuf_reset(&plain);
        if ((rc = alerts_unseal(pw->valuestring, "alert_receiver.password", &plain, &e)) == 0) {
            cJSON_ReplaceItemInObjectCaseSensitive(cfg, "password",
                                                   cJSON_CreateString(plain.buf ? plain.buf : ""));
            char *txt = cJSON_PrintUnformatted(cfg);
            strbuf_reset(&t->config);
            strbuf_addstr(&t->config, txt ? txt : "{}");
            cJSON_free(txt);
        }
    }
    cJSON_Delete(cfg);
    if (plain.buf)
        sodium_memzero(plain.buf, plain.len);
    strbuf_release(&plain);
    if (rc < 0)
        snprintf(err, errlen, "cannot open the receiver's secret: %s", e.message);
    return rc;
}

int alerts_target_load(struct store *s, int64_t id, struct alerts_target *t, char *err,
                       size_t errlen)
{
    store_alert_receivers(s, id, on_target, t, NULL);
    if (!t->found || !t->enabled) {
        snprintf(err, errlen, "%s", !t->found ? "receiver deleted" : "receiver disabled");
        return KERR_NOTFOUND;
    }
    if (open_secrets(t, err, errlen) < 0)
        return KERR_AUTH;
    t->t.kind = t->kind.buf;
    t->t.url = t->url.buf;
    t->t.secret = t->secret.len ? t->secret.buf : NULL;
    t->t.config = t->config.buf;
    return 0;
}

void alerts_target_release(struct alerts_target *t)
{
    if (t->secret.buf)
        sodium_memzero(t->secret.buf, t->secret.len);
    strbuf_release(&t->kind);
    strbuf_release(&t->url);
    strbuf_release(&t->secret);
    strbuf_release(&t->config);
}

static int64_t backoff(const struct alerts_opts *o, int attempts)
{
    int64_t wait = o->retry_base_ms;
    for (int i = 1; i < attempts && wait < o->retry_max_ms; i++)
        wait *= 2;
    return wait < o->retry_max_ms ? wait : o->retry_max_ms;
}

/* Sends one due delivery; signatures and times in the message are the real clock's. */
static void deliver_one(struct store *s, const struct alerts_opts *o, const struct due *d)
{
    int64_t sent = clock_now_ms();
    struct msg_parts m = {.s = s};
    struct msg_text t = {0};
    struct alerts_target tc = {0};
    char err[512] = "";
    int attempts = d->attempts + 1, rc = -1;
    struct store_alert_query q = {d->alert_id, 0, NULL, 0, 1};
    struct kerr ke;

    store_alerts(s, &q, on_alert, &m, NULL);
    if (m.found)
        store_alert_rules(s, m.rule_id, on_rule, &m.rule, NULL);
    if (!m.found) {
        snprintf(err, sizeof err, "alert not found");
        attempts = o->max_attempts;
    } else if ((rc = alerts_target_load(s, d->receiver_id, &tc, err, sizeof err)) ==
               KERR_NOTFOUND) {
        attempts = o->max_attempts; /* deleted or disabled: trying again will not help */
    } else if (rc == 0) {
        struct notify_msg nm = {0};
        compose(o, &m, d->alert_id, !strcmp(d->event, "resolved"), sent, &t);
        nm.event = d->event;
        nm.title = t.title.buf;
        nm.markdown = t.md.buf;
        nm.text = t.text.buf;
        nm.html = t.html.buf;
        nm.link = t.link.len ? t.link.buf : NULL;
        nm.json = t.json.buf;
        rc = notify_send(&tc.t, &nm, sent, o->timeout_ms, err, sizeof err);
    }
    kerr_clear(&ke);
    int64_t done = clock_now_ms();
    if (rc == 0)
        rc = store_alert_delivery_update(s, d->id, "sent", attempts, NULL, done, done, &ke);
    else if (attempts >= o->max_attempts)
        rc = store_alert_delivery_update(s, d->id, "failed", attempts, err, done, 0, &ke);
    else
        rc = store_alert_delivery_update(s, d->id, "pending", attempts, err,
                                         done + backoff(o, attempts), 0, &ke);
    if (rc < 0)
        log_warn("alert delivery %lld: cannot record the outcome: %s", (long long)d->id,
                 ke.message);
    else if (*err)
        log_warn("alert delivery %lld (alert %lld, receiver %lld) attempt %d: %s", (long long)d->id,
                 (long long)d->alert_id, (long long)d->receiver_id, attempts, err);
    parts_release(&m);
    msg_release(&t);
    alerts_target_release(&tc);
}

int alerts_deliver_due(struct store *s, const struct alerts_opts *o, int64_t now)
{
    struct due_list l = {.n = 0};
    if (store_alert_deliveries(s, 0, now, DUE_BATCH, on_due, &l, NULL) < 0)
        return -1;
    for (int i = 0; i < l.n; i++)
        deliver_one(s, o, &l.v[i]);
    return l.n;
}

/* ---- the threads ---------------------------------------------------------------------------- */

struct alerts_daemon {
    struct store *s;
    struct alerts_opts o;
    char *base_url;
    pthread_t evaluator, sender;
    bool have_eval, have_send;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_bool stop; /* read by the sender between deliveries without the lock */
};

/* Waits ms or until stopped; returns true when stopping. */
static bool nap(struct alerts_daemon *d, int64_t ms)
{
    return nap_or_stop(&d->lock, &d->cond, &d->stop, ms);
}

static void *evaluator_main(void *arg)
{
    struct alerts_daemon *d = arg;
    int64_t last_full = 0;
    do {
        struct alerts_report rep;
        struct kerr e;
        int64_t now = clock_now_ms();
        bool full = now - last_full >= d->o.interval_ms;
        kerr_clear(&e);
        if ((full ? alerts_evaluate(d->s, now, &rep, &e)
                  : alerts_check_severe(d->s, now, &rep, &e)) < 0)
            log_warn("alert evaluation: %s", e.message);
        if (full)
            last_full = now;
    } while (!nap(d, d->o.fast_ms));
    return NULL;
}

static void *sender_main(void *arg)
{
    struct alerts_daemon *d = arg;
    do {
        while (!d->stop && alerts_deliver_due(d->s, &d->o, clock_now_ms()) == DUE_BATCH)
            ;
    } while (!nap(d, 250));
    return NULL;
}

int alerts_start(struct store *s, const struct alerts_opts *o, struct alerts_daemon **out,
                 struct kerr *err)
{
    struct alerts_daemon *d = xcalloc(1, sizeof *d);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(d);
        return kerr_set(err, KERR_INTERNAL, "curl", "", "libcurl does not start");
    }
    d->s = s;
    d->o = *o;
    d->base_url = o->base_url ? xstrdup(o->base_url) : NULL;
    d->o.base_url = d->base_url;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    d->have_eval = pthread_create(&d->evaluator, NULL, evaluator_main, d) == 0;
    d->have_send = pthread_create(&d->sender, NULL, sender_main, d) == 0;
    if (!d->have_eval || !d->have_send) {
        alerts_stop(d);
        return kerr_set(err, KERR_INTERNAL, "thread", "", "cannot start the alert threads");
    }
    *out = d;
    return 0;
}

void alerts_stop(struct alerts_daemon *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stop = true;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    if (d->have_eval)
        pthread_join(d->evaluator, NULL);
    if (d->have_send)
        pthread_join(d->sender, NULL);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cond);
    free(d->base_url);
    free(d);
    curl_global_cleanup();
}
