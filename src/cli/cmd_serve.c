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
#include "lifecycle/lifecycle.h"
#include "intake/channels.h"
#include "intake/nlp.h"
#include "intake/pipeline.h"
#include "http/http.h"
#include "insight/reportsend.h"
#include "insight/schedule.h"
#include "intake/mailwatch.h"
#include "loop/sla_sched.h"
#include "store/loop.h"
#include "loop/capa.h"
#include "loop/mailer.h"
#include "secure/apikey.h"
#include "secure/auth.h"
#include "insight/alerts.h"
#include "secure/fieldcrypt.h"
#include "store/db.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu serve [--listen ADDR:PORT] [--threads N] [--max-body BYTES]\n"
            "                  [--demo-if-empty N] [--port-file FILE]\n"
            "                  [--watch-maildir DIR [--maildir-scan SEC]] [--sla-interval SEC]\n\n"
            "Serves the API on ADDR:PORT (default 127.0.0.1:8080; port 0 picks a free one).\n"
            "  --listen ADDR:PORT   listen address (setting listen)\n"
            "  --threads N          HTTP worker threads (setting threads; default: CPUs)\n"
            "  --max-body BYTES     largest request body, else 413 (setting max_body; 4194304)\n"
            "  --demo-if-empty N    load N demo records when the store is empty\n"
            "  --port-file FILE     write the port actually used to FILE\n"
            "  --watch-maildir DIR  store new mail arriving in DIR/new, then move it to\n"
            "                       DIR/cur (setting watch_maildir)\n"
            "  --maildir-scan SEC   also rescan DIR/new every SEC seconds (default 10)\n"
            "  --tls-cert FILE --tls-key FILE   serve HTTPS with this certificate and key (PEM;\n"
            "                       settings tls_cert, tls_key)\n"
            "  --trusted-proxies A,B  believe X-Forwarded-For only from these addresses\n"
            "  --rate-key N         requests per minute per API key or user (0 = off, default)\n"
            "  --rate-addr N        requests per minute per client address (default 6000,\n"
            "                       loopback exempt unless set)\n"
            "  --rate-login N       sign-in attempts per minute per address (default 30,\n"
            "                       loopback exempt unless set)\n"
            "  --conn-timeout SEC   close connections idle or slow this long (default 30)\n"
            "  --max-header BYTES   request line and headers, else 431 (default 16384)\n"
            "  --sla-interval SEC   run the SLA scheduler every SEC seconds (setting\n"
            "                       sla_interval; default 30; 0 turns it off)\n"
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

#define DEMO_PASSWORD "kesu-demo"

/* The demo organisation (teams, members, users with password kesu-demo), INSERT OR IGNORE. */
static int seed_demo_org(struct store *s)
{
    char hash[AUTH_HASH_MAX];
    struct kerr e;
    int added = 0;
    kerr_clear(&e);
    /* one Argon2id hash for every demo user: they share the demo password anyway */
    if (auth_hash_password(DEMO_PASSWORD, hash, &e) < 0 ||
        store_org_seed_demo(s, hash, &added, &e) < 0) {
        log_error("cannot seed the demo users: %s", e.message);
        return -1;
    }
    if (added > 0)
        printf("Demo users (password %s): admin, supervisor, agent, agent2, quality1, product1,\n"
               "  logistics1, store1 (agents), analyst, manager, auditor. Sign in at POST "
               "/api/v1/auth/login.\n",
               DEMO_PASSWORD);
    return 0;
}

/* A PEM file (certificate or key), at most 1 MB, as text. -1 after a message. */
static int read_pem(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    char *buf;
    if (!f)
        return cli_fail(-1, "serve", "cannot open %s: %s", path, strerror(errno));
    buf = malloc(1 << 20);
    if (!buf) {
        fclose(f);
        return cli_fail(-1, "serve", "out of memory");
    }
    n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (n == 0 || !strstr(buf, "-----BEGIN ")) {
        free(buf);
        return cli_fail(-1, "serve", "%s is not a PEM file", path);
    }
    *out = buf;
    return 0;
}

/* Rate limits, timeouts and header size from flags and settings. -1 after a message. */
static int hardening_opts(struct server_opts *o, const char *rate_key, const char *rate_addr,
                          const char *conn_timeout, const char *max_header)
{
    char *end;
    long v;
    v = strtol(rate_key, &end, 10);
    if (*end || v < 0 || v > 100000000)
        return cli_fail(-1, "serve", "--rate-key wants requests per minute (0 = off)");
    o->rate_key = (int)v;
    /* unset: a generous limit for remote clients; loopback (benchmarks, a local proxy) free */
    o->rate_addr = 6000;
    o->rate_loopback = false;
    if (rate_addr) {
        v = strtol(rate_addr, &end, 10);
        if (*end || v < 0 || v > 100000000)
            return cli_fail(-1, "serve", "--rate-addr wants requests per minute (0 = off)");
        o->rate_addr = (int)v;
        o->rate_loopback = true;
    }
    v = strtol(conn_timeout, &end, 10);
    if (*end || v < 1 || v > 3600)
        return cli_fail(-1, "serve", "--conn-timeout wants 1 to 3600 seconds");
    o->conn_timeout = (unsigned)v;
    v = strtol(max_header, &end, 10);
    if (*end || v < 4096 || v > 1048576)
        return cli_fail(-1, "serve", "--max-header wants 4096 to 1048576 bytes");
    o->max_header = (size_t)v;
    return 0;
}

/* Sign-in attempts per minute per address: 30 unless set (then loopback counts too). */
static int login_limit(struct server_opts *o, const char *v)
{
    char *end;
    long n;
    o->rate_login = 30;
    o->login_loopback = false;
    if (!v)
        return 0;
    n = strtol(v, &end, 10);
    if (*end || n < 0 || n > 1000000)
        return cli_fail(-1, "serve", "--rate-login wants attempts per minute (0 = off)");
    o->rate_login = (int)n;
    o->login_loopback = true;
    return 0;
}

/* Session and lockout settings (minutes and counts; see README "Users, roles and security"). */
static int auth_settings(struct cli *cli)
{
    struct auth_config c = auth_config;
    double idle = strtod(cli_setting(cli, "session_idle_minutes", "30"), NULL);
    double max = strtod(cli_setting(cli, "session_max_hours", "12"), NULL);
    long lock = strtol(cli_setting(cli, "login_lock_after", "5"), NULL, 10);
    if (!(idle >= 0.01 && idle <= 10080) || !(max >= 0.0001 && max <= 720) || lock < 1 ||
        lock > 1000)
        return cli_fail(-1, "serve",
                        "session_idle_minutes (0.01..10080), session_max_hours (0.0001..720) or "
                        "login_lock_after (1..1000) is out of range");
    c.idle_ms = (int64_t)(idle * 60000);
    c.absolute_ms = (int64_t)(max * 3600000);
    /* last_seen is written at most once a minute, and often enough for short idle limits */
    c.touch_ms = c.idle_ms / 4 < 60000 ? c.idle_ms / 4 : 60000;
    c.lock_after = (int)lock;
    auth_configure(&c);
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
    if (apikey_create(s, "demo", "*", 0, &key, &id, &e) < 0) {
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

/* Seconds from a setting, as milliseconds; -1 when it is not a number in [lo, hi]. */
static int64_t setting_ms(struct cli *cli, const char *name, const char *def, double lo, double hi)
{
    char *end;
    const char *v = cli_setting(cli, name, def);
    double x = strtod(v, &end);
    if (*end || !(x >= lo && x <= hi)) {
        cli_fail(2, "serve", "setting %s must be seconds between %g and %g (got \"%s\")", name, lo,
                 hi, v);
        return -1;
    }
    return (int64_t)(x * 1000);
}

/* The alert evaluator and sender (settings alerts_interval, alerts_fast, alerts_retry_base);
 * receivers' secrets are sealed with the field keyring, *fc (the caller frees it). */
static int start_alerts(struct cli *cli, struct store *s, const char *host, int port,
                        struct alerts_daemon **out, struct fieldcrypt **fc)
{
    struct alerts_opts ao;
    char base[128], path[4200];
    struct kerr e;
    alerts_opts_default(&ao);
    snprintf(path, sizeof path, "%s/keys/field.key", cli->data_dir);
    kerr_clear(&e);
    if (fieldcrypt_open(path, fc, &e) < 0)
        return cli_fail(-1, "serve", "alerts: %s", e.message);
    alerts_set_keyring(*fc);
    if ((ao.interval_ms = setting_ms(cli, "alerts_interval", "60", 0.1, 86400)) < 0 ||
        (ao.fast_ms = setting_ms(cli, "alerts_fast", "2", 0.05, 3600)) < 0 ||
        (ao.retry_base_ms = setting_ms(cli, "alerts_retry_base", "30", 0.01, 86400)) < 0)
        return -1;
    snprintf(base, sizeof base, "http://%s:%d", host, port);
    ao.base_url = cli_setting(cli, "public_url", base);
    kerr_clear(&e);
    if (alerts_start(s, &ao, out, &e) < 0)
        return cli_fail(-1, "serve", "alerts: %s", e.message);
    return 0;
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

/* kesu's own outbox sender, when smtp_url or sms_webhook_url is set (cli_mailer_conf). */
static int start_mailer(struct cli *cli, struct store *s, struct pipeline *p, struct mailer **out)
{
    struct mailer_conf mc;
    struct kerr e;
    if (cli_mailer_conf(cli, &mc) < 0)
        return -1;
    if (!mailer_on(&mc)) {
        log_info("outbox sender off (no smtp_url or sms_webhook_url): an external mailer "
                 "delivers the outbox");
        mailer_conf_release(&mc);
        return 0;
    }
    kerr_clear(&e);
    log_info("outbox sender on:%s%s", mc.smtp_url ? " e-mail" : "", mc.sms_url ? " SMS" : "");
    if (mailer_start(s, p, &mc, out, &e) < 0) {
        mailer_conf_release(&mc);
        return cli_fail(-1, "serve", "%s", e.message);
    }
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
                                             {"tls-cert", required_argument, NULL, 'C'},
                                             {"tls-key", required_argument, NULL, 'K'},
                                             {"trusted-proxies", required_argument, NULL, 'P'},
                                             {"rate-key", required_argument, NULL, 'R'},
                                             {"rate-addr", required_argument, NULL, 'A'},
                                             {"conn-timeout", required_argument, NULL, 'T'},
                                             {"max-header", required_argument, NULL, 'H'},
                                             {"rate-login", required_argument, NULL, 'L'},
                                             {"sla-interval", required_argument, NULL, 'S'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    char keyfile[4096], reports_dir[4096];
    struct scheduler *reports = NULL;
    struct reportsend *rsend = NULL;
    struct reportsend_opts ropts;
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
    struct lifecycle_sched *lsched = NULL;
    struct alerts_daemon *alerts = NULL;
    struct fieldcrypt *alert_keys = NULL;
    struct capa_sched *capa = NULL;
    struct mailer *mailer = NULL;
    struct mail_watch_opts wopts = {0};
    double scan_sec = 10;
    const char *tls_cert = cli_setting(cli, "tls_cert", NULL);
    const char *tls_key = cli_setting(cli, "tls_key", NULL);
    const char *rate_key = cli_setting(cli, "rate_limit_key", "0");
    const char *rate_addr = cli_setting(cli, "rate_limit_addr", NULL);
    const char *conn_timeout = cli_setting(cli, "conn_timeout", "30");
    const char *max_header = cli_setting(cli, "max_header", "16384");
    const char *rate_login = cli_setting(cli, "rate_limit_login", NULL);
    char *cert_pem = NULL, *key_pem = NULL;
    double sla_sec = strtod(cli_setting(cli, "sla_interval", "30"), NULL);
    struct sla_sched *sla = NULL;
    struct kerr e;
    sigset_t sigs;
    int c, sig, rc = 1;

    opts.threads = (int)strtol(cli_setting(cli, "threads", "0"), NULL, 10);
    opts.max_body = (size_t)strtoull(cli_setting(cli, "max_body", "4194304"), NULL, 10);
    opts.batch_max = 1000;
    snprintf(reports_dir, sizeof reports_dir, "%s/reports", cli->data_dir);
    opts.reports_dir = reports_dir;
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
        case 'C':
            tls_cert = optarg;
            break;
        case 'K':
            tls_key = optarg;
            break;
        case 'P':
            opts.trusted_proxies = optarg;
            break;
        case 'R':
            rate_key = optarg;
            break;
        case 'A':
            rate_addr = optarg;
            break;
        case 'T':
            conn_timeout = optarg;
            break;
        case 'H':
            max_header = optarg;
            break;
        case 'L':
            rate_login = optarg;
            break;
        case 'S':
            sla_sec = strtod(optarg, NULL);
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
    if (!(sla_sec == 0 || (sla_sec >= 0.1 && sla_sec <= 86400)))
        return cli_fail(2, "serve", "--sla-interval must be 0 (off) or 0.1 to 86400 seconds");
    if (opts.max_body < 1024)
        return cli_fail(2, "serve", "--max-body must be at least 1024");
    opts.host = host;
    if (cli_reportsend_opts(cli, "", &ropts) != 0)
        return 2;
    opts.report_mail = ropts.smtp_url != NULL;
    opts.trusted_proxies =
        opts.trusted_proxies ? opts.trusted_proxies : cli_setting(cli, "trusted_proxies", NULL);
    if (hardening_opts(&opts, rate_key, rate_addr, conn_timeout, max_header) < 0 ||
        login_limit(&opts, rate_login) < 0)
        return 2;
    if (!tls_cert != !tls_key)
        return cli_fail(2, "serve", "TLS needs both --tls-cert and --tls-key");
    if (tls_cert && (read_pem(tls_cert, &cert_pem) < 0 || read_pem(tls_key, &key_pem) < 0)) {
        free(cert_pem);
        return 1;
    }
    opts.tls_cert_pem = cert_pem;
    opts.tls_key_pem = key_pem;

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
    kerr_clear(&e);
    if (pipeline_nlp(pipeline) &&
        store_set_segdict(s, nlp_segdict(pipeline_nlp(pipeline)), &e) < 0) { /* word search */
        cli_fail(1, "serve", "%s", e.message);
        goto out;
    }
    snprintf(logpath, sizeof(logpath), "%s/kesu.log", cli->data_dir);
    if (log_open(logpath) < 0)
        log_warn("cannot open %s: %s", logpath, strerror(errno));
    if (demo > 0 && store_loop_seed_demo(s, &e) < 0) {
        cli_fail(1, "serve", "demo organisation: %s", e.message);
        goto out;
    }
    if (demo > 0) {
        int64_t n = 0;
        store_feedback_channel_counts(s, count_one, &n);
        if (n == 0) {
            log_info("store is empty: loading %ld demo records", demo);
            if (demo_into_store(s, pipeline, demo, 20261122, false) < 0)
                goto out;
        }
        if (alerts_seed_rules(s, &e) < 0)
            log_warn("demo alert rules: %s", e.message);
    }
    if (demo > 0 && seed_demo_org(s) < 0)
        goto out;
    if (auth_settings(cli) < 0)
        goto out;
    first_key(cli, s);

    /* signals are taken by sigwait below; threads created from here on inherit the mask */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    log_start_buffering();
    kerr_clear(&e);
    if (store_start(s, STORE_BG_ALL, &e) < 0) {
        cli_fail(1, "serve", "%s", e.message);
        goto out;
    }
    {
        /* the stats cube: lazily on the first stats query, at start, or never */
        const char *cube = cli_setting(cli, "stats_cube", "lazy");
        int mode = store_cube_mode_parse(cube);
        if (mode < 0) {
            cli_fail(2, "serve", "setting stats_cube is lazy, start or off (got \"%s\")", cube);
            goto out;
        }
        store_cube_configure(s, (enum store_cube_mode)mode);
    }
    {
        /* retention and archive on a schedule (DATA/retention.conf `every`); the API reads and
         * changes the settings through it (GET/PUT /api/v1/retention) */
        char def[4200];
        if (lifecycle_sched_start(s, cli_retention_path(cli, def, sizeof def), &lsched, &e) < 0) {
            cli_fail(1, "serve", "cannot start the retention schedule: %s", e.message);
            goto out;
        }
        opts.lifecycle = lsched;
    }
    if (server_start(&opts, s, &srv, &e) < 0) {
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
    if (sla_sec > 0 && sla_sched_start(s, (int)(sla_sec * 1000), &sla, &e) < 0) {
        cli_fail(1, "serve", "%s", e.message);
        goto out;
    }
    if (scheduler_start(s, reports_dir, &reports, &e) < 0) {
        cli_fail(1, "serve", "%s", e.message);
        goto out;
    }
    if (start_alerts(cli, s, host, server_port(srv), &alerts, &alert_keys) < 0)
        goto out;
    {
        /* the reports' deliveries (receivers' secrets open with the alerts' keyring) */
        char base[128];
        snprintf(base, sizeof base, "http://%s:%d", host, server_port(srv));
        ropts.base_url = cli_setting(cli, "public_url", base);
        if (reportsend_start(s, &ropts, &rsend, &e) < 0) {
            cli_fail(1, "serve", "report delivery: %s", e.message);
            goto out;
        }
    }
    if (start_mailer(cli, s, pipeline, &mailer) < 0)
        goto out;
    if (port_file) {
        FILE *f = fopen(port_file, "w");
        if (f) {
            fprintf(f, "%d\n", server_port(srv));
            fclose(f);
        }
    }
    printf("kesu %s listening on %s://%s:%d/  (API under /api/v1, health /healthz)\n", KESU_VERSION,
           cert_pem ? "https" : "http", host, server_port(srv));
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
    mailer_stop(mailer);
    sla_sched_stop(sla);
    scheduler_stop(reports);
    reportsend_stop(rsend);
    alerts_stop(alerts);
    mail_watch_stop(watch);
    capa_sched_stop(capa);
    server_stop(srv);
    lifecycle_sched_stop(lsched); /* after the server: handlers read it */
    store_close(s);
    channels_free(channels);
    pipeline_free(pipeline);
    alerts_set_keyring(NULL);
    fieldcrypt_free(alert_keys);
    sodium_memzero(opts.form_key, sizeof opts.form_key);
    free(cert_pem);
    if (key_pem)
        sodium_memzero(key_pem, strlen(key_pem));
    free(key_pem);
    log_close();
    return rc;
}
