/*
 * alerts.h: alert rules, their evaluation and delivery (DESIGN in
 * docs/alerts.md).
 *
 * Rules and receivers are data (store/alertdb.h), checked here before they
 * are stored (alert_rule_check, alert_receiver_check). alerts_evaluate
 * measures every enabled rule at a given instant and turns what fires into
 * episodes: an episode opens once per rule and series, is updated while it
 * keeps firing, and resolves itself when the metric is back; opening and
 * resolving queue a delivery to each of the rule's receivers. Deliveries
 * are sent by their own thread (alerts_start), retried with exponential
 * backoff and recorded. Nothing here runs on an intake or request thread
 * except the explicit evaluation call of the admin endpoint and the CLI.
 */
#ifndef KESU_ALERTS_H
#define KESU_ALERTS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "insight/notify.h"
#include "store/alertdb.h"

struct cJSON;

/* ---- rules and receivers as data (alertrule.c) -------------------------------------- */

/* Rule kinds: spike, volume_change, csat_drop, negative_share, sla_compliance, severe. */
bool alert_kind_ok(const char *kind);

/*
 * Checks a rule given as JSON ({"name","kind","dimensions","filter","params",
 * "receivers","enabled"}; on update, absent members keep the values of old,
 * which may be NULL) and fills out with normalised JSON texts in sb (out's
 * strings point into sb; keep sb until out is used). KERR_INVALID names
 * the member at fault ("params.threshold").
 */
int alert_rule_check(const struct cJSON *in, const struct store_alert_rule *old,
                     struct store_alert_rule *out, struct strbuf *sb, struct kerr *err);
/* The same for a receiver ({"name","kind","url","secret","config","enabled"}). */
int alert_receiver_check(const struct cJSON *in, const struct store_alert_receiver *old,
                         struct store_alert_receiver *out, struct strbuf *sb, struct kerr *err);
/*
 * The keyring (secure/fieldcrypt.h, DATA/keys/field.key) that seals receivers' secrets and
 * e-mail passwords when they are checked, and opens them for delivery. Set once before any
 * thread uses alerts; without one they are stored as given.
 */
struct fieldcrypt;
void alerts_set_keyring(const struct fieldcrypt *fc);
/* Appends the plain value of a stored secret (sealed or not); ad: "alert_receiver.secret" or
 * "alert_receiver.password". Errors as fieldcrypt_decrypt, or KERR_AUTH without a keyring. */
int alerts_unseal(const char *v, const char *ad, struct strbuf *out, struct kerr *err);
/* Writes a rule / receiver as JSON (the receiver's secret and password are not shown). */
struct jsonw;
void alert_rule_json(const struct store_alert_rule *r, struct jsonw *w);
void alert_receiver_json(const struct store_alert_receiver *r, struct jsonw *w);

/*
 * When there is no rule yet, stores a starting set (spike per category x channel x
 * product, severe complaints, week-over-week volume and negative share per category, CSAT
 * and SLA compliance), as `kesu serve --demo-if-empty` does. Returns rules added or < 0.
 */
int alerts_seed_rules(struct store *s, struct kerr *err);

/*
 * A receiver ready to send to (alertsd.c): t points into the buffers, with its secret and
 * e-mail password opened. alerts_target_load fills a zeroed *t for receiver id: 0, or
 * KERR_NOTFOUND when it was deleted or is disabled (sending again will not help), or
 * KERR_AUTH when its secret cannot be opened; the reason in err. Release either way.
 */
struct alerts_target {
    bool found, enabled;
    struct strbuf kind, url, secret, config;
    struct notify_target t;
};
int alerts_target_load(struct store *s, int64_t id, struct alerts_target *t, char *err,
                       size_t errlen);
void alerts_target_release(struct alerts_target *t);

/* ---- evaluation (alerts.c) -------------------------------------------------------- */

struct alerts_report {
    int rules, series, fired, opened, resolved;
};
/*
 * Evaluates every enabled rule as of now (ms): spike and threshold rules
 * over the periods ending at now, severe-complaint rules over complaints
 * that arrived or were raised since the last check. Fills rep.
 */
int alerts_evaluate(struct store *s, int64_t now, struct alerts_report *rep, struct kerr *err);
/* Only the severe-complaint rules (cheap; the server runs it every few seconds). */
int alerts_check_severe(struct store *s, int64_t now, struct alerts_report *rep, struct kerr *err);
/* An alert as JSON; with_series also its metric series and baseline, and its deliveries. */
int alerts_alert_json(struct store *s, const struct store_alert *a, bool with_series,
                      struct jsonw *w, struct kerr *err);

/* ---- the server's threads (alertsd.c) --------------------------------------------- */

struct alerts_opts {
    int64_t interval_ms;   /* full evaluation period (default 60 s) */
    int64_t fast_ms;       /* severe-complaint check period (default 2 s) */
    int64_t retry_base_ms; /* first retry after this; doubled per attempt (default 30 s) */
    int64_t retry_max_ms;  /* longest wait between attempts (default 1 h) */
    int max_attempts;      /* then the delivery is recorded as failed (default 8) */
    long timeout_ms;       /* per attempt (default 10 s) */
    const char *base_url;  /* for links in messages, e.g. http://127.0.0.1:8080 */
};
void alerts_opts_default(struct alerts_opts *o);

struct alerts_daemon;
/* Starts the evaluator and the delivery thread. */
int alerts_start(struct store *s, const struct alerts_opts *o, struct alerts_daemon **out,
                 struct kerr *err);
/* Stops both threads (a delivery in flight finishes first). NULL is fine. */
void alerts_stop(struct alerts_daemon *d);
/* Sends the deliveries that are due now (one pass; the thread's work, also for tests). */
int alerts_deliver_due(struct store *s, const struct alerts_opts *o, int64_t now);

#endif
