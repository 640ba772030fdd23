/*
 * capa_read.c: reads of the CAPA tables as JSON for the API and the CLI,
 * problem suggestions from duplicate and category/product clusters, and
 * the window counts the effect evaluation (loop/effect.c) works from.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "store/capa_int.h"
#include "base/banned.h"

/* Runs fn on a borrowed reader connection. */
#define WITH_READER(s, err, ...)                                                                   \
    do {                                                                                           \
        struct conn *c = store_reader(s, err);                                                     \
        if (!c)                                                                                    \
            return KERR_IO;                                                                        \
        __VA_ARGS__;                                                                               \
        store_reader_put(s, c);                                                                    \
    } while (0)

static const char action_cols[] =
    "a.id,a.title,a.description,a.type,a.term,a.owner,a.due_at,a.start_at,a.metric,a.target,"
    "a.status,a.category,a.product,a.problem_id,a.feedback_id,a.created_by,a.created_at,"
    "a.updated_at,a.closed_at,a.reminded_at,a.escalated_at,a.verdict,a.evaluated_at,"
    "a.recurrence_at,(a.recurrence_at IS NOT NULL) AS recurrence,"
    "(a.due_at IS NOT NULL AND a.due_at<?9 AND a.status IN ('open','in_progress')) AS overdue";

/* Binds the list filter as ?1..?8 and now as ?9 (a statement without some of them ignores
 * those bindings: SQLite answers SQLITE_RANGE and binds nothing). */
static void bind_filter(sqlite3_stmt *st, const struct capa_list_filter *f, int64_t now)
{
    capa_bind_text(st, 1, f->status);
    capa_bind_text(st, 2, f->category);
    capa_bind_text(st, 3, f->product);
    capa_bind_text(st, 4, f->owner);
    capa_bind_int(st, 5, f->problem_id ? f->problem_id : CAPA_ABSENT);
    sqlite3_bind_int(st, 6, f->overdue);
    sqlite3_bind_int(st, 7, f->limit > 0 ? f->limit : 100);
    capa_bind_int(st, 8, f->feedback_id ? f->feedback_id : CAPA_ABSENT);
    sqlite3_bind_int64(st, 9, now);
}

int store_problems_json(struct store *s, const struct capa_list_filter *f, struct strbuf *out,
                        struct kerr *err)
{
    int rc;
    struct jsonw w;
    jsonw_init(&w, out);
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(
            c,
            "SELECT p.id,p.title,p.description,p.status,p.category,p.product,p.owner,"
            "p.created_by,p.created_at,p.updated_at,p.closed_at,"
            "(SELECT count(*) FROM problem_cases pc WHERE pc.problem_id=p.id) AS case_count,"
            "(SELECT count(*) FROM actions a WHERE a.problem_id=p.id) AS action_count"
            " FROM problems p WHERE (?1 IS NULL OR p.status=?1)"
            " AND (?2 IS NULL OR p.category=?2) AND (?3 IS NULL OR p.product=?3)"
            " AND (?4 IS NULL OR p.owner=?4) AND (?5 IS NULL OR p.id=?5)"
            " AND (?8 IS NULL OR p.id IN (SELECT problem_id FROM problem_cases WHERE "
            "feedback_id=?8))"
            " ORDER BY p.id DESC LIMIT ?7",
            err);
        if (st)
            bind_filter(st, f, 0);
        jsonw_obj(&w);
        jsonw_key(&w, "items");
        rc = capa_rows_json(c, st, &w, err);
        jsonw_end(&w);
    });
    return rc;
}

int store_rootcauses_json(struct store *s, int64_t feedback_id, int64_t problem_id,
                          struct strbuf *out, struct kerr *err)
{
    int rc;
    struct jsonw w;
    jsonw_init(&w, out);
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(
            c,
            "SELECT id,feedback_id,problem_id,whys,fishbone,summary,verified_by,verified_at,"
            "evidence,created_by,created_at FROM root_causes"
            " WHERE (?1 IS NOT NULL AND feedback_id=?1) OR (?2 IS NOT NULL AND problem_id=?2)"
            " ORDER BY id",
            err);
        if (st) {
            capa_bind_int(st, 1, feedback_id ? feedback_id : CAPA_ABSENT);
            capa_bind_int(st, 2, problem_id ? problem_id : CAPA_ABSENT);
        }
        jsonw_obj(&w);
        jsonw_key(&w, "items");
        rc = capa_rows_json(c, st, &w, err);
        jsonw_end(&w);
    });
    return rc;
}

int store_problem_json(struct store *s, int64_t id, struct strbuf *out, struct kerr *err)
{
    int rc;
    struct jsonw w;
    jsonw_init(&w, out);
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(
            c,
            "SELECT p.id,p.title,p.description,p.status,p.category,p.product,p.owner,"
            "p.created_by,p.created_at,p.updated_at,p.closed_at,"
            "(SELECT json_group_array(json_object('feedback_id',f.id,'title',f.title,"
            "'status',f.status,'category_l1',f.category_l1,'product',f.product))"
            " FROM problem_cases pc JOIN feedback f ON f.id=pc.feedback_id"
            " WHERE pc.problem_id=p.id) AS cases,"
            "(SELECT json_group_array(json_object('id',r.id,'fishbone',r.fishbone,"
            "'summary',r.summary,'whys',json(r.whys),'verified_by',r.verified_by))"
            " FROM root_causes r WHERE r.problem_id=p.id) AS root_causes,"
            "(SELECT json_group_array(json_object('id',a.id,'title',a.title,'type',a.type,"
            "'status',a.status,'verdict',a.verdict)) FROM actions a WHERE a.problem_id=p.id)"
            " AS actions FROM problems p WHERE p.id=?",
            err);
        if (st)
            sqlite3_bind_int64(st, 1, id);
        rc = capa_row_json(c, st, &w, "problem", err);
    });
    return rc;
}

int store_problem_suggestions_json(struct store *s, int64_t since, int64_t until, int min_cases,
                                   int limit, struct strbuf *out, struct kerr *err)
{
    int rc;
    struct jsonw w;
    jsonw_init(&w, out);
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(
            c,
            "SELECT 'duplicates' AS basis,r.id AS root_id,r.title,r.category_l1 AS category,"
            "r.product,count(*)+1 AS n,"
            "json_group_array(f.id) AS cases FROM feedback f JOIN feedback r ON r.id=f.duplicate_of"
            " WHERE f.received_at>=?1 AND f.received_at<?2 AND NOT EXISTS (SELECT 1 FROM"
            " problem_cases pc WHERE pc.feedback_id=r.id) GROUP BY r.id HAVING count(*)+1>=?3"
            " ORDER BY n DESC LIMIT ?4",
            err);
        if (st) {
            sqlite3_bind_int64(st, 1, since);
            sqlite3_bind_int64(st, 2, until);
            sqlite3_bind_int(st, 3, min_cases);
            sqlite3_bind_int(st, 4, limit);
        }
        jsonw_obj(&w);
        jsonw_key(&w, "duplicates");
        rc = capa_rows_json(c, st, &w, err);
        if (rc == 0) {
            st = capa_prepare(
                c,
                "SELECT 'category_product' AS basis,category_l1 AS category,product,count(*) AS n,"
                "(SELECT json_group_array(id) FROM (SELECT g.id FROM feedback g WHERE"
                " g.category_l1=f.category_l1 AND g.product=f.product AND g.received_at>=?1"
                " AND g.received_at<?2 ORDER BY g.id LIMIT 50)) AS cases"
                " FROM feedback f WHERE received_at>=?1 AND received_at<?2"
                " AND category_l1 IS NOT NULL AND product IS NOT NULL AND NOT EXISTS"
                " (SELECT 1 FROM problem_cases pc WHERE pc.feedback_id=f.id)"
                " GROUP BY category_l1,product HAVING count(*)>=?3 ORDER BY n DESC LIMIT ?4",
                err);
            if (st) {
                sqlite3_bind_int64(st, 1, since);
                sqlite3_bind_int64(st, 2, until);
                sqlite3_bind_int(st, 3, min_cases);
                sqlite3_bind_int(st, 4, limit);
            }
            jsonw_key(&w, "category_product");
            rc = capa_rows_json(c, st, &w, err);
        }
        jsonw_end(&w);
    });
    return rc;
}

int store_actions_json(struct store *s, const struct capa_list_filter *f, int64_t now,
                       struct strbuf *out, struct kerr *err)
{
    int rc;
    struct jsonw w;
    struct strbuf sql = STRBUF_INIT;
    strbuf_addf(&sql,
                "SELECT %s FROM actions a WHERE (?1 IS NULL OR a.status=?1)"
                " AND (?2 IS NULL OR a.category=?2) AND (?3 IS NULL OR a.product=?3)"
                " AND (?4 IS NULL OR a.owner=?4) AND (?5 IS NULL OR a.problem_id=?5)"
                " AND (NOT ?6 OR (a.due_at<?9 AND a.status IN ('open','in_progress')))"
                " AND (?8 IS NULL OR a.feedback_id=?8 OR a.problem_id IN"
                " (SELECT problem_id FROM problem_cases WHERE feedback_id=?8))"
                " ORDER BY a.id DESC LIMIT ?7",
                action_cols);
    jsonw_init(&w, out);
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(c, sql.buf, err);
        if (st)
            bind_filter(st, f, now);
        jsonw_obj(&w);
        jsonw_key(&w, "items");
        rc = capa_rows_json(c, st, &w, err);
        jsonw_end(&w);
    });
    strbuf_release(&sql);
    return rc;
}

int store_action_json(struct store *s, int64_t id, struct strbuf *out, struct kerr *err)
{
    int rc;
    struct jsonw w;
    struct strbuf sql = STRBUF_INIT;
    strbuf_addf(&sql, "SELECT %s FROM actions a WHERE a.id=?1", action_cols);
    jsonw_init(&w, out);
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(c, sql.buf, err);
        if (st) {
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_int64(st, 9, clock_now_ms());
        }
        rc = capa_row_json(c, st, &w, "action", err);
    });
    strbuf_release(&sql);
    return rc;
}

int store_action_evaluations_json(struct store *s, int64_t id, struct strbuf *out, struct kerr *err)
{
    int rc;
    struct jsonw w;
    jsonw_init(&w, out);
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(c,
                                        "SELECT id,action_id,at AS evaluated_at,evaluated_by,"
                                        "verdict,result FROM action_evaluations"
                                        " WHERE action_id=? ORDER BY id DESC",
                                        err);
        if (st)
            sqlite3_bind_int64(st, 1, id);
        jsonw_obj(&w);
        jsonw_key(&w, "items");
        rc = capa_rows_json(c, st, &w, err);
        jsonw_end(&w);
    });
    return rc;
}

static void copy_col(sqlite3_stmt *st, int i, char *out, size_t n)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    snprintf(out, n, "%s", v ? v : "");
}

int store_action_scope(struct store *s, int64_t id, struct store_action_scope *out,
                       struct kerr *err)
{
    int rc;
    memset(out, 0, sizeof *out);
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(
            c,
            "SELECT a.id,a.start_at,coalesce(a.problem_id,0),"
            "coalesce(a.category,CASE WHEN a.product IS NULL THEN p.category END),"
            "coalesce(a.product,CASE WHEN a.category IS NULL THEN p.product END),"
            "a.metric,a.verdict,a.target FROM actions a LEFT JOIN problems p ON p.id=a.problem_id"
            " WHERE a.id=?",
            err);
        if (!st) {
            rc = KERR_IO;
        } else {
            sqlite3_bind_int64(st, 1, id);
            rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) {
                out->id = sqlite3_column_int64(st, 0);
                out->start_at = sqlite3_column_int64(st, 1);
                out->problem_id = sqlite3_column_int64(st, 2);
                copy_col(st, 3, out->category, sizeof out->category);
                copy_col(st, 4, out->product, sizeof out->product);
                copy_col(st, 5, out->metric, sizeof out->metric);
                copy_col(st, 6, out->verdict, sizeof out->verdict);
                out->has_target = sqlite3_column_type(st, 7) != SQLITE_NULL;
                out->target = sqlite3_column_double(st, 7);
                rc = 0;
            } else if (rc == SQLITE_DONE) {
                rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no action %" PRId64, id);
            } else {
                rc = db_error(c->db, err, "read action");
            }
            sqlite3_finalize(st);
        }
    });
    return rc;
}

/* The scope predicate on feedback f: ?1 category (any level), ?2 product, ?3 problem (its
 * cases, only when neither category nor product is set). */
#define SCOPE_SQL                                                                                  \
    " (?1 IS NULL OR f.category_l1=?1 OR f.category_l2=?1 OR f.category_l3=?1)"                    \
    " AND (?2 IS NULL OR f.product=?2) AND (?1 IS NOT NULL OR ?2 IS NOT NULL OR"                   \
    " f.id IN (SELECT feedback_id FROM problem_cases WHERE problem_id=?3))"

static void bind_scope(sqlite3_stmt *st, const struct store_action_scope *sc, int64_t from,
                       int64_t to)
{
    capa_bind_text(st, 1, sc->category[0] ? sc->category : NULL);
    capa_bind_text(st, 2, sc->product[0] ? sc->product : NULL);
    sqlite3_bind_int64(st, 3, sc->problem_id);
    sqlite3_bind_int64(st, 4, from);
    sqlite3_bind_int64(st, 5, to);
}

static int window_counts(struct conn *c, const struct store_action_scope *sc, int64_t from,
                         int64_t to, struct store_window_counts *out, struct kerr *err)
{
    sqlite3_stmt *st;
    int rc = 0;

    st = capa_prepare(c,
                      "SELECT count(*),coalesce(sum(f.duplicate_of IS NOT NULL),0),"
                      "coalesce(sum(f.reopened_at IS NOT NULL),0) FROM feedback f"
                      " WHERE f.received_at>=?4 AND f.received_at<?5 AND" SCOPE_SQL,
                      err);
    if (!st)
        return KERR_IO;
    bind_scope(st, sc, from, to);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->scope = sqlite3_column_int64(st, 0);
        out->repeats = sqlite3_column_int64(st, 1);
        out->reopened = sqlite3_column_int64(st, 2);
    } else {
        rc = db_error(c->db, err, "count scope");
    }
    sqlite3_finalize(st);
    if (rc < 0)
        return rc;
    st = capa_prepare(c,
                      "SELECT count(*),coalesce(sum(s.csat>=4),0) FROM surveys s"
                      " JOIN feedback f ON f.id=s.feedback_id WHERE s.csat IS NOT NULL"
                      " AND s.answered_at>=?4 AND s.answered_at<?5 AND" SCOPE_SQL,
                      err);
    if (!st)
        return KERR_IO;
    bind_scope(st, sc, from, to);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->csat_n = sqlite3_column_int64(st, 0);
        out->csat_satisfied = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    return 0;
}

int store_window_counts(struct store *s, const struct store_action_scope *sc, int64_t from,
                        int64_t to, struct store_window_counts *out, struct kerr *err)
{
    int rc;
    memset(out, 0, sizeof *out);
    WITH_READER(s, err, {
        rc = window_counts(c, sc, from, to, out, err);
        if (rc == 0) {
            /* total volume of the window */
            sqlite3_stmt *st = capa_prepare(
                c, "SELECT count(*) FROM feedback WHERE received_at>=? AND received_at<?", err);
            if (st) {
                sqlite3_bind_int64(st, 1, from);
                sqlite3_bind_int64(st, 2, to);
                if (sqlite3_step(st) == SQLITE_ROW)
                    out->total = sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
            }
            /* a configured denominator over the window's days (local dates) */
            char d0[CLOCK_FMT_MAX], d1[CLOCK_FMT_MAX];
            clock_format(from, d0);
            clock_format(to, d1);
            d0[10] = d1[10] = 0;
            st = capa_prepare(c,
                              "SELECT sum(value),count(*) FROM volume_denominators"
                              " WHERE day>=? AND day<? AND product=?",
                              err);
            if (st) {
                capa_bind_text(st, 1, d0);
                capa_bind_text(st, 2, d1);
                capa_bind_text(st, 3, sc->product);
                if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 1) > 0)
                    out->denominator = sqlite3_column_double(st, 0);
                sqlite3_finalize(st);
            }
        }
    });
    return rc;
}

int store_actions_to_recheck(struct store *s, int64_t before, int64_t *ids, int max, int *n,
                             struct kerr *err)
{
    int rc = 0;
    *n = 0;
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(c,
                                        "SELECT id FROM actions WHERE verdict='effective' AND"
                                        " recurrence_at IS NULL AND status<>'cancelled' AND"
                                        " coalesce(recurrence_checked_at,0)<? ORDER BY id LIMIT ?",
                                        err);
        if (!st) {
            rc = KERR_IO;
        } else {
            sqlite3_bind_int64(st, 1, before);
            sqlite3_bind_int(st, 2, max);
            while (sqlite3_step(st) == SQLITE_ROW && *n < max)
                ids[(*n)++] = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    });
    return rc;
}

int store_kb_json(struct store *s, const char *category, const char *q, int limit,
                  struct strbuf *out, struct kerr *err)
{
    int rc;
    struct jsonw w;
    jsonw_init(&w, out);
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(
            c,
            "SELECT id,title,body,category,tags,status,created_by,created_at,updated_at"
            " FROM kb_articles WHERE status<>'archived' AND (?1 IS NULL OR category=?1)"
            " AND (?2 IS NULL OR instr(title,?2)>0 OR instr(body,?2)>0 OR instr(tags,?2)>0)"
            " ORDER BY id DESC LIMIT ?3",
            err);
        if (st) {
            capa_bind_text(st, 1, category);
            capa_bind_text(st, 2, q);
            sqlite3_bind_int(st, 3, limit > 0 ? limit : 50);
        }
        jsonw_obj(&w);
        jsonw_key(&w, "items");
        rc = capa_rows_json(c, st, &w, err);
        jsonw_end(&w);
    });
    return rc;
}

int store_kb_article_json(struct store *s, int64_t id, struct strbuf *out, struct kerr *err)
{
    int rc;
    struct jsonw w;
    jsonw_init(&w, out);
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(
            c,
            "SELECT id,title,body,category,tags,status,created_by,created_at,updated_at"
            " FROM kb_articles WHERE id=?",
            err);
        if (st)
            sqlite3_bind_int64(st, 1, id);
        rc = capa_row_json(c, st, &w, "article", err);
    });
    return rc;
}

int store_case_resolution(struct store *s, int64_t feedback_id, char **out, struct kerr *err)
{
    int rc = 0;
    *out = NULL;
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(
            c,
            "SELECT note FROM (SELECT id,note FROM feedback_events WHERE feedback_id=?1"
            " AND note IS NOT NULL AND note<>'' AND kind NOT IN ('survey','followup','duplicate',"
            "'sla_warning','sla_breach') UNION ALL SELECT 1e18+id,summary FROM root_causes"
            " WHERE feedback_id=?1 AND summary IS NOT NULL) ORDER BY id DESC LIMIT 1",
            err);
        if (!st) {
            rc = KERR_IO;
        } else {
            sqlite3_bind_int64(st, 1, feedback_id);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
                *out = xstrdup((const char *)sqlite3_column_text(st, 0));
            sqlite3_finalize(st);
        }
    });
    return rc;
}

int store_outbox_json(struct store *s, bool unsent_only, int limit, struct strbuf *out,
                      struct kerr *err)
{
    int rc;
    struct jsonw w;
    jsonw_init(&w, out);
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(c,
                                        "SELECT id,kind,feedback_id,action_id,recipient,subject,"
                                        "body,link,created_at,sent_at,attempts,last_error,"
                                        "send_state,channel,next_at,claimed_at"
                                        " FROM outbox WHERE NOT ?1 OR sent_at IS NULL"
                                        " ORDER BY id DESC LIMIT ?2",
                                        err);
        if (st) {
            sqlite3_bind_int(st, 1, unsent_only);
            sqlite3_bind_int(st, 2, limit > 0 ? limit : 100);
        }
        jsonw_obj(&w);
        jsonw_key(&w, "items");
        rc = capa_rows_json(c, st, &w, err);
        jsonw_end(&w);
    });
    return rc;
}

int store_simhash_window(struct store *s, int64_t since, int64_t until, int max,
                         store_simhash_cb cb, void *arg, struct kerr *err)
{
    int rc = 0;
    WITH_READER(s, err, {
        sqlite3_stmt *st = capa_prepare(
            c,
            "SELECT f.id,f.simhash,substr(coalesce(f.title,f.clean_text,f.text),1,60),"
            "f.category_l1,f.product FROM feedback f WHERE f.received_at>=? AND f.received_at<?"
            " AND f.simhash IS NOT NULL AND f.simhash<>0 AND NOT EXISTS (SELECT 1 FROM"
            " problem_cases pc WHERE pc.feedback_id=f.id) ORDER BY f.id LIMIT ?",
            err);
        if (!st) {
            rc = KERR_IO;
        } else {
            sqlite3_bind_int64(st, 1, since);
            sqlite3_bind_int64(st, 2, until);
            sqlite3_bind_int(st, 3, max);
            while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
                rc = cb(arg, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                        (const char *)sqlite3_column_text(st, 2),
                        (const char *)sqlite3_column_text(st, 3),
                        (const char *)sqlite3_column_text(st, 4));
            sqlite3_finalize(st);
        }
    });
    return rc;
}
