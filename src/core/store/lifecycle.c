/*
 * lifecycle.c: the SQL of the data lifecycle: consistent copies for backup,
 * erasure of personal data (by customer or by retention), deletion of old
 * closed records, the cold-archive index and audit-log pruning. The files
 * (archive frames, backup bundles) are handled in src/core/lifecycle/.
 *
 * Erasure leaves no copy behind in the files: the writer and indexer
 * connections run with secure_delete (freed space is zeroed), the search
 * index is optimized (rewritten without the deleted entries), and both
 * databases' WAL files are checkpointed and truncated afterwards.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

/* What erasure leaves of a record: statistics (channel, product, store, region, categories,
 * severity, sentiment, rating, status, times) stay; whatever speaks of the person goes. */
#define ERASED_TEXT "[已删除]"
#define ERASE_SET                                                                                  \
    "customer_id=NULL,customer_name=NULL,phone=NULL,email=NULL,order_no=NULL,title=NULL,"          \
    "text='" ERASED_TEXT "',clean_text=NULL,keywords=NULL,attachments=NULL,extra=NULL,"            \
    "pii_vault=NULL,idempotency_key=NULL,pii_erased_at=?1,updated_at=?1"

void store_customer_key(const char *customer_id, char out[STORE_CUSTOMER_KEY_LEN])
{
    unsigned char h[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)"kesu-customer-1:", 16);
    crypto_generichash_update(&st, (const unsigned char *)customer_id, strlen(customer_id));
    crypto_generichash_final(&st, h, sizeof h);
    sodium_bin2hex(out, STORE_CUSTOMER_KEY_LEN, h, sizeof h);
}

/* ---- ids ------------------------------------------------------------------ */

void store_ids_add(struct store_ids *ids, int64_t id)
{
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? 2 * ids->cap : 64;
        ids->v = xrealloc(ids->v, ids->cap * sizeof(*ids->v));
    }
    ids->v[ids->n++] = id;
}

void store_ids_release(struct store_ids *ids)
{
    free(ids->v);
    memset(ids, 0, sizeof(*ids));
}

static int collect_ids(sqlite3 *db, const char *sql, const char *text, int64_t num,
                       struct store_ids *out, struct kerr *err)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(db, err, "prepare lifecycle query");
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, num);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        store_ids_add(out, sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_error(db, err, "lifecycle query");
}

static int exec_id(sqlite3 *db, const char *sql, int64_t a, int64_t b, struct kerr *err)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(db, err, "prepare lifecycle change");
    sqlite3_bind_int64(st, 1, a);
    if (sqlite3_bind_parameter_count(st) > 1)
        sqlite3_bind_int64(st, 2, b);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_error(db, err, "lifecycle change");
}

/* ---- backup ------------------------------------------------------------- */

int store_backup_db(struct store *s, const char *main_out, const char *search_out, struct kerr *err)
{
    struct conn *c;
    sqlite3_stmt *st;
    int rc;
    if ((rc = conn_open(s, &c, CONN_INDEXER, err)) < 0)
        return rc;
    /* the search index first: then it never names a record the copy of kesu.db lacks, and
     * the indexer catches up from its indexed_to after a restore. VACUUM INTO writes a
     * compact copy of one consistent snapshot, without the free pages of the original. */
    for (int i = 0; i < 2 && rc == 0; i++) {
        const char *sql = i == 0 ? "VACUUM s INTO ?" : "VACUUM main INTO ?";
        if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
            rc = db_error(c->db, err, "prepare backup");
            break;
        }
        sqlite3_bind_text(st, 1, i == 0 ? search_out : main_out, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_error(c->db, err, "copy database");
        sqlite3_finalize(st);
    }
    conn_close(c);
    return rc;
}

/* ---- the search index and the files after erasure ---------------------------------- */

static bool table_exists(sqlite3 *db, const char *schema, const char *name)
{
    char sql[96];
    sqlite3_stmt *st;
    bool yes;
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s.sqlite_master WHERE name=?", schema);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* Removes records from the search index for good (optimize rewrites it without them), then
 * truncates both WAL files. Called with s->index_lock held. */
static int scrub_files(struct store *s, const struct store_ids *ids, struct kerr *err)
{
    struct conn *c;
    sqlite3_stmt *st = NULL;
    int rc;
    if ((rc = conn_open(s, &c, CONN_INDEXER, err)) < 0)
        return rc;
    if (ids->n) {
        if ((rc = conn_exec(c, "BEGIN IMMEDIATE", err)) < 0)
            goto out;
        /* the substring index, and the word index (fts_w) where kesu_seg built one */
        static const char *const tables[] = {"fts", "fts_w"};
        for (size_t t = 0; t < sizeof tables / sizeof tables[0] && rc == 0; t++) {
            char sql[96];
            snprintf(sql, sizeof sql, "DELETE FROM s.%s WHERE rowid=?", tables[t]);
            if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
                if (t > 0 && !table_exists(c->db, "s", tables[t]))
                    continue; /* no word index */
                if (t > 0)    /* it is there, but this process has no segmenter for it */
                    rc = kerr_set(err, KERR_IO, "io_error", NULL,
                                  "the word search index cannot be changed without kesu's "
                                  "segmenter dictionary (setting seg_dict): %s",
                                  sqlite3_errmsg(c->db));
                else
                    rc = db_error(c->db, err, "prepare index delete");
                break;
            }
            for (size_t i = 0; i < ids->n && rc == 0; i++) {
                sqlite3_bind_int64(st, 1, ids->v[i]);
                if (sqlite3_step(st) != SQLITE_DONE)
                    rc = db_error(c->db, err, "delete from search index");
                sqlite3_reset(st);
            }
            sqlite3_finalize(st);
            st = NULL;
            snprintf(sql, sizeof sql, "INSERT INTO s.%s(%s) VALUES('optimize')", tables[t],
                     tables[t]);
            if (rc == 0)
                rc = conn_exec(c, sql, err);
        }
        if (rc == 0)
            rc = conn_exec(c, "COMMIT", err);
        else
            conn_exec(c, "ROLLBACK", NULL);
        if (rc < 0)
            goto out;
    }
    sqlite3_wal_checkpoint_v2(c->db, "s", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
out:
    conn_close(c);
    return rc;
}

/* ---- erasure ------------------------------------------------------------ */

struct erase_job {
    const char *customer_id; /* by customer, or */
    int64_t closed_before;   /* by retention: closed before this time */
    const struct store_audit *audit;
    const char *reason;
    int64_t archived;
    struct store_ids ids;
};

static int erase_call(struct conn *c, void *arg, struct kerr *err)
{
    struct erase_job *j = arg;
    int64_t now = clock_now_ms();
    int rc;
    char sql[1024];

    if (j->customer_id)
        rc = collect_ids(c->db, "SELECT id FROM feedback WHERE customer_id=?", j->customer_id, 0,
                         &j->ids, err);
    else
        rc = collect_ids(c->db,
                         "SELECT id FROM feedback WHERE closed_at IS NOT NULL AND closed_at<?"
                         " AND status IN ('closed','closed_unaccepted') AND pii_erased_at IS NULL",
                         NULL, j->closed_before, &j->ids, err);
    if (rc < 0)
        return rc;
    snprintf(sql, sizeof sql, "UPDATE feedback SET " ERASE_SET " WHERE id=?2");
    for (size_t i = 0; i < j->ids.n; i++)
        if ((rc = exec_id(c->db, sql, now, j->ids.v[i], err)) < 0 ||
            (rc = exec_id(c->db,
                          "UPDATE surveys SET customer_id=NULL,comment=NULL,answers=NULL"
                          " WHERE feedback_id=?",
                          j->ids.v[i], 0, err)) < 0 ||
            (rc = exec_id(c->db, "UPDATE case_comments SET body='[已删除]' WHERE feedback_id=?",
                          j->ids.v[i], 0, err)) < 0)
            return rc;
    if (j->customer_id) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(c->db,
                               "UPDATE surveys SET customer_id=NULL,comment=NULL,answers=NULL"
                               " WHERE customer_id=?",
                               -1, &st, NULL) != SQLITE_OK)
            return db_error(c->db, err, "prepare survey erasure");
        sqlite3_bind_text(st, 1, j->customer_id, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, "erase surveys");
        sqlite3_finalize(st);
        if (rc < 0)
            return rc;
    }
    if (j->customer_id) {
        char key[STORE_CUSTOMER_KEY_LEN];
        sqlite3_stmt *st;
        store_customer_key(j->customer_id, key);
        if (sqlite3_prepare_v2(c->db,
                               "INSERT INTO erasures(customer_key,at,actor,reason,records,archived)"
                               " VALUES(?,?,?,?,?,?)",
                               -1, &st, NULL) != SQLITE_OK)
            return db_error(c->db, err, "prepare erasure");
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_text(st, 3, j->audit && j->audit->actor ? j->audit->actor : "system", -1,
                          SQLITE_STATIC);
        sqlite3_bind_text(st, 4, j->reason ? j->reason : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (int64_t)j->ids.n);
        sqlite3_bind_int64(st, 6, j->archived);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, "record erasure");
        sqlite3_finalize(st);
        if (rc < 0)
            return rc;
    }
    dedup_forget(c->s); /* it may remember the erased texts' fingerprints */
    if (j->audit) {
        struct strbuf detail = STRBUF_INIT;
        struct jsonw w;
        struct store_audit a = *j->audit;
        jsonw_init(&w, &detail);
        jsonw_obj(&w);
        if (j->reason)
            jsonw_kstr(&w, "reason", j->reason);
        jsonw_kint(&w, "records", (int64_t)j->ids.n);
        jsonw_kint(&w, "archived", j->archived);
        if (!j->customer_id) {
            char ts[CLOCK_FMT_MAX];
            jsonw_kstr(&w, "closed_before", clock_format(j->closed_before, ts));
        }
        jsonw_end(&w);
        a.detail = detail.buf;
        rc = audit_append(c, &a, err);
        strbuf_release(&detail);
    }
    return rc;
}

struct call_adapter {
    int (*fn)(struct conn *, void *, struct kerr *);
    void *arg;
};

static int adapt_call(struct store_job *job, void *tx, int64_t now)
{
    struct call_adapter *a = job->ctx;
    (void)now;
    return a->fn(tx, a->arg, &job->err);
}

static int run_call(struct store *s, int (*fn)(struct conn *, void *, struct kerr *), void *arg,
                    const char *actor, struct kerr *err)
{
    struct store_job job = {0};
    struct call_adapter a = {fn, arg};
    job.kind = STORE_JOB_CALL;
    job.actor = actor;
    job.call = adapt_call;
    job.ctx = &a;
    if (store_run(s, &job) < 0) {
        if (err)
            *err = job.err;
        return job.rc;
    }
    return 0;
}

static int erase(struct store *s, struct erase_job *j, int64_t *records, struct kerr *err)
{
    int rc;
    pthread_mutex_lock(&s->index_lock);
    rc = run_call(s, erase_call, j, j->audit ? j->audit->actor : "system", err);
    if (rc == 0)
        rc = scrub_files(s, &j->ids, err);
    pthread_mutex_unlock(&s->index_lock);
    if (records)
        *records = (int64_t)j->ids.n;
    store_ids_release(&j->ids);
    return rc;
}

int store_erase_customer(struct store *s, const char *customer_id, const char *reason,
                         int64_t archived, const struct store_audit *audit, int64_t *records,
                         struct kerr *err)
{
    struct erase_job j = {0};
    j.customer_id = customer_id;
    j.reason = reason;
    j.archived = archived;
    j.audit = audit;
    return erase(s, &j, records, err);
}

int store_erase_closed_before(struct store *s, int64_t closed_before,
                              const struct store_audit *audit, int64_t *records, struct kerr *err)
{
    struct erase_job j = {0};
    j.closed_before = closed_before;
    j.audit = audit;
    return erase(s, &j, records, err);
}

/* ---- what refers to a record ---------------------------------------------------------- */

/* Per-case rows of other tables that go (or, for device events, let go) with a record when it
 * is archived or deleted; the archive keeps a copy of them (store_feedback_related). */
/* every table that refers to a record (keep in step with the migrations) */
static const char *const related_tables[] = {"case_sla",      "surveys",       "form_receipts",
                                             "device_events", "case_comments", "case_subtasks",
                                             "case_tags"};

static int delete_dependents(struct conn *c, int64_t id)
{
    static const char *const sql[] = {
        "DELETE FROM case_sla WHERE feedback_id=?",
        "DELETE FROM surveys WHERE feedback_id=?",
        "DELETE FROM form_receipts WHERE feedback_id=?",
        "DELETE FROM case_mentions WHERE feedback_id=?",
        "DELETE FROM case_comments WHERE feedback_id=?",
        "DELETE FROM case_subtasks WHERE feedback_id=?",
        "DELETE FROM case_tags WHERE feedback_id=?",
        "DELETE FROM case_links WHERE a=?1 OR b=?1",
        "UPDATE device_events SET feedback_id=NULL WHERE feedback_id=?",
        "DELETE FROM feedback_events WHERE feedback_id=?",
    };
    for (size_t i = 0; i < sizeof sql / sizeof sql[0]; i++)
        if (exec_id(c->db, sql[i], id, 0, NULL) < 0)
            return -1;
    return 0;
}

int store_feedback_related(struct store *s, int64_t id, struct jsonw *w, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    int rc = 0;
    if (!c)
        return KERR_IO;
    jsonw_obj(w);
    for (size_t t = 0; t < sizeof related_tables / sizeof related_tables[0] && rc == 0; t++) {
        char sql[128];
        sqlite3_stmt *st;
        int step;
        snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE feedback_id=?", related_tables[t]);
        if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
            continue; /* a schema without that table */
        sqlite3_bind_int64(st, 1, id);
        bool any = false;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            if (!any) {
                jsonw_key(w, related_tables[t]);
                jsonw_arr(w);
                any = true;
            }
            jsonw_obj(w);
            for (int i = 0; i < sqlite3_column_count(st); i++) {
                jsonw_key(w, sqlite3_column_name(st, i));
                switch (sqlite3_column_type(st, i)) {
                case SQLITE_NULL:
                    jsonw_null(w);
                    break;
                case SQLITE_INTEGER:
                    jsonw_int(w, sqlite3_column_int64(st, i));
                    break;
                case SQLITE_FLOAT:
                    jsonw_double(w, sqlite3_column_double(st, i));
                    break;
                default:
                    jsonw_strn(w, (const char *)sqlite3_column_text(st, i),
                               (size_t)sqlite3_column_bytes(st, i));
                }
            }
            jsonw_end(w);
        }
        if (any)
            jsonw_end(w);
        if (step != SQLITE_DONE)
            rc = db_error(c->db, err, "read related rows");
        sqlite3_finalize(st);
    }
    jsonw_end(w);
    store_reader_put(s, c);
    return rc;
}

/* ---- deletion of old closed records --------------------------------------------- */

struct delete_job {
    int64_t closed_before;
    const struct store_audit *audit;
    struct store_ids ids; /* deleted */
    int64_t kept;         /* referenced by other records: left in place */
};

/* Deletes record id with its timeline, inside a savepoint; *gone false when something else
 * still refers to it (a foreign key), which leaves it in place. */
static int delete_record(struct conn *c, int64_t id, bool *gone, struct kerr *err)
{
    int rc;
    *gone = false;
    if ((rc = conn_exec(c, "SAVEPOINT del", err)) < 0)
        return rc;
    if (delete_dependents(c, id) == 0 &&
        exec_id(c->db, "DELETE FROM feedback WHERE id=?", id, 0, NULL) == 0) {
        *gone = true;
    } else {
        conn_exec(c, "ROLLBACK TO del", NULL);
    }
    return conn_exec(c, "RELEASE del", err);
}

static int delete_call(struct conn *c, void *arg, struct kerr *err)
{
    struct delete_job *j = arg;
    struct store_ids cand = {0};
    int rc = collect_ids(c->db,
                         "SELECT id FROM feedback WHERE closed_at IS NOT NULL AND closed_at<?"
                         " AND status IN ('closed','closed_unaccepted')",
                         NULL, j->closed_before, &cand, err);
    /* newest first: a duplicate goes before the original it points to */
    for (size_t i = cand.n; i-- > 0 && rc == 0;) {
        bool gone;
        if ((rc = delete_record(c, cand.v[i], &gone, err)) == 0) {
            if (gone)
                store_ids_add(&j->ids, cand.v[i]);
            else
                j->kept++;
        }
    }
    store_ids_release(&cand);
    if (rc == 0 && j->audit) {
        struct strbuf detail = STRBUF_INIT;
        struct jsonw w;
        struct store_audit a = *j->audit;
        char ts[CLOCK_FMT_MAX];
        jsonw_init(&w, &detail);
        jsonw_obj(&w);
        jsonw_kstr(&w, "closed_before", clock_format(j->closed_before, ts));
        jsonw_kint(&w, "deleted", (int64_t)j->ids.n);
        jsonw_kint(&w, "kept_referenced", j->kept);
        jsonw_end(&w);
        a.detail = detail.buf;
        rc = audit_append(c, &a, err);
        strbuf_release(&detail);
    }
    if (rc == 0)
        dedup_forget(c->s);
    return rc;
}

int store_delete_closed_before(struct store *s, int64_t closed_before,
                               const struct store_audit *audit, int64_t *deleted, int64_t *kept,
                               struct kerr *err)
{
    struct delete_job j = {0};
    int rc;
    j.closed_before = closed_before;
    j.audit = audit;
    pthread_mutex_lock(&s->index_lock);
    rc = run_call(s, delete_call, &j, audit ? audit->actor : "system", err);
    if (rc == 0)
        rc = scrub_files(s, &j.ids, err);
    pthread_mutex_unlock(&s->index_lock);
    *deleted = (int64_t)j.ids.n;
    *kept = j.kept;
    store_ids_release(&j.ids);
    return rc;
}

/* ---- cold archive ------------------------------------------------------------ */

int store_archive_candidates(struct store *s, int64_t closed_before, int64_t after_id, int limit,
                             struct store_ids *out, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT id FROM feedback WHERE closed_at IS NOT NULL AND closed_at<?1"
                           " AND status IN ('closed','closed_unaccepted') AND id>?3"
                           " ORDER BY id LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare archive candidates");
        store_reader_put(s, c);
        return rc;
    }
    sqlite3_bind_int64(st, 1, closed_before);
    sqlite3_bind_int(st, 2, limit);
    sqlite3_bind_int64(st, 3, after_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        store_ids_add(out, sqlite3_column_int64(st, 0));
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read archive candidates");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

struct archive_job {
    const char *file;
    struct store_archive_entry *e;
    size_t n;
    const struct store_audit *audit;
    struct store_ids moved;
};

static int archive_call(struct conn *c, void *arg, struct kerr *err)
{
    struct archive_job *j = arg;
    int64_t now = clock_now_ms();
    sqlite3_stmt *ins = NULL;
    int rc = 0;
    int64_t kept = 0;

    if (sqlite3_prepare_v2(c->db,
                           "INSERT INTO archive_index(id,file,offset,length,channel,received_at,"
                           "closed_at,archived_at,customer_key,erased_at)"
                           " SELECT id,?2,?3,?4,channel,received_at,closed_at,?5,?6,pii_erased_at"
                           " FROM feedback WHERE id=?1",
                           -1, &ins, NULL) != SQLITE_OK)
        return db_error(c->db, err, "prepare archive index");
    for (size_t i = j->n; i-- > 0 && rc == 0;) { /* newest first, as delete_call */
        struct store_archive_entry *e = &j->e[i];
        bool gone = false;
        char key[STORE_CUSTOMER_KEY_LEN];
        if ((rc = conn_exec(c, "SAVEPOINT arch", err)) < 0)
            break;
        sqlite3_bind_int64(ins, 1, e->id);
        sqlite3_bind_text(ins, 2, j->file, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 3, e->offset);
        sqlite3_bind_int64(ins, 4, e->length);
        sqlite3_bind_int64(ins, 5, now);
        if (e->customer_id) {
            store_customer_key(e->customer_id, key);
            sqlite3_bind_text(ins, 6, key, -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(ins, 6);
        }
        int step = sqlite3_step(ins);
        sqlite3_reset(ins);
        if (step == SQLITE_DONE && sqlite3_changes(c->db) == 1 &&
            delete_dependents(c, e->id) == 0 &&
            exec_id(c->db, "DELETE FROM feedback WHERE id=?", e->id, 0, NULL) == 0)
            gone = true;
        if (!gone) {
            conn_exec(c, "ROLLBACK TO arch", NULL);
            kept++;
        }
        e->moved = gone;
        if (gone)
            store_ids_add(&j->moved, e->id);
        rc = conn_exec(c, "RELEASE arch", err);
    }
    sqlite3_finalize(ins);
    if (rc == 0 && j->audit) {
        struct strbuf detail = STRBUF_INIT;
        struct jsonw w;
        struct store_audit a = *j->audit;
        jsonw_init(&w, &detail);
        jsonw_obj(&w);
        jsonw_kstr(&w, "file", j->file);
        jsonw_kint(&w, "moved", (int64_t)j->moved.n);
        jsonw_kint(&w, "kept_referenced", kept);
        jsonw_end(&w);
        a.detail = detail.buf;
        rc = audit_append(c, &a, err);
        strbuf_release(&detail);
    }
    if (rc == 0)
        dedup_forget(c->s);
    return rc;
}

int store_archive_commit(struct store *s, const char *file, struct store_archive_entry *e, size_t n,
                         const struct store_audit *audit, int64_t *moved, struct kerr *err)
{
    struct archive_job j = {file, e, n, audit, {0}};
    int rc;
    pthread_mutex_lock(&s->index_lock);
    rc = run_call(s, archive_call, &j, audit ? audit->actor : "system", err);
    if (rc == 0)
        rc = scrub_files(s, &j.moved, err);
    pthread_mutex_unlock(&s->index_lock);
    *moved = (int64_t)j.moved.n;
    store_ids_release(&j.moved);
    return rc;
}

int store_archive_find(struct store *s, int64_t id, struct store_archive_ref *out, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db, "SELECT file,offset,length FROM archive_index WHERE id=?", -1,
                           &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare archive lookup");
        store_reader_put(s, c);
        return rc;
    }
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->id = id;
        snprintf(out->file, sizeof out->file, "%s", (const char *)sqlite3_column_text(st, 0));
        out->offset = sqlite3_column_int64(st, 1);
        out->length = sqlite3_column_int64(st, 2);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no feedback with id %" PRId64, id);
    } else {
        rc = db_error(c->db, err, "read archive index");
    }
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_archive_refs(struct store *s, enum store_archive_select what, const char *key,
                       int64_t before, store_archive_ref_cb cb, void *arg, struct kerr *err)
{
    static const char *const sql[] = {
        [STORE_ARCHIVE_ALL] =
            "SELECT id,file,offset,length FROM archive_index ORDER BY file,offset",
        [STORE_ARCHIVE_FILE] =
            "SELECT id,file,offset,length FROM archive_index WHERE file=?1 ORDER BY offset",
        [STORE_ARCHIVE_CUSTOMER] = "SELECT id,file,offset,length FROM archive_index"
                                   " WHERE customer_key=?1 ORDER BY file,offset",
        [STORE_ARCHIVE_CLOSED_BEFORE] = "SELECT id,file,offset,length FROM archive_index"
                                        " WHERE closed_at<?2 ORDER BY file,offset",
        [STORE_ARCHIVE_PII_BEFORE] = "SELECT id,file,offset,length FROM archive_index"
                                     " WHERE closed_at<?2 AND erased_at IS NULL"
                                     " ORDER BY file,offset",
    };
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db, sql[what], -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare archive refs");
        store_reader_put(s, c);
        return rc;
    }
    if (key && sqlite3_bind_parameter_count(st) >= 1 && what != STORE_ARCHIVE_CLOSED_BEFORE &&
        what != STORE_ARCHIVE_PII_BEFORE)
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    if (what == STORE_ARCHIVE_CLOSED_BEFORE || what == STORE_ARCHIVE_PII_BEFORE)
        sqlite3_bind_int64(st, 2, before);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_archive_ref r;
        r.id = sqlite3_column_int64(st, 0);
        snprintf(r.file, sizeof r.file, "%s", (const char *)sqlite3_column_text(st, 1));
        r.offset = sqlite3_column_int64(st, 2);
        r.length = sqlite3_column_int64(st, 3);
        if (cb(arg, &r))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read archive refs");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

struct relocate_job {
    const char *old_file, *new_file;
    const struct store_archive_move *m;
    size_t n;
};

static int relocate_call(struct conn *c, void *arg, struct kerr *err)
{
    struct relocate_job *j = arg;
    int64_t now = clock_now_ms();
    int rc = 0;
    for (size_t i = 0; i < j->n && rc == 0; i++) {
        const struct store_archive_move *m = &j->m[i];
        sqlite3_stmt *st;
        const char *sql = m->dropped ? "DELETE FROM archive_index WHERE id=?1 AND file=?5"
                                     : "UPDATE archive_index SET file=?2,offset=?3,length=?4,"
                                       "erased_at=CASE WHEN ?6 THEN ?7 ELSE erased_at END,"
                                       "customer_key=CASE WHEN ?6 THEN NULL ELSE customer_key END"
                                       " WHERE id=?1 AND file=?5";
        if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
            return db_error(c->db, err, "prepare archive relocation");
        sqlite3_bind_int64(st, 1, m->id);
        sqlite3_bind_text(st, 5, j->old_file, -1, SQLITE_STATIC);
        if (!m->dropped) {
            sqlite3_bind_text(st, 2, j->new_file, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, m->offset);
            sqlite3_bind_int64(st, 4, m->length);
            sqlite3_bind_int(st, 6, m->erased);
            sqlite3_bind_int64(st, 7, now);
        }
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, "relocate archive entry");
        sqlite3_finalize(st);
    }
    return rc;
}

int store_archive_relocate(struct store *s, const char *old_file, const char *new_file,
                           const struct store_archive_move *m, size_t n, struct kerr *err)
{
    struct relocate_job j = {old_file, new_file, m, n};
    int rc = run_call(s, relocate_call, &j, "system", err);
    if (rc == 0) {
        /* the index no longer points into the old file: truncate the WAL that held it */
        struct conn *c;
        if (conn_open(s, &c, CONN_INDEXER, NULL) == 0) {
            sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
            conn_close(c);
        }
    }
    return rc;
}

/* ---- audit-log retention ---------------------------------------------------------- */

struct prune_job {
    int64_t before;
    const struct store_audit *audit;
    int64_t pruned;
};

static int prune_call(struct conn *c, void *arg, struct kerr *err)
{
    struct prune_job *j = arg;
    sqlite3_stmt *st;
    int64_t first = 0;
    char prev[80] = "";
    int rc;

    /* the first entry kept: the oldest at or after the cut; keep at least the newest */
    if (sqlite3_prepare_v2(c->db,
                           "SELECT id,prev FROM audit_log WHERE id=coalesce((SELECT min(id)"
                           " FROM audit_log WHERE at>=?1),(SELECT max(id) FROM audit_log))",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(c->db, err, "prepare audit prune");
    sqlite3_bind_int64(st, 1, j->before);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        first = sqlite3_column_int64(st, 0);
        snprintf(prev, sizeof prev, "%s", (const char *)sqlite3_column_text(st, 1));
        rc = SQLITE_DONE;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_error(c->db, err, "read audit log");
    if (first > 0) {
        if ((rc = exec_id(c->db, "DELETE FROM audit_log WHERE id<?", first, 0, err)) < 0)
            return rc;
        j->pruned = sqlite3_changes(c->db);
        if (j->pruned > 0) {
            if (sqlite3_prepare_v2(c->db,
                                   "INSERT OR REPLACE INTO audit_anchor(k,first_id,prev,at)"
                                   " VALUES(1,?,?,?)",
                                   -1, &st, NULL) != SQLITE_OK)
                return db_error(c->db, err, "prepare audit anchor");
            sqlite3_bind_int64(st, 1, first);
            sqlite3_bind_text(st, 2, prev, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 3, clock_now_ms());
            rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, "write audit anchor");
            sqlite3_finalize(st);
            if (rc < 0)
                return rc;
        }
    }
    if (j->audit) {
        struct strbuf detail = STRBUF_INIT;
        struct jsonw w;
        struct store_audit a = *j->audit;
        char ts[CLOCK_FMT_MAX];
        jsonw_init(&w, &detail);
        jsonw_obj(&w);
        jsonw_kstr(&w, "before", clock_format(j->before, ts));
        jsonw_kint(&w, "pruned", j->pruned);
        jsonw_kint(&w, "first_kept", first);
        jsonw_end(&w);
        a.detail = detail.buf;
        rc = audit_append(c, &a, err);
        strbuf_release(&detail);
    }
    return rc;
}

int store_audit_prune(struct store *s, int64_t before, const struct store_audit *audit,
                      int64_t *pruned, struct kerr *err)
{
    struct prune_job j = {before, audit, 0};
    int rc = run_call(s, prune_call, &j, audit ? audit->actor : "system", err);
    *pruned = j.pruned;
    return rc;
}

const char *store_data_dir(const struct store *s)
{
    return s->dir;
}
