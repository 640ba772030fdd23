/*
 * db.h: the one storage interface. Every read and write of kesu's data goes
 * through these functions; no other file holds SQL. The embedded backend is
 * SQLite (sqlite.c and the repo files beside it); a PostgreSQL backend
 * implements the same functions.
 *
 * Durability: a write function that returns 0 has committed with fsync.
 * Writes from many threads are funnelled into a writer thread that commits
 * many jobs in one transaction (group commit): store_submit() queues a job
 * and calls job->done after the commit; store_run() waits for it.
 *
 * Search: full-text search runs on an index kept behind intake by an
 * indexer thread (started with store_start), so intake never pays for it;
 * store_stats() reports how far it lags.
 *
 * Threads: all functions are safe to call from any thread.
 */
#ifndef KESU_DB_H
#define KESU_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "intake/record.h"

struct store;
struct capa_op;

/*
 * Opens (creating when missing) the database files in dir and applies
 * pending migrations. Returns 0 and *out, or an error.
 */
int store_open(const char *dir, struct store **out, struct kerr *err);
/* Stops background threads (after finishing queued jobs) and closes everything. */
void store_close(struct store *s);

/* Background threads store_start can run. */
enum {
    STORE_BG_WRITER = 1,     /* group commit */
    STORE_BG_INDEXER = 2,    /* full-text index behind intake */
    STORE_BG_CHECKPOINT = 4, /* WAL checkpoints off the commit path */
    STORE_BG_ALL = 7,
};
/* Duplicate detection: the window (days either side) and the near-duplicate SimHash distance. */
void store_set_dedup(struct store *s, int window_days, int near_bits);

/* Starts the background threads named in what (STORE_BG_*). */
int store_start(struct store *s, unsigned what, struct kerr *err);

/* Schema version now applied, and the newest this binary knows. */
int store_schema_version(struct store *s, int *applied, int *known);

/* ---- writes ---------------------------------------------------------- */

struct store_insert_result {
    int64_t id;
    bool created; /* false: an earlier copy (same channel+external_id or idempotency key) */
};

/* A change to some fields of one record (PATCH). */
#define STORE_PATCH_MAX 16
struct store_patch {
    size_t n;
    const struct record_field *fields[STORE_PATCH_MAX];
    struct record values; /* new values of those fields (absent = clear) */
    const char *note;     /* optional reason, kept on the timeline */
};

/* A fault reported by a device (POST /api/v1/devices/events). */
struct store_device_event {
    const char *device_id, *model, *fault_code, *message;
    const char *event_id; /* the sender's id; re-delivery returns the first outcome */
    int64_t at;
};
/* The rule: threshold faults of one device within window_ms make one complaint. */
struct store_device_rule {
    int threshold;
    int64_t window_ms;
};
struct store_device_result {
    int64_t event_id;    /* kesu's id of the event */
    int64_t feedback_id; /* the complaint it belongs to, 0 when none (yet) */
    bool opened;         /* this event opened the complaint */
    bool duplicate;      /* re-delivery of an event already stored */
    int in_window;       /* faults of this device within the window, this one included */
};

enum store_job_kind {
    STORE_JOB_INSERT,
    STORE_JOB_PATCH,
    STORE_JOB_DEVICE,
    STORE_JOB_RECEIPT,
    STORE_JOB_REJECTION,
    STORE_JOB_AUDIT,
    STORE_JOB_CALL,     /* call(job, tx, now) inside the writer's transaction (store/ files only) */
    STORE_JOB_ANALYSIS, /* text-analysis results of stored records (kesu reclassify) */
    STORE_JOB_CAPA,     /* surveys, problems, actions, articles (store/capa.h) */
};
struct conn;

/* One audit entry: who, when, from where, what, on which object, with what detail. */
struct store_audit {
    int64_t at;                                            /* 0 = now */
    const char *actor, *origin, *action, *object, *detail; /* detail: JSON or NULL */
};

struct store_job {
    enum store_job_kind kind;
    const char *actor; /* who: "apikey:3:crm", "import:file.csv", "user:..." */
    /* STORE_JOB_INSERT: records (validated) and one result per record */
    struct record *recs;
    size_t n;
    struct store_insert_result *results;
    /* STORE_JOB_PATCH */
    int64_t id;
    struct store_patch *patch;
    /* STORE_JOB_DEVICE: n events, in order, one result each */
    const struct store_device_event *dev;
    const struct store_device_rule *rule;
    struct store_device_result *dres;
    /* STORE_JOB_RECEIPT: one record (recs[0], results[0]) plus its receipt */
    const char *receipt, *form;
    /* STORE_JOB_AUDIT; with id > 0 and action "pii.reveal" also a pii_reveal event on record
     * id's timeline, its note patch->note (the reason) when patch is set */
    const struct store_audit *audit;
    /* STORE_JOB_CALL: tx is the writer's connection; ctx is the caller's (see store/loop.h) */
    int (*call)(struct store_job *job, void *tx, int64_t now);
    void *ctx;
    /* STORE_JOB_CAPA */
    struct capa_op *capa;
    /* STORE_JOB_REJECTION: see store_note_rejection */
    char rej[5][64];
    /* outcome */
    int rc;
    struct kerr err;
    /* completion, called on the writer thread after the commit */
    void (*done)(struct store_job *job);
    void *arg;
    /* internal */
    struct store_job *next;
    int64_t queued_us;
};

/*
 * Queues a job for the writer; job->done(job) is called once it is committed
 * (rc 0) or failed (rc < 0, err filled). The job must stay alive until then.
 * An insert job is atomic: all its records are stored or none.
 */
void store_submit(struct store *s, struct store_job *job);
/* Runs a job and waits for it; returns job->rc. Works with or without store_start. */
int store_run(struct store *s, struct store_job *job);

/*
 * Counts one refused input (not stored) for the quality report: source is
 * api, import, hook or form; channel, code and field as the error named them.
 * Queued without waiting (a count, not a record: a crash may lose the last).
 */
void store_note_rejection(struct store *s, const char *channel, const char *source,
                          const char *code, const char *field);

/* ---- feedback reads --------------------------------------------------- */

/* Fills out (record_init'ed by the caller) with record id. KERR_NOTFOUND when absent. */
int store_feedback_get(struct store *s, int64_t id, struct record *out, struct kerr *err);

struct store_event {
    int64_t id;
    int64_t at;
    const char *actor, *kind, *field, *before, *after, *note; /* NULL when absent */
};
typedef int (*store_event_cb)(void *arg, const struct store_event *ev);
/* Calls cb for each timeline event of record id, oldest first. */
int store_feedback_events(struct store *s, int64_t id, store_event_cb cb, void *arg,
                          struct kerr *err);

/*
 * A data scope: which cases a caller may see (security). Handlers get the
 * caller's from req_scope() (http/http.h); lists add store_scope_sql() to
 * their WHERE clause, single records are checked with store_scope_allows().
 *   ALL    every case;
 *   TEAMS  cases of the listed teams, and those assigned to user;
 *   OWN    cases assigned to user, and the unassigned queue of the listed teams;
 *   NONE   no case (fail-closed: a zeroed scope is NONE).
 */
enum store_scope_kind { STORE_SCOPE_NONE = 0, STORE_SCOPE_OWN, STORE_SCOPE_TEAMS, STORE_SCOPE_ALL };
#define STORE_SCOPE_TEAMS_MAX 16
struct store_scope {
    enum store_scope_kind kind;
    char user[64];
    int nteams;
    char teams[STORE_SCOPE_TEAMS_MAX][64];
};
/*
 * The scope as an SQL boolean over the feedback columns of table alias (e.g.
 * "f"), names quoted as literals: "1" for ALL (or sc NULL), "0" for NONE.
 * Caller frees with free().
 */
char *store_scope_sql(const struct store_scope *sc, const char *alias);
/* Does the scope hold a case with this assignee and team (NULL when unset)? */
bool store_scope_allows(const struct store_scope *sc, const char *assignee, const char *team);

struct store_filter {
    const struct store_scope *scope; /* NULL = every case (CLI, internal) */
    const char *channel;             /* comma-separated list */
    const char *status;              /* comma-separated list */
    const char *category;            /* matches any level */
    const char *product, *store, *region, *customer_id, *severity, *assignee, *team;
    const char *sentiment; /* negative, neutral, positive */
    const char *sla;       /* comma list of SLA states: ok, warning, breached, paused, none */
    const char *sort;      /* -received_at (the default), received_at, [-]severity, [-]priority */
    int64_t since, until;  /* received_at in [since, until); 0 = open */
    const char *q;         /* full-text query; "" or NULL = none */
    bool q_words;          /* match q as whole words (kesu_seg index), not substrings */
    int limit;             /* 1..1000 */
    const char *cursor;    /* from a previous page, or NULL */
    bool want_total;
};

struct store_page {
    size_t count;
    char next_cursor[64]; /* "" on the last page */
    int64_t total;        /* -1 unless asked */
};

typedef int (*store_record_cb)(void *arg, const struct record *r);
/*
 * Checks the filter's enumerated values before any query: KERR_INVALID
 * naming "sla" or "sort" for a value not listed above.
 *
 * SLA states, from the case's case_sla row, one per case: breached (a
 * target missed, also when met late), paused (waiting on the customer or a
 * third party, not breached), warning (warned for a target not yet met),
 * ok (under a policy, none of these), none (no SLA policy applies).
 */
int store_filter_check(const struct store_filter *f, struct kerr *err);
/*
 * Lists records matching f: newest received first, or, with a full-text
 * query, newest recorded first; f->sort orders by received time or by the
 * severity or priority rank (most severe / urgent last ascending, first
 * descending), ties by received time and id in the same direction, also
 * with a query. Calls cb per record (the record is valid during the call
 * only; a nonzero return stops). Errors of store_filter_check; a cursor not
 * made by a list of the same sort: KERR_INVALID naming "cursor".
 */
int store_feedback_list(struct store *s, const struct store_filter *f, store_record_cb cb,
                        void *arg, struct store_page *page, struct kerr *err);

typedef int (*store_count_cb)(void *arg, const char *key, int64_t n);
/* Record counts per channel (maintained at intake, no scan). */
int store_feedback_channel_counts(struct store *s, store_count_cb cb, void *arg);

/* A form receipt's record: status and times only (what a customer may see). */
struct store_receipt_status {
    int64_t feedback_id, received_at, updated_at, resolved_at, closed_at;
    char status[32];
    char form[64];
};
/* KERR_NOTFOUND when there is no such receipt. */
int store_receipt_status(struct store *s, const char *receipt, struct store_receipt_status *out,
                         struct kerr *err);

/* The receipt given for record feedback_id (out: at least 32 bytes). KERR_NOTFOUND when none. */
int store_receipt_of(struct store *s, int64_t feedback_id, char *out, size_t n, struct kerr *err);

/* The events of a device, newest first (at most limit). */
typedef int (*store_device_event_cb)(void *arg, int64_t id, const struct store_device_event *ev,
                                     int64_t feedback_id);
int store_device_events(struct store *s, const char *device_id, int limit, store_device_event_cb cb,
                        void *arg, struct kerr *err);

/* ---- audit log ---------------------------------------------------------------- */

/* Appends an entry, durably (changes to records add theirs in the same transaction). */
int store_audit(struct store *s, const struct store_audit *a, struct kerr *err);

struct store_audit_check {
    int64_t entries;   /* entries checked */
    int64_t bad_id;    /* the first entry where the chain breaks, 0 when intact */
    char head[65];     /* hash of the last entry (keep it elsewhere to detect truncation) */
    char problem[256]; /* what is wrong at bad_id */
};
/* Walks the whole chain. Returns 0 (look at bad_id) or an error reading it. */
int store_audit_verify(struct store *s, struct store_audit_check *out, struct kerr *err);

typedef int (*store_audit_cb)(void *arg, int64_t id, const struct store_audit *a, const char *hash);
/* Entries from id `after` on (0 = all), oldest first. */
int store_audit_list(struct store *s, int64_t after, store_audit_cb cb, void *arg,
                     struct kerr *err);

/* ---- data lifecycle (lifecycle.c; files in src/core/lifecycle) ---------------------- */

/* The data directory the store was opened in. */
const char *store_data_dir(const struct store *s);

/* A keyed-by-purpose hash of a customer id (32 hex digits): erasure records and the archive
 * index name customers by it, never by the id itself. */
#define STORE_CUSTOMER_KEY_LEN 33
void store_customer_key(const char *customer_id, char out[STORE_CUSTOMER_KEY_LEN]);

struct store_ids {
    int64_t *v;
    size_t n, cap;
};
void store_ids_add(struct store_ids *ids, int64_t id);
void store_ids_release(struct store_ids *ids);

/* Consistent copies of kesu.db and search.db (VACUUM INTO, online: writes go on). */
int store_backup_db(struct store *s, const char *main_out, const char *search_out,
                    struct kerr *err);

/*
 * Erases the personal data of every record of customer_id (or of every closed record closed
 * before a time): customer id, name, phone, e-mail, order number, title, text, cleaned text,
 * keywords, attachments, extra and the sealed vault; statistics stay. Removes the records from
 * the search index and leaves no copy in free pages or WAL files. audit (without detail) is
 * appended in the same transaction with the counts; archived is what the caller erases from
 * archive files. *records: how many hot records were erased.
 */
int store_erase_customer(struct store *s, const char *customer_id, const char *reason,
                         int64_t archived, const struct store_audit *audit, int64_t *records,
                         struct kerr *err);
int store_erase_closed_before(struct store *s, int64_t closed_before,
                              const struct store_audit *audit, int64_t *records, struct kerr *err);
/* Deletes closed records closed before a time, with their timelines; a record others refer to
 * (duplicate_of, ...) stays (*kept). */
int store_delete_closed_before(struct store *s, int64_t closed_before,
                               const struct store_audit *audit, int64_t *deleted, int64_t *kept,
                               struct kerr *err);
/* Removes audit entries older than before (the newest always stays); verify then starts
 * from the kept chain's anchor. */
int store_audit_prune(struct store *s, int64_t before, const struct store_audit *audit,
                      int64_t *pruned, struct kerr *err);

/* Cold archive. Records closed before a time, oldest id first (at most limit). */
int store_archive_candidates(struct store *s, int64_t closed_before, int64_t after_id, int limit,
                             struct store_ids *out, struct kerr *err);
/* The rows of other tables that belong to record id (SLA state, surveys, form receipts, device
 * events) as one JSON object {"table":[{column:value,...}],...}; archived with the record. */
struct jsonw;
int store_feedback_related(struct store *s, int64_t id, struct jsonw *w, struct kerr *err);
struct store_archive_entry {
    int64_t id;
    const char *customer_id; /* of the record, for erasure later (hashed) */
    int64_t offset, length;  /* its frame in the archive file */
    bool moved;              /* out: indexed and removed from the hot tables */
};
/* Indexes the entries (written to archive file `file`) and removes them from the hot tables,
 * in one transaction with the audit entry; *moved counts them. */
int store_archive_commit(struct store *s, const char *file, struct store_archive_entry *e, size_t n,
                         const struct store_audit *audit, int64_t *moved, struct kerr *err);
struct store_archive_ref {
    int64_t id;
    char file[128];
    int64_t offset, length;
};
/* KERR_NOTFOUND when id is not archived. */
int store_archive_find(struct store *s, int64_t id, struct store_archive_ref *out,
                       struct kerr *err);
enum store_archive_select {
    STORE_ARCHIVE_ALL,
    STORE_ARCHIVE_FILE,          /* key: the file name */
    STORE_ARCHIVE_CUSTOMER,      /* key: store_customer_key */
    STORE_ARCHIVE_CLOSED_BEFORE, /* before */
    STORE_ARCHIVE_PII_BEFORE,    /* before, not yet erased */
};
typedef int (*store_archive_ref_cb)(void *arg, const struct store_archive_ref *r);
int store_archive_refs(struct store *s, enum store_archive_select what, const char *key,
                       int64_t before, store_archive_ref_cb cb, void *arg, struct kerr *err);
/* An archive file rewritten: each entry of old_file now at new_file (offset, length), erased,
 * or dropped from the archive. */
struct store_archive_move {
    int64_t id;
    bool dropped, erased;
    int64_t offset, length;
};
int store_archive_relocate(struct store *s, const char *old_file, const char *new_file,
                           const struct store_archive_move *m, size_t n, struct kerr *err);

/* ---- data quality ---------------------------------------------------------- */

struct store_quality_row {
    const char *channel, *period; /* period: a day, ISO week (2026-W47) or month */
    int64_t records, missing, corrected, masked, t2s, dup_exact, dup_near;
};
struct store_rejection_row {
    const char *channel, *period, *source, *code, *field;
    int64_t n;
};
typedef int (*store_quality_cb)(void *arg, const struct store_quality_row *row);
typedef int (*store_rejection_cb)(void *arg, const struct store_rejection_row *row);
/*
 * Quality per channel and period (by="day", "week" or "month") of records
 * received in [since, until), and the rejections counted in those days.
 */
int store_quality(struct store *s, int64_t since, int64_t until, const char *by,
                  store_quality_cb rows, store_rejection_cb rejections, void *arg,
                  struct kerr *err);

/* ---- API keys ------------------------------------------------------------ */

#define STORE_KEYHASH_LEN 32
struct store_who;
/* scopes: "*", "role:NAME" or space-separated permissions; expires_at 0 = never. Audited
 * (apikey.create) as who (NULL: operator at the CLI). */
int store_apikey_insert(struct store *s, const char *name, const char *prefix,
                        const unsigned char hash[STORE_KEYHASH_LEN], const char *scopes,
                        int64_t expires_at, const struct store_who *who, int64_t *id,
                        struct kerr *err);
/* Finds a key that is not revoked (expired ones too: the caller checks expires_at).
 * KERR_NOTFOUND when there is none. */
struct store_apikey_found {
    int64_t id;
    char name[64];
    char scopes[512];   /* "*" for keys made before scopes existed */
    int64_t expires_at; /* 0 = never */
};
int store_apikey_find(struct store *s, const unsigned char hash[STORE_KEYHASH_LEN],
                      struct store_apikey_found *out);
struct store_apikey {
    int64_t id;
    const char *name, *prefix;
    int64_t created_at, revoked_at;
    const char *scopes;
    int64_t expires_at;
};
typedef int (*store_apikey_cb)(void *arg, const struct store_apikey *k);
int store_apikey_list(struct store *s, store_apikey_cb cb, void *arg);
/* KERR_NOTFOUND when no such active key. */
int store_apikey_revoke(struct store *s, int64_t id, struct kerr *err);
/* The same, audited as who (NULL: operator at the CLI). */
int store_apikey_revoke_by(struct store *s, int64_t id, const struct store_who *who,
                           struct kerr *err);

/* ---- users, sessions, roles (users.c) ------------------------------------- */

/* One user; text in fixed buffers (no ownership). password_hash is an Argon2id string. */
struct store_user {
    int64_t id;
    char username[64];
    char display_name[128];
    char role[32];
    char email[128];
    char password_hash[160];
    bool disabled;
    int failed_logins;
    int64_t locked_until; /* unix ms, 0 = not locked */
    int64_t created_at, updated_at;
};
/* Who made a change and from where, for its audit entry. */
struct store_who {
    const char *actor;  /* "user:admin", "operator:root", ... */
    const char *origin; /* client address or "cli" */
};
/* By name (id 0) or by id (name NULL). KERR_NOTFOUND when absent. */
int store_user_get(struct store *s, const char *username, int64_t id, struct store_user *out);
typedef int (*store_user_cb)(void *arg, const struct store_user *u);
int store_user_list(struct store *s, store_user_cb cb, void *arg);
/* Inserts u (username, display_name, role, email, password_hash); sets u->id. Audited
 * (user.create). KERR_CONFLICT naming "username" when taken. */
int store_user_insert(struct store *s, struct store_user *u, const struct store_who *who,
                      struct kerr *err);
/* A change to a user: NULL/-1 = unchanged. A new password, a disable or a role change ends
 * the user's sessions. Audited (user.update / user.password) with before/after. */
struct store_user_change {
    const char *display_name, *role, *email, *password_hash;
    int disabled; /* -1 unchanged, 0, 1 */
    bool unlock;  /* clear failed logins and the lock */
};
int store_user_update(struct store *s, int64_t id, const struct store_user_change *ch,
                      const struct store_who *who, struct kerr *err);
/* The teams username belongs to or supervises, into sc (at most STORE_SCOPE_TEAMS_MAX). */
int store_user_teams(struct store *s, const char *username, struct store_scope *sc);

/* A session (sessions table); times unix ms. */
struct store_session {
    int64_t id, user_id;
    char csrf[72];
    int64_t created_at, last_seen, expires_at;
};
/* A failed sign-in: counts it, sets the lock time, audits auth.login_failed (user_id 0 for an
 * unknown name). */
int store_login_failed(struct store *s, int64_t user_id, const char *username, int64_t locked_until,
                       const char *reason, const char *origin, struct kerr *err);
/* A successful sign-in: clears the failures, drops the user's expired sessions, stores the
 * new one (token hash, csrf, times), audits auth.login. Sets sess->id. */
int store_login_ok(struct store *s, const char *username,
                   const unsigned char hash[STORE_KEYHASH_LEN], struct store_session *sess,
                   const char *origin, struct kerr *err);
/* The session of a token hash. KERR_NOTFOUND when none. */
int store_session_find(struct store *s, const unsigned char hash[STORE_KEYHASH_LEN],
                       struct store_session *out);
/* Moves last_seen forward (not audited). */
int store_session_touch(struct store *s, int64_t id, int64_t now);
/* Ends a session; audits auth.logout when who is non-NULL. KERR_NOTFOUND when none. */
int store_session_delete(struct store *s, int64_t id, const struct store_who *who,
                         struct kerr *err);

/* A custom role (roles table); text in fixed buffers. */
struct store_role {
    char name[32];
    char permissions[1024];
    char scope[16];
    char description[256];
    int64_t created_at, updated_at;
};
/* KERR_NOTFOUND when there is no such custom role. */
int store_role_get(struct store *s, const char *name, struct store_role *out);
typedef int (*store_role_cb)(void *arg, const struct store_role *r);
int store_role_list(struct store *s, store_role_cb cb, void *arg);
/* Creates or replaces a custom role. Audited (role.create / role.update) with before/after. */
int store_role_put(struct store *s, const struct store_role *r, const struct store_who *who,
                   struct kerr *err);

/* The demo organisation (teams, members, users with one password hash), INSERT OR IGNORE.
 * *added: users created now. */
int store_org_seed_demo(struct store *s, const char *password_hash, int *added, struct kerr *err);

/* ---- statistics: daily rollups and metric scans (stats.c) ------------------ */

/*
 * The daily rollups (stats_daily) are kept by the writer in the same
 * transaction as each insert and each PATCH, per local day (clock_local_day)
 * x dimension value: the single dimensions below, "all", "hour" and the
 * pairs store_stats_pairs names. Missing values count under "".
 */
extern const char *const store_stats_dims[];  /* NULL-terminated single dimensions */
extern const char *const store_stats_pairs[]; /* NULL-terminated "a|b" pre-aggregated pairs */
bool store_stats_dim_ok(const char *dim);
/* The pre-aggregated pair for a and b, a first as stored ("a|b"), or NULL; *swapped when b|a. */
const char *store_stats_pair(const char *a, const char *b, bool *swapped);

struct store_stats_cell {
    int64_t day;
    const char *key, *key2; /* key2: the second value of a pair, else NULL */
    int64_t n, neg, dup;
};
typedef int (*store_stats_cb)(void *arg, const struct store_stats_cell *c);
/* Rollup rows of dim (a dimension, "all", "hour" or a pair) for days in [day0, day1]. */
int store_stats_rollup(struct store *s, const char *dim, int64_t day0, int64_t day1,
                       store_stats_cb cb, void *arg, struct kerr *err);
/* Counts of two arbitrary dimensions over records received in [t0, t1), by scanning. */
int store_stats_crosstab_scan(struct store *s, const char *a, const char *b, int64_t t0, int64_t t1,
                              store_stats_cb cb, void *arg, struct kerr *err);
/*
 * The stats cube (cube.c): every record's stats dimensions in memory, coded,
 * for the cross-tab of any two dimensions and fast volumes. The server loads
 * it lazily on the first stats query (mode lazy), at start (start) or never
 * (off, the default of a store until store_cube_configure); the writer keeps
 * it current after each commit. Until it is loaded the calls below return 1
 * and the caller reads the rollups or scans; they never block on the load.
 */
enum store_cube_mode { STORE_CUBE_OFF, STORE_CUBE_LAZY, STORE_CUBE_START };
/* "lazy", "start" or "off" as a mode; -1 for anything else. */
int store_cube_mode_parse(const char *v);
/* Sets the mode; start begins the load now on a thread of its own. */
void store_cube_configure(struct store *s, enum store_cube_mode mode);
/* Loads the cube in the calling thread (tests, benchmarks); 0 or an error. */
int store_cube_load(struct store *s, struct kerr *err);
/* Whether the cube answers now; in mode lazy the first call starts the load. */
bool store_cube_ready(struct store *s);
/*
 * Like store_stats_rollup for a dimension or "all" over local days [day0, day1]:
 * cb gets one cell per day and value (per_day) in no particular order of values,
 * or one per value with day = day0. 0, or 1 when the cube cannot answer.
 */
int store_cube_rollup(struct store *s, const char *dim, int64_t day0, int64_t day1, bool per_day,
                      store_stats_cb cb, void *arg);
/*
 * Counts of two different dimensions over the records of local days [day0, day1],
 * one cell per pair of values (key of a, key2 of b). day_order: in the order
 * store_stats_rollup gives a pre-aggregated pair's rows (by first day, then key),
 * day = that first day; else in the order of store_stats_crosstab_scan (by key).
 * 0, or 1 when the cube cannot answer (not loaded, or too many pairs of values).
 */
int store_cube_crosstab(struct store *s, const char *a, const char *b, int64_t day0, int64_t day1,
                        bool day_order, store_stats_cb cb, void *arg);
struct store_cube_info {
    const char *state;      /* off, idle, loading, ready, failed */
    int64_t records, bytes; /* live records; bytes of codes and the id index */
    int64_t load_ms;
};
void store_cube_info(struct store *s, struct store_cube_info *out);
/* Recomputes every rollup from the records (kesu stats rebuild); *records scanned. */
int store_stats_rebuild(struct store *s, int64_t *records, struct kerr *err);

/* One case received in the range, with what the handling metrics need. */
struct store_case {
    int64_t id, received_at, acknowledged_at, assigned_at, responded_at, resolved_at, closed_at,
        reopened_at, duplicate_of, repeat_count;
    const char *status, *assignee, *team, *sentiment;
    int transfers; /* assignee/team changes and transfers after the first assignment */
    int sla;       /* -1 no SLA row, else the breached bits of case_sla */
    double csat;   /* mean survey CSAT of the case (1..5), NaN when none */
};
typedef int (*store_case_cb)(void *arg, const struct store_case *c);
/* Cases received in [t0, t1); assignee, when not NULL, keeps that agent's only. */
int store_stats_cases(struct store *s, int64_t t0, int64_t t1, const char *assignee,
                      store_case_cb cb, void *arg, struct kerr *err);

/*
 * What one case counts in the case metrics (handling, SLA, staff), by the
 * definitions of docs/metrics.md, in one place for the rollups and the scan.
 * Flag bit i is case metric i + 1 (STATS_CM_*); times are ms, -1 when none.
 */
enum {
    STATS_CF_CLOSED = 1 << 0,        /* status closed or closed_unaccepted, with closed_at */
    STATS_CF_FCR = 1 << 1,           /* closed, never reopened, never transferred */
    STATS_CF_EVER_CLOSED = 1 << 2,   /* closed_at or reopened_at set */
    STATS_CF_REOPENED = 1 << 3,      /* reopened_at set */
    STATS_CF_DUPLICATE = 1 << 4,     /* duplicate_of set */
    STATS_CF_ORIGINAL = 1 << 5,      /* not a duplicate */
    STATS_CF_REPEATED = 1 << 6,      /* an original with repeat_count > 0 */
    STATS_CF_SENTIMENT = 1 << 7,     /* sentiment known */
    STATS_CF_NEGATIVE = 1 << 8,      /* sentiment negative */
    STATS_CF_SLA = 1 << 9,           /* has an SLA row */
    STATS_CF_SLA_BREACHED = 1 << 10, /* any target breached */
    STATS_CF_SLA_ACK = 1 << 11,      /* acknowledgement target breached */
    STATS_CF_SLA_RESPONSE = 1 << 12,
    STATS_CF_SLA_RESOLUTION = 1 << 13,
    STATS_CF_SURVEYED = 1 << 14,  /* a survey answer with CSAT */
    STATS_CF_SATISFIED = 1 << 15, /* mean CSAT of its answers >= 4 */
};
#define STATS_CF_COUNT 16
enum {
    STATS_CM_RECORDS = 0,                   /* 1 .. STATS_CF_COUNT: the flags */
    STATS_CM_ACK = STATS_CF_COUNT + 1,      /* n, s = sum of ms */
    STATS_CM_RESOLVE = STATS_CF_COUNT + 2,  /* n, s */
    STATS_CM_HANDLING = STATS_CF_COUNT + 3, /* n, s (closed_at - assigned_at or received_at) */
    STATS_CM_COUNT = STATS_CF_COUNT + 4,
    STATS_CM_ACK_HIST = 100,     /* + bucket: n, s of acknowledgement times in the bucket */
    STATS_CM_RESOLVE_HIST = 600, /* + bucket: the same for resolution times */
};
/* Histogram buckets: 0 holds [0, 1 min); bucket b >= 1 holds [1 min * 2^((b-1)/16),
 * 1 min * 2^(b/16)), so a bucket's values are within 4.43 % of each other; the last
 * (STATS_HIST_BUCKETS - 1) holds everything above. */
#define STATS_HIST_BUCKETS 400
int store_stats_hist_bucket(int64_t ms);

struct store_case_view {
    int64_t day; /* local day received */
    const char *assignee, *team;
    unsigned flags;
    int64_t ack, res, hand;
};
void store_case_view_of(const struct store_case *k, struct store_case_view *v);

/*
 * Case rollups (stats_cases), kept by the writer like stats_daily: dim "all"
 * (key ""), "assignee", "team" (assigned cases only) or "assignee_team" (key
 * "assignee<US>team", STATS_CM_RECORDS only). cb gets the rows of the days
 * [day0, day1], one per day x key x metric: the caller sums n and s.
 */
typedef int (*store_case_rollup_cb)(void *arg, const char *key, int metric, int64_t n, int64_t s);
int store_stats_case_rollup(struct store *s, const char *dim, int64_t day0, int64_t day1,
                            store_case_rollup_cb cb, void *arg, struct kerr *err);
/* Whether the case rollups cover every record (false in a store upgraded until `kesu stats
 * rebuild`). */
bool store_stats_cases_built(struct store *s);

struct store_survey {
    int64_t feedback_id, answered_at; /* ms */
    int csat, nps, handling;          /* -1 when not answered */
};
typedef int (*store_survey_cb)(void *arg, const struct store_survey *sv);
/* Surveys answered in [t0, t1). */
int store_stats_surveys(struct store *s, int64_t t0, int64_t t1, store_survey_cb cb, void *arg,
                        struct kerr *err);

/* Orders per day (denominators): sum over days [day0, day1] for dim/key ("" "" = overall). */
int store_stats_orders(struct store *s, int64_t day0, int64_t day1, const char *dim,
                       const char *key, int64_t *orders, int64_t *days, struct kerr *err);
struct store_orders_row {
    int64_t day, orders;
    const char *dim, *key;
};
/* Stores (replacing) order counts, durably, in one transaction. */
int store_stats_orders_put(struct store *s, const struct store_orders_row *rows, size_t n,
                           struct kerr *err);
/* The keywords column (JSON array text) of each record received in [t0, t1) that has one. */
typedef int (*store_text_cb)(void *arg, const char *text);
int store_stats_keywords(struct store *s, int64_t t0, int64_t t1, store_text_cb cb, void *arg,
                         struct kerr *err);
/*
 * What a report lists from other modules' tables, when they exist: alerts
 * opened in [t0, t1) (table alerts: title, state, value, baseline) and
 * improvement actions open now or closed in [t0, t1) (table actions: title,
 * status, owner, due, last verdict). KERR_NOTFOUND when the table is absent.
 */
struct store_report_item {
    int64_t id, at, due;
    const char *title, *state, *owner, *verdict;
    double value, baseline;
};
typedef int (*store_report_item_cb)(void *arg, const struct store_report_item *it);
int store_report_alerts(struct store *s, int64_t t0, int64_t t1, store_report_item_cb cb, void *arg,
                        struct kerr *err);
int store_report_actions(struct store *s, int64_t t0, int64_t t1, store_report_item_cb cb,
                         void *arg, struct kerr *err);

/* Rows of table `name` (one a report reads only when it exists), or -1 when absent. */
int64_t store_table_rows(struct store *s, const char *name);

/* Where a report is sent (insight/reportsend.h): e-mail addresses and alert receivers. */
struct store_report_to {
    const char *const *emails;
    size_t nemails;
    const int64_t *receivers;
    size_t nreceivers;
};

/* Reports written (table reports). */
struct store_report {
    int64_t id, day0, day1, bytes, schedule_id, created_at;
    const char *period, *format, *path, *created_by;
    const char *summary;              /* the headline figures as JSON, or NULL */
    const struct store_report_to *to; /* store_report_add: deliveries to queue, or NULL */
};
/*
 * Records a report and queues one delivery per recipient in r->to (sent later by
 * insight/reportsend.h), in one durable transaction. *id is the report's id.
 */
int store_report_add(struct store *s, const struct store_report *r, int64_t *id, struct kerr *err);
typedef int (*store_report_cb)(void *arg, const struct store_report *r);
/* Newest first, at most limit; id > 0 lists that report only. */
int store_report_list(struct store *s, int64_t id, int limit, store_report_cb cb, void *arg,
                      struct kerr *err);

/* A report's delivery to one recipient (table report_deliveries, store/report_delivery.c). */
struct store_report_delivery {
    int64_t id, report_id;
    const char *email;   /* the address, or NULL for a receiver */
    int64_t receiver_id; /* alert_receivers(id), or 0 for an address */
    const char *state;   /* pending, sent, failed */
    const char *last_error;
    int attempts;
    int64_t next_try_at, sent_at, created_at; /* sent_at 0: not yet */
};
typedef int (*store_report_delivery_cb)(void *arg, const struct store_report_delivery *d);
/* Deliveries of report_id (oldest first), or with report_id 0 the pending ones due at now,
 * at most limit (0: no limit). */
int store_report_deliveries(struct store *s, int64_t report_id, int64_t now, int limit,
                            store_report_delivery_cb cb, void *arg, struct kerr *err);
/*
 * Claims a delivery for one attempt: when it is still pending and due at now, moves its
 * next_try_at to until (so that no other sender, in this process or another, takes it
 * meanwhile). Returns 1 when claimed, 0 when not, < 0 on error.
 */
int store_report_delivery_claim(struct store *s, int64_t id, int64_t now, int64_t until,
                                struct kerr *err);
/*
 * Records one attempt (started at `at`, lasting ms; error NULL when the recipient accepted
 * it) and the delivery's new state in one transaction: sent, pending (the next try at
 * next_try_at) or failed (given up). error NULL keeps the last error recorded.
 */
int store_report_delivery_done(struct store *s, int64_t id, const char *state, int attempts,
                               const char *error, int64_t at, int64_t ms, int64_t next_try_at,
                               struct kerr *err);
struct store_report_attempt {
    int64_t delivery_id, at, ms;
    const char *error; /* NULL: accepted */
};
typedef int (*store_report_attempt_cb)(void *arg, const struct store_report_attempt *a);
/* Every attempt of report_id's deliveries, by delivery then time. */
int store_report_attempts(struct store *s, int64_t report_id, store_report_attempt_cb cb, void *arg,
                          struct kerr *err);

/* Report schedules (table report_schedules). */
struct store_schedule {
    int64_t id, last_due, created_at;
    const char *name, *cron, *period, *format;
    const char *emails, *receivers; /* JSON arrays of addresses and receiver ids; NULL = [] */
    bool enabled;
};
int store_schedule_put(struct store *s, const struct store_schedule *sc, int64_t *id,
                       struct kerr *err);
typedef int (*store_schedule_cb)(void *arg, const struct store_schedule *sc);
int store_schedule_list(struct store *s, store_schedule_cb cb, void *arg, struct kerr *err);
/*
 * Claims occurrence `due` (unix seconds) of schedule id: sets last_due = due
 * only when it was lower. Returns 1 when claimed (run it), 0 when already
 * handled (by an earlier run or another process), < 0 on error.
 */
int store_schedule_claim(struct store *s, int64_t id, int64_t due, struct kerr *err);

/* Whether a table exists (reports read the tables other modules add). */
bool store_table_exists(struct store *s, const char *name);

/* ---- operations ---------------------------------------------------------- */

struct store_stats {
    uint64_t commits;        /* writer transactions committed */
    uint64_t syncs;          /* fdatasync calls that made commits durable */
    uint64_t jobs;           /* jobs completed */
    uint64_t records;        /* records inserted (new) */
    int64_t queue_depth;     /* jobs waiting for the writer */
    int64_t search_lag;      /* records stored but not yet searchable */
    uint64_t search_indexed; /* records indexed by this process */
};
void store_stats(struct store *s, struct store_stats *st);

/* ---- text analysis (store/nlp.c) ------------------------------------------- */

/*
 * STORE_JOB_ANALYSIS: recs[0..n) are stored records (id set) with new
 * analysis results (categories, category_rules, severity, severity_reasons,
 * sentiment, keywords). A category or severity whose source is "manual" in
 * the database is kept, whatever the record says. No timeline entries.
 */

struct store_kw_filter {
    int64_t since, until; /* received_at in [since, until) */
    const char *category; /* any level; NULL = all */
    const char *channel;  /* NULL = all */
};
typedef int (*store_kw_cb)(void *arg, const char *word, int64_t n);
/*
 * Counts, per keyword, the records matching f whose keywords hold it (cb per
 * word, in no order), and the records matching f into *records.
 */
int store_keyword_counts(struct store *s, const struct store_kw_filter *f, store_kw_cb cb,
                         void *arg, int64_t *records, struct kerr *err);

/*
 * Word search: with a segmenter dictionary (text/segdict.h, kept open as long
 * as the store), records are indexed a second time by words (FTS5 tokenizer
 * kesu_seg, table fts_w in search.db, built from the start by the indexer
 * when it is new), and a list with store_filter.q_words matches whole words.
 * Call before store_start.
 */
struct segdict;
int store_set_segdict(struct store *s, const struct segdict *d, struct kerr *err);

/* Indexes everything not yet searchable, now (CLI, tests). Returns rows indexed or < 0. */
long store_search_catch_up(struct store *s, struct kerr *err);

#endif
