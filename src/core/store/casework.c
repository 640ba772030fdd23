/*
 * casework.c: collaboration on a case: comments and internal notes with
 * @mentions, transfers between teams with a reason, sub-tasks another
 * department does by its own due time (the case can wait on them), merging
 * a duplicate into the case kept, and links between related cases. Each is
 * a timeline event (on both cases for merge and link) and an audit entry,
 * in the writer's transaction.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "loop/lifecycle.h"
#include "store/loop_int.h"
#include "base/banned.h"

static int must_exist(struct conn *c, int64_t id, const char *field, struct kerr *err)
{
    sqlite3_stmt *st = loop_query(c, err, "SELECT 1 FROM feedback WHERE id=?", "i", id);
    int rc;
    if (!st)
        return KERR_IO;
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    return kerr_set(err, KERR_NOTFOUND, "not_found", field, "no feedback with id %" PRId64, id);
}

static bool name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == '.';
}

static int add_comment(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                       struct kerr *err)
{
    int rc = must_exist(c, op->id, "id", err);
    const char *p;
    if (rc < 0)
        return rc;
    rc = loop_exec(
        c, err, "INSERT INTO case_comments(feedback_id,at,author,internal,body) VALUES(?,?,?,?,?)",
        "iitit", op->id, now, actor, (int64_t)op->internal, op->body);
    if (rc < 0)
        return rc;
    op->new_id = sqlite3_last_insert_rowid(c->db);
    /* @name: a username of letters, digits, _ - . after an @ that does not follow one of them */
    for (p = op->body; (p = strchr(p, '@')); p++) {
        char user[64];
        size_t n = 0;
        if (p > op->body && name_char(p[-1]))
            continue;
        while (name_char(p[1 + n]) && n < sizeof user - 1) {
            user[n] = p[1 + n];
            n++;
        }
        while (n && user[n - 1] == '.')
            n--; /* "@agent." at the end of a sentence */
        if (!n)
            continue;
        user[n] = '\0';
        rc = loop_exec(c, err,
                       "INSERT OR IGNORE INTO case_mentions(comment_id,username,feedback_id,at)"
                       " VALUES(?,?,?,?)",
                       "itii", op->new_id, user, op->id, now);
        if (rc < 0)
            return rc;
    }
    return loop_event(c, op->id, now, actor, op->internal ? "note" : "comment", NULL, NULL, NULL,
                      op->body, err);
}

static int read_text(struct conn *c, const char *sql, int64_t id, char *out, size_t n,
                     struct kerr *err)
{
    sqlite3_stmt *st = loop_query(c, err, sql, "i", id);
    int rc;
    out[0] = '\0';
    if (!st)
        return KERR_IO;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return kerr_set(err, KERR_NOTFOUND, "not_found", "id", "no feedback with id %" PRId64, id);
    return rc == SQLITE_ROW ? 0 : db_error(c->db, err, "read");
}

static int team_exists(struct conn *c, const char *team, struct kerr *err)
{
    sqlite3_stmt *st = loop_query(c, err, "SELECT 1 FROM teams WHERE name=?", "t", team);
    int rc;
    if (!st)
        return KERR_IO;
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0
                            : kerr_set(err, KERR_INVALID, "unknown_team", "team",
                                       "no team called %.60s (GET /api/v1/teams)", team);
}

static int transfer(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                    struct kerr *err)
{
    char team[64], assignee[64], detail[512];
    int rc;
    if ((rc = read_text(c, "SELECT team FROM feedback WHERE id=?", op->id, team, sizeof team,
                        err)) < 0 ||
        (rc = read_text(c, "SELECT assignee FROM feedback WHERE id=?", op->id, assignee,
                        sizeof assignee, err)) < 0 ||
        (rc = team_exists(c, op->team, err)) < 0)
        return rc;
    if (op->assignee && *op->assignee)
        snprintf(op->assigned, sizeof op->assigned, "%s", op->assignee);
    else if ((rc = loop_pick_assignee(c, op->team, op->assigned, err)) < 0)
        return rc;
    if ((rc = feedback_rollup_id(c, op->id, -1, err)) < 0)
        return rc;
    rc = loop_exec(c, err,
                   "UPDATE feedback SET team=?1,assignee=nullif(?2,''),"
                   "assigned_at=CASE WHEN ?2='' THEN assigned_at ELSE ?3 END,updated_at=?3 "
                   "WHERE id=?4",
                   "ttii", op->team, op->assigned, now, op->id);
    if (rc == 0)
        rc = feedback_rollup_id(c, op->id, 1, err);
    if (rc == 0)
        rc = loop_event(c, op->id, now, actor, "transfer", "team", team[0] ? team : NULL, op->team,
                        op->note, err);
    if (rc == 0 && strcmp(assignee, op->assigned) != 0)
        rc = loop_event(c, op->id, now, actor, "assign", "assignee", assignee[0] ? assignee : NULL,
                        op->assigned[0] ? op->assigned : NULL, op->note, err);
    if (rc == 0) {
        struct strbuf sb = STRBUF_INIT;
        struct jsonw w;
        jsonw_init(&w, &sb);
        jsonw_obj(&w);
        jsonw_key(&w, "team");
        jsonw_arr(&w);
        jsonw_str(&w, team[0] ? team : NULL);
        jsonw_str(&w, op->team);
        jsonw_end(&w);
        jsonw_kstr(&w, "assignee", op->assigned[0] ? op->assigned : NULL);
        jsonw_kstr(&w, "reason", op->note);
        jsonw_end(&w);
        snprintf(detail, sizeof detail, "%s", sb.buf);
        strbuf_release(&sb);
        rc = loop_audit(c, now, actor, "feedback.transfer", op->id, detail, err);
    }
    return rc;
}

static int subtask_add(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                       struct kerr *err)
{
    char status[32], note[200];
    int rc;
    if ((rc = read_text(c, "SELECT status FROM feedback WHERE id=?", op->id, status, sizeof status,
                        err)) < 0 ||
        (rc = team_exists(c, op->team, err)) < 0)
        return rc;
    rc = loop_exec(c, err,
                   "INSERT INTO case_subtasks(feedback_id,team,title,due_at,blocking,created_at,"
                   "created_by) VALUES(?,?,?,nullif(?,0),?,?,?)",
                   "ittiiit", op->id, op->team, op->title, op->due, (int64_t)op->wait, now, actor);
    if (rc < 0)
        return rc;
    op->new_id = sqlite3_last_insert_rowid(c->db);
    snprintf(note, sizeof note, "sub-task %" PRId64 ": %.150s", op->new_id, op->title);
    rc = loop_event(c, op->id, now, actor, "transfer", "subtask", NULL, op->team, note, err);
    if (rc == 0)
        rc = loop_audit(c, now, actor, "feedback.subtask", op->id, NULL, err);
    /* the case waits on the other department */
    if (rc == 0 && op->wait && strcmp(status, "pending_third_party") != 0)
        rc = loop_transition(c, op->id, "pending_third_party", note, actor, now, 0, op->from, err);
    return rc;
}

static int subtask_done(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                        struct kerr *err)
{
    sqlite3_stmt *st =
        loop_query(c, err,
                   "SELECT team,status,(SELECT count(*) FROM case_subtasks o WHERE "
                   "o.feedback_id=t.feedback_id AND o.blocking=1 AND o.status='open' AND "
                   "o.id<>t.id),(SELECT status FROM feedback WHERE id=t.feedback_id) "
                   "FROM case_subtasks t WHERE id=? AND feedback_id=?",
                   "ii", op->other, op->id);
    char team[64] = "", status[16] = "", fstatus[32] = "", note[300];
    int64_t others = 0;
    int rc;
    if (!st)
        return KERR_IO;
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        snprintf(team, sizeof team, "%s", (const char *)sqlite3_column_text(st, 0));
        snprintf(status, sizeof status, "%s", (const char *)sqlite3_column_text(st, 1));
        others = sqlite3_column_int64(st, 2);
        snprintf(fstatus, sizeof fstatus, "%s", (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return kerr_set(err, KERR_NOTFOUND, "not_found", "subtask",
                        "case %" PRId64 " has no sub-task %" PRId64, op->id, op->other);
    if (strcmp(status, "open") != 0)
        return kerr_set(err, KERR_CONFLICT, "already_done", "subtask",
                        "sub-task %" PRId64 " is already %s", op->other, status);
    rc = loop_exec(c, err,
                   "UPDATE case_subtasks SET status='done',done_at=?,done_by=?,result=? WHERE id=?",
                   "itti", now, actor, op->note, op->other);
    snprintf(note, sizeof note, "sub-task %" PRId64 " done: %.200s", op->other,
             op->note ? op->note : "");
    if (rc == 0)
        rc = loop_event(c, op->id, now, actor, "transfer", "subtask", team, NULL, note, err);
    /* the last blocking sub-task done: the case stops waiting */
    if (rc == 0 && others == 0 && strcmp(fstatus, "pending_third_party") == 0)
        rc = loop_transition(c, op->id, "investigating", note, actor, now, 0, op->from, err);
    return rc;
}

static int merge(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                 struct kerr *err)
{
    char status[32], dup_of[32], before[32], after[32], note[200];
    int rc;
    if (op->id == op->other)
        return kerr_set(err, KERR_INVALID, "invalid_value", "duplicate",
                        "a case cannot be merged into itself");
    if ((rc = must_exist(c, op->id, "id", err)) < 0 ||
        (rc = read_text(c, "SELECT status FROM feedback WHERE id=?", op->other, status,
                        sizeof status, err)) < 0 ||
        (rc = read_text(c, "SELECT duplicate_of FROM feedback WHERE id=?", op->id, dup_of,
                        sizeof dup_of, err)) < 0)
        return rc == KERR_NOTFOUND ? kerr_set(err, rc, "not_found", "duplicate", "no such case")
                                   : rc;
    if (dup_of[0] && strtoll(dup_of, NULL, 10) == op->other)
        return kerr_set(err, KERR_CONFLICT, "merge_cycle", "duplicate",
                        "case %" PRId64 " is itself a duplicate of %" PRId64, op->id, op->other);
    if ((rc = read_text(c, "SELECT duplicate_of FROM feedback WHERE id=?", op->other, before,
                        sizeof before, err)) < 0)
        return rc;
    snprintf(after, sizeof after, "%" PRId64, op->id);
    if ((rc = feedback_rollup_id(c, op->other, -1, err)) < 0)
        return rc;
    rc = loop_exec(c, err, "UPDATE feedback SET duplicate_of=?,updated_at=? WHERE id=?", "iii",
                   op->id, now, op->other);
    if (rc == 0)
        rc = feedback_rollup_id(c, op->other, 1, err);
    snprintf(note, sizeof note, "merged into case %" PRId64 "%s%.150s", op->id,
             op->note ? ": " : "", op->note ? op->note : "");
    if (rc == 0)
        rc = loop_event(c, op->other, now, actor, "merge", "duplicate_of",
                        before[0] ? before : NULL, after, note, err);
    if (rc == 0) {
        char other[32], note2[200];
        snprintf(other, sizeof other, "%" PRId64, op->other);
        snprintf(note2, sizeof note2, "case %" PRId64 " merged into this one%s%.150s", op->other,
                 op->note ? ": " : "", op->note ? op->note : "");
        rc = loop_event(c, op->id, now, actor, "merge", "merged", NULL, other, note2, err);
        case_stats_dirty(c, op->id); /* its repeat count */
        if (rc == 0)
            rc = loop_exec(c, err,
                           "UPDATE feedback SET repeat_count=coalesce(repeat_count,0)+1,"
                           "updated_at=? WHERE id=?",
                           "ii", now, op->id);
    }
    if (rc == 0)
        rc = loop_audit(c, now, actor, "feedback.merge", op->other, NULL, err);
    /* the duplicate is closed (a system step, whatever its status) */
    if (rc == 0 && !lifecycle_is_closed(status))
        rc = loop_transition(c, op->other, "closed", note, actor, now, LT_SYSTEM, op->from, err);
    return rc;
}

static int link_cases(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                      struct kerr *err)
{
    int64_t a = op->id < op->other ? op->id : op->other, b = op->id ^ op->other ^ a;
    char sa[32], sb[32];
    int rc;
    if (op->id == op->other)
        return kerr_set(err, KERR_INVALID, "invalid_value", "related",
                        "a case cannot be linked to itself");
    if ((rc = must_exist(c, op->id, "id", err)) < 0 ||
        (rc = must_exist(c, op->other, "related", err)) < 0)
        return rc;
    rc = loop_exec(c, err, "INSERT OR IGNORE INTO case_links(a,b,at,actor,note) VALUES(?,?,?,?,?)",
                   "iiitt", a, b, now, actor, op->note);
    if (rc < 0 || sqlite3_changes(c->db) == 0)
        return rc; /* linked already: nothing new */
    snprintf(sa, sizeof sa, "%" PRId64, op->id);
    snprintf(sb, sizeof sb, "%" PRId64, op->other);
    rc = loop_event(c, op->id, now, actor, "link", "related", NULL, sb, op->note, err);
    if (rc == 0)
        rc = loop_event(c, op->other, now, actor, "link", "related", NULL, sa, op->note, err);
    if (rc == 0)
        rc = loop_audit(c, now, actor, "feedback.link", op->id, NULL, err);
    return rc;
}

int casework_run(struct conn *c, struct store_case_op *op, const char *actor, int64_t now,
                 struct kerr *err)
{
    switch (op->kind) {
    case CASE_OP_COMMENT:
        return add_comment(c, op, actor, now, err);
    case CASE_OP_TRANSFER:
        return transfer(c, op, actor, now, err);
    case CASE_OP_SUBTASK_ADD:
        return subtask_add(c, op, actor, now, err);
    case CASE_OP_SUBTASK_DONE:
        return subtask_done(c, op, actor, now, err);
    case CASE_OP_MERGE:
        return merge(c, op, actor, now, err);
    case CASE_OP_LINK:
        return link_cases(c, op, actor, now, err);
    default:
        return kerr_set(err, KERR_INTERNAL, "internal", NULL, "not a case operation");
    }
}

/* ---- reads ------------------------------------------------------------------------------ */

static int comments(struct store *s, const char *sql, const char *types, int64_t id,
                    const char *user, int limit, store_comment_cb cb, void *arg, struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    st = user ? loop_query(c, err, sql, types, user, (int64_t)limit)
              : loop_query(c, err, sql, types, id);
    if (!st) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_comment cm = {sqlite3_column_int64(st, 0),
                                   sqlite3_column_int64(st, 1),
                                   sqlite3_column_int64(st, 2),
                                   (const char *)sqlite3_column_text(st, 3),
                                   (const char *)sqlite3_column_text(st, 5),
                                   sqlite3_column_int(st, 4) != 0};
        if (cb(arg, &cm))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read comments");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_case_comments(struct store *s, int64_t id, store_comment_cb cb, void *arg,
                        struct kerr *err)
{
    return comments(s,
                    "SELECT id,feedback_id,at,author,internal,body FROM case_comments "
                    "WHERE feedback_id=? ORDER BY id",
                    "i", id, NULL, 0, cb, arg, err);
}

int store_mentions(struct store *s, const char *username, int limit, store_comment_cb cb, void *arg,
                   struct kerr *err)
{
    return comments(s,
                    "SELECT c.id,c.feedback_id,c.at,c.author,c.internal,c.body FROM case_mentions m"
                    " JOIN case_comments c ON c.id=m.comment_id WHERE m.username=? "
                    "ORDER BY m.at DESC, c.id DESC LIMIT ?",
                    "ti", 0, username, limit, cb, arg, err);
}

int store_case_subtasks(struct store *s, int64_t id, store_subtask_cb cb, void *arg,
                        struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (!(st = loop_query(c, err,
                          "SELECT id,feedback_id,coalesce(due_at,0),created_at,"
                          "coalesce(done_at,0),team,title,status,created_by,done_by,result,"
                          "blocking FROM case_subtasks WHERE feedback_id=? ORDER BY id",
                          "i", id))) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_subtask t = {sqlite3_column_int64(st, 0),
                                  sqlite3_column_int64(st, 1),
                                  sqlite3_column_int64(st, 2),
                                  sqlite3_column_int64(st, 3),
                                  sqlite3_column_int64(st, 4),
                                  (const char *)sqlite3_column_text(st, 5),
                                  (const char *)sqlite3_column_text(st, 6),
                                  (const char *)sqlite3_column_text(st, 7),
                                  (const char *)sqlite3_column_text(st, 8),
                                  (const char *)sqlite3_column_text(st, 9),
                                  (const char *)sqlite3_column_text(st, 10),
                                  sqlite3_column_int(st, 11) != 0};
        if (cb(arg, &t))
            break;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read sub-tasks");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

static int id_list(struct store *s, const char *sql, int64_t id, store_id_cb cb, void *arg,
                   struct kerr *err)
{
    struct conn *c = store_reader(s, err);
    sqlite3_stmt *st;
    int rc;
    if (!c)
        return KERR_IO;
    if (!(st = loop_query(c, err, sql, "i", id))) {
        store_reader_put(s, c);
        return KERR_IO;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (cb(arg, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1)))
            break;
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(c->db, err, "read");
    sqlite3_finalize(st);
    store_reader_put(s, c);
    return rc;
}

int store_case_links(struct store *s, int64_t id, store_id_cb cb, void *arg, struct kerr *err)
{
    return id_list(s,
                   "SELECT b,note FROM case_links WHERE a=?1 UNION ALL "
                   "SELECT a,note FROM case_links WHERE b=?1 ORDER BY 1",
                   id, cb, arg, err);
}

int store_case_tags(struct store *s, int64_t id, store_id_cb cb, void *arg, struct kerr *err)
{
    return id_list(s, "SELECT 0,tag FROM case_tags WHERE feedback_id=? ORDER BY tag", id, cb, arg,
                   err);
}
