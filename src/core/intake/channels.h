/*
 * channels: how the doors other than the plain API are set up, read from
 * one JSON file (setting `channels`, default DATA/channels.json; see
 * docs/channels.md). Absent file = built-in defaults: no webhook sources,
 * the device rule "3 faults within 60 minutes", one public form "default".
 *
 *   {
 *     "hooks": {
 *       "tmall": {
 *         "secret": "…",                     HMAC-SHA256 key (required)
 *         "signature_header": "X-Signature", header holding hex, base64 or "sha256=<hex>"
 *         "timestamp_header": "X-Timestamp", optional: signs "<timestamp>.<body>",
 *                                            refused when more than 300 s off
 *         "channel": "ecommerce",
 *         "items": "/data/reviews",          optional: pointer to an array of items
 *         "fields": {"external_id": "/id", "text": "/content", "rating": "/score", …},
 *         "defaults": {"product": "…"}       constant field values
 *       }
 *     },
 *     "devices": {"threshold": 3, "window_minutes": 60},
 *     "forms": {
 *       "default": {"title": "意见反馈", "intro": "…", "channel": "qr",
 *                   "context": ["store", "product", "order_no", "table", "room"]}
 *     },
 *     "rate_limit": {"form_per_minute": 10},
 *     "rules": {                             collection rules per channel
 *       "ecommerce": {"required": ["order_no", "product"],
 *                     "defaults": {"category_l1": "电商"}}
 *     },
 *     "expected_channels": ["web", "hotline", "ecommerce"]   for the coverage report
 *   }
 */
#ifndef KESU_CHANNELS_H
#define KESU_CHANNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "intake/record.h"

struct cJSON;

#define HOOK_MAX_FIELDS 32

struct hook_source {
    char *name;
    unsigned char *secret;
    size_t secret_len;
    char *signature_header;
    char *timestamp_header; /* NULL: no timestamp */
    char *channel;
    char *items; /* JSON pointer or NULL */
    size_t nfields;
    struct {
        const struct record_field *field;
        char *pointer;
    } fields[HOOK_MAX_FIELDS];
    size_t ndefaults;
    struct {
        const struct record_field *field;
        char *value;
    } defaults[HOOK_MAX_FIELDS];
};

struct form_def {
    char *name, *title, *intro, *channel;
    size_t ncontext;
    char *context[8];
};

#define RULE_MAX_FIELDS 16

/* A channel's collection rule: fields it must deliver, values it gets when absent. */
struct channel_rule {
    char *channel;
    size_t nrequired, ndefaults;
    const struct record_field *required[RULE_MAX_FIELDS];
    const struct record_field *dfield[RULE_MAX_FIELDS];
    char *dvalue[RULE_MAX_FIELDS];
};

struct channels_conf {
    size_t nhooks;
    struct hook_source *hooks;
    int device_threshold;
    int64_t device_window_ms;
    size_t nforms;
    struct form_def *forms;
    int form_per_minute;
    size_t nrules;
    struct channel_rule *rules;
    size_t nexpected;
    char **expected; /* channels expected to deliver (coverage); none = no expectation */
};

/*
 * Applies the record's channel rule: fills defaults for absent fields and
 * sets QUALITY_MISSING when a required field is absent (the record is kept:
 * the quality report shows it).
 */
void channels_apply_rules(const struct channels_conf *c, struct record *r);

/* Loads path; a missing file gives the defaults. Errors name the JSON member. */
int channels_load(const char *path, struct channels_conf **out, struct kerr *err);
void channels_free(struct channels_conf *c);

const struct hook_source *channels_hook(const struct channels_conf *c, const char *name);
const struct form_def *channels_form(const struct channels_conf *c, const char *name);

/* RFC 6901 JSON pointer ("" is the whole document). NULL when it names nothing. */
const struct cJSON *json_pointer(const struct cJSON *doc, const char *ptr);

/*
 * Checks a webhook call's signature: HMAC-SHA256 over the raw body (or
 * "<timestamp>.<body>") with the source's secret, compared in constant time.
 * sig is the signature header's value (hex, base64, or "sha256=<hex>").
 */
int hook_verify(const struct hook_source *src, const char *body, size_t len, const char *sig,
                const char *timestamp, int64_t now_ms, struct kerr *err);

/*
 * Maps one item of a platform's JSON onto a record through the source's
 * pointers and defaults (numbers become text, epoch numbers in time fields
 * become times). Errors name the kesu field and the pointer.
 */
int hook_map(const struct hook_source *src, const struct cJSON *item, struct record *r,
             struct kerr *err);

#endif
