/* cmd_migrate.c: `kesu migrate`: applies pending migrations (opening the store does) and reports.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "store/db.h"
#include "base/banned.h"

int cmd_migrate(struct cli *cli, int argc, char **argv)
{
    struct store *s;
    int applied, known;

    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("usage: kesu migrate\n\nCreates the database in DATA when missing and applies\n"
               "the numbered schema migrations this binary carries; prints the version.\n"
               "(kesu serve and every other command also migrate on start.)\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: kesu migrate\n");
        return 2;
    }
    if (cli_open_store(cli, &s) < 0)
        return 1;
    store_schema_version(s, &applied, &known);
    printf("schema version %d (this binary knows %d) in %s\n", applied, known, cli->data_dir);
    store_close(s);
    return 0;
}
