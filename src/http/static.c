/*
 * static.c: the web UI, embedded in the binary (scripts/embed.sh --web).
 *
 *   /assets/...          Vite's content-hashed files: cached for a year, immutable
 *   /index.html, /x.svg  the other built files: revalidated (ETag, If-None-Match → 304)
 *   /cases/42, /login    the UI's client-side routes (client_routes below): index.html
 *   /api/..., /other     never the UI: a JSON 404 as before
 *
 * Text files are stored gzip-compressed and sent as they are to clients that accept
 * gzip; for the rest they are inflated per request. HTML carries a Content-Security-
 * Policy that allows only the UI's own scripts.
 */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/embedded.h"
#include "base/xmalloc.h"
#include "http/http.h"
#include "base/banned.h"

static const char csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'";

static const char no_ui[] =
    "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>kesu</title>"
    "</head><body><h1>kesu</h1><p>This kesu binary was built without the web UI "
    "(<code>make WEB=0</code>, or no Node.js &ge; 20.19 at build time; see the README, "
    "&ldquo;Web UI&rdquo;). The API is at <a href=\"/api/v1/openapi.json\">/api/v1</a>.</p>"
    "<p>此 kesu 程序构建时未包含网页界面。</p></body></html>";

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".json", "application/json; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
        {".txt", "text/plain; charset=utf-8"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".ttf", "font/ttf"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    return "application/octet-stream";
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The first path segments of the UI's own pages (web/src/router.js): a GET of one of these
 * (/inbox, /cases/42) is answered with index.html for the client-side router. Any other
 * unknown path stays a JSON 404, so the API, probes and typos never get a page. */
static const char *const client_routes[] = {"login",   "inbox", "cases", "dashboard", "alerts",
                                            "capa",    "reports", "admin", NULL};

static bool client_route(const char *url)
{
    const char *seg = url + 1, *end;
    size_t n;
    if (url[0] != '/' || strstr(url, "..") || strchr(strrchr(url, '/'), '.'))
        return false;
    end = strchr(seg, '/');
    n = end ? (size_t)(end - seg) : strlen(seg);
    for (const char *const *r = client_routes; *r; r++)
        if (strlen(*r) == n && strncmp(seg, *r, n) == 0)
            return true;
    return false;
}

/* Whether the client takes gzip: "gzip" listed, and not with q=0. */
static bool accepts_gzip(struct req *r)
{
    const char *h = req_header(r, "Accept-Encoding"), *g;
    if (!h || !(g = strstr(h, "gzip")))
        return false;
    g += 4;
    while (*g == ' ')
        g++;
    if (*g == ';') {
        const char *q = strstr(g, "q=");
        if (q && strtod(q + 2, NULL) <= 0.0)
            return false;
    }
    return true;
}

/* The file itself from its gzip form; NULL on a damaged entry. */
static char *inflate_asset(const struct web_asset *a)
{
    z_stream zs;
    char *out = xmalloc(a->size + 1);
    int rc;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        free(out);
        return NULL;
    }
    zs.next_in = (unsigned char *)a->data;
    zs.avail_in = (unsigned)a->len;
    zs.next_out = (unsigned char *)out;
    zs.avail_out = (unsigned)a->size + 1;
    rc = inflate(&zs, Z_FINISH);
    inflateEnd(&zs);
    if (rc != Z_STREAM_END || zs.total_out != a->size) {
        free(out);
        return NULL;
    }
    return out;
}

int web_serve(struct req *r)
{
    const struct web_asset *a = web_asset_find(r->url);
    const char *inm, *type;
    bool html, immutable;

    if (!a && (client_route(r->url) || strcmp(r->url, "/") == 0)) {
        a = web_asset_find("/index.html");
        if (!a && strcmp(r->url, "/") == 0)
            return reply_static(r, 404, "text/html; charset=utf-8", "no-store", no_ui,
                                sizeof no_ui - 1, false);
    }
    if (!a)
        return reply_error(r, 404, "not_found", NULL, "no such resource");
    type = content_type(a->path);
    html = starts_with(type, "text/html");
    immutable = starts_with(a->path, "/assets/");
    inm = req_header(r, "If-None-Match");
    if (inm && strstr(inm, a->etag)) {
        reply_static(r, 304, type, immutable ? "public, max-age=31536000, immutable" : "no-cache",
                     "", 0, false);
    } else if (!a->gzip || accepts_gzip(r)) {
        reply_static(r, 200, type, immutable ? "public, max-age=31536000, immutable" : "no-cache",
                     a->data, a->len, false);
        if (a->gzip)
            reply_with_header(r, "Content-Encoding", "gzip");
    } else {
        char *body = inflate_asset(a);
        if (!body)
            return reply_error(r, 500, "internal_error", NULL, "damaged asset %s", a->path);
        reply_static(r, 200, type, immutable ? "public, max-age=31536000, immutable" : "no-cache",
                     body, a->size, true);
    }
    reply_with_header(r, "ETag", a->etag);
    if (a->gzip)
        reply_with_header(r, "Vary", "Accept-Encoding");
    if (html)
        reply_set_csp(r, csp); /* the other security headers come with every reply */
    return REQ_DONE;
}
