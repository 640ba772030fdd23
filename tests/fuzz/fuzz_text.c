/*
 * fuzz_text.c: libFuzzer target for the text stages of the intake pipeline:
 * the HTML cleaner (intake/html), normalisation (text/normalize) and
 * personal-data masking (text/pii). Checked on every input: the output is
 * valid UTF-8, normalisation grows text at most three times and leaves
 * clean text as it is, a capped buffer is cut on a character boundary, and
 * every PII finding lies inside the text and its masked form inside the
 * masked text, in order.
 *
 *     build/fuzz/fuzz/fuzz_text -max_total_time=60 tests/fuzz/corpus/text
 */
#include "base/utf8.h"
#include "intake/html.h"
#include "text/normalize.h"
#include "text/pii.h"

#include "fuzz.h"

#include "base/banned.h"

static void check_utf8(const struct strbuf *sb)
{
    if (sb->len && utf8_invalid_at(sb->buf, sb->len) >= 0)
        abort();
}

static void check_pii(const char *s, size_t len, const char *name, size_t name_len, unsigned types)
{
    struct strbuf m = STRBUF_INIT;
    struct pii_list found = {0};
    struct pii_opts o = {name, name_len, types};
    int n = pii_mask(s, len, &o, &m, &found);
    size_t last = 0;
    if (n < 0 || (size_t)n != found.n)
        abort();
    for (size_t i = 0; i < found.n; i++) {
        const struct pii_finding *p = &found.v[i];
        if (p->off < last || p->off + p->len > len || p->len == 0)
            abort();
        if (p->moff + p->mlen > m.len || !pii_type_name(p->type))
            abort();
        last = p->off + p->len;
    }
    pii_list_release(&found);
    strbuf_release(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct strbuf out = STRBUF_INIT, text = STRBUF_INIT;
    char cs[64];
    unsigned bits;

    /* HTML: the cleaner wants valid UTF-8, as the mail reader gives it */
    (void)html_meta_charset(s, size, cs, sizeof cs);
    if (utf8_invalid_at(s, size) < 0) {
        html_to_text(s, size, &text);
        check_utf8(&text);
    }

    /* normalisation */
    bits = normalize_text(s, size, &out, size & 1 ? NORMALIZE_KEEP_EMOJI : 0);
    check_utf8(&out);
    if (out.len > 3 * size)
        abort();
    if (bits == 0 && (out.len != size || memcmp(out.buf, s, size) != 0))
        abort();
    {
        struct strbuf capped = STRBUF_INIT;
        capped.cap = size / 3 + 1; /* 0 would mean no cap */
        bits = normalize_text(s, size, &capped, 0);
        check_utf8(&capped);
        if (capped.len > capped.cap || (capped.overflow && !(bits & NORMALIZE_TRUNCATED)))
            abort();
        strbuf_release(&capped);
    }

    /* masking, on the normalised text as the pipeline runs it, and on the raw bytes */
    check_pii(out.buf ? out.buf : "", out.len, NULL, 0, 0);
    check_pii(s, size, "张三", 0, 0);
    if (size > 4) {
        size_t nl = data[0] % 8 + 1 < size ? data[0] % 8 + 1 : 1;
        check_pii(s + nl, size - nl, s, nl, data[1]);
    }
    {
        struct strbuf f = STRBUF_INIT;
        size_t n = size < 64 ? size : 64;
        pii_mask_phone(s, n, &f);
        pii_mask_email(s, n, &f);
        pii_mask_name(s, n, &f);
        size_t d = 0;
        while (d < n && s[d] >= '0' && s[d] <= '9')
            d++;
        (void)pii_luhn_ok(s, d);
        (void)pii_id_number_ok(s, n);
        strbuf_release(&f);
    }
    strbuf_release(&out);
    strbuf_release(&text);
    return 0;
}
