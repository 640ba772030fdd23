/*
 * http.h: what API handlers see of the HTTP server. A handler gets a
 * struct req with the body already read (and capped), path parameters and
 * the authenticated caller, and either replies at once (reply_json,
 * reply_error) or hands slow work to the store and returns REQ_ASYNC; the
 * connection is then suspended and r->resume is called once the work is
 * committed, to produce the reply. The handler never blocks on a commit.
 */
#ifndef KESU_HTTP_H
#define KESU_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "secure/auth.h"
#include "store/db.h"

struct MHD_Connection;
struct channels_conf;
struct lifecycle_sched;
struct MHD_Response;
struct req;

struct server_opts {
    const char *host;                     /* listen address, e.g. "127.0.0.1" */
    int port;                             /* 0 = any free port (the chosen one is printed) */
    int threads;                          /* worker threads; 0 = number of CPUs */
    size_t max_body;                      /* bytes; larger bodies get 413 */
    int batch_max;                        /* most items in one batch call */
    const struct channels_conf *channels; /* webhooks, device rule, forms */
    struct pipeline *pipeline;            /* the cleaning stages; NULL = store as given */
    unsigned char form_key[32];           /* signs form render times */
    /* hardening (security) */
    const char *tls_cert_pem;    /* PEM text of the certificate (chain); NULL = plain HTTP */
    const char *tls_key_pem;     /* PEM text of its private key */
    const char *trusted_proxies; /* comma-separated addresses whose X-Forwarded-For is believed */
    int rate_key;                /* requests per minute per API key or user; 0 = no limit */
    int rate_addr;               /* requests per minute per client address; 0 = no limit */
    bool rate_loopback;          /* the address limit applies to 127.0.0.1 and ::1 too */
    int rate_login;              /* sign-in attempts per minute per address (each costs an
                                    Argon2id hash); 0 = no limit */
    bool login_loopback;         /* the sign-in limit applies to loopback too */
    unsigned conn_timeout;       /* seconds a connection may stay idle or slow (default 30) */
    size_t max_header;           /* bytes of request line and headers (default 16384) */
    const char *reports_dir;     /* where reports are written (DATA/reports) */
    bool report_mail;            /* an SMTP server is set for reports: they may name addresses */
    struct lifecycle_sched *lifecycle; /* retention settings and schedule; NULL = none */
};

enum { REQ_DONE = 0, REQ_ASYNC = 1 };

typedef int (*handler_fn)(struct req *r);

/*
 * AUTH_KEY: an API key (Authorization: Bearer) or a session cookie (kesu_session; writes then
 * need X-CSRF-Token), and the route's permission. AUTH_SIGNED: no API key; the handler
 * verifies the request's own signature (webhooks). AUTH_LOCAL: open to the machine itself
 * (loopback, e.g. a local Prometheus), otherwise as AUTH_KEY (operational data such as
 * record counts is not for the world).
 */
enum route_auth { AUTH_NONE, AUTH_KEY, AUTH_SIGNED, AUTH_LOCAL };

struct route {
    const char *method;
    const char *pattern; /* "/api/v1/feedback/{id}" */
    handler_fn handler;
    enum route_auth auth;
    const char *perm;    /* the permission a caller needs (secure/roles.c); NULL = any caller */
    const char *summary; /* one line, also in the OpenAPI document */
};

extern const struct route routes[];
extern const size_t nroutes;

#define REQ_MAX_PARAMS 4

struct server;

struct req {
    struct MHD_Connection *conn;
    struct server *srv;
    struct store *store;
    const struct server_opts *opts;
    const char *method;
    const char *url;
    const struct route *route;
    const char *params[REQ_MAX_PARAMS];
    char pbuf[256];
    struct strbuf body;
    int64_t t0_us;
    unsigned status;
    struct MHD_Response *resp; /* queued on the next call into the access handler */
    /* the caller */
    int64_t key_id;
    char actor[96]; /* "apikey:3:crm", "user:agent", "anonymous" */
    struct auth_principal who;
    char client[64]; /* client address (X-Forwarded-For only from a trusted proxy) */
    /* asynchronous work */
    bool suspended;
    int (*resume)(struct req *r);
    struct store_job job;
    void *state;
    void (*state_free)(void *state);
};

/* Queries and headers; NULL when absent. */
const char *req_query(struct req *r, const char *name);
const char *req_header(struct req *r, const char *name);

/* The client's IP address as text (the socket's peer). */
int req_client_addr(struct req *r, char *out, size_t n);

/*
 * Access control for handlers (security). The server has already checked
 * route.perm before calling a handler; these are for finer decisions.
 *
 * req_can: does the caller hold permission perm (a name from secure/roles.c)?
 *
 * req_scope: which cases the caller may see. Never NULL. Turn it into SQL
 * in the store with store_scope_sql(scope, "f") (store/db.h: an SQL boolean
 * over the feedback columns of alias f, names quoted: "1" for every case,
 * "0" for none) and AND it into any query that reads or counts cases
 * (lists, counts, statistics broken down by anything): a caller must not
 * learn even how many cases lie outside their scope. For one record use
 * store_scope_allows(scope, assignee, team) and answer an out-of-scope
 * record exactly like a missing one (404, same body). Pass the scope into
 * the store through your filter struct (as struct store_filter.scope does).
 */
bool req_can(const struct req *r, const char *perm);
const struct store_scope *req_scope(const struct req *r);
/* "user:NAME" or "apikey:ID:NAME": for audit entries and timelines. */
const char *req_actor(const struct req *r);
/* Replaces the reply's Content-Security-Policy (default: default-src 'self', no framing). */
int reply_set_csp(struct req *r, const char *policy);
/* Adds a header to the reply already made (after reply_*). */
int reply_with_header(struct req *r, const char *name, const char *value);

/* Path parameter i as a positive id, or -1. */
int64_t req_param_id(struct req *r, int i);
/* Matches a path against a route pattern ("/api/v1/feedback/{id}"), filling r->params and
 * r->pbuf (a segment too long for them does not match). */
bool req_match(const char *pattern, const char *url, struct req *r);

/* Replies with a JSON body (taken over: sb is left empty). Returns REQ_DONE. */
int reply_json(struct req *r, unsigned status, struct strbuf *sb);
/* Replies with a text body of the given content type (copied). */
int reply_text(struct req *r, unsigned status, const char *type, const char *body, size_t len);
/*
 * Replies with a body produced while the client reads: fill(arg, buf, max)
 * returns bytes written (> 0), 0 at the end, < 0 on an error (the
 * connection is cut). free_arg(arg) runs when the reply is done.
 */
int reply_stream(struct req *r, unsigned status, const char *type,
                 long (*fill)(void *arg, char *buf, size_t max), void *arg,
                 void (*free_arg)(void *arg));
/* Replies with the contents of an open file (taken over and closed). */
int reply_fd(struct req *r, unsigned status, const char *type, int fd);
/* {"error":{"code","message","field"}} */
int reply_error(struct req *r, unsigned status, const char *code, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Replies with static bytes (owned: freed after sending, else never freed) and the given
 * Cache-Control. */
int reply_static(struct req *r, unsigned status, const char *type, const char *cache,
                 const void *body, size_t len, bool owned);
/* Maps a core error to a status and replies with it. */
int reply_kerr(struct req *r, int rc, const struct kerr *e);

/* Queues r->job with the store and suspends the connection; r->resume runs after the commit. */
int req_submit(struct req *r, int (*resume)(struct req *r));

/* static.c: GET/HEAD of a path no route matches: the embedded web UI (index.html for
 * client-side routes), never for /api/; else 404. */
int web_serve(struct req *r);

/* metrics.c */
void metrics_observe(const struct route *route, unsigned status, int64_t micros);
void metrics_render(struct store *s, struct strbuf *out);

/* server.c */
struct server;
int server_start(const struct server_opts *opts, struct store *s, struct server **out,
                 struct kerr *err);
int server_port(struct server *srv);
/* Stops accepting, lets suspended requests finish, stops the workers. */
void server_stop(struct server *srv);

#endif
