/*
 * nlp: the analysis stages at intake (see nlp.h). This file loads the shared
 * parts (segmenter dictionary, sentiment models, IDF table and stop words,
 * taxonomy and its model) and runs them on one record; the work itself is
 * in text/ (seg, linear, keywords, taxonomy).
 */
#include "intake/nlp.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/embedded.h"
#include "base/jsonw.h"
#include "base/utf8.h"
#include "base/xmalloc.h"
#include "text/keywords.h"
#include "text/linear.h"
#include "text/seg.h"
#include "text/segdict.h"
#include "text/taxonomy.h"
#include "base/banned.h"

#define JIEBA_IDF    "/usr/lib/python3/dist-packages/jieba/analyse/idf.txt"
#define MAX_FILE     (64u << 20)
#define NEUTRAL_BAND 0.2

/* A taxonomy with the model it names, replaced as a whole. */
struct tax_set {
    struct taxonomy *tax;
    struct linear_model *model;
    char *doc;
    size_t len;
};

/* Working memory of one thread, kept between records (pthread key, freed at thread exit). */
struct nlp_scratch {
    struct linear_ctx lc;
    struct kw_scratch kw;
    /* The text kw holds the tokens of, during one nlp_analyze (else NULL). */
    const char *cut_text;
    size_t cut_len;
};

struct nlp {
    pthread_key_t key;
    bool have_key;
    struct segdict *dict;
    struct linear_model *sent_zh, *sent_en;
    struct kw_idf *idf;
    pthread_rwlock_t lock; /* guards cur */
    struct tax_set *cur;
    char tax_path[4200];
};

const char *nlp_default_taxonomy(size_t *len)
{
    const struct embedded_file *f = embedded_find("config/taxonomy.json");
    *len = f ? f->len : 0;
    return f ? f->data : "";
}

static int read_file(const char *path, struct strbuf *out, struct kerr *err)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;
    if (!f)
        return kerr_set(err, KERR_IO, "io", path, "cannot open %s: %s", path, strerror(errno));
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (out->len + n > MAX_FILE) {
            fclose(f);
            return kerr_set(err, KERR_TOOLARGE, "too_large", path, "%s is too large", path);
        }
        strbuf_add(out, buf, n);
    }
    fclose(f);
    return 0;
}

static struct nlp_scratch *scratch(struct nlp *n);

/*
 * The tokenizer of models trained on segmenter words: within nlp_analyze the
 * keyword stage has already cut the text, and its tokens are replayed (the
 * same cut, HMM on); any other text is cut here.
 */
static void nlp_tok(void *ctx, const char *s, size_t len, feat_emit_fn emit, void *arg)
{
    struct nlp *n = ctx;
    struct nlp_scratch *sc = scratch(n);
    if (sc->cut_text == s && sc->cut_len == len && kw_scratch_replay(&sc->kw, emit, arg) == 0)
        return;
    seg_feat_tok(n->dict, s, len, emit, arg);
}

/* Loads a model; one trained on segmenter words cuts with n's dictionary (nlp_tok). */
static int load_model(const char *name, struct nlp *n, struct linear_model **out, const char *what,
                      struct kerr *err)
{
    char path[4096];
    struct kerr e;
    kerr_clear(&e);
    if (linear_resolve(name, path, sizeof path, &e) < 0 || linear_load(path, out, &e) < 0)
        return kerr_set(err, KERR_INVALID, "invalid_field", what, "%s model %s: %s", what, name,
                        e.message);
    if (linear_config(*out)->use_tok)
        linear_set_tokenizer(*out, nlp_tok, n);
    return 0;
}

static void tax_set_free(struct tax_set *s)
{
    if (!s)
        return;
    taxonomy_free(s->tax);
    linear_free(s->model);
    free(s->doc);
    free(s);
}

/* Parses a document and loads its model; checks that the model's labels fit the tree. */
static int tax_set_make(struct nlp *n, const char *json, size_t len, struct tax_set **out,
                        struct kerr *err)
{
    struct tax_set *s = xcalloc(1, sizeof(*s));
    int rc;
    if ((rc = taxonomy_parse(json, len, &s->tax, err)) < 0)
        goto fail;
    if (taxonomy_model(s->tax)) {
        struct tax_category c;
        int fits = 0;
        if ((rc = load_model(taxonomy_model(s->tax), n, &s->model, "model", err)) < 0)
            goto fail;
        for (int i = 0; i < linear_nclass(s->model); i++)
            fits += taxonomy_find(s->tax, linear_label(s->model, i), &c);
        if (!fits) {
            rc = kerr_set(err, KERR_INVALID, "invalid_field", "model",
                          "none of the labels of model %s is a category of this taxonomy",
                          taxonomy_model(s->tax));
            goto fail;
        }
    }
    s->doc = xmalloc(len + 1);
    memcpy(s->doc, json, len);
    s->doc[len] = 0;
    s->len = len;
    *out = s;
    return 0;
fail:
    tax_set_free(s);
    return rc;
}

static int load_idf(struct nlp *n, const struct nlp_opts *o, struct kerr *err)
{
    struct strbuf buf = STRBUF_INIT;
    char own[4200];
    const char *path = o->idf_path;
    const struct embedded_file *stop;
    int rc;
    if (!path) {
        snprintf(own, sizeof own, "%s/idf.txt", o->data_dir);
        path = access(own, R_OK) == 0 ? own : JIEBA_IDF;
    }
    if ((rc = read_file(path, &buf, err)) == 0)
        rc = kw_idf_parse(buf.buf, buf.len, &n->idf, err);
    strbuf_release(&buf);
    if (rc < 0)
        return rc;
    if ((stop = embedded_find("config/stopwords.txt")))
        kw_idf_stopwords(n->idf, stop->data, stop->len);
    return 0;
}

static void scratch_free(void *p)
{
    struct nlp_scratch *sc = p;
    if (!sc)
        return;
    linear_ctx_release(&sc->lc);
    kw_scratch_release(&sc->kw);
    free(sc);
}

static struct nlp_scratch *scratch(struct nlp *n)
{
    struct nlp_scratch *sc = pthread_getspecific(n->key);
    if (!sc) {
        sc = xcalloc(1, sizeof(*sc));
        pthread_setspecific(n->key, sc);
    }
    return sc;
}

int nlp_open(const struct nlp_opts *o, struct nlp **out, struct kerr *err)
{
    struct nlp *n = xcalloc(1, sizeof(*n));
    struct segdict_src src = SEGDICT_SRC_DEFAULT;
    struct strbuf doc = STRBUF_INIT;
    char cache[4200];
    const char *zh = o->sentiment_zh ? o->sentiment_zh : "sentiment-zh",
               *en = o->sentiment_en ? o->sentiment_en : "sentiment-en";
    int rc = 0;

    pthread_rwlock_init(&n->lock, NULL);
    if (pthread_key_create(&n->key, scratch_free) != 0) {
        rc = kerr_set(err, KERR_INTERNAL, "internal", "nlp", "cannot create a thread key");
        goto fail;
    }
    n->have_key = true;
    if (o->seg_dict)
        src.dict = o->seg_dict;
    snprintf(cache, sizeof cache, "%s/cache", o->data_dir);
    n->dict = segdict_is_compiled(src.dict) ? segdict_open(src.dict, err)
                                            : segdict_load(&src, cache, err);
    if (!n->dict) {
        rc = KERR_IO;
        goto fail;
    }
    if ((*zh && (rc = load_model(zh, n, &n->sent_zh, "sentiment", err)) < 0) ||
        (*en && (rc = load_model(en, n, &n->sent_en, "sentiment", err)) < 0) ||
        (rc = load_idf(n, o, err)) < 0)
        goto fail;
    if (o->taxonomy_path)
        snprintf(n->tax_path, sizeof n->tax_path, "%s", o->taxonomy_path);
    else
        snprintf(n->tax_path, sizeof n->tax_path, "%s/taxonomy.json", o->data_dir);
    if (access(n->tax_path, F_OK) == 0) {
        if ((rc = read_file(n->tax_path, &doc, err)) < 0)
            goto fail;
    } else {
        size_t len;
        const char *def = nlp_default_taxonomy(&len);
        strbuf_add(&doc, def, len);
    }
    if ((rc = tax_set_make(n, doc.buf, doc.len, &n->cur, err)) < 0) {
        if (err) {
            struct strbuf m = STRBUF_INIT;
            strbuf_addf(&m, "%s: %s", n->tax_path, err->message);
            memcpy(err->message, m.buf,
                   m.len < sizeof err->message ? m.len + 1 : sizeof err->message);
            err->message[sizeof err->message - 1] = 0;
            strbuf_release(&m);
        }
        goto fail;
    }
    strbuf_release(&doc);
    *out = n;
    return 0;
fail:
    strbuf_release(&doc);
    nlp_free(n);
    return rc;
}

void nlp_free(struct nlp *n)
{
    if (!n)
        return;
    if (n->have_key) { /* this thread's scratch; other threads freed theirs at exit */
        scratch_free(pthread_getspecific(n->key));
        pthread_setspecific(n->key, NULL);
        pthread_key_delete(n->key);
    }
    tax_set_free(n->cur);
    linear_free(n->sent_zh);
    linear_free(n->sent_en);
    kw_idf_free(n->idf);
    if (n->dict)
        segdict_close(n->dict);
    pthread_rwlock_destroy(&n->lock);
    free(n);
}

const struct segdict *nlp_segdict(const struct nlp *n)
{
    return n->dict;
}

const struct kw_idf *nlp_idf(const struct nlp *n)
{
    return n->idf;
}

void nlp_taxonomy_get(struct nlp *n, struct strbuf *out)
{
    pthread_rwlock_rdlock(&n->lock);
    strbuf_add(out, n->cur->doc, n->cur->len);
    pthread_rwlock_unlock(&n->lock);
}

/* Writes path durably: a temporary file, fsync, rename, fsync of the directory. */
static int write_atomic(const char *path, const char *data, size_t len, struct kerr *err)
{
    char tmp[4300], dir[4200], *slash;
    int fd, ok;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return kerr_set(err, KERR_IO, "io", "taxonomy", "cannot write %s: %s", tmp,
                        strerror(errno));
    ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
    ok = (close(fd) == 0) && ok;
    if (!ok || rename(tmp, path) < 0) {
        unlink(tmp);
        return kerr_set(err, KERR_IO, "io", "taxonomy", "cannot write %s: %s", path,
                        strerror(errno));
    }
    snprintf(dir, sizeof dir, "%s", path);
    if ((slash = strrchr(dir, '/')))
        *slash = 0;
    else
        snprintf(dir, sizeof dir, ".");
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        fsync(fd);
        close(fd);
    }
    return 0;
}

int nlp_taxonomy_set(struct nlp *n, const char *json, size_t len, struct kerr *err)
{
    struct tax_set *s, *old;
    int rc;
    if ((rc = tax_set_make(n, json, len, &s, err)) < 0)
        return rc;
    pthread_rwlock_wrlock(&n->lock);
    if ((rc = write_atomic(n->tax_path, json, len, err)) < 0) {
        pthread_rwlock_unlock(&n->lock);
        tax_set_free(s);
        return rc;
    }
    old = n->cur;
    n->cur = s;
    pthread_rwlock_unlock(&n->lock);
    tax_set_free(old);
    return 0;
}

/* ---- the stages ------------------------------------------------------------ */

static bool has_han(const char *s, size_t len)
{
    for (size_t i = 0; i + 2 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0xE4 && c <= 0xE9) /* U+4E00..U+9FFF lead bytes */
            return true;
    }
    return false;
}

static void set_str(char **field, const char *v)
{
    free(*field);
    *field = v ? xstrdup(v) : NULL;
}

/* A result set by a person or brought by the record (manual, import): analysis keeps it. */
static bool is_kept(const char *source)
{
    return source && strcmp(source, "rule") != 0 && strcmp(source, "model") != 0;
}

/* Sentiment: fills the record and returns P(negative) (or -1). */
static double sentiment(struct nlp *n, struct record *r, const char *text, size_t len)
{
    struct linear_model *m = has_han(text, len) ? n->sent_zh : n->sent_en;
    struct linear_ctx *ctx = &scratch(n)->lc;
    struct linear_pred top[8];
    double pneg = 0, ppos = 0, score;
    int got, ineu;
    if (!m || !len)
        return -1;
    got = linear_predict(m, ctx, text, len, top, 8);
    for (int i = 0; i < got; i++) {
        const char *l = linear_label(m, top[i].label);
        if (strcmp(l, "negative") == 0)
            pneg = top[i].score;
        else if (strcmp(l, "positive") == 0)
            ppos = top[i].score;
    }
    score = ppos - pneg;
    ineu = linear_label_index(m, "neutral");
    free(r->sentiment);
    if (ineu >= 0)
        r->sentiment = xstrdup(linear_label(m, top[0].label));
    else
        r->sentiment = xstrdup(score < -NEUTRAL_BAND  ? "negative"
                               : score > NEUTRAL_BAND ? "positive"
                                                      : "neutral");
    r->sentiment_score = round(score * 10000) / 10000;
    return pneg;
}

static void category(struct nlp *n, const struct tax_set *ts, struct record *r, const char *text,
                     size_t len, struct tax_category c)
{
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    const char *source = NULL;

    jsonw_init(&w, &sb);
    jsonw_arr(&w);
    for (int i = 0; i < c.nfired; i++)
        jsonw_str(&w, c.fired[i]);
    jsonw_end(&w);
    free(r->category_rules);
    r->category_rules = c.nfired ? strbuf_detach(&sb, NULL) : NULL;
    strbuf_release(&sb);
    if (is_kept(r->category_source))
        return;
    if (c.depth)
        source = "rule";
    else if (ts->model && len) {
        struct linear_pred top;
        struct tax_category mc;
        linear_predict(ts->model, &scratch(n)->lc, text, len, &top, 1);
        if (top.score >= taxonomy_model_min(ts->tax) &&
            taxonomy_find(ts->tax, linear_label(ts->model, top.label), &mc)) {
            memcpy(c.level, mc.level, sizeof c.level);
            c.depth = mc.depth;
            c.confidence = top.score;
            source = "model";
        }
    }
    set_str(&r->category_l1, c.level[0]);
    set_str(&r->category_l2, c.level[1]);
    set_str(&r->category_l3, c.level[2]);
    set_str(&r->category_source, source);
    r->category_confidence = source ? round(c.confidence * 10000) / 10000 : NAN;
}

static void severity(struct record *r, const struct tax_severity *sv)
{
    const struct tax_severity s = *sv;
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;

    jsonw_init(&w, &sb);
    jsonw_arr(&w);
    for (int i = 0; i < s.nreasons; i++)
        jsonw_str(&w, s.reasons[i]);
    jsonw_end(&w);
    free(r->severity_reasons);
    r->severity_reasons = s.nreasons ? strbuf_detach(&sb, NULL) : NULL;
    strbuf_release(&sb);
    if (is_kept(r->severity_source))
        return;
    set_str(&r->severity, tax_level_name(s.level));
    set_str(&r->severity_source, "rule");
}

static void keywords(struct nlp *n, struct record *r, const char *text, size_t len)
{
    struct kw_item top[NLP_KEYWORDS];
    struct strbuf sb = STRBUF_INIT;
    struct jsonw w;
    int k = kw_tfidf(n->idf, n->dict, text, len, top, NLP_KEYWORDS, &scratch(n)->kw);
    jsonw_init(&w, &sb);
    jsonw_arr(&w);
    for (int i = 0; i < k; i++)
        jsonw_strn(&w, top[i].w, top[i].len);
    jsonw_end(&w);
    free(r->keywords);
    r->keywords = k ? strbuf_detach(&sb, NULL) : NULL;
    strbuf_release(&sb);
}

void nlp_analyze(struct nlp *n, struct record *r)
{
    struct strbuf text = STRBUF_INIT;
    const char *body = r->clean_text ? r->clean_text : r->text;
    double pneg;

    /* a category that came in with the record (an import's own labels) is a person's */
    if (r->category_l1 && !r->category_source) {
        set_str(&r->category_source, "manual");
        r->category_confidence = 1;
    }
    if (r->title && *r->title) {
        strbuf_addstr(&text, r->title);
        strbuf_addch(&text, '\n');
    }
    if (body)
        strbuf_addstr(&text, body);
    if (!text.len) {
        strbuf_release(&text);
        return;
    }
    /* Keywords first: the models trained on segmenter words reuse their cut (nlp_tok). */
    keywords(n, r, text.buf, text.len);
    scratch(n)->cut_text = text.buf;
    scratch(n)->cut_len = text.len;
    pneg = sentiment(n, r, text.buf, text.len);
    {
        struct tax_severity_in in = {pneg, r->repeat_count > 0 ? (long)r->repeat_count : 0};
        struct tax_category cat;
        struct tax_severity sev;
        pthread_rwlock_rdlock(&n->lock);
        taxonomy_analyze(n->cur->tax, text.buf, text.len, &in, &cat, &sev);
        category(n, n->cur, r, text.buf, text.len, cat);
        severity(r, &sev);
        pthread_rwlock_unlock(&n->lock);
    }
    scratch(n)->cut_text = NULL; /* the buffer is freed; another may come at its address */
    strbuf_release(&text);
}
