/*
 * api_auth.c: /api/v1/auth (sign-in, sign-out, who am I, own password) and
 * /api/v1/users, /api/v1/roles (users:manage). The decisions (passwords,
 * lockout, sessions, roles) are in secure/auth.c and secure/roles.c; this
 * file reads the JSON, calls them and writes the answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "http/api.h"
#include "secure/auth.h"
#include "secure/roles.h"
#include "base/banned.h"

#define COOKIE_NAME "kesu_session"

/* A string member of obj: NULL when absent; -1 after replying 400 when not a string. */
static int get_str(struct req *r, const cJSON *obj, const char *name, bool required, size_t max,
                   const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required) {
            reply_error(r, 400, "missing_field", name, "%s is required", name);
            return -1;
        }
        return 0;
    }
    if (!cJSON_IsString(v)) {
        reply_error(r, 400, "invalid_type", name, "%s must be a string", name);
        return -1;
    }
    if (required && !*v->valuestring) {
        reply_error(r, 400, "missing_field", name, "%s is required", name);
        return -1;
    }
    if (strlen(v->valuestring) > max) {
        reply_error(r, 400, "too_long", name, "%s has more than %zu bytes", name, max);
        return -1;
    }
    *out = v->valuestring;
    return 0;
}

/* The body as a JSON object, or NULL after replying 400. */
static cJSON *body_object(struct req *r)
{
    cJSON *j = parse_body(r);
    if (j && !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        reply_error(r, 400, "invalid_type", NULL, "send a JSON object");
        return NULL;
    }
    return j;
}

static void write_perms(struct jsonw *w, const struct auth_principal *p)
{
    jsonw_key(w, "permissions");
    jsonw_arr(w);
    for (size_t i = 0; i < perm_count; i++)
        if (auth_can(p, perm_names[i]))
            jsonw_str(w, perm_names[i]);
    jsonw_end(w);
}

/* {"user":{...},"csrf_token":...} for a signed-in user. */
static void write_me(struct jsonw *w, const struct auth_principal *p)
{
    jsonw_obj(w);
    if (p->kind == AUTH_SESSION) {
        jsonw_key(w, "user");
        jsonw_obj(w);
        jsonw_kint(w, "id", p->id);
        jsonw_kstr(w, "username", p->name);
        jsonw_kstr(w, "display_name", p->display_name);
        jsonw_kstr(w, "role", p->role);
        jsonw_key(w, "teams");
        jsonw_arr(w);
        for (int i = 0; i < p->scope.nteams; i++)
            jsonw_str(w, p->scope.teams[i]);
        jsonw_end(w);
        write_perms(w, p);
        jsonw_kstr(w, "scope", scope_kind_name(p->scope.kind));
        jsonw_end(w);
        jsonw_kstr(w, "csrf_token", p->csrf);
    } else {
        jsonw_key(w, "user");
        jsonw_null(w);
        jsonw_key(w, "apikey");
        jsonw_obj(w);
        jsonw_kint(w, "id", p->id);
        jsonw_kstr(w, "name", p->name);
        write_perms(w, p);
        jsonw_end(w);
    }
    jsonw_end(w);
}

static void set_cookie(struct req *r, const char *value, long max_age)
{
    char c[256];
    snprintf(c, sizeof c, COOKIE_NAME "=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Strict%s",
             value, max_age, r->opts->tls_cert_pem ? "; Secure" : "");
    reply_with_header(r, "Set-Cookie", c);
}

int api_auth_login(struct req *r)
{
    cJSON *j = body_object(r);
    const char *user, *pass;
    struct auth_login *lg;
    struct auth_principal p;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    int rc;

    if (!j)
        return REQ_DONE;
    if (get_str(r, j, "username", true, 63, &user) < 0 ||
        get_str(r, j, "password", true, AUTH_PASSWORD_MAX, &pass) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    lg = calloc(1, sizeof(*lg));
    if (!lg) {
        cJSON_Delete(j);
        return reply_error(r, 503, "busy", NULL, "out of memory; retry");
    }
    kerr_clear(&e);
    rc = auth_login(r->store, user, pass, r->client, lg, &e);
    cJSON_Delete(j);
    if (rc == KERR_BUSY && strcmp(e.code, "locked") == 0) {
        char ra[32];
        snprintf(ra, sizeof ra, "%lld", (long long)(lg->retry_after_ms + 999) / 1000);
        reply_error(r, 429, "locked", "username", "%s", e.message);
        reply_with_header(r, "Retry-After", ra);
    } else if (rc == KERR_AUTH) {
        reply_error(r, 401, e.code, e.field, "%s", e.message);
    } else if (rc < 0) {
        reply_kerr(r, rc, &e);
    } else if (auth_principal_user(r->store, &lg->user, &p) < 0) {
        reply_error(r, 403, "no_role", "role", "the user's role \"%s\" does not exist",
                    lg->user.role);
    } else {
        snprintf(p.csrf, sizeof p.csrf, "%s", lg->csrf);
        p.session_id = lg->session.id;
        jsonw_init(&w, &sb);
        write_me(&w, &p);
        reply_json(r, 200, &sb);
        set_cookie(r, lg->token, (long)(auth_config.absolute_ms / 1000));
    }
    sodium_memzero(lg, sizeof(*lg));
    free(lg);
    return REQ_DONE;
}

int api_auth_me(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    jsonw_init(&w, &sb);
    write_me(&w, &r->who);
    return reply_json(r, 200, &sb);
}

int api_auth_logout(struct req *r)
{
    struct store_who who = {r->actor, r->client};
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    if (r->who.kind != AUTH_SESSION)
        return reply_error(r, 400, "not_a_session", NULL,
                           "only a signed-in session can sign out (API keys are revoked)");
    kerr_clear(&e);
    if (store_session_delete(r->store, r->who.session_id, &who, &e) < 0 && e.code[0] &&
        strcmp(e.code, "not_found") != 0)
        return reply_kerr(r, KERR_IO, &e);
    strbuf_addstr(&sb, "{\"signed_out\":true}");
    reply_json(r, 200, &sb);
    set_cookie(r, "", 0);
    return REQ_DONE;
}

int api_auth_password(struct req *r)
{
    cJSON *j;
    const char *cur, *next;
    struct store_user u;
    struct store_user_change ch = {.disabled = -1};
    struct store_who who = {r->actor, r->client};
    char hash[AUTH_HASH_MAX];
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    int rc;

    if (r->who.kind != AUTH_SESSION)
        return reply_error(r, 400, "not_a_session", NULL, "sign in to change your password");
    if (!(j = body_object(r)))
        return REQ_DONE;
    if (get_str(r, j, "current_password", true, AUTH_PASSWORD_MAX, &cur) < 0 ||
        get_str(r, j, "new_password", true, AUTH_PASSWORD_MAX, &next) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    kerr_clear(&e);
    if (store_user_get(r->store, NULL, r->who.id, &u) < 0 ||
        !auth_check_password(u.password_hash, cur)) {
        cJSON_Delete(j);
        return reply_error(r, 403, "wrong_password", "current_password",
                           "the current password is wrong");
    }
    rc = auth_hash_password(next, hash, &e);
    cJSON_Delete(j);
    if (rc < 0)
        return reply_error(r, 400, e.code, "new_password", "%s", e.message);
    ch.password_hash = hash;
    if ((rc = store_user_update(r->store, r->who.id, &ch, &who, &e)) < 0)
        return reply_kerr(r, rc, &e);
    /* every session of the user ended with the change, this one too */
    strbuf_addstr(&sb, "{\"password_changed\":true}");
    reply_json(r, 200, &sb);
    set_cookie(r, "", 0);
    return REQ_DONE;
}
