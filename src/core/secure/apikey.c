/* apikey: creating and verifying API keys (hashes stored, cache in memory). */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "secure/apikey.h"
#include "base/banned.h"

#define KEY_PREFIX  "ksk_"
#define KEY_RANDOM  24
#define CACHE_SLOTS 64

struct cached {
    unsigned char hash[STORE_KEYHASH_LEN];
    int64_t id;
    char name[64];
    int64_t until_ms;
};

static struct cached cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static void key_hash(const char *key, size_t len, unsigned char out[STORE_KEYHASH_LEN])
{
    crypto_generichash(out, STORE_KEYHASH_LEN, (const unsigned char *)key, len, NULL, 0);
}

int apikey_create(struct store *s, const char *name, char **key_out, int64_t *id, struct kerr *err)
{
    unsigned char rnd[KEY_RANDOM], hash[STORE_KEYHASH_LEN];
    char key[sizeof(KEY_PREFIX) + 2 * KEY_RANDOM], prefix[16];
    size_t nlen = strlen(name);
    int rc;

    if (nlen == 0 || nlen > 63)
        return kerr_set(err, KERR_INVALID, "invalid_field", "name",
                        "a key name must have 1 to 63 bytes");
    randombytes_buf(rnd, sizeof(rnd));
    memcpy(key, KEY_PREFIX, sizeof(KEY_PREFIX) - 1);
    sodium_bin2hex(key + sizeof(KEY_PREFIX) - 1, 2 * KEY_RANDOM + 1, rnd, sizeof(rnd));
    snprintf(prefix, sizeof(prefix), "%.12s", key);
    key_hash(key, strlen(key), hash);
    if ((rc = store_apikey_insert(s, name, prefix, hash, id, err)) < 0)
        return rc;
    *key_out = xstrdup(key);
    return 0;
}

int apikey_verify(struct store *s, const char *key, size_t len, int64_t *id, char name[64])
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
        *id = cache[slot].id;
        memcpy(name, cache[slot].name, 64);
        hit = true;
    }
    pthread_mutex_unlock(&cache_lock);
    if (hit)
        return 0;
    if (store_apikey_find(s, hash, id, name) < 0)
        return KERR_AUTH;
    pthread_mutex_lock(&cache_lock);
    memcpy(cache[slot].hash, hash, STORE_KEYHASH_LEN);
    cache[slot].id = *id;
    memcpy(cache[slot].name, name, 64);
    cache[slot].until_ms = now + APIKEY_CACHE_MS;
    pthread_mutex_unlock(&cache_lock);
    return 0;
}
