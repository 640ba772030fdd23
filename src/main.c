/*
 * main.c: global options and dispatch to a subcommand (see cli/commands.c).
 *
 *   kesu [--data DIR] [--config FILE] <command> [options]
 */
#include <locale.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "base/clock.h"
#include "cli/commands.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: kesu [--data DIR] [--config FILE] <command> [options]\n\n"
                 "kesu (客诉) collects customer complaints and feedback from every channel\n"
                 "into one store and closes the loop on them.\n\n"
                 "Commands:\n");
    for (const struct command *c = commands; c->name; c++)
        fprintf(out, "  %-9s %s\n", c->name, c->summary);
    fprintf(out, "\nGlobal options:\n"
                 "  --data DIR      database, keys and logs (default ./var; env KESU_DATA)\n"
                 "  --config FILE   settings file (default DIR/kesu.conf)\n\n"
                 "Run 'kesu <command> --help' for a command's options.\n");
}

int cmd_help(struct cli *cli, int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        argc = 1;
    if (argc > 1) {
        for (const struct command *c = commands; c->name; c++) {
            if (strcmp(c->name, argv[1]) == 0 && c->fn != cmd_help) {
                char *args[] = {argv[1], "--help", NULL};
                return c->fn(cli, 2, args);
            }
        }
        fprintf(stderr, "kesu help: no command '%s'\n", argv[1]);
        return 2;
    }
    usage(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    struct cli cli = {"var", NULL};
    const char *env = getenv("KESU_DATA");
    int i = 1;

    setlocale(LC_ALL, "C.UTF-8");
    if (env && *env)
        cli.data_dir = env;
    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            cli.data_dir = argv[i + 1];
            i += 2;
        } else if (strncmp(argv[i], "--data=", 7) == 0) {
            cli.data_dir = argv[i++] + 7;
        } else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            cli.conf_path = argv[i + 1];
            i += 2;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("kesu %s\n", KESU_VERSION);
            return 0;
        } else {
            fprintf(stderr, "kesu: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "kesu: libsodium failed to initialise\n");
        return 1;
    }
    if (clock_set_zone(cli_setting(&cli, "tz", "Asia/Shanghai")) < 0) {
        fprintf(stderr, "kesu: unknown time zone '%s' (setting tz)\n",
                cli_setting(&cli, "tz", "Asia/Shanghai"));
        return 2;
    }
    for (const struct command *c = commands; c->name; c++)
        if (strcmp(c->name, argv[i]) == 0)
            return c->fn(&cli, argc - i, argv + i);
    fprintf(stderr, "kesu: no command '%s'\n", argv[i]);
    usage(stderr);
    return 2;
}
