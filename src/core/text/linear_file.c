/*
 * linear_file.c: the KMOD model file of the linear classifier (format in
 * linear.h): writing (zlib-compressed body, CRC-32, atomic rename), strict
 * bounds-checked reading, and finding a model file by name.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "base/xmalloc.h"
#include "text/linear_int.h"
#include "base/banned.h"

#define MAX_BODY ((uint32_t)512 << 20)

/* ---- the file format ---------------------------------------------------------------------- */

struct bbuf {
    unsigned char *p;
    size_t len, cap;
};

static void put(struct bbuf *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        while (b->len + n > b->cap)
            b->cap = b->cap ? b->cap * 2 : 4096;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void put_u8(struct bbuf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

static void put_u16(struct bbuf *b, unsigned v)
{
    unsigned char c[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
    put(b, c, 2);
}

static void put_u32(struct bbuf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, c, 4);
}

static void put_f32(struct bbuf *b, float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    put_u32(b, v);
}

static void put_varint(struct bbuf *b, uint32_t v)
{
    while (v >= 0x80) {
        put_u8(b, (v & 0x7f) | 0x80);
        v >>= 7;
    }
    put_u8(b, v);
}

static void body_write(const struct linear_model *m, struct bbuf *b)
{
    const struct feat_config *cfg = &m->fx.cfg;
    size_t nw = (size_t)m->nw, nq = (size_t)m->nrows * nw;
    put_u8(b, (unsigned)m->kind);
    put_u8(b, (unsigned)m->wbits);
    put(b,
        (const uint8_t[]){
            cfg->char_min, cfg->char_max, cfg->word_min, cfg->word_max, cfg->bits,
            (uint8_t)((cfg->use_tok ? FEAT_FLAG_TOK : 0) | (cfg->bounds ? FEAT_FLAG_BOUNDS : 0))},
        6);
    put_u16(b, (unsigned)m->nclass);
    put_u16(b, (unsigned)m->nw);
    put_f32(b, m->scale);
    for (int c = 0; c < m->nclass; c++) {
        size_t n = strlen(m->labels[c]);
        put_u16(b, (unsigned)n);
        put(b, m->labels[c], n);
    }
    put_f32(b, m->idf_lo);
    put_f32(b, m->idf_hi);
    put(b, m->idfq, (size_t)1 << cfg->bits);
    put_u32(b, m->nrows);
    for (uint32_t r = 0, prev = 0; r < m->nrows; prev = m->row_bucket[r++])
        put_varint(b, m->row_bucket[r] - prev);
    for (size_t c = 0; c < nw; c++)
        put_f32(b, m->wscale[c]);
    for (size_t c = 0; c < nw; c++)
        put_f32(b, m->bias[c]);
    for (size_t i = 0; i < nq; i++) {
        if (m->wbits == 8)
            put_u8(b, (unsigned)(uint8_t)(int8_t)m->wq[i]);
        else
            put_u16(b, (unsigned)(uint16_t)m->wq[i]);
    }
}

void *linear_serialize(const struct linear_model *m, size_t *len)
{
    struct bbuf body = {0}, file = {0};
    uLongf zlen;
    body_write(m, &body);
    zlen = compressBound((uLong)body.len);
    put(&file, "KMOD", 4);
    put_u32(&file, LINEAR_VERSION);
    put_u32(&file, (uint32_t)body.len);
    put_u32(&file, 0);
    put_u32(&file, 0);
    file.p = xrealloc(file.p, file.len + zlen);
    if (compress2(file.p + file.len, &zlen, body.p, (uLong)body.len, 9) != Z_OK)
        abort(); /* only on out-of-memory */
    uint32_t crc = (uint32_t)crc32(0L, file.p + file.len, (uInt)zlen);
    unsigned char *h = file.p + 12;
    for (int i = 0; i < 4; i++) {
        h[i] = (unsigned char)(zlen >> (8 * i));
        h[4 + i] = (unsigned char)(crc >> (8 * i));
    }
    free(body.p);
    *len = file.len + zlen;
    return file.p;
}

int linear_save(const struct linear_model *m, const char *path, struct kerr *err)
{
    char tmp[4200];
    size_t len;
    void *buf = linear_serialize(m, &len);
    FILE *f;
    int rc = 0;
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    if (!(f = fopen(tmp, "wb"))) {
        rc = kerr_set(err, KERR_IO, "write_failed", "", "cannot create %s: %s", tmp,
                      strerror(errno));
        goto out;
    }
    if (fwrite(buf, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc =
            kerr_set(err, KERR_IO, "write_failed", "", "cannot write %s: %s", tmp, strerror(errno));
        fclose(f);
        remove(tmp);
        goto out;
    }
    fclose(f);
    if (rename(tmp, path) < 0) {
        rc = kerr_set(err, KERR_IO, "write_failed", "", "cannot rename to %s: %s", path,
                      strerror(errno));
        remove(tmp);
    }
out:
    free(buf);
    return rc;
}

/* A bounds-checked reader over the decompressed body. */
struct rd {
    const unsigned char *p;
    size_t len, pos;
    bool bad;
};

static const unsigned char *take(struct rd *r, size_t n)
{
    if (r->bad || n > r->len - r->pos) {
        r->bad = true;
        return NULL;
    }
    r->pos += n;
    return r->p + r->pos - n;
}

static unsigned get_u8(struct rd *r)
{
    const unsigned char *c = take(r, 1);
    return c ? c[0] : 0;
}

static unsigned get_u16(struct rd *r)
{
    const unsigned char *c = take(r, 2);
    return c ? (unsigned)c[0] | (unsigned)c[1] << 8 : 0;
}

static uint32_t get_u32(struct rd *r)
{
    const unsigned char *c = take(r, 4);
    return c ? (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24
             : 0;
}

static float get_f32(struct rd *r)
{
    uint32_t v = get_u32(r);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

static uint32_t get_varint(struct rd *r)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        unsigned c = get_u8(r);
        v |= (uint32_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static int bad(struct kerr *err, const char *why)
{
    return kerr_set(err, KERR_INVALID, "bad_model", "", "not a valid kesu model: %s", why);
}

/* Parses the body into m (whose labels etc. are NULL); frees nothing on failure. */
static int body_read(struct rd *r, struct linear_model *m, struct kerr *err)
{
    struct feat_config *cfg = &m->fx.cfg;
    const unsigned char *c;
    m->kind = (enum linear_kind)get_u8(r);
    m->wbits = (int)get_u8(r);
    if (!(c = take(r, 6)))
        return bad(err, "truncated");
    *cfg = (struct feat_config){
        c[0], c[1], c[2], c[3], c[4], c[5] & FEAT_FLAG_TOK, (c[5] & FEAT_FLAG_BOUNDS) != 0};
    if (m->kind < LINEAR_SVM || m->kind > LINEAR_CS || (m->wbits != 8 && m->wbits != 16))
        return bad(err, "unknown model kind or weight size");
    if (c[5] & ~(FEAT_FLAG_TOK | FEAT_FLAG_BOUNDS))
        return bad(err, "unknown feature flags");
    if (feat_config_check(cfg, NULL) < 0)
        return bad(err, "bad feature configuration");
    m->nclass = (int)get_u16(r);
    m->nw = (int)get_u16(r);
    m->scale = get_f32(r);
    if (m->nclass < 2 || m->nclass > LINEAR_MAX_CLASS ||
        m->nw != (m->nclass == 2 ? 1 : m->nclass) || !(m->scale > 0 && m->scale < 1e6))
        return bad(err, "bad class count or scale");
    m->labels = xcalloc((size_t)m->nclass, sizeof *m->labels);
    for (int k = 0; k < m->nclass; k++) {
        size_t n = get_u16(r);
        if (!(c = take(r, n)) || n > LINEAR_MAX_LABEL)
            return bad(err, "bad label");
        m->labels[k] = xstrndup((const char *)c, n);
    }
    size_t nb = (size_t)1 << cfg->bits, nw = (size_t)m->nw;
    m->idf_lo = get_f32(r);
    m->idf_hi = get_f32(r);
    if (!(c = take(r, nb)) || !(m->idf_lo >= 0 && m->idf_hi >= m->idf_lo && m->idf_hi < 1e6))
        return bad(err, "bad IDF table");
    m->idfq = xmalloc(nb);
    memcpy(m->idfq, c, nb);
    m->idf = xmalloc(nb * sizeof *m->idf);
    linear_dequant_idf(m->idfq, cfg->bits, m->idf_lo, m->idf_hi, m->idf);
    m->nrows = get_u32(r);
    if (r->bad || m->nrows > nb || (size_t)m->nrows * nw * (size_t)(m->wbits / 8) > r->len)
        return bad(err, "bad row count");
    m->row_bucket = xmalloc(((size_t)m->nrows + 1) * sizeof *m->row_bucket);
    m->row_of = xcalloc(nb, sizeof *m->row_of);
    for (uint32_t k = 0, prev = 0; k < m->nrows; k++) {
        uint32_t d = get_varint(r);
        if ((k > 0 && d == 0) || d >= nb - prev + (k == 0) || r->bad)
            return bad(err, "bad row index");
        prev = m->row_bucket[k] = prev + d;
    }
    m->wscale = xmalloc(nw * sizeof *m->wscale);
    m->bias = xmalloc(nw * sizeof *m->bias);
    for (size_t k = 0; k < nw; k++)
        m->wscale[k] = get_f32(r);
    for (size_t k = 0; k < nw; k++)
        m->bias[k] = get_f32(r);
    for (size_t k = 0; k < nw; k++)
        if (!isfinite(m->wscale[k]) || !isfinite(m->bias[k]))
            return bad(err, "bad weight scale");
    size_t nq = (size_t)m->nrows * nw;
    if (!(c = take(r, nq * (size_t)(m->wbits / 8))))
        return bad(err, "truncated weights");
    m->wq = xmalloc((nq + 1) * sizeof *m->wq);
    for (size_t i = 0; i < nq; i++)
        m->wq[i] = m->wbits == 8 ? (int8_t)c[i] : (int16_t)(c[2 * i] | c[2 * i + 1] << 8);
    if (r->pos != r->len)
        return bad(err, "trailing bytes");
    linear_model_index(m);
    return 0;
}

int linear_load_mem(const void *buf, size_t len, struct linear_model **out, struct kerr *err)
{
    const unsigned char *p = buf;
    struct rd h = {p, len, 0, false};
    struct linear_model *m;
    unsigned char *body;
    uLongf blen;
    int rc;
    *out = NULL;
    if (len < 20 || memcmp(p, "KMOD", 4) != 0)
        return bad(err, "no KMOD header");
    take(&h, 4);
    uint32_t ver = get_u32(&h), raw = get_u32(&h), zlen = get_u32(&h), crc = get_u32(&h);
    if (ver != LINEAR_VERSION)
        return kerr_set(err, KERR_INVALID, "bad_model", "",
                        "model file version %u is not supported (this kesu reads %d)", ver,
                        LINEAR_VERSION);
    if (zlen != len - 20)
        return bad(err, "truncated or extended file");
    if ((uint32_t)crc32(0L, p + 20, (uInt)zlen) != crc)
        return bad(err, "checksum mismatch (damaged file)");
    if (raw > MAX_BODY)
        return bad(err, "body too large");
    body = xmalloc(raw + 1);
    blen = raw;
    if (uncompress(body, &blen, p + 20, zlen) != Z_OK || blen != raw) {
        free(body);
        return bad(err, "cannot decompress");
    }
    struct rd r = {body, raw, 0, false};
    m = xcalloc(1, sizeof *m);
    rc = body_read(&r, m, err);
    free(body);
    if (rc < 0) {
        linear_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

int linear_load(const char *path, struct linear_model **out, struct kerr *err)
{
    FILE *f = fopen(path, "rb");
    struct bbuf b = {0};
    char chunk[65536];
    size_t n;
    int rc;
    *out = NULL;
    if (!f)
        return kerr_set(err, KERR_IO, "open_failed", "", "cannot open model %s: %s", path,
                        strerror(errno));
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > MAX_BODY) {
            fclose(f);
            free(b.p);
            return bad(err, "file too large");
        }
        put(&b, chunk, n);
    }
    rc = ferror(f) ? kerr_set(err, KERR_IO, "read_failed", "", "cannot read %s", path) : 0;
    fclose(f);
    if (rc == 0)
        rc = linear_load_mem(b.p, b.len, out, err);
    free(b.p);
    return rc;
}

void linear_free(struct linear_model *m)
{
    if (!m)
        return;
    if (m->labels)
        for (int c = 0; c < m->nclass; c++)
            free(m->labels[c]);
    free(m->labels);
    free(m->idfq);
    free(m->idf);
    free(m->row_bucket);
    free(m->row_of);
    free(m->wscale);
    free(m->bias);
    free(m->w);
    free(m->wq);
    free(m);
}

int linear_resolve(const char *name, char *out, size_t cap, struct kerr *err)
{
    char exe[4096], dir[4096];
    const char *env = getenv("KESU_MODELS");
    size_t nl = strlen(name);
    ssize_t n;
    if (strchr(name, '/') || (nl > 5 && strcmp(name + nl - 5, ".kmod") == 0)) {
        snprintf(out, cap, "%s", name);
        return 0;
    }
    if (env && *env) {
        snprintf(out, cap, "%s/%s.kmod", env, name);
        if (access(out, R_OK) == 0)
            return 0;
    }
    snprintf(out, cap, "models/%s.kmod", name);
    if (access(out, R_OK) == 0)
        return 0;
    if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(dir, sizeof dir, "%s", exe);
            snprintf(out, cap, "%s/../../models/%s.kmod", dir, name);
            if (access(out, R_OK) == 0)
                return 0;
            snprintf(out, cap, "%s/../models/%s.kmod", dir, name);
            if (access(out, R_OK) == 0)
                return 0;
        }
    }
    return kerr_set(err, KERR_NOTFOUND, "no_model", "model",
                    "no model named %s (looked in $KESU_MODELS, ./models and next to the kesu "
                    "binary)",
                    name);
}
