/*
 * effect.c: the statistics behind "did the improvement work?" (effect.h).
 * Everything here is closed-form or a finite sum; docs/capa.md gives the
 * formulas and the hand-computed cases tests/unit/test_effect.c checks.
 */
#include <math.h>
#include <stddef.h>

#include "loop/effect.h"
#include "base/banned.h"

double effect_norm_cdf(double z)
{
    return 0.5 * erfc(-z / sqrt(2.0));
}

/* Acklam's rational approximation refined by one Halley step (|error| < 1e-12). */
double effect_norm_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    double q, r, x;
    if (p <= 0)
        return -INFINITY;
    if (p >= 1)
        return INFINITY;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p > 1 - 0.02425) {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    /* one Halley step */
    double e = effect_norm_cdf(x) - p;
    double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

static double binom_logpmf(int64_t k, int64_t n, double p)
{
    if (p <= 0)
        return k == 0 ? 0 : -INFINITY;
    if (p >= 1)
        return k == n ? 0 : -INFINITY;
    return lgamma((double)n + 1) - lgamma((double)k + 1) - lgamma((double)(n - k) + 1) +
           (double)k * log(p) + (double)(n - k) * log1p(-p);
}

double effect_binom_two_sided(int64_t k, int64_t n, double p)
{
    double lk, sum = 0;
    if (n <= 0)
        return 1;
    lk = binom_logpmf(k, n, p);
    /* outcomes no more likely than the observed one; the relative tolerance is R's */
    for (int64_t i = 0; i <= n; i++) {
        double li = binom_logpmf(i, n, p);
        if (li <= lk + log1p(1e-7))
            sum += exp(li);
    }
    return sum > 1 ? 1 : sum;
}

static double zcrit(double conf)
{
    return effect_norm_quantile(1 - (1 - conf) / 2);
}

void effect_rate_ratio(int64_t x1, double e1, int64_t x2, double e2, double conf,
                       struct effect_test *out)
{
    double a = (double)x1, b = (double)x2, se, lr, z = zcrit(conf);
    out->valid = e1 > 0 && e2 > 0 && x1 + x2 > 0;
    if (!out->valid) {
        out->estimate = out->lo = out->hi = NAN;
        out->p = 1;
        return;
    }
    if (x1 == 0 || x2 == 0) { /* Haldane correction for the interval only */
        a += 0.5;
        b += 0.5;
    }
    out->estimate = ((double)x2 / e2) / ((double)x1 / e1);
    if (x1 == 0)
        out->estimate = INFINITY;
    lr = log((b / e2) / (a / e1));
    se = sqrt(1 / a + 1 / b);
    out->lo = exp(lr - z * se);
    out->hi = exp(lr + z * se);
    out->p = effect_binom_two_sided(x2, x1 + x2, e2 / (e1 + e2));
}

void effect_two_prop(int64_t x1, int64_t n1, int64_t x2, int64_t n2, double conf,
                     struct effect_test *out, double *zout)
{
    double p1, p2, pp, se0, se, z, zc = zcrit(conf);
    out->valid = n1 > 0 && n2 > 0;
    if (zout)
        *zout = 0;
    if (!out->valid) {
        out->estimate = out->lo = out->hi = NAN;
        out->p = 1;
        return;
    }
    p1 = (double)x1 / (double)n1;
    p2 = (double)x2 / (double)n2;
    pp = (double)(x1 + x2) / (double)(n1 + n2);
    se0 = sqrt(pp * (1 - pp) * (1.0 / (double)n1 + 1.0 / (double)n2));
    se = sqrt(p1 * (1 - p1) / (double)n1 + p2 * (1 - p2) / (double)n2);
    out->estimate = p2 - p1;
    out->lo = out->estimate - zc * se;
    out->hi = out->estimate + zc * se;
    z = se0 > 0 ? (p2 - p1) / se0 : 0;
    out->p = se0 > 0 ? 2 * effect_norm_cdf(-fabs(z)) : 1;
    if (zout)
        *zout = z;
}

void effect_risk_ratio(int64_t x1, int64_t n1, int64_t x2, int64_t n2, double conf,
                       struct effect_test *out)
{
    struct effect_test d;
    double a = (double)x1, b = (double)x2, se, lr, z = zcrit(conf);
    effect_two_prop(x1, n1, x2, n2, conf, &d, NULL);
    out->valid = d.valid && x1 + x2 > 0;
    out->p = d.p;
    if (!out->valid) {
        out->estimate = out->lo = out->hi = NAN;
        out->p = 1;
        return;
    }
    if (x1 == 0 || x2 == 0) {
        a += 0.5;
        b += 0.5;
    }
    out->estimate = x1 == 0 ? INFINITY : ((double)x2 / (double)n2) / ((double)x1 / (double)n1);
    lr = log((b / (double)n2) / (a / (double)n1));
    se = sqrt(1 / a - 1 / (double)n1 + 1 / b - 1 / (double)n2);
    if (!(se >= 0))
        se = 0;
    out->lo = exp(lr - z * se);
    out->hi = exp(lr + z * se);
}

enum effect_verdict effect_judge(const struct effect_test *t, int64_t events,
                                 const struct effect_rule *rule, const char **reason)
{
    const char *dummy;
    bool improved, significant;
    double change;
    if (!reason)
        reason = &dummy;
    if (!rule->window_complete) {
        *reason = "the after window has not ended yet";
        return EFFECT_NOT_YET;
    }
    if (!t->valid || events < rule->min_events) {
        *reason = "too few events in the two windows to tell";
        return EFFECT_NOT_YET;
    }
    change = t->estimate - 1;
    improved = rule->higher_is_better ? t->estimate > 1 : t->estimate < 1;
    significant = t->p < rule->alpha && (rule->higher_is_better ? t->lo > 1 : t->hi < 1);
    if (improved && significant) {
        if (rule->has_target &&
            (rule->higher_is_better ? change < rule->target : change > rule->target)) {
            *reason = "a significant improvement, short of the target";
            return EFFECT_NOT_YET;
        }
        *reason = rule->has_target ? "a significant improvement that meets the target"
                                   : "a significant improvement";
        return EFFECT_EFFECTIVE;
    }
    *reason = improved ? "the change is within chance (not significant)"
                       : "no improvement: the metric did not move the right way";
    return EFFECT_NOT_EFFECTIVE;
}

const char *effect_verdict_name(enum effect_verdict v)
{
    switch (v) {
    case EFFECT_EFFECTIVE:
        return "effective";
    case EFFECT_NOT_EFFECTIVE:
        return "not_effective";
    default:
        return "not_yet";
    }
}
