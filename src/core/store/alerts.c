/*
 * alerts.c: the SQLite side of store/alertdb.h: alert rules and receivers,
 * alert episodes and their deliveries (small writes on the writer
 * connection under its lock, each its own durable transaction, like API
 * keys), and the grouped reads the alert evaluator measures with.
 * Statements here run rarely (an evaluation per minute, an API call), so
 * they are prepared per call rather than cached.
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "store/alertdb.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

static const char *const columns_ok[] = {
    "channel", "category_l1", "category_l2", "category_l3", "product",
    "store",   "region",      "severity",    "sentiment",   "customer_segment",
    "team",    "assignee",    "priority",    "status",      NULL,
};

bool store_alert_column_ok(const char *name)
{
    for (const char *const *c = columns_ok; *c; c++)
        if (name && !strcmp(*c, name))
            return true;
    return false;
}

static sqlite3_stmt *prep(struct conn *c, const char *sql, struct kerr *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_error(c->db, err, "prepare");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* ---- write transactions on the writer connection ---------------------------- */

static int begin(struct store *s, struct kerr *err)
{
    pthread_mutex_lock(&s->wlock);
    int rc = conn_step(s->wconn, ST_BEGIN, err);
    if (rc < 0)
        pthread_mutex_unlock(&s->wlock);
    return rc;
}

static int finish(struct store *s, int rc, struct kerr *err)
{
    if (rc == 0 && (rc = conn_step(s->wconn, ST_COMMIT, err)) == 0)
        rc = wal_sync(s, err);
    else if (rc < 0) {
        conn_step(s->wconn, ST_ROLLBACK, NULL);
        s->audit_loaded = false;
    }
    pthread_mutex_unlock(&s->wlock);
    return rc;
}

/* Runs st to completion; 0 or an error naming what. */
static int run(struct store *s, sqlite3_stmt *st, const char *what, struct kerr *err)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(s->wconn->db, err, what);
    sqlite3_finalize(st);
    return rc;
}

static int audited(struct store *s, const char *actor, const char *action, const char *kind,
                   int64_t id, const char *name, struct kerr *err)
{
    char object[48];
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    snprintf(object, sizeof object, "%s:%lld", kind, (long long)id);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    if (name)
        jsonw_kstr(&w, "name", name);
    jsonw_end(&w);
    struct store_audit a = {0, actor ? actor : "system", "api", action, object, sb.buf};
    int rc = audit_append(s->wconn, &a, err);
    strbuf_release(&sb);
    return rc;
}

/* A severe-complaint rule watches what arrives after it: its cursors start at the newest
 * record and timeline event (kept when they exist). */
static int severe_cursors(struct store *s, int64_t rule_id, struct kerr *err)
{
    static const char *const which[2][2] = {{"feedback", "feedback"}, {"event", "feedback_events"}};
    for (int i = 0; i < 2; i++) {
        char sqltext[256];
        sqlite3_stmt *st;
        snprintf(sqltext, sizeof sqltext,
                 "INSERT OR IGNORE INTO alert_state(k,v) VALUES('severe:%lld:%s',"
                 "(SELECT coalesce(max(id),0) FROM %s))",
                 (long long)rule_id, which[i][0], which[i][1]);
        if (!(st = prep(s->wconn, sqltext, err)))
            return KERR_IO;
        int rc = run(s, st, "severe cursor", err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Resolves the episodes of a rule that is deleted or disabled (nothing is sent). */
static int resolve_rule_alerts(struct store *s, int64_t rule_id, int64_t now, struct kerr *err)
{
    sqlite3_stmt *st = prep(s->wconn,
                            "UPDATE alerts SET state='resolved',resolved_at=?1,updated_at=?1"
                            " WHERE rule_id=?2 AND state<>'resolved'",
                            err);
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, rule_id);
    return run(s, st, "resolve alerts of a rule", err);
}

/* ---- rules --------------------------------------------------------------------- */

int store_alert_rule_save(struct store *s, struct store_alert_rule *r, const char *actor,
                          struct kerr *err)
{
    int64_t now = clock_now_ms();
    sqlite3_stmt *st;
    int rc;
    if ((rc = begin(s, err)) < 0)
        return rc;
    st = prep(s->wconn,
              r->id ? "UPDATE alert_rules SET name=?1,kind=?2,dimensions=?3,filter=?4,params=?5,"
                      "receivers=?6,enabled=?7,updated_at=?8 WHERE id=?9"
                    : "INSERT INTO alert_rules(name,kind,dimensions,filter,params,receivers,"
                      "enabled,created_at,updated_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?8)",
              err);
    if (!st) {
        rc = KERR_IO;
        goto out;
    }
    bind_text(st, 1, r->name);
    bind_text(st, 2, r->kind);
    bind_text(st, 3, r->dimensions);
    bind_text(st, 4, r->filter);
    bind_text(st, 5, r->params);
    bind_text(st, 6, r->receivers);
    sqlite3_bind_int(st, 7, r->enabled);
    sqlite3_bind_int64(st, 8, now);
    if (r->id)
        sqlite3_bind_int64(st, 9, r->id);
    if ((rc = run(s, st, "save alert rule", err)) < 0)
        goto out;
    if (r->id && sqlite3_changes(s->wconn->db) == 0) {
        rc =
            kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no alert rule %lld", (long long)r->id);
        goto out;
    }
    if (!r->id) {
        r->id = sqlite3_last_insert_rowid(s->wconn->db);
        r->created_at = now;
    }
    r->updated_at = now;
    if (!strcmp(r->kind, "severe") && (rc = severe_cursors(s, r->id, err)) < 0)
        goto out;
    if (!r->enabled && (rc = resolve_rule_alerts(s, r->id, now, err)) < 0)
        goto out;
    rc = audited(s, actor, r->created_at == now ? "alert_rule.create" : "alert_rule.update",
                 "alert_rule", r->id, r->name, err);
out:
    return finish(s, rc, err);
}

int store_alert_rule_delete(struct store *s, int64_t id, const char *actor, struct kerr *err)
{
    int64_t now = clock_now_ms();
    sqlite3_stmt *st;
    int rc;
    if ((rc = begin(s, err)) < 0)
        return rc;
    if (!(st = prep(s->wconn, "DELETE FROM alert_rules WHERE id=?", err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if ((rc = run(s, st, "delete alert rule", err)) < 0)
        goto out;
    if (sqlite3_changes(s->wconn->db) == 0) {
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no alert rule %lld", (long long)id);
        goto out;
    }
    if ((rc = resolve_rule_alerts(s, id, now, err)) < 0)
        goto out;
    rc = audited(s, actor, "alert_rule.delete", "alert_rule", id, NULL, err);
out:
    return finish(s, rc, err);
}

int store_alert_rules(struct store *s, int64_t id, store_alert_rule_cb cb, void *arg,
                      struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc = 0, found = 0;
    if (!c)
        return KERR_IO;
    st = prep(c,
              "SELECT id,name,kind,dimensions,filter,params,receivers,enabled,created_at,"
              "updated_at FROM alert_rules WHERE ?1=0 OR id=?1 ORDER BY id",
              err);
    if (!st) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_alert_rule r = {
            sqlite3_column_int64(st, 0),
            col_text(st, 1),
            col_text(st, 2),
            col_text(st, 3),
            col_text(st, 4),
            col_text(st, 5),
            col_text(st, 6),
            sqlite3_column_int(st, 7) != 0,
            sqlite3_column_int64(st, 8),
            sqlite3_column_int64(st, 9),
        };
        found++;
        if (cb(arg, &r))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "list alert rules");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    if (rc == 0 && id && !found)
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no alert rule %lld", (long long)id);
    return rc;
}

/* ---- receivers ------------------------------------------------------------------ */

int store_alert_receiver_save(struct store *s, struct store_alert_receiver *r, const char *actor,
                              struct kerr *err)
{
    int64_t now = clock_now_ms();
    sqlite3_stmt *st;
    int rc;
    if ((rc = begin(s, err)) < 0)
        return rc;
    st = prep(s->wconn,
              r->id ? "UPDATE alert_receivers SET name=?1,kind=?2,url=?3,secret=?4,config=?5,"
                      "enabled=?6,updated_at=?7 WHERE id=?8"
                    : "INSERT INTO alert_receivers(name,kind,url,secret,config,enabled,"
                      "created_at,updated_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?7)",
              err);
    if (!st) {
        rc = KERR_IO;
        goto out;
    }
    bind_text(st, 1, r->name);
    bind_text(st, 2, r->kind);
    bind_text(st, 3, r->url);
    bind_text(st, 4, r->secret);
    bind_text(st, 5, r->config ? r->config : "{}");
    sqlite3_bind_int(st, 6, r->enabled);
    sqlite3_bind_int64(st, 7, now);
    if (r->id)
        sqlite3_bind_int64(st, 8, r->id);
    if ((rc = run(s, st, "save alert receiver", err)) < 0)
        goto out;
    if (r->id && sqlite3_changes(s->wconn->db) == 0) {
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no alert receiver %lld",
                      (long long)r->id);
        goto out;
    }
    if (!r->id) {
        r->id = sqlite3_last_insert_rowid(s->wconn->db);
        r->created_at = now;
    }
    r->updated_at = now;
    rc = audited(s, actor, r->created_at == now ? "alert_receiver.create" : "alert_receiver.update",
                 "alert_receiver", r->id, r->name, err);
out:
    return finish(s, rc, err);
}

int store_alert_receiver_delete(struct store *s, int64_t id, const char *actor, struct kerr *err)
{
    sqlite3_stmt *st;
    int rc;
    if ((rc = begin(s, err)) < 0)
        return rc;
    if (!(st = prep(s->wconn, "DELETE FROM alert_receivers WHERE id=?", err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if ((rc = run(s, st, "delete alert receiver", err)) < 0)
        goto out;
    if (sqlite3_changes(s->wconn->db) == 0) {
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no alert receiver %lld",
                      (long long)id);
        goto out;
    }
    /* nothing more to send to it */
    if (!(st = prep(s->wconn,
                    "UPDATE alert_deliveries SET state='failed',last_error='receiver deleted'"
                    " WHERE receiver_id=? AND state='pending'",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if ((rc = run(s, st, "cancel deliveries", err)) < 0)
        goto out;
    rc = audited(s, actor, "alert_receiver.delete", "alert_receiver", id, NULL, err);
out:
    return finish(s, rc, err);
}

int store_alert_receivers(struct store *s, int64_t id, store_alert_receiver_cb cb, void *arg,
                          struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc = 0, found = 0;
    if (!c)
        return KERR_IO;
    st = prep(c,
              "SELECT id,name,kind,url,secret,config,enabled,created_at,updated_at"
              " FROM alert_receivers WHERE ?1=0 OR id=?1 ORDER BY id",
              err);
    if (!st) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_alert_receiver r = {
            sqlite3_column_int64(st, 0),
            col_text(st, 1),
            col_text(st, 2),
            col_text(st, 3),
            col_text(st, 4),
            col_text(st, 5),
            sqlite3_column_int(st, 6) != 0,
            sqlite3_column_int64(st, 7),
            sqlite3_column_int64(st, 8),
        };
        found++;
        if (cb(arg, &r))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "list receivers");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    if (rc == 0 && id && !found)
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no alert receiver %lld",
                      (long long)id);
    return rc;
}

/* ---- episodes -------------------------------------------------------------------- */

static int queue_deliveries(struct store *s, int64_t alert_id, const char *event,
                            const int64_t *receivers, size_t n, int64_t now, struct kerr *err)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = prep(s->wconn,
                                "INSERT INTO alert_deliveries(alert_id,receiver_id,event,state,"
                                "next_try_at,created_at) VALUES(?,?,?,'pending',?,?)",
                                err);
        if (!st)
            return KERR_IO;
        sqlite3_bind_int64(st, 1, alert_id);
        sqlite3_bind_int64(st, 2, receivers[i]);
        sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, now);
        int rc = run(s, st, "queue delivery", err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int store_alert_raise(struct store *s, const struct store_alert *a, const int64_t *receivers,
                      size_t nrecv, int64_t now, int64_t *id, bool *opened, struct kerr *err)
{
    sqlite3_stmt *st;
    int rc;
    *opened = false;
    if ((rc = begin(s, err)) < 0)
        return rc;
    if (!(st = prep(s->wconn,
                    "SELECT id FROM alerts WHERE rule_id=? AND series=? AND state<>'resolved'",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, a->rule_id);
    sqlite3_bind_text(st, 2, a->series, -1, SQLITE_STATIC);
    *id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (*id) {
        st = prep(s->wconn,
                  "UPDATE alerts SET value=?,baseline=?,threshold=?,detail=?,feedback_ids=?,"
                  "title=?,updated_at=?7,fired_at=?7 WHERE id=?8",
                  err);
        if (!st) {
            rc = KERR_IO;
            goto out;
        }
        sqlite3_bind_double(st, 1, a->value);
        sqlite3_bind_double(st, 2, a->baseline);
        sqlite3_bind_double(st, 3, a->threshold);
        bind_text(st, 4, a->detail ? a->detail : "{}");
        bind_text(st, 5, a->feedback_ids ? a->feedback_ids : "[]");
        bind_text(st, 6, a->title);
        sqlite3_bind_int64(st, 7, now);
        sqlite3_bind_int64(st, 8, *id);
        rc = run(s, st, "update alert", err);
        goto out;
    }
    st = prep(s->wconn,
              "INSERT INTO alerts(rule_id,series,state,title,value,baseline,threshold,detail,"
              "feedback_ids,opened_at,updated_at,fired_at) VALUES(?,?,'open',?,?,?,?,?,?,?9,?9,?9)",
              err);
    if (!st) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, a->rule_id);
    bind_text(st, 2, a->series);
    bind_text(st, 3, a->title);
    sqlite3_bind_double(st, 4, a->value);
    sqlite3_bind_double(st, 5, a->baseline);
    sqlite3_bind_double(st, 6, a->threshold);
    bind_text(st, 7, a->detail ? a->detail : "{}");
    bind_text(st, 8, a->feedback_ids ? a->feedback_ids : "[]");
    sqlite3_bind_int64(st, 9, now);
    if ((rc = run(s, st, "insert alert", err)) < 0)
        goto out;
    *id = sqlite3_last_insert_rowid(s->wconn->db);
    *opened = true;
    rc = queue_deliveries(s, *id, "opened", receivers, nrecv, now, err);
out:
    return finish(s, rc, err);
}

int store_alert_resolve(struct store *s, int64_t id, const int64_t *receivers, size_t nrecv,
                        int64_t now, struct kerr *err)
{
    sqlite3_stmt *st;
    int rc;
    if ((rc = begin(s, err)) < 0)
        return rc;
    if (!(st = prep(s->wconn,
                    "UPDATE alerts SET state='resolved',resolved_at=?1,updated_at=?1"
                    " WHERE id=?2 AND state<>'resolved'",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, id);
    if ((rc = run(s, st, "resolve alert", err)) < 0)
        goto out;
    if (sqlite3_changes(s->wconn->db) > 0)
        rc = queue_deliveries(s, id, "resolved", receivers, nrecv, now, err);
out:
    return finish(s, rc, err);
}

int store_alert_ack(struct store *s, int64_t id, const char *actor, int64_t now, struct kerr *err)
{
    sqlite3_stmt *st;
    int rc;
    if ((rc = begin(s, err)) < 0)
        return rc;
    if (!(st = prep(s->wconn, "SELECT state FROM alerts WHERE id=?", err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW)
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no alert %lld", (long long)id);
    else if (!strcmp(col_text(st, 0), "resolved"))
        rc = kerr_set(err, KERR_CONFLICT, "conflict", "state", "alert %lld is resolved already",
                      (long long)id);
    sqlite3_finalize(st);
    if (rc < 0)
        goto out;
    if (!(st = prep(s->wconn,
                    "UPDATE alerts SET state='acknowledged',acknowledged_at=?1,acknowledged_by=?2,"
                    "updated_at=?1 WHERE id=?3 AND state='open'",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, now);
    bind_text(st, 2, actor);
    sqlite3_bind_int64(st, 3, id);
    if ((rc = run(s, st, "acknowledge alert", err)) < 0)
        goto out;
    if (sqlite3_changes(s->wconn->db) > 0)
        rc = audited(s, actor, "alert.ack", "alert", id, NULL, err);
out:
    return finish(s, rc, err);
}

int store_alerts(struct store *s, const struct store_alert_query *q, store_alert_cb cb, void *arg,
                 struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc, found = 0;
    if (!c)
        return KERR_IO;
    st = prep(c,
              "SELECT id,rule_id,series,state,title,detail,feedback_ids,value,baseline,threshold,"
              "opened_at,updated_at,coalesce(acknowledged_at,0),coalesce(resolved_at,0),"
              "acknowledged_by,fired_at FROM alerts WHERE (?1=0 OR id=?1) AND (?2=0 OR rule_id=?2)"
              " AND (?3 IS NULL OR state=?3 OR (?3='active' AND state<>'resolved'))"
              " AND (?4=0 OR id<?4) ORDER BY id DESC LIMIT ?5",
              err);
    if (!st) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    sqlite3_bind_int64(st, 1, q->id);
    sqlite3_bind_int64(st, 2, q->rule_id);
    bind_text(st, 3, q->state);
    sqlite3_bind_int64(st, 4, q->before);
    sqlite3_bind_int64(st, 5, q->limit > 0 ? q->limit : -1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_alert a = {
            .id = sqlite3_column_int64(st, 0),
            .rule_id = sqlite3_column_int64(st, 1),
            .series = col_text(st, 2),
            .state = col_text(st, 3),
            .title = col_text(st, 4),
            .detail = col_text(st, 5),
            .feedback_ids = col_text(st, 6),
            .value = sqlite3_column_double(st, 7),
            .baseline = sqlite3_column_double(st, 8),
            .threshold = sqlite3_column_double(st, 9),
            .opened_at = sqlite3_column_int64(st, 10),
            .updated_at = sqlite3_column_int64(st, 11),
            .acknowledged_at = sqlite3_column_int64(st, 12),
            .resolved_at = sqlite3_column_int64(st, 13),
            .acknowledged_by = col_text(st, 14),
            .fired_at = sqlite3_column_int64(st, 15),
        };
        found++;
        if (cb(arg, &a))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "list alerts");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    if (rc == 0 && q->id && !found)
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no alert %lld", (long long)q->id);
    return rc;
}

int store_alert_deliveries(struct store *s, int64_t alert_id, int64_t now, int limit,
                           store_alert_delivery_cb cb, void *arg, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    st = prep(c,
              alert_id ? "SELECT id,alert_id,receiver_id,event,state,last_error,attempts,"
                         "next_try_at,coalesce(sent_at,0),created_at FROM alert_deliveries"
                         " WHERE alert_id=?1 ORDER BY id LIMIT ?3"
                       : "SELECT id,alert_id,receiver_id,event,state,last_error,attempts,"
                         "next_try_at,coalesce(sent_at,0),created_at FROM alert_deliveries"
                         " WHERE state='pending' AND next_try_at<=?2 ORDER BY next_try_at,id"
                         " LIMIT ?3",
              err);
    if (!st) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    sqlite3_bind_int64(st, 1, alert_id);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_alert_delivery d = {
            sqlite3_column_int64(st, 0),
            sqlite3_column_int64(st, 1),
            sqlite3_column_int64(st, 2),
            col_text(st, 3),
            col_text(st, 4),
            col_text(st, 5),
            sqlite3_column_int(st, 6),
            sqlite3_column_int64(st, 7),
            sqlite3_column_int64(st, 8),
            sqlite3_column_int64(st, 9),
        };
        if (cb(arg, &d))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "list deliveries");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_alert_delivery_update(struct store *s, int64_t id, const char *state, int attempts,
                                const char *error, int64_t next_try_at, int64_t sent_at,
                                struct kerr *err)
{
    sqlite3_stmt *st;
    int rc;
    if ((rc = begin(s, err)) < 0)
        return rc;
    if (!(st = prep(
              s->wconn,
              "UPDATE alert_deliveries SET state=?,attempts=?,last_error=coalesce(?,last_error),"
              "next_try_at=?,"
              "sent_at=nullif(?,0) WHERE id=? AND state='pending'",
              err))) {
        rc = KERR_IO;
        goto out;
    }
    bind_text(st, 1, state);
    sqlite3_bind_int(st, 2, attempts);
    bind_text(st, 3, error);
    sqlite3_bind_int64(st, 4, next_try_at);
    sqlite3_bind_int64(st, 5, sent_at);
    sqlite3_bind_int64(st, 6, id);
    rc = run(s, st, "update delivery", err);
out:
    return finish(s, rc, err);
}

int store_alert_counts(struct store *s, store_alert_count_cb cb, void *arg)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st;
    int rc = KERR_IO;
    if (!c)
        return KERR_IO;
    if ((st = prep(c,
                   "SELECT 'alerts',state,count(*) FROM alerts WHERE state<>'resolved' GROUP BY"
                   " state UNION ALL SELECT 'deliveries',state,count(*) FROM alert_deliveries"
                   " WHERE state<>'sent' GROUP BY state",
                   NULL))) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            if (cb(arg, col_text(st, 0), col_text(st, 1), sqlite3_column_int64(st, 2)))
                break;
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : KERR_IO;
        sqlite3_finalize(st);
    }
    store_reader_put(s, c);
    return rc;
}

int store_alert_cursor(struct store *s, const char *k, int64_t *v)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st;
    int rc = KERR_IO;
    if (!c)
        return KERR_IO;
    if ((st = prep(c, "SELECT v FROM alert_state WHERE k=?", NULL))) {
        sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *v = sqlite3_column_int64(st, 0);
            rc = 0;
        } else {
            rc = rc == SQLITE_DONE ? KERR_NOTFOUND : KERR_IO;
        }
        sqlite3_finalize(st);
    }
    store_reader_put(s, c);
    return rc;
}

int store_alert_cursor_set(struct store *s, const char *k, int64_t v, struct kerr *err)
{
    sqlite3_stmt *st;
    int rc;
    if ((rc = begin(s, err)) < 0)
        return rc;
    if (!(st = prep(s->wconn,
                    "INSERT INTO alert_state(k,v) VALUES(?,?) ON CONFLICT(k) DO UPDATE SET"
                    " v=excluded.v",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    rc = run(s, st, "set cursor", err);
out:
    return finish(s, rc, err);
}

/* ---- measurements ------------------------------------------------------------------ */

static int check_scope(const struct store_alert_scope *sc, struct kerr *err)
{
    if (sc->ndims > STORE_ALERT_DIMS || sc->nfilter > STORE_ALERT_FILTERS)
        return kerr_set(err, KERR_INVALID, "invalid_field", "dimensions", "too many columns");
    for (size_t i = 0; i < sc->ndims; i++)
        if (!store_alert_column_ok(sc->dims[i]))
            return kerr_set(err, KERR_INVALID, "invalid_field", "dimensions",
                            "%s is not a column alerts can group by", sc->dims[i]);
    for (size_t i = 0; i < sc->nfilter; i++)
        if (!store_alert_column_ok(sc->fcol[i]))
            return kerr_set(err, KERR_INVALID, "invalid_field", "filter",
                            "%s is not a column alerts can filter by", sc->fcol[i]);
    return 0;
}

/* " AND f.col=?N" for each filter, parameters from first on */
static void add_filters(struct strbuf *sql, const struct store_alert_scope *sc, int first)
{
    for (size_t i = 0; i < sc->nfilter; i++)
        strbuf_addf(sql, " AND f.%s=?%d", sc->fcol[i], first + (int)i);
}

int store_alert_group(struct store *s, enum store_alert_metric m,
                      const struct store_alert_scope *sc, int64_t from, int64_t to, int64_t day0,
                      store_alert_group_cb cb, void *arg, struct kerr *err)
{
    struct strbuf sql = STRBUF_INIT;
    const char *tcol = m == STORE_METRIC_CSAT ? "v.answered_at" : "f.received_at";
    const char *vals[STORE_ALERT_DIMS];
    struct conn *c;
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = check_scope(sc, err)) < 0)
        return rc;
    strbuf_addstr(&sql, "SELECT ");
    for (size_t i = 0; i < sc->ndims; i++)
        strbuf_addf(&sql, "f.%s,", sc->dims[i]);
    if (day0 >= 0)
        strbuf_addf(&sql, "(%s-?3)/86400000 AS d,", tcol);
    else
        strbuf_addstr(&sql, "-1,");
    switch (m) {
    case STORE_METRIC_COUNT:
        strbuf_addstr(&sql, "count(*),0 FROM feedback f WHERE f.duplicate_of IS NULL");
        break;
    case STORE_METRIC_NEGATIVE:
        strbuf_addstr(&sql, "sum(f.sentiment='negative'),count(f.sentiment) FROM feedback f"
                            " WHERE f.duplicate_of IS NULL");
        break;
    case STORE_METRIC_CSAT:
        strbuf_addstr(&sql, "sum(v.csat>=4),count(*) FROM surveys v JOIN feedback f ON"
                            " f.id=v.feedback_id WHERE v.csat IS NOT NULL");
        break;
    case STORE_METRIC_SLA:
        strbuf_addstr(&sql, "sum(c.breached=0),count(*) FROM case_sla c JOIN feedback f ON"
                            " f.id=c.feedback_id WHERE (c.breached<>0 OR f.resolved_at IS NOT"
                            " NULL OR f.closed_at IS NOT NULL)");
        break;
    }
    strbuf_addf(&sql, " AND %s>=?1 AND %s<?2", tcol, tcol);
    add_filters(&sql, sc, 4);
    if (sc->ndims || day0 >= 0) {
        strbuf_addstr(&sql, " GROUP BY ");
        for (size_t i = 0; i < sc->ndims; i++)
            strbuf_addf(&sql, "%s%zu", i ? "," : "", i + 1);
        if (day0 >= 0)
            strbuf_addf(&sql, "%s%zu", sc->ndims ? "," : "", sc->ndims + 1);
    }
    if (!(c = store_reader(s, err))) {
        strbuf_release(&sql);
        return KERR_IO;
    }
    if (!(st = prep(c, sql.buf, err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    sqlite3_bind_int64(st, 3, day0 >= 0 ? day0 : 0);
    for (size_t i = 0; i < sc->nfilter; i++)
        sqlite3_bind_text(st, 4 + (int)i, sc->fval[i], -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int k = (int)sc->ndims;
        for (int i = 0; i < k; i++)
            vals[i] = col_text(st, i);
        if (sqlite3_column_type(st, k + 1) == SQLITE_NULL)
            continue; /* an aggregate over no rows */
        if (cb(arg, vals, sqlite3_column_int64(st, k), sqlite3_column_double(st, k + 1),
               sqlite3_column_double(st, k + 2)))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "alert metric");
out:
    sqlite3_finalize(st);
    store_reader_put(s, c);
    strbuf_release(&sql);
    return rc;
}

int store_alert_feedback_ids(struct store *s, const struct store_alert_scope *sc,
                             const char *const *vals, int64_t from, int64_t to, size_t max,
                             int64_t *ids, size_t *n, struct kerr *err)
{
    struct strbuf sql = STRBUF_INIT;
    struct conn *c;
    sqlite3_stmt *st = NULL;
    int rc;
    *n = 0;
    if ((rc = check_scope(sc, err)) < 0)
        return rc;
    strbuf_addstr(&sql, "SELECT f.id FROM feedback f WHERE f.duplicate_of IS NULL"
                        " AND f.received_at>=?1 AND f.received_at<?2");
    add_filters(&sql, sc, 4);
    for (size_t i = 0; i < sc->ndims; i++)
        strbuf_addf(&sql, " AND f.%s IS ?%zu", sc->dims[i], 4 + sc->nfilter + i);
    strbuf_addstr(&sql, " ORDER BY f.received_at DESC,f.id DESC LIMIT ?3");
    if (!(c = store_reader(s, err))) {
        strbuf_release(&sql);
        return KERR_IO;
    }
    if (!(st = prep(c, sql.buf, err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    sqlite3_bind_int64(st, 3, (int64_t)max);
    for (size_t i = 0; i < sc->nfilter; i++)
        sqlite3_bind_text(st, 4 + (int)i, sc->fval[i], -1, SQLITE_STATIC);
    for (size_t i = 0; i < sc->ndims; i++)
        bind_text(st, 4 + (int)(sc->nfilter + i), vals[i]);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && *n < max)
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "alert records");
out:
    sqlite3_finalize(st);
    store_reader_put(s, c);
    strbuf_release(&sql);
    return rc;
}

static void add_in(struct strbuf *sql, size_t n, int first)
{
    strbuf_addstr(sql, " IN (");
    for (size_t i = 0; i < n; i++)
        strbuf_addf(sql, "%s?%d", i ? "," : "", first + (int)i);
    strbuf_addch(sql, ')');
}

int store_alert_severe(struct store *s, const struct store_alert_scope *sc, const char *const *sevs,
                       size_t nsev, int64_t *after_id, int64_t *after_event,
                       store_alert_severe_cb cb, void *arg, struct kerr *err)
{
    /* column 1 is the cursor (record id, then timeline event id); the extra row with cursor 0
     * brings the newest id, where the cursor goes when every row was taken */
    static const char *const heads[2] = {
        "SELECT f.id,f.id,f.severity,(SELECT coalesce(max(id),0) FROM feedback) FROM feedback f"
        " WHERE f.id>?1 AND f.severity",
        "SELECT e.id,e.feedback_id,e.after,(SELECT coalesce(max(id),0) FROM feedback_events)"
        " FROM feedback_events e JOIN feedback f ON f.id=e.feedback_id"
        " WHERE e.id>?1 AND e.field='severity' AND e.after",
    };
    static const char *const tails[2] = {
        " UNION ALL SELECT 0,0,NULL,(SELECT coalesce(max(id),0) FROM feedback) ORDER BY 1",
        " UNION ALL SELECT 0,0,NULL,(SELECT coalesce(max(id),0) FROM feedback_events) ORDER BY 1",
    };
    struct strbuf sql = STRBUF_INIT;
    struct conn *c;
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = check_scope(sc, err)) < 0)
        return rc;
    if (nsev == 0 || nsev > 8)
        return kerr_set(err, KERR_INVALID, "invalid_field", "params.severities",
                        "name one to eight severities");
    if (!(c = store_reader(s, err)))
        return KERR_IO;
    for (int pass = 0; pass < 2; pass++) {
        int64_t *cursor = pass ? after_event : after_id, top = *cursor, last = *cursor;
        strbuf_reset(&sql);
        strbuf_addstr(&sql, heads[pass]);
        add_in(&sql, nsev, 2);
        add_filters(&sql, sc, 2 + (int)nsev);
        strbuf_addstr(&sql, tails[pass]);
        if (!(st = prep(c, sql.buf, err))) {
            rc = KERR_IO;
            goto out;
        }
        sqlite3_bind_int64(st, 1, *cursor);
        for (size_t i = 0; i < nsev; i++)
            sqlite3_bind_text(st, 2 + (int)i, sevs[i], -1, SQLITE_STATIC);
        for (size_t i = 0; i < sc->nfilter; i++)
            sqlite3_bind_text(st, 2 + (int)(nsev + i), sc->fval[i], -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t at = sqlite3_column_int64(st, 0), id = sqlite3_column_int64(st, 1);
            if (!at) {
                top = sqlite3_column_int64(st, 3) > top ? sqlite3_column_int64(st, 3) : top;
                continue;
            }
            if (cb(arg, id, col_text(st, 2))) {
                /* not taken (the caller is full): go on from here next time */
                top = last;
                break;
            }
            last = at;
        }
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "severe scan");
        sqlite3_finalize(st);
        st = NULL;
        if (rc < 0)
            goto out;
        *cursor = top;
    }
out:
    sqlite3_finalize(st);
    store_reader_put(s, c);
    strbuf_release(&sql);
    return rc;
}
