/*
 * reportsend.h: sending reports to their recipients. A schedule (or a report
 * made on demand) names e-mail addresses and alert receivers; writing the
 * report queues one delivery per recipient in the transaction that records
 * it (store_report_add). A thread of kesu serve takes the due deliveries,
 * claims each for one attempt, and sends it with insight/notify.h:
 *
 *   - an address gets an e-mail over the SMTP server of the settings
 *     (smtp_url, smtp_from, ...) with the report attached and a short body:
 *     title, period, headline figures and the download link;
 *   - an alert receiver of kind email gets the same e-mail through its own
 *     SMTP settings and to its own list;
 *   - a webhook, DingTalk, WeCom or Feishu receiver gets a message with the
 *     title, period, headline figures and the link
 *     BASE/api/v1/reports/{id}/file (the webhook: event report.ready as JSON,
 *     signed as alerts are).
 *
 * Each attempt and its outcome is recorded; a failure is tried again after
 * an exponentially growing wait and given up after the last attempt. Nothing
 * here runs on the scheduler's, an intake or a request thread.
 */
#ifndef KESU_INSIGHT_REPORTSEND_H
#define KESU_INSIGHT_REPORTSEND_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "store/db.h"

struct cJSON;

#define REPORTSEND_MAX_EMAILS    20
#define REPORTSEND_MAX_RECEIVERS 16

struct reportsend_opts {
    int64_t retry_base_ms; /* first retry after this, doubled per attempt (default 30 s) */
    int64_t retry_max_ms;  /* longest wait between attempts (default 1 h) */
    int max_attempts;      /* then the delivery is recorded as failed (default 8) */
    long timeout_ms;       /* per attempt (default 60 s: an attachment takes a while) */
    int64_t attach_max;    /* a larger file is linked, not attached (default 10 MiB) */
    const char *base_url;  /* for the download link, e.g. http://127.0.0.1:8080 */
    const char *smtp_url;  /* smtp://host:port or smtps://...; NULL: addresses cannot be sent */
    const char *smtp_from; /* the sender's address (default kesu@localhost) */
    const char *smtp_user; /* with smtp_password: SMTP AUTH; NULL: none */
    const char *smtp_password;
    bool smtp_starttls; /* require STARTTLS (else used when offered) */
};
void reportsend_opts_default(struct reportsend_opts *o);

/* A plain address: local@domain in printable ASCII without spaces, quotes, angle brackets,
 * commas or semicolons, a domain of dotted labels, at most 254 bytes. */
bool reportsend_email_ok(const char *addr);

/* Recipients, owned: to.emails and to.receivers point into the arrays here. */
struct reportsend_to {
    struct store_report_to to;
    char **emails;
    int64_t *receivers;
    struct strbuf emails_json, receivers_json; /* normalised JSON arrays, "[]" when none */
};
/*
 * Checks recipients as the API and CLI take them: emails an array of addresses (at most
 * REPORTSEND_MAX_EMAILS, duplicates dropped), receivers an array of ids of existing alert
 * receivers (at most REPORTSEND_MAX_RECEIVERS); either may be NULL. can_mail false refuses
 * addresses (no SMTP server configured). KERR_INVALID naming "emails", "emails[i]",
 * "receivers" or "receivers[i]". Release out either way.
 */
int reportsend_to_check(struct store *s, const struct cJSON *emails, const struct cJSON *receivers,
                        bool can_mail, struct reportsend_to *out, struct kerr *err);
/* The same from stored JSON texts (a schedule's columns), without the checks. */
void reportsend_to_parse(const char *emails_json, const char *receivers_json,
                         struct reportsend_to *out);
void reportsend_to_release(struct reportsend_to *t);

/*
 * Sends the pending deliveries due at now (only report_id's when > 0), each
 * claimed first so that two senders never send one twice. Returns how many
 * were attempted, or < 0 when the store cannot be read.
 */
int reportsend_deliver_due(struct store *s, const struct reportsend_opts *o, int64_t now,
                           int64_t report_id);

struct reportsend;
/* Starts the delivery thread (copies o and its strings). */
int reportsend_start(struct store *s, const struct reportsend_opts *o, struct reportsend **out,
                     struct kerr *err);
/* Stops it (an attempt in flight finishes first). NULL is fine. */
void reportsend_stop(struct reportsend *rs);

#endif
