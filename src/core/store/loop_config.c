/*
 * loop_config.c: the closed loop's configuration in the store: teams and
 * their members and duty, routing rules and mode, SLA policies and
 * calendars (writes through the writer, reads from the pool), the demo
 * organisation, and routing the records that arrived before the rules.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "store/loop_int.h"
#include "base/banned.h"

static int rule_put(struct conn *c, struct store_case_op *op, int64_t now, struct kerr *err)
{
    struct routing_rule r;
    int rc = routing_rule_parse(op->body, strlen(op->body), &r, err);
    if (rc < 0)
        return rc;
    if (op->other) {
        rc = loop_exec(c, err, "UPDATE routing_rules SET position=?,body=?,updated_at=? WHERE id=?",
                       "itii", (int64_t)r.position, op->body, now, op->other);
        if (rc == 0 && sqlite3_changes(c->db) == 0)
            rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no routing rule %" PRId64,
                          op->other);
        op->new_id = op->other;
    } else {
        rc = loop_exec(c, err, "INSERT INTO routing_rules(position,body,updated_at) VALUES(?,?,?)",
                       "iti", (int64_t)r.position, op->body, now);
        op->new_id = sqlite3_last_insert_rowid(c->db);
    }
    routing_rule_release(&r);
    return rc;
}

static int team_put(struct conn *c, struct store_case_op *op, struct kerr *err)
{
    const char *mode = op->to && *op->to ? op->to : "round_robin";
    if (strcmp(mode, "round_robin") != 0 && strcmp(mode, "least_open") != 0)
        return kerr_set(err, KERR_INVALID, "invalid_value", "assign_mode",
                        "assign_mode is round_robin or least_open");
    return loop_exec(
        c, err,
        "INSERT INTO teams(name,display_name,supervisor,assign_mode) VALUES(?1,?2,?3,?4)"
        " ON CONFLICT(name) DO UPDATE SET display_name=?2,supervisor=?3,"
        "assign_mode=?4",
        "tttt", op->team, op->title && *op->title ? op->title : op->team, op->assignee, mode);
}

static int need_team(struct conn *c, const char *team, struct kerr *err)
{
    sqlite3_stmt *st = loop_query(c, err, "SELECT 1 FROM teams WHERE name=?", "t", team);
    int rc;
    if (!st)
        return KERR_IO;
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW
               ? 0
               : kerr_set(err, KERR_NOTFOUND, "not_found", "team", "no team called %.60s", team);
}

int loop_config_run(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                    struct kerr *err)
{
    int rc = 0;
    struct calendar *cal = NULL;
    struct sla_policy p;
    char detail[160];

    switch (op->kind) {
    case CASE_OP_RULE_PUT:
        rc = rule_put(c, op, now, err);
        break;
    case CASE_OP_RULE_DELETE:
        rc = loop_exec(c, err, "DELETE FROM routing_rules WHERE id=?", "i", op->other);
        if (rc == 0 && sqlite3_changes(c->db) == 0)
            rc = kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no routing rule %" PRId64,
                          op->other);
        break;
    case CASE_OP_ROUTING_MODE:
        if (!op->to || (strcmp(op->to, "first") != 0 && strcmp(op->to, "all") != 0))
            return kerr_set(err, KERR_INVALID, "invalid_value", "mode", "mode is first or all");
        rc = loop_exec(c, err,
                       "INSERT INTO loop_settings(name,value) VALUES('routing_mode',?1)"
                       " ON CONFLICT(name) DO UPDATE SET value=?1",
                       "t", op->to);
        break;
    case CASE_OP_POLICY_PUT:
        if ((rc = sla_policy_parse(op->body, strlen(op->body), &p, err)) < 0)
            return rc;
        if (p.calendar[0] && !(cal = loop_calendar_load(c, p.calendar, err)))
            return kerr_set(err, KERR_INVALID, "unknown_calendar", "calendar",
                            "no calendar called %.60s", p.calendar);
        calendar_free(cal);
        rc = loop_exec(c, err,
                       "INSERT INTO sla_policies(name,position,body,updated_at) VALUES(?1,?2,?3,?4)"
                       " ON CONFLICT(name) DO UPDATE SET position=?2,body=?3,updated_at=?4",
                       "titi", p.name, (int64_t)p.position, op->body, now);
        break;
    case CASE_OP_CALENDAR_PUT:
        if ((rc = calendar_parse(op->body, strlen(op->body), &cal, err)) < 0)
            return rc;
        rc = loop_exec(c, err,
                       "INSERT INTO sla_calendars(name,body,updated_at) VALUES(?1,?2,?3)"
                       " ON CONFLICT(name) DO UPDATE SET body=?2,updated_at=?3",
                       "tti", cal->name, op->body, now);
        calendar_free(cal);
        break;
    case CASE_OP_TEAM_PUT:
        rc = team_put(c, op, err);
        break;
    case CASE_OP_MEMBER_ADD:
    case CASE_OP_MEMBER_REMOVE:
        if ((rc = need_team(c, op->team, err)) < 0)
            return rc;
        rc = loop_exec(c, err,
                       op->kind == CASE_OP_MEMBER_ADD
                           ? "INSERT OR IGNORE INTO team_members(team,username) VALUES(?,?)"
                           : "DELETE FROM team_members WHERE team=? AND username=?",
                       "tt", op->team, op->assignee);
        break;
    case CASE_OP_DUTY:
        rc = loop_exec(c, err, "UPDATE users SET on_duty=?,updated_at=? WHERE username=?", "iit",
                       (int64_t)op->wait, now / 1000, op->assignee);
        if (rc == 0 && sqlite3_changes(c->db) == 0)
            rc = kerr_set(err, KERR_NOTFOUND, "not_found", "username", "no user called %.60s",
                          op->assignee);
        break;
    default:
        return kerr_set(err, KERR_INTERNAL, "internal", NULL, "not a configuration operation");
    }
    if (rc == 0) {
        struct store_audit a = {now, actor, NULL, "loop.config", "config", detail};
        snprintf(detail, sizeof detail, "{\"op\":%d,\"name\":\"%.60s\"}", (int)op->kind,
                 op->team       ? op->team
                 : op->assignee ? op->assignee
                 : op->to       ? op->to
                                : "");
        for (char *q = detail; *q; q++)
            if (*q == '\\')
                *q = '/';
        rc = audit_append(c, &a, err);
    }
    loop_cache_forget(c->s);
    return rc;
}

/* ---- reads ------------------------------------------------------------------------------ */

int store_teams(struct store *s, store_team_cb cb, void *arg, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (!(st = loop_query(c, err,
                          "SELECT t.name,t.display_name,t.supervisor,t.assign_mode,(SELECT "
                          "count(*) FROM feedback f WHERE f.team=t.name AND f.status NOT IN "
                          "('closed','closed_unaccepted')) FROM teams t ORDER BY t.name",
                          NULL))) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_team t = {
            (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
            (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
            sqlite3_column_int64(st, 4)};
        if (cb(arg, &t))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read teams");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_team_members(struct store *s, const char *team, store_member_cb cb, void *arg,
                       struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if ((rc = need_team(c, team, err)) < 0)
        goto out;
    if (!(st = loop_query(c, err,
                          "SELECT m.username,u.display_name,u.role,coalesce(u.on_duty,1),"
                          "u.id IS NOT NULL,(SELECT count(*) FROM feedback f WHERE "
                          "f.assignee=m.username AND f.status NOT IN ('closed',"
                          "'closed_unaccepted')) FROM team_members m LEFT JOIN users u ON "
                          "u.username=m.username WHERE m.team=? ORDER BY m.username",
                          "t", team))) {
        rc = KERR_IO;
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_member m = {
            (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
            (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3) != 0,
            sqlite3_column_int(st, 4) != 0,           sqlite3_column_int64(st, 5)};
        if (cb(arg, &m))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read members");
    sqlite3_finalize(st);
out:
    store_reader_put(s, c);
    return rc;
}

int store_routing_rules(struct store *s, store_json_cb cb, void *arg, char mode[8],
                        struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    snprintf(mode, 8, "first");
    if ((st = loop_query(c, err, "SELECT value FROM loop_settings WHERE name='routing_mode'",
                         NULL))) {
        if (sqlite3_step(st) == SQLITE_ROW)
            snprintf(mode, 8, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    if (!(st =
              loop_query(c, err, "SELECT id,body FROM routing_rules ORDER BY position,id", NULL))) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(arg, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1)))
            break;
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read rules");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

/* ---- demo and catch-up ------------------------------------------------------------------ */

static const char *const demo_sql =
    "INSERT OR IGNORE INTO teams(name,display_name,supervisor,assign_mode) VALUES"
    " ('kefu','客服部','supervisor','round_robin'),('quality','质量部','supervisor','round_robin'),"
    " ('product','产品部','supervisor','round_robin'),"
    " ('logistics','物流部','supervisor','round_robin'),"
    " ('store_ops','门店运营','supervisor','round_robin');"
    "INSERT OR IGNORE INTO team_members(team,username) VALUES ('kefu','agent'),('kefu','agent2'),"
    " ('quality','quality1'),('product','product1'),('logistics','logistics1'),"
    " ('store_ops','store1');"
    "INSERT OR IGNORE INTO sla_policies(name,position,body,updated_at) VALUES"
    " ('urgent',10,'{\"name\":\"urgent\",\"position\":10,\"priority\":\"p1\",\"calendar\":"
    "\"24x7\",\"ack\":\"30m\",\"response\":\"2h\",\"resolve\":\"24h\",\"warn_share\":0.75}',0),"
    " ('vip',20,'{\"name\":\"vip\",\"position\":20,\"segment\":\"钻石会员\",\"calendar\":"
    "\"cn-2026\",\"ack\":\"1h\",\"response\":\"4h\",\"resolve\":\"2d\",\"warn_share\":0.8}',0),"
    " ('standard',100,'{\"name\":\"standard\",\"position\":100,\"calendar\":\"cn-2026\","
    "\"ack\":\"4h\",\"response\":\"1d\",\"resolve\":\"5d\",\"warn_share\":0.8}',0);";

static const char *const demo_rules[] = {
    "{\"name\":\"食品与安全 → 质量部\",\"position\":10,\"when\":{\"keywords\":[\"变质\",\"异物\","
    "\"过期\",\"拉肚子\",\"安全隐患\",\"漏电\",\"起火\"]},\"then\":{\"team\":\"quality\","
    "\"priority\":\"p1\",\"sla_policy\":\"urgent\",\"tags\":[\"安全\"]}}",
    "{\"name\":\"物流 → "
    "物流部\",\"position\":20,\"when\":{\"keywords\":[\"快递\",\"物流\",\"包裹\","
    "\"配送\",\"签收\"]},\"then\":{\"team\":\"logistics\",\"tags\":[\"物流\"]}}",
    "{\"name\":\"门店 → 门店运营\",\"position\":30,\"when\":{\"channel\":[\"store\"]},"
    "\"then\":{\"team\":\"store_ops\",\"tags\":[\"门店\"]}}",
    "{\"name\":\"产品故障 → 产品部\",\"position\":40,\"when\":{\"keywords\":[\"故障\",\"死机\","
    "\"坏了\",\"无法开机\",\"闪退\",\"断网\"]},\"then\":{\"team\":\"product\",\"tags\":[\"产品\"]}"
    "}",
    "{\"name\":\"大客户优先\",\"position\":50,\"when\":{\"customer_segment\":[\"钻石会员\","
    "\"企业客户\"]},\"then\":{\"team\":\"kefu\",\"priority\":\"p2\",\"sla_policy\":\"vip\","
    "\"tags\":[\"大客户\"]}}",
    "{\"name\":\"其余 → 客服部\",\"position\":1000,\"then\":{\"team\":\"kefu\"}}",
};

static int seed_call(struct store_job *job, void *tx, int64_t now)
{
    struct conn *c = tx;
    sqlite3_stmt *st;
    int64_t n = 0;
    int rc = conn_exec(c, demo_sql, &job->err);
    if (rc < 0)
        return rc;
    if (!(st = loop_query(c, &job->err, "SELECT count(*) FROM routing_rules", NULL)))
        return KERR_IO;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    for (size_t i = 0; n == 0 && rc == 0 && i < sizeof demo_rules / sizeof demo_rules[0]; i++) {
        struct routing_rule r;
        if ((rc = routing_rule_parse(demo_rules[i], strlen(demo_rules[i]), &r, &job->err)) < 0)
            break;
        rc = loop_exec(c, &job->err,
                       "INSERT INTO routing_rules(position,body,updated_at) VALUES(?,?,?)", "iti",
                       (int64_t)r.position, demo_rules[i], now);
        routing_rule_release(&r);
    }
    loop_cache_forget(c->s);
    return rc;
}

int store_loop_seed_demo(struct store *s, struct kerr *err)
{
    struct store_job job;
    int rc;
    memset(&job, 0, sizeof job);
    job.kind = STORE_JOB_CALL;
    job.call = seed_call;
    job.actor = "demo";
    rc = store_run(s, &job);
    if (rc < 0 && err)
        *err = job.err;
    return rc;
}

/* One batch of records without a team and without an SLA clock: routed as if new. */
static int route_call(struct store_job *job, void *tx, int64_t now)
{
    struct conn *c = tx;
    char sql[4096];
    sqlite3_stmt *st;
    struct record *recs;
    size_t n = 0;
    int rc = 0;

    snprintf(sql, sizeof sql,
             "SELECT %s FROM feedback f WHERE f.team IS NULL AND f.status NOT IN ('closed',"
             "'closed_unaccepted') AND NOT EXISTS (SELECT 1 FROM case_sla s WHERE "
             "s.feedback_id=f.id) AND f.id>? ORDER BY f.id LIMIT 10000",
             feedback_columns());
    if (!(st = loop_query(c, &job->err, sql, "i", job->id)))
        return KERR_IO;
    recs = xcalloc(10000, sizeof *recs);
    while (n < 10000 && sqlite3_step(st) == SQLITE_ROW) {
        record_init(&recs[n]);
        feedback_row(st, 0, &recs[n++]);
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = loop_on_insert(c, &recs[i], job->actor, now, &job->err);
        job->id = recs[i].id;
        record_release(&recs[i]);
    }
    free(recs);
    job->n = n;
    return rc;
}

long store_route_unrouted(struct store *s, struct kerr *err)
{
    struct store_job job;
    long total = 0;
    memset(&job, 0, sizeof job);
    for (;;) {
        size_t got;
        job.kind = STORE_JOB_CALL;
        job.call = route_call;
        job.actor = "routing";
        job.n = 0;
        if (store_run(s, &job) < 0) {
            if (err)
                *err = job.err;
            return job.rc;
        }
        got = job.n;
        total += (long)got;
        if (got < 10000)
            return total;
    }
}
