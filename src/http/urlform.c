/*
 * urlform.c: urlencoded form bodies as key/value pairs (see urlform.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/xmalloc.h"
#include "http/urlform.h"
#include "base/banned.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

char *urlform_decode(const char *s, size_t len)
{
    char *out = xmalloc(len + 1), *o = out;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        } else if (s[i] == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            char c = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            if (c) /* a NUL would cut the text short: drop it */
                *o++ = c;
            i += 2;
        } else {
            *o++ = s[i];
        }
    }
    *o = 0;
    return out;
}

int urlform_parse(const char *body, size_t len, size_t max, struct urlform *kv)
{
    size_t i = 0;
    if (max > URLFORM_MAX)
        max = URLFORM_MAX;
    while (i < len) {
        size_t j = i, eq = (size_t)-1;
        while (j < len && body[j] != '&') {
            if (body[j] == '=' && eq == (size_t)-1)
                eq = j;
            j++;
        }
        if (j > i) {
            if (kv->n == max)
                return -1;
            size_t kend = eq == (size_t)-1 ? j : eq;
            kv->key[kv->n] = urlform_decode(body + i, kend - i);
            kv->val[kv->n] =
                eq == (size_t)-1 ? xstrdup("") : urlform_decode(body + eq + 1, j - eq - 1);
            kv->n++;
        }
        i = j + 1;
    }
    return 0;
}

int urlform_from_json(const cJSON *obj, size_t max, struct urlform *kv, const char **bad)
{
    const cJSON *v;
    if (max > URLFORM_MAX)
        max = URLFORM_MAX;
    cJSON_ArrayForEach(v, obj)
    {
        char buf[32];
        if (kv->n == max) {
            *bad = v->string;
            return -1;
        }
        if (cJSON_IsNull(v))
            continue;
        if (cJSON_IsNumber(v))
            snprintf(buf, sizeof buf, "%.17g", v->valuedouble);
        else if (!cJSON_IsString(v)) {
            *bad = v->string;
            return -1;
        }
        kv->key[kv->n] = xstrdup(v->string ? v->string : "");
        kv->val[kv->n] = xstrdup(cJSON_IsString(v) ? v->valuestring : buf);
        kv->n++;
    }
    return 0;
}

const char *urlform_get(const struct urlform *kv, const char *key)
{
    for (size_t i = 0; i < kv->n; i++)
        if (strcmp(kv->key[i], key) == 0)
            return kv->val[i];
    return NULL;
}

void urlform_free(struct urlform *kv)
{
    for (size_t i = 0; i < kv->n; i++) {
        free(kv->key[i]);
        free(kv->val[i]);
    }
    kv->n = 0;
}
