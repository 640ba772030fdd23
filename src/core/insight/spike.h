/*
 * spike.h: spike detection on a count series (complaints per period of one
 * series: a category x channel x product, or whatever a rule names). Pure
 * arithmetic, no I/O: the alert evaluator feeds it counts read from the
 * store, the benchmark feeds it generated series.
 *
 * Two detectors share one baseline (docs/alerts.md has the formulas):
 *   - a Poisson upper control limit: the period's count against the
 *     seasonal baseline (level of the last level_days periods times the
 *     factor of the period's weekday), the Poisson tail scaled by the
 *     dispersion measured in the history and the baseline's own error;
 *   - a Poisson CUSUM on the same scaled counts, for rises that are smaller
 *     but last several periods.
 */
#ifndef KESU_SPIKE_H
#define KESU_SPIKE_H

#include <stdbool.h>

struct spike_params {
    int history;      /* periods of history for the seasonal factors and dispersion (56) */
    int level;        /* periods of history for the level (28) */
    int season;       /* season length in periods: 7 (weekdays of daily counts), 1 = none */
    double alpha;     /* one-sided tail probability for a Poisson alarm */
    double cusum_k;   /* the rise the CUSUM is tuned to (ratio, e.g. 1.5) */
    double cusum_h;   /* CUSUM decision limit (log-likelihood units) */
    int min_count;    /* no alarm below this count */
    double min_ratio; /* nor below this multiple of the baseline */
};

/* The parameters documented in docs/alerts.md (chosen with bench/alerts.sh). */
void spike_params_default(struct spike_params *p);

/* What the detectors say about one period. */
struct spike_point {
    double count;    /* the observed count */
    double expected; /* the baseline (expected count) */
    double ucl;      /* the smallest count that would raise a Poisson alarm */
    double disp;     /* total dispersion used (>= 1) */
    double p;        /* upper-tail probability of the count under the baseline */
    double cusum;    /* CUSUM statistic after this period */
    bool poisson;    /* the Poisson limit fired */
    bool cusum_hit;  /* the CUSUM fired */
    bool alarm;      /* either, and min_count / min_ratio passed */
};

/*
 * The baseline of period i from counts[i - history .. i) (season position of
 * period j is (phase0 + j) % season). Needs i >= history. Fills expected,
 * ucl, disp. Returns 0, or -1 when there is not enough history.
 */
int spike_baseline(const double *counts, int i, int phase0, const struct spike_params *p,
                   struct spike_point *out);

/*
 * Evaluates periods from..n-1 (from >= history) in order, the CUSUM carried
 * from one to the next (starting at 0, reset after an alarm). out[k] is
 * period from + k. Returns the number of periods evaluated or -1.
 */
int spike_scan(const double *counts, int n, int phase0, int from, const struct spike_params *p,
               struct spike_point *out);

/* P(X >= x) for X ~ Poisson(mu), continued to real x (regularized lower gamma P(x, mu)). */
double spike_poisson_sf(double x, double mu);

#endif
