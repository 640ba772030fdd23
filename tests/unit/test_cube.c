/* test_cube.c: the stats cube (store/cube.c) answers exactly as SQLite does. A store gets
 * demo records (kesu demo's generator, with categories, severities, sentiments, teams and
 * assignees spread over them), the cube is loaded half-way, the other half comes through the
 * writer, then PATCHes change categories, assignees, severities and a day; after each step
 * every cross-tab, volume and Pareto of several dimensions and periods is compared, byte for
 * byte, with the same query forced to SQLite (exact=true). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "base/clock.h"
#include "intake/demo.h"
#include "insight/stats.h"
#include "store/db.h"

#define NREC 2400
#define DAYS 200

static const char *const L1[] = {"物流", "质量", "服务", "价格", "售后"};
static const char *const SEV[] = {"low", "medium", "high", "critical"};
static const char *const SENT[] = {"negative", "neutral", "positive"};
static const char *const TEAM[] = {"kefu", "quality", "logistics"};

struct gen {
    struct record *r;
    long n;
};

static char *dup_or_null(const char *v, unsigned h)
{
    return h % 13 == 0 ? NULL : strdup(v); /* some values missing: they count under "" */
}

static int take(void *arg, const struct record *src)
{
    struct gen *g = arg;
    struct record *r = &g->r[g->n];
    unsigned h = (unsigned)g->n * 2654435761u;
    char buf[32];
    record_copy(r, src);
    free(r->category_l1);
    free(r->category_l2);
    free(r->category_l3);
    free(r->severity);
    free(r->sentiment);
    free(r->team);
    free(r->assignee);
    r->category_l1 = dup_or_null(L1[(h >> 3) % 5], h >> 7);
    snprintf(buf, sizeof buf, "L2-%u", (h >> 5) % 9);
    r->category_l2 = strdup(buf);
    snprintf(buf, sizeof buf, "L3-%u", (h >> 9) % 23);
    r->category_l3 = strdup(buf);
    r->severity = strdup(SEV[(h >> 11) % 4]);
    r->sentiment = dup_or_null(SENT[(h >> 13) % 3], h >> 3);
    r->team = strdup(TEAM[(h >> 15) % 3]);
    snprintf(buf, sizeof buf, "agent%u", (h >> 17) % 12);
    r->assignee = dup_or_null(buf, h >> 19);
    struct kerr e;
    kerr_clear(&e);
    assert_int_equal(record_validate(r, r->received_at, &e), 0);
    g->n++;
    return g->n >= NREC;
}

static void insert(struct store *s, struct record *r, long n)
{
    struct store_insert_result *res = calloc((size_t)n, sizeof(*res));
    struct store_job job = {
        .kind = STORE_JOB_INSERT, .actor = "test", .recs = r, .n = (size_t)n, .results = res};
    assert_int_equal(store_run(s, &job), 0);
    free(res);
}

static void patch(struct store *s, int64_t id, const char *field, const char *value)
{
    struct store_patch p = {0};
    const struct record_field *f = record_field_by_name(field);
    assert_non_null(f);
    record_init(&p.values);
    p.n = 1;
    p.fields[0] = f;
    if (strcmp(field, "received_at") == 0) {
        assert_int_equal(clock_parse(value, strlen(value), &p.values.received_at), 0);
    } else {
        char **dst = (char **)((char *)&p.values + f->offset);
        *dst = strdup(value);
    }
    struct store_job j = {.kind = STORE_JOB_PATCH, .actor = "test", .id = id, .patch = &p};
    assert_int_equal(store_run(s, &j), 0);
    record_release(&p.values);
}

/* The reply without its "source" (the only field that says which path answered). */
static char *unsourced(const char *json, const char **source)
{
    char *out = strdup(json), *p = strstr(out, "\"source\":\"");
    static char src[16];
    if (p) {
        char *v = p + 10, *q = strchr(v, '"');
        snprintf(src, sizeof src, "%.*s", (int)(q - v), v);
        memmove(v, q, strlen(q) + 1);
        *source = src;
    } else {
        *source = "";
    }
    return out;
}

typedef int (*stats_fn)(struct store *, const struct stats_query *, struct strbuf *, struct kerr *);

/* Runs q through the cube and through SQLite; the replies must be the same. */
static void same(struct store *s, stats_fn fn, struct stats_query q, bool want_cube)
{
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    struct kerr e;
    const char *src;
    kerr_clear(&e);
    q.exact = false;
    assert_int_equal(fn(s, &q, &a, &e), 0);
    q.exact = true;
    assert_int_equal(fn(s, &q, &b, &e), 0);
    char *x = unsourced(a.buf, &src);
    if (fn == stats_crosstab_json)
        assert_string_equal(
            src, want_cube ? "cube" : (store_stats_pair(q.rows, q.cols, NULL) ? "rollup" : "scan"));
    char *y = unsourced(b.buf, &src);
    if (strcmp(x, y) != 0)
        fprintf(stderr, "cube:   %s\nsqlite: %s\n", x, y);
    assert_string_equal(x, y);
    free(x);
    free(y);
    strbuf_release(&a);
    strbuf_release(&b);
}

static void compare_all(struct store *s, int64_t last_day, bool want_cube)
{
    static const char *const pairs[][2] = {
        {"assignee", "severity"},   {"customer_segment", "category_l1"},
        {"channel", "category_l1"}, {"category_l1", "store"},
        {"store", "product"},       {"category_l3", "region"},
        {"sentiment", "team"},      {"team", "assignee"},
        {"category_l2", "channel"}, {"severity", "customer_segment"},
    };
    static const char *const dims[] = {"channel",  "store",    "category_l3",
                                       "assignee", "severity", "sentiment"};
    static const char *const buckets[] = {"day", "week", "month"};
    const int64_t spans[][2] = {{DAYS + 30, 0}, {30, 0}, {7, 3}, {1, 10}, {90, 60}};
    for (size_t p = 0; p < sizeof spans / sizeof spans[0]; p++) {
        struct stats_query q = {0};
        int64_t d1 = last_day - spans[p][1];
        stats_days(&q, d1 - spans[p][0] + 1, d1);
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
            q.rows = pairs[i][0];
            q.cols = pairs[i][1];
            same(s, stats_crosstab_json, q, want_cube);
            q.rows = pairs[i][1];
            q.cols = pairs[i][0];
            same(s, stats_crosstab_json, q, want_cube);
        }
        q.rows = q.cols = NULL;
        for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
            q.by = dims[i];
            same(s, stats_pareto_json, q, want_cube);
            for (size_t k = 0; k < 3; k++) {
                q.bucket = buckets[k];
                q.limit = k == 1 ? 5 : 0; /* "(other)" too */
                same(s, stats_volume_json, q, want_cube);
            }
            q.bucket = NULL;
            q.limit = 0;
        }
    }
}

/* The records over days days: 200 (a few a day), or 3 (hundreds a day: the cube counts a
 * day's cells apart and merges them, for the rollup's order of a pair). */
/* A fresh store in a temporary directory and NREC demo records (not stored yet) ending on
 * 2026-11-20 in Shanghai time. */
struct fixture {
    char dir[32];
    struct store *s;
    struct gen g;
    int64_t last_day;
};

static void fixture_open(struct fixture *f, uint64_t seed, int days)
{
    struct kerr e;
    struct demo_opts o = {.seed = seed, .count = NREC, .days = days};
    kerr_clear(&e);
    snprintf(f->dir, sizeof f->dir, "/tmp/kesu-test-cube-XXXXXX");
    f->g = (struct gen){calloc(NREC, sizeof(struct record)), 0};
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(clock_set_zone("Asia/Shanghai"), 0);
    assert_int_equal(clock_parse("2026-11-20T00:00:00+08:00", 25, &o.end_ms), 0);
    f->last_day = clock_local_day(o.end_ms, NULL);
    assert_int_equal(demo_generate(&o, take, &f->g), 1);
    assert_int_equal(f->g.n, NREC);
    assert_int_equal(store_open(f->dir, &f->s, &e), 0);
}

static void fixture_close(struct fixture *f)
{
    store_close(f->s);
    for (long i = 0; i < f->g.n; i++)
        record_release(&f->g.r[i]);
    free(f->g.r);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
}

static void equals_sqlite(int days)
{
    struct fixture f;
    struct kerr e;
    kerr_clear(&e);
    fixture_open(&f, 7, days);
    struct store *s = f.s;
    struct gen g = f.g;
    int64_t last_day = f.last_day;

    insert(s, g.r, NREC / 2);
    /* mode off: nothing loads, SQLite answers */
    assert_false(store_cube_ready(s));
    compare_all(s, last_day, false);
    assert_int_equal(store_cube_load(s, &e), 0);
    assert_true(store_cube_ready(s));
    compare_all(s, last_day, true);

    /* the rest through the writer: each batch is applied after its commit */
    for (long i = NREC / 2; i < NREC; i += 150)
        insert(s, g.r + i, NREC - i < 150 ? NREC - i : 150);
    compare_all(s, last_day, true);

    /* PATCHes of dimensions, and of received_at (the record moves to another day) */
    for (int64_t id = 1; id <= NREC; id += 37) {
        patch(s, id, "category_l1", L1[id % 5]);
        patch(s, id + 1, "assignee", id % 2 ? "agent99" : "agent1");
        patch(s, id + 2, "severity", "critical");
        patch(s, id + 3, "store", "新店");
    }
    patch(s, 5, "received_at", "2026-11-19T08:00:00+08:00");
    patch(s, 6, "received_at", "2026-05-01T08:00:00+08:00"); /* before every other record */
    patch(s, 5, "channel", "app");
    compare_all(s, last_day, true);

    struct store_cube_info ci;
    store_cube_info(s, &ci);
    assert_string_equal(ci.state, "ready");
    assert_int_equal(ci.records, NREC);
    assert_true(ci.bytes > 0);
    assert_int_equal(store_cube_mode_parse("lazy"), STORE_CUBE_LAZY);
    assert_int_equal(store_cube_mode_parse("start"), STORE_CUBE_START);
    assert_int_equal(store_cube_mode_parse("off"), STORE_CUBE_OFF);
    assert_int_equal(store_cube_mode_parse("on"), -1);
    fixture_close(&f);
}

static void cube_equals_sqlite(void **state)
{
    (void)state;
    equals_sqlite(DAYS);
}

static void cube_equals_sqlite_dense(void **state)
{
    (void)state;
    equals_sqlite(3);
}

/* Loaded while the writer runs: the changes of batches committed during the load are
 * applied after it, so the cube still matches. Lazy mode: the first query starts the load
 * and is answered by SQLite meanwhile. */
static void cube_lazy_while_writing(void **state)
{
    (void)state;
    struct fixture f;
    struct kerr e;
    kerr_clear(&e);
    fixture_open(&f, 11, DAYS);
    struct store *s = f.s;
    struct gen g = f.g;
    int64_t last_day = f.last_day;
    assert_int_equal(store_start(s, STORE_BG_WRITER, &e), 0);
    insert(s, g.r, NREC / 2);
    store_cube_configure(s, STORE_CUBE_LAZY);
    (void)store_cube_ready(s); /* starts the load */
    for (long i = NREC / 2; i < NREC; i += 100) {
        insert(s, g.r + i, NREC - i < 100 ? NREC - i : 100);
        patch(s, i - 50, "assignee", "agent77");
    }
    for (int k = 0; k < 2000 && !store_cube_ready(s); k++)
        usleep(5000);
    assert_true(store_cube_ready(s));
    compare_all(s, last_day, true);
    fixture_close(&f);
}

/* Records stored through another store handle (as by `kesu import` beside `kesu serve`) never
 * pass this store's writer: the next query finds ids above the cube's and reads them. */
static void cube_catches_up_with_another_writer(void **state)
{
    (void)state;
    struct fixture f;
    struct store *other;
    struct kerr e;
    struct store_cube_info ci;
    kerr_clear(&e);
    fixture_open(&f, 13, DAYS);
    insert(f.s, f.g.r, NREC / 2);
    assert_int_equal(store_cube_load(f.s, &e), 0);
    assert_int_equal(store_open(f.dir, &other, &e), 0);
    insert(other, f.g.r + NREC / 2, NREC / 4);
    compare_all(f.s, f.last_day, true);
    insert(f.s, f.g.r + NREC / 2 + NREC / 4, 50); /* this store's own batch, then the other's */
    insert(other, f.g.r + NREC / 2 + NREC / 4 + 50, NREC - NREC / 2 - NREC / 4 - 50);
    compare_all(f.s, f.last_day, true);
    store_cube_info(f.s, &ci);
    assert_int_equal(ci.records, NREC);
    store_close(other);
    fixture_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cube_equals_sqlite),
        cmocka_unit_test(cube_equals_sqlite_dense),
        cmocka_unit_test(cube_lazy_while_writing),
        cmocka_unit_test(cube_catches_up_with_another_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
