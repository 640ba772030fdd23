/*
 * Unit tests for core/text/t2s: the traditional-only bitmap derived from
 * OpenCC (checked against characters known to be traditional-only, shared
 * or simplified), the precheck, conversion through the handle pool, and
 * several threads converting at once with fewer handles than threads.
 */
#include "unit.h"

#include <pthread.h>
#include <string.h>

#include "base/strbuf.h"
#include "text/t2s.h"

static struct t2s *T;

static int setup(void **state)
{
    struct kerr e;
    (void)state;
    if (t2s_new(NULL, 2, &T, &e) < 0) {
        print_error("t2s_new: %s\n", e.message);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    t2s_free(T);
    return 0;
}

static void bitmap(void **state)
{
    (void)state;
    /* OpenCC 1.1 ships about 4,100 traditional-only characters */
    assert_in_range(t2s_count(T), 3000, 8000);
    assert_true(t2s_is_traditional(T, 0x9019));  /* 這 */
    assert_true(t2s_is_traditional(T, 0x500B));  /* 個 */
    assert_true(t2s_is_traditional(T, 0x8A34));  /* 訴 */
    assert_false(t2s_is_traditional(T, 0x8FD9)); /* 这 */
    assert_false(t2s_is_traditional(T, 0x4E2A)); /* 个 */
    assert_false(t2s_is_traditional(T, 0x4E2D)); /* 中: both */
    assert_false(t2s_is_traditional(T, 0x8986)); /* 覆: both; only phrases change it */
    assert_true(t2s_is_traditional(T, 0x279A7)); /* 𧦧, plane 2 */
    assert_false(t2s_is_traditional(T, 'a'));
    assert_false(t2s_is_traditional(T, 0x1F600));
}

static void precheck(void **state)
{
    (void)state;
    assert_false(t2s_needed(T, "", 0));
    assert_false(t2s_needed(T, "hello", 5));
    assert_false(
        t2s_needed(T, "这个问题很严重，请尽快处理。", strlen("这个问题很严重，请尽快处理。")));
    assert_true(t2s_needed(T, "这个问题很嚴重", strlen("这个问题很嚴重")));
    assert_true(t2s_needed(T, "這", strlen("這")));
    assert_false(t2s_needed(T, "這", 2)); /* cut inside the character */
    assert_false(t2s_needed(T, "回覆一下", strlen("回覆一下")));
    assert_true(t2s_needed(T, "ab𧦧", strlen("ab𧦧")));
    assert_false(t2s_needed(T, "𠀀😀", strlen("𠀀😀")));
}

static void convert(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    const char *trad = "這個問題很嚴重，請儘快回覆。";
    const char *simp = "这个问题很严重，请尽快回复。";
    (void)state;
    assert_int_equal(t2s_convert(T, trad, strlen(trad), &sb, &e), 1);
    assert_string_equal(sb.buf, simp);
    strbuf_reset(&sb);
    assert_int_equal(t2s_convert(T, simp, strlen(simp), &sb, &e), 0);
    assert_string_equal(sb.buf, simp);
    strbuf_reset(&sb);
    strbuf_addstr(&sb, "x");
    assert_int_equal(t2s_convert(T, "訴", strlen("訴"), &sb, &e), 1);
    assert_string_equal(sb.buf, "x诉");
    strbuf_release(&sb);
}

static void *worker(void *arg)
{
    const char *trad = "客戶說貨物損壞，退款一直沒有到賬，態度很差。";
    const char *simp = "客户说货物损坏，退款一直没有到账，态度很差。";
    struct strbuf sb = STRBUF_INIT;
    long bad = 0;
    (void)arg;
    for (int i = 0; i < 300; i++) {
        strbuf_reset(&sb);
        if (t2s_convert(T, trad, strlen(trad), &sb, NULL) != 1 || strcmp(sb.buf, simp) != 0)
            bad++;
    }
    strbuf_release(&sb);
    return (void *)bad;
}

static void threads(void **state)
{
    pthread_t th[4];
    (void)state;
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, worker, NULL), 0);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        assert_int_equal((long)bad, 0);
    }
}

static void bad_config(void **state)
{
    struct t2s *t = (struct t2s *)1;
    struct kerr e;
    (void)state;
    assert_int_equal(t2s_new("/nonexistent/t2s.json", 1, &t, &e), KERR_IO);
    assert_null(t);
    assert_string_equal(e.code, "opencc_open");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bitmap),  cmocka_unit_test(precheck),   cmocka_unit_test(convert),
        cmocka_unit_test(threads), cmocka_unit_test(bad_config),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
