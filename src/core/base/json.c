/* json: UTF-8 and depth checks in front of cJSON. */
#include <stdbool.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/json.h"
#include "base/utf8.h"

/*
 * One pass over the raw text, outside cJSON: the deepest nesting, and the
 * first string holding an escaped NUL (\u0000), which C strings would cut
 * short. *nul_key gets the member of the outermost object it sits under.
 */
static int scan(const char *s, size_t len, bool *nul, char *nul_key, size_t keymax)
{
    int depth = 0, maxd = 0, obj_depth = 0;
    size_t str_at = 0, key_at = 0, key_len = 0;
    bool in_str = false;
    *nul = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') {
                if (!*nul && i + 5 < len && memcmp(s + i + 1, "u0000", 5) == 0) {
                    *nul = true;
                    size_t n = key_len < keymax - 1 ? key_len : keymax - 1;
                    memcpy(nul_key, s + key_at, n);
                    nul_key[n] = 0;
                }
                i++;
            } else if (c == '"') {
                in_str = false;
                size_t j = i + 1;
                while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r'))
                    j++;
                if (j < len && s[j] == ':' && depth == obj_depth) {
                    key_at = str_at;
                    key_len = i - str_at;
                }
            }
        } else if (c == '"') {
            in_str = true;
            str_at = i + 1;
        } else if (c == '{' || c == '[') {
            if (c == '{' && !obj_depth)
                obj_depth = depth + 1;
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
    char key[64] = "";
    bool nul;
    if (scan(buf, len, &nul, key, sizeof key) > JSON_MAX_DEPTH) {
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
    if (nul) {
        cJSON_Delete(j);
        kerr_set(err, KERR_INVALID, "invalid_character", key,
                 "%s holds the character U+0000, which kesu does not store",
                 *key ? key : "a string");
        return NULL;
    }
    return j;
}
