/*
 * xlsx: a streaming reader of Excel workbooks (Office Open XML, .xlsx) built
 * on libzip and expat, for `kesu import`. It hands out a sheet's rows as
 * arrays of cell strings, the same struct csv_row the CSV reader gives, so
 * the import path treats both alike.
 *
 * What is read:
 *   - xl/workbook.xml: the sheets (name, order) and workbookPr/@date1904;
 *     xl/_rels/workbook.xml.rels: where each sheet, the shared strings and
 *     the styles live.
 *   - xl/sharedStrings.xml: every shared string, rich-text runs (<r><t>)
 *     joined, phonetic runs (<rPh>) left out. Held in memory (capped).
 *   - xl/styles.xml: cellXfs and numFmts, to know which cells are dates:
 *     built-in formats 14-22 and 45-47, and custom formats with y, m, d, h
 *     or s outside quotes, brackets and backslash escapes.
 *   - the chosen sheet, streamed through expat in 64 KiB chunks: memory does
 *     not grow with the number of rows.
 *
 * Cell text: shared (t="s"), formula (t="str") and inline (t="inlineStr")
 * strings as written; booleans (t="b") as TRUE/FALSE; errors (t="e") as
 * their text (#N/A); numbers as written in the file ("4", "4.5", "1E-3"),
 * except numbers with a date format, which become RFC 3339 times in the
 * configured zone (base/clock.h): the serial number counts days since
 * 1899-12-30 (1904-01-01 with date1904) in local wall-clock time, rounded to
 * the second. A date-only format gives midnight.
 *
 * Rows: row->line is the sheet row number (1-based, as Excel shows it).
 * Missing cells (by their r="C7" reference) are empty fields; rows without
 * any cell are not returned; row->nfields is one past the last cell present.
 */
#ifndef KESU_XLSX_H
#define KESU_XLSX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/error.h"
#include "intake/csv.h"

#define XLSX_MAX_COLS        1024
#define XLSX_MAX_CELL        ((size_t)1 << 20)   /* 1 MiB */
#define XLSX_MAX_SHARED_SIZE ((size_t)512 << 20) /* all shared strings together */

struct xlsx;

/*
 * Opens the workbook in the seekable file f (the reader works on a dup of its
 * descriptor: f stays the caller's, its position is undefined afterwards)
 * and loads the sheet list, shared strings and styles. The first sheet is
 * selected. Returns 0, or KERR_INVALID (not an xlsx workbook, malformed
 * XML), KERR_TOOLARGE (shared strings past the cap) or KERR_IO, with err
 * filled. On success free *out with xlsx_free().
 */
int xlsx_open(FILE *f, struct xlsx **out, struct kerr *err);

size_t xlsx_sheet_count(const struct xlsx *x);
/* The name of sheet i (0-based), owned by x. */
const char *xlsx_sheet_name(const struct xlsx *x, size_t i);

/*
 * Selects the sheet to read by name, or by its 1-based position when sheet
 * is all digits and no sheet has that name, and starts reading it at its
 * first row. Returns 0 or KERR_NOTFOUND.
 */
int xlsx_select(struct xlsx *x, const char *sheet, struct kerr *err);

/*
 * Reads the next row of the selected sheet into *row; its fields stay valid
 * until the next call. Returns 1 (a row), 0 (end of sheet), KERR_INVALID
 * (malformed XML or a bad reference: reading stops), KERR_TOOLARGE (a cell
 * past XLSX_MAX_CELL or a column past XLSX_MAX_COLS: that row is skipped,
 * err->line is its number; call again for the next) or KERR_IO.
 */
int xlsx_read(struct xlsx *x, struct csv_row *row, struct kerr *err);

void xlsx_free(struct xlsx *x);

/* Whether numFmt id with format code `code` (NULL for built-ins) shows a date. */
int xlsx_is_date_format(int id, const char *code);

/* Converts an Excel serial day number to ms since the epoch, read in the
 * configured zone. Returns 0, or -1 when the serial is out of range. */
int xlsx_serial_to_ms(double serial, int date1904, int64_t *ms);

#endif
