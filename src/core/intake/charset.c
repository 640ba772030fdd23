/*
 * charset: conversion to UTF-8 through glibc iconv with the aliases and
 * fallbacks Chinese mail needs, and RFC 2047 header decoding. See charset.h.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "base/utf8.h"
#include "intake/charset.h"
#include "base/banned.h"

/* Labels read as a superset, and common spellings iconv does not know. */
static const struct {
    const char *label, *iconv_name;
} aliases[] = {
    {"gb2312", "GB18030"},
    {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},
    {"cp936", "GB18030"},
    {"ms936", "GB18030"},
    {"windows-936", "GB18030"},
    {"euc-cn", "GB18030"},
    {"x-euc-cn", "GB18030"},
    {"euccn", "GB18030"},
    {"gb_2312-80", "GB18030"},
    {"csgb2312", "GB18030"},
    {"chinese", "GB18030"},
    {"gb18030", "GB18030"},
    {"gb-2312", "GB18030"},
    {"x-gb2312", "GB18030"},
    {"big5", "BIG5-HKSCS"},
    {"big-5", "BIG5-HKSCS"},
    {"x-big5", "BIG5-HKSCS"},
    {"cn-big5", "BIG5-HKSCS"},
    {"csbig5", "BIG5-HKSCS"},
    {"big5-hkscs", "BIG5-HKSCS"},
    {"cp950", "BIG5-HKSCS"},
    {"windows-950", "BIG5-HKSCS"},
    {"utf8", "UTF-8"},
    {"utf-8", "UTF-8"},
    {"us-ascii", ""},
    {"ascii", ""},
    {"ansi_x3.4-1968", ""},
    {"unknown-8bit", ""},
    {"x-unknown", ""},
    {"default", ""},
    {"iso-8859-1", "WINDOWS-1252"},
    {"latin1", "WINDOWS-1252"},
    {"us", ""},
};

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* The iconv name for label: "" for unknown (auto), "UTF-8", or a name to try. */
static const char *iconv_name(const char *label, char *buf, size_t bufsz)
{
    size_t n = 0;
    if (!label)
        return "";
    while (*label == ' ' || *label == '"' || *label == '\'')
        label++;
    for (; *label && *label != '"' && *label != '\'' && *label != ' ' && n + 1 < bufsz; label++)
        buf[n++] = (char)tolower((unsigned char)*label);
    buf[n] = '\0';
    if (n == 0)
        return "";
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(aliases[i].label, buf) == 0)
            return aliases[i].iconv_name;
    return buf;
}

/* Appends n bytes of valid UTF-8, cut on a character boundary at the cap. */
static bool add_capped(struct strbuf *out, const char *p, size_t n)
{
    if (!out->cap || out->len + n <= out->cap)
        return strbuf_add(out, p, n);
    size_t room = out->cap - out->len;
    while (room > 0 && ((unsigned char)p[room] & 0xC0) == 0x80)
        room--;
    strbuf_add(out, p, room);
    out->overflow = true;
    return false;
}

/* Valid UTF-8 runs copied, each invalid byte replaced. Returns true if all valid. */
static bool utf8_lossy(const char *in, size_t len, struct strbuf *out)
{
    bool clean = true;
    while (len > 0) {
        long bad = utf8_invalid_at(in, len);
        size_t good = bad < 0 ? len : (size_t)bad;
        if (!add_capped(out, in, good))
            return clean;
        if (bad < 0)
            break;
        clean = false;
        if (!add_capped(out, replacement, 3))
            return false;
        in += good + 1;
        len -= good + 1;
    }
    return clean;
}

/*
 * Converts with iconv. strict: fails (returns false, out unchanged) on the
 * first bad sequence; else replaces each bad byte. Returns false as well
 * when iconv cannot open the charset (out unchanged).
 */
static bool convert(const char *name, const char *in, size_t len, struct strbuf *out, bool strict,
                    bool *lossy)
{
    iconv_t cd = iconv_open("UTF-8", name);
    size_t start = out->len;
    char chunk[4096];

    if (cd == (iconv_t)-1)
        return false;
    char *ip = (char *)in;
    size_t il = len;
    while (il > 0) {
        char *op = chunk;
        size_t ol = sizeof(chunk);
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        int e = errno;
        if (!add_capped(out, chunk, (size_t)(op - chunk)))
            break;
        if (r != (size_t)-1 || e == E2BIG)
            continue;
        if (strict) {
            strbuf_setlen(out, start);
            iconv_close(cd);
            return false;
        }
        *lossy = true;
        if (!add_capped(out, replacement, 3))
            break;
        ip++;
        il--;
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    /* flush any shift state (stateful encodings) */
    char *op = chunk;
    size_t ol = sizeof(chunk);
    if (iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1 && op > chunk)
        add_capped(out, chunk, (size_t)(op - chunk));
    iconv_close(cd);
    return true;
}

bool charset_to_utf8(const char *charset, const char *in, size_t len, struct strbuf *out)
{
    char buf[64];
    const char *name = iconv_name(charset, buf, sizeof(buf));
    bool lossy = false;

    if (name[0] == '\0' || strcmp(name, "UTF-8") == 0) {
        if (utf8_invalid_at(in, len) < 0) {
            add_capped(out, in, len);
            return true;
        }
        if (convert("GB18030", in, len, out, true, &lossy))
            return true;
        return utf8_lossy(in, len, out);
    }
    if (convert(name, in, len, out, true, &lossy))
        return true;
    if (convert(name, in, len, out, false, &lossy))
        return !lossy;
    /* unknown to iconv: read as if unlabelled */
    return charset_to_utf8(NULL, in, len, out);
}

void charset_truncate_utf8(struct strbuf *sb, size_t max)
{
    if (sb->len <= max)
        return;
    while (max > 0 && ((unsigned char)sb->buf[max] & 0xC0) == 0x80)
        max--;
    strbuf_setlen(sb, max);
}

/* ---- RFC 2047 ----------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static void decode_b(const char *p, size_t n, struct strbuf *out)
{
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)p[i]);
        if (v < 0)
            continue; /* padding, stray characters */
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            strbuf_addch(out, (char)((acc >> bits) & 0xFF));
        }
    }
}

static void decode_q(const char *p, size_t n, struct strbuf *out)
{
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (p[i] == '_')
            strbuf_addch(out, ' ');
        else if (p[i] == '=' && i + 2 < n && (h = hexval((unsigned char)p[i + 1])) >= 0 &&
                 (l = hexval((unsigned char)p[i + 2])) >= 0) {
            strbuf_addch(out, (char)(h * 16 + l));
            i += 2;
        } else {
            strbuf_addch(out, p[i]);
        }
    }
}

/*
 * Parses an encoded-word at s[0..n): =?charset[*lang]?B|Q?text?=. Returns
 * its length, or 0 if s does not start with one.
 */
static size_t encoded_word(const char *s, size_t n, char *cs, size_t cssz, char *enc,
                           const char **text, size_t *textlen)
{
    size_t i = 2, c0, t0;
    if (n < 8 || s[0] != '=' || s[1] != '?')
        return 0;
    c0 = i;
    while (i < n && s[i] != '?' && !isspace((unsigned char)s[i]))
        i++;
    if (i >= n || s[i] != '?' || i == c0 || i - c0 >= cssz)
        return 0;
    memcpy(cs, s + c0, i - c0);
    cs[i - c0] = '\0';
    if (strchr(cs, '*'))
        *strchr(cs, '*') = '\0';
    i++;
    if (i + 1 >= n || s[i + 1] != '?')
        return 0;
    *enc = (char)toupper((unsigned char)s[i]);
    if (*enc != 'B' && *enc != 'Q')
        return 0;
    i += 2;
    t0 = i;
    while (i + 1 < n && !(s[i] == '?' && s[i + 1] == '=')) {
        if (s[i] == '\r' || s[i] == '\n')
            return 0;
        i++;
    }
    if (i + 1 >= n)
        return 0;
    *text = s + t0;
    *textlen = i - t0;
    return i + 2;
}

struct hdr {
    struct strbuf *out;
    struct strbuf raw; /* plain text not yet converted */
    struct strbuf enc; /* bytes of adjacent encoded-words in one charset */
    char cs[64];
};

static void flush_enc(struct hdr *h)
{
    if (h->enc.len)
        charset_to_utf8(h->cs, h->enc.buf, h->enc.len, h->out);
    strbuf_reset(&h->enc);
}

static void flush_raw(struct hdr *h)
{
    if (h->raw.len)
        charset_to_utf8(NULL, h->raw.buf, h->raw.len, h->out);
    strbuf_reset(&h->raw);
}

static bool all_space(const struct strbuf *sb)
{
    for (size_t i = 0; i < sb->len; i++)
        if (!isspace((unsigned char)sb->buf[i]))
            return false;
    return true;
}

/* Collapses whitespace in out from `from` on: runs become one space, ends trimmed. */
static void collapse_space(struct strbuf *out, size_t from)
{
    size_t w = from;
    bool space = true; /* drop leading */
    for (size_t r = from; r < out->len; r++) {
        unsigned char c = (unsigned char)out->buf[r];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
            if (!space)
                out->buf[w++] = ' ';
            space = true;
        } else {
            out->buf[w++] = (char)c;
            space = false;
        }
    }
    if (w > from && out->buf[w - 1] == ' ')
        w--;
    strbuf_setlen(out, w);
}

void charset_decode_header(const char *s, size_t n, struct strbuf *out)
{
    struct hdr h = {out, STRBUF_INIT, STRBUF_INIT, ""};
    size_t start = out->len;

    for (size_t i = 0; i < n;) {
        char cs[64], enc;
        const char *text;
        size_t tl, wl = encoded_word(s + i, n - i, cs, sizeof(cs), &enc, &text, &tl);
        if (wl == 0) {
            if (h.enc.len && !isspace((unsigned char)s[i])) {
                flush_enc(&h);
                flush_raw(&h);
            }
            if (s[i] != '\r' && s[i] != '\n')
                strbuf_addch(&h.raw, s[i]);
            i++;
            continue;
        }
        if (h.enc.len && all_space(&h.raw)) {
            strbuf_reset(&h.raw); /* whitespace between encoded-words is dropped */
        } else {
            flush_enc(&h);
            flush_raw(&h);
        }
        if (h.enc.len && strcasecmp(h.cs, cs) != 0)
            flush_enc(&h);
        memcpy(h.cs, cs, sizeof(cs));
        if (enc == 'B')
            decode_b(text, tl, &h.enc);
        else
            decode_q(text, tl, &h.enc);
        i += wl;
    }
    flush_enc(&h);
    flush_raw(&h);
    strbuf_release(&h.raw);
    strbuf_release(&h.enc);
    collapse_space(out, start);
}
