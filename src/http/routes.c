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
    {"GET", "/api/v1/feedback/export", api_feedback_export, AUTH_KEY, "export:run",
     "Export every complaint matching the list filters as CSV or xlsx (streamed, audited)"},
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
    {"GET", "/api/v1/stats/volume", api_stats_volume, AUTH_KEY, "stats:read",
     "Complaint volume by a dimension over day/week/month buckets, with period changes"},
    {"GET", "/api/v1/stats/pareto", api_stats_pareto, AUTH_KEY, "stats:read",
     "Pareto of a dimension: sorted counts, cumulative share, the 80% line"},
    {"GET", "/api/v1/stats/crosstab", api_stats_crosstab, AUTH_KEY, "stats:read",
     "Cross-tabulation of two dimensions with shares and lift"},
    {"GET", "/api/v1/stats/satisfaction", api_stats_satisfaction, AUTH_KEY, "stats:read",
     "CSAT, NPS and satisfaction with handling from surveys"},
    {"GET", "/api/v1/stats/sla", api_stats_sla, AUTH_KEY, "stats:read", "SLA compliance"},
    {"GET", "/api/v1/stats/handling", api_stats_handling, AUTH_KEY, "stats:read",
     "Handling metrics: FCR, times, reopen, repeat, negative and duplicate shares, per orders"},
    {"GET", "/api/v1/stats/heatmap", api_stats_heatmap, AUTH_KEY, "stats:read",
     "Complaints by weekday and hour"},
    {"GET", "/api/v1/stats/staff", api_stats_staff, AUTH_KEY, "stats:read",
     "Staff performance per agent and team (others' rows need stats:staff)"},
    {"GET", "/api/v1/reports", api_reports_list, AUTH_KEY, "reports:read",
     "Reports written (by schedules or on demand)"},
    {"POST", "/api/v1/reports", api_reports_create, AUTH_KEY, "reports:manage",
     "Write a daily, weekly or monthly report (HTML or xlsx) now"},
    {"GET", "/api/v1/reports/schedules", api_report_schedules_list, AUTH_KEY, "reports:read",
     "Report schedules run by the server"},
    {"POST", "/api/v1/reports/schedules", api_report_schedules_put, AUTH_KEY, "reports:manage",
     "Create or change a report schedule (cron)"},
    {"GET", "/api/v1/reports/{id}/file", api_reports_file, AUTH_KEY, "reports:read",
     "Download a report's file"},
    {"GET", "/api/v1/qr", api_qr, AUTH_KEY, "feedback:read", "A QR code (SVG or PNG) for a link"},
    {"GET", "/f/status/{receipt}", api_form_status, AUTH_NONE, NULL,
     "Public: the status behind a form receipt"},
    {"GET", "/f/{form}", api_form_get, AUTH_NONE, NULL, "Public: the feedback form"},
    {"POST", "/f/{form}", api_form_post, AUTH_NONE, NULL, "Public: send the feedback form"},
};
const size_t nroutes = sizeof(routes) / sizeof(routes[0]);
