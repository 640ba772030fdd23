/* channels: the channel configuration file, webhook signatures and mapping (see channels.h). */
#include "intake/channels.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "base/json.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "base/banned.h"

#define SIG_SKEW_MS (300 * 1000LL)

static const char *const default_context[] = {"store", "product", "order_no", "table", "room"};

static void default_form(struct form_def *f)
{
    f->name = xstrdup("default");
    f->title = xstrdup("意见反馈");
    f->intro = xstrdup("感谢您抽出时间告诉我们您的意见，我们会认真处理每一条反馈。");
    f->channel = xstrdup("qr");
    f->ncontext = sizeof(default_context) / sizeof(default_context[0]);
    for (size_t i = 0; i < f->ncontext; i++)
        f->context[i] = xstrdup(default_context[i]);
}

static char *opt_str(const cJSON *obj, const char *name, const char *def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsString(v))
        return xstrdup(v->valuestring);
    return def ? xstrdup(def) : NULL;
}

static int conf_err(struct kerr *err, const char *where, const char *what)
{
    return kerr_set(err, KERR_INVALID, "invalid_config", where, "channels file: %s: %s", where,
                    what);
}

static int load_hook(struct hook_source *h, const cJSON *o, struct kerr *err)
{
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(o, "secret");
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(o, "fields");
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(o, "defaults");
    const cJSON *v;
    char where[160];

    snprintf(where, sizeof where, "hooks.%s", h->name);
    if (!cJSON_IsObject(o))
        return conf_err(err, where, "must be an object");
    if (!cJSON_IsString(secret) || strlen(secret->valuestring) < 16)
        return conf_err(err, where, "\"secret\" must be a string of at least 16 characters");
    h->secret_len = strlen(secret->valuestring);
    h->secret = (unsigned char *)xstrdup(secret->valuestring);
    h->signature_header = opt_str(o, "signature_header", "X-Kesu-Signature");
    h->timestamp_header = opt_str(o, "timestamp_header", NULL);
    h->channel = opt_str(o, "channel", "other");
    h->items = opt_str(o, "items", NULL);
    bool known = false;
    for (const char *const *c = record_channels; *c; c++)
        known |= strcmp(*c, h->channel) == 0;
    if (!known)
        return conf_err(err, where, "\"channel\" is not a kesu channel");
    if (!cJSON_IsObject(fields))
        return conf_err(err, where, "\"fields\" must map kesu fields to JSON pointers");
    cJSON_ArrayForEach(v, fields)
    {
        const struct record_field *f = record_field_by_name(v->string);
        if (!f || !(f->flags & RF_INPUT) || strcmp(f->name, "channel") == 0)
            return conf_err(err, where, "\"fields\" names a field kesu does not take as input");
        if (!cJSON_IsString(v) || (v->valuestring[0] && v->valuestring[0] != '/'))
            return conf_err(err, where, "each field needs a JSON pointer such as \"/a/b\"");
        if (h->nfields == HOOK_MAX_FIELDS)
            return conf_err(err, where, "too many fields");
        h->fields[h->nfields].field = f;
        h->fields[h->nfields++].pointer = xstrdup(v->valuestring);
    }
    if (defs && !cJSON_IsObject(defs))
        return conf_err(err, where, "\"defaults\" must be an object");
    cJSON_ArrayForEach(v, defs)
    {
        const struct record_field *f = record_field_by_name(v->string);
        if (!f || !(f->flags & RF_INPUT) || !cJSON_IsString(v))
            return conf_err(err, where, "\"defaults\" holds kesu input fields with text values");
        if (h->ndefaults == HOOK_MAX_FIELDS)
            return conf_err(err, where, "too many defaults");
        h->defaults[h->ndefaults].field = f;
        h->defaults[h->ndefaults++].value = xstrdup(v->valuestring);
    }
    return 0;
}

static int load_form(struct form_def *f, const cJSON *o, struct kerr *err)
{
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(o, "context"), *v;
    char where[160];
    snprintf(where, sizeof where, "forms.%s", f->name);
    if (!cJSON_IsObject(o))
        return conf_err(err, where, "must be an object");
    f->title = opt_str(o, "title", "意见反馈");
    f->intro = opt_str(o, "intro", "");
    f->channel = opt_str(o, "channel", "qr");
    if (ctx && !cJSON_IsArray(ctx))
        return conf_err(err, where, "\"context\" must be an array of names");
    if (!ctx)
        for (size_t i = 0; i < sizeof(default_context) / sizeof(default_context[0]); i++)
            f->context[f->ncontext++] = xstrdup(default_context[i]);
    cJSON_ArrayForEach(v, ctx)
    {
        if (!cJSON_IsString(v) || f->ncontext == 8)
            return conf_err(err, where, "\"context\" holds at most 8 names");
        f->context[f->ncontext++] = xstrdup(v->valuestring);
    }
    return 0;
}

static int load_rule(struct channel_rule *cr, const cJSON *o, struct kerr *err)
{
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(o, "required");
    const cJSON *defs = cJSON_GetObjectItemCaseSensitive(o, "defaults"), *v;
    char where[160];
    bool known = false;
    snprintf(where, sizeof where, "rules.%s", cr->channel);
    for (const char *const *c = record_channels; *c; c++)
        known |= strcmp(*c, cr->channel) == 0;
    if (!known)
        return conf_err(err, where, "not a kesu channel");
    if (!cJSON_IsObject(o) || (req && !cJSON_IsArray(req)) || (defs && !cJSON_IsObject(defs)))
        return conf_err(err, where, "{\"required\": [fields], \"defaults\": {field: value}}");
    cJSON_ArrayForEach(v, req)
    {
        const struct record_field *f =
            cJSON_IsString(v) ? record_field_by_name(v->valuestring) : NULL;
        if (!f || !(f->flags & RF_INPUT) || cr->nrequired == RULE_MAX_FIELDS)
            return conf_err(err, where, "\"required\" lists kesu input fields");
        cr->required[cr->nrequired++] = f;
    }
    cJSON_ArrayForEach(v, defs)
    {
        const struct record_field *f = record_field_by_name(v->string);
        if (!f || !(f->flags & (RF_INPUT | RF_PATCH)) || f->kind != RF_STR || !cJSON_IsString(v) ||
            cr->ndefaults == RULE_MAX_FIELDS)
            return conf_err(err, where, "\"defaults\" gives text values to kesu text fields");
        cr->dfield[cr->ndefaults] = f;
        cr->dvalue[cr->ndefaults++] = xstrdup(v->valuestring);
    }
    return 0;
}

void channels_apply_rules(const struct channels_conf *c, struct record *r)
{
    for (size_t i = 0; c && i < c->nrules; i++) {
        const struct channel_rule *cr = &c->rules[i];
        if (!r->channel || strcmp(cr->channel, r->channel) != 0)
            continue;
        for (size_t k = 0; k < cr->ndefaults; k++) {
            char **p = record_str(r, cr->dfield[k]);
            if (!*p)
                *p = xstrdup(cr->dvalue[k]);
        }
        for (size_t k = 0; k < cr->nrequired; k++)
            if (!record_has(r, cr->required[k]))
                r->quality |= QUALITY_MISSING;
    }
}

static char *read_file(const char *path, size_t *len, int *errnum)
{
    FILE *f = fopen(path, "rb");
    struct strbuf sb = STRBUF_INIT;
    char buf[8192];
    size_t n;
    if (!f) {
        *errnum = errno;
        return NULL;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    return strbuf_detach(&sb, len);
}

int channels_load(const char *path, struct channels_conf **out, struct kerr *err)
{
    struct channels_conf *c = xcalloc(1, sizeof(*c));
    size_t len = 0;
    int errnum = 0, rc = 0;
    char *text = path ? read_file(path, &len, &errnum) : NULL;
    cJSON *doc = NULL;

    c->device_threshold = 3;
    c->device_window_ms = 60 * 60 * 1000LL;
    c->form_per_minute = 10;
    if (!text && path && errnum != ENOENT) {
        rc = kerr_set(err, KERR_IO, "io_error", "", "cannot read %s: %s", path, strerror(errnum));
        goto out;
    }
    if (text) {
        doc = json_parse_checked(text, len, err);
        if (!doc) {
            rc = KERR_INVALID;
            goto out;
        }
        const cJSON *hooks = cJSON_GetObjectItemCaseSensitive(doc, "hooks"), *v;
        const cJSON *dev = cJSON_GetObjectItemCaseSensitive(doc, "devices");
        const cJSON *forms = cJSON_GetObjectItemCaseSensitive(doc, "forms");
        const cJSON *rl = cJSON_GetObjectItemCaseSensitive(doc, "rate_limit");
        const cJSON *rules = cJSON_GetObjectItemCaseSensitive(doc, "rules");
        const cJSON *expected = cJSON_GetObjectItemCaseSensitive(doc, "expected_channels");
        /* members named by their keys: an array here has no names to take */
        static const char *const by_name[] = {"hooks", "forms", "rules", "devices", "rate_limit"};
        if (!cJSON_IsObject(doc)) {
            rc = conf_err(err, "channels", "must be a JSON object");
            goto out;
        }
        for (size_t i = 0; i < sizeof by_name / sizeof by_name[0]; i++) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, by_name[i]);
            if (m && !cJSON_IsObject(m)) {
                rc = conf_err(err, by_name[i], "must be an object");
                goto out;
            }
        }
        c->rules = xcalloc((size_t)cJSON_GetArraySize(rules) + 1, sizeof(*c->rules));
        cJSON_ArrayForEach(v, rules)
        {
            struct channel_rule *cr = &c->rules[c->nrules++];
            cr->channel = xstrdup(v->string);
            if ((rc = load_rule(cr, v, err)) < 0)
                goto out;
        }
        if (expected && !cJSON_IsArray(expected)) {
            rc = conf_err(err, "expected_channels", "must be an array of channels");
            goto out;
        }
        c->expected = xcalloc((size_t)cJSON_GetArraySize(expected) + 1, sizeof(char *));
        cJSON_ArrayForEach(v, expected)
        {
            bool known = false;
            for (const char *const *k = record_channels; cJSON_IsString(v) && *k; k++)
                known |= strcmp(*k, v->valuestring) == 0;
            if (!known) {
                rc = conf_err(err, "expected_channels", "lists a name that is not a channel");
                goto out;
            }
            c->expected[c->nexpected++] = xstrdup(v->valuestring);
        }
        c->hooks = xcalloc((size_t)cJSON_GetArraySize(hooks) + 1, sizeof(*c->hooks));
        cJSON_ArrayForEach(v, hooks)
        {
            struct hook_source *h = &c->hooks[c->nhooks++];
            h->name = xstrdup(v->string);
            if ((rc = load_hook(h, v, err)) < 0)
                goto out;
        }
        if (dev) {
            const cJSON *t = cJSON_GetObjectItemCaseSensitive(dev, "threshold");
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(dev, "window_minutes");
            if (t && (!cJSON_IsNumber(t) || t->valuedouble < 1 || t->valuedouble > 1000)) {
                rc = conf_err(err, "devices.threshold", "must be 1 to 1000");
                goto out;
            }
            if (w && (!cJSON_IsNumber(w) || w->valuedouble < 1 || w->valuedouble > 43200)) {
                rc = conf_err(err, "devices.window_minutes", "must be 1 to 43200");
                goto out;
            }
            if (t)
                c->device_threshold = (int)t->valuedouble;
            if (w)
                c->device_window_ms = (int64_t)(w->valuedouble * 60000);
        }
        if (rl) {
            const cJSON *f = cJSON_GetObjectItemCaseSensitive(rl, "form_per_minute");
            if (f && (!cJSON_IsNumber(f) || f->valuedouble < 1 || f->valuedouble > 1000000)) {
                rc = conf_err(err, "rate_limit.form_per_minute", "must be 1 to 1000000");
                goto out;
            }
            if (f)
                c->form_per_minute = (int)f->valuedouble;
        }
        c->forms = xcalloc((size_t)cJSON_GetArraySize(forms) + 1, sizeof(*c->forms));
        cJSON_ArrayForEach(v, forms)
        {
            struct form_def *f = &c->forms[c->nforms++];
            f->name = xstrdup(v->string);
            if ((rc = load_form(f, v, err)) < 0)
                goto out;
        }
    }
    if (!c->nforms) {
        free(c->forms);
        c->forms = xcalloc(1, sizeof(*c->forms));
        default_form(&c->forms[c->nforms++]);
    }
out:
    cJSON_Delete(doc);
    free(text);
    if (rc < 0) {
        channels_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void channels_free(struct channels_conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nhooks; i++) {
        struct hook_source *h = &c->hooks[i];
        if (h->secret)
            sodium_memzero(h->secret, h->secret_len);
        free(h->name);
        free(h->secret);
        free(h->signature_header);
        free(h->timestamp_header);
        free(h->channel);
        free(h->items);
        for (size_t k = 0; k < h->nfields; k++)
            free(h->fields[k].pointer);
        for (size_t k = 0; k < h->ndefaults; k++)
            free(h->defaults[k].value);
    }
    for (size_t i = 0; i < c->nforms; i++) {
        struct form_def *f = &c->forms[i];
        free(f->name);
        free(f->title);
        free(f->intro);
        free(f->channel);
        for (size_t k = 0; k < f->ncontext; k++)
            free(f->context[k]);
    }
    for (size_t i = 0; i < c->nrules; i++) {
        free(c->rules[i].channel);
        for (size_t k = 0; k < c->rules[i].ndefaults; k++)
            free(c->rules[i].dvalue[k]);
    }
    for (size_t i = 0; i < c->nexpected; i++)
        free(c->expected[i]);
    free(c->rules);
    free(c->expected);
    free(c->hooks);
    free(c->forms);
    free(c);
}

const struct hook_source *channels_hook(const struct channels_conf *c, const char *name)
{
    for (size_t i = 0; c && i < c->nhooks; i++)
        if (strcmp(c->hooks[i].name, name) == 0)
            return &c->hooks[i];
    return NULL;
}

const struct form_def *channels_form(const struct channels_conf *c, const char *name)
{
    for (size_t i = 0; c && i < c->nforms; i++)
        if (strcmp(c->forms[i].name, name) == 0)
            return &c->forms[i];
    return NULL;
}

const cJSON *json_pointer(const cJSON *doc, const char *ptr)
{
    char tok[256];
    const cJSON *cur = doc;
    if (!ptr || !*ptr)
        return doc;
    if (*ptr != '/')
        return NULL;
    while (cur && *ptr == '/') {
        size_t n = 0;
        ptr++;
        while (*ptr && *ptr != '/') {
            char ch = *ptr++;
            if (ch == '~' && (*ptr == '0' || *ptr == '1'))
                ch = *ptr++ == '0' ? '~' : '/';
            if (n + 1 >= sizeof tok)
                return NULL;
            tok[n++] = ch;
        }
        tok[n] = 0;
        if (cJSON_IsArray(cur)) {
            char *end;
            long i = strtol(tok, &end, 10);
            if (!n || *end || i < 0 || (n > 1 && tok[0] == '0'))
                return NULL;
            cur = cJSON_GetArrayItem(cur, (int)i);
        } else if (cJSON_IsObject(cur)) {
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
        } else {
            return NULL;
        }
    }
    return cur;
}

/* Decodes hex or base64 (standard or URL-safe) into out; returns the length or -1. */
static long decode_sig(const char *s, unsigned char *out, size_t max)
{
    size_t len = strlen(s), bin = 0;
    if (strncmp(s, "sha256=", 7) == 0)
        s += 7, len -= 7;
    if (len == 2 * crypto_auth_hmacsha256_BYTES &&
        sodium_hex2bin(out, max, s, len, NULL, &bin, NULL) == 0)
        return (long)bin;
    if (sodium_base642bin(out, max, s, len, NULL, &bin, NULL, sodium_base64_VARIANT_ORIGINAL) ==
            0 ||
        sodium_base642bin(out, max, s, len, NULL, &bin, NULL,
                          sodium_base64_VARIANT_ORIGINAL_NO_PADDING) == 0 ||
        sodium_base642bin(out, max, s, len, NULL, &bin, NULL, sodium_base64_VARIANT_URLSAFE) == 0 ||
        sodium_base642bin(out, max, s, len, NULL, &bin, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0)
        return (long)bin;
    return -1;
}

int hook_verify(const struct hook_source *src, const char *body, size_t len, const char *sig,
                const char *timestamp, int64_t now_ms, struct kerr *err)
{
    crypto_auth_hmacsha256_state st;
    unsigned char want[crypto_auth_hmacsha256_BYTES], got[64];
    long n;

    if (!sig || !*sig)
        return kerr_set(err, KERR_AUTH, "missing_signature", src->signature_header,
                        "the %s header with the body's HMAC-SHA256 is required",
                        src->signature_header);
    crypto_auth_hmacsha256_init(&st, src->secret, src->secret_len);
    if (src->timestamp_header) {
        char *end;
        long long ts = timestamp ? strtoll(timestamp, &end, 10) : 0;
        if (!timestamp || !*timestamp || *end)
            return kerr_set(err, KERR_AUTH, "missing_timestamp", src->timestamp_header,
                            "the %s header (Unix seconds) is required", src->timestamp_header);
        /* |ts * 1000 - now| <= skew, in seconds so that no timestamp can overflow */
        if (ts < (now_ms - SIG_SKEW_MS + 999) / 1000 || ts > (now_ms + SIG_SKEW_MS) / 1000)
            return kerr_set(err, KERR_AUTH, "stale_timestamp", src->timestamp_header,
                            "%s is more than 300 seconds away from now", src->timestamp_header);
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)timestamp, strlen(timestamp));
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    }
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, want);
    n = decode_sig(sig, got, sizeof got);
    if (n != (long)sizeof want || sodium_memcmp(want, got, sizeof want) != 0)
        return kerr_set(err, KERR_AUTH, "bad_signature", src->signature_header,
                        "the signature does not match the body");
    return 0;
}

int hook_map(const struct hook_source *src, const cJSON *item, struct record *r, struct kerr *err)
{
    char num[64];
    int rc;
    free(r->channel);
    r->channel = xstrdup(src->channel);
    for (size_t i = 0; i < src->ndefaults; i++) {
        const char *v = src->defaults[i].value;
        if ((rc = record_set(r, src->defaults[i].field, v, strlen(v), err)) < 0)
            return rc;
    }
    for (size_t i = 0; i < src->nfields; i++) {
        const struct record_field *f = src->fields[i].field;
        const cJSON *v = json_pointer(item, src->fields[i].pointer);
        const char *text;
        if (!v || cJSON_IsNull(v))
            continue;
        if (cJSON_IsString(v)) {
            text = v->valuestring;
        } else if (cJSON_IsNumber(v)) {
            double d = v->valuedouble;
            if (f->kind == RF_TIME) {
                /* epoch seconds or milliseconds; far outside int64 (1e300, inf) is no time */
                int64_t ms = fabs(d) < 1e11 ? (int64_t)(d * 1000) : fabs(d) < 9e15 ? (int64_t)d : 0;
                if (ms < RECORD_TIME_MIN)
                    return kerr_set(err, KERR_INVALID, "invalid_time", f->name,
                                    "%s (from %s) is not an epoch time after 2000", f->name,
                                    src->fields[i].pointer);
                *record_time(r, f) = ms;
                continue;
            }
            if (fabs(d) < 9e15 && d == (double)(long long)d)
                snprintf(num, sizeof num, "%lld", (long long)d);
            else
                snprintf(num, sizeof num, "%.17g", d);
            text = num;
        } else if (cJSON_IsBool(v)) {
            text = cJSON_IsTrue(v) ? "true" : "false";
        } else if (f->kind == RF_JSON_ARR || f->kind == RF_JSON_OBJ) {
            char *raw = cJSON_PrintUnformatted(v);
            rc = record_set(r, f, raw, strlen(raw), err);
            cJSON_free(raw);
            if (rc < 0)
                return rc;
            continue;
        } else {
            return kerr_set(err, KERR_INVALID, "invalid_type", f->name,
                            "%s: %s does not hold a text, number or boolean", f->name,
                            src->fields[i].pointer);
        }
        if ((rc = record_set(r, f, text, strlen(text), err)) < 0) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%.180s (from %.60s)", err->message, src->fields[i].pointer);
            snprintf(err->message, sizeof err->message, "%s", msg);
            return rc;
        }
    }
    return 0;
}
