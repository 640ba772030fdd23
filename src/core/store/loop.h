/*
 * store/loop.h: the storage side of case handling (the closed loop):
 * lifecycle transitions, comments and mentions, transfers, sub-tasks, merge
 * and link, teams and assignment, routing rules, SLA policies, calendars and
 * the SLA scheduler's pass. Part of the one storage interface (store/db.h);
 * the rules themselves are pure code in src/core/loop/.
 *
 * Writes go through the writer thread like every write (group commit, one
 * transaction, timeline event and audit entry in the same transaction):
 * fill a struct store_case_op and either queue it with store_case_job()
 * (HTTP handlers, which must not block) or run it with store_case_run().
 *
 * THE TRANSITION COMMIT. Every status change, whatever asked for it (the
 * transitions endpoint, PATCH of status, a merge, a sub-task that makes the
 * case wait, the CLI), is committed by one function, loop_transition() in
 * loop.c: it checks lifecycle_allowed(), updates the status and the
 * life-event timestamps, writes the timeline event (kind "transition",
 * before/after) and the audit entry, and then calls every hook in the table
 * transition_hooks[] (loop.c) in the same transaction. A hook that fails
 * rolls the whole transition back. To react to a transition (the survey on
 * closure, say), add a row { "name", fn } to that table; fn gets the
 * writer's connection, the case id, from, to, actor and time:
 *     int fn(struct conn *c, const struct loop_transition_info *t, struct kerr *err);
 * The SLA clock's pause and resume is the first hook.
 */
#ifndef KESU_STORE_LOOP_H
#define KESU_STORE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"

enum store_case_op_kind {
    CASE_OP_TRANSITION,   /* id, to, note (for closed_unaccepted: the recourse offered) */
    CASE_OP_COMMENT,      /* id, body, internal → new_id; @mentions parsed and kept */
    CASE_OP_TRANSFER,     /* id, team, assignee (NULL: assigned within the team), note = reason */
    CASE_OP_SUBTASK_ADD,  /* id, team, title, due (ms, 0 none), wait → new_id */
    CASE_OP_SUBTASK_DONE, /* id, other = sub-task id, note = result */
    CASE_OP_MERGE,        /* id = the case kept, other = the duplicate merged into it */
    CASE_OP_LINK,         /* id, other, note */
    CASE_OP_RULE_PUT,     /* other = rule id (0 new) → new_id; body = rule JSON (validated) */
    CASE_OP_RULE_DELETE,  /* other = rule id */
    CASE_OP_ROUTING_MODE, /* to = "first" or "all" */
    CASE_OP_POLICY_PUT,   /* title = name, body = policy JSON (validated) */
    CASE_OP_CALENDAR_PUT, /* title = name, body = calendar JSON (validated) */
    CASE_OP_TEAM_PUT,     /* team, title = display name, assignee = supervisor, to = assign mode */
    CASE_OP_MEMBER_ADD,   /* team, assignee = username */
    CASE_OP_MEMBER_REMOVE,
    CASE_OP_DUTY,         /* assignee = username, wait = on duty */
    CASE_OP_SLA_PASS,     /* one batch of the scheduler (used by store_sla_pass) */
    CASE_OP_SUBTASKS_DUE, /* one batch of overdue sub-tasks (used by store_sla_pass) */
};

struct store_sla_report;

struct store_case_op {
    enum store_case_op_kind kind;
    int64_t id, other, due;
    const char *to, *note, *body, *team, *assignee, *title;
    bool internal, wait;
    /* out */
    char from[32];                   /* TRANSITION: the status before (also on a 409) */
    int64_t new_id;                  /* COMMENT, SUBTASK_ADD, RULE_PUT */
    char assigned[64];               /* TRANSFER: who got the case */
    struct store_sla_report *report; /* SLA_PASS */
};

/* Fills job (kind STORE_JOB_CALL) to run op; op must live until job->done. */
void store_case_job(struct store_job *job, struct store_case_op *op, const char *actor);
/* Runs op and waits; returns 0 or an error (KERR_CONFLICT for an illegal transition). */
int store_case_run(struct store *s, struct store_case_op *op, const char *actor, struct kerr *err);

/* ---- reads -------------------------------------------------------------------- */

struct store_comment {
    int64_t id, feedback_id, at;
    const char *author, *body;
    bool internal;
};
typedef int (*store_comment_cb)(void *arg, const struct store_comment *c);
int store_case_comments(struct store *s, int64_t id, store_comment_cb cb, void *arg,
                        struct kerr *err);
/* Comments mentioning username, newest first (at most limit). */
int store_mentions(struct store *s, const char *username, int limit, store_comment_cb cb, void *arg,
                   struct kerr *err);

struct store_subtask {
    int64_t id, feedback_id, due_at, created_at, done_at;
    const char *team, *title, *status, *created_by, *done_by, *result;
    bool blocking;
};
typedef int (*store_subtask_cb)(void *arg, const struct store_subtask *t);
int store_case_subtasks(struct store *s, int64_t id, store_subtask_cb cb, void *arg,
                        struct kerr *err);
typedef int (*store_id_cb)(void *arg, int64_t id, const char *note);
/* Linked cases, and tags (note = tag, id 0). */
int store_case_links(struct store *s, int64_t id, store_id_cb cb, void *arg, struct kerr *err);
int store_case_tags(struct store *s, int64_t id, store_id_cb cb, void *arg, struct kerr *err);

struct store_team {
    const char *name, *display_name, *supervisor, *assign_mode;
    int64_t open_cases;
};
struct store_member {
    const char *username, *display_name, *role;
    bool on_duty, known; /* known: a row in users */
    int64_t open_cases;
};
typedef int (*store_team_cb)(void *arg, const struct store_team *t);
typedef int (*store_member_cb)(void *arg, const struct store_member *m);
int store_teams(struct store *s, store_team_cb cb, void *arg, struct kerr *err);
/* KERR_NOTFOUND when there is no such team. */
int store_team_members(struct store *s, const char *team, store_member_cb cb, void *arg,
                       struct kerr *err);

/* Routing rules (JSON bodies with ids), in order, and the mode. */
typedef int (*store_json_cb)(void *arg, int64_t id, const char *json);
int store_routing_rules(struct store *s, store_json_cb cb, void *arg, char mode[8],
                        struct kerr *err);
int store_sla_policies(struct store *s, store_json_cb cb, void *arg, struct kerr *err);
/* Calendars in the table (the shipped ones are in docs/calendars and built in). */
int store_sla_calendars(struct store *s, store_json_cb cb, void *arg, struct kerr *err);

/* A case's SLA state (case_sla). KERR_NOTFOUND when the case has no SLA. */
struct store_case_sla {
    char policy[64], calendar[64];
    int64_t start, due[3], warn_at[3], paused_since, paused_secs, next_check;
    int warned, breached, escalated, met;
};
int store_case_sla(struct store *s, int64_t id, struct store_case_sla *out, struct kerr *err);
/* The clocks of the cases ids (a page of the list, at most STORE_SLA_MANY_MAX), read by one
 * query: cb once per case that has one, in no particular order (a case without a clock, or
 * not there, is left out); cb returning non-zero stops. */
#define STORE_SLA_MANY_MAX 1000
typedef int (*store_case_sla_cb)(void *arg, int64_t id, const struct store_case_sla *sla);
int store_case_sla_many(struct store *s, const int64_t *ids, size_t n, store_case_sla_cb cb,
                        void *arg, struct kerr *err);

/* ---- the SLA scheduler ------------------------------------------------------------- */

#define STORE_SLA_LINES_MAX 200
struct store_sla_report {
    int64_t now;      /* unix seconds the pass looked at */
    int64_t examined; /* cases looked at */
    int64_t warnings, breaches, escalations;
    int64_t subtasks_overdue; /* sub-tasks past their due time, reported on their case */
    size_t nlines;            /* what happened, one line each (the first STORE_SLA_LINES_MAX) */
    char *lines[STORE_SLA_LINES_MAX];
};
/*
 * One pass: every case whose next check is due at now (unix seconds; 0 =
 * the clock) is looked at, in batches of `batch` cases, each batch one
 * transaction: warnings (timeline sla_warning), breaches (sla_breach) and
 * escalations (the team's supervisor takes the case, its priority goes up
 * one step, an internal note mentions the supervisor; timeline escalation,
 * audit entry); then every open sub-task past its due time is reported once
 * on its case (timeline sla_warning, field subtask, and an internal note
 * mentioning the supervisor of the sub-task's team). All state is in
 * case_sla and case_subtasks, so a pass after a restart never warns or
 * escalates twice. Free the report's lines with
 * store_sla_report_release.
 */
int store_sla_pass(struct store *s, int64_t now, int batch, struct store_sla_report *rep,
                   struct kerr *err);
void store_sla_report_release(struct store_sla_report *rep);

/* The demo organisation, routing rules and SLA policies (INSERT OR IGNORE). */
int store_loop_seed_demo(struct store *s, struct kerr *err);
/* Routes the records that have no team yet (after a seed, or rules added later); returns how many.
 */
long store_route_unrouted(struct store *s, struct kerr *err);

#endif
