/*
 * cmd_reclassify.c: `kesu reclassify`: runs the text-analysis stages
 * (intake/nlp.h: category, sentiment, keywords, severity) again over stored
 * records, e.g. after the taxonomy or a model changed. A category or
 * severity a person set (source "manual") is kept.
 */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cli/commands.h"
#include "intake/nlp.h"
#include "store/db.h"
#include "base/banned.h"

#define BATCH 1000

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu reclassify [--since TIME] [--until TIME] [--where FIELD=VALUE]...\n\n"
            "Recomputes category, sentiment, keywords and severity of stored records with\n"
            "the taxonomy and models in force. Categories and severities set by a person\n"
            "(PATCH, imports with their own categories) are kept.\n"
            "  --since, --until TIME   records received in [since, until) (RFC 3339 or\n"
            "                          YYYY-MM-DD)\n"
            "  --where FIELD=VALUE     only records with FIELD = VALUE; FIELD is one of\n"
            "                          channel, status, category, product, store, region,\n"
            "                          severity, customer_id (lists: a,b for channel, status)\n");
}

struct run {
    struct store *s;
    struct nlp *nlp;
    struct record recs[BATCH];
    size_t n;
    long done;
    int rc;
    struct kerr e;
};

static int flush(struct run *r)
{
    struct store_job job = {0};
    if (!r->n)
        return 0;
    job.kind = STORE_JOB_ANALYSIS;
    job.actor = "cli:reclassify";
    job.recs = r->recs;
    job.n = r->n;
    int rc = store_run(r->s, &job);
    for (size_t i = 0; i < r->n; i++)
        record_release(&r->recs[i]);
    if (rc < 0) {
        r->e = job.err;
        r->rc = rc;
    } else {
        r->done += (long)r->n;
    }
    r->n = 0;
    return rc;
}

static int one(void *arg, const struct record *rec)
{
    struct run *r = arg;
    record_copy(&r->recs[r->n], rec);
    nlp_analyze(r->nlp, &r->recs[r->n++]);
    return 0;
}

static int set_where(struct store_filter *f, char *arg)
{
    char *eq = strchr(arg, '=');
    static const struct {
        const char *name;
        size_t off;
    } keys[] = {
        {"channel", offsetof(struct store_filter, channel)},
        {"status", offsetof(struct store_filter, status)},
        {"category", offsetof(struct store_filter, category)},
        {"product", offsetof(struct store_filter, product)},
        {"store", offsetof(struct store_filter, store)},
        {"region", offsetof(struct store_filter, region)},
        {"severity", offsetof(struct store_filter, severity)},
        {"customer_id", offsetof(struct store_filter, customer_id)},
    };
    if (!eq || eq == arg || !eq[1])
        return cli_fail(2, "reclassify", "--where wants FIELD=VALUE, got %s", arg);
    *eq = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].name, arg) == 0) {
            *(const char **)((char *)f + keys[i].off) = eq + 1;
            return 0;
        }
    return cli_fail(2, "reclassify", "--where: unknown field %s", arg);
}

int cmd_reclassify(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"since", required_argument, NULL, 'a'},
        {"until", required_argument, NULL, 'b'},
        {"where", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct store_filter f = {0};
    struct store_page page;
    struct run *r;
    char cursor[64] = "";
    int c, rc = 0;
    int64_t t0 = clock_mono_us();

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
        case 'b':
            if (clock_parse(optarg, strlen(optarg), c == 'a' ? &f.since : &f.until) < 0)
                return cli_fail(2, "reclassify", "--%s: not a time: %s",
                                c == 'a' ? "since" : "until", optarg);
            break;
        case 'w':
            if (set_where(&f, optarg) != 0)
                return 2;
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
    r = calloc(1, sizeof(*r));
    if (!r)
        return cli_fail(1, "reclassify", "out of memory");
    if (cli_open_nlp(cli, &r->nlp) < 0) {
        free(r);
        return 1;
    }
    if (cli_open_store(cli, &r->s) < 0) {
        nlp_free(r->nlp);
        free(r);
        return 1;
    }
    f.limit = BATCH;
    do {
        struct kerr e;
        f.cursor = cursor[0] ? cursor : NULL;
        kerr_clear(&e);
        if (store_feedback_list(r->s, &f, one, r, &page, &e) < 0) {
            rc = cli_fail(1, "reclassify", "%s", e.message);
            break;
        }
        if (flush(r) < 0) {
            rc = cli_fail(1, "reclassify", "%s", r->e.message);
            break;
        }
        memcpy(cursor, page.next_cursor, sizeof(cursor));
    } while (cursor[0]);
    for (size_t i = 0; i < r->n; i++)
        record_release(&r->recs[i]);
    if (rc == 0)
        fprintf(stderr, "reclassified %ld records in %.1f s\n", r->done,
                (double)(clock_mono_us() - t0) / 1e6);
    store_close(r->s);
    nlp_free(r->nlp);
    free(r);
    return rc;
}
