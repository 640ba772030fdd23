/*
 * loop.c: the heart of case handling in the store: the transition commit
 * and its hooks, what happens to a record just inserted (routing rules,
 * assignment within the team, the SLA clock), the writer-side cache of
 * rules, policies and calendars, and the dispatch of case operations.
 *
 * Routing runs in the writer's transaction of the insert, not after it:
 * a 2xx for a new record then means it is stored, routed, assigned and
 * under its SLA clock, all or nothing, and no crash can leave a record
 * that nobody owns; the cost is a rule match in memory and a few indexed
 * writes per record inside a transaction that is committed anyway.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/embedded.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "loop/lifecycle.h"
#include "store/capa.h"
#include "store/loop_int.h"
#include "base/banned.h"

/* ---- SQL helpers ---------------------------------------------------------------- */

static void bind_va(sqlite3_stmt *st, const char *types, va_list ap)
{
    for (int i = 0; types && types[i]; i++) {
        if (types[i] == 'i') {
            sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        } else if (types[i] == 'd') {
            sqlite3_bind_double(st, i + 1, va_arg(ap, double));
        } else {
            const char *s = va_arg(ap, const char *);
            if (s)
                sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, i + 1);
        }
    }
}

sqlite3_stmt *loop_query(struct conn *c, struct kerr *err, const char *sql, const char *types, ...)
{
    sqlite3_stmt *st;
    va_list ap;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_error(c->db, err, "prepare");
        return NULL;
    }
    va_start(ap, types);
    bind_va(st, types, ap);
    va_end(ap);
    return st;
}

int loop_exec(struct conn *c, struct kerr *err, const char *sql, const char *types, ...)
{
    sqlite3_stmt *st;
    va_list ap;
    int rc;
    if (sqlite3_prepare_v2(c->db, sql, -1, &st, NULL) != SQLITE_OK)
        return db_error(c->db, err, "prepare");
    va_start(ap, types);
    bind_va(st, types, ap);
    va_end(ap);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    rc = rc == SQLITE_DONE ? 0 : db_error(c->db, err, "write");
    sqlite3_finalize(st);
    return rc;
}

static const char *const loop_sql[LS__COUNT] = {
    [LS_ROUTE_UPDATE] = "UPDATE feedback SET team=coalesce(?1,team),assignee=coalesce(?2,assignee),"
                        "priority=coalesce(?3,priority),assigned_at=CASE WHEN ?2 IS NULL THEN "
                        "assigned_at ELSE coalesce(assigned_at,?4) END,updated_at=?4 WHERE id=?5",
    [LS_EVENT] = "INSERT INTO feedback_events(feedback_id,at,actor,kind,field,before,after,note)"
                 " VALUES(?,?,?,?,?,?,?,?)",
    [LS_SLA_INSERT] = "INSERT OR REPLACE INTO case_sla(feedback_id,policy,calendar,ack_due,"
                      "response_due,resolve_due,paused_since,paused_secs,warned,breached,"
                      "updated_at,start_at,next_check,escalated,met)"
                      " VALUES(?,?,?,?,?,?,NULL,0,0,0,?,?,?,0,0)",
    [LS_TAG_INSERT] = "INSERT OR IGNORE INTO case_tags(feedback_id,tag) VALUES(?,?)",
    [LS_TEAM_GET] = "SELECT assign_mode,rr_cursor,supervisor FROM teams WHERE name=?",
    [LS_TEAM_MEMBERS] = "SELECT m.username FROM team_members m LEFT JOIN users u ON "
                        "u.username=m.username WHERE m.team=? AND coalesce(u.on_duty,1)=1 AND "
                        "coalesce(u.disabled,0)=0 ORDER BY m.username",
    [LS_TEAM_CURSOR] = "UPDATE teams SET rr_cursor=rr_cursor+1 WHERE name=?",
    [LS_OPEN_COUNT] = "SELECT count(*) FROM feedback WHERE assignee=? AND status NOT IN "
                      "('closed','closed_unaccepted')",
    [LS_SLA_SAVE] = "UPDATE case_sla SET ack_due=nullif(?1,0),response_due=nullif(?2,0),"
                    "resolve_due=nullif(?3,0),paused_since=nullif(?4,0),paused_secs=?5,"
                    "warned=?6,breached=?7,escalated=?8,met=?9,next_check=nullif(?10,0),"
                    "updated_at=?11 WHERE feedback_id=?12",
    [LS_SUPERVISOR] = "SELECT coalesce(supervisor,'') FROM teams WHERE name=?",
    [LS_ESCALATE] = "UPDATE feedback SET priority=?1,assignee=coalesce(nullif(?2,''),assignee),"
                    "updated_at=?3 WHERE id=?4",
    [LS_NOTE_INSERT] = "INSERT INTO case_comments(feedback_id,at,author,internal,body)"
                       " VALUES(?,?,?,1,?)",
    [LS_MENTION_LAST] = "INSERT OR IGNORE INTO case_mentions(comment_id,username,feedback_id,at)"
                        " VALUES(last_insert_rowid(),?,?,?)",
};

sqlite3_stmt *loop_stmt(struct conn *c, enum loop_stmt id, struct kerr *err)
{
    struct loop_cache *lc = c->s ? c->s->loop : NULL;
    sqlite3_stmt **slot, *st = NULL;
    if (!lc) {
        if (!c->s)
            return NULL;
        lc = c->s->loop = xcalloc(1, sizeof(*lc));
    }
    slot = &lc->st[id];
    if (*slot) {
        sqlite3_reset(*slot);
        sqlite3_clear_bindings(*slot);
        return *slot;
    }
    if (sqlite3_prepare_v3(c->db, loop_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) !=
        SQLITE_OK) {
        db_error(c->db, err, "prepare");
        return NULL;
    }
    return *slot = st;
}

int loop_event(struct conn *c, int64_t id, int64_t at, const char *actor, const char *kind,
               const char *field, const char *before, const char *after, const char *note,
               struct kerr *err)
{
    sqlite3_stmt *st = loop_stmt(c, LS_EVENT, err);
    int rc;
    if (!st)
        return KERR_IO;
    if (strcmp(kind, "transfer") == 0) /* transfers count against first-contact resolution */
        case_stats_dirty(c, id);
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_text(st, 3, actor ? actor : "system", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, field, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, before, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, after, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, note, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, "insert event");
    sqlite3_reset(st);
    return rc;
}

int loop_audit(struct conn *c, int64_t at, const char *actor, const char *action, int64_t id,
               const char *detail, struct kerr *err)
{
    char object[40];
    struct store_audit a = {at, actor ? actor : "system", NULL, action, object, detail};
    snprintf(object, sizeof object, "feedback:%" PRId64, id);
    return audit_append(c, &a, err);
}

/* ---- the cache ------------------------------------------------------------------- */

static void cache_clear(struct loop_cache *lc)
{
    for (size_t i = 0; i < lc->nrules; i++)
        routing_rule_release(&lc->rules[i]);
    free(lc->rules);
    free(lc->policies);
    for (size_t i = 0; i < lc->ncals; i++)
        calendar_free(lc->cals[i]);
    lc->rules = NULL;
    lc->policies = NULL;
    lc->nrules = lc->npolicies = lc->ncals = 0;
    lc->loaded = false;
}

void loop_cache_free(struct loop_cache *lc)
{
    if (!lc)
        return;
    cache_clear(lc);
    for (int i = 0; i < LS__COUNT; i++)
        sqlite3_finalize(lc->st[i]);
    free(lc);
}

void loop_cache_forget(struct store *s)
{
    if (s->loop)
        cache_clear(s->loop);
}

static int load_rules(struct conn *c, struct loop_cache *lc, struct kerr *err)
{
    sqlite3_stmt *st =
        loop_query(c, err, "SELECT id,body FROM routing_rules ORDER BY position,id", NULL);
    size_t cap = 0;
    int rc;
    if (!st)
        return KERR_IO;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct routing_rule r;
        struct kerr e;
        const char *body = (const char *)sqlite3_column_text(st, 1);
        if (routing_rule_parse(body, strlen(body), &r, &e) < 0) {
            log_warn("routing rule %lld ignored: %s", (long long)sqlite3_column_int64(st, 0),
                     e.message);
            continue;
        }
        r.id = sqlite3_column_int64(st, 0);
        if (lc->nrules == cap) {
            cap = cap ? 2 * cap : 8;
            lc->rules = xrealloc(lc->rules, cap * sizeof(*lc->rules));
        }
        lc->rules[lc->nrules++] = r;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_error(c->db, err, "read routing rules");
    st = loop_query(c, err, "SELECT value FROM loop_settings WHERE name='routing_mode'", NULL);
    if (!st)
        return KERR_IO;
    lc->mode = ROUTING_FIRST;
    if (sqlite3_step(st) == SQLITE_ROW &&
        strcmp((const char *)sqlite3_column_text(st, 0), "all") == 0)
        lc->mode = ROUTING_ALL;
    sqlite3_finalize(st);
    return 0;
}

static int load_policies(struct conn *c, struct loop_cache *lc, struct kerr *err)
{
    sqlite3_stmt *st =
        loop_query(c, err, "SELECT body FROM sla_policies ORDER BY position,name", NULL);
    size_t cap = 0;
    int rc;
    if (!st)
        return KERR_IO;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct sla_policy p;
        struct kerr e;
        const char *body = (const char *)sqlite3_column_text(st, 0);
        if (sla_policy_parse(body, strlen(body), &p, &e) < 0)
            continue;
        if (lc->npolicies == cap) {
            cap = cap ? 2 * cap : 8;
            lc->policies = xrealloc(lc->policies, cap * sizeof(*lc->policies));
        }
        lc->policies[lc->npolicies++] = p;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read SLA policies");
}

struct loop_cache *loop_cache_get(struct conn *c, struct kerr *err)
{
    struct loop_cache *lc;
    if (!c->s)
        return NULL;
    if (!c->s->loop)
        c->s->loop = xcalloc(1, sizeof(*c->s->loop));
    lc = c->s->loop;
    if (lc->loaded)
        return lc;
    cache_clear(lc);
    if (load_rules(c, lc, err) < 0 || load_policies(c, lc, err) < 0) {
        cache_clear(lc);
        return NULL;
    }
    lc->loaded = true;
    return lc;
}

const struct sla_policy *loop_policy(struct loop_cache *lc, const char *name)
{
    for (size_t i = 0; name && i < lc->npolicies; i++)
        if (strcmp(lc->policies[i].name, name) == 0)
            return &lc->policies[i];
    return NULL;
}

struct calendar *loop_calendar_load(struct conn *c, const char *name, struct kerr *err)
{
    struct calendar *cal = NULL;
    sqlite3_stmt *st;

    if (!name || !*name || strcmp(name, "24x7") == 0)
        return calendar_24x7();
    st = loop_query(c, err, "SELECT body FROM sla_calendars WHERE name=?", "t", name);
    if (!st)
        return NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        cal = loop_calendar_from(name, (const char *)sqlite3_column_text(st, 0), err);
    sqlite3_finalize(st);
    return cal ? cal : loop_calendar_from(name, NULL, err); /* the shipped ones */
}

struct calendar *loop_calendar_from(const char *name, const char *body, struct kerr *err)
{
    struct calendar *cal = NULL;
    char path[96];
    const struct embedded_file *f;

    if (!name || !*name || strcmp(name, "24x7") == 0)
        return calendar_24x7();
    if (body && calendar_parse(body, strlen(body), &cal, err) == 0)
        return cal;
    snprintf(path, sizeof path, "docs/calendars/%.60s.json", name);
    if ((f = embedded_find(path)) && calendar_parse(f->data, f->len, &cal, err) == 0)
        return cal;
    kerr_set(err, KERR_NOTFOUND, "not_found", "calendar", "no calendar called %.60s", name);
    return NULL;
}

const struct calendar *loop_calendar(struct conn *c, const char *name, struct kerr *err)
{
    struct loop_cache *lc = loop_cache_get(c, err);
    struct calendar *cal;
    const char *key = name && *name ? name : "24x7";
    if (!lc)
        return NULL;
    for (size_t i = 0; i < lc->ncals; i++)
        if (strcmp(lc->cals[i]->name, key) == 0)
            return lc->cals[i];
    if (!(cal = loop_calendar_load(c, key, err)))
        return NULL;
    snprintf(cal->name, sizeof cal->name, "%s", key);
    if (lc->ncals == sizeof(lc->cals) / sizeof(lc->cals[0])) {
        calendar_free(lc->cals[0]);
        memmove(lc->cals, lc->cals + 1, (lc->ncals - 1) * sizeof(lc->cals[0]));
        lc->ncals--;
    }
    lc->cals[lc->ncals++] = cal;
    return cal;
}

/* ---- the transition commit ----------------------------------------------------------- */

/*
 * What reacts to a transition, in the transition's own transaction. Add a
 * row to hook another module in (see store/loop.h).
 */
static bool is_closed(const char *status)
{
    return status && (strcmp(status, "closed") == 0 || strcmp(status, "closed_unaccepted") == 0);
}

/* An open case that closes gets a return-visit survey (store/survey.c); a duplicate closed by
 * a merge (LT_SYSTEM) does not: its customer hears from the case kept. */
static int survey_hook(struct conn *c, const struct loop_transition_info *t, struct kerr *err)
{
    if (!is_closed(t->to) || is_closed(t->from) || (t->flags & LT_SYSTEM))
        return 0;
    return survey_on_close(c, t->id, t->actor, t->now, err);
}

/* Status and life-event times count in the case rollups (store/case_stats.c): the case is
 * counted again when the job ends. */
static int case_stats_hook(struct conn *c, const struct loop_transition_info *t, struct kerr *err)
{
    (void)err;
    case_stats_dirty(c, t->id);
    return 0;
}

static const struct {
    const char *name;
    loop_transition_hook fn;
} transition_hooks[] = {
    {"sla_clock", sla_on_transition},
    {"survey_on_close", survey_hook},
    {"case_stats", case_stats_hook},
};

static int read_status(struct conn *c, int64_t id, char *out, size_t n, struct kerr *err)
{
    sqlite3_stmt *st = loop_query(c, err, "SELECT status FROM feedback WHERE id=?", "i", id);
    int rc;
    if (!st)
        return KERR_IO;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no feedback with id %" PRId64, id);
    } else {
        rc = db_error(c->db, err, "read status");
    }
    sqlite3_finalize(st);
    return rc;
}

static int conflict(const char *from, const char *to, struct kerr *err)
{
    const char *next[16];
    size_t n = lifecycle_next(from, next, 16);
    struct strbuf sb = STRBUF_INIT;
    int rc;
    for (size_t i = 0; i < n; i++)
        strbuf_addf(&sb, "%s%s", i ? ", " : "", next[i]);
    rc = kerr_set(err, KERR_CONFLICT, "illegal_transition", "to",
                  "a case cannot go from %s to %s (allowed: %s)", from, to, n ? sb.buf : "none");
    strbuf_release(&sb);
    return rc;
}

int loop_transition(struct conn *c, int64_t id, const char *to, const char *note, const char *actor,
                    int64_t now, unsigned flags, char *from_out, struct kerr *err)
{
    char from[32];
    struct strbuf sql = STRBUF_INIT, detail = STRBUF_INIT;
    struct lifecycle_stamps stamps = lifecycle_stamps_of(to);
    struct jsonw w;
    int rc;

    if (!lifecycle_known(to))
        return kerr_set(err, KERR_INVALID, "invalid_value", "to", "to must be a case status");
    if ((rc = read_status(c, id, from, sizeof from, err)) < 0)
        return rc;
    if (from_out)
        snprintf(from_out, 32, "%s", from);
    if (!(flags & LT_SYSTEM) && !lifecycle_allowed(from, to))
        return conflict(from, to, err);
    if (lifecycle_needs_recourse(to) && (!note || !*note))
        return kerr_set(err, KERR_INVALID, "missing_field", "recourse",
                        "closing without the customer's acceptance needs the recourse offered");
    strbuf_addstr(&sql, "UPDATE feedback SET status=?1,updated_at=?2");
    if (stamps.first)
        strbuf_addf(&sql, ",%s=coalesce(%s,?2)", stamps.first, stamps.first);
    if (stamps.again)
        strbuf_addf(&sql, ",%s=?2", stamps.again);
    if (stamps.again2)
        strbuf_addf(&sql, ",%s=?2", stamps.again2);
    strbuf_addstr(&sql, " WHERE id=?3");
    rc = loop_exec(c, err, sql.buf, "tii", to, now, id);
    if (rc == 0)
        rc = loop_event(c, id, now, actor, "transition", "status", from, to, note, err);
    if (rc == 0) {
        /* the same entry as any change of a field (PATCH), so readers of the log see one form */
        jsonw_init(&w, &detail);
        jsonw_obj(&w);
        jsonw_key(&w, "status");
        jsonw_arr(&w);
        jsonw_str(&w, from);
        jsonw_str(&w, to);
        jsonw_end(&w);
        jsonw_kstr(&w, "via", "transition");
        if (note)
            jsonw_kstr(&w, "note", note);
        jsonw_end(&w);
        rc = loop_audit(c, now, actor, "feedback.update", id, detail.buf, err);
    }
    for (size_t i = 0; rc == 0 && i < sizeof(transition_hooks) / sizeof(transition_hooks[0]); i++) {
        struct loop_transition_info t = {id, from, to, actor, note, now, flags};
        rc = transition_hooks[i].fn(c, &t, err);
    }
    strbuf_release(&sql);
    strbuf_release(&detail);
    return rc;
}

int loop_patch_status(struct conn *c, int64_t id, const char *to, const char *note,
                      const char *actor, int64_t now, struct kerr *err)
{
    char from[32];
    int rc = read_status(c, id, from, sizeof from, err);
    if (rc < 0 || strcmp(from, to) == 0)
        return rc; /* the same status again changes nothing, as before */
    return loop_transition(c, id, to, note, actor, now, 0, NULL, err);
}

/* ---- assignment ---------------------------------------------------------------- */

int loop_pick_assignee(struct conn *c, const char *team, char out[64], struct kerr *err)
{
    sqlite3_stmt *st = loop_stmt(c, LS_TEAM_GET, err);
    char mode[16] = "", names[64][64];
    int64_t cursor = 0;
    int n = 0, rc;

    out[0] = '\0';
    if (!st)
        return KERR_IO;
    sqlite3_bind_text(st, 1, team, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        snprintf(mode, sizeof mode, "%s", (const char *)sqlite3_column_text(st, 0));
        cursor = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (!mode[0])
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read team");
    if (!(st = loop_stmt(c, LS_TEAM_MEMBERS, err)))
        return KERR_IO;
    sqlite3_bind_text(st, 1, team, -1, SQLITE_STATIC);
    while (n < 64 && sqlite3_step(st) == SQLITE_ROW)
        snprintf(names[n++], 64, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (n == 0)
        return 0;
    if (strcmp(mode, "least_open") == 0) {
        int64_t best = INT64_MAX;
        for (int i = 0; i < n; i++) {
            int64_t k = 0;
            if (!(st = loop_stmt(c, LS_OPEN_COUNT, err)))
                return KERR_IO;
            sqlite3_bind_text(st, 1, names[i], -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW)
                k = sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
            if (k < best) {
                best = k;
                memcpy(out, names[i], 64);
            }
        }
        return 0;
    }
    memcpy(out, names[cursor % n], 64);
    if (!(st = loop_stmt(c, LS_TEAM_CURSOR, err)))
        return KERR_IO;
    sqlite3_bind_text(st, 1, team, -1, SQLITE_STATIC);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, "advance round robin");
    sqlite3_reset(st);
    return rc;
}

/* ---- a new record ----------------------------------------------------------------- */

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = xstrdup(v);
}

static int apply_route(struct conn *c, struct record *r, const struct routing_outcome *o,
                       const char *assignee, int64_t now, struct kerr *err)
{
    sqlite3_stmt *st = loop_stmt(c, LS_ROUTE_UPDATE, err);
    char note[96];
    int rc;
    if (!st)
        return KERR_IO;
    case_stats_dirty(c, r->id);
    sqlite3_bind_text(st, 1, o->team, -1, SQLITE_STATIC);
    if (assignee && *assignee)
        sqlite3_bind_text(st, 2, assignee, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->priority, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, r->id);
    rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, "route record");
    sqlite3_reset(st);
    snprintf(note, sizeof note, "routing rule %" PRId64, o->nmatched ? o->matched[0] : 0);
    if (rc == 0 && o->team)
        rc = loop_event(c, r->id, now, "routing", "assign", "team", r->team, o->team, note, err);
    if (rc == 0 && assignee && *assignee)
        rc = loop_event(c, r->id, now, "routing", "assign", "assignee", r->assignee, assignee, note,
                        err);
    if (rc == 0 && o->priority && (!r->priority || strcmp(r->priority, o->priority) != 0))
        rc = loop_event(c, r->id, now, "routing", "field", "priority", r->priority, o->priority,
                        note, err);
    for (size_t i = 0; rc == 0 && i < o->ntags; i++) {
        if (!(st = loop_stmt(c, LS_TAG_INSERT, err)))
            return KERR_IO;
        sqlite3_bind_int64(st, 1, r->id);
        sqlite3_bind_text(st, 2, o->tags[i], -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_error(c->db, err, "tag record");
        sqlite3_reset(st);
    }
    if (rc == 0) {
        bool moves = o->team || (assignee && *assignee); /* team and assignee are rollup dims */
        if (moves && c->s)
            rollup_add_record(c->s->ru_job, r, -1);
        if (o->team)
            set_str(&r->team, o->team);
        if (assignee && *assignee) {
            set_str(&r->assignee, assignee);
            r->assigned_at = now;
        }
        if (o->priority)
            set_str(&r->priority, o->priority);
        if (moves && c->s)
            rollup_add_record(c->s->ru_job, r, 1);
    }
    return rc;
}

int loop_on_insert(struct conn *c, struct record *r, const char *actor, int64_t now,
                   struct kerr *err)
{
    struct loop_cache *lc;
    struct routing_outcome o;
    char assignee[64] = "";
    int rc = 0;
    (void)actor;
    if (!c->s || !(lc = loop_cache_get(c, err)))
        return c->s ? KERR_IO : 0;
    if (lc->nrules == 0 && lc->npolicies == 0)
        return 0;
    routing_apply(lc->rules, lc->nrules, lc->mode, r, &o);
    if (o.team && !r->assignee && (rc = loop_pick_assignee(c, o.team, assignee, err)) < 0)
        return rc;
    if ((o.team || o.priority || o.ntags) && (rc = apply_route(c, r, &o, assignee, now, err)) < 0)
        return rc;
    return sla_start_clock(c, lc, r, o.sla_policy, err);
}

/* ---- dispatch ------------------------------------------------------------------------ */

static int case_call(struct store_job *job, void *tx, int64_t now)
{
    struct conn *c = tx;
    struct store_case_op *op = job->ctx;
    switch (op->kind) {
    case CASE_OP_TRANSITION:
        return loop_transition(c, op->id, op->to, op->note, job->actor, now, 0, op->from,
                               &job->err);
    case CASE_OP_COMMENT:
    case CASE_OP_TRANSFER:
    case CASE_OP_SUBTASK_ADD:
    case CASE_OP_SUBTASK_DONE:
    case CASE_OP_MERGE:
    case CASE_OP_LINK:
        return casework_run(c, op, job->actor, now, &job->err);
    case CASE_OP_SLA_PASS:
        return sla_batch(c, op, job->actor, now, &job->err);
    case CASE_OP_SUBTASKS_DUE:
        return sla_subtasks_batch(c, op, job->actor, now, &job->err);
    default:
        return loop_config_run(c, op, job->actor, now, &job->err);
    }
}

void store_case_job(struct store_job *job, struct store_case_op *op, const char *actor)
{
    job->kind = STORE_JOB_CALL;
    job->call = case_call;
    job->ctx = op;
    job->actor = actor;
    job->n = 0;
}

int store_case_run(struct store *s, struct store_case_op *op, const char *actor, struct kerr *err)
{
    struct store_job job;
    int rc;
    memset(&job, 0, sizeof job);
    store_case_job(&job, op, actor);
    rc = store_run(s, &job);
    if (rc < 0 && err)
        *err = job.err;
    return rc;
}
