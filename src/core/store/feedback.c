/*
 * feedback.c: the feedback aggregate in SQLite: insert with idempotency,
 * patch with a timeline event per changed field, get, timeline, and lists
 * with filters, full-text search and cursor pagination.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "store/fts_cjk.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

static char columns_buf[2048];
static pthread_once_t columns_once = PTHREAD_ONCE_INIT;

static void build_columns(void)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, "f.id");
    for (size_t i = 0; i < record_nfields; i++)
        strbuf_addf(&sb, ",f.%s", record_fields[i].name);
    snprintf(columns_buf, sizeof(columns_buf), "%s", sb.buf);
    strbuf_release(&sb);
}

const char *feedback_columns(void)
{
    pthread_once(&columns_once, build_columns);
    return columns_buf;
}

/* Binds field f of r at parameter idx. bound (may be NULL): whether idx holds a value now; an
 * absent field whose parameter is NULL already is left alone. */
static void bind_field(sqlite3_stmt *st, int idx, struct record *r, const struct record_field *f,
                       unsigned char *bound)
{
    if (!record_has(r, f)) {
        if (!bound || *bound)
            sqlite3_bind_null(st, idx);
        if (bound)
            *bound = 0;
        return;
    }
    if (bound)
        *bound = 1;
    switch (f->kind) {
    case RF_TIME:
    case RF_INT:
        sqlite3_bind_int64(st, idx, *record_time(r, f));
        break;
    case RF_NUM:
        sqlite3_bind_double(st, idx, *record_num(r, f));
        break;
    default:
        sqlite3_bind_text(st, idx, *record_str(r, f), -1, SQLITE_STATIC);
    }
}

void feedback_row(sqlite3_stmt *st, int col, struct record *r)
{
    r->id = sqlite3_column_int64(st, col++);
    for (size_t i = 0; i < record_nfields; i++, col++) {
        const struct record_field *f = &record_fields[i];
        if (sqlite3_column_type(st, col) == SQLITE_NULL)
            continue;
        switch (f->kind) {
        case RF_TIME:
        case RF_INT:
            *record_time(r, f) = sqlite3_column_int64(st, col);
            break;
        case RF_NUM:
            *record_num(r, f) = sqlite3_column_double(st, col);
            break;
        default:
            *record_str(r, f) = xstrndup((const char *)sqlite3_column_text(st, col),
                                         (size_t)sqlite3_column_bytes(st, col));
        }
    }
}

static int find_one(struct conn *c, enum stmt_id id, const char *a, const char *b, int64_t *out)
{
    sqlite3_stmt *st = conn_stmt(c, id);
    int rc;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return 1;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int add_event(struct conn *c, int64_t id, int64_t at, const char *actor, const char *kind,
                     const char *field, const char *before, const char *after, const char *note,
                     struct kerr *err)
{
    sqlite3_stmt *st = conn_stmt(c, ST_EVENT);
    if (!st)
        return db_error(c->db, err, "prepare event");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_text(st, 3, actor ? actor : "system", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, field, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, before, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, after, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, note, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_error(c->db, err, "insert event");
    return 0;
}

int feedback_add_event(struct conn *c, int64_t id, int64_t at, const char *actor, const char *kind,
                       const char *note, struct kerr *err)
{
    return add_event(c, id, at, actor, kind, NULL, NULL, NULL, note, err);
}

int feedback_insert_one(struct conn *c, struct record *r, const char *actor,
                        struct store_insert_result *res, struct kerr *err)
{
    sqlite3_stmt *st = conn_stmt(c, ST_INSERT);
    int64_t id = 0;
    int found = 0;

    if (!st)
        return db_error(c->db, err, "prepare insert");
    if (!r->created_by)
        r->created_by = xstrdup(actor ? actor : "system");
    if (c->s && dedup_check(c->s, c, r, err) < 0)
        return KERR_IO;
    for (size_t i = 0; i < record_nfields; i++)
        bind_field(st, (int)i + 1, r, &record_fields[i],
                   i < sizeof c->insert_bound ? &c->insert_bound[i] : NULL);
    if (sqlite3_step(st) != SQLITE_DONE)
        return db_error(c->db, err, "insert feedback");
    if (sqlite3_changes(c->db) == 1) {
        r->id = res->id = sqlite3_last_insert_rowid(c->db);
        res->created = true;
        if (c->s)
            rollup_add_record(c->s->ru_job, r, 1);
        case_stats_inserted(c, r);
        return c->s ? dedup_added(c->s, c, r, actor, r->recorded_at, err) : 0;
    }
    /* a conflict: this is a re-delivery; return the original */
    if (r->external_id)
        found = find_one(c, ST_FIND_EXTERNAL, r->channel, r->external_id, &id);
    if (found == 0 && r->idempotency_key)
        found = find_one(c, ST_FIND_IDEMPOTENCY, r->idempotency_key, NULL, &id);
    if (found <= 0)
        return db_error(c->db, err, "find original of duplicate");
    r->id = res->id = id;
    res->created = false;
    return 0;
}

/* The text of field f of r, as the timeline shows it; NULL when absent. */
static char *field_text(struct record *r, const struct record_field *f)
{
    char buf[64];
    if (!record_has(r, f))
        return NULL;
    switch (f->kind) {
    case RF_TIME:
    case RF_INT:
        snprintf(buf, sizeof(buf), "%" PRId64, *record_time(r, f));
        return xstrdup(buf);
    case RF_NUM:
        snprintf(buf, sizeof(buf), "%g", *record_num(r, f));
        return xstrdup(buf);
    default:
        return xstrdup(*record_str(r, f));
    }
}

/* Which life-event timestamp a status sets when first reached. */
static const char *status_stamp(const char *status)
{
    static const char *const map[][2] = {
        {"acknowledged", "acknowledged_at"}, {"assigned", "assigned_at"},
        {"responded", "responded_at"},       {"closed", "closed_at"},
        {"closed_unaccepted", "closed_at"},  {"reopened", "reopened_at"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(status, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

int feedback_rollup_id(struct conn *c, int64_t id, int sign, struct kerr *err)
{
    struct record rec;
    sqlite3_stmt *st;
    int rc;
    if (!c->s)
        return 0;
    case_stats_dirty(c, id);
    if (!(st = conn_stmt(c, ST_GET)))
        return db_error(c->db, err, "prepare get");
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        record_init(&rec);
        feedback_row(st, 0, &rec);
        rollup_add_record(c->s->ru_job, &rec, sign);
        record_release(&rec);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read feedback");
}

/* Moves the record's rollup counts from its old to its new dimension values. */
static void patch_rollups(struct store *s, struct record *cur, const struct store_patch *p,
                          const struct record_field *const *changed, int nchanged)
{
    struct record after;
    bool any = false;
    for (int i = 0; i < nchanged; i++)
        any |= rollup_field(changed[i]->name);
    if (!any)
        return;
    record_copy(&after, cur);
    for (int i = 0; i < nchanged; i++) {
        const struct record_field *f = changed[i];
        struct record *src = (struct record *)&p->values;
        if (f->kind == RF_TIME || f->kind == RF_INT) {
            *record_time(&after, f) = *record_time(src, f);
        } else if (f->kind == RF_NUM) {
            *record_num(&after, f) = *record_num(src, f);
        } else {
            char **dst = record_str(&after, f), *v = *record_str(src, f);
            free(*dst);
            *dst = v ? xstrdup(v) : NULL;
        }
    }
    rollup_add_record(s->ru_job, cur, -1);
    rollup_add_record(s->ru_job, &after, 1);
    record_release(&after);
}

int feedback_patch(struct conn *c, int64_t id, struct store_patch *p, const char *actor,
                   int64_t now, struct kerr *err)
{
    struct record cur;
    struct strbuf sql = STRBUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc = 0, nchanged = 0;
    const struct record_field *changed[STORE_PATCH_MAX];

    record_init(&cur);
    st = conn_stmt(c, ST_GET);
    if (!st)
        return db_error(c->db, err, "prepare get");
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
            return kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no feedback with id %" PRId64,
                            id);
        return db_error(c->db, err, "read feedback");
    }
    feedback_row(st, 0, &cur);
    sqlite3_reset(st);
    rc = 0;
    case_stats_dirty(c, id); /* status, times, sentiment, assignee... count in the case rollups */

    struct strbuf detail = STRBUF_INIT;
    struct jsonw w;
    jsonw_init(&w, &detail);
    jsonw_obj(&w);
    for (size_t i = 0; i < p->n && rc == 0; i++) {
        const struct record_field *f = p->fields[i];
        char *before = field_text(&cur, f), *after = field_text(&p->values, f);
        bool same = (!before && !after) || (before && after && strcmp(before, after) == 0);
        if (!same) {
            changed[nchanged++] = f;
            rc =
                add_event(c, id, now, actor, "field_changed", f->name, before, after, p->note, err);
            jsonw_key(&w, f->name);
            jsonw_arr(&w);
            jsonw_str(&w, before);
            jsonw_str(&w, after);
            jsonw_end(&w);
        }
        free(before);
        free(after);
    }
    if (p->note)
        jsonw_kstr(&w, "note", p->note);
    jsonw_end(&w);
    if (rc == 0 && nchanged > 0) {
        char object[40];
        struct store_audit a = {now, actor, NULL, "feedback.update", object, detail.buf};
        snprintf(object, sizeof object, "feedback:%" PRId64, id);
        rc = audit_append(c, &a, err);
    }
    strbuf_release(&detail);
    if (rc < 0 || nchanged == 0)
        goto out;

    strbuf_addstr(&sql, "UPDATE feedback SET updated_at=?");
    for (int i = 0; i < nchanged; i++)
        strbuf_addf(&sql, ",%s=?", changed[i]->name);
    for (int i = 0; i < nchanged; i++) {
        const char *stamp = NULL;
        if (strcmp(changed[i]->name, "status") == 0 && p->values.status)
            stamp = status_stamp(p->values.status);
        else if (strcmp(changed[i]->name, "assignee") == 0 && p->values.assignee)
            stamp = "assigned_at";
        if (stamp)
            strbuf_addf(&sql, ",%s=coalesce(%s,?1)", stamp, stamp);
    }
    /* a person's category or severity: kept by later analysis (store/nlp.c) */
    for (int i = 0; i < nchanged; i++)
        if (strncmp(changed[i]->name, "category_l", 10) == 0) {
            strbuf_addstr(&sql, ",category_source='manual',category_confidence=1");
            break;
        }
    for (int i = 0; i < nchanged; i++)
        if (strcmp(changed[i]->name, "severity") == 0)
            strbuf_addstr(&sql, ",severity_source='manual'");
    strbuf_addstr(&sql, " WHERE id=?");
    if (sqlite3_prepare_v2(c->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare update");
        goto out;
    }
    sqlite3_bind_int64(st, 1, now);
    for (int i = 0; i < nchanged; i++)
        bind_field(st, i + 2, &p->values, changed[i], NULL);
    sqlite3_bind_int64(st, nchanged + 2, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_error(c->db, err, "update feedback");
    sqlite3_finalize(st);
    if (rc == 0 && c->s)
        patch_rollups(c->s, &cur, p, changed, nchanged);
out:
    strbuf_release(&sql);
    record_release(&cur);
    return rc;
}

/* ---- reads ---------------------------------------------------------------- */

int store_feedback_get(struct store *s, int64_t id, struct record *out, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return KERR_IO;
    st = conn_stmt(c, ST_GET);
    if (!st) {
        rc = db_error(c->db, err, "prepare get");
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        feedback_row(st, 0, out);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no feedback with id %" PRId64, id);
    } else {
        rc = db_error(c->db, err, "read feedback");
    }
    sqlite3_reset(st);
out:
    store_reader_put(s, c);
    return rc;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

int store_feedback_events(struct store *s, int64_t id, store_event_cb cb, void *arg,
                          struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc = 0;

    if (!c)
        return KERR_IO;
    /* the creation event is the record's own recorded_at and created_by */
    if (!(st = conn_stmt(c, ST_CREATED))) {
        rc = db_error(c->db, err, "prepare events");
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_event ev = {
            0, sqlite3_column_int64(st, 0), col_text(st, 1), "created", NULL, NULL, NULL, NULL};
        rc = cb(arg, &ev);
    } else {
        rc = rc == SQLITE_DONE ? kerr_set(err, KERR_NOTFOUND, "not_found", "id",
                                          "no feedback with id %" PRId64, id)
                               : db_error(c->db, err, "read feedback");
    }
    sqlite3_reset(st);
    if (rc != 0) {
        rc = rc > 0 ? 0 : rc; /* the callback stopped, or not found */
        goto out;
    }
    if (!(st = conn_stmt(c, ST_EVENTS))) {
        rc = db_error(c->db, err, "prepare events");
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_event ev = {sqlite3_column_int64(st, 0),
                                 sqlite3_column_int64(st, 1),
                                 col_text(st, 2),
                                 col_text(st, 3),
                                 col_text(st, 4),
                                 col_text(st, 5),
                                 col_text(st, 6),
                                 col_text(st, 7)};
        if (cb(arg, &ev))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read events");
    sqlite3_reset(st);
out:
    store_reader_put(s, c);
    return rc;
}

int store_feedback_channel_counts(struct store *s, store_count_cb cb, void *arg)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st;
    int rc = -1;
    if (!c)
        return KERR_IO;
    if ((st = conn_stmt(c, ST_COUNTS))) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            if (cb(arg, col_text(st, 0), sqlite3_column_int64(st, 1)))
                break;
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : KERR_IO;
        sqlite3_reset(st);
    }
    store_reader_put(s, c);
    return rc;
}

/* ---- lists ---------------------------------------------------------------- */

/* Parameters collected while building a list query; text values borrowed from the filter. */
struct param {
    bool is_int;
    int64_t i;
    const char *s;
    size_t len;
};

struct params {
    int n;
    struct param v[96];
};

static void param_text(struct params *p, const char *s, size_t len)
{
    if (p->n < 96)
        p->v[p->n++] = (struct param){false, 0, s, len};
}

static void param_int(struct params *p, int64_t i)
{
    if (p->n < 96)
        p->v[p->n++] = (struct param){true, i, NULL, 0};
}

/* " AND col IN (?,?,...)" for a comma-separated list (at most 32 values). */
static void where_in(struct strbuf *sql, struct params *p, const char *col, const char *list)
{
    const char *v = list;
    int k = 0;
    if (!list || !*list)
        return;
    strbuf_addf(sql, " AND f.%s IN (", col);
    while (*v && k < 32) {
        const char *e = strchr(v, ',');
        size_t len = e ? (size_t)(e - v) : strlen(v);
        strbuf_addstr(sql, k++ ? ",?" : "?");
        param_text(p, v, len);
        v += len + (e ? 1 : 0);
    }
    strbuf_addch(sql, ')');
}

static void where_eq(struct strbuf *sql, struct params *p, const char *col, const char *val)
{
    if (!val || !*val)
        return;
    strbuf_addf(sql, " AND f.%s=?", col);
    param_text(p, val, strlen(val));
}

/* The full-text table: characters (kesu_cjk, substring search) or words (kesu_seg). */
static const char *fts_table(const struct store_filter *f)
{
    return f->q_words ? "fts_w" : "fts";
}

/* Word search: each space-separated term a phrase cut by kesu_seg, all required. */
static void word_match_expr(const char *q, struct strbuf *out)
{
    const char *p = q;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (out->len)
            strbuf_addch(out, ' ');
        strbuf_addch(out, '"');
        for (; *p && *p != ' ' && *p != '\t'; p++) {
            if (*p == '"')
                strbuf_addch(out, '"');
            strbuf_addch(out, *p);
        }
        strbuf_addch(out, '"');
    }
}

/* The WHERE clause shared by the page query and the count query. */
static void build_where(struct strbuf *sql, struct params *p, const struct store_filter *f,
                        const char *match)
{
    strbuf_addstr(sql, " WHERE 1");
    if (f->scope && f->scope->kind != STORE_SCOPE_ALL) {
        char *sc = store_scope_sql(f->scope, "f");
        strbuf_addf(sql, " AND %s", sc);
        free(sc);
    }
    if (match) {
        strbuf_addf(sql, " AND %s MATCH ?", fts_table(f));
        param_text(p, match, strlen(match));
    }
    where_in(sql, p, "channel", f->channel);
    where_in(sql, p, "status", f->status);
    if (f->category && *f->category) {
        strbuf_addstr(sql, " AND (f.category_l1=? OR f.category_l2=? OR f.category_l3=?)");
        for (int i = 0; i < 3; i++)
            param_text(p, f->category, strlen(f->category));
    }
    where_eq(sql, p, "product", f->product);
    where_eq(sql, p, "store", f->store);
    where_eq(sql, p, "region", f->region);
    where_eq(sql, p, "customer_id", f->customer_id);
    where_eq(sql, p, "severity", f->severity);
    where_eq(sql, p, "sentiment", f->sentiment);
    where_eq(sql, p, "assignee", f->assignee);
    where_eq(sql, p, "team", f->team);
    if (f->since) {
        strbuf_addstr(sql, " AND f.received_at>=?");
        param_int(p, f->since);
    }
    if (f->until) {
        strbuf_addstr(sql, " AND f.received_at<?");
        param_int(p, f->until);
    }
}

static void bind_params(sqlite3_stmt *st, const struct params *p)
{
    for (int i = 0; i < p->n; i++) {
        if (p->v[i].is_int)
            sqlite3_bind_int64(st, i + 1, p->v[i].i);
        else
            sqlite3_bind_text(st, i + 1, p->v[i].s, (int)p->v[i].len, SQLITE_STATIC);
    }
}

/* Cursors: "r<received_at>.<id>" for time order, "i<id>" for search order. */
static int parse_cursor(const char *cur, bool search, int64_t *t, int64_t *id)
{
    char *end;
    if (search) {
        if (cur[0] != 'i')
            return -1;
        *id = strtoll(cur + 1, &end, 10);
        return *end || *id <= 0 ? -1 : 0;
    }
    if (cur[0] != 'r')
        return -1;
    *t = strtoll(cur + 1, &end, 10);
    if (*end != '.')
        return -1;
    *id = strtoll(end + 1, &end, 10);
    return *end || *id <= 0 ? -1 : 0;
}

static int count_total(struct conn *c, const struct store_filter *f, const char *match,
                       int64_t *total, struct kerr *err)
{
    struct strbuf sql = STRBUF_INIT;
    struct params p = {0};
    sqlite3_stmt *st;
    int rc = 0;

    if (match)
        strbuf_addf(&sql, "SELECT count(*) FROM s.%s JOIN feedback f ON f.id=%s.rowid",
                    fts_table(f), fts_table(f));
    else
        strbuf_addstr(&sql, "SELECT count(*) FROM feedback f");
    build_where(&sql, &p, f, match);
    if (sqlite3_prepare_v2(c->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare count");
        goto out;
    }
    bind_params(st, &p);
    if (sqlite3_step(st) == SQLITE_ROW)
        *total = sqlite3_column_int64(st, 0);
    else
        rc = db_error(c->db, err, "count");
    sqlite3_finalize(st);
out:
    strbuf_release(&sql);
    return rc;
}

int store_feedback_list(struct store *s, const struct store_filter *f, store_record_cb cb,
                        void *arg, struct store_page *page, struct kerr *err)
{
    struct strbuf sql = STRBUF_INIT, match = STRBUF_INIT;
    struct params p = {0};
    struct conn *c = NULL;
    sqlite3_stmt *st = NULL;
    int64_t ct = 0, cid = 0, last_t = 0, last_id = 0;
    int limit = f->limit > 0 && f->limit <= 1000 ? f->limit : 50;
    bool search = false, more = false;
    int rc = 0;

    page->count = 0;
    page->next_cursor[0] = '\0';
    page->total = -1;
    if (f->q && *f->q) {
        if (f->q_words)
            word_match_expr(f->q, &match);
        else
            fts_cjk_match_expr(f->q, strlen(f->q), &match);
        search = match.len > 0;
    }
    if (search && f->q_words && !s->segdict) {
        rc = kerr_set(err, KERR_INVALID, "invalid_field", "match",
                      "word search needs the text analysis (setting nlp)");
        goto out;
    }
    if (f->cursor && *f->cursor && parse_cursor(f->cursor, search, &ct, &cid) < 0) {
        rc = kerr_set(err, KERR_INVALID, "invalid_cursor", "cursor",
                      "cursor is not one this list gave out");
        goto out;
    }
    if (!(c = store_reader(s, err))) {
        rc = KERR_IO;
        goto out;
    }
    strbuf_addf(&sql, "SELECT %s FROM ", feedback_columns());
    if (search)
        strbuf_addf(&sql, "s.%s JOIN feedback f ON f.id=%s.rowid", fts_table(f), fts_table(f));
    else
        strbuf_addstr(&sql, "feedback f");
    build_where(&sql, &p, f, search ? match.buf : NULL);
    if (f->cursor && *f->cursor) {
        if (search) {
            strbuf_addf(&sql, " AND %s.rowid<?", fts_table(f));
            param_int(&p, cid);
        } else {
            strbuf_addstr(&sql, " AND (f.received_at,f.id)<(?,?)");
            param_int(&p, ct);
            param_int(&p, cid);
        }
    }
    if (search)
        strbuf_addf(&sql, " ORDER BY %s.rowid DESC", fts_table(f));
    else
        strbuf_addstr(&sql, " ORDER BY f.received_at DESC, f.id DESC");
    strbuf_addstr(&sql, " LIMIT ?");
    param_int(&p, limit + 1);

    if (sqlite3_prepare_v2(c->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare list");
        goto out;
    }
    bind_params(st, &p);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct record r;
        if ((int)page->count == limit) {
            more = true;
            break;
        }
        record_init(&r);
        feedback_row(st, 0, &r);
        last_t = r.received_at;
        last_id = r.id;
        page->count++;
        int stop = cb(arg, &r);
        record_release(&r);
        if (stop)
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rc = db_error(c->db, err, "list");
        goto out;
    }
    rc = 0;
    if (more) {
        if (search)
            snprintf(page->next_cursor, sizeof(page->next_cursor), "i%" PRId64, last_id);
        else
            snprintf(page->next_cursor, sizeof(page->next_cursor), "r%" PRId64 ".%" PRId64, last_t,
                     last_id);
    }
    if (f->want_total)
        rc = count_total(c, f, search ? match.buf : NULL, &page->total, err);
out:
    sqlite3_finalize(st);
    if (c)
        store_reader_put(s, c);
    strbuf_release(&sql);
    strbuf_release(&match);
    return rc;
}
