/*
 * cmd_clean.c: `kesu clean`: runs the text-cleaning stages (normalize, t2s,
 * PII masking, SimHash) over lines of standard input and prints one JSON
 * object per line, for scripts, demos and checking what the stages do.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/json.h"
#include "base/jsonw.h"
#include "cli/commands.h"
#include "text/normalize.h"
#include "text/pii.h"
#include "text/simhash.h"
#include "text/t2s.h"
#include "base/banned.h"

#define LINE_MAX_BYTES ((size_t)1 << 20)

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kesu clean [--jsonl] [--name NAME] [--keep-emoji] [--stats]\n\n"
            "Reads texts, one per line, on standard input and prints one JSON object per\n"
            "line:\n"
            "  {\"clean\": text after normalisation and traditional->simplified,\n"
            "   \"masked\": the clean text with personal data masked,\n"
            "   \"pii\": [{\"type\": \"mobile\", \"masked\": \"138****5678\"}, ...],\n"
            "   \"simhash\": \"16 hex digits\", \"exact_key\": \"16 hex digits\",\n"
            "   \"t2s\": true when converted, \"fixed\": [\"html\", \"width\", ...]}\n"
            "  --jsonl       input lines are JSON records (as written by kesu demo --out):\n"
            "                the text is their \"text\" field and the name to mask their\n"
            "                \"customer_name\"\n"
            "  --name NAME   a customer name to mask in every text\n"
            "  --keep-emoji  do not remove emoji\n"
            "  --stats       at the end, print to standard error how many texts needed each\n"
            "                correction, were converted, and held each kind of personal data\n"
            "Lines longer than 1 MiB, and with --jsonl lines that are not JSON objects with a\n"
            "text, give {\"error\": \"...\"} and count as rejected (exit code 3).\n");
}

struct cleaner {
    struct t2s *t2s;
    unsigned opts;
    long texts, converted, fixed[NORMALIZE_NFLAGS], found[PII_NTYPES];
    struct strbuf norm, clean, masked, out;
    struct pii_list pii;
};

static void hex64(struct jsonw *w, const char *key, uint64_t v)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016" PRIx64, v);
    jsonw_kstr(w, key, hex);
}

static void clean_one(struct cleaner *c, const char *text, size_t len, const char *name)
{
    struct pii_opts po = {name, 0, 0};
    struct jsonw w;
    unsigned fixed;
    int conv;

    strbuf_reset(&c->norm);
    strbuf_reset(&c->clean);
    strbuf_reset(&c->masked);
    fixed = normalize_text(text, len, &c->norm, c->opts);
    conv = t2s_convert(c->t2s, c->norm.buf, c->norm.len, &c->clean, NULL);
    pii_mask(c->clean.buf, c->clean.len, &po, &c->masked, &c->pii);
    c->texts++;
    c->converted += conv == 1;
    for (int k = 0; k < NORMALIZE_NFLAGS; k++)
        c->fixed[k] += (fixed >> k) & 1;
    for (size_t k = 0; k < c->pii.n; k++)
        c->found[c->pii.v[k].type]++;

    jsonw_init(&w, &c->out);
    jsonw_obj(&w);
    jsonw_key(&w, "clean");
    jsonw_strn(&w, c->clean.buf, c->clean.len);
    jsonw_key(&w, "masked");
    jsonw_strn(&w, c->masked.buf, c->masked.len);
    jsonw_key(&w, "pii");
    jsonw_arr(&w);
    for (size_t k = 0; k < c->pii.n; k++) {
        const struct pii_finding *f = &c->pii.v[k];
        jsonw_obj(&w);
        jsonw_kstr(&w, "type", pii_type_name(f->type));
        jsonw_key(&w, "masked");
        jsonw_strn(&w, c->masked.buf + f->moff, f->mlen);
        jsonw_end(&w);
    }
    jsonw_end(&w);
    hex64(&w, "simhash", simhash_compute(c->clean.buf, c->clean.len));
    hex64(&w, "exact_key", simhash_exact_key(c->clean.buf, c->clean.len));
    jsonw_kbool(&w, "t2s", conv == 1);
    jsonw_key(&w, "fixed");
    jsonw_arr(&w);
    for (unsigned bit = 1; bit < 1u << NORMALIZE_NFLAGS; bit <<= 1)
        if (fixed & bit)
            jsonw_str(&w, normalize_flag_name(bit));
    jsonw_end(&w);
    jsonw_end(&w);
    strbuf_addch(&c->out, '\n');
}

static void print_stats(const struct cleaner *c, long rejected)
{
    fprintf(stderr, "kesu clean: %ld texts (%ld rejected lines), %ld converted to simplified\n",
            c->texts, rejected, c->converted);
    fprintf(stderr, "  corrected:");
    for (int k = 0; k < NORMALIZE_NFLAGS; k++)
        fprintf(stderr, " %s %ld", normalize_flag_name(1u << k), c->fixed[k]);
    fprintf(stderr, "\n  personal data found:");
    for (int t = 0; t < PII_NTYPES; t++)
        fprintf(stderr, " %s %ld", pii_type_name(t), c->found[t]);
    fputc('\n', stderr);
}

static void reject(struct cleaner *c, const char *why)
{
    struct jsonw w;
    jsonw_init(&w, &c->out);
    jsonw_obj(&w);
    jsonw_kstr(&w, "error", why);
    jsonw_end(&w);
    strbuf_addch(&c->out, '\n');
}

/* Cleans one input line; returns false when it was rejected. */
static bool line(struct cleaner *c, char *buf, size_t len, bool jsonl, const char *name)
{
    cJSON *j, *t, *n;
    if (len > LINE_MAX_BYTES) {
        reject(c, "line longer than 1 MiB");
        return false;
    }
    if (!jsonl) {
        clean_one(c, buf, len, name);
        return true;
    }
    j = json_parse_checked(buf, len, NULL);
    t = j ? cJSON_GetObjectItemCaseSensitive(j, "text") : NULL;
    if (!cJSON_IsString(t)) {
        reject(c, "not a JSON object with a \"text\" string");
        cJSON_Delete(j);
        return false;
    }
    n = cJSON_GetObjectItemCaseSensitive(j, "customer_name");
    clean_one(c, t->valuestring, strlen(t->valuestring), cJSON_IsString(n) ? n->valuestring : name);
    cJSON_Delete(j);
    return true;
}

int cmd_clean(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"jsonl", no_argument, NULL, 'j'},      {"name", required_argument, NULL, 'n'},
        {"keep-emoji", no_argument, NULL, 'e'}, {"stats", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    struct cleaner c = {
        .norm = STRBUF_INIT, .clean = STRBUF_INIT, .masked = STRBUF_INIT, .out = STRBUF_INIT};
    const char *name = NULL;
    bool jsonl = false, stats = false;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    long rejected = 0;
    struct kerr e;
    int opt, rc = 0;

    (void)cli;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            jsonl = true;
            break;
        case 'n':
            name = optarg;
            break;
        case 'e':
            c.opts |= NORMALIZE_KEEP_EMOJI;
            break;
        case 's':
            stats = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    if (t2s_new(NULL, 1, &c.t2s, &e) < 0)
        return cli_fail(1, "clean", "%s", e.message);
    while ((n = getline(&buf, &cap, stdin)) > 0) {
        size_t len = (size_t)n;
        if (buf[len - 1] == '\n')
            len--;
        if (len && buf[len - 1] == '\r')
            len--;
        rejected += !line(&c, buf, len, jsonl, name);
        if (c.out.len > 1 << 16) {
            if (fwrite(c.out.buf, 1, c.out.len, stdout) != c.out.len)
                break;
            strbuf_reset(&c.out);
        }
    }
    if (fwrite(c.out.buf, 1, c.out.len, stdout) != c.out.len || fflush(stdout) != 0)
        rc = cli_fail(1, "clean", "writing the output failed");
    else if (rejected)
        rc = 3;
    if (stats)
        print_stats(&c, rejected);
    free(buf);
    t2s_free(c.t2s);
    pii_list_release(&c.pii);
    strbuf_release(&c.norm);
    strbuf_release(&c.clean);
    strbuf_release(&c.masked);
    strbuf_release(&c.out);
    return rc;
}
