/*
 * survey.c: return-visit surveys in SQLite. On closure a case gets a survey
 * with a link token (survey_on_close, in the closing transaction); the
 * customer answers once through the link, or an agent records a hotline
 * return visit. A detractor's answer opens a recovery follow-up on the case.
 * Also the helpers capa.c shares (capa_int.h).
 *
 * Tokens: 144 random bits, base64url; only their BLAKE2b-256 hash is kept in
 * surveys.token_hash, the link itself only in the outbox message that
 * carries it to the customer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "store/capa_int.h"
#include "base/banned.h"

#define DAY_MS (24 * 3600 * 1000LL)

/* ---- shared helpers ----------------------------------------------------------- */

sqlite3_stmt *capa_prepare(struct conn *c, const char *sql, struct kerr *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_error(c->db, err, "prepare");
        return NULL;
    }
    return st;
}

void capa_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

void capa_bind_int(sqlite3_stmt *st, int i, int64_t v)
{
    if (v == CAPA_ABSENT)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

int capa_exec_stmt(struct conn *c, sqlite3_stmt *st, struct kerr *err, const char *what)
{
    int rc = 0;
    if (!st)
        return KERR_IO;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_error(c->db, err, what);
    sqlite3_finalize(st);
    return rc;
}

int capa_query_int(struct conn *c, const char *sql, int64_t p1, int64_t dflt, int64_t *out,
                   struct kerr *err)
{
    sqlite3_stmt *st = capa_prepare(c, sql, err);
    int rc;
    if (!st)
        return KERR_IO;
    if (p1)
        sqlite3_bind_int64(st, 1, p1);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        *out = sqlite3_column_int64(st, 0);
    else
        *out = dflt;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        rc = db_error(c->db, err, "query");
    else
        rc = 0;
    sqlite3_finalize(st);
    return rc;
}

int capa_event(struct conn *c, int64_t feedback_id, int64_t at, const char *actor, const char *kind,
               const char *field, const char *before, const char *after, const char *note,
               struct kerr *err)
{
    sqlite3_stmt *st = capa_prepare(
        c,
        "INSERT INTO feedback_events(feedback_id,at,actor,kind,field,before,after,note)"
        " VALUES(?,?,?,?,?,?,?,?)",
        err);
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, feedback_id);
    sqlite3_bind_int64(st, 2, at);
    capa_bind_text(st, 3, actor ? actor : "system");
    capa_bind_text(st, 4, kind);
    capa_bind_text(st, 5, field);
    capa_bind_text(st, 6, before);
    capa_bind_text(st, 7, after);
    capa_bind_text(st, 8, note);
    return capa_exec_stmt(c, st, err, "insert event");
}

int capa_outbox(struct conn *c, const char *kind, int64_t feedback_id, int64_t action_id,
                const char *recipient, const char *subject, const char *body, int64_t now,
                int64_t *id, struct kerr *err)
{
    return capa_outbox_link(c, kind, feedback_id, action_id, recipient, subject, body, NULL, now,
                            id, err);
}

int capa_outbox_link(struct conn *c, const char *kind, int64_t feedback_id, int64_t action_id,
                     const char *recipient, const char *subject, const char *body, const char *link,
                     int64_t now, int64_t *id, struct kerr *err)
{
    sqlite3_stmt *st = capa_prepare(c,
                                    "INSERT INTO outbox(kind,feedback_id,action_id,recipient,"
                                    "subject,body,created_at,link) VALUES(?,?,?,?,?,?,?,?)",
                                    err);
    int rc;
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, kind);
    capa_bind_int(st, 2, feedback_id ? feedback_id : CAPA_ABSENT);
    capa_bind_int(st, 3, action_id ? action_id : CAPA_ABSENT);
    capa_bind_text(st, 4, recipient);
    capa_bind_text(st, 5, subject);
    capa_bind_text(st, 6, body);
    sqlite3_bind_int64(st, 7, now);
    capa_bind_text(st, 8, link);
    rc = capa_exec_stmt(c, st, err, "insert outbox");
    if (rc == 0 && id)
        *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static bool is_raw_json(const char *name)
{
    static const char *const raw[] = {"whys",   "evidence", "tags",    "answers",
                                      "result", "cases",    "actions", "root_causes"};
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++)
        if (strcmp(name, raw[i]) == 0)
            return true;
    return false;
}

static void column_json(sqlite3_stmt *st, int i, struct jsonw *w)
{
    const char *name = sqlite3_column_name(st, i);
    size_t n = strlen(name);
    jsonw_key(w, name);
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        jsonw_null(w);
        break;
    case SQLITE_INTEGER:
        if (n > 3 && strcmp(name + n - 3, "_at") == 0) {
            char ts[CLOCK_FMT_MAX];
            jsonw_str(w, clock_format(sqlite3_column_int64(st, i), ts));
        } else {
            jsonw_int(w, sqlite3_column_int64(st, i));
        }
        break;
    case SQLITE_FLOAT:
        jsonw_double(w, sqlite3_column_double(st, i));
        break;
    default:
        if (is_raw_json(name))
            jsonw_raw(w, (const char *)sqlite3_column_text(st, i),
                      (size_t)sqlite3_column_bytes(st, i));
        else
            jsonw_strn(w, (const char *)sqlite3_column_text(st, i),
                       (size_t)sqlite3_column_bytes(st, i));
    }
}

int capa_rows_json(struct conn *c, sqlite3_stmt *st, struct jsonw *w, struct kerr *err)
{
    int rc;
    if (!st)
        return KERR_IO;
    jsonw_arr(w);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        jsonw_obj(w);
        for (int i = 0; i < sqlite3_column_count(st); i++)
            column_json(st, i, w);
        jsonw_end(w);
    }
    jsonw_end(w);
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read rows");
    sqlite3_finalize(st);
    return rc;
}

int capa_row_json(struct conn *c, sqlite3_stmt *st, struct jsonw *w, const char *what,
                  struct kerr *err)
{
    int rc;
    if (!st)
        return KERR_IO;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        jsonw_obj(w);
        for (int i = 0; i < sqlite3_column_count(st); i++)
            column_json(st, i, w);
        jsonw_end(w);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no such %s", what);
    } else {
        rc = db_error(c->db, err, "read row");
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---- configuration ------------------------------------------------------------- */

static void conf_defaults(struct store_survey_conf *c)
{
    memset(c, 0, sizeof *c);
    c->max_per_30d = 2;
    c->expiry_ms = 7 * DAY_MS;
    c->followup_ms = DAY_MS;
    snprintf(c->base_url, sizeof c->base_url, "http://127.0.0.1:8080");
}

void store_set_survey(struct store *s, const struct store_survey_conf *conf)
{
    pthread_mutex_lock(&s->wlock);
    s->survey = *conf;
    s->survey_set = true;
    pthread_mutex_unlock(&s->wlock);
}

static void conf_of(struct store *s, struct store_survey_conf *out)
{
    if (s && s->survey_set)
        *out = s->survey;
    else
        conf_defaults(out);
}

void store_get_survey(struct store *s, struct store_survey_conf *out)
{
    pthread_mutex_lock(&s->wlock);
    conf_of(s, out);
    pthread_mutex_unlock(&s->wlock);
}

/* ---- issue on closure ---------------------------------------------------------------- */

static void new_token(char token[32], char hash_hex[65])
{
    unsigned char raw[18], h[32];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(token, 32, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(hash_hex, 65, h, sizeof h);
}

int survey_on_close(struct conn *c, int64_t feedback_id, const char *actor, int64_t now,
                    struct kerr *err)
{
    struct store_survey_conf conf;
    char token[32], hash[65], ts[CLOCK_FMT_MAX], idtxt[24];
    char *customer = NULL;
    struct strbuf link = STRBUF_INIT, body = STRBUF_INIT;
    int64_t sent = 0, survey_id, outbox_id;
    sqlite3_stmt *st;
    int rc;

    conf_of(c->s, &conf); /* the writer holds wlock */
    st = capa_prepare(c, "SELECT customer_id FROM feedback WHERE id=?", err);
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, feedback_id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        customer = xstrdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);

    if (customer && conf.max_per_30d > 0) {
        st = capa_prepare(c, "SELECT count(*) FROM surveys WHERE customer_id=? AND sent_at>?", err);
        if (!st) {
            rc = KERR_IO;
            goto out;
        }
        capa_bind_text(st, 1, customer);
        sqlite3_bind_int64(st, 2, now - 30 * DAY_MS);
        if (sqlite3_step(st) == SQLITE_ROW)
            sent = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (sent >= conf.max_per_30d) {
            char note[160];
            snprintf(note, sizeof note,
                     "回访问卷未发送：该客户 30 天内已收到 %" PRId64
                     " 份（上限 %d） / survey not sent: fatigue rule",
                     sent, conf.max_per_30d);
            rc = capa_event(c, feedback_id, now, actor, "survey", "survey", NULL, "suppressed",
                            note, err);
            goto out;
        }
    }

    new_token(token, hash);
    st = capa_prepare(c,
                      "INSERT INTO surveys(feedback_id,customer_id,channel,token_hash,sent_at,"
                      "expires_at) VALUES(?,?,'link',?,?,?)",
                      err);
    if (!st) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, feedback_id);
    capa_bind_text(st, 2, customer);
    capa_bind_text(st, 3, hash);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, now + conf.expiry_ms);
    if ((rc = capa_exec_stmt(c, st, err, "insert survey")) < 0)
        goto out;
    survey_id = sqlite3_last_insert_rowid(c->db);

    strbuf_addf(&link, "%s/s/%s", conf.base_url, token);
    strbuf_addf(&body,
                "您好，您反馈的问题（编号 %" PRId64
                "）已处理完毕。请花一分钟告诉我们您的感受：\n%s\n"
                "链接 %s 前有效，仅可提交一次。",
                feedback_id, link.buf, clock_format(now + conf.expiry_ms, ts));
    snprintf(idtxt, sizeof idtxt, "feedback:%" PRId64, feedback_id);
    rc = capa_outbox_link(c, "survey_link", feedback_id, 0, idtxt, "服务回访 / How did we do?",
                          body.buf, link.buf, now, &outbox_id, err);
    if (rc < 0)
        goto out;
    st = capa_prepare(c, "UPDATE surveys SET outbox_id=? WHERE id=?", err);
    if (!st) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, outbox_id);
    sqlite3_bind_int64(st, 2, survey_id);
    if ((rc = capa_exec_stmt(c, st, err, "link survey")) < 0)
        goto out;
    snprintf(idtxt, sizeof idtxt, "%" PRId64, survey_id);
    {
        char note[128];
        snprintf(note, sizeof note, "回访问卷已发出（outbox #%" PRId64 "），%s 到期", outbox_id,
                 ts);
        rc = capa_event(c, feedback_id, now, actor, "survey", "survey", NULL, idtxt, note, err);
    }
out:
    free(customer);
    strbuf_release(&link);
    strbuf_release(&body);
    return rc;
}

/* ---- answers --------------------------------------------------------------------------- */

static bool is_detractor(const struct capa_answers *a)
{
    return (a->nps != CAPA_ABSENT && a->nps <= 6) || (a->csat != CAPA_ABSENT && a->csat <= 2);
}

/* Opens a recovery follow-up on the case when the answers are a detractor's. */
static int maybe_recover(struct conn *c, int64_t feedback_id, int64_t survey_id,
                         const struct capa_answers *a, const char *actor, int64_t now,
                         int64_t *followup, struct kerr *err)
{
    struct store_survey_conf conf;
    char reason[128], idtxt[24], ts[CLOCK_FMT_MAX], note[192];
    sqlite3_stmt *st;
    int rc;

    *followup = 0;
    if (!is_detractor(a))
        return 0;
    conf_of(c->s, &conf);
    snprintf(reason, sizeof reason, "detractor: CSAT %s%" PRId64 ", NPS %s%" PRId64,
             a->csat == CAPA_ABSENT ? "-" : "", a->csat == CAPA_ABSENT ? 0 : a->csat,
             a->nps == CAPA_ABSENT ? "-" : "", a->nps == CAPA_ABSENT ? 0 : a->nps);
    st = capa_prepare(c,
                      "INSERT INTO followups(feedback_id,survey_id,kind,reason,owner,due_at,"
                      "created_at) VALUES(?1,?2,'recovery',?3,"
                      "(SELECT assignee FROM feedback WHERE id=?1),?4,?5)",
                      err);
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, feedback_id);
    sqlite3_bind_int64(st, 2, survey_id);
    capa_bind_text(st, 3, reason);
    sqlite3_bind_int64(st, 4, now + conf.followup_ms);
    sqlite3_bind_int64(st, 5, now);
    if ((rc = capa_exec_stmt(c, st, err, "insert follow-up")) < 0)
        return rc;
    *followup = sqlite3_last_insert_rowid(c->db);
    snprintf(idtxt, sizeof idtxt, "%" PRId64, *followup);
    snprintf(note, sizeof note, "不满意回访，需挽回跟进，%s 前完成（%s）",
             clock_format(now + conf.followup_ms, ts), reason);
    return capa_event(c, feedback_id, now, actor, "followup", "followup", NULL, idtxt, note, err);
}

static int store_answers(struct conn *c, int64_t survey_id, const struct capa_answers *a,
                         int64_t now, struct kerr *err)
{
    sqlite3_stmt *st = capa_prepare(c,
                                    "UPDATE surveys SET answered_at=?,csat=?,nps=?,handling=?,"
                                    "comment=?,answers=? WHERE id=?",
                                    err);
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, now);
    capa_bind_int(st, 2, a->csat);
    capa_bind_int(st, 3, a->nps);
    capa_bind_int(st, 4, a->handling);
    capa_bind_text(st, 5, a->comment);
    capa_bind_text(st, 6, a->json);
    sqlite3_bind_int64(st, 7, survey_id);
    return capa_exec_stmt(c, st, err, "store answers");
}

static void answer_note(const struct capa_answers *a, char *out, size_t n)
{
    char p[3][24];
    const int64_t v[3] = {a->csat, a->nps, a->handling};
    for (int i = 0; i < 3; i++) {
        if (v[i] == CAPA_ABSENT)
            snprintf(p[i], sizeof p[i], "-");
        else
            snprintf(p[i], sizeof p[i], "%" PRId64, v[i]);
    }
    snprintf(out, n, "CSAT %s, NPS %s, handling %s", p[0], p[1], p[2]);
}

int survey_answer(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                  struct kerr *err)
{
    sqlite3_stmt *st = capa_prepare(
        c, "SELECT id,feedback_id,expires_at,answered_at FROM surveys WHERE token_hash=?", err);
    int64_t id, fid, expires, answered;
    char note[128], idtxt[24];
    int rc;

    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, op->token_hash);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc == SQLITE_DONE)
            return kerr_set(err, KERR_NOTFOUND, "not_found", "token", "no such survey link");
        return db_error(c->db, err, "find survey");
    }
    id = sqlite3_column_int64(st, 0);
    fid = sqlite3_column_int64(st, 1);
    expires = sqlite3_column_type(st, 2) == SQLITE_NULL ? INT64_MAX : sqlite3_column_int64(st, 2);
    answered = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);
    if (answered)
        return kerr_set(err, KERR_CONFLICT, "survey_answered", "token",
                        "this survey has already been answered");
    if (now >= expires)
        return kerr_set(err, KERR_CONFLICT, "survey_expired", "token", "this survey link expired");
    if ((rc = store_answers(c, id, &op->answers, now, err)) < 0)
        return rc;
    case_stats_dirty(c, fid); /* its CSAT counts in the case rollups */
    answer_note(&op->answers, note, sizeof note);
    snprintf(idtxt, sizeof idtxt, "%" PRId64, id);
    rc = capa_event(c, fid, now, actor, "survey", "survey_answer", NULL, idtxt, note, err);
    op->out_id = id;
    if (rc == 0)
        rc = maybe_recover(c, fid, id, &op->answers, actor, now, &op->out_followup, err);
    return rc;
}

int survey_record(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                  struct kerr *err)
{
    sqlite3_stmt *st;
    char note[160], idtxt[24];
    int64_t exists = 0, id;
    int rc;

    if ((rc = capa_query_int(c, "SELECT count(*) FROM feedback WHERE id=?", op->feedback_id, 0,
                             &exists, err)) < 0)
        return rc;
    if (!exists)
        return kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no feedback with id %" PRId64,
                        op->feedback_id);
    st = capa_prepare(c,
                      "INSERT INTO surveys(feedback_id,customer_id,channel,sent_at,entered_by)"
                      " SELECT id,customer_id,'hotline',?,? FROM feedback WHERE id=?",
                      err);
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, now);
    capa_bind_text(st, 2, actor);
    sqlite3_bind_int64(st, 3, op->feedback_id);
    if ((rc = capa_exec_stmt(c, st, err, "insert survey")) < 0)
        return rc;
    id = op->out_id = sqlite3_last_insert_rowid(c->db);
    if ((rc = store_answers(c, id, &op->answers, now, err)) < 0)
        return rc;
    case_stats_dirty(c, op->feedback_id);
    answer_note(&op->answers, note, sizeof note);
    strncat(note, "（电话回访）", sizeof note - strlen(note) - 1);
    snprintf(idtxt, sizeof idtxt, "%" PRId64, id);
    rc = capa_event(c, op->feedback_id, now, actor, "survey", "survey_answer", NULL, idtxt, note,
                    err);
    if (rc == 0)
        rc =
            maybe_recover(c, op->feedback_id, id, &op->answers, actor, now, &op->out_followup, err);
    return rc;
}

int followup_update(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                    struct kerr *err)
{
    int64_t fid = 0;
    sqlite3_stmt *st;
    int rc;
    if ((rc = capa_query_int(c, "SELECT feedback_id FROM followups WHERE id=?", op->id, 0, &fid,
                             err)) < 0)
        return rc;
    if (!fid)
        return kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no such follow-up");
    st = capa_prepare(c,
                      "UPDATE followups SET status=?1,done_at=CASE WHEN ?1='done' THEN ?2 END"
                      " WHERE id=?3",
                      err);
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, op->status);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, op->id);
    if ((rc = capa_exec_stmt(c, st, err, "update follow-up")) < 0)
        return rc;
    return capa_event(c, fid, now, actor, "followup", "followup_status", NULL, op->status, NULL,
                      err);
}

/* ---- reads ------------------------------------------------------------------------------ */

int store_survey_by_token(struct store *s, const char *token_hash, struct store_survey_link *out,
                          struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    memset(out, 0, sizeof *out);
    st = capa_prepare(
        c, "SELECT id,feedback_id,expires_at,answered_at FROM surveys WHERE token_hash=?", err);
    if (!st) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    capa_bind_text(st, 1, token_hash);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        out->feedback_id = sqlite3_column_int64(st, 1);
        out->expires_at = sqlite3_column_int64(st, 2);
        out->answered_at = sqlite3_column_int64(st, 3);
        snprintf(out->state, sizeof out->state, "%s",
                 out->answered_at                                       ? "answered"
                 : out->expires_at && clock_now_ms() >= out->expires_at ? "expired"
                                                                        : "open");
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE
                 ? kerr_set(err, KERR_NOTFOUND, "not_found", "token", "no such survey link")
                 : db_error(c->db, err, "find survey");
    }
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_survey_questions_json(struct store *s, struct strbuf *out, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    struct jsonw w;
    int rc;
    if (!c)
        return KERR_IO;
    jsonw_init(&w, out);
    rc = capa_rows_json(c,
                        capa_prepare(c,
                                     "SELECT key,kind,min_value AS min,max_value AS max,required,"
                                     "label_zh,label_en,low_zh,high_zh FROM survey_questions"
                                     " WHERE enabled ORDER BY position",
                                     err),
                        &w, err);
    store_reader_put(s, c);
    return rc;
}

int store_surveys_json(struct store *s, int64_t feedback_id, struct strbuf *out, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    struct jsonw w;
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    jsonw_init(&w, out);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    st = capa_prepare(c,
                      "SELECT s.id,s.feedback_id,s.channel,s.sent_at,s.expires_at,s.answered_at,"
                      "s.csat,s.nps,s.handling,s.comment,s.answers,s.entered_by,"
                      "CASE WHEN s.answered_at IS NOT NULL THEN 'answered'"
                      " WHEN s.expires_at IS NOT NULL AND s.expires_at<=?2 THEN 'expired'"
                      " ELSE 'open' END AS state,"
                      "s.outbox_id,o.link"
                      " FROM surveys s LEFT JOIN outbox o ON o.id=s.outbox_id"
                      " WHERE s.feedback_id=?1 ORDER BY s.id",
                      err);
    if (st) {
        sqlite3_bind_int64(st, 1, feedback_id);
        sqlite3_bind_int64(st, 2, clock_now_ms());
    }
    rc = capa_rows_json(c, st, &w, err);
    if (rc == 0) {
        jsonw_key(&w, "followups");
        st = capa_prepare(c,
                          "SELECT id,feedback_id,survey_id,kind,reason,owner,due_at,status,"
                          "created_at,done_at FROM followups WHERE feedback_id=? ORDER BY id",
                          err);
        if (st)
            sqlite3_bind_int64(st, 1, feedback_id);
        rc = capa_rows_json(c, st, &w, err);
    }
    jsonw_end(&w);
    store_reader_put(s, c);
    return rc;
}
