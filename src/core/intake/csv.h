/*
 * csv: a streaming CSV reader and a CSV field writer, used by `kesu import`
 * (millions of rows) and `kesu export`.
 *
 * Format read (RFC 4180 with the usual leniency):
 *   - Fields are separated by one byte, ',' by default; '\t' and ';' are the
 *     other common choices (struct csv_opts.sep).
 *   - A record ends at LF or CRLF outside quotes. A CR that is not followed by
 *     LF is data; line numbers count LFs.
 *   - A field that starts with '"' is quoted: it runs to the next lone '"',
 *     may contain separators, CR and LF, and writes a quote as "".
 *   - A UTF-8 byte order mark at the very start is skipped. The last record
 *     may lack its newline. Blank lines (nothing, or just CR, between two
 *     newlines) are skipped; a line holding only "" is a row with one empty
 *     field.
 *   - Bytes are passed through unchanged: the reader does not check UTF-8.
 *
 * Leniency choices, as Python's csv module and most spreadsheets make them:
 *   - A '"' inside an unquoted field is data: `5" screen` reads as `5" screen`.
 *   - Text after the closing quote of a quoted field is appended as data,
 *     quotes included: `"ab"c` reads as `abc`.
 *
 * Caps and errors. A record longer than max_row bytes (not counting its final
 * LF), a decoded field longer than max_field bytes, more than max_fields
 * fields in a record, or end of input inside a quoted field is an error for
 * that row only: csv_read() returns it with the row's first line in err->line
 * and the next call goes on with the rest of the input, resynchronising so:
 *   - csv_field_too_long, csv_too_many_fields: the whole record is skipped; the
 *     next row is exactly the next record.
 *   - csv_unterminated_quote, and csv_row_too_long hit inside a quoted field:
 *     the opening quote is taken to be stray, and reading resumes at the
 *     physical line after the one where the bad row started, so one stray
 *     quote costs one line, not the rest of the file.
 *   - csv_row_too_long hit outside quotes: reading resumes after the next LF.
 * Only a failed read (KERR_IO) ends reading. Memory is bounded by about
 * max_row + 256 KiB of buffer plus the field arrays (max_fields entries).
 *
 * Speed: one pass over each byte, memchr for quoted text and eight bytes at a
 * time for unquoted text; fields are slices into the reader's buffer, not
 * copies. Quoted fields are unescaped in place.
 */
#ifndef KESU_CSV_H
#define KESU_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/error.h"
#include "base/strbuf.h"

#define CSV_DEFAULT_MAX_FIELD  ((size_t)1 << 20) /* 1 MiB */
#define CSV_DEFAULT_MAX_FIELDS ((size_t)512)
#define CSV_DEFAULT_MAX_ROW    ((size_t)4 << 20) /* 4 MiB */

/* Reader options; a zero member means its default, so `{0}` is all defaults. */
struct csv_opts {
    char sep;          /* separator; 0 = ','. Not '"', CR, LF or a byte >= 0x80 */
    size_t max_field;  /* largest decoded field, bytes */
    size_t max_fields; /* most fields in one record */
    size_t max_row;    /* largest raw record, bytes, its final LF not counted */
};

/* A field: len bytes at ptr, followed by a NUL that is not part of it. */
struct csv_field {
    const char *ptr;
    size_t len;
};

struct csv_row {
    struct csv_field *fields; /* owned by the reader */
    size_t nfields;           /* >= 1 */
    long line;                /* 1-based physical line where the row starts */
};

struct csv_reader;

/*
 * Creates a reader over f, which stays the caller's to close (after
 * csv_reader_free). opts may be NULL for the defaults. Returns NULL only when
 * opts->sep is not allowed. Free with csv_reader_free().
 */
struct csv_reader *csv_reader_new(FILE *f, const struct csv_opts *opts);

/*
 * Like csv_reader_new() over a read callback: read(ctx, buf, len) stores up to
 * len bytes at buf and returns how many, 0 at end of input, or -1 on error
 * (errno set). It may return fewer bytes than asked at any time.
 */
struct csv_reader *csv_reader_new_fn(long (*read)(void *ctx, char *buf, size_t len), void *ctx,
                                     const struct csv_opts *opts);

/*
 * Reads the next row into *row. The fields and their bytes belong to the
 * reader and stay valid until the next call to csv_read() or
 * csv_reader_free(). Returns:
 *    1             a row;
 *    0             end of input (and on every later call);
 *    KERR_TOOLARGE a cap was passed (codes csv_field_too_long,
 *                  csv_too_many_fields, csv_row_too_long), or
 *    KERR_INVALID  the input ended inside a quoted field (csv_unterminated_quote):
 *                  err (may be NULL) says why, err->line is the row's first
 *                  line; call again to go on with the next row;
 *    KERR_IO       the read failed (code csv_read_failed): stop; every later
 *                  call returns KERR_IO too.
 */
int csv_read(struct csv_reader *r, struct csv_row *row, struct kerr *err);

void csv_reader_free(struct csv_reader *r);

/*
 * Appends the field s[0..len) to sb as CSV (s may be NULL when len is 0).
 * The field is quoted when it contains sep, '"', CR or LF, or starts or ends
 * with a space or tab; quotes inside are doubled. Separators and line ends
 * between fields are the caller's (use "\r\n" for Excel). A row of one empty
 * field comes out as a blank line, which readers skip; write it as "" if it
 * matters.
 *
 * With `safe`, a field that a spreadsheet would take for a formula (starting
 * with '=', '+', '-', '@', tab or CR) gets a leading single quote, so opening
 * an export in Excel cannot run it (CSV injection). Plain numbers such as
 * -12 or +3.5 are left alone. Reading such a file back keeps the quote.
 *
 * Returns false when sb's cap was passed (sb->overflow is then set).
 */
bool csv_write_field(struct strbuf *sb, const char *s, size_t len, char sep, bool safe);

#endif
