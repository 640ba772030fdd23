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

#endif
