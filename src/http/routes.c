/*
 * routes.c: the route table, the one place that says which URL does what.
 *
 * How to add an endpoint:
 *   1. write the handler in api_<resource>.c (declared in api.h);
 *   2. add a row here: method, pattern ({name} captures a segment), handler,
 *      authentication, permission, one-line summary;
 *   3. describe it in docs/openapi.json (a unit test checks every row is there);
 *   4. add API tests in tests/api/.
 */
#include "http/api.h"
#include "http/http.h"

const struct route routes[] = {
    {"GET", "/healthz", api_healthz, AUTH_NONE, NULL, "Liveness and store check"},
    {"GET", "/metrics", api_metrics, AUTH_NONE, NULL, "Prometheus metrics"},
    {"GET", "/api/v1/openapi.json", api_openapi, AUTH_NONE, NULL, "This API's OpenAPI document"},
    {"POST", "/api/v1/feedback", api_feedback_create, AUTH_KEY, "feedback:create",
     "Store one feedback record"},
    {"POST", "/api/v1/feedback/batch", api_feedback_batch, AUTH_KEY, "feedback:create",
     "Store up to 1,000 records atomically"},
    {"GET", "/api/v1/feedback", api_feedback_list, AUTH_KEY, "feedback:read",
     "List and search records"},
    {"GET", "/api/v1/feedback/{id}", api_feedback_get, AUTH_KEY, "feedback:read",
     "One record with its timeline"},
    {"PATCH", "/api/v1/feedback/{id}", api_feedback_patch, AUTH_KEY, "feedback:update",
     "Change status, assignee, team, category, severity or priority"},
    {"POST", "/api/v1/hooks/{source}", api_hook, AUTH_SIGNED, "feedback:create",
     "A third-party platform's webhook (HMAC-signed, mapped by configuration)"},
    {"POST", "/api/v1/devices/events", api_device_events_post, AUTH_KEY, "feedback:create",
     "Device fault events; repeated faults become one complaint"},
    {"GET", "/api/v1/devices/{device}/events", api_device_events_get, AUTH_KEY, "feedback:read",
     "A device's recent fault events"},
    {"GET", "/api/v1/quality", api_quality, AUTH_KEY, "quality:read",
     "Data-quality report of intake per channel and period"},
    {"GET", "/api/v1/qr", api_qr, AUTH_KEY, "feedback:read", "A QR code (SVG or PNG) for a link"},
    {"GET", "/api/v1/alerts/rules", api_alert_rules_list, AUTH_KEY, "alerts:read", "Alert rules"},
    {"POST", "/api/v1/alerts/rules", api_alert_rules_create, AUTH_KEY, "alerts:manage",
     "Create an alert rule"},
    {"GET", "/api/v1/alerts/rules/{id}", api_alert_rules_get, AUTH_KEY, "alerts:read",
     "One alert rule"},
    {"PATCH", "/api/v1/alerts/rules/{id}", api_alert_rules_update, AUTH_KEY, "alerts:manage",
     "Change an alert rule"},
    {"DELETE", "/api/v1/alerts/rules/{id}", api_alert_rules_delete, AUTH_KEY, "alerts:manage",
     "Delete an alert rule (its open alerts resolve)"},
    {"GET", "/api/v1/alerts/receivers", api_alert_receivers_list, AUTH_KEY, "alerts:read",
     "Alert receivers (webhook, DingTalk, WeCom, Feishu, e-mail)"},
    {"POST", "/api/v1/alerts/receivers", api_alert_receivers_create, AUTH_KEY, "alerts:manage",
     "Create an alert receiver"},
    {"GET", "/api/v1/alerts/receivers/{id}", api_alert_receivers_get, AUTH_KEY, "alerts:read",
     "One alert receiver"},
    {"PATCH", "/api/v1/alerts/receivers/{id}", api_alert_receivers_update, AUTH_KEY,
     "alerts:manage", "Change an alert receiver"},
    {"DELETE", "/api/v1/alerts/receivers/{id}", api_alert_receivers_delete, AUTH_KEY,
     "alerts:manage", "Delete an alert receiver"},
    {"POST", "/api/v1/alerts/evaluate", api_alerts_evaluate, AUTH_KEY, "system:admin",
     "Evaluate every alert rule now, or at a given instant (administration, tests)"},
    {"GET", "/api/v1/alerts", api_alerts_list, AUTH_KEY, "alerts:read",
     "Alerts (episodes), newest first, by state"},
    {"GET", "/api/v1/alerts/{id}", api_alerts_get, AUTH_KEY, "alerts:read",
     "One alert with its metric series, baseline and deliveries"},
    {"POST", "/api/v1/alerts/{id}/ack", api_alerts_ack, AUTH_KEY, "alerts:manage",
     "Acknowledge an open alert"},
    {"GET", "/f/status/{receipt}", api_form_status, AUTH_NONE, NULL,
     "Public: the status behind a form receipt"},
    {"GET", "/f/{form}", api_form_get, AUTH_NONE, NULL, "Public: the feedback form"},
    {"POST", "/f/{form}", api_form_post, AUTH_NONE, NULL, "Public: send the feedback form"},
};
const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
