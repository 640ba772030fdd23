/*
 * cmd_lifecycle.c: the data lifecycle from the command line:
 *   kesu backup --out FILE            online, consistent (kesu serve may be running)
 *   kesu restore --from FILE [--force]
 *   kesu erase --customer ID --reason TEXT
 *   kesu retention run                the classes configured in DATA/retention.conf
 *   kesu archive --older-than 6m | get ID | export [--out FILE]
 * Each change is an entry in the audit log (actor operator:$USER).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/commands.h"
#include "text/segdict.h"
#include "lifecycle/bundle.h"
#include "lifecycle/lifecycle.h"
#include "store/db.h"
#include "base/banned.h"

static int is_help(int argc, char **argv)
{
    return argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
}

static void operator_actor(char *out, size_t n)
{
    snprintf(out, n, "operator:%.60s", getenv("USER") ? getenv("USER") : "?");
}

static void open_log(struct cli *cli)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/kesu.log", cli->data_dir);
    log_open(path);
}

int cmd_backup(struct cli *cli, int argc, char **argv)
{
    const char *out = NULL;
    struct store *s;
    struct bundle_info info;
    struct kerr e;
    int64_t t0 = clock_mono_us();
    if (is_help(argc, argv)) {
        printf("usage: kesu backup --out FILE\n\n"
               "Writes the database, the search index, the keyrings (DATA/keys) and the archive\n"
               "files into one file (zip with a manifest of SHA-256 checksums). Online: kesu\n"
               "serve may go on taking records; the copy is one consistent snapshot. Audited.\n");
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--out") == 0)
        out = argv[2];
    if (!out || !*out)
        return cli_fail(2, "backup", "usage: kesu backup --out FILE");
    if (cli_open_store(cli, &s) < 0)
        return 1;
    kerr_clear(&e);
    if (bundle_backup(s, out, &info, &e) < 0) {
        store_close(s);
        return cli_fail(1, "backup", "%s", e.message);
    }
    {
        char actor[96], detail[256];
        operator_actor(actor, sizeof actor);
        snprintf(detail, sizeof detail, "{\"files\":%d,\"bytes\":%lld}", info.files,
                 (long long)info.bytes);
        struct store_audit a = {0, actor, "cli", "backup.create", "backup", detail};
        if (store_audit(s, &a, &e) < 0)
            fprintf(stderr, "kesu backup: warning: cannot write the audit entry: %s\n", e.message);
    }
    store_close(s);
    printf("%s: %d files, %lld bytes before compression (%.1f s)\n", out, info.files,
           (long long)info.bytes, (double)(clock_mono_us() - t0) / 1e6);
    return 0;
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
    const char *from = NULL;
    bool force = false;
    struct bundle_info info;
    struct kerr e;
    if (is_help(argc, argv)) {
        printf("usage: kesu restore --from FILE [--force]\n\n"
               "Restores a backup made by kesu backup into the data directory, after checking\n"
               "every file against the backup's manifest. Refuses a data directory that is not\n"
               "empty unless --force (which replaces its database, search index, keys and\n"
               "archive). Stop kesu serve first.\n");
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--force") == 0)
            force = true;
        else
            return cli_fail(2, "restore", "unknown argument %s", argv[i]);
    }
    if (!from)
        return cli_fail(2, "restore", "usage: kesu restore --from FILE [--force]");
    kerr_clear(&e);
    if (bundle_restore(cli->data_dir, from, force, &info, &e) < 0)
        return cli_fail(1, "restore", "%s", e.message);
    {
        struct store *s;
        if (cli_open_store(cli, &s) == 0) {
            char actor[96];
            operator_actor(actor, sizeof actor);
            struct store_audit a = {0, actor, "cli", "backup.restore", "backup", NULL};
            store_audit(s, &a, &e);
            store_close(s);
        }
    }
    printf("restored %d files (%lld bytes) from %s into %s\n", info.files, (long long)info.bytes,
           from, cli->data_dir);
    return 0;
}

int cmd_erase(struct cli *cli, int argc, char **argv)
{
    const char *customer = NULL, *reason = NULL;
    struct segdict *dict;
    struct store *s;
    struct lifecycle_erase_result r;
    struct kerr e;
    char actor[96];
    if (is_help(argc, argv)) {
        printf("usage: kesu erase --customer ID --reason TEXT\n\n"
               "Erases a customer's personal data everywhere (PIPL): name, phone, e-mail, order\n"
               "number, title and text of their complaints, the sealed originals, their entries\n"
               "in the search index and in the archive files. Categories, channel, product,\n"
               "store, region, ratings, status and times stay for statistics. Audited.\n");
        return 0;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--customer") == 0 && i + 1 < argc)
            customer = argv[++i];
        else if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
            reason = argv[++i];
        else
            return cli_fail(2, "erase", "unknown argument %s", argv[i]);
    }
    if (!customer || !*customer || !reason || !*reason)
        return cli_fail(2, "erase", "usage: kesu erase --customer ID --reason TEXT");
    if (cli_open_store_words(cli, &s, &dict) < 0)
        return 1;
    open_log(cli);
    operator_actor(actor, sizeof actor);
    struct lifecycle_actor who = {actor, "cli"};
    kerr_clear(&e);
    int rc = lifecycle_erase_customer(s, customer, reason, &who, &r, &e);
    store_close(s);
    segdict_close(dict);
    log_close();
    if (rc < 0)
        return cli_fail(1, "erase", "%s", e.message);
    printf("erased the personal data of %lld records and %lld archived records\n",
           (long long)r.records, (long long)r.archived);
    return 0;
}

const char *cli_retention_path(struct cli *cli, char *def, size_t n)
{
    snprintf(def, n, "%s/retention.conf", cli->data_dir);
    return cli_setting(cli, "retention", def);
}

int cli_lifecycle_conf(struct cli *cli, struct lifecycle_conf *conf)
{
    char def[4200];
    struct kerr e;
    kerr_clear(&e);
    if (lifecycle_conf_load(cli_retention_path(cli, def, sizeof def), conf, &e) < 0) {
        fprintf(stderr, "kesu: %s\n", e.message);
        return -1;
    }
    return 0;
}

int cmd_retention(struct cli *cli, int argc, char **argv)
{
    struct lifecycle_conf conf;
    struct lifecycle_retention_result r;
    struct segdict *dict;
    struct store *s;
    struct kerr e;
    char actor[96];
    if (is_help(argc, argv) || argc != 2 || strcmp(argv[1], "run") != 0) {
        printf("usage: kesu retention run\n\n"
               "Applies the retention file (setting `retention`, default DATA/retention.conf):\n"
               "  closed_complaints = 3y   closed records deleted this long after closure\n"
               "  pii = 1y                 personal data erased this long after closure\n"
               "  audit = 7y               audit entries older than this removed\n"
               "  archive_after = 6m       closed records moved to the archive\n"
               "  every = 24h              how often kesu serve runs it\n"
               "Durations: N then d, w, m (30 days), y (365 days). Each step is audited.\n");
        return is_help(argc, argv) ? 0 : 2;
    }
    if (cli_lifecycle_conf(cli, &conf) < 0)
        return 1;
    if (!conf.closed_ms && !conf.pii_ms && !conf.audit_ms && !conf.archive_ms) {
        printf("no retention configured (see kesu retention --help)\n");
        return 0;
    }
    if (cli_open_store_words(cli, &s, &dict) < 0)
        return 1;
    open_log(cli);
    operator_actor(actor, sizeof actor);
    struct lifecycle_actor who = {actor, "cli"};
    kerr_clear(&e);
    int rc = lifecycle_retention_run(s, &conf, clock_now_ms(), &who, &r, &e);
    store_close(s);
    segdict_close(dict);
    log_close();
    if (rc < 0)
        return cli_fail(1, "retention", "%s", e.message);
    printf("personal data erased: %lld records (+%lld archived); deleted: %lld records (+%lld "
           "archived, %lld kept as still referenced); archived: %lld; audit entries removed: "
           "%lld\n",
           (long long)r.pii_erased, (long long)r.pii_erased_archived, (long long)r.deleted,
           (long long)r.deleted_archived, (long long)r.kept, (long long)r.archive.moved,
           (long long)r.audit_pruned);
    return 0;
}

static int print_json(void *arg, int64_t id, const char *json, size_t len)
{
    (void)id;
    fwrite(json, 1, len, arg);
    fputc('\n', arg);
    return 0;
}

int cmd_archive(struct cli *cli, int argc, char **argv)
{
    struct store *s;
    struct kerr e;
    int rc = 0;
    if (is_help(argc, argv) || argc < 2) {
        printf("usage: kesu archive --older-than DURATION   (e.g. 6m: closed over six months)\n"
               "       kesu archive get ID\n"
               "       kesu archive export [--out FILE]     (JSON Lines of archived records)\n\n"
               "Moves closed complaints to zstd-compressed archive files in DATA/archive with an\n"
               "index (id -> file, offset); they stay readable by id (GET /api/v1/feedback/ID)\n"
               "and exportable, and leave the hot database. Audited.\n");
        return is_help(argc, argv) ? 0 : 2;
    }
    kerr_clear(&e);
    if (strcmp(argv[1], "--older-than") == 0 && argc == 3) {
        int64_t ms = lifecycle_duration_ms(argv[2], false);
        struct lifecycle_archive_result r;
        char actor[96];
        if (ms < 0)
            return cli_fail(2, "archive",
                            "--older-than: \"%s\" is not a duration such as 6m, "
                            "90d or 1y",
                            argv[2]);
        struct segdict *dict;
        if (cli_open_store_words(cli, &s, &dict) < 0)
            return 1;
        open_log(cli);
        operator_actor(actor, sizeof actor);
        struct lifecycle_actor who = {actor, "cli"};
        rc = lifecycle_archive(s, clock_now_ms() - ms, &who, &r, &e);
        store_close(s);
        segdict_close(dict);
        log_close();
        if (rc < 0)
            return cli_fail(1, "archive", "%s", e.message);
        printf("archived %lld records%s%s (%lld kept: still referenced)\n", (long long)r.moved,
               r.moved ? " into " : "", r.moved ? r.file : "", (long long)r.kept);
        return 0;
    }
    if (strcmp(argv[1], "get") == 0 && argc == 3) {
        struct strbuf sb = STRBUF_INIT;
        char *end;
        long long id = strtoll(argv[2], &end, 10);
        if (id <= 0 || *end)
            return cli_fail(2, "archive", "get: %s is not a record id", argv[2]);
        if (cli_open_store(cli, &s) < 0)
            return 1;
        rc = lifecycle_archive_get(s, id, &sb, &e);
        store_close(s);
        if (rc < 0) {
            strbuf_release(&sb);
            return cli_fail(1, "archive", "%s", e.message);
        }
        printf("%s\n", sb.buf);
        strbuf_release(&sb);
        return 0;
    }
    if (strcmp(argv[1], "export") == 0 &&
        (argc == 2 || (argc == 4 && strcmp(argv[2], "--out") == 0))) {
        FILE *f = argc == 4 ? fopen(argv[3], "w") : stdout;
        if (!f)
            return cli_fail(1, "archive", "cannot write %s", argv[3]);
        if (cli_open_store(cli, &s) < 0) {
            if (f != stdout)
                fclose(f);
            return 1;
        }
        rc = lifecycle_archive_export(s, print_json, f, &e);
        store_close(s);
        if (f != stdout && fclose(f) != 0 && rc == 0)
            return cli_fail(1, "archive", "cannot write %s", argv[3]);
        return rc < 0 ? cli_fail(1, "archive", "%s", e.message) : 0;
    }
    return cli_fail(2, "archive",
                    "usage: kesu archive --older-than DURATION | get ID | export "
                    "[--out FILE]");
}
