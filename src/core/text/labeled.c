/*
 * labeled.c: labelled texts from CSV or JSON Lines (see labeled.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/xmalloc.h"
#include "intake/csv.h"
#include "text/labeled.h"
#include "text/linear.h"
#include "base/banned.h"

struct mapping {
    char **raw, **name;
    int n;
};

static void mapping_release(struct mapping *mp)
{
    for (int i = 0; i < mp->n; i++) {
        free(mp->raw[i]);
        free(mp->name[i]);
    }
    free(mp->raw);
    free(mp->name);
}

static int parse_map(const char *s, struct mapping *mp, struct kerr *err)
{
    while (s && *s) {
        size_t n = strcspn(s, ","), eq = strcspn(s, "=");
        if (eq >= n || eq == 0 || eq + 1 == n)
            return kerr_set(err, KERR_INVALID, "bad_label_map", "label-map",
                            "label map entries are raw=name, separated by commas");
        mp->raw = xrealloc(mp->raw, (size_t)(mp->n + 1) * sizeof *mp->raw);
        mp->name = xrealloc(mp->name, (size_t)(mp->n + 1) * sizeof *mp->name);
        mp->raw[mp->n] = xstrndup(s, eq);
        mp->name[mp->n++] = xstrndup(s + eq + 1, n - eq - 1);
        s += n + (s[n] == ',');
    }
    return 0;
}

static int label_of(struct labeled *d, const char *name, size_t len, bool fixed)
{
    for (int i = 0; i < d->nlabels; i++)
        if (strlen(d->labels[i]) == len && memcmp(d->labels[i], name, len) == 0)
            return i;
    if (fixed)
        return -2;
    if (d->nlabels >= LINEAR_MAX_CLASS || len > LINEAR_MAX_LABEL)
        return -3;
    d->labels = xrealloc(d->labels, (size_t)(d->nlabels + 1) * sizeof *d->labels);
    d->labels[d->nlabels] = xstrndup(name, len);
    return d->nlabels++;
}

struct adder {
    struct labeled *d;
    struct mapping mp;
    bool fixed;
    size_t cap;
};

/* Adds one row; returns -1 (with err) only when there are too many labels. */
static int add_row(struct adder *a, const char *text, size_t tlen, const char *lab, size_t llen,
                   struct kerr *err)
{
    struct labeled *d = a->d;
    while (tlen && (text[tlen - 1] == ' ' || text[tlen - 1] == '\n' || text[tlen - 1] == '\r'))
        tlen--;
    if (!tlen || !llen) {
        d->skipped++;
        return 0;
    }
    if (a->mp.n) {
        int k = 0;
        while (k < a->mp.n && (strlen(a->mp.raw[k]) != llen || memcmp(a->mp.raw[k], lab, llen)))
            k++;
        if (k == a->mp.n) {
            d->skipped++;
            return 0;
        }
        lab = a->mp.name[k];
        llen = strlen(lab);
    }
    int y = label_of(d, lab, llen, a->fixed);
    if (y == -3)
        return kerr_set(err, KERR_INVALID, "too_many_labels", "label",
                        "more than %d labels, or a label longer than %d bytes", LINEAR_MAX_CLASS,
                        LINEAR_MAX_LABEL);
    if (y == -2) {
        d->unknown++;
        return 0;
    }
    if (d->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 1024;
        d->text = xrealloc(d->text, a->cap * sizeof *d->text);
        d->len = xrealloc(d->len, a->cap * sizeof *d->len);
        d->y = xrealloc(d->y, a->cap * sizeof *d->y);
    }
    d->text[d->n] = xstrndup(text, tlen);
    d->len[d->n] = tlen;
    d->y[d->n++] = y;
    return 0;
}

static int read_csv(FILE *f, const struct labeled_opts *o, struct adder *a, struct kerr *err)
{
    struct csv_reader *r = csv_reader_new(f, NULL);
    struct csv_row row;
    long tc = -1, lc = -1;
    int rc, out = 0;
    while ((rc = csv_read(r, &row, err)) != 0) {
        if (rc == KERR_IO) {
            out = rc;
            break;
        }
        if (rc < 0) {
            a->d->skipped++;
            continue;
        }
        if (tc < 0) {
            for (size_t i = 0; i < row.nfields; i++) {
                if (strcmp(row.fields[i].ptr, o->text_col) == 0)
                    tc = (long)i;
                if (strcmp(row.fields[i].ptr, o->label_col) == 0)
                    lc = (long)i;
            }
            if (tc < 0 || lc < 0) {
                out = kerr_set(err, KERR_INVALID, "no_column", tc < 0 ? "text-col" : "label-col",
                               "no column named \"%s\" in the header row",
                               tc < 0 ? o->text_col : o->label_col);
                break;
            }
            continue;
        }
        if ((size_t)tc >= row.nfields || (size_t)lc >= row.nfields) {
            a->d->skipped++;
            continue;
        }
        if ((out = add_row(a, row.fields[tc].ptr, row.fields[tc].len, row.fields[lc].ptr,
                           row.fields[lc].len, err)) < 0)
            break;
    }
    if (out == 0 && tc < 0)
        out = kerr_set(err, KERR_INVALID, "empty_input", "", "the file has no header row");
    csv_reader_free(r);
    return out;
}

static int read_jsonl(FILE *f, const struct labeled_opts *o, struct adder *a, struct kerr *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int out = 0;
    while (out == 0 && (n = getline(&line, &cap, f)) > 0) {
        cJSON *j = cJSON_ParseWithLength(line, (size_t)n);
        cJSON *t = cJSON_GetObjectItemCaseSensitive(j, o->text_col);
        cJSON *l = cJSON_GetObjectItemCaseSensitive(j, o->label_col);
        char num[64];
        const char *ls = NULL;
        if (cJSON_IsString(l))
            ls = l->valuestring;
        else if (cJSON_IsNumber(l)) {
            snprintf(num, sizeof num, "%.15g", l->valuedouble);
            ls = num;
        } else if (cJSON_IsBool(l))
            ls = cJSON_IsTrue(l) ? "true" : "false";
        if (!cJSON_IsString(t) || !ls)
            a->d->skipped += !(n == 1 && line[0] == '\n');
        else
            out = add_row(a, t->valuestring, strlen(t->valuestring), ls, strlen(ls), err);
        cJSON_Delete(j);
    }
    if (out == 0 && ferror(f))
        out = kerr_set(err, KERR_IO, "read_failed", "", "read error");
    free(line);
    return out;
}

static const char *const *sort_names;
static int cmp_idx(const void *a, const void *b)
{
    return strcmp(sort_names[*(const int *)a], sort_names[*(const int *)b]);
}

/* Sorts the labels by name and renumbers y. */
static void sort_labels(struct labeled *d)
{
    int *order = xmalloc((size_t)d->nlabels * sizeof *order + 1);
    int *rank = xmalloc((size_t)d->nlabels * sizeof *rank + 1);
    char **names = xmalloc((size_t)d->nlabels * sizeof *names + 1);
    for (int i = 0; i < d->nlabels; i++)
        order[i] = i;
    sort_names = (const char *const *)d->labels;
    qsort(order, (size_t)d->nlabels, sizeof *order, cmp_idx);
    for (int i = 0; i < d->nlabels; i++) {
        rank[order[i]] = i;
        names[i] = d->labels[order[i]];
    }
    for (size_t i = 0; i < d->n; i++)
        d->y[i] = rank[d->y[i]];
    free(d->labels);
    d->labels = names;
    free(order);
    free(rank);
}

int labeled_read(const char *path, const struct labeled_opts *o, struct labeled *out,
                 struct kerr *err)
{
    memset(out, 0, sizeof *out);
    return labeled_append(path, o, out, err);
}

int labeled_append(const char *path, const struct labeled_opts *o, struct labeled *out,
                   struct kerr *err)
{
    struct adder a = {.d = out, .cap = out->n};
    size_t pl = strlen(path);
    bool jsonl = (pl > 6 && strcmp(path + pl - 6, ".jsonl") == 0) ||
                 (pl > 7 && strcmp(path + pl - 7, ".ndjson") == 0);
    FILE *f;
    int rc;
    if ((rc = parse_map(o->label_map, &a.mp, err)) < 0)
        goto done;
    if (o->fixed_labels) {
        a.fixed = true;
        for (int i = 0; i < o->nfixed; i++)
            label_of(out, o->fixed_labels[i], strlen(o->fixed_labels[i]), false);
    } else
        for (int i = 0; i < a.mp.n; i++)
            label_of(out, a.mp.name[i], strlen(a.mp.name[i]), false);
    if (!(f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb"))) {
        rc = kerr_set(err, KERR_IO, "open_failed", "input", "cannot open %s", path);
        goto done;
    }
    rc = jsonl ? read_jsonl(f, o, &a, err) : read_csv(f, o, &a, err);
    if (f != stdin)
        fclose(f);
    if (rc == 0 && !o->fixed_labels && !a.mp.n)
        sort_labels(out);
done:
    mapping_release(&a.mp);
    return rc;
}

int labeled_add(struct labeled *d, const char *text, size_t tlen, const char *label, size_t llen,
                struct kerr *err)
{
    struct adder a = {.d = d};
    size_t c = 1024;
    while (c < d->n + 1)
        c *= 2;
    /* the same size again costs little: realloc keeps the block */
    d->text = xrealloc(d->text, c * sizeof *d->text);
    d->len = xrealloc(d->len, c * sizeof *d->len);
    d->y = xrealloc(d->y, c * sizeof *d->y);
    a.cap = c;
    return add_row(&a, text, tlen, label, llen, err);
}

void labeled_sort_labels(struct labeled *d)
{
    if (d->nlabels > 1)
        sort_labels(d);
}

static const struct labeled *dedup_d;
static int cmp_text(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    size_t li = dedup_d->len[i], lj = dedup_d->len[j];
    int c = memcmp(dedup_d->text[i], dedup_d->text[j], li < lj ? li : lj);
    if (c == 0 && li != lj)
        c = li < lj ? -1 : 1;
    return c ? c : (i > j) - (i < j);
}

size_t labeled_dedup(struct labeled *d)
{
    size_t *ord = xmalloc((d->n + 1) * sizeof *ord), kept = 0;
    bool *drop = xcalloc(d->n + 1, sizeof *drop);
    for (size_t i = 0; i < d->n; i++)
        ord[i] = i;
    dedup_d = d; /* single-threaded use: the CLI */
    qsort(ord, d->n, sizeof *ord, cmp_text);
    for (size_t k = 1; k < d->n; k++) {
        size_t i = ord[k - 1], j = ord[k];
        drop[j] = d->len[i] == d->len[j] && memcmp(d->text[i], d->text[j], d->len[i]) == 0;
    }
    for (size_t i = 0; i < d->n; i++) {
        if (drop[i]) {
            free(d->text[i]);
            continue;
        }
        d->text[kept] = d->text[i];
        d->len[kept] = d->len[i];
        d->y[kept++] = d->y[i];
    }
    size_t dropped = d->n - kept;
    d->n = kept;
    free(ord);
    free(drop);
    return dropped;
}

void labeled_release(struct labeled *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->text[i]);
    for (int i = 0; i < d->nlabels; i++)
        free(d->labels[i]);
    free(d->text);
    free(d->len);
    free(d->y);
    free(d->labels);
    memset(d, 0, sizeof *d);
}
