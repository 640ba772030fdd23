/*
 * calendar.c: business-time arithmetic over working days and hours. Both
 * calendar_add and calendar_between walk day by day from the start, so the
 * cost is the number of calendar days covered (a resolution target of ten
 * working days over the Spring Festival walks about three weeks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/xmalloc.h"
#include "loop/calendar.h"
#include "base/banned.h"

#define DAY 86400
/* Give up looking for working time after this many days without any. */
#define SEARCH_DAYS_MAX 3700

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int32_t calendar_day(const struct calendar *cal, int64_t t)
{
    return (int32_t)floor_div(t + cal->offset, DAY);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static bool in_sorted(const int32_t *v, size_t n, int32_t day)
{
    return n && bsearch(&day, v, n, sizeof(*v), cmp_i32) != NULL;
}

bool calendar_is_workday(const struct calendar *cal, int32_t day)
{
    int iso = (int)(((int64_t)day + 3) % 7); /* 1970-01-01 was a Thursday (ISO 4) */
    if (iso < 0)
        iso += 7;
    iso += 1;
    if (in_sorted(cal->workdays, cal->nworkdays, day))
        return true;
    if (in_sorted(cal->holidays, cal->nholidays, day))
        return false;
    return (cal->weekdays >> iso) & 1u;
}

int64_t calendar_add(const struct calendar *cal, int64_t start, int64_t secs)
{
    int64_t day = calendar_day(cal, start);
    int64_t sod = start + cal->offset - day * DAY;
    int idle = 0;

    if (secs <= 0)
        return start;
    for (;;) {
        bool worked = false;
        if (calendar_is_workday(cal, (int32_t)day)) {
            for (int i = 0; i < cal->nspans; i++) {
                int64_t s = cal->span[i][0], e = cal->span[i][1];
                if (sod >= e)
                    continue;
                int64_t begin = sod > s ? sod : s, avail = e - begin;
                worked = true;
                if (secs <= avail)
                    return day * DAY + begin + secs - cal->offset;
                secs -= avail;
                sod = e;
            }
        }
        idle = worked ? 0 : idle + 1;
        if (idle > SEARCH_DAYS_MAX)
            return CALENDAR_NEVER;
        day++;
        sod = 0;
    }
}

int64_t calendar_between(const struct calendar *cal, int64_t a, int64_t b)
{
    int64_t total = 0;
    if (b <= a)
        return 0;
    for (int64_t day = calendar_day(cal, a); day <= calendar_day(cal, b - 1); day++) {
        int64_t base = day * DAY - cal->offset;
        if (!calendar_is_workday(cal, (int32_t)day))
            continue;
        for (int i = 0; i < cal->nspans; i++) {
            int64_t s = base + cal->span[i][0], e = base + cal->span[i][1];
            if (s < a)
                s = a;
            if (e > b)
                e = b;
            if (e > s)
                total += e - s;
        }
    }
    return total;
}

/* ---- parsing ---------------------------------------------------------------- */

/* "HH:MM" (00:00 .. 24:00) to seconds; -1 when malformed. */
static int parse_hhmm(const char *s)
{
    int h, m;
    char tail;
    if (!s || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || m < 0 || m > 59 || h > 24 ||
        (h == 24 && m != 0))
        return -1;
    return h * 3600 + m * 60;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int parse_date(const char *s, int32_t *out)
{
    int y, m, d;
    char tail;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || y < 1970 || y > 9999 || m < 1 ||
        m > 12 || d < 1 || d > mdays[m - 1])
        return -1;
    *out = (int32_t)days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

static int parse_offset(const char *s, int *out)
{
    int h, m;
    char sign, tail;
    if (!s)
        return -1;
    if (strcmp(s, "Z") == 0) {
        *out = 0;
        return 0;
    }
    if (sscanf(s, "%c%2d:%2d%c", &sign, &h, &m, &tail) != 3 || (sign != '+' && sign != '-') ||
        h > 14 || m > 59 || h < 0 || m < 0)
        return -1;
    *out = (sign == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return 0;
}

static int parse_days(const cJSON *arr, const char *field, int32_t **out, size_t *n,
                      struct kerr *err)
{
    const cJSON *v;
    size_t k = 0;
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return kerr_set(err, KERR_INVALID, "invalid_type", field, "%s must be an array of dates",
                        field);
    *out = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(**out));
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsString(v) || parse_date(v->valuestring, &(*out)[k]) < 0)
            return kerr_set(err, KERR_INVALID, "invalid_value", field,
                            "%s[%zu] is not a date YYYY-MM-DD", field, k);
        k++;
    }
    qsort(*out, k, sizeof(**out), cmp_i32);
    *n = k;
    return 0;
}

static int parse_hours(const cJSON *hours, struct calendar *cal, struct kerr *err)
{
    const cJSON *span;
    if (!cJSON_IsArray(hours) || cJSON_GetArraySize(hours) < 1 ||
        cJSON_GetArraySize(hours) > CALENDAR_SPANS_MAX)
        return kerr_set(err, KERR_INVALID, "invalid_value", "hours",
                        "hours must be 1 to %d spans [\"HH:MM\",\"HH:MM\"]", CALENDAR_SPANS_MAX);
    cJSON_ArrayForEach(span, hours)
    {
        int s = parse_hhmm(cJSON_GetStringValue(cJSON_GetArrayItem(span, 0)));
        int e = parse_hhmm(cJSON_GetStringValue(cJSON_GetArrayItem(span, 1)));
        int prev_end = cal->nspans ? cal->span[cal->nspans - 1][1] : 0;
        if (!cJSON_IsArray(span) || cJSON_GetArraySize(span) != 2 || s < 0 || e <= s ||
            s < prev_end)
            return kerr_set(err, KERR_INVALID, "invalid_value", "hours",
                            "hours[%d] must be [\"HH:MM\",\"HH:MM\"], later than the span before",
                            cal->nspans);
        cal->span[cal->nspans][0] = s;
        cal->span[cal->nspans][1] = e;
        cal->nspans++;
    }
    return 0;
}

int calendar_parse(const char *json, size_t len, struct calendar **out, struct kerr *err)
{
    cJSON *j = cJSON_ParseWithLength(json, len);
    struct calendar *cal = xcalloc(1, sizeof(*cal));
    const cJSON *v;
    int rc = 0;

    *out = NULL;
    if (!cJSON_IsObject(j)) {
        rc = kerr_set(err, KERR_INVALID, "invalid_json", NULL, "a calendar is a JSON object");
        goto out;
    }
    v = cJSON_GetObjectItemCaseSensitive(j, "name");
    if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) >= sizeof(cal->name)) {
        rc = kerr_set(err, KERR_INVALID, "missing_field", "name", "name: 1 to 63 bytes");
        goto out;
    }
    snprintf(cal->name, sizeof(cal->name), "%s", v->valuestring);
    v = cJSON_GetObjectItemCaseSensitive(j, "utc_offset");
    if (parse_offset(cJSON_GetStringValue(v), &cal->offset) < 0) {
        rc = kerr_set(err, KERR_INVALID, "invalid_value", "utc_offset",
                      "utc_offset must be like \"+08:00\"");
        goto out;
    }
    v = cJSON_GetObjectItemCaseSensitive(j, "weekdays");
    if (!cJSON_IsArray(v)) {
        rc = kerr_set(err, KERR_INVALID, "invalid_value", "weekdays",
                      "weekdays must be an array of ISO weekdays 1 (Monday) to 7");
        goto out;
    }
    for (const cJSON *d = v->child; d; d = d->next) {
        if (!cJSON_IsNumber(d) || d->valueint < 1 || d->valueint > 7) {
            rc = kerr_set(err, KERR_INVALID, "invalid_value", "weekdays",
                          "weekdays must be an array of ISO weekdays 1 (Monday) to 7");
            goto out;
        }
        cal->weekdays |= 1u << d->valueint;
    }
    if ((rc = parse_hours(cJSON_GetObjectItemCaseSensitive(j, "hours"), cal, err)) < 0 ||
        (rc = parse_days(cJSON_GetObjectItemCaseSensitive(j, "holidays"), "holidays",
                         &cal->holidays, &cal->nholidays, err)) < 0 ||
        (rc = parse_days(cJSON_GetObjectItemCaseSensitive(j, "workdays"), "workdays",
                         &cal->workdays, &cal->nworkdays, err)) < 0)
        goto out;
out:
    cJSON_Delete(j);
    if (rc < 0)
        calendar_free(cal);
    else
        *out = cal;
    return rc;
}

struct calendar *calendar_24x7(void)
{
    struct calendar *cal = xcalloc(1, sizeof(*cal));
    snprintf(cal->name, sizeof(cal->name), "24x7");
    cal->weekdays = 0xFEu;
    cal->nspans = 1;
    cal->span[0][1] = DAY;
    return cal;
}

void calendar_free(struct calendar *cal)
{
    if (!cal)
        return;
    free(cal->holidays);
    free(cal->workdays);
    free(cal);
}
