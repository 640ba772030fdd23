/*
 * strbuf: an owned, growable, always NUL-terminated byte buffer that knows
 * its length. A buffer may carry a cap; appending past it sets `overflow`
 * and drops the data, so code fed by the outside world checks one flag
 * instead of every append.
 *
 *     struct strbuf sb = STRBUF_INIT;
 *     strbuf_addf(&sb, "%d records", n);
 *     ... use sb.buf, sb.len ...
 *     strbuf_release(&sb);
 */
#ifndef KESU_STRBUF_H
#define KESU_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
    char *buf;     /* never NULL after init; NUL-terminated */
    size_t len;    /* bytes used, not counting the NUL */
    size_t alloc;  /* bytes allocated, 0 while buf points at the shared empty string */
    size_t cap;    /* 0 = no cap; otherwise the largest len allowed */
    bool overflow; /* set when an append would have passed cap */
};

extern char strbuf_empty[];
#define STRBUF_INIT                                                                                \
    {                                                                                              \
        strbuf_empty, 0, 0, 0, false                                                               \
    }

void strbuf_init(struct strbuf *sb, size_t hint);
/* Frees the buffer and leaves sb empty and reusable. */
void strbuf_release(struct strbuf *sb);
/* Hands the buffer to the caller (free with free()); sb is left empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_reset(struct strbuf *sb);
void strbuf_setlen(struct strbuf *sb, size_t len);

/* Appends; each returns false (and sets overflow) when the cap would be passed. */
bool strbuf_add(struct strbuf *sb, const void *data, size_t len);
bool strbuf_addstr(struct strbuf *sb, const char *s);
bool strbuf_addch(struct strbuf *sb, char c);
bool strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append the string s (NULL: nothing), or len bytes of s, with < > & " ' as HTML character
 * references: safe inside element text and quoted attribute values. */
bool strbuf_addhtml(struct strbuf *sb, const char *s);
bool strbuf_addhtmln(struct strbuf *sb, const char *s, size_t len);
bool strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
