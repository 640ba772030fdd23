/*
 * effect.h: the statistics of an improvement action's effect evaluation,
 * pure functions with no I/O (docs/capa.md derives each one).
 *
 *   - rate ratio of two Poisson counts over exposures, with a log-normal
 *     confidence interval and the exact conditional (binomial) test;
 *   - ratio of two proportions (risk ratio) with the Katz log interval;
 *   - two proportions: difference with a Wald interval and the pooled z test;
 *   - the verdict rule: effective / not yet / not effective.
 */
#ifndef KESU_EFFECT_H
#define KESU_EFFECT_H

#include <stdbool.h>
#include <stdint.h>

struct effect_test {
    double estimate; /* ratio after/before, or difference after - before */
    double lo, hi;   /* confidence interval of the estimate */
    double p;        /* two-sided p-value of "no change" */
    bool valid;      /* false when the data cannot support the test (empty groups) */
};

/* Standard normal CDF and its inverse (for the 1 - alpha/2 quantile). */
double effect_norm_cdf(double z);
double effect_norm_quantile(double p);

/* Exact two-sided binomial test of k successes in n trials at probability p: the sum of the
 * probabilities of outcomes no more likely than k (as R's binom.test). */
double effect_binom_two_sided(int64_t k, int64_t n, double p);

/*
 * Poisson rate ratio (x2/e2) / (x1/e1): before x1 events over exposure e1, after x2 over e2.
 * Interval: exp(ln RR ± z sqrt(1/x1 + 1/x2)) with 0.5 added to zero counts. Test: given
 * x1 + x2, x2 is binomial with p = e2 / (e1 + e2) under "same rate". conf e.g. 0.95.
 */
void effect_rate_ratio(int64_t x1, double e1, int64_t x2, double e2, double conf,
                       struct effect_test *out);

/*
 * Ratio of proportions (x2/n2) / (x1/n1), Katz interval exp(ln RR ± z sqrt(1/x1 - 1/n1 +
 * 1/x2 - 1/n2)) (0.5 added to zero counts); p from the pooled two-proportion z test.
 */
void effect_risk_ratio(int64_t x1, int64_t n1, int64_t x2, int64_t n2, double conf,
                       struct effect_test *out);

/* Difference of proportions x2/n2 - x1/n1: Wald interval, pooled z test (z in *z if given). */
void effect_two_prop(int64_t x1, int64_t n1, int64_t x2, int64_t n2, double conf,
                     struct effect_test *out, double *z);

enum effect_verdict { EFFECT_NOT_YET, EFFECT_EFFECTIVE, EFFECT_NOT_EFFECTIVE };

struct effect_rule {
    bool higher_is_better; /* CSAT: up is good; complaint, repeat and reopen rates: down */
    bool has_target;       /* expected relative change, e.g. -0.3 (30 % fewer) */
    double target;
    double alpha;         /* significance level, e.g. 0.05 */
    int64_t min_events;   /* fewer events in both windows together: not yet */
    bool window_complete; /* the after window has ended */
};

/*
 * The verdict on a ratio test t (estimate = after/before) with `events` events in both
 * windows: not yet while the after window is open or the data are too few, or when a
 * significant improvement falls short of the target; effective for a significant change in
 * the good direction that meets the target; otherwise not effective. *reason gets a short
 * English sentence (static).
 */
enum effect_verdict effect_judge(const struct effect_test *t, int64_t events,
                                 const struct effect_rule *rule, const char **reason);
const char *effect_verdict_name(enum effect_verdict v);

#endif
