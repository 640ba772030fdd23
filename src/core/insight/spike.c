/*
 * spike.c: the spike detectors of spike.h. The baseline of a period is the
 * level of the last p->level periods times the seasonal factor of the
 * period's position (weekday), both measured on the p->history periods
 * before it; the period's count is tested against a Poisson distribution
 * with that mean, scaled by the dispersion seen in the history plus the
 * baseline's own estimation error (a quasi-Poisson limit), and fed to a
 * Poisson CUSUM. Formulas and parameters: docs/alerts.md.
 */
#include <math.h>
#include <string.h>

#include "insight/spike.h"
#include "base/banned.h"

#define SEASON_MAX 32
#define MU_FLOOR   0.2 /* a series that was silent still expects a little */

void spike_params_default(struct spike_params *p)
{
    p->history = 56;
    p->level = 28;
    p->season = 7;
    p->alpha = 5e-4;
    p->cusum_k = 1.5;
    p->cusum_h = 6.5;
    p->min_count = 5;
    p->min_ratio = 1.5;
}

/* Regularized lower incomplete gamma P(a, x), by its series or continued fraction. */
static double gamma_p(double a, double x)
{
    if (x <= 0)
        return 0;
    if (a <= 0)
        return 1;
    double lead = exp(-x + a * log(x) - lgamma(a));
    if (x < a + 1) {
        double ap = a, del = 1 / a, sum = del;
        for (int n = 0; n < 1000; n++) {
            ap += 1;
            del *= x / ap;
            sum += del;
            if (fabs(del) < fabs(sum) * 1e-15)
                break;
        }
        return fmin(1, sum * lead);
    }
    /* Q(a, x) by Lentz's continued fraction */
    double b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d;
    for (int n = 1; n < 1000; n++) {
        double an = -n * (n - a);
        b += 2;
        d = an * d + b;
        if (fabs(d) < 1e-300)
            d = 1e-300;
        c = b + an / c;
        if (fabs(c) < 1e-300)
            c = 1e-300;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-15)
            break;
    }
    return fmax(0, 1 - lead * h);
}

double spike_poisson_sf(double x, double mu)
{
    if (x <= 0)
        return 1;
    return gamma_p(x, mu);
}

/* The smallest whole count whose scaled tail probability is at most alpha. */
static double control_limit(double mu, double disp, double alpha)
{
    double lo = floor(mu), hi = ceil(mu + 12 * sqrt(disp * mu) + 12 * disp);
    if (spike_poisson_sf(lo / disp, mu / disp) <= alpha)
        return lo;
    while (spike_poisson_sf(hi / disp, mu / disp) > alpha)
        hi *= 2;
    while (hi - lo > 1) {
        double mid = floor((lo + hi) / 2);
        if (spike_poisson_sf(mid / disp, mu / disp) <= alpha)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

int spike_baseline(const double *counts, int i, int phase0, const struct spike_params *p,
                   struct spike_point *out)
{
    int H = p->history, L = p->level, S = p->season < 1 ? 1 : p->season;
    double sum_s[SEASON_MAX] = {0}, fac[SEASON_MAX];
    int n_s[SEASON_MAX] = {0};
    double m = 0, lev = 0, chi = 0;

    if (S > SEASON_MAX || H < 2 * S || L < 1 || L > H || i < H)
        return -1;
    for (int j = i - H; j < i; j++) {
        int w = (phase0 + j) % S;
        m += counts[j];
        sum_s[w] += counts[j];
        n_s[w]++;
    }
    m /= H;
    for (int j = i - L; j < i; j++)
        lev += counts[j];
    lev /= L;
    /* seasonal factors, shrunk towards 1 by two pseudo-periods at the mean */
    for (int w = 0; w < S; w++)
        fac[w] = S == 1 || m <= 0 ? 1 : (sum_s[w] + 2 * m) / ((n_s[w] + 2) * m);
    for (int j = i - H; j < i; j++) {
        double f = fmax(m * fac[(phase0 + j) % S], 0.5), d = counts[j] - f;
        chi += d * d / f;
    }
    double phi = H > S ? fmax(1, chi / (H - S)) : 1;
    int w = (phase0 + i) % S;
    double mu = fmax(lev * fac[w], MU_FLOOR);
    double rel = 1 / (L * fmax(lev, MU_FLOOR)) + 1 / (H * fmax(m, MU_FLOOR));
    if (S > 1)
        rel += 1 / (n_s[w] * mu);
    double disp = phi * (1 + mu * rel);
    memset(out, 0, sizeof *out);
    out->expected = mu;
    out->disp = disp;
    out->ucl = control_limit(mu, disp, p->alpha);
    return 0;
}

int spike_scan(const double *counts, int n, int phase0, int from, const struct spike_params *p,
               struct spike_point *out)
{
    double s = 0, lk = log(p->cusum_k);
    if (from < p->history)
        return -1;
    for (int i = from; i < n; i++) {
        struct spike_point *pt = &out[i - from];
        if (spike_baseline(counts, i, phase0, p, pt) < 0)
            return -1;
        double x = counts[i], mu = pt->expected, c = pt->disp;
        pt->count = x;
        pt->p = spike_poisson_sf(x / c, mu / c);
        pt->poisson = pt->p <= p->alpha && x >= pt->ucl;
        s = fmax(0, s + (x / c) * lk - (mu / c) * (p->cusum_k - 1));
        pt->cusum = s;
        pt->cusum_hit = s > p->cusum_h;
        pt->alarm = x >= p->min_count && ((pt->poisson && x >= p->min_ratio * mu) || pt->cusum_hit);
        if (pt->alarm || pt->cusum_hit) /* one alarm per rise: start afresh */
            s = 0;
    }
    return n - from;
}
