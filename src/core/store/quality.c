/*
 * quality.c: the data-quality report: per channel and period, how many
 * records arrived and how many were flagged by the intake pipeline (missing
 * required fields, corrected text, masked personal data, converted script,
 * duplicates), and how many inputs were refused, by reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

static void free_job(struct store_job *job)
{
    free(job);
}

void store_note_rejection(struct store *s, const char *channel, const char *source,
                          const char *code, const char *field)
{
    struct store_job *job = xcalloc(1, sizeof(*job));
    char day[CLOCK_FMT_MAX];
    const char *v[5] = {day, channel ? channel : "", source ? source : "", code ? code : "",
                        field ? field : ""};
    clock_format(clock_now_ms(), day);
    day[10] = 0;
    job->kind = STORE_JOB_REJECTION;
    job->actor = "system";
    for (int i = 0; i < 5; i++)
        snprintf(job->rej[i], sizeof job->rej[i], "%s", v[i]);
    job->done = free_job;
    store_submit(s, job);
}

static const char *period_expr(const char *by, const char *col_ms, struct strbuf *sb)
{
    const char *fmt = strcmp(by, "month") == 0  ? "%Y-%m"
                      : strcmp(by, "week") == 0 ? "%Y-W%W"
                                                : "%Y-%m-%d";
    if (col_ms)
        strbuf_addf(sb, "strftime('%s',%s/1000,'unixepoch','localtime')", fmt, col_ms);
    else
        strbuf_addf(sb, "strftime('%s',day)", fmt);
    return sb->buf;
}

int store_quality(struct store *s, int64_t since, int64_t until, const char *by,
                  store_quality_cb rows, store_rejection_cb rejections, void *arg, struct kerr *err)
{
    struct conn *c;
    struct strbuf sql = STRBUF_INIT, p1 = STRBUF_INIT, p2 = STRBUF_INIT;
    sqlite3_stmt *st = NULL;
    char d0[CLOCK_FMT_MAX], d1[CLOCK_FMT_MAX];
    int rc;

    if (strcmp(by, "day") && strcmp(by, "week") && strcmp(by, "month"))
        return kerr_set(err, KERR_INVALID, "invalid_field", "by", "by is day, week or month");
    if (!(c = store_reader(s, err)))
        return KERR_IO;
    /* the flags are the QUALITY_* bits of record.h; 0x1ff = what normalisation corrected */
    strbuf_addf(&sql,
                "SELECT channel,%s AS p,count(*),"
                "sum((quality & %d)!=0),sum((quality & 511)!=0),sum((quality & %d)!=0),"
                "sum((quality & %d)!=0),sum((quality & %d)!=0),sum((quality & %d)!=0)"
                " FROM feedback WHERE received_at>=? AND received_at<? GROUP BY 1,2 ORDER BY 2,1",
                period_expr(by, "received_at", &p1), QUALITY_MISSING, QUALITY_PII, QUALITY_T2S,
                QUALITY_DUP_EXACT, QUALITY_DUP_NEAR);
    if (sqlite3_prepare_v2(c->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare quality");
        goto out;
    }
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, until);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_quality_row row = {(const char *)sqlite3_column_text(st, 0),
                                        (const char *)sqlite3_column_text(st, 1),
                                        sqlite3_column_int64(st, 2),
                                        sqlite3_column_int64(st, 3),
                                        sqlite3_column_int64(st, 4),
                                        sqlite3_column_int64(st, 5),
                                        sqlite3_column_int64(st, 6),
                                        sqlite3_column_int64(st, 7),
                                        sqlite3_column_int64(st, 8)};
        if (rows(arg, &row))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rc = db_error(c->db, err, "read quality");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    strbuf_reset(&sql);
    strbuf_addf(&sql,
                "SELECT channel,%s,source,code,field,sum(n) FROM intake_rejections"
                " WHERE day>=? AND day<=? GROUP BY 1,2,3,4,5 ORDER BY 2,1,6 DESC",
                period_expr(by, NULL, &p2));
    if (sqlite3_prepare_v2(c->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare rejections");
        goto out;
    }
    /* the days of [since, until): from since's day to the day of until's last instant */
    clock_format(since, d0);
    clock_format(until - 1, d1);
    d0[10] = d1[10] = 0;
    sqlite3_bind_text(st, 1, d0, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, d1, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_rejection_row row = {
            (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
            (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
            (const char *)sqlite3_column_text(st, 4), sqlite3_column_int64(st, 5)};
        if (rejections(arg, &row))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read rejections");
out:
    sqlite3_finalize(st);
    strbuf_release(&sql);
    strbuf_release(&p1);
    strbuf_release(&p2);
    store_reader_put(s, c);
    return rc;
}
