/* api_system.c: health, metrics and the OpenAPI document. */
#include <string.h>

#include "base/embedded.h"
#include "base/jsonw.h"
#include "http/api.h"
#include "base/banned.h"

int api_healthz(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct store_stats st;
    int applied = 0, known = 0;
    bool ok = store_schema_version(r->store, &applied, &known) == 0;

    store_stats(r->store, &st);
    strbuf_addf(&sb,
                "{\"status\":\"%s\",\"schema_version\":%d,\"search_lag\":%lld,"
                "\"queue_depth\":%lld}",
                ok ? "ok" : "degraded", applied, (long long)st.search_lag,
                (long long)st.queue_depth);
    return reply_json(r, ok ? 200 : 503, &sb);
}

int api_metrics(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    metrics_render(r->store, &sb);
    reply_text(r, 200, "text/plain; version=0.0.4; charset=utf-8", sb.buf, sb.len);
    strbuf_release(&sb);
    return REQ_DONE;
}

int api_openapi(struct req *r)
{
    const struct embedded_file *f = embedded_find("docs/openapi.json");
    if (!f)
        return reply_error(r, 404, "not_found", NULL, "no OpenAPI document in this build");
    return reply_text(r, 200, "application/json; charset=utf-8", f->data, f->len);
}
