/* api_system.c: health, metrics and the OpenAPI document. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

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

/*
 * The document as served: docs/openapi.json with each operation marked from the route table,
 * "x-auth" (none, key, signed) and "x-permission" (the permission it needs, or null), so that
 * clients and the role matrix test read who may call what from the running server.
 */
static char *openapi_doc;
static size_t openapi_len;
static pthread_once_t openapi_once = PTHREAD_ONCE_INIT;

static void openapi_build(void)
{
    static const char *const auth_words[] = {"none", "key", "signed"};
    const struct embedded_file *f = embedded_find("docs/openapi.json");
    cJSON *doc = f ? cJSON_ParseWithLength(f->data, f->len) : NULL;
    cJSON *paths = doc ? cJSON_GetObjectItemCaseSensitive(doc, "paths") : NULL;
    for (size_t i = 0; paths && i < nroutes; i++) {
        cJSON *op, *pi = cJSON_GetObjectItemCaseSensitive(paths, routes[i].pattern);
        char method[16];
        size_t k;
        for (k = 0; routes[i].method[k] && k < sizeof(method) - 1; k++)
            method[k] = (char)(routes[i].method[k] - 'A' + 'a');
        method[k] = '\0';
        if (!pi || !(op = cJSON_GetObjectItemCaseSensitive(pi, method)))
            continue;
        cJSON_AddStringToObject(op, "x-auth", auth_words[routes[i].auth]);
        if (routes[i].perm)
            cJSON_AddStringToObject(op, "x-permission", routes[i].perm);
        else
            cJSON_AddNullToObject(op, "x-permission");
    }
    if (doc) {
        openapi_doc = cJSON_PrintUnformatted(doc);
        openapi_len = openapi_doc ? strlen(openapi_doc) : 0;
        cJSON_Delete(doc);
    }
}

int api_openapi(struct req *r)
{
    pthread_once(&openapi_once, openapi_build);
    if (!openapi_doc)
        return reply_error(r, 404, "not_found", NULL, "no OpenAPI document in this build");
    return reply_text(r, 200, "application/json; charset=utf-8", openapi_doc, openapi_len);
}
