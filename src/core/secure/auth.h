/*
 * auth: who is calling. Passwords (Argon2id, libsodium crypto_pwhash_str),
 * sign-in with lockout and backoff, sessions (a random token in a cookie,
 * only its hash stored, with idle and absolute timeouts and a CSRF token),
 * and the principal a request runs as: an API key (its scopes) or a
 * signed-in user (their role), with a permission set and a data scope.
 *
 * Timing and lockout settings live in struct auth_config; auth_configure
 * sets them once at start-up (kesu serve), before any request.
 */
#ifndef KESU_AUTH_H
#define KESU_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "secure/roles.h"
#include "store/db.h"

struct auth_config {
    int64_t idle_ms;      /* a session unused this long ends (default 30 min) */
    int64_t absolute_ms;  /* a session ends this long after sign-in (default 12 h) */
    int64_t touch_ms;     /* last_seen is written at most this often (default 60 s) */
    int lock_after;       /* failed sign-ins before the first lock (default 5) */
    int64_t lock_base_ms; /* the first lock; each further failure doubles it (default 30 s) */
    int64_t lock_max_ms;  /* the longest lock (default 15 min) */
};
extern struct auth_config auth_config;
void auth_configure(const struct auth_config *c);

#define AUTH_PASSWORD_MIN 8
#define AUTH_PASSWORD_MAX 256
#define AUTH_HASH_MAX     160

/* Hashes a password (Argon2id, interactive limits) into out. KERR_INVALID naming "password"
 * when it is shorter than AUTH_PASSWORD_MIN or longer than AUTH_PASSWORD_MAX bytes. */
int auth_hash_password(const char *password, char out[AUTH_HASH_MAX], struct kerr *err);
/* Does password match the stored hash? */
bool auth_check_password(const char *hash, const char *password);

/* Until when a user is locked after `failed` consecutive failures (0 = not locked). */
int64_t auth_lock_until(int failed, int64_t now);

enum auth_session_state { AUTH_SESSION_OK, AUTH_SESSION_IDLE, AUTH_SESSION_EXPIRED };
/* Whether a session is still valid at now. */
enum auth_session_state auth_session_check(const struct store_session *sess, int64_t now);

enum auth_kind { AUTH_ANON = 0, AUTH_APIKEY, AUTH_SESSION };

/* The caller of a request. */
struct auth_principal {
    enum auth_kind kind;
    int64_t id;    /* key id or user id */
    char name[64]; /* key name or username */
    char display_name[128];
    char role[32]; /* the user's role, or the key's "role:NAME" scope */
    permset perms;
    bool all_perms; /* a key with scope "*": every permission, present and future */
    struct store_scope scope;
    int64_t session_id;
    char csrf[72];
};

/* Fills p for an API key (found by apikey_verify): permissions from its scopes. */
int auth_principal_key(struct store *s, const struct store_apikey_found *k,
                       struct auth_principal *p);
/* Fills p for user u: permissions and data scope from the role, teams from the store.
 * KERR_AUTH when the role is unknown (a user with no valid role gets nothing). */
int auth_principal_user(struct store *s, const struct store_user *u, struct auth_principal *p);
/* Does p hold perm? */
bool auth_can(const struct auth_principal *p, const char *perm);

/* A new session's cookie value and CSRF token (hex). */
#define AUTH_TOKEN_HEX 64
struct auth_login {
    char token[AUTH_TOKEN_HEX + 1];
    char csrf[AUTH_TOKEN_HEX + 1];
    struct store_user user;
    struct store_session session;
    int64_t retry_after_ms; /* when locked: how long */
};
/*
 * Signs username in with password: on success stores a session and fills out
 * (token, csrf, user). Failures are counted and audited; after
 * auth_config.lock_after of them the user is locked with backoff. Errors:
 * KERR_AUTH "invalid_credentials" (wrong name or password, disabled user: the
 * same answer), KERR_BUSY "locked" (out->retry_after_ms set).
 */
int auth_login(struct store *s, const char *username, const char *password, const char *origin,
               struct auth_login *out, struct kerr *err);
/*
 * The session behind a cookie value: checks the timeouts and the user (not
 * disabled), refreshes last_seen now and then, fills p. KERR_AUTH when there
 * is no valid session.
 */
int auth_session(struct store *s, const char *token, int64_t now, struct auth_principal *p);

#endif
