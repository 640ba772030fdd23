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

char *clock_format(int64_t ms, char out[CLOCK_FMT_MAX])
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)t * 1000);
    struct tm tm;
    long off;
    char sign;
    char buf[160]; /* room for any int the compiler imagines */

    off = utc_offset_s(t);
    {
        time_t local = t + off;
        gmtime_r(&local, &tm);
    }
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
