/*
 * auth.c: passwords, sign-in with lockout, sessions, principals (auth.h).
 *
 * A session token is 32 random bytes shown once, as the cookie; the store
 * keeps its BLAKE2b hash, so reading the database opens no session. Lookups
 * go to the store each request (a reader query), so a logout, a disabled
 * user or a role change takes effect at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "secure/auth.h"
#include "base/banned.h"

struct auth_config auth_config = {
    .idle_ms = 30 * 60 * 1000LL,
    .absolute_ms = 12 * 3600 * 1000LL,
    .touch_ms = 60 * 1000LL,
    .lock_after = 5,
    .lock_base_ms = 30 * 1000LL,
    .lock_max_ms = 15 * 60 * 1000LL,
};

void auth_configure(const struct auth_config *c)
{
    auth_config = *c;
}

int auth_hash_password(const char *password, char out[AUTH_HASH_MAX], struct kerr *err)
{
    size_t n = strlen(password);
    if (n < AUTH_PASSWORD_MIN || n > AUTH_PASSWORD_MAX)
        return kerr_set(err, KERR_INVALID, "invalid_password", "password",
                        "a password has %d to %d bytes", AUTH_PASSWORD_MIN, AUTH_PASSWORD_MAX);
    if (sodium_init() < 0)
        return kerr_set(err, KERR_INTERNAL, "internal", "", "libsodium did not initialise");
    if (crypto_pwhash_str(out, password, n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return kerr_set(err, KERR_INTERNAL, "out_of_memory", "",
                        "not enough memory to hash the password");
    return 0;
}

bool auth_check_password(const char *hash, const char *password)
{
    if (!hash || !*hash || !password)
        return false;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

int64_t auth_lock_until(int failed, int64_t now)
{
    int64_t d;
    int extra;
    if (auth_config.lock_after <= 0 || failed < auth_config.lock_after)
        return 0;
    extra = failed - auth_config.lock_after;
    d = auth_config.lock_base_ms;
    while (extra-- > 0 && d < auth_config.lock_max_ms)
        d *= 2;
    if (d > auth_config.lock_max_ms)
        d = auth_config.lock_max_ms;
    return now + d;
}

enum auth_session_state auth_session_check(const struct store_session *sess, int64_t now)
{
    if (now >= sess->expires_at || now >= sess->created_at + auth_config.absolute_ms)
        return AUTH_SESSION_EXPIRED;
    if (now - sess->last_seen >= auth_config.idle_ms)
        return AUTH_SESSION_IDLE;
    return AUTH_SESSION_OK;
}

int auth_principal_key(struct store *s, const struct store_apikey_found *k,
                       struct auth_principal *p)
{
    memset(p, 0, sizeof(*p));
    p->kind = AUTH_APIKEY;
    p->id = k->id;
    snprintf(p->name, sizeof p->name, "%s", k->name);
    /* an integration key sees every case its permissions allow */
    p->scope.kind = STORE_SCOPE_ALL;
    if (strcmp(k->scopes, "*") == 0) {
        p->all_perms = true;
        p->perms = ~(permset)0;
        return 0;
    }
    if (strncmp(k->scopes, "role:", 5) == 0) {
        enum store_scope_kind sk;
        snprintf(p->role, sizeof p->role, "%.31s", k->scopes + 5);
        if (role_resolve(s, k->scopes + 5, &p->perms, &sk) < 0)
            p->perms = 0;
        return 0;
    }
    /* names unknown to this binary are ignored, never granted */
    for (const char *q = k->scopes; *q;) {
        size_t len = strcspn(q, " ,");
        int i = len ? perm_index(q, len) : -1;
        if (i >= 0)
            p->perms |= (permset)1 << i;
        q += len;
        q += strspn(q, " ,");
    }
    return 0;
}

int auth_principal_user(struct store *s, const struct store_user *u, struct auth_principal *p)
{
    enum store_scope_kind sk;
    memset(p, 0, sizeof(*p));
    p->kind = AUTH_SESSION;
    p->id = u->id;
    snprintf(p->name, sizeof p->name, "%s", u->username);
    snprintf(p->display_name, sizeof p->display_name, "%s", u->display_name);
    snprintf(p->role, sizeof p->role, "%s", u->role);
    if (role_resolve(s, u->role, &p->perms, &sk) < 0) {
        p->perms = 0;
        p->scope.kind = STORE_SCOPE_NONE;
        return KERR_AUTH;
    }
    p->scope.kind = sk;
    snprintf(p->scope.user, sizeof p->scope.user, "%s", u->username);
    if (sk == STORE_SCOPE_OWN || sk == STORE_SCOPE_TEAMS)
        store_user_teams(s, u->username, &p->scope);
    return 0;
}

bool auth_can(const struct auth_principal *p, const char *perm)
{
    if (!p || p->kind == AUTH_ANON)
        return false;
    if (!perm || p->all_perms)
        return true;
    return permset_has(p->perms, perm);
}

static void token_hash(const char *token, size_t len, unsigned char out[STORE_KEYHASH_LEN])
{
    crypto_generichash(out, STORE_KEYHASH_LEN, (const unsigned char *)token, len,
                       (const unsigned char *)"kesu-session", 12);
}

static void random_hex(char out[AUTH_TOKEN_HEX + 1])
{
    unsigned char rnd[AUTH_TOKEN_HEX / 2];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(out, AUTH_TOKEN_HEX + 1, rnd, sizeof rnd);
    sodium_memzero(rnd, sizeof rnd);
}

/* A hash to verify against when the user does not exist, so the answer takes as long. */
static char dummy_hash[AUTH_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    if (auth_hash_password("kesu-no-such-user", dummy_hash, NULL) < 0)
        dummy_hash[0] = '\0';
}

static void failed(struct store *s, const struct store_user *u, const char *username,
                   const char *reason, const char *origin, int64_t now)
{
    int64_t until = u ? auth_lock_until(u->failed_logins + 1, now) : 0;
    store_login_failed(s, u ? u->id : 0, username, until, reason, origin, NULL);
}

int auth_login(struct store *s, const char *username, const char *password, const char *origin,
               struct auth_login *out, struct kerr *err)
{
    int64_t now = clock_now_ms();
    unsigned char hash[STORE_KEYHASH_LEN];
    bool found;
    int rc;

    memset(out, 0, sizeof(*out));
    found = strlen(username) < sizeof out->user.username &&
            store_user_get(s, username, 0, &out->user) == 0;
    if (found && out->user.locked_until > now) {
        out->retry_after_ms = out->user.locked_until - now;
        store_login_failed(s, out->user.id, username, out->user.locked_until, "locked", origin,
                           NULL);
        return kerr_set(err, KERR_BUSY, "locked", "username",
                        "too many failed sign-ins; try again later");
    }
    if (!found) {
        pthread_once(&dummy_once, make_dummy);
        auth_check_password(dummy_hash, password);
        failed(s, NULL, username, "unknown_user", origin, now);
        return kerr_set(err, KERR_AUTH, "invalid_credentials", "password",
                        "wrong username or password");
    }
    if (!auth_check_password(out->user.password_hash, password) || out->user.disabled) {
        failed(s, &out->user, username, out->user.disabled ? "disabled" : "bad_password", origin,
               now);
        return kerr_set(err, KERR_AUTH, "invalid_credentials", "password",
                        "wrong username or password");
    }
    random_hex(out->token);
    random_hex(out->csrf);
    token_hash(out->token, AUTH_TOKEN_HEX, hash);
    out->session.user_id = out->user.id;
    snprintf(out->session.csrf, sizeof out->session.csrf, "%s", out->csrf);
    out->session.created_at = out->session.last_seen = now;
    out->session.expires_at = now + auth_config.absolute_ms;
    if ((rc = store_login_ok(s, username, hash, &out->session, origin, err)) < 0)
        return rc;
    out->user.failed_logins = 0;
    out->user.locked_until = 0;
    return 0;
}

int auth_session(struct store *s, const char *token, int64_t now, struct auth_principal *p)
{
    unsigned char hash[STORE_KEYHASH_LEN];
    struct store_session sess;
    struct store_user u;
    size_t len = strlen(token);

    if (len != AUTH_TOKEN_HEX)
        return KERR_AUTH;
    token_hash(token, len, hash);
    if (store_session_find(s, hash, &sess) < 0)
        return KERR_AUTH;
    if (auth_session_check(&sess, now) != AUTH_SESSION_OK) {
        store_session_delete(s, sess.id, NULL, NULL);
        return KERR_AUTH;
    }
    if (store_user_get(s, NULL, sess.user_id, &u) < 0 || u.disabled)
        return KERR_AUTH;
    if (auth_principal_user(s, &u, p) < 0)
        return KERR_AUTH;
    p->session_id = sess.id;
    snprintf(p->csrf, sizeof p->csrf, "%s", sess.csrf);
    if (now - sess.last_seen >= auth_config.touch_ms)
        store_session_touch(s, sess.id, now);
    return 0;
}
