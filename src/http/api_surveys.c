/*
 * api_surveys.c: return-visit surveys.
 *
 *   GET  /s/{token}                    the survey page (public, mobile first, Chinese)
 *   POST /s/{token}                    the answer: urlencoded form or JSON; once per token;
 *                                      410 when the link was used or has expired
 *   GET  /api/v1/surveys/questions     the configured questions
 *   GET  /api/v1/feedback/{id}/surveys the case's surveys (with links) and follow-ups
 *   POST /api/v1/feedback/{id}/surveys a hotline return visit entered by an agent
 *   PATCH /api/v1/followups/{id}       {"status":"done"|"open"}
 *
 * The page renders every text from the database through strbuf_addhtml: a
 * question label or anything else stored is never markup.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "base/jsonw.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "http/api.h"
#include "http/urlform.h"
#include "store/capa.h"
#include "base/banned.h"

#define ANSWER_FIELDS 24
#define COMMENT_MAX   2000

/* ---- small helpers (HTML) ------------------------------------------------------------ */

static bool wants_json(struct req *r)
{
    const char *a = req_header(r, "Accept"), *ct = req_header(r, "Content-Type");
    return (a && strstr(a, "application/json")) || (ct && strstr(ct, "application/json"));
}

static const char page_head[] =
    "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
    "<meta name=\"referrer\" content=\"no-referrer\">"
    "<title>服务回访</title><style>"
    "body{font-family:system-ui,-apple-system,'PingFang SC','Microsoft YaHei',sans-serif;"
    "margin:0;background:#f5f6f8;color:#222}main{max-width:560px;margin:0 auto;padding:20px 16px}"
    "h1{font-size:1.35em;margin:.2em 0 .6em}fieldset{border:0;background:#fff;border-radius:8px;"
    "margin:0 0 12px;padding:12px}legend{font-weight:600;padding:0;margin-bottom:8px}"
    ".scale{display:flex;flex-wrap:wrap;gap:6px}.scale label{flex:1 0 2.4em;text-align:center;"
    "border:1px solid #ccc;border-radius:6px;padding:8px 0;background:#fafafa}"
    ".scale input{display:block;margin:0 auto 2px}.ends{display:flex;justify-content:space-between;"
    "color:#777;font-size:.85em;margin-top:4px}textarea{width:100%;box-sizing:border-box;"
    "min-height:110px;padding:10px;font-size:16px;border:1px solid #ccc;border-radius:8px}"
    "button{width:100%;padding:14px;font-size:17px;border:0;border-radius:8px;background:#d9363e;"
    "color:#fff}.box{background:#fff;border-radius:8px;padding:16px}</style></head><body><main>";

/* No scripts, no framing (every reply is no-store already: the page belongs to one link). */
static void page_headers(struct req *r)
{
    reply_set_csp(r, "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                     "base-uri 'none'; frame-ancestors 'none'");
}

static int reply_page(struct req *r, unsigned status, const char *title, const char *text)
{
    struct strbuf sb = STRBUF_INIT;
    int rc;
    strbuf_addstr(&sb, page_head);
    strbuf_addstr(&sb, "<div class=\"box\"><h1>");
    strbuf_addhtml(&sb, title);
    strbuf_addstr(&sb, "</h1><p>");
    strbuf_addhtml(&sb, text);
    strbuf_addstr(&sb, "</p></div></main></body></html>");
    rc = reply_text(r, status, "text/html; charset=utf-8", sb.buf, sb.len);
    page_headers(r);
    strbuf_release(&sb);
    return rc;
}

/* The token's hash, or -1 when the token cannot be one of ours. */
static int token_hash(const char *token, char hex[65])
{
    unsigned char h[32];
    size_t n = strlen(token);
    if (n < 16 || n > 64)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = token[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return -1;
    }
    crypto_generichash(h, sizeof h, (const unsigned char *)token, n, NULL, 0);
    sodium_bin2hex(hex, 65, h, sizeof h);
    return 0;
}

/* Replies for a link that is unknown (404) or unusable (410); 0 when it is open. */
static int link_state(struct req *r, const char *token, char hash[65])
{
    struct store_survey_link l;
    struct kerr e;
    int rc;
    kerr_clear(&e);
    if (token_hash(token, hash) < 0 ||
        (rc = store_survey_by_token(r->store, hash, &l, &e)) == KERR_NOTFOUND) {
        if (wants_json(r))
            return reply_error(r, 404, "not_found", "token", "no such survey link"), -1;
        return reply_page(r, 404, "链接无效", "没有找到这份问卷，请检查链接是否完整。"), -1;
    }
    if (rc < 0)
        return reply_kerr(r, rc, &e), -1;
    if (strcmp(l.state, "open") != 0) {
        bool used = strcmp(l.state, "answered") == 0;
        if (wants_json(r))
            return reply_error(r, 410, used ? "survey_answered" : "survey_expired", "token",
                               used ? "this survey has already been answered"
                                    : "this survey link expired"),
                   -1;
        return reply_page(r, 410, used ? "问卷已提交" : "链接已过期",
                          used ? "这份问卷已经提交过了，感谢您的反馈。"
                               : "这份问卷的有效期已过，感谢您的关注。"),
               -1;
    }
    return 0;
}

static cJSON *load_questions(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    cJSON *q = NULL;
    kerr_clear(&e);
    if (store_survey_questions_json(r->store, &sb, &e) == 0)
        q = cJSON_Parse(sb.buf);
    strbuf_release(&sb);
    if (!q)
        reply_error(r, 500, "storage_error", NULL, "cannot read the survey questions");
    return q;
}

static int qint(cJSON *q, const char *name)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(q, name);
    return cJSON_IsNumber(v) ? v->valueint : 0;
}

static const char *qstr(cJSON *q, const char *name)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(q, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- GET /s/{token} ----------------------------------------------------------------- */

int api_survey_page(struct req *r)
{
    char hash[65];
    cJSON *qs, *q;
    struct strbuf sb = STRBUF_INIT;
    int rc;

    if (link_state(r, r->params[0], hash) < 0)
        return REQ_DONE;
    if (!(qs = load_questions(r)))
        return REQ_DONE;
    strbuf_addstr(&sb, page_head);
    strbuf_addstr(&sb, "<h1>服务回访</h1><p>感谢您的耐心。请告诉我们这次投诉处理得怎么样，"
                       "只需一分钟。</p><form method=\"post\">");
    cJSON_ArrayForEach(q, qs)
    {
        const char *key = qstr(q, "key"), *kind = qstr(q, "kind");
        bool req = qint(q, "required");
        if (!key || !kind)
            continue;
        strbuf_addstr(&sb, "<fieldset><legend>");
        strbuf_addhtml(&sb, qstr(q, "label_zh"));
        strbuf_addstr(&sb, req ? " *" : "");
        strbuf_addstr(&sb, "</legend>");
        if (strcmp(kind, "scale") == 0) {
            strbuf_addstr(&sb, "<div class=\"scale\">");
            for (int v = qint(q, "min"); v <= qint(q, "max"); v++) {
                strbuf_addstr(&sb, "<label><input type=\"radio\" name=\"");
                strbuf_addhtml(&sb, key);
                strbuf_addf(&sb, "\" value=\"%d\"%s>%d</label>", v, req ? " required" : "", v);
            }
            strbuf_addstr(&sb, "</div><div class=\"ends\"><span>");
            strbuf_addhtml(&sb, qstr(q, "low_zh"));
            strbuf_addstr(&sb, "</span><span>");
            strbuf_addhtml(&sb, qstr(q, "high_zh"));
            strbuf_addstr(&sb, "</span></div>");
        } else {
            strbuf_addstr(&sb, "<textarea name=\"");
            strbuf_addhtml(&sb, key);
            strbuf_addf(&sb, "\" maxlength=\"%d\"></textarea>", COMMENT_MAX);
        }
        strbuf_addstr(&sb, "</fieldset>");
    }
    strbuf_addstr(&sb, "<button type=\"submit\">提交</button></form></main></body></html>");
    cJSON_Delete(qs);
    rc = reply_text(r, 200, "text/html; charset=utf-8", sb.buf, sb.len);
    page_headers(r);
    strbuf_release(&sb);
    return rc;
}

/* ---- answers: checked against the questions -------------------------------------------- */

struct answer_state {
    struct capa_op op;
    char *json, *comment;
    bool page; /* reply with HTML */
};

static void answer_state_free(void *p)
{
    struct answer_state *as = p;
    free(as->json);
    free(as->comment);
    free(as);
}

/* Fills a from kv by the questions; replies 400 naming the field and returns -1. */
static int check_answers(struct req *r, cJSON *qs, const struct urlform *kv,
                         struct answer_state *as)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    cJSON *q;
    int n = 0;
    as->op.answers.csat = as->op.answers.nps = as->op.answers.handling = CAPA_ABSENT;
    for (size_t i = 0; i < kv->n; i++) {
        bool known = false;
        cJSON_ArrayForEach(q, qs) known = known || strcmp(qstr(q, "key"), kv->key[i]) == 0;
        if (!known) {
            strbuf_release(&sb);
            return reply_error(r, 400, "unknown_field", kv->key[i], "no question \"%.48s\"",
                               kv->key[i]),
                   -1;
        }
    }
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    cJSON_ArrayForEach(q, qs)
    {
        const char *key = qstr(q, "key"), *v = urlform_get(kv, key);
        if (!v || !*v) {
            if (qint(q, "required")) {
                strbuf_release(&sb);
                return reply_error(r, 400, "missing_field", key, "%s needs an answer", key), -1;
            }
            continue;
        }
        if (strcmp(qstr(q, "kind"), "scale") == 0) {
            char *end;
            long x = strtol(v, &end, 10);
            if (*end || end == v || x < qint(q, "min") || x > qint(q, "max")) {
                strbuf_release(&sb);
                return reply_error(r, 400, "invalid_value", key, "%s must be %d to %d", key,
                                   qint(q, "min"), qint(q, "max")),
                       -1;
            }
            jsonw_kint(&w, key, x);
            if (strcmp(key, "csat") == 0)
                as->op.answers.csat = x;
            else if (strcmp(key, "nps") == 0)
                as->op.answers.nps = x;
            else if (strcmp(key, "handling") == 0)
                as->op.answers.handling = x;
        } else {
            if (strlen(v) > COMMENT_MAX || utf8_invalid_at(v, strlen(v)) >= 0) {
                strbuf_release(&sb);
                return reply_error(r, 400, "invalid_value", key,
                                   "%s must be UTF-8 text of at most %d bytes", key, COMMENT_MAX),
                       -1;
            }
            jsonw_kstr(&w, key, v);
            if (strcmp(key, "comment") == 0)
                as->comment = xstrdup(v);
        }
        n++;
    }
    jsonw_end(&w);
    if (n == 0) {
        strbuf_release(&sb);
        return reply_error(r, 400, "missing_field", "csat", "answer at least one question"), -1;
    }
    as->json = strbuf_detach(&sb, NULL);
    as->op.answers.json = as->json;
    as->op.answers.comment = as->comment;
    return 0;
}

/* Reads the body (form or JSON) into answers; -1 after replying. */
static int read_answers(struct req *r, struct answer_state *as)
{
    struct urlform kv = {0};
    const char *ct = req_header(r, "Content-Type"), *bad = NULL;
    cJSON *qs, *j = NULL;
    int rc = -1;

    if (ct && strstr(ct, "application/json")) {
        if (!(j = parse_body(r)))
            return -1;
        if (!cJSON_IsObject(j) || urlform_from_json(j, ANSWER_FIELDS, &kv, &bad) < 0) {
            cJSON_Delete(j);
            urlform_free(&kv);
            return reply_error(r, 400, "invalid_type", bad,
                               "send a JSON object of answers (numbers or strings)"),
                   -1;
        }
        cJSON_Delete(j);
    } else if (urlform_parse(r->body.buf ? r->body.buf : "", r->body.len, ANSWER_FIELDS, &kv) < 0) {
        urlform_free(&kv);
        return reply_error(r, 400, "too_many_fields", NULL, "too many fields"), -1;
    }
    if ((qs = load_questions(r))) {
        rc = check_answers(r, qs, &kv, as);
        cJSON_Delete(qs);
    }
    urlform_free(&kv);
    return rc;
}

static int answer_done(struct req *r)
{
    struct answer_state *as = r->state;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    if (r->job.rc < 0) {
        const char *code = r->job.err.code;
        bool gone = strcmp(code, "survey_answered") == 0 || strcmp(code, "survey_expired") == 0;
        if (as->page && gone)
            return reply_page(r, 410, "问卷已提交", "这份问卷已经提交过或已过期。");
        if (gone)
            return reply_error(r, 410, code, "token", "%s", r->job.err.message);
        return reply_kerr(r, r->job.rc, &r->job.err);
    }
    if (as->page)
        return reply_page(r, 200, "提交成功", "感谢您的反馈！我们会认真改进。");
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kint(&w, "survey_id", as->op.out_id);
    if (as->op.out_followup)
        jsonw_kint(&w, "followup_id", as->op.out_followup);
    else {
        jsonw_key(&w, "followup_id");
        jsonw_null(&w);
    }
    jsonw_kbool(&w, "detractor", as->op.out_followup != 0);
    jsonw_end(&w);
    return reply_json(r, r->route->auth == AUTH_NONE ? 200 : 201, &sb);
}

static struct answer_state *answer_state_new(struct req *r, enum capa_op_kind kind)
{
    struct answer_state *as = xcalloc(1, sizeof *as);
    as->op.kind = kind;
    r->state = as;
    r->state_free = answer_state_free;
    return as;
}

int api_survey_answer(struct req *r)
{
    char hash[65];
    struct answer_state *as;
    if (link_state(r, r->params[0], hash) < 0)
        return REQ_DONE;
    as = answer_state_new(r, CAPA_SURVEY_ANSWER);
    as->page = !wants_json(r);
    memcpy(as->op.token_hash, hash, sizeof hash);
    if (read_answers(r, as) < 0)
        return REQ_DONE;
    store_capa_job(&r->job, &as->op, "customer:survey");
    return req_submit(r, answer_done);
}

int api_survey_record(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct answer_state *as;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    as = answer_state_new(r, CAPA_SURVEY_RECORD);
    as->op.feedback_id = id;
    if (r->body.len == 0)
        return reply_error(r, 400, "missing_body", NULL, "send the answers as a JSON object");
    if (read_answers(r, as) < 0)
        return REQ_DONE;
    store_capa_job(&r->job, &as->op, r->actor);
    return req_submit(r, answer_done);
}

int api_survey_list(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    struct record rec;
    int rc;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    kerr_clear(&e);
    record_init(&rec);
    rc = store_feedback_get(r->store, id, &rec, &e);
    record_release(&rec);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    if ((rc = store_surveys_json(r->store, id, &sb, &e)) < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}

int api_survey_questions(struct req *r)
{
    struct strbuf sb = STRBUF_INIT, out = STRBUF_INIT;
    struct store_survey_conf conf;
    struct kerr e;
    int rc;
    kerr_clear(&e);
    if ((rc = store_survey_questions_json(r->store, &sb, &e)) < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    store_get_survey(r->store, &conf);
    strbuf_addstr(&out, "{\"items\":");
    strbuf_add(&out, sb.buf, sb.len);
    strbuf_addf(&out, ",\"max_per_30_days\":%d,\"expiry_hours\":%.6g,\"followup_hours\":%.6g}",
                conf.max_per_30d, (double)conf.expiry_ms / 3600000.0,
                (double)conf.followup_ms / 3600000.0);
    strbuf_release(&sb);
    return reply_json(r, 200, &out);
}

struct followup_state {
    struct capa_op op;
    cJSON *j;
};

static void followup_state_free(void *p)
{
    struct followup_state *fs = p;
    cJSON_Delete(fs->j);
    free(fs);
}

static int followup_done(struct req *r)
{
    struct followup_state *fs = r->state;
    struct strbuf sb = STRBUF_INIT;
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    strbuf_addf(&sb, "{\"id\":%" PRId64 ",\"status\":\"%s\"}", fs->op.id, fs->op.status);
    return reply_json(r, 200, &sb);
}

int api_followup_update(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct followup_state *fs;
    cJSON *j, *s;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such follow-up");
    if (!(j = parse_body(r)))
        return REQ_DONE;
    fs = xcalloc(1, sizeof *fs);
    fs->j = j;
    r->state = fs;
    r->state_free = followup_state_free;
    s = cJSON_GetObjectItemCaseSensitive(j, "status");
    if (!cJSON_IsString(s) ||
        (strcmp(s->valuestring, "done") != 0 && strcmp(s->valuestring, "open") != 0))
        return reply_error(r, 400, "invalid_value", "status", "status must be done or open");
    fs->op.kind = CAPA_FOLLOWUP_UPDATE;
    fs->op.id = id;
    fs->op.status = s->valuestring;
    store_capa_job(&r->job, &fs->op, r->actor);
    return req_submit(r, followup_done);
}

/* ---- PUT /api/v1/surveys/questions/{key} ------------------------------------------------- */

struct question_state {
    struct capa_op op;
    cJSON *j;
};

static void question_state_free(void *p)
{
    struct question_state *qs = p;
    cJSON_Delete(qs->j);
    free(qs);
}

static int question_done(struct req *r)
{
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    return api_survey_questions(r);
}

/* A string member of at most max bytes; NULL when absent. -1 after replying. */
static int q_str(struct req *r, cJSON *j, const char *name, size_t max, bool required,
                 const char **out)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required)
            return reply_error(r, 400, "missing_field", name, "%s is required", name), -1;
        return 0;
    }
    if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > max ||
        utf8_invalid_at(v->valuestring, strlen(v->valuestring)) >= 0)
        return reply_error(r, 400, "invalid_value", name,
                           "%s must be non-empty UTF-8 text of at most %zu bytes", name, max),
               -1;
    *out = v->valuestring;
    return 0;
}

static int q_int(struct req *r, cJSON *j, const char *name, int64_t lo, int64_t hi, int64_t *out)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    *out = CAPA_ABSENT;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int64_t)v->valuedouble ||
        v->valuedouble < (double)lo || v->valuedouble > (double)hi)
        return reply_error(r, 400, "invalid_value", name,
                           "%s must be a whole number from %" PRId64 " to %" PRId64, name, lo, hi),
               -1;
    *out = (int64_t)v->valuedouble;
    return 0;
}

static int q_bool(struct req *r, cJSON *j, const char *name, bool dflt, bool *out)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    *out = dflt;
    if (!v)
        return 0;
    if (!cJSON_IsBool(v))
        return reply_error(r, 400, "invalid_type", name, "%s must be true or false", name), -1;
    *out = cJSON_IsTrue(v);
    return 0;
}

int api_survey_question_put(struct req *r)
{
    static const char *const allowed[] = {"kind",    "min",      "max",      "required",
                                          "enabled", "position", "label_zh", "label_en",
                                          "low_zh",  "high_zh",  NULL};
    const char *key = r->params[0];
    struct question_state *qs;
    struct capa_question *q;
    cJSON *j, *v;
    size_t n = strlen(key);

    for (size_t i = 0; i < n; i++)
        if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= '0' && key[i] <= '9') ||
              key[i] == '_'))
            n = 0;
    if (n == 0 || n > 32)
        return reply_error(r, 400, "invalid_value", "key",
                           "a question key is 1 to 32 of a-z, 0-9 and _");
    if (!(j = parse_body(r)))
        return REQ_DONE;
    qs = xcalloc(1, sizeof *qs);
    qs->j = j;
    r->state = qs;
    r->state_free = question_state_free;
    if (!cJSON_IsObject(j))
        return reply_error(r, 400, "invalid_type", NULL, "send a JSON object");
    cJSON_ArrayForEach(v, j)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            ok = ok || strcmp(*a, v->string) == 0;
        if (!ok)
            return reply_error(r, 400, "unknown_field", v->string, "unknown field \"%.48s\"",
                               v->string);
    }
    q = &qs->op.question;
    q->key = key;
    if (q_str(r, j, "kind", 8, true, &q->kind) < 0 ||
        q_str(r, j, "label_zh", 300, true, &q->label_zh) < 0 ||
        q_str(r, j, "label_en", 300, false, &q->label_en) < 0 ||
        q_str(r, j, "low_zh", 64, false, &q->low_zh) < 0 ||
        q_str(r, j, "high_zh", 64, false, &q->high_zh) < 0 ||
        q_int(r, j, "min", 0, 100, &q->min_value) < 0 ||
        q_int(r, j, "max", 0, 100, &q->max_value) < 0 ||
        q_int(r, j, "position", 1, 1000, &q->position) < 0 ||
        q_bool(r, j, "required", false, &q->required) < 0 ||
        q_bool(r, j, "enabled", true, &q->enabled) < 0)
        return REQ_DONE;
    if (strcmp(q->kind, "scale") != 0 && strcmp(q->kind, "text") != 0)
        return reply_error(r, 400, "invalid_value", "kind", "kind is scale or text");
    if (strcmp(q->kind, "scale") == 0 &&
        (q->min_value == CAPA_ABSENT || q->max_value == CAPA_ABSENT ||
         q->min_value >= q->max_value || q->max_value - q->min_value > 20))
        return reply_error(r, 400, "invalid_value", "max",
                           "a scale needs min < max, at most 20 apart");
    if (strcmp(q->kind, "text") == 0)
        q->min_value = q->max_value = CAPA_ABSENT;
    /* the columns CSAT, NPS and handling have fixed meanings: keep their scales */
    if ((strcmp(key, "csat") == 0 || strcmp(key, "handling") == 0 || strcmp(key, "nps") == 0) &&
        (strcmp(q->kind, "scale") != 0 || q->min_value != (strcmp(key, "nps") == 0 ? 0 : 1) ||
         q->max_value != (strcmp(key, "nps") == 0 ? 10 : 5)))
        return reply_error(r, 400, "invalid_value", "kind",
                           "%s keeps its scale (%s); only labels, order and use may change", key,
                           strcmp(key, "nps") == 0 ? "0-10" : "1-5");
    qs->op.kind = CAPA_QUESTION_PUT;
    store_capa_job(&r->job, &qs->op, r->actor);
    return req_submit(r, question_done);
}

/* ---- the outbox, for a mailer ------------------------------------------------------------ */

int api_outbox_list(struct req *r)
{
    const char *u = req_query(r, "unsent"), *l = req_query(r, "limit");
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    long limit = 100;
    int rc;
    if (l) {
        char *end;
        limit = strtol(l, &end, 10);
        if (*end || limit < 1 || limit > 1000)
            return reply_error(r, 400, "invalid_value", "limit", "limit must be 1 to 1000");
    }
    kerr_clear(&e);
    rc = store_outbox_json(r->store, u && (strcmp(u, "true") == 0 || strcmp(u, "1") == 0),
                           (int)limit, &sb, &e);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}

static int outbox_done(struct req *r)
{
    struct followup_state *fs = r->state;
    struct strbuf sb = STRBUF_INIT;
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    strbuf_addf(&sb, "{\"id\":%" PRId64 ",\"sent\":%s}", fs->op.id,
                fs->op.status ? "false" : "true");
    return reply_json(r, 200, &sb);
}

/* POST /api/v1/outbox/{id}/sent {} (delivered) or {"error":"..."} (an attempt failed). */
int api_outbox_sent(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct followup_state *fs;
    cJSON *j = NULL, *v;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such message");
    if (r->body.len && !(j = parse_body(r)))
        return REQ_DONE;
    fs = xcalloc(1, sizeof *fs);
    fs->j = j;
    r->state = fs;
    r->state_free = followup_state_free;
    v = j ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
    if (j && (!cJSON_IsObject(j) ||
              (v && (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > 1000 ||
                     utf8_invalid_at(v->valuestring, strlen(v->valuestring)) >= 0))))
        return reply_error(r, 400, "invalid_value", "error",
                           "send {} or {\"error\":\"what went wrong\"} (UTF-8, 1000 bytes)");
    fs->op.kind = CAPA_OUTBOX_SENT;
    fs->op.id = id;
    fs->op.status = v ? v->valuestring : NULL;
    store_capa_job(&r->job, &fs->op, r->actor);
    return req_submit(r, outbox_done);
}
