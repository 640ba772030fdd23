/*
 * record: the field table and everything that walks it: setting a field
 * from text, reading a JSON object, validating, writing JSON.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "intake/record.h"
#include "base/banned.h"

const char *const record_channels[] = {
    "web",       "qr",     "app",     "email",    "hotline",     "sms", "store", "survey",
    "ecommerce", "social", "partner", "employee", "association", "iot", "other", NULL};

const char *const record_statuses[] = {"received",         "acknowledged",        "assessed",
                                       "assigned",         "investigating",       "responded",
                                       "closed",           "closed_unaccepted",   "reopened",
                                       "pending_customer", "pending_third_party", NULL};

const char *const record_severities[] = {"low", "medium", "high", "critical", NULL};

static const char *const sentiments[] = {"negative", "neutral", "positive", NULL};
static const char *const priorities[] = {"p1", "p2", "p3", "p4", NULL};

#define F(name, kind, max, flags)                                                                  \
    {                                                                                              \
#name, kind, offsetof(struct record, name), max, flags, NULL                               \
    }
#define E(name, flags, values)                                                                     \
    {                                                                                              \
#name, RF_STR, offsetof(struct record, name), 32, (flags) | RF_ENUM, values                \
    }
#define IN RF_INPUT
#define S  RECORD_SHORT_MAX

const struct record_field record_fields[] = {
    E(channel, IN | RF_REQUIRED, record_channels),
    F(external_id, RF_STR, S, IN),
    F(idempotency_key, RF_STR, S, 0),
    F(received_at, RF_TIME, 0, IN),
    F(recorded_at, RF_TIME, 0, 0),
    F(created_by, RF_STR, 128, 0),
    F(customer_id, RF_STR, S, IN),
    F(customer_name, RF_STR, S, IN),
    F(phone, RF_STR, 32, IN),
    F(email, RF_STR, S, IN),
    F(customer_segment, RF_STR, 64, IN),
    F(product, RF_STR, S, IN),
    F(order_no, RF_STR, S, IN),
    F(store, RF_STR, S, IN),
    F(region, RF_STR, S, IN),
    F(rating, RF_NUM, 0, IN),
    F(rating_scale, RF_NUM, 0, IN),
    F(title, RF_STR, 1024, IN),
    F(text, RF_STR, RECORD_TEXT_MAX, IN | RF_REQUIRED),
    F(attachments, RF_JSON_ARR, 16384, IN),
    F(extra, RF_JSON_OBJ, 16384, IN),
    F(clean_text, RF_STR, RECORD_TEXT_MAX, 0),
    F(category_l1, RF_STR, 64, RF_PATCH),
    F(category_l2, RF_STR, 64, RF_PATCH),
    F(category_l3, RF_STR, 64, RF_PATCH),
    F(category_source, RF_STR, 32, 0),
    F(category_confidence, RF_NUM, 0, 0),
    E(severity, RF_PATCH, record_severities),
    E(sentiment, 0, sentiments),
    F(sentiment_score, RF_NUM, 0, 0),
    F(keywords, RF_JSON_ARR, 4096, 0),
    E(priority, RF_PATCH, priorities),
    F(duplicate_of, RF_INT, 0, 0),
    E(status, RF_PATCH, record_statuses),
    F(assignee, RF_STR, 64, RF_PATCH),
    F(team, RF_STR, 64, RF_PATCH),
    F(acknowledged_at, RF_TIME, 0, 0),
    F(assigned_at, RF_TIME, 0, 0),
    F(responded_at, RF_TIME, 0, 0),
    F(resolved_at, RF_TIME, 0, 0),
    F(closed_at, RF_TIME, 0, 0),
    F(reopened_at, RF_TIME, 0, 0),
    F(updated_at, RF_TIME, 0, 0),
    F(quality, RF_INT, 0, 0),
    F(pii_types, RF_INT, 0, 0),
    F(pii_vault, RF_STR, 4 * RECORD_TEXT_MAX, RF_HIDDEN),
    F(simhash, RF_INT, 0, RF_HIDDEN),
    F(dup_key, RF_INT, 0, RF_HIDDEN),
    F(repeat_count, RF_INT, 0, 0),
    F(rating_norm, RF_NUM, 0, 0),
    F(category_rules, RF_JSON_ARR, 2048, 0),
    F(severity_source, RF_STR, 32, 0),
    F(severity_reasons, RF_JSON_ARR, 2048, 0),
};
const size_t record_nfields = sizeof(record_fields) / sizeof(record_fields[0]);

#undef F
#undef E
#undef IN
#undef S

char **record_str(struct record *r, const struct record_field *f)
{
    return (char **)((char *)r + f->offset);
}

int64_t *record_time(struct record *r, const struct record_field *f)
{
    return (int64_t *)((char *)r + f->offset);
}

double *record_num(struct record *r, const struct record_field *f)
{
    return (double *)((char *)r + f->offset);
}

bool record_has(const struct record *r, const struct record_field *f)
{
    const char *p = (const char *)r + f->offset;
    switch (f->kind) {
    case RF_TIME:
    case RF_INT:
        return *(const int64_t *)p != 0;
    case RF_NUM:
        return !isnan(*(const double *)p);
    default:
        return *(char *const *)p != NULL;
    }
}

void record_init(struct record *r)
{
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < record_nfields; i++)
        if (record_fields[i].kind == RF_NUM)
            *record_num(r, &record_fields[i]) = NAN;
}

void record_release(struct record *r)
{
    for (size_t i = 0; i < record_nfields; i++) {
        const struct record_field *f = &record_fields[i];
        if (f->kind == RF_STR || f->kind == RF_JSON_ARR || f->kind == RF_JSON_OBJ)
            free(*record_str(r, f));
    }
    record_init(r);
}

void record_copy(struct record *dst, const struct record *src)
{
    *dst = *src;
    for (size_t i = 0; i < record_nfields; i++) {
        const struct record_field *f = &record_fields[i];
        if (f->kind == RF_STR || f->kind == RF_JSON_ARR || f->kind == RF_JSON_OBJ) {
            char **p = record_str(dst, f);
            if (*p)
                *p = xstrdup(*p);
        }
    }
}

const struct record_field *record_field_by_name(const char *name)
{
    /* Senders write fields in one order, so the field after the last one found is the
     * likely next: try it first (per thread), then scan. */
    static _Thread_local size_t next;
    if (next < record_nfields && strcmp(record_fields[next].name, name) == 0)
        return &record_fields[next++];
    for (size_t i = 0; i < record_nfields; i++)
        if (record_fields[i].name[0] == name[0] && strcmp(record_fields[i].name, name) == 0) {
            next = i + 1;
            return &record_fields[i];
        }
    return NULL;
}

static bool in_list(const char *const *values, const char *s, size_t len)
{
    for (; *values; values++)
        if (strlen(*values) == len && memcmp(*values, s, len) == 0)
            return true;
    return false;
}

static int parse_number(const char *val, size_t len, double *out)
{
    char buf[64], *end;
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, val, len);
    buf[len] = '\0';
    *out = strtod(buf, &end);
    return *end == '\0' && isfinite(*out) ? 0 : -1;
}

static int set_json_text(struct record *r, const struct record_field *f, const char *val,
                         size_t len, struct kerr *err)
{
    cJSON *j = cJSON_ParseWithLength(val, len);
    bool ok = j && (f->kind == RF_JSON_ARR ? cJSON_IsArray(j) : cJSON_IsObject(j));
    cJSON_Delete(j);
    if (!ok)
        return kerr_set(err, KERR_INVALID, "invalid_field", f->name, "%s must be a JSON %s",
                        f->name, f->kind == RF_JSON_ARR ? "array" : "object");
    free(*record_str(r, f));
    *record_str(r, f) = xstrndup(val, len);
    return 0;
}

/* Satisfaction words as survey tools, comment cards and platforms write them, on 1..5. */
static int rating_word(const char *s, size_t len, double *out)
{
    static const struct {
        const char *word;
        double score;
    } words[] = {
        {"非常满意", 5}, {"很满意", 5}, {"满意", 4},     {"比较满意", 4}, {"基本满意", 3},
        {"一般", 3},     {"不满意", 2}, {"不太满意", 2}, {"很不满意", 1}, {"非常不满意", 1},
        {"好评", 5},     {"中评", 3},   {"差评", 1},     {"很好", 5},     {"好", 4},
        {"差", 2},       {"很差", 1},   {"满分", 5},     {"五星", 5},     {"四星", 4},
        {"三星", 3},     {"二星", 2},   {"两星", 2},     {"一星", 1},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].word) == len && memcmp(words[i].word, s, len) == 0) {
            *out = words[i].score;
            return 0;
        }
    return -1;
}

int record_set(struct record *r, const struct record_field *f, const char *val, size_t len,
               struct kerr *err)
{
    long bad = utf8_invalid_at(val, len);

    if (bad >= 0)
        return kerr_set(err, KERR_INVALID, "invalid_utf8", f->name,
                        "%s is not valid UTF-8 (byte %ld)", f->name, bad);
    return record_set_utf8(r, f, val, len, err);
}

int record_set_utf8(struct record *r, const struct record_field *f, const char *val, size_t len,
                    struct kerr *err)
{
    double d;
    int64_t t;

    if (len == 0)
        return 0;
    switch (f->kind) {
    case RF_STR:
        if (len > f->max)
            return kerr_set(err, KERR_INVALID, "too_long", f->name, "%s is longer than %zu bytes",
                            f->name, f->max);
        if ((f->flags & RF_ENUM) && !in_list(f->values, val, len))
            return kerr_set(err, KERR_INVALID, "invalid_value", f->name,
                            "%s: unknown value \"%.*s\"", f->name, (int)(len > 40 ? 40 : len), val);
        free(*record_str(r, f));
        *record_str(r, f) = xstrndup(val, len);
        return 0;
    case RF_TIME:
        if (clock_parse_loose(val, len, &t) < 0)
            return kerr_set(err, KERR_INVALID, "invalid_time", f->name,
                            "%s is not a time (RFC 3339 such as 2026-11-22T09:30:00+08:00, or "
                            "2026年11月22日 09:30, 2026/11/22, 22-11-2026 09:30:00, Unix seconds)",
                            f->name);
        if (t < RECORD_TIME_MIN) /* Unix time 0 and its like are a sender's bug, not a date */
            return kerr_set(err, KERR_INVALID, "invalid_time", f->name,
                            "%s lies before 2000-01-01, which is not a plausible time", f->name);
        *record_time(r, f) = t;
        return 0;
    case RF_NUM:
        if (strcmp(f->name, "rating") == 0 && rating_word(val, len, &d) == 0) {
            /* satisfaction in words: a 5-point score, the word's own scale */
            *record_num(r, f) = d;
            if (isnan(r->rating_scale))
                r->rating_scale = 5;
            return 0;
        }
        if (parse_number(val, len, &d) < 0)
            return kerr_set(err, KERR_INVALID, "invalid_number", f->name, "%s is not a number",
                            f->name);
        *record_num(r, f) = d;
        return 0;
    case RF_INT:
        if (parse_number(val, len, &d) < 0 || d != (double)(int64_t)d)
            return kerr_set(err, KERR_INVALID, "invalid_number", f->name, "%s is not an integer",
                            f->name);
        *record_time(r, f) = (int64_t)d;
        return 0;
    case RF_JSON_ARR:
    case RF_JSON_OBJ:
        if (len > f->max)
            return kerr_set(err, KERR_INVALID, "too_long", f->name, "%s is longer than %zu bytes",
                            f->name, f->max);
        return set_json_text(r, f, val, len, err);
    }
    return kerr_set(err, KERR_INTERNAL, "internal", f->name, "unknown field kind");
}

static int set_from_json(struct record *r, const struct record_field *f, const cJSON *v,
                         struct kerr *err)
{
    if (cJSON_IsNull(v))
        return 0;
    if (f->kind == RF_JSON_ARR || f->kind == RF_JSON_OBJ) {
        if (f->kind == RF_JSON_ARR ? !cJSON_IsArray(v) : !cJSON_IsObject(v))
            return kerr_set(err, KERR_INVALID, "invalid_type", f->name, "%s must be a JSON %s",
                            f->name, f->kind == RF_JSON_ARR ? "array" : "object");
        char *txt = cJSON_PrintUnformatted(v);
        size_t n = strlen(txt);
        int rc = n > f->max ? kerr_set(err, KERR_INVALID, "too_long", f->name,
                                       "%s is longer than %zu bytes", f->name, f->max)
                            : 0;
        if (rc == 0) {
            free(*record_str(r, f));
            *record_str(r, f) = xstrndup(txt, n);
        }
        cJSON_free(txt);
        return rc;
    }
    if (cJSON_IsNumber(v) && (f->kind == RF_NUM || f->kind == RF_INT)) {
        if (f->kind == RF_INT) {
            if (v->valuedouble != (double)(int64_t)v->valuedouble)
                return kerr_set(err, KERR_INVALID, "invalid_number", f->name,
                                "%s is not an integer", f->name);
            *record_time(r, f) = (int64_t)v->valuedouble;
        } else {
            *record_num(r, f) = v->valuedouble;
        }
        return 0;
    }
    if (cJSON_IsString(v))
        return record_set(r, f, v->valuestring, strlen(v->valuestring), err);
    return kerr_set(err, KERR_INVALID, "invalid_type", f->name, "%s must be a %s", f->name,
                    f->kind == RF_NUM || f->kind == RF_INT ? "number" : "string");
}

int record_from_json(struct record *r, const cJSON *obj, struct kerr *err)
{
    const cJSON *v;
    if (!cJSON_IsObject(obj))
        return kerr_set(err, KERR_INVALID, "invalid_type", "", "a record must be a JSON object");
    cJSON_ArrayForEach(v, obj)
    {
        const struct record_field *f = record_field_by_name(v->string);
        int rc;
        if (!f || !(f->flags & RF_INPUT))
            return kerr_set(err, KERR_INVALID, "unknown_field", v->string,
                            "unknown field \"%.48s\"", v->string);
        if ((rc = set_from_json(r, f, v, err)) < 0)
            return rc;
    }
    return 0;
}

int record_validate(struct record *r, int64_t now_ms, struct kerr *err)
{
    for (size_t i = 0; i < record_nfields; i++) {
        const struct record_field *f = &record_fields[i];
        if ((f->flags & RF_REQUIRED) && !record_has(r, f))
            return kerr_set(err, KERR_INVALID, "missing_field", f->name, "%s is required", f->name);
    }
    if (r->email && !strchr(r->email, '@'))
        return kerr_set(err, KERR_INVALID, "invalid_field", "email",
                        "email is not an e-mail address");
    if (r->phone) {
        for (const char *p = r->phone; *p; p++)
            if (!strchr("0123456789+-() ", *p))
                return kerr_set(err, KERR_INVALID, "invalid_field", "phone",
                                "phone may hold digits, spaces and + - ( ) only");
    }
    if (!isnan(r->rating_scale) && (r->rating_scale <= 0 || r->rating_scale > 100))
        return kerr_set(err, KERR_INVALID, "invalid_field", "rating_scale",
                        "rating_scale must be above 0 and at most 100");
    if (!isnan(r->rating)) {
        if (isnan(r->rating_scale))
            r->rating_scale = 5;
        if (r->rating < 0 || r->rating > r->rating_scale)
            return kerr_set(err, KERR_INVALID, "invalid_field", "rating",
                            "rating must lie between 0 and rating_scale (%g)", r->rating_scale);
    }
    if (r->received_at > now_ms + 24 * 3600 * 1000LL)
        return kerr_set(err, KERR_INVALID, "invalid_time", "received_at",
                        "received_at lies more than a day in the future");
    if (!r->received_at)
        r->received_at = now_ms;
    if (!r->recorded_at)
        r->recorded_at = now_ms;
    if (!r->updated_at)
        r->updated_at = r->recorded_at;
    if (!r->status)
        r->status = xstrdup("received");
    return 0;
}

void record_to_json(const struct record *r, struct jsonw *w)
{
    jsonw_obj(w);
    record_write_fields(r, w);
    jsonw_end(w);
}

void record_write_fields(const struct record *r, struct jsonw *w)
{
    char ts[CLOCK_FMT_MAX];
    jsonw_kint(w, "id", r->id);
    for (size_t i = 0; i < record_nfields; i++) {
        const struct record_field *f = &record_fields[i];
        const char *p = (const char *)r + f->offset;
        if (!record_has(r, f) || (f->flags & RF_HIDDEN) || strcmp(f->name, "idempotency_key") == 0)
            continue;
        jsonw_key(w, f->name);
        switch (f->kind) {
        case RF_STR:
            jsonw_str(w, *(char *const *)p);
            break;
        case RF_JSON_ARR:
        case RF_JSON_OBJ: {
            const char *txt = *(char *const *)p;
            jsonw_raw(w, txt, strlen(txt));
            break;
        }
        case RF_TIME:
            jsonw_str(w, clock_format(*(const int64_t *)p, ts));
            break;
        case RF_INT:
            jsonw_int(w, *(const int64_t *)p);
            break;
        case RF_NUM:
            jsonw_double(w, *(const double *)p);
            break;
        }
    }
}

void record_write_input(const struct record *r, struct jsonw *w)
{
    jsonw_obj(w);
    for (size_t i = 0; i < record_nfields; i++) {
        const struct record_field *f = &record_fields[i];
        const char *p = (const char *)r + f->offset;
        char ts[CLOCK_FMT_MAX];
        if (!(f->flags & RF_INPUT) || !record_has(r, f))
            continue;
        jsonw_key(w, f->name);
        if (f->kind == RF_TIME)
            jsonw_str(w, clock_format(*(const int64_t *)p, ts));
        else if (f->kind == RF_NUM)
            jsonw_double(w, *(const double *)p);
        else if (f->kind == RF_JSON_ARR || f->kind == RF_JSON_OBJ)
            jsonw_raw(w, *(char *const *)p, strlen(*(char *const *)p));
        else
            jsonw_str(w, *(char *const *)p);
    }
    jsonw_end(w);
}
