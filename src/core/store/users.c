/*
 * users.c: users, sessions and custom roles in SQLite. Changes run in their
 * own transaction on the writer connection (under wlock, like API keys),
 * each with its audit entry in the same transaction, and are synced before
 * returning. Reads use the reader pool.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

#define USER_COLS                                                                                  \
    "id,username,display_name,role,coalesce(email,''),coalesce(password_hash,''),disabled,"        \
    "failed_logins,coalesce(locked_until,0),created_at,updated_at"

static void copy_col(char *dst, size_t n, sqlite3_stmt *st, int col)
{
    const char *v = (const char *)sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", v ? v : "");
}

static void user_row(sqlite3_stmt *st, struct store_user *u)
{
    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(st, 0);
    copy_col(u->username, sizeof u->username, st, 1);
    copy_col(u->display_name, sizeof u->display_name, st, 2);
    copy_col(u->role, sizeof u->role, st, 3);
    copy_col(u->email, sizeof u->email, st, 4);
    copy_col(u->password_hash, sizeof u->password_hash, st, 5);
    u->disabled = sqlite3_column_int(st, 6) != 0;
    u->failed_logins = sqlite3_column_int(st, 7);
    u->locked_until = sqlite3_column_int64(st, 8);
    u->created_at = sqlite3_column_int64(st, 9);
    u->updated_at = sqlite3_column_int64(st, 10);
}

/* ---- transactions on the writer connection -------------------------------- */

static int tx_begin(struct store *s, struct kerr *err)
{
    int rc;
    pthread_mutex_lock(&s->wlock);
    if ((rc = conn_step(s->wconn, ST_BEGIN, err)) < 0)
        pthread_mutex_unlock(&s->wlock);
    return rc;
}

static int tx_end(struct store *s, int rc, struct kerr *err)
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

static sqlite3_stmt *prep(struct conn *c, const char *sql, struct kerr *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_error(c->db, err, "prepare");
        return NULL;
    }
    return st;
}

/* Runs a statement that returns no rows; finalizes it. */
static int run(struct conn *c, sqlite3_stmt *st, struct kerr *err)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, "write");
    sqlite3_finalize(st);
    return rc;
}

static int audit(struct store *s, const char *actor, const char *origin, const char *action,
                 const char *object, const char *detail, struct kerr *err)
{
    struct store_audit a = {0, actor, origin, action, object, detail};
    return audit_append(s->wconn, &a, err);
}

/* ---- users ---------------------------------------------------------------- */

int store_user_get(struct store *s, const char *username, int64_t id, struct store_user *out)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st;
    int rc = KERR_IO;
    if (!c)
        return KERR_IO;
    st = prep(c,
              username ? "SELECT " USER_COLS " FROM users WHERE username=?"
                       : "SELECT " USER_COLS " FROM users WHERE id=?",
              NULL);
    if (st) {
        if (username)
            sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            user_row(st, out);
            rc = 0;
        } else {
            rc = rc == SQLITE_DONE ? KERR_NOTFOUND : KERR_IO;
        }
        sqlite3_finalize(st);
    }
    store_reader_put(s, c);
    return rc;
}

int store_user_list(struct store *s, store_user_cb cb, void *arg)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st;
    int rc = KERR_IO;
    if (!c)
        return KERR_IO;
    if ((st = prep(c, "SELECT " USER_COLS " FROM users ORDER BY username", NULL))) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            struct store_user u;
            user_row(st, &u);
            if (cb(arg, &u))
                break;
        }
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : KERR_IO;
        sqlite3_finalize(st);
    }
    store_reader_put(s, c);
    return rc;
}

int store_user_teams(struct store *s, const char *username, struct store_scope *sc)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st;
    int rc = KERR_IO;
    sc->nteams = 0;
    if (!c)
        return KERR_IO;
    if ((st = prep(c,
                   "SELECT team FROM team_members WHERE username=?1 UNION"
                   " SELECT name FROM teams WHERE supervisor=?1 ORDER BY 1",
                   NULL))) {
        sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW && sc->nteams < STORE_SCOPE_TEAMS_MAX)
            copy_col(sc->teams[sc->nteams++], sizeof sc->teams[0], st, 0);
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : KERR_IO;
        sqlite3_finalize(st);
    }
    store_reader_put(s, c);
    return rc;
}

static void user_json(struct jsonw *w, const struct store_user *u)
{
    jsonw_kstr(w, "username", u->username);
    jsonw_kstr(w, "display_name", u->display_name);
    jsonw_kstr(w, "role", u->role);
    jsonw_kstr(w, "email", u->email[0] ? u->email : NULL);
    jsonw_kbool(w, "disabled", u->disabled);
}

int store_user_insert(struct store *s, struct store_user *u, const struct store_who *who,
                      struct kerr *err)
{
    struct conn *c = s->wconn;
    sqlite3_stmt *st;
    int64_t now = clock_now_ms();
    char object[48];
    struct strbuf detail = STRBUF_INIT;
    struct jsonw w;
    int rc;

    if ((rc = tx_begin(s, err)) < 0)
        return rc;
    if (!(st = prep(c,
                    "INSERT INTO users(username,display_name,role,email,password_hash,"
                    "created_at,updated_at) VALUES(?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_text(st, 1, u->username, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, u->display_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, u->role, -1, SQLITE_STATIC);
    if (u->email[0])
        sqlite3_bind_text(st, 4, u->email, -1, SQLITE_STATIC);
    if (u->password_hash[0])
        sqlite3_bind_text(st, 5, u->password_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    sqlite3_bind_int64(st, 7, now);
    if ((rc = run(c, st, err)) < 0)
        goto out;
    if (sqlite3_changes(c->db) == 0) {
        rc = kerr_set(err, KERR_CONFLICT, "exists", "username", "a user \"%s\" exists already",
                      u->username);
        goto out;
    }
    u->id = sqlite3_last_insert_rowid(c->db);
    u->created_at = u->updated_at = now;
    snprintf(object, sizeof object, "user:%" PRId64, u->id);
    jsonw_init(&w, &detail);
    jsonw_obj(&w);
    user_json(&w, u);
    jsonw_end(&w);
    rc = audit(s, who->actor, who->origin, "user.create", object, detail.buf, err);
out:
    strbuf_release(&detail);
    return tx_end(s, rc, err);
}

/* Reads user id inside the write transaction. */
static int user_in_tx(struct conn *c, int64_t id, struct store_user *u, struct kerr *err)
{
    sqlite3_stmt *st = prep(c, "SELECT " USER_COLS " FROM users WHERE id=?", err);
    int rc;
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        user_row(st, u);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE
               ? kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no user with id %" PRId64, id)
               : db_error(c->db, err, "read user");
}

static int end_sessions(struct conn *c, int64_t user_id, struct kerr *err)
{
    sqlite3_stmt *st = prep(c, "DELETE FROM sessions WHERE user_id=?", err);
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, user_id);
    return run(c, st, err);
}

int store_user_update(struct store *s, int64_t id, const struct store_user_change *ch,
                      const struct store_who *who, struct kerr *err)
{
    struct conn *c = s->wconn;
    struct store_user before, after;
    sqlite3_stmt *st;
    char object[48];
    struct strbuf detail = STRBUF_INIT;
    struct jsonw w;
    bool password = ch->password_hash != NULL, ends;
    int rc;

    if ((rc = tx_begin(s, err)) < 0)
        return rc;
    if ((rc = user_in_tx(c, id, &before, err)) < 0)
        goto out;
    after = before;
    if (ch->display_name)
        snprintf(after.display_name, sizeof after.display_name, "%s", ch->display_name);
    if (ch->role)
        snprintf(after.role, sizeof after.role, "%s", ch->role);
    if (ch->email)
        snprintf(after.email, sizeof after.email, "%s", ch->email);
    if (ch->password_hash)
        snprintf(after.password_hash, sizeof after.password_hash, "%s", ch->password_hash);
    if (ch->disabled >= 0)
        after.disabled = ch->disabled != 0;
    if (ch->unlock || password) {
        after.failed_logins = 0;
        after.locked_until = 0;
    }
    if (!(st = prep(c,
                    "UPDATE users SET display_name=?,role=?,email=?,password_hash=?,disabled=?,"
                    "failed_logins=?,locked_until=?,updated_at=? WHERE id=?",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_text(st, 1, after.display_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, after.role, -1, SQLITE_STATIC);
    if (after.email[0])
        sqlite3_bind_text(st, 3, after.email, -1, SQLITE_STATIC);
    if (after.password_hash[0])
        sqlite3_bind_text(st, 4, after.password_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, after.disabled);
    sqlite3_bind_int(st, 6, after.failed_logins);
    if (after.locked_until)
        sqlite3_bind_int64(st, 7, after.locked_until);
    sqlite3_bind_int64(st, 8, clock_now_ms());
    sqlite3_bind_int64(st, 9, id);
    if ((rc = run(c, st, err)) < 0)
        goto out;
    ends = password || strcmp(before.role, after.role) != 0 || (after.disabled && !before.disabled);
    if (ends && (rc = end_sessions(c, id, err)) < 0)
        goto out;
    snprintf(object, sizeof object, "user:%" PRId64, id);
    jsonw_init(&w, &detail);
    jsonw_obj(&w);
    jsonw_kstr(&w, "username", before.username);
    jsonw_key(&w, "before");
    jsonw_obj(&w);
    user_json(&w, &before);
    jsonw_end(&w);
    jsonw_key(&w, "after");
    jsonw_obj(&w);
    user_json(&w, &after);
    jsonw_end(&w);
    if (password)
        jsonw_kbool(&w, "password_changed", true);
    if (ch->unlock)
        jsonw_kbool(&w, "unlocked", true);
    jsonw_end(&w);
    rc = audit(s, who->actor, who->origin,
               password && !ch->role && !ch->display_name && ch->disabled < 0 ? "user.password"
                                                                              : "user.update",
               object, detail.buf, err);
out:
    strbuf_release(&detail);
    return tx_end(s, rc, err);
}

/* ---- sign-in and sessions ------------------------------------------------- */

int store_login_failed(struct store *s, int64_t user_id, const char *username, int64_t locked_until,
                       const char *reason, const char *origin, struct kerr *err)
{
    struct conn *c = s->wconn;
    sqlite3_stmt *st;
    char object[48], actor[96];
    struct strbuf detail = STRBUF_INIT;
    struct jsonw w;
    int rc;

    if ((rc = tx_begin(s, err)) < 0)
        return rc;
    if (user_id > 0) {
        if (!(st = prep(c,
                        "UPDATE users SET failed_logins=failed_logins+1,locked_until=?"
                        " WHERE id=?",
                        err))) {
            rc = KERR_IO;
            goto out;
        }
        if (locked_until > 0)
            sqlite3_bind_int64(st, 1, locked_until);
        sqlite3_bind_int64(st, 2, user_id);
        if ((rc = run(c, st, err)) < 0)
            goto out;
    }
    snprintf(object, sizeof object, "user:%" PRId64, user_id);
    snprintf(actor, sizeof actor, "user:%.60s", username);
    jsonw_init(&w, &detail);
    jsonw_obj(&w);
    jsonw_kstr(&w, "username", username);
    jsonw_kstr(&w, "reason", reason);
    if (locked_until > 0)
        jsonw_kint(&w, "locked_until", locked_until);
    jsonw_end(&w);
    rc = audit(s, actor, origin, "auth.login_failed", user_id > 0 ? object : NULL, detail.buf, err);
out:
    strbuf_release(&detail);
    return tx_end(s, rc, err);
}

int store_login_ok(struct store *s, const char *username,
                   const unsigned char hash[STORE_KEYHASH_LEN], struct store_session *sess,
                   const char *origin, struct kerr *err)
{
    struct conn *c = s->wconn;
    sqlite3_stmt *st;
    char object[48], actor[96];
    int rc;

    if ((rc = tx_begin(s, err)) < 0)
        return rc;
    if (!(st = prep(c, "UPDATE users SET failed_logins=0,locked_until=NULL WHERE id=?", err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, sess->user_id);
    if ((rc = run(c, st, err)) < 0)
        goto out;
    if (!(st = prep(c, "DELETE FROM sessions WHERE user_id=? AND expires_at<=?", err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, sess->user_id);
    sqlite3_bind_int64(st, 2, sess->created_at);
    if ((rc = run(c, st, err)) < 0)
        goto out;
    if (!(st = prep(c,
                    "INSERT INTO sessions(token_hash,user_id,csrf,created_at,last_seen,"
                    "expires_at,origin) VALUES(?,?,?,?,?,?,?)",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_blob(st, 1, hash, STORE_KEYHASH_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, sess->user_id);
    sqlite3_bind_text(st, 3, sess->csrf, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, sess->created_at);
    sqlite3_bind_int64(st, 5, sess->last_seen);
    sqlite3_bind_int64(st, 6, sess->expires_at);
    sqlite3_bind_text(st, 7, origin, -1, SQLITE_STATIC);
    if ((rc = run(c, st, err)) < 0)
        goto out;
    sess->id = sqlite3_last_insert_rowid(c->db);
    snprintf(object, sizeof object, "session:%" PRId64, sess->id);
    snprintf(actor, sizeof actor, "user:%.60s", username);
    rc = audit(s, actor, origin, "auth.login", object, NULL, err);
out:
    return tx_end(s, rc, err);
}

int store_session_find(struct store *s, const unsigned char hash[STORE_KEYHASH_LEN],
                       struct store_session *out)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st;
    int rc = KERR_IO;
    if (!c)
        return KERR_IO;
    if ((st = conn_stmt(c, ST_SESSION_FIND))) {
        sqlite3_bind_blob(st, 1, hash, STORE_KEYHASH_LEN, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            out->id = sqlite3_column_int64(st, 0);
            out->user_id = sqlite3_column_int64(st, 1);
            copy_col(out->csrf, sizeof out->csrf, st, 2);
            out->created_at = sqlite3_column_int64(st, 3);
            out->last_seen = sqlite3_column_int64(st, 4);
            out->expires_at = sqlite3_column_int64(st, 5);
            rc = 0;
        } else {
            rc = rc == SQLITE_DONE ? KERR_NOTFOUND : KERR_IO;
        }
        sqlite3_reset(st);
    }
    store_reader_put(s, c);
    return rc;
}

int store_session_touch(struct store *s, int64_t id, int64_t now)
{
    sqlite3_stmt *st;
    int rc;
    if ((rc = tx_begin(s, NULL)) < 0)
        return rc;
    if (!(st =
              prep(s->wconn, "UPDATE sessions SET last_seen=? WHERE id=? AND last_seen<?", NULL))) {
        rc = KERR_IO;
    } else {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, id);
        sqlite3_bind_int64(st, 3, now);
        rc = run(s->wconn, st, NULL);
    }
    return tx_end(s, rc, NULL);
}

int store_session_delete(struct store *s, int64_t id, const struct store_who *who, struct kerr *err)
{
    struct conn *c = s->wconn;
    sqlite3_stmt *st;
    char object[48];
    int rc;

    if ((rc = tx_begin(s, err)) < 0)
        return rc;
    if (!(st = prep(c, "DELETE FROM sessions WHERE id=?", err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if ((rc = run(c, st, err)) < 0)
        goto out;
    if (sqlite3_changes(c->db) == 0) {
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "session", "no such session");
        goto out;
    }
    snprintf(object, sizeof object, "session:%" PRId64, id);
    if (who)
        rc = audit(s, who->actor, who->origin, "auth.logout", object, NULL, err);
out:
    return tx_end(s, rc, err);
}

/* ---- custom roles --------------------------------------------------------- */

#define ROLE_COLS "name,permissions,scope,coalesce(description,''),created_at,updated_at"

static void role_row(sqlite3_stmt *st, struct store_role *r)
{
    memset(r, 0, sizeof(*r));
    copy_col(r->name, sizeof r->name, st, 0);
    copy_col(r->permissions, sizeof r->permissions, st, 1);
    copy_col(r->scope, sizeof r->scope, st, 2);
    copy_col(r->description, sizeof r->description, st, 3);
    r->created_at = sqlite3_column_int64(st, 4);
    r->updated_at = sqlite3_column_int64(st, 5);
}

int store_role_get(struct store *s, const char *name, struct store_role *out)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st;
    int rc = KERR_IO;
    if (!c)
        return KERR_IO;
    if ((st = prep(c, "SELECT " ROLE_COLS " FROM roles WHERE name=?", NULL))) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            role_row(st, out);
        rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? KERR_NOTFOUND : KERR_IO;
        sqlite3_finalize(st);
    }
    store_reader_put(s, c);
    return rc;
}

int store_role_list(struct store *s, store_role_cb cb, void *arg)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st;
    int rc = KERR_IO;
    if (!c)
        return KERR_IO;
    if ((st = prep(c, "SELECT " ROLE_COLS " FROM roles ORDER BY name", NULL))) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            struct store_role r;
            role_row(st, &r);
            if (cb(arg, &r))
                break;
        }
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : KERR_IO;
        sqlite3_finalize(st);
    }
    store_reader_put(s, c);
    return rc;
}

int store_role_put(struct store *s, const struct store_role *r, const struct store_who *who,
                   struct kerr *err)
{
    struct conn *c = s->wconn;
    sqlite3_stmt *st;
    struct store_role before;
    bool existed = false;
    int64_t now = clock_now_ms();
    char object[48];
    struct strbuf detail = STRBUF_INIT;
    struct jsonw w;
    int rc;

    if ((rc = tx_begin(s, err)) < 0)
        return rc;
    if (!(st = prep(c, "SELECT " ROLE_COLS " FROM roles WHERE name=?", err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        role_row(st, &before);
        existed = true;
    }
    sqlite3_finalize(st);
    if (!(st = prep(c,
                    "INSERT INTO roles(name,permissions,scope,description,created_at,updated_at)"
                    " VALUES(?1,?2,?3,?4,?5,?5) ON CONFLICT(name) DO UPDATE SET"
                    " permissions=?2,scope=?3,description=?4,updated_at=?5",
                    err))) {
        rc = KERR_IO;
        goto out;
    }
    sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->permissions, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->scope, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->description, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, now);
    if ((rc = run(c, st, err)) < 0)
        goto out;
    snprintf(object, sizeof object, "role:%.40s", r->name);
    jsonw_init(&w, &detail);
    jsonw_obj(&w);
    if (existed) {
        jsonw_key(&w, "before");
        jsonw_obj(&w);
        jsonw_kstr(&w, "permissions", before.permissions);
        jsonw_kstr(&w, "scope", before.scope);
        jsonw_end(&w);
    }
    jsonw_key(&w, "after");
    jsonw_obj(&w);
    jsonw_kstr(&w, "permissions", r->permissions);
    jsonw_kstr(&w, "scope", r->scope);
    jsonw_end(&w);
    jsonw_end(&w);
    rc = audit(s, who->actor, who->origin, existed ? "role.update" : "role.create", object,
               detail.buf, err);
out:
    strbuf_release(&detail);
    return tx_end(s, rc, err);
}

/* ---- the demo organisation ------------------------------------------------ */

int store_org_seed_demo(struct store *s, const char *password_hash, int *added, struct kerr *err)
{
    static const char *const teams[][3] = {
        {"kefu", "客服部", "supervisor"}, {"quality", "质量部", NULL},
        {"product", "产品部", NULL},      {"logistics", "物流部", NULL},
        {"store_ops", "门店运营", NULL},
    };
    static const char *const members[][2] = {
        {"kefu", "agent"},       {"kefu", "agent2"},          {"quality", "quality1"},
        {"product", "product1"}, {"logistics", "logistics1"}, {"store_ops", "store1"},
    };
    static const char *const users[][3] = {
        {"admin", "管理员", "admin"},         {"supervisor", "客服主管", "supervisor"},
        {"agent", "客服一", "agent"},         {"agent2", "客服二", "agent"},
        {"quality1", "质量专员", "agent"},    {"product1", "产品专员", "agent"},
        {"logistics1", "物流专员", "agent"},  {"store1", "门店专员", "agent"},
        {"analyst", "质量分析师", "analyst"}, {"manager", "经理", "manager"},
        {"auditor", "审计员", "auditor"},
    };
    struct conn *c = s->wconn;
    sqlite3_stmt *st;
    int64_t now = clock_now_ms();
    int rc;

    *added = 0;
    if ((rc = tx_begin(s, err)) < 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < sizeof teams / sizeof teams[0]; i++) {
        if (!(st =
                  prep(c, "INSERT OR IGNORE INTO teams(name,display_name,supervisor) VALUES(?,?,?)",
                       err))) {
            rc = KERR_IO;
            break;
        }
        sqlite3_bind_text(st, 1, teams[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, teams[i][1], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, teams[i][2], -1, SQLITE_STATIC);
        rc = run(c, st, err);
    }
    for (size_t i = 0; rc == 0 && i < sizeof members / sizeof members[0]; i++) {
        if (!(st = prep(c, "INSERT OR IGNORE INTO team_members(team,username) VALUES(?,?)", err))) {
            rc = KERR_IO;
            break;
        }
        sqlite3_bind_text(st, 1, members[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, members[i][1], -1, SQLITE_STATIC);
        rc = run(c, st, err);
    }
    for (size_t i = 0; rc == 0 && i < sizeof users / sizeof users[0]; i++) {
        if (!(st = prep(c,
                        "INSERT OR IGNORE INTO users(username,display_name,role,password_hash,"
                        "created_at,updated_at) VALUES(?,?,?,?,?,?)",
                        err))) {
            rc = KERR_IO;
            break;
        }
        sqlite3_bind_text(st, 1, users[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, users[i][1], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, users[i][2], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, password_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, now);
        sqlite3_bind_int64(st, 6, now);
        if ((rc = run(c, st, err)) == 0)
            *added += sqlite3_changes(c->db);
    }
    if (rc == 0 && *added > 0) {
        char detail[64];
        snprintf(detail, sizeof detail, "{\"users_added\":%d}", *added);
        rc = audit(s, "system", "serve", "org.seed_demo", NULL, detail, err);
    }
    return tx_end(s, rc, err);
}
