/*
 * cmd_capa.c: `kesu capa`: improvement actions and problems from the
 * command line (the same core calls as /api/v1/actions and /api/v1/problems).
 *
 *   kesu capa list [--status S] [--owner U] [--overdue] [--json]
 *   kesu capa show ID                      an action with its evaluations (JSON)
 *   kesu capa evaluate ID [--window-days N] [--json]
 *   kesu capa problems [--status S] [--json]
 *   kesu capa remind                       one reminder/escalation/recurrence pass now
 *   kesu capa denominator DAY VALUE [--product P]
 *   kesu capa outbox [--unsent] [--json]
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "cli/commands.h"
#include "loop/capa.h"
#include "store/capa.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu capa list [--status S] [--owner U] [--problem ID] [--overdue] [--json]\n"
            "       kesu capa show ID\n"
            "       kesu capa evaluate ID [--window-days N] [--json]\n"
            "       kesu capa problems [--status S] [--json]\n"
            "       kesu capa remind\n"
            "       kesu capa denominator YYYY-MM-DD VALUE [--product P]\n"
            "       kesu capa outbox [--unsent] [--json]\n\n"
            "Improvement actions (CAPA): list them with due dates, verdicts and overdue or\n"
            "recurrence flags; evaluate an action's measured effect; run the reminder pass\n"
            "that `kesu serve` runs on its own; set a complaint-rate denominator (orders,\n"
            "shipments) for a day; show the messages waiting in the outbox.\n");
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "-";
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static double arr_num(const cJSON *a, int i)
{
    const cJSON *v = cJSON_GetArrayItem(a, i);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void short_time(const char *t, char out[11])
{
    snprintf(out, 11, "%s", t);
}

static void print_actions(const char *json)
{
    cJSON *doc = cJSON_Parse(json), *it;
    printf("%5s  %-11s %-5s %-11s %-10s %-10s %-13s %s\n", "id", "type", "term", "status", "owner",
           "due", "verdict", "title");
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "items"))
    {
        char due[11];
        short_time(str(it, "due_at"), due);
        printf("%5.0f  %-11s %-5s %-11s %-10s %-10s %-13s %s%s%s\n", num(it, "id"), str(it, "type"),
               str(it, "term"), str(it, "status"), str(it, "owner"), due, str(it, "verdict"),
               str(it, "title"), num(it, "overdue") ? "  [overdue]" : "",
               num(it, "recurrence") ? "  [recurrence]" : "");
    }
    cJSON_Delete(doc);
}

static void print_problems(const char *json)
{
    cJSON *doc = cJSON_Parse(json), *it;
    printf("%5s  %-13s %6s %8s  %s\n", "id", "status", "cases", "actions", "title");
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "items"))
        printf("%5.0f  %-13s %6.0f %8.0f  %s\n", num(it, "id"), str(it, "status"),
               num(it, "case_count"), num(it, "action_count"), str(it, "title"));
    cJSON_Delete(doc);
}

static void print_evaluation(const char *json)
{
    cJSON *doc = cJSON_Parse(json), *res = cJSON_GetObjectItemCaseSensitive(doc, "result"), *t;
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(res, "baseline");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(res, "after");
    printf("action %.0f: %s (%s)%s\n", num(doc, "action_id"), str(doc, "verdict"),
           str(res, "reason"),
           cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "recurrence")) ? "  RECURRENCE" : "");
    printf("baseline %s .. %s: %.0f of %.0f complaints\n", str(b, "from"), str(b, "to"),
           num(b, "complaints"), num(b, "total"));
    printf("after    %s .. %s: %.0f of %.0f complaints\n", str(a, "from"), str(a, "to"),
           num(a, "complaints"), num(a, "total"));
    printf("%-15s %9s %9s %8s %8s %19s %10s\n", "metric", "before", "after", "ratio", "change",
           "95% CI", "p");
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(res, "tests"))
    {
        const cJSON *ci = cJSON_GetObjectItemCaseSensitive(t, "ci");
        printf("%-15s %9.4f %9.4f %8.3f %+7.1f%% [%7.3f, %7.3f] %10.3g\n", t->string,
               num(t, "before"), num(t, "after"), num(t, "ratio"), 100 * num(t, "change"),
               arr_num(ci, 0), arr_num(ci, 1), num(t, "p"));
    }
    cJSON_Delete(doc);
}

int cmd_capa(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"status", required_argument, NULL, 's'},  {"owner", required_argument, NULL, 'o'},
        {"problem", required_argument, NULL, 'p'}, {"overdue", no_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},          {"window-days", required_argument, NULL, 'w'},
        {"product", required_argument, NULL, 'P'}, {"unsent", no_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    struct capa_list_filter f = {0};
    struct capa_eval_opts eo = {0};
    const char *sub, *product = NULL;
    bool json = false, unsent = false;
    struct strbuf sb = STRBUF_INIT;
    struct store *s;
    struct kerr e;
    int c, rc = 0;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    sub = argv[1];
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            f.status = optarg;
            break;
        case 'o':
            f.owner = optarg;
            break;
        case 'p':
            f.problem_id = strtoll(optarg, NULL, 10);
            if (f.problem_id < 1)
                return cli_fail(2, "capa", "--problem wants a problem id");
            break;
        case 'd':
            f.overdue = true;
            break;
        case 'j':
            json = true;
            break;
        case 'w':
            eo.window_days = (int)strtol(optarg, NULL, 10);
            if (eo.window_days < 1 || eo.window_days > 3650)
                return cli_fail(2, "capa", "--window-days wants 1 to 3650");
            break;
        case 'P':
            product = optarg;
            break;
        case 'u':
            unsent = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (cli_open_store(cli, &s) < 0)
        return 1;
    kerr_clear(&e);
    f.limit = 1000;
    if (strcmp(sub, "list") == 0) {
        if ((rc = store_actions_json(s, &f, clock_now_ms(), &sb, &e)) == 0)
            json ? (void)printf("%s\n", sb.buf) : print_actions(sb.buf);
    } else if (strcmp(sub, "problems") == 0) {
        if ((rc = store_problems_json(s, &f, &sb, &e)) == 0)
            json ? (void)printf("%s\n", sb.buf) : print_problems(sb.buf);
    } else if (strcmp(sub, "show") == 0 || strcmp(sub, "evaluate") == 0) {
        long long id = optind < argc ? strtoll(argv[optind], NULL, 10) : 0;
        if (id < 1) {
            rc = cli_fail(2, "capa", "%s wants an action id", sub);
            goto out;
        }
        if (strcmp(sub, "show") == 0) {
            struct strbuf ev = STRBUF_INIT;
            if ((rc = store_action_json(s, id, &sb, &e)) == 0 &&
                (rc = store_action_evaluations_json(s, id, &ev, &e)) == 0)
                printf("{\"action\":%s,\"evaluations\":%s}\n", sb.buf, ev.buf);
            strbuf_release(&ev);
        } else if ((rc = capa_evaluate(s, id, &eo, "cli", &sb, &e)) == 0) {
            json ? (void)printf("%s\n", sb.buf) : print_evaluation(sb.buf);
        }
    } else if (strcmp(sub, "remind") == 0) {
        struct capa_pass_result r;
        if ((rc = capa_pass(s, 48 * 3600 * 1000LL, &r, &e)) == 0)
            printf("%d reminders, %d escalations, %d rechecked, %d recurrences\n", r.reminders,
                   r.escalations, r.rechecked, r.recurrences);
    } else if (strcmp(sub, "denominator") == 0) {
        struct capa_op op = {0};
        char *end;
        int64_t t;
        if (argc - optind != 2 || strlen(argv[optind]) != 10 ||
            clock_parse_loose(argv[optind], 10, &t) < 0) {
            rc = cli_fail(2, "capa", "denominator wants YYYY-MM-DD VALUE");
            goto out;
        }
        op.kind = CAPA_DENOMINATOR;
        op.day = argv[optind];
        op.product = product;
        op.value = strtod(argv[optind + 1], &end);
        if (*end || !(op.value > 0)) {
            rc = cli_fail(2, "capa", "the denominator must be a positive number");
            goto out;
        }
        if ((rc = store_capa(s, &op, "cli", &e)) == 0)
            printf("denominator %s%s%s = %g\n", op.day, product ? " " : "", product ? product : "",
                   op.value);
    } else if (strcmp(sub, "outbox") == 0) {
        if ((rc = store_outbox_json(s, unsent, 1000, &sb, &e)) == 0) {
            if (json) {
                printf("%s\n", sb.buf);
            } else {
                cJSON *doc = cJSON_Parse(sb.buf), *it;
                cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "items"))
                    printf("%5.0f  %-16s %-20s %-14s %s\n", num(it, "id"), str(it, "kind"),
                           str(it, "created_at"), str(it, "recipient"), str(it, "subject"));
                cJSON_Delete(doc);
            }
        }
    } else {
        rc = cli_fail(2, "capa", "unknown subcommand \"%s\" (see kesu capa --help)", sub);
        goto out;
    }
    if (rc < 0)
        rc = cli_fail(rc == KERR_NOTFOUND ? 3 : 1, "capa", "%s", e.message);
out:
    strbuf_release(&sb);
    store_close(s);
    return rc;
}
