/*
 * alertdb.h: the alerts part of the storage interface (store/db.h): rules
 * and receivers (data the API edits), alert episodes, their deliveries,
 * the evaluator's cursors, and the grouped counts and ratios the evaluator
 * reads from feedback, surveys and case_sla. SQLite implementation in
 * store/alerts.c. Strings in the structs passed to callbacks are valid
 * during the call only. Writes return 0 once committed durably.
 */
#ifndef KESU_ALERTDB_H
#define KESU_ALERTDB_H

#include "store/db.h"

struct store_alert_rule {
    int64_t id;
    const char *name, *kind;
    const char *dimensions, *filter, *params, *receivers; /* JSON texts */
    bool enabled;
    int64_t created_at, updated_at;
};
typedef int (*store_alert_rule_cb)(void *arg, const struct store_alert_rule *r);
/*
 * Inserts (r->id 0; sets it) or replaces rule r->id (KERR_NOTFOUND when absent). Audited. A
 * severe rule's cursors (store_alert_severe) start at the newest record and event. Disabling
 * a rule resolves its episodes (nothing is sent).
 */
int store_alert_rule_save(struct store *s, struct store_alert_rule *r, const char *actor,
                          struct kerr *err);
/* Deletes a rule and resolves its open alerts. KERR_NOTFOUND when absent. Audited. */
int store_alert_rule_delete(struct store *s, int64_t id, const char *actor, struct kerr *err);
/* Rule id (KERR_NOTFOUND when absent), or every rule (id 0) in id order. */
int store_alert_rules(struct store *s, int64_t id, store_alert_rule_cb cb, void *arg,
                      struct kerr *err);

struct store_alert_receiver {
    int64_t id;
    const char *name, *kind, *url, *secret, *config; /* config: JSON object */
    bool enabled;
    int64_t created_at, updated_at;
};
typedef int (*store_alert_receiver_cb)(void *arg, const struct store_alert_receiver *r);
int store_alert_receiver_save(struct store *s, struct store_alert_receiver *r, const char *actor,
                              struct kerr *err);
int store_alert_receiver_delete(struct store *s, int64_t id, const char *actor, struct kerr *err);
int store_alert_receivers(struct store *s, int64_t id, store_alert_receiver_cb cb, void *arg,
                          struct kerr *err);

struct store_alert {
    int64_t id, rule_id;
    const char *series, *state, *title, *detail, *feedback_ids; /* series, detail, ids: JSON */
    double value, baseline, threshold;
    int64_t opened_at, updated_at, acknowledged_at, resolved_at; /* 0 = not yet */
    int64_t fired_at; /* the last evaluation that found it firing */
    const char *acknowledged_by;
};
typedef int (*store_alert_cb)(void *arg, const struct store_alert *a);
/*
 * Raises an episode of rule a->rule_id for series a->series: when one is
 * open or acknowledged, updates its numbers (*opened false); else inserts
 * it (state open) and queues an "opened" delivery to each receiver, in one
 * transaction (*opened true). *id is the episode's id.
 */
int store_alert_raise(struct store *s, const struct store_alert *a, const int64_t *receivers,
                      size_t nrecv, int64_t now, int64_t *id, bool *opened, struct kerr *err);
/* Resolves episode id (if not yet) and queues a "resolved" delivery to each receiver. */
int store_alert_resolve(struct store *s, int64_t id, const int64_t *receivers, size_t nrecv,
                        int64_t now, struct kerr *err);
/* Acknowledges an open episode: KERR_NOTFOUND, or KERR_CONFLICT when resolved. Audited. */
int store_alert_ack(struct store *s, int64_t id, const char *actor, int64_t now, struct kerr *err);

struct store_alert_query {
    int64_t id;        /* one alert (KERR_NOTFOUND when absent), or 0 */
    int64_t rule_id;   /* 0 = any */
    const char *state; /* open, acknowledged, resolved, "active" (not resolved) or NULL = any */
    int64_t before;    /* id cursor: alerts with a smaller id; 0 = from the newest */
    int limit;         /* 0 = no limit */
};
/* Alerts matching q, newest first. */
int store_alerts(struct store *s, const struct store_alert_query *q, store_alert_cb cb, void *arg,
                 struct kerr *err);

struct store_alert_delivery {
    int64_t id, alert_id, receiver_id;
    const char *event, *state, *last_error;
    int attempts;
    int64_t next_try_at, sent_at, created_at;
};
typedef int (*store_alert_delivery_cb)(void *arg, const struct store_alert_delivery *d);
/* Deliveries of alert_id (oldest first), or with alert_id 0 the pending ones due at now. */
int store_alert_deliveries(struct store *s, int64_t alert_id, int64_t now, int limit,
                           store_alert_delivery_cb cb, void *arg, struct kerr *err);
/* Records an attempt: state pending (retry at next_try_at), sent or failed; error NULL keeps
 * the last error recorded (a delivery sent after failures still shows why it was late). Only a
 * delivery still pending changes (one cancelled meanwhile stays failed). */
int store_alert_delivery_update(struct store *s, int64_t id, const char *state, int attempts,
                                const char *error, int64_t next_try_at, int64_t sent_at,
                                struct kerr *err);

/* Active alerts by state (open, acknowledged) and unsent deliveries by state (pending,
 * failed), for /metrics: what is "alerts" or "deliveries". */
typedef int (*store_alert_count_cb)(void *arg, const char *what, const char *state, int64_t n);
int store_alert_counts(struct store *s, store_alert_count_cb cb, void *arg);

/* The evaluator's cursors. KERR_NOTFOUND when k was never set. */
int store_alert_cursor(struct store *s, const char *k, int64_t *v);
int store_alert_cursor_set(struct store *s, const char *k, int64_t v, struct kerr *err);

/* ---- what the evaluator measures ------------------------------------------ */

#define STORE_ALERT_DIMS    4
#define STORE_ALERT_FILTERS 8
/* Series keys (feedback columns) and the records they cover (column = value). */
struct store_alert_scope {
    const char *dims[STORE_ALERT_DIMS];
    size_t ndims;
    const char *fcol[STORE_ALERT_FILTERS], *fval[STORE_ALERT_FILTERS];
    size_t nfilter;
};
/* Feedback columns a rule may group or filter by. */
bool store_alert_column_ok(const char *name);

enum store_alert_metric {
    STORE_METRIC_COUNT,    /* num = complaints received (duplicates excluded) */
    STORE_METRIC_NEGATIVE, /* num = negative sentiment, den = with a sentiment */
    STORE_METRIC_CSAT,     /* num = surveys answered with csat >= 4, den = answered with csat */
    STORE_METRIC_SLA,      /* num = decided cases without a breach, den = decided cases */
};
/* vals[i] is the value of dims[i] (NULL for none); day: index from day0, or -1 */
typedef int (*store_alert_group_cb)(void *arg, const char *const *vals, int64_t day, double num,
                                    double den);
/*
 * The metric per series (and per day counted from day0 in 24-hour steps,
 * when day0 >= 0) over [from, to): received_at for complaints and SLA,
 * answered_at for surveys. KERR_INVALID for a column not allowed.
 */
int store_alert_group(struct store *s, enum store_alert_metric m,
                      const struct store_alert_scope *sc, int64_t from, int64_t to, int64_t day0,
                      store_alert_group_cb cb, void *arg, struct kerr *err);
/* Up to max ids of complaints of one series (vals as given to the callback), newest first. */
int store_alert_feedback_ids(struct store *s, const struct store_alert_scope *sc,
                             const char *const *vals, int64_t from, int64_t to, size_t max,
                             int64_t *ids, size_t *n, struct kerr *err);
/*
 * Complaints that became severe (severity one of sevs) since the cursors:
 * new records with id > *after_id and severity changes in the timeline with
 * event id > *after_event, in that order. Advances both cursors past what cb took; cb
 * returns nonzero to leave the rest (from the one it was given) for the next call.
 */
typedef int (*store_alert_severe_cb)(void *arg, int64_t feedback_id, const char *severity);
int store_alert_severe(struct store *s, const struct store_alert_scope *sc, const char *const *sevs,
                       size_t nsev, int64_t *after_id, int64_t *after_event,
                       store_alert_severe_cb cb, void *arg, struct kerr *err);

#endif
