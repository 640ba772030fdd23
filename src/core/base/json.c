/* json: UTF-8 and depth checks in front of cJSON. */
#include <stdbool.h>

#include <cjson/cJSON.h>

#include "base/json.h"
#include "base/utf8.h"

/* Returns the largest nesting depth of brackets outside strings. */
static int max_depth(const char *s, size_t len)
{
    int depth = 0, maxd = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > maxd)
                maxd = depth;
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return maxd;
}

struct cJSON *json_parse_checked(const char *buf, size_t len, struct kerr *err)
{
    const char *end = NULL;
    long bad = utf8_invalid_at(buf, len);
    cJSON *j;

    if (bad >= 0) {
        kerr_set(err, KERR_INVALID, "invalid_utf8", "", "body is not valid UTF-8 (byte %ld)", bad);
        return NULL;
    }
    if (max_depth(buf, len) > JSON_MAX_DEPTH) {
        kerr_set(err, KERR_INVALID, "malformed_json", "", "JSON nested deeper than %d levels",
                 JSON_MAX_DEPTH);
        return NULL;
    }
    j = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!j) {
        const char *at = end; /* cJSON stores the error position there */
        long off = at && at >= buf && at <= buf + len ? (long)(at - buf) : -1;
        kerr_set(err, KERR_INVALID, "malformed_json", "", "malformed JSON near byte %ld", off);
        return NULL;
    }
    while (end && end < buf + len &&
           (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t' || *end == '\0'))
        end++;
    if (end && end < buf + len) {
        cJSON_Delete(j);
        kerr_set(err, KERR_INVALID, "malformed_json", "", "unexpected data after JSON at byte %ld",
                 (long)(end - buf));
        return NULL;
    }
    return j;
}
