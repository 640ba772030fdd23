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
#include <unistd.h>

#include <microhttpd.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "base/xmalloc.h"
#include "http/http.h"
#include "secure/apikey.h"
#include "base/banned.h"

struct server {
    struct MHD_Daemon *d;
    struct server_opts opts;
    struct store *store;
    int port;
    atomic_bool stopping;  /* refuse new work: the server is shutting down */
    atomic_long suspended; /* requests waiting on the store */
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

static void set_response_cache(struct req *r, unsigned status, struct MHD_Response *resp,
                               const char *type, const char *cache)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, cache);
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

/* Matches url against pattern, filling r->params. */
static bool match(const char *pattern, const char *url, struct req *r)
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

static int dispatch(struct req *r)
{
    bool path_known = false;
    struct strbuf allow = STRBUF_INIT;

    for (size_t i = 0; i < nroutes; i++) {
        if (!match(routes[i].pattern, r->url, r))
            continue;
        path_known = true;
        if (strcmp(routes[i].method, r->method) != 0) {
            strbuf_addf(&allow, "%s%s", allow.len ? ", " : "", routes[i].method);
            continue;
        }
        strbuf_release(&allow);
        r->route = &routes[i];
        if (routes[i].auth == AUTH_KEY) {
            const char *h = req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
            char name[64];
            if (!h || strncmp(h, "Bearer ", 7) != 0) {
                reply_error(r, 401, "unauthorized", NULL,
                            "send an API key: Authorization: Bearer <key>");
                MHD_add_response_header(r->resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
                return REQ_DONE;
            }
            if (apikey_verify(r->store, h + 7, strlen(h + 7), &r->key_id, name) < 0) {
                reply_error(r, 401, "unauthorized", NULL, "the API key is not valid");
                MHD_add_response_header(r->resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                        "Bearer error=\"invalid_token\"");
                return REQ_DONE;
            }
            snprintf(r->actor, sizeof(r->actor), "apikey:%lld:%s", (long long)r->key_id, name);
        }
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
        *con_cls = r;
        if (atomic_load(&srv->stopping)) {
            reply_error(r, 503, "shutting_down", NULL, "the server is shutting down; retry");
            MHD_add_response_header(r->resp, MHD_HTTP_HEADER_CONNECTION, "close");
            return queue(r);
        }
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
    srv->d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
            MHD_USE_TURBO,
        0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, threads < 1 ? 1u : threads,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
        MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16 * 1024, MHD_OPTION_END);
    if (!srv->d) {
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
    free(srv);
}
