/* api.h: the API handlers, one file per resource; see routes.c. */
#ifndef KESU_API_H
#define KESU_API_H

#include "http/http.h"

/* api_system.c */
int api_healthz(struct req *r);
int api_metrics(struct req *r);
int api_openapi(struct req *r);

struct cJSON;

/* What an intake request keeps while its job waits for the commit (api_feedback.c). */
struct intake {
    struct record *recs;
    struct store_insert_result *results;
    size_t n;
};
/* n records, record_init'ed, owned by the request (freed with it). */
struct intake *intake_new(struct req *r, size_t n);
/* Replies to a committed insert of r->state's records: 201 {"items":[...],"created","existing"}. */
int intake_batch_done(struct req *r);
/* Runs the intake pipeline (cleaning, masking, fingerprints) on a validated record. */
int intake_clean(struct req *r, struct record *rec, struct kerr *e);
/* Counts a refused input for the quality report (source: api, hook, form). */
void intake_rejected(struct req *r, const struct record *rec, const char *source,
                     const struct kerr *e);
/* The body as checked JSON, or NULL after replying 400. */
struct cJSON *parse_body(struct req *r);

/* api_hooks.c */
int api_hook(struct req *r);

/* api_devices.c */
int api_device_events_post(struct req *r);
int api_device_events_get(struct req *r);

/* api_quality.c */
int api_quality(struct req *r);

/* api_forms.c */
int api_form_get(struct req *r);
int api_form_post(struct req *r);
int api_form_status(struct req *r);
int api_qr(struct req *r);

/* api_feedback.c */
int api_feedback_create(struct req *r);
int api_feedback_batch(struct req *r);
int api_feedback_list(struct req *r);
int api_feedback_get(struct req *r);
int api_feedback_patch(struct req *r);

/* api_surveys.c */
int api_survey_page(struct req *r);
int api_survey_answer(struct req *r);
int api_survey_record(struct req *r);
int api_survey_list(struct req *r);
int api_survey_questions(struct req *r);
int api_survey_question_put(struct req *r);
int api_followup_update(struct req *r);
int api_outbox_list(struct req *r);
int api_outbox_sent(struct req *r);

/* api_capa.c */
int api_problems_create(struct req *r);
int api_problems_update(struct req *r);
int api_problems_cases(struct req *r);
int api_problems_list(struct req *r);
int api_problems_get(struct req *r);
int api_problems_suggest(struct req *r);
int api_rootcause_feedback_create(struct req *r);
int api_rootcause_problem_create(struct req *r);
int api_rootcause_feedback_list(struct req *r);
int api_rootcause_problem_list(struct req *r);
int api_actions_create(struct req *r);
int api_actions_update(struct req *r);
int api_actions_list(struct req *r);
int api_actions_get(struct req *r);
int api_actions_evaluate(struct req *r);
int api_actions_evaluation(struct req *r);
int api_kb_create(struct req *r);
int api_kb_update(struct req *r);
int api_kb_list(struct req *r);
int api_kb_get(struct req *r);
int api_feedback_similar(struct req *r);

#endif
