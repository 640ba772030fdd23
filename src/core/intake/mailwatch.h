/*
 * mailwatch: takes new mail from a Maildir while `kesu serve` runs. A
 * thread watches DIR/new (inotify: a file renamed into it or closed after
 * writing, the way MTAs deliver) and also scans it every scan_interval_ms
 * in case an event was missed (inotify unavailable, queue overflow, NFS).
 *
 * Each message is parsed (see mail.h), checked (record_validate) and stored
 * in batches through store_run(), which returns only after the commit is
 * durable; only then is the file renamed from new/NAME to cur/NAME:2,S
 * (Maildir's "seen"). If the server dies between the commit and the rename,
 * the next scan stores the message again, which finds the earlier copy by
 * (channel email, Message-ID) and adds nothing: nothing is lost, nothing is
 * doubled. A message that cannot be used (no text, not a message) is logged
 * with its reason and moved to cur/NAME:2,F (Maildir's "flagged", left
 * unseen) so it is not retried on every scan and a person can find it with
 * any mail client. When the store fails, files stay in new/ and are retried
 * at the next scan. Messages already in cur/ are not touched (import them
 * with `kesu import --mail DIR`).
 */
#ifndef KESU_MAILWATCH_H
#define KESU_MAILWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "intake/mail.h"
#include "store/db.h"

struct mail_watch_opts {
    const char *dir;      /* the Maildir; new/, cur/ and tmp/ are made when missing */
    int scan_interval_ms; /* full scan of new/ this often (default 10000) */
    size_t batch;         /* messages per transaction (default 500) */
    struct mail_opts mail;
};

struct mail_watch_stats {
    uint64_t scans;
    uint64_t stored;   /* new records */
    uint64_t existing; /* re-deliveries of stored messages */
    uint64_t rejected; /* moved to cur/ flagged */
    uint64_t failures; /* store or rename failures (retried) */
};

struct mail_watch;

/*
 * Starts the watcher thread on o->dir (which must exist). Signals are not
 * touched: block them in the caller before, as `kesu serve` does. Returns 0
 * and *out, or KERR_IO / KERR_INVALID with err filled.
 */
int mail_watch_start(struct store *s, const struct mail_watch_opts *o, struct mail_watch **out,
                     struct kerr *err);
/* Counts so far (safe from any thread). */
void mail_watch_stats(struct mail_watch *w, struct mail_watch_stats *st);
/*
 * Stops the thread: the batch in hand is stored and its files moved first,
 * the rest waits in new/ for the next start. Frees w. NULL is a no-op.
 */
void mail_watch_stop(struct mail_watch *w);

#endif
