/* cmd_export.c: `kesu export`: records as JSON Lines or CSV, with the list API's filters. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "cli/commands.h"
#include "insight/export.h"
#include "intake/csv.h"
#include "store/db.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: kesu export [--format jsonl|csv|xlsx] [--output FILE] [filters]\n\n"
                 "Writes records, newest received first, to FILE or standard output.\n"
                 "  --format F        jsonl (default), csv (UTF-8 with BOM, for Excel) or xlsx\n"
                 "  --output FILE     write to FILE instead of standard output\n"
                 "Filters (as GET /api/v1/feedback): --channel LIST --status LIST --category C\n"
                 "  --product P --store S --region R --customer-id ID --severity S\n"
                 "  --since TIME --until TIME (RFC 3339) --q TEXT (full-text)\n");
}

struct out {
    FILE *f;
    bool csv;
    struct strbuf sb;
    long n;
    int64_t t0;
    bool tty;
};

static void write_csv_row(struct out *o, const struct record *r)
{
    char ts[CLOCK_FMT_MAX], num[64];
    strbuf_addf(&o->sb, "%lld", (long long)r->id);
    for (size_t i = 0; i < record_nfields; i++) {
        const struct record_field *f = &record_fields[i];
        const char *p = (const char *)r + f->offset;
        const char *v = NULL;
        if (strcmp(f->name, "idempotency_key") == 0 || (f->flags & RF_HIDDEN))
            continue;
        strbuf_addch(&o->sb, ',');
        if (!record_has(r, f))
            continue;
        switch (f->kind) {
        case RF_TIME:
            v = clock_format(*(const int64_t *)p, ts);
            break;
        case RF_INT:
            snprintf(num, sizeof(num), "%lld", (long long)*(const int64_t *)p);
            v = num;
            break;
        case RF_NUM:
            snprintf(num, sizeof(num), "%g", *(const double *)p);
            v = num;
            break;
        default:
            v = *(char *const *)p;
        }
        csv_write_field(&o->sb, v, strlen(v), ',', true);
    }
    strbuf_addstr(&o->sb, "\r\n");
}

static int write_one(void *arg, const struct record *r)
{
    struct out *o = arg;
    if (o->csv) {
        write_csv_row(o, r);
    } else {
        struct jsonw w;
        jsonw_init(&w, &o->sb);
        record_to_json(r, &w);
        strbuf_addch(&o->sb, '\n');
    }
    o->n++;
    if (o->sb.len > 1 << 20) {
        fwrite(o->sb.buf, 1, o->sb.len, o->f);
        strbuf_reset(&o->sb);
    }
    return 0;
}

static int parse_time(const char *s, int64_t *out)
{
    return clock_parse(s, strlen(s), out) < 0 ? cli_fail(2, "export", "bad time \"%s\"", s) : 0;
}

static int export_xlsx_cli(struct cli *cli, const struct store_filter *f, const char *output)
{
    struct store *s;
    struct kerr e;
    int64_t rows = 0, t0 = clock_mono_us();
    int rc = 0;
    if (!output)
        return cli_fail(2, "export", "--format xlsx needs --output FILE");
    if (cli_open_store(cli, &s) < 0)
        return 1;
    kerr_clear(&e);
    if (export_xlsx(s, f, output, &rows, &e) < 0)
        rc = cli_fail(1, "export", "%s", e.message);
    else
        fprintf(stderr, "exported %lld records in %.1f s\n", (long long)rows,
                (double)(clock_mono_us() - t0) / 1e6);
    store_close(s);
    return rc;
}

int cmd_export(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"channel", required_argument, NULL, 'c'},
                                             {"status", required_argument, NULL, 's'},
                                             {"category", required_argument, NULL, 'C'},
                                             {"product", required_argument, NULL, 'p'},
                                             {"store", required_argument, NULL, 'S'},
                                             {"region", required_argument, NULL, 'r'},
                                             {"customer-id", required_argument, NULL, 'u'},
                                             {"severity", required_argument, NULL, 'v'},
                                             {"since", required_argument, NULL, 'a'},
                                             {"until", required_argument, NULL, 'b'},
                                             {"q", required_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct store_filter f = {0};
    struct store_page page;
    struct out o = {stdout, false, STRBUF_INIT, 0, clock_mono_us(), cli_progress_enabled()};
    bool xlsx = false;
    const char *output = NULL;
    char cursor[64] = "";
    struct store *s;
    struct kerr e;
    int c, rc = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "csv") && strcmp(optarg, "jsonl") && strcmp(optarg, "xlsx"))
                return cli_fail(2, "export", "--format must be jsonl, csv or xlsx");
            o.csv = strcmp(optarg, "csv") == 0;
            xlsx = strcmp(optarg, "xlsx") == 0;
            break;
        case 'o':
            output = optarg;
            break;
        case 'c':
            f.channel = optarg;
            break;
        case 's':
            f.status = optarg;
            break;
        case 'C':
            f.category = optarg;
            break;
        case 'p':
            f.product = optarg;
            break;
        case 'S':
            f.store = optarg;
            break;
        case 'r':
            f.region = optarg;
            break;
        case 'u':
            f.customer_id = optarg;
            break;
        case 'v':
            f.severity = optarg;
            break;
        case 'a':
            if (parse_time(optarg, &f.since))
                return 2;
            break;
        case 'b':
            if (parse_time(optarg, &f.until))
                return 2;
            break;
        case 'q':
            f.q = optarg;
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
    if (xlsx) /* insight/export.c: constant memory, a sheet per 1,048,575 rows */
        return export_xlsx_cli(cli, &f, output);
    if (output && !(o.f = fopen(output, "wb")))
        return cli_fail(1, "export", "cannot write %s", output);
    if (cli_open_store(cli, &s) < 0) {
        if (output)
            fclose(o.f);
        return 1;
    }
    if (o.csv) {
        strbuf_addstr(&o.sb, "\xEF\xBB\xBFid");
        for (size_t i = 0; i < record_nfields; i++)
            if (strcmp(record_fields[i].name, "idempotency_key") != 0 &&
                !(record_fields[i].flags & RF_HIDDEN))
                strbuf_addf(&o.sb, ",%s", record_fields[i].name);
        strbuf_addstr(&o.sb, "\r\n");
    }
    f.limit = 1000;
    do {
        f.cursor = cursor[0] ? cursor : NULL;
        kerr_clear(&e);
        if (store_feedback_list(s, &f, write_one, &o, &page, &e) < 0) {
            rc = cli_fail(1, "export", "%s", e.message);
            break;
        }
        memcpy(cursor, page.next_cursor, sizeof(cursor));
        if (o.tty && output)
            fprintf(stderr, "\r\033[Kexported %ld records", o.n);
    } while (cursor[0]);
    fwrite(o.sb.buf, 1, o.sb.len, o.f);
    strbuf_release(&o.sb);
    if (fflush(o.f) != 0)
        rc = cli_fail(1, "export", "writing failed");
    if (output)
        fclose(o.f);
    if (o.tty && output)
        fputs("\r\033[K", stderr);
    if (output || o.tty)
        fprintf(stderr, "exported %ld records in %.1f s\n", o.n,
                (double)(clock_mono_us() - o.t0) / 1e6);
    store_close(s);
    return rc;
}
