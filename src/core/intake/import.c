/*
 * import: JSON Lines and CSV into the store. See import.h.
 *
 * DESIGN. The calling thread reads and validates rows into a batch; a full
 * batch is submitted to the store's writer thread (group commit), and the
 * caller goes on filling the next one. At most two batches are in flight,
 * so memory stays bounded while parsing and writing overlap.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "base/clock.h"
#include "base/json.h"
#include "base/strbuf.h"
#include "base/xmalloc.h"
#include "intake/csv.h"
#include "intake/channels.h"
#include "intake/encoding.h"
#include "intake/import.h"
#include "intake/jsonrec.h"
#include "intake/mapping.h"
#include "intake/pipeline.h"
#include "intake/record.h"
#include "intake/xlsx.h"
#include "base/banned.h"

#define LINE_MAX_BYTES (1 << 20)
#define INFLIGHT       2

struct batch {
    struct store_job job;
    struct record *recs;
    struct store_insert_result *results;
    long *lines;
    size_t n, cap;
    bool busy;
};

struct importer {
    struct store *s;
    const struct import_opts *o;
    const struct import_cb *cb;
    struct import_stats *st;
    struct batch b[INFLIGHT];
    int cur;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int failed_rc;
    struct kerr failed;
    int64_t last_progress;
};

enum import_format import_format_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && strcasecmp(dot, ".csv") == 0)
        return IMPORT_CSV;
    if (dot && strcasecmp(dot, ".xlsx") == 0)
        return IMPORT_XLSX;
    return IMPORT_JSONL;
}

enum import_format import_format_sniff(FILE *f, enum import_format guess)
{
    unsigned char head[4];
    long pos = ftell(f);
    size_t got;
    if (pos < 0)
        return guess;
    got = fread(head, 1, sizeof(head), f);
    if (fseek(f, pos, SEEK_SET) != 0)
        return guess;
    if (got == 4 && memcmp(head, "PK\x03\x04", 4) == 0)
        return IMPORT_XLSX;
    return guess == IMPORT_XLSX ? IMPORT_CSV : guess;
}

static void batch_done(struct store_job *job)
{
    struct importer *im = job->arg;
    struct batch *b = (struct batch *)job; /* job is the first member */
    pthread_mutex_lock(&im->lock);
    if (job->rc < 0) {
        if (!im->failed_rc) {
            im->failed_rc = job->rc;
            im->failed = job->err;
        }
    } else {
        for (size_t i = 0; i < b->n; i++) {
            if (b->results[i].created)
                im->st->created++;
            else
                im->st->existing++;
        }
    }
    for (size_t i = 0; i < b->n; i++)
        record_release(&b->recs[i]);
    b->n = 0;
    b->busy = false;
    pthread_cond_broadcast(&im->cond);
    pthread_mutex_unlock(&im->lock);
}

static void reject(struct importer *im, long line, struct kerr *e, struct record *r);

/* Cleans records [from, to) of a batch; failures are marked for clean_batch. */
struct clean_part {
    struct importer *im;
    struct batch *b;
    size_t from, to;
    bool *failed;
    struct kerr *errs;
};

static void *clean_range(void *arg)
{
    struct clean_part *p = arg;
    for (size_t i = p->from; i < p->to; i++) {
        kerr_clear(&p->errs[i]);
        p->failed[i] = pipeline_clean(p->im->o->pipeline, &p->b->recs[i], &p->errs[i]) < 0;
    }
    return NULL;
}

/*
 * The cleaning pipeline over a batch, on two threads (it costs more than parsing); a record
 * it cannot clean (an internal failure) is rejected with its line.
 */
static void clean_batch(struct importer *im, struct batch *b)
{
    bool *failed = xcalloc(b->n, sizeof(bool));
    struct kerr *errs = xcalloc(b->n, sizeof(struct kerr));
    struct clean_part a = {im, b, 0, b->n / 2, failed, errs},
                      c = {im, b, b->n / 2, b->n, failed, errs};
    pthread_t t;
    bool two = b->n >= 64 && pthread_create(&t, NULL, clean_range, &c) == 0;
    clean_range(&a);
    if (two)
        pthread_join(t, NULL);
    else
        clean_range(&c);
    size_t keep = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (failed[i]) {
            reject(im, b->lines[i], &errs[i], &b->recs[i]);
            continue;
        }
        if (keep != i) {
            b->recs[keep] = b->recs[i];
            b->lines[keep] = b->lines[i];
        }
        keep++;
    }
    b->n = keep;
    free(failed);
    free(errs);
}

static void flush(struct importer *im)
{
    struct batch *b = &im->b[im->cur];
    if (b->n == 0)
        return;
    if (im->o->pipeline && !im->o->dry_run)
        clean_batch(im, b);
    if (b->n == 0)
        return;
    if (im->o->dry_run) {
        im->st->created += (long)b->n;
        for (size_t i = 0; i < b->n; i++)
            record_release(&b->recs[i]);
        b->n = 0;
        return;
    }
    memset(&b->job, 0, sizeof(b->job));
    b->job.kind = STORE_JOB_INSERT;
    b->job.actor = im->o->actor ? im->o->actor : "import";
    b->job.recs = b->recs;
    b->job.results = b->results;
    b->job.n = b->n;
    b->job.done = batch_done;
    b->job.arg = im;
    pthread_mutex_lock(&im->lock);
    b->busy = true;
    pthread_mutex_unlock(&im->lock);
    store_submit(im->s, &b->job);
    /* move to the other buffer, waiting until its previous batch is committed */
    im->cur = (im->cur + 1) % INFLIGHT;
    pthread_mutex_lock(&im->lock);
    while (im->b[im->cur].busy)
        pthread_cond_wait(&im->cond, &im->lock);
    pthread_mutex_unlock(&im->lock);
}

static void wait_all(struct importer *im)
{
    pthread_mutex_lock(&im->lock);
    for (int i = 0; i < INFLIGHT; i++)
        while (im->b[i].busy)
            pthread_cond_wait(&im->cond, &im->lock);
    pthread_mutex_unlock(&im->lock);
}

/* The next free record of the current batch, initialised. */
static struct record *slot(struct importer *im, long line)
{
    struct batch *b = &im->b[im->cur];
    record_init(&b->recs[b->n]);
    b->lines[b->n] = line;
    return &b->recs[b->n];
}

/* Content-derived idempotency key for rows that carry no external_id. */
static void derive_key(struct record *r, const char *raw, size_t len)
{
    unsigned char h[16];
    char hex[33];
    crypto_generichash(h, sizeof(h), (const unsigned char *)raw, len, NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    free(r->idempotency_key);
    r->idempotency_key = xmalloc(4 + 32 + 1);
    memcpy(r->idempotency_key, "imp:", 4);
    memcpy(r->idempotency_key + 4, hex, 33);
}

static void reject(struct importer *im, long line, struct kerr *e, struct record *r)
{
    if (!im->o->dry_run)
        store_note_rejection(im->s, r->channel ? r->channel : "", "import", e->code, e->field);
    record_release(r);
    im->st->rejected++;
    e->line = line;
    if (im->cb && im->cb->reject)
        im->cb->reject(im->cb->arg, line, e);
}

/* Validates the record in the current slot and keeps it, or rejects it. */
static void accept(struct importer *im, struct record *r, long line, const char *raw, size_t len,
                   int64_t now, struct kerr *e)
{
    struct batch *b = &im->b[im->cur];
    if (!r->channel && im->o->default_channel)
        r->channel = xstrdup(im->o->default_channel);
    if (record_validate(r, now, e) < 0) {
        reject(im, line, e, r);
        return;
    }
    if (!r->external_id)
        derive_key(r, raw, len);
    channels_apply_rules(im->o->channels, r);
    b->n++;
    if (b->n == b->cap)
        flush(im);
}

static void progress(struct importer *im)
{
    int64_t now = clock_mono_us();
    if (!im->cb || !im->cb->progress || now - im->last_progress < 250000)
        return;
    im->last_progress = now;
    im->cb->progress(im->cb->arg, im->st);
}

static void jsonl_row(struct importer *im, const char *line, size_t len, long lineno, int64_t now)
{
    struct kerr e;
    struct record *r = slot(im, lineno);
    cJSON *j;

    kerr_clear(&e);
    im->st->rows++;
    if (record_parse_json(r, line, len, &e) == 0) {
        accept(im, r, lineno, line, len, now, &e);
        return;
    }
    record_release(r); /* the checked path starts afresh and names the error */
    record_init(r);
    kerr_clear(&e);
    if (!(j = json_parse_checked(line, len, &e))) {
        reject(im, lineno, &e, r);
        return;
    }
    if (record_from_json(r, j, &e) < 0) {
        cJSON_Delete(j);
        reject(im, lineno, &e, r);
        return;
    }
    cJSON_Delete(j);
    accept(im, r, lineno, line, len, now, &e);
}

static int read_jsonl(struct importer *im, FILE *in, struct kerr *err)
{
    struct strbuf line = STRBUF_INIT;
    char buf[65536];
    long lineno = 0;
    bool skipping = false;
    int64_t now = clock_now_ms();

    line.cap = LINE_MAX_BYTES;
    for (;;) {
        size_t got = fread(buf, 1, sizeof(buf), in);
        size_t pos = 0;
        if (got == 0)
            break;
        while (pos < got) {
            char *nl = memchr(buf + pos, '\n', got - pos);
            size_t take = nl ? (size_t)(nl - (buf + pos)) : got - pos;
            if (!skipping && !strbuf_add(&line, buf + pos, take))
                skipping = true;
            pos += take;
            if (!nl)
                break;
            pos++;
            lineno++;
            if (skipping) {
                struct kerr e;
                struct record *r = slot(im, lineno);
                im->st->rows++;
                kerr_set(&e, KERR_TOOLARGE, "line_too_long", "", "line is longer than %d bytes",
                         LINE_MAX_BYTES);
                reject(im, lineno, &e, r);
            } else {
                size_t n = line.len;
                while (n && (line.buf[n - 1] == '\r' || line.buf[n - 1] == ' '))
                    n--;
                if (n)
                    jsonl_row(im, line.buf, n, lineno, now);
            }
            strbuf_reset(&line);
            skipping = false;
            progress(im);
            if (im->failed_rc)
                goto out;
        }
    }
    if (ferror(in)) {
        strbuf_release(&line);
        return kerr_set(err, KERR_IO, "read_failed", "", "reading the input failed");
    }
    if (line.len && !skipping) {
        lineno++;
        jsonl_row(im, line.buf, line.len, lineno, now);
    }
out:
    strbuf_release(&line);
    return 0;
}

static int csv_header(struct csv_row *row, const struct record_field **map, struct kerr *err)
{
    for (size_t i = 0; i < row->nfields; i++) {
        const char *name = row->fields[i].ptr;
        const struct record_field *f = record_field_by_name(name);
        if (!f || !(f->flags & RF_INPUT) || f->kind == RF_JSON_ARR || f->kind == RF_JSON_OBJ) {
            if (f && (f->kind == RF_JSON_ARR || f->kind == RF_JSON_OBJ)) {
                map[i] = f;
                continue;
            }
            return kerr_set(err, KERR_INVALID, "unknown_column", name,
                            "line %ld: unknown column \"%.48s\" (columns are record field names:"
                            " channel, external_id, received_at, customer_id, customer_name,"
                            " phone, email, customer_segment, product, order_no, store, region,"
                            " rating, rating_scale, title, text)",
                            row->line, name);
        }
        for (size_t k = 0; k < i; k++)
            if (map[k] == f)
                return kerr_set(err, KERR_INVALID, "duplicate_column", name,
                                "line %ld: column \"%s\" appears twice", row->line, name);
        map[i] = f;
    }
    return 0;
}

/* A source of table rows: the CSV reader or an xlsx sheet. */
struct rows {
    int (*next)(void *src, struct csv_row *row, struct kerr *e);
    void *src;
    bool short_ok; /* xlsx: a row may stop before the header's last column */
};

static int next_csv(void *src, struct csv_row *row, struct kerr *e)
{
    return csv_read(src, row, e);
}

static int next_xlsx(void *src, struct csv_row *row, struct kerr *e)
{
    return xlsx_read(src, row, e);
}

/* Finds and reads the header; returns its column count (> 0) or < 0. */
static int table_header(struct importer *im, struct rows *in, const struct record_field **map,
                        struct csv_row *row, struct kerr *err)
{
    struct mapping *m = im->o->mapping;
    long want = m ? mapping_header_row(m) : 0;
    struct kerr e;
    int rc;

    kerr_clear(&e);
    while ((rc = in->next(in->src, row, &e)) != 0) {
        if (rc < 0) {
            /* with a mapping, a bad row above the header does not matter */
            if (rc == KERR_IO || !m || e.line >= want || in->short_ok)
                break;
            kerr_clear(&e);
            continue;
        }
        if (row->line < want)
            continue;
        rc = m ? mapping_bind(m, row, err) : csv_header(row, map, err);
        return rc < 0 ? rc : (int)(row->nfields ? row->nfields : 1);
    }
    if (rc == 0)
        return 0; /* empty input */
    if (err)
        *err = e;
    if (rc == KERR_IO)
        return kerr_set(err, KERR_IO, "read_failed", "", "reading the input failed");
    return rc;
}

/* One data row into the current slot: mapped, or by header field names. */
static void table_row(struct importer *im, struct csv_row *row, const struct record_field **map,
                      size_t ncols, bool short_ok, struct strbuf *raw, int64_t now)
{
    struct record *r = slot(im, row->line);
    struct kerr e;
    int rc = 0;

    kerr_clear(&e);
    im->st->rows++;
    strbuf_reset(raw);
    for (size_t i = 0; i < row->nfields; i++) {
        strbuf_add(raw, row->fields[i].ptr, row->fields[i].len);
        strbuf_addch(raw, '\x1f');
    }
    if (im->o->mapping) {
        rc = mapping_apply(im->o->mapping, row, r, &e);
    } else if (row->nfields != ncols && !(short_ok && row->nfields < ncols)) {
        rc = kerr_set(&e, KERR_INVALID, "wrong_column_count", "",
                      "row has %zu fields, the header %zu", row->nfields, ncols);
    } else {
        for (size_t i = 0; i < row->nfields && rc == 0; i++)
            rc = record_set(r, map[i], row->fields[i].ptr, row->fields[i].len, &e);
    }
    if (rc < 0)
        reject(im, row->line, &e, r);
    else
        accept(im, r, row->line, raw->buf, raw->len, now, &e);
}

static int read_table(struct importer *im, struct rows *in, struct kerr *err)
{
    const struct record_field *map[XLSX_MAX_COLS];
    struct csv_row row;
    struct strbuf raw = STRBUF_INIT;
    long skip = im->o->mapping ? mapping_skip_rows(im->o->mapping) : 0;
    int64_t now = clock_now_ms();
    struct kerr e;
    int rc, ncols;

    if ((ncols = table_header(im, in, map, &row, err)) <= 0)
        return ncols;
    kerr_clear(&e);
    while ((rc = in->next(in->src, &row, &e)) != 0) {
        if (rc == KERR_IO) {
            rc = kerr_set(err, KERR_IO, "read_failed", "", "reading the input failed");
            goto out;
        }
        if (rc == KERR_INVALID && in->short_ok) { /* malformed sheet XML: no way on */
            if (err)
                *err = e;
            goto out;
        }
        if (skip > 0) {
            skip--;
            continue;
        }
        if (rc < 0) {
            struct record *r = slot(im, e.line);
            im->st->rows++;
            reject(im, e.line, &e, r);
        } else {
            table_row(im, &row, map, (size_t)ncols, in->short_ok, &raw, now);
        }
        kerr_clear(&e);
        progress(im);
        if (im->failed_rc)
            break;
    }
    rc = 0;
out:
    strbuf_release(&raw);
    return rc;
}

static int read_csv(struct importer *im, FILE *in, struct kerr *err)
{
    struct enc_reader *er = enc_reader_new(in, im->o->encoding, err);
    struct csv_reader *rd;
    struct rows rows;
    int rc;

    if (!er)
        return KERR_IO;
    rd = csv_reader_new_fn(enc_reader_read, er, NULL);
    rows.next = next_csv;
    rows.src = rd;
    rows.short_ok = false;
    rc = read_table(im, &rows, err);
    csv_reader_free(rd);
    enc_reader_free(er);
    return rc;
}

static int read_xlsx(struct importer *im, FILE *in, struct kerr *err)
{
    const char *sheet = im->o->sheet;
    struct xlsx *x;
    struct rows rows;
    int rc;

    if (!sheet && im->o->mapping)
        sheet = mapping_sheet(im->o->mapping);
    if ((rc = xlsx_open(in, &x, err)) < 0)
        return rc;
    if (sheet && (rc = xlsx_select(x, sheet, err)) < 0) {
        xlsx_free(x);
        return rc;
    }
    rows.next = next_xlsx;
    rows.src = x;
    rows.short_ok = true;
    rc = read_table(im, &rows, err);
    xlsx_free(x);
    return rc;
}

int import_stream(struct store *s, FILE *in, const struct import_opts *o,
                  const struct import_cb *cb, struct import_stats *st, struct kerr *err)
{
    struct importer im;
    size_t cap = o->batch ? o->batch : 5000;
    int rc;

    memset(&im, 0, sizeof(im));
    memset(st, 0, sizeof(*st));
    im.s = s;
    im.o = o;
    im.cb = cb;
    im.st = st;
    pthread_mutex_init(&im.lock, NULL);
    pthread_cond_init(&im.cond, NULL);
    for (int i = 0; i < INFLIGHT; i++) {
        im.b[i].cap = cap;
        im.b[i].recs = xcalloc(cap, sizeof(struct record));
        im.b[i].results = xcalloc(cap, sizeof(struct store_insert_result));
        im.b[i].lines = xcalloc(cap, sizeof(long));
    }
    if (o->format == IMPORT_CSV)
        rc = read_csv(&im, in, err);
    else if (o->format == IMPORT_XLSX)
        rc = read_xlsx(&im, in, err);
    else
        rc = read_jsonl(&im, in, err);
    if (!im.failed_rc)
        flush(&im);
    wait_all(&im);
    if (im.failed_rc && rc == 0) {
        rc = im.failed_rc;
        if (err)
            *err = im.failed;
    }
    if (cb && cb->progress)
        cb->progress(cb->arg, st);
    for (int i = 0; i < INFLIGHT; i++) {
        for (size_t k = 0; k < im.b[i].n; k++)
            record_release(&im.b[i].recs[k]);
        free(im.b[i].recs);
        free(im.b[i].results);
        free(im.b[i].lines);
    }
    pthread_mutex_destroy(&im.lock);
    pthread_cond_destroy(&im.cond);
    return rc;
}
