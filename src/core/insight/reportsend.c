/*
 * reportsend.c: see reportsend.h. The message is composed at delivery time
 * from the report's row: the headline figures were stored with it when it
 * was written (reports.summary), so a message says what the file says even
 * when records of the period arrive later. The file is read when the e-mail
 * is built, so what is attached is what DATA/reports holds.
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

#include "base/nap.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "insight/alerts.h"
#include "insight/notify.h"
#include "insight/reportsend.h"
#include "base/banned.h"

#define DUE_BATCH     16
#define HEADLINES_MAX 8
#define CLAIM_SLACK   (60 * 1000)

void reportsend_opts_default(struct reportsend_opts *o)
{
    memset(o, 0, sizeof *o);
    o->retry_base_ms = 30 * 1000;
    o->retry_max_ms = 3600 * 1000;
    o->max_attempts = 8;
    o->timeout_ms = 60 * 1000;
    o->attach_max = 10 << 20;
}

/* ---- recipients ---------------------------------------------------------------------- */

static bool label_ok(const char *p, size_t n)
{
    if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= '0' && p[i] <= '9') || p[i] == '-'))
            return false;
    return true;
}

bool reportsend_email_ok(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    size_t len = addr ? strlen(addr) : 0;
    if (!at || at == addr || at - addr > 64 || len > 254)
        return false;
    for (const char *p = addr; p < at; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("\"(),:;<>@[\\]", *p))
            return false;
    if (addr[0] == '.' || at[-1] == '.' || strstr(addr, ".."))
        return false;
    /* the domain: at least two labels */
    int labels = 0;
    for (const char *p = at + 1;;) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (!label_ok(p, n))
            return false;
        labels++;
        if (!dot)
            break;
        p = dot + 1;
    }
    return labels >= 2;
}

static int bad(struct kerr *err, const char *field, const char *msg)
{
    return kerr_set(err, KERR_INVALID, "invalid_field", field, "%s", msg);
}

static int on_receiver(void *arg, const struct store_alert_receiver *r)
{
    (void)r;
    *(bool *)arg = true;
    return 0;
}

static void to_finish(struct reportsend_to *out)
{
    struct jsonw w;
    out->to.emails = (const char *const *)out->emails;
    out->to.receivers = out->receivers;
    strbuf_reset(&out->emails_json);
    jsonw_init(&w, &out->emails_json);
    jsonw_arr(&w);
    for (size_t i = 0; i < out->to.nemails; i++)
        jsonw_str(&w, out->emails[i]);
    jsonw_end(&w);
    strbuf_reset(&out->receivers_json);
    jsonw_init(&w, &out->receivers_json);
    jsonw_arr(&w);
    for (size_t i = 0; i < out->to.nreceivers; i++)
        jsonw_int(&w, out->receivers[i]);
    jsonw_end(&w);
}

static int check_emails(const cJSON *emails, bool can_mail, struct reportsend_to *out,
                        struct kerr *err)
{
    const cJSON *a;
    char field[32];
    int i = 0;
    if (!emails || cJSON_IsNull(emails))
        return 0;
    if (!cJSON_IsArray(emails) || cJSON_GetArraySize(emails) > REPORTSEND_MAX_EMAILS)
        return bad(err, "emails", "emails must be an array of at most 20 e-mail addresses");
    if (cJSON_GetArraySize(emails) > 0 && !can_mail)
        return bad(err, "emails",
                   "no SMTP server is configured for reports (settings smtp_url, smtp_from)");
    out->emails = xcalloc((size_t)cJSON_GetArraySize(emails) + 1, sizeof(char *));
    cJSON_ArrayForEach(a, emails)
    {
        snprintf(field, sizeof field, "emails[%d]", i++);
        if (!cJSON_IsString(a) || !reportsend_email_ok(a->valuestring))
            return kerr_set(err, KERR_INVALID, "invalid_field", field,
                            "%s is not an e-mail address (name@example.com)", field);
        bool dup = false;
        for (size_t k = 0; k < out->to.nemails; k++)
            dup = dup || !strcmp(out->emails[k], a->valuestring);
        if (!dup)
            out->emails[out->to.nemails++] = xstrdup(a->valuestring);
    }
    return 0;
}

static int check_receivers(struct store *s, const cJSON *receivers, struct reportsend_to *out,
                           struct kerr *err)
{
    const cJSON *a;
    char field[32];
    int i = 0;
    if (!receivers || cJSON_IsNull(receivers))
        return 0;
    if (!cJSON_IsArray(receivers) || cJSON_GetArraySize(receivers) > REPORTSEND_MAX_RECEIVERS)
        return bad(err, "receivers", "receivers must be an array of at most 16 receiver ids");
    out->receivers = xcalloc((size_t)cJSON_GetArraySize(receivers) + 1, sizeof(int64_t));
    cJSON_ArrayForEach(a, receivers)
    {
        bool found = false;
        struct kerr e;
        snprintf(field, sizeof field, "receivers[%d]", i++);
        if (!cJSON_IsNumber(a) || a->valuedouble < 1 || a->valuedouble > 9e15 ||
            a->valuedouble != (double)(int64_t)a->valuedouble)
            return kerr_set(err, KERR_INVALID, "invalid_field", field,
                            "%s must be an alert receiver's id", field);
        int64_t id = (int64_t)a->valuedouble;
        kerr_clear(&e);
        int rc = store_alert_receivers(s, id, on_receiver, &found, &e);
        if (rc < 0 && rc != KERR_NOTFOUND)
            return kerr_set(err, rc, e.code, field, "%s", e.message);
        if (!found)
            return kerr_set(err, KERR_INVALID, "invalid_field", field,
                            "%s: there is no alert receiver %lld", field, (long long)id);
        bool dup = false;
        for (size_t k = 0; k < out->to.nreceivers; k++)
            dup = dup || out->receivers[k] == id;
        if (!dup)
            out->receivers[out->to.nreceivers++] = id;
    }
    return 0;
}

int reportsend_to_check(struct store *s, const cJSON *emails, const cJSON *receivers, bool can_mail,
                        struct reportsend_to *out, struct kerr *err)
{
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = check_emails(emails, can_mail, out, err)) < 0 ||
        (rc = check_receivers(s, receivers, out, err)) < 0)
        return rc;
    to_finish(out);
    return 0;
}

void reportsend_to_parse(const char *emails_json, const char *receivers_json,
                         struct reportsend_to *out)
{
    cJSON *e = cJSON_Parse(emails_json ? emails_json : "[]");
    cJSON *r = cJSON_Parse(receivers_json ? receivers_json : "[]");
    const cJSON *a;
    memset(out, 0, sizeof *out);
    out->emails = xcalloc((size_t)cJSON_GetArraySize(e) + 1, sizeof(char *));
    out->receivers = xcalloc((size_t)cJSON_GetArraySize(r) + 1, sizeof(int64_t));
    cJSON_ArrayForEach(a, e)
    {
        if (cJSON_IsString(a))
            out->emails[out->to.nemails++] = xstrdup(a->valuestring);
    }
    cJSON_ArrayForEach(a, r)
    {
        if (cJSON_IsNumber(a) && a->valuedouble >= 1)
            out->receivers[out->to.nreceivers++] = (int64_t)a->valuedouble;
    }
    cJSON_Delete(e);
    cJSON_Delete(r);
    to_finish(out);
}

void reportsend_to_release(struct reportsend_to *t)
{
    for (size_t i = 0; t->emails && i < t->to.nemails; i++)
        free(t->emails[i]);
    free(t->emails);
    free(t->receivers);
    strbuf_release(&t->emails_json);
    strbuf_release(&t->receivers_json);
    memset(t, 0, sizeof *t);
}

/* ---- the message ---------------------------------------------------------------------- */

/* The report as read for a delivery. */
struct rep {
    bool found;
    int64_t id, schedule_id, bytes, created_at;
    char period[8], format[8], from[16], to[16], path[4096];
    cJSON *summary;
};

static int on_report(void *arg, const struct store_report *r)
{
    struct rep *p = arg;
    p->found = true;
    p->id = r->id;
    p->schedule_id = r->schedule_id;
    p->bytes = r->bytes;
    p->created_at = r->created_at;
    snprintf(p->period, sizeof p->period, "%s", r->period);
    snprintf(p->format, sizeof p->format, "%s", r->format);
    clock_day_str(r->day0, p->from);
    clock_day_str(r->day1, p->to);
    snprintf(p->path, sizeof p->path, "%s", r->path);
    p->summary = r->summary ? json_parse_checked(r->summary, strlen(r->summary), NULL) : NULL;
    return 1;
}

static const char *jstr(const cJSON *o, const char *k, const char *def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : def;
}

/* The message's forms, owned. */
struct msg {
    struct strbuf title, name, md, text, html, json, link;
};

static void msg_release(struct msg *m)
{
    strbuf_release(&m->title);
    strbuf_release(&m->name);
    strbuf_release(&m->md);
    strbuf_release(&m->text);
    strbuf_release(&m->html);
    strbuf_release(&m->json);
    strbuf_release(&m->link);
}

/* One line of the body in each form: "label：value". */
static void line(struct msg *m, const char *label, const char *value)
{
    strbuf_addf(&m->md, "- %s：%s\n", label, value);
    strbuf_addf(&m->text, "%s：%s\n", label, value);
    strbuf_addstr(&m->html, "<li>");
    strbuf_addhtml(&m->html, label);
    strbuf_addstr(&m->html, "：");
    strbuf_addhtml(&m->html, value);
    strbuf_addstr(&m->html, "</li>");
}

static void webhook_json(const struct rep *r, const struct msg *m, int64_t now, struct jsonw *w)
{
    char at[CLOCK_FMT_MAX];
    const char *slash = strrchr(r->path, '/');
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(r->summary, "headlines");
    jsonw_obj(w);
    jsonw_kstr(w, "event", "report.ready");
    jsonw_kstr(w, "sent_at", clock_format(now, at));
    jsonw_kstr(w, "title", m->title.buf);
    jsonw_kstr(w, "text", m->text.buf);
    jsonw_kstr(w, "link", m->link.len ? m->link.buf : NULL);
    jsonw_key(w, "report");
    jsonw_obj(w);
    jsonw_kint(w, "id", r->id);
    jsonw_kstr(w, "period", r->period);
    jsonw_kstr(w, "from", r->from);
    jsonw_kstr(w, "to", r->to);
    jsonw_kstr(w, "format", r->format);
    jsonw_kstr(w, "file", slash ? slash + 1 : r->path);
    jsonw_kint(w, "bytes", r->bytes);
    if (r->schedule_id > 0)
        jsonw_kint(w, "schedule_id", r->schedule_id);
    jsonw_kstr(w, "created_at", clock_format(r->created_at, at));
    jsonw_key(w, "headlines");
    char *txt = cJSON_IsArray(h) ? cJSON_PrintUnformatted(h) : NULL;
    jsonw_raw(w, txt ? txt : "[]", txt ? strlen(txt) : 2);
    cJSON_free(txt);
    jsonw_end(w);
    jsonw_end(w);
}

/* Title, body in every form, the link and the attachment's name for report r. */
static void compose(const struct reportsend_opts *o, const struct rep *r, bool attached,
                    int64_t now, struct msg *m)
{
    const char *title = jstr(r->summary, "title", "客诉质量报表");
    const cJSON *h;
    char period[64];
    struct jsonw w;
    int n = 0;

    strbuf_addf(&m->title, "【kesu 报表】%s %s 至 %s", title, r->from, r->to);
    strbuf_addf(&m->name, "%s-%s.%s", title, r->from, r->format);
    if (o->base_url && *o->base_url)
        strbuf_addf(&m->link, "%s/api/v1/reports/%lld/file", o->base_url, (long long)r->id);
    snprintf(period, sizeof period, "%s 至 %s", r->from, r->to);
    strbuf_addf(&m->md, "### %s\n\n", m->title.buf);
    strbuf_addf(&m->text, "%s\n\n", m->title.buf);
    strbuf_addstr(&m->html, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body><h3>");
    strbuf_addhtml(&m->html, m->title.buf);
    strbuf_addstr(&m->html, "</h3><ul>");
    line(m, "周期", period);
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(r->summary, "headlines"))
    {
        const char *text = jstr(h, "text", "–"), *change = jstr(h, "change", "–");
        char value[96];
        if (!strcmp(text, "–") || n++ == HEADLINES_MAX)
            continue;
        if (strcmp(change, "–"))
            snprintf(value, sizeof value, "%s（环比 %s）", text, change);
        else
            snprintf(value, sizeof value, "%s", text);
        line(m, jstr(h, "name", "?"), value);
    }
    strbuf_addstr(&m->html, "</ul>");
    if (attached) {
        strbuf_addf(&m->text, "\n报表文件见附件：%s\n", m->name.buf);
        strbuf_addstr(&m->html, "<p>报表文件见附件：");
        strbuf_addhtml(&m->html, m->name.buf);
        strbuf_addstr(&m->html, "</p>");
    }
    if (m->link.len) {
        strbuf_addf(&m->md, "\n[下载报告](%s)\n", m->link.buf);
        strbuf_addf(&m->text, "%s下载：%s\n", attached ? "" : "\n", m->link.buf);
        strbuf_addstr(&m->html, "<p><a href=\"");
        strbuf_addhtml(&m->html, m->link.buf);
        strbuf_addstr(&m->html, "\">下载报告</a></p>");
    }
    strbuf_addstr(&m->html, "</body></html>");
    jsonw_init(&w, &m->json);
    webhook_json(r, m, now, &w);
}

/* ---- sending ---------------------------------------------------------------------------- */

/* Reads a file of at most max bytes into sb: 0, 1 when it is larger, < 0 with err. */
static int read_file(const char *path, int64_t max, struct strbuf *sb, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;
    int rc = 0;
    if (!f) {
        snprintf(err, errlen, "cannot read the report's file: %s", strerror(errno));
        return -1;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if ((int64_t)(sb->len + n) > max) {
            rc = 1;
            break;
        }
        strbuf_add(sb, buf, n);
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "cannot read the report's file: %s", strerror(errno));
        rc = -1;
    }
    fclose(f);
    return rc;
}

/* The SMTP target of the settings for one address. */
static void smtp_target(const struct reportsend_opts *o, const char *addr, struct strbuf *cfg,
                        struct notify_target *t)
{
    struct jsonw w;
    jsonw_init(&w, cfg);
    jsonw_obj(&w);
    jsonw_kstr(&w, "from", o->smtp_from && *o->smtp_from ? o->smtp_from : "kesu@localhost");
    jsonw_key(&w, "to");
    jsonw_arr(&w);
    jsonw_str(&w, addr);
    jsonw_end(&w);
    if (o->smtp_user && *o->smtp_user) {
        jsonw_kstr(&w, "username", o->smtp_user);
        jsonw_kstr(&w, "password", o->smtp_password ? o->smtp_password : "");
    }
    if (o->smtp_starttls)
        jsonw_kbool(&w, "starttls", true);
    jsonw_end(&w);
    t->kind = "email";
    t->url = o->smtp_url;
    t->secret = NULL;
    t->config = cfg->buf;
}

static const char *mime_type(const char *format)
{
    return !strcmp(format, "xlsx")
               ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
               : "text/html; charset=UTF-8";
}

/*
 * One attempt of delivery d of report r. Returns 0 when sent, -1 to try again later,
 * KERR_NOTFOUND when trying again will not help; the reason in err.
 */
static int attempt(struct store *s, const struct reportsend_opts *o, const struct rep *r,
                   const struct store_report_delivery *d, char *err, size_t errlen)
{
    struct alerts_target rt = {0};
    struct notify_target smtp = {0};
    const struct notify_target *t = &smtp;
    struct strbuf cfg = STRBUF_INIT, file = STRBUF_INIT;
    struct msg m = {0};
    struct notify_attachment att = {0};
    int64_t now = clock_now_ms();
    int rc;

    if (d->email) {
        if (!o->smtp_url || !*o->smtp_url) {
            snprintf(err, errlen, "no SMTP server is configured for reports (setting smtp_url)");
            rc = -1;
            goto out;
        }
        smtp_target(o, d->email, &cfg, &smtp);
    } else if ((rc = alerts_target_load(s, d->receiver_id, &rt, err, errlen)) < 0) {
        rc = rc == KERR_NOTFOUND ? KERR_NOTFOUND : -1;
        goto out;
    } else {
        t = &rt.t;
    }
    bool mail = !strcmp(t->kind, "email"), attached = false;
    if (mail) {
        if ((rc = read_file(r->path, o->attach_max, &file, err, errlen)) < 0) {
            rc = KERR_NOTFOUND; /* the file is gone: it will not come back */
            goto out;
        }
        attached = rc == 0;
    }
    compose(o, r, attached, now, &m);
    att = (struct notify_attachment){m.name.buf, mime_type(r->format), file.buf ? file.buf : "",
                                     file.len};
    struct notify_msg nm = {.event = "report.ready",
                            .title = m.title.buf,
                            .markdown = m.md.buf,
                            .text = m.text.buf,
                            .html = m.html.buf,
                            .link = m.link.len ? m.link.buf : NULL,
                            .json = m.json.buf,
                            .link_text = "下载报告",
                            .attach = attached ? &att : NULL};
    rc = notify_send(t, &nm, now, o->timeout_ms, err, errlen) == 0 ? 0 : -1;
out:
    alerts_target_release(&rt);
    strbuf_release(&cfg);
    strbuf_release(&file);
    msg_release(&m);
    return rc;
}

static int64_t backoff(const struct reportsend_opts *o, int attempts)
{
    int64_t wait = o->retry_base_ms;
    for (int i = 1; i < attempts && wait < o->retry_max_ms; i++)
        wait *= 2;
    return wait < o->retry_max_ms ? wait : o->retry_max_ms;
}

/* Claims, sends and records one delivery. */
static void deliver_one(struct store *s, const struct reportsend_opts *o,
                        const struct store_report_delivery *d, int64_t now)
{
    struct rep r = {0};
    struct kerr e;
    char err[512] = "";
    int attempts = d->attempts + 1, rc;

    kerr_clear(&e);
    rc = store_report_delivery_claim(s, d->id, now, now + o->timeout_ms + CLAIM_SLACK, &e);
    if (rc != 1) {
        if (rc < 0)
            log_warn("report delivery %lld: cannot claim it: %s", (long long)d->id, e.message);
        return;
    }
    int64_t t0 = clock_now_ms();
    store_report_list(s, d->report_id, 1, on_report, &r, NULL);
    if (!r.found) {
        snprintf(err, sizeof err, "report %lld not found", (long long)d->report_id);
        rc = KERR_NOTFOUND;
    } else {
        rc = attempt(s, o, &r, d, err, sizeof err);
    }
    int64_t t1 = clock_now_ms();
    if (rc == KERR_NOTFOUND)
        attempts = attempts > o->max_attempts ? attempts : o->max_attempts;
    const char *state = rc == 0 ? "sent" : attempts >= o->max_attempts ? "failed" : "pending";
    kerr_clear(&e);
    if (store_report_delivery_done(s, d->id, state, d->attempts + 1, rc == 0 ? NULL : err, t0,
                                   t1 - t0, rc == 0 ? t1 : t1 + backoff(o, attempts), &e) < 0)
        log_warn("report delivery %lld: cannot record the outcome: %s", (long long)d->id,
                 e.message);
    else if (rc != 0)
        log_warn("report delivery %lld (report %lld, %s%s) attempt %d %s: %s", (long long)d->id,
                 (long long)d->report_id, d->email ? "" : "receiver ", d->email ? d->email : "",
                 d->attempts + 1, state, err);
    else
        log_info("report delivery %lld (report %lld) sent", (long long)d->id,
                 (long long)d->report_id);
    cJSON_Delete(r.summary);
}

struct due {
    struct store_report_delivery v[DUE_BATCH];
    char email[DUE_BATCH][256];
    int n;
    int64_t now;
    bool only_due;
};

static int on_due(void *arg, const struct store_report_delivery *d)
{
    struct due *l = arg;
    if (l->n == DUE_BATCH)
        return 1;
    if (l->only_due && (strcmp(d->state, "pending") || d->next_try_at > l->now))
        return 0;
    struct store_report_delivery *x = &l->v[l->n];
    *x = *d;
    x->state = x->last_error = NULL;
    if (d->email) {
        snprintf(l->email[l->n], sizeof l->email[l->n], "%s", d->email);
        x->email = l->email[l->n];
    }
    l->n++;
    return 0;
}

int reportsend_deliver_due(struct store *s, const struct reportsend_opts *o, int64_t now,
                           int64_t report_id)
{
    struct due *l = xcalloc(1, sizeof *l);
    int n;
    l->now = now;
    l->only_due = report_id > 0;
    if (store_report_deliveries(s, report_id, now, report_id > 0 ? 0 : DUE_BATCH, on_due, l, NULL) <
        0) {
        free(l);
        return -1;
    }
    for (int i = 0; i < l->n; i++)
        deliver_one(s, o, &l->v[i], now);
    n = l->n;
    free(l);
    return n;
}

/* ---- the thread ---------------------------------------------------------------------------- */

struct reportsend {
    struct store *s;
    struct reportsend_opts o;
    char *strs[6];
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_bool stop;
};

static bool nap(struct reportsend *rs, int64_t ms)
{
    return nap_or_stop(&rs->lock, &rs->cond, &rs->stop, ms);
}

static void *main_loop(void *arg)
{
    struct reportsend *rs = arg;
    pthread_setname_np(pthread_self(), "kesu-rsend");
    do {
        while (!rs->stop && reportsend_deliver_due(rs->s, &rs->o, clock_now_ms(), 0) == DUE_BATCH)
            ;
    } while (!nap(rs, 250));
    return NULL;
}

static const char *keep(struct reportsend *rs, int i, const char *v)
{
    rs->strs[i] = v ? xstrdup(v) : NULL;
    return rs->strs[i];
}

int reportsend_start(struct store *s, const struct reportsend_opts *o, struct reportsend **out,
                     struct kerr *err)
{
    struct reportsend *rs = xcalloc(1, sizeof *rs);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(rs);
        return kerr_set(err, KERR_INTERNAL, "curl", "", "libcurl does not start");
    }
    rs->s = s;
    rs->o = *o;
    rs->o.base_url = keep(rs, 0, o->base_url);
    for (char *b = rs->strs[0]; b && *b && b[strlen(b) - 1] == '/';)
        b[strlen(b) - 1] = '\0'; /* links add /api/v1/... */
    rs->o.smtp_url = keep(rs, 1, o->smtp_url);
    rs->o.smtp_from = keep(rs, 2, o->smtp_from);
    rs->o.smtp_user = keep(rs, 3, o->smtp_user);
    rs->o.smtp_password = keep(rs, 4, o->smtp_password);
    pthread_mutex_init(&rs->lock, NULL);
    pthread_cond_init(&rs->cond, NULL);
    if (pthread_create(&rs->thread, NULL, main_loop, rs) != 0) {
        pthread_mutex_destroy(&rs->lock);
        pthread_cond_destroy(&rs->cond);
        for (int i = 0; i < 6; i++)
            free(rs->strs[i]);
        free(rs);
        curl_global_cleanup();
        return kerr_set(err, KERR_INTERNAL, "thread", "", "cannot start the report sender");
    }
    *out = rs;
    return 0;
}

void reportsend_stop(struct reportsend *rs)
{
    if (!rs)
        return;
    pthread_mutex_lock(&rs->lock);
    rs->stop = true;
    pthread_cond_broadcast(&rs->cond);
    pthread_mutex_unlock(&rs->lock);
    pthread_join(rs->thread, NULL);
    pthread_mutex_destroy(&rs->lock);
    pthread_cond_destroy(&rs->cond);
    for (int i = 0; i < 6; i++)
        free(rs->strs[i]);
    free(rs);
    curl_global_cleanup();
}
