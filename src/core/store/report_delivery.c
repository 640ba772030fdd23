/*
 * report_delivery.c: the SQLite side of report deliveries (store/db.h): one
 * row per report and recipient, queued in the transaction that records the
 * report, claimed by a sender for one attempt at a time, and every attempt
 * kept with its outcome. Small writes on the writer connection under its
 * lock, each its own durable transaction, like the alert deliveries.
 */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

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

static int run(struct conn *c, sqlite3_stmt *st, const char *what, struct kerr *err)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, what);
    sqlite3_finalize(st);
    return rc;
}

int report_deliveries_queue(struct conn *c, int64_t report_id, const struct store_report_to *to,
                            int64_t now, struct kerr *err)
{
    size_t n = to->nemails + to->nreceivers;
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = prep(c,
                                "INSERT INTO report_deliveries(report_id,email,receiver_id,state,"
                                "next_try_at,created_at) VALUES(?,?,?,'pending',?4,?4)",
                                err);
        if (!st)
            return KERR_IO;
        sqlite3_bind_int64(st, 1, report_id);
        if (i < to->nemails)
            sqlite3_bind_text(st, 2, to->emails[i], -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, 3, to->receivers[i - to->nemails]);
        sqlite3_bind_int64(st, 4, now);
        int rc = run(c, st, "queue report delivery", err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int store_report_deliveries(struct store *s, int64_t report_id, int64_t now, int limit,
                            store_report_delivery_cb cb, void *arg, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    st = prep(c,
              report_id ? "SELECT id,report_id,email,coalesce(receiver_id,0),state,last_error,"
                          "attempts,next_try_at,coalesce(sent_at,0),created_at FROM"
                          " report_deliveries WHERE report_id=?1 ORDER BY id LIMIT ?3"
                        : "SELECT id,report_id,email,coalesce(receiver_id,0),state,last_error,"
                          "attempts,next_try_at,coalesce(sent_at,0),created_at FROM"
                          " report_deliveries WHERE state='pending' AND next_try_at<=?2"
                          " ORDER BY next_try_at,id LIMIT ?3",
              err);
    if (!st) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    sqlite3_bind_int64(st, 1, report_id);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, limit > 0 ? limit : -1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_report_delivery d = {
            .id = sqlite3_column_int64(st, 0),
            .report_id = sqlite3_column_int64(st, 1),
            .email = (const char *)sqlite3_column_text(st, 2),
            .receiver_id = sqlite3_column_int64(st, 3),
            .state = (const char *)sqlite3_column_text(st, 4),
            .last_error = (const char *)sqlite3_column_text(st, 5),
            .attempts = sqlite3_column_int(st, 6),
            .next_try_at = sqlite3_column_int64(st, 7),
            .sent_at = sqlite3_column_int64(st, 8),
            .created_at = sqlite3_column_int64(st, 9),
        };
        if (cb(arg, &d))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "list deliveries");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

/* BEGIN on the writer connection under its lock; finish() commits durably or rolls back. */
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
    if (rc >= 0 && (rc = conn_step(s->wconn, ST_COMMIT, err)) == 0)
        rc = wal_sync(s, err);
    else if (rc < 0) {
        conn_step(s->wconn, ST_ROLLBACK, NULL);
        s->audit_loaded = false;
    }
    pthread_mutex_unlock(&s->wlock);
    return rc;
}

int store_report_delivery_claim(struct store *s, int64_t id, int64_t now, int64_t until,
                                struct kerr *err)
{
    sqlite3_stmt *st;
    int rc, changed = 0;
    if ((rc = begin(s, err)) < 0)
        return rc;
    if (!(st = prep(s->wconn,
                    "UPDATE report_deliveries SET next_try_at=?3 WHERE id=?1 AND"
                    " state='pending' AND next_try_at<=?2",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, until);
    if ((rc = run(s->wconn, st, "claim delivery", err)) == 0)
        changed = sqlite3_changes(s->wconn->db);
out:
    rc = finish(s, rc, err);
    return rc < 0 ? rc : changed > 0;
}

int store_report_delivery_done(struct store *s, int64_t id, const char *state, int attempts,
                               const char *error, int64_t at, int64_t ms, int64_t next_try_at,
                               struct kerr *err)
{
    sqlite3_stmt *st;
    int rc;
    if ((rc = begin(s, err)) < 0)
        return rc;
    if (!(st = prep(s->wconn,
                    "INSERT INTO report_delivery_attempts(delivery_id,at,ms,error) VALUES(?,?,?,?)",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_int64(st, 3, ms);
    if (error)
        sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    if ((rc = run(s->wconn, st, "record attempt", err)) < 0)
        goto out;
    if (!(st = prep(s->wconn,
                    "UPDATE report_deliveries SET state=?2,attempts=?3,"
                    "last_error=coalesce(?4,last_error),next_try_at=?5,"
                    "sent_at=CASE WHEN ?2='sent' THEN ?6 END WHERE id=?1 AND state='pending'",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, attempts);
    if (error)
        sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, next_try_at);
    sqlite3_bind_int64(st, 6, at + ms);
    rc = run(s->wconn, st, "update delivery", err);
out:
    return finish(s, rc, err);
}

int store_report_attempts(struct store *s, int64_t report_id, store_report_attempt_cb cb, void *arg,
                          struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (!(st = prep(c,
                    "SELECT a.delivery_id,a.at,a.ms,a.error FROM report_delivery_attempts a"
                    " JOIN report_deliveries d ON d.id=a.delivery_id WHERE d.report_id=?"
                    " ORDER BY a.delivery_id,a.id",
                    err))) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    sqlite3_bind_int64(st, 1, report_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_report_attempt a = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                         sqlite3_column_int64(st, 2),
                                         (const char *)sqlite3_column_text(st, 3)};
        if (cb(arg, &a))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "list attempts");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}
