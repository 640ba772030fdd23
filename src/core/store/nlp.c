/*
 * store/nlp.c: what the text analysis reads and writes in the store:
 * keyword counts over a period (GET /api/v1/keywords) and the results of
 * `kesu reclassify` (STORE_JOB_ANALYSIS). Keywords are kept per record as a
 * JSON array in feedback.keywords and counted with json_each, over the
 * records of the period found by the received_at index.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "store/sqlite_int.h"
#include "base/banned.h"

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_num_or_null(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

/* results a person set, or the record brought (manual, import), are kept */
#define KEEP_CAT(col, n)                                                                           \
    col "=CASE WHEN coalesce(category_source,'rule') IN ('rule','model') THEN ?" #n " ELSE " col   \
        " END"
#define KEEP_SEV(col, n)                                                                           \
    col "=CASE WHEN coalesce(severity_source,'rule') IN ('rule','model') THEN ?" #n " ELSE " col   \
        " END"

int feedback_set_analysis(struct conn *c, const struct record *recs, size_t n, struct kerr *err)
{
    static const char sql[] = "UPDATE feedback SET " KEEP_CAT("category_l1", 1) "," KEEP_CAT(
        "category_l2",
        2) "," KEEP_CAT("category_l3",
                        3) "," KEEP_CAT("category_confidence",
                                        4) "," KEEP_CAT("category_source",
                                                        5) ","
                                                           "category_"
                                                           "rules=?6," KEEP_SEV(
                                                               "severity",
                                                               7) "," KEEP_SEV("severity_source",
                                                                               8) ",severity_"
                                                                                  "reasons=?9,"
                                                                                  "sentiment=?10,"
                                                                                  "sentiment_"
                                                                                  "score=?11,"
                                                                                  "keywords=?12 "
                                                                                  "WHERE id=?13";
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(c->db, err, "prepare analysis update");
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct record *r = &recs[i];
        bind_text_or_null(st, 1, r->category_l1);
        bind_text_or_null(st, 2, r->category_l2);
        bind_text_or_null(st, 3, r->category_l3);
        bind_num_or_null(st, 4, r->category_confidence);
        bind_text_or_null(st, 5, r->category_source);
        bind_text_or_null(st, 6, r->category_rules);
        bind_text_or_null(st, 7, r->severity);
        bind_text_or_null(st, 8, r->severity_source);
        bind_text_or_null(st, 9, r->severity_reasons);
        bind_text_or_null(st, 10, r->sentiment);
        bind_num_or_null(st, 11, r->sentiment_score);
        bind_text_or_null(st, 12, r->keywords);
        sqlite3_bind_int64(st, 13, r->id);
        if ((rc = feedback_rollup_id(c, r->id, -1, err)) < 0)
            break;
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_error(c->db, err, "update analysis");
        sqlite3_reset(st);
        if (rc == 0)
            rc = feedback_rollup_id(c, r->id, 1, err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* WHERE for the keyword filter; binds from ?1: since, until, then category, channel. */
static void kw_where(char *out, size_t n, const struct store_kw_filter *f)
{
    snprintf(out, n, "f.received_at>=?1 AND f.received_at<?2%s%s",
             f->category ? " AND (f.category_l1=?3 OR f.category_l2=?3 OR f.category_l3=?3)" : "",
             f->channel ? " AND f.channel=?4" : "");
}

static void kw_bind(sqlite3_stmt *st, const struct store_kw_filter *f)
{
    sqlite3_bind_int64(st, 1, f->since);
    sqlite3_bind_int64(st, 2, f->until);
    if (f->category)
        sqlite3_bind_text(st, 3, f->category, -1, SQLITE_STATIC);
    if (f->channel)
        sqlite3_bind_text(st, 4, f->channel, -1, SQLITE_STATIC);
}

int store_keyword_counts(struct store *s, const struct store_kw_filter *f, store_kw_cb cb,
                         void *arg, int64_t *records, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    char where[256], sql[512];
    sqlite3_stmt *st = NULL;
    int rc = 0, step;

    if (!c)
        return KERR_IO;
    kw_where(where, sizeof where, f);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM feedback f WHERE %s", where);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare keyword totals");
        goto out;
    }
    kw_bind(st, f);
    *records = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    snprintf(sql, sizeof sql,
             "SELECT j.value, count(*) FROM feedback f, json_each(f.keywords) j"
             " WHERE %s AND f.keywords IS NOT NULL GROUP BY j.value",
             where);
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare keyword counts");
        goto out;
    }
    kw_bind(st, f);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *w = (const char *)sqlite3_column_text(st, 0);
        if (w && cb(arg, w, sqlite3_column_int64(st, 1)))
            break;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = db_error(c->db, err, "count keywords");
    sqlite3_finalize(st);
out:
    store_reader_put(s, c);
    return rc;
}
