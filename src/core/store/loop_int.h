/*
 * loop_int.h: what the closed loop's store files (loop.c, casework.c,
 * loop_config.c, sla_store.c) share: the writer-side cache of rules,
 * policies and calendars, small SQL helpers, and the internal operations.
 */
#ifndef KESU_LOOP_INT_H
#define KESU_LOOP_INT_H

#include "loop/calendar.h"
#include "loop/routing.h"
#include "loop/sla.h"
#include "store/loop.h"
#include "store/sqlite_int.h"

/* Statements kept prepared on the writer's connection (hot paths: intake, SLA pass). */
enum loop_stmt {
    LS_ROUTE_UPDATE,
    LS_EVENT,
    LS_SLA_INSERT,
    LS_TAG_INSERT,
    LS_TEAM_GET,
    LS_TEAM_MEMBERS,
    LS_TEAM_CURSOR,
    LS_OPEN_COUNT,
    LS_SLA_SAVE,
    LS_SUPERVISOR,
    LS_ESCALATE,
    LS_NOTE_INSERT,
    LS_MENTION_LAST,
    LS__COUNT
};

struct loop_cache {
    bool loaded; /* rules, mode and policies below are current */
    struct routing_rule *rules;
    size_t nrules;
    enum routing_mode mode;
    struct sla_policy *policies;
    size_t npolicies;
    struct calendar *cals[16];
    size_t ncals;
    sqlite3_stmt *st[LS__COUNT];
};

/* The cache of the store of c (loaded when stale); NULL only on a read error. */
struct loop_cache *loop_cache_get(struct conn *c, struct kerr *err);
sqlite3_stmt *loop_stmt(struct conn *c, enum loop_stmt id, struct kerr *err);
/* The calendar called name ("" or NULL: 24x7): the sla_calendars table, then the shipped
 * docs/calendars/NAME.json, then built-in 24x7. NULL when there is no such calendar. */
const struct calendar *loop_calendar(struct conn *c, const char *name, struct kerr *err);
/* The same, uncached, owned by the caller (calendar_free); any connection. */
struct calendar *loop_calendar_load(struct conn *c, const char *name, struct kerr *err);
/* The same from the body of its sla_calendars row (NULL when there is none), no query. */
struct calendar *loop_calendar_from(const char *name, const char *body, struct kerr *err);
const struct sla_policy *loop_policy(struct loop_cache *lc, const char *name);

/*
 * Runs sql with parameters bound by types (one letter each: i int64, t text or NULL,
 * d double), stepping until done. Returns 0 or an error naming what.
 */
int loop_exec(struct conn *c, struct kerr *err, const char *sql, const char *types, ...);
/* Prepares sql and binds (as loop_exec); the caller steps and finalizes. NULL on error. */
sqlite3_stmt *loop_query(struct conn *c, struct kerr *err, const char *sql, const char *types, ...);
int loop_event(struct conn *c, int64_t id, int64_t at, const char *actor, const char *kind,
               const char *field, const char *before, const char *after, const char *note,
               struct kerr *err);
int loop_audit(struct conn *c, int64_t at, const char *actor, const char *action, int64_t id,
               const char *detail, struct kerr *err);

/* A transition as the hooks see it. */
struct loop_transition_info {
    int64_t id;
    const char *from, *to, *actor, *note;
    int64_t now;    /* unix ms */
    unsigned flags; /* of loop_transition: LT_SYSTEM for a merge's closing of a duplicate */
};
typedef int (*loop_transition_hook)(struct conn *c, const struct loop_transition_info *t,
                                    struct kerr *err);
/* Flags of loop_transition. */
enum { LT_SYSTEM = 1 /* not checked against the table (a merge closes a duplicate) */ };
/* THE transition commit (see store/loop.h). from_out: the status before (at least 32 bytes). */
int loop_transition(struct conn *c, int64_t id, const char *to, const char *note, const char *actor,
                    int64_t now, unsigned flags, char *from_out, struct kerr *err);

/* Who in team gets the next case (round robin or least open cases, among members on duty);
 * out "" when the team has nobody on duty or is not a known team. */
int loop_pick_assignee(struct conn *c, const char *team, char out[64], struct kerr *err);

/* casework.c */
int casework_run(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                 struct kerr *err);
/* loop_config.c */
int loop_config_run(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                    struct kerr *err);
/* sla_store.c: the SLA clock's transition hook; the scheduler's batch; a new case's clock. */
int sla_on_transition(struct conn *c, const struct loop_transition_info *t, struct kerr *err);
int sla_batch(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
              struct kerr *err);
int sla_subtasks_batch(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                       struct kerr *err);
int sla_start_clock(struct conn *c, struct loop_cache *lc, const struct record *r,
                    const char *policy_name, struct kerr *err);

#endif
