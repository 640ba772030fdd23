/*
 * cmd_classify.c: `kesu classify`: one JSON object per input line with the
 * label and score from a trained classifier (text/linear.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "cli/commands.h"
#include "text/linear.h"
#include "text/segdict.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: kesu classify --model NAME|PATH [--top K]\n\n"
                 "Reads texts from standard input, one per line, and prints one JSON object\n"
                 "per line: {\"label\":\"positive\",\"score\":0.93}, with --top K > 1 also\n"
                 "\"top\":[{\"label\":..,\"score\":..},..]. The score is a calibrated softmax\n"
                 "probability. An empty line gives {\"label\":null,\"score\":0}; a line that is\n"
                 "not valid UTF-8 gives {\"error\":\"invalid UTF-8\"}. NAME is looked up as\n"
                 "$KESU_MODELS/NAME.kmod, ./models/NAME.kmod, then next to the kesu binary.\n");
}

static void put_json_string(FILE *out, const char *s)
{
    putc('"', out);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(out, "\\u%04x", ch);
        else
            putc(ch, out);
    }
    putc('"', out);
}

int cmd_classify(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'M'},
        {"top", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *model = NULL;
    struct linear_model *m;
    struct linear_ctx ctx = {0};
    struct linear_pred top[16];
    struct kerr e;
    char path[4096], *line = NULL, *end;
    size_t cap = 0;
    ssize_t n;
    int c, k = 1;
    struct segdict *dict = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'M':
            model = optarg;
            break;
        case 'k':
            k = (int)strtol(optarg, &end, 10);
            if (*end || k < 1 || k > 16)
                return cli_fail(2, "classify", "--top wants 1 to 16");
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc || !model) {
        usage(stderr);
        return 2;
    }
    kerr_clear(&e);
    if (linear_resolve(model, path, sizeof path, &e) < 0 || linear_load(path, &m, &e) < 0)
        return cli_fail(1, "classify", "%s", e.message);
    if (cli_model_tokenizer(cli, m, &dict) < 0) {
        linear_free(m);
        return 1;
    }
    while ((n = getline(&line, &cap, stdin)) > 0) {
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (utf8_invalid_at(line, len) >= 0) {
            fputs("{\"error\":\"invalid UTF-8\"}\n", stdout);
            continue;
        }
        if (!len) {
            fputs("{\"label\":null,\"score\":0}\n", stdout);
            continue;
        }
        int got = linear_predict(m, &ctx, line, len, top, k);
        fputs("{\"label\":", stdout);
        put_json_string(stdout, linear_label(m, top[0].label));
        printf(",\"score\":%.4f", (double)top[0].score);
        if (k > 1) {
            fputs(",\"top\":[", stdout);
            for (int i = 0; i < got; i++) {
                fputs(i ? ",{\"label\":" : "{\"label\":", stdout);
                put_json_string(stdout, linear_label(m, top[i].label));
                printf(",\"score\":%.4f}", (double)top[i].score);
            }
            putchar(']');
        }
        fputs("}\n", stdout);
    }
    free(line);
    linear_ctx_release(&ctx);
    linear_free(m);
    if (dict)
        segdict_close(dict);
    return ferror(stdout) ? 1 : 0;
}
