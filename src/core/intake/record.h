/*
 * record: one piece of feedback (a complaint, a review, a survey comment) as
 * kesu holds it. The fields are described once, in record_fields[]: their
 * names are the JSON names, the CSV header names and the database column
 * names, so parsing, validation, output and storage all walk one table.
 *
 * Strings are owned by the record (freed by record_release) and NULL when
 * absent; times are ms since the epoch, 0 when absent; numbers are NaN when
 * absent.
 */
#ifndef KESU_RECORD_H
#define KESU_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/jsonw.h"

struct cJSON;

struct record {
    int64_t id;
    char *channel;
    char *external_id;
    char *idempotency_key;
    int64_t received_at;
    int64_t recorded_at;
    char *created_by; /* who recorded it: "apikey:3:crm", "import:file.csv", ... */
    char *customer_id;
    char *customer_name;
    char *phone;
    char *email;
    char *customer_segment;
    char *product;
    char *order_no;
    char *store;
    char *region;
    double rating;
    double rating_scale;
    char *title;
    char *text;
    char *attachments; /* JSON array text */
    char *extra;       /* JSON object text */
    /* filled by later stages */
    char *clean_text;
    char *category_l1;
    char *category_l2;
    char *category_l3;
    char *category_source;
    double category_confidence;
    char *severity;
    char *sentiment;
    double sentiment_score;
    char *keywords; /* JSON array text */
    char *priority;
    int64_t duplicate_of;
    char *status;
    char *assignee;
    char *team;
    int64_t acknowledged_at;
    int64_t assigned_at;
    int64_t responded_at;
    int64_t resolved_at;
    int64_t closed_at;
    int64_t reopened_at;
    int64_t updated_at;
    /* intake pipeline */
    int64_t quality;      /* QUALITY_* bits: what cleaning found and corrected */
    int64_t pii_types;    /* bit (1 << pii type) per kind of personal data masked */
    char *pii_vault;      /* the unmasked originals, encrypted (secure/fieldcrypt) */
    int64_t simhash;      /* of clean_text, for near duplicates */
    int64_t dup_key;      /* of customer and clean_text, for exact duplicates */
    int64_t repeat_count; /* later duplicates linked to this record */
    double rating_norm;   /* rating on 0..100 (100 * rating / rating_scale); raw kept */
    /* text analysis (intake/nlp.h) */
    char *category_rules;   /* JSON array: ids of the taxonomy rules that fired */
    char *severity_source;  /* rule or manual */
    char *severity_reasons; /* JSON array: why the severity is what it is */
};

enum record_kind { RF_STR, RF_TIME, RF_NUM, RF_INT, RF_JSON_ARR, RF_JSON_OBJ };

enum {
    RF_INPUT = 1,    /* accepted from a channel (API, import) */
    RF_REQUIRED = 2, /* must be present on input */
    RF_PATCH = 4,    /* may be changed with PATCH */
    RF_ENUM = 8,     /* value must be one of `values` */
    RF_HIDDEN = 16,  /* kept by kesu, never in replies or exports (vault, hashes) */
};

struct record_field {
    const char *name;
    enum record_kind kind;
    size_t offset;
    size_t max; /* longest accepted value in bytes (strings, JSON) */
    unsigned flags;
    const char *const *values; /* for RF_ENUM, NULL-terminated */
};

extern const struct record_field record_fields[];
extern const size_t record_nfields;

extern const char *const record_channels[];   /* NULL-terminated */
extern const char *const record_statuses[];   /* NULL-terminated */
extern const char *const record_severities[]; /* NULL-terminated */

/* Limits on one record. */
#define RECORD_TEXT_MAX  65536
#define RECORD_SHORT_MAX 256
#define RECORD_TIME_MIN  946684800000LL /* 2000-01-01T00:00:00Z: earlier times are refused */

/* record.quality bits: 0..8 are normalize.h's NORMALIZE_* (what cleaning corrected). */
enum {
    QUALITY_T2S = 1 << 9,        /* traditional Chinese converted for analysis */
    QUALITY_PII = 1 << 10,       /* personal data masked */
    QUALITY_DUP_EXACT = 1 << 11, /* an exact duplicate of an earlier record */
    QUALITY_DUP_NEAR = 1 << 12,  /* a near duplicate */
    QUALITY_MISSING = 1 << 13,   /* a field the channel's collection rule requires is missing */
    QUALITY_CLEANED = 1 << 14,   /* went through the pipeline (clean_text absent = text) */
};

void record_init(struct record *r);
void record_release(struct record *r);

const struct record_field *record_field_by_name(const char *name);

/* Makes dst (uninitialised) a deep copy of src. */
void record_copy(struct record *dst, const struct record *src);

/*
 * Sets a field from text, as a CSV cell or a JSON string gives it:
 * validates (length, enum, number, time) and converts. An empty value
 * leaves the field absent. Errors name the field.
 */
int record_set(struct record *r, const struct record_field *f, const char *val, size_t len,
               struct kerr *err);
/* record_set for a value already known to be valid UTF-8 (the caller checked it). */
int record_set_utf8(struct record *r, const struct record_field *f, const char *val, size_t len,
                    struct kerr *err);

/*
 * Fills r from a JSON object of input fields (plus "attachments" and
 * "extra"). Unknown fields, wrong types and invalid values are errors that
 * name the field. Does not check required fields: call record_validate.
 */
int record_from_json(struct record *r, const struct cJSON *obj, struct kerr *err);

/* Checks required fields and cross-field rules; fills defaults (received_at, status). */
int record_validate(struct record *r, int64_t now_ms, struct kerr *err);

/* Writes r as a JSON object: every present field, plus id. */
void record_to_json(const struct record *r, struct jsonw *w);
/* Writes the same members into an object the caller has opened (to add more). */
void record_write_fields(const struct record *r, struct jsonw *w);

/* Writes r's input fields as the JSON object an import reads back (times as RFC 3339). */
void record_write_input(const struct record *r, struct jsonw *w);

/* Accessors through the table. */
char **record_str(struct record *r, const struct record_field *f);
int64_t *record_time(struct record *r, const struct record_field *f);
double *record_num(struct record *r, const struct record_field *f);
bool record_has(const struct record *r, const struct record_field *f);

#endif
