/*
 * linear_solve.c: the solvers of the linear classifier (linear.h): L2-loss
 * SVM and logistic regression by dual coordinate descent (one-vs-rest, on a
 * small thread pool, optionally on NB-scaled features), the Crammer-Singer
 * multi-class SVM, and multinomial naive Bayes. Each writes weight vectors
 * over the dense columns of a struct csr (bias last) into struct problem.
 */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "text/linear_int.h"
#include "base/banned.h"

uint64_t linear_rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double dot(const struct csr *x, size_t i, const double *w)
{
    double s = w[x->ncols]; /* bias feature, value 1 */
    for (size_t k = x->start[i]; k < x->start[i + 1]; k++)
        s += w[x->col[k]] * x->val[k];
    return s;
}

static void axpy(const struct csr *x, size_t i, double a, double *w)
{
    for (size_t k = x->start[i]; k < x->start[i + 1]; k++)
        w[x->col[k]] += a * x->val[k];
    w[x->ncols] += a;
}

void linear_shuffle(size_t *idx, size_t n, uint64_t *rng)
{
    for (size_t s = 0; s + 1 < n; s++) {
        size_t j = s + (size_t)(linear_rng_next(rng) % (n - s));
        size_t t = idx[s];
        idx[s] = idx[j];
        idx[j] = t;
    }
}

/* L2-regularised L2-loss SVM, dual coordinate descent with shrinking (liblinear solver 1). */
static void solve_svm(const struct csr *x, const signed char *yy, const double *Ci, double eps,
                      int max_iter, double *w, uint64_t seed)
{
    size_t l = x->n, active = l;
    double *alpha = xcalloc(l, sizeof *alpha), *qd = xmalloc(l * sizeof *qd);
    size_t *idx = xmalloc(l * sizeof *idx);
    double pgmax_old = INFINITY;
    for (size_t i = 0; i < l; i++) {
        qd[i] = x->sq[i] + 1.0 + 0.5 / Ci[i];
        idx[i] = i;
    }
    for (int iter = 0; iter < max_iter; iter++) {
        double pgmax = -INFINITY, pgmin = INFINITY;
        linear_shuffle(idx, active, &seed);
        for (size_t s = 0; s < active; s++) {
            size_t i = idx[s];
            double g = yy[i] * dot(x, i, w) - 1.0 + alpha[i] * 0.5 / Ci[i], pg = 0;
            if (alpha[i] == 0) {
                if (g > pgmax_old) {
                    idx[s--] = idx[--active];
                    idx[active] = i;
                    continue;
                }
                if (g < 0)
                    pg = g;
            } else
                pg = g;
            pgmax = fmax(pgmax, pg);
            pgmin = fmin(pgmin, pg);
            if (fabs(pg) > 1e-12) {
                double old = alpha[i];
                alpha[i] = fmax(old - g / qd[i], 0.0);
                axpy(x, i, (alpha[i] - old) * yy[i], w);
            }
        }
        if (pgmax - pgmin <= eps) {
            if (active == l)
                break;
            active = l;
            pgmax_old = INFINITY;
            continue;
        }
        pgmax_old = pgmax <= 0 ? INFINITY : pgmax; /* no upper bound: pgmin needs no test */
    }
    free(alpha);
    free(qd);
    free(idx);
}

/* L2-regularised logistic regression, dual coordinate descent (liblinear solver 7). */
static void solve_lr(const struct csr *x, const signed char *yy, const double *Ci, double eps,
                     int max_iter, double *w, uint64_t seed)
{
    size_t l = x->n;
    double *alpha = xmalloc(2 * l * sizeof *alpha), *xtx = xmalloc(l * sizeof *xtx);
    size_t *idx = xmalloc(l * sizeof *idx);
    double innereps = 1e-2, innereps_min = fmin(1e-8, eps);
    for (size_t i = 0; i < l; i++) {
        alpha[2 * i] = fmin(0.001 * Ci[i], 1e-8);
        alpha[2 * i + 1] = Ci[i] - alpha[2 * i];
        xtx[i] = x->sq[i] + 1.0;
        axpy(x, i, yy[i] * alpha[2 * i], w);
        idx[i] = i;
    }
    for (int iter = 0; iter < max_iter; iter++) {
        size_t newton = 0;
        double gmax = 0;
        linear_shuffle(idx, l, &seed);
        for (size_t s = 0; s < l; s++) {
            size_t i = idx[s], i1 = 2 * i, i2 = 2 * i + 1;
            double C = Ci[i], a = xtx[i], b = yy[i] * dot(x, i, w), sign = 1;
            if (0.5 * a * (alpha[i2] - alpha[i1]) + b < 0) {
                i1 = 2 * i + 1;
                i2 = 2 * i;
                sign = -1;
            }
            double old = alpha[i1], z = old;
            if (C - z < 0.5 * C)
                z = 0.1 * z;
            double gp = a * (z - old) + sign * b + log(z / (C - z));
            gmax = fmax(gmax, fabs(gp));
            int inner = 0;
            for (; inner <= 100 && fabs(gp) >= innereps; inner++, newton++) {
                double gpp = a + C / (C - z) / z, tz = z - gp / gpp;
                z = tz <= 0 ? z * 0.1 : tz;
                gp = a * (z - old) + sign * b + log(z / (C - z));
            }
            if (inner > 0) {
                alpha[i1] = z;
                alpha[i2] = C - z;
                axpy(x, i, sign * (z - old) * yy[i], w);
            }
        }
        if (gmax < eps)
            break;
        if (newton <= l / 10)
            innereps = fmax(innereps_min, 0.1 * innereps);
    }
    free(alpha);
    free(xtx);
    free(idx);
}

/*
 * NB-SVM (Wang and Manning 2012): scales feature k by the log-count ratio
 * r_k = log((a + p_k) / |a + p|) - log((a + q_k) / |a + q|) of its mass in the
 * positive (p) and negative (q) texts; xs gets the scaled values (and squared
 * norms). Since the decision is sum x_k r_k w_k, the trained w is multiplied by
 * r afterwards and the model stays an ordinary linear one.
 */
static double *nb_ratios(const struct csr *x, const signed char *yy, const double *sw, double a,
                         struct csr *xs)
{
    size_t nnz = x->start[x->n];
    double *pc = xcalloc(x->ncols + 1, sizeof *pc), *qc = xcalloc(x->ncols + 1, sizeof *qc);
    double ps = 0, qs = 0;
    for (size_t i = 0; i < x->n; i++)
        for (size_t k = x->start[i]; k < x->start[i + 1]; k++) {
            double v = x->val[k] * (sw ? sw[i] : 1.0); /* mass weighed like the text's C */
            (yy[i] > 0 ? pc : qc)[x->col[k]] += v;
            *(yy[i] > 0 ? &ps : &qs) += v;
        }
    ps += a * (double)x->ncols;
    qs += a * (double)x->ncols;
    for (size_t k = 0; k < x->ncols; k++)
        pc[k] = log((a + pc[k]) / ps) - log((a + qc[k]) / qs);
    free(qc);
    xs->val = xmalloc((nnz + 1) * sizeof *xs->val);
    xs->sq = xmalloc((x->n + 1) * sizeof *xs->sq);
    for (size_t i = 0; i < x->n; i++) {
        double sq = 0;
        for (size_t k = x->start[i]; k < x->start[i + 1]; k++) {
            xs->val[k] = (float)(x->val[k] * pc[x->col[k]]);
            sq += (double)xs->val[k] * xs->val[k];
        }
        xs->sq[i] = sq;
    }
    return pc;
}

/* Trains weight vector j (class j against the rest; for two classes, class 1 against 0). */
static void train_one(struct problem *p, int j)
{
    const struct csr *x = p->x;
    int pos = p->nw == 1 ? 1 : j;
    signed char *yy = xmalloc(x->n);
    double *Ci = xmalloc(x->n * sizeof *Ci), C = p->o->C;
    double *w = p->W + (size_t)j * (x->ncols + 1);
    for (size_t i = 0; i < x->n; i++) {
        yy[i] = p->y[i] == pos ? 1 : -1;
        /* As liblinear: positives get their class weight; negatives too when two classes. */
        Ci[i] = C * (yy[i] > 0 || p->nw == 1 ? p->cw[p->y[i]] : 1.0) * (p->sw ? p->sw[i] : 1.0);
    }
    struct csr xs = *x;
    double *r = p->o->nb_scale ? nb_ratios(x, yy, p->sw, p->o->nb_alpha, &xs) : NULL;
    if (p->o->kind == LINEAR_LR)
        solve_lr(&xs, yy, Ci, p->o->eps, p->o->max_iter, w, 0x5eed + (uint64_t)j);
    else
        solve_svm(&xs, yy, Ci, p->o->eps, p->o->max_iter, w, 0x5eed + (uint64_t)j);
    if (r) {
        for (size_t k = 0; k < x->ncols; k++)
            w[k] *= r[k];
        if (p->o->nb_mix > 0) { /* average with the plain model: (1 - m) NB-SVM + m SVM */
            double m = p->o->nb_mix, *w2 = xcalloc(x->ncols + 1, sizeof *w2);
            if (p->o->kind == LINEAR_LR)
                solve_lr(x, yy, Ci, p->o->eps, p->o->max_iter, w2, 0x5eed + (uint64_t)j);
            else
                solve_svm(x, yy, Ci, p->o->eps, p->o->max_iter, w2, 0x5eed + (uint64_t)j);
            for (size_t k = 0; k <= x->ncols; k++)
                w[k] = (1 - m) * w[k] + m * w2[k];
            free(w2);
        }
        free(xs.val);
        free(xs.sq);
        free(r);
    }
    free(yy);
    free(Ci);
}

static void *worker(void *arg)
{
    struct problem *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        int j = p->next < p->nw ? p->next++ : -1;
        pthread_mutex_unlock(&p->mu);
        if (j < 0)
            return NULL;
        train_one(p, j);
    }
}

void linear_train_ovr(struct problem *p)
{
    int nt = p->o->threads > 0 ? p->o->threads : 2;
    pthread_t th[16];
    int started = 0;
    if (nt > 16)
        nt = 16;
    if (nt > p->nw)
        nt = p->nw;
    pthread_mutex_init(&p->mu, NULL);
    p->next = 0;
    for (int t = 1; t < nt; t++)
        if (pthread_create(&th[started], NULL, worker, p) == 0)
            started++;
    worker(p);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    pthread_mutex_destroy(&p->mu);
}

/* ---- Crammer-Singer multi-class SVM (liblinear solver 4) ---------------------------------- */

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* The sub-problem of one text over its k active classes: new alphas into an. */
static void cs_sub(double A, int yi, double Cy, int k, const double *B, double *D, double *an)
{
    int r;
    memcpy(D, B, (size_t)k * sizeof *D);
    if (yi < k)
        D[yi] += A * Cy;
    qsort(D, (size_t)k, sizeof *D, cmp_desc);
    double beta = D[0] - A * Cy;
    for (r = 1; r < k && beta < r * D[r]; r++)
        beta += D[r];
    beta /= r;
    for (r = 0; r < k; r++)
        an[r] = r == yi ? fmin(Cy, (beta - B[r]) / A) : fmin(0.0, (beta - B[r]) / A);
}

struct cs {
    int K;
    double *G;
};

static bool cs_shrunk(const struct cs *c, int m, int yi, double alpha, double Cy, double minG)
{
    double bound = m == yi ? Cy : 0;
    return alpha == bound && c->G[m] < minG;
}

/* Shrinks the classes of text i whose alphas sit at their bound; returns the active count. */
static int cs_shrink(struct cs *c, int act, int *yidx, const double *al, int *ai, double Cy,
                     double minG)
{
    for (int m = 0; m < act; m++) {
        if (!cs_shrunk(c, m, *yidx, al[ai[m]], Cy, minG))
            continue;
        act--;
        while (act > m) {
            if (!cs_shrunk(c, act, *yidx, al[ai[act]], Cy, minG)) {
                int t = ai[m];
                ai[m] = ai[act];
                ai[act] = t;
                double g = c->G[m];
                c->G[m] = c->G[act];
                c->G[act] = g;
                if (*yidx == act)
                    *yidx = m;
                else if (*yidx == m)
                    *yidx = act;
                break;
            }
            act--;
        }
    }
    return act;
}

/* w is feature-major: w[j * K + class], j = ncols is the bias. */
static void solve_cs(const struct csr *x, const int *y, int K, const double *Ci, double eps,
                     int max_iter, double *w)
{
    size_t l = x->n, active = l;
    double *alpha = xcalloc(l * (size_t)K, sizeof *alpha), *B = xmalloc((size_t)K * sizeof *B);
    double *D = xmalloc((size_t)K * sizeof *D), *an = xmalloc((size_t)K * sizeof *an);
    double *dval = xmalloc((size_t)K * sizeof *dval), eps_shrink = fmax(10 * eps, 1.0);
    int *aidx = xmalloc(l * (size_t)K * sizeof *aidx), *act = xmalloc(l * sizeof *act);
    int *yidx = xmalloc(l * sizeof *yidx), *dind = xmalloc((size_t)K * sizeof *dind);
    size_t *idx = xmalloc(l * sizeof *idx);
    struct cs c = {K, xmalloc((size_t)K * sizeof(double))};
    bool from_all = true;
    uint64_t rng = 0xc5;
    for (size_t i = 0; i < l; i++) {
        for (int m = 0; m < K; m++)
            aidx[i * (size_t)K + (size_t)m] = m;
        act[i] = K;
        yidx[i] = y[i];
        idx[i] = i;
    }
    for (int iter = 0; iter < max_iter; iter++) {
        double stop = -INFINITY;
        linear_shuffle(idx, active, &rng);
        for (size_t s = 0; s < active; s++) {
            size_t i = idx[s];
            double A = x->sq[i] + 1.0, Cy = Ci[i], *al = alpha + i * (size_t)K;
            int *ai = aidx + i * (size_t)K, k = act[i];
            for (int m = 0; m < k; m++)
                c.G[m] = 1;
            if (yidx[i] < k)
                c.G[yidx[i]] = 0;
            for (size_t q = x->start[i]; q <= x->start[i + 1]; q++) {
                bool bias = q == x->start[i + 1];
                const double *wi = w + (size_t)(bias ? x->ncols : x->col[q]) * (size_t)K;
                double v = bias ? 1.0 : x->val[q];
                for (int m = 0; m < k; m++)
                    c.G[m] += wi[ai[m]] * v;
            }
            double minG = INFINITY, maxG = -INFINITY;
            for (int m = 0; m < k; m++) {
                if (al[ai[m]] < 0 && c.G[m] < minG)
                    minG = c.G[m];
                maxG = fmax(maxG, c.G[m]);
            }
            if (yidx[i] < k && al[y[i]] < Cy && c.G[yidx[i]] < minG)
                minG = c.G[yidx[i]];
            k = act[i] = cs_shrink(&c, k, &yidx[i], al, ai, Cy, minG);
            if (k <= 1) {
                idx[s--] = idx[--active];
                idx[active] = i;
                continue;
            }
            if (maxG - minG <= 1e-12)
                continue;
            stop = fmax(stop, maxG - minG);
            for (int m = 0; m < k; m++)
                B[m] = c.G[m] - A * al[ai[m]];
            cs_sub(A, yidx[i], Cy, k, B, D, an);
            int nz = 0;
            for (int m = 0; m < k; m++) {
                double d = an[m] - al[ai[m]];
                al[ai[m]] = an[m];
                if (fabs(d) >= 1e-12) {
                    dind[nz] = ai[m];
                    dval[nz++] = d;
                }
            }
            for (size_t q = x->start[i]; q <= x->start[i + 1]; q++) {
                bool bias = q == x->start[i + 1];
                double *wi = w + (size_t)(bias ? x->ncols : x->col[q]) * (size_t)K;
                double v = bias ? 1.0 : x->val[q];
                for (int m = 0; m < nz; m++)
                    wi[dind[m]] += dval[m] * v;
            }
        }
        if (stop < eps_shrink) {
            if (stop < eps && from_all)
                break;
            active = l;
            for (size_t i = 0; i < l; i++)
                act[i] = K;
            eps_shrink = fmax(eps_shrink / 2, eps);
            from_all = true;
        } else
            from_all = false;
    }
    free(alpha);
    free(B);
    free(D);
    free(an);
    free(dval);
    free(aidx);
    free(act);
    free(yidx);
    free(dind);
    free(idx);
    free(c.G);
}

/* Crammer-Singer into p->W (class-major); two classes fold into (w1 - w0) / 2. */
void linear_train_cs(struct problem *p)
{
    const struct csr *x = p->x;
    size_t nc = x->ncols + 1, K = (size_t)p->nclass;
    double *w = xcalloc(nc * K, sizeof *w), *Ci = xmalloc((x->n + 1) * sizeof *Ci);
    for (size_t i = 0; i < x->n; i++)
        Ci[i] = p->o->C * p->cw[p->y[i]] * (p->sw ? p->sw[i] : 1.0);
    solve_cs(x, p->y, (int)K, Ci, p->o->eps, p->o->max_iter, w);
    for (size_t j = 0; j < nc; j++) {
        if (p->nw == 1) {
            p->W[j] = (w[j * K + 1] - w[j * K]) / 2;
            continue;
        }
        for (size_t c = 0; c < K; c++)
            p->W[c * nc + j] = w[j * K + c];
    }
    free(w);
    free(Ci);
}

/* Multinomial NB on the TF-IDF rows; two classes fold into one vector (w1 - w0) / 2. */
void linear_train_nb(struct problem *p)
{
    const struct csr *x = p->x;
    size_t nc = x->ncols + 1;
    int K = p->nclass;
    double *fc = xcalloc((size_t)K * nc, sizeof *fc), *tot = xcalloc((size_t)K, sizeof *tot);
    double *prior = xcalloc((size_t)K, sizeof *prior), a = p->o->nb_alpha;
    for (size_t i = 0; i < x->n; i++) {
        double sw = p->sw ? p->sw[i] : 1.0;
        prior[p->y[i]] += sw;
        for (size_t k = x->start[i]; k < x->start[i + 1]; k++) {
            fc[(size_t)p->y[i] * nc + x->col[k]] += x->val[k] * sw;
            tot[p->y[i]] += x->val[k] * sw;
        }
    }
    for (int c = 0; c < K; c++) {
        double *r = fc + (size_t)c * nc;
        for (size_t j = 0; j < x->ncols; j++)
            r[j] = log((r[j] + a) / (tot[c] + a * (double)x->ncols));
        r[x->ncols] = log((prior[c] + 1) / ((double)x->n + K));
    }
    for (size_t j = 0; j < nc; j++) {
        if (p->nw == 1) {
            p->W[j] = (fc[nc + j] - fc[j]) / 2;
            continue;
        }
        double m = 0;
        for (int c = 0; c < K; c++)
            m += fc[(size_t)c * nc + j];
        m /= K;
        for (int c = 0; c < K; c++)
            p->W[(size_t)c * nc + j] = fc[(size_t)c * nc + j] - m;
    }
    free(fc);
    free(tot);
    free(prior);
}
