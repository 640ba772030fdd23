/*
 * capa.h: the loop's improvement side above the store: measured effect
 * evaluation of actions (with recurrence after an effective verdict), the
 * scheduler pass (reminders, overdue escalation, recurrence checks) and
 * similar resolved cases. See docs/capa.md.
 */
#ifndef KESU_LOOP_CAPA_H
#define KESU_LOOP_CAPA_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "store/capa.h"

struct capa_eval_opts {
    int64_t now;                                      /* 0 = the clock */
    int window_days;                                  /* length of each window; 0 = 28 */
    int64_t base_from, base_to, after_from, after_to; /* explicit windows (all four) or 0 */
    double conf;                                      /* confidence level; 0 = 0.95 */
    bool recheck; /* recurrence check: after window = the last window_days up to now */
};

/*
 * Evaluates action id: counts complaints in scope in the baseline window
 * before the action's start and in the after window, compares complaint
 * rate, repeat rate, reopen rate and CSAT (tests in loop/effect.h), judges
 * the action's metric and stores the evaluation durably. out gets the
 * evaluation as JSON ({"id","verdict","reason","baseline","after","tests",...}).
 * With o->recheck only a fall from "effective" is stored (as a recurrence).
 */
int capa_evaluate(struct store *s, int64_t action_id, const struct capa_eval_opts *o,
                  const char *actor, struct strbuf *out, struct kerr *err);

/* The same in two steps, for a caller that commits without waiting (the API): prepare
 * computes the evaluation into ev (ev->op is the CAPA_EVAL_SAVE op to run), json writes the
 * reply after the op committed, release frees ev. */
struct capa_evaluation {
    struct capa_op op;
    struct strbuf result; /* the result JSON; op.eval.result_json points into it */
    int64_t now;
};
int capa_evaluation_prepare(struct store *s, int64_t action_id, const struct capa_eval_opts *o,
                            struct capa_evaluation *ev, struct kerr *err);
void capa_evaluation_json(const struct capa_evaluation *ev, struct strbuf *out);
void capa_evaluation_release(struct capa_evaluation *ev);

/* One scheduler pass: reminders and escalations (CAPA_TICK), then recurrence checks of
 * effective actions not checked for a day. */
struct capa_pass_result {
    int reminders, escalations, rechecked, recurrences;
};
int capa_pass(struct store *s, int64_t remind_before_ms, struct capa_pass_result *res,
              struct kerr *err);

/* Runs capa_pass every interval_ms on its own thread until capa_sched_stop. */
struct capa_sched;
int capa_sched_start(struct store *s, int64_t interval_ms, int64_t remind_before_ms,
                     struct capa_sched **out, struct kerr *err);
void capa_sched_stop(struct capa_sched *cs);

/*
 * Clusters of complaints in [since, until) whose texts' SimHashes lie within 3 bits of each
 * other, across customers (intake links near duplicates of one customer only), not yet in a
 * problem: problem candidates. Writes a JSON array [{"n","cases":[ids],"sample","category",
 * "product"}] of clusters with at least min_cases, largest first, at most limit.
 */
int capa_simhash_clusters_json(struct store *s, int64_t since, int64_t until, int min_cases,
                               int limit, struct strbuf *out, struct kerr *err);

/*
 * The most similar resolved cases to case id (responded or closed), by
 * character-bigram overlap of the cleaned text, SimHash distance and same
 * category/product, from full-text and same-category candidates; each with
 * its resolution; and the knowledge-base articles of its category.
 */
int capa_similar_json(struct store *s, int64_t feedback_id, int limit, struct strbuf *out,
                      struct kerr *err);

#endif
