/*
 * jsonw: a streaming JSON writer into a strbuf. Commas and nesting are
 * tracked for the caller; strings are escaped (input must be valid UTF-8).
 *
 *     struct jsonw w;
 *     jsonw_init(&w, &sb);
 *     jsonw_obj(&w);
 *     jsonw_kstr(&w, "channel", "web");
 *     jsonw_kint(&w, "id", 42);
 *     jsonw_end(&w);
 */
#ifndef KESU_JSONW_H
#define KESU_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/strbuf.h"

#define JSONW_MAX_DEPTH 32

struct jsonw {
    struct strbuf *sb;
    int depth;
    bool first[JSONW_MAX_DEPTH];
    char closer[JSONW_MAX_DEPTH];
    bool after_key;
};

void jsonw_init(struct jsonw *w, struct strbuf *sb);
void jsonw_obj(struct jsonw *w);
void jsonw_arr(struct jsonw *w);
/* Closes the innermost object or array. */
void jsonw_end(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);

void jsonw_str(struct jsonw *w, const char *s); /* NULL writes null */
void jsonw_strn(struct jsonw *w, const char *s, size_t len);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_double(struct jsonw *w, double v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* Writes already-encoded JSON as one value. */
void jsonw_raw(struct jsonw *w, const char *json, size_t len);

/* key + value shorthands */
void jsonw_kstr(struct jsonw *w, const char *key, const char *s);
void jsonw_kint(struct jsonw *w, const char *key, int64_t v);
void jsonw_kdouble(struct jsonw *w, const char *key, double v);
void jsonw_kbool(struct jsonw *w, const char *key, bool v);

/* Appends s escaped as a JSON string (with quotes) to sb. */
void json_escape(struct strbuf *sb, const char *s, size_t len);

#endif
