/*
 * cmd_import.c: `kesu import FILE...`: JSON Lines, CSV or xlsx into the store
 * (with a column mapping for any export), see intake/import.h; `kesu import
 * --mail PATH...`: Maildirs, mbox and .eml files, see intake/mail.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cli/commands.h"
#include "intake/channels.h"
#include "intake/pipeline.h"
#include "intake/import.h"
#include "intake/mail.h"
#include "intake/record.h"
#include "store/db.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: kesu import [--format jsonl|csv|xlsx] [--mapping FILE] [--encoding E]\n"
        "                   [--sheet NAME|N] [--channel CH] [--strict] [--no-clean] [--batch N]\n"
        "                   FILE...\n"
        "       kesu import --mail [--keep-quotes] [--batch N] PATH...\n"
        "       kesu import --denominator FILE   (orders per day: CSV day,orders[,dim,value])\n\n"
        "Imports records from JSON Lines (one object per line), CSV or Excel workbooks\n"
        "(.xlsx) with the same checks as the API. FILE '-' is standard input (not xlsx).\n"
        "Without --mapping the header row holds kesu field names; with it, any export's\n"
        "columns are mapped onto fields (see docs/mapping.md).\n"
        "  --format F     jsonl, csv or xlsx (default: from the file name and content)\n"
        "  --mapping FILE column mapping (JSON, see docs/mapping.md)\n"
        "  --encoding E   CSV encoding: auto (default), utf-8, gbk, gb18030, big5, utf-16le\n"
        "  --sheet S      xlsx sheet by name or 1-based number (default: the first)\n"
        "  --channel CH   channel for rows that have none\n"
        "  --strict       import a file only if every row is valid (nothing otherwise)\n"
        "  --batch N      records per transaction (default 5000)\n"
        "  --no-clean     store rows as given: no cleaning, no masking of personal data,\n"
        "                 no duplicate links (for data already cleaned, and benchmarks)\n"
        "Bad rows are reported as FILE:LINE: field: reason; the rest are imported.\n"
        "Re-importing a file adds no duplicates. Exit status 3 when rows were rejected.\n\n"
        "With --mail, each PATH is a Maildir (its new/ and cur/), an mbox file, a\n"
        "single message (.eml) or - (standard input: one message or an mbox); every\n"
        "message becomes a record of channel email (external_id = Message-ID, so\n"
        "re-importing adds no duplicates; the batch size default is 1000). The\n"
        "source is only read. Rejected messages are reported as FILE[ message N]: reason.\n"
        "  --keep-quotes  keep quoted replies and signatures in the text\n");
}

struct ctx {
    const char *file;
    int64_t t0;
    bool tty;
};

static void on_reject(void *arg, long line, const struct kerr *e)
{
    struct ctx *c = arg;
    if (c->tty)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "%s:%ld: %s%s%s\n", c->file, line, e->field[0] ? e->field : "",
            e->field[0] ? ": " : "", e->message);
}

static void on_progress(void *arg, const struct import_stats *st)
{
    struct ctx *c = arg;
    double sec = (double)(clock_mono_us() - c->t0) / 1e6;
    if (!c->tty)
        return;
    fprintf(stderr, "\r\033[K%s: %ld rows, %ld stored, %ld rejected (%.0f rows/s)", c->file,
            st->rows, st->created + st->existing, st->rejected, sec > 0 ? st->rows / sec : 0.0);
}

static int import_file(struct store *s, const char *path, struct import_opts *o, bool strict,
                       const char *format, struct import_stats *total)
{
    struct ctx c = {path, clock_mono_us(), cli_progress_enabled()};
    struct import_cb cb = {on_reject, on_progress, &c};
    struct import_stats st;
    struct kerr e;
    FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char actor[160];
    int rc = 0;

    if (!in)
        return cli_fail(1, "import", "cannot open %s", path);
    if (format)
        o->format = strcmp(format, "csv") == 0    ? IMPORT_CSV
                    : strcmp(format, "xlsx") == 0 ? IMPORT_XLSX
                                                  : IMPORT_JSONL;
    else
        o->format = in == stdin ? import_format_for(path)
                                : import_format_sniff(in, import_format_for(path));
    if (!format && o->mapping && o->format == IMPORT_JSONL)
        o->format = IMPORT_CSV; /* a mapping is for tables: "-" or "export.txt" is CSV */
    snprintf(actor, sizeof(actor), "import:%.140s",
             strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
    o->actor = actor;
    kerr_clear(&e);
    if (strict) {
        o->dry_run = true;
        rc = import_stream(s, in, o, &cb, &st, &e);
        o->dry_run = false;
        if (rc == 0 && st.rejected) {
            if (c.tty)
                fputs("\r\033[K", stderr);
            fprintf(stderr, "%s: %ld of %ld rows rejected; --strict: nothing imported\n", path,
                    st.rejected, st.rows);
            total->rows += st.rows;
            total->rejected += st.rejected;
            fclose(in);
            return 3;
        }
        if (rc == 0 && fseek(in, 0, SEEK_SET) != 0)
            rc = kerr_set(&e, KERR_IO, "seek", "", "--strict needs a file, not a pipe");
    }
    if (rc == 0 || !strict)
        rc = import_stream(s, in, o, &cb, &st, &e);
    if (in != stdin)
        fclose(in);
    if (c.tty)
        fputs("\r\033[K", stderr);
    if (rc < 0)
        return cli_fail(1, "import", "%s: %s", path, e.message);
    double sec = (double)(clock_mono_us() - c.t0) / 1e6;
    printf("%s: %ld rows: %ld stored, %ld already present, %ld rejected (%.1f s, %.0f rows/s)\n",
           path, st.rows, st.created, st.existing, st.rejected, sec, sec > 0 ? st.rows / sec : 0);
    total->rows += st.rows;
    total->created += st.created;
    total->existing += st.existing;
    total->rejected += st.rejected;
    return st.rejected ? 3 : 0;
}

static void on_mail_reject(void *arg, const struct mail_where *w, const struct kerr *e)
{
    struct ctx *c = arg;
    if (c->tty)
        fputs("\r\033[K", stderr);
    if (w->msgno)
        fprintf(stderr, "%s message %ld: ", w->file, w->msgno);
    else
        fprintf(stderr, "%s: ", w->file);
    fprintf(stderr, "%s%s%s\n", e->field[0] ? e->field : "", e->field[0] ? ": " : "", e->message);
}

static int import_mail(struct store *s, const char *path, struct mail_import_opts *o,
                       struct import_stats *total)
{
    struct ctx c = {path, clock_mono_us(), cli_progress_enabled()};
    struct mail_import_cb cb = {on_mail_reject, on_progress, &c};
    struct import_stats st;
    struct kerr e;
    char actor[160];
    int rc;

    snprintf(actor, sizeof(actor), "import:%.140s",
             strrchr(path, '/') && strrchr(path, '/')[1] ? strrchr(path, '/') + 1 : path);
    o->actor = actor;
    kerr_clear(&e);
    rc = mail_import(s, path, o, &cb, &st, &e);
    if (c.tty)
        fputs("\r\033[K", stderr);
    if (rc < 0)
        return cli_fail(1, "import", "%s: %s", path, e.message);
    double sec = (double)(clock_mono_us() - c.t0) / 1e6;
    printf("%s: %ld messages: %ld stored, %ld already present, %ld rejected (%.1f s, %.0f "
           "messages/s)\n",
           path, st.rows, st.created, st.existing, st.rejected, sec, sec > 0 ? st.rows / sec : 0);
    total->rows += st.rows;
    total->created += st.created;
    total->existing += st.existing;
    total->rejected += st.rejected;
    return st.rejected ? 3 : 0;
}

int cmd_import(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},   {"channel", required_argument, NULL, 'c'},
        {"strict", no_argument, NULL, 's'},         {"batch", required_argument, NULL, 'b'},
        {"no-clean", no_argument, NULL, 'n'},       {"mail", no_argument, NULL, 'm'},
        {"keep-quotes", no_argument, NULL, 'k'},    {"mapping", required_argument, NULL, 'M'},
        {"encoding", required_argument, NULL, 'e'}, {"sheet", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    struct import_opts o = {0};
    struct mail_import_opts mo = {0};
    bool mail = false;
    struct import_stats total = {0};
    const char *format = NULL, *mapping = NULL, *encoding = NULL;
    bool strict = false, no_clean = false;
    struct pipeline *pipeline = NULL;
    struct channels_conf *channels = NULL;
    struct store *s;
    struct kerr e;
    int c, rc = 0;

    /* order counts for complaints per 10,000 orders (cmd_stats.c) */
    if (argc == 3 && strcmp(argv[1], "--denominator") == 0)
        return stats_import_denominator(cli, argv[2]);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            format = optarg;
            break;
        case 'c':
            o.default_channel = optarg;
            break;
        case 's':
            strict = true;
            break;
        case 'M':
            mapping = optarg;
            break;
        case 'e':
            encoding = optarg;
            break;
        case 'S':
            o.sheet = optarg;
            break;
        case 'b':
            o.batch = (size_t)strtoul(optarg, NULL, 10);
            break;
        case 'n':
            no_clean = true;
            break;
        case 'm':
            mail = true;
            break;
        case 'k':
            mo.mail.keep_quotes = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    if (mail && (format || strict || o.default_channel || mapping || encoding || o.sheet))
        return cli_fail(2, "import",
                        "--mail takes no --format, --strict, --channel, --mapping, --encoding "
                        "or --sheet");
    if (!mail && mo.mail.keep_quotes)
        return cli_fail(2, "import", "--keep-quotes goes with --mail");
    if (format && strcmp(format, "jsonl") && strcmp(format, "csv") && strcmp(format, "xlsx"))
        return cli_fail(2, "import", "--format must be jsonl, csv or xlsx");
    kerr_clear(&e);
    if (mapping && mapping_load(mapping, &o.mapping, &e) < 0)
        return cli_fail(2, "import", "%s: %s%s%s", mapping, e.field[0] ? e.field : "",
                        e.field[0] ? ": " : "", e.message);
    if (!encoding && o.mapping)
        encoding = mapping_encoding(o.mapping);
    if (encoding && encoding_parse(encoding, &o.encoding) < 0) {
        mapping_free(o.mapping);
        return cli_fail(2, "import",
                        "--encoding must be auto, utf-8, gbk, gb18030, big5 or "
                        "utf-16le");
    }
    if (o.default_channel) {
        struct record probe;
        record_init(&probe);
        kerr_clear(&e);
        int bad = record_set(&probe, record_field_by_name("channel"), o.default_channel,
                             strlen(o.default_channel), &e);
        record_release(&probe);
        if (bad < 0) {
            mapping_free(o.mapping);
            return cli_fail(2, "import", "--channel: %s", e.message);
        }
    }
    if (o.batch > 100000) {
        mapping_free(o.mapping);
        return cli_fail(2, "import", "--batch must be at most 100000");
    }
    if (cli_open_store(cli, &s) < 0) {
        mapping_free(o.mapping);
        return 1;
    }
    if ((!no_clean && cli_open_pipeline(cli, &pipeline) < 0) ||
        cli_load_channels(cli, &channels) < 0) {
        pipeline_free(pipeline);
        store_close(s);
        mapping_free(o.mapping);
        return 1;
    }
    o.pipeline = pipeline;
    o.channels = channels;
    kerr_clear(&e);
    if (store_start(s, STORE_BG_WRITER | STORE_BG_CHECKPOINT, &e) < 0) {
        pipeline_free(pipeline);
        channels_free(channels);
        store_close(s);
        mapping_free(o.mapping);
        return cli_fail(1, "import", "%s", e.message);
    }
    mo.batch = o.batch > 0 ? o.batch : 1000;
    mo.mail.pipeline = pipeline;
    mo.mail.channels = channels;
    for (int i = optind; i < argc && mail; i++) {
        int r = import_mail(s, argv[i], &mo, &total);
        if (r == 1) {
            rc = 1;
            break;
        }
        if (r == 3)
            rc = 3;
    }
    for (int i = optind; i < argc && !mail; i++) {
        int r = import_file(s, argv[i], &o, strict, format, &total);
        if (r == 1) {
            rc = 1;
            break;
        }
        if (r == 3)
            rc = 3;
    }
    if (argc - optind > 1)
        printf(mail ? "total: %ld messages: %ld stored, %ld already present, %ld rejected\n"
                    : "total: %ld rows: %ld stored, %ld already present, %ld rejected\n",
               total.rows, total.created, total.existing, total.rejected);
    store_close(s);
    pipeline_free(pipeline);
    channels_free(channels);
    mapping_free(o.mapping);
    return rc;
}
