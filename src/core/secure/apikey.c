/* apikey: creating and verifying API keys (hashes stored, cache in memory). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "secure/apikey.h"
#include "secure/roles.h"
#include "base/banned.h"

#define KEY_PREFIX  "ksk_"
#define KEY_RANDOM  24
#define CACHE_SLOTS 64

struct cached {
    unsigned char hash[STORE_KEYHASH_LEN];
    struct store_apikey_found key;
    int64_t until_ms;
};

static struct cached cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void key_hash(const char *key, size_t len, unsigned char out[STORE_KEYHASH_LEN])
{
    crypto_generichash(out, STORE_KEYHASH_LEN, (const unsigned char *)key, len, NULL, 0);
}

/* Scopes are checked when the key is made, so a typo never makes a useless (or wider) key. */
static int check_scopes(struct store *s, const char *scopes, struct kerr *err)
{
    char bad[72];
    permset p;
    enum store_scope_kind k;
    if (!scopes || strcmp(scopes, "*") == 0)
        return 0;
    if (strlen(scopes) >= sizeof(((struct store_apikey_found *)0)->scopes))
        return kerr_set(err, KERR_INVALID, "invalid_field", "scopes", "scopes are too long");
    if (strncmp(scopes, "role:", 5) == 0) {
        if (role_resolve(s, scopes + 5, &p, &k) < 0)
            return kerr_set(err, KERR_INVALID, "unknown_role", "scopes", "no role \"%.40s\"",
                            scopes + 5);
        return 0;
    }
    if (permset_parse(scopes, &p, bad, sizeof bad) < 0)
        return kerr_set(err, KERR_INVALID, "unknown_permission", "scopes", "no permission \"%s\"",
                        bad);
    if (p == 0)
        return kerr_set(err, KERR_INVALID, "invalid_field", "scopes", "scopes name nothing");
    return 0;
}

int apikey_create(struct store *s, const char *name, const char *scopes, int64_t expires_at,
                  char **key_out, int64_t *id, struct kerr *err)
{
    unsigned char rnd[KEY_RANDOM], hash[STORE_KEYHASH_LEN];
    char key[sizeof(KEY_PREFIX) + 2 * KEY_RANDOM], prefix[16];
    size_t nlen = strlen(name);
    int rc;

    if (nlen == 0 || nlen > 63)
        return kerr_set(err, KERR_INVALID, "invalid_field", "name",
                        "a key name must have 1 to 63 bytes");
    if ((rc = check_scopes(s, scopes, err)) < 0)
        return rc;
    randombytes_buf(rnd, sizeof(rnd));
    memcpy(key, KEY_PREFIX, sizeof(KEY_PREFIX) - 1);
    sodium_bin2hex(key + sizeof(KEY_PREFIX) - 1, 2 * KEY_RANDOM + 1, rnd, sizeof(rnd));
    snprintf(prefix, sizeof(prefix), "%.12s", key);
    key_hash(key, strlen(key), hash);
    if ((rc = store_apikey_insert(s, name, prefix, hash, scopes, expires_at, id, err)) < 0)
        return rc;
    *key_out = xstrdup(key);
    return 0;
}

int apikey_verify(struct store *s, const char *key, size_t len, struct store_apikey_found *out)
{
    unsigned char hash[STORE_KEYHASH_LEN];
    unsigned slot;
    int64_t now = clock_now_ms();
    bool hit = false;

    if (len != sizeof(KEY_PREFIX) - 1 + 2 * KEY_RANDOM || memcmp(key, KEY_PREFIX, 4) != 0)
        return KERR_AUTH;
    key_hash(key, len, hash);
    slot = hash[0] % CACHE_SLOTS;
    pthread_mutex_lock(&cache_lock);
    if (cache[slot].until_ms > now &&
        sodium_memcmp(cache[slot].hash, hash, STORE_KEYHASH_LEN) == 0) {
        *out = cache[slot].key;
        hit = true;
    }
    pthread_mutex_unlock(&cache_lock);
    if (!hit) {
        if (store_apikey_find(s, hash, out) < 0)
            return KERR_AUTH;
        pthread_mutex_lock(&cache_lock);
        memcpy(cache[slot].hash, hash, STORE_KEYHASH_LEN);
        cache[slot].key = *out;
        cache[slot].until_ms = now + APIKEY_CACHE_MS;
        pthread_mutex_unlock(&cache_lock);
    }
    if (out->expires_at > 0 && out->expires_at <= now)
        return KERR_AUTH;
    return 0;
}
