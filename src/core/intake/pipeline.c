/* pipeline: the intake cleaning stages (see pipeline.h). */
#include "intake/pipeline.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "base/jsonw.h"
#include "base/strbuf.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "intake/nlp.h"
#include "secure/fieldcrypt.h"
#include "text/normalize.h"
#include "text/pii.h"
#include "text/simhash.h"
#include "text/t2s.h"
#include "base/banned.h"

#define VAULT_AD          "kesu:feedback:pii:1"
#define SIMHASH_MIN_CHARS 15

struct pipeline {
    struct t2s *t2s;
    struct fieldcrypt *fc;
    struct nlp *nlp;
};

int pipeline_open(const char *key_path, struct pipeline **out, struct kerr *err)
{
    struct pipeline *p = xcalloc(1, sizeof(*p));
    int rc;
    if ((rc = t2s_new(NULL, 0, &p->t2s, err)) < 0 ||
        (rc = fieldcrypt_open(key_path, &p->fc, err)) < 0) {
        pipeline_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

void pipeline_free(struct pipeline *p)
{
    if (!p)
        return;
    t2s_free(p->t2s);
    fieldcrypt_free(p->fc);
    nlp_free(p->nlp);
    free(p);
}

void pipeline_set_nlp(struct pipeline *p, struct nlp *n)
{
    nlp_free(p->nlp);
    p->nlp = n;
}

struct nlp *pipeline_nlp(const struct pipeline *p)
{
    return p ? p->nlp : NULL;
}

/*
 * Masks free text in *field; returns the kinds found (bits). The vault keeps
 * what was masked, not the whole text: [[offset in the masked text, length of
 * the mask, original], ...], enough to rebuild the original (pipeline_reveal)
 * at a fraction of the size.
 */
static unsigned mask_text(char **field, const char *vault_key, const char *name,
                          struct jsonw *vault, bool *any)
{
    struct strbuf masked = STRBUF_INIT;
    struct pii_list found = {0};
    struct pii_opts o = {name, 0, 0};
    unsigned types = 0;
    if (!*field)
        return 0;
    pii_mask(*field, strlen(*field), &o, &masked, &found);
    if (found.n) {
        jsonw_key(vault, vault_key);
        jsonw_arr(vault);
        for (size_t i = 0; i < found.n; i++) {
            const struct pii_finding *f = &found.v[i];
            types |= 1u << f->type;
            jsonw_arr(vault);
            jsonw_int(vault, (int64_t)f->moff);
            jsonw_int(vault, (int64_t)f->mlen);
            jsonw_strn(vault, *field + f->off, f->len);
            jsonw_end(vault);
        }
        jsonw_end(vault);
        *any = true;
        free(*field);
        *field = strbuf_detach(&masked, NULL);
    }
    strbuf_release(&masked);
    pii_list_release(&found);
    return types;
}

/* Masks a field that is personal data as a whole (phone, e-mail, name). */
static unsigned mask_field(char **field, const char *vault_key,
                           int (*mask)(const char *, size_t, struct strbuf *), unsigned type_bit,
                           struct jsonw *vault, bool *any)
{
    struct strbuf masked = STRBUF_INIT;
    if (!*field || !**field)
        return 0;
    mask(*field, strlen(*field), &masked);
    if (strcmp(masked.buf, *field) == 0) {
        strbuf_release(&masked);
        return 0;
    }
    jsonw_kstr(vault, vault_key, *field);
    *any = true;
    free(*field);
    *field = strbuf_detach(&masked, NULL);
    return type_bit;
}

/* Words exports put where no name was given: not personal data. */
static bool placeholder_name(const char *name)
{
    static const char *const words[] = {"匿名", "匿名用户", "未知", "无", "不详",      "客户",
                                        "顾客", "N/A",      "n/a",  "-",  "anonymous", NULL};
    for (const char *const *w = words; name && *w; w++)
        if (strcmp(name, *w) == 0)
            return true;
    return false;
}

int pipeline_clean(struct pipeline *p, struct record *r, struct kerr *err)
{
    struct strbuf vault = STRBUF_INIT, clean = STRBUF_INIT, conv = STRBUF_INIT;
    struct jsonw w;
    bool any = false;
    unsigned types = 0, flags;
    int rc = 0;

    /* 1. personal data, with the customer's own name found in the texts */
    jsonw_init(&w, &vault);
    jsonw_obj(&w);
    char *name =
        r->customer_name && !placeholder_name(r->customer_name) ? xstrdup(r->customer_name) : NULL;
    types |= mask_text(&r->text, "text", name, &w, &any);
    types |= mask_text(&r->title, "title", name, &w, &any);
    free(name);
    types |= mask_field(&r->phone, "phone", pii_mask_phone, 1u << PII_MOBILE, &w, &any);
    types |= mask_field(&r->email, "email", pii_mask_email, 1u << PII_EMAIL, &w, &any);
    if (!placeholder_name(r->customer_name))
        types |=
            mask_field(&r->customer_name, "customer_name", pii_mask_name, 1u << PII_NAME, &w, &any);
    jsonw_end(&w);
    if (any) {
        struct strbuf sealed = STRBUF_INIT;
        if (fieldcrypt_encrypt(p->fc, vault.buf, vault.len, VAULT_AD, strlen(VAULT_AD), &sealed) <
            0) {
            strbuf_release(&sealed);
            rc = kerr_set(err, KERR_INTERNAL, "internal", "pii_vault",
                          "cannot seal the personal data");
            goto out;
        }
        free(r->pii_vault);
        r->pii_vault = strbuf_detach(&sealed, NULL);
        r->pii_types = types;
        r->quality |= QUALITY_PII;
    }

    /* 2. the text for analysis */
    clean.cap = RECORD_TEXT_MAX;
    flags = normalize_text(r->text, strlen(r->text), &clean, 0);
    r->quality |= flags;
    if (t2s_needed(p->t2s, clean.buf, clean.len)) {
        if (t2s_convert(p->t2s, clean.buf, clean.len, &conv, err) < 0) {
            rc = KERR_INTERNAL;
            goto out;
        }
        strbuf_release(&clean);
        clean = conv;
        conv = (struct strbuf)STRBUF_INIT;
        r->quality |= QUALITY_T2S;
    }

    /* the rating on one scale */
    if (!isnan(r->rating) && !isnan(r->rating_scale) && r->rating_scale > 0)
        r->rating_norm = round(1000.0 * r->rating / r->rating_scale) / 10.0;

    /* 3. fingerprints */
    if (utf8_count(clean.buf, clean.len) >= SIMHASH_MIN_CHARS)
        r->simhash = (int64_t)simhash_compute(clean.buf, clean.len);
    {
        struct strbuf key = STRBUF_INIT;
        strbuf_addstr(&key, r->customer_id ? r->customer_id : "");
        strbuf_addch(&key, '\x1f');
        strbuf_add(&key, clean.buf, clean.len);
        r->dup_key = (int64_t)simhash_exact_key(key.buf, key.len);
        if (!r->dup_key)
            r->dup_key = 1;
        strbuf_release(&key);
    }
    /* kept only when it differs from text: most texts need no cleaning beyond masking */
    free(r->clean_text);
    r->clean_text = strcmp(clean.buf, r->text) ? strbuf_detach(&clean, NULL) : NULL;
    r->quality |= QUALITY_CLEANED;
    /* 5. what it is about, how it sounds, how serious it is */
    if (p->nlp)
        nlp_analyze(p->nlp, r);
out:
    strbuf_release(&vault);
    strbuf_release(&clean);
    strbuf_release(&conv);
    return rc;
}

/* Rebuilds an original text from its masked form and the vault's spans. */
static int unmask(const char *masked, const cJSON *spans, struct strbuf *out)
{
    size_t at = 0, len = strlen(masked);
    const cJSON *s;
    cJSON_ArrayForEach(s, spans)
    {
        const cJSON *o = cJSON_GetArrayItem(s, 0), *n = cJSON_GetArrayItem(s, 1),
                    *orig = cJSON_GetArrayItem(s, 2);
        if (!cJSON_IsNumber(o) || !cJSON_IsNumber(n) || !cJSON_IsString(orig) ||
            o->valuedouble < (double)at || o->valuedouble + n->valuedouble > (double)len)
            return -1;
        strbuf_add(out, masked + at, (size_t)o->valuedouble - at);
        strbuf_addstr(out, orig->valuestring);
        at = (size_t)(o->valuedouble + n->valuedouble);
    }
    strbuf_add(out, masked + at, len - at);
    return 0;
}

int pipeline_reveal(struct pipeline *p, const struct record *r, struct strbuf *out,
                    struct kerr *err)
{
    struct strbuf plain = STRBUF_INIT, t = STRBUF_INIT;
    struct jsonw w;
    cJSON *v, *it;
    int rc = 0;

    if (!r->pii_vault) {
        strbuf_addstr(out, "{}");
        return 0;
    }
    if ((rc = fieldcrypt_decrypt(p->fc, r->pii_vault, strlen(r->pii_vault), VAULT_AD,
                                 strlen(VAULT_AD), &plain, err)) < 0)
        goto done;
    if (!(v = cJSON_ParseWithLength(plain.buf, plain.len))) {
        rc = kerr_set(err, KERR_INTERNAL, "internal", "pii_vault", "the vault is damaged");
        goto done;
    }
    jsonw_init(&w, out);
    jsonw_obj(&w);
    cJSON_ArrayForEach(it, v)
    {
        const char *masked = strcmp(it->string, "text") == 0    ? r->text
                             : strcmp(it->string, "title") == 0 ? r->title
                                                                : NULL;
        if (cJSON_IsString(it)) {
            jsonw_kstr(&w, it->string, it->valuestring);
        } else if (masked && cJSON_IsArray(it)) {
            strbuf_reset(&t);
            if (unmask(masked, it, &t) < 0) {
                rc = kerr_set(err, KERR_INTERNAL, "internal", it->string,
                              "the vault does not fit the masked %s", it->string);
                break;
            }
            jsonw_key(&w, it->string);
            jsonw_strn(&w, t.buf, t.len);
        }
    }
    jsonw_end(&w);
    cJSON_Delete(v);
done:
    sodium_memzero(plain.buf, plain.len);
    strbuf_release(&plain);
    strbuf_release(&t);
    return rc;
}
