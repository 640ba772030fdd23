/*
 * audit.c: the tamper-evident audit log.
 *
 * Entry n's hash is BLAKE2b-256 over entry n-1's hash followed by entry n's
 * id, time and fields, each length-prefixed (so no two different entries
 * hash the same input). Entries are appended only by the writer, in the
 * transaction of the change they describe, so an entry exists exactly when
 * its change does. verify walks the chain from the first entry and names
 * the first entry that does not fit: its contents were edited (its hash
 * does not match), or entries before it were deleted, inserted or reordered
 * (its prev or its id does not follow). Deleting the newest entries leaves a
 * shorter valid chain: keep the head hash somewhere else (verify prints it)
 * and compare.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "store/sqlite_int.h"
#include "base/banned.h"

#define HASH_LEN 32

static void put_u64(crypto_generichash_state *st, uint64_t v)
{
    unsigned char b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    crypto_generichash_update(st, b, 8);
}

static void put_str(crypto_generichash_state *st, const char *s)
{
    if (!s) {
        put_u64(st, UINT64_MAX); /* NULL differs from "" */
        return;
    }
    put_u64(st, strlen(s));
    crypto_generichash_update(st, (const unsigned char *)s, strlen(s));
}

static void entry_hash(const unsigned char prev[HASH_LEN], int64_t id, const struct store_audit *a,
                       unsigned char out[HASH_LEN])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, HASH_LEN);
    crypto_generichash_update(&st, (const unsigned char *)"kesu-audit-1", 12);
    crypto_generichash_update(&st, prev, HASH_LEN);
    put_u64(&st, (uint64_t)id);
    put_u64(&st, (uint64_t)a->at);
    put_str(&st, a->actor);
    put_str(&st, a->origin);
    put_str(&st, a->action);
    put_str(&st, a->object);
    put_str(&st, a->detail);
    crypto_generichash_final(&st, out, HASH_LEN);
}

static int load_head(struct store *s, struct conn *c, struct kerr *err)
{
    sqlite3_stmt *st;
    int rc;
    if (sqlite3_prepare_v2(c->db, "SELECT id,hash FROM audit_log ORDER BY id DESC LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK)
        return db_error(c->db, err, "prepare audit head");
    memset(s->audit_head, 0, HASH_LEN);
    s->audit_id = 0;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *hex = (const char *)sqlite3_column_text(st, 1);
        s->audit_id = sqlite3_column_int64(st, 0);
        if (!hex || sodium_hex2bin(s->audit_head, HASH_LEN, hex, strlen(hex), NULL, NULL, NULL)) {
            sqlite3_finalize(st);
            return kerr_set(err, KERR_IO, "audit_damaged", "",
                            "the audit log's last entry is "
                            "damaged: run kesu audit verify");
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_error(c->db, err, "read audit head");
    s->audit_loaded = true;
    return 0;
}

int audit_append(struct conn *c, const struct store_audit *in, struct kerr *err)
{
    struct store *s = c->s;
    struct store_audit a = *in;
    unsigned char h[HASH_LEN];
    char prev_hex[2 * HASH_LEN + 1], hex[2 * HASH_LEN + 1];
    sqlite3_stmt *st;
    int rc;

    /* read the head inside this write transaction every time: another process (kesu apikey,
     * kesu reveal) may have appended since */
    if ((rc = load_head(s, c, err)) < 0)
        return rc;
    if (!a.at)
        a.at = clock_now_ms();
    if (!a.actor)
        a.actor = "system";
    entry_hash(s->audit_head, s->audit_id + 1, &a, h);
    sodium_bin2hex(prev_hex, sizeof prev_hex, s->audit_head, HASH_LEN);
    sodium_bin2hex(hex, sizeof hex, h, HASH_LEN);
    if (!(st = conn_stmt(c, ST_AUDIT_ADD)))
        return db_error(c->db, err, "prepare audit");
    sqlite3_bind_int64(st, 1, s->audit_id + 1);
    sqlite3_bind_int64(st, 2, a.at);
    sqlite3_bind_text(st, 3, a.actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, a.origin, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, a.action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, a.object, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, a.detail, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, prev_hex, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, hex, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_error(c->db, err, "append audit entry");
    s->audit_id++;
    memcpy(s->audit_head, h, HASH_LEN);
    return 0;
}

int store_audit(struct store *s, const struct store_audit *a, struct kerr *err)
{
    struct store_job job = {0};
    job.kind = STORE_JOB_AUDIT;
    job.actor = a->actor;
    job.audit = a;
    if (store_run(s, &job) < 0) {
        if (err)
            *err = job.err;
        return job.rc;
    }
    return 0;
}

static const char SELECT[] =
    "SELECT id,at,actor,origin,action,object,detail,prev,hash FROM audit_log WHERE id>?"
    " ORDER BY id";

static void row(sqlite3_stmt *st, struct store_audit *a)
{
    a->at = sqlite3_column_int64(st, 1);
    a->actor = (const char *)sqlite3_column_text(st, 2);
    a->origin = (const char *)sqlite3_column_text(st, 3);
    a->action = (const char *)sqlite3_column_text(st, 4);
    a->object = (const char *)sqlite3_column_text(st, 5);
    a->detail = (const char *)sqlite3_column_text(st, 6);
}

int store_audit_verify(struct store *s, struct store_audit_check *out, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    unsigned char prev[HASH_LEN] = {0}, h[HASH_LEN];
    sqlite3_stmt *st;
    int64_t want_id = 1;
    int rc;

    memset(out, 0, sizeof(*out));
    if (!c)
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db, SELECT, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare audit");
        store_reader_put(s, c);
        return rc;
    }
    sqlite3_bind_int64(st, 1, 0);
    /* after retention removed the oldest entries, the chain starts at the anchor */
    {
        sqlite3_stmt *an;
        if (sqlite3_prepare_v2(c->db, "SELECT first_id,prev FROM audit_anchor WHERE k=1", -1, &an,
                               NULL) == SQLITE_OK) {
            if (sqlite3_step(an) == SQLITE_ROW) {
                const char *hex = (const char *)sqlite3_column_text(an, 1);
                want_id = sqlite3_column_int64(an, 0);
                if (!hex || sodium_hex2bin(prev, HASH_LEN, hex, strlen(hex), NULL, NULL, NULL) != 0)
                    memset(prev, 0xff, HASH_LEN); /* a damaged anchor breaks the chain */
            }
            sqlite3_finalize(an);
        }
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_audit a;
        int64_t id = sqlite3_column_int64(st, 0);
        const char *prev_hex = (const char *)sqlite3_column_text(st, 7);
        const char *hex = (const char *)sqlite3_column_text(st, 8);
        char want_prev[2 * HASH_LEN + 1], got[2 * HASH_LEN + 1];
        row(st, &a);
        out->entries++;
        sodium_bin2hex(want_prev, sizeof want_prev, prev, HASH_LEN);
        if (id != want_id) {
            out->bad_id = id;
            snprintf(out->problem, sizeof out->problem,
                     "entry %" PRId64 " follows entry %" PRId64 ": entries were deleted or "
                     "inserted before it",
                     id, want_id - 1);
            break;
        }
        if (!prev_hex || strcmp(prev_hex, want_prev) != 0) {
            out->bad_id = id;
            snprintf(out->problem, sizeof out->problem,
                     "entry %" PRId64 " does not chain to entry %" PRId64 ": an entry before "
                     "it was changed, removed, inserted or reordered",
                     id, id - 1);
            break;
        }
        entry_hash(prev, id, &a, h);
        sodium_bin2hex(got, sizeof got, h, HASH_LEN);
        if (!hex || strcmp(hex, got) != 0) {
            out->bad_id = id;
            snprintf(out->problem, sizeof out->problem,
                     "entry %" PRId64 " was altered: its contents do not match its hash", id);
            break;
        }
        memcpy(prev, h, HASH_LEN);
        want_id = id + 1;
    }
    sodium_bin2hex(out->head, sizeof out->head, prev, HASH_LEN);
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read audit");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_audit_list(struct store *s, int64_t after, store_audit_cb cb, void *arg, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (sqlite3_prepare_v2(c->db, SELECT, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare audit");
        store_reader_put(s, c);
        return rc;
    }
    sqlite3_bind_int64(st, 1, after);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_audit a;
        row(st, &a);
        if (cb(arg, sqlite3_column_int64(st, 0), &a, (const char *)sqlite3_column_text(st, 8)))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read audit");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}
