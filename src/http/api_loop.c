/*
 * api_loop.c: case handling over HTTP: lifecycle transitions, comments and
 * mentions, transfers, sub-tasks, merge and link, one case's collaboration
 * view and SLA clock, teams and duty, routing rules and SLA policies and
 * calendars. Writes are store_case_op jobs queued with the writer (the
 * connection waits suspended); reads go straight to the store.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "http/api.h"
#include "loop/calendar.h"
#include "loop/lifecycle.h"
#include "loop/routing.h"
#include "loop/sla.h"
#include "store/loop.h"
#include "base/banned.h"

/* ---- request state and body fields ------------------------------------------------ */

#define LREQ_STRS 8
struct lreq {
    struct store_case_op op;
    char *str[LREQ_STRS];
    int nstr;
};

static void lreq_free(void *arg)
{
    struct lreq *l = arg;
    for (int i = 0; i < l->nstr; i++)
        free(l->str[i]);
    free(l);
}

static struct lreq *lreq_new(struct req *r, enum store_case_op_kind kind)
{
    struct lreq *l = xcalloc(1, sizeof *l);
    l->op.kind = kind;
    r->state = l;
    r->state_free = lreq_free;
    return l;
}

static const char *keep(struct lreq *l, const char *s)
{
    if (!s || l->nstr == LREQ_STRS)
        return NULL;
    return l->str[l->nstr++] = xstrdup(s);
}

/*
 * Reads string key of j into *out (kept in l). Absent or null: *out NULL, an
 * error when required. Returns 0, or -1 after replying 400.
 */
static int body_str(struct req *r, struct lreq *l, cJSON *j, const char *key, bool required,
                    size_t max, const char **out)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (!required)
            return 0;
        reply_error(r, 400, "missing_field", key, "%s is required", key);
        return -1;
    }
    if (!cJSON_IsString(v) || (required && !*v->valuestring) || strlen(v->valuestring) > max) {
        reply_error(r, 400, "invalid_value", key, "%s must be a string of %s%zu bytes", key,
                    required ? "1 to " : "at most ", max);
        return -1;
    }
    *out = keep(l, v->valuestring);
    return 0;
}

static int body_id(struct req *r, cJSON *j, const char *key, int64_t *out)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 9e15 ||
        v->valuedouble != (double)(int64_t)v->valuedouble) {
        reply_error(r, 400, v ? "invalid_value" : "missing_field", key,
                    "%s must be a case id (a positive integer)", key);
        return -1;
    }
    *out = (int64_t)v->valuedouble;
    return 0;
}

/* The body as a JSON object, or NULL after replying 400. */
static cJSON *body_object(struct req *r)
{
    cJSON *j = parse_body(r);
    if (j && !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        reply_error(r, 400, "invalid_type", NULL, "send a JSON object");
        return NULL;
    }
    return j;
}

/* The whole body as text (configuration objects kept as sent), after checking it is JSON. */
static const char *body_text(struct req *r, struct lreq *l)
{
    cJSON *j = body_object(r);
    char *txt;
    const char *out;
    if (!j)
        return NULL;
    txt = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    out = keep(l, txt);
    free(txt);
    return out;
}

static int done_ok(struct req *r)
{
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    return reply_record(r, 200, ((struct lreq *)r->state)->op.id);
}

static int submit(struct req *r, struct lreq *l, int (*resume)(struct req *r))
{
    store_case_job(&r->job, &l->op, r->actor);
    return req_submit(r, resume);
}

/* ---- lifecycle ------------------------------------------------------------------------ */

int reply_illegal_transition(struct req *r, int64_t id, const char *from, const char *to,
                             const struct kerr *e)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct record rec;
    const char *next[16];
    size_t n;
    struct kerr e2;

    record_init(&rec);
    if (!from && store_feedback_get(r->store, id, &rec, &e2) == 0)
        from = rec.status;
    n = lifecycle_next(from, next, 16);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "error");
    jsonw_obj(&w);
    jsonw_kstr(&w, "code", "illegal_transition");
    jsonw_kstr(&w, "message", e->message);
    jsonw_kstr(&w, "field", "to");
    jsonw_kstr(&w, "from", from);
    jsonw_kstr(&w, "to", to);
    jsonw_key(&w, "allowed");
    jsonw_arr(&w);
    for (size_t i = 0; i < n; i++)
        jsonw_str(&w, next[i]);
    jsonw_end(&w);
    jsonw_end(&w);
    jsonw_end(&w);
    record_release(&rec);
    return reply_json(r, 409, &sb);
}

static int transition_done(struct req *r)
{
    struct lreq *l = r->state;
    if (r->job.rc == KERR_CONFLICT && strcmp(r->job.err.code, "illegal_transition") == 0)
        return reply_illegal_transition(r, l->op.id, l->op.from, l->op.to, &r->job.err);
    return done_ok(r);
}

int api_transition_post(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct lreq *l;
    const char *recourse;
    cJSON *j;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    if (!(j = body_object(r)))
        return REQ_DONE;
    l = lreq_new(r, CASE_OP_TRANSITION);
    l->op.id = id;
    if (body_str(r, l, j, "to", true, 32, &l->op.to) < 0 ||
        body_str(r, l, j, "note", false, 4000, &l->op.note) < 0 ||
        body_str(r, l, j, "recourse", false, 4000, &recourse) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    cJSON_Delete(j);
    if (!lifecycle_known(l->op.to))
        return reply_error(r, 400, "invalid_value", "to", "to must be a case status");
    if (recourse) {
        char *both = xmalloc(strlen(recourse) + (l->op.note ? strlen(l->op.note) : 0) + 32);
        snprintf(both, strlen(recourse) + (l->op.note ? strlen(l->op.note) : 0) + 32,
                 "%s%srecourse: %s", l->op.note ? l->op.note : "", l->op.note ? "; " : "",
                 recourse);
        l->op.note = keep(l, both);
        free(both);
    } else if (lifecycle_needs_recourse(l->op.to)) {
        return reply_error(r, 400, "missing_field", "recourse",
                           "closing without the customer's acceptance needs the recourse offered");
    }
    return submit(r, l, transition_done);
}

int api_transition_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct record rec;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    int rc;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    record_init(&rec);
    if ((rc = store_feedback_get(r->store, id, &rec, &e)) < 0)
        return reply_kerr(r, rc, &e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kint(&w, "id", id);
    jsonw_kstr(&w, "status", rec.status);
    jsonw_key(&w, "allowed");
    jsonw_arr(&w);
    for (size_t i = 0; i < lifecycle_nsteps; i++) {
        const struct lifecycle_step *st = &lifecycle_table[i];
        if (strcmp(st->from, rec.status) != 0)
            continue;
        jsonw_obj(&w);
        jsonw_kstr(&w, "to", st->to);
        jsonw_kstr(&w, "meaning", st->meaning);
        jsonw_kbool(&w, "needs_recourse", lifecycle_needs_recourse(st->to));
        jsonw_end(&w);
    }
    jsonw_end(&w);
    jsonw_end(&w);
    record_release(&rec);
    return reply_json(r, 200, &sb);
}

/* ---- collaboration -------------------------------------------------------------------- */

static int created_done(struct req *r)
{
    struct lreq *l = r->state;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kint(&w, "id", l->op.new_id);
    jsonw_kint(&w, "feedback_id", l->op.id);
    jsonw_end(&w);
    return reply_json(r, 201, &sb);
}

int api_comment_post(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct lreq *l;
    cJSON *j, *internal;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    if (!(j = body_object(r)))
        return REQ_DONE;
    l = lreq_new(r, CASE_OP_COMMENT);
    l->op.id = id;
    internal = cJSON_GetObjectItemCaseSensitive(j, "internal");
    if (internal && !cJSON_IsBool(internal)) {
        cJSON_Delete(j);
        return reply_error(r, 400, "invalid_type", "internal", "internal is true or false");
    }
    l->op.internal = cJSON_IsTrue(internal);
    if (body_str(r, l, j, "body", true, 16000, &l->op.body) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    cJSON_Delete(j);
    return submit(r, l, created_done);
}

static int write_comment(void *arg, const struct store_comment *c)
{
    struct jsonw *w = arg;
    char ts[CLOCK_FMT_MAX];
    jsonw_obj(w);
    jsonw_kint(w, "id", c->id);
    jsonw_kint(w, "feedback_id", c->feedback_id);
    jsonw_kstr(w, "at", clock_format(c->at, ts));
    jsonw_kstr(w, "author", c->author);
    jsonw_kbool(w, "internal", c->internal);
    jsonw_kstr(w, "body", c->body);
    jsonw_end(w);
    return 0;
}

int api_comments_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    int rc;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    rc = store_case_comments(r->store, id, write_comment, &w, &e);
    jsonw_end(&w);
    jsonw_end(&w);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}

int api_mentions_get(struct req *r)
{
    const char *user = req_query(r, "user"), *lim = req_query(r, "limit");
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    long limit = 50;
    int rc;
    if (!user || !*user || strlen(user) > 64 || utf8_invalid_at(user, strlen(user)) >= 0)
        return reply_error(r, 400, "missing_field", "user", "user=USERNAME is required");
    if (lim) {
        char *end;
        limit = strtol(lim, &end, 10);
        if (*end || limit < 1 || limit > 1000)
            return reply_error(r, 400, "invalid_field", "limit", "limit must be 1 to 1000");
    }
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kstr(&w, "user", user);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    rc = store_mentions(r->store, user, (int)limit, write_comment, &w, &e);
    jsonw_end(&w);
    jsonw_end(&w);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}

int api_transfer_post(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct lreq *l;
    cJSON *j;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    if (!(j = body_object(r)))
        return REQ_DONE;
    l = lreq_new(r, CASE_OP_TRANSFER);
    l->op.id = id;
    if (body_str(r, l, j, "team", true, 64, &l->op.team) < 0 ||
        body_str(r, l, j, "assignee", false, 64, &l->op.assignee) < 0 ||
        body_str(r, l, j, "reason", true, 4000, &l->op.note) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    cJSON_Delete(j);
    return submit(r, l, done_ok);
}

int api_subtask_post(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct lreq *l;
    const char *due;
    cJSON *j, *wait;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    if (!(j = body_object(r)))
        return REQ_DONE;
    l = lreq_new(r, CASE_OP_SUBTASK_ADD);
    l->op.id = id;
    wait = cJSON_GetObjectItemCaseSensitive(j, "wait");
    if (wait && !cJSON_IsBool(wait)) {
        cJSON_Delete(j);
        return reply_error(r, 400, "invalid_type", "wait", "wait is true or false");
    }
    l->op.wait = cJSON_IsTrue(wait);
    if (body_str(r, l, j, "team", true, 64, &l->op.team) < 0 ||
        body_str(r, l, j, "title", true, 1000, &l->op.title) < 0 ||
        body_str(r, l, j, "due_at", false, 64, &due) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    cJSON_Delete(j);
    if (due && clock_parse(due, strlen(due), &l->op.due) < 0)
        return reply_error(r, 400, "invalid_time", "due_at", "due_at is not an RFC 3339 time");
    return submit(r, l, created_done);
}

int api_subtask_done(struct req *r)
{
    int64_t id = req_param_id(r, 0), sid = req_param_id(r, 1);
    struct lreq *l;
    cJSON *j;
    if (id < 0 || sid < 0)
        return reply_error(r, 404, "not_found", id < 0 ? "id" : "subtask", "no such sub-task");
    if (!(j = body_object(r)))
        return REQ_DONE;
    l = lreq_new(r, CASE_OP_SUBTASK_DONE);
    l->op.id = id;
    l->op.other = sid;
    if (body_str(r, l, j, "result", false, 4000, &l->op.note) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    cJSON_Delete(j);
    return submit(r, l, done_ok);
}

static int pair_op(struct req *r, enum store_case_op_kind kind, const char *key)
{
    int64_t id = req_param_id(r, 0);
    struct lreq *l;
    cJSON *j;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    if (!(j = body_object(r)))
        return REQ_DONE;
    l = lreq_new(r, kind);
    l->op.id = id;
    if (body_id(r, j, key, &l->op.other) < 0 ||
        body_str(r, l, j, "note", false, 4000, &l->op.note) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    cJSON_Delete(j);
    return submit(r, l, done_ok);
}

int api_merge_post(struct req *r)
{
    return pair_op(r, CASE_OP_MERGE, "duplicate");
}

int api_link_post(struct req *r)
{
    return pair_op(r, CASE_OP_LINK, "related");
}

static int write_subtask(void *arg, const struct store_subtask *t)
{
    struct jsonw *w = arg;
    char ts[CLOCK_FMT_MAX];
    jsonw_obj(w);
    jsonw_kint(w, "id", t->id);
    jsonw_kstr(w, "team", t->team);
    jsonw_kstr(w, "title", t->title);
    jsonw_kstr(w, "status", t->status);
    jsonw_kbool(w, "blocking", t->blocking);
    jsonw_kstr(w, "due_at", t->due_at ? clock_format(t->due_at, ts) : NULL);
    jsonw_kstr(w, "created_at", clock_format(t->created_at, ts));
    jsonw_kstr(w, "created_by", t->created_by);
    jsonw_kstr(w, "done_at", t->done_at ? clock_format(t->done_at, ts) : NULL);
    jsonw_kstr(w, "done_by", t->done_by);
    jsonw_kstr(w, "result", t->result);
    jsonw_end(w);
    return 0;
}

static int write_link(void *arg, int64_t id, const char *note)
{
    struct jsonw *w = arg;
    jsonw_obj(w);
    jsonw_kint(w, "id", id);
    jsonw_kstr(w, "note", note);
    jsonw_end(w);
    return 0;
}

static int write_tag(void *arg, int64_t id, const char *tag)
{
    (void)id;
    jsonw_str(arg, tag);
    return 0;
}

void api_write_sla(struct jsonw *w, const struct store_case_sla *s)
{
    static const char *const keys[3] = {"acknowledgement", "response", "resolution"};
    char ts[CLOCK_FMT_MAX];
    jsonw_obj(w);
    jsonw_kstr(w, "policy", s->policy);
    jsonw_kstr(w, "calendar", s->calendar);
    jsonw_kstr(w, "started_at", clock_format(s->start * 1000, ts));
    jsonw_kbool(w, "paused", s->paused_since != 0);
    jsonw_kstr(w, "paused_since",
               s->paused_since ? clock_format(s->paused_since * 1000, ts) : NULL);
    jsonw_kint(w, "paused_working_secs", s->paused_secs);
    jsonw_kstr(w, "next_check", s->next_check ? clock_format(s->next_check * 1000, ts) : NULL);
    jsonw_key(w, "targets");
    jsonw_obj(w);
    for (int k = 0; k < 3; k++) {
        if (!s->due[k])
            continue;
        jsonw_key(w, keys[k]);
        jsonw_obj(w);
        jsonw_kstr(w, "due",
                   s->due[k] == CALENDAR_NEVER ? NULL : clock_format(s->due[k] * 1000, ts));
        jsonw_kstr(w, "warn_at", s->warn_at[k] ? clock_format(s->warn_at[k] * 1000, ts) : NULL);
        jsonw_kbool(w, "met", s->met & (1 << k));
        jsonw_kbool(w, "warned", s->warned & (1 << k));
        jsonw_kbool(w, "breached", s->breached & (1 << k));
        jsonw_kbool(w, "escalated", s->escalated & (1 << k));
        jsonw_end(w);
    }
    jsonw_end(w);
    jsonw_end(w);
}

int api_case_sla_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct store_case_sla s;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    int rc;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    if ((rc = store_case_sla(r->store, id, &s, &e)) < 0)
        return reply_kerr(r, rc, &e);
    jsonw_init(&w, &sb);
    api_write_sla(&w, &s);
    return reply_json(r, 200, &sb);
}

int api_case_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct store_case_sla s;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct record rec;
    struct kerr e;
    int rc;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    record_init(&rec);
    if ((rc = store_feedback_get(r->store, id, &rec, &e)) < 0)
        return reply_kerr(r, rc, &e);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kint(&w, "id", id);
    jsonw_kstr(&w, "status", rec.status);
    jsonw_kstr(&w, "team", rec.team);
    jsonw_kstr(&w, "assignee", rec.assignee);
    jsonw_kstr(&w, "priority", rec.priority);
    if (rec.duplicate_of)
        jsonw_kint(&w, "duplicate_of", rec.duplicate_of);
    else
        jsonw_kstr(&w, "duplicate_of", NULL);
    record_release(&rec);
    jsonw_key(&w, "tags");
    jsonw_arr(&w);
    rc = store_case_tags(r->store, id, write_tag, &w, &e);
    jsonw_end(&w);
    jsonw_key(&w, "links");
    jsonw_arr(&w);
    if (rc == 0)
        rc = store_case_links(r->store, id, write_link, &w, &e);
    jsonw_end(&w);
    jsonw_key(&w, "subtasks");
    jsonw_arr(&w);
    if (rc == 0)
        rc = store_case_subtasks(r->store, id, write_subtask, &w, &e);
    jsonw_end(&w);
    jsonw_key(&w, "comments");
    jsonw_arr(&w);
    if (rc == 0)
        rc = store_case_comments(r->store, id, write_comment, &w, &e);
    jsonw_end(&w);
    jsonw_key(&w, "sla");
    if (rc == 0 && store_case_sla(r->store, id, &s, &e) == 0)
        api_write_sla(&w, &s);
    else
        jsonw_null(&w);
    jsonw_end(&w);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}

/* ---- teams ------------------------------------------------------------------------------ */

static int write_team(void *arg, const struct store_team *t)
{
    struct jsonw *w = arg;
    jsonw_obj(w);
    jsonw_kstr(w, "name", t->name);
    jsonw_kstr(w, "display_name", t->display_name);
    jsonw_kstr(w, "supervisor", t->supervisor);
    jsonw_kstr(w, "assign_mode", t->assign_mode);
    jsonw_kint(w, "open_cases", t->open_cases);
    jsonw_end(w);
    return 0;
}

int api_teams_get(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    int rc;
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    rc = store_teams(r->store, write_team, &w, &e);
    jsonw_end(&w);
    jsonw_end(&w);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}

static bool valid_name(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static int config_done(struct req *r)
{
    struct lreq *l = r->state;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kbool(&w, "ok", true);
    if (l->op.new_id)
        jsonw_kint(&w, "id", l->op.new_id);
    jsonw_end(&w);
    return reply_json(r, l->op.kind == CASE_OP_RULE_PUT && !l->op.other ? 201 : 200, &sb);
}

int api_teams_post(struct req *r)
{
    struct lreq *l;
    cJSON *j;
    if (!(j = body_object(r)))
        return REQ_DONE;
    l = lreq_new(r, CASE_OP_TEAM_PUT);
    if (body_str(r, l, j, "name", true, 64, &l->op.team) < 0 ||
        body_str(r, l, j, "display_name", false, 128, &l->op.title) < 0 ||
        body_str(r, l, j, "supervisor", false, 64, &l->op.assignee) < 0 ||
        body_str(r, l, j, "assign_mode", false, 16, &l->op.to) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    cJSON_Delete(j);
    if (!valid_name(l->op.team))
        return reply_error(r, 400, "invalid_value", "name",
                           "a team name is letters, digits, _ - . (e.g. logistics)");
    return submit(r, l, config_done);
}

static int write_member(void *arg, const struct store_member *m)
{
    struct jsonw *w = arg;
    jsonw_obj(w);
    jsonw_kstr(w, "username", m->username);
    jsonw_kstr(w, "display_name", m->display_name);
    jsonw_kstr(w, "role", m->role);
    jsonw_kbool(w, "on_duty", m->on_duty);
    jsonw_kbool(w, "known_user", m->known);
    jsonw_kint(w, "open_cases", m->open_cases);
    jsonw_end(w);
    return 0;
}

int api_team_members_get(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    int rc;
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_kstr(&w, "team", r->params[0]);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    rc = store_team_members(r->store, r->params[0], write_member, &w, &e);
    jsonw_end(&w);
    jsonw_end(&w);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}

int api_team_members_post(struct req *r)
{
    struct lreq *l;
    cJSON *j;
    if (!(j = body_object(r)))
        return REQ_DONE;
    l = lreq_new(r, CASE_OP_MEMBER_ADD);
    l->op.team = keep(l, r->params[0]);
    if (body_str(r, l, j, "username", true, 64, &l->op.assignee) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    cJSON_Delete(j);
    if (!valid_name(l->op.assignee))
        return reply_error(r, 400, "invalid_value", "username",
                           "a username is letters, digits, _ - .");
    return submit(r, l, config_done);
}

int api_team_member_delete(struct req *r)
{
    struct lreq *l = lreq_new(r, CASE_OP_MEMBER_REMOVE);
    l->op.team = keep(l, r->params[0]);
    l->op.assignee = keep(l, r->params[1]);
    return submit(r, l, config_done);
}

int api_user_duty_post(struct req *r)
{
    struct lreq *l;
    cJSON *j, *v;
    if (!(j = body_object(r)))
        return REQ_DONE;
    v = cJSON_GetObjectItemCaseSensitive(j, "on_duty");
    if (!cJSON_IsBool(v)) {
        cJSON_Delete(j);
        return reply_error(r, 400, v ? "invalid_type" : "missing_field", "on_duty",
                           "on_duty is true or false");
    }
    l = lreq_new(r, CASE_OP_DUTY);
    l->op.wait = cJSON_IsTrue(v);
    l->op.assignee = keep(l, r->params[0]);
    cJSON_Delete(j);
    return submit(r, l, config_done);
}

/* ---- routing rules ------------------------------------------------------------------------- */

static int write_rule(void *arg, int64_t id, const char *json)
{
    struct jsonw *w = arg;
    struct routing_rule rule;
    struct kerr e;
    if (routing_rule_parse(json, strlen(json), &rule, &e) < 0)
        return 0;
    rule.id = id;
    routing_rule_write(&rule, w);
    routing_rule_release(&rule);
    return 0;
}

int api_rules_get(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    char mode[8];
    int rc;
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    rc = store_routing_rules(r->store, write_rule, &w, mode, &e);
    jsonw_end(&w);
    jsonw_kstr(&w, "mode", mode);
    jsonw_end(&w);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}

static int rule_write(struct req *r, int64_t id)
{
    struct lreq *l = lreq_new(r, CASE_OP_RULE_PUT);
    struct routing_rule rule;
    struct kerr e;
    l->op.other = id;
    if (!(l->op.body = body_text(r, l)))
        return REQ_DONE;
    if (routing_rule_parse(l->op.body, strlen(l->op.body), &rule, &e) < 0)
        return reply_kerr(r, KERR_INVALID, &e);
    routing_rule_release(&rule);
    return submit(r, l, config_done);
}

int api_rules_post(struct req *r)
{
    return rule_write(r, 0);
}

int api_rule_put(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no routing rule with that id");
    return rule_write(r, id);
}

int api_rule_delete(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct lreq *l;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no routing rule with that id");
    l = lreq_new(r, CASE_OP_RULE_DELETE);
    l->op.other = id;
    return submit(r, l, config_done);
}

int api_routing_mode_put(struct req *r)
{
    struct lreq *l;
    cJSON *j;
    if (!(j = body_object(r)))
        return REQ_DONE;
    l = lreq_new(r, CASE_OP_ROUTING_MODE);
    if (body_str(r, l, j, "mode", true, 8, &l->op.to) < 0) {
        cJSON_Delete(j);
        return REQ_DONE;
    }
    cJSON_Delete(j);
    if (strcmp(l->op.to, "first") != 0 && strcmp(l->op.to, "all") != 0)
        return reply_error(r, 400, "invalid_value", "mode", "mode is first or all");
    return submit(r, l, config_done);
}

/* ---- SLA policies and calendars ---------------------------------------------------------------
 */

static int write_policy(void *arg, int64_t id, const char *json)
{
    struct sla_policy p;
    struct kerr e;
    (void)id;
    if (sla_policy_parse(json, strlen(json), &p, &e) == 0)
        sla_policy_write(&p, arg);
    return 0;
}

static int write_raw(void *arg, int64_t id, const char *json)
{
    (void)id;
    jsonw_raw(arg, json, strlen(json));
    return 0;
}

static int list_reply(struct req *r,
                      int (*list)(struct store *, store_json_cb, void *, struct kerr *),
                      store_json_cb cb)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    struct kerr e;
    int rc;
    jsonw_init(&w, &sb);
    jsonw_obj(&w);
    jsonw_key(&w, "items");
    jsonw_arr(&w);
    rc = list(r->store, cb, &w, &e);
    jsonw_end(&w);
    jsonw_end(&w);
    if (rc < 0) {
        strbuf_release(&sb);
        return reply_kerr(r, rc, &e);
    }
    return reply_json(r, 200, &sb);
}

int api_sla_policies_get(struct req *r)
{
    return list_reply(r, store_sla_policies, write_policy);
}

int api_sla_calendars_get(struct req *r)
{
    return list_reply(r, store_sla_calendars, write_raw);
}

int api_sla_policies_post(struct req *r)
{
    struct lreq *l = lreq_new(r, CASE_OP_POLICY_PUT);
    struct sla_policy p;
    struct kerr e;
    if (!(l->op.body = body_text(r, l)))
        return REQ_DONE;
    if (sla_policy_parse(l->op.body, strlen(l->op.body), &p, &e) < 0)
        return reply_kerr(r, KERR_INVALID, &e);
    return submit(r, l, config_done);
}

int api_sla_calendars_post(struct req *r)
{
    struct lreq *l = lreq_new(r, CASE_OP_CALENDAR_PUT);
    struct calendar *cal;
    struct kerr e;
    if (!(l->op.body = body_text(r, l)))
        return REQ_DONE;
    if (calendar_parse(l->op.body, strlen(l->op.body), &cal, &e) < 0)
        return reply_kerr(r, KERR_INVALID, &e);
    calendar_free(cal);
    return submit(r, l, config_done);
}
