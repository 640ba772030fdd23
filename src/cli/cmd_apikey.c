/* cmd_apikey.c: `kesu apikey create NAME [--scope S] [--expires DAYS] | list | revoke ID`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cli/commands.h"
#include "secure/apikey.h"
#include "store/db.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu apikey create NAME [--scope SCOPES] [--expires DAYS]\n"
            "                                 make a key; the key alone is the last line.\n"
            "                                 SCOPES: \"*\" (every permission, the default),\n"
            "                                 role:NAME, or permissions (feedback:create,...)\n"
            "       kesu apikey list          keys (prefix only; keys are stored hashed)\n"
            "       kesu apikey revoke ID     stop a key (effective within %d s)\n",
            APIKEY_CACHE_MS / 1000);
}

static int print_key(void *arg, const struct store_apikey *k)
{
    char ts[CLOCK_FMT_MAX];
    char ex[CLOCK_FMT_MAX];
    (void)arg;
    printf("%-4lld %-20s %-14s %s  %s%s%s%s\n", (long long)k->id, k->name, k->prefix,
           clock_format(k->created_at, ts), k->scopes ? k->scopes : "*",
           k->expires_at ? "  expires " : "", k->expires_at ? clock_format(k->expires_at, ex) : "",
           k->revoked_at ? "  revoked" : "");
    return 0;
}

int cmd_apikey(struct cli *cli, int argc, char **argv)
{
    struct store *s;
    struct kerr e;
    int rc = 0;

    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "create") && strcmp(argv[1], "list") && strcmp(argv[1], "revoke")) {
        usage(stderr);
        return 2;
    }
    const char *scopes = "*";
    int64_t expires = 0;
    if (strcmp(argv[1], "create") == 0 && argc >= 3) {
        for (int i = 3; i < argc; i++) {
            char *end;
            if (strcmp(argv[i], "--scope") == 0 && i + 1 < argc) {
                scopes = argv[++i];
            } else if (strcmp(argv[i], "--expires") == 0 && i + 1 < argc) {
                double days = strtod(argv[++i], &end);
                if (*end || !(days > 0 && days <= 36500))
                    return cli_fail(2, "apikey", "--expires wants days (0 < DAYS <= 36500)");
                expires = clock_now_ms() + (int64_t)(days * 86400000.0);
            } else {
                usage(stderr);
                return 2;
            }
        }
    } else if ((strcmp(argv[1], "list") != 0 && argc != 3) ||
               (strcmp(argv[1], "list") == 0 && argc != 2)) {
        usage(stderr);
        return 2;
    }
    if (cli_open_store(cli, &s) < 0)
        return 1;
    kerr_clear(&e);
    if (strcmp(argv[1], "create") == 0) {
        char *key;
        int64_t id;
        if (apikey_create(s, argv[2], scopes, expires, &key, &id, &e) < 0) {
            rc = cli_fail(1, "apikey", "%s: %s", e.field, e.message);
        } else {
            printf("created API key %lld \"%s\" (scopes %s); it is shown only now:\n%s\n",
                   (long long)id, argv[2], scopes, key);
            free(key);
        }
    } else if (strcmp(argv[1], "list") == 0) {
        printf("%-4s %-20s %-14s %-25s  %s\n", "ID", "NAME", "PREFIX", "CREATED", "SCOPES");
        store_apikey_list(s, print_key, NULL);
    } else {
        char *end;
        long long id = strtoll(argv[2], &end, 10);
        if (*end || id <= 0)
            rc = cli_fail(2, "apikey", "revoke wants a numeric key id (see kesu apikey list)");
        else if (store_apikey_revoke(s, id, &e) < 0)
            rc = cli_fail(1, "apikey", "%s", e.message);
        else
            printf("revoked API key %lld\n", id);
    }
    store_close(s);
    return rc;
}
