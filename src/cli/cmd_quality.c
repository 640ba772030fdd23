/*
 * cmd_quality.c: `kesu quality`: the intake data-quality report, as a table
 * or as the JSON of GET /api/v1/quality.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "cli/commands.h"
#include "intake/channels.h"
#include "intake/quality.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu quality [--since TIME] [--until TIME] [--by day|week|month] [--json]\n\n"
            "Data quality of intake per channel and period (default: the last 30 days by\n"
            "day): records, missing required fields (collection rules), corrected text,\n"
            "masked personal data, traditional Chinese converted, exact and near\n"
            "duplicates; refused inputs by reason; expected channels that delivered nothing.\n");
}

static double pct(const cJSON *o, const char *k, double total)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return total > 0 && cJSON_IsNumber(v) ? 100.0 * v->valuedouble / total : 0;
}

static void print_table(const char *json)
{
    cJSON *doc = cJSON_Parse(json), *it;
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(doc, "rows");
    const cJSON *rej = cJSON_GetObjectItemCaseSensitive(doc, "rejections");
    const cJSON *cov = cJSON_GetObjectItemCaseSensitive(doc, "coverage");
    printf("%-10s %-12s %8s %8s %9s %8s %6s %7s %6s\n", "period", "channel", "records", "missing",
           "corrected", "masked", "t2s", "exact", "near");
    cJSON_ArrayForEach(it, rows)
    {
        double n = cJSON_GetObjectItemCaseSensitive(it, "records")->valuedouble;
        printf("%-10s %-12s %8.0f %7.1f%% %8.1f%% %7.1f%% %5.1f%% %6.1f%% %5.1f%%\n",
               cJSON_GetObjectItemCaseSensitive(it, "period")->valuestring,
               cJSON_GetObjectItemCaseSensitive(it, "channel")->valuestring, n,
               pct(it, "missing_required", n), pct(it, "corrected", n), pct(it, "pii_masked", n),
               pct(it, "t2s", n), pct(it, "duplicates_exact", n), pct(it, "duplicates_near", n));
    }
    if (cJSON_GetArraySize(rej)) {
        printf("\nrefused inputs:\n%-10s %-12s %-7s %-20s %-16s %6s\n", "period", "channel",
               "source", "code", "field", "count");
        cJSON_ArrayForEach(it, rej)
            printf("%-10s %-12s %-7s %-20s %-16s %6.0f\n",
                   cJSON_GetObjectItemCaseSensitive(it, "period")->valuestring,
                   cJSON_GetObjectItemCaseSensitive(it, "channel")->valuestring,
                   cJSON_GetObjectItemCaseSensitive(it, "source")->valuestring,
                   cJSON_GetObjectItemCaseSensitive(it, "code")->valuestring,
                   cJSON_GetObjectItemCaseSensitive(it, "field")->valuestring,
                   cJSON_GetObjectItemCaseSensitive(it, "count")->valuedouble);
    }
    const cJSON *silent = cJSON_GetObjectItemCaseSensitive(cov, "silent");
    if (cJSON_GetArraySize(silent)) {
        printf("\nexpected channels that delivered nothing:");
        cJSON_ArrayForEach(it, silent) printf(" %s", it->valuestring);
        printf("\n");
    }
    cJSON_Delete(doc);
}

int cmd_quality(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"since", required_argument, NULL, 's'}, {"until", required_argument, NULL, 'u'},
        {"by", required_argument, NULL, 'b'},    {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *by = "day";
    int64_t t1 = clock_now_ms(), t0 = 0;
    bool json = false, have_since = false;
    struct channels_conf *channels = NULL;
    struct strbuf sb = STRBUF_INIT;
    struct store *s;
    struct kerr e;
    int c, rc = 0;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (clock_parse(optarg, strlen(optarg), &t0) < 0)
                return cli_fail(2, "quality", "--since wants an RFC 3339 time or a date");
            have_since = true;
            break;
        case 'u':
            if (clock_parse(optarg, strlen(optarg), &t1) < 0)
                return cli_fail(2, "quality", "--until wants an RFC 3339 time or a date");
            break;
        case 'b':
            by = optarg;
            if (strcmp(by, "day") && strcmp(by, "week") && strcmp(by, "month"))
                return cli_fail(2, "quality", "--by is day, week or month");
            break;
        case 'j':
            json = true;
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
    if (!have_since)
        t0 = t1 - 30 * 24 * 3600 * 1000LL;
    if (cli_load_channels(cli, &channels) < 0)
        return 1;
    if (cli_open_store(cli, &s) < 0) {
        channels_free(channels);
        return 1;
    }
    kerr_clear(&e);
    if (quality_report_json(s, channels, t0, t1, by, &sb, &e) < 0)
        rc = cli_fail(1, "quality", "%s", e.message);
    else if (json)
        printf("%s\n", sb.buf);
    else
        print_table(sb.buf);
    strbuf_release(&sb);
    store_close(s);
    channels_free(channels);
    return rc;
}
