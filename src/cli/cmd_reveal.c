/*
 * cmd_reveal.c: `kesu reveal ID`: the unmasked personal data of one record,
 * opened from its sealed vault with the keyring in DATA/keys/field.key. For
 * an operator with access to the data directory (callbacks, legal requests);
 * each use is logged to DATA/kesu.log without the values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonw.h"
#include "base/log.h"
#include "base/strbuf.h"
#include "cli/commands.h"
#include "intake/pipeline.h"
#include "store/db.h"
#include "base/banned.h"

int cmd_reveal(struct cli *cli, int argc, char **argv)
{
    struct store *s;
    struct pipeline *p;
    struct record r;
    struct strbuf out = STRBUF_INIT;
    struct kerr e;
    char *end, logpath[4200];
    long long id;
    int rc = 0;

    const char *reason = NULL;
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: kesu reveal --reason TEXT ID\n\n"
               "Prints the personal data masked in record ID (text, title, phone, e-mail,\n"
               "name) as they arrived, from the sealed vault, as one JSON object. Each use\n"
               "is an entry in the audit log, with the reason (never the values).\n");
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "--reason") == 0)
        reason = argv[2];
    if (!reason || !*reason || (id = strtoll(argv[3], &end, 10)) <= 0 || *end)
        return cli_fail(2, "reveal", "usage: kesu reveal --reason TEXT ID (a record id)");
    if (cli_open_store(cli, &s) < 0)
        return 1;
    if (cli_open_pipeline(cli, &p) < 0) {
        store_close(s);
        return 1;
    }
    snprintf(logpath, sizeof logpath, "%s/kesu.log", cli->data_dir);
    log_open(logpath);
    record_init(&r);
    kerr_clear(&e);
    if (store_feedback_get(s, id, &r, &e) < 0)
        rc = cli_fail(1, "reveal", "%s", e.message);
    else if (pipeline_reveal(p, &r, &out, &e) < 0)
        rc = cli_fail(1, "reveal", "record %lld: %s", id, e.message);
    else {
        /* the audit entry first: nothing is shown that is not on record */
        char object[40], actor[96];
        struct strbuf detail = STRBUF_INIT;
        struct jsonw w;
        snprintf(object, sizeof object, "feedback:%lld", id);
        snprintf(actor, sizeof actor, "operator:%.60s", getenv("USER") ? getenv("USER") : "?");
        jsonw_init(&w, &detail);
        jsonw_obj(&w);
        jsonw_kstr(&w, "reason", reason);
        jsonw_end(&w);
        struct store_audit a = {0, actor, "cli", "pii.reveal", object, detail.buf};
        if (store_audit(s, &a, &e) < 0) {
            rc = cli_fail(1, "reveal", "cannot write the audit entry: %s", e.message);
        } else {
            printf("%s\n", out.buf);
            log_info("reveal: personal data of record %lld shown to %s (audited)", id, actor);
        }
        strbuf_release(&detail);
    }
    strbuf_release(&out);
    record_release(&r);
    pipeline_free(p);
    store_close(s);
    log_close();
    return rc;
}
