/* Unit tests for core/base: strbuf, utf8, jsonw, clock, json. */
#include "unit.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/utf8.h"

static void strbuf_grows_and_caps(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    for (int i = 0; i < 1000; i++)
        assert_true(strbuf_addf(&sb, "%d,", i));
    assert_int_equal(sb.len, strlen(sb.buf));
    strbuf_release(&sb);
    sb.cap = 4;
    assert_true(strbuf_addstr(&sb, "abcd"));
    assert_false(strbuf_addch(&sb, 'e'));
    assert_true(sb.overflow);
    assert_string_equal(sb.buf, "abcd");
    strbuf_release(&sb);
}

static void strbuf_escapes_html(void **state)
{
    (void)state;
    struct strbuf sb = STRBUF_INIT;
    assert_true(strbuf_addhtml(&sb, "<a href=\"x\">Tom & 'J'</a> 退款"));
    assert_string_equal(sb.buf, "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;J&#39;&lt;/a&gt; 退款");
    strbuf_reset(&sb);
    assert_true(strbuf_addhtml(&sb, NULL));
    assert_true(strbuf_addhtmln(&sb, "a<b>c", 2));
    assert_true(strbuf_addhtml(&sb, "plain"));
    assert_string_equal(sb.buf, "a&lt;plain");
    strbuf_release(&sb);
}

static void utf8_rejects_bad_sequences(void **state)
{
    (void)state;
    assert_int_equal(utf8_invalid_at("abc", 3), -1);
    assert_int_equal(utf8_invalid_at("投诉", strlen("投诉")), -1);
    assert_int_equal(utf8_invalid_at("a\xff", 2), 1);
    assert_int_equal(utf8_invalid_at("\xc0\xaf", 2), 0);     /* overlong */
    assert_int_equal(utf8_invalid_at("\xed\xa0\x80", 3), 0); /* surrogate */
    assert_int_equal(utf8_invalid_at("\xe6\x8a", 2), 0);     /* truncated */
    /* inside a run of three-byte characters (the run loop), at each kind of fault */
    assert_int_equal(utf8_invalid_at("投诉\xed\xa0\x80投", 12), 6);            /* surrogate */
    assert_int_equal(utf8_invalid_at("投诉\xe0\x80\x80投", 12), 6);            /* overlong */
    assert_int_equal(utf8_invalid_at("投诉\xe6\x8a投", 11), 6);                /* cut short */
    assert_int_equal(utf8_invalid_at("投诉\xe6\x8a", 8), 6);                   /* cut at the end */
    assert_int_equal(utf8_invalid_at("投诉\xef\xbc\x81\xed\x9f\xbf", 12), -1); /* ！ U+D7FF */
    assert_int_equal(utf8_count("投诉ab", strlen("投诉ab")), 4);
}

static void jsonw_nests_and_escapes(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    (void)state;
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kstr(&w, "a", "x\"y\n\x01");
    jsonw_key(&w, "b");
    jsonw_arr(&w);
    jsonw_int(&w, 1);
    jsonw_double(&w, 2.5);
    jsonw_null(&w);
    jsonw_end(&w);
    jsonw_kbool(&w, "c", true);
    jsonw_end(&w);
    assert_string_equal(sb.buf, "{\"a\":\"x\\\"y\\n\\u0001\",\"b\":[1,2.5,null],\"c\":true}");
    strbuf_release(&sb);
}

/* The escaper's eight-byte skip: every special byte at every position of strings of many
 * lengths gives what a byte-at-a-time reference gives; integers at the extremes. */
static void json_escape_matches_reference(void **state)
{
    static const unsigned char specials[] = {'"', '\\', '\n', 0x01, 0x1f, 0x7f, 'a', 0xe6};
    (void)state;
    for (size_t len = 0; len < 40; len++)
        for (size_t pos = 0; pos < len || (len == 0 && pos == 0); pos++)
            for (size_t k = 0; k < sizeof specials; k++) {
                char in[40];
                struct strbuf got = STRBUF_INIT, want = STRBUF_INIT;
                for (size_t i = 0; i < len; i++)
                    in[i] = (char)('A' + i % 26);
                if (len)
                    in[pos] = (char)specials[k];
                json_escape(&got, in, len);
                strbuf_addch(&want, '"');
                for (size_t i = 0; i < len; i++) {
                    unsigned char c = (unsigned char)in[i];
                    if (c == '"' || c == '\\')
                        strbuf_addf(&want, "\\%c", c);
                    else if (c == '\n')
                        strbuf_addstr(&want, "\\n");
                    else if (c < 0x20 || c == 0x7f)
                        strbuf_addf(&want, "\\u%04x", c);
                    else
                        strbuf_addch(&want, (char)c);
                }
                strbuf_addch(&want, '"');
                assert_string_equal(got.buf, want.buf);
                strbuf_release(&got);
                strbuf_release(&want);
                if (len == 0)
                    break;
            }
    {
        struct strbuf sb = STRBUF_INIT;
        struct jsonw w;
        jsonw_init(&w, &sb);
        jsonw_arr(&w);
        jsonw_int(&w, 0);
        jsonw_int(&w, -7);
        jsonw_int(&w, INT64_MAX);
        jsonw_int(&w, INT64_MIN);
        jsonw_double(&w, -42.0);
        jsonw_end(&w);
        assert_string_equal(sb.buf, "[0,-7,9223372036854775807,-9223372036854775808,-42]");
        strbuf_release(&sb);
    }
}

static void clock_reads_what_exports_write(void **state)
{
    int64_t want, got;
    (void)state;
    assert_int_equal(clock_parse("2025-06-25T09:33:00+08:00", 25, &want), 0);
    const char *same[] = {
        "2025年6月25日 09:33", "2025年06月25日 9:33:00", "2025/6/25 09:33", "2025-6-25 9:33",
        "25-06-2025 09:33:00", "25/06/2025 09:33",       "2025.6.25 09:33", "1750815180",
        "1750815180000",       " 2025/6/25 09:33 "};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        got = 0;
        if (clock_parse_loose(same[i], strlen(same[i]), &got) != 0 || got != want)
            fail_msg("%s: got %lld, want %lld", same[i], (long long)got, (long long)want);
    }
    assert_int_equal(clock_parse_loose("2025年6月25日", strlen("2025年6月25日"), &got), 0);
    assert_int_equal(got, want - (9 * 60 + 33) * 60000LL);
    const char *bad[] = {
        "2025年13月1日", "31/02/2025",          "2025/6", "6/25/25", "12345", "2025-06-25 25:00",
        "yesterday",     "2025/06/25 09:33 PM", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (clock_parse_loose(bad[i], strlen(bad[i]), &got) == 0)
            fail_msg("%s was accepted", bad[i]);
}

static void clock_parses_and_formats(void **state)
{
    int64_t ms;
    char out[CLOCK_FMT_MAX];
    (void)state;
    assert_int_equal(clock_set_zone("Asia/Shanghai"), 0);
    assert_int_equal(clock_parse("2026-11-22T13:45:00+08:00", 25, &ms), 0);
    assert_string_equal(clock_format(ms, out), "2026-11-22T13:45:00+08:00");
    assert_int_equal(clock_parse("2026-11-22T05:45:00Z", 20, &ms), 0);
    assert_string_equal(clock_format(ms, out), "2026-11-22T13:45:00+08:00");
    assert_int_equal(clock_parse("2026-11-22 13:45:00.250", 23, &ms), 0);
    assert_string_equal(clock_format(ms, out), "2026-11-22T13:45:00.250+08:00");
    assert_int_equal(clock_parse("2026-11-22", 10, &ms), 0);
    assert_string_equal(clock_format(ms, out), "2026-11-22T00:00:00+08:00");
    /* the hand-written formatter agrees with localtime_r + snprintf, east and west of UTC */
    for (int zone = 0; zone < 2; zone++) {
        uint64_t x = 88172645463325252ULL;
        assert_int_equal(clock_set_zone(zone ? "America/New_York" : "Asia/Shanghai"), 0);
        for (int i = 0; i < 20000; i++) {
            char ref[64];
            struct tm tm;
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            int64_t v = (int64_t)(x % 8000000000000ULL) - 1000000000000LL; /* 1938..2223 */
            if (i % 3 == 0)
                v -= v % 1000; /* whole seconds */
            time_t sec = (time_t)(v >= 0 ? v / 1000 : (v - 999) / 1000);
            int frac = (int)(v - (int64_t)sec * 1000);
            localtime_r(&sec, &tm);
            long off = tm.tm_gmtoff / 60;
            char sign = off < 0 ? '-' : '+';
            off = off < 0 ? -off : off;
            char fs[8] = "";
            if (frac)
                snprintf(fs, sizeof fs, ".%03d", frac);
            snprintf(ref, sizeof ref, "%04d-%02d-%02dT%02d:%02d:%02d%s%c%02ld:%02ld",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     fs, sign, off / 60, off % 60);
            assert_string_equal(clock_format(v, out), ref);
        }
    }
    assert_int_equal(clock_set_zone("Asia/Shanghai"), 0);
    assert_int_equal(clock_parse("2026-02-30T00:00:00Z", 20, &ms), -1);
    assert_int_equal(clock_parse("2026-11-22T25:00:00Z", 20, &ms), -1);
    assert_int_equal(clock_parse("yesterday", 9, &ms), -1);
    assert_int_equal(clock_parse("2026-11-22T13:45:00+08:00x", 26, &ms), -1);
    assert_int_equal(clock_set_zone("No/Such_Zone"), -1);
}

static void json_checks_edges(void **state)
{
    struct kerr e;
    cJSON *j;
    char deep[64];
    (void)state;
    j = json_parse_checked("{\"a\":1}  ", 9, &e);
    assert_non_null(j);
    cJSON_Delete(j);
    assert_null(json_parse_checked("{\"a\":\"\xff\"}", 9, &e));
    assert_string_equal(e.code, "invalid_utf8");
    assert_null(json_parse_checked("{\"a\":1} x", 9, &e));
    assert_string_equal(e.code, "malformed_json");
    assert_null(json_parse_checked("{\"a\":", 5, &e));
    assert_string_equal(e.code, "malformed_json");
    memset(deep, '[', 40);
    memset(deep + 40, ']', 20);
    assert_null(json_parse_checked(deep, 60, &e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strbuf_grows_and_caps),
        cmocka_unit_test(strbuf_escapes_html),
        cmocka_unit_test(utf8_rejects_bad_sequences),
        cmocka_unit_test(jsonw_nests_and_escapes),
        cmocka_unit_test(json_escape_matches_reference),
        cmocka_unit_test(clock_parses_and_formats),
        cmocka_unit_test(json_checks_edges),
        cmocka_unit_test(clock_reads_what_exports_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
