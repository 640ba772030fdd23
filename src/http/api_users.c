/*
 * api_users.c: /api/v1/users and /api/v1/roles (permission users:manage):
 * list, create and change users, reset a password, list and define roles.
 * Every change is an audit entry with before/after (store/users.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "http/api.h"
#include "secure/auth.h"
#include "secure/roles.h"
#include "base/banned.h"

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

/* A string member: 0 and *out (NULL when absent), or -1 after replying 400. */
static int member_str(struct req *r, const cJSON *obj, const char *name, bool required, size_t max,
                      const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = NULL;
    if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring)) {
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
    if (strlen(v->valuestring) > max ||
        utf8_invalid_at(v->valuestring, strlen(v->valuestring)) >= 0) {
        reply_error(r, 400, "invalid_field", name, "%s must be UTF-8 of at most %zu bytes", name,
                    max);
        return -1;
    }
    *out = v->valuestring;
    return 0;
}

static bool username_valid(const char *u)
{
    size_t n = strlen(u);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = u[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@'))
            return false;
    }
    return true;
}

static int check_role(struct req *r, const char *role)
{
    permset p;
    enum store_scope_kind k;
    if (role_resolve(r->store, role, &p, &k) < 0) {
        reply_error(r, 400, "unknown_role", "role", "no role \"%.40s\"", role);
        return -1;
    }
    return 0;
}

static void write_user(struct jsonw *w, struct req *r, const struct store_user *u)
{
    struct store_scope sc;
    char ts[CLOCK_FMT_MAX];
    permset perms = 0;
    enum store_scope_kind k = STORE_SCOPE_NONE;
    memset(&sc, 0, sizeof sc);
    role_resolve(r->store, u->role, &perms, &k);
    store_user_teams(r->store, u->username, &sc);
    jsonw_obj(w);
    jsonw_kint(w, "id", u->id);
    jsonw_kstr(w, "username", u->username);
    jsonw_kstr(w, "display_name", u->display_name);
    jsonw_kstr(w, "role", u->role);
    jsonw_kstr(w, "email", u->email[0] ? u->email : NULL);
    jsonw_kbool(w, "disabled", u->disabled);
    jsonw_kint(w, "failed_logins", u->failed_logins);
    jsonw_kstr(w, "locked_until",
               u->locked_until > clock_now_ms() ? clock_format(u->locked_until, ts) : NULL);
    jsonw_key(w, "teams");
    jsonw_arr(w);
    for (int i = 0; i < sc.nteams; i++)
        jsonw_str(w, sc.teams[i]);
    jsonw_end(w);
    jsonw_key(w, "permissions");
    jsonw_arr(w);
    for (size_t i = 0; i < perm_count; i++)
        if ((perms >> i) & 1)
            jsonw_str(w, perm_names[i]);
    jsonw_end(w);
    jsonw_kstr(w, "scope", scope_kind_name(k));
    jsonw_kstr(w, "created_at", clock_format(u->created_at, ts));
    jsonw_kstr(w, "updated_at", clock_format(u->updated_at, ts));
    jsonw_end(w);
}

static int reply_user(struct req *r, unsigned status, int64_t id)
{
    struct store_user u;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    if (store_user_get(r->store, NULL, id, &u) < 0)
        return reply_error(r, 404, "not_found", "id", "no user with that id");
    jsonw_init(&w, &sb);
    write_user(&w, r, &u);
    return reply_json(r, status, &sb);
}

struct list_ctx {
    struct jsonw *w;
    struct req *r;
};

static int list_one(void *arg, const struct store_user *u)
{
    struct list_ctx *c = arg;
    write_user(c->w, c->r, u);
    return 0;
}

int api_users_list(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct list_ctx c = {&w, r};
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    if (store_user_list(r->store, list_one, &c) < 0) {
        strbuf_release(&sb);
        return reply_error(r, 503, "busy", NULL, "the store is busy; retry");
    }
    jsonw_end(&w);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

int api_users_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no user with that id");
    return reply_user(r, 200, id);
}

int api_users_create(struct req *r)
{
    cJSON *j = body_object(r);
    const char *username, *display, *role, *password, *email;
    struct store_user u;
    struct store_who who = {r->actor, r->client};
    struct kerr e;
    int rc;

    if (!j)
        return REQ_DONE;
    if (member_str(r, j, "username", true, 63, &username) < 0 ||
        member_str(r, j, "role", true, 31, &role) < 0 ||
        member_str(r, j, "password", true, AUTH_PASSWORD_MAX, &password) < 0 ||
        member_str(r, j, "display_name", false, 127, &display) < 0 ||
        member_str(r, j, "email", false, 127, &email) < 0)
        goto done;
    if (!username_valid(username)) {
        reply_error(r, 400, "invalid_field", "username",
                    "a username has 1 to 63 of A-Z a-z 0-9 . _ - @");
        goto done;
    }
    if (check_role(r, role) < 0)
        goto done;
    memset(&u, 0, sizeof u);
    kerr_clear(&e);
    if (auth_hash_password(password, u.password_hash, &e) < 0) {
        reply_error(r, 400, e.code, "password", "%s", e.message);
        goto done;
    }
    snprintf(u.username, sizeof u.username, "%s", username);
    snprintf(u.display_name, sizeof u.display_name, "%s", display ? display : username);
    snprintf(u.role, sizeof u.role, "%s", role);
    snprintf(u.email, sizeof u.email, "%s", email ? email : "");
    if ((rc = store_user_insert(r->store, &u, &who, &e)) < 0) {
        reply_kerr(r, rc, &e);
        goto done;
    }
    cJSON_Delete(j);
    return reply_user(r, 201, u.id);
done:
    cJSON_Delete(j);
    return REQ_DONE;
}

int api_users_patch(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    cJSON *j, *v;
    struct store_user_change ch = {.disabled = -1};
    struct store_who who = {r->actor, r->client};
    struct kerr e;
    int rc;

    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no user with that id");
    if (!(j = body_object(r)))
        return REQ_DONE;
    cJSON_ArrayForEach(v, j)
    {
        const char *n = v->string;
        if (strcmp(n, "display_name") != 0 && strcmp(n, "role") != 0 && strcmp(n, "email") != 0 &&
            strcmp(n, "disabled") != 0 && strcmp(n, "unlock") != 0) {
            rc = reply_error(r, 400, "not_patchable", n,
                             "\"%.40s\" cannot be changed here (display_name, role, email, "
                             "disabled, unlock; passwords: POST .../password)",
                             n);
            cJSON_Delete(j);
            return rc;
        }
    }
    if (member_str(r, j, "display_name", false, 127, &ch.display_name) < 0 ||
        member_str(r, j, "role", false, 31, &ch.role) < 0 ||
        member_str(r, j, "email", false, 127, &ch.email) < 0 ||
        (ch.role && check_role(r, ch.role) < 0))
        goto done;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "disabled"))) {
        if (!cJSON_IsBool(v)) {
            reply_error(r, 400, "invalid_type", "disabled", "disabled must be true or false");
            goto done;
        }
        ch.disabled = cJSON_IsTrue(v);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "unlock"))) {
        if (!cJSON_IsBool(v)) {
            reply_error(r, 400, "invalid_type", "unlock", "unlock must be true or false");
            goto done;
        }
        ch.unlock = cJSON_IsTrue(v);
    }
    if (ch.disabled == 1 && id == r->who.id && r->who.kind == AUTH_SESSION) {
        reply_error(r, 409, "self", "disabled", "you cannot disable your own account");
        goto done;
    }
    kerr_clear(&e);
    if ((rc = store_user_update(r->store, id, &ch, &who, &e)) < 0) {
        reply_kerr(r, rc, &e);
        goto done;
    }
    cJSON_Delete(j);
    return reply_user(r, 200, id);
done:
    cJSON_Delete(j);
    return REQ_DONE;
}

int api_users_password(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    cJSON *j;
    const char *password;
    char hash[AUTH_HASH_MAX];
    struct store_user_change ch = {.disabled = -1};
    struct store_who who = {r->actor, r->client};
    struct kerr e;
    int rc;

    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no user with that id");
    if (!(j = body_object(r)))
        return REQ_DONE;
    if (member_str(r, j, "password", true, AUTH_PASSWORD_MAX, &password) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    kerr_clear(&e);
    rc = auth_hash_password(password, hash, &e);
    cJSON_Delete(j);
    if (rc < 0)
        return reply_error(r, 400, e.code, "password", "%s", e.message);
    ch.password_hash = hash;
    if ((rc = store_user_update(r->store, id, &ch, &who, &e)) < 0)
        return reply_kerr(r, rc, &e);
    return reply_user(r, 200, id);
}

/* ---- roles ---------------------------------------------------------------- */

static void write_role(struct jsonw *w, const char *name, const char *perms, const char *scope,
                       const char *summary, bool builtin)
{
    permset p = 0;
    jsonw_obj(w);
    jsonw_kstr(w, "name", name);
    jsonw_kbool(w, "builtin", builtin);
    jsonw_kstr(w, "scope", scope);
    jsonw_kstr(w, "description", summary && *summary ? summary : NULL);
    jsonw_key(w, "permissions");
    jsonw_arr(w);
    for (const char *q = perms; *q;) {
        size_t len = strcspn(q, " ,");
        int i = len ? perm_index(q, len) : -1;
        if (i >= 0 && !((p >> i) & 1)) {
            p |= (permset)1 << i;
            jsonw_str(w, perm_names[i]);
        }
        q += len;
        q += strspn(q, " ,");
    }
    jsonw_end(w);
    jsonw_end(w);
}

static int role_one(void *arg, const struct store_role *ro)
{
    write_role(arg, ro->name, ro->permissions, ro->scope, ro->description, false);
    return 0;
}

int api_roles_list(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    for (const struct role_def *d = builtin_roles; d->name; d++)
        write_role(&w, d->name, d->perms, scope_kind_name(d->scope), d->summary, true);
    store_role_list(r->store, role_one, &w);
    jsonw_end(&w);
    jsonw_key(&w, "permissions");
    jsonw_arr(&w);
    for (size_t i = 0; i < perm_count; i++)
        jsonw_str(&w, perm_names[i]);
    jsonw_end(&w);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

int api_roles_put(struct req *r)
{
    cJSON *j = body_object(r), *perms, *it;
    const char *name, *scope, *desc;
    struct store_role ro;
    struct store_who who = {r->actor, r->client};
    struct strbuf list = STRBUF_INIT, sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    int rc;

    if (!j)
        return REQ_DONE;
    if (member_str(r, j, "name", true, 31, &name) < 0 ||
        member_str(r, j, "scope", true, 15, &scope) < 0 ||
        member_str(r, j, "description", false, 255, &desc) < 0)
        goto done;
    if (!role_name_valid(name)) {
        reply_error(r, 400, "invalid_field", "name",
                    "a role name has 1 to 31 of a-z 0-9 _ -, starting with a letter");
        goto done;
    }
    if (role_builtin(name)) {
        reply_error(r, 409, "builtin_role", "name", "%s is a built-in role", name);
        goto done;
    }
    if (scope_kind_parse(scope) < 0) {
        reply_error(r, 400, "invalid_field", "scope", "scope is one of all, teams, own, none");
        goto done;
    }
    perms = cJSON_GetObjectItemCaseSensitive(j, "permissions");
    if (!cJSON_IsArray(perms)) {
        reply_error(r, 400, perms ? "invalid_type" : "missing_field", "permissions",
                    "permissions is an array of permission names");
        goto done;
    }
    cJSON_ArrayForEach(it, perms)
    {
        if (!cJSON_IsString(it) || perm_index(it->valuestring, strlen(it->valuestring)) < 0) {
            reply_error(r, 400, "unknown_permission", "permissions",
                        "\"%.40s\" is not a permission (GET /api/v1/roles lists them)",
                        cJSON_IsString(it) ? it->valuestring : "?");
            goto done;
        }
        strbuf_addf(&list, "%s%s", list.len ? " " : "", it->valuestring);
    }
    memset(&ro, 0, sizeof ro);
    snprintf(ro.name, sizeof ro.name, "%s", name);
    snprintf(ro.permissions, sizeof ro.permissions, "%s", list.len ? list.buf : "");
    snprintf(ro.scope, sizeof ro.scope, "%s", scope);
    snprintf(ro.description, sizeof ro.description, "%s", desc ? desc : "");
    kerr_clear(&e);
    if ((rc = store_role_put(r->store, &ro, &who, &e)) < 0) {
        reply_kerr(r, rc, &e);
        goto done;
    }
    jsonw_init(&w, &sb);
    write_role(&w, ro.name, ro.permissions, ro.scope, ro.description, false);
    reply_json(r, 200, &sb);
done:
    strbuf_release(&list);
    cJSON_Delete(j);
    return REQ_DONE;
}
