/*
 * taxonomy: category and severity rules as data (see taxonomy.h). The
 * document is parsed once into flat arrays: nodes (each with its parent and
 * depth) and rules (each pointing at its node, or carrying a severity
 * level). Matching lower-cases the ASCII letters of the text once, then
 * tests each rule's terms with memmem; the default taxonomy has a few
 * hundred terms, a few microseconds per short complaint.
 */
#include "text/taxonomy.h"

#include <ctype.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/json.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "base/banned.h"

struct terms {
    char **v;
    uint32_t *id; /* index into the taxonomy's term table */
    size_t n;
};

#define TERM_BUCKETS 4096

struct rule {
    char *id;
    struct terms any, all, none;
    regex_t re;
    bool has_re;
    int priority;
    double confidence;
    int node;  /* category rules: index into nodes; -1 for severity rules */
    int level; /* severity rules */
};

struct node {
    char *name;
    int parent; /* -1 at the top */
    int depth;  /* 1..3 */
};

struct step {
    double min;
    int level;
};

struct taxonomy {
    char *model;
    double model_min;
    struct node *nodes;
    size_t nnodes, capnodes;
    struct rule *rules; /* category rules first, then severity rules */
    size_t nrules, caprules, ncat;
    struct step amounts[8], repeats[8];
    int namounts, nrepeats;
    double neg_min;
    int neg_level; /* -1: none */
    int esc_high;  /* 0: no escalation */
    int esc_level;
    /* every term of every rule, indexed by its first character (see scan_terms) */
    const char **tv;
    uint32_t *tl;
    size_t nterms;
    uint32_t bstart[TERM_BUCKETS + 1];
    uint32_t *bterms;
};

static const char *const level_names[] = {"low", "medium", "high", "critical"};

const char *tax_level_name(enum tax_level l)
{
    return (int)l >= 0 && (int)l < 4 ? level_names[l] : "low";
}

int tax_level_parse(const char *s)
{
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

static void lower_ascii(char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 'A' && s[i] <= 'Z')
            s[i] = (char)(s[i] - 'A' + 'a');
}

/* ---- parsing --------------------------------------------------------------- */

#define PATHN 256

/* KERR_INVALID naming the member at path; msg says what is wrong with it. */
static int bad(struct kerr *err, const char *path, const char *msg)
{
    return kerr_set(err, KERR_INVALID, "invalid_field", path, "%s %s", path, msg);
}

/* out = base + suffix (suffix a member ".any" or an index "[3]"), cut to PATHN. */
static void path_cat(char out[PATHN], const char *base, const char *suffix, int index)
{
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, base);
    if (index >= 0)
        strbuf_addf(&sb, "[%d]", index);
    else
        strbuf_addstr(&sb, suffix);
    size_t n = sb.len < PATHN - 1 ? sb.len : PATHN - 1;
    memcpy(out, sb.buf, n);
    out[n] = 0;
    strbuf_release(&sb);
}

static int parse_terms(const cJSON *arr, const char *path, struct terms *t, struct kerr *err)
{
    const cJSON *it;
    size_t n = 0;
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return bad(err, path, "must be an array of strings");
    if ((size_t)cJSON_GetArraySize(arr) > TAX_MAX_TERMS)
        return bad(err, path, "has too many terms");
    t->v = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(char *));
    t->id = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(uint32_t));
    cJSON_ArrayForEach(it, arr)
    {
        if (!cJSON_IsString(it) || !*it->valuestring || strlen(it->valuestring) > 200)
            return bad(err, path, "must hold non-empty strings of at most 200 bytes");
        t->v[n] = xstrdup(it->valuestring);
        lower_ascii(t->v[n], strlen(t->v[n]));
        t->n = ++n;
    }
    return 0;
}

static int parse_rule(struct taxonomy *t, const cJSON *o, const char *path, int node,
                      const char *node_path, int idx, struct kerr *err)
{
    char p[PATHN];
    struct rule *r;
    const cJSON *v;
    int rc;

    if (!cJSON_IsObject(o))
        return bad(err, path, "must be an object");
    if (t->nrules >= TAX_MAX_RULES)
        return bad(err, path, "too many rules");
    if (t->nrules == t->caprules) {
        t->caprules = t->caprules ? 2 * t->caprules : 64;
        t->rules = xrealloc(t->rules, t->caprules * sizeof(*t->rules));
    }
    r = &t->rules[t->nrules++];
    memset(r, 0, sizeof(*r));
    r->node = node;
    r->confidence = 0.9;
    path_cat(p, path, ".any", -1);
    if ((rc = parse_terms(cJSON_GetObjectItemCaseSensitive(o, "any"), p, &r->any, err)) < 0)
        return rc;
    path_cat(p, path, ".all", -1);
    if ((rc = parse_terms(cJSON_GetObjectItemCaseSensitive(o, "all"), p, &r->all, err)) < 0)
        return rc;
    path_cat(p, path, ".none", -1);
    if ((rc = parse_terms(cJSON_GetObjectItemCaseSensitive(o, "none"), p, &r->none, err)) < 0)
        return rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(o, "regex"))) {
        path_cat(p, path, ".regex", -1);
        if (!cJSON_IsString(v) || strlen(v->valuestring) > 1000)
            return bad(err, p, "must be a string of at most 1000 bytes");
        if (regcomp(&r->re, v->valuestring, REG_EXTENDED | REG_NOSUB | REG_ICASE) != 0)
            return bad(err, p, "is not a valid POSIX extended regular expression");
        r->has_re = true;
    }
    if (!r->any.n && !r->all.n && !r->has_re)
        return bad(err, path, "needs at least one of any, all or regex");
    if ((v = cJSON_GetObjectItemCaseSensitive(o, "priority"))) {
        path_cat(p, path, ".priority", -1);
        if (!cJSON_IsNumber(v) || v->valuedouble < -1000 || v->valuedouble > 1000)
            return bad(err, p, "must be a number in [-1000, 1000]");
        r->priority = (int)v->valuedouble;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(o, "confidence"))) {
        path_cat(p, path, ".confidence", -1);
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) || v->valuedouble > 1)
            return bad(err, p, "must be a number in (0, 1]");
        r->confidence = v->valuedouble;
    }
    if (node < 0) {
        v = cJSON_GetObjectItemCaseSensitive(o, "level");
        path_cat(p, path, ".level", -1);
        if (!cJSON_IsString(v) || (r->level = tax_level_parse(v->valuestring)) < 0)
            return bad(err, p, "must be low, medium, high or critical");
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(o, "id"))) {
        path_cat(p, path, ".id", -1);
        if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > 64)
            return bad(err, p, "must be a string of 1 to 64 bytes");
        r->id = xstrdup(v->valuestring);
    } else {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addf(&sb, "%s#%d", node_path, idx + 1);
        r->id = strbuf_detach(&sb, NULL);
    }
    return 0;
}

static int parse_rules(struct taxonomy *t, const cJSON *arr, const char *path, int node,
                       const char *node_path, struct kerr *err)
{
    char p[PATHN];
    const cJSON *it;
    int i = 0, rc;
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return bad(err, path, "must be an array");
    cJSON_ArrayForEach(it, arr)
    {
        path_cat(p, path, NULL, i);
        if ((rc = parse_rule(t, it, p, node, node_path, i, err)) < 0)
            return rc;
        i++;
    }
    return 0;
}

static int parse_nodes(struct taxonomy *t, const cJSON *arr, const char *path, int parent,
                       int depth, const char *parent_path, struct kerr *err)
{
    char p[PATHN], rp[PATHN];
    const cJSON *it;
    int i = 0, rc;

    if (!cJSON_IsArray(arr))
        return bad(err, path, "must be an array of categories");
    if (depth > TAX_MAX_DEPTH && cJSON_GetArraySize(arr) > 0)
        return bad(err, path, "at most three levels of categories");
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name"), *kids;
        struct strbuf np = STRBUF_INIT;
        int me;
        path_cat(p, path, NULL, i++);
        if (!cJSON_IsObject(it))
            return bad(err, p, "must be an object");
        if (!cJSON_IsString(name) || !*name->valuestring ||
            strlen(name->valuestring) > TAX_MAX_NAME || strpbrk(name->valuestring, "/>")) {
            path_cat(rp, p, ".name", -1);
            return bad(err, rp, "must be 1 to 64 bytes without '/' or '>'");
        }
        for (size_t j = 0; j < t->nnodes; j++)
            if (t->nodes[j].parent == parent && strcmp(t->nodes[j].name, name->valuestring) == 0) {
                path_cat(rp, p, ".name", -1);
                return bad(err, rp, "repeats a sibling's name");
            }
        if (t->nnodes == t->capnodes) {
            t->capnodes = t->capnodes ? 2 * t->capnodes : 32;
            t->nodes = xrealloc(t->nodes, t->capnodes * sizeof(*t->nodes));
        }
        me = (int)t->nnodes++;
        t->nodes[me] = (struct node){xstrdup(name->valuestring), parent, depth};
        if (parent_path)
            strbuf_addf(&np, "%s/", parent_path);
        strbuf_addstr(&np, name->valuestring);
        path_cat(rp, p, ".rules", -1);
        rc = parse_rules(t, cJSON_GetObjectItemCaseSensitive(it, "rules"), rp, me, np.buf, err);
        if (rc == 0 && (kids = cJSON_GetObjectItemCaseSensitive(it, "children"))) {
            path_cat(rp, p, ".children", -1);
            rc = parse_nodes(t, kids, rp, me, depth + 1, np.buf, err);
        }
        strbuf_release(&np);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* [{"min": X, "level": L}, ...] into steps (at most 8). */
static int parse_steps(const cJSON *arr, const char *path, struct step *out, int *n,
                       struct kerr *err)
{
    const cJSON *it;
    char p[PATHN];
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > 8)
        return bad(err, path, "must be an array of at most 8 {min, level}");
    cJSON_ArrayForEach(it, arr)
    {
        const cJSON *mn = cJSON_GetObjectItemCaseSensitive(it, "min"),
                    *lv = cJSON_GetObjectItemCaseSensitive(it, "level");
        path_cat(p, path, NULL, *n);
        if (!cJSON_IsNumber(mn) || !(mn->valuedouble >= 0) || !cJSON_IsString(lv) ||
            tax_level_parse(lv->valuestring) < 0)
            return bad(err, p, "needs a number min >= 0 and a level");
        out[*n].min = mn->valuedouble;
        out[(*n)++].level = tax_level_parse(lv->valuestring);
    }
    return 0;
}

static int parse_severity(struct taxonomy *t, const cJSON *o, struct kerr *err)
{
    const cJSON *v, *mn, *lv;
    int rc;
    if (!o)
        return 0;
    if (!cJSON_IsObject(o))
        return bad(err, "severity", "must be an object");
    if ((rc = parse_rules(t, cJSON_GetObjectItemCaseSensitive(o, "rules"), "severity.rules", -1,
                          "severity", err)) < 0 ||
        (rc = parse_steps(cJSON_GetObjectItemCaseSensitive(o, "amounts"), "severity.amounts",
                          t->amounts, &t->namounts, err)) < 0 ||
        (rc = parse_steps(cJSON_GetObjectItemCaseSensitive(o, "repeats"), "severity.repeats",
                          t->repeats, &t->nrepeats, err)) < 0)
        return rc;
    if ((v = cJSON_GetObjectItemCaseSensitive(o, "negative_sentiment"))) {
        mn = cJSON_GetObjectItemCaseSensitive(v, "min_score");
        lv = cJSON_GetObjectItemCaseSensitive(v, "level");
        if (!cJSON_IsNumber(mn) || !(mn->valuedouble > 0) || mn->valuedouble > 1 ||
            !cJSON_IsString(lv) || (t->neg_level = tax_level_parse(lv->valuestring)) < 0)
            return bad(err, "severity.negative_sentiment", "needs min_score in (0, 1] and a level");
        t->neg_min = mn->valuedouble;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(o, "escalate"))) {
        mn = cJSON_GetObjectItemCaseSensitive(v, "high_rules");
        lv = cJSON_GetObjectItemCaseSensitive(v, "level");
        if (!cJSON_IsNumber(mn) || mn->valuedouble < 2 || mn->valuedouble > 100 ||
            !cJSON_IsString(lv) || (t->esc_level = tax_level_parse(lv->valuestring)) < 0)
            return bad(err, "severity.escalate", "needs high_rules >= 2 and a level");
        t->esc_high = (int)mn->valuedouble;
    }
    return 0;
}

/* Length of the UTF-8 character starting with byte c (1 for a stray byte). */
static size_t char_len(unsigned char c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static uint32_t bucket_of(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    size_t k = char_len((unsigned char)s[0]);
    for (size_t i = 0; i < k && i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return (h ^ (h >> 15)) & (TERM_BUCKETS - 1);
}

/* Numbers every term and buckets them by first character, for one pass over a text. */
static void index_terms(struct taxonomy *t)
{
    size_t n = 0, k = 0;
    uint32_t *b;
    for (size_t i = 0; i < t->nrules; i++)
        n += t->rules[i].any.n + t->rules[i].all.n + t->rules[i].none.n;
    t->tv = xcalloc(n + 1, sizeof(*t->tv));
    t->tl = xcalloc(n + 1, sizeof(*t->tl));
    b = xcalloc(n + 1, sizeof(*b));
    for (size_t i = 0; i < t->nrules; i++) {
        struct terms *ls[3] = {&t->rules[i].any, &t->rules[i].all, &t->rules[i].none};
        for (int j = 0; j < 3; j++)
            for (size_t m = 0; m < ls[j]->n; m++) {
                ls[j]->id[m] = (uint32_t)k;
                t->tv[k] = ls[j]->v[m];
                t->tl[k] = (uint32_t)strlen(ls[j]->v[m]);
                b[k] = bucket_of(t->tv[k], t->tl[k]);
                k++;
            }
    }
    t->nterms = n;
    memset(t->bstart, 0, sizeof t->bstart);
    for (size_t i = 0; i < n; i++)
        t->bstart[b[i] + 1]++;
    for (int i = 0; i < TERM_BUCKETS; i++)
        t->bstart[i + 1] += t->bstart[i];
    t->bterms = xcalloc(n + 1, sizeof(*t->bterms));
    {
        uint32_t fill[TERM_BUCKETS];
        memcpy(fill, t->bstart, sizeof fill);
        for (size_t i = 0; i < n; i++)
            t->bterms[fill[b[i]]++] = (uint32_t)i;
    }
    free(b);
}

int taxonomy_parse(const char *json, size_t len, struct taxonomy **out, struct kerr *err)
{
    struct taxonomy *t;
    cJSON *doc, *v;
    int rc = 0;

    *out = NULL;
    if (len > TAX_MAX_DOC)
        return kerr_set(err, KERR_TOOLARGE, "too_large", "taxonomy",
                        "a taxonomy is at most %u bytes", TAX_MAX_DOC);
    if (!(doc = json_parse_checked(json, len, err)))
        return KERR_INVALID;
    t = xcalloc(1, sizeof(*t));
    t->neg_level = -1;
    t->model_min = 0.5;
    if (!cJSON_IsObject(doc)) {
        rc = bad(err, "taxonomy", "must be a JSON object");
        goto out;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "version")) &&
        (!cJSON_IsNumber(v) || v->valuedouble != 1)) {
        rc = bad(err, "version", "must be 1");
        goto out;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "model")) && !cJSON_IsNull(v)) {
        if (!cJSON_IsString(v) || !*v->valuestring || strlen(v->valuestring) > 255) {
            rc = bad(err, "model", "must be a model name or path");
            goto out;
        }
        t->model = xstrdup(v->valuestring);
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(doc, "model_min_confidence"))) {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 1) {
            rc = bad(err, "model_min_confidence", "must be in [0, 1]");
            goto out;
        }
        t->model_min = v->valuedouble;
    }
    v = cJSON_GetObjectItemCaseSensitive(doc, "categories");
    if (!v) {
        rc = bad(err, "categories", "is required");
        goto out;
    }
    if ((rc = parse_nodes(t, v, "categories", -1, 1, NULL, err)) < 0)
        goto out;
    t->ncat = t->nrules;
    rc = parse_severity(t, cJSON_GetObjectItemCaseSensitive(doc, "severity"), err);
    if (rc == 0)
        index_terms(t);
out:
    cJSON_Delete(doc);
    if (rc < 0) {
        taxonomy_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static void terms_release(struct terms *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->v[i]);
    free(t->v);
    free(t->id);
}

void taxonomy_free(struct taxonomy *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrules; i++) {
        struct rule *r = &t->rules[i];
        free(r->id);
        terms_release(&r->any);
        terms_release(&r->all);
        terms_release(&r->none);
        if (r->has_re)
            regfree(&r->re);
    }
    for (size_t i = 0; i < t->nnodes; i++)
        free(t->nodes[i].name);
    free(t->rules);
    free(t->nodes);
    free(t->model);
    free(t->tv);
    free(t->tl);
    free(t->bterms);
    free(t);
}

const char *taxonomy_model(const struct taxonomy *t)
{
    return t->model;
}
double taxonomy_model_min(const struct taxonomy *t)
{
    return t->model_min;
}
size_t taxonomy_nodes(const struct taxonomy *t)
{
    return t->nnodes;
}
size_t taxonomy_rules(const struct taxonomy *t)
{
    return t->nrules;
}

/* ---- matching -------------------------------------------------------------- */

/* The text lower-cased (ASCII) and NUL-terminated, on the stack when short. */
struct low {
    char stack[2048];
    char *s;
    size_t n;
    uint8_t fstack[1024];
    uint8_t *found; /* found[term id]: the term occurs in the text */
};

/*
 * Lower-cases the text and finds every term in one pass: at each character,
 * the terms starting with that character (one bucket) are compared.
 */
static void low_init(struct low *l, const struct taxonomy *t, const char *text, size_t len)
{
    l->s = len < sizeof l->stack ? l->stack : xmalloc(len + 1);
    memcpy(l->s, text, len);
    l->s[len] = 0;
    l->n = len;
    lower_ascii(l->s, len);
    l->found = t->nterms <= sizeof l->fstack ? l->fstack : xmalloc(t->nterms);
    memset(l->found, 0, t->nterms);
    for (size_t i = 0; i < len; i += char_len((unsigned char)l->s[i])) {
        uint32_t b = bucket_of(l->s + i, len - i);
        for (uint32_t k = t->bstart[b]; k < t->bstart[b + 1]; k++) {
            uint32_t id = t->bterms[k];
            if (t->tl[id] <= len - i && memcmp(l->s + i, t->tv[id], t->tl[id]) == 0)
                l->found[id] = 1;
        }
    }
}

static void low_release(struct low *l)
{
    if (l->s != l->stack)
        free(l->s);
    if (l->found != l->fstack)
        free(l->found);
}

/* Returns the first term of t found in the text, or NULL. */
static const char *find_any(const struct terms *t, const struct low *l)
{
    for (size_t i = 0; i < t->n; i++)
        if (l->found[t->id[i]])
            return t->v[i];
    return NULL;
}

/* Matches r; *hit is the first matching any/all term (for reasons), *weight their bytes. */
static bool rule_match(const struct rule *r, const struct low *l, const char **hit, size_t *weight)
{
    const char *first = NULL;
    size_t w = 0;
    if (r->any.n) {
        if (!(first = find_any(&r->any, l)))
            return false;
        w += strlen(first);
    }
    for (size_t i = 0; i < r->all.n; i++) {
        if (!l->found[r->all.id[i]])
            return false;
        if (!first)
            first = r->all.v[i];
        w += strlen(r->all.v[i]);
    }
    if (r->none.n && find_any(&r->none, l))
        return false;
    /* text with a NUL byte inside: the regex sees the part before it */
    if (r->has_re && regexec(&r->re, l->s, 0, NULL, 0) != 0)
        return false;
    *hit = first ? first : "regex";
    *weight = w;
    return true;
}

static void fill_levels(const struct taxonomy *t, int node, struct tax_category *out)
{
    int chain[TAX_MAX_DEPTH + 1], n = 0;
    for (int i = node; i >= 0 && n < TAX_MAX_DEPTH; i = t->nodes[i].parent)
        chain[n++] = i;
    out->depth = n;
    for (int i = 0; i < TAX_MAX_DEPTH; i++)
        out->level[i] = i < n ? t->nodes[chain[n - 1 - i]].name : NULL;
}

static void categorize_low(const struct taxonomy *t, const struct low *l, struct tax_category *out)
{
    const struct rule *best = NULL;
    size_t best_w = 0;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < t->ncat; i++) {
        const struct rule *r = &t->rules[i];
        const char *hit;
        size_t w;
        if (!rule_match(r, l, &hit, &w))
            continue;
        if (out->nfired < TAX_MAX_FIRED)
            out->fired[out->nfired++] = r->id;
        if (!best || r->priority > best->priority ||
            (r->priority == best->priority &&
             (t->nodes[r->node].depth > t->nodes[best->node].depth ||
              (t->nodes[r->node].depth == t->nodes[best->node].depth && w > best_w)))) {
            best = r;
            best_w = w;
        }
    }
    if (best) {
        fill_levels(t, best->node, out);
        out->confidence = best->confidence;
    }
}

void taxonomy_categorize(const struct taxonomy *t, const char *text, size_t len,
                         struct tax_category *out)
{
    struct low l;
    low_init(&l, t, text, len);
    categorize_low(t, &l, out);
    low_release(&l);
}

bool taxonomy_find(const struct taxonomy *t, const char *label, struct tax_category *out)
{
    char parts[TAX_MAX_DEPTH][TAX_MAX_NAME + 1];
    int np = 0, found = -1, parent = -1;
    const char *p = label;

    memset(out, 0, sizeof(*out));
    /* split on '/', '>' or '›' (U+203A), trimming spaces */
    while (*p && np < TAX_MAX_DEPTH) {
        size_t n = strcspn(p, "/>\xe2");
        if (p[n] == '\xe2' && strncmp(p + n, "\xe2\x80\xba", 3) != 0)
            n += 1 + strcspn(p + n + 1, "/>\xe2"); /* another 3-byte character */
        const char *s = p, *e = p + n;
        while (s < e && *s == ' ')
            s++;
        while (e > s && e[-1] == ' ')
            e--;
        if ((size_t)(e - s) > TAX_MAX_NAME)
            return false;
        memcpy(parts[np], s, (size_t)(e - s));
        parts[np++][e - s] = 0;
        p += n;
        if (*p == '/' || *p == '>')
            p++;
        else if (strncmp(p, "\xe2\x80\xba", 3) == 0)
            p += 3;
    }
    if (*p || np == 0)
        return false;
    if (np == 1) { /* a name alone: must be unique */
        for (size_t i = 0; i < t->nnodes; i++)
            if (strcmp(t->nodes[i].name, parts[0]) == 0) {
                if (found >= 0)
                    return false;
                found = (int)i;
            }
    } else {
        for (int k = 0; k < np; k++) {
            found = -1;
            for (size_t i = 0; i < t->nnodes; i++)
                if (t->nodes[i].parent == parent && strcmp(t->nodes[i].name, parts[k]) == 0)
                    found = (int)i;
            if (found < 0)
                return false;
            parent = found;
        }
    }
    if (found < 0)
        return false;
    fill_levels(t, found, out);
    return true;
}

/* ---- severity -------------------------------------------------------------- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

double taxonomy_amount(const char *text, size_t len)
{
    static const char *const after[] = {"元", "块", "圆", "rmb", "RMB", "人民币", NULL};
    static const char *const before[] = {"¥", "￥", "rmb", "RMB", "CNY", "cny", NULL};
    double best = 0;
    for (size_t i = 0; i < len;) {
        if (!is_digit(text[i]) || (i > 0 && (is_digit(text[i - 1]) || text[i - 1] == '.'))) {
            i++;
            continue;
        }
        size_t s = i, e = i;
        double v = 0, frac = 0.1;
        while (e < len && (is_digit(text[e]) || text[e] == ',')) {
            if (text[e] != ',')
                v = v * 10 + (text[e] - '0');
            e++;
        }
        if (e + 1 < len && text[e] == '.' && is_digit(text[e + 1]))
            for (e++; e < len && is_digit(text[e]); e++, frac /= 10)
                v += frac * (text[e] - '0');
        i = e;
        if (e + 3 <= len && memcmp(text + e, "万", 3) == 0) {
            v *= 10000;
            e += 3;
        }
        while (e < len && text[e] == ' ')
            e++;
        bool money = false;
        for (const char *const *a = after; *a && !money; a++)
            money = len - e >= strlen(*a) && memcmp(text + e, *a, strlen(*a)) == 0;
        size_t b = s;
        while (b > 0 && text[b - 1] == ' ')
            b--;
        for (const char *const *a = before; *a && !money; a++)
            money = b >= strlen(*a) && memcmp(text + b - strlen(*a), *a, strlen(*a)) == 0;
        if (money && v > best && isfinite(v))
            best = v;
    }
    return best;
}

static void add_reason(struct tax_severity *out, const char *reason)
{
    size_t n = strlen(reason);
    if (out->nreasons >= TAX_MAX_FIRED)
        return;
    if (n >= TAX_MAX_REASON) { /* cut at a character boundary */
        n = TAX_MAX_REASON - 1;
        while (n > 0 && ((unsigned char)reason[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out->reasons[out->nreasons], reason, n);
    out->reasons[out->nreasons++][n] = 0;
}

static void raise_to(struct tax_severity *out, int level)
{
    if (level > (int)out->level)
        out->level = (enum tax_level)level;
}

static void severity_low(const struct taxonomy *t, const struct low *l, const char *text,
                         size_t len, const struct tax_severity_in *in, struct tax_severity *out)
{
    char reason[TAX_MAX_REASON + 80];
    int nhigh = 0;

    memset(out, 0, sizeof(*out));
    for (size_t i = t->ncat; i < t->nrules; i++) {
        const struct rule *r = &t->rules[i];
        const char *hit;
        size_t w;
        if (!rule_match(r, l, &hit, &w))
            continue;
        snprintf(reason, sizeof reason, "%s: %s", r->id, hit);
        add_reason(out, reason);
        raise_to(out, r->level);
        nhigh += r->level >= TAX_HIGH;
    }
    if (t->namounts) {
        double amt = taxonomy_amount(text, len);
        int lv = -1;
        for (int i = 0; i < t->namounts; i++)
            if (amt > 0 && amt >= t->amounts[i].min && t->amounts[i].level > lv)
                lv = t->amounts[i].level;
        if (lv >= 0) {
            snprintf(reason, sizeof reason, "amount: %.0f", amt);
            add_reason(out, reason);
            raise_to(out, lv);
        }
    }
    if (t->nrepeats && in && in->repeat_count > 0) {
        int lv = -1;
        for (int i = 0; i < t->nrepeats; i++)
            if ((double)in->repeat_count >= t->repeats[i].min && t->repeats[i].level > lv)
                lv = t->repeats[i].level;
        if (lv >= 0) {
            snprintf(reason, sizeof reason, "repeats: %ld", in->repeat_count);
            add_reason(out, reason);
            raise_to(out, lv);
        }
    }
    if (t->neg_level >= 0 && in && in->neg_score >= t->neg_min) {
        snprintf(reason, sizeof reason, "negative sentiment: %.2f", in->neg_score);
        add_reason(out, reason);
        raise_to(out, t->neg_level);
    }
    if (t->esc_high && nhigh >= t->esc_high) {
        snprintf(reason, sizeof reason, "escalated: %d high rules", nhigh);
        add_reason(out, reason);
        raise_to(out, t->esc_level);
    }
}

void taxonomy_severity(const struct taxonomy *t, const char *text, size_t len,
                       const struct tax_severity_in *in, struct tax_severity *out)
{
    struct low l;
    low_init(&l, t, text, len);
    severity_low(t, &l, text, len, in, out);
    low_release(&l);
}

void taxonomy_analyze(const struct taxonomy *t, const char *text, size_t len,
                      const struct tax_severity_in *in, struct tax_category *cat,
                      struct tax_severity *sev)
{
    struct low l;
    low_init(&l, t, text, len);
    categorize_low(t, &l, cat);
    severity_low(t, &l, text, len, in, sev);
    low_release(&l);
}
