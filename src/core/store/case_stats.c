/*
 * case_stats.c: the case rollups behind /stats/handling, /stats/sla and
 * /stats/staff.
 *
 * A case's contribution to these figures depends on much more than its
 * dimension fields: its status and life-event times, its SLA row, its survey
 * answers, its transfers. Rather than reconstruct "what it counted before"
 * at each of those places, each case keeps what it counts now in
 * stats_case_view; a change anywhere only marks the case (case_stats_dirty),
 * and at the end of the writer's job every marked case is read again: the
 * old view is taken away, the new one added, and the view replaced. Marking
 * is idempotent and may come before or after the change, so the rollups
 * stay exact whatever path changed the case, and `kesu stats rebuild`
 * (case_stats_rebuild) gives the same rows. Deltas gather in a map per job
 * (dropped when the job rolls back) merged into the batch's, written once
 * per (dimension, day, key, metric) before the commit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

enum { CD_ALL, CD_ASSIGNEE, CD_TEAM, CD_ASSIGNEE_TEAM, CD_COUNT };
static const char *const cd_name[CD_COUNT] = {"all", "assignee", "team", "assignee_team"};

/* ---- what a case counts ------------------------------------------------------------ */

int store_stats_hist_bucket(int64_t ms)
{
    if (ms < 60000)
        return 0;
    double b = 1 + floor(16.0 * log2((double)ms / 60000.0));
    return b >= STATS_HIST_BUCKETS - 1 ? STATS_HIST_BUCKETS - 1 : (int)b;
}

static bool closed_status(const char *s)
{
    return s && (strcmp(s, "closed") == 0 || strcmp(s, "closed_unaccepted") == 0);
}

void store_case_view_of(const struct store_case *k, struct store_case_view *v)
{
    unsigned f = 0;
    bool closed = k->closed_at > 0 && closed_status(k->status);
    int64_t done = k->resolved_at > 0 ? k->resolved_at : k->closed_at;
    int64_t from = k->assigned_at > 0 ? k->assigned_at : k->received_at;

    v->day = clock_local_day(k->received_at, NULL);
    v->assignee = k->assignee;
    v->team = k->team;
    if (closed) {
        f |= STATS_CF_CLOSED;
        if (k->reopened_at == 0 && k->transfers == 0)
            f |= STATS_CF_FCR;
    }
    if (k->closed_at > 0 || k->reopened_at > 0)
        f |= STATS_CF_EVER_CLOSED;
    if (k->reopened_at > 0)
        f |= STATS_CF_REOPENED;
    if (k->duplicate_of > 0)
        f |= STATS_CF_DUPLICATE;
    else
        f |= STATS_CF_ORIGINAL | (k->repeat_count > 0 ? STATS_CF_REPEATED : 0);
    if (k->sentiment) {
        f |= STATS_CF_SENTIMENT;
        if (strcmp(k->sentiment, "negative") == 0)
            f |= STATS_CF_NEGATIVE;
    }
    if (k->sla >= 0) {
        f |= STATS_CF_SLA;
        if (k->sla != 0)
            f |= STATS_CF_SLA_BREACHED;
        for (int b = 0; b < 3; b++)
            if ((k->sla >> b) & 1)
                f |= (unsigned)STATS_CF_SLA_ACK << b;
    }
    if (!isnan(k->csat)) {
        f |= STATS_CF_SURVEYED;
        if (k->csat >= 4)
            f |= STATS_CF_SATISFIED;
    }
    v->flags = f;
    v->ack = k->acknowledged_at > 0 && k->acknowledged_at >= k->received_at
                 ? k->acknowledged_at - k->received_at
                 : -1;
    v->res = done > 0 && done >= k->received_at ? done - k->received_at : -1;
    v->hand = closed && k->closed_at >= from ? k->closed_at - from : -1;
}

static int64_t col_i64(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

void case_stats_row(sqlite3_stmt *st, struct store_case *k)
{
    *k = (struct store_case){
        .id = col_i64(st, 0),
        .received_at = col_i64(st, 1),
        .acknowledged_at = col_i64(st, 2),
        .assigned_at = col_i64(st, 3),
        .responded_at = col_i64(st, 4),
        .resolved_at = col_i64(st, 5),
        .closed_at = col_i64(st, 6),
        .reopened_at = col_i64(st, 7),
        .duplicate_of = col_i64(st, 8),
        .repeat_count = col_i64(st, 9),
        .status = (const char *)sqlite3_column_text(st, 10),
        .assignee = (const char *)sqlite3_column_text(st, 11),
        .team = (const char *)sqlite3_column_text(st, 12),
        .sentiment = (const char *)sqlite3_column_text(st, 13),
        .transfers = (int)col_i64(st, 14),
        .sla = sqlite3_column_type(st, 15) == SQLITE_NULL ? -1 : (int)col_i64(st, 15),
        .csat = sqlite3_column_type(st, 16) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 16),
    };
}

/* ---- the delta map ------------------------------------------------------------------- */

struct centry {
    char *key; /* NULL: empty slot */
    uint64_t hash;
    int64_t day, n, s;
    int dim, metric;
};

struct cmap {
    struct centry *e;
    size_t cap, used;
};

/* A case inserted by the job, with the view computed from the record as inserted. */
struct fresh {
    int64_t id;
    struct store_case_view v; /* assignee and team are owned copies */
};

struct case_stats {
    struct cmap job, batch;
    int64_t *dirty;
    size_t ndirty, dcap;
    struct fresh *fresh;
    size_t nfresh, fcap;
    sqlite3 *db; /* the statements below are prepared on it */
    sqlite3_stmt *get_view, *get_case, *put_view, *upsert;
};

static void fresh_reset(struct case_stats *cs);

static void cmap_init(struct cmap *m)
{
    m->cap = 256;
    m->used = 0;
    m->e = xcalloc(m->cap, sizeof(*m->e));
}

static void cmap_reset(struct cmap *m)
{
    if (m->used == 0)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        free(m->e[i].key);
        m->e[i].key = NULL;
    }
    m->used = 0;
}

static struct centry *cslot(struct centry *e, size_t cap, uint64_t h, const struct centry *k)
{
    size_t i = (size_t)h & (cap - 1);
    while (e[i].key && !(e[i].hash == h && e[i].dim == k->dim && e[i].day == k->day &&
                         e[i].metric == k->metric && strcmp(e[i].key, k->key) == 0))
        i = (i + 1) & (cap - 1);
    return &e[i];
}

static void cmap_add(struct cmap *m, int dim, int64_t day, const char *key, int metric, int64_t n,
                     int64_t s)
{
    struct centry k = {(char *)key, 0, day, 0, 0, dim, metric};
    uint64_t h =
        1469598103934665603ULL ^ (uint64_t)dim ^ ((uint64_t)day << 8) ^ ((uint64_t)metric << 40);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    h ^= h >> 29;
    if ((m->used + 1) * 10 > m->cap * 6) {
        size_t ncap = m->cap * 2;
        struct centry *ne = xcalloc(ncap, sizeof(*ne));
        for (size_t i = 0; i < m->cap; i++)
            if (m->e[i].key)
                *cslot(ne, ncap, m->e[i].hash, &m->e[i]) = m->e[i];
        free(m->e);
        m->e = ne;
        m->cap = ncap;
    }
    struct centry *e = cslot(m->e, m->cap, h, &k);
    if (!e->key) {
        *e = (struct centry){xstrdup(key), h, day, 0, 0, dim, metric};
        m->used++;
    }
    e->n += n;
    e->s += s;
}

static void cmap_merge(struct cmap *into, const struct cmap *from)
{
    for (size_t i = 0; i < from->cap; i++) {
        const struct centry *e = &from->e[i];
        if (e->key)
            cmap_add(into, e->dim, e->day, e->key, e->metric, e->n, e->s);
    }
}

/* Adds (sign 1) or takes away (-1) what view v counts. */
static void add_view(struct cmap *m, const struct store_case_view *v, int sign)
{
    const char *keys[CD_COUNT] = {"", v->assignee, v->assignee ? v->team : NULL, NULL};
    struct strbuf at = STRBUF_INIT;
    if (v->assignee && v->team) {
        strbuf_addf(&at, "%s\x1f%s", v->assignee, v->team);
        keys[CD_ASSIGNEE_TEAM] = at.buf;
    }
    for (int d = 0; d < CD_COUNT; d++) {
        if (!keys[d])
            continue;
        cmap_add(m, d, v->day, keys[d], STATS_CM_RECORDS, sign, 0);
        if (d == CD_ASSIGNEE_TEAM)
            continue;
        for (int b = 0; b < STATS_CF_COUNT; b++)
            if (v->flags & (1u << b))
                cmap_add(m, d, v->day, keys[d], b + 1, sign, 0);
        if (v->hand >= 0)
            cmap_add(m, d, v->day, keys[d], STATS_CM_HANDLING, sign, sign * v->hand);
        if (d != CD_ALL)
            continue;
        if (v->ack >= 0) {
            cmap_add(m, d, v->day, "", STATS_CM_ACK, sign, sign * v->ack);
            cmap_add(m, d, v->day, "", STATS_CM_ACK_HIST + store_stats_hist_bucket(v->ack), sign,
                     sign * v->ack);
        }
        if (v->res >= 0) {
            cmap_add(m, d, v->day, "", STATS_CM_RESOLVE, sign, sign * v->res);
            cmap_add(m, d, v->day, "", STATS_CM_RESOLVE_HIST + store_stats_hist_bucket(v->res),
                     sign, sign * v->res);
        }
    }
    strbuf_release(&at);
}

/* ---- lifecycle --------------------------------------------------------------------- */

struct case_stats *case_stats_new(void)
{
    struct case_stats *cs = xcalloc(1, sizeof(*cs));
    cmap_init(&cs->job);
    cmap_init(&cs->batch);
    return cs;
}

static void finalize_stmts(struct case_stats *cs)
{
    sqlite3_finalize(cs->get_view);
    sqlite3_finalize(cs->get_case);
    sqlite3_finalize(cs->put_view);
    sqlite3_finalize(cs->upsert);
    cs->get_view = cs->get_case = cs->put_view = cs->upsert = NULL;
    cs->db = NULL;
}

void case_stats_free(struct case_stats *cs)
{
    if (!cs)
        return;
    finalize_stmts(cs);
    cmap_reset(&cs->job);
    cmap_reset(&cs->batch);
    free(cs->job.e);
    free(cs->batch.e);
    free(cs->dirty);
    fresh_reset(cs);
    free(cs->fresh);
    free(cs);
}

void case_stats_dirty(struct conn *c, int64_t id)
{
    struct case_stats *cs = c->s ? c->s->cs : NULL;
    if (!cs || id <= 0)
        return;
    if (cs->ndirty && cs->dirty[cs->ndirty - 1] == id)
        return;
    if (cs->ndirty == cs->dcap) {
        cs->dcap = cs->dcap ? cs->dcap * 2 : 64;
        cs->dirty = xrealloc(cs->dirty, cs->dcap * sizeof(*cs->dirty));
    }
    cs->dirty[cs->ndirty++] = id;
}

void case_stats_inserted(struct conn *c, const struct record *r)
{
    struct case_stats *cs = c->s ? c->s->cs : NULL;
    struct store_case k;
    struct fresh *f;
    if (!cs || r->id <= 0)
        return;
    if (cs->nfresh == cs->fcap) {
        cs->fcap = cs->fcap ? cs->fcap * 2 : 64;
        cs->fresh = xrealloc(cs->fresh, cs->fcap * sizeof(*cs->fresh));
    }
    /* what case_stats_row reads back from the row just written: no SLA row, survey or
     * transfer can exist yet (adding one marks the case dirty, and then it is read) */
    k = (struct store_case){
        .id = r->id,
        .received_at = r->received_at,
        .acknowledged_at = r->acknowledged_at,
        .assigned_at = r->assigned_at,
        .responded_at = r->responded_at,
        .resolved_at = r->resolved_at,
        .closed_at = r->closed_at,
        .reopened_at = r->reopened_at,
        .duplicate_of = r->duplicate_of,
        .repeat_count = r->repeat_count,
        .status = r->status,
        .assignee = r->assignee,
        .team = r->team,
        .sentiment = r->sentiment,
        .transfers = 0,
        .sla = -1,
        .csat = NAN,
    };
    f = &cs->fresh[cs->nfresh++];
    f->id = r->id;
    store_case_view_of(&k, &f->v);
    f->v.assignee = r->assignee ? xstrdup(r->assignee) : NULL;
    f->v.team = r->team ? xstrdup(r->team) : NULL;
}

static void fresh_reset(struct case_stats *cs)
{
    for (size_t i = 0; i < cs->nfresh; i++) {
        free((char *)cs->fresh[i].v.assignee);
        free((char *)cs->fresh[i].v.team);
    }
    cs->nfresh = 0;
}

void case_stats_job_reset(struct case_stats *cs)
{
    if (!cs)
        return;
    cmap_reset(&cs->job);
    cs->ndirty = 0;
    fresh_reset(cs);
}

void case_stats_batch_reset(struct case_stats *cs)
{
    if (!cs)
        return;
    case_stats_job_reset(cs);
    cmap_reset(&cs->batch);
}

static int prepare(struct conn *c, struct case_stats *cs, struct kerr *err)
{
    static const char *const sql[4] = {
        "SELECT day,assignee,team,flags,ack,res,hand FROM stats_case_view WHERE feedback_id=?",
        "SELECT " CASE_STATS_COLS " FROM feedback f WHERE f.id=?",
        "INSERT OR REPLACE INTO stats_case_view(feedback_id,day,assignee,team,flags,ack,res,"
        "hand) VALUES(?,?,?,?,?,?,?,?)",
        "INSERT INTO stats_cases(dim,day,key,metric,n,s) VALUES(?,?,?,?,?,?) "
        "ON CONFLICT(dim,day,key,metric) DO UPDATE SET n=n+excluded.n,s=s+excluded.s",
    };
    sqlite3_stmt **out[4] = {&cs->get_view, &cs->get_case, &cs->put_view, &cs->upsert};
    if (cs->db == c->db)
        return 0;
    finalize_stmts(cs);
    for (int i = 0; i < 4; i++)
        if (sqlite3_prepare_v3(c->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, out[i], NULL) !=
            SQLITE_OK) {
            int rc = db_error(c->db, err, "prepare case rollups");
            finalize_stmts(cs);
            return rc;
        }
    cs->db = c->db;
    return 0;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static int put_view(struct case_stats *cs, int64_t id, const struct store_case_view *v)
{
    sqlite3_stmt *st = cs->put_view;
    int rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, v->day);
    bind_opt(st, 3, v->assignee);
    bind_opt(st, 4, v->team);
    sqlite3_bind_int64(st, 5, v->flags);
    sqlite3_bind_int64(st, 6, v->ack);
    sqlite3_bind_int64(st, 7, v->res);
    sqlite3_bind_int64(st, 8, v->hand);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_view(const struct store_case_view *a, const struct store_case_view *b)
{
    return a->day == b->day && a->flags == b->flags && a->ack == b->ack && a->res == b->res &&
           a->hand == b->hand && same_text(a->assignee, b->assignee) && same_text(a->team, b->team);
}

/* Moves case id from what it counted to what it counts now. */
static int refresh(struct conn *c, struct case_stats *cs, int64_t id, bool fresh, struct kerr *err)
{
    struct store_case_view old, now;
    struct store_case k;
    bool had, has;
    int rc = SQLITE_DONE;

    /* a case inserted by this job has no view yet */
    if (!fresh) {
        sqlite3_bind_int64(cs->get_view, 1, id);
        rc = sqlite3_step(cs->get_view);
    }
    if ((had = rc == SQLITE_ROW)) {
        old = (struct store_case_view){
            sqlite3_column_int64(cs->get_view, 0),
            (const char *)sqlite3_column_text(cs->get_view, 1),
            (const char *)sqlite3_column_text(cs->get_view, 2),
            (unsigned)sqlite3_column_int64(cs->get_view, 3),
            sqlite3_column_int64(cs->get_view, 4),
            sqlite3_column_int64(cs->get_view, 5),
            sqlite3_column_int64(cs->get_view, 6),
        };
    } else if (rc != SQLITE_DONE) {
        sqlite3_reset(cs->get_view);
        return db_error(c->db, err, "read case view");
    }
    sqlite3_bind_int64(cs->get_case, 1, id);
    rc = sqlite3_step(cs->get_case);
    if ((has = rc == SQLITE_ROW)) {
        case_stats_row(cs->get_case, &k);
        store_case_view_of(&k, &now);
    } else if (rc != SQLITE_DONE) {
        rc = db_error(c->db, err, "read case");
        goto out;
    }
    rc = 0;
    if (had && has && same_view(&old, &now))
        goto out;
    if (had)
        add_view(&cs->job, &old, -1);
    if (has) {
        add_view(&cs->job, &now, 1);
        if (put_view(cs, id, &now) < 0)
            rc = db_error(c->db, err, "store case view");
    }
    /* a record that is gone (erased or purged) keeps its counts, like stats_daily */
out:
    sqlite3_reset(cs->get_case);
    sqlite3_reset(cs->get_view);
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int case_stats_job_end(struct conn *c, struct kerr *err)
{
    struct case_stats *cs = c->s ? c->s->cs : NULL;
    int rc = 0;
    size_t j = 0;
    if (!cs || (cs->ndirty == 0 && cs->nfresh == 0))
        return 0;
    if ((rc = prepare(c, cs, err)) < 0)
        goto out;
    if (cs->ndirty > 1)
        qsort(cs->dirty, cs->ndirty, sizeof(*cs->dirty), cmp_id);
    if (cs->nfresh > 1)
        qsort(cs->fresh, cs->nfresh, sizeof(*cs->fresh), cmp_id);
    /* inserted cases nothing else marked count what the record said (no reading back);
     * the others are read again, inserted ones without looking for an old view */
    for (size_t i = 0; i < cs->nfresh && rc == 0; i++) {
        const struct fresh *f = &cs->fresh[i];
        while (j < cs->ndirty && cs->dirty[j] < f->id)
            j++;
        if (j < cs->ndirty && cs->dirty[j] == f->id)
            continue;
        add_view(&cs->job, &f->v, 1);
        if (put_view(cs, f->id, &f->v) < 0)
            rc = db_error(c->db, err, "store case view");
    }
    j = 0;
    for (size_t i = 0; i < cs->ndirty && rc == 0; i++) {
        int64_t id = cs->dirty[i];
        if (i > 0 && id == cs->dirty[i - 1])
            continue;
        while (j < cs->nfresh && cs->fresh[j].id < id)
            j++;
        rc = refresh(c, cs, id, j < cs->nfresh && cs->fresh[j].id == id, err);
    }
    if (rc == 0)
        cmap_merge(&cs->batch, &cs->job);
out:
    case_stats_job_reset(cs);
    return rc;
}

static int flush_map(struct conn *c, struct case_stats *cs, struct cmap *m, struct kerr *err)
{
    sqlite3_stmt *st = cs->upsert;
    int rc = 0;
    for (size_t i = 0; i < m->cap && rc == 0; i++) {
        const struct centry *e = &m->e[i];
        if (!e->key || (e->n == 0 && e->s == 0))
            continue;
        sqlite3_bind_text(st, 1, cd_name[e->dim], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, e->day);
        sqlite3_bind_text(st, 3, e->key, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, e->metric);
        sqlite3_bind_int64(st, 5, e->n);
        sqlite3_bind_int64(st, 6, e->s);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = db_error(c->db, err, "update case rollup");
        sqlite3_reset(st);
    }
    cmap_reset(m);
    return rc;
}

int case_stats_flush(struct conn *c, struct kerr *err)
{
    struct case_stats *cs = c->s ? c->s->cs : NULL;
    int rc;
    if (!cs || cs->batch.used == 0)
        return 0;
    if ((rc = prepare(c, cs, err)) < 0)
        return rc;
    return flush_map(c, cs, &cs->batch, err);
}

/* ---- rebuild -------------------------------------------------------------------------- */

int case_stats_rebuild(struct conn *c, struct kerr *err)
{
    struct case_stats *cs = c->s->cs;
    sqlite3_stmt *st = NULL;
    int64_t n = 0;
    int rc;

    if ((rc = conn_exec(c, "DELETE FROM stats_cases; DELETE FROM stats_case_view", err)) < 0 ||
        (rc = prepare(c, cs, err)) < 0)
        return rc;
    case_stats_batch_reset(cs);
    if (sqlite3_prepare_v2(c->db, "SELECT " CASE_STATS_COLS " FROM feedback f", -1, &st, NULL) !=
        SQLITE_OK)
        return db_error(c->db, err, "prepare case rebuild");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_case k;
        struct store_case_view v;
        case_stats_row(st, &k);
        store_case_view_of(&k, &v);
        add_view(&cs->batch, &v, 1);
        if (put_view(cs, k.id, &v) < 0) {
            rc = db_error(c->db, err, "store case view");
            goto out;
        }
        if ((++n % 262144 == 0 || cs->batch.used > 2000000) &&
            (rc = flush_map(c, cs, &cs->batch, err)) < 0)
            goto out;
    }
    if (rc != SQLITE_DONE) {
        rc = db_error(c->db, err, "read cases");
        goto out;
    }
    if ((rc = flush_map(c, cs, &cs->batch, err)) == 0)
        rc = conn_exec(c, "UPDATE stats_state SET value=1 WHERE name='cases_built'", err);
out:
    sqlite3_finalize(st);
    cmap_reset(&cs->batch);
    return rc < 0 ? rc : 0;
}

/* ---- reads ---------------------------------------------------------------------------- */

int store_stats_case_rollup(struct store *s, const char *dim, int64_t day0, int64_t day1,
                            store_case_rollup_cb cb, void *arg, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st = NULL;
    int rc;
    if (!c)
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db,
                           /* one row per day: the callers sum, cheaper than a GROUP BY's
                            * sorter over the primary key's order */
                           "SELECT key,metric,n,s FROM stats_cases WHERE dim=? AND day>=? AND "
                           "day<=?",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare case rollup read");
        goto out;
    }
    sqlite3_bind_text(st, 1, dim, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, day0);
    sqlite3_bind_int64(st, 3, day1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        if (cb(arg, key ? key : "", sqlite3_column_int(st, 1), sqlite3_column_int64(st, 2),
               sqlite3_column_int64(st, 3))) {
            rc = SQLITE_DONE;
            break;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read case rollup");
out:
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

bool store_stats_cases_built(struct store *s)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st = NULL;
    bool built = false;
    if (!c)
        return false;
    if (sqlite3_prepare_v2(c->db, "SELECT value FROM stats_state WHERE name='cases_built'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        built = sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return built;
}
