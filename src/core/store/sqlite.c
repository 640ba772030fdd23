/*
 * sqlite.c: the SQLite backend's plumbing: opening the two database files
 * (kesu.db holds the records; search.db holds the rebuildable full-text
 * index, in its own file so that indexing never takes intake's write lock),
 * pragmas, numbered migrations, the reader pool, prepared statements and
 * the background threads' lifecycle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/embedded.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "store/cube.h"
#include "base/xmalloc.h"
#include "store/fts_cjk.h"
#include "store/fts_seg.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

static const char *insert_sql(void);

static const char *const stmt_sql[ST__COUNT] = {
    [ST_EVENT] = "INSERT INTO feedback_events(feedback_id,at,actor,kind,field,before,after,note)"
                 " VALUES(?,?,?,?,?,?,?,?)",
    [ST_FIND_EXTERNAL] = "SELECT id FROM feedback WHERE channel=? AND external_id=?",
    [ST_FIND_IDEMPOTENCY] = "SELECT id FROM feedback WHERE idempotency_key=?",
    [ST_EVENTS] = "SELECT id,at,actor,kind,field,before,after,note FROM feedback_events"
                  " WHERE feedback_id=? ORDER BY id",
    [ST_CREATED] = "SELECT recorded_at,created_by FROM feedback WHERE id=?",
    [ST_COUNT_ADD] = "INSERT INTO feedback_channel_counts(channel,n) VALUES(?,?)"
                     " ON CONFLICT(channel) DO UPDATE SET n=n+excluded.n",
    [ST_COUNTS] = "SELECT channel,n FROM feedback_channel_counts ORDER BY channel",
    [ST_APIKEY_INSERT] = "INSERT INTO api_keys(name,prefix,hash,created_at,scopes,expires_at)"
                         " VALUES(?,?,?,?,?,?)",
    [ST_APIKEY_FIND] = "SELECT id,name,coalesce(scopes,'*'),coalesce(expires_at,0) FROM api_keys"
                       " WHERE hash=? AND revoked_at IS NULL",
    [ST_APIKEY_LIST] = "SELECT id,name,prefix,created_at,revoked_at,coalesce(scopes,'*'),"
                       "coalesce(expires_at,0) FROM api_keys ORDER BY id",
    [ST_SESSION_FIND] = "SELECT id,user_id,csrf,created_at,last_seen,expires_at FROM sessions"
                        " WHERE token_hash=?",
    [ST_APIKEY_REVOKE] = "UPDATE api_keys SET revoked_at=? WHERE id=? AND revoked_at IS NULL",
    [ST_MAX_ID] = "SELECT coalesce(max(id),0) FROM feedback",
    [ST_SEARCH_STATE] = "SELECT v FROM s.search_state WHERE k='indexed_to'",
    [ST_SEARCH_ADD] = "INSERT INTO s.fts(rowid,title,text) VALUES(?,?,?)",
    [ST_SEARCH_SET] = "UPDATE s.search_state SET v=? WHERE k='indexed_to'",
    [ST_DEV_FIND] = "SELECT id,coalesce(feedback_id,0) FROM device_events WHERE event_key=?",
    [ST_DEV_INSERT] = "INSERT INTO device_events(event_key,device_id,model,fault_code,message,at,"
                      "recorded_at) VALUES(?,?,?,?,?,?,?)",
    [ST_DEV_OPEN_CASE] = "SELECT e.feedback_id FROM device_events e JOIN feedback f"
                         " ON f.id=e.feedback_id WHERE e.device_id=? AND e.feedback_id IS NOT NULL"
                         " AND f.status NOT IN ('closed','closed_unaccepted')"
                         " ORDER BY e.id DESC LIMIT 1",
    [ST_DEV_WINDOW] = "SELECT count(*),group_concat(DISTINCT fault_code) FROM device_events"
                      " WHERE device_id=? AND at>? AND at<=? AND feedback_id IS NULL",
    [ST_DEV_ATTACH] = "UPDATE device_events SET feedback_id=? WHERE id=?",
    [ST_DEV_ATTACH_WINDOW] = "UPDATE device_events SET feedback_id=? WHERE device_id=? AND at>?"
                             " AND at<=? AND feedback_id IS NULL",
    [ST_DEV_LIST] = "SELECT id,event_key,device_id,model,fault_code,message,at,"
                    "coalesce(feedback_id,0) FROM device_events WHERE device_id=?"
                    " ORDER BY at DESC,id DESC LIMIT ?",
    [ST_RECEIPT_INSERT] = "INSERT INTO form_receipts(receipt,feedback_id,form) VALUES(?,?,?)",
    [ST_RECEIPT_GET] = "SELECT f.id,f.status,f.received_at,f.updated_at,f.resolved_at,f.closed_at,"
                       "r.form FROM form_receipts r JOIN feedback f ON f.id=r.feedback_id"
                       " WHERE r.receipt=?",
    [ST_RECEIPT_OF] = "SELECT receipt FROM form_receipts WHERE feedback_id=?",
    [ST_REPEAT_ADD] = "UPDATE feedback SET repeat_count=coalesce(repeat_count,0)+1,updated_at=?"
                      " WHERE id=?",
    [ST_REJECT_ADD] = "INSERT INTO intake_rejections(day,channel,source,code,field,n)"
                      " VALUES(?,?,?,?,?,1) ON CONFLICT(day,channel,source,code,field)"
                      " DO UPDATE SET n=n+1",
    [ST_AUDIT_ADD] = "INSERT INTO audit_log(id,at,actor,origin,action,object,detail,prev,hash)"
                     " VALUES(?,?,?,?,?,?,?,?,?)",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_SAVEPOINT] = "SAVEPOINT job",
    [ST_RELEASE] = "RELEASE job",
    [ST_ROLLBACK_TO] = "ROLLBACK TO job",
    [ST_SEARCH_ROWS] = "SELECT id,coalesce(title,''),text FROM feedback WHERE id>? ORDER BY id"
                       " LIMIT ?",
};

int db_error(sqlite3 *db, struct kerr *e, const char *what)
{
    int code = sqlite3_extended_errcode(db);
    int rc = (code & 0xff) == SQLITE_BUSY ? KERR_BUSY : KERR_IO;
    log_error("sqlite: %s: %s (%d)", what, sqlite3_errmsg(db), code);
    return kerr_set(e, rc, rc == KERR_BUSY ? "busy" : "storage_error", "", "%s: %s", what,
                    sqlite3_errmsg(db));
}

int conn_exec(struct conn *c, const char *sql, struct kerr *err)
{
    char *msg = NULL;
    if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = db_error(c->db, err, "exec");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

int conn_step(struct conn *c, enum stmt_id id, struct kerr *err)
{
    sqlite3_stmt *st = conn_stmt(c, id);
    int rc;
    if (!st)
        return db_error(c->db, err, stmt_sql[id]);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_error(c->db, err, stmt_sql[id]);
}

sqlite3_stmt *conn_stmt(struct conn *c, enum stmt_id id)
{
    sqlite3_stmt *st = c->stmt[id];
    if (st) {
        sqlite3_reset(st);
        if (id != ST_INSERT) /* the insert binds every parameter each time */
            sqlite3_clear_bindings(st);
        return st;
    }
    const char *sql = stmt_sql[id];
    struct strbuf sb = STRBUF_INIT;
    if (id == ST_INSERT) {
        sql = insert_sql();
    } else if (id == ST_GET) {
        strbuf_addf(&sb, "SELECT %s FROM feedback f WHERE id=?", feedback_columns());
        sql = sb.buf;
    }
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id], NULL) !=
        SQLITE_OK) {
        log_error("sqlite: prepare %d: %s", (int)id, sqlite3_errmsg(c->db));
        c->stmt[id] = NULL;
    }
    strbuf_release(&sb);
    return c->stmt[id];
}

/* INSERT INTO feedback(<every field>) VALUES(?,...) ON CONFLICT DO NOTHING, built from the table.
 */
static char insert_buf[4096];
static pthread_once_t insert_once = PTHREAD_ONCE_INIT;

static void build_insert(void)
{
    struct strbuf cols = STRBUF_INIT, vals = STRBUF_INIT;
    for (size_t i = 0; i < record_nfields; i++) {
        strbuf_addf(&cols, "%s%s", i ? "," : "", record_fields[i].name);
        strbuf_addstr(&vals, i ? ",?" : "?");
    }
    snprintf(insert_buf, sizeof(insert_buf),
             "INSERT INTO feedback(%s) VALUES(%s) ON CONFLICT DO NOTHING", cols.buf, vals.buf);
    strbuf_release(&cols);
    strbuf_release(&vals);
}

static const char *insert_sql(void)
{
    pthread_once(&insert_once, build_insert);
    return insert_buf;
}

/* Before the first connection: no memory statistics (nothing reads them), which spares
 * every allocation inside SQLite a global mutex, taken by all threads; and lookaside slots
 * large enough for the cursors an insert opens on the feedback table and its indexes. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 2048, 256);
}

int conn_open(struct store *s, struct conn **out, enum conn_kind kind, struct kerr *err)
{
    struct conn *c = xcalloc(1, sizeof(*c));
    c->s = s;
    struct strbuf sql = STRBUF_INIT;
    int rc;

    pthread_once(&sqlite_once, sqlite_setup);

    if (sqlite3_open_v2(s->main_path, &c->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "open database");
        goto fail;
    }
    sqlite3_busy_timeout(c->db, 10000);
    if (fts_cjk_register(c->db) != SQLITE_OK) {
        rc = db_error(c->db, err, "register tokenizer");
        goto fail;
    }
    if (s->segdict && fts_seg_register(c->db, s->segdict) != SQLITE_OK) {
        rc = db_error(c->db, err, "register word tokenizer");
        goto fail;
    }
    strbuf_addstr(&sql, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
                        " PRAGMA cache_size=-32768;"
                        " PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY;");
    /* The writer's commits are made durable by wal_sync() (writer.c); others sync fully. */
    /* What is deleted or overwritten is zeroed in the file, not left in free space:
     * erasure (lifecycle.c) relies on it */
    if (kind != CONN_READER)
        strbuf_addstr(&sql, " PRAGMA secure_delete=ON;");
    strbuf_addstr(&sql, kind == CONN_WRITER ? " PRAGMA synchronous=NORMAL;"
                                            : " PRAGMA synchronous=FULL;");
    if (kind == CONN_READER)
        strbuf_addstr(&sql, " PRAGMA query_only=1;");
    if ((rc = conn_exec(c, sql.buf, err)) < 0)
        goto fail;
    if (kind != CONN_WRITER) {
        char *q = sqlite3_mprintf("ATTACH %Q AS s", s->search_path);
        rc = conn_exec(c, q, err);
        sqlite3_free(q);
        if (rc < 0 ||
            (rc = conn_exec(c, "PRAGMA s.journal_mode=WAL; PRAGMA s.synchronous=NORMAL", err)) < 0)
            goto fail;
    }
    strbuf_release(&sql);
    *out = c;
    return 0;
fail:
    strbuf_release(&sql);
    conn_close(c);
    return rc;
}

void conn_close(struct conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < ST__COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    for (int i = 0; i < 2; i++)
        sqlite3_finalize(c->ru_upsert[i]);
    sqlite3_close_v2(c->db);
    free(c);
}

struct conn *store_reader(struct store *s, struct kerr *err)
{
    struct conn *c = NULL;
    pthread_mutex_lock(&s->plock);
    if (s->nidle > 0)
        c = s->idle[--s->nidle];
    pthread_mutex_unlock(&s->plock);
    if (!c && conn_open(s, &c, CONN_READER, err) < 0)
        return NULL;
    return c;
}

void store_reader_put(struct store *s, struct conn *c)
{
    pthread_mutex_lock(&s->plock);
    if (s->nidle < STORE_POOL_MAX) {
        s->idle[s->nidle++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&s->plock);
    conn_close(c);
}

/* ---- migrations ----------------------------------------------------------- */

static int migration_version(const char *name)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    return (int)strtol(base, NULL, 10);
}

static bool is_migration(const struct embedded_file *f)
{
    size_t n = strlen(f->name);
    return strstr(f->name, "/migrations/") && n > 4 && strcmp(f->name + n - 4, ".sql") == 0;
}

static int known_version(void)
{
    int v = 0;
    for (const struct embedded_file *f = embedded_files; f->name; f++)
        if (is_migration(f) && migration_version(f->name) > v)
            v = migration_version(f->name);
    return v;
}

static int applied_version(struct conn *c, int *v)
{
    sqlite3_stmt *st;
    *v = 0;
    if (sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version),0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        *v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return 0;
}

static int migrate(struct store *s, struct kerr *err)
{
    struct conn *c = s->wconn;
    int have, rc;

    rc = conn_exec(c,
                   "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER PRIMARY KEY,"
                   " name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
                   err);
    if (rc < 0 || applied_version(c, &have) < 0)
        return rc < 0 ? rc : db_error(c->db, err, "read schema_version");
    /* embedded_files is sorted by name, and names start with the version */
    for (const struct embedded_file *f = embedded_files; f->name; f++) {
        int v = migration_version(f->name);
        if (!is_migration(f) || v <= have)
            continue;
        char *rec = sqlite3_mprintf("INSERT INTO schema_version VALUES(%d,%Q,%lld)", v,
                                    strrchr(f->name, '/') + 1, (long long)clock_now_ms());
        if ((rc = conn_exec(c, "BEGIN IMMEDIATE", err)) == 0 &&
            (rc = conn_exec(c, f->data, err)) == 0 && (rc = conn_exec(c, rec, err)) == 0)
            rc = conn_exec(c, "COMMIT", err);
        sqlite3_free(rec);
        if (rc < 0) {
            conn_exec(c, "ROLLBACK", NULL);
            return kerr_set(err, rc, "migration_failed", "", "migration %s failed: %s", f->name,
                            err ? err->message : "");
        }
        log_info("applied migration %s", f->name);
    }
    return 0;
}

int store_schema_version(struct store *s, int *applied, int *known)
{
    int rc;
    pthread_mutex_lock(&s->wlock);
    rc = applied_version(s->wconn, applied);
    pthread_mutex_unlock(&s->wlock);
    *known = known_version();
    return rc;
}

/* ---- open / close --------------------------------------------------------- */

/* mkdir -p: the data directory and any missing parents (0750). */
static int mkdir_parents(const char *dir)
{
    char path[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path)
        return (errno = ENAMETOOLONG), -1;
    memcpy(path, dir, n + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(path, 0750) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

int store_open(const char *dir, struct store **out, struct kerr *err)
{
    struct store *s = xcalloc(1, sizeof(*s));
    struct strbuf p = STRBUF_INIT;
    int rc;

    if (mkdir_parents(dir) < 0) {
        free(s);
        return kerr_set(err, KERR_IO, "storage_error", "", "cannot create %s: %s", dir,
                        strerror(errno));
    }
    s->dir = xstrdup(dir);
    strbuf_addf(&p, "%s/kesu.db", dir);
    s->main_path = strbuf_detach(&p, NULL);
    strbuf_addf(&p, "%s/search.db", dir);
    s->search_path = strbuf_detach(&p, NULL);
    pthread_mutex_init(&s->wlock, NULL);
    pthread_mutex_init(&s->index_lock, NULL);
    pthread_mutex_init(&s->plock, NULL);
    pthread_mutex_init(&s->qlock, NULL);
    pthread_cond_init(&s->qcond, NULL);
    pthread_mutex_init(&s->bglock, NULL);
    pthread_cond_init(&s->bgcond, NULL);
    pthread_mutex_init(&s->slock, NULL);
    pthread_cond_init(&s->scond, NULL);
    s->wal_fd = -1;
    s->ru_job = rollup_new();
    s->ru_batch = rollup_new();
    s->cs = case_stats_new();
    s->cube = cube_new(s);
    rollup_set_cube(s->ru_job, s->cube);

    if ((rc = conn_open(s, &s->wconn, CONN_WRITER, err)) < 0 || (rc = migrate(s, err)) < 0 ||
        (rc = wal_sync(s, err)) < 0 || (rc = search_open(s, err)) < 0) {
        store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int store_start(struct store *s, unsigned what, struct kerr *err)
{
    if (s->started)
        return 0;
    s->stopping = false;
    /* The checkpointer thread takes over; commits no longer pay for checkpoints. */
    if ((what & STORE_BG_CHECKPOINT) && conn_exec(s->wconn, "PRAGMA wal_autocheckpoint=0", err) < 0)
        return KERR_IO;
    if ((what & STORE_BG_WRITER) && pthread_create(&s->syncer, NULL, syncer_main, s) != 0)
        return kerr_set(err, KERR_INTERNAL, "internal", "", "cannot start syncer thread");
    if ((what & STORE_BG_WRITER) && pthread_create(&s->writer, NULL, writer_main, s) != 0) {
        pthread_mutex_lock(&s->slock);
        s->sync_stop = true;
        pthread_cond_signal(&s->scond);
        pthread_mutex_unlock(&s->slock);
        pthread_join(s->syncer, NULL);
        return kerr_set(err, KERR_INTERNAL, "internal", "", "cannot start writer thread");
    }
    if ((what & STORE_BG_INDEXER) && pthread_create(&s->indexer, NULL, search_main, s) != 0)
        what &= ~(unsigned)STORE_BG_INDEXER;
    if ((what & STORE_BG_CHECKPOINT) &&
        pthread_create(&s->checkpointer, NULL, checkpoint_main, s) != 0)
        what &= ~(unsigned)STORE_BG_CHECKPOINT;
    s->bg = what;
    s->started = (what & STORE_BG_WRITER) != 0;
    return 0;
}

void store_close(struct store *s)
{
    if (!s)
        return;
    if (s->bg) {
        pthread_mutex_lock(&s->qlock);
        pthread_mutex_lock(&s->bglock);
        s->stopping = true;
        pthread_cond_broadcast(&s->qcond);
        pthread_cond_broadcast(&s->bgcond);
        pthread_mutex_unlock(&s->bglock);
        pthread_mutex_unlock(&s->qlock);
    }
    if (s->bg & STORE_BG_WRITER) {
        pthread_join(s->writer, NULL);
        /* the writer has handed over its last batch; let the syncer finish it */
        pthread_mutex_lock(&s->slock);
        s->sync_stop = true;
        pthread_cond_signal(&s->scond);
        pthread_mutex_unlock(&s->slock);
        pthread_join(s->syncer, NULL);
        s->started = false;
    }
    if (s->bg & STORE_BG_INDEXER)
        pthread_join(s->indexer, NULL);
    if (s->bg & STORE_BG_CHECKPOINT)
        pthread_join(s->checkpointer, NULL);
    /* the writer is gone; a running load is joined before the connections close */
    rollup_set_cube(s->ru_job, NULL);
    cube_free(s->cube);
    s->cube = NULL;
    for (int i = 0; i < s->nidle; i++)
        conn_close(s->idle[i]);
    loop_cache_free(s->loop); /* its statements live on the writer's connection */
    s->loop = NULL;
    case_stats_free(s->cs); /* so are its statements */
    s->cs = NULL;
    if (s->wconn) {
        conn_exec(s->wconn, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
        conn_close(s->wconn);
    }
    pthread_mutex_destroy(&s->wlock);
    pthread_mutex_destroy(&s->index_lock);
    pthread_mutex_destroy(&s->plock);
    pthread_mutex_destroy(&s->qlock);
    pthread_cond_destroy(&s->qcond);
    pthread_mutex_destroy(&s->bglock);
    pthread_cond_destroy(&s->bgcond);
    pthread_mutex_destroy(&s->slock);
    pthread_cond_destroy(&s->scond);
    if (s->wal_fd >= 0)
        close(s->wal_fd);
    free(s->dir);
    dedup_free(s->dedup);
    rollup_free(s->ru_job);
    rollup_free(s->ru_batch);
    free(s->main_path);
    free(s->search_path);
    free(s);
}

void store_stats(struct store *s, struct store_stats *st)
{
    st->commits = atomic_load(&s->commits);
    st->syncs = atomic_load(&s->syncs);
    st->jobs = atomic_load(&s->jobs);
    st->records = atomic_load(&s->records);
    st->queue_depth = atomic_load(&s->queue_depth);
    int64_t lag = atomic_load(&s->max_id) - atomic_load(&s->indexed_to);
    st->search_lag = lag > 0 ? lag : 0;
    st->search_indexed = atomic_load(&s->search_indexed);
}
