/*
 * dedup.c: exact and near duplicates, found at insert time by the writer.
 *
 * The intake pipeline gives each record dup_key (a hash of its customer and
 * cleaned text) and simhash (a fingerprint of the cleaned text; 0 for texts
 * too short to fingerprint). A new record is a duplicate of an earlier one
 * received within the window (default 30 days, either side) when:
 *   - exact: the same dup_key (customer and cleaned text); or
 *   - near, the same customer: fingerprints at most NEAR_SAME_CUSTOMER bits apart;
 *   - near, no customer on either: at most near_bits bits apart (default 3).
 * The same words from two different customers are two complaints.
 * The duplicate is stored (both stay visible) with duplicate_of pointing at
 * the first record of its group, whose repeat_count rises by one, with a
 * timeline entry.
 *
 * The index lives in memory, owned by whoever holds the writer lock: a hash
 * of dup_keys, four tables of the fingerprints' 16-bit blocks (two
 * fingerprints within 3 bits agree on at least one block), and each
 * customer's recent records; a lookup looks at the newest SCAN_MAX entries
 * of each. It is loaded from the database (the window back from now) on
 * first use. Memory: about 100 bytes per record indexed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

#define NEAR_SAME_CUSTOMER 12
#define BANDS              4
/* Candidates looked at per block table and per customer, newest first: texts written from
 * the same template crowd a few blocks, and a duplicate is almost always a recent record. */
#define SCAN_MAX 64

struct entry {
    int64_t id, at;
    uint64_t simhash, dup_key, customer;
    int64_t root; /* the first record of its duplicate group (itself when original) */
};

struct vec {
    uint32_t *v;
    uint32_t n, cap;
};

/* A block table's entry keeps the fingerprint beside the index, so a scan reads one array. */
struct cand {
    uint64_t simhash;
    uint32_t idx;
};

struct cvec {
    struct cand *v;
    uint32_t n, cap;
};

/* open addressing: key -> entry index + 1 (0 = empty) */
struct map {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap, n;
};

struct dedup {
    bool loaded;
    int64_t window_ms;
    int near_bits;
    struct entry *e;
    size_t n, cap;
    struct map exact;     /* dup_key -> newest entry with it */
    struct map customers; /* customer hash -> index into cust_lists */
    struct vec *cust_lists;
    size_t ncust, cust_cap;
    struct cvec band[BANDS][65536];
};

static void vec_push(struct vec *v, uint32_t x)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4;
        v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
    }
    v->v[v->n++] = x;
}

static void cvec_push(struct cvec *v, uint64_t h, uint32_t idx)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4;
        v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
    }
    v->v[v->n].simhash = h;
    v->v[v->n++].idx = idx;
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x | 1; /* never 0: 0 marks an empty slot */
}

static uint32_t *map_slot(struct map *m, uint64_t key)
{
    uint64_t k = mix(key);
    size_t i = k & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != k)
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = k;
    return &m->vals[i];
}

static uint32_t map_get(const struct map *m, uint64_t key)
{
    uint64_t k = mix(key);
    if (!m->cap)
        return 0;
    for (size_t i = k & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
        if (m->keys[i] == k)
            return m->vals[i];
    return 0;
}

static void map_put(struct map *m, uint64_t key, uint32_t val)
{
    if ((m->n + 1) * 2 > m->cap) {
        struct map bigger = {0};
        bigger.cap = m->cap ? m->cap * 2 : 1024;
        bigger.keys = xcalloc(bigger.cap, sizeof(uint64_t));
        bigger.vals = xcalloc(bigger.cap, sizeof(uint32_t));
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            size_t j = m->keys[i] & (bigger.cap - 1);
            while (bigger.keys[j])
                j = (j + 1) & (bigger.cap - 1);
            bigger.keys[j] = m->keys[i];
            bigger.vals[j] = m->vals[i];
        }
        bigger.n = m->n;
        free(m->keys);
        free(m->vals);
        *m = bigger;
    }
    uint32_t *slot = map_slot(m, key);
    if (!*slot)
        m->n++;
    *slot = val;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return s ? h : 0;
}

static int distance(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}

static void add(struct dedup *d, int64_t id, int64_t at, uint64_t simhash, uint64_t dup_key,
                uint64_t customer, int64_t root)
{
    uint32_t idx;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 4096;
        d->e = xrealloc(d->e, d->cap * sizeof(*d->e));
    }
    idx = (uint32_t)d->n++;
    d->e[idx] = (struct entry){id, at, simhash, dup_key, customer, root};
    if (dup_key)
        map_put(&d->exact, dup_key, idx + 1);
    if (simhash)
        for (int b = 0; b < BANDS; b++)
            cvec_push(&d->band[b][(simhash >> (16 * b)) & 0xffff], simhash, idx);
    if (customer) {
        uint32_t c = map_get(&d->customers, customer);
        if (!c) {
            if (d->ncust == d->cust_cap) {
                d->cust_cap = d->cust_cap ? d->cust_cap * 2 : 1024;
                d->cust_lists = xrealloc(d->cust_lists, d->cust_cap * sizeof(struct vec));
            }
            memset(&d->cust_lists[d->ncust], 0, sizeof(struct vec));
            c = (uint32_t)++d->ncust;
            map_put(&d->customers, customer, c);
        }
        vec_push(&d->cust_lists[c - 1], idx);
    }
}

static bool in_window(const struct dedup *d, const struct entry *e, int64_t at)
{
    return llabs(e->at - at) <= d->window_ms;
}

static int load(struct store *s, struct conn *c, struct kerr *err)
{
    struct dedup *d = s->dedup;
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(c->db,
                           "SELECT id,received_at,simhash,dup_key,customer_id,"
                           "coalesce(duplicate_of,id) FROM feedback WHERE received_at>=?"
                           " AND (simhash IS NOT NULL OR dup_key IS NOT NULL) ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return db_error(c->db, err, "prepare duplicate index");
    sqlite3_bind_int64(st, 1, clock_now_ms() - 2 * d->window_ms);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        add(d, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
            (uint64_t)sqlite3_column_int64(st, 2), (uint64_t)sqlite3_column_int64(st, 3),
            hash_str((const char *)sqlite3_column_text(st, 4)), sqlite3_column_int64(st, 5));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_error(c->db, err, "load duplicate index");
    d->loaded = true;
    return 0;
}

/* The index, made with the defaults on first use (under the writer lock). */
static struct dedup *get(struct store *s)
{
    if (!s->dedup) {
        s->dedup = xcalloc(1, sizeof(struct dedup));
        s->dedup->window_ms = 30 * 24 * 3600 * 1000LL;
        s->dedup->near_bits = 3;
    }
    return s->dedup;
}

void store_set_dedup(struct store *s, int window_days, int near_bits)
{
    pthread_mutex_lock(&s->wlock);
    get(s)->window_ms = (int64_t)window_days * 24 * 3600 * 1000;
    s->dedup->near_bits = near_bits;
    pthread_mutex_unlock(&s->wlock);
}

void dedup_forget(struct store *s)
{
    struct dedup *d = s->dedup;
    if (!d)
        return;
    int64_t window = d->window_ms;
    int bits = d->near_bits;
    dedup_free(d);
    s->dedup = NULL;
    get(s)->window_ms = window;
    s->dedup->near_bits = bits;
}

void dedup_free(struct dedup *d)
{
    if (!d)
        return;
    for (int b = 0; b < BANDS; b++)
        for (int i = 0; i < 65536; i++)
            free(d->band[b][i].v);
    for (size_t i = 0; i < d->ncust; i++)
        free(d->cust_lists[i].v);
    free(d->cust_lists);
    free(d->exact.keys);
    free(d->exact.vals);
    free(d->customers.keys);
    free(d->customers.vals);
    free(d->e);
    free(d);
}

int dedup_check(struct store *s, struct conn *c, struct record *r, struct kerr *err)
{
    struct dedup *d;
    const struct entry *best = NULL;
    uint64_t customer = hash_str(r->customer_id);
    int rc;

    if (!r->simhash && !r->dup_key)
        return 0;
    d = get(s);
    if (!d->loaded && (rc = load(s, c, err)) < 0)
        return rc;
    if (r->dup_key) {
        uint32_t i = map_get(&d->exact, (uint64_t)r->dup_key);
        if (i && in_window(d, &d->e[i - 1], r->received_at)) {
            best = &d->e[i - 1];
            r->quality |= QUALITY_DUP_EXACT;
        }
    }
    if (!best && r->simhash) {
        uint64_t h = (uint64_t)r->simhash;
        /* Near copies without a customer on either side (anonymous forms, reviews): the block
         * tables. The same text from two different customers is two complaints, not one. */
        for (int b = 0; b < BANDS && !best && !customer; b++) {
            const struct cvec *v = &d->band[b][(h >> (16 * b)) & 0xffff];
            uint32_t stop = v->n > SCAN_MAX ? v->n - SCAN_MAX : 0;
            for (uint32_t k = v->n; k-- > stop;) {
                if (distance(v->v[k].simhash, h) > d->near_bits)
                    continue;
                const struct entry *e = &d->e[v->v[k].idx];
                if (!e->customer && in_window(d, e, r->received_at)) {
                    best = e;
                    break;
                }
            }
        }
        if (!best && customer) {
            uint32_t ci = map_get(&d->customers, customer);
            const struct vec *v = ci ? &d->cust_lists[ci - 1] : NULL;
            uint32_t n = v ? v->n : 0, stop = n > SCAN_MAX ? n - SCAN_MAX : 0;
            for (uint32_t k = n; k-- > stop;) {
                const struct entry *e = &d->e[v->v[k]];
                if (e->simhash && in_window(d, e, r->received_at) &&
                    distance(e->simhash, h) <= NEAR_SAME_CUSTOMER) {
                    best = e;
                    break;
                }
            }
        }
        if (best)
            r->quality |= QUALITY_DUP_NEAR;
    }
    if (best)
        r->duplicate_of = best->root;
    return 0;
}

int dedup_added(struct store *s, struct conn *c, const struct record *r, const char *actor,
                int64_t now, struct kerr *err)
{
    struct dedup *d = s->dedup;
    sqlite3_stmt *st;
    char note[64];

    if (!d || (!r->simhash && !r->dup_key))
        return 0;
    add(d, r->id, r->received_at, (uint64_t)r->simhash, (uint64_t)r->dup_key,
        hash_str(r->customer_id), r->duplicate_of ? r->duplicate_of : r->id);
    if (!r->duplicate_of)
        return 0;
    if (!(st = conn_stmt(c, ST_REPEAT_ADD)))
        return db_error(c->db, err, "prepare repeat count");
    case_stats_dirty(c, r->duplicate_of); /* its repeat count counts in the case rollups */
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, r->duplicate_of);
    if (sqlite3_step(st) != SQLITE_DONE) {
        sqlite3_reset(st);
        return db_error(c->db, err, "raise repeat count");
    }
    sqlite3_reset(st);
    if (!(st = conn_stmt(c, ST_EVENT)))
        return db_error(c->db, err, "prepare event");
    snprintf(note, sizeof note, "#%lld (%s)", (long long)r->id,
             (r->quality & QUALITY_DUP_EXACT) ? "exact" : "near");
    sqlite3_bind_int64(st, 1, r->duplicate_of);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_text(st, 3, actor ? actor : "system", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, "duplicate", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, note, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) {
        sqlite3_reset(st);
        return db_error(c->db, err, "insert duplicate event");
    }
    sqlite3_reset(st);
    return 0;
}
