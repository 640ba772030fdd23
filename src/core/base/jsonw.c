/* jsonw: streaming JSON writer. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/jsonw.h"

void jsonw_init(struct jsonw *w, struct strbuf *sb)
{
    w->sb = sb;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
}

static void sep(struct jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth])
        strbuf_addch(w->sb, ',');
    w->first[w->depth] = false;
}

static void open(struct jsonw *w, char c)
{
    sep(w);
    strbuf_addch(w->sb, c);
    if (w->depth + 1 < JSONW_MAX_DEPTH)
        w->depth++;
    w->first[w->depth] = true;
    w->closer[w->depth] = c == '{' ? '}' : ']';
}

void jsonw_obj(struct jsonw *w)
{
    open(w, '{');
}

void jsonw_arr(struct jsonw *w)
{
    open(w, '[');
}

void jsonw_end(struct jsonw *w)
{
    if (w->depth == 0)
        return;
    strbuf_addch(w->sb, w->closer[w->depth]);
    w->depth--;
}

void jsonw_key(struct jsonw *w, const char *key)
{
    sep(w);
    json_escape(w->sb, key, strlen(key));
    strbuf_addch(w->sb, ':');
    w->after_key = true;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

void json_escape(struct strbuf *sb, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = 0;

    strbuf_grow(sb, len + 2);
    strbuf_addch(sb, '"');
    for (size_t i = 0; i < len; i++) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* skip eight bytes at a time while none needs escaping (SWAR: a quote, a backslash,
         * DEL or a control byte); the lowest flagged byte is the first such */
        while (i + 8 <= len) {
            uint64_t w, q, b, d, m;
            memcpy(&w, s + i, 8);
            q = w ^ (ONES * '"');
            b = w ^ (ONES * '\\');
            d = w ^ (ONES * 0x7f);
            m = (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((d - ONES) & ~d) |
                 ((w - ONES * 0x20) & ~w)) &
                HIGHS;
            if (m) {
                i += (unsigned)__builtin_ctzll(m) >> 3;
                break;
            }
            i += 8;
        }
        if (i >= len)
            break;
#endif
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        strbuf_add(sb, s + start, i - start);
        start = i + 1;
        switch (c) {
        case '"':
            strbuf_add(sb, "\\\"", 2);
            break;
        case '\\':
            strbuf_add(sb, "\\\\", 2);
            break;
        case '\n':
            strbuf_add(sb, "\\n", 2);
            break;
        case '\r':
            strbuf_add(sb, "\\r", 2);
            break;
        case '\t':
            strbuf_add(sb, "\\t", 2);
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            strbuf_add(sb, u, 6);
        }
        }
    }
    strbuf_add(sb, s + start, len - start);
    strbuf_addch(sb, '"');
}

void jsonw_strn(struct jsonw *w, const char *s, size_t len)
{
    sep(w);
    json_escape(w->sb, s, len);
}

void jsonw_str(struct jsonw *w, const char *s)
{
    if (!s) {
        jsonw_null(w);
        return;
    }
    jsonw_strn(w, s, strlen(s));
}

/* Decimal digits of v (no printf: a reply writes many integers). */
static void add_int(struct strbuf *sb, int64_t v)
{
    char buf[24], *p = buf + sizeof buf;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    strbuf_add(sb, p, (size_t)(buf + sizeof buf - p));
}

void jsonw_int(struct jsonw *w, int64_t v)
{
    sep(w);
    add_int(w->sb, v);
}

void jsonw_double(struct jsonw *w, double v)
{
    sep(w);
    if (!isfinite(v))
        strbuf_add(w->sb, "null", 4);
    else if (v == (double)(long long)v && fabs(v) < 1e15)
        add_int(w->sb, (int64_t)v);
    else
        strbuf_addf(w->sb, "%.6g", v);
}

void jsonw_bool(struct jsonw *w, bool v)
{
    sep(w);
    strbuf_addstr(w->sb, v ? "true" : "false");
}

void jsonw_null(struct jsonw *w)
{
    sep(w);
    strbuf_add(w->sb, "null", 4);
}

void jsonw_raw(struct jsonw *w, const char *json, size_t len)
{
    sep(w);
    strbuf_add(w->sb, json, len);
}

void jsonw_kstr(struct jsonw *w, const char *key, const char *s)
{
    jsonw_key(w, key);
    jsonw_str(w, s);
}

void jsonw_kint(struct jsonw *w, const char *key, int64_t v)
{
    jsonw_key(w, key);
    jsonw_int(w, v);
}

void jsonw_kdouble(struct jsonw *w, const char *key, double v)
{
    jsonw_key(w, key);
    jsonw_double(w, v);
}

void jsonw_kbool(struct jsonw *w, const char *key, bool v)
{
    jsonw_key(w, key);
    jsonw_bool(w, v);
}
