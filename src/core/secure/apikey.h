/*
 * apikey: API keys for channels and integrations. A key is shown once when
 * created ("ksk_" followed by 48 hex digits) and stored only as its BLAKE2b
 * hash. Verification keeps recently seen keys in a small in-memory cache for
 * APIKEY_CACHE_MS, so a revoked key stops working within that time.
 */
#ifndef KESU_APIKEY_H
#define KESU_APIKEY_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "store/db.h"

#define APIKEY_CACHE_MS 5000

/*
 * Creates a key named name with scopes ("*" or NULL: every permission; "role:NAME"; or
 * space/comma-separated permissions, checked) and an expiry (unix ms, 0 = never).
 * *key_out is the key text (free with free()). KERR_INVALID naming "scopes" for an
 * unknown permission or role.
 */
int apikey_create(struct store *s, const char *name, const char *scopes, int64_t expires_at,
                  char **key_out, int64_t *id, struct kerr *err);

/* Checks a presented key. 0 and *out when valid and not expired; KERR_AUTH when not. */
int apikey_verify(struct store *s, const char *key, size_t len, struct store_apikey_found *out);

#endif
