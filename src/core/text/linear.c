/*
 * linear.c: the linear text classifier's training pipeline, prediction,
 * cross-validation and metrics. See linear.h for the models and the file
 * format; the solvers are in linear_solve.c, the file in linear_file.c.
 *
 * DESIGN. Training extracts every text once into a CSR matrix of hashed
 * buckets, counts document frequencies, quantises the IDF exactly as the
 * file stores it, and renumbers the buckets seen into dense columns so the
 * weight vectors are as long as the vocabulary actually met, not 2^bits.
 * One-vs-rest problems run on a small pool of threads. The trained weights
 * are quantised in place exactly as the file stores them, so a model fresh
 * from training predicts bit for bit like the same model read from its file.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "text/linear.h"
#include "text/linear_int.h"
#include "base/banned.h"

/* ---- training data ---------------------------------------------------------------------- */

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

void linear_dequant_idf(const uint8_t *q, unsigned bits, float lo, float hi, float *idf)
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
void linear_model_index(struct linear_model *m)
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
    linear_model_index(m);
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
    if (!(o->nb_mix >= 0 && o->nb_mix < 1))
        return kerr_set(err, KERR_INVALID, "bad_nb_mix", "nb_mix", "nb_mix must be in [0, 1)");
    if (o->class_power == 0)
        o->class_power = 1;
    if (!(o->class_power > 0 && o->class_power <= 4))
        return kerr_set(err, KERR_INVALID, "bad_class_power", "class_power",
                        "class_power must be in (0, 4]");
    if (!(o->own_mix >= 0 && o->own_mix < 1))
        return kerr_set(err, KERR_INVALID, "bad_own_mix", "own_mix", "own_mix must be in [0, 1)");
    if (o->tune_bias < 0 || o->tune_bias == 1 || o->tune_bias > 20)
        return kerr_set(err, KERR_INVALID, "bad_tune_bias", "tune_bias",
                        "tune_bias wants 2 to 20 inner folds (0 = off)");
    if (o->tune_bias && o->kind == LINEAR_NB)
        o->tune_bias = 0; /* NB's scores are probabilities: left as they are */
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

/*
 * Per-text C multipliers for opts.own_mix = s: the n_own own texts keep 1 (C
 * means what it means without extra texts), the n - n_own others get the
 * same weight each so that the own texts hold the share s of the total
 * (NULL: all 1, also when one group is empty).
 */
static double *own_weights(const struct linear_train_opts *o, size_t n)
{
    if (o->own_mix <= 0 || o->n_own == 0 || o->n_own >= n)
        return NULL;
    double *sw = xmalloc(n * sizeof *sw), s = o->own_mix;
    double we = (1 - s) / s * (double)o->n_own / (double)(n - o->n_own);
    for (size_t i = 0; i < n; i++)
        sw[i] = i < o->n_own ? 1.0 : we;
    return sw;
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
        cw[c] = o->balanced && cw[c] > 0 ? pow((double)n / ((double)nclass * cw[c]), o->class_power)
                                         : 1.0;
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
    linear_dequant_idf(m->idfq, fx->cfg.bits, m->idf_lo, m->idf_hi, m->idf);
    finish_rows(&x, m->idf, fx->cfg.bits, &bucket_of);

    double *sw = own_weights(o, n);
    struct problem p = {.x = &x, .y = y, .nclass = nclass, .o = o, .cw = cw, .sw = sw, .nw = m->nw};
    p.W = xcalloc((size_t)m->nw * (x.ncols + 1), sizeof *p.W);
    if (o->kind == LINEAR_NB)
        linear_train_nb(&p);
    else if (o->kind == LINEAR_CS)
        linear_train_cs(&p);
    else
        linear_train_ovr(&p);
    model_quantise(m, p.W, x.ncols, bucket_of, o->weight_bits);
    free(p.W);
    free(bucket_of);
    free(cw);
    free(sw);
    csr_release(&x);
    *out = m;
    return 0;
}

/* Macro-F1 over K classes from per-class tp, fp, fn (classes with no text and no prediction
 * skipped). */
static double macro_f1_of(const long *tp, const long *fp, const long *fn, int K)
{
    double s = 0;
    int classes = 0;
    for (int c = 0; c < K; c++) {
        if (tp[c] + fn[c] + fp[c] == 0)
            continue;
        s += 2.0 * (double)tp[c] / (double)(2 * tp[c] + fp[c] + fn[c]);
        classes++;
    }
    return classes ? s / classes : 0;
}

/*
 * Per-class offsets off[K] (added to the decision values) that maximise the
 * macro-F1 of the n rows of dec (n x K) against y: coordinate ascent over a
 * grid of [-0.6, 0.6] in steps of 0.02, three passes; ties keep the offset
 * nearest 0.
 */
void linear_tune_offsets(const double *dec, const int *y, size_t n, int K, bool accuracy,
                         double *off)
{
    long *tp = xcalloc((size_t)K * 3, sizeof *tp), *fp = tp + K, *fn = fp + K;
    double *other = xmalloc((n + 1) * sizeof *other);
    int *oarg = xmalloc((n + 1) * sizeof *oarg);
    for (int c = 0; c < K; c++)
        off[c] = 0;
    for (int pass = 0; pass < 3; pass++) {
        bool moved = false;
        for (int c = 0; c < K; c++) {
            /* Each text's best other class with the current offsets. */
            for (size_t i = 0; i < n; i++) {
                const double *d = dec + i * (size_t)K;
                other[i] = -INFINITY;
                oarg[i] = -1;
                for (int k = 0; k < K; k++)
                    if (k != c && d[k] + off[k] > other[i]) {
                        other[i] = d[k] + off[k];
                        oarg[i] = k;
                    }
            }
            double best = -1, best_b = off[c];
            for (int g = -30; g <= 30; g++) {
                double b = 0.02 * g;
                memset(tp, 0, (size_t)K * 3 * sizeof *tp);
                for (size_t i = 0; i < n; i++) {
                    int p = dec[i * (size_t)K + (size_t)c] + b > other[i] ? c : oarg[i];
                    if (p == y[i])
                        tp[p]++;
                    else {
                        fp[p]++;
                        fn[y[i]]++;
                    }
                }
                double f = 0;
                if (accuracy) {
                    for (int k = 0; k < K; k++)
                        f += (double)tp[k];
                    f /= (double)n;
                } else
                    f = macro_f1_of(tp, fp, fn, K);
                if (f > best + 1e-12 || (f > best - 1e-12 && fabs(b) < fabs(best_b))) {
                    best = f;
                    best_b = b;
                }
            }
            moved |= best_b != off[c];
            off[c] = best_b;
        }
        if (!moved)
            break;
    }
    free(tp);
    free(other);
    free(oarg);
}

/* train_core, then with o->tune_bias the bias offsets from inner folds (see linear.h). */
static int train_tuned(const struct feat_extractor *fx, const char *const *labels, int nclass,
                       const char *const *texts, const size_t *lens, const int *y, size_t n,
                       const struct linear_train_opts *o, struct linear_model **out,
                       struct kerr *err)
{
    int k = o->tune_bias, rc;
    if (k < 2 || (size_t)k > n)
        return train_core(fx, labels, nclass, texts, lens, y, n, o, out, err);
    struct linear_train_opts io = *o;
    int *fold = xmalloc((n + 1) * sizeof *fold), *ty = xmalloc((n + 1) * sizeof *ty);
    const char **tt = xmalloc((n + 1) * sizeof *tt);
    size_t *tl = xmalloc((n + 1) * sizeof *tl);
    double *dec = xmalloc((n * (size_t)nclass + 1) * sizeof *dec);
    double *off = xcalloc((size_t)nclass, sizeof *off);
    int *dy = xmalloc((n + 1) * sizeof *dy);
    size_t nd = 0;
    linear_cv_folds(n, k, 0xb1a5, fold);
    rc = 0;
    for (int f = 0; f < k && rc == 0; f++) {
        size_t nt = 0;
        struct linear_model *m;
        struct linear_ctx c = {0};
        io.n_own = 0;
        for (size_t i = 0; i < n; i++)
            if (fold[i] != f) { /* in order: the own texts stay first */
                io.n_own += i < o->n_own;
                tt[nt] = texts[i];
                tl[nt] = lens[i];
                ty[nt++] = y[i];
            }
        if (nt == 0 || (rc = train_core(fx, labels, nclass, tt, tl, ty, nt, &io, &m, err)) < 0)
            break;
        for (size_t i = 0; i < n; i++)
            if (fold[i] == f && (o->n_own == 0 || i < o->n_own)) { /* tuned on own texts */
                linear_decision(m, &c, texts[i], lens[i], dec + nd * (size_t)nclass);
                dy[nd++] = y[i];
            }
        linear_ctx_release(&c);
        linear_free(m);
    }
    if (rc == 0) {
        linear_tune_offsets(dec, dy, nd, nclass, o->tune_accuracy, off);
        rc = train_core(fx, labels, nclass, texts, lens, y, n, o, out, err);
    }
    if (rc == 0) {
        struct linear_model *m = *out;
        if (m->nw == 1)
            m->bias[0] += (float)((off[1] - off[0]) / 2);
        else
            for (int c = 0; c < nclass; c++)
                m->bias[c] += (float)off[c];
    }
    free(fold);
    free(ty);
    free(tt);
    free(tl);
    free(dec);
    free(off);
    free(dy);
    return rc;
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
        /* Every tenth text (after a fixed linear_shuffle) is held out to fit the score scale. */
        size_t nh = 0, nt = 0;
        const char **tt = xmalloc(n * sizeof *tt);
        size_t *tl = xmalloc(n * sizeof *tl);
        int *ty = xmalloc(n * sizeof *ty);
        size_t *hold = xmalloc(n * sizeof *hold);
        uint64_t rng = 0xca11b;
        struct linear_model *tmp;
        struct linear_train_opts o90 = o;
        o90.n_own = 0;
        for (size_t i = 0; i < n; i++) {
            if (linear_rng_next(&rng) % 10 == 0) {
                hold[nh++] = i;
                continue;
            }
            o90.n_own += i < o.n_own; /* the kept texts stay in order: own ones first */
            tt[nt] = texts[i];
            tl[nt] = lens[i];
            ty[nt++] = y[i];
        }
        rc = train_core(fx, labels, nclass, tt, tl, ty, nt, &o90, &tmp, err);
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
            rc = train_tuned(fx, labels, nclass, texts, lens, y, n, &o, out, err);
            if (rc == 0)
                (*out)->scale = (float)s;
        }
        free(tt);
        free(tl);
        free(ty);
        free(hold);
        return rc;
    }
    return train_tuned(fx, labels, nclass, texts, lens, y, n, &o, out, err);
}

void linear_cv_folds(size_t n, int k, uint64_t seed, int *fold)
{
    size_t *perm = xmalloc((n + 1) * sizeof *perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    linear_shuffle(perm, n, &seed);
    for (size_t s = 0; s < n; s++)
        fold[perm[s]] = k > 0 ? (int)(s % (size_t)k) : 0;
    free(perm);
}

/*
 * Both cross-validations: with src NULL the first n texts are folded and the
 * n_extra after them are in every training fold (one confusion matrix);
 * with src every text is folded, and tested into its source's matrix.
 */
static int cv_run(const struct feat_extractor *fx, const char *const *labels, int nclass,
                  const char *const *texts, const size_t *lens, const int *y, size_t n,
                  size_t n_extra, const int *src, const struct linear_train_opts *opts, int k,
                  uint64_t seed, long *confusion, struct kerr *err)
{
    struct linear_train_opts o = *opts;
    size_t nf = src ? n + n_extra : n; /* the texts folded */
    size_t *perm = xmalloc((nf + 1) * sizeof *perm);
    int *fold = xmalloc((nf + 1) * sizeof *fold);
    const char **tt = xmalloc((n + n_extra + 1) * sizeof *tt);
    size_t *tl = xmalloc((n + n_extra + 1) * sizeof *tl);
    int *ty = xmalloc((n + n_extra + 1) * sizeof *ty);
    int rc = 0;
    if (k < 2 || (size_t)k > nf) {
        rc = kerr_set(err, KERR_INVALID, "bad_folds", "cv", "need 2 to %zu folds", nf);
        goto out;
    }
    o.calibrate = false;
    for (size_t i = 0; i < nf; i++)
        perm[i] = i;
    linear_shuffle(perm, nf, &seed);
    for (size_t s = 0; s < nf; s++)
        fold[perm[s]] = (int)(s % (size_t)k);
    for (int f = 0; f < k && rc == 0; f++) {
        size_t nt = 0;
        struct linear_model *m;
        struct linear_ctx c = {0};
        struct linear_pred top;
        /* In the old order of the folded texts (perm), so that seeds give the folds and
         * results they always gave; own texts first. */
        for (size_t s = 0; s < nf; s++)
            if (perm[s] < n && fold[perm[s]] != f) {
                tt[nt] = texts[perm[s]];
                tl[nt] = lens[perm[s]];
                ty[nt++] = y[perm[s]];
            }
        o.n_own = nt;
        for (size_t i = n; i < n + n_extra; i++)
            if (!src || fold[i] != f) {
                tt[nt] = texts[i];
                tl[nt] = lens[i];
                ty[nt++] = y[i];
            }
        if ((rc = linear_train(fx, labels, nclass, tt, tl, ty, nt, &o, &m, err)) < 0)
            break;
        for (size_t s = (size_t)f; s < nf; s += (size_t)k) {
            size_t i = perm[s], blk = src ? (size_t)src[i] : 0;
            linear_predict(m, &c, texts[i], lens[i], &top, 1);
            confusion[(blk * (size_t)nclass + (size_t)y[i]) * (size_t)nclass + (size_t)top.label]++;
        }
        linear_ctx_release(&c);
        linear_free(m);
    }
out:
    free(perm);
    free(fold);
    free(tt);
    free(tl);
    free(ty);
    return rc;
}

int linear_cv(const struct feat_extractor *fx, const char *const *labels, int nclass,
              const char *const *texts, const size_t *lens, const int *y, size_t n, size_t n_extra,
              const struct linear_train_opts *opts, int k, uint64_t seed, long *confusion,
              struct kerr *err)
{
    return cv_run(fx, labels, nclass, texts, lens, y, n, n_extra, NULL, opts, k, seed, confusion,
                  err);
}

int linear_cv_sources(const struct feat_extractor *fx, const char *const *labels, int nclass,
                      const char *const *texts, const size_t *lens, const int *y, size_t n,
                      size_t n_extra, const int *src, const struct linear_train_opts *opts, int k,
                      uint64_t seed, long *confusion, struct kerr *err)
{
    return cv_run(fx, labels, nclass, texts, lens, y, n, n_extra, src, opts, k, seed, confusion,
                  err);
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
