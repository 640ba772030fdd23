/*
 * lifecycle.h: what happens to data as it ages or when a customer asks:
 * cold archive (closed complaints older than N months move to zstd archive
 * files, still readable by id and exportable), erasure of a customer's
 * personal data everywhere (hot tables, search index, archive files),
 * retention per data class (closed complaints, personal data after closure,
 * the audit log) and a schedule for kesu serve. Every step is audited.
 *
 * The retention file (setting `retention`, default DATA/retention.conf):
 *
 *     # name = duration; N followed by d (days), w, m (30 days) or y (365 days)
 *     closed_complaints = 3y   # closed records deleted this long after closure
 *     pii = 1y                 # personal data erased this long after closure
 *     audit = 7y               # audit entries older than this removed
 *     archive_after = 6m       # closed records moved to the archive after this
 *     every = 24h              # kesu serve runs all of the above this often (h, d)
 *
 * Any line may be left out (that class is then kept for ever).
 */
#ifndef KESU_LIFECYCLE_H
#define KESU_LIFECYCLE_H

#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "store/db.h"

#define LIFECYCLE_DAY_MS (86400000LL)

struct lifecycle_conf {
    int64_t closed_ms, pii_ms, audit_ms, archive_ms; /* 0 = not configured */
    int64_t every_ms;                                /* 0 = no schedule */
};

/* Parses a duration ("3y", "6m", "30d", "2w", "12h"); -1 when it is not one. */
int64_t lifecycle_duration_ms(const char *s, bool allow_hours);
/* Reads the retention file; a missing file is an empty configuration. Errors name the line. */
int lifecycle_conf_load(const char *path, struct lifecycle_conf *out, struct kerr *err);

/* Who does it, for the audit log. */
struct lifecycle_actor {
    const char *actor, *origin;
};

struct lifecycle_archive_result {
    int64_t moved, kept;
    char file[128];
};
/* Moves closed records closed before `before` to a new archive file. */
int lifecycle_archive(struct store *s, int64_t before, const struct lifecycle_actor *who,
                      struct lifecycle_archive_result *out, struct kerr *err);
/* The JSON of archived record id (as GET shows it); KERR_NOTFOUND when not archived. */
int lifecycle_archive_get(struct store *s, int64_t id, struct strbuf *out, struct kerr *err);
/* Calls cb with every archived record's JSON, in archive order. */
typedef int (*lifecycle_json_cb)(void *arg, int64_t id, const char *json, size_t len);
int lifecycle_archive_export(struct store *s, lifecycle_json_cb cb, void *arg, struct kerr *err);

struct lifecycle_erase_result {
    int64_t records, archived;
};
int lifecycle_erase_customer(struct store *s, const char *customer_id, const char *reason,
                             const struct lifecycle_actor *who, struct lifecycle_erase_result *out,
                             struct kerr *err);

struct lifecycle_retention_result {
    int64_t pii_erased, pii_erased_archived, deleted, deleted_archived, kept, audit_pruned;
    struct lifecycle_archive_result archive;
};
/* Applies every configured class once, as of now_ms. */
int lifecycle_retention_run(struct store *s, const struct lifecycle_conf *conf, int64_t now_ms,
                            const struct lifecycle_actor *who,
                            struct lifecycle_retention_result *out, struct kerr *err);

/* kesu serve's schedule: runs lifecycle_retention_run every conf->every_ms. */
struct lifecycle_sched;
int lifecycle_sched_start(struct store *s, const struct lifecycle_conf *conf,
                          struct lifecycle_sched **out);
void lifecycle_sched_stop(struct lifecycle_sched *ls);

#endif
