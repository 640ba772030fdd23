/*
 * cmd_analyze.c: `kesu analyze`: the text-analysis stages (intake/nlp.h) on
 * lines of standard input, one JSON object per line: category levels, source,
 * confidence and rules, sentiment, keywords (TF-IDF, or TextRank with
 * --textrank), severity and its reasons. For scripts, golden files and
 * trying a taxonomy before putting it in force (--taxonomy FILE).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/utf8.h"
#include "cli/commands.h"
#include "intake/nlp.h"
#include "text/keywords.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: kesu analyze [--taxonomy FILE] [--textrank] < lines\n\n"
                 "Prints, per UTF-8 line, one JSON object: category_l1..3, category_source,\n"
                 "category_confidence, category_rules, sentiment, sentiment_score, keywords,\n"
                 "severity, severity_reasons (as intake stores them).\n"
                 "  --taxonomy FILE   use this taxonomy instead of the one in force\n"
                 "  --textrank        keywords by TextRank instead of TF-IDF\n");
}

static void textrank(struct nlp *n, const char *text, size_t len, struct jsonw *w)
{
    struct kw_scratch sc = {0};
    struct kw_item top[NLP_KEYWORDS];
    int k = kw_textrank(nlp_idf(n), nlp_segdict(n), text, len, top, NLP_KEYWORDS, &sc);
    jsonw_key(w, "keywords");
    jsonw_arr(w);
    for (int i = 0; i < k; i++)
        jsonw_strn(w, top[i].w, top[i].len);
    jsonw_end(w);
    kw_scratch_release(&sc);
}

static void print_one(struct nlp *n, const char *line, size_t len, bool tr, struct strbuf *sb)
{
    struct record r;
    struct jsonw w;
    record_init(&r);
    r.text = strndup(line, len);
    nlp_analyze(n, &r);
    strbuf_reset(sb);
    jsonw_init(&w, sb);
    jsonw_obj(&w);
    jsonw_kstr(&w, "category_l1", r.category_l1);
    jsonw_kstr(&w, "category_l2", r.category_l2);
    jsonw_kstr(&w, "category_l3", r.category_l3);
    jsonw_kstr(&w, "category_source", r.category_source);
    jsonw_key(&w, "category_confidence");
    if (r.category_source)
        jsonw_double(&w, r.category_confidence);
    else
        jsonw_null(&w);
    jsonw_key(&w, "category_rules");
    jsonw_raw(&w, r.category_rules ? r.category_rules : "[]",
              strlen(r.category_rules ? r.category_rules : "[]"));
    jsonw_kstr(&w, "sentiment", r.sentiment);
    jsonw_kdouble(&w, "sentiment_score", r.sentiment_score);
    if (tr) {
        textrank(n, line, len, &w);
    } else {
        jsonw_key(&w, "keywords");
        jsonw_raw(&w, r.keywords ? r.keywords : "[]", strlen(r.keywords ? r.keywords : "[]"));
    }
    jsonw_kstr(&w, "severity", r.severity);
    jsonw_key(&w, "severity_reasons");
    jsonw_raw(&w, r.severity_reasons ? r.severity_reasons : "[]",
              strlen(r.severity_reasons ? r.severity_reasons : "[]"));
    jsonw_end(&w);
    record_release(&r);
}

int cmd_analyze(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"taxonomy", required_argument, NULL, 't'},
        {"textrank", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct nlp_opts o = {0};
    struct nlp *n;
    struct kerr e;
    struct strbuf sb = STRBUF_INIT;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    bool tr = false;
    int c;

    o.data_dir = cli->data_dir;
    o.seg_dict = cli_setting(cli, "seg_dict", NULL);
    o.taxonomy_path = cli_setting(cli, "taxonomy", NULL);
    o.idf_path = cli_setting(cli, "idf", NULL);
    o.sentiment_zh = cli_setting(cli, "sentiment_zh", NULL);
    o.sentiment_en = cli_setting(cli, "sentiment_en", NULL);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            o.taxonomy_path = optarg;
            break;
        case 'r':
            tr = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    kerr_clear(&e);
    if (nlp_open(&o, &n, &e) < 0)
        return cli_fail(1, "analyze", "%s", e.message);
    while ((got = getline(&line, &cap, stdin)) > 0) {
        size_t len = (size_t)got;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (utf8_invalid_at(line, len) >= 0) {
            fputs("{\"error\":\"invalid UTF-8\"}\n", stdout);
            continue;
        }
        print_one(n, line, len, tr, &sb);
        fwrite(sb.buf, 1, sb.len, stdout);
        putchar('\n');
    }
    free(line);
    strbuf_release(&sb);
    nlp_free(n);
    return ferror(stdout) ? 1 : 0;
}
