/*
 * outbox.c: the outbox sender's claims and outcomes in SQLite (see
 * store/outbox.h). Both run on the writer's connection as STORE_JOB_CALL
 * jobs, so a claim is committed (fsync) before the message goes out.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "store/capa_int.h"
#include "store/outbox.h"
#include "base/banned.h"

/* The term of the partial index outbox_to_send (0018), repeated so SQLite uses it. */
#define TO_SEND                                                                                    \
    "o.sent_at IS NULL AND (o.send_state IS NULL OR o.send_state IN ('retry','sending'))"

void store_outbox_msg_release(struct store_outbox_msg *m)
{
    free(m->recipient);
    free(m->subject);
    free(m->body);
    free(m->link);
    memset(m, 0, sizeof *m);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    return v ? xstrdup(v) : NULL;
}

struct claim_ctx {
    int64_t now, lease_ms, after_id;
    struct store_outbox_msg *m;
    bool found;
    int interrupted;
};

/* Rows a dead sender left claimed: counted as an attempt, never sent again (at most once). */
static int sweep(struct conn *c, struct claim_ctx *x, struct kerr *err)
{
    sqlite3_stmt *st = capa_prepare(
        c,
        "UPDATE outbox AS o SET send_state='interrupted',attempts=attempts+1,last_error="
        "'interrupted: kesu stopped during the attempt; not sent again (at most once)'"
        " WHERE " TO_SEND " AND o.send_state='sending' AND o.claimed_at<?",
        err);
    int rc;
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, x->now - x->lease_ms);
    rc = capa_exec_stmt(c, st, err, "mark interrupted messages");
    if (rc == 0)
        x->interrupted = sqlite3_changes(c->db);
    return rc;
}

static int claim_call(struct store_job *job, void *tx, int64_t now)
{
    struct conn *c = tx;
    struct claim_ctx *x = job->ctx;
    struct store_outbox_msg *m = x->m;
    sqlite3_stmt *st;
    int rc;

    if (!x->now)
        x->now = now;
    if ((rc = sweep(c, x, &job->err)) < 0)
        return rc;
    st = capa_prepare(c,
                      "SELECT o.id,o.kind,o.feedback_id,o.action_id,o.recipient,o.subject,o.body,"
                      "o.link,o.attempts,(SELECT max(v.expires_at) FROM surveys v WHERE"
                      " v.outbox_id=o.id) FROM outbox o WHERE " TO_SEND
                      " AND o.id>? AND (o.send_state IS NULL OR (o.send_state='retry' AND"
                      " coalesce(o.next_at,0)<=?)) ORDER BY o.id LIMIT 1",
                      &job->err);
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, x->after_id);
    sqlite3_bind_int64(st, 2, x->now);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        x->found = true;
        m->id = sqlite3_column_int64(st, 0);
        snprintf(m->kind, sizeof m->kind, "%s", (const char *)sqlite3_column_text(st, 1));
        m->feedback_id = sqlite3_column_int64(st, 2);
        m->action_id = sqlite3_column_int64(st, 3);
        m->recipient = col_dup(st, 4);
        m->subject = col_dup(st, 5);
        m->body = col_dup(st, 6);
        m->link = col_dup(st, 7);
        m->attempts = sqlite3_column_int(st, 8);
        m->survey_expires_at = sqlite3_column_int64(st, 9);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? 0 : db_error(c->db, &job->err, "pick outbox message");
    }
    sqlite3_finalize(st);
    if (rc < 0 || !x->found)
        return rc;
    st = capa_prepare(c, "UPDATE outbox SET send_state='sending',claimed_at=? WHERE id=?",
                      &job->err);
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, x->now);
    sqlite3_bind_int64(st, 2, m->id);
    return capa_exec_stmt(c, st, &job->err, "claim outbox message");
}

static int run_call(struct store *s, int (*fn)(struct store_job *, void *, int64_t), void *ctx,
                    struct kerr *err)
{
    struct store_job job = {0};
    job.kind = STORE_JOB_CALL;
    job.actor = "system:outbox";
    job.call = fn;
    job.ctx = ctx;
    if (store_run(s, &job) < 0) {
        if (err)
            *err = job.err;
        return job.rc < 0 ? job.rc : KERR_IO;
    }
    return 0;
}

int store_outbox_claim(struct store *s, int64_t now, int64_t lease_ms, int64_t after_id,
                       struct store_outbox_msg *m, bool *found, int *interrupted, struct kerr *err)
{
    struct claim_ctx x = {now, lease_ms, after_id, m, false, 0};
    int rc;
    memset(m, 0, sizeof *m);
    rc = run_call(s, claim_call, &x, err);
    if (rc < 0) {
        store_outbox_msg_release(m);
        x.found = false;
    }
    *found = x.found;
    if (interrupted)
        *interrupted = x.interrupted;
    return rc;
}

struct finish_ctx {
    const struct store_outbox_outcome *o;
    int64_t now;
};

/* The case's timeline says when its survey link went out (not to whom). */
static int note_sent(struct conn *c, const struct store_outbox_outcome *o, int64_t now,
                     struct kerr *err)
{
    sqlite3_stmt *st = capa_prepare(c, "SELECT feedback_id,kind FROM outbox WHERE id=?", err);
    int64_t fid = 0;
    bool survey = false;
    char note[160];
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, o->id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        fid = sqlite3_column_int64(st, 0);
        survey = sqlite3_column_text(st, 1) &&
                 strcmp((const char *)sqlite3_column_text(st, 1), "survey_link") == 0;
    }
    sqlite3_finalize(st);
    if (!fid || !survey)
        return 0;
    snprintf(note, sizeof note,
             "回访问卷已通过%s发送（outbox #%" PRId64 "） / survey link sent by %s",
             strcmp(o->channel, "sms") == 0 ? "短信" : "邮件", o->id, o->channel);
    return capa_event(c, fid, now, "system:outbox", "survey", "survey", NULL, "sent", note, err);
}

static int finish_call(struct store_job *job, void *tx, int64_t now)
{
    struct conn *c = tx;
    struct finish_ctx *x = job->ctx;
    const struct store_outbox_outcome *o = x->o;
    bool sent = strcmp(o->state, "sent") == 0;
    sqlite3_stmt *st;
    int rc;

    if (!x->now)
        x->now = now;
    st = capa_prepare(c,
                      "UPDATE outbox SET send_state=?1,channel=coalesce(?2,channel),"
                      "last_error=coalesce(?3,last_error),attempts=attempts+?4,"
                      "next_at=?5,claimed_at=NULL,sent_at=CASE WHEN ?6 THEN coalesce(sent_at,?7)"
                      " ELSE sent_at END WHERE id=?8 AND send_state IN ('sending','interrupted')",
                      &job->err);
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, o->state);
    capa_bind_text(st, 2, sent ? o->channel : NULL);
    capa_bind_text(st, 3, o->error);
    sqlite3_bind_int(st, 4, o->attempted ? 1 : 0);
    if (strcmp(o->state, "retry") == 0)
        sqlite3_bind_int64(st, 5, o->next_at);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_int(st, 6, sent);
    sqlite3_bind_int64(st, 7, x->now);
    sqlite3_bind_int64(st, 8, o->id);
    if ((rc = capa_exec_stmt(c, st, &job->err, "record outbox outcome")) < 0)
        return rc;
    if (sent && sqlite3_changes(c->db) > 0)
        rc = note_sent(c, o, x->now, &job->err);
    return rc;
}

int store_outbox_finish(struct store *s, const struct store_outbox_outcome *o, int64_t now,
                        struct kerr *err)
{
    struct finish_ctx x = {o, now};
    return run_call(s, finish_call, &x, err);
}

int store_user_email(struct store *s, const char *username, char *out, size_t n, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc = 0;
    if (n)
        *out = '\0';
    if (!c)
        return KERR_IO;
    st = capa_prepare(c, "SELECT email FROM users WHERE username=? AND NOT disabled", err);
    if (!st) {
        rc = KERR_IO;
    } else {
        capa_bind_text(st, 1, username);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    store_reader_put(s, c);
    return rc;
}
