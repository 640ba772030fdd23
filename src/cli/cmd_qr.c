/*
 * cmd_qr.c: `kesu qr`: a QR code (SVG or PNG) for a feedback-form link, so
 * a store can print it on a table card or a receipt.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "cli/commands.h"
#include "intake/qr.h"
#include "base/banned.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu qr [--format svg|png] [--scale N] [--out FILE] URL\n"
            "       kesu qr --base URL [--form NAME] [--store S] [--product P] [--table T]\n"
            "               [--room R] [--order O] [--format svg|png] [--out FILE]\n\n"
            "Writes a QR code for URL, or for the form link built from --base (the server's\n"
            "address, e.g. http://kesu.example.cn), the form (default \"default\") and its\n"
            "context. --format defaults to the --out file's extension, else svg; --scale is\n"
            "pixels per module (default 8). Without --out the image goes to standard output.\n");
}

static void add_param(struct strbuf *url, const char *name, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!v)
        return;
    strbuf_addch(url, strchr(url->buf, '?') ? '&' : '?');
    strbuf_addstr(url, name);
    strbuf_addch(url, '=');
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-_.~", *p)) {
            strbuf_addch(url, (char)*p);
        } else {
            strbuf_addch(url, '%');
            strbuf_addch(url, hex[*p >> 4]);
            strbuf_addch(url, hex[*p & 15]);
        }
    }
}

int cmd_qr(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},  {"scale", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},     {"base", required_argument, NULL, 'b'},
        {"form", required_argument, NULL, 'F'},    {"store", required_argument, NULL, 'S'},
        {"product", required_argument, NULL, 'P'}, {"table", required_argument, NULL, 'T'},
        {"room", required_argument, NULL, 'R'},    {"order", required_argument, NULL, 'O'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *fmt = NULL, *out = NULL, *base = NULL, *form = "default";
    const char *ctx[5] = {NULL, NULL, NULL, NULL, NULL};
    static const char *const ctx_names[5] = {"store", "product", "table", "room", "order_no"};
    struct strbuf url = STRBUF_INIT, img = STRBUF_INIT;
    struct kerr e;
    int c, scale = 8, rc = 0;
    char *end;

    (void)cli;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = optarg;
            break;
        case 's':
            scale = (int)strtol(optarg, &end, 10);
            if (*end || scale < 1 || scale > 40)
                return cli_fail(2, "qr", "--scale wants 1 to 40");
            break;
        case 'o':
            out = optarg;
            break;
        case 'b':
            base = optarg;
            break;
        case 'F':
            form = optarg;
            break;
        case 'S':
            ctx[0] = optarg;
            break;
        case 'P':
            ctx[1] = optarg;
            break;
        case 'T':
            ctx[2] = optarg;
            break;
        case 'R':
            ctx[3] = optarg;
            break;
        case 'O':
            ctx[4] = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if ((base != NULL) == (optind < argc) || argc - optind > 1) {
        usage(stderr);
        return 2;
    }
    if (base) {
        strbuf_addstr(&url, base);
        while (url.len && url.buf[url.len - 1] == '/')
            strbuf_setlen(&url, url.len - 1);
        strbuf_addf(&url, "/f/%s", form);
        for (int i = 0; i < 5; i++)
            add_param(&url, ctx_names[i], ctx[i]);
    } else {
        strbuf_addstr(&url, argv[optind]);
    }
    if (!fmt)
        fmt = out && strlen(out) > 4 && strcmp(out + strlen(out) - 4, ".png") == 0 ? "png" : "svg";
    if (strcmp(fmt, "svg") != 0 && strcmp(fmt, "png") != 0) {
        strbuf_release(&url);
        return cli_fail(2, "qr", "--format is svg or png");
    }
    kerr_clear(&e);
    if (qr_render(url.buf, strcmp(fmt, "png") == 0 ? QR_PNG : QR_SVG, scale, &img, &e) < 0) {
        rc = cli_fail(1, "qr", "%s", e.message);
    } else {
        FILE *f = out ? fopen(out, "wb") : stdout;
        if (!f || fwrite(img.buf, 1, img.len, f) != img.len || fflush(f) != 0)
            rc = cli_fail(1, "qr", "cannot write %s", out ? out : "standard output");
        if (f && f != stdout)
            fclose(f);
        if (!rc && out)
            fprintf(stderr, "kesu qr: %s -> %s\n", url.buf, out);
    }
    strbuf_release(&url);
    strbuf_release(&img);
    return rc;
}
