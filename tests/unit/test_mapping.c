/*
 * Unit tests for core/intake/mapping: loading (the shipped examples under
 * docs/mappings and bad files), time layouts, and applying rules to rows:
 * constants, joined columns, letters and numbers as column references,
 * two-level categories, value maps with "else" and "default", rating
 * scales, words and stars, and errors that name the field and the column.
 * Run from the repository root.
 */
#include "unit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "intake/mapping.h"
#include "intake/record.h"

static int setup(void **state)
{
    (void)state;
    return clock_set_zone("Asia/Shanghai");
}

/* A row from NULL-terminated cells. */
struct trow {
    struct csv_field f[16];
    struct csv_row row;
};

static struct csv_row *mkrow(struct trow *t, long line, const char *const *cells)
{
    size_t n = 0;
    for (; cells[n]; n++) {
        t->f[n].ptr = cells[n];
        t->f[n].len = strlen(cells[n]);
    }
    t->row.fields = t->f;
    t->row.nfields = n;
    t->row.line = line;
    return &t->row;
}

static struct mapping *parse(const char *json)
{
    struct mapping *m = NULL;
    struct kerr e;
    if (mapping_parse(json, strlen(json), &m, &e) < 0)
        fail_msg("mapping_parse: %s: %s", e.field, e.message);
    return m;
}

static char *fmt_time(const char *s, const char *layout)
{
    static char buf[CLOCK_FMT_MAX];
    int64_t ms;
    if (mapping_parse_time(s, strlen(s), layout, &ms) < 0)
        return NULL;
    return clock_format(ms, buf);
}

static void parses_times(void **state)
{
    (void)state;
    assert_string_equal(fmt_time("2025年6月25日 09:33", "auto"), "2025-06-25T09:33:00+08:00");
    assert_string_equal(fmt_time("2025/6/25", "auto"), "2025-06-25T00:00:00+08:00");
    assert_string_equal(fmt_time("25-06-2025 09:33:19", "auto"), "2025-06-25T09:33:19+08:00");
    assert_string_equal(fmt_time("2025-06-25", "auto"), "2025-06-25T00:00:00+08:00");
    assert_string_equal(fmt_time(" 2025-06-25T01:02:03Z ", "auto"), "2025-06-25T09:02:03+08:00");
    assert_string_equal(fmt_time("1750815199", "auto"), "2025-06-25T09:33:19+08:00");
    assert_string_equal(fmt_time("1750815199000", "auto"), "2025-06-25T09:33:19+08:00");
    assert_string_equal(fmt_time("45833.5", "auto"), "2025-06-25T12:00:00+08:00");
    assert_string_equal(fmt_time("45833", "excel"), "2025-06-25T00:00:00+08:00");
    assert_string_equal(fmt_time("1750815199", "epoch_s"), "2025-06-25T09:33:19+08:00");
    assert_string_equal(fmt_time("06/25/25 9:33", "%m/%d/%y %H:%M"), "2025-06-25T09:33:00+08:00");
    assert_string_equal(fmt_time("2025年6月25日", "%Y年%m月%d日"), "2025-06-25T00:00:00+08:00");
    assert_null(fmt_time("2025年13月01日 10:00", "auto"));
    assert_null(fmt_time("2025/2/30", "auto"));
    assert_null(fmt_time("25/06/2025", "%Y/%m/%d"));
    assert_null(fmt_time("2025-06-25 09:33 extra", "auto"));
    assert_null(fmt_time("昨天", "auto"));
    assert_null(fmt_time("2025-06-25", "epoch_ms"));
}

static void loads_the_shipped_examples(void **state)
{
    static const char *const files[] = {
        "docs/mappings/ecommerce-reviews.json", "docs/mappings/ecommerce-reviews-xlsx.json",
        "docs/mappings/hotline.json",           "docs/mappings/hotline-big5.json",
        "docs/mappings/survey-nps.json",        "docs/mappings/store-comment-cards.json",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        struct mapping *m = NULL;
        struct kerr e;
        if (mapping_load(files[i], &m, &e) < 0)
            fail_msg("%s: %s: %s", files[i], e.field, e.message);
        mapping_free(m);
    }
}

static void refuses_bad_mappings(void **state)
{
    static const struct {
        const char *json, *field;
    } bad[] = {
        {"[]", "fields"},
        {"{\"fields\":{\"nosuch\":\"A\"}}", "nosuch"},
        {"{\"fields\":{\"status\":\"A\"}}", "status"},
        {"{\"fields\":{\"text\":\"A\",\"text\":\"B\"}}", "text"},
        {"{\"fields\":{\"text\":{}}}", "text"},
        {"{\"fields\":{\"text\":{\"column\":\"$A1\"}}}", "text"},
        {"{\"fields\":{\"text\":{\"column\":\"A\",\"date\":\"%Y\"}}}", "text"},
        {"{\"fields\":{\"text\":{\"column\":\"A\",\"scale\":5}}}", "text"},
        {"{\"fields\":{\"rating\":{\"column\":\"A\",\"map\":{\"好\":[1]}}}}", "rating"},
        {"{\"fields\":{\"text\":{\"column\":\"A\",\"split\":\"/\",\"part\":0}}}", "text"},
        {"{\"header_row\":0,\"fields\":{}}", "header_row"},
        /* numbers far outside int or long: refused, never cast (found by fuzz_mapping) */
        {"{\"fields\":{\"text\":{\"column\":\"A\",\"split\":\"/\",\"part\":1e29}}}", "text"},
        {"{\"header_row\":1e300,\"fields\":{}}", "header_row"},
        {"{\"skip_rows\":-1e300,\"fields\":{}}", "header_row"},
        {"{\"sheet\":1e300,\"fields\":{}}", "sheet"},
        {"{\"sheet\":0,\"fields\":{}}", "sheet"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mapping *m = NULL;
        struct kerr e;
        kerr_clear(&e);
        assert_int_equal(mapping_parse(bad[i].json, strlen(bad[i].json), &m, &e), KERR_INVALID);
        assert_null(m);
        assert_string_equal(e.field, bad[i].field);
    }
}

static void applies_a_review_mapping(void **state)
{
    struct mapping *m = parse(
        "{\"fields\":{"
        "\"channel\":{\"column\":\"渠道\",\"map\":{\"淘宝\":\"ecommerce\",\"京东\":\"ecommerce\"},"
        "\"else\":\"other\",\"default\":\"web\"},"
        "\"external_id\":{\"columns\":[\"订单号\",\"评价时间\"],\"sep\":\"@\"},"
        "\"received_at\":{\"column\":\"评价时间\",\"date\":\"%Y年%m月%d日 %H:%M\"},"
        "\"rating\":{\"column\":\"评分\",\"scale\":5},"
        "\"title\":\"$F\","
        "\"text\":{\"columns\":[6,\"评价内容\"],\"sep\":\"：\"},"
        "\"category_l1\":{\"column\":\"分类\",\"split\":\"/\",\"part\":1},"
        "\"category_l2\":{\"column\":\"分类\",\"split\":\"/\",\"part\":2}}}");
    static const char *const header[] = {"订单号", "评价时间", " 评分 ", "评价内容",
                                         "渠道",   "商品名称", "分类",   NULL};
    static const char *const r1[] = {"TB1",    "2025年6月25日 09:33", "4", " 很好 ", "淘宝",
                                     "保温杯", "物流/配送慢",         NULL};
    static const char *const r2[] = {"TB2", "2025年6月26日 10:00", "★★☆☆☆", "", "拼多多", "", "",
                                     NULL};
    static const char *const r3[] = {"TB3", "2025年6月26日 10:00", "", "无", "", "", "质量", NULL};
    struct trow t;
    struct record r;
    struct kerr e;
    char buf[CLOCK_FMT_MAX];
    (void)state;

    assert_int_equal(mapping_bind(m, mkrow(&t, 1, header), &e), 0);
    record_init(&r);
    assert_int_equal(mapping_apply(m, mkrow(&t, 2, r1), &r, &e), 0);
    assert_string_equal(r.channel, "ecommerce");
    assert_string_equal(r.external_id, "TB1@2025年6月25日 09:33");
    assert_string_equal(clock_format(r.received_at, buf), "2025-06-25T09:33:00+08:00");
    assert_true(r.rating == 4 && r.rating_scale == 5);
    assert_string_equal(r.title, "保温杯");
    assert_string_equal(r.text, "保温杯：很好");
    assert_string_equal(r.category_l1, "物流");
    assert_string_equal(r.category_l2, "配送慢");
    assert_string_equal(r.category_source, "import");
    record_release(&r);

    assert_int_equal(mapping_apply(m, mkrow(&t, 3, r2), &r, &e), 0);
    assert_string_equal(r.channel, "other"); /* not in the map: "else" */
    assert_true(r.rating == 2);              /* two stars */
    assert_null(r.title);
    assert_null(r.text); /* record_validate will refuse it */
    assert_null(r.category_l1);
    assert_null(r.category_source);
    record_release(&r);

    assert_int_equal(mapping_apply(m, mkrow(&t, 4, r3), &r, &e), 0);
    assert_string_equal(r.channel, "web"); /* empty: "default" */
    assert_string_equal(r.category_l1, "质量");
    assert_null(r.category_l2);
    assert_true(isnan(r.rating));
    record_release(&r);
    mapping_free(m);
}

static void names_field_and_column_in_errors(void **state)
{
    struct mapping *m = parse("{\"fields\":{\"received_at\":\"时间\",\"rating\":{\"column\":"
                              "\"满意度\",\"map\":{\"满意\":5,\"不满意\":1},\"scale\":5},"
                              "\"text\":\"内容\"}}");
    static const char *const header[] = {"时间", "满意度", "内容", NULL};
    static const char *const bad_date[] = {"下周", "满意", "x", NULL};
    static const char *const bad_rating[] = {"2025-06-25", "还行", "x", NULL};
    static const char *const short_row[] = {"2025-06-25", NULL};
    struct trow t;
    struct record r;
    struct kerr e;
    (void)state;
    assert_int_equal(mapping_bind(m, mkrow(&t, 1, header), &e), 0);
    record_init(&r);
    assert_int_equal(mapping_apply(m, mkrow(&t, 2, bad_date), &r, &e), KERR_INVALID);
    assert_string_equal(e.field, "received_at");
    assert_non_null(strstr(e.message, "(column 时间)"));
    record_release(&r);
    assert_int_equal(mapping_apply(m, mkrow(&t, 3, bad_rating), &r, &e), KERR_INVALID);
    assert_string_equal(e.field, "rating");
    assert_non_null(strstr(e.message, "(column 满意度)"));
    record_release(&r);
    /* cells past the row's end are empty */
    assert_int_equal(mapping_apply(m, mkrow(&t, 4, short_row), &r, &e), 0);
    assert_null(r.text);
    record_release(&r);
    mapping_free(m);
}

static void binds_or_names_the_missing_column(void **state)
{
    struct mapping *m = parse("{\"header_row\":3,\"skip_rows\":1,\"encoding\":\"gbk\","
                              "\"sheet\":2,\"fields\":{\"text\":\"内容\",\"store\":\"$C\"}}");
    static const char *const header[] = {"编号", "意见", NULL};
    struct trow t;
    struct kerr e;
    (void)state;
    assert_int_equal(mapping_header_row(m), 3);
    assert_int_equal(mapping_skip_rows(m), 1);
    assert_string_equal(mapping_encoding(m), "gbk");
    assert_string_equal(mapping_sheet(m), "2");
    assert_int_equal(mapping_bind(m, mkrow(&t, 3, header), &e), KERR_INVALID);
    assert_string_equal(e.field, "text");
    assert_non_null(strstr(e.message, "内容"));
    mapping_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_times),
        cmocka_unit_test(loads_the_shipped_examples),
        cmocka_unit_test(refuses_bad_mappings),
        cmocka_unit_test(applies_a_review_mapping),
        cmocka_unit_test(names_field_and_column_in_errors),
        cmocka_unit_test(binds_or_names_the_missing_column),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
