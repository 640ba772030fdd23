/* clock: instants, RFC 3339 parsing and formatting in the configured zone. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

static char zone_name[64] = "Asia/Shanghai";

int clock_set_zone(const char *name)
{
    char path[160];
    if (!name || !*name || strlen(name) >= sizeof(zone_name))
        return -1;
    /* Refuse names the system does not know instead of silently using UTC. */
    if (strcmp(name, "UTC") != 0) {
        snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
        FILE *f = fopen(path, "rb");
        if (!f)
            return -1;
        fclose(f);
    }
    snprintf(zone_name, sizeof(zone_name), "%s", name);
    setenv("TZ", name, 1);
    tzset();
    return 0;
}

const char *clock_zone(void)
{
    return zone_name;
}

int64_t clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int digits(const char *s, size_t len, size_t *pos, int n, int *out)
{
    int v = 0;
    if (*pos + (size_t)n > len)
        return -1;
    for (int i = 0; i < n; i++) {
        char c = s[*pos + (size_t)i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *pos += (size_t)n;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

int clock_parse(const char *s, size_t len, int64_t *ms)
{
    size_t p = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
    bool has_offset = false;
    int off_min = 0;
    struct tm tm;
    time_t t;

    if (digits(s, len, &p, 4, &y) || p >= len || s[p++] != '-' || digits(s, len, &p, 2, &mo) ||
        p >= len || s[p++] != '-' || digits(s, len, &p, 2, &d))
        return -1;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    if (p < len) {
        if (s[p] != 'T' && s[p] != 't' && s[p] != ' ')
            return -1;
        p++;
        if (digits(s, len, &p, 2, &h) || p >= len || s[p++] != ':' || digits(s, len, &p, 2, &mi))
            return -1;
        if (p < len && s[p] == ':') {
            p++;
            if (digits(s, len, &p, 2, &sec))
                return -1;
            if (p < len && s[p] == '.') {
                int scale = 100, nd = 0;
                p++;
                while (p < len && s[p] >= '0' && s[p] <= '9') {
                    if (nd++ < 3) {
                        frac += (s[p] - '0') * scale;
                        scale /= 10;
                    }
                    p++;
                }
                if (nd == 0)
                    return -1;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        if (p < len) {
            if (s[p] == 'Z' || s[p] == 'z') {
                has_offset = true;
                p++;
            } else if (s[p] == '+' || s[p] == '-') {
                int sign = s[p] == '-' ? -1 : 1, oh, om;
                p++;
                if (digits(s, len, &p, 2, &oh) || p >= len || s[p++] != ':' ||
                    digits(s, len, &p, 2, &om) || oh > 23 || om > 59)
                    return -1;
                has_offset = true;
                off_min = sign * (oh * 60 + om);
            }
        }
        if (p != len)
            return -1;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec > 59 ? 59 : sec;
    if (has_offset) {
        t = timegm(&tm) - (time_t)off_min * 60;
    } else {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    }
    *ms = (int64_t)t * 1000 + frac;
    return 0;
}

/* Reads up to max digits at s[*p]; at least one. */
static int num(const char *s, size_t len, size_t *p, int max, int *out, int *ndig)
{
    int v = 0, n = 0;
    while (*p < len && n < max && s[*p] >= '0' && s[*p] <= '9')
        v = v * 10 + (s[(*p)++] - '0'), n++;
    if (!n)
        return -1;
    *out = v;
    *ndig = n;
    return 0;
}

static bool skip(const char *s, size_t len, size_t *p, const char *lit)
{
    size_t n = strlen(lit);
    if (*p + n <= len && memcmp(s + *p, lit, n) == 0) {
        *p += n;
        return true;
    }
    return false;
}

int clock_parse_loose(const char *s, size_t len, int64_t *ms)
{
    int a, b, c, h = 0, mi = 0, sec = 0, na, nb, nc, nd, y, mo, d;
    size_t p = 0;
    char buf[96];

    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    if (clock_parse(s, len, ms) == 0)
        return 0;
    /* Unix time */
    if (len == 10 || len == 13) {
        int64_t v = 0;
        size_t i;
        for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            v = v * 10 + (s[i] - '0');
        if (i == len) {
            *ms = len == 10 ? v * 1000 : v;
            return 0;
        }
    }
    if (num(s, len, &p, 4, &a, &na) < 0)
        return -1;
    if (skip(s, len, &p, "年")) {
        if (num(s, len, &p, 2, &b, &nb) < 0 || !skip(s, len, &p, "月") ||
            num(s, len, &p, 2, &c, &nc) < 0 || !(skip(s, len, &p, "日") || skip(s, len, &p, "号")))
            return -1;
        y = a, mo = b, d = c;
    } else {
        char sep = p < len ? s[p] : 0;
        if (sep != '/' && sep != '-' && sep != '.')
            return -1;
        p++;
        if (num(s, len, &p, 2, &b, &nb) < 0 || p >= len || s[p] != sep)
            return -1;
        p++;
        if (num(s, len, &p, 4, &c, &nc) < 0)
            return -1;
        if (na == 4 && nc <= 2)
            y = a, mo = b, d = c;
        else if (na <= 2 && nc == 4)
            y = c, mo = b, d = a; /* day first, as Chinese and European exports write it */
        else
            return -1;
    }
    if (p < len) {
        if (s[p] != ' ' && s[p] != 'T')
            return -1;
        while (p < len && (s[p] == ' ' || s[p] == 'T'))
            p++;
        if (num(s, len, &p, 2, &h, &nd) < 0 || !(skip(s, len, &p, ":") || skip(s, len, &p, "：")) ||
            num(s, len, &p, 2, &mi, &nd) < 0)
            return -1;
        if ((skip(s, len, &p, ":") || skip(s, len, &p, "：")) && num(s, len, &p, 2, &sec, &nd) < 0)
            return -1;
        if (p != len)
            return -1;
    }
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 ||
        sec > 59)
        return -1;
    /* the same instant clock_parse gives for the zone-less ISO form */
    snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, sec);
    return clock_parse(buf, strlen(buf), ms);
}

/*
 * The zone's UTC offset at t. localtime_r takes a process-wide lock, so the
 * offset is kept per thread for the 15-minute window around t (zone changes
 * fall on such boundaries).
 */
static long utc_offset_s(time_t t)
{
    static __thread time_t win = -1;
    static __thread long off;
    time_t w = t - (t % 900);
    if (w != win) {
        struct tm tm;
        localtime_r(&t, &tm);
        off = tm.tm_gmtoff;
        win = w;
    }
    return off;
}

/* clock_format by gmtime_r and snprintf, for years outside 0000..9999. */
static char *format_slow(time_t t, int frac, long off, char out[CLOCK_FMT_MAX])
{
    struct tm tm;
    char sign;
    char buf[160]; /* room for any int the compiler imagines */
    time_t local = t + off;

    gmtime_r(&local, &tm);
    off /= 60;
    sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    if (frac)
        snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 frac, sign, off / 60, off % 60);
    else
        snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 60,
                 off % 60);
    snprintf(out, CLOCK_FMT_MAX, "%.39s", buf);
    return out;
}

/* Writes v as exactly n decimal digits (v in range). */
static char *put_digits(char *o, long v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + n;
}

/*
 * Formats by hand: the snprintf calls it replaces were ~5,000 instructions
 * per time, and a reply carries three or more. Days to a civil date by
 * Howard Hinnant's algorithm (proleptic Gregorian).
 */
char *clock_format(int64_t ms, char out[CLOCK_FMT_MAX])
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)t * 1000);
    long off = utc_offset_s(t);
    int64_t local = (int64_t)t + off;
    int64_t days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
    long sod = (long)(local - days * 86400);
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = (long)(z - era * 146097);
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    char *o = out;

    if (y < 0 || y > 9999) /* outside what four digits hold: the general way */
        return format_slow(t, frac, off, out);
    o = put_digits(o, (long)y, 4);
    *o++ = '-';
    o = put_digits(o, m, 2);
    *o++ = '-';
    o = put_digits(o, d, 2);
    *o++ = 'T';
    o = put_digits(o, sod / 3600, 2);
    *o++ = ':';
    o = put_digits(o, sod / 60 % 60, 2);
    *o++ = ':';
    o = put_digits(o, sod % 60, 2);
    if (frac) {
        *o++ = '.';
        o = put_digits(o, frac, 3);
    }
    off /= 60;
    *o++ = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    o = put_digits(o, off / 60 % 100, 2);
    *o++ = ':';
    o = put_digits(o, off % 60, 2);
    *o = 0;
    return out;
}

/* ---- local days (rollups, reports) ------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t clock_local_day(int64_t ms, int *hour)
{
    time_t t = (time_t)floor_div(ms, 1000);
    int64_t local = (int64_t)t + utc_offset_s(t);
    int64_t day = floor_div(local, 86400);
    if (hour)
        *hour = (int)((local - day * 86400) / 3600);
    return day;
}

int64_t clock_day_start(int64_t day)
{
    /* the offset at that instant, found in two steps (zones change offset rarely) */
    int64_t t = day * 86400 - utc_offset_s((time_t)(day * 86400));
    t = day * 86400 - utc_offset_s((time_t)t);
    return t * 1000;
}

int clock_day_weekday(int64_t day)
{
    /* 1970-01-01 was a Thursday (4) */
    int64_t w = (day + 3) % 7;
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

void clock_day_ymd(int64_t day, int *y, int *m, int *d)
{
    /* Howard Hinnant's civil_from_days */
    int64_t z = day + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

int64_t clock_ymd_day(int y, int m, int d)
{
    int64_t yy = y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

char *clock_day_str(int64_t day, char *out)
{
    int y, m, d;
    clock_day_ymd(day, &y, &m, &d);
    char buf[64];
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y % 10000, m % 100, d % 100);
    memcpy(out, buf, 11);
    return out;
}
