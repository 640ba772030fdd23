/*
 * capa.h: the storage interface of the closed loop's last part: return-visit
 * surveys and recovery follow-ups, problems, root causes, improvement
 * actions with their effect evaluations, and knowledge-base articles.
 * Part of the storage interface beside db.h (SQL in survey.c and capa.c).
 *
 * Writes are struct capa_op jobs (STORE_JOB_CAPA) run by the writer thread,
 * each in the writer's transaction with its timeline events, so a 2xx reply
 * means the change is durable. Reads borrow a reader connection.
 *
 * Times are unix milliseconds. Strings in ops are borrowed for the job's life.
 */
#ifndef KESU_STORE_CAPA_H
#define KESU_STORE_CAPA_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "store/db.h"

struct conn;

/* ---- survey configuration ---------------------------------------------------- */

struct store_survey_conf {
    int max_per_30d;     /* surveys one customer may receive in 30 days (fatigue); 0 = no limit */
    int64_t expiry_ms;   /* how long a link stays valid */
    int64_t followup_ms; /* due time of a recovery follow-up after a detractor's answer */
    char base_url[256];  /* public address the link starts with, e.g. https://kesu.example */
};
/* Sets the survey rules (defaults: 2 per 30 days, 7 days, 24 hours, http://127.0.0.1:8080). */
void store_set_survey(struct store *s, const struct store_survey_conf *conf);
void store_get_survey(struct store *s, struct store_survey_conf *out);

/*
 * The closure hook: called in the writer's transaction when a case becomes
 * closed (or closed_unaccepted). Issues a survey with a fresh link token
 * (only its BLAKE2b hash is kept in surveys; the link goes into the outbox
 * for delivery) and a timeline event of kind "survey", unless the fatigue
 * rule stops it (then the timeline says so). Returns 0 or an error.
 */
int survey_on_close(struct conn *c, int64_t feedback_id, const char *actor, int64_t now,
                    struct kerr *err);

/* ---- write operations ---------------------------------------------------------- */

enum capa_op_kind {
    CAPA_SURVEY_ANSWER,   /* token_hash + answers: a customer's answer through the link */
    CAPA_SURVEY_RECORD,   /* feedback_id + answers: a hotline return visit entered by an agent */
    CAPA_FOLLOWUP_UPDATE, /* id + status */
    CAPA_PROBLEM_CREATE,  /* problem */
    CAPA_PROBLEM_UPDATE,  /* id + problem (NULL fields unchanged) */
    CAPA_PROBLEM_CASES,   /* id + add[] + remove[] */
    CAPA_ROOTCAUSE_CREATE,
    CAPA_ACTION_CREATE,
    CAPA_ACTION_UPDATE, /* id + action (NULL/absent fields unchanged) */
    CAPA_EVAL_SAVE,     /* id (action) + eval */
    CAPA_KB_CREATE,
    CAPA_KB_UPDATE,
    CAPA_DENOMINATOR,  /* denominators: day, product, value */
    CAPA_TICK,         /* reminders, overdue escalations (see capa_tick) */
    CAPA_QUESTION_PUT, /* question: add or replace a survey question */
    CAPA_OUTBOX_SENT,  /* id: a mailer delivered the message (status NULL) or failed (status =
                          the error) */
};

#define CAPA_ABSENT INT64_MIN

struct capa_answers {
    int64_t csat, nps, handling; /* CAPA_ABSENT when not answered */
    const char *comment;
    const char *json; /* every answer as a JSON object */
};

struct capa_problem {
    const char *title, *description, *status, *category, *product, *owner;
};

struct capa_rootcause {
    int64_t feedback_id, problem_id; /* one of them (0 = none) */
    const char *whys_json;           /* JSON array of strings */
    const char *fishbone, *summary, *verified_by, *evidence_json;
};

struct capa_action {
    const char *title, *description, *type, *term, *owner, *metric, *status;
    const char *category, *product;
    int64_t due_at, start_at, problem_id, feedback_id; /* CAPA_ABSENT: not given */
    bool has_target;
    double target;
    const char *note;
};

struct capa_eval {
    const char *verdict, *result_json;
    bool recurrence; /* the verdict fell from effective: flag a recurrence */
    bool check_only; /* a recurrence check that found none: note the check time only */
};

struct capa_kb {
    const char *title, *body, *category, *tags_json, *status;
};

struct capa_question {
    const char *key, *kind, *label_zh, *label_en, *low_zh, *high_zh;
    int64_t position, min_value, max_value; /* CAPA_ABSENT for text questions' range */
    bool required, enabled;
};

struct capa_tick_result {
    int reminders, escalations;
};

struct capa_op {
    enum capa_op_kind kind;
    int64_t id;          /* the object (problem, action, article, follow-up) */
    int64_t feedback_id; /* CAPA_SURVEY_RECORD */
    char token_hash[65]; /* CAPA_SURVEY_ANSWER */
    struct capa_answers answers;
    const char *status; /* CAPA_FOLLOWUP_UPDATE */
    struct capa_problem problem;
    const int64_t *add, *remove; /* CAPA_PROBLEM_CASES */
    size_t nadd, nremove;
    struct capa_rootcause rc;
    struct capa_action action;
    struct capa_eval eval;
    struct capa_kb kb;
    struct capa_question question;
    const char *day, *product; /* CAPA_DENOMINATOR */
    double value;
    int64_t remind_before_ms; /* CAPA_TICK */
    /* results */
    int64_t out_id;       /* the created object's id */
    int64_t out_followup; /* a recovery follow-up opened (survey answers), else 0 */
    struct capa_tick_result tick;
};

/* The writer runs an op (writer.c calls it for STORE_JOB_CAPA). Gates give KERR_CONFLICT. */
int capa_apply(struct conn *c, struct capa_op *op, const char *actor, int64_t now,
               struct kerr *err);
/* Runs op through the writer and waits (CLI, scheduler, tests). */
int store_capa(struct store *s, struct capa_op *op, const char *actor, struct kerr *err);
/* Fills job to run op (then store_submit / req_submit). */
void store_capa_job(struct store_job *job, struct capa_op *op, const char *actor);

/* ---- reads: each writes JSON into out ------------------------------------------------ */

/* The survey behind a link token hash: KERR_NOTFOUND, or 0 and state "open", "answered",
 * "expired". */
struct store_survey_link {
    int64_t id, feedback_id, expires_at, answered_at;
    char state[16];
};
int store_survey_by_token(struct store *s, const char *token_hash, struct store_survey_link *out,
                          struct kerr *err);
/* The enabled questions as a JSON array [{"key","kind","min","max","required","label_zh",...}]. */
int store_survey_questions_json(struct store *s, struct strbuf *out, struct kerr *err);
/* {"items":[surveys of the case, links included], "followups":[...]} */
int store_surveys_json(struct store *s, int64_t feedback_id, struct strbuf *out, struct kerr *err);

struct capa_list_filter {
    const char *status, *category, *product, *owner;
    int64_t problem_id;  /* 0 = any */
    int64_t feedback_id; /* 0 = any; else the case's own and its problems' */
    bool overdue;
    int limit;
};
int store_problems_json(struct store *s, const struct capa_list_filter *f, struct strbuf *out,
                        struct kerr *err);
/* One problem with its cases, root causes and actions. */
int store_problem_json(struct store *s, int64_t id, struct strbuf *out, struct kerr *err);
/* Suggested problems: clusters of duplicates and of same category+product in a window. */
int store_problem_suggestions_json(struct store *s, int64_t since, int64_t until, int min_cases,
                                   int limit, struct strbuf *out, struct kerr *err);
/* Records received in [since, until) with a SimHash and in no problem, oldest first, at most
 * max: id, SimHash, the first 60 characters of title or text, category, product. */
typedef int (*store_simhash_cb)(void *arg, int64_t id, int64_t simhash, const char *snippet,
                                const char *category, const char *product);
int store_simhash_window(struct store *s, int64_t since, int64_t until, int max,
                         store_simhash_cb cb, void *arg, struct kerr *err);
int store_rootcauses_json(struct store *s, int64_t feedback_id, int64_t problem_id,
                          struct strbuf *out, struct kerr *err);
int store_actions_json(struct store *s, const struct capa_list_filter *f, int64_t now,
                       struct strbuf *out, struct kerr *err);
int store_action_json(struct store *s, int64_t id, struct strbuf *out, struct kerr *err);
int store_action_evaluations_json(struct store *s, int64_t id, struct strbuf *out,
                                  struct kerr *err);

/* What the effect evaluation needs of an action. */
struct store_action_scope {
    int64_t id, start_at, problem_id;
    char category[128], product[256], metric[32], verdict[16];
    bool has_target;
    double target;
};
int store_action_scope(struct store *s, int64_t id, struct store_action_scope *out,
                       struct kerr *err);

/* Counts in one window [from, to) for the complaints in scope. */
struct store_window_counts {
    int64_t scope;                  /* complaints in scope received in the window */
    int64_t total;                  /* all complaints received in the window */
    double denominator;             /* configured denominator over the window's days, 0 = none */
    int64_t repeats;                /* in scope, with duplicate_of set or a customer seen before */
    int64_t reopened;               /* in scope, reopened at some time */
    int64_t csat_n, csat_satisfied; /* answered surveys of cases in scope, CSAT >= 4 */
};
int store_window_counts(struct store *s, const struct store_action_scope *sc, int64_t from,
                        int64_t to, struct store_window_counts *out, struct kerr *err);

/* Effective actions whose recurrence check is due (last check before `before`). */
int store_actions_to_recheck(struct store *s, int64_t before, int64_t *ids, int max, int *n,
                             struct kerr *err);

int store_kb_json(struct store *s, const char *category, const char *q, int limit,
                  struct strbuf *out, struct kerr *err);
int store_kb_article_json(struct store *s, int64_t id, struct strbuf *out, struct kerr *err);

/* Outbox messages, newest first (survey links, reminders, escalations, recurrences). */
int store_outbox_json(struct store *s, bool unsent_only, int limit, struct strbuf *out,
                      struct kerr *err);

/* How case feedback_id was resolved: its latest note (comment, transition note) or its root
 * cause's summary; *out (caller frees) NULL when there is none. */
int store_case_resolution(struct store *s, int64_t feedback_id, char **out, struct kerr *err);

#endif
