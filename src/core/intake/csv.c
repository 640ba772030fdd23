/*
 * csv: the reader's buffer, the record scanner, in-place unquoting, error
 * resynchronisation, and the field writer. See csv.h for the format and the
 * error contract.
 *
 * DESIGN. Raw input lives in one buffer; buf[rs..end) is not yet consumed.
 * csv_read() scans one record starting at rs with a four-state machine
 * (field start, unquoted, quoted, quote seen inside quotes) whose state is
 * kept in the reader as offsets relative to rs, so a record may arrive in
 * any number of pieces and each byte is still scanned once. Unquoted text is
 * searched eight bytes at a time for the separator or LF, quoted text with
 * memchr for the next quote. Field boundaries go to an array of spans; once
 * the record's LF is found the spans become slices, quoted fields are
 * unescaped in place (decoding only shrinks them) and every field is
 * NUL-terminated over the byte that ended it. Before each refill the partial
 * record is moved to the front of the buffer; the buffer grows, up to max_row
 * plus one read chunk, only for records larger than it. The scanner never
 * looks past max_row + 1 bytes of a record, so whether a record is too long
 * does not depend on how the input was split into reads.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/xmalloc.h"
#include "intake/csv.h"
#include "base/banned.h"

#define CHUNK ((size_t)256 << 10) /* bytes asked of each read */

#if (defined(__GNUC__) && __GNUC__ >= 7) || defined(__clang__)
#define KESU_FALLTHROUGH __attribute__((fallthrough))
#else
#define KESU_FALLTHROUGH ((void)0)
#endif

enum scan_state { ST_FSTART, ST_UNQ, ST_QUOTED, ST_QQ };

/* A field of the record being scanned, as offsets from the record's start. */
struct span {
    size_t beg, end; /* raw bytes, quotes included, line end excluded */
    bool quoted;
};

struct csv_reader {
    long (*read)(void *ctx, char *buf, size_t len);
    void *ctx;
    struct csv_opts o;
    char *buf;
    size_t cap, bufmax;
    size_t rs, end; /* unconsumed input is buf[rs..end); buf[end] is spare */
    bool eof, ioerr, bom_checked, skip_line;
    int ioerrno;
    long line; /* physical line where the next record starts */
    /* the record being scanned; offsets relative to rs */
    enum scan_state st;
    size_t sc, fbeg, nf;
    bool fquoted, had_quote;
    struct span *sp;
    struct csv_field *fields; /* same capacity as sp */
    size_t spcap;
};

static long file_read(void *ctx, char *buf, size_t len)
{
    FILE *f = ctx;
    size_t n = fread(buf, 1, len, f);
    if (n == 0 && ferror(f))
        return -1;
    return (long)n;
}

struct csv_reader *csv_reader_new(FILE *f, const struct csv_opts *opts)
{
    return csv_reader_new_fn(file_read, f, opts);
}

struct csv_reader *csv_reader_new_fn(long (*read)(void *ctx, char *buf, size_t len), void *ctx,
                                     const struct csv_opts *opts)
{
    struct csv_opts o = {0};
    struct csv_reader *r;
    if (opts)
        o = *opts;
    if (!o.sep)
        o.sep = ',';
    if ((unsigned char)o.sep >= 0x80 || o.sep == '"' || o.sep == '\r' || o.sep == '\n')
        return NULL;
    if (!o.max_field)
        o.max_field = CSV_DEFAULT_MAX_FIELD;
    if (!o.max_fields)
        o.max_fields = CSV_DEFAULT_MAX_FIELDS;
    if (!o.max_row)
        o.max_row = CSV_DEFAULT_MAX_ROW;
    if (o.max_row > SIZE_MAX / 4)
        o.max_row = SIZE_MAX / 4;
    r = xcalloc(1, sizeof(*r));
    r->read = read;
    r->ctx = ctx;
    r->o = o;
    r->bufmax = o.max_row + CHUNK;
    r->cap = r->bufmax < 2 * CHUNK ? r->bufmax : 2 * CHUNK;
    r->buf = xmalloc(r->cap);
    r->line = 1;
    r->spcap = 32;
    r->sp = xmalloc(r->spcap * sizeof(*r->sp));
    r->fields = xmalloc(r->spcap * sizeof(*r->fields));
    return r;
}

void csv_reader_free(struct csv_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r->sp);
    free(r->fields);
    free(r);
}

/*
 * Moves the unconsumed input to the front, grows the buffer when little room
 * is left, and reads once. Sets eof when the read gives nothing.
 */
static int fill(struct csv_reader *r)
{
    size_t used = r->end - r->rs;
    long n;
    if (r->rs) {
        memmove(r->buf, r->buf + r->rs, used);
        r->rs = 0;
        r->end = used;
    }
    if (r->cap - 1 - r->end < CHUNK / 2 && r->cap < r->bufmax) {
        size_t ncap = r->cap * 2 < r->bufmax ? r->cap * 2 : r->bufmax;
        r->buf = xrealloc(r->buf, ncap);
        r->cap = ncap;
    }
    n = r->read(r->ctx, r->buf + r->end, r->cap - 1 - r->end);
    if (n < 0) {
        r->ioerr = true;
        r->ioerrno = errno;
        return KERR_IO;
    }
    if (n == 0)
        r->eof = true;
    r->end += (size_t)n;
    return 0;
}

static int io_error(struct csv_reader *r, struct kerr *err)
{
    int rc = kerr_set(err, KERR_IO, "csv_read_failed", NULL, "reading the CSV input failed: %s",
                      strerror(r->ioerrno ? r->ioerrno : EIO));
    if (err)
        err->line = r->line;
    return rc;
}

/* Sets err->line and passes rc on: `return at_line(err, line, kerr_set(...))`. */
static int at_line(struct kerr *err, long line, int rc)
{
    if (err)
        err->line = line;
    return rc;
}

static long count_nl(const char *p, size_t n)
{
    const char *e = p + n;
    long c = 0;
    while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        c++;
        p++;
    }
    return c;
}

/* Returns the offset of the first sep or LF in b[i..limit), or limit. */
static size_t find_unquoted_end(const char *b, size_t i, size_t limit, char sep)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    const uint64_t s = ones * (unsigned char)sep, n = ones * (unsigned char)'\n';
    while (limit - i >= 8) {
        uint64_t v, x, y, t;
        memcpy(&v, b + i, 8);
        x = v ^ s;
        y = v ^ n;
        /* a high bit per zero byte of x or y; exact for the lowest one */
        t = (((x - ones) & ~x) | ((y - ones) & ~y)) & highs;
        if (t)
            return i + (size_t)(__builtin_ctzll(t) >> 3);
        i += 8;
    }
#endif
    while (i < limit && b[i] != sep && b[i] != '\n')
        i++;
    return i;
}

static void end_field(struct csv_reader *r, size_t beg, size_t end, bool quoted)
{
    if (r->nf < r->o.max_fields) {
        if (r->nf == r->spcap) {
            r->spcap = r->spcap * 2 < r->o.max_fields ? r->spcap * 2 : r->o.max_fields;
            r->sp = xrealloc(r->sp, r->spcap * sizeof(*r->sp));
            r->fields = xrealloc(r->fields, r->spcap * sizeof(*r->fields));
        }
        r->sp[r->nf].beg = beg;
        r->sp[r->nf].end = end;
        r->sp[r->nf].quoted = quoted;
    }
    r->nf++;
}

/*
 * Runs the state machine over the record at rs from r->sc up to limit.
 * Returns true with *rec_end at the record's LF when it was found; otherwise
 * saves the state for the next call.
 */
static bool scan(struct csv_reader *r, size_t limit, size_t *rec_end)
{
    const char *b = r->buf + r->rs;
    const char sep = r->o.sep;
    enum scan_state st = r->st;
    size_t i = r->sc, fbeg = r->fbeg;
    bool fquoted = r->fquoted;
    const char *q;

    for (;;) {
        switch (st) {
        case ST_FSTART:
            if (i == limit)
                goto out;
            if (b[i] == '"') {
                fquoted = r->had_quote = true;
                i++;
                st = ST_QUOTED;
                break;
            }
            st = ST_UNQ;
            KESU_FALLTHROUGH;
        case ST_UNQ:
            i = find_unquoted_end(b, i, limit, sep);
            if (i == limit)
                goto out;
            if (b[i] == sep) {
                end_field(r, fbeg, i, fquoted);
                fbeg = ++i;
                fquoted = false;
                st = ST_FSTART;
                break;
            }
            /* LF; a CR before it outside quotes belongs to the line end */
            end_field(r, fbeg, i > fbeg && b[i - 1] == '\r' ? i - 1 : i, fquoted);
            r->sc = *rec_end = i;
            return true;
        case ST_QUOTED:
            q = memchr(b + i, '"', limit - i);
            if (!q) {
                i = limit;
                goto out;
            }
            i = (size_t)(q - b) + 1;
            st = ST_QQ;
            KESU_FALLTHROUGH;
        case ST_QQ:
            if (i == limit)
                goto out;
            if (b[i] == '"') {
                i++;
                st = ST_QUOTED;
            } else {
                st = ST_UNQ; /* closed; anything up to the separator is data */
            }
            break;
        }
    }
out:
    r->st = st;
    r->sc = i;
    r->fbeg = fbeg;
    r->fquoted = fquoted;
    return false;
}

/*
 * Drops the record at rs up to offset `from` (counting its lines) and arranges
 * for the next csv_read() to resume after the next LF.
 */
static void resync(struct csv_reader *r, size_t from)
{
    r->line += count_nl(r->buf + r->rs, from);
    r->rs += from;
    r->skip_line = true;
}

static int skip_line(struct csv_reader *r)
{
    for (;;) {
        const char *p = memchr(r->buf + r->rs, '\n', r->end - r->rs);
        if (p) {
            r->rs = (size_t)(p - r->buf) + 1;
            r->line++;
            break;
        }
        r->rs = r->end;
        if (r->eof)
            break;
        if (fill(r) < 0)
            return KERR_IO;
    }
    r->skip_line = false;
    return 0;
}

static int row_too_long(struct csv_reader *r, struct kerr *err)
{
    long line = r->line;
    int rc;
    if (r->st == ST_QUOTED || r->st == ST_QQ) {
        resync(r, 0);
        rc = kerr_set(err, KERR_TOOLARGE, "csv_row_too_long", NULL,
                      "row is longer than %zu bytes inside a quoted field (a stray quote?)",
                      r->o.max_row);
    } else {
        resync(r, r->sc);
        rc = kerr_set(err, KERR_TOOLARGE, "csv_row_too_long", NULL, "row is longer than %zu bytes",
                      r->o.max_row);
    }
    return at_line(err, line, rc);
}

/* End of input in the middle of a record: finish it, or fail it. */
static int at_eof(struct csv_reader *r, size_t *rec_end, struct kerr *err)
{
    long line = r->line;
    if (r->st == ST_QUOTED) {
        resync(r, 0);
        return at_line(err, line,
                       kerr_set(err, KERR_INVALID, "csv_unterminated_quote", NULL,
                                "a quoted field starting in this row is not closed "
                                "before the end of the input"));
    }
    if (r->st == ST_FSTART && r->nf == 0 && r->sc == 0)
        return 0;
    end_field(r, r->fbeg, r->sc, r->fquoted);
    *rec_end = r->sc;
    return 1;
}

/*
 * Scans the record at rs, reading more input as needed. Returns 1 with its
 * extent (*lf: ended by LF rather than end of input), 0 at end of input, or
 * an error (the row's or KERR_IO).
 */
static int scan_record(struct csv_reader *r, size_t *rec_end, bool *lf, struct kerr *err)
{
    r->st = ST_FSTART;
    r->sc = r->fbeg = r->nf = 0;
    r->fquoted = r->had_quote = false;
    *lf = false;
    for (;;) {
        size_t avail = r->end - r->rs;
        size_t limit = avail < r->o.max_row + 1 ? avail : r->o.max_row + 1;
        if (scan(r, limit, rec_end)) {
            *lf = true;
            return 1;
        }
        if (limit == r->o.max_row + 1)
            return row_too_long(r, err);
        if (r->eof)
            return at_eof(r, rec_end, err);
        if (fill(r) < 0)
            return io_error(r, err);
    }
}

/*
 * Decodes the quoted field p[0..n) (p[0] is the opening quote) in place into
 * p + 1 and returns its length. Text after the closing quote is kept as data.
 */
static size_t unquote(char *p, size_t n)
{
    char *src = p + 1, *w = p + 1, *e = p + n;
    for (;;) {
        char *q = memchr(src, '"', (size_t)(e - src));
        if (!q)
            q = e;
        if (w != src)
            memmove(w, src, (size_t)(q - src));
        w += q - src;
        if (q == e)
            break;
        if (q + 1 < e && q[1] == '"') {
            *w++ = '"';
            src = q + 2;
            continue;
        }
        src = q + 1;
        if (w != src)
            memmove(w, src, (size_t)(e - src));
        w += e - src;
        break;
    }
    return (size_t)(w - (p + 1));
}

/* Turns the spans of the record at b into NUL-terminated slices. */
static int make_row(struct csv_reader *r, char *b, struct csv_row *row, long line, struct kerr *err)
{
    for (size_t i = 0; i < r->nf; i++) {
        const struct span *s = &r->sp[i];
        char *p = b + s->beg;
        size_t len = s->end - s->beg;
        if (s->quoted)
            len = unquote(p++, len);
        if (len > r->o.max_field)
            return at_line(err, line,
                           kerr_set(err, KERR_TOOLARGE, "csv_field_too_long", NULL,
                                    "field %zu is longer than %zu bytes", i + 1, r->o.max_field));
        p[len] = '\0';
        r->fields[i].ptr = p;
        r->fields[i].len = len;
    }
    row->fields = r->fields;
    row->nfields = r->nf;
    row->line = line;
    return 1;
}

static int skip_bom(struct csv_reader *r)
{
    while (r->end - r->rs < 3 && !r->eof)
        if (fill(r) < 0)
            return KERR_IO;
    if (r->end - r->rs >= 3 && memcmp(r->buf + r->rs, "\xEF\xBB\xBF", 3) == 0)
        r->rs += 3;
    r->bom_checked = true;
    return 0;
}

int csv_read(struct csv_reader *r, struct csv_row *row, struct kerr *err)
{
    size_t rec_end = 0, start;
    bool lf;
    long line;
    int rc;

    if (r->ioerr || (!r->bom_checked && skip_bom(r) < 0))
        return io_error(r, err);
    for (;;) {
        if (r->skip_line && skip_line(r) < 0)
            return io_error(r, err);
        rc = scan_record(r, &rec_end, &lf, err);
        if (rc <= 0)
            return rc;
        /* consume the record; its bytes stay put until the next fill */
        line = r->line;
        if (r->had_quote)
            r->line += count_nl(r->buf + r->rs, rec_end);
        r->line += lf;
        start = r->rs;
        r->rs += rec_end + lf;
        if (r->nf == 1 && !r->sp[0].quoted && r->sp[0].end == r->sp[0].beg)
            continue; /* blank line */
        if (r->nf > r->o.max_fields)
            return at_line(err, line,
                           kerr_set(err, KERR_TOOLARGE, "csv_too_many_fields", NULL,
                                    "row has %zu fields, more than %zu", r->nf, r->o.max_fields));
        return make_row(r, r->buf + start, row, line, err);
    }
}

/* "+12", "-3.5": a sign then a decimal number, which spreadsheets take as a number. */
static bool is_signed_number(const char *s, size_t len)
{
    size_t digits = 0;
    bool dot = false;
    for (size_t i = 1; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (s[i] == '.' && !dot)
            dot = true;
        else
            return false;
    }
    return digits > 0;
}

static bool formula_like(const char *s, size_t len)
{
    if (!len)
        return false;
    switch (s[0]) {
    case '=':
    case '@':
    case '\t':
    case '\r':
        return true;
    case '+':
    case '-':
        return !is_signed_number(s, len);
    default:
        return false;
    }
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

bool csv_write_field(struct strbuf *sb, const char *s, size_t len, char sep, bool safe)
{
    bool prefix = safe && formula_like(s, len);
    bool quote = len && (is_blank(s[0]) || is_blank(s[len - 1]));
    const char *p = s, *e = s + len, *q;

    if (!len)
        return true;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == sep || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote)
        return (!prefix || strbuf_addch(sb, '\'')) && strbuf_add(sb, s, len);
    if (!strbuf_addch(sb, '"') || (prefix && !strbuf_addch(sb, '\'')))
        return false;
    while ((q = memchr(p, '"', (size_t)(e - p))) != NULL) {
        if (!strbuf_add(sb, p, (size_t)(q - p) + 1) || !strbuf_addch(sb, '"'))
            return false;
        p = q + 1;
    }
    return strbuf_add(sb, p, (size_t)(e - p)) && strbuf_addch(sb, '"');
}
