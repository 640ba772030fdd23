/*
 * Unit tests for core/intake/mail (with charset and html): each fixture
 * under tests/fixtures/mail/ (written by make_fixtures.py there) parsed into
 * a record, field by field; RFC 2047 and charset edge cases; HTML to text;
 * quoted-reply stripping; caps; the mbox and Maildir readers.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "intake/charset.h"
#include "intake/html.h"
#include "intake/mail.h"
#include "intake/record.h"

#define FIX "tests/fixtures/mail/"

static void parse_fixture(const char *name, struct record *r)
{
    struct kerr e;
    char path[256];
    snprintf(path, sizeof(path), FIX "%s", name);
    record_init(r);
    kerr_clear(&e);
    if (mail_parse_file(path, NULL, r, &e) != 0)
        fail_msg("%s: %s", name, e.message);
    assert_string_equal(r->channel, "email");
    assert_non_null(r->text);
    assert_int_equal(utf8_invalid_at(r->text, strlen(r->text)), -1);
}

static int64_t t(const char *rfc3339)
{
    int64_t ms;
    assert_int_equal(clock_parse(rfc3339, strlen(rfc3339), &ms), 0);
    return ms;
}

static void gbk_quoted_printable(void **state)
{
    struct record r;
    (void)state;
    parse_fixture("gbk_qp.eml", &r);
    assert_string_equal(r.external_id, "gbk-qp-001@mail.example.cn");
    assert_string_equal(r.customer_name, "张伟");
    assert_string_equal(r.email, "zhang.wei@example.cn");
    assert_string_equal(r.title, "电饭煲质量投诉");
    assert_int_equal(r.received_at, t("2026-11-21T10:15:00+08:00"));
    assert_string_equal(r.text, "您好：\n我在贵店购买的电饭煲（订单号 A1001）用了三天就坏了，"
                                "客服王喆和李堃都没有回复。\n请尽快处理！");
    assert_null(r.attachments);
    record_release(&r);
}

static void big5_base64(void **state)
{
    struct record r;
    (void)state;
    parse_fixture("big5_b64.eml", &r);
    assert_string_equal(r.customer_name, "陳小姐");
    assert_string_equal(r.email, "chen@example.tw");
    assert_string_equal(r.title, "手機螢幕問題");
    assert_string_equal(r.text, "您好，我上週購買的手機螢幕出現裂痕，請問如何退貨？\n謝謝。");
    assert_int_equal(r.received_at, t("2026-11-20T22:01:30+08:00"));
    record_release(&r);
}

static void gb2312_subject_split_and_mislabelled(void **state)
{
    struct record r;
    (void)state;
    parse_fixture("gb2312_subject.eml", &r);
    /* GBK-only 喆 inside a gb2312 word, a character split across two words */
    assert_string_equal(r.title, "关于王喆的服务投诉");
    assert_string_equal(r.customer_name, "李娜");
    assert_string_equal(r.text, "快递三天没有更新物流信息。");
    record_release(&r);
}

static void html_only(void **state)
{
    struct record r;
    (void)state;
    parse_fixture("html_only.eml", &r);
    assert_string_equal(r.title, "洗衣机漏水");
    assert_string_equal(r.customer_name, "Wang Fang");
    assert_string_equal(r.text,
                        "您好，\n我的订单 B2002 的商品<洗衣机>漏水 & 噪音很大。\n希望换货。\n"
                        "联系电话：13800000000");
    record_release(&r);
}

static void alternative_prefers_plain(void **state)
{
    struct record r;
    (void)state;
    parse_fixture("alternative.eml", &r);
    assert_string_equal(r.text, "纯文本版本：空调不制冷。");
    assert_string_equal(r.title, "空调");
    assert_null(r.customer_name);
    assert_string_equal(r.email, "zhao@example.cn");
    assert_null(r.attachments);
    record_release(&r);
}

static void attachments_are_metadata(void **state)
{
    struct record r;
    cJSON *a, *x;
    (void)state;
    parse_fixture("attachments.eml", &r);
    assert_string_equal(r.text, "发票和损坏照片见附件。");
    assert_string_equal(r.customer_name, "孙先生");
    assert_non_null(r.attachments);
    a = cJSON_Parse(r.attachments);
    assert_true(cJSON_IsArray(a));
    assert_int_equal(cJSON_GetArraySize(a), 2);
    x = cJSON_GetArrayItem(a, 0);
    assert_string_equal(cJSON_GetObjectItem(x, "name")->valuestring, "发票.pdf");
    assert_string_equal(cJSON_GetObjectItem(x, "type")->valuestring, "application/pdf");
    assert_int_equal(cJSON_GetObjectItem(x, "size")->valuedouble, 9 + 1000 + 7);
    x = cJSON_GetArrayItem(a, 1);
    assert_string_equal(cJSON_GetObjectItem(x, "name")->valuestring, "photo.jpg");
    assert_string_equal(cJSON_GetObjectItem(x, "type")->valuestring, "image/jpeg");
    assert_int_equal(cJSON_GetObjectItem(x, "size")->valuedouble, 4 + 1024 + 2);
    cJSON_Delete(a);
    record_release(&r);
}

static void missing_message_id_hashes(void **state)
{
    struct record r, again;
    (void)state;
    parse_fixture("no_msgid.eml", &r);
    assert_non_null(r.external_id);
    assert_int_equal(strncmp(r.external_id, "nomid:", 6), 0);
    assert_int_equal(strlen(r.external_id), 6 + 32);
    /* quoted reply stripped */
    assert_string_equal(r.text, "还是没有收到退款。");
    parse_fixture("no_msgid.eml", &again);
    assert_string_equal(r.external_id, again.external_id);
    record_release(&again);
    record_release(&r);
}

static void hash_depends_on_content(void **state)
{
    const char *a = "From: x@example.cn\nSubject: s\n\nbody one\n";
    const char *b = "From: x@example.cn\nSubject: s\n\nbody two\n";
    struct record ra, rb;
    struct kerr e;
    (void)state;
    record_init(&ra);
    record_init(&rb);
    assert_int_equal(mail_parse_mem(a, strlen(a), t("2026-01-01T00:00:00Z"), NULL, &ra, &e), 0);
    assert_int_equal(mail_parse_mem(b, strlen(b), t("2026-01-01T00:00:00Z"), NULL, &rb, &e), 0);
    assert_string_not_equal(ra.external_id, rb.external_id);
    /* no Date, no Received: the fallback time */
    assert_int_equal(ra.received_at, t("2026-01-01T00:00:00Z"));
    record_release(&ra);
    record_release(&rb);
}

static void mbox_three_messages(void **state)
{
    struct mail_reader *rd;
    struct mail_where w;
    struct record r;
    struct kerr e;
    const char *texts[] = {
        "第一封：门店服务态度差。", "第二封：商品与描述不符。",
        "第三封：From the start it was broken.\nFrom here on, a quoted From line."};
    (void)state;
    assert_int_equal(mail_reader_open(FIX "three.mbox", NULL, &rd, &e), 0);
    for (int i = 0; i < 3; i++) {
        char id[32];
        record_init(&r);
        assert_int_equal(mail_reader_next(rd, &r, &w, &e), MAIL_MESSAGE);
        assert_int_equal(w.msgno, i + 1);
        snprintf(id, sizeof(id), "mbox-%d@example.cn", i + 1);
        assert_string_equal(r.external_id, id);
        assert_string_equal(r.text, texts[i]);
        if (i < 2)
            assert_int_equal(r.received_at,
                             t(i ? "2026-11-14T02:00:00+08:00" : "2026-11-14T01:00:00+08:00"));
        else /* no Date: the Received header */
            assert_int_equal(r.received_at, t("2026-11-14T09:30:00+08:00"));
        record_release(&r);
    }
    record_init(&r);
    assert_int_equal(mail_reader_next(rd, &r, &w, &e), MAIL_END);
    record_release(&r);
    mail_reader_free(rd);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void maildir_reads_new_and_cur(void **state)
{
    char dir[] = "/tmp/kesu-maildir-XXXXXX", p[256];
    struct mail_reader *rd;
    struct mail_where w;
    struct record r;
    struct kerr e;
    enum mail_source kind;
    int n = 0, bad = 0;
    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(mail_source_detect(dir, &kind, &e), KERR_INVALID);
    const char *subs[] = {"new", "cur", "tmp"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
        assert_int_equal(mkdir(p, 0700), 0);
        snprintf(p, sizeof(p), "%s/%s/1.%d.host", dir, subs[i], i);
        write_file(p, "From: a@b.cn\nMessage-ID: <m@x>\n\nhello\n");
    }
    snprintf(p, sizeof(p), "%s/new/2.empty", dir);
    write_file(p, "");
    assert_int_equal(mail_source_detect(dir, &kind, &e), 0);
    assert_int_equal(kind, MAIL_SRC_MAILDIR);
    assert_int_equal(mail_reader_open(dir, NULL, &rd, &e), 0);
    for (;;) {
        record_init(&r);
        int rc = mail_reader_next(rd, &r, &w, &e);
        record_release(&r);
        if (rc == MAIL_END)
            break;
        assert_true(strstr(w.file, "/tmp/") == NULL || strstr(w.file, dir) == w.file);
        assert_null(strstr(w.file + strlen(dir), "/tmp/"));
        if (rc == MAIL_BAD) {
            assert_string_equal(e.code, "empty_message");
            bad++;
        } else {
            assert_int_equal(rc, MAIL_MESSAGE);
            n++;
        }
    }
    mail_reader_free(rd);
    assert_int_equal(n, 2); /* new/ and cur/, not tmp/ */
    assert_int_equal(bad, 1);
    const char *files[] = {"new/1.0.host", "cur/1.1.host", "tmp/1.2.host", "new/2.empty"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        unlink(p);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, subs[i]);
        rmdir(p);
    }
    rmdir(dir);
}

static void encoded_words(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain text", "plain text"},
        {"=?UTF-8?Q?caf=C3=A9_au_lait?=", "café au lait"},
        {"=?utf-8?B?5oqV6K+J?= =?utf-8?B?5Lq6?=", "投诉人"}, /* space between words dropped */
        {"a =?utf-8?B?5oqV6K+J?= b", "a 投诉 b"},
        {"=?GBK?B?xOO6ww==?=", "你好"},
        {"=?gb2312?Q?=C4=E3=BA=C3?=", "你好"},
        {"=?big5?B?p0Gmbg==?=", "你好"},
        {"=?UTF-8*zh?B?5L2g5aW9?=", "你好"}, /* RFC 2231 language */
        {"=?x-unknown?B?5L2g5aW9?=", "你好"},
        {"=?utf-8?B?broken", "=?utf-8?B?broken"},
        {"  folded\r\n   header\t", "folded header"},
        {"\xc4\xe3\xba\xc3 raw gbk", "你好 raw gbk"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct strbuf sb = STRBUF_INIT;
        charset_decode_header(cases[i].in, strlen(cases[i].in), &sb);
        if (strcmp(sb.buf, cases[i].out) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, sb.buf, cases[i].out);
        strbuf_release(&sb);
    }
}

static void charsets_and_fallbacks(void **state)
{
    struct strbuf sb = STRBUF_INIT;
    (void)state;
    /* GB18030 four-byte sequence labelled gb2312: U+20000 */
    assert_true(charset_to_utf8("gb2312", "\x95\x32\x82\x36", 4, &sb));
    assert_string_equal(sb.buf, "\xF0\xA0\x80\x80");
    strbuf_reset(&sb);
    /* "UTF-8" that is really GBK */
    assert_true(charset_to_utf8("utf-8", "\xc4\xe3\xba\xc3", 4, &sb));
    assert_string_equal(sb.buf, "你好");
    strbuf_reset(&sb);
    /* invalid bytes become U+FFFD and the result stays valid */
    assert_false(charset_to_utf8("big5", "ok\xff", 3, &sb));
    assert_int_equal(utf8_invalid_at(sb.buf, sb.len), -1);
    assert_non_null(strstr(sb.buf, "\xEF\xBF\xBD"));
    strbuf_reset(&sb);
    /* the cap cuts on a character boundary */
    sb.cap = 4;
    charset_to_utf8("utf-8", "你好", strlen("你好"), &sb);
    assert_true(sb.overflow);
    assert_string_equal(sb.buf, "你");
    strbuf_release(&sb);
}

static void html_text(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"<p>a</p><p>b</p>", "a\nb"},
        {"a<br>b<br/><br><br><br>c", "a\nb\n\nc"},
        {"x  \n  y", "x y"},
        {"<script>alert('<b>')</script>t", "t"},
        {"<STYLE type=text/css>p{}</STYLE>t", "t"},
        {"&lt;&amp;&gt;&quot;&#39;&#20013;&#x6587;&unknown; &", "<&>\"'中文&unknown; &"},
        {"<td>a</td><td>b</td>", "a b"},
        {"<a href=\"x>y\">link</a>", "link"},
        {"1 < 2", "1 < 2"},
        {"<!-- <p>c</p> -->v", "v"},
        {"&#0;&#xD800;", "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"<html><head><meta charset=utf-8><body>kept", "kept"}, /* head never closed */
        {"<ul><li>one<li>two</ul>", "one\ntwo"},
    };
    char cs[32];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct strbuf sb = STRBUF_INIT;
        html_to_text(cases[i].in, strlen(cases[i].in), &sb);
        if (strcmp(sb.buf, cases[i].out) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, sb.buf, cases[i].out);
        strbuf_release(&sb);
    }
    const char *h = "<html><head><meta http-equiv=\"Content-Type\" "
                    "content=\"text/html; charset=gb2312\"></head>";
    assert_true(html_meta_charset(h, strlen(h), cs, sizeof(cs)));
    assert_string_equal(cs, "gb2312");
    assert_false(html_meta_charset("<p>x</p>", 8, cs, sizeof(cs)));
}

static void parse_text(const char *msg, const struct mail_opts *o, struct record *r)
{
    struct kerr e;
    record_init(r);
    if (mail_parse_mem(msg, strlen(msg), t("2026-01-01T00:00:00Z"), o, r, &e) != 0)
        fail_msg("%s", e.message);
}

static void strips_quotes_and_signatures(void **state)
{
    struct mail_opts keep = {.keep_quotes = true};
    struct record r;
    (void)state;
    parse_text("Subject: x\n\nnew text\n\n-----Original Message-----\nFrom: a\nold\n", NULL, &r);
    assert_string_equal(r.text, "new text");
    record_release(&r);
    parse_text("Subject: x\n\nnew\n-- \nZhang San\nACME\n", NULL, &r);
    assert_string_equal(r.text, "new");
    record_release(&r);
    /* interleaved quotes are kept */
    parse_text("Subject: x\n\n> q1\na1\n> q2\na2\n", NULL, &r);
    assert_string_equal(r.text, "> q1\na1\n> q2\na2");
    record_release(&r);
    /* nothing but a quote: kept */
    parse_text("Subject: x\n\n> only quoted\n", NULL, &r);
    assert_string_equal(r.text, "> only quoted");
    record_release(&r);
    parse_text("Subject: x\n\nnew\nOn Mon, A wrote:\n> old\n", &keep, &r);
    assert_string_equal(r.text, "new\nOn Mon, A wrote:\n> old");
    record_release(&r);
    parse_text("Subject: x\n\nnew\nOn Mon, A wrote:\n> old\n", NULL, &r);
    assert_string_equal(r.text, "new");
    record_release(&r);
}

static void text_fallbacks_and_caps(void **state)
{
    struct record r;
    struct kerr e;
    struct strbuf m = STRBUF_INIT;
    (void)state;
    /* body empty: the subject is the text */
    parse_text("Subject: =?utf-8?B?5oqV6K+J?=\nContent-Type: image/png\n\nxx", NULL, &r);
    assert_string_equal(r.text, "投诉");
    record_release(&r);
    /* nothing at all */
    record_init(&r);
    kerr_clear(&e);
    assert_int_equal(mail_parse_mem("X-A: b\n\n \n", 10, 0, NULL, &r, &e), KERR_INVALID);
    assert_string_equal(e.code, "no_text");
    record_release(&r);
    /* a body longer than the record allows is cut on a character boundary */
    strbuf_addstr(&m, "Subject: long\nDate: Sat, 21 Nov 2026 10:00:00 +0800\n\n");
    for (int i = 0; i < RECORD_TEXT_MAX / 3 + 10; i++)
        strbuf_addstr(&m, "中");
    strbuf_addch(&m, 'x');
    strbuf_addch(&m, '\n');
    parse_text(m.buf, NULL, &r);
    assert_true(strlen(r.text) <= RECORD_TEXT_MAX);
    assert_true(strlen(r.text) > RECORD_TEXT_MAX - 3);
    assert_int_equal(utf8_invalid_at(r.text, strlen(r.text)), -1);
    /* an implausible Date falls back */
    assert_int_equal(r.received_at, t("2026-11-21T10:00:00+08:00"));
    record_release(&r);
    parse_text("Date: Thu, 01 Jan 1970 00:00:00 +0000\n\nx\n", NULL, &r);
    assert_int_equal(r.received_at, t("2026-01-01T00:00:00Z"));
    record_release(&r);
    strbuf_release(&m);
}

static void from_forms(void **state)
{
    static const struct {
        const char *from, *name, *email;
    } cases[] = {
        {"\"Zhang, San\" <zs@example.cn>", "Zhang, San", "zs@example.cn"},
        {"zs@example.cn (Zhang San)", "Zhang San", "zs@example.cn"},
        {"<zs@example.cn>", NULL, "zs@example.cn"},
        {"=?utf-8?B?5byg5LiJ?= <zs@example.cn>, other@example.cn", "张三", "zs@example.cn"},
        {"not an address", NULL, NULL},
        {"\"zs@example.cn\" <zs@example.cn>", NULL, "zs@example.cn"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct strbuf m = STRBUF_INIT;
        struct record r;
        strbuf_addf(&m, "From: %s\nSubject: s\n\nbody\n", cases[i].from);
        parse_text(m.buf, NULL, &r);
        if (cases[i].name)
            assert_string_equal(r.customer_name, cases[i].name);
        else
            assert_null(r.customer_name);
        if (cases[i].email)
            assert_string_equal(r.email, cases[i].email);
        else
            assert_null(r.email);
        record_release(&r);
        strbuf_release(&m);
    }
}

static void check_record(const struct record *r)
{
    const char *strs[] = {r->external_id, r->customer_name, r->email, r->title, r->text};
    const size_t max[] = {RECORD_SHORT_MAX, RECORD_SHORT_MAX, RECORD_SHORT_MAX, 1024,
                          RECORD_TEXT_MAX};
    for (int i = 0; i < 5; i++) {
        if (!strs[i])
            continue;
        assert_int_equal(utf8_invalid_at(strs[i], strlen(strs[i])), -1);
        assert_true(strlen(strs[i]) <= max[i]);
    }
    assert_string_equal(r->channel, "email");
    assert_non_null(r->text);
    assert_true(r->text[0] != '\0');
    if (r->attachments) {
        cJSON *a = cJSON_Parse(r->attachments);
        assert_true(cJSON_IsArray(a));
        cJSON_Delete(a);
        assert_true(strlen(r->attachments) <= 16384);
    }
}

/* Every fixture, mutated many ways (seeded): parsing never crashes, and what it gives is a
 * record kesu accepts (valid UTF-8, within limits) or an error. */
static void survives_mutated_messages(void **state)
{
    static const char *const names[] = {"gbk_qp.eml",    "big5_b64.eml",    "gb2312_subject.eml",
                                        "html_only.eml", "alternative.eml", "attachments.eml",
                                        "no_msgid.eml",  "three.mbox"};
    static const char *const inserts[] = {
        "=?",  "?=",       "=?gb2312?B?", "<",
        "&#x", "\r\n\r\n", "--MIX\r\n",   "\xff\xfe",
        "\0",  "=\r\n",    "<script>",    "Content-Type: multipart/mixed; boundary=x\r\n"};
    uint64_t seed = 20261122;
    long ok = 0, bad = 0;
    (void)state;
    for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
        char path[256];
        FILE *in;
        char orig[8192];
        size_t n;
        snprintf(path, sizeof(path), FIX "%s", names[f]);
        assert_non_null(in = fopen(path, "rb"));
        n = fread(orig, 1, sizeof(orig), in);
        fclose(in);
        for (int round = 0; round < 300; round++) {
            struct strbuf m = STRBUF_INIT;
            struct record r;
            struct kerr e;
            strbuf_add(&m, orig, n);
            for (int k = 0; k < 1 + round % 5; k++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                size_t at = (size_t)(seed >> 33) % (m.len + 1);
                switch ((seed >> 20) % 4) {
                case 0: /* flip a byte */
                    if (at < m.len)
                        m.buf[at] = (char)(seed >> 8);
                    break;
                case 1: /* cut */
                    strbuf_setlen(&m, at);
                    break;
                case 2: { /* insert something with meaning to a parser */
                    const char *ins = inserts[(seed >> 40) % (sizeof(inserts) / sizeof(*inserts))];
                    size_t il = strlen(ins) ? strlen(ins) : 1;
                    struct strbuf t = STRBUF_INIT;
                    strbuf_add(&t, m.buf, at);
                    strbuf_add(&t, ins, il);
                    strbuf_add(&t, m.buf + at, m.len - at);
                    strbuf_release(&m);
                    m = t;
                    break;
                }
                default: /* drop a span */
                    if (at < m.len) {
                        size_t span = (seed >> 44) % 64;
                        if (span > m.len - at)
                            span = m.len - at;
                        memmove(m.buf + at, m.buf + at + span, m.len - at - span);
                        strbuf_setlen(&m, m.len - span);
                    }
                }
            }
            record_init(&r);
            kerr_clear(&e);
            if (mail_parse_mem(m.buf, m.len, t("2026-01-01T00:00:00Z"), NULL, &r, &e) == 0) {
                check_record(&r);
                ok++;
            } else {
                assert_true(e.message[0] != '\0');
                bad++;
            }
            record_release(&r);
            strbuf_release(&m);
        }
    }
    assert_true(ok > 0);
    print_message("mutated messages: %ld parsed, %ld refused\n", ok, bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gbk_quoted_printable),
        cmocka_unit_test(big5_base64),
        cmocka_unit_test(gb2312_subject_split_and_mislabelled),
        cmocka_unit_test(html_only),
        cmocka_unit_test(alternative_prefers_plain),
        cmocka_unit_test(attachments_are_metadata),
        cmocka_unit_test(missing_message_id_hashes),
        cmocka_unit_test(hash_depends_on_content),
        cmocka_unit_test(mbox_three_messages),
        cmocka_unit_test(maildir_reads_new_and_cur),
        cmocka_unit_test(encoded_words),
        cmocka_unit_test(charsets_and_fallbacks),
        cmocka_unit_test(html_text),
        cmocka_unit_test(strips_quotes_and_signatures),
        cmocka_unit_test(text_fallbacks_and_caps),
        cmocka_unit_test(from_forms),
        cmocka_unit_test(survives_mutated_messages),
    };
    clock_set_zone("Asia/Shanghai");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
