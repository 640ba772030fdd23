/*
 * sla.c: policies (parse, write, pick) and the clock of one case: due times
 * in working time, pause and resume, and the look the scheduler takes at a
 * case (warnings and breaches, each at most once, and when to look again).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "loop/sla.h"
#include "base/banned.h"

const char *const sla_target_names[SLA_TARGETS] = {"acknowledgement", "response", "resolution"};
static const char *const target_keys[SLA_TARGETS] = {"ack", "response", "resolve"};

int64_t sla_parse_duration(const char *s)
{
    char *end;
    long long v;
    if (!s || !*s || *s < '0' || *s > '9')
        return -1;
    v = strtoll(s, &end, 10);
    if (v < 0 || v > 100000000LL)
        return -1;
    if (!*end)
        return v;
    if (end[1])
        return -1;
    switch (*end) {
    case 's':
        return v;
    case 'm':
        return v * 60;
    case 'h':
        return v * 3600;
    case 'd':
        return v * 8 * 3600;
    default:
        return -1;
    }
}

static int copy_opt(const cJSON *j, const char *key, char *out, size_t n, struct kerr *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    out[0] = '\0';
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= n)
        return kerr_set(err, KERR_INVALID, "invalid_value", key,
                        "%s must be a string under %zu bytes", key, n);
    snprintf(out, n, "%s", v->valuestring);
    return 0;
}

int sla_policy_parse(const char *json, size_t len, struct sla_policy *out, struct kerr *err)
{
    cJSON *j = cJSON_ParseWithLength(json, len);
    const cJSON *v;
    int rc = 0;
    bool any = false;

    memset(out, 0, sizeof(*out));
    out->warn_share = 0.8;
    if (!cJSON_IsObject(j)) {
        rc = kerr_set(err, KERR_INVALID, "invalid_json", NULL, "a policy is a JSON object");
        goto out;
    }
    if ((rc = copy_opt(j, "name", out->name, sizeof out->name, err)) < 0 ||
        (rc = copy_opt(j, "priority", out->priority, sizeof out->priority, err)) < 0 ||
        (rc = copy_opt(j, "category", out->category, sizeof out->category, err)) < 0 ||
        (rc = copy_opt(j, "segment", out->segment, sizeof out->segment, err)) < 0 ||
        (rc = copy_opt(j, "calendar", out->calendar, sizeof out->calendar, err)) < 0)
        goto out;
    if (!out->name[0]) {
        rc = kerr_set(err, KERR_INVALID, "missing_field", "name", "a policy needs a name");
        goto out;
    }
    v = cJSON_GetObjectItemCaseSensitive(j, "position");
    out->position = cJSON_IsNumber(v) ? v->valueint : 0;
    for (int k = 0; k < SLA_TARGETS; k++) {
        char buf[32];
        v = cJSON_GetObjectItemCaseSensitive(j, target_keys[k]);
        if (!v || cJSON_IsNull(v))
            continue;
        if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1e8)
            out->target[k] = (int64_t)v->valuedouble;
        else if (cJSON_IsString(v))
            out->target[k] = sla_parse_duration(v->valuestring);
        else
            out->target[k] = -1;
        if (out->target[k] < 0) {
            snprintf(buf, sizeof buf, "%s", target_keys[k]);
            rc = kerr_set(err, KERR_INVALID, "invalid_value", buf,
                          "%s: seconds, or a duration like \"30m\", \"8h\", \"2d\"", buf);
            goto out;
        }
        any |= out->target[k] > 0;
    }
    if (!any) {
        rc = kerr_set(err, KERR_INVALID, "missing_field", "ack",
                      "a policy needs at least one of ack, response, resolve");
        goto out;
    }
    v = cJSON_GetObjectItemCaseSensitive(j, "warn_share");
    if (v) {
        if (!cJSON_IsNumber(v) || v->valuedouble <= 0 || v->valuedouble >= 1) {
            rc = kerr_set(err, KERR_INVALID, "invalid_value", "warn_share",
                          "warn_share lies strictly between 0 and 1");
            goto out;
        }
        out->warn_share = v->valuedouble;
    }
out:
    cJSON_Delete(j);
    return rc;
}

void sla_policy_write(const struct sla_policy *p, struct jsonw *w)
{
    jsonw_obj(w);
    jsonw_kstr(w, "name", p->name);
    jsonw_kint(w, "position", p->position);
    jsonw_kstr(w, "priority", p->priority[0] ? p->priority : NULL);
    jsonw_kstr(w, "category", p->category[0] ? p->category : NULL);
    jsonw_kstr(w, "segment", p->segment[0] ? p->segment : NULL);
    jsonw_kstr(w, "calendar", p->calendar[0] ? p->calendar : "24x7");
    for (int k = 0; k < SLA_TARGETS; k++)
        jsonw_kint(w, target_keys[k], p->target[k]);
    jsonw_kdouble(w, "warn_share", p->warn_share);
    jsonw_end(w);
}

static bool fits(const char *want, const char *have)
{
    return !want[0] || (have && strcmp(want, have) == 0);
}

const struct sla_policy *sla_policy_pick(const struct sla_policy *v, size_t n,
                                         const struct record *rec)
{
    for (size_t i = 0; i < n; i++) {
        const struct sla_policy *p = &v[i];
        bool cat = !p->category[0] || fits(p->category, rec->category_l1) ||
                   fits(p->category, rec->category_l2) || fits(p->category, rec->category_l3);
        if (fits(p->priority, rec->priority) && cat && fits(p->segment, rec->customer_segment))
            return p;
    }
    return NULL;
}

void sla_compute_due(const struct sla_policy *p, const struct calendar *cal, struct sla_clock *c)
{
    for (int k = 0; k < SLA_TARGETS; k++)
        c->due[k] =
            p->target[k] > 0 ? calendar_add(cal, c->start, p->target[k] + c->paused_secs) : 0;
}

int64_t sla_warn_at(const struct sla_policy *p, const struct calendar *cal,
                    const struct sla_clock *c, int k)
{
    int64_t share = (int64_t)((double)p->target[k] * p->warn_share);
    if (share < 1)
        share = 1;
    return calendar_add(cal, c->start, share + c->paused_secs);
}

void sla_pause(struct sla_clock *c, int64_t now)
{
    if (!c->paused_since)
        c->paused_since = now;
    c->next_check = 0;
}

void sla_resume(const struct sla_policy *p, const struct calendar *cal, struct sla_clock *c,
                int64_t now)
{
    if (!c->paused_since)
        return;
    c->paused_secs += calendar_between(cal, c->paused_since, now);
    c->paused_since = 0;
    sla_compute_due(p, cal, c);
    c->next_check = now; /* look again at once */
}

static void consider(int64_t *next, int64_t t)
{
    if (t > 0 && t != CALENDAR_NEVER && (*next == 0 || t < *next))
        *next = t;
}

void sla_evaluate(const struct sla_policy *p, const struct calendar *cal, struct sla_clock *c,
                  const int64_t met_at[SLA_TARGETS], int64_t now, struct sla_eval *out)
{
    out->warn = out->breach = out->breach_met_late = 0;
    c->next_check = 0;
    if (c->paused_since)
        return;
    for (int k = 0; k < SLA_TARGETS; k++) {
        int bit = 1 << k;
        if (!c->due[k] || (c->met & bit))
            continue;
        if (met_at[k]) {
            c->met |= bit;
            if (met_at[k] > c->due[k] && !(c->breached & bit)) {
                c->breached |= bit;
                out->breach |= bit;
                out->breach_met_late |= bit;
            }
            continue;
        }
        if (now >= c->due[k]) {
            if (!(c->breached & bit)) {
                c->breached |= bit;
                out->breach |= bit;
            }
            continue; /* breached and still open: nothing more to wait for */
        }
        int64_t warn_at = sla_warn_at(p, cal, c, k);
        if (now >= warn_at) {
            if (!(c->warned & bit)) {
                c->warned |= bit;
                out->warn |= bit;
            }
        } else {
            consider(&c->next_check, warn_at);
        }
        consider(&c->next_check, c->due[k]);
    }
}

const char *sla_raise_priority(const char *priority)
{
    if (!priority)
        return "p2";
    if (strcmp(priority, "p4") == 0)
        return "p3";
    if (strcmp(priority, "p3") == 0)
        return "p2";
    if (strcmp(priority, "p2") == 0 || strcmp(priority, "p1") == 0)
        return "p1";
    return "p2";
}
