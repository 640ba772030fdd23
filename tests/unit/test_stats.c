/* test_stats.c: the metric formulas (insight/stats.h) and local-day arithmetic on small
 * hand-computed examples, and the rollups against a store written through the writer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

#include "base/clock.h"
#include "insight/report.h"
#include "insight/stats.h"
#include "store/db.h"

#define NEAR(a, b) assert_true(fabs((a) - (b)) < 1e-9)

static void shares_and_changes(void **state)
{
    (void)state;
    NEAR(metric_share(3, 5), 0.6); /* CSAT: 3 of 5 answers 4-5 */
    assert_true(isnan(metric_share(1, 0)));
    NEAR(metric_change(10, 8), 0.25); /* 环比 */
    NEAR(metric_change(10, 5), 1.0);  /* 同比 */
    NEAR(metric_change(6, 8), -0.25);
    assert_true(isnan(metric_change(3, 0)));
    /* NPS: 3 promoters, 2 detractors of 6 answers */
    NEAR(metric_nps(3, 2, 6), 100.0 / 6);
    NEAR(metric_nps(0, 4, 4), -100);
    assert_true(isnan(metric_nps(0, 0, 0)));
    /* lift: 3 of 4 vip complaints are logistics, 5 of 10 overall */
    NEAR(metric_lift(3, 4, 5, 10), 1.5);
    NEAR(metric_lift(2, 6, 3, 10), (2.0 / 6) / 0.3);
    assert_true(isnan(metric_lift(1, 0, 1, 1)));
}

static void distributions(void **state)
{
    (void)state;
    double v[] = {10, 1, 4, 3, 2};
    struct metric_dist d;
    metric_dist(v, 5, &d);
    assert_int_equal(d.n, 5);
    NEAR(d.mean, 4);
    NEAR(d.median, 3);
    NEAR(d.p90, 10); /* nearest rank ceil(0.9 * 5) = 5th */
    double w[] = {8, 2, 6, 4};
    metric_dist(w, 4, &d);
    NEAR(d.median, 5); /* (4 + 6) / 2 */
    NEAR(d.p90, 8);
    double x[20];
    for (int i = 0; i < 20; i++)
        x[i] = 20 - i; /* 1..20 */
    metric_dist(x, 20, &d);
    NEAR(d.p90, 18); /* ceil(18) = 18th */
    NEAR(d.median, 10.5);
    metric_dist(NULL, 0, &d);
    assert_true(isnan(d.mean) && isnan(d.median) && isnan(d.p90));
}

/* The histogram of times: bucket edges, and median and p90 within a bucket's width (4.43 %) of
 * the exact ones, exact when a bucket's values are equal. */
static void histograms(void **state)
{
    static int64_t hn[STATS_HIST_BUCKETS], hs[STATS_HIST_BUCKETS];
    double exact[500];
    int64_t sum = 0;
    struct metric_dist d, e;
    (void)state;
    assert_int_equal(store_stats_hist_bucket(0), 0);
    assert_int_equal(store_stats_hist_bucket(59999), 0);
    assert_int_equal(store_stats_hist_bucket(60000), 1);
    assert_int_equal(store_stats_hist_bucket(120000), 17); /* 2 min = 2^(16/16) */
    assert_int_equal(store_stats_hist_bucket(119999), 16);
    assert_int_equal(store_stats_hist_bucket(INT64_MAX / 2), STATS_HIST_BUCKETS - 1);
    /* the hand-computed hours of distributions(): one value per bucket, exact */
    int64_t h[] = {10, 1, 4, 3, 2};
    for (int i = 0; i < 5; i++) {
        int b = store_stats_hist_bucket(h[i] * 3600000);
        hn[b]++;
        hs[b] += h[i] * 3600000;
        sum += h[i] * 3600000;
    }
    metric_hist_dist(hn, hs, STATS_HIST_BUCKETS, 5, sum, &d);
    assert_int_equal(d.n, 5);
    NEAR(d.mean, 4);
    NEAR(d.median, 3);
    NEAR(d.p90, 10);
    /* 500 spread-out values, from seconds to weeks */
    memset(hn, 0, sizeof hn);
    memset(hs, 0, sizeof hs);
    sum = 0;
    for (int i = 0; i < 500; i++) {
        int64_t ms = (int64_t)(5000 * pow(1.031, i)) + i * 977;
        int b = store_stats_hist_bucket(ms);
        hn[b]++;
        hs[b] += ms;
        sum += ms;
        exact[i] = (double)ms / 3600000.0;
    }
    metric_hist_dist(hn, hs, STATS_HIST_BUCKETS, 500, sum, &d);
    metric_dist(exact, 500, &e);
    NEAR(d.mean, e.mean);
    assert_true(fabs(d.median - e.median) <= 0.0443 * e.median);
    assert_true(fabs(d.p90 - e.p90) <= 0.0443 * e.p90);
    metric_hist_dist(hn, hs, STATS_HIST_BUCKETS, 0, 0, &d);
    assert_true(isnan(d.mean) && isnan(d.median) && isnan(d.p90));
}

static void pareto(void **state)
{
    (void)state;
    struct pareto_item it[] = {
        {"服务", 1, 0, 0}, {"物流", 5, 0, 0}, {"价格", 1, 0, 0}, {"质量", 3, 0, 0}};
    int64_t total;
    size_t cut = metric_pareto(it, 4, &total);
    assert_int_equal(total, 10);
    assert_string_equal(it[0].key, "物流");
    assert_string_equal(it[1].key, "质量");
    NEAR(it[0].share, 0.5);
    NEAR(it[1].cum_share, 0.8);
    NEAR(it[3].cum_share, 1.0);
    assert_int_equal(cut, 2); /* exactly 80 % counts */
    struct pareto_item one[] = {{"a", 79, 0, 0}, {"b", 1, 0, 0}, {"c", 20, 0, 0}};
    cut = metric_pareto(one, 3, &total);
    assert_int_equal(cut, 2); /* 79 % then 99 % */
    assert_int_equal(metric_pareto(NULL, 0, &total), 0);
    assert_int_equal(total, 0);
}

static void local_days(void **state)
{
    (void)state;
    int64_t ms, day;
    int hour, y, m, d;
    char buf[16];
    assert_int_equal(clock_set_zone("Asia/Shanghai"), 0);
    assert_int_equal(clock_parse("2026-10-05T00:30:00+08:00", 25, &ms), 0);
    day = clock_local_day(ms, &hour);
    assert_int_equal(hour, 0);
    assert_string_equal(clock_day_str(day, buf), "2026-10-05");
    assert_int_equal(clock_day_weekday(day), 1); /* Monday */
    assert_int_equal(clock_day_start(day), ms - 30 * 60 * 1000);
    /* 23:59 the day before, in UTC the same calendar day as above */
    assert_int_equal(clock_local_day(ms - 31 * 60 * 1000, &hour), day - 1);
    assert_int_equal(hour, 23);
    clock_day_ymd(clock_ymd_day(2024, 2, 29), &y, &m, &d);
    assert_true(y == 2024 && m == 2 && d == 29);
    clock_day_ymd(stats_day_year_before(clock_ymd_day(2024, 2, 29)), &y, &m, &d);
    assert_true(y == 2023 && m == 2 && d == 28);
    assert_int_equal(stats_day_year_before(clock_ymd_day(2026, 10, 5)), clock_ymd_day(2025, 10, 5));
    assert_int_equal(clock_ymd_day(1970, 1, 1), 0);
    assert_int_equal(clock_day_weekday(0), 4); /* Thursday */
}

static void periods(void **state)
{
    (void)state;
    struct stats_query q = {0};
    struct kerr e;
    kerr_clear(&e);
    assert_int_equal(clock_set_zone("Asia/Shanghai"), 0);
    assert_int_equal(stats_period("2026-10-05", "2026-10-11", 0, &q, &e), 0);
    assert_int_equal(q.day1 - q.day0, 6); /* a date `to` includes that day */
    assert_int_equal(q.t1 - q.t0, 7 * 86400000LL);
    assert_true(stats_period("2026-10-12", "2026-10-11", 0, &q, &e) < 0);
    assert_string_equal(e.field, "from");
    assert_true(stats_period(NULL, "soon", 0, &q, &e) < 0);
    assert_string_equal(e.field, "to");
    int64_t now;
    assert_int_equal(clock_parse("2026-12-05T10:00:00+08:00", 25, &now), 0);
    assert_int_equal(stats_period(NULL, NULL, now, &q, &e), 0);
    assert_int_equal(q.day1, clock_local_day(now, NULL));
    assert_int_equal(q.day1 - q.day0, 29);
}

/* Rollups through the store: inserts and a PATCH, then a rebuild gives the same counts. */
struct cnt {
    int64_t n;
    const char *key;
};
static int count_key(void *arg, const struct store_stats_cell *c)
{
    struct cnt *k = arg;
    if (strcmp(c->key, k->key) == 0)
        k->n += c->n;
    return 0;
}

static int64_t rolled(struct store *s, const char *dim, const char *key, int64_t day)
{
    struct cnt k = {0, key};
    struct kerr e;
    assert_int_equal(store_stats_rollup(s, dim, day, day, count_key, &k, &e), 0);
    return k.n;
}

static void rollups_follow_writes(void **state)
{
    (void)state;
    char dir[] = "/tmp/kesu-test-stats-XXXXXX";
    struct store *s;
    struct kerr e;
    struct record r[3];
    struct store_insert_result res[3];
    int64_t at;
    kerr_clear(&e);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(clock_set_zone("Asia/Shanghai"), 0);
    assert_int_equal(store_open(dir, &s, &e), 0);
    assert_int_equal(clock_parse("2026-10-05T09:30:00+08:00", 25, &at), 0);
    int64_t day = clock_local_day(at, NULL);
    for (int i = 0; i < 3; i++) {
        char text[32];
        record_init(&r[i]);
        r[i].channel = strdup(i == 2 ? "app" : "web");
        snprintf(text, sizeof text, "text %d", i);
        r[i].text = strdup(text);
        r[i].received_at = at;
        r[i].category_l1 = strdup("物流");
        assert_int_equal(record_validate(&r[i], at, &e), 0);
    }
    struct store_job job = {
        .kind = STORE_JOB_INSERT, .actor = "test", .recs = r, .n = 3, .results = res};
    assert_int_equal(store_run(s, &job), 0);
    assert_int_equal(rolled(s, "channel", "web", day), 2);
    assert_int_equal(rolled(s, "all", "", day), 3);
    assert_int_equal(rolled(s, "hour", "09", day), 3);
    assert_int_equal(rolled(s, "category_l1", "物流", day), 3);
    /* PATCH one record's category: the count moves */
    struct store_patch p = {0};
    record_init(&p.values);
    p.n = 1;
    p.fields[0] = record_field_by_name("category_l1");
    p.values.category_l1 = strdup("质量");
    struct store_job pj = {.kind = STORE_JOB_PATCH, .actor = "test", .id = res[0].id, .patch = &p};
    assert_int_equal(store_run(s, &pj), 0);
    assert_int_equal(rolled(s, "category_l1", "物流", day), 2);
    assert_int_equal(rolled(s, "category_l1", "质量", day), 1);
    assert_int_equal(rolled(s, "all", "", day), 3);
    /* a pair rollup moved too */
    struct cnt k = {0, "质量"};
    assert_int_equal(store_stats_rollup(s, "category_l1|channel", day, day, count_key, &k, &e), 0);
    assert_int_equal(k.n, 1);
    /* staff: with only_user, one row and no teams */
    struct store_patch ap = {0};
    record_init(&ap.values);
    ap.n = 1;
    ap.fields[0] = record_field_by_name("assignee");
    ap.values.assignee = strdup("agent");
    struct store_job aj = {.kind = STORE_JOB_PATCH, .actor = "test", .id = res[1].id, .patch = &ap};
    assert_int_equal(store_run(s, &aj), 0);
    free(ap.values.assignee);
    ap.values.assignee = strdup("agent2");
    aj.id = res[2].id;
    assert_int_equal(store_run(s, &aj), 0);
    record_release(&ap.values);
    assert_int_equal(rolled(s, "assignee", "agent2", day), 1);
    assert_int_equal(rolled(s, "assignee", "", day), 1);
    struct stats_query q = {0};
    struct strbuf sb = STRBUF_INIT;
    stats_days(&q, day, day);
    assert_int_equal(stats_staff_json(s, &q, &sb, &e), 0);
    assert_non_null(strstr(sb.buf, "\"name\":\"agent2\""));
    strbuf_reset(&sb);
    q.only_user = "agent";
    assert_int_equal(stats_staff_json(s, &q, &sb, &e), 0);
    assert_non_null(strstr(sb.buf, "\"name\":\"agent\""));
    assert_null(strstr(sb.buf, "agent2"));
    assert_non_null(strstr(sb.buf, "\"teams\":[]"));
    strbuf_release(&sb);
    int64_t n = 0;
    assert_int_equal(store_stats_rebuild(s, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_int_equal(rolled(s, "category_l1", "物流", day), 2);
    assert_int_equal(rolled(s, "category_l1", "质量", day), 1);
    assert_int_equal(rolled(s, "channel", "app", day), 1);
    record_release(&p.values);
    for (int i = 0; i < 3; i++)
        record_release(&r[i]);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* Sums every key's count of one dimension on one day. */
static int sum_all(void *arg, const struct store_stats_cell *c)
{
    *(int64_t *)arg += c->n;
    return 0;
}

static int64_t rolled_total(struct store *s, const char *dim, int64_t day)
{
    int64_t n = 0;
    struct kerr e;
    assert_int_equal(store_stats_rollup(s, dim, day, day, sum_all, &n, &e), 0);
    return n;
}

struct pair_cnt {
    int64_t n;
    const char *a, *b;
};
static int count_pair(void *arg, const struct store_stats_cell *c)
{
    struct pair_cnt *k = arg;
    if (c->key2 && strcmp(c->key, k->a) == 0 && strcmp(c->key2, k->b) == 0)
        k->n += c->n;
    return 0;
}

/* A batch with hundreds of rollup rows: they are written many to a statement (stats.c), both
 * new rows and rows that exist already; the counts equal a rebuild's. */
static void rollups_many_rows(void **state)
{
    (void)state;
    char dir[] = "/tmp/kesu-test-stats-XXXXXX";
    struct store *s;
    struct kerr e;
    enum { N = 150 };
    struct record r[N];
    struct store_insert_result res[N];
    int64_t t0;
    kerr_clear(&e);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(clock_set_zone("Asia/Shanghai"), 0);
    assert_int_equal(store_open(dir, &s, &e), 0);
    assert_int_equal(clock_parse("2026-10-05T00:30:00+08:00", 25, &t0), 0);
    int64_t day = clock_local_day(t0, NULL);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            char text[32], product[32];
            record_init(&r[i]);
            r[i].channel = strdup(i % 3 ? "web" : "app");
            snprintf(text, sizeof text, "text %d %d", round, i);
            r[i].text = strdup(text);
            /* round 0: products p0..p99 and p0..p49 again; round 1: the same keys again */
            snprintf(product, sizeof product, "p%d", i % 100);
            r[i].product = strdup(product);
            r[i].received_at = t0 + (int64_t)(i % 20) * 3600 * 1000;
            assert_int_equal(record_validate(&r[i], t0, &e), 0);
        }
        struct store_job job = {
            .kind = STORE_JOB_INSERT, .actor = "test", .recs = r, .n = N, .results = res};
        assert_int_equal(store_run(s, &job), 0);
        for (int i = 0; i < N; i++)
            record_release(&r[i]);
    }
    assert_int_equal(rolled(s, "all", "", day), 2 * N);
    assert_int_equal(rolled_total(s, "product", day), 2 * N);
    assert_int_equal(rolled_total(s, "channel|product", day), 2 * N);
    assert_int_equal(rolled_total(s, "hour", day), 2 * N);
    assert_int_equal(rolled(s, "product", "p7", day), 4);
    assert_int_equal(rolled(s, "product", "p77", day), 2);
    assert_int_equal(rolled(s, "hour", "00", day), 2 * ((N + 19) / 20));
    /* p3: records 3 (app) and 103 (web) of each round */
    struct pair_cnt pc = {0, "app", "p3"};
    assert_int_equal(store_stats_rollup(s, "channel|product", day, day, count_pair, &pc, &e), 0);
    assert_int_equal(pc.n, 2);
    int64_t n = 0;
    assert_int_equal(store_stats_rebuild(s, &n, &e), 0);
    assert_int_equal(n, 2 * N);
    assert_int_equal(rolled(s, "product", "p7", day), 4);
    assert_int_equal(rolled(s, "product", "p77", day), 2);
    assert_int_equal(rolled_total(s, "channel|product", day), 2 * N);
    store_close(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static int64_t at(const char *s)
{
    int64_t ms;
    assert_int_equal(clock_parse(s, strlen(s), &ms), 0);
    return ms / 1000;
}

static void cron_and_periods(void **state)
{
    (void)state;
    struct cron c;
    struct kerr e;
    int64_t d0, d1;
    assert_int_equal(clock_set_zone("Asia/Shanghai"), 0);
    assert_int_equal(cron_parse("0 8 * * 1", &c, &e), 0);
    /* Thursday 2026-10-08 10:00 -> Monday 2026-10-12 08:00 local */
    assert_int_equal(cron_next(&c, at("2026-10-08T10:00:00+08:00")),
                     at("2026-10-12T08:00:00+08:00"));
    /* exactly at an occurrence: the next one */
    assert_int_equal(cron_next(&c, at("2026-10-12T08:00:00+08:00")),
                     at("2026-10-19T08:00:00+08:00"));
    assert_int_equal(cron_parse("*/15 9-10 1,15 * *", &c, &e), 0);
    assert_int_equal(cron_next(&c, at("2026-10-01T10:50:00+08:00")),
                     at("2026-10-15T09:00:00+08:00"));
    assert_int_equal(cron_parse("30 7 * * 0", &c, &e), 0); /* Sunday as 0 */
    assert_int_equal(cron_next(&c, at("2026-10-05T00:00:00+08:00")),
                     at("2026-10-11T07:30:00+08:00"));
    assert_int_equal(cron_parse("30 7 * * 7", &c, &e), 0); /* and as 7 */
    assert_int_equal(cron_next(&c, at("2026-10-05T00:00:00+08:00")),
                     at("2026-10-11T07:30:00+08:00"));
    assert_true(cron_parse("0 8 * *", &c, &e) < 0);
    assert_string_equal(e.field, "cron");
    assert_true(cron_parse("60 8 * * *", &c, &e) < 0);
    assert_true(cron_parse("0 8 32 * *", &c, &e) < 0);
    assert_true(cron_parse("0 8 * * x", &c, &e) < 0);
    /* report periods */
    int64_t wed = clock_ymd_day(2026, 10, 7);
    assert_int_equal(report_period("week", wed, &d0, &d1, &e), 0);
    assert_int_equal(d0, clock_ymd_day(2026, 10, 5));
    assert_int_equal(d1, clock_ymd_day(2026, 10, 11));
    assert_int_equal(report_period("month", clock_ymd_day(2024, 2, 10), &d0, &d1, &e), 0);
    assert_int_equal(d0, clock_ymd_day(2024, 2, 1));
    assert_int_equal(d1, clock_ymd_day(2024, 2, 29));
    assert_int_equal(report_period("month", clock_ymd_day(2026, 12, 31), &d0, &d1, &e), 0);
    assert_int_equal(d1, clock_ymd_day(2026, 12, 31));
    assert_true(report_period("year", wed, &d0, &d1, &e) < 0);
    /* the default: the last complete period */
    int64_t now = at("2026-10-07T12:00:00+08:00") * 1000;
    assert_int_equal(report_default_day("day", now), clock_ymd_day(2026, 10, 6));
    assert_int_equal(report_default_day("week", now), clock_ymd_day(2026, 10, 4));
    assert_int_equal(report_default_day("month", now), clock_ymd_day(2026, 9, 30));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shares_and_changes),
        cmocka_unit_test(distributions),
        cmocka_unit_test(histograms),
        cmocka_unit_test(pareto),
        cmocka_unit_test(local_days),
        cmocka_unit_test(periods),
        cmocka_unit_test(rollups_follow_writes),
        cmocka_unit_test(rollups_many_rows),
        cmocka_unit_test(cron_and_periods),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
