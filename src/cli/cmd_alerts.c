/*
 * cmd_alerts.c: `kesu alerts`: evaluate the alert rules at a given instant
 * (`check --now`), send the deliveries that are due (`deliver`, for a
 * store no server runs on), and list alerts. The same core calls as the
 * server's alert threads and GET/POST /api/v1/alerts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/clock.h"
#include "cli/commands.h"
#include "insight/alerts.h"
#include "secure/fieldcrypt.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: kesu alerts check [--now TIME]     evaluate every rule as of TIME (default now)\n"
        "       kesu alerts deliver [--now TIME]   send the deliveries due (once)\n"
        "       kesu alerts list [--state open|acknowledged|resolved|active] [--limit N]\n\n"
        "Alert rules and receivers are edited through /api/v1/alerts/rules and\n"
        "/api/v1/alerts/receivers; `kesu serve` evaluates and delivers on its own.\n");
}

static int print_alert(void *arg, const struct store_alert *a)
{
    char t[40];
    (void)arg;
    printf("%-6lld %-13s %s  %s\n", (long long)a->id, a->state, clock_format(a->opened_at, t),
           a->title);
    return 0;
}

int cmd_alerts(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"now", required_argument, NULL, 'n'},
                                             {"state", required_argument, NULL, 's'},
                                             {"limit", required_argument, NULL, 'l'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct store_alert_query q = {0, 0, NULL, 0, 50};
    int64_t now = clock_now_ms();
    struct store *s = NULL;
    struct kerr e;
    const char *verb;
    int c, rc = 1;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    verb = argv[1];
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (clock_parse(optarg, strlen(optarg), &now) < 0)
                return cli_fail(2, "alerts", "--now wants an RFC 3339 time (got \"%s\")", optarg);
            break;
        case 's':
            q.state = optarg;
            break;
        case 'l':
            q.limit = (int)strtol(optarg, NULL, 10);
            if (q.limit < 1 || q.limit > 100000)
                return cli_fail(2, "alerts", "--limit must lie between 1 and 100000");
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (strcmp(verb, "check") && strcmp(verb, "deliver") && strcmp(verb, "list"))
        return cli_fail(2, "alerts", "unknown action %s (check, deliver or list)", verb);
    if (q.state && strcmp(q.state, "open") && strcmp(q.state, "acknowledged") &&
        strcmp(q.state, "resolved") && strcmp(q.state, "active"))
        return cli_fail(2, "alerts", "--state is open, acknowledged, resolved or active");
    if (cli_open_store(cli, &s) < 0)
        return 1;
    kerr_clear(&e);
    if (!strcmp(verb, "check")) {
        struct alerts_report rep;
        char t[40];
        if (alerts_evaluate(s, now, &rep, &e) < 0) {
            cli_fail(1, "alerts", "%s", e.message);
            goto out;
        }
        printf("%s: %d rules, %d series, %d firing, %d opened, %d resolved\n", clock_format(now, t),
               rep.rules, rep.series, rep.fired, rep.opened, rep.resolved);
    } else if (!strcmp(verb, "deliver")) {
        struct alerts_opts o;
        struct fieldcrypt *fc = NULL;
        char path[4200];
        snprintf(path, sizeof path, "%s/keys/field.key", cli->data_dir);
        if (fieldcrypt_open(path, &fc, &e) < 0) {
            cli_fail(1, "alerts", "%s", e.message);
            goto out;
        }
        alerts_set_keyring(fc);
        alerts_opts_default(&o);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        int n = alerts_deliver_due(s, &o, now);
        curl_global_cleanup();
        alerts_set_keyring(NULL);
        fieldcrypt_free(fc);
        printf("%d deliveries attempted\n", n < 0 ? 0 : n);
    } else if (store_alerts(s, &q, print_alert, NULL, &e) < 0) {
        cli_fail(1, "alerts", "%s", e.message);
        goto out;
    }
    rc = 0;
out:
    store_close(s);
    return rc;
}
