/*
 * linear: a trainable linear text classifier over hashed n-gram features
 * (text/features.h), for sentiment and category labels.
 *
 * Models:
 *   - LINEAR_SVM: L2-regularised, L2-loss (squared hinge) linear SVM solved in
 *     the dual by coordinate descent with shrinking (Hsieh et al. 2008, as
 *     liblinear's default solver and scikit-learn's LinearSVC), one-vs-rest
 *     for more than two classes, a bias feature of value 1. Classes are
 *     trained in parallel (opts.threads).
 *   - LINEAR_LR: L2-regularised logistic regression, the same one-vs-rest
 *     set-up, solved in the dual by coordinate descent (Yu et al. 2011,
 *     liblinear solver 7).
 *   With opts.nb_scale, each one-vs-rest problem first scales its features by
 *   their naive Bayes log-count ratio (NB-SVM, Wang and Manning 2012); the
 *   ratios are folded into the weights, so the model file is the same. With
 *   opts.nb_mix = m as well, each problem is solved a second time on the
 *   plain features and the weights are averaged, (1 - m) NB-SVM + m SVM: one
 *   linear model that is the average of two.
 *   With opts.balanced, each class's C is multiplied by n / (nclass * n_c),
 *   raised to opts.class_power (between plain and balanced below 1, beyond
 *   balanced above). With opts.own_mix = s, the first opts.n_own texts (a
 *   data set's own) share s of the total C weight and the others (extra
 *   texts from neighbouring data sets) share 1 - s: the own texts keep
 *   weight 1 and each other text gets (1 - s) / s * n_own / (n - n_own).
 *   With opts.tune_bias = k, the training texts are first split into k inner
 *   folds; the k models trained on k - 1 of them give every training text an
 *   out-of-fold decision value per class, and one offset per class (in
 *   [-0.6, 0.6], coordinate ascent) is chosen to maximise the macro-F1 of
 *   those decisions (their accuracy with opts.tune_accuracy; of the own texts only, with n_own);
 * the model trained on all the texts gets the offsets added to its biases. Costs k + 1 trainings;
 * the file format is the same. (With calibrate, the score scale is fitted on the untuned 90%
 * model.)
 *   - LINEAR_CS: Crammer-Singer multi-class linear SVM (one problem over all
 *     classes, dual coordinate descent with shrinking, liblinear solver 4);
 *     single-threaded.
 *   - LINEAR_NB: multinomial naive Bayes over the TF-IDF vectors (a
 *     baseline), Laplace/Lidstone smoothing opts.nb_alpha.
 * Two-class models keep one weight vector (decision d for the second label,
 * -d for the first).
 *
 * Scores. Each class gets a decision value (SVM/LR: w_c . x + b_c; NB: log
 * joint probability up to a constant). The score is a softmax over the
 * decision values times the model's scale (1 for NB, so its score is the
 * NB posterior; for SVM/LR the scale is fitted at training by minimising the
 * log-loss of held-out decision values, a one-parameter Platt-style
 * calibration). Scores are in (0, 1) and sum to 1 over the classes.
 *
 * Model file (little-endian), version 1:
 *     "KMOD"  u32 version  u32 body_len  u32 zlen  u32 crc32(zlib bytes)
 *     zlib(body)
 * body: u8 kind, u8 weight bits (8 or 16), feature config (6 bytes: char
 *     n-gram range, word n-gram range, bits, flags: 1 = tokenizer, 2 = bounds),
 *     u16 nclass, u16 nw (1 for two classes, else nclass), f32 scale,
 *     labels (u16 length + UTF-8 bytes each), f32 idf_lo, f32 idf_hi,
 *     u8 idf[2^bits] (linear between lo and hi), u32 nrows, nrows bucket
 *     ids as ascending LEB128 deltas, f32 wscale[nw], f32 bias[nw],
 *     then nrows*nw int8 or int16 weights (value * wscale[c]). Buckets whose
 *     weights all quantise to zero are pruned. A damaged, truncated or
 *     foreign file is rejected with KERR_INVALID and a message.
 *
 * A loaded model is read-only: any number of threads may predict with it
 * at once, each with its own struct linear_ctx.
 */
#ifndef KESU_LINEAR_H
#define KESU_LINEAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "text/features.h"

#define LINEAR_VERSION   1
#define LINEAR_MAX_CLASS 1000
#define LINEAR_MAX_LABEL 200 /* bytes in a label name */

enum linear_kind { LINEAR_SVM = 1, LINEAR_LR = 2, LINEAR_NB = 3, LINEAR_CS = 4 };

struct linear_train_opts {
    enum linear_kind kind; /* 0 = LINEAR_SVM */
    double C;              /* regularisation; 0 = 0.5 */
    bool balanced;         /* weigh C per class by n / (nclass * n_class) */
    int threads;           /* 0 = 2 */
    double eps;            /* stopping tolerance; 0 = 0.1 (svm), 0.01 (lr) */
    int max_iter;          /* 0 = 1000 */
    double nb_alpha;       /* 0 = 0.1 */
    int weight_bits;       /* 8 or 16 (default) in the file */
    bool nb_scale;         /* SVM/LR on NB log-count-ratio scaled features (NB-SVM) */
    double nb_mix;         /* with nb_scale: share of a plain SVM/LR averaged in, [0, 1) */
    bool calibrate;        /* fit the score scale on a held-out 10% (default via linear_train) */
    double class_power;    /* with balanced: class C weight (n / (nclass * n_c))^p; 0 = 1 */
    double own_mix;        /* (0, 1): the first n_own texts get this share of the total C
                              weight, the others (extra texts) the rest; 0 = every text alike */
    size_t n_own;          /* with own_mix: how many texts, first, are the data set's own */
    int tune_bias;         /* >= 2: per-class bias offsets for macro-F1 from this many inner
                              folds of the training texts (SVM/LR/CS); 0 = none */
    bool tune_accuracy;    /* with tune_bias: the offsets maximise accuracy instead */
};

struct linear_model;

/* Per-thread working memory for prediction; zero-initialise, release when done. */
struct linear_ctx {
    struct feat_scratch sc;
    struct feat_vec v;
    double *dec;
    size_t cap_dec;
};

struct linear_pred {
    int label;   /* index into the model's labels */
    float score; /* softmax probability, see above */
};

/*
 * Trains a model on n texts (texts[i], lens[i] bytes, label y[i] in
 * [0, nclass)). labels are the nclass names (copied). fx->tok, if set, is
 * used during training and must be set again (linear_set_tokenizer) on a
 * loaded model. Returns 0 and *out (free with linear_free), or KERR_INVALID
 * (bad options, fewer than two classes present, ...) with a message in err.
 */
int linear_train(const struct feat_extractor *fx, const char *const *labels, int nclass,
                 const char *const *texts, const size_t *lens, const int *y, size_t n,
                 const struct linear_train_opts *opts, struct linear_model **out, struct kerr *err);

/*
 * K-fold cross-validation (deterministic folds from seed) over the first n
 * texts; the n_extra texts after them are added to every training fold and
 * never tested (with opts.own_mix, the fold's own texts are the n_own of
 * each training set). Adds every held-out prediction to
 * confusion[true * nclass + predicted] (nclass^2 longs, caller zeroes).
 */
int linear_cv(const struct feat_extractor *fx, const char *const *labels, int nclass,
              const char *const *texts, const size_t *lens, const int *y, size_t n, size_t n_extra,
              const struct linear_train_opts *opts, int k, uint64_t seed, long *confusion,
              struct kerr *err);

/*
 * Cross-validation as linear_cv(), but every one of the n + n_extra texts is
 * folded and tested: in each training fold the own texts (the first n) come
 * first, as opts.n_own, then the extra ones. Each held-out prediction is added
 * to the confusion matrix of its text's source, confusion[(src[i] * nclass +
 * true) * nclass + predicted] (nsrc * nclass^2 longs, caller zeroes); src[i]
 * in [0, nsrc). So one model recipe over several data sets is measured on
 * each of them.
 */
int linear_cv_sources(const struct feat_extractor *fx, const char *const *labels, int nclass,
                      const char *const *texts, const size_t *lens, const int *y, size_t n,
                      size_t n_extra, const int *src, const struct linear_train_opts *opts, int k,
                      uint64_t seed, long *confusion, struct kerr *err);

/*
 * The per-class offsets opts.tune_bias uses: off[0..K) added to the decision
 * values dec (n rows of K) maximise the macro-F1 (or, with accuracy, the
 * share right) against y[0..n).
 */
void linear_tune_offsets(const double *dec, const int *y, size_t n, int K, bool accuracy,
                         double *off);

/* The fold (0 to k-1) linear_cv() tests each of the n texts in, into fold[0..n). */
void linear_cv_folds(size_t n, int k, uint64_t seed, int *fold);

/* Writes the model file (atomically: a temporary file renamed over path). */
int linear_save(const struct linear_model *m, const char *path, struct kerr *err);
/* Serialises into a malloc'd buffer (caller frees). */
void *linear_serialize(const struct linear_model *m, size_t *len);
/* Loads a model file or buffer; KERR_IO (cannot read) or KERR_INVALID (damaged). */
int linear_load(const char *path, struct linear_model **out, struct kerr *err);
int linear_load_mem(const void *buf, size_t len, struct linear_model **out, struct kerr *err);
void linear_free(struct linear_model *m);

/*
 * Finds a model file. A name holding '/' or ending in ".kmod" is a path, used
 * as it is. Any other NAME is looked up, first hit wins, as:
 *   $KESU_MODELS/NAME.kmod, ./models/NAME.kmod,
 *   <directory of the running binary>/../../models/NAME.kmod
 * (the last finds the repository's models/ from build/kesu or build/asan/kesu;
 * with build/kesu it is the directory above the repository, so
 * <dir>/../models/NAME.kmod is tried too). Writes the path into out and
 * returns 0, or KERR_NOTFOUND with the places tried in err.
 */
int linear_resolve(const char *name, char *out, size_t cap, struct kerr *err);

/* Sets the word tokenizer for a model whose config says use_tok (before sharing it). */
void linear_set_tokenizer(struct linear_model *m, feat_tok_fn tok, void *ctx);

int linear_nclass(const struct linear_model *m);
const char *linear_label(const struct linear_model *m, int i);
/* Index of a label name, or -1. */
int linear_label_index(const struct linear_model *m, const char *name);
const struct feat_config *linear_config(const struct linear_model *m);
enum linear_kind linear_kind(const struct linear_model *m);
/* The softmax scale of the scores (see above). */
float linear_scale(const struct linear_model *m);
/* Rows (buckets with weights) kept in the model. */
size_t linear_rows(const struct linear_model *m);

/*
 * Classifies text[0..len): fills top[0..k) with the k best classes, best
 * first, and returns how many were filled (min(k, nclass)).
 */
int linear_predict(const struct linear_model *m, struct linear_ctx *c, const char *text, size_t len,
                   struct linear_pred *top, int k);
/* The raw decision value of every class into dec[0..nclass). */
void linear_decision(const struct linear_model *m, struct linear_ctx *c, const char *text,
                     size_t len, double *dec);
void linear_ctx_release(struct linear_ctx *c);

/* Metrics from a confusion matrix (rows = true class). */
struct linear_metrics {
    double accuracy, macro_f1;
    long total;
};
/* Fills *mt and, when not NULL, per-class precision, recall, f1 (nclass each). */
void linear_metrics(const long *confusion, int nclass, struct linear_metrics *mt, double *prec,
                    double *rec, double *f1);

#endif
