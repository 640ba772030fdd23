/*
 * fuzz_mail.c: libFuzzer target for e-mail intake (intake/mail with GMime,
 * intake/charset, intake/html): one message parsed from a buffer into a
 * record (headers, RFC 2047 words, multipart bodies, transfer encodings,
 * charsets, HTML-only bodies, quoted replies and signatures cut or kept).
 * The header decoder and the charset converter are also run on the raw
 * bytes; their output must be valid UTF-8.
 *
 *     build/fuzz/fuzz/fuzz_mail -max_total_time=60 tests/fuzz/corpus/mail
 */
#include "base/utf8.h"
#include "intake/charset.h"
#include "intake/mail.h"

#include "fuzz.h"

#include "base/banned.h"

static const char *const charsets[] = {NULL,       "gbk",      "big5",  "utf-8",
                                       "us-ascii", "utf-16le", "x-bad", "iso-2022-jp"};

static void check_utf8(const struct strbuf *sb)
{
    if (sb->len && utf8_invalid_at(sb->buf, sb->len) >= 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct mail_opts o = {0};
    struct record r;
    struct kerr e;

    if (size < 4096) {
        struct strbuf sb = STRBUF_INIT;
        charset_decode_header(s, size, &sb);
        check_utf8(&sb);
        strbuf_reset(&sb);
        charset_to_utf8(charsets[size % 8], s, size, &sb);
        check_utf8(&sb);
        charset_truncate_utf8(&sb, size / 2);
        check_utf8(&sb);
        strbuf_release(&sb);
    }
    o.keep_quotes = size & 1;
    record_init(&r);
    kerr_clear(&e);
    if (mail_parse_mem(s, size, FUZZ_NOW_MS, &o, &r, &e) < 0 && !e.message[0])
        abort();
    if (r.text && utf8_invalid_at(r.text, strlen(r.text)) >= 0)
        abort();
    if (r.title && utf8_invalid_at(r.title, strlen(r.title)) >= 0)
        abort();
    record_release(&r);
    return 0;
}
