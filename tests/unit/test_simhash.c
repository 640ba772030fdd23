/*
 * Unit tests for core/text/simhash: near and far pairs of Chinese
 * complaints, the distance, stability, and the exact-duplicate key.
 */
#include "unit.h"

#include <string.h>

#include "text/simhash.h"

static uint64_t H(const char *s)
{
    return simhash_compute(s, strlen(s));
}

static int D(const char *a, const char *b)
{
    return simhash_distance(H(a), H(b));
}

static const char *const base = "在上海浦东店排队等了3个多小时，只开一个窗口，工作人员态度也很差，"
                                "之前一直很满意，这次体验比较差。";

static void near_pairs(void **state)
{
    (void)state;
    assert_int_equal(D(base, base), 0);
    /* punctuation, spaces and case do not count */
    assert_int_equal(D(base,
                       "在上海浦东店 排队等了3个多小时 只开一个窗口！工作人员态度也很差；之前一直"
                       "很满意，这次体验比较差……"),
                     0);
    assert_int_equal(D("APP闪退无法登录", "app闪退无法登录"), 0);
    /* a prefix and a changed ending, as customers write a second time */
    assert_in_range(D(base,
                      "再次反映：在上海浦东店排队等了3个多小时，只开一个窗口，工作人员态度也很差，"
                      "之前一直很满意，这次体验比较差，到底什么时候处理？"),
                    0, SIMHASH_NEAR);
    /* one word changed */
    assert_in_range(D(base,
                      "在上海静安店排队等了3个多小时，只开一个窗口，工作人员态度也很差，之前一直很"
                      "满意，这次体验比较差。"),
                    0, SIMHASH_NEAR);
}

static void far_pairs(void **state)
{
    static const char *const texts[] = {
        "快递三天没有更新物流信息，打电话给快递员也不接，包裹到底去哪里了？",
        "信用卡出现一笔2000元的陌生交易，怀疑被盗刷，冻结卡片也很慢。",
        "办了5G畅享套餐之后网速特别慢，看视频一直卡，地铁里完全没信号。",
        "外卖送到时饭菜全凉了，汤也洒了一半，商家还不给退款。",
        "酒店房间有很重的烟味和霉味，空调也坏了，前台说没有别的房间。",
        "扫地机器人用了两周就报故障码E21，售后让我自己寄回去检测。",
    };
    (void)state;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        assert_true(D(base, texts[i]) > SIMHASH_NEAR);
        for (size_t j = i + 1; j < sizeof texts / sizeof texts[0]; j++)
            assert_true(D(texts[i], texts[j]) > SIMHASH_NEAR);
    }
}

static void edge_cases(void **state)
{
    (void)state;
    assert_true(H("") == 0);
    assert_true(H("，。！ ") == 0);
    assert_true(H("好") != 0);
    assert_true(H("好") != H("差"));
    assert_true(H("很好") != H("很差"));
    assert_int_equal(simhash_distance(0, ~0ull), 64);
    assert_int_equal(simhash_distance(5, 4), 1);
    /* a long text passes the 255-shingle drain without losing counts */
    char buf[4096] = "";
    for (int i = 0; i < 20; i++)
        strncat(buf, base, sizeof buf - strlen(buf) - 1);
    assert_in_range(D(buf, base), 0, SIMHASH_NEAR);
}

static void exact_key(void **state)
{
    const char *a = "快递丢了！请尽快处理。";
    (void)state;
    assert_true(simhash_exact_key(a, strlen(a)) ==
                simhash_exact_key("快递丢了 请尽快处理", strlen("快递丢了 请尽快处理")));
    assert_true(simhash_exact_key("APP", 3) == simhash_exact_key("app", 3));
    assert_true(
        simhash_exact_key(a, strlen(a)) !=
        simhash_exact_key("快递丢了！请尽快处理！！谢谢", strlen("快递丢了！请尽快处理！！谢谢")));
    assert_true(simhash_exact_key("ab", 2) != simhash_exact_key("ba", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(near_pairs),
        cmocka_unit_test(far_pairs),
        cmocka_unit_test(edge_cases),
        cmocka_unit_test(exact_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
