/*
 * Unit tests for the SQLite store: migrations, insert with idempotency,
 * patch with timeline, filtered and paged lists, full-text search behind
 * intake, the group-commit writer, and the query plans of the hot lists.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "intake/record.h"
#include "store/db.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/kesu-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    struct store *s;
    struct kerr e;
    assert_int_equal(store_open(dir, &s, &e), 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    store_close(*state);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

static void make(struct record *r, const char *channel, const char *ext, const char *text,
                 int64_t at)
{
    struct kerr e;
    record_init(r);
    r->channel = xstrdup(channel);
    r->external_id = ext ? xstrdup(ext) : NULL;
    r->text = xstrdup(text);
    r->received_at = at;
    assert_int_equal(record_validate(r, clock_now_ms(), &e), 0);
}

static int insert(struct store *s, struct record *recs, size_t n, struct store_insert_result *res)
{
    struct store_job job = {0};
    job.kind = STORE_JOB_INSERT;
    job.actor = "test";
    job.recs = recs;
    job.n = n;
    job.results = res;
    return store_run(s, &job);
}

static void migrations_apply(void **state)
{
    int applied, known;
    assert_int_equal(store_schema_version(*state, &applied, &known), 0);
    assert_true(known >= 1);
    assert_int_equal(applied, known);
}

static void insert_is_idempotent(void **state)
{
    struct store *s = *state;
    struct record r[3];
    struct store_insert_result res[3];
    int64_t t = clock_now_ms() - 1000;

    make(&r[0], "web", "A-1", "快递三天没到", t);
    make(&r[1], "app", "A-1", "同一个外部编号，不同渠道", t);
    make(&r[2], "web", NULL, "没有外部编号", t);
    r[2].idempotency_key = xstrdup("key-1");
    assert_int_equal(insert(s, r, 3, res), 0);
    assert_true(res[0].created && res[1].created && res[2].created);
    int64_t first = res[0].id, third = res[2].id;
    for (int i = 0; i < 3; i++)
        record_release(&r[i]);

    make(&r[0], "web", "A-1", "再次投递", t);
    make(&r[1], "sms", NULL, "换了渠道但同一个幂等键", t);
    r[1].idempotency_key = xstrdup("key-1");
    assert_int_equal(insert(s, r, 2, res), 0);
    assert_false(res[0].created);
    assert_int_equal(res[0].id, first);
    assert_false(res[1].created);
    assert_int_equal(res[1].id, third);
    for (int i = 0; i < 2; i++)
        record_release(&r[i]);

    /* the original text is kept */
    struct record got;
    struct kerr e;
    record_init(&got);
    assert_int_equal(store_feedback_get(s, first, &got, &e), 0);
    assert_string_equal(got.text, "快递三天没到");
    assert_string_equal(got.status, "received");
    record_release(&got);
    assert_int_equal(store_feedback_get(s, 999999, &got, &e), KERR_NOTFOUND);
}

static int count_events(void *arg, const struct store_event *ev)
{
    int *n = arg;
    if (*n == 0)
        assert_string_equal(ev->kind, "created");
    else if (strcmp(ev->field, "status") == 0)
        assert_string_equal(ev->kind, "transition"); /* through the lifecycle table */
    else
        assert_string_equal(ev->kind, "field_changed");
    (*n)++;
    return 0;
}

static void patch_records_timeline(void **state)
{
    struct store *s = *state;
    struct record r;
    struct store_insert_result res;
    struct store_patch p = {0};
    struct store_job job = {0};
    struct kerr e;
    int n = 0;

    make(&r, "hotline", "C-9", "客服态度很差", clock_now_ms());
    assert_int_equal(insert(s, &r, 1, &res), 0);
    record_release(&r);
    record_init(&p.values);
    p.fields[p.n++] = record_field_by_name("status");
    p.fields[p.n++] = record_field_by_name("assignee");
    p.values.status = xstrdup("acknowledged");
    p.values.assignee = xstrdup("王芳");
    job.kind = STORE_JOB_PATCH;
    job.actor = "test";
    job.id = res.id;
    job.patch = &p;
    assert_int_equal(store_run(s, &job), 0);
    record_release(&p.values);

    record_init(&r);
    assert_int_equal(store_feedback_get(s, res.id, &r, &e), 0);
    assert_string_equal(r.status, "acknowledged");
    assert_true(r.acknowledged_at > 0 && r.assigned_at > 0);
    record_release(&r);
    assert_int_equal(store_feedback_events(s, res.id, count_events, &n, &e), 0);
    assert_int_equal(n, 3);

    job.id = 424242;
    record_init(&p.values);
    p.values.status = xstrdup("closed");
    assert_int_equal(store_run(s, &job), KERR_NOTFOUND);
    record_release(&p.values);
}

struct seen {
    int n;
    int64_t last_t, last_id;
    const char *channel;
};

static int check_order(void *arg, const struct record *r)
{
    struct seen *sn = arg;
    if (sn->n)
        assert_true(r->received_at < sn->last_t ||
                    (r->received_at == sn->last_t && r->id < sn->last_id));
    if (sn->channel)
        assert_string_equal(r->channel, sn->channel);
    sn->last_t = r->received_at;
    sn->last_id = r->id;
    sn->n++;
    return 0;
}

static void list_pages_through_everything(void **state)
{
    struct store *s = *state;
    enum { N = 1000 };
    struct record *r = xcalloc(N, sizeof(*r));
    struct store_insert_result *res = xcalloc(N, sizeof(*res));
    int64_t base = clock_now_ms() - 86400000LL * 30;
    char ext[32];

    for (int i = 0; i < N; i++) {
        snprintf(ext, sizeof(ext), "L-%d", i);
        /* received times out of id order, with ties */
        make(&r[i], i % 3 ? "ecommerce" : "email", ext,
             i % 10 ? "物流太慢了，包裹一直没有更新" : "退款申请提交一周仍未处理",
             base + (int64_t)((i * 7919) % 500) * 60000);
    }
    assert_int_equal(insert(s, r, N, res), 0);
    for (int i = 0; i < N; i++)
        record_release(&r[i]);
    free(r);
    free(res);

    struct store_filter f = {0};
    struct store_page page;
    struct seen sn = {0};
    struct kerr e;
    char cursor[64] = "";
    int pages = 0;
    f.channel = "ecommerce";
    f.limit = 97;
    f.since = base;
    sn.channel = "ecommerce";
    do {
        f.cursor = cursor[0] ? cursor : NULL;
        f.want_total = pages == 0;
        assert_int_equal(store_feedback_list(s, &f, check_order, &sn, &page, &e), 0);
        if (pages == 0)
            assert_int_equal(page.total, 666);
        memcpy(cursor, page.next_cursor, sizeof(cursor));
        pages++;
    } while (cursor[0]);
    assert_int_equal(sn.n, 666);
    assert_int_equal(pages, 7);

    f.cursor = "garbage";
    assert_int_equal(store_feedback_list(s, &f, check_order, &sn, &page, &e), KERR_INVALID);
    assert_string_equal(e.field, "cursor");
}

static int count(void *arg, const struct record *r)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

static void search_catches_up(void **state)
{
    struct store *s = *state;
    struct store_filter f = {0};
    struct store_page page;
    struct kerr e;
    int n = 0;

    f.q = "退款";
    f.limit = 1000;
    assert_int_equal(store_feedback_list(s, &f, count, &n, &page, &e), 0);
    assert_int_equal(n, 0); /* not indexed yet: the index is behind intake */
    assert_true(store_search_catch_up(s, &e) > 0);
    assert_int_equal(store_feedback_list(s, &f, count, &n, &page, &e), 0);
    assert_int_equal(n, 100);
    n = 0;
    f.q = "慢";
    f.channel = "email";
    assert_int_equal(store_feedback_list(s, &f, count, &n, &page, &e), 0);
    assert_int_equal(n, 300);
    n = 0;
    f.q = "\" OR 1 NEAR(";
    f.channel = NULL;
    assert_int_equal(store_feedback_list(s, &f, count, &n, &page, &e), 0);
    assert_int_equal(n, 0);
}

/* Hot list queries must use the received_at index, not a scan and sort. */
static void list_plans_use_index(void **state)
{
    char path[128];
    sqlite3 *db;
    sqlite3_stmt *st;
    const char *queries[] = {
        "SELECT id FROM feedback f WHERE 1 ORDER BY f.received_at DESC, f.id DESC LIMIT 51",
        "SELECT id FROM feedback f WHERE 1 AND f.channel IN ('web','app') ORDER BY "
        "f.received_at DESC, f.id DESC LIMIT 51",
        "SELECT id FROM feedback f WHERE 1 AND f.received_at>=1 AND f.received_at<2 AND "
        "(f.received_at,f.id)<(2,3) ORDER BY f.received_at DESC, f.id DESC LIMIT 51",
    };
    (void)state;
    snprintf(path, sizeof(path), "%s/kesu.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        char sql[512];
        bool uses_index = false, sorts = false;
        snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", queries[i]);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            uses_index |= strstr(detail, "feedback_received") != NULL;
            sorts |= strstr(detail, "TEMP B-TREE") != NULL;
        }
        sqlite3_finalize(st);
        if (!uses_index || sorts)
            fail_msg("query %zu does not walk feedback_received: %s", i, queries[i]);
    }
    sqlite3_close(db);
}

static void writer_thread_commits_many(void **state)
{
    struct store *s = *state;
    struct store_stats st0, st1;
    struct kerr e;
    enum { N = 50 };
    struct record r[N];
    struct store_insert_result res[N];
    char ext[32];

    assert_int_equal(store_start(s, STORE_BG_ALL, &e), 0);
    store_stats(s, &st0);
    for (int i = 0; i < N; i++) {
        snprintf(ext, sizeof(ext), "W-%d", i);
        make(&r[i], "iot", ext, "设备故障代码 E42", clock_now_ms());
        assert_int_equal(insert(s, &r[i], 1, &res[i]), 0);
        assert_true(res[i].created);
        record_release(&r[i]);
    }
    store_stats(s, &st1);
    assert_int_equal(st1.records - st0.records, N);
    assert_true(st1.commits > st0.commits);
}

static void duplicates_are_linked_and_counted(void **state)
{
    char own[64], cmd[128];
    struct store *s;
    struct record r[5], got;
    struct store_insert_result res[5];
    struct kerr e;
    int64_t t = clock_now_ms() - 50 * 86400000LL;

    (void)state;
    snprintf(own, sizeof(own), "/tmp/kesu-dedup-XXXXXX");
    assert_non_null(mkdtemp(own));
    assert_int_equal(store_open(own, &s, &e), 0);
    /* the pipeline fills these; here by hand */
    make(&r[0], "web", "D-1", "first", t);
    r[0].dup_key = 42, r[0].simhash = 0x1234567890abcdefLL;
    r[0].customer_id = xstrdup("C1");
    make(&r[1], "app", "D-2", "same text, same customer", t + 3600000);
    r[1].dup_key = 42, r[1].simhash = 0x1234567890abcdefLL;
    r[1].customer_id = xstrdup("C1");
    make(&r[2], "web", "D-3", "near: the same customer, a few bits away", t + 7200000);
    r[2].dup_key = 7, r[2].simhash = 0x1234567890abcdefLL ^ 0x1011;
    r[2].customer_id = xstrdup("C1");
    make(&r[3], "web", "D-4", "the same words from another customer", t + 7200000);
    r[3].dup_key = 8, r[3].simhash = 0x1234567890abcdefLL;
    r[3].customer_id = xstrdup("C2");
    make(&r[4], "web", "D-5", "same key, outside the window", t + 40 * 86400000LL);
    r[4].dup_key = 42, r[4].simhash = 0x0f0f0f0f0f0f0f0fLL;
    r[4].customer_id = xstrdup("C1");
    assert_int_equal(insert(s, r, 5, res), 0);
    assert_int_equal(r[0].duplicate_of, 0);
    assert_int_equal(r[1].duplicate_of, res[0].id);
    assert_true(r[1].quality & QUALITY_DUP_EXACT);
    assert_int_equal(r[2].duplicate_of, res[0].id);
    assert_true(r[2].quality & QUALITY_DUP_NEAR);
    assert_int_equal(r[3].duplicate_of, 0);
    assert_int_equal(r[4].duplicate_of, 0);
    record_init(&got);
    assert_int_equal(store_feedback_get(s, res[0].id, &got, &e), 0);
    assert_int_equal(got.repeat_count, 2);
    record_release(&got);
    for (int i = 0; i < 5; i++)
        record_release(&r[i]);

    /* a new process (fresh index, loaded from the database) finds them too */
    store_close(s);
    assert_int_equal(store_open(own, &s, &e), 0);
    make(&r[0], "sms", "D-6", "again", t + 86400000LL);
    r[0].dup_key = 42, r[0].simhash = 0x1234567890abcdefLL;
    r[0].customer_id = xstrdup("C1");
    assert_int_equal(insert(s, r, 1, res), 0);
    assert_int_equal(r[0].duplicate_of, res[0].id - 5);
    record_release(&r[0]);
    store_close(s);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", own);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrations_apply),
        cmocka_unit_test(duplicates_are_linked_and_counted),
        cmocka_unit_test(insert_is_idempotent),
        cmocka_unit_test(patch_records_timeline),
        cmocka_unit_test(list_pages_through_everything),
        cmocka_unit_test(search_catches_up),
        cmocka_unit_test(list_plans_use_index),
        cmocka_unit_test(writer_thread_commits_many),
    };
    clock_set_zone("Asia/Shanghai");
    return cmocka_run_group_tests(tests, setup, teardown);
}
