/*
 * cmd_report.c: `kesu report`: a daily, weekly or monthly report as HTML or
 * xlsx on demand (and sent to addresses or alert receivers with --email and
 * --receiver), the reports written, and the schedules kesu serve runs.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "base/clock.h"
#include "cli/commands.h"
#include "insight/alerts.h"
#include "insight/report.h"
#include "insight/reportsend.h"
#include "secure/fieldcrypt.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu report --period day|week|month [--date D] --format html|xlsx --out FILE\n"
            "                   [--email ADDR]... [--receiver ID]...\n"
            "       kesu report list\n"
            "       kesu report schedule add NAME --cron \"MIN HOUR DOM MON DOW\" --period P "
            "--format F\n"
            "                   [--email ADDR]... [--receiver ID]...\n"
            "       kesu report schedule list\n\n"
            "The report of the period holding D (default: the last complete period: yesterday,\n"
            "last week Monday-Sunday, last month): headline metrics with change, trend, top\n"
            "categories and Pareto, keywords, SLA breaches, staff. Schedules run inside\n"
            "kesu serve and write into DATA/reports (e.g. --cron \"0 8 * * 1\": Mondays 08:00).\n"
            "--email mails the report as an attachment over the SMTP server of the settings\n"
            "smtp_url and smtp_from; --receiver sends it to an alert receiver (a link for\n"
            "DingTalk, WeCom, Feishu and webhooks, the file for e-mail receivers).\n");
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
    printf("%4lld %-16s %-16s %-5s %-4s %s last %s  to %s %s\n", (long long)sc->id, sc->name,
           sc->cron, sc->period, sc->format, sc->enabled ? "on " : "off",
           sc->last_due ? clock_format(sc->last_due * 1000, at) : "-", sc->emails, sc->receivers);
    return 0;
}

static int delivery_cb(void *arg, const struct store_report_delivery *d)
{
    char who[64];
    (void)arg;
    if (!d->email)
        snprintf(who, sizeof who, "receiver %lld", (long long)d->receiver_id);
    printf("  %-30s %-7s attempts %d%s%s%s\n", d->email ? d->email : who, d->state, d->attempts,
           d->last_error ? "  " : "", d->last_error ? d->last_error : "",
           strcmp(d->state, "pending") ? "" : " (kesu serve tries again)");
    return 0;
}

int cli_reportsend_opts(struct cli *cli, const char *base, struct reportsend_opts *o)
{
    char *end;
    const char *v;
    double x;
    reportsend_opts_default(o);
    o->base_url = cli_setting(cli, "public_url", base);
    o->smtp_url = cli_setting(cli, "smtp_url", NULL);
    o->smtp_from = cli_setting(cli, "smtp_from", NULL);
    o->smtp_user = cli_setting(cli, "smtp_user", NULL);
    o->smtp_password = cli_setting(cli, "smtp_password", NULL);
    if (!o->smtp_password || !*o->smtp_password) {
        /* the same file the outbox sender reads (first line); kept for the process */
        static char pw[512];
        const char *path = cli_setting(cli, "smtp_password_file", NULL);
        FILE *f;
        if (path && *path) {
            size_t n;
            if (!(f = fopen(path, "r")))
                return cli_fail(2, "report", "smtp_password_file: cannot read %s: %s", path,
                                strerror(errno));
            n = fread(pw, 1, sizeof pw - 1, f);
            fclose(f);
            pw[n] = '\0';
            pw[strcspn(pw, "\r\n")] = '\0';
            o->smtp_password = pw;
        }
    }
    v = cli_setting(cli, "smtp_starttls", "off");
    o->smtp_starttls = !strcmp(v, "on") || !strcmp(v, "true");
    if (o->smtp_url && *o->smtp_url && strncmp(o->smtp_url, "smtp://", 7) &&
        strncmp(o->smtp_url, "smtps://", 8))
        return cli_fail(2, "report", "setting smtp_url is smtp://host:port or smtps://host:port");
    if (o->smtp_url && !*o->smtp_url)
        o->smtp_url = NULL;
    if (o->smtp_from && !reportsend_email_ok(o->smtp_from))
        return cli_fail(2, "report", "setting smtp_from is not an e-mail address");
    v = cli_setting(cli, "reports_retry_base", "30");
    x = strtod(v, &end);
    if (*end || !(x >= 0.01 && x <= 86400))
        return cli_fail(2, "report", "setting reports_retry_base must be seconds (0.01-86400)");
    o->retry_base_ms = (int64_t)(x * 1000);
    v = cli_setting(cli, "report_attach_max", "10485760");
    x = strtod(v, &end);
    if (*end || !(x >= 0 && x <= 1e9))
        return cli_fail(2, "report", "setting report_attach_max must be bytes (0-1000000000)");
    o->attach_max = (int64_t)x;
    return 0;
}

/* Recipients from the repeated options, checked as the API checks them. */
static int recipients(struct cli *cli, struct store *s, const char *const *emails, int ne,
                      const char *const *recv, int nr, struct reportsend_to *to)
{
    cJSON *je = cJSON_CreateArray(), *jr = cJSON_CreateArray();
    struct kerr e;
    int rc = 0;
    for (int i = 0; i < ne; i++)
        cJSON_AddItemToArray(je, cJSON_CreateString(emails[i]));
    for (int i = 0; i < nr; i++) {
        char *end;
        long long id = strtoll(recv[i], &end, 10);
        if (*end || id <= 0) {
            rc = cli_fail(2, "report", "--receiver wants an alert receiver's id (got \"%s\")",
                          recv[i]);
            goto out;
        }
        cJSON_AddItemToArray(jr, cJSON_CreateNumber((double)id));
    }
    kerr_clear(&e);
    const char *smtp = cli_setting(cli, "smtp_url", "");
    if (reportsend_to_check(s, je, jr, *smtp != '\0', to, &e) < 0)
        rc = cli_fail(2, "report", "%s", e.message);
out:
    cJSON_Delete(je);
    cJSON_Delete(jr);
    return rc;
}

/* A delivery another sender (kesu serve) has claimed and not finished: pending, never tried,
 * and not due until its claim runs out. */
struct claimed {
    int64_t now, until;
};

static int claimed_cb(void *arg, const struct store_report_delivery *d)
{
    struct claimed *c = arg;
    if (strcmp(d->state, "pending") == 0 && d->attempts == 0 && d->next_try_at > c->now &&
        d->next_try_at > c->until)
        c->until = d->next_try_at;
    return 0;
}

/*
 * Waits (polling every 50 ms) until no delivery of report id is held by another
 * sender, or until the last such claim runs out, so that the states printed are
 * the outcome and not "pending" while kesu serve is sending it.
 */
static void wait_claimed(struct store *s, int64_t id)
{
    for (;;) {
        struct claimed c = {clock_now_ms(), 0};
        if (store_report_deliveries(s, id, 0, 0, claimed_cb, &c, NULL) < 0 || !c.until)
            return;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Sends report id's deliveries now; those that fail stay queued for kesu serve. */
static int send_now(struct cli *cli, struct store *s, int64_t id)
{
    struct reportsend_opts o;
    struct fieldcrypt *fc = NULL;
    struct kerr e;
    char path[4200];
    snprintf(path, sizeof path, "%s/keys/field.key", cli->data_dir);
    kerr_clear(&e);
    if (cli_reportsend_opts(cli, "", &o) != 0)
        return 2;
    if (fieldcrypt_open(path, &fc, &e) < 0)
        return cli_fail(1, "report", "%s", e.message);
    alerts_set_keyring(fc);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    reportsend_deliver_due(s, &o, clock_now_ms(), id);
    wait_claimed(s, id);
    curl_global_cleanup();
    alerts_set_keyring(NULL);
    fieldcrypt_free(fc);
    store_report_deliveries(s, id, 0, 0, delivery_cb, NULL, &e);
    return 0;
}

#define MAX_TO 32

int cmd_report(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"period", required_argument, NULL, 'p'},
                                             {"date", required_argument, NULL, 'd'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"cron", required_argument, NULL, 'c'},
                                             {"email", required_argument, NULL, 'e'},
                                             {"receiver", required_argument, NULL, 'r'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *period = NULL, *date = NULL, *format = NULL, *out = NULL, *cron = NULL;
    const char *emails[MAX_TO], *recv[MAX_TO];
    int ne = 0, nr = 0;
    enum { MAKE, LIST, SCHED_ADD, SCHED_LIST } mode = MAKE;
    const char *name = NULL;
    struct reportsend_to to = {0};
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
        case 'e':
        case 'r':
            if ((c == 'e' ? ne : nr) == MAX_TO)
                return cli_fail(2, "report", "at most %d of --email and of --receiver", MAX_TO);
            if (c == 'e')
                emails[ne++] = optarg;
            else
                recv[nr++] = optarg;
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
    } else if (ne || nr) {
        return cli_fail(2, "report", "--email and --receiver go with a report or a schedule");
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
    if ((ne || nr) && (rc = recipients(cli, s, emails, ne, recv, nr, &to)) != 0)
        goto close;
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
                                    .emails = to.emails_json.buf,
                                    .receivers = to.receivers_json.buf,
                                    .enabled = true,
                                    .last_due = clock_now_ms() / 1000};
        int64_t id = 0;
        if (store_schedule_put(s, &sc, &id, &e) < 0)
            rc = cli_fail(1, "report", "%s", e.message);
        else
            printf("schedule %s: %s, %s report as %s into %s/reports%s%s%s%s\n", name, cron, period,
                   format, cli->data_dir, ne ? ", mailed to " : "", ne ? to.emails_json.buf : "",
                   nr ? ", sent to receivers " : "", nr ? to.receivers_json.buf : "");
    } else {
        int64_t day, d0, d1, bytes = 0, ms, t0 = clock_mono_us();
        struct strbuf summary = STRBUF_INIT;
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
        if (report_write(s, period, d0, d1, format, out, &bytes, &summary, &e) < 0) {
            rc = cli_fail(1, "report", "%s", e.message);
        } else {
            char abs[PATH_MAX];
            if (realpath(out, abs))
                out = abs; /* the server serves it by the path recorded */
            char a[16], b[16];
            int64_t id = 0;
            struct store_report rep = {.period = period,
                                       .day0 = d0,
                                       .day1 = d1,
                                       .format = format,
                                       .path = out,
                                       .bytes = bytes,
                                       .created_by = "cli",
                                       .summary = summary.buf,
                                       .to = ne || nr ? &to.to : NULL};
            if (store_report_add(s, &rep, &id, &e) < 0)
                rc = cli_fail(1, "report", "%s", e.message);
            printf("%s report %s..%s: %s (%lld bytes, %.2f s)\n", period, clock_day_str(d0, a),
                   clock_day_str(d1, b), out, (long long)bytes,
                   (double)(clock_mono_us() - t0) / 1e6);
            if (rc == 0 && (ne || nr))
                rc = send_now(cli, s, id);
        }
        strbuf_release(&summary);
    }
close:
    reportsend_to_release(&to);
    store_close(s);
    return rc;
}
