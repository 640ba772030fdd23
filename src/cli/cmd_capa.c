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
 *   kesu capa outbox --send                one pass of kesu's own outbox sender now
 *
 * Also cli_mailer_conf(): the outbox sender's settings, for this and `kesu serve`.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <curl/curl.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "cli/commands.h"
#include "intake/pipeline.h"
#include "loop/capa.h"
#include "loop/mailer.h"
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
            "       kesu capa outbox [--unsent] [--json]\n"
            "       kesu capa outbox --send\n\n"
            "Improvement actions (CAPA): list them with due dates, verdicts and overdue or\n"
            "recurrence flags; evaluate an action's measured effect; run the reminder pass\n"
            "that `kesu serve` runs on its own; set a complaint-rate denominator (orders,\n"
            "shipments) for a day; show the messages waiting in the outbox, or send them\n"
            "now with kesu's own sender (settings smtp_url, smtp_from, sms_webhook_url; see\n"
            "README, Configuration).\n");
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

/* A secret setting: NAME itself, or the first line of the file NAME_file (mode 0600 advised).
 * *out NULL when neither is set. -1 after a message. */
static int secret_setting(struct cli *cli, const char *name, char **out)
{
    char file_key[64], buf[4096];
    const char *v = cli_setting(cli, name, NULL), *path;
    FILE *f;
    size_t n;
    *out = NULL;
    if (v && *v) {
        *out = xstrdup(v);
        return 0;
    }
    snprintf(file_key, sizeof file_key, "%s_file", name);
    if (!(path = cli_setting(cli, file_key, NULL)) || !*path)
        return 0;
    if (!(f = fopen(path, "r")))
        return cli_fail(-1, "outbox", "%s: cannot read %s: %s", file_key, path, strerror(errno));
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    *out = xstrdup(buf);
    sodium_memzero(buf, sizeof buf);
    return 0;
}

/* Seconds setting as milliseconds; -1 after a message when not a number in [lo, hi]. */
static int64_t seconds(struct cli *cli, const char *name, const char *def, double lo, double hi)
{
    char *end;
    const char *v = cli_setting(cli, name, def);
    double x = strtod(v, &end);
    if (*end || !(x >= lo && x <= hi))
        return cli_fail(-1, "outbox", "setting %s must be seconds between %g and %g", name, lo, hi);
    return (int64_t)(x * 1000);
}

static char *dup_setting(struct cli *cli, const char *name)
{
    const char *v = cli_setting(cli, name, NULL);
    return v && *v ? xstrdup(v) : NULL;
}

int cli_mailer_conf(struct cli *cli, struct mailer_conf *c)
{
    struct kerr e;
    char *end;
    mailer_conf_init(c);
    c->smtp_url = dup_setting(cli, "smtp_url");
    c->from = dup_setting(cli, "smtp_from");
    c->user = dup_setting(cli, "smtp_user");
    c->starttls = strcmp(cli_setting(cli, "smtp_starttls", "off"), "on") == 0 ||
                  strcmp(cli_setting(cli, "smtp_starttls", "off"), "true") == 0;
    c->sms_url = dup_setting(cli, "sms_webhook_url");
    c->max_attempts = (int)strtol(cli_setting(cli, "outbox_max_attempts", "8"), &end, 10);
    if (*end)
        c->max_attempts = 0;
    if (secret_setting(cli, "smtp_password", &c->password) < 0 ||
        secret_setting(cli, "sms_webhook_secret", &c->sms_secret) < 0 ||
        (c->interval_ms = seconds(cli, "outbox_interval", "10", 0.1, 86400)) < 0 ||
        (c->retry_base_ms = seconds(cli, "outbox_retry_base", "60", 0.01, 86400)) < 0 ||
        (c->timeout_ms = seconds(cli, "outbox_timeout", "30", 0.1, 600)) < 0)
        goto bad;
    if (c->retry_max_ms < c->retry_base_ms)
        c->retry_max_ms = c->retry_base_ms;
    kerr_clear(&e);
    if (mailer_conf_check(c, &e) < 0) {
        cli_fail(-1, "outbox", "%s", e.message);
        goto bad;
    }
    return 0;
bad:
    mailer_conf_release(c);
    return -1;
}

/* kesu capa outbox --send: one pass, then what it did. */
static int outbox_send(struct cli *cli, struct store *s)
{
    struct mailer_conf mc;
    struct mailer_report r;
    struct pipeline *p = NULL;
    char path[4200];
    struct kerr e;
    int n, rc = 1;

    if (cli_mailer_conf(cli, &mc) < 0)
        return 2;
    if (!mailer_on(&mc)) {
        mailer_conf_release(&mc);
        return cli_fail(2, "capa",
                        "kesu's outbox sender is off: set smtp_url and smtp_from "
                        "(or sms_webhook_url) in kesu.conf; until then an external "
                        "mailer delivers the outbox");
    }
    snprintf(path, sizeof path, "%s/keys/field.key", cli->data_dir);
    kerr_clear(&e);
    if (pipeline_open(path, &p, &e) < 0) {
        cli_fail(1, "capa", "%s", e.message);
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    n = mailer_pass(s, p, &mc, NULL, &r, &e);
    curl_global_cleanup();
    if (n < 0) {
        cli_fail(1, "capa", "outbox: %s", e.message);
        goto out;
    }
    printf("%d message(s): %d sent by e-mail, %d by SMS, %d to retry, %d failed, %d without an "
           "address, %d left for an external mailer, %d skipped (expired), %d interrupted\n",
           n, r.email, r.sms, r.retry, r.failed, r.no_address, r.external, r.skipped,
           r.interrupted);
    rc = r.retry || r.failed ? 1 : 0;
out:
    pipeline_free(p);
    mailer_conf_release(&mc);
    return rc;
}

int cmd_capa(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"status", required_argument, NULL, 's'},
                                             {"owner", required_argument, NULL, 'o'},
                                             {"problem", required_argument, NULL, 'p'},
                                             {"overdue", no_argument, NULL, 'd'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"window-days", required_argument, NULL, 'w'},
                                             {"product", required_argument, NULL, 'P'},
                                             {"unsent", no_argument, NULL, 'u'},
                                             {"send", no_argument, NULL, 'S'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct capa_list_filter f = {0};
    struct capa_eval_opts eo = {0};
    const char *sub, *product = NULL;
    bool json = false, unsent = false, send = false;
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
        case 'S':
            send = true;
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
    } else if (strcmp(sub, "outbox") == 0 && send) {
        rc = outbox_send(cli, s);
        goto out;
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
