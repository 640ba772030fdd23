/*
 * commands.c: the subcommand table and what subcommands share: opening the
 * store, reading settings, reporting errors. See commands.h for how to add one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "base/xmalloc.h"
#include "cli/commands.h"
#include "intake/channels.h"
#include "intake/pipeline.h"
#include "store/db.h"
#include "base/banned.h"

const struct command commands[] = {
    {"serve", cmd_serve, "run the HTTP server (API, metrics)"},
    {"import", cmd_import, "import records from JSONL or CSV files"},
    {"export", cmd_export, "export records as JSONL or CSV, with filters"},
    {"clean", cmd_clean, "clean texts from stdin: normalise, simplify, mask PII, SimHash"},
    {"train", cmd_train, "train a text classifier (sentiment, categories) from labelled data"},
    {"eval", cmd_eval, "score a text classifier on labelled data (accuracy, F1, confusion)"},
    {"classify", cmd_classify, "classify texts from stdin with a trained model (JSON lines)"},
    {"demo", cmd_demo, "generate realistic demo complaints (into the store or a file)"},
    {"seg", cmd_seg, "cut Chinese text into words (jieba-compatible)"},
    {"apikey", cmd_apikey, "create, list and revoke API keys"},
    {"user", cmd_user, "add, list and change users (password, role, disable)"},
    {"qr", cmd_qr, "QR code (SVG or PNG) for a feedback-form link"},
    {"audit", cmd_audit, "verify, list or export the tamper-evident audit log"},
    {"reveal", cmd_reveal, "show the unmasked personal data of one record (logged)"},
    {"quality", cmd_quality, "data-quality report of intake per channel and period"},
    {"migrate", cmd_migrate, "apply database migrations and show the schema version"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "show help for kesu or a command"},
    {NULL, NULL, NULL},
};

int cli_fail(int code, const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "kesu %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_open_store(struct cli *cli, struct store **out)
{
    struct kerr e;
    kerr_clear(&e);
    if (store_open(cli->data_dir, out, &e) < 0) {
        fprintf(stderr, "kesu: cannot open the store in %s: %s\n", cli->data_dir, e.message);
        return -1;
    }
    return 0;
}

/* Looks name up in <data>/kesu.conf ("name = value" lines, # comments). */
static char *conf_lookup(struct cli *cli, const char *name)
{
    char path[4096], line[1024];
    FILE *f;
    char *found = NULL;
    size_t n = strlen(name);

    snprintf(path, sizeof(path), "%s/kesu.conf", cli->data_dir);
    if (!(f = fopen(cli->conf_path ? cli->conf_path : path, "r")))
        return NULL;
    while (fgets(line, sizeof(line), f)) {
        char *p = line, *v;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || strncmp(p, name, n) != 0)
            continue;
        v = p + n;
        while (*v == ' ' || *v == '\t')
            v++;
        if (*v++ != '=')
            continue;
        while (*v == ' ' || *v == '\t')
            v++;
        v[strcspn(v, "\r\n")] = '\0';
        for (size_t k = strlen(v); k > 0 && (v[k - 1] == ' ' || v[k - 1] == '\t'); k--)
            v[k - 1] = '\0';
        free(found);
        found = xstrdup(v);
    }
    fclose(f);
    return found;
}

const char *cli_setting(struct cli *cli, const char *name, const char *def)
{
    /* Settings are read a handful of times at start-up; file values are kept for the process. */
    static struct {
        char name[32];
        char *value;
    } kept[32];
    static int nkept;
    char env[96];
    const char *v;

    snprintf(env, sizeof(env), "KESU_%s", name);
    for (char *p = env; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    if ((v = getenv(env)) && *v)
        return v;
    for (int i = 0; i < nkept; i++)
        if (strcmp(kept[i].name, name) == 0)
            return kept[i].value ? kept[i].value : def;
    if (nkept == 32 || strlen(name) >= sizeof(kept[0].name))
        return def;
    snprintf(kept[nkept].name, sizeof(kept[0].name), "%s", name);
    kept[nkept].value = conf_lookup(cli, name);
    return kept[nkept++].value ? kept[nkept - 1].value : def;
}

bool cli_progress_enabled(void)
{
    return isatty(2) == 1;
}

int cmd_version(struct cli *cli, int argc, char **argv)
{
    (void)cli;
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("usage: kesu version\n\nPrints the version of kesu.\n");
        return 0;
    }
    printf("kesu %s\n", KESU_VERSION);
    return 0;
}

int cli_load_channels(struct cli *cli, struct channels_conf **out)
{
    char path[4096];
    const char *set = cli_setting(cli, "channels", NULL);
    struct kerr e;
    if (!set) {
        snprintf(path, sizeof path, "%s/channels.json", cli->data_dir);
        set = path;
    }
    kerr_clear(&e);
    if (channels_load(set, out, &e) < 0)
        return cli_fail(-1, "channels", "%s", e.message);
    return 0;
}

int cli_open_pipeline(struct cli *cli, struct pipeline **out)
{
    char dir[4096], path[4200];
    struct kerr e;
    snprintf(dir, sizeof dir, "%s/keys", cli->data_dir);
    snprintf(path, sizeof path, "%s/field.key", dir);
    if (mkdir(cli->data_dir, 0750) < 0 && errno != EEXIST)
        return cli_fail(-1, "keys", "cannot create %s: %s", cli->data_dir, strerror(errno));
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return cli_fail(-1, "keys", "cannot create %s: %s", dir, strerror(errno));
    kerr_clear(&e);
    if (pipeline_open(path, out, &e) < 0)
        return cli_fail(-1, "pipeline", "%s", e.message);
    return 0;
}

int cli_secret(struct cli *cli, const char *name, unsigned char *out, size_t n)
{
    char dir[4096], path[4200];
    ssize_t got;
    int fd;

    snprintf(dir, sizeof dir, "%s/keys", cli->data_dir);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return cli_fail(-1, "keys", "cannot create %s: %s", dir, strerror(errno));
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        unsigned char fresh[64];
        if (n > sizeof fresh)
            return cli_fail(-1, "keys", "secret %s is too long", name);
        randombytes_buf(fresh, n);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            bool ok = write(fd, fresh, n) == (ssize_t)n && fsync(fd) == 0;
            close(fd);
            sodium_memzero(fresh, sizeof fresh);
            if (!ok)
                return cli_fail(-1, "keys", "cannot write %s: %s", path, strerror(errno));
        }
        fd = open(path, O_RDONLY | O_CLOEXEC); /* whoever created it, read what is there */
    }
    if (fd < 0)
        return cli_fail(-1, "keys", "cannot open %s: %s", path, strerror(errno));
    got = read(fd, out, n);
    close(fd);
    if (got != (ssize_t)n)
        return cli_fail(-1, "keys", "%s is damaged (expected %zu bytes)", path, n);
    return 0;
}
