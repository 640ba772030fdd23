/* Unit tests of the e-mail MIME building in insight/notify.c: base64 lines (RFC 2045),
 * encoded words (RFC 2047) folded on whole characters, file-name parameters (RFC 2231), and a
 * report mail with an attachment whose decoded bytes are the file's. Expected encodings were
 * computed with Python's base64 and urllib.parse.quote. */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "base/strbuf.h"
#include "insight/notify.h"

/* Decodes base64 text that may hold CRLFs; returns the length, or -1. */
static long unbase64(const char *b64, size_t len, unsigned char *out, size_t max)
{
    size_t n = 0;
    if (sodium_base642bin(out, max, b64, len, "\r\n", &n, NULL, sodium_base64_VARIANT_ORIGINAL))
        return -1;
    return (long)n;
}

static void base64_lines_are_76_with_crlf(void **state)
{
    unsigned char data[200], back[200];
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    for (int i = 0; i < 200; i++)
        data[i] = (unsigned char)(i * 37 + 11);
    notify_mime_base64(&sb, data, 0);
    assert_int_equal(sb.len, 0);
    notify_mime_base64(&sb, data, 57);
    assert_int_equal(sb.len, 78); /* one full line */
    assert_memory_equal(sb.buf + 76, "\r\n", 2);
    strbuf_reset(&sb);
    notify_mime_base64(&sb, data, 200);
    for (const char *p = sb.buf; *p;) {
        const char *nl = strstr(p, "\r\n");
        assert_non_null(nl);
        assert_true(nl - p <= 76);
        p = nl + 2;
    }
    assert_int_equal(unbase64(sb.buf, sb.len, back, sizeof back), 200);
    assert_memory_equal(back, data, 200);
    strbuf_release(&sb);
}

static void encoded_words_keep_whole_characters(void **state)
{
    struct strbuf sb = STRBUF_INIT, whole = STRBUF_INIT;
    unsigned char buf[128];
    (void)state;
    notify_mime_encode_header(&sb, "客诉质量周报-2026-10-05.html");
    assert_string_equal(sb.buf, "=?UTF-8?B?5a6i6K+J6LSo6YeP5ZGo5oqlLTIwMjYtMTAtMDUuaHRtbA==?=");
    strbuf_reset(&sb);
    /* 40 three-byte characters: 120 bytes, three words of at most 45 bytes, folded */
    for (int i = 0; i < 40; i++)
        strbuf_addstr(&whole, "报");
    notify_mime_encode_header(&sb, whole.buf);
    struct strbuf joined = STRBUF_INIT;
    int words = 0;
    for (char *p = sb.buf; (p = strstr(p, "=?UTF-8?B?"));) {
        char *end = strstr(p + 10, "?=");
        assert_non_null(end);
        assert_true(end + 2 - p <= 75); /* RFC 2047's limit on a word */
        long n = unbase64(p + 10, (size_t)(end - p - 10), buf, sizeof buf);
        assert_true(n > 0 && n % 3 == 0); /* whole characters only */
        strbuf_add(&joined, buf, (size_t)n);
        words++;
        p = end + 2;
        if (*p)
            assert_memory_equal(p, "\r\n ", 3); /* folded */
    }
    assert_int_equal(words, 3);
    assert_string_equal(joined.buf, whole.buf);
    strbuf_release(&sb);
    strbuf_release(&whole);
    strbuf_release(&joined);
}

static void file_name_parameters(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    notify_mime_param(&sb, "filename", "kesu-week-2026-10-05.xlsx", false);
    assert_string_equal(sb.buf, ";\r\n filename=\"kesu-week-2026-10-05.xlsx\"");
    strbuf_reset(&sb);
    notify_mime_param(&sb, "filename", "客诉质量周报-2026-10-05.html", false);
    assert_string_equal(sb.buf, ";\r\n filename*=UTF-8''%E5%AE%A2%E8%AF%89%E8%B4%A8%E9%87%8F%E5%91"
                                "%A8%E6%8A%A5-2026-10-05.html");
    strbuf_reset(&sb);
    /* quotes and spaces are not left in a parameter as they are */
    notify_mime_param(&sb, "filename", "a \"b\".txt", false);
    assert_string_equal(sb.buf, ";\r\n filename*=UTF-8''a%20%22b%22.txt");
    strbuf_reset(&sb);
    notify_mime_param(&sb, "name", "a \"b\".txt", true);
    assert_string_equal(sb.buf, ";\r\n name=\"=?UTF-8?B?YSAiYiIudHh0?=\"");
    strbuf_release(&sb);
}

static void report_mail_carries_the_file(void **state)
{
    struct notify_target mail = {"email", "smtp://127.0.0.1:25", NULL,
                                 "{\"from\":\"kesu@x.cn\",\"to\":[\"q@x.cn\"]}"};
    unsigned char file[3000], back[3000];
    struct notify_attachment att = {"客诉质量周报-2026-10-05.xlsx",
                                    "application/vnd.openxmlformats-officedocument."
                                    "spreadsheetml.sheet",
                                    file, sizeof file};
    struct notify_msg m = {.title = "【kesu 报表】客诉质量周报 2026-10-05 至 2026-10-11",
                           .text = "投诉量：10\n",
                           .html = "<p>投诉量：10</p>",
                           .attach = &att};
    struct strbuf out = STRBUF_INIT;
    char err[128];
    (void)state;
    for (size_t i = 0; i < sizeof file; i++)
        file[i] = (unsigned char)(i * 131 + 7);
    assert_int_equal(notify_mail(&mail, &m, 1700000000000LL, &out, err, sizeof err), 0);
    const char *mixed = strstr(out.buf, "Content-Type: multipart/mixed; boundary=\"");
    assert_non_null(mixed);
    char boundary[64];
    const char *b = mixed + strlen("Content-Type: multipart/mixed; boundary=\"");
    size_t blen = (size_t)(strchr(b, '"') - b);
    assert_true(blen < sizeof boundary - 3);
    snprintf(boundary, sizeof boundary, "--%.*s", (int)blen, b);
    /* the alternative body first, then the file, then the closing delimiter */
    const char *alt = strstr(out.buf, "Content-Type: multipart/alternative; boundary=\"");
    const char *part = strstr(out.buf, "Content-Disposition: attachment;\r\n filename*=UTF-8''");
    assert_non_null(alt);
    assert_non_null(part);
    assert_true(alt < part);
    assert_non_null(strstr(out.buf, "name=\"=?UTF-8?B?"));
    const char *body = strstr(part, "\r\n\r\n") + 4;
    const char *end = strstr(body, boundary);
    assert_non_null(end);
    assert_string_equal(end + strlen(boundary), "--\r\n");
    assert_int_equal(unbase64(body, (size_t)(end - body), back, sizeof back), (long)sizeof file);
    assert_memory_equal(back, file, sizeof file);
    /* the subject is encoded; no raw non-ASCII byte anywhere in the message */
    assert_non_null(strstr(out.buf, "Subject: =?UTF-8?B?"));
    for (size_t i = 0; i < out.len; i++)
        assert_true((unsigned char)out.buf[i] < 0x80);
    strbuf_release(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base64_lines_are_76_with_crlf),
        cmocka_unit_test(encoded_words_keep_whole_characters),
        cmocka_unit_test(file_name_parameters),
        cmocka_unit_test(report_mail_carries_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
