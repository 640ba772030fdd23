/*
 * report.h: daily, weekly and monthly reports (one template per period):
 * headline metrics with their change, the trend, top categories and the
 * Pareto, top keywords, SLA breaches, the staff table, and the alerts and
 * improvement actions when those modules' tables exist. Rendered as one
 * self-contained HTML file (inline SVG charts, printable, all text escaped)
 * or as an .xlsx workbook (one sheet per table, real number and date cells).
 */
#ifndef KESU_INSIGHT_REPORT_H
#define KESU_INSIGHT_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "store/db.h"

/* The local days [*day0, *day1] of the period (day, week Mon-Sun, month) holding day. */
int report_period(const char *period, int64_t day, int64_t *day0, int64_t *day1, struct kerr *err);
/* A day inside the last complete period before now (yesterday, last week, last month). */
int64_t report_default_day(const char *period, int64_t now_ms);

/*
 * Writes the report of [day0, day1] to path (format html or xlsx); *bytes its size. With
 * summary, also appends its headline figures as JSON: {"title","period","from","to",
 * "headlines":[{"name","en","value","previous","text","change"}]} (value and previous null
 * when unknown; text and change as the report prints them).
 */
int report_write(struct store *s, const char *period, int64_t day0, int64_t day1,
                 const char *format, const char *path, int64_t *bytes, struct strbuf *summary,
                 struct kerr *err);

/*
 * Builds the report into dir (named kesu-<period>-<first day>.<format>),
 * records it in the reports table with its summary and returns its id. With
 * recipients in to (NULL: none), queues a delivery to each in the same
 * transaction (sent by insight/reportsend.h).
 */
int report_generate(struct store *s, const char *dir, const char *period, int64_t day,
                    const char *format, const char *actor, int64_t schedule_id,
                    const struct store_report_to *to, int64_t *id, struct kerr *err);

/*
 * Cron expressions: five fields (minute hour day-of-month month day-of-week,
 * Sunday 0 or 7), each a star, N, N-M, lists and star/step. Returns 0 or an error.
 */
struct cron {
    uint64_t min;
    uint32_t hour, dom;
    uint16_t mon;
    uint8_t dow;
    bool dom_any, dow_any;
};
int cron_parse(const char *expr, struct cron *out, struct kerr *err);
/* The first time (unix seconds, local zone) matching c that is > after. 0 when none in 5 years. */
int64_t cron_next(const struct cron *c, int64_t after);

#endif
