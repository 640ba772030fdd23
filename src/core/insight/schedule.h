/*
 * schedule.h: the report scheduler inside kesu serve. A thread wakes every
 * few seconds, and for each enabled schedule (table report_schedules) whose
 * latest cron occurrence up to now is newer than the one handled, claims it
 * in the database (so a restart, or a second server on the same store, never
 * runs it twice) and writes the report of the period before it into dir,
 * queueing its deliveries to the schedule's recipients (insight/reportsend.h).
 * Missed occurrences while the server was down collapse into the latest one.
 */
#ifndef KESU_INSIGHT_SCHEDULE_H
#define KESU_INSIGHT_SCHEDULE_H

#include <stdint.h>

#include "base/error.h"
#include "store/db.h"

struct scheduler;
int scheduler_start(struct store *s, const char *dir, struct scheduler **out, struct kerr *err);
/* Runs every due schedule once, now (the thread's tick; tests). Returns reports written. */
int scheduler_tick(struct store *s, const char *dir, int64_t now_ms);
void scheduler_stop(struct scheduler *sc);

#endif
