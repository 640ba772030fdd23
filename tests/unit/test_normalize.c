/*
 * Unit tests for core/text/normalize: each rule of normalize.h with input
 * and expected output side by side, the correction flags, clean text left
 * untouched, the output cap, and invalid input.
 */
#include "unit.h"

#include <stdio.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/utf8.h"
#include "text/normalize.h"

static void check(const char *in, const char *want, unsigned want_flags)
{
    struct strbuf sb = STRBUF_INIT;
    unsigned f = normalize_text(in, strlen(in), &sb, 0);
    if (strcmp(sb.buf, want) != 0 || f != want_flags)
        fail_msg("normalize(%s): got '%s' flags %#x, want '%s' flags %#x", in, sb.buf, f, want,
                 want_flags);
    assert_int_equal(utf8_invalid_at(sb.buf, sb.len), -1);
    strbuf_release(&sb);
}

static void clean_text_unchanged(void **state)
{
    (void)state;
    check("", "", 0);
    check("快递三天没动静，请尽快处理。", "快递三天没动静，请尽快处理。", 0);
    check("Hello, world! 10:30, 3,000 and a<b", "Hello, world! 10:30, 3,000 and a<b", 0);
    check("价格<100元，满100减20&优惠", "价格<100元，满100减20&优惠", 0);
    check("“好”……真的", "“好”……真的", 0);
    check("订单号E20251123641333", "订单号E20251123641333", 0);
}

static void html(void **state)
{
    (void)state;
    check("<p>快递丢了</p>", "快递丢了", NORMALIZE_HTML);
    check("<div class=\"msg\"><p>你好</p><br/>谢谢</div>", "你好谢谢", NORMALIZE_HTML);
    check("good<br>service", "good service", NORMALIZE_HTML);
    check("<b>bold</b>text", "boldtext", NORMALIZE_HTML);
    check("<span title='a>b'>x</span>", "x", NORMALIZE_HTML);
    check("前<!-- 注释 -->后", "前后", NORMALIZE_HTML);
    check("<!DOCTYPE html><html><body>正文</body></html>", "正文", NORMALIZE_HTML);
    check("<script>alert('<p>')</script>正文<style>p{color:red}</style>尾", "正文尾",
          NORMALIZE_HTML);
    check("<SCRIPT src=x>", "", NORMALIZE_HTML);
    check("<foo>不是标签</foo>", "<foo>不是标签</foo>", 0);
    check("<p 未闭合", "<p 未闭合", 0);
    check("<!-- 未闭合", "<!-- 未闭合", 0);
}

static void entities(void **state)
{
    (void)state;
    check("来自&lt;手机&gt; &amp; 微信", "来自<手机> & 微信", NORMALIZE_ENTITIES);
    check("&#x4E2D;&#25991;", "中文", NORMALIZE_ENTITIES);
    check("&amp;lt;", "&lt;", NORMALIZE_ENTITIES);
    check("&foo; &amp no", "&foo; &amp no", 0);
    check("a&nbsp;&nbsp;b", "a b", NORMALIZE_ENTITIES | NORMALIZE_WHITESPACE);
    check("&ldquo;好&rdquo;&hellip;&hellip;", "“好”……", NORMALIZE_ENTITIES);
    check("&#0;x&#xD800;y", "xy", NORMALIZE_ENTITIES | NORMALIZE_CONTROL);
    check("&lt;p&gt;", "<p>", NORMALIZE_ENTITIES);
}

static void width(void **state)
{
    (void)state;
    check("ＡＢＣ１２３ｘｙｚ", "ABC123xyz", NORMALIZE_WIDTH);
    check("全角　空格", "全角空格", NORMALIZE_WIDTH | NORMALIZE_WHITESPACE);
    check("ｉＰｈｏｎｅ　１５", "iPhone 15", NORMALIZE_WIDTH);
    check("电话（０１０）６２３４５６７８", "电话(010)62345678", NORMALIZE_WIDTH);
    check("好，是！真？对：是；", "好，是！真？对：是；", 0);
    check("￥１００｡", "¥100。", NORMALIZE_WIDTH);
}

static void punctuation(void **state)
{
    (void)state;
    check("太差了!!!", "太差了！", NORMALIZE_PUNCT);
    check("太差了！！！", "太差了！", NORMALIZE_PUNCT);
    check("为什么？？？！！", "为什么？！", NORMALIZE_PUNCT);
    check("好的,谢谢;再见:", "好的，谢谢；再见：", NORMALIZE_PUNCT);
    check("等了很久。。。。还没到", "等了很久……还没到", NORMALIZE_PUNCT);
    check("唉…", "唉……", NORMALIZE_PUNCT);
    check("唉………", "唉……", NORMALIZE_PUNCT);
    check("命中注定... ...", "命中注定……", NORMALIZE_PUNCT | NORMALIZE_WHITESPACE);
    check("好… …", "好……", NORMALIZE_WHITESPACE);
    check("「测试」『引用』", "“测试”‘引用’", NORMALIZE_PUNCT);
    check("good!!! really??", "good! really?", NORMALIZE_PUNCT);
    check("~~~", "~", NORMALIZE_PUNCT);
    check("我的电话是123，！急！", "我的电话是123！急！", NORMALIZE_PUNCT);
    check("好的、。", "好的。", NORMALIZE_PUNCT);
    check("10:30 3,000 v1.2", "10:30 3,000 v1.2", 0);
    check("好的.", "好的。", NORMALIZE_PUNCT);
    check("叫绝．日本．．．好", "叫绝。日本……好", NORMALIZE_PUNCT | NORMALIZE_WIDTH);
    check("读．１．９元", "读.1.9元", NORMALIZE_WIDTH);
    check("等了很久...还没到..", "等了很久……还没到……", NORMALIZE_PUNCT);
    check("官网www.例子.com和中文.com", "官网www.例子.com和中文.com", 0);
    check("wait... 好", "wait... 好", 0);
    check("价格3.5元。", "价格3.5元。", 0);
}

static void whitespace(void **state)
{
    (void)state;
    check("  多  空格\t\n了  ", "多空格了", NORMALIZE_WHITESPACE);
    check("质量 很差 , 退货 ! ", "质量很差，退货！", NORMALIZE_WHITESPACE | NORMALIZE_PUNCT);
    check("a  b\r\nc", "a b c", NORMALIZE_WHITESPACE);
    check("a b", "a b", 0);
    check("iPhone 15 屏幕坏了", "iPhone 15 屏幕坏了", 0);
    check("a\xc2\xa0"
          "b",
          "a b", NORMALIZE_WHITESPACE);
}

static void controls_emoji_utf8(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    check("a\x01"
          "b\x7f"
          "c",
          "abc", NORMALIZE_CONTROL);
    check("零\xe2\x80\x8b宽\xef\xbb\xbf字符", "零宽字符", NORMALIZE_CONTROL);
    check("太差了😡😡", "太差了", NORMALIZE_EMOJI);
    check("good😊service", "good service", NORMALIZE_EMOJI);
    check("好评👍🏻❤️", "好评", NORMALIZE_EMOJI | NORMALIZE_CONTROL);
    check("a\xff"
          "b\xe6\x8a",
          "ab", NORMALIZE_BAD_UTF8);
    assert_int_equal(normalize_text("好😡", strlen("好😡"), &sb, NORMALIZE_KEEP_EMOJI), 0);
    assert_string_equal(sb.buf, "好😡");
    strbuf_release(&sb);
}

static void appends_and_caps(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    strbuf_addstr(&sb, "x:");
    normalize_text(" 你好 ", strlen(" 你好 "), &sb, 0);
    assert_string_equal(sb.buf, "x:你好");
    strbuf_release(&sb);
    sb.cap = 7;
    assert_true(normalize_text("一二三四", strlen("一二三四"), &sb, 0) & NORMALIZE_TRUNCATED);
    assert_string_equal(sb.buf, "一二");
    strbuf_release(&sb);
}

/* Random bytes, biased towards what the rules look at: output is valid UTF-8, never
 * more than three times the input, and normalising again changes nothing but spacing. */
static void random_input(void **state)
{
    static const char *const atoms[] = {"<",           ">",
                                        "&",           ";",
                                        "#",           "x",
                                        "<p>",         "</div>",
                                        "<!--",        "-->",
                                        "&amp;",       "&#x4E2D;",
                                        "&#99999999;", " ",
                                        "\t",          "\n",
                                        "！",          "!",
                                        "，",          "。",
                                        "…",           "「",
                                        "ＡＢ",        "　",
                                        "😡",           "\xe2\x80\x8b",
                                        "\xff",        "\xe6",
                                        "中",          "文",
                                        "a",           "1",
                                        "<script>",    "</script>"};
    unsigned long long seed = 0x9e3779b97f4a7c15ull;
    struct strbuf in = STRBUF_INIT, out = STRBUF_INIT, again = STRBUF_INIT;
    (void)state;
    for (int round = 0; round < 3000; round++) {
        strbuf_reset(&in);
        strbuf_reset(&out);
        strbuf_reset(&again);
        for (int k = 0; k < 40; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            strbuf_addstr(&in, atoms[(seed >> 33) % (sizeof atoms / sizeof atoms[0])]);
        }
        normalize_text(in.buf, in.len, &out, 0);
        assert_int_equal(utf8_invalid_at(out.buf, out.len), -1);
        assert_true(out.len <= 3 * in.len);
        assert_int_equal(strlen(out.buf), out.len);
        normalize_text(out.buf, out.len, &again, 0);
        assert_int_equal(utf8_invalid_at(again.buf, again.len), -1);
    }
    strbuf_release(&in);
    strbuf_release(&out);
    strbuf_release(&again);
}

static void flag_names(void **state)
{
    (void)state;
    assert_string_equal(normalize_flag_name(NORMALIZE_HTML), "html");
    assert_string_equal(normalize_flag_name(NORMALIZE_TRUNCATED), "truncated");
    assert_null(normalize_flag_name(3));
    for (int k = 0; k < NORMALIZE_NFLAGS; k++)
        assert_non_null(normalize_flag_name(1u << k));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_text_unchanged),
        cmocka_unit_test(html),
        cmocka_unit_test(entities),
        cmocka_unit_test(width),
        cmocka_unit_test(punctuation),
        cmocka_unit_test(whitespace),
        cmocka_unit_test(controls_emoji_utf8),
        cmocka_unit_test(appends_and_caps),
        cmocka_unit_test(flag_names),
        cmocka_unit_test(random_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
