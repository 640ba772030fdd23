/* apikey.c: the api_keys table. Keys are stored as hashes only. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

/* The audit entry of a key change, in the open transaction. */
static int audited(struct store *s, const char *action, int64_t id, const char *name,
                   struct kerr *err)
{
    char object[40], detail[160];
    struct store_audit a = {0, "operator", "cli", action, object, NULL};
    struct strbuf sb = STRBUF_INIT;
    snprintf(object, sizeof object, "apikey:%lld", (long long)id);
    if (name) {
        strbuf_addstr(&sb, "{\"name\":");
        json_escape(&sb, name, strlen(name));
        strbuf_addch(&sb, '}');
        snprintf(detail, sizeof detail, "%s", sb.buf);
        a.detail = detail;
    }
    strbuf_release(&sb);
    return audit_append(s->wconn, &a, err);
}

/* Commits (and syncs) or rolls back the key change's transaction. */
static int finish(struct store *s, int rc, struct kerr *err)
{
    if (rc == 0 && (rc = conn_step(s->wconn, ST_COMMIT, err)) == 0)
        return wal_sync(s, err);
    conn_step(s->wconn, ST_ROLLBACK, NULL);
    s->audit_loaded = false;
    return rc;
}

int store_apikey_insert(struct store *s, const char *name, const char *prefix,
                        const unsigned char hash[STORE_KEYHASH_LEN], const char *scopes,
                        int64_t expires_at, int64_t *id, struct kerr *err)
{
    sqlite3_stmt *st;
    int rc = 0;
    pthread_mutex_lock(&s->wlock);
    if ((rc = conn_step(s->wconn, ST_BEGIN, err)) < 0)
        goto out;
    if (!(st = conn_stmt(s->wconn, ST_APIKEY_INSERT))) {
        rc = db_error(s->wconn->db, err, "prepare key insert");
        goto out;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, hash, STORE_KEYHASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, clock_now_ms());
    sqlite3_bind_text(st, 5, scopes ? scopes : "*", -1, SQLITE_STATIC);
    if (expires_at > 0)
        sqlite3_bind_int64(st, 6, expires_at);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_error(s->wconn->db, err, "insert key");
    else
        *id = sqlite3_last_insert_rowid(s->wconn->db);
    sqlite3_reset(st);
    if (rc == 0)
        rc = audited(s, "apikey.create", *id, name, err);
out:
    rc = finish(s, rc, err);
    pthread_mutex_unlock(&s->wlock);
    return rc;
}

int store_apikey_find(struct store *s, const unsigned char hash[STORE_KEYHASH_LEN],
                      struct store_apikey_found *out)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st;
    int rc = KERR_IO;
    if (!c)
        return KERR_IO;
    if ((st = conn_stmt(c, ST_APIKEY_FIND))) {
        sqlite3_bind_blob(st, 1, hash, STORE_KEYHASH_LEN, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->id = sqlite3_column_int64(st, 0);
            snprintf(out->name, sizeof out->name, "%s", (const char *)sqlite3_column_text(st, 1));
            snprintf(out->scopes, sizeof out->scopes, "%s",
                     (const char *)sqlite3_column_text(st, 2));
            out->expires_at = sqlite3_column_int64(st, 3);
            rc = 0;
        } else {
            rc = rc == SQLITE_DONE ? KERR_NOTFOUND : KERR_IO;
        }
        sqlite3_reset(st);
    }
    store_reader_put(s, c);
    return rc;
}

int store_apikey_list(struct store *s, store_apikey_cb cb, void *arg)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st;
    int rc = KERR_IO;
    if (!c)
        return KERR_IO;
    if ((st = conn_stmt(c, ST_APIKEY_LIST))) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            struct store_apikey k = {sqlite3_column_int64(st, 0),
                                     (const char *)sqlite3_column_text(st, 1),
                                     (const char *)sqlite3_column_text(st, 2),
                                     sqlite3_column_int64(st, 3),
                                     sqlite3_column_int64(st, 4),
                                     (const char *)sqlite3_column_text(st, 5),
                                     sqlite3_column_int64(st, 6)};
            if (cb(arg, &k))
                break;
        }
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : KERR_IO;
        sqlite3_reset(st);
    }
    store_reader_put(s, c);
    return rc;
}

int store_apikey_revoke(struct store *s, int64_t id, struct kerr *err)
{
    sqlite3_stmt *st;
    int rc = 0;
    pthread_mutex_lock(&s->wlock);
    if ((rc = conn_step(s->wconn, ST_BEGIN, err)) < 0)
        goto out;
    if (!(st = conn_stmt(s->wconn, ST_APIKEY_REVOKE))) {
        rc = db_error(s->wconn->db, err, "prepare revoke");
        goto out;
    }
    sqlite3_bind_int64(st, 1, clock_now_ms());
    sqlite3_bind_int64(st, 2, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_error(s->wconn->db, err, "revoke key");
    else if (sqlite3_changes(s->wconn->db) == 0)
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no active API key with id %lld",
                      (long long)id);
    sqlite3_reset(st);
    if (rc == 0)
        rc = audited(s, "apikey.revoke", id, NULL, err);
out:
    rc = finish(s, rc, err);
    pthread_mutex_unlock(&s->wlock);
    return rc;
}
