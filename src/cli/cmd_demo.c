/*
 * cmd_demo.c: `kesu demo`: realistic Chinese complaint data from the
 * generator in intake/demo.c, into the store or into a JSON Lines file (the
 * same generator feeds the demo, the tests and the benchmarks).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "cli/commands.h"
#include "intake/demo.h"
#include "intake/pipeline.h"
#include "store/db.h"
#include "base/banned.h"

#define DEMO_BATCH 5000

static void usage(FILE *out)
{
    fprintf(out, "usage: kesu demo [--count N] [--seed S] [--days D] [--out FILE]\n\n"
                 "Generates N (default 10000) realistic Chinese complaints over the last D days\n"
                 "(default 365): many channels, products, stores and regions, repeat customers,\n"
                 "a weekly rhythm, a seasonal trend, a spike in one category, personal data in\n"
                 "texts, traditional-Chinese and HTML texts, exact and near duplicates.\n"
                 "  --out FILE   write JSON Lines to FILE ('-' = standard output) instead of\n"
                 "               storing them (e.g. for kesu import or benchmarks)\n"
                 "The same seed and count give the same records.\n");
}

struct loader {
    struct store *s;
    struct pipeline *p;
    struct record recs[DEMO_BATCH];
    struct store_insert_result res[DEMO_BATCH];
    size_t n;
    long stored, total;
    bool progress, failed;
    int64_t now, t0;
};

static int flush(struct loader *l)
{
    struct store_job job = {0};
    job.kind = STORE_JOB_INSERT;
    job.actor = "demo";
    job.recs = l->recs;
    job.results = l->res;
    job.n = l->n;
    if (store_run(l->s, &job) < 0) {
        fprintf(stderr, "kesu demo: storing failed: %s\n", job.err.message);
        l->failed = true;
    }
    for (size_t i = 0; i < l->n; i++) {
        l->stored += l->res[i].created;
        record_release(&l->recs[i]);
    }
    l->n = 0;
    if (l->progress)
        fprintf(stderr, "\r\033[Kdemo: %ld of %ld records stored", l->stored, l->total);
    return l->failed ? -1 : 0;
}

static int load_one(void *arg, const struct record *r)
{
    struct loader *l = arg;
    struct kerr e;
    record_copy(&l->recs[l->n], r);
    if (record_validate(&l->recs[l->n], l->now, &e) < 0) {
        fprintf(stderr, "kesu demo: generated record rejected: %s\n", e.message);
        record_release(&l->recs[l->n]);
        return 1;
    }
    if (l->p && pipeline_clean(l->p, &l->recs[l->n], &e) < 0) {
        fprintf(stderr, "kesu demo: cleaning failed: %s\n", e.message);
        record_release(&l->recs[l->n]);
        return 1;
    }
    if (++l->n == DEMO_BATCH)
        return flush(l) < 0 ? 1 : 0;
    return 0;
}

long demo_into_store(struct store *s, struct pipeline *p, long count, unsigned long long seed,
                     bool progress)
{
    struct loader *l = calloc(1, sizeof(*l));
    struct demo_opts o = {0};
    long stored;

    if (!l)
        return -1;
    l->s = s;
    l->p = p;
    l->total = count;
    l->progress = progress;
    l->now = clock_now_ms();
    o.seed = seed;
    o.count = count;
    if (demo_generate(&o, load_one, l) == 0 && l->n)
        flush(l);
    if (progress)
        fputs("\r\033[K", stderr);
    stored = l->failed ? -1 : l->stored;
    for (size_t i = 0; i < l->n; i++)
        record_release(&l->recs[i]);
    free(l);
    return stored;
}

struct writer {
    FILE *f;
    struct strbuf sb;
};

static int write_one(void *arg, const struct record *r)
{
    struct writer *w = arg;
    struct jsonw jw;
    jsonw_init(&jw, &w->sb);
    record_write_input(r, &jw);
    strbuf_addch(&w->sb, '\n');
    if (w->sb.len > 1 << 20) {
        if (fwrite(w->sb.buf, 1, w->sb.len, w->f) != w->sb.len)
            return 1;
        strbuf_reset(&w->sb);
    }
    return 0;
}

int cmd_demo(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"count", required_argument, NULL, 'n'}, {"seed", required_argument, NULL, 's'},
        {"days", required_argument, NULL, 'd'},  {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    struct demo_opts o = {0};
    const char *out = NULL;
    char *end;
    int c, rc = 0;

    o.count = 10000;
    o.seed = 20261122;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            o.count = strtol(optarg, &end, 10);
            if (*end || o.count < 1)
                return cli_fail(2, "demo", "--count wants a positive number");
            break;
        case 's':
            o.seed = strtoull(optarg, NULL, 10);
            break;
        case 'd':
            o.days = (int)strtol(optarg, &end, 10);
            if (*end || o.days < 1 || o.days > 3660)
                return cli_fail(2, "demo", "--days wants 1 to 3660");
            break;
        case 'o':
            out = optarg;
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
    if (out) {
        struct writer w = {strcmp(out, "-") == 0 ? stdout : fopen(out, "wb"), STRBUF_INIT};
        if (!w.f)
            return cli_fail(1, "demo", "cannot write %s", out);
        if (demo_generate(&o, write_one, &w) != 0 ||
            fwrite(w.sb.buf, 1, w.sb.len, w.f) != w.sb.len || fflush(w.f) != 0)
            rc = cli_fail(1, "demo", "writing %s failed", out);
        strbuf_release(&w.sb);
        if (w.f != stdout)
            fclose(w.f);
        if (!rc && w.f != stdout)
            printf("wrote %ld demo records to %s\n", o.count, out);
        return rc;
    }
    struct store *s;
    struct pipeline *p;
    struct kerr e;
    if (cli_open_store(cli, &s) < 0)
        return 1;
    if (cli_open_pipeline(cli, &p) < 0) {
        store_close(s);
        return 1;
    }
    kerr_clear(&e);
    int64_t t0 = clock_mono_us();
    store_start(s, STORE_BG_WRITER | STORE_BG_CHECKPOINT, &e);
    long n = demo_into_store(s, p, o.count, o.seed, cli_progress_enabled());
    if (n < 0)
        rc = 1;
    else
        printf("stored %ld demo records (%ld already present) in %.1f s\n", n, o.count - n,
               (double)(clock_mono_us() - t0) / 1e6);
    store_close(s);
    pipeline_free(p);
    return rc;
}
