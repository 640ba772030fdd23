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

/* api_feedback.c */
int api_feedback_create(struct req *r);
int api_feedback_batch(struct req *r);
int api_feedback_list(struct req *r);
int api_feedback_get(struct req *r);
int api_feedback_patch(struct req *r);
/* The list filters of GET /api/v1/feedback from the query; -1 after replying 400. */
int feedback_filter_from_query(struct req *r, struct store_filter *f);

/* api_reports.c */
int api_reports_list(struct req *r);
int api_reports_create(struct req *r);
int api_reports_file(struct req *r);
int api_report_schedules_list(struct req *r);
int api_report_schedules_put(struct req *r);

/* api_export.c */
int api_feedback_export(struct req *r);

#endif
