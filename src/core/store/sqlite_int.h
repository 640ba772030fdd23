/*
 * sqlite_int.h: what the SQLite backend's files share and nobody else sees:
 * connections with a cache of prepared statements, the store struct, and
 * the helpers the repo files (feedback.c, apikey.c, search.c, writer.c) use.
 */
#ifndef KESU_SQLITE_INT_H
#define KESU_SQLITE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include <sqlite3.h>

#include "store/capa.h"
#include "store/db.h"

/* Statements prepared once per connection. SQL text in sqlite.c. */
enum stmt_id {
    ST_INSERT,
    ST_EVENT,
    ST_FIND_EXTERNAL,
    ST_FIND_IDEMPOTENCY,
    ST_GET,
    ST_EVENTS,
    ST_CREATED,
    ST_COUNT_ADD,
    ST_COUNTS,
    ST_APIKEY_INSERT,
    ST_APIKEY_FIND,
    ST_APIKEY_LIST,
    ST_APIKEY_REVOKE,
    ST_SESSION_FIND,
    ST_MAX_ID,
    ST_SEARCH_STATE,
    ST_SEARCH_ADD,
    ST_SEARCH_SET,
    ST_SEARCH_ROWS,
    ST_DEV_FIND,
    ST_DEV_INSERT,
    ST_DEV_OPEN_CASE,
    ST_DEV_WINDOW,
    ST_DEV_ATTACH,
    ST_DEV_ATTACH_WINDOW,
    ST_DEV_LIST,
    ST_RECEIPT_INSERT,
    ST_RECEIPT_GET,
    ST_RECEIPT_OF,
    ST_REPEAT_ADD,
    ST_REJECT_ADD,
    ST_AUDIT_ADD,
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST__COUNT
};

struct dedup;

struct conn {
    struct store *s;
    sqlite3 *db;
    sqlite3_stmt *stmt[ST__COUNT];
    /* ST_INSERT parameters now bound to a value (not NULL): a record leaves most of its
     * fields absent, and binding NULL again over NULL costs more than the test */
    unsigned char insert_bound[128];
    /* rollup upserts (stats.c): one row, and RU_ROWS rows in one statement */
    sqlite3_stmt *ru_upsert[2];
};

#define STORE_POOL_MAX 32

struct store {
    const struct segdict *segdict; /* word search (fts_w), or NULL */
    char *dir;
    char *main_path;
    char *search_path;

    /* the writer connection, used by the writer thread or under wlock */
    struct conn *wconn;
    pthread_mutex_t wlock;

    /* idle reader connections */
    pthread_mutex_t plock;
    struct conn *idle[STORE_POOL_MAX];
    int nidle;

    /* group commit */
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    struct store_job *qhead, *qtail;
    bool started, stopping;
    bool delay_wanted; /* the writer is waiting for more jobs (qlock) */
    unsigned bg;       /* STORE_BG_* running */
    pthread_t writer, indexer, checkpointer;
    pthread_mutex_t bglock;
    pthread_cond_t bgcond;

    /* durability: committed batches wait here for the WAL fdatasync (see writer.c) */
    int wal_fd;
    pthread_t syncer;
    pthread_mutex_t slock;
    pthread_cond_t scond;
    struct store_job *shead, *stail;
    bool sync_stop;

    /* duplicates: the writer's in-memory index (dedup.c), under wlock */
    struct dedup *dedup;
    /* the audit chain's last entry (audit.c), under wlock; reloaded after a rollback */
    bool audit_loaded;
    int64_t audit_id;
    unsigned char audit_head[32];
    /* daily rollups (stats.c), under wlock: the running job's deltas and the batch's */
    struct rollup *ru_job, *ru_batch;
    /* case rollups (case_stats.c), under wlock */
    struct case_stats *cs;
    /* the stats cube (cube.c); the writer's notes under wlock */
    struct cube *cube;

    /* the closed loop's writer-side caches (loop.c), under wlock */
    struct loop_cache *loop;
    /* held by the indexer while it indexes and by erasure while it removes records from the
     * index, so that nothing is indexed from text read before it was erased (lifecycle.c) */
    pthread_mutex_t index_lock;

    /* return-visit survey rules (survey.c), under wlock */
    struct store_survey_conf survey;
    bool survey_set;

    atomic_uint_fast64_t commits, jobs, records, search_indexed, syncs;
    atomic_int_fast64_t queue_depth;
    atomic_int_fast64_t max_id;     /* highest committed record id (writer, indexer) */
    atomic_int_fast64_t indexed_to; /* highest id in the search index (indexer) */
};

/*
 * Connection kinds. The writer sees only kesu.db, so its transactions never
 * lock search.db; readers and the indexer attach search.db as "s". The
 * indexer writes only to s, in deferred transactions, so it never takes
 * kesu.db's write lock.
 */
enum conn_kind { CONN_WRITER, CONN_READER, CONN_INDEXER };
int conn_open(struct store *s, struct conn **out, enum conn_kind kind, struct kerr *err);
void conn_close(struct conn *c);
/* The statement id, prepared on first use, reset and unbound. NULL on error (logged). */
sqlite3_stmt *conn_stmt(struct conn *c, enum stmt_id id);
int conn_exec(struct conn *c, const char *sql, struct kerr *err);
/* Steps a cached statement that returns no rows (BEGIN, SAVEPOINT, ...). */
int conn_step(struct conn *c, enum stmt_id id, struct kerr *err);

/* Borrow and return a reader connection. */
struct conn *store_reader(struct store *s, struct kerr *err);
void store_reader_put(struct store *s, struct conn *c);

/* Fills e from the connection's last error; returns rc (KERR_IO unless given). */
int db_error(sqlite3 *db, struct kerr *e, const char *what);

/* feedback.c: columns in SELECT order and reading a row into a record. */
const char *feedback_columns(void); /* "f.id,f.channel,..." */
void feedback_row(sqlite3_stmt *st, int first_col, struct record *r);
int feedback_insert_one(struct conn *c, struct record *r, const char *actor,
                        struct store_insert_result *res, struct kerr *err);
int device_event_apply(struct conn *c, const struct store_device_event *ev,
                       const struct store_device_rule *rule, const char *actor, int64_t now,
                       struct store_device_result *res, struct kerr *err);
int receipt_insert(struct conn *c, const char *receipt, const char *form, int64_t feedback_id,
                   struct kerr *err);
/* Duplicates (dedup.c), under the writer lock: before an insert, sets r->duplicate_of and
 * quality bits; after it, adds r to the index and raises the original's repeat count. */
int dedup_check(struct store *s, struct conn *c, struct record *r, struct kerr *err);
int dedup_added(struct store *s, struct conn *c, const struct record *r, const char *actor,
                int64_t now, struct kerr *err);
/* Drops the index (after a rollback); it reloads from the database on next use. */
void dedup_forget(struct store *s);
void dedup_free(struct dedup *d);
/* Appends an audit entry in the writer's current transaction (audit.c). */
int audit_append(struct conn *c, const struct store_audit *a, struct kerr *err);
/* A timeline event without field/before/after (e.g. pii_reveal with its reason as note). */
int feedback_add_event(struct conn *c, int64_t id, int64_t at, const char *actor, const char *kind,
                       const char *note, struct kerr *err);
/* store/nlp.c: writes records' analysis results (STORE_JOB_ANALYSIS). */
int feedback_set_analysis(struct conn *c, const struct record *recs, size_t n, struct kerr *err);
int feedback_patch(struct conn *c, int64_t id, struct store_patch *p, const char *actor,
                   int64_t now, struct kerr *err);

/* loop.c (store/loop.h): a status change through the lifecycle table, and what happens to a
 * record just inserted (routing, assignment, SLA clock); both in the writer's transaction. */
struct loop_cache;
int loop_patch_status(struct conn *c, int64_t id, const char *to, const char *note,
                      const char *actor, int64_t now, struct kerr *err);
int loop_on_insert(struct conn *c, struct record *r, const char *actor, int64_t now,
                   struct kerr *err);
void loop_cache_free(struct loop_cache *lc);
void loop_cache_forget(struct store *s);
/* stats.c: rollup deltas. rollup_add_record adds (sign 1) or takes away (-1) what record r
 * counts in the rollups; rollup_flush writes a map's deltas in the current transaction. */
struct rollup;
struct rollup *rollup_new(void);
void rollup_reset(struct rollup *ru);
void rollup_free(struct rollup *ru);
/* The cube a map's records are also noted to (cube_note), or NULL. */
void rollup_set_cube(struct rollup *ru, struct cube *cb);
void rollup_merge(struct rollup *into, const struct rollup *from);
void rollup_add_record(struct rollup *ru, const struct record *r, int sign);
/* Whether a change of this field changes what a record counts in the rollups. */
bool rollup_field(const char *name);
int rollup_flush(struct conn *c, struct rollup *ru, struct kerr *err);
/* feedback.c: adds (1) or takes away (-1) the stored record's rollup counts; called around an
 * UPDATE of its dimension fields made outside feedback_patch (routing, transfer, merge,
 * escalation, reclassification), in the writer's transaction. */
int feedback_rollup_id(struct conn *c, int64_t id, int sign, struct kerr *err);
/* case_stats.c: the case rollups (stats_cases). A change of anything a case counts (its
 * record, its SLA row, its survey answers, its transfers) marks the case with
 * case_stats_dirty, before or after the change, in the writer's job; when the job succeeds
 * the writer calls case_stats_job_end, which takes away what each marked case counted (kept
 * in stats_case_view) and adds what it counts now; the batch's deltas are written by
 * case_stats_flush before the commit. */
struct case_stats;
struct case_stats *case_stats_new(void);
void case_stats_free(struct case_stats *cs);
void case_stats_dirty(struct conn *c, int64_t id);
/* A case just inserted by the job: its view comes from r (as bound) unless something else
 * in the job marks it too. */
void case_stats_inserted(struct conn *c, const struct record *r);
int case_stats_job_end(struct conn *c, struct kerr *err);
void case_stats_job_reset(struct case_stats *cs);
int case_stats_flush(struct conn *c, struct kerr *err);
void case_stats_batch_reset(struct case_stats *cs);
/* Recomputes stats_cases and stats_case_view from the records, in the caller's transaction on
 * the writer's connection. */
int case_stats_rebuild(struct conn *c, struct kerr *err);

/* report_delivery.c: queues a pending delivery of report_id to each recipient of to, on the
 * writer connection inside the caller's transaction. */
int report_deliveries_queue(struct conn *c, int64_t report_id, const struct store_report_to *to,
                            int64_t now, struct kerr *err);
/* The SELECT of one case's metric inputs (alias f for feedback), and its row reader. */
#define CASE_STATS_COLS                                                                            \
    "f.id,f.received_at,f.acknowledged_at,f.assigned_at,f.responded_at,f.resolved_at,"             \
    "f.closed_at,f.reopened_at,f.duplicate_of,f.repeat_count,f.status,f.assignee,f.team,"          \
    "f.sentiment,"                                                                                 \
    "CASE WHEN f.closed_at IS NULL THEN 0 ELSE "                                                   \
    "(SELECT count(*) FROM feedback_events e WHERE e.feedback_id=f.id AND "                        \
    " (e.kind='transfer' OR (e.field IN ('assignee','team') AND e.before IS NOT NULL))) END,"      \
    "(SELECT breached FROM case_sla c WHERE c.feedback_id=f.id),"                                  \
    "(SELECT avg(csat) FROM surveys v WHERE v.feedback_id=f.id AND v.csat IS NOT NULL)"
void case_stats_row(sqlite3_stmt *st, struct store_case *k);

/* writer.c: runs jobs in one transaction on the writer connection, durably; wlock held. */
void writer_run_batch(struct store *s, struct store_job *jobs);
/* Makes every commit so far durable (fdatasync of the WAL). */
int wal_sync(struct store *s, struct kerr *err);
void *writer_main(void *arg);
void *syncer_main(void *arg);

/* search.c */
int search_open(struct store *s, struct kerr *err);
/* Indexes words of up to max_rows records not yet in fts_w; rows indexed or < 0. */
long search_words_step(struct store *s, struct conn *c, int max_rows, struct kerr *err);
long search_step(struct store *s, struct conn *c, int max_rows, struct kerr *err);
void *search_main(void *arg);
void *checkpoint_main(void *arg);

/* Raises s->max_id to id if higher (the search lag is max_id - indexed_to). */
static inline void store_note_max_id(struct store *s, int64_t id)
{
    int_fast64_t cur = atomic_load(&s->max_id);
    while (id > cur && !atomic_compare_exchange_weak(&s->max_id, &cur, id))
        ;
}

#endif
