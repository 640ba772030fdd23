/*
 * api_alerts.c: /api/v1/alerts: alert episodes (list, one with its metric
 * series and deliveries, acknowledge), rules and receivers as data (CRUD),
 * and an evaluation at a chosen instant for administrators and tests. The
 * work is in insight/alerts.h; these are adapters.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/xmalloc.h"
#include "http/api.h"
#include "insight/alerts.h"
#include "base/banned.h"

/* ---- alerts ------------------------------------------------------------------------------- */

struct list_ctx {
    struct req *r;
    struct jsonw *w;
    int64_t last;
    int n, rc;
    struct kerr e;
};

static int write_alert(void *arg, const struct store_alert *a)
{
    struct list_ctx *c = arg;
    c->last = a->id;
    c->n++;
    c->rc = alerts_alert_json(c->r->store, a, false, c->w, &c->e);
    return c->rc < 0;
}

int api_alerts_list(struct req *r)
{
    const char *state = req_query(r, "state"), *lim = req_query(r, "limit");
    const char *cursor = req_query(r, "cursor"), *rule = req_query(r, "rule_id");
    struct store_alert_query q = {0, 0, NULL, 0, 100};
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct list_ctx c = {.r = r, .w = &w};
    char *end;

    if (state && strcmp(state, "open") && strcmp(state, "acknowledged") &&
        strcmp(state, "resolved") && strcmp(state, "active"))
        return reply_error(r, 400, "invalid_field", "state",
                           "state is open, acknowledged, resolved or active");
    q.state = state;
    if (lim) {
        long v = strtol(lim, &end, 10);
        if (*end || v < 1 || v > 1000)
            return reply_error(r, 400, "invalid_field", "limit", "limit is 1 to 1000");
        q.limit = (int)v;
    }
    if (rule) {
        long long v = strtoll(rule, &end, 10);
        if (*end || v < 1)
            return reply_error(r, 400, "invalid_field", "rule_id", "rule_id is a rule's id");
        q.rule_id = v;
    }
    if (cursor) {
        long long v = strtoll(cursor, &end, 10);
        if (*end || v < 1)
            return reply_error(r, 400, "invalid_field", "cursor", "cursor is a next_cursor value");
        q.before = v;
    }
    kerr_clear(&c.e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    int rc = store_alerts(r->store, &q, write_alert, &c, &c.e);
    if (rc == 0)
        rc = c.rc;
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &c.e);
    }
    jsonw_end(&w);
    if (c.n == q.limit)
        jsonw_kint(&w, "next_cursor", c.last);
    else
        jsonw_kstr(&w, "next_cursor", NULL);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

static int write_alert_full(void *arg, const struct store_alert *a)
{
    struct list_ctx *c = arg;
    c->rc = alerts_alert_json(c->r->store, a, true, c->w, &c->e);
    return 1;
}

int api_alerts_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct store_alert_query q = {id, 0, NULL, 0, 1};
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct list_ctx c = {.r = r, .w = &w};
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such alert");
    kerr_clear(&c.e);
    jsonw_init(&w, &sb);
    int rc = store_alerts(r->store, &q, write_alert_full, &c, &c.e);
    if (rc == 0)
        rc = c.rc;
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &c.e);
    }
    return reply_json(r, 200, &sb);
}

int api_alerts_ack(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct kerr e;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such alert");
    kerr_clear(&e);
    int rc = store_alert_ack(r->store, id, r->actor, clock_now_ms(), &e);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    return api_alerts_get(r);
}

int api_alerts_evaluate(struct req *r)
{
    const char *now_s = req_query(r, "now");
    int64_t now = clock_now_ms();
    struct alerts_report rep;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    char t[40];
    if (now_s && clock_parse(now_s, strlen(now_s), &now) < 0)
        return reply_error(r, 400, "invalid_time", "now", "now is an RFC 3339 time");
    kerr_clear(&e);
    int rc = alerts_evaluate(r->store, now, &rep, &e);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kstr(&w, "now", clock_format(now, t));
    jsonw_kint(&w, "rules", rep.rules);
    jsonw_kint(&w, "series", rep.series);
    jsonw_kint(&w, "fired", rep.fired);
    jsonw_kint(&w, "opened", rep.opened);
    jsonw_kint(&w, "resolved", rep.resolved);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

/* ---- rules ---------------------------------------------------------------------------------- */

struct owned_rule {
    struct store_alert_rule r;
    bool found;
};

static int copy_rule(void *arg, const struct store_alert_rule *r)
{
    struct owned_rule *o = arg;
    o->r = *r;
    o->r.name = xstrdup(r->name);
    o->r.kind = xstrdup(r->kind);
    o->r.dimensions = xstrdup(r->dimensions);
    o->r.filter = xstrdup(r->filter);
    o->r.params = xstrdup(r->params);
    o->r.receivers = xstrdup(r->receivers);
    o->found = true;
    return 1;
}

static void owned_rule_free(struct owned_rule *o)
{
    if (!o->found)
        return;
    free((char *)o->r.name);
    free((char *)o->r.kind);
    free((char *)o->r.dimensions);
    free((char *)o->r.filter);
    free((char *)o->r.params);
    free((char *)o->r.receivers);
}

static int reply_rule(struct req *r, unsigned status, int64_t id)
{
    struct owned_rule o = {.found = false};
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    kerr_clear(&e);
    int rc = store_alert_rules(r->store, id, copy_rule, &o, &e);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    jsonw_init(&w, &sb);
    alert_rule_json(&o.r, &w);
    owned_rule_free(&o);
    return reply_json(r, status, &sb);
}

static int receiver_exists(void *arg, const struct store_alert_receiver *rc)
{
    (void)rc;
    *(bool *)arg = true;
    return 1;
}

/* Every receiver a rule names must exist. */
static int check_receivers(struct req *r, const char *ids, struct kerr *e)
{
    cJSON *a = cJSON_Parse(ids);
    const cJSON *x;
    int rc = 0;
    cJSON_ArrayForEach(x, a)
    {
        bool found = false;
        store_alert_receivers(r->store, (int64_t)x->valuedouble, receiver_exists, &found, NULL);
        if (!found) {
            rc = kerr_set(e, KERR_INVALID, "invalid_field", "receivers", "no receiver %lld",
                          (long long)x->valuedouble);
            break;
        }
    }
    cJSON_Delete(a);
    return rc;
}

static int save_rule(struct req *r, const struct store_alert_rule *old, unsigned status)
{
    cJSON *body = parse_body(r);
    struct store_alert_rule rule;
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    int rc;
    if (!body)
        return REQ_DONE;
    kerr_clear(&e);
    rc = alert_rule_check(body, old, &rule, &sb, &e);
    if (rc == 0)
        rc = check_receivers(r, rule.receivers, &e);
    if (rc == 0)
        rc = store_alert_rule_save(r->store, &rule, r->actor, &e);
    cJSON_Delete(body);
    strbuf_release(&sb);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    return reply_rule(r, status, rule.id);
}

int api_alert_rules_create(struct req *r)
{
    return save_rule(r, NULL, 201);
}

int api_alert_rules_update(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct owned_rule o = {.found = false};
    struct kerr e;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such alert rule");
    kerr_clear(&e);
    int rc = store_alert_rules(r->store, id, copy_rule, &o, &e);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    rc = save_rule(r, &o.r, 200);
    owned_rule_free(&o);
    return rc;
}

int api_alert_rules_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such alert rule");
    return reply_rule(r, 200, id);
}

static int write_rule(void *arg, const struct store_alert_rule *rule)
{
    alert_rule_json(rule, arg);
    return 0;
}

int api_alert_rules_list(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    kerr_clear(&e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    int rc = store_alert_rules(r->store, 0, write_rule, &w, &e);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    jsonw_end(&w);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

int api_alert_rules_delete(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct kerr e;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such alert rule");
    kerr_clear(&e);
    int rc = store_alert_rule_delete(r->store, id, r->actor, &e);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    return reply_text(r, 204, "application/json", "", 0);
}

/* ---- receivers ------------------------------------------------------------------------------- */

struct owned_receiver {
    struct store_alert_receiver r;
    bool found;
};

static int copy_receiver(void *arg, const struct store_alert_receiver *r)
{
    struct owned_receiver *o = arg;
    o->r = *r;
    o->r.name = xstrdup(r->name);
    o->r.kind = xstrdup(r->kind);
    o->r.url = xstrdup(r->url);
    o->r.secret = r->secret ? xstrdup(r->secret) : NULL;
    o->r.config = xstrdup(r->config ? r->config : "{}");
    o->found = true;
    return 1;
}

static void owned_receiver_free(struct owned_receiver *o)
{
    if (!o->found)
        return;
    free((char *)o->r.name);
    free((char *)o->r.kind);
    free((char *)o->r.url);
    free((char *)o->r.secret);
    free((char *)o->r.config);
}

static int reply_receiver(struct req *r, unsigned status, int64_t id)
{
    struct owned_receiver o = {.found = false};
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    kerr_clear(&e);
    int rc = store_alert_receivers(r->store, id, copy_receiver, &o, &e);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    jsonw_init(&w, &sb);
    alert_receiver_json(&o.r, &w);
    owned_receiver_free(&o);
    return reply_json(r, status, &sb);
}

static int save_receiver(struct req *r, const struct store_alert_receiver *old, unsigned status)
{
    cJSON *body = parse_body(r);
    struct store_alert_receiver rec;
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    int rc;
    if (!body)
        return REQ_DONE;
    kerr_clear(&e);
    rc = alert_receiver_check(body, old, &rec, &sb, &e);
    if (rc == 0)
        rc = store_alert_receiver_save(r->store, &rec, r->actor, &e);
    cJSON_Delete(body);
    strbuf_release(&sb);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    return reply_receiver(r, status, rec.id);
}

int api_alert_receivers_create(struct req *r)
{
    return save_receiver(r, NULL, 201);
}

int api_alert_receivers_update(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct owned_receiver o = {.found = false};
    struct kerr e;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such receiver");
    kerr_clear(&e);
    int rc = store_alert_receivers(r->store, id, copy_receiver, &o, &e);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    rc = save_receiver(r, &o.r, 200);
    owned_receiver_free(&o);
    return rc;
}

int api_alert_receivers_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such receiver");
    return reply_receiver(r, 200, id);
}

static int write_receiver(void *arg, const struct store_alert_receiver *rec)
{
    alert_receiver_json(rec, arg);
    return 0;
}

int api_alert_receivers_list(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    kerr_clear(&e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    int rc = store_alert_receivers(r->store, 0, write_receiver, &w, &e);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    jsonw_end(&w);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

int api_alert_receivers_delete(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct kerr e;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such receiver");
    kerr_clear(&e);
    int rc = store_alert_receiver_delete(r->store, id, r->actor, &e);
    if (rc < 0)
        return reply_kerr(r, rc, &e);
    return reply_text(r, 204, "application/json", "", 0);
}
