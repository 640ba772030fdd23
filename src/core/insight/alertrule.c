/*
 * alertrule.c: alert rules and receivers as data: the checks a rule or a
 * receiver passes before it is stored, with defaults filled in so that
 * what is stored is what is evaluated, and their JSON form.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "insight/alerts.h"
#include "insight/notify.h"
#include "intake/record.h"
#include "secure/fieldcrypt.h"
#include "base/banned.h"

/* ---- receivers' secrets, sealed with the field keyring ---------------------------------- */

#define SEALED "sealed:"

static const struct fieldcrypt *keyring;

void alerts_set_keyring(const struct fieldcrypt *fc)
{
    keyring = fc;
}

/* Appends v sealed; as it is when it is sealed already or there is no keyring. */
static void seal_into(struct strbuf *sb, const char *v, const char *ad)
{
    if (!keyring || !strncmp(v, SEALED, strlen(SEALED))) {
        strbuf_addstr(sb, v);
        return;
    }
    strbuf_addstr(sb, SEALED);
    fieldcrypt_encrypt(keyring, v, strlen(v), ad, strlen(ad), sb);
}

int alerts_unseal(const char *v, const char *ad, struct strbuf *out, struct kerr *err)
{
    size_t n = strlen(SEALED);
    if (strncmp(v, SEALED, n)) {
        strbuf_addstr(out, v);
        return 0;
    }
    if (!keyring)
        return kerr_set(err, KERR_AUTH, "no_keyring", "",
                        "the receiver's secret is sealed and no keyring is loaded");
    return fieldcrypt_decrypt(keyring, v + n, strlen(v + n), ad, strlen(ad), out, err);
}

/* config with its password sealed; "***" (as GET shows it) keeps the old one. */
static cJSON *sealed_config(const cJSON *cfg, const char *old_config)
{
    cJSON *c = cfg ? cJSON_Duplicate(cfg, 1) : NULL;
    const cJSON *pw = cJSON_GetObjectItemCaseSensitive(c, "password");
    if (!cJSON_IsString(pw))
        return c;
    struct strbuf v = STRBUF_INIT;
    if (!strcmp(pw->valuestring, "***")) {
        cJSON *o = old_config ? cJSON_Parse(old_config) : NULL;
        const cJSON *opw = cJSON_GetObjectItemCaseSensitive(o, "password");
        strbuf_addstr(&v, cJSON_IsString(opw) ? opw->valuestring : "");
        cJSON_Delete(o);
    } else {
        seal_into(&v, pw->valuestring, "alert_receiver.password");
    }
    cJSON_ReplaceItemInObjectCaseSensitive(c, "password", cJSON_CreateString(v.buf ? v.buf : ""));
    strbuf_release(&v);
    return c;
}

static const char *const kinds[] = {
    "spike", "volume_change", "csat_drop", "negative_share", "sla_compliance", "severe", NULL};

bool alert_kind_ok(const char *kind)
{
    for (const char *const *k = kinds; *k; k++)
        if (kind && !strcmp(*k, kind))
            return true;
    return false;
}

/* A numeric parameter: name, default, bounds (inclusive), whole number or not. */
struct pdef {
    const char *name;
    double def, lo, hi;
    bool whole;
};

static const struct pdef spike_params[] = {
    {"min_count", 5, 1, 1e6, true},    {"min_ratio", 1.5, 1, 100, false},
    {"alpha", 5e-4, 1e-9, 0.1, false}, {"cusum_k", 1.5, 1.05, 10, false},
    {"cusum_h", 6.5, 0.5, 50, false},  {NULL, 0, 0, 0, false},
};
static const struct pdef volume_params[] = {
    {"window_days", 7, 1, 90, true},
    {"threshold", 0.5, 0.01, 100, false},
    {"min_count", 10, 0, 1e9, true},
    {NULL, 0, 0, 0, false},
};
static const struct pdef csat_params[] = {
    {"window_days", 7, 1, 90, true},
    {"points", 5, 0.1, 100, false},
    {"min_responses", 10, 1, 1e9, true},
    {NULL, 0, 0, 0, false},
};
static const struct pdef share_params[] = {
    {"window_days", 1, 1, 90, true},
    {"threshold", 0.4, 0, 1, false},
    {"min_count", 10, 1, 1e9, true},
    {NULL, 0, 0, 0, false},
};
static const struct pdef sla_params[] = {
    {"window_days", 7, 1, 90, true},
    {"threshold", 0.9, 0, 1, false},
    {"min_count", 10, 1, 1e9, true},
    {NULL, 0, 0, 0, false},
};

static const struct pdef *params_of(const char *kind)
{
    if (!strcmp(kind, "spike"))
        return spike_params;
    if (!strcmp(kind, "volume_change"))
        return volume_params;
    if (!strcmp(kind, "csat_drop"))
        return csat_params;
    if (!strcmp(kind, "negative_share"))
        return share_params;
    if (!strcmp(kind, "sla_compliance"))
        return sla_params;
    return NULL;
}

static int bad(struct kerr *err, const char *field, const char *msg)
{
    return kerr_set(err, KERR_INVALID, "invalid_field", field, "%s", msg);
}

/* The member name of in, else the same member parsed from the old JSON text. */
static const cJSON *member(const cJSON *in, const char *name, const char *old, cJSON **tmp)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(in, name);
    if (v || !old)
        return v;
    *tmp = cJSON_Parse(old);
    return *tmp;
}

static int check_string(const cJSON *v, const char *field, size_t max, bool required,
                        struct kerr *err)
{
    if (!v)
        return required
                   ? kerr_set(err, KERR_INVALID, "missing_field", field, "%s is required", field)
                   : 0;
    if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > max)
        return kerr_set(err, KERR_INVALID, "invalid_field", field,
                        "%s must be a non-empty string of at most %zu bytes", field, max);
    return 0;
}

static int write_dims(const cJSON *d, const char *kind, struct jsonw *w, struct kerr *err)
{
    const cJSON *e;
    int n = 0;
    if (d && !cJSON_IsArray(d))
        return bad(err, "dimensions", "dimensions must be an array of column names");
    if (!d && !strcmp(kind, "spike")) {
        jsonw_arr(w);
        jsonw_str(w, "category_l1");
        jsonw_str(w, "channel");
        jsonw_str(w, "product");
        jsonw_end(w);
        return 0;
    }
    if (d && cJSON_GetArraySize(d) > 0 && !strcmp(kind, "severe"))
        return bad(err, "dimensions", "a severe-complaint rule has no dimensions");
    if (d && cJSON_GetArraySize(d) > STORE_ALERT_DIMS)
        return bad(err, "dimensions", "at most 4 dimensions");
    jsonw_arr(w);
    cJSON_ArrayForEach(e, d)
    {
        if (!cJSON_IsString(e) || !store_alert_column_ok(e->valuestring))
            return kerr_set(err, KERR_INVALID, "invalid_field", "dimensions",
                            "dimension %d is not one of channel, category_l1..3, product, store,"
                            " region, severity, sentiment, customer_segment, team, assignee,"
                            " priority, status",
                            n);
        for (const cJSON *p = d->child; p != e; p = p->next)
            if (!strcmp(p->valuestring, e->valuestring))
                return bad(err, "dimensions", "a dimension is named twice");
        jsonw_str(w, e->valuestring);
        n++;
    }
    jsonw_end(w);
    return 0;
}

static int write_filter(const cJSON *f, struct jsonw *w, struct kerr *err)
{
    const cJSON *e;
    if (f && !cJSON_IsObject(f))
        return bad(err, "filter", "filter must be an object of column: value");
    if (f && cJSON_GetArraySize(f) > STORE_ALERT_FILTERS)
        return bad(err, "filter", "at most 8 filter columns");
    jsonw_obj(w);
    cJSON_ArrayForEach(e, f)
    {
        if (!store_alert_column_ok(e->string))
            return kerr_set(err, KERR_INVALID, "invalid_field", "filter",
                            "filter column %.60s is not one alerts can filter by", e->string);
        if (!cJSON_IsString(e) || strlen(e->valuestring) > 256)
            return kerr_set(err, KERR_INVALID, "invalid_field", "filter",
                            "filter value of %.60s must be a string", e->string);
        jsonw_kstr(w, e->string, e->valuestring);
    }
    jsonw_end(w);
    return 0;
}

static int write_params(const cJSON *p, const char *kind, struct jsonw *w, struct kerr *err)
{
    const struct pdef *defs = params_of(kind);
    const cJSON *e;
    char field[96];
    if (p && !cJSON_IsObject(p))
        return bad(err, "params", "params must be an object");
    cJSON_ArrayForEach(e, p)
    {
        bool known = (!defs && !strcmp(e->string, "severities")) ||
                     (!strcmp(kind, "spike") && !strcmp(e->string, "period"));
        for (const struct pdef *d = defs; d && d->name; d++)
            known |= !strcmp(d->name, e->string);
        if (!known) {
            snprintf(field, sizeof field, "params.%.60s", e->string);
            return kerr_set(err, KERR_INVALID, "invalid_field", field,
                            "%s rules have no parameter %.60s", kind, e->string);
        }
    }
    jsonw_obj(w);
    for (const struct pdef *d = defs; d && d->name; d++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, d->name);
        double x = d->def;
        snprintf(field, sizeof field, "params.%s", d->name);
        if (v) {
            if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < d->lo ||
                v->valuedouble > d->hi || (d->whole && v->valuedouble != floor(v->valuedouble)))
                return kerr_set(err, KERR_INVALID, "invalid_field", field,
                                "%s must be a %s between %g and %g", field,
                                d->whole ? "whole number" : "number", d->lo, d->hi);
            x = v->valuedouble;
        }
        jsonw_kdouble(w, d->name, x);
    }
    if (!strcmp(kind, "spike")) {
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(p, "period");
        if (pv && (!cJSON_IsString(pv) ||
                   (strcmp(pv->valuestring, "day") && strcmp(pv->valuestring, "week"))))
            return bad(err, "params.period", "period is day or week");
        jsonw_kstr(w, "period", pv ? pv->valuestring : "day");
    }
    if (!defs) { /* severe */
        const cJSON *sv = cJSON_GetObjectItemCaseSensitive(p, "severities");
        jsonw_key(w, "severities");
        jsonw_arr(w);
        if (!sv) {
            jsonw_str(w, "critical");
            jsonw_str(w, "high");
        } else if (!cJSON_IsArray(sv) || cJSON_GetArraySize(sv) == 0 ||
                   cJSON_GetArraySize(sv) > 4) {
            return bad(err, "params.severities", "severities must list 1 to 4 severities");
        }
        cJSON_ArrayForEach(e, sv)
        {
            bool ok = false;
            for (const char *const *s = record_severities; *s; s++)
                ok |= cJSON_IsString(e) && !strcmp(*s, e->valuestring);
            if (!ok)
                return bad(err, "params.severities",
                           "severities are low, medium, high or critical");
            jsonw_str(w, e->valuestring);
        }
        jsonw_end(w);
    }
    jsonw_end(w);
    return 0;
}

static int write_ids(const cJSON *r, struct jsonw *w, struct kerr *err)
{
    const cJSON *e;
    if (r && (!cJSON_IsArray(r) || cJSON_GetArraySize(r) > 16))
        return bad(err, "receivers", "receivers must be an array of at most 16 receiver ids");
    jsonw_arr(w);
    cJSON_ArrayForEach(e, r)
    {
        if (!cJSON_IsNumber(e) || e->valuedouble < 1 || e->valuedouble > 9e15 ||
            e->valuedouble != floor(e->valuedouble))
            return bad(err, "receivers", "receivers must be receiver ids");
        jsonw_int(w, (int64_t)e->valuedouble);
    }
    jsonw_end(w);
    return 0;
}

/* Appends one JSON value written by fn to sb; returns its offset. */
#define PART(fn, ...)                                                                              \
    do {                                                                                           \
        struct strbuf part = STRBUF_INIT;                                                          \
        struct jsonw w;                                                                            \
        jsonw_init(&w, &part);                                                                     \
        rc = fn(__VA_ARGS__, &w, err);                                                             \
        offs[np++] = sb->len;                                                                      \
        strbuf_add(sb, part.buf ? part.buf : "", part.len);                                        \
        strbuf_addch(sb, '\0');                                                                    \
        strbuf_release(&part);                                                                     \
        if (rc < 0)                                                                                \
            goto out;                                                                              \
    } while (0)

int alert_rule_check(const cJSON *in, const struct store_alert_rule *old,
                     struct store_alert_rule *out, struct strbuf *sb, struct kerr *err)
{
    cJSON *t1 = NULL, *t2 = NULL, *t3 = NULL, *t4 = NULL;
    const cJSON *name, *kind, *en;
    size_t offs[8], np = 0, base;
    int rc;

    if (!cJSON_IsObject(in))
        return bad(err, "", "the body must be a JSON object");
    name = cJSON_GetObjectItemCaseSensitive(in, "name");
    kind = cJSON_GetObjectItemCaseSensitive(in, "kind");
    en = cJSON_GetObjectItemCaseSensitive(in, "enabled");
    if ((rc = check_string(name, "name", 128, !old, err)) < 0)
        return rc;
    if (!old && !kind)
        return kerr_set(err, KERR_INVALID, "missing_field", "kind", "kind is required");
    if (kind && (!cJSON_IsString(kind) || !alert_kind_ok(kind->valuestring)))
        return bad(err, "kind",
                   "kind is spike, volume_change, csat_drop, negative_share, sla_compliance or "
                   "severe");
    if (en && !cJSON_IsBool(en))
        return bad(err, "enabled", "enabled is true or false");
    const char *k = kind ? kind->valuestring : old->kind;
    bool kind_changed = old && kind && strcmp(old->kind, k);
    base = sb->len;
    strbuf_addstr(sb, name ? name->valuestring : old->name);
    strbuf_addch(sb, '\0');
    strbuf_addstr(sb, k);
    strbuf_addch(sb, '\0');
    /* a new kind starts from its own defaults rather than the old kind's params */
    PART(write_dims, member(in, "dimensions", old && !kind_changed ? old->dimensions : NULL, &t1),
         k);
    PART(write_filter, member(in, "filter", old ? old->filter : NULL, &t2));
    PART(write_params, member(in, "params", old && !kind_changed ? old->params : NULL, &t3), k);
    PART(write_ids, member(in, "receivers", old ? old->receivers : NULL, &t4));
    memset(out, 0, sizeof *out);
    out->id = old ? old->id : 0;
    out->created_at = old ? old->created_at : 0;
    out->enabled = en ? cJSON_IsTrue(en) : old ? old->enabled : true;
    out->name = sb->buf + base;
    out->kind = out->name + strlen(out->name) + 1;
    out->dimensions = sb->buf + offs[0];
    out->filter = sb->buf + offs[1];
    out->params = sb->buf + offs[2];
    out->receivers = sb->buf + offs[3];
out:
    cJSON_Delete(t1);
    cJSON_Delete(t2);
    cJSON_Delete(t3);
    cJSON_Delete(t4);
    return rc;
}

static bool loopback_or_http(const char *url, const char *kind)
{
    if (!strcmp(kind, "email"))
        return !strncmp(url, "smtp://", 7) || !strncmp(url, "smtps://", 8);
    return !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8);
}

static int write_config(const cJSON *c, struct jsonw *w, struct kerr *err)
{
    if (c && !cJSON_IsObject(c))
        return bad(err, "config", "config must be an object");
    char *txt = c ? cJSON_PrintUnformatted(c) : NULL;
    jsonw_raw(w, txt ? txt : "{}", txt ? strlen(txt) : 2);
    cJSON_free(txt);
    return 0;
}

int alert_receiver_check(const cJSON *in, const struct store_alert_receiver *old,
                         struct store_alert_receiver *out, struct strbuf *sb, struct kerr *err)
{
    const cJSON *name, *kind, *url, *secret, *en, *cfg;
    cJSON *t1 = NULL;
    size_t offs[2], np = 0, base;
    int rc;

    if (!cJSON_IsObject(in))
        return bad(err, "", "the body must be a JSON object");
    name = cJSON_GetObjectItemCaseSensitive(in, "name");
    kind = cJSON_GetObjectItemCaseSensitive(in, "kind");
    url = cJSON_GetObjectItemCaseSensitive(in, "url");
    secret = cJSON_GetObjectItemCaseSensitive(in, "secret");
    en = cJSON_GetObjectItemCaseSensitive(in, "enabled");
    if ((rc = check_string(name, "name", 128, !old, err)) < 0 ||
        (rc = check_string(url, "url", 2048, !old, err)) < 0)
        return rc;
    if (!old && !kind)
        return kerr_set(err, KERR_INVALID, "missing_field", "kind", "kind is required");
    if (kind && (!cJSON_IsString(kind) || !notify_kind_ok(kind->valuestring)))
        return bad(err, "kind", "kind is webhook, dingtalk, wecom, feishu or email");
    if (secret && !cJSON_IsNull(secret) &&
        (!cJSON_IsString(secret) || strlen(secret->valuestring) > 256))
        return bad(err, "secret", "secret must be a string of at most 256 bytes");
    if (en && !cJSON_IsBool(en))
        return bad(err, "enabled", "enabled is true or false");
    const char *k = kind ? kind->valuestring : old->kind;
    const char *u = url ? url->valuestring : old->url;
    if (!loopback_or_http(u, k) || strpbrk(u, " \r\n\t"))
        return bad(err, "url",
                   !strcmp(k, "email") ? "an e-mail receiver's url is smtp://host:port or "
                                         "smtps://host:port"
                                       : "url must be an http:// or https:// URL");
    base = sb->len;
    strbuf_addstr(sb, name ? name->valuestring : old->name);
    strbuf_addch(sb, '\0');
    strbuf_addstr(sb, k);
    strbuf_addch(sb, '\0');
    strbuf_addstr(sb, u);
    strbuf_addch(sb, '\0');
    const char *sec = secret ? (cJSON_IsString(secret) ? secret->valuestring : NULL)
                      : old  ? old->secret
                             : NULL;
    if (sec && *sec)
        seal_into(sb, sec, "alert_receiver.secret");
    strbuf_addch(sb, '\0');
    cfg = member(in, "config", old ? old->config : NULL, &t1);
    if (cJSON_IsObject(cfg)) {
        cJSON *sealed = sealed_config(cfg, old ? old->config : NULL);
        cJSON_Delete(t1);
        cfg = t1 = sealed;
    }
    PART(write_config, cfg);
    if (!strcmp(k, "email")) {
        const cJSON *to = cJSON_GetObjectItemCaseSensitive(cfg, "to");
        const cJSON *from = cJSON_GetObjectItemCaseSensitive(cfg, "from");
        if (!cJSON_IsArray(to) || cJSON_GetArraySize(to) == 0 || !cJSON_IsString(from)) {
            rc = bad(err, "config", "an e-mail receiver needs config.from and config.to [...]");
            goto out;
        }
    }
    memset(out, 0, sizeof *out);
    out->id = old ? old->id : 0;
    out->created_at = old ? old->created_at : 0;
    out->enabled = en ? cJSON_IsTrue(en) : old ? old->enabled : true;
    out->name = sb->buf + base;
    out->kind = out->name + strlen(out->name) + 1;
    out->url = out->kind + strlen(out->kind) + 1;
    out->secret = out->url + strlen(out->url) + 1;
    if (!*out->secret)
        out->secret = NULL;
    out->config = sb->buf + offs[0];
out:
    cJSON_Delete(t1);
    return rc;
}

void alert_rule_json(const struct store_alert_rule *r, struct jsonw *w)
{
    char t[40];
    jsonw_obj(w);
    jsonw_kint(w, "id", r->id);
    jsonw_kstr(w, "name", r->name);
    jsonw_kstr(w, "kind", r->kind);
    jsonw_key(w, "dimensions");
    jsonw_raw(w, r->dimensions, strlen(r->dimensions));
    jsonw_key(w, "filter");
    jsonw_raw(w, r->filter, strlen(r->filter));
    jsonw_key(w, "params");
    jsonw_raw(w, r->params, strlen(r->params));
    jsonw_key(w, "receivers");
    jsonw_raw(w, r->receivers, strlen(r->receivers));
    jsonw_kbool(w, "enabled", r->enabled);
    jsonw_kstr(w, "created_at", clock_format(r->created_at, t));
    jsonw_kstr(w, "updated_at", clock_format(r->updated_at, t));
    jsonw_end(w);
}

void alert_receiver_json(const struct store_alert_receiver *r, struct jsonw *w)
{
    char t[40];
    cJSON *cfg = cJSON_Parse(r->config ? r->config : "{}");
    if (cfg && cJSON_GetObjectItemCaseSensitive(cfg, "password"))
        cJSON_ReplaceItemInObjectCaseSensitive(cfg, "password", cJSON_CreateString("***"));
    char *txt = cfg ? cJSON_PrintUnformatted(cfg) : NULL;
    jsonw_obj(w);
    jsonw_kint(w, "id", r->id);
    jsonw_kstr(w, "name", r->name);
    jsonw_kstr(w, "kind", r->kind);
    jsonw_kstr(w, "url", r->url);
    jsonw_kbool(w, "has_secret", r->secret && *r->secret);
    jsonw_key(w, "config");
    jsonw_raw(w, txt ? txt : "{}", txt ? strlen(txt) : 2);
    jsonw_kbool(w, "enabled", r->enabled);
    jsonw_kstr(w, "created_at", clock_format(r->created_at, t));
    jsonw_kstr(w, "updated_at", clock_format(r->updated_at, t));
    jsonw_end(w);
    cJSON_free(txt);
    cJSON_Delete(cfg);
}

static int any_rule(void *arg, const struct store_alert_rule *r)
{
    (void)r;
    *(bool *)arg = true;
    return 1;
}

int alerts_seed_rules(struct store *s, struct kerr *err)
{
    static const char *const seeds[] = {
        "{\"name\":\"投诉量突增（品类×渠道×产品）\",\"kind\":\"spike\"}",
        "{\"name\":\"严重投诉\",\"kind\":\"severe\"}",
        "{\"name\":\"投诉量周环比上升 50%\",\"kind\":\"volume_change\","
        "\"dimensions\":[\"category_l1\"]}",
        "{\"name\":\"负面情绪占比超过 40%\",\"kind\":\"negative_share\","
        "\"dimensions\":[\"category_l1\"],\"params\":{\"min_count\":20}}",
        "{\"name\":\"满意度下降 5 个百分点\",\"kind\":\"csat_drop\"}",
        "{\"name\":\"SLA 达成率低于 90%\",\"kind\":\"sla_compliance\"}",
    };
    bool any = false;
    int rc, n = 0;
    if ((rc = store_alert_rules(s, 0, any_rule, &any, err)) < 0 || any)
        return rc;
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        cJSON *in = cJSON_Parse(seeds[i]);
        struct store_alert_rule r;
        struct strbuf sb = STRBUF_INIT;
        rc = alert_rule_check(in, NULL, &r, &sb, err);
        if (rc == 0)
            rc = store_alert_rule_save(s, &r, "system", err);
        cJSON_Delete(in);
        strbuf_release(&sb);
        if (rc < 0)
            return rc;
        n++;
    }
    return n;
}
