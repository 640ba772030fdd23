/*
 * cmd_sla.c: `kesu sla check | policies | route | seed`: one pass of the SLA
 * scheduler now (what `kesu serve` runs every --sla-interval), the SLA
 * policies, and routing the open records that came in before the rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cli/commands.h"
#include "loop/sla.h"
#include "store/loop.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: kesu sla check [--at TIME]   one scheduler pass now (or as if at TIME,\n"
                 "                                   RFC 3339); prints each warning, breach and\n"
                 "                                   escalation, then the counts\n"
                 "       kesu sla policies           the SLA policies, one per line\n"
                 "       kesu sla route              route open records that have no team yet\n"
                 "                                   (routing rules, assignment, SLA clock)\n"
                 "       kesu sla seed               add the demo teams, routing rules and SLA\n"
                 "                                   policies (what serve --demo-if-empty adds)\n");
}

static int print_policy(void *arg, int64_t id, const char *json)
{
    struct sla_policy p;
    struct kerr e;
    (void)arg;
    (void)id;
    if (sla_policy_parse(json, strlen(json), &p, &e) < 0)
        return 0;
    printf("%-12s position %-4d priority %-3s segment %-8s category %-8s calendar %-8s "
           "ack %llds response %llds resolve %llds warn at %.0f%%\n",
           p.name, p.position, p.priority[0] ? p.priority : "*", p.segment[0] ? p.segment : "*",
           p.category[0] ? p.category : "*", p.calendar[0] ? p.calendar : "24x7",
           (long long)p.target[0], (long long)p.target[1], (long long)p.target[2],
           p.warn_share * 100);
    return 0;
}

int cmd_sla(struct cli *cli, int argc, char **argv)
{
    struct store *s;
    struct kerr e;
    int rc = 0;
    int64_t at = 0;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "check") == 0 && argc == 4 && strcmp(argv[2], "--at") == 0) {
        if (clock_parse(argv[3], strlen(argv[3]), &at) < 0)
            return cli_fail(2, "sla", "--at wants an RFC 3339 time (got \"%s\")", argv[3]);
    } else if (argc != 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "policies") != 0 &&
        strcmp(argv[1], "route") != 0 && strcmp(argv[1], "seed") != 0) {
        usage(stderr);
        return 2;
    }
    if (cli_open_store(cli, &s) < 0)
        return 1;
    kerr_clear(&e);
    if (strcmp(argv[1], "check") == 0) {
        struct store_sla_report rep;
        if (store_sla_pass(s, at / 1000, 10000, &rep, &e) < 0) {
            rc = cli_fail(1, "sla", "%s", e.message);
        } else {
            for (size_t i = 0; i < rep.nlines; i++)
                printf("%s\n", rep.lines[i]);
            if (rep.warnings + rep.breaches + rep.escalations + rep.subtasks_overdue >
                (int64_t)rep.nlines)
                printf("... (only the first %d lines are shown)\n", STORE_SLA_LINES_MAX);
            printf("sla check: %lld cases looked at, %lld warnings, %lld breaches, %lld "
                   "escalations, %lld sub-tasks overdue\n",
                   (long long)rep.examined, (long long)rep.warnings, (long long)rep.breaches,
                   (long long)rep.escalations, (long long)rep.subtasks_overdue);
        }
        store_sla_report_release(&rep);
    } else if (strcmp(argv[1], "policies") == 0) {
        if (store_sla_policies(s, print_policy, NULL, &e) < 0)
            rc = cli_fail(1, "sla", "%s", e.message);
    } else if (strcmp(argv[1], "seed") == 0) {
        if (store_loop_seed_demo(s, &e) < 0)
            rc = cli_fail(1, "sla", "%s", e.message);
        else
            printf("sla seed: demo teams, routing rules and SLA policies present\n");
    } else {
        long n = store_route_unrouted(s, &e);
        if (n < 0)
            rc = cli_fail(1, "sla", "%s", e.message);
        else
            printf("sla route: %ld records routed\n", n);
    }
    store_close(s);
    return rc;
}
