/*
 * api_hooks.c: POST /api/v1/hooks/{source}: a third-party platform posts its
 * own JSON shape; the source's configuration (intake/channels.h) verifies
 * the HMAC signature and maps the items onto kesu fields. The items of one
 * call are stored together or not at all, like a batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "http/api.h"
#include "intake/channels.h"
#include "base/banned.h"

int api_hook(struct req *r)
{
    const char *name = r->params[0];
    const struct hook_source *src = channels_hook(r->opts->channels, name);
    const cJSON *arr, *it;
    cJSON *j;
    struct intake *in;
    struct kerr e;
    int64_t now = clock_now_ms();
    size_t n, i = 0;
    int rc;

    if (!src)
        return reply_error(r, 404, "unknown_source", "source",
                           "no webhook source \"%.64s\" is configured", name);
    kerr_clear(&e);
    rc = hook_verify(src, r->body.buf, r->body.len, req_header(r, src->signature_header),
                     src->timestamp_header ? req_header(r, src->timestamp_header) : NULL, now, &e);
    if (rc < 0)
        return reply_error(r, 401, e.code, e.field, "%s", e.message);
    snprintf(r->actor, sizeof r->actor, "hook:%.80s", src->name);
    if (!(j = parse_body(r)))
        return REQ_DONE;
    arr = src->items ? json_pointer(j, src->items) : j;
    if (src->items && !cJSON_IsArray(arr)) {
        cJSON_Delete(j);
        return reply_error(r, 400, "invalid_type", src->items, "%s must point at an array of items",
                           src->items);
    }
    n = cJSON_IsArray(arr) && src->items ? (size_t)cJSON_GetArraySize(arr) : 1;
    if (n == 0 || n > (size_t)r->opts->batch_max) {
        cJSON_Delete(j);
        return reply_error(r, n ? 413 : 400, n ? "too_many_items" : "empty_batch", "items",
                           "a call holds 1 to %d items (got %zu)", r->opts->batch_max, n);
    }
    in = intake_new(r, n);
    for (it = src->items ? arr->child : arr; it && i < n; it = it->next, i++) {
        kerr_clear(&e);
        rc = hook_map(src, it, &in->recs[i], &e);
        if (rc == 0)
            rc = record_validate(&in->recs[i], now, &e);
        if (rc == 0 && (rc = intake_clean(r, &in->recs[i], &e)) < 0) {
            cJSON_Delete(j);
            return reply_kerr(r, rc, &e);
        }
        if (rc < 0) {
            cJSON_Delete(j);
            intake_rejected(r, &in->recs[i], "hook", &e);
            char field[96];
            snprintf(field, sizeof field, "items[%zu]%s%.60s", i, e.field[0] ? "." : "", e.field);
            return reply_error(r, 400, e.code, field,
                               "item %zu: %s; nothing from this call was stored", i, e.message);
        }
        if (!src->items)
            break;
    }
    cJSON_Delete(j);
    r->job.kind = STORE_JOB_INSERT;
    r->job.recs = in->recs;
    r->job.results = in->results;
    r->job.n = n;
    return req_submit(r, intake_batch_done);
}
