/*
 * calendar: business calendars for SLA arithmetic. A calendar is data
 * (docs/calendars/NAME.json or the sla_calendars table): the working days of
 * the week, working hours (one or more spans a day), public holidays and
 * adjusted working days (调休: a Saturday or Sunday that is worked), and a
 * fixed UTC offset (Asia/Shanghai has no daylight saving time; zones with
 * DST would need one calendar per offset period). Pure: no I/O. Times are
 * unix seconds.
 *
 * {"name":"cn-2026","utc_offset":"+08:00","weekdays":[1,2,3,4,5],
 *  "hours":[["09:00","12:00"],["13:00","18:00"]],
 *  "holidays":["2026-01-01",...],"workdays":["2026-01-04",...]}
 */
#ifndef KESU_CALENDAR_H
#define KESU_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define CALENDAR_SPANS_MAX 8
/* A due time that never comes (a calendar without working time). */
#define CALENDAR_NEVER INT64_MAX

struct calendar {
    char name[64];
    int offset;        /* seconds east of UTC */
    unsigned weekdays; /* bit d set: ISO weekday d (1 Monday .. 7 Sunday) is worked */
    int nspans;
    int span[CALENDAR_SPANS_MAX][2]; /* [start, end) seconds after local midnight */
    int32_t *holidays, *workdays;    /* local day numbers (days since 1970-01-01), sorted */
    size_t nholidays, nworkdays;
};

/* Parses the JSON form. Caller frees with calendar_free. Errors name the field. */
int calendar_parse(const char *json, size_t len, struct calendar **out, struct kerr *err);
/* Round the clock, every day ("24x7"). Caller frees with calendar_free. */
struct calendar *calendar_24x7(void);
void calendar_free(struct calendar *cal);

/* Local day number of unix time t, and whether that day is worked. */
int32_t calendar_day(const struct calendar *cal, int64_t t);
bool calendar_is_workday(const struct calendar *cal, int32_t day);
/* The instant when secs of working time have passed after start (CALENDAR_NEVER if never). */
int64_t calendar_add(const struct calendar *cal, int64_t start, int64_t secs);
/* Working seconds in [a, b). */
int64_t calendar_between(const struct calendar *cal, int64_t a, int64_t b);

#endif
