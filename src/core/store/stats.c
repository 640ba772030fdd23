/*
 * stats.c: daily rollups and the scans behind the metrics.
 *
 * Rollups (table stats_daily) are counts per local day x dimension value,
 * kept by the writer in the same transaction as the change they count: an
 * insert adds the record's contributions, a PATCH of a dimension field takes
 * the old ones away and adds the new. Each job gathers its deltas in its own
 * map (dropped when the job rolls back); the batch merges the jobs' maps and
 * writes each (dimension, day, value) once before the commit, so a bulk
 * import of thousands of records costs a few hundred upserts.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "store/cube.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

const char *const store_stats_dims[] = {
    "channel",  "category_l1",      "category_l2", "category_l3", "product",  "store", "region",
    "severity", "customer_segment", "sentiment",   "team",        "assignee", NULL,
};
#define NDIMS 12

/* Pre-aggregated pairs (indexes into store_stats_dims): category_l1 against the others that
 * dashboards cross most, and channel against segment, region and product. */
static const int pair_idx[][2] = {
    {1, 0}, {1, 4}, {1, 5}, {1, 6}, {1, 7}, {1, 8}, {1, 9}, {1, 10}, {0, 8}, {0, 6}, {0, 4},
};
#define NPAIRS ((int)(sizeof(pair_idx) / sizeof(pair_idx[0])))
const char *const store_stats_pairs[] = {
    "category_l1|channel",   "category_l1|product",  "category_l1|store",
    "category_l1|region",    "category_l1|severity", "category_l1|customer_segment",
    "category_l1|sentiment", "category_l1|team",     "channel|customer_segment",
    "channel|region",        "channel|product",      NULL,
};

/* rollup dimension ids: 0..NDIMS-1 single, then pairs, then all and hour */
#define DIM_ALL  (NDIMS + NPAIRS)
#define DIM_HOUR (NDIMS + NPAIRS + 1)
#define NDIMIDS  (NDIMS + NPAIRS + 2)

static const char *dim_name(int id)
{
    if (id < NDIMS)
        return store_stats_dims[id];
    if (id < NDIMS + NPAIRS)
        return store_stats_pairs[id - NDIMS];
    return id == DIM_ALL ? "all" : "hour";
}

bool store_stats_dim_ok(const char *dim)
{
    for (int i = 0; store_stats_dims[i]; i++)
        if (strcmp(dim, store_stats_dims[i]) == 0)
            return true;
    return false;
}

const char *store_stats_pair(const char *a, const char *b, bool *swapped)
{
    char buf[128];
    for (int sw = 0; sw < 2; sw++) {
        snprintf(buf, sizeof buf, "%s|%s", sw ? b : a, sw ? a : b);
        for (int i = 0; store_stats_pairs[i]; i++)
            if (strcmp(buf, store_stats_pairs[i]) == 0) {
                if (swapped)
                    *swapped = sw;
                return store_stats_pairs[i];
            }
    }
    return NULL;
}

/* ---- the delta map ------------------------------------------------------------ */

struct rentry {
    char *key; /* NULL = empty slot */
    uint64_t hash;
    int64_t day;
    int dim;
    int64_t n, neg, dup;
};

struct rollup {
    struct rentry *e;
    size_t cap, used;
    struct cube *cube; /* also told each record (cube_note), or NULL */
};

struct rollup *rollup_new(void)
{
    struct rollup *ru = xcalloc(1, sizeof(*ru));
    ru->cap = 256;
    ru->e = xcalloc(ru->cap, sizeof(*ru->e));
    return ru;
}

void rollup_reset(struct rollup *ru)
{
    if (!ru || ru->used == 0)
        return;
    for (size_t i = 0; i < ru->cap; i++) {
        free(ru->e[i].key);
        ru->e[i].key = NULL;
    }
    ru->used = 0;
}

void rollup_set_cube(struct rollup *ru, struct cube *cb)
{
    ru->cube = cb;
}

void rollup_free(struct rollup *ru)
{
    if (!ru)
        return;
    rollup_reset(ru);
    free(ru->e);
    free(ru);
}

static uint64_t hash_of(int dim, int64_t day, const char *key)
{
    uint64_t h = 1469598103934665603ULL ^ (uint64_t)dim ^ ((uint64_t)day << 8);
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static struct rentry *slot(struct rentry *e, size_t cap, uint64_t h, int dim, int64_t day,
                           const char *key)
{
    size_t i = (size_t)h & (cap - 1);
    while (e[i].key &&
           !(e[i].hash == h && e[i].dim == dim && e[i].day == day && strcmp(e[i].key, key) == 0))
        i = (i + 1) & (cap - 1);
    return &e[i];
}

static void grow(struct rollup *ru)
{
    size_t ncap = ru->cap * 2;
    struct rentry *ne = xcalloc(ncap, sizeof(*ne));
    for (size_t i = 0; i < ru->cap; i++)
        if (ru->e[i].key)
            *slot(ne, ncap, ru->e[i].hash, ru->e[i].dim, ru->e[i].day, ru->e[i].key) = ru->e[i];
    free(ru->e);
    ru->e = ne;
    ru->cap = ncap;
}

static void add(struct rollup *ru, int dim, int64_t day, const char *key, int64_t n, int64_t neg,
                int64_t dup)
{
    uint64_t h = hash_of(dim, day, key);
    struct rentry *e;
    if ((ru->used + 1) * 10 > ru->cap * 6)
        grow(ru);
    e = slot(ru->e, ru->cap, h, dim, day, key);
    if (!e->key) {
        *e = (struct rentry){xstrdup(key), h, day, dim, 0, 0, 0};
        ru->used++;
    }
    e->n += n;
    e->neg += neg;
    e->dup += dup;
}

void rollup_merge(struct rollup *into, const struct rollup *from)
{
    for (size_t i = 0; i < from->cap; i++) {
        const struct rentry *e = &from->e[i];
        if (e->key)
            add(into, e->dim, e->day, e->key, e->n, e->neg, e->dup);
    }
}

/* What one record contributes: its day and hour, flags and dimension values ("" = none). */
struct rview {
    int64_t received_at;
    bool neg, dup;
    const char *v[NDIMS];
};

static void add_view(struct rollup *ru, const struct rview *rv, int sign)
{
    int hour;
    int64_t day = clock_local_day(rv->received_at, &hour);
    int64_t neg = rv->neg ? sign : 0, dup = rv->dup ? sign : 0;
    char hk[3] = {(char)('0' + hour / 10), (char)('0' + hour % 10), '\0'};
    char small[512];
    size_t len[NDIMS];

    add(ru, DIM_ALL, day, "", sign, neg, dup);
    add(ru, DIM_HOUR, day, hk, sign, neg, dup);
    for (int i = 0; i < NDIMS; i++) {
        add(ru, i, day, rv->v[i], sign, neg, dup);
        len[i] = strlen(rv->v[i]);
    }
    /* pair keys "a<US>b", on the stack unless the values are unusually long */
    for (int p = 0; p < NPAIRS; p++) {
        size_t la = len[pair_idx[p][0]], lb = len[pair_idx[p][1]];
        char *k = la + lb + 2 <= sizeof small ? small : xmalloc(la + lb + 2);
        memcpy(k, rv->v[pair_idx[p][0]], la);
        k[la] = '\x1f';
        memcpy(k + la + 1, rv->v[pair_idx[p][1]], lb + 1);
        add(ru, NDIMS + p, day, k, sign, neg, dup);
        if (k != small)
            free(k);
    }
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

void rollup_add_record(struct rollup *ru, const struct record *r, int sign)
{
    struct rview rv = {r->received_at,
                       r->sentiment && strcmp(r->sentiment, "negative") == 0,
                       r->duplicate_of > 0,
                       {nz(r->channel), nz(r->category_l1), nz(r->category_l2), nz(r->category_l3),
                        nz(r->product), nz(r->store), nz(r->region), nz(r->severity),
                        nz(r->customer_segment), nz(r->sentiment), nz(r->team), nz(r->assignee)}};
    if (!ru)
        return;
    add_view(ru, &rv, sign);
    if (ru->cube)
        cube_note(ru->cube, r->id, r->received_at, rv.v, sign);
}

bool rollup_field(const char *name)
{
    return store_stats_dim_ok(name) || strcmp(name, "duplicate_of") == 0 ||
           strcmp(name, "received_at") == 0;
}

/* Rows per multi-row upsert: one statement's fixed costs (cursors, halt) shared by many rows. */
#define RU_ROWS 32

/* The upsert of one row (rows = 1) or of RU_ROWS rows, prepared once per connection. */
static sqlite3_stmt *upsert_stmt(struct conn *c, int rows)
{
    sqlite3_stmt **st = &c->ru_upsert[rows > 1];
    if (!*st) {
        struct strbuf sql = STRBUF_INIT;
        strbuf_addstr(&sql, "INSERT INTO stats_daily(dim,day,key,n,neg,dup) VALUES");
        for (int i = 0; i < rows; i++)
            strbuf_addstr(&sql, i ? ",(?,?,?,?,?,?)" : "(?,?,?,?,?,?)");
        strbuf_addstr(&sql, " ON CONFLICT(dim,day,key) DO UPDATE SET n=n+excluded.n,"
                            "neg=neg+excluded.neg,dup=dup+excluded.dup");
        if (sqlite3_prepare_v3(c->db, sql.buf, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) !=
            SQLITE_OK) {
            sqlite3_finalize(*st);
            *st = NULL;
        }
        strbuf_release(&sql);
    }
    return *st;
}

static void bind_entry(sqlite3_stmt *st, int row, const struct rentry *e)
{
    int p = row * 6;
    sqlite3_bind_text(st, p + 1, dim_name(e->dim), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, p + 2, e->day);
    sqlite3_bind_text(st, p + 3, e->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, p + 4, e->n);
    sqlite3_bind_int64(st, p + 5, e->neg);
    sqlite3_bind_int64(st, p + 6, e->dup);
}

/* Writes the entries (each (dim, day, key) once, so no two rows of one statement collide). */
int rollup_flush(struct conn *c, struct rollup *ru, struct kerr *err)
{
    sqlite3_stmt *one, *many;
    const struct rentry *pend[RU_ROWS];
    int npend = 0, rc = 0;
    if (!ru || ru->used == 0)
        return 0;
    if (!(one = upsert_stmt(c, 1)) || !(many = upsert_stmt(c, RU_ROWS)))
        return db_error(c->db, err, "prepare rollup");
    for (size_t i = 0; i < ru->cap && rc == 0; i++) {
        const struct rentry *e = &ru->e[i];
        if (!e->key || (e->n == 0 && e->neg == 0 && e->dup == 0))
            continue;
        pend[npend++] = e;
        if (npend < RU_ROWS)
            continue;
        for (int k = 0; k < RU_ROWS; k++)
            bind_entry(many, k, pend[k]);
        if (sqlite3_step(many) != SQLITE_DONE)
            rc = db_error(c->db, err, "update rollup");
        sqlite3_reset(many);
        npend = 0;
    }
    for (int k = 0; k < npend && rc == 0; k++) {
        bind_entry(one, 0, pend[k]);
        if (sqlite3_step(one) != SQLITE_DONE)
            rc = db_error(c->db, err, "update rollup");
        sqlite3_reset(one);
    }
    rollup_reset(ru);
    return rc;
}

/* ---- rebuild ------------------------------------------------------------------ */

int store_stats_rebuild(struct store *s, int64_t *records, struct kerr *err)
{
    struct conn *c = s->wconn;
    sqlite3_stmt *st = NULL;
    struct rollup *ru = rollup_new();
    int64_t n = 0;
    int rc;

    pthread_mutex_lock(&s->wlock);
    if ((rc = conn_exec(c, "BEGIN IMMEDIATE; DELETE FROM stats_daily", err)) < 0)
        goto out;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT received_at,sentiment,duplicate_of,channel,category_l1,"
                           "category_l2,category_l3,product,store,region,severity,"
                           "customer_segment,sentiment,team,assignee FROM feedback",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare rebuild");
        goto rollback;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct rview rv;
        const char *sent = (const char *)sqlite3_column_text(st, 1);
        rv.received_at = sqlite3_column_int64(st, 0);
        rv.neg = sent && strcmp(sent, "negative") == 0;
        rv.dup = sqlite3_column_int64(st, 2) > 0;
        for (int i = 0; i < NDIMS; i++)
            rv.v[i] = nz((const char *)sqlite3_column_text(st, 3 + i));
        add_view(ru, &rv, 1);
        /* records come in id order, which is about time order: a flush every so many
         * records writes each (dimension, day, value) about once */
        if ((++n % 262144 == 0 || ru->used > 2000000) && (rc = rollup_flush(c, ru, err)) < 0)
            goto rollback;
    }
    if (rc != SQLITE_DONE) {
        rc = db_error(c->db, err, "read records");
        goto rollback;
    }
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = rollup_flush(c, ru, err)) < 0 || (rc = case_stats_rebuild(c, err)) < 0 ||
        (rc = conn_exec(c, "COMMIT", err)) < 0)
        goto rollback;
    rc = wal_sync(s, err);
    *records = n;
    goto out;
rollback:
    sqlite3_finalize(st);
    conn_exec(c, "ROLLBACK", NULL);
out:
    pthread_mutex_unlock(&s->wlock);
    rollup_free(ru);
    return rc < 0 ? rc : 0;
}

/* ---- reads --------------------------------------------------------------------- */

static const char *text(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? t : "";
}

int store_stats_rollup(struct store *s, const char *dim, int64_t day0, int64_t day1,
                       store_stats_cb cb, void *arg, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st = NULL;
    bool pair = strchr(dim, '|') != NULL;
    int rc;
    if (!c)
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT day,key,n,neg,dup FROM stats_daily WHERE dim=? AND day>=? AND "
                           "day<=? AND (n<>0 OR neg<>0 OR dup<>0) ORDER BY day,key",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare rollup read");
        goto out;
    }
    sqlite3_bind_text(st, 1, dim, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, day0);
    sqlite3_bind_int64(st, 3, day1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_stats_cell cell = {sqlite3_column_int64(st, 0),
                                        text(st, 1),
                                        NULL,
                                        sqlite3_column_int64(st, 2),
                                        sqlite3_column_int64(st, 3),
                                        sqlite3_column_int64(st, 4)};
        char *copy = NULL;
        if (pair) {
            char *us;
            copy = xstrdup(cell.key);
            if ((us = strchr(copy, '\x1f'))) {
                *us = 0;
                cell.key2 = us + 1;
            } else {
                cell.key2 = "";
            }
            cell.key = copy;
        }
        int stop = cb(arg, &cell);
        free(copy);
        if (stop) {
            rc = SQLITE_DONE;
            break;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read rollup");
out:
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_stats_crosstab_scan(struct store *s, const char *a, const char *b, int64_t t0, int64_t t1,
                              store_stats_cb cb, void *arg, struct kerr *err)
{
    struct conn *c;
    sqlite3_stmt *st = NULL;
    struct strbuf sql = STRBUF_INIT;
    int rc;
    if (!store_stats_dim_ok(a) || !store_stats_dim_ok(b))
        return kerr_set(err, KERR_INVALID, "invalid_field", store_stats_dim_ok(a) ? "cols" : "rows",
                        "not a dimension");
    if (!(c = store_reader(s, err)))
        return KERR_IO;
    strbuf_addf(&sql,
                "SELECT coalesce(%s,''),coalesce(%s,''),count(*),"
                "sum(coalesce(sentiment,'')='negative'),sum(duplicate_of IS NOT NULL) "
                "FROM feedback WHERE received_at>=? AND received_at<? GROUP BY 1,2",
                a, b);
    if (sqlite3_prepare_v2(c->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare crosstab");
        goto out;
    }
    sqlite3_bind_int64(st, 1, t0);
    sqlite3_bind_int64(st, 2, t1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_stats_cell cell = {0,
                                        text(st, 0),
                                        text(st, 1),
                                        sqlite3_column_int64(st, 2),
                                        sqlite3_column_int64(st, 3),
                                        sqlite3_column_int64(st, 4)};
        if (cb(arg, &cell)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read crosstab");
out:
    sqlite3_finalize(st);
    strbuf_release(&sql);
    store_reader_put(s, c);
    return rc;
}

static int64_t col_i64(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, i);
}

int store_stats_cases(struct store *s, int64_t t0, int64_t t1, const char *assignee,
                      store_case_cb cb, void *arg, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st = NULL;
    struct strbuf sql = STRBUF_INIT;
    int rc;
    if (!c)
        return KERR_IO;
    strbuf_addstr(&sql, "SELECT " CASE_STATS_COLS
                        " FROM feedback f WHERE f.received_at>=? AND f.received_at<?");
    if (assignee)
        strbuf_addstr(&sql, " AND f.assignee=?");
    if (sqlite3_prepare_v2(c->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare cases");
        goto out;
    }
    sqlite3_bind_int64(st, 1, t0);
    sqlite3_bind_int64(st, 2, t1);
    if (assignee)
        sqlite3_bind_text(st, 3, assignee, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_case k;
        case_stats_row(st, &k);
        if (cb(arg, &k)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read cases");
out:
    sqlite3_finalize(st);
    strbuf_release(&sql);
    store_reader_put(s, c);
    return rc;
}

int store_stats_surveys(struct store *s, int64_t t0, int64_t t1, store_survey_cb cb, void *arg,
                        struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st = NULL;
    int rc;
    if (!c)
        return KERR_IO;
    /* surveys keep unix seconds */
    if (sqlite3_prepare_v2(c->db,
                           "SELECT feedback_id,answered_at,coalesce(csat,-1),coalesce(nps,-1),"
                           "coalesce(handling,-1) FROM surveys WHERE answered_at>=? AND "
                           "answered_at<?",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare surveys");
        goto out;
    }
    sqlite3_bind_int64(st, 1, t0 / 1000);
    sqlite3_bind_int64(st, 2, (t1 + 999) / 1000);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_survey sv = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1) * 1000,
                                  (int)sqlite3_column_int64(st, 2),
                                  (int)sqlite3_column_int64(st, 3),
                                  (int)sqlite3_column_int64(st, 4)};
        if (cb(arg, &sv)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read surveys");
out:
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_stats_orders(struct store *s, int64_t day0, int64_t day1, const char *dim,
                       const char *key, int64_t *orders, int64_t *days, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st = NULL;
    int rc;
    if (!c)
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT coalesce(sum(orders),0),count(*) FROM stats_orders WHERE "
                           "dim=? AND key=? AND day>=? AND day<=?",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare orders");
        goto out;
    }
    sqlite3_bind_text(st, 1, dim ? dim : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key ? key : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, day0);
    sqlite3_bind_int64(st, 4, day1);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *orders = sqlite3_column_int64(st, 0);
        *days = sqlite3_column_int64(st, 1);
        rc = 0;
    } else {
        rc = db_error(c->db, err, "read orders");
    }
out:
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_stats_orders_put(struct store *s, const struct store_orders_row *rows, size_t n,
                           struct kerr *err)
{
    struct conn *c = s->wconn;
    sqlite3_stmt *st = NULL;
    int rc;
    pthread_mutex_lock(&s->wlock);
    if ((rc = conn_exec(c, "BEGIN IMMEDIATE", err)) < 0)
        goto out;
    if (sqlite3_prepare_v2(c->db,
                           "INSERT INTO stats_orders(day,dim,key,orders) VALUES(?,?,?,?) "
                           "ON CONFLICT(day,dim,key) DO UPDATE SET orders=excluded.orders",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare orders");
        goto rollback;
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, rows[i].day);
        sqlite3_bind_text(st, 2, rows[i].dim ? rows[i].dim : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, rows[i].key ? rows[i].key : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, rows[i].orders);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = db_error(c->db, err, "store orders");
            goto rollback;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = conn_exec(c, "COMMIT", err)) < 0)
        goto rollback;
    rc = wal_sync(s, err);
    goto out;
rollback:
    sqlite3_finalize(st);
    conn_exec(c, "ROLLBACK", NULL);
out:
    pthread_mutex_unlock(&s->wlock);
    return rc;
}

bool store_table_exists(struct store *s, const char *name)
{
    struct conn *c = store_reader(s, NULL);
    sqlite3_stmt *st = NULL;
    bool found = false;
    if (!c)
        return false;
    if (sqlite3_prepare_v2(c->db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", -1,
                           &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return found;
}

int store_stats_keywords(struct store *s, int64_t t0, int64_t t1, store_text_cb cb, void *arg,
                         struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st = NULL;
    int rc;
    if (!c)
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT keywords FROM feedback WHERE received_at>=? AND received_at<? "
                           "AND keywords IS NOT NULL",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare keywords");
        goto out;
    }
    sqlite3_bind_int64(st, 1, t0);
    sqlite3_bind_int64(st, 2, t1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(arg, text(st, 0))) {
            rc = SQLITE_DONE;
            break;
        }
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read keywords");
out:
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int64_t store_table_rows(struct store *s, const char *name)
{
    struct conn *c;
    sqlite3_stmt *st = NULL;
    struct strbuf sql = STRBUF_INIT;
    int64_t n = -1;
    /* the name goes into SQL text: accept plain identifiers only */
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || *p == '_' || (*p >= '0' && *p <= '9')))
            return -1;
    if (!store_table_exists(s, name) || !(c = store_reader(s, NULL)))
        return -1;
    strbuf_addf(&sql, "SELECT count(*) FROM \"%s\"", name);
    if (sqlite3_prepare_v2(c->db, sql.buf, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    strbuf_release(&sql);
    store_reader_put(s, c);
    return n;
}

/* A one-statement durable write on the writer connection (CLI and server alike). */
static int write_one(struct store *s, sqlite3_stmt **st, const char *sql, struct kerr *err)
{
    if (sqlite3_prepare_v2(s->wconn->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_error(s->wconn->db, err, "prepare");
    return 0;
}

static int finish_one(struct store *s, sqlite3_stmt *st, int64_t *id, struct kerr *err)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        rc = db_error(s->wconn->db, err, "write");
    } else {
        if (id)
            *id = sqlite3_last_insert_rowid(s->wconn->db);
        rc = sqlite3_changes(s->wconn->db);
    }
    sqlite3_finalize(st);
    if (rc >= 0) {
        int src = wal_sync(s, err);
        if (src < 0)
            rc = src;
    }
    return rc;
}

int store_report_add(struct store *s, const struct store_report *r, int64_t *id, struct kerr *err)
{
    sqlite3_stmt *st = NULL;
    int64_t now = r->created_at ? r->created_at : clock_now_ms();
    int rc;
    pthread_mutex_lock(&s->wlock);
    if ((rc = conn_step(s->wconn, ST_BEGIN, err)) < 0)
        goto unlock;
    if ((rc = write_one(s, &st,
                        "INSERT INTO reports(period,day0,day1,format,path,bytes,schedule_id,"
                        "created_by,created_at,summary) VALUES(?,?,?,?,?,?,?,?,?,?)",
                        err)) == 0) {
        sqlite3_bind_text(st, 1, r->period, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, r->day0);
        sqlite3_bind_int64(st, 3, r->day1);
        sqlite3_bind_text(st, 4, r->format, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, r->path, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 6, r->bytes);
        if (r->schedule_id > 0)
            sqlite3_bind_int64(st, 7, r->schedule_id);
        sqlite3_bind_text(st, 8, r->created_by ? r->created_by : "system", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 9, now);
        if (r->summary)
            sqlite3_bind_text(st, 10, r->summary, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(s->wconn->db, err, "insert report");
        sqlite3_finalize(st);
    }
    if (rc == 0) {
        int64_t rid = sqlite3_last_insert_rowid(s->wconn->db);
        if (id)
            *id = rid;
        if (r->to)
            rc = report_deliveries_queue(s->wconn, rid, r->to, now, err);
    }
    if (rc == 0 && (rc = conn_step(s->wconn, ST_COMMIT, err)) == 0)
        rc = wal_sync(s, err);
    else if (rc < 0) {
        conn_step(s->wconn, ST_ROLLBACK, NULL);
        s->audit_loaded = false;
    }
unlock:
    pthread_mutex_unlock(&s->wlock);
    return rc < 0 ? rc : 0;
}

int store_report_list(struct store *s, int64_t id, int limit, store_report_cb cb, void *arg,
                      struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st = NULL;
    int rc;
    if (!c)
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT id,period,day0,day1,format,path,bytes,coalesce(schedule_id,0),"
                           "created_by,created_at,summary FROM reports WHERE (?1=0 OR id=?1) "
                           "ORDER BY id DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare reports");
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_report r = {.id = sqlite3_column_int64(st, 0),
                                 .period = text(st, 1),
                                 .day0 = sqlite3_column_int64(st, 2),
                                 .day1 = sqlite3_column_int64(st, 3),
                                 .format = text(st, 4),
                                 .path = text(st, 5),
                                 .bytes = sqlite3_column_int64(st, 6),
                                 .schedule_id = sqlite3_column_int64(st, 7),
                                 .created_by = text(st, 8),
                                 .created_at = sqlite3_column_int64(st, 9),
                                 .summary = (const char *)sqlite3_column_text(st, 10)};
        if (cb(arg, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read reports");
out:
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_schedule_put(struct store *s, const struct store_schedule *sc, int64_t *id,
                       struct kerr *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    pthread_mutex_lock(&s->wlock);
    if ((rc = write_one(s, &st,
                        "INSERT INTO report_schedules(name,cron,period,format,enabled,last_due,"
                        "created_at,emails,receivers) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(name)"
                        " DO UPDATE SET cron=excluded.cron,period=excluded.period,"
                        "format=excluded.format,enabled=excluded.enabled,emails=excluded.emails,"
                        "receivers=excluded.receivers",
                        err)) == 0) {
        sqlite3_bind_text(st, 1, sc->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, sc->cron, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, sc->period, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, sc->format, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, sc->enabled);
        /* a new schedule starts from now: it does not run the occurrences before it existed */
        sqlite3_bind_int64(st, 6, sc->last_due);
        sqlite3_bind_int64(st, 7, clock_now_ms());
        sqlite3_bind_text(st, 8, sc->emails ? sc->emails : "[]", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, sc->receivers ? sc->receivers : "[]", -1, SQLITE_STATIC);
        rc = finish_one(s, st, id, err);
    }
    pthread_mutex_unlock(&s->wlock);
    return rc < 0 ? rc : 0;
}

int store_schedule_list(struct store *s, store_schedule_cb cb, void *arg, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st = NULL;
    int rc;
    if (!c)
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT id,name,cron,period,format,enabled,coalesce(last_due,0),"
                           "created_at,emails,receivers FROM report_schedules ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare schedules");
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_schedule sc = {.id = sqlite3_column_int64(st, 0),
                                    .name = text(st, 1),
                                    .cron = text(st, 2),
                                    .period = text(st, 3),
                                    .format = text(st, 4),
                                    .enabled = sqlite3_column_int(st, 5) != 0,
                                    .last_due = sqlite3_column_int64(st, 6),
                                    .created_at = sqlite3_column_int64(st, 7),
                                    .emails = text(st, 8),
                                    .receivers = text(st, 9)};
        if (cb(arg, &sc)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read schedules");
out:
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_schedule_claim(struct store *s, int64_t id, int64_t due, struct kerr *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    pthread_mutex_lock(&s->wlock);
    if ((rc = write_one(s, &st,
                        "UPDATE report_schedules SET last_due=?2 WHERE id=?1 AND "
                        "coalesce(last_due,0)<?2",
                        err)) == 0) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, due);
        rc = finish_one(s, st, NULL, err);
    }
    pthread_mutex_unlock(&s->wlock);
    return rc < 0 ? rc : rc > 0;
}

static int report_items(struct store *s, const char *table, const char *sql, int64_t t0, int64_t t1,
                        store_report_item_cb cb, void *arg, struct kerr *err)
{
    struct conn *c;
    sqlite3_stmt *st = NULL;
    int rc;
    if (!store_table_exists(s, table))
        return kerr_set(err, KERR_NOTFOUND, "not_found", "", "no table %s", table);
    if (!(c = store_reader(s, err)))
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, table);
        goto out;
    }
    sqlite3_bind_int64(st, 1, t0);
    sqlite3_bind_int64(st, 2, t1);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_report_item it = {
            .id = sqlite3_column_int64(st, 0),
            .at = col_i64(st, 1),
            .due = col_i64(st, 2),
            .title = text(st, 3),
            .state = text(st, 4),
            .owner = text(st, 5),
            .verdict = text(st, 6),
            .value = sqlite3_column_type(st, 7) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 7),
            .baseline =
                sqlite3_column_type(st, 8) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 8),
        };
        if (cb(arg, &it)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, table);
out:
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_report_alerts(struct store *s, int64_t t0, int64_t t1, store_report_item_cb cb, void *arg,
                        struct kerr *err)
{
    return report_items(s, "alerts",
                        "SELECT id,opened_at,NULL,title,state,NULL,NULL,value,baseline FROM alerts "
                        "WHERE opened_at>=?1 AND opened_at<?2 ORDER BY opened_at LIMIT 500",
                        t0, t1, cb, arg, err);
}

int store_report_actions(struct store *s, int64_t t0, int64_t t1, store_report_item_cb cb,
                         void *arg, struct kerr *err)
{
    return report_items(s, "actions",
                        "SELECT id,created_at,due_at,title,status,owner,verdict,NULL,NULL "
                        "FROM actions WHERE status IN ('open','in_progress') OR "
                        "(closed_at>=?1 AND closed_at<?2) ORDER BY id LIMIT 500",
                        t0, t1, cb, arg, err);
}
