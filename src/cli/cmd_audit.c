/*
 * cmd_audit.c: `kesu audit verify | list | export`: the tamper-evident audit
 * log (store/audit.c).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/jsonw.h"
#include "cli/commands.h"
#include "store/db.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: kesu audit verify [--expect-head HASH]\n"
                 "       kesu audit list [--after ID]\n"
                 "       kesu audit export [--after ID]      (JSON Lines, for a regulator)\n\n"
                 "verify walks the hash chain and names the first entry that was altered,\n"
                 "or before which entries were deleted, inserted or reordered; it prints the\n"
                 "head hash: keep it elsewhere, and --expect-head then also detects entries\n"
                 "removed from the end. Exit status 4 when the log has been tampered with.\n");
}

struct lister {
    bool json;
    FILE *out;
};

static int print_entry(void *arg, int64_t id, const struct store_audit *a, const char *hash)
{
    struct lister *l = arg;
    char ts[CLOCK_FMT_MAX];
    if (l->json) {
        struct strbuf sb = STRBUF_INIT;
        struct jsonw w;
        jsonw_init(&w, &sb);
        jsonw_obj(&w);
        jsonw_kint(&w, "id", id);
        jsonw_kstr(&w, "at", clock_format(a->at, ts));
        jsonw_kstr(&w, "actor", a->actor);
        jsonw_kstr(&w, "origin", a->origin);
        jsonw_kstr(&w, "action", a->action);
        jsonw_kstr(&w, "object", a->object);
        if (a->detail) {
            jsonw_key(&w, "detail");
            jsonw_raw(&w, a->detail, strlen(a->detail));
        }
        jsonw_kstr(&w, "hash", hash);
        jsonw_end(&w);
        fprintf(l->out, "%s\n", sb.buf);
        strbuf_release(&sb);
    } else {
        fprintf(l->out, "%6lld  %s  %-20s %-16s %-14s %s\n", (long long)id, clock_format(a->at, ts),
                a->actor, a->action, a->object ? a->object : "-", a->detail ? a->detail : "");
    }
    return ferror(l->out) ? 1 : 0;
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"expect-head", required_argument, NULL, 'e'},
                                             {"after", required_argument, NULL, 'a'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *expect = NULL, *what;
    long long after = 0;
    struct store *s;
    struct kerr e;
    int c, rc = 0;
    char *end;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            expect = optarg;
            break;
        case 'a':
            after = strtoll(optarg, &end, 10);
            if (*end || after < 0)
                return cli_fail(2, "audit", "--after wants an entry id");
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    what = argv[optind];
    if (strcmp(what, "verify") && strcmp(what, "list") && strcmp(what, "export")) {
        usage(stderr);
        return 2;
    }
    if (cli_open_store(cli, &s) < 0)
        return 1;
    kerr_clear(&e);
    if (strcmp(what, "verify") == 0) {
        struct store_audit_check chk;
        if (store_audit_verify(s, &chk, &e) < 0) {
            rc = cli_fail(1, "audit", "%s", e.message);
        } else if (chk.bad_id) {
            printf("TAMPERED: %s\n", chk.problem);
            rc = 4;
        } else if (expect && strcmp(expect, chk.head) != 0) {
            printf("TAMPERED: the chain is intact for %lld entries, but its head is %s, not the "
                   "expected %s: entries were removed from the end (or it is another log)\n",
                   (long long)chk.entries, chk.head, expect);
            rc = 4;
        } else {
            printf("ok: %lld entries, chain intact\nhead %s\n", (long long)chk.entries, chk.head);
        }
    } else {
        struct lister l = {strcmp(what, "export") == 0, stdout};
        if (store_audit_list(s, after, print_entry, &l, &e) < 0)
            rc = cli_fail(1, "audit", "%s", e.message);
        else if (fflush(stdout) != 0)
            rc = cli_fail(1, "audit", "writing the output failed");
    }
    store_close(s);
    return rc;
}
