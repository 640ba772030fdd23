/*
 * cmd_stats.c: `kesu stats`: the metrics of GET /api/v1/stats/... as a
 * table or as their JSON; `kesu stats rebuild` recomputes the rollups; and
 * `kesu import --denominator` loads order counts.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/clock.h"
#include "base/xmalloc.h"
#include "cli/commands.h"
#include "insight/stats.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: kesu stats volume [--by DIM] [--bucket day|week|month] [PERIOD] [--json]\n"
        "       kesu stats pareto [--by DIM] [PERIOD] [--json]\n"
        "       kesu stats crosstab --rows DIM --cols DIM [PERIOD] [--json]\n"
        "       kesu stats satisfaction|sla|handling|heatmap|staff [PERIOD] [--exact] [--json]\n"
        "       kesu stats rebuild\n"
        "       kesu stats cube\n\n"
        "PERIOD: --from TIME --to TIME (RFC 3339 or YYYY-MM-DD; a date `to` includes that\n"
        "day; default the last 30 days). DIM: channel, category_l1, category_l2,\n"
        "category_l3, product, store, region, severity, customer_segment, sentiment, team,\n"
        "assignee. Definitions: docs/metrics.md. sla, handling and staff read the case\n"
        "rollups for whole days; --exact scans the records instead (exact median and p90).\n"
        "`rebuild` recomputes the daily and case rollups from the records (after an\n"
        "upgrade, or to check them). `cube` loads the stats cube as `kesu serve` does\n"
        "(setting stats_cube) and prints its records, bytes and load time.\n");
}

static const cJSON *get(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void pr_num(double v, int width, int prec)
{
    if (isnan(v))
        printf(" %*s", width, "-");
    else
        printf(" %*.*f", width, prec, v);
}

/* Flat key: value lines of an object (nested objects as a.b). */
static void print_flat(const cJSON *o, const char *prefix)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        char key[128];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", it->string);
        if (cJSON_IsObject(it))
            print_flat(it, key);
        else if (cJSON_IsNumber(it))
            printf("%-28s %.6g\n", key, it->valuedouble);
        else if (cJSON_IsString(it))
            printf("%-28s %s\n", key, it->valuestring);
        else if (cJSON_IsNull(it))
            printf("%-28s -\n", key);
        else if (cJSON_IsBool(it))
            printf("%-28s %s\n", key, cJSON_IsTrue(it) ? "true" : "false");
    }
}

static void print_volume(const cJSON *doc)
{
    const cJSON *series = get(doc, "series"), *s0 = cJSON_GetArrayItem(series, 0), *it, *pt;
    int ns = 0;
    printf("%-10s", "bucket");
    cJSON_ArrayForEach(it, series)
    {
        if (ns++ >= 8)
            break;
        printf(" %12.12s", str(it, "key"));
    }
    printf("\n");
    int nb = cJSON_GetArraySize(get(s0, "points"));
    for (int b = 0; b < nb; b++) {
        printf("%-10s", str(cJSON_GetArrayItem(get(s0, "points"), b), "t"));
        ns = 0;
        cJSON_ArrayForEach(it, series)
        {
            if (ns++ >= 8)
                break;
            pt = cJSON_GetArrayItem(get(it, "points"), b);
            printf(" %12.0f", num(pt, "n"));
        }
        printf("\n");
    }
    printf("total %.0f; previous period %.0f (change", num(doc, "total"), num(doc, "previous"));
    pr_num(100 * num(get(doc, "change"), "pop"), 0, 1);
    printf("%%); a year before %.0f (change", num(doc, "year_before"));
    pr_num(100 * num(get(doc, "change"), "yoy"), 0, 1);
    printf("%%)\n");
}

static void print_pareto(const cJSON *doc)
{
    const cJSON *it;
    int i = 0, cut = (int)num(doc, "cut80");
    printf("%-24s %8s %7s %7s\n", "key", "n", "share", "cum");
    cJSON_ArrayForEach(it, get(doc, "items"))
    {
        printf("%-24s %8.0f %6.1f%% %6.1f%%\n", str(it, "key"), num(it, "n"),
               100 * num(it, "share"), 100 * num(it, "cum_share"));
        if (++i == cut)
            printf("---- 80%% ----\n");
    }
    printf("total %.0f, %d of %d values make 80%%\n", num(doc, "total"), cut, i);
}

static void print_crosstab(const cJSON *doc)
{
    const cJSON *it;
    printf("%-18s %-18s %8s %7s %7s %6s\n", "row", "col", "n", "share", "in row", "lift");
    cJSON_ArrayForEach(it, get(doc, "cells"))
    {
        printf("%-18s %-18s %8.0f %6.1f%% %6.1f%%", str(it, "row"), str(it, "col"), num(it, "n"),
               100 * num(it, "share"), 100 * num(it, "row_share"));
        pr_num(num(it, "lift"), 6, 2);
        printf("\n");
    }
    printf("total %.0f (%s)\n", num(doc, "total"), str(doc, "source"));
}

static void print_heatmap(const cJSON *doc)
{
    static const char *const wd[] = {"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    double grid[8][24] = {{0}};
    const cJSON *it;
    cJSON_ArrayForEach(it, get(doc, "cells"))
    {
        int d = (int)num(it, "weekday"), h = (int)num(it, "hour");
        if (d >= 1 && d <= 7 && h >= 0 && h < 24)
            grid[d][h] = num(it, "n");
    }
    printf("   ");
    for (int h = 0; h < 24; h++)
        printf(" %5d", h);
    printf("\n");
    for (int d = 1; d <= 7; d++) {
        printf("%s", wd[d]);
        for (int h = 0; h < 24; h++)
            printf(" %5.0f", grid[d][h]);
        printf("\n");
    }
}

static void print_staff_rows(const cJSON *rows, const char *title)
{
    const cJSON *it;
    printf("%s\n%4s %-16s %-10s %6s %6s %8s %6s %6s %6s\n", title, "rank", "name", "team", "cases",
           "closed", "hours", "sla%", "csat%", "reop%");
    cJSON_ArrayForEach(it, rows)
    {
        printf("%4.0f %-16s %-10s %6.0f %6.0f", num(it, "rank"), str(it, "name"), str(it, "team"),
               num(it, "cases"), num(it, "closed"));
        pr_num(num(it, "handling_hours"), 8, 1);
        pr_num(100 * num(it, "sla_compliance"), 6, 1);
        pr_num(100 * num(it, "csat"), 6, 1);
        pr_num(100 * num(it, "reopen_rate"), 6, 1);
        printf("\n");
    }
}

static int rebuild(struct cli *cli)
{
    struct store *s;
    struct kerr e;
    int64_t n = 0;
    int64_t t0 = clock_mono_us();
    if (cli_open_store(cli, &s) < 0)
        return 1;
    kerr_clear(&e);
    int rc = store_stats_rebuild(s, &n, &e);
    store_close(s);
    if (rc < 0)
        return cli_fail(1, "stats", "rebuild failed: %s", e.message);
    printf("rollups rebuilt from %lld records in %.1f s\n", (long long)n,
           (double)(clock_mono_us() - t0) / 1e6);
    return 0;
}

/* Loads the stats cube once and says what it holds (bench/stats.sh reads the line). */
static int cube(struct cli *cli)
{
    struct store *s;
    struct store_cube_info ci;
    struct kerr e;
    if (cli_open_store(cli, &s) < 0)
        return 1;
    kerr_clear(&e);
    int rc = store_cube_load(s, &e);
    store_cube_info(s, &ci);
    store_close(s);
    if (rc < 0)
        return cli_fail(1, "stats", "cube: %s", e.message);
    printf("stats cube: %lld records, %lld bytes (%.1f per record), loaded in %.1f s\n",
           (long long)ci.records, (long long)ci.bytes,
           ci.records ? (double)ci.bytes / (double)ci.records : 0.0, (double)ci.load_ms / 1e3);
    return 0;
}

int cmd_stats(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"by", required_argument, NULL, 'b'},
                                             {"bucket", required_argument, NULL, 'k'},
                                             {"rows", required_argument, NULL, 'r'},
                                             {"cols", required_argument, NULL, 'c'},
                                             {"from", required_argument, NULL, 'f'},
                                             {"to", required_argument, NULL, 't'},
                                             {"limit", required_argument, NULL, 'l'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"exact", no_argument, NULL, 'x'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    static const struct {
        const char *name;
        int (*fn)(struct store *, const struct stats_query *, struct strbuf *, struct kerr *);
    } subs[] = {
        {"volume", stats_volume_json},     {"pareto", stats_pareto_json},
        {"crosstab", stats_crosstab_json}, {"satisfaction", stats_satisfaction_json},
        {"sla", stats_sla_json},           {"handling", stats_handling_json},
        {"heatmap", stats_heatmap_json},   {"staff", stats_staff_json},
    };
    struct stats_query q = {0};
    const char *from = NULL, *to = NULL, *sub;
    bool json = false;
    struct strbuf sb = STRBUF_INIT;
    struct store *s;
    struct kerr e;
    int c, rc, which = -1;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    sub = argv[1];
    if (strcmp(sub, "rebuild") == 0)
        return rebuild(cli);
    if (strcmp(sub, "cube") == 0)
        return cube(cli);
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(sub, subs[i].name) == 0)
            which = (int)i;
    if (which < 0)
        return cli_fail(2, "stats", "unknown report '%s' (see kesu stats --help)", sub);
    optind = 2;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            q.by = optarg;
            break;
        case 'k':
            q.bucket = optarg;
            break;
        case 'r':
            q.rows = optarg;
            break;
        case 'c':
            q.cols = optarg;
            break;
        case 'f':
            from = optarg;
            break;
        case 't':
            to = optarg;
            break;
        case 'l':
            q.limit = (int)strtol(optarg, NULL, 10);
            break;
        case 'j':
            json = true;
            break;
        case 'x':
            q.exact = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (which == 0 && !q.by)
        q.by = "channel";
    kerr_clear(&e);
    if (stats_period(from, to, clock_now_ms(), &q, &e) < 0)
        return cli_fail(2, "stats", "--%s: %s", e.field, e.message);
    if (cli_open_store(cli, &s) < 0)
        return 1;
    rc = subs[which].fn(s, &q, &sb, &e);
    store_close(s);
    if (rc < 0) {
        strbuf_release(&sb);
        return cli_fail(2, "stats", "%s%s%s", *e.field ? e.field : "", *e.field ? ": " : "",
                        e.message);
    }
    if (json) {
        printf("%s\n", sb.buf);
    } else {
        cJSON *doc = cJSON_Parse(sb.buf);
        printf("%s to %s\n", str(doc, "from"), str(doc, "to"));
        if (which == 0)
            print_volume(doc);
        else if (which == 1)
            print_pareto(doc);
        else if (which == 2)
            print_crosstab(doc);
        else if (which == 6)
            print_heatmap(doc);
        else if (which == 7) {
            print_staff_rows(get(doc, "agents"), "agents");
            print_staff_rows(get(doc, "teams"), "\nteams");
        } else
            print_flat(doc, "");
        cJSON_Delete(doc);
    }
    strbuf_release(&sb);
    return 0;
}

/* ---- kesu import --denominator ------------------------------------------------------- */

int stats_import_denominator(struct cli *cli, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    struct store_orders_row *rows = NULL;
    char **keep = NULL;
    size_t n = 0, cap = 0, nkeep = 0;
    char line[1024];
    long lineno = 0;
    int bad = 0, rc = 0;
    struct store *s;
    struct kerr e;

    if (!f)
        return cli_fail(1, "import", "cannot open %s", path);
    while (fgets(line, sizeof line, f)) {
        char *fields[4] = {0}, *p = line, *save = NULL;
        int nf = 0;
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (lineno == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
            memmove(line, line + 3, strlen(line + 3) + 1);
        if (!*line || *line == '#')
            continue;
        for (char *tok = strtok_r(p, ",", &save); tok && nf < 4; tok = strtok_r(NULL, ",", &save))
            fields[nf++] = tok;
        if (lineno == 1 && strcmp(fields[0], "day") == 0)
            continue; /* header */
        int64_t ms;
        char *end;
        long long orders = nf >= 2 ? strtoll(fields[1], &end, 10) : -1;
        if (nf < 2 || clock_parse(fields[0], strlen(fields[0]), &ms) < 0) {
            fprintf(stderr, "%s:%ld: day: want YYYY-MM-DD,orders[,dimension,value]\n", path,
                    lineno);
            bad++;
            continue;
        }
        if (*end || orders < 0) {
            fprintf(stderr, "%s:%ld: orders: want a whole number >= 0\n", path, lineno);
            bad++;
            continue;
        }
        if (nf == 3 || (nf == 4 && !store_stats_dim_ok(fields[2]))) {
            fprintf(stderr, "%s:%ld: dimension: want a dimension and a value (channel, ...)\n",
                    path, lineno);
            bad++;
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            rows = xrealloc(rows, cap * sizeof(*rows));
            keep = xrealloc(keep, 2 * cap * sizeof(*keep));
        }
        rows[n].day = clock_local_day(ms, NULL);
        rows[n].orders = orders;
        rows[n].dim = nf == 4 ? (keep[nkeep++] = xstrdup(fields[2])) : "";
        rows[n].key = nf == 4 ? (keep[nkeep++] = xstrdup(fields[3])) : "";
        n++;
    }
    if (f != stdin)
        fclose(f);
    if (bad) {
        rc = cli_fail(3, "import", "%d bad line(s); nothing stored", bad);
        goto out;
    }
    if (cli_open_store(cli, &s) < 0) {
        rc = 1;
        goto out;
    }
    kerr_clear(&e);
    if (store_stats_orders_put(s, rows, n, &e) < 0)
        rc = cli_fail(1, "import", "%s", e.message);
    else
        printf("order counts: %zu day(s) stored\n", n);
    store_close(s);
out:
    for (size_t i = 0; i < nkeep; i++)
        free(keep[i]);
    free(keep);
    free(rows);
    return rc;
}
