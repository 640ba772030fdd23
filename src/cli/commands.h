/*
 * commands.h: the CLI's subcommands. Each lives in cmd_<name>.c and is one
 * row of the table in commands.c.
 *
 * How to add a subcommand:
 *   1. write `int cmd_<name>(struct cli *cli, int argc, char **argv)` in
 *      src/cli/cmd_<name>.c; argv[0] is the subcommand's name; handle --help;
 *   2. declare it below and add a row to commands[] in commands.c;
 *   3. document it in README.md ("CLI") and test it in tests/api/.
 * Exit codes: 0 success, 1 failure, 2 usage error, 3 done with rejected input.
 */
#ifndef KESU_COMMANDS_H
#define KESU_COMMANDS_H

#include <stdbool.h>

#include "base/error.h"

struct store;

/* Global options and settings every subcommand sees. */
struct cli {
    const char *data_dir; /* --data, default ./var */
    const char *conf_path;
};

struct command {
    const char *name;
    int (*fn)(struct cli *cli, int argc, char **argv);
    const char *summary;
};

extern const struct command commands[];

/* Opens the store in cli->data_dir, printing an error on failure. */
int cli_open_store(struct cli *cli, struct store **out);
/* Reads a setting: environment KESU_<NAME> first, then <data>/kesu.conf, else def. */
const char *cli_setting(struct cli *cli, const char *name, const char *def);
/*
 * Fills out with the n-byte secret DATA/keys/<name>, creating it (random,
 * mode 0600, directory 0700) when missing. Prints the reason and returns -1
 * on failure.
 */
int cli_secret(struct cli *cli, const char *name, unsigned char *out, size_t n);
/* Prints "kesu <cmd>: message" to stderr; returns code. */
int cli_fail(int code, const char *cmd, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Is standard error a terminal (for progress lines)? */
bool cli_progress_enabled(void);

/* Generates count demo records (seed) into the store; returns records stored or < 0. */
struct pipeline;
long demo_into_store(struct store *s, struct pipeline *p, long count, unsigned long long seed,
                     bool progress);
struct channels_conf;
/* The channel setup (setting `channels`, default DATA/channels.json). -1 after a message. */
int cli_load_channels(struct cli *cli, struct channels_conf **out);
/* The intake pipeline with the field-encryption keyring DATA/keys/field.key. -1 after a message. */
int cli_open_pipeline(struct cli *cli, struct pipeline **out);
/* Loads the text-analysis stages (dictionary, models, taxonomy) with the settings. */
struct nlp;
int cli_open_nlp(struct cli *cli, struct nlp **out);
/* The segmenter dictionary (setting seg_dict, compiled into DATA/cache); NULL after a message. */
struct segdict;
struct segdict *cli_open_segdict(struct cli *cli);
/* cli_open_store, plus kesu's segmenter on the store for its word index (records removed
 * from the search index leave it too); *dict is to be closed after store_close (NULL when
 * there is no dictionary). */
int cli_open_store_words(struct cli *cli, struct store **out, struct segdict **dict);
/* For a model trained with segmenter words: opens the dictionary into *dict and sets it. */
struct linear_model;
int cli_model_tokenizer(struct cli *cli, struct linear_model *m, struct segdict **dict);

int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_import(struct cli *cli, int argc, char **argv);
int cmd_export(struct cli *cli, int argc, char **argv);
int cmd_reclassify(struct cli *cli, int argc, char **argv);
int cmd_analyze(struct cli *cli, int argc, char **argv);
int cmd_idf(struct cli *cli, int argc, char **argv);
int cmd_clean(struct cli *cli, int argc, char **argv);
int cmd_train(struct cli *cli, int argc, char **argv);
int cmd_eval(struct cli *cli, int argc, char **argv);
int cmd_classify(struct cli *cli, int argc, char **argv);
int cmd_demo(struct cli *cli, int argc, char **argv);
int cmd_seg(struct cli *cli, int argc, char **argv);
int cmd_apikey(struct cli *cli, int argc, char **argv);
int cmd_user(struct cli *cli, int argc, char **argv);
int cmd_qr(struct cli *cli, int argc, char **argv);
int cmd_quality(struct cli *cli, int argc, char **argv);
int cmd_alerts(struct cli *cli, int argc, char **argv);
int cmd_capa(struct cli *cli, int argc, char **argv);
struct mailer_conf;
/* The outbox sender's settings (smtp_*, sms_webhook_*, outbox_*; cmd_capa.c), checked; off
 * when neither smtp_url nor sms_webhook_url is set. -1 after a message. */
int cli_mailer_conf(struct cli *cli, struct mailer_conf *c);
int cmd_reveal(struct cli *cli, int argc, char **argv);
int cmd_sla(struct cli *cli, int argc, char **argv);
int cmd_audit(struct cli *cli, int argc, char **argv);
int cmd_migrate(struct cli *cli, int argc, char **argv);
/* cmd_lifecycle.c */
int cmd_backup(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_erase(struct cli *cli, int argc, char **argv);
int cmd_retention(struct cli *cli, int argc, char **argv);
int cmd_archive(struct cli *cli, int argc, char **argv);
struct lifecycle_conf;
/* The retention file (setting `retention`, default DATA/retention.conf). -1 after a message. */
int cli_lifecycle_conf(struct cli *cli, struct lifecycle_conf *conf);
/* The retention file: the setting `retention`, else DATA/retention.conf (written into def). */
const char *cli_retention_path(struct cli *cli, char *def, size_t n);
int cmd_version(struct cli *cli, int argc, char **argv);
int cmd_help(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_report(struct cli *cli, int argc, char **argv);
/* Report delivery settings (cmd_report.c): smtp_url, smtp_from, smtp_username,
 * smtp_password, smtp_starttls, public_url (default base), reports_retry_base,
 * report_attach_max. Returns 0, or 2 after saying which setting is wrong. */
struct reportsend_opts;
int cli_reportsend_opts(struct cli *cli, const char *base, struct reportsend_opts *o);
/* kesu import --denominator FILE: CSV day,orders[,dimension,value] (cmd_stats.c). */
int stats_import_denominator(struct cli *cli, const char *path);

#define KESU_VERSION "0.1.0"

#endif
