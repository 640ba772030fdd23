/*
 * html: HTML mail bodies to plain text. See html.h.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "base/utf8.h"
#include "intake/html.h"
#include "base/banned.h"

struct emit {
    struct strbuf *out;
    size_t start;
    int newlines; /* newlines at the end of the output */
    bool space;   /* a collapsed space is pending */
};

static void put_text(struct emit *e, const char *p, size_t n)
{
    if (e->out->overflow)
        return;
    if (e->space && e->newlines == 0 && e->out->len > e->start)
        strbuf_addch(e->out, ' ');
    e->space = false;
    e->newlines = 0;
    if (e->out->cap && e->out->len + n > e->out->cap) {
        size_t room = e->out->cap - e->out->len;
        while (room > 0 && ((unsigned char)p[room] & 0xC0) == 0x80)
            room--;
        strbuf_add(e->out, p, room);
        e->out->overflow = true;
        return;
    }
    strbuf_add(e->out, p, n);
}

static void put_newline(struct emit *e)
{
    e->space = false;
    if (e->out->len == e->start || e->newlines >= 1)
        return;
    strbuf_addch(e->out, '\n');
    e->newlines++;
}

static const char *const block_tags[] = {
    "p",      "div",     "tr",      "li",     "ul",         "ol",      "table",
    "h1",     "h2",      "h3",      "h4",     "h5",         "h6",      "hr",
    "pre",    "dl",      "dt",      "dd",     "nav",        "form",    "header",
    "footer", "center",  "main",    "tbody",  "blockquote", "section", "article",
    "aside",  "address", "caption", "figure", "fieldset",   "thead",   NULL};

/* Elements skipped together with their content. */
static const char *const skip_tags[] = {"script",   "style",    "head", "title",
                                        "noscript", "template", "xml",  NULL};

static bool in_list(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcasecmp(*list, name) == 0)
            return true;
    return false;
}

/* Finds needle (ASCII, case-insensitive) in s[0..n); returns its offset or n. */
static size_t find_ci(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(s + i, needle, k) == 0)
            return i;
    return n;
}

/* Offset just past the '>' that ends a tag starting at s[0] == '<' (quotes respected). */
static size_t tag_end(const char *s, size_t n)
{
    char q = 0;
    for (size_t i = 1; i < n; i++) {
        if (q) {
            if (s[i] == q)
                q = 0;
        } else if (s[i] == '"' || s[i] == '\'') {
            q = s[i];
        } else if (s[i] == '>') {
            return i + 1;
        }
    }
    return n;
}

static const struct {
    const char *name;
    int32_t cp;
} entities[] = {
    {"amp", '&'},     {"lt", '<'},       {"gt", '>'},       {"quot", '"'},     {"apos", '\''},
    {"nbsp", ' '},    {"ensp", ' '},     {"emsp", ' '},     {"thinsp", ' '},   {"copy", 0xA9},
    {"reg", 0xAE},    {"trade", 0x2122}, {"mdash", 0x2014}, {"ndash", 0x2013}, {"hellip", 0x2026},
    {"middot", 0xB7}, {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"lsquo", 0x2018}, {"rsquo", 0x2019},
    {"laquo", 0xAB},  {"raquo", 0xBB},   {"yen", 0xA5},     {"times", 0xD7},   {"divide", 0xF7},
    {"deg", 0xB0},    {"bull", 0x2022},  {"euro", 0x20AC},  {"cent", 0xA2},    {"pound", 0xA3},
    {"sect", 0xA7},   {"para", 0xB6},
};

/* Decodes a character reference at s[0] == '&'; returns its length (0 = not one). */
static size_t entity(const char *s, size_t n, int32_t *cp)
{
    size_t i = 1;
    char name[12];
    if (i < n && s[i] == '#') {
        int32_t v = 0;
        bool hex = i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X');
        size_t d0;
        i += hex ? 2 : 1;
        d0 = i;
        while (i < n && i - d0 < 8 &&
               (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i]))) {
            int c = (unsigned char)s[i];
            v = v * (hex ? 16 : 10) + (isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
            i++;
        }
        if (i == d0)
            return 0;
        if (i < n && s[i] == ';')
            i++;
        if (v <= 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            v = 0xFFFD;
        *cp = v;
        return i;
    }
    while (i < n && i - 1 < sizeof(name) - 1 && isalnum((unsigned char)s[i])) {
        name[i - 1] = s[i];
        i++;
    }
    name[i - 1] = '\0';
    if (i == 1 || i >= n || s[i] != ';')
        return 0;
    for (size_t k = 0; k < sizeof(entities) / sizeof(entities[0]); k++)
        if (strcmp(entities[k].name, name) == 0) {
            *cp = entities[k].cp;
            return i + 1;
        }
    return 0;
}

/* Handles the tag at s[0] == '<'; returns how many bytes it used. */
static size_t tag(struct emit *e, const char *s, size_t n)
{
    char name[16];
    size_t i = 1, k = 0, end;
    bool closing = false;

    if (n >= 4 && memcmp(s, "<!--", 4) == 0) {
        size_t c = find_ci(s + 4, n - 4, "-->");
        return c == n - 4 ? n : 4 + c + 3;
    }
    if (i < n && s[i] == '/') {
        closing = true;
        i++;
    }
    if (i >= n || !isalpha((unsigned char)s[i])) {
        if (i < n && (s[i] == '!' || s[i] == '?'))
            return tag_end(s, n);
        put_text(e, "<", 1); /* a lone '<' in text */
        return 1;
    }
    while (i < n && isalnum((unsigned char)s[i]) && k + 1 < sizeof(name))
        name[k++] = s[i++];
    name[k] = '\0';
    end = tag_end(s, n);
    if (!closing && in_list(skip_tags, name)) {
        char close[24] = "</";
        memcpy(close + 2, name, k + 1);
        size_t c = find_ci(s + end, n - end, close);
        if (c == n - end && strcasecmp(name, "head") == 0) /* unclosed head: up to <body> */
            return end + find_ci(s + end, n - end, "<body");
        if (c == n - end)
            return n;
        return end + c + tag_end(s + end + c, n - end - c);
    }
    if (strcasecmp(name, "br") == 0) {
        e->space = false;
        if (e->newlines < 2 && e->out->len > e->start) {
            strbuf_addch(e->out, '\n');
            e->newlines++;
        }
    } else if (in_list(block_tags, name)) {
        put_newline(e);
    } else if (strcasecmp(name, "td") == 0 || strcasecmp(name, "th") == 0) {
        e->space = true;
    }
    return end;
}

void html_to_text(const char *s, size_t n, struct strbuf *out)
{
    struct emit e = {out, out->len, 0, false};
    size_t i = 0;

    while (i < n && !out->overflow) {
        unsigned char c = (unsigned char)s[i];
        if (c == '<') {
            i += tag(&e, s + i, n - i);
        } else if (c == '&') {
            int32_t cp;
            size_t used = entity(s + i, n - i, &cp);
            if (used == 0) {
                put_text(&e, "&", 1);
                i++;
            } else if (cp == ' ') {
                e.space = true;
                i += used;
            } else {
                char u[4];
                put_text(&e, u, (size_t)utf8_encode(cp, u));
                i += used;
            }
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f') {
            e.space = true;
            i++;
        } else {
            size_t j = i + 1;
            while (j < n && s[j] != '<' && s[j] != '&' && s[j] != ' ' && s[j] != '\t' &&
                   s[j] != '\r' && s[j] != '\n' && s[j] != '\f')
                j++;
            put_text(&e, s + i, j - i);
            i = j;
        }
    }
    while (out->len > e.start && out->buf[out->len - 1] == '\n')
        strbuf_setlen(out, out->len - 1);
}

bool html_meta_charset(const char *s, size_t n, char *buf, size_t bufsz)
{
    size_t lim = n < 4096 ? n : 4096, at = 0;
    while (at < lim) {
        size_t m = find_ci(s + at, lim - at, "<meta");
        if (m == lim - at)
            return false;
        at += m + 5;
        size_t end = at + tag_end(s + at - 5, lim - at + 5) - 5;
        size_t c = find_ci(s + at, end - at, "charset=");
        if (c == end - at)
            continue;
        size_t p = at + c + 8, k = 0;
        while (p < end && (s[p] == '"' || s[p] == '\'' || s[p] == ' '))
            p++;
        while (p < end && k + 1 < bufsz &&
               (isalnum((unsigned char)s[p]) || s[p] == '-' || s[p] == '_' || s[p] == '.' ||
                s[p] == ':'))
            buf[k++] = s[p++];
        buf[k] = '\0';
        if (k > 0)
            return true;
    }
    return false;
}
