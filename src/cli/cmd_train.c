/*
 * cmd_train.c: `kesu train`: trains a linear text classifier (text/linear.h)
 * from a labelled CSV or JSON Lines file and writes a model file; with --cv,
 * reports K-fold cross-validated accuracy and macro-F1 first.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/clock.h"
#include "base/strbuf.h"
#include "cli/commands.h"
#include "store/db.h"
#include "text/seg.h"
#include "text/segdict.h"
#include "text/labeled.h"
#include "text/linear.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: kesu train --input FILE --text-col COL --label-col COL [options] [--out PATH]\n\n"
        "Trains a linear text classifier on labelled texts (FILE: .csv with a header row,\n"
        "or .jsonl) and writes it to PATH (a .kmod model file).\n"
        "  --label-map MAP     rename raw labels: 0=negative,1=positive (other rows skipped)\n"
        "  --model KIND        svm (default: linear SVM, squared hinge), lr (logistic\n"
        "                      regression), cs (Crammer-Singer multi-class SVM) or nb\n"
        "                      (multinomial naive Bayes)\n"
        "  --ngrams A-B        character n-grams, default 1-3 (0 = none)\n"
        "  --word-ngrams A-B   Latin-script word n-grams, default none (e.g. 1-2)\n"
        "  --seg-words A-B     word n-grams of kesu's segmenter (any script) instead\n"
        "  --from-store FIELD  also the stored records a person labelled: category (the\n"
        "                      levels as one path, from PATCH corrections and imports'\n"
        "                      own categories) or severity (set with PATCH)\n"
        "  --bits K            2^K hashed feature buckets, default 20 (10-24)\n"
        "  --C X               regularisation (larger = fit closer), default 0.5\n"
        "  --nb-scale          NB-SVM: scale features by their naive Bayes log-count\n"
        "                      ratio per one-vs-rest problem (often better for sentiment)\n"
        "  --nb-mix X          NB-SVM averaged with a plain SVM on the same features,\n"
        "                      X the plain one's share (0-1, e.g. 0.5; implies --nb-scale)\n"
        "  --nb-alpha X        smoothing of the naive Bayes counts (--model nb and the\n"
        "                      NB-SVM ratios), default 0.1\n"
        "  --bounds            start and end marks around each text for character n-grams\n"
        "  --balanced          weigh classes inversely to their frequency\n"
        "  --class-power P     balanced class weights raised to P (implies --balanced):\n"
        "                      below 1 between plain and balanced, above 1 beyond\n"
        "  --tune-bias K       per-class bias offsets that maximise macro-F1, chosen on\n"
        "                      out-of-fold decisions of K inner folds of the training\n"
        "                      texts (the --input ones; K + 1 trainings, e.g. 3)\n"
        "  --tune-for METRIC   what --tune-bias maximises: macro-f1 (default) or\n"
        "                      accuracy\n"
        "  --weight-bits 8|16  weight precision in the file, default 16\n"
        "  --no-calibrate      skip fitting the score scale on a held-out 10%%\n"
        "  --tol X             solver stopping tolerance, default 0.1 (svm, cs), 0.01 (lr)\n"
        "  --threads N         threads for one-vs-rest classes, default 2\n"
        "  --cv K              K-fold cross-validation first: accuracy, macro-F1\n"
        "  --seed S            fold assignment seed, default 1\n"
        "  --cv-folds FILE     with --cv: write the folds as CSV (text,label,fold; the\n"
        "                      --also texts get fold -1), for comparing other tools\n"
        "  --also FILE         extra training texts for --cv: in every training fold,\n"
        "                      never tested (and in the model)\n"
        "  --cv-also           with --cv and --also: the --also texts are folded and\n"
        "                      tested too, and accuracy and macro-F1 are printed per\n"
        "                      file (one recipe measured on each data set it learns)\n"
        "  --own-mix S         with --also: the --input texts keep their weight and the\n"
        "                      --also texts are weighed (each alike) so that the --input\n"
        "                      ones hold the share S (0-1) of the total training weight\n"
        "                      (default: every text weighs the same)\n"
        "  --keep-duplicates   keep repeated identical texts (dropped by default, so\n"
        "                      that cross-validation does not test on training texts)\n"
        "--input may be given up to 16 times (same columns); the files are joined.\n"
        "Without --out (and with --cv) no model is written.\n");
}

static int parse_range(const char *s, uint8_t *lo, uint8_t *hi)
{
    char *end;
    long a = strtol(s, &end, 10), b = a;
    if (end == s)
        return -1;
    if (*end == '-') {
        const char *t = end + 1;
        b = strtol(t, &end, 10);
        if (end == t)
            return -1;
    }
    if (*end || a < 0 || b < a || b > FEAT_MAX_N || (a == 0 && b != 0))
        return -1;
    *lo = (uint8_t)a;
    *hi = (uint8_t)b;
    return 0;
}

struct train_args {
    struct labeled_opts lo;
    const char *input[16], *out;
    int ninput;
    const char *from_store; /* NULL, "category" or "severity" */
    const char *also[16];
    int nalso;
    bool keep_dups;
    struct feat_extractor fx;
    struct linear_train_opts o;
    int cv;
    unsigned long long seed;
    const char *folds_out;
    bool cv_also;
};

static int parse_args(int argc, char **argv, struct train_args *a)
{
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"text-col", required_argument, NULL, 't'},
        {"label-col", required_argument, NULL, 'l'},
        {"label-map", required_argument, NULL, 'm'},
        {"model", required_argument, NULL, 'k'},
        {"ngrams", required_argument, NULL, 'n'},
        {"word-ngrams", required_argument, NULL, 'w'},
        {"seg-words", required_argument, NULL, 'W'},
        {"from-store", required_argument, NULL, 'F'},
        {"bits", required_argument, NULL, 'b'},
        {"C", required_argument, NULL, 'C'},
        {"balanced", no_argument, NULL, 'B'},
        {"weight-bits", required_argument, NULL, 'q'},
        {"no-calibrate", no_argument, NULL, 'N'},
        {"threads", required_argument, NULL, 'T'},
        {"cv", required_argument, NULL, 'v'},
        {"seed", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"keep-duplicates", no_argument, NULL, 'D'},
        {"also", required_argument, NULL, 'A'},
        {"nb-scale", no_argument, NULL, 'S'},
        {"nb-mix", required_argument, NULL, 'x'},
        {"bounds", no_argument, NULL, 'E'},
        {"tol", required_argument, NULL, 'e'},
        {"cv-folds", required_argument, NULL, 'f'},
        {"class-power", required_argument, NULL, 'P'},
        {"own-mix", required_argument, NULL, 'O'},
        {"tune-bias", required_argument, NULL, 'u'},
        {"nb-alpha", required_argument, NULL, 'a'},
        {"tune-for", required_argument, NULL, 'U'},
        {"cv-also", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    char *end;
    feat_config_default(&a->fx.cfg);
    a->o.calibrate = true;
    a->seed = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        end = NULL;
        switch (c) {
        case 'i':
            if (a->ninput == 16)
                return cli_fail(2, "train", "at most 16 --input files");
            a->input[a->ninput++] = optarg;
            break;
        case 'A':
            if (a->nalso == 16)
                return cli_fail(2, "train", "at most 16 --also files");
            a->also[a->nalso++] = optarg;
            break;
        case 'f':
            a->folds_out = optarg;
            break;
        case 'e':
            a->o.eps = strtod(optarg, &end);
            break;
        case 'S':
            a->o.nb_scale = true;
            break;
        case 'x':
            a->o.nb_mix = strtod(optarg, &end);
            a->o.nb_scale = true;
            break;
        case 'E':
            a->fx.cfg.bounds = 1;
            break;
        case 'P':
            a->o.class_power = strtod(optarg, &end);
            a->o.balanced = true;
            if (!(a->o.class_power > 0 && a->o.class_power <= 4))
                return cli_fail(2, "train", "--class-power must be in (0, 4]");
            break;
        case 'a':
            a->o.nb_alpha = strtod(optarg, &end);
            if (!(a->o.nb_alpha > 0))
                return cli_fail(2, "train", "--nb-alpha must be positive");
            break;
        case 'u':
            a->o.tune_bias = (int)strtol(optarg, &end, 10);
            if (a->o.tune_bias < 2 || a->o.tune_bias > 20)
                return cli_fail(2, "train", "--tune-bias wants 2 to 20 inner folds");
            break;
        case 'U':
            if (strcmp(optarg, "accuracy") == 0)
                a->o.tune_accuracy = true;
            else if (strcmp(optarg, "macro-f1") != 0)
                return cli_fail(2, "train", "--tune-for wants accuracy or macro-f1, not %s",
                                optarg);
            break;
        case 'V':
            a->cv_also = true;
            break;
        case 'O':
            a->o.own_mix = strtod(optarg, &end);
            if (!(a->o.own_mix > 0 && a->o.own_mix < 1))
                return cli_fail(2, "train", "--own-mix must be between 0 and 1");
            break;
        case 'D':
            a->keep_dups = true;
            break;
        case 't':
            a->lo.text_col = optarg;
            break;
        case 'l':
            a->lo.label_col = optarg;
            break;
        case 'm':
            a->lo.label_map = optarg;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'B':
            a->o.balanced = true;
            break;
        case 'N':
            a->o.calibrate = false;
            break;
        case 'k':
            if (strcmp(optarg, "svm") == 0)
                a->o.kind = LINEAR_SVM;
            else if (strcmp(optarg, "lr") == 0)
                a->o.kind = LINEAR_LR;
            else if (strcmp(optarg, "cs") == 0)
                a->o.kind = LINEAR_CS;
            else if (strcmp(optarg, "nb") == 0)
                a->o.kind = LINEAR_NB;
            else
                return cli_fail(2, "train", "--model must be svm, lr, cs or nb");
            break;
        case 'n':
            if (parse_range(optarg, &a->fx.cfg.char_min, &a->fx.cfg.char_max) < 0)
                return cli_fail(2, "train", "--ngrams wants A-B, e.g. 1-3");
            break;
        case 'F':
            if (strcmp(optarg, "category") && strcmp(optarg, "severity"))
                return cli_fail(2, "train", "--from-store is category or severity");
            a->from_store = optarg;
            break;
        case 'W':
            a->fx.cfg.use_tok = 1;
            /* fall through */
        case 'w':
            if (parse_range(optarg, &a->fx.cfg.word_min, &a->fx.cfg.word_max) < 0)
                return cli_fail(2, "train", "--word-ngrams and --seg-words want A-B, e.g. 1-2");
            break;
        case 'b':
            a->fx.cfg.bits = (uint8_t)strtol(optarg, &end, 10);
            break;
        case 'C':
            a->o.C = strtod(optarg, &end);
            break;
        case 'q':
            a->o.weight_bits = (int)strtol(optarg, &end, 10);
            break;
        case 'T':
            a->o.threads = (int)strtol(optarg, &end, 10);
            break;
        case 'v':
            a->cv = (int)strtol(optarg, &end, 10);
            break;
        case 's':
            a->seed = strtoull(optarg, &end, 10);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (end && *end)
            return cli_fail(2, "train", "bad number: %s", optarg);
    }
    if (optind < argc || (!a->ninput && !a->from_store) ||
        (a->ninput && (!a->lo.text_col || !a->lo.label_col)) || (!a->out && !a->cv)) {
        usage(stderr);
        return 2;
    }
    if (a->o.C < 0 || a->cv < 0 || a->cv == 1)
        return cli_fail(2, "train", "--C must be positive and --cv at least 2");
    if (a->o.own_mix > 0 && !a->nalso)
        return cli_fail(2, "train", "--own-mix weighs --input against --also texts: give --also");
    if (a->o.tune_accuracy && !a->o.tune_bias)
        return cli_fail(2, "train", "--tune-for says what --tune-bias maximises: give --tune-bias");
    if (a->cv_also && (!a->cv || !a->nalso))
        return cli_fail(2, "train", "--cv-also tests the --also texts too: give --cv and --also");
    if (a->cv_also && a->folds_out)
        return cli_fail(2, "train", "--cv-folds writes the folds of --cv without --cv-also");
    return -1;
}

static void csv_field(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

/* Writes text,label,fold for every text (fold -1: extra training texts, never tested). */
static int write_folds(const char *path, const struct labeled *d, size_t ncv, int k, uint64_t seed)
{
    FILE *f = fopen(path, "w");
    int *fold = calloc(ncv + 1, sizeof *fold);
    if (!f || !fold) {
        if (f)
            fclose(f);
        free(fold);
        return cli_fail(-1, "train", "%s: cannot write", path);
    }
    linear_cv_folds(ncv, k, seed, fold);
    fputs("text,label,fold\n", f);
    for (size_t i = 0; i < d->n; i++) {
        csv_field(f, d->text[i], d->len[i]);
        fputc(',', f);
        csv_field(f, d->labels[d->y[i]], strlen(d->labels[d->y[i]]));
        fprintf(f, ",%d\n", i < ncv ? fold[i] : -1);
    }
    free(fold);
    if (fclose(f) != 0)
        return cli_fail(-1, "train", "%s: cannot write", path);
    return 0;
}

static void print_cv(const struct labeled *d, const long *cm, int k, double secs)
{
    struct linear_metrics mt;
    double *f1 = calloc((size_t)d->nlabels, sizeof *f1);
    linear_metrics(cm, d->nlabels, &mt, NULL, NULL, f1);
    printf("cv: %d-fold over %ld texts: accuracy %.4f, macro-F1 %.4f (%.1f s)\n", k, mt.total,
           mt.accuracy, mt.macro_f1, secs);
    for (int c = 0; c < d->nlabels && d->nlabels <= 20; c++)
        printf("  %-20s F1 %.4f\n", d->labels[c], f1[c]);
    free(f1);
}

/* --cv-also: the whole, then one line per source (the --input files together, each --also). */
static void print_cv_sources(const struct train_args *a, const struct labeled *d, const long *cm,
                             int nsrc, double secs)
{
    size_t kk = (size_t)d->nlabels * (size_t)d->nlabels;
    long *all = calloc(kk + 1, sizeof *all);
    struct linear_metrics mt;
    for (int b = 0; b < nsrc; b++)
        for (size_t i = 0; i < kk; i++)
            all[i] += cm[(size_t)b * kk + i];
    print_cv(d, all, a->cv, secs);
    for (int b = 0; b < nsrc; b++) {
        linear_metrics(cm + (size_t)b * kk, d->nlabels, &mt, NULL, NULL, NULL);
        printf("  source %s: %ld texts, accuracy %.4f, macro-F1 %.4f\n",
               b                ? a->also[b - 1]
               : a->ninput == 1 ? a->input[0]
                                : "--input",
               mt.total, mt.accuracy, mt.macro_f1);
    }
    free(all);
}

struct store_rows {
    struct labeled *d;
    const char *field;
    long n;
    int rc;
    struct kerr e;
};

static bool by_person(const char *source)
{
    return source && (strcmp(source, "manual") == 0 || strcmp(source, "import") == 0);
}

/* One stored record: its text as intake analyses it, and the label a person gave. */
static int store_row(void *arg, const struct record *r)
{
    struct store_rows *sr = arg;
    struct strbuf text = STRBUF_INIT, label = STRBUF_INIT;
    const char *body = r->clean_text ? r->clean_text : r->text;
    if (strcmp(sr->field, "category") == 0 && r->category_l1 && by_person(r->category_source)) {
        strbuf_addstr(&label, r->category_l1);
        if (r->category_l2)
            strbuf_addf(&label, "/%s", r->category_l2);
        if (r->category_l2 && r->category_l3)
            strbuf_addf(&label, "/%s", r->category_l3);
    } else if (strcmp(sr->field, "severity") == 0 && r->severity && by_person(r->severity_source)) {
        strbuf_addstr(&label, r->severity);
    }
    if (label.len) {
        if (r->title && *r->title)
            strbuf_addf(&text, "%s\n", r->title);
        strbuf_addstr(&text, body ? body : "");
        sr->rc = labeled_add(sr->d, text.buf, text.len, label.buf, label.len, &sr->e);
        sr->n++;
    }
    strbuf_release(&text);
    strbuf_release(&label);
    return sr->rc < 0;
}

/* Adds the records people labelled (kesu train --from-store FIELD). */
static int from_store(struct cli *cli, const char *field, struct labeled *d)
{
    struct store *s;
    struct store_filter f = {0};
    struct store_page page;
    struct store_rows sr = {.d = d, .field = field};
    char cursor[64] = "";
    struct kerr e;
    int rc = 0;
    if (cli_open_store(cli, &s) < 0)
        return -1;
    f.limit = 1000;
    do {
        f.cursor = cursor[0] ? cursor : NULL;
        kerr_clear(&e);
        if (store_feedback_list(s, &f, store_row, &sr, &page, &e) < 0) {
            rc = cli_fail(-1, "train", "%s", e.message);
            break;
        }
        if (sr.rc < 0) {
            rc = cli_fail(-1, "train", "%s", sr.e.message);
            break;
        }
        memcpy(cursor, page.next_cursor, sizeof cursor);
    } while (cursor[0]);
    store_close(s);
    if (rc == 0) {
        labeled_sort_labels(d);
        fprintf(stderr, "train: %ld stored records labelled by a person (%s)\n", sr.n, field);
    }
    return rc;
}

int cmd_train(struct cli *cli, int argc, char **argv)
{
    struct train_args a = {0};
    struct labeled d;
    struct kerr e;
    struct linear_model *m = NULL;
    struct segdict *dict = NULL;
    int rc;
    if ((rc = parse_args(argc, argv, &a)) >= 0)
        return rc;
    if (a.fx.cfg.use_tok) {
        if (!(dict = cli_open_segdict(cli)))
            return 1;
        a.fx.tok = seg_feat_tok;
        a.fx.tok_ctx = dict;
    }
    kerr_clear(&e);
    memset(&d, 0, sizeof d);
    for (int i = 0; i < a.ninput; i++)
        if (labeled_append(a.input[i], &a.lo, &d, &e) < 0) {
            labeled_release(&d);
            return cli_fail(1, "train", "%s: %s", a.input[i], e.message);
        }
    if (a.from_store && from_store(cli, a.from_store, &d) < 0) {
        labeled_release(&d);
        return 1;
    }
    size_t dups = a.keep_dups ? 0 : labeled_dedup(&d), ncv = d.n;
    size_t upto[17] = {ncv}; /* texts [upto[j - 1], upto[j]) are the j-th --also file's */
    for (int i = 0; i < a.nalso; i++) {
        if (labeled_append(a.also[i], &a.lo, &d, &e) < 0) {
            labeled_release(&d);
            return cli_fail(1, "train", "%s: %s", a.also[i], e.message);
        }
        /* Deduplicated file by file: the first copy is kept, so the texts before stay. */
        if (!a.keep_dups)
            dups += labeled_dedup(&d);
        upto[i + 1] = d.n;
    }
    a.o.n_own = ncv;
    fprintf(stderr, "train: %zu texts, %d labels (%ld rows skipped, %zu duplicate texts dropped)\n",
            d.n, d.nlabels, d.skipped, dups);
    rc = 0;
    if (a.cv) {
        long *cm = calloc((size_t)d.nlabels * (size_t)d.nlabels + 1, sizeof *cm);
        int64_t t0 = clock_mono_us();
        int nsrc = a.nalso + 1;
        int *src = NULL;
        if (a.cv_also) {
            src = calloc(d.n + 1, sizeof *src);
            for (int j = 1; j < nsrc; j++)
                for (size_t i = upto[j - 1]; i < upto[j]; i++)
                    src[i] = j;
            free(cm);
            cm = calloc((size_t)nsrc * (size_t)d.nlabels * (size_t)d.nlabels + 1, sizeof *cm);
        }
        if (src) {
            if (linear_cv_sources(&a.fx, (const char *const *)d.labels, d.nlabels,
                                  (const char *const *)d.text, d.len, d.y, ncv, d.n - ncv, src,
                                  &a.o, a.cv, a.seed, cm, &e) < 0)
                rc = cli_fail(1, "train", "%s", e.message);
            else
                print_cv_sources(&a, &d, cm, nsrc, (double)(clock_mono_us() - t0) / 1e6);
            free(src);
        } else if (a.folds_out && write_folds(a.folds_out, &d, ncv, a.cv, a.seed) < 0)
            rc = 1;
        else if (linear_cv(&a.fx, (const char *const *)d.labels, d.nlabels,
                           (const char *const *)d.text, d.len, d.y, ncv, d.n - ncv, &a.o, a.cv,
                           a.seed, cm, &e) < 0)
            rc = cli_fail(1, "train", "%s", e.message);
        else
            print_cv(&d, cm, a.cv, (double)(clock_mono_us() - t0) / 1e6);
        free(cm);
    }
    if (rc == 0 && a.out) {
        int64_t t0 = clock_mono_us();
        struct stat st;
        if (linear_train(&a.fx, (const char *const *)d.labels, d.nlabels,
                         (const char *const *)d.text, d.len, d.y, d.n, &a.o, &m, &e) < 0 ||
            linear_save(m, a.out, &e) < 0)
            rc = cli_fail(1, "train", "%s", e.message);
        else if (stat(a.out, &st) == 0)
            printf("model: %s, %d labels, %zu weight rows, score scale %.3g, %lld bytes, trained "
                   "in %.2f s\n",
                   a.out, linear_nclass(m), linear_rows(m), (double)linear_scale(m),
                   (long long)st.st_size, (double)(clock_mono_us() - t0) / 1e6);
    }
    linear_free(m);
    labeled_release(&d);
    if (dict)
        segdict_close(dict);
    return rc;
}
