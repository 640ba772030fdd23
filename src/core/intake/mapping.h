/*
 * mapping: how the columns of someone else's export (an e-commerce review
 * download, a hotline system, a survey tool, typed-in comment cards) become
 * kesu's record fields. A mapping is a JSON file, documented with examples
 * in docs/mapping.md; `kesu import --mapping FILE` applies it to CSV and
 * xlsx rows alike.
 *
 * Lifecycle: mapping_load() (or mapping_parse()) checks the file once;
 * mapping_bind() resolves column names against a file's header row;
 * mapping_apply() fills one record from one data row, giving errors that
 * name the kesu field and the source column. A bound mapping is used by one
 * thread at a time.
 */
#ifndef KESU_MAPPING_H
#define KESU_MAPPING_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "intake/csv.h"
#include "intake/record.h"

struct mapping;

/* Reads and checks the mapping file at path (at most 1 MiB). On success free
 * *out with mapping_free(). Errors: KERR_IO (cannot read), KERR_INVALID
 * (message says what is wrong, err->field names the kesu field). */
int mapping_load(const char *path, struct mapping **out, struct kerr *err);

/* The same from JSON text in memory. */
int mapping_parse(const char *json, size_t len, struct mapping **out, struct kerr *err);

void mapping_free(struct mapping *m);

/* Sheet row or CSV line of the header (1-based; default 1), data rows to skip
 * after it (default 0), and the "encoding" and "sheet" settings (NULL when
 * the file does not give them). */
long mapping_header_row(const struct mapping *m);
long mapping_skip_rows(const struct mapping *m);
const char *mapping_encoding(const struct mapping *m);
const char *mapping_sheet(const struct mapping *m);

/* Resolves the mapping's column references against a header row. Returns 0
 * or KERR_INVALID naming a column the header lacks. */
int mapping_bind(struct mapping *m, const struct csv_row *header, struct kerr *err);

/* Fills r (initialised, empty) from a data row; cells past the row's end are
 * empty. Returns 0 or KERR_INVALID with err->field the kesu field. */
int mapping_apply(const struct mapping *m, const struct csv_row *row, struct record *r,
                  struct kerr *err);

/*
 * Reads a date or time written as `fmt` ("%Y年%m月%d日 %H:%M", see
 * docs/mapping.md; "auto" tries RFC 3339 and the common layouts, then epoch
 * seconds or milliseconds and Excel serial numbers; "epoch_s", "epoch_ms",
 * "excel" take only those), in the configured zone. Returns 0 and *ms, or -1.
 */
int mapping_parse_time(const char *s, size_t len, const char *fmt, int64_t *ms);

#endif
