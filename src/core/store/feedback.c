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

/*
 * SLA states (store_filter.sla), each an SQL condition over f. The rare ones start from the
 * partial indexes of 0019 (a list of the ids in that state); ok and none are checked per
 * record along the time index, where they are dense. The conditions exclude each other.
 */
static const struct {
    const char *name, *sql;
} sla_states[] = {
    {"breached", "f.id IN (SELECT feedback_id FROM case_sla WHERE breached<>0)"},
    {"paused", "f.id IN (SELECT feedback_id FROM case_sla WHERE paused_since IS NOT NULL"
               " AND breached=0)"},
    {"warning", "f.id IN (SELECT feedback_id FROM case_sla WHERE warned<>0 AND breached=0"
                " AND paused_since IS NULL AND (warned&~met)<>0)"},
    {"ok", "EXISTS (SELECT 1 FROM case_sla cs WHERE cs.feedback_id=f.id AND cs.breached=0"
           " AND cs.paused_since IS NULL AND (cs.warned&~cs.met)=0)"},
    {"none", "NOT EXISTS (SELECT 1 FROM case_sla cs WHERE cs.feedback_id=f.id)"},
};
#define NSLA_STATES (sizeof sla_states / sizeof sla_states[0])

/*
 * Sort orders (store_filter.sort). col: the rank column of 0019 before received_at and id
 * (NULL: received_at and id alone); every key in one direction, so that one index serves
 * the order and the cursor is a row-value range on it. The first is the default, whose
 * cursor keeps its old form "r<received_at>.<id>"; the others' is "o<n>.<rank>.<t>.<id>".
 */
static const struct list_sort {
    const char *name, *col;
    bool desc;
} list_sorts[] = {
    {"-received_at", NULL, true},         {"received_at", NULL, false},
    {"-severity", "severity_rank", true}, {"severity", "severity_rank", false},
    {"-priority", "priority_rank", true}, {"priority", "priority_rank", false},
};
#define NLIST_SORTS (sizeof list_sorts / sizeof list_sorts[0])

/* The same ranks as the generated columns of 0019. */
static int64_t rank_of(const char *v, const char *const names[4])
{
    for (int i = 0; v && i < 4; i++)
        if (strcmp(v, names[i]) == 0)
            return 4 - i;
    return 0;
}

static int64_t sort_rank(const struct list_sort *o, const struct record *r)
{
    static const char *const sev[4] = {"critical", "high", "medium", "low"};
    static const char *const pri[4] = {"p1", "p2", "p3", "p4"};
    if (!o->col)
        return 0;
    return o->col[0] == 's' ? rank_of(r->severity, sev) : rank_of(r->priority, pri);
}

/* The sort's index in list_sorts, 0 for none; -1 when unknown. */
static int sort_index(const char *sort)
{
    if (!sort || !*sort)
        return 0;
    for (size_t i = 0; i < NLIST_SORTS; i++)
        if (strcmp(sort, list_sorts[i].name) == 0)
            return (int)i;
    return -1;
}

/* Calls cb for each item of a comma list (empty items skipped); stops at a nonzero return. */
static int each_item(const char *list, int (*cb)(void *, const char *, size_t), void *arg)
{
    const char *v = list;
    int rc = 0;
    while (v && *v && !rc) {
        const char *e = strchr(v, ',');
        size_t len = e ? (size_t)(e - v) : strlen(v);
        if (len)
            rc = cb(arg, v, len);
        v += len + (e ? 1 : 0);
    }
    return rc;
}

/* Sets bit i of *arg for the SLA state named by v; -1 when there is none. */
static int sla_bit(void *arg, const char *v, size_t len)
{
    unsigned *bits = arg;
    for (size_t i = 0; i < NSLA_STATES; i++)
        if (strlen(sla_states[i].name) == len && memcmp(v, sla_states[i].name, len) == 0) {
            *bits |= 1u << i;
            return 0;
        }
    return -1;
}

static int sla_bits(const char *list, unsigned *bits)
{
    *bits = 0;
    return each_item(list, sla_bit, bits);
}

int store_filter_check(const struct store_filter *f, struct kerr *err)
{
    unsigned bits;
    if (f->sla && sla_bits(f->sla, &bits) < 0)
        return kerr_set(err, KERR_INVALID, "invalid_field", "sla",
                        "sla is a comma list of ok, warning, breached, paused, none");
    if (sort_index(f->sort) < 0)
        return kerr_set(err, KERR_INVALID, "invalid_field", "sort",
                        "sort is received_at, severity or priority, with - for descending");
    return 0;
}

/* " AND (state OR state ...)" for the SLA states of the filter (checked before). */
static void where_sla(struct strbuf *sql, const char *list)
{
    unsigned bits;
    bool first = true;
    if (!list || sla_bits(list, &bits) < 0 || !bits)
        return;
    strbuf_addstr(sql, " AND (");
    for (size_t i = 0; i < NSLA_STATES; i++)
        if (bits & (1u << i)) {
            strbuf_addf(sql, "%s%s", first ? "" : " OR ", sla_states[i].sql);
            first = false;
        }
    strbuf_addch(sql, ')');
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
    where_sla(sql, f->sla);
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

/*
 * Cursors: "r<received_at>.<id>" for the default order, "o<n>.<rank>.<received_at>.<id>" for
 * list_sorts[n], "i<id>" for search order (a query without a sort). The key of the last row
 * shown: the next page starts after it.
 */
struct cursor_key {
    int64_t rank, t, id;
};

static int parse_int(const char **p, char stop, int64_t *out)
{
    char *end;
    *out = strtoll(*p, &end, 10);
    if (end == *p || *end != stop)
        return -1;
    *p = end + (stop ? 1 : 0);
    return 0;
}

static int parse_cursor(const char *cur, bool search, int sort, struct cursor_key *k)
{
    const char *p = cur + 1;
    int64_t n;
    if (search)
        return cur[0] == 'i' && parse_int(&p, '\0', &k->id) == 0 && k->id > 0 ? 0 : -1;
    if (sort == 0)
        return cur[0] == 'r' && parse_int(&p, '.', &k->t) == 0 &&
                       parse_int(&p, '\0', &k->id) == 0 && k->id > 0
                   ? 0
                   : -1;
    if (cur[0] != 'o' || parse_int(&p, '.', &n) < 0 || n != sort ||
        parse_int(&p, '.', &k->rank) < 0 || parse_int(&p, '.', &k->t) < 0 ||
        parse_int(&p, '\0', &k->id) < 0 || k->id <= 0)
        return -1;
    return 0;
}

static void write_cursor(char *out, size_t n, bool search, int sort, const struct cursor_key *k)
{
    if (search)
        snprintf(out, n, "i%" PRId64, k->id);
    else if (sort == 0)
        snprintf(out, n, "r%" PRId64 ".%" PRId64, k->t, k->id);
    else
        snprintf(out, n, "o%d.%" PRId64 ".%" PRId64 ".%" PRId64, sort, k->rank, k->t, k->id);
}

/* " AND <after the cursor> ORDER BY ..." for the sort (search: fts rowid order). */
static void order_by(struct strbuf *sql, struct params *p, const struct store_filter *f,
                     bool search, int sort, const struct cursor_key *k)
{
    const struct list_sort *o = &list_sorts[sort];
    const char *dir = o->desc ? "DESC" : "ASC";
    if (search) {
        if (k) {
            strbuf_addf(sql, " AND %s.rowid<?", fts_table(f));
            param_int(p, k->id);
        }
        strbuf_addf(sql, " ORDER BY %s.rowid DESC", fts_table(f));
        return;
    }
    if (k && o->col) {
        strbuf_addf(sql, " AND (f.%s,f.received_at,f.id)%s(?,?,?)", o->col, o->desc ? "<" : ">");
        param_int(p, k->rank);
    } else if (k) {
        strbuf_addf(sql, " AND (f.received_at,f.id)%s(?,?)", o->desc ? "<" : ">");
    }
    if (k) {
        param_int(p, k->t);
        param_int(p, k->id);
    }
    if (o->col)
        strbuf_addf(sql, " ORDER BY f.%s %s,", o->col, dir);
    else
        strbuf_addstr(sql, " ORDER BY");
    strbuf_addf(sql, " f.received_at %s, f.id %s", dir, dir);
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
    struct cursor_key ck = {0}, last = {0};
    int limit = f->limit > 0 && f->limit <= 1000 ? f->limit : 50;
    bool search = false, ordered = false, more = false, has_cursor = f->cursor && *f->cursor;
    int sort, rc = 0;

    page->count = 0;
    page->next_cursor[0] = '\0';
    page->total = -1;
    if ((rc = store_filter_check(f, err)) < 0)
        goto out;
    sort = sort_index(f->sort);
    if (f->q && *f->q) {
        if (f->q_words)
            word_match_expr(f->q, &match);
        else
            fts_cjk_match_expr(f->q, strlen(f->q), &match);
        search = match.len > 0;
    }
    /* a query lists newest recorded first unless a sort is asked for */
    ordered = search && f->sort && *f->sort;
    if (search && f->q_words && !s->segdict) {
        rc = kerr_set(err, KERR_INVALID, "invalid_field", "match",
                      "word search needs the text analysis (setting nlp)");
        goto out;
    }
    if (has_cursor && parse_cursor(f->cursor, search && !ordered, sort, &ck) < 0) {
        rc = kerr_set(err, KERR_INVALID, "invalid_cursor", "cursor",
                      "cursor is not one this list gave out (with this sort)");
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
    order_by(&sql, &p, f, search && !ordered, sort, has_cursor ? &ck : NULL);
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
        last = (struct cursor_key){sort_rank(&list_sorts[sort], &r), r.received_at, r.id};
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
    if (more)
        write_cursor(page->next_cursor, sizeof(page->next_cursor), search && !ordered, sort, &last);
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
