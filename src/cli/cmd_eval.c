/*
 * cmd_eval.c: `kesu eval`: scores a trained classifier (text/linear.h) on
 * labelled texts: accuracy, macro-F1, per-class precision/recall/F1 and the
 * confusion matrix, as text or JSON.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/commands.h"
#include "text/labeled.h"
#include "text/linear.h"
#include "text/segdict.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: kesu eval --model NAME|PATH --input FILE --text-col COL --label-col COL\n"
                 "                 [--label-map MAP] [--json]\n\n"
                 "Classifies every labelled text of FILE (.csv or .jsonl) with the model and\n"
                 "prints accuracy, macro-F1, per-class precision/recall/F1 and the confusion\n"
                 "matrix (rows = true label, columns = predicted). Rows whose label the model\n"
                 "does not know are counted and left out. NAME is looked up as\n"
                 "$KESU_MODELS/NAME.kmod, ./models/NAME.kmod, then next to the kesu binary.\n");
}

static void print_text(const struct linear_model *m, const long *cm, const struct labeled *d)
{
    int K = linear_nclass(m);
    double *p = calloc((size_t)K * 3, sizeof *p);
    struct linear_metrics mt;
    linear_metrics(cm, K, &mt, p, p + K, p + 2 * K);
    printf("texts %ld (unknown labels %ld, skipped %ld)\naccuracy %.4f\nmacro-F1 %.4f\n", mt.total,
           d->unknown, d->skipped, mt.accuracy, mt.macro_f1);
    printf("\n%-24s %9s %9s %9s %8s\n", "label", "precision", "recall", "F1", "support");
    for (int c = 0; c < K; c++) {
        long sup = 0;
        for (int j = 0; j < K; j++)
            sup += cm[(size_t)c * (size_t)K + (size_t)j];
        printf("%-24s %9.4f %9.4f %9.4f %8ld\n", linear_label(m, c), p[c], p[K + c], p[2 * K + c],
               sup);
    }
    printf("\nconfusion (rows true, columns predicted, in the order above):\n");
    for (int c = 0; c < K; c++) {
        for (int j = 0; j < K; j++)
            printf("%s%ld", j ? " " : "", cm[(size_t)c * (size_t)K + (size_t)j]);
        putchar('\n');
    }
    free(p);
}

static void print_json(const struct linear_model *m, const long *cm, const struct labeled *d)
{
    int K = linear_nclass(m);
    double *p = calloc((size_t)K * 3, sizeof *p);
    struct linear_metrics mt;
    cJSON *o = cJSON_CreateObject(), *cls = cJSON_CreateArray();
    cJSON *conf = cJSON_CreateArray();
    linear_metrics(cm, K, &mt, p, p + K, p + 2 * K);
    cJSON_AddNumberToObject(o, "texts", (double)mt.total);
    cJSON_AddNumberToObject(o, "unknown_labels", (double)d->unknown);
    cJSON_AddNumberToObject(o, "skipped", (double)d->skipped);
    cJSON_AddNumberToObject(o, "accuracy", mt.accuracy);
    cJSON_AddNumberToObject(o, "macro_f1", mt.macro_f1);
    for (int c = 0; c < K; c++) {
        cJSON *e = cJSON_CreateObject(), *row = cJSON_CreateArray();
        long sup = 0;
        for (int j = 0; j < K; j++) {
            sup += cm[(size_t)c * (size_t)K + (size_t)j];
            cJSON_AddItemToArray(row,
                                 cJSON_CreateNumber((double)cm[(size_t)c * (size_t)K + (size_t)j]));
        }
        cJSON_AddStringToObject(e, "label", linear_label(m, c));
        cJSON_AddNumberToObject(e, "precision", p[c]);
        cJSON_AddNumberToObject(e, "recall", p[K + c]);
        cJSON_AddNumberToObject(e, "f1", p[2 * K + c]);
        cJSON_AddNumberToObject(e, "support", (double)sup);
        cJSON_AddItemToArray(cls, e);
        cJSON_AddItemToArray(conf, row);
    }
    cJSON_AddItemToObject(o, "classes", cls);
    cJSON_AddItemToObject(o, "confusion", conf);
    char *s = cJSON_PrintUnformatted(o);
    puts(s);
    free(s);
    cJSON_Delete(o);
    free(p);
}

int cmd_eval(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'M'},
        {"input", required_argument, NULL, 'i'},
        {"text-col", required_argument, NULL, 't'},
        {"label-col", required_argument, NULL, 'l'},
        {"label-map", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model = NULL, *input = NULL;
    struct labeled_opts lo = {0};
    struct labeled d = {0};
    struct linear_model *m = NULL;
    struct linear_ctx ctx = {0};
    struct kerr e;
    char path[4096];
    bool json = false;
    long *cm = NULL;
    int c, rc = 0;
    struct segdict *dict = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'M':
            model = optarg;
            break;
        case 'i':
            input = optarg;
            break;
        case 't':
            lo.text_col = optarg;
            break;
        case 'l':
            lo.label_col = optarg;
            break;
        case 'm':
            lo.label_map = optarg;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || !model || !input || !lo.text_col || !lo.label_col) {
        usage(stderr);
        return 2;
    }
    kerr_clear(&e);
    if (linear_resolve(model, path, sizeof path, &e) < 0 || linear_load(path, &m, &e) < 0)
        return cli_fail(1, "eval", "%s", e.message);
    if (cli_model_tokenizer(cli, m, &dict) < 0) {
        linear_free(m);
        return 1;
    }
    int K = linear_nclass(m);
    const char **names = calloc((size_t)K, sizeof *names);
    for (int k = 0; k < K; k++)
        names[k] = linear_label(m, k);
    lo.fixed_labels = names;
    lo.nfixed = K;
    if (labeled_read(input, &lo, &d, &e) < 0) {
        rc = cli_fail(1, "eval", "%s: %s", input, e.message);
        goto out;
    }
    cm = calloc((size_t)K * (size_t)K, sizeof *cm);
    for (size_t i = 0; i < d.n; i++) {
        struct linear_pred top;
        linear_predict(m, &ctx, d.text[i], d.len[i], &top, 1);
        cm[(size_t)d.y[i] * (size_t)K + (size_t)top.label]++;
    }
    if (json)
        print_json(m, cm, &d);
    else
        print_text(m, cm, &d);
out:
    free(cm);
    free(names);
    linear_ctx_release(&ctx);
    labeled_release(&d);
    linear_free(m);
    if (dict)
        segdict_close(dict);
    return rc;
}
