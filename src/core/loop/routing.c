/*
 * routing.c: parsing, writing and matching routing rules. Matching is
 * string comparison over at most a few dozen values per rule, with no
 * allocation, so routing a record costs well under a microsecond per rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/xmalloc.h"
#include "loop/routing.h"
#include "base/banned.h"

const char *const routing_attr_names[RA__COUNT] = {
    "channel", "category", "product", "region", "severity", "customer_segment", "keywords"};

static const char *const priorities[] = {"p1", "p2", "p3", "p4", NULL};

static int str_list(const cJSON *arr, const char *field, char **out, size_t *n, size_t max,
                    struct kerr *err)
{
    const cJSON *v;
    *n = 0;
    if (!arr || cJSON_IsNull(arr))
        return 0;
    if (!cJSON_IsArray(arr))
        return kerr_set(err, KERR_INVALID, "invalid_type", field, "%s must be an array of strings",
                        field);
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > 256)
            return kerr_set(err, KERR_INVALID, "invalid_value", field,
                            "%s must hold non-empty strings of at most 256 bytes", field);
        if (*n == max)
            return kerr_set(err, KERR_TOOLARGE, "too_many", field, "%s: at most %zu values", field,
                            max);
        out[(*n)++] = xstrdup(v->valuestring);
    }
    return 0;
}

static int opt_str(const cJSON *obj, const char *key, const char *field, char **out,
                   struct kerr *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > 64)
        return kerr_set(err, KERR_INVALID, "invalid_value", field,
                        "%s must be a string of 1 to 64 bytes", field);
    *out = xstrdup(v->valuestring);
    return 0;
}

static int parse_when(const cJSON *when, struct routing_rule *r, struct kerr *err)
{
    const cJSON *v;
    char field[64];
    unsigned seen = 0;
    if (!when || cJSON_IsNull(when))
        return 0;
    if (!cJSON_IsObject(when))
        return kerr_set(err, KERR_INVALID, "invalid_type", "when", "when must be an object");
    cJSON_ArrayForEach(v, when)
    {
        int a = 0;
        while (a < RA__COUNT && strcmp(routing_attr_names[a], v->string) != 0)
            a++;
        snprintf(field, sizeof(field), "when.%.40s", v->string);
        if (a == RA__COUNT)
            return kerr_set(err, KERR_INVALID, "unknown_field", field,
                            "conditions: channel, category, product, region, severity, "
                            "customer_segment, keywords");
        /* a second list for the same condition would drop (and leak) the first */
        if (seen & (1u << a))
            return kerr_set(err, KERR_INVALID, "duplicate_field", field, "%s is given twice",
                            field);
        seen |= 1u << a;
        if (str_list(v, field, r->vals[a], &r->nvals[a], ROUTING_VALUES_MAX, err) < 0)
            return KERR_INVALID;
    }
    return 0;
}

static int parse_then(const cJSON *then, struct routing_rule *r, struct kerr *err)
{
    if (!cJSON_IsObject(then))
        return kerr_set(err, KERR_INVALID, "missing_field", "then",
                        "then must be an object with team, priority, sla_policy and/or tags");
    if (opt_str(then, "team", "then.team", &r->team, err) < 0 ||
        opt_str(then, "priority", "then.priority", &r->priority, err) < 0 ||
        opt_str(then, "sla_policy", "then.sla_policy", &r->sla_policy, err) < 0 ||
        str_list(cJSON_GetObjectItemCaseSensitive(then, "tags"), "then.tags", r->tags, &r->ntags,
                 ROUTING_TAGS_MAX, err) < 0)
        return KERR_INVALID;
    if (r->priority) {
        const char *const *p = priorities;
        while (*p && strcmp(*p, r->priority) != 0)
            p++;
        if (!*p)
            return kerr_set(err, KERR_INVALID, "invalid_value", "then.priority",
                            "priority must be p1, p2, p3 or p4");
    }
    if (!r->team && !r->priority && !r->sla_policy && !r->ntags)
        return kerr_set(err, KERR_INVALID, "missing_field", "then",
                        "then must set at least one of team, priority, sla_policy, tags");
    return 0;
}

int routing_rule_parse(const char *json, size_t len, struct routing_rule *out, struct kerr *err)
{
    cJSON *j = cJSON_ParseWithLength(json, len);
    const cJSON *v;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    out->enabled = true;
    if (!cJSON_IsObject(j)) {
        rc = kerr_set(err, KERR_INVALID, "invalid_json", NULL, "a rule is a JSON object");
        goto out;
    }
    if ((rc = opt_str(j, "name", "name", &out->name, err)) < 0)
        goto out;
    if (!out->name) {
        rc = kerr_set(err, KERR_INVALID, "missing_field", "name", "a rule needs a name");
        goto out;
    }
    v = cJSON_GetObjectItemCaseSensitive(j, "position");
    if (v && !cJSON_IsNumber(v)) {
        rc = kerr_set(err, KERR_INVALID, "invalid_type", "position", "position is a number");
        goto out;
    }
    out->position = v ? v->valueint : 0;
    v = cJSON_GetObjectItemCaseSensitive(j, "enabled");
    if (v && !cJSON_IsBool(v)) {
        rc = kerr_set(err, KERR_INVALID, "invalid_type", "enabled", "enabled is true or false");
        goto out;
    }
    out->enabled = !v || cJSON_IsTrue(v);
    if ((rc = parse_when(cJSON_GetObjectItemCaseSensitive(j, "when"), out, err)) < 0 ||
        (rc = parse_then(cJSON_GetObjectItemCaseSensitive(j, "then"), out, err)) < 0)
        goto out;
out:
    cJSON_Delete(j);
    if (rc < 0)
        routing_rule_release(out);
    return rc;
}

void routing_rule_release(struct routing_rule *r)
{
    for (int a = 0; a < RA__COUNT; a++)
        for (size_t i = 0; i < r->nvals[a]; i++)
            free(r->vals[a][i]);
    for (size_t i = 0; i < r->ntags; i++)
        free(r->tags[i]);
    free(r->name);
    free(r->team);
    free(r->priority);
    free(r->sla_policy);
    memset(r, 0, sizeof(*r));
}

void routing_rule_write(const struct routing_rule *r, struct jsonw *w)
{
    jsonw_obj(w);
    if (r->id)
        jsonw_kint(w, "id", r->id);
    jsonw_kstr(w, "name", r->name);
    jsonw_kint(w, "position", r->position);
    jsonw_kbool(w, "enabled", r->enabled);
    jsonw_key(w, "when");
    jsonw_obj(w);
    for (int a = 0; a < RA__COUNT; a++) {
        if (!r->nvals[a])
            continue;
        jsonw_key(w, routing_attr_names[a]);
        jsonw_arr(w);
        for (size_t i = 0; i < r->nvals[a]; i++)
            jsonw_str(w, r->vals[a][i]);
        jsonw_end(w);
    }
    jsonw_end(w);
    jsonw_key(w, "then");
    jsonw_obj(w);
    if (r->team)
        jsonw_kstr(w, "team", r->team);
    if (r->priority)
        jsonw_kstr(w, "priority", r->priority);
    if (r->sla_policy)
        jsonw_kstr(w, "sla_policy", r->sla_policy);
    jsonw_key(w, "tags");
    jsonw_arr(w);
    for (size_t i = 0; i < r->ntags; i++)
        jsonw_str(w, r->tags[i]);
    jsonw_end(w);
    jsonw_end(w);
    jsonw_end(w);
}

static bool one_of(char *const *vals, size_t n, const char *v)
{
    if (!v)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(vals[i], v) == 0)
            return true;
    return false;
}

static bool has_keyword(char *const *vals, size_t n, const struct record *rec)
{
    for (size_t i = 0; i < n; i++)
        if ((rec->title && strstr(rec->title, vals[i])) ||
            (rec->text && strstr(rec->text, vals[i])) ||
            (rec->clean_text && strstr(rec->clean_text, vals[i])))
            return true;
    return false;
}

bool routing_rule_matches(const struct routing_rule *r, const struct record *rec)
{
    if (!r->enabled)
        return false;
    for (int a = 0; a < RA__COUNT; a++) {
        char *const *v = r->vals[a];
        size_t n = r->nvals[a];
        bool ok;
        if (!n)
            continue;
        switch (a) {
        case RA_CHANNEL:
            ok = one_of(v, n, rec->channel);
            break;
        case RA_CATEGORY:
            ok = one_of(v, n, rec->category_l1) || one_of(v, n, rec->category_l2) ||
                 one_of(v, n, rec->category_l3);
            break;
        case RA_PRODUCT:
            ok = one_of(v, n, rec->product);
            break;
        case RA_REGION:
            ok = one_of(v, n, rec->region);
            break;
        case RA_SEVERITY:
            ok = one_of(v, n, rec->severity);
            break;
        case RA_SEGMENT:
            ok = one_of(v, n, rec->customer_segment);
            break;
        default:
            ok = has_keyword(v, n, rec);
        }
        if (!ok)
            return false;
    }
    return true;
}

static void add_tag(struct routing_outcome *out, const char *tag)
{
    for (size_t i = 0; i < out->ntags; i++)
        if (strcmp(out->tags[i], tag) == 0)
            return;
    if (out->ntags < ROUTING_TAGS_MAX)
        out->tags[out->ntags++] = tag;
}

void routing_apply(const struct routing_rule *rules, size_t n, enum routing_mode mode,
                   const struct record *rec, struct routing_outcome *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        const struct routing_rule *r = &rules[i];
        if (!routing_rule_matches(r, rec))
            continue;
        if (r->team)
            out->team = r->team;
        if (r->priority)
            out->priority = r->priority;
        if (r->sla_policy)
            out->sla_policy = r->sla_policy;
        for (size_t t = 0; t < r->ntags; t++)
            add_tag(out, r->tags[t]);
        if (out->nmatched < ROUTING_TAGS_MAX)
            out->matched[out->nmatched++] = r->id;
        if (mode == ROUTING_FIRST)
            break;
    }
}
