/*
 * cmd_report.c: `kesu report`: a daily, weekly or monthly report as HTML or
 * xlsx on demand, the reports written, and the schedules kesu serve runs.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cli/commands.h"
#include "insight/report.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu report --period day|week|month [--date D] --format html|xlsx --out FILE\n"
            "       kesu report list\n"
            "       kesu report schedule add NAME --cron \"MIN HOUR DOM MON DOW\" --period P "
            "--format F\n"
            "       kesu report schedule list\n\n"
            "The report of the period holding D (default: the last complete period: yesterday,\n"
            "last week Monday-Sunday, last month): headline metrics with change, trend, top\n"
            "categories and Pareto, keywords, SLA breaches, staff. Schedules run inside\n"
            "kesu serve and write into DATA/reports (e.g. --cron \"0 8 * * 1\": Mondays 08:00).\n");
}

static int list_cb(void *arg, const struct store_report *r)
{
    char d0[16], d1[16], at[CLOCK_FMT_MAX];
    (void)arg;
    printf("%4lld %-5s %s..%s %-4s %9lld %s  %s  %s\n", (long long)r->id, r->period,
           clock_day_str(r->day0, d0), clock_day_str(r->day1, d1), r->format, (long long)r->bytes,
           clock_format(r->created_at, at), r->created_by, r->path);
    return 0;
}

static int sched_cb(void *arg, const struct store_schedule *sc)
{
    char at[CLOCK_FMT_MAX];
    (void)arg;
    printf("%4lld %-16s %-16s %-5s %-4s %s last %s\n", (long long)sc->id, sc->name, sc->cron,
           sc->period, sc->format, sc->enabled ? "on " : "off",
           sc->last_due ? clock_format(sc->last_due * 1000, at) : "-");
    return 0;
}

int cmd_report(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"period", required_argument, NULL, 'p'},
                                             {"date", required_argument, NULL, 'd'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"cron", required_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *period = NULL, *date = NULL, *format = NULL, *out = NULL, *cron = NULL;
    enum { MAKE, LIST, SCHED_ADD, SCHED_LIST } mode = MAKE;
    const char *name = NULL;
    struct store *s;
    struct kerr e;
    int c, rc = 0;

    int first = 1;
    if (argc > 1 && strcmp(argv[1], "list") == 0) {
        mode = LIST;
        first = 2;
    } else if (argc > 2 && strcmp(argv[1], "schedule") == 0 && strcmp(argv[2], "list") == 0) {
        mode = SCHED_LIST;
        first = 3;
    } else if (argc > 3 && strcmp(argv[1], "schedule") == 0 && strcmp(argv[2], "add") == 0) {
        mode = SCHED_ADD;
        name = argv[3];
        first = 4;
    }
    optind = first;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            period = optarg;
            break;
        case 'd':
            date = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'c':
            cron = optarg;
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
    if (mode == MAKE || mode == SCHED_ADD) {
        int64_t d0, d1;
        if (!period || report_period(period, 0, &d0, &d1, &e) < 0)
            return cli_fail(2, "report", "--period is day, week or month");
        if (!format || (strcmp(format, "html") && strcmp(format, "xlsx")))
            return cli_fail(2, "report", "--format is html or xlsx");
    }
    if (mode == MAKE && !out)
        return cli_fail(2, "report", "--out FILE is required");
    if (mode == SCHED_ADD) {
        struct cron cr;
        if (cron_parse(cron, &cr, &e) < 0)
            return cli_fail(2, "report", "--cron: %s", e.message);
    }
    if (cli_open_store(cli, &s) < 0)
        return 1;
    if (mode == LIST) {
        if (store_report_list(s, 0, 1000, list_cb, NULL, &e) < 0)
            rc = cli_fail(1, "report", "%s", e.message);
    } else if (mode == SCHED_LIST) {
        if (store_schedule_list(s, sched_cb, NULL, &e) < 0)
            rc = cli_fail(1, "report", "%s", e.message);
    } else if (mode == SCHED_ADD) {
        struct store_schedule sc = {.name = name,
                                    .cron = cron,
                                    .period = period,
                                    .format = format,
                                    .enabled = true,
                                    .last_due = clock_now_ms() / 1000};
        int64_t id = 0;
        if (store_schedule_put(s, &sc, &id, &e) < 0)
            rc = cli_fail(1, "report", "%s", e.message);
        else
            printf("schedule %s: %s, %s report as %s into %s/reports\n", name, cron, period, format,
                   cli->data_dir);
    } else {
        int64_t day, d0, d1, bytes = 0, ms, t0 = clock_mono_us();
        if (date) {
            if (clock_parse(date, strlen(date), &ms) < 0) {
                rc = cli_fail(2, "report", "--date wants YYYY-MM-DD");
                goto close;
            }
            day = clock_local_day(ms, NULL);
        } else {
            day = report_default_day(period, clock_now_ms());
        }
        report_period(period, day, &d0, &d1, &e);
        if (report_write(s, period, d0, d1, format, out, &bytes, &e) < 0) {
            rc = cli_fail(1, "report", "%s", e.message);
        } else {
            char a[16], b[16];
            int64_t id = 0;
            struct store_report rep = {.period = period,
                                       .day0 = d0,
                                       .day1 = d1,
                                       .format = format,
                                       .path = out,
                                       .bytes = bytes,
                                       .created_by = "cli"};
            store_report_add(s, &rep, &id, &e);
            printf("%s report %s..%s: %s (%lld bytes, %.2f s)\n", period, clock_day_str(d0, a),
                   clock_day_str(d1, b), out, (long long)bytes,
                   (double)(clock_mono_us() - t0) / 1e6);
        }
    }
close:
    store_close(s);
    return rc;
}
