/*
 * writer.c: group commit, pipelined. Request threads queue jobs; the writer
 * thread takes everything queued and runs it in one transaction (each job
 * inside its own savepoint, so a failing job leaves the others alone). The
 * commit writes the WAL frames without syncing (synchronous=NORMAL); the
 * committed batch then goes to the syncer thread, which calls fdatasync on
 * the WAL file once for every batch waiting, and only then tells each job
 * it is done. So no job is ever answered before its data is on disk, many
 * requests share one fdatasync, and the writer prepares the next batch
 * while the disk syncs the last one.
 *
 * Why syncing the WAL file is enough: commits append frames to it, and
 * SQLite never overwrites frames (when it restarts the WAL after a
 * checkpoint) before the checkpoint has synced the database file. Without
 * background threads (the CLI), writer_run_batch syncs before returning.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "store/cube.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

/* Upper bound on records per transaction, so one commit never grows unbounded. */
#define BATCH_RECORDS_MAX 8192
/* Commit delay (see writer_main). */
#define COMMIT_DELAY_MIN_JOBS  4
#define COMMIT_DELAY_WANT_JOBS 48
#define COMMIT_DELAY_US        500

/* A PATCH: a change of status goes through the lifecycle table (loop.c) like every other
 * transition; the other fields are plain field changes. */
static int run_patch(struct conn *c, struct store_job *j, int64_t now)
{
    struct store_patch rest = *j->patch;
    const char *to = NULL;
    int rc;
    rest.n = 0;
    for (size_t i = 0; i < j->patch->n; i++) {
        if (strcmp(j->patch->fields[i]->name, "status") == 0)
            to = j->patch->values.status;
        else
            rest.fields[rest.n++] = j->patch->fields[i];
    }
    if (to && (rc = loop_patch_status(c, j->id, to, j->patch->note, j->actor, now, &j->err)) < 0)
        return rc;
    if (rest.n == 0)
        return 0;
    return feedback_patch(c, j->id, &rest, j->actor, now, &j->err);
}

static int run_job(struct store *s, struct conn *c, struct store_job *j, int64_t now)
{
    int rc = 0;
    (void)s;
    if (j->kind == STORE_JOB_INSERT) {
        for (size_t i = 0; i < j->n && rc == 0; i++) {
            rc = feedback_insert_one(c, &j->recs[i], j->actor, &j->results[i], &j->err);
            if (rc == 0 && j->results[i].created)
                rc = loop_on_insert(c, &j->recs[i], j->actor, now, &j->err);
            if (rc < 0 && j->err.index < 0)
                j->err.index = (long)i;
        }
    } else if (j->kind == STORE_JOB_PATCH) {
        rc = run_patch(c, j, now);
    } else if (j->kind == STORE_JOB_CALL) {
        rc = j->call(j, c, now);
    } else if (j->kind == STORE_JOB_DEVICE) {
        for (size_t i = 0; i < j->n && rc == 0; i++) {
            rc = device_event_apply(c, &j->dev[i], j->rule, j->actor, now, &j->dres[i], &j->err);
            if (rc < 0 && j->err.index < 0)
                j->err.index = (long)i;
        }
    } else if (j->kind == STORE_JOB_CAPA) {
        rc = capa_apply(c, j->capa, j->actor, now, &j->err);
    } else if (j->kind == STORE_JOB_AUDIT) {
        rc = audit_append(c, j->audit, &j->err);
        /* a reveal of a record's personal data is also on that record's timeline */
        if (rc == 0 && j->id > 0 && strcmp(j->audit->action, "pii.reveal") == 0)
            rc =
                feedback_add_event(c, j->id, j->audit->at ? j->audit->at : clock_now_ms(), j->actor,
                                   "pii_reveal", j->patch ? j->patch->note : NULL, &j->err);
    } else if (j->kind == STORE_JOB_ANALYSIS) {
        rc = feedback_set_analysis(c, j->recs, j->n, &j->err);
    } else if (j->kind == STORE_JOB_REJECTION) {
        sqlite3_stmt *st = conn_stmt(c, ST_REJECT_ADD);
        if (!st)
            return db_error(c->db, &j->err, "prepare rejection");
        for (int i = 0; i < 5; i++)
            sqlite3_bind_text(st, i + 1, j->rej[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, &j->err, "count rejection");
        sqlite3_reset(st);
    } else if (j->kind == STORE_JOB_RECEIPT) {
        rc = feedback_insert_one(c, &j->recs[0], j->actor, &j->results[0], &j->err);
        if (rc == 0 && j->results[0].created)
            rc = receipt_insert(c, j->receipt, j->form, j->results[0].id, &j->err);
        if (rc == 0 && j->results[0].created)
            rc = loop_on_insert(c, &j->recs[0], j->actor, now, &j->err);
    }
    return rc;
}

/* Adds the batch's new records to the per-channel counts. */
static int add_counts(struct conn *c, struct store_job *jobs, struct kerr *err)
{
    const char *names[32];
    int64_t counts[32];
    int nn = 0;
    for (struct store_job *j = jobs; j; j = j->next) {
        if ((j->kind != STORE_JOB_INSERT && j->kind != STORE_JOB_RECEIPT) || j->rc < 0)
            continue;
        for (size_t i = 0; i < j->n; i++) {
            if (!j->results[i].created)
                continue;
            int k = 0;
            while (k < nn && strcmp(names[k], j->recs[i].channel) != 0)
                k++;
            if (k == nn) {
                if (nn == 32)
                    continue;
                names[nn] = j->recs[i].channel;
                counts[nn++] = 0;
            }
            counts[k]++;
        }
    }
    for (int k = 0; k < nn; k++) {
        sqlite3_stmt *st = conn_stmt(c, ST_COUNT_ADD);
        if (!st)
            return db_error(c->db, err, "prepare counts");
        sqlite3_bind_text(st, 1, names[k], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, counts[k]);
        if (sqlite3_step(st) != SQLITE_DONE)
            return db_error(c->db, err, "update counts");
    }
    return 0;
}

static void finish(struct store *s, struct store_job *jobs)
{
    struct store_job *next;
    for (struct store_job *j = jobs; j; j = next) {
        next = j->next;
        atomic_fetch_add(&s->jobs, 1);
        if (j->done)
            j->done(j);
    }
}

int wal_sync(struct store *s, struct kerr *err)
{
    if (s->wal_fd < 0) {
        char path[4096];
        snprintf(path, sizeof(path), "%s-wal", s->main_path);
        s->wal_fd = open(path, O_RDWR | O_CLOEXEC);
        if (s->wal_fd < 0)
            return kerr_set(err, KERR_IO, "storage_error", "", "cannot open %s: %s", path,
                            strerror(errno));
    }
    if (fdatasync(s->wal_fd) < 0)
        return kerr_set(err, KERR_IO, "storage_error", "", "fdatasync of the WAL failed: %s",
                        strerror(errno));
    atomic_fetch_add(&s->syncs, 1);
    return 0;
}

static void fail(struct store_job *jobs, int rc, const struct kerr *err)
{
    for (struct store_job *j = jobs; j; j = j->next) {
        j->rc = rc;
        j->err = *err;
    }
}

/* Runs the jobs in one transaction and commits it (not yet synced). Returns 0 or < 0. */
static int run_batch(struct store *s, struct store_job *jobs)
{
    struct conn *c = s->wconn;
    struct kerr err;
    int64_t now = clock_now_ms();
    uint64_t created = 0;
    int rc;

    kerr_clear(&err);
    /* IMMEDIATE locks kesu.db only: the writer's connection does not attach search.db */
    if ((rc = conn_step(c, ST_BEGIN, &err)) < 0)
        goto fail_all;
    for (struct store_job *j = jobs; j; j = j->next) {
        kerr_clear(&j->err);
        conn_step(c, ST_SAVEPOINT, NULL);
        rollup_reset(s->ru_job);
        case_stats_job_reset(s->cs);
        j->rc = run_job(s, c, j, now);
        if (j->rc == 0)
            j->rc = case_stats_job_end(c, &j->err);
        if (j->rc == 0)
            rollup_merge(s->ru_batch, s->ru_job);
        cube_job_end(s->cube, j->rc == 0);
        if (j->rc < 0) {
            conn_step(c, ST_ROLLBACK_TO, NULL);
            dedup_forget(s); /* it may hold records just rolled back */
            s->audit_loaded = false;
            loop_cache_forget(s);
        }
        conn_step(c, ST_RELEASE, NULL);
    }
    rollup_reset(s->ru_job);
    case_stats_job_reset(s->cs);
    if ((rc = add_counts(c, jobs, &err)) < 0 || (rc = rollup_flush(c, s->ru_batch, &err)) < 0 ||
        (rc = case_stats_flush(c, &err)) < 0 || (rc = conn_step(c, ST_COMMIT, &err)) < 0) {
        conn_step(c, ST_ROLLBACK, NULL);
        rollup_reset(s->ru_batch);
        case_stats_batch_reset(s->cs);
        cube_batch_end(s->cube, false);
        dedup_forget(s);
        s->audit_loaded = false;
        loop_cache_forget(s);
        goto fail_all;
    }
    atomic_fetch_add(&s->commits, 1);
    cube_batch_end(s->cube, true); /* the committed changes, to the stats cube */
    for (struct store_job *j = jobs; j; j = j->next) {
        if (j->rc < 0)
            continue;
        if (j->kind == STORE_JOB_INSERT || j->kind == STORE_JOB_RECEIPT) {
            for (size_t i = 0; i < j->n; i++) {
                created += j->results[i].created;
                if (j->results[i].created)
                    store_note_max_id(s, j->results[i].id);
            }
        } else if (j->kind == STORE_JOB_DEVICE) {
            for (size_t i = 0; i < j->n; i++)
                if (j->dres[i].opened) {
                    created++;
                    store_note_max_id(s, j->dres[i].feedback_id);
                }
        }
    }
    atomic_fetch_add(&s->records, created);
    return 0;
fail_all:
    fail(jobs, rc, &err);
    return rc;
}

void writer_run_batch(struct store *s, struct store_job *jobs)
{
    struct kerr err;
    int rc;
    kerr_clear(&err);
    if (run_batch(s, jobs) == 0 && (rc = wal_sync(s, &err)) < 0)
        fail(jobs, rc, &err);
    finish(s, jobs);
}

void *syncer_main(void *arg)
{
    struct store *s = arg;
    pthread_setname_np(pthread_self(), "kesu-sync");
    for (;;) {
        struct store_job *jobs;
        struct kerr err;
        int rc;

        pthread_mutex_lock(&s->slock);
        while (!s->shead && !s->sync_stop)
            pthread_cond_wait(&s->scond, &s->slock);
        jobs = s->shead;
        s->shead = s->stail = NULL;
        pthread_mutex_unlock(&s->slock);
        if (!jobs)
            break;
        kerr_clear(&err);
        if ((rc = wal_sync(s, &err)) < 0)
            fail(jobs, rc, &err);
        finish(s, jobs);
    }
    return NULL;
}

/* Hands a committed batch to the syncer. */
static void to_syncer(struct store *s, struct store_job *jobs)
{
    struct store_job *last = jobs;
    while (last->next)
        last = last->next;
    pthread_mutex_lock(&s->slock);
    if (s->stail)
        s->stail->next = jobs;
    else
        s->shead = jobs;
    s->stail = last;
    pthread_cond_signal(&s->scond);
    pthread_mutex_unlock(&s->slock);
}

void *writer_main(void *arg)
{
    struct store *s = arg;
    pthread_setname_np(pthread_self(), "kesu-writer");
    int64_t last_batch = 0;
    for (;;) {
        struct store_job *batch, *last;
        size_t nrec = 0;
        int64_t njobs = 0;

        pthread_mutex_lock(&s->qlock);
        while (!s->qhead && !s->stopping)
            pthread_cond_wait(&s->qcond, &s->qlock);
        if (!s->qhead && s->stopping) {
            pthread_mutex_unlock(&s->qlock);
            break;
        }
        /* Commit delay: under load (the last batch was not small), wait a moment for more
         * jobs, so that more of them share one transaction's fixed costs. Idle, a lone job
         * goes at once. */
        if (last_batch >= COMMIT_DELAY_MIN_JOBS &&
            atomic_load(&s->queue_depth) < COMMIT_DELAY_WANT_JOBS && !s->stopping) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += COMMIT_DELAY_US * 1000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            s->delay_wanted = true;
            pthread_cond_timedwait(&s->qcond, &s->qlock, &ts);
            s->delay_wanted = false;
        }
        /* take a prefix of the queue worth at most BATCH_RECORDS_MAX records */
        batch = last = s->qhead;
        nrec = last->n;
        njobs = 1;
        while (last->next && nrec + last->next->n <= BATCH_RECORDS_MAX) {
            last = last->next;
            nrec += last->n;
            njobs++;
        }
        s->qhead = last->next;
        if (!s->qhead)
            s->qtail = NULL;
        last->next = NULL;
        atomic_fetch_sub(&s->queue_depth, njobs);
        pthread_mutex_unlock(&s->qlock);
        last_batch = njobs;

        pthread_mutex_lock(&s->wlock);
        int rc = run_batch(s, batch);
        pthread_mutex_unlock(&s->wlock);
        if (rc == 0)
            to_syncer(s, batch);
        else
            finish(s, batch);
    }
    return NULL;
}

void store_submit(struct store *s, struct store_job *job)
{
    job->next = NULL;
    job->rc = 0;
    job->queued_us = clock_mono_us();
    if (!s->started) {
        pthread_mutex_lock(&s->wlock);
        writer_run_batch(s, job);
        pthread_mutex_unlock(&s->wlock);
        return;
    }
    pthread_mutex_lock(&s->qlock);
    if (s->qtail)
        s->qtail->next = job;
    else
        s->qhead = job;
    s->qtail = job;
    /* while the writer delays, wake it only once enough jobs have gathered */
    if (atomic_fetch_add(&s->queue_depth, 1) + 1 >= COMMIT_DELAY_WANT_JOBS || !s->delay_wanted)
        pthread_cond_signal(&s->qcond);
    pthread_mutex_unlock(&s->qlock);
}

struct waiter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
    void (*user_done)(struct store_job *);
    void *user_arg;
};

static void wake(struct store_job *job)
{
    struct waiter *w = job->arg;
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

int store_run(struct store *s, struct store_job *job)
{
    struct waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, job->done,
                       job->arg};
    job->done = wake;
    job->arg = &w;
    store_submit(s, job);
    pthread_mutex_lock(&w.lock);
    while (!w.done)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    job->done = w.user_done;
    job->arg = w.user_arg;
    return job->rc;
}
