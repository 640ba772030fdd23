/*
 * capa.c: problems, root causes, improvement actions and their effect
 * evaluations, knowledge-base articles, denominators and the reminder pass,
 * in SQLite. capa_apply runs one write op in the writer's transaction; the
 * gates live here, beside the data they guard:
 *   - a problem cannot close without an action plan (an action linked to it);
 *   - an action cannot close without an effect evaluation.
 * Both refuse with KERR_CONFLICT and the gate's name as the error code.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "store/capa_int.h"
#include "base/banned.h"

#define DAY_MS (24 * 3600 * 1000LL)

/* ---- problems ---------------------------------------------------------------------- */

static int problem_exists(struct conn *c, int64_t id, struct kerr *err)
{
    int64_t n = 0;
    int rc = capa_query_int(c, "SELECT count(*) FROM problems WHERE id=?", id, 0, &n, err);
    if (rc < 0)
        return rc;
    return n ? 0 : kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no problem %" PRId64, id);
}

static int problem_create(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                          struct kerr *err)
{
    const struct capa_problem *p = &op->problem;
    sqlite3_stmt *st = capa_prepare(c,
                                    "INSERT INTO problems(title,description,status,category,"
                                    "product,owner,created_by,created_at,updated_at)"
                                    " VALUES(?,?,coalesce(?,'open'),?,?,?,?,?,?)",
                                    err);
    int rc;
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, p->title);
    capa_bind_text(st, 2, p->description);
    capa_bind_text(st, 3, p->status);
    capa_bind_text(st, 4, p->category);
    capa_bind_text(st, 5, p->product);
    capa_bind_text(st, 6, p->owner);
    capa_bind_text(st, 7, actor);
    sqlite3_bind_int64(st, 8, now);
    sqlite3_bind_int64(st, 9, now);
    rc = capa_exec_stmt(c, st, err, "insert problem");
    op->out_id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static int problem_update(struct conn *c, struct capa_op *op, int64_t now, struct kerr *err)
{
    const struct capa_problem *p = &op->problem;
    sqlite3_stmt *st;
    int rc;

    if ((rc = problem_exists(c, op->id, err)) < 0)
        return rc;
    if (p->status && strcmp(p->status, "closed") == 0) {
        int64_t n = 0;
        rc = capa_query_int(c,
                            "SELECT count(*) FROM actions WHERE problem_id=?"
                            " AND status<>'cancelled'",
                            op->id, 0, &n, err);
        if (rc < 0)
            return rc;
        if (n == 0)
            return kerr_set(err, KERR_CONFLICT, "gate_action_plan", "status",
                            "a problem cannot close without an action plan: link an action "
                            "to problem %" PRId64 " first",
                            op->id);
    }
    st = capa_prepare(c,
                      "UPDATE problems SET title=coalesce(?1,title),"
                      "description=coalesce(?2,description),status=coalesce(?3,status),"
                      "category=coalesce(?4,category),product=coalesce(?5,product),"
                      "owner=coalesce(?6,owner),updated_at=?7,"
                      "closed_at=CASE WHEN ?3='closed' THEN coalesce(closed_at,?7)"
                      " WHEN ?3 IS NOT NULL THEN NULL ELSE closed_at END WHERE id=?8",
                      err);
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, p->title);
    capa_bind_text(st, 2, p->description);
    capa_bind_text(st, 3, p->status);
    capa_bind_text(st, 4, p->category);
    capa_bind_text(st, 5, p->product);
    capa_bind_text(st, 6, p->owner);
    sqlite3_bind_int64(st, 7, now);
    sqlite3_bind_int64(st, 8, op->id);
    return capa_exec_stmt(c, st, err, "update problem");
}

static int problem_cases(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                         struct kerr *err)
{
    char pid[24];
    int rc;
    if ((rc = problem_exists(c, op->id, err)) < 0)
        return rc;
    snprintf(pid, sizeof pid, "%" PRId64, op->id);
    for (size_t i = 0; i < op->nadd; i++) {
        int64_t n = 0;
        sqlite3_stmt *st;
        if ((rc = capa_query_int(c, "SELECT count(*) FROM feedback WHERE id=?", op->add[i], 0, &n,
                                 err)) < 0)
            return rc;
        if (!n) {
            err->index = (long)i;
            return kerr_set(err, KERR_NOTFOUND, "not_found", "add", "no feedback with id %" PRId64,
                            op->add[i]);
        }
        st = capa_prepare(c,
                          "INSERT INTO problem_cases(problem_id,feedback_id,added_by,added_at)"
                          " VALUES(?,?,?,?) ON CONFLICT DO NOTHING",
                          err);
        if (!st)
            return KERR_IO;
        sqlite3_bind_int64(st, 1, op->id);
        sqlite3_bind_int64(st, 2, op->add[i]);
        capa_bind_text(st, 3, actor);
        sqlite3_bind_int64(st, 4, now);
        if ((rc = capa_exec_stmt(c, st, err, "add case")) < 0)
            return rc;
        if (sqlite3_changes(c->db) &&
            (rc = capa_event(c, op->add[i], now, actor, "link", "problem", NULL, pid,
                             "归入问题 / added to a problem", err)) < 0)
            return rc;
    }
    for (size_t i = 0; i < op->nremove; i++) {
        sqlite3_stmt *st =
            capa_prepare(c, "DELETE FROM problem_cases WHERE problem_id=? AND feedback_id=?", err);
        if (!st)
            return KERR_IO;
        sqlite3_bind_int64(st, 1, op->id);
        sqlite3_bind_int64(st, 2, op->remove[i]);
        if ((rc = capa_exec_stmt(c, st, err, "remove case")) < 0)
            return rc;
        if (sqlite3_changes(c->db) &&
            (rc = capa_event(c, op->remove[i], now, actor, "link", "problem", pid, NULL,
                             "移出问题 / removed from a problem", err)) < 0)
            return rc;
    }
    return 0;
}

/* ---- root causes -------------------------------------------------------------------- */

static int rootcause_create(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                            struct kerr *err)
{
    const struct capa_rootcause *r = &op->rc;
    sqlite3_stmt *st;
    int64_t n = 0;
    int rc;

    if (r->feedback_id && ((rc = capa_query_int(c, "SELECT count(*) FROM feedback WHERE id=?",
                                                r->feedback_id, 0, &n, err)) < 0 ||
                           !n))
        return rc < 0 ? rc
                      : kerr_set(err, KERR_NOTFOUND, "not_found", "feedback_id",
                                 "no feedback with id %" PRId64, r->feedback_id);
    if (r->problem_id && (rc = problem_exists(c, r->problem_id, err)) < 0) {
        snprintf(err->field, sizeof err->field, "problem_id");
        return rc;
    }
    st = capa_prepare(c,
                      "INSERT INTO root_causes(feedback_id,problem_id,whys,fishbone,summary,"
                      "verified_by,verified_at,evidence,created_by,created_at)"
                      " VALUES(?,?,?,?,?,?,?,?,?,?)",
                      err);
    if (!st)
        return KERR_IO;
    capa_bind_int(st, 1, r->feedback_id ? r->feedback_id : CAPA_ABSENT);
    capa_bind_int(st, 2, r->problem_id ? r->problem_id : CAPA_ABSENT);
    capa_bind_text(st, 3, r->whys_json);
    capa_bind_text(st, 4, r->fishbone);
    capa_bind_text(st, 5, r->summary);
    capa_bind_text(st, 6, r->verified_by);
    capa_bind_int(st, 7, r->verified_by ? now : CAPA_ABSENT);
    capa_bind_text(st, 8, r->evidence_json ? r->evidence_json : "[]");
    capa_bind_text(st, 9, actor);
    sqlite3_bind_int64(st, 10, now);
    if ((rc = capa_exec_stmt(c, st, err, "insert root cause")) < 0)
        return rc;
    op->out_id = sqlite3_last_insert_rowid(c->db);
    if (r->feedback_id)
        rc = capa_event(c, r->feedback_id, now, actor, "note", "root_cause", NULL, r->fishbone,
                        r->summary, err);
    return rc;
}

/* ---- actions ------------------------------------------------------------------------- */

static int action_create(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                         struct kerr *err)
{
    const struct capa_action *a = &op->action;
    sqlite3_stmt *st;
    char idtxt[24];
    int rc;

    if (a->problem_id != CAPA_ABSENT && a->problem_id &&
        (rc = problem_exists(c, a->problem_id, err)) < 0) {
        snprintf(err->field, sizeof err->field, "problem_id");
        return rc;
    }
    st = capa_prepare(c,
                      "INSERT INTO actions(title,description,type,term,owner,due_at,start_at,"
                      "metric,target,status,category,product,problem_id,feedback_id,created_by,"
                      "created_at,updated_at) VALUES(?,?,?,?,?,?,?,coalesce(?,'complaint_rate'),"
                      "?,coalesce(?,'open'),?,?,?,?,?,?,?)",
                      err);
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, a->title);
    capa_bind_text(st, 2, a->description);
    capa_bind_text(st, 3, a->type);
    capa_bind_text(st, 4, a->term);
    capa_bind_text(st, 5, a->owner);
    capa_bind_int(st, 6, a->due_at);
    sqlite3_bind_int64(st, 7, a->start_at == CAPA_ABSENT ? now : a->start_at);
    capa_bind_text(st, 8, a->metric);
    if (a->has_target)
        sqlite3_bind_double(st, 9, a->target);
    else
        sqlite3_bind_null(st, 9);
    capa_bind_text(st, 10, a->status);
    capa_bind_text(st, 11, a->category);
    capa_bind_text(st, 12, a->product);
    capa_bind_int(st, 13, a->problem_id ? a->problem_id : CAPA_ABSENT);
    capa_bind_int(st, 14, a->feedback_id ? a->feedback_id : CAPA_ABSENT);
    capa_bind_text(st, 15, actor);
    sqlite3_bind_int64(st, 16, now);
    sqlite3_bind_int64(st, 17, now);
    if ((rc = capa_exec_stmt(c, st, err, "insert action")) < 0) {
        if (sqlite3_extended_errcode(c->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
            return kerr_set(err, KERR_NOTFOUND, "not_found", "feedback_id", "no such feedback");
        return rc;
    }
    op->out_id = sqlite3_last_insert_rowid(c->db);
    snprintf(idtxt, sizeof idtxt, "%" PRId64, op->out_id);
    if (a->feedback_id != CAPA_ABSENT && a->feedback_id)
        rc = capa_event(c, a->feedback_id, now, actor, "action", "action", NULL, idtxt, a->title,
                        err);
    return rc;
}

static int action_update(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                         struct kerr *err)
{
    const struct capa_action *a = &op->action;
    sqlite3_stmt *st;
    int64_t n = 0, fid = 0;
    int rc;

    if ((rc = capa_query_int(c, "SELECT count(*) FROM actions WHERE id=?", op->id, 0, &n, err)) < 0)
        return rc;
    if (!n)
        return kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no action %" PRId64, op->id);
    if (a->status && strcmp(a->status, "closed") == 0) {
        if ((rc = capa_query_int(c, "SELECT count(*) FROM action_evaluations WHERE action_id=?",
                                 op->id, 0, &n, err)) < 0)
            return rc;
        if (n == 0)
            return kerr_set(err, KERR_CONFLICT, "gate_effect_evaluation", "status",
                            "an action cannot close without an effect evaluation: "
                            "POST /api/v1/actions/%" PRId64 "/evaluate first",
                            op->id);
    }
    if (a->problem_id != CAPA_ABSENT && a->problem_id &&
        (rc = problem_exists(c, a->problem_id, err)) < 0) {
        snprintf(err->field, sizeof err->field, "problem_id");
        return rc;
    }
    st = capa_prepare(
        c,
        "UPDATE actions SET title=coalesce(?1,title),description=coalesce(?2,description),"
        "type=coalesce(?3,type),term=coalesce(?4,term),owner=coalesce(?5,owner),"
        "due_at=coalesce(?6,due_at),start_at=coalesce(?7,start_at),metric=coalesce(?8,metric),"
        "target=CASE WHEN ?9 THEN ?10 ELSE target END,status=coalesce(?11,status),"
        "category=coalesce(?12,category),product=coalesce(?13,product),"
        "problem_id=coalesce(?14,problem_id),updated_at=?15,"
        "closed_at=CASE WHEN ?11='closed' THEN coalesce(closed_at,?15)"
        " WHEN ?11 IS NOT NULL THEN NULL ELSE closed_at END,"
        "reminded_at=CASE WHEN ?6 IS NOT NULL AND ?6 IS NOT due_at THEN NULL ELSE reminded_at END,"
        "escalated_at=CASE WHEN ?6 IS NOT NULL AND ?6 IS NOT due_at THEN NULL"
        " ELSE escalated_at END WHERE id=?16",
        err);
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, a->title);
    capa_bind_text(st, 2, a->description);
    capa_bind_text(st, 3, a->type);
    capa_bind_text(st, 4, a->term);
    capa_bind_text(st, 5, a->owner);
    capa_bind_int(st, 6, a->due_at);
    capa_bind_int(st, 7, a->start_at);
    capa_bind_text(st, 8, a->metric);
    sqlite3_bind_int(st, 9, a->has_target);
    sqlite3_bind_double(st, 10, a->target);
    capa_bind_text(st, 11, a->status);
    capa_bind_text(st, 12, a->category);
    capa_bind_text(st, 13, a->product);
    capa_bind_int(st, 14, a->problem_id ? a->problem_id : CAPA_ABSENT);
    sqlite3_bind_int64(st, 15, now);
    sqlite3_bind_int64(st, 16, op->id);
    if ((rc = capa_exec_stmt(c, st, err, "update action")) < 0)
        return rc;
    if ((rc = capa_query_int(c, "SELECT feedback_id FROM actions WHERE id=?", op->id, 0, &fid,
                             err)) < 0)
        return rc;
    if (fid && a->status) {
        char idtxt[24];
        snprintf(idtxt, sizeof idtxt, "%" PRId64, op->id);
        rc = capa_event(c, fid, now, actor, "action", "action_status", idtxt, a->status, a->note,
                        err);
    }
    return rc;
}

static int eval_save(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                     struct kerr *err)
{
    sqlite3_stmt *st;
    int rc;
    if (op->eval.check_only) {
        st = capa_prepare(c, "UPDATE actions SET recurrence_checked_at=? WHERE id=?", err);
        if (!st)
            return KERR_IO;
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, op->id);
        return capa_exec_stmt(c, st, err, "note recurrence check");
    }
    st = capa_prepare(c,
                      "INSERT INTO action_evaluations(action_id,at,evaluated_by,verdict,result)"
                      " VALUES(?,?,?,?,?)",
                      err);
    if (!st)
        return KERR_IO;
    sqlite3_bind_int64(st, 1, op->id);
    sqlite3_bind_int64(st, 2, now);
    capa_bind_text(st, 3, actor);
    capa_bind_text(st, 4, op->eval.verdict);
    capa_bind_text(st, 5, op->eval.result_json);
    if ((rc = capa_exec_stmt(c, st, err, "insert evaluation")) < 0)
        return rc;
    op->out_id = sqlite3_last_insert_rowid(c->db);
    st = capa_prepare(c,
                      "UPDATE actions SET verdict=?1,evaluated_at=?2,recurrence_checked_at=?2,"
                      "recurrence_at=CASE WHEN ?3 THEN coalesce(recurrence_at,?2)"
                      " WHEN ?1='effective' THEN NULL ELSE recurrence_at END WHERE id=?4",
                      err);
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, op->eval.verdict);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int(st, 3, op->eval.recurrence);
    sqlite3_bind_int64(st, 4, op->id);
    if ((rc = capa_exec_stmt(c, st, err, "update action")) < 0)
        return rc;
    if (op->eval.recurrence) {
        char subject[96];
        snprintf(subject, sizeof subject, "复发：改进措施 #%" PRId64 " 之后投诉回升", op->id);
        rc = capa_outbox(c, "recurrence", 0, op->id, NULL, subject,
                         "An action evaluated effective before no longer shows a reduction: "
                         "the complaints came back.",
                         now, NULL, err);
    }
    return rc;
}

/* ---- knowledge base, denominators ------------------------------------------------------- */

static int kb_write(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                    struct kerr *err)
{
    const struct capa_kb *k = &op->kb;
    sqlite3_stmt *st;
    int rc;
    if (op->kind == CAPA_KB_CREATE) {
        st = capa_prepare(c,
                          "INSERT INTO kb_articles(title,body,category,tags,status,created_by,"
                          "created_at,updated_at) VALUES(?1,?2,?3,coalesce(?4,'[]'),"
                          "coalesce(?5,'published'),?6,?7,?7)",
                          err);
    } else {
        int64_t n = 0;
        if ((rc = capa_query_int(c, "SELECT count(*) FROM kb_articles WHERE id=?", op->id, 0, &n,
                                 err)) < 0)
            return rc;
        if (!n)
            return kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no article %" PRId64, op->id);
        st = capa_prepare(c,
                          "UPDATE kb_articles SET title=coalesce(?1,title),body=coalesce(?2,body),"
                          "category=coalesce(?3,category),tags=coalesce(?4,tags),"
                          "status=coalesce(?5,status),updated_at=?7 WHERE id=?8",
                          err);
    }
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, k->title);
    capa_bind_text(st, 2, k->body);
    capa_bind_text(st, 3, k->category);
    capa_bind_text(st, 4, k->tags_json);
    capa_bind_text(st, 5, k->status);
    capa_bind_text(st, 6, actor);
    sqlite3_bind_int64(st, 7, now);
    if (op->kind == CAPA_KB_UPDATE)
        sqlite3_bind_int64(st, 8, op->id);
    rc = capa_exec_stmt(c, st, err, "write article");
    op->out_id = op->kind == CAPA_KB_CREATE ? sqlite3_last_insert_rowid(c->db) : op->id;
    return rc;
}

static int denominator_set(struct conn *c, struct capa_op *op, struct kerr *err)
{
    sqlite3_stmt *st = capa_prepare(c,
                                    "INSERT INTO volume_denominators(day,product,value)"
                                    " VALUES(?,coalesce(?,''),?) ON CONFLICT(day,product)"
                                    " DO UPDATE SET value=excluded.value",
                                    err);
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, op->day);
    capa_bind_text(st, 2, op->product);
    sqlite3_bind_double(st, 3, op->value);
    return capa_exec_stmt(c, st, err, "set denominator");
}

static int question_put(struct conn *c, struct capa_op *op, struct kerr *err)
{
    const struct capa_question *q = &op->question;
    sqlite3_stmt *st = capa_prepare(
        c,
        "INSERT INTO survey_questions(key,position,kind,min_value,max_value,required,enabled,"
        "label_zh,label_en,low_zh,high_zh) VALUES(?1,coalesce(?2,(SELECT coalesce(max(position),"
        "0)+1 FROM survey_questions)),?3,?4,?5,?6,?7,?8,coalesce(?9,?8),?10,?11)"
        " ON CONFLICT(key) DO UPDATE SET position=coalesce(?2,position),kind=?3,min_value=?4,"
        "max_value=?5,required=?6,enabled=?7,label_zh=?8,label_en=coalesce(?9,?8),low_zh=?10,"
        "high_zh=?11",
        err);
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, q->key);
    capa_bind_int(st, 2, q->position);
    capa_bind_text(st, 3, q->kind);
    capa_bind_int(st, 4, q->min_value);
    capa_bind_int(st, 5, q->max_value);
    sqlite3_bind_int(st, 6, q->required);
    sqlite3_bind_int(st, 7, q->enabled);
    capa_bind_text(st, 8, q->label_zh);
    capa_bind_text(st, 9, q->label_en);
    capa_bind_text(st, 10, q->low_zh);
    capa_bind_text(st, 11, q->high_zh);
    return capa_exec_stmt(c, st, err, "write question");
}

static int outbox_sent(struct conn *c, struct capa_op *op, int64_t now, struct kerr *err)
{
    int64_t sent = -1;
    sqlite3_stmt *st;
    int rc;
    if ((rc = capa_query_int(c, "SELECT coalesce(sent_at,0) FROM outbox WHERE id=?", op->id, -1,
                             &sent, err)) < 0)
        return rc;
    if (sent < 0)
        return kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no outbox message %" PRId64,
                        op->id);
    if (sent > 0)
        return kerr_set(err, KERR_CONFLICT, "already_sent", "id",
                        "message %" PRId64 " was sent already", op->id);
    st = capa_prepare(c,
                      "UPDATE outbox SET attempts=attempts+1,sent_at=CASE WHEN ?1 IS NULL THEN ?2"
                      " END,last_error=?1 WHERE id=?3",
                      err);
    if (!st)
        return KERR_IO;
    capa_bind_text(st, 1, op->status);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, op->id);
    return capa_exec_stmt(c, st, err, "mark outbox message");
}

/* ---- the reminder pass ----------------------------------------------------------------- */

/* Reminders before the due date, then an escalation once overdue, each once per due date:
 * reminded_at/escalated_at are set in the same transaction as the outbox message. */
static int capa_tick(struct conn *c, struct capa_op *op, int64_t now, struct kerr *err)
{
    static const char *const passes[2] = {
        "SELECT a.id,a.title,a.owner,a.due_at,(SELECT t.supervisor FROM team_members m"
        " JOIN teams t ON t.name=m.team WHERE m.username=a.owner LIMIT 1)"
        " FROM actions a WHERE a.status IN ('open','in_progress') AND a.due_at IS NOT NULL"
        " AND a.reminded_at IS NULL AND a.due_at-?1<=?2 AND a.due_at>?2",
        "SELECT a.id,a.title,a.owner,a.due_at,(SELECT t.supervisor FROM team_members m"
        " JOIN teams t ON t.name=m.team WHERE m.username=a.owner LIMIT 1)"
        " FROM actions a WHERE a.status IN ('open','in_progress') AND a.due_at IS NOT NULL"
        " AND a.escalated_at IS NULL AND a.due_at<=?2"};
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        sqlite3_stmt *st = capa_prepare(c, passes[pass], err);
        if (!st)
            return KERR_IO;
        sqlite3_bind_int64(st, 1, op->remind_before_ms);
        sqlite3_bind_int64(st, 2, now);
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
            int64_t id = sqlite3_column_int64(st, 0);
            const char *title = (const char *)sqlite3_column_text(st, 1);
            const char *owner = (const char *)sqlite3_column_text(st, 2);
            const char *sup = (const char *)sqlite3_column_text(st, 4);
            char subject[320], body[512], ts[CLOCK_FMT_MAX];
            sqlite3_stmt *up;
            clock_format(sqlite3_column_int64(st, 3), ts);
            snprintf(subject, sizeof subject, "%s：改进措施 #%" PRId64 " %.200s",
                     pass ? "已逾期" : "即将到期", id, title ? title : "");
            if (pass)
                snprintf(body, sizeof body,
                         "Action #%" PRId64 " (owner %s) was due %s and is not done: "
                         "escalated to %s.",
                         id, owner ? owner : "-", ts, sup ? sup : "the quality manager");
            else
                snprintf(body, sizeof body, "Action #%" PRId64 " (owner %s) is due %s.", id,
                         owner ? owner : "-", ts);
            rc = capa_outbox(c, pass ? "action_overdue" : "action_reminder", 0, id,
                             pass ? (sup ? sup : owner) : owner, subject, body, now, NULL, err);
            if (rc < 0)
                break;
            up = capa_prepare(c,
                              pass ? "UPDATE actions SET escalated_at=? WHERE id=?"
                                   : "UPDATE actions SET reminded_at=? WHERE id=?",
                              err);
            if (!up) {
                rc = KERR_IO;
                break;
            }
            sqlite3_bind_int64(up, 1, now);
            sqlite3_bind_int64(up, 2, id);
            rc = capa_exec_stmt(c, up, err, "mark reminder");
            if (pass)
                op->tick.escalations++;
            else
                op->tick.reminders++;
        }
        sqlite3_finalize(st);
    }
    return rc;
}

/* ---- dispatch -------------------------------------------------------------------------- */

static int run_op(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
                  struct kerr *err)
{
    switch (op->kind) {
    case CAPA_SURVEY_ANSWER:
        return survey_answer(c, op, actor, now, err);
    case CAPA_SURVEY_RECORD:
        return survey_record(c, op, actor, now, err);
    case CAPA_FOLLOWUP_UPDATE:
        return followup_update(c, op, actor, now, err);
    case CAPA_PROBLEM_CREATE:
        return problem_create(c, op, actor, now, err);
    case CAPA_PROBLEM_UPDATE:
        return problem_update(c, op, now, err);
    case CAPA_PROBLEM_CASES:
        return problem_cases(c, op, actor, now, err);
    case CAPA_ROOTCAUSE_CREATE:
        return rootcause_create(c, op, actor, now, err);
    case CAPA_ACTION_CREATE:
        return action_create(c, op, actor, now, err);
    case CAPA_ACTION_UPDATE:
        return action_update(c, op, actor, now, err);
    case CAPA_EVAL_SAVE:
        return eval_save(c, op, actor, now, err);
    case CAPA_KB_CREATE:
    case CAPA_KB_UPDATE:
        return kb_write(c, op, actor, now, err);
    case CAPA_DENOMINATOR:
        return denominator_set(c, op, err);
    case CAPA_TICK:
        return capa_tick(c, op, now, err);
    case CAPA_QUESTION_PUT:
        return question_put(c, op, err);
    case CAPA_OUTBOX_SENT:
        return outbox_sent(c, op, now, err);
    }
    return kerr_set(err, KERR_INTERNAL, "internal", "", "unknown CAPA operation");
}

/* The audit entry of a change to CAPA records (surveys and the reminder pass are on the
 * timeline and in the outbox instead): action name, object and a short detail. */
static int audit_op(struct conn *c, const struct capa_op *op, const char *actor, int64_t now,
                    struct kerr *err)
{
    static const struct {
        enum capa_op_kind kind;
        const char *action, *object;
    } map[] = {
        {CAPA_PROBLEM_CREATE, "problem.create", "problem"},
        {CAPA_PROBLEM_UPDATE, "problem.update", "problem"},
        {CAPA_PROBLEM_CASES, "problem.cases", "problem"},
        {CAPA_ROOTCAUSE_CREATE, "root_cause.create", "root_cause"},
        {CAPA_ACTION_CREATE, "action.create", "action"},
        {CAPA_ACTION_UPDATE, "action.update", "action"},
        {CAPA_EVAL_SAVE, "action.evaluate", "action"},
        {CAPA_KB_CREATE, "kb.create", "kb"},
        {CAPA_KB_UPDATE, "kb.update", "kb"},
        {CAPA_DENOMINATOR, "capa.denominator", "denominator"},
        {CAPA_FOLLOWUP_UPDATE, "followup.update", "followup"},
        {CAPA_QUESTION_PUT, "survey.question", "survey_question"},
    };
    char object[64], detail[160];
    const char *status = NULL;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].kind != op->kind)
            continue;
        if (op->kind == CAPA_EVAL_SAVE && op->eval.check_only)
            return 0;
        if (op->kind == CAPA_DENOMINATOR)
            snprintf(object, sizeof object, "denominator:%s", op->day);
        else if (op->kind == CAPA_QUESTION_PUT)
            snprintf(object, sizeof object, "survey_question:%.32s", op->question.key);
        else
            snprintf(object, sizeof object, "%s:%" PRId64, map[i].object,
                     op->out_id ? op->out_id : op->id);
        status = op->kind == CAPA_PROBLEM_UPDATE    ? op->problem.status
                 : op->kind == CAPA_ACTION_UPDATE   ? op->action.status
                 : op->kind == CAPA_EVAL_SAVE       ? op->eval.verdict
                 : op->kind == CAPA_FOLLOWUP_UPDATE ? op->status
                                                    : NULL;
        if (status)
            snprintf(detail, sizeof detail, "{\"status\":\"%.32s\"}", status);
        struct store_audit a = {now, actor, NULL, map[i].action, object, status ? detail : NULL};
        return audit_append(c, &a, err);
    }
    return 0;
}

int capa_apply(struct conn *c, struct capa_op *op, const char *actor, int64_t now, struct kerr *err)
{
    int rc = run_op(c, op, actor, now, err);
    return rc == 0 ? audit_op(c, op, actor, now, err) : rc;
}

void store_capa_job(struct store_job *job, struct capa_op *op, const char *actor)
{
    memset(job, 0, sizeof *job);
    job->kind = STORE_JOB_CAPA;
    job->capa = op;
    job->actor = actor;
    kerr_clear(&job->err);
}

int store_capa(struct store *s, struct capa_op *op, const char *actor, struct kerr *err)
{
    struct store_job job;
    int rc;
    store_capa_job(&job, op, actor);
    rc = store_run(s, &job);
    if (rc < 0 && err)
        *err = job.err;
    return rc;
}
