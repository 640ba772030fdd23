/*
 * api_forms.c: the public feedback form (no login) and its QR codes.
 *
 *   GET  /f/{form}?store=…&product=…   the form, mobile first, Chinese; the link's
 *                                       context rides along in hidden fields
 *   POST /f/{form}                      application/x-www-form-urlencoded; gives a receipt
 *   GET  /f/status/{receipt}            the status behind a receipt (no personal data)
 *   GET  /api/v1/qr?url=…&format=svg|png  a QR code for a form link (API key)
 *
 * Bots: a hidden honeypot field must stay empty, and the form carries its
 * render time signed with the server's form key: a post sooner than 2 s
 * after rendering or later than 24 h is refused. Posts are rate-limited per
 * client address (channels.json rate_limit.form_per_minute). A resubmitted
 * form (same render token and text) returns the first receipt.
 */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "http/api.h"
#include "http/urlform.h"
#include "intake/channels.h"
#include "intake/qr.h"
#include "base/banned.h"

#define FORM_MIN_MS 2000
#define FORM_MAX_MS (24 * 3600 * 1000LL)
#define FORM_FIELDS 16

/* ---- rate limit: a token bucket per client address, in a small hash table ---- */

#define RL_SLOTS 4096

static struct {
    pthread_mutex_t lock;
    struct {
        uint64_t key;
        double tokens;
        int64_t last_ms;
    } slot[RL_SLOTS];
} rl = {PTHREAD_MUTEX_INITIALIZER, {{0, 0, 0}}};

static bool rate_ok(const char *addr, int per_minute, int64_t now)
{
    uint64_t key;
    bool ok;
    crypto_shorthash((unsigned char *)&key, (const unsigned char *)addr, strlen(addr),
                     (const unsigned char *)"kesu-rate-limit!");
    key |= 1;
    pthread_mutex_lock(&rl.lock);
    size_t i = key % RL_SLOTS;
    if (rl.slot[i].key != key) { /* a new address (or a collision: start it fresh) */
        rl.slot[i].key = key;
        rl.slot[i].tokens = per_minute;
        rl.slot[i].last_ms = now;
    }
    rl.slot[i].tokens += (double)(now - rl.slot[i].last_ms) * per_minute / 60000.0;
    if (rl.slot[i].tokens > per_minute)
        rl.slot[i].tokens = per_minute;
    rl.slot[i].last_ms = now;
    ok = rl.slot[i].tokens >= 1;
    if (ok)
        rl.slot[i].tokens -= 1;
    pthread_mutex_unlock(&rl.lock);
    return ok;
}

/* ---- helpers ---- */

/* "<ms>.<hex HMAC of form name and ms>": the render time, signed. */
static void sign_token(const struct req *r, const char *form, int64_t ms, char out[96])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char msg[160], hex[2 * 16 + 1];
    int n = snprintf(msg, sizeof msg, "%s|%" PRId64, form, ms);
    crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n,
                           r->opts->form_key);
    sodium_bin2hex(hex, sizeof hex, mac, 16);
    snprintf(out, 96, "%" PRId64 ".%s", ms, hex);
}

static int check_token(const struct req *r, const char *form, const char *tok, int64_t now,
                       struct kerr *e)
{
    char want[96];
    char *end;
    long long ms = tok ? strtoll(tok, &end, 10) : 0;
    if (!tok || end == tok || *end != '.')
        return kerr_set(e, KERR_INVALID, "form_expired", "t",
                        "this form is out of date: reload the page and send it again");
    sign_token(r, form, ms, want);
    if (strlen(tok) != strlen(want) || sodium_memcmp(tok, want, strlen(want)) != 0 ||
        now - ms > FORM_MAX_MS)
        return kerr_set(e, KERR_INVALID, "form_expired", "t",
                        "this form is out of date: reload the page and send it again");
    if (now - ms < FORM_MIN_MS)
        return kerr_set(e, KERR_INVALID, "too_fast", "t",
                        "sent too quickly after opening the form; please send it again");
    return 0;
}

static bool wants_json(struct req *r)
{
    const char *a = req_header(r, "Accept");
    return a && strstr(a, "application/json");
}

static const char page_head[] =
    "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
    "<title>%s</title><style>"
    "body{font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;"
    "margin:0;background:#f5f6f8;color:#222}"
    "main{max-width:560px;margin:0 auto;padding:20px 16px}"
    "h1{font-size:1.35em;margin:.2em 0 .6em}p.intro{color:#555}"
    "label{display:block;margin:14px 0 6px;font-weight:600}"
    "textarea,input[type=text],input[type=tel]{width:100%%;box-sizing:border-box;"
    "padding:10px;font-size:16px;border:1px solid #ccc;border-radius:8px;background:#fff}"
    "textarea{min-height:140px}.ctx{background:#fff;border-radius:8px;padding:8px 12px;"
    "color:#444;font-size:.92em}.stars label{display:inline;font-weight:400;margin-right:10px}"
    "button{margin-top:20px;width:100%%;padding:14px;font-size:17px;border:0;border-radius:8px;"
    "background:#d9363e;color:#fff}.hp{position:absolute;left:-9999px}"
    ".box{background:#fff;border-radius:8px;padding:16px}.receipt{font-size:1.6em;"
    "letter-spacing:2px;font-weight:700}</style></head><body><main>";

/* The page's one inline style, allowed by its hash (the CSP forbids inline code otherwise). */
static char form_csp[256];
static pthread_once_t form_csp_once = PTHREAD_ONCE_INIT;

static void form_csp_build(void)
{
    const char *a = strstr(page_head, "<style>") + 7, *b = strstr(page_head, "</style>");
    struct strbuf css = STRBUF_INIT;
    unsigned char h[crypto_hash_sha256_BYTES];
    char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    for (const char *p = a; p < b; p++) /* the text after printf: %% is % */
        if (!(p[0] == '%' && p[1] == '%'))
            strbuf_addch(&css, *p);
    crypto_hash_sha256(h, (const unsigned char *)css.buf, css.len);
    sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
    snprintf(form_csp, sizeof form_csp,
             "default-src 'self'; style-src 'sha256-%s'; base-uri 'none'; object-src 'none'; "
             "form-action 'self'; frame-ancestors 'none'",
             b64);
    strbuf_release(&css);
}

static int reply_html(struct req *r, unsigned status, struct strbuf *sb)
{
    int rc = reply_text(r, status, "text/html; charset=utf-8", sb->buf, sb->len);
    strbuf_release(sb);
    pthread_once(&form_csp_once, form_csp_build);
    reply_set_csp(r, form_csp);
    return rc;
}

static const char *context_label(const char *name)
{
    static const char *const map[][2] = {{"store", "门店"},      {"product", "商品"},
                                         {"order_no", "订单号"}, {"table", "桌号"},
                                         {"room", "房间号"},     {"region", "区域"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], name) == 0)
            return map[i][1];
    return name;
}

/* ---- GET /f/{form} ---- */

int api_form_get(struct req *r)
{
    const struct form_def *f = channels_form(r->opts->channels, r->params[0]);
    struct strbuf sb = STRBUF_INIT, ctx = STRBUF_INIT;
    char tok[96];

    if (!f)
        return reply_error(r, 404, "unknown_form", "form", "no form \"%.64s\"", r->params[0]);
    sign_token(r, f->name, clock_now_ms(), tok);
    strbuf_addf(&sb, page_head, f->title);
    strbuf_addstr(&sb, "<h1>");
    strbuf_addhtml(&sb, f->title);
    strbuf_addstr(&sb, "</h1>");
    if (f->intro && *f->intro) {
        strbuf_addstr(&sb, "<p class=\"intro\">");
        strbuf_addhtml(&sb, f->intro);
        strbuf_addstr(&sb, "</p>");
    }
    strbuf_addstr(&sb, "<form method=\"post\" id=\"fb\">");
    for (size_t i = 0; i < f->ncontext; i++) {
        const char *v = req_query(r, f->context[i]);
        if (!v || !*v || strlen(v) > RECORD_SHORT_MAX || utf8_invalid_at(v, strlen(v)) >= 0)
            continue;
        strbuf_addf(&sb, "<input type=\"hidden\" name=\"ctx_%s\" value=\"", f->context[i]);
        strbuf_addhtml(&sb, v);
        strbuf_addstr(&sb, "\">");
        strbuf_addf(&ctx, "%s%s：", ctx.len ? "　" : "", context_label(f->context[i]));
        strbuf_addhtml(&ctx, v);
    }
    if (ctx.len)
        strbuf_addf(&sb, "<div class=\"ctx\">%s</div>", ctx.buf);
    strbuf_addf(&sb,
                "<input type=\"hidden\" name=\"t\" value=\"%s\">"
                "<div class=\"hp\" aria-hidden=\"true\"><label>网址<input type=\"text\" "
                "name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></label></div>"
                "<label for=\"text\">您遇到的问题或建议 *</label>"
                "<textarea id=\"text\" name=\"text\" required maxlength=\"5000\" "
                "placeholder=\"请描述发生了什么，我们会尽快处理\"></textarea>"
                "<label>满意度</label><div class=\"stars\">",
                tok);
    for (int i = 5; i >= 1; i--)
        strbuf_addf(&sb, "<label><input type=\"radio\" name=\"rating\" value=\"%d\">%d 星</label>",
                    i, i);
    strbuf_addstr(&sb, "</div><label for=\"name\">您的称呼（选填）</label>"
                       "<input type=\"text\" id=\"name\" name=\"customer_name\" maxlength=\"64\">"
                       "<label for=\"phone\">联系电话（选填，便于回访）</label>"
                       "<input type=\"tel\" id=\"phone\" name=\"phone\" maxlength=\"20\">"
                       "<button type=\"submit\">提交反馈</button></form></main></body></html>");
    strbuf_release(&ctx);
    return reply_html(r, 200, &sb);
}

/* ---- POST /f/{form} ---- */

struct form_state {
    struct intake *in;
    char receipt[24];
    char form[64];
};

static void form_state_free(void *p)
{
    struct form_state *fs = p;
    for (size_t i = 0; i < fs->in->n; i++)
        record_release(&fs->in->recs[i]);
    free(fs->in->recs);
    free(fs->in->results);
    free(fs->in);
    free(fs);
}

static int form_reply(struct req *r, unsigned status, const char *receipt, int64_t id)
{
    struct strbuf sb = STRBUF_INIT;
    if (wants_json(r)) {
        struct jsonw w;
        char url[64];
        jsonw_init(&w, &sb);
        jsonw_obj(&w);
        jsonw_kstr(&w, "receipt", receipt);
        jsonw_kint(&w, "id", id);
        snprintf(url, sizeof url, "/f/status/%s", receipt);
        jsonw_kstr(&w, "status_url", url);
        jsonw_end(&w);
        return reply_json(r, status, &sb);
    }
    strbuf_addf(&sb, page_head, "已收到您的反馈");
    strbuf_addf(&sb,
                "<h1>感谢您的反馈</h1><div class=\"box\"><p>我们已收到，会尽快处理。"
                "您的回执号：</p><p class=\"receipt\">%s</p><p>凭回执号可随时"
                "<a href=\"/f/status/%s\">查询处理进度</a>。</p></div></main></body></html>",
                receipt, receipt);
    return reply_html(r, status, &sb);
}

static int form_done(struct req *r)
{
    struct form_state *fs = r->state;
    struct kerr e;
    char receipt[32];
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    if (fs->in->results[0].created)
        return form_reply(r, 201, fs->receipt, fs->in->results[0].id);
    /* a resubmission: the first receipt */
    kerr_clear(&e);
    if (store_receipt_of(r->store, fs->in->results[0].id, receipt, sizeof receipt, &e) < 0)
        return reply_kerr(r, KERR_INTERNAL, &e);
    return form_reply(r, 200, receipt, fs->in->results[0].id);
}

static int form_error(struct req *r, unsigned status, const char *code, const char *field,
                      const char *msg)
{
    struct strbuf sb = STRBUF_INIT;
    if (wants_json(r))
        return reply_error(r, status, code, field, "%s", msg);
    strbuf_addf(&sb, page_head, "未能提交");
    strbuf_addstr(&sb, "<h1>未能提交</h1><div class=\"box\"><p>");
    strbuf_addhtml(&sb, msg);
    strbuf_addstr(&sb, "</p><p><a href=\"javascript:history.back()\">返回</a></p></div>"
                       "</main></body></html>");
    /* the JSON error shape stays available to scripts through Accept */
    return reply_html(r, status, &sb);
}

static void make_receipt(char out[24])
{
    static const char alphabet[] = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"; /* no 0 O 1 I L */
    unsigned char rnd[10];
    randombytes_buf(rnd, sizeof rnd);
    out[0] = 'R';
    for (int i = 0; i < 10; i++)
        out[1 + i] = alphabet[rnd[i] % (sizeof alphabet - 1)];
    out[11] = 0;
}

int api_form_post(struct req *r)
{
    const struct form_def *f = channels_form(r->opts->channels, r->params[0]);
    struct urlform kv = {0};
    struct form_state *fs;
    struct record *rec;
    struct kerr e;
    char addr[64], msg[300];
    const char *v;
    int64_t now = clock_now_ms();
    int rc = 0;

    if (!f)
        return reply_error(r, 404, "unknown_form", "form", "no form \"%.64s\"", r->params[0]);
    req_client_addr(r, addr, sizeof addr);
    if (!rate_ok(addr, r->opts->channels ? r->opts->channels->form_per_minute : 10, now)) {
        form_error(r, 429, "rate_limited", NULL, "提交过于频繁，请稍后再试。");
        reply_with_header(r, "Retry-After", "60");
        return REQ_DONE;
    }
    if (utf8_invalid_at(r->body.buf, r->body.len) >= 0 ||
        urlform_parse(r->body.buf, r->body.len, FORM_FIELDS, &kv) < 0) {
        urlform_free(&kv);
        return form_error(r, 400, "malformed_form", NULL, "表单内容无法识别。");
    }
    for (size_t i = 0; i < kv.n; i++)
        if (utf8_invalid_at(kv.val[i], strlen(kv.val[i])) >= 0) {
            urlform_free(&kv);
            return form_error(r, 400, "invalid_utf8", kv.key[i], "表单内容不是有效的 UTF-8。");
        }
    v = urlform_get(&kv, "website");
    if (v && *v) {
        urlform_free(&kv);
        return form_error(r, 400, "rejected", "website", "提交未被接受。");
    }
    kerr_clear(&e);
    if (check_token(r, f->name, urlform_get(&kv, "t"), now, &e) < 0) {
        urlform_free(&kv);
        return form_error(r, 400, e.code, e.field,
                          strcmp(e.code, "too_fast") == 0 ? "提交太快了，请稍等几秒再提交。"
                                                          : "表单已过期，请刷新页面后重新填写。");
    }
    fs = xcalloc(1, sizeof(*fs));
    fs->in = xcalloc(1, sizeof(*fs->in));
    fs->in->recs = xcalloc(1, sizeof(struct record));
    fs->in->results = xcalloc(1, sizeof(struct store_insert_result));
    fs->in->n = 1;
    rec = &fs->in->recs[0];
    record_init(rec);
    r->state = fs;
    r->state_free = form_state_free;
    snprintf(fs->form, sizeof fs->form, "%s", f->name);
    snprintf(r->actor, sizeof r->actor, "form:%.80s", f->name);

    static const char *const direct[] = {"text", "customer_name", "phone", "rating"};
    rec->channel = xstrdup(f->channel);
    for (size_t i = 0; i < sizeof direct / sizeof direct[0] && rc == 0; i++)
        if ((v = urlform_get(&kv, direct[i])) && *v)
            rc = record_set(rec, record_field_by_name(direct[i]), v, strlen(v), &e);
    if (rc == 0 && !isnan(rec->rating))
        rec->rating_scale = 5;
    /* the link's context: kesu fields where there are any, the rest in extra */
    struct strbuf extra = STRBUF_INIT;
    struct jsonw w;
    jsonw_init(&w, &extra);
    jsonw_obj(&w);
    jsonw_kstr(&w, "form", f->name);
    for (size_t i = 0; i < f->ncontext && rc == 0; i++) {
        char key[80];
        const struct record_field *rf = record_field_by_name(f->context[i]);
        snprintf(key, sizeof key, "ctx_%s", f->context[i]);
        if (!(v = urlform_get(&kv, key)) || !*v)
            continue;
        if (rf && (rf->flags & RF_INPUT) && rf->kind == RF_STR)
            rc = record_set(rec, rf, v, strlen(v), &e);
        else if (strlen(v) <= RECORD_SHORT_MAX)
            jsonw_kstr(&w, f->context[i], v);
    }
    jsonw_end(&w);
    rec->extra = strbuf_detach(&extra, NULL);
    if (rc == 0) {
        /* a resubmitted form (same render token, same text) is the same record */
        unsigned char h[16];
        char hex[33], key[64];
        const char *t = urlform_get(&kv, "t"), *text = rec->text ? rec->text : "";
        crypto_generichash_state hs;
        crypto_generichash_init(&hs, NULL, 0, sizeof h);
        crypto_generichash_update(&hs, (const unsigned char *)t, strlen(t) + 1);
        crypto_generichash_update(&hs, (const unsigned char *)text, strlen(text));
        crypto_generichash_final(&hs, h, sizeof h);
        sodium_bin2hex(hex, sizeof hex, h, sizeof h);
        snprintf(key, sizeof key, "form:%s", hex);
        rec->idempotency_key = xstrdup(key);
        rc = record_validate(rec, now, &e);
    }
    if (rc == 0 && (rc = intake_clean(r, rec, &e)) < 0) {
        urlform_free(&kv);
        return reply_kerr(r, rc, &e);
    }
    urlform_free(&kv);
    if (rc < 0) {
        intake_rejected(r, rec, "form", &e);
        snprintf(msg, sizeof msg, "%s",
                 strcmp(e.field, "text") == 0     ? "请填写您遇到的问题或建议。"
                 : strcmp(e.field, "phone") == 0  ? "联系电话只能包含数字。"
                 : strcmp(e.field, "rating") == 0 ? "满意度需在 1 到 5 星之间。"
                                                  : e.message);
        return form_error(r, 400, e.code, e.field, msg);
    }
    make_receipt(fs->receipt);
    r->job.kind = STORE_JOB_RECEIPT;
    r->job.recs = fs->in->recs;
    r->job.results = fs->in->results;
    r->job.n = 1;
    r->job.receipt = fs->receipt;
    r->job.form = fs->form;
    return req_submit(r, form_done);
}

/* ---- GET /f/status/{receipt} ---- */

static const char *status_zh(const char *s)
{
    static const char *const map[][2] = {{"received", "已受理"},
                                         {"acknowledged", "已确认"},
                                         {"assessed", "评估中"},
                                         {"assigned", "已分派专人处理"},
                                         {"investigating", "调查处理中"},
                                         {"responded", "已答复"},
                                         {"closed", "已办结"},
                                         {"closed_unaccepted", "已办结"},
                                         {"reopened", "重新处理中"},
                                         {"pending_customer", "等待您的补充信息"},
                                         {"pending_third_party", "等待第三方处理"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], s) == 0)
            return map[i][1];
    return s;
}

int api_form_status(struct req *r)
{
    struct store_receipt_status st;
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    char t1[CLOCK_FMT_MAX], t2[CLOCK_FMT_MAX];
    int rc;

    kerr_clear(&e);
    if (strlen(r->params[0]) > 20)
        return form_error(r, 404, "not_found", "receipt", "没有找到这个回执号。");
    rc = store_receipt_status(r->store, r->params[0], &st, &e);
    if (rc == KERR_NOTFOUND)
        return form_error(r, 404, "not_found", "receipt", "没有找到这个回执号，请核对后再试。");
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    if (wants_json(r)) {
        struct jsonw w;
        jsonw_init(&w, &sb);
        jsonw_obj(&w);
        jsonw_kstr(&w, "receipt", r->params[0]);
        jsonw_kstr(&w, "status", st.status);
        jsonw_kstr(&w, "status_text", status_zh(st.status));
        jsonw_kstr(&w, "received_at", clock_format(st.received_at, t1));
        jsonw_kstr(&w, "updated_at", clock_format(st.updated_at, t2));
        jsonw_end(&w);
        return reply_json(r, 200, &sb);
    }
    strbuf_addf(&sb, page_head, "处理进度");
    strbuf_addf(&sb,
                "<h1>处理进度</h1><div class=\"box\"><p>回执号：<b>%s</b></p>"
                "<p class=\"receipt\">%s</p><p>提交时间：%.16s<br>最近更新：%.16s</p></div>"
                "</main></body></html>",
                r->params[0], status_zh(st.status), clock_format(st.received_at, t1),
                clock_format(st.updated_at, t2));
    return reply_html(r, 200, &sb);
}

/* ---- GET /api/v1/qr ---- */

int api_qr(struct req *r)
{
    const char *url = req_query(r, "url"), *fmt = req_query(r, "format"),
               *scale = req_query(r, "scale");
    struct strbuf sb = STRBUF_INIT;
    enum qr_format f = QR_SVG;
    struct kerr e;
    int sc = 8, rc;

    if (!url || !*url)
        return reply_error(r, 400, "missing_field", "url", "url is required");
    if (fmt && strcmp(fmt, "png") == 0)
        f = QR_PNG;
    else if (fmt && strcmp(fmt, "svg") != 0)
        return reply_error(r, 400, "invalid_field", "format", "format is svg or png");
    if (scale) {
        char *end;
        sc = (int)strtol(scale, &end, 10);
        if (*end)
            return reply_error(r, 400, "invalid_field", "scale", "scale is a number 1 to 40");
    }
    kerr_clear(&e);
    if ((rc = qr_render(url, f, sc, &sb, &e)) < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    rc = reply_text(r, 200, f == QR_PNG ? "image/png" : "image/svg+xml", sb.buf, sb.len);
    strbuf_release(&sb);
    return rc;
}
