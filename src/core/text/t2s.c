/*
 * t2s: the traditional-only bitmap derived from OpenCC, the precheck over
 * UTF-8 bytes, and a small pool of OpenCC handles. See t2s.h.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <opencc/opencc.h>

#include "base/utf8.h"
#include "base/xmalloc.h"
#include "text/t2s.h"
#include "base/banned.h"

#define PLANE_WORDS (0x10000 / 64)

struct handle {
    pthread_mutex_t lock;
    opencc_t cc;
};

struct t2s {
    uint64_t bmp[PLANE_WORDS]; /* plane 0 */
    uint64_t sip[PLANE_WORDS]; /* plane 2 */
    unsigned char min_lead;    /* smallest UTF-8 lead byte of a plane-0 entry */
    bool any_sip;
    size_t count;
    char *config;
    pthread_mutex_t pool_lock; /* guards nh and the opening of handles */
    unsigned nh, maxh, next;
    struct handle *h; /* maxh slots; the first nh are open */
};

static const struct {
    int32_t lo, hi;
} candidates[] = {{0x3400, 0x9FFF}, {0xF900, 0xFAFF}, {0x20000, 0x2FFFF}};

static void set_bit(struct t2s *t, int32_t cp)
{
    uint64_t *map = cp >= 0x10000 ? t->sip : t->bmp;
    uint32_t low = (uint32_t)cp & 0xFFFF;
    if (!(map[low / 64] & (1ull << (low % 64)))) {
        map[low / 64] |= 1ull << (low % 64);
        t->count++;
    }
}

bool t2s_is_traditional(const struct t2s *t, int32_t cp)
{
    const uint64_t *map;
    if (cp < 0x10000)
        map = t->bmp;
    else if (cp >= 0x20000 && cp <= 0x2FFFF)
        map = t->sip;
    else
        return false;
    return (map[(cp & 0xFFFF) / 64] >> ((cp & 0xFFFF) % 64)) & 1;
}

size_t t2s_count(const struct t2s *t)
{
    return t->count;
}

/* Converts every candidate on a line of its own and keeps those that change. */
static int derive(struct t2s *t, opencc_t cc, struct kerr *err)
{
    struct strbuf in = STRBUF_INIT;
    char buf[4], *conv;
    int32_t cp;

    for (size_t r = 0; r < sizeof candidates / sizeof candidates[0]; r++)
        for (cp = candidates[r].lo; cp <= candidates[r].hi; cp++) {
            strbuf_add(&in, buf, (size_t)utf8_encode(cp, buf));
            strbuf_addch(&in, '\n');
        }
    conv = opencc_convert_utf8(cc, in.buf, in.len);
    if (!conv) {
        strbuf_release(&in);
        return kerr_set(err, KERR_IO, "opencc_convert", NULL, "OpenCC failed: %s", opencc_error());
    }
    const char *p = conv, *q = in.buf;
    for (size_t r = 0; r < sizeof candidates / sizeof candidates[0]; r++)
        for (cp = candidates[r].lo; cp <= candidates[r].hi; cp++) {
            const char *pe = strchr(p, '\n'), *qe = strchr(q, '\n');
            if (!pe || !qe) /* OpenCC ate a line break: stop, keep what we know */
                goto out;
            if (pe - p != qe - q || memcmp(p, q, (size_t)(pe - p)) != 0)
                set_bit(t, cp);
            p = pe + 1, q = qe + 1;
        }
out:
    opencc_convert_utf8_free(conv);
    strbuf_release(&in);
    for (size_t k = 0; k < PLANE_WORDS; k++)
        t->any_sip |= t->sip[k] != 0;
    t->min_lead = t->any_sip ? 0xF0 : 0xFF;
    for (size_t k = 0x800 / 64; k < PLANE_WORDS; k++)
        if (t->bmp[k]) {
            unsigned char lead = (unsigned char)(0xE0 | (k * 64) >> 12);
            t->min_lead = lead < t->min_lead ? lead : t->min_lead;
            break;
        }
    return 0;
}

int t2s_new(const char *config, unsigned max_handles, struct t2s **out, struct kerr *err)
{
    struct t2s *t = xcalloc(1, sizeof(*t));
    opencc_t cc;
    int rc;

    *out = NULL;
    t->config = xstrdup(config ? config : "t2s.json");
    t->maxh = max_handles ? max_handles : 4;
    t->h = xcalloc(t->maxh, sizeof(*t->h));
    pthread_mutex_init(&t->pool_lock, NULL);
    cc = opencc_open(t->config);
    if (cc == (opencc_t)-1) {
        rc = kerr_set(err, KERR_IO, "opencc_open", NULL, "OpenCC cannot open %s: %s", t->config,
                      opencc_error());
        t2s_free(t);
        return rc;
    }
    pthread_mutex_init(&t->h[0].lock, NULL);
    t->h[0].cc = cc;
    t->nh = 1;
    if ((rc = derive(t, cc, err)) < 0) {
        t2s_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void t2s_free(struct t2s *t)
{
    if (!t)
        return;
    for (unsigned i = 0; i < t->nh; i++) {
        opencc_close(t->h[i].cc);
        pthread_mutex_destroy(&t->h[i].lock);
    }
    pthread_mutex_destroy(&t->pool_lock);
    free(t->h);
    free(t->config);
    free(t);
}

bool t2s_needed(const struct t2s *t, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char min = t->min_lead;
    size_t i = 0;

    while (i < len) {
        unsigned char c = u[i];
        if (c < min) {
            i++;
            continue;
        }
        if (c <= 0xEF) {
            if (i + 2 >= len)
                break;
            uint32_t cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(u[i + 1] & 0x3F) << 6) |
                          (u[i + 2] & 0x3F);
            if ((t->bmp[cp / 64] >> (cp % 64)) & 1)
                return true;
            i += 3;
        } else if (c == 0xF0 && t->any_sip && i + 3 < len && (u[i + 1] & 0xF0) == 0xA0) {
            uint32_t low = ((uint32_t)(u[i + 1] & 0x0F) << 12) |
                           ((uint32_t)(u[i + 2] & 0x3F) << 6) | (u[i + 3] & 0x3F);
            if ((t->sip[low / 64] >> (low % 64)) & 1)
                return true;
            i += 4;
        } else {
            i++;
        }
    }
    return false;
}

/* Takes an OpenCC handle: a free one, a new one, or waits for one. */
static struct handle *acquire(struct t2s *t)
{
    unsigned n;
    pthread_mutex_lock(&t->pool_lock);
    n = t->nh;
    pthread_mutex_unlock(&t->pool_lock);
    for (unsigned i = 0; i < n; i++)
        if (pthread_mutex_trylock(&t->h[i].lock) == 0)
            return &t->h[i];
    pthread_mutex_lock(&t->pool_lock);
    if (t->nh < t->maxh) {
        opencc_t cc = opencc_open(t->config);
        if (cc != (opencc_t)-1) {
            struct handle *h = &t->h[t->nh];
            pthread_mutex_init(&h->lock, NULL);
            h->cc = cc;
            pthread_mutex_lock(&h->lock);
            t->nh++;
            pthread_mutex_unlock(&t->pool_lock);
            return h;
        }
    }
    struct handle *h = &t->h[t->next++ % t->nh];
    pthread_mutex_unlock(&t->pool_lock);
    pthread_mutex_lock(&h->lock);
    return h;
}

int t2s_convert(struct t2s *t, const char *s, size_t len, struct strbuf *out, struct kerr *err)
{
    struct handle *h;
    char *conv;
    int rc = 1;

    if (!t2s_needed(t, s, len))
        return strbuf_add(out, s, len) ? 0 : KERR_TOOLARGE;
    h = acquire(t);
    conv = opencc_convert_utf8(h->cc, s, len);
    pthread_mutex_unlock(&h->lock);
    if (!conv) {
        strbuf_add(out, s, len);
        return kerr_set(err, KERR_INTERNAL, "opencc_convert", NULL, "OpenCC failed: %s",
                        opencc_error());
    }
    if (!strbuf_addstr(out, conv))
        rc = KERR_TOOLARGE;
    opencc_convert_utf8_free(conv);
    return rc;
}
