/* strbuf: growable byte buffers with an optional cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/xmalloc.h"

char strbuf_empty[1];

void strbuf_init(struct strbuf *sb, size_t hint)
{
    sb->buf = strbuf_empty;
    sb->len = sb->alloc = sb->cap = 0;
    sb->overflow = false;
    if (hint)
        strbuf_grow(sb, hint);
}

void strbuf_release(struct strbuf *sb)
{
    size_t cap = sb->cap;
    if (sb->alloc)
        free(sb->buf);
    strbuf_init(sb, 0);
    sb->cap = cap;
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
    char *p;
    if (!sb->alloc)
        strbuf_grow(sb, 0);
    p = sb->buf;
    if (len)
        *len = sb->len;
    strbuf_init(sb, 0);
    return p;
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;
    if (need <= sb->alloc)
        return;
    size_t n = sb->alloc ? sb->alloc : 64;
    while (n < need)
        n = n * 3 / 2 + 16;
    if (!sb->alloc) {
        sb->buf = xmalloc(n);
        sb->buf[0] = '\0';
    } else {
        sb->buf = xrealloc(sb->buf, n);
    }
    sb->alloc = n;
}

void strbuf_reset(struct strbuf *sb)
{
    strbuf_setlen(sb, 0);
    sb->overflow = false;
}

void strbuf_setlen(struct strbuf *sb, size_t len)
{
    if (!sb->alloc)
        return;
    sb->len = len;
    sb->buf[len] = '\0';
}

static bool fits(struct strbuf *sb, size_t len)
{
    if (sb->cap && sb->len + len > sb->cap) {
        sb->overflow = true;
        return false;
    }
    return true;
}

bool strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
    if (!fits(sb, len))
        return false;
    strbuf_grow(sb, len);
    memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
    return true;
}

bool strbuf_addstr(struct strbuf *sb, const char *s)
{
    return strbuf_add(sb, s, strlen(s));
}

bool strbuf_addch(struct strbuf *sb, char c)
{
    if (!fits(sb, 1))
        return false;
    strbuf_grow(sb, 1);
    sb->buf[sb->len++] = c;
    sb->buf[sb->len] = '\0';
    return true;
}

bool strbuf_addhtmln(struct strbuf *sb, const char *s, size_t len)
{
    bool ok = true;
    size_t run = 0; /* bytes before i that need no escape, added in one go */
    for (size_t i = 0; s && i < len; i++) {
        const char *ref;
        switch (s[i]) {
        case '<':
            ref = "&lt;";
            break;
        case '>':
            ref = "&gt;";
            break;
        case '&':
            ref = "&amp;";
            break;
        case '"':
            ref = "&quot;";
            break;
        case '\'':
            ref = "&#39;";
            break;
        default:
            run++;
            continue;
        }
        ok = ok && strbuf_add(sb, s + i - run, run) && strbuf_addstr(sb, ref);
        run = 0;
    }
    return ok && (!run || strbuf_add(sb, s + len - run, run));
}

bool strbuf_addhtml(struct strbuf *sb, const char *s)
{
    return strbuf_addhtmln(sb, s, s ? strlen(s) : 0);
}

bool strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    strbuf_grow(sb, 64);
    va_copy(cp, ap);
    n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
    va_end(cp);
    if (n < 0)
        return false;
    if (!fits(sb, (size_t)n)) {
        sb->buf[sb->len] = '\0';
        return false;
    }
    if ((size_t)n >= sb->alloc - sb->len) {
        strbuf_grow(sb, (size_t)n);
        vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
    }
    sb->len += (size_t)n;
    return true;
}

bool strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    bool ok;
    va_start(ap, fmt);
    ok = strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
    return ok;
}
