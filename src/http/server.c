/*
 * server.c: libmicrohttpd glue. One epoll event loop per worker thread;
 * each request gets a struct req (body capped at max_body), is matched
 * against the route table, authenticated, and dispatched. Replies are
 * queued on a call after the first one (libmicrohttpd closes keep-alive
 * connections otherwise). Writes suspend the connection until the group
 * commit is done, so a handful of threads serve thousands of waiting
 * clients. Every request is logged as one line: method, path, status, time.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "http/api.h"
#include "http/http.h"
#include "http/ratelimit.h"
#include "secure/apikey.h"
#include "secure/auth.h"
#include "base/banned.h"

#include <sodium.h>

#define MAX_PROXIES 16

struct server {
    struct MHD_Daemon *d;
    struct server_opts opts;
    struct store *store;
    int port;
    struct ratelimit *rl_key, *rl_addr, *rl_login; /* NULL = no limit */
    int nproxies;
    char proxies[MAX_PROXIES][64]; /* trusted reverse proxies */
    atomic_bool stopping;          /* refuse new work: the server is shutting down */
    atomic_long suspended;         /* requests waiting on the store */
};

const char *req_query(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *req_header(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int req_client_addr(struct req *r, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        return inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n)
                   ? 0
                   : -1;
    if (sa && sa->sa_family == AF_INET6)
        return inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)n)
                   ? 0
                   : -1;
    snprintf(out, n, "unknown");
    return -1;
}

bool req_can(const struct req *r, const char *perm)
{
    return auth_can(&r->who, perm);
}

const struct store_scope *req_scope(const struct req *r)
{
    return &r->who.scope;
}

const char *req_actor(const struct req *r)
{
    return r->actor;
}

int reply_with_header(struct req *r, const char *name, const char *value)
{
    if (!r->resp)
        return -1;
    return MHD_add_response_header(r->resp, name, value) == MHD_YES ? 0 : -1;
}

int64_t req_param_id(struct req *r, int i)
{
    const char *p = i < REQ_MAX_PARAMS ? r->params[i] : NULL;
    int64_t v = 0;
    if (!p || !*p || strlen(p) > 18)
        return -1;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
    }
    return v > 0 ? v : -1;
}

#define DEFAULT_CSP                                                                                \
    "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; "                 \
    "frame-ancestors 'none'"

/* On every reply: no sniffing, no framing, no referrer, scripts and styles from here only. */
static void add_security_headers(struct req *r, struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Content-Security-Policy", DEFAULT_CSP);
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    if (r->opts->tls_cert_pem)
        MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
}

int reply_set_csp(struct req *r, const char *policy)
{
    if (!r->resp)
        return -1;
    MHD_del_response_header(r->resp, "Content-Security-Policy", DEFAULT_CSP);
    return MHD_add_response_header(r->resp, "Content-Security-Policy", policy) == MHD_YES ? 0 : -1;
}

static void set_response_cache(struct req *r, unsigned status, struct MHD_Response *resp,
                               const char *type, const char *cache)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
    add_security_headers(r, resp);
    if (r->resp)
        MHD_destroy_response(r->resp);
    r->resp = resp;
    r->status = status;
}

static void set_response(struct req *r, unsigned status, struct MHD_Response *resp,
                         const char *type)
{
    set_response_cache(r, status, resp, type, "no-store");
}

int reply_static(struct req *r, unsigned status, const char *type, const char *cache,
                 const void *body, size_t len, bool owned)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    set_response_cache(r, status, resp, type, cache);
    return REQ_DONE;
}

int reply_json(struct req *r, unsigned status, struct strbuf *sb)
{
    size_t len;
    char *buf = strbuf_detach(sb, &len);
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    set_response(r, status, resp, "application/json; charset=utf-8");
    return REQ_DONE;
}

int reply_text(struct req *r, unsigned status, const char *type, const char *body, size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    set_response(r, status, resp, type);
    return REQ_DONE;
}

struct stream {
    long (*fill)(void *arg, char *buf, size_t max);
    void *arg;
    void (*free_arg)(void *arg);
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    long n;
    (void)pos;
    n = st->fill(st->arg, buf, max);
    if (n > 0)
        return (ssize_t)n;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    if (st->free_arg)
        st->free_arg(st->arg);
    free(st);
}

int reply_stream(struct req *r, unsigned status, const char *type,
                 long (*fill)(void *arg, char *buf, size_t max), void *arg,
                 void (*free_arg)(void *arg))
{
    struct stream *st = xcalloc(1, sizeof(*st));
    st->fill = fill;
    st->arg = arg;
    st->free_arg = free_arg;
    struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
                                                                  stream_read, st, stream_free);
    set_response(r, status, resp, type);
    return REQ_DONE;
}

int reply_fd(struct req *r, unsigned status, const char *type, int fd)
{
    struct stat stt;
    if (fstat(fd, &stt) < 0) {
        close(fd);
        return reply_error(r, 500, "io_error", NULL, "cannot read the file");
    }
    struct MHD_Response *resp = MHD_create_response_from_fd((uint64_t)stt.st_size, fd);
    set_response(r, status, resp, type);
    return REQ_DONE;
}

int reply_error(struct req *r, unsigned status, const char *code, const char *field,
                const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT, msg = STRBUF_INIT;
    struct jsonw w;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&msg, fmt, ap);
    va_end(ap);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "error");
    jsonw_obj(&w);
    jsonw_kstr(&w, "code", code);
    jsonw_kstr(&w, "message", msg.buf);
    jsonw_kstr(&w, "field", field && *field ? field : NULL);
    jsonw_end(&w);
    jsonw_end(&w);
    strbuf_release(&msg);
    return reply_json(r, status, &sb);
}

int reply_kerr(struct req *r, int rc, const struct kerr *e)
{
    unsigned status;
    switch (rc) {
    case KERR_INVALID:
        status = 400;
        break;
    case KERR_NOTFOUND:
        status = 404;
        break;
    case KERR_CONFLICT:
        status = 409;
        break;
    case KERR_TOOLARGE:
        status = 413;
        break;
    case KERR_AUTH:
        status = 401;
        break;
    case KERR_BUSY:
        status = 503;
        break;
    default:
        status = 500;
    }
    if (status >= 500)
        return reply_error(r, status, status == 503 ? "busy" : "internal_error", NULL, "%s",
                           status == 503 ? "the store is busy; retry" : "internal error");
    return reply_error(r, status, e->code[0] ? e->code : "error", e->field, "%s", e->message);
}

static void job_done(struct store_job *job)
{
    struct req *r = job->arg;
    MHD_resume_connection(r->conn);
}

int req_submit(struct req *r, int (*resume)(struct req *r))
{
    /* count first, then look at the flag: server_stop sets the flag, then waits for zero */
    atomic_fetch_add(&r->srv->suspended, 1);
    if (atomic_load(&r->srv->stopping)) {
        atomic_fetch_sub(&r->srv->suspended, 1);
        reply_error(r, 503, "shutting_down", NULL, "the server is shutting down; retry");
        MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONNECTION, "close");
        return REQ_DONE;
    }
    r->resume = resume;
    r->suspended = true;
    r->job.done = job_done;
    r->job.arg = r;
    r->job.actor = r->actor;
    MHD_suspend_connection(r->conn);
    store_submit(r->store, &r->job);
    return REQ_ASYNC;
}

bool req_match(const char *pattern, const char *url, struct req *r)
{
    size_t used = 0;
    int np = 0;
    while (*pattern && *url) {
        if (*pattern == '{') {
            const char *end = strchr(url, '/');
            size_t len = end ? (size_t)(end - url) : strlen(url);
            if (len == 0 || np == REQ_MAX_PARAMS || used + len + 1 > sizeof(r->pbuf))
                return false;
            memcpy(r->pbuf + used, url, len);
            r->pbuf[used + len] = '\0';
            r->params[np++] = r->pbuf + used;
            used += len + 1;
            url += len;
            pattern = strchr(pattern, '}') + 1;
            continue;
        }
        if (*pattern++ != *url++)
            return false;
    }
    return *pattern == '\0' && *url == '\0';
}

static int unauthorized(struct req *r, const char *challenge, const char *fmt)
{
    reply_error(r, 401, "unauthorized", NULL, "%s", fmt);
    MHD_add_response_header(r->resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenge);
    return -1;
}

static bool is_safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

/*
 * Who is calling: an API key (Authorization: Bearer) or a session cookie. A
 * cookie-authenticated write must also send the session's X-CSRF-Token
 * (a page on another site can make the browser send the cookie, never the
 * header). Fills r->who and r->actor; replies and returns -1 when neither works.
 */
static int authenticate(struct req *r)
{
    const char *h = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *cookie;

    if (h && strncmp(h, "Bearer ", 7) == 0) {
        struct store_apikey_found k;
        if (apikey_verify(r->store, h + 7, strlen(h + 7), &k) < 0)
            return unauthorized(r, "Bearer error=\"invalid_token\"",
                                "the API key is not valid (or has expired)");
        auth_principal_key(r->store, &k, &r->who);
        r->key_id = k.id;
        snprintf(r->actor, sizeof(r->actor), "apikey:%lld:%s", (long long)k.id, k.name);
        return 0;
    }
    cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "kesu_session");
    if (!h && cookie && *cookie) {
        const char *csrf;
        if (auth_session(r->store, cookie, clock_now_ms(), &r->who) < 0)
            return unauthorized(r, "Cookie", "the session has ended; sign in again");
        snprintf(r->actor, sizeof(r->actor), "user:%s", r->who.name);
        csrf = req_header(r, "X-CSRF-Token");
        if (!is_safe_method(r->method) &&
            (!csrf || strlen(csrf) != strlen(r->who.csrf) ||
             sodium_memcmp(csrf, r->who.csrf, strlen(r->who.csrf)) != 0)) {
            reply_error(r, 403, "csrf_failed", "X-CSRF-Token",
                        "send the session's X-CSRF-Token header with every change");
            return -1;
        }
        return 0;
    }
    return unauthorized(r, "Bearer",
                        "sign in (POST /api/v1/auth/login) or send an API key: "
                        "Authorization: Bearer <key>");
}

/* Over the rate limit? Then replies 429 with Retry-After. kind: AUTH_ANON limits by address. */
static bool limited(struct req *r, struct ratelimit *rl, enum auth_kind kind)
{
    char who[96];
    int retry = 1;
    if (!rl)
        return false;
    if (kind == AUTH_ANON)
        snprintf(who, sizeof who, "a:%s", r->client);
    else
        snprintf(who, sizeof who, "%c:%lld", kind == AUTH_APIKEY ? 'k' : 'u', (long long)r->who.id);
    if (ratelimit_take(rl, who, clock_now_ms(), &retry))
        return false;
    char ra[24];
    snprintf(ra, sizeof ra, "%d", retry);
    reply_error(r, 429, "rate_limited", NULL, "too many requests; retry in %d s", retry);
    MHD_add_response_header(r->resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    return true;
}

static bool is_loopback(const char *addr)
{
    return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

static bool trusted_proxy(const struct server *srv, const char *addr)
{
    for (int i = 0; i < srv->nproxies; i++)
        if (strcmp(srv->proxies[i], addr) == 0)
            return true;
    return false;
}

/*
 * The client's address: the socket's peer, or, when the peer is a trusted
 * proxy, the nearest address in X-Forwarded-For that is not one (read from
 * the right: entries to the left of an untrusted hop could be forged).
 */
static void client_addr(struct req *r)
{
    const char *xff;
    char hop[64];
    unsigned char bin[16];
    req_client_addr(r, r->client, sizeof r->client);
    if (!trusted_proxy(r->srv, r->client) ||
        !(xff = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Forwarded-For")))
        return;
    for (const char *end = xff + strlen(xff); end > xff;) {
        const char *start = end;
        size_t n;
        while (start > xff && start[-1] != ',')
            start--;
        n = (size_t)(end - start);
        end = start > xff ? start - 1 : xff;
        while (n && (*start == ' ' || *start == '\t'))
            start++, n--;
        while (n && (start[n - 1] == ' ' || start[n - 1] == '\t'))
            n--;
        if (n == 0 || n >= sizeof hop)
            return;
        memcpy(hop, start, n);
        hop[n] = '\0';
        if (inet_pton(AF_INET, hop, bin) != 1 && inet_pton(AF_INET6, hop, bin) != 1)
            return; /* not an address: keep the last good one */
        snprintf(r->client, sizeof r->client, "%s", hop);
        if (!trusted_proxy(r->srv, hop))
            return;
    }
}

/*
 * Every route on one case (/api/v1/feedback/{id} and everything below it, whichever module
 * serves it) checks the caller's data scope here, before its handler: a case outside the
 * scope is answered exactly like a missing one. Callers who see every case skip the read.
 */
static bool out_of_scope(struct req *r)
{
    static const char prefix[] = "/api/v1/feedback/{id}";
    const char *rest = r->route->pattern + sizeof prefix - 1;
    struct record rec;
    struct kerr e;
    int64_t id;
    int rc;
    if (strncmp(r->route->pattern, prefix, sizeof prefix - 1) != 0 || (*rest && *rest != '/') ||
        req_scope(r)->kind == STORE_SCOPE_ALL || (id = req_param_id(r, 0)) < 0)
        return false;
    record_init(&rec);
    kerr_clear(&e);
    rc = store_feedback_get(r->store, id, &rec, &e);
    if (rc == 0)
        rc = feedback_in_scope(r, id, &rec, &e);
    record_release(&rec);
    if (rc != KERR_NOTFOUND || strcmp(e.code, "not_found") != 0)
        return false; /* in scope, or missing, or a read error: the handler answers */
    reply_kerr(r, rc, &e);
    return true;
}

/* Is the request from this machine itself (the socket peer, not a forwarded address)? */
static bool is_local_peer(struct req *r)
{
    char peer[64];
    req_client_addr(r, peer, sizeof peer);
    return is_loopback(peer) && strcmp(r->client, peer) == 0;
}

static int dispatch(struct req *r)
{
    bool path_known = false;
    struct strbuf allow = STRBUF_INIT;

    for (size_t i = 0; i < nroutes; i++) {
        if (!req_match(routes[i].pattern, r->url, r))
            continue;
        path_known = true;
        if (strcmp(routes[i].method, r->method) != 0) {
            strbuf_addf(&allow, "%s%s", allow.len ? ", " : "", routes[i].method);
            continue;
        }
        strbuf_release(&allow);
        r->route = &routes[i];
        /* each sign-in costs a deliberately slow hash: fewer per address than other requests */
        if (strcmp(routes[i].pattern, "/api/v1/auth/login") == 0 && r->srv->rl_login &&
            (r->opts->login_loopback || !is_loopback(r->client)) &&
            limited(r, r->srv->rl_login, AUTH_ANON))
            return REQ_DONE;
        bool keyed =
            routes[i].auth == AUTH_KEY || (routes[i].auth == AUTH_LOCAL && !is_local_peer(r));
        if (keyed && authenticate(r) < 0)
            return REQ_DONE;
        if (keyed && limited(r, r->srv->rl_key, r->who.kind))
            return REQ_DONE;
        if (keyed && routes[i].perm && !req_can(r, routes[i].perm))
            return reply_error(r, 403, "forbidden", NULL, "this needs the permission %s",
                               routes[i].perm);
        if (keyed && out_of_scope(r))
            return REQ_DONE;
        return routes[i].handler(r);
    }
    if (path_known) {
        reply_error(r, 405, "method_not_allowed", NULL, "use %s", allow.buf);
        MHD_add_response_header(r->resp, MHD_HTTP_HEADER_ALLOW, allow.buf);
        strbuf_release(&allow);
        return REQ_DONE;
    }
    strbuf_release(&allow);
    if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
        return web_serve(r); /* the web UI's files, or 404 */
    return reply_error(r, 404, "not_found", NULL, "no such resource");
}

static enum MHD_Result queue(struct req *r)
{
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->resp);
    MHD_destroy_response(r->resp);
    r->resp = NULL;
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct server *srv = cls;
    struct req *r = *con_cls;
    (void)version;

    if (!r) {
        const char *cl;
        r = xcalloc(1, sizeof(*r));
        r->conn = conn;
        r->srv = srv;
        r->store = srv->store;
        r->opts = &srv->opts;
        r->method = method;
        r->url = url;
        r->t0_us = clock_mono_us();
        strbuf_init(&r->body, 0);
        r->body.cap = srv->opts.max_body;
        snprintf(r->actor, sizeof(r->actor), "anonymous");
        client_addr(r);
        *con_cls = r;
        if (atomic_load(&srv->stopping)) {
            reply_error(r, 503, "shutting_down", NULL, "the server is shutting down; retry");
            MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONNECTION, "close");
            return queue(r);
        }
        if (srv->rl_addr && (srv->opts.rate_loopback || !is_loopback(r->client)) &&
            limited(r, srv->rl_addr, AUTH_ANON))
            return queue(r);
        cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > srv->opts.max_body) {
            reply_error(r, 413, "body_too_large", NULL, "request body is larger than %zu bytes",
                        srv->opts.max_body);
            return queue(r);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->body.overflow)
            strbuf_add(&r->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->resp)
        return queue(r);
    if (r->suspended) {
        /* resumed: the store has finished the job */
        r->suspended = false;
        atomic_fetch_sub(&srv->suspended, 1);
        r->resume(r);
        return queue(r);
    }
    if (r->body.overflow) {
        reply_error(r, 413, "body_too_large", NULL, "request body is larger than %zu bytes",
                    srv->opts.max_body);
        return queue(r);
    }
    if (dispatch(r) == REQ_ASYNC)
        return MHD_YES;
    return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct req *r = *con_cls;
    int64_t us;
    (void)cls;
    (void)conn;
    if (!r)
        return;
    us = clock_mono_us() - r->t0_us;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->status)
        r->status = 499;
    metrics_observe(r->route, r->status, us);
    log_info("%s %s %u %.2fms", r->method, r->url, r->status, (double)us / 1000.0);
    if (r->resp)
        MHD_destroy_response(r->resp);
    if (r->state_free)
        r->state_free(r->state);
    strbuf_release(&r->body);
    free(r);
    *con_cls = NULL;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/*
 * Percent-decoding of paths and query values, in place, as libmicrohttpd's
 * own except that %00 stays as it is: a NUL would cut the text short
 * ("/api/v1/feedback/1%00.txt" read as record 1), so it is left to fail as
 * what it is.
 */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    char *w = s;
    (void)cls;
    (void)c;
    for (const char *p = s; *p; p++) {
        int hi, lo;
        if (*p == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0 && (hi | lo)) {
            *w++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *w++ = *p;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

__attribute__((format(printf, 2, 0))) static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    (void)cls;
    vsnprintf(buf, sizeof(buf), fmt, ap);
    buf[strcspn(buf, "\n")] = '\0';
    log_warn("http: %s", buf);
}

int server_start(const struct server_opts *opts, struct store *s, struct server **out,
                 struct kerr *err)
{
    struct server *srv = xcalloc(1, sizeof(*srv));
    struct sockaddr_in addr;
    unsigned threads =
        (unsigned)(opts->threads > 0 ? opts->threads : sysconf(_SC_NPROCESSORS_ONLN));
    const union MHD_DaemonInfo *info;

    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opts->port);
    if (inet_pton(AF_INET, opts->host, &addr.sin_addr) != 1) {
        free(srv);
        return kerr_set(err, KERR_INVALID, "invalid_listen", "listen",
                        "listen address \"%s\" is not an IPv4 address", opts->host);
    }
    srv->opts = *opts;
    srv->store = s;
    if (opts->tls_cert_pem && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        free(srv);
        return kerr_set(err, KERR_INVALID, "no_tls", "tls_cert",
                        "this libmicrohttpd was built without TLS");
    }
    for (const char *p = opts->trusted_proxies; p && *p && srv->nproxies < MAX_PROXIES;) {
        size_t n = strcspn(p, ", ");
        if (n && n < sizeof srv->proxies[0]) {
            memcpy(srv->proxies[srv->nproxies], p, n);
            srv->proxies[srv->nproxies++][n] = '\0';
        }
        p += n;
        p += strspn(p, ", ");
    }
    srv->rl_key = opts->rate_key > 0 ? ratelimit_new(opts->rate_key) : NULL;
    srv->rl_addr = opts->rate_addr > 0 ? ratelimit_new(opts->rate_addr) : NULL;
    srv->rl_login = opts->rate_login > 0 ? ratelimit_new(opts->rate_login) : NULL;
    struct MHD_OptionItem tls[] = {
        {opts->tls_cert_pem ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0,
         (void *)opts->tls_cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)opts->tls_key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    srv->d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
            MHD_USE_TURBO | (opts->tls_cert_pem ? MHD_USE_TLS : 0),
        0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, threads < 1 ? 1u : threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT,
        opts->conn_timeout ? opts->conn_timeout : 30u, MHD_OPTION_CONNECTION_LIMIT, 4096u,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        opts->max_header ? opts->max_header : (size_t)16 * 1024, MHD_OPTION_UNESCAPE_CALLBACK,
        unescape, NULL, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!srv->d) {
        ratelimit_free(srv->rl_key);
        ratelimit_free(srv->rl_addr);
        ratelimit_free(srv->rl_login);
        free(srv);
        return kerr_set(err, KERR_IO, "listen_failed", "listen", "cannot listen on %s:%d",
                        opts->host, opts->port);
    }
    info = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : opts->port;
    *out = srv;
    return 0;
}

int server_port(struct server *srv)
{
    return srv->port;
}

void server_stop(struct server *srv)
{
    if (!srv)
        return;
    /* No MHD_quiesce_daemon: with epoll worker threads it races a worker taking the listen
     * socket out of its epoll set and aborts ("Failed to remove listen FD from epoll set").
     * New requests get 503 from here on instead. */
    atomic_store(&srv->stopping, true);
    /* Requests waiting on the store finish (and get their reply) when the writer has
     * committed them; libmicrohttpd must not be stopped while any is suspended. */
    for (int i = 0; atomic_load(&srv->suspended) > 0; i++) {
        if (i == 3000) {
            log_error("shutdown: %ld requests still wait on the store after 30 s; exiting "
                      "without answering them (nothing unanswered was acknowledged)",
                      atomic_load(&srv->suspended));
            return;
        }
        usleep(10000);
    }
    MHD_stop_daemon(srv->d);
    ratelimit_free(srv->rl_key);
    ratelimit_free(srv->rl_addr);
    ratelimit_free(srv->rl_login);
    free(srv);
}
