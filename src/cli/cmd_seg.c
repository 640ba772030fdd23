/*
 * cmd_seg.c: `kesu seg`: jieba-compatible word segmentation of standard
 * input, one JSON array of tokens per line, and `kesu seg --build-dict` to
 * compile a dictionary file. A thin adapter over text/seg.h and
 * text/segdict.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/utf8.h"
#include "cli/commands.h"
#include "text/seg.h"
#include "text/segdict.h"
#include "base/banned.h"

/* Longest input line accepted, in bytes. */
#define SEG_MAX_LINE (64L << 20)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu seg [--no-hmm] [--dict PATH] [--user-dict PATH] [--hmm-dir DIR]\n"
            "       kesu seg --build-dict OUT [--dict PATH] [--user-dict PATH] [--hmm-dir DIR]\n\n"
            "Cuts each line of standard input (UTF-8) into words as jieba.lcut does and\n"
            "prints one JSON array of tokens per line. Tokens cover the line exactly;\n"
            "a byte that is not UTF-8 is printed as U+FFFD.\n"
            "  --no-hmm          no HMM for words outside the dictionary (jieba's HMM=False)\n"
            "  --dict PATH       jieba text dictionary, or a dictionary compiled with\n"
            "                    --build-dict (default: setting seg_dict, else\n"
            "                    " SEGDICT_DEFAULT_DICT ")\n"
            "  --user-dict PATH  extra words, 'word [freq] [tag]' per line (jieba.load_userdict)\n"
            "  --hmm-dir DIR     jieba's finalseg tables (default " SEGDICT_DEFAULT_HMM ")\n"
            "  --build-dict OUT  compile the dictionary into OUT and exit\n"
            "A text dictionary is compiled on first use and kept in <data>/cache/.\n"
            "Lines are cut at \\n (a \\r before it is dropped); at most 64 MiB each.\n");
}

struct out {
    struct strbuf sb;
    struct jsonw w;
};

static int on_token(void *arg, const char *tok, size_t len)
{
    struct out *o = arg;
    if (utf8_invalid_at(tok, len) < 0) {
        jsonw_strn(&o->w, tok, len);
    } else {
        jsonw_str(&o->w, "\xEF\xBF\xBD");
    }
    return 0;
}

static int cut_stdin(const struct segdict *d, unsigned flags)
{
    struct out o = {STRBUF_INIT, {0}};
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;

    for (long lineno = 1; (n = getline(&line, &cap, stdin)) >= 0; lineno++) {
        size_t len = (size_t)n;
        if (n > SEG_MAX_LINE) {
            fwrite(o.sb.buf, 1, o.sb.len, stdout);
            free(line);
            strbuf_release(&o.sb);
            return cli_fail(1, "seg", "line %ld is longer than %ld bytes", lineno, SEG_MAX_LINE);
        }
        if (len && line[len - 1] == '\n')
            len--;
        if (len && line[len - 1] == '\r')
            len--;
        jsonw_init(&o.w, &o.sb);
        jsonw_arr(&o.w);
        seg_cut(d, line, len, flags, on_token, &o);
        jsonw_end(&o.w);
        strbuf_addch(&o.sb, '\n');
        if (o.sb.len >= 1 << 16) {
            if (fwrite(o.sb.buf, 1, o.sb.len, stdout) != o.sb.len)
                rc = 1;
            strbuf_reset(&o.sb);
        }
    }
    if (fwrite(o.sb.buf, 1, o.sb.len, stdout) != o.sb.len || fflush(stdout) != 0)
        rc = 1;
    free(line);
    strbuf_release(&o.sb);
    return rc ? cli_fail(1, "seg", "writing the output failed") : 0;
}

int cmd_seg(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"no-hmm", no_argument, NULL, 'n'},
                                             {"dict", required_argument, NULL, 'd'},
                                             {"user-dict", required_argument, NULL, 'u'},
                                             {"hmm-dir", required_argument, NULL, 'm'},
                                             {"build-dict", required_argument, NULL, 'b'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct segdict_src src = SEGDICT_SRC_DEFAULT;
    const char *build = NULL;
    unsigned flags = SEG_HMM;
    struct segdict *d;
    struct kerr e;
    char cache[4096];
    int c, rc;

    src.dict = NULL;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            flags &= ~(unsigned)SEG_HMM;
            break;
        case 'd':
            src.dict = optarg;
            break;
        case 'u':
            src.user_dict = optarg;
            break;
        case 'm':
            src.hmm_dir = optarg;
            break;
        case 'b':
            build = optarg;
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
    if (!src.dict)
        src.dict = cli_setting(cli, "seg_dict", SEGDICT_DEFAULT_DICT);
    kerr_clear(&e);
    if (build) {
        if (segdict_build_file(&src, build, &e) < 0)
            return cli_fail(1, "seg", "%s", e.message);
        return 0;
    }
    if (segdict_is_compiled(src.dict)) {
        if (src.user_dict)
            return cli_fail(2, "seg", "--user-dict needs a text dictionary, not a compiled one");
        d = segdict_open(src.dict, &e);
    } else {
        snprintf(cache, sizeof(cache), "%s/cache", cli->data_dir);
        d = segdict_load(&src, cache, &e);
    }
    if (!d)
        return cli_fail(1, "seg", "%s", e.message);
    rc = cut_stdin(d, flags);
    segdict_close(d);
    return rc;
}
