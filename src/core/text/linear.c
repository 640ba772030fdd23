/*
 * linear.c: training (dual coordinate descent SVM and logistic regression,
 * naive Bayes), prediction, cross-validation and the KMOD file format of the
 * linear text classifier. See linear.h for the models and the format.
 *
 * DESIGN. Training extracts every text once into a CSR matrix of hashed
 * buckets, counts document frequencies, quantises the IDF exactly as the
 * file stores it, and renumbers the buckets seen into dense columns so the
 * weight vectors are as long as the vocabulary actually met, not 2^bits.
 * One-vs-rest problems run on a small pool of threads. The trained weights
 * are serialised and loaded back, so a model fresh from training predicts
 * bit for bit like the same model read from its file.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "base/xmalloc.h"
#include "text/linear.h"
#include "base/banned.h"

#define MAX_BODY ((uint32_t)512 << 20)

struct linear_model {
    struct feat_extractor fx;
    enum linear_kind kind;
    int wbits;
    int nclass, nw;
    float scale;
    char **labels;
    float idf_lo, idf_hi;
    uint8_t *idfq; /* 2^bits */
    float *idf;    /* 2^bits, dequantised */
    uint32_t nrows;
    uint32_t *row_bucket; /* nrows ascending */
    uint32_t *row_of;     /* 2^bits: row + 1, 0 = none */
    float *wscale, *bias; /* nw each */
    float *w;             /* nrows * nw, dequantised */
    int16_t *wq;          /* nrows * nw, quantised (kept for saving) */
};

/* ---- training data ---------------------------------------------------------------------- */

/* A CSR matrix of L2-normalised TF-IDF rows over dense columns. */
struct csr {
    size_t n, ncols;
    size_t *start; /* n + 1 */
    uint32_t *col;
    float *val;
    double *sq; /* squared norm of each row (1, or 0 for an empty text) */
};

static void csr_release(struct csr *x)
{
    free(x->start);
    free(x->col);
    free(x->val);
    free(x->sq);
    memset(x, 0, sizeof *x);
}

/* Raw extraction: bucket ids and tf of every text. */
static void extract_all(const struct feat_extractor *fx, const char *const *texts,
                        const size_t *lens, size_t n, struct csr *x)
{
    struct feat_scratch sc = {0};
    struct feat_vec v = {0};
    size_t cap = n * 64 + 64, nnz = 0;
    x->n = n;
    x->start = xmalloc((n + 1) * sizeof *x->start);
    x->col = xmalloc(cap * sizeof *x->col);
    x->val = xmalloc(cap * sizeof *x->val);
    x->sq = xcalloc(n, sizeof *x->sq);
    for (size_t i = 0; i < n; i++) {
        feat_extract(fx, texts[i], lens[i], &sc, &v);
        if (nnz + v.n > cap) {
            while (nnz + v.n > cap)
                cap *= 2;
            x->col = xrealloc(x->col, cap * sizeof *x->col);
            x->val = xrealloc(x->val, cap * sizeof *x->val);
        }
        x->start[i] = nnz;
        memcpy(x->col + nnz, v.id, v.n * sizeof *v.id);
        memcpy(x->val + nnz, v.val, v.n * sizeof *v.val);
        nnz += v.n;
    }
    x->start[n] = nnz;
    feat_vec_release(&v);
    feat_scratch_release(&sc);
}

/* The IDF as stored: 8-bit linear between lo and hi; unseen buckets get hi. */
static void learn_idf(const struct csr *x, unsigned bits, uint8_t *q, float *lo, float *hi)
{
    size_t nb = (size_t)1 << bits;
    uint32_t *df = xcalloc(nb, sizeof *df);
    for (size_t k = 0; k < x->start[x->n]; k++)
        df[x->col[k]]++;
    *lo = 1.0f + logf((1.0f + (float)x->n) / (1.0f + (float)x->n));
    *hi = 1.0f + logf((1.0f + (float)x->n) / 1.0f);
    for (size_t b = 0; b < nb; b++) {
        float v = 1.0f + logf((1.0f + (float)x->n) / (1.0f + (float)df[b]));
        float t = (*hi > *lo) ? (v - *lo) / (*hi - *lo) : 0.0f;
        q[b] = (uint8_t)lrintf(t * 255.0f);
    }
    free(df);
}

static void dequant_idf(const uint8_t *q, unsigned bits, float lo, float hi, float *idf)
{
    for (size_t b = 0; b < ((size_t)1 << bits); b++)
        idf[b] = lo + (hi - lo) * (float)q[b] / 255.0f;
}

/* Applies idf and L2 to every row, renumbers buckets into dense columns (bucket_of maps back). */
static void finish_rows(struct csr *x, const float *idf, unsigned bits, uint32_t **bucket_of)
{
    size_t nb = (size_t)1 << bits;
    uint32_t *col_of = xmalloc(nb * sizeof *col_of);
    uint32_t *back = xmalloc(16 * sizeof *back);
    size_t nback = 0, cap = 16;
    memset(col_of, 0xff, nb * sizeof *col_of);
    for (size_t i = 0; i < x->n; i++) {
        struct feat_vec v = {x->col + x->start[i], x->val + x->start[i],
                             x->start[i + 1] - x->start[i], 0};
        feat_weigh(&v, idf);
        x->sq[i] = v.n ? 1.0 : 0.0;
    }
    for (size_t k = 0; k < x->start[x->n]; k++) {
        uint32_t b = x->col[k];
        if (col_of[b] == UINT32_MAX) {
            if (nback == cap) {
                cap *= 2;
                back = xrealloc(back, cap * sizeof *back);
            }
            col_of[b] = (uint32_t)nback;
            back[nback++] = b;
        }
        x->col[k] = col_of[b];
    }
    x->ncols = nback;
    *bucket_of = back;
    free(col_of);
}

/* ---- solvers ------------------------------------------------------------------------------ */

struct problem {
    const struct csr *x;
    const int *y;
    int nclass;
    const struct linear_train_opts *o;
    const double *cw; /* per class C multiplier */
    double *W;        /* nw rows of ncols + 1 (bias last) */
    int nw;
    pthread_mutex_t mu;
    int next;
};

static uint64_t rng_next(uint64_t *s)
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

static void shuffle(size_t *idx, size_t n, uint64_t *rng)
{
    for (size_t s = 0; s + 1 < n; s++) {
        size_t j = s + (size_t)(rng_next(rng) % (n - s));
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
        shuffle(idx, active, &seed);
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
        shuffle(idx, l, &seed);
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
static double *nb_ratios(const struct csr *x, const signed char *yy, double a, struct csr *xs)
{
    size_t nnz = x->start[x->n];
    double *pc = xcalloc(x->ncols + 1, sizeof *pc), *qc = xcalloc(x->ncols + 1, sizeof *qc);
    double ps = 0, qs = 0;
    for (size_t i = 0; i < x->n; i++)
        for (size_t k = x->start[i]; k < x->start[i + 1]; k++) {
            (yy[i] > 0 ? pc : qc)[x->col[k]] += x->val[k];
            *(yy[i] > 0 ? &ps : &qs) += x->val[k];
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
        Ci[i] = C * (yy[i] > 0 || p->nw == 1 ? p->cw[p->y[i]] : 1.0);
    }
    struct csr xs = *x;
    double *r = p->o->nb_scale ? nb_ratios(x, yy, p->o->nb_alpha, &xs) : NULL;
    if (p->o->kind == LINEAR_LR)
        solve_lr(&xs, yy, Ci, p->o->eps, p->o->max_iter, w, 0x5eed + (uint64_t)j);
    else
        solve_svm(&xs, yy, Ci, p->o->eps, p->o->max_iter, w, 0x5eed + (uint64_t)j);
    if (r) {
        for (size_t k = 0; k < x->ncols; k++)
            w[k] *= r[k];
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

static void train_ovr(struct problem *p)
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
        shuffle(idx, active, &rng);
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
static void train_cs(struct problem *p)
{
    const struct csr *x = p->x;
    size_t nc = x->ncols + 1, K = (size_t)p->nclass;
    double *w = xcalloc(nc * K, sizeof *w), *Ci = xmalloc((x->n + 1) * sizeof *Ci);
    for (size_t i = 0; i < x->n; i++)
        Ci[i] = p->o->C * p->cw[p->y[i]];
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
static void train_nb(struct problem *p)
{
    const struct csr *x = p->x;
    size_t nc = x->ncols + 1;
    int K = p->nclass;
    double *fc = xcalloc((size_t)K * nc, sizeof *fc), *tot = xcalloc((size_t)K, sizeof *tot);
    double *prior = xcalloc((size_t)K, sizeof *prior), a = p->o->nb_alpha;
    for (size_t i = 0; i < x->n; i++) {
        prior[p->y[i]] += 1;
        for (size_t k = x->start[i]; k < x->start[i + 1]; k++) {
            fc[(size_t)p->y[i] * nc + x->col[k]] += x->val[k];
            tot[p->y[i]] += x->val[k];
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

/* ---- assembling a model ------------------------------------------------------------------- */

static struct linear_model *model_new(const struct feat_extractor *fx, const char *const *labels,
                                      int nclass)
{
    struct linear_model *m = xcalloc(1, sizeof *m);
    size_t nb = (size_t)1 << fx->cfg.bits;
    m->fx = *fx;
    m->nclass = nclass;
    m->nw = nclass == 2 ? 1 : nclass;
    m->scale = 1.0f;
    m->labels = xcalloc((size_t)nclass, sizeof *m->labels);
    for (int c = 0; c < nclass; c++)
        m->labels[c] = xstrdup(labels[c]);
    m->idfq = xmalloc(nb);
    m->idf = xmalloc(nb * sizeof *m->idf);
    m->row_of = xcalloc(nb, sizeof *m->row_of);
    m->wscale = xcalloc((size_t)m->nw, sizeof *m->wscale);
    m->bias = xcalloc((size_t)m->nw, sizeof *m->bias);
    return m;
}

/* Fills rows, row_of and w from wq (set by the caller). */
static void model_index(struct linear_model *m)
{
    size_t nw = (size_t)m->nw;
    m->w = xmalloc(((size_t)m->nrows * nw + 1) * sizeof *m->w);
    for (uint32_t r = 0; r < m->nrows; r++) {
        m->row_of[m->row_bucket[r]] = r + 1;
        for (size_t c = 0; c < nw; c++)
            m->w[r * nw + c] = (float)m->wq[r * nw + c] * m->wscale[c];
    }
}

static const uint32_t *sort_key;
static int cmp_by_bucket(const void *a, const void *b)
{
    uint32_t x = sort_key[*(const uint32_t *)a], y = sort_key[*(const uint32_t *)b];
    return (x > y) - (x < y);
}

/* Quantises W (nw rows of ncols + 1) into m, pruning buckets whose weights are all zero. */
static void model_quantise(struct linear_model *m, const double *W, size_t ncols,
                           const uint32_t *bucket_of, int wbits)
{
    size_t nw = (size_t)m->nw, nc = ncols + 1;
    double qmax = wbits == 8 ? 127 : 32767;
    uint32_t *order = xmalloc((ncols + 1) * sizeof *order);
    static pthread_mutex_t sort_mu = PTHREAD_MUTEX_INITIALIZER;
    m->wbits = wbits;
    for (size_t c = 0; c < nw; c++) {
        double mx = 0;
        for (size_t j = 0; j < ncols; j++)
            mx = fmax(mx, fabs(W[c * nc + j]));
        m->wscale[c] = mx > 0 ? (float)(mx / qmax) : 1.0f;
        m->bias[c] = (float)W[c * nc + ncols];
    }
    for (size_t j = 0; j < ncols; j++)
        order[j] = (uint32_t)j;
    pthread_mutex_lock(&sort_mu);
    sort_key = bucket_of;
    qsort(order, ncols, sizeof *order, cmp_by_bucket);
    pthread_mutex_unlock(&sort_mu);
    m->row_bucket = xmalloc((ncols + 1) * sizeof *m->row_bucket);
    m->wq = xmalloc((ncols * nw + 1) * sizeof *m->wq);
    m->nrows = 0;
    for (size_t k = 0; k < ncols; k++) {
        size_t j = order[k];
        bool any = false;
        int16_t *q = m->wq + (size_t)m->nrows * nw;
        for (size_t c = 0; c < nw; c++) {
            q[c] = (int16_t)lrint(W[c * nc + j] / m->wscale[c]);
            any |= q[c] != 0;
        }
        if (any)
            m->row_bucket[m->nrows++] = bucket_of[j];
    }
    free(order);
    model_index(m);
}

/* ---- prediction --------------------------------------------------------------------------- */

void linear_decision(const struct linear_model *m, struct linear_ctx *c, const char *text,
                     size_t len, double *dec)
{
    size_t nw = (size_t)m->nw;
    double acc[LINEAR_MAX_CLASS];
    feat_extract(&m->fx, text, len, &c->sc, &c->v);
    feat_weigh(&c->v, m->idf);
    for (size_t k = 0; k < nw; k++)
        acc[k] = m->bias[k];
    for (size_t i = 0; i < c->v.n; i++) {
        uint32_t r = m->row_of[c->v.id[i]];
        if (!r)
            continue;
        const float *w = m->w + (size_t)(r - 1) * nw;
        double x = c->v.val[i];
        for (size_t k = 0; k < nw; k++)
            acc[k] += x * w[k];
    }
    if (nw == 1) {
        dec[0] = -acc[0];
        dec[1] = acc[0];
    } else
        memcpy(dec, acc, nw * sizeof *dec);
}

/* Softmax of scale * dec in place. */
static void softmax(double *d, int n, double scale)
{
    double mx = -INFINITY, s = 0;
    for (int i = 0; i < n; i++)
        mx = fmax(mx, scale * d[i]);
    for (int i = 0; i < n; i++)
        s += (d[i] = exp(scale * d[i] - mx));
    for (int i = 0; i < n; i++)
        d[i] /= s;
}

int linear_predict(const struct linear_model *m, struct linear_ctx *c, const char *text, size_t len,
                   struct linear_pred *top, int k)
{
    if ((size_t)m->nclass > c->cap_dec) {
        c->dec = xrealloc(c->dec, (size_t)m->nclass * sizeof *c->dec);
        c->cap_dec = (size_t)m->nclass;
    }
    linear_decision(m, c, text, len, c->dec);
    softmax(c->dec, m->nclass, m->scale);
    if (k > m->nclass)
        k = m->nclass;
    for (int i = 0; i < k; i++) {
        int best = -1;
        for (int j = 0; j < m->nclass; j++) {
            bool taken = false;
            for (int t = 0; t < i; t++)
                taken |= top[t].label == j;
            if (!taken && (best < 0 || c->dec[j] > c->dec[best]))
                best = j;
        }
        top[i].label = best;
        top[i].score = (float)c->dec[best];
    }
    return k;
}

void linear_ctx_release(struct linear_ctx *c)
{
    feat_scratch_release(&c->sc);
    feat_vec_release(&c->v);
    free(c->dec);
    memset(c, 0, sizeof *c);
}

/* ---- training ----------------------------------------------------------------------------- */

static int check_opts(const struct linear_train_opts *in, struct linear_train_opts *o, int nclass,
                      struct kerr *err)
{
    *o = *in;
    if (!o->kind)
        o->kind = LINEAR_SVM;
    if (o->kind < LINEAR_SVM || o->kind > LINEAR_CS)
        return kerr_set(err, KERR_INVALID, "bad_model", "model", "unknown model kind");
    if (o->C <= 0)
        o->C = 0.5;
    if (o->eps <= 0)
        o->eps = o->kind == LINEAR_LR ? 0.01 : 0.1;
    if (o->max_iter <= 0)
        o->max_iter = 1000;
    if (o->nb_alpha <= 0)
        o->nb_alpha = 0.1;
    if (!o->weight_bits)
        o->weight_bits = 16;
    if (o->weight_bits != 8 && o->weight_bits != 16)
        return kerr_set(err, KERR_INVALID, "bad_weight_bits", "weight_bits",
                        "weights are stored in 8 or 16 bits");
    if (nclass < 2 || nclass > LINEAR_MAX_CLASS)
        return kerr_set(err, KERR_INVALID, "bad_classes", "labels", "need 2 to %d classes, got %d",
                        LINEAR_MAX_CLASS, nclass);
    return 0;
}

/* Fits the softmax scale minimising held-out log-loss (golden-section search on log scale). */
static double fit_scale(const double *dec, const int *y, size_t n, int K)
{
    double lo = log(0.05), hi = log(200.0), g = (sqrt(5.0) - 1) / 2;
    double *d = xmalloc((size_t)K * sizeof *d);
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo), fa = 0, fb = 0;
    for (int it = 0; it < 60; it++) {
        double f[2];
        double s2[2] = {a, b};
        for (int t = 0; t < 2; t++) {
            f[t] = 0;
            for (size_t i = 0; i < n; i++) {
                memcpy(d, dec + i * (size_t)K, (size_t)K * sizeof *d);
                softmax(d, K, exp(s2[t]));
                f[t] -= log(fmax(d[y[i]], 1e-300));
            }
        }
        fa = f[0];
        fb = f[1];
        if (fa < fb) {
            hi = b;
        } else {
            lo = a;
        }
        a = hi - g * (hi - lo);
        b = lo + g * (hi - lo);
    }
    free(d);
    return exp((lo + hi) / 2);
}

static int train_core(const struct feat_extractor *fx, const char *const *labels, int nclass,
                      const char *const *texts, const size_t *lens, const int *y, size_t n,
                      const struct linear_train_opts *o, struct linear_model **out,
                      struct kerr *err)
{
    struct csr x = {0};
    uint32_t *bucket_of = NULL;
    double *cw = xcalloc((size_t)nclass, sizeof *cw);
    int present = 0;
    struct linear_model *m;

    for (size_t i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= nclass) {
            free(cw);
            return kerr_set(err, KERR_INVALID, "bad_label", "labels",
                            "label index %d of text %zu is out of range", y[i], i);
        }
        cw[y[i]] += 1;
    }
    for (int c = 0; c < nclass; c++) {
        present += cw[c] > 0;
        cw[c] = o->balanced && cw[c] > 0 ? (double)n / ((double)nclass * cw[c]) : 1.0;
    }
    if (present < 2) {
        free(cw);
        return kerr_set(err, KERR_INVALID, "bad_classes", "labels",
                        "the training data holds fewer than two classes");
    }
    m = model_new(fx, labels, nclass);
    m->kind = o->kind;
    extract_all(fx, texts, lens, n, &x);
    learn_idf(&x, fx->cfg.bits, m->idfq, &m->idf_lo, &m->idf_hi);
    dequant_idf(m->idfq, fx->cfg.bits, m->idf_lo, m->idf_hi, m->idf);
    finish_rows(&x, m->idf, fx->cfg.bits, &bucket_of);

    struct problem p = {.x = &x, .y = y, .nclass = nclass, .o = o, .cw = cw, .nw = m->nw};
    p.W = xcalloc((size_t)m->nw * (x.ncols + 1), sizeof *p.W);
    if (o->kind == LINEAR_NB)
        train_nb(&p);
    else if (o->kind == LINEAR_CS)
        train_cs(&p);
    else
        train_ovr(&p);
    model_quantise(m, p.W, x.ncols, bucket_of, o->weight_bits);
    free(p.W);
    free(bucket_of);
    free(cw);
    csr_release(&x);
    *out = m;
    return 0;
}

int linear_train(const struct feat_extractor *fx, const char *const *labels, int nclass,
                 const char *const *texts, const size_t *lens, const int *y, size_t n,
                 const struct linear_train_opts *opts, struct linear_model **out, struct kerr *err)
{
    struct linear_train_opts o;
    int rc;
    *out = NULL;
    if ((rc = check_opts(opts, &o, nclass, err)) < 0 || (rc = feat_config_check(&fx->cfg, err)) < 0)
        return rc;
    if (o.calibrate && o.kind != LINEAR_NB && n >= 20) {
        /* Every tenth text (after a fixed shuffle) is held out to fit the score scale. */
        size_t nh = 0, nt = 0;
        const char **tt = xmalloc(n * sizeof *tt);
        size_t *tl = xmalloc(n * sizeof *tl);
        int *ty = xmalloc(n * sizeof *ty);
        size_t *hold = xmalloc(n * sizeof *hold);
        uint64_t rng = 0xca11b;
        struct linear_model *tmp;
        for (size_t i = 0; i < n; i++) {
            if (rng_next(&rng) % 10 == 0) {
                hold[nh++] = i;
                continue;
            }
            tt[nt] = texts[i];
            tl[nt] = lens[i];
            ty[nt++] = y[i];
        }
        rc = train_core(fx, labels, nclass, tt, tl, ty, nt, &o, &tmp, err);
        if (rc == 0) {
            double *dec = xmalloc(nh * (size_t)nclass * sizeof *dec);
            struct linear_ctx c = {0};
            for (size_t k = 0; k < nh; k++) {
                linear_decision(tmp, &c, texts[hold[k]], lens[hold[k]], dec + k * (size_t)nclass);
                ty[k] = y[hold[k]];
            }
            double s = fit_scale(dec, ty, nh, nclass);
            linear_ctx_release(&c);
            free(dec);
            linear_free(tmp);
            rc = train_core(fx, labels, nclass, texts, lens, y, n, &o, out, err);
            if (rc == 0)
                (*out)->scale = (float)s;
        }
        free(tt);
        free(tl);
        free(ty);
        free(hold);
        return rc;
    }
    return train_core(fx, labels, nclass, texts, lens, y, n, &o, out, err);
}

int linear_cv(const struct feat_extractor *fx, const char *const *labels, int nclass,
              const char *const *texts, const size_t *lens, const int *y, size_t n, size_t n_extra,
              const struct linear_train_opts *opts, int k, uint64_t seed, long *confusion,
              struct kerr *err)
{
    struct linear_train_opts o = *opts;
    size_t *perm = xmalloc((n + 1) * sizeof *perm);
    const char **tt = xmalloc((n + n_extra + 1) * sizeof *tt);
    size_t *tl = xmalloc((n + n_extra + 1) * sizeof *tl);
    int *ty = xmalloc((n + n_extra + 1) * sizeof *ty);
    int rc = 0;
    if (k < 2 || (size_t)k > n) {
        rc = kerr_set(err, KERR_INVALID, "bad_folds", "cv", "need 2 to %zu folds", n);
        goto out;
    }
    o.calibrate = false;
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    shuffle(perm, n, &seed);
    for (int f = 0; f < k && rc == 0; f++) {
        size_t nt = 0;
        struct linear_model *m;
        struct linear_ctx c = {0};
        struct linear_pred top;
        for (size_t s = 0; s < n; s++)
            if (s % (size_t)k != (size_t)f) {
                tt[nt] = texts[perm[s]];
                tl[nt] = lens[perm[s]];
                ty[nt++] = y[perm[s]];
            }
        for (size_t s = n; s < n + n_extra; s++) {
            tt[nt] = texts[s];
            tl[nt] = lens[s];
            ty[nt++] = y[s];
        }
        if ((rc = linear_train(fx, labels, nclass, tt, tl, ty, nt, &o, &m, err)) < 0)
            break;
        for (size_t s = (size_t)f; s < n; s += (size_t)k) {
            linear_predict(m, &c, texts[perm[s]], lens[perm[s]], &top, 1);
            confusion[(size_t)y[perm[s]] * (size_t)nclass + (size_t)top.label]++;
        }
        linear_ctx_release(&c);
        linear_free(m);
    }
out:
    free(perm);
    free(tt);
    free(tl);
    free(ty);
    return rc;
}

void linear_metrics(const long *cm, int nclass, struct linear_metrics *mt, double *prec,
                    double *rec, double *f1)
{
    long correct = 0, total = 0;
    double sum_f1 = 0;
    int classes = 0;
    for (int t = 0; t < nclass; t++) {
        long tp = cm[(size_t)t * (size_t)nclass + (size_t)t], row = 0, col = 0;
        for (int p = 0; p < nclass; p++) {
            row += cm[(size_t)t * (size_t)nclass + (size_t)p];
            col += cm[(size_t)p * (size_t)nclass + (size_t)t];
        }
        double pr = col ? (double)tp / (double)col : 0, re = row ? (double)tp / (double)row : 0;
        double f = pr + re > 0 ? 2 * pr * re / (pr + re) : 0;
        if (prec)
            prec[t] = pr;
        if (rec)
            rec[t] = re;
        if (f1)
            f1[t] = f;
        if (row || col) {
            sum_f1 += f;
            classes++;
        }
        correct += tp;
        total += row;
    }
    mt->total = total;
    mt->accuracy = total ? (double)correct / (double)total : 0;
    mt->macro_f1 = classes ? sum_f1 / classes : 0;
}

/* ---- the file format ---------------------------------------------------------------------- */

struct bbuf {
    unsigned char *p;
    size_t len, cap;
};

static void put(struct bbuf *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        while (b->len + n > b->cap)
            b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void put_u8(struct bbuf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

static void put_u16(struct bbuf *b, unsigned v)
{
    unsigned char c[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    put(b, c, 2);
}

static void put_u32(struct bbuf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, c, 4);
}

static void put_f32(struct bbuf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(b, v);
}

static void put_varint(struct bbuf *b, uint32_t v)
{
    while (v >= 0x80) {
        put_u8(b, (v & 0x7f) | 0x80);
        v >>= 7;
    }
    put_u8(b, v);
}

static void body_write(const struct linear_model *m, struct bbuf *b)
{
    const struct feat_config *cfg = &m->fx.cfg;
    size_t nw = (size_t)m->nw, nq = (size_t)m->nrows * nw;
    put_u8(b, (unsigned)m->kind);
    put_u8(b, (unsigned)m->wbits);
    put(b,
        (const uint8_t[]){cfg->char_min, cfg->char_max, cfg->word_min, cfg->word_max, cfg->bits,
                          cfg->use_tok},
        6);
    put_u16(b, (unsigned)m->nclass);
    put_u16(b, (unsigned)m->nw);
    put_f32(b, m->scale);
    for (int c = 0; c < m->nclass; c++) {
        size_t n = strlen(m->labels[c]);
        put_u16(b, (unsigned)n);
        put(b, m->labels[c], n);
    }
    put_f32(b, m->idf_lo);
    put_f32(b, m->idf_hi);
    put(b, m->idfq, (size_t)1 << cfg->bits);
    put_u32(b, m->nrows);
    for (uint32_t r = 0, prev = 0; r < m->nrows; prev = m->row_bucket[r++])
        put_varint(b, m->row_bucket[r] - prev);
    for (size_t c = 0; c < nw; c++)
        put_f32(b, m->wscale[c]);
    for (size_t c = 0; c < nw; c++)
        put_f32(b, m->bias[c]);
    for (size_t i = 0; i < nq; i++) {
        if (m->wbits == 8)
            put_u8(b, (unsigned)(uint8_t)(int8_t)m->wq[i]);
        else
            put_u16(b, (unsigned)(uint16_t)m->wq[i]);
    }
}

void *linear_serialize(const struct linear_model *m, size_t *len)
{
    struct bbuf body = {0}, file = {0};
    uLongf zlen;
    body_write(m, &body);
    zlen = compressBound((uLong)body.len);
    put(&file, "KMOD", 4);
    put_u32(&file, LINEAR_VERSION);
    put_u32(&file, (uint32_t)body.len);
    put_u32(&file, 0);
    put_u32(&file, 0);
    file.p = xrealloc(file.p, file.len + zlen);
    if (compress2(file.p + file.len, &zlen, body.p, (uLong)body.len, 9) != Z_OK)
        abort(); /* only on out-of-memory */
    uint32_t crc = (uint32_t)crc32(0L, file.p + file.len, (uInt)zlen);
    unsigned char *h = file.p + 12;
    for (int i = 0; i < 4; i++) {
        h[i] = (unsigned char)(zlen >> (8 * i));
        h[4 + i] = (unsigned char)(crc >> (8 * i));
    }
    free(body.p);
    *len = file.len + zlen;
    return file.p;
}

int linear_save(const struct linear_model *m, const char *path, struct kerr *err)
{
    char tmp[4200];
    size_t len;
    void *buf = linear_serialize(m, &len);
    FILE *f;
    int rc = 0;
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    if (!(f = fopen(tmp, "wb"))) {
        rc = kerr_set(err, KERR_IO, "write_failed", "", "cannot create %s: %s", tmp,
                      strerror(errno));
        goto out;
    }
    if (fwrite(buf, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc =
            kerr_set(err, KERR_IO, "write_failed", "", "cannot write %s: %s", tmp, strerror(errno));
        fclose(f);
        remove(tmp);
        goto out;
    }
    fclose(f);
    if (rename(tmp, path) < 0) {
        rc = kerr_set(err, KERR_IO, "write_failed", "", "cannot rename to %s: %s", path,
                      strerror(errno));
        remove(tmp);
    }
out:
    free(buf);
    return rc;
}

/* A bounds-checked reader over the decompressed body. */
struct rd {
    const unsigned char *p;
    size_t len, pos;
    bool bad;
};

static const unsigned char *take(struct rd *r, size_t n)
{
    if (r->bad || n > r->len - r->pos) {
        r->bad = true;
        return NULL;
    }
    r->pos += n;
    return r->p + r->pos - n;
}

static unsigned get_u8(struct rd *r)
{
    const unsigned char *c = take(r, 1);
    return c ? c[0] : 0;
}

static unsigned get_u16(struct rd *r)
{
    const unsigned char *c = take(r, 2);
    return c ? (unsigned)c[0] | (unsigned)c[1] << 8 : 0;
}

static uint32_t get_u32(struct rd *r)
{
    const unsigned char *c = take(r, 4);
    return c ? (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24
             : 0;
}

static float get_f32(struct rd *r)
{
    uint32_t v = get_u32(r);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static uint32_t get_varint(struct rd *r)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        unsigned c = get_u8(r);
        v |= (uint32_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static int bad(struct kerr *err, const char *why)
{
    return kerr_set(err, KERR_INVALID, "bad_model", "", "not a valid kesu model: %s", why);
}

/* Parses the body into m (whose labels etc. are NULL); frees nothing on failure. */
static int body_read(struct rd *r, struct linear_model *m, struct kerr *err)
{
    struct feat_config *cfg = &m->fx.cfg;
    const unsigned char *c;
    m->kind = (enum linear_kind)get_u8(r);
    m->wbits = (int)get_u8(r);
    if (!(c = take(r, 6)))
        return bad(err, "truncated");
    *cfg = (struct feat_config){c[0], c[1], c[2], c[3], c[4], c[5]};
    if (m->kind < LINEAR_SVM || m->kind > LINEAR_CS || (m->wbits != 8 && m->wbits != 16))
        return bad(err, "unknown model kind or weight size");
    if (feat_config_check(cfg, NULL) < 0)
        return bad(err, "bad feature configuration");
    m->nclass = (int)get_u16(r);
    m->nw = (int)get_u16(r);
    m->scale = get_f32(r);
    if (m->nclass < 2 || m->nclass > LINEAR_MAX_CLASS ||
        m->nw != (m->nclass == 2 ? 1 : m->nclass) || !(m->scale > 0 && m->scale < 1e6))
        return bad(err, "bad class count or scale");
    m->labels = xcalloc((size_t)m->nclass, sizeof *m->labels);
    for (int k = 0; k < m->nclass; k++) {
        size_t n = get_u16(r);
        if (!(c = take(r, n)) || n > LINEAR_MAX_LABEL)
            return bad(err, "bad label");
        m->labels[k] = xstrndup((const char *)c, n);
    }
    size_t nb = (size_t)1 << cfg->bits, nw = (size_t)m->nw;
    m->idf_lo = get_f32(r);
    m->idf_hi = get_f32(r);
    if (!(c = take(r, nb)) || !(m->idf_lo >= 0 && m->idf_hi >= m->idf_lo && m->idf_hi < 1e6))
        return bad(err, "bad IDF table");
    m->idfq = xmalloc(nb);
    memcpy(m->idfq, c, nb);
    m->idf = xmalloc(nb * sizeof *m->idf);
    dequant_idf(m->idfq, cfg->bits, m->idf_lo, m->idf_hi, m->idf);
    m->nrows = get_u32(r);
    if (r->bad || m->nrows > nb || (size_t)m->nrows * nw * (size_t)(m->wbits / 8) > r->len)
        return bad(err, "bad row count");
    m->row_bucket = xmalloc(((size_t)m->nrows + 1) * sizeof *m->row_bucket);
    m->row_of = xcalloc(nb, sizeof *m->row_of);
    for (uint32_t k = 0, prev = 0; k < m->nrows; k++) {
        uint32_t d = get_varint(r);
        if ((k > 0 && d == 0) || d >= nb - prev + (k == 0) || r->bad)
            return bad(err, "bad row index");
        prev = m->row_bucket[k] = prev + d;
    }
    m->wscale = xmalloc(nw * sizeof *m->wscale);
    m->bias = xmalloc(nw * sizeof *m->bias);
    for (size_t k = 0; k < nw; k++)
        m->wscale[k] = get_f32(r);
    for (size_t k = 0; k < nw; k++)
        m->bias[k] = get_f32(r);
    for (size_t k = 0; k < nw; k++)
        if (!isfinite(m->wscale[k]) || !isfinite(m->bias[k]))
            return bad(err, "bad weight scale");
    size_t nq = (size_t)m->nrows * nw;
    if (!(c = take(r, nq * (size_t)(m->wbits / 8))))
        return bad(err, "truncated weights");
    m->wq = xmalloc((nq + 1) * sizeof *m->wq);
    for (size_t i = 0; i < nq; i++)
        m->wq[i] = m->wbits == 8 ? (int8_t)c[i] : (int16_t)(c[2 * i] | c[2 * i + 1] << 8);
    if (r->pos != r->len)
        return bad(err, "trailing bytes");
    model_index(m);
    return 0;
}

int linear_load_mem(const void *buf, size_t len, struct linear_model **out, struct kerr *err)
{
    const unsigned char *p = buf;
    struct rd h = {p, len, 0, false};
    struct linear_model *m;
    unsigned char *body;
    uLongf blen;
    int rc;
    *out = NULL;
    if (len < 20 || memcmp(p, "KMOD", 4) != 0)
        return bad(err, "no KMOD header");
    take(&h, 4);
    uint32_t ver = get_u32(&h), raw = get_u32(&h), zlen = get_u32(&h), crc = get_u32(&h);
    if (ver != LINEAR_VERSION)
        return kerr_set(err, KERR_INVALID, "bad_model", "",
                        "model file version %u is not supported (this kesu reads %d)", ver,
                        LINEAR_VERSION);
    if (zlen != len - 20)
        return bad(err, "truncated or extended file");
    if ((uint32_t)crc32(0L, p + 20, (uInt)zlen) != crc)
        return bad(err, "checksum mismatch (damaged file)");
    if (raw > MAX_BODY)
        return bad(err, "body too large");
    body = xmalloc(raw + 1);
    blen = raw;
    if (uncompress(body, &blen, p + 20, zlen) != Z_OK || blen != raw) {
        free(body);
        return bad(err, "cannot decompress");
    }
    struct rd r = {body, raw, 0, false};
    m = xcalloc(1, sizeof *m);
    rc = body_read(&r, m, err);
    free(body);
    if (rc < 0) {
        linear_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int linear_load(const char *path, struct linear_model **out, struct kerr *err)
{
    FILE *f = fopen(path, "rb");
    struct bbuf b = {0};
    char chunk[65536];
    size_t n;
    int rc;
    *out = NULL;
    if (!f)
        return kerr_set(err, KERR_IO, "open_failed", "", "cannot open model %s: %s", path,
                        strerror(errno));
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > MAX_BODY) {
            fclose(f);
            free(b.p);
            return bad(err, "file too large");
        }
        put(&b, chunk, n);
    }
    rc = ferror(f) ? kerr_set(err, KERR_IO, "read_failed", "", "cannot read %s", path) : 0;
    fclose(f);
    if (rc == 0)
        rc = linear_load_mem(b.p, b.len, out, err);
    free(b.p);
    return rc;
}

void linear_free(struct linear_model *m)
{
    if (!m)
        return;
    if (m->labels)
        for (int c = 0; c < m->nclass; c++)
            free(m->labels[c]);
    free(m->labels);
    free(m->idfq);
    free(m->idf);
    free(m->row_bucket);
    free(m->row_of);
    free(m->wscale);
    free(m->bias);
    free(m->w);
    free(m->wq);
    free(m);
}

int linear_resolve(const char *name, char *out, size_t cap, struct kerr *err)
{
    char exe[4096], dir[4096];
    const char *env = getenv("KESU_MODELS");
    size_t nl = strlen(name);
    ssize_t n;
    if (strchr(name, '/') || (nl > 5 && strcmp(name + nl - 5, ".kmod") == 0)) {
        snprintf(out, cap, "%s", name);
        return 0;
    }
    if (env && *env) {
        snprintf(out, cap, "%s/%s.kmod", env, name);
        if (access(out, R_OK) == 0)
            return 0;
    }
    snprintf(out, cap, "models/%s.kmod", name);
    if (access(out, R_OK) == 0)
        return 0;
    if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(dir, sizeof dir, "%s", exe);
            snprintf(out, cap, "%s/../../models/%s.kmod", dir, name);
            if (access(out, R_OK) == 0)
                return 0;
            snprintf(out, cap, "%s/../models/%s.kmod", dir, name);
            if (access(out, R_OK) == 0)
                return 0;
        }
    }
    return kerr_set(err, KERR_NOTFOUND, "no_model", "model",
                    "no model named %s (looked in $KESU_MODELS, ./models and next to the kesu "
                    "binary)",
                    name);
}

void linear_set_tokenizer(struct linear_model *m, feat_tok_fn tok, void *ctx)
{
    m->fx.tok = tok;
    m->fx.tok_ctx = ctx;
}

int linear_nclass(const struct linear_model *m)
{
    return m->nclass;
}

const char *linear_label(const struct linear_model *m, int i)
{
    return i >= 0 && i < m->nclass ? m->labels[i] : NULL;
}

int linear_label_index(const struct linear_model *m, const char *name)
{
    for (int c = 0; c < m->nclass; c++)
        if (strcmp(m->labels[c], name) == 0)
            return c;
    return -1;
}

const struct feat_config *linear_config(const struct linear_model *m)
{
    return &m->fx.cfg;
}

enum linear_kind linear_kind(const struct linear_model *m)
{
    return m->kind;
}

float linear_scale(const struct linear_model *m)
{
    return m->scale;
}

size_t linear_rows(const struct linear_model *m)
{
    return m->nrows;
}
