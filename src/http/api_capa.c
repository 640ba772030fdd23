/*
 * api_capa.c: problems, root causes, improvement actions with their effect
 * evaluations, knowledge-base articles and similar cases (store/capa.h,
 * loop/capa.h). Input is checked here, naming the field; writes go through
 * the writer as capa ops and answer once committed.
 *
 *   GET/POST  /api/v1/problems            PATCH/GET /api/v1/problems/{id}
 *   GET       /api/v1/problems/suggestions
 *   POST      /api/v1/problems/{id}/cases {"add":[ids],"remove":[ids]}
 *   GET/POST  /api/v1/problems/{id}/root-causes, /api/v1/feedback/{id}/root-causes
 *   GET/POST  /api/v1/actions             GET/PATCH /api/v1/actions/{id}
 *   POST      /api/v1/actions/{id}/evaluate   GET /api/v1/actions/{id}/evaluation
 *   GET/POST  /api/v1/kb                  GET/PATCH /api/v1/kb/{id}
 *   GET       /api/v1/feedback/{id}/similar
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "http/api.h"
#include "loop/capa.h"
#include "store/capa.h"
#include "base/banned.h"

/* ---- request state and input checks ----------------------------------------------- */

struct capa_state {
    struct capa_op op;
    cJSON *json;    /* the body: op strings point into it */
    char *owned[4]; /* JSON texts built here */
    int64_t *ids[2];
    unsigned status;  /* reply status on success */
    const char *what; /* "problem", "action", ...: what to reply with */
};

static void capa_state_free(void *p)
{
    struct capa_state *cs = p;
    cJSON_Delete(cs->json);
    for (int i = 0; i < 4; i++)
        free(cs->owned[i]);
    free(cs->ids[0]);
    free(cs->ids[1]);
    free(cs);
}

static struct capa_state *state_new(struct req *r, cJSON *j, enum capa_op_kind kind)
{
    struct capa_state *cs = xcalloc(1, sizeof *cs);
    cs->json = j;
    cs->op.kind = kind;
    cs->status = 200;
    r->state = cs;
    r->state_free = capa_state_free;
    return cs;
}

/* A body that must be a JSON object; NULL after replying. */
static cJSON *object_body(struct req *r)
{
    cJSON *j = parse_body(r);
    if (j && !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        reply_error(r, 400, "invalid_type", NULL, "send a JSON object");
        return NULL;
    }
    return j;
}

/* Checks for members not in allowed (NULL-terminated); replies 400 and returns -1. */
static int unknown_member(struct req *r, cJSON *j, const char *const *allowed)
{
    cJSON *v;
    cJSON_ArrayForEach(v, j)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = strcmp(*a, v->string) == 0;
        if (!ok) {
            reply_error(r, 400, "unknown_field", v->string, "unknown field \"%.48s\"", v->string);
            return -1;
        }
    }
    return 0;
}

/* A string member: absent → *out NULL (error if required); checks type, UTF-8 and length. */
static int get_str(struct req *r, cJSON *j, const char *name, size_t max, bool required,
                   const char **out)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required) {
            reply_error(r, 400, "missing_field", name, "%s is required", name);
            return -1;
        }
        return 0;
    }
    if (!cJSON_IsString(v)) {
        reply_error(r, 400, "invalid_type", name, "%s must be a string", name);
        return -1;
    }
    size_t len = strlen(v->valuestring);
    if (len == 0 && required) {
        reply_error(r, 400, "missing_field", name, "%s cannot be empty", name);
        return -1;
    }
    if (len > max) {
        reply_error(r, 400, "too_long", name, "%s is longer than %zu bytes", name, max);
        return -1;
    }
    if (utf8_invalid_at(v->valuestring, len) >= 0) {
        reply_error(r, 400, "invalid_utf8", name, "%s is not valid UTF-8", name);
        return -1;
    }
    *out = len ? v->valuestring : NULL;
    return 0;
}

static int get_enum(struct req *r, cJSON *j, const char *name, const char *const *values,
                    bool required, const char **out)
{
    if (get_str(r, j, name, 64, required, out) < 0)
        return -1;
    if (!*out)
        return 0;
    for (const char *const *v = values; *v; v++)
        if (strcmp(*v, *out) == 0)
            return 0;
    struct strbuf sb = STRBUF_INIT;
    for (const char *const *v = values; *v; v++)
        strbuf_addf(&sb, "%s%s", v == values ? "" : ", ", *v);
    reply_error(r, 400, "invalid_value", name, "%s must be one of: %s", name, sb.buf);
    strbuf_release(&sb);
    return -1;
}

/* An integer member in [lo, hi]; absent → CAPA_ABSENT. */
static int get_int(struct req *r, cJSON *j, const char *name, int64_t lo, int64_t hi, int64_t *out)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    *out = CAPA_ABSENT;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi) {
        reply_error(r, 400, "invalid_value", name,
                    "%s must be a whole number from %" PRId64 " to %" PRId64, name, lo, hi);
        return -1;
    }
    *out = (int64_t)v->valuedouble;
    return 0;
}

/* A time member: RFC 3339 or YYYY-MM-DD; absent → CAPA_ABSENT. */
static int get_time(struct req *r, cJSON *j, const char *name, int64_t *out)
{
    const char *s;
    *out = CAPA_ABSENT;
    if (get_str(r, j, name, 64, false, &s) < 0)
        return -1;
    if (s && clock_parse_loose(s, strlen(s), out) < 0) {
        reply_error(r, 400, "invalid_time", name, "%s must be an RFC 3339 time or a date", name);
        return -1;
    }
    return 0;
}

/* An array of 1..max non-empty strings (or one string) as JSON text (owned by cs). */
static int get_str_array(struct req *r, struct capa_state *cs, int slot, cJSON *j, const char *name,
                         int max, bool required, const char **out)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name), *e;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    int n = 0;
    *out = NULL;
    if (!v || cJSON_IsNull(v)) {
        if (required) {
            reply_error(r, 400, "missing_field", name, "%s is required", name);
            return -1;
        }
        return 0;
    }
    if (!cJSON_IsArray(v) && !cJSON_IsString(v)) {
        reply_error(r, 400, "invalid_type", name, "%s must be an array of strings", name);
        return -1;
    }
    jsonw_init(&w, &sb);
    jsonw_arr(&w);
    if (cJSON_IsString(v)) {
        jsonw_str(&w, v->valuestring);
        n = 1;
    }
    for (e = cJSON_IsArray(v) ? v->child : NULL; e; e = e->next) {
        if (!cJSON_IsString(e) || !*e->valuestring || strlen(e->valuestring) > 2000 ||
            utf8_invalid_at(e->valuestring, strlen(e->valuestring)) >= 0) {
            strbuf_release(&sb);
            reply_error(r, 400, "invalid_value", name,
                        "%s[%d] must be a non-empty string of at most 2000 bytes", name, n);
            return -1;
        }
        jsonw_str(&w, e->valuestring);
        n++;
    }
    jsonw_end(&w);
    if ((required && n == 0) || n > max) {
        strbuf_release(&sb);
        reply_error(r, 400, "invalid_value", name, "%s must hold 1 to %d entries", name, max);
        return -1;
    }
    cs->owned[slot] = strbuf_detach(&sb, NULL);
    *out = cs->owned[slot];
    return 0;
}

static int get_ids(struct req *r, struct capa_state *cs, int slot, cJSON *j, const char *name,
                   const int64_t **out, size_t *n)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name), *e;
    size_t k = 0;
    *out = NULL;
    *n = 0;
    if (!v)
        return 0;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > 1000) {
        reply_error(r, 400, "invalid_type", name, "%s must be an array of at most 1000 ids", name);
        return -1;
    }
    cs->ids[slot] = xcalloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(int64_t));
    cJSON_ArrayForEach(e, v)
    {
        if (!cJSON_IsNumber(e) || e->valuedouble < 1 || e->valuedouble != floor(e->valuedouble)) {
            reply_error(r, 400, "invalid_value", name, "%s[%zu] must be a feedback id", name, k);
            return -1;
        }
        cs->ids[slot][k++] = (int64_t)e->valuedouble;
    }
    *out = cs->ids[slot];
    *n = k;
    return 0;
}

static int reply_store_json(struct req *r, int rc, struct strbuf *sb, const struct kerr *e,
                            unsigned status)
{
    if (rc < 0) {
        strbuf_release(sb);
        return reply_kerr(r, rc, e);
    }
    return reply_json(r, status, sb);
}

/* After the commit: the object as stored. */
static int op_done(struct req *r)
{
    struct capa_state *cs = r->state;
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    int64_t id = cs->op.out_id ? cs->op.out_id : cs->op.id;
    int rc;
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    kerr_clear(&e);
    if (strcmp(cs->what, "problem") == 0)
        rc = store_problem_json(r->store, id, &sb, &e);
    else if (strcmp(cs->what, "action") == 0)
        rc = store_action_json(r->store, id, &sb, &e);
    else if (strcmp(cs->what, "article") == 0)
        rc = store_kb_article_json(r->store, id, &sb, &e);
    else {
        struct jsonw w;
        jsonw_init(&w, &sb);
        jsonw_obj(&w);
        jsonw_kint(&w, "id", id);
        jsonw_end(&w);
        rc = 0;
    }
    return reply_store_json(r, rc, &sb, &e, cs->status);
}

static int submit(struct req *r, struct capa_state *cs, const char *what, unsigned status)
{
    cs->what = what;
    cs->status = status;
    store_capa_job(&r->job, &cs->op, r->actor);
    return req_submit(r, op_done);
}

static int query_limit(struct req *r, int dflt, int *out)
{
    const char *l = req_query(r, "limit");
    char *end;
    long v;
    *out = dflt;
    if (!l)
        return 0;
    v = strtol(l, &end, 10);
    if (*end || v < 1 || v > 1000) {
        reply_error(r, 400, "invalid_value", "limit", "limit must be 1 to 1000");
        return -1;
    }
    *out = (int)v;
    return 0;
}

static bool query_too_long(struct req *r, const char *name)
{
    const char *v = req_query(r, name);
    if (v && (strlen(v) > 256 || utf8_invalid_at(v, strlen(v)) >= 0)) {
        reply_error(r, 400, "invalid_value", name, "%s must be UTF-8 of at most 256 bytes", name);
        return true;
    }
    return false;
}

static int list_filter(struct req *r, struct capa_list_filter *f)
{
    static const char *const names[] = {"status", "category", "product", "owner"};
    const char *p = req_query(r, "problem_id"), *o = req_query(r, "overdue");
    const char *fb = req_query(r, "feedback_id");
    memset(f, 0, sizeof *f);
    for (int i = 0; i < 4; i++)
        if (query_too_long(r, names[i]))
            return -1;
    f->status = req_query(r, "status");
    f->category = req_query(r, "category");
    f->product = req_query(r, "product");
    f->owner = req_query(r, "owner");
    if (p) {
        char *end;
        f->problem_id = strtoll(p, &end, 10);
        if (*end || f->problem_id < 1) {
            reply_error(r, 400, "invalid_value", "problem_id", "problem_id must be an id");
            return -1;
        }
    }
    if (fb) {
        char *end;
        f->feedback_id = strtoll(fb, &end, 10);
        if (*end || f->feedback_id < 1) {
            reply_error(r, 400, "invalid_value", "feedback_id", "feedback_id must be an id");
            return -1;
        }
    }
    f->overdue = o && (strcmp(o, "true") == 0 || strcmp(o, "1") == 0);
    return query_limit(r, 100, &f->limit);
}

/* ---- problems ---------------------------------------------------------------------------- */

static const char *const problem_statuses[] = {"open", "investigating", "closed", NULL};

static int problem_fields(struct req *r, cJSON *j, struct capa_problem *p, bool create)
{
    static const char *const allowed[] = {"title",   "description", "status", "category",
                                          "product", "owner",       NULL};
    if (unknown_member(r, j, allowed) < 0 || get_str(r, j, "title", 200, create, &p->title) < 0 ||
        get_str(r, j, "description", 8000, false, &p->description) < 0 ||
        get_enum(r, j, "status", problem_statuses, false, &p->status) < 0 ||
        get_str(r, j, "category", 64, false, &p->category) < 0 ||
        get_str(r, j, "product", 256, false, &p->product) < 0 ||
        get_str(r, j, "owner", 64, false, &p->owner) < 0)
        return -1;
    if (create && p->status && strcmp(p->status, "closed") == 0) {
        reply_error(r, 409, "gate_action_plan", "status",
                    "a problem cannot close without an action plan");
        return -1;
    }
    return 0;
}

int api_problems_create(struct req *r)
{
    cJSON *j = object_body(r);
    struct capa_state *cs;
    if (!j)
        return REQ_DONE;
    cs = state_new(r, j, CAPA_PROBLEM_CREATE);
    if (problem_fields(r, j, &cs->op.problem, true) < 0)
        return REQ_DONE;
    return submit(r, cs, "problem", 201);
}

int api_problems_update(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    cJSON *j;
    struct capa_state *cs;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such problem");
    if (!(j = object_body(r)))
        return REQ_DONE;
    cs = state_new(r, j, CAPA_PROBLEM_UPDATE);
    cs->op.id = id;
    if (problem_fields(r, j, &cs->op.problem, false) < 0)
        return REQ_DONE;
    return submit(r, cs, "problem", 200);
}

int api_problems_cases(struct req *r)
{
    static const char *const allowed[] = {"add", "remove", NULL};
    int64_t id = req_param_id(r, 0);
    cJSON *j;
    struct capa_state *cs;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such problem");
    if (!(j = object_body(r)))
        return REQ_DONE;
    cs = state_new(r, j, CAPA_PROBLEM_CASES);
    cs->op.id = id;
    if (unknown_member(r, j, allowed) < 0 ||
        get_ids(r, cs, 0, j, "add", &cs->op.add, &cs->op.nadd) < 0 ||
        get_ids(r, cs, 1, j, "remove", &cs->op.remove, &cs->op.nremove) < 0)
        return REQ_DONE;
    if (cs->op.nadd + cs->op.nremove == 0)
        return reply_error(r, 400, "missing_field", "add", "give feedback ids to add or remove");
    return submit(r, cs, "problem", 200);
}

int api_problems_list(struct req *r)
{
    struct capa_list_filter f;
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    if (list_filter(r, &f) < 0)
        return REQ_DONE;
    kerr_clear(&e);
    return reply_store_json(r, store_problems_json(r->store, &f, &sb, &e), &sb, &e, 200);
}

int api_problems_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such problem");
    kerr_clear(&e);
    return reply_store_json(r, store_problem_json(r->store, id, &sb, &e), &sb, &e, 200);
}

int api_problems_suggest(struct req *r)
{
    const char *since = req_query(r, "since"), *until = req_query(r, "until");
    const char *min = req_query(r, "min_cases");
    int64_t t1 = clock_now_ms(), t0;
    long m = 3;
    int limit;
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    int rc;
    if (until && clock_parse_loose(until, strlen(until), &t1) < 0)
        return reply_error(r, 400, "invalid_time", "until", "until is an RFC 3339 time or date");
    t0 = t1 - 30LL * 24 * 3600 * 1000;
    if (since && clock_parse_loose(since, strlen(since), &t0) < 0)
        return reply_error(r, 400, "invalid_time", "since", "since is an RFC 3339 time or date");
    if (min) {
        char *end;
        m = strtol(min, &end, 10);
        if (*end || m < 2 || m > 100000)
            return reply_error(r, 400, "invalid_value", "min_cases", "min_cases must be 2 or more");
    }
    if (query_limit(r, 20, &limit) < 0)
        return REQ_DONE;
    kerr_clear(&e);
    if ((rc = store_problem_suggestions_json(r->store, t0, t1, (int)m, limit, &sb, &e)) == 0) {
        /* {"duplicates":[...],"category_product":[...]} + "similar_text" */
        strbuf_setlen(&sb, sb.len - 1);
        strbuf_addstr(&sb, ",\"similar_text\":");
        rc = capa_simhash_clusters_json(r->store, t0, t1, (int)m, limit, &sb, &e);
        strbuf_addch(&sb, '}');
    }
    return reply_store_json(r, rc, &sb, &e, 200);
}

/* ---- root causes ---------------------------------------------------------------------- */

static const char *fishbone_name(const char *v)
{
    static const char *const map[][2] = {{"人", "man"},         {"机", "machine"},
                                         {"料", "material"},    {"法", "method"},
                                         {"环", "environment"}, {"测", "measurement"}};
    for (size_t i = 0; i < 6; i++)
        if (strcmp(v, map[i][0]) == 0 || strcmp(v, map[i][1]) == 0)
            return map[i][1];
    return NULL;
}

static int rootcause_create(struct req *r, bool on_problem)
{
    static const char *const allowed[] = {"whys",        "fishbone", "summary",
                                          "verified_by", "evidence", NULL};
    int64_t id = req_param_id(r, 0);
    const char *fb;
    cJSON *j;
    struct capa_state *cs;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such %s",
                           on_problem ? "problem" : "feedback");
    if (!(j = object_body(r)))
        return REQ_DONE;
    cs = state_new(r, j, CAPA_ROOTCAUSE_CREATE);
    if (on_problem)
        cs->op.rc.problem_id = id;
    else
        cs->op.rc.feedback_id = id;
    if (unknown_member(r, j, allowed) < 0 ||
        get_str_array(r, cs, 0, j, "whys", 10, true, &cs->op.rc.whys_json) < 0 ||
        get_str(r, j, "fishbone", 32, true, &fb) < 0 ||
        get_str(r, j, "summary", 4000, false, &cs->op.rc.summary) < 0 ||
        get_str(r, j, "verified_by", 64, false, &cs->op.rc.verified_by) < 0 ||
        get_str_array(r, cs, 1, j, "evidence", 50, false, &cs->op.rc.evidence_json) < 0)
        return REQ_DONE;
    if (!(cs->op.rc.fishbone = fishbone_name(fb)))
        return reply_error(r, 400, "invalid_value", "fishbone",
                           "fishbone must be one of 人/机/料/法/环/测 or man, machine, material, "
                           "method, environment, measurement");
    return submit(r, cs, "root_cause", 201);
}

int api_rootcause_feedback_create(struct req *r)
{
    return rootcause_create(r, false);
}

int api_rootcause_problem_create(struct req *r)
{
    return rootcause_create(r, true);
}

static int rootcause_list(struct req *r, bool on_problem)
{
    int64_t id = req_param_id(r, 0);
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such object");
    kerr_clear(&e);
    return reply_store_json(
        r, store_rootcauses_json(r->store, on_problem ? 0 : id, on_problem ? id : 0, &sb, &e), &sb,
        &e, 200);
}

int api_rootcause_feedback_list(struct req *r)
{
    return rootcause_list(r, false);
}

int api_rootcause_problem_list(struct req *r)
{
    return rootcause_list(r, true);
}

/* ---- actions ------------------------------------------------------------------------------ */

static const char *const action_types[] = {"immediate", "corrective", "preventive", "improvement",
                                           NULL};
static const char *const action_terms[] = {"short", "long", NULL};
static const char *const action_statuses[] = {"open",   "in_progress", "done",
                                              "closed", "cancelled",   NULL};
static const char *const action_metrics[] = {"complaint_rate", "repeat_rate", "reopen_rate", "csat",
                                             NULL};

static int action_fields(struct req *r, cJSON *j, struct capa_action *a, bool create)
{
    static const char *const allowed[] = {
        "title",  "description",     "type",   "term",     "owner",   "due_at",     "start_at",
        "metric", "target",          "status", "category", "product", "problem_id", "feedback_id",
        "note",   "expected_effect", NULL};
    cJSON *ee = cJSON_GetObjectItemCaseSensitive(j, "expected_effect"), *t;
    if (unknown_member(r, j, allowed) < 0 || get_str(r, j, "title", 200, create, &a->title) < 0 ||
        get_str(r, j, "description", 8000, false, &a->description) < 0 ||
        get_enum(r, j, "type", action_types, create, &a->type) < 0 ||
        get_enum(r, j, "term", action_terms, create, &a->term) < 0 ||
        get_str(r, j, "owner", 64, false, &a->owner) < 0 ||
        get_time(r, j, "due_at", &a->due_at) < 0 || get_time(r, j, "start_at", &a->start_at) < 0 ||
        get_enum(r, j, "status", action_statuses, false, &a->status) < 0 ||
        get_str(r, j, "category", 64, false, &a->category) < 0 ||
        get_str(r, j, "product", 256, false, &a->product) < 0 ||
        get_int(r, j, "problem_id", 1, INT64_MAX / 2, &a->problem_id) < 0 ||
        get_int(r, j, "feedback_id", 1, INT64_MAX / 2, &a->feedback_id) < 0 ||
        get_str(r, j, "note", 2000, false, &a->note) < 0)
        return -1;
    /* the expected effect: {"metric","target"} or the two as top-level members */
    if (ee && !cJSON_IsObject(ee)) {
        reply_error(r, 400, "invalid_type", "expected_effect",
                    "expected_effect must be {\"metric\":…,\"target\":…}");
        return -1;
    }
    if (get_enum(r, ee ? ee : j, "metric", action_metrics, false, &a->metric) < 0)
        return -1;
    t = cJSON_GetObjectItemCaseSensitive(ee ? ee : j, "target");
    if (t && !cJSON_IsNull(t)) {
        if (!cJSON_IsNumber(t) || !(t->valuedouble >= -1 && t->valuedouble <= 10)) {
            reply_error(r, 400, "invalid_value", "target",
                        "target is the expected relative change, e.g. -0.3 for 30 %% fewer");
            return -1;
        }
        a->has_target = true;
        a->target = t->valuedouble;
    }
    if (create && a->status && strcmp(a->status, "closed") == 0) {
        reply_error(r, 409, "gate_effect_evaluation", "status",
                    "an action cannot close without an effect evaluation");
        return -1;
    }
    if (create && !a->category && !a->product && a->problem_id == CAPA_ABSENT &&
        a->feedback_id == CAPA_ABSENT) {
        reply_error(r, 400, "missing_field", "category",
                    "link the action to a category, product, problem or case");
        return -1;
    }
    return 0;
}

int api_actions_create(struct req *r)
{
    cJSON *j = object_body(r);
    struct capa_state *cs;
    if (!j)
        return REQ_DONE;
    cs = state_new(r, j, CAPA_ACTION_CREATE);
    if (action_fields(r, j, &cs->op.action, true) < 0)
        return REQ_DONE;
    return submit(r, cs, "action", 201);
}

int api_actions_update(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    cJSON *j;
    struct capa_state *cs;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such action");
    if (!(j = object_body(r)))
        return REQ_DONE;
    cs = state_new(r, j, CAPA_ACTION_UPDATE);
    cs->op.id = id;
    if (action_fields(r, j, &cs->op.action, false) < 0)
        return REQ_DONE;
    return submit(r, cs, "action", 200);
}

int api_actions_list(struct req *r)
{
    struct capa_list_filter f;
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    if (list_filter(r, &f) < 0)
        return REQ_DONE;
    kerr_clear(&e);
    return reply_store_json(r, store_actions_json(r->store, &f, clock_now_ms(), &sb, &e), &sb, &e,
                            200);
}

int api_actions_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such action");
    kerr_clear(&e);
    return reply_store_json(r, store_action_json(r->store, id, &sb, &e), &sb, &e, 200);
}

static void eval_state_free(void *p)
{
    capa_evaluation_release(p);
    free(p);
}

static int eval_done(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    if (r->job.rc < 0)
        return reply_kerr(r, r->job.rc, &r->job.err);
    capa_evaluation_json(r->state, &sb);
    return reply_json(r, 201, &sb);
}

/* POST /api/v1/actions/{id}/evaluate {"window_days"} or {"baseline_from","baseline_to",
 * "after_from","after_to"}, optional "confidence". The counts are read here (indexed by
 * received_at); the evaluation is stored by the writer, answered after the commit. */
int api_actions_evaluate(struct req *r)
{
    static const char *const allowed[] = {"window_days", "baseline_from", "baseline_to",
                                          "after_from",  "after_to",      "confidence",
                                          NULL};
    static const char *const tn[4] = {"baseline_from", "baseline_to", "after_from", "after_to"};
    int64_t id = req_param_id(r, 0), wd, t[4];
    struct capa_eval_opts o = {0};
    struct capa_evaluation *ev;
    struct kerr e;
    cJSON *j = NULL, *c;
    int rc, given = 0;

    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such action");
    if (r->body.len) {
        if (!(j = object_body(r)))
            return REQ_DONE;
        if (unknown_member(r, j, allowed) < 0 || get_int(r, j, "window_days", 1, 3650, &wd) < 0)
            goto done;
        o.window_days = wd == CAPA_ABSENT ? 0 : (int)wd;
        for (int i = 0; i < 4; i++) {
            if (get_time(r, j, tn[i], &t[i]) < 0)
                goto done;
            given += t[i] != CAPA_ABSENT;
        }
        if (given && given < 4) {
            reply_error(r, 400, "missing_field", "baseline_from",
                        "give all four of baseline_from, baseline_to, after_from, after_to");
            goto done;
        }
        if (given) {
            o.base_from = t[0];
            o.base_to = t[1];
            o.after_from = t[2];
            o.after_to = t[3];
        }
        c = cJSON_GetObjectItemCaseSensitive(j, "confidence");
        if (c && (!cJSON_IsNumber(c) || c->valuedouble < 0.5 || c->valuedouble >= 1)) {
            reply_error(r, 400, "invalid_value", "confidence", "confidence lies in [0.5, 1)");
            goto done;
        }
        o.conf = c ? c->valuedouble : 0;
        cJSON_Delete(j);
    }
    kerr_clear(&e);
    ev = xcalloc(1, sizeof *ev);
    if ((rc = capa_evaluation_prepare(r->store, id, &o, ev, &e)) < 0) {
        free(ev);
        return reply_kerr(r, rc, &e);
    }
    r->state = ev;
    r->state_free = eval_state_free;
    store_capa_job(&r->job, &ev->op, r->actor);
    return req_submit(r, eval_done);
done:
    cJSON_Delete(j);
    return REQ_DONE;
}

int api_actions_evaluation(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct strbuf sb = STRBUF_INIT, ev = STRBUF_INIT;
    struct kerr e;
    int rc;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such action");
    kerr_clear(&e);
    if ((rc = store_action_json(r->store, id, &sb, &e)) < 0 ||
        (rc = store_action_evaluations_json(r->store, id, &ev, &e)) < 0) {
        strbuf_release(&ev);
        return reply_store_json(r, rc, &sb, &e, 200);
    }
    /* {"action":{...},"latest":{...}|null,"items":[...]} */
    {
        struct strbuf out = STRBUF_INIT;
        const char *items = strchr(ev.buf, '[');
        const char *first = strchr(items, '{');
        strbuf_addstr(&out, "{\"action\":");
        strbuf_add(&out, sb.buf, sb.len);
        strbuf_addstr(&out, ",\"latest\":");
        if (first) { /* the first object of the array: items are newest first */
            int depth = 0;
            bool in_str = false;
            const char *p = first;
            for (; *p; p++) {
                if (in_str) {
                    if (*p == '\\')
                        p++;
                    else if (*p == '"')
                        in_str = false;
                } else if (*p == '"') {
                    in_str = true;
                } else if (*p == '{') {
                    depth++;
                } else if (*p == '}' && --depth == 0) {
                    break;
                }
            }
            strbuf_add(&out, first, (size_t)(p - first + 1));
        } else {
            strbuf_addstr(&out, "null");
        }
        strbuf_addstr(&out, ",\"items\":");
        strbuf_add(&out, items, ev.len - (size_t)(items - ev.buf) - 1);
        strbuf_addch(&out, '}');
        strbuf_release(&sb);
        strbuf_release(&ev);
        return reply_json(r, 200, &out);
    }
}

/* ---- knowledge base --------------------------------------------------------------------- */

static const char *const kb_statuses[] = {"draft", "published", "archived", NULL};

static int kb_fields(struct req *r, struct capa_state *cs, cJSON *j, bool create)
{
    static const char *const allowed[] = {"title", "body", "category", "tags", "status", NULL};
    struct capa_kb *k = &cs->op.kb;
    return unknown_member(r, j, allowed) < 0 ||
                   get_str(r, j, "title", 200, create, &k->title) < 0 ||
                   get_str(r, j, "body", 65536, create, &k->body) < 0 ||
                   get_str(r, j, "category", 64, false, &k->category) < 0 ||
                   get_str_array(r, cs, 0, j, "tags", 50, false, &k->tags_json) < 0 ||
                   get_enum(r, j, "status", kb_statuses, false, &k->status) < 0
               ? -1
               : 0;
}

int api_kb_create(struct req *r)
{
    cJSON *j = object_body(r);
    struct capa_state *cs;
    if (!j)
        return REQ_DONE;
    cs = state_new(r, j, CAPA_KB_CREATE);
    if (kb_fields(r, cs, j, true) < 0)
        return REQ_DONE;
    return submit(r, cs, "article", 201);
}

int api_kb_update(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    cJSON *j;
    struct capa_state *cs;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such article");
    if (!(j = object_body(r)))
        return REQ_DONE;
    cs = state_new(r, j, CAPA_KB_UPDATE);
    cs->op.id = id;
    if (kb_fields(r, cs, j, false) < 0)
        return REQ_DONE;
    return submit(r, cs, "article", 200);
}

int api_kb_list(struct req *r)
{
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    int limit;
    if (query_too_long(r, "category") || query_too_long(r, "q") || query_limit(r, 50, &limit) < 0)
        return REQ_DONE;
    kerr_clear(&e);
    return reply_store_json(
        r, store_kb_json(r->store, req_query(r, "category"), req_query(r, "q"), limit, &sb, &e),
        &sb, &e, 200);
}

int api_kb_get(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no such article");
    kerr_clear(&e);
    return reply_store_json(r, store_kb_article_json(r->store, id, &sb, &e), &sb, &e, 200);
}

int api_feedback_similar(struct req *r)
{
    int64_t id = req_param_id(r, 0);
    struct strbuf sb = STRBUF_INIT;
    struct kerr e;
    int limit;
    if (id < 0)
        return reply_error(r, 404, "not_found", "id", "no feedback with that id");
    if (query_limit(r, 5, &limit) < 0)
        return REQ_DONE;
    if (limit > 50)
        return reply_error(r, 400, "invalid_value", "limit", "limit must be 1 to 50");
    kerr_clear(&e);
    return reply_store_json(r, capa_similar_json(r->store, id, limit, &sb, &e), &sb, &e, 200);
}
