/*
 * cmd_serve.c: `kesu serve`: opens the store, loads demo data into an empty
 * store when asked, makes a first API key, starts the background threads
 * and the HTTP server (and, with --watch-maildir, the Maildir watcher of
 * intake/mailwatch.h), and runs until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include <sodium.h>

#include "cli/commands.h"
#include "intake/channels.h"
#include "intake/pipeline.h"
#include "http/http.h"
#include "intake/mailwatch.h"
#include "loop/capa.h"
#include "secure/apikey.h"
#include "store/db.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu serve [--listen ADDR:PORT] [--threads N] [--max-body BYTES]\n"
            "                  [--demo-if-empty N] [--port-file FILE]\n"
            "                  [--watch-maildir DIR [--maildir-scan SEC]]\n\n"
            "Serves the API on ADDR:PORT (default 127.0.0.1:8080; port 0 picks a free one).\n"
            "  --listen ADDR:PORT   listen address (setting listen)\n"
            "  --threads N          HTTP worker threads (setting threads; default: CPUs)\n"
            "  --max-body BYTES     largest request body, else 413 (setting max_body; 4194304)\n"
            "  --demo-if-empty N    load N demo records when the store is empty\n"
            "  --port-file FILE     write the port actually used to FILE\n"
            "  --watch-maildir DIR  store new mail arriving in DIR/new, then move it to\n"
            "                       DIR/cur (setting watch_maildir)\n"
            "  --maildir-scan SEC   also rescan DIR/new every SEC seconds (default 10)\n"
            "Logs go to standard error and to DATA/kesu.log.\n");
}

static int parse_listen(const char *s, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(s, ':');
    char *end;
    long p;
    if (!colon || (size_t)(colon - s) >= hostlen)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535 || colon[1] == '\0')
        return -1;
    *port = (int)p;
    return 0;
}

static int count_one(void *arg, const char *channel, int64_t n)
{
    (void)channel;
    *(int64_t *)arg += n;
    return 0;
}

static int has_key(void *arg, const struct store_apikey *k)
{
    if (!k->revoked_at)
        *(bool *)arg = true;
    return 0;
}

/* On first start, makes an API key and keeps it in DATA/demo-api-key (mode 0600). */
static void first_key(struct cli *cli, struct store *s)
{
    char path[4096];
    bool any = false;
    char *key = NULL;
    int64_t id;
    struct kerr e;
    int fd;

    snprintf(path, sizeof(path), "%s/demo-api-key", cli->data_dir);
    if (access(path, F_OK) == 0) {
        printf("API key: in %s (send it as 'Authorization: Bearer <key>')\n", path);
        return;
    }
    store_apikey_list(s, has_key, &any);
    if (any) {
        printf("Authenticate with an API key: kesu --data %s apikey create NAME\n", cli->data_dir);
        return;
    }
    kerr_clear(&e);
    if (apikey_create(s, "demo", &key, &id, &e) < 0) {
        log_error("cannot create the first API key: %s", e.message);
        return;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd >= 0) {
        if (write(fd, key, strlen(key)) < 0 || write(fd, "\n", 1) < 0)
            log_warn("cannot write %s", path);
        close(fd);
    }
    printf("API key (created now, saved in %s):\n  %s\n", path, key);
    free(key);
}

/*
 * Survey rules and the CAPA scheduler from the settings survey_max_per_30d (2),
 * survey_expiry_hours (168), survey_followup_hours (24), public_url (this server),
 * capa_interval (seconds between reminder passes, 60) and action_remind_hours (48).
 */
static int capa_serve_start(struct cli *cli, struct store *s, const char *host, int port,
                            struct capa_sched **out)
{
    struct store_survey_conf sc = {0};
    const char *url = cli_setting(cli, "public_url", "");
    double interval = strtod(cli_setting(cli, "capa_interval", "60"), NULL);
    double remind = strtod(cli_setting(cli, "action_remind_hours", "48"), NULL);
    struct kerr e;

    sc.max_per_30d = (int)strtol(cli_setting(cli, "survey_max_per_30d", "2"), NULL, 10);
    sc.expiry_ms = (int64_t)(strtod(cli_setting(cli, "survey_expiry_hours", "168"), NULL) * 3.6e6);
    sc.followup_ms =
        (int64_t)(strtod(cli_setting(cli, "survey_followup_hours", "24"), NULL) * 3.6e6);
    if (sc.max_per_30d < 0 || sc.expiry_ms <= 0 || sc.followup_ms <= 0 || !(interval >= 0.1) ||
        !(remind >= 0))
        return cli_fail(2, "serve",
                        "survey_max_per_30d must be >= 0; survey_expiry_hours, "
                        "survey_followup_hours and capa_interval must be > 0");
    if (*url)
        snprintf(sc.base_url, sizeof sc.base_url, "%s", url);
    else
        snprintf(sc.base_url, sizeof sc.base_url, "http://%s:%d", host, port);
    while (*sc.base_url && sc.base_url[strlen(sc.base_url) - 1] == '/')
        sc.base_url[strlen(sc.base_url) - 1] = 0;
    store_set_survey(s, &sc);
    kerr_clear(&e);
    if (capa_sched_start(s, (int64_t)(interval * 1000), (int64_t)(remind * 3.6e6), out, &e) < 0)
        return cli_fail(1, "serve", "%s", e.message);
    return 0;
}

int cmd_serve(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
                                             {"threads", required_argument, NULL, 't'},
                                             {"max-body", required_argument, NULL, 'b'},
                                             {"demo-if-empty", required_argument, NULL, 'd'},
                                             {"port-file", required_argument, NULL, 'p'},
                                             {"watch-maildir", required_argument, NULL, 'w'},
                                             {"maildir-scan", required_argument, NULL, 's'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    char keyfile[4096];
    struct server_opts opts = {0};
    const char *listen = cli_setting(cli, "listen", "127.0.0.1:8080");
    const char *port_file = NULL;
    long demo = 0;
    char host[64], logpath[4096];
    struct store *s = NULL;
    struct server *srv = NULL;
    struct channels_conf *channels = NULL;
    struct pipeline *pipeline = NULL;
    struct mail_watch *watch = NULL;
    struct capa_sched *capa = NULL;
    struct mail_watch_opts wopts = {0};
    double scan_sec = 10;
    struct kerr e;
    sigset_t sigs;
    int c, sig, rc = 1;

    opts.threads = (int)strtol(cli_setting(cli, "threads", "0"), NULL, 10);
    opts.max_body = (size_t)strtoull(cli_setting(cli, "max_body", "4194304"), NULL, 10);
    opts.batch_max = 1000;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            listen = optarg;
            break;
        case 't':
            opts.threads = (int)strtol(optarg, NULL, 10);
            break;
        case 'b':
            opts.max_body = (size_t)strtoull(optarg, NULL, 10);
            break;
        case 'd':
            demo = strtol(optarg, NULL, 10);
            break;
        case 'p':
            port_file = optarg;
            break;
        case 'w':
            wopts.dir = optarg;
            break;
        case 's':
            scan_sec = strtod(optarg, NULL);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (parse_listen(listen, host, sizeof(host), &opts.port) < 0)
        return cli_fail(2, "serve", "--listen wants ADDR:PORT, e.g. 127.0.0.1:8080 (got \"%s\")",
                        listen);
    if (!wopts.dir && *cli_setting(cli, "watch_maildir", ""))
        wopts.dir = cli_setting(cli, "watch_maildir", "");
    if (!(scan_sec >= 0.1 && scan_sec <= 86400))
        return cli_fail(2, "serve", "--maildir-scan must lie between 0.1 and 86400 seconds");
    wopts.scan_interval_ms = (int)(scan_sec * 1000);
    if (opts.max_body < 1024)
        return cli_fail(2, "serve", "--max-body must be at least 1024");
    opts.host = host;

    if (cli_load_channels(cli, &channels) < 0)
        return 1;
    opts.channels = channels;
    if (cli_open_store(cli, &s) < 0) {
        channels_free(channels);
        return 1;
    }
    if (cli_secret(cli, "form.key", opts.form_key, sizeof opts.form_key) < 0 ||
        cli_open_pipeline(cli, &pipeline) < 0)
        goto out;
    opts.pipeline = pipeline;
    snprintf(logpath, sizeof(logpath), "%s/kesu.log", cli->data_dir);
    if (log_open(logpath) < 0)
        log_warn("cannot open %s: %s", logpath, strerror(errno));
    if (demo > 0) {
        int64_t n = 0;
        store_feedback_channel_counts(s, count_one, &n);
        if (n == 0) {
            log_info("store is empty: loading %ld demo records", demo);
            if (demo_into_store(s, pipeline, demo, 20261122, false) < 0)
                goto out;
        }
    }
    first_key(cli, s);

    /* signals are taken by sigwait below; threads created from here on inherit the mask */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    log_start_buffering();
    kerr_clear(&e);
    if (store_start(s, STORE_BG_ALL, &e) < 0 || server_start(&opts, s, &srv, &e) < 0) {
        cli_fail(1, "serve", "%s", e.message);
        goto out;
    }
    if (capa_serve_start(cli, s, host, server_port(srv), &capa) != 0)
        goto out;
    wopts.mail.pipeline = pipeline;
    wopts.mail.channels = channels;
    if (wopts.dir && mail_watch_start(s, &wopts, &watch, &e) < 0) {
        cli_fail(1, "serve", "--watch-maildir: %s", e.message);
        goto out;
    }
    if (port_file) {
        FILE *f = fopen(port_file, "w");
        if (f) {
            fprintf(f, "%d\n", server_port(srv));
            fclose(f);
        }
    }
    printf("kesu %s listening on http://%s:%d/  (API under /api/v1, health /healthz)\n",
           KESU_VERSION, host, server_port(srv));
    snprintf(keyfile, sizeof(keyfile), "%s/demo-api-key", cli->data_dir);
    if (access(keyfile, R_OK) == 0)
        printf("try:  curl -H \"Authorization: Bearer $(cat %s/demo-api-key)\" "
               "'http://%s:%d/api/v1/feedback?limit=3'\n",
               cli->data_dir, host, server_port(srv));
    fflush(stdout);
    log_info("listening on %s:%d", host, server_port(srv));
    sigwait(&sigs, &sig);
    log_info("signal %d: shutting down", sig);
    rc = 0;
out:
    mail_watch_stop(watch);
    capa_sched_stop(capa);
    server_stop(srv);
    store_close(s);
    channels_free(channels);
    pipeline_free(pipeline);
    sodium_memzero(opts.form_key, sizeof opts.form_key);
    log_close();
    return rc;
}
