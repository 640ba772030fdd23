/*
 * mailer.h: kesu's own sender of the outbox (survey links to customers,
 * action reminders and escalations to staff), for deployments without an
 * external mailer. Off unless an SMTP server or an SMS gateway is set; the
 * outbox contract (GET /api/v1/outbox, POST /api/v1/outbox/{id}/sent) is
 * the same either way.
 *
 * A pass takes unsent rows in id order, one claim at a time (store/outbox.h:
 * at most once), finds where each goes, sends it and records the outcome:
 *
 *   "feedback:ID"   the case's customer: the e-mail original sealed in the
 *                   record's pii_vault (opened with the field key, held in
 *                   memory for the attempt only, never logged or stored),
 *                   else the phone original through the SMS gateway;
 *   a username      the e-mail address of that (enabled) user;
 *   an address      as written.
 *
 * No address at all: send_state no_address, last_error "no address", not
 * retried. An address kesu has no way to use (a user without e-mail, an
 * e-mail with no SMTP server set): send_state external, left for an external
 * mailer. A failed attempt records the error (with the address cut out) and
 * is retried after mailer_backoff(), up to max_attempts, then failed. A
 * survey link whose survey expired is skipped.
 *
 * Sending blocks on the network: the pass runs on its own thread in
 * `kesu serve` (mailer_start) or from `kesu capa outbox --send`, never on a
 * request or intake thread.
 */
#ifndef KESU_MAILER_H
#define KESU_MAILER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"

struct store;
struct pipeline;

/* The sender's settings; strings owned (mailer_conf_release). */
struct mailer_conf {
    char *smtp_url;        /* smtp://host[:port] or smtps://host[:port]; NULL: no e-mail */
    char *from;            /* sender address (envelope and From:) */
    char *user, *password; /* SMTP AUTH, both optional */
    bool starttls;         /* smtp://: insist on STARTTLS (else used when offered) */
    char *sms_url;         /* SMS gateway webhook (http or https); NULL: no SMS */
    char *sms_secret;      /* signs the webhook like notify_webhook_sign; may be NULL */
    int64_t interval_ms;   /* between passes of the serve thread (default 10 s) */
    int64_t retry_base_ms; /* wait after the first failure, doubling (default 60 s) */
    int64_t retry_max_ms;  /* longest wait (default 1 h) */
    int64_t timeout_ms;    /* one attempt (default 30 s); a claim older than twice this
                              whose sender is gone is marked interrupted */
    int max_attempts;      /* then failed (default 8) */
};

/* Defaults, everything off. */
void mailer_conf_init(struct mailer_conf *c);
/* Frees the strings, wiping password and secret first. */
void mailer_conf_release(struct mailer_conf *c);
/* Is either way of sending set? */
bool mailer_on(const struct mailer_conf *c);
/* Checks URLs' schemes, the from address, numbers. KERR_INVALID naming the setting. */
int mailer_conf_check(const struct mailer_conf *c, struct kerr *err);

/* ---- pure helpers (tests/unit/test_mailer.c) ------------------------------------------ */

/* Wait after the attempts-th failed attempt: base, doubling, at most max. */
int64_t mailer_backoff(int64_t base_ms, int64_t max_ms, int attempts);

enum mailer_to { MAILER_TO_NONE, MAILER_TO_CASE, MAILER_TO_USER, MAILER_TO_ADDRESS };
/* What an outbox recipient names; *feedback_id gets ID of "feedback:ID". */
enum mailer_to mailer_recipient(const char *recipient, int64_t *feedback_id);
/* One plain address local@domain (no spaces, controls, <>, quotes, masking stars). */
bool mailer_address_ok(const char *s);
/* A phone number: digits with + - space ( ), 5 to 20 digits, no masking stars. */
bool mailer_phone_ok(const char *s);
/* Replaces every occurrence of secret (if not empty) in text by "***", in place. */
void mailer_scrub(char *text, const char *secret);
/* The message's plain text (the body, then the link unless the body has it) and HTML (the
 * same, escaped, the link as an anchor), appended to text and html. */
void mailer_compose(const char *body, const char *link, struct strbuf *text, struct strbuf *html);

/* ---- sending -------------------------------------------------------------------------- */

struct mailer_report {
    int email, sms;    /* sent */
    int retry, failed; /* attempts that failed: to be retried, or given up */
    int no_address, external, skipped, interrupted;
};

/*
 * One pass over the rows due now, in id order, each at most once (a failure
 * waits for a later pass); it ends early when stop (may be NULL) becomes
 * true. p opens the sealed originals. Returns the messages handled (>= 0,
 * rep filled) or an error of the store.
 */
int mailer_pass(struct store *s, struct pipeline *p, const struct mailer_conf *c,
                const atomic_bool *stop, struct mailer_report *rep, struct kerr *err);

/* The thread of `kesu serve`: a pass every interval. Takes over c's strings (c is left
 * empty). Stop (and free) with mailer_stop. */
struct mailer;
int mailer_start(struct store *s, struct pipeline *p, struct mailer_conf *c, struct mailer **out,
                 struct kerr *err);
void mailer_stop(struct mailer *m);

#endif
