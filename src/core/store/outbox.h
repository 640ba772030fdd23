/*
 * outbox.h: the storage side of kesu's own outbox sender (loop/mailer.h).
 * The outbox table (migrations 0010, 0017) holds messages for customers and
 * staff; an external mailer reads it through GET /api/v1/outbox, or kesu
 * sends them itself. These functions are that sender's claims and
 * outcomes, each one durable writer transaction.
 *
 * At most once: a row is claimed (send_state 'sending') in a committed
 * transaction before the message goes out, and a claimed row is never
 * claimed again. A sender that dies mid-attempt leaves the row 'sending';
 * once the attempt's time limit has passed the next claim marks it
 * 'interrupted' (attempt counted, last_error says so) and it stays unsent.
 */
#ifndef KESU_STORE_OUTBOX_H
#define KESU_STORE_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"

struct store;

/* One claimed message; strings owned (store_outbox_msg_release). */
struct store_outbox_msg {
    int64_t id, feedback_id, action_id; /* 0 when absent */
    char kind[32];
    char *recipient; /* "feedback:ID", a username, an e-mail address, or NULL */
    char *subject, *body, *link;
    int attempts;              /* attempts before this one */
    int64_t survey_expires_at; /* survey_link: when its survey's link expires (0 unknown) */
};
void store_outbox_msg_release(struct store_outbox_msg *m);

/*
 * First marks rows left 'sending' since before now - lease_ms as
 * 'interrupted' (*interrupted gets how many; may be NULL). Then claims the
 * oldest unsent row after id after_id due at now (never tried, or 'retry'
 * with next_at <= now): send_state 'sending', claimed_at now. Returns 0
 * with *found and *m filled (release it), 0 with *found false when nothing
 * is due, or an error.
 */
int store_outbox_claim(struct store *s, int64_t now, int64_t lease_ms, int64_t after_id,
                       struct store_outbox_msg *m, bool *found, int *interrupted, struct kerr *err);

/* What became of a claimed message. */
struct store_outbox_outcome {
    int64_t id;
    const char *state;   /* sent, retry, failed, no_address, external, skipped */
    const char *channel; /* sent: "email" or "sms" */
    const char *error;   /* last_error to record (never personal data); NULL keeps it */
    bool attempted;      /* a delivery was tried: attempts + 1 */
    int64_t next_at;     /* retry: not before */
};
/*
 * Records the outcome of a claimed row at now (sent: sent_at, unless an
 * external mailer reported it first). A survey link sent puts a "survey"
 * event "sent" on its case's timeline. Only a row still claimed (or
 * marked interrupted meanwhile) changes. Returns 0 or an error.
 */
int store_outbox_finish(struct store *s, const struct store_outbox_outcome *o, int64_t now,
                        struct kerr *err);

/* The e-mail address of an enabled user (copied to out, at most n bytes with the NUL);
 * out is "" when the user is unknown, disabled or has none. */
int store_user_email(struct store *s, const char *username, char *out, size_t n, struct kerr *err);

#endif
