/*
 * notify.c: see notify.h. Message bodies are built with jsonw (so every
 * string is escaped once, correctly), signatures with libsodium's
 * HMAC-SHA256, and sent with one libcurl easy handle per attempt.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <sodium.h>

#include "base/json.h"
#include "base/jsonw.h"
#include "insight/notify.h"
#include "base/banned.h"

#define REPLY_MAX 65536
#define WECOM_MAX 4096 /* the group robot's limit on markdown.content, in bytes */

static const char *const kinds[] = {"webhook", "dingtalk", "wecom", "feishu", "email", NULL};

int notify_kind_ok(const char *kind)
{
    for (const char *const *k = kinds; *k; k++)
        if (kind && !strcmp(*k, kind))
            return 1;
    return 0;
}

static void hmac_sha256(const void *key, size_t klen, const void *msg, size_t mlen,
                        unsigned char out[crypto_auth_hmacsha256_BYTES])
{
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, klen);
    crypto_auth_hmacsha256_update(&st, msg, mlen);
    crypto_auth_hmacsha256_final(&st, out);
}

/* Percent-encodes everything but unreserved characters (as Python's quote_plus does). */
static void url_encode(struct strbuf *sb, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            strbuf_addch(sb, (char)c);
        else
            strbuf_addf(sb, "%%%02X", c);
    }
}

int notify_dingtalk_sign(const char *secret, int64_t ts_ms, char *out, size_t n)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char b64[64];
    struct strbuf sb = STRBUF_INIT;
    int rc = -1;
    strbuf_addf(&sb, "%lld\n%s", (long long)ts_ms, secret);
    hmac_sha256(secret, strlen(secret), sb.buf, sb.len, mac);
    sodium_bin2base64(b64, sizeof b64, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    strbuf_reset(&sb);
    url_encode(&sb, b64);
    if (sb.len < n) {
        memcpy(out, sb.buf, sb.len + 1);
        rc = 0;
    }
    strbuf_release(&sb);
    return rc;
}

int notify_feishu_sign(const char *secret, int64_t ts, char *out, size_t n)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    struct strbuf key = STRBUF_INIT;
    strbuf_addf(&key, "%lld\n%s", (long long)ts, secret);
    hmac_sha256(key.buf, key.len, "", 0, mac);
    strbuf_release(&key);
    if (n < sodium_base64_ENCODED_LEN(sizeof mac, sodium_base64_VARIANT_ORIGINAL))
        return -1;
    sodium_bin2base64(out, n, mac, sizeof mac, sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

int notify_webhook_sign(const char *secret, int64_t ts, const char *body, size_t len, char *out,
                        size_t n)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    char head[32];
    int hl = snprintf(head, sizeof head, "%lld.", (long long)ts);
    if (n < 7 + 2 * sizeof mac + 1)
        return -1;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)head, (size_t)hl);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, n - 7, mac, sizeof mac);
    return 0;
}

/* The length of s cut to at most max bytes on a UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* Feishu "post": one paragraph per line of the text, then the link. */
static void feishu_post(struct jsonw *w, const struct notify_msg *m)
{
    jsonw_kstr(w, "msg_type", "post");
    jsonw_key(w, "content");
    jsonw_obj(w);
    jsonw_key(w, "post");
    jsonw_obj(w);
    jsonw_key(w, "zh_cn");
    jsonw_obj(w);
    jsonw_kstr(w, "title", m->title);
    jsonw_key(w, "content");
    jsonw_arr(w);
    for (const char *p = m->text ? m->text : ""; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len) {
            jsonw_arr(w);
            jsonw_obj(w);
            jsonw_kstr(w, "tag", "text");
            jsonw_key(w, "text");
            jsonw_strn(w, p, len);
            jsonw_end(w);
            jsonw_end(w);
        }
        p += len + (nl ? 1 : 0);
    }
    if (m->link) {
        jsonw_arr(w);
        jsonw_obj(w);
        jsonw_kstr(w, "tag", "a");
        jsonw_kstr(w, "text", m->link_text ? m->link_text : "查看预警");
        jsonw_kstr(w, "href", m->link);
        jsonw_end(w);
        jsonw_end(w);
    }
    jsonw_end(w);
    jsonw_end(w);
    jsonw_end(w);
    jsonw_end(w);
}

/* Feishu "interactive": a message card with a header and the Markdown body. */
static void feishu_card(struct jsonw *w, const struct notify_msg *m)
{
    jsonw_kstr(w, "msg_type", "interactive");
    jsonw_key(w, "card");
    jsonw_obj(w);
    jsonw_key(w, "header");
    jsonw_obj(w);
    jsonw_key(w, "title");
    jsonw_obj(w);
    jsonw_kstr(w, "tag", "plain_text");
    jsonw_kstr(w, "content", m->title);
    jsonw_end(w);
    jsonw_kstr(w, "template", m->event && !strcmp(m->event, "resolved") ? "green" : "red");
    jsonw_end(w);
    jsonw_key(w, "elements");
    jsonw_arr(w);
    jsonw_obj(w);
    jsonw_kstr(w, "tag", "div");
    jsonw_key(w, "text");
    jsonw_obj(w);
    jsonw_kstr(w, "tag", "lark_md");
    jsonw_kstr(w, "content", m->markdown);
    jsonw_end(w);
    jsonw_end(w);
    jsonw_end(w);
    jsonw_end(w);
}

/* A string member of the receiver's config, or def. */
static const char *config_str(const cJSON *cfg, const char *name, const char *def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, name);
    return cJSON_IsString(v) ? v->valuestring : def;
}

static cJSON *parse_config(const struct notify_target *t)
{
    const char *c = t->config && *t->config ? t->config : "{}";
    cJSON *cfg = json_parse_checked(c, strlen(c), NULL);
    if (cfg && !cJSON_IsObject(cfg)) {
        cJSON_Delete(cfg);
        cfg = NULL;
    }
    return cfg;
}

int notify_build(const struct notify_target *t, const struct notify_msg *m, int64_t now_ms,
                 struct strbuf *url, struct strbuf *body, char *err, size_t errlen)
{
    struct jsonw w;
    cJSON *cfg = parse_config(t);
    int rc = 0;
    if (!cfg) {
        snprintf(err, errlen, "config is not a JSON object");
        return -1;
    }
    strbuf_addstr(url, t->url);
    jsonw_init(&w, body);
    if (!strcmp(t->kind, "dingtalk")) {
        if (t->secret && *t->secret) {
            char sign[128];
            notify_dingtalk_sign(t->secret, now_ms, sign, sizeof sign);
            strbuf_addf(url, "%ctimestamp=%lld&sign=%s", strchr(t->url, '?') ? '&' : '?',
                        (long long)now_ms, sign);
        }
        jsonw_obj(&w);
        jsonw_kstr(&w, "msgtype", "markdown");
        jsonw_key(&w, "markdown");
        jsonw_obj(&w);
        jsonw_kstr(&w, "title", m->title);
        jsonw_kstr(&w, "text", m->markdown);
        jsonw_end(&w);
        jsonw_end(&w);
    } else if (!strcmp(t->kind, "wecom")) {
        jsonw_obj(&w);
        jsonw_kstr(&w, "msgtype", "markdown");
        jsonw_key(&w, "markdown");
        jsonw_obj(&w);
        jsonw_key(&w, "content");
        jsonw_strn(&w, m->markdown, utf8_cut(m->markdown, WECOM_MAX));
        jsonw_end(&w);
        jsonw_end(&w);
    } else if (!strcmp(t->kind, "feishu")) {
        const char *type = config_str(cfg, "msg_type", "post");
        jsonw_obj(&w);
        if (t->secret && *t->secret) {
            char sign[64], ts[24];
            snprintf(ts, sizeof ts, "%lld", (long long)(now_ms / 1000));
            notify_feishu_sign(t->secret, now_ms / 1000, sign, sizeof sign);
            jsonw_kstr(&w, "timestamp", ts);
            jsonw_kstr(&w, "sign", sign);
        }
        if (!strcmp(type, "interactive"))
            feishu_card(&w, m);
        else if (!strcmp(type, "post"))
            feishu_post(&w, m);
        else {
            snprintf(err, errlen, "config.msg_type must be post or interactive");
            rc = -1;
        }
        jsonw_end(&w);
    } else if (!strcmp(t->kind, "webhook")) {
        strbuf_addstr(body, m->json ? m->json : "{}");
    } else {
        snprintf(err, errlen, "receiver kind %s has no HTTP form", t->kind);
        rc = -1;
    }
    cJSON_Delete(cfg);
    return rc;
}

void notify_mime_base64(struct strbuf *out, const void *data, size_t len)
{
    char line[80];
    const unsigned char *p = data;
    strbuf_grow(out, len / 57 * 78 + 80);
    for (size_t off = 0; off < len; off += 57) {
        size_t n = len - off < 57 ? len - off : 57;
        sodium_bin2base64(line, sizeof line, p + off, n, sodium_base64_VARIANT_ORIGINAL);
        strbuf_addstr(out, line);
        strbuf_addstr(out, "\r\n");
    }
}

/* RFC 2047 encoded words of at most 45 bytes of text each (whole UTF-8 characters). */
void notify_mime_encode_header(struct strbuf *out, const char *s)
{
    char word[80];
    size_t len = s ? strlen(s) : 0, off = 0;
    while (off < len) {
        size_t n = utf8_cut(s + off, 45);
        if (n == 0)
            n = len - off < 45 ? len - off : 45;
        sodium_bin2base64(word, sizeof word, (const unsigned char *)s + off, n,
                          sodium_base64_VARIANT_ORIGINAL);
        strbuf_addf(out, "%s=?UTF-8?B?%s?=", off ? "\r\n " : "", word);
        off += n;
    }
}

void notify_mime_param(struct strbuf *out, const char *name, const char *value, bool rfc2047)
{
    bool plain = true;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\')
            plain = false;
    if (plain) {
        strbuf_addf(out, ";\r\n %s=\"%s\"", name, value);
    } else if (rfc2047) {
        strbuf_addf(out, ";\r\n %s=\"", name);
        notify_mime_encode_header(out, value);
        strbuf_addch(out, '"');
    } else {
        /* RFC 2231: attribute-char is any printable ASCII but these, the rest %XX */
        strbuf_addf(out, ";\r\n %s*=UTF-8''", name);
        for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
            if (*p > 0x20 && *p < 0x7f && !strchr("*'%()<>@,;:\\\"/[]?=", *p))
                strbuf_addch(out, (char)*p);
            else
                strbuf_addf(out, "%%%02X", *p);
        }
    }
}

/* A header value must not break the header: no CR or LF. */
static bool header_safe(const char *s)
{
    return s && !strpbrk(s, "\r\n<>");
}

/* The body as a multipart/alternative of the text and the HTML (headers included). */
static void mail_alternative(struct strbuf *out, const struct notify_msg *m, const char *boundary)
{
    strbuf_addf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
    strbuf_addf(out,
                "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n",
                boundary);
    notify_mime_base64(out, m->text ? m->text : "", m->text ? strlen(m->text) : 0);
    strbuf_addf(out,
                "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n",
                boundary);
    notify_mime_base64(out, m->html ? m->html : "", m->html ? strlen(m->html) : 0);
    strbuf_addf(out, "--%s--\r\n", boundary);
}

/* One attachment part of a multipart/mixed, starting at its boundary line. */
static void mail_attachment(struct strbuf *out, const struct notify_attachment *a,
                            const char *boundary)
{
    const char *type = a->type && header_safe(a->type) ? a->type : "application/octet-stream";
    const char *name = a->name && *a->name && header_safe(a->name) ? a->name : "attachment";
    strbuf_addf(out, "--%s\r\nContent-Type: %s", boundary, type);
    notify_mime_param(out, "name", name, true);
    strbuf_addstr(out, "\r\nContent-Disposition: attachment");
    notify_mime_param(out, "filename", name, false);
    strbuf_addstr(out, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    notify_mime_base64(out, a->data, a->len);
}

int notify_mail(const struct notify_target *t, const struct notify_msg *m, int64_t now_ms,
                struct strbuf *out, char *err, size_t errlen)
{
    cJSON *cfg = parse_config(t);
    const cJSON *to, *a;
    const char *from;
    char date[64], hex[32], alt[48], mixed[48];
    time_t secs = (time_t)(now_ms / 1000);
    struct tm tm;
    unsigned char rnd[12];
    int rc = 0;

    if (!cfg) {
        snprintf(err, errlen, "config is not a JSON object");
        return -1;
    }
    from = config_str(cfg, "from", "kesu@localhost");
    to = cJSON_GetObjectItemCaseSensitive(cfg, "to");
    if (!header_safe(from) || !cJSON_IsArray(to) || cJSON_GetArraySize(to) == 0) {
        snprintf(err, errlen, "config needs from and a non-empty to list");
        rc = -1;
        goto out;
    }
    gmtime_r(&secs, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(hex, sizeof hex, rnd, sizeof rnd);
    /* neither boundary is a prefix of the other */
    snprintf(alt, sizeof alt, "=_kesu_a_%s", hex);
    snprintf(mixed, sizeof mixed, "=_kesu_m_%s", hex);
    strbuf_addf(out, "Date: %s\r\nFrom: <%s>\r\nTo: ", date, from);
    int i = 0;
    cJSON_ArrayForEach(a, to)
    {
        if (!cJSON_IsString(a) || !header_safe(a->valuestring)) {
            snprintf(err, errlen, "config.to holds a bad address");
            rc = -1;
            goto out;
        }
        strbuf_addf(out, "%s<%s>", i++ ? ", " : "", a->valuestring);
    }
    strbuf_addstr(out, "\r\nSubject: ");
    notify_mime_encode_header(out, m->title);
    strbuf_addf(out, "\r\nMessage-ID: <%s@kesu>\r\nMIME-Version: 1.0\r\n", hex);
    if (m->attach)
        strbuf_addf(out,
                    "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                    "This is a multi-part message in MIME format.\r\n--%s\r\n",
                    mixed, mixed);
    mail_alternative(out, m, alt);
    if (m->attach) {
        mail_attachment(out, m->attach, mixed);
        strbuf_addf(out, "--%s--\r\n", mixed);
    }
out:
    cJSON_Delete(cfg);
    return rc;
}

/* ---- sending ----------------------------------------------------------------------- */

static size_t on_reply(char *data, size_t size, size_t nmemb, void *arg)
{
    struct strbuf *sb = arg;
    size_t n = size * nmemb;
    if (sb->len + n <= REPLY_MAX)
        strbuf_add(sb, data, n);
    return n;
}

struct upload {
    const char *p;
    size_t left;
};

static size_t on_read(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nmemb < u->left ? size * nmemb : u->left;
    memcpy(buf, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

/* The robots answer 200 with an error code in the body. */
static int robot_reply_ok(const char *kind, const struct strbuf *reply, char *err, size_t errlen)
{
    cJSON *j = json_parse_checked(reply->buf ? reply->buf : "", reply->len, NULL);
    const cJSON *code = NULL, *msg = NULL;
    int rc = -1;
    if (j) {
        bool feishu = !strcmp(kind, "feishu");
        code = cJSON_GetObjectItemCaseSensitive(j, feishu ? "code" : "errcode");
        if (!code && feishu)
            code = cJSON_GetObjectItemCaseSensitive(j, "StatusCode");
        msg = cJSON_GetObjectItemCaseSensitive(j, feishu ? "msg" : "errmsg");
    }
    if (cJSON_IsNumber(code) && code->valuedouble == 0)
        rc = 0;
    else
        snprintf(err, errlen, "%s answered %s%s%.120s", kind,
                 cJSON_IsNumber(code) ? "error " : "without a result code",
                 cJSON_IsString(msg) ? ": " : "", cJSON_IsString(msg) ? msg->valuestring : "");
    cJSON_Delete(j);
    return rc;
}

static int send_http(const struct notify_target *t, const struct notify_msg *m, int64_t now_ms,
                     long timeout_ms, char *err, size_t errlen)
{
    struct strbuf url = STRBUF_INIT, body = STRBUF_INIT, reply = STRBUF_INIT, h = STRBUF_INIT;
    struct curl_slist *headers = NULL;
    char cerr[CURL_ERROR_SIZE] = "";
    long status = 0;
    int rc = -1;
    CURL *c = NULL;

    if (notify_build(t, m, now_ms, &url, &body, err, errlen) < 0)
        goto out;
    headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
    if (!strcmp(t->kind, "webhook")) {
        if (m->event && strchr(m->event, '.'))
            strbuf_addf(&h, "X-Kesu-Event: %s", m->event);
        else
            strbuf_addf(&h, "X-Kesu-Event: alert.%s", m->event ? m->event : "opened");
        headers = curl_slist_append(headers, h.buf);
        if (t->secret && *t->secret) {
            char sig[80];
            int64_t ts = now_ms / 1000;
            notify_webhook_sign(t->secret, ts, body.buf, body.len, sig, sizeof sig);
            strbuf_reset(&h);
            strbuf_addf(&h, "X-Kesu-Timestamp: %lld", (long long)ts);
            headers = curl_slist_append(headers, h.buf);
            strbuf_reset(&h);
            strbuf_addf(&h, "X-Kesu-Signature: %s", sig);
            headers = curl_slist_append(headers, h.buf);
        }
    }
    if (!(c = curl_easy_init())) {
        snprintf(err, errlen, "cannot start libcurl");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_URL, url.buf);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.buf ? body.buf : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body.len);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "kesu-alerts/1");
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s", *cerr ? cerr : curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299) {
        snprintf(err, errlen, "HTTP %ld", status);
        goto out;
    }
    rc = strcmp(t->kind, "webhook") ? robot_reply_ok(t->kind, &reply, err, errlen) : 0;
out:
    curl_easy_cleanup(c);
    curl_slist_free_all(headers);
    strbuf_release(&url);
    strbuf_release(&body);
    strbuf_release(&reply);
    strbuf_release(&h);
    return rc;
}

static int send_mail(const struct notify_target *t, const struct notify_msg *m, int64_t now_ms,
                     long timeout_ms, char *err, size_t errlen)
{
    struct strbuf mail = STRBUF_INIT, h = STRBUF_INIT;
    struct curl_slist *rcpt = NULL;
    char cerr[CURL_ERROR_SIZE] = "";
    cJSON *cfg = parse_config(t);
    const cJSON *a;
    int rc = -1;
    CURL *c = NULL;

    if (!cfg || notify_mail(t, m, now_ms, &mail, err, errlen) < 0)
        goto out;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(cfg, "to"))
    {
        strbuf_reset(&h);
        strbuf_addf(&h, "<%s>", a->valuestring);
        rcpt = curl_slist_append(rcpt, h.buf);
    }
    strbuf_reset(&h);
    strbuf_addf(&h, "<%s>", config_str(cfg, "from", "kesu@localhost"));
    if (!(c = curl_easy_init())) {
        snprintf(err, errlen, "cannot start libcurl");
        goto out;
    }
    struct upload up = {mail.buf, mail.len};
    curl_easy_setopt(c, CURLOPT_URL, t->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, h.buf);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_INFILESIZE, (long)mail.len);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "starttls"))
                         ? (long)CURLUSESSL_ALL
                         : (long)CURLUSESSL_TRY);
    if (config_str(cfg, "username", NULL)) {
        curl_easy_setopt(c, CURLOPT_USERNAME, config_str(cfg, "username", ""));
        curl_easy_setopt(c, CURLOPT_PASSWORD, config_str(cfg, "password", ""));
    }
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s", *cerr ? cerr : curl_easy_strerror(cc));
        goto out;
    }
    rc = 0;
out:
    curl_easy_cleanup(c);
    curl_slist_free_all(rcpt);
    cJSON_Delete(cfg);
    strbuf_release(&mail);
    strbuf_release(&h);
    return rc;
}

int notify_send(const struct notify_target *t, const struct notify_msg *m, int64_t now_ms,
                long timeout_ms, char *err, size_t errlen)
{
    *err = '\0';
    if (!strcmp(t->kind, "email"))
        return send_mail(t, m, now_ms, timeout_ms, err, errlen);
    return send_http(t, m, now_ms, timeout_ms, err, errlen);
}
