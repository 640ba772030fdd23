/*
 * import: bulk intake from a stream of JSON Lines, CSV (UTF-8, GBK/GB18030,
 * Big5 or UTF-16LE; see encoding.h) or an Excel workbook (.xlsx; see
 * xlsx.h). CSV and xlsx rows are read alike: either the header row holds
 * kesu's field names, or a column mapping (mapping.h) says which column
 * feeds which field. Every row goes through the same checks as the API (record_set,
 * record_from_json, record_validate); bad rows are reported with their line
 * number and reason, good rows are stored in large transactions through the
 * store's group commit while the next batch is parsed, so parsing and
 * writing use both cores.
 *
 * Re-importing a file creates no duplicates: a row with external_id is
 * found again by (channel, external_id); a row without one gets an
 * idempotency key derived from its content.
 *
 * With `strict`, the caller first runs a check-only pass (dry_run) and
 * imports only when it found no bad row, so a file is never half-imported.
 */
#ifndef KESU_IMPORT_H
#define KESU_IMPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "base/error.h"
#include "intake/encoding.h"
#include "intake/mapping.h"
#include "store/db.h"

enum import_format { IMPORT_JSONL, IMPORT_CSV, IMPORT_XLSX };

struct import_opts {
    enum import_format format;
    const char *default_channel; /* for rows without a channel; NULL = required */
    const char *actor;           /* kept on each record's timeline, e.g. "import:file.csv" */
    size_t batch;                /* records per transaction (default 5000) */
    bool dry_run;                /* check only, store nothing */
    struct pipeline *pipeline;   /* cleaning stages; NULL = store as given */
    const struct channels_conf *channels; /* collection rules per channel, or NULL */
    enum encoding encoding;               /* CSV text encoding; ENC_AUTO (0) detects it */
    const char *sheet;                    /* xlsx sheet name or 1-based number; NULL = first */
    struct mapping *mapping; /* CSV/xlsx column mapping; NULL = header of field names */
};

struct import_stats {
    long rows;     /* data rows read */
    long created;  /* stored now */
    long existing; /* already stored (re-delivery) */
    long rejected; /* bad rows */
};

struct import_cb {
    /* a bad row: its line and why */
    void (*reject)(void *arg, long line, const struct kerr *e);
    /* called now and then with the running counts */
    void (*progress)(void *arg, const struct import_stats *st);
    void *arg;
};

/* Guesses the format from a file name ("*.csv" and "*.tsv"... are CSV,
 * "*.xlsx" is xlsx, anything else JSONL). */
enum import_format import_format_for(const char *path);

/* Looks at the first bytes of a seekable file: a zip archive is xlsx,
 * anything else keeps `guess`. The position is restored. */
enum import_format import_format_sniff(FILE *f, enum import_format guess);

/*
 * Imports everything in `in`. Returns 0 when the stream was read to its end
 * (even with rejected rows: see st->rejected), or < 0 with err filled when
 * reading or storing failed or the CSV header is unusable; what was
 * committed before stays committed. For rows of an xlsx sheet, "line" in
 * reports and errors is the sheet's row number. xlsx needs a seekable file.
 */
int import_stream(struct store *s, FILE *in, const struct import_opts *o,
                  const struct import_cb *cb, struct import_stats *st, struct kerr *err);

#endif
