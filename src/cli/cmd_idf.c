/*
 * cmd_idf.c: `kesu idf`: an IDF table of the stored records (text/keywords.h
 * kw_df_add), written where keyword extraction finds it (DATA/idf.txt, or
 * --out), so keywords weigh words by the user's own records instead of
 * jieba's general corpus. Takes effect when kesu next starts.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "cli/commands.h"
#include "store/db.h"
#include "text/keywords.h"
#include "text/segdict.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: kesu idf [--out FILE] [--min-df N]\n\n"
                 "Computes idf = ln(records / records holding the word) over the stored\n"
                 "records' words and writes it as \"word idf\" lines to FILE (default\n"
                 "<data>/idf.txt, which keyword extraction then uses instead of jieba's).\n"
                 "  --min-df N   leave out words found in fewer than N records (default 2)\n");
}

struct idf_run {
    struct kw_idf *t;
    const struct segdict *d;
    struct kw_scratch sc;
    struct strbuf text;
    long docs;
};

static int one(void *arg, const struct record *r)
{
    struct idf_run *x = arg;
    const char *body = r->clean_text ? r->clean_text : r->text;
    strbuf_reset(&x->text);
    if (r->title && *r->title)
        strbuf_addf(&x->text, "%s\n", r->title);
    strbuf_addstr(&x->text, body ? body : "");
    kw_df_add(x->t, x->d, x->text.buf, x->text.len, &x->sc);
    x->docs++;
    return 0;
}

int cmd_idf(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"min-df", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct idf_run x = {0};
    struct store *s = NULL;
    struct store_filter f = {0};
    struct store_page page;
    struct strbuf out = STRBUF_INIT;
    char path[4200], tmp[4300], cursor[64] = "", *end;
    const char *dest = NULL;
    long min_df = 2;
    int c, rc = 0;
    FILE *fp;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            dest = optarg;
            break;
        case 'm':
            min_df = strtol(optarg, &end, 10);
            if (*end || min_df < 1)
                return cli_fail(2, "idf", "--min-df wants a positive integer");
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
    if (!dest) {
        snprintf(path, sizeof path, "%s/idf.txt", cli->data_dir);
        dest = path;
    }
    strbuf_init(&x.text, 0);
    if (!(x.d = cli_open_segdict(cli)))
        return 1;
    if (cli_open_store(cli, &s) < 0) {
        segdict_close((struct segdict *)x.d);
        return 1;
    }
    x.t = kw_idf_new();
    f.limit = 1000;
    do {
        struct kerr e;
        f.cursor = cursor[0] ? cursor : NULL;
        kerr_clear(&e);
        if (store_feedback_list(s, &f, one, &x, &page, &e) < 0) {
            rc = cli_fail(1, "idf", "%s", e.message);
            goto out;
        }
        memcpy(cursor, page.next_cursor, sizeof cursor);
    } while (cursor[0]);
    kw_df_finish(x.t, x.docs, min_df);
    kw_idf_write(x.t, &out);
    snprintf(tmp, sizeof tmp, "%s.tmp", dest);
    if (!(fp = fopen(tmp, "wb")) || fwrite(out.buf, 1, out.len, fp) != out.len || fflush(fp) != 0 ||
        fclose(fp) != 0 || rename(tmp, dest) < 0) {
        rc = cli_fail(1, "idf", "cannot write %s: %s", dest, strerror(errno));
        goto out;
    }
    fprintf(stderr, "idf: %zu words from %ld records, median idf %.3f, written to %s\n",
            kw_idf_size(x.t), x.docs, kw_idf_median(x.t), dest);
out:
    store_close(s);
    kw_idf_free(x.t);
    kw_scratch_release(&x.sc);
    strbuf_release(&x.text);
    strbuf_release(&out);
    segdict_close((struct segdict *)x.d);
    return rc;
}
