/* api.h: the API handlers, one file per resource; see routes.c. */
#ifndef KESU_API_H
#define KESU_API_H

#include "http/http.h"

/* api_system.c */
int api_healthz(struct req *r);
int api_metrics(struct req *r);
int api_openapi(struct req *r);

struct cJSON;
struct jsonw;
struct store_case_sla;

/* A case's SLA clock in JSON, the object of GET /api/v1/feedback/{id}/sla (api_loop.c); the
 * list's with_sla=true writes the same. */
void api_write_sla(struct jsonw *w, const struct store_case_sla *s);

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

/* api_stats.c */
int api_stats_volume(struct req *r);
int api_stats_pareto(struct req *r);
int api_stats_crosstab(struct req *r);
int api_stats_satisfaction(struct req *r);
int api_stats_sla(struct req *r);
int api_stats_handling(struct req *r);
int api_stats_heatmap(struct req *r);
int api_stats_staff(struct req *r);

/* api_forms.c */
int api_form_get(struct req *r);
int api_form_post(struct req *r);
int api_form_status(struct req *r);
int api_qr(struct req *r);

/* api_nlp.c */
int api_taxonomy_get(struct req *r);
int api_categories_get(struct req *r);
int api_taxonomy_put(struct req *r);
int api_keywords(struct req *r);

/* api_alerts.c */
int api_alerts_list(struct req *r);
int api_alerts_get(struct req *r);
int api_alerts_ack(struct req *r);
int api_alerts_evaluate(struct req *r);
int api_alert_rules_list(struct req *r);
int api_alert_rules_create(struct req *r);
int api_alert_rules_get(struct req *r);
int api_alert_rules_update(struct req *r);
int api_alert_rules_delete(struct req *r);
int api_alert_receivers_list(struct req *r);
int api_alert_receivers_create(struct req *r);
int api_alert_receivers_get(struct req *r);
int api_alert_receivers_update(struct req *r);
int api_alert_receivers_delete(struct req *r);

/* api_feedback.c */
int api_feedback_create(struct req *r);
int api_feedback_batch(struct req *r);
int api_feedback_list(struct req *r);
int api_feedback_get(struct req *r);
int api_feedback_patch(struct req *r);
int api_feedback_reveal(struct req *r);
/* The caller's data scope on one record: 0, or KERR_NOTFOUND with e filled exactly as for a
 * record that does not exist. */
int feedback_in_scope(struct req *r, int64_t id, const struct record *rec, struct kerr *e);
/* store_feedback_get and feedback_in_scope together (rec record_init'ed by the caller). */
int feedback_load_scoped(struct req *r, int64_t id, struct record *rec, struct kerr *e);

/* api_auth.c */
int api_auth_login(struct req *r);
int api_auth_logout(struct req *r);
int api_auth_me(struct req *r);
int api_auth_password(struct req *r);

/* api_users.c */
int api_users_list(struct req *r);
int api_users_get(struct req *r);
int api_users_create(struct req *r);
int api_users_patch(struct req *r);
int api_users_password(struct req *r);
int api_roles_list(struct req *r);
int api_roles_put(struct req *r);

/* api_audit.c */
int api_audit_list(struct req *r);
int api_audit_verify(struct req *r);

/* api_apikeys.c */
int api_apikeys_list(struct req *r);
int api_apikeys_create(struct req *r);
int api_apikeys_revoke(struct req *r);
/* 200 (or status) with record id and its timeline. */
int reply_record(struct req *r, unsigned status, int64_t id);

/* api_loop.c: lifecycle, collaboration, teams, routing rules, SLA */
/* 409 {"error":{...,"from","to","allowed":[...]}}; from NULL: read the case's status now. */
int reply_illegal_transition(struct req *r, int64_t id, const char *from, const char *to,
                             const struct kerr *e);
int api_transition_post(struct req *r);
int api_transition_get(struct req *r);
int api_comment_post(struct req *r);
int api_comments_get(struct req *r);
int api_mentions_get(struct req *r);
int api_transfer_post(struct req *r);
int api_subtask_post(struct req *r);
int api_subtask_done(struct req *r);
int api_merge_post(struct req *r);
int api_link_post(struct req *r);
int api_case_get(struct req *r);
int api_case_sla_get(struct req *r);
int api_teams_get(struct req *r);
int api_teams_post(struct req *r);
int api_team_members_get(struct req *r);
int api_team_members_post(struct req *r);
int api_team_member_delete(struct req *r);
int api_user_duty_post(struct req *r);
int api_rules_get(struct req *r);
int api_rules_post(struct req *r);
int api_rule_put(struct req *r);
int api_rule_delete(struct req *r);
int api_routing_mode_put(struct req *r);
int api_sla_policies_get(struct req *r);
int api_sla_policies_post(struct req *r);
int api_sla_calendars_get(struct req *r);
int api_sla_calendars_post(struct req *r);

/* api_lifecycle.c */
int api_customer_erase(struct req *r);
int api_retention_get(struct req *r);
int api_retention_put(struct req *r);
int api_retention_run(struct req *r);

/* The list filters of GET /api/v1/feedback from the query; -1 after replying 400. */
int feedback_filter_from_query(struct req *r, struct store_filter *f);

/* api_reports.c */
int api_reports_list(struct req *r);
int api_reports_create(struct req *r);
int api_reports_file(struct req *r);
int api_report_schedules_list(struct req *r);
int api_report_schedules_put(struct req *r);
int api_reports_get(struct req *r);
int api_report_schedules_run(struct req *r);

/* api_export.c */
int api_feedback_export(struct req *r);

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
