/*
 * jsonrec.c: the fast path from one JSON text to a record, for bulk intake.
 *
 * json_parse_checked + record_from_json build a cJSON tree first: some
 * sixty small allocations per record, most of an import's parsing time.
 * This parser reads the object in one pass straight into the record. It
 * only ever says yes for input the checked path accepts, with the same
 * result; on anything else (an error, or a shape it does not take on, such
 * as floats or escapes inside extra) it answers JSONREC_SLOW and the caller
 * runs the checked path, which gives the exact error. So errors cost two
 * parses and good records one.
 */
#include "intake/jsonrec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "base/banned.h"

struct cur {
    const char *p, *end;
    char *buf; /* decoded string scratch, at least as long as the input */
};

static void ws(struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        v <<= 4;
        if (ch >= '0' && ch <= '9')
            v |= (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            v |= (unsigned)(ch - 'a' + 10);
        else if (ch >= 'A' && ch <= 'F')
            v |= (unsigned)(ch - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Decodes a string at c->p (on the quote) into c->buf; returns its length or -1. */
static long string(struct cur *c)
{
    char *o = c->buf;
    if (c->p >= c->end || *c->p != '"')
        return -1;
    c->p++;
    while (c->p < c->end) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* eight bytes at a time while none is a quote, a backslash or a control character */
        while (c->end - c->p >= 8) {
            uint64_t w, q, b, m;
            memcpy(&w, c->p, 8);
            q = w ^ (ONES * '"');
            b = w ^ (ONES * '\\');
            m = (((q - ONES) & ~q) | ((b - ONES) & ~b) | ((w - ONES * 0x20) & ~w)) & HIGHS;
            memcpy(o, c->p, 8); /* o trails c->p in a buffer as long as the input */
            if (m) {
                /* the lowest flagged byte is the first special one (little-endian) */
                unsigned k = (unsigned)__builtin_ctzll(m) >> 3;
                o += k;
                c->p += k;
                break;
            }
            o += 8;
            c->p += 8;
        }
#endif
        if (c->p >= c->end)
            break;
        unsigned char ch = (unsigned char)*c->p++;
        if (ch == '"')
            return (long)(o - c->buf);
        if (ch < 0x20)
            return -1;
        if (ch != '\\') {
            *o++ = (char)ch;
            continue;
        }
        if (c->p >= c->end)
            return -1;
        switch (*c->p++) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '/':
            *o++ = '/';
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            unsigned u, lo;
            if (c->end - c->p < 4 || hex4(c->p, &u) < 0)
                return -1;
            c->p += 4;
            if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF))
                return -1; /* NUL, lone low surrogate: the checked path decides */
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
                    hex4(c->p + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                c->p += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            }
            o += utf8_encode((int32_t)u, o);
            break;
        }
        default:
            return -1;
        }
    }
    return -1;
}

/* A nested array or object the checked path would print back byte for byte: no whitespace,
 * no escapes, integers only. Returns its end or NULL. */
static const char *plain_json(const char *p, const char *end, int depth)
{
    char open = *p, close = open == '{' ? '}' : ']';
    if (depth > JSON_MAX_DEPTH)
        return NULL;
    p++;
    if (p < end && *p == close)
        return p + 1;
    for (;;) {
        if (open == '{') {
            if (p >= end || *p != '"')
                return NULL;
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\' || (unsigned char)*p < 0x20)
                    return NULL;
            if (++p >= end || *p++ != ':')
                return NULL;
        }
        if (p >= end)
            return NULL;
        if (*p == '"') {
            for (p++; p < end && *p != '"'; p++)
                if (*p == '\\' || (unsigned char)*p < 0x20)
                    return NULL;
            p++;
        } else if (*p == '{' || *p == '[') {
            if (!(p = plain_json(p, end, depth + 1)))
                return NULL;
        } else if (*p >= '1' && *p <= '9') {
            int nd = 0;
            while (p < end && *p >= '0' && *p <= '9')
                p++, nd++;
            if (nd > 15) /* beyond what a double prints back the same */
                return NULL;
        } else if (*p == '0') {
            p++;
        } else if (end - p >= 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "null", 4) == 0)) {
            p += 4;
        } else if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
            p += 5;
        } else {
            return NULL;
        }
        if (p >= end)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static int number(struct cur *c, double *out)
{
    const char *s = c->p;
    char tmp[64];
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p >= c->end)
        return -1;
    if (*c->p == '0')
        c->p++;
    else if (*c->p >= '1' && *c->p <= '9')
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
    else
        return -1;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return -1;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (c->p >= c->end || *c->p < '0' || *c->p > '9')
            return -1;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
            c->p++;
    }
    if ((size_t)(c->p - s) >= sizeof tmp)
        return -1;
    memcpy(tmp, s, (size_t)(c->p - s));
    tmp[c->p - s] = 0;
    *out = strtod(tmp, NULL);
    return 0;
}

int record_parse_json(struct record *r, const char *text, size_t len, struct kerr *err)
{
    char small[2048];
    struct cur c = {text, text + len, len < sizeof small ? small : xmalloc(len + 1)};
    int rc = JSONREC_SLOW;

    if (utf8_invalid_at(text, len) >= 0)
        goto out;
    ws(&c);
    if (c.p >= c.end || *c.p++ != '{')
        goto out;
    ws(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
        goto done;
    }
    for (;;) {
        const struct record_field *f;
        long n;
        ws(&c);
        if ((n = string(&c)) < 0)
            goto out;
        c.buf[n] = 0;
        f = record_field_by_name(c.buf);
        if (!f || !(f->flags & RF_INPUT))
            goto out;
        ws(&c);
        if (c.p >= c.end || *c.p++ != ':')
            goto out;
        ws(&c);
        if (c.p >= c.end)
            goto out;
        if (*c.p == '"') {
            if (f->kind == RF_JSON_ARR || f->kind == RF_JSON_OBJ || (n = string(&c)) < 0)
                goto out;
            /* the whole text was checked above, and decoded escapes are valid UTF-8 */
            if (record_set_utf8(r, f, c.buf, (size_t)n, err) < 0)
                goto out;
        } else if (*c.p == '{' || *c.p == '[') {
            const char *end;
            if ((f->kind != RF_JSON_OBJ || *c.p != '{') && (f->kind != RF_JSON_ARR || *c.p != '['))
                goto out;
            if (!(end = plain_json(c.p, c.end, 2)) || (size_t)(end - c.p) > f->max)
                goto out;
            free(*record_str(r, f));
            *record_str(r, f) = xstrndup(c.p, (size_t)(end - c.p));
            c.p = end;
        } else if (*c.p == 'n') {
            if (c.end - c.p < 4 || memcmp(c.p, "null", 4) != 0)
                goto out;
            c.p += 4;
        } else {
            double d;
            if ((f->kind != RF_NUM && f->kind != RF_INT) || number(&c, &d) < 0)
                goto out;
            if (f->kind == RF_INT) {
                if (d != (double)(int64_t)d)
                    goto out;
                *record_time(r, f) = (int64_t)d;
            } else {
                *record_num(r, f) = d;
            }
        }
        ws(&c);
        if (c.p >= c.end)
            goto out;
        if (*c.p == '}') {
            c.p++;
            break;
        }
        if (*c.p++ != ',')
            goto out;
    }
done:
    ws(&c);
    rc = c.p == c.end ? 0 : JSONREC_SLOW;
out:
    if (c.buf != small)
        free(c.buf);
    return rc;
}
