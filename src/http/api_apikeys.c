/*
 * api_apikeys.c: /api/v1/apikeys (users:manage): list, create and revoke
 * the API keys of integrations. A key is shown once, in the answer that
 * creates it. Keys made here name their permissions (or a role); "*"
 * (everything, also permissions added later) is for the operator's CLI.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "http/api.h"
#include "secure/apikey.h"
#include "base/banned.h"

static int list_one(void *arg, const struct store_apikey *k)
{
    struct jsonw *w = arg;
    char ts[CLOCK_FMT_MAX];
    jsonw_obj(w);
    jsonw_kint(w, "id", k->id);
    jsonw_kstr(w, "name", k->name);
    jsonw_kstr(w, "prefix", k->prefix);
    jsonw_kstr(w, "scopes", k->scopes ? k->scopes : "*");
    jsonw_kstr(w, "created_at", clock_format(k->created_at, ts));
    jsonw_kstr(w, "expires_at", k->expires_at ? clock_format(k->expires_at, ts) : NULL);
    jsonw_kstr(w, "revoked_at", k->revoked_at ? clock_format(k->revoked_at, ts) : NULL);
    jsonw_end(w);
    return 0;
}

int api_apikeys_list(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    if (store_apikey_list(r->store, list_one, &w) < 0) {
        strbuf_release(&sb);
        return reply_error(r, 503, "busy", NULL, "the store is busy; retry");
    }
    jsonw_end(&w);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

/* The scopes as one string ("*", "role:NAME" or permissions), or -1 after replying 400. */
static int read_scopes(struct req *r, const cJSON *v, struct strbuf *out)
{
    const cJSON *it;
    if (cJSON_IsString(v) && *v->valuestring) {
        strbuf_addstr(out, v->valuestring);
        return 0;
    }
    if (cJSON_IsArray(v) && cJSON_GetArraySize(v) > 0) {
        cJSON_ArrayForEach(it, v)
        {
            if (!cJSON_IsString(it))
                goto bad;
            strbuf_addf(out, "%s%s", out->len ? " " : "", it->valuestring);
        }
        return 0;
    }
bad:
    reply_error(r, 400, v ? "invalid_type" : "missing_field", "scopes",
                "scopes: \"role:NAME\", or permission names (a string or an array)");
    return -1;
}

/*
 * "*" (every permission, present and future) only from a caller who has it: anything
 * narrower users:manage may grant anyway, by making a user or a role.
 */
static int within_caller(struct req *r, const char *scopes)
{
    if (r->who.all_perms || strcmp(scopes, "*") != 0)
        return 0;
    reply_error(r, 403, "scope_too_wide", "scopes",
                "\"*\" gives every permission, future ones too: name the permissions");
    return -1;
}

int api_apikeys_create(struct req *r)
{
    cJSON *j = parse_body(r), *v;
    struct strbuf scopes = STRBUF_INIT, sb = STRBUF_INIT;
    struct store_who who = {r->actor, r->client};
    const char *name;
    int64_t expires = 0, id;
    char *key = NULL, ts[CLOCK_FMT_MAX];
    struct jsonw w;
    struct kerr e;

    if (!j)
        return REQ_DONE;
    if (!cJSON_IsObject(j)) {
        reply_error(r, 400, "invalid_type", NULL, "send a JSON object");
        goto done;
    }
    v = cJSON_GetObjectItemCaseSensitive(j, "name");
    if (!cJSON_IsString(v) || !*v->valuestring) {
        reply_error(r, 400, v ? "invalid_type" : "missing_field", "name",
                    "name (1 to 63 bytes) says which integration the key is for");
        goto done;
    }
    name = v->valuestring;
    if (read_scopes(r, cJSON_GetObjectItemCaseSensitive(j, "scopes"), &scopes) < 0 ||
        within_caller(r, scopes.buf) < 0)
        goto done;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "expires_days"))) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 36500)) {
            reply_error(r, 400, "invalid_field", "expires_days",
                        "expires_days is a number of days, more than 0 and at most 36500");
            goto done;
        }
        expires = clock_now_ms() + (int64_t)llround(v->valuedouble * 86400000.0);
    }
    kerr_clear(&e);
    if (apikey_create_by(r->store, name, scopes.buf, expires, &who, &key, &id, &e) < 0) {
        reply_kerr(r, e.code[0] && strcmp(e.code, "storage_error") ? KERR_INVALID : KERR_IO, &e);
        goto done;
    }
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kint(&w, "id", id);
    jsonw_kstr(&w, "name", name);
    jsonw_kstr(&w, "scopes", scopes.buf);
    jsonw_kstr(&w, "expires_at", expires ? clock_format(expires, ts) : NULL);
    jsonw_kstr(&w, "key", key);
    jsonw_end(&w);
    reply_json(r, 201, &sb);
done:
    free(key);
    strbuf_release(&scopes);
    cJSON_Delete(j);
    return REQ_DONE;
}

int api_apikeys_revoke(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct store_who who = {r->actor, r->client};
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    int rc;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no active API key with that id");
    kerr_clear(&e);
    if ((rc = store_apikey_revoke_by(r->store, id, &who, &e)) < 0)
        return reply_kerr(r, rc, &e);
    strbuf_addf(&sb, "{\"id\":%lld,\"revoked\":true}", (long long)id);
    return reply_json(r, 200, &sb);
}
