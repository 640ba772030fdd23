/* ratelimit.c: token buckets in a fixed open-addressed table (ratelimit.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "http/ratelimit.h"
#include "base/banned.h"

#define SLOTS  8192 /* power of two */
#define PROBE  16
#define NLOCKS 64

struct bucket {
    uint64_t key; /* 0 = empty */
    double tokens;
    int64_t last_ms;
};

struct ratelimit {
    double cap, per_ms;
    pthread_mutex_t locks[NLOCKS];
    struct bucket b[SLOTS];
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

struct ratelimit *ratelimit_new(int per_minute)
{
    struct ratelimit *rl = xcalloc(1, sizeof(*rl));
    rl->cap = per_minute;
    rl->per_ms = per_minute / 60000.0;
    for (int i = 0; i < NLOCKS; i++)
        pthread_mutex_init(&rl->locks[i], NULL);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < NLOCKS; i++)
        pthread_mutex_destroy(&rl->locks[i]);
    free(rl);
}

bool ratelimit_take(struct ratelimit *rl, const char *who, int64_t now_ms, int *retry_after_s)
{
    uint64_t key = fnv1a(who);
    /* a key's probe run lies inside one lock's stripe: runs start at multiples of PROBE */
    size_t start = (size_t)(key & (SLOTS - 1)) & ~(size_t)(PROBE - 1);
    pthread_mutex_t *lock = &rl->locks[(start / PROBE) % NLOCKS];
    struct bucket *b = NULL, *oldest = NULL;
    bool ok;

    pthread_mutex_lock(lock);
    for (size_t i = 0; i < PROBE; i++) {
        struct bucket *c = &rl->b[start + i];
        if (c->key == key) {
            b = c;
            break;
        }
        if (!oldest || c->key == 0 || (oldest->key != 0 && c->last_ms < oldest->last_ms))
            oldest = c;
    }
    if (!b) {
        b = oldest;
        b->key = key;
        b->tokens = rl->cap;
        b->last_ms = now_ms;
    }
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * rl->per_ms;
        if (b->tokens > rl->cap)
            b->tokens = rl->cap;
        b->last_ms = now_ms;
    }
    ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    else if (retry_after_s)
        *retry_after_s = (int)((1.0 - b->tokens) / rl->per_ms / 1000.0) + 1;
    pthread_mutex_unlock(lock);
    return ok;
}
