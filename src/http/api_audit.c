/*
 * api_audit.c: /api/v1/audit (audit:read): the hash-chained audit log read
 * over HTTP, a page at a time (oldest first from an entry id), and the
 * chain's verification, as `kesu audit list` and `kesu audit verify` do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "http/api.h"
#include "base/banned.h"

struct audit_page {
    struct jsonw *w;
    int left;
    int64_t last;
    bool more;
};

static int page_one(void *arg, int64_t id, const struct store_audit *a, const char *hash)
{
    struct audit_page *p = arg;
    char ts[CLOCK_FMT_MAX];
    if (p->left == 0) {
        p->more = true;
        return 1;
    }
    p->left--;
    p->last = id;
    jsonw_obj(p->w);
    jsonw_kint(p->w, "id", id);
    jsonw_kstr(p->w, "at", clock_format(a->at, ts));
    jsonw_kstr(p->w, "actor", a->actor);
    jsonw_kstr(p->w, "origin", a->origin);
    jsonw_kstr(p->w, "action", a->action);
    jsonw_kstr(p->w, "object", a->object);
    jsonw_kstr(p->w, "detail", a->detail);
    jsonw_kstr(p->w, "hash", hash);
    jsonw_end(p->w);
    return 0;
}

/* A whole number in [lo, hi] from the query (def when absent) into *out; false when bad. */
static bool query_num(struct req *r, const char *name, long long def, long long lo, long long hi,
                      long long *out)
{
    const char *v = req_query(r, name);
    char *end;
    *out = def;
    if (!v || !*v)
        return true;
    *out = strtoll(v, &end, 10);
    return !*end && *out >= lo && *out <= hi;
}

int api_audit_list(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct audit_page p = {&w, 0, 0, false};
    struct kerr e;
    long long after, limit;
    if (!query_num(r, "after", 0, 0, INT64_MAX / 2, &after))
        return reply_error(r, 400, "invalid_value", "after", "after: an entry id");
    if (!query_num(r, "limit", 100, 1, 1000, &limit))
        return reply_error(r, 400, "invalid_value", "limit", "limit: 1 to 1000");
    p.left = (int)limit;
    kerr_clear(&e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    if (store_audit_list(r->store, after, page_one, &p, &e) < 0) {
        strbuf_release(&sb);
        return reply_error(r, 503, "busy", NULL, "the store is busy; retry");
    }
    jsonw_end(&w);
    if (p.more)
        jsonw_kint(&w, "next_after", p.last);
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}

int api_audit_verify(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct store_audit_check chk;
    struct kerr e;
    kerr_clear(&e);
    if (store_audit_verify(r->store, &chk, &e) < 0)
        return reply_error(r, 503, "busy", NULL, "the store is busy; retry");
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kbool(&w, "intact", chk.bad_id == 0);
    jsonw_kint(&w, "entries", chk.entries);
    jsonw_kstr(&w, "head", chk.head);
    if (chk.bad_id) {
        jsonw_kint(&w, "bad_id", chk.bad_id);
        jsonw_kstr(&w, "problem", chk.problem);
    }
    jsonw_end(&w);
    return reply_json(r, 200, &sb);
}
