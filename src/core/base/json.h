/*
 * json: the edge checks kesu applies to all outside JSON before cJSON sees
 * it (cJSON accepts invalid UTF-8 and recurses without a useful limit).
 */
#ifndef KESU_JSON_H
#define KESU_JSON_H

#include <stddef.h>

#include "base/error.h"

struct cJSON;

#define JSON_MAX_DEPTH 16

/*
 * Parses one JSON document: valid UTF-8 and nesting depth at most
 * JSON_MAX_DEPTH, nothing but whitespace after it. Returns a cJSON tree
 * (free with cJSON_Delete) or NULL with err filled (code "malformed_json" or
 * "invalid_utf8", message with the byte offset).
 */
struct cJSON *json_parse_checked(const char *buf, size_t len, struct kerr *err);

#endif
