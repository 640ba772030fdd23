/*
 * search.c: the full-text index behind intake. The index lives in its own
 * file (search.db) and is fed by an indexer thread that copies new records
 * in id order, in batches, remembering how far it got in the same
 * transaction. Record ids grow in commit order (one writer per database),
 * so "everything above indexed_to" is exactly what is still to do. The
 * index can be deleted at any time; it is rebuilt from the records.
 *
 * Also here: the checkpointer, which moves committed WAL pages into the
 * database files off the commit path.
 */
#include <errno.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

#define INDEX_BATCH 2000

static int64_t scalar(struct conn *c, enum stmt_id id)
{
    sqlite3_stmt *st = conn_stmt(c, id);
    int64_t v = -1;
    if (st && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    if (st)
        sqlite3_reset(st);
    return v;
}

int search_open(struct store *s, struct kerr *err)
{
    struct conn *c;
    int rc = conn_open(s, &c, CONN_INDEXER, err);
    if (rc < 0)
        return rc;
    rc = conn_exec(c,
                   "CREATE VIRTUAL TABLE IF NOT EXISTS s.fts USING fts5(title, text,"
                   " tokenize='kesu_cjk', columnsize=0);"
                   "CREATE TABLE IF NOT EXISTS s.search_state(k TEXT PRIMARY KEY, v INTEGER);"
                   "INSERT OR IGNORE INTO s.search_state VALUES('indexed_to', 0);"
                   "INSERT INTO s.fts(fts, rank) VALUES('automerge', 8);"
                   "INSERT INTO s.fts(fts, rank) VALUES('hashsize', 33554432);",
                   err);
    /* the lag is right from the start, not 0 until the indexer's first pass: records
     * imported by another process (kesu import) are still to be indexed */
    if (rc == 0) {
        int64_t to = scalar(c, ST_SEARCH_STATE), maxid = scalar(c, ST_MAX_ID);
        if (to >= 0)
            atomic_store(&s->indexed_to, to);
        store_note_max_id(s, maxid);
    }
    conn_close(c);
    return rc;
}

long search_step(struct store *s, struct conn *c, int max_rows, struct kerr *err)
{
    sqlite3_stmt *rows, *add, *set;
    int64_t from, to, maxid;
    long n = 0;
    int rc;

    if ((from = scalar(c, ST_SEARCH_STATE)) < 0)
        return db_error(c->db, err, "read search state");
    if ((rc = conn_exec(c, "BEGIN", err)) < 0)
        return rc;
    to = from;
    rows = conn_stmt(c, ST_SEARCH_ROWS);
    if (!rows)
        goto fail;
    sqlite3_bind_int64(rows, 1, from);
    sqlite3_bind_int(rows, 2, max_rows);
    while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
        if (!(add = conn_stmt(c, ST_SEARCH_ADD)))
            goto fail;
        to = sqlite3_column_int64(rows, 0);
        sqlite3_bind_int64(add, 1, to);
        sqlite3_bind_value(add, 2, sqlite3_column_value(rows, 1));
        sqlite3_bind_value(add, 3, sqlite3_column_value(rows, 2));
        if (sqlite3_step(add) != SQLITE_DONE)
            goto fail;
        n++;
    }
    sqlite3_reset(rows);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        goto fail;
    if (n > 0) {
        if (!(set = conn_stmt(c, ST_SEARCH_SET)))
            goto fail;
        sqlite3_bind_int64(set, 1, to);
        if (sqlite3_step(set) != SQLITE_DONE)
            goto fail;
    }
    if ((rc = conn_exec(c, "COMMIT", err)) < 0)
        goto fail_rolled;
    atomic_fetch_add(&s->search_indexed, (uint64_t)n);
    atomic_store(&s->indexed_to, to);
    maxid = scalar(c, ST_MAX_ID); /* also sees records written by other processes */
    store_note_max_id(s, maxid);
    return n;
fail:
    rc = db_error(c->db, err, "index records");
fail_rolled:
    conn_exec(c, "ROLLBACK", NULL);
    return rc;
}

long store_search_catch_up(struct store *s, struct kerr *err)
{
    struct conn *c;
    long total = 0, n;
    if (conn_open(s, &c, CONN_INDEXER, err) < 0)
        return KERR_IO;
    for (;;) {
        pthread_mutex_lock(&s->index_lock);
        n = search_step(s, c, 20000, err);
        pthread_mutex_unlock(&s->index_lock);
        if (n <= 0)
            break;
        total += n;
    }
    while (n >= 0 && s->segdict) {
        pthread_mutex_lock(&s->index_lock);
        n = search_words_step(s, c, 20000, err);
        pthread_mutex_unlock(&s->index_lock);
        if (n <= 0)
            break;
    }
    conn_close(c);
    return n < 0 ? n : total;
}

/* ---- word search --------------------------------------------------------------- */

int store_set_segdict(struct store *s, const struct segdict *d, struct kerr *err)
{
    struct conn *c;
    int rc;
    s->segdict = d;
    /* pooled readers were opened without the word tokenizer */
    pthread_mutex_lock(&s->plock);
    while (s->nidle > 0)
        conn_close(s->idle[--s->nidle]);
    pthread_mutex_unlock(&s->plock);
    if ((rc = conn_open(s, &c, CONN_INDEXER, err)) < 0)
        return rc;
    /* a new table starts at record 0: the indexer builds it from all records */
    rc = conn_exec(c,
                   "CREATE VIRTUAL TABLE IF NOT EXISTS s.fts_w USING fts5(title, text,"
                   " tokenize='kesu_seg');"
                   "INSERT OR IGNORE INTO s.search_state VALUES('indexed_to_w', 0);",
                   err);
    conn_close(c);
    return rc;
}

long search_words_step(struct store *s, struct conn *c, int max_rows, struct kerr *err)
{
    sqlite3_stmt *st = NULL, *rows = NULL, *add = NULL;
    int64_t from = 0, to;
    long n = 0;
    int rc;
    (void)s;
    if ((rc = conn_exec(c, "BEGIN", err)) < 0)
        return rc;
    if (sqlite3_prepare_v2(c->db, "SELECT v FROM s.search_state WHERE k='indexed_to_w'", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto fail;
    from = to = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT id,coalesce(title,''),text FROM feedback WHERE id>? ORDER BY id"
                           " LIMIT ?",
                           -1, &rows, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c->db, "INSERT INTO s.fts_w(rowid,title,text) VALUES(?,?,?)", -1, &add,
                           NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(rows, 1, from);
    sqlite3_bind_int(rows, 2, max_rows);
    while ((rc = sqlite3_step(rows)) == SQLITE_ROW) {
        to = sqlite3_column_int64(rows, 0);
        sqlite3_bind_int64(add, 1, to);
        sqlite3_bind_value(add, 2, sqlite3_column_value(rows, 1));
        sqlite3_bind_value(add, 3, sqlite3_column_value(rows, 2));
        if (sqlite3_step(add) != SQLITE_DONE)
            goto fail;
        sqlite3_reset(add);
        n++;
    }
    if (rc != SQLITE_DONE)
        goto fail;
    if (n > 0) {
        if (sqlite3_prepare_v2(c->db, "UPDATE s.search_state SET v=? WHERE k='indexed_to_w'", -1,
                               &st, NULL) != SQLITE_OK)
            goto fail;
        sqlite3_bind_int64(st, 1, to);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto fail;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(rows);
    sqlite3_finalize(add);
    st = rows = add = NULL;
    if ((rc = conn_exec(c, "COMMIT", err)) < 0) {
        conn_exec(c, "ROLLBACK", NULL);
        return rc;
    }
    return n;
fail:
    rc = db_error(c->db, err, "index words");
    sqlite3_finalize(st);
    sqlite3_finalize(rows);
    sqlite3_finalize(add);
    conn_exec(c, "ROLLBACK", NULL);
    return rc;
}

/* Waits up to ms milliseconds or until the store is stopping; returns true when stopping. */
static bool nap(struct store *s, int ms)
{
    struct timespec ts;
    bool stop;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->bglock);
    if (!s->stopping && ms > 0)
        pthread_cond_timedwait(&s->bgcond, &s->bglock, &ts);
    stop = s->stopping;
    pthread_mutex_unlock(&s->bglock);
    return stop;
}

void *search_main(void *arg)
{
    struct store *s = arg;
    struct conn *c;
    struct kerr err;

    pthread_setname_np(pthread_self(), "kesu-indexer");
    if (conn_open(s, &c, CONN_INDEXER, &err) < 0) {
        log_error("search indexer cannot start: %s", err.message);
        return NULL;
    }
    /* Indexing uses spare CPU only: under full intake load it falls behind (the lag is
     * exported) and catches up when the load eases, instead of slowing intake down. */
    {
        struct sched_param sp = {0};
        if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp) != 0 &&
            setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) < 0)
            log_warn("search indexer: cannot lower its priority");
    }
    for (;;) {
        pthread_mutex_lock(&s->index_lock);
        long n = search_step(s, c, INDEX_BATCH, &err);
        pthread_mutex_unlock(&s->index_lock);
        if (n < 0)
            log_warn("search indexer: %s", err.message);
        if (n >= 0 && s->segdict) { /* then the same records by words */
            pthread_mutex_lock(&s->index_lock);
            long m = search_words_step(s, c, INDEX_BATCH, &err);
            pthread_mutex_unlock(&s->index_lock);
            if (m < 0)
                log_warn("search indexer (words): %s", err.message);
            if (m == INDEX_BATCH)
                n = INDEX_BATCH;
        }
        if (n == INDEX_BATCH) {
            if (nap(s, 0))
                break;
            continue;
        }
        if (nap(s, n < 0 ? 1000 : 100))
            break;
    }
    conn_close(c);
    return NULL;
}

void *checkpoint_main(void *arg)
{
    struct store *s = arg;
    struct conn *c;
    struct kerr err;

    pthread_setname_np(pthread_self(), "kesu-checkpoint");
    if (conn_open(s, &c, CONN_INDEXER, &err) < 0) {
        log_error("checkpointer cannot start: %s", err.message);
        return NULL;
    }
    while (!nap(s, 1000)) {
        sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        sqlite3_wal_checkpoint_v2(c->db, "s", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    }
    conn_close(c);
    return NULL;
}
