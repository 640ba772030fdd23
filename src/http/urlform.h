/*
 * urlform: application/x-www-form-urlencoded bodies (the public feedback
 * form, the survey page) as key/value pairs, and a JSON object of answers
 * in the same shape. No I/O; used by api_forms.c and api_surveys.c.
 */
#ifndef KESU_URLFORM_H
#define KESU_URLFORM_H

#include <stddef.h>

struct cJSON;

#define URLFORM_MAX 24 /* most fields any form takes */

struct urlform {
    size_t n;
    char *key[URLFORM_MAX], *val[URLFORM_MAX];
};

/*
 * Decodes s[0..len): '+' is a space, %XX a byte (a %00 is dropped, so the
 * text cannot be cut short; a '%' not followed by two hex digits is kept).
 * Returns a NUL-terminated copy (free it). Does not check UTF-8.
 */
char *urlform_decode(const char *s, size_t len);

/*
 * Parses a body of key=value pairs joined by '&' into kv (zeroed by the
 * caller); empty pairs are skipped, a key without '=' has the value "".
 * Returns 0, or -1 when there are more than max (<= URLFORM_MAX) fields;
 * either way free kv with urlform_free.
 */
int urlform_parse(const char *body, size_t len, size_t max, struct urlform *kv);

/*
 * The members of a JSON object as text (numbers as "%.17g"; null members
 * skipped). Returns 0, or -1 with *bad naming the member that is nested,
 * not a string or number, or one too many (more than max).
 */
int urlform_from_json(const struct cJSON *obj, size_t max, struct urlform *kv, const char **bad);

/* The value of the first field named key, or NULL. */
const char *urlform_get(const struct urlform *kv, const char *key);

void urlform_free(struct urlform *kv);

#endif
