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

#include <stdbool.h>
#include <stddef.h>
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
#define LIFECYCLE_DURATION_MAX 24
/* ms as a duration in the largest unit that divides it ("3y", "6m", "2w", "12h"); "" for 0. */
void lifecycle_duration_format(int64_t ms, char out[LIFECYCLE_DURATION_MAX]);

/* The settings of the file, in its order: name, where in lifecycle_conf, whether h is allowed. */
struct lifecycle_class {
    const char *name;
    size_t off;
    bool hours;
};
#define LIFECYCLE_NCLASSES 5
extern const struct lifecycle_class lifecycle_classes[LIFECYCLE_NCLASSES];
int64_t *lifecycle_conf_field(struct lifecycle_conf *conf, const struct lifecycle_class *c);
/* Reads the retention file; a missing file is an empty configuration. Errors name the line. */
int lifecycle_conf_load(const char *path, struct lifecycle_conf *out, struct kerr *err);
/* Writes conf to path (a new file renamed over the old one); KERR_IO when it cannot. */
int lifecycle_conf_write(const char *path, const struct lifecycle_conf *conf, struct kerr *err);

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

/*
 * kesu serve's schedule, which also holds the settings for the API: reads the retention file
 * at path (errors of lifecycle_conf_load), runs every configured class once at start and then
 * `every` after each run; without `every` or any class it waits for a change or run now.
 * Stop with lifecycle_sched_stop (waits for a run under way).
 */
struct lifecycle_sched;
int lifecycle_sched_start(struct store *s, const char *path, struct lifecycle_sched **out,
                          struct kerr *err);
void lifecycle_sched_stop(struct lifecycle_sched *ls);

/* What the schedule holds now. Times in ms; 0 = never / none. */
struct lifecycle_status {
    struct lifecycle_conf conf;
    int64_t started_at, last_at, next_at;
    bool running, queued, last_ok;
    char last_actor[96], last_error[256];
    struct lifecycle_retention_result last;
};
void lifecycle_sched_status(struct lifecycle_sched *ls, struct lifecycle_status *out);
/* Writes conf to the file and puts it in force (the next run follows its `every`). */
int lifecycle_sched_set(struct lifecycle_sched *ls, const struct lifecycle_conf *conf,
                        struct kerr *err);
/* Asks for a run at once, on the schedule's thread, audited as actor's. */
void lifecycle_sched_run_now(struct lifecycle_sched *ls, const char *actor);

#endif
