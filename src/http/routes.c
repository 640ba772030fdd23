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
    {"POST", "/api/v1/feedback/{id}/reveal", api_feedback_reveal, AUTH_KEY, "pii:reveal",
     "The personal data masked in a record, with a reason (audited)"},
    {"POST", "/api/v1/hooks/{source}", api_hook, AUTH_SIGNED, "feedback:create",
     "A third-party platform's webhook (HMAC-signed, mapped by configuration)"},
    {"POST", "/api/v1/devices/events", api_device_events_post, AUTH_KEY, "feedback:create",
     "Device fault events; repeated faults become one complaint"},
    {"GET", "/api/v1/devices/{device}/events", api_device_events_get, AUTH_KEY, "feedback:read",
     "A device's recent fault events"},
    {"GET", "/api/v1/quality", api_quality, AUTH_KEY, "quality:read",
     "Data-quality report of intake per channel and period"},
    {"GET", "/api/v1/qr", api_qr, AUTH_KEY, "feedback:read", "A QR code (SVG or PNG) for a link"},
    {"POST", "/api/v1/auth/login", api_auth_login, AUTH_NONE, NULL,
     "Sign in with username and password; sets the session cookie"},
    {"POST", "/api/v1/auth/logout", api_auth_logout, AUTH_KEY, NULL, "End this session"},
    {"GET", "/api/v1/auth/me", api_auth_me, AUTH_KEY, NULL,
     "The signed-in user (or API key), permissions and CSRF token"},
    {"POST", "/api/v1/auth/password", api_auth_password, AUTH_KEY, NULL,
     "Change your own password"},
    {"GET", "/api/v1/users", api_users_list, AUTH_KEY, "users:manage", "List users"},
    {"POST", "/api/v1/users", api_users_create, AUTH_KEY, "users:manage", "Create a user"},
    {"GET", "/api/v1/users/{id}", api_users_get, AUTH_KEY, "users:manage", "One user"},
    {"PATCH", "/api/v1/users/{id}", api_users_patch, AUTH_KEY, "users:manage",
     "Change a user's name, role, e-mail, disabled flag, or unlock them"},
    {"POST", "/api/v1/users/{id}/password", api_users_password, AUTH_KEY, "users:manage",
     "Reset a user's password (ends their sessions)"},
    {"GET", "/api/v1/roles", api_roles_list, AUTH_KEY, "users:manage",
     "Built-in and custom roles, and every permission"},
    {"POST", "/api/v1/roles", api_roles_put, AUTH_KEY, "users:manage",
     "Define or change a custom role from permissions and a data scope"},
    {"GET", "/f/status/{receipt}", api_form_status, AUTH_NONE, NULL,
     "Public: the status behind a form receipt"},
    {"GET", "/f/{form}", api_form_get, AUTH_NONE, NULL, "Public: the feedback form"},
    {"POST", "/f/{form}", api_form_post, AUTH_NONE, NULL, "Public: send the feedback form"},
};
const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
