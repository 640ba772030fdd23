/*
 * fuzz_hook.c: libFuzzer target for webhook intake (intake/channels): the
 * channels configuration (hook sources with secrets, JSON pointers, field
 * mappings and defaults, forms, channel rules), then a call to each hook
 * with the payload: signature check (HMAC-SHA256, hex, base64 or
 * "sha256=<hex>", with or without a timestamp), the items pointer, and the
 * mapping of every item onto a record, which is then validated and gets
 * its channel's rules. The input is the configuration (JSON), a NUL byte,
 * then a first line "<signature> <timestamp>" and the body. A signature
 * computed here over the body must be accepted.
 *
 *     build/fuzz/fuzz/fuzz_hook -max_total_time=60 tests/fuzz/corpus/hook
 */
#include <cjson/cJSON.h>
#include <sodium.h>

#include "base/json.h"
#include "intake/channels.h"

#include "fuzz.h"

#include "base/banned.h"

static void call_hook(const struct channels_conf *c, const struct hook_source *h, const char *line,
                      size_t line_len, const char *body, size_t len)
{
    char *sig = fuzz_strndup(line, line_len), *ts = strchr(sig, ' ');
    struct kerr e;
    cJSON *doc;

    if (ts)
        *ts++ = 0;
    kerr_clear(&e);
    (void)hook_verify(h, body, len, sig, ts, FUZZ_NOW_MS, &e);
    if (!h->timestamp_header) {
        /* the right signature, in hex, must pass */
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        char hex[2 * sizeof mac + 8] = "sha256=";
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, h->secret, h->secret_len);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
        crypto_auth_hmacsha256_final(&st, mac);
        sodium_bin2hex(hex + 7, sizeof hex - 7, mac, sizeof mac);
        if (hook_verify(h, body, len, hex, NULL, FUZZ_NOW_MS, &e) != 0)
            abort();
    }
    free(sig);

    kerr_clear(&e);
    if (!(doc = json_parse_checked(body, len, &e)))
        return;
    const cJSON *items = h->items ? json_pointer(doc, h->items) : doc, *it;
    if (items && cJSON_IsArray(items)) {
        int n = 0;
        cJSON_ArrayForEach(it, items)
        {
            struct record r;
            if (n++ == 8)
                break;
            record_init(&r);
            kerr_clear(&e);
            if (hook_map(h, it, &r, &e) == 0 && record_validate(&r, FUZZ_NOW_MS, &e) == 0)
                channels_apply_rules(c, &r);
            else if (!e.message[0])
                abort();
            record_release(&r);
        }
    } else if (items) {
        struct record r;
        record_init(&r);
        kerr_clear(&e);
        if (hook_map(h, items, &r, &e) < 0 && !e.message[0])
            abort();
        record_release(&r);
    }
    cJSON_Delete(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *conf, *call;
    size_t conf_len, call_len;
    struct channels_conf *c = NULL;
    struct kerr e;
    char path[64];
    FILE *f;

    fuzz_split(data, size, &conf, &conf_len, &call, &call_len);
    f = fuzz_memfile(conf, conf_len);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fileno(f));
    kerr_clear(&e);
    if (channels_load(path, &c, &e) < 0) {
        if (!e.message[0])
            abort();
        fclose(f);
        return 0;
    }
    fclose(f);
    {
        const char *nl = memchr(call, '\n', call_len);
        size_t line_len = nl ? (size_t)(nl - (const char *)call) : 0;
        const char *body = nl ? nl + 1 : (const char *)call;
        size_t len = call_len - (nl ? line_len + 1 : 0);
        for (size_t i = 0; i < c->nhooks && i < 4; i++)
            call_hook(c, &c->hooks[i], (const char *)call, line_len, body, len);
        for (size_t i = 0; i < c->nforms; i++)
            if (channels_form(c, c->forms[i].name) != &c->forms[i] && i == 0)
                abort();
        if (c->nhooks && !channels_hook(c, c->hooks[0].name))
            abort();
    }
    channels_free(c);
    return 0;
}
