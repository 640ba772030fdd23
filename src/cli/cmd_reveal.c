/*
 * cmd_reveal.c: `kesu reveal ID`: the unmasked personal data of one record,
 * opened from its sealed vault with the keyring in DATA/keys/field.key. For
 * an operator with access to the data directory (callbacks, legal requests);
 * each use is logged to DATA/kesu.log without the values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: kesu reveal ID\n\n"
               "Prints the personal data masked in record ID (text, title, phone, e-mail,\n"
               "name) as they arrived, from the sealed vault, as one JSON object. Each use\n"
               "is logged (without the values).\n");
        return 0;
    }
    if (argc != 2 || (id = strtoll(argv[1], &end, 10)) <= 0 || *end)
        return cli_fail(2, "reveal", "usage: kesu reveal ID (a record id)");
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
        printf("%s\n", out.buf);
        log_info("reveal: personal data of record %lld shown to the operator (%s)", id,
                 getenv("USER") ? getenv("USER") : "unknown user");
    }
    strbuf_release(&out);
    record_release(&r);
    pipeline_free(p);
    store_close(s);
    log_close();
    return rc;
}
