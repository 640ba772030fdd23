/*
 * mailer.c: see mailer.h. E-mail goes out through notify_send (the alerts'
 * SMTP sender, insight/notify.h) with the customer as the only recipient;
 * SMS through a JSON webhook signed as notify_webhook_sign signs. Personal
 * data (the address, the phone) lives in buffers of one attempt, wiped
 * afterwards, and is cut out of every error before it is logged or stored.
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
#include "insight/notify.h"
#include "intake/pipeline.h"
#include "intake/record.h"
#include "loop/mailer.h"
#include "store/db.h"
#include "store/outbox.h"
#include "base/banned.h"

#define ADDR_MAX 320

void mailer_conf_init(struct mailer_conf *c)
{
    memset(c, 0, sizeof *c);
    c->interval_ms = 10 * 1000;
    c->retry_base_ms = 60 * 1000;
    c->retry_max_ms = 3600 * 1000;
    c->timeout_ms = 30 * 1000;
    c->max_attempts = 8;
}

static void wipe_free(char *s)
{
    if (s)
        sodium_memzero(s, strlen(s));
    free(s);
}

void mailer_conf_release(struct mailer_conf *c)
{
    free(c->smtp_url);
    free(c->from);
    free(c->user);
    wipe_free(c->password);
    free(c->sms_url);
    wipe_free(c->sms_secret);
    c->smtp_url = c->from = c->user = c->password = c->sms_url = c->sms_secret = NULL;
}

bool mailer_on(const struct mailer_conf *c)
{
    return (c->smtp_url && *c->smtp_url) || (c->sms_url && *c->sms_url);
}

static bool has_prefix(const char *s, const char *p)
{
    return s && strncmp(s, p, strlen(p)) == 0 && s[strlen(p)] != '\0';
}

int mailer_conf_check(const struct mailer_conf *c, struct kerr *err)
{
    if (c->smtp_url && *c->smtp_url) {
        if (!has_prefix(c->smtp_url, "smtp://") && !has_prefix(c->smtp_url, "smtps://"))
            return kerr_set(err, KERR_INVALID, "bad_setting", "smtp_url",
                            "smtp_url must start with smtp:// or smtps://");
        if (!c->from || !mailer_address_ok(c->from))
            return kerr_set(err, KERR_INVALID, "bad_setting", "smtp_from",
                            "smtp_from must be one e-mail address (the sender)");
    }
    if (c->sms_url && *c->sms_url && !has_prefix(c->sms_url, "http://") &&
        !has_prefix(c->sms_url, "https://"))
        return kerr_set(err, KERR_INVALID, "bad_setting", "sms_webhook_url",
                        "sms_webhook_url must start with http:// or https://");
    if (c->interval_ms < 100 || c->retry_base_ms < 10 || c->retry_max_ms < c->retry_base_ms ||
        c->timeout_ms < 100 || c->max_attempts < 1)
        return kerr_set(err, KERR_INVALID, "bad_setting", "outbox",
                        "outbox_interval, outbox_retry_base, outbox_timeout and "
                        "outbox_max_attempts must be positive");
    return 0;
}

/* ---- pure helpers ------------------------------------------------------------------------ */

int64_t mailer_backoff(int64_t base_ms, int64_t max_ms, int attempts)
{
    int64_t wait = base_ms;
    for (int i = 1; i < attempts && wait < max_ms; i++)
        wait *= 2;
    return wait < max_ms ? wait : max_ms;
}

enum mailer_to mailer_recipient(const char *r, int64_t *feedback_id)
{
    *feedback_id = 0;
    if (!r || !*r)
        return MAILER_TO_NONE;
    if (strncmp(r, "feedback:", 9) == 0) {
        char *end;
        long long id = strtoll(r + 9, &end, 10);
        if (r[9] < '0' || r[9] > '9' || *end || id < 1)
            return MAILER_TO_NONE;
        *feedback_id = id;
        return MAILER_TO_CASE;
    }
    if (strchr(r, '@'))
        return MAILER_TO_ADDRESS;
    return MAILER_TO_USER;
}

bool mailer_address_ok(const char *s)
{
    const char *at = s ? strchr(s, '@') : NULL;
    size_t n = s ? strlen(s) : 0;
    if (!at || at == s || n > 254 || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
        s[n - 1] == '.')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f || strchr("<>\"(),;:[]\\*", *p))
            return false;
    return true;
}

bool mailer_phone_ok(const char *s)
{
    int digits = 0;
    for (const char *p = s; p && *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (!strchr("+- ()", *p))
            return false;
    }
    return digits >= 5 && digits <= 20;
}

void mailer_scrub(char *text, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    char *p;
    if (!n || !text)
        return;
    while ((p = strstr(text, secret))) {
        size_t rest = strlen(p + n);
        size_t keep = n < 3 ? n : 3;
        memcpy(p, "***", keep);
        memmove(p + keep, p + n, rest + 1);
        text = p + keep;
    }
}

void mailer_compose(const char *body, const char *link, struct strbuf *text, struct strbuf *html)
{
    const char *p = body ? body : "";
    bool has_link = link && *link;
    strbuf_addstr(text, p);
    if (has_link && !strstr(p, link))
        strbuf_addf(text, "%s%s", *p ? "\n\n" : "", link);
    if (text->len && text->buf[text->len - 1] != '\n')
        strbuf_addstr(text, "\n");
    strbuf_addstr(html, "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body><p>");
    for (p = text->buf; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (has_link && len == strlen(link) && memcmp(p, link, len) == 0) {
            strbuf_addstr(html, "<a href=\"");
            strbuf_addhtmln(html, link, len);
            strbuf_addstr(html, "\">");
            strbuf_addhtmln(html, link, len);
            strbuf_addstr(html, "</a>");
        } else {
            strbuf_addhtmln(html, p, len);
        }
        if (nl && nl[1])
            strbuf_addstr(html, "<br>");
        p += len + (nl ? 1 : 0);
    }
    strbuf_addstr(html, "</p></body></html>");
}

/* ---- where a message goes ---------------------------------------------------------------- */

enum way { WAY_NONE, WAY_EXTERNAL, WAY_EMAIL, WAY_SMS };

/* The customer's e-mail and phone originals of case id (empty when none). */
static int case_contacts(struct store *s, struct pipeline *p, int64_t id, char email[ADDR_MAX],
                         char phone[64], struct kerr *err)
{
    struct record r;
    struct strbuf plain = STRBUF_INIT;
    cJSON *doc = NULL;
    int rc;
    *email = *phone = '\0';
    record_init(&r);
    if ((rc = store_feedback_get(s, id, &r, err)) < 0) {
        record_release(&r);
        return rc == KERR_NOTFOUND ? 0 : rc;
    }
    if (r.pii_vault && (rc = pipeline_reveal(p, &r, &plain, err)) == 0) {
        const cJSON *v;
        doc = cJSON_ParseWithLength(plain.buf, plain.len);
        if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(doc, "email")))
            snprintf(email, ADDR_MAX, "%s", v->valuestring);
        if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(doc, "phone")))
            snprintf(phone, 64, "%s", v->valuestring);
    }
    /* a field kept as it came (nothing to mask): the record holds it */
    if (!*email && r.email)
        snprintf(email, ADDR_MAX, "%s", r.email);
    if (!*phone && r.phone)
        snprintf(phone, 64, "%s", r.phone);
    cJSON_Delete(doc);
    if (plain.buf)
        sodium_memzero(plain.buf, plain.len);
    strbuf_release(&plain);
    record_release(&r);
    return rc;
}

/* Decides how m goes out; to gets the address or phone. */
static int route(struct store *s, struct pipeline *p, const struct mailer_conf *c,
                 const struct store_outbox_msg *m, char to[ADDR_MAX], enum way *way,
                 struct kerr *err)
{
    bool smtp = c->smtp_url && *c->smtp_url, sms = c->sms_url && *c->sms_url;
    char phone[64] = "";
    int64_t fid;
    int rc = 0;
    *to = '\0';
    *way = WAY_NONE;
    switch (mailer_recipient(m->recipient, &fid)) {
    case MAILER_TO_NONE:
        return 0;
    case MAILER_TO_ADDRESS:
        snprintf(to, ADDR_MAX, "%s", m->recipient);
        break;
    case MAILER_TO_USER:
        if ((rc = store_user_email(s, m->recipient, to, ADDR_MAX, err)) < 0)
            return rc;
        if (!*to) {
            *way = WAY_EXTERNAL; /* staff are reached some other way: an external mailer */
            return 0;
        }
        break;
    case MAILER_TO_CASE:
        if ((rc = case_contacts(s, p, fid, to, phone, err)) < 0)
            return rc;
        break;
    }
    if (*to && !mailer_address_ok(to))
        *to = '\0';
    if (*phone && !mailer_phone_ok(phone))
        *phone = '\0';
    if (*to && smtp) {
        *way = WAY_EMAIL;
    } else if (*phone && sms) {
        snprintf(to, ADDR_MAX, "%s", phone);
        *way = WAY_SMS;
    } else if (*to || *phone) {
        *way = WAY_EXTERNAL; /* an address kesu has no means to use */
    }
    sodium_memzero(phone, sizeof phone);
    return 0;
}

/* ---- sending ----------------------------------------------------------------------------- */

static int send_email(const struct mailer_conf *c, const struct store_outbox_msg *m, const char *to,
                      char *err, size_t errlen)
{
    struct strbuf text = STRBUF_INIT, html = STRBUF_INIT;
    cJSON *cfg = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(cfg, "to");
    char *config;
    int rc;

    cJSON_AddItemToArray(list, cJSON_CreateString(to));
    cJSON_AddStringToObject(cfg, "from", c->from);
    if (c->user && *c->user) {
        cJSON_AddStringToObject(cfg, "username", c->user);
        cJSON_AddStringToObject(cfg, "password", c->password ? c->password : "");
    }
    cJSON_AddBoolToObject(cfg, "starttls", c->starttls);
    config = cJSON_PrintUnformatted(cfg);
    cJSON_Delete(cfg);
    mailer_compose(m->body, m->link, &text, &html);
    struct notify_target t = {"email", c->smtp_url, NULL, config};
    struct notify_msg nm = {.event = "outbox",
                            .title = m->subject ? m->subject : "",
                            .text = text.buf,
                            .html = html.buf,
                            .link = m->link};
    rc = notify_send(&t, &nm, clock_now_ms(), (long)c->timeout_ms, err, errlen);
    sodium_memzero(config, strlen(config));
    cJSON_free(config);
    strbuf_release(&text);
    strbuf_release(&html);
    return rc;
}

static size_t discard(char *data, size_t size, size_t nmemb, void *arg)
{
    (void)data;
    (void)arg;
    return size * nmemb;
}

/* POST {"event":"outbox.sms","id","kind","to","text","link"} to the gateway, signed. */
static int send_sms(const struct mailer_conf *c, const struct store_outbox_msg *m,
                    const char *phone, char *err, size_t errlen)
{
    struct strbuf body = STRBUF_INIT, text = STRBUF_INIT, html = STRBUF_INIT, h = STRBUF_INIT;
    struct curl_slist *headers = NULL;
    char cerr[CURL_ERROR_SIZE] = "";
    struct jsonw w;
    long status = 0;
    int rc = -1;
    CURL *cu;

    mailer_compose(m->body, m->link, &text, &html);
    jsonw_init(&w, &body);
    jsonw_obj(&w);
    jsonw_kstr(&w, "event", "outbox.sms");
    jsonw_kint(&w, "id", m->id);
    jsonw_kstr(&w, "kind", m->kind);
    jsonw_kstr(&w, "to", phone);
    jsonw_kstr(&w, "subject", m->subject);
    jsonw_kstr(&w, "text", text.buf);
    jsonw_kstr(&w, "link", m->link);
    jsonw_end(&w);
    headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
    headers = curl_slist_append(headers, "X-Kesu-Event: outbox.sms");
    if (c->sms_secret && *c->sms_secret) {
        char sig[80];
        int64_t ts = clock_now_ms() / 1000;
        notify_webhook_sign(c->sms_secret, ts, body.buf, body.len, sig, sizeof sig);
        strbuf_addf(&h, "X-Kesu-Timestamp: %lld", (long long)ts);
        headers = curl_slist_append(headers, h.buf);
        strbuf_reset(&h);
        strbuf_addf(&h, "X-Kesu-Signature: %s", sig);
        headers = curl_slist_append(headers, h.buf);
    }
    if (!(cu = curl_easy_init())) {
        snprintf(err, errlen, "cannot start libcurl");
        goto out;
    }
    curl_easy_setopt(cu, CURLOPT_URL, c->sms_url);
    curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body.buf);
    curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE, (long)body.len);
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(cu, CURLOPT_USERAGENT, "kesu-outbox/1");
    CURLcode cc = curl_easy_perform(cu);
    if (cc != CURLE_OK)
        snprintf(err, errlen, "%s", *cerr ? cerr : curl_easy_strerror(cc));
    else if (curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status), status < 200 || status > 299)
        snprintf(err, errlen, "SMS gateway answered HTTP %ld", status);
    else
        rc = 0;
    curl_easy_cleanup(cu);
out:
    curl_slist_free_all(headers);
    sodium_memzero(body.buf, body.len);
    strbuf_release(&body);
    strbuf_release(&text);
    strbuf_release(&html);
    strbuf_release(&h);
    return rc;
}

/* A failed attempt: retried after the backoff, or failed after the last one. */
static void attempt_failed(const struct mailer_conf *c, const struct store_outbox_msg *m,
                           int64_t now, const char *why, struct store_outbox_outcome *o,
                           struct mailer_report *rep)
{
    bool last = m->attempts + 1 >= c->max_attempts;
    o->attempted = true;
    o->state = last ? "failed" : "retry";
    o->next_at = now + mailer_backoff(c->retry_base_ms, c->retry_max_ms, m->attempts + 1);
    o->error = why;
    if (last)
        rep->failed++;
    else
        rep->retry++;
    log_warn("outbox #%lld (%s) attempt %d%s: %s", (long long)m->id, m->kind, m->attempts + 1,
             last ? ", giving up" : "", why);
}

/* Sends one claimed message and records what became of it. */
static int handle(struct store *s, struct pipeline *p, const struct mailer_conf *c,
                  const struct store_outbox_msg *m, struct mailer_report *rep, struct kerr *err)
{
    struct store_outbox_outcome o = {.id = m->id};
    char to[ADDR_MAX] = "", why[512] = "";
    enum way way = WAY_NONE;
    int64_t now = clock_now_ms();
    int rc;

    if (strcmp(m->kind, "survey_link") == 0 && m->survey_expires_at &&
        m->survey_expires_at <= now) {
        o.state = "skipped";
        o.error = "survey link expired before it was sent";
        rep->skipped++;
    } else if (route(s, p, c, m, to, &way, err) < 0) {
        snprintf(why, sizeof why, "cannot read the recipient (%s)", err->code);
        attempt_failed(c, m, now, why, &o, rep);
    } else if (way == WAY_NONE) {
        o.state = "no_address";
        o.error = "no address";
        rep->no_address++;
    } else if (way == WAY_EXTERNAL) {
        o.state = "external";
        o.error = "left for an external mailer: kesu has no means to reach this recipient";
        rep->external++;
    } else {
        rc = way == WAY_EMAIL ? send_email(c, m, to, why, sizeof why)
                              : send_sms(c, m, to, why, sizeof why);
        mailer_scrub(why, to);
        if (rc < 0) {
            attempt_failed(c, m, now, why, &o, rep);
        } else {
            o.attempted = true;
            o.state = "sent";
            o.channel = way == WAY_EMAIL ? "email" : "sms";
            if (way == WAY_EMAIL)
                rep->email++;
            else
                rep->sms++;
            log_info("outbox #%lld (%s): sent by %s", (long long)m->id, m->kind, o.channel);
        }
    }
    sodium_memzero(to, sizeof to);
    kerr_clear(err);
    return store_outbox_finish(s, &o, 0, err);
}

int mailer_pass(struct store *s, struct pipeline *p, const struct mailer_conf *c,
                const atomic_bool *stop, struct mailer_report *rep, struct kerr *err)
{
    int64_t after = 0;
    int n = 0, rc = 0;
    memset(rep, 0, sizeof *rep);
    if (!mailer_on(c))
        return 0;
    while (!stop || !atomic_load(stop)) {
        struct store_outbox_msg m;
        bool found = false;
        int interrupted = 0;
        rc = store_outbox_claim(s, clock_now_ms(), 2 * c->timeout_ms, after, &m, &found,
                                &interrupted, err);
        rep->interrupted += interrupted;
        if (rc < 0 || !found)
            break;
        after = m.id;
        rc = handle(s, p, c, &m, rep, err);
        store_outbox_msg_release(&m);
        n++;
        if (rc < 0)
            break;
    }
    return rc < 0 ? rc : n;
}

/* ---- the serve thread -------------------------------------------------------------------- */

struct mailer {
    struct store *s;
    struct pipeline *p;
    struct mailer_conf c;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_bool stop;
};

/* Waits ms or until stopped; true when stopping. */
static bool nap(struct mailer *m, int64_t ms)
{
    return nap_or_stop(&m->lock, &m->cond, &m->stop, ms);
}

static void *mailer_main(void *arg)
{
    struct mailer *m = arg;
    do {
        struct mailer_report rep;
        struct kerr e;
        kerr_clear(&e);
        if (mailer_pass(m->s, m->p, &m->c, &m->stop, &rep, &e) < 0)
            log_warn("outbox sender: %s", e.message);
        if (rep.interrupted)
            log_warn("outbox sender: %d message(s) interrupted by a stop during sending, "
                     "not sent again",
                     rep.interrupted);
    } while (!nap(m, m->c.interval_ms));
    return NULL;
}

int mailer_start(struct store *s, struct pipeline *p, struct mailer_conf *c, struct mailer **out,
                 struct kerr *err)
{
    struct mailer *m;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return kerr_set(err, KERR_INTERNAL, "curl", "", "libcurl does not start");
    m = xcalloc(1, sizeof *m);
    m->s = s;
    m->p = p;
    m->c = *c;
    mailer_conf_init(c); /* the strings are the sender's now */
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    if (pthread_create(&m->thread, NULL, mailer_main, m) != 0) {
        pthread_mutex_destroy(&m->lock);
        pthread_cond_destroy(&m->cond);
        mailer_conf_release(&m->c);
        free(m);
        curl_global_cleanup();
        return kerr_set(err, KERR_INTERNAL, "thread", "", "cannot start the outbox sender");
    }
    *out = m;
    return 0;
}

void mailer_stop(struct mailer *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->stop = true;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    pthread_join(m->thread, NULL);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cond);
    mailer_conf_release(&m->c);
    free(m);
    curl_global_cleanup();
}
