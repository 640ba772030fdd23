/*
 * Unit tests for core/text/features and core/text/linear: stable hashing,
 * UTF-8 character n-grams, word n-grams and the tokenizer callback, TF-IDF
 * weighting; training SVM, LR, Crammer-Singer and NB on a small written separable fixture;
 * the model file round trip; damaged files rejected with a clear error; and
 * a golden file of classifications by the committed models (skipped with a
 * message when they are missing).
 */
#include "unit.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/features.h"
#include "text/labeled.h"
#include "text/linear.h"
#include "text/seg.h"
#include "text/segdict.h"

#define FIXTURES "tests/fixtures/linear/"

static size_t nfeat(const struct feat_config *cfg, const char *s, struct feat_vec *v)
{
    struct feat_extractor fx = {*cfg, NULL, NULL};
    struct feat_scratch sc = {0};
    feat_extract(&fx, s, strlen(s), &sc, v);
    feat_scratch_release(&sc);
    return v->n;
}

static bool same_vec(const struct feat_vec *a, const struct feat_vec *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (a->id[i] != b->id[i] || a->val[i] != b->val[i])
            return false;
    return true;
}

static void test_hash_stable(void **state)
{
    (void)state;
    /* Models depend on these values: changing the hash breaks every model file. */
    assert_int_equal(feat_hash("abc", 3, 0), 2698450174u);
    assert_int_equal(feat_hash("", 0, 0), 2872998923u);
    assert_int_equal(feat_hash("好吃", 6, 7), 4128209428u);
    assert_int_not_equal(feat_hash("abc", 3, 1), feat_hash("abc", 3, 0));
}

static void test_char_ngrams_utf8(void **state)
{
    struct feat_config cfg;
    struct feat_vec a = {0}, b = {0};
    (void)state;
    feat_config_default(&cfg);
    cfg.bits = 24;
    /* 3 characters: 3 unigrams + 2 bigrams + 1 trigram, counted in code points, not bytes. */
    assert_int_equal(nfeat(&cfg, "好吃吗", &a), 6);
    for (size_t i = 0; i < a.n; i++)
        assert_float_equal(a.val[i], 1.0, 1e-6);
    for (size_t i = 1; i < a.n; i++)
        assert_true(a.id[i - 1] < a.id[i]);
    /* Repeats: "好好" = 好 twice (tf 1 + ln 2) and 好好 once. */
    assert_int_equal(nfeat(&cfg, "好好", &a), 2);
    assert_true(fabsf(a.val[0] - (1.0f + logf(2))) < 1e-5 ||
                fabsf(a.val[1] - (1.0f + logf(2))) < 1e-5);
    /* Same unigrams, other order: the bigram differs. */
    nfeat(&cfg, "好吃", &a);
    nfeat(&cfg, "吃好", &b);
    assert_int_equal(a.n, 3);
    assert_false(same_vec(&a, &b));
    /* ASCII case and whitespace runs are normalised. */
    nfeat(&cfg, "Hello  World", &a);
    nfeat(&cfg, " hello world\t", &b);
    assert_true(same_vec(&a, &b));
    /* Invalid UTF-8 is one character per bad byte, no crash. */
    assert_int_equal(nfeat(&cfg, "\xff\xfe", &a), 3);
    assert_int_equal(nfeat(&cfg, "", &a), 0);
    feat_vec_release(&a);
    feat_vec_release(&b);
}

static void test_word_ngrams(void **state)
{
    struct feat_config cfg = {0, 0, 1, 2, 20, 0, 0};
    struct feat_vec a = {0}, b = {0};
    (void)state;
    /* hello, world, hello+world; "a" is too short to be a word. */
    assert_int_equal(nfeat(&cfg, "Hello, a WORLD!", &a), 3);
    nfeat(&cfg, "hello world", &b);
    assert_true(same_vec(&a, &b));
    /* Chinese is not split into Latin words. */
    assert_int_equal(nfeat(&cfg, "好吃", &a), 0);
    /* Latin-1 letters belong to words and are lower-cased. */
    nfeat(&cfg, "Café crème", &a);
    nfeat(&cfg, "CAFÉ CRÈME", &b);
    assert_int_equal(a.n, 3);
    feat_vec_release(&a);
    feat_vec_release(&b);
}

static void test_bounds(void **state)
{
    struct feat_config cfg;
    struct feat_vec a = {0}, b = {0};
    (void)state;
    feat_config_default(&cfg);
    cfg.bits = 24;
    cfg.bounds = 1;
    /* 好吃吗 framed: 3 unigrams (the marks alone are not features), 4 bigrams (^好 好吃 吃吗
     * 吗$), 3 trigrams (^好吃 好吃吗 吃吗$). */
    assert_int_equal(nfeat(&cfg, "好吃吗", &a), 10);
    assert_int_equal(nfeat(&cfg, "好", &a), 4); /* 好, ^好, 好$, ^好$ */
    assert_int_equal(nfeat(&cfg, "", &a), 0);
    assert_int_equal(nfeat(&cfg, "  ", &a), 0);
    /* 好吃 at the start and at the end are different features; without marks the same. */
    nfeat(&cfg, "好吃", &a);
    nfeat(&cfg, "好吃好吃", &b);
    assert_int_equal(a.n, 3 + 2 + 2); /* 好 吃, ^好 好吃 吃$, ^好吃 好吃$ */
    cfg.bounds = 0;
    assert_int_equal(nfeat(&cfg, "好吃吗", &a), 6);
    /* Latin words are the same with and without marks. */
    struct feat_config w = {1, 1, 1, 2, 24, 0, 1};
    assert_int_equal(nfeat(&w, "hello world", &a), 7 + 3); /* h e l o w r d; 2 words + pair */
    w.bounds = 0;
    nfeat(&w, "hello world", &b);
    assert_true(same_vec(&a, &b));
    feat_vec_release(&a);
    feat_vec_release(&b);
}

/* A toy segmenter: tokens separated by '|'. */
static void bar_tok(void *ctx, const char *s, size_t len, feat_emit_fn emit, void *arg)
{
    size_t start = 0;
    (*(int *)ctx)++;
    for (size_t i = 0; i <= len; i++)
        if (i == len || s[i] == '|') {
            if (i > start)
                emit(arg, s + start, i - start);
            start = i + 1;
        }
}

static void test_tokenizer_callback(void **state)
{
    int calls = 0;
    struct feat_extractor fx = {{0, 0, 1, 1, 20, 1, 0}, bar_tok, &calls};
    struct feat_scratch sc = {0};
    struct feat_vec v = {0}, w = {0};
    (void)state;
    feat_extract(&fx, "快递|很|慢|！", strlen("快递|很|慢|！"), &sc, &v);
    assert_int_equal(calls, 1);
    assert_int_equal(v.n, 4);
    feat_extract(&fx, "快递很慢", strlen("快递很慢"), &sc, &w);
    assert_int_equal(w.n, 1); /* one token */
    feat_weigh(&v, NULL);
    double ss = 0;
    for (size_t i = 0; i < v.n; i++)
        ss += (double)v.val[i] * v.val[i];
    assert_float_equal(ss, 1.0, 1e-6);
    feat_vec_release(&v);
    feat_vec_release(&w);
    feat_scratch_release(&sc);
}

static void load_toy(struct labeled *d)
{
    struct labeled_opts lo = {.text_col = "text", .label_col = "label"};
    struct kerr e;
    assert_int_equal(labeled_read(FIXTURES "toy.csv", &lo, d, &e), 0);
    assert_int_equal(d->n, 36);
    assert_int_equal(d->nlabels, 3);
}

static struct linear_model *train_toy(const struct labeled *d, enum linear_kind kind)
{
    struct feat_extractor fx = {0};
    struct linear_train_opts o = {.kind = kind, .C = 1, .calibrate = true};
    struct linear_model *m = NULL;
    struct kerr e;
    feat_config_default(&fx.cfg);
    fx.cfg.bits = 16;
    fx.cfg.word_min = 1;
    fx.cfg.word_max = 2;
    assert_int_equal(linear_train(&fx, (const char *const *)d->labels, d->nlabels,
                                  (const char *const *)d->text, d->len, d->y, d->n, &o, &m, &e),
                     0);
    return m;
}

static void test_train_separable(void **state)
{
    static const struct {
        const char *text, *label;
    } unseen[] = {
        {"快递到现在还没送到", "物流"},
        {"质量差，用一天就坏了", "质量"},
        {"客服态度太差了", "服务"},
        {"The delivery is late again", "物流"},
    };
    struct labeled d;
    (void)state;
    load_toy(&d);
    for (enum linear_kind k = LINEAR_SVM; k <= LINEAR_CS; k++) {
        struct linear_model *m = train_toy(&d, k);
        struct linear_ctx c = {0};
        struct linear_pred top[3];
        size_t right = 0;
        for (size_t i = 0; i < d.n; i++) {
            linear_predict(m, &c, d.text[i], d.len[i], top, 1);
            right += top[0].label == d.y[i];
        }
        assert_true(right >= d.n - 1); /* separable: (nearly) all training texts right */
        for (size_t i = 0; i < sizeof unseen / sizeof unseen[0]; i++) {
            assert_int_equal(linear_predict(m, &c, unseen[i].text, strlen(unseen[i].text), top, 3),
                             3);
            assert_string_equal(linear_label(m, top[0].label), unseen[i].label);
            assert_true(top[0].score >= top[1].score && top[1].score >= top[2].score);
            assert_float_equal(top[0].score + top[1].score + top[2].score, 1.0, 1e-4);
        }
        linear_ctx_release(&c);
        linear_free(m);
    }
    labeled_release(&d);
}

static void test_roundtrip(void **state)
{
    struct labeled d;
    struct kerr e;
    struct linear_model *m, *m2;
    struct linear_ctx c = {0};
    size_t len, len2;
    (void)state;
    load_toy(&d);
    m = train_toy(&d, LINEAR_SVM);
    void *buf = linear_serialize(m, &len);
    assert_int_equal(linear_load_mem(buf, len, &m2, &e), 0);
    assert_int_equal(linear_nclass(m2), 3);
    assert_int_equal(linear_rows(m2), linear_rows(m));
    for (int k = 0; k < 3; k++)
        assert_string_equal(linear_label(m, k), linear_label(m2, k));
    assert_int_equal(linear_label_index(m2, "质量"), linear_label_index(m, "质量"));
    for (size_t i = 0; i < d.n; i++) {
        double a[3], b[3];
        linear_decision(m, &c, d.text[i], d.len[i], a);
        linear_decision(m2, &c, d.text[i], d.len[i], b);
        assert_memory_equal(a, b, sizeof a);
    }
    void *buf2 = linear_serialize(m2, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    /* Through a file too. */
    char path[] = "/tmp/kesu-linear-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(linear_save(m, path, &e), 0);
    linear_free(m2);
    assert_int_equal(linear_load(path, &m2, &e), 0);
    assert_int_equal(linear_rows(m2), linear_rows(m));
    remove(path);
    linear_free(m2);
    free(buf);
    free(buf2);
    linear_ctx_release(&c);
    linear_free(m);
    labeled_release(&d);
}

/* The bounds flag is kept in the model file; an unknown flag is refused. */
static void test_bounds_roundtrip(void **state)
{
    struct labeled d;
    struct feat_extractor fx = {0};
    struct linear_train_opts o = {.C = 1};
    struct linear_model *m, *m2;
    struct linear_ctx c = {0};
    struct kerr e;
    size_t len;
    (void)state;
    load_toy(&d);
    feat_config_default(&fx.cfg);
    fx.cfg.bits = 16;
    fx.cfg.bounds = 1;
    assert_int_equal(linear_train(&fx, (const char *const *)d.labels, d.nlabels,
                                  (const char *const *)d.text, d.len, d.y, d.n, &o, &m, &e),
                     0);
    unsigned char *buf = linear_serialize(m, &len);
    assert_int_equal(linear_load_mem(buf, len, &m2, &e), 0);
    assert_int_equal(linear_config(m2)->bounds, 1);
    assert_int_equal(linear_config(m2)->use_tok, 0);
    for (size_t i = 0; i < d.n; i++) {
        double a[3], b[3];
        linear_decision(m, &c, d.text[i], d.len[i], a);
        linear_decision(m2, &c, d.text[i], d.len[i], b);
        assert_memory_equal(a, b, sizeof a);
    }
    linear_free(m2);
    free(buf);
    linear_ctx_release(&c);
    linear_free(m);
    labeled_release(&d);
}

/* nb_mix: the model is the weighted average of the NB-SVM and the plain SVM. */
static void test_nb_mix(void **state)
{
    struct labeled d;
    struct feat_extractor fx = {0};
    struct linear_train_opts o = {.C = 1, .nb_scale = true};
    struct linear_model *nb, *plain, *mix, *bad;
    struct linear_ctx c = {0};
    struct kerr e;
    int differ = 0;
    (void)state;
    load_toy(&d);
    feat_config_default(&fx.cfg);
    fx.cfg.bits = 16;
#define TRAIN(out)                                                                                 \
    assert_int_equal(linear_train(&fx, (const char *const *)d.labels, d.nlabels,                   \
                                  (const char *const *)d.text, d.len, d.y, d.n, &o, &out, &e),     \
                     0)
    TRAIN(nb);
    o.nb_scale = false;
    TRAIN(plain);
    o.nb_scale = true;
    o.nb_mix = 0.25;
    TRAIN(mix);
    for (size_t i = 0; i < d.n; i++) {
        double a[3], b[3], m[3];
        linear_decision(nb, &c, d.text[i], d.len[i], a);
        linear_decision(plain, &c, d.text[i], d.len[i], b);
        linear_decision(mix, &c, d.text[i], d.len[i], m);
        for (int k = 0; k < 3; k++) {
            /* 16-bit weights: the three models agree up to rounding */
            assert_float_equal(m[k], 0.75 * a[k] + 0.25 * b[k], 2e-3 * (1 + fabs(m[k])));
            differ += fabs(a[k] - b[k]) > 0.05;
        }
    }
    assert_true(differ > 0); /* the two parts are different models */
    o.nb_mix = 1;
    assert_int_equal(linear_train(&fx, (const char *const *)d.labels, d.nlabels,
                                  (const char *const *)d.text, d.len, d.y, d.n, &o, &bad, &e),
                     KERR_INVALID);
    assert_non_null(strstr(e.message, "nb_mix"));
#undef TRAIN
    linear_ctx_release(&c);
    linear_free(nb);
    linear_free(plain);
    linear_free(mix);
    labeled_release(&d);
}

/* Trains on the first n toy texts; 0 or KERR_INVALID. */
static int train_n(const struct labeled *d, size_t n, const struct linear_train_opts *o,
                   struct linear_model **m, struct kerr *e)
{
    struct feat_extractor fx = {0};
    feat_config_default(&fx.cfg);
    fx.cfg.bits = 16;
    return linear_train(&fx, (const char *const *)d->labels, d->nlabels,
                        (const char *const *)d->text, d->len, d->y, n, o, m, e);
}

/* Largest difference of decision values between two models over the toy texts. */
static double max_gap(const struct labeled *d, const struct linear_model *a,
                      const struct linear_model *b)
{
    struct linear_ctx c = {0};
    double gap = 0;
    for (size_t i = 0; i < d->n; i++) {
        double x[3], y[3];
        linear_decision(a, &c, d->text[i], d->len[i], x);
        linear_decision(b, &c, d->text[i], d->len[i], y);
        for (int k = 0; k < 3; k++)
            gap = fmax(gap, fabs(x[k] - y[k]));
    }
    linear_ctx_release(&c);
    return gap;
}

/* class_power: balanced weights raised to a power; 1 is --balanced, near 0 is unweighted. */
static void test_class_power(void **state)
{
    struct labeled d;
    struct linear_train_opts o = {.C = 1};
    struct linear_model *plain, *bal, *p1, *p0, *p2, *bad;
    struct kerr e;
    (void)state;
    load_toy(&d);
    /* The first 30 texts: 12, 12 and 6 of the three classes. */
    assert_int_equal(train_n(&d, 30, &o, &plain, &e), 0);
    o.balanced = true;
    assert_int_equal(train_n(&d, 30, &o, &bal, &e), 0);
    o.class_power = 1;
    assert_int_equal(train_n(&d, 30, &o, &p1, &e), 0);
    o.class_power = 1e-6;
    assert_int_equal(train_n(&d, 30, &o, &p0, &e), 0);
    o.class_power = 2;
    assert_int_equal(train_n(&d, 30, &o, &p2, &e), 0);
    assert_true(max_gap(&d, bal, p1) == 0);      /* power 1 is the default */
    assert_true(max_gap(&d, plain, p0) < 1e-3);  /* power ~0: unweighted */
    assert_true(max_gap(&d, plain, bal) > 0.01); /* the weights matter here */
    assert_true(max_gap(&d, bal, p2) > 0.01);    /* and beyond balanced too */
    o.class_power = 5;
    assert_int_equal(train_n(&d, 30, &o, &bad, &e), KERR_INVALID);
    assert_non_null(strstr(e.message, "class_power"));
    linear_free(plain);
    linear_free(bal);
    linear_free(p1);
    linear_free(p0);
    linear_free(p2);
    labeled_release(&d);
}

/* own_mix: the first n_own texts share own_mix of the weight; their natural share is plain. */
static void test_own_mix(void **state)
{
    struct labeled d;
    struct feat_extractor fx = {0};
    struct linear_train_opts o = {.C = 1, .nb_mix = 0.5, .nb_scale = true};
    struct linear_model *plain, *same, *heavy, *bad;
    struct kerr e;
    long cm[9] = {0};
    struct linear_metrics mt;
    (void)state;
    load_toy(&d);
    assert_int_equal(train_n(&d, 36, &o, &plain, &e), 0);
    o.n_own = 24;
    o.own_mix = 24.0 / 36.0; /* every text weighs 1, as without own_mix */
    assert_int_equal(train_n(&d, 36, &o, &same, &e), 0);
    o.own_mix = 0.95;
    assert_int_equal(train_n(&d, 36, &o, &heavy, &e), 0);
    assert_true(max_gap(&d, plain, same) < 1e-3);
    assert_true(max_gap(&d, plain, heavy) > 0.01);
    o.own_mix = 1;
    assert_int_equal(train_n(&d, 36, &o, &bad, &e), KERR_INVALID);
    assert_non_null(strstr(e.message, "own_mix"));
    /* Cross-validation over 24 texts with the last 12 as extra texts, weighed down. */
    o.own_mix = 0.8;
    feat_config_default(&fx.cfg);
    assert_int_equal(linear_cv(&fx, (const char *const *)d.labels, d.nlabels,
                               (const char *const *)d.text, d.len, d.y, 24, 12, &o, 3, 7, cm, &e),
                     0);
    linear_metrics(cm, 3, &mt, NULL, NULL, NULL);
    assert_int_equal(mt.total, 24);
    linear_free(plain);
    linear_free(same);
    linear_free(heavy);
    labeled_release(&d);
}

/* tune_bias: offsets that undo a class's shifted decision values; training with inner folds. */
static void test_tune_bias(void **state)
{
    /* Class 2's decisions sit 0.3 too low: its texts lose to class 0 unless offset. */
    double dec[6 * 3] = {
        1.0, 0.0, 0.5,  0.9, 0.1, 0.0, 0.0, 1.0, 0.2, /* two of class 0, one of class 1 */
        0.5, 0.0, 0.45, 0.6, 0.1, 0.5, 0.0, 0.8, 0.7, /* three of class 2 */
    };
    int y[6] = {0, 0, 1, 2, 2, 2};
    double off[3];
    struct labeled d;
    struct linear_train_opts o = {.C = 1, .tune_bias = 3};
    struct linear_model *m, *plain, *bad;
    struct kerr e;
    (void)state;
    linear_tune_offsets(dec, y, 6, 3, false, off);
    for (int i = 0; i < 6; i++) { /* every row now right */
        int best = 0;
        for (int k = 1; k < 3; k++)
            if (dec[i * 3 + k] + off[k] > dec[i * 3 + best] + off[best])
                best = k;
        assert_int_equal(best, y[i]);
    }
    assert_true(off[2] - off[0] > 0.1 && off[2] - off[1] > 0.1);
    load_toy(&d);
    assert_int_equal(train_n(&d, 36, &o, &m, &e), 0);
    o.tune_bias = 0;
    assert_int_equal(train_n(&d, 36, &o, &plain, &e), 0);
    /* Same weights, only the biases may differ: the gap is the same for every text. */
    assert_true(max_gap(&d, m, plain) <= 0.6 + 1e-6);
    o.tune_bias = 1;
    assert_int_equal(train_n(&d, 36, &o, &bad, &e), KERR_INVALID);
    assert_non_null(strstr(e.message, "tune_bias"));
    linear_free(m);
    linear_free(plain);
    labeled_release(&d);
}

/* tune_accuracy: where the accuracy and the macro-F1 of a threshold disagree, each gets its own. */
static void test_tune_accuracy(void **state)
{
    /* Two-class rows (0, s): class 1 iff s + off[1] > off[0]. Three texts of class 1 and
     * eleven of class 0, three of them between class 1's best and its other two. */
    const double s1[3] = {0.5, 0.1, 0.05},
                 s0[11] = {0.3, 0.2, 0.15, -1, -1, -1, -1, -1, -1, -1, -1};
    double dec[14 * 2], off_acc[2], off_f1[2];
    int y[14];
    long right_acc = 0, right_f1 = 0;
    (void)state;
    for (int i = 0; i < 14; i++) {
        dec[2 * i] = 0;
        dec[2 * i + 1] = i < 3 ? s1[i] : s0[i - 3];
        y[i] = i < 3;
    }
    linear_tune_offsets(dec, y, 14, 2, true, off_acc);
    linear_tune_offsets(dec, y, 14, 2, false, off_f1);
    for (int i = 0; i < 14; i++) {
        right_acc += (dec[2 * i + 1] + off_acc[1] > off_acc[0]) == (y[i] == 1);
        right_f1 += (dec[2 * i + 1] + off_f1[1] > off_f1[0]) == (y[i] == 1);
    }
    /* Accuracy: only 0.5 is class 1 (12 of 14 right). Macro-F1: all three, at three
     * false alarms (11 right; F1 0.667 and 0.842 against 0.5 and 0.917). */
    assert_int_equal(right_acc, 12);
    assert_int_equal(right_f1, 11);
}

/* linear_cv_sources: every text is folded and tested, each into its source's matrix. */
static void test_cv_sources(void **state)
{
    struct labeled d;
    struct feat_extractor fx = {0};
    struct linear_train_opts o = {.C = 1};
    long cm[3 * 9] = {0}, sum[9] = {0}, once[9] = {0};
    int src[36];
    struct linear_metrics mt;
    struct kerr e;
    (void)state;
    load_toy(&d);
    feat_config_default(&fx.cfg);
    for (int i = 0; i < 36; i++)
        src[i] = i < 20 ? 0 : i < 30 ? 1 : 2;
    /* All 36 as own texts: the same folds and trainings as linear_cv, split by source. */
    assert_int_equal(linear_cv_sources(&fx, (const char *const *)d.labels, d.nlabels,
                                       (const char *const *)d.text, d.len, d.y, 36, 0, src, &o, 4,
                                       3, cm, &e),
                     0);
    assert_int_equal(linear_cv(&fx, (const char *const *)d.labels, d.nlabels,
                               (const char *const *)d.text, d.len, d.y, 36, 0, &o, 4, 3, once, &e),
                     0);
    for (int b = 0; b < 3; b++)
        for (int i = 0; i < 9; i++)
            sum[i] += cm[9 * b + i];
    assert_memory_equal(sum, once, sizeof once);
    /* 20 own texts and 16 extra ones, weighed: the extra ones are tested too. */
    memset(cm, 0, sizeof cm);
    memset(once, 0, sizeof once);
    o.own_mix = 0.6;
    assert_int_equal(linear_cv_sources(&fx, (const char *const *)d.labels, d.nlabels,
                                       (const char *const *)d.text, d.len, d.y, 20, 16, src, &o, 4,
                                       3, cm, &e),
                     0);
    for (int b = 0; b < 3; b++) {
        linear_metrics(cm + 9 * b, 3, &mt, NULL, NULL, NULL);
        assert_int_equal(mt.total, b == 0 ? 20 : b == 1 ? 10 : 6);
        for (int t = 0; t < 3; t++) { /* each text's true label in its own source's rows */
            long row = 0, want = 0;
            for (int p = 0; p < 3; p++)
                row += cm[9 * b + 3 * t + p];
            for (int i = 0; i < 36; i++)
                want += src[i] == b && d.y[i] == t;
            assert_int_equal(row, want);
        }
    }
    /* Without sources only the first 20 are tested. */
    assert_int_equal(linear_cv(&fx, (const char *const *)d.labels, d.nlabels,
                               (const char *const *)d.text, d.len, d.y, 20, 16, &o, 4, 3, once, &e),
                     0);
    linear_metrics(once, 3, &mt, NULL, NULL, NULL);
    assert_int_equal(mt.total, 20);
    /* More folds than texts is refused. */
    assert_int_equal(linear_cv_sources(&fx, (const char *const *)d.labels, d.nlabels,
                                       (const char *const *)d.text, d.len, d.y, 20, 16, src, &o, 37,
                                       3, cm, &e),
                     KERR_INVALID);
    labeled_release(&d);
}

struct shared_run {
    const struct linear_model *m;
    const struct labeled *d;
    int *out;
};

static void *predict_all(void *arg)
{
    struct shared_run *r = arg;
    struct linear_ctx c = {0};
    struct linear_pred top;
    for (int rep = 0; rep < 20; rep++)
        for (size_t i = 0; i < r->d->n; i++) {
            linear_predict(r->m, &c, r->d->text[i], r->d->len[i], &top, 1);
            r->out[i] = top.label;
        }
    linear_ctx_release(&c);
    return NULL;
}

/* Two threads predicting with one shared read-only model agree with a serial run. */
static void test_shared_model_threads(void **state)
{
    struct labeled d;
    (void)state;
    load_toy(&d);
    struct linear_model *m = train_toy(&d, LINEAR_SVM);
    int serial[36], a[36], b[36];
    struct shared_run rs = {m, &d, serial}, ra = {m, &d, a}, rb = {m, &d, b};
    pthread_t ta, tb;
    predict_all(&rs);
    assert_int_equal(pthread_create(&ta, NULL, predict_all, &ra), 0);
    assert_int_equal(pthread_create(&tb, NULL, predict_all, &rb), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_memory_equal(serial, a, sizeof a);
    assert_memory_equal(serial, b, sizeof b);
    linear_free(m);
    labeled_release(&d);
}

static void expect_bad(const void *buf, size_t len, const char *why)
{
    struct linear_model *m = (struct linear_model *)1;
    struct kerr e;
    kerr_clear(&e);
    assert_int_equal(linear_load_mem(buf, len, &m, &e), KERR_INVALID);
    assert_null(m);
    if (!strstr(e.message, why))
        fail_msg("message \"%s\" does not say \"%s\"", e.message, why);
}

static void test_corrupt_rejected(void **state)
{
    struct labeled d;
    struct linear_model *m;
    struct kerr e;
    size_t len;
    (void)state;
    load_toy(&d);
    m = train_toy(&d, LINEAR_NB);
    unsigned char *buf = linear_serialize(m, &len), *copy = malloc(len);
    expect_bad(buf, 3, "header");
    expect_bad(buf, len - 1, "truncated");
    expect_bad(buf, 25, "truncated");
    memcpy(copy, buf, len);
    copy[0] = 'X';
    expect_bad(copy, len, "header");
    memcpy(copy, buf, len);
    copy[4] = 9; /* version */
    expect_bad(copy, len, "version 9");
    for (size_t at = 20; at < len; at += len / 7) {
        memcpy(copy, buf, len);
        copy[at] ^= 0x40;
        expect_bad(copy, len, "checksum");
    }
    linear_free(m);
    assert_int_equal(linear_load("/nonexistent/x.kmod", &m, &e) == KERR_IO, 1);
    assert_non_null(strstr(e.message, "cannot open"));
    assert_int_equal(linear_resolve("no-such-model-here", (char[64]){0}, 64, &e), KERR_NOTFOUND);
    free(copy);
    free(buf);
    labeled_release(&d);
}

static void test_bad_options(void **state)
{
    struct feat_extractor fx = {0};
    struct linear_train_opts o = {0};
    struct linear_model *m;
    struct kerr e;
    const char *labels[] = {"a", "b"};
    const char *texts[] = {"x", "y"};
    size_t lens[] = {1, 1};
    int y[] = {0, 0};
    (void)state;
    feat_config_default(&fx.cfg);
    assert_int_equal(linear_train(&fx, labels, 2, texts, lens, y, 2, &o, &m, &e), KERR_INVALID);
    assert_non_null(strstr(e.message, "fewer than two classes"));
    fx.cfg.bits = 30;
    y[1] = 1;
    assert_int_equal(linear_train(&fx, labels, 2, texts, lens, y, 2, &o, &m, &e), KERR_INVALID);
}

static void test_labeled_jsonl(void **state)
{
    struct labeled_opts lo = {
        .text_col = "review", .label_col = "label", .label_map = "1=positive,0=negative"};
    struct labeled d;
    struct kerr e;
    (void)state;
    assert_int_equal(labeled_read(FIXTURES "toy.jsonl", &lo, &d, &e), 0);
    assert_int_equal(d.nlabels, 2);
    assert_string_equal(d.labels[0], "positive"); /* the map's order */
    assert_int_equal(d.n, 4);                     /* empty text, unmapped 2, bad line skipped */
    assert_int_equal(d.skipped, 3);
    assert_int_equal(d.y[0], 0);
    assert_int_equal(d.y[1], 1);
    assert_int_equal(d.y[3], 1); /* "0" as a string maps too */
    assert_int_equal(labeled_dedup(&d), 1);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.text[2], "一般般");
    labeled_release(&d);
    lo.label_col = "nope";
    assert_int_equal(labeled_read(FIXTURES "toy.csv", &lo, &d, &e), KERR_INVALID);
    assert_non_null(strstr(e.message, "no column"));
    labeled_release(&d);
}

static void test_cv(void **state)
{
    struct labeled d;
    struct feat_extractor fx = {0};
    struct linear_train_opts o = {0};
    long cm[9] = {0};
    struct linear_metrics mt;
    struct kerr e;
    (void)state;
    load_toy(&d);
    feat_config_default(&fx.cfg);
    assert_int_equal(linear_cv(&fx, (const char *const *)d.labels, d.nlabels,
                               (const char *const *)d.text, d.len, d.y, d.n, 0, &o, 3, 7, cm, &e),
                     0);
    linear_metrics(cm, 3, &mt, NULL, NULL, NULL);
    assert_int_equal(mt.total, 36); /* every text tested once */
    /* 24 training texts per fold: well above chance (1/3), far from perfect. */
    assert_true(mt.accuracy > 0.45);
    assert_true(mt.macro_f1 > 0.45);
    /* linear_cv_folds(): the same folds, each about n / k texts. */
    int fold[36], count[3] = {0};
    linear_cv_folds(36, 3, 7, fold);
    for (int i = 0; i < 36; i++) {
        assert_true(fold[i] >= 0 && fold[i] < 3);
        count[fold[i]]++;
    }
    assert_int_equal(count[0], 12);
    assert_int_equal(count[2], 12);
    labeled_release(&d);
}

/* The jieba dictionary for models trained on segmenter words (built once, on first need). */
static struct segdict *golden_dict(struct segdict **dict)
{
    if (!*dict) {
        struct segdict_src src = SEGDICT_SRC_DEFAULT;
        struct strbuf img = STRBUF_INIT;
        struct kerr e;
        if (segdict_build(&src, &img, &e) < 0 || !(*dict = segdict_from_image(&img, &e)))
            fail_msg("cannot build the jieba dictionary: %s", e.message);
        strbuf_release(&img);
    }
    return *dict;
}

/* golden.tsv: model name, expected label, text; committed models only. */
static void test_golden(void **state)
{
    FILE *f = fopen(FIXTURES "golden.tsv", "r");
    char line[2048];
    int checked = 0;
    struct segdict *dict = NULL;
    (void)state;
    assert_non_null(f);
    while (fgets(line, sizeof line, f)) {
        char *name = line, *label, *text, path[4096];
        struct linear_model *m;
        struct linear_ctx c = {0};
        struct linear_pred top;
        struct kerr e;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        label = strchr(name, '\t');
        assert_non_null(label);
        *label++ = '\0';
        text = strchr(label, '\t');
        assert_non_null(text);
        *text++ = '\0';
        snprintf(path, sizeof path, "models/%s.kmod", name);
        if (linear_load(path, &m, &e) < 0) {
            if (e.message[0] && strstr(e.message, "cannot open")) {
                printf("SKIP golden %s: %s\n", name, e.message);
                continue;
            }
            fail_msg("%s: %s", path, e.message);
        }
        if (linear_config(m)->use_tok)
            linear_set_tokenizer(m, seg_feat_tok, golden_dict(&dict));
        linear_predict(m, &c, text, strlen(text), &top, 1);
        if (strcmp(linear_label(m, top.label), label) != 0)
            fail_msg("%s: \"%s\" gave %s, expected %s", name, text, linear_label(m, top.label),
                     label);
        checked++;
        linear_ctx_release(&c);
        linear_free(m);
    }
    fclose(f);
    if (dict)
        segdict_close(dict);
    printf("golden: %d classifications checked\n", checked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_stable),
        cmocka_unit_test(test_char_ngrams_utf8),
        cmocka_unit_test(test_word_ngrams),
        cmocka_unit_test(test_tokenizer_callback),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_bounds_roundtrip),
        cmocka_unit_test(test_nb_mix),
        cmocka_unit_test(test_class_power),
        cmocka_unit_test(test_own_mix),
        cmocka_unit_test(test_tune_bias),
        cmocka_unit_test(test_tune_accuracy),
        cmocka_unit_test(test_cv_sources),
        cmocka_unit_test(test_train_separable),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_corrupt_rejected),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_labeled_jsonl),
        cmocka_unit_test(test_cv),
        cmocka_unit_test(test_shared_model_threads),
        cmocka_unit_test(test_golden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
