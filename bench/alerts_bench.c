/*
 * alerts_bench.c: evaluates the spike detectors (src/core/insight/spike.c)
 * on generated daily complaint series: clean series (weekday seasonality,
 * a yearly trend, over-dispersed counts) for false alarms, and the same
 * series with injected spikes for detection rate and delay, with daily
 * periods (the default) and weekly ones (params.period "week", for thin
 * series). Fixed seeds: the figures are the same on every run and machine
 * (not a timing).
 *
 *   build/bench/alerts_bench [--series N]   prints a Markdown section
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "insight/spike.h"
#include "base/banned.h"

#define HIST  56
#define EVAL  365
#define NDAYS (HIST + EVAL)
/* weekly rules: 26 weeks of history, then a year of weeks */
#define WHIST 26
#define WEVAL 52
#define WDAYS ((WHIST + WEVAL) * 7)

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unif(void)
{
    return ((rng_next() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double normal(void)
{
    return sqrt(-2 * log(unif())) * cos(6.283185307179586 * unif());
}

/* Marsaglia-Tsang, shape >= 1 */
static double gamma_rv(double shape)
{
    double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = normal(), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = unif();
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v;
    }
}

static double poisson(double mu)
{
    if (mu > 500) {
        double x = floor(mu + sqrt(mu) * normal() + 0.5);
        return x < 0 ? 0 : x;
    }
    /* multiply uniforms in chunks to stay away from underflow */
    double k = 0;
    while (mu > 30) {
        double l = exp(-30), p = 1;
        int n = 0;
        do {
            n++;
            p *= unif();
        } while (p > l);
        k += n - 1;
        mu -= 30;
    }
    double l = exp(-mu), p = 1;
    int n = 0;
    do {
        n++;
        p *= unif();
    } while (p > l);
    return k + n - 1;
}

struct series {
    double mean[WDAYS]; /* expected count per day without spike */
    double x[WDAYS];
    int phase0;
};

/* A clean series: level in [lo, hi) (log-uniform), weekday profile, trend, dispersion. */
static void make_series_n(struct series *s, double lo, double hi, double cv, int ndays)
{
    static const double profile[7] = {1.15, 1.1, 1.05, 1.0, 1.0, 0.9, 0.8};
    double level = exp(log(lo) + unif() * (log(hi) - log(lo)));
    double growth = -0.3 + 0.6 * unif(), wd[7];
    for (int w = 0; w < 7; w++)
        wd[w] = profile[w] * (0.9 + 0.2 * unif());
    s->phase0 = (int)(rng_next() % 7);
    for (int i = 0; i < ndays; i++) {
        double m = level * (1 + growth * i / 365.0) * wd[(s->phase0 + i) % 7];
        s->mean[i] = m;
        double mult = cv > 0 ? gamma_rv(1 / (cv * cv)) * cv * cv : 1;
        s->x[i] = poisson(m * mult);
    }
}

static void make_series(struct series *s, double lo, double hi, double cv)
{
    make_series_n(s, lo, hi, cv, NDAYS);
}

static void respike(struct series *s, int day, int len, double factor, double cv)
{
    for (int i = day; i < day + len && i < WDAYS; i++) {
        double mult = cv > 0 ? gamma_rv(1 / (cv * cv)) * cv * cv : 1;
        s->x[i] = poisson(s->mean[i] * factor * mult);
    }
}

struct tally {
    long series_days, false_alarms;
    long spikes, caught0, caught1, delay_sum;
    double oracle; /* sum over spikes of the best same-day detection probability */
};

/* P(X >= t) for a gamma-Poisson (negative binomial) count of mean m and shape r. */
static double nb_tail(double m, double r, long t)
{
    double q = m / (r + m), pmf = exp(r * log(r / (r + m))), cdf = 0;
    for (long x = 0; x < t; x++) {
        cdf += pmf;
        pmf *= (x + r) / (x + 1) * q;
    }
    return cdf >= 1 ? 0 : 1 - cdf;
}

/* The best any detector can do on one day: it knows the day's true mean m, raises an alarm at
 * the smallest count t with P(X >= t | m) <= fa (fa false alarms per day), and catches a spike
 * of factor f with P(X >= t | f m). The counts are gamma-Poisson with the generator's CV. */
static double oracle_catch(double m, double f, double cv, double fa)
{
    double r = 1 / (cv * cv);
    long t = (long)m;
    while (nb_tail(m, r, t) > fa)
        t++;
    return nb_tail(f * m, r, t);
}

static void run_band(const struct spike_params *p, double lo, double hi, int nseries, double factor,
                     int len, struct tally *t, uint64_t seed)
{
    static struct series s;
    static struct spike_point pts[EVAL];
    rng_state = seed;
    memset(t, 0, sizeof *t);
    for (int k = 0; k < nseries; k++) {
        make_series(&s, lo, hi, 0.1);
        int day = -1;
        if (factor > 0) {
            day = HIST + 28 + (int)(rng_next() % (EVAL - 28 - len));
            respike(&s, day, len, factor, 0.1);
            t->oracle += oracle_catch(s.mean[day], factor, 0.1, 0.001);
        }
        spike_scan(s.x, NDAYS, s.phase0, HIST, p, pts);
        int first = -1;
        for (int i = HIST; i < NDAYS; i++) {
            bool in = day >= 0 && i >= day && i < day + len + 1;
            if (!pts[i - HIST].alarm)
                continue;
            if (in) {
                if (first < 0)
                    first = i;
            } else {
                t->false_alarms++;
            }
        }
        t->series_days += EVAL - (factor > 0 ? len + 1 : 0);
        if (factor > 0) {
            t->spikes++;
            if (first == day)
                t->caught0++;
            if (first >= 0 && first <= day + 1) {
                t->caught1++;
                t->delay_sum += first - day;
            }
        }
    }
}

/* Weekly periods: a spike of factor lasting one whole week (Monday to Sunday). */
static void run_band_weekly(double lo, double hi, int nseries, double factor, struct tally *t,
                            uint64_t seed)
{
    static struct series s;
    static struct spike_point pts[WEVAL];
    double wk[WHIST + WEVAL];
    struct spike_params p;
    spike_params_default(&p);
    p.history = WHIST;
    p.level = WHIST / 2;
    p.season = 1;
    rng_state = seed;
    memset(t, 0, sizeof *t);
    for (int k = 0; k < nseries; k++) {
        make_series_n(&s, lo, hi, 0.1, WDAYS);
        int week = -1;
        if (factor > 0) {
            week = WHIST + 4 + (int)(rng_next() % (WEVAL - 5));
            respike(&s, week * 7, 7, factor, 0.1);
        }
        for (int w = 0; w < WHIST + WEVAL; w++) {
            wk[w] = 0;
            for (int d = 0; d < 7; d++)
                wk[w] += s.x[w * 7 + d];
        }
        spike_scan(wk, WHIST + WEVAL, 0, WHIST, &p, pts);
        int first = -1;
        for (int w = WHIST; w < WHIST + WEVAL; w++) {
            bool in = week >= 0 && (w == week || w == week + 1);
            if (!pts[w - WHIST].alarm)
                continue;
            if (in) {
                if (first < 0)
                    first = w;
            } else {
                t->false_alarms++;
            }
        }
        t->series_days += 7 * (WEVAL - (factor > 0 ? 2 : 0));
        if (factor > 0) {
            t->spikes++;
            if (first == week)
                t->caught0++;
            if (first >= 0 && first <= week + 1) {
                t->caught1++;
                t->delay_sum += first - week;
            }
        }
    }
}

int main(int argc, char **argv)
{
    static const struct {
        double lo, hi;
        const char *name;
    } bands[] = {{5, 20, "5-20/day"},
                 {20, 50, "20-50/day"},
                 {50, 100, "50-100/day"},
                 {100, 400, "100-400/day"}};
    int nseries = 400;
    struct spike_params p;
    spike_params_default(&p);
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--series"))
            nseries = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--alpha"))
            p.alpha = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--cusum-h"))
            p.cusum_h = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--cusum-k"))
            p.cusum_k = strtod(argv[i + 1], NULL);
        else if (!strcmp(argv[i], "--min-ratio"))
            p.min_ratio = strtod(argv[i + 1], NULL);

    printf("Parameters: history %d days, level %d days, season %d, alpha %g, CUSUM k %.2f h %.1f,"
           " min count %d, min ratio %.2f.\n",
           p.history, p.level, p.season, p.alpha, p.cusum_k, p.cusum_h, p.min_count, p.min_ratio);
    printf("Series: %d per band and case, %d days of history then %d evaluated days, weekday "
           "profile, trend -30..+30 %%/year, gamma-Poisson counts (CV 0.1 of the daily mean).\n\n",
           nseries, HIST, EVAL);
    printf("| baseline | false alarms / 1,000 series-days (clean) | 2x one-day spike caught "
           "same day | 2x three-day spike caught within one day | mean delay (days) | "
           "1.5x three-day caught within one day | best possible same day, 2x (true mean known, 1 false "
           "alarm per 1,000 days) |\n|---|---|---|---|---|---|---|\n");
    for (size_t b = 0; b < sizeof bands / sizeof bands[0]; b++) {
        struct tally clean, one, three, mild;
        uint64_t seed = 1000 + b;
        run_band(&p, bands[b].lo, bands[b].hi, nseries, 0, 0, &clean, seed);
        run_band(&p, bands[b].lo, bands[b].hi, nseries, 2.0, 1, &one, seed + 100);
        run_band(&p, bands[b].lo, bands[b].hi, nseries, 2.0, 3, &three, seed + 200);
        run_band(&p, bands[b].lo, bands[b].hi, nseries, 1.5, 3, &mild, seed + 300);
        double fa = 1000.0 * clean.false_alarms / clean.series_days;
        double fa_all =
            1000.0 *
            (clean.false_alarms + one.false_alarms + three.false_alarms + mild.false_alarms) /
            (clean.series_days + one.series_days + three.series_days + mild.series_days);
        printf("| %s | %.2f (%.2f counting days outside spikes) | %.1f %% | %.1f %% | %.2f | "
               "%.1f %% | %.1f %% |\n",
               bands[b].name, fa, fa_all, 100.0 * one.caught0 / one.spikes,
               100.0 * three.caught1 / three.spikes,
               three.caught1 ? (double)three.delay_sum / three.caught1 : 0.0,
               100.0 * mild.caught1 / mild.spikes, 100.0 * one.oracle / one.spikes);
    }
    printf("\nWeekly rules (`params.period: \"week\"`: weekly counts, %d weeks of history, level %d"
           " weeks, no season), 2x spikes lasting one week:\n\n",
           WHIST, WHIST / 2);
    printf(
        "| baseline | false alarms / 1,000 series-days (%d weeks each) | 2x week caught that week"
        " | 1.5x week caught that week |\n|---|---|---|---|\n",
        WEVAL);
    static const struct {
        double lo, hi;
        const char *name;
    } thin[] = {{1, 3, "1-3/day"}, {3, 10, "3-10/day"}, {10, 20, "10-20/day"}};
    for (size_t b = 0; b < sizeof thin / sizeof thin[0]; b++) {
        struct tally clean, two, mild;
        run_band_weekly(thin[b].lo, thin[b].hi, nseries, 0, &clean, 2000 + b);
        run_band_weekly(thin[b].lo, thin[b].hi, nseries, 2.0, &two, 2100 + b);
        run_band_weekly(thin[b].lo, thin[b].hi, nseries, 1.5, &mild, 2200 + b);
        printf("| %s | %.2f | %.1f %% | %.1f %% |\n", thin[b].name,
               1000.0 * clean.false_alarms / clean.series_days, 100.0 * two.caught0 / two.spikes,
               100.0 * mild.caught0 / mild.spikes);
    }
    printf("\n");
    return 0;
}
