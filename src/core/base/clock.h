/*
 * clock: kesu's notion of time. Instants are int64 milliseconds since the
 * Unix epoch (UTC). Text is RFC 3339 with an offset; the display zone is the
 * process zone, set once at start-up with clock_set_zone() (default
 * Asia/Shanghai) before any thread starts.
 */
#ifndef KESU_CLOCK_H
#define KESU_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define CLOCK_FMT_MAX 40

/* Sets the zone used to format instants and to read times written without an offset. */
int clock_set_zone(const char *name);
const char *clock_zone(void);

int64_t clock_now_ms(void);
/* Monotonic microseconds, for measuring durations. */
int64_t clock_mono_us(void);

/*
 * Parses RFC 3339 ("2026-11-22T13:45:00+08:00", "…Z", fractional seconds
 * allowed, 'T' or a space between date and time) and, read in the configured
 * zone, "YYYY-MM-DD HH:MM[:SS]" and "YYYY-MM-DD". Returns 0 and stores the
 * instant, or -1 when s is not such a time or names an impossible date.
 */
int clock_parse(const char *s, size_t len, int64_t *ms);

/*
 * Also reads the forms exports and people write, in the configured zone:
 * "2025年6月25日 09:33[:19]", "2025年6月25日", "2025/6/25[ 9:33[:19]]",
 * "2025.6.25", "2025-6-25 9:33", "25-06-2025 09:33:19" and "25/06/2025"
 * (day first when the first number has two digits and the last four), and
 * Unix time as digits: 10 digits seconds, 13 digits milliseconds. Tries
 * clock_parse first. Returns 0 or -1 like it.
 */
int clock_parse_loose(const char *s, size_t len, int64_t *ms);

/* Formats ms as RFC 3339 in the configured zone into out; returns out. */
char *clock_format(int64_t ms, char out[CLOCK_FMT_MAX]);

/*
 * The local calendar day of ms in the configured zone, as days since
 * 1970-01-01 (local), and the local hour (0..23) into *hour when not NULL.
 */
int64_t clock_local_day(int64_t ms, int *hour);
/* The instant (ms) of local midnight starting day (days since 1970-01-01). */
int64_t clock_day_start(int64_t day);
/* Weekday of a local day: 1 Monday .. 7 Sunday. */
int clock_day_weekday(int64_t day);
/* Civil date of a day number, and back (proleptic Gregorian). */
void clock_day_ymd(int64_t day, int *y, int *m, int *d);
int64_t clock_ymd_day(int y, int m, int d);
/* "YYYY-MM-DD" of a local day into out (at least 11 bytes); returns out. */
char *clock_day_str(int64_t day, char *out);

#endif
