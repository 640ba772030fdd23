/*
 * cube.c: the stats cube, every record's stats dimensions in memory, coded.
 *
 * DESIGN
 *
 * Layout. Each of the twelve dimensions (store_stats_dims) has a dictionary
 * value -> code; code 0 is reserved for a dead row. Records live in one block
 * per local day (clock_local_day of received_at, as the rollups count them),
 * one column of codes per dimension: a byte per value while the dimension has
 * at most 255 values, two bytes after (the column widens in place; more than
 * 65,535 values and the cube gives up and every query takes the SQL path). A
 * query for days [day0, day1] reads only those days' blocks and only the
 * columns it counts: a cross-tab of two dimensions over a year reads two
 * bytes per record. An array indexed by record id gives each record's day
 * and row (8 bytes), so a PATCH rewrites the record's codes in place; a
 * record whose day changes leaves a dead row (all codes 0) behind.
 *
 * Loading. One sequential read of the feedback table on a reader connection
 * (lazily on the first stats query, at start, or never: store_cube_configure).
 * Before its read transaction starts, the loader sets the state to LOADING
 * while holding the writer lock, so every batch either committed before the
 * snapshot or notes its changes; the notes of batches committed while
 * loading wait in a pending list and are applied after the snapshot. Notes
 * are idempotent ("record id now has these values", or "is gone"), so a
 * change both in the snapshot and pending is harmless. Until the state is
 * READY, store_cube_* return 1 and the stats code reads the rollups or scans.
 *
 * Other processes. Records another process stores (`kesu import` beside
 * `kesu serve`) never pass this process's writer: each query first compares
 * the store's highest id with the cube's and reads the records above it
 * (catch_up). Changes another process makes to existing records are not seen.
 *
 * Concurrency. Readers share a pthread rwlock (writer-preferring). The writer
 * thread never waits for readers: after its commit it appends the batch's
 * notes to the pending list and applies them only when trywrlock succeeds.
 * A reader that finds notes pending takes the write lock and applies them
 * first, so every query sees every batch committed (and so acknowledged)
 * before it started. Dictionaries grow under their own mutex (the writer
 * encodes values while its transaction runs; the loader encodes as it
 * reads); their code -> value table is chunked and never moves, so readers
 * read it without that mutex.
 */
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "store/cube.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

#define NDIMS     12
#define DEAD      0
#define MAX_CODES 65535
#define CHUNK     256
/* cells of a cross-tab (rows x cols codes) counted in one array; larger pairs take SQL */
#define MAX_CELLS (1u << 22)
/* dimensions with at most this many values also keep per-day counts of each value */
#define HIST_MAX 4096

enum { ST_IDLE, ST_LOADING, ST_READY, ST_FAILED };

struct cdict {
    char **chunk[(MAX_CODES + 1) / CHUNK]; /* code -> value; chunks never move */
    _Atomic uint32_t n;                    /* codes in use, DEAD included */
    uint32_t *slot;                        /* open addressing: code, 0 empty */
    size_t nslot;
};

struct cday {
    uint32_t n, cap, live; /* rows (dead ones too), allocated, live */
    void *col[NDIMS];      /* uint8_t or uint16_t codes */
    uint32_t *hist[NDIMS]; /* live rows per code (hcap[dim] entries), or NULL */
};

struct cloc {
    int32_t day;
    uint32_t idx1; /* row + 1; 0: not in the cube */
};

struct centry {
    int64_t id;
    int32_t day;
    int8_t sign;
    uint16_t code[NDIMS];
};

struct clog {
    struct centry *e;
    size_t n, cap;
};

struct cube {
    struct store *s;
    _Atomic int state;
    _Atomic bool load_started, stop;
    int mode;
    pthread_t loader;
    bool loader_running;
    pthread_rwlock_t rw;
    pthread_mutex_t dlock; /* dictionaries' hash side */
    pthread_mutex_t plock; /* pending */
    struct clog job, batch, pending;
    _Atomic size_t npending;
    struct cdict dict[NDIMS];
    /* below: under rw (written with it held exclusively, or by the loader while LOADING) */
    uint8_t wide[NDIMS];
    uint32_t hcap[NDIMS]; /* entries of each day's hist[dim]; 0 when the dim keeps none */
    bool hist_off[NDIMS]; /* too many values: volumes of the dim count the column */
    struct cday *days;
    int32_t dmin, ndays;
    struct cloc *loc;
    size_t nloc;
    int64_t live;
    int64_t max_id; /* the highest record id put: above it, records another process stored */
    int64_t load_ms;
};

/* ---- dictionaries ----------------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ^ (h >> 31);
}

static const char *dict_str(const struct cdict *d, uint32_t code)
{
    return d->chunk[code / CHUNK][code % CHUNK];
}

static void dict_rehash(struct cdict *d, size_t nslot)
{
    uint32_t *sl = xcalloc(nslot, sizeof(*sl));
    uint32_t n = atomic_load_explicit(&d->n, memory_order_relaxed);
    for (uint32_t c = 1; c < n; c++) {
        size_t j = hash_str(dict_str(d, c)) & (nslot - 1);
        while (sl[j])
            j = (j + 1) & (nslot - 1);
        sl[j] = c;
    }
    free(d->slot);
    d->slot = sl;
    d->nslot = nslot;
}

/* The code of v, added when new; 0 when the dictionary is full. Under dlock. */
static uint32_t dict_code(struct cdict *d, const char *v)
{
    uint32_t n = atomic_load_explicit(&d->n, memory_order_relaxed);
    size_t j;
    if (n == 0) { /* code 0: the dead row */
        d->chunk[0] = xcalloc(CHUNK, sizeof(char *));
        d->chunk[0][0] = xstrdup("");
        atomic_store_explicit(&d->n, 1, memory_order_release);
        n = 1;
    }
    if ((size_t)n * 2 >= d->nslot)
        dict_rehash(d, d->nslot ? d->nslot * 2 : 64);
    j = hash_str(v) & (d->nslot - 1);
    while (d->slot[j]) {
        if (strcmp(dict_str(d, d->slot[j]), v) == 0)
            return d->slot[j];
        j = (j + 1) & (d->nslot - 1);
    }
    if (n > MAX_CODES - 1)
        return 0;
    if (!d->chunk[n / CHUNK])
        d->chunk[n / CHUNK] = xcalloc(CHUNK, sizeof(char *));
    d->chunk[n / CHUNK][n % CHUNK] = xstrdup(v);
    d->slot[j] = n;
    atomic_store_explicit(&d->n, n + 1, memory_order_release);
    return n;
}

static void dict_release(struct cdict *d)
{
    uint32_t n = atomic_load(&d->n);
    for (uint32_t c = 0; c < n; c++)
        free(d->chunk[c / CHUNK][c % CHUNK]);
    for (size_t i = 0; i < sizeof(d->chunk) / sizeof(d->chunk[0]); i++)
        free(d->chunk[i]);
    free(d->slot);
}

/* Codes of one record's values; false when a dictionary is full. */
static bool encode(struct cube *cb, const char *const *v, uint16_t *code)
{
    bool ok = true;
    pthread_mutex_lock(&cb->dlock);
    for (int i = 0; i < NDIMS; i++) {
        uint32_t c = dict_code(&cb->dict[i], v[i]);
        ok &= c != 0;
        code[i] = (uint16_t)c;
    }
    pthread_mutex_unlock(&cb->dlock);
    return ok;
}

static int dim_index(const char *dim)
{
    for (int i = 0; i < NDIMS; i++)
        if (strcmp(dim, store_stats_dims[i]) == 0)
            return i;
    return -1;
}

/* ---- rows (exclusive access) ------------------------------------------------------ */

static void widen(struct cube *cb, int dim)
{
    for (int32_t i = 0; i < cb->ndays; i++) {
        struct cday *d = &cb->days[i];
        uint8_t *old = d->col[dim];
        uint16_t *w;
        if (!d->cap)
            continue;
        w = xmalloc(d->cap * sizeof(uint16_t));
        for (uint32_t r = 0; r < d->n; r++)
            w[r] = old[r];
        free(old);
        d->col[dim] = w;
    }
    cb->wide[dim] = 1;
}

static uint16_t code_at(const struct cube *cb, const struct cday *d, int dim, uint32_t row)
{
    return cb->wide[dim] ? ((const uint16_t *)d->col[dim])[row]
                         : ((const uint8_t *)d->col[dim])[row];
}

/* Room in every day's counts of dim for code (or no counts for dim any more). */
static void hist_reserve(struct cube *cb, int dim, uint32_t code)
{
    uint32_t nc = cb->hcap[dim] ? cb->hcap[dim] : 16;
    while (nc <= code)
        nc *= 2;
    for (int32_t i = 0; i < cb->ndays; i++) {
        struct cday *d = &cb->days[i];
        if (nc > HIST_MAX) {
            free(d->hist[dim]);
            d->hist[dim] = NULL;
        } else if (d->hist[dim]) {
            d->hist[dim] = xrealloc(d->hist[dim], nc * sizeof(uint32_t));
            memset(d->hist[dim] + cb->hcap[dim], 0, (nc - cb->hcap[dim]) * sizeof(uint32_t));
        }
    }
    cb->hist_off[dim] = nc > HIST_MAX;
    cb->hcap[dim] = cb->hist_off[dim] ? 0 : nc;
}

/* Adds sign to the day's counts of the row's codes. */
static void row_hist(struct cube *cb, struct cday *d, uint32_t row, int sign)
{
    for (int i = 0; i < NDIMS; i++) {
        uint16_t c = code_at(cb, d, i, row);
        if (!cb->hist_off[i] && c >= cb->hcap[i])
            hist_reserve(cb, i, c);
        if (cb->hist_off[i])
            continue;
        if (!d->hist[i])
            d->hist[i] = xcalloc(cb->hcap[i], sizeof(uint32_t));
        d->hist[i][c] += (uint32_t)sign;
    }
}

static void set_codes(struct cube *cb, struct cday *d, uint32_t row, const uint16_t *code)
{
    for (int i = 0; i < NDIMS; i++) {
        if (code[i] > 255 && !cb->wide[i])
            widen(cb, i);
        if (cb->wide[i])
            ((uint16_t *)d->col[i])[row] = code[i];
        else
            ((uint8_t *)d->col[i])[row] = (uint8_t)code[i];
    }
}

static struct cday *day_block(struct cube *cb, int32_t day)
{
    if (cb->ndays == 0) {
        cb->days = xcalloc(1, sizeof(*cb->days));
        cb->dmin = day;
        cb->ndays = 1;
    } else if (day < cb->dmin) {
        int32_t add = cb->dmin - day;
        cb->days = xrealloc(cb->days, (size_t)(cb->ndays + add) * sizeof(*cb->days));
        memmove(cb->days + add, cb->days, (size_t)cb->ndays * sizeof(*cb->days));
        memset(cb->days, 0, (size_t)add * sizeof(*cb->days));
        cb->ndays += add;
        cb->dmin = day;
    } else if (day - cb->dmin >= cb->ndays) {
        int32_t nd = day - cb->dmin + 1;
        cb->days = xrealloc(cb->days, (size_t)nd * sizeof(*cb->days));
        memset(cb->days + cb->ndays, 0, (size_t)(nd - cb->ndays) * sizeof(*cb->days));
        cb->ndays = nd;
    }
    return &cb->days[day - cb->dmin];
}

static void day_reserve(struct cube *cb, struct cday *d, uint32_t cap)
{
    if (cap <= d->cap)
        return;
    for (int i = 0; i < NDIMS; i++)
        d->col[i] = xrealloc(d->col[i], (size_t)cap * (cb->wide[i] ? 2 : 1));
    d->cap = cap;
}

static struct cloc *loc_of(struct cube *cb, int64_t id, bool grow)
{
    if (id <= 0 || id > INT32_MAX * 4LL)
        return NULL;
    if ((size_t)id >= cb->nloc) {
        /* an eighth more at a time: at 10M records the slack stays small (and a large
         * realloc is a remap, not a copy) */
        size_t nn = cb->nloc + cb->nloc / 8 + 1024;
        if (!grow)
            return NULL;
        if (nn <= (size_t)id)
            nn = (size_t)id + 1024;
        cb->loc = xrealloc(cb->loc, nn * sizeof(*cb->loc));
        memset(cb->loc + cb->nloc, 0, (nn - cb->nloc) * sizeof(*cb->loc));
        cb->nloc = nn;
    }
    return &cb->loc[id];
}

static void kill_row(struct cube *cb, struct cloc *l)
{
    static const uint16_t dead[NDIMS];
    struct cday *d = &cb->days[l->day - cb->dmin];
    row_hist(cb, d, l->idx1 - 1, -1);
    set_codes(cb, d, l->idx1 - 1, dead);
    d->live--;
    cb->live--;
    l->idx1 = 0;
}

/* Record id now has these codes on this day. */
static void put(struct cube *cb, int64_t id, int32_t day, const uint16_t *code)
{
    struct cloc *l = loc_of(cb, id, true);
    struct cday *d;
    if (!l)
        return;
    if (id > cb->max_id)
        cb->max_id = id;
    if (l->idx1 && l->day == day) {
        d = &cb->days[day - cb->dmin];
        row_hist(cb, d, l->idx1 - 1, -1);
        set_codes(cb, d, l->idx1 - 1, code);
        row_hist(cb, d, l->idx1 - 1, 1);
        return;
    }
    if (l->idx1)
        kill_row(cb, l);
    d = day_block(cb, day);
    if (d->n == d->cap)
        day_reserve(cb, d, d->cap ? d->cap * 2 : 64);
    set_codes(cb, d, d->n, code);
    row_hist(cb, d, d->n, 1);
    l->day = day;
    l->idx1 = ++d->n;
    d->live++;
    cb->live++;
}

static void drop(struct cube *cb, int64_t id)
{
    struct cloc *l = loc_of(cb, id, false);
    if (l && l->idx1)
        kill_row(cb, l);
}

/* ---- notes ------------------------------------------------------------------------ */

static void clog_add(struct clog *lg, const struct centry *e, size_t n)
{
    if (lg->n + n > lg->cap) {
        size_t nc = lg->cap ? lg->cap : 64;
        while (nc < lg->n + n)
            nc *= 2;
        lg->e = xrealloc(lg->e, nc * sizeof(*lg->e));
        lg->cap = nc;
    }
    memcpy(lg->e + lg->n, e, n * sizeof(*e));
    lg->n += n;
}

static void clog_release(struct clog *lg)
{
    free(lg->e);
    memset(lg, 0, sizeof(*lg));
}

/* Applies and empties the pending notes. Under rw exclusively. */
static void drain(struct cube *cb)
{
    struct clog lg;
    pthread_mutex_lock(&cb->plock);
    lg = cb->pending;
    memset(&cb->pending, 0, sizeof(cb->pending));
    atomic_store(&cb->npending, 0);
    pthread_mutex_unlock(&cb->plock);
    for (size_t i = 0; i < lg.n; i++) {
        const struct centry *e = &lg.e[i];
        if (e->sign > 0)
            put(cb, e->id, e->day, e->code);
        else if (!(i + 1 < lg.n && lg.e[i + 1].id == e->id && lg.e[i + 1].sign > 0))
            drop(cb, e->id); /* a -1 directly followed by its +1 is a replacement */
    }
    clog_release(&lg);
}

void cube_note(struct cube *cb, int64_t id, int64_t received_at, const char *const *v, int sign)
{
    struct centry e;
    int st;
    if (!cb || ((st = atomic_load(&cb->state)) != ST_LOADING && st != ST_READY))
        return;
    memset(&e, 0, sizeof(e));
    e.id = id;
    e.day = (int32_t)clock_local_day(received_at, NULL);
    e.sign = (int8_t)(sign > 0 ? 1 : -1);
    if (sign > 0 && !encode(cb, v, e.code)) {
        log_warn("stats cube: a dimension has more than %d values; stats read SQLite",
                 MAX_CODES - 1);
        atomic_store(&cb->state, ST_FAILED);
        return;
    }
    clog_add(&cb->job, &e, 1);
}

void cube_job_end(struct cube *cb, bool ok)
{
    if (!cb)
        return;
    if (ok && cb->job.n)
        clog_add(&cb->batch, cb->job.e, cb->job.n);
    cb->job.n = 0;
}

void cube_batch_end(struct cube *cb, bool ok)
{
    int st;
    if (!cb)
        return;
    st = atomic_load(&cb->state);
    if (ok && cb->batch.n && (st == ST_LOADING || st == ST_READY)) {
        pthread_mutex_lock(&cb->plock);
        clog_add(&cb->pending, cb->batch.e, cb->batch.n);
        atomic_store(&cb->npending, cb->pending.n);
        pthread_mutex_unlock(&cb->plock);
        /* never wait for readers: one that finds notes pending applies them itself */
        if (st == ST_READY && pthread_rwlock_trywrlock(&cb->rw) == 0) {
            drain(cb);
            pthread_rwlock_unlock(&cb->rw);
        }
    }
    cb->batch.n = 0;
    cb->job.n = 0;
}

/* ---- loading ---------------------------------------------------------------------- */

static void trim(struct cube *cb)
{
    for (int32_t i = 0; i < cb->ndays; i++) {
        struct cday *d = &cb->days[i];
        if (d->n == d->cap || d->n == 0)
            continue;
        for (int k = 0; k < NDIMS; k++)
            d->col[k] = xrealloc(d->col[k], (size_t)d->n * (cb->wide[k] ? 2 : 1));
        d->cap = d->n;
    }
}

/* Puts every record with an id above after_id, read on c (in its transaction); *n counts them. */
static int read_rows(struct cube *cb, struct conn *c, int64_t after_id, int64_t *n,
                     struct kerr *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT id,received_at,channel,category_l1,category_l2,category_l3,"
                           "product,store,region,severity,customer_segment,sentiment,team,"
                           "assignee FROM feedback WHERE id > ?1 ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(c->db, err, "cube: prepare load");
    sqlite3_bind_int64(st, 1, after_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *v[NDIMS];
        uint16_t code[NDIMS];
        for (int i = 0; i < NDIMS; i++) {
            const char *t = (const char *)sqlite3_column_text(st, 2 + i);
            v[i] = t ? t : "";
        }
        if (!encode(cb, v, code)) {
            sqlite3_finalize(st);
            return kerr_set(err, KERR_INTERNAL, "internal", "",
                            "a dimension has more than %d values", MAX_CODES - 1);
        }
        put(cb, sqlite3_column_int64(st, 0),
            (int32_t)clock_local_day(sqlite3_column_int64(st, 1), NULL), code);
        if (++*n % 65536 == 0 && atomic_load(&cb->stop)) {
            sqlite3_finalize(st);
            return kerr_set(err, KERR_INTERNAL, "internal", "", "stopped");
        }
    }
    if (rc != SQLITE_DONE) {
        rc = db_error(c->db, err, "cube: read records");
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    return 0;
}

static int load(struct cube *cb, struct kerr *err)
{
    struct store *s = cb->s;
    struct conn *c;
    sqlite3_stmt *st = NULL;
    int64_t t0 = clock_mono_us(), n = 0;
    int rc;

    /* every batch from here on notes its changes (see DESIGN) */
    pthread_mutex_lock(&s->wlock);
    atomic_store(&cb->state, ST_LOADING);
    pthread_mutex_unlock(&s->wlock);
    if (!(c = store_reader(s, err)))
        return KERR_IO;
    if ((rc = conn_exec(c, "BEGIN", err)) < 0)
        goto out;
    if (sqlite3_prepare_v2(c->db, "SELECT max(id) FROM feedback;", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = db_error(c->db, err, "cube: max id");
        goto out;
    }
    loc_of(cb, sqlite3_column_int64(st, 0), true); /* the id index at its size */
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = read_rows(cb, c, 0, &n, err)) < 0)
        goto out;
    trim(cb);
    malloc_trim(0); /* the columns' earlier, smaller copies back to the system */
out:
    sqlite3_finalize(st);
    conn_exec(c, "COMMIT", NULL);
    store_reader_put(s, c);
    if (rc < 0) {
        atomic_store(&cb->state, ST_FAILED);
        return rc;
    }
    pthread_rwlock_wrlock(&cb->rw);
    drain(cb);
    cb->load_ms = (clock_mono_us() - t0) / 1000;
    atomic_store(&cb->state, ST_READY);
    pthread_rwlock_unlock(&cb->rw);
    log_info("stats cube: %" PRId64 " records loaded in %" PRId64 " ms", n, cb->load_ms);
    return 0;
}

static void *load_main(void *arg)
{
    struct cube *cb = arg;
    struct kerr err;
    kerr_clear(&err);
    if (load(cb, &err) < 0 && !atomic_load(&cb->stop))
        log_warn("stats cube: %s; stats read SQLite", err.message);
    return NULL;
}

static void start_load(struct cube *cb)
{
    bool no = false;
    if (!atomic_compare_exchange_strong(&cb->load_started, &no, true))
        return;
    if (pthread_create(&cb->loader, NULL, load_main, cb) == 0)
        cb->loader_running = true;
    else
        atomic_store(&cb->state, ST_FAILED);
}

/* ---- the cube --------------------------------------------------------------------- */

struct cube *cube_new(struct store *s)
{
    struct cube *cb = xcalloc(1, sizeof(*cb));
    pthread_rwlockattr_t a;
    cb->s = s;
    cb->mode = STORE_CUBE_OFF;
    atomic_init(&cb->state, ST_IDLE);
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&cb->rw, &a);
    pthread_rwlockattr_destroy(&a);
    pthread_mutex_init(&cb->dlock, NULL);
    pthread_mutex_init(&cb->plock, NULL);
    return cb;
}

void cube_free(struct cube *cb)
{
    if (!cb)
        return;
    atomic_store(&cb->stop, true);
    if (cb->loader_running)
        pthread_join(cb->loader, NULL);
    for (int32_t i = 0; i < cb->ndays; i++)
        for (int k = 0; k < NDIMS; k++) {
            free(cb->days[i].col[k]);
            free(cb->days[i].hist[k]);
        }
    free(cb->days);
    free(cb->loc);
    for (int i = 0; i < NDIMS; i++)
        dict_release(&cb->dict[i]);
    clog_release(&cb->job);
    clog_release(&cb->batch);
    clog_release(&cb->pending);
    pthread_rwlock_destroy(&cb->rw);
    pthread_mutex_destroy(&cb->dlock);
    pthread_mutex_destroy(&cb->plock);
    free(cb);
}

int store_cube_mode_parse(const char *v)
{
    if (strcmp(v, "lazy") == 0)
        return STORE_CUBE_LAZY;
    if (strcmp(v, "start") == 0)
        return STORE_CUBE_START;
    if (strcmp(v, "off") == 0)
        return STORE_CUBE_OFF;
    return -1;
}

void store_cube_configure(struct store *s, enum store_cube_mode mode)
{
    s->cube->mode = mode;
    if (mode == STORE_CUBE_START)
        start_load(s->cube);
}

int store_cube_load(struct store *s, struct kerr *err)
{
    bool no = false;
    if (!atomic_compare_exchange_strong(&s->cube->load_started, &no, true))
        return kerr_set(err, KERR_INVALID, "invalid_state", "", "the cube is loaded already");
    return load(s->cube, err);
}

void store_cube_info(struct store *s, struct store_cube_info *out)
{
    static const char *const names[] = {"idle", "loading", "ready", "failed"};
    struct cube *cb = s->cube;
    int st = atomic_load(&cb->state);
    memset(out, 0, sizeof(*out));
    out->state = cb->mode == STORE_CUBE_OFF && st == ST_IDLE ? "off" : names[st];
    if (st != ST_READY)
        return;
    pthread_rwlock_rdlock(&cb->rw);
    out->records = cb->live;
    out->load_ms = cb->load_ms;
    out->bytes =
        (int64_t)(cb->nloc * sizeof(struct cloc) + (size_t)cb->ndays * sizeof(struct cday));
    for (int32_t i = 0; i < cb->ndays; i++)
        for (int k = 0; k < NDIMS; k++)
            out->bytes += (int64_t)cb->days[i].cap * (cb->wide[k] ? 2 : 1) +
                          (cb->days[i].hist[k] ? (int64_t)cb->hcap[k] * 4 : 0);
    pthread_rwlock_unlock(&cb->rw);
}

/* ---- queries ---------------------------------------------------------------------- */

/*
 * Records another process stored (a `kesu import` beside `kesu serve`) never pass this
 * process's writer: when the store holds ids above the cube's highest, they are read and
 * put, under the write lock, between two drains. A batch of this process committed before
 * the read is either drained already (then the read sees it too) or pending (then its
 * notes, the same values or later ones, are applied after): notes are idempotent, so the
 * order stays right. Returns false when the store could not be read (the query takes SQL).
 */
static bool catch_up(struct cube *cb)
{
    struct kerr err;
    struct conn *c;
    sqlite3_stmt *st = NULL;
    int64_t top = 0, n = 0;
    bool ok = false;
    kerr_clear(&err);
    if (!(c = store_reader(cb->s, &err)))
        return false;
    if (sqlite3_prepare_v2(c->db, "SELECT max(id) FROM feedback", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        top = sqlite3_column_int64(st, 0);
        ok = true;
    }
    sqlite3_finalize(st);
    pthread_rwlock_rdlock(&cb->rw);
    bool behind = ok && top > cb->max_id;
    pthread_rwlock_unlock(&cb->rw);
    if (behind) {
        pthread_rwlock_wrlock(&cb->rw);
        drain(cb);
        int64_t from = cb->max_id;
        if (conn_exec(c, "BEGIN", &err) < 0 || read_rows(cb, c, from, &n, &err) < 0) {
            log_warn("stats cube: reading records stored by another process: %s", err.message);
            ok = false;
        }
        conn_exec(c, "COMMIT", NULL);
        drain(cb);
        pthread_rwlock_unlock(&cb->rw);
        if (ok && n)
            log_info("stats cube: %" PRId64 " records stored by another process added", n);
    }
    store_reader_put(cb->s, c);
    return ok;
}

/* Takes the read lock when the cube can answer (applying pending notes first). */
static bool enter(struct cube *cb)
{
    int st = atomic_load(&cb->state);
    if (st == ST_IDLE && cb->mode == STORE_CUBE_LAZY)
        start_load(cb);
    if (st != ST_READY)
        return false;
    /* this process's own batches first: with their notes applied, the store's highest id
     * is above the cube's only when another process stored records (or a batch is between
     * its commit and its notes), so catch_up rarely takes the write lock under intake */
    if (atomic_load(&cb->npending)) {
        pthread_rwlock_wrlock(&cb->rw);
        drain(cb);
        pthread_rwlock_unlock(&cb->rw);
    }
    if (!catch_up(cb))
        return false;
    pthread_rwlock_rdlock(&cb->rw);
    if (atomic_load(&cb->state) != ST_READY) {
        pthread_rwlock_unlock(&cb->rw);
        return false;
    }
    return true;
}

bool store_cube_ready(struct store *s)
{
    struct cube *cb = s->cube;
    if (atomic_load(&cb->state) == ST_IDLE && cb->mode == STORE_CUBE_LAZY)
        start_load(cb);
    return atomic_load(&cb->state) == ST_READY;
}

/* Clips [day0, day1] to the days held; false when none. */
static bool clip(const struct cube *cb, int64_t day0, int64_t day1, int32_t *i0, int32_t *i1)
{
    int64_t lo = day0 - cb->dmin, hi = day1 - cb->dmin;
    if (cb->ndays == 0 || hi < 0 || lo >= cb->ndays || lo > hi)
        return false;
    *i0 = (int32_t)(lo < 0 ? 0 : lo);
    *i1 = (int32_t)(hi >= cb->ndays ? cb->ndays - 1 : hi);
    return true;
}

/* Adds the day's count of each code of dim to cnt (ncode entries). */
static void count1(const struct cube *cb, const struct cday *d, int dim, int64_t *cnt,
                   uint32_t ncode)
{
    if (!cb->hist_off[dim]) { /* the day's counts, kept as rows change */
        uint32_t n = ncode < cb->hcap[dim] ? ncode : cb->hcap[dim];
        if (d->hist[dim])
            for (uint32_t k = 1; k < n; k++)
                cnt[k] += d->hist[dim][k];
        return;
    }
    if (cb->wide[dim]) {
        const uint16_t *p = d->col[dim];
        for (uint32_t r = 0; r < d->n; r++)
            cnt[p[r]]++;
    } else {
        const uint8_t *p = d->col[dim];
        for (uint32_t r = 0; r < d->n; r++)
            cnt[p[r]]++;
    }
}

int store_cube_rollup(struct store *s, const char *dim, int64_t day0, int64_t day1, bool per_day,
                      store_stats_cb cb_fn, void *arg)
{
    struct cube *cb = s->cube;
    int di = strcmp(dim, "all") == 0 ? NDIMS : dim_index(dim);
    int32_t i0, i1;
    int64_t *cnt = NULL, all = 0;
    uint32_t ncode;
    int stop = 0;
    if (di < 0 || !enter(cb))
        return 1;
    if (!clip(cb, day0, day1, &i0, &i1))
        goto out;
    ncode = di < NDIMS ? atomic_load(&cb->dict[di].n) : 1;
    cnt = xcalloc(ncode + 1, sizeof(*cnt));
    for (int32_t i = i0; i <= i1 && !stop; i++) {
        const struct cday *d = &cb->days[i];
        struct store_stats_cell c = {cb->dmin + i, "", NULL, 0, 0, 0};
        if (di == NDIMS) {
            all += d->live;
            if (per_day && d->live && (c.n = d->live) > 0)
                stop = cb_fn(arg, &c);
            continue;
        }
        count1(cb, d, di, cnt, ncode);
        if (!per_day)
            continue;
        for (uint32_t k = 1; k < ncode && !stop; k++)
            if (cnt[k]) {
                c.key = dict_str(&cb->dict[di], k);
                c.n = cnt[k];
                cnt[k] = 0;
                stop = cb_fn(arg, &c);
            }
    }
    if (!per_day) {
        struct store_stats_cell c = {day0, "", NULL, all, 0, 0};
        if (di == NDIMS && all)
            stop = cb_fn(arg, &c);
        for (uint32_t k = 1; di < NDIMS && k < ncode && !stop; k++)
            if (cnt[k]) {
                c.key = dict_str(&cb->dict[di], k);
                c.n = cnt[k];
                stop = cb_fn(arg, &c);
            }
    }
out:
    pthread_rwlock_unlock(&cb->rw);
    free(cnt);
    return 0;
}

/*
 * Counts of cells (code a * nb + code b) over one day; first[cell] = the first day counted.
 * With first and a day of many rows for its cells, the day is counted into dc (zeroed) and
 * merged, which keeps the test for a first count out of the loop over rows.
 */
#define COUNT2(TA, TB)                                                                             \
    do {                                                                                           \
        const TA *pa = d->col[ia];                                                                 \
        const TB *pb = d->col[ib];                                                                 \
        if (first && dc) {                                                                         \
            for (uint32_t r = 0; r < d->n; r++)                                                    \
                dc[(size_t)pa[r] * nb + pb[r]]++;                                                  \
            for (size_t k = 0; k < ncells; k++)                                                    \
                if (dc[k]) {                                                                       \
                    if (!cnt[k])                                                                   \
                        first[k] = day;                                                            \
                    cnt[k] += dc[k];                                                               \
                    dc[k] = 0;                                                                     \
                }                                                                                  \
        } else if (first) {                                                                        \
            for (uint32_t r = 0; r < d->n; r++) {                                                  \
                size_t k = (size_t)pa[r] * nb + pb[r];                                             \
                if (!cnt[k]++)                                                                     \
                    first[k] = day;                                                                \
            }                                                                                      \
        } else {                                                                                   \
            for (uint32_t r = 0; r < d->n; r++)                                                    \
                cnt[(size_t)pa[r] * nb + pb[r]]++;                                                 \
        }                                                                                          \
    } while (0)

static void count2(const struct cube *cb, const struct cday *d, int32_t day, int ia, int ib,
                   size_t nb, size_t ncells, int64_t *cnt, int32_t *first, uint32_t *dc)
{
    if (ncells * 4 > d->n)
        dc = NULL;
    if (!cb->wide[ia] && !cb->wide[ib])
        COUNT2(uint8_t, uint8_t);
    else if (!cb->wide[ia])
        COUNT2(uint8_t, uint16_t);
    else if (!cb->wide[ib])
        COUNT2(uint16_t, uint8_t);
    else
        COUNT2(uint16_t, uint16_t);
}

struct xcell {
    const char *a, *b;
    int32_t first;
    int64_t n;
};

/* "a<US>b" against "c<US>d" byte by byte, as SQLite orders the rollup's pair keys. */
static int cmp_joined(const struct xcell *x, const struct xcell *y)
{
    const unsigned char *p = (const unsigned char *)x->a, *q = (const unsigned char *)y->a;
    int ps = 0, qs = 0; /* 0: in a, 1: at the separator, 2: in b */
    for (;;) {
        int cp, cq;
        if (ps == 0 && !*p)
            ps = 1;
        if (qs == 0 && !*q)
            qs = 1;
        cp = ps == 1 ? 0x1f : *p;
        cq = qs == 1 ? 0x1f : *q;
        if (ps == 2 && !*p)
            cp = -1;
        if (qs == 2 && !*q)
            cq = -1;
        if (cp != cq)
            return cp < cq ? -1 : 1;
        if (cp == -1)
            return 0;
        if (ps == 1) {
            ps = 2;
            p = (const unsigned char *)x->b;
        } else {
            p++;
        }
        if (qs == 1) {
            qs = 2;
            q = (const unsigned char *)y->b;
        } else {
            q++;
        }
    }
}

static int cmp_by_day(const void *a, const void *b)
{
    const struct xcell *x = a, *y = b;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return cmp_joined(x, y);
}

static int cmp_by_key(const void *a, const void *b)
{
    const struct xcell *x = a, *y = b;
    int c = strcmp(x->a, y->a);
    return c ? c : strcmp(x->b, y->b);
}

int store_cube_crosstab(struct store *s, const char *a, const char *b, int64_t day0, int64_t day1,
                        bool day_order, store_stats_cb cb_fn, void *arg)
{
    struct cube *cb = s->cube;
    int ia = dim_index(a), ib = dim_index(b);
    int64_t *cnt = NULL;
    int32_t *first = NULL, i0, i1;
    uint32_t *dc = NULL;
    struct xcell *cells = NULL;
    size_t na, nb, ncells = 0;
    if (ia < 0 || ib < 0 || ia == ib || !enter(cb))
        return 1;
    na = atomic_load(&cb->dict[ia].n);
    nb = atomic_load(&cb->dict[ib].n);
    if (na * nb > MAX_CELLS) {
        pthread_rwlock_unlock(&cb->rw);
        return 1;
    }
    if (!clip(cb, day0, day1, &i0, &i1))
        goto out;
    cnt = xcalloc(na * nb, sizeof(*cnt));
    if (day_order) {
        first = xcalloc(na * nb, sizeof(*first));
        dc = xcalloc(na * nb, sizeof(*dc));
    }
    for (int32_t i = i0; i <= i1; i++)
        count2(cb, &cb->days[i], cb->dmin + i, ia, ib, nb, na * nb, cnt, first, dc);
    for (size_t k = 0; k < na * nb; k++)
        if (cnt[k] && k / nb != DEAD && k % nb != DEAD)
            ncells++;
    cells = xcalloc(ncells + 1, sizeof(*cells));
    ncells = 0;
    for (size_t k = 0; k < na * nb; k++)
        if (cnt[k] && k / nb != DEAD && k % nb != DEAD)
            cells[ncells++] = (struct xcell){dict_str(&cb->dict[ia], (uint32_t)(k / nb)),
                                             dict_str(&cb->dict[ib], (uint32_t)(k % nb)),
                                             first ? first[k] : 0, cnt[k]};
    qsort(cells, ncells, sizeof(*cells), day_order ? cmp_by_day : cmp_by_key);
    for (size_t k = 0; k < ncells; k++) {
        struct store_stats_cell c = {cells[k].first, cells[k].a, cells[k].b, cells[k].n, 0, 0};
        if (cb_fn(arg, &c))
            break;
    }
out:
    pthread_rwlock_unlock(&cb->rw);
    free(cnt);
    free(first);
    free(dc);
    free(cells);
    return 0;
}
