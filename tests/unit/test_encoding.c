/*
 * Unit tests for core/intake/encoding: detection (BOMs, UTF-8, GBK against
 * Big5 on the committed fixtures and on short texts) and streaming
 * conversion (output read through buffers of many sizes, invalid bytes
 * replaced and counted, a long input through the 64 KiB buffers).
 * Run from the repository root (fixtures under tests/fixtures/import).
 */
#include "unit.h"

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "intake/encoding.h"

#define FIXTURES "tests/fixtures/import/"

static const char sample[] = "订单号,评价内容\r\nTB1001,物流很快，包装完好，客服态度也不错\r\n";
static const char sample_t[] = "訂單號,評價內容\r\nTB1001,物流很快，包裝完好，客服態度也不錯\r\n";

/* Converts UTF-8 text to `to` with iconv, into out (caller frees). */
static char *encode(const char *text, const char *to, size_t *outlen)
{
    iconv_t cd = iconv_open(to, "UTF-8");
    size_t inleft = strlen(text), cap = inleft * 4 + 16, outleft = cap;
    char *out = malloc(cap), *op = out, *ip = (char *)text;
    assert_true(cd != (iconv_t)-1);
    assert_true(iconv(cd, &ip, &inleft, &op, &outleft) != (size_t)-1);
    iconv_close(cd);
    *outlen = cap - outleft;
    return out;
}

/* Reads everything an enc_reader gives, `step` bytes at most per call. */
static char *convert(const char *buf, size_t len, enum encoding e, size_t step,
                     enum encoding *found, long *replaced)
{
    FILE *f = fmemopen((void *)buf, len, "rb");
    struct strbuf sb = STRBUF_INIT;
    struct kerr err;
    struct enc_reader *r = enc_reader_new(f, e, &err);
    char tmp[4096];
    long got;
    assert_non_null(r);
    while ((got = enc_reader_read(r, tmp, step)) > 0)
        strbuf_add(&sb, tmp, (size_t)got);
    assert_int_equal(got, 0);
    *found = enc_reader_encoding(r);
    *replaced = enc_reader_replaced(r);
    enc_reader_free(r);
    fclose(f);
    return strbuf_detach(&sb, NULL);
}

static void parses_names(void **state)
{
    enum encoding e;
    (void)state;
    assert_int_equal(encoding_parse("GBK", &e), 0);
    assert_int_equal(e, ENC_GB18030);
    assert_int_equal(encoding_parse("big5", &e), 0);
    assert_int_equal(e, ENC_BIG5);
    assert_int_equal(encoding_parse("utf-8", &e), 0);
    assert_int_equal(e, ENC_UTF8);
    assert_int_equal(encoding_parse("auto", &e), 0);
    assert_int_equal(e, ENC_AUTO);
    assert_int_equal(encoding_parse("latin1", &e), KERR_INVALID);
}

static void detects_boms_and_utf8(void **state)
{
    (void)state;
    assert_int_equal(encoding_detect("\xEF\xBB\xBF"
                                     "a,b",
                                     6),
                     ENC_UTF8);
    assert_int_equal(encoding_detect("\xFF\xFE"
                                     "a\0",
                                     4),
                     ENC_UTF16LE);
    assert_int_equal(encoding_detect(sample, strlen(sample)), ENC_UTF8);
    assert_int_equal(encoding_detect("plain,ascii\n", 12), ENC_UTF8);
    /* a UTF-8 character cut off by the end of the prefix is still UTF-8 */
    assert_int_equal(encoding_detect(sample, 4), ENC_UTF8);
}

static void detects_gbk_and_big5(void **state)
{
    size_t n;
    char *gbk = encode(sample, "GBK", &n);
    (void)state;
    assert_int_equal(encoding_detect(gbk, n), ENC_GB18030);
    free(gbk);
    char *big5 = encode(sample_t, "BIG5", &n);
    assert_int_equal(encoding_detect(big5, n), ENC_BIG5);
    free(big5);
    /* traditional text saved as GB18030 is still GB18030 */
    char *gbt = encode(sample_t, "GB18030", &n);
    assert_int_equal(encoding_detect(gbt, n), ENC_GB18030);
    free(gbt);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct strbuf sb = STRBUF_INIT;
    char tmp[4096];
    size_t got;
    assert_non_null(f);
    while ((got = fread(tmp, 1, sizeof(tmp), f)) > 0)
        strbuf_add(&sb, tmp, got);
    fclose(f);
    return strbuf_detach(&sb, len);
}

static void converts_the_fixtures(void **state)
{
    static const size_t steps[] = {4, 5, 7, 64, 4096};
    size_t len;
    long bad;
    enum encoding found;
    (void)state;
    char *gbk = slurp(FIXTURES "reviews_gbk.csv", &len);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        char *out = convert(gbk, len, ENC_AUTO, steps[i], &found, &bad);
        assert_int_equal(found, ENC_GB18030);
        assert_int_equal(bad, 0);
        assert_non_null(strstr(out, "订单号,买家昵称,评价时间"));
        assert_non_null(strstr(out, "收到就是坏的，客服不理人"));
        free(out);
    }
    free(gbk);
    char *big5 = slurp(FIXTURES "hotline_big5.csv", &len);
    char *out = convert(big5, len, ENC_AUTO, 4096, &found, &bad);
    assert_int_equal(found, ENC_BIG5);
    assert_non_null(strstr(out, "熱水器漏水，師傅一直沒來"));
    free(out);
    free(big5);
}

static void strips_bom_and_reads_utf16(void **state)
{
    size_t n;
    long bad;
    enum encoding found;
    char *u16 = encode(sample, "UTF-16LE", &n);
    char *with_bom = malloc(n + 2);
    (void)state;
    memcpy(with_bom, "\xFF\xFE", 2);
    memcpy(with_bom + 2, u16, n);
    char *out = convert(with_bom, n + 2, ENC_AUTO, 5, &found, &bad);
    assert_int_equal(found, ENC_UTF16LE);
    assert_string_equal(out, sample);
    free(out);
    free(with_bom);
    free(u16);
    out = convert("\xEF\xBB\xBF"
                  "a,b\n",
                  7, ENC_AUTO, 64, &found, &bad);
    assert_string_equal(out, "a,b\n");
    free(out);
}

static void replaces_invalid_bytes(void **state)
{
    size_t n;
    long bad;
    enum encoding found;
    char *gbk = encode("好评", "GBK", &n);
    char buf[16];
    (void)state;
    /* 0x80 alone is not GBK; the lead byte at the end lacks its trail byte */
    memcpy(buf, gbk, n);
    buf[n] = (char)0x80;
    buf[n + 1] = 'x';
    buf[n + 2] = (char)0xBA;
    char *out = convert(buf, n + 3, ENC_GB18030, 64, &found, &bad);
    assert_string_equal(out, "好评\xEF\xBF\xBDx\xEF\xBF\xBD");
    assert_int_equal(bad, 2);
    free(out);
    free(gbk);
}

static void converts_long_input_in_bounded_buffers(void **state)
{
    struct strbuf text = STRBUF_INIT;
    size_t n;
    long bad;
    enum encoding found;
    (void)state;
    for (int i = 0; i < 20000; i++)
        strbuf_addf(&text, "%d,客户投诉第%d条：物流太慢了\n", i, i);
    char *gbk = encode(text.buf, "GBK", &n);
    assert_true(n > 3 * 65536);
    char *out = convert(gbk, n, ENC_AUTO, 4093, &found, &bad);
    assert_int_equal(found, ENC_GB18030);
    assert_int_equal(bad, 0);
    assert_string_equal(out, text.buf);
    free(out);
    free(gbk);
    strbuf_release(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_names),
        cmocka_unit_test(detects_boms_and_utf8),
        cmocka_unit_test(detects_gbk_and_big5),
        cmocka_unit_test(converts_the_fixtures),
        cmocka_unit_test(strips_bom_and_reads_utf16),
        cmocka_unit_test(replaces_invalid_bytes),
        cmocka_unit_test(converts_long_input_in_bounded_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
