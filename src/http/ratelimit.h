/*
 * ratelimit: token buckets per caller (API key or user) and per client
 * address. A bucket holds a minute's worth of requests and refills
 * continuously, so a client may burst up to the limit and then goes at
 * limit/60 per second. Buckets live in a fixed table (no allocation per
 * client); when it is full the least recently used bucket is taken over.
 */
#ifndef KESU_RATELIMIT_H
#define KESU_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit;

/* per_minute > 0. Free with ratelimit_free. */
struct ratelimit *ratelimit_new(int per_minute);
void ratelimit_free(struct ratelimit *rl);
/*
 * Takes one request for who (any text: "k:3", "u:17", "203.0.113.9") at
 * now_ms. Returns true when allowed; when not, *retry_after_s is how long
 * until the next request would be.
 */
bool ratelimit_take(struct ratelimit *rl, const char *who, int64_t now_ms, int *retry_after_s);

#endif
