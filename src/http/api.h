/* api.h: the API handlers, one file per resource; see routes.c. */
#ifndef KESU_API_H
#define KESU_API_H

#include "http/http.h"

/* api_system.c */
int api_healthz(struct req *r);
int api_metrics(struct req *r);
int api_openapi(struct req *r);

/* api_feedback.c */
int api_feedback_create(struct req *r);
int api_feedback_batch(struct req *r);
int api_feedback_list(struct req *r);
int api_feedback_get(struct req *r);
int api_feedback_patch(struct req *r);

#endif
