/*
 * linear_int.h: what the files of the linear classifier share (linear.c:
 * features, prediction, training and cross-validation; linear_solve.c: the
 * solvers; linear_file.c: the KMOD file). Not for use outside them.
 */
#ifndef KESU_LINEAR_INT_H
#define KESU_LINEAR_INT_H

#include <pthread.h>
#include <stdint.h>

#include "text/linear.h"

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

/* A CSR matrix of L2-normalised TF-IDF rows over dense columns. */
struct csr {
    size_t n, ncols;
    size_t *start; /* n + 1 */
    uint32_t *col;
    float *val;
    double *sq; /* squared norm of each row (1, or 0 for an empty text) */
};

/* One training problem: the solvers write nw weight vectors into W. */
struct problem {
    const struct csr *x;
    const int *y;
    int nclass;
    const struct linear_train_opts *o;
    const double *cw; /* per class C multiplier */
    const double *sw; /* per text C multiplier, NULL = 1 */
    double *W;        /* nw rows of ncols + 1 (bias last) */
    int nw;
    pthread_mutex_t mu;
    int next;
};

/* idf[b] for every bucket from the stored 8-bit table. */
void linear_dequant_idf(const uint8_t *q, unsigned bits, float lo, float hi, float *idf);
/* Fills m->w and m->row_of from m->wq, m->wscale and m->row_bucket. */
void linear_model_index(struct linear_model *m);
/* splitmix64, for shuffles that repeat from run to run. */
uint64_t linear_rng_next(uint64_t *s);
void linear_shuffle(size_t *idx, size_t n, uint64_t *rng);
/* One-vs-rest SVM or LR on p->o->threads threads. */
void linear_train_ovr(struct problem *p);
/* Crammer-Singer multi-class SVM. */
void linear_train_cs(struct problem *p);
/* Multinomial naive Bayes. */
void linear_train_nb(struct problem *p);

#endif
