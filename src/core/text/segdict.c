/*
 * segdict.c: compiling jieba's dictionary and HMM tables into kesu's binary
 * image, and opening such images. The builder reproduces jieba's
 * gen_pfdict (duplicates override the frequency but all count in the
 * total), load_userdict/add_word (a word without frequency gets
 * suggest_freq's, computed by cutting it with the dictionary as it stands
 * at that line) and finalseg's force-split set (user words of frequency 0).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/utf8.h"
#include "base/xmalloc.h"
#include "text/segdict.h"
#include "text/segdict_int.h"
#include "base/banned.h"

struct segdict {
    struct seg_lex lex;
    void *image;
    size_t size;
    bool mapped;
    uint32_t nwords;
    int64_t total;
};

/* ---- the builder's live word map: every word and every prefix of one (jieba's FREQ) ---- */

struct map_slot {
    uint32_t off, len, hash;
    bool used, force;
    int64_t freq;
};

struct segmap {
    struct map_slot *slots;
    uint32_t mask, count;
    struct strbuf pool;
    int64_t total;
};

static uint32_t hash_bytes(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void map_init(struct segmap *m)
{
    m->mask = (1u << 20) - 1;
    m->slots = xcalloc((size_t)m->mask + 1, sizeof(*m->slots));
    m->count = 0;
    m->total = 0;
    strbuf_init(&m->pool, 8u << 20);
}

static void map_release(struct segmap *m)
{
    free(m->slots);
    strbuf_release(&m->pool);
}

static struct map_slot *map_find(const struct segmap *m, const char *s, size_t len, uint32_t h)
{
    for (uint32_t i = h & m->mask;; i = (i + 1) & m->mask) {
        struct map_slot *sl = &m->slots[i];
        if (!sl->used ||
            (sl->hash == h && sl->len == len && !memcmp(m->pool.buf + sl->off, s, len)))
            return sl;
    }
}

static void map_grow(struct segmap *m)
{
    struct map_slot *old = m->slots;
    uint32_t oldn = m->mask + 1;
    m->mask = oldn * 2 - 1;
    m->slots = xcalloc((size_t)oldn * 2, sizeof(*m->slots));
    for (uint32_t i = 0; i < oldn; i++) {
        if (!old[i].used)
            continue;
        uint32_t j = old[i].hash & m->mask;
        while (m->slots[j].used)
            j = (j + 1) & m->mask;
        m->slots[j] = old[i];
    }
    free(old);
}

/* The slot of key s, inserted with frequency 0 when absent. */
static struct map_slot *map_add(struct segmap *m, const char *s, size_t len)
{
    uint32_t h = hash_bytes(s, len);
    struct map_slot *sl = map_find(m, s, len, h);
    if (sl->used)
        return sl;
    if ((m->count + 1) * 2 > m->mask + 1) {
        map_grow(m);
        sl = map_find(m, s, len, h);
    }
    sl->used = true;
    sl->off = (uint32_t)m->pool.len;
    sl->len = (uint32_t)len;
    sl->hash = h;
    strbuf_add(&m->pool, s, len);
    m->count++;
    return sl;
}

int segmap_get(const struct segmap *m, const char *s, size_t len, int64_t *freq)
{
    const struct map_slot *sl = map_find(m, s, len, hash_bytes(s, len));
    if (!sl->used)
        return 0;
    *freq = sl->freq;
    return 1;
}

/* FREQ[word] = freq; total += freq; every prefix becomes a key (jieba's add_word). */
static struct map_slot *map_set_word(struct segmap *m, const char *w, size_t len, int64_t freq)
{
    struct map_slot *sl = map_add(m, w, len);
    sl->freq = freq;
    m->total += freq;
    for (size_t i = 1; i < len; i++)
        if ((w[i] & 0xC0) != 0x80)
            map_add(m, w, i);
    return map_find(m, w, len, hash_bytes(w, len));
}

/* ---- reading sources ---- */

static int read_file(const char *path, struct strbuf *out, struct kerr *err)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;

    strbuf_reset(out);
    if (!f)
        return kerr_set(err, KERR_IO, "seg_dict_unreadable", path, "cannot open %s: %s", path,
                        strerror(errno));
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (out->len + n > SEGDICT_MAX_SOURCE) {
            fclose(f);
            return kerr_set(err, KERR_TOOLARGE, "seg_dict_too_large", path,
                            "%s is larger than %u bytes", path, SEGDICT_MAX_SOURCE);
        }
        strbuf_add(out, buf, n);
    }
    if (ferror(f)) {
        fclose(f);
        return kerr_set(err, KERR_IO, "seg_dict_unreadable", path, "cannot read %s", path);
    }
    fclose(f);
    return 0;
}

static bool is_ascii_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Python's bytes.strip(): trims ASCII whitespace at both ends of [*s, *s + *len). */
static void strip(const char **s, size_t *len)
{
    while (*len && is_ascii_space(**s))
        (*s)++, (*len)--;
    while (*len && is_ascii_space((*s)[*len - 1]))
        (*len)--;
}

/* Parses a non-negative decimal frequency of at most 18 digits (optional leading +). */
static bool parse_freq(const char *s, size_t len, int64_t *out)
{
    int64_t v = 0;
    if (len && *s == '+')
        s++, len--;
    if (!len || len > 18)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

static int bad_line(struct kerr *err, const char *path, long line, const char *why)
{
    int rc = kerr_set(err, KERR_INVALID, "seg_dict_invalid", path,
                      "invalid dictionary entry in %s at line %ld: %s", path, line, why);
    if (err)
        err->line = line;
    return rc;
}

/* jieba's gen_pfdict over dict.txt. */
static int load_main(struct segmap *m, const char *path, struct kerr *err)
{
    struct strbuf text = STRBUF_INIT;
    const char *p, *end;
    long line = 0;
    int rc = read_file(path, &text, err);

    for (p = text.buf, end = text.buf + text.len; !rc && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p;
        size_t len = (size_t)((nl ? nl : end) - p);
        p = nl ? nl + 1 : end;
        line++;
        strip(&s, &len);
        const char *sp = memchr(s, ' ', len);
        if (!sp)
            return strbuf_release(&text), bad_line(err, path, line, "no frequency");
        const char *f = sp + 1, *fe = memchr(f, ' ', len - (size_t)(f - s));
        int64_t freq;
        if (!parse_freq(f, (size_t)((fe ? fe : s + len) - f), &freq))
            return strbuf_release(&text), bad_line(err, path, line, "bad frequency");
        if (sp == s || utf8_invalid_at(s, (size_t)(sp - s)) >= 0)
            return strbuf_release(&text), bad_line(err, path, line, "bad word");
        map_set_word(m, s, (size_t)(sp - s), freq);
    }
    strbuf_release(&text);
    return rc;
}

/* ---- user dictionary (jieba.load_userdict) ---- */

static int suggest_cb(void *arg, const char *tok, size_t len);

struct suggest {
    const struct segmap *m;
    double f, ftotal;
};

/* jieba's suggest_freq(word, tune=False) with the dictionary as it stands. */
static int64_t suggest_freq(const struct segmap *m, const char *w, size_t len)
{
    struct seg_lex lx = {0};
    struct suggest sg = {m, 1.0, (double)m->total};
    int64_t cur, r;

    lx.live = m;
    lx.neg_logtotal = -log((double)m->total);
    seg_cut_lex(&lx, w, len, false, suggest_cb, &sg);
    r = (int64_t)(sg.f * (double)m->total) + 1;
    if (!segmap_get(m, w, len, &cur))
        cur = 1;
    return r > cur ? r : cur;
}

static int suggest_cb(void *arg, const char *tok, size_t len)
{
    struct suggest *sg = arg;
    int64_t g;
    if (!segmap_get(sg->m, tok, len, &g))
        g = 1;
    sg->f *= (double)g / sg->ftotal;
    return 0;
}

/*
 * Splits a stripped user-dictionary line as re_userdict
 * '^(.+?)( [0-9]+)?( [a-z]+)?$' does: the shortest word after which the rest
 * is an optional " digits" and an optional " lowercase-tag".
 */
static void split_user_line(const char *s, size_t len, size_t *wlen, const char **freq,
                            size_t *flen)
{
    size_t first = 1;
    while (first < len && ((unsigned char)s[first] & 0xC0) == 0x80)
        first++;
    for (size_t w = first; w <= len; w++) {
        if (w < len && s[w] != ' ')
            continue;
        size_t p = w, fs = 0, fl = 0;
        if (p + 1 < len && s[p] == ' ' && s[p + 1] >= '0' && s[p + 1] <= '9') {
            size_t q = p + 1;
            while (q < len && s[q] >= '0' && s[q] <= '9')
                q++;
            fs = p + 1, fl = q - p - 1, p = q;
        }
        if (p < len) {
            size_t q = p + 1;
            if (s[p] != ' ' || q >= len)
                continue;
            while (q < len && s[q] >= 'a' && s[q] <= 'z')
                q++;
            if (q != len)
                continue;
        }
        *wlen = w;
        *freq = fl ? s + fs : NULL;
        *flen = fl;
        return;
    }
    *wlen = len;
    *freq = NULL;
    *flen = 0;
}

static int load_user(struct segmap *m, const char *path, struct kerr *err)
{
    struct strbuf text = STRBUF_INIT;
    const char *p, *end;
    long line = 0;
    int rc = read_file(path, &text, err);

    for (p = text.buf, end = text.buf + text.len; !rc && p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *s = p, *fs;
        size_t len = (size_t)((nl ? nl : end) - p), wlen, flen;
        int64_t freq;
        p = nl ? nl + 1 : end;
        line++;
        strip(&s, &len);
        if (utf8_invalid_at(s, len) >= 0) {
            rc = bad_line(err, path, line, "not UTF-8");
            break;
        }
        while (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
            s += 3, len -= 3;
        if (!len)
            continue;
        split_user_line(s, len, &wlen, &fs, &flen);
        if (fs && !parse_freq(fs, flen, &freq)) {
            rc = bad_line(err, path, line, "frequency too large");
            break;
        }
        if (!fs)
            freq = suggest_freq(m, s, wlen);
        struct map_slot *sl = map_set_word(m, s, wlen, freq);
        if (freq == 0)
            sl->force = true;
    }
    strbuf_release(&text);
    return rc;
}

/* ---- HMM tables: the Python literals P={...} of finalseg/prob_*.py ---- */

struct pyparse {
    const char *p, *end;
};

static void py_skip(struct pyparse *pp)
{
    while (pp->p < pp->end && (is_ascii_space(*pp->p) || *pp->p == ','))
        pp->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Parses a one-character string literal; its code point, or -1. */
static int32_t py_char(struct pyparse *pp)
{
    char q = *pp->p++;
    int32_t cp = -1;
    int nchars = 0;

    while (pp->p < pp->end && *pp->p != q) {
        if (*pp->p == '\\' && pp->p + 1 < pp->end) {
            char e = pp->p[1];
            int digits = e == 'u' ? 4 : e == 'U' ? 8 : e == 'x' ? 2 : 0;
            pp->p += 2;
            if (!digits) {
                cp = (unsigned char)e;
            } else {
                cp = 0;
                for (int i = 0; i < digits; i++, pp->p++) {
                    if (pp->p >= pp->end || hexval(*pp->p) < 0)
                        return -1;
                    cp = cp * 16 + hexval(*pp->p);
                }
            }
        } else {
            int l = utf8_decode((const unsigned char *)pp->p, (size_t)(pp->end - pp->p), &cp);
            pp->p += l;
        }
        nchars++;
    }
    if (pp->p >= pp->end || nchars != 1)
        return -1;
    pp->p++;
    return cp;
}

static int state_of(int32_t cp)
{
    const char *s = strchr("BMES", cp > 0 && cp < 128 ? (int)cp : '?');
    return s && *s ? (int)(s - "BMES") : -1;
}

/*
 * Parses P = {key: value-or-{key: value}} and stores the values: depth 1
 * keys are states; depth 2 keys are states (trans) or characters (emit).
 */
static int parse_table(const char *text, size_t len, double *start, double *trans, double *emit,
                       long *count)
{
    struct pyparse pp = {text, text + len};
    const char *eq = strstr(text, "P=");
    int32_t key1 = -1;

    if (!eq)
        return -1;
    pp.p = eq + 2;
    py_skip(&pp);
    if (pp.p >= pp.end || *pp.p++ != '{')
        return -1;
    for (int depth = 1; depth > 0;) {
        py_skip(&pp);
        if (pp.p >= pp.end)
            return -1;
        if (*pp.p == '}') {
            pp.p++, depth--;
            continue;
        }
        if (*pp.p != '\'' && *pp.p != '"')
            return -1;
        int32_t key = py_char(&pp);
        py_skip(&pp);
        if (key < 0 || pp.p >= pp.end || *pp.p++ != ':')
            return -1;
        py_skip(&pp);
        if (pp.p < pp.end && *pp.p == '{') {
            if (depth != 1 || state_of(key) < 0)
                return -1;
            key1 = key, depth++, pp.p++;
            continue;
        }
        char *e;
        double v = strtod(pp.p, &e);
        if (e == pp.p)
            return -1;
        pp.p = e;
        if (depth == 1 && start && state_of(key) >= 0) {
            start[state_of(key)] = v;
        } else if (depth == 2 && trans && state_of(key) >= 0) {
            trans[state_of(key1) * 4 + state_of(key)] = v;
        } else if (depth == 2 && emit) {
            if (key >= SEG_HAN_FIRST && key <= SEG_HAN_LAST)
                emit[state_of(key1) * SEG_NHAN + (key - SEG_HAN_FIRST)] = v;
        } else {
            return -1;
        }
        (*count)++;
    }
    return 0;
}

static int load_hmm(const char *dir, double *hmm, struct kerr *err)
{
    static const char *const names[3] = {"prob_start.py", "prob_trans.py", "prob_emit.py"};
    static const long need[3] = {4, 8, 1000};
    struct strbuf text = STRBUF_INIT;
    char path[4096];
    int rc = 0;

    for (size_t i = 0; i < 4 + 16 + 4 * (size_t)SEG_NHAN; i++)
        hmm[i] = SEG_MIN_FLOAT;
    for (int t = 0; t < 3 && !rc; t++) {
        long count = 0;
        snprintf(path, sizeof(path), "%s/%s", dir, names[t]);
        if ((rc = read_file(path, &text, err)) < 0)
            break;
        if (parse_table(text.buf, text.len, t == 0 ? hmm : NULL, t == 1 ? hmm + 4 : NULL,
                        t == 2 ? hmm + 20 : NULL, &count) < 0 ||
            count < need[t])
            rc = kerr_set(err, KERR_INVALID, "seg_hmm_invalid", path, "%s is not a jieba HMM table",
                          path);
    }
    strbuf_release(&text);
    return rc;
}

/* ---- compiling the trie ---- */

struct cword {
    uint16_t *codes;
    uint32_t len;
    const struct map_slot *slot;
};

static int cmp_cword(const void *a, const void *b)
{
    const struct cword *x = a, *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    for (uint32_t i = 0; i < n; i++)
        if (x->codes[i] != y->codes[i])
            return x->codes[i] < y->codes[i] ? -1 : 1;
    return x->len < y->len ? -1 : x->len > y->len;
}

/* The codes of word s, or false when a character is outside the alphabet. */
static bool encode(const char *s, size_t len, uint16_t *out, uint32_t *n)
{
    *n = 0;
    for (size_t i = 0; i < len;) {
        int32_t cp;
        int l = utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (cp > 0 && cp < 128)
            out[(*n)++] = (uint16_t)cp;
        else if (cp >= SEG_HAN_FIRST && cp <= SEG_HAN_LAST)
            out[(*n)++] = (uint16_t)(128 + cp - SEG_HAN_FIRST);
        else
            return false;
        i += (size_t)l;
    }
    return *n > 0;
}

struct qitem {
    uint32_t node, lo, hi, depth;
};

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* Lays the words out as a breadth-first trie: each node's children are contiguous. */
static void build_trie(struct cword *w, uint32_t nw, size_t maxnodes, uint32_t *root,
                       struct seg_node *nodes, uint16_t *codes, uint32_t *nnodes, double logtotal)
{
    struct qitem *q = xmalloc(sizeof(*q) * (maxnodes + 1));
    size_t qh = 0, qt = 0;
    uint32_t next = 1;

    memset(nodes, 0, sizeof(*nodes));
    q[qt++] = (struct qitem){0, 0, nw, 0};
    while (qh < qt) {
        struct qitem it = q[qh++];
        struct seg_node *nd = &nodes[it.node];
        uint32_t lo = it.lo;
        if (it.node && lo < it.hi && w[lo].len == it.depth) {
            const struct map_slot *sl = w[lo].slot;
            if (sl->freq > 0) {
                nd->flags |= SEG_NODE_WORD;
                nd->logp = log((double)sl->freq) - logtotal;
            }
            if (sl->force)
                nd->flags |= SEG_NODE_FORCE_SPLIT;
            lo++;
        }
        nd->child = next;
        for (uint32_t i = lo; i < it.hi;) {
            uint16_t c = w[i].codes[it.depth];
            uint32_t j = i + 1;
            while (j < it.hi && w[j].codes[it.depth] == c)
                j++;
            memset(&nodes[next], 0, sizeof(nodes[next]));
            codes[next] = c;
            if (!it.node)
                root[c] = next;
            q[qt++] = (struct qitem){next, i, j, it.depth + 1};
            next++;
            i = j;
        }
        nd->nchild = (uint16_t)(next - nd->child);
        if (!nd->nchild)
            nd->child = 0;
    }
    *nnodes = next;
    free(q);
}

/* Compiles the map and HMM tables into an image in out. */
static void compile(const struct segmap *m, const double *hmm, struct strbuf *out)
{
    struct cword *w = xmalloc(sizeof(*w) * (m->count + 1));
    uint16_t *pool = xmalloc(sizeof(uint16_t) * (m->pool.len + 1));
    size_t used = 0, maxnodes = 1;
    uint32_t nw = 0, nforce = 0, nnodes;
    double logtotal = log((double)m->total);

    for (uint32_t i = 0; i <= m->mask; i++) {
        const struct map_slot *sl = &m->slots[i];
        if (!sl->used || (sl->freq <= 0 && !sl->force))
            continue;
        if (!encode(m->pool.buf + sl->off, sl->len, pool + used, &w[nw].len))
            continue;
        w[nw].codes = pool + used;
        w[nw].slot = sl;
        used += w[nw].len;
        maxnodes += w[nw].len;
        nforce += sl->force;
        nw++;
    }
    qsort(w, nw, sizeof(*w), cmp_cword);

    uint32_t *root = xcalloc(SEG_ALPHABET, sizeof(uint32_t));
    struct seg_node *nodes = xmalloc(sizeof(*nodes) * maxnodes);
    uint16_t *codes = xcalloc(maxnodes, sizeof(uint16_t));
    build_trie(w, nw, maxnodes, root, nodes, codes, &nnodes, logtotal);

    struct seg_header h = {0};
    memcpy(h.magic, SEG_MAGIC, 8);
    h.version = SEG_VERSION;
    h.endian = SEG_ENDIAN_MARK;
    h.nnodes = nnodes;
    h.nwords = nw;
    h.nforce = nforce;
    h.alphabet = SEG_ALPHABET;
    h.total = m->total;
    h.logtotal = logtotal;
    h.off_root = align8(sizeof(h));
    h.off_nodes = align8(h.off_root + SEG_ALPHABET * sizeof(uint32_t));
    h.off_codes = h.off_nodes + (uint64_t)nnodes * sizeof(struct seg_node);
    h.off_hmm = align8(h.off_codes + (uint64_t)nnodes * sizeof(uint16_t));
    h.size = h.off_hmm + (4 + 16 + 4 * (uint64_t)SEG_NHAN) * sizeof(double);

    strbuf_reset(out);
    strbuf_grow(out, h.size);
    memset(out->buf, 0, h.size);
    memcpy(out->buf, &h, sizeof(h));
    memcpy(out->buf + h.off_root, root, SEG_ALPHABET * sizeof(uint32_t));
    memcpy(out->buf + h.off_nodes, nodes, (size_t)nnodes * sizeof(struct seg_node));
    memcpy(out->buf + h.off_codes, codes, (size_t)nnodes * sizeof(uint16_t));
    memcpy(out->buf + h.off_hmm, hmm, (4 + 16 + 4 * (size_t)SEG_NHAN) * sizeof(double));
    strbuf_setlen(out, h.size);
    free(root);
    free(nodes);
    free(codes);
    free(w);
    free(pool);
}

int segdict_build(const struct segdict_src *src, struct strbuf *out, struct kerr *err)
{
    struct segmap m;
    double *hmm = xmalloc((4 + 16 + 4 * (size_t)SEG_NHAN) * sizeof(double));
    const char *dict = src->dict ? src->dict : SEGDICT_DEFAULT_DICT;
    int rc;

    map_init(&m);
    rc = load_main(&m, dict, err);
    if (!rc && m.total <= 0)
        rc = kerr_set(err, KERR_INVALID, "seg_dict_invalid", dict, "%s has no words", dict);
    if (!rc)
        rc = load_hmm(src->hmm_dir ? src->hmm_dir : SEGDICT_DEFAULT_HMM, hmm, err);
    if (!rc && src->user_dict)
        rc = load_user(&m, src->user_dict, err);
    if (!rc)
        compile(&m, hmm, out);
    map_release(&m);
    free(hmm);
    return rc;
}

/* ---- opening images ---- */

static int check_image(const void *image, size_t size, const char *what, struct kerr *err)
{
    const struct seg_header *h = image;
    if (size < sizeof(*h) || memcmp(h->magic, SEG_MAGIC, 8) != 0)
        return kerr_set(err, KERR_INVALID, "seg_dict_invalid", what,
                        "%s is not a compiled kesu dictionary", what);
    if (h->version != SEG_VERSION || h->endian != SEG_ENDIAN_MARK || h->alphabet != SEG_ALPHABET)
        return kerr_set(err, KERR_INVALID, "seg_dict_version", what,
                        "%s was compiled by another version of kesu; rebuild it", what);
    if (h->size != size || h->nnodes == 0 || h->off_root != align8(sizeof(*h)) ||
        h->off_nodes != align8(h->off_root + SEG_ALPHABET * sizeof(uint32_t)) ||
        h->off_codes != h->off_nodes + (uint64_t)h->nnodes * sizeof(struct seg_node) ||
        h->off_hmm != align8(h->off_codes + (uint64_t)h->nnodes * sizeof(uint16_t)) ||
        h->size != h->off_hmm + (4 + 16 + 4 * (uint64_t)SEG_NHAN) * sizeof(double))
        return kerr_set(err, KERR_INVALID, "seg_dict_damaged", what, "%s is damaged", what);
    const char *base = image;
    const uint32_t *root = (const uint32_t *)(base + h->off_root);
    const struct seg_node *nodes = (const struct seg_node *)(base + h->off_nodes);
    const uint16_t *codes = (const uint16_t *)(base + h->off_codes);
    for (uint32_t c = 0; c < SEG_ALPHABET; c++)
        if (root[c] >= h->nnodes || (root[c] && codes[root[c]] != c))
            return kerr_set(err, KERR_INVALID, "seg_dict_damaged", what, "%s is damaged", what);
    for (uint32_t i = 0; i < h->nnodes; i++)
        if ((uint64_t)nodes[i].child + nodes[i].nchild > h->nnodes ||
            (nodes[i].nchild && nodes[i].child <= i) || codes[i] >= SEG_ALPHABET)
            return kerr_set(err, KERR_INVALID, "seg_dict_damaged", what, "%s is damaged", what);
    return 0;
}

static struct segdict *wrap(void *image, size_t size, bool mapped)
{
    const struct seg_header *h = image;
    const char *base = image;
    struct segdict *d = xcalloc(1, sizeof(*d));

    d->image = image;
    d->size = size;
    d->mapped = mapped;
    d->nwords = h->nwords;
    d->total = h->total;
    d->lex.root = (const uint32_t *)(base + h->off_root);
    d->lex.nodes = (const struct seg_node *)(base + h->off_nodes);
    d->lex.codes = (const uint16_t *)(base + h->off_codes);
    d->lex.nnodes = h->nnodes;
    d->lex.nforce = h->nforce;
    d->lex.neg_logtotal = 0.0 - h->logtotal;
    d->lex.start = (const double *)(base + h->off_hmm);
    d->lex.trans = d->lex.start + 4;
    d->lex.emit = d->lex.start + 20;
    return d;
}

struct segdict *segdict_from_image(struct strbuf *image, struct kerr *err)
{
    size_t len;
    if (check_image(image->buf, image->len, "the dictionary image", err) < 0)
        return NULL;
    void *p = strbuf_detach(image, &len);
    return wrap(p, len, false);
}

struct segdict *segdict_open(const char *path, struct kerr *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    void *p;

    if (fd < 0) {
        kerr_set(err, KERR_IO, "seg_dict_unreadable", path, "cannot open %s: %s", path,
                 strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) < 0 || st.st_size < (off_t)sizeof(struct seg_header)) {
        close(fd);
        kerr_set(err, KERR_INVALID, "seg_dict_invalid", path,
                 "%s is not a compiled kesu dictionary", path);
        return NULL;
    }
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
        kerr_set(err, KERR_IO, "seg_dict_unreadable", path, "cannot map %s: %s", path,
                 strerror(errno));
        return NULL;
    }
    if (check_image(p, (size_t)st.st_size, path, err) < 0) {
        munmap(p, (size_t)st.st_size);
        return NULL;
    }
    return wrap(p, (size_t)st.st_size, true);
}

void segdict_close(struct segdict *d)
{
    if (!d)
        return;
    if (d->mapped)
        munmap(d->image, d->size);
    else
        free(d->image);
    free(d);
}

void segdict_get_info(const struct segdict *d, struct segdict_info *info)
{
    info->words = d->nwords;
    info->nodes = d->lex.nnodes;
    info->total = d->total;
    info->bytes = d->size;
    info->mapped = d->mapped;
}

const struct seg_lex *segdict_lex(const struct segdict *d)
{
    return &d->lex;
}

bool segdict_is_compiled(const char *path)
{
    char magic[8];
    FILE *f = fopen(path, "rb");
    bool yes = f && fread(magic, 1, 8, f) == 8 && !memcmp(magic, SEG_MAGIC, 8);
    if (f)
        fclose(f);
    return yes;
}

static int write_image(const struct strbuf *img, const char *path, struct kerr *err)
{
    char tmp[4096];
    FILE *f;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
        return kerr_set(err, KERR_INVALID, "path_too_long", path, "path too long");
    if (!(f = fopen(tmp, "wb")))
        return kerr_set(err, KERR_IO, "seg_dict_unwritable", path, "cannot write %s: %s", tmp,
                        strerror(errno));
    if (fwrite(img->buf, 1, img->len, f) != img->len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
        fclose(f);
        unlink(tmp);
        return kerr_set(err, KERR_IO, "seg_dict_unwritable", path, "cannot write %s", tmp);
    }
    fclose(f);
    if (rename(tmp, path) < 0) {
        unlink(tmp);
        return kerr_set(err, KERR_IO, "seg_dict_unwritable", path, "cannot rename %s: %s", tmp,
                        strerror(errno));
    }
    return 0;
}

int segdict_build_file(const struct segdict_src *src, const char *path, struct kerr *err)
{
    struct strbuf img = STRBUF_INIT;
    int rc = segdict_build(src, &img, err);
    if (!rc)
        rc = write_image(&img, path, err);
    strbuf_release(&img);
    return rc;
}

/* Mixes a file's identity (path, size, modification time) into a 64-bit FNV-1a key. */
static uint64_t key_file(uint64_t h, const char *path)
{
    struct stat st;
    char buf[8192];
    int n;

    if (stat(path, &st) < 0)
        memset(&st, 0, sizeof(st));
    n = snprintf(buf, sizeof(buf), "%s|%lld|%lld.%09ld|%llu;", path, (long long)st.st_size,
                 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (unsigned long long)st.st_ino);
    for (int i = 0; i < n && i < (int)sizeof(buf); i++)
        h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
    return h;
}

/* mkdir -p dir; true when it exists afterwards. */
static bool make_dirs(const char *dir)
{
    char p[4096];
    size_t n = strlen(dir);

    if (n == 0 || n >= sizeof(p))
        return false;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        char c = p[i];
        p[i] = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            return false;
        p[i] = c;
    }
    return true;
}

struct segdict *segdict_load(const struct segdict_src *src, const char *cache_dir, struct kerr *err)
{
    const char *dict = src->dict ? src->dict : SEGDICT_DEFAULT_DICT;
    const char *hmm = src->hmm_dir ? src->hmm_dir : SEGDICT_DEFAULT_HMM;
    static const char *const hmm_files[3] = {"prob_start.py", "prob_trans.py", "prob_emit.py"};
    char path[4096], file[4096];
    struct strbuf img = STRBUF_INIT;
    struct segdict *d = NULL;
    uint64_t h = 14695981039346656037ull ^ SEG_VERSION;

    h = key_file(h, dict);
    for (int i = 0; i < 3; i++) {
        snprintf(file, sizeof(file), "%s/%s", hmm, hmm_files[i]);
        h = key_file(h, file);
    }
    if (src->user_dict)
        h = key_file(h, src->user_dict);
    if (cache_dir) {
        snprintf(path, sizeof(path), "%s/segdict-%016llx.bin", cache_dir, (unsigned long long)h);
        if (access(path, R_OK) == 0 && (d = segdict_open(path, NULL)))
            return d;
    }
    if (segdict_build(src, &img, err) < 0) {
        strbuf_release(&img);
        return NULL;
    }
    if (cache_dir && make_dirs(cache_dir))
        write_image(&img, path, NULL);
    d = segdict_from_image(&img, err);
    strbuf_release(&img);
    return d;
}
