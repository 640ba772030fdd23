/*
 * normalize: the cleaning pass. See normalize.h for the rules.
 *
 * DESIGN. Two layers. The reader walks the input bytes once: at '<' it tries
 * to recognise markup (and skips it), at '&' a character reference (and
 * decodes it), otherwise it decodes one UTF-8 character. Every character the
 * reader produces goes to emit(), which applies the character rules (width,
 * controls, emoji, punctuation, whitespace) with a little state: the last
 * visible character written and whether a word break is pending. Because a
 * pending break is only written when the next visible character arrives,
 * trimming, collapsing and the removal of spaces between Chinese characters
 * need no look-ahead and no second pass. Nothing is allocated besides the
 * growth of the output buffer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/utf8.h"
#include "text/normalize.h"
#include "base/banned.h"

/* Why a word break is pending. */
enum {
    PEND_SPACE1 = 1, /* exactly one ASCII space so far */
    PEND_WSMORE = 2, /* more whitespace, or whitespace other than ' ' */
    PEND_SYNTH = 4,  /* a block tag or a removed emoji */
};

struct norm {
    struct strbuf *out;
    size_t start; /* out->len when we began */
    unsigned flags, opts, pend;
    int32_t last;    /* last visible character written, 0 at the start */
    size_t last_pos; /* its offset in out */
    int ell; /* in a run of ellipses: 1 or 2 halves of "……" written, 3 made from 。。 */
};

/* Chinese characters and punctuation: no spaces between two of these. */
static bool is_cjk(int32_t c)
{
    if (c < 0x2014)
        return c == 0xB7;
    if (c < 0x2E80)
        return c == 0x2014 || c == 0x2018 || c == 0x2019 || c == 0x201C || c == 0x201D ||
               c == 0x2026;
    if (c <= 0x9FFF)
        return true;
    if (c >= 0xF900 && c <= 0xFAFF)
        return true;
    if (c >= 0xFE30 && c <= 0xFE4F)
        return true;
    if (c >= 0xFF01 && c <= 0xFF1F)
        return c == 0xFF01 || c == 0xFF0C || c == 0xFF1A || c == 0xFF1B || c == 0xFF1F;
    return c >= 0x20000 && c <= 0x2FFFF;
}

static bool is_space(int32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= '\t' && c <= '\r');
    return c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000 || c == 0x85;
}

/* Invisible or control characters that carry nothing for analysis. */
static bool is_control(int32_t c)
{
    if (c < 0x80)
        return c < 0x20 || c == 0x7F;
    if (c < 0xA0)
        return true;
    if (c < 0x2000)
        return c == 0xAD || c == 0x34F || c == 0x61C || c == 0x180E;
    if (c < 0x2070)
        return (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
               (c >= 0x2060 && c <= 0x206F);
    if (c >= 0xE000 && c <= 0xF8FF)
        return true;
    if (c >= 0xFE00 && c <= 0xFE0F)
        return true;
    if (c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFD))
        return true;
    return c >= 0xE0000;
}

static bool is_emoji(int32_t c)
{
    if (c < 0x20E3)
        return false;
    return c == 0x20E3 || c == 0x231A || c == 0x231B || (c >= 0x23E9 && c <= 0x23FA) ||
           (c >= 0x2600 && c <= 0x27BF) || (c >= 0x2B00 && c <= 0x2BFF) ||
           (c >= 0x1F000 && c <= 0x1FAFF);
}

/* Marks whose runs collapse to one. */
static bool collapses(int32_t c)
{
    switch (c) {
    case 0xFF01: /* ！ */
    case 0xFF1F: /* ？ */
    case 0xFF0C: /* ， */
    case 0x3002: /* 。 */
    case 0x3001: /* 、 */
    case 0xFF1B: /* ； */
    case 0xFF1A: /* ： */
    case '~':
    case '!':
    case '?':
        return true;
    default:
        return false;
    }
}

static void put_cp(struct norm *n, int32_t c)
{
    char buf[4];
    size_t at = n->out->len;
    if (c < 0x80) {
        if (!strbuf_addch(n->out, (char)c))
            n->flags |= NORMALIZE_TRUNCATED;
    } else if (!strbuf_add(n->out, buf, (size_t)utf8_encode(c, buf))) {
        n->flags |= NORMALIZE_TRUNCATED;
    }
    n->last = c;
    n->last_pos = at;
}

/* Writes or drops the pending word break before the visible character c. */
static void flush_space(struct norm *n, int32_t c)
{
    bool write = n->out->len > n->start && !(is_cjk(n->last) && is_cjk(c));
    if ((n->pend & PEND_WSMORE) || ((n->pend & PEND_SPACE1) && !write))
        n->flags |= NORMALIZE_WHITESPACE;
    if (write && !strbuf_addch(n->out, ' '))
        n->flags |= NORMALIZE_TRUNCATED;
    n->pend = 0;
}

static void pend_space(struct norm *n, int32_t c)
{
    if (c == ' ' && !n->pend)
        n->pend = PEND_SPACE1;
    else
        n->pend |= PEND_WSMORE;
}

/* Maps width variants and quotes; returns the character to go on with. */
static int32_t map_forms(struct norm *n, int32_t c)
{
    if (c >= 0xFF01 && c <= 0xFF5E) {
        if (c == 0xFF01 || c == 0xFF0C || c == 0xFF1A || c == 0xFF1B || c == 0xFF1F)
            return c;
        n->flags |= NORMALIZE_WIDTH;
        return c - 0xFEE0;
    }
    if (c >= 0xFF61 && c <= 0xFF65) {
        static const int32_t half[] = {0x3002, 0x201C, 0x201D, 0x3001, 0x30FB};
        n->flags |= NORMALIZE_WIDTH;
        return half[c - 0xFF61];
    }
    switch (c) {
    case 0xFFE0:
        n->flags |= NORMALIZE_WIDTH;
        return 0xA2;
    case 0xFFE1:
        n->flags |= NORMALIZE_WIDTH;
        return 0xA3;
    case 0xFFE5:
        n->flags |= NORMALIZE_WIDTH;
        return 0xA5;
    case 0x300C:
        n->flags |= NORMALIZE_PUNCT;
        return 0x201C;
    case 0x300D:
        n->flags |= NORMALIZE_PUNCT;
        return 0x201D;
    case 0x300E:
        n->flags |= NORMALIZE_PUNCT;
        return 0x2018;
    case 0x300F:
        n->flags |= NORMALIZE_PUNCT;
        return 0x2019;
    default:
        return c;
    }
}

/* ASCII , ! ? ; : after Chinese text take their Chinese form. */
static int32_t chinese_mark(struct norm *n, int32_t c)
{
    static const char ascii[] = ",!?;:";
    static const int32_t wide[] = {0xFF0C, 0xFF01, 0xFF1F, 0xFF1B, 0xFF1A};
    const char *p;
    if (!n->last || !is_cjk(n->last) || !(p = memchr(ascii, (int)c, 5)))
        return c;
    n->flags |= NORMALIZE_PUNCT;
    return wide[p - ascii];
}

/* A lone … gets its second half when the run ends. */
static void end_ellipsis(struct norm *n)
{
    if (n->ell == 1) {
        n->flags |= NORMALIZE_PUNCT;
        put_cp(n, 0x2026);
    }
    n->ell = 0;
}

/* "…", "……", "………" and "。。" all become "……". */
static void ellipsis(struct norm *n, int32_t c)
{
    if (c == 0x3002) { /* the second 。 of a run replaces the first; later ones go */
        if (n->last == 0x3002) {
            strbuf_setlen(n->out, n->last_pos);
            put_cp(n, 0x2026);
            put_cp(n, 0x2026);
        }
        n->flags |= NORMALIZE_PUNCT;
        n->ell = 3;
        return;
    }
    if (n->last == 0x2026 && n->ell) { /* the run goes on, spaces inside it too */
        if (n->pend & (PEND_SPACE1 | PEND_WSMORE))
            n->flags |= NORMALIZE_WHITESPACE;
        n->pend = 0;
        if (n->ell == 1)
            put_cp(n, 0x2026);
        else
            n->flags |= NORMALIZE_PUNCT;
        n->ell = n->ell == 1 ? 2 : n->ell;
        return;
    }
    end_ellipsis(n);
    if (n->pend)
        flush_space(n, c);
    put_cp(n, 0x2026);
    n->ell = 1;
}

/* Applies the character rules to one character from the reader. */
static void emit(struct norm *n, int32_t c)
{
    if (c >= 0x80) {
        if (c == 0x3000) {
            n->flags |= NORMALIZE_WIDTH;
            c = ' ';
        } else {
            c = map_forms(n, c);
        }
    }
    if (is_space(c)) {
        pend_space(n, c);
        return;
    }
    if (is_control(c)) {
        n->flags |= NORMALIZE_CONTROL;
        return;
    }
    if (!(n->opts & NORMALIZE_KEEP_EMOJI) && is_emoji(c)) {
        n->flags |= NORMALIZE_EMOJI;
        n->pend |= PEND_SYNTH;
        return;
    }
    if (c < 0x80 && (c == ',' || c == '!' || c == '?' || c == ';' || c == ':'))
        c = chinese_mark(n, c);
    if (c == 0x2026 ||
        (c == 0x3002 && !n->pend && (n->last == 0x3002 || (n->last == 0x2026 && n->ell == 3)))) {
        ellipsis(n, c);
        return;
    }
    end_ellipsis(n);
    if (c == n->last && collapses(c)) {
        n->flags |= NORMALIZE_PUNCT | (n->pend & ~PEND_SYNTH ? NORMALIZE_WHITESPACE : 0);
        n->pend = 0;
        return;
    }
    if ((n->last == 0xFF0C || n->last == 0x3001) && (c == 0xFF01 || c == 0xFF1F || c == 0x3002)) {
        /* "，！" says no more than "！" */
        strbuf_setlen(n->out, n->last_pos);
        n->flags |= NORMALIZE_PUNCT | (n->pend & ~PEND_SYNTH ? NORMALIZE_WHITESPACE : 0);
        n->pend = 0;
    }
    if (n->pend)
        flush_space(n, c);
    put_cp(n, c);
}

/* The fast path of emit() for a character of U+4000..U+9FFF at p (3 bytes). */
static void emit_han(struct norm *n, const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    int32_t c = ((int32_t)(u[0] & 0x0F) << 12) | ((int32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
    if (n->ell)
        end_ellipsis(n);
    if (n->pend)
        flush_space(n, c);
    n->last_pos = n->out->len;
    n->last = c;
    if (!strbuf_add(n->out, p, 3))
        n->flags |= NORMALIZE_TRUNCATED;
}

/* ---- markup ---- */

/* Known HTML element names; 'B' after the name marks a block element. */
static const char *const html_tags[] = {
    "a",
    "abbr",
    "address B",
    "area",
    "article B",
    "aside B",
    "audio",
    "b",
    "base",
    "bdi",
    "bdo",
    "big",
    "blockquote B",
    "body B",
    "br B",
    "button",
    "canvas",
    "caption B",
    "center B",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "datalist",
    "dd B",
    "del",
    "details B",
    "dfn",
    "dialog B",
    "div B",
    "dl B",
    "dt B",
    "em",
    "embed",
    "fieldset B",
    "figcaption B",
    "figure B",
    "font",
    "footer B",
    "form B",
    "frame",
    "frameset",
    "h1 B",
    "h2 B",
    "h3 B",
    "h4 B",
    "h5 B",
    "h6 B",
    "head B",
    "header B",
    "hr B",
    "html B",
    "i",
    "iframe",
    "img",
    "input",
    "ins",
    "kbd",
    "label",
    "legend B",
    "li B",
    "link",
    "main B",
    "map",
    "mark",
    "meta",
    "meter",
    "nav B",
    "nobr",
    "noscript",
    "object",
    "ol B",
    "optgroup",
    "option B",
    "output",
    "p B",
    "param",
    "picture",
    "pre B",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "script",
    "section B",
    "select",
    "small",
    "source",
    "span",
    "strike",
    "style",
    "strong",
    "sub",
    "summary B",
    "sup",
    "table B",
    "tbody B",
    "td B",
    "template",
    "textarea",
    "tfoot B",
    "th B",
    "thead B",
    "time",
    "title B",
    "tr B",
    "track",
    "tt",
    "u",
    "ul B",
    "var",
    "video",
    "wbr",
};

static bool is_alpha(unsigned char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_alnum(unsigned char c)
{
    return is_alpha(c) || (c >= '0' && c <= '9');
}

/* Looks name[0..len) up (lower-cased); returns 0 unknown, 1 inline, 2 block. */
static int tag_kind(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof html_tags / sizeof html_tags[0]; i++) {
        const char *t = html_tags[i];
        if (t[0] != name[0] || strncmp(t, name, len) != 0 || (t[len] && t[len] != ' '))
            continue;
        return t[len] ? 2 : 1;
    }
    return 0;
}

/* Returns the offset just past the '>' closing a tag whose attributes start
 * at i, honouring quoted values, or 0 when there is none nearby. */
static size_t tag_end(const char *s, size_t len, size_t i)
{
    char q = 0;
    size_t lim = i + 4096 < len ? i + 4096 : len;
    for (; i < lim; i++) {
        char c = s[i];
        if (q) {
            if (c == q)
                q = 0;
        } else if (c == '"' || c == '\'') {
            q = c;
        } else if (c == '>') {
            return i + 1;
        } else if (c == '<') {
            return 0;
        }
    }
    return 0;
}

/* Finds needle (ASCII, lower case) in s[i..len) ignoring case; returns its offset or len. */
static size_t find_ci(const char *s, size_t len, size_t i, const char *needle)
{
    size_t nl = strlen(needle);
    for (; i + nl <= len; i++) {
        size_t k = 0;
        while (k < nl && (s[i + k] | 0x20) == needle[k])
            k++;
        if (k == nl)
            return i;
    }
    return len;
}

/*
 * Tries to read markup at s[i] == '<'. Returns the offset after it (and
 * records a word break for block elements), or 0 when it is text.
 */
static size_t skip_markup(struct norm *n, const char *s, size_t len, size_t i)
{
    const char *p = s + i + 1;
    size_t rest = len - i - 1, j, end;
    char name[16];
    bool closing = false;
    int kind;

    if (rest >= 3 && memcmp(p, "!--", 3) == 0) {
        const char *e = memmem(p + 3, rest - 3, "-->", 3);
        if (!e)
            return 0;
        n->flags |= NORMALIZE_HTML;
        return (size_t)(e - s) + 3;
    }
    if (rest >= 2 && (p[0] == '?' || (p[0] == '!' && is_alpha((unsigned char)p[1])))) {
        const char *e = memchr(p, '>', rest < 1024 ? rest : 1024);
        if (!e)
            return 0;
        n->flags |= NORMALIZE_HTML;
        return (size_t)(e - s) + 1;
    }
    if (rest && p[0] == '/') {
        closing = true;
        p++, rest--;
    }
    for (j = 0; j < rest && j < sizeof name - 1 &&
                (is_alpha((unsigned char)p[j]) || (j && p[j] >= '0' && p[j] <= '9'));
         j++)
        name[j] = (char)(p[j] | 0x20);
    if (j == 0 || j == rest || j == sizeof name - 1)
        return 0;
    name[j] = 0;
    if (!(p[j] == '>' || p[j] == '/' || p[j] == ' ' || p[j] == '\t' || p[j] == '\n' ||
          p[j] == '\r') ||
        !(kind = tag_kind(name, j)))
        return 0;
    if (!(end = tag_end(s, len, (size_t)(p + j - s))))
        return 0;
    if (!closing && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0) &&
        s[end - 2] != '/') {
        size_t close = find_ci(s, len, end, strcmp(name, "script") == 0 ? "</script" : "</style");
        const char *gt = close < len ? memchr(s + close, '>', len - close) : NULL;
        end = gt ? (size_t)(gt - s) + 1 : len;
    }
    if (kind == 2)
        n->pend |= PEND_SYNTH;
    n->flags |= NORMALIZE_HTML;
    return end;
}

/* Named character references: the common ones. */
static const struct entity {
    const char *name;
    int32_t cp;
} entities[] = {
    {"amp", '&'},       {"lt", '<'},       {"gt", '>'},        {"quot", '"'},
    {"apos", '\''},     {"nbsp", 0xA0},    {"ensp", 0x2002},   {"emsp", 0x2003},
    {"thinsp", 0x2009}, {"zwnj", 0x200C},  {"zwj", 0x200D},    {"shy", 0xAD},
    {"copy", 0xA9},     {"reg", 0xAE},     {"trade", 0x2122},  {"yen", 0xA5},
    {"cent", 0xA2},     {"pound", 0xA3},   {"euro", 0x20AC},   {"sect", 0xA7},
    {"para", 0xB6},     {"deg", 0xB0},     {"plusmn", 0xB1},   {"times", 0xD7},
    {"divide", 0xF7},   {"middot", 0xB7},  {"bull", 0x2022},   {"hellip", 0x2026},
    {"ndash", 0x2013},  {"mdash", 0x2014}, {"lsquo", 0x2018},  {"rsquo", 0x2019},
    {"sbquo", 0x201A},  {"ldquo", 0x201C}, {"rdquo", 0x201D},  {"bdquo", 0x201E},
    {"laquo", 0xAB},    {"raquo", 0xBB},   {"lsaquo", 0x2039}, {"rsaquo", 0x203A},
    {"frac12", 0xBD},   {"frac14", 0xBC},  {"frac34", 0xBE},   {"sup2", 0xB2},
    {"sup3", 0xB3},     {"micro", 0xB5},   {"larr", 0x2190},   {"rarr", 0x2192},
    {"uarr", 0x2191},   {"darr", 0x2193},  {"hearts", 0x2665}, {"star", 0x2606},
    {"iexcl", 0xA1},    {"iquest", 0xBF},  {"permil", 0x2030}, {"prime", 0x2032},
};

/* Reads a character reference at s[i] == '&'; returns its length (0 = not
 * one) and the character in *cp (-1 for a numeric reference to nothing). */
static size_t read_entity(const char *s, size_t len, size_t i, int32_t *cp)
{
    size_t j = i + 1, lim = i + 12 < len ? i + 12 : len;
    if (j < len && s[j] == '#') {
        bool hex = j + 1 < len && (s[j + 1] | 0x20) == 'x';
        int32_t v = 0;
        size_t d0 = j += 1 + hex, digits;
        for (; j < lim; j++) {
            int dv = s[j] >= '0' && s[j] <= '9' ? s[j] - '0'
                     : hex && (s[j] | 0x20) >= 'a' && (s[j] | 0x20) <= 'f'
                         ? (s[j] | 0x20) - 'a' + 10
                         : -1;
            if (dv < 0)
                break;
            if (v <= 0x10FFFF)
                v = v * (hex ? 16 : 10) + dv;
        }
        digits = j - d0;
        if (!digits || j >= len || s[j] != ';')
            return 0;
        *cp = (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) ? -1 : v;
        return j + 1 - i;
    }
    while (j < lim && (is_alpha((unsigned char)s[j]) || (s[j] >= '0' && s[j] <= '9')))
        j++;
    if (j == i + 1 || j >= len || s[j] != ';')
        return 0;
    for (size_t k = 0; k < sizeof entities / sizeof entities[0]; k++) {
        size_t nl = strlen(entities[k].name);
        if (nl == j - i - 1 && memcmp(entities[k].name, s + i + 1, nl) == 0) {
            *cp = entities[k].cp;
            return j + 1 - i;
        }
    }
    return 0;
}

/* ---- the pass ---- */

/* Is there an ASCII or full-width letter or digit at u[i]? */
static bool alnum_at(const unsigned char *u, size_t len, size_t i)
{
    if (i < len && u[i] < 0x80)
        return is_alnum(u[i]);
    if (i + 2 >= len || u[i] != 0xEF)
        return false;
    if (u[i + 1] == 0xBC) /* U+FF10..U+FF19, U+FF21..U+FF3A */
        return (u[i + 2] >= 0x90 && u[i + 2] <= 0x99) || (u[i + 2] >= 0xA1 && u[i + 2] <= 0xBA);
    return u[i + 1] == 0xBD && u[i + 2] >= 0x81 && u[i + 2] <= 0x9A; /* U+FF41..U+FF5A */
}

/* Length of a full stop at u[i]: '.' or its full-width form '．', else 0. */
static size_t dot_len(const unsigned char *u, size_t len, size_t i)
{
    if (i < len && u[i] == '.')
        return 1;
    if (i + 2 < len && u[i] == 0xEF && u[i + 1] == 0xBC && u[i + 2] == 0x8E)
        return 3;
    return 0;
}

unsigned normalize_text(const char *s, size_t len, struct strbuf *out, unsigned opts)
{
    struct norm n = {out, out->len, 0, opts, 0, 0, 0, 0};
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < len && !(n.flags & NORMALIZE_TRUNCATED)) {
        unsigned char c = u[i];
        int32_t cp;
        if (c == '<') {
            size_t e = skip_markup(&n, s, len, i);
            if (e) {
                i = e;
                continue;
            }
        } else if (c == '&') {
            size_t e = read_entity(s, len, i, &cp);
            if (e) {
                n.flags |= NORMALIZE_ENTITIES;
                emit(&n, cp < 0 ? 0xFFFD : cp);
                i += e;
                continue;
            }
        }
        if ((c == '.' || c == 0xEF) && n.last && is_cjk(n.last)) {
            size_t e = i, r = 0, w;
            while ((w = dot_len(u, len, e)) != 0)
                e += w, r++;
            if (r > 1 || (r == 1 && !alnum_at(u, len, e))) {
                /* "好的." and "等了很久..." in Chinese: 。 and …… */
                n.flags |= NORMALIZE_PUNCT | (e - i != r ? NORMALIZE_WIDTH : 0);
                emit(&n, r > 1 ? 0x2026 : 0x3002);
                i = e;
                continue;
            }
        }
        if (c < 0x80) {
            emit(&n, c);
            i++;
            continue;
        }
        if (c >= 0xE4 && c <= 0xE9 && i + 2 < len && (u[i + 1] & 0xC0) == 0x80 &&
            (u[i + 2] & 0xC0) == 0x80) {
            /* U+4000..U+9FFF, nearly all of a Chinese text: no rule but spacing applies */
            emit_han(&n, s + i);
            i += 3;
            continue;
        }
        i += (size_t)utf8_decode(u + i, len - i, &cp);
        if (cp < 0)
            n.flags |= NORMALIZE_BAD_UTF8;
        else
            emit(&n, cp);
    }
    end_ellipsis(&n);
    if (n.pend & (PEND_SPACE1 | PEND_WSMORE))
        n.flags |= NORMALIZE_WHITESPACE;
    if (out->overflow) {
        n.flags |= NORMALIZE_TRUNCATED;
        if (out->len > n.start && out->buf[out->len - 1] == ' ')
            strbuf_setlen(out, out->len - 1);
    }
    return n.flags;
}

const char *normalize_flag_name(unsigned bit)
{
    static const char *const names[NORMALIZE_NFLAGS] = {"html",  "entities",   "width",
                                                        "punct", "whitespace", "control",
                                                        "emoji", "bad_utf8",   "truncated"};
    for (int k = 0; k < NORMALIZE_NFLAGS; k++)
        if (bit == 1u << k)
            return names[k];
    return NULL;
}
