/*
 * export.h: complaints as CSV or .xlsx, any filtered list (the filters of
 * GET /api/v1/feedback), without a row cap. CSV: UTF-8 with a BOM, cells
 * Excel would run as formulas neutralised. xlsx: written with constant
 * memory, times as date cells, numbers as numbers, a new sheet every
 * 1,048,575 rows.
 */
#ifndef KESU_INSIGHT_EXPORT_H
#define KESU_INSIGHT_EXPORT_H

#include <stdint.h>

#include "base/error.h"
#include "base/strbuf.h"
#include "store/db.h"

/* The header line (with the BOM) and one record's line. */
void export_csv_header(struct strbuf *sb);
void export_csv_row(struct strbuf *sb, const struct record *r);

/* Writes every record matching f (f->limit and f->cursor are managed here) to path. */
int export_xlsx(struct store *s, const struct store_filter *f, const char *path, int64_t *rows,
                struct kerr *err);

#endif
