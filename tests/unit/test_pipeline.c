/* Unit tests for intake/pipeline: masking, the sealed originals, clean_text, fingerprints. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "intake/pipeline.h"

static char dir[64], keyfile[128];

static int setup(void **state)
{
    struct pipeline *p;
    struct kerr e;
    assert_true(sodium_init() >= 0);
    snprintf(dir, sizeof dir, "/tmp/kesu-pipe-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(keyfile, sizeof keyfile, "%s/field.key", dir);
    if (pipeline_open(keyfile, &p, &e) < 0)
        fail_msg("pipeline_open: %s", e.message);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    pipeline_free(*state);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static void make(struct record *r, const char *text)
{
    struct kerr e;
    record_init(r);
    r->channel = xstrdup("web");
    r->text = xstrdup(text);
    assert_int_equal(record_validate(r, clock_now_ms(), &e), 0);
}

static void masks_and_reveals(void **state)
{
    struct record r;
    struct strbuf out = STRBUF_INIT;
    struct kerr e;
    const char *text =
        "我是王小明，电话13812345678，身份证11010519491231002X，卡号6222021234567890128，"
        "邮件wxm@example.cn，订单E20251123641333。";
    make(&r, text);
    r.customer_name = xstrdup("王小明");
    r.phone = xstrdup("13812345678");
    r.title = xstrdup("王小明的投诉");
    assert_int_equal(pipeline_clean(*state, &r, &e), 0);
    assert_null(strstr(r.text, "13812345678"));
    assert_null(strstr(r.text, "11010519491231002X"));
    assert_null(strstr(r.text, "6222021234567890128"));
    assert_null(strstr(r.text, "王小明"));
    assert_non_null(strstr(r.text, "138****5678"));
    assert_non_null(strstr(r.text, "E20251123641333")); /* an order number is not personal */
    assert_string_equal(r.phone, "138****5678");
    assert_null(strstr(r.title, "王小明"));
    assert_non_null(r.pii_vault);
    assert_null(strstr(r.pii_vault, "138"));
    assert_true(r.quality & QUALITY_PII);
    assert_true(r.quality & QUALITY_CLEANED);

    assert_int_equal(pipeline_reveal(*state, &r, &out, &e), 0);
    cJSON *v = cJSON_Parse(out.buf);
    assert_non_null(v);
    assert_string_equal(cJSON_GetObjectItem(v, "text")->valuestring, text);
    assert_string_equal(cJSON_GetObjectItem(v, "phone")->valuestring, "13812345678");
    assert_string_equal(cJSON_GetObjectItem(v, "customer_name")->valuestring, "王小明");
    assert_string_equal(cJSON_GetObjectItem(v, "title")->valuestring, "王小明的投诉");
    cJSON_Delete(v);

    /* a vault moved to another record's text does not fit, or does not open */
    free(r.text);
    r.text = xstrdup("短");
    strbuf_reset(&out);
    assert_true(pipeline_reveal(*state, &r, &out, &e) < 0);
    strbuf_release(&out);
    record_release(&r);
}

static void clean_text_only_when_it_differs(void **state)
{
    struct record a, b;
    struct kerr e;
    make(&a, "快递三天没到，客服也联系不上，要求退款。");
    assert_int_equal(pipeline_clean(*state, &a, &e), 0);
    assert_null(a.clean_text);
    assert_null(a.pii_vault);
    assert_true(a.simhash != 0);
    assert_true(a.dup_key != 0);
    make(&b, "<p>快遞三天沒到，客服也聯繫不上，要求退款！！！</p>");
    assert_int_equal(pipeline_clean(*state, &b, &e), 0);
    assert_non_null(b.clean_text);
    assert_null(strstr(b.clean_text, "<p>"));
    assert_non_null(strstr(b.clean_text, "快递三天没到"));
    assert_true(b.quality & QUALITY_T2S);
    assert_true(b.quality & 1); /* html */
    /* the same complaint in two scripts and markups: near in fingerprint */
    assert_true(__builtin_popcountll((uint64_t)(a.simhash ^ b.simhash)) <= 12);
    record_release(&a);
    record_release(&b);
}

static void short_texts_get_no_simhash(void **state)
{
    struct record r;
    struct kerr e;
    make(&r, "太差了");
    assert_int_equal(pipeline_clean(*state, &r, &e), 0);
    assert_int_equal(r.simhash, 0);
    assert_true(r.dup_key != 0);
    record_release(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(masks_and_reveals),
        cmocka_unit_test(clean_text_only_when_it_differs),
        cmocka_unit_test(short_texts_get_no_simhash),
    };
    clock_set_zone("Asia/Shanghai");
    return cmocka_run_group_tests(tests, setup, teardown);
}
