/*
 * sla_store.c: the SLA clock in the store: starting it for a new case,
 * pausing and resuming it on transitions (a hook of the transition
 * commit), the scheduler's pass (warnings, breaches, escalation to the
 * team's supervisor), and the reads of policies, calendars and one case's
 * clock. Times in case_sla are unix seconds (0007); record times are ms.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "loop/lifecycle.h"
#include "store/loop_int.h"
#include "base/banned.h"

static const struct calendar *calendar_or_24x7(struct conn *c, const char *name)
{
    struct kerr e;
    const struct calendar *cal = loop_calendar(c, name, &e);
    if (!cal) {
        log_warn("SLA calendar %s: %s; counting round the clock", name ? name : "", e.message);
        cal = loop_calendar(c, "24x7", &e);
    }
    return cal;
}

int sla_start_clock(struct conn *c, struct loop_cache *lc, const struct record *r,
                    const char *policy_name, struct kerr *err)
{
    const struct sla_policy *p = policy_name ? loop_policy(lc, policy_name)
                                             : sla_policy_pick(lc->policies, lc->npolicies, r);
    const struct calendar *cal;
    struct sla_clock ck;
    struct sla_eval ev;
    const int64_t met[SLA_TARGETS] = {0, 0, 0};
    sqlite3_stmt *st;
    int rc;

    if (!p || !(cal = calendar_or_24x7(c, p->calendar)))
        return 0;
    memset(&ck, 0, sizeof ck);
    /* the clock starts when kesu records the case: a backlog imported today is due from today */
    ck.start = (r->recorded_at ? r->recorded_at : clock_now_ms()) / 1000;
    sla_compute_due(p, cal, &ck);
    sla_evaluate(p, cal, &ck, met, ck.start, &ev);
    if (!(st = loop_stmt(c, LS_SLA_INSERT, err)))
        return KERR_IO;
    case_stats_dirty(c, r->id); /* an SLA row counts in the case rollups */
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, cal->name, -1, SQLITE_STATIC);
    for (int k = 0; k < SLA_TARGETS; k++)
        if (ck.due[k])
            sqlite3_bind_int64(st, 4 + k, ck.due[k]);
    sqlite3_bind_int64(st, 7, ck.start);
    sqlite3_bind_int64(st, 8, ck.start);
    if (ck.next_check)
        sqlite3_bind_int64(st, 9, ck.next_check);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, "start SLA clock");
    sqlite3_reset(st);
    return rc;
}

/* ---- one case's row ------------------------------------------------------------------ */

struct sla_row {
    int64_t id;
    char policy[64], calendar[64];
    struct sla_clock ck;
    int64_t met_at[SLA_TARGETS];
    int64_t closed_at; /* the last closing, unix seconds (0: never closed) */
    char status[32], team[64], assignee[64], priority[8];
};

#define ROW_COLS                                                                                   \
    "s.feedback_id,s.policy,coalesce(s.calendar,''),coalesce(s.start_at,0),"                       \
    "coalesce(s.ack_due,0),coalesce(s.response_due,0),coalesce(s.resolve_due,0),"                  \
    "coalesce(s.paused_since,0),s.paused_secs,s.warned,s.breached,s.escalated,s.met,"              \
    "coalesce(s.next_check,0),coalesce(f.acknowledged_at,0),coalesce(f.responded_at,0),"           \
    "coalesce(f.closed_at,0),f.status,coalesce(f.team,''),coalesce(f.assignee,''),"                \
    "coalesce(f.priority,'')"

static void text_col(sqlite3_stmt *st, int i, char *out, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, n, "%s", t ? (const char *)t : "");
}

static void read_row(sqlite3_stmt *st, struct sla_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(st, 0);
    text_col(st, 1, r->policy, sizeof r->policy);
    text_col(st, 2, r->calendar, sizeof r->calendar);
    r->ck.start = sqlite3_column_int64(st, 3);
    for (int k = 0; k < SLA_TARGETS; k++)
        r->ck.due[k] = sqlite3_column_int64(st, 4 + k);
    r->ck.paused_since = sqlite3_column_int64(st, 7);
    r->ck.paused_secs = sqlite3_column_int64(st, 8);
    r->ck.warned = sqlite3_column_int(st, 9);
    r->ck.breached = sqlite3_column_int(st, 10);
    r->ck.escalated = sqlite3_column_int(st, 11);
    r->ck.met = sqlite3_column_int(st, 12);
    r->ck.next_check = sqlite3_column_int64(st, 13);
    text_col(st, 17, r->status, sizeof r->status);
    r->met_at[0] = sqlite3_column_int64(st, 14) / 1000;
    r->met_at[1] = sqlite3_column_int64(st, 15) / 1000;
    r->closed_at = sqlite3_column_int64(st, 16) / 1000;
    r->met_at[2] = lifecycle_is_closed(r->status) ? r->closed_at : 0;
    text_col(st, 18, r->team, sizeof r->team);
    text_col(st, 19, r->assignee, sizeof r->assignee);
    text_col(st, 20, r->priority, sizeof r->priority);
}

/* Steps a cached statement bound by types/values (see loop_exec); 0 or an error. */
static int step_cached(struct conn *c, enum loop_stmt id, struct kerr *err, const char *types, ...)
{
    sqlite3_stmt *st = loop_stmt(c, id, err);
    va_list ap;
    int rc;
    if (!st)
        return KERR_IO;
    va_start(ap, types);
    for (int i = 0; types[i]; i++) {
        if (types[i] == 'i') {
            sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        } else {
            const char *v = va_arg(ap, const char *);
            sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
        }
    }
    va_end(ap);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, "write SLA state");
    sqlite3_reset(st);
    return rc;
}

static int save_clock(struct conn *c, const struct sla_row *r, int64_t now_s, struct kerr *err)
{
    const struct sla_clock *k = &r->ck;
    case_stats_dirty(c, r->id); /* breaches count in the case rollups */
    return step_cached(c, LS_SLA_SAVE, err, "iiiiiiiiiiii", k->due[0], k->due[1], k->due[2],
                       k->paused_since, k->paused_secs, (int64_t)k->warned, (int64_t)k->breached,
                       (int64_t)k->escalated, (int64_t)k->met, k->next_check, now_s, r->id);
}

/* Reads case id's row; 1 when found, 0 when the case has no clock, < 0 on error. */
static int load_row(struct conn *c, int64_t id, struct sla_row *r, struct kerr *err)
{
    sqlite3_stmt *st = loop_query(c, err,
                                  "SELECT " ROW_COLS " FROM case_sla s JOIN feedback f ON "
                                  "f.id=s.feedback_id WHERE s.feedback_id=?",
                                  "i", id);
    int rc;
    if (!st)
        return KERR_IO;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read_row(st, r);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read SLA");
}

/* The transition hook: waiting for the customer or a third party stops the clock; a reopened
 * case's resolution clock goes on from where the closing stopped it. */
int sla_on_transition(struct conn *c, const struct loop_transition_info *t, struct kerr *err)
{
    struct sla_row r;
    struct loop_cache *lc;
    const struct sla_policy *p;
    const struct calendar *cal;
    int64_t now_s = t->now / 1000;
    bool was = lifecycle_pauses(t->from), is = lifecycle_pauses(t->to);
    int rc = load_row(c, t->id, &r, err);

    if (rc <= 0)
        return rc;
    if (is && !was) {
        sla_pause(&r.ck, now_s);
    } else if (was && !is) {
        if (!(lc = loop_cache_get(c, err)))
            return KERR_IO;
        if (!(p = loop_policy(lc, r.policy)) || !(cal = calendar_or_24x7(c, r.calendar)))
            r.ck.paused_since = 0;
        else
            sla_resume(p, cal, &r.ck, now_s);
    } else if (strcmp(t->to, "reopened") == 0 && r.closed_at && !r.ck.paused_since) {
        /* the resolution clock resumes where it stopped: the time closed does not count */
        if (!(lc = loop_cache_get(c, err)))
            return KERR_IO;
        if ((p = loop_policy(lc, r.policy)) && (cal = calendar_or_24x7(c, r.calendar))) {
            r.ck.paused_secs += calendar_between(cal, r.closed_at, now_s);
            r.ck.met &= ~SLA_RESOLVE;
            if (!(r.ck.breached & SLA_RESOLVE))
                r.ck.warned &= ~SLA_RESOLVE;
            sla_compute_due(p, cal, &r.ck);
        }
        r.ck.next_check = now_s;
    } else if (!r.ck.paused_since) {
        r.ck.next_check = now_s; /* a target may just have been met: look at it soon */
    }
    return save_clock(c, &r, now_s, err);
}

/* ---- the scheduler ---------------------------------------------------------------------- */

static void report_line(struct store_sla_report *rep, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void report_line(struct store_sla_report *rep, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;
    if (!rep || rep->nlines >= STORE_SLA_LINES_MAX)
        return;
    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    rep->lines[rep->nlines++] = strbuf_detach(&sb, NULL);
}

/* The targets in mask breached: the team's supervisor takes the case, its priority goes up
 * one step, and an internal note mentions the supervisor. Once per look, whatever the
 * number of targets that breached together. */
static int escalate(struct conn *c, struct sla_row *r, int mask, const char *actor, int64_t now,
                    struct store_sla_report *rep, struct kerr *err)
{
    char supervisor[64] = "", note[200], body[300], detail[400], what[80] = "";
    const char *prio = sla_raise_priority(r->priority[0] ? r->priority : NULL);
    sqlite3_stmt *st;
    int rc = 0;

    for (int k = 0; k < SLA_TARGETS; k++)
        if (mask & (1 << k))
            snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s", what[0] ? ", " : "",
                     sla_target_names[k]);
    if (r->team[0]) {
        if (!(st = loop_stmt(c, LS_SUPERVISOR, err)))
            return KERR_IO;
        sqlite3_bind_text(st, 1, r->team, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            text_col(st, 0, supervisor, sizeof supervisor);
        sqlite3_reset(st);
    }
    snprintf(note, sizeof note, "SLA policy %s: %s target breached", r->policy, what);
    if ((rc = feedback_rollup_id(c, r->id, -1, err)) < 0)
        return rc;
    rc = step_cached(c, LS_ESCALATE, err, "ttii", prio, supervisor, now, r->id);
    if (rc == 0)
        rc = feedback_rollup_id(c, r->id, 1, err);
    if (rc == 0 && strcmp(prio, r->priority) != 0)
        rc = loop_event(c, r->id, now, actor, "escalation", "priority",
                        r->priority[0] ? r->priority : NULL, prio, note, err);
    if (rc == 0 && supervisor[0] && strcmp(supervisor, r->assignee) != 0)
        rc = loop_event(c, r->id, now, actor, "escalation", "assignee",
                        r->assignee[0] ? r->assignee : NULL, supervisor, note, err);
    if (rc == 0 && supervisor[0]) {
        /* the notification: an internal note that mentions the supervisor */
        snprintf(body, sizeof body, "@%s %s", supervisor, note);
        rc = step_cached(c, LS_NOTE_INSERT, err, "iitt", r->id, now, actor, body);
        if (rc == 0)
            rc = step_cached(c, LS_MENTION_LAST, err, "tii", supervisor, r->id, now);
    }
    if (rc == 0) {
        snprintf(detail, sizeof detail,
                 "{\"targets\":\"%s\",\"policy\":\"%.60s\",\"priority\":[\"%s\",\"%s\"],"
                 "\"assignee\":\"%.60s\"}",
                 what, r->policy, r->priority, prio, supervisor);
        rc = loop_audit(c, now, actor, "feedback.escalate", r->id, detail, err);
    }
    if (rc == 0) {
        snprintf(r->priority, sizeof r->priority, "%s", prio);
        if (supervisor[0])
            snprintf(r->assignee, sizeof r->assignee, "%s", supervisor);
        r->ck.escalated |= mask;
        rep->escalations++;
        report_line(rep, "feedback %" PRId64 ": escalated (%s breached): priority %s%s%s", r->id,
                    what, prio, supervisor[0] ? ", assigned to " : "", supervisor);
    }
    return rc;
}

static int look_at(struct conn *c, struct sla_row *r, const char *actor, int64_t now,
                   struct store_sla_report *rep, struct kerr *err)
{
    struct loop_cache *lc = loop_cache_get(c, err);
    const struct sla_policy *p;
    const struct calendar *cal;
    struct sla_eval ev;
    int64_t now_s = now / 1000;
    char due[CLOCK_FMT_MAX];
    int rc = 0;

    if (!lc)
        return KERR_IO;
    if (!(p = loop_policy(lc, r->policy)) || !(cal = calendar_or_24x7(c, r->calendar))) {
        r->ck.next_check = 0; /* the policy is gone: nothing to watch */
        return save_clock(c, r, now_s, err);
    }
    sla_evaluate(p, cal, &r->ck, r->met_at, now_s, &ev);
    for (int k = 0; k < SLA_TARGETS && rc == 0; k++) {
        int bit = 1 << k;
        clock_format(r->ck.due[k] * 1000, due);
        if (ev.warn & bit) {
            rc = loop_event(c, r->id, now, actor, "sla_warning", sla_target_names[k], NULL, due,
                            "SLA target nearly used up", err);
            rep->warnings++;
            report_line(rep, "feedback %" PRId64 ": %s warning (due %s)", r->id,
                        sla_target_names[k], due);
        }
        if (ev.breach & bit) {
            bool late = ev.breach_met_late & bit;
            rc = loop_event(c, r->id, now, actor, "sla_breach", sla_target_names[k], NULL, due,
                            late ? "met after its due time" : "SLA target breached", err);
            rep->breaches++;
            report_line(rep, "feedback %" PRId64 ": %s breached (due %s)%s", r->id,
                        sla_target_names[k], due, late ? ", met late" : "");
        }
    }
    int mask = ev.breach & ~ev.breach_met_late & ~r->ck.escalated;
    if (rc == 0 && mask)
        rc = escalate(c, r, mask, actor, now, rep, err);
    return rc == 0 ? save_clock(c, r, now_s, err) : rc;
}

int sla_batch(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
              struct kerr *err)
{
    int64_t now_s = op->due ? op->due : now / 1000;
    int64_t now_ms = op->due ? op->due * 1000 : now;
    sqlite3_stmt *st = loop_query(c, err,
                                  "SELECT " ROW_COLS " FROM case_sla s JOIN feedback f ON "
                                  "f.id=s.feedback_id WHERE s.next_check<=? ORDER BY "
                                  "s.next_check LIMIT ?",
                                  "ii", now_s, op->other);
    struct sla_row *rows;
    size_t n = 0;
    int rc = 0;

    if (!st)
        return KERR_IO;
    rows = xcalloc((size_t)op->other, sizeof *rows);
    while ((int64_t)n < op->other && sqlite3_step(st) == SQLITE_ROW)
        read_row(st, &rows[n++]);
    sqlite3_finalize(st);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = look_at(c, &rows[i], actor, now_ms, op->report, err);
    free(rows);
    op->new_id = (int64_t)n;
    if (op->report)
        op->report->examined += (int64_t)n;
    return rc;
}

/* Open sub-tasks past their due time, not yet reported: one event and note each. */
int sla_subtasks_batch(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                       struct kerr *err)
{
    int64_t now_ms = op->due ? op->due * 1000 : now;
    sqlite3_stmt *st = loop_query(c, err,
                                  "SELECT t.id,t.feedback_id,t.team,t.title,t.due_at,"
                                  "coalesce(m.supervisor,'') FROM case_subtasks t LEFT JOIN teams m"
                                  " ON m.name=t.team WHERE t.status='open' AND t.overdue_at IS "
                                  "NULL AND t.due_at<=? ORDER BY t.due_at LIMIT ?",
                                  "ii", now_ms, op->other);
    int64_t n = 0;
    int rc = 0;
    if (!st)
        return KERR_IO;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        int64_t sid = sqlite3_column_int64(st, 0), fid = sqlite3_column_int64(st, 1);
        char team[64], title[200], sup[64], due[CLOCK_FMT_MAX], note[400], body[480];
        text_col(st, 2, team, sizeof team);
        text_col(st, 3, title, sizeof title);
        text_col(st, 5, sup, sizeof sup);
        clock_format(sqlite3_column_int64(st, 4), due);
        snprintf(note, sizeof note, "sub-task %" PRId64 " for %s overdue: %s", sid, team, title);
        rc = loop_event(c, fid, now_ms, actor, "sla_warning", "subtask", NULL, due, note, err);
        if (rc == 0 && sup[0]) {
            snprintf(body, sizeof body, "@%s %s", sup, note);
            rc = step_cached(c, LS_NOTE_INSERT, err, "iitt", fid, now_ms, actor, body);
            if (rc == 0)
                rc = step_cached(c, LS_MENTION_LAST, err, "tii", sup, fid, now_ms);
        }
        if (rc == 0)
            rc = loop_exec(c, err, "UPDATE case_subtasks SET overdue_at=? WHERE id=?", "ii", now_ms,
                           sid);
        if (rc == 0) {
            n++;
            op->report->subtasks_overdue++;
            report_line(op->report, "feedback %" PRId64 ": %s (due %s)", fid, note, due);
        }
    }
    sqlite3_finalize(st);
    op->new_id = n;
    return rc;
}

int store_sla_pass(struct store *s, int64_t now, int batch, struct store_sla_report *rep,
                   struct kerr *err)
{
    memset(rep, 0, sizeof *rep);
    rep->now = now ? now : clock_now_ms() / 1000;
    if (batch < 1)
        batch = 2000;
    for (;;) {
        struct store_case_op op;
        int rc;
        memset(&op, 0, sizeof op);
        op.kind = CASE_OP_SLA_PASS;
        op.due = rep->now;
        op.other = batch;
        op.report = rep;
        if ((rc = store_case_run(s, &op, "sla-scheduler", err)) < 0)
            return rc;
        if (op.new_id < batch)
            break;
    }
    for (;;) {
        struct store_case_op op;
        int rc;
        memset(&op, 0, sizeof op);
        op.kind = CASE_OP_SUBTASKS_DUE;
        op.due = rep->now;
        op.other = batch;
        op.report = rep;
        if ((rc = store_case_run(s, &op, "sla-scheduler", err)) < 0)
            return rc;
        if (op.new_id < batch)
            return 0;
    }
}

void store_sla_report_release(struct store_sla_report *rep)
{
    for (size_t i = 0; i < rep->nlines; i++)
        free(rep->lines[i]);
    rep->nlines = 0;
}

/* ---- reads ------------------------------------------------------------------------------ */

static int list_bodies(struct store *s, const char *sql, store_json_cb cb, void *arg,
                       struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (!(st = loop_query(c, err, sql, NULL))) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(arg, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1)))
            break;
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "list");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_sla_policies(struct store *s, store_json_cb cb, void *arg, struct kerr *err)
{
    return list_bodies(s, "SELECT 0,body FROM sla_policies ORDER BY position,name", cb, arg, err);
}

int store_sla_calendars(struct store *s, store_json_cb cb, void *arg, struct kerr *err)
{
    return list_bodies(s, "SELECT 0,body FROM sla_calendars ORDER BY name", cb, arg, err);
}

/* Fills out from a clock row; warn times from the policy's body and the case's calendar when
 * both are known (pol and cal may be NULL). */
static void case_sla_fill(const struct sla_row *r, const struct sla_policy *pol,
                          const struct calendar *cal, struct store_case_sla *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->policy, sizeof out->policy, "%s", r->policy);
    snprintf(out->calendar, sizeof out->calendar, "%s", r->calendar);
    out->start = r->ck.start;
    memcpy(out->due, r->ck.due, sizeof out->due);
    out->paused_since = r->ck.paused_since;
    out->paused_secs = r->ck.paused_secs;
    out->next_check = r->ck.next_check;
    out->warned = r->ck.warned;
    out->breached = r->ck.breached;
    out->escalated = r->ck.escalated;
    out->met = r->ck.met;
    for (int k = 0; k < SLA_TARGETS; k++)
        if (r->met_at[k] && r->ck.due[k])
            out->met |= 1 << k; /* met, even when the scheduler has not looked yet */
    if (pol && cal)
        for (int k = 0; k < SLA_TARGETS; k++)
            out->warn_at[k] = pol->target[k] > 0 ? sla_warn_at(pol, cal, &r->ck, k) : 0;
}

int store_case_sla(struct store *s, int64_t id, struct store_case_sla *out, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    struct sla_row r;
    struct sla_policy p;
    struct calendar *cal = NULL;
    sqlite3_stmt *st;
    int rc;

    memset(out, 0, sizeof *out);
    if (!c)
        return KERR_IO;
    rc = load_row(c, id, &r, err);
    if (rc == 0)
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id",
                      "feedback %" PRId64 " is not under an SLA policy (or does not exist)", id);
    if (rc < 0)
        goto out;
    rc = 0;
    st = loop_query(c, err, "SELECT body FROM sla_policies WHERE name=?", "t", r.policy);
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        const char *body = (const char *)sqlite3_column_text(st, 0);
        struct kerr e;
        if (sla_policy_parse(body, strlen(body), &p, &e) == 0)
            cal = loop_calendar_load(c, r.calendar, &e);
    }
    sqlite3_finalize(st);
    case_sla_fill(&r, cal ? &p : NULL, cal, out);
    calendar_free(cal);
out:
    store_reader_put(s, c);
    return rc;
}

/* A policy and calendar pair met on a page, parsed once for all its cases. */
struct sla_pair {
    char policy[64], calendar[64];
    struct sla_policy p;
    struct calendar *cal; /* NULL: no warn times (policy or calendar gone or unreadable) */
};

int store_case_sla_many(struct store *s, const int64_t *ids, size_t n, store_case_sla_cb cb,
                        void *arg, struct kerr *err)
{
    struct strbuf sql = STRBUF_INIT;
    struct sla_pair *pairs = NULL;
    size_t npairs = 0;
    struct conn *c;
    sqlite3_stmt *st;
    int rc;

    if (n == 0)
        return 0;
    if (n > STORE_SLA_MANY_MAX)
        return kerr_set(err, KERR_INVALID, "invalid_field", "ids", "at most %d cases at once",
                        STORE_SLA_MANY_MAX);
    if (!(c = store_reader(s, err)))
        return KERR_IO;
    /* one query for the page: the clocks with their policy's and calendar's bodies */
    strbuf_addstr(&sql, "SELECT " ROW_COLS ",p.body,cal.body FROM case_sla s"
                        " JOIN feedback f ON f.id=s.feedback_id"
                        " LEFT JOIN sla_policies p ON p.name=s.policy"
                        " LEFT JOIN sla_calendars cal ON cal.name=s.calendar"
                        " WHERE s.feedback_id IN (");
    for (size_t i = 0; i < n; i++)
        strbuf_addstr(&sql, i ? ",?" : "?");
    strbuf_addstr(&sql, ")");
    if (sqlite3_prepare_v2(c->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(c->db, err, "prepare");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        sqlite3_bind_int64(st, (int)i + 1, ids[i]);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sla_row r;
        struct store_case_sla out;
        struct sla_pair *pp = NULL;
        read_row(st, &r);
        for (size_t i = 0; i < npairs && !pp; i++)
            if (!strcmp(pairs[i].policy, r.policy) && !strcmp(pairs[i].calendar, r.calendar))
                pp = &pairs[i];
        if (!pp) {
            const char *pbody = (const char *)sqlite3_column_text(st, 21);
            struct kerr e;
            pairs = xrealloc(pairs, (npairs + 1) * sizeof *pairs);
            pp = &pairs[npairs++];
            memset(pp, 0, sizeof *pp);
            snprintf(pp->policy, sizeof pp->policy, "%s", r.policy);
            snprintf(pp->calendar, sizeof pp->calendar, "%s", r.calendar);
            if (pbody && sla_policy_parse(pbody, strlen(pbody), &pp->p, &e) == 0)
                pp->cal =
                    loop_calendar_from(r.calendar, (const char *)sqlite3_column_text(st, 22), &e);
        }
        case_sla_fill(&r, pp->cal ? &pp->p : NULL, pp->cal, &out);
        if (cb(arg, r.id, &out))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read SLA");
    sqlite3_finalize(st);
out:
    for (size_t i = 0; i < npairs; i++)
        calendar_free(pairs[i].cal);
    free(pairs);
    strbuf_release(&sql);
    store_reader_put(s, c);
    return rc;
}
